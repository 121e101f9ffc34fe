#!/usr/bin/env bash
# Builds the Go test peers pinned in tests/peers/go/versions.env from the Go module proxy into
# tests/peers/go/bin/: CloudQuery's own CLI, and tests/peers/go/sdk-peer (plugins made of
# CloudQuery's Go plugin SDK: its MemDB, and a source of the SDK's test table). Called by scripts/install-test-peers.sh.
# Test-only: nothing here is a dependency of Ferry itself. Idempotent: when every binary is
# there and bin/.stamp records the same pins, Go version and script, it does nothing.
#
# Each module is built in its own directory of the module cache, with its own go.mod and go.sum
# (replace directives included): the dependency set of the upstream release. `go install M@V`
# cannot do it: it refuses modules with replace directives, and asks the proxy for the module's
# version list, which the proxy here refuses. Go's module and build caches (default places)
# make a rebuild cheap.
#
# Go: picked by go_pick (scripts/go-lib.sh) from GO_MIN and GO_FALLBACK_TOOLCHAIN.
#
# Running the CLI offline: CQ_TELEMETRY_LEVEL=none, --no-log-file (tests/peers/go/README.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/tests/peers/go
bin=$dir/bin
# shellcheck source=../tests/peers/go/versions.env
. "$dir/versions.env"
say() { echo "install-go-peers: $*"; }
die() { echo "install-go-peers: $*" >&2; exit 1; }
# shellcheck source=go-lib.sh
. "$root/scripts/go-lib.sh"
go_pick
gover=$("$GO" env GOVERSION)

read -r sdk_mod sdk_ver <<<"$GO_SDK"
names=(ferry-go-sdk-peer) summary=("sdk-peer ($sdk_mod $sdk_ver)")
while read -r name mod ver _; do
  [ -n "$name" ] || continue
  names+=("$name")
  summary+=("$name $ver")
done <<<"$GO_PEERS"
stamp=$(printf '%s\n%s\n%s\nscript %s\n' "$GO_PEERS" "$GO_SDK" "$gover" \
  "$(cat "$0" "$root/scripts/go-lib.sh" "$dir/sdk-peer/main.go" | sha256sum | cut -c1-16)")
up_to_date=1
for name in "${names[@]}"; do [ -x "$bin/$name" ] || up_to_date=0; done
if [ "$up_to_date" = 1 ] && [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "up to date ($(IFS=,; echo "${summary[*]}" | sed 's/,/, /g'); $gover)"
  exit 0
fi

mkdir -p "$bin"
rm -f "$bin/.stamp"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
while read -r name mod ver cgo pkg; do
  [ -n "$name" ] || continue
  if [ "$cgo" = 1 ] && ! command -v "${CC:-cc}" >/dev/null 2>&1; then
    . "$root/scripts/apt-install.sh"
    apt_install install-go-peers gcc libc6-dev
  fi
  src=$(go_mod_dir "$mod@$ver")
  [ -n "$src" ] && [ -f "$src/go.mod" ] || die "no source for $mod@$ver"
  if ! (cd "$src" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED="$cgo" \
      "$GO" build -trimpath -ldflags "-s -w -X $mod/$pkg.Version=${ver#v}" -o "$bin/$name.new" .) >"$log" 2>&1; then
    grep -v '^go: downloading ' "$log" >&2
    die "building $name ($mod@$ver) failed"
  fi
  mv -f "$bin/$name.new" "$bin/$name"
  CQ_TELEMETRY_LEVEL=none "$bin/$name" --version >/dev/null || die "$bin/$name --version failed"
done <<<"$GO_PEERS"

# The SDK peer: sdk-peer/main.go added as a command to a copy of the SDK module (a module's
# internal packages can only be imported from inside it), built with the SDK's own go.mod and
# go.sum, replace directives included. -trimpath keeps the build cache valid across copies.
src=$(go_mod_dir "$sdk_mod@$sdk_ver")
[ -n "$src" ] && [ -f "$src/go.mod" ] || die "no source for $sdk_mod@$sdk_ver"
work=$(mktemp -d)
trap 'rm -f "$log"; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -R "$src/." "$work/"
chmod -R u+w "$work"
mkdir -p "$work/cmd/ferry-go-sdk-peer"
cp "$dir/sdk-peer/main.go" "$work/cmd/ferry-go-sdk-peer/main.go"
if ! (cd "$work" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
    "$GO" build -trimpath -ldflags "-s -w -X main.Version=${sdk_ver#v}" -o "$bin/ferry-go-sdk-peer.new" ./cmd/ferry-go-sdk-peer) >"$log" 2>&1; then
  grep -v '^go: downloading ' "$log" >&2
  die "building the SDK peer ($sdk_mod@$sdk_ver) failed"
fi
mv -f "$bin/ferry-go-sdk-peer.new" "$bin/ferry-go-sdk-peer"
ln -sfn ferry-go-sdk-peer "$bin/cq-go-memdb"
ln -sfn ferry-go-sdk-peer "$bin/cq-go-testdata"
"$bin/cq-go-memdb" --help >/dev/null || die "$bin/cq-go-memdb --help failed"

echo "$stamp" >"$bin/.stamp"
say "built $(IFS=,; echo "${summary[*]}" | sed 's/,/, /g') with $gover in $((SECONDS - start)) s"
