#!/usr/bin/env bash
# README command 2 (and CI's): install what is missing, then every check and every test:
# formatting, clippy with warnings as errors, docs without warnings, all test binaries, a bench
# smoke run, then the counter UI's unit tests and its end-to-end tests (the release binary with
# a private pcscd and virtual readers, driven in headless chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_postgres
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy 2>/dev/null || true

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo doc (no warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet
echo "== cargo test"
cargo test --locked --lib --bins --tests
echo "== bench smoke (tiny sizes; the real figures come from 'cargo bench')"
BENCH_MEMBERS=2000 BENCH_LOOKUPS=640 BENCH_SALES=64 cargo bench --locked --bench kiosk
BENCH_CARD_READS=200 cargo bench --locked --bench card
cargo bench --locked --bench receipt
BENCH_SMOKE=1 cargo bench --locked --bench head_office
BENCH_SMOKE=1 cargo bench --locked --bench sync

echo "== counter UI: unit tests"
(cd kiosk-ui && node --test test/unit/)
# The bench smoke above built the release binary (cargo builds the bin for benches).
kiosk_bin="${CARGO_TARGET_DIR:-$PWD/target}/release/member-kiosk"
[ -x "$kiosk_bin" ] || cargo build --release --locked --bin member-kiosk
echo "== counter UI: end-to-end tests ($kiosk_bin, chromium, private pcscd; screenshots in target/ui-screenshots/)"
e2e_start=$SECONDS
(cd kiosk-ui && KIOSK_BIN="$kiosk_bin" node --test --test-concurrency=1 test/e2e/)
echo "   end-to-end tests took $((SECONDS - e2e_start)) s"
echo "== counter UI: browser bench smoke (the real figures come from 'npm run bench' in kiosk-ui/)"
(cd kiosk-ui && KIOSK_BIN="$kiosk_bin" UI_BENCH_INSERTIONS=5 node test/bench/ui-bench.js)
