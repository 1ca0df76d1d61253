/* The security properties' own rules: value checks for the property table
 * (config_table.c), and resolving security.protocol, ssl.* and sasl.* into
 * the TLS and SASL settings of kp_config (the cross-property rules: which
 * credentials a mechanism needs, which ssl.* properties exclude each
 * other). Stores and files are read later, by kprod_new (src/net/tls.c). No
 * message here quotes a secret value. */
#ifndef KPROD_CONFIG_SECURITY_H
#define KPROD_CONFIG_SECURITY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "config_table.h"

/* Property checks (kp_conf_check_fn). */
int kp_check_tls_versions(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                          size_t errstr_size);
int kp_check_endpoint_algorithm(const kp_conf_prop *p, const char *value, int64_t *num,
                                char *errstr, size_t errstr_size);
int kp_check_store_type(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                        size_t errstr_size);
int kp_check_sasl_mechanism(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                            size_t errstr_size);
int kp_check_jaas(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                  size_t errstr_size);

/* A conf's values as kp_conf_resolve sees them (config.c's private arrays). */
typedef struct kp_conf_view {
    char *const *text;        /* per kp_conf_id; NULL = not set and no default */
    const int64_t *num;       /* parsed numbers, enum indexes */
    const unsigned char *set; /* set by the user */
    kprod_oauthbearer_token_cb token_cb;
    void *token_opaque;
} kp_conf_view;

/* Fills o->security_protocol, o->tls and o->sasl. Returns NO_ERROR,
 * _INVALID_CONFIG / _CONFLICTING_CONFIG with errstr, or _NO_MEMORY. */
kprod_err_t kp_conf_resolve_security(const kp_conf_view *v, kp_config *o, char *errstr,
                                     size_t errstr_size);
/* Frees (wiping secrets) what kp_conf_resolve_security filled in. */
void kp_config_security_free(kp_config *o);

#endif
