# The PostgreSQL test server, sourced by scripts/test-servers.sh and
# scripts/install-test-servers.sh (the interface is described there).
#
# postgres/{pid,port,data,server.log}: a fresh initdb on a free port of
# 127.0.0.1, durability off (fsync=off; tests only). As root the server runs
# as user `postgres` (initdb refuses root) through runuser.
# Env: FERRY_PG_HOST FERRY_PG_PORT FERRY_PG_USER FERRY_PG_SOCKET_DIR
#      FERRY_PG_PID FERRY_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres
# Exit code 3: the PostgreSQL server is not installed.

test_server postgres pg postgresql-15 postgresql-client-15

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

pg_stop_pid() { # dir: fast shutdown (SIGINT), then SIGQUIT, then SIGKILL
  stop_recorded_pid "$1" postgres INT QUIT
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
