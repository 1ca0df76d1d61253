#!/usr/bin/env bash
# kprod produce's input options against a real broker, each read back with
# kcat (scripts/kafka.sh consume, or kcat itself for raw bytes): -k (one key
# for every record), -c (a record count limit), -w (whole files as records,
# byte for byte), -D with a delimiter of several bytes (also across the
# 64 KiB read chunks), -T (a timestamp per record), Kafka's console
# producer's parse.headers / parse.key / null.marker / ignore.error reader
# properties, and --print-offsets (each delivered record's partition and
# offset, checked against where kcat finds it).
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
shopt -s lastpipe # produce at the end of a pipeline sets $status here

# produce NAME ARGS...: runs kprod produce with stdin as given, output in
# $tmp/NAME.out and .err; the exit status is in $status.
produce() {
    local name=$1
    shift
    timeout 120 "$KPROD_BIN" produce -b "$BROKERS" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    status=$?
}

# expect_ok NAME: the run exited 0.
expect_ok() {
    if [[ $status == 0 ]]; then ok; else
        fail "$1: exit status $status"
        show "$tmp/$1.err"
    fi
}

# expect_same NAME WANT GOT: the two files are equal.
expect_same() {
    if cmp -s "$2" "$3"; then ok; else
        fail "$1: read back differs"
        diff "$2" "$3" | head -10
    fi
}

# ---- -k: one key for every record ----
t=$(new_topic kprod_cli_key 3) || exit 1
printf 'a\nb\nc\nd\n' | produce key -t "$t" -k 'user\x2d7'
expect_ok key
read_back "$t" 4 >"$tmp/key.got" || fail "-k: read back"
cut -f3 "$tmp/key.got" | sort -u >"$tmp/key.keys"
printf 'user-7\n' >"$tmp/key.want"
expect_same "-k keys" "$tmp/key.want" "$tmp/key.keys"
[[ $(cut -f1 "$tmp/key.got" | sort -u | wc -l) == 1 ]] && ok || fail "-k: records of one key on several partitions"

# ---- -c: stop after COUNT records ----
t=$(new_topic kprod_cli_count 1) || exit 1
seq 1 10 | produce count -t "$t" -c 3
expect_ok count
grep -qE '^kprod produce: 3 records read, 3 delivered, 0 failed' "$tmp/count.err" && ok ||
    { fail "-c 3: summary"; show "$tmp/count.err"; }
# Over two inputs: the count runs across them.
seq 1 2 >"$tmp/count.a"
seq 3 9 >"$tmp/count.b"
produce count2 -t "$t" -c 4 "$tmp/count.a" "$tmp/count.b"
expect_ok count2
read_back "$t" 7 | cut -f4 >"$tmp/count.got" || fail "-c: read back"
printf '1\n2\n3\n1\n2\n3\n4\n' >"$tmp/count.want"
expect_same "-c" "$tmp/count.want" "$tmp/count.got"
# Nothing more than those 7 arrived.
bash "$KAFKA_SH" consume "$t" --brokers="$BROKERS" >"$tmp/count.all" 2>/dev/null
[[ $(wc -l <"$tmp/count.all") == 7 ]] && ok || fail "-c: $(wc -l <"$tmp/count.all") records in the topic, expected 7"

# ---- -w: each file is one record, byte for byte ----
t=$(new_topic kprod_cli_whole 1) || exit 1
head -c 200000 /dev/urandom >"$tmp/whole.bin" # NULs, newlines, anything
printf 'line 1\nline 2\n\0after a NUL\n' >"$tmp/whole.txt"
: >"$tmp/whole.empty"
produce whole -t "$t" -w -k blob "$tmp/whole.bin" "$tmp/whole.txt" "$tmp/whole.empty"
expect_ok whole
grep -qE '^kprod produce: 3 records read, 3 delivered' "$tmp/whole.err" && ok ||
    { fail "-w: summary"; show "$tmp/whole.err"; }
for o in 0 1 2; do
    timeout 30 kcat -C -q -b "$BROKERS" -t "$t" -p 0 -o "$o" -c 1 -f '%s' >"$tmp/whole.got$o" 2>/dev/null ||
        fail "-w: kcat offset $o"
    timeout 30 kcat -C -q -b "$BROKERS" -t "$t" -p 0 -o "$o" -c 1 -f '%k' >"$tmp/whole.key$o" 2>/dev/null
    [[ $(cat "$tmp/whole.key$o") == blob ]] && ok || fail "-w: record $o has key '$(cat "$tmp/whole.key$o")'"
done
expect_same "-w binary file" "$tmp/whole.bin" "$tmp/whole.got0"
expect_same "-w text file with a NUL" "$tmp/whole.txt" "$tmp/whole.got1"
expect_same "-w empty file" "$tmp/whole.empty" "$tmp/whole.got2"
# Standard input as one record.
printf 'x\ny\n' | produce whole_stdin -t "$t" -w -
expect_ok whole_stdin
timeout 30 kcat -C -q -b "$BROKERS" -t "$t" -p 0 -o 3 -c 1 -f '%s' >"$tmp/whole.got3" 2>/dev/null
printf 'x\ny\n' >"$tmp/whole.want3"
expect_same "-w -" "$tmp/whole.want3" "$tmp/whole.got3"

# ---- -D with several bytes, across read chunks ----
t=$(new_topic kprod_cli_delim 1) || exit 1
# 5,000 records of 37..136 bytes joined by "<|>": the 64 KiB reads cut
# through delimiters somewhere; values hold '<', '|' and '>' alone.
awk 'BEGIN { for (i = 1; i <= 5000; i++) { v = sprintf("r%d<a|b>", i); while (length(v) < 37 + i % 100) v = v "x"; print v } }' \
    >"$tmp/delim.want"
awk 'BEGIN { ORS = "" } { if (NR > 1) print "<|>"; print }' "$tmp/delim.want" >"$tmp/delim.in"
produce delim -t "$t" -D '<|>' "$tmp/delim.in"
expect_ok delim
read_back "$t" 5000 | cut -f4 >"$tmp/delim.got" || fail "-D: read back"
expect_same "-D '<|>'" "$tmp/delim.want" "$tmp/delim.got"
# CRLF input: the \r goes with the delimiter.
printf 'one\r\ntwo\r\n' | produce crlf -t "$t" -D '\r\n'
expect_ok crlf
read_back "$t" 5002 | tail -n 2 | cut -f4 | od -c >"$tmp/crlf.got"
printf 'one\ntwo\n' | od -c >"$tmp/crlf.want"
expect_same "-D '\\r\\n'" "$tmp/crlf.want" "$tmp/crlf.got"

# ---- -T: a timestamp per record ----
t=$(new_topic kprod_cli_ts 1) || exit 1
printf '1700000000123|k1:v1\n1600000000000|k2:v2\nsoon|k3:v3\n0|k4:v4\n' |
    produce ts -t "$t" -T '|' -K :
[[ $status == 1 ]] && ok || { fail "-T with one bad timestamp: exit status $status, expected 1"; show "$tmp/ts.err"; }
grep -qE "^stdin:3: error _INVALID_ARG: .*the timestamp 'soon' is not a number" "$tmp/ts.err" && ok ||
    { fail "-T: no error line for stdin:3"; show "$tmp/ts.err"; }
grep -qE '^kprod produce: 4 records read, 3 delivered, 1 failed' "$tmp/ts.err" && ok ||
    { fail "-T: summary"; show "$tmp/ts.err"; }
now_ms=$(($(date +%s%N) / 1000000))
read_back "$t" 3 >"$tmp/ts.got" || fail "-T: read back"
awk -F'\t' -v now="$now_ms" '
    $3 == "k1" && !($4 == "v1" && $6 == 1700000000123) { bad++ }
    $3 == "k2" && !($4 == "v2" && $6 == 1600000000000) { bad++ }
    $3 == "k4" && !($4 == "v4" && $6 > now - 600000) { bad++ } # 0: stamped when sent
    END { exit bad }' "$tmp/ts.got" && ok || { fail "-T: timestamps read back"; show "$tmp/ts.got"; }

# ---- Kafka console producer's reader properties ----
t=$(new_topic kprod_cli_hdr 1) || exit 1
{
    printf 'h1:v1,h2:v2\tkey1\tvalue1\n'
    printf 'h1:NULL\tkey2\tNULL\n'      # null header value, null value
    printf 'NULL\tkey3\tvalue3\n'        # null headers: none
    printf 'broken\tkey4\tvalue4\n'      # no header key separator
    printf 'h3:v3\tno key separator\n'   # parse.key=true: an error
} | produce hdr -t "$t" -H fixed=1 --reader-property parse.headers=true \
    --reader-property parse.key=true --reader-property null.marker=NULL
[[ $status == 1 ]] && ok || { fail "parse.headers: exit status $status, expected 1"; show "$tmp/hdr.err"; }
grep -qE "^stdin:4: error _INVALID_ARG: .*no header key separator in the header 'broken'" "$tmp/hdr.err" &&
    ok || { fail "parse.headers: no error for stdin:4"; show "$tmp/hdr.err"; }
grep -qE "^stdin:5: error _INVALID_ARG: .*no key separator" "$tmp/hdr.err" && ok ||
    { fail "parse.key: no error for stdin:5"; show "$tmp/hdr.err"; }
read_back "$t" 3 | cut -f3-5 >"$tmp/hdr.got" || fail "parse.headers: read back"
printf 'key1\tvalue1\tfixed=1,h1=v1,h2=v2\nkey2\tNULL\tfixed=1,h1=NULL\nkey3\tvalue3\tfixed=1\n' >"$tmp/hdr.want"
expect_same "parse.headers" "$tmp/hdr.want" "$tmp/hdr.got"
# The header value and the value of key2 are nulls, not the text NULL
# (kcat's JSON tells them apart).
timeout 30 kcat -C -q -b "$BROKERS" -t "$t" -p 0 -o 1 -c 1 -J >"$tmp/hdr.json" 2>/dev/null
grep -qF '"headers":["fixed","1","h1",null],"key":"key2","payload":null}' "$tmp/hdr.json" && ok ||
    { fail "null.marker: key2's header value or value is not null"; show "$tmp/hdr.json"; }
# ignore.error: what is missing is left out; other separators as given.
printf 'a=1;b=2|k|v\nno separators at all\n' |
    produce ign -t "$t" --reader-property parse.headers=true --reader-property parse.key=true \
        --reader-property 'headers.delimiter=|' --reader-property 'headers.separator=;' \
        --reader-property 'headers.key.separator==' --reader-property 'key.separator=|' \
        --reader-property ignore.error=true
expect_ok ign
read_back "$t" 5 | tail -n 2 | cut -f3-5 >"$tmp/ign.got" || fail "ignore.error: read back"
printf 'k\tv\ta=1,b=2\nNULL\tno separators at all\t\n' >"$tmp/ign.want"
expect_same "ignore.error" "$tmp/ign.want" "$tmp/ign.got"

# ---- --print-offsets ----
t=$(new_topic kprod_cli_offsets 3) || exit 1
seq 1 300 | sed 's/^/k&:v&/' | produce off -t "$t" -K : --print-offsets
expect_ok off
[[ $(wc -l <"$tmp/off.out") == 300 ]] && ok || { fail "--print-offsets: $(wc -l <"$tmp/off.out") lines, expected 300"; show "$tmp/off.out"; }
# stdin:N<TAB>PARTITION<TAB>OFFSET, and line N was "kN:vN": kcat must find
# value vN at that partition and offset.
awk -F'\t' '{ split($1, a, ":"); print $2 "\t" $3 "\tv" a[2] }' "$tmp/off.out" | sort >"$tmp/off.want"
read_back "$t" 300 | awk -F'\t' '{ print $1 "\t" $2 "\t" $4 }' | sort >"$tmp/off.got" || fail "--print-offsets: read back"
expect_same "--print-offsets" "$tmp/off.want" "$tmp/off.got"

summary
