/* The SCRAM client (src/security/scram.c) against the RFCs' own examples:
 * RFC 5802 section 5 (SCRAM-SHA-1, kept in the module for this vector
 * alone) and RFC 7677 section 3 (SCRAM-SHA-256), with their nonces, every
 * message compared byte for byte and the server's signature accepted. No
 * RFC gives a SCRAM-SHA-512 example: its vector here was computed with
 * Python's hashlib and hmac (an implementation independent of OpenSSL's
 * use here), and the real broker checks it in test_security_produce.
 * Then what a hostile or confused server can send: a wrong signature, an
 * e= error, a nonce that does not extend ours, iteration counts out of
 * Kafka's range, bad salts, missing attributes, extensions it requires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "security/scram.h"

static char why[256];

/* Runs one exchange; returns the client-final message (static). */
static const char *exchange(kp_scram *s, kp_scram_hash h, const char *user, const char *pw,
                            const char *cnonce, const char *client_first,
                            const char *server_first) {
    static char final[512];
    kp_buf out;
    kp_buf_init(&out, 0);
    assert_int_equal(kp_scram_begin(s, h, user, pw, cnonce, &out, why, sizeof(why)), 0);
    assert_int_equal(out.len, strlen(client_first));
    assert_memory_equal(out.data, client_first, out.len);
    kp_buf_reset(&out);
    kprod_err_t err = kp_scram_server_first(s, (const uint8_t *)server_first, strlen(server_first),
                                            &out, why, sizeof(why));
    if (err)
        fail_msg("server-first refused: %s", why);
    snprintf(final, sizeof(final), "%.*s", (int)out.len, (const char *)out.data);
    kp_buf_free(&out);
    return final;
}

static void test_rfc5802_sha1(void **state) {
    (void)state;
    kp_scram s;
    const char *final = exchange(&s, KP_SCRAM_SHA1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL",
                                 "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                                 "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                 "s=QSXCR+Q6sek8bf92,i=4096");
    assert_string_equal(final, "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                               "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    const char *sf = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";
    assert_int_equal(kp_scram_server_final(&s, (const uint8_t *)sf, strlen(sf), why, sizeof(why)),
                     KPROD_ERR_NO_ERROR);
    kp_scram_end(&s);
}

#define SHA256_FIRST                                                                               \
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"

static void test_rfc7677_sha256(void **state) {
    (void)state;
    kp_scram s;
    const char *final = exchange(&s, KP_SCRAM_SHA256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO",
                                 "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", SHA256_FIRST);
    assert_string_equal(final, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                               "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    const char *sf = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    assert_int_equal(kp_scram_server_final(&s, (const uint8_t *)sf, strlen(sf), why, sizeof(why)),
                     KPROD_ERR_NO_ERROR);
    kp_scram_end(&s);
}

/* SHA-512, and a user name with the two characters RFC 5802 escapes. */
static void test_sha512_and_escaping(void **state) {
    (void)state;
    kp_scram s;
    const char *final = exchange(&s, KP_SCRAM_SHA512, "al,ice=", "pencil", "rOprNGfwEbeRWgbNEkqO",
                                 "n,,n=al=2Cice=3D,r=rOprNGfwEbeRWgbNEkqO", SHA256_FIRST);
    assert_string_equal(final, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                               "p=A5yAeeUlp8jBGAdm67i3vNKcWtvavuAA8Fi6rLsrQnriIlyJI3YTu4067nptXxdo"
                               "8ZqU5IV5gn2JoYfgI42qew==");
    const char *sf = "v=hKez6ea17yTBVPWg7BAoKKOX0C3l7+Hp9ACxXVRK4sO3laC6F+MgBeRtmIsusNSmA0hr4kMPL0b"
                     "snQzYvRnkcA==";
    assert_int_equal(kp_scram_server_final(&s, (const uint8_t *)sf, strlen(sf), why, sizeof(why)),
                     KPROD_ERR_NO_ERROR);
    kp_scram_end(&s);
}

/* A server that does not know the password signs wrong: refused. */
static void test_wrong_server_signature(void **state) {
    (void)state;
    kp_scram s;
    exchange(&s, KP_SCRAM_SHA256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO",
             "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", SHA256_FIRST);
    const char *bad[] = {
        "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", /* one bit off */
        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4",  /* not base64 (no padding) */
        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5n",             /* too short */
        "v=",
        "",
        "x=abc",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        assert_int_equal(
            kp_scram_server_final(&s, (const uint8_t *)bad[i], strlen(bad[i]), why, sizeof(why)),
            KPROD_ERR_SASL_AUTHENTICATION_FAILED);
        assert_true(why[0] != '\0');
    }
    assert_non_null(strstr(why, "server-final"));
    const char *e = "e=invalid-proof";
    assert_int_equal(kp_scram_server_final(&s, (const uint8_t *)e, strlen(e), why, sizeof(why)),
                     KPROD_ERR_SASL_AUTHENTICATION_FAILED);
    assert_non_null(strstr(why, "invalid-proof"));
    /* No secret in any message. */
    assert_null(strstr(why, "pencil"));
    kp_scram_end(&s);
}

static void expect_first_refused(const char *server_first, const char *reason) {
    kp_scram s;
    kp_buf out;
    kp_buf_init(&out, 0);
    assert_int_equal(kp_scram_begin(&s, KP_SCRAM_SHA256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO",
                                    &out, why, sizeof(why)),
                     0);
    kp_buf_reset(&out);
    why[0] = '\0';
    kprod_err_t err = kp_scram_server_first(&s, (const uint8_t *)server_first, strlen(server_first),
                                            &out, why, sizeof(why));
    if (err != KPROD_ERR_SASL_AUTHENTICATION_FAILED)
        fail_msg("accepted: %s", server_first);
    if (!strstr(why, reason))
        fail_msg("\"%s\" does not say \"%s\"", why, reason);
    assert_null(strstr(why, "pencil"));
    assert_int_equal(out.len, 0); /* nothing to send */
    kp_buf_free(&out);
    kp_scram_end(&s);
}

static void test_hostile_server_first(void **state) {
    (void)state;
    /* a nonce that is not ours, or ours alone */
    expect_first_refused("r=XOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce");
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce");
    expect_first_refused("r=rOprNG,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce");
    /* iteration counts below Kafka's minimum, above its maximum, junk */
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1", "iteration");
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=16385", "iteration");
    expect_first_refused(
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999999999", "iteration");
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096", "number");
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=", "iteration");
    /* salts: not base64, empty */
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqOx,s=W22Z*J0SNY7soEsUEjb6gQ==,i=4096", "salt");
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096", "salt");
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096", "salt");
    /* missing attributes, a mandatory extension, nothing, a NUL */
    expect_first_refused("r=rOprNGfwEbeRWgbNEkqOx,i=4096", "missing");
    expect_first_refused("s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "missing");
    expect_first_refused("m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                         "extension");
    expect_first_refused("", "malformed");
}

static void test_out_of_turn_and_args(void **state) {
    (void)state;
    kp_scram s;
    kp_buf out;
    kp_buf_init(&out, 0);
    assert_int_equal(kp_scram_begin(&s, KP_SCRAM_SHA256, "", "pw", NULL, &out, why, sizeof(why)),
                     KPROD_ERR__INVALID_ARG);
    kp_scram_end(&s);
    /* a random nonce: printable, no comma, different each time */
    assert_int_equal(kp_scram_begin(&s, KP_SCRAM_SHA512, "u", "pw", NULL, &out, why, sizeof(why)),
                     0);
    char first[128];
    snprintf(first, sizeof(first), "%.*s", (int)out.len, (const char *)out.data);
    assert_true(strncmp(first, "n,,n=u,r=", 9) == 0);
    assert_true(strlen(first) >= 9 + 32);
    assert_null(strchr(first + 9, ','));
    const char *sf = "v=abc=";
    assert_int_equal(kp_scram_server_final(&s, (const uint8_t *)sf, 6, why, sizeof(why)),
                     KPROD_ERR__INVALID_ARG); /* before server-first */
    kp_scram_end(&s);
    kp_buf_reset(&out);
    assert_int_equal(kp_scram_begin(&s, KP_SCRAM_SHA512, "u", "pw", NULL, &out, why, sizeof(why)),
                     0);
    assert_true(strncmp((const char *)out.data, first, out.len) != 0);
    kp_scram_end(&s);
    kp_buf_free(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5802_sha1),         cmocka_unit_test(test_rfc7677_sha256),
        cmocka_unit_test(test_sha512_and_escaping),  cmocka_unit_test(test_wrong_server_signature),
        cmocka_unit_test(test_hostile_server_first), cmocka_unit_test(test_out_of_turn_and_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
