/* ListOffsets (key 2), versions 1..10: a partition's offset for a
 * timestamp, or its earliest or latest offset (a partition's end is where
 * the next record will be written). */
#ifndef KPROD_PROTOCOL_LIST_OFFSETS_H
#define KPROD_PROTOCOL_LIST_OFFSETS_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/api_keys.h"
#include "protocol/buf.h"

/* Special timestamps; the later ones need the version named. */
#define KP_OFFSETS_LATEST (-1)         /* the log end (or LSO with read_committed) */
#define KP_OFFSETS_EARLIEST (-2)       /* the log start */
#define KP_OFFSETS_MAX_TIMESTAMP (-3)  /* v7+: the record with the largest timestamp */
#define KP_OFFSETS_EARLIEST_LOCAL (-4) /* v8+: tiered storage's local log start */
#define KP_OFFSETS_LATEST_TIERED (-5)  /* v9+: the last offset in remote storage */

typedef struct kp_list_offsets_req_partition {
    int32_t partition;
    int32_t current_leader_epoch; /* -1 when unknown; sent from v4 */
    int64_t timestamp;            /* ms since the epoch, or one of the above */
} kp_list_offsets_req_partition;

typedef struct kp_list_offsets_req_topic {
    const char *topic;
    const kp_list_offsets_req_partition *partitions; /* partition_count (NULL when 0) */
    int32_t partition_count;
} kp_list_offsets_req_topic;

/* Appends the request body: ReplicaId -1 (a client), IsolationLevel (v2+;
 * v1 has none, so only KP_READ_UNCOMMITTED is accepted there), the topics,
 * and from v10 TimeoutMs (for offsets in remote storage). A special
 * timestamp the version does not know is refused. Everything borrowed for
 * the call. KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG (nothing written)
 * or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_list_offsets_req_encode(kp_buf *b, int16_t version, int8_t isolation_level,
                                       int32_t timeout_ms, const kp_list_offsets_req_topic *topics,
                                       int32_t topic_count);

typedef struct kp_list_offsets_resp_partition {
    int32_t partition;
    int16_t error_code;
    int64_t timestamp;    /* -1 for the special timestamps */
    int64_t offset;       /* -1 when none */
    int32_t leader_epoch; /* v4+; -1 before */
} kp_list_offsets_resp_partition;

typedef struct kp_list_offsets_resp_topic {
    char *topic;
    int32_t partition_count;
    kp_list_offsets_resp_partition *partitions;
} kp_list_offsets_resp_topic;

typedef struct kp_list_offsets_resp {
    int32_t throttle_ms; /* v2+; 0 before */
    int32_t topic_count;
    kp_list_offsets_resp_topic *topics;
} kp_list_offsets_resp;

/* Decodes a response body of the given version into *out (free with
 * kp_list_offsets_resp_free). Unknown tagged fields are skipped. On error
 * *out holds nothing to free. KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG,
 * KPROD_ERR__NO_MEMORY or KPROD_ERR__INVALID_ARG (version). */
kprod_err_t kp_list_offsets_resp_decode(kp_rd *r, int16_t version, kp_list_offsets_resp *out);
/* Frees everything *resp owns and zeroes it; a zeroed struct is fine. */
void kp_list_offsets_resp_free(kp_list_offsets_resp *resp);

#endif
