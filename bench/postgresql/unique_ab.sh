#!/usr/bin/env bash
#   bench/postgresql/unique_ab.sh        (ROWS=N to change the 1,000,000 rows)
#
# A/B: cost of CloudQuery's UNIQUE(_cq_id) on a PostgreSQL overwrite sync.
# Same binary; B pre-creates the table without the UNIQUE constraint (the
# migration adopts it: unique flags are not compared).
set -euo pipefail
cd "$(dirname "$0")/../.."
FERRY=${FERRY_BUILD_DIR:-build}/ferry
ROWS=${ROWS:-1000000}
eval "$(bash scripts/test-servers.sh start postgres 2>/dev/null)"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$FERRY_PG_HOST" -p "$FERRY_PG_PORT" -U "$FERRY_PG_USER")
WORK=$(mktemp -d)
for DB in ab_unique ab_plain; do
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" 2>/dev/null
done
spec() {
cat <<YML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v4.0.0
  tables: ["test_synthetic_table"]
  destinations: [postgresql]
  spec: {num_clients: 2, synthetic_rows: $((ROWS / 2)), seed: 1}
---
kind: destination
spec:
  name: postgresql
  path: cloudquery/postgresql
  version: v8.0.0
  write_mode: overwrite
  spec:
    connection_string: "host=$FERRY_PG_HOST port=$FERRY_PG_PORT user=$FERRY_PG_USER dbname=$1"
YML
}
spec ab_unique > "$WORK/u.yml"; spec ab_plain > "$WORK/p.yml"
# B: create the table as Ferry would, then drop the UNIQUE constraint.
"$FERRY" --no-log-file migrate "$WORK/p.yml" >/dev/null
"$FERRY" --no-log-file migrate "$WORK/u.yml" >/dev/null
con=$("${PSQL[@]}" -d ab_plain -tAc "SELECT conname FROM pg_constraint WHERE conrelid='test_synthetic_table'::regclass AND contype='u'")
"${PSQL[@]}" -d ab_plain -c "ALTER TABLE test_synthetic_table DROP CONSTRAINT \"$con\""
for run in 1 2 3; do
  for v in u p; do
    db=ab_unique; [ $v = p ] && db=ab_plain
    "${PSQL[@]}" -d $db -c "TRUNCATE test_synthetic_table"
    t0=$(date +%s.%N)
    "$FERRY" --no-log-file --log-level warn sync "$WORK/$v.yml" --no-progress >/dev/null
    t1=$(date +%s.%N)
    echo "$v run $run: $(awk "BEGIN{print $t1-$t0}") s"
  done
done
"${PSQL[@]}" -d ab_unique -tAc "SELECT count(*) FROM test_synthetic_table"
"${PSQL[@]}" -d ab_unique -tAc "SELECT count(*) FROM pg_constraint WHERE conrelid='test_synthetic_table'::regclass AND contype='u'"
"${PSQL[@]}" -d ab_plain -tAc "SELECT count(*) FROM pg_constraint WHERE conrelid='test_synthetic_table'::regclass AND contype='u'"
