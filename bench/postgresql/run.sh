#!/usr/bin/env bash
# Ferry -> PostgreSQL vs psql \copy, same rows, same server, one run.
#
#   bench/postgresql/run.sh [--rows N] [--repeat R]
#
# 1. Starts (or reuses) the test PostgreSQL with scripts/test-servers.sh
#    (fsync off: both sides measure CPU and protocol, not the disk).
# 2. `ferry sync` of N rows of the `test` source's test_synthetic_table into
#    a fresh table, write_mode append (binary COPY straight into the table);
#    timed end to end (process start, generation, migrate, COPY, commit).
# 3. Exports those rows with `\copy ... TO` (text format), then times
#    `psql -c "\copy t FROM file"` into an identical empty table.
# Best of R runs for each; prints rows/s for both and Ferry / \copy.
# Env: FERRY_BUILD_DIR (default build), FERRY_BENCH_DIR (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=1000000 REPEAT=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--repeat R]" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${FERRY_BUILD_DIR:-build}
FERRY=$BUILD_DIR/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
WORK=${FERRY_BENCH_DIR:-$(mktemp -d /tmp/ferry-pg-bench.XXXXXX)}
mkdir -p "$WORK"

eval "$(bash scripts/test-servers.sh start postgres)"
DB=ferry_bench
export PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$FERRY_PG_HOST" -p "$FERRY_PG_PORT" -U "$FERRY_PG_USER")
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
CLIENTS=2
PER_CLIENT=$(( (ROWS + CLIENTS - 1) / CLIENTS ))
cat >"$WORK/bench.yml" <<YML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v4.0.0
  tables: ["test_synthetic_table"]
  destinations: [postgresql]
  spec: {num_clients: $CLIENTS, synthetic_rows: $PER_CLIENT, seed: 1}
---
kind: destination
spec:
  name: postgresql
  path: cloudquery/postgresql
  version: v8.0.0
  write_mode: append
  spec:
    connection_string: "host=$FERRY_PG_HOST port=$FERRY_PG_PORT user=$FERRY_PG_USER dbname=$DB"
YML

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }   # float arithmetic without bc
best_ferry=""
for i in $(seq 1 "$REPEAT"); do
  "${PSQL[@]}" -d $DB -c "DROP TABLE IF EXISTS test_synthetic_table"
  t0=$(now)
  "$FERRY" --log-level warn sync "$WORK/bench.yml" --no-progress >"$WORK/ferry.out" 2>&1 || { cat "$WORK/ferry.out"; exit 1; }
  t1=$(now)
  s=$(calc "$t1 - $t0")
  echo "ferry run $i: ${s}s" >&2
  if [ -z "$best_ferry" ] || [ "$(calc "($s < $best_ferry) ? 1 : 0")" = 1 ]; then best_ferry=$s; fi
done
rows=$("${PSQL[@]}" -d $DB -tAc "SELECT count(*) FROM test_synthetic_table")

"${PSQL[@]}" -d $DB -c "\\copy test_synthetic_table TO '$WORK/rows.txt'"
best_copy=""
for i in $(seq 1 "$REPEAT"); do
  "${PSQL[@]}" -d $DB -c "DROP TABLE IF EXISTS copy_target" -c "CREATE TABLE copy_target (LIKE test_synthetic_table INCLUDING ALL)"
  t0=$(now)
  "${PSQL[@]}" -d $DB -c "\\copy copy_target FROM '$WORK/rows.txt'"
  t1=$(now)
  s=$(calc "$t1 - $t0")
  echo "\\copy run $i: ${s}s" >&2
  if [ -z "$best_copy" ] || [ "$(calc "($s < $best_copy) ? 1 : 0")" = 1 ]; then best_copy=$s; fi
done
copied=$("${PSQL[@]}" -d $DB -tAc "SELECT count(*) FROM copy_target")
[ "$copied" = "$rows" ] || { echo "row counts differ: ferry $rows, \\copy $copied" >&2; exit 1; }

ferry_rps=$(calc "$rows / $best_ferry")
copy_rps=$(calc "$rows / $best_copy")
printf 'rows: %d (test_synthetic_table, %d columns; text file %s)\n' "$rows" \
  "$("${PSQL[@]}" -d $DB -tAc "SELECT count(*) FROM information_schema.columns WHERE table_name = 'test_synthetic_table'")" \
  "$(du -h "$WORK/rows.txt" | cut -f1)"
printf 'ferry sync (append, binary COPY): %.3f s  %.0f rows/s\n' "$best_ferry" "$ferry_rps"
printf 'psql \\copy (text, from file):     %.3f s  %.0f rows/s\n' "$best_copy" "$copy_rps"
printf 'ratio ferry / \\copy: %.2f\n' "$(calc "$ferry_rps / $copy_rps")"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
[ -n "${FERRY_BENCH_DIR:-}" ] || rm -rf "$WORK"
