/* sasl.jaas.config parser (see jaas.h). */
#include "security/jaas.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *cls;
    kp_jaas_module module;
} modules[] = {
    {"org.apache.kafka.common.security.plain.PlainLoginModule", KP_JAAS_PLAIN},
    {"org.apache.kafka.common.security.scram.ScramLoginModule", KP_JAAS_SCRAM},
    {"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule", KP_JAAS_OAUTHBEARER},
    {"com.sun.security.auth.module.Krb5LoginModule", KP_JAAS_KERBEROS},
};

typedef struct lexer {
    const char *p;
    const char *start;
    char *why;
    size_t why_size;
} lexer;

static int word_char(char c) {
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '$';
}

/* Skips blanks and comments; -1 on an unterminated comment. */
static int skip(lexer *lx) {
    for (;;) {
        while (isspace((unsigned char)*lx->p))
            lx->p++;
        if (lx->p[0] == '/' && lx->p[1] == '/') {
            while (*lx->p && *lx->p != '\n')
                lx->p++;
        } else if (lx->p[0] == '/' && lx->p[1] == '*') {
            const char *e = strstr(lx->p + 2, "*/");
            if (!e)
                return -1;
            lx->p = e + 2;
        } else {
            return 0;
        }
    }
}

static int error(lexer *lx, const char *what) {
    if (lx->why && lx->why_size)
        snprintf(lx->why, lx->why_size, "sasl.jaas.config: %s (at character %ld)", what,
                 (long)(lx->p - lx->start) + 1);
    return -1;
}

/* A bare word, or (quoted_ok) a "quoted string" with backslash escapes, as
 * a new string in *out. */
static int token(lexer *lx, int quoted_ok, char **out) {
    *out = NULL;
    if (skip(lx) != 0)
        return error(lx, "unterminated comment");
    const char *s = lx->p;
    if (quoted_ok && *s == '"') {
        size_t cap = strlen(s), n = 0;
        char *d = malloc(cap + 1);
        if (!d)
            return error(lx, "out of memory");
        for (s++; *s && *s != '"'; s++) {
            char c = *s;
            if (c == '\\' && s[1]) {
                c = *++s;
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            }
            d[n++] = c;
        }
        if (*s != '"') {
            OPENSSL_cleanse(d, n);
            free(d);
            return error(lx, "a quoted value has no closing '\"'");
        }
        d[n] = '\0';
        lx->p = s + 1;
        *out = d;
        return 0;
    }
    while (word_char(*s))
        s++;
    if (s == lx->p)
        return -1; /* no token here: the caller says what it expected */
    size_t n = (size_t)(s - lx->p);
    char *d = malloc(n + 1);
    if (!d)
        return error(lx, "out of memory");
    memcpy(d, lx->p, n);
    d[n] = '\0';
    lx->p = s;
    *out = d;
    return 0;
}

void kp_jaas_free(kp_jaas *j) {
    for (int i = 0; i < j->count; i++) {
        free(j->opts[i].key);
        if (j->opts[i].value) {
            OPENSSL_cleanse(j->opts[i].value, strlen(j->opts[i].value));
            free(j->opts[i].value);
        }
    }
    free(j->opts);
    memset(j, 0, sizeof(*j));
}

const char *kp_jaas_get(const kp_jaas *j, const char *key) {
    for (int i = j->count - 1; i >= 0; i--)
        if (strcmp(j->opts[i].key, key) == 0)
            return j->opts[i].value;
    return NULL;
}

static int add_opt(kp_jaas *j, char *key, char *value) {
    kp_jaas_opt *o = realloc(j->opts, (size_t)(j->count + 1) * sizeof(*o));
    if (!o)
        return -1;
    j->opts = o;
    o[j->count].key = key;
    o[j->count].value = value;
    j->count++;
    return 0;
}

static int parse(lexer *lx, kp_jaas *out) {
    char *cls = NULL, *flag = NULL;
    if (token(lx, 0, &cls) != 0)
        return lx->why && lx->why[0] ? -1 : error(lx, "expected a login module class name");
    size_t i;
    for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
        if (strcmp(cls, modules[i].cls) == 0)
            break;
    if (i == sizeof(modules) / sizeof(modules[0])) {
        if (lx->why && lx->why_size)
            snprintf(lx->why, lx->why_size,
                     "sasl.jaas.config: login module %.120s is not one kprod knows (it reads "
                     "PlainLoginModule, ScramLoginModule and OAuthBearerLoginModule of "
                     "org.apache.kafka.common.security)",
                     cls);
        free(cls);
        return -1;
    }
    free(cls);
    out->module = modules[i].module;
    if (token(lx, 0, &flag) != 0)
        return error(lx, "expected a control flag (required) after the login module");
    int flag_ok = strcasecmp(flag, "required") == 0 || strcasecmp(flag, "requisite") == 0 ||
                  strcasecmp(flag, "sufficient") == 0 || strcasecmp(flag, "optional") == 0;
    free(flag);
    if (!flag_ok)
        return error(lx, "the control flag must be required, requisite, sufficient or optional");
    for (;;) {
        if (skip(lx) != 0)
            return error(lx, "unterminated comment");
        if (*lx->p == ';') {
            lx->p++;
            break;
        }
        if (!*lx->p)
            return error(lx, "missing ';' at the end of the login module");
        char *key = NULL, *value = NULL;
        if (token(lx, 0, &key) != 0)
            return lx->why && lx->why[0] ? -1 : error(lx, "expected an option name or ';'");
        if (skip(lx) != 0 || *lx->p != '=') {
            char what[160];
            snprintf(what, sizeof(what), "expected '=' after option %.100s", key);
            free(key);
            return error(lx, what);
        }
        lx->p++;
        if (token(lx, 1, &value) != 0) {
            char what[160];
            snprintf(what, sizeof(what), "option %.100s has no value", key);
            free(key);
            return lx->why && lx->why[0] ? -1 : error(lx, what);
        }
        if (add_opt(out, key, value) != 0) {
            free(key);
            OPENSSL_cleanse(value, strlen(value));
            free(value);
            return error(lx, "out of memory");
        }
    }
    if (skip(lx) != 0)
        return error(lx, "unterminated comment");
    if (*lx->p)
        return error(lx, "text after the login module's ';' (only one login module is allowed)");
    return 0;
}

kprod_err_t kp_jaas_parse(const char *text, kp_jaas *out, char *why, size_t why_size) {
    memset(out, 0, sizeof(*out));
    if (why && why_size)
        why[0] = '\0';
    lexer lx = {text ? text : "", text ? text : "", why, why_size};
    if (parse(&lx, out) == 0)
        return KPROD_ERR_NO_ERROR;
    kp_jaas_free(out);
    return why && strstr(why, "out of memory") ? KPROD_ERR__NO_MEMORY : KPROD_ERR__INVALID_CONFIG;
}
