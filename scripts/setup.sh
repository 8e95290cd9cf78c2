#!/usr/bin/env bash
# Shared setup for the two README commands: installs the Debian packages the kiosk needs
# (only what is missing) and puts the Rust toolchain on PATH. Sourced, not run.
set -euo pipefail

# Debian packages the build and the tests need:
# - the build: a C toolchain, and libpcsclite for the PC/SC card readers;
# - card readers at run time: pcscd, and the vpcd virtual reader for the demo and the tests;
# - tests: vicc (an independent ISO 7816-4 card OS) and its crypto library.
KIOSK_DEBIAN_PACKAGES=(build-essential pkg-config ca-certificates libpcsclite-dev pcscd vsmartcard-vpcd
  python3-virtualsmartcard python3-pycryptodome util-linux)

ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi
}

ensure_cargo() {
  for dir in "$HOME/.cargo/bin" /usr/local/cargo/bin; do
    [ -x "$dir/cargo" ] && case ":$PATH:" in *":$dir:"*) ;; *) PATH="$dir:$PATH" ;; esac
  done
  export PATH
  if ! command -v cargo >/dev/null; then
    echo "cargo not found: install Rust >= 1.88 (rustup) first; Debian's own cargo is too old." >&2
    exit 1
  fi
}

ensure_packages "${KIOSK_DEBIAN_PACKAGES[@]}"
ensure_cargo
