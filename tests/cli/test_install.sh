#!/usr/bin/env bash
# tests/cli/test_install.sh: `cmake --install` gives another project what it
# needs to use kprod both ways: pkg-config (kprod.pc) and CMake
# (find_package(kprod) with the kprod::kprod and kprod::kprod_static targets).
# Builds a small program each way against a fresh install prefix and runs it
# (it only calls kprod_version and kprod_err_name: no broker needed).
set -euo pipefail

SRC=${KPROD_SRC:?KPROD_SRC must name the repository}
BUILD=$(dirname "${KPROD_BIN:?KPROD_BIN must name the built kprod tool}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null

cat >"$WORK/app.c" <<'C'
#include <kprod.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    printf("%s %s\n", kprod_version(), kprod_err_name(KPROD_ERR_NOT_LEADER_OR_FOLLOWER));
    return strcmp(kprod_err_name(KPROD_ERR__TIMED_OUT), "_TIMED_OUT") != 0;
}
C

# 1. pkg-config, static link (Libs.private brings the codec libraries).
export PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig:$WORK/prefix/lib/x86_64-linux-gnu/pkgconfig"
cc -o "$WORK/app-pc" "$WORK/app.c" $(pkg-config --cflags kprod) \
    $(pkg-config --libs --static kprod | sed 's/-lkprod/-l:libkprod.a/')
out=$("$WORK/app-pc")
[[ $out == *" NOT_LEADER_OR_FOLLOWER" ]] || { echo "FAIL: pkg-config build printed '$out'"; exit 1; }

# 2. CMake package, shared library.
mkdir -p "$WORK/cm"
cat >"$WORK/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(app C)
find_package(kprod REQUIRED)
add_executable(app $WORK/app.c)
target_link_libraries(app kprod::kprod)
CM
cmake -S "$WORK/cm" -B "$WORK/cm/build" -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/cm/build" >/dev/null
out=$(LD_LIBRARY_PATH="$WORK/prefix/lib:$WORK/prefix/lib/x86_64-linux-gnu" "$WORK/cm/build/app")
[[ $out == *" NOT_LEADER_OR_FOLLOWER" ]] || { echo "FAIL: CMake build printed '$out'"; exit 1; }
echo "install: pkg-config and find_package(kprod) both build and run ($out)"
