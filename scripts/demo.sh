#!/usr/bin/env bash
# scripts/demo.sh: shows kprod talking to a real Kafka broker from a clean
# checkout, in one command:
#   1. installs what is missing (scripts/install-deps.sh) and builds (build/);
#   2. starts the single local broker (scripts/kafka.sh start; a no-op when it
#      is already running) and creates the topic kprod-demo (3 partitions) if
#      it is missing;
#   3. prints `kprod metadata` for that topic;
#   4. sends 10 keyed lines with `kprod produce -K:` and shows them read back
#      by an independent consumer (scripts/kafka.sh consume) as a table, so
#      one sees that records with the same key share a partition;
#   5. leaves the broker running and says how to stop it.
# The broker address: $KPROD_BROKERS if set, else 127.0.0.1:$KPROD_KAFKA_PORT
# (default 127.0.0.1:9092). The local broker is started only when the
# address is its own (a KPROD_BROKERS elsewhere must be running already). KPROD_DEMO_TOPIC overrides the topic name.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
K=$ROOT/scripts/kafka.sh
KPROD=$ROOT/build/kprod
TOPIC=${KPROD_DEMO_TOPIC:-kprod-demo}

step() { printf '\n==> %s\n' "$*"; }
# Prints a command, then runs it.
run() {
    printf '+ %s\n' "$*"
    "$@"
}

step "Installing missing dependencies and building (build/)"
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build

LOCAL=127.0.0.1:${KPROD_KAFKA_PORT:-9092}
B=${KPROD_BROKERS:-$LOCAL}
if [[ $B == "$LOCAL" || $B == "localhost:${KPROD_KAFKA_PORT:-9092}" ]]; then
    started_here=1
    step "Starting the local Kafka broker at $B (scripts/kafka.sh start)"
    bash "$K" start
else
    started_here=0
    step "Using the brokers in KPROD_BROKERS: $B (no local broker is started)"
fi

# grep reads all of the list (no -q): an early exit could break the pipe.
if ! bash "$K" topics --bootstrap-server "$B" --list | grep -xF "$TOPIC" >/dev/null; then
    step "Creating the topic $TOPIC (3 partitions)"
    bash "$K" topics --bootstrap-server "$B" --create --topic "$TOPIC" \
        --partitions 3 --replication-factor 1
fi

step "The topic as kprod sees it"
run "$KPROD" metadata -b "$B" -t "$TOPIC"

step "Sending 10 keyed lines (KEY:VALUE) with kprod produce -K:"
input=$(
    cat <<'EOF'
alice:signed up
bob:signed up
alice:added a book to the cart
carol:signed up
bob:searched for "kafka"
alice:paid 12.50 EUR
dave:signed up
carol:added a lamp to the cart
bob:logged out
dave:asked for a refund
EOF
)
printf '%s\n' "$input" | sed 's/^/    /'
# Records of this run are the ones stamped from now on; older runs' records
# stay in the topic while the broker keeps running.
since_ms=$(($(date +%s%N) / 1000000))
printf '%s\n' "$input" | run "$KPROD" produce -b "$B" -t "$TOPIC" -K: -H source=demo

step "Read back by an independent consumer (scripts/kafka.sh consume, kcat)"
# consume prints PARTITION OFFSET TIMESTAMP KEYLEN KEY VALUELEN VALUE HEADERS.
printf '+ %s\n' "scripts/kafka.sh consume $TOPIC --brokers=$B"
bash "$K" consume "$TOPIC" --brokers="$B" |
    awk -F'\t' -v since="$since_ms" '$3 >= since' | sort -t "$(printf '\t')" -k1,1n -k2,2n |
    awk -F'\t' '
        BEGIN { printf "    %-9s  %-6s  %-6s  %-28s  %s\n", "PARTITION", "OFFSET", "KEY", "VALUE", "HEADERS" }
        { printf "    %-9s  %-6s  %-6s  %-28s  %s\n", $1, $2, $5, $7, $8; n++ }
        END { if (n != 10) { printf "demo: expected 10 records of this run, read %d\n", n >"/dev/stderr"; exit 1 } }'
echo "    (the same key always lands on the same partition: murmur2 of the key, as in Java)"

if ((started_here)); then
    env_prefix=''
    [[ -n ${KPROD_KAFKA_DIR:-} ]] && env_prefix+="KPROD_KAFKA_DIR=$KPROD_KAFKA_DIR "
    [[ -n ${KPROD_KAFKA_PORT:-} ]] && env_prefix+="KPROD_KAFKA_PORT=$KPROD_KAFKA_PORT "
    step "Done. The broker at $B is still running; try for example"
    echo "    echo 'k:hello' | build/kprod produce -b $B -t $TOPIC -K:"
    echo "    ${env_prefix}scripts/kafka.sh consume $TOPIC --brokers=$B"
    echo "and stop it with"
    echo "    ${env_prefix}scripts/kafka.sh stop"
else
    step "Done."
fi
