#!/usr/bin/env bash
# bench/run.sh: kprod against librdkafka and Kafka's Java producer, side by
# side.
#
# Builds a Release tree (-O2) with kprod's CLI, the librdkafka reference
# producer (bench/rdkafka_perf.c: same options, same run loop, same
# measurements) and the tools below, starts the brokers, and runs every
# scenario with every client, alternately, for several rounds. Clients:
#   kprod       kprod perf
#   librdkafka  bench/rdkafka_perf (Debian's librdkafka)
#   java        Kafka's own org.apache.kafka.tools.ProducerPerformance
#               (kafka-producer-perf-test) from the jars of scripts/kafka.sh,
#               with that script's JVM settings; only where it can run the
#               scenario (no keys, one topic, one thread, transactions by
#               time only: none of run.sh's) and not on mock (see below)
# Brokers ("sinks"):
#   sink   bench/sink.c, a minimal Kafka broker that discards records (no
#          disk, no JVM), so the clients' own cost shows
#   mock   librdkafka's mock cluster (tests/tools/mock_cluster.c, one broker,
#          its own process): a second, independent sink. Java's producer
#          refuses it (the mock's ApiVersions answer carries a throttle of
#          1179648 ms, which Java obeys), so Java has no mock column
#   kafka  the real Apache Kafka broker of scripts/kafka.sh; the *-sasl-ssl
#          scenarios run on its SASL_SSL listener (TLS + SCRAM-SHA-512 for
#          kprod and Java; PLAIN for librdkafka, whose Debian 2.0.2 fails
#          SCRAM against Kafka 4.x), from the client files scripts/kafka.sh
#          writes
# Every client runs under bench/rusage, which measures it as a process: CPU
# (user + system), system time, peak RSS and voluntary context switches.
# Throughput and p99 latency are each client's own (the perf programs'
# RESULT line; Java's final line, whole milliseconds). Then it prints per
# broker two markdown tables of medians with the ratios kprod/librdkafka
# and kprod/Java. Every run must deliver every record (checked by the
# clients, and here via their final lines); the exit status is 1 if any
# run failed. Nothing asserts a speed. bench/floor (the cost of encoding a
# record into a batch, alone) is printed beside the tables.
#
# Usage: bench/run.sh [OPTIONS]
#   --rounds R      rounds per scenario and client (default 3)
#   --smoke         one round, tiny record counts, two scenarios: checks that
#                   everything runs (CI); records nothing
#   --write-doc     put the tables, machine and command into docs/BENCHMARKS.md
#   --brokers LIST  of sink,mock,kafka (default all three)
#   --clients LIST  of kprod,librdkafka,java (default all three)
#   --only REGEX    only scenarios whose id matches (e.g. '100B')
#   --bin-dir DIR   use the binaries of an existing build tree (DIR/kprod,
#                   DIR/bench/rdkafka_perf, DIR/bench/sink, ...) instead of
#                   building
#   --baseline-bin-dir DIR
#                   also run DIR/kprod (e.g. a Release build of the code before
#                   a change) as another client, kprod-base, in the same
#                   alternating rounds; the tables get its figures and the
#                   ratios kprod/kprod-base. Not with --write-doc
#   --out DIR       keep every run's output there (default: a temporary dir)
#   -h, --help
# Environment: KPROD_BROKERS (a running Kafka broker to use as is); else
# the single broker of scripts/kafka.sh is used (KPROD_KAFKA_PORT,
# KPROD_KAFKA_DIR), started if down and then stopped again at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K=$ROOT/scripts/kafka.sh
rounds=3 smoke=0 write_doc=0 brokers_sel=sink,mock,kafka clients_sel=kprod,librdkafka,java only='' bin_dir='' base_dir='' out=''
while (($# > 0)); do
    case $1 in
    --rounds) rounds=$2; shift ;;
    --smoke) smoke=1 ;;
    --write-doc) write_doc=1 ;;
    --brokers) brokers_sel=$2; shift ;;
    --clients) clients_sel=$2; shift ;;
    --only) only=$2; shift ;;
    --bin-dir) bin_dir=$2; shift ;;
    --baseline-bin-dir) base_dir=$2; shift ;;
    --out) out=$2; shift ;;
    -h | --help)
        sed -n '2,57p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "run.sh: unknown argument '$1' (see --help)" >&2
        exit 2
        ;;
    esac
    shift
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds: a positive number" >&2; exit 2; }
((smoke)) && rounds=1
if ((smoke && write_doc)); then
    echo "run.sh: --smoke runs are too small to publish; drop --write-doc" >&2
    exit 2
fi
if [[ -n $base_dir ]] && ((write_doc)); then
    echo "run.sh: --baseline-bin-dir is for comparing two builds, not for docs/BENCHMARKS.md; drop one of them" >&2
    exit 2
fi

# ---- scenarios ----
# id|what|value bytes|records/s (-1 = no limit)|keys|partitions|records on sink and mock|records on kafka|-X properties[|perf options]
# Partitions "PxT": T topics of P partitions each (perf --topics T; the
# topics are NAME.0 .. NAME.<T-1>). Records on sink 0: kafka only (the
# sinks have no transaction coordinator and no secured listener).
# Properties of the form @listener=KEY run on that secured listener (its
# port's name in the security dir's env file), kprod-F=FILE / rdk-F=FILE /
# java-F=FILE give one client a properties file of that dir. In the perf
# options @ID@ becomes a transactional id of the run's own (a run must not
# fence another's).
# Every scenario sets batch.size, linger.ms, acks, enable.idempotence,
# max.in.flight and buffer.memory explicitly, the same for every client
# (librdkafka's own defaults differ: batch.size 1,000,000, max.in.flight
# 1,000,000, a 1 GiB queue; Java's: idempotence on, acks=all).
base="batch.size=16384 max.in.flight.requests.per.connection=5 buffer.memory=33554432"
acks1="acks=1 enable.idempotence=false"
idem="acks=all enable.idempotence=true"
sasl_ssl="@listener=SASL_SSL_PORT kprod-F=client-sasl-ssl-scram-sha-512.properties java-F=client-sasl-ssl-scram-sha-512.properties rdk-F=kcat-sasl-ssl-plain.conf"
scenarios=(
    "100B|100 B, acks=1, linger.ms=5|100|-1|0|1|2000000|1000000|$base linger.ms=5 $acks1"
    "100B-idem|100 B, acks=all, idempotent|100|-1|0|1|2000000|1000000|$base linger.ms=5 $idem"
    "100B-4threads|100 B, 4 application threads sending|100|-1|0|1|2000000|1000000|$base linger.ms=5 $acks1|--threads 4"
    "100B-16p|100 B, 16 partitions|100|-1|0|16|2000000|1000000|$base linger.ms=5 $acks1"
    "100B-16p-keyed|100 B, 16 partitions, 10,000 keys|100|-1|10000|16|2000000|1000000|$base linger.ms=5 $acks1"
    "100B-1000p|100 B, 100 topics x 10 partitions|100|-1|0|10x100|2000000|1000000|$base linger.ms=5 $acks1"
)
for c in none gzip snappy lz4 zstd; do
    scenarios+=("1KB-$c|1 KB, $c|1024|-1|0|1|300000|200000|$base linger.ms=5 $acks1 compression.type=$c")
done
for c in none gzip snappy lz4 zstd; do
    scenarios+=("10KB-$c|10 KB, $c|10240|-1|0|1|30000|20000|$base linger.ms=5 $acks1 compression.type=$c")
done
scenarios+=(
    "latency|100 B at 1,000/s, linger.ms=0|100|1000|0|1|5000|5000|$base linger.ms=0 $acks1"
    "100B-sasl-ssl|100 B, SASL_SSL|100|-1|0|1|0|1000000|$base linger.ms=5 $acks1 $sasl_ssl"
    "10KB-sasl-ssl|10 KB, SASL_SSL|10240|-1|0|1|0|20000|$base linger.ms=5 $acks1 $sasl_ssl"
    "100B-txn|100 B, a transaction per 1,000 records|100|-1|0|1|0|1000000|$base linger.ms=5 $idem|--transaction-records 1000 --transactional-id @ID@"
    "100B-txn-b1M|the same, batch.size=1000000 (librdkafka's default)|100|-1|0|1|0|1000000|$base linger.ms=5 $idem batch.size=1000000|--transaction-records 1000 --transactional-id @ID@"
)
if ((smoke)); then
    scenarios=(
        "100B|100 B, acks=1, linger.ms=5|100|-1|0|1|2000|2000|$base linger.ms=5 $acks1"
        "1KB-lz4-keyed-idem|1 KB, lz4, 4 topics x 4 partitions, keys, idempotent, 2 threads|1024|-1|100|4x4|1000|1000|$base linger.ms=5 $idem compression.type=lz4|--threads 2"
    )
fi

tmp=$(mktemp -d)
[[ -n $out ]] || out=$tmp/runs
mkdir -p "$out"
results=$out/results.txt
: >"$results"
sink_pid='' mock_pid='' stop_kafka=0 kafka_made=0
cleanup() {
    local rc=$?
    [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null || true
    [[ -n $mock_pid ]] && kill "$mock_pid" 2>/dev/null || true
    # One JVM for every topic of this run (--topic takes a regex here).
    ((kafka_made)) && bash "$K" topics --bootstrap-server "$KAFKA" --delete --topic "${tag}_.*" \
        >/dev/null 2>&1 || true
    ((stop_kafka)) && bash "$K" stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "run.sh: $*" >&2; }
want() { [[ ",$brokers_sel," == *",$1,"* ]]; }
want_client() { [[ ",$clients_sel," == *",$1,"* ]]; }

# ---- build ----
if [[ -z $bin_dir ]]; then
    bin_dir=$ROOT/build-bench
    log "building $bin_dir (Release, -O2)"
    cmake -S "$ROOT" -B "$bin_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS_RELEASE='-O2 -DNDEBUG' -DKPROD_TESTS=OFF -DKPROD_BENCH=ON >/dev/null
    cmake --build "$bin_dir" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
fi
KPROD=$bin_dir/kprod
RDK=$bin_dir/bench/rdkafka_perf
SINK=$bin_dir/bench/sink
MOCK=$bin_dir/bench/kprod_mock_cluster
[[ -x $MOCK ]] || MOCK=$bin_dir/tests/kprod_mock_cluster
RUSAGE=$bin_dir/bench/rusage
MKTOPICS=$bin_dir/bench/mktopics
FLOOR=$bin_dir/bench/floor
for b in "$KPROD" "$RDK" "$SINK" "$MOCK" "$RUSAGE" "$MKTOPICS" "$FLOOR"; do
    [[ -x $b ]] || { log "missing $b (is librdkafka-dev installed? KPROD_BENCH=ON?)"; exit 1; }
done
clients=()
for c in kprod librdkafka java; do want_client $c && clients+=($c); done
((${#clients[@]} > 0)) || { log "--clients: none of kprod, librdkafka, java"; exit 2; }
if [[ -n $base_dir ]]; then
    KBASE=$base_dir/kprod
    [[ -x $KBASE ]] || { log "missing $KBASE (--baseline-bin-dir: a kprod build tree)"; exit 1; }
    clients+=(kprod-base)
    log "kprod-base is $KBASE"
fi
# Kafka's producer with kafka-producer-perf-test.sh's JVM settings (its
# heap, and kafka-run-class.sh's G1 options), not the small quick-start
# ones scripts/kafka.sh gives the tests' tools.
export KPROD_TOOL_JVM_OPTS="-Xmx512M -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent"

# ---- scenarios selected, and the topics they need ----
selected=()
for s in "${scenarios[@]}"; do
    id=${s%%|*}
    [[ -z $only || $id =~ $only ]] || continue
    if [[ $s == *@listener=* ]] && ! want kafka; then
        continue
    fi
    selected+=("$s")
done
((${#selected[@]} > 0)) || { log "no scenario matches '$only'"; exit 2; }
# topic_of PARTS: the topic (or the topics' common name) of a partitions field.
tag=kprod_bench_$$
topic_of() { if [[ $1 == *x* ]]; then echo "${tag}_t${1#*x}p${1%x*}"; else echo "${tag}_p$1"; fi; }
# topic_names PARTS: NAME:PARTITIONS for every topic of a partitions field.
topic_names() {
    local t
    t=$(topic_of "$1")
    if [[ $1 == *x* ]]; then
        for ((i = 0; i < ${1#*x}; i++)); do echo "$t.$i:${1%x*}"; done
    else
        echo "$t:$1"
    fi
}
declare -A parts_seen=()
for s in "${selected[@]}"; do
    IFS='|' read -r _ _ _ _ _ parts _ <<<"$s"
    parts_seen[$parts]=1
done
all_topics=()
for parts in "${!parts_seen[@]}"; do
    mapfile -t -O "${#all_topics[@]}" all_topics < <(topic_names "$parts")
done

# ---- brokers ----
declare -A BOOT=()
if want sink; then
    # The sink's stdin is a pipe from this shell: it ends when we do.
    sink_args=()
    for t in "${all_topics[@]}"; do sink_args+=(--topic "$t"); done
    coproc SINKP { exec "$SINK" "${sink_args[@]}"; }
    sink_pid=$SINKP_PID
    read -r word addr <&"${SINKP[0]}" || true
    [[ $word == BOOTSTRAP ]] || { log "the sink did not start"; exit 1; }
    BOOT[sink]=$addr
    log "sink at $addr"
fi
if want mock; then
    # One broker; topics made over its stdin, one "ok" per command.
    coproc MOCKP { exec "$MOCK" 1 2>"$tmp/mock.err"; }
    mock_pid=$MOCKP_PID
    read -r addr <&"${MOCKP[0]}" || true
    [[ -n $addr ]] || { log "the mock cluster did not start"; cat "$tmp/mock.err" >&2; exit 1; }
    for t in "${all_topics[@]}"; do
        echo "topic ${t%:*} ${t##*:} 1" >&"${MOCKP[1]}"
        read -r answer <&"${MOCKP[0]}" || true
        [[ $answer == ok* ]] || { log "mock cluster: topic ${t%:*}: $answer"; exit 1; }
    done
    BOOT[mock]=$addr
    log "mock cluster at $addr"
fi
if want kafka; then
    if [[ -n ${KPROD_BROKERS:-} ]]; then
        KAFKA=$KPROD_BROKERS
    else
        if ! bash "$K" status --single >/dev/null 2>&1; then
            log "starting the Kafka broker (scripts/kafka.sh start)"
            bash "$K" start >&2
            stop_kafka=1
        fi
        KAFKA=$(bash "$K" brokers)
    fi
    kafka_made=1
    for parts in "${!parts_seen[@]}"; do
        t=$(topic_of "$parts")
        if [[ $parts == *x* ]]; then
            "$MKTOPICS" "$KAFKA" "$t" "${parts#*x}" "${parts%x*}" >"$tmp/topic.log" 2>&1 ||
                { cat "$tmp/topic.log" >&2; log "cannot create the topics $t.* on $KAFKA"; exit 1; }
        elif ! bash "$K" topics --bootstrap-server "$KAFKA" --create --topic "$t" \
            --partitions "$parts" --replication-factor 1 >"$tmp/topic.log" 2>&1; then
            cat "$tmp/topic.log" >&2
            log "cannot create topic $t on $KAFKA"
            exit 1
        fi
    done
    BOOT[kafka]=$KAFKA
    log "kafka at $KAFKA"
    # Kafka's first write to each new partition is slow (its log files
    # are set up then: 100 fresh topics of 10 partitions took whichever
    # client wrote first 10 to 15 s longer, librdkafka or kprod alike):
    # every partition gets a record, unmeasured, before the first run.
    for parts in "${!parts_seen[@]}"; do
        t=$(topic_of "$parts") nt=1 np=$parts
        [[ $parts == *x* ]] && nt=${parts#*x} np=${parts%x*}
        topics_arg=()
        ((nt > 1)) && topics_arg=(--topics "$nt")
        # Keys: PARTITIONS x 20 + 1, prime to the topic counts used here (100,
        # and 4 in --smoke), so that every topic sees every key.
        "$KPROD" perf -b "$KAFKA" -t "$t" "${topics_arg[@]}" -n $((nt * np * 40)) -s 100 \
            -k $((np * 20 + 1)) -q -X acks=1 >"$tmp/warm.log" 2>&1 ||
            { cat "$tmp/warm.log" >&2; log "cannot write to $t on $KAFKA"; exit 1; }
    done
    # The secured listeners are those of scripts/kafka.sh's own broker.
    [[ -n ${KPROD_BROKERS:-} ]] || SEC=$(bash "$K" security-dir)
fi

# ---- runs ----
brokers=()
for b in sink mock kafka; do want $b && brokers+=($b); done
sel2=()
for s in "${selected[@]}"; do
    id=${s%%|*}
    if [[ $s == *@listener=* ]] && [[ ! -f ${SEC:-/nonexistent}/env ]]; then
        log "skipping $id: no secured listeners (scripts/kafka.sh start makes them; KPROD_BROKERS given?)"
        continue
    fi
    sel2+=("$s")
done
selected=("${sel2[@]}")
((${#selected[@]} > 0)) || { log "no scenario left to run"; exit 2; }
# runs_on BROKER SCENARIO-LINE CLIENT: true when the client runs the
# scenario on that broker.
runs_on() {
    local f
    IFS='|' read -ra f <<<"$2"
    [[ $1 == kafka && ${f[7]} != 0 ]] || [[ $1 != kafka && ${f[6]} != 0 ]] || return 1
    if [[ $3 == java ]]; then
        # ProducerPerformance: null keys, one topic, one thread, commits
        # by time only; and it cannot use the mock (see the top).
        [[ $1 != mock && ${f[4]} == 0 && ${f[5]} != *x* && ${f[9]:-} != *--threads* &&
            ${f[9]:-} != *--transaction-records* ]] || return 1
    fi
}
total=0
for broker in "${brokers[@]}"; do
    for s in "${selected[@]}"; do
        for c in "${clients[@]}"; do runs_on "$broker" "$s" "$c" && total=$((total + rounds)); done
    done
done
n=0 failures=0
uptime_start=$(uptime)
t_start=$SECONDS

# field NAME LINE: the value of NAME= in a RESULT or RUSAGE line.
field() { sed -nE "s/.*\b$1=([^ ]+).*/\1/p" <<<"$2"; }

# java_result FILE COUNT: Java's final line as a RESULT line, or nothing.
# "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max
# latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th."
java_result() {
    grep -E '^[0-9]+ records sent, .* ms 99\.9th\.$' "$1" | tail -1 | awk -v want="$2" '{
        gsub(/[(),]/, "")
        printf "RESULT client=java records=%d delivered=%d records_per_s=%s lat_avg_ms=%s lat_p99_ms=%s ok=%d\n",
            want, $1, $4, $8, $22, ($1 == want)
    }'
}

run_one() { # broker scenario-line client round
    local broker=$1 s=$2 client=$3 round=$4
    local id what size rate keys parts n_sink n_kafka props extra
    IFS='|' read -r id what size rate keys parts n_sink n_kafka props extra <<<"$s"
    local count=$n_sink
    [[ $broker == kafka ]] && count=$n_kafka
    local topic ntopics=1
    topic=$(topic_of "$parts")
    [[ $parts == *x* ]] && ntopics=${parts#*x}
    local boot=${BOOT[$broker]} files=() p key
    for p in $props; do
        case $p in
        @listener=*) boot=127.0.0.1:$(sed -n "s/^${p#@listener=}=//p" "$SEC/env") ;;
        kprod-F=* | rdk-F=* | java-F=*)
            key=${p%%-F=*}
            [[ $key == "${client%-base}" || ($key == rdk && $client == librdkafka) ]] &&
                files+=(-F "$SEC/${p#*-F=}")
            ;;
        esac
    done
    local args=()
    if [[ $client == java ]]; then
        args=(bash "$K" run org.apache.kafka.tools.ProducerPerformance --topic "$topic"
            --num-records "$count" --record-size "$size" --throughput "$rate")
        ((${#files[@]})) && args+=(--command-config "${files[1]}")
        args+=(--command-property "bootstrap.servers=$boot")
        for p in $props; do
            case $p in @listener=* | *-F=*) ;; *) args+=("$p") ;; esac
        done
    else
        args=("$KPROD" perf)
        [[ $client == librdkafka ]] && args=("$RDK")
        [[ $client == kprod-base ]] && args=("$KBASE" perf)
        args+=("${files[@]}" -b "$boot" -t "$topic" -n "$count" -s "$size" -r "$rate" -k "$keys" -q)
        ((ntopics > 1)) && args+=(--topics "$ntopics")
        for p in $props; do
            case $p in @listener=* | *-F=*) ;; *) args+=(-X "$p") ;; esac
        done
        for p in $extra; do args+=("${p//@ID@/${tag}_${id}_${client}_$round}"); done
    fi
    local f=$out/$broker.$id.$client.$round
    n=$((n + 1))
    local status=0
    timeout 900 "$RUSAGE" "${args[@]}" >"$f.out" 2>"$f.err" || status=$?
    local line ru
    if [[ $client == java ]]; then
        line=$(java_result "$f.out" "$count")
    else
        line=$(grep '^RESULT ' "$f.out" | tail -1 || true)
    fi
    ru=$(grep '^RUSAGE ' "$f.err" | tail -1 || true)
    if [[ $status != 0 || -z $line || -z $ru || $(field ok "$line") != 1 ||
        $(field delivered "$line") != "$count" ]]; then
        failures=$((failures + 1))
        log "[$n/$total] $broker $id $client round $round: FAILED (exit status $status)"
        tail -5 "$f.err" >&2
        echo "$broker $id $client $round FAILED" >>"$results"
        return
    fi
    # The process's cost, the same yardstick for every client.
    local m
    m=$(awk -v u="$(field user_s "$ru")" -v s="$(field sys_s "$ru")" -v v="$(field vcsw "$ru")" \
        -v r="$(field maxrss_kb "$ru")" -v c="$count" 'BEGIN {
        printf "cpu_us=%.3f sys_us=%.3f vcsw_per_m=%.0f rss_mb=%.1f", (u + s) * 1e6 / c, s * 1e6 / c, v * 1e6 / c, r / 1024 }')
    echo "$broker $id $client $round records_per_s=$(field records_per_s "$line") lat_p99_ms=$(field lat_p99_ms "$line") $m" >>"$results"
    printf 'run.sh: [%d/%d] %-5s %-18s %-10s round %d: %9.0f records/s %s p99 %s ms\n' \
        "$n" "$total" "$broker" "$id" "$client" "$round" "$(field records_per_s "$line")" "$m" \
        "$(field lat_p99_ms "$line")" >&2
}

for ((r = 1; r <= rounds; r++)); do
    for broker in "${brokers[@]}"; do
        for s in "${selected[@]}"; do
            # Rotate which client goes first, round by round.
            nc=${#clients[@]}
            for ((c = 0; c < nc; c++)); do
                cl=${clients[(r - 1 + c) % nc]}
                runs_on "$broker" "$s" "$cl" && run_one "$broker" "$s" "$cl" $r
            done
        done
    done
done
elapsed=$((SECONDS - t_start))
uptime_end=$(uptime)
floor_line=$("$FLOOR" 2>&1 | tail -1 || true)

# ---- tables of medians ----
# Per broker: (1) throughput and CPU per record, each client, ratios
# kprod/other; (2) what the process cost besides: system time, voluntary
# context switches, peak RSS, and p99 latency, with kprod/librdkafka.
table=$tmp/table.md
awk -v scen="$(for s in "${selected[@]}"; do IFS='|' read -r id what _ <<<"$s"; printf '%s|%s\n' "$id" "$what"; done)" \
    -v brokers="${brokers[*]}" -v clients="${clients[*]}" '
function median(key,   n, i, j, t, a) {
    n = cnt[key]
    if (n == 0) return ""
    for (i = 1; i <= n; i++) a[i] = val[key, i]
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function ratio(k, l) { return (k == "" || l == "" || l == 0) ? "-" : sprintf("%.2f", k / l) }
function fmt(v, f) { return v == "" ? "-" : sprintf(f, v) }
$5 == "FAILED" { next }
{
    for (i = 5; i <= NF; i++) {
        split($i, kv, "=")
        key = $1 SUBSEP $2 SUBSEP $3 SUBSEP kv[1]
        val[key, ++cnt[key]] = kv[2]
        any[$1 SUBSEP $2] = 1
    }
}
# One table: for each metric, a column per client, then kprod/X ratios.
function table(b, title, mets, fmts, ratio_to,   nm, ml, fl, nr, rl, x, c, r, s, hdr, sep, line, k, id, parts, what) {
    nm = split(mets, ml, " "); split(fmts, fl, " "); nr = split(ratio_to, rl, " ")
    hdr = "| scenario"; sep = "|---"
    for (x = 1; x <= nm; x++) {
        for (c = 1; c <= nc; c++) { hdr = hdr " | " title[ml[x]] " " cl[c]; sep = sep "|--:" }
        for (r = 1; r <= nr; r++) if (has[rl[r]]) { hdr = hdr " | kprod/" rl[r]; sep = sep "|--:" }
    }
    print "**" b "**"
    print ""
    print hdr " |"
    print sep "|"
    for (s = 1; s <= ns; s++) {
        split(sl[s], parts, "|"); id = parts[1]; what = parts[2]
        if (!((b SUBSEP id) in any)) continue
        line = "| " what
        for (x = 1; x <= nm; x++) {
            for (c = 1; c <= nc; c++) line = line " | " fmt(median(b SUBSEP id SUBSEP cl[c] SUBSEP ml[x]), fl[x])
            k = median(b SUBSEP id SUBSEP "kprod" SUBSEP ml[x])
            for (r = 1; r <= nr; r++) if (has[rl[r]]) line = line " | " ratio(k, median(b SUBSEP id SUBSEP rl[r] SUBSEP ml[x]))
        }
        print line " |"
    }
    print ""
}
END {
    nc = split(clients, cl, " ")
    for (c = 1; c <= nc; c++) has[cl[c]] = 1
    ns = split(scen, sl, "\n")
    nb = split(brokers, bl, " ")
    title["records_per_s"] = "records/s"; title["cpu_us"] = "CPU us/record"
    title["sys_us"] = "sys us/record"; title["vcsw_per_m"] = "vcsw/M records"
    title["rss_mb"] = "peak RSS MiB"; title["lat_p99_ms"] = "p99 ms"
    print "### Throughput and CPU per record"
    print ""
    for (b = 1; b <= nb; b++)
        table(bl[b], title, "records_per_s cpu_us", "%.0f %.3f", "librdkafka java kprod-base")
    print "### System time, voluntary context switches, peak RSS, p99 latency"
    print ""
    for (b = 1; b <= nb; b++)
        table(bl[b], title, "sys_us vcsw_per_m rss_mb lat_p99_ms", "%.3f %.0f %.1f %.2f", "librdkafka")
}' "$results" >"$table"

echo
cat "$table"
echo "The floor (bench/floor, one thread, no I/O):"
echo "$floor_line"
echo
log "$n runs in ${elapsed} s, $failures failed; medians over $rounds round(s)"

if ((write_doc)); then
    doc=$ROOT/docs/BENCHMARKS.md
    cmdline="bench/run.sh --rounds $rounds${only:+ --only '$only'} --brokers $brokers_sel --clients $clients_sel --write-doc"
    {
        echo "<!-- bench:begin (written by bench/run.sh --write-doc; edit outside these markers) -->"
        echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`$cmdline\`:"
        echo "$n runs in $elapsed s, medians of $rounds rounds; ratio = kprod / the other client."
        echo
        cat "$table"
        echo "The floor, \`bench/floor\` (one thread, no I/O), beside kprod's CPU per record above:"
        echo
        echo '```'
        echo "$floor_line"
        echo '```'
        echo
        echo "Machine:"
        echo
        echo "- CPU: $(lscpu | sed -nE 's/^Model name:[[:space:]]+//p' | head -1), $(nproc) cores"
        echo "- memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB; kernel $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
        echo "- kprod $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), built Release -O2 by run.sh; librdkafka $(pkg-config --modversion rdkafka) (Debian package); Kafka $(sed -nE 's:.*<kafka.version>([^<]+)</kafka.version>.*:\1:p' "$ROOT/kafka/pom.xml" | head -1) (broker and Java producer); $("${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | head -1)"
        echo "- load before: \`${uptime_start#*load average: }\`; after: \`${uptime_end#*load average: }\` (1, 5, 15 min)"
        echo "<!-- bench:end -->"
    } >"$tmp/section.md"
    if [[ -f $doc ]] && grep -q '<!-- bench:begin' "$doc"; then
        awk -v sec="$tmp/section.md" '
            /<!-- bench:begin/ { while ((getline l < sec) > 0) print l; skip = 1; next }
            /<!-- bench:end -->/ { skip = 0; next }
            !skip' "$doc" >"$tmp/doc.md"
        cp "$tmp/doc.md" "$doc"
    else
        cat "$tmp/section.md" >>"$doc"
    fi
    log "wrote the tables into $doc"
fi

((failures == 0))
