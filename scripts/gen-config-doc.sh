#!/usr/bin/env bash
# Regenerates docs/CONFIGURATION.md from the property table (src/config_table.c).
# The unit test test_config fails until the document matches the table.
# Usage: scripts/gen-config-doc.sh [build-dir]   (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
    cmake -S "$root" -B "$build" -G Ninja
fi
cmake --build "$build" --target test_config
"$build/tests/test_config" --write-doc > "$root/docs/CONFIGURATION.md"
echo "wrote $root/docs/CONFIGURATION.md"
