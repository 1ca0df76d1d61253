/* The client side of SCRAM (RFC 5802; SCRAM-SHA-256 is RFC 7677,
 * SCRAM-SHA-512 the same with SHA-512), as Kafka's SCRAM-SHA-256 and
 * SCRAM-SHA-512 mechanisms use it: no channel binding (GS2 header "n,,"),
 * no authorization id, no SASLprep (Kafka's own client sends the
 * password's UTF-8 bytes as they are). The server's signature is checked:
 * a broker that does not know the password cannot pass for one that does.
 *
 * Three messages: kp_scram_begin writes client-first, kp_scram_server_first
 * reads server-first and writes client-final, kp_scram_server_final reads
 * server-final. Pure apart from the random nonce (OpenSSL's RAND_bytes,
 * unless the caller gives one, as the tests do with the RFC's vectors).
 * Every error says what was wrong without quoting a secret. */
#ifndef KPROD_SECURITY_SCRAM_H
#define KPROD_SECURITY_SCRAM_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

typedef enum kp_scram_hash {
    KP_SCRAM_SHA1, /* RFC 5802's own test vector only; Kafka has no SCRAM-SHA-1 */
    KP_SCRAM_SHA256,
    KP_SCRAM_SHA512,
} kp_scram_hash;

/* The iteration counts accepted from a server: Kafka's own bounds for its
 * credentials (ScramMechanism). Fewer would weaken the exchange, more
 * would let a hostile server stall the sender thread hashing. */
#define KP_SCRAM_MIN_ITERATIONS 4096
#define KP_SCRAM_MAX_ITERATIONS 16384

typedef struct kp_scram {
    kp_scram_hash hash;
    int state; /* 0 new, 1 client-first sent, 2 client-final sent, 3 done */
    char *password;
    char *client_first_bare; /* "n=<user>,r=<nonce>" */
    size_t nonce_len;        /* the client nonce's length (after "r=" above) */
    uint8_t server_sig[64];  /* expected in server-final */
    size_t sig_len;
} kp_scram;

/* Starts an exchange for user/password (copied) and writes client-first
 * into out. nonce: the client nonce (printable, no ','), NULL for 32
 * random bytes' base64. Returns NO_ERROR, _INVALID_ARG (why says) or
 * _NO_MEMORY. Call kp_scram_end afterwards in every case. */
kprod_err_t kp_scram_begin(kp_scram *s, kp_scram_hash hash, const char *user, const char *password,
                           const char *nonce, kp_buf *out, char *why, size_t why_size);
/* Reads server-first (msg[0..len)) and writes client-final into out.
 * SASL_AUTHENTICATION_FAILED when the message is malformed, its nonce does
 * not extend ours, or its salt or iteration count is unacceptable. */
kprod_err_t kp_scram_server_first(kp_scram *s, const uint8_t *msg, size_t len, kp_buf *out,
                                  char *why, size_t why_size);
/* Reads server-final: NO_ERROR when the server's signature is the one the
 * password gives, else SASL_AUTHENTICATION_FAILED ("e=" errors included). */
kprod_err_t kp_scram_server_final(kp_scram *s, const uint8_t *msg, size_t len, char *why,
                                  size_t why_size);
/* Wipes the password and keys and frees; s may be reused after. */
void kp_scram_end(kp_scram *s);

#endif
