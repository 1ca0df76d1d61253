/* The configuration as the producer reads it: one plain struct of resolved,
 * validated values, made from a kprod_conf_t by kp_conf_resolve.
 *
 * kprod_conf_set (config.c) validates each value on its own as it is set;
 * kp_conf_resolve applies the rules that involve several properties (the
 * Java client's: idempotence, delivery.timeout.ms, backoff pairs, client.id)
 * and fills in kp_config. The producer copies nothing else out of the conf,
 * so the conf may be destroyed right after resolving. */
#ifndef KPROD_CONFIG_H
#define KPROD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "log.h"
#include "net/tls.h"
#include "protocol/compression.h"
#include "security/sasl.h"
#include "serializer.h"

enum { KP_SECURITY_PLAINTEXT, KP_SECURITY_SSL, KP_SECURITY_SASL_PLAINTEXT, KP_SECURITY_SASL_SSL };

typedef struct kp_config {
    char *bootstrap_servers; /* "host:port,host:port", non-empty, each entry valid
                              * (split with kp_split_hostport), no spaces */
    char *client_id;         /* as set, else "producer-<transactional.id>" / "producer-<n>" */
    int acks;                /* -1 (all), 0 or 1 */
    int enable_idempotence;  /* after Java's rules: may be 0 although the default is 1 */
    int32_t retries;
    int64_t retry_backoff_ms; /* <= retry_backoff_max_ms (Java: static backoff otherwise) */
    int64_t retry_backoff_max_ms;
    int64_t delivery_timeout_ms; /* >= linger_ms + request_timeout_ms */
    int64_t request_timeout_ms;
    int64_t linger_ms;
    int32_t batch_size;
    int64_t buffer_memory;
    int64_t max_block_ms;
    int32_t max_request_size;
    int32_t receive_message_max_bytes; /* largest response frame accepted */
    int max_in_flight;                 /* <= 5 when enable_idempotence */
    kp_codec compression_type;
    int compression_level; /* the chosen codec's level (gzip -1 = zlib default); 0 for none */
    int partitioner_ignore_keys;
    int64_t metadata_max_age_ms;
    int64_t reconnect_backoff_ms; /* <= reconnect_backoff_max_ms */
    int64_t reconnect_backoff_max_ms;
    int64_t socket_connection_setup_timeout_ms; /* <= ..._max_ms */
    int64_t socket_connection_setup_timeout_max_ms;
    int64_t connections_max_idle_ms; /* -1 = never close idle connections */
    char *transactional_id;          /* NULL when not set */
    int64_t transaction_timeout_ms;
    int security_protocol; /* KP_SECURITY_*: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL */
    kp_tls_settings tls;   /* tls.enabled with SSL and SASL_SSL */
    int sasl_enabled;      /* SASL_PLAINTEXT or SASL_SSL */
    kp_sasl_settings sasl; /* the mechanism and its credentials (when sasl_enabled) */
    kp_ser_kind key_serializer;
    kp_ser_kind value_serializer;
    int delivery_thread;          /* 1: delivery.report.mode=thread, 0: poll */
    int dns_canonical_bootstrap;  /* client.dns.lookup=resolve_canonical_bootstrap_servers_only */
    int32_t send_buffer_bytes;    /* SO_SNDBUF; -1: the OS default */
    int32_t receive_buffer_bytes; /* SO_RCVBUF; -1: the OS default */

    /* Callbacks from kprod_conf_set_*(); NULL when not set. A serializer
     * callback makes the matching *_serializer KP_CONFIG_SER_USER. */
    kprod_serializer_cb key_serializer_cb;
    void *key_serializer_opaque;
    kprod_serializer_cb value_serializer_cb;
    void *value_serializer_opaque;
    kprod_partitioner_cb partitioner_cb;
    void *partitioner_opaque;
    kprod_delivery_cb delivery_cb;
    void *delivery_cb_opaque;
    kprod_error_cb error_cb;
    void *error_opaque;
    kprod_stats_cb stats_cb;
    void *stats_opaque;
    int64_t statistics_interval_ms; /* 0: no periodic document */

    /* log_level, debug and the log callback; log.client_id points at
     * client_id above, so a kp_config must not be copied by value. */
    kp_log log;

    /* What resolving changed silently, one sentence per line, for the
     * producer to log (Java logs these as warnings); NULL when nothing.
     * Also one line per Java property that is set but not applied
     * (kp_conf_prop.not_applied). */
    char *notes;
} kp_config;

/* Applies the cross-property rules and fills *out (zeroed first).
 * - bootstrap.servers must be non-empty.
 * - enable.idempotence needs retries > 0 and acks=all: set explicitly, a
 *   conflict is an error naming both properties; left at its default,
 *   idempotence is turned off instead. With idempotence still on,
 *   max.in.flight.requests.per.connection > 5 is an error.
 * - transactional.id needs idempotence (an explicit enable.idempotence=false,
 *   or acks/retries that turned it off, is an error naming them).
 * - delivery.timeout.ms >= linger.ms + request.timeout.ms: set explicitly,
 *   an error; left at its default, raised to the sum.
 * - reconnect.backoff.ms set but reconnect.backoff.max.ms not: the max
 *   follows (fixed backoff); retry.backoff.ms and socket connection setup
 *   timeouts above their max are lowered to it.
 * Returns NO_ERROR, or _INVALID_CONFIG / _CONFLICTING_CONFIG with errstr
 * (may be NULL) saying what to change; on error *out holds nothing to free.
 * On success the caller frees *out with kp_config_free. conf is not
 * modified. Thread-safe for different confs. */
kprod_err_t kp_conf_resolve(const kprod_conf_t *conf, kp_config *out, char *errstr,
                            size_t errstr_size);

/* Frees the strings in c and zeroes it; safe on a zeroed struct. */
void kp_config_free(kp_config *c);

#endif
