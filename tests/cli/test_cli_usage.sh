#!/usr/bin/env bash
# The kprod tool's command line without a broker: help texts, versions, and
# that every usage or configuration error exits with status 2 and a message
# naming what was wrong, before any connection is attempted (the broker
# given is a closed port, and each run has a short time limit).
# Env (set by CTest): KPROD_BIN = the kprod binary, KPROD_SRC = repo root.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NOBROKER=127.0.0.1:1

fail() {
    echo "FAIL: $*"
    echo "  stdout: $(head -c 600 "$tmp/out")"
    echo "  stderr: $(head -c 600 "$tmp/err")"
    failed=$((failed + 1))
}

# expect STATUS TEXT ARGS...: runs kprod ARGS (stdin empty, 20 s at most)
# and checks the exit status, and that TEXT (if not empty) appears in
# stderr for a non-zero status, in stdout for status 0.
expect() {
    local want=$1 text=$2
    shift 2
    env -u KPROD_BROKERS timeout 20 "$KPROD_BIN" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    local got=$?
    local where=$tmp/err
    [[ $want == 0 ]] && where=$tmp/out
    if [[ $got != "$want" ]]; then
        fail "kprod $*: exit status $got, expected $want"
    elif [[ -n $text ]] && ! grep -qF -- "$text" "$where"; then
        fail "kprod $*: '$text' missing from $(basename "$where")"
    else
        passed=$((passed + 1))
    fi
}

# ---- top level ----
expect 0 "produce" --help
expect 0 "metadata" help
expect 0 "kprod 0." --version
expect 0 "kprod 0." -V
expect 2 "no command"
expect 2 "'frobnicate'" frobnicate
expect 2 "'--frobnicate'" --frobnicate
expect 2 "'frobnicate'" help frobnicate
expect 0 "SYNOPSIS" help produce
expect 0 "kprod perf" help perf
expect 0 "perf" --help

# ---- --help of each subcommand: man-page sections and every option ----
# The options are taken from the long options table of each source file
# (produce's is produce_opts.c's; perf's is perf_opts.c's, shared with
# bench/rdkafka_perf), so an option
# added there without documentation fails here.
for cmd in produce metadata perf; do
    expect 0 "SYNOPSIS" "$cmd" --help
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES "EXIT STATUS" ENVIRONMENT \
        Default KPROD_BROKERS; do
        if grep -qF -- "$section" "$tmp/out"; then
            passed=$((passed + 1))
        else
            fail "kprod $cmd --help: no '$section'"
        fi
    done
    src=$KPROD_SRC/tools/kprod/$cmd.c
    [[ $cmd == produce ]] && src=$KPROD_SRC/tools/kprod/produce_opts.c
    [[ $cmd == perf ]] && src=$KPROD_SRC/tools/kprod/perf_opts.c
    opts=$(grep -oE '\{"[a-z-]+", (no|required)_argument, NULL, ('"'"'.'"'"'|[A-Z_]+)\}' "$src")
    [[ -n $opts ]] || fail "no long options table found in $src"
    while read -r line; do
        [[ -z $line ]] && continue
        long=$(sed -E 's/^\{"([a-z-]+)".*/\1/' <<<"$line")
        short=$(sed -nE "s/.*NULL, '(.)'\}$/\1/p" <<<"$line")
        grep -qE -- "--$long\b" "$tmp/out" || fail "kprod $cmd --help: no --$long"
        if [[ -n $short ]]; then
            grep -qE -- "-$short, --$long\b" "$tmp/out" || fail "kprod $cmd --help: no '-$short, --$long'"
        fi
        passed=$((passed + 1))
    done <<<"$opts"
done

# ---- perf --help names every field of the RESULT line (taken from the
# line's printf in perf_driver.c) in its list of fields ----
"$KPROD_BIN" perf --help >"$tmp/perf.help"
fields=$(sed -n '/printf("RESULT /,/\\n"/p' "$KPROD_SRC/tools/kprod/perf_driver.c" | grep -oE '[a-z_0-9]+=%' | tr -d '=%')
[[ $(wc -w <<<"$fields") -ge 20 ]] && ok || fail "RESULT fields not found in perf_driver.c: $fields"
for f in $fields; do
    grep -qE "^        ($f |.*, $f(,|\$)|$f,)" "$tmp/perf.help" && ok || fail "kprod perf --help: RESULT field $f not explained"
done

# ---- bad options name the option and point to --help ----
expect 2 "'--no-such-option'" produce --no-such-option
expect 2 "kprod produce --help" produce --no-such-option
expect 2 "'--no-such-option'" produce --no-such-option=3 -b "$NOBROKER" -t t
expect 2 "'-Z'" produce -Z -b "$NOBROKER" -t t
expect 2 "'-Z'" metadata -Z
expect 2 "kprod metadata --help" metadata --bogus
expect 2 "'--topic' needs an argument" produce --topic
expect 2 "'-t' needs an argument" produce -b "$NOBROKER" -t
expect 2 "'--quiet' takes no argument" produce --quiet=yes -t t
expect 2 "'--json' takes no argument" metadata --json=yes
expect 2 "unexpected argument 'extra'" metadata -b "$NOBROKER" extra

# ---- missing or malformed values ----
expect 2 "-t TOPIC" produce -b "$NOBROKER"
expect 2 "no brokers" produce -t t
expect 2 "-p" produce -b "$NOBROKER" -t t -p abc
expect 2 "-p" produce -b "$NOBROKER" -t t -p -1
expect 2 "-D" produce -b "$NOBROKER" -t t -D ''
expect 2 "-T" produce -b "$NOBROKER" -t t -T ''
expect 2 "-c" produce -b "$NOBROKER" -t t -c 0
expect 2 "-c" produce -b "$NOBROKER" -t t -c many
expect 2 "not with -K" produce -b "$NOBROKER" -t t -k key -K :
expect 2 "not with -K" produce -b "$NOBROKER" -t t -k key --reader-property parse.key=true
expect 2 "-w needs FILE" produce -b "$NOBROKER" -t t -w
expect 2 "not with -D" produce -b "$NOBROKER" -t t -w -D ab /etc/hostname
expect 2 "not with -D" produce -b "$NOBROKER" -t t -w -T '|' /etc/hostname
expect 2 "parse.keys" produce -b "$NOBROKER" -t t --reader-property parse.keys=true
expect 2 "true or false" produce -b "$NOBROKER" -t t --reader-property parse.key=yes
expect 2 "NAME=VALUE" produce -b "$NOBROKER" -t t --reader-property parse.key
expect 2 "must differ" produce -b "$NOBROKER" -t t --reader-property parse.headers=true \
    --reader-property headers.separator=:
expect 2 "must differ" produce -b "$NOBROKER" -t t -K : --null-marker :
expect 2 "\\q" produce -b "$NOBROKER" -t t -D '\q'
expect 2 "-K" produce -b "$NOBROKER" -t t -K ''
expect 2 "\\x" produce -b "$NOBROKER" -t t -K '\x4'
expect 2 "-H" produce -b "$NOBROKER" -t t -H =value
expect 2 "--timeout" metadata -b "$NOBROKER" --timeout soon
expect 2 "/nonexistent/input.txt" produce -b "$NOBROKER" -t t /nonexistent/input.txt

# ---- perf: every usage error exits 2 before anything is sent ----
expect 2 "-t TOPIC" perf -b "$NOBROKER" -n 10 -s 100
expect 2 "-n NUM" perf -b "$NOBROKER" -t t -s 100
expect 2 "exactly one" perf -b "$NOBROKER" -t t -n 10
expect 2 "exactly one" perf -b "$NOBROKER" -t t -n 10 -s 100 --payload-file /etc/hostname
expect 2 "-n" perf -b "$NOBROKER" -t t -n 0 -s 100
expect 2 "-n" perf -b "$NOBROKER" -t t -n 4294967296 -s 100
expect 2 "-s" perf -b "$NOBROKER" -t t -n 10 -s -1
expect 2 "-r 0" perf -b "$NOBROKER" -t t -n 10 -s 100 -r 0
expect 2 "-r" perf -b "$NOBROKER" -t t -n 10 -s 100 -r -2
expect 2 "-k" perf -b "$NOBROKER" -t t -n 10 -s 100 -k many
expect 2 "--payload-delimiter" perf -b "$NOBROKER" -t t -n 10 --payload-file /etc/hostname \
    --payload-delimiter "$(printf '%064d' 0)"
expect 2 "exactly one" perf -b "$NOBROKER" -t t -n 10 -s 10 --payload-monotonic
expect 2 "'--producer-props' needs an argument" perf -b "$NOBROKER" -t t -n 10 -s 1 --producer-props
expect 2 "'--producer-props' needs an argument" perf -t t -n 10 -s 1 --producer-props -q
expect 2 "no.such" perf -t t -n 10 -s 1 --producer-props bootstrap.servers="$NOBROKER" no.such=1
expect 2 "no.such" perf -b "$NOBROKER" -t t -n 10 -s 1 --producer-props=no.such=1
expect 2 "/nonexistent/payloads" perf -b "$NOBROKER" -t t -n 10 --payload-file /nonexistent/payloads
: >"$tmp/empty.payloads"
expect 2 "no payload" perf -b "$NOBROKER" -t t -n 10 --payload-file "$tmp/empty.payloads"
expect 2 "'--quiet' takes no argument" perf --quiet=yes
expect 2 "unexpected argument 'extra'" perf -b "$NOBROKER" -t t -n 10 -s 1 extra
expect 2 "no brokers" perf -t t -n 10 -s 100
expect 2 "no.such.property" perf -b "$NOBROKER" -t t -n 10 -s 100 -X no.such.property=1
expect 2 "acks" perf -b "$NOBROKER" -t t -n 10 -s 100 -X acks=banana
# --threads and --topics: the option and its range named
expect 2 "--threads '0': expected a whole number from 1 to 64" perf -b "$NOBROKER" -t t -n 10 -s 1 --threads 0
expect 2 "--threads '65': expected a whole number from 1 to 64" perf -b "$NOBROKER" -t t -n 10 -s 1 --threads 65
expect 2 "--topics '0': expected a whole number from 1 to 10000" perf -b "$NOBROKER" -t t -n 10 -s 1 --topics 0
expect 2 "--topics 'x': expected a whole number from 1 to 10000" perf -b "$NOBROKER" -t t -n 10 -s 1 --topics x
expect 2 "--threads 2: not with transactions" perf -b "$NOBROKER" -t t -n 10 -s 1 --threads 2 \
    --transactional-id x
expect 2 "--threads 2: not with transactions" perf -b "$NOBROKER" -t t -n 10 -s 1 --threads 2 \
    -X transactional.id=x
expect 2 "--stamp: not with --threads or --topics" perf -b "$NOBROKER" -t t -n 10 -s 1 --threads 2 --stamp
expect 2 "--stamp: not with --threads or --topics" perf -b "$NOBROKER" -t t -n 10 -s 1 --topics 2 --stamp

# ---- configuration: -X and -F errors name the property, status 2 ----
expect 2 "no.such.property" produce -b "$NOBROKER" -t t -X no.such.property=1
expect 2 "no.such.property" metadata -b "$NOBROKER" -X no.such.property=1
expect 2 "acks" produce -b "$NOBROKER" -t t -X acks=banana
expect 2 "batch.size" produce -b "$NOBROKER" -t t -X batch.size=abc
expect 2 "linger.ms" produce -b "$NOBROKER" -t t -X linger.ms=-5
expect 2 "name=value" produce -b "$NOBROKER" -t t -X acks
expect 2 "/nonexistent/p.properties" produce -b "$NOBROKER" -t t -F /nonexistent/p.properties
printf 'acks=all\nno.such.property=1\n' >"$tmp/bad.properties"
expect 2 "bad.properties" produce -b "$NOBROKER" -t t -F "$tmp/bad.properties"
# Errors go to stderr only.
expect 2 "acks" produce -b "$NOBROKER" -t t -X acks=banana
[[ ! -s $tmp/out ]] && passed=$((passed + 1)) || fail "an error printed to stdout"

summary
