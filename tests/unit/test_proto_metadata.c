/* Metadata codec (src/protocol/metadata.c): request vectors across the
 * version changes (4, 8, 9, 10, 11, 13), response vectors at v4 and v13,
 * and hostile input. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/metadata.h"

#define ZERO_UUID "00000000000000000000000000000000"

static void expect_req(int16_t ver, const char *const *topics, int32_t n, int allow,
                       const char *hex) {
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_metadata_req_encode(&b, ver, topics, n, allow), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, hex);
    kp_buf_free(&b);
}

static void test_request_vectors(void **state) {
    (void)state;
    const char *foo[] = {"foo"};
    const char *two[] = {"foo", "ba"};
    expect_req(4, foo, 1, 1,
               "00000001"    /* Topics: 1 */
               "0003 666f6f" /*   Name "foo" */
               "01" /* AllowAutoTopicCreation */);
    expect_req(4, NULL, 0, 0,
               "ffffffff" /* Topics: null = all topics */
               "00" /* AllowAutoTopicCreation false */);
    expect_req(4, two, 0, 1, "00000000 01"); /* an empty list: no topics */
    expect_req(4, two, 2, 1, "00000002 0003666f6f 00026261 01");
    expect_req(8, foo, 1, 1,
               "00000001 0003666f6f 01"
               "00" /* IncludeClusterAuthorizedOperations (v8-10) */
               "00" /* IncludeTopicAuthorizedOperations (v8+) */);
    expect_req(9, foo, 1, 1,
               "02"        /* Topics: compact, 1 */
               "04 666f6f" /*   Name (compact) */
               "00"        /*   topic tags */
               "01 00 00"  /* AllowAuto, IncludeCluster, IncludeTopic */
               "00" /* tags */);
    expect_req(10, foo, 1, 1,
               "02" ZERO_UUID /* TopicId null (v10+) */
               "04666f6f 00"
               "01 00 00 00");
    expect_req(11, foo, 1, 0,
               "02" ZERO_UUID "04666f6f 00"
               "00 00" /* AllowAuto false, IncludeTopic; IncludeCluster gone */
               "00");
    expect_req(13, foo, 1, 1, "02" ZERO_UUID "04666f6f 00 01 00 00");
    expect_req(13, NULL, 0, 1, "00 01 00 00"); /* null compact array: all topics */
    expect_req(13, two, 0, 1, "01 01 00 00");  /* empty compact array */
}

static void test_request_bad_args(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    const char *bad[] = {"a", NULL};
    assert_int_equal(kp_metadata_req_encode(&b, 3, NULL, 0, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_metadata_req_encode(&b, 14, NULL, 0, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_metadata_req_encode(&b, 9, bad, 2, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_metadata_req_encode(&b, 9, bad, -1, 1), KPROD_ERR__INVALID_ARG);
    char *huge = malloc(40000);
    assert_non_null(huge);
    memset(huge, 'x', 39999);
    huge[39999] = '\0';
    const char *h[] = {huge};
    assert_int_equal(kp_metadata_req_encode(&b, 9, h, 1, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0); /* nothing written on refusal */
    free(huge);
    kp_buf_free(&b);
}

/* ---- responses ---- */

typedef struct dec_ctx {
    int16_t version;
    int keep;
    kp_metadata_resp resp;
} dec_ctx;

static kprod_err_t dec(kp_rd *r, void *vctx) {
    dec_ctx *c = vctx;
    kp_metadata_resp resp;
    kprod_err_t err = kp_metadata_resp_decode(r, c->version, &resp);
    if (err) {
        assert_null(resp.brokers);
        assert_null(resp.topics);
        assert_null(resp.cluster_id);
        return err;
    }
    if (c->keep)
        c->resp = resp;
    else
        kp_metadata_resp_free(&resp);
    return err;
}

/* v4, pieces named so hostile variants can swap one. */
#define V4_THROTTLE "0000000a" /* ThrottleTimeMs 10 */
#define V4_BROKER1                                                                                 \
    "00000001"                                           /* NodeId 1 */                            \
    "0009 6c6f63616c686f7374"                            /* Host "localhost" */                    \
    "00002384"                                           /* Port 9092 */                           \
    "ffff"                                               /* Rack null */
#define V4_BROKER2 "00000002 0001 68 00002385 0002 7231" /* 2, "h", 9093, rack "r1" */
#define V4_MID                                                                                     \
    "0003 636c31" /* ClusterId "cl1" */                                                            \
    "00000001"    /* ControllerId 1 */
#define V4_P0                                                                                      \
    "0000"                       /* ErrorCode */                                                   \
    "00000000"                   /* PartitionIndex 0 */                                            \
    "00000001"                   /* LeaderId 1 */                                                  \
    "00000002 00000001 00000002" /* ReplicaNodes [1, 2] */                                         \
    "00000001 00000001"          /* IsrNodes [1] */
#define V4_P1                                                                                      \
    "0005"     /* LEADER_NOT_AVAILABLE */                                                          \
    "00000001" /* PartitionIndex 1 */                                                              \
    "ffffffff" /* LeaderId -1 */                                                                   \
    "00000000" /* ReplicaNodes [] */                                                               \
    "00000000" /* IsrNodes [] */
#define V4_TOPIC                                                                                   \
    "0000"        /* ErrorCode */                                                                  \
    "0003 666f6f" /* Name "foo" */                                                                 \
    "00"          /* IsInternal */                                                                 \
    "00000002" V4_P0 V4_P1
#define RESP_V4 V4_THROTTLE "00000002" V4_BROKER1 V4_BROKER2 V4_MID "00000001" V4_TOPIC

static void test_response_v4(void **state) {
    (void)state;
    dec_ctx c = {.version = 4, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V4, dec, &c), KPROD_ERR_NO_ERROR);
    kp_metadata_resp *m = &c.resp;
    assert_int_equal(m->throttle_ms, 10);
    assert_int_equal(m->broker_count, 2);
    assert_int_equal(m->brokers[0].node_id, 1);
    assert_string_equal(m->brokers[0].host, "localhost");
    assert_int_equal(m->brokers[0].port, 9092);
    assert_null(m->brokers[0].rack);
    assert_int_equal(m->brokers[1].node_id, 2);
    assert_string_equal(m->brokers[1].host, "h");
    assert_int_equal(m->brokers[1].port, 9093);
    assert_string_equal(m->brokers[1].rack, "r1");
    assert_string_equal(m->cluster_id, "cl1");
    assert_int_equal(m->controller_id, 1);
    assert_int_equal(m->error_code, 0);
    assert_int_equal(m->topic_count, 1);
    kp_metadata_resp_topic *t = &m->topics[0];
    assert_int_equal(t->error_code, 0);
    assert_string_equal(t->name, "foo");
    assert_int_equal(t->is_internal, 0);
    static const uint8_t zero[16];
    assert_memory_equal(t->topic_id, zero, 16);
    assert_int_equal(t->partition_count, 2);
    kp_metadata_resp_partition *p = &t->partitions[0];
    assert_int_equal(p->error_code, 0);
    assert_int_equal(p->partition_index, 0);
    assert_int_equal(p->leader_id, 1);
    assert_int_equal(p->leader_epoch, -1); /* not in v4 */
    assert_int_equal(p->replica_count, 2);
    assert_int_equal(p->replica_nodes[0], 1);
    assert_int_equal(p->replica_nodes[1], 2);
    assert_int_equal(p->isr_count, 1);
    assert_int_equal(p->isr_nodes[0], 1);
    assert_int_equal(p->offline_count, 0);
    assert_null(p->offline_replicas);
    p = &t->partitions[1];
    assert_int_equal(p->error_code, 5);
    assert_int_equal(p->partition_index, 1);
    assert_int_equal(p->leader_id, -1);
    assert_int_equal(p->replica_count, 0);
    assert_null(p->replica_nodes);
    assert_int_equal(p->isr_count, 0);
    kp_metadata_resp_free(m);
    assert_null(m->topics);
}

#define V13_BROKER                                                                                 \
    "00000001"              /* NodeId 1 */                                                         \
    "0a 6c6f63616c686f7374" /* Host "localhost" (compact) */                                       \
    "00002384"              /* Port 9092 */                                                        \
    "03 7231"               /* Rack "r1" */                                                        \
    "00"                    /* tags */
#define V13_P0                                                                                     \
    "0000"                 /* ErrorCode */                                                         \
    "00000000"             /* PartitionIndex */                                                    \
    "00000001"             /* LeaderId */                                                          \
    "00000007"             /* LeaderEpoch 7 */                                                     \
    "03 00000001 00000002" /* ReplicaNodes [1, 2] */                                               \
    "02 00000001"          /* IsrNodes [1] */                                                      \
    "02 00000002"          /* OfflineReplicas [2] */                                               \
    "01 09 03 616263"      /* tags: unknown tag 9, 3 bytes (skipped) */
#define V13_T1                                                                                     \
    "0000"                             /* ErrorCode */                                             \
    "04 666f6f"                        /* Name "foo" */                                            \
    "000102030405060708090a0b0c0d0e0f" /* TopicId */                                               \
    "00"                               /* IsInternal */                                            \
    "02" V13_P0                        /* Partitions: 1 */                                         \
    "80000000"                         /* TopicAuthorizedOperations */                             \
    "00"                               /* tags */
#define V13_T2                                                                                     \
    "0064"                             /* ErrorCode 100 UNKNOWN_TOPIC_ID */                        \
    "00"                               /* Name null (v12+: asked by id) */                         \
    "11111111111111111111111111111111" /* TopicId */                                               \
    "01"                               /* IsInternal */                                            \
    "01"                               /* Partitions: empty */                                     \
    "80000000 00"
#define RESP_V13                                                                                   \
    "00000000"         /* ThrottleTimeMs */                                                        \
    "02" V13_BROKER    /* Brokers: 1 */                                                            \
    "04 636c31"        /* ClusterId "cl1" */                                                       \
    "00000001"         /* ControllerId */                                                          \
    "03" V13_T1 V13_T2 /* Topics: 2 */                                                             \
    "0081"             /* ErrorCode (v13) 129 */                                                   \
    "00"               /* tags */

static void test_response_v13(void **state) {
    (void)state;
    dec_ctx c = {.version = 13, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V13, dec, &c), KPROD_ERR_NO_ERROR);
    kp_metadata_resp *m = &c.resp;
    assert_int_equal(m->throttle_ms, 0);
    assert_int_equal(m->broker_count, 1);
    assert_int_equal(m->brokers[0].node_id, 1);
    assert_string_equal(m->brokers[0].host, "localhost");
    assert_int_equal(m->brokers[0].port, 9092);
    assert_string_equal(m->brokers[0].rack, "r1");
    assert_string_equal(m->cluster_id, "cl1");
    assert_int_equal(m->controller_id, 1);
    assert_int_equal(m->error_code, 129);
    assert_int_equal(m->topic_count, 2);
    kp_metadata_resp_topic *t = &m->topics[0];
    assert_int_equal(t->error_code, 0);
    assert_string_equal(t->name, "foo");
    for (int i = 0; i < 16; i++)
        assert_int_equal(t->topic_id[i], i);
    assert_int_equal(t->is_internal, 0);
    assert_int_equal(t->partition_count, 1);
    kp_metadata_resp_partition *p = &t->partitions[0];
    assert_int_equal(p->error_code, 0);
    assert_int_equal(p->partition_index, 0);
    assert_int_equal(p->leader_id, 1);
    assert_int_equal(p->leader_epoch, 7);
    assert_int_equal(p->replica_count, 2);
    assert_int_equal(p->replica_nodes[1], 2);
    assert_int_equal(p->isr_count, 1);
    assert_int_equal(p->isr_nodes[0], 1);
    assert_int_equal(p->offline_count, 1);
    assert_int_equal(p->offline_replicas[0], 2);
    t = &m->topics[1];
    assert_int_equal(t->error_code, 100);
    assert_null(t->name);
    assert_int_equal(t->topic_id[15], 0x11);
    assert_int_equal(t->is_internal, 1);
    assert_int_equal(t->partition_count, 0);
    assert_null(t->partitions);
    kp_metadata_resp_free(m);
}

/* v9..v11 in one vector family: v10 adds TopicId, v8-10 carry
 * ClusterAuthorizedOperations, v12 lets Name be null. */
static void test_response_mid_versions(void **state) {
    (void)state;
    dec_ctx c = {.version = 9, .keep = 1};
    assert_int_equal(kpv_run_hex("00000000 01 04636c31 00000001"
                                 "02 0000 04666f6f 00 01 80000000 00" /* topic, no id */
                                 "80000000" /* ClusterAuthorizedOperations */
                                 "00",
                                 dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.broker_count, 0);
    assert_string_equal(c.resp.topics[0].name, "foo");
    kp_metadata_resp_free(&c.resp);
    c.version = 10;
    assert_int_equal(kpv_run_hex("00000000 01 00 00000001"
                                 "02 0000 04666f6f" ZERO_UUID "00 01 80000000 00"
                                 "80000000 00",
                                 dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_null(c.resp.cluster_id);
    kp_metadata_resp_free(&c.resp);
    c.version = 11; /* ClusterAuthorizedOperations gone */
    assert_int_equal(kpv_run_hex("00000000 01 00 00000001"
                                 "02 0000 04666f6f" ZERO_UUID "01 01 80000000 00"
                                 "00",
                                 dec, &c),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.topics[0].is_internal, 1);
    kp_metadata_resp_free(&c.resp);
    /* A null Name is malformed before v12 and fine from v12. */
    kpv_expect_bad("00000000 01 00 00000001 02 0003 00" ZERO_UUID "00 01 80000000 00 00", dec, &c);
    c.version = 12;
    assert_int_equal(
        kpv_run_hex("00000000 01 00 00000001 02 0003 00" ZERO_UUID "00 01 80000000 00 00", dec, &c),
        KPROD_ERR_NO_ERROR);
    assert_null(c.resp.topics[0].name);
    kp_metadata_resp_free(&c.resp);
}

static void test_response_truncated(void **state) {
    (void)state;
    dec_ctx c = {.version = 4};
    kpv_expect_prefixes_fail(RESP_V4, dec, &c);
    c.version = 13;
    kpv_expect_prefixes_fail(RESP_V13, dec, &c);
}

static void test_response_hostile(void **state) {
    (void)state;
    dec_ctx c = {.version = 4};
    /* broker count 0x7fffffff, negative, null */
    kpv_expect_bad(V4_THROTTLE "7fffffff" V4_BROKER1 V4_BROKER2 V4_MID "00000001" V4_TOPIC, dec,
                   &c);
    kpv_expect_bad(V4_THROTTLE "fffffffe" V4_BROKER1 V4_BROKER2 V4_MID "00000001" V4_TOPIC, dec,
                   &c);
    kpv_expect_bad(V4_THROTTLE "ffffffff" V4_MID "00000001" V4_TOPIC, dec, &c);
    /* topic count 0x7fffffff */
    kpv_expect_bad(V4_THROTTLE "00000002" V4_BROKER1 V4_BROKER2 V4_MID "7fffffff" V4_TOPIC, dec,
                   &c);
    /* host length 32767 with 9 bytes there */
    kpv_expect_bad(V4_THROTTLE "00000001 00000001 7fff 6c6f63616c686f7374 00002384 ffff" V4_MID
                               "00000000",
                   dec, &c);
    /* host null (not nullable) */
    kpv_expect_bad(V4_THROTTLE "00000001 00000001 ffff 00002384 ffff" V4_MID "00000000", dec, &c);
    /* replica count 0x7fffffff, and -2 */
    kpv_expect_bad(V4_THROTTLE "00000000" V4_MID "00000001 0000 0003666f6f 00 00000001"
                               "0000 00000000 00000001 7fffffff 00000001 00000001",
                   dec, &c);
    kpv_expect_bad(V4_THROTTLE "00000000" V4_MID "00000001 0000 0003666f6f 00 00000001"
                               "0000 00000000 00000001 fffffffe 00000000",
                   dec, &c);
    /* partition count 0x7fffffff */
    kpv_expect_bad(V4_THROTTLE "00000000" V4_MID "00000001 0000 0003666f6f 00 7fffffff" V4_P0, dec,
                   &c);
    c.version = 13;
    /* compact counts near 2^32, a string of length 2^31, a tag past the end */
    kpv_expect_bad("00000000 ffffffff0f" V13_BROKER "04636c31 00000001 01 0000 00", dec, &c);
    kpv_expect_bad("00000000 01 04636c31 00000001 ffffffff0f" V13_T1 "0000 00", dec, &c);
    kpv_expect_bad("00000000 01 ffffffff07 636c31 00000001 01 0000 00", dec, &c);
    kpv_expect_bad("00000000 01 04636c31 00000001 01 0000 01 00 ff01", dec, &c);
    c.version = 3;
    assert_int_equal(kpv_run_hex(RESP_V4, dec, &c), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_vectors),       cmocka_unit_test(test_request_bad_args),
        cmocka_unit_test(test_response_v4),           cmocka_unit_test(test_response_v13),
        cmocka_unit_test(test_response_mid_versions), cmocka_unit_test(test_response_truncated),
        cmocka_unit_test(test_response_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
