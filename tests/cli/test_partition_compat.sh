#!/usr/bin/env bash
# Partition compatibility with the Java client: a key must land on the same
# partition whether a Java producer or kprod sends it, or consumers keyed on
# partitions (and compacted topics) break when an application moves from
# one to the other. The same 500 keyed records go once through Kafka's own
# console producer (the Java client's built-in partitioner: murmur2 of the
# key bytes) into topic T1, once through `kprod produce -K:` into T2, both
# with 12 partitions; both are read back with an independent consumer
# (scripts/kafka.sh consume) and, for every key, the partition must be the
# same in both topics.
#
# The keys have every length from 0 to 40 bytes (so every murmur2 tail of
# 0..3 bytes occurs many times) and mix ASCII with 2-, 3- and 4-byte UTF-8
# sequences (bytes >= 0x80, where signed-byte mistakes show). Only valid
# UTF-8: the console producer reads its input as UTF-8 text. Null keys are
# not compared (sticky partitioning is not deterministic across clients).
#
# Why this can fail: murmur2(key) mod 12 spreads the 200 keys over all 12
# partitions, so a partitioner that differs (another hash, signed bytes, a
# different modulo, sticky placement of keyed records, or topics of
# different sizes: mod 12 vs mod 6 disagree for about half the keys) gives
# another partition for many keys. The test also insists that many
# partitions are used and that every record arrived, so an empty or
# single-partition result cannot pass as "equal".
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}
K=$KPROD_SRC/scripts/kafka.sh
PARTITIONS=12
RECORDS=500
KEYS=200
export LC_ALL=C # byte-wise sort, join and awk

# key_of N: a key of N % 41 bytes, built from ASCII letters and
# UTF-8 characters of 2, 3 and 4 bytes (chosen by N and position so that
# keys of equal length differ). A multi-byte character that would overrun
# the length is replaced by ASCII, so the length is exact.
frags=(a é Z 日 q 😀 ß 7 Ω 中 - ✓ x 𝄞 '~' ñ)
key_of() {
    local n=$1 len=$(($1 % 41)) key='' i=0 f
    while ((${#key} < len)); do
        f=${frags[$(((n * 7 + i * 3) % ${#frags[@]}))]}
        ((${#key} + ${#f} > len)) && f=k
        key+=$f
        i=$((i + 1))
    done
    printf '%s' "$key"
}

# The first KEYS distinct keys of key_of 0, 1, 2, ... (short lengths
# repeat keys: there is only one empty key), then RECORDS lines KEY:VALUE
# using every key; values are unique.
declare -A seen=()
for ((n = 0; ${#seen[@]} < KEYS; n++)); do
    key=$(key_of "$n")
    [[ -n ${seen["k$key"]:-} ]] && continue
    seen["k$key"]=1
    printf '%s\n' "$key"
done >"$tmp/keys"
mapfile -t keys <"$tmp/keys"
for ((i = 0; i < RECORDS; i++)); do
    printf '%s:value-%d\n' "${keys[$((i * 37 % KEYS))]}" "$i"
done >"$tmp/input"
grep -qP '[^\x00-\x7f]' "$tmp/input" && ok || fail "test bug: no non-ASCII key bytes in the input"
awk -F: '{ print length($1) }' "$tmp/input" | sort -un >"$tmp/lens"
[[ $(head -1 "$tmp/lens") == 0 && $(tail -1 "$tmp/lens") == 40 && $(wc -l <"$tmp/lens") == 41 ]] &&
    ok || fail "test bug: key lengths do not cover 0..40 bytes"

# ---- two topics of the same size ----
run=$$_$RANDOM
t1=kprod_compat_java_$run
t2=kprod_compat_kprod_$run
for t in "$t1" "$t2"; do
    if ! bash "$K" topics --bootstrap-server "$BROKERS" --create --topic "$t" \
        --partitions "$PARTITIONS" --replication-factor 1 >"$tmp/create" 2>&1; then
        show "$tmp/create"
        echo "cannot create topic $t on $BROKERS (is the broker running?)"
        echo "$passed passed, $((failed + 1)) failed"
        exit 1
    fi
done

# ---- the Java client, then kprod ----
if timeout 180 bash "$K" console-producer --bootstrap-server "$BROKERS" --topic "$t1" \
    --property parse.key=true --property key.separator=: \
    <"$tmp/input" >"$tmp/java.out" 2>"$tmp/java.err"; then ok; else
    fail "console-producer: exit status $?"
    show "$tmp/java.err"
fi
if timeout 120 "$KPROD_BIN" produce -b "$BROKERS" -t "$t2" -K: -q \
    <"$tmp/input" >"$tmp/kprod.out" 2>"$tmp/kprod.err"; then ok; else
    fail "kprod produce: exit status $?"
    show "$tmp/kprod.err"
fi

# read_keys TOPIC: "KEY<TAB>PARTITION<TAB>VALUE" for each of its RECORDS
# records, from the 8-field lines of `scripts/kafka.sh consume` (PARTITION
# OFFSET TIMESTAMP KEYLEN KEY VALUELEN VALUE HEADERS). Fails on a line
# without 8 fields, a null key or a KEYLEN that does not match the bytes.
read_keys() {
    local rc=0
    bash "$K" consume "$1" --brokers="$BROKERS" "$RECORDS" >"$tmp/$1.raw" 2>"$tmp/$1.err" || rc=$?
    awk -F'\t' -v OFS='\t' '
        NF != 8 || $4 < 0 || $4 != length($5) {
            print "bad line " NR ": " $0 >"/dev/stderr"
            bad = 1
            next
        }
        { print $5, $1, $7 }
        END { exit bad }' "$tmp/$1.raw" 2>>"$tmp/$1.err" || rc=1
    return "$rc"
}

for t in "$t1" "$t2"; do
    if read_keys "$t" >"$tmp/$t.kp"; then ok; else
        fail "reading $t back failed"
        show "$tmp/$t.err"
    fi
    n=$(wc -l <"$tmp/$t.kp")
    [[ $n == "$RECORDS" ]] && ok || fail "$t: read $n records, expected $RECORDS"
    # Every (key, value) sent arrived, byte for byte (UTF-8 included).
    if cmp -s <(sort "$tmp/input") <(awk -F'\t' '{ print $1 ":" $3 }' "$tmp/$t.kp" | sort); then
        ok
    else
        fail "$t: keys and values read back differ from those sent"
        diff <(sort "$tmp/input") <(awk -F'\t' '{ print $1 ":" $3 }' "$tmp/$t.kp" | sort) | head
    fi
    # One partition per key within the topic: KEY<TAB>PARTITION, one line
    # per key.
    cut -f1,2 "$tmp/$t.kp" | sort -u >"$tmp/$t.map"
    dup=$(cut -f1 "$tmp/$t.map" | uniq -d | wc -l)
    [[ $dup == 0 ]] && ok || fail "$t: $dup keys on more than one partition"
done

# ---- the comparison: each key's partition in T1 and in T2 ----
join -t "$(printf '\t')" -a1 -a2 -e MISSING -o 0,1.2,2.2 "$tmp/$t1.map" "$tmp/$t2.map" \
    >"$tmp/joined"
awk -F'\t' '$2 != $3' "$tmp/joined" >"$tmp/differ"
n=$(wc -l <"$tmp/joined")
[[ $n == "$KEYS" ]] && ok || fail "compared $n keys, expected $KEYS"
if [[ ! -s $tmp/differ ]]; then ok; else
    fail "$(wc -l <"$tmp/differ") of $n keys on another partition with kprod than with Java" \
        "(key, Java's partition, kprod's):"
    head -20 "$tmp/differ"
fi
used=$(cut -f2 "$tmp/$t1.map" | sort -u | wc -l)
((used >= PARTITIONS - 1)) && ok || fail "Java used only $used of $PARTITIONS partitions"
echo "compared $n keys over $used partitions"

summary
