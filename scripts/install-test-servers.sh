#!/usr/bin/env bash
# Installs the database servers the integration tests start (scripts/test-servers.sh):
# PostgreSQL 15 server and client, ClickHouse server and client (18.16) from
# Debian 12. Idempotent: does nothing when they are present.
set -euo pipefail

PKGS=(postgresql-15 postgresql-client-15 clickhouse-server clickhouse-client)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-servers: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "install-test-servers: installing ${missing[*]}"
$SUDO apt-get update -qq
# Debian's packaged cluster is not started here (no systemd, policy-rc.d);
# the tests start their own in a temporary directory.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
