#!/usr/bin/env bash
# Ferry's benchmark suite: one command, side-by-side measurements in one run.
#
#   bench/run.sh            full run (~5 min on 2 cores): writes docs/benchmarks.md and docs/img/*.png
#   bench/run.sh --smoke    tiny sizes, writes nothing under docs/ (run by the test suite so it cannot rot)
#
# Workloads come from the `test` source's deterministic test_synthetic_table
# (10 mixed columns incl. a list and a json column) and test_incremental_table.
# Every Ferry figure is measured next to the destination's raw bulk path on the
# same rows. Timing never fails the run; flat memory does: if peak RSS grows
# with the row count the script exits 1 and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1

if [ "$SMOKE" = 1 ]; then
  BUILD=${FERRY_BUILD_DIR:-build}
  case "$BUILD" in /*) BUILD=$(realpath --relative-to="$ROOT" "$BUILD") ;; esac
  SIZES_SQLITE="2000 20000"; SIZES_NULL="2000 20000 50000"; ENGINE_ROWS=20000; INC_ROWS=5000
  OUT_MD=$(mktemp); IMG_DIR=$(mktemp -d)
else
  BUILD=build-bench
  SIZES_SQLITE="100000 1000000 10000000"; SIZES_NULL="100000 1000000 10000000 50000000"
  ENGINE_ROWS=10000000; INC_ROWS=1000000
  OUT_MD=docs/benchmarks.md; IMG_DIR=docs/img
  command -v gnuplot >/dev/null || { echo "bench: installing gnuplot-nox"; apt-get install -y -qq gnuplot-nox >/dev/null; }
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFERRY_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$BUILD" --target ferry >/dev/null
fi
FERRY="$ROOT/$BUILD/ferry"
[ -x "$FERRY" ] || { echo "bench: $FERRY not built" >&2; exit 1; }
mkdir -p "$IMG_DIR"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
RESULTS="$W/results.tsv"   # scenario  rows  seconds  user  sys  rss_kb  bytes
: > "$RESULTS"

# measure NAME ROWS BYTES -- command...   (appends one line to $RESULTS)
measure() {
  local name=$1 rows=$2 bytes=$3; shift 4
  /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" > "$W/out" 2>&1 || { cat "$W/out"; echo "bench: $name failed" >&2; exit 1; }
  read -r secs user sys rss < "$W/time"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rows" "$secs" "$user" "$sys" "$rss" "$bytes" >> "$RESULTS"
  echo "  $name rows=$rows time=${secs}s rss=${rss}KB"
}

spec() {  # spec FILE TABLE ROWS DEST_PATH [DEST_SPEC_LINES] [SOURCE_EXTRA_LINES]
  local file=$1 table=$2 rows=$3 dest=$4 dspec=${5:-} sextra=${6:-}
  local opt=synthetic_rows
  [ "$table" = test_incremental_table ] && opt=incremental_rows
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
    batch_size: 10000
$dspec
YAML
}

echo "== engine: test -> null on one core"
spec "$W/engine.yml" test_synthetic_table "$ENGINE_ROWS" ferry/null
measure engine_1core "$ENGINE_ROWS" 0 -- taskset -c 0 "$FERRY" sync "$W/engine.yml" --no-progress

echo "== scale series: test -> null"
for n in $SIZES_NULL; do
  spec "$W/null.yml" test_synthetic_table "$n" ferry/null
  measure "null" "$n" 0 -- "$FERRY" sync "$W/null.yml" --no-progress
done

echo "== test -> sqlite, next to sqlite3 .import of the same rows"
for n in $SIZES_SQLITE; do
  rm -f "$W/f.sqlite" "$W/raw.sqlite"
  spec "$W/sqlite.yml" test_synthetic_table "$n" cloudquery/sqlite "    connection_string: $W/f.sqlite"
  measure sqlite "$n" 0 -- "$FERRY" sync "$W/sqlite.yml" --no-progress
  # The same rows as CSV, imported into an identical empty table.
  sqlite3 -csv "$W/f.sqlite" 'select * from test_synthetic_table' > "$W/data.csv"
  bytes=$(stat -c %s "$W/data.csv")
  sed -i "\$s/\t0\$/\t$bytes/" "$RESULTS"
  sqlite3 "$W/f.sqlite" "select sql from sqlite_master where name='test_synthetic_table'" > "$W/ddl.sql"
  sqlite3 "$W/raw.sqlite" < "$W/ddl.sql"
  measure sqlite_import "$n" "$bytes" -- sqlite3 "$W/raw.sqlite" -cmd "PRAGMA journal_mode=WAL" -cmd "PRAGMA synchronous=NORMAL" ".import --csv $W/data.csv test_synthetic_table"
  got=$(sqlite3 "$W/raw.sqlite" 'select count(*) from test_synthetic_table')
  [ "$got" = "$n" ] || { echo "bench: .import loaded $got rows, expected $n" >&2; exit 1; }
  rm -f "$W/data.csv"
done

echo "== incremental: full sync, then a sync with nothing new"
rm -f "$W/inc.sqlite"
spec "$W/inc.yml" test_incremental_table "$INC_ROWS" cloudquery/sqlite "    connection_string: $W/inc.sqlite" \
  "  backend_options: {table_name: cq_state_bench, connection: out}"
measure incremental_full "$INC_ROWS" 0 -- "$FERRY" sync "$W/inc.yml" --no-progress
measure incremental_noop 0 0 -- "$FERRY" sync "$W/inc.yml" --no-progress

PROFILE=""
if [ "$SMOKE" = 0 ] && command -v perf >/dev/null; then
  echo "== profile of the engine run (perf, cpu-clock)"
  if perf record -e cpu-clock -F 999 -g -o "$W/perf.data" taskset -c 0 "$FERRY" sync "$W/engine.yml" --no-progress >/dev/null 2>&1; then
    perf report -i "$W/perf.data" --stdio --no-children --sort symbol > "$W/perf.txt" 2>/dev/null || true
    PROFILE=$(grep -E '^ +[0-9]+\.[0-9]+%' "$W/perf.txt" | sed -n '1,15p' | sed -E 's/ +- +- *$//; s/ +$//; s/\[\.\] //')
  fi
fi

# ---- analysis ----
get() { awk -F'\t' -v n="$1" -v r="$2" '$1==n && $2==r {print $'"$3"'}' "$RESULTS"; }
rate() { awk -v r="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.001; printf "%.0f", r / s }'; }

# Memory must stay flat: peak RSS at the largest size within 1.5x of the 1M-row (or smallest) run.
fail=0
check_flat() {
  local name=$1 sizes=$2 base="" last=""
  for n in $sizes; do [ -z "$base" ] && base=$n; [ "$n" = 1000000 ] && base=$n; last=$n; done
  local rb rl; rb=$(get "$name" "$base" 6); rl=$(get "$name" "$last" 6)
  if awk -v a="$rl" -v b="$rb" 'BEGIN { exit !(a > 1.5 * b + 20000) }'; then
    echo "bench: MEMORY GROWS WITH ROWS for $name: ${rb} KB at $base rows, ${rl} KB at $last rows" >&2
    fail=1
  fi
}
check_flat null "$SIZES_NULL"
check_flat sqlite "$SIZES_SQLITE"

{
  echo "| scenario | rows | Ferry rows/s | raw rows/s | Ferry / raw | Ferry MB/s (CSV bytes) | Ferry peak RSS | Ferry CPU s |"
  echo "|---|---|---|---|---|---|---|---|"
  for n in $SIZES_SQLITE; do
    fs=$(get sqlite "$n" 3); rs=$(get sqlite_import "$n" 3); b=$(get sqlite "$n" 7)
    fr=$(rate "$n" "$fs"); rr=$(rate "$n" "$rs")
    echo "| test -> sqlite vs \`sqlite3 .import\` | $n | $fr | $rr | $(awk -v a="$fr" -v b="$rr" 'BEGIN{printf "%.2f", a/b}') | $(awk -v b="$b" -v s="$fs" 'BEGIN{printf "%.1f", b/1e6/s}') | $(( $(get sqlite "$n" 6) / 1024 )) MiB | $(awk -v u="$(get sqlite "$n" 4)" -v s="$(get sqlite "$n" 5)" 'BEGIN{printf "%.2f", u+s}') |"
  done
  for n in $SIZES_NULL; do
    fs=$(get null "$n" 3)
    echo "| test -> null (engine only) | $n | $(rate "$n" "$fs") | n/a | n/a | n/a | $(( $(get null "$n" 6) / 1024 )) MiB | $(awk -v u="$(get null "$n" 4)" -v s="$(get null "$n" 5)" 'BEGIN{printf "%.2f", u+s}') |"
  done
  es=$(get engine_1core "$ENGINE_ROWS" 3)
  echo "| test -> null, one core (taskset -c 0) | $ENGINE_ROWS | $(rate "$ENGINE_ROWS" "$es") | n/a | n/a | n/a | $(( $(get engine_1core "$ENGINE_ROWS" 6) / 1024 )) MiB | $(awk -v u="$(get engine_1core "$ENGINE_ROWS" 4)" -v s="$(get engine_1core "$ENGINE_ROWS" 5)" 'BEGIN{printf "%.2f", u+s}') |"
} > "$W/table.md"

inc_full=$(get incremental_full "$INC_ROWS" 3); inc_noop=$(get incremental_noop 0 3)
inc_frac=$(awk -v a="$inc_noop" -v b="$inc_full" 'BEGIN{printf "%.2f", 100*a/b}')

# ---- plots ----
if [ "$SMOKE" = 0 ] && command -v gnuplot >/dev/null; then
  for n in $SIZES_NULL; do echo "$n $(get null "$n" 6)"; done > "$W/rss_null.dat"
  for n in $SIZES_SQLITE; do echo "$n $(get sqlite "$n" 6)"; done > "$W/rss_sqlite.dat"
  gnuplot <<GP
set terminal png size 800,450
set output "$IMG_DIR/rss-vs-rows.png"
set title "Peak RSS vs rows synced (memory budget 256 MiB)"
set logscale x
set xlabel "rows"; set ylabel "peak RSS (MiB)"
set yrange [0:*]
set key left top
plot "$W/rss_null.dat" using 1:(\$2/1024) with linespoints title "test -> null", \
     "$W/rss_sqlite.dat" using 1:(\$2/1024) with linespoints title "test -> sqlite"
GP
  for n in $SIZES_SQLITE; do
    echo "$n $(rate "$n" "$(get sqlite "$n" 3)") $(rate "$n" "$(get sqlite_import "$n" 3)")"
  done > "$W/rates.dat"
  gnuplot <<GP
set terminal png size 800,450
set output "$IMG_DIR/sqlite-throughput.png"
set title "SQLite: Ferry sync vs sqlite3 .import of the same rows"
set style data histogram; set style histogram cluster gap 1; set style fill solid 0.8
set ylabel "rows/s"; set yrange [0:*]; set key left top
plot "$W/rates.dat" using 2:xtic(1) title "Ferry (test -> sqlite)", "" using 3 title "sqlite3 .import (CSV)"
GP
fi

{
  cat <<'MD'
# Benchmarks

Produced by `bench/run.sh` (one command; it builds a Release binary in
`build-bench/`, runs every scenario in one go and rewrites this file and
`docs/img/*.png`). Workloads are the `test` source's deterministic
`test_synthetic_table` (id, client_id, name, created_at, amount (10 % null),
count, active, tags list<utf8>, attributes json, uuid) and
`test_incremental_table`. Each Ferry figure sits next to the destination's own
bulk path on the same rows, measured in the same run: for SQLite, the rows
Ferry wrote are exported as CSV and loaded with `sqlite3 .import` into an
identical empty table (WAL, synchronous=NORMAL, as Ferry uses). Times are wall
clock of the whole command (process start, spec load, migration, sync); RSS is
the peak resident set of the process (`/usr/bin/time`). Timing never fails a
run; memory growth does (see below). The test suite runs `bench/run.sh
--smoke` so the script cannot rot.

MD
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(date -u +%Y-%m-%d)."
  echo
  echo "## Results"
  echo
  cat "$W/table.md"
  echo
  echo "## Memory stays flat"
  echo
  echo "Every batch takes its bytes from one sync-wide budget (\`--memory-budget\`,"
  echo "default 256 MiB) and returns them when the last destination has written it;"
  echo "when the budget is spent the source blocks. Peak RSS therefore depends on the"
  echo "budget and the destination's batch size, not on the row count. The script"
  echo "fails if peak RSS at the largest size exceeds 1.5x the 1M-row run."
  echo
  echo "![peak RSS vs rows](img/rss-vs-rows.png)"
  echo
  echo "## Incremental sync with nothing new"
  echo
  echo "test_incremental_table, $INC_ROWS rows into SQLite with the cursor in the same"
  echo "database: full sync ${inc_full}s; second sync with nothing new ${inc_noop}s (\\`/usr/bin/time\\` resolves 0.01 s), i.e. **${inc_frac}%**"
  echo "of the full sync (goal: under 1%). The second sync's cost is process start, spec"
  echo "load, migration check and reading the cursors."
  echo
  echo "## Where engine time goes"
  echo
  echo "\`perf record -e cpu-clock\` of the one-core engine run (test -> null), top symbols:"
  echo
  echo '```'
  echo "${PROFILE:-(perf not available)}"
  echo '```'
  echo
  echo "![SQLite throughput](img/sqlite-throughput.png)"
} > "$OUT_MD"

if [ "$SMOKE" = 1 ]; then
  echo "bench smoke: $(wc -l < "$RESULTS") measurements, incremental no-op ${inc_frac}% of full"
  rm -rf "$OUT_MD" "$IMG_DIR"
  [ "$fail" = 0 ] || exit 1
  echo "1 passed, 0 failed"
  exit 0
fi
[ "$fail" = 0 ] || exit 1
echo "bench: wrote $OUT_MD"
