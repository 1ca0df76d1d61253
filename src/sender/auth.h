/* The authentication client: the SASL step of connection setup, between
 * ApiVersions and READY, and re-authentication before the session the
 * broker granted runs out (KIP-368), on the same connection and without
 * holding back the requests already in flight.
 *
 *   SaslHandshake(mechanism)        the broker lists what it enables
 *   SaslAuthenticate(token) ...     the mechanism's tokens (security/sasl.c)
 *   -> kp_rl_authenticated(lifetime) or kp_rl_fail_broker(error, reason)
 *
 * It registers itself with the request layer (kp_rl_set_auth), which
 * calls it when a connection needs authenticating; it sends through the
 * request layer like any client. OAUTHBEARER tokens (the application's
 * callback, or Kafka's unsecured ones) are kept and renewed after 80 % of
 * their lifetime.
 *
 * Thread: the sender thread only. */
#ifndef KPROD_SENDER_AUTH_H
#define KPROD_SENDER_AUTH_H

#include "config.h"
#include "sender/request.h"

typedef struct kp_auth kp_auth;

/* For a configuration with SASL (cfg->sasl_enabled); NULL when out of
 * memory. cfg and rl must outlive it. */
kp_auth *kp_auth_new(const kp_config *cfg, kp_rl *rl);
void kp_auth_free(kp_auth *a);

#endif
