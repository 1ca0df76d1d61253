#!/usr/bin/env bash
# The fault harness (scripts/faults.sh) once on the three-node cluster with
# kprod as the producer: a topic with replication factor 3, 100,000 records
# through one proxy per broker (connections dropped after the broker
# answered, answers held past request.timeout.ms), the leader of partition
# 0 killed with SIGKILL, restarted on its data and made leader again.
# Every record must be reported delivered, found exactly once and in order
# by `kprod verify` and by kcat, each report's offset where the record is.
# Seed as tests/cli/test_faults.sh.
# Env: KPROD_BIN, KPROD_SRC (from CTest); the cluster ports of
# scripts/kafka.sh (KPROD_CLUSTER_PORT, ...).
set -u
SRC=${KPROD_SRC:?}
seed=${KPROD_FAULTS_SEED:-$((($(date +%j) % 5) + 1))}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 540 bash "$SRC/scripts/faults.sh" --setup cluster --producer kprod --seed "$seed" \
    --check --build "$(dirname "${KPROD_BIN:?}")" >"$out" 2>&1
rc=$?
cat "$out"
bash "$SRC/scripts/kafka.sh" start --cluster --keep-data >/dev/null 2>&1 || { echo "FAIL: the cluster is not back"; rc=1; }
exit $rc
