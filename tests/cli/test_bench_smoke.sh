#!/usr/bin/env bash
# bench/run.sh --smoke: the benchmark script still works end to end. Two
# small scenarios (the second with keys, 4 topics and 2 sending threads),
# every client (kprod perf, bench/rdkafka_perf, Kafka's Java
# ProducerPerformance where it can run the scenario), every broker
# (bench/sink, librdkafka's mock cluster, the Kafka broker in
# KPROD_BROKERS), binaries of this build tree. Checks that the script
# succeeded, that each run delivered every record, and that the tables have
# a row per broker and scenario with figures for kprod and librdkafka. No
# speed is asserted.
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

# Every run left its figures, per client and broker: kprod and librdkafka
# both scenarios everywhere; Java the first one on sink and kafka (it has
# no keys, topics or threads option and cannot use the mock).
for broker in sink mock kafka; do
    for client in kprod librdkafka java; do
        want=2
        [[ $client == java ]] && want=1
        [[ $client == java && $broker == mock ]] && want=0
        n=$(grep -c "^$broker [^ ]* $client 1 records_per_s=[0-9]" "$tmp/runs/results.txt" 2>/dev/null)
        [[ $n == "$want" ]] && ok || fail "$client on $broker: $n runs with figures, expected $want"
    done
done
# The tables: two per broker, a row per scenario in each, figures for
# kprod and librdkafka in every row.
rows=$(grep -cE '^\| (100 B|1 KB)' "$tmp/out")
[[ $rows == 12 ]] && ok || fail "tables: $rows rows, expected 12"
missing=$(grep -E '^\| (100 B|1 KB)' "$tmp/out" | awk -F'|' '$3 ~ /-/ || $4 ~ /-/' | wc -l)
[[ $missing == 0 ]] && ok || fail "tables: $missing rows without kprod's or librdkafka's figure"

summary
