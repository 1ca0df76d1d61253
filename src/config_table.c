/* The configuration property table and its value parser (see config_table.h).
 *
 * Names, defaults and ranges are the Java producer's (Kafka 4.x
 * ProducerConfig.java), so a producer.properties file carries over. Where the
 * Java client has no validator at all (socket.connection.setup.timeout.*,
 * connections.max.idle.ms, transaction.timeout.ms) kprod still refuses
 * values that make no sense (negative timeouts). */
#include "config_table.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_security.h"
#include "hostport.h"
#include "log.h"

#define I32_MAX INT64_C(2147483647)
#define I64_MAX INT64_MAX

static const char *const acks_values[] = {"all", "-1", "0", "1", NULL};
static const char *const compression_values[] = {"none", "gzip", "snappy", "lz4", "zstd", NULL};
static const char *const serializer_values[] = {"bytes", "string", "int32",
                                                "int64", "double", NULL};
static const char *const security_values[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL",
                                              NULL};
static const char *const report_mode_values[] = {"poll", "thread", NULL};
static const char *const dns_lookup_values[] = {"use_all_dns_ips",
                                                "resolve_canonical_bootstrap_servers_only", NULL};
static const char *const recovery_values[] = {"none", "rebootstrap", NULL};
static const char *const recording_level_values[] = {"INFO", "DEBUG", "TRACE", NULL};
static const char *const allocation_values[] = {"full", "incremental", NULL};
static const char *const ssl_protocol_values[] = {"TLSv1.2", "TLSv1.3", "TLS", NULL};

static int check_bootstrap(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                           size_t errstr_size);
static int check_gzip_level(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                            size_t errstr_size);
static int check_serializer(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                            size_t errstr_size);
static int check_partitioner_class(const kp_conf_prop *p, const char *value, int64_t *num,
                                   char *errstr, size_t errstr_size);
static int check_security_protocol(const kp_conf_prop *p, const char *value, int64_t *num,
                                   char *errstr, size_t errstr_size);
static int check_non_empty(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                           size_t errstr_size);
static int check_debug(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                       size_t errstr_size);
static int check_enum_nocase(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                             size_t errstr_size);

/* Shorthands keeping one property per line or two. */
#define P_INT(n, d, lo, hi, doc)                                                                   \
    { n, KP_CONF_INT, d, lo, hi, NULL, NULL, NULL, doc }
#define P_LONG(n, d, lo, hi, doc)                                                                  \
    { n, KP_CONF_LONG, d, lo, hi, NULL, NULL, NULL, doc }
#define P_BOOL(n, d, doc)                                                                          \
    { n, KP_CONF_BOOL, d, 0, 1, NULL, NULL, NULL, doc }
#define P_ENUM(n, d, vals, doc)                                                                    \
    { n, KP_CONF_ENUM, d, 0, 0, vals, NULL, NULL, doc }
/* A consumer or admin client property of CommonClientConfigs: the Java
 * producer ignores it (with a warning), and so does kprod. */
#define P_NOT_PRODUCER(n)                                                                          \
    {                                                                                              \
        n, KP_CONF_STRING, NULL, 0, 0, NULL, NULL, "any string",                                   \
            "A consumer or admin client property (CommonClientConfigs)."                           \
    }

const kp_conf_prop kp_conf_props[KP_P__COUNT] = {
    [KP_P_BOOTSTRAP_SERVERS] = {"bootstrap.servers", KP_CONF_LIST, "", 0, 0, NULL, check_bootstrap,
                                "host:port[,host:port...]; IPv6 as [addr]:port",
                                "Brokers to fetch the first metadata from; the next is tried when "
                                "one fails. Required."},
    [KP_P_CLIENT_ID] = {"client.id", KP_CONF_STRING, "", 0, 0, NULL, NULL, "any string",
                        "Sent in every request header for the broker's logs and quotas. When "
                        "not set: `producer-<transactional.id>` or `producer-<n>`, as in Java."},
    [KP_P_ACKS] = P_ENUM("acks", "all", acks_values,
                         "Acknowledgements the leader must have before a request counts as "
                         "complete: `0` none, `1` the leader, `all` (= `-1`) every in-sync "
                         "replica."),
    [KP_P_ENABLE_IDEMPOTENCE] = P_BOOL("enable.idempotence", "true",
                                       "Write each record exactly once per partition despite "
                                       "retries. Needs acks=all, retries > 0 and at most 5 "
                                       "requests in flight (see the rules below)."),
    [KP_P_RETRIES] = P_INT("retries", "2147483647", 0, I32_MAX,
                           "How often a batch that failed with a retriable error is resent; "
                           "delivery.timeout.ms bounds the total time anyway."),
    [KP_P_RETRY_BACKOFF_MS] = P_LONG("retry.backoff.ms", "100", 0, I64_MAX,
                                     "First wait before a retry; doubled on each attempt, with "
                                     "jitter, up to retry.backoff.max.ms."),
    [KP_P_RETRY_BACKOFF_MAX_MS] =
        P_LONG("retry.backoff.max.ms", "1000", 0, I64_MAX, "Longest wait between retries."),
    [KP_P_DELIVERY_TIMEOUT_MS] = P_INT("delivery.timeout.ms", "120000", 0, I32_MAX,
                                       "Upper bound from kprod_send() to the delivery report, "
                                       "retries included. At least linger.ms + "
                                       "request.timeout.ms."),
    [KP_P_REQUEST_TIMEOUT_MS] = P_INT("request.timeout.ms", "30000", 0, I32_MAX,
                                      "How long to wait for a broker's response before the "
                                      "request is failed or retried."),
    [KP_P_LINGER_MS] = P_LONG("linger.ms", "5", 0, I64_MAX,
                              "How long a batch waits for more records before it is sent, "
                              "unless it is full first."),
    [KP_P_BATCH_SIZE] = P_INT("batch.size", "16384", 0, I32_MAX,
                              "Bytes per partition batch; a full batch is sent at once. A record "
                              "larger than this gets a batch of its own."),
    [KP_P_BUFFER_MEMORY] = P_LONG("buffer.memory", "33554432", 0, I64_MAX,
                                  "Bytes of records waiting to be sent; kprod_send() blocks "
                                  "(up to max.block.ms) when it is full."),
    [KP_P_MAX_BLOCK_MS] = P_LONG("max.block.ms", "60000", 0, I64_MAX,
                                 "Longest kprod_send() blocks, for buffer space or for a "
                                 "topic's first metadata."),
    [KP_P_MAX_REQUEST_SIZE] = P_INT("max.request.size", "1048576", 0, I32_MAX,
                                    "Largest request in bytes; a larger record fails at once "
                                    "(not retriable)."),
    [KP_P_MAX_IN_FLIGHT] = P_INT("max.in.flight.requests.per.connection", "5", 1, I32_MAX,
                                 "Requests sent to one broker without a response yet. At most "
                                 "5 with idempotence; 1 keeps strict order without it."),
    [KP_P_COMPRESSION_TYPE] =
        P_ENUM("compression.type", "none", compression_values, "Codec for record batches."),
    [KP_P_COMPRESSION_GZIP_LEVEL] = {"compression.gzip.level", KP_CONF_INT, "-1", -1, 9, NULL,
                                     check_gzip_level, "-1 (zlib's default) or 1..9",
                                     "gzip level when compression.type=gzip."},
    [KP_P_COMPRESSION_LZ4_LEVEL] =
        P_INT("compression.lz4.level", "9", 1, 17, "lz4 level when compression.type=lz4."),
    [KP_P_COMPRESSION_ZSTD_LEVEL] =
        P_INT("compression.zstd.level", "3", -131072, 22, "zstd level when compression.type=zstd."),
    [KP_P_PARTITIONER_IGNORE_KEYS] = P_BOOL("partitioner.ignore.keys", "false",
                                            "Ignore keys when choosing a partition (sticky "
                                            "partitioning for every record)."),
    [KP_P_PARTITIONER_CLASS] = {"partitioner.class", KP_CONF_STRING, "", 0, 0, NULL,
                                check_partitioner_class,
                                "empty, or Java's default partitioner class name (ignored)",
                                "Accepted only so Java properties files load; a custom "
                                "partitioner is set with kprod_conf_set_partitioner()."},
    [KP_P_KEY_SERIALIZER] = {"key.serializer", KP_CONF_ENUM, "bytes", 0, 0, serializer_values,
                             check_serializer, NULL,
                             "Built-in serializer for keys; Java's ByteArray, Bytes, "
                             "ByteBuffer, String, Integer, Long and Double serializer class "
                             "names map to them. kprod_conf_set_key_serializer() overrides."},
    [KP_P_VALUE_SERIALIZER] = {"value.serializer", KP_CONF_ENUM, "bytes", 0, 0, serializer_values,
                               check_serializer, NULL,
                               "Built-in serializer for values, as key.serializer. "
                               "kprod_conf_set_value_serializer() overrides."},
    [KP_P_METADATA_MAX_AGE_MS] = P_LONG("metadata.max.age.ms", "300000", 0, I64_MAX,
                                        "Metadata is refreshed at least this often (and at "
                                        "once on a leader error)."),
    [KP_P_RECONNECT_BACKOFF_MS] = P_LONG("reconnect.backoff.ms", "50", 0, I64_MAX,
                                         "First wait before reconnecting to a broker; doubled "
                                         "on each failure up to reconnect.backoff.max.ms."),
    [KP_P_RECONNECT_BACKOFF_MAX_MS] =
        P_LONG("reconnect.backoff.max.ms", "1000", 0, I64_MAX, "Longest wait before reconnecting."),
    [KP_P_SOCKET_SETUP_TIMEOUT_MS] =
        P_LONG("socket.connection.setup.timeout.ms", "10000", 0, I64_MAX,
               "How long one connection attempt (TCP connect, then the version handshake) "
               "may take before the next address or broker is tried."),
    [KP_P_SOCKET_SETUP_TIMEOUT_MAX_MS] =
        P_LONG("socket.connection.setup.timeout.max.ms", "30000", 0, I64_MAX,
               "Java: the connection setup timeout grows after failures up to this."),
    [KP_P_CONNECTIONS_MAX_IDLE_MS] = P_LONG("connections.max.idle.ms", "540000", -1, I64_MAX,
                                            "Java: close a connection idle this long; -1 never."),
    [KP_P_TRANSACTIONAL_ID] = {"transactional.id", KP_CONF_STRING, NULL, 0, 0, NULL,
                               check_non_empty, "a non-empty string",
                               "Identity of a transactional producer (needs idempotence): "
                               "records and offsets are written in transactions "
                               "(kprod_txn_*; docs/TRANSACTIONS.md)."},
    [KP_P_TRANSACTION_TIMEOUT_MS] = P_INT("transaction.timeout.ms", "60000", 0, I32_MAX,
                                          "Longest a transaction may stay open before the "
                                          "coordinator aborts it."),
    [KP_P_SECURITY_PROTOCOL] = {"security.protocol", KP_CONF_ENUM, "PLAINTEXT", 0, 0,
                                security_values, check_security_protocol, NULL,
                                "How to talk to brokers: `PLAINTEXT`, `SSL` (TLS), "
                                "`SASL_PLAINTEXT` (SASL, no TLS) or `SASL_SSL` (SASL over TLS). "
                                "Case-insensitive. docs/SECURITY.md has worked examples."},
    [KP_P_SSL_PROTOCOL] = P_ENUM("ssl.protocol", "TLSv1.3", ssl_protocol_values,
                                 "Accepted for Java files; the versions offered are "
                                 "ssl.enabled.protocols'."),
    [KP_P_SSL_ENABLED_PROTOCOLS] =
        {"ssl.enabled.protocols", KP_CONF_LIST, "TLSv1.2,TLSv1.3", 0, 0, NULL,
         kp_check_tls_versions, "TLSv1.2, TLSv1.3 (either or both)",
         "TLS versions offered (OpenSSL 3). Older versions are refused."},
    [KP_P_SSL_CIPHER_SUITES] = {"ssl.cipher.suites", KP_CONF_LIST, "", 0, 0, NULL, NULL,
                                "IANA (Java) or OpenSSL suite names, comma-separated",
                                "Cipher suites offered; empty: OpenSSL's defaults. TLS 1.3 and "
                                "1.2 suites may be mixed; a name OpenSSL does not know fails "
                                "kprod_new()."},
    [KP_P_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM] =
        {"ssl.endpoint.identification.algorithm", KP_CONF_STRING, "https", 0, 0, NULL,
         kp_check_endpoint_algorithm, "https, or empty (librdkafka: none) to turn it off",
         "`https`: the broker's certificate must name the host (DNS name or IP address, from "
         "bootstrap.servers or metadata) kprod connects to. Empty turns that check off: any "
         "certificate the CA signed is then accepted for any broker."},
    [KP_P_SSL_CERTIFICATE_VERIFICATION] =
        P_BOOL("enable.ssl.certificate.verification", "true",
               "librdkafka's name, kprod only: `false` accepts any certificate, signed or not "
               "(for tests only: anyone in between can read and change everything)."),
    [KP_P_SSL_TRUSTSTORE_TYPE] = {"ssl.truststore.type", KP_CONF_STRING, "", 0, 0, NULL,
                                  kp_check_store_type, "PEM, PKCS12, or empty",
                                  "Format of ssl.truststore.location. Empty (Java's default is "
                                  "JKS): PEM or PKCS12, told apart by the file's content. JKS "
                                  "is refused with how to convert it."},
    [KP_P_SSL_TRUSTSTORE_LOCATION] = {"ssl.truststore.location", KP_CONF_STRING, NULL, 0, 0, NULL,
                                      NULL,
                                      "a file (PEM: a directory of hashed certificates "
                                      "too)",
                                      "CA certificates that sign the brokers' certificates. Not "
                                      "set: the system's store (OpenSSL's default paths)."},
    [KP_P_SSL_TRUSTSTORE_PASSWORD] = {"ssl.truststore.password", KP_CONF_STRING, NULL, 0, 0, NULL,
                                      NULL, "any string",
                                      "Password of a PKCS12 truststore. Secret.", 1},
    [KP_P_SSL_TRUSTSTORE_CERTIFICATES] = {"ssl.truststore.certificates", KP_CONF_STRING, NULL, 0, 0,
                                          NULL, NULL, "PEM text",
                                          "CA certificates in PEM, instead of a file "
                                          "(ssl.truststore.type PEM or empty)."},
    [KP_P_SSL_KEYSTORE_TYPE] = {"ssl.keystore.type", KP_CONF_STRING, "", 0, 0, NULL,
                                kp_check_store_type, "PEM, PKCS12, or empty",
                                "Format of ssl.keystore.location, as ssl.truststore.type."},
    [KP_P_SSL_KEYSTORE_LOCATION] = {"ssl.keystore.location", KP_CONF_STRING, NULL, 0, 0, NULL, NULL,
                                    "a file",
                                    "The client's certificate chain and private key (mutual "
                                    "TLS): PKCS12, or PEM with the key and the chain."},
    [KP_P_SSL_KEYSTORE_PASSWORD] = {"ssl.keystore.password", KP_CONF_STRING, NULL, 0, 0, NULL, NULL,
                                    "any string", "Password of a PKCS12 keystore. Secret.", 1},
    [KP_P_SSL_KEYSTORE_KEY] = {"ssl.keystore.key", KP_CONF_STRING, NULL, 0, 0, NULL, NULL,
                               "PEM text",
                               "The client's private key in PEM (PKCS#8, encrypted with "
                               "ssl.key.password or not), instead of a keystore file. Secret.",
                               1},
    [KP_P_SSL_KEYSTORE_CERTIFICATE_CHAIN] = {"ssl.keystore.certificate.chain", KP_CONF_STRING, NULL,
                                             0, 0, NULL, NULL, "PEM text",
                                             "The client's certificate chain in PEM, with "
                                             "ssl.keystore.key."},
    [KP_P_SSL_KEY_PASSWORD] = {"ssl.key.password", KP_CONF_STRING, NULL, 0, 0, NULL, NULL,
                               "any string",
                               "Password of the client's private key (an encrypted PEM key, or "
                               "the key in a PKCS12 keystore when it differs from the store's). "
                               "Secret.",
                               1},
    [KP_P_SSL_CERTIFICATE_LOCATION] = {"ssl.certificate.location", KP_CONF_STRING, NULL, 0, 0, NULL,
                                       NULL, "a PEM file",
                                       "librdkafka's name, kprod only: the client's certificate "
                                       "chain, with ssl.key.location (instead of a keystore)."},
    [KP_P_SSL_KEY_LOCATION] = {"ssl.key.location", KP_CONF_STRING, NULL, 0, 0, NULL, NULL,
                               "a PEM file",
                               "librdkafka's name, kprod only: the client's private key "
                               "(encrypted with ssl.key.password or not)."},
    [KP_P_SASL_MECHANISM] = {"sasl.mechanism", KP_CONF_STRING, "GSSAPI", 0, 0, NULL,
                             kp_check_sasl_mechanism,
                             "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER",
                             "SASL mechanism for SASL_PLAINTEXT and SASL_SSL. Java's default "
                             "GSSAPI (Kerberos) is not supported: with SASL set one of the "
                             "others."},
    [KP_P_SASL_JAAS_CONFIG] = {"sasl.jaas.config", KP_CONF_STRING, NULL, 0, 0, NULL, kp_check_jaas,
                               "one JAAS login module entry",
                               "Java's login module line: `PlainLoginModule` and "
                               "`ScramLoginModule` (username, password) or "
                               "`OAuthBearerLoginModule` (unsecuredLogin* options) of "
                               "org.apache.kafka.common.security. Secret.",
                               1},
    [KP_P_SASL_USERNAME] = {"sasl.username", KP_CONF_STRING, NULL, 0, 0, NULL, NULL, "any string",
                            "librdkafka's name, kprod only: the PLAIN or SCRAM user, instead of "
                            "sasl.jaas.config."},
    [KP_P_SASL_PASSWORD] = {"sasl.password", KP_CONF_STRING, NULL, 0, 0, NULL, NULL, "any string",
                            "librdkafka's name, kprod only: the PLAIN or SCRAM password. Secret.",
                            1},
    [KP_P_DELIVERY_REPORT_MODE] = P_ENUM("delivery.report.mode", "poll", report_mode_values,
                                         "kprod only: where delivery reports run, in "
                                         "kprod_poll()/kprod_flush() on the application's "
                                         "thread (`poll`) or on a kprod thread (`thread`)."),
    [KP_P_RECEIVE_MESSAGE_MAX_BYTES] =
        P_INT("receive.message.max.bytes", "100000000", 1000, I32_MAX,
              "librdkafka's name, kprod only: the largest response a broker may send; a "
              "larger size prefix fails the connection before anything is buffered."),
    [KP_P_DEBUG] = {"debug", KP_CONF_LIST, "", 0, 0, NULL, check_debug,
                    "comma-separated: generic, broker, protocol, metadata, msg, idempotence, "
                    "security, txn, recovery, conf, all",
                    "librdkafka's name: contexts whose debug traces are logged (to the log "
                    "callback, else stderr). Empty: none."},
    [KP_P_LOG_LEVEL] = P_INT("log_level", "6", 0, 7,
                             "librdkafka's name: the highest syslog level passed to the log "
                             "callback (3 errors, 4 warnings, 6 info, 7 debug). Without a "
                             "callback only warnings and errors reach stderr."),
    [KP_P_STATISTICS_INTERVAL_MS] =
        P_INT("statistics.interval.ms", "0", 0, 86400000,
              "librdkafka's name: how often the statistics document (docs/STATISTICS.md) goes "
              "to the statistics callback; 0 never. kprod_stats_get() works either way."),
    [KP_P_CLIENT_DNS_LOOKUP] =
        P_ENUM("client.dns.lookup", "use_all_dns_ips", dns_lookup_values,
               "`use_all_dns_ips`: every address a broker's name resolves to is tried in turn "
               "before the connection counts as failed. "
               "`resolve_canonical_bootstrap_servers_only`: at kprod_new() each bootstrap "
               "entry is resolved and replaced by the canonical names of its addresses "
               "(reverse lookup), as Java does for Kerberos; entries that do not resolve "
               "stay as given."),
    [KP_P_SEND_BUFFER_BYTES] = P_INT("send.buffer.bytes", "131072", -1, I32_MAX,
                                     "SO_SNDBUF of every broker connection; -1 (or 0): the "
                                     "operating system's default (Linux then sizes it "
                                     "automatically)."),
    [KP_P_RECEIVE_BUFFER_BYTES] = P_INT("receive.buffer.bytes", "32768", -1, I32_MAX,
                                        "SO_RCVBUF of every broker connection, set before "
                                        "connecting; -1 (or 0): the operating system's default."),
    [KP_P_METADATA_MAX_IDLE_MS] =
        {"metadata.max.idle.ms", KP_CONF_LONG, "300000", 5000, I64_MAX, NULL, NULL, NULL,
         "Java: a topic not produced to for this long leaves the metadata."},
    [KP_P_METADATA_RECOVERY_STRATEGY] = {"metadata.recovery.strategy", KP_CONF_ENUM, "rebootstrap",
                                         0, 0, recovery_values, check_enum_nocase,
                                         "none, rebootstrap (any case)",
                                         "Java: what to do when no known broker answers."},
    [KP_P_METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS] =
        {"metadata.recovery.rebootstrap.trigger.ms", KP_CONF_LONG, "300000", 0, I64_MAX, NULL, NULL,
         NULL, "Java: how long without metadata before rebootstrapping."},
    [KP_P_PARTITIONER_ADAPTIVE] = {"partitioner.adaptive.partitioning.enable", KP_CONF_BOOL, "true",
                                   0, 1, NULL, NULL, NULL,
                                   "Java: the sticky partitioner favours faster brokers."},
    [KP_P_PARTITIONER_AVAILABILITY_TIMEOUT_MS] =
        {"partitioner.availability.timeout.ms", KP_CONF_LONG, "0", 0, I64_MAX, NULL, NULL, NULL,
         "Java: a partition whose leader lags this long is avoided; 0 off."},
    [KP_P_ENABLE_METRICS_PUSH] = {"enable.metrics.push", KP_CONF_BOOL, "true", 0, 1, NULL, NULL,
                                  NULL, "Java: push client metrics to the cluster (KIP-714)."},
    [KP_P_METRICS_SAMPLE_WINDOW_MS] = {"metrics.sample.window.ms", KP_CONF_LONG, "30000", 0,
                                       I64_MAX, NULL, NULL, NULL,
                                       "Java: the window of a metrics sample."},
    [KP_P_METRICS_NUM_SAMPLES] = {"metrics.num.samples", KP_CONF_INT, "2", 1, I32_MAX, NULL, NULL,
                                  NULL, "Java: samples kept per metric."},
    [KP_P_METRICS_RECORDING_LEVEL] = {"metrics.recording.level", KP_CONF_ENUM, "INFO", 0, 0,
                                      recording_level_values, NULL, NULL,
                                      "Java: the highest level of metrics recorded."},
    [KP_P_METRIC_REPORTERS] = {"metric.reporters", KP_CONF_LIST,
                               "org.apache.kafka.common.metrics.JmxReporter", 0, 0, NULL, NULL,
                               "Java class names, comma-separated",
                               "Java: classes that receive the metrics."},
    [KP_P_INTERCEPTOR_CLASSES] = {"interceptor.classes", KP_CONF_LIST, "", 0, 0, NULL, NULL,
                                  "Java class names, comma-separated",
                                  "Java: classes that see each record before it is sent."},
    [KP_P_BOOTSTRAP_RESOLVE_TIMEOUT_MS] =
        P_LONG("bootstrap.resolve.timeout.ms", "0", 0, I64_MAX,
               "Java: how long the producer's construction retries resolving "
               "bootstrap.servers."),
    [KP_P_BUFFER_MEMORY_ALLOCATION_STRATEGY] = {"buffer.memory.allocation.strategy", KP_CONF_ENUM,
                                                "full", 0, 0, allocation_values, check_enum_nocase,
                                                "full, incremental (any case)",
                                                "Java: how batch buffers take buffer.memory."},
    [KP_P_CONFIG_PROVIDERS] = {"config.providers", KP_CONF_LIST, "", 0, 0, NULL, NULL,
                               "names, comma-separated",
                               "Java: providers that fill in ${provider:path:key} values."},
    [KP_P_METADATA_CLUSTER_CHECK_ENABLE] =
        P_BOOL("metadata.cluster.check.enable", "true",
               "Java: metadata from a broker of another cluster (another cluster id) is "
               "refused."),
    [KP_P_PARTITIONER_RACK_AWARE] = P_BOOL("partitioner.rack.aware", "false",
                                           "Java: records without a key prefer partitions whose "
                                           "leader is in client.rack."),
    [KP_P_CLIENT_RACK] = {"client.rack", KP_CONF_STRING, "", 0, 0, NULL, NULL, "any string",
                          "Java: the rack of the client, for partitioner.rack.aware."},
    [KP_P_GROUP_ID] = P_NOT_PRODUCER("group.id"),
    [KP_P_GROUP_INSTANCE_ID] = P_NOT_PRODUCER("group.instance.id"),
    [KP_P_MAX_POLL_INTERVAL_MS] = P_NOT_PRODUCER("max.poll.interval.ms"),
    [KP_P_REBALANCE_TIMEOUT_MS] = P_NOT_PRODUCER("rebalance.timeout.ms"),
    [KP_P_SESSION_TIMEOUT_MS] = P_NOT_PRODUCER("session.timeout.ms"),
    [KP_P_HEARTBEAT_INTERVAL_MS] = P_NOT_PRODUCER("heartbeat.interval.ms"),
    [KP_P_DEFAULT_API_TIMEOUT_MS] = P_NOT_PRODUCER("default.api.timeout.ms"),
};

/* Java properties accepted but not acted on (kp_conf_not_applied). */
typedef struct not_applied {
    kp_conf_id id;
    const char *inert; /* the value that gives no warning; NULL: none */
    const char *why;
} not_applied;

#define NOT_PRODUCER "not a producer property; the Java producer ignores it too"

static const not_applied not_applied_props[] = {
    {KP_P_CONNECTIONS_MAX_IDLE_MS, "-1",
     "kprod keeps idle connections open (a broker that closes one is reconnected when needed)"},
    {KP_P_SOCKET_SETUP_TIMEOUT_MAX_MS, NULL,
     "the timeout does not grow after failures: every attempt gets "
     "socket.connection.setup.timeout.ms (lowered to this maximum when above it)"},
    {KP_P_METADATA_MAX_IDLE_MS, NULL, "kprod keeps the metadata of every topic it has sent to"},
    {KP_P_METADATA_RECOVERY_STRATEGY, "rebootstrap",
     "kprod always falls back to bootstrap.servers when no broker it knows answers "
     "(rebootstrap)"},
    {KP_P_METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS, NULL,
     "kprod tries bootstrap.servers as soon as no broker it knows answers"},
    {KP_P_PARTITIONER_ADAPTIVE, "false",
     "kprod's sticky partitioner does not weigh brokers by their queue length"},
    {KP_P_PARTITIONER_AVAILABILITY_TIMEOUT_MS, "0",
     "kprod's sticky partitioner does not avoid slow partitions"},
    {KP_P_ENABLE_METRICS_PUSH, "false", "kprod does not push client metrics (KIP-714)"},
    {KP_P_METRICS_SAMPLE_WINDOW_MS, NULL, "kprod has no Java metrics registry"},
    {KP_P_METRICS_NUM_SAMPLES, NULL, "kprod has no Java metrics registry"},
    {KP_P_METRICS_RECORDING_LEVEL, NULL, "kprod has no Java metrics registry"},
    {KP_P_METRIC_REPORTERS, "", "kprod cannot load Java classes"},
    {KP_P_INTERCEPTOR_CLASSES, "", "kprod cannot load Java classes and has no interceptors yet"},
    {KP_P_BOOTSTRAP_RESOLVE_TIMEOUT_MS, NULL,
     "kprod_new() does not resolve bootstrap.servers: names are resolved at each connection "
     "attempt, retried until max.block.ms"},
    {KP_P_BUFFER_MEMORY_ALLOCATION_STRATEGY, NULL,
     "kprod charges buffer.memory as each batch grows, whatever is set here"},
    {KP_P_CONFIG_PROVIDERS, "", "kprod cannot load Java config providers"},
    {KP_P_METADATA_CLUSTER_CHECK_ENABLE, "false", "kprod does not compare cluster ids"},
    {KP_P_PARTITIONER_RACK_AWARE, "false", "kprod's partitioner does not weigh racks"},
    {KP_P_CLIENT_RACK, "", "kprod's partitioner does not weigh racks"},
    {KP_P_GROUP_ID, NULL, NOT_PRODUCER},
    {KP_P_GROUP_INSTANCE_ID, NULL, NOT_PRODUCER},
    {KP_P_MAX_POLL_INTERVAL_MS, NULL, NOT_PRODUCER},
    {KP_P_REBALANCE_TIMEOUT_MS, NULL, NOT_PRODUCER},
    {KP_P_SESSION_TIMEOUT_MS, NULL, NOT_PRODUCER},
    {KP_P_HEARTBEAT_INTERVAL_MS, NULL, NOT_PRODUCER},
    {KP_P_DEFAULT_API_TIMEOUT_MS, NULL, NOT_PRODUCER},
};

const char *kp_conf_not_applied(kp_conf_id id, const char **inert) {
    for (size_t i = 0; i < sizeof(not_applied_props) / sizeof(not_applied_props[0]); i++)
        if (not_applied_props[i].id == id) {
            if (inert)
                *inert = not_applied_props[i].inert;
            return not_applied_props[i].why;
        }
    if (inert)
        *inert = NULL;
    return NULL;
}

const kp_conf_alias kp_conf_aliases[] = {
    {"metadata.broker.list", KP_P_BOOTSTRAP_SERVERS, KP_CONV_SAME},
    {"request.required.acks", KP_P_ACKS, KP_CONV_SAME},
    {"message.send.max.retries", KP_P_RETRIES, KP_CONV_SAME},
    {"message.timeout.ms", KP_P_DELIVERY_TIMEOUT_MS, KP_CONV_ZERO_IS_MAX},
    {"queue.buffering.max.ms", KP_P_LINGER_MS, KP_CONV_SAME},
    {"queue.buffering.max.kbytes", KP_P_BUFFER_MEMORY, KP_CONV_KBYTES},
    {"compression.codec", KP_P_COMPRESSION_TYPE, KP_CONV_SAME},
    {"max.in.flight", KP_P_MAX_IN_FLIGHT, KP_CONV_SAME},
    {"sasl.mechanisms", KP_P_SASL_MECHANISM, KP_CONV_SAME},
    {"ssl.ca.location", KP_P_SSL_TRUSTSTORE_LOCATION, KP_CONV_SAME},
    {"ssl.ca.pem", KP_P_SSL_TRUSTSTORE_CERTIFICATES, KP_CONV_SAME},
    {"ssl.certificate.pem", KP_P_SSL_KEYSTORE_CERTIFICATE_CHAIN, KP_CONV_SAME},
    {"ssl.key.pem", KP_P_SSL_KEYSTORE_KEY, KP_CONV_SAME},
};
const size_t kp_conf_alias_count = sizeof(kp_conf_aliases) / sizeof(kp_conf_aliases[0]);

/* Names refused with a reason. A name ending in '.' is a prefix. */
typedef struct unsupported {
    const char *name;
    const char *why;
} unsupported;

static const unsupported unsupported_names[] = {
    {"batch.num.messages",
     "a librdkafka property without a Java equivalent: kprod limits batches by bytes, use "
     "batch.size"},
    {"queue.buffering.max.messages",
     "a librdkafka property without a Java equivalent: kprod bounds buffered records by bytes, "
     "use buffer.memory"},
    {"sasl.kerberos.", "GSSAPI (Kerberos) is not supported by kprod"},
    {"sasl.login.", "kprod runs no Java login classes: OAUTHBEARER tokens come from "
                    "kprod_conf_set_oauthbearer_token_cb() (docs/SECURITY.md)"},
    {"sasl.oauthbearer.", "kprod does not fetch OAuth tokens itself: give them with "
                          "kprod_conf_set_oauthbearer_token_cb() (docs/SECURITY.md)"},
    {"enable.sasl.oauthbearer.unsecure.jwt",
     "librdkafka's unsecured tokens: use sasl.jaas.config with OAuthBearerLoginModule and "
     "unsecuredLoginStringClaim_sub (docs/SECURITY.md)"},
    {"sasl.client.callback.handler.class", "kprod cannot load Java classes"},
    {"sasl.server.", "a broker setting"},
    {"ssl.engine.", "Java's SSLEngine (or librdkafka's OpenSSL engine): kprod uses OpenSSL as is"},
    {"ssl.keymanager.algorithm", "Java's JSSE: kprod uses OpenSSL"},
    {"ssl.trustmanager.algorithm", "Java's JSSE: kprod uses OpenSSL"},
    {"ssl.provider", "Java's JSSE: kprod uses OpenSSL"},
    {"ssl.providers", "OpenSSL providers are not configurable in kprod"},
    {"ssl.secure.random.implementation", "Java's JSSE: kprod uses OpenSSL's random numbers"},
    {"ssl.crl.location", "certificate revocation lists are not supported by kprod yet"},
    {"ssl.sigalgs.list", "not configurable in kprod: OpenSSL's defaults"},
    {"ssl.curves.list", "not configurable in kprod: OpenSSL's defaults"},
    {"ssl_engine_id", "OpenSSL engines are not supported by kprod"},
    {"ssl.client.auth", "a broker setting: a client gives its certificate with ssl.keystore.*"},
    {"security.providers", "Java security providers are not supported by kprod"},
};

const size_t kp_conf_unsupported_count = sizeof(unsupported_names) / sizeof(unsupported_names[0]);

const char *kp_conf_unsupported_name(size_t i, const char **why) {
    if (i >= kp_conf_unsupported_count)
        return NULL;
    if (why)
        *why = unsupported_names[i].why;
    return unsupported_names[i].name;
}

/* ---- generic value parsing ---- */

static void err_set(char *errstr, size_t errstr_size, const char *fmt, const char *name,
                    const char *value, const char *accepts) {
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, fmt, value, name, accepts);
}

/* Strict decimal parse: optional sign, then digits only; -1 on junk or
 * overflow of int64. */
static int parse_i64(const char *s, int64_t *out) {
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return -1;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || !end || *end)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static void range_text(const kp_conf_prop *p, char *buf, size_t size) {
    if (p->accepts)
        snprintf(buf, size, "%s", p->accepts);
    else if ((p->type == KP_CONF_LONG && p->max == I64_MAX) ||
             (p->type == KP_CONF_INT && p->max == I32_MAX))
        snprintf(buf, size, "an integer >= %lld (at most %lld)", (long long)p->min,
                 (long long)p->max);
    else
        snprintf(buf, size, "an integer from %lld to %lld", (long long)p->min, (long long)p->max);
}

static void values_text(const kp_conf_prop *p, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; p->values[i]; i++) {
        int w = snprintf(buf + n, size - n, "%s%s", i ? ", " : "", p->values[i]);
        if (w < 0 || (size_t)w >= size - n)
            break;
        n += (size_t)w;
    }
}

static int parse_number(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                        size_t errstr_size) {
    int64_t v;
    if (parse_i64(value, &v) != 0 || v < p->min || v > p->max) {
        char acc[128];
        range_text(p, acc, sizeof(acc));
        err_set(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": expected %s", p->name, value,
                acc);
        return -1;
    }
    *num = v;
    return 0;
}

static int find_value(const kp_conf_prop *p, const char *value, int nocase) {
    for (int i = 0; p->values[i]; i++)
        if (nocase ? strcasecmp(p->values[i], value) == 0 : strcmp(p->values[i], value) == 0)
            return i;
    return -1;
}

static int parse_enum(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                      size_t errstr_size) {
    int i = find_value(p, value, 0);
    if (i < 0) {
        char acc[256];
        values_text(p, acc, sizeof(acc));
        err_set(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": expected one of %s", p->name,
                value, acc);
        return -1;
    }
    *num = i;
    return 0;
}

void kp_conf_accepts_text(const kp_conf_prop *p, char *buf, size_t size) {
    if (p->accepts)
        snprintf(buf, size, "%s", p->accepts);
    else if (p->type == KP_CONF_ENUM)
        values_text(p, buf, size);
    else if (p->type == KP_CONF_BOOL)
        snprintf(buf, size, "true, false");
    else if (p->type == KP_CONF_INT || p->type == KP_CONF_LONG)
        range_text(p, buf, size);
    else
        snprintf(buf, size, "any string");
}

int kp_conf_parse_value(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                        size_t errstr_size) {
    *num = 0;
    if (p->check)
        return p->check(p, value, num, errstr, errstr_size);
    switch (p->type) {
    case KP_CONF_INT:
    case KP_CONF_LONG:
        return parse_number(p, value, num, errstr, errstr_size);
    case KP_CONF_BOOL:
        if (strcasecmp(value, "true") == 0) {
            *num = 1;
            return 0;
        }
        if (strcasecmp(value, "false") == 0)
            return 0;
        err_set(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": expected %s", p->name, value,
                "true or false");
        return -1;
    case KP_CONF_ENUM:
        return parse_enum(p, value, num, errstr, errstr_size);
    case KP_CONF_STRING:
    case KP_CONF_LIST:
        return 0;
    }
    return -1;
}

/* ---- property-specific checks ---- */

/* Each comma-separated entry (spaces around it allowed) must be host:port.
 * An empty value is accepted here: kp_conf_resolve reports it as missing. */
static int check_bootstrap(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                           size_t errstr_size) {
    (void)num;
    if (!*value)
        return 0;
    const char *s = value;
    for (;;) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        while (s < end && isspace((unsigned char)*s))
            s++;
        const char *e = end;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        char host[256];
        int port;
        if (kp_split_hostport(s, (size_t)(e - s), host, sizeof(host), &port) != 0) {
            if (errstr && errstr_size)
                snprintf(errstr, errstr_size,
                         "Invalid value \"%s\" for \"%s\": entry \"%.*s\" is not host:port "
                         "(port 1..65535; IPv6 as [addr]:port)",
                         value, p->name, (int)(e - s), s);
            return -1;
        }
        if (!comma)
            return 0;
        s = comma + 1;
    }
}

/* Java: -1 (zlib's default level) or 1..9; 0 (no compression) is refused. */
static int check_gzip_level(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                            size_t errstr_size) {
    if (parse_number(p, value, num, errstr, errstr_size) != 0)
        return -1;
    if (*num == 0) {
        err_set(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": expected %s", p->name, value,
                p->accepts);
        return -1;
    }
    return 0;
}

/* Java serializer class names and the built-in kind each maps to. */
static const struct {
    const char *cls;
    int kind;
} java_serializers[] = {
    {"org.apache.kafka.common.serialization.ByteArraySerializer", 0},
    {"org.apache.kafka.common.serialization.BytesSerializer", 0},
    {"org.apache.kafka.common.serialization.ByteBufferSerializer", 0},
    {"org.apache.kafka.common.serialization.StringSerializer", 1},
    {"org.apache.kafka.common.serialization.IntegerSerializer", 2},
    {"org.apache.kafka.common.serialization.LongSerializer", 3},
    {"org.apache.kafka.common.serialization.DoubleSerializer", 4},
};

static int check_serializer(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                            size_t errstr_size) {
    for (size_t i = 0; i < sizeof(java_serializers) / sizeof(java_serializers[0]); i++)
        if (strcmp(value, java_serializers[i].cls) == 0) {
            *num = java_serializers[i].kind;
            return 0;
        }
    if (parse_enum(p, value, num, NULL, 0) == 0)
        return 0;
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size,
                 "Invalid value \"%s\" for \"%s\": expected one of bytes, string, int32, int64, "
                 "double (or Java's ByteArray/Bytes/ByteBuffer/String/Integer/Long/Double "
                 "serializer class names); a custom serializer is set with "
                 "kprod_conf_set_%s_serializer()",
                 value, p->name, strncmp(p->name, "key", 3) == 0 ? "key" : "value");
    return -1;
}

static int check_partitioner_class(const kp_conf_prop *p, const char *value, int64_t *num,
                                   char *errstr, size_t errstr_size) {
    (void)num;
    /* The Java default (null, or the pre-4.0 DefaultPartitioner spelled
     * out) is what kprod does anyway. */
    if (!*value ||
        strcmp(value, "org.apache.kafka.clients.producer.internals.DefaultPartitioner") == 0)
        return 0;
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size,
                 "Invalid value \"%s\" for \"%s\": kprod cannot load Java classes; leave it "
                 "empty for the default partitioner, or set a custom one with "
                 "kprod_conf_set_partitioner()",
                 value, p->name);
    return -1;
}

/* Case-insensitive like Java's. */
static int check_security_protocol(const kp_conf_prop *p, const char *value, int64_t *num,
                                   char *errstr, size_t errstr_size) {
    int i = find_value(p, value, 1);
    if (i >= 0) {
        *num = i;
        return 0;
    }
    err_set(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": expected one of %s", p->name,
            value, "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
    return -1;
}

static int check_debug(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                       size_t errstr_size) {
    (void)p;
    unsigned bits;
    if (kp_log_parse_debug(value, &bits, errstr, errstr_size) != 0)
        return -1;
    *num = bits;
    return 0;
}

static int check_non_empty(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                           size_t errstr_size) {
    (void)num;
    if (*value)
        return 0;
    err_set(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": expected %s", p->name, value,
            p->accepts);
    return -1;
}

/* Java's CaseInsensitiveValidString: the value as listed, in any case. */
static int check_enum_nocase(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                             size_t errstr_size) {
    int i = find_value(p, value, 1);
    if (i >= 0) {
        *num = i;
        return 0;
    }
    char acc[256];
    values_text(p, acc, sizeof(acc));
    err_set(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": expected one of %s (any case)",
            p->name, value, acc);
    return -1;
}

/* ---- lookup ---- */

int kp_conf_find(const char *name, kp_conf_id *id, const kp_conf_alias **alias) {
    for (int i = 0; i < KP_P__COUNT; i++)
        if (strcmp(kp_conf_props[i].name, name) == 0) {
            *id = (kp_conf_id)i;
            if (alias)
                *alias = NULL;
            return 0;
        }
    for (size_t i = 0; i < kp_conf_alias_count; i++)
        if (strcmp(kp_conf_aliases[i].name, name) == 0) {
            *id = kp_conf_aliases[i].target;
            if (alias)
                *alias = &kp_conf_aliases[i];
            return 0;
        }
    return -1;
}

const char *kp_conf_unsupported_why(const char *name) {
    for (size_t i = 0; i < sizeof(unsupported_names) / sizeof(unsupported_names[0]); i++) {
        const char *u = unsupported_names[i].name;
        size_t n = strlen(u);
        if (u[n - 1] == '.' ? strncmp(name, u, n) == 0 : strcmp(name, u) == 0)
            return unsupported_names[i].why;
    }
    return NULL;
}

/* Case-insensitive Levenshtein distance, with two rows; names are short. */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            cur[j] = best;
        }
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

const char *kp_conf_suggest(const char *name) {
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < KP_P__COUNT + kp_conf_alias_count; i++) {
        const char *cand =
            i < KP_P__COUNT ? kp_conf_props[i].name : kp_conf_aliases[i - KP_P__COUNT].name;
        size_t d = edit_distance(name, cand);
        if (d < best_d) {
            best_d = d;
            best = cand;
        }
    }
    /* Up to three edits, and fewer than a third of the name: a typo, not a
     * different word. */
    if (best && best_d <= 3 && best_d * 3 < strlen(name))
        return best;
    return NULL;
}

/* ---- docs/CONFIGURATION.md ---- */

/* Writes s into a Markdown table cell. */
static void md_cell(FILE *f, const char *s) {
    fputs(" ", f);
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s, f);
    }
    fputs(" |", f);
}

static const char *type_name(kp_conf_type t) {
    switch (t) {
    case KP_CONF_STRING:
        return "string";
    case KP_CONF_INT:
        return "int";
    case KP_CONF_LONG:
        return "long";
    case KP_CONF_BOOL:
        return "bool";
    case KP_CONF_ENUM:
        return "enum";
    case KP_CONF_LIST:
        return "list";
    }
    return "?";
}

static const char *conv_text(kp_conf_conv c) {
    switch (c) {
    case KP_CONV_SAME:
        return "same value";
    case KP_CONV_KBYTES:
        return "KiB: multiplied by 1024";
    case KP_CONV_ZERO_IS_MAX:
        return "0 (librdkafka: infinite) becomes the maximum";
    }
    return "";
}

/* One row of a property table: name, type, default, accepted, then the
 * cells of `extra` (n of them). */
static void md_prop_row(FILE *f, kp_conf_id id, const char *const *extra, int n) {
    const kp_conf_prop *p = &kp_conf_props[id];
    char acc[256], def[96];
    kp_conf_accepts_text(p, acc, sizeof(acc));
    if (id == KP_P_BOOTSTRAP_SERVERS)
        snprintf(def, sizeof(def), "(required)");
    else if (!p->defval)
        snprintf(def, sizeof(def), "(none)");
    else if (!*p->defval)
        snprintf(def, sizeof(def), "(empty)");
    else
        snprintf(def, sizeof(def), "`%s`", p->defval);
    fprintf(f, "| `%s` |", p->name);
    md_cell(f, type_name(p->type));
    md_cell(f, def);
    md_cell(f, acc);
    for (int i = 0; i < n; i++)
        md_cell(f, extra[i]);
    fputc('\n', f);
}

/* The section on Java properties that are accepted but not applied. */
static void md_not_applied(FILE *f) {
    fputs("\n## Accepted but not applied\n\n"
          "Java client properties (Kafka 4.x ProducerConfig and CommonClientConfigs) that\n"
          "kprod accepts so that a Java properties file loads unchanged, but does not act\n"
          "on. Values are checked as Java checks them. Each one that is set gives one\n"
          "warning when the producer is created, naming it and saying why, unless it is\n"
          "set to the value in the column \"Silent when\" (the value that asks for\n"
          "nothing kprod lacks; compared ignoring case).\n\n"
          "| Property | Type | Default | Accepted | Silent when | Meaning, and why kprod does not "
          "apply it |\n"
          "|---|---|---|---|---|---|\n",
          f);
    for (int i = 0; i < KP_P__COUNT; i++) {
        const char *inert, *why = kp_conf_not_applied((kp_conf_id)i, &inert);
        if (!why)
            continue;
        char silent[96];
        if (!inert)
            snprintf(silent, sizeof(silent), "(never)");
        else if (!*inert)
            snprintf(silent, sizeof(silent), "(empty)");
        else
            snprintf(silent, sizeof(silent), "`%s`", inert);
        char text[512];
        snprintf(text, sizeof(text), "%s Not applied: %s.", kp_conf_props[i].doc, why);
        const char *extra[] = {silent, text};
        md_prop_row(f, (kp_conf_id)i, extra, 2);
    }
}

void kp_conf_write_markdown(FILE *f) {
    fputs("# kprod configuration\n\n"
          "<!-- Generated from src/config_table.c by kp_conf_write_markdown(): do not edit.\n"
          "     Regenerate with scripts/gen-config-doc.sh; the unit test test_config fails\n"
          "     when this file and the table disagree. -->\n\n"
          "kprod takes the Java producer's property names and defaults (Kafka 4.x), so a\n"
          "`producer.properties` written for the Java client loads with\n"
          "`kprod_conf_load_file()` (Java .properties syntax). Common librdkafka names are\n"
          "accepted as aliases. Every value is checked when it is set: an unknown name or\n"
          "a bad value is an error saying what is accepted, and a close known name is\n"
          "suggested for a typo. Values are trimmed of surrounding blanks; integers take\n"
          "an optional sign and digits only; booleans are `true` or `false` in any case.\n"
          "Java properties that kprod accepts without acting on them are listed apart,\n"
          "under \"Accepted but not applied\"; each gives a warning when set.\n\n"
          "## Properties\n\n"
          "| Property | Type | Default | Accepted | Description |\n"
          "|---|---|---|---|---|\n",
          f);
    for (int i = 0; i < KP_P__COUNT; i++)
        if (!kp_conf_not_applied((kp_conf_id)i, NULL))
            md_prop_row(f, (kp_conf_id)i, &kp_conf_props[i].doc, 1);
    fputs("\n## Rules between properties\n\n"
          "Checked when the producer is created (`kprod_new`), as the Java client does:\n\n"
          "- `bootstrap.servers` must name at least one broker.\n"
          "- `enable.idempotence=true` needs `acks=all` and `retries` > 0. When\n"
          "  `enable.idempotence` was set explicitly, a conflicting `acks` or `retries` is\n"
          "  an error naming both; when it was left at its default, idempotence is turned\n"
          "  off instead.\n"
          "- While idempotence is on, `max.in.flight.requests.per.connection` above 5 is an\n"
          "  error (Kafka 4.x). Set `enable.idempotence=false` to allow more.\n"
          "- `transactional.id` needs idempotence.\n"
          "- `delivery.timeout.ms` must be at least `linger.ms` + `request.timeout.ms`: an\n"
          "  error when it was set explicitly, raised to the sum when it was left at its\n"
          "  default.\n"
          "- `reconnect.backoff.ms` set without `reconnect.backoff.max.ms` gives a fixed\n"
          "  backoff. `retry.backoff.ms` above `retry.backoff.max.ms` (and\n"
          "  `socket.connection.setup.timeout.ms` above its `.max.ms`) is lowered to the\n"
          "  maximum.\n"
          "- A serializer or partitioner set with a `kprod_conf_set_*()` callback wins over\n"
          "  `key.serializer` / `value.serializer` / `partitioner.class`.\n"
          "- `security.protocol` `SASL_PLAINTEXT` or `SASL_SSL` needs `sasl.mechanism` set\n"
          "  to one kprod speaks (Java's default GSSAPI is refused) and its credentials:\n"
          "  PLAIN and SCRAM a user and password from `sasl.jaas.config` (whose login\n"
          "  module must match the mechanism) or `sasl.username`/`sasl.password`, not\n"
          "  both; OAUTHBEARER a token callback or `sasl.jaas.config` with\n"
          "  OAuthBearerLoginModule's unsecuredLogin options.\n"
          "- `ssl.truststore.location` and `ssl.truststore.certificates` exclude each other;\n"
          "  the client certificate comes one way: `ssl.keystore.location`,\n"
          "  `ssl.keystore.key` with `ssl.keystore.certificate.chain`, or\n"
          "  `ssl.certificate.location` with `ssl.key.location`. Files and stores are read\n"
          "  by `kprod_new`, which fails with `_SSL` naming the file and the problem.\n"
          "- ssl.* properties count only with `SSL` or `SASL_SSL`, sasl.* only with\n"
          "  `SASL_PLAINTEXT` or `SASL_SSL`.\n"
          "- Secrets (the properties marked Secret): `kprod_conf_get` returns `[hidden]`,\n"
          "  and no error message or log line quotes them. docs/SECURITY.md has more.\n",
          f);
    md_not_applied(f);
    fputs("\n## librdkafka names\n\n"
          "| librdkafka name | kprod property | Value |\n"
          "|---|---|---|\n",
          f);
    for (size_t i = 0; i < kp_conf_alias_count; i++) {
        const kp_conf_alias *a = &kp_conf_aliases[i];
        fprintf(f, "| `%s` | `%s` |", a->name, kp_conf_props[a->target].name);
        md_cell(f, conv_text(a->conv));
        fputc('\n', f);
    }
    fputs("\nlibrdkafka's defaults differ from these (for example idempotence off and much\n"
          "larger batches); kprod keeps the Java defaults.\n\n"
          "## Refused properties\n\n"
          "These names are known but refused with an explanation, so a configuration\n"
          "never silently loses a setting. A name ending in `.` stands for every property\n"
          "starting with it.\n\n"
          "| Property | Why |\n"
          "|---|---|\n",
          f);
    const char *why;
    for (size_t i = 0; kp_conf_unsupported_name(i, &why); i++) {
        fprintf(f, "| `%s` |", kp_conf_unsupported_name(i, NULL));
        md_cell(f, why);
        fputc('\n', f);
    }
}
