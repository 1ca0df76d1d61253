#!/usr/bin/env bash
# bench/run.sh: kprod against librdkafka, side by side.
#
# Builds a Release tree (-O2) with kprod's CLI and the librdkafka reference
# producer (bench/rdkafka_perf.c: same options, same run loop, same
# measurements), starts two brokers, and runs every scenario with both
# clients, alternately, for several rounds:
#   sink   bench/sink.c, a minimal Kafka broker that discards records (no
#          disk, no JVM), so the clients' own cost shows
#   kafka  the real Apache Kafka broker of scripts/kafka.sh; the *-sasl-ssl
#          scenarios run on its SASL_SSL listener (TLS + SCRAM-SHA-512 for
#          kprod; PLAIN for librdkafka, whose Debian 2.0.2 fails SCRAM against
#          Kafka 4.x), from the client files scripts/kafka.sh writes
# Then it prints a markdown table of medians and the ratio kprod/librdkafka
# for throughput, CPU per record, peak RSS and p99 latency. Every run must
# deliver every record (checked by the clients, and here via their RESULT
# lines); the exit status is 1 if any run failed. Nothing asserts a speed.
#
# Usage: bench/run.sh [OPTIONS]
#   --rounds R      rounds per scenario and client (default 3)
#   --smoke         one round, tiny record counts, two scenarios: checks that
#                   everything runs (CI); records nothing
#   --write-doc     put the table, machine and command into docs/BENCHMARKS.md
#   --brokers LIST  sink,kafka (default both)
#   --only REGEX    only scenarios whose id matches (e.g. '100B')
#   --bin-dir DIR   use the binaries of an existing build tree (DIR/kprod,
#                   DIR/bench/rdkafka_perf, DIR/bench/sink) instead of building
#   --baseline-bin-dir DIR
#                   also run DIR/kprod (e.g. a Release build of the code before
#                   a change) as a third client, kprod-base, in the same
#                   alternating rounds; the table gets its throughput and CPU
#                   per record and the ratios kprod/kprod-base. Not with
#                   --write-doc
#   --out DIR       keep every run's output there (default: a temporary dir)
#   -h, --help
# Environment: KPROD_BROKERS (a running Kafka broker to use as is); else
# the single broker of scripts/kafka.sh is used (KPROD_KAFKA_PORT,
# KPROD_KAFKA_DIR), started if down and then stopped again at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K=$ROOT/scripts/kafka.sh
rounds=3 smoke=0 write_doc=0 brokers_sel=sink,kafka only='' bin_dir='' base_dir='' out=''
while (($# > 0)); do
    case $1 in
    --rounds) rounds=$2; shift ;;
    --smoke) smoke=1 ;;
    --write-doc) write_doc=1 ;;
    --brokers) brokers_sel=$2; shift ;;
    --only) only=$2; shift ;;
    --bin-dir) bin_dir=$2; shift ;;
    --baseline-bin-dir) base_dir=$2; shift ;;
    --out) out=$2; shift ;;
    -h | --help)
        sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'
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
# id|what|value bytes|records/s (-1 = no limit)|keys|partitions|records on sink|records on kafka|-X properties[|perf options]
# (records on sink 0: kafka only: the sink has no transaction coordinator
# and no secured listener). Properties of the form @listener=KEY run
# on that secured listener (its port's name in the security dir's env file),
# kprod-F=FILE / rdk-F=FILE give one client a properties file of that dir.
# In the perf options @ID@ becomes a transactional id of the run's own (a
# run must not fence another's).
# Every scenario sets batch.size, linger.ms, acks, enable.idempotence,
# max.in.flight and buffer.memory explicitly, the same for both clients
# (librdkafka's own defaults differ: batch.size 1,000,000, max.in.flight
# 1,000,000, a 1 GiB queue).
base="batch.size=16384 max.in.flight.requests.per.connection=5 buffer.memory=33554432"
acks1="acks=1 enable.idempotence=false"
idem="acks=all enable.idempotence=true"
sasl_ssl="@listener=SASL_SSL_PORT kprod-F=client-sasl-ssl-scram-sha-512.properties rdk-F=kcat-sasl-ssl-plain.conf"
scenarios=(
    "100B|100 B, acks=1, linger.ms=5|100|-1|0|1|3000000|1000000|$base linger.ms=5 $acks1"
    "100B-idem|100 B, acks=all, idempotent|100|-1|0|1|3000000|1000000|$base linger.ms=5 $idem"
    "1KB-lz4|1 KB, lz4, acks=1|1024|-1|0|1|500000|300000|$base linger.ms=5 $acks1 compression.type=lz4"
    "10KB|10 KB, acks=1|10240|-1|0|1|100000|50000|$base linger.ms=5 $acks1"
    "latency|100 B at 1,000/s, linger.ms=0, acks=1|100|1000|0|1|5000|5000|$base linger.ms=0 $acks1"
    "100B-16p|100 B, 16 partitions, acks=1|100|-1|0|16|3000000|1000000|$base linger.ms=5 $acks1"
    "100B-16p-keyed|100 B, 16 partitions, 1,000 keys, acks=1|100|-1|1000|16|3000000|1000000|$base linger.ms=5 $acks1"
    "100B-sasl-ssl|100 B, acks=1, SASL_SSL|100|-1|0|1|0|1000000|$base linger.ms=5 $acks1 $sasl_ssl"
    "10KB-sasl-ssl|10 KB, acks=1, SASL_SSL|10240|-1|0|1|0|50000|$base linger.ms=5 $acks1 $sasl_ssl"
    "100B-txn|100 B, a transaction per 1,000 records|100|-1|0|1|0|1000000|$base linger.ms=5 $idem|--transaction-records 1000 --transactional-id @ID@"
    "100B-txn-b1M|the same, batch.size=1000000 (librdkafka's default)|100|-1|0|1|0|1000000|$base linger.ms=5 $idem batch.size=1000000|--transaction-records 1000 --transactional-id @ID@"
)
if ((smoke)); then
    scenarios=(
        "100B|100 B, acks=1, linger.ms=5|100|-1|0|1|2000|2000|$base linger.ms=5 $acks1"
        "1KB-lz4-16p-keyed-idem|1 KB, lz4, 16 partitions, keys, idempotent|1024|-1|100|16|1000|1000|$base linger.ms=5 $idem compression.type=lz4"
    )
fi

tmp=$(mktemp -d)
[[ -n $out ]] || out=$tmp/runs
mkdir -p "$out"
results=$out/results.txt
: >"$results"
sink_pid='' stop_kafka=0 kafka_topics=()
cleanup() {
    local rc=$?
    [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null || true
    for t in "${kafka_topics[@]}"; do
        bash "$K" topics --bootstrap-server "$KAFKA" --delete --topic "$t" >/dev/null 2>&1 || true
    done
    ((stop_kafka)) && bash "$K" stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "run.sh: $*" >&2; }

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
for b in "$KPROD" "$RDK" "$SINK"; do
    [[ -x $b ]] || { log "missing $b (is librdkafka-dev installed? KPROD_BENCH=ON?)"; exit 1; }
done
clients=(kprod librdkafka)
if [[ -n $base_dir ]]; then
    KBASE=$base_dir/kprod
    [[ -x $KBASE ]] || { log "missing $KBASE (--baseline-bin-dir: a kprod build tree)"; exit 1; }
    clients+=(kprod-base)
    log "kprod-base is $KBASE"
fi

# ---- brokers and topics ----
tag=kprod_bench_$$
want() { [[ ",$brokers_sel," == *",$1,"* ]]; }
declare -A BOOT=()
if want sink; then
    # The sink's stdin is a pipe from this shell: it ends when we do.
    coproc SINKP { exec "$SINK" --topic "${tag}_p1:1" --topic "${tag}_p16:16"; }
    sink_pid=$SINKP_PID
    read -r word addr <&"${SINKP[0]}" || true
    [[ $word == BOOTSTRAP ]] || { log "the sink did not start"; exit 1; }
    BOOT[sink]=$addr
    log "sink at $addr"
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
    for p in 1 16; do
        t=${tag}_p$p
        if ! bash "$K" topics --bootstrap-server "$KAFKA" --create --topic "$t" --partitions $p \
            --replication-factor 1 >"$tmp/topic.log" 2>&1; then
            cat "$tmp/topic.log" >&2
            log "cannot create topic $t on $KAFKA"
            exit 1
        fi
        kafka_topics+=("$t")
    done
    BOOT[kafka]=$KAFKA
    log "kafka at $KAFKA"
    # The secured listeners are those of scripts/kafka.sh's own broker.
    [[ -n ${KPROD_BROKERS:-} ]] || SEC=$(bash "$K" security-dir)
fi

# ---- runs ----
brokers=()
want sink && brokers+=(sink)
want kafka && brokers+=(kafka)
selected=()
for s in "${scenarios[@]}"; do
    id=${s%%|*}
    if [[ $s == *@listener=* ]] && ! { want kafka && [[ -f ${SEC:-/nonexistent}/env ]]; }; then
        [[ -z $only || $id =~ $only ]] && log "skipping $id: no secured listeners (scripts/kafka.sh start makes them; KPROD_BROKERS given?)"
        continue
    fi
    [[ -z $only || $id =~ $only ]] && selected+=("$s")
done
((${#selected[@]} > 0)) || { log "no scenario matches '$only'"; exit 2; }
# runs_on BROKER SCENARIO-LINE: true when the scenario has records there.
runs_on() {
    local f
    IFS='|' read -ra f <<<"$2"
    [[ $1 == kafka && ${f[7]} != 0 ]] || [[ $1 == sink && ${f[6]} != 0 ]]
}
total=0
for broker in "${brokers[@]}"; do
    for s in "${selected[@]}"; do
        runs_on "$broker" "$s" && total=$((total + rounds * ${#clients[@]}))
    done
done
n=0 failures=0
uptime_start=$(uptime)
t_start=$SECONDS

# field NAME LINE: the value of NAME= in a RESULT line.
field() { sed -nE "s/.*\b$1=([^ ]+).*/\1/p" <<<"$2"; }

run_one() { # broker scenario-line client round
    local broker=$1 s=$2 client=$3 round=$4
    local id what size rate keys parts n_sink n_kafka props extra
    IFS='|' read -r id what size rate keys parts n_sink n_kafka props extra <<<"$s"
    local count=$n_sink
    [[ $broker == kafka ]] && count=$n_kafka
    ((count > 0)) || return 0 # not a scenario for this broker
    local bin=("$KPROD" perf)
    [[ $client == librdkafka ]] && bin=("$RDK")
    [[ $client == kprod-base ]] && bin=("$KBASE" perf)
    local boot=${BOOT[$broker]} files=() p
    for p in $props; do
        case $p in
        @listener=*) boot=127.0.0.1:$(sed -n "s/^${p#@listener=}=//p" "$SEC/env") ;;
        kprod-F=*) [[ $client == librdkafka ]] || files+=(-F "$SEC/${p#kprod-F=}") ;;
        rdk-F=*) [[ $client != librdkafka ]] || files+=(-F "$SEC/${p#rdk-F=}") ;;
        esac
    done
    local args=("${files[@]}" -b "$boot" -t "${tag}_p$parts" -n "$count" -s "$size" -r "$rate"
        -k "$keys" -q)
    for p in $props; do
        case $p in @listener=* | kprod-F=* | rdk-F=*) ;; *) args+=(-X "$p") ;; esac
    done
    for p in $extra; do args+=("${p//@ID@/${tag}_${id}_${client}_$round}"); done
    local f=$out/$broker.$id.$client.$round
    n=$((n + 1))
    local status=0
    timeout 600 "${bin[@]}" "${args[@]}" >"$f.out" 2>"$f.err" || status=$?
    local line
    line=$(grep '^RESULT ' "$f.out" | tail -1 || true)
    if [[ $status != 0 || -z $line || $(field ok "$line") != 1 ||
        $(field delivered "$line") != "$count" ]]; then
        failures=$((failures + 1))
        log "[$n/$total] $broker $id $client round $round: FAILED (exit status $status)"
        tail -5 "$f.err" >&2
        echo "$broker $id $client $round FAILED" >>"$results"
        return
    fi
    echo "$broker $id $client $round $line" >>"$results"
    printf 'run.sh: [%d/%d] %-5s %-15s %-10s round %d: %9.0f records/s %7.3f us/record %6.1f MiB p99 %8.3f ms\n' \
        "$n" "$total" "$broker" "$id" "$client" "$round" "$(field records_per_s "$line")" \
        "$(field cpu_us_per_record "$line")" "$(awk -v k="$(field rss_kb "$line")" 'BEGIN { print k / 1024 }')" \
        "$(field lat_p99_ms "$line")" >&2
}

for ((r = 1; r <= rounds; r++)); do
    for broker in "${brokers[@]}"; do
        for s in "${selected[@]}"; do
            runs_on "$broker" "$s" || continue
            # Rotate which client goes first, round by round (with two
            # clients: kprod first in odd rounds, librdkafka in even ones).
            nc=${#clients[@]}
            for ((c = 0; c < nc; c++)); do
                run_one "$broker" "$s" "${clients[(r - 1 + c) % nc]}" $r
            done
        done
    done
done
elapsed=$((SECONDS - t_start))
uptime_end=$(uptime)

# ---- table of medians ----
# median KEY-FIELDS...: medians over rounds of each metric, per broker,
# scenario and client, from the results file.
table=$tmp/table.md
awk -v scen="$(for s in "${selected[@]}"; do IFS='|' read -r id what _ <<<"$s"; printf '%s|%s\n' "$id" "$what"; done)" \
    -v brokers="${brokers[*]}" -v base=$([[ -n $base_dir ]] && echo 1 || echo 0) '
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
    for (i = 5; i <= NF; i++) { split($i, kv, "="); m[kv[1]] = kv[2] }
    split("records_per_s cpu_us_per_record rss_kb lat_p99_ms", names, " ")
    for (x in names) {
        key = $1 SUBSEP $2 SUBSEP $3 SUBSEP names[x]
        v = names[x] == "rss_kb" ? m[names[x]] / 1024 : m[names[x]]
        val[key, ++cnt[key]] = v
    }
}
END {
    hdr = "| broker | scenario | records/s kprod | librdkafka | ratio | CPU us/record kprod | librdkafka | ratio | peak RSS MiB kprod | librdkafka | ratio | p99 ms kprod | librdkafka | ratio |"
    sep = "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    # With a baseline: its records/s and CPU us/record, each with kprod/kprod-base.
    if (base) { hdr = hdr " records/s kprod-base | ratio kprod/kprod-base | CPU us/record kprod-base | ratio kprod/kprod-base |"; sep = sep "--:|--:|--:|--:|" }
    print hdr
    print sep
    nb = split(brokers, bl, " ")
    ns = split(scen, sl, "\n")
    for (b = 1; b <= nb; b++) for (s = 1; s <= ns; s++) {
        split(sl[s], parts, "|"); id = parts[1]; what = parts[2]
        if (cnt[bl[b] SUBSEP id SUBSEP "kprod" SUBSEP "records_per_s"] == 0 &&
            cnt[bl[b] SUBSEP id SUBSEP "librdkafka" SUBSEP "records_per_s"] == 0) continue
        line = "| " bl[b] " | " what
        split("records_per_s cpu_us_per_record rss_kb lat_p99_ms", names, " ")
        split("%.0f %.3f %.1f %.2f", fmts, " ")
        for (x = 1; x <= 4; x++) {
            k = median(bl[b] SUBSEP id SUBSEP "kprod" SUBSEP names[x])
            l = median(bl[b] SUBSEP id SUBSEP "librdkafka" SUBSEP names[x])
            line = line " | " fmt(k, fmts[x]) " | " fmt(l, fmts[x]) " | " ratio(k, l)
        }
        for (x = 1; base && x <= 2; x++) {
            k = median(bl[b] SUBSEP id SUBSEP "kprod" SUBSEP names[x])
            l = median(bl[b] SUBSEP id SUBSEP "kprod-base" SUBSEP names[x])
            line = line " | " fmt(l, fmts[x]) " | " ratio(k, l)
        }
        print line " |"
    }
}' "$results" >"$table"

echo
cat "$table"
echo
log "$n runs in ${elapsed} s, $failures failed; medians over $rounds round(s)"

if ((write_doc)); then
    doc=$ROOT/docs/BENCHMARKS.md
    cmdline="bench/run.sh --rounds $rounds${only:+ --only '$only'} --brokers $brokers_sel --write-doc"
    {
        echo "<!-- bench:begin (written by bench/run.sh --write-doc; edit outside these markers) -->"
        echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`$cmdline\`:"
        echo "$n runs in $elapsed s, medians of $rounds rounds; ratio = kprod / librdkafka."
        echo
        cat "$table"
        echo
        echo "Machine:"
        echo
        echo "- CPU: $(lscpu | sed -nE 's/^Model name:[[:space:]]+//p' | head -1), $(nproc) cores"
        echo "- memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB; kernel $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
        echo "- kprod $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), built Release -O2 by run.sh; librdkafka $(pkg-config --modversion rdkafka) (Debian package); Kafka $(sed -nE 's:.*<kafka.version>([^<]+)</kafka.version>.*:\1:p' "$ROOT/kafka/pom.xml" | head -1)"
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
    log "wrote the table into $doc"
fi

((failures == 0))
