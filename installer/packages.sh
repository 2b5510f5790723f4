#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages gascis needs, only those missing.
# Sourced by installer/demo.sh and tests/run.sh; run alone:
#   bash installer/packages.sh server|client|test ...
# As root it uses apt-get; otherwise it prints what to install and fails.

gascis_packages_for() {
  case "$1" in
    # PostgreSQL server programs (initdb, pg_ctl) for the private cluster;
    # libpq for diesel; a C toolchain for crates with C parts (ring).
    server) echo "postgresql libpq-dev pkg-config gcc libc6-dev" ;;
    # What winit loads at run time to open an X11 window.
    client) echo "libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxi6 libxrandr2" ;;
    # Tests need the server's packages (the client tests run headless);
    # poppler-utils (pdftotext, pdftoppm) reads printed PDFs back.
    test) echo "postgresql libpq-dev pkg-config gcc libc6-dev poppler-utils" ;;
    *) echo "unknown package set: $1" >&2; return 2 ;;
  esac
}

gascis_ensure_packages() {
  local wanted=() missing=() set pkg
  for set in "$@"; do
    wanted+=($(gascis_packages_for "$set")) || return 2
  done
  for pkg in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "gascis: these packages are missing and this is not a Debian/Ubuntu system: ${missing[*]}" >&2
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "gascis: missing system packages; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  echo "gascis: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  gascis_ensure_packages "${@:-server}"
fi
