#!/usr/bin/env bash
# Ferry -> Kafka next to a raw librdkafka producer (kcat) sending the same
# messages to the same broker, in one run.
#
#   bench/kafka/run.sh [--rows "1000000 10000000"] [--wide-rows N] [--repeat R] [--smoke]
#
# 1. Starts (or reuses) a Kafka 4.4 broker with scripts/test-servers.sh in its
#    own state dir (FERRY_TEST_SERVERS_DIR, default /tmp/ferry-bench-servers),
#    so test runs cannot stop it mid-measure; stops it at the end if it
#    started it.
# 2. For each workload (test_synthetic_table at each --rows, test_wide_table
#    at --wide-rows) and mode (idempotent; transactional with a
#    transactional_id): `ferry sync` into a fresh topic, timed end to end
#    (process start, generation, encoding, every message acknowledged),
#    with user+sys CPU and peak RSS from /usr/bin/time.
# 3. Dumps exactly the messages Ferry wrote (key TAB value, ended by the
#    byte 0x1e, which JSON text never holds raw) with kcat, then times
#    `kcat -P -K TAB -D '\x1e' -l` of that file into a fresh topic, with
#    the same producer settings (enable.idempotence, acks=all, linger.ms=5;
#    the transactional runs compare with the same idempotent raw run) and
#    the same headers: Ferry's headers (cq_table, cq_source_name,
#    cq_sync_time) are the same on every message of a table's sync, so kcat
#    sends them with -H. The script checks that: every message Ferry wrote
#    has the same headers, and the raw topic holds byte for byte what
#    Ferry's holds (key, value, headers, in order).
# Runs alternate (ferry, raw, ...) so both see the same load; best of R.
# Prints a markdown table for docs/benchmarks.md.
# Env: FERRY_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES="1000000 10000000" WIDE=1000000 REPEAT=1 SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) SIZES=$2; shift 2 ;;
    --wide-rows) WIDE=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --smoke) SMOKE=1 SIZES=20000 WIDE=2000 REPEAT=1; shift ;;
    *) echo "usage: $0 [--rows \"N ...\"] [--wide-rows N] [--repeat R] [--smoke]" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${FERRY_BUILD_DIR:-build}
FERRY=$(cd "$BUILD_DIR" && pwd)/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
command -v kcat >/dev/null || { echo "kcat is missing: bash scripts/install-test-servers.sh kafka" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ferry-kafka-bench.XXXXXX)
# Smoke runs (the test suite) get a broker of their own, stopped at the end.
SRV_TMP=""
if [ "$SMOKE" = 1 ]; then SRV_TMP=$(mktemp -d /tmp/ferry-kafka-bench-servers.XXXXXX); export FERRY_TEST_SERVERS_DIR=$SRV_TMP; fi
export FERRY_TEST_SERVERS_DIR=${FERRY_TEST_SERVERS_DIR:-/tmp/ferry-bench-servers}
started=0
if ! bash scripts/test-servers.sh env kafka >/dev/null 2>&1; then started=1; fi
eval "$(bash scripts/test-servers.sh start kafka)"
cleanup() {
  [ "$started" = 1 ] && bash scripts/test-servers.sh stop kafka >/dev/null 2>&1
  rm -rf "$WORK"
  [ -z "$SRV_TMP" ] || rm -rf "$SRV_TMP"
}
trap cleanup EXIT
B=$FERRY_KAFKA_BROKERS
RUN=$(date +%s)
PRODUCER_X=(-X enable.idempotence=true -X acks=all -X linger.ms=5 -X queue.buffering.max.kbytes=65536)

spec() { # workload rows topic_prefix transactional(0/1)
  local table=test_synthetic_table key=synthetic_rows
  [ "$1" = wide ] && table=test_wide_table key=wide_rows
  cat <<YML
kind: source
spec:
  name: bench
  path: cloudquery/test
  version: v4.0.0
  tables: ["$table"]
  destinations: [kafka]
  spec: {num_clients: 1, $key: $2, seed: 1}
---
kind: destination
spec:
  name: kafka
  path: cloudquery/kafka
  version: v5.0.0
  write_mode: append
  spec:
    brokers: ["$B"]
    format: json
    topic_prefix: "$3"
YML
  [ "$4" = 1 ] && printf '    transactional_id: "bench-%s"\n' "$3"
  return 0
}

measure() { # out_prefix command...: wall user sys rss_kb into $WORK/$1.t
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S %M' -o "$WORK/time" "${@:2}" >"$WORK/cmd.out" 2>&1 || { cat "$WORK/cmd.out" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $(cat "$WORK/time")"
}
count() { # topic: committed messages
  kcat -C -b "$B" -t "$1" -o beginning -e -q -X isolation.level=read_committed -f 'x\n' 2>/dev/null | wc -l
}
dump_all() { # topic: every message as key, value and headers, in order
  kcat -C -b "$B" -t "$1" -o beginning -e -q -f '%k\t%s\t%h\x1e'
}
best() { # "wall user sys rss" lines on stdin: the line with the least wall time
  sort -n -k1,1 | head -1
}

echo "| workload | rows | mode | Ferry s | Ferry rows/s | raw s | raw rows/s | Ferry / raw (wall) | Ferry CPU s | raw CPU s | Ferry / raw (CPU) | Ferry peak RSS | raw peak RSS |" >"$WORK/table"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|" >>"$WORK/table"
points=()
for n in $SIZES; do points+=("synthetic:$n"); done
points+=("wide:$WIDE")
for p in "${points[@]}"; do
  wl=${p%%:*} n=${p##*:}
  table=test_synthetic_table; [ "$wl" = wide ] && table=test_wide_table
  : >"$WORK/raw.runs"
  for mode in idempotent transactional; do
    txn=0; [ "$mode" = transactional ] && txn=1
    : >"$WORK/ferry.runs"
    for r in $(seq 1 "$REPEAT"); do
      prefix="b${RUN}_${wl}_${n}_${mode}_$r."
      spec "$wl" "$n" "$prefix" "$txn" >"$WORK/spec.yml"
      line=$(measure ferry "$FERRY" --log-level warn sync "$WORK/spec.yml" --no-progress)
      got=$(count "${prefix}$table")
      [ "$got" = "$n" ] || { echo "ferry: $got messages in ${prefix}$table, want $n" >&2; exit 1; }
      echo "$line" >>"$WORK/ferry.runs"
      echo "$wl $n $mode run $r: ferry $line" >&2
      if [ "$mode" = idempotent ]; then
        if [ "$r" = 1 ]; then
          kcat -C -b "$B" -t "${prefix}$table" -o beginning -e -q -f '%k\t%s\x1e' >"$WORK/messages"
          dump_all "${prefix}$table" | sha256sum >"$WORK/ferry.sum"
          # The headers of every message, once each: one line, or the raw
          # path could not send what Ferry sent with constant -H options.
          kcat -C -b "$B" -t "${prefix}$table" -o beginning -e -q -f '%h\n' | awk '!seen[$0]++' >"$WORK/headers"
          [ "$(wc -l <"$WORK/headers")" = 1 ] || { echo "ferry's messages do not all have the same headers:" >&2; head -3 "$WORK/headers" >&2; exit 1; }
          HEADER_ARGS=()
          IFS=, read -r -a hs <"$WORK/headers"
          for h in "${hs[@]}"; do HEADER_ARGS+=(-H "$h"); done
        fi
        raw_topic="raw_${prefix}$table"
        # The broker does not auto-create topics: `ferry migrate` makes the
        # raw topic exactly as it made Ferry's.
        spec "$wl" "$n" "raw_${prefix}" 0 >"$WORK/raw.yml"
        "$FERRY" --log-level warn migrate "$WORK/raw.yml" >/dev/null
        line=$(measure raw kcat -P -b "$B" -t "$raw_topic" -K $'\t' -D '\x1e' "${HEADER_ARGS[@]}" -l "${PRODUCER_X[@]}" "$WORK/messages")
        got=$(count "$raw_topic")
        [ "$got" = "$n" ] || { echo "kcat: $got messages in $raw_topic, want $n" >&2; exit 1; }
        if [ "$r" = 1 ]; then
          [ "$(dump_all "$raw_topic" | sha256sum)" = "$(cat "$WORK/ferry.sum")" ] ||
            { echo "kcat's topic $raw_topic differs from ferry's ${prefix}$table (key, value or headers)" >&2; exit 1; }
        fi
        echo "$line" >>"$WORK/raw.runs"
        echo "$wl $n raw run $r: kcat $line" >&2
      fi
    done
    read -r fw fu fs fm < <(best <"$WORK/ferry.runs")
    read -r rw ru rs rm < <(best <"$WORK/raw.runs")
    fc=$(awk -v a="$fu" -v b="$fs" 'BEGIN { printf "%.2f", a + b }')
    rc=$(awk -v a="$ru" -v b="$rs" 'BEGIN { printf "%.2f", a + b }')
    printf '| %s | %d | %s | %.2f | %.0f | %.2f | %.0f | %.2f | %s | %s | %.2f | %d MiB | %d MiB |\n' \
      "$wl" "$n" "$mode" "$fw" "$(awk -v n="$n" -v s="$fw" 'BEGIN { print n / s }')" "$rw" \
      "$(awk -v n="$n" -v s="$rw" 'BEGIN { print n / s }')" "$(awk -v a="$rw" -v b="$fw" 'BEGIN { print a / b }')" \
      "$fc" "$rc" "$(awk -v a="$rc" -v b="$fc" 'BEGIN { if (b <= 0) b = 0.01; print a / b }')" \
      $((fm / 1024)) $((rm / 1024)) >>"$WORK/table"
  done
  rm -f "$WORK/messages"
  # This point's topics are checked and counted: delete them, or a series of
  # runs fills the disk (1M wide rows are 2.5 GB a topic).
  java -cp "$FERRY_KAFKA_CLASSPATH" org.apache.kafka.tools.TopicCommand --bootstrap-server "$B" --delete \
    --topic "(raw_)?b${RUN}_${wl}_${n}_.*" >/dev/null 2>&1 || echo "could not delete the topics of $wl $n (disk use grows)" >&2
done
printf 'broker: Kafka %s (KRaft, one node) on %s; load average %s; best of %d\n' "${FERRY_KAFKA_VERSION:-4.4.0}" "$B" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$REPEAT"
cat "$WORK/table"
[ "$SMOKE" = 0 ] || echo "smoke run: figures are not meaningful at this size" >&2
