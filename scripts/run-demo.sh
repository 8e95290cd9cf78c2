#!/usr/bin/env bash
# README command 1: install what is missing (Debian packages, the UI's npm packages), build,
# seed a demo store on first run, start a private pcscd with three vpcd virtual readers
# (lounge, desk, till T01), and run the kiosk in demo mode at http://localhost:8080 (embedded
# SQLite, demo data, the counter UI, a card tray per reader, the file-spool printer).
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

# Card readers: a private pcscd (its own reader.conf folder and its own /run/pcscd in a mount
# namespace, so a system pcscd and its vpcd ports are left alone) with three vpcd virtual
# readers: "Virtual PCD 00 00" (lounge, card side on port 35973), "Virtual PCD 00 01" (desk,
# 35974) and "Virtual PCD Till 00 00" (till T01, 35975). A second reader.conf entry needs its
# own FRIENDLYNAME and its own copy of the vpcd driver (two entries sharing one driver file
# never see a card). pcscd dies with the kiosk (setpriv --pdeathsig; the kiosk replaces this
# shell below).
pcsc_dir="$(cd "$demo_dir" && pwd)/pcscd"
mkdir -p "$pcsc_dir/run" "$pcsc_dir/conf" /run/pcscd
vpcd_driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
cp "$vpcd_driver" "$pcsc_dir/libifdvpcd-till.so"
vpcd_entry() { printf 'FRIENDLYNAME "%s"\nDEVICENAME /dev/null:0x%X\nLIBPATH %s\nCHANNELID 0x%X\n' "$1" "$2" "$3" "$2"; }
vpcd_entry "Virtual PCD" 35973 "$vpcd_driver" > "$pcsc_dir/conf/vpcd"
vpcd_entry "Virtual PCD Till" 35975 "$pcsc_dir/libifdvpcd-till.so" > "$pcsc_dir/conf/vpcd-till"
rm -f "$pcsc_dir/run/pcscd.comm"
setpriv --pdeathsig KILL -- unshare --mount --propagation private sh -c \
  "mount --bind '$pcsc_dir/run' /run/pcscd && exec /usr/sbin/pcscd -f -c '$pcsc_dir/conf'" >"$pcsc_dir/pcscd.log" 2>&1 &
for _ in $(seq 100); do [ -S "$pcsc_dir/run/pcscd.comm" ] && break; sleep 0.1; done
[ -S "$pcsc_dir/run/pcscd.comm" ] || { echo "pcscd did not start: $(cat "$pcsc_dir/pcscd.log")" >&2; exit 1; }
export PCSCLITE_CSOCK_NAME="$pcsc_dir/run/pcscd.comm"

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
