#!/usr/bin/env bash
# scripts/faults.sh: the fault harness of docs/IDEMPOTENCE.md ("Measured").
# One run: a topic of 6 partitions; 100,000 records over 12 keys, each
# value stamped "RUN:SEQ" (per key), fed at a steady pace over about 8 s
# (tests/tools/paced_input) to an idempotent producer (acks=all,
# max.in.flight 5, request.timeout.ms=1000, batch.size 4096, linger.ms 5)
# through tests/tools/kafka_proxy (in front of every broker), which drops
# the connection after the broker answered 2 % of the Produce requests and
# holds another 2 % of the answers for 1.5 s (past the request timeout).
# After 30 % of the records the broker (single) or the leader of partition
# 0 (cluster, replication factor 3) is killed with SIGKILL and restarted on
# its data 2 s later (on the cluster, leadership then goes back to it by a
# preferred leader election); the last 40 % are fed once it is back. Then
# `kprod verify` reads the topic back. For kprod, kcat (librdkafka's
# consumer) reads it too, independently, and every delivery report's
# offset is compared with where verify found the record (also for
# librdkafka, whose reports carry offsets).
#
# Producers: kprod (tests/tools/fault_producer), java (Kafka's console
# producer, scripts/kafka.sh console-producer), rdkafka (Debian's
# librdkafka, tests/tools/rdkafka_stdin). Each run prints one line:
#   RUN setup=S producer=P seed=N sent=.. delivered=.. failed=..
#       found=.. missing=.. duplicated=.. out_of_order=.. kcat=.. reports=..
#       proxy=.. recovery=..
#
# Usage: scripts/faults.sh [--setup single|cluster|both] [--producer
#        kprod|java|rdkafka|all] [--seeds N | --seed N] [--records N]
#        [--build DIR] [--check] [--keep] [--no-kill]
#   --seeds N   seeds 1..N (default 5); --seed N: that one seed only
#   --check     exit 1 unless every kprod run is clean: everything
#               delivered, found once, in order, reports where verify
#               found the records, and kcat agreeing (the peers are
#               measured, never checked)
#   --keep      keep the run's files (in $KPROD_FAULTS_DIR or a temporary
#               directory, printed)
#   --no-kill   the proxy's faults only, no broker killed (a control run)
# KPROD_FAULTS_PRODUCER=PATH runs another build of tests/tools/fault_producer
# (e.g. one linked against an older kprod, to measure it the same way).
# The brokers must run already (scripts/kafka.sh start [--cluster]); the
# ports follow scripts/kafka.sh's environment (KPROD_KAFKA_PORT,
# KPROD_CLUSTER_PORT, ...). KPROD_FAULTS_SECONDS: the pace (default 8 s).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K=$ROOT/scripts/kafka.sh
setups=both producers=all seeds=5 only_seed='' records=100000 build=$ROOT/build check=0 keep=0
no_kill=0
while (($# > 0)); do
    case $1 in
    --setup) setups=$2; shift ;;
    --producer) producers=$2; shift ;;
    --seeds) seeds=$2; shift ;;
    --seed) only_seed=$2; shift ;;
    --records) records=$2; shift ;;
    --build) build=$2; shift ;;
    --check) check=1 ;;
    --keep) keep=1 ;;
    --no-kill) no_kill=1 ;;
    -h | --help) sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "faults.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $setups == both ]] && setups="single cluster"
[[ $producers == all ]] && producers="kprod java rdkafka"
if [[ -n $only_seed ]]; then seed_list=$only_seed; else seed_list=$(seq 1 "$seeds"); fi
KPROD=$build/kprod
for f in "$KPROD" "$build/tests/kafka_proxy" "$build/tests/fault_producer" "$build/tests/paced_input"; do
    [[ -x $f ]] || { echo "faults.sh: $f not built (--build DIR)" >&2; exit 2; }
done
if [[ " $producers " == *" rdkafka "* && ! -x $build/tests/rdkafka_stdin ]]; then
    echo "faults.sh: $build/tests/rdkafka_stdin not built (needs librdkafka-dev)" >&2
    exit 2
fi

work=${KPROD_FAULTS_DIR:-$(mktemp -d)}
mkdir -p "$work"
cleanup() {
    [[ -n ${proxy_pid:-} ]] && kill "$proxy_pid" 2>/dev/null
    ((keep)) || rm -rf "$work"
}
trap cleanup EXIT
((keep)) && echo "faults.sh: files in $work"

KEYS=12
# The settings of issue 18's runs, the same for the three producers.
# retries and delivery.timeout.ms are the Java client's defaults, given
# because Kafka's console producer lowers retries to 3 unless told; the
# names are librdkafka's aliases too.
COMMON=(request.timeout.ms=1000 batch.size=4096 linger.ms=5 acks=all
    max.in.flight.requests.per.connection=5 enable.idempotence=true
    retries=2147483647 delivery.timeout.ms=120000)

leader_of_p0() { # topic brokers
    bash "$K" topics --bootstrap-server "$2" --describe --topic "$1" 2>/dev/null |
        awk -F'\t' '$3 == "Partition: 0" {sub(/Leader: /, "", $4); print $4}'
}

# Starts the proxy in front of every broker of the setup (one listening
# port each); sets proxy_pid and proxy_bootstrap.
start_proxy() { # setup seed dir
    local setup=$1 seed=$2 dir=$3 ups=() also='' i list deadline=$((SECONDS + 10))
    if [[ $setup == cluster ]]; then list=$(bash "$K" brokers --cluster); else list=$(bash "$K" brokers); fi
    IFS=, read -r -a ups <<<"$list"
    for ((i = 1; i < ${#ups[@]}; i++)); do also+="${also:+,}${ups[i]##*:}"; done
    "$build/tests/kafka_proxy" 127.0.0.1 "${ups[0]##*:}" 0.02 "$seed" hold=0.02 hold_ms=1500 \
        ${also:+also=$also} stdin=keep </dev/null >"$dir/proxy.out" 2>&1 &
    proxy_pid=$!
    until grep -q '^port' "$dir/proxy.out" 2>/dev/null; do
        ((SECONDS < deadline)) || { echo "faults.sh: the proxy did not start" >&2; return 1; }
        sleep 0.1
    done
    proxy_bootstrap=127.0.0.1:$(awk '/^port /{print $2}' "$dir/proxy.out")
}

# Stops the proxy; sets proxy to "forwarded=..,dropped=..,held=..". Not in
# a subshell: it waits for the proxy.
stop_proxy() {
    kill -TERM "$proxy_pid" 2>/dev/null
    wait "$proxy_pid" 2>/dev/null
    proxy_pid=''
    proxy=$(awk '/^produce_forwarded=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] = kv[2] } }
        END { printf "forwarded=%d,dropped=%d,held=%d", s["produce_forwarded"], s["dropped"], s["held"] }' \
        "$dir/proxy.out")
}

# The broker fault, in the background: kill when 30 % of the records were
# fed, restart 2 s later, then let the rest of the input go.
faults() { # setup topic brokers dir
    local setup=$1 topic=$2 brokers=$3 dir=$4 victim
    {
        while [[ ! -e $dir/at30 ]]; do sleep 0.1; done
        if ((no_kill)); then
            echo "no broker killed (--no-kill)"
        elif [[ $setup == single ]]; then
            bash "$K" kill
            sleep 2
            bash "$K" start --keep-data
        else
            victim=$(leader_of_p0 "$topic" "$brokers")
            echo "leader of partition 0: node $victim"
            bash "$K" kill-node "$victim"
            sleep 2
            bash "$K" start-node "$victim"
            bash "$K" leader-election --bootstrap-server "$brokers" --election-type PREFERRED \
                --all-topic-partitions || true
        fi
        touch "$dir/back"
    } >"$dir/faults.log" 2>&1
}

run_producer() { # producer bootstrap topic dir
    local prod=$1 bs=$2 topic=$3 dir=$4 x args=()
    case $prod in
    kprod)
        for x in "${COMMON[@]}"; do args+=(-X "$x"); done
        "${KPROD_FAULTS_PRODUCER:-$build/tests/fault_producer}" -b "$bs" -t "$topic" -r "$dir/reports" "${args[@]}" \
            >"$dir/producer.out" 2>"$dir/producer.err"
        ;;
    rdkafka)
        for x in "${COMMON[@]}"; do args+=(-X "$x"); done
        "$build/tests/rdkafka_stdin" -b "$bs" -t "$topic" -r "$dir/reports" "${args[@]}" \
            ${KPROD_FAULTS_RDKAFKA_DEBUG:+-X debug=$KPROD_FAULTS_RDKAFKA_DEBUG} \
            >"$dir/producer.out" 2>"$dir/producer.err"
        ;;
    java)
        for x in "${COMMON[@]}"; do args+=(--producer-property "$x"); done
        bash "$K" console-producer --bootstrap-server "$bs" --topic "$topic" \
            --property parse.key=true --property key.separator=$'\t' "${args[@]}" \
            >"$dir/producer.out" 2>"$dir/producer.err"
        # The console producer sends asynchronously and logs each failed
        # record: "Error when sending message to topic ... with key: ...".
        local n=$records failed
        failed=$(grep -c 'Error when sending message' "$dir/producer.err")
        echo "sent=$n delivered=$((n - failed)) failed=$failed" >>"$dir/producer.out"
        ;;
    esac
}

# kcat's view: records of the run found once, extra copies, out of order.
kcat_counts() { # topic setup run
    local where=()
    [[ $2 == cluster ]] && where=(--cluster)
    bash "$K" consume "$1" "${where[@]}" >"$dir/kcat.txt" 2>"$dir/kcat.err" ||
        { echo "kcat=failed"; return; }
    awk -F'\t' -v run="$3" '{ split($7, a, ":"); if (a[1] != run) next
        id = $5 ":" a[2]; s = a[2] + 0; k = $1 SUBSEP $5
        if (seen[id]++) { dup++; next }
        n++; if ((k in last) && s < last[k]) ooo++; else last[k] = s }
        END { printf "kcat=found:%d,dup:%d,ooo:%d", n, dup, ooo }' "$dir/kcat.txt"
}

# Every delivered report against verify's list: line i is key k(i%12),
# seq i/12. Prints reports=OK:N,BAD:M,FAILED_BUT_STORED:F.
compare_reports() { # dir
    awk -v keys=$KEYS 'NR == FNR { at[$4 ":" $3] = $1 " " $2; next }
        { idx = $1 - 1; id = "k" (idx % keys) ":" int(idx / keys)
          if ($4 == "-") { if (at[id] == $2 " " $3) ok++; else bad++ }
          else if (id in at) stored++ }
        END { printf "reports=ok:%d,bad:%d,failed_but_stored:%d", ok, bad, stored }' \
        "$1/list" "$1/reports"
}

fails=0
for setup in $setups; do
    brokers=$(bash "$K" brokers $([[ $setup == cluster ]] && echo --cluster))
    rf=1
    [[ $setup == cluster ]] && rf=3
    for prod in $producers; do
        for seed in $seed_list; do
            dir=$work/$setup-$prod-$seed
            mkdir -p "$dir"
            topic=faults-$setup-$prod-$seed-$$-$RANDOM
            run=f$seed-$prod-$RANDOM
            if ! bash "$K" topics --bootstrap-server "$brokers" --create --topic "$topic" \
                --partitions 6 --replication-factor $rf >"$dir/create" 2>&1; then
                cat "$dir/create"
                echo "RUN setup=$setup producer=$prod seed=$seed error=topic"
                fails=$((fails + 1))
                continue
            fi
            start_proxy "$setup" "$seed" "$dir" || { fails=$((fails + 1)); continue; }
            faults "$setup" "$topic" "$brokers" "$dir" &
            fpid=$!
            # the input: tests/tools/paced_input says how it ties in with the faults
            "$build/tests/paced_input" "$run" "$records" $KEYS "${KPROD_FAULTS_SECONDS:-8}" "$dir" |
                run_producer "$prod" "$proxy_bootstrap" "$topic" "$dir"
            wait $fpid
            # the brokers are all back before anything is read
            bash "$K" start $([[ $setup == cluster ]] && echo --cluster) --keep-data >/dev/null 2>&1
            stop_proxy
            pout=$(grep -h '^sent=' "$dir/producer.out" | tail -n1)
            recov=$(grep -ho '"recovery_[a-z_]*":[0-9]*' "$dir/producer.out" |
                sed 's/"recovery_//; s/"//' | paste -sd, -)
            "$KPROD" verify -b "$brokers" -t "$topic" --run "$run" --count "$records" \
                --list "$dir/list" >"$dir/verify.out" 2>"$dir/verify.err"
            vres=$(grep '^RESULT' "$dir/verify.out" | sed 's/^RESULT run=[^ ]* records_read=[0-9]* //')
            [[ -n $vres ]] || vres="verify_error=$(head -c 200 "$dir/verify.err" | tr ' \n' '_ ')"
            extra=''
            if [[ $prod == kprod ]]; then
                extra="$(kcat_counts "$topic" "$setup" "$run") $(compare_reports "$dir")"
            elif [[ $prod == rdkafka ]]; then
                extra="$(compare_reports "$dir")"
            fi
            line="RUN setup=$setup producer=$prod seed=$seed$( ((no_kill)) && echo ' kill=no') $pout $vres $extra proxy=$proxy${recov:+ recovery=$recov}"
            echo "$line"
            if ((check)) && [[ $prod == kprod ]]; then
                want="sent=$records delivered=$records failed=0"
                if [[ $line != *"$want "* || $line != *" found=$records missing=0 duplicated=0 out_of_order=0 clean=1 "* ||
                    $line != *"kcat=found:$records,dup:0,ooo:0 "* ||
                    $line != *"reports=ok:$records,bad:0,failed_but_stored:0 "* ]]; then
                    echo "FAILED: $setup seed $seed (files kept in $dir)"
                    keep=1
                    fails=$((fails + 1))
                    tail -n 5 "$dir/producer.err" "$dir/faults.log" "$dir/verify.out"
                fi
                # a run without a lost answer proves nothing
                [[ $proxy == *",dropped=0,"* ]] && { echo "FAILED: no connection was dropped"; fails=$((fails + 1)); }
            fi
            bash "$K" topics --bootstrap-server "$brokers" --delete --topic "$topic" >/dev/null 2>&1
        done
    done
done
((check)) && echo "faults.sh: $fails failed"
((fails == 0 || check == 0))
