/* Transaction codecs (src/protocol/txn.c): AddPartitionsToTxn v0/v3,
 * AddOffsetsToTxn v0/v3, EndTxn v0/v3/v5, TxnOffsetCommit v0/v2/v3/v5
 * request vectors and argument checks; their response vectors at the
 * classic and flexible versions (EndTxn v5 with producer id and epoch);
 * hostile input. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/txn.h"

#define TX "7478"              /* "tx" */
#define PID "0000000000001234" /* ProducerId 0x1234 */
#define EPOCH "0003"           /* ProducerEpoch 3 */

static const int32_t parts[] = {0, 5};
static const kp_txn_topic_partitions add_topics[] = {{"t", parts, 2}};

static void test_add_partitions_request(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 0, "tx", 0x1234, 3, add_topics, 1),
                     KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0,
                   "0002" TX     /* V3AndBelowTransactionalId "tx" */
                       PID EPOCH /* V3AndBelowProducerId, V3AndBelowProducerEpoch */
                   "00000001"    /* V3AndBelowTopics: 1 */
                   "0001 74"     /*   Name "t" */
                   "00000002"    /*   Partitions: 2 */
                   "00000000 00000005");
    kp_buf_reset(&b);
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 3, "tx", 0x1234, 3, add_topics, 1),
                     KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0,
                   "03" TX PID EPOCH /* compact from v3 */
                   "02"              /* V3AndBelowTopics: 1 */
                   "02 74"           /*   Name "t" */
                   "03"              /*   Partitions: 2 */
                   "00000000 00000005"
                   "00" /*   topic tags */
                   "00" /* tags */);
    kp_buf_reset(&b);
    /* No topics at all is encodable (the broker decides what it means). */
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 1, "tx", 0x1234, 3, NULL, 0),
                     KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, "0002" TX PID EPOCH "00000000");
    kp_buf_free(&b);
}

static void test_add_offsets_and_end_requests(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_add_offsets_to_txn_req_encode(&b, 0, "tx", 0x1234, 3, "g"),
                     KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, "0002" TX PID EPOCH "0001 67" /* GroupId "g" */);
    kp_buf_reset(&b);
    assert_int_equal(kp_add_offsets_to_txn_req_encode(&b, 4, "tx", 0x1234, 3, "g"),
                     KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0,
                   "03" TX PID EPOCH "02 67"
                   "00" /* tags */);
    kp_buf_reset(&b);
    assert_int_equal(kp_end_txn_req_encode(&b, 0, "tx", 0x1234, 3, 1), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, "0002" TX PID EPOCH "01" /* Committed true */);
    kp_buf_reset(&b);
    assert_int_equal(kp_end_txn_req_encode(&b, 3, "tx", 0x1234, 3, 0), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, "03" TX PID EPOCH "00" /* Committed false: abort */ "00" /* tags */);
    kp_buf_reset(&b);
    assert_int_equal(kp_end_txn_req_encode(&b, 5, "tx", 0x1234, 3, 7), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, "03" TX PID EPOCH "01 00"); /* any nonzero commits */
    kp_buf_free(&b);
}

static const kp_txn_offset offs[] = {{0, 42, 7, NULL}, {1, 43, -1, "m"}};
static const kp_txn_offset_topic off_topics[] = {{"t", offs, 2}};

static void expect_offset_commit(int16_t ver, const kp_txn_group *g, const char *hex) {
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, ver, "tx", g, 0x1234, 3, off_topics, 1),
                     KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, hex);
    kp_buf_free(&b);
}

static void test_txn_offset_commit_request(void **state) {
    (void)state;
    kp_txn_group plain = {.group_id = "g", .generation_id = -1};
    expect_offset_commit(0, &plain,
                         "0002" TX          /* TransactionalId */
                         "0001 67"          /* GroupId "g" */
                         PID EPOCH          /* ProducerId, ProducerEpoch */
                         "00000001"         /* Topics: 1 */
                         "0001 74"          /*   Name "t" */
                         "00000002"         /*   Partitions: 2 */
                         "00000000"         /*     PartitionIndex 0 */
                         "000000000000002a" /*     CommittedOffset 42 (epoch 7 not sent) */
                         "ffff"             /*     CommittedMetadata null */
                         "00000001"         /*     PartitionIndex 1 */
                         "000000000000002b" /*     CommittedOffset 43 */
                         "0001 6d" /*     CommittedMetadata "m" */);
    expect_offset_commit(2, &plain,
                         "0002" TX "0001 67" PID EPOCH "00000001 0001 74 00000002"
                         "00000000 000000000000002a"
                         "00000007" /* CommittedLeaderEpoch 7 (v2+) */
                         "ffff"
                         "00000001 000000000000002b"
                         "ffffffff" /* CommittedLeaderEpoch -1 */
                         "0001 6d");
    kp_txn_group member = {
        .group_id = "g", .generation_id = 5, .member_id = "m1", .group_instance_id = "i"};
    expect_offset_commit(3, &member,
                         "03" TX "02 67" PID EPOCH "00000005" /* GenerationId 5 */
                         "03 6d31"                            /* MemberId "m1" */
                         "02 69"                              /* GroupInstanceId "i" */
                         "02 02 74 03"                        /* Topics: 1, "t", Partitions: 2 */
                         "00000000 000000000000002a 00000007"
                         "00" /*     CommittedMetadata null */
                         "00" /*     tags */
                         "00000001 000000000000002b ffffffff 02 6d 00"
                         "00" /*   topic tags */
                         "00" /* tags */);
    expect_offset_commit(5, &plain,
                         "03" TX "02 67" PID EPOCH "ffffffff" /* GenerationId -1 */
                         "01"                                 /* MemberId "" */
                         "00"                                 /* GroupInstanceId null */
                         "02 02 74 03"
                         "00000000 000000000000002a 00000007 00 00"
                         "00000001 000000000000002b ffffffff 02 6d 00"
                         "00 00");
}

static void test_request_bad_args(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    const int32_t p0[] = {0};
    const kp_txn_topic_partitions null_name[] = {{NULL, p0, 1}};
    const kp_txn_topic_partitions null_parts[] = {{"t", NULL, 1}};
    const kp_txn_topic_partitions neg_parts[] = {{"t", p0, -1}};
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 4, "tx", 1, 0, add_topics, 1),
                     KPROD_ERR__INVALID_ARG); /* v4+: broker-to-broker */
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 3, NULL, 1, 0, add_topics, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 3, "tx", 1, 0, NULL, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 3, "tx", 1, 0, add_topics, -1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 3, "tx", 1, 0, null_name, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 3, "tx", 1, 0, null_parts, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_add_partitions_to_txn_req_encode(&b, 3, "tx", 1, 0, neg_parts, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_add_offsets_to_txn_req_encode(&b, 5, "tx", 1, 0, "g"),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_add_offsets_to_txn_req_encode(&b, 3, "tx", 1, 0, NULL),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_end_txn_req_encode(&b, 6, "tx", 1, 0, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_end_txn_req_encode(&b, -1, "tx", 1, 0, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_end_txn_req_encode(&b, 5, NULL, 1, 0, 1), KPROD_ERR__INVALID_ARG);

    /* Group metadata cannot be sent before v3: refused, not dropped. */
    kp_txn_group gen = {.group_id = "g", .generation_id = 1};
    kp_txn_group mem = {.group_id = "g", .generation_id = -1, .member_id = "m"};
    kp_txn_group inst = {.group_id = "g", .generation_id = -1, .group_instance_id = "i"};
    kp_txn_group no_group = {.generation_id = -1};
    kp_txn_group ok = {.group_id = "g", .generation_id = -1, .member_id = ""};
    const kp_txn_offset_topic null_offs[] = {{"t", NULL, 2}};
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, 2, "tx", &gen, 1, 0, off_topics, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, 2, "tx", &mem, 1, 0, off_topics, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, 0, "tx", &inst, 1, 0, off_topics, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, 5, "tx", &no_group, 1, 0, off_topics, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, 5, "tx", NULL, 1, 0, off_topics, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, 6, "tx", &ok, 1, 0, off_topics, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, 5, "tx", &ok, 1, 0, null_offs, 1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0); /* nothing written on a refusal */
    /* "" is the member id's default: fine before v3. */
    assert_int_equal(kp_txn_offset_commit_req_encode(&b, 1, "tx", &ok, 1, 0, NULL, 0),
                     KPROD_ERR_NO_ERROR);
    kp_buf_free(&b);
}

/* ---- responses ---- */

typedef struct dec_ctx {
    int16_t version;
    int offset_commit; /* TxnOffsetCommit, else AddPartitionsToTxn */
    int keep;
    kp_txn_partitions_resp resp;
} dec_ctx;

static kprod_err_t dec(kp_rd *r, void *vctx) {
    dec_ctx *c = vctx;
    kp_txn_partitions_resp resp;
    kprod_err_t err = c->offset_commit ? kp_txn_offset_commit_resp_decode(r, c->version, &resp)
                                       : kp_add_partitions_to_txn_resp_decode(r, c->version, &resp);
    if (err) {
        assert_null(resp.topics);
        assert_int_equal(resp.topic_count, 0);
        return err;
    }
    if (c->keep)
        c->resp = resp;
    else
        kp_txn_partitions_resp_free(&resp);
    return err;
}

#define PART_RESP_V0                                                                               \
    "0000000a"      /* ThrottleTimeMs 10 */                                                        \
    "00000001"      /* Results: 1 topic */                                                         \
    "0001 74"       /*   Name "t" */                                                               \
    "00000002"      /*   Partitions: 2 */                                                          \
    "00000000 0000" /*     0: no error */                                                          \
    "00000005 0033" /*     5: 51 CONCURRENT_TRANSACTIONS */
#define PART_RESP_V3                                                                               \
    "00000000"         /* ThrottleTimeMs */                                                        \
    "02 02 74"         /* Results: 1, Name "t" */                                                  \
    "03"               /*   Partitions: 2 */                                                       \
    "00000000 0000 00" /*     0: no error, tags */                                                 \
    "00000005 0033 00" /*     5: 51, tags */                                                       \
    "00"               /*   topic tags */                                                          \
    "01 09 02 ab cd"   /* tags: unknown tag 9 of 2 bytes */

static void check_partitions(const kp_txn_partitions_resp *r, int16_t second_error) {
    assert_int_equal(r->topic_count, 1);
    assert_string_equal(r->topics[0].topic, "t");
    assert_int_equal(r->topics[0].partition_count, 2);
    assert_int_equal(r->topics[0].partitions[0].partition, 0);
    assert_int_equal(r->topics[0].partitions[0].error_code, 0);
    assert_int_equal(r->topics[0].partitions[1].partition, 5);
    assert_int_equal(r->topics[0].partitions[1].error_code, second_error);
}

static void test_partition_responses(void **state) {
    (void)state;
    for (int oc = 0; oc <= 1; oc++) { /* both APIs answer in this shape */
        dec_ctx c = {.version = 0, .offset_commit = oc, .keep = 1};
        assert_int_equal(kpv_run_hex(PART_RESP_V0, dec, &c), KPROD_ERR_NO_ERROR);
        assert_int_equal(c.resp.throttle_ms, 10);
        check_partitions(&c.resp, 51);
        kp_txn_partitions_resp_free(&c.resp);
        assert_null(c.resp.topics);
        c.version = 3;
        assert_int_equal(kpv_run_hex(PART_RESP_V3, dec, &c), KPROD_ERR_NO_ERROR);
        assert_int_equal(c.resp.throttle_ms, 0);
        check_partitions(&c.resp, 51);
        kp_txn_partitions_resp_free(&c.resp);
    }
    dec_ctx c = {.version = 5, .offset_commit = 1, .keep = 1};
    assert_int_equal(kpv_run_hex(PART_RESP_V3, dec, &c), KPROD_ERR_NO_ERROR);
    kp_txn_partitions_resp_free(&c.resp);
    c.offset_commit = 0; /* AddPartitionsToTxn v5 is not ours */
    assert_int_equal(kpv_run_hex(PART_RESP_V3, dec, &c), KPROD_ERR__INVALID_ARG);
    c.version = 4;
    assert_int_equal(kpv_run_hex(PART_RESP_V3, dec, &c), KPROD_ERR__INVALID_ARG);
}

static void test_partition_responses_hostile(void **state) {
    (void)state;
    for (int oc = 0; oc <= 1; oc++) {
        dec_ctx c = {.version = 0, .offset_commit = oc};
        kpv_expect_prefixes_fail(PART_RESP_V0, dec, &c);
        kpv_expect_bad("00000000 7fffffff 0001 74 00000000", dec, &c); /* 2^31-1 topics */
        kpv_expect_bad("00000000 00000001 0001 74 7fffffff 00000000 0000", dec, &c);
        kpv_expect_bad("00000000 00000001 ffff 00000000", dec, &c);    /* null name */
        kpv_expect_bad("00000000 00000001 0001 74 ffffffff", dec, &c); /* null partitions */
        kpv_expect_bad("00000000 ffffffff", dec, &c);                  /* null topics */
        c.version = 3;
        kpv_expect_prefixes_fail(PART_RESP_V3, dec, &c);
        kpv_expect_bad("00000000 ffffffff0f 00", dec, &c);
        kpv_expect_bad("00000000 02 02 74 09 00000000 0000 00 00 00", dec, &c); /* 8 of 1 */
        kpv_expect_bad("00000000 02 00 01 00 00", dec, &c);                     /* null name */
    }
}

typedef struct simple_ctx {
    int16_t version;
    int end_txn; /* EndTxn, else AddOffsetsToTxn */
    kp_txn_resp resp;
} simple_ctx;

static kprod_err_t dec_simple(kp_rd *r, void *vctx) {
    simple_ctx *c = vctx;
    kprod_err_t err = c->end_txn ? kp_end_txn_resp_decode(r, c->version, &c->resp)
                                 : kp_add_offsets_to_txn_resp_decode(r, c->version, &c->resp);
    if (err == KPROD_ERR__BAD_MSG) /* cleared */
        assert_true(c->resp.producer_id == 0 && c->resp.error_code == 0);
    return err;
}

#define SIMPLE_V0 "0000000a 0030" /* ThrottleTimeMs 10, ErrorCode 48 INVALID_TXN_STATE */
#define SIMPLE_V3 "00000000 0000 00"
#define END_V5                                                                                     \
    "00000000"         /* ThrottleTimeMs */                                                        \
    "0000"             /* ErrorCode */                                                             \
    "0000000000001234" /* ProducerId */                                                            \
    "0004"             /* ProducerEpoch 4: bumped by the coordinator */                            \
    "00"               /* tags */

static void test_simple_responses(void **state) {
    (void)state;
    for (int et = 0; et <= 1; et++) {
        simple_ctx c = {.version = 0, .end_txn = et};
        assert_int_equal(kpv_run_hex(SIMPLE_V0, dec_simple, &c), KPROD_ERR_NO_ERROR);
        assert_int_equal(c.resp.throttle_ms, 10);
        assert_int_equal(c.resp.error_code, 48);
        assert_true(c.resp.producer_id == -1); /* not in these versions */
        assert_int_equal(c.resp.producer_epoch, -1);
        c.version = 3;
        assert_int_equal(kpv_run_hex(SIMPLE_V3, dec_simple, &c), KPROD_ERR_NO_ERROR);
        assert_int_equal(c.resp.error_code, 0);
        c.version = 4;
        assert_int_equal(kpv_run_hex(SIMPLE_V3, dec_simple, &c), KPROD_ERR_NO_ERROR);
        kpv_expect_prefixes_fail(SIMPLE_V3, dec_simple, &c);
        c.version = 0;
        kpv_expect_prefixes_fail(SIMPLE_V0, dec_simple, &c);
    }
    simple_ctx c = {.version = 5, .end_txn = 1};
    assert_int_equal(kpv_run_hex(END_V5, dec_simple, &c), KPROD_ERR_NO_ERROR);
    assert_true(c.resp.producer_id == 0x1234);
    assert_int_equal(c.resp.producer_epoch, 4);
    kpv_expect_prefixes_fail(END_V5, dec_simple, &c);
    /* A v4 body read as v5 lacks the producer fields. */
    kpv_expect_bad(SIMPLE_V3, dec_simple, &c);
    c.end_txn = 0; /* AddOffsetsToTxn has no v5 */
    assert_int_equal(kpv_run_hex(END_V5, dec_simple, &c), KPROD_ERR__INVALID_ARG);
    c.end_txn = 1;
    c.version = 6;
    assert_int_equal(kpv_run_hex(END_V5, dec_simple, &c), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_partitions_request),
        cmocka_unit_test(test_add_offsets_and_end_requests),
        cmocka_unit_test(test_txn_offset_commit_request),
        cmocka_unit_test(test_request_bad_args),
        cmocka_unit_test(test_partition_responses),
        cmocka_unit_test(test_partition_responses_hostile),
        cmocka_unit_test(test_simple_responses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
