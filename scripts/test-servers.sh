#!/usr/bin/env bash
# Throwaway database servers for integration tests, on 127.0.0.1 only.
#
#   test-servers.sh start postgres    start PostgreSQL (or reuse the running one), print its env
#   test-servers.sh restart postgres [SECS]  stop and start it again, same port and data, down
#                                     for SECS seconds in between (default 0; outage tests)
#   test-servers.sh stop postgres|all stop by recorded pid
#   test-servers.sh env [postgres]    print the env of running servers
#   test-servers.sh start|restart|stop|env clickhouse   the same for ClickHouse (section below)
#
# `start` and `env` print shell assignments on stdout, e.g.
#   FERRY_PG_HOST=127.0.0.1  FERRY_PG_PORT=43127  FERRY_PG_USER=postgres
#   FERRY_PG_SOCKET_DIR=...  FERRY_PG_PID=...     FERRY_PG_URL=postgresql://postgres@127.0.0.1:43127/postgres
# so `eval "$(scripts/test-servers.sh start postgres)"` works; logs go to stderr.
#
# State lives in $FERRY_TEST_SERVERS_DIR (default /tmp/ferry-test-servers):
# postgres/{pid,port,data,server.log}. A running server recorded there is
# reused, so many test processes (ctest runs each case in its own) share one;
# start/stop hold an flock so concurrent callers never race. A server is a
# fresh initdb in that directory on a free port, with durability off
# (fsync=off): it is for tests only. As root the server runs as user
# `postgres` (initdb refuses root) through runuser.
#
# Exit codes: 0 ok; 1 failure (the log tail is printed); 3 PostgreSQL is not
# installed (run scripts/install-test-servers.sh).
set -euo pipefail

ROOT=${FERRY_TEST_SERVERS_DIR:-/tmp/ferry-test-servers}

log() { echo "[test-servers] $*" >&2; }
die() { log "$*"; exit 1; }

alive() { # pid: running and not a zombie (pid 1 may reap orphans late)
  [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Runs a command as the server's user: `postgres` when we are root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  if [ -n "${FERRY_PG_BIN:-}" ]; then echo "$FERRY_PG_BIN"; return; fi
  local d
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  echo ""
}

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
  die "no free TCP port found"
}

pg_env() { # dir
  local d=$1 port pid
  port=$(cat "$d/port") pid=$(cat "$d/pid")
  echo "FERRY_PG_HOST=127.0.0.1"
  echo "FERRY_PG_PORT=$port"
  echo "FERRY_PG_USER=postgres"
  echo "FERRY_PG_SOCKET_DIR=$d"
  echo "FERRY_PG_PID=$pid"
  echo "FERRY_PG_URL=postgresql://postgres@127.0.0.1:$port/postgres"
}

pg_running() { # dir: recorded, alive, answering
  local d=$1 bin
  [ -f "$d/pid" ] && [ -f "$d/port" ] || return 1
  alive "$(cat "$d/pid")" || return 1
  bin=$(pg_bin)
  [ -n "$bin" ] && "$bin/pg_isready" -q -h 127.0.0.1 -p "$(cat "$d/port")" -t 2
}

pg_stop_pid() { # dir: fast shutdown by pid (SIGINT), then SIGQUIT, then SIGKILL
  local d=$1 pid
  [ -f "$d/pid" ] || return 0
  pid=$(cat "$d/pid")
  # Only signal the process if it still is a postgres server (pids are reused).
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q postgres; then
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -QUIT "$pid" 2>/dev/null || true; sleep 1; fi
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$d/pid"
}

pg_launch() { # dir bin port: start the postmaster on an existing data dir
  local d=$1 bin=$2 port=$3
  as_pg "$bin/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 30 -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $d -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null 2>>"$d/pg_ctl.log" 9>&-   # the server must not inherit the lock
}

pg_start() { # dir
  local d=$1 bin port ok=0
  if pg_running "$d"; then pg_env "$d"; return 0; fi
  bin=$(pg_bin)
  if [ -z "$bin" ]; then
    log "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin;"
    log "install them with: bash scripts/install-test-servers.sh (or set FERRY_PG_BIN)"
    exit 3
  fi
  pg_stop_pid "$d"
  rm -rf "$d"
  mkdir -p "$d"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$d"
  as_pg "$bin/initdb" -D "$d/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$d/initdb.log" 2>&1 || { tail -20 "$d/initdb.log" >&2; die "initdb failed"; }
  for _ in 1 2 3 4 5; do  # another process may take the port between the check and the bind
    port=$(free_port)
    if pg_launch "$d" "$bin" "$port"; then ok=1; break; fi
    log "start on port $port failed, trying another"
  done
  [ "$ok" -eq 1 ] || { tail -20 "$d/server.log" >&2 || true; die "PostgreSQL did not start"; }
  head -1 "$d/data/postmaster.pid" >"$d/pid"
  echo "$port" >"$d/port"
  for _ in $(seq 1 300); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 && break
    sleep 0.1
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || die "PostgreSQL on port $port is not ready"
  log "postgres $("$bin/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$port (pid $(cat "$d/pid"), data $d/data)"
  pg_env "$d"
}

pg_restart() { # dir: same data and port
  local d=$1 bin port
  [ -f "$d/port" ] && [ -d "$d/data" ] || die "postgres is not running (nothing to restart)"
  bin=$(pg_bin) port=$(cat "$d/port")
  pg_stop_pid "$d"
  sleep "${PAUSE:-0}"
  pg_launch "$d" "$bin" "$port" || { tail -20 "$d/server.log" >&2; die "restart on port $port failed"; }
  head -1 "$d/data/postmaster.pid" >"$d/pid"
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 || die "PostgreSQL on port $port is not ready"
  pg_env "$d"
}

# ---------------------------------------------------------------- ClickHouse
# clickhouse/{pid,port,tcp_port,version,config.xml,users.xml,data,log}. The
# server runs as the calling user (root is fine) with its own config: HTTP and
# native TCP on free ports of 127.0.0.1, UTC, query_log on (the destination
# reads it to resolve inserts whose answer was lost). Users: `default` without
# password, `ferry` with password `p@ss:w/rd` (for connection-string tests).
# Env: FERRY_CH_HOST FERRY_CH_HTTP_PORT FERRY_CH_TCP_PORT FERRY_CH_PID
#      FERRY_CH_URL=http://127.0.0.1:PORT FERRY_CH_VERSION FERRY_CH_DIR
# Exit code 3: clickhouse-server is not installed.

ch_bin() {
  if [ -n "${FERRY_CH_BIN:-}" ]; then
    if [ -x "$FERRY_CH_BIN" ]; then echo "$FERRY_CH_BIN"; else echo ""; fi
    return
  fi
  local b
  for b in /usr/bin/clickhouse-server /usr/sbin/clickhouse-server "$(command -v clickhouse-server 2>/dev/null || true)"; do
    [ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return; }
  done
  echo ""
}

ch_ping() { curl -sf -m 2 "http://127.0.0.1:$1/ping" >/dev/null 2>&1; }

ch_running() { # dir: recorded, alive, answering
  local d=$1
  [ -f "$d/pid" ] && [ -f "$d/port" ] || return 1
  alive "$(cat "$d/pid")" || return 1
  ch_ping "$(cat "$d/port")"
}

ch_env() { # dir
  local d=$1 port
  port=$(cat "$d/port")
  echo "FERRY_CH_HOST=127.0.0.1"
  echo "FERRY_CH_HTTP_PORT=$port"
  echo "FERRY_CH_TCP_PORT=$(cat "$d/tcp_port")"
  echo "FERRY_CH_PID=$(cat "$d/pid")"
  echo "FERRY_CH_URL=http://127.0.0.1:$port"
  echo "FERRY_CH_VERSION=$(cat "$d/version" 2>/dev/null || echo unknown)"
  echo "FERRY_CH_DIR=$d"
}

ch_stop_pid() { # dir
  local d=$1 pid
  [ -f "$d/pid" ] || return 0
  pid=$(cat "$d/pid")
  # Only signal the process if it still is a clickhouse server (pids are reused).
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q clickhouse; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$d/pid"
}

ch_config() { # dir http tcp
  local d=$1 http=$2 tcp=$3
  cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/log/server.log</log><errorlog>$d/log/err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host><http_port>$http</http_port><tcp_port>$tcp</tcp_port>
  <max_concurrent_queries>200</max_concurrent_queries><mark_cache_size>268435456</mark_cache_size>
  <path>$d/data/</path><tmp_path>$d/tmp/</tmp_path><user_files_path>$d/user_files/</user_files_path>
  <users_config>$d/users.xml</users_config><default_profile>default</default_profile>
  <default_database>default</default_database><timezone>UTC</timezone>
  <query_log><database>system</database><table>query_log</table><flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log>
</yandex>
EOF
  cat >"$d/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile><quota>default</quota></default>
    <ferry><password>p@ss:w/rd</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile><quota>default</quota></ferry>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
}

ch_launch() { # dir bin http: start on the existing config; 0 once /ping answers
  local d=$1 bin=$2 http=$3 pid
  setsid "$bin" --config-file="$d/config.xml" >>"$d/log/stdout.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$d/pid"
  for _ in $(seq 1 300); do
    ch_ping "$http" && return 0
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

ch_start() { # dir
  local d=$1 bin http tcp ok=0
  if ch_running "$d"; then ch_env "$d"; return 0; fi
  bin=$(ch_bin)
  if [ -z "$bin" ]; then
    log "clickhouse-server not found (looked in /usr/bin, /usr/sbin, PATH);"
    log "install it with: bash scripts/install-test-servers.sh (or set FERRY_CH_BIN)"
    exit 3
  fi
  ch_stop_pid "$d"
  rm -rf "$d"
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/log"
  for _ in 1 2 3 4 5; do  # another process may take a port between the check and the bind
    http=$(free_port) tcp=$(free_port)
    [ "$http" != "$tcp" ] || continue
    ch_config "$d" "$http" "$tcp"
    if ch_launch "$d" "$bin" "$http"; then ok=1; break; fi
    log "clickhouse start on ports $http/$tcp failed, trying others"
    ch_stop_pid "$d"
  done
  [ "$ok" -eq 1 ] || { tail -20 "$d/log/err.log" "$d/log/stdout.log" >&2 || true; die "ClickHouse did not start"; }
  echo "$http" >"$d/port"
  echo "$tcp" >"$d/tcp_port"
  curl -sf --data-binary 'SELECT version()' "http://127.0.0.1:$http/" >"$d/version" || die "SELECT version() failed"
  log "clickhouse $(cat "$d/version") ready on 127.0.0.1:$http (native $tcp, pid $(cat "$d/pid"), data $d/data)"
  ch_env "$d"
}

ch_restart() { # dir: same data and ports
  local d=$1 bin
  [ -f "$d/port" ] && [ -f "$d/config.xml" ] || die "clickhouse is not running (nothing to restart)"
  bin=$(ch_bin)
  ch_stop_pid "$d"
  sleep "${PAUSE:-0}"
  ch_launch "$d" "$bin" "$(cat "$d/port")" || { tail -20 "$d/log/err.log" >&2 || true; die "clickhouse restart failed"; }
  ch_env "$d"
}

with_lock() { # name cmd...: serialise start/stop of one server across processes
  local name=$1; shift
  mkdir -p "$ROOT"
  exec 9>"$ROOT/$name.lock"
  flock 9
  "$@"
}

cmd=${1:-}
name=${2:-}
PAUSE=${3:-0}
case "$cmd" in
  start|restart)
    case "$name" in
      postgres) with_lock postgres "pg_$cmd" "$ROOT/postgres" ;;
      clickhouse) with_lock clickhouse "ch_$cmd" "$ROOT/clickhouse" ;;
      *) die "usage: $0 $cmd postgres|clickhouse" ;;
    esac
    ;;
  stop)
    case "$name" in
      postgres|all) (with_lock postgres pg_stop_pid "$ROOT/postgres"); rm -rf "${ROOT:?}/postgres" ;;&
      clickhouse|all) (with_lock clickhouse ch_stop_pid "$ROOT/clickhouse"); rm -rf "${ROOT:?}/clickhouse" ;;
      postgres) ;;
      *) die "usage: $0 stop postgres|clickhouse|all" ;;
    esac
    ;;
  env)
    if pg_running "$ROOT/postgres"; then pg_env "$ROOT/postgres"
    elif [ "$name" = postgres ]; then die "postgres is not running"; fi
    if ch_running "$ROOT/clickhouse"; then ch_env "$ROOT/clickhouse"
    elif [ "$name" = clickhouse ]; then die "clickhouse is not running"; fi
    ;;
  *)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
