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
for frag in "$REPO"/plugins/*/*/test-server.sh; do
  [ -f "$frag" ] && . "$frag"
done

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-servers: all ${#PKGS[@]} packages present"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "install-test-servers: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # Debian's packaged clusters are not started here (no systemd, policy-rc.d);
  # the tests start their own in a temporary directory.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for prefix in "${PREFIXES[@]}"; do
  if declare -F "${prefix}_install" >/dev/null; then "${prefix}_install"; fi
done
