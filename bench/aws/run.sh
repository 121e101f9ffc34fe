#!/usr/bin/env bash
# The aws source against moto behind a latency proxy: the requests, wall time
# and memory of a full org sync (every aws table, A accounts of an AWS
# Organization x the regions) into the null destination, then peak RSS as the
# EC2 inventory grows.
#
#   bench/aws/run.sh [--accounts A] [--regions r1,r2] [--latency MS] [--runs R]
#                    [--sizes "1000 10000 100000"] [--scale "INSTANCES USERS BUCKETS"] [--smoke]
#
# moto (scripts/test-servers.sh start moto, in its own state dir, stopped at
# the end) is seeded by plugins/source/aws/testing/seed_moto.py: an
# Organization of A accounts (the management account and A-1 members reached
# by sts:AssumeRole on OrganizationAccountAccessRole), INSTANCES EC2 instances
# in reservations of 1-5, USERS IAM users (keys, policies, groups), BUCKETS S3
# buckets with their sub-resources, one of everything else per account x
# region. Ferry reaches moto only through bench/aws/latency_proxy.py, which
# answers every request LATENCY ms late and counts them (both on 127.0.0.1).
#
# Part 1 (R runs of the same sync) prints a markdown row per run: requests the
# proxy forwarded (setup included: org listing, AssumeRole, GetCallerIdentity,
# DescribeRegions) and the sum of the summary's per-table API requests, wall
# time, the floor requests x latency / C where C = min(spec concurrency, 64)
# worker threads (the default concurrency, 50000, gives 64), wall / floor, the
# the longest task's requests x latency (a top-level table with its relations, for one
# client: its requests are sequential), ferry's CPU and peak RSS
# (/usr/bin/time), moto's and the proxy's CPU.
# Then one more run of the same sync with moto's answers replayed by the proxy
# (latency_proxy.py --record: every answer of the runs before, by request; the
# same LATENCY): moto's own time per request (its one Python process answers
# ~20 ms a request, so it bounds the runs above) is out, and what is left is
# the sync's requests, their latency and Ferry's concurrency, which is what
# the floor describes. Requests not seen before (none, when the sync is
# deterministic) still go to moto and are counted in the row.
# Part 2: peak RSS as the EC2 inventory grows. moto cannot serve it (a page of
# 1,000 of 10,000 instances takes it tens of seconds, and every other request
# queues behind), so with replay still on, the proxy answers each
# DescribeInstances with N / (accounts x regions) instances per client, 1,000 a
# page as AWS pages them, copies of the first instance moto answered with ids
# of their own (latency_proxy.py, "More instances"); everything else is the
# recording. For each size N the same sync runs once: rows, requests, wall,
# peak RSS.
# Env: FERRY_BUILD_DIR (default: build), FERRY_BENCH_KEEP=1 keeps the work dir,
# FERRY_BENCH_MALLOC_ARENA_MAX=N sets glibc's MALLOC_ARENA_MAX for ferry only,
# FERRY_SYNC_ARGS (more `ferry sync` flags for every sync, e.g. --memory-budget 64MiB),
# FERRY_BENCH_PYSPY=/path/to/py-spy profiles moto during the first sync (WORK/moto-profile.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
ACCOUNTS=3 REGIONS=us-east-1,eu-west-1,us-west-2 LATENCY=50 RUNS=3 SIZES="1000 10000 100000"
SCALE="1000 200 100" SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --accounts) ACCOUNTS=$2; shift 2 ;;
    --regions) REGIONS=$2; shift 2 ;;
    --latency) LATENCY=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --smoke) ACCOUNTS=2 REGIONS=us-east-1,eu-west-1 LATENCY=5 RUNS=1 SIZES="40 2000" SCALE="40 4 2" SMOKE=1; shift ;;
    *) echo "usage: $0 [--accounts A] [--regions r1,r2] [--latency MS] [--runs R] [--sizes \"N ...\"] [--scale \"INSTANCES USERS BUCKETS\"] [--smoke]" >&2; exit 2 ;;
  esac
done
read -r INSTANCES USERS BUCKETS <<<"$SCALE"
FERRY=$(cd "${FERRY_BUILD_DIR:-build}" && pwd)/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ferry-aws-bench.XXXXXX)
export FERRY_TEST_SERVERS_DIR="$WORK/servers"
mkdir -p "$FERRY_TEST_SERVERS_DIR"
PROXY_PID="" MOTO_STARTED=0
cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
  [ "$MOTO_STARTED" = 1 ] && bash scripts/test-servers.sh stop moto >/dev/null 2>&1
  [ -n "${FERRY_BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

rc=0
bash scripts/test-servers.sh start moto >"$WORK/moto.env" 2>"$WORK/moto.log" || rc=$?
if [ "$rc" = 3 ]; then
  echo "bench/aws: moto is not installed (scripts/install-test-servers.sh)" >&2
  # The smoke skips (ctest: 77) unless peers are required (CI: FERRY_REQUIRE_PEERS=1).
  [ "$SMOKE" = 1 ] && [ "${FERRY_REQUIRE_PEERS:-}" != 1 ] && exit 77
  exit 1
fi
[ "$rc" = 0 ] || { cat "$WORK/moto.log" >&2; echo "bench/aws: could not start moto" >&2; exit 1; }
MOTO_STARTED=1
eval "$(cat "$WORK/moto.env")"
case "$FERRY_MOTO_URL" in http://127.0.0.1:*) ;; *) echo "bench/aws: moto is not on 127.0.0.1: $FERRY_MOTO_URL" >&2; exit 1 ;; esac

seed_t0=$(date +%s.%N)
"$FERRY_MOTO_PYTHON" plugins/source/aws/testing/seed_moto.py --endpoint "$FERRY_MOTO_URL" --out "$WORK/expect.json" \
  --accounts "$ACCOUNTS" --regions "$REGIONS" --instances "$INSTANCES" --users "$USERS" --buckets "$BUCKETS" \
  2>"$WORK/seed.log" || { cat "$WORK/seed.log" >&2; echo "bench/aws: seeding moto failed" >&2; exit 1; }
seed_s=$(awk -v a="$seed_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')

python3 bench/aws/latency_proxy.py --upstream "$FERRY_MOTO_URL" --latency-ms "$LATENCY" \
  --port-file "$WORK/proxy.port" --log "$WORK/requests.tsv" --record &
PROXY_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.05; done
[ -s "$WORK/proxy.port" ] || { echo "bench/aws: the latency proxy did not start" >&2; exit 1; }
PROXY="http://127.0.0.1:$(cat "$WORK/proxy.port")"
# Requests the proxy answered: forwarded to moto plus replayed.
proxy_count() { curl -sf "$PROXY/_latency_proxy/stats" | python3 -c 'import json,sys; j = json.load(sys.stdin); print(j["count"] + j["replayed"])'; }
proxy_replayed() { curl -sf "$PROXY/_latency_proxy/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["replayed"])'; }

NACCOUNTS=$ACCOUNTS NREGIONS=$(echo "$REGIONS" | tr ',' '\n' | grep -c .)
CONCURRENCY=50000                 # the aws source's default
THREADS=$(( CONCURRENCY < 64 ? CONCURRENCY : 64 ))
{
  echo "kind: source"
  echo "spec:"
  echo "  name: aws"
  echo "  path: cloudquery/aws"
  echo "  registry: cloudquery"
  echo "  version: \"v22.19.2\""
  echo "  tables: [\"*\"]"
  # The tables whose list call moto 5.2.6 does not serve (plugins/source/aws/testing/
  # not_served_by_moto.txt, the list the moto tests skip too), and aws_ec2_instance_types:
  # moto ignores DescribeInstanceTypes' MaxResults: 9 unpaged 5.9 MB answers of 1,395 types each,
  # which AWS pages by 100; they measured moto's XML rendering, not the sync (section.md).
  echo "  skip_tables: [$( (sed 's/#.*//' plugins/source/aws/testing/not_served_by_moto.txt; echo aws_ec2_instance_types) |
    awk 'NF { printf "%s%s", sep, $1; sep = ", " }')]"
  echo "  destinations: [\"null\"]"
  echo "  spec:"
  echo "    endpoint: $PROXY"
  echo "    regions: [$(echo "$REGIONS" | sed 's/,/, /g')]"
  echo "    concurrency: $CONCURRENCY"
  # moto answers a page of 1,000 of 10,000+ instances in tens of seconds while the other
  # requests queue behind it (one Python process): part 2 measures memory, not moto's speed.
  echo "    request_timeout: 10m"
  echo "    org:"
  echo "      member_role_name: OrganizationAccountAccessRole"
  # A fixed session name (the default has the time in it): the same AssumeRole request, so
  # the replayed run gets the recorded credentials and every request after it matches.
  echo "      member_role_session_name: ferry-bench"
  echo "---"
  echo "kind: destination"
  echo "spec:"
  echo "  name: \"null\""
  echo "  path: ferry/null"
  echo "  version: v1.0.0"
} >"$WORK/spec.yml"

CLK=$(getconf CLK_TCK)
cpu_of() { awk -v hz="$CLK" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

# sample_ferry TIME_PID OUT: every 0.2 s while /usr/bin/time runs, ferry's (its child's) VmRSS, RssAnon,
# RssFile (kB) and thread count from /proc/PID/status, one TSV line each: time, rss, anon, file, threads.
sample_ferry() {
  local tp=$1 out=$2 fp=""
  : >"$out"
  while kill -0 "$tp" 2>/dev/null; do
    [ -n "$fp" ] || fp=$(pgrep -P "$tp" | head -1 || true)
    [ -n "$fp" ] && awk -v t="$(date +%s.%N)" '{ v[$1] = $2 } END { if (v["VmRSS:"] != "")
          printf "%s\t%s\t%s\t%s\t%s\n", t, v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["Threads:"] }' \
        "/proc/$fp/status" >>"$out" 2>/dev/null
    sleep 0.2
  done
  return 0
}
pypid=""

# sync NAME: one ferry sync through the proxy; sets REQ API WALL CPU RSS ROWS INST CHAIN MOTO_CPU PROXY_CPU
# PEAK_THREADS SAMPLED_RSS (MB); with FERRY_BENCH_PYSPY=/path/to/py-spy, moto is profiled during full1
# (collapsed stacks in WORK/moto-profile.txt; keep WORK with FERRY_BENCH_KEEP=1).
sync_once() {
  local name=$1 r0 m0 p0 t0 t1 u s m
  r0=$(proxy_count); m0=$(cpu_of "$FERRY_MOTO_PID"); p0=$(cpu_of "$PROXY_PID")
  : >"$WORK/requests.tsv"
  t0=$(date +%s.%N)
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_ROLE_ARN \
      -u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
      AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true \
      AWS_CONFIG_FILE="$WORK/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/no-aws-credentials" \
      ${FERRY_BENCH_MALLOC_ARENA_MAX:+MALLOC_ARENA_MAX=$FERRY_BENCH_MALLOC_ARENA_MAX} \
      /usr/bin/time -f '%U %S %M' -o "$WORK/time" "$FERRY" sync "$WORK/spec.yml" --no-progress ${FERRY_SYNC_ARGS:-} >"$WORK/out" 2>&1 &
  tpid=$!
  sample_ferry "$tpid" "$WORK/samples.$name.tsv" &
  spid=$!
  if [ -n "${FERRY_BENCH_PYSPY:-}" ] && [ "$name" = full1 ]; then
    "$FERRY_BENCH_PYSPY" record --pid "$FERRY_MOTO_PID" --rate 100 --nonblocking --format raw \
      -o "$WORK/moto-profile.txt" >"$WORK/pyspy.log" 2>&1 &
    pypid=$!
  fi
  wait "$tpid" || { cat "$WORK/out" >&2; echo "bench/aws: $name: ferry sync failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  wait "$spid" || true
  if [ -n "$pypid" ]; then kill -INT "$pypid" 2>/dev/null || true; wait "$pypid" || true; pypid=""; fi
  read -r PEAK_THREADS SAMPLED_RSS <<<"$(awk -F'\t' '$5 > t { t = $5 } $2 > r { r = $2 } END { printf "%d %d", t, r / 1024 }' "$WORK/samples.$name.tsv")"
  cp "$WORK/out" "$WORK/out.$name"
  cp "$WORK/requests.tsv" "$WORK/requests.$name.tsv"
  REQ=$(( $(proxy_count) - r0 ))
  MOTO_CPU=$(awk -v a="$m0" -v b="$(cpu_of "$FERRY_MOTO_PID")" 'BEGIN { printf "%.1f", b - a }')
  PROXY_CPU=$(awk -v a="$p0" -v b="$(cpu_of "$PROXY_PID")" 'BEGIN { printf "%.1f", b - a }')
  read -r u s m <"$WORK/time"
  WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
  RSS=$(( m / 1024 ))
  # The summary: "TABLE ROWS ERRORS DURATION" lines, then "API CALLS REQUESTS ..." lines.
  API=$(awk '/^API CALLS/ { on = 1; next } on && /^aws_/ { n += $2 } END { print n + 0 }' "$WORK/out")
  # The longest task: a top-level table's requests with its relations' (they run in the same task,
  # depth-first per parent row), over its clients (accounts, or accounts x regions).
  CHAIN=$(python3 - "$WORK/out" "$NACCOUNTS" "$NREGIONS" <<'PY'
import json, sys
out, na, nr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
req, on = {}, False
for line in open(out):
    if line.startswith("API CALLS"):
        on = True
    elif on and line.startswith("aws_"):
        f = line.split()
        req[f[0]] = int(f[1])
def total(t):
    return req.get(t["name"], 0) + sum(total(c) for c in t.get("relations", []))
best = (0, "-")
for t in json.load(open("plugins/source/aws/catalog/catalog.json"))["tables"]:
    clients = na if t["scope"] == "account" else na * nr
    best = max(best, (total(t) / clients, t["name"]))
print(f"{best[0]:.0f} {best[1]}")
PY
)
  ROWS=$(awk '$1 == "TOTAL" { print $2; exit }' "$WORK/out")
  INST=$(awk '$1 == "aws_ec2_instances" { print $2; exit }' "$WORK/out")
  if grep -q '^error:' "$WORK/out"; then grep '^error:' "$WORK/out" >&2; echo "bench/aws: $name: the sync reported errors" >&2; exit 1; fi
  [ -n "$INST" ] || { cat "$WORK/out" >&2; echo "bench/aws: $name: no aws_ec2_instances in the summary" >&2; exit 1; }
  [ "$API" -gt 0 ] && [ "$REQ" -ge "$API" ] ||
    { echo "bench/aws: $name: the proxy forwarded $REQ requests, the summary counts $API" >&2; exit 1; }
}

echo "moto $(cat "$WORK/moto.log" | grep -o 'moto: [0-9.]*' | head -1 | cut -d' ' -f2), seeded in ${seed_s} s: $ACCOUNTS accounts x regions $REGIONS, $INSTANCES instances, $USERS users, $BUCKETS buckets ($(tail -1 "$WORK/seed.log"))"
echo
echo "| run | rows | requests (proxy) | of which per-table (summary) | wall s | floor: requests x ${LATENCY} ms / $THREADS | wall / floor | longest task: requests x ${LATENCY} ms | ferry CPU s | ferry peak RSS MB | ferry threads (peak) | moto CPU s | proxy CPU s |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for run in $(seq 1 "$RUNS"); do
  sync_once "full$run"
  read -r chain_n chain_t <<<"$CHAIN"
  awk -v run="$run" -v rows="$ROWS" -v r="$REQ" -v api="$API" -v w="$WALL" -v lat="$LATENCY" -v c="$THREADS" \
      -v cn="$chain_n" -v ct="$chain_t" -v cpu="$CPU" -v rss="$RSS" -v th="$PEAK_THREADS" -v mc="$MOTO_CPU" -v pc="$PROXY_CPU" \
      'BEGIN { f = r * lat / 1000 / c; printf "| %d | %d | %d | %d | %.2f | %.2f | %s | %.2f (%s, %d) | %s | %d | %d | %s | %s |\n",
               run, rows, r, api, w, f, (f > 0 ? sprintf("%.1f", w / f) : "n/a"), cn * lat / 1000, ct, cn, cpu, rss, th, mc, pc }'
done
# The same sync once more, moto's answers replayed (above).
curl -sf "$PROXY/_latency_proxy/replay?on=1" >/dev/null
rp0=$(proxy_replayed)
sync_once replay
REPLAYED=$(( $(proxy_replayed) - rp0 ))
# The sync's requests are deterministic (a fixed session name, moto's recorded page tokens):
# nearly all must come from the recording, or this row measures moto again.
[ $(( REPLAYED * 10 )) -ge $(( REQ * 9 )) ] ||
  { echo "bench/aws: replay: only $REPLAYED of $REQ requests matched the recording (WORK/requests.replay.tsv: the others)" >&2; exit 1; }
awk -v rows="$ROWS" -v r="$REQ" -v api="$API" -v w="$WALL" -v lat="$LATENCY" -v c="$THREADS" -v cpu="$CPU" \
    -v rss="$RSS" -v th="$PEAK_THREADS" -v mc="$MOTO_CPU" -v pc="$PROXY_CPU" -v hit="$REPLAYED" \
    'BEGIN { f = r * lat / 1000 / c; printf "| replayed (%d of %d requests from the recording) | %d | %d | %d | %.2f | %.2f | %s | - | %s | %d | %d | %s | %s |\n",
             hit, r, rows, r, api, w, f, (f > 0 ? sprintf("%.2f", w / f) : "n/a"), cpu, rss, th, mc, pc }'
# Requests per service and operation of the last live run, busiest first.
echo
echo "Requests of the last full sync by service and operation, the most upstream (moto) time first (top 15):"
echo "requests, moto's seconds answering them (summed; concurrent requests overlap), mean ms per request."
echo
echo '```'
# sort is not piped into head: with pipefail, head closing the pipe early
# (SIGPIPE to sort) would end the script here without a word.
awk -F'\t' '{ n[$1 " " $3]++; ms[$1 " " $3] += $6 } END { for (k in n) printf "%6d %8.1f s %7.1f ms  %s\n", n[k], ms[k] / 1000, ms[k] / n[k], k }' \
  "$WORK/requests.full$RUNS.tsv" | sort -k2,2 -rn >"$WORK/by-operation.txt"
sed -n 1,15p "$WORK/by-operation.txt"
echo '```'
echo

echo "| instances | rows | requests (proxy) | wall s | ferry CPU s | ferry peak RSS MB | ferry threads (peak) | XML of the instance pages MB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
CLIENTS=$(( NACCOUNTS * NREGIONS ))
for n in $SIZES; do
  k=$(( (n + CLIENTS - 1) / CLIENTS ))
  curl -sf "$PROXY/_latency_proxy/instances?per_client=$k" >/dev/null
  sync_once "size$n"
  [ "$INST" = $(( k * CLIENTS )) ] || { echo "bench/aws: size $n: aws_ec2_instances synced $INST rows, the proxy answered $(( k * CLIENTS ))" >&2; exit 1; }
  xml=$(awk -F'\t' '$3 == "DescribeInstances" { b += $5 } END { printf "%.0f", b / 1e6 }' "$WORK/requests.size$n.tsv")
  echo "| $INST | $ROWS | $REQ | $WALL | $CPU | $RSS | $PEAK_THREADS | $xml |"
done
curl -sf "$PROXY/_latency_proxy/instances?per_client=0" >/dev/null
curl -sf "$PROXY/_latency_proxy/replay?on=0" >/dev/null
[ "$SMOKE" = 0 ] || echo "bench/aws smoke: ok ($WORK)"
