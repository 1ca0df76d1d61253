#!/usr/bin/env bash
# kprod verify against records written by kcat (an independent producer),
# laid out so that every verdict is known in advance: a clean run; a run
# with a duplicate, a gap, an out-of-order record and records lost at its
# end; stamps in the kprod-stamp header and at the start of the value;
# other runs and unstamped records in between; keys of bytes outside
# printable ASCII; a run spread over two partitions; the ranges (-p,
# --from-offset, --to-offset, --from-time, --to-time); --list; exit
# statuses and usage errors. Then runs stamped by kprod produce --stamp and
# kprod perf --stamp come out clean.
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}
K=$KPROD_SRC/scripts/kafka.sh

topic=kprod_cli_verify_$$_$RANDOM
if ! bash "$K" topics --bootstrap-server "$BROKERS" --create --topic "$topic" \
    --partitions 2 --replication-factor 1 >"$tmp/create" 2>&1; then
    show "$tmp/create"
    echo "0 passed, 1 failed"
    exit 1
fi

# kcat -P into partition P, lines KEY<TAB>VALUE (-K tab), optional header.
put() { # partition [header] < lines
    local p=$1 h=${2:-}
    kcat -P -q -b "$BROKERS" -t "$topic" -p "$p" -K $'\t' ${h:+-H "$h"} 2>"$tmp/kcat.err" ||
        { fail "kcat -P: $(cat "$tmp/kcat.err")"; }
}

# Partition 0, offsets in order:
#   0..3  clean run c: key a seq 0..3
#   4     noise (no stamp), 5 another run's record
#   6..9  run d, key k: 0 1 1 3   (1 duplicated, 2 missing)
#   10    run d, key k: 2 after 3 (out of order; it fills the gap)
#   11    run d, key j: 0
#   12    run d, stamp in a header only (value unstamped): key h seq 0
#   13    run d, key "x y\x01": 0 (a key that needs escaping)
printf 'a\tc:0\na\tc:1:tail\na\tc:2 text\na\tc:3\n' | put 0
printf 'n\tnot a stamp\no\tother:0\n' | put 0
printf 'k\td:0\nk\td:1\nk\td:1\nk\td:3\nk\td:2\nj\td:0\n' | put 0
printf 'h\tno stamp in the value\n' | put 0 "kprod-stamp=d:0"
printf 'x y\x01\td:0\n' | put 0
# Partition 1: run d, key m seq 0..1; run c has nothing here.
printf 'm\td:0\nm\td:1\n' | put 1
before_time=$(($(date +%s) * 1000 - 1000))

v() { # args...: runs verify, output in $tmp/out, status in $st
    timeout 60 "$KPROD_BIN" verify -b "$BROKERS" -t "$topic" "$@" >"$tmp/out" 2>"$tmp/err"
    st=$?
}
result() { grep '^RESULT ' "$tmp/out"; }
expect_result() { # what args...
    local want=$1
    shift
    v "$@"
    [[ "$(result)" == "$want" ]] && ok || { fail "verify $*: want '$want'"; show "$tmp/out"; show "$tmp/err"; }
}

# ---- a clean run ----
expect_result "RESULT run=c records_read=16 found=4 missing=0 duplicated=0 out_of_order=0 clean=1" --run c
[[ $st == 0 ]] && ok || fail "clean run: exit $st"
grep -Eq '^ +0 +4 +0 +0 +0  0\.\.3$' "$tmp/out" && ok || { fail "clean run: partition 0 line"; show "$tmp/out"; }
# with --count 6: two records never seen at all
expect_result "RESULT run=c records_read=16 found=4 missing=2 duplicated=0 out_of_order=0 clean=0" --run c --count 6
[[ $st == 1 ]] && ok || fail "--count 6: exit $st"
grep -q '^missing: 2 records of the 6 sent were never seen' "$tmp/out" && ok || { fail "--count line"; show "$tmp/out"; }

# ---- a run with trouble ----
# found: k0 k1 k3 k2 j0 h0 xy0 m0 m1 = 9; duplicated 1 (k1 at 8); out of
# order 1 (k2 at 10 after k3 at 9); missing 0 (k2 arrived late).
expect_result "RESULT run=d records_read=16 found=9 missing=0 duplicated=1 out_of_order=1 clean=0" --run d
[[ $st == 1 ]] && ok || fail "run d: exit $st"
grep -qF 'partition 0: duplicated: 8 (key k seq 1, first at partition 0 offset 7)' "$tmp/out" && ok ||
    { fail "duplicate note"; show "$tmp/out"; }
grep -qF 'partition 0: out of order: 10 (key k seq 2 after seq 3 at 9)' "$tmp/out" && ok ||
    { fail "out-of-order note"; show "$tmp/out"; }
# Reading only up to offset 10 leaves k2 missing, and the out-of-order gone.
expect_result "RESULT run=d records_read=10 found=3 missing=1 duplicated=1 out_of_order=0 clean=0" --run d -p 0 --to-offset 10
grep -qF 'partition 0: missing: key k seq 2' "$tmp/out" && ok || { fail "missing note"; show "$tmp/out"; }
# From offset 9: k3, k2 (out of order), j0, h0, xy0; k0/k1 were before the range: not missing.
expect_result "RESULT run=d records_read=5 found=5 missing=0 duplicated=0 out_of_order=1 clean=0" --run d -p 0 --from-offset 9
# The escaped key, and --list.
v --run d -p 0 --from-offset 13 --list "$tmp/list"
[[ "$(result)" == "RESULT run=d records_read=1 found=1 missing=0 duplicated=0 out_of_order=0 clean=1" ]] && ok ||
    { fail "key with odd bytes"; show "$tmp/out"; }
[[ "$(cat "$tmp/list")" == '0 13 0 x\x20y\x01' ]] && ok || { fail "--list line"; show "$tmp/list"; }
# Partition 1 alone: m0 m1, clean.
expect_result "RESULT run=d records_read=2 found=2 missing=0 duplicated=0 out_of_order=0 clean=1" --run d -p 1
grep -Eq '^ +1 +2 +0 +0 +0  0\.\.1$' "$tmp/out" && ok || { fail "partition 1 line"; show "$tmp/out"; }
# Times: everything was written after before_time; nothing after now + 1 h.
expect_result "RESULT run=d records_read=16 found=9 missing=0 duplicated=1 out_of_order=1 clean=0" --run d --from-time "$before_time"
expect_result "RESULT run=d records_read=0 found=0 missing=0 duplicated=0 out_of_order=0 clean=0" --run d --from-time "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
[[ $st == 1 ]] && ok || fail "nothing found must not be clean: exit $st"
expect_result "RESULT run=d records_read=0 found=0 missing=0 duplicated=0 out_of_order=0 clean=0" --run d --to-time 1000
# A run nobody wrote.
expect_result "RESULT run=zz records_read=16 found=0 missing=0 duplicated=0 out_of_order=0 clean=0" --run zz

# ---- usage ----
for args in "--run" "--run bad/id" "-t" "--run c -p x" "--run c --show 99" "--run c --from-time yesterday" "--run c extra"; do
    # shellcheck disable=SC2086
    timeout 30 "$KPROD_BIN" verify -b "$BROKERS" -t "$topic" $args >"$tmp/out" 2>"$tmp/err"
    st=$?
    [[ $st == 2 && -s $tmp/err ]] && ok || { fail "verify $args: exit $st (want 2 and a message)"; show "$tmp/err"; }
done
timeout 30 "$KPROD_BIN" verify -b "$BROKERS" --run c >"$tmp/out" 2>"$tmp/err"
[[ $? == 2 ]] && grep -q 'TOPIC' "$tmp/err" && ok || { fail "no -t"; show "$tmp/err"; }
timeout 30 "$KPROD_BIN" verify -b "$BROKERS" -t "$topic" --run c -p 7 >"$tmp/out" 2>"$tmp/err"
[[ $? == 1 ]] && grep -q 'no partition 7' "$tmp/err" && ok || { fail "-p 7"; show "$tmp/err"; }
timeout 30 "$KPROD_BIN" verify -b "$BROKERS" -t "no_such_topic_$$" --run c >"$tmp/out" 2>"$tmp/err"
[[ $? == 1 && -s $tmp/err ]] && ok || { fail "unknown topic"; show "$tmp/err"; }
"$KPROD_BIN" verify --help >"$tmp/out" && grep -q '^THE STAMP' "$tmp/out" && ok || fail "--help"
"$KPROD_BIN" help verify >"$tmp/out2" && cmp -s "$tmp/out" "$tmp/out2" && ok || fail "kprod help verify"

# ---- kprod produce --stamp and kprod perf --stamp ----
printf 'a:1\nb:2\na:3\nvalue without key\n' |
    timeout 60 "$KPROD_BIN" produce -b "$BROKERS" -t "$topic" -K: -H h=v --stamp --run p-$$ \
        >"$tmp/out" 2>"$tmp/err"
[[ $? == 0 ]] && grep -qx "kprod produce: stamping run p-$$" "$tmp/err" && ok ||
    { fail "produce --stamp"; show "$tmp/err"; }
expect_result "RESULT run=p-$$ records_read=20 found=4 missing=0 duplicated=0 out_of_order=0 clean=1" --run p-$$ --count 4
# the stamp comes after the record's own headers, numbered per key
kcat -C -q -b "$BROKERS" -t "$topic" -e -f '%k %h\n' >"$tmp/kcat" 2>/dev/null
grep -qx "a h=v,kprod-stamp=p-$$:1" "$tmp/kcat" && grep -qx " h=v,kprod-stamp=p-$$:0" "$tmp/kcat" && ok ||
    { fail "produce --stamp headers"; show "$tmp/kcat"; }
timeout 120 "$KPROD_BIN" perf -b "$BROKERS" -t "$topic" -n 3000 -s 20 -k 5 --run q-$$ -q \
    >"$tmp/out" 2>"$tmp/err" && grep -qx "kprod perf: stamping run q-$$" "$tmp/err" && ok ||
    { fail "perf --run"; show "$tmp/err"; }
expect_result "RESULT run=q-$$ records_read=3020 found=3000 missing=0 duplicated=0 out_of_order=0 clean=1" --run q-$$ --count 3000
timeout 30 "$KPROD_BIN" produce -b "$BROKERS" -t "$topic" --run 'bad id' </dev/null >"$tmp/out" 2>"$tmp/err"
[[ $? == 2 ]] && grep -q -- '--run' "$tmp/err" && ok || { fail "produce --run 'bad id'"; show "$tmp/err"; }
# a fresh run id when none is given, printed
echo x | timeout 60 "$KPROD_BIN" produce -b "$BROKERS" -t "$topic" --stamp -q >"$tmp/out" 2>"$tmp/err"
run=$(sed -n 's/^kprod produce: stamping run //p' "$tmp/err")
[[ -n $run ]] && ok || { fail "produce --stamp: no run id printed"; show "$tmp/err"; }
expect_result "RESULT run=$run records_read=3021 found=1 missing=0 duplicated=0 out_of_order=0 clean=1" --run "$run" --count 1

bash "$K" topics --bootstrap-server "$BROKERS" --delete --topic "$topic" >/dev/null 2>&1
summary
