/* The transaction client's answer checks (src/sender/txn_req.c): what it
 * believes of a coordinator's answer. Annotated byte vectors of real
 * layouts, then the lies a broker could tell: an answer that leaves out a
 * partition it was asked about, answers more than was asked, names an
 * impossible coordinator or one for another key, or reports success
 * without a producer. The codecs underneath have their own vector tests
 * (test_proto_txn.c, test_proto_find_coordinator.c). */
#include "testutil.h"

#include "proto_vectors.h"

#include "sender/txn_req.h"

static kp_rd rd_of(const char *hex, uint8_t **keep) {
    size_t n;
    *keep = kpv_hex(hex, &n);
    kp_rd r;
    kp_rd_init(&r, *keep, n);
    return r;
}

static const kp_txn_tp asked[] = {{"t", 0}, {"t", 1}};

static kprod_err_t add_partitions_v0(const char *hex, kprod_err_t *errs) {
    uint8_t *b;
    kp_rd r = rd_of(hex, &b);
    kprod_err_t e = kp_txn_resp_add_partitions(&r, 0, asked, 2, errs);
    free(b);
    return e;
}

static void test_add_partitions(void **state) {
    (void)state;
    kprod_err_t errs[2];
    /* throttle 0 | 1 topic "t" | 2 partitions: 1 -> 29 (answered out of
     * order), 0 -> NO_ERROR */
    assert_int_equal(add_partitions_v0("00000000 00000001 0001 74 00000002"
                                       " 00000001 001d  00000000 0000",
                                       errs),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(errs[0], KPROD_ERR_NO_ERROR);
    assert_int_equal(errs[1], KPROD_ERR_TOPIC_AUTHORIZATION_FAILED);
    /* partition 1 left out */
    assert_int_equal(add_partitions_v0("00000000 00000001 0001 74 00000001 00000000 0000", errs),
                     KPROD_ERR__BAD_MSG);
    /* partition 0 twice, 1 never: the second 0 is not a second question */
    assert_int_equal(add_partitions_v0("00000000 00000001 0001 74 00000002"
                                       " 00000000 0000  00000000 0000",
                                       errs),
                     KPROD_ERR__BAD_MSG);
    /* three answers to two questions */
    assert_int_equal(add_partitions_v0("00000000 00000001 0001 74 00000003"
                                       " 00000000 0000  00000001 0000  00000002 0000",
                                       errs),
                     KPROD_ERR__BAD_MSG);
    /* about another topic "u" */
    assert_int_equal(add_partitions_v0("00000000 00000001 0001 75 00000002"
                                       " 00000000 0000  00000001 0000",
                                       errs),
                     KPROD_ERR__BAD_MSG);
    /* truncated: the codec refuses it */
    assert_int_equal(add_partitions_v0("00000000 00000001 0001 74 00000002 00000000", errs),
                     KPROD_ERR__BAD_MSG);
}

static void test_offset_commit(void **state) {
    (void)state;
    kp_txn_off offs[1] = {{{"t", 3}, {3, 42, -1, NULL}}};
    kprod_err_t errs[1];
    uint8_t *b;
    /* v0: throttle 0 | 1 topic "t" | 1 partition: 3 -> ILLEGAL_GENERATION (22) */
    kp_rd r = rd_of("00000000 00000001 0001 74 00000001 00000003 0016", &b);
    assert_int_equal(kp_txn_resp_offset_commit(&r, 0, offs, 1, errs), KPROD_ERR_NO_ERROR);
    assert_int_equal(errs[0], KPROD_ERR_ILLEGAL_GENERATION);
    free(b);
    /* answered for partition 4, asked for 3 */
    r = rd_of("00000000 00000001 0001 74 00000001 00000004 0000", &b);
    assert_int_equal(kp_txn_resp_offset_commit(&r, 0, offs, 1, errs), KPROD_ERR__BAD_MSG);
    free(b);
}

static kprod_err_t find_v1(const char *hex, kp_txn_coord *co) {
    uint8_t *b;
    kp_rd r = rd_of(hex, &b);
    kprod_err_t e = kp_txn_resp_find(&r, 1, "tx", co);
    free(b);
    return e;
}

static void test_find_coordinator(void **state) {
    (void)state;
    kp_txn_coord co;
    /* v1: throttle 0 | error 0 | message null | node 3 | host "h" | port 9092 */
    assert_int_equal(find_v1("00000000 0000 ffff 00000003 0001 68 00002384", &co),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(co.err, KPROD_ERR_NO_ERROR);
    assert_int_equal(co.node_id, 3);
    assert_string_equal(co.host, "h");
    assert_int_equal(co.port, 9092);
    /* COORDINATOR_NOT_AVAILABLE (15): an answer, not a lie */
    assert_int_equal(find_v1("00000000 000f ffff ffffffff 0000 ffffffff", &co), KPROD_ERR_NO_ERROR);
    assert_int_equal(co.err, KPROD_ERR_COORDINATOR_NOT_AVAILABLE);
    /* success naming node -1, an empty host, port 0, port 65536 */
    assert_int_equal(find_v1("00000000 0000 ffff ffffffff 0001 68 00002384", &co),
                     KPROD_ERR__BAD_MSG);
    assert_int_equal(find_v1("00000000 0000 ffff 00000003 0000 00002384", &co), KPROD_ERR__BAD_MSG);
    assert_int_equal(find_v1("00000000 0000 ffff 00000003 0001 68 00000000", &co),
                     KPROD_ERR__BAD_MSG);
    assert_int_equal(find_v1("00000000 0000 ffff 00000003 0001 68 00010000", &co),
                     KPROD_ERR__BAD_MSG);
    /* v4 (flexible): throttle 0 | 1 coordinator: key "other" | node 3 |
     * host "h" | port 9092 | error 0 | message null | tags | tags: the
     * answer is about another key */
    uint8_t *b;
    kp_rd r = rd_of("00000000 02 06 6f74686572 00000003 02 68 00002384 0000 00 00 00", &b);
    assert_int_equal(kp_txn_resp_find(&r, 4, "tx", &co), KPROD_ERR__BAD_MSG);
    free(b);
    /* ... and with key "tx" it is believed */
    r = rd_of("00000000 02 03 7478 00000003 02 68 00002384 0000 00 00 00", &b);
    assert_int_equal(kp_txn_resp_find(&r, 4, "tx", &co), KPROD_ERR_NO_ERROR);
    assert_int_equal(co.node_id, 3);
    free(b);
}

static void test_producer_answers(void **state) {
    (void)state;
    kp_txn_pid pid;
    uint8_t *b;
    /* InitProducerId v0: throttle 0 | error 0 | producer id 7 | epoch 2 */
    kp_rd r = rd_of("00000000 0000 0000000000000007 0002", &b);
    assert_int_equal(kp_txn_resp_init_pid(&r, 0, &pid), KPROD_ERR_NO_ERROR);
    assert_true(pid.producer_id == 7 && pid.producer_epoch == 2 && pid.err == 0);
    free(b);
    /* success with producer id -1 */
    r = rd_of("00000000 0000 ffffffffffffffff 0000", &b);
    assert_int_equal(kp_txn_resp_init_pid(&r, 0, &pid), KPROD_ERR__BAD_MSG);
    free(b);
    /* CONCURRENT_TRANSACTIONS (51) with no producer: an answer */
    r = rd_of("00000000 0033 ffffffffffffffff ffff", &b);
    assert_int_equal(kp_txn_resp_init_pid(&r, 0, &pid), KPROD_ERR_NO_ERROR);
    assert_int_equal(pid.err, KPROD_ERR_CONCURRENT_TRANSACTIONS);
    free(b);
    /* EndTxn v5 (flexible): throttle 0 | error 0 | producer id 7 | epoch 3 | tags */
    r = rd_of("00000000 0000 0000000000000007 0003 00", &b);
    assert_int_equal(kp_txn_resp_end(&r, 5, &pid), KPROD_ERR_NO_ERROR);
    assert_true(pid.producer_id == 7 && pid.producer_epoch == 3);
    free(b);
    /* v5 success without the next epoch */
    r = rd_of("00000000 0000 ffffffffffffffff ffff 00", &b);
    assert_int_equal(kp_txn_resp_end(&r, 5, &pid), KPROD_ERR__BAD_MSG);
    free(b);
    /* v0: throttle 0 | error 0: no producer named, none expected */
    r = rd_of("00000000 0000", &b);
    assert_int_equal(kp_txn_resp_end(&r, 0, &pid), KPROD_ERR_NO_ERROR);
    assert_true(pid.producer_id == -1);
    free(b);
    /* AddOffsetsToTxn v0: PRODUCER_FENCED (90) */
    r = rd_of("00000000 005a", &b);
    assert_int_equal(kp_txn_resp_add_offsets(&r, 0, &pid), KPROD_ERR_NO_ERROR);
    assert_int_equal(pid.err, KPROD_ERR_PRODUCER_FENCED);
    free(b);
}

/* The encoders group a sorted list by topic, one topic entry per run. */
static void test_grouping(void **state) {
    (void)state;
    static const kp_txn_tp tps[] = {{"a", 0}, {"a", 2}, {"b", 1}};
    kp_buf out;
    kp_buf_init(&out, 64);
    assert_int_equal(kp_txn_req_add_partitions(&out, 0, "tx", 7, 1, tps, 3), KPROD_ERR_NO_ERROR);
    /* "tx" | producer 7 | epoch 1 | 2 topics: "a" [0, 2], "b" [1] */
    kpv_expect_buf(&out, 0,
                   "0002 7478 0000000000000007 0001 00000002"
                   " 0001 61 00000002 00000000 00000002"
                   " 0001 62 00000001 00000001");
    kp_buf_free(&out);
    assert_int_equal(kp_txn_req_add_partitions(&out, 0, "tx", 7, 1, tps, 0),
                     KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_partitions),   cmocka_unit_test(test_offset_commit),
        cmocka_unit_test(test_find_coordinator), cmocka_unit_test(test_producer_answers),
        cmocka_unit_test(test_grouping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
