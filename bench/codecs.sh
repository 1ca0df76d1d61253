#!/usr/bin/env bash
# bench/codecs.sh: compression ratio and throughput per codec, kprod next to
# librdkafka, on the real Kafka broker, with a realistic payload: JSON-like
# log lines of 200 to 1,000 bytes (generated here, the same file for both
# clients).
#
# For each codec (none, gzip, snappy, lz4, zstd) and client, it produces
# N records (default 200,000) into a fresh single-partition topic whose
# compression.type is `producer`, then reads how many bytes the broker
# stored for them (the partition's .log files, so the figure is what really
# went through the broker) and prints a markdown table:
#   ratio = payload bytes / bytes stored; records/s and MB/s of payload.
# Needs the binaries of bench/run.sh's Release tree (build-bench/) or
# --bin-dir DIR, and the single broker of scripts/kafka.sh (started if
# down; KPROD_KAFKA_PORT / KPROD_KAFKA_DIR as there).
#
# Usage: bench/codecs.sh [-n RECORDS] [--bin-dir DIR] [--rounds R]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K=$ROOT/scripts/kafka.sh
n=200000
bin_dir=$ROOT/build-bench
rounds=1
while (($# > 0)); do
    case $1 in
    -n) n=$2; shift ;;
    --bin-dir) bin_dir=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "codecs.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
if [[ ! -x $bin_dir/kprod || ! -x $bin_dir/bench/rdkafka_perf ]]; then
    cmake -S "$ROOT" -B "$bin_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKPROD_TESTS=OFF >/dev/null
    cmake --build "$bin_dir" >/dev/null
fi
bash "$K" status --single >/dev/null 2>&1 || bash "$K" start >/dev/null
B=$(bash "$K" brokers)
data_dir=${KPROD_KAFKA_DIR:-$ROOT/.kafka}/single/data

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# JSON-like log lines, 200-1,000 bytes, deterministic.
awk 'BEGIN {
    srand(7);
    split("info warn error debug", lv, " ");
    split("checkout payments search auth inventory shipping", sv, " ");
    split("order processed|cache miss for key|request completed|retrying upstream call|user logged in|stock level updated", mv, "|");
    for (i = 0; i < 20000; i++) {
        line = sprintf("{\"ts\":\"2026-11-26T12:%02d:%02d.%03dZ\",\"level\":\"%s\",\"service\":\"%s\",\"host\":\"node-%d\",\"trace\":\"%08x%08x\",\"msg\":\"%s %d\"",
            i % 60, (i * 7) % 60, i % 1000, lv[1 + i % 4], sv[1 + i % 6], i % 17, int(rand() * 2^31), int(rand() * 2^31), mv[1 + i % 6], int(rand() * 100000));
        want = 200 + int(rand() * 800);
        k = 0;
        while (length(line) < want - 40) {
            line = line sprintf(",\"f%d\":\"%s-%d\"", k, sv[1 + (i + k) % 6], int(rand() * 1000));
            k++;
        }
        print line "}";
    }
}' >"$work/payload.jsonl"

# The settings bench/run.sh gives both clients (its notes say why): the
# defaults differ a lot (librdkafka: a million requests in flight, a queue
# of 100,000 records or 1 GiB).
printf '| codec | client | records/s | MB/s (payload) | payload bytes | stored bytes | ratio |\n'
printf '|---|---|--:|--:|--:|--:|--:|\n'
for codec in none gzip snappy lz4 zstd; do
    for client in kprod librdkafka; do
        for ((r = 0; r < rounds; r++)); do
            topic=codec-$codec-$client-$$-$r
            bash "$K" topics --bootstrap-server "$B" --create --topic "$topic" --partitions 1 \
                --replication-factor 1 --config compression.type=producer >/dev/null 2>&1
            if [[ $client == kprod ]]; then bin=$bin_dir/kprod; args=(perf); else
                bin=$bin_dir/bench/rdkafka_perf; args=(); fi
            res=$("$bin" "${args[@]}" -b "$B" -t "$topic" -n "$n" --payload-file "$work/payload.jsonl" \
                -X acks=1 -X enable.idempotence=false -X linger.ms=5 -X batch.size=16384 \
                -X max.in.flight.requests.per.connection=5 -X buffer.memory=33554432 \
                -X compression.type="$codec" -q 2>&1 | grep '^RESULT') || {
                echo "codecs.sh: $client $codec failed" >&2
                exit 1
            }
            get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$res"; }
            [[ $(get ok) == 1 ]] || { echo "codecs.sh: $client $codec: not every record delivered" >&2; exit 1; }
            rps=$(get records_per_s)
            payload=$(get bytes)
            secs=$(get secs)
            # Bytes the broker stored: the partition's segment files.
            stored=$(find "$data_dir/$topic-0" -name '*.log' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
            awk -v c="$codec" -v cl="$client" -v rps="$rps" -v pb="$payload" -v st="$stored" -v s="$secs" \
                'BEGIN { printf "| %s | %s | %.0f | %.1f | %d | %d | %.2f |\n", c, cl, rps, pb / s / 1e6, pb, st, pb / st }'
        done
    done
done
