#!/usr/bin/env bash
# Installs what Ferry needs, builds it, and runs the quickstart sync into an
# embedded SQLite file (quickstart.sqlite), then shows what landed there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
rm -f quickstart.sqlite
./build/ferry sync examples/quickstart.yml
echo
echo "Tables and row counts in quickstart.sqlite:"
for t in $(sqlite3 quickstart.sqlite "select name from sqlite_master where type='table' order by name"); do
  printf '  %-28s %s\n' "$t" "$(sqlite3 quickstart.sqlite "select count(*) from \"$t\"")"
done
