#!/usr/bin/env bash
# What kprod produce and kprod perf show of what the producer does: a
# refused connection at once (while the send still waits), nothing of it
# with -q, info lines with -v, traces with -d, a statistics line per
# --stats-interval with the true count, the broker's refusal with its
# detail in the error line, and perf --print-metrics' document fitting
# docs/statistics.schema.json with every record acknowledged.
# Env: KPROD_BIN, KPROD_SRC, KPROD_BROKERS (a running broker).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# wait_for FILE PATTERN SECONDS: until grep -E finds PATTERN in FILE.
wait_for() {
    local deadline=$((SECONDS + $3))
    until grep -qE "$2" "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05 # polls a file another process writes, up to the deadline
    done
}

# ---- a refused connection is said at once ----
# The send waits max.block.ms (8 s) for metadata; the warning must be on
# stderr long before that, while kprod still runs.
echo x | timeout 30 "$KPROD_BIN" produce -b 127.0.0.1:1 -t t -X max.block.ms=8000 \
    2>"$tmp/refused.err" &
pid=$!
if wait_for "$tmp/refused.err" '^kprod: WARN broker: connect to 127\.0\.0\.1:1: Connection refused$' 3 &&
    kill -0 $pid 2>/dev/null; then ok; else
    fail "no warning about the refused connection within 3 s"
    show "$tmp/refused.err"
fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# ---- -q: errors only; -v: info too; -d: traces ----
echo x | timeout 30 "$KPROD_BIN" produce -q -b 127.0.0.1:1 -t t -X max.block.ms=300 2>"$tmp/q.err"
if grep -q 'WARN' "$tmp/q.err"; then fail "-q: a warning was printed"; show "$tmp/q.err"; else ok; fi
grep -q '^stdin:1: error _TIMED_OUT' "$tmp/q.err" && ok || { fail "-q: the error line is missing"; show "$tmp/q.err"; }
grep -q 'records read' "$tmp/q.err" && { fail "-q: summary printed"; show "$tmp/q.err"; } || ok

topic=$(new_topic observe 3)
seq 1 100 | timeout 60 "$KPROD_BIN" produce -v -d broker -b "$BROKERS" -t "$topic" 2>"$tmp/v.err"
[[ $? == 0 ]] && ok || { fail "-v -d broker: exit status"; show "$tmp/v.err"; }
grep -q '^kprod: INFO idempotence: idempotent producer: producer id [0-9]*, epoch [0-9]*$' "$tmp/v.err" &&
    ok || { fail "-v: no info line with the producer id"; show "$tmp/v.err"; }
grep -q '^kprod: DEBUG broker: connection to .* is up$' "$tmp/v.err" && ok ||
    { fail "-d broker: no trace"; show "$tmp/v.err"; }
"$KPROD_BIN" produce -d nonsense -b "$BROKERS" -t "$topic" </dev/null 2>"$tmp/d.err"
[[ $? == 2 ]] && grep -q 'unknown context "nonsense"' "$tmp/d.err" && ok ||
    { fail "-d nonsense: not refused with exit 2"; show "$tmp/d.err"; }

# ---- --stats-interval: a line per interval, with the true count ----
# The input stays open until a statistics line shows all 500 acknowledged.
mkfifo "$tmp/in"
timeout 60 "$KPROD_BIN" produce --stats-interval 100 -b "$BROKERS" -t "$topic" <"$tmp/in" \
    2>"$tmp/stats.err" &
pid=$!
exec 7>"$tmp/in"
seq 1 500 >&7
if wait_for "$tmp/stats.err" '^kprod produce: stats: 500 acked \(\+[0-9]+/s\), 0 failed, [0-9]+ retried, 0 waiting, [0-9.]+ of 32\.0 MiB buffer, [1-9] of [1-9] brokers up$' 20; then
    ok
else
    fail "--stats-interval: no line showing 500 acknowledged"
    show "$tmp/stats.err"
fi
exec 7>&-
wait $pid
[[ $? == 0 ]] && ok || { fail "--stats-interval: exit status"; show "$tmp/stats.err"; }

# ---- the error line carries the broker's refusal and a hint ----
small=observe_small_$$_$RANDOM
bash "$KAFKA_SH" topics --bootstrap-server "$BROKERS" --create --topic "$small" --partitions 1 \
    --replication-factor 1 --config max.message.bytes=2000 >/dev/null 2>&1 || fail "create $small"
head -c 5000 /dev/zero | tr '\0' 'x' | timeout 60 "$KPROD_BIN" produce -b "$BROKERS" -t "$small" \
    2>"$tmp/big.err"
[[ $? == 1 ]] && ok || { fail "too large: exit status"; show "$tmp/big.err"; }
grep -qE "^stdin:1: error MESSAGE_TOO_LARGE: broker [0-9]+ \(.*\) answered MESSAGE_TOO_LARGE for partition 0 of topic '$small': .*max\.message\.bytes" \
    "$tmp/big.err" && ok || { fail "too large: no detail in the error line"; show "$tmp/big.err"; }

# ---- perf --print-metrics ----
timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic" -n 20000 -s 100 --print-metrics \
    >"$tmp/perf.out" 2>"$tmp/perf.err"
[[ $? == 0 ]] && ok || { fail "perf --print-metrics: exit status"; show "$tmp/perf.err"; }
grep '^METRICS ' "$tmp/perf.out" | sed 's/^METRICS //' >"$tmp/metrics.json"
if python3 "$KPROD_SRC/tests/tools/check_schema.py" "$KPROD_SRC/docs/statistics.schema.json" \
    "$tmp/metrics.json" >"$tmp/schema.out" 2>&1; then ok; else
    fail "perf --print-metrics: the document does not fit the schema"
    show "$tmp/schema.out"
fi
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["producer"]
assert p["records_acked"]==20000 and p["records_failed"]==0, p' "$tmp/metrics.json" 2>"$tmp/acked.out" &&
    ok || { fail "perf --print-metrics: not 20000 acknowledged"; show "$tmp/acked.out"; }

summary
