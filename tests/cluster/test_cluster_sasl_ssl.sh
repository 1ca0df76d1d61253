#!/usr/bin/env bash
# tests/cluster/test_cluster_sasl_ssl.sh: kprod over the three-node cluster's
# SASL_SSL listeners (scripts/kafka.sh: one per node, SCRAM-SHA-512, the
# cluster's own CA and passwords): the CLI, given the Java client file as
# it is, produces to a replicated topic whose leaders are spread over the
# nodes, authenticates on every broker's connection (found through the
# metadata, as advertised on the SASL_SSL listener), and Kafka's console
# consumer reads every record back over the same listener and mechanism.
# Needs: KPROD_BIN, the cluster (scripts/kafka.sh start --cluster).
set -euo pipefail

SRC=${KPROD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
K=$SRC/scripts/kafka.sh
: "${KPROD_BIN:?KPROD_BIN must name the kprod binary}"
unset KPROD_BROKERS # the file's bootstrap.servers is the one to use
B=${KPROD_CLUSTER_BROKERS:-$("$K" brokers --cluster)}
SEC=$("$K" security-dir --cluster)
[[ -f $SEC/env ]] || { echo "FAIL: $SEC/env missing (secured listeners off?)" >&2; exit 1; }
PROPS=$SEC/client-sasl-ssl-scram-sha-512.properties
SASL_SSL=$(sed -n 's/^SASL_SSL_BROKERS=//p' "$SEC/env")
TOPIC=kprod-cluster-sasl-$$-$RANDOM
N=600
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$K" topics --bootstrap-server "$B" --delete --topic "$TOPIC" >/dev/null 2>&1 || true' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$K" topics --bootstrap-server "$B" --create --topic "$TOPIC" --partitions 6 \
    --replication-factor 3 >/dev/null
seq 1 "$N" | sed 's/^/c-/' >"$tmp/in"
# Keyed, so that every partition (and so every broker) gets records.
sed 's/^c-\(.*\)/k\1:c-\1/' "$tmp/in" >"$tmp/keyed"
"$KPROD_BIN" produce -t "$TOPIC" -F "$PROPS" -K: -X debug=security -X max.block.ms=30000 "$tmp/keyed" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "produce over SASL_SSL"; }
for at in ${SASL_SSL//,/ }; do
    grep -q "authenticated with $at as SCRAM-SHA-512 user kprod" "$tmp/err" ||
        { cat "$tmp/err" >&2; fail "no SCRAM-SHA-512 authentication with $at"; }
done
timeout 90 "$K" console-consumer --bootstrap-server "$SASL_SSL" --command-config "$PROPS" \
    --topic "$TOPIC" --from-beginning --max-messages "$N" --timeout-ms 60000 \
    >"$tmp/read" 2>"$tmp/read.err" || true
diff <(sort "$tmp/in") <(sort "$tmp/read") >/dev/null ||
    { tail -5 "$tmp/read.err" >&2; fail "read back $(wc -l <"$tmp/read") of $N records over SASL_SSL"; }
echo "ok: $N records over SASL_SSL SCRAM-SHA-512 to brokers $SASL_SSL, read back the same way"
