#!/usr/bin/env bash
# scripts/demo.sh: shows kprod talking to a real Kafka broker from a clean
# checkout: installs dependencies, builds (build/), starts the single broker
# (left running; stop it with scripts/kafka.sh stop), creates the topic
# kprod-demo (3 partitions) if missing, and asks the broker for its metadata
# with the kprod tool.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
K=$ROOT/scripts/kafka.sh
TOPIC=${KPROD_DEMO_TOPIC:-kprod-demo}

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DKPROD_WERROR=ON >/dev/null
cmake --build build
bash "$K" start
B=$(bash "$K" brokers)

if ! bash "$K" topics --bootstrap-server "$B" --list | grep -qx "$TOPIC"; then
    bash "$K" topics --bootstrap-server "$B" --create --topic "$TOPIC" \
        --partitions 3 --replication-factor 1
fi

if [[ ! -x build/kprod ]]; then
    echo "demo: build/kprod does not exist yet (the kprod tool, tools/kprod/, is not written yet)" >&2
    exit 1
fi
echo "+ build/kprod metadata -b $B"
build/kprod metadata -b "$B"
