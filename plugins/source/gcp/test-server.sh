# gcplocal, an emulator of a few Google Cloud REST APIs (PyPI gcplocal 0.1.0, Apache-2.0),
# sourced by scripts/test-servers.sh and scripts/install-test-servers.sh (the interface is
# described there). The gcp source's cross-check test (GcpLocal.* in gcp_source_test.cc)
# seeds it through its REST API and syncs what it serves: Cloud Storage buckets and their
# IAM policies, IAM service accounts and keys, Compute networks and firewalls. It has no
# aggregatedList, no Resource Manager v3, no paging for IAM and never answers 403
# (plugins/source/gcp/EMULATORS.md), so everything else is tested against the project's
# fake (testing/fake_gcp.py).
#
# Installed into its own venv $FERRY_CACHE_DIR/gcplocal-0.1.0/venv (default ~/.cache/ferry)
# from testing/gcplocal-requirements.txt (every wheel by sha256; wheels kept in
# $FERRY_CACHE_DIR/python-wheels). gcplocal/{pid,port,server.log}: on a free port of
# 127.0.0.1 (its default binds 0.0.0.0, so --host is always passed), in memory.
# Ready when GET /health answers 200.
# Env: FERRY_GCPLOCAL_URL=http://127.0.0.1:PORT FERRY_GCPLOCAL_PID
# Exit code 3: not installed.

test_server gcplocal gcplocal python3-venv curl

GCPLOCAL_VERSION=0.1.0
GCPLOCAL_LOCK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testing/gcplocal-requirements.txt

gcplocal_home() { echo "${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/gcplocal-$GCPLOCAL_VERSION"; }

gcplocal_install() {
  local venv py stamp
  venv=$(gcplocal_home)/venv
  py=$(command -v python3) || die "gcplocal: python3 not found (Debian package python3-venv)"
  stamp="lock $(sha256sum <"$GCPLOCAL_LOCK" | cut -c1-16) python $("$py" -c 'import sys; print(sys.version.split()[0])')"
  if [ "$(cat "$venv/.ferry-stamp" 2>/dev/null)" = "$stamp" ] && [ -x "$venv/bin/gcplocal" ]; then
    echo "gcplocal: $GCPLOCAL_VERSION up to date in $venv"
    return 0
  fi
  pip_venv gcplocal "$venv" "$GCPLOCAL_LOCK"
  echo "$stamp" >"$venv/.ferry-stamp"
  echo "gcplocal: installed $GCPLOCAL_VERSION in $venv"
}

gcplocal_installed() { [ -x "$(gcplocal_home)/venv/bin/gcplocal" ] && [ -f "$(gcplocal_home)/venv/.ferry-stamp" ]; }

gcplocal_ready() { curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$1/health"; }

gcplocal_running() { # dir
  local d=$1
  [ -f "$d/pid" ] && [ -f "$d/port" ] || return 1
  alive "$(cat "$d/pid")" || return 1
  gcplocal_ready "$(cat "$d/port")"
}

gcplocal_stop_pid() { stop_recorded_pid "$1" 'gcplocal' TERM; }

gcplocal_launch() { # dir
  local d=$1 pid
  touch "$d/server.log"
  setsid "$(gcplocal_home)/venv/bin/gcplocal" start --host 127.0.0.1 --port "$(cat "$d/port")" \
    >>"$d/server.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$d/pid"
  for _ in $(seq 1 300); do  # 30 s
    gcplocal_ready "$(cat "$d/port")" && return 0
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

gcplocal_env() {
  echo "FERRY_GCPLOCAL_URL=http://127.0.0.1:$(cat "$1/port")"
  echo "FERRY_GCPLOCAL_PID=$(cat "$1/pid")"
}

gcplocal_start() {
  local d=$1 ok=0 t0
  if gcplocal_running "$d"; then gcplocal_env "$d"; return 0; fi
  if ! gcplocal_installed; then
    log "gcplocal $GCPLOCAL_VERSION is not installed in $(gcplocal_home)/venv;"
    log "install it with: bash scripts/install-test-servers.sh"
    exit 3
  fi
  gcplocal_stop_pid "$d"
  rm -rf "$d"
  mkdir -p "$d"
  t0=$SECONDS
  for _ in 1 2 3; do
    free_port >"$d/port"
    : >"$d/server.log"
    if gcplocal_launch "$d"; then ok=1; break; fi
    gcplocal_stop_pid "$d"
    grep -qi "address already in use" "$d/server.log" || break
  done
  [ "$ok" -eq 1 ] || { tail -30 "$d/server.log" >&2 || true; die "gcplocal $GCPLOCAL_VERSION did not start"; }
  log "gcplocal: $GCPLOCAL_VERSION ready in $((SECONDS - t0)) s on http://127.0.0.1:$(cat "$d/port") (pid $(cat "$d/pid"), in memory)"
  gcplocal_env "$d"
}

gcplocal_restart() {
  local d=$1
  [ -f "$d/port" ] || die "gcplocal is not running (nothing to restart)"
  gcplocal_stop_pid "$d"
  sleep "${PAUSE:-0}"
  gcplocal_launch "$d" || { tail -30 "$d/server.log" >&2 || true; die "gcplocal restart failed"; }
  gcplocal_env "$d"
}
