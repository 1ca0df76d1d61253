#!/usr/bin/env bash
# Strings kprod does not control are printed escaped. `kprod metadata`
# against tests/cli/fake_broker.pl, a broker that lies: its cluster id, host
# names and topic names hold terminal escape sequences, line breaks, a
# bidirectional override, DEL, a C1 control and invalid UTF-8, beside valid
# non-ASCII text. The text output must be exactly the expected lines (no raw
# control byte, every forged line still inside its own line, valid UTF-8
# kept), and --json exactly the expected object with \u escapes (and, when
# python3 is there, parse as JSON). Then `kprod produce` error lines from a
# file whose name holds an escape sequence and a newline: one line each,
# escaped. No real broker needed.
# Env: KPROD_BIN, KPROD_SRC (from CTest).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Any raw control byte (C0 other than the newline ending each line, DEL)
# or a C1 control / bidi override in UTF-8, in file $1.
raw_controls() {
    LC_ALL=C grep -c $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]\|\xe2\x80[\xaa-\xae]' "$1"
}

coproc FAKE { exec perl "$KPROD_SRC/tests/cli/fake_broker.pl"; }
if ! read -r -t 10 port <&"${FAKE[0]}" || [[ ! $port =~ ^[0-9]+$ ]]; then
    echo "fake_broker.pl did not start"
    echo "0 passed, 1 failed"
    exit 1
fi
FAKE_BROKER=127.0.0.1:$port

# ---- kprod metadata, text ----
timeout 30 "$KPROD_BIN" metadata -b "$FAKE_BROKER" --timeout 10000 >"$tmp/md" 2>"$tmp/md.err"
status=$?
# 1: the fake cluster has a topic with an error.
[[ $status == 1 ]] && ok || { fail "metadata: exit status $status, expected 1"; show "$tmp/md.err"; }
cat >"$tmp/md.want" <<'EOF'
cluster id: evil\x1b]0;pwned\x07\x1b[31mcluster\n
controller: 1
brokers: 4
  1 127.0.0.1:PORT
  2 h\x1b[2Jost\r\n  9 forged:9092
  3 café-\xe2\x80\xaeevil-\xff:9093
  4 tab\there\\back\x7f\xc2\x9b:9094
topics: 4
  topic gone\x07\n  topic forged: 1 partitions: error UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition
  topic ok\x1b[1mtopic: 2 partitions
    partition 0: leader 1, replicas [1], isr [1]
    partition 1: leader 1, replicas [1], isr [1]
  topic pending: 1 partition
    partition 0: leader 1, replicas [1], isr [1]
  topic 日本: 1 partition
    partition 0: leader 1, replicas [1], isr [1]
EOF
sed -i "s/:PORT\$/:$port/" "$tmp/md.want"
if cmp -s "$tmp/md.want" "$tmp/md"; then ok; else
    fail "metadata: text output differs from the expected (escaped) lines"
    diff "$tmp/md.want" "$tmp/md" | cat -A | head -40
fi
n=$(raw_controls "$tmp/md")
[[ $n == 0 ]] && ok || fail "metadata: $n lines with a raw control character"

# ---- kprod metadata --json ----
timeout 30 "$KPROD_BIN" metadata -b "$FAKE_BROKER" --timeout 10000 --json >"$tmp/md.json" \
    2>"$tmp/md.err"
status=$?
[[ $status == 1 ]] && ok || { fail "metadata --json: exit status $status, expected 1"; show "$tmp/md.err"; }
cat >"$tmp/json.want" <<'EOF'
{"cluster_id": "evil\u001b]0;pwned\u0007\u001b[31mcluster\u000a", "controller_id": 1, "brokers": [{"id": 1, "host": "127.0.0.1", "port": PORT}, {"id": 2, "host": "h\u001b[2Jost\u000d\u000a  9 forged", "port": 9092}, {"id": 3, "host": "café-\u202eevil-\u00ff", "port": 9093}, {"id": 4, "host": "tab\u0009here\\back\u007f\u009b", "port": 9094}], "topics": [{"name": "gone\u0007\u000a  topic forged: 1 partitions", "error": "UNKNOWN_TOPIC_OR_PARTITION", "partitions": []}, {"name": "ok\u001b[1mtopic", "error": null, "partitions": [{"id": 0, "leader": 1, "replicas": [1], "isr": [1]}, {"id": 1, "leader": 1, "replicas": [1], "isr": [1]}]}, {"name": "pending", "error": null, "partitions": [{"id": 0, "leader": 1, "replicas": [1], "isr": [1]}]}, {"name": "日本", "error": null, "partitions": [{"id": 0, "leader": 1, "replicas": [1], "isr": [1]}]}]}
EOF
sed -i "s/\"port\": PORT}/\"port\": $port}/" "$tmp/json.want"
if cmp -s "$tmp/json.want" "$tmp/md.json"; then ok; else
    fail "metadata --json: output differs from the expected object"
    diff "$tmp/json.want" "$tmp/md.json" | cat -A | head -20
fi
n=$(raw_controls "$tmp/md.json")
[[ $n == 0 ]] && ok || fail "metadata --json: $n lines with a raw control character"
if command -v python3 >/dev/null; then
    # The decoded strings are the broker's (invalid byte 0xff read as U+00FF).
    if python3 -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["cluster_id"] == "evil\x1b]0;pwned\x07\x1b[31mcluster\n", d["cluster_id"]
assert d["brokers"][2]["host"] == "caf\u00e9-\u202eevil-\u00ff", d["brokers"][2]["host"]
assert [t["name"] for t in d["topics"]][3] == "\u65e5\u672c"
' "$tmp/md.json" 2>"$tmp/py.err"; then ok; else
        fail "metadata --json: not the broker's strings once parsed"
        show "$tmp/py.err"
    fi
fi

# ---- kprod produce: error lines name an escaped file and topic ----
# Nobody listens on port 1: the first send fails after max.block.ms and the
# one error line covers all three records.
bad_name=$'in\e[31m\nput'
printf 'a\nb\nc\n' >"$tmp/$bad_name"
timeout 30 "$KPROD_BIN" produce -b 127.0.0.1:1 -t untrusted -X max.block.ms=500 \
    "$tmp/$bad_name" >"$tmp/prod.out" 2>"$tmp/prod.err"
status=$?
[[ $status == 1 ]] && ok || { fail "produce: exit status $status, expected 1"; show "$tmp/prod.err"; }
esc_file="$tmp/in\\x1b[31m\\nput"
want="$esc_file:1: error _TIMED_OUT: Timed out (no metadata for topic 'untrusted' within max.block.ms=500); the rest of the input was not sent: 3 records not sent, $esc_file:1 to $esc_file:3"
if [[ $(grep -v '^kprod: [A-Z]* broker: ' "$tmp/prod.err" | head -1) == "$want" ]]; then ok; else
    fail "produce: first line is not the escaped error line"
    echo "  want: $want"
    show "$tmp/prod.err"
fi
[[ $(grep -cv '^kprod: [A-Z]* broker: ' "$tmp/prod.err") == 2 ]] && ok || { fail "produce: not exactly 2 lines on stderr besides the warning"; show "$tmp/prod.err"; }
grep -qE '^kprod produce: 3 records read, 0 delivered, 3 failed, ' "$tmp/prod.err" && ok ||
    { fail "produce: summary"; show "$tmp/prod.err"; }
n=$(raw_controls "$tmp/prod.err")
[[ $n == 0 ]] && ok || fail "produce: $n lines with a raw control character"

# A file that cannot be opened: its name is escaped as well.
timeout 30 "$KPROD_BIN" produce -b 127.0.0.1:1 -t t "$tmp/no$bad_name" </dev/null \
    >"$tmp/open.out" 2>"$tmp/open.err"
status=$?
[[ $status == 2 ]] && ok || fail "produce, missing file: exit status $status, expected 2"
grep -qF "cannot open '$tmp/noin\\x1b[31m\\nput': No such file or directory" "$tmp/open.err" &&
    [[ $(wc -l <"$tmp/open.err") == 1 ]] && ok ||
    { fail "produce, missing file: no escaped file name"; show "$tmp/open.err"; }

summary
