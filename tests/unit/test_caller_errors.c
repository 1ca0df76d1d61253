/* A caller that errs: never a crash or a hang, always one report per
 * accepted record. Checked here, on a producer whose only broker is a
 * closed loopback port (no broker needed):
 * - kprod_flush, kprod_poll and kprod_close called from inside one of the
 *   producer's own delivery callbacks return _IN_CALLBACK at once, in poll
 *   and in thread mode, for a report served by flush or by the report
 *   thread and for one purged by close; on another producer they work,
 *   also nested (a callback of one producer inside a callback of another);
 * - kprod_send refuses negative timestamps, NULL headers with a count, a
 *   NULL header name, NULL header values, keys and values with a length,
 *   with _INVALID_ARG and no report (a user serializer still gets what it
 *   is given);
 * - kprod_interrupt wakes sends blocked on metadata and on buffer.memory
 *   with _INTERRUPTED, later sends that would block fail at once, sends
 *   that need not block go through, and accepted records are reported.
 * Where a test needs a topic's partitions it applies them to the
 * accumulator as the metadata client would (as test_sender.c does). Every
 * wait is on a condition, with a deadline. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "accumulator.h"
#include "clock.h"
#include "peek.h"
#include "producer.h"
#include "report.h"

/* ---- reports: every one counted, per record ---- */

/* What a record's report did. The record's opaque points to one. */
typedef struct probe {
    kprod_t *self;  /* the producer the record was sent to */
    kprod_t *other; /* flushed from inside the callback (NULL: none) */
    kprod_t *outer; /* a producer whose callback this one runs inside */
    int reenter;    /* call flush, poll and close on self from the callback */
    /* what the callback saw (written there, read after a flush or close
     * that waited for it) */
    kprod_err_t flush_err, close_err, other_flush_err, outer_flush_err;
    int poll_ret;
    int in_cb_self, in_cb_any;
    int64_t reentry_ms; /* how long the refused calls took together */
    kprod_err_t err;
    int64_t timestamp_ms;
    atomic_int reports;
} probe;

static atomic_int g_reports; /* every report of the test */

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    probe *pr = r->opaque;
    atomic_fetch_add(&g_reports, 1);
    if (!pr)
        return;
    pr->err = r->err;
    pr->timestamp_ms = r->timestamp_ms;
    pr->in_cb_self = kp_reports_in_callback(pr->self->reports);
    pr->in_cb_any = kp_reports_in_callback(NULL);
    if (pr->reenter) {
        int64_t t0 = kp_now_ms();
        pr->flush_err = kprod_flush(pr->self, -1);
        pr->poll_ret = kprod_poll(pr->self, -1);
        pr->close_err = kprod_close(pr->self, -1);
        if (pr->outer)
            pr->outer_flush_err = kprod_flush(pr->outer, -1);
        pr->reentry_ms = kp_now_ms() - t0;
    }
    if (pr->other)
        pr->other_flush_err = kprod_flush(pr->other, 10000);
    atomic_fetch_add(&pr->reports, 1);
}

static int setup(void **state) {
    (void)state;
    atomic_store(&g_reports, 0);
    return 0;
}

/* ---- a producer without a broker (as in test_sender.c) ---- */

typedef struct sender_thread {
    kprod_t *p;
    kprod_record_t rec;
    void *opaque;
    kprod_err_t err;
    int64_t returned_ms;
    atomic_int done;
    pthread_t th;
} sender_thread;

static void *sender_thread_main(void *arg) {
    sender_thread *st = arg;
    st->err = kprod_send(st->p, &st->rec, NULL, st->opaque);
    st->returned_ms = kp_now_ms();
    atomic_store(&st->done, 1);
    return NULL;
}

static void start_send(sender_thread *st) {
    assert_int_equal(pthread_create(&st->th, NULL, sender_thread_main, st), 0);
}

/* Joins a sending thread once it has returned, failing after 5 s. */
static void join_send(sender_thread *st) {
    int64_t deadline = kp_now_ms() + 5000;
    while (!atomic_load(&st->done)) {
        if (kp_now_ms() > deadline)
            fail_msg("kprod_send to %s still blocked", st->rec.topic);
        peek_pause_1ms();
    }
    pthread_join(st->th, NULL);
}

/* Sends one record to a new topic from a thread, which waits for the
 * partitions, and gives it them: the send then completes. */
static kprod_err_t send_to_new_topic(kprod_t *p, const char *topic, int32_t partition,
                                     int32_t count, const void *value, size_t len, void *opaque) {
    sender_thread st = {
        .p = p, .rec = kpt_value_record(topic, partition, value, len), .opaque = opaque};
    start_send(&st);
    peek_await_topic(p, topic);
    peek_apply_partitions(p, topic, count);
    join_send(&st);
    return st.err;
}

/* ---- flush, poll and close from inside a delivery callback ---- */

static void assert_refused_inside(const probe *pr) {
    assert_int_equal(atomic_load(&pr->reports), 1);
    assert_true(pr->in_cb_self);
    assert_true(pr->in_cb_any);
    assert_int_equal(pr->flush_err, KPROD_ERR__IN_CALLBACK);
    assert_int_equal(pr->poll_ret, KPROD_ERR__IN_CALLBACK);
    assert_int_equal(pr->close_err, KPROD_ERR__IN_CALLBACK);
    if (pr->reentry_ms >= 1000)
        fail_msg("the refused calls took %lld ms", (long long)pr->reentry_ms);
}

/* A record that expires (delivery.timeout.ms) is reported through the
 * application's flush (poll mode) or the report thread; its callback's
 * flush(-1), poll(-1) and close(-1) on its own producer return at once.
 * flush(-1) deadlocked there before, in both modes. */
static void refused_in_expiry_report(const char *mode) {
    const char *props[] = {"linger.ms",
                           "0",
                           "request.timeout.ms",
                           "100",
                           "delivery.timeout.ms",
                           "300",
                           "delivery.report.mode",
                           mode,
                           NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    assert_false(kp_reports_in_callback(p->reports));
    assert_false(kp_reports_in_callback(NULL));
    probe pr = {.self = p, .reenter = 1};
    assert_int_equal(send_to_new_topic(p, "expiring", 0, 1, "v", 1, &pr), 0);
    /* Returns once the report was served and its callback returned. */
    assert_int_equal(kprod_flush(p, 10000), KPROD_ERR_NO_ERROR);
    assert_refused_inside(&pr);
    assert_int_equal(pr.err, KPROD_ERR__MSG_TIMED_OUT);
    assert_false(kp_reports_in_callback(p->reports));
    assert_int_equal(kprod_outstanding(p), 0);
    /* The producer still works: the refused close did nothing. */
    assert_int_equal(kprod_poll(p, 0), 0);
    assert_int_equal(kprod_close(p, 0), KPROD_ERR_NO_ERROR);
    assert_int_equal(atomic_load(&g_reports), 1);
}

static void test_refused_in_expiry_report_poll_mode(void **state) {
    (void)state;
    refused_in_expiry_report("poll");
}

static void test_refused_in_expiry_report_thread_mode(void **state) {
    (void)state;
    refused_in_expiry_report("thread");
}

/* Records purged by kprod_close are reported on close's thread (or the
 * report thread): their callbacks' flush, poll and close return at once
 * and the close goes on. */
static void refused_in_close_report(const char *mode) {
    const char *props[] = {"delivery.report.mode", mode, NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    probe a = {.self = p, .reenter = 1}, b = {.self = p, .reenter = 1};
    assert_int_equal(send_to_new_topic(p, "purged", 0, 2, "v", 1, &a), 0);
    kprod_record_t r = kpt_value_record("purged", 1, "w", 1);
    assert_int_equal(kprod_send(p, &r, NULL, &b), 0);
    int64_t start = kp_now_ms();
    assert_int_equal(kprod_close(p, 0), KPROD_ERR__FLUSH_TIMED_OUT);
    assert_true(kp_now_ms() - start < 5000);
    assert_refused_inside(&a);
    assert_refused_inside(&b);
    assert_int_equal(a.err, KPROD_ERR__PURGED_ON_CLOSE);
    assert_int_equal(b.err, KPROD_ERR__PURGED_ON_CLOSE);
    assert_int_equal(atomic_load(&g_reports), 2);
}

static void test_refused_in_close_report_poll_mode(void **state) {
    (void)state;
    refused_in_close_report("poll");
}

static void test_refused_in_close_report_thread_mode(void **state) {
    (void)state;
    refused_in_close_report("thread");
}

/* The refusal is per producer: from p's callback another producer q can be
 * flushed (its reports served right there), and q's callback, running
 * inside p's, may not flush q, nor p (it is still inside p's callback). */
static void test_other_producer_from_callback(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "0", "request.timeout.ms", "100", "delivery.timeout.ms",
                           "300",       NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    kprod_t *q = kpt_new_producer(kpt_down_conf(props, on_report));
    probe inner = {.self = q, .outer = p, .reenter = 1};
    probe outer = {.self = p, .other = q};
    assert_int_equal(send_to_new_topic(q, "inner", 0, 1, "v", 1, &inner), 0);
    assert_int_equal(send_to_new_topic(p, "outer", 0, 1, "v", 1, &outer), 0);
    assert_int_equal(kprod_flush(p, 10000), KPROD_ERR_NO_ERROR);
    assert_int_equal(atomic_load(&outer.reports), 1);
    assert_int_equal(outer.other_flush_err, KPROD_ERR_NO_ERROR);
    assert_true(outer.in_cb_self);
    assert_refused_inside(&inner);
    assert_int_equal(inner.outer_flush_err, KPROD_ERR__IN_CALLBACK);
    assert_int_equal(inner.err, KPROD_ERR__MSG_TIMED_OUT);
    assert_int_equal(kprod_outstanding(q), 0);
    assert_int_equal(kprod_close(q, 0), KPROD_ERR_NO_ERROR);
    assert_int_equal(kprod_close(p, 0), KPROD_ERR_NO_ERROR);
    assert_int_equal(atomic_load(&g_reports), 2);
}

/* ---- records kprod_send refuses ---- */

/* Negative timestamps are refused at once, before the topic is even made
 * (no wait for its metadata); 0 is now and positive ones are kept. */
static void test_negative_timestamp_refused(void **state) {
    (void)state;
    kprod_t *p = kpt_new_producer(kpt_down_conf(NULL, on_report));
    const int64_t bad[] = {-1, -1000, INT64_MIN};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kprod_record_t r = kpt_value_record("stamped", 0, "v", 1);
        r.timestamp_ms = bad[i];
        int64_t start = kp_now_ms();
        assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_ARG);
        assert_true(kp_now_ms() - start < 1000);
    }
    assert_false(kp_acc_has_topic(p->acc, "stamped"));
    probe first = {.self = p}, zero = {.self = p}, given = {.self = p};
    assert_int_equal(send_to_new_topic(p, "stamped", 0, 1, "v", 1, &first), 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wall_before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    kprod_record_t r = kpt_value_record("stamped", 0, "v", 1);
    assert_int_equal(kprod_send(p, &r, NULL, &zero), 0);
    r.timestamp_ms = 12345;
    assert_int_equal(kprod_send(p, &r, NULL, &given), 0);
    r.timestamp_ms = -1; /* still refused with the topic known */
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_outstanding(p), 3);
    assert_int_equal(kprod_close(p, 0), KPROD_ERR__FLUSH_TIMED_OUT);
    assert_int_equal(atomic_load(&g_reports), 3);
    assert_int_equal(atomic_load(&first.reports), 1);
    assert_int_equal(atomic_load(&zero.reports), 1);
    assert_int_equal(atomic_load(&given.reports), 1);
    assert_true(zero.timestamp_ms >= wall_before);
    assert_int_equal(given.timestamp_ms, 12345);
}

/* What a user serializer was given. */
static const void *g_ser_obj;
static size_t g_ser_len;
static int g_ser_calls;

static kprod_err_t recording_serializer(const char *topic, const void *obj, size_t len,
                                        kprod_sink_t *sink, void *opaque) {
    (void)topic;
    (void)sink;
    (void)opaque;
    g_ser_obj = obj;
    g_ser_len = len;
    g_ser_calls++;
    return KPROD_ERR_NO_ERROR; /* writes nothing: null for a NULL obj */
}

/* NULL where a length says there is data, in the headers, the key or the
 * value, is refused with _INVALID_ARG and no report; a null header value
 * (NULL, 0) is accepted. */
static void test_null_with_length_refused(void **state) {
    (void)state;
    kprod_t *p = kpt_new_producer(kpt_down_conf(NULL, on_report));
    kprod_record_t r = kpt_value_record("refused", 0, "v", 1);
    /* headers NULL with a count: it was dereferenced */
    r.header_count = 1;
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_ARG);
    r.header_count = 3;
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_ARG);
    kprod_header_t h[2] = {{"ok", "x", 1}, {NULL, "y", 1}};
    r.headers = h;
    r.header_count = 2;
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_ARG); /* NULL name */
    h[1].name = "null-value";
    h[1].value = NULL; /* with value_len 1 */
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_ARG);
    /* key / value NULL with a length (bytes serializer) */
    kprod_record_t k = kpt_value_record("refused", 0, "v", 1);
    k.key_len = 5;
    assert_int_equal(kprod_send(p, &k, NULL, NULL), KPROD_ERR__INVALID_ARG);
    kprod_record_t v = kpt_value_record("refused", 0, NULL, 5);
    assert_int_equal(kprod_send(p, &v, NULL, NULL), KPROD_ERR__INVALID_ARG);
    /* no record, no topic, no producer */
    assert_int_equal(kprod_send(p, NULL, NULL, NULL), KPROD_ERR__INVALID_ARG);
    kprod_record_t t = kpt_value_record(NULL, 0, "v", 1);
    assert_int_equal(kprod_send(p, &t, NULL, NULL), KPROD_ERR__INVALID_ARG);
    kprod_record_t ok = kpt_value_record("refused", 0, "v", 1);
    assert_int_equal(kprod_send(NULL, &ok, NULL, NULL), KPROD_ERR__INVALID_ARG);
    assert_false(kp_acc_has_topic(p->acc, "refused")); /* refused before the accumulator */
    assert_int_equal(kprod_outstanding(p), 0);

    /* Accepted: a null header value and a null key and value, (NULL, 0). */
    probe accepted = {.self = p};
    h[1].value_len = 0;
    sender_thread st = {.p = p, .rec = r, .opaque = &accepted};
    st.rec.value = NULL;
    st.rec.value_len = 0;
    start_send(&st);
    peek_await_topic(p, "refused");
    peek_apply_partitions(p, "refused", 1);
    join_send(&st);
    assert_int_equal(st.err, 0);
    assert_int_equal(kprod_close(p, 0), KPROD_ERR__FLUSH_TIMED_OUT);
    assert_int_equal(atomic_load(&accepted.reports), 1);
    assert_int_equal(atomic_load(&g_reports), 1);

    /* The string and number serializers refuse NULL with a length too. */
    const char *kinds[] = {"string", "int32", "int64", "double"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *props[] = {"key.serializer", kinds[i], "value.serializer", kinds[i], NULL};
        p = kpt_new_producer(kpt_down_conf(props, on_report));
        kprod_record_t s = kpt_value_record("refused", 0, NULL, 8);
        assert_int_equal(kprod_send(p, &s, NULL, NULL), KPROD_ERR__INVALID_ARG);
        s.value_len = 0;
        s.key_len = 4;
        assert_int_equal(kprod_send(p, &s, NULL, NULL), KPROD_ERR__INVALID_ARG);
        assert_int_equal(kprod_close(p, 0), KPROD_ERR_NO_ERROR);
    }

    /* A user serializer gets NULL and its length as they are: its call. */
    kprod_conf_t *conf = kpt_down_conf(NULL, on_report);
    kprod_conf_set_value_serializer(conf, recording_serializer, NULL);
    p = kpt_new_producer(conf);
    g_ser_calls = 0;
    probe user = {.self = p};
    assert_int_equal(send_to_new_topic(p, "user", 0, 1, NULL, 7, &user), 0);
    assert_int_equal(g_ser_calls, 1);
    assert_null(g_ser_obj);
    assert_int_equal(g_ser_len, 7);
    assert_int_equal(kprod_close(p, 0), KPROD_ERR__FLUSH_TIMED_OUT);
    assert_int_equal(atomic_load(&user.reports), 1);
    assert_int_equal(atomic_load(&g_reports), 2);
}

/* ---- kprod_interrupt ---- */

/* Two sends blocked at once, one on buffer.memory and one on a topic's
 * metadata, both return _INTERRUPTED soon after kprod_interrupt (with
 * max.block.ms 30 s); a later send that would block returns it at once; a
 * send into an open batch still goes through; every accepted record gets
 * exactly one report. */
static void test_interrupt_wakes_blocked_sends(void **state) {
    (void)state;
    const char *props[] = {"buffer.memory", "3000",  "batch.size", "1024",
                           "max.block.ms",  "30000", NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    assert_int_equal(kprod_interrupt(NULL), KPROD_ERR__INVALID_ARG);
    static char big[900];
    probe first = {.self = p}, small = {.self = p}, after = {.self = p};
    /* Partition 0: a batch nearly full; partition 1: a batch with room. */
    assert_int_equal(send_to_new_topic(p, "full", 0, 2, big, sizeof(big), &first), 0);
    kprod_record_t r1 = kpt_value_record("full", 1, "s", 1);
    assert_int_equal(kprod_send(p, &r1, NULL, &small), 0);

    /* Blocked on memory: a new 1024-byte batch does not fit. */
    sender_thread mem = {.p = p, .rec = kpt_value_record("full", 0, big, sizeof(big))};
    start_send(&mem);
    int64_t deadline = kp_now_ms() + 5000;
    while (kp_acc_space_waiters(p->acc) == 0) {
        assert_false(atomic_load(&mem.done));
        assert_true(kp_now_ms() < deadline);
        peek_pause_1ms();
    }
    /* Blocked on metadata: a topic nobody will ever describe. */
    sender_thread md = {.p = p, .rec = kpt_value_record("never", KPROD_PARTITION_ANY, "v", 1)};
    start_send(&md);
    peek_await_topic(p, "never");

    int64_t interrupted_at = kp_now_ms();
    assert_int_equal(kprod_interrupt(p), KPROD_ERR_NO_ERROR);
    join_send(&mem);
    join_send(&md);
    assert_int_equal(mem.err, KPROD_ERR__INTERRUPTED);
    assert_int_equal(md.err, KPROD_ERR__INTERRUPTED);
    assert_true(mem.returned_ms - interrupted_at < 2000);
    assert_true(md.returned_ms - interrupted_at < 2000);
    assert_int_equal(kp_acc_space_waiters(p->acc), 0);

    /* Later sends that would block fail at once, on either wait. */
    int64_t start = kp_now_ms();
    kprod_record_t blocks_md = kpt_value_record("never-either", KPROD_PARTITION_ANY, "v", 1);
    assert_int_equal(kprod_send(p, &blocks_md, NULL, NULL), KPROD_ERR__INTERRUPTED);
    kprod_record_t blocks_mem = kpt_value_record("full", 0, big, sizeof(big));
    assert_int_equal(kprod_send(p, &blocks_mem, NULL, NULL), KPROD_ERR__INTERRUPTED);
    assert_int_equal(kprod_interrupt(p), KPROD_ERR_NO_ERROR); /* again: no change */
    assert_int_equal(kprod_send(p, &blocks_md, NULL, NULL), KPROD_ERR__INTERRUPTED);
    assert_true(kp_now_ms() - start < 1000);

    /* Room in partition 1's open batch: no wait, accepted. */
    assert_int_equal(kprod_send(p, &r1, NULL, &after), 0);
    assert_int_equal(kprod_outstanding(p), 3);
    assert_int_equal(atomic_load(&g_reports), 0);

    /* The accepted records are reported as usual: here purged by close. */
    assert_int_equal(kprod_close(p, 0), KPROD_ERR__FLUSH_TIMED_OUT);
    assert_int_equal(atomic_load(&first.reports), 1);
    assert_int_equal(atomic_load(&small.reports), 1);
    assert_int_equal(atomic_load(&after.reports), 1);
    assert_int_equal(first.err, KPROD_ERR__PURGED_ON_CLOSE);
    assert_int_equal(atomic_load(&g_reports), 3);
}

/* Records accepted before an interrupt still expire and are reported by
 * flush (not failed with _INTERRUPTED); the interrupt may come from a
 * delivery callback. */
static void interrupt_from_callback_cb(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    probe *pr = r->opaque;
    pr->err = r->err;
    pr->flush_err = kprod_interrupt(pr->self);
    atomic_fetch_add(&pr->reports, 1);
    atomic_fetch_add(&g_reports, 1);
}

static void test_interrupt_keeps_accepted_records(void **state) {
    (void)state;
    const char *props[] = {
        "linger.ms", "0", "request.timeout.ms", "100", "delivery.timeout.ms", "300", "max.block.ms",
        "30000",     NULL};
    kprod_conf_t *conf = kpt_down_conf(props, on_report);
    kprod_conf_set_delivery_cb(conf, interrupt_from_callback_cb, NULL);
    kprod_t *p = kpt_new_producer(conf);
    probe a = {.self = p}, b = {.self = p};
    assert_int_equal(send_to_new_topic(p, "kept", 0, 1, "v", 1, &a), 0);
    assert_int_equal(kprod_interrupt(p), KPROD_ERR_NO_ERROR);
    kprod_record_t r = kpt_value_record("kept", 0, "w", 1); /* room in the open batch */
    assert_int_equal(kprod_send(p, &r, NULL, &b), 0);
    assert_int_equal(kprod_flush(p, 10000), KPROD_ERR_NO_ERROR);
    assert_int_equal(atomic_load(&a.reports), 1);
    assert_int_equal(atomic_load(&b.reports), 1);
    assert_int_equal(a.err, KPROD_ERR__MSG_TIMED_OUT);
    assert_int_equal(b.err, KPROD_ERR__MSG_TIMED_OUT);
    assert_int_equal(a.flush_err, KPROD_ERR_NO_ERROR); /* kprod_interrupt from the callback */
    assert_int_equal(kprod_close(p, 0), KPROD_ERR_NO_ERROR);
    assert_int_equal(atomic_load(&g_reports), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_refused_in_expiry_report_poll_mode, setup),
        cmocka_unit_test_setup(test_refused_in_expiry_report_thread_mode, setup),
        cmocka_unit_test_setup(test_refused_in_close_report_poll_mode, setup),
        cmocka_unit_test_setup(test_refused_in_close_report_thread_mode, setup),
        cmocka_unit_test_setup(test_other_producer_from_callback, setup),
        cmocka_unit_test_setup(test_negative_timestamp_refused, setup),
        cmocka_unit_test_setup(test_null_with_length_refused, setup),
        cmocka_unit_test_setup(test_interrupt_wakes_blocked_sends, setup),
        cmocka_unit_test_setup(test_interrupt_keeps_accepted_records, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
