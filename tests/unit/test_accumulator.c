/* The record accumulator on its own, no broker and no sender thread: batch
 * filling up to batch.size, linger.ms readiness and the wake-up time it
 * reports, flush epochs, buffer.memory accounting and blocking, the retry
 * requeue order, and when the sender is woken. Time is passed in explicitly
 * wherever the accumulator takes it, so most of this is deterministic; the
 * blocking tests use kp_now_ms deadlines and a second thread. */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accumulator.h"
#include "clock.h"
#include "config.h"

#define T0 1000000 /* an arbitrary "now" for tests that pass time in */

typedef struct fx {
    kp_config cfg;
    kp_acc acc;
    int wakes; /* wake callback calls (under acc.lock) */
    kp_topic *t;
} fx;

static void count_wake(void *opaque) { ((fx *)opaque)->wakes++; }

/* A fixture from name/value pairs (NULL-terminated), one topic "t" with
 * `parts` partitions. */
static fx *fx_new(int parts, const char *const *props) {
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    kprod_conf_t *conf = kprod_conf_new();
    char err[256];
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", "127.0.0.1:9", err, sizeof(err)), 0);
    for (int i = 0; props && props[i]; i += 2)
        if (kprod_conf_set(conf, props[i], props[i + 1], err, sizeof(err)) != 0)
            fail_msg("%s=%s: %s", props[i], props[i + 1], err);
    if (kp_conf_resolve(conf, &f->cfg, err, sizeof(err)) != 0)
        fail_msg("resolve: %s", err);
    kprod_conf_destroy(conf);
    assert_int_equal(kp_acc_init(&f->acc, &f->cfg, count_wake, f), 0);
    pthread_mutex_lock(&f->acc.lock);
    f->t = kp_acc_topic_locked(&f->acc, "t", 1);
    assert_non_null(f->t);
    assert_int_equal(kp_acc_set_partition_count_locked(&f->acc, f->t, parts), 0);
    pthread_mutex_unlock(&f->acc.lock);
    return f;
}

/* Releases every batch still queued, as the report path would. */
static void release_all_locked(fx *f) {
    for (int32_t p = 0; p < f->t->partition_count; p++) {
        kp_batch *b;
        while ((b = kp_acc_pop_locked(&f->acc, &f->t->parts[p]))) {
            kp_acc_release_locked(&f->acc, b);
            kp_batch_free(b);
        }
    }
}

static void fx_free(fx *f) {
    kp_acc_destroy(&f->acc);
    kp_config_free(&f->cfg);
    free(f);
}

static char g_value[4096];

/* Appends a record with a null key and a value of value_len bytes. */
static kprod_err_t append_v(fx *f, int32_t part, int32_t value_len, int64_t now, int64_t deadline) {
    kp_append a;
    memset(&a, 0, sizeof(a));
    a.timestamp_ms = 1700000000000LL;
    a.key_len = -1;
    a.value = g_value;
    a.value_len = value_len;
    size_t appended = 0;
    int wake = 0;
    kprod_err_t err =
        kp_acc_append_locked(&f->acc, f->t, part, &a, now, deadline, &appended, &wake);
    if (wake) /* the producer does this after unlocking */
        f->acc.wake_sender(f->acc.wake_opaque);
    return err;
}

static kprod_err_t append(fx *f, int32_t part, int32_t value_len, int64_t now) {
    return append_v(f, part, value_len, now, INT64_MAX);
}

static int32_t queue_len(const kp_partq *q) {
    int32_t n = 0;
    for (const kp_batch *b = q->head; b; b = b->next)
        n++;
    return n;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- batch.size ---- */

/* A record with a null key, a 50-byte value and no headers, as the first
 * records of a batch (deltas < 64): length 1 + attributes 1 + timestampDelta
 * 1 + offsetDelta 1 + keyLength 1 + valueLength 1 + 50 + headerCount 1 = 57
 * bytes. With batch.size 200, a batch holds 61 + 2 * 57 = 179 bytes; a third
 * record (236) would exceed it. */
static void test_records_share_batch_until_full(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "200", "linger.ms", "1000", NULL};
    fx *f = fx_new(1, props);
    kp_partq *q = &f->t->parts[0];
    pthread_mutex_lock(&f->acc.lock);
    assert_int_equal(append(f, 0, 50, T0), 0);
    kp_batch *first = q->head;
    assert_non_null(first);
    assert_int_equal(append(f, 0, 50, T0), 0);
    assert_ptr_equal(q->head, first);
    assert_ptr_equal(q->tail, first);
    assert_int_equal(first->w.count, 2);
    assert_int_equal(first->w.buf.len, 61 + 2 * 57);
    assert_false(first->closed);

    assert_int_equal(append(f, 0, 50, T0), 0); /* does not fit: a new batch */
    assert_int_equal(queue_len(q), 2);
    assert_ptr_equal(q->head, first);
    assert_true(first->closed);
    assert_int_equal(first->w.count, 2);
    kp_batch *second = q->tail;
    assert_ptr_equal(first->next, second);
    assert_int_equal(second->w.count, 1);
    assert_true(second->id > first->id);
    /* The closed batch is ready at once, the open one only after linger. */
    int64_t wake = INT64_MAX;
    assert_true(kp_acc_batch_ready_locked(&f->acc, first, T0, &wake));
    assert_false(kp_acc_batch_ready_locked(&f->acc, second, T0, &wake));

    /* A record larger than batch.size gets a batch of its own, sized for it. */
    assert_int_equal(append(f, 0, 1000, T0), 0);
    assert_int_equal(queue_len(q), 3);
    assert_true(second->closed);
    assert_int_equal(q->tail->w.count, 1);
    assert_true(q->tail->mem >= 61 + 1000);
    release_all_locked(f);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* ---- linger.ms ---- */

static void test_linger_readiness_and_wake_time(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "100", NULL};
    fx *f = fx_new(2, props);
    pthread_mutex_lock(&f->acc.lock);
    assert_int_equal(append(f, 0, 10, T0), 0);
    kp_batch *b = f->t->parts[0].head;
    assert_int_equal(b->created_ms, T0);

    int64_t wake = INT64_MAX;
    assert_false(kp_acc_batch_ready_locked(&f->acc, b, T0, &wake));
    assert_int_equal(wake, T0 + 100);
    wake = INT64_MAX;
    assert_false(kp_acc_batch_ready_locked(&f->acc, b, T0 + 99, &wake));
    assert_int_equal(wake, T0 + 100);
    /* An earlier wake-up time already planned is kept. */
    wake = T0 + 50;
    assert_false(kp_acc_batch_ready_locked(&f->acc, b, T0 + 10, &wake));
    assert_int_equal(wake, T0 + 50);
    /* Ready at created + linger; then wake_at is left alone. */
    wake = INT64_MAX;
    assert_true(kp_acc_batch_ready_locked(&f->acc, b, T0 + 100, &wake));
    assert_int_equal(wake, INT64_MAX);

    /* Later records do not move the batch's linger start. */
    assert_int_equal(append(f, 0, 10, T0 + 60), 0);
    assert_ptr_equal(f->t->parts[0].tail, b);
    wake = INT64_MAX;
    assert_false(kp_acc_batch_ready_locked(&f->acc, b, T0 + 99, &wake));
    assert_int_equal(wake, T0 + 100);

    /* A retried batch waits for its backoff, then goes without linger. */
    b->attempts = 1;
    b->retry_at_ms = T0 + 30;
    wake = INT64_MAX;
    assert_false(kp_acc_batch_ready_locked(&f->acc, b, T0 + 10, &wake));
    assert_int_equal(wake, T0 + 30);
    wake = INT64_MAX;
    assert_true(kp_acc_batch_ready_locked(&f->acc, b, T0 + 30, &wake));
    b->attempts = 0;
    b->retry_at_ms = 0;

    /* Closing makes everything ready. */
    f->acc.closing = 1;
    wake = INT64_MAX;
    assert_true(kp_acc_batch_ready_locked(&f->acc, b, T0, &wake));
    f->acc.closing = 0;
    release_all_locked(f);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* ---- flush epochs ---- */

static void test_flush_epochs(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "100000", NULL};
    fx *f = fx_new(3, props);
    pthread_mutex_lock(&f->acc.lock);
    assert_int_equal(append(f, 0, 10, T0), 0);
    assert_int_equal(append(f, 1, 10, T0), 0);
    kp_batch *a = f->t->parts[0].head, *b = f->t->parts[1].head;
    int64_t wake = INT64_MAX;
    assert_false(kp_acc_batch_ready_locked(&f->acc, a, T0, &wake));

    int wakes = f->wakes;
    uint64_t e1 = kp_acc_begin_flush_locked(&f->acc);
    assert_int_equal(f->wakes, wakes + 1); /* the sender must look now */
    assert_int_equal(f->acc.sender_wake_ms, 0);
    assert_true(kp_acc_batch_ready_locked(&f->acc, a, T0, &wake));
    assert_true(kp_acc_batch_ready_locked(&f->acc, b, T0, &wake));
    assert_false(kp_acc_flush_done_locked(&f->acc, e1));

    /* A record appended to a flushed open batch is flushed with it; a batch
     * created after the flush lingers and does not hold the flush up. */
    assert_int_equal(append(f, 0, 10, T0), 0);
    assert_ptr_equal(f->t->parts[0].tail, a);
    assert_int_equal(append(f, 2, 10, T0), 0);
    kp_batch *c = f->t->parts[2].head;
    assert_false(kp_acc_batch_ready_locked(&f->acc, c, T0, &wake));

    kp_batch *x = kp_acc_pop_locked(&f->acc, &f->t->parts[0]);
    assert_ptr_equal(x, a);
    kp_acc_release_locked(&f->acc, a);
    kp_batch_free(a);
    assert_false(kp_acc_flush_done_locked(&f->acc, e1)); /* b still pending */
    x = kp_acc_pop_locked(&f->acc, &f->t->parts[1]);
    kp_acc_release_locked(&f->acc, x);
    kp_batch_free(x);
    assert_true(kp_acc_flush_done_locked(&f->acc, e1));

    /* A second flush takes c; the first stays done. */
    uint64_t e2 = kp_acc_begin_flush_locked(&f->acc);
    assert_true(e2 > e1);
    assert_true(kp_acc_batch_ready_locked(&f->acc, c, T0, &wake));
    assert_false(kp_acc_flush_done_locked(&f->acc, e2));
    assert_true(kp_acc_flush_done_locked(&f->acc, e1));
    release_all_locked(f);
    assert_true(kp_acc_flush_done_locked(&f->acc, e2));
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* Flushing an idle producer over and over must not pile up epochs. */
static void test_idle_flushes_do_not_grow(void **state) {
    (void)state;
    fx *f = fx_new(1, NULL);
    pthread_mutex_lock(&f->acc.lock);
    for (int i = 0; i < 1000; i++) {
        uint64_t e = kp_acc_begin_flush_locked(&f->acc);
        assert_true(kp_acc_flush_done_locked(&f->acc, e));
    }
    int n = 0;
    for (kp_flush_epoch *e = f->acc.epochs; e; e = e->next)
        n++;
    assert_true(n <= 2);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* ---- buffer.memory ---- */

static void test_memory_accounting(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "200", "buffer.memory", "10000", NULL};
    fx *f = fx_new(2, props);
    const size_t per_rec = sizeof(kp_recmeta);
    pthread_mutex_lock(&f->acc.lock);
    assert_int_equal(f->acc.mem_used, 0);
    assert_int_equal(append(f, 0, 50, T0), 0);
    assert_int_equal(f->acc.mem_used, 200 + per_rec);
    assert_int_equal(append(f, 0, 50, T0), 0);
    assert_int_equal(f->acc.mem_used, 200 + 2 * per_rec);
    assert_int_equal(append(f, 1, 50, T0), 0);
    assert_int_equal(f->acc.mem_used, 2 * 200 + 3 * per_rec);
    assert_int_equal(append(f, 0, 50, T0), 0); /* a new batch on 0 */
    assert_int_equal(f->acc.mem_used, 3 * 200 + 4 * per_rec);
    assert_int_equal(append(f, 1, 1000, T0), 0); /* larger than batch.size */
    size_t big = f->t->parts[1].tail->mem;
    assert_true(big >= 61 + 1000 + per_rec);
    assert_int_equal(f->acc.mem_used, 3 * 200 + 4 * per_rec + big);

    size_t sum = 0;
    for (int p = 0; p < 2; p++)
        for (kp_batch *b = f->t->parts[p].head; b; b = b->next)
            sum += b->mem;
    assert_int_equal(sum, f->acc.mem_used);
    release_all_locked(f);
    assert_int_equal(f->acc.mem_used, 0);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* Fills buffer.memory 1000 with batches of 200 (4 batches plus records). */
static fx *full_fx(const char *linger) {
    const char *props[] = {"batch.size", "200",          "buffer.memory", "1000", "linger.ms",
                           linger,       "max.block.ms", "5000",          NULL};
    fx *f = fx_new(8, props);
    pthread_mutex_lock(&f->acc.lock);
    for (int p = 0; p < 4; p++)
        assert_int_equal(append(f, p, 10, T0), 0);
    assert_true(f->acc.mem_used + 200 > 1000);
    pthread_mutex_unlock(&f->acc.lock);
    return f;
}

static void test_full_append_times_out(void **state) {
    (void)state;
    fx *f = full_fx("0");
    pthread_mutex_lock(&f->acc.lock);
    /* Appending to an open batch needs no new memory... */
    assert_int_equal(append_v(f, 0, 10, T0, kp_now_ms()), 0);
    size_t used = f->acc.mem_used;
    /* ...a new batch waits until its deadline, then fails. */
    int64_t start = kp_now_ms();
    assert_int_equal(append_v(f, 5, 10, start, start + 80), KPROD_ERR__QUEUE_FULL);
    int64_t took = kp_now_ms() - start;
    assert_true(took >= 80);
    assert_true(took < 4000);
    assert_int_equal(f->acc.mem_used, used);
    assert_null(f->t->parts[5].head);
    release_all_locked(f);
    assert_int_equal(f->acc.mem_used, 0);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

typedef struct blocked_append {
    fx *f;
    int32_t part;
    int64_t now; /* as the caller saw it before blocking */
    int64_t deadline;
    int32_t value_len; /* 0: 10 bytes */
    kprod_err_t err;
    int64_t returned_ms;
} blocked_append;

static void *blocked_append_main(void *arg) {
    blocked_append *ba = arg;
    pthread_mutex_lock(&ba->f->acc.lock);
    ba->err = append_v(ba->f, ba->part, ba->value_len ? ba->value_len : 10, ba->now, ba->deadline);
    ba->returned_ms = kp_now_ms();
    pthread_mutex_unlock(&ba->f->acc.lock);
    return NULL;
}

/* Waits (bounded) until a thread is waiting for buffer.memory. */
static void await_space_waiter(fx *f) {
    int64_t deadline = kp_now_ms() + 5000;
    for (;;) {
        pthread_mutex_lock(&f->acc.lock);
        int waiting = f->acc.space_waiters > 0;
        pthread_mutex_unlock(&f->acc.lock);
        if (waiting)
            return;
        if (kp_now_ms() > deadline)
            fail_msg("no append started waiting for buffer.memory");
        sleep_ms(1);
    }
}

/* Starts ba's append on a thread of its own and returns once it waits for
 * buffer.memory. */
static pthread_t start_blocked_append(blocked_append *ba) {
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_append_main, ba), 0);
    await_space_waiter(ba->f);
    return th;
}

static void release_head_locked(fx *f, int32_t part) {
    kp_batch *b = kp_acc_pop_locked(&f->acc, &f->t->parts[part]);
    assert_non_null(b);
    kp_acc_release_locked(&f->acc, b);
    kp_batch_free(b);
}

/* A release on another thread unblocks a waiting append at once; the new
 * batch's clock (linger, delivery.timeout.ms) starts when it is created,
 * not when the caller started waiting. */
static void test_release_unblocks_append(void **state) {
    (void)state;
    fx *f = full_fx("0");
    blocked_append ba = {.f = f, .part = 5, .now = kp_now_ms()};
    ba.deadline = ba.now + 20000;
    pthread_t th = start_blocked_append(&ba);
    while (kp_now_ms() < ba.now + 60)
        sleep_ms(5);
    pthread_mutex_lock(&f->acc.lock);
    int64_t released_at = kp_now_ms();
    release_head_locked(f, 0);
    pthread_mutex_unlock(&f->acc.lock);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, 0);
    assert_true(ba.returned_ms - released_at < 2000);
    pthread_mutex_lock(&f->acc.lock);
    kp_batch *b = f->t->parts[5].head;
    assert_non_null(b);
    assert_int_equal(b->w.count, 1);
    assert_true(b->created_ms >= released_at);
    assert_int_equal(f->acc.space_waiters, 0);
    release_all_locked(f);
    assert_int_equal(f->acc.mem_used, 0);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* While an append waits for memory, lingering batches are ready at once
 * (as Java's accumulator does when its pool is exhausted) and the sender is
 * woken to take them: waiting out linger.ms would only hold memory longer. */
static void test_waiting_append_makes_batches_ready(void **state) {
    (void)state;
    fx *f = full_fx("100000");
    pthread_mutex_lock(&f->acc.lock);
    kp_batch *b = f->t->parts[0].head;
    int64_t wake = INT64_MAX;
    int64_t now = kp_now_ms();
    assert_false(kp_acc_batch_ready_locked(&f->acc, b, T0, &wake));
    f->acc.sender_wake_ms = now + 100000; /* the sender sleeps for linger */
    int wakes = f->wakes;
    pthread_mutex_unlock(&f->acc.lock);

    blocked_append ba = {.f = f, .part = 5, .now = now, .deadline = now + 20000};
    pthread_t th = start_blocked_append(&ba);
    pthread_mutex_lock(&f->acc.lock);
    assert_int_equal(f->wakes, wakes + 1);
    wake = INT64_MAX;
    assert_true(kp_acc_batch_ready_locked(&f->acc, b, T0, &wake));
    release_head_locked(f, 0);
    pthread_mutex_unlock(&f->acc.lock);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, 0);
    pthread_mutex_lock(&f->acc.lock);
    wake = INT64_MAX;
    assert_false(kp_acc_batch_ready_locked(&f->acc, f->t->parts[1].head, T0, &wake));
    release_all_locked(f);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* A waiting append is woken only once a slice of buffer.memory is free
 * (fewer wake-ups), but also when no batch buffer is left to give back:
 * what is still charged then is report facts, which only served reports
 * free, and the waiting thread may be the one that serves them. Here the
 * append needs 870 of 1000 bytes, its wake-up mark is 932, and after every
 * batch completes 904 are free: enough to append, not enough for the mark. */
static void test_last_buffer_back_wakes_waiter(void **state) {
    (void)state;
    fx *f = full_fx("0");
    blocked_append ba = {.f = f, .part = 5, .now = kp_now_ms(), .value_len = 800};
    ba.deadline = ba.now + 20000;
    pthread_t th = start_blocked_append(&ba);
    pthread_mutex_lock(&f->acc.lock);
    kp_batch *done[4];
    for (int p = 0; p < 4; p++) {
        done[p] = kp_acc_pop_locked(&f->acc, &f->t->parts[p]);
        assert_non_null(done[p]);
        kp_acc_release_buffer_locked(&f->acc, done[p]); /* completed, reports unserved */
    }
    assert_int_equal(f->acc.buf_used, 0);
    assert_true(1000 - f->acc.mem_used < f->acc.space_want);
    int64_t released_at = kp_now_ms();
    pthread_mutex_unlock(&f->acc.lock);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, 0);
    assert_true(ba.returned_ms - released_at < 2000);
    pthread_mutex_lock(&f->acc.lock);
    for (int p = 0; p < 4; p++) {
        kp_acc_release_locked(&f->acc, done[p]);
        kp_batch_free(done[p]);
    }
    release_all_locked(f);
    assert_int_equal(f->acc.mem_used, 0);
    assert_int_equal(f->acc.buf_used, 0);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* An append that closes a full batch and then has to wait for memory for
 * its new one wakes the sender before it waits: the closed batch had
 * already lowered the sender's wake-up time, with the wake itself left for
 * after the append, which then slept out max.block.ms with nobody taking
 * batches. */
static void test_closing_append_wakes_sender_before_waiting(void **state) {
    (void)state;
    fx *f = full_fx("100000");
    pthread_mutex_lock(&f->acc.lock);
    int64_t now = kp_now_ms();
    f->acc.sender_wake_ms = now + 100000; /* the sender sleeps for linger */
    int wakes = f->wakes;
    pthread_mutex_unlock(&f->acc.lock);

    /* 150 bytes do not fit in partition 0's open batch (batch.size 200). */
    blocked_append ba = {.f = f, .part = 0, .now = now, .deadline = now + 20000, .value_len = 150};
    pthread_t th = start_blocked_append(&ba);
    pthread_mutex_lock(&f->acc.lock);
    assert_int_equal(f->wakes, wakes + 1); /* while it waits, not after */
    assert_true(f->t->parts[0].head->closed);
    release_head_locked(f, 1);
    release_head_locked(f, 2);
    pthread_mutex_unlock(&f->acc.lock);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, 0);
    pthread_mutex_lock(&f->acc.lock);
    release_all_locked(f);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* Closing while an append waits: it fails with _CLOSED even when memory was
 * freed at the same moment, so nothing is appended after close began. */
static void test_close_fails_waiting_append(void **state) {
    (void)state;
    fx *f = full_fx("0");
    blocked_append ba = {.f = f, .part = 5, .now = kp_now_ms()};
    ba.deadline = ba.now + 20000;
    pthread_t th = start_blocked_append(&ba);
    pthread_mutex_lock(&f->acc.lock);
    f->acc.closing = 1;
    release_head_locked(f, 0); /* broadcasts space_cv with room to spare */
    pthread_mutex_unlock(&f->acc.lock);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, KPROD_ERR__CLOSED);
    pthread_mutex_lock(&f->acc.lock);
    assert_null(f->t->parts[5].head);
    release_all_locked(f);
    assert_int_equal(f->acc.mem_used, 0);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* An append that fails after its new batch was made (here: a record that
 * cannot be encoded) leaves no empty batch behind and no memory charged:
 * an empty batch cannot be sealed and would fail the other batches of its
 * Produce request. */
static void test_failed_append_leaves_no_empty_batch(void **state) {
    (void)state;
    fx *f = fx_new(1, NULL);
    kp_partq *q = &f->t->parts[0];
    pthread_mutex_lock(&f->acc.lock);
    uint64_t e = kp_acc_begin_flush_locked(&f->acc);
    assert_int_not_equal(append(f, 0, -2, T0), 0);
    assert_null(q->head);
    assert_null(q->tail);
    assert_int_equal(f->acc.mem_used, 0);
    uint64_t e2 = kp_acc_begin_flush_locked(&f->acc);
    assert_true(kp_acc_flush_done_locked(&f->acc, e));
    assert_true(kp_acc_flush_done_locked(&f->acc, e2));

    /* On an open batch, the batch is left as it was. */
    assert_int_equal(append(f, 0, 10, T0), 0);
    size_t len = q->head->w.buf.len, used = f->acc.mem_used;
    assert_int_not_equal(append(f, 0, -2, T0), 0);
    assert_ptr_equal(q->head, q->tail);
    assert_int_equal(q->head->w.count, 1);
    assert_int_equal(q->head->w.buf.len, len);
    assert_int_equal(f->acc.mem_used, used);
    release_all_locked(f);
    assert_int_equal(f->acc.mem_used, 0);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* ---- retries ---- */

static void test_requeue_keeps_creation_order(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "130", NULL};
    fx *f = fx_new(1, props);
    kp_partq *q = &f->t->parts[0];
    pthread_mutex_lock(&f->acc.lock);
    for (int i = 0; i < 4; i++) /* 61 + 57 bytes: one such record per batch */
        assert_int_equal(append(f, 0, 50, T0), 0);
    assert_int_equal(queue_len(q), 4);
    kp_batch *a = kp_acc_pop_locked(&f->acc, q);
    kp_batch *b = kp_acc_pop_locked(&f->acc, q);
    kp_batch *c = q->head, *d = q->tail;
    assert_true(a->id < b->id && b->id < c->id && c->id < d->id);

    kp_acc_requeue_locked(q, b);
    assert_ptr_equal(q->head, b);
    assert_ptr_equal(b->next, c);
    kp_acc_requeue_locked(q, a);
    assert_ptr_equal(q->head, a);
    assert_ptr_equal(a->next, b);
    assert_ptr_equal(q->tail, d);
    assert_null(d->next);
    /* Appends still go to the open tail. */
    assert_int_equal(append(f, 0, 1, T0), 0);
    assert_ptr_equal(q->tail, d);
    assert_int_equal(d->w.count, 2);

    /* Into an empty queue: head and tail; the batch stays closed, so the
     * next append starts a new batch behind it. */
    kp_batch *all[4];
    for (int i = 0; i < 4; i++)
        all[i] = kp_acc_pop_locked(&f->acc, q);
    assert_null(q->head);
    kp_acc_requeue_locked(q, all[2]);
    kp_acc_requeue_locked(q, all[3]);
    kp_acc_requeue_locked(q, all[0]);
    assert_ptr_equal(q->head, all[0]);
    assert_ptr_equal(all[0]->next, all[2]);
    assert_ptr_equal(all[2]->next, all[3]);
    assert_ptr_equal(q->tail, all[3]);
    assert_int_equal(append(f, 0, 1, T0), 0);
    assert_int_equal(queue_len(q), 4);
    assert_ptr_equal(all[3]->next, q->tail);
    kp_acc_release_locked(&f->acc, all[1]);
    kp_batch_free(all[1]);
    release_all_locked(f);
    assert_int_equal(f->acc.mem_used, 0);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

/* ---- waking the sender ---- */

static void test_wake_only_when_ready_earlier(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "200", "linger.ms", "50", NULL};
    fx *f = fx_new(2, props);
    pthread_mutex_lock(&f->acc.lock);
    assert_int_equal(f->acc.sender_wake_ms, INT64_MAX);
    /* A new batch ready at T0+50, earlier than "forever": one wake-up. */
    assert_int_equal(append(f, 0, 10, T0), 0);
    assert_int_equal(f->wakes, 1);
    assert_int_equal(f->acc.sender_wake_ms, T0 + 50);
    /* More records in the same batch: none. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(append(f, 0, 1, T0 + i), 0);
    assert_int_equal(f->wakes, 1);
    /* A new batch elsewhere, ready later than the planned wake-up: none. */
    assert_int_equal(append(f, 1, 10, T0 + 10), 0);
    assert_int_equal(f->wakes, 1);
    assert_int_equal(f->acc.sender_wake_ms, T0 + 50);
    /* The sender plans to sleep until T0+1000 (as after taking batches). */
    f->acc.sender_wake_ms = T0 + 1000;
    assert_int_equal(append(f, 1, 1, T0 + 20), 0); /* same batch: none */
    assert_int_equal(f->wakes, 1);
    /* A batch that fills up is ready now: wake. */
    assert_int_equal(append(f, 0, 150, T0 + 20), 0);
    assert_int_equal(f->wakes, 2);
    assert_int_equal(f->acc.sender_wake_ms, T0 + 20);
    /* A second full batch while the sender already plans to look now: none. */
    assert_int_equal(append(f, 1, 150, T0 + 20), 0);
    assert_int_equal(f->wakes, 2);
    release_all_locked(f);
    pthread_mutex_unlock(&f->acc.lock);
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_share_batch_until_full),
        cmocka_unit_test(test_linger_readiness_and_wake_time),
        cmocka_unit_test(test_flush_epochs),
        cmocka_unit_test(test_idle_flushes_do_not_grow),
        cmocka_unit_test(test_memory_accounting),
        cmocka_unit_test(test_full_append_times_out),
        cmocka_unit_test(test_release_unblocks_append),
        cmocka_unit_test(test_waiting_append_makes_batches_ready),
        cmocka_unit_test(test_last_buffer_back_wakes_waiter),
        cmocka_unit_test(test_closing_append_wakes_sender_before_waiting),
        cmocka_unit_test(test_close_fails_waiting_append),
        cmocka_unit_test(test_failed_append_leaves_no_empty_batch),
        cmocka_unit_test(test_requeue_keeps_creation_order),
        cmocka_unit_test(test_wake_only_when_ready_earlier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
