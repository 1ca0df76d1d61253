/* The configuration property table: every property kprod knows, with its
 * type, default, accepted range or values and a one-line description; the
 * librdkafka names accepted as aliases; the Java client properties kprod
 * knows of but does not implement. Also the value parser every setting goes
 * through, and the generator of docs/CONFIGURATION.md, so the docs are made
 * from the same table that validates.
 *
 * The table is data only: the conf object (config.c) stores values indexed
 * by kp_conf_id, and the producer never sees this file (it reads the
 * resolved kp_config from config.h). */
#ifndef KPROD_CONFIG_TABLE_H
#define KPROD_CONFIG_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One id per property; kp_conf_props[id] describes it. */
typedef enum kp_conf_id {
    KP_P_BOOTSTRAP_SERVERS,
    KP_P_CLIENT_ID,
    KP_P_ACKS,
    KP_P_ENABLE_IDEMPOTENCE,
    KP_P_RETRIES,
    KP_P_RETRY_BACKOFF_MS,
    KP_P_RETRY_BACKOFF_MAX_MS,
    KP_P_DELIVERY_TIMEOUT_MS,
    KP_P_REQUEST_TIMEOUT_MS,
    KP_P_LINGER_MS,
    KP_P_BATCH_SIZE,
    KP_P_BUFFER_MEMORY,
    KP_P_MAX_BLOCK_MS,
    KP_P_MAX_REQUEST_SIZE,
    KP_P_MAX_IN_FLIGHT,
    KP_P_COMPRESSION_TYPE,
    KP_P_COMPRESSION_GZIP_LEVEL,
    KP_P_COMPRESSION_LZ4_LEVEL,
    KP_P_COMPRESSION_ZSTD_LEVEL,
    KP_P_PARTITIONER_IGNORE_KEYS,
    KP_P_PARTITIONER_CLASS,
    KP_P_KEY_SERIALIZER,
    KP_P_VALUE_SERIALIZER,
    KP_P_METADATA_MAX_AGE_MS,
    KP_P_RECONNECT_BACKOFF_MS,
    KP_P_RECONNECT_BACKOFF_MAX_MS,
    KP_P_SOCKET_SETUP_TIMEOUT_MS,
    KP_P_SOCKET_SETUP_TIMEOUT_MAX_MS,
    KP_P_CONNECTIONS_MAX_IDLE_MS,
    KP_P_TRANSACTIONAL_ID,
    KP_P_TRANSACTION_TIMEOUT_MS,
    KP_P_SECURITY_PROTOCOL,
    KP_P_SSL_PROTOCOL,
    KP_P_SSL_ENABLED_PROTOCOLS,
    KP_P_SSL_CIPHER_SUITES,
    KP_P_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
    KP_P_SSL_CERTIFICATE_VERIFICATION,
    KP_P_SSL_TRUSTSTORE_TYPE,
    KP_P_SSL_TRUSTSTORE_LOCATION,
    KP_P_SSL_TRUSTSTORE_PASSWORD,
    KP_P_SSL_TRUSTSTORE_CERTIFICATES,
    KP_P_SSL_KEYSTORE_TYPE,
    KP_P_SSL_KEYSTORE_LOCATION,
    KP_P_SSL_KEYSTORE_PASSWORD,
    KP_P_SSL_KEYSTORE_KEY,
    KP_P_SSL_KEYSTORE_CERTIFICATE_CHAIN,
    KP_P_SSL_KEY_PASSWORD,
    KP_P_SSL_CERTIFICATE_LOCATION,
    KP_P_SSL_KEY_LOCATION,
    KP_P_SASL_MECHANISM,
    KP_P_SASL_JAAS_CONFIG,
    KP_P_SASL_USERNAME,
    KP_P_SASL_PASSWORD,
    KP_P_DELIVERY_REPORT_MODE,
    KP_P_RECEIVE_MESSAGE_MAX_BYTES,
    KP_P_DEBUG,
    KP_P_LOG_LEVEL,
    KP_P_STATISTICS_INTERVAL_MS,
    /* Java client properties for sockets and DNS (CommonClientConfigs). */
    KP_P_CLIENT_DNS_LOOKUP,
    KP_P_SEND_BUFFER_BYTES,
    KP_P_RECEIVE_BUFFER_BYTES,
    /* Accepted so that Java files load, not acted on (kp_conf_prop.not_applied). */
    KP_P_METADATA_MAX_IDLE_MS,
    KP_P_METADATA_RECOVERY_STRATEGY,
    KP_P_METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS,
    KP_P_PARTITIONER_ADAPTIVE,
    KP_P_PARTITIONER_AVAILABILITY_TIMEOUT_MS,
    KP_P_ENABLE_METRICS_PUSH,
    KP_P_METRICS_SAMPLE_WINDOW_MS,
    KP_P_METRICS_NUM_SAMPLES,
    KP_P_METRICS_RECORDING_LEVEL,
    KP_P_METRIC_REPORTERS,
    KP_P_INTERCEPTOR_CLASSES,
    KP_P_BOOTSTRAP_RESOLVE_TIMEOUT_MS, /* new in Kafka 4.3/4.4 */
    KP_P_BUFFER_MEMORY_ALLOCATION_STRATEGY,
    KP_P_CONFIG_PROVIDERS,
    KP_P_METADATA_CLUSTER_CHECK_ENABLE,
    KP_P_PARTITIONER_RACK_AWARE,
    KP_P_CLIENT_RACK,
    KP_P_GROUP_ID, /* consumer and admin client properties of CommonClientConfigs */
    KP_P_GROUP_INSTANCE_ID,
    KP_P_MAX_POLL_INTERVAL_MS,
    KP_P_REBALANCE_TIMEOUT_MS,
    KP_P_SESSION_TIMEOUT_MS,
    KP_P_HEARTBEAT_INTERVAL_MS,
    KP_P_DEFAULT_API_TIMEOUT_MS,
    KP_P__COUNT
} kp_conf_id;

typedef enum kp_conf_type {
    KP_CONF_STRING,
    KP_CONF_INT,  /* 32-bit signed */
    KP_CONF_LONG, /* 64-bit signed */
    KP_CONF_BOOL,
    KP_CONF_ENUM, /* one of values[]; the parsed number is its index */
    KP_CONF_LIST  /* comma-separated */
} kp_conf_type;

typedef struct kp_conf_prop kp_conf_prop;

/* A property-specific parser, used instead of the generic one for its type.
 * Sets *num (for enums: the index in values[]) and returns 0, or writes a
 * sentence naming the property, the value and what is accepted into errstr
 * and returns -1. */
typedef int (*kp_conf_check_fn)(const kp_conf_prop *p, const char *value, int64_t *num,
                                char *errstr, size_t errstr_size);

struct kp_conf_prop {
    const char *name;
    kp_conf_type type;
    const char *defval;        /* default as text; NULL = no value (null) */
    int64_t min, max;          /* INT and LONG: inclusive range */
    const char *const *values; /* ENUM: accepted values, NULL-terminated */
    kp_conf_check_fn check;    /* NULL: the generic parser for the type */
    const char *accepts;       /* docs: accepted values when not derived from min/max/values */
    const char *doc;           /* one line, Markdown */
    int secret; /* a password, key or JAAS text: never echoed (kprod_conf_get gives [hidden]) */
};

extern const kp_conf_prop kp_conf_props[KP_P__COUNT];

/* Why property id is accepted but not acted on (a Java client property
 * taken so that a Java file loads), or NULL when kprod applies it. The
 * sentence becomes the one warning (kp_config.notes) given when the
 * property is set, unless it is set to *inert (compared ignoring case: the
 * value that asks for nothing kprod lacks, e.g. enable.metrics.push=false;
 * *inert is NULL when every value warns). inert may be NULL. */
const char *kp_conf_not_applied(kp_conf_id id, const char **inert);

/* librdkafka names, mapped onto a kprod property. */
typedef enum kp_conf_conv {
    KP_CONV_SAME,       /* same value */
    KP_CONV_KBYTES,     /* value in KiB: multiplied by 1024 */
    KP_CONV_ZERO_IS_MAX /* librdkafka's 0 = infinite: becomes the target's maximum */
} kp_conf_conv;

typedef struct kp_conf_alias {
    const char *name;
    kp_conf_id target;
    kp_conf_conv conv;
} kp_conf_alias;

extern const kp_conf_alias kp_conf_aliases[];
extern const size_t kp_conf_alias_count;

/* Finds a property by its name or an alias. Returns 0 and sets *id (and
 * *alias to the alias entry, or NULL for the property's own name), or -1. */
int kp_conf_find(const char *name, kp_conf_id *id, const kp_conf_alias **alias);

/* Why a name that is not a kprod property is refused, when it is one that
 * kprod knows about (a Java client property kprod does not implement, or a
 * librdkafka property without an equivalent); NULL otherwise. */
const char *kp_conf_unsupported_why(const char *name);

/* The known name (property or alias) closest to a mistyped one, or NULL
 * when none is close enough to be a plausible typo. */
const char *kp_conf_suggest(const char *name);

/* Parses and validates value (already trimmed) for property p: numbers
 * strictly (optional sign, digits only, range-checked), booleans as true or
 * false in any case, enums against values[]. Returns 0 with *num set (0 for
 * strings and lists), or -1 with errstr written. */
int kp_conf_parse_value(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                        size_t errstr_size);

/* What p accepts, as text for messages and docs ("an integer from 1 to 17",
 * "none, gzip, snappy, lz4, zstd", ...). */
void kp_conf_accepts_text(const kp_conf_prop *p, char *buf, size_t size);

/* The refused names (see kp_conf_unsupported_why), for the docs: entry i
 * of kp_conf_unsupported_count, NULL past the end; a name ending in '.' is
 * a prefix. */
extern const size_t kp_conf_unsupported_count;
const char *kp_conf_unsupported_name(size_t i, const char **why);

/* Writes docs/CONFIGURATION.md: the property table, the aliases, the
 * refused names and the cross-property rules. tests/unit/test_config.c
 * checks the file in the repository equals this output. */
void kp_conf_write_markdown(FILE *f);

#endif
