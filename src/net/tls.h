/* TLS for broker connections, with OpenSSL 3: one context per producer
 * (versions, suites, what is trusted, the client's certificate), made when
 * the producer is created so that a missing file, a wrong password or a
 * JKS store is an error of kprod_new; one session per connection, driven
 * without blocking from the sender's poll() loop (every call says whether
 * it wants the socket readable or writable next).
 *
 * Verification is on by default: the chain up to a trusted CA (the
 * configured truststore, else the system's), and the broker's name (DNS
 * name or IP address, as kprod dialled it) in the certificate's subject
 * alternative names. Failures say which broker and OpenSSL's reason.
 *
 * Thread: the context is made on the thread calling kprod_new and then
 * only read; sessions belong to the sender thread. */
#ifndef KPROD_NET_TLS_H
#define KPROD_NET_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "kprod.h"

/* The TLS properties, resolved (config_security.c); strings are owned by
 * the kp_config that holds this. */
typedef struct kp_tls_settings {
    int enabled;                  /* security.protocol SSL or SASL_SSL */
    int min_version, max_version; /* 0x0303 (TLS 1.2) .. 0x0304 (TLS 1.3): ssl.enabled.protocols */
    char *cipher_suites;          /* ssl.cipher.suites; NULL: OpenSSL's defaults */
    int verify_peer;              /* enable.ssl.certificate.verification */
    int verify_hostname;          /* ssl.endpoint.identification.algorithm=https */
    char *truststore_type;        /* "PEM", "PKCS12", NULL: from the content */
    char *truststore_location;
    char *truststore_password;
    char *truststore_certificates; /* PEM text */
    char *keystore_type;
    char *keystore_location;
    char *keystore_password;
    char *keystore_key;               /* PEM text */
    char *keystore_certificate_chain; /* PEM text */
    char *key_password;
    char *certificate_location; /* librdkafka's: PEM chain file */
    char *key_location;         /* librdkafka's: PEM key file */
} kp_tls_settings;

typedef struct kp_tls_ctx kp_tls_ctx;

/* Makes the context: loads the trusted CAs and the client's certificate and
 * key, checks they belong together. NO_ERROR, or _SSL / _INVALID_CONFIG
 * with errstr (which file, what is wrong, never a password). */
kprod_err_t kp_tls_ctx_new(const kp_tls_settings *s, kp_tls_ctx **out, char *errstr,
                           size_t errstr_size);
void kp_tls_ctx_free(kp_tls_ctx *ctx);

typedef struct kp_tls kp_tls;

/* What a call needs before it can go on. */
typedef enum kp_tls_status {
    KP_TLS_OK,         /* done (handshake), or n bytes moved */
    KP_TLS_WANT_READ,  /* call again when the socket is readable */
    KP_TLS_WANT_WRITE, /* ... writable */
    KP_TLS_CLOSED,     /* the peer closed the TLS session (or the socket) */
    KP_TLS_FAILED,     /* TLS itself failed (an alert, a verification, garbage): why says */
    KP_TLS_BROKEN,     /* the socket failed under TLS (a reset): why says */
} kp_tls_status;

/* A session on connected socket fd for a broker dialled as host (its
 * name or IP address: what the certificate must name). NULL when out of
 * memory (why says). */
kp_tls *kp_tls_new(kp_tls_ctx *ctx, int fd, const char *host, int port, char *why, size_t why_size);
void kp_tls_free(kp_tls *t);
/* Advances the handshake. */
kp_tls_status kp_tls_handshake(kp_tls *t, char *why, size_t why_size);
/* Reads up to n bytes into buf (*got set on KP_TLS_OK; never 0 then). */
kp_tls_status kp_tls_read(kp_tls *t, void *buf, size_t n, size_t *got, char *why, size_t why_size);
/* Writes up to n bytes of buf (*put set on KP_TLS_OK). After a WANT, call
 * again with the same bytes (the buffer may have moved; n may have grown). */
kp_tls_status kp_tls_write(kp_tls *t, const void *buf, size_t n, size_t *put, char *why,
                           size_t why_size);
/* The protocol and cipher negotiated ("TLSv1.3 TLS_AES_256_GCM_SHA384"). */
void kp_tls_describe(const kp_tls *t, char *buf, size_t size);

#endif
