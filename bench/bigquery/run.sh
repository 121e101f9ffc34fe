#!/usr/bin/env bash
# Ferry -> BigQuery (the bqemulator test server) next to Google's own Python
# client appending the same rows over the same API, in one run.
#
#   bench/bigquery/run.sh [--rows N] [--wide] [--repeat R] [--api storage_write|insert_all] [--smoke]
#
# 1. Every measured run gets a fresh emulator (scripts/test-servers.sh in a
#    state dir of its own, stopped after): bqemulator keeps a copy of a
#    table for every append it takes, so it slows as runs add up and a run
#    after another measured the one before.
# 2. `ferry sync` of the test source's test_synthetic_table (or, with
#    --wide, test_wide_table) into a fresh dataset, once with
#    write_api: storage_write and once with insert_all, timed end to end
#    (process start, generation, encoding, every request answered), with
#    user+sys CPU and peak RSS from /usr/bin/time, plus the emulator's CPU
#    during the run (/proc/PID/stat).
# 3. The raw path: bench/bigquery/raw_append.py (BigQueryWriteClient from
#    google-cloud-bigquery-storage, in the emulator's venv) reads back the
#    rows Ferry wrote and serializes them (untimed), then, on a fresh
#    emulator, appends them to a new table over one COMMITTED stream,
#    requests of at most 9 MB (timed).
# Runs alternate (ferry, raw, ...); best of R. Prints a markdown row.
# Env: FERRY_BUILD_DIR (default: build); FERRY_SYNC_ARGS (more `ferry sync`
# flags, e.g. --memory-budget 256MiB); BATCH_SIZE / BATCH_BYTES set the
# destination's batch_size / batch_size_bytes (default: the destination's).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=1000000 WORKLOAD=synthetic REPEAT=1 SMOKE=0 APIS="storage_write insert_all"
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --wide) WORKLOAD=wide; shift ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --api) APIS=$2; shift 2 ;;
    --smoke) SMOKE=1 ROWS=5000 REPEAT=1; shift ;;
    *) echo "usage: $0 [--rows N] [--wide] [--repeat R] [--api storage_write|insert_all] [--smoke]" >&2; exit 2 ;;
  esac
done
TABLE=test_${WORKLOAD}_table
BUILD_DIR=${FERRY_BUILD_DIR:-build}
SYNC_ARGS=${FERRY_SYNC_ARGS:-}
FERRY=$(cd "$BUILD_DIR" && pwd)/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ferry-bq-bench.XXXXXX)
# The emulators of this bench only: each is stopped and wiped between runs.
export FERRY_TEST_SERVERS_DIR=$WORK/servers
cleanup() {
  bash scripts/test-servers.sh stop bigquery >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fresh_emulator() {
  local env
  bash scripts/test-servers.sh stop bigquery >/dev/null 2>&1 || true
  env=$(bash scripts/test-servers.sh start bigquery 2>"$WORK/start.err") || { cat "$WORK/start.err" >&2; exit 1; }
  eval "$env"
  REST=$FERRY_BQ_REST PROJECT=$FERRY_BQ_PROJECT
}
rest() { curl -sS --fail-with-body -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "$REST/bigquery/v2/projects/$PROJECT$2"; }
count() { # dataset table
  rest POST /queries "{\"useLegacySql\":false,\"query\":\"SELECT COUNT(*) FROM \`$PROJECT.$1.$2\`\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0]["f"][0]["v"])'
}
spec() { # dataset write_api
  cat <<YML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v4.0.0
  tables: ["$TABLE"]
  destinations: [bigquery]
  spec: {num_clients: 1, ${WORKLOAD}_rows: $ROWS, seed: 1}
---
kind: destination
spec:
  name: bigquery
  path: cloudquery/bigquery
  version: v4.2.12
  write_mode: append
  spec:
    project_id: $PROJECT
    dataset_id: $1
    endpoint: "$REST"
    storage_write_endpoint: "$FERRY_BQ_GRPC"
    write_api: $2
YML
  [ -z "${BATCH_SIZE:-}" ] || printf '    batch_size: %s\n' "$BATCH_SIZE"
  [ -z "${BATCH_BYTES:-}" ] || printf '    batch_size_bytes: %s\n' "$BATCH_BYTES"
}
now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
min() { if [ -z "$1" ] || [ "$(calc "($2 < $1) ? 1 : 0")" = 1 ]; then echo "$2"; else echo "$1"; fi; }
CLK=$(getconf CLK_TCK)
server_cpu() { awk -v t="$CLK" '{ printf "%.3f", ($14 + $15 + $16 + $17) / t }' "/proc/$FERRY_BQ_PID/stat"; }
# timed NAME CMD...: SECS, CPU (process user+sys), SRV (emulator CPU), RSS_KB.
timed() {
  local name=$1; shift
  local c0 c1 t0 t1
  c0=$(server_cpu); t0=$(now)
  /usr/bin/time -f '%U %S %M' -o "$WORK/time" "$@" >"$WORK/$name.out" 2>&1 || { cat "$WORK/$name.out"; exit 1; }
  t1=$(now); c1=$(server_cpu)
  SECS=$(calc "$t1 - $t0")
  read -r u sy RSS_KB <"$WORK/time"
  CPU=$(calc "$u + $sy") SRV=$(calc "$c1 - $c0")
}
declare -A best_s best_cpu best_srv rss_max
for i in $(seq 1 "$REPEAT"); do
  for api in $APIS; do
    fresh_emulator
    ds="bench_${api}_${i}_$$"
    rest POST /datasets "{\"datasetReference\":{\"projectId\":\"$PROJECT\",\"datasetId\":\"$ds\"}}" >/dev/null
    spec "$ds" "$api" >"$WORK/$api.yml"
    # shellcheck disable=SC2086
    timed "$api" "$FERRY" --log-level warn sync "$WORK/$api.yml" --no-progress $SYNC_ARGS
    got=$(count "$ds" "$TABLE")
    [ "$got" = "$ROWS" ] || { echo "ferry ($api) wrote $got rows, want $ROWS" >&2; exit 1; }
    best_s[$api]=$(min "${best_s[$api]:-}" "$SECS"); best_cpu[$api]=$(min "${best_cpu[$api]:-}" "$CPU")
    best_srv[$api]=$(min "${best_srv[$api]:-}" "$SRV")
    [ "$RSS_KB" -gt "${rss_max[$api]:-0}" ] && rss_max[$api]=$RSS_KB
    echo "run $i: ferry $api ${SECS}s cpu ${CPU}s emulator cpu ${SRV}s peak RSS $((RSS_KB / 1024)) MiB" >&2
    if [ "$api" = storage_write ] || [[ " $APIS " != *" storage_write "* ]]; then
      # The raw path on the rows Ferry just wrote (after the storage_write
      # run, or after insert_all when that is the only API measured): read
      # back here, appended on a fresh emulator, only the append timed.
      "$FERRY_BQ_PYTHON" bench/bigquery/raw_append.py dump "$REST" "$PROJECT" "$ds" "$TABLE" "$WORK/rows.pickle" \
        2>"$WORK/raw.err" || { cat "$WORK/raw.err"; exit 1; }
      fresh_emulator
      rest POST /datasets "{\"datasetReference\":{\"projectId\":\"$PROJECT\",\"datasetId\":\"$ds\"}}" >/dev/null
      c0=$(server_cpu)
      "$FERRY_BQ_PYTHON" bench/bigquery/raw_append.py append "$REST" "$FERRY_BQ_GRPC" "$PROJECT" "$ds" raw "$WORK/rows.pickle" \
        >"$WORK/raw.json" 2>"$WORK/raw.err" || { cat "$WORK/raw.err"; exit 1; }
      c1=$(server_cpu)
      rm -f "$WORK/rows.pickle"
      read -r rs rc rr rq <<<"$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["seconds"], j["cpu_seconds"], j["rows"], j["requests"])' "$WORK/raw.json")"
      [ "$rr" = "$ROWS" ] && [ "$(count "$ds" raw)" = "$ROWS" ] || { echo "raw path wrote a wrong count" >&2; exit 1; }
      best_s[raw]=$(min "${best_s[raw]:-}" "$rs"); best_cpu[raw]=$(min "${best_cpu[raw]:-}" "$rc")
      echo "run $i: raw ${rs}s cpu ${rc}s in $rq requests (emulator cpu $(calc "$c1 - $c0")s)" >&2
    fi
  done
done
printf 'emulator: bqemulator, a fresh one per run; load average %s; %s rows of %s, best of %d\n' \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$ROWS" "$TABLE" "$REPEAT"
for api in $APIS; do
  printf '| %s | %s | %s | %.2f | %.0f | %.2f | %.2f | %.2f | %.2f | %d MiB |\n' "$WORKLOAD" "$ROWS" "$api" \
    "${best_s[$api]}" "$(calc "$ROWS / ${best_s[$api]}")" "${best_s[raw]}" "$(calc "${best_s[raw]} / ${best_s[$api]}")" \
    "${best_cpu[$api]}" "${best_srv[$api]}" "$((rss_max[$api] / 1024))"
done
echo "columns: workload | rows | write_api | Ferry s | Ferry rows/s | raw (Python client, Storage Write) s | raw / Ferry (wall) | Ferry CPU s | emulator CPU s | Ferry peak RSS"
[ "$SMOKE" = 0 ] || echo "smoke run: figures are not meaningful at this size" >&2
