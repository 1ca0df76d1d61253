#!/usr/bin/env bash
# kprod produce when the cluster cannot be reached (a bootstrap address
# nobody listens on): the first record waits max.block.ms for the topic's
# metadata and fails, and then no other record is sent or waited for: 1,000
# input lines end within a few seconds (not 1,000 x max.block.ms), with ONE
# error line naming the first and the last record not sent and their
# count, the summary line with the right counts, and exit status 1. The
# same across two input files. The refused connection is said at once, in
# one warning line, however often kprod reconnects. No broker needed.
# Env: KPROD_BIN, KPROD_SRC (from CTest).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NOBODY=127.0.0.1:1 # a privileged port: nobody listens there

# run_produce NAME ARGS...: kprod produce against NOBODY with max.block.ms
# 500, stdin from $tmp/NAME.in (if any); sets status and elapsed_ms.
run_produce() {
    local name=$1
    shift
    local start_ns
    start_ns=$(date +%s%N)
    timeout 60 "$KPROD_BIN" produce -b "$NOBODY" -t kprod_cli_unreachable -X max.block.ms=500 \
        "$@" <"$tmp/$name.in" >"$tmp/$name.out" 2>"$tmp/$name.err"
    status=$?
    elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
    echo "$name: exit status $status after $elapsed_ms ms"
}

# ---- 1,000 lines on stdin ----
seq 1 1000 >"$tmp/stdin.in"
run_produce stdin
[[ $status == 1 ]] && ok || { fail "stdin: exit status $status, expected 1 (124: timed out)"; show "$tmp/stdin.err"; }
((elapsed_ms <= 5000)) && ok || fail "stdin: took $elapsed_ms ms, expected at most 5000"
want="stdin:1: error _TIMED_OUT: Timed out (no metadata for topic 'kprod_cli_unreachable' within max.block.ms=500); the rest of the input was not sent: 1000 records not sent, stdin:1 to stdin:1000"
grep -qxF "$want" "$tmp/stdin.err" && ok || { fail "stdin: no line '$want'"; show "$tmp/stdin.err"; }
n=$(grep -c ': error ' "$tmp/stdin.err")
[[ $n == 1 ]] && ok || { fail "stdin: $n error lines, expected 1"; show "$tmp/stdin.err"; }
grep -qE '^kprod produce: 1000 records read, 0 delivered, 1000 failed, 0 bytes, [0-9.]+ s, 0 records/s$' \
    "$tmp/stdin.err" && ok || { fail "stdin: summary"; show "$tmp/stdin.err"; }
n=$(grep -cxF "kprod: WARN broker: connect to $NOBODY: Connection refused" "$tmp/stdin.err")
[[ $n == 1 ]] && ok || { fail "stdin: $n warnings about the refused connection, expected 1"; show "$tmp/stdin.err"; }
[[ $(grep -cv '^kprod: ' "$tmp/stdin.err") == 2 ]] && ok || { fail "stdin: not exactly 2 lines on stderr besides the warning"; show "$tmp/stdin.err"; }
[[ ! -s $tmp/stdin.out ]] && ok || fail "stdin: something printed on stdout"

# ---- two files of 500 lines: one line spans both ----
seq 1 500 >"$tmp/a.txt"
seq 501 1000 >"$tmp/b.txt"
: >"$tmp/files.in"
run_produce files "$tmp/a.txt" "$tmp/b.txt"
[[ $status == 1 ]] && ok || { fail "files: exit status $status, expected 1"; show "$tmp/files.err"; }
((elapsed_ms <= 5000)) && ok || fail "files: took $elapsed_ms ms, expected at most 5000"
grep -qE "^$tmp/a.txt:1: error _TIMED_OUT: .*: 1000 records not sent, $tmp/a.txt:1 to $tmp/b.txt:500\$" \
    "$tmp/files.err" && ok || { fail "files: no line from a.txt:1 to b.txt:500"; show "$tmp/files.err"; }
n=$(grep -c ': error ' "$tmp/files.err")
[[ $n == 1 ]] && ok || { fail "files: $n error lines, expected 1"; show "$tmp/files.err"; }
grep -qE '^kprod produce: 1000 records read, 0 delivered, 1000 failed, ' "$tmp/files.err" && ok ||
    { fail "files: summary"; show "$tmp/files.err"; }

# ---- one line only: "1 record not sent" ----
echo only >"$tmp/one.in"
run_produce one
[[ $status == 1 ]] && ok || { fail "one: exit status $status, expected 1"; show "$tmp/one.err"; }
grep -qE '^stdin:1: error _TIMED_OUT: .*; the rest of the input was not sent: 1 record not sent, stdin:1$' \
    "$tmp/one.err" && ok || { fail "one: error line"; show "$tmp/one.err"; }
grep -qE '^kprod produce: 1 records read, 0 delivered, 1 failed, ' "$tmp/one.err" && ok ||
    { fail "one: summary"; show "$tmp/one.err"; }

summary
