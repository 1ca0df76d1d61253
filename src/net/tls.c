/* TLS with OpenSSL 3 (see tls.h). */
#include "net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errdetail.h"

struct kp_tls_ctx {
    SSL_CTX *ctx;
    int verify_peer;
    int verify_hostname;
};

struct kp_tls {
    SSL *ssl;
    char host[256];
    int port;
};

/* Largest store or PEM file read; real ones are a few KiB. */
#define KP_TLS_MAX_FILE (1 << 20)

/* OpenSSL's reason for the last failure on this thread ("bad decrypt"),
 * and the queue emptied. */
static const char *ossl_reason(char *buf, size_t size) {
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0)
        last = e;
    const char *r = last ? ERR_reason_error_string(last) : NULL;
    snprintf(buf, size, "%s", r ? r : "unknown OpenSSL error");
    return buf;
}

/* ---- files and stores ---- */

typedef enum { FMT_PEM, FMT_PKCS12, FMT_JKS } store_fmt;

/* A whole file (at most KP_TLS_MAX_FILE bytes) in memory, with read-only
 * BIOs over it made as needed (the key and the chain of one PEM file are
 * read by two). */
typedef struct file_data {
    char *data;
    size_t len;
} file_data;

static int read_file(const char *what, const char *path, file_data *fd, char *errstr,
                     size_t errstr_size) {
    fd->data = NULL;
    fd->len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return kp_errf(errstr, errstr_size, "%s %s: cannot open: %s", what, path, strerror(errno));
    fd->data = malloc(KP_TLS_MAX_FILE);
    fd->len = fd->data ? fread(fd->data, 1, KP_TLS_MAX_FILE, f) : 0;
    int bad = !fd->data || ferror(f) || (fd->len == KP_TLS_MAX_FILE && fgetc(f) != EOF);
    fclose(f);
    if (bad) {
        free(fd->data);
        fd->data = NULL;
        return kp_errf(errstr, errstr_size, "%s %s: cannot read it (1 MiB at most)", what, path);
    }
    return 0;
}

static void file_free(file_data *fd) {
    if (fd->data) {
        OPENSSL_cleanse(fd->data, fd->len);
        free(fd->data);
    }
    fd->data = NULL;
}

static BIO *file_bio(const file_data *fd) { return BIO_new_mem_buf(fd->data, (int)fd->len); }

/* What a store's bytes are: JKS (or JCEKS) by its magic, PKCS12 by its
 * DER sequence, PEM otherwise. */
static store_fmt sniff(const file_data *fd) {
    const unsigned char *u = (const unsigned char *)fd->data;
    size_t n = fd->len;
    if (n >= 4 && ((u[0] == 0xfe && u[1] == 0xed && u[2] == 0xfe && u[3] == 0xed) ||
                   (u[0] == 0xce && u[1] == 0xce && u[2] == 0xce && u[3] == 0xce)))
        return FMT_JKS;
    if (n >= 2 && u[0] == 0x30 && u[1] >= 0x80)
        return FMT_PKCS12;
    return FMT_PEM;
}

static int jks_error(const char *prop, const char *path, char *errstr, size_t errstr_size) {
    return kp_errf(errstr, errstr_size,
                   "%s %s is a Java JKS store, which kprod cannot read: convert it to PKCS12 "
                   "(keytool -importkeystore -srckeystore %s -destkeystore store.p12 "
                   "-deststoretype PKCS12) and point %s at the new file",
                   prop, path, path, prop);
}

/* Which format to read a store as: the type set, else what the bytes say. */
static int store_format(const char *type, const file_data *fd, const char *prop, const char *path,
                        store_fmt *fmt, char *errstr, size_t errstr_size) {
    store_fmt seen = sniff(fd);
    if (seen == FMT_JKS)
        return jks_error(prop, path, errstr, errstr_size);
    *fmt = !type ? seen : strcmp(type, "PKCS12") == 0 ? FMT_PKCS12 : FMT_PEM;
    return 0;
}

static int pkcs12_open(BIO *b, const char *password, const char *password2, EVP_PKEY **key,
                       X509 **cert, STACK_OF(X509) * *ca) {
    PKCS12 *p12 = d2i_PKCS12_bio(b, NULL);
    if (!p12)
        return -1;
    int ok = PKCS12_parse(p12, password ? password : "", key, cert, ca);
    if (!ok && password2) {
        ERR_clear_error();
        ok = PKCS12_parse(p12, password2, key, cert, ca);
    }
    PKCS12_free(p12);
    return ok ? 0 : -1;
}

/* Adds every certificate of a PEM BIO to the trust store; how many. */
static int add_pem_cas(X509_STORE *store, BIO *b) {
    STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
    int n = 0;
    for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *xi = sk_X509_INFO_value(infos, i);
        if (xi->x509 && X509_STORE_add_cert(store, xi->x509) == 1)
            n++;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    ERR_clear_error(); /* a trailing non-certificate block is not an error here */
    return n;
}

static int load_truststore(SSL_CTX *ctx, const kp_tls_settings *s, char *errstr,
                           size_t errstr_size) {
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    char why[200];
    if (s->truststore_certificates) {
        BIO *b = BIO_new_mem_buf(s->truststore_certificates, -1);
        int n = b ? add_pem_cas(store, b) : 0;
        BIO_free(b);
        return n > 0 ? 0
                     : kp_errf(errstr, errstr_size,
                               "ssl.truststore.certificates holds no PEM certificate");
    }
    const char *path = s->truststore_location;
    if (!path) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            return kp_errf(errstr, errstr_size, "cannot load the system's CA certificates: %s",
                           ossl_reason(why, sizeof(why)));
        return 0;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (SSL_CTX_load_verify_locations(ctx, NULL, path) != 1)
            return kp_errf(errstr, errstr_size, "ssl.truststore.location %s: %s", path,
                           ossl_reason(why, sizeof(why)));
        return 0;
    }
    file_data fd;
    if (read_file("ssl.truststore.location", path, &fd, errstr, errstr_size) != 0)
        return -1;
    BIO *b = file_bio(&fd);
    store_fmt fmt;
    int rc = b ? store_format(s->truststore_type, &fd, "ssl.truststore.location", path, &fmt,
                              errstr, errstr_size)
               : kp_errf(errstr, errstr_size, "out of memory");
    if (rc == 0 && fmt == FMT_PKCS12) {
        X509 *cert = NULL;
        STACK_OF(X509) *ca = NULL;
        if (pkcs12_open(b, s->truststore_password, NULL, NULL, &cert, &ca) != 0) {
            rc = kp_errf(errstr, errstr_size,
                         "ssl.truststore.location %s: not a PKCS12 store this password opens "
                         "(ssl.truststore.password): %s",
                         path, ossl_reason(why, sizeof(why)));
        } else {
            int n = 0;
            if (cert && X509_STORE_add_cert(store, cert) == 1)
                n++;
            for (int i = 0; ca && i < sk_X509_num(ca); i++)
                n += X509_STORE_add_cert(store, sk_X509_value(ca, i)) == 1;
            if (n == 0)
                rc = kp_errf(errstr, errstr_size, "ssl.truststore.location %s holds no certificate",
                             path);
        }
        X509_free(cert);
        sk_X509_pop_free(ca, X509_free);
    } else if (rc == 0 && add_pem_cas(store, b) == 0) {
        rc = kp_errf(errstr, errstr_size,
                     "ssl.truststore.location %s holds no PEM certificate (PKCS12? set "
                     "ssl.truststore.type=PKCS12)",
                     path);
    }
    BIO_free(b);
    file_free(&fd);
    return rc;
}

/* Passphrase callback: never prompts on a terminal. */
static int key_password_cb(char *buf, int size, int rwflag, void *u) {
    (void)rwflag;
    const char *pw = u;
    if (!pw)
        return 0;
    int n = (int)strlen(pw);
    if (n > size)
        return 0;
    memcpy(buf, pw, (size_t)n);
    return n;
}

/* A PEM key and certificate chain (from one BIO or two). */
static int pem_identity(BIO *key_bio, BIO *cert_bio, const char *key_password, EVP_PKEY **key,
                        X509 **cert, STACK_OF(X509) * *chain) {
    *key = PEM_read_bio_PrivateKey(key_bio, NULL, key_password_cb, (void *)key_password);
    if (!*key)
        return -1;
    STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(cert_bio, NULL, NULL, NULL);
    *chain = sk_X509_new_null();
    for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *xi = sk_X509_INFO_value(infos, i);
        if (!xi->x509)
            continue;
        if (!*cert)
            *cert = xi->x509;
        else
            sk_X509_push(*chain, xi->x509);
        xi->x509 = NULL; /* moved out */
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    ERR_clear_error();
    return *cert ? 0 : -2;
}

static int use_identity(SSL_CTX *ctx, EVP_PKEY *key, X509 *cert, STACK_OF(X509) * chain,
                        const char *what, char *errstr, size_t errstr_size) {
    char why[200];
    if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        return kp_errf(errstr, errstr_size,
                       "%s: the private key does not belong to the certificate", what);
    }
    if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
        return kp_errf(errstr, errstr_size, "%s: %s", what, ossl_reason(why, sizeof(why)));
    for (int i = 0; chain && i < sk_X509_num(chain); i++)
        if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) != 1)
            return kp_errf(errstr, errstr_size, "%s: %s", what, ossl_reason(why, sizeof(why)));
    if (SSL_CTX_check_private_key(ctx) != 1)
        return kp_errf(errstr, errstr_size,
                       "%s: the private key does not belong to the certificate", what);
    return 0;
}

/* The client's certificate and key, for mutual TLS (none: 0). */
static int load_identity(SSL_CTX *ctx, const kp_tls_settings *s, char *errstr, size_t errstr_size) {
    file_data kf = {NULL, 0}, cf = {NULL, 0};
    BIO *kb = NULL, *cb = NULL;
    const char *what;
    char why[200];
    store_fmt fmt = FMT_PEM;
    int rc = 0;
    if (s->keystore_location) {
        what = "ssl.keystore.location";
        rc = read_file(what, s->keystore_location, &kf, errstr, errstr_size);
        if (rc == 0)
            rc = store_format(s->keystore_type, &kf, what, s->keystore_location, &fmt, errstr,
                              errstr_size);
        kb = rc == 0 ? file_bio(&kf) : NULL;
        cb = rc == 0 ? file_bio(&kf) : NULL;
    } else if (s->keystore_key) {
        what = "ssl.keystore.key/ssl.keystore.certificate.chain";
        kb = BIO_new_mem_buf(s->keystore_key, -1);
        cb = BIO_new_mem_buf(s->keystore_certificate_chain, -1);
    } else if (s->key_location) {
        what = "ssl.key.location/ssl.certificate.location";
        rc = read_file("ssl.key.location", s->key_location, &kf, errstr, errstr_size);
        if (rc == 0)
            rc = read_file("ssl.certificate.location", s->certificate_location, &cf, errstr,
                           errstr_size);
        kb = rc == 0 ? file_bio(&kf) : NULL;
        cb = rc == 0 ? file_bio(&cf) : NULL;
    } else {
        return 0;
    }
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;
    if (rc == 0 && (!kb || !cb))
        rc = kp_errf(errstr, errstr_size, "out of memory reading %s", what);
    if (rc == 0 && fmt == FMT_PKCS12) {
        rc = pkcs12_open(kb, s->keystore_password, s->key_password, &key, &cert, &chain);
        if (rc != 0 || !key || !cert)
            rc = kp_errf(errstr, errstr_size,
                         "%s %s: no key and certificate this password opens "
                         "(ssl.keystore.password, ssl.key.password): %s",
                         what, s->keystore_location, ossl_reason(why, sizeof(why)));
    } else if (rc == 0) {
        rc = pem_identity(kb, cb, s->key_password, &key, &cert, &chain);
        if (rc == -1)
            rc = kp_errf(errstr, errstr_size, "%s: cannot read the private key (%s%s)", what,
                         ossl_reason(why, sizeof(why)),
                         s->key_password ? "; is ssl.key.password right?"
                                         : "; if it is encrypted, set ssl.key.password");
        else if (rc == -2)
            rc = kp_errf(errstr, errstr_size, "%s: no PEM certificate with the key", what);
    }
    if (rc == 0)
        rc = use_identity(ctx, key, cert, chain, what, errstr, errstr_size);
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    BIO_free(cb);
    BIO_free(kb);
    file_free(&kf);
    file_free(&cf);
    return rc;
}

/* The TLS 1.3 suites have the same names in IANA's (Java's) registry and
 * OpenSSL; TLS 1.2 ones are translated from IANA names where needed. */
static int is_tls13_suite(const char *name) {
    static const char *const v13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                      "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
                                      "TLS_AES_128_CCM_8_SHA256"};
    for (size_t i = 0; i < sizeof(v13) / sizeof(v13[0]); i++)
        if (strcmp(name, v13[i]) == 0)
            return 1;
    return 0;
}

static int set_suites(SSL_CTX *ctx, const char *list, char *errstr, size_t errstr_size) {
    char v12[2048] = "", v13[512] = "";
    const char *s = list;
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        size_t n = strcspn(s, ", ");
        if (!n)
            break;
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)n, s);
        s += n;
        char *dst = v12;
        size_t cap = sizeof(v12);
        const char *ossl = name;
        if (is_tls13_suite(name)) {
            dst = v13;
            cap = sizeof(v13);
        } else {
            const char *conv = OPENSSL_cipher_name(name);
            if (conv && strcmp(conv, "(NONE)") != 0)
                ossl = conv;
            /* Each must be known on its own: OpenSSL skips unknown names in a list. */
            if (SSL_CTX_set_cipher_list(ctx, ossl) != 1) {
                ERR_clear_error();
                return kp_errf(errstr, errstr_size,
                               "ssl.cipher.suites: OpenSSL does not know the suite %s", name);
            }
        }
        size_t used = strlen(dst);
        snprintf(dst + used, cap - used, "%s%s", used ? ":" : "", ossl);
    }
    char why[200];
    if (*v12 && SSL_CTX_set_cipher_list(ctx, v12) != 1)
        return kp_errf(errstr, errstr_size, "ssl.cipher.suites: %s", ossl_reason(why, sizeof(why)));
    if (*v13 && SSL_CTX_set_ciphersuites(ctx, v13) != 1)
        return kp_errf(errstr, errstr_size, "ssl.cipher.suites: %s", ossl_reason(why, sizeof(why)));
    return 0;
}

kprod_err_t kp_tls_ctx_new(const kp_tls_settings *s, kp_tls_ctx **out, char *errstr,
                           size_t errstr_size) {
    *out = NULL;
    ERR_clear_error();
    kp_tls_ctx *c = calloc(1, sizeof(*c));
    SSL_CTX *ctx = c ? SSL_CTX_new(TLS_client_method()) : NULL;
    if (!ctx) {
        free(c);
        kp_errf(errstr, errstr_size, "out of memory making the TLS context");
        return KPROD_ERR__NO_MEMORY;
    }
    c->ctx = ctx;
    c->verify_peer = s->verify_peer;
    c->verify_hostname = s->verify_peer && s->verify_hostname;
    SSL_CTX_set_min_proto_version(ctx, s->min_version);
    SSL_CTX_set_max_proto_version(ctx, s->max_version);
    /* Read whole records at once instead of header and body apart; Kafka
     * brokers often close without a close_notify: that is an end, not an attack on a
     * length-delimited protocol. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(ctx, s->verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_default_passwd_cb(ctx, key_password_cb);
    int rc = 0;
    if (s->cipher_suites)
        rc = set_suites(ctx, s->cipher_suites, errstr, errstr_size);
    if (rc == 0 && s->verify_peer)
        rc = load_truststore(ctx, s, errstr, errstr_size);
    if (rc == 0)
        rc = load_identity(ctx, s, errstr, errstr_size);
    ERR_clear_error();
    if (rc != 0) {
        kp_tls_ctx_free(c);
        return KPROD_ERR__SSL;
    }
    *out = c;
    return KPROD_ERR_NO_ERROR;
}

void kp_tls_ctx_free(kp_tls_ctx *c) {
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    free(c);
}

/* ---- sessions ---- */

kp_tls *kp_tls_new(kp_tls_ctx *ctx, int fd, const char *host, int port, char *why,
                   size_t why_size) {
    ERR_clear_error();
    kp_tls *t = calloc(1, sizeof(*t));
    if (!t || !(t->ssl = SSL_new(ctx->ctx)) || SSL_set_fd(t->ssl, fd) != 1) {
        kp_tls_free(t);
        kp_errf(why, why_size, "out of memory starting TLS with %s:%d", host, port);
        return NULL;
    }
    snprintf(t->host, sizeof(t->host), "%s", host);
    t->port = port;
    SSL_set_connect_state(t->ssl);
    unsigned char ip[16];
    int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    if (!is_ip)
        SSL_set_tlsext_host_name(t->ssl, host); /* SNI is for names only */
    if (ctx->verify_hostname) {
        X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
                       : X509_VERIFY_PARAM_set1_host(param, host, 0);
        if (ok != 1) {
            kp_tls_free(t);
            kp_errf(why, why_size, "cannot check the certificate of %s:%d against that name", host,
                    port);
            return NULL;
        }
    }
    return t;
}

void kp_tls_free(kp_tls *t) {
    if (!t)
        return;
    SSL_free(t->ssl);
    free(t);
}

/* What a failed verification means for the user. */
static const char *verify_hint(long v) {
    switch (v) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "the broker's certificate does not name the host kprod connected to "
               "(ssl.endpoint.identification.algorithm=https checks that)";
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return "the broker's certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return "the broker's certificate is not valid yet (check the clocks)";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        return "no CA in ssl.truststore.location (or the system's store) signed the broker's "
               "certificate";
    default:
        return "";
    }
}

static kp_tls_status failed(kp_tls *t, int ret, const char *during, char *why, size_t why_size) {
    int e = SSL_get_error(t->ssl, ret);
    int sys_errno = errno;
    unsigned long code = ERR_peek_last_error();
    char reason[200];
    ossl_reason(reason, sizeof(reason));
    long verify = SSL_get_verify_result(t->ssl);
    if (verify != X509_V_OK) {
        const char *hint = verify_hint(verify);
        kp_errf(why, why_size, "TLS %s with %s:%d failed: certificate verify failed: %s%s%s",
                during, t->host, t->port, X509_verify_cert_error_string(verify), *hint ? ": " : "",
                hint);
    } else if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && !code)) {
        if (strcmp(during, "handshake") != 0) {
            kp_errf(why, why_size, "TLS %s with %s:%d failed: %s", during, t->host, t->port,
                    sys_errno ? strerror(sys_errno) : "connection closed");
            return KP_TLS_BROKEN;
        }
        kp_errf(why, why_size,
                "TLS %s with %s:%d failed: the broker closed the connection%s%s (is this a "
                "PLAINTEXT or SASL_PLAINTEXT listener? They close on a TLS hello)",
                during, t->host, t->port, sys_errno ? ": " : "",
                sys_errno ? strerror(sys_errno) : "");
    } else if (ERR_GET_REASON(code) == SSL_R_WRONG_VERSION_NUMBER ||
               ERR_GET_REASON(code) == SSL_R_PACKET_LENGTH_TOO_LONG) {
        kp_errf(why, why_size,
                "TLS %s with %s:%d failed: the broker does not speak TLS there (%s): a PLAINTEXT "
                "or SASL_PLAINTEXT listener? Use security.protocol PLAINTEXT or SASL_PLAINTEXT "
                "for it",
                during, t->host, t->port, reason);
    } else if (strstr(reason, "certificate required") || strstr(reason, "bad certificate") ||
               strstr(reason, "unknown ca")) {
        kp_errf(why, why_size,
                "TLS %s with %s:%d failed: the broker refused kprod's certificate (%s): does the "
                "listener require a client certificate (ssl.keystore.*) signed by a CA it trusts?",
                during, t->host, t->port, reason);
    } else {
        kp_errf(why, why_size, "TLS %s with %s:%d failed: %s", during, t->host, t->port, reason);
    }
    return KP_TLS_FAILED;
}

static kp_tls_status want(kp_tls *t, int ret, const char *during, char *why, size_t why_size) {
    switch (SSL_get_error(t->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        return KP_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return KP_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: /* a close during the handshake is a failure */
        return strcmp(during, "handshake") != 0 ? KP_TLS_CLOSED
                                                : failed(t, ret, during, why, why_size);
    default:
        return failed(t, ret, during, why, why_size);
    }
}

kp_tls_status kp_tls_handshake(kp_tls *t, char *why, size_t why_size) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(t->ssl);
    return r == 1 ? KP_TLS_OK : want(t, r, "handshake", why, why_size);
}

kp_tls_status kp_tls_read(kp_tls *t, void *buf, size_t n, size_t *got, char *why, size_t why_size) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(t->ssl, buf, n, got);
    return r == 1 ? KP_TLS_OK : want(t, r, "read", why, why_size);
}

kp_tls_status kp_tls_write(kp_tls *t, const void *buf, size_t n, size_t *put, char *why,
                           size_t why_size) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_write_ex(t->ssl, buf, n, put);
    return r == 1 ? KP_TLS_OK : want(t, r, "write", why, why_size);
}

void kp_tls_describe(const kp_tls *t, char *buf, size_t size) {
    snprintf(buf, size, "%s %s", SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl));
}
