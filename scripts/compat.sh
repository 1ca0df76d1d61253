#!/usr/bin/env bash
# scripts/compat.sh: runs kprod's broker tests against an older Apache Kafka
# from Maven, beside the pinned one (kafka/pom.xml), to learn what works on
# the brokers users still run. Run with --help.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${KPROD_COMPAT_PORT:-9392}
BUILD=${KPROD_COMPAT_BUILD:-$ROOT/build}
START_TIMEOUT=${KPROD_KAFKA_START_TIMEOUT:-120}
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA=$JAVA_HOME/bin/java; else JAVA=java; fi

usage() {
    cat <<EOF
Usage: scripts/compat.sh COMMAND VERSION [ARGS...]

Fetches Apache Kafka VERSION with Maven (kafka_2.13, or kafka_2.12 before
2.4) into .kafka-compat/VERSION/lib and runs one broker of it on 127.0.0.1,
in KRaft mode from 3.3 on and with ZooKeeper before (--zk: ZooKeeper for a
3.x too). The layout is scripts/kafka.sh's (single/data, single/kafka.log),
so the tests that read the broker's files find them through KPROD_KAFKA_DIR.
Kafka's admin tools still come from the pinned release (kafka/lib): they
talk to brokers from 2.1 on.

Commands:
  start VERSION [--zk]   fetch if needed, start (a no-op when running)
  stop VERSION           stop the broker (and its ZooKeeper)
  test VERSION [--zk] [CTEST-ARGS...]
                         start, run 'ctest -L broker' of \$KPROD_COMPAT_BUILD
                         (default build/) against it with KPROD_BROKERS,
                         KPROD_KAFKA_DIR and KPROD_KAFKA_PORT set, stop;
                         exit status: ctest's
  zstd VERSION           for ZooKeeper brokers before 2.1 (no admin tools of
                         the pinned release work there): a 3-partition topic
                         (the release's own TopicCommand), 2,000 keyed records
                         with compression.type=zstd (every record must fail
                         with UNSUPPORTED_COMPRESSION_TYPE, no Produce request
                         may reach the broker, one InitProducerId, counted
                         in the broker's request log), then gzip (stored,
                         read back with kcat)
  env VERSION            print the variables that point tests at it

Ports: broker \$KPROD_COMPAT_PORT (default 9392), KRaft controller +1,
ZooKeeper +2. Examples:
  scripts/compat.sh test 3.9.2
  scripts/compat.sh test 2.8.2 -R 'test_produce|cli/'
  scripts/compat.sh zstd 2.0.1
EOF
}

say() { echo "compat.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

# ver_ge A B: true when version A >= B (numeric, dot-separated).
ver_ge() { [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1) == "$2" ]]; }

setup_vars() { # VERSION [--zk]
    VERSION=$1
    [[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "VERSION must look like 3.9.2, got '$VERSION'"
    DIR=${KPROD_COMPAT_DIR:-$ROOT/.kafka-compat}/$VERSION
    LIB=$DIR/lib
    NODE=$DIR/single
    SCALA=2.13
    ver_ge "$VERSION" 2.4.0 || SCALA=2.12
    MODE=kraft
    ver_ge "$VERSION" 3.3.0 || MODE=zk
    [[ ${2:-} == --zk ]] && MODE=zk
    CTRL_PORT=$((PORT + 1))
    ZK_PORT=$((PORT + 2))
}

# Before 4.0 the broker logs through log4j 1, which its distribution ships
# but its Maven artifact does not pull in (ZooKeeper needs it to start): as
# the distributions did, log4j 1.2.17 before 3.0, reload4j (log4j 1's
# maintained drop-in) from 3.0, each with its slf4j binding.
logging_deps() {
    ver_ge "$VERSION" 4.0.0 && return 0
    local deps g a v
    if ver_ge "$VERSION" 3.0.0; then
        deps=("org.slf4j slf4j-api 1.7.36" "org.slf4j slf4j-reload4j 1.7.36" "ch.qos.reload4j reload4j 1.2.25")
    else
        deps=("org.slf4j slf4j-api 1.7.36" "org.slf4j slf4j-log4j12 1.7.36" "log4j log4j 1.2.17")
    fi
    # ZooKeeper 3.4's client cannot connect on Java 14 and later
    # (UnresolvedAddressException, ZOOKEEPER-3779): before Kafka 2.4, which
    # moved to 3.5, ZooKeeper 3.5.9 (Kafka 2.8's, fixed) takes its place for
    # the ZooKeeper server and the broker's client alike.
    ver_ge "$VERSION" 2.4.0 || deps+=("org.apache.zookeeper zookeeper 3.5.9")
    for g in "${deps[@]}"; do
        read -r g a v <<<"$g"
        printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n' \
            "$g" "$a" "$v"
    done
}

# Fetches the jars when they are missing or the pom this script writes has
# changed since they were fetched.
fetch() {
    local pom
    pom=$(write_pom)
    [[ -f $LIB/kafka_$SCALA-$VERSION.jar && -f $DIR/pom.xml && $(cat "$DIR/pom.xml") == "$pom" ]] &&
        return 0
    command -v mvn >/dev/null || die "mvn not found: run scripts/install-deps.sh"
    mkdir -p "$DIR"
    printf '%s\n' "$pom" >"$DIR/pom.xml"
    mvn_fetch
}

write_pom() {
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/compat.sh: the jars of Kafka $VERSION, nothing built. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.kprod</groupId>
  <artifactId>kprod-compat-kafka</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA</artifactId>
      <version>$VERSION</version>
    </dependency>
$(logging_deps)
  </dependencies>
</project>
EOF
}

mvn_fetch() {
    say "fetching Kafka $VERSION (kafka_$SCALA) with Maven..."
    rm -rf "$LIB.tmp"
    if ! mvn -B -f "$DIR/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIB.tmp" \
        -DincludeScope=runtime >"$DIR/mvn.out" 2>&1; then
        tail -n 30 "$DIR/mvn.out" >&2
        die "Maven could not fetch Kafka $VERSION (full output: $DIR/mvn.out)"
    fi
    rm -rf "$LIB"
    mv "$LIB.tmp" "$LIB"
}

pid_of() { # NAME: the pid in NAME.pid when that process is alive
    local f=$DIR/$1.pid pid
    [[ -f $f ]] || return 1
    pid=$(cat "$f")
    kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR" &&
        echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

launch() { # NAME LOG CLASS ARGS...: a JVM in the background, its pid in NAME.pid
    local name=$1 log=$2
    shift 2
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' launcher "$DIR/$name.pid" \
        "$JAVA" -Xmx512m -Djava.awt.headless=true -Dkafka.logs.dir="$NODE" \
        -Dzookeeper.jmx.log4j.disable=true \
        -Dlog4j.configuration="file:$DIR/log4j.properties" \
        -Dlog4j2.configurationFile="$DIR/log4j2.properties" \
        -cp "$LIB/*" "$@" </dev/null >>"$log" 2>&1 &
    local deadline=$((SECONDS + 10))
    until pid_of "$name" >/dev/null; do
        ((SECONDS < deadline)) || die "$name did not start: $(tail -n 20 "$log")"
        sleep 0.1
    done
}

write_configs() {
    mkdir -p "$NODE"
    # Kafka before 4.0 logs with log4j 1 (or reload4j), 4.x with log4j2. The
    # request logger at DEBUG names every request, so that a run can count
    # them (the zstd check counts InitProducerId).
    cat >"$DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$NODE/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=DEBUG, requests
log4j.additivity.kafka.request.logger=false
log4j.appender.requests=org.apache.log4j.FileAppender
log4j.appender.requests.File=$NODE/requests.log
log4j.appender.requests.layout=org.apache.log4j.PatternLayout
log4j.appender.requests.layout.ConversionPattern=[%d] %m%n
EOF
    cat >"$DIR/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $NODE/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
EOF
    local common="log.dirs=$NODE/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=${AUTO_CREATE:-false}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24"
    if [[ $MODE == kraft ]]; then
        cat >"$NODE/server.properties" <<EOF
# Written by scripts/compat.sh for Kafka $VERSION (KRaft).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CTRL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
$common
EOF
    else
        cat >"$DIR/zookeeper.properties" <<EOF
dataDir=$DIR/zookeeper
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
EOF
        cat >"$NODE/server.properties" <<EOF
# Written by scripts/compat.sh for Kafka $VERSION (ZooKeeper).
broker.id=1
listeners=PLAINTEXT://127.0.0.1:$PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
zookeeper.connect=127.0.0.1:$ZK_PORT
$common
EOF
    fi
}

wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT))
    until timeout 10 kcat -L -b "127.0.0.1:$PORT" -m 3 2>/dev/null | grep -q ' broker 1 at '; do
        pid_of broker >/dev/null || die "the broker exited: $(tail -n 30 "$NODE/kafka.out")"
        ((SECONDS < deadline)) || die "the broker is not up after ${START_TIMEOUT}s: $(tail -n 30 "$NODE/kafka.log")"
        sleep 0.5
    done
}

cmd_start() {
    if pid_of broker >/dev/null; then
        say "Kafka $VERSION already running at 127.0.0.1:$PORT"
        return 0
    fi
    fetch
    command -v kcat >/dev/null || die "kcat not found: run scripts/install-deps.sh"
    local p
    for p in $PORT $CTRL_PORT $ZK_PORT; do
        ! port_open "$p" || die "port $p is in use; set KPROD_COMPAT_PORT"
    done
    rm -rf "$NODE" "$DIR/zookeeper"
    write_configs
    if [[ $MODE == kraft ]]; then
        local id
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | sed 's/^-/A/')
        "$JAVA" -Xmx256m -Dlog4j.configuration="file:$DIR/log4j.properties" -cp "$LIB/*" \
            kafka.tools.StorageTool format -t "$id" -c "$NODE/server.properties" \
            >"$NODE/format.out" 2>&1 || die "formatting storage failed: $(cat "$NODE/format.out")"
    else
        launch zookeeper "$DIR/zookeeper.out" org.apache.zookeeper.server.quorum.QuorumPeerMain \
            "$DIR/zookeeper.properties"
        local deadline=$((SECONDS + 30))
        until port_open "$ZK_PORT"; do
            pid_of zookeeper >/dev/null && ((SECONDS < deadline)) ||
                die "ZooKeeper is not up: $(tail -n 20 "$DIR/zookeeper.out")"
            sleep 0.2
        done
    fi
    local started=$SECONDS
    launch broker "$NODE/kafka.out" kafka.Kafka "$NODE/server.properties"
    wait_ready
    say "Kafka $VERSION ($MODE) up at 127.0.0.1:$PORT ($((SECONDS - started)) s)"
}

stop_one() { # NAME
    local pid
    pid=$(pid_of "$1") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    done
    rm -f "$DIR/$1.pid"
}

cmd_stop() {
    stop_one broker
    stop_one zookeeper
    say "Kafka $VERSION stopped"
}

test_env() {
    echo "KPROD_BROKERS=127.0.0.1:$PORT"
    echo "KPROD_KAFKA_DIR=$DIR"
    echo "KPROD_KAFKA_PORT=$PORT"
}

cmd_test() {
    [[ -f $BUILD/CTestTestfile.cmake ]] || die "no build tree at $BUILD (KPROD_COMPAT_BUILD)"
    ver_ge "$VERSION" 2.1.0 || die "Kafka $VERSION: the pinned release's admin tools need 2.1 or later; use: compat.sh zstd $VERSION"
    cmd_start
    local rc=0
    env $(test_env) KPROD_SRC="$ROOT" ctest --test-dir "$BUILD" -L broker --output-on-failure "$@" ||
        rc=$?
    cmd_stop
    return $rc
}

# Kafka before 2.1: zstd must fail locally, gzip must work. The input is
# compressible (kprod sends a batch uncompressed when compression would not
# make it smaller), over three partitions, several batches each.
cmd_zstd() {
    local kprod=${KPROD_BIN:-$BUILD/kprod} topic fails=0 i n
    [[ -x $kprod ]] || die "no kprod binary at $kprod (KPROD_BIN)"
    AUTO_CREATE=true cmd_start
    topic=compat_zstd_$$
    "$JAVA" -Xmx256m -Dlog4j.configuration="file:$DIR/log4j.properties" -cp "$LIB/*" \
        kafka.admin.TopicCommand --zookeeper "127.0.0.1:$ZK_PORT" --create --topic "$topic" \
        --partitions 3 --replication-factor 1 >"$DIR/topic.out" 2>&1 ||
        die "creating $topic: $(tail -n 5 "$DIR/topic.out")"
    for ((i = 1; i <= 2000; i++)); do
        printf 'user%d:%s %d\n' $((i % 6)) "a compressible value, a compressible value, a compressible value" "$i"
    done >"$DIR/zstd.in"
    : >"$NODE/requests.log"
    "$kprod" produce -b "127.0.0.1:$PORT" -t "$topic" -K: -X compression.type=zstd \
        <"$DIR/zstd.in" >"$DIR/zstd.out" 2>"$DIR/zstd.err" && fails=1
    n=$(grep -c 'error UNSUPPORTED_COMPRESSION_TYPE: .*zstd needs Kafka 2.1 or later' "$DIR/zstd.err" || true)
    echo "zstd: $n of 2000 records failed with UNSUPPORTED_COMPRESSION_TYPE (2000 expected)"
    [[ $n == 2000 ]] || { fails=1; tail -n 5 "$DIR/zstd.err"; }
    n=$(grep -c 'apiKey=PRODUCE' "$NODE/requests.log" || true)
    echo "zstd: Produce requests the broker logged: $n (0 expected)"
    [[ $n == 0 ]] || fails=1
    n=$(grep -c 'apiKey=INIT_PRODUCER_ID' "$NODE/requests.log" || true)
    echo "zstd: InitProducerId requests the broker logged: $n (1 expected)"
    [[ $n == 1 ]] || fails=1
    printf 'f\ng\nh\n' | "$kprod" produce -b "127.0.0.1:$PORT" -t "$topic" -p 0 -X compression.type=gzip \
        >"$DIR/gzip.out" 2>"$DIR/gzip.err" || { fails=1; cat "$DIR/gzip.err"; }
    local got
    got=$(timeout 30 kcat -C -q -b "127.0.0.1:$PORT" -t "$topic" -p 0 -o beginning -e -f '%s\n' 2>/dev/null | tr '\n' ' ')
    echo "gzip: read back by kcat: $got"
    [[ $got == "f g h " ]] || fails=1
    cmd_stop
    if ((fails == 0)); then
        echo "compat.sh zstd $VERSION: passed"
    else
        echo "compat.sh zstd $VERSION: FAILED"
        return 1
    fi
}

main() {
    local cmd=${1:-}
    case $cmd in
    -h | --help | help | '')
        usage
        [[ -n $cmd ]] || exit 2
        return 0
        ;;
    esac
    shift
    [[ $# -ge 1 ]] || die "$cmd: VERSION required (see --help)"
    local version=$1
    shift
    local zk=''
    if [[ ${1:-} == --zk ]]; then
        zk=--zk
        shift
    fi
    setup_vars "$version" $zk
    case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    test) cmd_test "$@" ;;
    zstd) cmd_zstd ;;
    env) test_env ;;
    *) die "unknown command '$cmd' (see --help)" ;;
    esac
}

main "$@"
