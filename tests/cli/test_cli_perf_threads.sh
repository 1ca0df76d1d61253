#!/usr/bin/env bash
# kprod perf --threads and --topics against a real broker, read back with
# independent consumers. --threads 4: 4,000 keyed records, all delivered
# (RESULT), all read back (Kafka's console consumer), each key 400 times
# and on one partition. --topics 3 (with --threads 2): the records numbered
# by --payload-monotonic go to TOPIC.0 .. TOPIC.2, and kcat finds in each
# topic exactly its third, the numbers i with i % 3 its index. The same
# with bench/rdkafka_perf when this build tree has it (the same driver
# with librdkafka). And a missing TOPIC.<N-1> fails the run (exit 1).
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092); KPROD_TEST_TOPIC_PREFIX (default kprod_cli_perf), the
# start of the names of the topics it creates (and deletes at the end).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
prefix=${KPROD_TEST_TOPIC_PREFIX:-kprod_cli_perf}

# field NAME FILE: the value of NAME= in FILE's RESULT line.
field() { sed -nE "s/^RESULT .*\b$1=([^ ]+).*/\1/p" "$2"; }

# ---- --threads 4: 4,000 records, keys 0..9 ----
topic=$(new_topic "${prefix}_threads" 3) || exit 1
if timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic" -n 4000 -s 50 -k 10 --threads 4 -q \
    -X linger.ms=5 >"$tmp/thr.out" 2>"$tmp/thr.err"; then ok; else
    fail "kprod perf --threads 4: exit status $?"
    show "$tmp/thr.err"
fi
[[ $(field delivered "$tmp/thr.out") == 4000 && $(field sent "$tmp/thr.out") == 4000 &&
    $(field failed "$tmp/thr.out") == 0 && $(field duplicates "$tmp/thr.out") == 0 &&
    $(field ok "$tmp/thr.out") == 1 ]] && ok ||
    { fail "--threads 4: RESULT"; show "$tmp/thr.out"; }
if read_back "$topic" 4000 >"$tmp/thr.got" 2>"$tmp/thr.got.err"; then ok; else
    fail "--threads 4: reading back 4000 records failed"
    show "$tmp/thr.got.err"
fi
# Fields: partition offset key value headers timestamp.
awk -F'\t' '
    length($4) != 50 { badv++ }
    ($3 in part) && part[$3] != $1 { badp++ }
    { part[$3] = $1; count[$3]++; n++ }
    END {
        for (k = 0; k < 10; k++) if (count[k] != 400) badk++
        print n + 0, badv + 0, badp + 0, badk + 0
    }' "$tmp/thr.got" >"$tmp/thr.check"
read -r n badv badp badk <"$tmp/thr.check"
[[ $n == 4000 ]] && ok || fail "--threads 4: read back $n records, not 4000"
[[ $badv == 0 ]] && ok || fail "--threads 4: $badv values not 50 bytes"
[[ $badp == 0 ]] && ok || fail "--threads 4: $badp records on a partition other than their key's"
[[ $badk == 0 ]] && ok || fail "--threads 4: $badk keys not read back exactly 400 times"

# ---- --topics 3: record i to BASE.<i % 3> ----
base=${prefix}_topics_$$_$RANDOM
for t in 0 1 2; do
    if ! bash "$KAFKA_SH" topics --bootstrap-server "$BROKERS" --create --topic "$base.$t" \
        --partitions 2 --replication-factor 1 >"$tmp/create.$t" 2>&1; then
        show "$tmp/create.$t"
        fail "cannot create topic $base.$t"
        summary
        exit 1
    fi
done

# check_topics RUN COUNT: each of the 3 topics holds COUNT records in all
# (kcat reads to the end), the values n with n % 3 its index, each of
# them COUNT / 3 / runs times.
check_topics() {
    local run=$1 want=$2 t
    for t in 0 1 2; do
        timeout 60 kcat -C -b "$BROKERS" -t "$base.$t" -o beginning -e -q -f '%s\n' \
            >"$tmp/topic.$t" 2>"$tmp/topic.$t.err"
        local n
        n=$(wc -l <"$tmp/topic.$t")
        [[ $n == "$want" ]] && ok || { fail "$run: $base.$t holds $n records, not $want"; show "$tmp/topic.$t.err"; }
        awk -v t="$t" '$1 % 3 != t { bad++ } END { print bad + 0 }' "$tmp/topic.$t" >"$tmp/bad.$t"
        [[ $(cat "$tmp/bad.$t") == 0 ]] && ok ||
            fail "$run: $base.$t holds $(cat "$tmp/bad.$t") records of another topic"
    done
}

if timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$base" --topics 3 --threads 2 -n 3000 \
    --payload-monotonic -q >"$tmp/top.out" 2>"$tmp/top.err"; then ok; else
    fail "kprod perf --topics 3: exit status $?"
    show "$tmp/top.err"
fi
[[ $(field delivered "$tmp/top.out") == 3000 && $(field ok "$tmp/top.out") == 1 ]] && ok ||
    { fail "--topics 3: RESULT"; show "$tmp/top.out"; }
check_topics "kprod --topics 3" 1000
# Each number once: 0..2999 over the three topics.
sort -n "$tmp/topic.0" "$tmp/topic.1" "$tmp/topic.2" | cmp -s - <(seq 0 2999) && ok ||
    fail "--topics 3: the values over the three topics are not 0..2999 once each"

# The librdkafka reference takes the same options, through the same driver.
RDK=$(dirname "$KPROD_BIN")/bench/rdkafka_perf
if [[ -x $RDK ]]; then
    if timeout 120 env KPROD_BROKERS="$BROKERS" "$RDK" -t "$base" --topics 3 --threads 3 -n 3000 \
        --payload-monotonic -q >"$tmp/rdk.out" 2>"$tmp/rdk.err"; then ok; else
        fail "rdkafka_perf --topics 3 --threads 3: exit status $?"
        show "$tmp/rdk.err"
    fi
    [[ $(field client "$tmp/rdk.out") == librdkafka && $(field delivered "$tmp/rdk.out") == 3000 &&
        $(field ok "$tmp/rdk.out") == 1 ]] && ok || { fail "rdkafka_perf: RESULT"; show "$tmp/rdk.out"; }
    check_topics "rdkafka_perf --topics 3" 2000
else
    echo "note: $RDK not built (KPROD_BENCH=OFF): librdkafka's part skipped"
fi

# ---- a topic of the N missing: the run fails, in bounded time ----
start=$SECONDS
timeout 60 "$KPROD_BIN" perf -b "$BROKERS" -t "$base" --topics 4 -n 8 -s 10 -q \
    -X max.block.ms=2000 >"$tmp/miss.out" 2>"$tmp/miss.err"
status=$?
[[ $status == 1 ]] && ok || { fail "--topics 4 without $base.3: exit status $status, expected 1"; show "$tmp/miss.err"; }
grep -q "$base\.3" "$tmp/miss.err" && ok || { fail "--topics 4: $base.3 not named"; show "$tmp/miss.err"; }
((SECONDS - start <= 30)) && ok || fail "--topics 4 with a missing topic took $((SECONDS - start)) s"

for t in "$topic" "$base.0" "$base.1" "$base.2"; do
    bash "$KAFKA_SH" topics --bootstrap-server "$BROKERS" --delete --topic "$t" >/dev/null 2>&1
done
summary
