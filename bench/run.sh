#!/usr/bin/env bash
# Ferry's benchmark suite: one command, side-by-side measurements in one run.
#
#   bench/run.sh              full run (~8 min on 2 cores): writes docs/benchmarks.md and docs/img/*.png
#   bench/run.sh --skip-50m   the same without the 50M-row point of the scale series
#   bench/run.sh --no-servers skip PostgreSQL and ClickHouse
#   bench/run.sh --smoke      tiny sizes, writes nothing under docs/ (run by the test suite so it cannot rot)
#
# Workloads come from the `test` source: test_synthetic_table (10 narrow mixed
# columns incl. a list and a json column), test_wide_table (25 columns of
# strings, JSON documents and lists) and test_incremental_table. Every Ferry
# figure is measured next to the destination's raw bulk path on the same rows:
#   sqlite      sqlite3 .import of the rows Ferry wrote, as CSV
#   postgresql  psql \copy FROM of the rows Ferry wrote, as COPY text
#   clickhouse  curl POST INSERT ... FORMAT Native of the rows Ferry wrote, in
#               the Native bytes ClickHouse returns for SELECT * (Ferry's format)
# PostgreSQL and ClickHouse are the throwaway servers of scripts/test-servers.sh,
# started in their own state dir and stopped at the end; when a server is not
# installed its scenarios are skipped (and the table says so).
#
# Timing never fails the run; flat memory does: if peak RSS grows with the row
# count (scale series, see check_flat) the script exits 1 and says so.
# Env: FERRY_BUILD_DIR (smoke: default build; full run: build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SMOKE=0 SKIP50=0 SERVERS=1
for a in "$@"; do
  case "$a" in
    --smoke) SMOKE=1 ;;
    --skip-50m) SKIP50=1 ;;
    --no-servers) SERVERS=0 ;;
    *) echo "usage: $0 [--smoke] [--skip-50m] [--no-servers]" >&2; exit 2 ;;
  esac
done

# The scale series runs with a small memory budget so that it is spent from
# 1M rows on: from there, peak RSS must not grow with the row count.
SCALE_BUDGET_MIB=64
if [ "$SMOKE" = 1 ]; then
  BUILD=${FERRY_BUILD_DIR:-build}
  SIZES_SQLITE="2000 20000"; SIZES_NULL="2000 20000 50000"; ENGINE_ROWS=20000; INC_ROWS=5000
  SIZES_SERVER="3000"; WIDE_ROWS=2000; FLAT_FROM=2000; GRPC_ROWS=20000; GRPC_WIDE_ROWS=2000
  OUT_MD=$(mktemp); IMG_DIR=$(mktemp -d)
else
  BUILD=${FERRY_BUILD_DIR:-build-bench}
  SIZES_SQLITE="100000 1000000 10000000"; SIZES_NULL="100000 1000000 10000000 50000000"
  [ "$SKIP50" = 1 ] && SIZES_NULL="100000 1000000 10000000"
  ENGINE_ROWS=10000000; INC_ROWS=1000000
  SIZES_SERVER="1000000 10000000"; WIDE_ROWS=1000000; FLAT_FROM=1000000; GRPC_ROWS=1000000; GRPC_WIDE_ROWS=200000
  OUT_MD=docs/benchmarks.md; IMG_DIR=docs/img
  command -v gnuplot >/dev/null || { echo "bench: installing gnuplot-nox"; apt-get install -y -qq gnuplot-nox >/dev/null; }
  case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFERRY_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$BUILD" --target ferry >/dev/null
fi
case "$BUILD" in /*) FERRY="$BUILD/ferry" ;; *) FERRY="$ROOT/$BUILD/ferry" ;; esac
[ -x "$FERRY" ] || { echo "bench: $FERRY not built" >&2; exit 1; }
mkdir -p "$IMG_DIR"
W=$(mktemp -d /tmp/ferry-bench.XXXXXX)
RESULTS="$W/results.tsv"   # name rows seconds user sys rss_kb bytes server_cpu_s load1
: > "$RESULTS"
T0=$(date +%s)

# ---- servers ----
# Own state dir: test runs cannot stop a server mid-measure, and we never stop theirs.
SRV_TMP=""
if [ "$SMOKE" = 1 ]; then
  SRV_TMP=$(mktemp -d /tmp/ferry-bench-servers.XXXXXX); chmod 755 "$SRV_TMP"   # the postgres user must reach it
  export FERRY_TEST_SERVERS_DIR="$SRV_TMP"
else export FERRY_TEST_SERVERS_DIR=${FERRY_BENCH_SERVERS_DIR:-/tmp/ferry-bench-servers}; fi
PG=0 CH=0 PG_STARTED=0 CH_STARTED=0 PG_NOTE="" CH_NOTE=""
cleanup() {
  [ "$PG_STARTED" = 1 ] && bash scripts/test-servers.sh stop postgres >/dev/null 2>&1
  [ "$CH_STARTED" = 1 ] && bash scripts/test-servers.sh stop clickhouse >/dev/null 2>&1
  rm -rf "$W"
  [ -z "$SRV_TMP" ] || rm -rf "$SRV_TMP"
}
trap cleanup EXIT
# start_server postgres|clickhouse: 0 started (env evaluated), 3 not installed; anything else fails the run.
start_server() {
  local name=$1 rc=0 running=0
  bash scripts/test-servers.sh env "$name" >/dev/null 2>&1 && running=1
  bash scripts/test-servers.sh start "$name" > "$W/$name.env" 2> "$W/$name.log" || rc=$?
  if [ "$rc" = 3 ]; then return 3; fi
  if [ "$rc" != 0 ]; then cat "$W/$name.log" >&2; echo "bench: could not start $name" >&2; exit 1; fi
  eval "$(cat "$W/$name.env")"
  if [ "$running" = 0 ]; then
    if [ "$name" = postgres ]; then PG_STARTED=1; else CH_STARTED=1; fi
  fi
  return 0
}
if [ "$SERVERS" = 1 ]; then
  rc=0; start_server postgres || rc=$?
  if [ "$rc" = 0 ]; then PG=1; else PG_NOTE="PostgreSQL is not installed (scripts/install-test-servers.sh)"; echo "bench: SKIPPING PostgreSQL: $PG_NOTE" >&2; fi
  rc=0; start_server clickhouse || rc=$?
  if [ "$rc" = 0 ]; then CH=1; else CH_NOTE="clickhouse-server is not installed (scripts/install-test-servers.sh)"; echo "bench: SKIPPING ClickHouse: $CH_NOTE" >&2; fi
else
  PG_NOTE="skipped (--no-servers)"; CH_NOTE="skipped (--no-servers)"
fi

# ---- measurement ----
CLK=$(getconf CLK_TCK)
# CPU seconds of a process, its threads and its reaped children (PostgreSQL's
# backends are children of the postmaster and are reaped when they exit).
proc_cpu() { [ "$1" = - ] && { echo 0; return; }; awk -v t="$CLK" '{ printf "%.2f", ($14 + $15 + $16 + $17) / t }' "/proc/$1/stat"; }

# measure NAME ROWS BYTES SERVER_PID -- command...   (appends one line to $RESULTS)
measure() {
  local name=$1 rows=$2 bytes=$3 spid=$4; shift 5
  local load c0 c1
  load=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(proc_cpu "$spid")
  /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" > "$W/out" 2>&1 || { cat "$W/out"; echo "bench: $name failed" >&2; exit 1; }
  [ "$spid" = - ] || sleep 0.3   # let the postmaster reap the backends
  c1=$(proc_cpu "$spid")
  read -r secs user sys rss < "$W/time"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rows" "$secs" "$user" "$sys" "$rss" "$bytes" \
    "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')" "$load" >> "$RESULTS"
  echo "  $name rows=$rows time=${secs}s cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')s rss=${rss}KB load=$load"
}
# set_bytes NAME ROWS BYTES: the raw format's size of the rows, for MB/s.
set_bytes() { awk -F'\t' -v OFS='\t' -v n="$1" -v r="$2" -v b="$3" '$1==n && $2==r { $7=b } 1' "$RESULTS" > "$W/r.tmp" && mv "$W/r.tmp" "$RESULTS"; }

spec() {  # spec FILE TABLE ROWS DEST_PATH [DEST_SPEC_LINES] [SOURCE_EXTRA_LINES]
  local file=$1 table=$2 rows=$3 dest=$4 dspec=${5:-} sextra=${6:-}
  local opt=synthetic_rows
  [ "$table" = test_incremental_table ] && opt=incremental_rows
  [ "$table" = test_wide_table ] && opt=wide_rows
  cat > "$file" <<YAML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v1.0.0
  tables: [$table]
  destinations: [out]
$sextra
  spec:
    num_clients: 1
    $opt: $rows
    checkpoint_every: 10000
---
kind: destination
spec:
  name: out
  path: $dest
  version: v1.0.0
  write_mode: append
  spec:
$dspec
YAML
}
BATCH10K="    batch_size: 10000"
SCALE_FLAGS=(--memory-budget "${SCALE_BUDGET_MIB}MiB")

# sqlite_run KEY TABLE ROWS [ferry flags...]: Ferry into a fresh file, then .import of the same rows as CSV.
sqlite_run() {
  local key=$1 table=$2 n=$3; shift 3
  rm -f "$W/f.sqlite"* "$W/raw.sqlite"*
  spec "$W/sqlite.yml" "$table" "$n" cloudquery/sqlite "$BATCH10K
    connection_string: $W/f.sqlite"
  measure "$key" "$n" 0 - -- "$FERRY" sync "$W/sqlite.yml" --no-progress "$@"
  sqlite3 -csv "$W/f.sqlite" "select * from $table" > "$W/data.csv"
  local bytes; bytes=$(stat -c %s "$W/data.csv")
  set_bytes "$key" "$n" "$bytes"
  sqlite3 "$W/f.sqlite" "select sql from sqlite_master where name='$table'" > "$W/ddl.sql"
  sqlite3 "$W/raw.sqlite" < "$W/ddl.sql"
  measure "${key}_raw" "$n" "$bytes" - -- sqlite3 "$W/raw.sqlite" -cmd "PRAGMA journal_mode=WAL" -cmd "PRAGMA synchronous=NORMAL" ".import --csv $W/data.csv $table"
  local got; got=$(sqlite3 "$W/raw.sqlite" "select count(*) from $table")
  [ "$got" = "$n" ] || { echo "bench: .import loaded $got rows, expected $n" >&2; exit 1; }
  rm -f "$W/data.csv" "$W/f.sqlite"* "$W/raw.sqlite"*
}

# pg_run KEY TABLE ROWS: Ferry (binary COPY, append) into a fresh table, then psql \copy of the same rows (text).
PSQL=()
pg_run() {
  local key=$1 table=$2 n=$3
  "${PSQL[@]}" -c "DROP TABLE IF EXISTS $table" -c "DROP TABLE IF EXISTS copy_target"
  spec "$W/pg.yml" "$table" "$n" cloudquery/postgresql \
    "    connection_string: \"host=$FERRY_PG_HOST port=$FERRY_PG_PORT user=$FERRY_PG_USER dbname=ferry_bench\""
  measure "$key" "$n" 0 "$FERRY_PG_PID" -- "$FERRY" sync "$W/pg.yml" --no-progress
  local got; got=$("${PSQL[@]}" -tAc "SELECT count(*) FROM $table")
  [ "$got" = "$n" ] || { echo "bench: ferry wrote $got rows into PostgreSQL, expected $n" >&2; exit 1; }
  "${PSQL[@]}" -c "\\copy $table TO '$W/pg.txt'"
  local bytes; bytes=$(stat -c %s "$W/pg.txt")
  set_bytes "$key" "$n" "$bytes"
  "${PSQL[@]}" -c "CREATE TABLE copy_target (LIKE $table INCLUDING ALL)" -c CHECKPOINT
  measure "${key}_raw" "$n" "$bytes" "$FERRY_PG_PID" -- "${PSQL[@]}" -c "\\copy copy_target FROM '$W/pg.txt'"
  got=$("${PSQL[@]}" -tAc "SELECT count(*) FROM copy_target")
  [ "$got" = "$n" ] || { echo "bench: \\copy loaded $got rows, expected $n" >&2; exit 1; }
  "${PSQL[@]}" -c "DROP TABLE $table" -c "DROP TABLE copy_target" -c CHECKPOINT
  rm -f "$W/pg.txt"
}

# ch_run KEY TABLE ROWS: Ferry (Native over HTTP, append, default batching) into
# a fresh table, then one curl INSERT ... FORMAT Native of the same rows.
chq() { curl -sS --fail-with-body "$FERRY_CH_URL/" --data-binary "$1"; }
ch_settle() {  # background merges of earlier parts would steal CPU from the next timed run
  for _ in $(seq 1 600); do
    [ "$(chq "SELECT count() FROM system.merges")" = 0 ] && return 0
    sleep 0.1
  done
}
ch_run() {
  local key=$1 table=$2 n=$3
  chq "DROP TABLE IF EXISTS ferry_bench.$table"; chq "DROP TABLE IF EXISTS ferry_bench.raw"
  ch_settle
  spec "$W/ch.yml" "$table" "$n" cloudquery/clickhouse "    connection_string: \"$FERRY_CH_URL/ferry_bench\""
  measure "$key" "$n" 0 "$FERRY_CH_PID" -- "$FERRY" sync "$W/ch.yml" --no-progress
  local got; got=$(chq "SELECT count() FROM ferry_bench.$table")
  [ "$got" = "$n" ] || { echo "bench: ferry wrote $got rows into ClickHouse, expected $n" >&2; exit 1; }
  curl -sS --fail "$FERRY_CH_URL/?query=SELECT+*+FROM+ferry_bench.$table+FORMAT+Native" -o "$W/ch.native"
  local bytes; bytes=$(stat -c %s "$W/ch.native")
  set_bytes "$key" "$n" "$bytes"
  chq "CREATE TABLE ferry_bench.raw AS ferry_bench.$table"
  ch_settle
  # -T streams the file (--data-binary @file reads it into memory first and runs out of it at 10M rows).
  measure "${key}_raw" "$n" "$bytes" "$FERRY_CH_PID" -- curl -sS --fail-with-body -H "Expect:" -X POST -T "$W/ch.native" \
    "$FERRY_CH_URL/?query=INSERT+INTO+ferry_bench.raw+FORMAT+Native"
  got=$(chq "SELECT count() FROM ferry_bench.raw")
  [ "$got" = "$n" ] || { echo "bench: raw INSERT loaded $got rows, expected $n" >&2; exit 1; }
  chq "DROP TABLE ferry_bench.$table"; chq "DROP TABLE ferry_bench.raw"
  rm -f "$W/ch.native"
}

# ---- scenarios ----
echo "== engine: test -> null on one core"
spec "$W/engine.yml" test_synthetic_table "$ENGINE_ROWS" ferry/null "$BATCH10K"
measure engine_1core "$ENGINE_ROWS" 0 - -- taskset -c 0 "$FERRY" sync "$W/engine.yml" --no-progress

echo "== scale series: test -> null (memory budget ${SCALE_BUDGET_MIB} MiB)"
for n in $SIZES_NULL; do
  spec "$W/null.yml" test_synthetic_table "$n" ferry/null "$BATCH10K"
  measure null "$n" 0 - -- "$FERRY" sync "$W/null.yml" --no-progress "${SCALE_FLAGS[@]}"
done

echo "== scale series: test -> sqlite next to sqlite3 .import (memory budget ${SCALE_BUDGET_MIB} MiB)"
for n in $SIZES_SQLITE; do sqlite_run sqlite test_synthetic_table "$n" "${SCALE_FLAGS[@]}"; done

if [ "$PG" = 1 ]; then
  echo "== test -> postgresql next to psql \\copy (PostgreSQL on 127.0.0.1:$FERRY_PG_PORT)"
  export PGOPTIONS="-c client_min_messages=warning"
  PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$FERRY_PG_HOST" -p "$FERRY_PG_PORT" -U "$FERRY_PG_USER")
  # Autovacuum would run (and be counted as server CPU) at random points after big loads.
  "${PSQL[@]}" -d postgres -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS ferry_bench WITH (FORCE)" -c "CREATE DATABASE ferry_bench"
  PSQL+=(-d ferry_bench)
  PG_VERSION=$("${PSQL[@]}" -tAc "SHOW server_version")
  for n in $SIZES_SERVER; do pg_run pg test_synthetic_table "$n"; done
fi

if [ "$CH" = 1 ]; then
  echo "== test -> clickhouse next to curl INSERT FORMAT Native ($FERRY_CH_URL)"
  chq "DROP DATABASE IF EXISTS ferry_bench"; chq "CREATE DATABASE ferry_bench"
  for n in $SIZES_SERVER; do ch_run ch test_synthetic_table "$n"; done
fi

echo "== wide table ($WIDE_ROWS rows of test_wide_table)"
spec "$W/wnull.yml" test_wide_table "$WIDE_ROWS" ferry/null "$BATCH10K"
measure null_wide "$WIDE_ROWS" 0 - -- "$FERRY" sync "$W/wnull.yml" --no-progress
sqlite_run sqlite_wide test_wide_table "$WIDE_ROWS"
[ "$PG" = 1 ] && pg_run pg_wide test_wide_table "$WIDE_ROWS"
[ "$CH" = 1 ] && ch_run ch_wide test_wide_table "$WIDE_ROWS"
CH_PROFILE=""
if [ "$CH" = 1 ] && [ "$SMOKE" = 0 ] && command -v perf >/dev/null; then
  echo "== profile of Ferry's side of wide -> clickhouse (perf, cpu-clock)"
  chq "DROP TABLE IF EXISTS ferry_bench.test_wide_table"; ch_settle
  if perf record -e cpu-clock -F 999 -o "$W/perf-ch.data" "$FERRY" sync "$W/ch.yml" --no-progress >/dev/null 2>&1; then
    perf report -i "$W/perf-ch.data" --stdio --no-children --sort symbol > "$W/perf-ch.txt" 2>/dev/null || true
    CH_PROFILE=$(grep -E '^ +[0-9]+\.[0-9]+%' "$W/perf-ch.txt" | sed -n '1,12p' | sed -E 's/ +- +- *$//; s/ +$//; s/\[\.\] //')
  fi
fi
[ "$PG" = 1 ] && "${PSQL[@]::${#PSQL[@]}-2}" -d postgres -c "DROP DATABASE IF EXISTS ferry_bench WITH (FORCE)"
[ "$CH" = 1 ] && chq "DROP DATABASE IF EXISTS ferry_bench"

echo "== incremental: full sync, then a sync with nothing new"
rm -f "$W/inc.sqlite"
spec "$W/inc.yml" test_incremental_table "$INC_ROWS" cloudquery/sqlite "$BATCH10K
    connection_string: $W/inc.sqlite" \
  "  backend_options: {table_name: cq_state_bench, connection: out}"
measure incremental_full "$INC_ROWS" 0 - -- "$FERRY" sync "$W/inc.yml" --no-progress
measure incremental_noop 0 0 - -- "$FERRY" sync "$W/inc.yml" --no-progress

echo "== protocol v3: in-process next to the same plugin served by \`ferry plugin serve\` (gRPC, unix socket)"
# serve KIND NAME SOCKET: starts a served built-in, waits for its socket; sets SERVED_PID.
serve() {
  rm -f "$3"
  "$FERRY" plugin serve "$1" "$2" --network unix --address "$3" > "$W/serve-$2.log" 2>&1 &
  SERVED_PID=$!
  for _ in $(seq 1 100); do [ -S "$3" ] && return 0; sleep 0.1; done
  cat "$W/serve-$2.log"; echo "bench: ferry plugin serve $1 $2 did not start" >&2; exit 1
}
as_grpc() { sed -i "s|^  path: $2\$|  path: unix:$3\n  registry: grpc|" "$1"; }  # FILE OLD_PATH SOCKET
serve source test "$W/src.sock"; SRC_PID=$SERVED_PID
serve destination null "$W/dst.sock"; DST_PID=$SERVED_PID
for wl in synthetic wide; do
  table=test_synthetic_table; n=$GRPC_ROWS
  [ "$wl" = wide ] && { table=test_wide_table; n=$GRPC_WIDE_ROWS; }
  spec "$W/g-in.yml" "$table" "$n" ferry/null "$BATCH10K"
  measure "grpc_${wl}_inprocess" "$n" 0 - -- "$FERRY" sync "$W/g-in.yml" --no-progress
  spec "$W/g-src.yml" "$table" "$n" ferry/null "$BATCH10K"; as_grpc "$W/g-src.yml" cloudquery/test "$W/src.sock"
  measure "grpc_${wl}_source" "$n" 0 "$SRC_PID" -- "$FERRY" sync "$W/g-src.yml" --no-progress
  spec "$W/g-dst.yml" "$table" "$n" "unix:$W/dst.sock" "$BATCH10K"; as_grpc "$W/g-dst.yml" "unix:$W/dst.sock" "$W/dst.sock"
  measure "grpc_${wl}_destination" "$n" 0 "$DST_PID" -- "$FERRY" sync "$W/g-dst.yml" --no-progress
done
kill -INT "$SRC_PID" "$DST_PID"; wait "$SRC_PID" "$DST_PID" 2>/dev/null || true

PROFILE=""
if [ "$SMOKE" = 0 ] && command -v perf >/dev/null; then
  echo "== profile of the engine run (perf, cpu-clock)"
  if perf record -e cpu-clock -F 999 -g -o "$W/perf.data" taskset -c 0 "$FERRY" sync "$W/engine.yml" --no-progress >/dev/null 2>&1; then
    perf report -i "$W/perf.data" --stdio --no-children --sort symbol > "$W/perf.txt" 2>/dev/null || true
    PROFILE=$(grep -E '^ +[0-9]+\.[0-9]+%' "$W/perf.txt" | sed -n '1,15p' | sed -E 's/ +- +- *$//; s/ +$//; s/\[\.\] //')
  fi
fi
ELAPSED=$(( $(date +%s) - T0 ))

# ---- analysis ----
get() { awk -F'\t' -v n="$1" -v r="$2" '$1==n && $2==r {print $'"$3"'}' "$RESULTS"; }
rate() { awk -v r="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.01; printf "%.0f", r / s }'; }
cpu_of() { awk -v u="$(get "$1" "$2" 4)" -v s="$(get "$1" "$2" 5)" -v c="$(get "$1" "$2" 8)" 'BEGIN { printf "%.2f", u + s + c }'; }

# Memory must stay flat. check_flat NAME "rows rss_kb rows rss_kb ..." FROM:
# fails when a point with rows > FROM has a peak RSS above 1.25x the RSS at
# FROM rows + 16 MiB (a leak of one byte a row shows at 50M rows), or any
# point is above the memory budget + 128 MiB (not in a sanitizer build,
# FERRY_SANITIZED=1: AddressSanitizer's shadow memory is in the RSS).
fail=0
check_flat() {
  local name=$1 series=$2 from=$3 budget_kb=$(( SCALE_BUDGET_MIB * 1024 ))
  awk -v name="$name" -v from="$from" -v budget="$budget_kb" -v sanitized="${FERRY_SANITIZED:-0}" '
    BEGIN { bad = 0 }
    { for (i = 1; i < NF; i += 2) { n[++k] = $i; r[k] = $(i + 1); if ($i == from) ref = $(i + 1) } }
    END {
      if (ref == "") { printf "bench: check_flat %s: no point at %s rows\n", name, from > "/dev/stderr"; exit 1 }
      for (i = 1; i <= k; i++) {
        if (n[i] > from && r[i] > 1.25 * ref + 16384) {
          printf "bench: MEMORY GROWS WITH ROWS for %s: %d KB at %d rows, %d KB at %d rows (limit %d KB)\n", name, ref, from, r[i], n[i], 1.25 * ref + 16384 > "/dev/stderr"; bad = 1
        }
        if (sanitized != "1" && r[i] > budget + 131072) {
          printf "bench: MEMORY ABOVE BUDGET for %s: %d KB at %d rows (budget %d KB + 128 MiB)\n", name, r[i], n[i], budget > "/dev/stderr"; bad = 1
        }
      }
      exit bad
    }' <<< "$series"
}
series_of() { local out=""; for n in $2; do out="$out $n $(get "$1" "$n" 6)"; done; echo "$out"; }
# The check must be able to fail: a series that grows by 1 byte a row from 1M to 50M rows, and one over budget.
# (The budget case only where the budget is checked: not in a sanitizer build.)
if check_flat selftest "1000000 20000 10000000 30000 50000000 70000" 1000000 2>/dev/null ||
   { [ "${FERRY_SANITIZED:-0}" != 1 ] && check_flat selftest "1000000 200000 10000000 200000" 1000000 2>/dev/null; } ||
   ! check_flat selftest "1000000 100000 10000000 110000 50000000 120000" 1000000 2>/dev/null; then
  echo "bench: check_flat self-test failed (it would not catch growth)" >&2; exit 1
fi
check_flat null "$(series_of null "$SIZES_NULL")" "$FLAT_FROM" || fail=1
check_flat sqlite "$(series_of sqlite "$SIZES_SQLITE")" "$FLAT_FROM" || fail=1

fmt_int() { echo "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }
mib() { echo "$(( ($1 + 512) / 1024 )) MiB"; }
RATIOS="$W/ratios.tsv"; : > "$RATIOS"
# row DEST WORKLOAD KEY ROWS RAWNAME [GEN_KEY]
# GEN_KEY: the null run of the same workload and rows, whose CPU (row
# generation + engine) is taken off Ferry's CPU for the last ratio.
row() {
  local dest=$1 wl=$2 key=$3 n=$4 rawname=$5 gkey=${6:-}
  local fs b fr mbs fc fcr
  fs=$(get "$key" "$n" 3); [ -n "$fs" ] || return 0
  b=$(get "$key" "$n" 7); fr=$(rate "$n" "$fs"); fc=$(cpu_of "$key" "$n"); fcr=$(rate "$n" "$fc")
  if [ "${b:-0}" -gt 0 ]; then mbs=$(awk -v b="$b" -v s="$fs" 'BEGIN{ if (s <= 0) s = 0.01; printf "%.1f", b / 1e6 / s }'); else mbs="n/a"; fi
  local rs rr rc rcr wr cr ncr
  rs=$(get "${key}_raw" "$n" 3)
  if [ -n "$rs" ]; then
    rr=$(rate "$n" "$rs"); rc=$(cpu_of "${key}_raw" "$n"); rcr=$(rate "$n" "$rc")
    wr=$(awk -v a="$fr" -v b="$rr" 'BEGIN{printf "%.2f", a / b}')
    cr=$(awk -v a="$fcr" -v b="$rcr" 'BEGIN{printf "%.2f", a / b}')
    local gc=""; [ -n "$gkey" ] && [ -n "$(get "$gkey" "$n" 3)" ] && gc=$(cpu_of "$gkey" "$n")
    if [ -n "$gc" ]; then ncr=$(awk -v f="$fc" -v g="$gc" -v r="$rc" 'BEGIN{ d = f - g; if (d < 0.01) d = 0.01; printf "%.2f", r / d }'); else ncr="n/a"; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$dest" "${wl%% (*}" "$n" "$wr" "$cr" "$ncr" >> "$RATIOS"
    [ "$(awk -v r="$wr" 'BEGIN{print (r < 0.9)}')" = 1 ] && wr="**$wr**"
    [ "$(awk -v r="$cr" 'BEGIN{print (r < 0.9)}')" = 1 ] && cr="**$cr**"
    [ "$ncr" != n/a ] && [ "$(awk -v r="$ncr" 'BEGIN{print (r < 0.9)}')" = 1 ] && ncr="**$ncr**"
    rr=$(fmt_int "$rr"); rcr=$(fmt_int "$rcr")
  else
    rawname="n/a"; rr="n/a"; rcr="n/a"; wr="n/a"; cr="n/a"; rc="n/a"; ncr="n/a"
  fi
  echo "| $dest | $wl | $(fmt_int "$n") | $(fmt_int "$fr") | $mbs | $(mib "$(get "$key" "$n" 6)") | $fc | $(fmt_int "$fcr") | $rawname | $rr | $rc | $rcr | $wr | $cr | $ncr | $(get "$key" "$n" 9) |"
}
{
  echo "| destination | workload | rows | Ferry rows/s | Ferry MB/s | Ferry peak RSS | Ferry CPU s | Ferry rows/CPU-s | raw bulk path | raw rows/s | raw CPU s | raw rows/CPU-s | Ferry / raw (wall) | Ferry / raw (CPU) | Ferry / raw (CPU, less generation) | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for n in $SIZES_NULL; do row null "synthetic (budget ${SCALE_BUDGET_MIB} MiB)" null "$n" -; done
  row "null, one core" synthetic engine_1core "$ENGINE_ROWS" -
  row null wide null_wide "$WIDE_ROWS" -
  for n in $SIZES_SQLITE; do row sqlite "synthetic (budget ${SCALE_BUDGET_MIB} MiB)" sqlite "$n" '`sqlite3 .import` (CSV)' null; done
  row sqlite wide sqlite_wide "$WIDE_ROWS" '`sqlite3 .import` (CSV)' null_wide
  if [ "$PG" = 1 ]; then
    for n in $SIZES_SERVER; do row postgresql synthetic pg "$n" '`psql \copy` (text)' null; done
    row postgresql wide pg_wide "$WIDE_ROWS" '`psql \copy` (text)' null_wide
  else
    echo "| postgresql | | | not run: $PG_NOTE | | | | | | | | | | | | |"
  fi
  if [ "$CH" = 1 ]; then
    for n in $SIZES_SERVER; do row clickhouse synthetic ch "$n" '`curl` INSERT FORMAT Native' null; done
    row clickhouse wide ch_wide "$WIDE_ROWS" '`curl` INSERT FORMAT Native' null_wide
  else
    echo "| clickhouse | | | not run: $CH_NOTE | | | | | | | | | | | | |"
  fi
} > "$W/table.md"

inc_full=$(get incremental_full "$INC_ROWS" 3); inc_noop=$(get incremental_noop 0 3)
inc_frac=$(awk -v a="$inc_noop" -v b="$inc_full" 'BEGIN{printf "%.2f", 100*a/b}')
LOAD_RANGE=$(awk -F'\t' 'NR==1{mn=$9; mx=$9} {if ($9<mn) mn=$9; if ($9>mx) mx=$9} END{printf "%s to %s", mn, mx}' "$RESULTS")
BELOW=$(awk -F'\t' '$4 < 0.9 { printf "%s%s %s (%s rows): %s wall, %s CPU, %s CPU less generation", sep, $1, $2, $3, $4, $5, $6; sep="; " }' "$RATIOS")

# ---- plots ----
if [ "$SMOKE" = 0 ] && command -v gnuplot >/dev/null; then
  for n in $SIZES_NULL; do echo "$n $(get null "$n" 6)"; done > "$W/rss_null.dat"
  for n in $SIZES_SQLITE; do echo "$n $(get sqlite "$n" 6)"; done > "$W/rss_sqlite.dat"
  gnuplot <<GP
set terminal png size 800,450
set output "$IMG_DIR/rss-vs-rows.png"
set title "Peak RSS vs rows synced (memory budget ${SCALE_BUDGET_MIB} MiB)"
set logscale x
set xlabel "rows"; set ylabel "peak RSS (MiB)"
set yrange [0:*]
set key left top
plot "$W/rss_null.dat" using 1:(\$2/1024) with linespoints title "test -> null", \
     "$W/rss_sqlite.dat" using 1:(\$2/1024) with linespoints title "test -> sqlite"
GP
  awk -F'\t' '{ gsub(/ /, "", $1); printf "\"%s %s %sM\" %s %s %s\n", $1, $2, $3 / 1e6, $4, $5, ($6 == "n/a" ? "?" : $6) }' "$RATIOS" > "$W/ratios.dat"
  gnuplot <<GP
set terminal png size 900,480
set output "$IMG_DIR/ratios.png"
set title "Ferry / raw bulk path on the same rows (1.0 = as fast; goal 0.9)"
set style data histogram; set style histogram cluster gap 1; set style fill solid 0.8
set ylabel "Ferry / raw"; set yrange [0:*]; set key left top
set xtics rotate by -30
set grid ytics
set datafile missing "?"
plot "$W/ratios.dat" using 2:xtic(1) title "wall clock", "" using 3 title "CPU time (client + server)", "" using 4 title "CPU, less row generation", 0.9 with lines lw 2 dt 2 title "goal 0.9"
GP
  rm -f "$IMG_DIR/sqlite-throughput.png"
fi

{
  cat <<'MD'
# Benchmarks

Produced by `bench/run.sh` (one command; it builds a Release binary in
`build-bench/`, starts a throwaway PostgreSQL and ClickHouse on 127.0.0.1 with
`scripts/test-servers.sh`, runs every scenario in one go, stops the servers and
rewrites this file and `docs/img/*.png`). `bench/run.sh --skip-50m` leaves out
the 50M-row point; `--no-servers` the server destinations. The test suite runs
`bench/run.sh --smoke` (every scenario at a few thousand rows, servers
included when installed) so the script cannot rot; timing never fails it.

## Method

Workloads, all from the `test` source, deterministic (one client, seed 0):

- **synthetic**: `test_synthetic_table`, 10 narrow columns (id, client_id,
  name, created_at, amount (10 % null), count, active, tags list<utf8>,
  attributes json, uuid), about 130 bytes a row as CSV.
- **wide**: `test_wide_table`, 25 columns: 9 strings (a description of 8-40
  words, url, arn ...), 3 JSON documents (an object of labels, a nested
  config object, an array of numbers), 4 lists (tags, ports as int64,
  addresses, zones), timestamps, numbers; about 1 KB a row as CSV.

Every Ferry run is one `ferry sync` process, `write_mode: append`, timed
end to end (process start, spec load, connect, migrate, row generation,
encoding, every write, commit). Each is followed, in the same run, by the
destination's own bulk path loading **the same rows** into an identical empty
table, from a file of the rows Ferry wrote:

| destination | Ferry writes | raw bulk path (baseline) |
|---|---|---|
| sqlite | multi-row INSERTs bound from the batch buffers, one transaction per batch of 10,000 | `sqlite3 .import --csv` of `SELECT *` of Ferry's table, WAL and synchronous=NORMAL as Ferry uses |
| postgresql | binary `COPY` straight into the table (default batching) | `psql -c "\copy t FROM file"` of `\copy t TO file` of Ferry's table (text format), into `CREATE TABLE t (LIKE ... INCLUDING ALL)` |
| clickhouse | Native format over HTTP (default batching: 1M rows / 128 MiB an INSERT) | `curl -X POST -T file '...?query=INSERT INTO raw FORMAT Native'` (streamed) of `SELECT * ... FORMAT Native` of Ferry's table, into `CREATE TABLE raw AS ...` |
| null | discards batches (engine only) | none |

Columns of the table: **rows/s** = rows / wall seconds; **MB/s** = the size
of the rows in the raw path's file format (CSV, COPY text, Native) / Ferry's
wall seconds; **peak RSS** of the Ferry process (`/usr/bin/time`); **CPU s**
= user + system CPU of the client process (Ferry, sqlite3, psql or curl)
**plus** the CPU the database server spent during the run (PostgreSQL: the
postmaster and its reaped backends, autovacuum off; ClickHouse: the server
process, background merges of earlier runs awaited first), from
`/proc/PID/stat`; **rows/CPU-s** = rows / CPU s. **Ferry / raw** is the ratio
of the rates: wall clock, and CPU time. The CPU ratio is much less sensitive
to the other jobs on a shared machine, but it charges Ferry for generating the
rows, which the raw path does not do (it reads a ready file). **Less
generation** takes the CPU of the `null` run of the same workload and row
count (row generation plus the engine, no destination) off Ferry's CPU: what
Ferry's destination path costs next to the raw path (slightly flattering:
the engine's own share is taken off too). The load average (1 min) is sampled
at the start of each Ferry run. Single runs, not best-of: compare ratios,
not absolute figures, between runs.

The PostgreSQL and ClickHouse servers are the test servers: fsync off, so
both sides measure CPU and protocol, not the disk. `bench/postgresql/run.sh`
and `bench/clickhouse/run.sh` measure the same pairs on their own (best of R).

MD
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC'); PostgreSQL ${PG_VERSION:-n/a}, ClickHouse ${FERRY_CH_VERSION:-n/a}; SQLite $(sqlite3 --version | cut -d' ' -f1)."
  echo
  echo "## Results"
  echo
  echo "Command: \`bench/run.sh\`, $(( ELAPSED / 60 )) min. Load average (1 min) during the run: **$LOAD_RANGE** on $(nproc) cores"
  echo "(other engineers' builds shared the machine; the last column gives it per run)."
  echo "Ratios below the 0.9 goal are in bold."
  echo
  cat "$W/table.md"
  echo
  echo "![Ferry / raw](img/ratios.png)"
  echo
  if [ -n "$BELOW" ]; then
    echo "Below 0.9 (wall) in this run: $BELOW. See *Discussion*."
  else
    echo "Every wall-clock ratio of this run is at 0.9 or above."
  fi
  echo
  echo "## Memory stays flat"
  echo
  echo "Every batch takes its bytes from one sync-wide budget (\`--memory-budget\`,"
  echo "default 256 MiB) and returns them when the last destination has written it;"
  echo "when the budget is spent the source blocks. Peak RSS therefore depends on the"
  echo "budget and the destination's batch size, not on the row count. The scale"
  echo "series (null and sqlite rows marked *budget ${SCALE_BUDGET_MIB} MiB* above) runs with"
  echo "\`--memory-budget ${SCALE_BUDGET_MIB}MiB\`, so the budget is spent from 1M rows on (below"
  echo "that, all rows fit in it and RSS rises with them). The script **fails**"
  echo "(exit 1, \`MEMORY GROWS WITH ROWS\`) when a point above 1M rows has a peak"
  echo "RSS over 1.25x the 1M-row point + 16 MiB (a leak of one byte a row shows at"
  echo "50M rows), or any point is above the budget + 128 MiB. A self-test of that"
  echo "check (a series growing one byte a row must fail it, a flat one pass) runs"
  echo "first, in the smoke run too."
  echo
  echo "| rows | null peak RSS | sqlite peak RSS |"
  echo "|---|---|---|"
  for n in $SIZES_NULL; do
    s=$(get sqlite "$n" 6)
    echo "| $(fmt_int "$n") | $(mib "$(get null "$n" 6)") | $([ -n "$s" ] && mib "$s" || echo "not run") |"
  done
  echo
  echo "![peak RSS vs rows](img/rss-vs-rows.png)"
  echo
  echo "## Incremental sync with nothing new"
  echo
  echo "test_incremental_table, $(fmt_int "$INC_ROWS") rows into SQLite with the cursor in the same"
  echo "database: full sync ${inc_full} s; second sync with nothing new ${inc_noop} s (\`/usr/bin/time\` resolves 0.01 s), i.e. **${inc_frac}%**"
  echo "of the full sync (goal: under 1%). The second sync's cost is process start, spec"
  echo "load, migration check and reading the cursors."
  echo
  echo "## In-process next to CloudQuery protocol v3 (gRPC)"
  echo
  echo "The same sync run in one process, then with the source or the destination served by"
  echo "\`ferry plugin serve\` and reached over gRPC on a unix socket (\`registry: grpc\`): every batch"
  echo "is encoded as Arrow IPC, split under 4 MiB, sent, decoded and validated. CPU counts both"
  echo "processes. Destination: \`null\` (so the figures show the protocol's cost, not a database's)."
  echo
  echo "| workload | plugin over gRPC | rows | in-process rows/s | gRPC rows/s | gRPC / in-process (wall) | in-process CPU s | gRPC CPU s (both processes) | gRPC / in-process (CPU) | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for wl in synthetic wide; do
    n=$GRPC_ROWS; [ "$wl" = wide ] && n=$GRPC_WIDE_ROWS
    in_s=$(get "grpc_${wl}_inprocess" "$n" 3); in_c=$(cpu_of "grpc_${wl}_inprocess" "$n")
    for side in source destination; do
      k="grpc_${wl}_$side"
      g_s=$(get "$k" "$n" 3); g_c=$(cpu_of "$k" "$n")
      echo "| $wl | $side | $(fmt_int "$n") | $(fmt_int "$(rate "$n" "$in_s")") | $(fmt_int "$(rate "$n" "$g_s")") | $(awk -v a="$in_s" -v b="$g_s" 'BEGIN { if (b <= 0) b = 0.01; printf "%.2f", a / b }') | $in_c | $g_c | $(awk -v a="$in_c" -v b="$g_c" 'BEGIN { if (b <= 0) b = 0.01; printf "%.2f", a / b }') | $(get "$k" "$n" 9) |"
    done
  done
  echo
  echo "A ratio of 1.00 means the protocol costs nothing; 0.50 means the gRPC run takes twice as long."
  echo
  echo "## Where engine time goes"
  echo
  echo "\`perf record -e cpu-clock\` of the one-core engine run (test -> null, $(fmt_int "$ENGINE_ROWS") rows), top symbols:"
  echo
  echo '```'
  echo "${PROFILE:-(perf not available)}"
  echo '```'
  echo
  if [ -n "$CH_PROFILE" ]; then
    echo "\`perf record -e cpu-clock\` of Ferry's process during wide -> clickhouse ($(fmt_int "$WIDE_ROWS") rows; the server is not in it):"
    echo
    echo '```'
    echo "$CH_PROFILE"
    echo '```'
    echo
  fi
  # Pairs measured by their own scripts (bench/<name>/run.sh), kept with
  # the script that measured them: their figures and the command.
  for section in bench/*/section.md; do
    [ -f "$section" ] && { cat "$section"; echo; }
  done
  if [ -f bench/discussion.md ]; then cat bench/discussion.md; fi
} > "$OUT_MD"

if [ "$SMOKE" = 1 ]; then
  grep -q '^| postgresql | synthetic' "$OUT_MD" || [ "$PG" = 0 ] || { echo "bench smoke: no postgresql row" >&2; exit 1; }
  grep -q '^| clickhouse | synthetic' "$OUT_MD" || [ "$CH" = 0 ] || { echo "bench smoke: no clickhouse row" >&2; exit 1; }
  echo "bench smoke: $(wc -l < "$RESULTS") measurements in ${ELAPSED}s (postgresql: $([ "$PG" = 1 ] && echo yes || echo "no, $PG_NOTE"), clickhouse: $([ "$CH" = 1 ] && echo yes || echo "no, $CH_NOTE")), incremental no-op ${inc_frac}% of full"
  [ -z "${FERRY_BENCH_SMOKE_MD:-}" ] || cp "$OUT_MD" "$FERRY_BENCH_SMOKE_MD"   # to look at the rendering
  rm -rf "$OUT_MD" "$IMG_DIR"
  [ "$fail" = 0 ] || exit 1
  echo "1 passed, 0 failed"
  exit 0
fi
cp "$RESULTS" "$W/../ferry-bench-results-$(date -u +%Y%m%dT%H%M%S).tsv" 2>/dev/null || true
[ "$fail" = 0 ] || exit 1
echo "bench: wrote $OUT_MD"
