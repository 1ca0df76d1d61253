/* A producer batch: the records of one partition encoded once, in wire form,
 * plus what is needed to report each of them. It travels from the
 * accumulator (open, then ready) to the sender (in flight, maybe retried) to
 * the report queue (done) and is freed when its reports have been served. */
#ifndef KPROD_BATCH_H
#define KPROD_BATCH_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"
#include "protocol/record_batch.h"

struct kp_flush_epoch; /* the accumulator's */

/* Per-record facts kept for the report; the record itself is in the batch. */
typedef struct kp_recmeta {
    kprod_delivery_cb cb;
    void *opaque;
    int64_t timestamp_ms;
} kp_recmeta;

typedef struct kp_batch {
    struct kp_batch *next;  /* link in whichever queue holds it */
    const char *topic_name; /* lives as long as the accumulator */
    uint32_t topic_id;      /* the accumulator's dense topic number, from 0 */
    int32_t partition;
    uint64_t id; /* creation order, producer-wide */

    kp_rb_writer w;   /* the records, encoded */
    kp_recmeta *meta; /* one per record */
    int32_t meta_cap;
    size_t mem;         /* bytes charged to buffer.memory (buffer + report facts) */
    size_t rec_bytes;   /* the records' encoded bytes, uncompressed (statistics) */
    size_t buf_mem;     /* the buffer's part of mem, until the batch completes */
    int closed;         /* no more appends (full, or drained) */
    int64_t created_ms; /* first append: linger.ms and delivery.timeout.ms start here */
    struct kp_flush_epoch *epoch;

    /* sending */
    int attempts;
    int64_t retry_at_ms;
    int32_t base_seq; /* idempotence: valid while seq_gen is the producer's */
    uint32_t seq_gen; /* idempotence: the sequence generation base_seq belongs to */
    int sealed;
    const uint8_t *wire; /* the finished batch bytes (in w.buf once sealed) */
    size_t wire_len;

    /* outcome */
    kprod_err_t err;
    char *errstr; /* what is known of the last failure (heap, NULL none): the report's text */
    int64_t base_offset;
    int64_t log_append_time;
    int possibly_persisted;
} kp_batch;

#endif
