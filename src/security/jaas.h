/* sasl.jaas.config, as the Java client reads it:
 *
 *   org.apache.kafka.common.security.scram.ScramLoginModule required
 *       username="alice" password="alice-secret";
 *
 * one login module (class, control flag, key=value options, ';'), values
 * quoted ("..." with backslash escapes) or bare words, // and slash-star
 * comments. kprod acts on three modules: PlainLoginModule and
 * ScramLoginModule (username, password) and OAuthBearerLoginModule (the
 * unsecuredLogin* options of Kafka's unsecured token handler). Errors name
 * the place and the option, never a value: the text holds passwords. */
#ifndef KPROD_SECURITY_JAAS_H
#define KPROD_SECURITY_JAAS_H

#include <stddef.h>

#include "kprod.h"

typedef enum kp_jaas_module {
    KP_JAAS_PLAIN,       /* org.apache.kafka.common.security.plain.PlainLoginModule */
    KP_JAAS_SCRAM,       /* org.apache.kafka.common.security.scram.ScramLoginModule */
    KP_JAAS_OAUTHBEARER, /* org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule */
    KP_JAAS_KERBEROS,    /* com.sun.security.auth.module.Krb5LoginModule: refused (GSSAPI) */
} kp_jaas_module;

typedef struct kp_jaas_opt {
    char *key;
    char *value;
} kp_jaas_opt;

typedef struct kp_jaas {
    kp_jaas_module module;
    int count;
    kp_jaas_opt *opts; /* in the order written; a key given twice: the last wins */
} kp_jaas;

/* Parses text into *out (kp_jaas_free it). Returns NO_ERROR, or
 * _INVALID_CONFIG with why saying where and what (an unknown module, a
 * missing ';', two modules, ...), or _NO_MEMORY; *out then holds nothing. */
kprod_err_t kp_jaas_parse(const char *text, kp_jaas *out, char *why, size_t why_size);
/* The value of option key, or NULL. */
const char *kp_jaas_get(const kp_jaas *j, const char *key);
/* Frees, wiping the values first. */
void kp_jaas_free(kp_jaas *j);

#endif
