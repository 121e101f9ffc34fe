#!/usr/bin/env bash
# The gcp source's request count, wall time and memory as an inventory grows:
# `ferry sync` of every gcp table of P projects into the null destination,
# against the project's fake of Google's list APIs (plugins/source/gcp/testing/
# fake_gcp.py) answering each request after LATENCY ms, with N Compute
# instances spread over the projects and 8 zones each (everything else empty:
# one request per (table, project) and per parent row).
#
#   bench/gcp/run.sh [--sizes "1000 10000 100000"] [--projects P] [--latency MS] [--smoke]
#
# For each size it prints a markdown row: instances, requests the fake
# answered, wall time, two floors: requests x latency / concurrency (Ferry runs
# (table, project) pairs on min(concurrency, 64) threads) and the longest
# chain of sequential pages (one project's aggregatedList of instances, 500 a
# page) x latency; user+sys CPU and peak RSS of ferry (/usr/bin/time), and
# the fake's own CPU (it is Python: at 100k it is the bottleneck).
# Env: FERRY_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES="1000 10000 100000" PROJECTS=4 LATENCY=50
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --projects) PROJECTS=$2; shift 2 ;;
    --latency) LATENCY=$2; shift 2 ;;
    --smoke) SIZES=200 PROJECTS=2 LATENCY=0; shift ;;
    *) echo "usage: $0 [--sizes \"N ...\"] [--projects P] [--latency MS] [--smoke]" >&2; exit 2 ;;
  esac
done
FERRY=$(cd "${FERRY_BUILD_DIR:-build}" && pwd)/ferry
[ -x "$FERRY" ] || { echo "no $FERRY: build first (scripts/build.sh)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ferry-gcp-bench.XXXXXX)
FAKE_PID=""
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
[ -n "${FERRY_BENCH_KEEP:-}" ] && trap '[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null' EXIT
# Every API of the catalog (and discovery's), so nothing leaves 127.0.0.1.
APIS=$(python3 -c '
import json
apis = {"cloudresourcemanager", "serviceusage"}
def walk(ts):
    for t in ts:
        apis.add(t["api"]); walk(t.get("relations", []))
walk(json.load(open("plugins/source/gcp/catalog/catalog.json"))["tables"])
print(" ".join(sorted(apis)))')
CONCURRENCY=64

echo "| instances | projects | requests | wall s | floor: requests x ${LATENCY} ms / $CONCURRENCY | floor: sequential pages x ${LATENCY} ms | ferry CPU s | ferry peak RSS MB | fake CPU s |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
  rm -f "$WORK/port"
  python3 plugins/source/gcp/testing/fake_gcp.py --port-file "$WORK/port" &
  FAKE_PID=$!
  for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
  url="http://127.0.0.1:$(cat "$WORK/port")"
  gen="{"
  per=$(( n / PROJECTS ))
  for p in $(seq 1 "$PROJECTS"); do
    for z in $(seq 1 8); do
      cnt=$(( per / 8 )); [ "$z" -eq 8 ] && cnt=$(( per - 7 * (per / 8) ))
      zone="zone-$z"
      gen+="\"compute/compute/v1/projects/bench-$p/zones/$zone/instances\": {\"field\": \"items\", \"count\": $cnt, \"template\": {\"kind\": \"compute#instance\", \"id\": \"$p$z{i}\", \"name\": \"vm-$z-{i}\", \"status\": \"RUNNING\", \"creationTimestamp\": \"2024-03-01T10:11:12.345-08:00\", \"machineType\": \"https://www.googleapis.com/compute/v1/projects/bench-$p/zones/$zone/machineTypes/e2-small\", \"labels\": {\"team\": \"t{i}\", \"env\": \"prod\"}, \"networkInterfaces\": [{\"network\": \"global/networks/default\", \"networkIP\": \"10.0.{i}.1\"}], \"disks\": [{\"boot\": true, \"deviceName\": \"d{i}\", \"diskSizeGb\": \"10\"}], \"selfLink\": \"https://www.googleapis.com/compute/v1/projects/bench-$p/zones/$zone/instances/vm-$z-{i}\"}},"
    done
  done
  gen="${gen%,}}"
  curl -sf -X PUT --data-binary "$gen" "$url/_fake/generate" >/dev/null
  curl -sf -X PUT --data-binary "{\"latency_ms\": $LATENCY}" "$url/_fake/config" >/dev/null
  {
    echo "kind: source"
    echo "spec:"
    echo "  name: gcp"
    echo "  path: cloudquery/gcp"
    echo "  registry: cloudquery"
    echo "  version: \"v11.0.0\""
    echo "  tables: [\"*\"]"
    echo "  destinations: [\"null\"]"
    echo "  spec:"
    echo "    project_ids: [$(seq -s, -f '"bench-%g"' 1 "$PROJECTS")]"
    echo "    concurrency: $CONCURRENCY"
    echo "    endpoints:"
    for a in $APIS; do echo "      $a: $url/$a"; done
    echo "---"
    echo "kind: destination"
    echo "spec:"
    echo "  name: \"null\""
    echo "  path: ferry/null"
    echo "  version: v1.0.0"
  } >"$WORK/spec.yml"
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S %M' -o "$WORK/time" "$FERRY" sync "$WORK/spec.yml" --no-progress >"$WORK/out" 2>&1 ||
    { cat "$WORK/out" >&2; echo "bench/gcp: ferry sync failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  reqs=$(curl -sf "$url/_fake/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  rows=$(grep -E '^\s*gcp_compute_instances\b' "$WORK/out" | head -1 || true)
  read -r u s m <"$WORK/time"
  fake_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$FAKE_PID/stat")
  kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=""
  awk -v n="$n" -v p="$PROJECTS" -v r="$reqs" -v t0="$t0" -v t1="$t1" -v lat="$LATENCY" -v c="$CONCURRENCY" \
      -v u="$u" -v s="$s" -v m="$m" -v per="$per" -v fc="$fake_cpu" \
      'BEGIN { pages = int((per + 499) / 500); if (pages < 1) pages = 1;
               printf "| %d | %d | %d | %.2f | %.2f | %.2f | %.2f | %.0f | %s |\n", n, p, r, t1 - t0, r * lat / 1000 / c, pages * lat / 1000, u + s, m / 1024, fc }'
  if ! grep -q "gcp_compute_instances" "$WORK/out"; then echo "bench/gcp: no gcp_compute_instances in the summary" >&2; cat "$WORK/out" >&2; exit 1; fi
done
