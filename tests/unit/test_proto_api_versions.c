/* ApiVersions codec (src/protocol/api_versions.c): request vectors, response
 * vectors at the lowest and highest versions, the UNSUPPORTED_VERSION (v0
 * body) fallback, the feature flags of v3+ (Kafka 4.1.1's own answer), and
 * hostile input. */
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
        assert_null(resp.supported_features);
        assert_null(resp.finalized_features);
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
    "02 02 78 0001 0002 00"  /*   1 feature "x" 1..2, tags */                                      \
    "01 08 0000000000000005" /* tag 1 FinalizedFeaturesEpoch = 5 */

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
    assert_int_equal(c.resp.supported_feature_count, 1);
    assert_string_equal(c.resp.supported_features[0].name, "x");
    assert_int_equal(c.resp.supported_features[0].min_version, 1);
    assert_int_equal(c.resp.supported_features[0].max_version, 2);
    assert_true(c.resp.finalized_features_epoch == 5);
    /* An epoch but no finalized list: every feature is at level 0. */
    assert_int_equal(c.resp.finalized_feature_count, 0);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "x"), 0);
    kp_api_versions_resp_free(&c.resp);
}

/* The tagged fields of Kafka 4.1.1's answer to ApiVersions v3 (as a
 * single broker formatted by scripts/kafka.sh sent them; ApiKeys cut to one
 * entry). */
#define FEAT_METADATA "11 6d657461646174612e76657273696f6e"  /* "metadata.version" */
#define FEAT_TXN "14 7472616e73616374696f6e2e76657273696f6e" /* "transaction.version" */
#define FEAT_GROUP "0e 67726f75702e76657273696f6e"           /* "group.version" */
#define FEAT_ELR "21 656c696769626c652e6c65616465722e7265706c696361732e76657273696f6e"
#define RESP_V3_FEATURES                                                                           \
    "0000"                            /* ErrorCode */                                              \
    "02 0012 0000 0004 00"            /* ApiKeys: ApiVersions 0..4 */                              \
    "00000000"                        /* ThrottleTimeMs */                                         \
    "04"                              /* tagged fields: 4 */                                       \
    "00 17"                           /* tag 0 SupportedFeatures, 23 bytes: 1 feature */           \
    "02" FEAT_METADATA "0007 001b 00" /* metadata.version 7..27 (v3 leaves out min 0 ones) */      \
    "01 08 0000000000000016"          /* tag 1 FinalizedFeaturesEpoch 22 */                        \
    "02 69"                           /* tag 2 FinalizedFeatures, 105 bytes: 4 features */         \
    "05" FEAT_GROUP "0001 0001 00"    /* group.version: MaxVersionLevel 1, MinVersionLevel 1 */    \
        FEAT_TXN "0002 0002 00"       /* transaction.version: 2, 2 */                              \
        FEAT_ELR "0001 0001 00"       /* eligible.leader.replicas.version: 1, 1 */                 \
        FEAT_METADATA "001b 001b 00"  /* metadata.version: 27, 27 */                               \
    "03 01 00"                        /* tag 3 ZkMigrationReady false (skipped) */

static void test_response_features(void **state) {
    (void)state;
    dec_ctx c = {.version = 3, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V3_FEATURES, dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.count, 1);
    assert_int_equal(c.resp.supported_feature_count, 1);
    assert_string_equal(c.resp.supported_features[0].name, "metadata.version");
    assert_int_equal(c.resp.supported_features[0].min_version, 7);
    assert_int_equal(c.resp.supported_features[0].max_version, 27);
    assert_true(c.resp.finalized_features_epoch == 22);
    assert_int_equal(c.resp.finalized_feature_count, 4);
    assert_string_equal(c.resp.finalized_features[1].name, "transaction.version");
    assert_int_equal(c.resp.finalized_features[1].min_version, 2);
    assert_int_equal(c.resp.finalized_features[1].max_version, 2);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "transaction.version"), 2);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "group.version"), 1);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "metadata.version"), 27);
    /* Not finalized (share.version, kraft.version at 0 are left out). */
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "share.version"), 0);
    kp_api_versions_resp_free(&c.resp);
    assert_null(c.resp.finalized_features);
    assert_int_equal(c.resp.finalized_feature_count, 0);

    /* Min and max levels apart, in their wire order (max first). */
    assert_int_equal(kpv_run_hex("0000 01 00000000 02"
                                 "01 08 0000000000000001"       /* epoch 1 */
                                 "02 08 02 02 61 0003 0001 00", /* "a": max 3, min 1 */
                                 dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.finalized_features[0].min_version, 1);
    assert_int_equal(c.resp.finalized_features[0].max_version, 3);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "a"), 3);
    kp_api_versions_resp_free(&c.resp);

    /* A repeated tag replaces the earlier list (no leak under ASan). */
    assert_int_equal(kpv_run_hex("0000 01 00000000 03"
                                 "02 08 02 02 61 0003 0001 00" /* "a" */
                                 "02 08 02 02 62 0004 0004 00" /* then "b" */
                                 "01 08 0000000000000009",
                                 dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.finalized_feature_count, 1);
    assert_string_equal(c.resp.finalized_features[0].name, "b");
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "a"), 0);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "b"), 4);
    kp_api_versions_resp_free(&c.resp);

    /* No features at all (v2, or a v3 answer without tags): unknown, -1. */
    c.version = 2;
    assert_int_equal(kpv_run_hex(RESP_V0 "00000000", dec, &c), KPROD_ERR_NO_ERROR);
    assert_true(c.resp.finalized_features_epoch == -1);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "transaction.version"), -1);
    kp_api_versions_resp_free(&c.resp);
    c.version = 4;
    assert_int_equal(kpv_run_hex("0000 01 00000000 00", dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "transaction.version"), -1);
    kp_api_versions_resp_free(&c.resp);
    /* Finalized features with epoch -1 are not valid: unknown. */
    assert_int_equal(kpv_run_hex("0000 01 00000000 02"
                                 "01 08 ffffffffffffffff"
                                 "02 08 02 02 61 0003 0001 00",
                                 dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(kp_api_versions_feature_level(&c.resp, "a"), -1);
    kp_api_versions_resp_free(&c.resp);
}

static void test_response_features_hostile(void **state) {
    (void)state;
    dec_ctx c = {.version = 4};
    kpv_expect_prefixes_fail(RESP_V3_FEATURES, dec, &c);
    /* A feature count beyond the tag's own bytes (the body has more). */
    kpv_expect_bad("0000 01 00000000 01 02 06 7f 02 61 0003 0001 00 000000000000000000", dec, &c);
    /* A null feature name. */
    kpv_expect_bad("0000 01 00000000 01 02 06 02 00 0003 0001 00", dec, &c);
    /* An entry cut short by the tag size, though the body goes on. */
    kpv_expect_bad("0000 01 00000000 01 02 05 02 02 61 0003 0001 00", dec, &c);
    /* An epoch of 4 bytes. */
    kpv_expect_bad("0000 01 00000000 01 01 04 00000001", dec, &c);
    /* A null feature array. */
    kpv_expect_bad("0000 01 00000000 01 00 01 00", dec, &c);
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
        cmocka_unit_test(test_response_features),
        cmocka_unit_test(test_response_features_hostile),
        cmocka_unit_test(test_response_unsupported_fallback),
        cmocka_unit_test(test_response_truncated),
        cmocka_unit_test(test_response_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
