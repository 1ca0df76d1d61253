/* Produce (key 0), versions 3..12: the request carrying record batches and
 * its per-partition answer.
 *
 * The request is built incrementally by the sender, with the counts it
 * already knows given up front (compact array counts are varints, so
 * patching them afterwards would shift the bytes):
 *
 *     kp_produce_req_writer w;
 *     size_t start = kp_req_begin(b, KP_API_PRODUCE, ver, corr, client_id,
 *                                 kp_req_header_flexible(KP_API_PRODUCE, ver));
 *     kp_produce_req_begin(&w, b, ver, NULL, acks, timeout_ms, 1);
 *     kp_produce_req_topic(&w, "t", 2);
 *     kp_produce_req_partition(&w, 0, batch0, len0);
 *     kp_produce_req_partition(&w, 1, batch1, len1);
 *     if (kp_produce_req_end(&w) == KPROD_ERR_NO_ERROR)
 *         kp_req_end(b, start);
 *
 * Each batch is copied into b, which is normally the connection's output
 * buffer, so the request is encoded in place (see kp_conn_commit). The
 * writer checks the counts and reports any misuse at kp_produce_req_end. */
#ifndef KPROD_PROTOCOL_PRODUCE_H
#define KPROD_PROTOCOL_PRODUCE_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

typedef struct kp_produce_req_writer {
    kp_buf *b;
    int16_t version;
    int flexible;
    int32_t topics_left;     /* topics announced but not yet added */
    int32_t partitions_left; /* partitions of the current topic not yet added */
    int open_topic;          /* the current topic's tag section is owed */
    int open_partition;      /* the current partition's tag section is owed */
    kprod_err_t err;         /* first error, sticky */
} kp_produce_req_writer;

/* Starts the body in b (after kp_req_begin): TransactionalId (NULL for
 * none), Acks (0, 1 or -1), TimeoutMs, and the number of topics to follow.
 * Returns (and keeps in w->err) KPROD_ERR__INVALID_ARG for a version outside
 * 3..12, a too long id or a negative count. */
kprod_err_t kp_produce_req_begin(kp_produce_req_writer *w, kp_buf *b, int16_t version,
                                 const char *transactional_id, int16_t acks, int32_t timeout_ms,
                                 int32_t topic_count);
/* Starts the next topic (name borrowed and copied) with partition_count
 * partitions to follow. */
void kp_produce_req_topic(kp_produce_req_writer *w, const char *name, int32_t partition_count);
/* Adds a partition of the current topic with its record batch(es), copied
 * into b. records NULL with len 0 writes null records. */
void kp_produce_req_partition(kp_produce_req_writer *w, int32_t partition, const void *records,
                              size_t len);
/* Closes the body. KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG (bad
 * argument, or fewer/more topics or partitions than announced) or
 * KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_produce_req_end(kp_produce_req_writer *w);

typedef struct kp_produce_resp_record_error {
    int32_t batch_index;
    char *message; /* may be NULL */
} kp_produce_resp_record_error;

typedef struct kp_produce_resp_partition {
    int32_t index;
    int16_t error_code;
    int64_t base_offset;
    int64_t log_append_time_ms; /* -1 unless the topic uses LogAppendTime */
    int64_t log_start_offset;   /* v5+; -1 before */
    int32_t record_error_count; /* v8+ */
    kp_produce_resp_record_error *record_errors;
    char *error_message; /* v8+; may be NULL */
    /* KIP-951 (v10+, tagged): where the partition's leader moved, sent with
     * NOT_LEADER_OR_FOLLOWER and friends. -1/-1 when absent. */
    int has_current_leader;
    int32_t current_leader_id;
    int32_t current_leader_epoch;
} kp_produce_resp_partition;

typedef struct kp_produce_resp_topic {
    char *name;
    int32_t partition_count;
    kp_produce_resp_partition *partitions;
} kp_produce_resp_topic;

/* A broker endpoint (KIP-951), for the current leaders named above. */
typedef struct kp_produce_resp_node {
    int32_t node_id;
    char *host;
    int32_t port;
    char *rack; /* may be NULL */
} kp_produce_resp_node;

typedef struct kp_produce_resp {
    int32_t topic_count;
    kp_produce_resp_topic *topics;
    int32_t throttle_ms;
    int32_t node_count; /* v10+, tagged */
    kp_produce_resp_node *nodes;
} kp_produce_resp;

/* Decodes a response body of the given version into *out (free with
 * kp_produce_resp_free). Unknown tagged fields are skipped. On error *out
 * holds nothing to free. KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG,
 * KPROD_ERR__NO_MEMORY or KPROD_ERR__INVALID_ARG (version). */
kprod_err_t kp_produce_resp_decode(kp_rd *r, int16_t version, kp_produce_resp *out);
/* Frees everything *resp owns and zeroes it; a zeroed struct is fine. */
void kp_produce_resp_free(kp_produce_resp *resp);

#endif
