/* Request framing, response headers, flexible-version rules and version
 * negotiation (src/protocol/header.c, api_keys.c). */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/api_keys.h"
#include "protocol/header.h"

static void test_req_header_v1(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    size_t start = kp_req_begin(&b, KP_API_METADATA, 4, 0x01020304, "kp", 0);
    assert_int_equal(start, 0);
    kp_req_end(&b, start);
    kpv_expect_buf(&b, 0,
                   "0000000c" /* size: 12 bytes follow */
                   "0003"     /* RequestApiKey: Metadata */
                   "0004"     /* RequestApiVersion */
                   "01020304" /* CorrelationId */
                   "0002 6b70" /* ClientId "kp" (int16 length) */);
    kp_buf_free(&b);
}

static void test_req_header_v2(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    size_t start = kp_req_begin(&b, KP_API_PRODUCE, 9, 7, "kp", 1);
    kp_req_end(&b, start);
    kpv_expect_buf(&b, 0,
                   "0000000d"  /* size: 13 */
                   "0000"      /* Produce */
                   "0009"      /* version 9 */
                   "00000007"  /* CorrelationId */
                   "0002 6b70" /* ClientId: still a classic string in v2 */
                   "00" /* empty tagged fields */);
    kp_buf_free(&b);
}

static void test_req_header_null_client_and_second_frame(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    size_t s1 = kp_req_begin(&b, KP_API_API_VERSIONS, 0, 1, NULL, 0);
    kp_req_end(&b, s1);
    size_t s2 = kp_req_begin(&b, KP_API_INIT_PRODUCER_ID, 2, -1, "", 1);
    kp_buf_put_i8(&b, 0x55); /* a one-byte "body" */
    kp_req_end(&b, s2);
    assert_int_equal(s2, 14);
    kpv_expect_buf(&b, 0,
                   "0000000a 0012 0000 00000001 ffff" /* ClientId null */
                   "0000000c 0016 0002 ffffffff 0000 00 55" /* ClientId "", tags, body */);
    kp_buf_free(&b);
}

static kprod_err_t read_v0(kp_rd *r, void *ctx) {
    int32_t corr;
    kprod_err_t err = kp_resp_header_read(r, 0, &corr);
    if (!err)
        *(int32_t *)ctx = corr;
    return err;
}

static kprod_err_t read_v1(kp_rd *r, void *ctx) {
    int32_t corr;
    kprod_err_t err = kp_resp_header_read(r, 1, &corr);
    if (!err) {
        *(int32_t *)ctx = corr;
        assert_int_equal(kp_rd_remaining(r), 1); /* stops at the body */
    }
    return err;
}

static void test_resp_header(void **state) {
    (void)state;
    int32_t corr = 0;
    assert_int_equal(kpv_run_hex("0000002a", read_v0, &corr), KPROD_ERR_NO_ERROR);
    assert_int_equal(corr, 42);
    corr = 0;
    /* v1 with an unknown tag 5 of 2 bytes, then one body byte */
    assert_int_equal(kpv_run_hex("fffffffe 01 05 02 abcd 99", read_v1, &corr), KPROD_ERR_NO_ERROR);
    assert_int_equal(corr, -2);
    kpv_expect_prefixes_fail("0000002a", read_v0, &corr);
    /* A tag longer than what is left. */
    kpv_expect_bad("00000001 01 05 7f abcd 99", read_v1, &corr);
}

static void test_flexible_rules(void **state) {
    (void)state;
    static const struct {
        int16_t key, last_classic;
    } t[] = {{KP_API_PRODUCE, 8},
             {KP_API_METADATA, 8},
             {KP_API_API_VERSIONS, 2},
             {KP_API_INIT_PRODUCER_ID, 1},
             {KP_API_FETCH, 11},
             {KP_API_LIST_OFFSETS, 5},
             {KP_API_FIND_COORDINATOR, 2},
             {KP_API_ADD_PARTITIONS_TO_TXN, 2},
             {KP_API_ADD_OFFSETS_TO_TXN, 2},
             {KP_API_END_TXN, 2},
             {KP_API_TXN_OFFSET_COMMIT, 2}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        int16_t v = t[i].last_classic;
        assert_int_equal(kp_proto_is_flexible(t[i].key, v), 0);
        assert_int_equal(kp_proto_is_flexible(t[i].key, (int16_t)(v + 1)), 1);
        assert_int_equal(kp_req_header_flexible(t[i].key, v), 0);
        assert_int_equal(kp_req_header_flexible(t[i].key, (int16_t)(v + 1)), 1);
        int apiv = t[i].key == KP_API_API_VERSIONS;
        assert_int_equal(kp_resp_header_flexible(t[i].key, v), 0);
        assert_int_equal(kp_resp_header_flexible(t[i].key, (int16_t)(v + 1)), !apiv);
    }
    assert_int_equal(kp_resp_header_flexible(KP_API_API_VERSIONS, 4), 0);
    assert_int_equal(kp_proto_is_flexible(99, 20), 0);
}

static void test_pick_version(void **state) {
    (void)state;
    assert_int_equal(kp_proto_pick_version(3, 12, 0, 11), 11);
    assert_int_equal(kp_proto_pick_version(3, 12, 0, 13), 12);
    assert_int_equal(kp_proto_pick_version(3, 12, 12, 20), 12);
    assert_int_equal(kp_proto_pick_version(0, 4, 0, 4), 4);
    assert_int_equal(kp_proto_pick_version(4, 13, 0, 3), -1);
    assert_int_equal(kp_proto_pick_version(3, 12, 13, 15), -1);
    int16_t lo, hi;
    assert_int_equal(kp_proto_our_range(KP_API_PRODUCE, &lo, &hi), 0);
    assert_int_equal(lo, 3);
    assert_int_equal(hi, 12);
    assert_int_equal(kp_proto_our_range(KP_API_METADATA, &lo, &hi), 0);
    assert_int_equal(lo, 4);
    assert_int_equal(hi, 13);
    assert_int_equal(kp_proto_our_range(KP_API_API_VERSIONS, &lo, &hi), 0);
    assert_int_equal(hi, 4);
    assert_int_equal(kp_proto_our_range(KP_API_INIT_PRODUCER_ID, &lo, &hi), 0);
    assert_int_equal(hi, 5);
    /* The ranges the new codecs implement (Kafka 4.1.1's answer is in
     * tests/integration/test_proto_live.c). */
    static const struct {
        int16_t key, lo, hi;
    } r[] = {{KP_API_FETCH, 4, 18},
             {KP_API_LIST_OFFSETS, 1, 10},
             {KP_API_FIND_COORDINATOR, 1, 6},
             {KP_API_ADD_PARTITIONS_TO_TXN, 0, 3},
             {KP_API_ADD_OFFSETS_TO_TXN, 0, 4},
             {KP_API_END_TXN, 0, 5},
             {KP_API_TXN_OFFSET_COMMIT, 0, 5}};
    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
        assert_int_equal(kp_proto_our_range(r[i].key, &lo, &hi), 0);
        assert_int_equal(lo, r[i].lo);
        assert_int_equal(hi, r[i].hi);
        assert_true(kp_proto_version_ok(r[i].key, r[i].lo));
        assert_true(kp_proto_version_ok(r[i].key, r[i].hi));
        assert_false(kp_proto_version_ok(r[i].key, (int16_t)(r[i].lo - 1)));
        assert_false(kp_proto_version_ok(r[i].key, (int16_t)(r[i].hi + 1)));
    }
    assert_false(kp_proto_version_ok(9, 0));
    assert_int_equal(kp_proto_our_range(9, &lo, &hi), -1); /* OffsetFetch: not ours */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_req_header_v1),
        cmocka_unit_test(test_req_header_v2),
        cmocka_unit_test(test_req_header_null_client_and_second_frame),
        cmocka_unit_test(test_resp_header),
        cmocka_unit_test(test_flexible_rules),
        cmocka_unit_test(test_pick_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
