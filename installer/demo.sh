#!/usr/bin/env bash
# Runs the gascis demo: a demo company on a server with its own PostgreSQL,
# and the desktop client connected to it. Without a display, the server keeps
# running and this script says how to connect.
set -euo pipefail
cd "$(dirname "$0")/.."
source installer/packages.sh

packages=(server)
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then packages+=(client); fi
gascis_ensure_packages "${packages[@]}"

cargo build -p gascis-server -p gascis

# PostgreSQL runs as the unprivileged account `gascis` when we are root, and
# that account must be able to reach the data dir (not under /root).
if [ "$(id -u)" -eq 0 ]; then
  data_dir="${GASCIS_DEMO_DIR:-/var/lib/gascis-demo}"
else
  data_dir="${GASCIS_DEMO_DIR:-$PWD/demo-data}"
fi
listen="${GASCIS_DEMO_LISTEN:-127.0.0.1:50443}"
port="${listen##*:}"

./target/debug/gascis-server demo --data-dir "$data_dir" --listen "$listen" &
server_pid=$!
stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT INT TERM

# Wait until the server answers its health check over TLS.
for _ in $(seq 1 120); do
  if ./target/debug/gascis-server status --data-dir "$data_dir" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "gascis: the demo server did not start (see the messages above)" >&2
    exit 1
  fi
  sleep 0.5
done

export GASCIS_SERVER="localhost:$port"
export GASCIS_CA_FILE="$data_dir/tls/ca.crt"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "gascis: starting the client (log in as cashier / gascis-demo); close its window to stop the demo"
  ./target/debug/gascis || echo "gascis: the client exited with an error; the server stops now" >&2
else
  echo
  echo "gascis: no display here (DISPLAY is not set), so no client window."
  echo "  The demo server keeps running. On a machine with a display run the client:"
  echo "    GASCIS_SERVER=localhost:$port GASCIS_CA_FILE=$GASCIS_CA_FILE cargo run -p gascis"
  echo "  or type the server address and CA file on its login screen. Ctrl-C stops the server."
  wait "$server_pid"
fi
