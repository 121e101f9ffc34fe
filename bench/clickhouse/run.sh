#!/usr/bin/env bash
# Ferry -> ClickHouse vs a raw HTTP INSERT of the same rows in the same
# format (Native), same server, one run.
#
#   bench/clickhouse/run.sh [--rows N] [--repeat R] [--batch-size N] [--smoke]
#   (BATCH_BYTES=64MiB in the environment sets batch_size_bytes)
#
# 1. Starts (or reuses) a ClickHouse with scripts/test-servers.sh, in its own
#    state dir (FERRY_TEST_SERVERS_DIR, default /tmp/ferry-bench-servers) so
#    test runs cannot stop it mid-measure; stops it at the end if it started it.
# 2. `ferry sync` of N rows of the `test` source's test_synthetic_table into a
#    fresh table, write_mode append; timed end to end (process start, spec,
#    connect, migrate, generation, encoding, every INSERT).
# 3. Dumps exactly those rows with `SELECT * ... FORMAT Native` into a file
#    (the format and columns Ferry sent, `_ferry_nulls` included), then times
#    curl --data-binary @file '.../?query=INSERT INTO raw FORMAT Native'
#    into an identical empty table (CREATE TABLE raw AS ...).
# Runs alternate (ferry, raw, ferry, raw, ...) so both see the same machine
# load; before each timed run the server's background merges are awaited.
# Prints best-of-R rows/s for both, the ratio, the load average, and a
# markdown row for docs/benchmarks.md.
# Env: FERRY_BUILD_DIR (default: build, Release), FERRY_BENCH_DIR (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=5000000 REPEAT=3 BATCH="" SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --batch-size) BATCH=$2; shift 2 ;;
    --smoke) SMOKE=1 ROWS=20000 REPEAT=1; shift ;;
    *) echo "usage: $0 [--rows N] [--repeat R] [--batch-size N] [--smoke]" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${FERRY_BUILD_DIR:-build}
FERRY=$BUILD_DIR/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
WORK=${FERRY_BENCH_DIR:-$(mktemp -d /tmp/ferry-ch-bench.XXXXXX)}
mkdir -p "$WORK"
export FERRY_TEST_SERVERS_DIR=${FERRY_TEST_SERVERS_DIR:-/tmp/ferry-bench-servers}

started=0
if ! bash scripts/test-servers.sh env clickhouse >/dev/null 2>&1; then started=1; fi
eval "$(bash scripts/test-servers.sh start clickhouse)"
cleanup() {
  [ "$started" = 1 ] && bash scripts/test-servers.sh stop clickhouse >/dev/null 2>&1
  [ -n "${FERRY_BENCH_DIR:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

URL=$FERRY_CH_URL DB=ferry_bench
q() { curl -sS --fail-with-body "$URL/" --data-binary "$1"; }
q "DROP DATABASE IF EXISTS $DB"
q "CREATE DATABASE $DB"
# Background merges of earlier parts would steal CPU from the next timed run.
settle() {
  for _ in $(seq 1 600); do
    [ "$(q "SELECT count() FROM system.merges")" = 0 ] && return 0
    sleep 0.1
  done
}

cat >"$WORK/bench.yml" <<YML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v4.0.0
  tables: ["test_synthetic_table"]
  destinations: [clickhouse]
  spec: {num_clients: 1, synthetic_rows: $ROWS, seed: 1}
---
kind: destination
spec:
  name: clickhouse
  path: cloudquery/clickhouse
  version: v7.0.0
  write_mode: append
  spec:
    connection_string: "$URL/$DB"
YML
# The destination's defaults (batch_size 1000000, batch_size_bytes 128MiB) unless asked.
[ -z "$BATCH" ] || printf '    batch_size: %s\n' "$BATCH" >>"$WORK/bench.yml"
[ -z "${BATCH_BYTES:-}" ] || printf '    batch_size_bytes: %s\n' "$BATCH_BYTES" >>"$WORK/bench.yml"

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }   # float arithmetic without bc
min() { if [ -z "$1" ] || [ "$(calc "($2 < $1) ? 1 : 0")" = 1 ]; then echo "$2"; else echo "$1"; fi; }
best_ferry="" best_raw="" dumped=0
for i in $(seq 1 "$REPEAT"); do
  q "DROP TABLE IF EXISTS $DB.test_synthetic_table"
  settle
  t0=$(now)
  /usr/bin/time -f %M -o "$WORK/rss" "$FERRY" --log-level warn sync "$WORK/bench.yml" --no-progress >"$WORK/ferry.out" 2>&1 ||
    { cat "$WORK/ferry.out"; exit 1; }
  t1=$(now)
  s=$(calc "$t1 - $t0")
  best_ferry=$(min "$best_ferry" "$s")
  rows=$(q "SELECT count() FROM $DB.test_synthetic_table")
  [ "$rows" = "$ROWS" ] || { echo "ferry wrote $rows rows, want $ROWS" >&2; exit 1; }
  if [ "$dumped" = 0 ]; then
    curl -sS --fail "$URL/?query=SELECT+*+FROM+$DB.test_synthetic_table+FORMAT+Native" -o "$WORK/rows.native"
    dumped=1
  fi
  q "DROP TABLE IF EXISTS $DB.raw"
  q "CREATE TABLE $DB.raw AS $DB.test_synthetic_table"
  settle
  t0=$(now)
  # --data-binary reads the whole file into memory first (and fails beyond a
  # few GB); -T streams it, for big runs.
  if [ "$(stat -c %s "$WORK/rows.native")" -lt 2000000000 ]; then
    curl -sS --fail-with-body --data-binary @"$WORK/rows.native" "$URL/?query=INSERT+INTO+$DB.raw+FORMAT+Native"
  else
    curl -sS --fail-with-body -X POST -T "$WORK/rows.native" "$URL/?query=INSERT+INTO+$DB.raw+FORMAT+Native"
  fi
  t1=$(now)
  r=$(calc "$t1 - $t0")
  best_raw=$(min "$best_raw" "$r")
  copied=$(q "SELECT count() FROM $DB.raw")
  [ "$copied" = "$ROWS" ] || { echo "raw insert wrote $copied rows, want $ROWS" >&2; exit 1; }
  echo "run $i: ferry ${s}s (peak RSS $(( $(cat "$WORK/rss") / 1024 )) MiB), raw insert ${r}s" >&2
done

ferry_rps=$(calc "$ROWS / $best_ferry")
raw_rps=$(calc "$ROWS / $best_raw")
ratio=$(calc "$ferry_rps / $raw_rps")
cols=$(q "SELECT count() FROM system.columns WHERE database = '$DB' AND table = 'raw'")
printf 'server: ClickHouse %s on %s; load average %s\n' "$FERRY_CH_VERSION" "$URL" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'rows: %d (test_synthetic_table, %d columns; Native dump %s), batch_size %s, batch_size_bytes %s, best of %d\n' \
  "$ROWS" "$cols" "$(du -h "$WORK/rows.native" | cut -f1)" "${BATCH:-default}" "${BATCH_BYTES:-default}" "$REPEAT"
printf 'ferry sync (append, Native over HTTP): %.3f s  %.0f rows/s\n' "$best_ferry" "$ferry_rps"
printf 'curl INSERT FORMAT Native (from file): %.3f s  %.0f rows/s\n' "$best_raw" "$raw_rps"
printf 'ratio ferry / raw: %.2f\n' "$ratio"
printf '| test -> clickhouse vs `curl INSERT ... FORMAT Native` | %d | %.0f | %.0f | %.2f |\n' \
  "$ROWS" "$ferry_rps" "$raw_rps" "$ratio"
q "DROP DATABASE IF EXISTS $DB"
[ "$SMOKE" = 0 ] || echo "smoke run: figures are not meaningful at this size" >&2
