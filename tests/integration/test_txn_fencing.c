/* Fencing on the real broker: producer A opens a transaction and writes
 * records; producer B with the same transactional.id calls kprod_txn_init,
 * which fences A (the coordinator aborts A's open transaction and bumps the
 * epoch). A's next call fails with PRODUCER_FENCED, fatal: the error
 * callback and kprod_fatal_error say so, and every later call and send is
 * refused. B goes on; a read_committed reader (kcat) sees B's records
 * only, a read_uncommitted one A's too. */
#include "testutil.h"
#include "txnutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char topic[128], txn_id[128];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kprod_err_t fatal_seen;

static void on_error(kprod_err_t err, const char *reason, void *opaque) {
    (void)opaque;
    printf("error callback: %s: %s\n", kprod_err_name(err), reason);
    pthread_mutex_lock(&lock);
    if (!fatal_seen)
        fatal_seen = err;
    pthread_mutex_unlock(&lock);
}

static kprod_t *producer(int with_error_cb) {
    kprod_conf_t *conf = kprod_conf_new();
    char err[256];
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "transactional.id", txn_id, err, sizeof(err)), 0);
    if (with_error_cb)
        kprod_conf_set_error_cb(conf, on_error, NULL);
    return kpt_new_producer(conf);
}

static void expect_ok(kprod_err_t e, const char *what) {
    if (e)
        fail_msg("%s: %s (%s)", what, kprod_err_name(e), kprod_last_errstr());
}

static void test_second_producer_fences_first(void **state) {
    (void)state;
    kpt_unique_topic(topic, sizeof(topic), "kprod-txn-fence");
    kpt_unique_topic(txn_id, sizeof(txn_id), "kprod-txn-fence-id");
    kpt_create_topic(topic, 1, 1);

    kprod_t *a = producer(1);
    expect_ok(kprod_txn_init(a, 60000), "A init");
    expect_ok(kprod_txn_begin(a), "A begin");
    kpt_txn_send(a, topic, 0, "a-0");
    kpt_txn_send(a, topic, 0, "a-1");
    expect_ok(kprod_flush(a, 30000), "A flush");

    kprod_t *b = producer(0);
    int64_t t0 = kpt_now_ms();
    expect_ok(kprod_txn_init(b, 60000), "B init");
    printf("B's init (fencing A, aborting its transaction): %lld ms\n",
           (long long)(kpt_now_ms() - t0));

    /* A's next call: fenced, fatal. */
    kprod_err_t e = kprod_txn_commit(a, 30000);
    printf("A's commit: %s (%s)\n", kprod_err_name(e), kprod_last_errstr());
    assert_int_equal(e, KPROD_ERR_PRODUCER_FENCED);
    assert_int_equal(kprod_txn_error_class(e), KPROD_TXN_ERR_FATAL);
    char why[256];
    assert_int_equal(kprod_fatal_error(a, why, sizeof(why)), KPROD_ERR_PRODUCER_FENCED);
    assert_non_null(strstr(why, "PRODUCER_FENCED"));
    /* The error callback is served by poll. */
    int64_t deadline = kpt_now_ms() + 10000;
    kprod_err_t seen = 0;
    while (!seen && kpt_now_ms() < deadline) {
        kprod_poll(a, 100);
        pthread_mutex_lock(&lock);
        seen = fatal_seen;
        pthread_mutex_unlock(&lock);
    }
    assert_int_equal(seen, KPROD_ERR_PRODUCER_FENCED);
    /* Nothing else goes. */
    assert_int_equal(kprod_txn_begin(a), KPROD_ERR_PRODUCER_FENCED);
    assert_int_equal(kprod_txn_abort(a, 1000), KPROD_ERR_PRODUCER_FENCED);
    kprod_record_t rec = kpt_value_record(topic, 0, "late", 4);
    assert_int_equal(kprod_send(a, &rec, NULL, NULL), KPROD_ERR__FATAL);
    kprod_close(a, 5000);

    /* B carries on. */
    expect_ok(kprod_txn_begin(b), "B begin");
    kpt_txn_send(b, topic, 0, "b-0");
    kpt_txn_send(b, topic, 0, "b-1");
    expect_ok(kprod_txn_commit(b, 60000), "B commit");
    assert_int_equal(kprod_close(b, 10000), KPROD_ERR_NO_ERROR);

    int n;
    kpt_read *r = kpt_kcat_read(kpt_brokers(), topic, "read_committed", &n);
    assert_int_equal(n, 2);
    assert_int_equal(kpt_count_prefix(r, n, "b-"), 2);
    free(r);
    r = kpt_kcat_read(kpt_brokers(), topic, "read_uncommitted", &n);
    assert_int_equal(n, 4);
    assert_int_equal(kpt_count_prefix(r, n, "a-"), 2);
    free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_producer_fences_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
