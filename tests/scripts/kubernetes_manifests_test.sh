#!/usr/bin/env bash
# deploy/kubernetes without a cluster: hadolint on the Containerfile, its runtime packages against
# the libraries the built ferry needs, helm lint and helm template of the chart with several value
# sets, and every rendered object and plain manifest through deploy/kubernetes/validate (strict
# decoding into Kubernetes' Go API types, then Ferry's checks); the spec of each ConfigMap through
# `ferry validate-config`. Negative cases prove each layer can fail: manifests broken one field at
# a time must be refused with the expected message, and bad chart values must not render.
# Tools: scripts/install-test-k8s.sh. Missing tools skip (exit 77), or fail under
# FERRY_REQUIRE_PEERS=1 (CI).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
k8s=$root/deploy/kubernetes
bin=$k8s/validate/bin
chart=$k8s/helm/ferry
ferry=${FERRY_BUILD_DIR:-$root/build}/ferry
for t in helm validate hadolint; do
  if [ ! -x "$bin/$t" ]; then
    msg="$bin/$t is missing: run scripts/install-test-k8s.sh"
    [ "${FERRY_REQUIRE_PEERS:-}" = 1 ] && { echo "FAIL: FERRY_REQUIRE_PEERS=1: $msg"; exit 1; }
    echo "SKIP: $msg"; exit 77
  fi
done
[ -x "$ferry" ] || { echo "FAIL: no ferry binary at $ferry (FERRY_BUILD_DIR)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export HELM_CACHE_HOME=$tmp/helm/cache HELM_CONFIG_HOME=$tmp/helm/config HELM_DATA_HOME=$tmp/helm/data
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# Validate a YAML stream, then its spec ConfigMaps with ferry validate-config (dummy secrets).
check_stream() {  # NAME FILE...
  local name=$1 out=$tmp/out; shift
  rm -rf "$tmp/cm"
  if "$bin/validate" -configmaps-to "$tmp/cm" "$@" >"$out" 2>&1; then
    local cm specs=0
    rm -rf "$tmp/cm-$name"; cp -r "$tmp/cm" "$tmp/cm-$name"
    for cm in "$tmp"/cm/*/; do
      [ -d "$cm" ] || continue
      specs=$((specs + 1))
      # validate-config dials registry: grpc plugins; there is none here (SPEC_CHECK=0).
      [ "${SPEC_CHECK:-1}" = 1 ] || continue
      if ! PG_URL='postgres://u:p@db.invalid:5432/d' "$ferry" validate-config "$cm" >>"$out" 2>&1; then
        bad "$name: ferry validate-config $(basename "$cm")"; cat "$out"; return
      fi
    done
    [ "$specs" -gt 0 ] || { bad "$name: no ConfigMap with a spec"; return; }
    ok "$name: $(grep '^validate:' "$out")"
  else
    bad "$name"; cat "$out"
  fi
}
# helm template with values; stream written to $tmp/NAME.yaml and checked.
render() {  # NAME HELM-ARGS...
  local name=$1; shift
  if "$bin/helm" template ferry "$chart" --namespace sync "$@" >"$tmp/$name.yaml" 2>"$tmp/err"; then
    check_stream "helm template $name" "$tmp/$name.yaml"
  else
    bad "helm template $name: $(cat "$tmp/err")"
  fi
}
expect_in() {  # NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then ok "$1: has $3"; else bad "$1: no '$3' in $2"; fi
}

# The image definition.
if "$bin/hadolint" "$k8s/Containerfile" >"$tmp/out" 2>&1; then ok "hadolint Containerfile"; else bad "hadolint"; cat "$tmp/out"; fi
# Every shared library ferry links comes from a package of the runtime stage or of the base image.
pkgs=" libc6 libgcc-s1 libstdc++6 zlib1g $(sed -n '/BEGIN runtime-packages/,/END runtime-packages/p' "$k8s/Containerfile" |
  grep -v '^#' | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(RUN|apt-get|update|install|rm|DEBIAN_FRONTEND.*)$' | tr '\n' ' ') "
missing=""
for lib in $(readelf -d "$ferry" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
  path=$(ldd "$ferry" | awk -v l="$lib" '$1 == l { print $3 }')
  pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true
  case "$pkg" in "") missing+=" $lib(no package)";; *) [[ $pkgs == *" $pkg "* ]] || missing+=" $lib($pkg)";; esac
done
if [ -z "$missing" ]; then ok "Containerfile runtime packages cover ferry's libraries"; else bad "Containerfile lacks:$missing"; fi

# The chart.
if "$bin/helm" lint --strict "$chart" >"$tmp/out" 2>&1; then ok "helm lint --strict"; else bad "helm lint"; cat "$tmp/out"; fi
if "$bin/helm" lint --strict "$chart" --set mode=job --set shards.total=2 >"$tmp/out" 2>&1; then ok "helm lint mode=job"; else bad "helm lint mode=job"; cat "$tmp/out"; fi
render default
expect_in default "$tmp/default.yaml" "kind: CronJob"
expect_in default "$tmp/default.yaml" "- 384MiB"
render job --set mode=job --set shards.total=8 --set shards.parallelism=3 --set shards.maxFailedIndexes=2 \
  --set memoryLimitMiB=2048 --set-json 'extraArgs=["--exit-codes","cloudquery"]' --set cpu.limit=2
expect_in job "$tmp/job.yaml" "kind: Job"
expect_in job "$tmp/job.yaml" "name: ferry-1"
expect_in job "$tmp/job.yaml" "- 1536MiB"
expect_in job "$tmp/job.yaml" "parallelism: 3"
expect_in job "$tmp/job.yaml" "maxFailedIndexes: 2"
expect_in job "$tmp/job.yaml" 'value: "8"'
render secret --set secret.create=true --set secret.stringData.PG_URL=postgres://x --set shards.total=1 \
  --set memoryLimitMiB=256 --set memoryBudgetMiB=100
expect_in secret "$tmp/secret.yaml" "kind: Secret"
expect_in secret "$tmp/secret.yaml" "- 100MiB"
# Two spec files and a second secret variable.
cat >"$tmp/values-two.yaml" <<'YAML'
secretEnv: [PG_URL, API_TOKEN]
secret: {create: true, stringData: {PG_URL: "postgres://x", API_TOKEN: "t"}}
specFiles:
  source.yml: |
    kind: source
    spec:
      name: test
      path: cloudquery/test
      version: v4.0.0
      tables: ["*"]
      destinations: [postgresql]
      backend_options: {table_name: cq_state, connection: "@@plugins.postgresql.connection"}
      spec: {num_clients: 2, required_env: ["API_TOKEN=${API_TOKEN}"]}
  destination.yml: |
    kind: destination
    spec:
      name: postgresql
      path: cloudquery/postgresql
      version: v8.0.0
      spec: {connection_string: "${PG_URL}"}
YAML
API_TOKEN=t render two-files -f "$tmp/values-two.yaml"
# A CloudQuery plugin served over gRPC beside ferry (a native sidecar).
cat >"$tmp/values-sidecar.yaml" <<'YAML'
sidecars:
  - name: plugin
    image: plugin-image:1.0.0
    args: [serve, --address, "127.0.0.1:7777"]
    resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 128Mi}}
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
specFiles:
  spec.yml: |
    kind: source
    spec:
      name: plugin
      registry: grpc
      path: 127.0.0.1:7777
      tables: ["*"]
      destinations: [postgresql]
      backend_options: {table_name: cq_state, connection: "@@plugins.postgresql.connection"}
    ---
    kind: destination
    spec:
      name: postgresql
      path: cloudquery/postgresql
      version: v8.0.0
      spec: {connection_string: "${PG_URL}"}
YAML
SPEC_CHECK=0 render sidecar -f "$tmp/values-sidecar.yaml"
expect_in sidecar "$tmp/sidecar.yaml" "restartPolicy: Always"
sed '/^    securityContext:/,/^      capabilities/d' "$tmp/values-sidecar.yaml" >"$tmp/values-sidecar-bad.yaml"
if "$bin/helm" template ferry "$chart" -f "$tmp/values-sidecar-bad.yaml" >"$tmp/sidecar-bad.yaml" 2>&1 &&
   ! "$bin/validate" "$tmp/sidecar-bad.yaml" >"$tmp/out" 2>&1 &&
   grep -qF 'initContainers[plugin]: securityContext is missing' "$tmp/out"; then
  ok "a sidecar without a securityContext is refused"
else bad "a sidecar without a securityContext was not refused"; cat "$tmp/out"; fi
# NOTES.txt renders (a client-side dry run needs no cluster).
if KUBECONFIG=/nonexistent "$bin/helm" install ferry "$chart" -n sync --dry-run=client --set mode=job \
    --set memoryLimitMiB=1024 >"$tmp/out" 2>&1 &&
   grep -qF -- "--memory-budget 768MiB" "$tmp/out" && grep -qF "Job ferry-1 started" "$tmp/out"; then
  ok "NOTES.txt (helm install --dry-run=client)"
else bad "NOTES.txt:"; cat "$tmp/out"; fi
# Values the chart must refuse.
refuse() {  # NAME EXPECTED-TEXT HELM-ARGS...
  local name=$1 want=$2; shift 2
  if "$bin/helm" template ferry "$chart" "$@" >"$tmp/out" 2>&1; then
    bad "helm template $name rendered; it must fail"
  elif grep -qF -- "$want" "$tmp/out"; then ok "helm template $name refused ($want)"
  else bad "helm template $name failed without '$want':"; cat "$tmp/out"; fi
}
refuse small-limit "needs at least 256" --set memoryLimitMiB=200
refuse budget-too-big "must be between 1 and 384" --set memoryBudgetMiB=400
refuse bad-mode "values don't meet the specifications of the schema" --set mode=daemon
refuse zero-shards "values don't meet the specifications of the schema" --set shards.total=0
refuse secret-key "has no key PG_URL" --set secret.create=true --set secret.stringData.OTHER=x

# The plain manifests.
check_stream "manifests" "$k8s"/manifests/*.yaml
# The plain ConfigMap's spec is the chart's example (when both streams passed: else already failed).
if [ ! -d "$tmp/cm-manifests" ] || [ ! -d "$tmp/cm-helm template default" ]; then :
elif diff -u "$tmp/cm-manifests/ferry-spec/spec.yml" "$tmp/cm-helm template default/ferry-spec/spec.yml" >"$tmp/out"; then
  ok "manifests/configmap.yaml spec = the chart's files/example-spec.yml"
else bad "manifests/configmap.yaml and the chart's example spec differ:"; cat "$tmp/out"; fi
# Broken one field at a time (made from job.yaml, so they follow it): each must be refused.
job=$k8s/manifests/job.yaml
negative() {  # NAME EXPECTED-TEXT SED-EXPRESSION
  local f=$tmp/bad-$1.yaml
  sed "$3" "$job" >"$f"
  if cmp -s "$f" "$job"; then bad "negative $1: the edit changed nothing"; return; fi
  if "$bin/validate" "$f" "$k8s/manifests/configmap.yaml" "$k8s/manifests/secret.example.yaml" >"$tmp/out" 2>&1; then
    bad "negative $1: validate accepted it"
  elif grep -qF -- "$2" "$tmp/out"; then ok "negative $1 refused"
  else bad "negative $1 refused without '$2':"; cat "$tmp/out"; fi
}
negative field-typo 'unknown field "spec.completionsMode"' 's/^  completionMode: Indexed/  completionsMode: Indexed/'
negative field-case 'unknown field "spec.template.spec.containers[0].securityContext.readonlyRootFilesystem"' \
  's/readOnlyRootFilesystem: true/readonlyRootFilesystem: true/'
negative duplicate-field 'key "parallelism" already set' 's/^  parallelism: 4/  parallelism: 4\n  parallelism: 2/'
negative wrong-type 'cannot unmarshal' 's/^  completions: 4/  completions: four/'
negative not-indexed 'completionMode must be Indexed' 's/^  completionMode: Indexed/  completionMode: NonIndexed/'
negative root-writable 'readOnlyRootFilesystem must be true' 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/'
negative escalation 'allowPrivilegeEscalation must be false' 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/'
negative caps 'capabilities must drop ALL' 's/drop: \[ALL\]/drop: [NET_RAW]/'
negative root-user 'runAsUser must be a non-zero' 's/runAsUser: 10001/runAsUser: 0/'
negative seccomp 'seccompProfile.type must be RuntimeDefault' 's/type: RuntimeDefault/type: Unconfined/'
negative budget 'over the memory limit' 's/- 384MiB/- 448MiB/'
negative no-budget 'no --memory-budget' '/- --memory-budget/,/- 384MiB/d'
negative shard-total 'FERRY_SHARD_TOTAL must be 4' 's/value: "4"/value: "3"/'
negative run-id 'FERRY_SHARD_RUN must come from fieldRef' 's/batch.kubernetes.io\/controller-uid/batch.kubernetes.io\/job-name/'
negative spec-env 'uses ${PG_URL}' '/- name: PG_URL/,/key: PG_URL/d'
negative replacement 'podReplacementPolicy must be Failed' '/podReplacementPolicy: Failed/d'
negative no-tmp '/tmp must be a writable emptyDir' 's/mountPath: \/tmp/mountPath: \/scratch/'
negative restart 'restartPolicy must be Never' 's/restartPolicy: Never/restartPolicy: OnFailure/'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
