#!/usr/bin/env bash
# scripts/install-deps.sh: installs what building and testing kprod needs
# (Debian/Ubuntu packages, then the Kafka broker's jars via kafka.sh install).
# Only missing packages are installed, so a second run does no apt work and
# takes about a second. As root it runs apt-get itself; otherwise it prints the
# command to run with sudo and fails, unless everything is already there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# build: compiler, CMake + Ninja, pkg-config, compression libraries;
# tests: cmocka, librdkafka (its mock cluster) and kcat (an independent
# consumer), clang-format; fuzzing (scripts/fuzz.sh): clang, its runtime
# libraries (libFuzzer, ASan, UBSan: Debian ships them in libclang-rt-dev,
# only recommended by clang) and llvm for llvm-symbolizer (readable
# reports); the Kafka broker: a Java 17 runtime and Maven.
PACKAGES=(
    build-essential cmake ninja-build pkg-config
    zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libssl-dev
    libcmocka-dev librdkafka-dev kcat clang-format
    clang libclang-rt-dev llvm
    openjdk-17-jre-headless maven
)

installed() { # package
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# Kafka 4 needs Java 17 or newer; any such java on PATH will do.
java_ok() {
    local v
    command -v java >/dev/null || return 1
    v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    [[ -n $v && ${v%%.*} -ge 17 ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
    case $p in
    openjdk-17-jre-headless) java_ok && continue ;;
    maven) command -v mvn >/dev/null && continue ;;
    esac
    installed "$p" || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
    if ((EUID != 0)); then
        echo "install-deps: missing packages: ${missing[*]}" >&2
        echo "install-deps: run as root, or:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    command -v apt-get >/dev/null || {
        echo "install-deps: no apt-get here; install by hand: ${missing[*]}" >&2
        exit 1
    }
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "install-deps: all packages present"
fi

bash "$ROOT/scripts/kafka.sh" install
