#!/usr/bin/env bash
# The consume-transform-produce example (examples/txn_transform.c) as
# docs/TRANSACTIONS.md runs it against a real broker: kcat reads each
# partition of the input topic from the group's committed offsets (Kafka's
# consumer-groups tool says where; kcat commits nothing, it has no group),
# txn_transform upper-cases the values into the output topic and commits
# them with the group's offsets, a transaction per 7 records.
# Run 1 on 20 records, run 2 on 15 more: the output (read_committed, kcat)
# holds each of the 35 values exactly once, upper-cased, and the group's
# committed offsets are the input's end offsets (Kafka's consumer-groups
# tool). Run 3, with nothing new, transforms nothing.
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}
EXAMPLE=${KPROD_EXAMPLES_DIR:-$(dirname "$KPROD_BIN")/examples}/txn_transform
K=$KPROD_SRC/scripts/kafka.sh
in=kprod_txn_in_$$_$RANDOM
out=kprod_txn_out_$$_$RANDOM
group=kprod_txn_group_$$_$RANDOM
txn_id=kprod_txn_example_$$_$RANDOM

if [[ ! -x $EXAMPLE ]]; then
    echo "no example binary at $EXAMPLE (build the project first)"
    echo "0 passed, 1 failed"
    exit 1
fi
for t in "$in" "$out"; do
    if ! bash "$K" topics --bootstrap-server "$BROKERS" --create --topic "$t" --partitions 2 \
        --replication-factor 1 >"$tmp/create" 2>&1; then
        show "$tmp/create"
        echo "cannot create topic $t on $BROKERS (is the broker running?)"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

# The group's committed offsets: "PARTITION OFFSET LOG-END-OFFSET" lines
# ("-" for none).
committed() {
    bash "$K" run org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
        --bootstrap-server "$BROKERS" --describe --group "$group" 2>/dev/null |
        awk -v t="$in" '$2 == t { print $3, $4, $5 }'
}

# One run of the pipeline (as docs/TRANSACTIONS.md shows it).
pipeline() {
    committed >"$tmp/offsets"
    for p in 0 1; do
        start=$(awk -v p=$p '$1 == p && $2 != "-" { print $2 }' "$tmp/offsets")
        timeout 60 kcat -C -b "$BROKERS" -t "$in" -p $p -o "${start:-beginning}" -e -q \
            -X isolation.level=read_committed -f '%t %p %o %s\n'
    done | timeout 120 "$EXAMPLE" "$BROKERS" "$out" "$group" "$txn_id" 7 2>"$tmp/run.err"
    local rc=$?
    cat "$tmp/run.err"
    return $rc
}

# Input: records "v-N" with keys "kN", spread over both partitions.
feed() { # from to
    for ((i = $1; i <= $2; i++)); do echo "k$i:v-$i"; done |
        kcat -P -b "$BROKERS" -t "$in" -K: 2>"$tmp/feed.err" || { show "$tmp/feed.err"; return 1; }
}

feed 1 20 && ok || fail "writing the first input"
pipeline && ok || fail "run 1: exit status $?"
grep -q "20 records in 3 transactions: committed" "$tmp/run.err" && ok || fail "run 1: not 20 records in 3 transactions"
feed 21 35 && ok || fail "writing the second input"
pipeline && ok || fail "run 2: exit status $?"
grep -q "15 records in 3 transactions: committed" "$tmp/run.err" && ok || fail "run 2: not the 15 new records"
pipeline && ok || fail "run 3: exit status $?"
grep -q "0 records in 0 transactions" "$tmp/run.err" && ok || fail "run 3: transformed records again"

# Each value once, upper-cased, in the output.
timeout 60 kcat -C -b "$BROKERS" -t "$out" -o beginning -e -q -X isolation.level=read_committed \
    -f '%s\n' | sort >"$tmp/got"
seq -f "V-%g" 1 35 | sort >"$tmp/want"
if diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then ok; else
    fail "the output is not each value once"
    show "$tmp/diff"
fi

# The group's offsets are the input's ends, as the tool sees both.
committed >"$tmp/final"
for p in 0 1; do
    line=$(awk -v p=$p '$1 == p' "$tmp/final")
    read -r _ got end <<<"$line"
    [[ -n ${end:-} && ${got:-} == "$end" ]] && ok ||
        fail "partition $p: committed offset '${got:-}', log end '${end:-}'"
done
summary
