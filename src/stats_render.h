/* A statistics snapshot and its renderings: the JSON document of
 * docs/STATISTICS.md, the flat metric list of the public API, and
 * Prometheus' text format made from that list.
 *
 * The snapshot is plain data, filled by the sender's collector
 * (sender/stats.c) on the sender thread; everything here is pure: one
 * table of fields per section drives both the JSON and the metrics, so the
 * two can never disagree.
 *
 * Thread: none of its own; a finished snapshot is read-only and may be
 * read by any number of threads. */
#ifndef KPROD_STATS_RENDER_H
#define KPROD_STATS_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"

typedef struct kp_stats_broker {
    int64_t id;
    char *host;
    char *addr; /* "host:port", the metrics' label */
    int64_t port;
    const char *state; /* static: "down", "connecting", "handshake", "up" */
    int64_t connects, disconnects;
    int64_t requests_sent, bytes_sent, responses_received, bytes_received;
    int64_t in_flight;
    int64_t rtt_avg_us, rtt_p50_us, rtt_p99_us;
    int64_t throttle_avg_ms, throttle_max_ms;
} kp_stats_broker;

typedef struct kp_stats_part {
    char *topic;
    int64_t partition, leader;
    int64_t records_waiting, bytes_waiting, batches_in_flight;
    int64_t batches_sent, records_sent, bytes_sent;
    int64_t avg_batch_records, avg_batch_bytes;
    int64_t compression_ratio_pct; /* uncompressed bytes per 100 bytes sent */
    int64_t records_acked, records_failed, batches_retried;
    int64_t latency_p50_us, latency_p99_us;
} kp_stats_part;

typedef struct kp_stats_snap {
    char *client_id;
    int64_t time_ms, uptime_ms;
    /* producer */
    int64_t records_accepted, bytes_accepted;
    int64_t records_sent, bytes_sent, batches_sent;
    int64_t records_acked, bytes_acked;
    int64_t records_failed, batches_retried;
    int64_t records_waiting, bytes_waiting;
    int64_t buffer_memory_used, buffer_memory_max;
    int64_t reports_outstanding;
    /* idempotence */
    int64_t idempotent, producer_id, producer_epoch, epoch_bumps;
    int64_t recovery_partitions_read, recovery_batches_found, recovery_batches_resent;
    int64_t recovery_reads_timed_out, recovery_reads_failed;
    /* transactions */
    int64_t transactional;
    const char *txn_state;        /* static: "uninitialized", "ready", "in_transaction", ... */
    int64_t transaction_protocol; /* 2: Transactions V2, 1: classic, 0: not known yet */
    int64_t transactions_committed, transactions_aborted;
    kp_stats_broker *brokers;
    size_t nbrokers;
    kp_stats_part *parts;
    size_t nparts;
} kp_stats_snap;

/* Frees what the snapshot holds (not the struct itself) and zeroes it. */
void kp_stats_snap_clear(kp_stats_snap *s);

/* The JSON document, NUL-terminated, the caller's to free; NULL when out
 * of memory. */
char *kp_stats_json(const kp_stats_snap *s);
/* The flat metric list (the caller frees the array; its strings point into
 * s, which must outlive it); NULL with *n 0 when out of memory. */
kprod_metric_t *kp_stats_metrics(const kp_stats_snap *s, size_t *n);
/* Prometheus' text exposition format of a metric list, every sample
 * labelled with client_id; the caller frees it. */
char *kp_stats_prometheus(const kprod_metric_t *m, size_t n, const char *client_id);

#endif
