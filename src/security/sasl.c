/* SASL mechanisms behind one interface (see sasl.h). */
#include "security/sasl.h"

#include <stdio.h>
#include <string.h>

#include "security/oauthbearer.h"

static const char *const names[] = {
    [KP_SASL_GSSAPI] = "GSSAPI",
    [KP_SASL_PLAIN] = "PLAIN",
    [KP_SASL_SCRAM_SHA_256] = "SCRAM-SHA-256",
    [KP_SASL_SCRAM_SHA_512] = "SCRAM-SHA-512",
    [KP_SASL_OAUTHBEARER] = "OAUTHBEARER",
};

const char *kp_sasl_mech_name(kp_sasl_mech m) {
    return (size_t)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

int kp_sasl_mech_parse(const char *name, kp_sasl_mech *m) {
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0) {
            *m = (kp_sasl_mech)i;
            return 0;
        }
    return -1;
}

static kprod_err_t fail(char *why, size_t why_size, kprod_err_t err, const char *what) {
    if (why && why_size)
        snprintf(why, why_size, "%s", what);
    return err;
}

kprod_err_t kp_sasl_exchange_begin(kp_sasl_exchange *x, const kp_sasl_settings *s,
                                   const char *token, kp_buf *out, char *why, size_t why_size) {
    memset(x, 0, sizeof(*x));
    x->mech = s->mech;
    x->step = 1;
    switch (s->mech) {
    case KP_SASL_PLAIN:
        if (!s->username || !s->password)
            return fail(why, why_size, KPROD_ERR__INVALID_ARG, "PLAIN needs a user and password");
        kp_buf_put_raw(out, "", 1); /* no authorization id, then NUL */
        kp_buf_put_raw(out, s->username, strlen(s->username));
        kp_buf_put_raw(out, "", 1);
        kp_buf_put_raw(out, s->password, strlen(s->password));
        return out->oom ? fail(why, why_size, KPROD_ERR__NO_MEMORY, "out of memory") : 0;
    case KP_SASL_SCRAM_SHA_256:
    case KP_SASL_SCRAM_SHA_512:
        return kp_scram_begin(&x->scram,
                              s->mech == KP_SASL_SCRAM_SHA_256 ? KP_SCRAM_SHA256 : KP_SCRAM_SHA512,
                              s->username, s->password, NULL, out, why, why_size);
    case KP_SASL_OAUTHBEARER:
        return kp_oauthbearer_client_first(out, token, &s->oauth, why, why_size);
    default:
        return fail(why, why_size, KPROD_ERR__INVALID_ARG, "GSSAPI is not supported by kprod");
    }
}

kprod_err_t kp_sasl_exchange_next(kp_sasl_exchange *x, const uint8_t *in, size_t len, kp_buf *out,
                                  int *done, char *why, size_t why_size) {
    *done = 0;
    switch (x->mech) {
    case KP_SASL_PLAIN:
        /* RFC 4616: the server answers nothing; Kafka sends an empty token. */
        *done = 1;
        return KPROD_ERR_NO_ERROR;
    case KP_SASL_SCRAM_SHA_256:
    case KP_SASL_SCRAM_SHA_512:
        if (x->step == 1) {
            x->step = 2;
            return kp_scram_server_first(&x->scram, in, len, out, why, why_size);
        }
        *done = 1;
        return kp_scram_server_final(&x->scram, in, len, why, why_size);
    case KP_SASL_OAUTHBEARER:
        if (len == 0 && !x->failed_ack) {
            *done = 1;
            return KPROD_ERR_NO_ERROR;
        }
        if (x->failed_ack)
            return fail(why, why_size, KPROD_ERR_SASL_AUTHENTICATION_FAILED,
                        "the broker refused the OAUTHBEARER token");
        /* The server's JSON error: RFC 7628 wants a 0x01, after which the
         * server fails the exchange with its own message. */
        x->failed_ack = 1;
        kp_buf_put_raw(out, "\x01", 1);
        return out->oom ? fail(why, why_size, KPROD_ERR__NO_MEMORY, "out of memory") : 0;
    default:
        return fail(why, why_size, KPROD_ERR__INVALID_ARG, "GSSAPI is not supported by kprod");
    }
}

void kp_sasl_exchange_end(kp_sasl_exchange *x) {
    kp_scram_end(&x->scram);
    memset(x, 0, sizeof(*x));
}
