#!/usr/bin/env bash
# Ferry -> Neo4j next to Neo4j's own Python driver running the same
# statements, with the same batch size, on the same rows, in one run.
#
#   bench/neo4j/run.sh [--rows "100000 1000000"] [--repeat R] [--smoke]
#
# 1. Starts (or reuses) the Neo4j 5.26 test server with scripts/test-servers.sh
#    in its own state dir (FERRY_TEST_SERVERS_DIR, default
#    /tmp/ferry-bench-servers), so test runs cannot stop it mid-measure; stops
#    it at the end if it started it. --smoke: tiny sizes and a server of its
#    own in a temporary dir (the test suite runs it; timing never fails it).
# 2. Ferry: `ferry sync` of N rows of the `test` source's test_synthetic_table
#    (num_clients 1) into Neo4j, write_mode overwrite, batch_size 5000, under
#    a label prefix of its own (so MERGE always creates): one transaction per
#    5000 rows running
#      UNWIND $rows AS row MERGE (t:`<label>` {`id`: row.`id`}) SET t = row
#    under the uniqueness constraint `_cq_index_<label>` its migration makes.
#    Timed end to end under /usr/bin/time -v (process start, spec load,
#    connect, migrate, row generation, encoding, every commit): wall,
#    user+sys CPU, peak RSS; and the CPU the Neo4j JVM spent meanwhile
#    (/proc/PID/stat).
# 3. Raw (bench/neo4j/raw.py, Neo4j's Python driver 6.4.1 from
#    tests/peers/python/.venv): reads exactly the nodes Ferry wrote back
#    (MATCH (n) RETURN properties(n), streamed) and keeps them in memory as the
#    driver returned them (DateTime etc. as its own objects, so the same
#    property types are written), creates the same uniqueness constraint on a
#    fresh label, then times ONLY the writes: for each chunk of 5000 rows one
#    session.execute_write running the same statement. Its wall time, its
#    process CPU and the JVM's CPU during the writes; the Python process's peak
#    RSS (it holds all N rows: that is most of it) separately.
#    Ferry's figure includes generating the rows; the raw one excludes reading
#    them back.
# 4. Checks that both labels hold N nodes with N distinct ids and the same
#    property types (a sample's valueType()); fails the script otherwise.
#    Then deletes both labels' nodes (CALL ... IN TRANSACTIONS) and
#    constraints, so the store does not grow across runs.
# Runs alternate (ferry, raw, ferry, raw ...) so both see the same load, after
# one untimed pair of 20,000 rows (the JVM's warm-up); best of R (wall) for each. Prints a markdown table (and every run on stderr).
# Env: FERRY_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES="100000 1000000" REPEAT=1 SMOKE=0 BATCH=5000
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) SIZES=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --smoke) SMOKE=1 SIZES=3000 REPEAT=1; shift ;;
    *) echo "usage: $0 [--rows \"N ...\"] [--repeat R] [--smoke]" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${FERRY_BUILD_DIR:-build}
FERRY=$(cd "$BUILD_DIR" && pwd)/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
PY=$(pwd)/tests/peers/python/.venv/bin/python
RAW=$(pwd)/bench/neo4j/raw.py
"$PY" -c "import neo4j" 2>/dev/null ||
  { echo "no Python driver for Neo4j in $PY: bash scripts/install-test-peers.sh (tests/peers/python)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ferry-neo4j-bench.XXXXXX)
# Smoke runs (the test suite) get a server of their own, stopped at the end.
SRV_TMP=""
if [ "$SMOKE" = 1 ]; then SRV_TMP=$(mktemp -d /tmp/ferry-neo4j-bench-servers.XXXXXX); export FERRY_TEST_SERVERS_DIR=$SRV_TMP; fi
export FERRY_TEST_SERVERS_DIR=${FERRY_TEST_SERVERS_DIR:-/tmp/ferry-bench-servers}
started=0
if ! bash scripts/test-servers.sh env neo4j >/dev/null 2>&1; then started=1; fi
rc=0
bash scripts/test-servers.sh start neo4j >"$WORK/neo4j.env" || rc=$?
if [ "$rc" != 0 ]; then
  [ "$rc" = 3 ] && echo "Neo4j is not installed: bash scripts/install-test-servers.sh neo4j" >&2
  [ -z "$SRV_TMP" ] || { bash scripts/test-servers.sh stop neo4j >/dev/null 2>&1 || true; rm -rf "$SRV_TMP"; }
  rm -rf "$WORK"
  exit 1
fi
eval "$(cat "$WORK/neo4j.env")"
export FERRY_NEO4J_URI FERRY_NEO4J_USER FERRY_NEO4J_PASSWORD
JVM=$FERRY_NEO4J_PID
# Labels of this run start with $PREFIX; an interrupted run's are purged at the
# next start (the server dir is the benchmark's own).
PREFIX=ferrybench_
RUN=$(date +%s)
cleanup() {
  if [ "$started" = 1 ]; then
    bash scripts/test-servers.sh stop neo4j >/dev/null 2>&1 || true
  else
    "$PY" "$RAW" purge "${PREFIX}${RUN}_" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  [ -z "$SRV_TMP" ] || rm -rf "$SRV_TMP"
}
trap cleanup EXIT
"$PY" "$RAW" purge "$PREFIX"

spec() { # rows label_prefix
  cat <<YML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v4.0.0
  tables: ["test_synthetic_table"]
  destinations: [neo4j]
  spec: {num_clients: 1, synthetic_rows: $1}
---
kind: destination
spec:
  name: neo4j
  path: cloudquery/neo4j
  version: v5.0.0
  write_mode: overwrite
  spec:
    connection_string: "$FERRY_NEO4J_URI"
    username: "$FERRY_NEO4J_USER"
    password: "$FERRY_NEO4J_PASSWORD"
    label_prefix: "$2"
    batch_size: $BATCH
YML
}

CLK=$(getconf CLK_TCK)
jvm_cpu() { awk -v t="$CLK" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$JVM/stat"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
calc() { awk "BEGIN { print $* }"; }

# ferry_run N PREFIX: one line "wall user+sys rss_kb jvm_cpu load1" on stdout.
ferry_run() {
  local n=$1 prefix=$2 c0 c1 load
  spec "$n" "$prefix" >"$WORK/spec.yml"
  echo "  load before ferry: $(uptime)" >&2
  load=$(load1)
  c0=$(jvm_cpu)
  /usr/bin/time -v -o "$WORK/time.v" "$FERRY" --no-log-file --log-level warn sync "$WORK/spec.yml" --no-progress \
    >"$WORK/ferry.out" 2>&1 || { cat "$WORK/ferry.out" "$WORK/time.v" >&2; echo "ferry sync failed" >&2; exit 1; }
  c1=$(jvm_cpu)
  awk -F': ' -v c0="$c0" -v c1="$c1" -v load="$load" '
    /Elapsed \(wall clock\)/ { k = split($2, a, ":"); w = 0; for (i = 1; i <= k; i++) w = w * 60 + a[i] }
    /User time \(seconds\)/ { u = $2 }
    /System time \(seconds\)/ { s = $2 }
    /Maximum resident set size/ { m = $2 }
    END { printf "%.2f %.2f %d %.2f %s\n", w, u + s, m, c1 - c0, load }' "$WORK/time.v"
}

# raw_run FERRY_LABEL RAW_LABEL: "wall cpu peak_rss_kb jvm_cpu load1 read_s rss_loaded_kb" on stdout.
raw_run() {
  local load
  echo "  load before raw:   $(uptime)" >&2
  load=$(load1)
  "$PY" "$RAW" write "$1" "$2" "$BATCH" "$JVM" >"$WORK/raw.json" || { echo "raw write failed" >&2; exit 1; }
  jq -r --arg load "$load" '"\(.write_s) \(.write_cpu_s) \(.peak_rss_kb) \(.server_cpu_s) \($load) \(.read_s) \(.rss_loaded_kb)"' "$WORK/raw.json"
}

best() { sort -n -k1,1 | head -1; }   # the run with the least wall time

echo "| rows | Ferry s | raw s | Ferry / raw (throughput) | Ferry rows/s | raw rows/s | Ferry peak RSS | raw peak RSS | Ferry CPU s | raw CPU s | Neo4j CPU s (Ferry) | Neo4j CPU s (raw) | load avg (Ferry, raw) |" >"$WORK/table"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|" >>"$WORK/table"
T0=$(date +%s)
# One untimed pair first: a fresh server's JVM compiles the write path during
# its first ~100k rows, which would otherwise be charged to the first run.
w=20000
for n in $SIZES; do [ "$n" -lt "$w" ] && w=$n; done
echo "== warm-up, untimed: $w rows each way" >&2
ferry_run "$w" "${PREFIX}${RUN}_warmup_ferry_" >/dev/null
raw_run "${PREFIX}${RUN}_warmup_ferry_test_synthetic_table" "${PREFIX}${RUN}_warmup_raw_test_synthetic_table" >/dev/null
"$PY" "$RAW" drop "${PREFIX}${RUN}_warmup_ferry_test_synthetic_table" "${PREFIX}${RUN}_warmup_raw_test_synthetic_table"
for n in $SIZES; do
  : >"$WORK/ferry.runs"; : >"$WORK/raw.runs"
  for r in $(seq 1 "$REPEAT"); do
    fl_prefix="${PREFIX}${RUN}_${n}_${r}_ferry_" rl="${PREFIX}${RUN}_${n}_${r}_raw_test_synthetic_table"
    fl="${fl_prefix}test_synthetic_table"
    echo "== $n rows, run $r" >&2
    f=$(ferry_run "$n" "$fl_prefix")
    echo "$f" >>"$WORK/ferry.runs"
    read -r fw fc fm fj fl1 <<<"$f"
    echo "  ferry: ${fw} s wall, ${fc} s CPU, peak RSS $((fm / 1024)) MiB, Neo4j JVM ${fj} CPU s" >&2
    w=$(raw_run "$fl" "$rl")
    echo "$w" >>"$WORK/raw.runs"
    read -r rw rc rm rj rl1 rread rloaded <<<"$w"
    echo "  raw:   ${rw} s wall (writes only; reading the rows back took ${rread} s), ${rc} s CPU (Python, writes)," \
      "peak RSS $((rm / 1024)) MiB ($((rloaded / 1024)) MiB once the rows were read), Neo4j JVM ${rj} CPU s" >&2
    "$PY" "$RAW" check "$n" "$fl" "$rl" >&2 || { echo "the labels differ" >&2; exit 1; }
    "$PY" "$RAW" drop "$fl" "$rl"
  done
  read -r fw fc fm fj fl1 < <(best <"$WORK/ferry.runs")
  read -r rw rc rm rj rl1 _ _ < <(best <"$WORK/raw.runs")
  printf '| %s | %.2f | %.2f | %.2f | %.0f | %.0f | %d MiB | %d MiB | %.2f | %.2f | %.2f | %.2f | %s, %s |\n' \
    "$n" "$fw" "$rw" "$(calc "$rw / ($fw > 0 ? $fw : 0.01)")" "$(calc "$n / ($fw > 0 ? $fw : 0.01)")" \
    "$(calc "$n / ($rw > 0 ? $rw : 0.01)")" $((fm / 1024)) $((rm / 1024)) "$fc" "$rc" "$fj" "$rj" "$fl1" "$rl1" >>"$WORK/table"
done
printf 'Neo4j %s (test server, %s) on %s; Ferry %s (%s); Python driver neo4j %s (Python %s); batch_size %d; %d cores; best of %d; %d s in all\n' \
  "$("$PY" -c 'import neo4j, os
with neo4j.GraphDatabase.driver(os.environ["FERRY_NEO4J_URI"], auth=(os.environ["FERRY_NEO4J_USER"], os.environ["FERRY_NEO4J_PASSWORD"])) as d:
    print(d.get_server_info().agent.split("/")[-1])')" \
  "$FERRY_TEST_SERVERS_DIR" "$FERRY_NEO4J_URI" "$FERRY" \
  "$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || echo "build type unknown")" \
  "$("$PY" -c 'import neo4j; print(neo4j.__version__)')" "$("$PY" -c 'import platform; print(platform.python_version())')" \
  "$BATCH" "$(nproc)" "$REPEAT" $(( $(date +%s) - T0 ))
cat "$WORK/table"
echo "Ferry s: ferry sync end to end (process start, generation, encoding, every commit); raw s: the Python driver's writes only (reading the rows back excluded)."
[ "$SMOKE" = 0 ] || { grep -q '^| [0-9]' "$WORK/table" || { echo "bench smoke: no row in the table" >&2; exit 1; }; echo "smoke run: figures are not meaningful at this size" >&2; }
