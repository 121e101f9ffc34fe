#!/usr/bin/env bash
# Installs the servers the integration tests start (scripts/test-servers.sh):
# the Debian packages every plugins/<kind>/<name>/test-server.sh names
# (PostgreSQL 15, ClickHouse 18.16, ...) and each one's PREFIX_install steps.
# Idempotent: does nothing when they are present.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PKGS=()
PREFIXES=()
test_server() { # name prefix [debian packages...]
  PREFIXES+=("$2")
  shift 2
  PKGS+=("$@")
}
log() { echo "[install-test-servers] $*" >&2; }
die() { log "$*"; exit 1; }
. "$REPO/scripts/test-server-lib.sh"  # maven_jars, make_test_tls
for frag in "$REPO"/plugins/*/*/test-server.sh; do
  [ -f "$frag" ] && . "$frag"
done

. "$REPO/scripts/apt-install.sh"
apt_install install-test-servers "${PKGS[@]}"

for prefix in "${PREFIXES[@]}"; do
  if declare -F "${prefix}_install" >/dev/null; then "${prefix}_install"; fi
done
