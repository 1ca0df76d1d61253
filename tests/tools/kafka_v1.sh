#!/usr/bin/env bash
# tests/tools/kafka_v1.sh: a single Kafka 3.9 broker (KRaft, broker and
# controller in one node) for the transaction tests of the classic
# protocol: Kafka 3.9 finalizes no transaction.version 2, so kprod uses
# AddPartitionsToTxn, AddOffsetsToTxn and EndTxn below v5 with it.
#
#   tests/tools/kafka_v1.sh start     install the jars (Maven, once), format fresh
#                                     storage, start, wait until it answers
#   tests/tools/kafka_v1.sh stop      SIGTERM, then SIGKILL after 30 s
#   tests/tools/kafka_v1.sh brokers   print the bootstrap list
#   tests/tools/kafka_v1.sh data      print its log.dirs (for Kafka's log dump)
#
# Ports: $KPROD_V1_PORT (default 9792) and the controller's one above it.
# State: $KPROD_KAFKA_DIR (default <repo>/.kafka)/v1/: server.properties,
# data/, kafka.log, kafka.out, kafka.pid. Jars: kafka/lib-v1/ from
# tests/tools/kafka-v1/pom.xml. Kafka's tools for this broker come from
# scripts/kafka.sh (the pinned 4.x release), which talk to it as to any.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
POM=$ROOT/tests/tools/kafka-v1/pom.xml
LIB=$ROOT/kafka/lib-v1
DIR=${KPROD_KAFKA_DIR:-$ROOT/.kafka}/v1
PORT=${KPROD_V1_PORT:-9792}
CTRL=$((PORT + 1))
JAVA=java
[[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] && JAVA=$JAVA_HOME/bin/java

die() { echo "kafka_v1.sh: $*" >&2; exit 1; }

install() {
    [[ -f "$LIB/.pom" ]] && cmp -s "$POM" "$LIB/.pom" && return
    echo "kafka_v1.sh: copying the Kafka 3.9 broker's jars into kafka/lib-v1 with Maven..."
    rm -rf "$LIB"
    (cd "$ROOT" && mvn -q -f "$POM" dependency:copy-dependencies -DoutputDirectory="$LIB") ||
        die "mvn failed"
    cp "$POM" "$LIB/.pom"
}

pid_alive() {
    [[ -f "$DIR/kafka.pid" ]] && kill -0 "$(cat "$DIR/kafka.pid")" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$(cat "$DIR/kafka.pid")/cmdline" | grep -qF "$DIR/server.properties"
}

answers() { timeout 5 kcat -L -b "127.0.0.1:$PORT" -m 3 >/dev/null 2>&1; }

start() {
    install
    pid_alive && answers && { echo "kafka_v1.sh: already up at 127.0.0.1:$PORT"; return; }
    mkdir -p "$DIR"
    rm -rf "$DIR/data" "$DIR/kafka.log" "$DIR/kafka.out"
    cat >"$DIR/server.properties" <<EOF
# Written by tests/tools/kafka_v1.sh on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CTRL
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CTRL
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DIR/data
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
EOF
    cat >"$DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$DIR/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
EOF
    local opts=(-Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
        "-Dlog4j.configuration=file:$DIR/log4j.properties" -cp "$LIB/*")
    local id
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | sed 's/^-/A/')
    "$JAVA" "${opts[@]}" kafka.tools.StorageTool format -t "$id" -c "$DIR/server.properties" \
        >"$DIR/format.out" 2>&1 || { cat "$DIR/format.out" >&2; die "format failed"; }
    nohup "$JAVA" "${opts[@]}" kafka.Kafka "$DIR/server.properties" >"$DIR/kafka.out" 2>&1 &
    echo $! >"$DIR/kafka.pid"
    local deadline=$((SECONDS + ${KPROD_KAFKA_START_TIMEOUT:-90}))
    until answers; do
        pid_alive || { tail -20 "$DIR/kafka.out" "$DIR/kafka.log" >&2 || true; die "the broker died"; }
        ((SECONDS < deadline)) || die "not up after ${KPROD_KAFKA_START_TIMEOUT:-90}s"
        sleep 0.5
    done
    echo "kafka_v1.sh: Kafka 3.9 up at 127.0.0.1:$PORT"
}

stop() {
    pid_alive || return 0
    local pid
    pid=$(cat "$DIR/kafka.pid")
    kill "$pid"
    for _ in $(seq 60); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
}

case ${1:-} in
start) start ;;
stop) stop ;;
brokers) echo "127.0.0.1:$PORT" ;;
data) echo "$DIR/data" ;;
*)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
