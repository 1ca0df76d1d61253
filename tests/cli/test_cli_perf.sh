#!/usr/bin/env bash
# kprod perf against a real broker: a keyed run into a new 3-partition
# topic is read back with an independent consumer (scripts/kafka.sh
# consume): every record there, values of the asked size, the keys 0..9,
# one partition per key. The RESULT line is complete and consistent
# (delivered = records, ok=1, p50 <= p95 <= p99 <= p99.9 <= max). Then a
# payload file, the rate limit (-r) with its progress lines, transactions
# (a commit every 1,000 records: all 3,500 read back read_committed), and a
# topic that does not exist (exit status 1, in bounded time).
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}

# field NAME FILE: the value of NAME= in FILE's RESULT line.
field() { sed -nE "s/^RESULT .*\b$1=([^ ]+).*/\1/p" "$2"; }

topic=kprod_cli_perf_$$_$RANDOM
if ! bash "$KPROD_SRC/scripts/kafka.sh" topics --bootstrap-server "$BROKERS" --create \
    --topic "$topic" --partitions 3 --replication-factor 1 >"$tmp/create" 2>&1; then
    show "$tmp/create"
    echo "cannot create topic $topic on $BROKERS (is the broker running?)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- 3,000 keyed records of 100 bytes ----
if timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic" -n 3000 -s 100 -k 10 -q \
    -X linger.ms=5 >"$tmp/run.out" 2>"$tmp/run.err"; then ok; else
    fail "kprod perf -n 3000: exit status $?"
    show "$tmp/run.err"
fi
grep -qE "^kprod perf: 3000 records sent, 3000 delivered, 0 failed in [0-9.]+ s: " "$tmp/run.out" &&
    ok || { fail "no final line for 3000 delivered"; show "$tmp/run.out"; }
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
topic2=${topic}_file
bash "$KPROD_SRC/scripts/kafka.sh" topics --bootstrap-server "$BROKERS" --create \
    --topic "$topic2" --partitions 1 --replication-factor 1 >/dev/null 2>&1
if timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic2" -n 60 --payload-file "$tmp/payloads" \
    -q >"$tmp/file.out" 2>"$tmp/file.err"; then ok; else
    fail "kprod perf --payload-file: exit status $?"
    show "$tmp/file.err"
fi
bash "$KPROD_SRC/scripts/kafka.sh" consume "$topic2" --brokers="$BROKERS" 60 >"$tmp/got2" 2>/dev/null
cut -f7 "$tmp/got2" | sort -u | tr '\n' ' ' >"$tmp/values"
[[ $(cat "$tmp/values") == "alpha beta gamma " ]] && ok ||
    fail "payload file: values read back: $(cat "$tmp/values")"
[[ $(field mb_per_s "$tmp/file.out") =~ ^[0-9.]+$ ]] && ok || fail "payload file: RESULT line"

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
