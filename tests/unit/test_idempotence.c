/* The idempotent producer's per-partition rules, without a broker: when a
 * batch may be sent (a retry alone, the partition's first batches one at a
 * time, then up to five in flight), how sequences are given and wrap, which
 * OUT_OF_ORDER_SEQUENCE_NUMBER answers are only the echo of an earlier
 * batch's failure, when the epoch must be bumped (KIP-360), and how a new
 * sequence generation makes every older partition and batch state count as
 * new. These functions read only cfg->enable_idempotence (kp_idem_init) and
 * never the request layer, so a zeroed configuration with the flag set and
 * a NULL kp_rl are enough. Nothing here reads a clock: kp_idem_tick gets its
 * time as a number, and only its paths that send nothing are driven. */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "config.h"
#include "sender/idempotence.h"

/* kp_idem keeps a pointer to its configuration: these live as long as the
 * test, and a fixture (below) holding that pointer may be copied. */
static const kp_config idempotent = {.enable_idempotence = 1, .retry_backoff_ms = 100};
static const kp_config not_idempotent = {.enable_idempotence = 0, .retry_backoff_ms = 100};

/* What a successful InitProducerId does (pid_response in idempotence.c). */
static void got_producer_id(kp_idem *idem, int64_t producer_id, int16_t epoch) {
    idem->producer_id = producer_id;
    idem->producer_epoch = epoch;
    idem->gen++;
    idem->bump_needed = 0;
}

static kp_idem_part part_new(void) {
    kp_idem_part part;
    memset(&part, 0, sizeof(part));
    return part;
}

static kp_batch batch(int32_t count) {
    kp_batch b;
    memset(&b, 0, sizeof(b));
    b.w.count = count;
    b.base_seq = -1;
    return b;
}

/* A producer's idempotence state and one of its partitions. */
typedef struct fixture {
    kp_idem idem;
    kp_idem_part part;
} fixture;

/* A producer under cfg that has no producer id yet. */
static fixture start_without_producer_id(const kp_config *cfg) {
    fixture fx;
    kp_idem_init(&fx.idem, cfg, NULL);
    fx.part = part_new();
    return fx;
}

/* An idempotent producer that got producer id 7, epoch 0: ready to send. */
static fixture start(void) {
    fixture fx = start_without_producer_id(&idempotent);
    got_producer_id(&fx.idem, 7, 0);
    return fx;
}

/* A batch of count records that got its sequence on part. */
static kp_batch sequenced_batch(const kp_idem *idem, kp_idem_part *part, int32_t count) {
    kp_batch b = batch(count);
    kp_idem_assign_seq(idem, part, &b);
    return b;
}

/* A batch of count records sequenced and acknowledged on part: its window
 * is open and the broker waits for the sequence after it. */
static void send_acked(kp_idem *idem, kp_idem_part *part, int32_t count) {
    kp_batch b = sequenced_batch(idem, part, count);
    kp_idem_acked(idem, part, &b);
}

/* b failed for good with err (kp_idem_failed finds it in b->err). */
static void fail_batch(kp_idem *idem, kp_idem_part *part, kp_batch *b, kprod_err_t err) {
    b->err = err;
    kp_idem_failed(idem, part, b);
}

/* Gives b its sequence on part and checks what it got and where the
 * partition's next sequence now is. */
static void expect_assign_seq(kp_idem *idem, kp_idem_part *part, kp_batch *b, int32_t base_seq,
                              int32_t next_seq) {
    kp_idem_assign_seq(idem, part, b);
    assert_int_equal(b->base_seq, base_seq);
    assert_int_equal(part->next_seq, next_seq);
}

/* Whether the epoch must be bumped, and so whether sending waits for it. */
static void expect_bump_needed(const kp_idem *idem, int needed) {
    if (needed) {
        assert_true(idem->bump_needed);
        assert_false(kp_idem_ready(idem));
    } else {
        assert_false(idem->bump_needed);
        assert_true(kp_idem_ready(idem));
    }
}

/* With idempotence off nothing is limited, sequenced or retried for
 * idempotence's sake: the flag must really switch the rules off. */
static void test_without_idempotence_anything_goes(void **state) {
    (void)state;
    fixture fx = start_without_producer_id(&not_idempotent);
    kp_batch b = batch(3);
    assert_true(kp_idem_ready(&fx.idem)); /* no producer id needed */
    assert_true(kp_idem_may_send(&fx.idem, &fx.part, 7, &b));
    b.attempts = 2;
    assert_true(kp_idem_may_send(&fx.idem, &fx.part, 7, &b));
    kp_idem_assign_seq(&fx.idem, &fx.part, &b);
    assert_int_equal(b.base_seq, -1);
    assert_false(kp_idem_retriable(&fx.idem, &fx.part, &b, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert_false(kp_idem_retriable(&fx.idem, &fx.part, &b, KPROD_ERR_UNKNOWN_PRODUCER_ID));
    fail_batch(&fx.idem, &fx.part, &b, KPROD_ERR_INVALID_PRODUCER_EPOCH);
    assert_false(fx.idem.bump_needed);
    assert_int_equal(kp_idem_fatal(&fx.idem), 0);
    assert_true(kp_idem_ready(&fx.idem));
    assert_int_equal(kp_idem_tick(&fx.idem, 1000, 0), INT64_MAX); /* never asks for an id */
}

/* Until the partition's first acknowledgement one batch at a time: the
 * broker accepts any first sequence from a producer it does not know, so a
 * second batch in flight could be stored ahead of a first that failed. */
static void test_first_batches_go_one_at_a_time(void **state) {
    (void)state;
    fixture fx = start();
    kp_batch a = batch(40), b = batch(33);
    assert_true(kp_idem_may_send(&fx.idem, &fx.part, 0, &a));
    expect_assign_seq(&fx.idem, &fx.part, &a, 0, 40);
    assert_false(kp_idem_may_send(&fx.idem, &fx.part, 1, &b)); /* a not acknowledged yet */

    kp_idem_acked(&fx.idem, &fx.part, &a);
    assert_true(fx.part.acked);
    assert_int_equal(fx.part.acked_next_seq, 40);
    for (int n = 0; n < KP_IDEM_MAX_INFLIGHT; n++)
        assert_true(kp_idem_may_send(&fx.idem, &fx.part, n, &b));
    /* the broker remembers five batches */
    assert_false(kp_idem_may_send(&fx.idem, &fx.part, KP_IDEM_MAX_INFLIGHT, &b));
    expect_assign_seq(&fx.idem, &fx.part, &b, 40, 73);
    /* A sequence once given is kept for retries. */
    expect_assign_seq(&fx.idem, &fx.part, &b, 40, 73);
}

/* A transaction's new epoch (every transaction with Transactions V2) on
 * a partition that acknowledged this producer id before: the broker knows
 * the producer and takes only sequence 0 first under the new epoch, so
 * batches pipeline from the start. A partition that never saw the id, a
 * new producer id, or a producer that is not transactional still send one
 * batch at a time first. */
static void test_new_transaction_epoch_on_known_partition_pipelines(void **state) {
    (void)state;
    static const kp_config txn = {
        .enable_idempotence = 1, .retry_backoff_ms = 100, .transactional_id = "tx"};
    fixture fx = start_without_producer_id(&txn);
    assert_true(fx.idem.managed);
    kp_idem_set_producer(&fx.idem, 7, 0);
    kp_idem_part other = part_new();
    kp_batch a = batch(10), b = batch(10), c = batch(10);
    assert_true(kp_idem_may_send(&fx.idem, &fx.part, 0, &a));
    expect_assign_seq(&fx.idem, &fx.part, &a, 0, 10);
    kp_idem_acked(&fx.idem, &fx.part, &a);

    kp_idem_set_producer(&fx.idem, 7, 1); /* the next transaction */
    assert_true(kp_idem_may_send(&fx.idem, &fx.part, 0, &b));
    expect_assign_seq(&fx.idem, &fx.part, &b, 0, 10);
    assert_true(kp_idem_may_send(&fx.idem, &fx.part, 1, &c)); /* b not acknowledged yet */
    assert_false(kp_idem_may_send(&fx.idem, &fx.part, KP_IDEM_MAX_INFLIGHT, &c));
    /* a partition this producer never wrote to */
    assert_true(kp_idem_may_send(&fx.idem, &other, 0, &c));
    assert_false(kp_idem_may_send(&fx.idem, &other, 1, &c));

    kp_idem_set_producer(&fx.idem, 8, 0); /* another producer id: unknown again */
    assert_false(kp_idem_may_send(&fx.idem, &fx.part, 1, &c));

    /* not transactional: a new epoch (KIP-360 bump) starts one at a time */
    fixture plain = start();
    kp_batch d = batch(5), e = batch(5);
    expect_assign_seq(&plain.idem, &plain.part, &d, 0, 5);
    kp_idem_acked(&plain.idem, &plain.part, &d);
    got_producer_id(&plain.idem, 7, 1);
    assert_false(kp_idem_may_send(&plain.idem, &plain.part, 1, &e));
}

/* A retry goes alone and first: a batch behind it in flight would reach
 * the broker with a sequence after the gap the retry is filling. */
static void test_retry_goes_alone(void **state) {
    (void)state;
    fixture fx = start();
    send_acked(&fx.idem, &fx.part, 1); /* window open: five may fly */
    kp_batch b = batch(1);
    b.attempts = 1;
    assert_false(kp_idem_may_send(&fx.idem, &fx.part, 1, &b));
    assert_true(kp_idem_may_send(&fx.idem, &fx.part, 0, &b));
}

/* OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the next one the
 * broker waits for only means an earlier batch failed: retry it, no bump,
 * or one failure would cost an epoch per batch behind it. */
static void test_out_of_order_on_later_batch_retries_without_bump(void **state) {
    (void)state;
    fixture fx = start();
    send_acked(&fx.idem, &fx.part, 40); /* the broker waits for 40 */
    kp_batch b = batch(10), c = batch(5);
    kp_idem_assign_seq(&fx.idem, &fx.part, &b);
    kp_idem_assign_seq(&fx.idem, &fx.part, &c);
    assert_int_equal(b.base_seq, 40);
    assert_int_equal(c.base_seq, 50);
    assert_true(kp_idem_retriable(&fx.idem, &fx.part, &c, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    expect_bump_needed(&fx.idem, 0);
}

/* OUT_OF_ORDER_SEQUENCE_NUMBER for the very batch the broker should take
 * next is a real gap between broker and client: only a new epoch (KIP-360,
 * the Java client's rule) restarts the sequences, and the batch is resent. */
static void test_out_of_order_on_next_batch_asks_for_bump(void **state) {
    (void)state;
    fixture fx = start();
    send_acked(&fx.idem, &fx.part, 40);
    kp_batch b = sequenced_batch(&fx.idem, &fx.part, 10); /* 40: the next one */
    assert_true(kp_idem_retriable(&fx.idem, &fx.part, &b, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    expect_bump_needed(&fx.idem, 1);

    /* The same before any acknowledgement: sequence 0 is the next one. */
    fixture fx2 = start();
    kp_batch d = sequenced_batch(&fx2.idem, &fx2.part, 3);
    assert_true(
        kp_idem_retriable(&fx2.idem, &fx2.part, &d, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert_true(fx2.idem.bump_needed);
}

/* UNKNOWN_PRODUCER_ID: the broker lost this producer's state, nothing of
 * the batch was written; resend it, under a bumped epoch. Other broker
 * errors are not idempotence's to cure. */
static void test_unknown_producer_id_asks_for_bump(void **state) {
    (void)state;
    fixture fx = start();
    kp_batch b = sequenced_batch(&fx.idem, &fx.part, 10);
    assert_false(kp_idem_retriable(&fx.idem, &fx.part, &b, KPROD_ERR_INVALID_PRODUCER_EPOCH));
    assert_false(kp_idem_retriable(&fx.idem, &fx.part, &b, KPROD_ERR_MESSAGE_TOO_LARGE));
    assert_false(fx.idem.bump_needed);
    assert_true(kp_idem_retriable(&fx.idem, &fx.part, &b, KPROD_ERR_UNKNOWN_PRODUCER_ID));
    expect_bump_needed(&fx.idem, 1);
}

/* Sequences wrap from INT32_MAX to 0, as the broker expects; anything else
 * would be refused after 2^31 records on one partition. */
static void test_sequences_wrap(void **state) {
    (void)state;
    fixture fx = start();
    fx.part.gen = fx.idem.gen; /* state of this generation: kept */
    fx.part.next_seq = INT32_MAX - 5;
    kp_batch b = batch(10);
    expect_assign_seq(&fx.idem, &fx.part, &b, INT32_MAX - 5, 4);
    kp_idem_acked(&fx.idem, &fx.part, &b);
    assert_int_equal(fx.part.acked_next_seq, 4);
    assert_true(fx.part.acked);
}

/* After a new producer id or epoch the broker expects sequence 0 on every
 * partition: the generation must reset each partition's state (and its
 * one-at-a-time start) without anything walking the partitions. */
static void test_new_generation_restarts_every_partition_at_zero(void **state) {
    (void)state;
    fixture fx = start();
    kp_idem_part p1 = part_new(), p2 = part_new();
    send_acked(&fx.idem, &p1, 40);
    send_acked(&fx.idem, &p2, 25);
    assert_int_equal(p1.next_seq, 40);
    assert_int_equal(p2.next_seq, 25);

    got_producer_id(&fx.idem, 7, 1); /* the bumped epoch */
    kp_batch c = batch(3), d = batch(4), e = batch(1);
    /* Not acknowledged under the new epoch: one at a time again. */
    assert_true(kp_idem_may_send(&fx.idem, &p1, 0, &c));
    assert_false(kp_idem_may_send(&fx.idem, &p1, 1, &c));
    kp_idem_assign_seq(&fx.idem, &p1, &c);
    kp_idem_assign_seq(&fx.idem, &p2, &d);
    assert_int_equal(c.base_seq, 0);
    assert_int_equal(d.base_seq, 0);
    assert_int_equal(p1.next_seq, 3);
    assert_int_equal(p2.next_seq, 4);
    assert_false(p1.acked);
    kp_idem_assign_seq(&fx.idem, &p1, &e);
    assert_int_equal(e.base_seq, 3);
}

/* A batch sequenced under the old epoch and retried under the new one must
 * get a sequence of the new generation: its old number means nothing to
 * the broker's fresh state and would be OUT_OF_ORDER. Until then it counts
 * as unsequenced: its acknowledgement or failure says nothing about the new
 * epoch's sequences. */
static void test_old_generation_batch_gets_new_sequence(void **state) {
    (void)state;
    fixture fx = start();
    send_acked(&fx.idem, &fx.part, 40);
    kp_batch b = sequenced_batch(&fx.idem, &fx.part, 10);
    assert_int_equal(b.base_seq, 40);
    uint32_t old_gen = b.seq_gen;

    got_producer_id(&fx.idem, 7, 1);
    /* Stale: failing it leaves no gap under the new epoch. */
    fail_batch(&fx.idem, &fx.part, &b, KPROD_ERR_NOT_ENOUGH_REPLICAS);
    assert_false(fx.idem.bump_needed);
    /* Stale: OUT_OF_ORDER for it is no gap of the new epoch either. */
    assert_true(kp_idem_retriable(&fx.idem, &fx.part, &b, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert_false(fx.idem.bump_needed);
    /* Stale: an acknowledgement does not move the new epoch's state. */
    kp_idem_acked(&fx.idem, &fx.part, &b);
    assert_false(fx.part.acked);

    b.err = KPROD_ERR_NO_ERROR;
    b.attempts = 1;
    expect_assign_seq(&fx.idem, &fx.part, &b, 0, 10);
    assert_int_not_equal(b.seq_gen, old_gen);
    assert_int_equal(b.seq_gen, fx.idem.gen);
    /* And now it is kept again through retries. */
    expect_assign_seq(&fx.idem, &fx.part, &b, 0, 10);
}

/* A batch with a sequence that will never be acknowledged and may have
 * been stored (an attempt went unanswered) leaves the broker and kprod
 * unsure of the next sequence: only a bump cures it. */
static void test_failed_sequenced_batch_asks_for_bump(void **state) {
    (void)state;
    fixture fx = start();
    kp_batch b = sequenced_batch(&fx.idem, &fx.part, 10);
    b.possibly_persisted = 1;
    fail_batch(&fx.idem, &fx.part, &b, KPROD_ERR__MSG_TIMED_OUT);
    expect_bump_needed(&fx.idem, 1);
    assert_int_equal(kp_idem_fatal(&fx.idem), 0); /* a bump, not the end */
}

/* A batch the broker refused (so certainly did not store), with no later
 * batch sequenced: the broker still expects its first sequence, so the
 * next batch takes it and no InitProducerId is needed. A broker that
 * refuses every batch (UNKNOWN_SERVER_ERROR from one too old for a codec)
 * used to cost one InitProducerId per failed batch. */
static void test_refused_last_batch_gives_back_its_sequences(void **state) {
    (void)state;
    fixture fx = start();
    send_acked(&fx.idem, &fx.part, 5); /* the broker now expects 5 */
    for (int i = 0; i < 6; i++) {
        kp_batch b = sequenced_batch(&fx.idem, &fx.part, 10);
        assert_int_equal(b.base_seq, 5);
        fail_batch(&fx.idem, &fx.part, &b, KPROD_ERR_UNKNOWN_SERVER_ERROR);
        expect_bump_needed(&fx.idem, 0);
        assert_int_equal(fx.part.next_seq, 5);
    }
    kp_batch c = batch(3);
    expect_assign_seq(&fx.idem, &fx.part, &c, 5, 8);
}

/* The same refusal with a later batch already sequenced leaves a gap that
 * batch will run into: a bump, as before. */
static void test_refused_batch_with_later_one_asks_for_bump(void **state) {
    (void)state;
    fixture fx = start();
    send_acked(&fx.idem, &fx.part, 5);
    kp_batch a = sequenced_batch(&fx.idem, &fx.part, 10);
    kp_batch b = sequenced_batch(&fx.idem, &fx.part, 10);
    assert_int_equal(b.base_seq, 15);
    fail_batch(&fx.idem, &fx.part, &a, KPROD_ERR_MESSAGE_TOO_LARGE);
    expect_bump_needed(&fx.idem, 1);
}

/* A batch that never got a sequence (expired before its first send)
 * leaves no gap: bumping for it would stall every partition for nothing. */
static void test_failed_unsequenced_batch_needs_no_bump(void **state) {
    (void)state;
    fixture fx = start();
    kp_batch b = batch(10);
    fail_batch(&fx.idem, &fx.part, &b, KPROD_ERR__MSG_TIMED_OUT);
    expect_bump_needed(&fx.idem, 0);
}

/* INVALID_PRODUCER_EPOCH: another producer took over this id (fenced); a
 * bump would fight it, so the producer stops with that error. */
static void test_invalid_producer_epoch_is_fatal(void **state) {
    (void)state;
    fixture fx = start();
    kp_batch b = sequenced_batch(&fx.idem, &fx.part, 10);
    fail_batch(&fx.idem, &fx.part, &b, KPROD_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(kp_idem_fatal(&fx.idem), KPROD_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(fx.idem.fatal_err, KPROD_ERR_INVALID_PRODUCER_EPOCH);
    assert_true(fx.idem.fatal_str[0] != '\0');
    assert_false(kp_idem_ready(&fx.idem));
    assert_int_equal(kp_idem_tick(&fx.idem, 1000, 0), INT64_MAX); /* no more InitProducerId */
    /* The first fatal error stays. */
    kp_batch c = sequenced_batch(&fx.idem, &fx.part, 1);
    fail_batch(&fx.idem, &fx.part, &c, KPROD_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(kp_idem_fatal(&fx.idem), KPROD_ERR_INVALID_PRODUCER_EPOCH);
}

/* Nothing may be sent without a producer id, nor while a bump is due: a
 * batch sent under the old epoch then would be sequenced wrongly. */
static void test_ready_only_with_producer_id_and_no_bump(void **state) {
    (void)state;
    fixture fx = start_without_producer_id(&idempotent);
    assert_int_equal(fx.idem.producer_id, -1);
    assert_false(kp_idem_ready(&fx.idem));
    got_producer_id(&fx.idem, 7, 0);
    assert_true(kp_idem_ready(&fx.idem));
    fx.idem.bump_needed = 1;
    assert_false(kp_idem_ready(&fx.idem));
    got_producer_id(&fx.idem, 7, 1);
    assert_true(kp_idem_ready(&fx.idem));
}

/* The epoch is bumped only once every answer under the old epoch is in
 * (they wake the sender), and InitProducerId is retried only after its
 * backoff: the time comes in as a number. */
static void test_bump_waits_for_inflight_and_backoff(void **state) {
    (void)state;
    fixture fx = start();
    assert_int_equal(kp_idem_tick(&fx.idem, 1000, 3), INT64_MAX); /* nothing to do */
    fx.idem.bump_needed = 1;
    assert_int_equal(kp_idem_tick(&fx.idem, 1000, 2), INT64_MAX); /* answers first */
    fx.idem.retry_at_ms = 1500;
    assert_int_equal(kp_idem_tick(&fx.idem, 1000, 0), 1500);
    assert_int_equal(kp_idem_tick(&fx.idem, 1499, 0), 1500);
    fx.idem.pid_inflight = 1;
    assert_int_equal(kp_idem_tick(&fx.idem, 2000, 0), INT64_MAX); /* one at a time */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_idempotence_anything_goes),
        cmocka_unit_test(test_first_batches_go_one_at_a_time),
        cmocka_unit_test(test_retry_goes_alone),
        cmocka_unit_test(test_out_of_order_on_later_batch_retries_without_bump),
        cmocka_unit_test(test_out_of_order_on_next_batch_asks_for_bump),
        cmocka_unit_test(test_unknown_producer_id_asks_for_bump),
        cmocka_unit_test(test_sequences_wrap),
        cmocka_unit_test(test_new_generation_restarts_every_partition_at_zero),
        cmocka_unit_test(test_old_generation_batch_gets_new_sequence),
        cmocka_unit_test(test_failed_sequenced_batch_asks_for_bump),
        cmocka_unit_test(test_refused_last_batch_gives_back_its_sequences),
        cmocka_unit_test(test_refused_batch_with_later_one_asks_for_bump),
        cmocka_unit_test(test_failed_unsequenced_batch_needs_no_bump),
        cmocka_unit_test(test_invalid_producer_epoch_is_fatal),
        cmocka_unit_test(test_ready_only_with_producer_id_and_no_bump),
        cmocka_unit_test(test_bump_waits_for_inflight_and_backoff),
        cmocka_unit_test(test_new_transaction_epoch_on_known_partition_pipelines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
