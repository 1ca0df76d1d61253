/* The transaction client against librdkafka's mock cluster (a second,
 * independent Kafka peer, tests/tools/mock_cluster.c), whose coordinator
 * errors a case can script. librdkafka 2.0.2's mock finalizes no
 * transaction.version, so these run the classic protocol (AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn below v5): Kafka 4.4 covers Transactions V2 in
 * tests/integration/test_txn_*.c. Each case checks what the calls return,
 * their class (kprod_txn_error_class), every record's one report, and that
 * the producer goes on where the class says it can:
 * - retriable coordinator errors (CONCURRENT_TRANSACTIONS,
 *   COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR) are retried inside init
 *   and commit; a call whose timeout runs out returns _TIMED_OUT and is
 *   taken up again by the next call;
 * - abortable ones (a partition refused, a record refused, the group
 *   refused) fail the transaction: its queued records are reported
 *   _TXN_ABORTED, abort works, the next transaction commits;
 * - PRODUCER_FENCED on EndTxn is fatal. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define API_PRODUCE 0
#define API_INIT_PRODUCER_ID 22
#define API_ADD_PARTITIONS 24
#define API_ADD_OFFSETS 25
#define API_END_TXN 26

static kpt_mock *g_mock;
static kprod_t *g_p;
static char g_topic[64];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_ok, g_aborted, g_other, g_reports;
static kprod_err_t g_other_err;

static void on_report(const kprod_report_t *r, void *opaque) {
    (void)opaque;
    pthread_mutex_lock(&g_lock);
    g_reports++;
    if (!r->err)
        g_ok++;
    else if (r->err == KPROD_ERR__TXN_ABORTED)
        g_aborted++;
    else {
        g_other++;
        g_other_err = r->err;
    }
    pthread_mutex_unlock(&g_lock);
}

static int setup(void **state) {
    (void)state;
    g_ok = g_aborted = g_other = g_reports = 0;
    g_mock = kpt_mock_start(3);
    kpt_unique_topic(g_topic, sizeof(g_topic), "mocktxn");
    kpt_mock_ok(g_mock, "topic %s 3 3", g_topic);
    for (int part = 0; part < 3; part++) /* one Produce request per partition */
        kpt_mock_ok(g_mock, "leader %s %d %d", g_topic, part, part + 1);
    char err[512], id[64];
    kprod_conf_t *conf = kprod_conf_new();
    snprintf(id, sizeof(id), "%s-id", g_topic);
    const char *props[][2] = {
        {"bootstrap.servers", kpt_mock_bootstrap(g_mock)},
        {"transactional.id", id},
        {"retry.backoff.ms", "50"},
        {"linger.ms", "60000"}, /* records wait for a flush (or the commit's) */
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        if (kprod_conf_set(conf, props[i][0], props[i][1], err, sizeof(err)))
            fail_msg("%s", err);
    kprod_conf_set_delivery_cb(conf, on_report, NULL);
    if (kprod_new(conf, &g_p, err, sizeof(err)))
        fail_msg("kprod_new: %s", err);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (g_p)
        kprod_close(g_p, 2000);
    g_p = NULL;
    kpt_mock_stop(g_mock);
    return 0;
}

static void expect_ok(kprod_err_t e, const char *what) {
    if (e)
        fail_msg("%s: %s (%s)", what, kprod_err_name(e), kprod_last_errstr());
}

static void send_n(int n) {
    for (int i = 0; i < n; i++) {
        kprod_record_t rec = kpt_value_record(g_topic, i % 3, "v", 1);
        expect_ok(kprod_send(g_p, &rec, NULL, NULL), "send");
    }
}

static int reports(int *ok, int *aborted, int *other) {
    pthread_mutex_lock(&g_lock);
    *ok = g_ok, *aborted = g_aborted, *other = g_other;
    int n = g_reports;
    pthread_mutex_unlock(&g_lock);
    return n;
}

/* A transaction of n records that must commit. */
static void commit_one(int n) {
    expect_ok(kprod_txn_begin(g_p), "begin");
    send_n(n);
    expect_ok(kprod_txn_commit(g_p, 10000), "commit");
}

static void test_retriable_init_and_commit(void **state) {
    (void)state;
    /* The coordinator is still aborting an earlier instance's transaction,
     * is loading, moved. */
    kpt_mock_ok(g_mock, "push_errors %d 4 51 51 14 16", API_INIT_PRODUCER_ID);
    int64_t t0 = kpt_now_ms();
    expect_ok(kprod_txn_init(g_p, 10000), "init");
    /* three of the four back off retry.backoff.ms (the move does too) */
    assert_true(kpt_now_ms() - t0 >= 150);
    kpt_mock_ok(g_mock, "push_errors %d 2 51 15", API_END_TXN);
    commit_one(6);
    int ok, ab, other;
    assert_int_equal(reports(&ok, &ab, &other), 6);
    assert_int_equal(ok, 6);
}

static void test_timeout_then_call_again(void **state) {
    (void)state;
    /* Every answer held 1.5 s: init's 300 ms run out, the next call picks
     * the same InitProducerId up. */
    kpt_mock_ok(g_mock, "rtt -1 1500");
    kprod_err_t e = kprod_txn_init(g_p, 300);
    assert_int_equal(e, KPROD_ERR__TIMED_OUT);
    assert_int_equal(kprod_txn_error_class(e), KPROD_TXN_ERR_RETRIABLE);
    assert_int_equal(kprod_txn_begin(g_p), KPROD_ERR__STATE); /* not initialized yet */
    kpt_mock_ok(g_mock, "rtt -1 0");
    expect_ok(kprod_txn_init(g_p, 20000), "init again");
    commit_one(3);
}

static void test_partition_refused(void **state) {
    (void)state;
    expect_ok(kprod_txn_init(g_p, 10000), "init");
    /* The topic's partitions may not join: the transaction fails. */
    kpt_mock_ok(g_mock, "push_errors %d 1 29", API_ADD_PARTITIONS);
    expect_ok(kprod_txn_begin(g_p), "begin");
    send_n(6);
    kprod_err_t e = kprod_txn_commit(g_p, 10000);
    printf("commit: %s (%s)\n", kprod_err_name(e), kprod_last_errstr());
    assert_int_equal(e, KPROD_ERR__TXN_ABORTABLE);
    assert_int_equal(kprod_txn_error_class(e), KPROD_TXN_ERR_ABORTABLE);
    assert_non_null(strstr(kprod_last_errstr(), "TOPIC_AUTHORIZATION_FAILED"));
    /* sends and offsets are refused until the abort */
    kprod_record_t rec = kpt_value_record(g_topic, 0, "v", 1);
    assert_int_equal(kprod_send(g_p, &rec, NULL, NULL), KPROD_ERR__TXN_ABORTABLE);
    expect_ok(kprod_txn_abort(g_p, 10000), "abort");
    int ok, ab, other;
    assert_int_equal(reports(&ok, &ab, &other), 6);
    assert_int_equal(ab, 6); /* never sent: their partitions never joined */
    commit_one(3);
    assert_int_equal(reports(&ok, &ab, &other), 9);
    assert_int_equal(ok, 3);
}

static void test_record_refused(void **state) {
    (void)state;
    expect_ok(kprod_txn_init(g_p, 10000), "init");
    expect_ok(kprod_txn_begin(g_p), "begin");
    /* One Produce answer refuses its batch for good (INVALID_RECORD). */
    kpt_mock_ok(g_mock, "push_errors %d 1 87", API_PRODUCE);
    send_n(3);
    kprod_err_t e = kprod_txn_commit(g_p, 10000);
    printf("commit: %s (%s)\n", kprod_err_name(e), kprod_last_errstr());
    assert_int_equal(e, KPROD_ERR__TXN_ABORTABLE);
    assert_non_null(strstr(kprod_last_errstr(), "INVALID_RECORD"));
    expect_ok(kprod_txn_abort(g_p, 10000), "abort");
    int ok, ab, other;
    assert_int_equal(reports(&ok, &ab, &other), 3);
    assert_int_equal(other, 1); /* the refused record, with its own error */
    assert_int_equal(g_other_err, KPROD_ERR_INVALID_RECORD);
    commit_one(3);
    assert_int_equal(reports(&ok, &ab, &other), 6);
}

static void test_group_refused(void **state) {
    (void)state;
    expect_ok(kprod_txn_init(g_p, 10000), "init");
    expect_ok(kprod_txn_begin(g_p), "begin");
    kpt_mock_ok(g_mock, "push_errors %d 1 30", API_ADD_OFFSETS);
    kprod_txn_offset_t o = {.topic = g_topic, .partition = 0, .offset = 3, .leader_epoch = -1};
    kprod_txn_group_t g = KPROD_TXN_GROUP_INIT("mock-group");
    kprod_err_t e = kprod_txn_send_offsets(g_p, &o, 1, &g, 10000);
    assert_int_equal(e, KPROD_ERR__TXN_ABORTABLE);
    assert_non_null(strstr(kprod_last_errstr(), "GROUP_AUTHORIZATION_FAILED"));
    expect_ok(kprod_txn_abort(g_p, 10000), "abort");
    /* the next transaction's offsets go through */
    expect_ok(kprod_txn_begin(g_p), "begin");
    expect_ok(kprod_txn_send_offsets(g_p, &o, 1, &g, 10000), "send_offsets");
    expect_ok(kprod_txn_commit(g_p, 10000), "commit");
}

static void test_fenced_on_commit(void **state) {
    (void)state;
    expect_ok(kprod_txn_init(g_p, 10000), "init");
    expect_ok(kprod_txn_begin(g_p), "begin");
    send_n(3);
    kpt_mock_ok(g_mock, "push_errors %d 1 90", API_END_TXN);
    kprod_err_t e = kprod_txn_commit(g_p, 10000);
    assert_int_equal(e, KPROD_ERR_PRODUCER_FENCED);
    assert_int_equal(kprod_txn_error_class(e), KPROD_TXN_ERR_FATAL);
    assert_int_equal(kprod_fatal_error(g_p, NULL, 0), KPROD_ERR_PRODUCER_FENCED);
    assert_int_equal(kprod_txn_abort(g_p, 1000), KPROD_ERR_PRODUCER_FENCED);
    assert_int_equal(kprod_txn_begin(g_p), KPROD_ERR_PRODUCER_FENCED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retriable_init_and_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_then_call_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fenced_on_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
