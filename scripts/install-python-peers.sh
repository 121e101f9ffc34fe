#!/usr/bin/env bash
# Installs the Python test peers locked in tests/peers/python/requirements.txt (CloudQuery's
# Python plugin SDK, whose MemDB plugin the interop tests run, Neo4j's Python driver, chdb,
# ClickHouse's engine embedded in Python, for the current-server ClickHouse tests, and
# clickhouse-cityhash for the CityHash128 known answers of the ClickHouse native protocol) into
# the virtual environment tests/peers/python/.venv (git-ignored). Called by
# scripts/install-test-peers.sh. Test-only: nothing here is a dependency of Ferry itself.
#
# requirements.txt pins every package, dependencies included, with the sha256 of each file
# PyPI serves for it; pip installs with --require-hashes, so a changed file is refused.
# tests/peers/python/README.md says how to change a pin.
#
# Idempotent: when .venv/.ferry-stamp records the same lock, Python and script, it does
# nothing. Otherwise the venv is made anew from the wheels kept in
# $FERRY_CACHE_DIR/python-wheels (default ~/.cache/ferry), downloading only those missing. Python: the first of python3, python3.13, python3.12, python3.11 on PATH that is
# at least PY_MIN; with none, or a Debian python3 without its venv module, Debian's
# python3 and python3-venv are installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/tests/peers/python
venv=$dir/.venv
lock=$dir/requirements.txt
wheels=${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/python-wheels
PY_MIN=3.11  # cloudquery-plugin-sdk 0.1.57 requires Python >= 3.11
say() { echo "install-python-peers: $*"; }
die() { echo "install-python-peers: $*" >&2; exit 1; }

# The first python on PATH that is new enough, or nothing.
find_python() {
  local c
  for c in python3 python3.13 python3.12 python3.11; do
    command -v "$c" >/dev/null 2>&1 || continue
    # Its real executable: a pyenv shim costs ~0.1 s a call.
    "$c" -c "import sys; assert sys.version_info >= tuple(map(int, '$PY_MIN'.split('.'))); print(sys.executable)" \
      2>/dev/null && return 0
  done
}
py=$(find_python || true)
if [ -z "$py" ]; then
  . "$root/scripts/apt-install.sh"
  apt_install install-python-peers python3 python3-venv
  py=$(find_python || true)
  [ -n "$py" ] || die "no Python >= $PY_MIN (Debian's python3 is $(python3 --version 2>&1))"
fi
pyver=$("$py" -c 'import sys; print(sys.version.split()[0], sys.executable)')

stamp=$(printf 'lock %s\npython %s\nscript %s\n' "$(sha256sum <"$lock" | cut -c1-16)" "$pyver" \
  "$(sha256sum <"$0" | cut -c1-16)")
# The wheel of Google's discovery documents that plugins/source/gcp/catalog/generate.py reads
# (as a zip: not installed), by hash, into the wheel directory.
discovery_lock=$root/plugins/source/gcp/catalog/discovery-requirements.txt
fetch_discovery() {
  local w
  w=$(sed -n 's/^google-api-python-client==\([^ ]*\).*/google_api_python_client-\1-py3-none-any.whl/p' "$discovery_lock")
  [ -f "$wheels/$w" ] && return 0
  mkdir -p "$wheels"
  "$venv/bin/python" -m pip --disable-pip-version-check --no-input download --no-deps --require-hashes \
    --only-binary :all: -d "$wheels" -r "$discovery_lock" >/dev/null || die "pip could not download $discovery_lock"
  say "downloaded $w (Google's discovery documents, for the gcp catalog)"
}
if [ "$(cat "$venv/.ferry-stamp" 2>/dev/null)" = "$stamp" ] && "$venv/bin/python" -c '' 2>/dev/null; then
  fetch_discovery
  say "up to date ($(sed -n 's/^\(cloudquery-plugin-sdk\|neo4j\|chdb-core\)==\([^ ]*\).*/\1 \2/p' "$lock" | paste -sd, | sed 's/,/, /g'); Python ${pyver%% *})"
  exit 0
fi

start=$SECONDS
# Debian splits venv's pip bootstrap (ensurepip) into python3-venv.
if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  case "$py" in
    /usr/bin/*) . "$root/scripts/apt-install.sh"; apt_install install-python-peers python3-venv ;;
    *) die "$py has no venv/ensurepip module" ;;
  esac
  "$py" -c 'import venv, ensurepip' >/dev/null 2>&1 || die "$py still has no ensurepip after installing python3-venv"
fi
rm -rf "$venv"
"$py" -m venv "$venv"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
pip_() { "$venv/bin/python" -m pip --disable-pip-version-check --no-input "$@" >"$log" 2>&1; }
# Wheels only: every locked package has one for CPython on Linux, and nothing is compiled.
install() { pip_ install --no-compile --no-index --find-links "$wheels" --require-hashes --only-binary :all: -r "$lock"; }
if ! install; then
  mkdir -p "$wheels"
  # pip keeps no HTTP cache of its downloads here (the registry's answers carry no cache
  # headers), so the wheels are kept in a directory of their own; download skips those present.
  if ! pip_ download --require-hashes --only-binary :all: -d "$wheels" -r "$lock" || ! install; then
    cat "$log" >&2
    rm -rf "$venv"
    die "pip could not install $lock"
  fi
fi
"$venv/bin/python" -c 'import cloudquery.sdk.serve, cloudquery.sdk.internal.memdb, neo4j, chdb, clickhouse_cityhash.cityhash, yaml' ||
  { rm -rf "$venv"; die "the installed packages do not import"; }
echo "$stamp" >"$venv/.ferry-stamp"
fetch_discovery
v() { "$venv/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))"; }
say "installed cloudquery-plugin-sdk $(v cloudquery-plugin-sdk) (pyarrow $(v pyarrow), grpcio $(v grpcio), protobuf $(v protobuf)), neo4j $(v neo4j), chdb-core $(v chdb-core) with Python ${pyver%% *} in $((SECONDS - start)) s"
