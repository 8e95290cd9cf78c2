#!/usr/bin/env bash
# README command 2 (and CI's): install what is missing, then every check and every test:
# formatting, clippy with warnings as errors, docs without warnings, and all test binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
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
