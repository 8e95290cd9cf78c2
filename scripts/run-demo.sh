#!/usr/bin/env bash
# README command 1: install what is missing, build, seed a demo store on first run, and run
# the kiosk (embedded SQLite, demo data, in-memory card writer) at http://localhost:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --release --locked
export KIOSK_DATABASE="${KIOSK_DATABASE:-var/demo/kiosk.db}"
export KIOSK_LISTEN="${KIOSK_LISTEN:-127.0.0.1:8080}"
demo_dir="$(dirname "$KIOSK_DATABASE")"
mkdir -p "$demo_dir"
if [ ! -f "$KIOSK_DATABASE" ]; then
  echo "seeding a demo store into $KIOSK_DATABASE"
  ./target/release/member-kiosk demo-data --members "${DEMO_MEMBERS:-500}" | tee "$demo_dir/cards.json"
fi
echo "kiosk on http://$KIOSK_LISTEN  (demo cards: $demo_dir/cards.json; Ctrl-C stops)"
exec ./target/release/member-kiosk serve
