#!/usr/bin/env bash
# Ferry -> ClickHouse vs a raw HTTP INSERT of the same rows in the same
# format (Native), same server, one run.
#
#   bench/clickhouse/run.sh [--rows N] [--repeat R] [--batch-size N] [--native] [--wide] [--smoke]
#   (BATCH_BYTES=64MiB in the environment sets batch_size_bytes)
#   --native: Ferry over the native TCP protocol (clickhouse:// connection
#   string, CloudQuery's form) against `clickhouse-client --query 'INSERT ...
#   FORMAT Native' < file` as the raw path, instead of HTTP against curl.
#
# 1. Starts (or reuses) a ClickHouse with scripts/test-servers.sh, in its own
#    state dir (FERRY_TEST_SERVERS_DIR, default /tmp/ferry-bench-servers) so
#    test runs cannot stop it mid-measure; stops it at the end if it started it.
# 2. `ferry sync` of N rows of the `test` source's test_synthetic_table (or
#    test_wide_table with --wide) into a
#    fresh table, write_mode append; timed end to end (process start, spec,
#    connect, migrate, generation, encoding, every INSERT).
# 3. Dumps exactly those rows with `SELECT * ... FORMAT Native` into a file
#    (the format and columns Ferry sent, `_ferry_nulls` included), then times
#    curl -X POST -T file '.../?query=INSERT INTO raw FORMAT Native'
#    into an identical empty table (CREATE TABLE raw AS ...).
# Runs alternate (ferry, raw, ferry, raw, ...) so both see the same machine
# load; before each timed run the server's background merges are awaited.
# CPU of a run = the client process (user + sys) + the server's CPU during the
# run (/proc/PID/stat of the test server). A `null` sync of the same rows
# measures row generation, taken off Ferry's CPU in the last ratio.
# Prints best-of-R wall and CPU for both, the ratios, the load average, and a
# markdown row for docs/benchmarks.md.
# Env: FERRY_BUILD_DIR (default: build, Release), FERRY_BENCH_DIR (default a temp dir),
# FERRY_SYNC_ARGS (more `ferry sync` flags for both syncs, e.g. --memory-budget 64MiB).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=5000000 REPEAT=3 BATCH="" SMOKE=0 NATIVE=0 WORKLOAD=synthetic
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --batch-size) BATCH=$2; shift 2 ;;
    --native) NATIVE=1; shift ;;
    --wide) WORKLOAD=wide; shift ;;
    --smoke) SMOKE=1 ROWS=20000 REPEAT=1; shift ;;
    *) echo "usage: $0 [--rows N] [--repeat R] [--batch-size N] [--native] [--wide] [--smoke]" >&2; exit 2 ;;
  esac
done
TABLE=test_${WORKLOAD}_table
BUILD_DIR=${FERRY_BUILD_DIR:-build}
FERRY=$BUILD_DIR/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
SYNC_ARGS=${FERRY_SYNC_ARGS:-}
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

if [ "$NATIVE" = 1 ]; then
  command -v clickhouse-client >/dev/null || { echo "--native needs clickhouse-client (Debian clickhouse-client)" >&2; exit 1; }
  CONN="clickhouse://default@127.0.0.1:$FERRY_CH_TCP_PORT/$DB"
else
  CONN="$URL/$DB"
fi
# The same source for the measured sync and the generation-only (null) sync.
source_yml() {
  cat <<YML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v4.0.0
  tables: ["$TABLE"]
  destinations: [$1]
  spec: {num_clients: 1, ${WORKLOAD}_rows: $ROWS, seed: 1}
YML
}
{ source_yml clickhouse; cat <<YML
---
kind: destination
spec:
  name: clickhouse
  path: cloudquery/clickhouse
  version: v7.0.0
  write_mode: append
  spec:
    connection_string: "$CONN"
YML
} >"$WORK/bench.yml"
{ source_yml discard; cat <<YML
---
kind: destination
spec:
  name: discard
  path: cloudquery/null
  version: v1.0.0
  write_mode: append
YML
} >"$WORK/gen.yml"
# The destination's defaults (batch_size 1000000, batch_size_bytes 128MiB) unless asked.
[ -z "$BATCH" ] || printf '    batch_size: %s\n' "$BATCH" >>"$WORK/bench.yml"
[ -z "${BATCH_BYTES:-}" ] || printf '    batch_size_bytes: %s\n' "$BATCH_BYTES" >>"$WORK/bench.yml"

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }   # float arithmetic without bc
min() { if [ -z "$1" ] || [ "$(calc "($2 < $1) ? 1 : 0")" = 1 ]; then echo "$2"; else echo "$1"; fi; }
CLK=$(getconf CLK_TCK)
server_cpu() { awk -v t="$CLK" '{ printf "%.3f", ($14 + $15 + $16 + $17) / t }' "/proc/$FERRY_CH_PID/stat"; }
# timed NAME CMD...: runs CMD (stdin from $TIMED_IN if set), sets SECS, CPU
# (client user+sys + server CPU during the run) and RSS_KB.
timed() {
  local name=$1; shift
  local c0 c1 t0 t1
  c0=$(server_cpu); t0=$(now)
  /usr/bin/time -f '%U %S %M' -o "$WORK/time" "$@" <"${TIMED_IN:-/dev/null}" >"$WORK/$name.out" 2>&1 ||
    { cat "$WORK/$name.out"; exit 1; }
  t1=$(now); c1=$(server_cpu)
  SECS=$(calc "$t1 - $t0")
  read -r u sy RSS_KB <"$WORK/time"
  CLIENT_CPU=$(calc "$u + $sy") SERVER_CPU=$(calc "$c1 - $c0")
  CPU=$(calc "$CLIENT_CPU + $SERVER_CPU")
}
best_ferry="" best_raw="" best_fcpu="" best_rcpu="" best_gen="" dumped=0 rss_max=0
for i in $(seq 1 "$REPEAT"); do
  timed gen "$FERRY" --log-level warn sync "$WORK/gen.yml" --no-progress $SYNC_ARGS
  gcpu=$CPU best_gen=$(min "$best_gen" "$CPU")
  q "DROP TABLE IF EXISTS $DB.$TABLE"
  settle
  timed ferry "$FERRY" --log-level warn sync "$WORK/bench.yml" --no-progress $SYNC_ARGS
  s=$SECS fcpu=$CPU rss=$RSS_KB fsplit="client $CLIENT_CPU + server $SERVER_CPU"
  best_ferry=$(min "$best_ferry" "$s"); best_fcpu=$(min "$best_fcpu" "$fcpu")
  [ "$rss" -gt "$rss_max" ] && rss_max=$rss
  rows=$(q "SELECT count() FROM $DB.$TABLE")
  [ "$rows" = "$ROWS" ] || { echo "ferry wrote $rows rows, want $ROWS" >&2; exit 1; }
  if [ "$dumped" = 0 ]; then
    curl -sS --fail "$URL/?query=SELECT+*+FROM+$DB.$TABLE+FORMAT+Native" -o "$WORK/rows.native"
    dumped=1
  fi
  q "DROP TABLE IF EXISTS $DB.raw"
  q "CREATE TABLE $DB.raw AS $DB.$TABLE"
  settle
  if [ "$NATIVE" = 1 ]; then
    TIMED_IN="$WORK/rows.native" timed raw clickhouse-client --host 127.0.0.1 --port "$FERRY_CH_TCP_PORT" \
      --query "INSERT INTO $DB.raw FORMAT Native"
  else
    # -T streams the file (--data-binary would read it into memory first, and
    # runs out of memory on big dumps).
    timed raw curl -sS --fail-with-body -X POST -T "$WORK/rows.native" "$URL/?query=INSERT+INTO+$DB.raw+FORMAT+Native"
  fi
  r=$SECS rcpu=$CPU rsplit="client $CLIENT_CPU + server $SERVER_CPU"
  best_raw=$(min "$best_raw" "$r"); best_rcpu=$(min "$best_rcpu" "$rcpu")
  copied=$(q "SELECT count() FROM $DB.raw")
  [ "$copied" = "$ROWS" ] || { echo "raw insert wrote $copied rows, want $ROWS" >&2; exit 1; }
  echo "run $i: ferry ${s}s cpu ${fcpu}s ($fsplit; peak RSS $((rss / 1024)) MiB), raw ${r}s cpu ${rcpu}s ($rsplit), generation cpu ${gcpu}s" >&2
done

ferry_rps=$(calc "$ROWS / $best_ferry")
raw_rps=$(calc "$ROWS / $best_raw")
ratio=$(calc "$ferry_rps / $raw_rps")
cpu_ratio=$(calc "$best_rcpu / $best_fcpu")
nogen=$(calc "$best_fcpu - $best_gen"); [ "$(calc "($nogen > 0.001) ? 1 : 0")" = 1 ] || nogen=0.001
cpu_ratio_nogen=$(calc "$best_rcpu / $nogen")
if [ "$NATIVE" = 1 ]; then proto=native raw_name='clickhouse-client INSERT FORMAT Native (from file)'
else proto=http raw_name='curl INSERT FORMAT Native (from file)'; fi
cols=$(q "SELECT count() FROM system.columns WHERE database = '$DB' AND table = 'raw'")
printf 'server: ClickHouse %s on %s; load average %s\n' "$FERRY_CH_VERSION" "$URL" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'rows: %d (%s, %d columns; Native dump %s), batch_size %s, batch_size_bytes %s, best of %d\n' \
  "$ROWS" "$TABLE" "$cols" "$(du -h "$WORK/rows.native" | cut -f1)" "${BATCH:-default}" "${BATCH_BYTES:-default}" "$REPEAT"
printf 'ferry sync (append, Native over %s): %.3f s  %.0f rows/s  cpu %.2f s (client + server; generation %.2f s)\n' \
  "$proto" "$best_ferry" "$ferry_rps" "$best_fcpu" "$best_gen"
printf '%s: %.3f s  %.0f rows/s  cpu %.2f s\n' "$raw_name" "$best_raw" "$raw_rps" "$best_rcpu"
printf 'ratio ferry / raw: %.2f wall, %.2f cpu, %.2f cpu less generation\n' "$ratio" "$cpu_ratio" "$cpu_ratio_nogen"
printf '| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d MiB | %s |\n' \
  "$proto" "$WORKLOAD" "$ROWS" "$best_ferry" "$best_raw" "$ratio" "$best_fcpu" "$best_gen" "$best_rcpu" "$cpu_ratio" \
  "$cpu_ratio_nogen" "$((rss_max / 1024))" "$(cut -d' ' -f1 /proc/loadavg)"
q "DROP DATABASE IF EXISTS $DB"
[ "$SMOKE" = 0 ] || echo "smoke run: figures are not meaningful at this size" >&2
