/* SCRAM client (see scram.h). */
#include "security/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/b64.h"

static const EVP_MD *md_of(kp_scram_hash h) {
    switch (h) {
    case KP_SCRAM_SHA1:
        return EVP_sha1();
    case KP_SCRAM_SHA256:
        return EVP_sha256();
    default:
        return EVP_sha512();
    }
}

static kprod_err_t fail(char *why, size_t why_size, kprod_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static kprod_err_t fail(char *why, size_t why_size, kprod_err_t err, const char *fmt, ...) {
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void kp_scram_end(kp_scram *s) {
    if (s->password) {
        OPENSSL_cleanse(s->password, strlen(s->password));
        free(s->password);
    }
    free(s->client_first_bare);
    OPENSSL_cleanse(s, sizeof(*s));
    memset(s, 0, sizeof(*s));
}

/* RFC 5802 saslname: ',' and '=' are escaped as =2C and =3D. */
static void put_saslname(kp_buf *b, const char *user) {
    for (const char *c = user; *c; c++) {
        if (*c == ',')
            kp_buf_put_raw(b, "=2C", 3);
        else if (*c == '=')
            kp_buf_put_raw(b, "=3D", 3);
        else
            kp_buf_put_raw(b, c, 1);
    }
}

kprod_err_t kp_scram_begin(kp_scram *s, kp_scram_hash hash, const char *user, const char *password,
                           const char *nonce, kp_buf *out, char *why, size_t why_size) {
    memset(s, 0, sizeof(*s));
    s->hash = hash;
    if (!user || !*user || !password)
        return fail(why, why_size, KPROD_ERR__INVALID_ARG,
                    "SCRAM needs a user name and a password");
    kp_buf nb;
    kp_buf_init(&nb, 48);
    if (nonce) {
        kp_buf_put_raw(&nb, nonce, strlen(nonce));
    } else {
        uint8_t rnd[24];
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            kp_buf_free(&nb);
            return fail(why, why_size, KPROD_ERR__FAIL, "no random bytes for the SCRAM nonce");
        }
        kp_b64_put(&nb, rnd, sizeof(rnd), 0);
    }
    kp_buf bare;
    kp_buf_init(&bare, 64);
    kp_buf_put_raw(&bare, "n=", 2);
    put_saslname(&bare, user);
    kp_buf_put_raw(&bare, ",r=", 3);
    kp_buf_put_raw(&bare, nb.data, nb.len);
    s->nonce_len = nb.len;
    kp_buf_free(&nb);
    s->password = dup_n(password, strlen(password));
    s->client_first_bare = bare.oom ? NULL : dup_n((const char *)bare.data, bare.len);
    kp_buf_free(&bare);
    if (!s->password || !s->client_first_bare)
        return fail(why, why_size, KPROD_ERR__NO_MEMORY, "out of memory");
    kp_buf_put_raw(out, "n,,", 3); /* GS2 header: no channel binding, no authzid */
    kp_buf_put_raw(out, s->client_first_bare, strlen(s->client_first_bare));
    s->state = 1;
    return out->oom ? fail(why, why_size, KPROD_ERR__NO_MEMORY, "out of memory") : 0;
}

/* The value of attribute `name` ("r", "s", ...) in a comma-separated
 * SCRAM message, or NULL; *n its length. Only the first occurrence. */
static const char *attr(const char *msg, size_t len, char name, size_t *n) {
    const char *p = msg, *end = msg + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        if (e - p >= 2 && p[0] == name && p[1] == '=') {
            *n = (size_t)(e - p - 2);
            return p + 2;
        }
        p = comma ? comma + 1 : end;
    }
    return NULL;
}

static int hmac(const EVP_MD *md, const uint8_t *key, size_t klen, const void *data, size_t n,
                uint8_t *out) {
    unsigned int olen = 0;
    return HMAC(md, key, (int)klen, data, n, out, &olen) ? (int)olen : -1;
}

kprod_err_t kp_scram_server_first(kp_scram *s, const uint8_t *msg, size_t len, kp_buf *out,
                                  char *why, size_t why_size) {
    const kprod_err_t AUTH = KPROD_ERR_SASL_AUTHENTICATION_FAILED;
    if (s->state != 1)
        return fail(why, why_size, KPROD_ERR__INVALID_ARG, "SCRAM: server-first out of turn");
    const char *m = (const char *)msg;
    if (len == 0 || memchr(m, '\0', len))
        return fail(why, why_size, AUTH, "malformed SCRAM server-first message (empty or NUL)");
    if (len >= 2 && m[0] == 'm' && m[1] == '=')
        return fail(why, why_size, AUTH, "SCRAM server-first asks for an unknown extension (m=)");
    size_t rlen = 0, slen = 0, ilen = 0; /* set with each attribute found */
    const char *r = attr(m, len, 'r', &rlen), *salt = attr(m, len, 's', &slen),
               *iter = attr(m, len, 'i', &ilen);
    if (!r || !salt || !iter)
        return fail(why, why_size, AUTH,
                    "malformed SCRAM server-first message (r, s or i missing)");
    const char *cnonce = s->client_first_bare + strlen(s->client_first_bare) - s->nonce_len;
    if (rlen <= s->nonce_len || memcmp(r, cnonce, s->nonce_len) != 0)
        return fail(why, why_size, AUTH,
                    "SCRAM server nonce does not extend the client's (a replayed or forged "
                    "exchange)");
    long iterations = 0;
    for (size_t i = 0; i < ilen; i++) {
        if (iter[i] < '0' || iter[i] > '9')
            return fail(why, why_size, AUTH, "SCRAM iteration count is not a number");
        if (iterations <= KP_SCRAM_MAX_ITERATIONS) /* no overflow: the bound is checked below */
            iterations = iterations * 10 + (iter[i] - '0');
    }
    /* The count as read (digits only: no text of the server's is echoed). */
    if (ilen == 0 || iterations < KP_SCRAM_MIN_ITERATIONS || iterations > KP_SCRAM_MAX_ITERATIONS)
        return fail(why, why_size, AUTH, "SCRAM iteration count %s%ld outside %d..%d",
                    iterations > KP_SCRAM_MAX_ITERATIONS ? "above " : "",
                    iterations > KP_SCRAM_MAX_ITERATIONS ? (long)KP_SCRAM_MAX_ITERATIONS
                                                         : iterations,
                    KP_SCRAM_MIN_ITERATIONS, KP_SCRAM_MAX_ITERATIONS);
    uint8_t saltb[256];
    long saltn = slen <= 4 * (sizeof(saltb) / 3) - 4 ? kp_b64_decode(salt, slen, saltb) : -1;
    if (saltn <= 0)
        return fail(why, why_size, AUTH, "SCRAM salt is not base64 (or empty or too long)");

    const EVP_MD *md = md_of(s->hash);
    size_t hlen = (size_t)EVP_MD_get_size(md);
    uint8_t salted[64], client_key[64], stored_key[64], server_key[64], sig[64], proof[64];
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    kp_buf am; /* AuthMessage */
    kp_buf_init(&am, 256);
    if (PKCS5_PBKDF2_HMAC(s->password, (int)strlen(s->password), saltb, (int)saltn, (int)iterations,
                          md, (int)hlen, salted) != 1 ||
        hmac(md, salted, hlen, "Client Key", 10, client_key) < 0 ||
        EVP_Digest(client_key, hlen, stored_key, NULL, md, NULL) != 1 ||
        hmac(md, salted, hlen, "Server Key", 10, server_key) < 0) {
        err = fail(why, why_size, KPROD_ERR__FAIL, "SCRAM: OpenSSL could not hash");
        goto out;
    }
    /* client-final-message-without-proof: c=base64("n,,"), r=the server's nonce */
    kp_buf_put_raw(out, "c=biws,r=", 9);
    kp_buf_put_raw(out, r, rlen);
    kp_buf_put_raw(&am, s->client_first_bare, strlen(s->client_first_bare));
    kp_buf_put_raw(&am, ",", 1);
    kp_buf_put_raw(&am, m, len);
    kp_buf_put_raw(&am, ",c=biws,r=", 10);
    kp_buf_put_raw(&am, r, rlen);
    if (am.oom || out->oom) {
        err = fail(why, why_size, KPROD_ERR__NO_MEMORY, "out of memory");
        goto out;
    }
    if (hmac(md, stored_key, hlen, am.data, am.len, sig) < 0 ||
        hmac(md, server_key, hlen, am.data, am.len, s->server_sig) < 0) {
        err = fail(why, why_size, KPROD_ERR__FAIL, "SCRAM: OpenSSL could not hash");
        goto out;
    }
    for (size_t i = 0; i < hlen; i++)
        proof[i] = client_key[i] ^ sig[i];
    s->sig_len = hlen;
    kp_buf_put_raw(out, ",p=", 3);
    kp_b64_put(out, proof, hlen, 0);
    if (out->oom)
        err = fail(why, why_size, KPROD_ERR__NO_MEMORY, "out of memory");
    s->state = 2;
out:
    OPENSSL_cleanse(salted, sizeof(salted));
    OPENSSL_cleanse(client_key, sizeof(client_key));
    OPENSSL_cleanse(stored_key, sizeof(stored_key));
    OPENSSL_cleanse(server_key, sizeof(server_key));
    OPENSSL_cleanse(proof, sizeof(proof));
    kp_buf_free(&am);
    return err;
}

kprod_err_t kp_scram_server_final(kp_scram *s, const uint8_t *msg, size_t len, char *why,
                                  size_t why_size) {
    const kprod_err_t AUTH = KPROD_ERR_SASL_AUTHENTICATION_FAILED;
    if (s->state != 2)
        return fail(why, why_size, KPROD_ERR__INVALID_ARG, "SCRAM: server-final out of turn");
    const char *m = (const char *)msg;
    size_t n;
    const char *e = attr(m, len, 'e', &n);
    if (e) {
        /* The server's reason is a short token such as invalid-proof: shown,
         * cut and stripped to printable characters. */
        char reason[64];
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < sizeof(reason); i++) {
            unsigned char ch = (unsigned char)e[i];
            reason[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
        }
        reason[k] = '\0';
        return fail(why, why_size, AUTH, "SCRAM: the server refused: %s", reason);
    }
    const char *v = attr(m, len, 'v', &n);
    uint8_t sig[64 + 3];
    long sn = v && n <= 4 * (sizeof(sig) / 3) ? kp_b64_decode(v, n, sig) : -1;
    if (sn < 0)
        return fail(why, why_size, AUTH, "malformed SCRAM server-final message");
    if ((size_t)sn != s->sig_len || CRYPTO_memcmp(sig, s->server_sig, s->sig_len) != 0)
        return fail(why, why_size, AUTH,
                    "SCRAM server signature does not match: the broker does not know this "
                    "user's password (or someone is in between)");
    s->state = 3;
    return KPROD_ERR_NO_ERROR;
}
