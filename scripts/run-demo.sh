#!/usr/bin/env bash
# README command 1: install what is missing, build, seed a demo store on first run, start
# pcscd with the vpcd virtual reader, and run the kiosk in demo mode at http://localhost:8080
# (embedded SQLite, demo data, virtual card readers with a card tray, the file-spool printer).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --release --locked
export KIOSK_CONFIG="${KIOSK_CONFIG:-scripts/demo.toml}"
export KIOSK_DATABASE="${KIOSK_DATABASE:-var/demo/kiosk.db}"
export KIOSK_LISTEN="${KIOSK_LISTEN:-127.0.0.1:8080}"
export KIOSK_KEY_FILE="${KIOSK_KEY_FILE:-var/demo/issuer-key.toml}"
export KIOSK_SPOOL_DIR="${KIOSK_SPOOL_DIR:-var/demo/spool}"
demo_dir="$(dirname "$KIOSK_DATABASE")"
mkdir -p "$demo_dir"

# pcscd with the vpcd driver (Debian's /etc/reader.conf.d/vpcd): start it if it isn't running.
if ! pgrep -x pcscd >/dev/null; then
  pcscd
  sleep 1
fi

if [ ! -f "$KIOSK_DATABASE" ]; then
  echo "seeding a demo store into $KIOSK_DATABASE"
  ./target/release/member-kiosk demo-data --members "${DEMO_MEMBERS:-500}" | tee "$demo_dir/cards.json"
  # The first supervisor, with a random PIN (no default password, even in the demo); more
  # staff are added by the supervisor (POST /api/staff). A weak draw (a run, a repeat) is
  # refused by the kiosk, so draw again.
  for _ in 1 2 3 4 5; do
    pin="$(shuf -i 100000-999999 -n 1)"
    if echo "$pin" | ./target/release/member-kiosk bootstrap-supervisor --staff-number S001 --name "Demo supervisor"; then
      (umask 077; printf 'staff number S001\nPIN %s\n' "$pin" > "$demo_dir/supervisor.txt")
      break
    fi
  done
fi
[ -f "$demo_dir/supervisor.txt" ] && echo "demo supervisor sign-in ($demo_dir/supervisor.txt):" && cat "$demo_dir/supervisor.txt"
echo "kiosk on http://$KIOSK_LISTEN  (demo cards: $demo_dir/cards.json; card tray: /api/demo/tray; Ctrl-C stops)"
exec ./target/release/member-kiosk serve
