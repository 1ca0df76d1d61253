/* The authentication client (see auth.h). */
#include "sender/auth.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "protocol/api_keys.h"
#include "protocol/sasl.h"
#include "security/oauthbearer.h"
#include "security/sasl.h"

/* Room given to a token callback. */
#define KP_AUTH_TOKEN_MAX 16384

struct kp_auth {
    const kp_config *cfg;
    kp_rl *rl;
    /* OAUTHBEARER: the token in use and when to ask for a new one (ms
     * since the epoch: tokens carry wall-clock times). */
    char *token;
    int64_t token_expiry_ms;
    int64_t token_refresh_ms;
};

/* One authentication of one connection: owned by the request in flight. */
typedef struct auth_req {
    kp_sasl_exchange x;
} auth_req;

static void wipe_free(char *s) {
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void end_req(auth_req *ar) {
    if (!ar)
        return;
    kp_sasl_exchange_end(&ar->x);
    free(ar);
}

static const char *mech(const kp_auth *a) { return kp_sasl_mech_name(a->cfg->sasl.mech); }

/* "SASL authentication (SCRAM-SHA-512, user kprod) with host:port failed: " */
static void fail(kp_auth *a, kp_broker *b, kprod_err_t err, const char *what) {
    char why[512];
    const char *user = a->cfg->sasl.username;
    snprintf(why, sizeof(why), "SASL authentication (%s%s%s) with %s:%d failed: %s", mech(a),
             user ? ", user " : "", user ? user : "", b->conn.host, b->conn.port, what);
    kp_rl_fail_broker(a->rl, b, err, why);
}

static void on_fail(void *opaque, kp_broker *b, void *ctx, kprod_err_t err, int written) {
    (void)opaque, (void)b, (void)err, (void)written;
    end_req(ctx); /* the connection is failing: it says why */
}

static const kp_req_handler *handler(kp_auth *a, int handshake);

static void send_token(kp_auth *a, kp_broker *b, auth_req *ar, const kp_buf *tok) {
    int16_t ver = kp_rl_version(b, KP_API_SASL_AUTHENTICATE);
    kp_frame f;
    kp_buf *out = kp_rl_begin(a->rl, b, KP_API_SASL_AUTHENTICATE, ver, &f);
    kprod_err_t err = kp_sasl_authenticate_req_encode(out, ver, tok->data, tok->len);
    if (kp_rl_send(a->rl, &f, err, 1, 0, handler(a, 0), ar) != KPROD_ERR_NO_ERROR) {
        end_req(ar);
        kp_rl_fail_broker(a->rl, b, KPROD_ERR__NO_MEMORY, "could not encode SaslAuthenticate");
    }
}

/* The OAUTHBEARER token to send: the one kept, unless 80 % of its
 * lifetime has passed (Java's refresh window factor). */
static kprod_err_t token(kp_auth *a, char *why, size_t why_size) {
    const kp_sasl_settings *s = &a->cfg->sasl;
    int64_t now = wall_ms();
    if (a->token && now < a->token_refresh_ms)
        return KPROD_ERR_NO_ERROR;
    kp_buf t;
    kp_buf_init(&t, 512);
    int64_t expiry = 0;
    kprod_err_t err;
    if (s->token_cb) {
        if (kp_buf_reserve(&t, KP_AUTH_TOKEN_MAX) != 0) {
            kp_buf_free(&t);
            snprintf(why, why_size, "out of memory for the OAUTHBEARER token");
            return KPROD_ERR__NO_MEMORY;
        }
        char cb_err[256] = "";
        t.data[0] = '\0';
        err = s->token_cb((char *)t.data, KP_AUTH_TOKEN_MAX, &expiry, cb_err, sizeof(cb_err),
                          s->token_opaque);
        t.data[KP_AUTH_TOKEN_MAX - 1] = '\0';
        if (err) {
            snprintf(why, why_size, "the OAUTHBEARER token callback failed (%s): %s",
                     kprod_err_name(err), cb_err[0] ? cb_err : "no reason given");
            err = KPROD_ERR_SASL_AUTHENTICATION_FAILED;
        } else if (expiry <= now) {
            snprintf(why, why_size,
                     "the OAUTHBEARER token callback gave a token that has "
                     "already expired");
            err = KPROD_ERR_SASL_AUTHENTICATION_FAILED;
        }
        t.len = strlen((char *)t.data) + 1;
    } else {
        err = kp_oauthbearer_unsecured_token(&s->oauth, now, &t, &expiry, why, why_size);
        if (err)
            err = KPROD_ERR_SASL_AUTHENTICATION_FAILED;
        kp_buf_put_raw(&t, "", 1);
    }
    if (!err && t.oom) {
        snprintf(why, why_size, "out of memory for the OAUTHBEARER token");
        err = KPROD_ERR__NO_MEMORY;
    }
    if (!err) {
        char *nt = strdup((char *)t.data);
        if (!nt) {
            snprintf(why, why_size, "out of memory for the OAUTHBEARER token");
            err = KPROD_ERR__NO_MEMORY;
        } else {
            wipe_free(a->token);
            a->token = nt;
            a->token_expiry_ms = expiry;
            a->token_refresh_ms = now + (expiry - now) * 8 / 10;
            KP_DEBUG(&a->cfg->log, KP_DBG_SECURITY,
                     "new OAUTHBEARER token, expires in %lld ms, renewed after %lld ms",
                     (long long)(expiry - now), (long long)(a->token_refresh_ms - now));
        }
    }
    if (t.data)
        memset(t.data, 0, t.cap);
    kp_buf_free(&t);
    return err;
}

static void handshake_response(void *opaque, kp_broker *b, void *ctx, int16_t version, kp_rd *r) {
    kp_auth *a = opaque;
    auth_req *ar = ctx;
    kp_sasl_handshake_resp resp;
    kprod_err_t err = kp_sasl_handshake_resp_decode(r, version, &resp);
    if (err) {
        end_req(ar);
        kp_rl_fail_broker(a->rl, b, KPROD_ERR__BAD_MSG, "malformed SaslHandshake response");
        return;
    }
    char why[400];
    kprod_err_t code = (kprod_err_t)resp.error_code;
    if (code) {
        char list[200];
        kp_sasl_handshake_mechanisms_text(&resp, list, sizeof(list));
        if (resp.error_code == KPROD_ERR_UNSUPPORTED_SASL_MECHANISM)
            snprintf(why, sizeof(why),
                     "the broker does not enable %s on this listener (UNSUPPORTED_SASL_MECHANISM); "
                     "it enables: %s",
                     mech(a), list);
        else if (code == KPROD_ERR_ILLEGAL_SASL_STATE)
            snprintf(why, sizeof(why),
                     "SaslHandshake answered ILLEGAL_SASL_STATE: this listener takes no SASL (a "
                     "PLAINTEXT or SSL listener?); security.protocol is SASL_*");
        else
            snprintf(why, sizeof(why), "SaslHandshake answered %s", kprod_err_name(code));
        kp_sasl_handshake_resp_free(&resp);
        end_req(ar);
        fail(a, b, code, why);
        return;
    }
    kp_sasl_handshake_resp_free(&resp);
    kp_conn_set_phase(&b->conn,
                      b->reauthenticating ? "SASL re-authentication" : "SASL authentication");
    err = KPROD_ERR_NO_ERROR;
    if (a->cfg->sasl.mech == KP_SASL_OAUTHBEARER)
        err = token(a, why, sizeof(why));
    kp_buf tok;
    kp_buf_init(&tok, 256);
    if (!err)
        err = kp_sasl_exchange_begin(&ar->x, &a->cfg->sasl, a->token, &tok, why, sizeof(why));
    if (err) {
        kp_buf_free(&tok);
        end_req(ar);
        fail(a, b, err, why);
        return;
    }
    send_token(a, b, ar, &tok);
    memset(tok.data, 0, tok.len); /* PLAIN's token holds the password */
    kp_buf_free(&tok);
}

static void authenticate_response(void *opaque, kp_broker *b, void *ctx, int16_t version,
                                  kp_rd *r) {
    kp_auth *a = opaque;
    auth_req *ar = ctx;
    kp_sasl_authenticate_resp resp;
    kprod_err_t err = kp_sasl_authenticate_resp_decode(r, version, &resp);
    if (err) {
        end_req(ar);
        kp_rl_fail_broker(a->rl, b, KPROD_ERR__BAD_MSG, "malformed SaslAuthenticate response");
        return;
    }
    char why[400];
    if (resp.error_code) {
        /* The broker's own words: what the user needs to see. */
        snprintf(why, sizeof(why), "%s: %s", kprod_err_name((kprod_err_t)resp.error_code),
                 resp.error_message ? resp.error_message : "(no message from the broker)");
        err = (kprod_err_t)resp.error_code;
        kp_sasl_authenticate_resp_free(&resp);
        end_req(ar);
        fail(a, b, err, why);
        return;
    }
    kp_buf tok;
    kp_buf_init(&tok, 256);
    int done = 0;
    err = kp_sasl_exchange_next(&ar->x, resp.auth_bytes, resp.auth_len, &tok, &done, why,
                                sizeof(why));
    int64_t lifetime = resp.session_lifetime_ms;
    kp_sasl_authenticate_resp_free(&resp);
    if (err) {
        kp_buf_free(&tok);
        end_req(ar);
        fail(a, b, err, why);
        return;
    }
    if (!done) {
        send_token(a, b, ar, &tok);
        kp_buf_free(&tok);
        return;
    }
    kp_buf_free(&tok);
    end_req(ar);
    KP_DEBUG(&a->cfg->log, KP_DBG_SECURITY,
             "%s with %s:%d as %s%s%s in %lld ms, session lifetime %lld ms",
             b->reauthenticating ? "re-authenticated" : "authenticated", b->conn.host, b->conn.port,
             mech(a), a->cfg->sasl.username ? " user " : "",
             a->cfg->sasl.username ? a->cfg->sasl.username : "",
             (long long)(kp_now_ms() - b->auth_started_ms), (long long)lifetime);
    kp_rl_authenticated(a->rl, b, lifetime);
}

static const kp_req_handler *handler(kp_auth *a, int handshake) {
    static _Thread_local kp_req_handler hs, au;
    kp_req_handler *h = handshake ? &hs : &au;
    h->on_response = handshake ? handshake_response : authenticate_response;
    h->on_fail = on_fail;
    h->on_written = NULL;
    h->opaque = a;
    return h;
}

/* Starts an authentication (or re-authentication: KIP-368 skips
 * ApiVersions) with SaslHandshake. */
static void authenticate(void *opaque, kp_broker *b, int reauth) {
    kp_auth *a = opaque;
    (void)reauth;
    if (kp_rl_version(b, KP_API_SASL_HANDSHAKE) < 0 ||
        kp_rl_version(b, KP_API_SASL_AUTHENTICATE) < 0) {
        fail(a, b, KPROD_ERR__UNSUPPORTED_FEATURE,
             "the broker speaks no SaslHandshake v1 and SaslAuthenticate (Kafka 1.0 or later "
             "does)");
        return;
    }
    kp_conn_set_phase(&b->conn, "SASL handshake");
    b->auth_started_ms = kp_now_ms();
    auth_req *ar = calloc(1, sizeof(*ar));
    if (!ar) {
        kp_rl_fail_broker(a->rl, b, KPROD_ERR__NO_MEMORY, "out of memory for SASL");
        return;
    }
    kp_frame f;
    kp_buf *out = kp_rl_begin(a->rl, b, KP_API_SASL_HANDSHAKE, KP_SASL_HANDSHAKE_MAX_VER, &f);
    kprod_err_t err = kp_sasl_handshake_req_encode(out, KP_SASL_HANDSHAKE_MAX_VER, mech(a));
    if (kp_rl_send(a->rl, &f, err, 1, 0, handler(a, 1), ar) != KPROD_ERR_NO_ERROR) {
        free(ar);
        kp_rl_fail_broker(a->rl, b, KPROD_ERR__NO_MEMORY, "could not encode SaslHandshake");
    }
}

kp_auth *kp_auth_new(const kp_config *cfg, kp_rl *rl) {
    kp_auth *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->cfg = cfg;
    a->rl = rl;
    kp_rl_auth hooks = {authenticate, a};
    kp_rl_set_auth(rl, &hooks);
    return a;
}

void kp_auth_free(kp_auth *a) {
    if (!a)
        return;
    wipe_free(a->token);
    free(a);
}
