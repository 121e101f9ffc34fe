#!/usr/bin/env bash
# Throwaway servers for integration tests, on 127.0.0.1 only.
#
#   test-servers.sh start NAME          start it (or reuse the running one), print its env
#   test-servers.sh restart NAME [SECS] stop and start it again, same ports and data, down
#                                       for SECS seconds in between (default 0; outage tests)
#   test-servers.sh stop NAME|all       stop by recorded pid
#   test-servers.sh env [NAME]          print the env of running servers
#   test-servers.sh list                the servers this tree knows
#
# `start` and `env` print shell assignments on stdout, e.g.
#   FERRY_PG_HOST=127.0.0.1  FERRY_PG_PORT=43127  FERRY_PG_USER=postgres ...
# so `eval "$(scripts/test-servers.sh start postgres)"` works; logs go to stderr.
#
# The servers are defined by the integrations that test against them: each
# plugins/<kind>/<name>/test-server.sh (sourced here and by
# install-test-servers.sh) calls
#   test_server NAME PREFIX [DEBIAN_PACKAGE...]
# and defines PREFIX_start DIR, PREFIX_restart DIR (reads $PAUSE),
# PREFIX_stop_pid DIR, PREFIX_running DIR and PREFIX_env DIR, and optionally
# PREFIX_install (steps beyond the Debian packages, e.g. jars from Maven
# Central, cached). A new kind of server is one new file in the plugin's
# folder; nothing here changes.
#
# State lives in $FERRY_TEST_SERVERS_DIR (default /tmp/ferry-test-servers),
# one directory per server. A running server recorded there is reused, so
# many test processes (ctest runs each case in its own) share one; start/stop
# hold an flock so concurrent callers never race. Servers run with durability
# off: they are for tests only.
#
# Exit codes: 0 ok; 1 failure (the log tail is printed); 2 usage; 3 the
# server is not installed (run scripts/install-test-servers.sh).
set -euo pipefail

# Close what the caller left open above stderr (e.g. the lock file of
# `flock FILE cmd`): a server started below would inherit it and hold that
# lock for as long as it runs. 255 is bash's own copy of this script.
for _fd in /proc/$$/fd/*; do
  _fd=${_fd##*/}
  if [ "$_fd" -gt 2 ] && [ "$_fd" -ne 255 ]; then eval "exec $_fd>&-"; fi
done
unset _fd

ROOT=${FERRY_TEST_SERVERS_DIR:-/tmp/ferry-test-servers}

log() { echo "[test-servers] $*" >&2; }
die() { log "$*"; exit 1; }

alive() { # pid: running and not a zombie (pid 1 may reap orphans late)
  [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Stops the server whose pid DIR/pid records: SIGNALS in turn (the first
# gets 15 s, each later one 1 s), then SIGKILL; only while the process's
# command line still matches PATTERN (pids are reused). Removes DIR/pid.
stop_recorded_pid() { # dir pattern signal...
  local d=$1 pattern=$2 pid first=1 sig
  shift 2
  [ -f "$d/pid" ] || return 0
  pid=$(cat "$d/pid")
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$pattern"; then
    for sig in "$@" KILL; do
      alive "$pid" || break
      kill "-$sig" "$pid" 2>/dev/null || true
      if [ "$first" -eq 1 ]; then
        for _ in $(seq 1 150); do alive "$pid" || break; sleep 0.1; done
        first=0
      else
        sleep 1
      fi
    done
  fi
  rm -f "$d/pid"
}

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
  die "no free TCP port found"
}

. "$(dirname "${BASH_SOURCE[0]}")/test-server-lib.sh"  # maven_jars, make_test_tls

# The servers, from the plugin folders.
SERVER_NAMES=()
declare -A SERVER_PREFIX=()
test_server() { # name prefix [debian packages...]
  SERVER_NAMES+=("$1")
  SERVER_PREFIX[$1]=$2
}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for frag in "$REPO"/plugins/*/*/test-server.sh; do
  [ -f "$frag" ] && . "$frag"
done

with_lock() { # name cmd...: serialise start/stop of one server across processes
  local name=$1; shift
  mkdir -p "$ROOT"
  exec 9>"$ROOT/$name.lock"
  flock 9
  "$@"
}

# `start`: a recorded server whose process is alive is in use by other test
# processes; when it does not answer PREFIX_running at once (a loaded machine:
# its health check has a short timeout) it is waited for, not stopped, wiped
# and started afresh under them. Only a server that has not answered for
# FERRY_TEST_SERVERS_WAIT seconds (default 120) is restarted, with a message.
recorded_alive() { # dir: DIR/pid names a live process that started before the file was written (not a reused pid)
  local pid btime ticks
  pid=$(cat "$1/pid" 2>/dev/null) && alive "$pid" || return 1
  btime=$(awk '/^btime/ {print $2}' /proc/stat)
  ticks=$(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $20}')  # field 22, starttime
  [ $((btime + ticks / $(getconf CLK_TCK))) -le $(($(stat -c %Y "$1/pid") + 1)) ]
}
start_server() { # name
  local n=$1 p=${SERVER_PREFIX[$1]} d=$ROOT/$1 pid t0
  if recorded_alive "$d"; then
    pid=$(cat "$d/pid")
    t0=$SECONDS
    while alive "$pid"; do
      if "${p}_running" "$d"; then "${p}_env" "$d"; return 0; fi
      [ $((SECONDS - t0)) -lt "${FERRY_TEST_SERVERS_WAIT:-120}" ] || break
      log "$n (pid $pid) is alive but did not answer; waiting for it ($((SECONDS - t0)) s)"
      sleep 2
    done
    if alive "$pid"; then log "$n (pid $pid) did not answer for $((SECONDS - t0)) s: restarting it"
    else log "$n (pid $pid) ended while waiting for it: starting it again"; fi
  fi
  "${p}_start" "$d"
}

cmd=${1:-}
name=${2:-}
PAUSE=${3:-0}
known() { [ -n "${SERVER_PREFIX[$1]:-}" ] || die "unknown server '$1' (known: ${SERVER_NAMES[*]})"; }
case "$cmd" in
  start|restart)
    [ -n "$name" ] || die "usage: $0 $cmd NAME (one of: ${SERVER_NAMES[*]})"
    known "$name"
    if [ "$cmd" = start ]; then with_lock "$name" start_server "$name"
    else with_lock "$name" "${SERVER_PREFIX[$name]}_$cmd" "$ROOT/$name"; fi
    ;;
  stop)
    [ -n "$name" ] || die "usage: $0 stop NAME|all (NAME one of: ${SERVER_NAMES[*]})"
    if [ "$name" = all ]; then targets=("${SERVER_NAMES[@]}"); else known "$name"; targets=("$name"); fi
    for n in "${targets[@]}"; do
      (with_lock "$n" "${SERVER_PREFIX[$n]}_stop_pid" "$ROOT/$n")
      rm -rf "${ROOT:?}/$n"
    done
    ;;
  env)
    [ -z "$name" ] || known "$name"
    for n in "${SERVER_NAMES[@]}"; do
      [ -z "$name" ] || [ "$n" = "$name" ] || continue
      if "${SERVER_PREFIX[$n]}_running" "$ROOT/$n"; then "${SERVER_PREFIX[$n]}_env" "$ROOT/$n"
      elif [ -n "$name" ]; then die "$n is not running"; fi
    done
    ;;
  list)
    printf '%s\n' "${SERVER_NAMES[@]}"
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
