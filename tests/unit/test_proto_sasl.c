/* SaslHandshake and SaslAuthenticate codecs (src/protocol/sasl.c): request
 * vectors at every version, response vectors (success, the broker's error
 * with its message, the server's token, the session lifetime), and hostile
 * input: every truncated prefix, lying counts and lengths, null where the
 * schema forbids it, a negative session lifetime. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/api_keys.h"
#include "protocol/sasl.h"

static void test_handshake_request(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_sasl_handshake_req_encode(&b, 1, "PLAIN"), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, "0005 504c41494e" /* Mechanism "PLAIN" */);
    kp_buf_reset(&b);
    /* v0 (raw tokens) is not spoken; nor an empty or missing mechanism */
    assert_int_equal(kp_sasl_handshake_req_encode(&b, 0, "PLAIN"), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_sasl_handshake_req_encode(&b, 2, "PLAIN"), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_sasl_handshake_req_encode(&b, 1, ""), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_sasl_handshake_req_encode(&b, 1, NULL), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0);
    kp_buf_free(&b);
}

typedef struct hs_ctx {
    int16_t version;
    kp_sasl_handshake_resp resp;
    char text[128];
} hs_ctx;

static kprod_err_t hs_dec(kp_rd *r, void *vctx) {
    hs_ctx *c = vctx;
    kprod_err_t err = kp_sasl_handshake_resp_decode(r, c->version, &c->resp);
    if (!err) {
        kp_sasl_handshake_mechanisms_text(&c->resp, c->text, sizeof(c->text));
        kp_sasl_handshake_resp_free(&c->resp);
    }
    return err;
}

#define HS_RESP_OK                                                                                 \
    "0000"                            /* ErrorCode */                                              \
    "00000002"                        /* Mechanisms: 2 */                                          \
    "0005 504c41494e"                 /* "PLAIN" */                                                \
    "000d 534352414d2d5348412d353132" /* "SCRAM-SHA-512" */
#define HS_RESP_UNSUPPORTED                                                                        \
    "0021"     /* ErrorCode 33 UNSUPPORTED_SASL_MECHANISM */                                       \
    "00000001" /* Mechanisms: 1 */                                                                 \
    "0005 504c41494e"

static void test_handshake_responses(void **state) {
    (void)state;
    hs_ctx c = {.version = 1};
    assert_int_equal(kpv_run_hex(HS_RESP_OK, hs_dec, &c), KPROD_ERR_NO_ERROR);
    assert_string_equal(c.text, "PLAIN, SCRAM-SHA-512");
    kp_rd r;
    size_t n;
    uint8_t *p = kpv_hex(HS_RESP_UNSUPPORTED, &n);
    kp_rd_init(&r, p, n);
    assert_int_equal(kp_sasl_handshake_resp_decode(&r, 1, &c.resp), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.error_code, KPROD_ERR_UNSUPPORTED_SASL_MECHANISM);
    assert_int_equal(c.resp.count, 1);
    assert_string_equal(c.resp.mechanisms[0], "PLAIN");
    kp_sasl_handshake_resp_free(&c.resp);
    free(p);
    /* an empty list reads as "none" */
    assert_int_equal(kpv_run_hex("0021 00000000", hs_dec, &c), KPROD_ERR_NO_ERROR);
    assert_string_equal(c.text, "none");
}

static void test_handshake_hostile(void **state) {
    (void)state;
    hs_ctx c = {.version = 1};
    kpv_expect_prefixes_fail(HS_RESP_OK, hs_dec, &c);
    /* a count the bytes cannot hold; a null array; a null name */
    kpv_expect_bad("0000 7fffffff 0005 504c41494e", hs_dec, &c);
    kpv_expect_bad("0000 ffffffff", hs_dec, &c);
    kpv_expect_bad("0000 00000001 ffff", hs_dec, &c);
    /* a name longer than the bytes left */
    kpv_expect_bad("0000 00000001 0100 504c41494e", hs_dec, &c);
    c.version = 0;
    assert_int_equal(kpv_run_hex(HS_RESP_OK, hs_dec, &c), KPROD_ERR__INVALID_ARG);
}

static void expect_auth_req(int16_t ver, const char *tok, size_t len, const char *hex) {
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_sasl_authenticate_req_encode(&b, ver, tok, len), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, hex);
    kp_buf_free(&b);
}

static void test_authenticate_request(void **state) {
    (void)state;
    /* PLAIN's token: "\0u\0p" */
    expect_auth_req(0, "\0u\0p", 4, "00000004 00750070" /* AuthBytes */);
    expect_auth_req(1, "\0u\0p", 4, "00000004 00750070");
    expect_auth_req(2, "\0u\0p", 4,
                    "05 00750070" /* AuthBytes (compact: length + 1) */
                    "00" /* tags */);
    expect_auth_req(2, NULL, 0, "01 00"); /* an empty token is not null */
    expect_auth_req(0, NULL, 0, "00000000");
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_sasl_authenticate_req_encode(&b, 3, "x", 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_sasl_authenticate_req_encode(&b, -1, "x", 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_sasl_authenticate_req_encode(&b, 1, NULL, 3), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0);
    kp_buf_free(&b);
}

typedef struct auth_ctx {
    int16_t version;
    kp_sasl_authenticate_resp resp;
} auth_ctx;

/* Keeps the answer (freed by the test) on success. */
static kprod_err_t auth_dec(kp_rd *r, void *vctx) {
    auth_ctx *c = vctx;
    kp_sasl_authenticate_resp_free(&c->resp);
    return kp_sasl_authenticate_resp_decode(r, c->version, &c->resp);
}

#define AUTH_RESP_V0                                                                               \
    "0000"                /* ErrorCode */                                                          \
    "ffff"                /* ErrorMessage null */                                                  \
    "00000005 723d616263" /* AuthBytes "r=abc" */
#define AUTH_RESP_V1                                                                               \
    "003a" /* ErrorCode 58 SASL_AUTHENTICATION_FAILED */                                           \
    "0015 41757468656e7469636174696f6e206661696c6564" /* "Authentication failed" */                \
    "00000000"                                        /* AuthBytes empty */                        \
    "0000000000000000"                                /* SessionLifetimeMs 0 */
#define AUTH_RESP_V2                                                                               \
    "0000"             /* ErrorCode */                                                             \
    "00"               /* ErrorMessage null (compact) */                                           \
    "06 723d616263"    /* AuthBytes "r=abc" (compact) */                                           \
    "00000000000927c0" /* SessionLifetimeMs 600000 */                                              \
    "01 05 02 abcd"    /* tags: unknown tag 5, skipped */

static void test_authenticate_responses(void **state) {
    (void)state;
    auth_ctx c = {.version = 0};
    assert_int_equal(kpv_run_hex(AUTH_RESP_V0, auth_dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.error_code, 0);
    assert_null(c.resp.error_message);
    assert_int_equal(c.resp.auth_len, 5);
    assert_memory_equal(c.resp.auth_bytes, "r=abc", 5);
    assert_true(c.resp.session_lifetime_ms == 0);
    c.version = 1;
    assert_int_equal(kpv_run_hex(AUTH_RESP_V1, auth_dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.error_code, KPROD_ERR_SASL_AUTHENTICATION_FAILED);
    assert_string_equal(c.resp.error_message, "Authentication failed");
    assert_int_equal(c.resp.auth_len, 0);
    assert_null(c.resp.auth_bytes);
    c.version = 2;
    assert_int_equal(kpv_run_hex(AUTH_RESP_V2, auth_dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.auth_len, 5);
    assert_true(c.resp.session_lifetime_ms == 600000);
    kp_sasl_authenticate_resp_free(&c.resp);
}

static void test_authenticate_hostile(void **state) {
    (void)state;
    auth_ctx c = {.version = 0};
    kpv_expect_prefixes_fail(AUTH_RESP_V0, auth_dec, &c);
    c.version = 1;
    kpv_expect_prefixes_fail(AUTH_RESP_V1, auth_dec, &c);
    /* null AuthBytes; a length past the end; a negative lifetime */
    kpv_expect_bad("0000 ffff ffffffff 0000000000000000", auth_dec, &c);
    kpv_expect_bad("0000 ffff 7fffffff 0000000000000000", auth_dec, &c);
    kpv_expect_bad("0000 ffff 00000000 ffffffffffffffff", auth_dec, &c);
    assert_null(c.resp.auth_bytes); /* cleared on error */
    c.version = 2;
    kpv_expect_prefixes_fail(AUTH_RESP_V2, auth_dec, &c);
    kpv_expect_bad("0000 00 00 0000000000000000 00", auth_dec, &c); /* null AuthBytes */
    kpv_expect_bad("0000 00 ffffffff0f 0000000000000000 00", auth_dec, &c);
    kpv_expect_bad("0000 00 01 0000000000000000 01 05 7f", auth_dec, &c); /* tag past the end */
    c.version = 3;
    assert_int_equal(kpv_run_hex(AUTH_RESP_V0, auth_dec, &c), KPROD_ERR__INVALID_ARG);
    kp_sasl_authenticate_resp_free(&c.resp);
}

static void test_versions(void **state) {
    (void)state;
    int16_t lo, hi;
    assert_int_equal(kp_proto_our_range(KP_API_SASL_HANDSHAKE, &lo, &hi), 0);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 1);
    assert_int_equal(kp_proto_our_range(KP_API_SASL_AUTHENTICATE, &lo, &hi), 0);
    assert_int_equal(hi, 2);
    assert_false(kp_proto_is_flexible(KP_API_SASL_HANDSHAKE, 1));
    assert_false(kp_proto_is_flexible(KP_API_SASL_AUTHENTICATE, 1));
    assert_true(kp_proto_is_flexible(KP_API_SASL_AUTHENTICATE, 2));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_request),
        cmocka_unit_test(test_handshake_responses),
        cmocka_unit_test(test_handshake_hostile),
        cmocka_unit_test(test_authenticate_request),
        cmocka_unit_test(test_authenticate_responses),
        cmocka_unit_test(test_authenticate_hostile),
        cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
