#!/usr/bin/env bash
# The Debian packages: a Release build configured for /usr, `cpack -G DEB`,
# and the three packages it must make (libkprod0: the shared library;
# libkprod-dev: header, static library, pkg-config file, CMake package;
# kprod: the tool), each with the files it should hold. They are installed
# with dpkg on this machine, examples/produce.c is compiled against them
# (pkg-config, as the README says, and a CMake project with
# kprod::kprod_static) and run against the broker, /usr/bin/kprod runs, and
# the packages are removed again at the end (unless they were installed
# before the test). Needs root for dpkg -i (CI runs as root): otherwise it
# says so and is skipped (exit 77). In a sanitizer tree it is skipped too:
# the packages are built from their own Release tree either way.
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ((EUID != 0)); then
    echo "SKIP: test_deb installs packages with dpkg -i and needs root (CI runs as root)"
    exit 77
fi
if [[ -n ${KPROD_TEST_CFLAGS:-} ]]; then
    echo "SKIP: test_deb builds its own Release tree; run from the plain build tree"
    exit 77
fi
for tool in cpack dpkg-deb dpkg-shlibdeps; do
    command -v $tool >/dev/null || { echo "FAIL: $tool not found (scripts/install-deps.sh)"; exit 1; }
done

PKGS=(libkprod0 libkprod-dev kprod)
preinstalled=0
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && preinstalled=1
done
remove_pkgs() {
    ((preinstalled)) || dpkg -P "${PKGS[@]}" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap remove_pkgs EXIT

# ---- build and package ----
B=$tmp/build
if ! cmake -S "$KPROD_SRC" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DKPROD_TESTS=OFF -DKPROD_BENCH=OFF >"$tmp/configure.log" 2>&1 ||
    ! cmake --build "$B" -j2 >"$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/configure.log" "$tmp/build.log"
    echo "FAIL: Release build for the packages"
    exit 1
fi
if (cd "$B" && cpack -G DEB) >"$tmp/cpack.log" 2>&1; then ok; else
    fail "cpack -G DEB"
    tail -n 30 "$tmp/cpack.log"
    summary
    exit 1
fi
declare -A deb
for p in "${PKGS[@]}"; do
    f=$(ls "$B"/"${p}"_*.deb 2>/dev/null | head -n 1)
    if [[ -n $f ]] && [[ $(dpkg-deb -f "$f" Package) == "$p" ]]; then
        ok
        deb[$p]=$f
    else
        fail "no package $p among: $(ls "$B"/*.deb 2>/dev/null | xargs -n1 basename | tr '\n' ' ')"
    fi
done
((failed == 0)) || { summary; exit 1; }

# contains PACKAGE REGEX...: each regex matches a path in the package.
contains() {
    local p=$1 re
    shift
    # The path is the last field, or the one before "-> TARGET" for a link.
    dpkg-deb -c "${deb[$p]}" | awk '{ print ($(NF - 1) == "->" ? $(NF - 2) : $NF) }' >"$tmp/$p.files"
    for re in "$@"; do
        grep -qE "$re" "$tmp/$p.files" && ok || { fail "$p: no file matching $re"; cat "$tmp/$p.files"; }
    done
}
contains libkprod0 '^\./usr/lib/.*libkprod\.so\.0$' '^\./usr/lib/.*libkprod\.so\.0\.1\.0$' \
    '^\./usr/share/doc/libkprod0/copyright$'
contains libkprod-dev '^\./usr/include/kprod\.h$' '^\./usr/lib/.*libkprod\.a$' \
    '^\./usr/lib/.*libkprod\.so$' '^\./usr/lib/.*pkgconfig/kprod\.pc$' \
    '^\./usr/lib/.*cmake/kprod/kprodConfig\.cmake$' '^\./usr/lib/.*cmake/kprod/FindkprodCodecs\.cmake$'
contains kprod '^\./usr/bin/kprod$' '^\./usr/share/doc/kprod/copyright$'
grep -q 'libkprod\.so\.0' "$tmp/kprod.files" && fail "kprod: holds the library" || ok
dpkg-deb -f "${deb[libkprod-dev]}" Depends | grep -q 'libkprod0 (= ' && ok ||
    fail "libkprod-dev does not depend on its libkprod0: $(dpkg-deb -f "${deb[libkprod-dev]}" Depends)"

# ---- install ----
if dpkg -i "${deb[libkprod0]}" "${deb[libkprod-dev]}" "${deb[kprod]}" >"$tmp/dpkg.log" 2>&1; then ok; else
    fail "dpkg -i"
    tail -n 20 "$tmp/dpkg.log"
    summary
    exit 1
fi
/usr/bin/kprod --version | grep -q '^kprod 0\.' && ok || fail "/usr/bin/kprod --version"

# ---- examples/produce.c against the installed packages ----
topic=$(new_topic kprod_deb 3) || exit 1
# shellcheck disable=SC2046 # word splitting of the flag lists is wanted
if env -u PKG_CONFIG_PATH cc -o "$tmp/produce" "$KPROD_SRC/examples/produce.c" \
    $(env -u PKG_CONFIG_PATH pkg-config --cflags --libs kprod) 2>"$tmp/cc.err"; then ok; else
    fail "cc examples/produce.c \$(pkg-config --cflags --libs kprod)"
    show "$tmp/cc.err"
fi
ldd "$tmp/produce" | grep -qE 'libkprod\.so\.0 => /(usr/)?lib/' && ok ||
    { fail "the example does not use the packaged libkprod.so.0"; ldd "$tmp/produce"; }
mkdir -p "$tmp/cm"
cat >"$tmp/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(example C)
find_package(kprod REQUIRED)
add_executable(produce $KPROD_SRC/examples/produce.c)
target_link_libraries(produce kprod::kprod_static)
CM
if cmake -S "$tmp/cm" -B "$tmp/cm/build" >"$tmp/cm.log" 2>&1 && cmake --build "$tmp/cm/build" >>"$tmp/cm.log" 2>&1; then
    ok
else
    fail "a CMake project with find_package(kprod) and kprod::kprod_static"
    tail -n 20 "$tmp/cm.log"
fi
for bin in "$tmp/produce" "$tmp/cm/build/produce"; do
    [[ -x $bin ]] || continue
    if timeout 60 "$bin" "$BROKERS" "$topic" >"$tmp/run.out" 2>"$tmp/run.err"; then ok; else
        fail "$bin $BROKERS $topic: exit status $?"
        show "$tmp/run.err"
    fi
    n=$(grep -cE "^record [0-9] \(key [a-z]+\): delivered to $topic \[[0-2]\] at offset [0-9]+$" "$tmp/run.out")
    [[ $n == 5 ]] && ok || { fail "$bin: $n records delivered, expected 5"; show "$tmp/run.out"; }
done
# Ten records in the topic, as kcat reads them.
read_back "$topic" 10 >"$tmp/got" && [[ $(wc -l <"$tmp/got") == 10 ]] && ok || fail "read back 10 records"

summary
