/* Produce codec (src/protocol/produce.c): request vectors at v3 and v12
 * (with its frame size), a walk of the request at every version, writer
 * misuse, response vectors at v3, v8 and v12 (KIP-951 tagged fields), and
 * hostile input. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/header.h"
#include "protocol/produce.h"

static void test_request_v3(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_produce_req_writer w;
    assert_int_equal(kp_produce_req_begin(&w, &b, 3, NULL, -1, 30000, 1), KPROD_ERR_NO_ERROR);
    kp_produce_req_topic(&w, "foo", 1);
    kp_produce_req_partition(&w, 0, "abc", 3);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0,
                   "ffff"        /* TransactionalId null */
                   "ffff"        /* Acks -1 */
                   "00007530"    /* TimeoutMs 30000 */
                   "00000001"    /* TopicData: 1 */
                   "0003 666f6f" /*   Name "foo" */
                   "00000001"    /*   PartitionData: 1 */
                   "00000000"    /*     Index 0 */
                   "00000003 616263" /*   Records (int32 length) */);
    kp_buf_free(&b);
}

#define REQ_V12                                                                                    \
    "03 7478"     /* TransactionalId "tx" (compact) */                                             \
    "0001"        /* Acks 1 */                                                                     \
    "000003e8"    /* TimeoutMs 1000 */                                                             \
    "03"          /* TopicData: 2 */                                                               \
    "04 666f6f"   /*   Name "foo" */                                                               \
    "03"          /*   PartitionData: 2 */                                                         \
    "00000000"    /*     Index 0 */                                                                \
    "04 616263"   /*     Records "abc" (compact: length+1) */                                      \
    "00"          /*     partition tags */                                                         \
    "00000005"    /*     Index 5 */                                                                \
    "00"          /*     Records null */                                                           \
    "00"          /*     partition tags */                                                         \
    "00"          /*   topic tags */                                                               \
    "02 62"       /*   Name "b" */                                                                 \
    "02"          /*   PartitionData: 1 */                                                         \
    "00000002"    /*     Index 2 */                                                                \
    "05 deadbeef" /*     Records: 4 bytes */                                                       \
    "00"          /*     partition tags */                                                         \
    "00"          /*   topic tags */                                                               \
    "00"          /* tags */

static void test_request_v12(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    size_t start = kp_req_begin(&b, 0, 12, 77, "c", 1);
    size_t body = b.len;
    kp_produce_req_writer w;
    assert_int_equal(kp_produce_req_begin(&w, &b, 12, "tx", 1, 1000, 2), KPROD_ERR_NO_ERROR);
    kp_produce_req_topic(&w, "foo", 2);
    kp_produce_req_partition(&w, 0, "abc", 3);
    kp_produce_req_partition(&w, 5, NULL, 0);
    kp_produce_req_topic(&w, "b", 1);
    kp_produce_req_partition(&w, 2, "\xde\xad\xbe\xef", 4);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR_NO_ERROR);
    kp_req_end(&b, start);

    kpv_expect_buf(&b, body, REQ_V12);
    /* The frame size counts the whole body, batches included. */
    kp_rd r;
    kp_rd_init(&r, b.data, b.len);
    assert_int_equal(kp_rd_i32(&r), (int32_t)(b.len - 4));
    kp_buf_free(&b);
}

/* Reads a request back by the schema, at any version, checking what the
 * writer was given in test_request_walk. */
static void walk_request(const kp_buf *b, int16_t ver) {
    int flex = ver >= 9;
    kp_rd r;
    kp_rd_init(&r, b->data, b->len);
    kp_slice s = flex ? kp_rd_compact_string(&r) : kp_rd_string(&r);
    assert_int_equal(s.len, -1);
    assert_int_equal(kp_rd_i16(&r), -1);
    assert_int_equal(kp_rd_i32(&r), 5000);
    int32_t nt = flex ? kp_rd_compact_array_len(&r, 1) : kp_rd_array_len(&r, 1);
    assert_int_equal(nt, 2);
    for (int t = 0; t < nt; t++) {
        s = flex ? kp_rd_compact_string(&r) : kp_rd_string(&r);
        assert_int_equal(s.len, 2);
        assert_memory_equal(s.p, t ? "t1" : "t0", 2);
        int32_t np = flex ? kp_rd_compact_array_len(&r, 1) : kp_rd_array_len(&r, 1);
        assert_int_equal(np, t + 1);
        for (int p = 0; p < np; p++) {
            assert_int_equal(kp_rd_i32(&r), 10 * t + p);
            kp_slice rec = flex ? kp_rd_compact_bytes(&r) : kp_rd_bytes(&r);
            assert_int_equal(rec.len, 200 + p);
            for (int i = 0; i < rec.len; i++)
                assert_int_equal(rec.p[i], (uint8_t)(t + p + i));
            if (flex)
                assert_int_equal(kp_rd_uvarint(&r), 0); /* partition tags */
        }
        if (flex)
            assert_int_equal(kp_rd_uvarint(&r), 0); /* topic tags */
    }
    if (flex)
        assert_int_equal(kp_rd_uvarint(&r), 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(kp_rd_remaining(&r), 0);
}

static void test_request_walk(void **state) {
    (void)state;
    uint8_t rec[256];
    for (int16_t ver = 3; ver <= 12; ver++) {
        kp_buf b;
        kp_buf_init(&b, 0);
        kp_produce_req_writer w;
        assert_int_equal(kp_produce_req_begin(&w, &b, ver, NULL, -1, 5000, 2), KPROD_ERR_NO_ERROR);
        for (int t = 0; t < 2; t++) {
            kp_produce_req_topic(&w, t ? "t1" : "t0", t + 1);
            for (int p = 0; p <= t; p++) {
                for (int i = 0; i < 200 + p; i++)
                    rec[i] = (uint8_t)(t + p + i);
                kp_produce_req_partition(&w, 10 * t + p, rec, (size_t)(200 + p));
            }
        }
        assert_int_equal(kp_produce_req_end(&w), KPROD_ERR_NO_ERROR);
        walk_request(&b, ver);
        kp_buf_free(&b);
    }
}

static void test_request_misuse(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_produce_req_writer w;
    assert_int_equal(kp_produce_req_begin(&w, &b, 2, NULL, 1, 1, 0), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_produce_req_begin(&w, &b, 13, NULL, 1, 1, 0), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_produce_req_begin(&w, &b, 9, NULL, 1, 1, -1), KPROD_ERR__INVALID_ARG);
    /* fewer partitions than announced */
    assert_int_equal(kp_produce_req_begin(&w, &b, 9, NULL, 1, 1, 1), KPROD_ERR_NO_ERROR);
    kp_produce_req_topic(&w, "a", 2);
    kp_produce_req_partition(&w, 0, "x", 1);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR__INVALID_ARG);
    /* more topics than announced */
    assert_int_equal(kp_produce_req_begin(&w, &b, 9, NULL, 1, 1, 1), KPROD_ERR_NO_ERROR);
    kp_produce_req_topic(&w, "a", 0);
    kp_produce_req_topic(&w, "b", 0);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR__INVALID_ARG);
    /* a topic left before its partitions were all added */
    assert_int_equal(kp_produce_req_begin(&w, &b, 9, NULL, 1, 1, 2), KPROD_ERR_NO_ERROR);
    kp_produce_req_topic(&w, "a", 1);
    kp_produce_req_topic(&w, "b", 0);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR__INVALID_ARG);
    /* a partition before any topic; a NULL topic name; records NULL with a length */
    assert_int_equal(kp_produce_req_begin(&w, &b, 3, NULL, 1, 1, 1), KPROD_ERR_NO_ERROR);
    kp_produce_req_partition(&w, 0, "x", 1);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_produce_req_begin(&w, &b, 3, NULL, 1, 1, 1), KPROD_ERR_NO_ERROR);
    kp_produce_req_topic(&w, NULL, 1);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_produce_req_begin(&w, &b, 3, NULL, 1, 1, 1), KPROD_ERR_NO_ERROR);
    kp_produce_req_topic(&w, "a", 1);
    kp_produce_req_partition(&w, 0, NULL, 5);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR__INVALID_ARG);
    /* counts of zero are fine */
    kp_buf_reset(&b);
    assert_int_equal(kp_produce_req_begin(&w, &b, 9, NULL, 0, 0, 0), KPROD_ERR_NO_ERROR);
    assert_int_equal(kp_produce_req_end(&w), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, "00 0000 00000000 01 00");
    kp_buf_free(&b);
}

/* ---- responses ---- */

typedef struct dec_ctx {
    int16_t version;
    int keep;
    kp_produce_resp resp;
} dec_ctx;

static kprod_err_t dec(kp_rd *r, void *vctx) {
    dec_ctx *c = vctx;
    kp_produce_resp resp;
    kprod_err_t err = kp_produce_resp_decode(r, c->version, &resp);
    if (err) {
        assert_null(resp.topics);
        assert_null(resp.nodes);
        return err;
    }
    if (c->keep)
        c->resp = resp;
    else
        kp_produce_resp_free(&resp);
    return err;
}

#define RESP_V3                                                                                    \
    "00000001"         /* Responses: 1 */                                                          \
    "0003 666f6f"      /*   Name "foo" */                                                          \
    "00000001"         /*   PartitionResponses: 1 */                                               \
    "00000000"         /*     Index 0 */                                                           \
    "0000"             /*     ErrorCode */                                                         \
    "0000000000000064" /*     BaseOffset 100 */                                                    \
    "ffffffffffffffff" /*     LogAppendTimeMs -1 */                                                \
    "00000005"         /* ThrottleTimeMs 5 */

static void test_response_v3(void **state) {
    (void)state;
    dec_ctx c = {.version = 3, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V3, dec, &c), KPROD_ERR_NO_ERROR);
    kp_produce_resp *m = &c.resp;
    assert_int_equal(m->throttle_ms, 5);
    assert_int_equal(m->topic_count, 1);
    assert_string_equal(m->topics[0].name, "foo");
    assert_int_equal(m->topics[0].partition_count, 1);
    kp_produce_resp_partition *p = &m->topics[0].partitions[0];
    assert_int_equal(p->index, 0);
    assert_int_equal(p->error_code, 0);
    assert_true(p->base_offset == 100);
    assert_true(p->log_append_time_ms == -1);
    assert_true(p->log_start_offset == -1); /* not in v3 */
    assert_int_equal(p->record_error_count, 0);
    assert_null(p->error_message);
    assert_int_equal(p->has_current_leader, 0);
    assert_int_equal(p->current_leader_id, -1);
    assert_int_equal(p->current_leader_epoch, -1);
    assert_int_equal(m->node_count, 0);
    kp_produce_resp_free(m);
}

#define V8_PART                                                                                    \
    "00000001"             /* Index 1 */                                                           \
    "0057"                 /* ErrorCode 87 INVALID_RECORD */                                       \
    "ffffffffffffffff"     /* BaseOffset -1 */                                                     \
    "ffffffffffffffff"     /* LogAppendTimeMs -1 */                                                \
    "0000000000000000"     /* LogStartOffset 0 (v5+) */                                            \
    "00000002"             /* RecordErrors: 2 (v8+) */                                             \
    "00000000 0003 626164" /* BatchIndex 0, "bad" */                                               \
    "00000002 ffff"        /* BatchIndex 2, message null */                                        \
    "0004 6f6f7073"        /* ErrorMessage "oops" */
#define RESP_V8 "00000001 0003666f6f 00000001" V8_PART "00000000"

static void test_response_v8(void **state) {
    (void)state;
    dec_ctx c = {.version = 8, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V8, dec, &c), KPROD_ERR_NO_ERROR);
    kp_produce_resp_partition *p = &c.resp.topics[0].partitions[0];
    assert_int_equal(p->index, 1);
    assert_int_equal(p->error_code, 87);
    assert_true(p->base_offset == -1);
    assert_true(p->log_start_offset == 0);
    assert_int_equal(p->record_error_count, 2);
    assert_int_equal(p->record_errors[0].batch_index, 0);
    assert_string_equal(p->record_errors[0].message, "bad");
    assert_int_equal(p->record_errors[1].batch_index, 2);
    assert_null(p->record_errors[1].message);
    assert_string_equal(p->error_message, "oops");
    kp_produce_resp_free(&c.resp);
}

#define V12_T1                                                                                     \
    "04 666f6f"            /* Name "foo" */                                                        \
    "02"                   /* PartitionResponses: 1 */                                             \
    "00000000"             /*   Index 0 */                                                         \
    "0006"                 /*   ErrorCode 6 NOT_LEADER_OR_FOLLOWER */                              \
    "ffffffffffffffff"     /*   BaseOffset -1 */                                                   \
    "ffffffffffffffff"     /*   LogAppendTimeMs -1 */                                              \
    "ffffffffffffffff"     /*   LogStartOffset -1 */                                               \
    "01"                   /*   RecordErrors: empty */                                             \
    "00"                   /*   ErrorMessage null */                                               \
    "01"                   /*   tags: 1 */                                                         \
    "00 09"                /*     tag 0 CurrentLeader, 9 bytes: */                                 \
    "00000003 0000000b 00" /*   LeaderId 3, LeaderEpoch 11, tags */                                \
    "00"                   /* topic tags */
#define V12_T2                                                                                     \
    "02 62"                  /* Name "b" */                                                        \
    "02"                     /* PartitionResponses: 1 */                                           \
    "00000002"               /*   Index 2 */                                                       \
    "0000"                   /*   ErrorCode */                                                     \
    "000000000000002a"       /*   BaseOffset 42 */                                                 \
    "000001890a0b0c0d"       /*   LogAppendTimeMs */                                               \
    "0000000000000000"       /*   LogStartOffset 0 */                                              \
    "02 00000000 03 6869 00" /* RecordErrors: 1 {0, "hi", tags} */                                 \
    "03 6f6b"                /*   ErrorMessage "ok" */                                             \
    "01 05 02 abcd"          /*   tags: unknown tag 5 (skipped) */                                 \
    "00"                     /* topic tags */
#define V12_NODES                                                                                  \
    "01"                    /* tags: 1 */                                                          \
    "00 15"                 /*   tag 0 NodeEndpoints, 21 bytes: */                                 \
    "02"                    /*     1 endpoint */                                                   \
    "00000003"              /*     NodeId 3 */                                                     \
    "0a 6c6f63616c686f7374" /*     Host "localhost" */                                             \
    "00002386"              /*     Port 9094 */                                                    \
    "00"                    /*     Rack null */                                                    \
    "00"                    /*     tags */
#define RESP_V12 "03" V12_T1 V12_T2 "00000000" V12_NODES

static void test_response_v12(void **state) {
    (void)state;
    dec_ctx c = {.version = 12, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V12, dec, &c), KPROD_ERR_NO_ERROR);
    kp_produce_resp *m = &c.resp;
    assert_int_equal(m->throttle_ms, 0);
    assert_int_equal(m->topic_count, 2);
    assert_string_equal(m->topics[0].name, "foo");
    kp_produce_resp_partition *p = &m->topics[0].partitions[0];
    assert_int_equal(p->index, 0);
    assert_int_equal(p->error_code, 6);
    assert_true(p->base_offset == -1);
    assert_true(p->log_append_time_ms == -1);
    assert_true(p->log_start_offset == -1);
    assert_int_equal(p->record_error_count, 0);
    assert_null(p->error_message);
    assert_int_equal(p->has_current_leader, 1);
    assert_int_equal(p->current_leader_id, 3);
    assert_int_equal(p->current_leader_epoch, 11);
    assert_string_equal(m->topics[1].name, "b");
    p = &m->topics[1].partitions[0];
    assert_int_equal(p->index, 2);
    assert_int_equal(p->error_code, 0);
    assert_true(p->base_offset == 42);
    assert_true(p->log_append_time_ms == 0x000001890a0b0c0dLL);
    assert_true(p->log_start_offset == 0);
    assert_int_equal(p->record_error_count, 1);
    assert_int_equal(p->record_errors[0].batch_index, 0);
    assert_string_equal(p->record_errors[0].message, "hi");
    assert_string_equal(p->error_message, "ok");
    assert_int_equal(p->has_current_leader, 0);
    assert_int_equal(m->node_count, 1);
    assert_int_equal(m->nodes[0].node_id, 3);
    assert_string_equal(m->nodes[0].host, "localhost");
    assert_int_equal(m->nodes[0].port, 9094);
    assert_null(m->nodes[0].rack);
    kp_produce_resp_free(m);
}

/* v9 is flexible but predates KIP-951: a tag 0 there is an unknown tag. */
static void test_response_v9_tag0_unknown(void **state) {
    (void)state;
    dec_ctx c = {.version = 9, .keep = 1};
    assert_int_equal(kpv_run_hex("02 04666f6f 02 00000000 0000 0000000000000000"
                                 "ffffffffffffffff 0000000000000000 01 00"
                                 "01 00 01 ff" /* tag 0, 1 byte: skipped */
                                 "00 00000000 00",
                                 dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.topics[0].partitions[0].has_current_leader, 0);
    kp_produce_resp_free(&c.resp);
}

static void test_response_truncated(void **state) {
    (void)state;
    dec_ctx c = {.version = 3};
    kpv_expect_prefixes_fail(RESP_V3, dec, &c);
    c.version = 8;
    kpv_expect_prefixes_fail(RESP_V8, dec, &c);
    c.version = 12;
    kpv_expect_prefixes_fail(RESP_V12, dec, &c);
}

static void test_response_hostile(void **state) {
    (void)state;
    dec_ctx c = {.version = 8};
    /* topic count 0x7fffffff / negative / null */
    kpv_expect_bad("7fffffff 0003666f6f 00000001" V8_PART "00000000", dec, &c);
    kpv_expect_bad("80000000 0003666f6f 00000001" V8_PART "00000000", dec, &c);
    kpv_expect_bad("ffffffff 00000000", dec, &c);
    /* topic name length 32767, and null */
    kpv_expect_bad("00000001 7fff666f6f 00000001" V8_PART "00000000", dec, &c);
    kpv_expect_bad("00000001 ffff 00000000 00000000", dec, &c);
    /* partition count 0x7fffffff */
    kpv_expect_bad("00000001 0003666f6f 7fffffff" V8_PART "00000000", dec, &c);
    /* record error count 0x7fffffff and -5 */
    kpv_expect_bad("00000001 0003666f6f 00000001 00000001 0057 ffffffffffffffff"
                   "ffffffffffffffff 0000000000000000 7fffffff 00000000 0003626164 ffff"
                   "00000000",
                   dec, &c);
    kpv_expect_bad("00000001 0003666f6f 00000001 00000001 0057 ffffffffffffffff"
                   "ffffffffffffffff 0000000000000000 fffffffb ffff 00000000",
                   dec, &c);
    c.version = 12;
    /* CurrentLeader tag too short for its struct (4 bytes) */
    kpv_expect_bad("02 04666f6f 02 00000000 0006 ffffffffffffffff ffffffffffffffff"
                   "ffffffffffffffff 01 00 01 00 04 00000003 00 00000000 00",
                   dec, &c);
    /* NodeEndpoints: a count of 2^31 inside a 21-byte tag */
    kpv_expect_bad("01 00000000 01 00 15 8080808008 00000003 0a6c6f63616c686f7374 00002386 00", dec,
                   &c);
    /* NodeEndpoints: host null */
    kpv_expect_bad("01 00000000 01 00 0c 02 00000003 00 00002386 00 00", dec, &c);
    /* a tag whose size runs past the end */
    kpv_expect_bad("01 00000000 01 07 7f 00", dec, &c);
    c.version = 13;
    assert_int_equal(kpv_run_hex(RESP_V3, dec, &c), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_v3),         cmocka_unit_test(test_request_v12),
        cmocka_unit_test(test_request_walk),       cmocka_unit_test(test_request_misuse),
        cmocka_unit_test(test_response_v3),        cmocka_unit_test(test_response_v8),
        cmocka_unit_test(test_response_v12),       cmocka_unit_test(test_response_v9_tag0_unknown),
        cmocka_unit_test(test_response_truncated), cmocka_unit_test(test_response_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
