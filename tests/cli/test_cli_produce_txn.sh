#!/usr/bin/env bash
# kprod produce --transactional-id against a real broker, read back by an
# independent consumer (kcat, isolation.level=read_committed):
# - 25 lines, --transaction-records 10: three transactions commit, every
#   line is read back, exit 0, "3 transactions committed";
# - 30 lines into a topic whose max.message.bytes refuses line 15: the
#   transaction of lines 11-20 fails; its commit is reported
#   (_TXN_ABORTABLE), it is aborted and its records count as failed, the
#   next transaction goes on: read_committed sees lines 1-10 and 21-30
#   only, the summary says 20 delivered, 10 failed, exit 1;
# - --transaction-records without a transactional id: a usage error.
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}
K=$KPROD_SRC/scripts/kafka.sh
topic=kprod_cli_txn_$$_$RANDOM
small=${topic}_small

create() { # topic [config]
    bash "$K" topics --bootstrap-server "$BROKERS" --create --topic "$1" --partitions 2 \
        --replication-factor 1 ${2:+--config "$2"} >"$tmp/create" 2>&1 && return 0
    show "$tmp/create"
    echo "cannot create topic $1 on $BROKERS (is the broker running?)"
    echo "0 passed, 1 failed"
    exit 1
}
create "$topic"
create "$small" max.message.bytes=1000

read_committed() { # topic
    timeout 60 kcat -C -b "$BROKERS" -t "$1" -o beginning -e -q \
        -X isolation.level=read_committed -f '%s\n' | sort -n
}

# ---- three transactions, all committed ----
seq 1 25 | timeout 120 "$KPROD_BIN" produce -b "$BROKERS" -t "$topic" \
    --transactional-id "kprod_cli_txn_$$" --transaction-records 10 >"$tmp/ok.out" 2>"$tmp/ok.err"
status=$?
[[ $status == 0 ]] && ok || { fail "exit status $status"; show "$tmp/ok.err"; }
grep -qE '^kprod produce: 25 records read, 25 delivered, 0 failed' "$tmp/ok.err" && ok ||
    { fail "summary"; show "$tmp/ok.err"; }
grep -q '^kprod produce: 3 transactions committed$' "$tmp/ok.err" && ok ||
    { fail "not 3 transactions"; show "$tmp/ok.err"; }
read_committed "$topic" >"$tmp/got"
seq 1 25 >"$tmp/want"
diff -q "$tmp/want" "$tmp/got" >/dev/null && ok || { fail "read_committed"; show "$tmp/got"; }

# ---- a failed transaction in the middle ----
big=$(head -c 2000 /dev/zero | tr '\0' x)
for i in $(seq 1 30); do
    if ((i == 15)); then echo "$big"; else echo "$i"; fi
done | timeout 120 "$KPROD_BIN" produce -b "$BROKERS" -t "$small" \
    --transactional-id "kprod_cli_txn_small_$$" --transaction-records 10 \
    >"$tmp/bad.out" 2>"$tmp/bad.err"
status=$?
[[ $status == 1 ]] && ok || { fail "failed transaction: exit status $status"; show "$tmp/bad.err"; }
grep -qE '^stdin:15: error MESSAGE_TOO_LARGE: ' "$tmp/bad.err" && ok ||
    { fail "no error line for line 15"; show "$tmp/bad.err"; }
grep -qE '^stdin:11: error _TXN_ABORTABLE: .*MESSAGE_TOO_LARGE.* \(kprod_txn_commit\)$' "$tmp/bad.err" &&
    ok ||
    { fail "no error line for the failed commit"; show "$tmp/bad.err"; }
grep -qE '^kprod produce: 30 records read, 20 delivered, 10 failed' "$tmp/bad.err" && ok ||
    { fail "failed transaction: summary"; show "$tmp/bad.err"; }
grep -q '^kprod produce: 2 transactions committed$' "$tmp/bad.err" && ok ||
    { fail "failed transaction: not 2 committed"; show "$tmp/bad.err"; }
read_committed "$small" >"$tmp/got2"
{ seq 1 10; seq 21 30; } | sort -n >"$tmp/want2"
diff -q "$tmp/want2" "$tmp/got2" >/dev/null && ok ||
    { fail "failed transaction: read_committed"; show "$tmp/got2"; }

# ---- usage ----
echo x | "$KPROD_BIN" produce -b "$BROKERS" -t "$topic" --transaction-records 5 \
    >/dev/null 2>"$tmp/usage.err"
status=$?
[[ $status == 2 ]] && grep -q 'needs --transactional-id' "$tmp/usage.err" && ok ||
    { fail "--transaction-records alone: exit status $status"; show "$tmp/usage.err"; }
summary
