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
