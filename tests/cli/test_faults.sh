#!/usr/bin/env bash
# The fault harness (scripts/faults.sh) once on the single broker with kprod
# as the producer: 100,000 records through a proxy that drops connections
# after the broker answered and holds answers past request.timeout.ms,
# while the broker is killed with SIGKILL and restarted on its data. Every
# record must be reported delivered, found exactly once and in order by
# `kprod verify` and by kcat, and every report's offset must be where the
# record is. The seed changes with the CI run's day (KPROD_FAULTS_SEED to
# pin it); scripts/faults.sh runs five seeds and the Java and librdkafka
# producers beside it.
# Note: it kills and restarts the single broker the other tests use; the
# broker is back (scripts/kafka.sh start --keep-data) before it ends.
# Env: KPROD_BIN, KPROD_SRC (from CTest); the broker ports of
# scripts/kafka.sh (KPROD_KAFKA_PORT, ...).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seed=${KPROD_FAULTS_SEED:-$((($(date +%j) % 5) + 1))}
if timeout 540 bash "$KPROD_SRC/scripts/faults.sh" --setup single --producer kprod \
    --seed "$seed" --check --build "$(dirname "$KPROD_BIN")" >"$tmp/out" 2>&1; then
    ok
else
    fail "scripts/faults.sh --setup single --seed $seed"
fi
cat "$tmp/out"
bash "$KPROD_SRC/scripts/kafka.sh" start --keep-data >/dev/null 2>&1 || fail "the broker is not back"
summary
