#!/usr/bin/env bash
# Sharded syncs (`ferry sync --shard N/T --shard-run ID`, issue #23): wall
# time of one sync split into T local shard processes run in parallel, for
# T = 1, 2, 4, into one PostgreSQL database.
#
#   bench/shard/run.sh [--clients N] [--delay D] [--concurrency C] [--rows N]
#                      [--shards "1 2 4"] [--repeat R] [--smoke]
#
# Two workloads of the test source:
#   latency  test_some_table over N clients (default 32), `resolve_delay` D
#            (default 200ms) before every resolver call and `concurrency` C
#            (default 2) workers per process: a source whose time goes into
#            waiting for an API that allows few requests in flight per
#            process. overwrite-delete-stale with PostgreSQL as the state
#            backend, so the shards also agree on delete-stale (shard_run.h).
#   cpu      test_synthetic_table, --rows rows in total over the same N
#            clients, no delay, default concurrency, append: generating,
#            encoding and COPYing rows, all on this machine's cores.
# Each T starts its T shards at once (one --shard-run id per run) into a
# fresh database, under /usr/bin/time; wall = first start to last exit.
# Speed-up = wall(T=1) / wall(T). Peak RSS: the largest shard and the sum
# of all shards (what the machine pays). Every run checks the row count.
# Best of R (wall). Prints a markdown table for bench/shard/section.md and,
# unless --smoke, plots docs/img/shard-speedup.png when gnuplot is present.
# Servers: scripts/test-servers.sh in FERRY_TEST_SERVERS_DIR (default
# /tmp/ferry-bench-servers), so test runs cannot stop them mid-measure.
# Env: FERRY_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/../.."
CLIENTS=32 DELAY=200ms CONC=2 ROWS=1000000 SHARDS="1 2 4" REPEAT=1 SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --delay) DELAY=$2; shift 2 ;;
    --concurrency) CONC=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --smoke) SMOKE=1 CLIENTS=4 DELAY=20ms ROWS=4000 SHARDS="1 2" REPEAT=1; shift ;;
    *) echo "usage: $0 [--clients N] [--delay D] [--concurrency C] [--rows N] [--shards \"1 2 4\"] [--repeat R] [--smoke]" >&2
       exit 2 ;;
  esac
done
BUILD_DIR=${FERRY_BUILD_DIR:-build}
FERRY=$(cd "$BUILD_DIR" && pwd)/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ferry-shard-bench.XXXXXX)
# Smoke runs (the test suite) get a server of their own, stopped at the end.
SRV_TMP=""
if [ "$SMOKE" = 1 ]; then SRV_TMP=$(mktemp -d /tmp/ferry-shard-bench-servers.XXXXXX); chmod 755 "$SRV_TMP"; export FERRY_TEST_SERVERS_DIR=$SRV_TMP; fi
export FERRY_TEST_SERVERS_DIR=${FERRY_TEST_SERVERS_DIR:-/tmp/ferry-bench-servers}
started=0
if ! bash scripts/test-servers.sh env postgres >/dev/null 2>&1; then started=1; fi
servers=$(bash scripts/test-servers.sh start postgres) || { echo "could not start PostgreSQL (scripts/test-servers.sh)" >&2; exit 1; }
eval "$servers"
cleanup() {
  [ "$started" = 1 ] && bash scripts/test-servers.sh stop postgres >/dev/null 2>&1
  rm -rf "$WORK"
  [ -z "$SRV_TMP" ] || rm -rf "$SRV_TMP"
}
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -h "$FERRY_PG_HOST" -p "$FERRY_PG_PORT" -U "$FERRY_PG_USER")
PG="host=$FERRY_PG_HOST port=$FERRY_PG_PORT user=$FERRY_PG_USER"
PER_CLIENT=$(( (ROWS + CLIENTS - 1) / CLIENTS ))

spec() { # workload database
  local tables mode src
  if [ "$1" = latency ]; then
    tables=test_some_table mode=overwrite-delete-stale
    src="num_clients: $CLIENTS, num_rows: 100, resolve_delay: $DELAY, concurrency: $CONC"
  else
    tables=test_synthetic_table mode=append
    src="num_clients: $CLIENTS, num_rows: 0, synthetic_rows: $PER_CLIENT, seed: 1"
  fi
  cat <<YML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v1.0.0
  tables: [$tables]
  destinations: [postgresql]
  backend_options:
    table_name: cq_state_bench
    connection: "@@plugins.postgresql.connection"
  spec: {$src}
---
kind: destination
spec:
  name: postgresql
  path: cloudquery/postgresql
  version: v8.0.0
  write_mode: $mode
  spec:
    connection_string: "$PG dbname=$2"
YML
}

# One run of T shards: prints "wall cpu_s max_rss_kb sum_rss_kb".
run_shards() { # workload T rep
  local wl=$1 t=$2 db="bench_shard_$1_$2_$3" pids=() n t0 t1
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  spec "$wl" "$db" >"$WORK/spec.yml"
  t0=$(date +%s.%N)
  for n in $(seq 1 "$t"); do
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.$n" "$FERRY" --log-level warn sync "$WORK/spec.yml" --no-progress \
      --shard "$n/$t" --shard-run "bench-$wl-$t-$3" >"$WORK/out.$n" 2>&1 &
    pids+=($!)
  done
  for n in $(seq 1 "$t"); do
    wait "${pids[$((n - 1))]}" || { cat "$WORK/out.$n" >&2; echo "shard $n/$t of $wl failed" >&2; exit 1; }
  done
  t1=$(date +%s.%N)
  local table=test_some_table want=$((CLIENTS * 100))
  [ "$wl" = cpu ] && table=test_synthetic_table want=$((CLIENTS * PER_CLIENT))
  local got
  got=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM $table")
  [ "$got" = "$want" ] || { echo "$wl T=$t: $got rows in $table, want $want" >&2; exit 1; }
  cat "$WORK"/time.* | awk -v a="$t0" -v b="$t1" '
    { cpu += $2 + $3; if ($4 > mx) mx = $4; sum += $4 }
    END { printf "%.3f %.2f %d %d\n", b - a, cpu, mx, sum }'
  rm -f "$WORK"/time.* "$WORK"/out.*
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}

echo "| workload | shards T | wall s | speed-up vs T=1 | CPU s (all shards) | peak RSS, largest shard | peak RSS, sum of shards |" >"$WORK/table"
echo "|---|---|---|---|---|---|---|" >>"$WORK/table"
: >"$WORK/plot.dat"
for wl in latency cpu; do
  base=""
  for t in $SHARDS; do
    : >"$WORK/runs"
    for r in $(seq 1 "$REPEAT"); do
      line=$(run_shards "$wl" "$t" "$r")
      echo "$line" >>"$WORK/runs"
      echo "$wl T=$t run $r: wall cpu max_rss_kb sum_rss_kb = $line" >&2
    done
    read -r wall cpu mx sum < <(sort -n -k1,1 "$WORK/runs" | head -1)
    [ -n "$base" ] || base=$wall
    speed=$(awk -v a="$base" -v b="$wall" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %d | %.2f | %s | %s | %d MiB | %d MiB |\n' "$wl" "$t" "$wall" "$speed" "$cpu" $((mx / 1024)) \
      $((sum / 1024)) >>"$WORK/table"
    echo "$wl $t $speed" >>"$WORK/plot.dat"
  done
done
printf 'machine: %s cores (%s); PostgreSQL %s on 127.0.0.1; load average %s; best of %d\n' "$(nproc)" \
  "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" "$("${PSQL[@]}" -d postgres -c 'SHOW server_version')" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$REPEAT"
printf 'latency: %d clients x 100 rows, resolve_delay %s, concurrency %d, overwrite-delete-stale; cpu: %d rows of test_synthetic_table over %d clients, append\n' \
  "$CLIENTS" "$DELAY" "$CONC" "$((CLIENTS * PER_CLIENT))" "$CLIENTS"
cat "$WORK/table"
if [ "$SMOKE" = 0 ] && command -v gnuplot >/dev/null; then
  mkdir -p docs/img
  awk '$1 == "latency" { print $2, $3 }' "$WORK/plot.dat" >"$WORK/latency.dat"
  awk '$1 == "cpu" { print $2, $3 }' "$WORK/plot.dat" >"$WORK/cpu.dat"
  gnuplot <<GP
set terminal png size 800,450 noenhanced
set output "docs/img/shard-speedup.png"
set title "Sharded sync: speed-up of T parallel shards on $(nproc) cores"
set xlabel "shards T"; set ylabel "wall(T=1) / wall(T)"
set xtics ($(echo "$SHARDS" | sed 's/ /, /g'))
set xrange [0.5:*]; set yrange [0:*]
set key left top
set grid
plot "$WORK/latency.dat" using 1:2 with linespoints lw 2 title "latency-bound (resolve_delay $DELAY, concurrency $CONC)", \
     "$WORK/cpu.dat" using 1:2 with linespoints lw 2 title "CPU-bound (synthetic rows)", \
     x with lines dt 2 title "ideal"
GP
  echo "plot: docs/img/shard-speedup.png" >&2
fi
[ "$SMOKE" = 0 ] || echo "smoke run: figures are not meaningful at this size" >&2
