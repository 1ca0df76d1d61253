#!/usr/bin/env bash
# scripts/kafka.sh: installs, starts, stops and drives the real Apache Kafka
# broker (KRaft mode, the version pinned in kafka/pom.xml) that kprod's tests,
# demo and benchmarks run against. One script for all of them, so every caller
# gets the same ports, configuration and log locations. Run with --help.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
POM=$ROOT/kafka/pom.xml
LIB=$ROOT/kafka/lib
RUN_DIR=${KPROD_KAFKA_DIR:-$ROOT/.kafka}
SINGLE_PORT=${KPROD_KAFKA_PORT:-9092}
SINGLE_CTRL_PORT=${KPROD_KAFKA_CONTROLLER_PORT:-$((SINGLE_PORT + 1))}
CLUSTER_PORT=${KPROD_CLUSTER_PORT:-19092}
CLUSTER_CTRL_PORT=${KPROD_CLUSTER_CONTROLLER_PORT:-$((CLUSTER_PORT + 100))}
# Secured listeners (scripts/kafka.sh --help, "Security"): six ports on the
# single node from SINGLE_SECURE_PORT, one SASL_SSL port per cluster node
# from CLUSTER_SECURE_PORT. KPROD_KAFKA_SECURITY=0 leaves them out.
SINGLE_SECURE_PORT=${KPROD_KAFKA_SECURE_PORT:-$((SINGLE_PORT + 2))}
CLUSTER_SECURE_PORT=${KPROD_CLUSTER_SECURE_PORT:-$((CLUSTER_PORT + 3))}
SECURITY=${KPROD_KAFKA_SECURITY:-1}
REAUTH_MS=${KPROD_KAFKA_REAUTH_MS:-5000}
START_TIMEOUT=${KPROD_KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${KPROD_KAFKA_STOP_TIMEOUT:-30}
CONSUME_TIMEOUT=${KPROD_CONSUME_TIMEOUT:-30}
BROKER_HEAP=${KPROD_KAFKA_HEAP:-512m}
CLUSTER_SIZE=3
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA=$JAVA_HOME/bin/java
else
    JAVA=java
fi
# kcat -f format of `consume`: see the help text below before changing it.
CONSUME_FORMAT='%p\t%o\t%T\t%K\t%k\t%S\t%s\t%h\n'

usage() {
    cat <<EOF
Usage: scripts/kafka.sh COMMAND [ARGS...]

Runs a real Apache Kafka $(pom_version 2>/dev/null || echo '?') broker (KRaft, no ZooKeeper) from the
jars in kafka/lib, for kprod's tests, demo and benchmarks. Everything listens
on 127.0.0.1 only. State lives in \$KPROD_KAFKA_DIR (default <repo>/.kafka):
single/ for the single node, cluster/node1..3/ for the cluster, so both can
run at once. Each node dir holds server.properties, data/, kafka.log (broker
log, INFO), kafka.out (JVM stdout/stderr) and kafka.pid.

Two setups:
  single   one node, broker+controller combined, node id 1
           broker 127.0.0.1:$SINGLE_PORT, controller 127.0.0.1:$SINGLE_CTRL_PORT
           replication factor 1, min.insync.replicas=1
  cluster  three nodes (three JVMs), each broker+controller, node ids 1..3,
           three controller voters
           brokers 127.0.0.1:$CLUSTER_PORT,$((CLUSTER_PORT + 1)),$((CLUSTER_PORT + 2))
           controllers 127.0.0.1:$CLUSTER_CTRL_PORT,$((CLUSTER_CTRL_PORT + 1)),$((CLUSTER_CTRL_PORT + 2))
           default.replication.factor=3, min.insync.replicas=2
Both: auto.create.topics.enable=false, internal topics sized to the setup,
group.initial.rebalance.delay.ms=0, heap -Xmx$BROKER_HEAP, G1 GC.

Security (unless KPROD_KAFKA_SECURITY=0): each fresh start makes, with
openssl, a test CA and certificates, random passwords and SCRAM users in
<node dir's parent>/security (single/security, cluster/security), and adds
secured listeners (PLAINTEXT stays for the tools and between brokers):
  single   SSL            127.0.0.1:$SINGLE_SECURE_PORT   (certificate for 127.0.0.1, localhost)
           MTLS (SSL)     127.0.0.1:$((SINGLE_SECURE_PORT + 1))   ssl.client.auth=required
           SASL_PLAINTEXT 127.0.0.1:$((SINGLE_SECURE_PORT + 2))   PLAIN, SCRAM-SHA-256, SCRAM-SHA-512,
                                          connections.max.reauth.ms=$REAUTH_MS
           SASL_SSL       127.0.0.1:$((SINGLE_SECURE_PORT + 3))   SCRAM-SHA-512, PLAIN, OAUTHBEARER (unsecured JWS)
           WRONGHOST (SSL) 127.0.0.1:$((SINGLE_SECURE_PORT + 4))  certificate for wrong.example only
           EXPIRED (SSL)  127.0.0.1:$((SINGLE_SECURE_PORT + 5))   certificate expired in 2021
  cluster  SASL_SSL       127.0.0.1:$CLUSTER_SECURE_PORT..$((CLUSTER_SECURE_PORT + 2)) SCRAM-SHA-512
User "kprod" (PLAIN in the broker's JAAS config, SCRAM created at format
time). The security dir holds: env (ports, user, passwords; read by the
tests), ca.pem, other-ca.pem (trusted by nobody), client.pem/.key,
client-enc.key (encrypted, STORE_PASSWORD), client-bundle.pem, client.p12,
ca.p12, ca.jks, and per listener and mechanism a Java client properties
file client-NAME.properties (Kafka's tools and kprod read them as they
are) and a kcat config kcat-NAME.conf. NAME: ssl, mtls, sasl-plain,
sasl-scram-sha-256, sasl-scram-sha-512, sasl-ssl-scram-sha-512,
sasl-ssl-plain, sasl-ssl-oauthbearer (cluster: sasl-ssl-scram-sha-512).
  security-dir [--cluster]  print the security dir of a setup

Lifecycle:
  install                 copy the broker's jars into kafka/lib with Maven
                          (only when missing or kafka/pom.xml changed)
  start [--cluster] [--keep-data]
                          format fresh storage (new cluster id) and start the
                          node(s) in the background; wait until every broker
                          answers metadata requests (deadline
                          \$KPROD_KAFKA_START_TIMEOUT, default 90 s); on failure
                          print the log tail and exit 1. A no-op when already
                          running. --keep-data restarts on the existing
                          storage instead. With --cluster and only some nodes
                          down, restarts those on their existing storage.
  stop [--cluster]        SIGTERM, wait up to \$KPROD_KAFKA_STOP_TIMEOUT (30 s),
                          then SIGKILL. Storage is kept until the next start.
  status [--cluster]      print each node's state; without --cluster shows
                          both setups. Exit 0 if every node shown of the
                          chosen setup is up, 1 otherwise.
  logs [--cluster] [N]    last N (default 100) lines of each node's kafka.log
                          and kafka.out
  brokers [--cluster]     print the bootstrap list, e.g. 127.0.0.1:$SINGLE_PORT
  kill                    kill -9 the single node, for failure tests (start
                          --keep-data brings it back on its storage)
  kill-node N             kill -9 cluster node N (1..3), for failure tests
  start-node N            restart cluster node N on its storage and wait until
                          it has started and the cluster metadata lists it
                          (another node must be running)

Kafka's own tools (classpath handled here; pass their usual arguments):
  topics ARGS...          org.apache.kafka.tools.TopicCommand (kafka-topics)
  console-producer ARGS...  org.apache.kafka.tools.ConsoleProducer
  console-consumer ARGS...  org.apache.kafka.tools.consumer.ConsoleConsumer
  leader-election ARGS... org.apache.kafka.tools.LeaderElectionCommand
  reassign ARGS...        org.apache.kafka.tools.reassign.ReassignPartitionsCommand
  configs ARGS...         org.apache.kafka.tools.ConfigCommand (kafka-configs)
  dump-log ARGS...        org.apache.kafka.tools.DumpLogSegments (kafka-dump-log)
  run CLASS ARGS...       any main class on the broker's classpath
  e.g. scripts/kafka.sh topics --bootstrap-server 127.0.0.1:$SINGLE_PORT --create \\
           --topic t --partitions 6 --replication-factor 1

An independent consumer for tests (kcat, i.e. librdkafka, not kprod):
  consume TOPIC [--cluster | --brokers=LIST] [--config=FILE] [COUNT]
      Prints every record of TOPIC from the beginning of each partition,
      read from the single broker, the cluster, or the bootstrap LIST;
      --config reads librdkafka properties (e.g. a kcat-NAME.conf).
      Without COUNT: exits 0 once every partition's end is reached.
      With COUNT: exits 0 after COUNT records; waits for records not yet
      written; after \$KPROD_CONSUME_TIMEOUT seconds (default $CONSUME_TIMEOUT) it
      gives up with exit status 1 (records read so far are printed).
      Output: one line per record, 8 fields separated by one TAB:
        PARTITION OFFSET TIMESTAMP KEYLEN KEY VALUELEN VALUE HEADERS
      PARTITION, OFFSET    decimal
      TIMESTAMP            record timestamp, ms since the epoch
      KEYLEN / VALUELEN    length in bytes, -1 for null
      KEY / VALUE          the raw bytes; the 4 characters NULL when null
                           (tell a null from a literal "NULL" by the length:
                           -1 vs 4); an empty key or value is an empty field
                           with length 0
      HEADERS              name=value pairs joined by ",", in record order,
                           empty when none (a null header value prints as
                           NULL, as kcat prints it)
      Records of one partition come in offset order; partitions interleave.
      Keys, values and headers containing TAB or newline break the line
      format: tests must not use them when parsing with this command.
      Example (key "k1", value "hello", one header):
        0<TAB>0<TAB>1735689600000<TAB>2<TAB>k1<TAB>5<TAB>hello<TAB>h1=v1

Environment:
  KPROD_KAFKA_DIR          run dir (default <repo>/.kafka)
  KPROD_KAFKA_PORT         single broker port (9092)
  KPROD_KAFKA_CONTROLLER_PORT  single controller port (broker port + 1)
  KPROD_CLUSTER_PORT       first cluster broker port (19092; nodes +0,+1,+2)
  KPROD_CLUSTER_CONTROLLER_PORT  first cluster controller port (cluster port + 100)
  KPROD_KAFKA_SECURE_PORT  first of the single node's six secured ports (broker port + 2)
  KPROD_CLUSTER_SECURE_PORT  first cluster SASL_SSL port (cluster port + 3; nodes +0,+1,+2)
  KPROD_KAFKA_SECURITY     0: no secured listeners (1)
  KPROD_KAFKA_REAUTH_MS    connections.max.reauth.ms of the SASL_PLAINTEXT listener (5000)
  KPROD_KAFKA_HEAP         broker max heap per node (512m)
  KPROD_KAFKA_START_TIMEOUT / KPROD_KAFKA_STOP_TIMEOUT / KPROD_CONSUME_TIMEOUT (s)
EOF
}

say() { echo "kafka.sh: $*" >&2; }
# shellcheck source=scripts/kafka-security.sh
source "$ROOT/scripts/kafka-security.sh"
die() {
    say "$*"
    exit 1
}

pom_version() {
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1
}

# --- install ---------------------------------------------------------------

# kafka/lib is current when it holds the pom's Kafka jar and a stamp with the
# pom's checksum (so any change to the pom, not only the version, re-copies).
lib_current() {
    local ver stamp
    ver=$(pom_version)
    stamp=$(sha256sum "$POM" | cut -d' ' -f1)
    [[ -f "$LIB/kafka_2.13-$ver.jar" && -f "$LIB/.pom.sha256" ]] &&
        [[ "$(cat "$LIB/.pom.sha256")" == "$stamp" ]]
}

cmd_install() {
    if lib_current; then
        say "kafka/lib is up to date (Kafka $(pom_version))"
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found: run scripts/install-deps.sh"
    say "copying Kafka $(pom_version) jars into kafka/lib with Maven..."
    local tmp=$LIB.tmp.$$
    rm -rf "$tmp"
    mkdir -p "$RUN_DIR"
    if ! mvn -B -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$RUN_DIR/mvn.out" 2>&1; then
        tail -n 40 "$RUN_DIR/mvn.out" >&2
        rm -rf "$tmp"
        die "mvn dependency:copy-dependencies failed (full output: $RUN_DIR/mvn.out)"
    fi
    [[ -f "$tmp/kafka_2.13-$(pom_version).jar" ]] || die "Maven did not produce kafka_2.13-$(pom_version).jar"
    sha256sum "$POM" | cut -d' ' -f1 >"$tmp/.pom.sha256"
    rm -rf "$LIB"
    mv "$tmp" "$LIB"
    say "installed $(ls "$LIB" | wc -l) jars"
}

ensure_installed() {
    lib_current || cmd_install
}

# --- running Java tools ----------------------------------------------------

# Tools log WARN and above to stderr, like Kafka's tools-log4j2 config.
tools_log_config() {
    local f=$RUN_DIR/tools-log4j2.properties
    if [[ ! -f "$f" ]]; then
        mkdir -p "$RUN_DIR"
        cat >"$f.$$" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
        mv "$f.$$" "$f"
    fi
    echo "$f"
}

# Short-lived JVM settings: small heap, fast start-up.
run_tool() {
    ensure_installed
    local cls=$1
    shift
    local conf
    conf=$(tools_log_config)
    # Small and quick to start for the tests' tools; KPROD_TOOL_JVM_OPTS
    # replaces these (bench/run.sh gives Kafka's producer the settings of
    # kafka-producer-perf-test.sh, whose speed it measures).
    local jvm=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
    [[ -z ${KPROD_TOOL_JVM_OPTS:-} ]] || read -ra jvm <<<"$KPROD_TOOL_JVM_OPTS"
    exec "$JAVA" "${jvm[@]}" -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$conf" -cp "$LIB/*" "$cls" "$@"
}

# --- nodes -------------------------------------------------------------------

# A node is named by its dir; these give its settings.
node_dir() { # setup id
    if [[ $1 == single ]]; then echo "$RUN_DIR/single"; else echo "$RUN_DIR/cluster/node$2"; fi
}
broker_port() { # setup id
    if [[ $1 == single ]]; then echo "$SINGLE_PORT"; else echo $((CLUSTER_PORT + $2 - 1)); fi
}
ctrl_port() { # setup id
    if [[ $1 == single ]]; then echo "$SINGLE_CTRL_PORT"; else echo $((CLUSTER_CTRL_PORT + $2 - 1)); fi
}
node_ids() { # setup
    if [[ $1 == single ]]; then echo 1; else seq 1 "$CLUSTER_SIZE"; fi
}
bootstrap() { # setup
    local id list=''
    for id in $(node_ids "$1"); do
        list+="${list:+,}127.0.0.1:$(broker_port "$1" "$id")"
    done
    echo "$list"
}
voters() { # setup
    local id list=''
    for id in $(node_ids "$1"); do
        list+="${list:+,}$id@127.0.0.1:$(ctrl_port "$1" "$id")"
    done
    echo "$list"
}

# Prints the pid when the node's JVM is alive. The pid file alone is not
# trusted: the process must be a java started with this node's config.
node_pid() { # setup id
    local dir pid
    dir=$(node_dir "$1" "$2")
    [[ -f "$dir/kafka.pid" ]] || return 1
    pid=$(cat "$dir/kafka.pid")
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/server.properties" || return 1
    echo "$pid"
}

port_open() { # port: true when something accepts connections on it
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

write_node_config() { # setup id
    local setup=$1 id=$2 dir rf isr
    dir=$(node_dir "$setup" "$id")
    if [[ $setup == single ]]; then rf=1 isr=1; else rf=3 isr=2; fi
    mkdir -p "$dir"
    cat >"$dir/server.properties" <<EOF
# Written by scripts/kafka.sh; rewritten on every start.
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$(voters "$setup")
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$setup" "$id"),CONTROLLER://127.0.0.1:$(ctrl_port "$setup" "$id")$(sec_listener_list "$setup" "$id")
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$setup" "$id")$(sec_listener_list "$setup" "$id")
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT$(sec_protocol_map "$setup")
$(sec_server_props "$setup")
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
auto.create.topics.enable=false
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
EOF
    cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/kafka.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

format_node() { # setup id cluster-id
    local dir scram=()
    dir=$(node_dir "$1" "$2")
    mapfile -t scram < <(sec_format_args "$1")
    rm -rf "$dir/data" "$dir/kafka.log" "$dir/kafka.out"
    if ! "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -Dlog4j2.configurationFile="$(tools_log_config)" -cp "$LIB/*" \
        kafka.tools.StorageTool format -t "$3" -c "$dir/server.properties" \
        "${scram[@]}" >"$dir/format.out" 2>&1; then
        cat "$dir/format.out" >&2
        die "formatting storage of $1 node $2 failed"
    fi
}

# A cluster id is 16 random bytes in URL-safe base64 without padding, as
# Kafka's Uuid prints them; one starting with '-' would look like an option.
new_cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
        [[ $id != -* ]] && break
    done
    echo "$id"
}

launch_node() { # setup id
    local dir
    dir=$(node_dir "$1" "$2")
    [[ -f "$dir/data/meta.properties" ]] || die "$1 node $2 has no storage: start the $1 setup first"
    echo "=== start $(date '+%F %T')" >>"$dir/kafka.out"
    # Where this run's log begins, for node_started.
    stat -c %s "$dir/kafka.log" 2>/dev/null >"$dir/log.mark" || echo 0 >"$dir/log.mark"
    # setsid detaches from our session and terminal; the inner shell records
    # its own pid and then becomes the JVM, so the pid file names the JVM.
    setsid bash -c 'echo $$ >"$1/kafka.pid"; shift; exec "$@"' launcher "$dir" \
        "$JAVA" -Xms128m -Xmx"$BROKER_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -Djava.awt.headless=true \
        -Dkafka.logs.dir="$dir" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
        -cp "$LIB/*" kafka.Kafka "$dir/server.properties" \
        </dev/null >>"$dir/kafka.out" 2>&1 &
    local deadline=$((SECONDS + 10))
    until [[ -s "$dir/kafka.pid" ]] && node_pid "$1" "$2" >/dev/null; do
        ((SECONDS < deadline)) || die "$1 node $2 did not start: $(tail -n 20 "$dir/kafka.out")"
        sleep 0.1
    done
}

# True once the node's log says, since its last launch, that start-up is done
# (the broker has caught up with the metadata log and is unfenced).
node_started() { # setup id
    local dir
    dir=$(node_dir "$1" "$2")
    tail -c +$(($(cat "$dir/log.mark" 2>/dev/null || echo 0) + 1)) "$dir/kafka.log" 2>/dev/null |
        grep -q 'Kafka Server started'
}

# Ids of the brokers the metadata of BOOTSTRAP lists, one a line (none when
# unreachable). kcat prints them as "  broker 2 at 127.0.0.1:19093".
metadata_broker_ids() { # bootstrap
    local out
    out=$(timeout 10 kcat -L -b "$1" -m 3 -t __kprod_probe 2>/dev/null) || true
    sed -n 's/^ *broker \([0-9][0-9]*\) at .*/\1/p' <<<"$out" | sort -n
}

metadata_broker_count() { # bootstrap
    metadata_broker_ids "$1" | wc -l
}

print_logs() { # setup lines
    local id dir files=()
    for id in $(node_ids "$1"); do
        dir=$(node_dir "$1" "$id")
        [[ -f "$dir/kafka.log" ]] && files+=("$dir/kafka.log")
        [[ -f "$dir/kafka.out" ]] && files+=("$dir/kafka.out")
    done
    if ((${#files[@]} == 0)); then
        say "no $1 logs under $RUN_DIR"
        return 0
    fi
    tail -n "$2" "${files[@]}"
}

# Waits until the nodes IDS have started (their JVMs alive, their logs say
# so) and the setup's metadata lists each of them. On timeout or a dead JVM:
# prints the logs and exits 1.
wait_ready() { # setup ids...
    local setup=$1 id ready listed='' deadline=$((SECONDS + START_TIMEOUT))
    shift
    command -v kcat >/dev/null || die "kcat not found: run scripts/install-deps.sh"
    while :; do
        ready=1
        for id in "$@"; do
            if ! node_pid "$setup" "$id" >/dev/null; then
                print_logs "$setup" 60 >&2
                die "$setup node $id exited during start-up (logs above)"
            fi
            node_started "$setup" "$id" || ready=0
        done
        if ((ready)); then
            listed=$(metadata_broker_ids "$(bootstrap "$setup")" | tr '\n' ' ')
            for id in "$@"; do
                [[ " $listed" == *" $id "* ]] || ready=0
            done
            ((ready)) && return 0
        fi
        if ((SECONDS >= deadline)); then
            print_logs "$setup" 60 >&2
            die "$setup: nodes $* not up after ${START_TIMEOUT}s (brokers in metadata: ${listed:-none}; logs above)"
        fi
        sleep 0.5
    done
}

check_ports_free() { # setup id
    local p
    for p in $(broker_port "$1" "$2") $(ctrl_port "$1" "$2") $(sec_ports "$1" "$2"); do
        if port_open "$p"; then
            die "port $p is already in use by another process (another broker?); stop it or set KPROD_KAFKA_PORT / KPROD_CLUSTER_PORT"
        fi
    done
}

cmd_start() {
    local setup=single keep=0 a id pid up=0 total=0 cid started
    for a in "$@"; do
        case $a in
        --cluster) setup=cluster ;;
        --keep-data) keep=1 ;;
        *) die "start: unknown argument '$a'" ;;
        esac
    done
    ensure_installed
    command -v kcat >/dev/null || die "kcat not found: run scripts/install-deps.sh"
    for id in $(node_ids "$setup"); do
        total=$((total + 1))
        if pid=$(node_pid "$setup" "$id"); then up=$((up + 1)); fi
    done
    if ((up == total)); then
        say "$setup already running at $(bootstrap "$setup")"
        return 0
    fi
    ((up > 0)) && keep=1 # part of a cluster is up: restart the rest on their data
    if ((keep == 1 && up == 0)); then
        for id in $(node_ids "$setup"); do # nothing to keep: start fresh
            [[ -f "$(node_dir "$setup" "$id")/data/meta.properties" ]] || keep=0
        done
    fi
    started=$SECONDS
    if ((keep == 0)); then
        cid=$(new_cluster_id)
        ((SECURITY)) && sec_make "$setup"
        for id in $(node_ids "$setup"); do
            check_ports_free "$setup" "$id"
            write_node_config "$setup" "$id"
            format_node "$setup" "$id" "$cid"
        done
    fi
    local launched=()
    for id in $(node_ids "$setup"); do
        node_pid "$setup" "$id" >/dev/null && continue
        ((keep == 0)) || {
            check_ports_free "$setup" "$id"
            write_node_config "$setup" "$id"
        }
        launch_node "$setup" "$id"
        launched+=("$id")
    done
    wait_ready "$setup" "${launched[@]}"
    say "$setup up at $(bootstrap "$setup") ($((SECONDS - started)) s)"
}

cmd_stop() {
    local setup=single a id pid pids=() deadline
    for a in "$@"; do
        case $a in
        --cluster) setup=cluster ;;
        *) die "stop: unknown argument '$a'" ;;
        esac
    done
    # SIGTERM all at once: stopping one by one makes the last nodes wait for a
    # controller quorum that is already gone.
    for id in $(node_ids "$setup"); do
        if pid=$(node_pid "$setup" "$id"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$id:$pid")
        fi
    done
    if ((${#pids[@]} == 0)); then
        say "$setup not running"
        return 0
    fi
    deadline=$((SECONDS + STOP_TIMEOUT))
    for a in "${pids[@]}"; do
        id=${a%%:*} pid=${a#*:}
        while kill -0 "$pid" 2>/dev/null; do
            if ((SECONDS >= deadline)); then
                say "$setup node $id (pid $pid) still up after ${STOP_TIMEOUT}s: SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
            sleep 0.2
        done
        rm -f "$(node_dir "$setup" "$id")/kafka.pid"
    done
    say "$setup stopped"
}

cmd_status() {
    local setups=(single cluster) setup id pid rc=0 a up
    for a in "$@"; do
        case $a in
        --cluster) setups=(cluster) ;;
        --single) setups=(single) ;;
        *) die "status: unknown argument '$a'" ;;
        esac
    done
    for setup in "${setups[@]}"; do
        up=0
        for id in $(node_ids "$setup"); do
            if pid=$(node_pid "$setup" "$id"); then
                up=$((up + 1))
                printf '%-7s node %s  running pid %-7s broker 127.0.0.1:%s controller 127.0.0.1:%s\n' \
                    "$setup" "$id" "$pid" "$(broker_port "$setup" "$id")" "$(ctrl_port "$setup" "$id")"
            else
                printf '%-7s node %s  stopped\n' "$setup" "$id"
                # With both setups shown, only a down single node counts as a failure.
                if [[ ${#setups[@]} -eq 1 || $setup == single ]]; then rc=1; fi
            fi
        done
        # A killed node stays listed until the controller fences it (~9 s).
        if [[ $setup == cluster ]] && ((up > 0)) && command -v kcat >/dev/null; then
            printf 'cluster brokers in metadata: %s of %s\n' \
                "$(metadata_broker_count "$(bootstrap cluster)")" "$CLUSTER_SIZE"
        fi
    done
    return $rc
}

cmd_logs() {
    local setup=single n=100 a
    for a in "$@"; do
        case $a in
        --cluster) setup=cluster ;;
        *[!0-9]* | '') die "logs: unknown argument '$a'" ;;
        *) n=$a ;;
        esac
    done
    print_logs "$setup" "$n"
}

cmd_brokers() {
    case ${1:-} in
    --cluster) bootstrap cluster ;;
    '') bootstrap single ;;
    *) die "brokers: unknown argument '$1'" ;;
    esac
}

node_arg() { # N
    [[ ${1:-} =~ ^[1-9]$ ]] && (($1 <= CLUSTER_SIZE)) || die "node must be 1..$CLUSTER_SIZE, got '${1:-}'"
}

kill_node() { # setup id
    local pid
    if ! pid=$(node_pid "$1" "$2"); then
        say "$1 node $2 not running"
        return 0
    fi
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$(node_dir "$1" "$2")/kafka.pid"
    say "$1 node $2 (pid $pid) killed"
}

cmd_kill_node() {
    node_arg "${1:-}"
    kill_node cluster "$1"
}

cmd_start_node() {
    node_arg "${1:-}"
    local started=$SECONDS
    ensure_installed
    if node_pid cluster "$1" >/dev/null; then
        say "cluster node $1 already running"
        return 0
    fi
    # Alone, a node cannot reach a controller quorum and gives up after 60 s.
    local id others=0
    for id in $(node_ids cluster); do
        node_pid cluster "$id" >/dev/null && others=$((others + 1))
    done
    ((others > 0)) || die "no other cluster node is running: use start --cluster --keep-data"
    check_ports_free cluster "$1"
    launch_node cluster "$1"
    wait_ready cluster "$1"
    say "cluster node $1 back at 127.0.0.1:$(broker_port cluster "$1") ($((SECONDS - started)) s)"
}

cmd_consume() {
    local setup=single topic='' count='' brokers='' config='' a
    for a in "$@"; do
        case $a in
        --cluster) setup=cluster ;;
        --brokers=*) brokers=${a#--brokers=} ;;
        --config=*) config=${a#--config=} ;;
        -*) die "consume: unknown option '$a'" ;;
        *)
            if [[ -z $topic ]]; then
                topic=$a
            elif [[ -z $count && $a =~ ^[0-9]+$ ]]; then
                count=$a
            else
                die "consume: unexpected argument '$a'"
            fi
            ;;
        esac
    done
    [[ -n $topic ]] || die "consume: TOPIC required (see --help)"
    command -v kcat >/dev/null || die "kcat not found: run scripts/install-deps.sh"
    [[ -n $brokers ]] || brokers=$(bootstrap "$setup")
    local args=(-C -q -b "$brokers" -t "$topic" -o beginning -f "$CONSUME_FORMAT")
    [[ -n $config ]] && args+=(-F "$config")
    [[ -z $count ]] && args+=(-e) || args+=(-c "$count")
    # kcat prints a null key or value as an empty field; mark it NULL here
    # (kcat's own -Z also turns empty ones into NULL). The length fields keep
    # a null apart from a literal "NULL". FS=OFS keeps any TAB in the data.
    local st
    set +e
    timeout "$CONSUME_TIMEOUT" kcat "${args[@]}" |
        awk 'BEGIN { FS = OFS = "\t" }
             $4 == "-1" { $5 = "NULL" }
             $6 == "-1" { $7 = "NULL" }
             { print }'
    st=("${PIPESTATUS[@]}")
    set -e
    if ((st[0] == 124)); then
        if [[ -n $count ]]; then
            die "consume: fewer than $count records in '$topic' after ${CONSUME_TIMEOUT}s"
        fi
        die "consume: end of '$topic' not reached after ${CONSUME_TIMEOUT}s"
    fi
    ((st[0] == 0)) || die "consume: kcat failed (exit ${st[0]})"
    ((st[1] == 0)) || die "consume: awk failed (exit ${st[1]})"
}

main() {
    local cmd=${1:-}
    (($# > 0)) && shift
    case $cmd in
    -h | --help | help) usage ;;
    install) cmd_install ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    brokers) cmd_brokers "$@" ;;
    kill) kill_node single 1 ;;
    security-dir)
        case ${1:-} in
        --cluster) sec_dir cluster ;;
        '') sec_dir single ;;
        *) die "security-dir: unknown argument '$1'" ;;
        esac
        ;;
    kill-node) cmd_kill_node "$@" ;;
    start-node) cmd_start_node "$@" ;;
    consume) cmd_consume "$@" ;;
    topics) run_tool org.apache.kafka.tools.TopicCommand "$@" ;;
    console-producer) run_tool org.apache.kafka.tools.ConsoleProducer "$@" ;;
    console-consumer) run_tool org.apache.kafka.tools.consumer.ConsoleConsumer "$@" ;;
    leader-election) run_tool org.apache.kafka.tools.LeaderElectionCommand "$@" ;;
    reassign) run_tool org.apache.kafka.tools.reassign.ReassignPartitionsCommand "$@" ;;
    configs) run_tool org.apache.kafka.tools.ConfigCommand "$@" ;;
    dump-log) run_tool org.apache.kafka.tools.DumpLogSegments "$@" ;;
    run)
        (($# > 0)) || die "run: CLASS required"
        run_tool "$@"
        ;;
    '')
        usage >&2
        exit 2
        ;;
    *) die "unknown command '$cmd' (see --help)" ;;
    esac
}

main "$@"
