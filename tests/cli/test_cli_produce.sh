#!/usr/bin/env bash
# kprod produce against a real broker: 1,000 keyed lines with headers go
# into a new 3-partition topic and are read back with an independent
# consumer (scripts/kafka.sh consume): same keys and values, headers on
# every record, one partition per key. Then a topic that does not exist:
# every record fails, all reported by one line on stderr, exit status 1,
# within one max.block.ms. Also checks `kprod metadata` on the new topic.
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic=$(new_topic kprod_cli_produce 3) || exit 1

# ---- metadata of the new topic ----
if timeout 60 "$KPROD_BIN" metadata -b "$BROKERS" -t "$topic" >"$tmp/md" 2>"$tmp/md.err"; then
    ok
else
    fail "kprod metadata -t $topic: exit status $?"
    show "$tmp/md.err"
fi
grep -qF "topic $topic: 3 partitions" "$tmp/md" && ok || { fail "metadata: no '3 partitions'"; show "$tmp/md"; }
grep -qE "^    partition 2: leader [0-9]+, replicas \[[0-9]+\], isr \[[0-9]+\]$" "$tmp/md" && ok ||
    fail "metadata: no line for partition 2"
timeout 60 "$KPROD_BIN" metadata -b "$BROKERS" -t "$topic" --json >"$tmp/md.json" 2>/dev/null &&
    grep -qF "\"name\": \"$topic\", \"error\": null" "$tmp/md.json" && ok ||
    { fail "metadata --json"; show "$tmp/md.json"; }

# ---- 1,000 keyed records with headers ----
# 50 distinct keys, so each key has 20 records and all must share a partition.
for i in $(seq 1 1000); do
    printf 'key-%d:value-%d\n' $((i % 50)) "$i"
done >"$tmp/input"

start_ns=$(date +%s%N)
timeout 120 "$KPROD_BIN" produce -b "$BROKERS" -t "$topic" -K: -H source=cli-test -H run=$$ \
    <"$tmp/input" >"$tmp/prod.out" 2>"$tmp/prod.err"
status=$?
if [[ $status == 0 ]]; then ok; else
    fail "kprod produce: exit status $status"
    show "$tmp/prod.err"
fi
grep -qE "^kprod produce: 1000 records read, 1000 delivered, 0 failed, [0-9]+ bytes, [0-9.]+ s, [0-9]+ records/s$" \
    "$tmp/prod.err" && ok || { fail "no summary line for 1000 delivered"; show "$tmp/prod.err"; }
echo "produced 1000 records in $((($(date +%s%N) - start_ns) / 1000000)) ms"

if read_back "$topic" 1000 >"$tmp/got" 2>"$tmp/got.err"; then ok; else
    fail "read_back $topic 1000 failed"
    show "$tmp/got.err"
fi
[[ $(wc -l <"$tmp/got") == 1000 ]] && ok || fail "read back $(wc -l <"$tmp/got") records, expected 1000"

# The same (key, value) pairs, as multisets.
awk -F: '{ print $1 "\t" $2 }' "$tmp/input" | sort >"$tmp/want.kv"
awk -F'\t' '{ print $3 "\t" $4 }' "$tmp/got" | sort >"$tmp/got.kv"
if cmp -s "$tmp/want.kv" "$tmp/got.kv"; then ok; else
    fail "keys and values read back differ from those sent"
    diff "$tmp/want.kv" "$tmp/got.kv" | head -20
fi

# Both headers, in order, on every record.
bad=$(awk -F'\t' -v want="source=cli-test,run=$$" '$5 != want' "$tmp/got" | wc -l)
[[ $bad == 0 ]] && ok || fail "$bad records without the headers source=cli-test,run=$$"

# One partition per key, partitions within 0..2, more than one used.
awk -F'\t' '
    $1 !~ /^[012]$/ { bad++ }
    ($3 in part) && part[$3] != $1 { bad++ }
    { part[$3] = $1; used[$1] = 1 }
    END { n = 0; for (p in used) n++; print (bad + 0) " " n }' "$tmp/got" >"$tmp/parts"
read -r bad used <"$tmp/parts"
[[ $bad == 0 ]] && ok || fail "$bad records on a partition other than their key's"
((used > 1)) && ok || fail "all records went to one partition"

# ---- a topic that does not exist (auto.create.topics.enable=false) ----
# The first send waits up to max.block.ms for the topic and fails; from then
# on nothing is sent: one error line covers the three records (it names the
# first and the last), and the run ends after one max.block.ms, not three.
missing=kprod_cli_missing_$$_$RANDOM
start_ns=$(date +%s%N)
printf 'one\ntwo\nthree\n' | timeout 60 "$KPROD_BIN" produce -b "$BROKERS" -t "$missing" \
    -X max.block.ms=3000 -X delivery.timeout.ms=5000 -X request.timeout.ms=2000 \
    >"$tmp/miss.out" 2>"$tmp/miss.err"
status=$?
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "missing topic: exit status $status after $elapsed_ms ms"
if [[ $status == 1 ]]; then ok; else
    fail "missing topic: exit status $status, expected 1 (124 = timed out)"
    show "$tmp/miss.err"
fi
grep -qE "^stdin:1: error (_UNKNOWN_TOPIC|_TIMED_OUT): .*topic '$missing'.*; the rest of the input was not sent: 3 records not sent, stdin:1 to stdin:3\$" \
    "$tmp/miss.err" && ok || { fail "missing topic: no error line for stdin:1 to stdin:3"; show "$tmp/miss.err"; }
n=$(grep -cE "^stdin:[0-9]+: error " "$tmp/miss.err")
[[ $n == 1 ]] && ok || { fail "missing topic: $n error lines, expected exactly 1"; show "$tmp/miss.err"; }
grep -qE "^kprod produce: 3 records read, 0 delivered, 3 failed" "$tmp/miss.err" && ok ||
    { fail "missing topic: summary"; show "$tmp/miss.err"; }
n=$(grep -c "^kprod: WARN metadata: topic '$missing' not found in the cluster" "$tmp/miss.err")
[[ $n == 1 ]] && ok || { fail "missing topic: $n warnings naming the topic, expected 1"; show "$tmp/miss.err"; }
[[ $(grep -cv '^kprod: WARN ' "$tmp/miss.err") == 2 ]] && ok || { fail "missing topic: more than 2 lines on stderr besides the warning"; show "$tmp/miss.err"; }
[[ ! -s $tmp/miss.out ]] && ok || fail "missing topic: something printed on stdout"
# The bound: one max.block.ms (3 s), plus startup slack.
((elapsed_ms <= 10000)) && ok || fail "missing topic: took $elapsed_ms ms, expected at most 10000"

summary
