/* Fetch (key 1), versions 4..18, as a consumer sends it (no fetch session,
 * no follower fields): read a partition's record batches back, e.g. to
 * learn which batches of a producer a partition holds (walk them with
 * kp_batch_iter, batch_iter.h).
 *
 * Up to v12 topics are named; from v13 they are identified by their topic
 * id (KIP-516; Metadata v10+ gives it). The caller passes both and the
 * encoder takes the one its version needs; the response gives back what
 * the version carries.
 *
 * The decoded response copies names and arrays, but each partition's
 * records are a pointer into the response buffer, valid as long as that
 * buffer is. */
#ifndef KPROD_PROTOCOL_FETCH_H
#define KPROD_PROTOCOL_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/api_keys.h"
#include "protocol/buf.h"

typedef struct kp_fetch_req_partition {
    int32_t partition;
    int32_t current_leader_epoch; /* v9+; -1 when unknown (no fencing) */
    int64_t fetch_offset;
    int32_t last_fetched_epoch; /* v12+; -1 when none */
    int32_t partition_max_bytes;
} kp_fetch_req_partition;

typedef struct kp_fetch_req_topic {
    const char *topic;                        /* used up to v12 */
    uint8_t topic_id[16];                     /* used from v13; must not be all zeros there */
    const kp_fetch_req_partition *partitions; /* partition_count (NULL when 0) */
    int32_t partition_count;
} kp_fetch_req_topic;

typedef struct kp_fetch_req {
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes;                /* for the whole response */
    int8_t isolation_level;           /* KP_READ_UNCOMMITTED or KP_READ_COMMITTED */
    const char *rack_id;              /* v11+; NULL is sent as "" */
    const kp_fetch_req_topic *topics; /* topic_count (NULL when 0) */
    int32_t topic_count;
} kp_fetch_req;

/* Appends the request body: ReplicaId -1 (up to v14), the limits,
 * IsolationLevel, a sessionless fetch (v7+: SessionId 0, SessionEpoch -1),
 * the topics, no forgotten topics, RackId. Everything borrowed for the
 * call. KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG (version, isolation
 * level, counts, a NULL name before v13 or a zero id from v13; nothing is
 * written) or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_fetch_req_encode(kp_buf *b, int16_t version, const kp_fetch_req *req);

typedef struct kp_fetch_aborted_txn {
    int64_t producer_id;
    int64_t first_offset;
} kp_fetch_aborted_txn;

typedef struct kp_fetch_resp_partition {
    int32_t partition;
    int16_t error_code;
    int64_t high_watermark;
    int64_t last_stable_offset;
    int64_t log_start_offset; /* v5+; -1 before */
    /* With read_committed: the aborted transactions in the fetched range
     * (null and empty both give 0). */
    int32_t aborted_count;
    kp_fetch_aborted_txn *aborted;
    int32_t preferred_read_replica; /* v11+; -1 before or when none */
    /* KIP-951 (v12+, tagged): the partition's current leader, sent with
     * NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH. -1/-1 when absent. */
    int has_current_leader;
    int32_t current_leader_id;
    int32_t current_leader_epoch;
    /* The records (record batches, the last one possibly cut short), a
     * view into the response buffer: NULL/0 when null or empty. */
    const uint8_t *records;
    size_t records_len;
} kp_fetch_resp_partition;

typedef struct kp_fetch_resp_topic {
    char *topic;          /* up to v12; NULL from v13 */
    uint8_t topic_id[16]; /* from v13; zeros before */
    int32_t partition_count;
    kp_fetch_resp_partition *partitions;
} kp_fetch_resp_topic;

typedef struct kp_fetch_resp {
    int32_t throttle_ms;
    int16_t error_code; /* top level, v7+ (0 before) */
    int32_t session_id; /* v7+ */
    int32_t topic_count;
    kp_fetch_resp_topic *topics;
} kp_fetch_resp;

/* Decodes a response body of the given version into *out (free with
 * kp_fetch_resp_free). Other tagged fields (diverging epoch, snapshot id,
 * node endpoints) are skipped. On error *out holds nothing to free.
 * KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG, KPROD_ERR__NO_MEMORY or
 * KPROD_ERR__INVALID_ARG (version). */
kprod_err_t kp_fetch_resp_decode(kp_rd *r, int16_t version, kp_fetch_resp *out);
/* Frees everything *resp owns and zeroes it; a zeroed struct is fine. */
void kp_fetch_resp_free(kp_fetch_resp *resp);

#endif
