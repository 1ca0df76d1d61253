#!/usr/bin/env bash
# kprod perf against a real broker: a keyed run into a new 3-partition
# topic is read back with an independent consumer (scripts/kafka.sh
# consume): every record there, values of the asked size, the keys 0..9,
# one partition per key. The RESULT line is complete and consistent
# (delivered = records, ok=1, p50 <= p95 <= p99 <= p99.9 <= max), after
# Kafka's final line in kafka-producer-perf-test's exact wording. Then
# Kafka's options (--producer-props, --producer.config), a payload file
# (also cut at a delimiter of several bytes), --payload-monotonic, the
# rate limit (-r) with its progress lines, transactions (a commit every
# 1,000 records: all 3,500 read back read_committed), and a topic that
# does not exist (exit status 1, in bounded time).
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# field NAME FILE: the value of NAME= in FILE's RESULT line.
field() { sed -nE "s/^RESULT .*\b$1=([^ ]+).*/\1/p" "$2"; }

topic=$(new_topic kprod_cli_perf 3) || exit 1

# ---- 3,000 keyed records of 100 bytes ----
if timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic" -n 3000 -s 100 -k 10 -q \
    -X linger.ms=5 >"$tmp/run.out" 2>"$tmp/run.err"; then ok; else
    fail "kprod perf -n 3000: exit status $?"
    show "$tmp/run.err"
fi
grep -qE "^kprod perf: 3000 of 3000 records delivered, 0 failed, in [0-9.]+ s; latency ms: p50 " \
    "$tmp/run.out" && ok || { fail "no kprod line for 3000 delivered"; show "$tmp/run.out"; }
# The last two lines: Kafka's, word for word (parsers of
# kafka-producer-perf-test's output find it), then RESULT.
tail -n 2 "$tmp/run.out" | head -n 1 | grep -qE '^3000 records sent, [0-9]+\.[0-9]{6} records/sec \([0-9]+\.[0-9]{2} MB/sec\), [0-9]+\.[0-9]{2} ms avg latency, [0-9]+\.[0-9]{2} ms max latency, [0-9]+ ms 50th, [0-9]+ ms 95th, [0-9]+ ms 99th, [0-9]+ ms 99\.9th\.$' &&
    ok || { fail "Kafka's final line is not next to last"; show "$tmp/run.out"; }
tail -n 1 "$tmp/run.out" | grep -q '^RESULT ' && ok || fail "RESULT is not the last line"
[[ $(grep -c 'records sent' "$tmp/run.out") == 1 ]] && ok || fail "'records sent' on more than Kafka's line"
# Kafka's line and RESULT tell the same: whole ms of the same percentiles.
kafka_p99=$(sed -nE 's/.* ([0-9]+) ms 99th.*/\1/p' "$tmp/run.out")
awk -v k="$kafka_p99" -v r="$(field lat_p99_ms "$tmp/run.out")" 'BEGIN { exit !(k == int(r)) }' &&
    ok || fail "p99: Kafka's line says $kafka_p99, RESULT $(field lat_p99_ms "$tmp/run.out")"
[[ $(grep -c '^RESULT ' "$tmp/run.out") == 1 ]] && ok || fail "expected one RESULT line"
[[ $(field client "$tmp/run.out") == kprod ]] && ok || fail "RESULT: client"
[[ $(field delivered "$tmp/run.out") == 3000 && $(field failed "$tmp/run.out") == 0 &&
    $(field ok "$tmp/run.out") == 1 && $(field duplicates "$tmp/run.out") == 0 ]] && ok ||
    { fail "RESULT: delivered/failed/ok"; show "$tmp/run.out"; }
for f in records sent secs records_per_s mb_per_s lat_avg_ms lat_max_ms lat_p50_ms lat_p95_ms \
    lat_p99_ms lat_p999_ms cpu_s cpu_user_s cpu_sys_s cpu_us_per_record rss_kb; do
    [[ $(field $f "$tmp/run.out") =~ ^[0-9]+(\.[0-9]+)?$ ]] && ok || fail "RESULT: no number for $f"
done
awk -v a="$(field lat_p50_ms "$tmp/run.out")" -v b="$(field lat_p95_ms "$tmp/run.out")" \
    -v c="$(field lat_p99_ms "$tmp/run.out")" -v d="$(field lat_p999_ms "$tmp/run.out")" \
    -v m="$(field lat_max_ms "$tmp/run.out")" -v r="$(field rss_kb "$tmp/run.out")" \
    -v cpu="$(field cpu_s "$tmp/run.out")" \
    'BEGIN { exit !(a > 0 && a <= b && b <= c && c <= d && d <= m && r > 1000 && cpu > 0) }' &&
    ok || { fail "RESULT: percentiles out of order, or no RSS/CPU"; show "$tmp/run.out"; }

if bash "$KPROD_SRC/scripts/kafka.sh" consume "$topic" --brokers="$BROKERS" 3000 >"$tmp/got" 2>"$tmp/got.err"; then
    ok
else
    fail "reading back 3000 records failed"
    show "$tmp/got.err"
fi
[[ $(wc -l <"$tmp/got") == 3000 ]] && ok || fail "read back $(wc -l <"$tmp/got") records"
# Fields: partition offset timestamp keylen key valuelen value headers.
awk -F'\t' '
    $6 != 100 || $7 !~ /^[a-z ]+$/ { badv++ }
    $5 !~ /^[0-9]$/ { badk++ }
    ($5 in part) && part[$5] != $1 { badp++ }
    { part[$5] = $1; keys[$5]++ }
    END { n = 0; for (k in keys) n++; print badv + 0, badk + 0, badp + 0, n }' "$tmp/got" \
    >"$tmp/check"
read -r badv badk badp nkeys <"$tmp/check"
[[ $badv == 0 ]] && ok || fail "$badv values not 100 bytes of generated text"
[[ $badk == 0 && $nkeys == 10 ]] && ok || fail "keys: $badk bad, $nkeys distinct (expected 10)"
[[ $badp == 0 ]] && ok || fail "$badp records on a partition other than their key's"

# ---- payload file ----
printf 'alpha\nbeta\n\ngamma\n' >"$tmp/payloads"
topic2=$(new_topic kprod_cli_perf_file 1) || exit 1
if timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic2" -n 60 --payload-file "$tmp/payloads" \
    -q >"$tmp/file.out" 2>"$tmp/file.err"; then ok; else
    fail "kprod perf --payload-file: exit status $?"
    show "$tmp/file.err"
fi
read_back "$topic2" 60 | cut -f4 | sort -u | tr '\n' ' ' >"$tmp/values"
[[ $(cat "$tmp/values") == "alpha beta gamma " ]] && ok ||
    fail "payload file: values read back: $(cat "$tmp/values")"
[[ $(field mb_per_s "$tmp/file.out") =~ ^[0-9.]+$ ]] && ok || fail "payload file: RESULT line"

# ---- Kafka's options: --producer-props (several words), --producer.config,
# --payload-delimiter of several bytes ----
printf 'one;;two;;three;x;;' >"$tmp/payloads2"
printf 'acks=1\nlinger.ms=0\n' >"$tmp/perf.properties"
if timeout 120 "$KPROD_BIN" perf --topic "$topic2" --num-records 40 --payload-file "$tmp/payloads2" \
    --payload-delimiter ';;' --throughput -1 --producer.config "$tmp/perf.properties" \
    --producer-props bootstrap.servers="$BROKERS" compression.type=gzip client.id=perf-props -q \
    >"$tmp/kafka.out" 2>"$tmp/kafka.err"; then ok; else
    fail "kprod perf with Kafka's options: exit status $?"
    show "$tmp/kafka.err"
fi
read_back "$topic2" 100 | tail -n 40 | cut -f4 | sort -u | tr '\n' ' ' >"$tmp/values2"
[[ $(cat "$tmp/values2") == "one three;x two " ]] && ok ||
    fail "--payload-delimiter ';;': values read back: $(cat "$tmp/values2")"
# --producer-props reach the producer: a bad value among them stops the run.
timeout 60 "$KPROD_BIN" perf --topic "$topic2" --num-records 1 --record-size 1 \
    --producer-props bootstrap.servers="$BROKERS" compression.type=brotli -q \
    >"$tmp/bad.out" 2>"$tmp/bad.err"
status=$?
[[ $status == 2 ]] && grep -q brotli "$tmp/bad.err" && ok ||
    { fail "--producer-props compression.type=brotli: exit status $status, expected 2"; show "$tmp/bad.err"; }

# Kafka 4.2's names: --bootstrap-server, --command-property (several
# words), --command-config, --reporting-interval (ms).
printf 'linger.ms=1\n' >"$tmp/perf2.properties"
if timeout 120 "$KPROD_BIN" perf --bootstrap-server "$BROKERS" --topic "$topic2" --num-records 300 \
    --record-size 10 --throughput 200 --command-config "$tmp/perf2.properties" \
    --command-property acks=all client.id=cmd-props --reporting-interval 400 \
    >"$tmp/cmd.out" 2>"$tmp/cmd.err"; then ok; else
    fail "kprod perf with Kafka 4.2's option names: exit status $?"
    show "$tmp/cmd.err"
fi
n=$(grep -c '^kprod perf: [0-9]* records delivered, ' "$tmp/cmd.out")
((n >= 2)) && ok || { fail "--reporting-interval 400: $n progress lines in 1.5 s"; show "$tmp/cmd.out"; }

# The final line has the very shape of Kafka's own tool's (the pinned
# release, run here against the same broker): every number aside, the
# same characters.
shape() { tail -n 1 | sed -E 's/[0-9]+/N/g'; }
bash "$KAFKA_SH" run org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$BROKERS" \
    --topic "$topic2" --num-records 50 --record-size 10 --throughput -1 >"$tmp/java.out" 2>&1
java_shape=$(shape <"$tmp/java.out")
ours_shape=$(tail -n 2 "$tmp/run.out" | head -n 1 | shape)
[[ -n $java_shape && $java_shape == "$ours_shape" ]] && ok ||
    { fail "final line: Kafka's is '$java_shape', kprod's '$ours_shape'"; show "$tmp/java.out"; }

# ---- --payload-monotonic: the values are 0..N-1 ----
if timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic2" -n 500 --payload-monotonic -q \
    >"$tmp/mono.out" 2>"$tmp/mono.err"; then ok; else
    fail "kprod perf --payload-monotonic: exit status $?"
    show "$tmp/mono.err"
fi
read_back "$topic2" 950 | tail -n 500 | cut -f4 | sort -n >"$tmp/mono.got"
seq 0 499 >"$tmp/mono.want"
cmp -s "$tmp/mono.want" "$tmp/mono.got" && ok || fail "--payload-monotonic: values are not 0..499"
[[ $(field bytes "$tmp/mono.out") == $(seq 0 499 | tr -d '\n' | wc -c) ]] && ok ||
    fail "--payload-monotonic: RESULT bytes=$(field bytes "$tmp/mono.out")"

# ---- rate limit: 300 records at 100/s take about 3 s; progress lines ----
if timeout 60 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic" -n 300 -s 10 -r 100 --interval 1 \
    >"$tmp/rate.out" 2>"$tmp/rate.err"; then ok; else
    fail "kprod perf -r 100: exit status $?"
    show "$tmp/rate.err"
fi
secs=$(field secs "$tmp/rate.out")
awk -v s="$secs" 'BEGIN { exit !(s >= 2.9 && s < 10) }' && ok ||
    fail "-r 100 -n 300 took $secs s, expected about 3"
progress=$(grep -cE '^kprod perf: [0-9]+ records delivered, [0-9.]+ records/s \([0-9.]+ MB/s\), [0-9.]+ ms avg latency, [0-9.]+ ms max latency$' "$tmp/rate.out")
((progress >= 2)) && ok || { fail "expected progress lines every second, got $progress"; show "$tmp/rate.out"; }

# ---- transactions: a commit every 1,000 records, read back read_committed ----
topic3=${topic}_txn
bash "$KPROD_SRC/scripts/kafka.sh" topics --bootstrap-server "$BROKERS" --create \
    --topic "$topic3" --partitions 2 --replication-factor 1 >/dev/null 2>&1
if timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic3" -n 3500 -s 20 -q \
    --transactional-id "kprod_cli_perf_txn_$$" --transaction-records 1000 \
    >"$tmp/txn.out" 2>"$tmp/txn.err"; then ok; else
    fail "kprod perf --transactional-id: exit status $?"
    show "$tmp/txn.err"
fi
# three full transactions and the last 500 records
[[ $(field transactions "$tmp/txn.out") == 4 && $(field ok "$tmp/txn.out") == 1 ]] && ok ||
    { fail "transactions: RESULT"; show "$tmp/txn.out"; }
n=$(timeout 60 kcat -C -b "$BROKERS" -t "$topic3" -o beginning -e -q \
    -X isolation.level=read_committed -f '%o\n' | wc -l)
[[ $n == 3500 ]] && ok || fail "transactions: read_committed reads $n records, not 3500"

# ---- a topic that does not exist: exit 1, bounded time ----
start=$SECONDS
timeout 60 "$KPROD_BIN" perf -b "$BROKERS" -t "kprod_cli_perf_missing_$$" -n 5 -s 10 -q \
    -X max.block.ms=2000 >"$tmp/miss.out" 2>"$tmp/miss.err"
status=$?
[[ $status == 1 ]] && ok || { fail "missing topic: exit status $status, expected 1"; show "$tmp/miss.err"; }
[[ $(field ok "$tmp/miss.out") == 0 ]] && ok || fail "missing topic: RESULT ok=0 expected"
((SECONDS - start <= 30)) && ok || fail "missing topic took $((SECONDS - start)) s"

summary
