#!/usr/bin/env bash
# bench/run.sh --smoke: the benchmark script still works end to end. Two
# small scenarios, both clients (kprod perf and bench/rdkafka_perf), both
# brokers (bench/sink and the Kafka broker in KPROD_BROKERS), binaries of
# this build tree. Checks that the script succeeded, that each of the 8
# runs delivered every record, and that the table has a row per broker and
# scenario with figures for both clients. No speed is asserted.
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export KPROD_BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}

bin_dir=$(dirname "$KPROD_BIN")
start=$SECONDS
timeout 300 bash "$KPROD_SRC/bench/run.sh" --smoke --bin-dir "$bin_dir" --out "$tmp/runs" \
    >"$tmp/out" 2>"$tmp/err"
status=$?
echo "bench/run.sh --smoke: exit status $status in $((SECONDS - start)) s"
cat "$tmp/err" "$tmp/out"
[[ $status == 0 ]] && ok || fail "bench/run.sh --smoke: exit status $status"

# Every run left a RESULT line with ok=1, per client and broker.
for client in kprod librdkafka; do
    for broker in sink kafka; do
        n=$(grep -c "^$broker [^ ]* $client 1 RESULT .* ok=1\$" "$tmp/runs/results.txt" 2>/dev/null)
        [[ $n == 2 ]] && ok || fail "$client on $broker: $n of 2 runs delivered everything"
    done
done
# The table: a row per broker and scenario, no missing figure ("-").
rows=$(grep -cE '^\| (sink|kafka) \| ' "$tmp/out")
[[ $rows == 4 ]] && ok || fail "table: $rows rows, expected 4"
missing=$(grep -E '^\| (sink|kafka) \| ' "$tmp/out" | grep -c ' - |')
[[ $missing == 0 ]] && ok || fail "table: $missing rows with a missing figure"

summary
