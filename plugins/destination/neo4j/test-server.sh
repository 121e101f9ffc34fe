# The Neo4j test servers, sourced by scripts/test-servers.sh and
# scripts/install-test-servers.sh (the interface is described there).
#
# A real Neo4j 5.26.30 (Community Edition, GPL-3.0: its own process, never
# linked into Ferry): one JVM running an embedded DBMS with its Bolt connector
# (testing/Neo4jTestServer.java), from the Maven Central jars that
# neo4j_install caches in $FERRY_CACHE_DIR/neo4j-5.26.30/lib (default
# ~/.cache/ferry; Maven's own repository ~/.m2 fills too), the launcher
# compiled into .../launcher/launcher.jar, and a class-data archive of the
# classes a start loads (.../cds; starts take ~5 s instead of ~7.5). No
# distribution, no neo4j-admin. It runs as the calling user (root is fine).
# Two servers:
#
#   neo4j         auth on: user `neo4j`, password `ferry-secret-pw` (the
#                 launcher sets it with ALTER USER through the system database
#                 before it reports ready, at every start; no change required;
#                 failed logins never lock the user out)
#   neo4j-noauth  the same with dbms.security.auth_enabled=false (any or no
#                 credentials are accepted)
#
# neo4j/{pid,port,neo4j.conf,server.log,logs/,data/,tls/}: Bolt on a free
# port of 127.0.0.1, TLS optional on that same port (server.bolt.tls_level=
# OPTIONAL): bolt:// speaks plain Bolt, bolt+s:// (or bolt:// with encryption
# on) TLS with tls/server.pem, a cert for 127.0.0.1 and localhost signed by
# the CA tls/ca.pem, both made per start (no client certs). The databases
# `system` and `neo4j` live in data/ (kept by restart). Heap 64-768 MB
# (FERRY_NEO4J_JVM_OPTS; FERRY_NEO4J_JAVA names another java, 17 or 21),
# page cache 64 MB. Durability is Neo4j's own (it has no fsync switch); the
# state dir is throwaway. server.log has the JVM's output, the DBMS's user
# log and the launcher's READY line; logs/debug.log Neo4j's internal log.
# Bolt versions the server agrees to: 4.0-4.4, 5.0-5.4, 5.6-5.8 (and the
# 5.7+ manifest handshake).
# Env (neo4j): FERRY_NEO4J_URI=bolt://127.0.0.1:PORT FERRY_NEO4J_HOST
#      FERRY_NEO4J_PORT FERRY_NEO4J_USER FERRY_NEO4J_PASSWORD FERRY_NEO4J_CA
#      (PEM) FERRY_NEO4J_PID FERRY_NEO4J_DIR
# Env (neo4j-noauth): FERRY_NEO4J_NOAUTH_URI FERRY_NEO4J_NOAUTH_HOST
#      FERRY_NEO4J_NOAUTH_PORT FERRY_NEO4J_NOAUTH_CA FERRY_NEO4J_NOAUTH_PID
#      FERRY_NEO4J_NOAUTH_DIR
# Exit code 3: the jars (or java) are not installed.

test_server neo4j neo4j openjdk-17-jre-headless maven openssl
test_server neo4j-noauth neo4j_noauth

NEO4J_VERSION=5.26.30
NEO4J_USER=neo4j
NEO4J_PASSWORD=ferry-secret-pw
# The JVM (FERRY_NEO4J_JVM_OPTS replaces it): a small heap (-Xms64m: idle RSS
# ~385 MB; -Xms256m: ~500 MB; start time the same); the --add-opens
# let the page cache and the transaction log use their fast paths on Java 17
# (without them debug.log warns and Neo4j falls back).
NEO4J_JVM_OPTS="-Xms64m -Xmx768m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
-Dlog4j2.disable.jmx=true"
NEO4J_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testing/Neo4jTestServer.java

neo4j_home() { echo "${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/neo4j-$NEO4J_VERSION"; }
neo4j_java() { echo "${FERRY_NEO4J_JAVA:-java}"; }

# The jars: the embedded DBMS (org.neo4j:neo4j, Community) and its Bolt
# server (org.neo4j:neo4j-bolt), with all they depend on at run time.
neo4j_pom() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by plugins/destination/neo4j/test-server.sh (neo4j_install). -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ferry.test-servers</groupId><artifactId>neo4j-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j</artifactId><version>$NEO4J_VERSION</version></dependency>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j-bolt</artifactId><version>$NEO4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
}

# Compiles the launcher into $(neo4j_home)/launcher/launcher.jar unless the
# jar there comes from this source (launcher/.src holds its sha256). javac and
# jar of the JDK modules jdk.compiler and jdk.jartool, which the JRE package
# ships too (no javac binary needed), run by the java that runs the server.
# A new jar makes the class-data archive stale: it goes too.
neo4j_compile() {
  local home dir sum cp
  home=$(neo4j_home) dir=$(neo4j_home)/launcher
  sum=$(sha256sum "$NEO4J_SRC" | cut -d' ' -f1)
  [ -f "$dir/.src" ] && [ "$(cat "$dir/.src")" = "$sum" ] && return 0
  (
    exec 8>"$home/.compile.lock"
    flock 8
    [ -f "$dir/.src" ] && [ "$(cat "$dir/.src")" = "$sum" ] && exit 0
    cp=$(printf '%s:' "$home"/lib/*.jar)
    rm -rf "$dir.new"
    mkdir -p "$dir.new/classes"
    "$(neo4j_java)" -m jdk.compiler/com.sun.tools.javac.Main -nowarn -d "$dir.new/classes" -cp "$cp" "$NEO4J_SRC" >&2 \
      && "$(neo4j_java)" -m jdk.jartool/sun.tools.jar.Main cf "$dir.new/launcher.jar" -C "$dir.new/classes" . >&2 \
      || { rm -rf "$dir.new"; exit 1; }
    echo "$sum" >"$dir.new/.src"
    rm -rf "$dir" "$home/cds"
    mv "$dir.new" "$dir"
    echo "neo4j: compiled the launcher ($NEO4J_SRC)" >&2
  ) || die "neo4j: could not compile $NEO4J_SRC"
}

# The class-data archive (AppCDS) for the java that runs the server, keyed by
# its path: with it a start takes about 5 s instead of 7.5 (the JVM maps the
# classes Neo4j loads at start instead of loading and verifying them). The
# JVM checks it against its own build, the class path and the jars' sizes
# and times, and runs without it when anything differs.
neo4j_cds_file() {
  local j
  j=$(readlink -f "$(command -v "$(neo4j_java)")") || return 1
  echo "$(neo4j_home)/cds/$(printf '%s' "$j" | sha256sum | cut -c1-16).jsa"
}

neo4j_alive() { # pid: running and not a zombie (install-test-servers.sh has no alive())
  [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Records the archive: starts a throwaway server (auth and TLS on, as the
# real ones) with -XX:ArchiveClassesAtExit, waits until it is ready, stops it;
# the JVM writes the archive as it exits (about 7 s). Without it (any
# failure) the servers start all the same, only slower.
neo4j_cds() {
  local jsa tmp port pid
  jsa=$(neo4j_cds_file) || return 0
  if [ -f "$jsa" ]; then echo "neo4j: class-data archive present ($jsa)"; return 0; fi
  echo "neo4j: recording a class-data archive ($jsa): one start and stop of a throwaway server"
  mkdir -p "$(dirname "$jsa")"
  rm -f "$jsa.new"
  tmp=$(mktemp -d)
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . || break
  done
  neo4j_tls "$tmp"
  echo "$port" >"$tmp/port"
  neo4j_config "$tmp" "$port" 1
  if NEO4J_CDS_RECORD=$jsa.new neo4j_launch "$tmp" 1; then
    pid=$(cat "$tmp/pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 600); do neo4j_alive "$pid" || break; sleep 0.1; done
    neo4j_alive "$pid" && { kill -KILL "$pid" 2>/dev/null || true; }
  else
    tail -20 "$tmp/server.log" >&2 || true
    pid=$(cat "$tmp/pid" 2>/dev/null) && { kill -KILL "$pid" 2>/dev/null || true; }
  fi
  if [ -s "$jsa.new" ]; then
    mv "$jsa.new" "$jsa"
    echo "neo4j: class-data archive recorded, $(du -sh "$jsa" | cut -f1)"
  else
    rm -f "$jsa.new"
    echo "neo4j: no class-data archive (servers start without it; $tmp/server.log)" >&2
    return 0
  fi
  rm -rf "$tmp"
}

# Fetches the jars into $(neo4j_home)/lib unless the ones this pom names are
# there (lib/.pom is the pom they came from), compiles the launcher and
# records the class-data archive. Idempotent.
neo4j_install() {
  local home
  home=$(neo4j_home)
  maven_jars neo4j "$home" "$(neo4j_pom)" "neo4j-$NEO4J_VERSION.jar" "neo4j-bolt-$NEO4J_VERSION.jar"
  # New jars: the launcher and the class-data archive are built again.
  [ "$MAVEN_JARS_FETCHED" = 0 ] || rm -rf "$home/launcher" "$home/cds"
  command -v "$(neo4j_java)" >/dev/null || die "neo4j: java not found (Debian package openjdk-17-jre-headless)"
  neo4j_compile
  echo "neo4j: launcher in $home/launcher/launcher.jar (from $NEO4J_SRC)"
  neo4j_cds
}

neo4j_installed() { # 0 when the jars and java are there
  [ -f "$(neo4j_home)/lib/.pom" ] && command -v "$(neo4j_java)" >/dev/null
}

# 0 when a Bolt server on 127.0.0.1:$1 answers the handshake with a version
# (proposals 5.8..5.0 and 4.4..4.0); a plain TCP client in bash, no driver.
neo4j_ping() {
  local reply
  reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x04\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00" >&3
    head -c 4 <&3 | od -An -tx1' _ "$1" 2>/dev/null | tr -d ' \n') || return 1
  [ "${#reply}" -eq 8 ] && [ "$reply" != 00000000 ]
}

neo4j_env_as() { # dir var-prefix auth(0|1)
  local d=$1 v=$2 port
  port=$(cat "$d/port")
  echo "${v}_URI=bolt://127.0.0.1:$port"
  echo "${v}_HOST=127.0.0.1"
  echo "${v}_PORT=$port"
  if [ "$3" -eq 1 ]; then
    echo "${v}_USER=$NEO4J_USER"
    echo "${v}_PASSWORD=$NEO4J_PASSWORD"
  fi
  echo "${v}_CA=$d/tls/ca.pem"
  echo "${v}_PID=$(cat "$d/pid")"
  echo "${v}_DIR=$d"
}

neo4j_running() { # dir: recorded, alive, answering
  local d=$1
  [ -f "$d/pid" ] && [ -f "$d/port" ] || return 1
  alive "$(cat "$d/pid")" || return 1
  neo4j_ping "$(cat "$d/port")"
}

neo4j_stop_pid() { # dir: SIGTERM (the DBMS shuts down cleanly), then SIGKILL
  stop_recorded_pid "$1" 'Neo4jTestServer' TERM
}

# A CA and a server certificate for 127.0.0.1/localhost signed by it, as PEM
# files for the bolt SSL policy (key unencrypted, PKCS#8).
neo4j_tls() { # dir
  make_test_tls "$1"
}

neo4j_config() { # dir port auth(0|1)
  local d=$1 port=$2 auth=false
  [ "$3" -eq 1 ] && auth=true
  cat >"$d/neo4j.conf" <<EOF
# Written by plugins/destination/neo4j/test-server.sh; read by Neo4jTestServer.
server.directories.data=$d/data
server.directories.logs=$d/logs
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$port
server.bolt.advertised_address=127.0.0.1:$port
server.bolt.tls_level=OPTIONAL
server.http.enabled=false
server.https.enabled=false
dbms.ssl.policy.bolt.enabled=true
dbms.ssl.policy.bolt.base_directory=$d/tls
dbms.ssl.policy.bolt.private_key=server.key
dbms.ssl.policy.bolt.public_certificate=server.pem
dbms.ssl.policy.bolt.client_auth=NONE
dbms.ssl.policy.bolt.verify_hostname=false
dbms.security.auth_enabled=$auth
dbms.security.auth_max_failed_attempts=0
dbms.usage_report.enabled=false
internal.dbms.usage_report.udc_network_enabled=false
server.memory.pagecache.size=64m
db.memory.pagecache.warmup.enable=false
db.tx_log.preallocate=false
db.tx_log.rotation.retention_policy=false
# Stop in about 1.5 s instead of 11: the Bolt server waits for its (idle)
# connections and worker pool up to 5 s each by default.
internal.server.bolt.connection_shutdown_wait_time=200ms
internal.server.bolt.thread_pool_shutdown_wait_time=200ms
EOF
}

neo4j_since() { # t0 (date +%s%N): the seconds since, as 1.234
  awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}

neo4j_launch() { # dir auth(0|1): start the DBMS on the existing config; 0 once Bolt answers
  local d=$1 pw="" pid from cds="" jsa
  [ "$2" -eq 1 ] && pw=$NEO4J_PASSWORD
  if [ -n "${NEO4J_CDS_RECORD:-}" ]; then
    cds="-XX:ArchiveClassesAtExit=$NEO4J_CDS_RECORD"
  elif jsa=$(neo4j_cds_file) && [ -f "$jsa" ]; then
    cds="-XX:SharedArchiveFile=$jsa"
  fi
  touch "$d/server.log"
  from=$(($(stat -c %s "$d/server.log") + 1))
  # shellcheck disable=SC2086  # a list of JVM options
  FERRY_NEO4J_INITIAL_PASSWORD=$pw setsid "$(neo4j_java)" ${FERRY_NEO4J_JVM_OPTS:-$NEO4J_JVM_OPTS} $cds \
    -Djava.awt.headless=true -cp "$(neo4j_home)/lib/*:$(neo4j_home)/launcher/launcher.jar" Neo4jTestServer "$d" \
    >>"$d/server.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$d/pid"
  for _ in $(seq 1 1200); do  # 120 s: a cold start on a busy machine
    if tail -c "+$from" "$d/server.log" | grep -q '^READY bolt://'; then
      neo4j_ping "$(cat "$d/port")" && return 0
    fi
    neo4j_alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

neo4j_start_as() { # dir auth(0|1) name
  local d=$1 auth=$2 name=$3 port ok=0 t0
  if neo4j_running "$d"; then return 0; fi
  if ! neo4j_installed; then
    log "Neo4j $NEO4J_VERSION jars not found in $(neo4j_home)/lib (or java missing);"
    log "install them with: bash scripts/install-test-servers.sh"
    exit 3
  fi
  neo4j_compile
  [ -f "$(neo4j_cds_file)" ] || log "$name: no class-data archive: starts take ~2.5 s longer" \
    "(bash scripts/install-test-servers.sh records it)"
  neo4j_stop_pid "$d"
  rm -rf "$d"
  mkdir -p "$d"
  t0=$(date +%s%N)
  neo4j_tls "$d"
  for _ in 1 2 3 4 5; do  # another process may take the port between the check and the bind
    port=$(free_port)
    echo "$port" >"$d/port"
    neo4j_config "$d" "$port" "$auth"
    rm -rf "$d/data" "$d/logs"
    : >"$d/server.log"
    if neo4j_launch "$d" "$auth"; then ok=1; break; fi
    neo4j_stop_pid "$d"
    grep -q "Address already in use" "$d/server.log" || break
    log "$name: port $port was taken, trying another"
  done
  [ "$ok" -eq 1 ] || { tail -30 "$d/server.log" >&2 || true; die "$name (Neo4j $NEO4J_VERSION) did not start"; }
  if grep -q "Unable to use shared archive" "$d/server.log"; then  # jars or java changed since it was recorded
    rm -f "$(neo4j_cds_file)"
    log "$name: the class-data archive was stale, removed (bash scripts/install-test-servers.sh records it anew)"
  fi
  log "$name: Neo4j $NEO4J_VERSION ready in $(neo4j_since "$t0") s on bolt://127.0.0.1:$port" \
    "(auth $([ "$auth" -eq 1 ] && echo on || echo off), TLS optional; pid $(cat "$d/pid"), data $d/data)"
}

neo4j_restart_as() { # dir auth(0|1) name: same port, data and certificate
  local d=$1 auth=$2 name=$3 t0
  [ -f "$d/port" ] && [ -f "$d/neo4j.conf" ] || die "$name is not running (nothing to restart)"
  neo4j_stop_pid "$d"
  sleep "${PAUSE:-0}"
  t0=$(date +%s%N)
  neo4j_launch "$d" "$auth" || { tail -30 "$d/server.log" >&2 || true; die "$name restart failed"; }
  log "$name restarted, ready in $(neo4j_since "$t0") s on bolt://127.0.0.1:$(cat "$d/port") (pid $(cat "$d/pid"))"
}

neo4j_env() { neo4j_env_as "$1" FERRY_NEO4J 1; }
neo4j_start() { neo4j_start_as "$1" 1 neo4j && neo4j_env "$1"; }
neo4j_restart() { neo4j_restart_as "$1" 1 neo4j && neo4j_env "$1"; }

neo4j_noauth_env() { neo4j_env_as "$1" FERRY_NEO4J_NOAUTH 0; }
neo4j_noauth_start() { neo4j_start_as "$1" 0 neo4j-noauth && neo4j_noauth_env "$1"; }
neo4j_noauth_restart() { neo4j_restart_as "$1" 0 neo4j-noauth && neo4j_noauth_env "$1"; }
neo4j_noauth_running() { neo4j_running "$1"; }
neo4j_noauth_stop_pid() { neo4j_stop_pid "$1"; }
