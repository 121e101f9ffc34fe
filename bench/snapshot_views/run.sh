#!/usr/bin/env bash
# Query time of snapshot views (docs/semantics.md "Snapshot views") next to
# the same query on an overwrite-delete-stale table of the same contents, in
# SQLite, PostgreSQL and ClickHouse.
#
#   bench/snapshot_views/run.sh [--rows N] [--snapshots S] [--repeat R]
#
# 1. Starts (or reuses) the PostgreSQL and ClickHouse test servers in a state
#    dir of its own (FERRY_TEST_SERVERS_DIR, default /tmp/ferry-bench-servers),
#    so test runs cannot stop them mid-measure.
# 2. S append syncs (seed 1..S) of N rows of the test source's
#    test_synthetic_table (num_clients 1) into all three destinations with
#    snapshot_views: true: N*S rows, S complete snapshots. Then one
#    overwrite-delete-stale sync of seed S into a second database of each:
#    the table the latest view should equal.
# 3. Times (best of R, wall, client side: bench/snapshot_views/query.py)
#      count: SELECT count(*), sum(count) FROM <view | table>
#      point: SELECT name FROM <view | table> WHERE id = N/2
#    and, for the changes view alone,
#      changes: SELECT _ferry_change, count(*) FROM <table>_changes GROUP BY _ferry_change
#    and checks that the view and the table give the same answers.
# Env: FERRY_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=1000000 SNAPS=10 REPEAT=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --snapshots) SNAPS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
FERRY=${FERRY_BUILD_DIR:-build}/ferry
export FERRY_TEST_SERVERS_DIR=${FERRY_TEST_SERVERS_DIR:-/tmp/ferry-bench-servers}
eval "$(scripts/test-servers.sh start postgres)"
eval "$(scripts/test-servers.sh start clickhouse)"
WORK=$(mktemp -d /tmp/ferry-bench-views.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
CH="http://127.0.0.1:$FERRY_CH_HTTP_PORT"
PG="host=127.0.0.1 port=$FERRY_PG_PORT user=$FERRY_PG_USER"
for db in bench_views bench_ods; do
  psql "$PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  curl -sf "$CH" --data-binary "DROP DATABASE IF EXISTS $db" && curl -sf "$CH" --data-binary "CREATE DATABASE $db"
done

spec() {  # seed mode views suffix
  cat <<YAML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v1.0.0
  tables: [test_synthetic_table]
  destinations: [lite$4, pg$4, ch$4]
  spec: {num_rows: 0, synthetic_rows: $ROWS, seed: $1}
---
kind: destination
spec: {name: lite$4, path: cloudquery/sqlite, version: v1.0.0, write_mode: $2, snapshot_views: $3,
       spec: {connection_string: "$WORK/$4.db"}}
---
kind: destination
spec: {name: pg$4, path: cloudquery/postgresql, version: v1.0.0, write_mode: $2, snapshot_views: $3,
       spec: {connection_string: "$PG dbname=bench$4"}}
---
kind: destination
spec: {name: ch$4, path: cloudquery/clickhouse, version: v1.0.0, write_mode: $2, snapshot_views: $3,
       spec: {connection_string: "$CH/bench$4"}}
YAML
}
for s in $(seq 1 "$SNAPS"); do
  spec "$s" append true _views >"$WORK/spec.yml"
  "$FERRY" sync "$WORK/spec.yml" --no-progress --log-level warn >/dev/null
  echo "snapshot $s of $SNAPS loaded" >&2
done
spec "$SNAPS" overwrite-delete-stale false _ods >"$WORK/spec.yml"
"$FERRY" sync "$WORK/spec.yml" --no-progress --log-level warn >/dev/null
curl -sf "$CH" --data-binary "OPTIMIZE TABLE bench_ods.test_synthetic_table FINAL"
psql "$PG dbname=bench_views" -qc "ANALYZE"
psql "$PG dbname=bench_ods" -qc "ANALYZE"
python3 bench/snapshot_views/query.py --rows "$ROWS" --snapshots "$SNAPS" --repeat "$REPEAT" \
  --sqlite "$WORK/_views.db" "$WORK/_ods.db" --pg "$PG" --ch "$CH"
