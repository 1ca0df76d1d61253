/* kprod: a Kafka producer library in C.
 *
 * This header is the whole public API. Every type is opaque except the small
 * input/output structs below (kprod_record_t, kprod_header_t,
 * kprod_report_t); every function and type carries the kprod_ prefix.
 *
 * Conventions
 * - Functions that can fail return kprod_err_t (KPROD_ERR_NO_ERROR = 0).
 *   Where an errstr buffer is taken, it receives a sentence naming what was
 *   wrong and what would be accepted.
 * - When a call returns an error, its callback never fires (libuv's rule).
 * - Ownership is written next to each pointer parameter.
 * - Thread-safety is written next to each function: which threads may call
 *   it, whether it blocks and on what, and which callbacks may call it. A
 *   partitioner may call no function that takes a kprod_t (see
 *   kprod_partitioner_cb). */
#ifndef KPROD_H
#define KPROD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KPROD_API __attribute__((visibility("default")))
#else
#define KPROD_API
#endif

#define KPROD_VERSION_STR "0.1.0"
/* KPROD_VERSION_STR as a static string. Any thread; never blocks; may be
 * called from any callback. */
KPROD_API const char *kprod_version(void);

/* ------------------------------------------------------------------------
 * Errors: one list gives every code its name, its text and whether a retry
 * may succeed. Broker codes keep Kafka's numbers (Errors.java); kprod's own
 * (local) codes are negative, from -100 down, and their names start with a
 * double underscore after KPROD_ERR, as librdkafka's do.
 * X(NAME, code, retriable, "text")
 * ---------------------------------------------------------------------- */
#define KPROD_ERROR_LIST(X)                                                                        \
    /* local errors */                                                                             \
    X(_FAIL, -100, 0, "Unspecified local failure")                                                 \
    X(_INVALID_ARG, -101, 0, "Invalid argument")                                                   \
    X(_NO_MEMORY, -102, 0, "Out of memory")                                                        \
    X(_UNKNOWN_PROPERTY, -103, 0, "Unknown configuration property")                                \
    X(_INVALID_CONFIG, -104, 0, "Invalid configuration value")                                     \
    X(_CONFLICTING_CONFIG, -105, 0, "Conflicting configuration values")                            \
    X(_TIMED_OUT, -106, 1, "Timed out")                                                            \
    X(_MSG_TIMED_OUT, -107, 0, "Record timed out before delivery (delivery.timeout.ms)")           \
    X(_QUEUE_FULL, -108, 1, "Producer buffer full (buffer.memory) for longer than max.block.ms")   \
    X(_MSG_SIZE_TOO_LARGE, -109, 0, "Record larger than max.request.size")                         \
    X(_INVALID_TOPIC, -110, 0, "Invalid topic name")                                               \
    X(_UNKNOWN_TOPIC, -111, 0, "Topic not found in the cluster")                                   \
    X(_UNKNOWN_PARTITION, -112, 0, "Partition does not exist in the topic")                        \
    X(_TRANSPORT, -113, 1, "Broker connection failed")                                             \
    X(_RESOLVE, -114, 1, "Broker host name could not be resolved")                                 \
    X(_ALL_BROKERS_DOWN, -115, 1, "No broker could be reached")                                    \
    X(_BAD_MSG, -116, 0, "Malformed response from the broker")                                     \
    X(_UNSUPPORTED_FEATURE, -117, 0, "The broker does not support a needed protocol version")      \
    X(_PURGED_ON_CLOSE, -118, 0, "Record still pending when the producer was closed")              \
    X(_FATAL, -119, 0, "Producer has hit a fatal error; no further records are accepted")          \
    X(_SERIALIZATION, -120, 0, "Serializer failed")                                                \
    X(_COMPRESSION, -121, 0, "Compression or decompression failed")                                \
    X(_CLOSED, -122, 0, "Producer is closing or closed")                                           \
    X(_FLUSH_TIMED_OUT, -123, 1, "Flush timed out with records still pending")                     \
    X(_PARTITIONER, -124, 0, "Partitioner returned an invalid partition")                          \
    X(_IN_CALLBACK, -125, 0, "Not allowed from inside a delivery callback")                        \
    X(_INTERRUPTED, -126, 0, "Interrupted by kprod_interrupt")                                     \
    X(_SSL, -127, 0,                                                                               \
      "TLS failed: certificate not trusted, expired or for another host, or TLS/plaintext "        \
      "mismatch with the listener")                                                                \
    X(_STATE, -128, 0, "Not valid in the producer's transaction state now")                        \
    X(_TXN_ABORTABLE, -129, 0, "The transaction failed: abort it (kprod_txn_abort), then go on")   \
    X(_TXN_ABORTED, -130, 0, "The record's transaction was aborted")                               \
    /* broker errors: Kafka 4.1 Errors.java; retriable = extends RetriableException */             \
    X(UNKNOWN_SERVER_ERROR, -1, 0,                                                                 \
      "The server experienced an unexpected error when processing the request")                    \
    X(NO_ERROR, 0, 0, "Success")                                                                   \
    X(OFFSET_OUT_OF_RANGE, 1, 0,                                                                   \
      "The requested offset is outside the range of offsets the server keeps")                     \
    X(CORRUPT_MESSAGE, 2, 1,                                                                       \
      "The message failed its CRC check, exceeds the valid size, or is otherwise corrupt")         \
    X(UNKNOWN_TOPIC_OR_PARTITION, 3, 1, "This server does not host this topic-partition")          \
    X(INVALID_FETCH_SIZE, 4, 0, "The requested fetch size is invalid")                             \
    X(LEADER_NOT_AVAILABLE, 5, 1,                                                                  \
      "There is no leader for this topic-partition (a leader election is in progress)")            \
    X(NOT_LEADER_OR_FOLLOWER, 6, 1,                                                                \
      "This broker is not the leader (or not a replica) for the topic-partition")                  \
    X(REQUEST_TIMED_OUT, 7, 1, "The request timed out")                                            \
    X(BROKER_NOT_AVAILABLE, 8, 0, "The broker is not available")                                   \
    X(REPLICA_NOT_AVAILABLE, 9, 1,                                                                 \
      "The replica is not available for the requested topic-partition")                            \
    X(MESSAGE_TOO_LARGE, 10, 0, "The request included a message larger than the server accepts")   \
    X(STALE_CONTROLLER_EPOCH, 11, 0, "The controller moved to another broker")                     \
    X(OFFSET_METADATA_TOO_LARGE, 12, 0, "The metadata field of the offset request was too large")  \
    X(NETWORK_EXCEPTION, 13, 1, "The server disconnected before a response was received")          \
    X(COORDINATOR_LOAD_IN_PROGRESS, 14, 1,                                                         \
      "The coordinator is loading and hence can't process requests")                               \
    X(COORDINATOR_NOT_AVAILABLE, 15, 1, "The coordinator is not available")                        \
    X(NOT_COORDINATOR, 16, 1, "This is not the correct coordinator")                               \
    X(INVALID_TOPIC_EXCEPTION, 17, 0,                                                              \
      "The request attempted to perform an operation on an invalid topic")                         \
    X(RECORD_LIST_TOO_LARGE, 18, 0,                                                                \
      "The request included a batch larger than the configured segment size on the server")        \
    X(NOT_ENOUGH_REPLICAS, 19, 1,                                                                  \
      "Messages are rejected since there are fewer in-sync replicas than required")                \
    X(NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20, 1,                                                     \
      "Messages are written to the log, but to fewer in-sync replicas than required")              \
    X(INVALID_REQUIRED_ACKS, 21, 0,                                                                \
      "Produce request specified an invalid value for required acks")                              \
    X(ILLEGAL_GENERATION, 22, 0, "Specified group generation id is not valid")                     \
    X(INCONSISTENT_GROUP_PROTOCOL, 23, 0,                                                          \
      "The member's group protocols are incompatible with those of existing members")              \
    X(INVALID_GROUP_ID, 24, 0, "The group id is invalid")                                          \
    X(UNKNOWN_MEMBER_ID, 25, 0, "The coordinator is not aware of this member")                     \
    X(INVALID_SESSION_TIMEOUT, 26, 0,                                                              \
      "The session timeout is outside the range the broker allows")                                \
    X(REBALANCE_IN_PROGRESS, 27, 0, "The group is rebalancing, so a rejoin is needed")             \
    X(INVALID_COMMIT_OFFSET_SIZE, 28, 0, "The committing offset data size is not valid")           \
    X(TOPIC_AUTHORIZATION_FAILED, 29, 0, "Topic authorization failed")                             \
    X(GROUP_AUTHORIZATION_FAILED, 30, 0, "Group authorization failed")                             \
    X(CLUSTER_AUTHORIZATION_FAILED, 31, 0, "Cluster authorization failed")                         \
    X(INVALID_TIMESTAMP, 32, 0, "The timestamp of the message is out of acceptable range")         \
    X(UNSUPPORTED_SASL_MECHANISM, 33, 0,                                                           \
      "The broker does not support the requested SASL mechanism")                                  \
    X(ILLEGAL_SASL_STATE, 34, 0, "Request is not valid given the current SASL state")              \
    X(UNSUPPORTED_VERSION, 35, 0, "The version of API is not supported")                           \
    X(TOPIC_ALREADY_EXISTS, 36, 0, "Topic with this name already exists")                          \
    X(INVALID_PARTITIONS, 37, 0, "Number of partitions is below 1")                                \
    X(INVALID_REPLICATION_FACTOR, 38, 0,                                                           \
      "Replication factor is below 1 or larger than the number of available brokers")              \
    X(INVALID_REPLICA_ASSIGNMENT, 39, 0, "Replica assignment is invalid")                          \
    X(INVALID_CONFIG, 40, 0, "Configuration is invalid")                                           \
    X(NOT_CONTROLLER, 41, 1, "This is not the correct controller for this cluster")                \
    X(INVALID_REQUEST, 42, 0,                                                                      \
      "The request was malformed or sent to an incompatible broker (see the broker logs)")         \
    X(UNSUPPORTED_FOR_MESSAGE_FORMAT, 43, 0,                                                       \
      "The message format version on the broker does not support the request")                     \
    X(POLICY_VIOLATION, 44, 0, "Request parameters do not satisfy the configured policy")          \
    X(OUT_OF_ORDER_SEQUENCE_NUMBER, 45, 0, "The broker received an out of order sequence number")  \
    X(DUPLICATE_SEQUENCE_NUMBER, 46, 0, "The broker received a duplicate sequence number")         \
    X(INVALID_PRODUCER_EPOCH, 47, 0, "The producer attempted to produce with an old epoch")        \
    X(INVALID_TXN_STATE, 48, 0,                                                                    \
      "The producer attempted a transactional operation in an invalid state")                      \
    X(INVALID_PRODUCER_ID_MAPPING, 49, 0,                                                          \
      "The producer id is not currently assigned to its transactional id")                         \
    X(INVALID_TRANSACTION_TIMEOUT, 50, 0,                                                          \
      "The transaction timeout exceeds the broker maximum (transaction.max.timeout.ms)")           \
    X(CONCURRENT_TRANSACTIONS, 51, 1,                                                              \
      "Another operation on the same transaction is still in progress")                            \
    X(TRANSACTION_COORDINATOR_FENCED, 52, 0,                                                       \
      "The transaction coordinator sending WriteTxnMarker is no longer the current coordinator")   \
    X(TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 53, 0, "Transactional Id authorization failed")       \
    X(SECURITY_DISABLED, 54, 0, "Security features are disabled")                                  \
    X(OPERATION_NOT_ATTEMPTED, 55, 0,                                                              \
      "The broker did not attempt this operation because others in the batch failed")              \
    X(KAFKA_STORAGE_ERROR, 56, 1, "Disk error when trying to access log file on the disk")         \
    X(LOG_DIR_NOT_FOUND, 57, 0,                                                                    \
      "The user-specified log directory is not found in the broker config")                        \
    X(SASL_AUTHENTICATION_FAILED, 58, 0, "SASL Authentication failed")                             \
    X(UNKNOWN_PRODUCER_ID, 59, 0,                                                                  \
      "The broker has no state for this producer id (e.g. its records were removed by retention)") \
    X(REASSIGNMENT_IN_PROGRESS, 60, 0, "A partition reassignment is in progress")                  \
    X(DELEGATION_TOKEN_AUTH_DISABLED, 61, 0, "Delegation Token feature is not enabled")            \
    X(DELEGATION_TOKEN_NOT_FOUND, 62, 0, "Delegation Token is not found on server")                \
    X(DELEGATION_TOKEN_OWNER_MISMATCH, 63, 0, "Specified Principal is not valid Owner/Renewer")    \
    X(DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, 64, 0,                                                 \
      "Delegation token requests are not allowed on this kind of channel")                         \
    X(DELEGATION_TOKEN_AUTHORIZATION_FAILED, 65, 0, "Delegation Token authorization failed")       \
    X(DELEGATION_TOKEN_EXPIRED, 66, 0, "Delegation Token is expired")                              \
    X(INVALID_PRINCIPAL_TYPE, 67, 0, "Supplied principalType is not supported")                    \
    X(NON_EMPTY_GROUP, 68, 0, "The group is not empty")                                            \
    X(GROUP_ID_NOT_FOUND, 69, 0, "The group id does not exist")                                    \
    X(FETCH_SESSION_ID_NOT_FOUND, 70, 1, "The fetch session ID was not found")                     \
    X(INVALID_FETCH_SESSION_EPOCH, 71, 1, "The fetch session epoch is invalid")                    \
    X(LISTENER_NOT_FOUND, 72, 1,                                                                   \
      "The leader has no listener matching the one the metadata request came in on")               \
    X(TOPIC_DELETION_DISABLED, 73, 0, "Topic deletion is disabled")                                \
    X(FENCED_LEADER_EPOCH, 74, 1,                                                                  \
      "The leader epoch in the request is older than the epoch on the broker")                     \
    X(UNKNOWN_LEADER_EPOCH, 75, 1,                                                                 \
      "The leader epoch in the request is newer than the epoch on the broker")                     \
    X(UNSUPPORTED_COMPRESSION_TYPE, 76, 0,                                                         \
      "The requesting client does not support the compression type of given partition (zstd "      \
      "needs Kafka 2.1 or later)")                                                                 \
    X(STALE_BROKER_EPOCH, 77, 0, "Broker epoch has changed")                                       \
    X(OFFSET_NOT_AVAILABLE, 78, 1,                                                                 \
      "The leader high watermark has not caught up since a recent leader election")                \
    X(MEMBER_ID_REQUIRED, 79, 0,                                                                   \
      "The group member needs a valid member id before entering a consumer group")                 \
    X(PREFERRED_LEADER_NOT_AVAILABLE, 80, 1, "The preferred leader was not available")             \
    X(GROUP_MAX_SIZE_REACHED, 81, 0, "The group has reached its maximum size")                     \
    X(FENCED_INSTANCE_ID, 82, 0,                                                                   \
      "Another consumer with the same group.instance.id has registered with a different "          \
      "member.id")                                                                                 \
    X(ELIGIBLE_LEADERS_NOT_AVAILABLE, 83, 1, "Eligible topic partition leaders are not available") \
    X(ELECTION_NOT_NEEDED, 84, 1, "Leader election not needed for topic partition")                \
    X(NO_REASSIGNMENT_IN_PROGRESS, 85, 0, "No partition reassignment is in progress")              \
    X(GROUP_SUBSCRIBED_TO_TOPIC, 86, 0,                                                            \
      "Offsets of a topic cannot be deleted while the group is subscribed to it")                  \
    X(INVALID_RECORD, 87, 0,                                                                       \
      "This record has failed the validation on broker and hence will be rejected")                \
    X(UNSTABLE_OFFSET_COMMIT, 88, 1, "There are unstable offsets that need to be cleared")         \
    X(THROTTLING_QUOTA_EXCEEDED, 89, 1, "The throttling quota has been exceeded")                  \
    X(PRODUCER_FENCED, 90, 0,                                                                      \
      "A newer producer with the same transactional id has fenced this one")                       \
    X(RESOURCE_NOT_FOUND, 91, 0, "A request illegally referred to a resource that does not exist") \
    X(DUPLICATE_RESOURCE, 92, 0, "A request illegally referred to the same resource twice")        \
    X(UNACCEPTABLE_CREDENTIAL, 93, 0,                                                              \
      "Requested credential would not meet criteria for acceptability")                            \
    X(INCONSISTENT_VOTER_SET, 94, 0,                                                               \
      "The sender or recipient of a voter-only request is not one of the expected voters")         \
    X(INVALID_UPDATE_VERSION, 95, 0, "The given update version was invalid")                       \
    X(FEATURE_UPDATE_FAILED, 96, 0,                                                                \
      "Unable to update finalized features due to an unexpected server error")                     \
    X(PRINCIPAL_DESERIALIZATION_FAILURE, 97, 0,                                                    \
      "Request principal deserialization failed during forwarding (broker security setup error)")  \
    X(SNAPSHOT_NOT_FOUND, 98, 0, "Requested snapshot was not found")                               \
    X(POSITION_OUT_OF_RANGE, 99, 0,                                                                \
      "The requested position is negative or beyond the end of the snapshot")                      \
    X(UNKNOWN_TOPIC_ID, 100, 1, "This server does not host this topic ID")                         \
    X(DUPLICATE_BROKER_REGISTRATION, 101, 0, "This broker ID is already in use")                   \
    X(BROKER_ID_NOT_REGISTERED, 102, 0, "The given broker ID was not registered")                  \
    X(INCONSISTENT_TOPIC_ID, 103, 1,                                                               \
      "The log's topic ID did not match the topic ID in the request")                              \
    X(INCONSISTENT_CLUSTER_ID, 104, 0,                                                             \
      "The clusterId in the request does not match that found on the server")                      \
    X(TRANSACTIONAL_ID_NOT_FOUND, 105, 0, "The transactionalId could not be found")                \
    X(FETCH_SESSION_TOPIC_ID_ERROR, 106, 1,                                                        \
      "The fetch session encountered inconsistent topic ID usage")                                 \
    X(INELIGIBLE_REPLICA, 107, 0, "The new ISR contains at least one ineligible replica")          \
    X(NEW_LEADER_ELECTED, 108, 0,                                                                  \
      "AlterPartition updated the partition state but the leader has changed")                     \
    X(OFFSET_MOVED_TO_TIERED_STORAGE, 109, 0, "The requested offset is moved to tiered storage")   \
    X(FENCED_MEMBER_EPOCH, 110, 0,                                                                 \
      "The member epoch is fenced by the group coordinator; the member must rejoin")               \
    X(UNRELEASED_INSTANCE_ID, 111, 0,                                                              \
      "The instance id is still used by another member of the consumer group")                     \
    X(UNSUPPORTED_ASSIGNOR, 112, 0,                                                                \
      "The assignor or its version range is not supported by the consumer group")                  \
    X(STALE_MEMBER_EPOCH, 113, 0,                                                                  \
      "The member epoch is stale; retry after receiving the updated epoch")                        \
    X(MISMATCHED_ENDPOINT_TYPE, 114, 0, "The request was sent to an endpoint of the wrong type")   \
    X(UNSUPPORTED_ENDPOINT_TYPE, 115, 0, "This endpoint type is not supported yet")                \
    X(UNKNOWN_CONTROLLER_ID, 116, 0, "This controller ID is not known")                            \
    X(UNKNOWN_SUBSCRIPTION_ID, 117, 0,                                                             \
      "Push telemetry request with an invalid or outdated subscription id")                        \
    X(TELEMETRY_TOO_LARGE, 118, 0, "Push telemetry request larger than the broker accepts")        \
    X(INVALID_REGISTRATION, 119, 0,                                                                \
      "The controller has considered the broker registration to be invalid")                       \
    X(TRANSACTION_ABORTABLE, 120, 0,                                                               \
      "The transaction hit an error; aborting it allows the transactional id to be used again")    \
    X(INVALID_RECORD_STATE, 121, 0,                                                                \
      "The record state is invalid; the delivery acknowledgement could not be completed")          \
    X(SHARE_SESSION_NOT_FOUND, 122, 1, "The share session was not found")                          \
    X(INVALID_SHARE_SESSION_EPOCH, 123, 1, "The share session epoch is invalid")                   \
    X(FENCED_STATE_EPOCH, 124, 0,                                                                  \
      "The share-group state epoch did not match on the share coordinator")                        \
    X(INVALID_VOTER_KEY, 125, 0, "The voter key doesn't match the receiving replica's key")        \
    X(DUPLICATE_VOTER, 126, 0, "The voter is already part of the set of voters")                   \
    X(VOTER_NOT_FOUND, 127, 0, "The voter is not part of the set of voters")                       \
    X(INVALID_REGULAR_EXPRESSION, 128, 0, "The regular expression is not valid")                   \
    X(REBOOTSTRAP_REQUIRED, 129, 0,                                                                \
      "Client metadata is stale; the client should rebootstrap to get new metadata")               \
    X(STREAMS_INVALID_TOPOLOGY, 130, 0, "The supplied topology is invalid")                        \
    X(STREAMS_INVALID_TOPOLOGY_EPOCH, 131, 0, "The supplied topology epoch is invalid")            \
    X(STREAMS_TOPOLOGY_FENCED, 132, 0, "The supplied topology epoch is outdated")                  \
    X(SHARE_SESSION_LIMIT_REACHED, 133, 1, "The limit of share sessions has been reached")

typedef enum kprod_err_e {
#define KPROD_ERR_ENUM_(name, code, retriable, text) KPROD_ERR_##name = code,
    KPROD_ERROR_LIST(KPROD_ERR_ENUM_)
#undef KPROD_ERR_ENUM_
} kprod_err_t;

/* "NOT_LEADER_OR_FOLLOWER", "_TIMED_OUT", ...: static strings. For a code
 * not in the list, "UNKNOWN_ERROR_<n>" in a per-thread buffer, valid until
 * the same thread names another unknown code. Thread-safe: any thread;
 * never blocks; may be called from any callback. */
KPROD_API const char *kprod_err_name(kprod_err_t err);
/* A short English sentence; static. Thread-safe: any thread; never blocks;
 * may be called from any callback. */
KPROD_API const char *kprod_err_str(kprod_err_t err);
/* 1 when a retry of the same request may succeed. Any thread; never blocks;
 * may be called from any callback. */
KPROD_API int kprod_err_is_retriable(kprod_err_t err);

/* ------------------------------------------------------------------------
 * Configuration. Property names and defaults are the Java client's
 * (Kafka 4.x), so a producer.properties file carries over; common librdkafka
 * names are accepted as aliases. The full table: docs/CONFIGURATION.md.
 * A kprod_conf_t has no lock: a call that changes or frees a conf must not
 * overlap any other call on that conf; calls that only read one
 * (kprod_conf_get, kprod_conf_dup) may overlap each other. Separate confs may
 * be used on separate threads at once. No kprod_conf_* call blocks (but
 * kprod_conf_load_file reads its file) or touches a producer, so any
 * callback may make them.
 * ---------------------------------------------------------------------- */
typedef struct kprod_conf_s kprod_conf_t;

/* A configuration holding every default. Free with kprod_conf_destroy unless
 * handed to kprod_new. NULL when out of memory. Any thread; the new conf is
 * the caller's. */
KPROD_API kprod_conf_t *kprod_conf_new(void);
/* Frees conf (NULL: nothing), never the opaques given to it. Must not overlap
 * any other call on conf, nor be used on a conf kprod_new took. */
KPROD_API void kprod_conf_destroy(kprod_conf_t *conf);
/* A copy, the caller's to free (NULL when out of memory or conf is NULL);
 * callbacks and opaques are copied as pointers. Only reads conf. */
KPROD_API kprod_conf_t *kprod_conf_dup(const kprod_conf_t *conf);

/* Sets one property; the value is validated at once. An unknown name gives
 * KPROD_ERR__UNKNOWN_PROPERTY, a bad value KPROD_ERR__INVALID_CONFIG, and
 * errstr (may be NULL) says which property and what it accepts. name and value
 * are copied. Not thread-safe on the same conf: changes conf, so it must not
 * overlap any other call on it. */
KPROD_API kprod_err_t kprod_conf_set(kprod_conf_t *conf, const char *name, const char *value,
                                     char *errstr, size_t errstr_size);
/* Reads a Java-style .properties file (key=value or key: value, # and !
 * comments, \ line continuation) and sets each property as kprod_conf_set
 * would; stops at the first bad line, naming file and line in errstr, and
 * then leaves conf as it was. Blocks on reading the file; changes conf, so it
 * must not overlap any other call on it. */
KPROD_API kprod_err_t kprod_conf_load_file(kprod_conf_t *conf, const char *path, char *errstr,
                                           size_t errstr_size);
/* Copies the current value, as text, into dst (NUL-terminated, truncated to
 * dst_size). KPROD_ERR__UNKNOWN_PROPERTY for an unknown name. Only reads conf:
 * may overlap other reads of it, not a change. */
KPROD_API kprod_err_t kprod_conf_get(const kprod_conf_t *conf, const char *name, char *dst,
                                     size_t dst_size);

/* ------------------------------------------------------------------------
 * Logs and producer-wide errors
 * ---------------------------------------------------------------------- */
/* Syslog's levels. */
typedef enum kprod_log_level_e {
    KPROD_LOG_EMERG = 0,
    KPROD_LOG_ALERT = 1,
    KPROD_LOG_CRIT = 2,
    KPROD_LOG_ERR = 3,
    KPROD_LOG_WARNING = 4,
    KPROD_LOG_NOTICE = 5,
    KPROD_LOG_INFO = 6,
    KPROD_LOG_DEBUG = 7,
} kprod_log_level_t;

/* One log line: level, the context it belongs to ("broker", "metadata",
 * "msg", ... the words of the `debug` property, or "generic") and the
 * message (no newline; no secret is ever in it). Both strings are valid
 * only during the call.
 * Which lines come: those at or below the `log_level` property (default 6,
 * info), plus the debug traces of the contexts named in `debug`.
 * Without a callback, warnings and errors (and requested debug traces) go
 * to stderr, one line each with a UTC timestamp and the client.id.
 * Called on whichever thread the event happens on (the sender thread
 * mostly, the report thread, or an application thread inside kprod_send),
 * possibly on several at once, with no kprod lock held. It must be
 * thread-safe and quick, and may call no function that takes a kprod_t
 * except kprod_outstanding. */
typedef void (*kprod_log_cb)(int level, const char *context, const char *message, void *opaque);
/* Sets the log callback (NULL: back to stderr) for producers made from
 * conf; kprod never frees opaque, which must outlive them. Changes conf:
 * must not overlap any other call on it. */
KPROD_API void kprod_conf_set_log_cb(kprod_conf_t *conf, kprod_log_cb cb, void *opaque);

/* ------------------------------------------------------------------------
 * Security (docs/SECURITY.md): TLS and SASL are set with properties
 * (security.protocol, ssl.*, sasl.*); OAUTHBEARER tokens may come from
 * the application.
 * ---------------------------------------------------------------------- */
/* Supplies the bearer token for sasl.mechanism=OAUTHBEARER: writes it
 * (NUL-terminated; token_size is 16384) into token and the time it
 * expires, in milliseconds since the Unix epoch (Java's
 * OAuthBearerToken.lifetimeMs()), into *expiry_ms, and returns
 * KPROD_ERR_NO_ERROR. Any other return fails the authentication under way
 * with SASL_AUTHENTICATION_FAILED and the reason written into errstr
 * (never put the token there). kprod keeps the token and asks again once
 * 80 % of its lifetime has passed (Java's sasl.login.refresh.window.factor),
 * so a connection that (re-)authenticates after that gets a fresh one; a
 * broker with connections.max.reauth.ms set ends each session no later
 * than its token expires, and kprod re-authenticates before that.
 * Called on kprod's sender thread, which does all the producer's I/O: all
 * of it waits while the callback runs, so return quickly (fetch tokens
 * ahead on a thread of your own). Never called twice at once for one
 * producer; it may call kprod_outstanding, no other kprod_t function. */
typedef kprod_err_t (*kprod_oauthbearer_token_cb)(char *token, size_t token_size,
                                                  int64_t *expiry_ms, char *errstr,
                                                  size_t errstr_size, void *opaque);
/* Sets the token callback (NULL: tokens from sasl.jaas.config's
 * unsecuredLogin* options, Kafka's unsecured test tokens) for producers
 * made from conf; kprod never frees opaque, which must outlive them.
 * Changes conf: must not overlap any other call on it. */
KPROD_API void kprod_conf_set_oauthbearer_token_cb(kprod_conf_t *conf,
                                                   kprod_oauthbearer_token_cb cb, void *opaque);

/* A producer-wide event not tied to one record: every broker down
 * (KPROD_ERR__ALL_BROKERS_DOWN), an authentication failure, the fatal
 * error (KPROD_ERR__FATAL's cause: err is the underlying code). reason
 * says what kprod knows; valid only during the call. The same events are
 * logged whether or not a callback is set.
 * Served where delivery reports are: in kprod_poll, kprod_flush or
 * kprod_close on the application's thread, or on kprod's report thread
 * with delivery.report.mode=thread; the rules of kprod_delivery_cb apply
 * (it may call kprod_send, not kprod_poll/flush/close of this producer). */
typedef void (*kprod_error_cb)(kprod_err_t err, const char *reason, void *opaque);
/* Sets the error callback for producers made from conf; kprod never frees
 * opaque, which must outlive them. Changes conf: must not overlap any
 * other call on it. */
KPROD_API void kprod_conf_set_error_cb(kprod_conf_t *conf, kprod_error_cb cb, void *opaque);

/* The detail of the last error a kprod call returned on this thread (a
 * kprod_send that failed: "topic 'x' not found in the cluster after 60000
 * ms (max.block.ms)", "partition 7 of topic 't' does not exist (3
 * partitions)", ...), or the error code's text when kprod knows no more;
 * "" before any error. The string is the thread's own, valid until its
 * next kprod call. Any thread; never blocks; from any callback. */
KPROD_API const char *kprod_last_errstr(void);

/* Serializers turn the application's key and value objects into bytes.
 * key.serializer / value.serializer select a built-in one by name: "bytes"
 * (default: the pointer and length are the bytes), "string" (a C string; a
 * length of 0 means strlen), "int32", "int64", "double" (a pointer to the
 * number, written big-endian like Java's serializers). Java class names
 * (org.apache.kafka.common.serialization.StringSerializer, ...) are accepted.
 * A user serializer writes its bytes with kprod_sink_write; it is called on
 * the thread that calls kprod_send, with no kprod lock held, so on several
 * threads at once when several send. It may call kprod functions except
 * kprod_close (which would wait for this very send to finish). */
typedef struct kprod_sink_s kprod_sink_t;
/* Appends len bytes, copied from data, to the serializer's output. Only from
 * the serializer call the sink was given to, on its thread. Never blocks; once
 * a write failed, later ones in the same call fail with the same error. */
KPROD_API kprod_err_t kprod_sink_write(kprod_sink_t *sink, const void *data, size_t len);
typedef kprod_err_t (*kprod_serializer_cb)(const char *topic, const void *obj, size_t obj_len,
                                           kprod_sink_t *sink, void *opaque);
/* Sets the key serializer (NULL: back to key.serializer). cb and opaque are
 * copied into producers made from conf; kprod never frees opaque, which must
 * outlive them. Changes conf: must not overlap any other call on it. */
KPROD_API void kprod_conf_set_key_serializer(kprod_conf_t *conf, kprod_serializer_cb cb,
                                             void *opaque);
/* The same for the value serializer (NULL: back to value.serializer). */
KPROD_API void kprod_conf_set_value_serializer(kprod_conf_t *conf, kprod_serializer_cb cb,
                                               void *opaque);

/* A user partitioner: returns a partition in [0, partition_count), or -1 to
 * fall back to the built-in choice. key is the serialized key (NULL for a
 * null key). Called on the sending thread with kprod's accumulator lock
 * held: it must be thread-safe, quick, and must not call any kprod function
 * that takes a kprod_t (most take that lock: a deadlock). */
typedef int32_t (*kprod_partitioner_cb)(const char *topic, const void *key, size_t key_len,
                                        int32_t partition_count, void *opaque);
/* Sets the partitioner (NULL: the built-in one) for producers made from conf;
 * kprod never frees opaque, which must outlive them. Changes conf: must not
 * overlap any other call on it. */
KPROD_API void kprod_conf_set_partitioner(kprod_conf_t *conf, kprod_partitioner_cb cb,
                                          void *opaque);

/* ------------------------------------------------------------------------
 * Records and delivery reports
 * ---------------------------------------------------------------------- */
#define KPROD_PARTITION_ANY (-1)

typedef struct kprod_header_s {
    const char *name;  /* NUL-terminated; never NULL */
    const void *value; /* NULL = null value (then value_len must be 0) */
    size_t value_len;
} kprod_header_t;

/* A record to send. kprod copies everything it needs during kprod_send
 * (the record is encoded into its batch at once), so every pointer here is
 * only borrowed for the duration of the call. With KPROD_F_FREE, kprod frees
 * key and value (with free()) once the call returns successfully.
 * kprod_send refuses with KPROD_ERR__INVALID_ARG (no report follows) a NULL
 * topic, a negative timestamp_ms, headers NULL with header_count > 0, a
 * header with a NULL name or a NULL value and value_len > 0, and (with a
 * built-in serializer) a NULL key or value with a length > 0; a user
 * serializer gets key/value and their lengths as they are. */
typedef struct kprod_record_s {
    const char *topic; /* required */
    int32_t partition; /* KPROD_PARTITION_ANY: the partitioner chooses */
    const void *key;   /* NULL = null key (then key_len must be 0) */
    size_t key_len;
    const void *value; /* NULL = null value (then value_len must be 0) */
    size_t value_len;
    const kprod_header_t *headers; /* header_count of them; NULL only when 0 */
    size_t header_count;
    /* Milliseconds since the epoch; 0 = now (the time of kprod_send). Never
     * negative: refused with KPROD_ERR__INVALID_ARG, as Java refuses it
     * ("Timestamp should always be non-negative"), since the broker would
     * fail the record's whole batch with INVALID_TIMESTAMP. */
    int64_t timestamp_ms;
    int flags; /* KPROD_F_* */
} kprod_record_t;

#define KPROD_F_FREE 0x1 /* kprod frees key and value after a successful send */

/* Zero-initialise a record: kprod_record_t r = KPROD_RECORD_INIT; */
#define KPROD_RECORD_INIT                                                                          \
    { NULL, KPROD_PARTITION_ANY, NULL, 0, NULL, 0, NULL, 0, 0, 0 }

/* One delivery report per accepted record. Valid only during the callback. */
typedef struct kprod_report_s {
    kprod_err_t err; /* KPROD_ERR_NO_ERROR = delivered */
    const char *topic;
    int32_t partition; /* -1 if the record never got one */
    int64_t offset;    /* -1 with acks=0 or on error */
    int64_t timestamp_ms;
    /* On error: 1 when the record may have been written all the same (its
     * request reached a broker and no answer came back before the timeout),
     * 0 when it certainly was not. */
    int possibly_persisted;
    void *opaque; /* the opaque given to kprod_send */
    /* On error: what kprod knows of the cause ("connection to
     * 127.0.0.1:9092 refused", the broker's refusal with a hint, ...),
     * never NULL; NULL when delivered. Valid only during the callback. */
    const char *errstr;
} kprod_report_t;

/* Delivery callbacks run with no kprod lock held: in poll mode on the thread
 * inside kprod_poll, kprod_flush or kprod_close (concurrently, and not in
 * order, when several threads do so), with delivery.report.mode=thread on
 * kprod's report thread (the last ones on kprod_close's thread). It may call
 * kprod_send, kprod_outstanding, kprod_fatal_error, kprod_metadata_get and
 * kprod_interrupt. kprod_poll, kprod_flush and kprod_close called from it on
 * the producer whose report it is return KPROD_ERR__IN_CALLBACK at once and
 * do nothing (they would wait for reports that cannot be served before the
 * callback returns); on another producer they work as usual. */
typedef void (*kprod_delivery_cb)(const kprod_report_t *report, void *cb_opaque);

/* The callback for records sent without one of their own. cb_opaque is
 * passed to it, and to callbacks given to kprod_send (the record's opaque is
 * in the report); kprod never frees it. Changes conf: must not overlap any
 * other call on it. */
KPROD_API void kprod_conf_set_delivery_cb(kprod_conf_t *conf, kprod_delivery_cb cb,
                                          void *cb_opaque);

/* ------------------------------------------------------------------------
 * The producer
 * ---------------------------------------------------------------------- */
typedef struct kprod_s kprod_t;

/* Creates a producer and starts its sender thread. Takes ownership of conf
 * on success (do not use or free it afterwards); on failure conf stays the
 * caller's and errstr says why. Does not wait for the cluster: connection
 * problems are reported per record. Any thread or callback; never blocks;
 * nothing else may use conf during the call. */
KPROD_API kprod_err_t kprod_new(kprod_conf_t *conf, kprod_t **out, char *errstr,
                                size_t errstr_size);

/* Sends one record asynchronously. On success the record gets exactly one
 * delivery report later, through cb (or the conf's default callback when cb
 * is NULL), with opaque in report->opaque. Blocks up to max.block.ms while
 * buffer.memory is full or the topic's partition count is not yet known
 * (after kprod_interrupt it does not block: _INTERRUPTED instead).
 * Errors returned here (no report follows): _INVALID_ARG (p or rec NULL, or
 * a record kprod_record_t says is refused: a negative timestamp, NULL
 * headers with a count, ...), _INVALID_TOPIC, _MSG_SIZE_TOO_LARGE,
 * _QUEUE_FULL, _TIMED_OUT (metadata), _UNKNOWN_TOPIC, _UNKNOWN_PARTITION,
 * _SERIALIZATION, _INTERRUPTED, _FATAL, _CLOSED, and while it waits for a
 * topic's metadata with no broker willing to talk: the refusal of the
 * connection's security setup (SASL_AUTHENTICATION_FAILED,
 * UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE, _SSL; the log says why).
 * Thread-safe: any number of threads may send at once, also from a delivery
 * callback or a serializer; from a delivery callback it may wait out
 * max.block.ms (reports free their memory only after their callbacks return).
 * None may start once kprod_close has been called. */
KPROD_API kprod_err_t kprod_send(kprod_t *p, const kprod_record_t *rec, kprod_delivery_cb cb,
                                 void *opaque);

/* Serves delivery reports on the calling thread, waiting up to timeout_ms
 * (-1 = forever) for the first one. Returns how many were served. With
 * delivery.report.mode=thread reports are served by kprod's own thread and
 * this only waits. Thread-safe: threads polling at once run callbacks at once.
 * From one of p's delivery callbacks it returns KPROD_ERR__IN_CALLBACK (a
 * negative number) at once and serves nothing: it would serve later reports
 * ahead of the current ones (in thread mode, wait on the thread it runs on). */
KPROD_API int kprod_poll(kprod_t *p, int timeout_ms);

/* Sends everything buffered now (ignoring linger.ms) and waits until every
 * record sent before the call has had its report served, or timeout_ms
 * passes (-1 = forever). Serves reports itself in poll mode.
 * Returns KPROD_ERR__FLUSH_TIMED_OUT if records are still pending.
 * Thread-safe, also alongside kprod_send and kprod_poll. From one of p's
 * delivery callbacks it returns KPROD_ERR__IN_CALLBACK at once and flushes
 * nothing: it would wait for reports that cannot complete until that
 * callback returns (with -1, forever). */
KPROD_API kprod_err_t kprod_flush(kprod_t *p, int timeout_ms);

/* Records accepted but not yet reported (a record counts until its batch's
 * callbacks have all returned). Any thread; lock-free, never blocks; may be
 * called from a delivery callback or a serializer. */
KPROD_API size_t kprod_outstanding(kprod_t *p);

/* Flushes for up to timeout_ms, then fails every record still pending with
 * KPROD_ERR__PURGED_ON_CLOSE, serves every remaining report (callbacks run
 * on the calling thread) and frees the producer. p is invalid afterwards.
 * Returns NO_ERROR when everything was delivered or failed before the
 * timeout, _FLUSH_TIMED_OUT when records had to be purged. Threads still in
 * kprod_send return _CLOSED and are waited for; no other call on p (poll,
 * flush, outstanding, fatal_error, metadata) may overlap kprod_close.
 * Call it once, from any thread but not from a serializer or partitioner.
 * From one of p's delivery callbacks it returns KPROD_ERR__IN_CALLBACK at
 * once and does nothing (p stays valid; close it later from another
 * place). Beyond timeout_ms it waits for those sends (and their
 * serializers), for a kprod_interrupt in progress, and for a callback the
 * report thread is running. */
KPROD_API kprod_err_t kprod_close(kprod_t *p, int timeout_ms);

/* Stops kprod_send from blocking, for good (Ctrl-C in a tool): every send
 * blocked right now waiting for buffer.memory or for a topic's metadata
 * returns KPROD_ERR__INTERRUPTED, and so does every later send that would
 * have to block, until the producer is closed. Sends that need not block
 * still go through, and records already accepted are unaffected: they are
 * delivered or reported as usual (kprod_poll, kprod_flush, kprod_close).
 * Returns NO_ERROR (_INVALID_ARG for NULL). Any thread, also from a
 * delivery callback or a serializer (not a partitioner); takes kprod's
 * accumulator lock briefly and never blocks otherwise. Not from a signal
 * handler (it locks a mutex): call it from a thread that waits for the
 * signal (sigwait). Like kprod_send it must not start once kprod_close has
 * been called; one that started before is waited for by kprod_close, so a
 * thread whose send returned _INTERRUPTED may close p at once. */
KPROD_API kprod_err_t kprod_interrupt(kprod_t *p);

/* The fatal error that stopped the producer, if any (NO_ERROR otherwise),
 * with its cause copied into errstr (may be NULL). Any thread; takes kprod's
 * lock only briefly; may be called from a delivery callback or a serializer. */
KPROD_API kprod_err_t kprod_fatal_error(kprod_t *p, char *errstr, size_t errstr_size);

/* ------------------------------------------------------------------------
 * Transactions (transactional.id set): records of several partitions, and
 * consumer offsets, written all or nothing. docs/TRANSACTIONS.md explains
 * the states, the two protocols (Kafka's Transactions V2 where the cluster
 * finalizes transaction.version >= 2, the classic one before) and a
 * consume-transform-produce loop.
 *
 *   kprod_txn_init once; then per transaction kprod_txn_begin, kprod_send
 *   (any number, any partitions), kprod_txn_send_offsets (optional), and
 *   kprod_txn_commit, or kprod_txn_abort.
 *
 * A transactional producer sends nothing before kprod_txn_init, and
 * kprod_send outside begin..commit/abort returns KPROD_ERR__STATE.
 * Every error these calls return has a class (kprod_txn_error_class):
 *   retriable  the call's timeout ran out; the operation goes on in the
 *              background: call the same function again (init, commit,
 *              abort resume it; nothing is lost or done twice).
 *   abortable  the transaction failed (a record or the offsets were
 *              refused, TRANSACTION_ABORTABLE, topic or group
 *              authorization): call kprod_txn_abort, then begin anew.
 *              Returned as KPROD_ERR__TXN_ABORTABLE; kprod_last_errstr()
 *              says what failed.
 *   fatal      PRODUCER_FENCED (another producer with this transactional.id
 *              took over), INVALID_PRODUCER_EPOCH, TRANSACTIONAL_ID_ or
 *              CLUSTER_AUTHORIZATION_FAILED, a broker too old
 *              (_UNSUPPORTED_FEATURE), INVALID_TXN_STATE: only
 *              kprod_close is left. Published as every fatal error is
 *              (kprod_fatal_error, the error callback, the log).
 *   usage      the call was not valid now (_STATE, _INVALID_ARG,
 *              _IN_CALLBACK): a program error; nothing changed.
 * One transaction call at a time per producer: a call made while another
 * runs on another thread returns _STATE. None may overlap kprod_close.
 * kprod_close with a transaction open does not commit it: the coordinator
 * aborts it after transaction.timeout.ms, or the next kprod_txn_init with
 * the same transactional.id at once.
 * ---------------------------------------------------------------------- */
typedef enum kprod_txn_err_class_e {
    KPROD_TXN_ERR_NONE = 0,      /* NO_ERROR */
    KPROD_TXN_ERR_RETRIABLE = 1, /* call the same function again */
    KPROD_TXN_ERR_ABORTABLE = 2, /* kprod_txn_abort, then carry on */
    KPROD_TXN_ERR_FATAL = 3,     /* only kprod_close */
    KPROD_TXN_ERR_USAGE = 4,     /* not valid now: fix the program */
} kprod_txn_err_class_t;

/* The class of an error a kprod_txn_* call (or kprod_send on a
 * transactional producer) returned. Any thread; pure. */
KPROD_API kprod_txn_err_class_t kprod_txn_error_class(kprod_err_t err);

/* Finds the transaction coordinator, gets the producer id and epoch of
 * transactional.id (fencing any older producer with the same id: its next
 * call fails with PRODUCER_FENCED), and waits while the coordinator
 * finishes what an earlier producer with this id left open (it aborts an
 * unfinished transaction). Waits up to timeout_ms (-1 forever).
 * Errors: _TIMED_OUT (retriable: call it again), _STATE (not a
 * transactional producer, or already initialized), _INVALID_ARG, fatal
 * ones (PRODUCER_FENCED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
 * CLUSTER_AUTHORIZATION_FAILED, INVALID_TRANSACTION_TIMEOUT,
 * _UNSUPPORTED_FEATURE), _CLOSED.
 * Any thread, also from a delivery callback; blocks on the sender thread's
 * answer. */
KPROD_API kprod_err_t kprod_txn_init(kprod_t *p, int timeout_ms);

/* Starts a transaction: kprod_send is allowed until commit or abort. Local
 * only (the coordinator hears of it with the first record or offsets).
 * Errors: _STATE (not initialized, or a transaction is open), _INVALID_ARG,
 * _TXN_ABORTABLE (abort the failed one first), a fatal one.
 * Any thread; never blocks; also from a delivery callback. */
KPROD_API kprod_err_t kprod_txn_begin(kprod_t *p);

/* A consumed offset to commit inside the transaction: the next offset the
 * consumer will read of topic/partition. Strings are borrowed for the call. */
typedef struct kprod_txn_offset_s {
    const char *topic;
    int32_t partition;
    int64_t offset;       /* >= 0: the next record to consume */
    int32_t leader_epoch; /* of the last consumed record; -1 unknown */
    const char *metadata; /* NULL: none */
} kprod_txn_offset_t;

/* The consumer group's metadata, as the consumer knows it (Java's
 * ConsumerGroupMetadata), so the group coordinator can fence a zombie
 * consumer's commits (KIP-447). A producer outside the group gives the
 * group id only (KPROD_TXN_GROUP_INIT). Strings are borrowed for the call. */
typedef struct kprod_txn_group_s {
    const char *group_id;          /* required, non-empty */
    int32_t generation_id;         /* -1 unknown */
    const char *member_id;         /* NULL or "": unknown */
    const char *group_instance_id; /* NULL: a dynamic member */
} kprod_txn_group_t;
#define KPROD_TXN_GROUP_INIT(id)                                                                   \
    { (id), -1, NULL, NULL }

/* Commits count consumer offsets of group inside the open transaction:
 * they become the group's committed offsets when the transaction commits,
 * and are dropped when it aborts. Copies what it needs. Waits up to
 * timeout_ms (-1 forever) for the coordinators' answers.
 * Errors: _INVALID_ARG (NULL, count 0, an empty group id or topic, a
 * negative offset, a group's generation or member with a broker too old
 * to fence), _STATE (no transaction open, or another transaction call is
 * running), _TIMED_OUT (retriable: the offsets are still being sent; the
 * next transaction call waits for them), _TXN_ABORTABLE
 * (GROUP_AUTHORIZATION_FAILED, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * FENCED_INSTANCE_ID, TRANSACTION_ABORTABLE: abort), a fatal one, _CLOSED.
 * Any thread, also from a delivery callback. */
KPROD_API kprod_err_t kprod_txn_send_offsets(kprod_t *p, const kprod_txn_offset_t *offsets,
                                             size_t count, const kprod_txn_group_t *group,
                                             int timeout_ms);

/* Commits the open transaction: flushes first (as kprod_flush, serving
 * reports on this thread in poll mode), then asks the coordinator to
 * commit, and returns only when it is committed or has failed, or after
 * timeout_ms (-1 forever). When a record of the transaction failed the
 * commit fails with _TXN_ABORTABLE (that record's report has its own
 * error): abort. NO_ERROR: every record and offset of the transaction is
 * visible to read_committed consumers (once the markers are written).
 * Errors: _TIMED_OUT (retriable: call kprod_txn_commit again; before the
 * commit was asked for, kprod_txn_abort is allowed instead), _STATE (no
 * transaction open), _TXN_ABORTABLE, _IN_CALLBACK, a fatal one, _CLOSED.
 * Any thread, not from a delivery callback of p. */
KPROD_API kprod_err_t kprod_txn_commit(kprod_t *p, int timeout_ms);

/* Aborts the open (or failed) transaction: records not yet sent are
 * reported with KPROD_ERR__TXN_ABORTED at once, records in flight are
 * waited for (and reported _TXN_ABORTED too), then the coordinator aborts
 * the rest, and the reports are served (poll mode: on this thread, within
 * timeout_ms). Records already reported delivered stay written, but
 * read_committed consumers never see them. Waits up to timeout_ms (-1
 * forever).
 * Errors: _TIMED_OUT (retriable: call it again), _STATE (no transaction,
 * or a commit is under way: call kprod_txn_commit again), _TXN_ABORTABLE
 * (the coordinator answered TRANSACTION_ABORTABLE: call abort again),
 * _IN_CALLBACK, a fatal one, _CLOSED.
 * Any thread, not from a delivery callback of p. */
KPROD_API kprod_err_t kprod_txn_abort(kprod_t *p, int timeout_ms);

/* ------------------------------------------------------------------------
 * Cluster metadata (for tools and diagnostics)
 * ---------------------------------------------------------------------- */
typedef struct kprod_metadata_s kprod_metadata_t;

/* Fetches fresh metadata for one topic, or for all topics when topic is
 * NULL, waiting up to timeout_ms. The caller frees *out with
 * kprod_metadata_destroy. Any thread: calls at once take turns, each within
 * its own timeout_ms (-1 = forever) for the sender thread's answer; when
 * every broker refuses the connection's security setup, that error (see
 * kprod_send) within seconds. May be called from a delivery callback or a
 * serializer (it holds them up). */
KPROD_API kprod_err_t kprod_metadata_get(kprod_t *p, const char *topic, int timeout_ms,
                                         kprod_metadata_t **out);
/* Frees md (NULL: nothing). md does not depend on the producer: it may be
 * freed on any thread, after kprod_close too. No other call on md may
 * overlap it. */
KPROD_API void kprod_metadata_destroy(kprod_metadata_t *md);
/* Accessors; strings live as long as md. Out-of-range indexes give -1/NULL.
 * Every accessor down to kprod_metadata_partition_isr only reads md: any
 * number of threads may use one md at once (not during kprod_metadata_destroy);
 * none blocks; any callback may call them. */
KPROD_API const char *kprod_metadata_cluster_id(const kprod_metadata_t *md);
KPROD_API int32_t kprod_metadata_controller_id(const kprod_metadata_t *md);
KPROD_API int kprod_metadata_broker_count(const kprod_metadata_t *md);
KPROD_API int32_t kprod_metadata_broker_id(const kprod_metadata_t *md, int i);
KPROD_API const char *kprod_metadata_broker_host(const kprod_metadata_t *md, int i);
KPROD_API int32_t kprod_metadata_broker_port(const kprod_metadata_t *md, int i);
KPROD_API int kprod_metadata_topic_count(const kprod_metadata_t *md);
KPROD_API const char *kprod_metadata_topic_name(const kprod_metadata_t *md, int t);
KPROD_API kprod_err_t kprod_metadata_topic_err(const kprod_metadata_t *md, int t);
KPROD_API int kprod_metadata_partition_count(const kprod_metadata_t *md, int t);
/* Partitions are listed in order: index == partition id. */
KPROD_API int32_t kprod_metadata_partition_leader(const kprod_metadata_t *md, int t, int part);
/* Replica and ISR broker ids: fills up to max ids, returns the full count. */
KPROD_API int kprod_metadata_partition_replicas(const kprod_metadata_t *md, int t, int part,
                                                int32_t *ids, int max);
KPROD_API int kprod_metadata_partition_isr(const kprod_metadata_t *md, int t, int part,
                                           int32_t *ids, int max);

/* ------------------------------------------------------------------------
 * Statistics: what the producer has done and holds, per producer, broker
 * and partition. The JSON document's schema is in docs/STATISTICS.md.
 * ---------------------------------------------------------------------- */
typedef struct kprod_stats_s kprod_stats_t;

/* Every statistics.interval.ms (0, the default, means never) the JSON
 * document, json_len bytes plus a NUL, valid only during the call. Served
 * where delivery reports are (kprod_poll, kprod_flush, kprod_close, or
 * the report thread), with the rules of kprod_delivery_cb. */
typedef void (*kprod_stats_cb)(const char *json, size_t json_len, void *opaque);
/* Sets the statistics callback for producers made from conf; kprod never
 * frees opaque, which must outlive them. Changes conf: must not overlap
 * any other call on it. */
KPROD_API void kprod_conf_set_stats_cb(kprod_conf_t *conf, kprod_stats_cb cb, void *opaque);

/* A snapshot of the statistics now, taken by the sender thread; waits up
 * to timeout_ms (-1 forever) for it. The caller frees *out with
 * kprod_stats_destroy. _TIMED_OUT, _CLOSED, _NO_MEMORY. Any thread, also
 * from a delivery, error or statistics callback (it holds them up); calls
 * at once are served together or one after the other. */
KPROD_API kprod_err_t kprod_stats_get(kprod_t *p, int timeout_ms, kprod_stats_t **out);
/* Frees s (NULL: nothing). s does not depend on the producer. */
KPROD_API void kprod_stats_destroy(kprod_stats_t *s);
/* The snapshot as the JSON document of docs/STATISTICS.md; lives as long
 * as s. Only reads s: any number of threads at once. */
KPROD_API const char *kprod_stats_json(const kprod_stats_t *s);
/* The snapshot in Prometheus' text exposition format (one sample per
 * metric below, each labelled client_id, and broker, topic and partition
 * where they apply); lives as long as s. Only reads s. */
KPROD_API const char *kprod_stats_prometheus(const kprod_stats_t *s);

/* One number of a snapshot, for programs that export metrics their own
 * way. name is Prometheus-style ("kprod_records_acked_total"). A broker's
 * metric names it by broker ("host:port") and broker_id (negative for a
 * bootstrap.servers entry); a partition's by topic and partition. Where
 * they do not apply broker and topic are NULL, partition -1. Strings live
 * as long as the snapshot. */
typedef struct kprod_metric_s {
    const char *name;
    const char *help;
    int is_counter; /* 1: only grows (a _total); 0: a gauge */
    const char *broker;
    int32_t broker_id;
    const char *topic;
    int32_t partition;
    double value;
} kprod_metric_t;
/* The number of metrics in s, and metric i of them (NULL past the end).
 * Only read s. */
KPROD_API size_t kprod_stats_metric_count(const kprod_stats_t *s);
KPROD_API const kprod_metric_t *kprod_stats_metric(const kprod_stats_t *s, size_t i);

#ifdef __cplusplus
}
#endif
#endif /* KPROD_H */
