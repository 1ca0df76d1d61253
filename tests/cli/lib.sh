# Sourced by the tests/cli scripts: the environment CTest gives them, a
# temporary directory removed on exit, pass/fail counting and the summary
# line that ends each test (its exit status: 0 when nothing failed).
set -u
: "${KPROD_BIN:?KPROD_BIN must name the kprod binary}"
: "${KPROD_SRC:?KPROD_SRC must name the repository root}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() {
    echo "FAIL: $*"
    failed=$((failed + 1))
}
show() { echo "--- $1:"; head -c 2000 "$1"; echo; }
summary() {
    echo "$passed passed, $failed failed"
    ((failed == 0))
}

# The broker the test talks to, and the script that runs Kafka's tools.
BROKERS=${KPROD_BROKERS:-127.0.0.1:9092}
KAFKA_SH=$KPROD_SRC/scripts/kafka.sh

# new_topic PREFIX PARTITIONS: creates a topic named PREFIX_<pid>_<random>
# and prints its name; when that fails, says why and ends the test (exit 1).
new_topic() {
    local t=${1}_$$_$RANDOM
    if ! bash "$KAFKA_SH" topics --bootstrap-server "$BROKERS" --create --topic "$t" \
        --partitions "$2" --replication-factor 1 >"$tmp/create.$t" 2>&1; then
        show "$tmp/create.$t" >&2
        echo "cannot create topic $t on $BROKERS (is the broker running?)" >&2
        echo "0 passed, 1 failed" >&2
        exit 1
    fi
    echo "$t"
}

# read_back TOPIC COUNT: prints COUNT records of TOPIC, one line each, as
#   partition<TAB>offset<TAB>key<TAB>value<TAB>headers<TAB>timestamp
# with headers as name=value pairs joined by ",". It reads the 8-field
# format of `scripts/kafka.sh consume TOPIC COUNT` (PARTITION OFFSET
# TIMESTAMP KEYLEN KEY VALUELEN VALUE HEADERS, see docs/TESTING.md) and
# fails on a line that does not have 8 fields or whose KEYLEN or VALUELEN
# does not match its bytes (LC_ALL=C: awk's length counts bytes), so a
# change of that format cannot slip through as wrong columns.
read_back() {
    local rc
    bash "$KAFKA_SH" consume "$1" --brokers="$BROKERS" "$2" >"$tmp/consume.raw" || rc=$?
    LC_ALL=C awk -F'\t' -v OFS='\t' '
        NF != 8 { print "read_back: line " NR " has " NF " fields, not 8" >"/dev/stderr"; bad = 1; next }
        $4 != ($4 < 0 ? -1 : length($5)) || $6 != ($6 < 0 ? -1 : length($7)) {
            print "read_back: line " NR ": lengths do not match the key or value" >"/dev/stderr"
            bad = 1
            next
        }
        { print $1, $2, $5, $7, $8, $3 }
        END { exit bad }' "$tmp/consume.raw" || return 1
    return "${rc:-0}"
}
