/* Base64 (RFC 4648): the standard alphabet with padding for SCRAM's
 * salts, proofs and signatures, the URL-safe one without padding for
 * Kafka's unsecured OAUTHBEARER tokens (JWS). Pure functions. */
#ifndef KPROD_SECURITY_B64_H
#define KPROD_SECURITY_B64_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"

/* Appends the encoding of p[0..n) to out (standard alphabet, '=' padding;
 * url: '-' '_' and no padding). Out of memory shows as out->oom. */
void kp_b64_put(kp_buf *out, const void *p, size_t n, int url);

/* Decodes the standard, padded form of s[0..n) into dst (room for
 * kp_b64_max_decoded(n) bytes); returns the length, or -1 when s is not
 * canonical base64 (bad character, length, padding or trailing bits). */
long kp_b64_decode(const char *s, size_t n, uint8_t *dst);
static inline size_t kp_b64_max_decoded(size_t n) { return n / 4 * 3 + 3; }

#endif
