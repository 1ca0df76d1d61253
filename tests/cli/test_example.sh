#!/usr/bin/env bash
# The example program examples/produce.c against a real broker: it must
# exit 0 and print one "delivered" line for each of its 5 records, and each
# reported partition and offset must hold that record (its key and value),
# as an independent consumer (scripts/kafka.sh consume) sees it.
# The binary: $KPROD_EXAMPLES_DIR/produce, by default the examples/ directory
# next to $KPROD_BIN (CMake builds both into the same build tree).
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}
EXAMPLE=${KPROD_EXAMPLES_DIR:-$(dirname "$KPROD_BIN")/examples}/produce
K=$KPROD_SRC/scripts/kafka.sh
N=5
keys=(alice bob carol alice bob) # as in examples/produce.c

if [[ ! -x $EXAMPLE ]]; then
    echo "no example binary at $EXAMPLE (build the project first)"
    echo "0 passed, 1 failed"
    exit 1
fi

topic=kprod_example_$$_$RANDOM
if ! bash "$K" topics --bootstrap-server "$BROKERS" --create --topic "$topic" \
    --partitions 3 --replication-factor 1 >"$tmp/create" 2>&1; then
    show "$tmp/create"
    echo "cannot create topic $topic on $BROKERS (is the broker running?)"
    echo "0 passed, 1 failed"
    exit 1
fi

if timeout 60 "$EXAMPLE" "$BROKERS" "$topic" >"$tmp/out" 2>"$tmp/err"; then ok; else
    fail "examples/produce: exit status $?"
    show "$tmp/out"
    show "$tmp/err"
fi

# Exactly one line per record, each "delivered", nothing else.
[[ $(wc -l <"$tmp/out") == "$N" ]] && ok || { fail "expected $N lines"; show "$tmp/out"; }
for ((n = 0; n < N; n++)); do
    c=$(grep -cE "^record $n \(key ${keys[n]}\): delivered to $topic \[[0-2]\] at offset [0-9]+$" \
        "$tmp/out")
    [[ $c == 1 ]] && ok || { fail "record $n: $c 'delivered' lines, expected 1"; show "$tmp/out"; }
done
[[ ! -s $tmp/err ]] && ok || { fail "something on stderr"; show "$tmp/err"; }

# Each reported place holds that record: PARTITION OFFSET KEY VALUE, sorted,
# from the report lines and from the consumer's 8-field lines.
sed -nE 's/^record ([0-9]+) \(key ([a-z]+)\): delivered to [^ ]+ \[([0-9]+)\] at offset ([0-9]+)$/\3\t\4\t\2\thello \1 from kprod/p' \
    "$tmp/out" | sort >"$tmp/reported"
if bash "$K" consume "$topic" --brokers="$BROKERS" "$N" >"$tmp/consumed" 2>"$tmp/consume.err"; then
    ok
else
    fail "consume $topic $N failed"
    show "$tmp/consume.err"
fi
awk -F'\t' -v OFS='\t' 'NF == 8 { print $1, $2, $5, $7 }' "$tmp/consumed" | sort >"$tmp/read"
[[ $(wc -l <"$tmp/read") == "$N" ]] && ok || fail "the consumer read $(wc -l <"$tmp/read") records, expected $N"
if cmp -s "$tmp/reported" "$tmp/read"; then ok; else
    fail "reported partitions/offsets differ from what the consumer read (reported < > read)"
    diff "$tmp/reported" "$tmp/read"
fi

summary
