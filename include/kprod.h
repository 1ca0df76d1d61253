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
 * - Thread-safety is written next to each function. */
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
    X(_MSG_SIZE_TOO_LARGE, -109, 0, "Record larger than max.request.size")                        \
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
    /* broker errors (Kafka protocol error codes) */                                               \
    X(UNKNOWN_SERVER_ERROR, -1, 0, "The server experienced an unexpected error")                   \
    X(NO_ERROR, 0, 0, "Success")                                                                   \
    X(OFFSET_OUT_OF_RANGE, 1, 0, "The requested offset is outside the range of offsets")           \
    X(CORRUPT_MESSAGE, 2, 1, "The message contents do not match the message CRC or are invalid")   \
    X(UNKNOWN_TOPIC_OR_PARTITION, 3, 1, "This server does not host this topic-partition")          \
    X(INVALID_FETCH_SIZE, 4, 0, "The requested fetch size is invalid")                             \
    X(LEADER_NOT_AVAILABLE, 5, 1, "There is no leader for this topic-partition")                   \
    X(NOT_LEADER_OR_FOLLOWER, 6, 1, "This server is not the leader or follower for the partition") \
    X(REQUEST_TIMED_OUT, 7, 1, "The request timed out")                                            \
    X(MESSAGE_TOO_LARGE, 10, 0, "The request included a message larger than the server accepts")  \
    X(NETWORK_EXCEPTION, 13, 1, "The server disconnected before a response was received")          \
    X(INVALID_TOPIC_EXCEPTION, 17, 0, "The request attempted to perform an operation on an invalid topic") \
    X(RECORD_LIST_TOO_LARGE, 18, 0, "The request included message batch larger than the configured segment size") \
    X(NOT_ENOUGH_REPLICAS, 19, 1, "Messages are rejected since there are fewer in-sync replicas than required") \
    X(NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20, 1, "Messages are written to the log, but to fewer in-sync replicas than required") \
    X(INVALID_REQUIRED_ACKS, 21, 0, "Produce request specified an invalid value for required acks") \
    X(TOPIC_AUTHORIZATION_FAILED, 29, 0, "Topic authorization failed")                            \
    X(CLUSTER_AUTHORIZATION_FAILED, 31, 0, "Cluster authorization failed")                        \
    X(UNSUPPORTED_VERSION, 35, 0, "The version of API is not supported")                           \
    X(OUT_OF_ORDER_SEQUENCE_NUMBER, 45, 0, "The broker received an out of order sequence number") \
    X(DUPLICATE_SEQUENCE_NUMBER, 46, 0, "The broker received a duplicate sequence number")        \
    X(INVALID_PRODUCER_EPOCH, 47, 0, "Producer attempted to produce with an old epoch")           \
    X(UNKNOWN_PRODUCER_ID, 59, 0, "This exception is raised by the broker if it could not locate the producer metadata") \
    X(INVALID_RECORD, 87, 0, "This record has failed the validation on broker and hence will be rejected")

typedef enum kprod_err_e {
#define KPROD_ERR_ENUM_(name, code, retriable, text) KPROD_ERR_##name = code,
    KPROD_ERROR_LIST(KPROD_ERR_ENUM_)
#undef KPROD_ERR_ENUM_
} kprod_err_t;

/* "NOT_LEADER_OR_FOLLOWER", "_TIMED_OUT", ...; "UNKNOWN_ERROR_<n>" for a code
 * not in the list. Static strings; thread-safe. */
KPROD_API const char *kprod_err_name(kprod_err_t err);
/* A short English sentence; static; thread-safe. */
KPROD_API const char *kprod_err_str(kprod_err_t err);
/* 1 when a retry of the same request may succeed. */
KPROD_API int kprod_err_is_retriable(kprod_err_t err);

/* ------------------------------------------------------------------------
 * Configuration. Property names and defaults are the Java client's
 * (Kafka 4.x), so a producer.properties file carries over; common librdkafka
 * names are accepted as aliases. The full table: docs/CONFIGURATION.md.
 * ---------------------------------------------------------------------- */
typedef struct kprod_conf_s kprod_conf_t;

/* A configuration holding every default. Free with kprod_conf_destroy unless
 * handed to kprod_new. NULL when out of memory. */
KPROD_API kprod_conf_t *kprod_conf_new(void);
KPROD_API void kprod_conf_destroy(kprod_conf_t *conf);
KPROD_API kprod_conf_t *kprod_conf_dup(const kprod_conf_t *conf);

/* Sets one property; the value is validated at once. An unknown name gives
 * KPROD_ERR__UNKNOWN_PROPERTY, a bad value KPROD_ERR__INVALID_CONFIG, and
 * errstr (may be NULL) says which property and what it accepts. name and value
 * are copied. Not thread-safe on the same conf. */
KPROD_API kprod_err_t kprod_conf_set(kprod_conf_t *conf, const char *name, const char *value,
                                     char *errstr, size_t errstr_size);
/* Reads a Java-style .properties file (key=value or key: value, # and !
 * comments, \ line continuation) and sets each property as kprod_conf_set
 * would; stops at the first bad line, naming file and line in errstr. */
KPROD_API kprod_err_t kprod_conf_load_file(kprod_conf_t *conf, const char *path, char *errstr,
                                           size_t errstr_size);
/* Copies the current value, as text, into dst (NUL-terminated, truncated to
 * dst_size). KPROD_ERR__UNKNOWN_PROPERTY for an unknown name. */
KPROD_API kprod_err_t kprod_conf_get(const kprod_conf_t *conf, const char *name, char *dst,
                                     size_t dst_size);

/* Serializers turn the application's key and value objects into bytes.
 * key.serializer / value.serializer select a built-in one by name: "bytes"
 * (default: the pointer and length are the bytes), "string" (a C string; a
 * length of 0 means strlen), "int32", "int64", "double" (a pointer to the
 * number, written big-endian like Java's serializers). Java class names
 * (org.apache.kafka.common.serialization.StringSerializer, ...) are accepted.
 * A user serializer writes its bytes with kprod_sink_write; it is called on
 * the thread that calls kprod_send. */
typedef struct kprod_sink_s kprod_sink_t;
KPROD_API kprod_err_t kprod_sink_write(kprod_sink_t *sink, const void *data, size_t len);
typedef kprod_err_t (*kprod_serializer_cb)(const char *topic, const void *obj, size_t obj_len,
                                           kprod_sink_t *sink, void *opaque);
KPROD_API void kprod_conf_set_key_serializer(kprod_conf_t *conf, kprod_serializer_cb cb,
                                             void *opaque);
KPROD_API void kprod_conf_set_value_serializer(kprod_conf_t *conf, kprod_serializer_cb cb,
                                               void *opaque);

/* A user partitioner: returns a partition in [0, partition_count), or -1 to
 * fall back to the built-in choice. key is the serialized key (NULL for a
 * null key). Called on the sending thread; must be thread-safe. */
typedef int32_t (*kprod_partitioner_cb)(const char *topic, const void *key, size_t key_len,
                                        int32_t partition_count, void *opaque);
KPROD_API void kprod_conf_set_partitioner(kprod_conf_t *conf, kprod_partitioner_cb cb,
                                          void *opaque);

/* ------------------------------------------------------------------------
 * Records and delivery reports
 * ---------------------------------------------------------------------- */
#define KPROD_PARTITION_ANY (-1)

typedef struct kprod_header_s {
    const char *name;  /* NUL-terminated */
    const void *value; /* NULL = null value */
    size_t value_len;
} kprod_header_t;

/* A record to send. kprod copies everything it needs during kprod_send
 * (the record is encoded into its batch at once), so every pointer here is
 * only borrowed for the duration of the call. With KPROD_F_FREE, kprod frees
 * key and value (with free()) once the call returns successfully. */
typedef struct kprod_record_s {
    const char *topic;       /* required */
    int32_t partition;       /* KPROD_PARTITION_ANY: the partitioner chooses */
    const void *key;         /* NULL = null key */
    size_t key_len;
    const void *value;       /* NULL = null value */
    size_t value_len;
    const kprod_header_t *headers;
    size_t header_count;
    int64_t timestamp_ms;    /* 0 = now */
    int flags;               /* KPROD_F_* */
} kprod_record_t;

#define KPROD_F_FREE 0x1 /* kprod frees key and value after a successful send */

/* Zero-initialise a record: kprod_record_t r = KPROD_RECORD_INIT; */
#define KPROD_RECORD_INIT {NULL, KPROD_PARTITION_ANY, NULL, 0, NULL, 0, NULL, 0, 0, 0}

/* One delivery report per accepted record. Valid only during the callback. */
typedef struct kprod_report_s {
    kprod_err_t err;     /* KPROD_ERR_NO_ERROR = delivered */
    const char *topic;
    int32_t partition;   /* -1 if the record never got one */
    int64_t offset;      /* -1 with acks=0 or on error */
    int64_t timestamp_ms;
    /* On error: 1 when the record may have been written all the same (its
     * request reached a broker and no answer came back before the timeout),
     * 0 when it certainly was not. */
    int possibly_persisted;
    void *opaque;        /* the opaque given to kprod_send */
} kprod_report_t;

typedef void (*kprod_delivery_cb)(const kprod_report_t *report, void *cb_opaque);

/* The callback for records sent without one of their own. cb_opaque is
 * passed to it (the record's opaque is in the report). */
KPROD_API void kprod_conf_set_delivery_cb(kprod_conf_t *conf, kprod_delivery_cb cb,
                                          void *cb_opaque);

/* ------------------------------------------------------------------------
 * The producer
 * ---------------------------------------------------------------------- */
typedef struct kprod_s kprod_t;

/* Creates a producer and starts its sender thread. Takes ownership of conf
 * on success (do not use or free it afterwards); on failure conf stays the
 * caller's and errstr says why. Does not wait for the cluster: connection
 * problems are reported per record. */
KPROD_API kprod_err_t kprod_new(kprod_conf_t *conf, kprod_t **out, char *errstr,
                                size_t errstr_size);

/* Sends one record asynchronously. On success the record gets exactly one
 * delivery report later, through cb (or the conf's default callback when cb
 * is NULL), with opaque in report->opaque. Blocks up to max.block.ms while
 * buffer.memory is full or the topic's partition count is not yet known.
 * Errors returned here (no report follows): _INVALID_ARG, _INVALID_TOPIC,
 * _MSG_SIZE_TOO_LARGE, _QUEUE_FULL, _TIMED_OUT (metadata), _UNKNOWN_TOPIC,
 * _UNKNOWN_PARTITION, _SERIALIZATION, _FATAL, _CLOSED.
 * Thread-safe: any number of threads may send at once. */
KPROD_API kprod_err_t kprod_send(kprod_t *p, const kprod_record_t *rec, kprod_delivery_cb cb,
                                 void *opaque);

/* Serves delivery reports on the calling thread, waiting up to timeout_ms
 * (-1 = forever) for the first one. Returns how many were served. With
 * delivery.report.mode=thread reports are served by kprod's own thread and
 * this only waits. Thread-safe. */
KPROD_API int kprod_poll(kprod_t *p, int timeout_ms);

/* Sends everything buffered now (ignoring linger.ms) and waits until every
 * record sent before the call has had its report served, or timeout_ms
 * passes (-1 = forever). Serves reports itself in poll mode.
 * Returns KPROD_ERR__FLUSH_TIMED_OUT if records are still pending. */
KPROD_API kprod_err_t kprod_flush(kprod_t *p, int timeout_ms);

/* Records accepted but not yet reported. */
KPROD_API size_t kprod_outstanding(kprod_t *p);

/* Flushes for up to timeout_ms, then fails every record still pending with
 * KPROD_ERR__PURGED_ON_CLOSE, serves every remaining report (callbacks run
 * on the calling thread) and frees the producer. p is invalid afterwards.
 * Returns NO_ERROR when everything was delivered or failed before the
 * timeout, _FLUSH_TIMED_OUT when records had to be purged. */
KPROD_API kprod_err_t kprod_close(kprod_t *p, int timeout_ms);

/* The fatal error that stopped the producer, if any (NO_ERROR otherwise),
 * with its cause in errstr. */
KPROD_API kprod_err_t kprod_fatal_error(kprod_t *p, char *errstr, size_t errstr_size);

/* ------------------------------------------------------------------------
 * Cluster metadata (for tools and diagnostics)
 * ---------------------------------------------------------------------- */
typedef struct kprod_metadata_s kprod_metadata_t;

/* Fetches fresh metadata for one topic, or for all topics when topic is
 * NULL, waiting up to timeout_ms. The caller frees *out with
 * kprod_metadata_destroy. */
KPROD_API kprod_err_t kprod_metadata_get(kprod_t *p, const char *topic, int timeout_ms,
                                         kprod_metadata_t **out);
KPROD_API void kprod_metadata_destroy(kprod_metadata_t *md);
/* Accessors; strings live as long as md. Out-of-range indexes give -1/NULL. */
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

#ifdef __cplusplus
}
#endif
#endif /* KPROD_H */
