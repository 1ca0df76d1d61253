#!/usr/bin/env bash
# scripts/format.sh: formats kprod's C sources with clang-format and the
# repository's .clang-format, so style is decided by a tool, not by review.
#   scripts/format.sh           rewrite files in place
#   scripts/format.sh --check   change nothing; list unformatted files and
#                               exit 1 if any (scripts/test.sh runs this)
#   --all                       also take the files in .clang-format-ignore
# Files: *.c and *.h under src/ include/ tools/ tests/ examples/ bench/, tracked by
# git or new (not ignored). Paths listed in .clang-format-ignore (one per line,
# '#' comments) are skipped: files not yet formatted whose owners will
# format them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
check=0 all=0
for a in "$@"; do
    case $a in
    --check) check=1 ;;
    --all) all=1 ;;
    -h | --help)
        sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "format.sh: unknown argument '$a'" >&2
        exit 2
        ;;
    esac
done
command -v clang-format >/dev/null || {
    echo "format.sh: clang-format not found: run scripts/install-deps.sh" >&2
    exit 1
}

list_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -co --exclude-standard -- src include tools tests examples bench |
            grep -E '\.[ch]$' || true
    else
        find src include tools tests examples bench -name '*.[ch]' 2>/dev/null | sort
    fi
}

declare -A skip=()
if ((all == 0)) && [[ -f .clang-format-ignore ]]; then
    while read -r line; do
        line=${line%%#*}
        line=${line//[[:space:]]/}
        [[ -n $line ]] && skip[$line]=1
    done <.clang-format-ignore
fi

files=()
while read -r f; do
    [[ -n $f && -f $f && -z ${skip[$f]:-} ]] && files+=("$f")
done < <(list_files)
((${#files[@]} > 0)) || exit 0

if ((check == 0)); then
    clang-format -i "${files[@]}"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    clang-format "$f" | cmp -s - "$f" || bad+=("$f")
done
if ((${#bad[@]} > 0)); then
    echo "format.sh: not formatted (run scripts/format.sh, see the diff with clang-format FILE | diff FILE -):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "format.sh: ${#files[@]} files checked, all formatted"
