/* The security properties' rules (src/config_security.c, checked by
 * kp_conf_resolve and kprod_new): what each mechanism needs, which
 * properties exclude each other, GSSAPI and JKS refused with what to do
 * instead, librdkafka's names, and secrets: kprod_conf_get hides them and
 * no message quotes one. The stores themselves (PKCS12 passwords, keys)
 * are read against the broker's generated files in
 * tests/security/test_security_failures.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "config.h"

static char errstr[512];

#define SECRET "hunter2-s3cret"
#define JAAS_PLAIN                                                                                 \
    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" "         \
    "password=\"" SECRET "\";"
#define JAAS_SCRAM                                                                                 \
    "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" "         \
    "password=\"" SECRET "\";"
#define JAAS_OAUTH                                                                                 \
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "                \
    "unsecuredLoginStringClaim_sub=\"alice\";"

/* A conf for 127.0.0.1:1 with name/value pairs (NULL-terminated). */
static kprod_conf_t *conf_with(const char *const *kv) {
    kprod_conf_t *c = kprod_conf_new();
    assert_int_equal(kprod_conf_set(c, "bootstrap.servers", "127.0.0.1:1", NULL, 0), 0);
    for (; kv && kv[0]; kv += 2)
        if (kprod_conf_set(c, kv[0], kv[1], errstr, sizeof(errstr)) != 0)
            fail_msg("%s: %s", kv[0], errstr);
    return c;
}

static kprod_err_t resolve_with(const char *const *kv, kp_config *k) {
    kprod_conf_t *c = conf_with(kv);
    errstr[0] = '\0';
    kprod_err_t err = kp_conf_resolve(c, k, errstr, sizeof(errstr));
    kprod_conf_destroy(c);
    if (strstr(errstr, SECRET))
        fail_msg("a message quotes a secret: %s", errstr);
    return err;
}

static void expect_refused(const char *const *kv, kprod_err_t want, const char *says) {
    kp_config k;
    kprod_err_t err = resolve_with(kv, &k);
    if (err != want)
        fail_msg("got %s, not %s (%s)", kprod_err_name(err), kprod_err_name(want), errstr);
    if (!strstr(errstr, says))
        fail_msg("\"%s\" does not say \"%s\"", errstr, says);
}

static void test_mechanisms_resolve(void **state) {
    (void)state;
    kp_config k;
    const char *scram[] = {
        "security.protocol", "sasl_ssl", "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
        JAAS_SCRAM,          NULL};
    assert_int_equal(resolve_with(scram, &k), 0);
    assert_int_equal(k.security_protocol, KP_SECURITY_SASL_SSL);
    assert_true(k.tls.enabled && k.sasl_enabled);
    assert_int_equal(k.sasl.mech, KP_SASL_SCRAM_SHA_256);
    assert_string_equal(k.sasl.username, "alice");
    assert_string_equal(k.sasl.password, SECRET);
    /* defaults: TLS 1.2 and 1.3, the peer and its name verified */
    assert_int_equal(k.tls.min_version, 0x0303);
    assert_int_equal(k.tls.max_version, 0x0304);
    assert_true(k.tls.verify_peer && k.tls.verify_hostname);
    kp_config_free(&k);
    /* librdkafka's names */
    const char *rdk[] = {"security.protocol",
                         "SASL_PLAINTEXT",
                         "sasl.mechanisms",
                         "PLAIN",
                         "sasl.username",
                         "bob",
                         "sasl.password",
                         SECRET,
                         NULL};
    assert_int_equal(resolve_with(rdk, &k), 0);
    assert_false(k.tls.enabled);
    assert_int_equal(k.sasl.mech, KP_SASL_PLAIN);
    assert_string_equal(k.sasl.username, "bob");
    kp_config_free(&k);
    const char *oauth[] = {
        "security.protocol", "SASL_SSL", "sasl.mechanism", "OAUTHBEARER", "sasl.jaas.config",
        JAAS_OAUTH,          NULL};
    assert_int_equal(resolve_with(oauth, &k), 0);
    assert_true(k.sasl.oauth_unsecured);
    assert_string_equal(kp_jaas_get(&k.sasl.oauth, "unsecuredLoginStringClaim_sub"), "alice");
    kp_config_free(&k);
    /* sasl.* count only with SASL, ssl.* only with TLS */
    const char *plain[] = {"sasl.mechanism", "OAUTHBEARER", "ssl.truststore.location", "/nope",
                           NULL};
    assert_int_equal(resolve_with(plain, &k), 0);
    assert_false(k.tls.enabled || k.sasl_enabled);
    kp_config_free(&k);
    const char *tls[] = {"security.protocol",
                         "SSL",
                         "ssl.enabled.protocols",
                         "TLSv1.3",
                         "ssl.endpoint.identification.algorithm",
                         "",
                         NULL};
    assert_int_equal(resolve_with(tls, &k), 0);
    assert_int_equal(k.tls.min_version, 0x0304);
    assert_false(k.tls.verify_hostname);
    assert_true(k.tls.verify_peer);
    kp_config_free(&k);
}

static void test_mechanism_rules(void **state) {
    (void)state;
    /* GSSAPI: Java's default, refused with what to set */
    const char *gssapi[] = {"security.protocol", "SASL_SSL", NULL};
    expect_refused(gssapi, KPROD_ERR__INVALID_CONFIG, "GSSAPI (Kerberos, Java's default)");
    const char *krb[] = {"security.protocol",
                         "SASL_SSL",
                         "sasl.mechanism",
                         "PLAIN",
                         "sasl.jaas.config",
                         "com.sun.security.auth.module.Krb5LoginModule required;",
                         NULL};
    expect_refused(krb, KPROD_ERR__INVALID_CONFIG, "Krb5LoginModule");
    /* the module must go with the mechanism */
    const char *mismatch[] = {
        "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config",
        JAAS_PLAIN,          NULL};
    expect_refused(mismatch, KPROD_ERR__CONFLICTING_CONFIG, "ScramLoginModule");
    /* credentials one way, and complete */
    const char *both[] = {"security.protocol",
                          "SASL_SSL",
                          "sasl.mechanism",
                          "PLAIN",
                          "sasl.jaas.config",
                          JAAS_PLAIN,
                          "sasl.username",
                          "x",
                          NULL};
    expect_refused(both, KPROD_ERR__CONFLICTING_CONFIG, "both set");
    const char *none[] = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
                          NULL};
    expect_refused(none, KPROD_ERR__INVALID_CONFIG, "needs a user name and password");
    const char *no_pw[] = {"security.protocol",
                           "SASL_PLAINTEXT",
                           "sasl.mechanism",
                           "PLAIN",
                           "sasl.jaas.config",
                           "org.apache.kafka.common.security.plain.PlainLoginModule required "
                           "username=\"a\";",
                           NULL};
    expect_refused(no_pw, KPROD_ERR__INVALID_CONFIG, "needs a user name and password");
    const char *no_token[] = {"security.protocol", "SASL_SSL", "sasl.mechanism", "OAUTHBEARER",
                              NULL};
    expect_refused(no_token, KPROD_ERR__INVALID_CONFIG, "kprod_conf_set_oauthbearer_token_cb");
    const char *no_sub[] = {"security.protocol",
                            "SASL_SSL",
                            "sasl.mechanism",
                            "OAUTHBEARER",
                            "sasl.jaas.config",
                            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                            "required unsecuredLoginStringClaim_name=\"x\";",
                            NULL};
    expect_refused(no_sub, KPROD_ERR__INVALID_CONFIG, "unsecuredLoginStringClaim_sub");
    /* a token callback is enough */
    kprod_conf_t *c = conf_with(no_token);
    kprod_conf_set_oauthbearer_token_cb(c, (kprod_oauthbearer_token_cb)1, c);
    kp_config k;
    assert_int_equal(kp_conf_resolve(c, &k, errstr, sizeof(errstr)), 0);
    assert_false(k.sasl.oauth_unsecured);
    assert_ptr_equal(k.sasl.token_opaque, c);
    kp_config_free(&k);
    kprod_conf_t *d = kprod_conf_dup(c); /* the callback is copied */
    assert_int_equal(kp_conf_resolve(d, &k, errstr, sizeof(errstr)), 0);
    assert_ptr_equal(k.sasl.token_opaque, c);
    kp_config_free(&k);
    kprod_conf_destroy(d);
    kprod_conf_destroy(c);
}

static void test_tls_rules(void **state) {
    (void)state;
    const char *two_cas[] = {"security.protocol",
                             "SSL",
                             "ssl.truststore.location",
                             "/a.pem",
                             "ssl.truststore.certificates",
                             "-----BEGIN CERTIFICATE-----",
                             NULL};
    expect_refused(two_cas, KPROD_ERR__CONFLICTING_CONFIG, "both set");
    const char *two_ids[] = {"security.protocol",
                             "SSL",
                             "ssl.keystore.location",
                             "/k.p12",
                             "ssl.certificate.location",
                             "/c.pem",
                             "ssl.key.location",
                             "/k.pem",
                             NULL};
    expect_refused(two_ids, KPROD_ERR__CONFLICTING_CONFIG, "more than one way");
    const char *half[] = {"security.protocol", "SSL", "ssl.key.location", "/k.pem", NULL};
    expect_refused(half, KPROD_ERR__INVALID_CONFIG, "needs both parts");
    const char *pem_p12[] = {"security.protocol",
                             "SSL",
                             "ssl.truststore.type",
                             "PKCS12",
                             "ssl.truststore.certificates",
                             "-----BEGIN CERTIFICATE-----",
                             NULL};
    expect_refused(pem_p12, KPROD_ERR__CONFLICTING_CONFIG, "PEM");
    /* set time: JKS, old TLS versions */
    kprod_conf_t *c = kprod_conf_new();
    assert_int_equal(kprod_conf_set(c, "ssl.keystore.type", "JKS", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "keytool -importkeystore"));
    assert_non_null(strstr(errstr, "-deststoretype PKCS12"));
    assert_int_equal(
        kprod_conf_set(c, "ssl.enabled.protocols", "TLSv1.2,TLSv1.1", errstr, sizeof(errstr)),
        KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "TLSv1.1 is broken"));
    assert_int_equal(kprod_conf_set(c, "sasl.mechanism", "SCRAM-SHA-1", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    /* librdkafka's aliases land on Java's names */
    assert_int_equal(kprod_conf_set(c, "ssl.ca.location", "/ca.pem", NULL, 0), 0);
    char v[64];
    assert_int_equal(kprod_conf_get(c, "ssl.truststore.location", v, sizeof(v)), 0);
    assert_string_equal(v, "/ca.pem");
    assert_int_equal(kprod_conf_set(c, "ssl.key.pem", "-----BEGIN PRIVATE KEY-----", NULL, 0), 0);
    assert_int_equal(kprod_conf_get(c, "ssl.keystore.key", v, sizeof(v)), 0);
    assert_string_equal(v, "[hidden]");
    kprod_conf_destroy(c);
}

/* A store in Java's JKS format is refused by kprod_new, saying how to
 * convert it; a missing file names the file. */
static void test_stores_at_kprod_new(void **state) {
    (void)state;
    char path[] = "/tmp/kprod-test-jks-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const unsigned char jks[] = {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1};
    assert_int_equal(write(fd, jks, sizeof(jks)), (ssize_t)sizeof(jks));
    close(fd);
    const char *kv[] = {"security.protocol", "SSL", "ssl.truststore.location", path, NULL};
    kprod_conf_t *c = conf_with(kv);
    kprod_t *p = NULL;
    assert_int_equal(kprod_new(c, &p, errstr, sizeof(errstr)), KPROD_ERR__SSL);
    assert_non_null(strstr(errstr, "JKS"));
    assert_non_null(strstr(errstr, "keytool -importkeystore"));
    assert_non_null(strstr(errstr, path));
    assert_null(p);
    assert_int_equal(kprod_conf_set(c, "ssl.truststore.location", "/no/such/ca.pem", NULL, 0), 0);
    assert_int_equal(kprod_new(c, &p, errstr, sizeof(errstr)), KPROD_ERR__SSL);
    assert_non_null(strstr(errstr, "/no/such/ca.pem: cannot open"));
    /* a PEM file without a certificate */
    FILE *f = fopen(path, "w");
    fputs("not a certificate\n", f);
    fclose(f);
    assert_int_equal(kprod_conf_set(c, "ssl.truststore.location", path, NULL, 0), 0);
    assert_int_equal(kprod_new(c, &p, errstr, sizeof(errstr)), KPROD_ERR__SSL);
    assert_non_null(strstr(errstr, "holds no PEM certificate"));
    assert_int_equal(kprod_conf_set(c, "ssl.cipher.suites", "TLS_NO_SUCH_SUITE", NULL, 0), 0);
    assert_int_equal(kprod_new(c, &p, errstr, sizeof(errstr)), KPROD_ERR__SSL);
    assert_non_null(strstr(errstr, "TLS_NO_SUCH_SUITE"));
    kprod_conf_destroy(c);
    unlink(path);
}

/* Secrets read back as Java prints a password, and the messages of a
 * rejected value never quote one. */
static void test_secrets_hidden(void **state) {
    (void)state;
    const char *secret_props[] = {"ssl.truststore.password", "ssl.keystore.password",
                                  "ssl.keystore.key",        "ssl.key.password",
                                  "sasl.password",           "sasl.jaas.config"};
    kprod_conf_t *c = kprod_conf_new();
    for (size_t i = 0; i < sizeof(secret_props) / sizeof(secret_props[0]); i++) {
        const char *value = strcmp(secret_props[i], "sasl.jaas.config") == 0 ? JAAS_PLAIN : SECRET;
        char v[256];
        assert_int_equal(kprod_conf_get(c, secret_props[i], v, sizeof(v)), 0);
        assert_string_equal(v, ""); /* not set: nothing to hide */
        assert_int_equal(kprod_conf_set(c, secret_props[i], value, errstr, sizeof(errstr)), 0);
        assert_int_equal(kprod_conf_get(c, secret_props[i], v, sizeof(v)), 0);
        assert_string_equal(v, "[hidden]");
    }
    /* a jaas text that does not parse: the message says where, not what */
    assert_int_equal(kprod_conf_set(c, "sasl.jaas.config",
                                    "org.apache.kafka.common.security.plain.PlainLoginModule "
                                    "required password=\"" SECRET "\"",
                                    errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_null(strstr(errstr, SECRET));
    assert_non_null(strstr(errstr, "not shown"));
    /* a properties file with a bad jaas line: the same */
    char path[] = "/tmp/kprod-test-props-XXXXXX";
    int fd = mkstemp(path);
    const char text[] = "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
                        "required password=\"" SECRET "\"\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_null(strstr(errstr, SECRET));
    unlink(path);
    kprod_conf_destroy(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mechanisms_resolve), cmocka_unit_test(test_mechanism_rules),
        cmocka_unit_test(test_tls_rules),          cmocka_unit_test(test_stores_at_kprod_new),
        cmocka_unit_test(test_secrets_hidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
