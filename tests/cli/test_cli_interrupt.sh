#!/usr/bin/env bash
# Ctrl-C ends kprod produce promptly, with the summary line and the exit
# status of an interrupted run. kprod reads from a FIFO the test keeps open,
# so that only the signal can end the run:
#   1. blocked in a send: the bootstrap address is one nobody listens on and
#      max.block.ms is 60000; SIGINT once the main thread sleeps in the
#      send (a futex), and kprod must exit 130 within a few seconds,
#      reporting that record as _INTERRUPTED;
#   2. the same with SIGTERM: 143;
#   3. waiting for input that does not come: SIGINT, 130;
#   4. with a real broker: three records sent, then SIGINT while kprod
#      waits for more input: they are delivered, 130 all the same;
#   5. three records accepted by tests/cli/fake_broker.pl, which never
#      answers a Produce request: after SIGINT they get 2 s more, then fail
#      as _PURGED_ON_CLOSE, the summary says so, 130;
#   6. the same with a second SIGINT during those 2 s: kprod is killed by
#      it at once (no summary line).
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092; only case 4 needs it).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}
NOBODY=127.0.0.1:1 # a privileged port: nobody listens there

# What the main thread of PID waits in, as "send" (a futex: kprod_send
# waits on a condition variable), "input" (poll on its input) or "other".
# From /proc/PID/wchan, or where the kernel hides it, /proc/PID/syscall
# (x86-64 and arm64 syscall numbers).
main_thread_waits_in() {
    local wchan sys
    wchan=$(cat "/proc/$1/wchan" 2>/dev/null)
    case $wchan in
    *futex*) echo send; return ;;
    *poll*) echo input; return ;;
    esac
    read -r sys _ <"/proc/$1/syscall" 2>/dev/null
    case $(uname -m):$sys in
    x86_64:202 | aarch64:98) echo send ;;
    x86_64:7 | x86_64:271 | aarch64:73) echo input ;;
    *) echo other ;;
    esac
}

# wait_for PID STATE: polls every 50 ms, at most 10 s, until the main
# thread of PID waits in STATE. 0 when it does.
wait_for() {
    local i
    for ((i = 0; i < 200; i++)); do
        [[ $(main_thread_waits_in "$1") == "$2" ]] && return 0
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# wait_read PID LINES...: writes the lines to fd 7 once PID waits for
# input, then waits (every 50 ms, at most 10 s) until /proc/PID/io says
# they were read and PID waits for input again (the records are sent).
wait_read() {
    local pid=$1 before now i
    shift
    wait_for "$pid" input
    read -r _ before < <(grep '^rchar:' "/proc/$pid/io")
    local text
    text=$(printf '%s\n' "$@")
    printf '%s\n' "$text" >&7
    for ((i = 0; i < 200; i++)); do
        read -r _ now < <(grep '^rchar:' "/proc/$pid/io" 2>/dev/null)
        ((${now:-0} >= before + ${#text} + 1)) && [[ $(main_thread_waits_in "$pid") == input ]] &&
            return 0
        sleep 0.05
    done
    return 1
}

# wait_exit PID MAX_MS: waits (polling every 50 ms) until PID has exited,
# at most MAX_MS; sets status (its exit status, or "running") and
# elapsed_ms.
wait_exit() {
    local start_ns i
    start_ns=$(date +%s%N)
    status=running
    for ((i = 0; i * 50 < $2; i++)); do
        if ! kill -0 "$1" 2>/dev/null; then
            wait "$1"
            status=$?
            break
        fi
        sleep 0.05
    done
    elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
}

# start NAME ARGS...: starts kprod produce ARGS reading from the FIFO
# $tmp/NAME.fifo, which the test holds open for writing on fd 7; sets pid.
start() {
    local name=$1
    shift
    mkfifo "$tmp/$name.fifo"
    "$KPROD_BIN" produce "$@" <"$tmp/$name.fifo" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    exec 7>"$tmp/$name.fifo"
}

# stop_if_running: kills a kprod left running by a failed case (by pid).
stop_if_running() {
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        wait "$pid" 2>/dev/null
    fi
    exec 7>&-
}

# ---- 1 and 2: a send blocked on metadata ----
for sig in INT TERM; do
    [[ $sig == INT ]] && want_status=130 || want_status=143
    name=send_$sig
    start "$name" -b "$NOBODY" -t kprod_cli_interrupt -X max.block.ms=60000
    # Idle on its input first, so that the send seen next is the line's.
    wait_for "$pid" input || fail "$name: kprod never seen waiting for input"
    echo one >&7
    if wait_for "$pid" send; then ok; else
        fail "$name: kprod never seen blocked in a send (waits in: $(main_thread_waits_in "$pid"))"
    fi
    kill -"$sig" "$pid"
    wait_exit "$pid" 5000
    echo "$name: exit status $status, $elapsed_ms ms after SIG$sig"
    [[ $status == "$want_status" ]] && ok ||
        { fail "$name: exit status $status, expected $want_status"; show "$tmp/$name.err"; }
    grep -qxF "stdin:1: error _INTERRUPTED: Interrupted by kprod_interrupt (SIG$sig: not sent)" \
        "$tmp/$name.err" && ok || { fail "$name: no _INTERRUPTED line for stdin:1"; show "$tmp/$name.err"; }
    grep -qxF "kprod produce: interrupted by SIG$sig: stopped reading after 1 record" \
        "$tmp/$name.err" && ok || { fail "$name: no 'interrupted' line"; show "$tmp/$name.err"; }
    grep -qE '^kprod produce: 1 records read, 0 delivered, 1 failed, 0 bytes, [0-9.]+ s, 0 records/s$' \
        "$tmp/$name.err" && ok || { fail "$name: summary"; show "$tmp/$name.err"; }
    stop_if_running
done

# ---- 3: waiting for input ----
start input -b "$NOBODY" -t kprod_cli_interrupt -X max.block.ms=60000
if wait_for "$pid" input; then ok; else
    fail "input: kprod never seen waiting for input (waits in: $(main_thread_waits_in "$pid"))"
fi
kill -INT "$pid"
wait_exit "$pid" 5000
echo "input: exit status $status, $elapsed_ms ms after SIGINT"
[[ $status == 130 ]] && ok || { fail "input: exit status $status, expected 130"; show "$tmp/input.err"; }
grep -qE '^kprod produce: 0 records read, 0 delivered, 0 failed, ' "$tmp/input.err" && ok ||
    { fail "input: summary"; show "$tmp/input.err"; }
[[ $(grep -c ': error ' "$tmp/input.err") == 0 ]] && ok || { fail "input: an error line"; show "$tmp/input.err"; }
stop_if_running

# ---- 4: records accepted before the signal are delivered ----
topic=kprod_cli_interrupt_$$_$RANDOM
if bash "$KPROD_SRC/scripts/kafka.sh" topics --bootstrap-server "$BROKERS" --create \
    --topic "$topic" --partitions 1 --replication-factor 1 >"$tmp/create" 2>&1; then
    ok
    start accepted -b "$BROKERS" -t "$topic"
    wait_read "$pid" a b c || fail "accepted: kprod never seen reading the three lines"
    kill -INT "$pid"
    wait_exit "$pid" 5000
    echo "accepted: exit status $status, $elapsed_ms ms after SIGINT"
    [[ $status == 130 ]] && ok || { fail "accepted: exit status $status, expected 130"; show "$tmp/accepted.err"; }
    grep -qE '^kprod produce: 3 records read, 3 delivered, 0 failed, 3 bytes, ' "$tmp/accepted.err" && ok ||
        { fail "accepted: summary"; show "$tmp/accepted.err"; }
    stop_if_running
else
    fail "cannot create topic $topic on $BROKERS (is the broker running?)"
    show "$tmp/create"
fi

# ---- 5 and 6: records that stay pending ----
coproc FAKE { exec perl "$KPROD_SRC/tests/cli/fake_broker.pl"; }
if read -r -t 10 port <&"${FAKE[0]}" && [[ $port =~ ^[0-9]+$ ]]; then
    for signals in 1 2; do
        name=pending_$signals
        start "$name" -b "127.0.0.1:$port" -t pending -X enable.idempotence=false
        wait_read "$pid" a b c || fail "$name: kprod never seen reading the three lines"
        kill -INT "$pid"
        if ((signals == 2)); then
            # The second once the first has been taken: its message is out.
            for ((i = 0; i < 200; i++)); do
                grep -q 'not reported yet' "$tmp/$name.err" && break
                sleep 0.05
            done
            kill -INT "$pid"
        fi
        wait_exit "$pid" 6000
        echo "$name: exit status $status, $elapsed_ms ms after the last SIGINT"
        [[ $status == 130 ]] && ok || { fail "$name: exit status $status, expected 130"; show "$tmp/$name.err"; }
        grep -qxF "kprod produce: interrupted by SIGINT: 3 records not reported yet: waiting 2000 ms at most" \
            "$tmp/$name.err" && ok || { fail "$name: no 'not reported yet' line"; show "$tmp/$name.err"; }
        if ((signals == 1)); then
            ((elapsed_ms >= 1900 && elapsed_ms <= 5000)) && ok ||
                fail "$name: ended $elapsed_ms ms after SIGINT, expected about 2000"
            n=$(grep -cE '^stdin:[123]: error _PURGED_ON_CLOSE: ' "$tmp/$name.err")
            [[ $n == 3 ]] && ok || { fail "$name: $n _PURGED_ON_CLOSE lines, expected 3"; show "$tmp/$name.err"; }
            grep -qE '^kprod produce: 3 records read, 0 delivered, 3 failed, ' "$tmp/$name.err" && ok ||
                { fail "$name: summary"; show "$tmp/$name.err"; }
        else
            ((elapsed_ms < 1900)) && ok || fail "$name: ended $elapsed_ms ms after SIGINT, expected at once"
            grep -q '^kprod produce: 3 records read' "$tmp/$name.err" &&
                { fail "$name: a summary line after the second SIGINT"; show "$tmp/$name.err"; } || ok
        fi
        stop_if_running
    done
else
    fail "fake_broker.pl did not start"
fi

summary
