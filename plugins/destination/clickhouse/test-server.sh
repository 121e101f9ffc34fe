# The ClickHouse test server, sourced by scripts/test-servers.sh and
# scripts/install-test-servers.sh (the interface is described there).

test_server clickhouse ch clickhouse-server clickhouse-client

# clickhouse/{pid,port,tcp_port,tcp_port_secure,version,config.xml,users.xml,
# data,log,tls}. The server runs as the calling user (root is fine) with its
# own config: HTTP, native TCP and native TCP over TLS (a certificate for
# 127.0.0.1 signed by the test CA tls/ca.pem, made per start by
# make_test_tls) on free ports of 127.0.0.1, UTC, query_log on (the destination
# reads it to resolve inserts whose answer was lost). Users: `default` without
# password, `ferry` with password `p@ss:w/rd` (for connection-string tests).
# Env: FERRY_CH_HOST FERRY_CH_HTTP_PORT FERRY_CH_TCP_PORT FERRY_CH_PID
#      FERRY_CH_TCP_SECURE_PORT FERRY_CH_CA (PEM file)
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

# 10 s: a loaded 2-core machine can take seconds to answer (test-servers.sh
# start waits for a live server that does not answer; it never wipes it).
ch_ping() { curl -sf -m 10 "http://127.0.0.1:$1/ping" >/dev/null 2>&1; }

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
  if [ -f "$d/tcp_port_secure" ]; then  # absent in servers started by an older copy of this script
    echo "FERRY_CH_TCP_SECURE_PORT=$(cat "$d/tcp_port_secure")"
    echo "FERRY_CH_CA=$d/tls/ca.pem"
  fi
  echo "FERRY_CH_PID=$(cat "$d/pid")"
  echo "FERRY_CH_URL=http://127.0.0.1:$port"
  echo "FERRY_CH_VERSION=$(cat "$d/version" 2>/dev/null || echo unknown)"
  echo "FERRY_CH_DIR=$d"
}

ch_stop_pid() { # dir: SIGTERM, then SIGKILL
  stop_recorded_pid "$1" clickhouse TERM
}

ch_config() { # dir http tcp tcp_secure
  local d=$1 http=$2 tcp=$3 tls=$4
  cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/log/server.log</log><errorlog>$d/log/err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host><http_port>$http</http_port><tcp_port>$tcp</tcp_port>
  <tcp_port_secure>$tls</tcp_port_secure>
  <openSSL><server><certificateFile>$d/tls/server.pem</certificateFile><privateKeyFile>$d/tls/server.key</privateKeyFile>
    <verificationMode>none</verificationMode><loadDefaultCAFile>false</loadDefaultCAFile>
    <disableProtocols>sslv2,sslv3</disableProtocols><preferServerCiphers>true</preferServerCiphers></server></openSSL>
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
  local d=$1 bin http tcp tls ok=0
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
  make_test_tls "$d"
  for _ in 1 2 3 4 5; do  # another process may take a port between the check and the bind
    http=$(free_port) tcp=$(free_port) tls=$(free_port)
    [ "$http" != "$tcp" ] && [ "$tls" != "$tcp" ] && [ "$tls" != "$http" ] || continue
    ch_config "$d" "$http" "$tcp" "$tls"
    if ch_launch "$d" "$bin" "$http"; then ok=1; break; fi
    log "clickhouse start on ports $http/$tcp failed, trying others"
    ch_stop_pid "$d"
  done
  [ "$ok" -eq 1 ] || { tail -20 "$d/log/err.log" "$d/log/stdout.log" >&2 || true; die "ClickHouse did not start"; }
  echo "$http" >"$d/port"
  echo "$tcp" >"$d/tcp_port"
  echo "$tls" >"$d/tcp_port_secure"
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
