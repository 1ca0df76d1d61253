/* Metadata (key 3), versions 4..13: brokers, topics, partitions, leaders.
 *
 * The decoded response owns copies of everything it holds (strings are
 * malloc'd and NUL-terminated, arrays malloc'd), so the read buffer can be
 * reused at once; one call frees it all. */
#ifndef KPROD_PROTOCOL_METADATA_H
#define KPROD_PROTOCOL_METADATA_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

/* Appends the request body. topics: topic_count names (borrowed, copied
 * into b), or NULL for every topic in the cluster (topic_count ignored);
 * topics non-NULL with topic_count 0 asks for no topic (brokers only).
 * allow_auto_topic_creation: let the broker create missing topics if it is
 * configured to. Authorized operations are never requested; from v10 each
 * topic is named with a zero (null) topic id. KPROD_ERR_NO_ERROR,
 * KPROD_ERR__INVALID_ARG (version, a NULL or too long name, a negative
 * count) or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_metadata_req_encode(kp_buf *b, int16_t version, const char *const *topics,
                                   int32_t topic_count, int allow_auto_topic_creation);

typedef struct kp_metadata_resp_broker {
    int32_t node_id;
    char *host;
    int32_t port;
    char *rack; /* NULL when the broker has none */
} kp_metadata_resp_broker;

typedef struct kp_metadata_resp_partition {
    int16_t error_code;
    int32_t partition_index;
    int32_t leader_id;    /* -1 when there is no leader */
    int32_t leader_epoch; /* -1 when unknown */
    int32_t replica_count;
    int32_t *replica_nodes;
    int32_t isr_count;
    int32_t *isr_nodes;
    int32_t offline_count;
    int32_t *offline_replicas;
} kp_metadata_resp_partition;

typedef struct kp_metadata_resp_topic {
    int16_t error_code;
    char *name;           /* NULL only from v12, for a topic asked by id */
    uint8_t topic_id[16]; /* zeros before v10 */
    int is_internal;
    int32_t partition_count;
    kp_metadata_resp_partition *partitions;
} kp_metadata_resp_topic;

typedef struct kp_metadata_resp {
    int32_t throttle_ms;
    int32_t broker_count;
    kp_metadata_resp_broker *brokers;
    char *cluster_id; /* NULL when the broker sends none */
    int32_t controller_id;
    int32_t topic_count;
    kp_metadata_resp_topic *topics;
    int16_t error_code; /* top-level error, v13 (0 before) */
} kp_metadata_resp;

/* Decodes a response body of the given version into *out (free with
 * kp_metadata_resp_free). Unknown tagged fields are skipped. On error *out
 * holds nothing to free. KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG,
 * KPROD_ERR__NO_MEMORY or KPROD_ERR__INVALID_ARG (version). */
kprod_err_t kp_metadata_resp_decode(kp_rd *r, int16_t version, kp_metadata_resp *out);
/* Frees everything *resp owns and zeroes it; a zeroed struct is fine. */
void kp_metadata_resp_free(kp_metadata_resp *resp);

#endif
