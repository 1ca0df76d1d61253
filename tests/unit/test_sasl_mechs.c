/* The SASL mechanisms other than SCRAM and what they read
 * (src/security/): sasl.jaas.config's parser (quoting, escapes, comments,
 * the three login modules, and errors that never quote a value), PLAIN's
 * token, OAUTHBEARER's client message with extensions and its error turn,
 * Kafka's unsecured tokens (decoded back and their claims checked), and
 * base64 both ways. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "security/b64.h"
#include "security/jaas.h"
#include "security/oauthbearer.h"
#include "security/sasl.h"

static char why[512];

static void test_jaas_modules_and_values(void **state) {
    (void)state;
    kp_jaas j;
    assert_int_equal(
        kp_jaas_parse("org.apache.kafka.common.security.scram.ScramLoginModule required\n"
                      "  username=\"alice\" password=\"a \\\"quoted\\\" p\\\\w;=\" ;",
                      &j, why, sizeof(why)),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(j.module, KP_JAAS_SCRAM);
    assert_int_equal(j.count, 2);
    assert_string_equal(kp_jaas_get(&j, "username"), "alice");
    assert_string_equal(kp_jaas_get(&j, "password"), "a \"quoted\" p\\w;=");
    assert_null(kp_jaas_get(&j, "Username"));
    kp_jaas_free(&j);
    /* bare words, comments, another flag, a key given twice: the last wins */
    assert_int_equal(
        kp_jaas_parse("/* c */ org.apache.kafka.common.security.plain.PlainLoginModule "
                      "Optional username=bob // note\n password=pw-1 password=pw-2;",
                      &j, why, sizeof(why)),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(j.module, KP_JAAS_PLAIN);
    assert_string_equal(kp_jaas_get(&j, "username"), "bob");
    assert_string_equal(kp_jaas_get(&j, "password"), "pw-2");
    kp_jaas_free(&j);
    assert_int_equal(
        kp_jaas_parse("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                      "required unsecuredLoginStringClaim_sub=\"svc\";",
                      &j, why, sizeof(why)),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(j.module, KP_JAAS_OAUTHBEARER);
    kp_jaas_free(&j);
    assert_int_equal(kp_jaas_parse("com.sun.security.auth.module.Krb5LoginModule required;", &j,
                                   why, sizeof(why)),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(j.module, KP_JAAS_KERBEROS);
    kp_jaas_free(&j);
}

static void expect_jaas_error(const char *text, const char *reason) {
    kp_jaas j;
    why[0] = '\0';
    assert_int_equal(kp_jaas_parse(text, &j, why, sizeof(why)), KPROD_ERR__INVALID_CONFIG);
    if (!strstr(why, reason))
        fail_msg("\"%s\" does not say \"%s\"", why, reason);
    if (strstr(why, "hunter2"))
        fail_msg("the message quotes the password: %s", why);
    assert_int_equal(j.count, 0);
}

static void test_jaas_errors(void **state) {
    (void)state;
    const char *plain = "org.apache.kafka.common.security.plain.PlainLoginModule";
    char t[512];
    snprintf(t, sizeof(t), "%s required username=\"u\" password=\"hunter2\"", plain);
    expect_jaas_error(t, "missing ';'");
    snprintf(t, sizeof(t), "%s required username=\"u\" password=\"hunter2;", plain);
    expect_jaas_error(t, "closing");
    snprintf(t, sizeof(t), "%s required password \"hunter2\";", plain);
    expect_jaas_error(t, "expected '=' after option password");
    snprintf(t, sizeof(t), "%s required password=;", plain);
    expect_jaas_error(t, "option password has no value");
    snprintf(t, sizeof(t), "%s maybe password=\"hunter2\";", plain);
    expect_jaas_error(t, "control flag");
    snprintf(t, sizeof(t), "%s required password=\"hunter2\"; %s required;", plain, plain);
    expect_jaas_error(t, "only one login module");
    expect_jaas_error("com.example.MyLoginModule required password=\"hunter2\";",
                      "not one kprod knows");
    expect_jaas_error("", "expected a login module");
    snprintf(t, sizeof(t), "%s required /* password=\"hunter2\";", plain);
    expect_jaas_error(t, "unterminated comment");
}

static void test_plain_token(void **state) {
    (void)state;
    kp_sasl_settings s = {.mech = KP_SASL_PLAIN, .username = "alice", .password = "pw"};
    kp_sasl_exchange x;
    kp_buf out;
    kp_buf_init(&out, 0);
    assert_int_equal(kp_sasl_exchange_begin(&x, &s, NULL, &out, why, sizeof(why)), 0);
    assert_int_equal(out.len, 9); /* no authzid, NUL, user, NUL, password (RFC 4616) */
    assert_memory_equal(out.data, "\0alice\0pw", 9);
    int done = 0;
    kp_buf_reset(&out);
    assert_int_equal(kp_sasl_exchange_next(&x, NULL, 0, &out, &done, why, sizeof(why)), 0);
    assert_int_equal(done, 1);
    assert_int_equal(out.len, 0);
    kp_sasl_exchange_end(&x);
    kp_buf_free(&out);
    kp_sasl_mech m;
    assert_int_equal(kp_sasl_mech_parse("SCRAM-SHA-512", &m), 0);
    assert_int_equal(m, KP_SASL_SCRAM_SHA_512);
    assert_int_equal(kp_sasl_mech_parse("scram-sha-512", &m), -1);
    assert_string_equal(kp_sasl_mech_name(KP_SASL_OAUTHBEARER), "OAUTHBEARER");
}

static void test_oauthbearer_message(void **state) {
    (void)state;
    kp_jaas j;
    assert_int_equal(
        kp_jaas_parse("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                      "required unsecuredLoginExtension_traceId=\"abc 1\" other=x;",
                      &j, why, sizeof(why)),
        0);
    kp_buf out;
    kp_buf_init(&out, 0);
    assert_int_equal(kp_oauthbearer_client_first(&out, "eyJh.eyJz.", &j, why, sizeof(why)), 0);
    const char want[] = "n,,\x01"
                        "auth=Bearer eyJh.eyJz.\x01"
                        "traceId=abc 1\x01\x01";
    assert_int_equal(out.len, sizeof(want) - 1);
    assert_memory_equal(out.data, want, out.len);
    kp_buf_reset(&out);
    /* characters a bearer token cannot have; the message does not quote it */
    assert_int_equal(kp_oauthbearer_client_first(&out, "abc def", NULL, why, sizeof(why)),
                     KPROD_ERR_SASL_AUTHENTICATION_FAILED);
    assert_null(strstr(why, "abc def"));
    assert_int_equal(kp_oauthbearer_client_first(&out, "", NULL, why, sizeof(why)),
                     KPROD_ERR_SASL_AUTHENTICATION_FAILED);
    kp_jaas_free(&j);
    assert_int_equal(
        kp_jaas_parse("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                      "required unsecuredLoginExtension_auth=\"x\";",
                      &j, why, sizeof(why)),
        0);
    assert_int_equal(kp_oauthbearer_client_first(&out, "tok", &j, why, sizeof(why)),
                     KPROD_ERR_SASL_AUTHENTICATION_FAILED); /* "auth" is reserved */
    kp_jaas_free(&j);

    /* The exchange: an empty answer is success; a JSON error gets 0x01,
     * and what follows is a failure. */
    kp_sasl_settings s = {.mech = KP_SASL_OAUTHBEARER};
    kp_sasl_exchange x;
    kp_buf_reset(&out);
    assert_int_equal(kp_sasl_exchange_begin(&x, &s, "tok", &out, why, sizeof(why)), 0);
    int done;
    kp_buf_reset(&out);
    assert_int_equal(kp_sasl_exchange_next(&x, NULL, 0, &out, &done, why, sizeof(why)), 0);
    assert_int_equal(done, 1);
    kp_sasl_exchange_end(&x);
    assert_int_equal(kp_sasl_exchange_begin(&x, &s, "tok", &out, why, sizeof(why)), 0);
    kp_buf_reset(&out);
    const char *err = "{\"status\":\"invalid_token\"}";
    assert_int_equal(
        kp_sasl_exchange_next(&x, (const uint8_t *)err, strlen(err), &out, &done, why, sizeof(why)),
        0);
    assert_int_equal(done, 0);
    assert_int_equal(out.len, 1);
    assert_int_equal(out.data[0], 1);
    assert_int_equal(
        kp_sasl_exchange_next(&x, (const uint8_t *)err, strlen(err), &out, &done, why, sizeof(why)),
        KPROD_ERR_SASL_AUTHENTICATION_FAILED);
    kp_sasl_exchange_end(&x);
    kp_buf_free(&out);
}

/* Decodes one base64url part of a JWS into a string. */
static char *b64url_part(const char *p, size_t n) {
    char *std = malloc(n + 4);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        std[k++] = p[i] == '-' ? '+' : p[i] == '_' ? '/' : p[i];
    while (k % 4)
        std[k++] = '=';
    uint8_t *out = malloc(kp_b64_max_decoded(k) + 1);
    long len = kp_b64_decode(std, k, out);
    assert_true(len >= 0);
    out[len] = '\0';
    free(std);
    return (char *)out;
}

static void test_unsecured_token(void **state) {
    (void)state;
    kp_jaas j;
    assert_int_equal(
        kp_jaas_parse("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                      "required unsecuredLoginStringClaim_sub=\"svc \\\"a\\\"\" "
                      "unsecuredLoginLifetimeSeconds=\"60\" unsecuredLoginNumberClaim_n=\"2.5\" "
                      "unsecuredLoginListClaim_scope=\"|read|write\";",
                      &j, why, sizeof(why)),
        0);
    kp_buf tok;
    kp_buf_init(&tok, 0);
    int64_t expiry = 0;
    assert_int_equal(
        kp_oauthbearer_unsecured_token(&j, 1700000000123, &tok, &expiry, why, sizeof(why)), 0);
    assert_true(expiry == 1700000060123);
    char *t = strndup((const char *)tok.data, tok.len);
    /* header.claims. with an empty signature */
    char *dot1 = strchr(t, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    assert_non_null(dot2);
    assert_string_equal(dot2, ".");
    char *header = b64url_part(t, (size_t)(dot1 - t));
    char *claims = b64url_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    assert_string_equal(header, "{\"alg\":\"none\"}");
    assert_string_equal(claims, "{\"exp\":1700000060.123,\"iat\":1700000000.123,"
                                "\"sub\":\"svc \\\"a\\\"\",\"n\":2.5,"
                                "\"scope\":[\"read\",\"write\"]}");
    /* no '=' padding, no '+' or '/' in a JWS */
    assert_null(strpbrk(t, "=+/"));
    free(header);
    free(claims);
    free(t);
    kp_buf_free(&tok);
    kp_jaas_free(&j);
    /* the principal's claim is required; exp and iat cannot be set */
    const char *bad[] = {
        "unsecuredLoginStringClaim_name=\"x\"",
        "unsecuredLoginStringClaim_sub=\"x\" unsecuredLoginNumberClaim_exp=\"1\"",
        "unsecuredLoginStringClaim_sub=\"x\" unsecuredLoginNumberClaim_n=\"two\"",
        "unsecuredLoginStringClaim_sub=\"x\" unsecuredLoginLifetimeSeconds=\"-5\"",
        "unsecuredLoginPrincipalClaimName=\"who\" unsecuredLoginStringClaim_sub=\"x\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[400];
        snprintf(text, sizeof(text),
                 "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                 "%s;",
                 bad[i]);
        assert_int_equal(kp_jaas_parse(text, &j, why, sizeof(why)), 0);
        kp_buf_init(&tok, 0);
        if (kp_oauthbearer_unsecured_token(&j, 1700000000000, &tok, &expiry, why, sizeof(why)) !=
            KPROD_ERR__INVALID_CONFIG)
            fail_msg("accepted: %s", bad[i]);
        kp_buf_free(&tok);
        kp_jaas_free(&j);
    }
}

static void test_base64(void **state) {
    (void)state;
    /* RFC 4648 section 10 */
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    const char *url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        kp_buf b;
        kp_buf_init(&b, 0);
        kp_b64_put(&b, plain[i], strlen(plain[i]), 0);
        assert_int_equal(b.len, strlen(enc[i]));
        assert_memory_equal(b.data, enc[i], b.len);
        kp_buf_reset(&b);
        kp_b64_put(&b, plain[i], strlen(plain[i]), 1);
        assert_int_equal(b.len, strlen(url[i]));
        assert_memory_equal(b.data, url[i], b.len);
        kp_buf_free(&b);
        uint8_t out[16];
        assert_int_equal(kp_b64_decode(enc[i], strlen(enc[i]), out), (long)strlen(plain[i]));
        assert_memory_equal(out, plain[i], strlen(plain[i]));
    }
    uint8_t out[16];
    const uint8_t hi[] = {0xfb, 0xff};
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_b64_put(&b, hi, 2, 0);
    assert_memory_equal(b.data, "+/8=", 4);
    kp_buf_reset(&b);
    kp_b64_put(&b, hi, 2, 1);
    assert_memory_equal(b.data, "-_8", 3);
    kp_buf_free(&b);
    /* not canonical: bad characters, lengths, padding, trailing bits */
    const char *bad[] = {
        "Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "=Zm9", "Zg==Zg=="};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (kp_b64_decode(bad[i], strlen(bad[i]), out) >= 0)
            fail_msg("accepted \"%s\"", bad[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jaas_modules_and_values),
        cmocka_unit_test(test_jaas_errors),
        cmocka_unit_test(test_plain_token),
        cmocka_unit_test(test_oauthbearer_message),
        cmocka_unit_test(test_unsecured_token),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
