/* kprod produces over every secured listener of scripts/kafka.sh and with
 * every mechanism, and an independent consumer reads the records back over
 * the same listener and protocol: kcat with the same settings, or Kafka's
 * console consumer with the same Java properties file for SCRAM (Debian's
 * kcat fails SCRAM against Kafka 4.x). Most producers are made from those
 * very Java properties files, loaded as they are; the others use
 * librdkafka's names, PEM text in properties, a PKCS12 truststore, TLS 1.2
 * with one chosen suite, a DNS name to verify, and the OAUTHBEARER token
 * callback. Each case writes its own partition of one topic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sec_util.h"
#include "security/b64.h"

#define PER_CASE 20

typedef struct sec_case {
    const char *what;
    const char *client;      /* client-NAME.properties the producer starts from */
    const char *extra[16];   /* name/value pairs: ${KEY} from env, @file a path, <file its text */
    const char *reader;      /* kcat-NAME.conf, or (java) client-NAME.properties */
    const char *reader_port; /* the listener the consumer reads from */
    int java;
    int token_cb;         /* OAUTHBEARER through kprod_conf_set_oauthbearer_token_cb */
    const char *log_says; /* a debug line that must appear, or NULL */
} sec_case;

static const sec_case cases[] = {
    {"SSL: PEM truststore, the IP address verified",
     "ssl",
     {NULL},
     "ssl",
     "SSL_PORT",
     0,
     0,
     "TLS with 127.0.0.1:"},
    {"SSL: a DNS name verified",
     "ssl",
     {"bootstrap.servers", "localhost:${SSL_PORT}", NULL},
     "ssl",
     "SSL_PORT",
     0,
     0,
     "TLS with localhost:"},
    {"SSL: TLS 1.2 and one suite, by its IANA name",
     "ssl",
     {"ssl.enabled.protocols", "TLSv1.2", "ssl.cipher.suites",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", NULL},
     "ssl",
     "SSL_PORT",
     0,
     0,
     "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"mutual TLS: PKCS12 keystore (Java file)", "mtls", {NULL}, "mtls", "MTLS_PORT", 0, 0, NULL},
    {"mutual TLS: librdkafka's PEM files, an encrypted key",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${MTLS_PORT}", "ssl.ca.location", "@ca.pem",
      "ssl.certificate.location", "@client.pem", "ssl.key.location", "@client-enc.key",
      "ssl.key.password", "${STORE_PASSWORD}", NULL},
     "mtls",
     "MTLS_PORT",
     0,
     0,
     NULL},
    {"mutual TLS: PEM text key and chain, PKCS12 truststore",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${MTLS_PORT}", "ssl.truststore.type", "PKCS12",
      "ssl.truststore.location", "@ca.p12", "ssl.truststore.password", "${STORE_PASSWORD}",
      "ssl.keystore.key", "<client.key", "ssl.keystore.certificate.chain", "<client.pem", NULL},
     "mtls",
     "MTLS_PORT",
     0,
     0,
     NULL},
    {"SASL_PLAINTEXT PLAIN",
     "sasl-plain",
     {NULL},
     "sasl-plain",
     "SASL_PLAINTEXT_PORT",
     0,
     0,
     "authenticated with 127.0.0.1:"},
    {"SASL_PLAINTEXT SCRAM-SHA-256",
     "sasl-scram-sha-256",
     {NULL},
     "sasl-scram-sha-256",
     "SASL_PLAINTEXT_PORT",
     1,
     0,
     "as SCRAM-SHA-256 user kprod"},
    {"SASL_PLAINTEXT SCRAM-SHA-512",
     "sasl-scram-sha-512",
     {NULL},
     "sasl-scram-sha-512",
     "SASL_PLAINTEXT_PORT",
     1,
     0,
     "as SCRAM-SHA-512 user kprod"},
    {"SASL_SSL SCRAM-SHA-512",
     "sasl-ssl-scram-sha-512",
     {NULL},
     "sasl-ssl-scram-sha-512",
     "SASL_SSL_PORT",
     1,
     0,
     "as SCRAM-SHA-512 user kprod"},
    {"SASL_SSL PLAIN with librdkafka's sasl.username/sasl.password",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${SASL_SSL_PORT}", "security.protocol", "SASL_SSL",
      "sasl.mechanisms", "PLAIN", "sasl.username", "${USER}", "sasl.password", "${PASSWORD}", NULL},
     "sasl-ssl-plain",
     "SASL_SSL_PORT",
     0,
     0,
     "as PLAIN user kprod"},
    {"SASL_SSL OAUTHBEARER, unsecured token from sasl.jaas.config",
     "sasl-ssl-oauthbearer",
     {NULL},
     "sasl-ssl-oauthbearer",
     "SASL_SSL_PORT",
     0,
     0,
     "new OAUTHBEARER token"},
    {"SASL_SSL OAUTHBEARER, the token callback",
     "ssl",
     {"bootstrap.servers", "127.0.0.1:${SASL_SSL_PORT}", "security.protocol", "SASL_SSL",
      "sasl.mechanism", "OAUTHBEARER", NULL},
     "sasl-ssl-oauthbearer",
     "SASL_SSL_PORT",
     0,
     1,
     "as OAUTHBEARER"},
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

static int delivered, failed;
static kprod_err_t last_err;

static void on_report(const kprod_report_t *r, void *opaque) {
    (void)opaque;
    if (r->err) {
        failed++;
        last_err = r->err;
    } else {
        delivered++;
    }
}

/* An unsecured JWS for the broker's default validator, made here rather
 * than by kprod's own builder: {"alg":"none"}.{sub, iat, exp}. */
static int token_calls;
static kprod_err_t make_token(char *token, size_t size, int64_t *expiry_ms, char *errstr,
                              size_t errstr_size, void *opaque) {
    (void)errstr, (void)errstr_size, (void)opaque;
    token_calls++;
    int64_t now = (int64_t)time(NULL);
    char claims[128];
    snprintf(claims, sizeof(claims), "{\"sub\":\"cb-user\",\"iat\":%lld,\"exp\":%lld}",
             (long long)now, (long long)(now + 600));
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_b64_put(&b, "{\"alg\":\"none\"}", 14, 1);
    kp_buf_put_raw(&b, ".", 1);
    kp_b64_put(&b, claims, strlen(claims), 1);
    kp_buf_put_raw(&b, ".", 1);
    snprintf(token, size, "%.*s", (int)b.len, (const char *)b.data);
    kp_buf_free(&b);
    *expiry_ms = (now + 600) * 1000;
    return KPROD_ERR_NO_ERROR;
}

static void produce_case(int i, const char *topic) {
    const sec_case *c = &cases[i];
    const char *extra[20];
    char *owned[20];
    int n = 0;
    for (; c->extra[n]; n += 2) {
        extra[n] = c->extra[n];
        extra[n + 1] = owned[n / 2] = kps_expand(c->extra[n + 1]);
    }
    int nowned = n / 2;
    extra[n++] = "debug";
    extra[n++] = "security";
    extra[n] = NULL;
    kpt_logcap *lc = kpt_logcap_new();
    kprod_conf_t *conf = kps_conf(0, c->client, extra, on_report, lc);
    for (int k = 0; k < nowned; k++)
        free(owned[k]);
    if (c->token_cb)
        kprod_conf_set_oauthbearer_token_cb(conf, make_token, NULL);
    kprod_t *p = kpt_new_producer(conf);
    delivered = failed = 0;
    char value[64];
    char prefix[16];
    snprintf(prefix, sizeof(prefix), "case%d", i);
    for (int j = 0; j < PER_CASE; j++) {
        snprintf(value, sizeof(value), "%s-%d", prefix, j);
        kprod_record_t rec = kpt_value_record(topic, i, value, strlen(value));
        kprod_err_t err = kprod_send(p, &rec, NULL, NULL);
        if (err)
            fail_msg("%s: send: %s\n%s", c->what, kprod_err_name(err), kpt_logcap_dump(lc));
    }
    if (kprod_flush(p, 30000) != 0 || delivered != PER_CASE)
        fail_msg("%s: %d of %d delivered (last error %s)\n%s", c->what, delivered, PER_CASE,
                 kprod_err_name(last_err), kpt_logcap_dump(lc));
    if (c->log_says && !kpt_logcap_count(lc, -1, "security", c->log_says, NULL))
        fail_msg("%s: no log line says \"%s\":\n%s", c->what, c->log_says, kpt_logcap_dump(lc));
    assert_int_equal(kprod_close(p, 10000), 0);
    kpt_logcap_free(lc);
    print_message("produced: %s\n", c->what);
}

static void test_every_listener_and_mechanism(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "kprod-sec");
    kpt_create_topic(topic, NCASES, 1);
    for (int i = 0; i < NCASES; i++)
        produce_case(i, topic);
    assert_true(token_calls >= 1);
    for (int i = 0; i < NCASES; i++) {
        const sec_case *c = &cases[i];
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "case%d", i);
        const char *at = kps_at(c->reader_port);
        char **v = c->java ? kps_read_java(0, c->reader, at, topic, i, PER_CASE)
                           : kps_read_kcat(0, c->reader, at, topic, i, PER_CASE);
        kps_expect_values(v, PER_CASE, prefix);
        kps_values_free(v, PER_CASE);
        print_message("read back with %s over %s: %s\n", c->java ? "the console consumer" : "kcat",
                      c->reader, c->what);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_listener_and_mechanism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
