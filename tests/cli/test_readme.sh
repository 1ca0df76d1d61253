#!/usr/bin/env bash
# The README's examples run as written once the demo has run (its broker up,
# the topic kprod-demo there): every fenced block right after a
# `<!-- readme-test ... -->` line is taken from README.md and run. A sh
# block runs as one bash script (-e, pipefail) in the repository, with
# two substitutions only: build/kprod becomes the binary under test
# ($KPROD_BIN) and 127.0.0.1:9092 the broker under test ($KPROD_BROKERS);
# every command must succeed. The C block is compiled against the tree's
# static library and must deliver its 10 records. Last, the README's
# configuration table and docs/CONFIGURATION.md must agree: each property
# the README says kprod applies is in the document's applied table, and
# each one it says is accepted without effect is in "Accepted but not
# applied".
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
README=$KPROD_SRC/README.md
CONFDOC=$KPROD_SRC/docs/CONFIGURATION.md

# block N: the N-th fenced block after a readme-test marker, in $tmp/block.N,
# its language in $tmp/block.N.lang. Prints how many there are.
awk -v dir="$tmp" '
    /^<!-- readme-test/ { want = 1; next }
    want && /^```/ { n++; lang = substr($0, 4); print lang >(dir "/block." n ".lang"); inside = 1; want = 0; next }
    inside && /^```/ { inside = 0; next }
    inside { print >(dir "/block." n) }
    END { print n + 0 }' "$README" >"$tmp/nblocks"
nblocks=$(cat "$tmp/nblocks")
((nblocks >= 2)) && ok || fail "README: $nblocks marked example blocks, expected at least 2"

# The state the demo leaves: the topic kprod-demo with 3 partitions.
bash "$KAFKA_SH" topics --bootstrap-server "$BROKERS" --create --if-not-exists --topic kprod-demo \
    --partitions 3 --replication-factor 1 >"$tmp/create" 2>&1 || { show "$tmp/create"; fail "create kprod-demo"; }

subst() { # FILE: the two substitutions
    sed -e "s#build/kprod#$KPROD_BIN#g" -e "s#127\.0\.0\.1:9092#$BROKERS#g" "$1"
}

for ((i = 1; i <= nblocks; i++)); do
    lang=$(cat "$tmp/block.$i.lang")
    case $lang in
    sh)
        { echo 'set -eo pipefail'; subst "$tmp/block.$i"; } >"$tmp/block.$i.sh"
        if (cd "$KPROD_SRC" && timeout 300 bash -x "$tmp/block.$i.sh") >"$tmp/block.$i.out" 2>"$tmp/block.$i.err"; then
            ok
            echo "README block $i (sh): every command succeeded"
        else
            fail "README block $i (sh): a command failed (trace below, last lines)"
            tail -n 30 "$tmp/block.$i.err"
        fi
        ;;
    c)
        subst "$tmp/block.$i" >"$tmp/readme.c"
        lib=$(dirname "$KPROD_BIN")/libkprod.a
        # shellcheck disable=SC2086 # the sanitizer flags split into words
        if cc ${KPROD_TEST_CFLAGS:-} -std=c11 -o "$tmp/readme_c" "$tmp/readme.c" -I"$KPROD_SRC/include" \
            "$lib" -lz -lzstd -llz4 -lsnappy -lssl -lcrypto -lstdc++ -lm -pthread 2>"$tmp/cc.err"; then
            ok
        else
            fail "README block $i (c) does not compile"
            show "$tmp/cc.err"
            continue
        fi
        if timeout 60 "$tmp/readme_c" >"$tmp/c.out" 2>"$tmp/c.err"; then ok; else
            fail "README block $i (c): exit status $?"
            show "$tmp/c.err"
        fi
        n=$(grep -cE '^record [0-9] -> kprod-demo \[[0-2]\] @ [0-9]+$' "$tmp/c.out")
        [[ $n == 10 ]] && ok || { fail "README block $i (c): $n records delivered, expected 10"; show "$tmp/c.out"; }
        ;;
    *) fail "README block $i: language '$lang' has no runner here" ;;
    esac
done

# ---- the README's configuration table against docs/CONFIGURATION.md ----
# section NAME: the lines of CONFIGURATION.md's "## NAME" section.
section() { awk -v h="## $1" '$0 == h { on = 1; next } /^## / { on = 0 } on' "$CONFDOC"; }
section Properties >"$tmp/applied"
section "Accepted but not applied" >"$tmp/unapplied"
# First column of the README's table: "a / b" pairs, ".max.ms" continuing
# the name before it.
awk -F'|' '/^\| property \| default/ { on = 1; next } on && !/^\|/ { exit } on && !/^\|---/ { print $2 }' "$README" |
    awk '{ gsub(/^ +| +$/, ""); n = split($0, a, / \/ /); prev = ""
           for (i = 1; i <= n; i++) { x = a[i]; if (x ~ /^\./) { sub(/\.[^.]+$/, "", prev); sub(/\.ms$/, "", prev); x = prev x } print x; prev = x } }' \
    >"$tmp/readme.props"
[[ $(wc -l <"$tmp/readme.props") -ge 20 ]] && ok || fail "README: configuration table not found"
while read -r p; do
    if grep -qF "| \`$p\` |" "$tmp/applied"; then ok; else fail "README lists $p as applied; CONFIGURATION.md does not"; fi
done <"$tmp/readme.props"
for p in group.id connections.max.idle.ms enable.metrics.push; do
    grep -qF "$p" "$README" || { fail "README no longer names $p"; continue; }
    grep -qF "| \`$p\` |" "$tmp/unapplied" && ok || fail "README says $p is not applied; CONFIGURATION.md does not"
done

summary
