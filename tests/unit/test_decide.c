/* The produce client's decisions as pure functions (sender/decide.h): may a
 * partition's head batch go now, what becomes of a batch after an attempt,
 * the retry backoff (backoff.h) and when metadata is due
 * (kp_md_due_at). Every time is an explicit number: nothing reads a clock
 * or sleeps, so each case is exact and repeatable. */
#include "testutil.h"

#include <string.h>

#include <limits.h>
#include <stdint.h>

#include "backoff.h"
#include "sender/decide.h"
#include "sender/metadata.h"

#define CREATED 1000
#define TIMEOUT 120000
#define EXPIRE_AT (CREATED + TIMEOUT)
#define NOW 5000

/* A head batch that may go: every fact allows it. */
static kp_head_facts sendable(void) {
    kp_head_facts f = {
        .ready = 1,
        .may_send = 1,
        .created_ms = CREATED,
        .delivery_timeout_ms = TIMEOUT,
        .attempts = 0,
        .part_inflight = 0,
        .idempotent = 1,
        .idem_may_send = 1,
        .link = KP_LINK_READY,
        .link_retry_at_ms = 0,
        .conn_inflight = 0,
        .max_in_flight = 5,
        .batch_bytes = 1000,
        .request_bytes = 0,
        .request_batches = 0,
        .max_request_size = 1048576,
    };
    return f;
}

/* kp_decide_head's verdict at now, whatever wake time it leaves. */
static kp_head_verdict verdict_at(const kp_head_facts *f, int64_t now) {
    int64_t wake_at = INT64_MAX;
    return kp_decide_head(f, now, &wake_at);
}

/* Checks kp_decide_head's verdict at now and the wake time it leaves when
 * nothing else wants the sender earlier. */
static void expect_head(const kp_head_facts *f, int64_t now, kp_head_verdict verdict,
                        int64_t wake_at) {
    int64_t wake = INT64_MAX;
    assert_int_equal(kp_decide_head(f, now, &wake), verdict);
    assert_int_equal(wake, wake_at);
}

/* ---- kp_decide_head ---- */

/* The baseline: with everything in place the batch goes, and the sender
 * still learns when it would expire. */
static void test_head_sends_when_everything_allows(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    expect_head(&f, NOW, KP_HEAD_SEND, EXPIRE_AT);
}

/* delivery.timeout.ms is a bound the application relies on: the batch
 * expires at exactly created + timeout, not a tick later, and not before. */
static void test_head_expires_at_exactly_delivery_timeout(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    expect_head(&f, EXPIRE_AT - 1, KP_HEAD_SEND, EXPIRE_AT);
    assert_int_equal(verdict_at(&f, EXPIRE_AT), KP_HEAD_EXPIRE);
    assert_int_equal(verdict_at(&f, EXPIRE_AT + 1000), KP_HEAD_EXPIRE);
    /* Expiry comes before any other fact. */
    f.link = KP_LINK_NONE;
    f.ready = 0;
    assert_int_equal(verdict_at(&f, EXPIRE_AT), KP_HEAD_EXPIRE);
}

/* With batches of the partition in flight an expired head waits: their
 * answer may still retry them ahead of it, and failing it first would
 * report the partition out of order. The answer wakes the sender, so the
 * wake time is not forced to now. */
static void test_head_expired_with_partition_in_flight_holds(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.part_inflight = 1;
    expect_head(&f, EXPIRE_AT, KP_HEAD_HOLD, INT64_MAX);
    f.part_inflight = 0;
    assert_int_equal(verdict_at(&f, EXPIRE_AT), KP_HEAD_EXPIRE);
}

/* A held batch must still expire on time: wake_at is lowered to its expiry
 * time, and never raised when something else wants the sender earlier. */
static void test_head_lowers_wake_at_to_expiry(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.ready = 0;
    int64_t wake = INT64_MAX;
    assert_int_equal(kp_decide_head(&f, NOW, &wake), KP_HEAD_HOLD);
    assert_int_equal(wake, EXPIRE_AT);
    wake = NOW + 10; /* earlier already: kept */
    assert_int_equal(kp_decide_head(&f, NOW, &wake), KP_HEAD_HOLD);
    assert_int_equal(wake, NOW + 10);
}

/* Without a producer id (or after a fatal error) nothing goes, but records
 * must still fail at delivery.timeout.ms rather than wait forever. */
static void test_head_without_producer_id_holds_but_still_expires(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.may_send = 0;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
    assert_int_equal(verdict_at(&f, EXPIRE_AT), KP_HEAD_EXPIRE);
}

/* A batch the accumulator does not release (linger.ms, not full) waits. */
static void test_head_not_ready_holds(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.ready = 0;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
}

/* An unknown leader asks for metadata, whose answer wakes the sender:
 * setting wake_at to now for this lasting state would be a busy loop. */
static void test_head_unknown_leader_needs_leader_without_busy_loop(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.link = KP_LINK_NONE;
    int64_t wake = INT64_MAX;
    assert_int_equal(kp_decide_head(&f, NOW, &wake), KP_HEAD_NEED_LEADER);
    assert_true(wake > NOW);
    assert_int_equal(wake, EXPIRE_AT);
}

/* A leader that is down is wanted: the sender must look again when the
 * reconnect backoff allows (not before: a busy loop; not later: a stall),
 * or at once when that time has passed. */
static void test_head_link_down_needs_link_at_retry_time(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.link = KP_LINK_DOWN;
    f.link_retry_at_ms = NOW + 300;
    expect_head(&f, NOW, KP_HEAD_NEED_LINK, NOW + 300);
    f.link_retry_at_ms = NOW - 50;
    expect_head(&f, NOW, KP_HEAD_NEED_LINK, NOW);
    /* A retry time after expiry: expiry is earlier and wins. */
    f.link_retry_at_ms = EXPIRE_AT + 10;
    expect_head(&f, NOW, KP_HEAD_NEED_LINK, EXPIRE_AT);
}

/* A connection being set up wakes the sender when its handshake ends:
 * lowering wake_at for it would spin while the handshake runs. */
static void test_head_link_pending_holds_without_lowering_wake_at(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.link = KP_LINK_PENDING;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT); /* only the expiry */
}

/* max.in.flight.requests.per.connection bounds the connection's requests:
 * the head waits for an answer (which wakes the sender). */
static void test_head_connection_in_flight_limit_holds(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.conn_inflight = 5;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
    f.conn_inflight = 4;
    assert_int_equal(verdict_at(&f, NOW), KP_HEAD_SEND);
}

/* The idempotence window (a retry alone, first batches one at a time, at
 * most five) must hold the batch, or the broker sees sequences out of
 * order; without idempotence that window means nothing. */
static void test_head_idempotent_window_closed_holds(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.idem_may_send = 0;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
    f.idempotent = 0;
    assert_int_equal(verdict_at(&f, NOW), KP_HEAD_SEND);
}

/* A partition whose log is being read back (sender/recovery.h) sends
 * nothing, with its link ready or not, and does not ask for a leader or a
 * link (the reader does what it needs); it still expires on time, and it
 * never asks to be looked at again before that: the read wakes the
 * sender. */
static void test_head_held_for_a_read_holds_but_expires(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.held = 1;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
    f.link = KP_LINK_NONE;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
    f.link = KP_LINK_DOWN;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
    assert_int_equal(verdict_at(&f, EXPIRE_AT), KP_HEAD_EXPIRE);
    f.held = 0;
    f.link = KP_LINK_READY;
    assert_int_equal(verdict_at(&f, NOW), KP_HEAD_SEND);
}

/* Without idempotence a retry sent while later batches of its partition
 * are in flight would be stored after them: it waits until they are
 * answered. A first attempt may go beside others. */
static void test_head_retry_without_idempotence_waits_for_partition(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.idempotent = 0;
    f.idem_may_send = 0;
    f.attempts = 1;
    f.part_inflight = 1;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
    f.part_inflight = 0;
    assert_int_equal(verdict_at(&f, NOW), KP_HEAD_SEND);
    f.attempts = 0;
    f.part_inflight = 3;
    assert_int_equal(verdict_at(&f, NOW), KP_HEAD_SEND);
}

/* With max.in.flight=1 (the ordering setting without idempotence) every
 * batch waits while its partition has one in flight: the limit is per
 * connection, and after a leader move the new leader's connection is free
 * while the old one still carries a batch of the partition. */
static void test_head_max_in_flight_one_every_batch_waits(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.idempotent = 0;
    f.max_in_flight = 1;
    f.conn_inflight = 0;
    f.part_inflight = 1;
    expect_head(&f, NOW, KP_HEAD_HOLD, EXPIRE_AT);
    f.part_inflight = 0;
    assert_int_equal(verdict_at(&f, NOW), KP_HEAD_SEND);
}

/* max.request.size: a batch that would overflow a request already holding
 * batches goes in the next request, on the next turn (wake_at = now, the
 * one case where now is right: the next turn sends it). */
static void test_head_batch_overflowing_request_waits_for_next_turn(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.request_batches = 1;
    f.request_bytes = 900000;
    f.batch_bytes = 200000;
    f.max_request_size = 1000000;
    expect_head(&f, NOW, KP_HEAD_HOLD, NOW);
    f.batch_bytes = 100000; /* exactly fills it */
    assert_int_equal(verdict_at(&f, NOW), KP_HEAD_SEND);
}

/* A single batch larger than max.request.size must still go (alone), or
 * it would never be sent and only expire; the broker judges its size. */
static void test_head_big_batch_into_empty_request_sends(void **state) {
    (void)state;
    kp_head_facts f = sendable();
    f.request_batches = 0;
    f.request_bytes = 0;
    f.batch_bytes = 3000000;
    f.max_request_size = 1000000;
    assert_int_equal(verdict_at(&f, NOW), KP_HEAD_SEND);
}

/* ---- kp_decide_outcome ---- */

/* A retriable failure of a first attempt, well before its timeout. */
static kp_outcome_facts retriable_failure(void) {
    kp_outcome_facts f = {
        .err = KPROD_ERR_NOT_ENOUGH_REPLICAS,
        .retriable = 1,
        .closing = 0,
        .created_ms = CREATED,
        .delivery_timeout_ms = TIMEOUT,
        .attempts = 1,
        .retries = INT32_MAX,
        .backoff_ms = 100,
        .backoff_max_ms = 1000,
    };
    return f;
}

/* Checks that the attempt at now ends the batch, reported with err, and
 * returns the outcome. A batch that is done draws no backoff: rnd is 0. */
static kp_outcome expect_done(const kp_outcome_facts *f, int64_t now, kprod_err_t err) {
    kp_outcome o = kp_decide_outcome(f, now, 0);
    assert_true(o.done);
    assert_int_equal(o.err, err);
    return o;
}

/* rnd that makes the jitter of base*2^(attempts-1) (capped) zero. */
static long no_jitter(int64_t b) { return (long)(b / 5); }

/* A stored batch is done without error; DUPLICATE_SEQUENCE_NUMBER means an
 * earlier attempt stored it, so it is a success too (never a duplicate
 * report or a resend). */
static void test_outcome_success_and_duplicate_are_done(void **state) {
    (void)state;
    kp_outcome_facts f = retriable_failure();
    f.err = KPROD_ERR_NO_ERROR;
    f.retriable = 0;
    kp_outcome o = expect_done(&f, NOW, KPROD_ERR_NO_ERROR);
    assert_false(o.refresh_metadata);
    f.err = KPROD_ERR_DUPLICATE_SEQUENCE_NUMBER;
    expect_done(&f, NOW, KPROD_ERR_NO_ERROR);
    /* Even when closing or past the timeout: it is stored. */
    f.closing = 1;
    expect_done(&f, EXPIRE_AT + 1, KPROD_ERR_NO_ERROR);
}

/* A non-retriable error is reported as it is, at once: resending cannot
 * cure it, and the application needs the real cause (also when closing). */
static void test_outcome_non_retriable_is_done_with_its_error(void **state) {
    (void)state;
    kp_outcome_facts f = retriable_failure();
    f.err = KPROD_ERR_MESSAGE_TOO_LARGE;
    f.retriable = 0;
    kp_outcome o = expect_done(&f, NOW, KPROD_ERR_MESSAGE_TOO_LARGE);
    assert_int_equal(o.retry_at_ms, 0);
    assert_false(o.refresh_metadata);
    f.closing = 1;
    assert_int_equal(kp_decide_outcome(&f, NOW, 0).err, KPROD_ERR_MESSAGE_TOO_LARGE);
}

/* kprod_close must end: a retriable failure while closing is not retried
 * but reported as purged. */
static void test_outcome_retriable_while_closing_is_purged(void **state) {
    (void)state;
    kp_outcome_facts f = retriable_failure();
    f.closing = 1;
    expect_done(&f, NOW, KPROD_ERR__PURGED_ON_CLOSE);
}

/* delivery.timeout.ms bounds retries too: from created + timeout on, a
 * retriable failure is reported as timed out instead of retried. */
static void test_outcome_retriable_after_delivery_timeout_times_out(void **state) {
    (void)state;
    kp_outcome_facts f = retriable_failure();
    assert_false(kp_decide_outcome(&f, EXPIRE_AT - 1, no_jitter(100)).done);
    expect_done(&f, EXPIRE_AT, KPROD_ERR__MSG_TIMED_OUT);
}

/* The retries setting counts resends: with retries=N the batch is sent
 * N+1 times, then reported with the last error. */
static void test_outcome_retries_exhausted_is_done_with_error(void **state) {
    (void)state;
    kp_outcome_facts f = retriable_failure();
    f.retries = 2;
    f.attempts = 2;
    assert_false(kp_decide_outcome(&f, NOW, 0).done);
    f.attempts = 3;
    expect_done(&f, NOW, KPROD_ERR_NOT_ENOUGH_REPLICAS);
    f.retries = 0;
    f.attempts = 1;
    expect_done(&f, NOW, KPROD_ERR_NOT_ENOUGH_REPLICAS);
}

/* Otherwise the batch is retried after the backoff, and only an error that
 * says the leader may have moved asks for metadata (others would flood
 * the cluster with Metadata requests for nothing). */
static void test_outcome_retry_after_backoff_refresh_only_for_leader_errors(void **state) {
    (void)state;
    static const kprod_err_t leader_errs[] = {
        KPROD_ERR_NOT_LEADER_OR_FOLLOWER,     KPROD_ERR_LEADER_NOT_AVAILABLE,
        KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION, KPROD_ERR__TRANSPORT,
        KPROD_ERR_REQUEST_TIMED_OUT,          KPROD_ERR_NETWORK_EXCEPTION,
    };
    static const kprod_err_t other_errs[] = {
        KPROD_ERR_NOT_ENOUGH_REPLICAS,
        KPROD_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        KPROD_ERR_CORRUPT_MESSAGE,
        KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, /* retriable through idempotence */
        KPROD_ERR_UNKNOWN_PRODUCER_ID,
    };
    kp_outcome_facts f = retriable_failure();
    for (size_t i = 0; i < sizeof(leader_errs) / sizeof(leader_errs[0]); i++) {
        f.err = leader_errs[i];
        assert_true(kp_is_leader_error(f.err));
        kp_outcome o = kp_decide_outcome(&f, NOW, no_jitter(100));
        assert_false(o.done);
        assert_int_equal(o.retry_at_ms, NOW + 100);
        assert_true(o.refresh_metadata);
    }
    for (size_t i = 0; i < sizeof(other_errs) / sizeof(other_errs[0]); i++) {
        f.err = other_errs[i];
        assert_false(kp_is_leader_error(f.err));
        kp_outcome o = kp_decide_outcome(&f, NOW, no_jitter(100));
        assert_false(o.done);
        assert_int_equal(o.err, f.err);
        assert_int_equal(o.retry_at_ms, NOW + 100);
        assert_false(o.refresh_metadata);
    }
}

/* Retries back off exponentially (100, 200, 400, ...) up to
 * retry.backoff.max.ms, so a struggling broker is not hammered and a
 * long outage does not wait ever longer. */
static void test_outcome_backoff_doubles_per_attempt_up_to_max(void **state) {
    (void)state;
    static const int64_t want[] = {100, 200, 400, 800, 1000, 1000, 1000};
    kp_outcome_facts f = retriable_failure();
    for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++) {
        f.attempts = i + 1;
        kp_outcome o = kp_decide_outcome(&f, NOW, no_jitter(want[i]));
        assert_false(o.done);
        assert_int_equal(o.retry_at_ms - NOW, want[i]);
    }
}

/* The jitter stays within +-20% of the exponential value, reaches both
 * ends, and really varies: many clients must not retry in lock step, but
 * a retry must not come much earlier or later than configured. */
static void test_outcome_backoff_jitter_within_20_percent(void **state) {
    (void)state;
    static const int64_t nominal[] = {100, 200, 400, 800, 1000, 1000};
    kp_outcome_facts f = retriable_failure();
    for (int i = 0; i < (int)(sizeof(nominal) / sizeof(nominal[0])); i++) {
        f.attempts = i + 1;
        int64_t b = nominal[i], lo = INT64_MAX, hi = INT64_MIN;
        for (long rnd = 0; rnd < 5000; rnd += 7) {
            int64_t d = kp_decide_outcome(&f, NOW, rnd).retry_at_ms - NOW;
            assert_in_range(d, b - b / 5, b + b / 5);
            if (d < lo)
                lo = d;
            if (d > hi)
                hi = d;
        }
        assert_true(lo < b && hi > b); /* it varies around b */
        assert_int_equal(kp_decide_outcome(&f, NOW, 0).retry_at_ms - NOW, b - b / 5);
        assert_int_equal(kp_decide_outcome(&f, NOW, (long)(2 * (b / 5))).retry_at_ms - NOW,
                         b + b / 5);
        assert_in_range(kp_decide_outcome(&f, NOW, LONG_MAX).retry_at_ms - NOW, b - b / 5,
                        b + b / 5);
    }
}

/* ---- kp_backoff_ms ---- */

/* The first retry (and a caller counting from 0) waits retry.backoff.ms:
 * the setting's documented meaning. */
static void test_backoff_attempts_0_and_1_give_base(void **state) {
    (void)state;
    assert_int_equal(kp_backoff_ms(100, 1000, 0, 20), 100);
    assert_int_equal(kp_backoff_ms(100, 1000, 1, 20), 100);
    assert_int_equal(kp_backoff_ms(100, 1000, -3, 20), 100);
    assert_int_equal(kp_backoff_ms(100, 1000, 2, 40), 200);
}

/* The cap holds however many attempts there were (no overflow to a short
 * or negative wait after many doublings), and a max below base wins. */
static void test_backoff_capped_at_max(void **state) {
    (void)state;
    assert_int_equal(kp_backoff_ms(100, 1000, 5, 200), 1000);
    assert_int_equal(kp_backoff_ms(100, 1000, 64, 200), 1000);
    assert_int_equal(kp_backoff_ms(100, 1000, INT_MAX, 200), 1000);
    assert_int_equal(kp_backoff_ms(500, 300, 1, 60), 300);
}

/* A wait is never negative, whatever the base, max, attempts or random
 * number: a negative backoff would retry in the past, i.e. at once. */
static void test_backoff_never_negative(void **state) {
    (void)state;
    static const long rnds[] = {0, 1, 19, 20, 41, 12345, LONG_MAX};
    for (size_t i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
        assert_int_equal(kp_backoff_ms(0, 0, 1, rnds[i]), 0);
        assert_int_equal(kp_backoff_ms(0, 1000, 10, rnds[i]), 0);
        assert_int_equal(kp_backoff_ms(4, 1000, 1, rnds[i]), 4); /* spread 0: no jitter */
        assert_true(kp_backoff_ms(1, 1000, 30, rnds[i]) >= 0);
        assert_true(kp_backoff_ms(100, 1000, 1, rnds[i]) >= 80);
    }
}

/* retry.backoff.max.ms and reconnect.backoff.max.ms accept any value up
 * to INT64_MAX: many doublings under such a cap must saturate, not
 * overflow int64 (undefined behaviour, then a wrapped, tiny or negative
 * wait). */
static void test_backoff_huge_max_does_not_overflow(void **state) {
    (void)state;
    for (int attempts = 50; attempts <= 70; attempts++) {
        int64_t d = kp_backoff_ms(100, INT64_MAX, attempts, 0);
        assert_true(d >= 0);
        assert_true(d >= kp_backoff_ms(100, INT64_MAX, 50, 0));
    }
    /* At such a cap the +20% jitter must not overflow either. */
    assert_true(kp_backoff_ms(100, INT64_MAX, 70, (long)(2 * (INT64_MAX / 5))) >= INT64_MAX / 2);
    /* One doubling of a huge base already passes INT64_MAX. */
    assert_true(kp_backoff_ms(INT64_MAX / 2 + 1, INT64_MAX, 2, 0) >= INT64_MAX / 2);
}

/* The retry time must saturate too: now + a backoff near INT64_MAX would
 * overflow to a time in the past, i.e. an immediate retry. */
static void test_outcome_huge_backoff_does_not_overflow_retry_time(void **state) {
    (void)state;
    kp_outcome_facts f = retriable_failure();
    f.backoff_max_ms = INT64_MAX;
    f.attempts = 70;
    kp_outcome o = kp_decide_outcome(&f, NOW, (long)(2 * (INT64_MAX / 5)));
    assert_false(o.done);
    assert_true(o.retry_at_ms >= INT64_MAX / 2);
}

/* ---- kp_md_due_at ---- */

static kp_md_timing md_idle(void) {
    kp_md_timing t = {
        .have_metadata = 1,
        .caller_waiting = 0,
        .wanted = 0,
        .next_refresh_ms = 300000,
        .retry_at_ms = 2000,
    };
    return t;
}

/* A kprod_metadata_get caller blocks until the answer: ask at once, even
 * within the retry backoff. */
static void test_md_due_at_once_for_waiting_caller(void **state) {
    (void)state;
    kp_md_timing t = md_idle();
    t.caller_waiting = 1;
    assert_true(kp_md_due_at(&t) <= INT64_MIN); /* <= any now */
    t.wanted = 1;
    assert_true(kp_md_due_at(&t) <= INT64_MIN);
}

/* A topic never asked about has sends waiting for it: ask at once, even
 * within the retry backoff (one topic after another would otherwise cost
 * retry.backoff.ms each: 10 s for 100 topics). */
static void test_md_due_at_once_for_new_topic(void **state) {
    (void)state;
    kp_md_timing t = md_idle();
    t.wanted = 1;
    assert_int_equal(kp_md_due_at(&t), 2000);
    t.new_topic = 1;
    assert_true(kp_md_due_at(&t) <= INT64_MIN);
}

/* Without metadata nothing can be sent (no leaders): ask at once. */
static void test_md_due_at_once_without_metadata(void **state) {
    (void)state;
    kp_md_timing t = md_idle();
    t.have_metadata = 0;
    assert_true(kp_md_due_at(&t) <= INT64_MIN);
}

/* With nothing wanted only metadata.max.age.ms refreshes: the retry time
 * must not cause requests nobody asked for. */
static void test_md_due_at_periodic_refresh_when_nothing_wanted(void **state) {
    (void)state;
    kp_md_timing t = md_idle();
    assert_int_equal(kp_md_due_at(&t), 300000);
}

/* When something wants metadata (a new topic, a leader error) it is asked
 * for once retry.backoff.ms allows, but never later than the periodic
 * refresh. */
static void test_md_due_at_retry_time_when_wanted_and_earlier(void **state) {
    (void)state;
    kp_md_timing t = md_idle();
    t.wanted = 1;
    assert_int_equal(kp_md_due_at(&t), 2000);
    t.retry_at_ms = 400000;
    assert_int_equal(kp_md_due_at(&t), 300000);
}

/* zstd needs Produce v7 (Kafka 2.1): refused locally below it, with the
 * error Java gives; every other codec goes to any version; an unknown
 * version (-1) refuses nothing. */
static void test_codec_zstd_needs_produce_v7(void **state) {
    (void)state;
    for (int v = -1; v <= 13; v++) {
        kprod_err_t want =
            v >= 0 && v < 7 ? KPROD_ERR_UNSUPPORTED_COMPRESSION_TYPE : KPROD_ERR_NO_ERROR;
        assert_int_equal(kp_decide_codec(KP_CODEC_ZSTD, v), want);
        assert_int_equal(kp_decide_codec(KP_CODEC_NONE, v), KPROD_ERR_NO_ERROR);
        assert_int_equal(kp_decide_codec(KP_CODEC_GZIP, v), KPROD_ERR_NO_ERROR);
        assert_int_equal(kp_decide_codec(KP_CODEC_SNAPPY, v), KPROD_ERR_NO_ERROR);
        assert_int_equal(kp_decide_codec(KP_CODEC_LZ4, v), KPROD_ERR_NO_ERROR);
    }
    /* Not retriable: the batch fails at once; the text names the version. */
    assert_false(kprod_err_is_retriable(KPROD_ERR_UNSUPPORTED_COMPRESSION_TYPE));
    assert_int_equal(KPROD_ERR_UNSUPPORTED_COMPRESSION_TYPE, 76);
    assert_non_null(strstr(kprod_err_str(KPROD_ERR_UNSUPPORTED_COMPRESSION_TYPE),
                           "zstd needs Kafka 2.1 or later"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_sends_when_everything_allows),
        cmocka_unit_test(test_head_expires_at_exactly_delivery_timeout),
        cmocka_unit_test(test_head_expired_with_partition_in_flight_holds),
        cmocka_unit_test(test_head_lowers_wake_at_to_expiry),
        cmocka_unit_test(test_head_without_producer_id_holds_but_still_expires),
        cmocka_unit_test(test_head_not_ready_holds),
        cmocka_unit_test(test_head_unknown_leader_needs_leader_without_busy_loop),
        cmocka_unit_test(test_head_link_down_needs_link_at_retry_time),
        cmocka_unit_test(test_head_link_pending_holds_without_lowering_wake_at),
        cmocka_unit_test(test_head_connection_in_flight_limit_holds),
        cmocka_unit_test(test_head_idempotent_window_closed_holds),
        cmocka_unit_test(test_head_held_for_a_read_holds_but_expires),
        cmocka_unit_test(test_head_retry_without_idempotence_waits_for_partition),
        cmocka_unit_test(test_head_max_in_flight_one_every_batch_waits),
        cmocka_unit_test(test_head_batch_overflowing_request_waits_for_next_turn),
        cmocka_unit_test(test_head_big_batch_into_empty_request_sends),
        cmocka_unit_test(test_outcome_success_and_duplicate_are_done),
        cmocka_unit_test(test_outcome_non_retriable_is_done_with_its_error),
        cmocka_unit_test(test_outcome_retriable_while_closing_is_purged),
        cmocka_unit_test(test_outcome_retriable_after_delivery_timeout_times_out),
        cmocka_unit_test(test_outcome_retries_exhausted_is_done_with_error),
        cmocka_unit_test(test_outcome_retry_after_backoff_refresh_only_for_leader_errors),
        cmocka_unit_test(test_outcome_backoff_doubles_per_attempt_up_to_max),
        cmocka_unit_test(test_outcome_backoff_jitter_within_20_percent),
        cmocka_unit_test(test_backoff_attempts_0_and_1_give_base),
        cmocka_unit_test(test_backoff_capped_at_max),
        cmocka_unit_test(test_backoff_never_negative),
        cmocka_unit_test(test_md_due_at_once_for_waiting_caller),
        cmocka_unit_test(test_md_due_at_once_for_new_topic),
        cmocka_unit_test(test_md_due_at_once_without_metadata),
        cmocka_unit_test(test_md_due_at_periodic_refresh_when_nothing_wanted),
        cmocka_unit_test(test_md_due_at_retry_time_when_wanted_and_earlier),
        /* Last: under UBSan (-fno-sanitize-recover) their overflow ends the run. */
        cmocka_unit_test(test_backoff_huge_max_does_not_overflow),
        cmocka_unit_test(test_outcome_huge_backoff_does_not_overflow_retry_time),
        cmocka_unit_test(test_codec_zstd_needs_produce_v7),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
