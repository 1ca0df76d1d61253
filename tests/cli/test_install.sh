#!/usr/bin/env bash
# tests/cli/test_install.sh: `cmake --install` into a fresh prefix gives
# another project what it needs to use kprod every way the README says:
#   1. pkg-config, shared library, with -Wl,-rpath (no LD_LIBRARY_PATH);
#   2. pkg-config --static, a fully static program (-static: the codecs'
#      archives and snappy's C++ runtime come from Libs.private and
#      Requires.private);
#   3. CMake find_package(kprod) with kprod::kprod (the build tree's RPATH
#      finds the library: no LD_LIBRARY_PATH);
#   4. CMake with kprod::kprod_static (the package finds zstd, lz4, snappy,
#      zlib and threads itself);
# and the installed kprod tool runs from the prefix. The program creates a
# producer (so that the whole library, codecs included, is linked in) and
# closes it: no broker needed.
set -euo pipefail

SRC=${KPROD_SRC:?KPROD_SRC must name the repository}
BUILD=$(dirname "${KPROD_BIN:?KPROD_BIN must name the built kprod tool}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
P=$WORK/prefix

cmake --install "$BUILD" --prefix "$P" >/dev/null

cat >"$WORK/app.c" <<'C'
#include <kprod.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    char err[256];
    kprod_conf_t *conf = kprod_conf_new();
    kprod_t *p = NULL;
    if (kprod_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof(err)) ||
        kprod_conf_set(conf, "compression.type", "snappy", err, sizeof(err)) ||
        kprod_new(conf, &p, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    kprod_close(p, 0);
    printf("%s %s\n", kprod_version(), kprod_err_name(KPROD_ERR_NOT_LEADER_OR_FOLLOWER));
    return strcmp(kprod_err_name(KPROD_ERR__TIMED_OUT), "_TIMED_OUT") != 0;
}
C

passed=0
check_run() { # NAME BINARY
    local out
    if ! out=$(env -u LD_LIBRARY_PATH "$2" 2>&1) || [[ $out != *" NOT_LEADER_OR_FOLLOWER" ]]; then
        echo "FAIL: $1: the program printed '$out'"
        exit 1
    fi
    passed=$((passed + 1))
}

export PKG_CONFIG_PATH="$P/lib/pkgconfig:$P/lib/x86_64-linux-gnu/pkgconfig"
# KPROD_TEST_CFLAGS: the sanitizer flags of the tree under test, if any.
CFLAGS_SAN=${KPROD_TEST_CFLAGS:-}

# 1. pkg-config, shared, found at run time through the RPATH the README shows.
libdir=$(pkg-config --variable=libdir kprod)
# shellcheck disable=SC2086 # word splitting of the flag lists is wanted
cc $CFLAGS_SAN -o "$WORK/app-pc" "$WORK/app.c" $(pkg-config --cflags --libs kprod) \
    -Wl,-rpath,"$libdir"
check_run "pkg-config shared" "$WORK/app-pc"

# 2. pkg-config --static: a fully static program (not with sanitizers, whose
# runtimes cannot be linked statically).
if [[ -z $CFLAGS_SAN ]]; then
    # shellcheck disable=SC2086
    if ! cc -static -o "$WORK/app-static" "$WORK/app.c" $(pkg-config --cflags --libs --static kprod) \
        2>"$WORK/static.err"; then
        grep -v 'statically linked applications requires' "$WORK/static.err" | head -20
        echo "FAIL: cc -static with pkg-config --static --libs kprod: $(pkg-config --libs --static kprod)"
        exit 1
    fi
    if ldd "$WORK/app-static" >/dev/null 2>&1; then
        echo "FAIL: the -static program has dynamic dependencies: $(ldd "$WORK/app-static")"
        exit 1
    fi
    check_run "pkg-config --static" "$WORK/app-static"
fi

# 3. and 4. CMake, shared and static targets.
for target in kprod kprod_static; do
    d=$WORK/cm-$target
    mkdir -p "$d"
    cat >"$d/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(app C)
find_package(kprod 0.1 REQUIRED)
add_executable(app $WORK/app.c)
target_link_libraries(app kprod::$target)
CM
    if ! cmake -S "$d" -B "$d/build" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_FLAGS="$CFLAGS_SAN" \
        -DCMAKE_EXE_LINKER_FLAGS="$CFLAGS_SAN" >"$d/configure.log" 2>&1 ||
        ! cmake --build "$d/build" >"$d/build.log" 2>&1; then
        tail -n 30 "$d/configure.log" "$d/build.log" 2>/dev/null
        echo "FAIL: a CMake project linking kprod::$target does not configure or build"
        exit 1
    fi
    check_run "CMake kprod::$target" "$d/build/app"
done

# The installed tool runs from the prefix.
"$P/bin/kprod" --version | grep -q '^kprod ' || { echo "FAIL: $P/bin/kprod --version"; exit 1; }
passed=$((passed + 1))

echo "install: $passed ways of building against and running the installed kprod work"
