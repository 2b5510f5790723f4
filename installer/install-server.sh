#!/usr/bin/env bash
# Installs gascis-server on this machine as a systemd service:
#   sudo bash installer/install-server.sh [--data-dir /var/lib/gascis] [--listen 0.0.0.0:50443]
# Builds the release binary, installs it to /opt/gascis/bin, creates the data
# dir with `gascis-server init` (system user `gascis`, private PostgreSQL,
# TLS material, first admin) and enables the service.
set -euo pipefail
cd "$(dirname "$0")/.."
source installer/packages.sh

data_dir=/var/lib/gascis
listen=0.0.0.0:50443
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir="$2"; shift 2 ;;
    --listen) listen="$2"; shift 2 ;;
    *) echo "unknown option: $1 (expected --data-dir DIR, --listen ADDR)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "run as root: it creates a system user, /opt/gascis and a service" >&2
  exit 1
fi
gascis_ensure_packages server
cargo build --release -p gascis-server
install -d -m 0755 /opt/gascis/bin
install -m 0755 target/release/gascis-server /opt/gascis/bin/gascis-server
install -m 0644 README.md /opt/gascis/README.md
if [ ! -f "$data_dir/gascis.toml" ]; then
  /opt/gascis/bin/gascis-server init --data-dir "$data_dir" --listen "$listen"
fi
sed "s#/var/lib/gascis#$data_dir#g" installer/gascis-server.service > /etc/systemd/system/gascis-server.service
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now gascis-server
  echo "gascis-server is running; check with: /opt/gascis/bin/gascis-server status --data-dir $data_dir"
else
  echo "no running systemd here: start it with /opt/gascis/bin/gascis-server serve --data-dir $data_dir"
fi
echo "give clients the CA certificate: $data_dir/tls/ca.crt"
