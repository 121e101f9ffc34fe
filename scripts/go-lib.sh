# Sourced by the scripts that build Go tools from the Go module proxy (install-go-peers.sh,
# install-test-k8s.sh). Needs GO_MIN and GO_FALLBACK_TOOLCHAIN set and a die() function.
#
# go_pick sets GO (the go command to run) and exports GOTOOLCHAIN: the go on PATH when it is at
# least GO_MIN. An older one >= 1.21 runs with GOTOOLCHAIN=GO_FALLBACK_TOOLCHAIN, which it takes
# from the module proxy. With no go at all, Debian's golang-go is installed; Debian 12's is
# Go 1.19, which has no GOTOOLCHAIN, so the same toolchain module is downloaded here and the go
# inside it runs.
# go_mod_dir M@V prints the module-cache directory of a module version (downloaded if need be).
go_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
go_ver_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" = "$2" ]; }  # $1 >= $2
go_mod_dir() {
  local out
  out=$(cd /tmp && "$GO" mod download -json "$1") || die "cannot download $1: $out"
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$out"
}
go_pick() {
  if ! command -v go >/dev/null 2>&1; then
    . "$go_lib_root/scripts/apt-install.sh"
    apt_install "$(basename "$0" .sh)" golang-go
  fi
  GO=go
  local have tc
  have=$(go env GOVERSION | sed 's/^go//')
  if go_ver_ge "$have" "$GO_MIN"; then
    export GOTOOLCHAIN=local
  elif go_ver_ge "$have" 1.21; then
    export GOTOOLCHAIN=$GO_FALLBACK_TOOLCHAIN
  else
    # What GOTOOLCHAIN would do: fetch golang.org/toolchain and set the execute bits that module
    # zips cannot carry (go >= 1.21 does the same on first use, in the same place).
    tc=$(go_mod_dir "golang.org/toolchain@v0.0.1-$GO_FALLBACK_TOOLCHAIN.$(go env GOOS)-$(go env GOARCH)")
    [ -n "$tc" ] && [ -f "$tc/bin/go" ] || die "no $GO_FALLBACK_TOOLCHAIN toolchain"
    [ -x "$tc/bin/go" ] || chmod a+x "$tc"/bin/* "$tc"/pkg/tool/*/*
    GO=$tc/bin/go
    export GOTOOLCHAIN=local
  fi
  local gover
  gover=$("$GO" env GOVERSION)
  go_ver_ge "${gover#go}" "$GO_MIN" || die "$gover is older than the $GO_MIN needed"
}
