/* Idempotence: when a partition's next batch may be sent, and how
 * sequences are given and acknowledged. The rule that matters most: until
 * the broker has acknowledged a batch of a partition, only one batch of it
 * is in flight, because a broker without state for the producer accepts any
 * first sequence (see kp_idem_may_send_locked). */
#include "testutil.h"

#include <string.h>

#include "idempotence.h"

static kprod_t prod; /* only cfg is read by the functions under test */

static kp_batch batch(int32_t count) {
    kp_batch b;
    memset(&b, 0, sizeof(b));
    b.base_seq = -1;
    b.w.count = count;
    return b;
}

static void test_off_always_sends(void **state) {
    (void)state;
    memset(&prod, 0, sizeof(prod));
    prod.cfg.enable_idempotence = 0;
    kp_partq q = {.inflight = 20};
    kp_batch b = batch(1);
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b), 1);
    b.attempts = 3;
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b), 1);
    kp_idem_assign_seq_locked(&prod, &q, &b);
    assert_int_equal(b.base_seq, -1);
}

/* A new partition: the first batch goes alone; once acknowledged, up to
 * five are in flight. */
static void test_first_batch_alone_then_five(void **state) {
    (void)state;
    memset(&prod, 0, sizeof(prod));
    prod.cfg.enable_idempotence = 1;
    kp_partq q;
    memset(&q, 0, sizeof(q));
    kp_batch b0 = batch(3), b1 = batch(2), b2 = batch(4);

    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b0), 1);
    kp_idem_assign_seq_locked(&prod, &q, &b0);
    q.inflight++;
    assert_int_equal(b0.base_seq, 0);
    assert_int_equal(q.next_seq, 3);
    /* b0 in flight, not acknowledged: b1 waits. */
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b1), 0);

    /* b0 failed and is retried: still alone. */
    q.inflight--;
    b0.attempts = 1;
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b0), 1);
    kp_idem_assign_seq_locked(&prod, &q, &b0);
    assert_int_equal(b0.base_seq, 0); /* a retry keeps its sequence */
    q.inflight++;
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b1), 0);

    /* b0 acknowledged: the pipeline opens. */
    q.inflight--;
    kp_idem_acked_locked(&prod, &q, &b0);
    assert_int_equal(q.acked_next_seq, 3);
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b1), 1);
    kp_idem_assign_seq_locked(&prod, &q, &b1);
    assert_int_equal(b1.base_seq, 3);
    q.inflight = 4;
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b2), 1);
    q.inflight = 5;
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b2), 0);
    /* A retry waits for every batch in flight. */
    b2.attempts = 1;
    q.inflight = 1;
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b2), 0);
    q.inflight = 0;
    assert_int_equal(kp_idem_may_send_locked(&prod, &q, &b2), 1);
}

/* Sequences wrap from INT32_MAX to 0, as the broker expects. */
static void test_sequence_wraps(void **state) {
    (void)state;
    memset(&prod, 0, sizeof(prod));
    prod.cfg.enable_idempotence = 1;
    kp_partq q;
    memset(&q, 0, sizeof(q));
    q.next_seq = INT32_MAX - 1;
    kp_batch b = batch(5);
    kp_idem_assign_seq_locked(&prod, &q, &b);
    assert_int_equal(b.base_seq, INT32_MAX - 1);
    assert_int_equal(q.next_seq, 3);
    kp_idem_acked_locked(&prod, &q, &b);
    assert_int_equal(q.acked_next_seq, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_always_sends),
        cmocka_unit_test(test_first_batch_alone_then_five),
        cmocka_unit_test(test_sequence_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
