#!/usr/bin/env bash
# tests/security/check_secrets.sh LOG...: fails when any LOG holds a secret
# of the test run: the passwords scripts/kafka.sh made for the secured
# listeners (single and cluster), and the fixed ones the tests hand to
# kprod. Run by scripts/test.sh over the whole run's output and every
# ctest log (which keeps the output of passing tests too).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN_DIR=${KPROD_KAFKA_DIR:-$ROOT/.kafka}
secrets=(hunter2-s3cret wrong-pw-4c1e7d cli-s3cret- s3cret-jaas s3cret-pw)
for env in "$RUN_DIR/single/security/env" "$RUN_DIR/cluster/security/env"; do
    [[ -f $env ]] || continue
    for key in PASSWORD STORE_PASSWORD; do
        v=$(sed -n "s/^$key=//p" "$env")
        [[ -n $v ]] && secrets+=("$v")
    done
done
# Those of listeners formatted afresh during the run (scripts/test.sh).
if [[ -n ${KPROD_OLD_SECRETS:-} && -f $KPROD_OLD_SECRETS ]]; then
    while IFS= read -r v; do [[ -n $v ]] && secrets+=("$v"); done <"$KPROD_OLD_SECRETS"
fi
args=()
for s in "${secrets[@]}"; do args+=(-e "$s"); done
found=0
for log in "$@"; do
    [[ -f $log ]] || continue
    n=$(grep -cF "${args[@]}" "$log")
    if ((n > 0)); then
        echo "check_secrets: $log: $n line(s) hold a secret (the lines are not shown)"
        found=1
    fi
done
((found == 0)) && echo "check_secrets: no secret in $# log(s) (${#secrets[@]} secrets checked)"
exit $found
