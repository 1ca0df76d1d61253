/* The idempotent producer's per-partition rules, without a broker: when a
 * batch may be sent (a retry alone, the partition's first batches one at a
 * time, then up to five in flight), how sequences are given and wrap, and
 * which OUT_OF_ORDER_SEQUENCE_NUMBER answers are only the echo of an
 * earlier batch's failure. These functions read only the configuration and
 * the partition, so a zeroed producer with the flag set is enough. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "idempotence.h"

static kprod_t *producer(int idempotence) {
    kprod_t *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->cfg.enable_idempotence = idempotence;
    p->producer_id = -1;
    return p;
}

static kp_batch batch(int32_t count) {
    kp_batch b;
    memset(&b, 0, sizeof(b));
    b.w.count = count;
    b.base_seq = -1;
    return b;
}

static void test_without_idempotence_anything_goes(void **state) {
    (void)state;
    kprod_t *p = producer(0);
    kp_partq q;
    memset(&q, 0, sizeof(q));
    kp_batch b = batch(3);
    q.inflight = 7;
    assert_true(kp_idem_may_send_locked(p, &q, &b));
    b.attempts = 2;
    assert_true(kp_idem_may_send_locked(p, &q, &b));
    kp_idem_assign_seq_locked(p, &q, &b);
    assert_int_equal(b.base_seq, -1);
    assert_false(kp_idem_retriable_locked(p, &q, &b, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    free(p);
}

/* Until the partition's first acknowledgement one batch at a time: the
 * broker accepts any first sequence from a producer it does not know, so a
 * second batch in flight could be stored ahead of a first that failed. */
static void test_first_batches_go_one_at_a_time(void **state) {
    (void)state;
    kprod_t *p = producer(1);
    kp_partq q;
    memset(&q, 0, sizeof(q));
    kp_batch a = batch(40), b = batch(33);
    assert_true(kp_idem_may_send_locked(p, &q, &a));
    kp_idem_assign_seq_locked(p, &q, &a);
    q.inflight = 1;
    assert_int_equal(a.base_seq, 0);
    assert_int_equal(q.next_seq, 40);
    assert_false(kp_idem_may_send_locked(p, &q, &b)); /* a not acknowledged yet */

    q.inflight = 0;
    kp_idem_acked_locked(p, &q, &a);
    assert_int_equal(q.acked_next_seq, 40);
    for (int n = 0; n < 5; n++) {
        q.inflight = n;
        assert_true(kp_idem_may_send_locked(p, &q, &b));
    }
    q.inflight = 5; /* the broker remembers five batches */
    assert_false(kp_idem_may_send_locked(p, &q, &b));
    q.inflight = 1;
    kp_idem_assign_seq_locked(p, &q, &b);
    assert_int_equal(b.base_seq, 40);
    assert_int_equal(q.next_seq, 73);
    /* A sequence once given is kept for retries. */
    kp_idem_assign_seq_locked(p, &q, &b);
    assert_int_equal(b.base_seq, 40);
    assert_int_equal(q.next_seq, 73);
    free(p);
}

static void test_retry_goes_alone(void **state) {
    (void)state;
    kprod_t *p = producer(1);
    kp_partq q;
    memset(&q, 0, sizeof(q));
    q.acked = 1;
    kp_batch b = batch(1);
    b.attempts = 1;
    q.inflight = 1;
    assert_false(kp_idem_may_send_locked(p, &q, &b));
    q.inflight = 0;
    assert_true(kp_idem_may_send_locked(p, &q, &b));
    free(p);
}

/* OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the next one the
 * broker waits for only means an earlier batch failed: retry it, no bump.
 * For the next one it is a real gap: retry under a bumped epoch (KIP-360,
 * the Java client's rule). UNKNOWN_PRODUCER_ID: bump and retry. */
static void test_out_of_order_echo(void **state) {
    (void)state;
    kprod_t *p = producer(1);
    kp_partq q;
    memset(&q, 0, sizeof(q));
    kp_batch b = batch(10);
    b.base_seq = 50;
    q.acked_next_seq = 40;
    assert_true(kp_idem_retriable_locked(p, &q, &b, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert_false(p->epoch_bump_needed);
    q.acked_next_seq = 50;
    assert_true(kp_idem_retriable_locked(p, &q, &b, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert_true(p->epoch_bump_needed);
    p->epoch_bump_needed = 0;
    assert_true(kp_idem_retriable_locked(p, &q, &b, KPROD_ERR_UNKNOWN_PRODUCER_ID));
    assert_true(p->epoch_bump_needed);
    assert_false(kp_idem_retriable_locked(p, &q, &b, KPROD_ERR_INVALID_PRODUCER_EPOCH));
    free(p);
}

static void test_sequences_wrap(void **state) {
    (void)state;
    kprod_t *p = producer(1);
    kp_partq q;
    memset(&q, 0, sizeof(q));
    q.next_seq = INT32_MAX - 5;
    kp_batch b = batch(10);
    kp_idem_assign_seq_locked(p, &q, &b);
    assert_int_equal(b.base_seq, INT32_MAX - 5);
    assert_int_equal(q.next_seq, 4);
    kp_idem_acked_locked(p, &q, &b);
    assert_int_equal(q.acked_next_seq, 4);
    assert_true(q.acked);
    free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_idempotence_anything_goes),
        cmocka_unit_test(test_first_batches_go_one_at_a_time),
        cmocka_unit_test(test_retry_goes_alone),
        cmocka_unit_test(test_out_of_order_echo),
        cmocka_unit_test(test_sequences_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
