/* ListOffsets codec (src/protocol/list_offsets.c): request vectors at v1
 * (lowest), v2 (IsolationLevel), v4 (CurrentLeaderEpoch), v6 (first
 * flexible) and v10 (TimeoutMs), argument checks (special timestamps and
 * versions), response vectors at v1, v2, v4, v6 and v10, hostile input. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/list_offsets.h"

static void expect_req(int16_t ver, int8_t iso, int32_t epoch, int64_t ts, const char *hex) {
    kp_list_offsets_req_partition p = {0, epoch, ts};
    kp_list_offsets_req_topic t = {"t", &p, 1};
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_list_offsets_req_encode(&b, ver, iso, 30000, &t, 1), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, hex);
    kp_buf_free(&b);
}

static void test_request_vectors(void **state) {
    (void)state;
    expect_req(1, KP_READ_UNCOMMITTED, 5, KP_OFFSETS_LATEST,
               "ffffffff" /* ReplicaId -1: a client */
               "00000001" /* Topics: 1 */
               "0001 74"  /*   Name "t" */
               "00000001" /*   Partitions: 1 */
               "00000000" /*     PartitionIndex 0 (no leader epoch before v4) */
               "ffffffffffffffff" /*     Timestamp -1: latest */);
    expect_req(2, KP_READ_COMMITTED, 5, KP_OFFSETS_LATEST,
               "ffffffff"
               "01" /* IsolationLevel 1: read_committed (v2+) */
               "00000001 0001 74 00000001 00000000 ffffffffffffffff");
    expect_req(4, KP_READ_UNCOMMITTED, 5, KP_OFFSETS_EARLIEST,
               "ffffffff 00 00000001 0001 74 00000001 00000000"
               "00000005" /* CurrentLeaderEpoch 5 (v4+) */
               "fffffffffffffffe" /* Timestamp -2: earliest */);
    expect_req(6, KP_READ_UNCOMMITTED, -1, 1700000000000LL,
               "ffffffff 00"
               "02 02 74" /* Topics: 1 (compact), Name "t" */
               "02"       /*   Partitions: 1 */
               "00000000 ffffffff"
               "0000018bcfe56800" /*     Timestamp 1700000000000 */
               "00"               /*     partition tags */
               "00"               /*   topic tags */
               "00" /* tags */);
    expect_req(10, KP_READ_COMMITTED, -1, KP_OFFSETS_LATEST_TIERED,
               "ffffffff 01 02 02 74 02 00000000 ffffffff"
               "fffffffffffffffb" /* Timestamp -5: latest tiered (v9+) */
               "00 00"
               "00007530" /* TimeoutMs 30000 (v10+) */
               "00");
}

static kprod_err_t encode_one(int16_t ver, int8_t iso, int64_t ts) {
    kp_list_offsets_req_partition p = {0, -1, ts};
    kp_list_offsets_req_topic t = {"t", &p, 1};
    kp_buf b;
    kp_buf_init(&b, 0);
    kprod_err_t err = kp_list_offsets_req_encode(&b, ver, iso, 0, &t, 1);
    if (err)
        assert_int_equal(b.len, 0); /* nothing written on a refusal */
    kp_buf_free(&b);
    return err;
}

static void test_request_bad_args(void **state) {
    (void)state;
    assert_int_equal(encode_one(0, 0, -1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(encode_one(11, 0, -1), KPROD_ERR__INVALID_ARG);
    /* read_committed needs IsolationLevel (v2+); levels are 0 and 1 */
    assert_int_equal(encode_one(1, KP_READ_COMMITTED, -1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(encode_one(6, 2, -1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(encode_one(6, -1, -1), KPROD_ERR__INVALID_ARG);
    /* Each special timestamp from the version that knows it. */
    static const struct {
        int64_t ts;
        int16_t first;
    } special[] = {{KP_OFFSETS_MAX_TIMESTAMP, 7},
                   {KP_OFFSETS_EARLIEST_LOCAL, 8},
                   {KP_OFFSETS_LATEST_TIERED, 9}};
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        int16_t v = special[i].first;
        assert_int_equal(encode_one((int16_t)(v - 1), 0, special[i].ts), KPROD_ERR__INVALID_ARG);
        assert_int_equal(encode_one(v, 0, special[i].ts), KPROD_ERR_NO_ERROR);
    }
    assert_int_equal(encode_one(1, 0, KP_OFFSETS_EARLIEST), KPROD_ERR_NO_ERROR);
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_list_offsets_req_topic null_name = {NULL, NULL, 0};
    kp_list_offsets_req_topic null_parts = {"t", NULL, 1};
    kp_list_offsets_req_topic neg = {"t", NULL, -1};
    assert_int_equal(kp_list_offsets_req_encode(&b, 6, 0, 0, &null_name, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_list_offsets_req_encode(&b, 6, 0, 0, &null_parts, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_list_offsets_req_encode(&b, 6, 0, 0, &neg, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_list_offsets_req_encode(&b, 6, 0, 0, NULL, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_list_offsets_req_encode(&b, 6, 0, 0, NULL, -1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0);
    assert_int_equal(kp_list_offsets_req_encode(&b, 6, 0, 0, NULL, 0), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, "ffffffff 00 01 00"); /* no topics */
    kp_buf_free(&b);
}

/* ---- responses ---- */

typedef struct dec_ctx {
    int16_t version;
    int keep;
    kp_list_offsets_resp resp;
} dec_ctx;

static kprod_err_t dec(kp_rd *r, void *vctx) {
    dec_ctx *c = vctx;
    kp_list_offsets_resp resp;
    kprod_err_t err = kp_list_offsets_resp_decode(r, c->version, &resp);
    if (err) {
        assert_null(resp.topics);
        assert_int_equal(resp.topic_count, 0);
        return err;
    }
    if (c->keep)
        c->resp = resp;
    else
        kp_list_offsets_resp_free(&resp);
    return err;
}

#define LO_P0 "00000000 0000 ffffffffffffffff 0000000000000009" /* 0: ok, ts -1, offset 9 */
#define LO_P1 "00000001 0006 ffffffffffffffff ffffffffffffffff" /* 1: 6 NOT_LEADER, -1 */
#define RESP_V1                                                                                    \
    "00000001" /* Topics: 1 (no ThrottleTimeMs before v2) */                                       \
    "0001 74"  /*   Name "t" */                                                                    \
    "00000002" /*   Partitions: 2 */                                                               \
        LO_P0  /*     PartitionIndex, ErrorCode, Timestamp, Offset */                              \
            LO_P1
#define RESP_V2 "0000000a" /* ThrottleTimeMs 10 */ RESP_V1
#define RESP_V4                                                                                    \
    "0000000a 00000001 0001 74 00000002" LO_P0 "00000007" /* LeaderEpoch 7 (v4+) */ LO_P1 "ffffff" \
    "ff"
#define RESP_V6                                                                                    \
    "00000000"                    /* ThrottleTimeMs */                                             \
    "02 02 74"                    /* Topics: 1, Name "t" (compact) */                              \
    "03"                          /*   Partitions: 2 */                                            \
        LO_P0 "00000007 00"       /* LeaderEpoch, tags */                                          \
        LO_P1 "ffffffff 01 03 00" /* tags: unknown tag 3, empty */                                 \
    "00"                          /*   topic tags */                                               \
    "00"                          /* tags */

static void check(const kp_list_offsets_resp *r, int32_t epoch0) {
    assert_int_equal(r->topic_count, 1);
    assert_string_equal(r->topics[0].topic, "t");
    assert_int_equal(r->topics[0].partition_count, 2);
    const kp_list_offsets_resp_partition *p = r->topics[0].partitions;
    assert_int_equal(p[0].partition, 0);
    assert_int_equal(p[0].error_code, 0);
    assert_true(p[0].timestamp == -1);
    assert_true(p[0].offset == 9);
    assert_int_equal(p[0].leader_epoch, epoch0);
    assert_int_equal(p[1].partition, 1);
    assert_int_equal(p[1].error_code, 6);
    assert_true(p[1].offset == -1);
    assert_int_equal(p[1].leader_epoch, -1);
}

static void test_responses(void **state) {
    (void)state;
    static const struct {
        int16_t version;
        const char *hex;
        int32_t throttle, epoch0;
    } t[] = {{1, RESP_V1, 0, -1}, {2, RESP_V2, 10, -1}, {3, RESP_V2, 10, -1}, {4, RESP_V4, 10, 7},
             {5, RESP_V4, 10, 7}, {6, RESP_V6, 0, 7},   {10, RESP_V6, 0, 7}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        dec_ctx c = {.version = t[i].version, .keep = 1};
        assert_int_equal(kpv_run_hex(t[i].hex, dec, &c), KPROD_ERR_NO_ERROR);
        assert_int_equal(c.resp.throttle_ms, t[i].throttle);
        check(&c.resp, t[i].epoch0);
        kp_list_offsets_resp_free(&c.resp);
        assert_null(c.resp.topics);
    }
}

static void test_response_hostile(void **state) {
    (void)state;
    dec_ctx c = {.version = 1};
    kpv_expect_prefixes_fail(RESP_V1, dec, &c);
    kpv_expect_bad("7fffffff 0001 74 00000000", dec, &c);       /* 2^31-1 topics */
    kpv_expect_bad("00000001 0001 74 10000000" LO_P0, dec, &c); /* 2^28 partitions */
    kpv_expect_bad("00000001 ffff 00000000", dec, &c);          /* null name */
    kpv_expect_bad("00000001 fff0 00000000", dec, &c);          /* length -16 */
    kpv_expect_bad("00000001 0001 74 ffffffff", dec, &c);       /* null partitions */
    c.version = 4;
    kpv_expect_prefixes_fail(RESP_V4, dec, &c);
    kpv_expect_bad(RESP_V2, dec, &c); /* a v2 body lacks the leader epochs */
    c.version = 6;
    kpv_expect_prefixes_fail(RESP_V6, dec, &c);
    kpv_expect_bad("00000000 ffffffff0f 00", dec, &c);
    kpv_expect_bad("00000000 02 02 74 03" LO_P0 "00000007 00 00", dec, &c); /* 2 told, 1 there */
    kpv_expect_bad("00000000 02 02 74 02" LO_P0 "00000007 01 03 05 00 00", dec, &c); /* tag > */
    c.version = 0;
    assert_int_equal(kpv_run_hex(RESP_V1, dec, &c), KPROD_ERR__INVALID_ARG);
    c.version = 11;
    assert_int_equal(kpv_run_hex(RESP_V6, dec, &c), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_vectors),
        cmocka_unit_test(test_request_bad_args),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_response_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
