#!/usr/bin/env bash
# scripts/fuzz.sh: builds the libFuzzer targets (tests/fuzz/) with clang in
# build-fuzz/ and runs each for a while on a temporary copy of its corpus.
#
#   scripts/fuzz.sh [--seconds N] [--gen-corpus] [TARGET...]
#
#   TARGET        e.g. metadata or fuzz_metadata (default: every target)
#   --seconds N   how long each target runs (default 600)
#   --gen-corpus  rewrite tests/fuzz/corpus/ from the generator
#                 (tests/fuzz/gen_corpus.c) and exit; nothing is fuzzed
#   -h, --help
#
# Each target starts from tests/fuzz/corpus/TARGET plus the generator's
# seeds, copied to a temporary directory: the inputs a run discovers are
# not added to the repository. Per target it prints executions, exec/s,
# libFuzzer's final coverage (cov: edges, ft: features) and corpus size,
# or the finding (crash, leak, timeout, out of memory, a KPF_CHECK) with
# its report's summary. A finding's input is kept in
# build-fuzz/findings/TARGET/; reproduce with
#   build-fuzz/tests/fuzz/fuzz_TARGET build-fuzz/findings/TARGET/crash-...
# Exit status: 0 when no target found anything, 1 on a finding, 2 on a
# usage or build error. Environment: KPROD_FUZZ_DIR (build-fuzz),
# KPROD_FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${KPROD_FUZZ_DIR:-build-fuzz}
seconds=600
gen_only=0
targets=()
while (($# > 0)); do
    case $1 in
    --seconds)
        [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds needs a number" >&2; exit 2; }
        seconds=$2
        shift
        ;;
    --seconds=*)
        seconds=${1#--seconds=}
        [[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds needs a number" >&2; exit 2; }
        ;;
    --gen-corpus) gen_only=1 ;;
    -h | --help)
        sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "fuzz.sh: unknown option '$1' (see --help)" >&2
        exit 2
        ;;
    *) targets+=("${1#fuzz_}") ;;
    esac
    shift
done

command -v clang >/dev/null || {
    echo "fuzz.sh: clang not found (scripts/install-deps.sh installs it)" >&2
    exit 2
}

echo "fuzz.sh: building $BUILD (clang, -DKPROD_FUZZ=ON)"
if ! { CC=clang cmake -S . -B "$BUILD" -G Ninja -DKPROD_FUZZ=ON -DKPROD_BENCH=OFF >/dev/null &&
    cmake --build "$BUILD" --target fuzz; }; then
    echo "fuzz.sh: build failed" >&2
    exit 2
fi
BIN=$BUILD/tests/fuzz

if ((gen_only)); then
    rm -rf tests/fuzz/corpus
    "$BIN/fuzz_gen_corpus" tests/fuzz/corpus
    rm -f tests/fuzz/corpus/props.dict # regenerated on every run
    echo "fuzz.sh: wrote tests/fuzz/corpus/ ($(find tests/fuzz/corpus -type f | wc -l) seeds)"
    exit 0
fi

all=()
for f in tests/fuzz/fuzz_*.c; do
    n=${f##*/fuzz_}
    all+=("${n%.c}")
done
if ((${#targets[@]} == 0)); then
    targets=("${all[@]}")
fi
for t in "${targets[@]}"; do
    [[ -x $BIN/fuzz_$t ]] || {
        echo "fuzz.sh: no target '$t' (have: ${all[*]})" >&2
        exit 2
    }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kprod-fuzz.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
"$BIN/fuzz_gen_corpus" "$TMP/seeds" >/dev/null

# Symbolized reports; leaks are findings; a finding stops the run at once.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

found=()
summary=()
for t in "${targets[@]}"; do
    corpus=$TMP/$t/corpus
    rm -rf "${BUILD:?}/findings/$t" # what an earlier run found
    mkdir -p "$corpus" "$TMP/$t/artifacts"
    [[ -d tests/fuzz/corpus/$t ]] && cp -R tests/fuzz/corpus/"$t"/. "$corpus"/
    [[ -d $TMP/seeds/$t ]] && cp -R "$TMP/seeds/$t"/. "$corpus"/
    args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$TMP/$t/artifacts/")
    [[ $t == props ]] && args+=(-dict="$TMP/seeds/props.dict")
    echo
    echo "=== fuzz_$t: ${seconds}s, $(find "$corpus" -type f | wc -l) seeds"
    log=$TMP/$t/log
    rc=0
    # shellcheck disable=SC2086  # KPROD_FUZZ_ARGS: words on purpose
    "$BIN/fuzz_$t" "${args[@]}" ${KPROD_FUZZ_ARGS:-} "$corpus" >"$log" 2>&1 || rc=$?
    # The last status line ("#N DONE cov: .. ft: .. corp: ..", or the last
    # pulse before a finding) and the final stats.
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    [[ -n $execs ]] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
    line="fuzz_$t: ${execs:-?} execs (${eps:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
    artifacts=("$TMP/$t/artifacts"/*)
    if ((rc != 0)) || [[ -e ${artifacts[0]} ]]; then
        mkdir -p "$BUILD/findings/$t"
        kept=()
        for a in "${artifacts[@]}"; do
            [[ -e $a ]] || continue
            cp "$a" "$BUILD/findings/$t/"
            kept+=("$BUILD/findings/$t/${a##*/}")
        done
        cp "$log" "$BUILD/findings/$t/log"
        echo "$line"
        echo "FINDING in fuzz_$t (exit $rc); report: $BUILD/findings/$t/log"
        grep -E 'ERROR: |SUMMARY: |KPF_CHECK failed|runtime error|^==[0-9]+==.*(leak|timeout|out-of-memory)' \
            "$log" | head -8 || true
        grep -E '^ +#[0-9]+ ' "$log" | head -8 || true
        for k in "${kept[@]}"; do echo "input: $k"; done
        found+=("$t")
        summary+=("$line  FINDING")
    else
        echo "$line"
        summary+=("$line")
    fi
done

echo
echo "=== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if ((${#found[@]} > 0)); then
    echo "fuzz.sh: findings in: ${found[*]} (inputs and logs in $BUILD/findings/)"
    exit 1
fi
echo "fuzz.sh: no findings"
