/* SaslHandshake (key 17, v1) and SaslAuthenticate (key 36, v0..2): the
 * requests that authenticate a connection after ApiVersions (KIP-43,
 * KIP-152), and again before the session the broker granted ends
 * (KIP-368, SessionLifetimeMs from SaslAuthenticate v1).
 *
 * SaslHandshake v0 (Kafka 0.10, raw SASL tokens outside Kafka framing) is
 * not spoken: v1 (Kafka 1.0) and later wrap every token in a
 * SaslAuthenticate request. The mechanisms' tokens themselves are built in
 * src/security/. */
#ifndef KPROD_PROTOCOL_SASL_H
#define KPROD_PROTOCOL_SASL_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

/* Appends a SaslHandshake request body: the mechanism's name (non-empty,
 * at most KP_CODEC_STR_MAX bytes). KPROD_ERR_NO_ERROR,
 * KPROD_ERR__INVALID_ARG (version, mechanism) or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_sasl_handshake_req_encode(kp_buf *b, int16_t version, const char *mechanism);

typedef struct kp_sasl_handshake_resp {
    int16_t error_code;
    int32_t count;
    char **mechanisms; /* count NUL-terminated names the broker enables; NULL when none */
} kp_sasl_handshake_resp;

/* Decodes a SaslHandshake response body into *out, which owns its memory
 * (kp_sasl_handshake_resp_free); on error it holds nothing. A null or
 * absent mechanism name is malformed. KPROD_ERR_NO_ERROR,
 * KPROD_ERR__BAD_MSG, KPROD_ERR__NO_MEMORY or KPROD_ERR__INVALID_ARG. */
kprod_err_t kp_sasl_handshake_resp_decode(kp_rd *r, int16_t version, kp_sasl_handshake_resp *out);
void kp_sasl_handshake_resp_free(kp_sasl_handshake_resp *resp);
/* The broker's mechanisms as "A, B, C" into buf (always NUL-terminated). */
void kp_sasl_handshake_mechanisms_text(const kp_sasl_handshake_resp *resp, char *buf, size_t size);

/* Appends a SaslAuthenticate request body: the mechanism's token (len may
 * be 0; at most INT32_MAX). KPROD_ERR_NO_ERROR, _INVALID_ARG or _NO_MEMORY. */
kprod_err_t kp_sasl_authenticate_req_encode(kp_buf *b, int16_t version, const void *auth,
                                            size_t len);

typedef struct kp_sasl_authenticate_resp {
    int16_t error_code;
    char *error_message; /* NULL when the broker sent none */
    uint8_t *auth_bytes; /* the server's token, auth_len bytes (malloc'd; NULL when empty) */
    size_t auth_len;
    int64_t session_lifetime_ms; /* v1+: 0 = no limit; never negative after decoding */
} kp_sasl_authenticate_resp;

/* Decodes a SaslAuthenticate response body (owns its memory:
 * kp_sasl_authenticate_resp_free; nothing to free on error). Null
 * AuthBytes (not allowed by the schema) and a negative SessionLifetimeMs
 * are malformed. KPROD_ERR_NO_ERROR, _BAD_MSG, _NO_MEMORY, _INVALID_ARG. */
kprod_err_t kp_sasl_authenticate_resp_decode(kp_rd *r, int16_t version,
                                             kp_sasl_authenticate_resp *out);
void kp_sasl_authenticate_resp_free(kp_sasl_authenticate_resp *resp);

#endif
