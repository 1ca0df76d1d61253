/* OAUTHBEARER client message and Kafka's unsecured tokens (see oauthbearer.h). */
#include "security/oauthbearer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/b64.h"

#define OPT_PREFIX "unsecuredLogin"
#define EXT_PREFIX OPT_PREFIX "Extension_"
#define STRING_PREFIX OPT_PREFIX "StringClaim_"
#define NUMBER_PREFIX OPT_PREFIX "NumberClaim_"
#define LIST_PREFIX OPT_PREFIX "ListClaim_"

static kprod_err_t fail(char *why, size_t why_size, kprod_err_t err, const char *what,
                        const char *name) {
    if (why && why_size)
        snprintf(why, why_size, "%s%s%s", what, name ? " " : "", name ? name : "");
    return err;
}

/* Kafka's pattern for a bearer token: [-_~+/.a-zA-Z0-9]+ then '='s. */
static int token_ok(const char *t) {
    const char *p = t;
    while (*p && (strchr("-_~+/.", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9')))
        p++;
    if (p == t)
        return 0;
    while (*p == '=')
        p++;
    return *p == '\0';
}

/* RFC 7628: keys are ALPHA+, values printable ASCII, space, tab, CR, LF. */
static int ext_key_ok(const char *k) {
    if (!*k || strcmp(k, "auth") == 0)
        return 0;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')))
            return 0;
    return 1;
}

static int ext_value_ok(const char *v) {
    for (; *v; v++)
        if (!((*v >= 0x21 && *v <= 0x7e) || *v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
            return 0;
    return 1;
}

kprod_err_t kp_oauthbearer_client_first(kp_buf *out, const char *token, const kp_jaas *opts,
                                        char *why, size_t why_size) {
    if (!token || !token_ok(token))
        return fail(why, why_size, KPROD_ERR_SASL_AUTHENTICATION_FAILED,
                    "the OAUTHBEARER token is empty or has characters a bearer token cannot have",
                    NULL);
    kp_buf_put_raw(out,
                   "n,,\x01"
                   "auth=Bearer ",
                   16);
    kp_buf_put_raw(out, token, strlen(token));
    kp_buf_put_raw(out, "\x01", 1);
    for (int i = 0; opts && i < opts->count; i++) {
        const char *k = opts->opts[i].key;
        if (strncmp(k, EXT_PREFIX, strlen(EXT_PREFIX)) != 0)
            continue;
        k += strlen(EXT_PREFIX);
        if (!ext_key_ok(k) || !ext_value_ok(opts->opts[i].value))
            return fail(
                why, why_size, KPROD_ERR_SASL_AUTHENTICATION_FAILED,
                "bad SASL extension (keys are letters, values printable):", opts->opts[i].key);
        kp_buf_put_raw(out, k, strlen(k));
        kp_buf_put_raw(out, "=", 1);
        kp_buf_put_raw(out, opts->opts[i].value, strlen(opts->opts[i].value));
        kp_buf_put_raw(out, "\x01", 1);
    }
    kp_buf_put_raw(out, "\x01", 1);
    return out->oom ? KPROD_ERR__NO_MEMORY : KPROD_ERR_NO_ERROR;
}

/* A JSON string. */
static void json_str(kp_buf *b, const char *s) {
    kp_buf_put_raw(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            kp_buf_put_raw(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof(e), "\\u%04x", c);
            kp_buf_put_raw(b, e, 6);
        } else {
            kp_buf_put_raw(b, s, 1);
        }
    }
    kp_buf_put_raw(b, "\"", 1);
}

/* Seconds since the epoch, to the millisecond, as NumericDate allows. */
static void json_seconds(kp_buf *b, int64_t ms) {
    char n[40];
    int len = snprintf(n, sizeof(n), "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
    kp_buf_put_raw(b, n, (size_t)len);
}

static void json_num(kp_buf *b, double v) {
    char n[40];
    int len = snprintf(n, sizeof(n), "%.17g", v);
    kp_buf_put_raw(b, n, (size_t)len);
}

/* Java's listJsonText: the first character separates the elements. */
static void json_list(kp_buf *b, const char *v) {
    kp_buf_put_raw(b, "[", 1);
    if (strlen(v) > 1) {
        char sep = v[0];
        const char *p = v + 1;
        for (int first = 1;; first = 0) {
            const char *e = strchr(p, sep);
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char *el = strndup(p, n);
            if (!el) {
                b->oom = 1;
                return;
            }
            if (!first)
                kp_buf_put_raw(b, ",", 1);
            json_str(b, el);
            free(el);
            if (!e)
                break;
            p = e + 1;
        }
    }
    kp_buf_put_raw(b, "]", 1);
}

static int has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0 && s[strlen(prefix)] != '\0';
}

/* The claims object. */
static kprod_err_t claims(const kp_jaas *opts, int64_t now_ms, int64_t lifetime_s, kp_buf *c,
                          char *why, size_t why_size) {
    kp_buf_put_raw(c, "{\"exp\":", 7);
    json_seconds(c, now_ms + lifetime_s * 1000);
    kp_buf_put_raw(c, ",\"iat\":", 7);
    json_seconds(c, now_ms);
    for (int i = 0; i < opts->count; i++) {
        const char *k = opts->opts[i].key, *v = opts->opts[i].value, *name;
        int kind = has_prefix(k, STRING_PREFIX)   ? 1
                   : has_prefix(k, NUMBER_PREFIX) ? 2
                   : has_prefix(k, LIST_PREFIX)   ? 3
                                                  : 0;
        if (!kind)
            continue;
        name = strchr(k, '_') + 1;
        if (strcmp(name, "exp") == 0 || strcmp(name, "iat") == 0)
            return fail(why, why_size, KPROD_ERR__INVALID_CONFIG,
                        "sasl.jaas.config: the exp and iat claims cannot be set:", k);
        kp_buf_put_raw(c, ",", 1);
        json_str(c, name);
        kp_buf_put_raw(c, ":", 1);
        if (kind == 1) {
            json_str(c, v);
        } else if (kind == 2) {
            char *end;
            errno = 0;
            double d = strtod(v, &end);
            if (!*v || *end || errno || !isfinite(d))
                return fail(why, why_size, KPROD_ERR__INVALID_CONFIG,
                            "sasl.jaas.config: not a number:", k);
            json_num(c, d);
        } else {
            json_list(c, v);
        }
    }
    kp_buf_put_raw(c, "}", 1);
    return KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_oauthbearer_unsecured_token(const kp_jaas *opts, int64_t now_ms, kp_buf *token,
                                           int64_t *expiry_ms, char *why, size_t why_size) {
    const char *principal = kp_jaas_get(opts, OPT_PREFIX "PrincipalClaimName");
    char key[160];
    snprintf(key, sizeof(key), "%s%s", STRING_PREFIX, principal && *principal ? principal : "sub");
    const char *who = kp_jaas_get(opts, key);
    if (!who || !*who)
        return fail(why, why_size, KPROD_ERR__INVALID_CONFIG,
                    "sasl.jaas.config: an unsecured OAUTHBEARER token needs the principal's "
                    "claim, option",
                    key);
    int64_t lifetime = 3600;
    const char *l = kp_jaas_get(opts, OPT_PREFIX "LifetimeSeconds");
    if (l) {
        char *end;
        errno = 0;
        long long v = strtoll(l, &end, 10);
        if (!*l || *end || errno || v <= 0 || v > INT32_MAX)
            return fail(why, why_size, KPROD_ERR__INVALID_CONFIG,
                        "sasl.jaas.config: not a positive number of seconds:",
                        OPT_PREFIX "LifetimeSeconds");
        lifetime = v;
    }
    kp_buf c;
    kp_buf_init(&c, 128);
    kprod_err_t err = claims(opts, now_ms, lifetime, &c, why, why_size);
    if (!err) {
        static const char header[] = "{\"alg\":\"none\"}";
        kp_b64_put(token, header, sizeof(header) - 1, 1);
        kp_buf_put_raw(token, ".", 1);
        kp_b64_put(token, c.data, c.len, 1);
        kp_buf_put_raw(token, ".", 1); /* no signature */
        if (token->oom || c.oom)
            err = fail(why, why_size, KPROD_ERR__NO_MEMORY, "out of memory", NULL);
        *expiry_ms = now_ms + lifetime * 1000;
    }
    kp_buf_free(&c);
    return err;
}
