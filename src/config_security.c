/* Security properties: checks and resolving (see config_security.h). */
#include "config_security.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errdetail.h"
#include "security/jaas.h"
#include "security/oauthbearer.h"

/* ---- value checks ---- */

/* One entry of a comma-separated list, trimmed, into buf; returns the rest
 * (NULL at the end). */
static const char *list_next(const char *s, char *buf, size_t size) {
    const char *comma = strchr(s, ',');
    size_t n = comma ? (size_t)(comma - s) : strlen(s);
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    snprintf(buf, size, "%.*s", (int)n, s);
    return comma ? comma + 1 : NULL;
}

/* num: bit 0 TLS 1.2, bit 1 TLS 1.3. */
int kp_check_tls_versions(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                          size_t errstr_size) {
    *num = 0;
    char v[32];
    for (const char *s = value; s;) {
        s = list_next(s, v, sizeof(v));
        if (strcmp(v, "TLSv1.2") == 0)
            *num |= 1;
        else if (strcmp(v, "TLSv1.3") == 0)
            *num |= 2;
        else if (strcmp(v, "TLSv1") == 0 || strcmp(v, "TLSv1.1") == 0 || strcmp(v, "SSLv3") == 0)
            return kp_errf(errstr, errstr_size,
                           "Invalid value \"%s\" for \"%s\": %s is broken and refused by kprod; "
                           "expected TLSv1.2, TLSv1.3 or both",
                           value, p->name, v);
        else if (*v || !*value)
            return kp_errf(errstr, errstr_size,
                           "Invalid value \"%s\" for \"%s\": expected TLSv1.2, TLSv1.3 or both "
                           "(comma-separated)",
                           value, p->name);
    }
    return *num ? 0
                : kp_errf(errstr, errstr_size,
                          "Invalid value \"%s\" for \"%s\": expected TLSv1.2, TLSv1.3 or both",
                          value, p->name);
}

/* num: 1 verify the host name, 0 not. */
int kp_check_endpoint_algorithm(const kp_conf_prop *p, const char *value, int64_t *num,
                                char *errstr, size_t errstr_size) {
    if (strcasecmp(value, "https") == 0) {
        *num = 1;
        return 0;
    }
    if (!*value || strcasecmp(value, "none") == 0) {
        *num = 0;
        return 0;
    }
    return kp_errf(errstr, errstr_size,
                   "Invalid value \"%s\" for \"%s\": expected https, or empty to turn host name "
                   "verification off",
                   value, p->name);
}

/* num: 0 from the content, 1 PEM, 2 PKCS12. */
int kp_check_store_type(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                        size_t errstr_size) {
    *num = !*value                            ? 0
           : strcasecmp(value, "PEM") == 0    ? 1
           : strcasecmp(value, "PKCS12") == 0 ? 2
                                              : -1;
    if (*num >= 0)
        return 0;
    if (strcasecmp(value, "JKS") == 0)
        return kp_errf(errstr, errstr_size,
                       "Invalid value \"%s\" for \"%s\": kprod cannot read Java's JKS stores; "
                       "convert the store to PKCS12 (keytool -importkeystore -srckeystore "
                       "store.jks -destkeystore store.p12 -deststoretype PKCS12) and set %s=PKCS12",
                       value, p->name, p->name);
    return kp_errf(errstr, errstr_size, "Invalid value \"%s\" for \"%s\": expected PEM or PKCS12",
                   value, p->name);
}

int kp_check_sasl_mechanism(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                            size_t errstr_size) {
    kp_sasl_mech m;
    if (kp_sasl_mech_parse(value, &m) == 0) {
        *num = m;
        return 0;
    }
    return kp_errf(errstr, errstr_size,
                   "Invalid value \"%s\" for \"%s\": expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 "
                   "or OAUTHBEARER (names are case-sensitive)",
                   value, p->name);
}

/* The text holds passwords: the parser's message says where, not what. */
int kp_check_jaas(const kp_conf_prop *p, const char *value, int64_t *num, char *errstr,
                  size_t errstr_size) {
    (void)p;
    *num = 0;
    kp_jaas j;
    char why[256];
    if (kp_jaas_parse(value, &j, why, sizeof(why)) != KPROD_ERR_NO_ERROR)
        return kp_errf(errstr, errstr_size,
                       "Invalid value for \"sasl.jaas.config\" (not shown: it "
                       "holds secrets): %s",
                       why);
    *num = j.module;
    kp_jaas_free(&j);
    return 0;
}

/* ---- resolving ---- */

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

static void wipe_free(char *s) {
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void kp_config_security_free(kp_config *o) {
    kp_tls_settings *t = &o->tls;
    free(t->cipher_suites);
    free(t->truststore_type);
    free(t->truststore_location);
    wipe_free(t->truststore_password);
    free(t->truststore_certificates);
    free(t->keystore_type);
    free(t->keystore_location);
    wipe_free(t->keystore_password);
    wipe_free(t->keystore_key);
    free(t->keystore_certificate_chain);
    wipe_free(t->key_password);
    free(t->certificate_location);
    free(t->key_location);
    memset(t, 0, sizeof(*t));
    free(o->sasl.username);
    wipe_free(o->sasl.password);
    kp_jaas_free(&o->sasl.oauth);
    memset(&o->sasl, 0, sizeof(o->sasl));
}

#define TEXT(id) (v->text[id] && *v->text[id] ? v->text[id] : NULL)

static kprod_err_t resolve_tls(const kp_conf_view *v, kp_tls_settings *t, char *errstr,
                               size_t errstr_size) {
    int64_t versions = v->num[KP_P_SSL_ENABLED_PROTOCOLS];
    t->min_version = versions & 1 ? 0x0303 : 0x0304;
    t->max_version = versions & 2 ? 0x0304 : 0x0303;
    t->verify_peer = (int)v->num[KP_P_SSL_CERTIFICATE_VERIFICATION];
    t->verify_hostname = (int)v->num[KP_P_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM];
    static const char *const types[] = {NULL, "PEM", "PKCS12"};
    const char *tt = types[v->num[KP_P_SSL_TRUSTSTORE_TYPE]];
    const char *kt = types[v->num[KP_P_SSL_KEYSTORE_TYPE]];
    if (TEXT(KP_P_SSL_TRUSTSTORE_LOCATION) && TEXT(KP_P_SSL_TRUSTSTORE_CERTIFICATES)) {
        kp_errf(errstr, errstr_size,
                "ssl.truststore.location and ssl.truststore.certificates are both set: give the "
                "CA certificates one way");
        return KPROD_ERR__CONFLICTING_CONFIG;
    }
    if (TEXT(KP_P_SSL_TRUSTSTORE_CERTIFICATES) && tt && strcmp(tt, "PEM") != 0) {
        kp_errf(errstr, errstr_size,
                "ssl.truststore.certificates is PEM text: ssl.truststore.type "
                "must be PEM or empty");
        return KPROD_ERR__CONFLICTING_CONFIG;
    }
    int keystore = TEXT(KP_P_SSL_KEYSTORE_LOCATION) != NULL;
    int inline_key = TEXT(KP_P_SSL_KEYSTORE_KEY) || TEXT(KP_P_SSL_KEYSTORE_CERTIFICATE_CHAIN);
    int files = TEXT(KP_P_SSL_CERTIFICATE_LOCATION) || TEXT(KP_P_SSL_KEY_LOCATION);
    if (keystore + inline_key + files > 1) {
        kp_errf(errstr, errstr_size,
                "the client certificate is given more than one way: use ssl.keystore.location, "
                "or ssl.keystore.key with ssl.keystore.certificate.chain, or "
                "ssl.certificate.location with ssl.key.location");
        return KPROD_ERR__CONFLICTING_CONFIG;
    }
    if ((inline_key &&
         !(TEXT(KP_P_SSL_KEYSTORE_KEY) && TEXT(KP_P_SSL_KEYSTORE_CERTIFICATE_CHAIN))) ||
        (files && !(TEXT(KP_P_SSL_CERTIFICATE_LOCATION) && TEXT(KP_P_SSL_KEY_LOCATION)))) {
        kp_errf(
            errstr, errstr_size,
            "a client certificate needs both parts: ssl.keystore.key with "
            "ssl.keystore.certificate.chain, or ssl.certificate.location with ssl.key.location");
        return KPROD_ERR__INVALID_CONFIG;
    }
    if (inline_key && kt && strcmp(kt, "PEM") != 0) {
        kp_errf(errstr, errstr_size,
                "ssl.keystore.key and ssl.keystore.certificate.chain are PEM text: "
                "ssl.keystore.type must be PEM or empty");
        return KPROD_ERR__CONFLICTING_CONFIG;
    }
    t->enabled = 1;
    if ((tt && !(t->truststore_type = strdup(tt))) || (kt && !(t->keystore_type = strdup(kt))))
        return KPROD_ERR__NO_MEMORY;
    struct {
        char **dst;
        kp_conf_id id;
    } copies[] = {
        {&t->cipher_suites, KP_P_SSL_CIPHER_SUITES},
        {&t->truststore_location, KP_P_SSL_TRUSTSTORE_LOCATION},
        {&t->truststore_password, KP_P_SSL_TRUSTSTORE_PASSWORD},
        {&t->truststore_certificates, KP_P_SSL_TRUSTSTORE_CERTIFICATES},
        {&t->keystore_location, KP_P_SSL_KEYSTORE_LOCATION},
        {&t->keystore_password, KP_P_SSL_KEYSTORE_PASSWORD},
        {&t->keystore_key, KP_P_SSL_KEYSTORE_KEY},
        {&t->keystore_certificate_chain, KP_P_SSL_KEYSTORE_CERTIFICATE_CHAIN},
        {&t->key_password, KP_P_SSL_KEY_PASSWORD},
        {&t->certificate_location, KP_P_SSL_CERTIFICATE_LOCATION},
        {&t->key_location, KP_P_SSL_KEY_LOCATION},
    };
    for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
        if (TEXT(copies[i].id) && !(*copies[i].dst = dup_or_null(TEXT(copies[i].id))))
            return KPROD_ERR__NO_MEMORY;
    return KPROD_ERR_NO_ERROR;
}

static const char *module_for(kp_sasl_mech m) {
    switch (m) {
    case KP_SASL_PLAIN:
        return "org.apache.kafka.common.security.plain.PlainLoginModule";
    case KP_SASL_OAUTHBEARER:
        return "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";
    default:
        return "org.apache.kafka.common.security.scram.ScramLoginModule";
    }
}

static int module_matches(kp_jaas_module mod, kp_sasl_mech m) {
    switch (m) {
    case KP_SASL_PLAIN:
        return mod == KP_JAAS_PLAIN;
    case KP_SASL_OAUTHBEARER:
        return mod == KP_JAAS_OAUTHBEARER;
    default:
        return mod == KP_JAAS_SCRAM;
    }
}

static kprod_err_t resolve_sasl(const kp_conf_view *v, kp_sasl_settings *s, char *errstr,
                                size_t errstr_size) {
    s->mech = (kp_sasl_mech)v->num[KP_P_SASL_MECHANISM];
    const char *mech = kp_sasl_mech_name(s->mech);
    if (s->mech == KP_SASL_GSSAPI) {
        kp_errf(errstr, errstr_size,
                "sasl.mechanism=GSSAPI (Kerberos%s) is not supported by kprod: set sasl.mechanism "
                "to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
                v->set[KP_P_SASL_MECHANISM] ? "" : ", Java's default");
        return KPROD_ERR__INVALID_CONFIG;
    }
    const char *jaas = TEXT(KP_P_SASL_JAAS_CONFIG);
    const char *user = TEXT(KP_P_SASL_USERNAME), *pass = v->text[KP_P_SASL_PASSWORD];
    if (jaas && (user || pass)) {
        kp_errf(errstr, errstr_size,
                "sasl.jaas.config and sasl.username/sasl.password are both set: give the "
                "credentials one way");
        return KPROD_ERR__CONFLICTING_CONFIG;
    }
    if (jaas) {
        char why[256];
        kprod_err_t err = kp_jaas_parse(jaas, &s->oauth, why, sizeof(why));
        if (err) { /* checked when set: only out of memory is left */
            kp_errf(errstr, errstr_size, "sasl.jaas.config: %s", why);
            return err;
        }
        if (s->oauth.module == KP_JAAS_KERBEROS) {
            kp_errf(errstr, errstr_size,
                    "sasl.jaas.config names Krb5LoginModule: GSSAPI (Kerberos) "
                    "is not supported by kprod");
            return KPROD_ERR__INVALID_CONFIG;
        }
        if (!module_matches(s->oauth.module, s->mech)) {
            kp_errf(errstr, errstr_size,
                    "sasl.jaas.config's login module does not go with sasl.mechanism=%s: "
                    "expected %s",
                    mech, module_for(s->mech));
            return KPROD_ERR__CONFLICTING_CONFIG;
        }
        user = kp_jaas_get(&s->oauth, "username");
        pass = kp_jaas_get(&s->oauth, "password");
    }
    if (s->mech == KP_SASL_OAUTHBEARER) {
        s->token_cb = v->token_cb;
        s->token_opaque = v->token_opaque;
        s->oauth_unsecured = !s->token_cb;
        if (!s->token_cb && !jaas) {
            kp_errf(errstr, errstr_size,
                    "sasl.mechanism=OAUTHBEARER needs tokens: set a token callback "
                    "(kprod_conf_set_oauthbearer_token_cb) or, for Kafka's unsecured test tokens, "
                    "sasl.jaas.config=%s required unsecuredLoginStringClaim_sub=\"<principal>\";",
                    module_for(s->mech));
            return KPROD_ERR__INVALID_CONFIG;
        }
        if (s->oauth_unsecured) {
            /* A token that cannot be made (no principal claim, a bad
             * lifetime) is the configuration's fault: say so now, not at
             * the first connection. */
            kp_buf t;
            kp_buf_init(&t, 256);
            int64_t expiry;
            char why[256];
            kprod_err_t err =
                kp_oauthbearer_unsecured_token(&s->oauth, 0, &t, &expiry, why, sizeof(why));
            kp_buf_free(&t);
            if (err) {
                kp_errf(errstr, errstr_size, "%s", why);
                return err;
            }
        }
        return KPROD_ERR_NO_ERROR;
    }
    /* PLAIN and SCRAM: the module's options (or librdkafka's names) */
    if (!user || !*user || !pass) {
        kp_errf(errstr, errstr_size,
                "sasl.mechanism=%s needs a user name and password: sasl.jaas.config=%s required "
                "username=\"...\" password=\"...\"; (or sasl.username and sasl.password)",
                mech, module_for(s->mech));
        return KPROD_ERR__INVALID_CONFIG;
    }
    char *u = strdup(user), *p = strdup(pass);
    kp_jaas_free(&s->oauth); /* user and pass pointed into it */
    s->username = u;
    s->password = p;
    return u && p ? KPROD_ERR_NO_ERROR : KPROD_ERR__NO_MEMORY;
}

kprod_err_t kp_conf_resolve_security(const kp_conf_view *v, kp_config *o, char *errstr,
                                     size_t errstr_size) {
    o->security_protocol = (int)v->num[KP_P_SECURITY_PROTOCOL];
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    if (o->security_protocol == KP_SECURITY_SSL || o->security_protocol == KP_SECURITY_SASL_SSL)
        err = resolve_tls(v, &o->tls, errstr, errstr_size);
    if (!err && (o->security_protocol == KP_SECURITY_SASL_PLAINTEXT ||
                 o->security_protocol == KP_SECURITY_SASL_SSL)) {
        o->sasl_enabled = 1;
        err = resolve_sasl(v, &o->sasl, errstr, errstr_size);
    }
    if (err == KPROD_ERR__NO_MEMORY)
        kp_errf(errstr, errstr_size, "Out of memory resolving the security settings");
    if (err)
        kp_config_security_free(o);
    return err;
}
