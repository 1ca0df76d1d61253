/* Consumer offsets inside transactions, on the real broker, for a real
 * consumer group: Kafka's console consumer creates the group (it reads 5
 * records of a source topic and commits offset 5, then leaves). A
 * transactional producer then commits offsets for that group:
 * - with records, committed: the group's offset (Kafka's consumer-groups
 *   tool) becomes the one sent;
 * - aborted: it stays;
 * - offsets alone, committed: it moves again;
 * - with a member id the group does not know: the offsets are refused
 *   (UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION: abortable), the transaction is
 *   aborted and the next one works. */
#include "testutil.h"
#include "txnutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char source[128], out_topic[128], group[128], txn_id[128];

static void expect_ok(kprod_err_t e, const char *what) {
    if (e)
        fail_msg("%s: %s (%s)", what, kprod_err_name(e), kprod_last_errstr());
}

/* Ten records in the source topic, written without a transaction. */
static void fill_source(void) {
    kprod_conf_t *conf = kprod_conf_new();
    char err[256];
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)), 0);
    kprod_t *p = kpt_new_producer(conf);
    for (int i = 0; i < 10; i++) {
        char v[16];
        snprintf(v, sizeof(v), "src-%d", i);
        kprod_record_t rec = kpt_value_record(source, 0, v, strlen(v));
        expect_ok(kprod_send(p, &rec, NULL, NULL), "send source");
    }
    assert_int_equal(kprod_close(p, 30000), KPROD_ERR_NO_ERROR);
}

static kprod_err_t send_offset(kprod_t *p, int64_t offset, const char *member, int32_t generation) {
    kprod_txn_offset_t o = {.topic = source, .partition = 0, .offset = offset, .leader_epoch = -1};
    kprod_txn_group_t g = KPROD_TXN_GROUP_INIT(group);
    g.member_id = member;
    g.generation_id = generation;
    return kprod_txn_send_offsets(p, &o, 1, &g, 30000);
}

static void test_offsets_follow_the_transaction(void **state) {
    (void)state;
    kpt_unique_topic(source, sizeof(source), "kprod-txn-src");
    kpt_unique_topic(out_topic, sizeof(out_topic), "kprod-txn-out");
    kpt_unique_topic(group, sizeof(group), "kprod-txn-group");
    kpt_unique_topic(txn_id, sizeof(txn_id), "kprod-txn-off-id");
    kpt_create_topic(source, 1, 1);
    kpt_create_topic(out_topic, 1, 1);
    fill_source();
    kpt_group_create(kpt_brokers(), group, source, 5);
    assert_int_equal(kpt_group_offset(kpt_brokers(), group, source, 0), 5);

    kpt_txn_reports rep;
    kprod_t *p = kpt_txn_producer(kpt_brokers(), txn_id, NULL, &rep);
    expect_ok(kprod_txn_init(p, 60000), "init");

    /* Refused before anything is sent: no group, no offsets, bad values. */
    kprod_txn_offset_t bad = {.topic = source, .partition = 0, .offset = -1};
    kprod_txn_group_t g = KPROD_TXN_GROUP_INIT(group);
    assert_int_equal(kprod_txn_send_offsets(p, &bad, 1, &g, 1000), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_txn_send_offsets(p, NULL, 0, &g, 1000), KPROD_ERR__INVALID_ARG);
    /* Outside a transaction. */
    assert_int_equal(send_offset(p, 8, NULL, -1), KPROD_ERR__STATE);

    /* 1: a record and offset 8, committed. */
    expect_ok(kprod_txn_begin(p), "begin 1");
    kpt_txn_send(p, out_topic, 0, "t1");
    expect_ok(send_offset(p, 8, NULL, -1), "send_offsets 8");
    expect_ok(kprod_txn_commit(p, 60000), "commit 1");
    assert_int_equal(kpt_group_offset(kpt_brokers(), group, source, 0), 8);

    /* 2: a record and offset 9, aborted: the group keeps 8. */
    expect_ok(kprod_txn_begin(p), "begin 2");
    kpt_txn_send(p, out_topic, 0, "t2");
    expect_ok(send_offset(p, 9, NULL, -1), "send_offsets 9");
    expect_ok(kprod_txn_abort(p, 60000), "abort 2");

    /* 3: a member the group does not know: abortable. */
    expect_ok(kprod_txn_begin(p), "begin 3");
    kprod_err_t e = send_offset(p, 9, "no-such-member", 7);
    printf("offsets of an unknown member: %s (%s)\n", kprod_err_name(e), kprod_last_errstr());
    assert_int_equal(kprod_txn_error_class(e), KPROD_TXN_ERR_ABORTABLE);
    assert_int_equal(kprod_txn_commit(p, 1000), KPROD_ERR__TXN_ABORTABLE);
    expect_ok(kprod_txn_abort(p, 60000), "abort 3");
    /* Neither 9 (aborted in 2, refused in 3) became the group's offset. */
    assert_int_equal(kpt_group_offset(kpt_brokers(), group, source, 0), 8);

    /* 4: offsets alone, committed. */
    expect_ok(kprod_txn_begin(p), "begin 4");
    expect_ok(send_offset(p, 10, NULL, -1), "send_offsets 10");
    expect_ok(kprod_txn_commit(p, 60000), "commit 4");
    assert_int_equal(kpt_group_offset(kpt_brokers(), group, source, 0), 10);
    assert_int_equal(kprod_close(p, 10000), KPROD_ERR_NO_ERROR);

    int n;
    kpt_read *r = kpt_kcat_read(kpt_brokers(), out_topic, "read_committed", &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].value, "t1");
    free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_follow_the_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
