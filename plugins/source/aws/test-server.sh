# moto, an emulator of the AWS APIs (PyPI moto[server] 5.2.6, Apache-2.0), sourced by
# scripts/test-servers.sh and scripts/install-test-servers.sh (the interface is described
# there). The aws source's tests seed it through the AWS APIs with testing/seed_moto.py and
# sync what it serves; what moto does and does not do (paging, accounts, signatures, errors)
# is measured in plugins/source/aws/EMULATORS.md.
#
# Installed into its own venv $FERRY_CACHE_DIR/moto-5.2.6/venv (default ~/.cache/ferry) from
# testing/moto-requirements.txt (every wheel by sha256, boto3 included for the seeding
# script; wheels kept in $FERRY_CACHE_DIR/python-wheels). moto/{pid,port,server.log}: one
# port of 127.0.0.1 for every service (moto routes by the SigV4 credential scope, not the
# Host; S3 is path-style on an IP host), in memory, every account and region.
# Ready when GET /moto-api/config answers 200.
# Env: FERRY_MOTO_URL=http://127.0.0.1:PORT FERRY_MOTO_PID FERRY_MOTO_PYTHON (the venv's
# python, with boto3, to run testing/seed_moto.py)
# Exit code 3: not installed.

test_server moto moto python3-venv curl

MOTO_VERSION=5.2.6
MOTO_LOCK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testing/moto-requirements.txt

moto_home() { echo "${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/moto-$MOTO_VERSION"; }

moto_install() {
  local venv py stamp
  venv=$(moto_home)/venv
  py=$(command -v python3) || die "moto: python3 not found (Debian package python3-venv)"
  stamp="lock $(sha256sum <"$MOTO_LOCK" | cut -c1-16) python $("$py" -c 'import sys; print(sys.version.split()[0])')"
  if [ "$(cat "$venv/.ferry-stamp" 2>/dev/null)" = "$stamp" ] && [ -x "$venv/bin/moto_server" ]; then
    echo "moto: $MOTO_VERSION up to date in $venv"
    return 0
  fi
  pip_venv moto "$venv" "$MOTO_LOCK"
  echo "$stamp" >"$venv/.ferry-stamp"
  echo "moto: installed $MOTO_VERSION in $venv"
}

moto_installed() { [ -x "$(moto_home)/venv/bin/moto_server" ] && [ -f "$(moto_home)/venv/.ferry-stamp" ]; }

moto_ready() { curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$1/moto-api/config"; }

moto_running() { # dir
  local d=$1
  [ -f "$d/pid" ] && [ -f "$d/port" ] || return 1
  alive "$(cat "$d/pid")" || return 1
  moto_ready "$(cat "$d/port")"
}

moto_stop_pid() { stop_recorded_pid "$1" 'moto_server' TERM; }

moto_launch() { # dir
  local d=$1 pid
  touch "$d/server.log"
  # MOTO_ACCOUNT_ID would pin every request to one account and disable the
  # x-moto-account-id header and access-key routing: never inherited.
  env -u MOTO_ACCOUNT_ID -u MOTO_PORT setsid "$(moto_home)/venv/bin/moto_server" -H 127.0.0.1 -p "$(cat "$d/port")" \
    >>"$d/server.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$d/pid"
  for _ in $(seq 1 300); do  # 30 s
    moto_ready "$(cat "$d/port")" && return 0
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

moto_env() {
  echo "FERRY_MOTO_URL=http://127.0.0.1:$(cat "$1/port")"
  echo "FERRY_MOTO_PID=$(cat "$1/pid")"
  echo "FERRY_MOTO_PYTHON=$(moto_home)/venv/bin/python"
}

moto_start() {
  local d=$1 ok=0 t0
  if moto_running "$d"; then moto_env "$d"; return 0; fi
  if ! moto_installed; then
    log "moto $MOTO_VERSION is not installed in $(moto_home)/venv;"
    log "install it with: bash scripts/install-test-servers.sh"
    exit 3
  fi
  moto_stop_pid "$d"
  rm -rf "$d"
  mkdir -p "$d"
  t0=$SECONDS
  for _ in 1 2 3; do
    free_port >"$d/port"
    : >"$d/server.log"
    if moto_launch "$d"; then ok=1; break; fi
    moto_stop_pid "$d"
    grep -qi "address already in use" "$d/server.log" || break
  done
  [ "$ok" -eq 1 ] || { tail -30 "$d/server.log" >&2 || true; die "moto $MOTO_VERSION did not start"; }
  log "moto: $MOTO_VERSION ready in $((SECONDS - t0)) s on http://127.0.0.1:$(cat "$d/port") (pid $(cat "$d/pid"), in memory)"
  moto_env "$d"
}

moto_restart() {
  local d=$1
  [ -f "$d/port" ] || die "moto is not running (nothing to restart)"
  moto_stop_pid "$d"
  sleep "${PAUSE:-0}"
  moto_launch "$d" || { tail -30 "$d/server.log" >&2 || true; die "moto restart failed"; }
  moto_env "$d"
}
