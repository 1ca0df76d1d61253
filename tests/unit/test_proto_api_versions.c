/* ApiVersions codec (src/protocol/api_versions.c): request vectors, response
 * vectors at the lowest and highest versions, the UNSUPPORTED_VERSION (v0
 * body) fallback, and hostile input. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/api_keys.h"
#include "protocol/api_versions.h"
#include "protocol/header.h"

static void test_request_v0_frame(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    int flex = kp_req_header_flexible(KP_API_API_VERSIONS, 0);
    size_t start = kp_req_begin(&b, KP_API_API_VERSIONS, 0, 1, "kprod", flex);
    assert_int_equal(kp_api_versions_req_encode(&b, 0, NULL, NULL), KPROD_ERR_NO_ERROR);
    kp_req_end(&b, start);
    kpv_expect_buf(&b, 0,
                   "0000000f"        /* size 15 */
                   "0012 0000"       /* ApiVersions v0 */
                   "00000001"        /* CorrelationId */
                   "0005 6b70726f64" /* ClientId "kprod" */
                   /* v0 body is empty */);
    kp_buf_free(&b);
}

static void test_request_v4_frame(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    int flex = kp_req_header_flexible(KP_API_API_VERSIONS, 4);
    size_t start = kp_req_begin(&b, KP_API_API_VERSIONS, 4, 1, "kprod", flex);
    assert_int_equal(kp_api_versions_req_encode(&b, 4, "kprod", "0.1.0"), KPROD_ERR_NO_ERROR);
    kp_req_end(&b, start);
    kpv_expect_buf(&b, 0,
                   "0000001d"        /* size 29 */
                   "0012 0004"       /* ApiVersions v4 */
                   "00000001"        /* CorrelationId */
                   "0005 6b70726f64" /* ClientId "kprod" (classic string) */
                   "00"              /* header tags (request header v2) */
                   "06 6b70726f64"   /* ClientSoftwareName "kprod" (compact) */
                   "06 302e312e30"   /* ClientSoftwareVersion "0.1.0" */
                   "00" /* body tags */);
    kp_buf_free(&b);
}

static void test_request_defaults_and_args(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_api_versions_req_encode(&b, 3, NULL, NULL), KPROD_ERR_NO_ERROR);
    kp_buf want;
    kp_buf_init(&want, 0);
    assert_int_equal(kp_api_versions_req_encode(&want, 3, "kprod", KPROD_VERSION_STR),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(b.len, want.len);
    assert_memory_equal(b.data, want.data, b.len);
    kp_buf_reset(&b);
    assert_int_equal(kp_api_versions_req_encode(&b, 2, "x", "y"), KPROD_ERR_NO_ERROR);
    assert_int_equal(b.len, 0); /* v0..v2: empty body */
    assert_int_equal(kp_api_versions_req_encode(&b, 5, NULL, NULL), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_api_versions_req_encode(&b, -1, NULL, NULL), KPROD_ERR__INVALID_ARG);
    kp_buf_free(&b);
    kp_buf_free(&want);
}

/* ---- responses ---- */

typedef struct dec_ctx {
    int16_t version;
    kp_api_versions_resp resp; /* kept when keep is set */
    int keep;
} dec_ctx;

static kprod_err_t dec(kp_rd *r, void *vctx) {
    dec_ctx *c = vctx;
    kp_api_versions_resp resp;
    kprod_err_t err = kp_api_versions_resp_decode(r, c->version, &resp);
    if (err) {
        /* nothing to free on error: the struct is empty */
        assert_null(resp.apis);
        assert_int_equal(resp.count, 0);
        return err;
    }
    if (c->keep)
        c->resp = resp;
    else
        kp_api_versions_resp_free(&resp);
    return err;
}

#define RESP_V0                                                                                    \
    "0000"           /* ErrorCode */                                                               \
    "00000002"       /* ApiKeys: 2 */                                                              \
    "0000 0003 000c" /* Produce 3..12 */                                                           \
    "0012 0000 0004" /* ApiVersions 0..4 */

static void test_response_v0(void **state) {
    (void)state;
    dec_ctx c = {.version = 0, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V0, dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.error_code, 0);
    assert_int_equal(c.resp.count, 2);
    assert_int_equal(c.resp.apis[0].api_key, 0);
    assert_int_equal(c.resp.apis[0].min_version, 3);
    assert_int_equal(c.resp.apis[0].max_version, 12);
    assert_int_equal(c.resp.apis[1].api_key, 18);
    assert_int_equal(c.resp.apis[1].min_version, 0);
    assert_int_equal(c.resp.apis[1].max_version, 4);
    assert_int_equal(c.resp.throttle_ms, 0);
    assert_int_equal(c.resp.decoded_version, 0);
    assert_int_equal(kp_api_versions_pick(&c.resp, KP_API_PRODUCE), 12);
    assert_int_equal(kp_api_versions_pick(&c.resp, KP_API_API_VERSIONS), 4);
    assert_int_equal(kp_api_versions_pick(&c.resp, KP_API_METADATA), -1); /* not listed */
    assert_null(kp_api_versions_find(&c.resp, KP_API_METADATA));
    kp_api_versions_resp_free(&c.resp);
    assert_null(c.resp.apis);
}

#define RESP_V4                                                                                    \
    "0000"                   /* ErrorCode */                                                       \
    "04"                     /* ApiKeys: compact, 3 entries */                                     \
    "0000 0000 000d 00"      /* Produce 0..13 (Kafka 4.1 still lists 0), tags */                   \
    "0003 0000 000d 00"      /* Metadata 0..13 */                                                  \
    "0016 0000 0006 00"      /* InitProducerId 0..6 */                                             \
    "00000064"               /* ThrottleTimeMs 100 */                                              \
    "02"                     /* tagged fields: 2 */                                                \
    "00 08"                  /* tag 0 SupportedFeatures, 8 bytes: */                               \
    "02 02 78 0001 0002 00"  /*   1 feature "x" 1..2, tags (skipped) */                            \
    "01 08 0000000000000005" /* tag 1 FinalizedFeaturesEpoch = 5 (skipped) */

static void test_response_v4(void **state) {
    (void)state;
    dec_ctx c = {.version = 4, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V4, dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.error_code, 0);
    assert_int_equal(c.resp.count, 3);
    assert_int_equal(c.resp.apis[0].api_key, 0);
    assert_int_equal(c.resp.apis[0].min_version, 0);
    assert_int_equal(c.resp.apis[0].max_version, 13);
    assert_int_equal(c.resp.apis[1].api_key, 3);
    assert_int_equal(c.resp.apis[1].max_version, 13);
    assert_int_equal(c.resp.apis[2].api_key, 22);
    assert_int_equal(c.resp.apis[2].min_version, 0);
    assert_int_equal(c.resp.apis[2].max_version, 6);
    assert_int_equal(c.resp.throttle_ms, 100);
    assert_int_equal(c.resp.decoded_version, 4);
    /* Negotiation against Kafka 4.1's ranges: our maxima win. */
    assert_int_equal(kp_api_versions_pick(&c.resp, KP_API_PRODUCE), 12);
    assert_int_equal(kp_api_versions_pick(&c.resp, KP_API_METADATA), 13);
    assert_int_equal(kp_api_versions_pick(&c.resp, KP_API_INIT_PRODUCER_ID), 5);
    kp_api_versions_resp_free(&c.resp);
}

static void test_response_v1_throttle(void **state) {
    (void)state;
    dec_ctx c = {.version = 1, .keep = 1};
    assert_int_equal(kpv_run_hex("0000 00000001 0012 0000 0002 0000000a", dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.count, 1);
    assert_int_equal(c.resp.throttle_ms, 10);
    kp_api_versions_resp_free(&c.resp);
}

/* An older broker answering our v4 with UNSUPPORTED_VERSION in a v0 body. */
#define RESP_UNSUPPORTED                                                                           \
    "0023"           /* ErrorCode 35 UNSUPPORTED_VERSION */                                        \
    "00000001"       /* ApiKeys: 1 (v0 format) */                                                  \
    "0012 0000 0003" /* ApiVersions 0..3 */

static void test_response_unsupported_fallback(void **state) {
    (void)state;
    dec_ctx c = {.version = 4, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_UNSUPPORTED, dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.error_code, 35);
    assert_int_equal(c.resp.decoded_version, 0);
    assert_int_equal(c.resp.count, 1);
    assert_int_equal(c.resp.apis[0].api_key, 18);
    assert_int_equal(c.resp.apis[0].max_version, 3);
    /* The caller's retry version. */
    assert_int_equal(kp_api_versions_pick(&c.resp, KP_API_API_VERSIONS), 3);
    kp_api_versions_resp_free(&c.resp);

    /* Error 35 in a genuine v3 body (not a v0 one) still decodes as v3. */
    c.version = 3;
    assert_int_equal(kpv_run_hex("0023 02 0012 0000 0003 00 00000000 00", dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.decoded_version, 3);
    assert_int_equal(c.resp.count, 1);
    assert_int_equal(c.resp.apis[0].max_version, 3);
    kp_api_versions_resp_free(&c.resp);
}

static void test_response_truncated(void **state) {
    (void)state;
    dec_ctx c = {.version = 0};
    kpv_expect_prefixes_fail(RESP_V0, dec, &c);
    c.version = 4;
    kpv_expect_prefixes_fail(RESP_V4, dec, &c);
    kpv_expect_prefixes_fail(RESP_UNSUPPORTED, dec, &c);
    c.version = 2;
    kpv_expect_prefixes_fail(RESP_V0 "00000000", dec, &c);
}

static void test_response_hostile(void **state) {
    (void)state;
    dec_ctx c = {.version = 0};
    kpv_expect_bad("0000 7fffffff 0000 0003 000c", dec, &c); /* huge count */
    kpv_expect_bad("0000 fffffffe 0000 0003 000c", dec, &c); /* negative count */
    kpv_expect_bad("0000 ffffffff", dec, &c);                /* null array */
    c.version = 3;
    kpv_expect_bad("0000 ffffffff0f 0000 0003 000c 00 00000000 00", dec, &c); /* huge compact */
    kpv_expect_bad("0000 00 00000000 00", dec, &c);          /* null compact array */
    kpv_expect_bad("0000 01 00000000 01 00 7f 00", dec, &c); /* tag longer than the body */
    kpv_expect_bad("0000 01 00000000 ffffffff0f", dec, &c);  /* 2^32-1 tags, none there */
    /* an over-long varint count */
    kpv_expect_bad("0000 8080808080 01 00000000 00", dec, &c);
    c.version = 5;
    assert_int_equal(kpv_run_hex(RESP_V0, dec, &c), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_v0_frame),
        cmocka_unit_test(test_request_v4_frame),
        cmocka_unit_test(test_request_defaults_and_args),
        cmocka_unit_test(test_response_v0),
        cmocka_unit_test(test_response_v4),
        cmocka_unit_test(test_response_v1_throttle),
        cmocka_unit_test(test_response_unsupported_fallback),
        cmocka_unit_test(test_response_truncated),
        cmocka_unit_test(test_response_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
