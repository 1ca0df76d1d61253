/* Every way the secured listeners of scripts/kafka.sh can refuse kprod,
 * each giving its error within seconds (never max.block.ms or
 * delivery.timeout.ms), saying which broker and why, said once in the log
 * however often the connection is retried, and never quoting a secret:
 * a wrong password or an unknown user (the broker's own message), an
 * untrusted, expired or wrong-host certificate (OpenSSL's reason), a TLS
 * client on a plaintext listener and the other way round, a mechanism the
 * listener does not enable (with the broker's list), a missing client
 * certificate, a failing token callback, a TLS handshake that never ends
 * (the setup timeout), and stores kprod_new cannot use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sec_util.h"

#define WRONG_PW "wrong-pw-4c1e7d"

static char topic[128];

typedef struct fail_case {
    const char *what;
    const char *client;    /* client-NAME.properties to start from */
    const char *extra[12]; /* name/value pairs; ${KEY} from env, @file a path */
    kprod_err_t err;       /* what kprod_send (waiting for metadata) returns */
    const char *says[4];   /* what the one error line says (NULL-terminated) */
    int token_cb_fails;
} fail_case;

static const fail_case cases[] = {
    {"wrong password (SCRAM-SHA-512, SASL_PLAINTEXT)",
     "sasl-scram-sha-512",
     {"sasl.jaas.config",
      "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"kprod\" "
      "password=\"" WRONG_PW "\";",
      NULL},
     KPROD_ERR_SASL_AUTHENTICATION_FAILED,
     {"SCRAM-SHA-512, user kprod", "invalid credentials", NULL},
     0},
    {"unknown user (PLAIN, SASL_SSL)",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${SASL_SSL_PORT}", "security.protocol", "SASL_SSL",
      "sasl.mechanism", "PLAIN", "sasl.username", "nobody", "sasl.password", WRONG_PW, NULL},
     KPROD_ERR_SASL_AUTHENTICATION_FAILED,
     {"PLAIN, user nobody", "Invalid username or password", NULL},
     0},
    {"untrusted certificate",
     "ssl",
     {"ssl.truststore.location", "@other-ca.pem", NULL},
     KPROD_ERR__SSL,
     {"TLS handshake with 127.0.0.1:${SSL_PORT} failed", "certificate verify failed",
      "self-signed certificate in certificate chain", NULL},
     0},
    {"expired certificate",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${EXPIRED_PORT}", NULL},
     KPROD_ERR__SSL,
     {"127.0.0.1:${EXPIRED_PORT}", "certificate verify failed", "certificate has expired", NULL},
     0},
    {"certificate for another host",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${WRONGHOST_PORT}", NULL},
     KPROD_ERR__SSL,
     {"127.0.0.1:${WRONGHOST_PORT}", "certificate verify failed", "IP address mismatch", NULL},
     0},
    {"certificate for another host, by name",
     "ssl",
     {"bootstrap.servers", "localhost:${WRONGHOST_PORT}", NULL},
     KPROD_ERR__SSL,
     {"localhost:${WRONGHOST_PORT}", "hostname mismatch", NULL},
     0},
    {"a TLS client on a plaintext listener",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${PLAINTEXT_PORT}", NULL},
     KPROD_ERR__SSL,
     {"127.0.0.1:${PLAINTEXT_PORT}", "PLAINTEXT or SASL_PLAINTEXT listener", NULL},
     0},
    {"a plaintext client on a TLS listener",
     "sasl-plain",
     {"bootstrap.servers", "127.0.0.1:${SSL_PORT}", NULL},
     KPROD_ERR__SSL,
     {"127.0.0.1:${SSL_PORT} answered with TLS", "SSL or SASL_SSL listener", NULL},
     0},
    {"a mechanism the listener does not enable",
     "sasl-plain",
     {"sasl.mechanism", "OAUTHBEARER", "sasl.jaas.config",
      "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
      "unsecuredLoginStringClaim_sub=\"kprod\";",
      NULL},
     KPROD_ERR_UNSUPPORTED_SASL_MECHANISM,
     {"does not enable OAUTHBEARER", "it enables: ", "SCRAM-SHA-256", NULL},
     0},
    {"no client certificate for a listener that requires one",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${MTLS_PORT}", NULL},
     KPROD_ERR__SSL,
     {"127.0.0.1:${MTLS_PORT}", "refused kprod's certificate", NULL},
     0},
    {"the token callback fails",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${SASL_SSL_PORT}", "security.protocol", "SASL_SSL",
      "sasl.mechanism", "OAUTHBEARER", NULL},
     KPROD_ERR_SASL_AUTHENTICATION_FAILED,
     {"token callback failed", "the identity provider is down", NULL},
     1},
};

static kprod_err_t failing_token(char *token, size_t size, int64_t *expiry_ms, char *errstr,
                                 size_t errstr_size, void *opaque) {
    (void)token, (void)size, (void)expiry_ms, (void)opaque;
    snprintf(errstr, errstr_size, "the identity provider is down");
    return KPROD_ERR__TRANSPORT;
}

/* The producer-wide error callback: each security failure once. */
static int events;
static kprod_err_t event_err;
static char event_reason[512];
static void on_error(kprod_err_t err, const char *reason, void *opaque) {
    (void)opaque;
    events++;
    event_err = err;
    snprintf(event_reason, sizeof(event_reason), "%s", reason);
}

/* The secrets of the env file and this test: none may appear in a log. */
static void expect_no_secret(kpt_logcap *lc, const char *what) {
    const char *secrets[] = {kps_env(0, "PASSWORD"), kps_env(0, "STORE_PASSWORD"), WRONG_PW};
    char *dump = kpt_logcap_dump(lc);
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        if (strstr(dump, secrets[i]))
            fail_msg("%s: a secret is in the log:\n%s", what, dump);
    free(dump);
}

static void run_case(const fail_case *c) {
    const char *extra[24];
    char *owned[12];
    int n = 0;
    for (; c->extra[n]; n += 2) {
        extra[n] = c->extra[n];
        extra[n + 1] = owned[n / 2] = kps_expand(c->extra[n + 1]);
    }
    int nowned = n / 2;
    const char *more[] = {"debug",
                          "security",
                          "max.block.ms",
                          "30000",
                          "reconnect.backoff.ms",
                          "100",
                          "reconnect.backoff.max.ms",
                          "200",
                          NULL};
    for (int k = 0; more[k]; k++)
        extra[n++] = more[k];
    extra[n] = NULL;
    kpt_logcap *lc = kpt_logcap_new();
    kprod_conf_t *conf = kps_conf(0, c->client, extra, NULL, lc);
    for (int k = 0; k < nowned; k++)
        free(owned[k]);
    if (c->token_cb_fails)
        kprod_conf_set_oauthbearer_token_cb(conf, failing_token, NULL);
    kprod_conf_set_error_cb(conf, on_error, NULL);
    events = 0;
    kprod_t *p = kpt_new_producer(conf);
    int64_t t0 = kpt_now_ms();
    kprod_record_t rec = kpt_value_record(topic, KPROD_PARTITION_ANY, "x", 1);
    kprod_err_t err = kprod_send(p, &rec, NULL, NULL);
    int64_t took = kpt_now_ms() - t0;
    char *dump = kpt_logcap_dump(lc);
    if (err != c->err)
        fail_msg("%s: send gave %s, not %s\n%s", c->what, kprod_err_name(err),
                 kprod_err_name(c->err), dump);
    if (took > 5000)
        fail_msg("%s: the error took %lld ms", c->what, (long long)took);
    free(dump);
    char last[600];
    snprintf(last, sizeof(last), "%s", kprod_last_errstr()); /* this thread's, from the send */
    /* the one error line says what and where */
    char *says[4] = {NULL, NULL, NULL, NULL};
    for (int k = 0; c->says[k]; k++)
        says[k] = kps_expand(c->says[k]);
    if (kpt_logcap_count(lc, KPROD_LOG_ERR, "security", says[0], says[1], says[2], NULL) != 1)
        fail_msg("%s: no error line with \"%s\" \"%s\" \"%s\":\n%s", c->what, says[0],
                 says[1] ? says[1] : "", says[2] ? says[2] : "", kpt_logcap_dump(lc));
    /* ... and only once, while the connection keeps being retried */
    assert_true(kpt_logcap_wait(lc, 10000, KPROD_LOG_DEBUG, "security", "again: ", says[0], NULL));
    assert_int_equal(kpt_logcap_count(lc, KPROD_LOG_ERR, NULL, NULL), 1);
    /* the send's own detail, and the error callback once, say the same */
    if (!strstr(last, says[0]))
        fail_msg("%s: kprod_last_errstr() says \"%s\"", c->what, last);
    kprod_poll(p, 0); /* events are served with the reports */
    assert_int_equal(events, 1);
    assert_int_equal(event_err, c->err);
    if (!strstr(event_reason, says[0]))
        fail_msg("%s: the error callback says \"%s\"", c->what, event_reason);
    /* metadata requests fail with it too */
    kprod_metadata_t *md = NULL;
    t0 = kpt_now_ms();
    kprod_err_t merr = kprod_metadata_get(p, topic, 30000, &md);
    assert_int_equal(merr, c->err);
    assert_true(kpt_now_ms() - t0 < 5000);
    expect_no_secret(lc, c->what);
    for (int k = 0; k < 4; k++)
        free(says[k]);
    assert_int_equal(kprod_close(p, 5000), 0);
    kpt_logcap_free(lc);
    print_message("%s: %s in %lld ms\n", c->what, kprod_err_name(err), (long long)took);
}

static void test_refusals(void **state) {
    (void)state;
    kpt_unique_topic(topic, sizeof(topic), "kprod-secfail");
    kpt_create_topic(topic, 1, 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

/* A listener that accepts and never answers: the TLS handshake is bounded
 * by socket.connection.setup.timeout.ms, and the message says where it
 * stopped. */
static void test_tls_setup_timeout(void **state) {
    (void)state;
    int port;
    int fd = kpt_loopback_socket(1, &port);
    char at[32];
    snprintf(at, sizeof(at), "127.0.0.1:%d", port);
    const char *extra[] = {"bootstrap.servers", at, "socket.connection.setup.timeout.ms", "1000",
                           NULL};
    kpt_logcap *lc = kpt_logcap_new();
    kprod_t *p = kpt_new_producer(kps_conf(0, "ssl", extra, NULL, lc));
    int64_t t0 = kpt_now_ms();
    kprod_metadata_t *md = NULL;
    kprod_metadata_get(p, NULL, 100, &md); /* starts connecting */
    assert_true(kpt_logcap_wait(lc, 5000, KPROD_LOG_WARNING, "broker", "TLS handshake with", at,
                                "timed out", "socket.connection.setup.timeout.ms", NULL));
    int64_t took = kpt_now_ms() - t0;
    assert_true(took >= 900 && took < 3000);
    kprod_close(p, 2000);
    kpt_logcap_free(lc);
    close(fd);
}

/* Stores kprod_new cannot use: it fails at once, naming the file. */
static void test_bad_stores(void **state) {
    (void)state;
    struct {
        const char *extra[8];
        const char *says;
    } bad[] = {
        {{"ssl.keystore.location", "@client.p12", "ssl.keystore.password", WRONG_PW, NULL},
         "no key and certificate this password opens"},
        {{"ssl.certificate.location", "@client.pem", "ssl.key.location", "@client-enc.key",
          "ssl.key.password", WRONG_PW, NULL},
         "is ssl.key.password right"},
        {{"ssl.certificate.location", "@client.pem", "ssl.key.location", "@client-enc.key", NULL},
         "set ssl.key.password"},
        {{"ssl.certificate.location", "@broker.pem", "ssl.key.location", "@client.key", NULL},
         "does not belong to the certificate"},
        {{"ssl.truststore.location", "@ca.p12", "ssl.truststore.type", "PKCS12",
          "ssl.truststore.password", WRONG_PW, NULL},
         "not a PKCS12 store this password opens"},
        {{"ssl.truststore.location", "@ca.jks", NULL}, "keytool -importkeystore"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *extra[8];
        char *owned[4];
        int n = 0;
        for (; bad[i].extra[n]; n += 2) {
            extra[n] = bad[i].extra[n];
            extra[n + 1] = owned[n / 2] = kps_expand(bad[i].extra[n + 1]);
        }
        extra[n] = NULL;
        kprod_conf_t *conf = kps_conf(0, "ssl", extra, NULL, NULL);
        kprod_t *p = NULL;
        char errstr[512];
        assert_int_equal(kprod_new(conf, &p, errstr, sizeof(errstr)), KPROD_ERR__SSL);
        if (!strstr(errstr, bad[i].says))
            fail_msg("\"%s\" does not say \"%s\"", errstr, bad[i].says);
        if (strstr(errstr, WRONG_PW) || strstr(errstr, kps_env(0, "STORE_PASSWORD")))
            fail_msg("a password in the message: %s", errstr);
        kprod_conf_destroy(conf);
        for (int k = 0; k < n / 2; k++)
            free(owned[k]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tls_setup_timeout),
        cmocka_unit_test(test_bad_stores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
