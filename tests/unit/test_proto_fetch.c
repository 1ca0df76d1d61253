/* Fetch codec (src/protocol/fetch.c): request vectors at every version
 * where the layout changes (v4, v5, v7, v9, v11, v12, v13, v15), checked
 * at every version v4..v18,
 * argument checks, response vectors at v4, v5, v7, v11, v12 (tagged
 * fields), v13 (topic ids) and v16 (node endpoints), a round trip of real
 * record batches through a response into the batch walk (records are a
 * view, not a copy), and hostile input. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/batch_iter.h"
#include "protocol/codec.h"
#include "protocol/compression.h"
#include "protocol/fetch.h"

#define TOPIC_ID "000102030405060708090a0b0c0d0e0f"

static const kp_fetch_req_partition req_part = {.partition = 0,
                                                .current_leader_epoch = 5,
                                                .fetch_offset = 16,
                                                .last_fetched_epoch = 4,
                                                .partition_max_bytes = 0x10000};

static kp_fetch_req_topic req_topic(void) {
    kp_fetch_req_topic t = {.topic = "t", .partitions = &req_part, .partition_count = 1};
    for (int i = 0; i < 16; i++)
        t.topic_id[i] = (uint8_t)i;
    return t;
}

static void expect_req(int16_t ver, const char *hex) {
    kp_fetch_req_topic t = req_topic();
    kp_fetch_req req = {.max_wait_ms = 500,
                        .min_bytes = 1,
                        .max_bytes = 0x100000,
                        .isolation_level = KP_READ_COMMITTED,
                        .rack_id = "r",
                        .topics = &t,
                        .topic_count = 1};
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_fetch_req_encode(&b, ver, &req), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, hex);
    kp_buf_free(&b);
}

#define REQ_HEAD                                                                                   \
    "000001f4"                          /* MaxWaitMs 500 */                                        \
    "00000001"                          /* MinBytes 1 */                                           \
    "00100000"                          /* MaxBytes 1 MiB */                                       \
    "01"                                /* IsolationLevel 1: read_committed */
#define REQ_SESSION "00000000 ffffffff" /* SessionId 0, SessionEpoch -1: no session (v7+) */
#define REQ_V12_PART                                                                               \
    "02"               /*   Partitions: 1 */                                                       \
    "00000000"         /*     Partition 0 */                                                       \
    "00000005"         /*     CurrentLeaderEpoch 5 */                                              \
    "0000000000000010" /*     FetchOffset 16 */                                                    \
    "00000004"         /*     LastFetchedEpoch 4 (v12+) */                                         \
    "ffffffffffffffff" /*     LogStartOffset -1 */                                                 \
    "00010000"         /*     PartitionMaxBytes 64 KiB */                                          \
    "00"               /*     partition tags */                                                    \
    "00"               /*   topic tags */                                                          \
    "01"               /* ForgottenTopicsData: 0 */                                                \
    "02 72"            /* RackId "r" */                                                            \
    "00"               /* tags */

/* The request at each version where its layout changes; the versions in
 * between encode as the change before them. */
static const struct {
    int16_t from;
    const char *hex;
} req_vectors[] = {
    {4, "ffffffff"         /* ReplicaId -1: a consumer */
     REQ_HEAD "00000001"   /* Topics: 1 */
        "0001 74"          /*   Topic "t" */
        "00000001"         /*   Partitions: 1 */
        "00000000"         /*     Partition 0 */
        "0000000000000010" /*     FetchOffset 16 */
        "00010000" /*     PartitionMaxBytes */},
    {5, "ffffffff" REQ_HEAD "00000001 0001 74 00000001 00000000 0000000000000010"
        "ffffffffffffffff" /* LogStartOffset -1 (v5+: followers only) */
        "00010000"},
    {7, "ffffffff" REQ_HEAD REQ_SESSION
        "00000001 0001 74 00000001 00000000 0000000000000010 ffffffffffffffff 00010000"
        "00000000" /* ForgottenTopicsData: 0 (v7+) */},
    {9, "ffffffff" REQ_HEAD REQ_SESSION "00000001 0001 74 00000001 00000000"
        "00000005" /* CurrentLeaderEpoch 5 (v9+) */
        "0000000000000010 ffffffffffffffff 00010000 00000000"},
    {11, "ffffffff" REQ_HEAD REQ_SESSION
         "00000001 0001 74 00000001 00000000 00000005 0000000000000010 ffffffffffffffff"
         "00010000 00000000"
         "0001 72" /* RackId "r" (v11+) */},
    {12, "ffffffff" REQ_HEAD REQ_SESSION "02 02 74" /* Topics: 1, Topic "t" */ REQ_V12_PART},
    {13, "ffffffff" REQ_HEAD REQ_SESSION "02" TOPIC_ID /* TopicId (v13+) */ REQ_V12_PART},
    /* v15: no ReplicaId (followers send theirs in a tag); v18 the same. */
    {15, REQ_HEAD REQ_SESSION "02" TOPIC_ID REQ_V12_PART},
};

static void test_request_vectors(void **state) {
    (void)state;
    size_t k = 0, n = sizeof(req_vectors) / sizeof(req_vectors[0]);
    for (int16_t v = 4; v <= 18; v++) {
        while (k + 1 < n && req_vectors[k + 1].from <= v)
            k++;
        expect_req(v, req_vectors[k].hex);
    }
}

static void test_request_bad_args(void **state) {
    (void)state;
    kp_fetch_req_topic t = req_topic();
    kp_fetch_req req = {.isolation_level = 0, .topics = &t, .topic_count = 1};
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_fetch_req_encode(&b, 3, &req), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_fetch_req_encode(&b, 19, &req), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_fetch_req_encode(&b, 12, NULL), KPROD_ERR__INVALID_ARG);
    req.isolation_level = 2;
    assert_int_equal(kp_fetch_req_encode(&b, 12, &req), KPROD_ERR__INVALID_ARG);
    req.isolation_level = 0;
    req.topic_count = -1;
    assert_int_equal(kp_fetch_req_encode(&b, 12, &req), KPROD_ERR__INVALID_ARG);
    req.topic_count = 1;
    req.topics = NULL;
    assert_int_equal(kp_fetch_req_encode(&b, 12, &req), KPROD_ERR__INVALID_ARG);
    req.topics = &t;
    t.partitions = NULL;
    assert_int_equal(kp_fetch_req_encode(&b, 12, &req), KPROD_ERR__INVALID_ARG);
    t.partitions = &req_part;
    t.topic = NULL; /* a name is needed up to v12, an id from v13 */
    assert_int_equal(kp_fetch_req_encode(&b, 12, &req), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0);
    assert_int_equal(kp_fetch_req_encode(&b, 13, &req), KPROD_ERR_NO_ERROR);
    kp_buf_reset(&b);
    t.topic = "t";
    memset(t.topic_id, 0, 16);
    assert_int_equal(kp_fetch_req_encode(&b, 13, &req), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0);
    assert_int_equal(kp_fetch_req_encode(&b, 12, &req), KPROD_ERR_NO_ERROR);
    kp_buf_free(&b);
}

/* ---- responses ---- */

typedef struct dec_ctx {
    int16_t version;
    int keep;
    kp_fetch_resp resp;
} dec_ctx;

static kprod_err_t dec(kp_rd *r, void *vctx) {
    dec_ctx *c = vctx;
    kp_fetch_resp resp;
    kprod_err_t err = kp_fetch_resp_decode(r, c->version, &resp);
    if (err) {
        assert_null(resp.topics);
        assert_int_equal(resp.topic_count, 0);
        return err;
    }
    /* Every records view lies inside the bytes decoded. */
    for (int32_t i = 0; i < resp.topic_count; i++)
        for (int32_t j = 0; j < resp.topics[i].partition_count; j++) {
            const kp_fetch_resp_partition *p = &resp.topics[i].partitions[j];
            assert_true((p->records == NULL) == (p->records_len == 0));
            if (p->records)
                assert_true(p->records + p->records_len <= r->end);
        }
    if (c->keep)
        c->resp = resp;
    else
        kp_fetch_resp_free(&resp);
    return err;
}

#define P_HEAD                                                                                     \
    "00000000"                                        /* PartitionIndex 0 */                       \
    "0000"                                            /* ErrorCode */                              \
    "0000000000000009"                                /* HighWatermark 9 */                        \
    "0000000000000008"                                /* LastStableOffset 8 */
#define P_ABORTED "0000000000001234 0000000000000003" /* ProducerId 0x1234, FirstOffset 3 */
#define RESP_V4                                                                                    \
    "0000000a"                      /* ThrottleTimeMs 10 */                                        \
    "00000001"                      /* Responses: 1 */                                             \
    "0001 74"                       /*   Topic "t" */                                              \
    "00000001"                      /*   Partitions: 1 */                                          \
        P_HEAD "00000001"           /*     AbortedTransactions: 1 */                               \
        P_ABORTED "00000003 aabbcc" /* Records: 3 bytes */
#define RESP_V5                                                                                    \
    "0000000a 00000001 0001 74 00000001" P_HEAD "0000000000000002" /* LogStartOffset 2 (v5+) */    \
    "00000001" P_ABORTED "00000003 aabbcc"
#define RESP_V7                                                                                    \
    "0000000a"                                                                                     \
    "0000"     /* ErrorCode (v7+) */                                                               \
    "00000000" /* SessionId (v7+) */                                                               \
    "00000001 0001 74 00000001" P_HEAD "0000000000000002"                                          \
    "ffffffff" /* AbortedTransactions: null */                                                     \
    "ffffffff" /* Records: null */
#define RESP_V11                                                                                   \
    "0000000a 0000 00000000 00000001 0001 74 00000001" P_HEAD "0000000000000002"                   \
    "00000000" /* AbortedTransactions: 0 */                                                        \
    "00000002" /* PreferredReadReplica 2 (v11+) */                                                 \
    "00000000" /* Records: empty */
#define V12_PART                                                                                   \
    P_HEAD "0000000000000002"                                                                      \
           "02" P_ABORTED "00"                  /* AbortedTransactions: 1 (compact), tags */       \
           "ffffffff"                           /* PreferredReadReplica -1 */                      \
           "04 aabbcc"                          /* Records: 3 bytes (compact) */                   \
           "03"                                 /* tags: 3 */                                      \
           "00 0d 00000001 0000000000000005 00" /* 0 DivergingEpoch (skipped) */                   \
           "01 09 00000002 00000007 00"         /* 1 CurrentLeader: node 2, epoch 7 */             \
           "02 0d 0000000000000005 00000001 00" /* 2 SnapshotId (skipped) */
#define V12_PART_NULLS                                                                             \
    "00000001 0006 ffffffffffffffff ffffffffffffffff ffffffffffffffff"                             \
    "00"       /* AbortedTransactions: null */                                                     \
    "ffffffff" /* PreferredReadReplica */                                                          \
    "00"       /* Records: null */                                                                 \
    "00"
#define RESP_V12                                                                                   \
    "00000000 0000 00000000"                                                                       \
    "02 02 74"                        /* Responses: 1, Topic "t" (compact) */                      \
    "03" V12_PART V12_PART_NULLS "00" /* Partitions: 2, topic tags */                              \
    "00"
#define RESP_V13 "00000000 0000 00000000 02" TOPIC_ID "02" V12_PART "00 00"
#define RESP_V16                                                                                   \
    "00000000 0000 00000000 02" TOPIC_ID "02" V12_PART "00"                                        \
    "01 00 15" /* tag 0 NodeEndpoints, 21 bytes (skipped): */                                      \
    "02 00000002 0a 6c6f63616c686f7374 00002385 00 00" /* node 2 localhost:9093 */

static void check_head(const kp_fetch_resp_partition *p, int64_t log_start) {
    assert_int_equal(p->partition, 0);
    assert_int_equal(p->error_code, 0);
    assert_true(p->high_watermark == 9);
    assert_true(p->last_stable_offset == 8);
    assert_true(p->log_start_offset == log_start);
}

static void check_aborted(const kp_fetch_resp_partition *p) {
    assert_int_equal(p->aborted_count, 1);
    assert_true(p->aborted[0].producer_id == 0x1234);
    assert_true(p->aborted[0].first_offset == 3);
}

static void check_records(const kp_fetch_resp_partition *p) {
    assert_int_equal(p->records_len, 3);
    assert_memory_equal(p->records, "\xaa\xbb\xcc", 3);
}

static const kp_fetch_resp_partition *one(const kp_fetch_resp *r, const char *name) {
    assert_int_equal(r->topic_count, 1);
    if (name) {
        assert_string_equal(r->topics[0].topic, name);
    } else {
        assert_null(r->topics[0].topic);
        for (int i = 0; i < 16; i++)
            assert_int_equal(r->topics[0].topic_id[i], i);
    }
    assert_true(r->topics[0].partition_count >= 1);
    return &r->topics[0].partitions[0];
}

static void test_responses_classic(void **state) {
    (void)state;
    dec_ctx c = {.version = 4, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V4, dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.throttle_ms, 10);
    const kp_fetch_resp_partition *p = one(&c.resp, "t");
    check_head(p, -1);
    check_aborted(p);
    check_records(p);
    assert_int_equal(p->preferred_read_replica, -1);
    assert_int_equal(p->has_current_leader, 0);
    kp_fetch_resp_free(&c.resp);
    assert_null(c.resp.topics);

    c.version = 5;
    assert_int_equal(kpv_run_hex(RESP_V5, dec, &c), KPROD_ERR_NO_ERROR);
    p = one(&c.resp, "t");
    check_head(p, 2);
    check_aborted(p);
    check_records(p);
    kp_fetch_resp_free(&c.resp);

    c.version = 7;
    assert_int_equal(kpv_run_hex(RESP_V7, dec, &c), KPROD_ERR_NO_ERROR);
    p = one(&c.resp, "t");
    check_head(p, 2);
    assert_int_equal(p->aborted_count, 0); /* null */
    assert_null(p->aborted);
    assert_null(p->records); /* null */
    kp_fetch_resp_free(&c.resp);

    c.version = 11;
    assert_int_equal(kpv_run_hex(RESP_V11, dec, &c), KPROD_ERR_NO_ERROR);
    p = one(&c.resp, "t");
    assert_int_equal(p->aborted_count, 0);
    assert_int_equal(p->preferred_read_replica, 2);
    assert_null(p->records); /* empty */
    assert_int_equal(p->records_len, 0);
    kp_fetch_resp_free(&c.resp);
}

static void test_responses_flexible(void **state) {
    (void)state;
    dec_ctx c = {.version = 12, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V12, dec, &c), KPROD_ERR_NO_ERROR);
    const kp_fetch_resp_partition *p = one(&c.resp, "t");
    assert_int_equal(c.resp.topics[0].partition_count, 2);
    check_head(p, 2);
    check_aborted(p);
    check_records(p);
    assert_int_equal(p->has_current_leader, 1);
    assert_int_equal(p->current_leader_id, 2);
    assert_int_equal(p->current_leader_epoch, 7);
    p = &c.resp.topics[0].partitions[1];
    assert_int_equal(p->partition, 1);
    assert_int_equal(p->error_code, 6);
    assert_int_equal(p->aborted_count, 0);
    assert_null(p->records);
    assert_int_equal(p->has_current_leader, 0);
    assert_int_equal(p->current_leader_id, -1);
    assert_int_equal(p->current_leader_epoch, -1);
    kp_fetch_resp_free(&c.resp);

    for (int16_t v = 13; v <= 18; v++) {
        c.version = v;
        assert_int_equal(kpv_run_hex(v < 16 ? RESP_V13 : RESP_V16, dec, &c), KPROD_ERR_NO_ERROR);
        p = one(&c.resp, NULL);
        check_head(p, 2);
        check_aborted(p);
        check_records(p);
        assert_int_equal(p->current_leader_id, 2);
        kp_fetch_resp_free(&c.resp);
    }
}

/* Three real batches and the first bytes of a fourth (the broker's cut),
 * through a v4 and a v12 response, out through the batch walk: the
 * records are the response's own bytes, not a copy. */
static void test_round_trip(void **state) {
    (void)state;
    kp_buf recs;
    kp_buf_init(&recs, 0);
    size_t l0 = kpv_batch(&recs, 0, 2, 9, 0, 0, 1, KP_CODEC_NONE);
    size_t l1 = kpv_batch(&recs, 2, 5, 9, 0, 2, 1, KP_CODEC_LZ4);
    size_t l2 = kpv_batch(&recs, 7, 1, 9, 0, 7, 1, KP_CODEC_NONE);
    size_t whole = recs.len;
    kp_buf extra;
    kp_buf_init(&extra, 0);
    kpv_batch(&extra, 8, 3, 9, 0, 8, 1, KP_CODEC_NONE);
    kp_buf_put_raw(&recs, extra.data, 30); /* a batch cut after 30 bytes */
    kp_buf_free(&extra);
    assert_true(l0 + l1 + l2 == whole);

    for (int16_t v = 4; v <= 12; v += 8) {
        int flex = v >= 12;
        kp_buf b;
        kp_buf_init(&b, 0);
        kp_buf_put_i32(&b, 0); /* ThrottleTimeMs */
        if (v >= 7) {
            kp_buf_put_i16(&b, 0);
            kp_buf_put_i32(&b, 0);
        }
        kp_codec_put_arrlen(&b, flex, 1);
        kp_codec_put_str(&b, flex, "t");
        kp_codec_put_arrlen(&b, flex, 1);
        kp_buf_put_raw(&b, "\0\0\0\0\0\0", 6); /* PartitionIndex, ErrorCode */
        kp_buf_put_i64(&b, 11);                /* HighWatermark */
        kp_buf_put_i64(&b, 11);                /* LastStableOffset */
        if (v >= 5)
            kp_buf_put_i64(&b, 0);        /* LogStartOffset */
        kp_codec_put_arrlen(&b, flex, 0); /* AbortedTransactions */
        if (v >= 11)
            kp_buf_put_i32(&b, -1); /* PreferredReadReplica */
        if (flex)
            kp_buf_put_compact_bytes(&b, recs.data, (int32_t)recs.len);
        else
            kp_buf_put_bytes(&b, recs.data, (int32_t)recs.len);
        kp_codec_put_tags(&b, flex);
        kp_codec_put_tags(&b, flex);
        kp_codec_put_tags(&b, flex);
        assert_false(b.oom);

        kp_rd r;
        kp_rd_init(&r, b.data, b.len);
        kp_fetch_resp resp;
        assert_int_equal(kp_fetch_resp_decode(&r, v, &resp), KPROD_ERR_NO_ERROR);
        assert_int_equal(kp_rd_remaining(&r), 0);
        const kp_fetch_resp_partition *p = one(&resp, "t");
        assert_int_equal(p->records_len, recs.len);
        assert_true(p->records > b.data &&
                    p->records + p->records_len == b.data + b.len - (flex ? 3 : 0));
        kp_batch_iter it;
        kp_batch_iter_init(&it, p->records, p->records_len, 1);
        kp_rb_header h;
        static const int64_t base[] = {0, 2, 7};
        static const int32_t count[] = {2, 5, 1}, seq[] = {0, 2, 7};
        int n = 0;
        while (kp_batch_iter_next(&it, &h, NULL, NULL) == 1) {
            assert_true(n < 3);
            assert_true(h.base_offset == base[n]);
            assert_int_equal(h.record_count, count[n]);
            assert_int_equal(h.base_sequence, seq[n]);
            assert_true(h.producer_id == 9);
            assert_true(kp_batch_is_transactional(&h));
            n++;
        }
        assert_int_equal(n, 3);
        assert_int_equal(it.err, KPROD_ERR_NO_ERROR);
        assert_int_equal(it.truncated, 30);
        kp_fetch_resp_free(&resp);
        kp_buf_free(&b);
    }
    kp_buf_free(&recs);
}

static void test_response_hostile(void **state) {
    (void)state;
    dec_ctx c = {.version = 4};
    kpv_expect_prefixes_fail(RESP_V4, dec, &c);
    /* 2^31-1 topics; 2^28 partitions; 2^27 aborted transactions */
    kpv_expect_bad("0000000a 7fffffff 0001 74 00000000", dec, &c);
    kpv_expect_bad("0000000a 00000001 0001 74 10000000" P_HEAD "00000000 00000000", dec, &c);
    kpv_expect_bad("0000000a 00000001 0001 74 00000001" P_HEAD "08000000" P_ABORTED "00000000", dec,
                   &c);
    /* Records longer than the body; a records length of -2 */
    kpv_expect_bad("0000000a 00000001 0001 74 00000001" P_HEAD "00000000 00000004 aabbcc", dec, &c);
    kpv_expect_bad("0000000a 00000001 0001 74 00000001" P_HEAD "00000000 fffffffe", dec, &c);
    kpv_expect_bad("0000000a 00000001 ffff 00000000", dec, &c);    /* null topic name */
    kpv_expect_bad("0000000a 00000001 0001 74 ffffffff", dec, &c); /* null partitions */
    c.version = 5;
    kpv_expect_prefixes_fail(RESP_V5, dec, &c);
    kpv_expect_bad(RESP_V4, dec, &c); /* a v4 body lacks LogStartOffset */
    c.version = 7;
    kpv_expect_prefixes_fail(RESP_V7, dec, &c);
    c.version = 11;
    kpv_expect_prefixes_fail(RESP_V11, dec, &c);
    c.version = 12;
    kpv_expect_prefixes_fail(RESP_V12, dec, &c);
    kpv_expect_bad("00000000 0000 00000000 ffffffff0f 00", dec, &c);
    /* CurrentLeader shorter than its fields; a tag longer than the body */
    kpv_expect_bad("00000000 0000 00000000 02 02 74 02" P_HEAD "0000000000000002 01 ffffffff 01"
                   "01 01 05 00000002 00 00 00",
                   dec, &c);
    kpv_expect_bad("00000000 0000 00000000 02 02 74 02" P_HEAD "0000000000000002 01 ffffffff 01"
                   "01 01 7f 00 00 00",
                   dec, &c);
    /* Compact records of 2^31 bytes */
    kpv_expect_bad("00000000 0000 00000000 02 02 74 02" P_HEAD "0000000000000002 01 ffffffff"
                   "8180808008 00 00 00",
                   dec, &c);
    c.version = 13;
    kpv_expect_prefixes_fail(RESP_V13, dec, &c);
    c.version = 16;
    kpv_expect_prefixes_fail(RESP_V16, dec, &c);
    c.version = 3;
    assert_int_equal(kpv_run_hex(RESP_V4, dec, &c), KPROD_ERR__INVALID_ARG);
    c.version = 19;
    assert_int_equal(kpv_run_hex(RESP_V16, dec, &c), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_vectors),   cmocka_unit_test(test_request_bad_args),
        cmocka_unit_test(test_responses_classic), cmocka_unit_test(test_responses_flexible),
        cmocka_unit_test(test_round_trip),        cmocka_unit_test(test_response_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
