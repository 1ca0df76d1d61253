/* The client side of OAUTHBEARER (RFC 7628) as Kafka speaks it (KIP-255):
 * one client message carrying the bearer token and optional SASL
 * extensions; an empty server answer means success, a non-empty one is
 * the server's JSON error, to which the client answers a single 0x01 and
 * the server then fails the authentication.
 *
 * Also Kafka's unsecured tokens (OAuthBearerUnsecuredLoginCallbackHandler,
 * for tests and development): an unsigned JWS ({"alg":"none"}) whose claims
 * come from the login module's unsecuredLogin* options, which a broker
 * with the default unsecured validator accepts. Pure functions. */
#ifndef KPROD_SECURITY_OAUTHBEARER_H
#define KPROD_SECURITY_OAUTHBEARER_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"
#include "security/jaas.h"

/* Writes the client's first message: "n,," 0x01 "auth=Bearer " token
 * 0x01 (key=value 0x01)* 0x01, the extensions from the options named
 * unsecuredLoginExtension_<key> of opts (may be NULL). A token with
 * characters a bearer token cannot have, or a bad extension, gives
 * SASL_AUTHENTICATION_FAILED with why (which never quotes the token). */
kprod_err_t kp_oauthbearer_client_first(kp_buf *out, const char *token, const kp_jaas *opts,
                                        char *why, size_t why_size);

/* Builds an unsecured token from the unsecuredLogin* options of opts, at
 * now_ms (ms since the epoch): header {"alg":"none"}, claims exp (now plus
 * unsecuredLoginLifetimeSeconds, default 3600), iat, every
 * unsecuredLoginStringClaim_<name>, ...NumberClaim_<name> and
 * ...ListClaim_<name> (the value's first character is the separator), as
 * Java's handler does. The principal claim (unsecuredLoginPrincipalClaimName,
 * default sub) must be among the string claims. Writes the token into
 * token and its expiry (ms since the epoch) into *expiry_ms. NO_ERROR, or
 * _INVALID_CONFIG with why. */
kprod_err_t kp_oauthbearer_unsecured_token(const kp_jaas *opts, int64_t now_ms, kp_buf *token,
                                           int64_t *expiry_ms, char *why, size_t why_size);

#endif
