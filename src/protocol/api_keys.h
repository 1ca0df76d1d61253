/* The Kafka APIs kprod speaks, the version range it implements of each, and
 * version negotiation against a broker's ApiVersions answer.
 *
 * The ranges are what the encoders and decoders in this folder handle; the
 * facts come from the message schemas of Kafka 4.1
 * (clients/src/main/resources/common/message/, one JSON file per message). */
#ifndef KPROD_PROTOCOL_API_KEYS_H
#define KPROD_PROTOCOL_API_KEYS_H

#include <stdint.h>

/* API keys (the RequestApiKey of the request header). */
#define KP_API_PRODUCE 0
#define KP_API_FETCH 1
#define KP_API_LIST_OFFSETS 2
#define KP_API_METADATA 3
#define KP_API_FIND_COORDINATOR 10
#define KP_API_SASL_HANDSHAKE 17
#define KP_API_API_VERSIONS 18
#define KP_API_INIT_PRODUCER_ID 22
#define KP_API_ADD_PARTITIONS_TO_TXN 24
#define KP_API_ADD_OFFSETS_TO_TXN 25
#define KP_API_END_TXN 26
#define KP_API_TXN_OFFSET_COMMIT 28
#define KP_API_SASL_AUTHENTICATE 36

/* Versions kprod implements, inclusive.
 * - ApiVersions 0..4: v3 is the first flexible one and adds the client
 *   software name/version.
 * - Metadata 4..13: v4 adds AllowAutoTopicCreation; v13 adds a top-level
 *   ErrorCode to the response.
 * - Produce 3..12: v3 is Kafka 4's baseline (record batch v2 only); v13
 *   replaces topic names by topic ids, which kprod does not do.
 * - InitProducerId 0..5: v3 adds ProducerId/ProducerEpoch to the request;
 *   v6 (two-phase commit, KIP-939) is not advertised by Kafka 4.1.
 * - Fetch 4..18: v4 is Kafka 4's lowest (record batch v2); v12 is the first
 *   flexible one; v13 names topics by id instead of name; v15 drops
 *   ReplicaId; v18 (Kafka 4.1) only adds follower tags.
 * - ListOffsets 1..10: v1 is Kafka 4's lowest; v2 adds IsolationLevel, v4
 *   leader epochs, v6 is the first flexible one, v10 adds TimeoutMs (the
 *   highest of Kafka 4.1; 4.4's v11 only adds a special timestamp).
 * - FindCoordinator 1..6: v1 adds KeyType (transaction coordinators); v4
 *   batches keys (CoordinatorKeys/Coordinators).
 * - AddPartitionsToTxn 0..3: v4+ is broker-to-broker (batched, VerifyOnly).
 * - AddOffsetsToTxn 0..4, TxnOffsetCommit 0..5 (v2 adds the committed
 *   leader epoch, v3 the group metadata; 4.4's v6 names topics by id),
 *   EndTxn 0..5 (v5, KIP-890 Transactions V2, returns the bumped producer
 *   id and epoch); each is flexible from v3.
 * - SaslHandshake 1: v0 sent raw SASL tokens, v1 wraps them in
 *   SaslAuthenticate (the schema stops at v1).
 * - SaslAuthenticate 0..2: v1 adds SessionLifetimeMs (re-authentication),
 *   v2 is flexible. */
#define KP_API_VERSIONS_MIN_VER 0
#define KP_API_VERSIONS_MAX_VER 4
#define KP_METADATA_MIN_VER 4
#define KP_METADATA_MAX_VER 13
#define KP_PRODUCE_MIN_VER 3
#define KP_PRODUCE_MAX_VER 12
#define KP_INIT_PRODUCER_ID_MIN_VER 0
#define KP_INIT_PRODUCER_ID_MAX_VER 5
#define KP_SASL_HANDSHAKE_MIN_VER 1
#define KP_SASL_HANDSHAKE_MAX_VER 1
#define KP_SASL_AUTHENTICATE_MIN_VER 0
#define KP_SASL_AUTHENTICATE_MAX_VER 2
#define KP_FETCH_MIN_VER 4
#define KP_FETCH_MAX_VER 18
#define KP_LIST_OFFSETS_MIN_VER 1
#define KP_LIST_OFFSETS_MAX_VER 10
#define KP_FIND_COORDINATOR_MIN_VER 1
#define KP_FIND_COORDINATOR_MAX_VER 6
#define KP_ADD_PARTITIONS_TO_TXN_MIN_VER 0
#define KP_ADD_PARTITIONS_TO_TXN_MAX_VER 3
#define KP_ADD_OFFSETS_TO_TXN_MIN_VER 0
#define KP_ADD_OFFSETS_TO_TXN_MAX_VER 4
#define KP_END_TXN_MIN_VER 0
#define KP_END_TXN_MAX_VER 5
#define KP_TXN_OFFSET_COMMIT_MIN_VER 0
#define KP_TXN_OFFSET_COMMIT_MAX_VER 5

/* IsolationLevel, a field of ListOffsets and Fetch: whether records of
 * open and aborted transactions are visible. */
#define KP_READ_UNCOMMITTED 0
#define KP_READ_COMMITTED 1

/* Our range for api_key into *min and *max; 0, or -1 for a key we do not speak. */
int kp_proto_our_range(int16_t api_key, int16_t *min, int16_t *max);

/* 1 when kprod implements this version of api_key, else 0. */
int kp_proto_version_ok(int16_t api_key, int16_t version);

/* The highest version in both [ours_min, ours_max] and
 * [broker_min, broker_max], or -1 when the ranges do not meet. */
int kp_proto_pick_version(int ours_min, int ours_max, int broker_min, int broker_max);

/* 1 when this version of the API's request and response bodies is
 * "flexible" (compact strings/arrays and tagged-field sections), else 0.
 * 0 for an API key not listed above. */
int kp_proto_is_flexible(int16_t api_key, int16_t api_version);

#endif
