#!/usr/bin/env bash
# Ferry next to CloudQuery's own CLI, driving the same Go SDK plugin (issue #16).
#
#   bench/cloudquery/run.sh [--rows "100000 1000000"] [--repeat R]
#   bench/cloudquery/run.sh --smoke   20,000 rows once (the test suite runs it so it cannot rot;
#                                     exit 77 when the Go peers are not installed)
#
# The source is tests/peers/go/sdk-peer's cq-go-testdata (CloudQuery's Go plugin SDK serving
# the SDK's test table, 26 typed columns plus client_id and the _cq ids; `repeat: true` sends
# the generator's first 10,000 rows again and again, because the generator itself makes about
# a thousand rows a second). Each row count runs four syncs of the same spec, R times each,
# in alternation:
#   cq  -> null     cloudquery sync, destination: Ferry's null as a plugin (ferry-destination-null)
#   ferry -> null   ferry sync, the same Go source, Ferry's built-in null
#   cq  -> sqlite   cloudquery sync, destination: Ferry's sqlite as a plugin
#   ferry -> sqlite ferry sync, the same Go source, Ferry's built-in sqlite
# The null pair isolates what each orchestrator costs (decode, re-encode, hand-off); the sqlite
# pair adds a real write. CloudQuery's own Go destinations are not served by the module proxy
# here (tests/peers/go/README.md), so both CLIs write through Ferry's destinations.
# bench/cloudquery/measure.py gives wall, CPU of the whole process tree, and peak RSS per process.
# Prints a markdown table (best wall of R for each) on stdout.
# Env: FERRY_BUILD_DIR (default build), FERRY_BENCH_DIR (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
ROWS="100000 1000000" REPEAT=3 SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --smoke) ROWS=20000 REPEAT=1 SMOKE=1; shift ;;
    *) echo "usage: $0 [--rows \"N ...\"] [--repeat R] [--smoke]" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${FERRY_BUILD_DIR:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
FERRY=$BUILD_DIR/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
GOBIN=$ROOT/tests/peers/go/bin
for b in cloudquery cq-go-testdata; do
  if [ ! -x "$GOBIN/$b" ]; then
    echo "no $GOBIN/$b: run scripts/install-test-peers.sh" >&2
    [ "$SMOKE" = 1 ] && [ "${FERRY_REQUIRE_PEERS:-}" != 1 ] && exit 77
    exit 1
  fi
done
WORK=${FERRY_BENCH_DIR:-$(mktemp -d /tmp/ferry-cq-bench.XXXXXX)}
mkdir -p "$WORK"
ln -sf "$FERRY" "$WORK/ferry-destination-null"
ln -sf "$FERRY" "$WORK/ferry-destination-sqlite"

spec() {  # spec ROWS cq|ferry null|sqlite
  local dest
  if [ "$2" = cq ]; then dest="  registry: local
  path: ./ferry-destination-$3"
  else dest="  path: cloudquery/$3"; fi
  cat <<YML
kind: source
spec:
  name: gotd
  registry: local
  path: $GOBIN/cq-go-testdata
  version: v1.0.0
  tables: ["*"]
  destinations: ["$3"]
  spec: {num_rows: $1, batch_rows: 10000, repeat: true, skip: [maps, durations, intervals, times, decimals, lists, structs]}
---
kind: destination
spec:
  name: "$3"
$dest
  version: v1.0.0
  write_mode: append
  spec: {$( [ "$3" = sqlite ] && echo "connection_string: ./out.sqlite" )}
YML
}

run() {  # run ROWS cq|ferry null|sqlite -> one JSON line
  local f="$WORK/$2-$3.yml"
  spec "$1" "$2" "$3" >"$f"
  rm -f "$WORK/out.sqlite"
  if [ "$2" = cq ]; then
    python3 bench/cloudquery/measure.py --cwd "$WORK" --env CQ_TELEMETRY_LEVEL=none -- \
      "$GOBIN/cloudquery" sync "$f" --no-log-file
  else
    python3 bench/cloudquery/measure.py --cwd "$WORK" -- "$FERRY" sync "$f" --no-progress
  fi
}

field() { python3 -c "import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))" "$1" "$2"; }

echo "| rows | destination | orchestrator | best wall s | rows/s | CPU s (all processes) | peak RSS MiB: orchestrator | source plugin | destination plugin |"
echo "|---|---|---|---|---|---|---|---|---|"
rm -f "$WORK/plot.dat"
for n in $ROWS; do
  for dest in null sqlite; do
    declare -A best=() line=()
    for ((i = 0; i < REPEAT; i++)); do
      for who in cq ferry; do
        j=$(run "$n" "$who" "$dest") || { echo "bench: $who -> $dest failed: $j" >&2; exit 1; }
        w=$(field "$j" 'j["wall_s"]')
        if [ -z "${best[$who]:-}" ] || awk "BEGIN{exit !($w < ${best[$who]})}"; then
          best[$who]=$w line[$who]=$j
        fi
      done
    done
    for who in cq ferry; do
      j=${line[$who]}
      orch=$([ "$who" = cq ] && echo cloudquery || echo ferry)
      dplug=$([ "$who" = cq ] && field "$j" 'j["peak_rss_mib"].get("ferry-destinati", "?")' || echo "(built in)")
      orss=$(field "$j" "j['peak_rss_mib'].get('$orch', 0)")
      drss=$([ "$who" = cq ] && field "$j" 'j["peak_rss_mib"].get("ferry-destinati", 0)' || echo 0)
      echo "$n $dest $who $(awk "BEGIN{printf \"%d\", $n / ${best[$who]}}") $(awk "BEGIN{print $orss + $drss}")" >>"$WORK/plot.dat"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$dest" \
        "$([ "$who" = cq ] && echo "CloudQuery CLI v6.41.1" || echo Ferry)" "${best[$who]}" \
        "$(awk "BEGIN{printf \"%d\", $n / ${best[$who]}}")" "$(field "$j" 'j["cpu_s"]')" \
        "$(field "$j" "j['peak_rss_mib'].get('$orch', '?')")" "$(field "$j" 'j["peak_rss_mib"].get("cq-go-testdata", "?")')" "$dplug"
    done
    unset best line
  done
done

# A plot of rows/s and memory against rows (docs/img/cloudquery-vs-ferry.png), when more than
# one row count ran and gnuplot is there (bench/run.sh installs gnuplot-nox).
if [ "$SMOKE" = 0 ] && [ "$(echo $ROWS | wc -w)" -gt 1 ]; then
  if command -v gnuplot >/dev/null; then
    for key in "cq null" "ferry null" "cq sqlite" "ferry sqlite"; do
      set -- $key
      awk -v w="$1" -v d="$2" '$3 == w && $2 == d { print $1, $4, $5 }' "$WORK/plot.dat" >"$WORK/$1-$2.dat"
    done
    gnuplot <<GP
set terminal png size 1000,420
set output "$ROOT/docs/img/cloudquery-vs-ferry.png"
set multiplot layout 1,2 title "The same Go SDK source under CloudQuery's CLI v6.41.1 and under Ferry"
set logscale x; set xlabel "rows"; set key left top; set grid
set title "rows/s"; set yrange [0:*]
plot "$WORK/ferry-null.dat" using 1:2 with linespoints title "Ferry -> null", \
     "$WORK/cq-null.dat" using 1:2 with linespoints title "CLI -> null", \
     "$WORK/ferry-sqlite.dat" using 1:2 with linespoints title "Ferry -> sqlite", \
     "$WORK/cq-sqlite.dat" using 1:2 with linespoints title "CLI -> sqlite"
set title "peak RSS MiB: orchestrator + destination process"
plot "$WORK/ferry-null.dat" using 1:3 with linespoints title "Ferry -> null", \
     "$WORK/cq-null.dat" using 1:3 with linespoints title "CLI -> null", \
     "$WORK/ferry-sqlite.dat" using 1:3 with linespoints title "Ferry -> sqlite", \
     "$WORK/cq-sqlite.dat" using 1:3 with linespoints title "CLI -> sqlite"
unset multiplot
GP
    echo "plot: docs/img/cloudquery-vs-ferry.png" >&2
  else
    echo "plot: no gnuplot (apt-get install gnuplot-nox); not drawn" >&2
  fi
fi
