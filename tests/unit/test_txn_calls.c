/* The transaction calls where no broker answers (bootstrap.servers points
 * at a closed port): what each call returns in each state it can reach
 * without a coordinator, and that nothing blocks past its timeout.
 * - a producer without transactional.id: every kprod_txn_* call is _STATE;
 * - a transactional one: kprod_send and begin are refused before init;
 *   init runs out of time (_TIMED_OUT, retriable) and the next init takes
 *   the same operation up; another call meanwhile is _STATE; close ends a
 *   pending init;
 * - arguments are checked before anything is handed over. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void on_report(const kprod_report_t *r, void *opaque) { (void)r, (void)opaque; }

static void test_not_transactional(void **state) {
    (void)state;
    kprod_t *p = kpt_new_producer(kpt_down_conf(NULL, on_report));
    assert_int_equal(kprod_txn_init(p, 100), KPROD_ERR__STATE);
    assert_non_null(strstr(kprod_last_errstr(), "transactional.id is not set"));
    assert_int_equal(kprod_txn_begin(p), KPROD_ERR__STATE);
    assert_int_equal(kprod_txn_commit(p, 100), KPROD_ERR__STATE);
    assert_int_equal(kprod_txn_abort(p, 100), KPROD_ERR__STATE);
    kprod_txn_offset_t o = {.topic = "t", .partition = 0, .offset = 1, .leader_epoch = -1};
    kprod_txn_group_t g = KPROD_TXN_GROUP_INIT("g");
    assert_int_equal(kprod_txn_send_offsets(p, &o, 1, &g, 100), KPROD_ERR__STATE);
    assert_int_equal(kprod_txn_init(NULL, 100), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_txn_commit(NULL, 100), KPROD_ERR__INVALID_ARG);
    kprod_close(p, 1000);
}

static kprod_t *txn_producer(void) {
    const char *props[] = {"transactional.id", "calls-test", NULL};
    return kpt_new_producer(kpt_down_conf(props, on_report));
}

static void test_before_and_during_init(void **state) {
    (void)state;
    kprod_t *p = txn_producer();
    kprod_record_t rec = kpt_value_record("t", 0, "v", 1);
    assert_int_equal(kprod_send(p, &rec, NULL, NULL), KPROD_ERR__STATE);
    assert_non_null(strstr(kprod_last_errstr(), "kprod_txn_begin"));
    assert_int_equal(kprod_txn_begin(p), KPROD_ERR__STATE);
    assert_int_equal(kprod_txn_commit(p, 100), KPROD_ERR__STATE);
    assert_int_equal(kprod_txn_abort(p, 100), KPROD_ERR__STATE);

    int64_t t0 = kpt_now_ms();
    kprod_err_t e = kprod_txn_init(p, 300);
    int64_t took = kpt_now_ms() - t0;
    assert_int_equal(e, KPROD_ERR__TIMED_OUT);
    assert_int_equal(kprod_txn_error_class(e), KPROD_TXN_ERR_RETRIABLE);
    assert_true(took >= 290 && took < 3000);
    /* Still initializing: begin and send wait for it; init again resumes. */
    assert_int_equal(kprod_txn_begin(p), KPROD_ERR__STATE);
    assert_non_null(strstr(kprod_last_errstr(), "initializing"));
    assert_int_equal(kprod_send(p, &rec, NULL, NULL), KPROD_ERR__STATE);
    assert_int_equal(kprod_txn_init(p, 100), KPROD_ERR__TIMED_OUT);
    /* close ends the pending operation */
    t0 = kpt_now_ms();
    kprod_close(p, 1000);
    assert_true(kpt_now_ms() - t0 < 5000);
}

typedef struct other_call {
    kprod_t *p;
    kprod_err_t err;
} other_call;

static void *init_in_thread(void *arg) {
    other_call *c = arg;
    c->err = kprod_txn_init(c->p, 1500);
    return NULL;
}

/* One transaction call at a time: the second one is refused, not queued. */
static void test_one_call_at_a_time(void **state) {
    (void)state;
    kprod_t *p = txn_producer();
    other_call c = {p, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, init_in_thread, &c), 0);
    /* Until the thread's init is under way, begin is refused for the
     * state; then for the call running (begin starts no operation of its
     * own, so it cannot get in the thread's way). Bounded by a deadline. */
    int running = 0;
    int64_t deadline = kpt_now_ms() + 1000;
    while (!running && kpt_now_ms() < deadline) {
        assert_int_equal(kprod_txn_begin(p), KPROD_ERR__STATE);
        running = strstr(kprod_last_errstr(), "another transaction call") != NULL;
    }
    assert_true(running);
    assert_int_equal(kprod_txn_abort(p, 100), KPROD_ERR__STATE);
    assert_non_null(strstr(kprod_last_errstr(), "another transaction call"));
    pthread_join(th, NULL);
    assert_int_equal(c.err, KPROD_ERR__TIMED_OUT);
    kprod_close(p, 1000);
}

static void test_offsets_arguments(void **state) {
    (void)state;
    kprod_t *p = txn_producer();
    kprod_txn_group_t g = KPROD_TXN_GROUP_INIT("g");
    kprod_txn_group_t nog = KPROD_TXN_GROUP_INIT("");
    kprod_txn_offset_t two[2] = {{"t", 0, 1, -1, NULL}, {"t", 0, 2, -1, NULL}};
    kprod_txn_offset_t neg = {"t", 0, -5, -1, NULL};
    kprod_txn_offset_t nop = {"t", -1, 5, -1, NULL};
    kprod_txn_offset_t notopic = {NULL, 0, 5, -1, NULL};
    assert_int_equal(kprod_txn_send_offsets(p, two, 2, &g, 100), KPROD_ERR__INVALID_ARG);
    assert_non_null(strstr(kprod_last_errstr(), "twice"));
    assert_int_equal(kprod_txn_send_offsets(p, &neg, 1, &g, 100), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_txn_send_offsets(p, &nop, 1, &g, 100), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_txn_send_offsets(p, &notopic, 1, &g, 100), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_txn_send_offsets(p, two, 1, &nog, 100), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_txn_send_offsets(p, two, 1, NULL, 100), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_txn_send_offsets(p, NULL, 1, &g, 100), KPROD_ERR__INVALID_ARG);
    /* valid, but no transaction is open */
    assert_int_equal(kprod_txn_send_offsets(p, two, 1, &g, 100), KPROD_ERR__STATE);
    kprod_close(p, 1000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_transactional),
        cmocka_unit_test(test_before_and_during_init),
        cmocka_unit_test(test_one_call_at_a_time),
        cmocka_unit_test(test_offsets_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
