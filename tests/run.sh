#!/usr/bin/env bash
# Runs the whole gascis test suite. Installs missing system packages when run
# as root (else lists them). Each test binary starts its own throw-away
# PostgreSQL cluster; nothing needs to be running beforehand.
set -euo pipefail
cd "$(dirname "$0")/.."
source installer/packages.sh
gascis_ensure_packages test

# Snapshot pixels and font rendering differ between renderers; pin one.
export ICED_TEST_BACKEND=tiny-skia
cargo test --workspace --locked "$@"
