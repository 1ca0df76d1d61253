#!/usr/bin/env bash
# tests/cluster/test_cluster_rf3.sh: checks that the three-node test cluster
# (scripts/kafka.sh start --cluster) really is one: a topic with replication
# factor 3 gets three replicas, three in-sync replicas and a leader on every
# partition, and records written with acks=all come back through an
# independent consumer (kcat). The failover tests rely on all of this.
# Needs: KPROD_CLUSTER_BROKERS (default: the list kafka.sh prints).
set -euo pipefail

SRC=${KPROD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
K=$SRC/scripts/kafka.sh
B=${KPROD_CLUSTER_BROKERS:-$("$K" brokers --cluster)}
TOPIC=kprod-rf3-$$-$RANDOM
PARTITIONS=6

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# wait_until TIMEOUT_S CMD...: runs CMD until it succeeds, every 0.5 s, for
# at most TIMEOUT_S seconds. Prints the output of the run that succeeded;
# at the deadline prints the last run's output and fails.
wait_until() {
    local timeout_s=$1 out
    shift
    local deadline=$((SECONDS + timeout_s))
    until out=$("$@" 2>&1); do
        if ((SECONDS >= deadline)); then
            printf '%s\n' "$out" >&2
            fail "still failing after $timeout_s s: $* (its last output above)"
        fi
        sleep 0.5 # the poll interval; the deadline bounds the wait
    done
    printf '%s\n' "$out"
}

echo "cluster $B, topic $TOPIC"
"$K" topics --bootstrap-server "$B" --create --topic "$TOPIC" \
    --partitions "$PARTITIONS" --replication-factor 3

# Checks one --describe output; prints why it is not yet right.
# Partition lines look like (TAB-separated):
#   Topic: T  Partition: 0  Leader: 2  Replicas: 2,3,1  Isr: 2,3,1  Elr:  LastKnownElr:
check_describe() {
    awk -F'\t' -v want="$PARTITIONS" '
        /Configs:/ && !/min.insync.replicas=2/ { print "min.insync.replicas is not 2: " $0; bad = 1 }
        /Partition: / {
            n++
            for (i = 1; i <= NF; i++) {
                split($i, kv, ": ")
                f[kv[1]] = kv[2]
            }
            nr = split(f["Replicas"], r, ",")
            ni = split(f["Isr"], s, ",")
            if (nr != 3) { print "partition " f["Partition"] ": " nr " replicas"; bad = 1 }
            if (ni != 3) { print "partition " f["Partition"] ": " ni " in-sync replicas"; bad = 1 }
            isrep = 0
            for (j = 1; j <= nr; j++) if (r[j] == f["Leader"]) isrep = 1
            if (!isrep) { print "partition " f["Partition"] ": leader " f["Leader"] " is not a replica"; bad = 1 }
        }
        END {
            if (n != want) { print n " partitions, want " want; bad = 1 }
            exit bad
        }'
}

# Prints the topic's --describe output; fails, saying why last, until every
# partition has its three replicas in sync and a leader among them. (Runs
# as a condition, where set -e does not apply: failures are returned.)
fully_replicated() {
    local desc why
    if ! desc=$("$K" topics --bootstrap-server "$B" --describe --topic "$TOPIC" 2>&1); then
        printf '%s\nkafka-topics --describe failed\n' "$desc"
        return 1
    fi
    printf '%s\n' "$desc"
    why=$(check_describe <<<"$desc") || {
        printf 'not fully replicated: %s\n' "$why"
        return 1
    }
}

# A new topic's replicas should be in sync at once; allow a little slack.
wait_until 30 fully_replicated

# Round trip: keyed records with acks=all, read back by kcat.
expected=$(for i in 1 2 3 4 5 6 7 8; do printf 'key-%d\tvalue-%d\n' "$i" "$i"; done)
"$K" console-producer --bootstrap-server "$B" --topic "$TOPIC" \
    --producer-property acks=all --property parse.key=true \
    --property key.separator=$'\t' <<<"$expected"

out=$("$K" consume "$TOPIC" --brokers="$B" 8)
echo "$out"
# Fields: partition offset timestamp keylen key valuelen value headers.
got=$(awk -F'\t' '{ print $5 "\t" $7 }' <<<"$out" | sort)
[[ "$got" == "$(sort <<<"$expected")" ]] || fail "records read back differ: $got"
awk -F'\t' '$4 != length($5) || $6 != length($7) { exit 1 }' <<<"$out" ||
    fail "length fields do not match keys/values"
# Offsets of each partition run 0, 1, 2, ... in the order read.
awk -F'\t' '$2 != next_off[$1]++ { exit 1 }' <<<"$out" || fail "offsets not consecutive per partition"

"$K" topics --bootstrap-server "$B" --delete --topic "$TOPIC"
echo PASS
