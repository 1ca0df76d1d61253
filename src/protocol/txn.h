/* The transactional producer's coordinator APIs (KIP-98, KIP-890):
 *   AddPartitionsToTxn (key 24), versions 0..3: the partitions a
 *     transaction writes to (v4+ is broker-to-broker and not here);
 *   AddOffsetsToTxn (key 25), versions 0..4: the consumer group whose
 *     offsets the transaction commits;
 *   TxnOffsetCommit (key 28), versions 0..5: those offsets, sent to the
 *     group coordinator;
 *   EndTxn (key 26), versions 0..5: commit or abort; v5 (Transactions V2,
 *     KIP-890 part 2) answers with the producer id and epoch to use next.
 * InitProducerId (init_producer_id.h) and FindCoordinator
 * (find_coordinator.h) complete the set.
 *
 * With Transactions V2 (the finalized feature transaction.version >= 2,
 * see kp_api_versions_feature_level) a client using Produce v12+, EndTxn
 * v5 and TxnOffsetCommit v5 need not send AddPartitionsToTxn or
 * AddOffsetsToTxn: the brokers add partitions implicitly.
 *
 * Encoders check every argument before writing, so on
 * KPROD_ERR__INVALID_ARG nothing was appended. Every string and array is
 * borrowed for the call only. */
#ifndef KPROD_PROTOCOL_TXN_H
#define KPROD_PROTOCOL_TXN_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

/* ---- AddPartitionsToTxn ---- */

typedef struct kp_txn_topic_partitions {
    const char *topic;
    const int32_t *partitions; /* partition_count entries (NULL when 0) */
    int32_t partition_count;
} kp_txn_topic_partitions;

/* Appends the request body: TransactionalId, ProducerId, ProducerEpoch,
 * Topics. KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG or
 * KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_add_partitions_to_txn_req_encode(kp_buf *b, int16_t version,
                                                const char *transactional_id, int64_t producer_id,
                                                int16_t producer_epoch,
                                                const kp_txn_topic_partitions *topics,
                                                int32_t topic_count);

/* A per-partition answer, shared by AddPartitionsToTxn and TxnOffsetCommit
 * (both answer with topic name, then partition index and error code). */
typedef struct kp_txn_partition_result {
    int32_t partition;
    int16_t error_code;
} kp_txn_partition_result;

typedef struct kp_txn_topic_result {
    char *topic;
    int32_t partition_count;
    kp_txn_partition_result *partitions;
} kp_txn_topic_result;

typedef struct kp_txn_partitions_resp {
    int32_t throttle_ms;
    int32_t topic_count;
    kp_txn_topic_result *topics;
} kp_txn_partitions_resp;

/* Decodes an AddPartitionsToTxn response body into *out (free with
 * kp_txn_partitions_resp_free). On error *out holds nothing to free.
 * KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG, KPROD_ERR__NO_MEMORY or
 * KPROD_ERR__INVALID_ARG (version). */
kprod_err_t kp_add_partitions_to_txn_resp_decode(kp_rd *r, int16_t version,
                                                 kp_txn_partitions_resp *out);
/* Frees everything *resp owns and zeroes it; a zeroed struct is fine. */
void kp_txn_partitions_resp_free(kp_txn_partitions_resp *resp);

/* ---- AddOffsetsToTxn ---- */

/* Appends the request body: TransactionalId, ProducerId, ProducerEpoch,
 * GroupId. KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG or
 * KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_add_offsets_to_txn_req_encode(kp_buf *b, int16_t version,
                                             const char *transactional_id, int64_t producer_id,
                                             int16_t producer_epoch, const char *group_id);

/* The answer of AddOffsetsToTxn, and of EndTxn (whose ProducerId and
 * ProducerEpoch exist from v5; -1/-1 before). */
typedef struct kp_txn_resp {
    int32_t throttle_ms;
    int16_t error_code;
    int64_t producer_id;
    int16_t producer_epoch;
} kp_txn_resp;

/* Decodes an AddOffsetsToTxn response body (nothing to free; cleared on
 * error). KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG or KPROD_ERR__INVALID_ARG. */
kprod_err_t kp_add_offsets_to_txn_resp_decode(kp_rd *r, int16_t version, kp_txn_resp *out);

/* ---- EndTxn ---- */

/* Appends the request body: TransactionalId, ProducerId, ProducerEpoch,
 * Committed (nonzero commits, 0 aborts). KPROD_ERR_NO_ERROR,
 * KPROD_ERR__INVALID_ARG or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_end_txn_req_encode(kp_buf *b, int16_t version, const char *transactional_id,
                                  int64_t producer_id, int16_t producer_epoch, int commit);

/* Decodes an EndTxn response body (nothing to free; cleared on error).
 * KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG or KPROD_ERR__INVALID_ARG. */
kprod_err_t kp_end_txn_resp_decode(kp_rd *r, int16_t version, kp_txn_resp *out);

/* ---- TxnOffsetCommit ---- */

typedef struct kp_txn_offset {
    int32_t partition;
    int64_t offset;       /* the next offset to consume */
    int32_t leader_epoch; /* of the last consumed record, -1 unknown; sent from v2 */
    const char *metadata; /* may be NULL */
} kp_txn_offset;

typedef struct kp_txn_offset_topic {
    const char *topic;
    const kp_txn_offset *partitions; /* partition_count entries (NULL when 0) */
    int32_t partition_count;
} kp_txn_offset_topic;

/* The consumer's group metadata (KIP-447), sent from v3. Before v3 only
 * group_id is sent, and anything but the defaults (generation -1, member
 * "" or NULL, instance NULL) is refused: the commit would lose its fencing. */
typedef struct kp_txn_group {
    const char *group_id;
    int32_t generation_id;         /* -1 when unknown */
    const char *member_id;         /* NULL is sent as "" */
    const char *group_instance_id; /* NULL for a dynamic member */
} kp_txn_group;

/* Appends the request body: TransactionalId, GroupId, ProducerId,
 * ProducerEpoch, [GenerationId, MemberId, GroupInstanceId], Topics.
 * KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_txn_offset_commit_req_encode(kp_buf *b, int16_t version,
                                            const char *transactional_id, const kp_txn_group *g,
                                            int64_t producer_id, int16_t producer_epoch,
                                            const kp_txn_offset_topic *topics, int32_t topic_count);

/* Decodes a TxnOffsetCommit response body into *out (free with
 * kp_txn_partitions_resp_free). Same contract as AddPartitionsToTxn's. */
kprod_err_t kp_txn_offset_commit_resp_decode(kp_rd *r, int16_t version,
                                             kp_txn_partitions_resp *out);

#endif
