# The Apache Kafka test server, sourced by scripts/test-servers.sh and
# scripts/install-test-servers.sh (the interface is described there).
#
# A real Kafka 4.4.0 broker: one JVM in KRaft combined mode (broker and
# controller, node 1, static quorum), run from the Maven Central jars that
# kafka_install caches in $FERRY_CACHE_DIR/kafka-4.4.0/lib (default
# ~/.cache/ferry; Maven's own repository ~/.m2 fills too); no distribution
# scripts. It runs as the calling user (root is fine).
#
# kafka/{pid,port,sasl_port,ssl_port,controller_port,cluster_id,
#        server.properties,log4j2.properties,format.log,server.log,data,tls}:
# free ports of 127.0.0.1 for four listeners: PLAINTEXT (also inter-broker),
# SASL_PLAINTEXT with mechanism PLAIN (user `ferry`, password `ferry-secret`),
# SSL (tls/server.p12, a cert for 127.0.0.1 and localhost signed by the CA
# tls/ca.pem, both made per start; no client certs) and CONTROLLER. Topics are
# never auto-created; internal topics (offsets, transactions, share groups)
# have replication factor 1 and min.isr 1; heap 256-512 MB
# (FERRY_KAFKA_JVM_OPTS; FERRY_KAFKA_JAVA names another java). The broker's log
# (log4j2, INFO) goes to server.log.
# Env: FERRY_KAFKA_BROKERS=127.0.0.1:PORT (plaintext) FERRY_KAFKA_SASL_BROKERS
#      FERRY_KAFKA_SASL_USER FERRY_KAFKA_SASL_PASSWORD FERRY_KAFKA_SSL_BROKERS
#      FERRY_KAFKA_CA (PEM) FERRY_KAFKA_PID FERRY_KAFKA_DIR
#      FERRY_KAFKA_CLASSPATH=LIB/* (java -cp "$FERRY_KAFKA_CLASSPATH"
#      org.apache.kafka.tools.TopicCommand ... creates topics; kcat cannot)
# Exit code 3: the jars (or java, kcat) are not installed.

test_server kafka kafka openjdk-17-jre-headless maven kcat openssl

KAFKA_VERSION=4.4.0
KAFKA_LOG4J_VERSION=2.25.5  # the log4j-core that kafka-server 4.4.0 depends on
KAFKA_SASL_USER=ferry
KAFKA_SASL_PASSWORD=ferry-secret
# The broker's JVM (FERRY_KAFKA_JVM_OPTS replaces it): a small heap, G1 as
# Kafka's scripts set it. C2 stays on: bench/kafka measures through this broker.
KAFKA_JVM_OPTS="-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20"

kafka_home() { echo "${FERRY_CACHE_DIR:-$HOME/.cache/ferry}/kafka-$KAFKA_VERSION"; }

# The jars: the broker (kafka_2.13), the command-line tools (kafka-tools,
# without Connect's runtime, which only the Connect tools use) and a binding
# from SLF4J to log4j2 (Kafka's poms name none; without it the broker's log
# is lost). SLF4J 2 because Maven Central serves log4j's binding for it only.
kafka_pom() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by plugins/destination/kafka/test-server.sh (kafka_install). -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ferry.test-servers</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$KAFKA_LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
}

# The jars, into $(kafka_home)/lib (scripts/test-server-lib.sh).
kafka_install() {
  maven_jars kafka "$(kafka_home)" "$(kafka_pom)" "kafka_2.13-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar"
}

kafka_java() { echo "${FERRY_KAFKA_JAVA:-java}"; }

kafka_installed() { # 0 when the jars, java and kcat are there
  [ -f "$(kafka_home)/lib/.pom" ] && command -v "$(kafka_java)" >/dev/null && command -v kcat >/dev/null
}

# 0 when the plaintext listener on port $1 answers a metadata request.
kafka_ping() {
  kcat -b "127.0.0.1:$1" -L -t __ferry_probe -m "${2:-2}" 2>/dev/null | grep -q "broker 1 at"
}

kafka_env() { # dir
  local d=$1
  echo "FERRY_KAFKA_BROKERS=127.0.0.1:$(cat "$d/port")"
  echo "FERRY_KAFKA_SASL_BROKERS=127.0.0.1:$(cat "$d/sasl_port")"
  echo "FERRY_KAFKA_SASL_USER=$KAFKA_SASL_USER"
  echo "FERRY_KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD"
  echo "FERRY_KAFKA_SSL_BROKERS=127.0.0.1:$(cat "$d/ssl_port")"
  echo "FERRY_KAFKA_CA=$d/tls/ca.pem"
  echo "FERRY_KAFKA_PID=$(cat "$d/pid")"
  echo "FERRY_KAFKA_DIR=$d"
  echo "FERRY_KAFKA_CLASSPATH=$(kafka_home)/lib/*"
}

kafka_running() { # dir: recorded, alive, answering
  local d=$1
  [ -f "$d/pid" ] && [ -f "$d/port" ] || return 1
  alive "$(cat "$d/pid")" || return 1
  kafka_ping "$(cat "$d/port")"
}

kafka_stop_pid() { # dir: SIGTERM (controlled shutdown), then SIGKILL
  stop_recorded_pid "$1" 'kafka\.Kafka' TERM
}

# A CA and a server certificate for 127.0.0.1/localhost signed by it, the key
# and chain as a PKCS12 keystore for the SSL listener (password in tls/pass).
kafka_tls() { # dir
  local t=$1/tls
  make_test_tls "$1"
  openssl rand -hex 12 >"$t/pass"
  openssl pkcs12 -export -name kafka -in "$t/server.pem" -inkey "$t/server.key" -certfile "$t/ca.pem" \
    -passout "file:$t/pass" -out "$t/server.p12"
  [ -s "$t/server.p12" ] || die "kafka: could not make the TLS keystore"
}

kafka_config() { # dir plain sasl ssl controller
  local d=$1 plain=$2 sasl=$3 ssl=$4 ctl=$5
  cat >"$d/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctl
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl,SSL://127.0.0.1:$ssl,CONTROLLER://127.0.0.1:$ctl
advertised.listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl,SSL://127.0.0.1:$ssl
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$KAFKA_SASL_USER" password="$KAFKA_SASL_PASSWORD" user_$KAFKA_SASL_USER="$KAFKA_SASL_PASSWORD";
ssl.keystore.type=PKCS12
ssl.keystore.location=$d/tls/server.p12
ssl.keystore.password=$(cat "$d/tls/pass")
ssl.client.auth=none
log.dirs=$d/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$d/log4j2.properties" <<'EOF'
status = warn
# Log until the JVM exits, so the controlled shutdown shows too.
shutdownHook = disable
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
# Not the full broker config at each start (server.properties has it).
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = warn
EOF
}

kafka_since() { # t0 (date +%s%N): the seconds since, as 1.234
  awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}

kafka_launch() { # dir: start the broker on the existing config; 0 once it answers
  local d=$1 pid
  # shellcheck disable=SC2086  # a list of JVM options
  setsid "$(kafka_java)" ${FERRY_KAFKA_JVM_OPTS:-$KAFKA_JVM_OPTS} -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$d/log4j2.properties" -cp "$(kafka_home)/lib/*" kafka.Kafka "$d/server.properties" \
    >>"$d/server.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$d/pid"
  for _ in $(seq 1 600); do
    kafka_ping "$(cat "$d/port")" 1 && return 0
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

kafka_start() { # dir
  local d=$1 plain sasl ssl ctl ok=0 t0
  if kafka_running "$d"; then kafka_env "$d"; return 0; fi
  if ! kafka_installed; then
    log "Kafka $KAFKA_VERSION jars not found in $(kafka_home)/lib (or java, kcat missing);"
    log "install them with: bash scripts/install-test-servers.sh"
    exit 3
  fi
  kafka_stop_pid "$d"
  rm -rf "$d"
  mkdir -p "$d/data"
  t0=$(date +%s%N)
  kafka_tls "$d"
  for _ in 1 2 3 4 5; do  # another process may take a port between the check and the bind
    plain=$(free_port) sasl=$(free_port) ssl=$(free_port) ctl=$(free_port)
    [ "$(printf '%s\n' "$plain" "$sasl" "$ssl" "$ctl" | sort -u | wc -l)" -eq 4 ] || continue
    echo "$plain" >"$d/port"
    echo "$sasl" >"$d/sasl_port"
    echo "$ssl" >"$d/ssl_port"
    echo "$ctl" >"$d/controller_port"
    kafka_config "$d" "$plain" "$sasl" "$ssl" "$ctl"
    rm -rf "$d/data"
    # A random cluster id as StorageTool random-uuid makes it (16 bytes,
    # URL-safe base64 without padding), without starting a JVM for it. Like
    # Kafka's Uuid.randomUuid, never one starting with '-': StorageTool would
    # read it as an option (1 start in 64 failed that way).
    local id
    while :; do
      id=$(openssl rand 16 | base64 | tr '+/' '-_' | tr -d '=\n')
      [ "${id#-}" = "$id" ] && break
    done
    echo "$id" >"$d/cluster_id"
    "$(kafka_java)" -XX:TieredStopAtLevel=1 -cp "$(kafka_home)/lib/*" kafka.tools.StorageTool \
      format -t "$(cat "$d/cluster_id")" -c "$d/server.properties" >>"$d/format.log" 2>&1 \
      || { tail -20 "$d/format.log" >&2; die "kafka: StorageTool format failed"; }
    : >"$d/server.log"
    if kafka_launch "$d"; then ok=1; break; fi
    kafka_stop_pid "$d"
    grep -q "Address already in use" "$d/server.log" || break
    log "kafka: a port of $plain/$sasl/$ssl/$ctl was taken, trying others"
  done
  [ "$ok" -eq 1 ] || { tail -30 "$d/server.log" >&2 || true; die "Kafka did not start"; }
  log "kafka $KAFKA_VERSION ready in $(kafka_since "$t0") s on 127.0.0.1:$plain" \
    "(sasl $sasl, ssl $ssl, controller $ctl; pid $(cat "$d/pid"), data $d/data)"
  kafka_env "$d"
}

kafka_restart() { # dir: same data and ports
  local d=$1 t0
  [ -f "$d/port" ] && [ -f "$d/server.properties" ] || die "kafka is not running (nothing to restart)"
  kafka_stop_pid "$d"
  sleep "${PAUSE:-0}"
  t0=$(date +%s%N)
  kafka_launch "$d" || { tail -30 "$d/server.log" >&2 || true; die "kafka restart failed"; }
  log "kafka restarted, ready in $(kafka_since "$t0") s on 127.0.0.1:$(cat "$d/port") (pid $(cat "$d/pid"))"
  kafka_env "$d"
}
