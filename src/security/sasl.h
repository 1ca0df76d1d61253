/* A SASL mechanism's side of one authentication exchange, whichever
 * mechanism it is: the client's first token, then each server token in
 * turn until the mechanism is satisfied. The request layer wraps the
 * tokens in SaslAuthenticate requests (src/sender/auth.c); this module
 * never does I/O and knows nothing of connections.
 *
 *   PLAIN           one token: authzid NUL user NUL password (RFC 4616)
 *   SCRAM-SHA-256/512  client-first, client-final, then the server's
 *                   signature is checked (src/security/scram.c)
 *   OAUTHBEARER     one token carrying the bearer token; a non-empty
 *                   server answer is its error, answered with 0x01 */
#ifndef KPROD_SECURITY_SASL_H
#define KPROD_SECURITY_SASL_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"
#include "security/jaas.h"
#include "security/scram.h"

typedef enum kp_sasl_mech {
    KP_SASL_GSSAPI, /* Java's default; refused by kprod */
    KP_SASL_PLAIN,
    KP_SASL_SCRAM_SHA_256,
    KP_SASL_SCRAM_SHA_512,
    KP_SASL_OAUTHBEARER,
} kp_sasl_mech;

/* "PLAIN", "SCRAM-SHA-256", ... */
const char *kp_sasl_mech_name(kp_sasl_mech m);
/* Case-sensitive, as Kafka compares them; 0 or -1. */
int kp_sasl_mech_parse(const char *name, kp_sasl_mech *m);

/* What an exchange needs, resolved from the configuration (config.c). */
typedef struct kp_sasl_settings {
    kp_sasl_mech mech;
    char *username; /* PLAIN, SCRAM */
    char *password;
    kp_jaas oauth;       /* OAUTHBEARER: the login module's options (extensions, unsecured token) */
    int oauth_unsecured; /* no token callback: build unsecured tokens from oauth */
    kprod_oauthbearer_token_cb token_cb;
    void *token_opaque;
} kp_sasl_settings;

typedef struct kp_sasl_exchange {
    kp_sasl_mech mech;
    int step;       /* client tokens written so far */
    int failed_ack; /* OAUTHBEARER: the 0x01 after a server error was sent */
    kp_scram scram;
} kp_sasl_exchange;

/* Starts an exchange and writes the client's first token into out; token
 * is the OAUTHBEARER bearer token (NULL for the others). Returns NO_ERROR,
 * or an error with why; call kp_sasl_exchange_end in every case. */
kprod_err_t kp_sasl_exchange_begin(kp_sasl_exchange *x, const kp_sasl_settings *s,
                                   const char *token, kp_buf *out, char *why, size_t why_size);
/* Takes the server's token (in[0..len)) from a successful SaslAuthenticate
 * answer: either writes the next client token into out (*done = 0), or
 * says the mechanism is satisfied (*done = 1; out untouched). Errors:
 * SASL_AUTHENTICATION_FAILED (the server's token is wrong: a bad SCRAM
 * signature, an OAUTHBEARER error after its acknowledgement, ...) with why. */
kprod_err_t kp_sasl_exchange_next(kp_sasl_exchange *x, const uint8_t *in, size_t len, kp_buf *out,
                                  int *done, char *why, size_t why_size);
/* Wipes the exchange's secrets. */
void kp_sasl_exchange_end(kp_sasl_exchange *x);

#endif
