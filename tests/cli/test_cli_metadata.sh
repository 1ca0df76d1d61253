#!/usr/bin/env bash
# kprod metadata on a topic of 200 partitions (real broker): the text
# output lists every partition exactly once, in order 0..199, each with a
# leader that is one of the brokers listed, and the --json output the same.
# The printing is one pass over the partitions (see print_text and
# print_json in tools/kprod/metadata.c).
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}
N=200

topic=kprod_cli_metadata_$$_$RANDOM
if ! bash "$KPROD_SRC/scripts/kafka.sh" topics --bootstrap-server "$BROKERS" --create \
    --topic "$topic" --partitions $N --replication-factor 1 >"$tmp/create" 2>&1; then
    show "$tmp/create"
    echo "cannot create topic $topic on $BROKERS (is the broker running?)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- text ----
start_ns=$(date +%s%N)
timeout 60 "$KPROD_BIN" metadata -b "$BROKERS" -t "$topic" >"$tmp/md" 2>"$tmp/md.err"
status=$?
echo "metadata of $N partitions in $((($(date +%s%N) - start_ns) / 1000000)) ms"
[[ $status == 0 ]] && ok || { fail "metadata: exit status $status"; show "$tmp/md.err"; }
# The broker ids listed under "brokers:".
awk '/^brokers: /{on = 1; next} /^topics: /{on = 0} on && /^  [0-9]+ /{print $1}' "$tmp/md" |
    sort -n >"$tmp/brokers"
[[ -s $tmp/brokers ]] && ok || { fail "metadata: no broker listed"; show "$tmp/md"; }
grep -qxF "  topic $topic: $N partitions" "$tmp/md" && ok ||
    { fail "metadata: no line 'topic $topic: $N partitions'"; show "$tmp/md"; }
# Every partition line, in order, each once, each with a listed leader.
awk -v n=$N -v bfile="$tmp/brokers" '
    BEGIN { while ((getline b < bfile) > 0) broker[b] = 1 }
    /^    partition / {
        if (!match($0, /^    partition [0-9]+: leader -?[0-9]+, replicas \[[0-9,]*\], isr \[[0-9,]*\]$/)) {
            print "bad line: " $0; bad++; next
        }
        split($0, f, /[ :,]+/)   # "", partition, P, leader, L, ...
        p = f[3]; l = f[5]
        if (p != next_p) { print "partition " p " where " next_p " was expected"; bad++ }
        if (!(l in broker)) { print "partition " p ": leader " l " is not a listed broker"; bad++ }
        next_p = p + 1
    }
    END {
        if (next_p != n) { print "partitions listed: " next_p + 0 ", expected " n; bad++ }
        exit bad > 0
    }' next_p=0 "$tmp/md" >"$tmp/check" && ok ||
    { fail "metadata: partition lines"; show "$tmp/check"; }

# ---- JSON ----
timeout 60 "$KPROD_BIN" metadata -b "$BROKERS" -t "$topic" --json >"$tmp/md.json" 2>"$tmp/md.err"
status=$?
[[ $status == 0 ]] && ok || { fail "metadata --json: exit status $status"; show "$tmp/md.err"; }
grep -oE '\{"id": [0-9]+, "leader": -?[0-9]+, ' "$tmp/md.json" |
    awk -v n=$N -v bfile="$tmp/brokers" '
        BEGIN { while ((getline b < bfile) > 0) broker[b] = 1 }
        { gsub(/[^0-9 -]/, ""); split($0, f, " ")
          if (f[1] != NR - 1) { print "id " f[1] " where " NR - 1 " was expected"; bad++ }
          if (!(f[2] in broker)) { print "id " f[1] ": leader " f[2] " is not a listed broker"; bad++ } }
        END { if (NR != n) { print "partitions: " NR ", expected " n; bad++ }; exit bad > 0 }' \
        >"$tmp/check.json" && ok || { fail "metadata --json: partitions"; show "$tmp/check.json"; }

bash "$KPROD_SRC/scripts/kafka.sh" topics --bootstrap-server "$BROKERS" --delete --topic "$topic" \
    >/dev/null 2>&1 || true
summary
