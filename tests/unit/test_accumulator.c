/* The record accumulator on its own, no broker and no sender thread, driven
 * through its API the way the producer and the sender drive it: batch
 * filling up to batch.size, linger.ms readiness and the wake-up time the
 * drain reports, the drain's walk over the partitions that hold batches,
 * flush epochs, buffer.memory accounting and blocking, the retry requeue
 * order, topic metadata, shutdown, and when the sender is woken.
 *
 * The drain takes its "now" explicitly, so readiness is tested at fixed
 * times relative to a batch's created_ms (which kp_acc_append stamps from
 * the clock). The blocking tests use a second thread and wait on conditions
 * with deadlines. This is a white-box test: it reads the accumulator's
 * internals (accumulator_impl.h), under its lock where another thread may
 * be running. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accumulator.h"
#include "accumulator_impl.h"
#include "clock.h"
#include "config.h"

typedef struct fx {
    kp_config cfg;
    kp_acc *acc;
    atomic_int wakes;        /* waker calls */
    atomic_int locked_wakes; /* ... of them made with the accumulator's lock held */
} fx;

/* Poll interval of the condition loops below (never a wait on its own). */
static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void count_wake(void *opaque) {
    fx *f = opaque;
    int rc = pthread_mutex_trylock(&f->acc->lock);
    if (rc == 0)
        pthread_mutex_unlock(&f->acc->lock);
    else if (rc == EBUSY)
        atomic_fetch_add(&f->locked_wakes, 1);
    atomic_fetch_add(&f->wakes, 1);
}

static int wakes(fx *f) { return atomic_load(&f->wakes); }

static void lock(fx *f) { pthread_mutex_lock(&f->acc->lock); }
static void unlock(fx *f) { pthread_mutex_unlock(&f->acc->lock); }

static char g_value[4096];

/* Appends a record with a null key and a value of value_len bytes. */
static kprod_err_t append_to(fx *f, const char *topic, int32_t part, int32_t value_len) {
    kp_append a;
    memset(&a, 0, sizeof(a));
    a.topic = topic;
    a.partition = part;
    a.timestamp_ms = 1700000000000LL;
    a.key_len = -1;
    a.value = g_value;
    a.value_len = value_len;
    return kp_acc_append(f->acc, &a);
}

static kprod_err_t append(fx *f, int32_t part, int32_t value_len) {
    return append_to(f, "t", part, value_len);
}

/* ---- making topics ---- */

typedef struct topic_maker {
    fx *f;
    const char *topic;
    int32_t partition;
    kprod_err_t err;
} topic_maker;

static void *topic_maker_main(void *arg) {
    topic_maker *m = arg;
    m->err = append_to(m->f, m->topic, m->partition, 10);
    return NULL;
}

/* Gives the accumulator topic `name` with `parts` partitions (has_leader
 * NULL: all have a leader) the way the producer gets one: a send to a topic
 * not seen yet makes it and waits for its metadata, which the sender
 * applies. That send asks for partition `parts`, which does not exist, so
 * it fails once the count is known (or at max.block.ms) and leaves nothing
 * behind. Returns the topic's id. */
static int64_t make_topic(fx *f, const char *name, int32_t parts, const uint8_t *has_leader) {
    topic_maker m = {.f = f, .topic = name, .partition = parts};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, topic_maker_main, &m), 0);
    int64_t deadline = kp_now_ms() + 5000;
    while (!kp_acc_has_topic(f->acc, name)) {
        if (kp_now_ms() > deadline)
            fail_msg("the send did not make topic %s", name);
        sleep_ms(1);
    }
    uint8_t *all = NULL;
    if (!has_leader) {
        all = malloc((size_t)parts);
        assert_non_null(all);
        memset(all, 1, (size_t)parts);
        has_leader = all;
    }
    int64_t id = kp_acc_apply_topic(f->acc, name, KPROD_ERR_NO_ERROR, parts, has_leader);
    free(all);
    pthread_join(th, NULL);
    if (m.err != KPROD_ERR__UNKNOWN_PARTITION && m.err != KPROD_ERR__TIMED_OUT)
        fail_msg("topic %s: the making send returned %d", name, m.err);
    return id;
}

/* ---- draining ---- */

#define SPY_MAXP 1024
#define SPY_MAXSEEN 64

/* A drain callback's script (a verdict per partition of "t") and what it
 * saw, with the vectors the drain fills. */
typedef struct spy {
    kp_acc *acc;
    kp_drain_verdict verdict[SPY_MAXP]; /* zero: KP_DRAIN_SKIP */
    int64_t lower_to;                   /* lower *wake_at_ms to this (0: no) */
    int calls;
    int unlocked; /* calls made without the accumulator's lock */
    int32_t part[SPY_MAXSEEN];
    int ready[SPY_MAXSEEN];
    const kp_batch *head[SPY_MAXSEEN];
    kp_batchvec taken, expired;
} spy;

static spy *spy_new(fx *f) {
    spy *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->acc = f->acc;
    return s;
}

static void spy_free(spy *s) {
    kp_batchvec_free(&s->taken);
    kp_batchvec_free(&s->expired);
    free(s);
}

static kp_drain_verdict spy_fn(void *opaque, const kp_batch *head, int ready, int64_t now_ms,
                               int64_t *wake_at_ms) {
    spy *s = opaque;
    (void)now_ms;
    if (pthread_mutex_trylock(&s->acc->lock) == 0) {
        pthread_mutex_unlock(&s->acc->lock);
        s->unlocked++;
    }
    if (s->calls < SPY_MAXSEEN) {
        s->part[s->calls] = head->partition;
        s->ready[s->calls] = ready;
        s->head[s->calls] = head;
    }
    s->calls++;
    if (s->lower_to && s->lower_to < *wake_at_ms)
        *wake_at_ms = s->lower_to;
    return head->partition < SPY_MAXP ? s->verdict[head->partition] : KP_DRAIN_SKIP;
}

/* One drain at now_ms, the sender planning to look at wake_from: returns
 * the wake-up time it reports. Resets the spy's calls and vectors. */
static int64_t drain(fx *f, spy *s, int64_t now_ms, int64_t wake_from) {
    s->calls = 0;
    s->taken.n = s->expired.n = 0;
    int64_t wake = wake_from;
    kp_acc_drain(f->acc, now_ms, spy_fn, s, &s->taken, &s->expired, &wake);
    assert_int_equal(s->unlocked, 0);
    return wake;
}

/* Was partition p's head seen in the last drain, and was it ready? */
static int seen_ready(const spy *s, int32_t p) {
    for (int i = 0; i < s->calls && i < SPY_MAXSEEN; i++)
        if (s->part[i] == p)
            return s->ready[i];
    fail_msg("partition %d not seen by the drain", p);
    return -1;
}

/* Takes partition p's head off (whether ready or not), as a sender would. */
static kp_batch *take_head(fx *f, int32_t p) {
    spy *s = spy_new(f);
    s->verdict[p] = KP_DRAIN_TAKE;
    drain(f, s, kp_now_ms(), INT64_MAX);
    assert_int_equal(s->taken.n, 1);
    kp_batch *b = s->taken.v[0];
    assert_int_equal(b->partition, p);
    spy_free(s);
    return b;
}

/* The report path: the batches' reports were served. Frees them. */
static void serve(fx *f, kp_batch *const *v, int n) {
    if (n == 0)
        return;
    for (int i = 0; i < n; i++)
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    kp_acc_release_served(f->acc, v[0]);
    for (int i = 0; i < n; i++)
        kp_batch_free(v[i]);
}

/* A taken batch completed and its reports were served. */
static void finish(fx *f, kp_batch *b) {
    kp_acc_settle(f->acc, &b, 1, NULL, 0);
    serve(f, &b, 1);
}

static void finish_all(fx *f, kp_batchvec *bv) {
    kp_acc_settle(f->acc, bv->v, bv->n, NULL, 0);
    serve(f, bv->v, bv->n);
    bv->n = 0;
}

/* Takes every queued batch off (buffers back) and serves them. */
static void release_all(fx *f) {
    kp_batchvec bv = {0};
    kp_acc_take_all(f->acc, &bv);
    lock(f);
    for (size_t i = 0; i < f->acc->ntopics; i++) {
        const kp_topic *t = f->acc->by_id[i];
        for (int32_t p = 0; p < t->partition_count; p++)
            assert_null(t->parts[p]->head);
    }
    size_t facts = 0;
    for (int i = 0; i < bv.n; i++) {
        assert_int_equal(bv.v[i]->buf_mem, 0);
        facts += bv.v[i]->mem;
    }
    assert_true(f->acc->mem_used >= facts);
    unlock(f);
    serve(f, bv.v, bv.n);
    kp_batchvec_free(&bv);
}

/* ---- fixtures ---- */

/* A fixture from name/value pairs (NULL-terminated), one topic "t" with
 * `parts` partitions, its sender having looked and found nothing to do. */
static fx *fx_new(int32_t parts, const char *const *props) {
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
    f->acc = kp_acc_new(&f->cfg);
    assert_non_null(f->acc);
    kp_acc_set_waker(f->acc, count_wake, f);
    assert_int_equal(make_topic(f, "t", parts, NULL), 0);
    spy *s = spy_new(f);
    assert_int_equal(drain(f, s, kp_now_ms(), INT64_MAX), INT64_MAX);
    assert_int_equal(s->calls, 0);
    spy_free(s);
    lock(f);
    assert_int_equal(f->acc->sender_wake_ms, INT64_MAX);
    assert_int_equal(f->acc->mem_used, 0);
    unlock(f);
    atomic_store(&f->wakes, 0);
    atomic_store(&f->locked_wakes, 0);
    return f;
}

static void fx_free(fx *f) {
    kp_acc_free(f->acc);
    kp_config_free(&f->cfg);
    free(f);
}

/* Partition p's queue of "t" (its address stays fixed). */
static kp_partq *queue(fx *f, int32_t p) {
    lock(f);
    kp_topic *t = kp_acc_topic_locked(f->acc, "t");
    assert_non_null(t);
    assert_true(p < t->partition_count);
    kp_partq *q = t->parts[p];
    unlock(f);
    return q;
}

static int32_t queue_len(fx *f, const kp_partq *q) {
    int32_t n = 0;
    lock(f);
    for (const kp_batch *b = q->head; b; b = b->next)
        n++;
    unlock(f);
    return n;
}

static size_t mem_used(fx *f) {
    lock(f);
    size_t n = f->acc->mem_used;
    unlock(f);
    return n;
}

/* Checks the active list against the queues: each entry flagged active,
 * listed once, the tail its last entry, and every partition holding
 * batches on it. Returns its length. */
static int active_len(fx *f) {
    lock(f);
    int total = 0, flagged = 0;
    for (size_t i = 0; i < f->acc->ntopics; i++) {
        const kp_topic *t = f->acc->by_id[i];
        for (int32_t p = 0; p < t->partition_count; p++) {
            const kp_partq *q = t->parts[p];
            total++;
            flagged += q->active != 0;
            if (q->head && !q->active)
                fail_msg("partition %d holds batches but is not on the active list", p);
        }
    }
    int n = 0;
    const kp_partq *last = NULL;
    for (const kp_partq *q = f->acc->act_head; q; q = q->act_next) {
        assert_true(q->active);
        last = q;
        if (++n > total)
            fail_msg("the active list loops");
    }
    assert_ptr_equal(f->acc->act_tail, last);
    assert_int_equal(n, flagged);
    unlock(f);
    return n;
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
    kp_partq *q = queue(f, 0);
    assert_int_equal(append(f, 0, 50), 0);
    kp_batch *first = q->head;
    assert_non_null(first);
    assert_int_equal(append(f, 0, 50), 0);
    assert_ptr_equal(q->head, first);
    assert_ptr_equal(q->tail, first);
    assert_int_equal(first->w.count, 2);
    assert_int_equal(first->w.buf.len, 61 + 2 * 57);
    assert_false(first->closed);

    assert_int_equal(append(f, 0, 50), 0); /* does not fit: a new batch */
    assert_int_equal(queue_len(f, q), 2);
    assert_ptr_equal(q->head, first);
    assert_true(first->closed);
    assert_int_equal(first->w.count, 2);
    kp_batch *second = q->tail;
    assert_ptr_equal(first->next, second);
    assert_int_equal(second->w.count, 1);
    assert_true(second->id > first->id);
    /* The closed batch is ready at once, the open one only after linger. */
    int64_t now = second->created_ms;
    int64_t wake = INT64_MAX;
    lock(f);
    assert_true(kp_acc_batch_ready_locked(f->acc, first, now, &wake));
    assert_false(kp_acc_batch_ready_locked(f->acc, second, now, &wake));
    assert_int_equal(wake, now + 1000);
    unlock(f);
    /* The drain sees the head, ready. */
    spy *s = spy_new(f);
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 1);
    assert_ptr_equal(s->head[0], first);
    assert_true(s->ready[0]);

    /* A record larger than batch.size gets a batch of its own, sized for it. */
    assert_int_equal(append(f, 0, 1000), 0);
    assert_int_equal(queue_len(f, q), 3);
    assert_true(second->closed);
    assert_int_equal(q->tail->w.count, 1);
    assert_true(q->tail->mem >= 61 + 1000);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    spy_free(s);
    fx_free(f);
}

/* ---- linger.ms ---- */

static void test_linger_readiness_and_wake_time(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "100", NULL};
    fx *f = fx_new(2, props);
    kp_partq *q = queue(f, 0);
    spy *s = spy_new(f);
    assert_int_equal(append(f, 0, 10), 0);
    kp_batch *b = q->head;
    assert_non_null(b);
    int64_t c = b->created_ms;

    assert_int_equal(drain(f, s, c, INT64_MAX), c + 100);
    assert_int_equal(s->calls, 1);
    assert_false(s->ready[0]);
    lock(f);
    assert_int_equal(f->acc->sender_wake_ms, c + 100); /* the sender sleeps until then */
    unlock(f);
    assert_int_equal(drain(f, s, c + 99, INT64_MAX), c + 100);
    assert_false(s->ready[0]);
    /* An earlier wake-up time already planned is kept. */
    assert_int_equal(drain(f, s, c + 10, c + 50), c + 50);
    /* Ready at created + linger; then the wake-up time is left alone. */
    assert_int_equal(drain(f, s, c + 100, INT64_MAX), INT64_MAX);
    assert_true(s->ready[0]);
    /* The callback may lower it itself. */
    s->lower_to = c + 7;
    assert_int_equal(drain(f, s, c, INT64_MAX), c + 7);
    s->lower_to = 0;

    /* Later records do not move the batch's linger start. */
    assert_int_equal(append(f, 0, 10), 0);
    assert_ptr_equal(q->tail, b);
    assert_int_equal(b->created_ms, c);
    assert_int_equal(drain(f, s, c + 99, INT64_MAX), c + 100);
    assert_false(s->ready[0]);

    /* A retried batch waits for its backoff, then goes without linger. */
    s->verdict[0] = KP_DRAIN_TAKE;
    drain(f, s, c, INT64_MAX);
    assert_int_equal(s->taken.n, 1);
    assert_ptr_equal(s->taken.v[0], b);
    s->verdict[0] = KP_DRAIN_SKIP;
    b->attempts = 1; /* what the sender sets on the batch it holds */
    b->retry_at_ms = c + 30;
    kp_acc_settle(f->acc, NULL, 0, &b, 1);
    assert_ptr_equal(q->head, b);
    assert_int_equal(drain(f, s, c + 10, INT64_MAX), c + 30);
    assert_false(s->ready[0]);
    assert_int_equal(drain(f, s, c + 30, INT64_MAX), INT64_MAX);
    assert_true(s->ready[0]);

    /* Closing makes everything ready. */
    assert_int_equal(append(f, 1, 10), 0);
    int64_t c1 = queue(f, 1)->head->created_ms;
    drain(f, s, c1, INT64_MAX);
    assert_false(seen_ready(s, 1));
    assert_false(kp_acc_closing(f->acc));
    kp_acc_shut(f->acc, KPROD_ERR__CLOSED);
    assert_true(kp_acc_closing(f->acc));
    drain(f, s, c1, INT64_MAX);
    assert_true(seen_ready(s, 1));
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    spy_free(s);
    fx_free(f);
}

/* ---- flush epochs ---- */

typedef struct flush_waiter {
    kp_acc *acc;
    uint64_t epoch;
    int64_t deadline;
    atomic_int started;
    int done;
    int64_t returned_ms;
} flush_waiter;

static void *flush_waiter_main(void *arg) {
    flush_waiter *w = arg;
    atomic_store(&w->started, 1);
    w->done = kp_acc_flushed(w->acc, w->epoch, w->deadline);
    w->returned_ms = kp_now_ms();
    return NULL;
}

static void test_flush_epochs(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "100000", NULL};
    fx *f = fx_new(3, props);
    spy *s = spy_new(f);
    assert_int_equal(append(f, 0, 10), 0);
    assert_int_equal(append(f, 1, 10), 0);
    kp_batch *a = queue(f, 0)->head, *b = queue(f, 1)->head;
    int64_t now = kp_now_ms();
    drain(f, s, now, INT64_MAX);
    assert_false(seen_ready(s, 0));
    assert_false(seen_ready(s, 1));

    int w0 = wakes(f);
    uint64_t e1 = kp_acc_begin_flush(f->acc);
    assert_int_equal(wakes(f), w0 + 1); /* the sender must look now */
    lock(f);
    assert_int_equal(f->acc->sender_wake_ms, 0);
    unlock(f);
    drain(f, s, now, INT64_MAX);
    assert_true(seen_ready(s, 0));
    assert_true(seen_ready(s, 1));
    assert_false(kp_acc_flushed(f->acc, e1, 0));

    /* A record appended to a flushed open batch is flushed with it; a batch
     * created after the flush lingers and does not hold the flush up. */
    assert_int_equal(append(f, 0, 10), 0);
    assert_ptr_equal(queue(f, 0)->tail, a);
    assert_int_equal(append(f, 2, 10), 0);
    kp_batch *c = queue(f, 2)->head;
    drain(f, s, now, INT64_MAX);
    assert_false(seen_ready(s, 2));

    kp_batch *x = take_head(f, 0);
    assert_ptr_equal(x, a);
    finish(f, a);
    assert_false(kp_acc_flushed(f->acc, e1, 0)); /* b still pending */

    /* A flush waiter returns once the last batch of its epoch is served. */
    flush_waiter w = {.acc = f->acc, .epoch = e1, .deadline = kp_now_ms() + 20000};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, flush_waiter_main, &w), 0);
    int64_t deadline = kp_now_ms() + 5000;
    while (!atomic_load(&w.started)) {
        if (kp_now_ms() > deadline)
            fail_msg("the flush waiter did not start");
        sleep_ms(1);
    }
    x = take_head(f, 1);
    assert_ptr_equal(x, b);
    int64_t served_at = kp_now_ms();
    finish(f, x);
    pthread_join(th, NULL);
    assert_true(w.done);
    assert_true(w.returned_ms - served_at < 2000);
    assert_true(kp_acc_flushed(f->acc, e1, 0));

    /* A second flush takes c; the first stays done. */
    uint64_t e2 = kp_acc_begin_flush(f->acc);
    assert_true(e2 > e1);
    drain(f, s, now, INT64_MAX);
    assert_ptr_equal(s->head[0], c);
    assert_true(seen_ready(s, 2));
    assert_false(kp_acc_flushed(f->acc, e2, 0));
    assert_true(kp_acc_flushed(f->acc, e1, 0));
    /* Waiting for it gives up at the deadline. */
    int64_t start = kp_now_ms();
    assert_false(kp_acc_flushed(f->acc, e2, start + 30));
    assert_true(kp_now_ms() - start >= 30);
    release_all(f);
    assert_true(kp_acc_flushed(f->acc, e2, 0));
    spy_free(s);
    fx_free(f);
}

/* Flushing an idle producer over and over must not pile up epochs. */
static void test_idle_flushes_do_not_grow(void **state) {
    (void)state;
    fx *f = fx_new(1, NULL);
    for (int i = 0; i < 1000; i++) {
        uint64_t e = kp_acc_begin_flush(f->acc);
        assert_true(kp_acc_flushed(f->acc, e, 0));
    }
    int n = 0;
    lock(f);
    for (kp_flush_epoch *e = f->acc->epochs; e; e = e->next)
        n++;
    unlock(f);
    assert_true(n <= 2);
    fx_free(f);
}

/* ---- buffer.memory ---- */

static void test_memory_accounting(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "200", "buffer.memory", "10000", NULL};
    fx *f = fx_new(2, props);
    const size_t per_rec = sizeof(kp_recmeta);
    assert_int_equal(mem_used(f), 0);
    assert_int_equal(append(f, 0, 50), 0);
    assert_int_equal(mem_used(f), 200 + per_rec);
    assert_int_equal(append(f, 0, 50), 0);
    assert_int_equal(mem_used(f), 200 + 2 * per_rec);
    assert_int_equal(append(f, 1, 50), 0);
    assert_int_equal(mem_used(f), 2 * 200 + 3 * per_rec);
    assert_int_equal(append(f, 0, 50), 0); /* a new batch on 0 */
    assert_int_equal(mem_used(f), 3 * 200 + 4 * per_rec);
    assert_int_equal(append(f, 1, 1000), 0); /* larger than batch.size */
    size_t big = queue(f, 1)->tail->mem;
    assert_true(big >= 61 + 1000 + per_rec);
    assert_int_equal(mem_used(f), 3 * 200 + 4 * per_rec + big);

    size_t sum = 0, bufs = 0;
    for (int p = 0; p < 2; p++)
        for (kp_batch *b = queue(f, p)->head; b; b = b->next) {
            sum += b->mem;
            bufs += b->buf_mem;
        }
    lock(f);
    assert_int_equal(sum, f->acc->mem_used);
    assert_int_equal(bufs, f->acc->buf_used);
    unlock(f);

    /* A completed batch gives its buffer back at once; its report facts
     * stay charged until they are served. */
    kp_batch *x = take_head(f, 0);
    assert_int_equal(x->w.count, 2);
    size_t before = mem_used(f);
    kp_acc_settle(f->acc, &x, 1, NULL, 0);
    assert_int_equal(x->buf_mem, 0);
    assert_int_equal(x->mem, 2 * per_rec);
    assert_int_equal(x->w.count, 2); /* the reports need it */
    assert_int_equal(mem_used(f), before - 200);
    serve(f, &x, 1);
    assert_int_equal(mem_used(f), before - 200 - 2 * per_rec);

    release_all(f);
    lock(f);
    assert_int_equal(f->acc->mem_used, 0);
    assert_int_equal(f->acc->buf_used, 0);
    unlock(f);
    fx_free(f);
}

/* Fills buffer.memory 1000 with batches of 200 (4 batches plus records). */
static fx *full_fx(const char *linger, const char *max_block) {
    const char *props[] = {"batch.size", "200",          "buffer.memory", "1000", "linger.ms",
                           linger,       "max.block.ms", max_block,       NULL};
    fx *f = fx_new(8, props);
    for (int p = 0; p < 4; p++)
        assert_int_equal(append(f, p, 10), 0);
    assert_true(mem_used(f) + 200 > 1000);
    return f;
}

static void test_full_append_times_out(void **state) {
    (void)state;
    fx *f = full_fx("0", "80");
    /* Appending to an open batch needs no new buffer... */
    assert_int_equal(append(f, 0, 10), 0);
    size_t used = mem_used(f);
    /* ...a new batch waits for max.block.ms, then fails. */
    int64_t start = kp_now_ms();
    assert_int_equal(append(f, 5, 10), KPROD_ERR__QUEUE_FULL);
    int64_t took = kp_now_ms() - start;
    assert_true(took >= 80);
    assert_true(took < 4000);
    assert_int_equal(mem_used(f), used);
    assert_null(queue(f, 5)->head);
    lock(f);
    assert_int_equal(f->acc->space_waiters, 0);
    unlock(f);
    assert_int_equal(active_len(f), 4);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

typedef struct blocked_append {
    fx *f;
    int32_t part;
    int32_t value_len; /* 0: 10 bytes */
    kprod_err_t err;
    int64_t returned_ms;
} blocked_append;

static void *blocked_append_main(void *arg) {
    blocked_append *ba = arg;
    ba->err = append(ba->f, ba->part, ba->value_len ? ba->value_len : 10);
    ba->returned_ms = kp_now_ms();
    return NULL;
}

/* Waits (bounded) until a thread is waiting for buffer.memory. */
static void await_space_waiter(fx *f) {
    int64_t deadline = kp_now_ms() + 5000;
    for (;;) {
        lock(f);
        int waiting = f->acc->space_waiters > 0;
        unlock(f);
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

/* A release on another thread unblocks a waiting append at once; the new
 * batch's clock (linger, delivery.timeout.ms) starts when it is created,
 * not when the caller started waiting. */
static void test_release_unblocks_append(void **state) {
    (void)state;
    fx *f = full_fx("0", "20000");
    blocked_append ba = {.f = f, .part = 5};
    int64_t started = kp_now_ms();
    pthread_t th = start_blocked_append(&ba);
    /* Let some time pass while it waits (a bounded condition on the clock). */
    while (kp_now_ms() < started + 60)
        sleep_ms(5);
    int64_t released_at = kp_now_ms();
    finish(f, take_head(f, 0));
    pthread_join(th, NULL);
    assert_int_equal(ba.err, 0);
    assert_true(ba.returned_ms - released_at < 2000);
    kp_partq *q5 = queue(f, 5);
    lock(f);
    kp_batch *b = q5->head;
    assert_non_null(b);
    assert_int_equal(b->w.count, 1);
    assert_true(b->created_ms >= released_at);
    assert_int_equal(f->acc->space_waiters, 0);
    unlock(f);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

/* While an append waits for memory, lingering batches are ready at once
 * (as Java's accumulator does when its pool is exhausted) and the sender is
 * woken to take them: waiting out linger.ms would only hold memory longer. */
static void test_waiting_append_makes_batches_ready(void **state) {
    (void)state;
    fx *f = full_fx("100000", "20000");
    spy *s = spy_new(f);
    int64_t now = kp_now_ms();
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 4);
    for (int p = 0; p < 4; p++)
        assert_false(seen_ready(s, p));
    int64_t c0 = queue(f, 0)->head->created_ms;
    lock(f); /* the sender sleeps for linger */
    assert_int_equal(f->acc->sender_wake_ms, c0 + 100000);
    unlock(f);
    int w0 = wakes(f);

    blocked_append ba = {.f = f, .part = 5};
    pthread_t th = start_blocked_append(&ba);
    assert_int_equal(wakes(f), w0 + 1);
    s->verdict[0] = KP_DRAIN_TAKE;
    drain(f, s, now, INT64_MAX);
    for (int p = 0; p < 4; p++)
        assert_true(seen_ready(s, p));
    assert_int_equal(s->taken.n, 1);
    finish_all(f, &s->taken);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, 0);
    /* Nobody waits any more: the heads linger again. */
    s->verdict[0] = KP_DRAIN_SKIP;
    drain(f, s, now, INT64_MAX);
    assert_false(seen_ready(s, 1));
    release_all(f);
    spy_free(s);
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
    fx *f = full_fx("0", "20000");
    spy *s = spy_new(f);
    blocked_append ba = {.f = f, .part = 5, .value_len = 800};
    pthread_t th = start_blocked_append(&ba);
    for (int p = 0; p < 4; p++)
        s->verdict[p] = KP_DRAIN_TAKE;
    drain(f, s, kp_now_ms(), INT64_MAX);
    assert_int_equal(s->taken.n, 4);
    lock(f);
    size_t facts = f->acc->mem_used - f->acc->buf_used;
    assert_int_equal(f->acc->buf_used, 4 * 200);
    assert_int_equal(f->acc->space_want, 932);
    assert_true(1000 - facts < f->acc->space_want);
    unlock(f);
    int64_t released_at = kp_now_ms();
    kp_acc_settle(f->acc, s->taken.v, s->taken.n, NULL, 0); /* completed, reports unserved */
    pthread_join(th, NULL);
    assert_int_equal(ba.err, 0);
    assert_true(ba.returned_ms - released_at < 2000);
    serve(f, s->taken.v, s->taken.n);
    release_all(f);
    lock(f);
    assert_int_equal(f->acc->mem_used, 0);
    assert_int_equal(f->acc->buf_used, 0);
    unlock(f);
    spy_free(s);
    fx_free(f);
}

/* An append that closes a full batch and then has to wait for memory for
 * its new one wakes the sender before it waits: the closed batch had
 * already lowered the sender's wake-up time, with the wake itself left for
 * after the append, which then slept out max.block.ms with nobody taking
 * batches. */
static void test_closing_append_wakes_sender_before_waiting(void **state) {
    (void)state;
    fx *f = full_fx("100000", "20000");
    spy *s = spy_new(f);
    int64_t now = kp_now_ms();
    drain(f, s, now, INT64_MAX); /* the sender sleeps for linger */
    lock(f);
    assert_true(f->acc->sender_wake_ms > now + 50000);
    unlock(f);
    int w0 = wakes(f);

    /* 150 bytes do not fit in partition 0's open batch (batch.size 200). */
    blocked_append ba = {.f = f, .part = 0, .value_len = 150};
    pthread_t th = start_blocked_append(&ba);
    assert_int_equal(wakes(f), w0 + 1); /* while it waits, not after */
    kp_partq *q = queue(f, 0);
    lock(f);
    assert_ptr_equal(q->head, q->tail);
    assert_true(q->head->closed);
    unlock(f);
    s->verdict[1] = s->verdict[2] = KP_DRAIN_TAKE;
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->taken.n, 2);
    finish_all(f, &s->taken);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, 0);
    assert_int_equal(queue_len(f, q), 2);
    release_all(f);
    spy_free(s);
    fx_free(f);
}

/* Closing while an append waits: it fails with _CLOSED even when memory was
 * freed before the close, so nothing is appended after close began. Here
 * the freed buffer makes room for the append (200 bytes) but stays below
 * its wake-up mark (262), so only the close wakes it. */
static void test_close_fails_waiting_append(void **state) {
    (void)state;
    fx *f = full_fx("0", "20000");
    assert_int_equal(append(f, 0, 10), 0); /* report facts: 56 bytes left */
    assert_int_equal(append(f, 0, 10), 0);
    assert_int_equal(1000 - mem_used(f), 56);
    blocked_append ba = {.f = f, .part = 5};
    pthread_t th = start_blocked_append(&ba);
    kp_batch *x = take_head(f, 1);
    kp_acc_settle(f->acc, &x, 1, NULL, 0); /* 256 bytes free */
    lock(f);
    assert_true(f->acc->mem_used + 200 <= 1000);
    assert_int_equal(f->acc->space_waiters, 1); /* still asleep */
    unlock(f);
    kp_acc_shut(f->acc, KPROD_ERR__CLOSED);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, KPROD_ERR__CLOSED);
    assert_null(queue(f, 5)->head);
    assert_int_equal(append(f, 0, 10), KPROD_ERR__CLOSED);
    serve(f, &x, 1);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

/* An append that fails after its new batch was made (here: a record that
 * cannot be encoded) leaves no empty batch behind and no memory charged:
 * an empty batch cannot be sealed and would fail the other batches of its
 * Produce request. */
static void test_failed_append_leaves_no_empty_batch(void **state) {
    (void)state;
    fx *f = fx_new(1, NULL);
    kp_partq *q = queue(f, 0);
    spy *s = spy_new(f);
    uint64_t e = kp_acc_begin_flush(f->acc);
    assert_int_not_equal(append(f, 0, -2), 0);
    assert_null(q->head);
    assert_null(q->tail);
    assert_int_equal(mem_used(f), 0);
    uint64_t e2 = kp_acc_begin_flush(f->acc);
    assert_true(kp_acc_flushed(f->acc, e, 0));
    assert_true(kp_acc_flushed(f->acc, e2, 0));
    drain(f, s, kp_now_ms(), INT64_MAX); /* nothing for the sender either */
    assert_int_equal(s->calls, 0);
    assert_int_equal(active_len(f), 0);

    /* On an open batch, the batch is left as it was. */
    assert_int_equal(append(f, 0, 10), 0);
    size_t len = q->head->w.buf.len, used = mem_used(f);
    assert_int_not_equal(append(f, 0, -2), 0);
    assert_ptr_equal(q->head, q->tail);
    assert_int_equal(q->head->w.count, 1);
    assert_int_equal(q->head->w.buf.len, len);
    assert_int_equal(mem_used(f), used);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    spy_free(s);
    fx_free(f);
}

/* ---- retries ---- */

static void test_requeue_keeps_creation_order(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "130", NULL};
    fx *f = fx_new(1, props);
    kp_partq *q = queue(f, 0);
    for (int i = 0; i < 4; i++) /* 61 + 57 bytes: one such record per batch */
        assert_int_equal(append(f, 0, 50), 0);
    assert_int_equal(queue_len(f, q), 4);
    kp_batch *a = take_head(f, 0);
    kp_batch *b = take_head(f, 0);
    kp_batch *c = q->head, *d = q->tail;
    assert_true(a->id < b->id && b->id < c->id && c->id < d->id);

    kp_acc_settle(f->acc, NULL, 0, &b, 1);
    assert_ptr_equal(q->head, b);
    assert_ptr_equal(b->next, c);
    kp_acc_settle(f->acc, NULL, 0, &a, 1);
    assert_ptr_equal(q->head, a);
    assert_ptr_equal(a->next, b);
    assert_ptr_equal(q->tail, d);
    assert_null(d->next);
    /* Appends still go to the open tail. */
    assert_int_equal(append(f, 0, 1), 0);
    assert_ptr_equal(q->tail, d);
    assert_int_equal(d->w.count, 2);

    /* Into an empty queue: head and tail; the batch stays closed, so the
     * next append starts a new batch behind it. */
    kp_batch *all[4];
    for (int i = 0; i < 4; i++)
        all[i] = take_head(f, 0);
    assert_null(q->head);
    assert_ptr_equal(all[3], d);
    kp_batch *retry[3] = {all[2], all[3], all[0]};
    kp_acc_settle(f->acc, NULL, 0, retry, 3);
    assert_ptr_equal(q->head, all[0]);
    assert_ptr_equal(all[0]->next, all[2]);
    assert_ptr_equal(all[2]->next, all[3]);
    assert_ptr_equal(q->tail, all[3]);
    assert_int_equal(append(f, 0, 1), 0);
    assert_int_equal(queue_len(f, q), 4);
    assert_ptr_equal(all[3]->next, q->tail);
    finish(f, all[1]);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

/* kp_acc_take_where (a read of the log settled some batches): the picked
 * batches leave the queue wherever they are (head, middle, tail), in queue
 * order, their buffers released; the others stay linked, the tail is
 * fixed, the waiting counts follow, and appends go on behind. */
static int pick_ids(void *opaque, kp_batch *b) {
    const uint64_t *ids = opaque;
    for (int i = 0; ids[i]; i++)
        if (b->id == ids[i])
            return 1;
    return 0;
}

static void test_take_where(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "130", NULL};
    fx *f = fx_new(2, props);
    kp_partq *q = queue(f, 0);
    for (int i = 0; i < 5; i++) /* one record per batch */
        assert_int_equal(append(f, 0, 50), 0);
    assert_int_equal(append(f, 1, 50), 0);
    kp_batch *v[5];
    int i = 0;
    for (kp_batch *b = q->head; b; b = b->next)
        v[i++] = b;
    assert_int_equal(i, 5);
    size_t before = mem_used(f);
    uint64_t ids[] = {v[0]->id, v[2]->id, v[4]->id, 0};
    kp_batchvec out = {0};
    kp_acc_take_where(f->acc, 0, 0, pick_ids, ids, &out);
    assert_int_equal(out.n, 3);
    assert_ptr_equal(out.v[0], v[0]);
    assert_ptr_equal(out.v[1], v[2]);
    assert_ptr_equal(out.v[2], v[4]);
    assert_ptr_equal(q->head, v[1]);
    assert_ptr_equal(v[1]->next, v[3]);
    assert_ptr_equal(q->tail, v[3]);
    assert_int_equal(q->records, 2);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(out.v[k]->buf_mem, 0);
        assert_true(out.v[k]->closed);
        assert_null(out.v[k]->next);
    }
    assert_true(mem_used(f) < before);
    /* an append goes behind the last one left */
    assert_int_equal(append(f, 0, 1), 0);
    assert_ptr_equal(v[3]->next, q->tail);
    /* a partition or topic that does not exist: nothing taken */
    kp_batchvec none = {0};
    kp_acc_take_where(f->acc, 0, 7, pick_ids, ids, &none);
    kp_acc_take_where(f->acc, 9, 0, pick_ids, ids, &none);
    assert_int_equal(none.n, 0);
    serve(f, out.v, out.n);
    kp_batchvec_free(&out);
    release_all(f);
    (void)active_len(f); /* the active list still holds together */
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

/* ---- the drain ---- */

/* The drain walks only the partitions holding batches, in the order they
 * got their first one (a walk over the whole table would see 7 first, and
 * be a thousand steps long); a partition leaves the walk when its queue
 * empties and comes back with its next batch or a retry. */
static void test_drain_walks_active_partitions(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "100000", NULL};
    fx *f = fx_new(1000, props);
    spy *s = spy_new(f);
    int64_t now = kp_now_ms();
    assert_int_equal(active_len(f), 0);
    assert_int_equal(append(f, 500, 10), 0);
    assert_int_equal(append(f, 7, 10), 0);
    assert_int_equal(append(f, 999, 10), 0);
    assert_int_equal(append(f, 7, 10), 0); /* same batch */
    assert_int_equal(active_len(f), 3);

    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 3);
    assert_int_equal(s->part[0], 500);
    assert_int_equal(s->part[1], 7);
    assert_int_equal(s->part[2], 999);
    drain(f, s, now, INT64_MAX); /* skipped heads stay on the walk */
    assert_int_equal(s->calls, 3);
    assert_int_equal(active_len(f), 3);

    s->verdict[500] = s->verdict[7] = s->verdict[999] = KP_DRAIN_TAKE;
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 3);
    assert_int_equal(s->taken.n, 3);
    kp_batch *b500 = s->taken.v[0], *b7 = s->taken.v[1], *b999 = s->taken.v[2];
    assert_int_equal(b7->partition, 7);
    s->verdict[500] = s->verdict[7] = s->verdict[999] = KP_DRAIN_SKIP;
    assert_int_equal(active_len(f), 0);
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 0);
    assert_int_equal(s->taken.n, 0);

    /* A retry puts its partition back. */
    b7->attempts = 1;
    kp_batch *done[2] = {b500, b999};
    kp_acc_settle(f->acc, done, 2, &b7, 1);
    serve(f, done, 2);
    assert_int_equal(active_len(f), 1);
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 1);
    assert_int_equal(s->part[0], 7);
    assert_ptr_equal(s->head[0], b7);
    assert_true(s->ready[0]);

    /* So does a new batch, behind the partitions already on it. */
    assert_int_equal(append(f, 500, 10), 0);
    assert_int_equal(active_len(f), 2);
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 2);
    assert_int_equal(s->part[0], 7);
    assert_int_equal(s->part[1], 500);

    /* After take_all nothing is left to walk. */
    release_all(f);
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 0);
    assert_int_equal(active_len(f), 0);

    /* An expired head leaves the walk too. */
    assert_int_equal(append(f, 3, 10), 0);
    s->verdict[3] = KP_DRAIN_EXPIRE;
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 1);
    assert_int_equal(s->expired.n, 1);
    assert_int_equal(active_len(f), 0);
    serve(f, s->expired.v, s->expired.n);
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->calls, 0);
    assert_int_equal(mem_used(f), 0);
    spy_free(s);
    fx_free(f);
}

/* One batch per partition and drain (the next one at once if ready), every
 * expired head at once with its buffer back, and a head waiting for a
 * leader asks for metadata once. */
static void test_drain_verdicts(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "130", "linger.ms", "100000", NULL};
    fx *f = fx_new(2, props);
    spy *s = spy_new(f);
    kp_partq *q = queue(f, 0);
    for (int i = 0; i < 3; i++) /* one record per batch: a, b closed, c open */
        assert_int_equal(append(f, 0, 50), 0);
    kp_batch *a = q->head, *b = a->next, *c = b->next;
    assert_ptr_equal(q->tail, c);
    assert_false(c->closed);
    int64_t now = c->created_ms;

    /* p0: a goes; b, full, is ready next: the sender must come back now. */
    s->verdict[0] = KP_DRAIN_TAKE;
    assert_int_equal(drain(f, s, now, INT64_MAX), now);
    assert_int_equal(s->taken.n, 1);
    assert_ptr_equal(s->taken.v[0], a);
    assert_ptr_equal(q->head, b);
    kp_batchvec sent = {0};
    assert_int_equal(kp_batchvec_push(&sent, a), 0);
    /* b goes, the next turn; c lingers. */
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->taken.n, 1);
    assert_ptr_equal(s->taken.v[0], b);
    assert_int_equal(kp_batchvec_push(&sent, b), 0);

    /* Expired: taken off with the buffer back, and the next head too. */
    assert_int_equal(append(f, 0, 50), 0); /* d, behind c */
    kp_batch *d = q->tail;
    assert_ptr_equal(c->next, d);
    size_t before = mem_used(f);
    s->verdict[0] = KP_DRAIN_EXPIRE;
    drain(f, s, now, INT64_MAX);
    assert_int_equal(s->expired.n, 2);
    assert_ptr_equal(s->expired.v[0], c);
    assert_ptr_equal(s->expired.v[1], d);
    assert_int_equal(c->buf_mem, 0);
    assert_int_equal(mem_used(f), before - 2 * 130);
    assert_null(q->head);
    serve(f, s->expired.v, s->expired.n);
    s->verdict[0] = KP_DRAIN_SKIP;

    /* No leader: the head stays, metadata is asked for, the sender looks
     * again now; while it is still wanted, not again. */
    assert_int_equal(append(f, 1, 10), 0);
    const char **names;
    int32_t n;
    int wanted;
    assert_int_equal(kp_acc_topics(f->acc, &names, &n, &wanted), 0);
    free(names);
    assert_false(wanted);
    assert_false(kp_acc_metadata_hint(f->acc));
    s->verdict[1] = KP_DRAIN_WANT_LEADER;
    assert_int_equal(drain(f, s, now, now + 1000), now);
    assert_int_equal(s->taken.n, 0);
    assert_non_null(queue(f, 1)->head);
    assert_true(kp_acc_metadata_hint(f->acc));
    assert_int_equal(kp_acc_topics(f->acc, &names, &n, &wanted), 0);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "t");
    free(names);
    /* Wanted again, not new: the request waits retry.backoff.ms. */
    assert_int_equal(wanted, KP_ACC_WANTED);
    assert_int_equal(drain(f, s, now, now + 1000), now + 1000);
    /* The metadata arrives: nothing wanted any more. */
    const uint8_t leaders[2] = {1, 1};
    assert_int_equal(kp_acc_apply_topic(f->acc, "t", KPROD_ERR_NO_ERROR, 2, leaders), 0);
    assert_int_equal(kp_acc_topics(f->acc, &names, &n, &wanted), 0);
    free(names);
    assert_false(wanted);
    assert_false(kp_acc_metadata_hint(f->acc));

    finish_all(f, &sent);
    kp_batchvec_free(&sent);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    spy_free(s);
    fx_free(f);
}

/* ---- topics, refusals, shutdown ---- */

static void test_apply_topic(void **state) {
    (void)state;
    fx *f = fx_new(2, NULL);
    const uint8_t leaders[4] = {1, 1, 1, 1}, one_missing[4] = {1, 0, 1, 1};
    assert_int_equal(kp_acc_apply_topic(f->acc, "nope", KPROD_ERR_NO_ERROR, 2, leaders), -1);
    assert_false(kp_acc_has_topic(f->acc, "nope"));
    assert_int_equal(kp_acc_apply_topic(f->acc, "t", KPROD_ERR_NO_ERROR, 2, leaders), 0);
    assert_int_equal(make_topic(f, "u", 3, NULL), 1);
    const char **names;
    int32_t n;
    int wanted;
    assert_int_equal(kp_acc_topics(f->acc, &names, &n, &wanted), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "t");
    assert_string_equal(names[1], "u");
    assert_false(wanted);
    free(names);

    /* Partitions are added, never taken away. */
    assert_int_equal(append(f, 3, 10), KPROD_ERR__UNKNOWN_PARTITION);
    assert_int_equal(kp_acc_apply_topic(f->acc, "t", KPROD_ERR_NO_ERROR, 4, leaders), 0);
    assert_int_equal(append(f, 3, 10), 0);
    assert_int_equal(append(f, 4, 10), KPROD_ERR__UNKNOWN_PARTITION);
    assert_int_equal(kp_acc_apply_topic(f->acc, "t", KPROD_ERR_NO_ERROR, 2, leaders), 0);
    assert_int_equal(append(f, 3, 10), 0);
    /* A partition without a leader asks for metadata again. */
    assert_int_equal(kp_acc_apply_topic(f->acc, "t", KPROD_ERR_NO_ERROR, 4, one_missing), 0);
    assert_true(kp_acc_metadata_hint(f->acc));
    assert_int_equal(kp_acc_topics(f->acc, &names, &n, &wanted), 0);
    free(names);
    assert_true(wanted);
    kp_partq *q1 = queue(f, 1);
    lock(f);
    assert_false(q1->has_leader);
    unlock(f);
    /* An error keeps what was known. */
    assert_int_equal(kp_acc_apply_topic(f->acc, "t", KPROD_ERR_LEADER_NOT_AVAILABLE, 0, NULL), 0);
    assert_int_equal(append(f, 3, 10), 0);
    release_all(f);
    fx_free(f);
}

/* A send to a topic without metadata waits up to max.block.ms: _TIMED_OUT,
 * or _UNKNOWN_TOPIC when the cluster says it does not exist, after which
 * the next send fails at once. */
static void test_metadata_wait_errors(void **state) {
    (void)state;
    const char *props[] = {"max.block.ms", "300", NULL};
    fx *f = fx_new(1, props);
    int64_t start = kp_now_ms();
    assert_int_equal(append_to(f, "slow", 0, 10), KPROD_ERR__TIMED_OUT);
    assert_true(kp_now_ms() - start >= 300);
    assert_true(kp_acc_has_topic(f->acc, "slow"));
    assert_true(kp_acc_metadata_hint(f->acc));

    topic_maker m = {.f = f, .topic = "gone", .partition = 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, topic_maker_main, &m), 0);
    int64_t deadline = kp_now_ms() + 5000;
    while (!kp_acc_has_topic(f->acc, "gone")) {
        if (kp_now_ms() > deadline)
            fail_msg("the send did not make topic gone");
        sleep_ms(1);
    }
    assert_int_equal(
        kp_acc_apply_topic(f->acc, "gone", KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION, 0, NULL), 2);
    pthread_join(th, NULL);
    assert_int_equal(m.err, KPROD_ERR__UNKNOWN_TOPIC);
    start = kp_now_ms();
    assert_int_equal(append_to(f, "gone", 0, 10), KPROD_ERR__UNKNOWN_TOPIC);
    assert_true(kp_now_ms() - start < 250);
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

static void test_append_refusals(void **state) {
    (void)state;
    const char *props[] = {"max.request.size", "1000", NULL};
    fx *f = fx_new(1, props);
    char long_name[251];
    memset(long_name, 'a', 250);
    long_name[250] = '\0';
    const char *bad[] = {"", ".", "..", "a b", "t/1", "é", long_name};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(append_to(f, bad[i], 0, 10), KPROD_ERR__INVALID_TOPIC);
        assert_false(kp_acc_has_topic(f->acc, bad[i]));
    }
    /* Larger than max.request.size: refused before anything else, the
     * topic is not even made. */
    assert_int_equal(append(f, 0, 1000), KPROD_ERR__MSG_SIZE_TOO_LARGE);
    assert_int_equal(append_to(f, "new", 0, 2000), KPROD_ERR__MSG_SIZE_TOO_LARGE);
    assert_false(kp_acc_has_topic(f->acc, "new"));
    assert_int_equal(append(f, 0, 900), 0);
    assert_int_equal(active_len(f), 1);
    release_all(f);
    fx_free(f);

    /* Larger than buffer.memory: it could never fit. */
    const char *small[] = {"buffer.memory", "1000", "batch.size", "200", NULL};
    f = fx_new(1, small);
    assert_int_equal(append(f, 0, 1000), KPROD_ERR__MSG_SIZE_TOO_LARGE);
    assert_int_equal(mem_used(f), 0);
    assert_int_equal(append(f, 0, 900), 0);
    release_all(f);
    fx_free(f);
}

/* After a fatal error sends fail with _FATAL, waiting ones too; queued
 * batches do not become ready (no flush); the first error stays. */
static void test_shut_fatal(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "100000", "max.block.ms", "20000", NULL};
    fx *f = fx_new(1, props);
    spy *s = spy_new(f);
    assert_int_equal(append(f, 0, 10), 0);
    topic_maker m = {.f = f, .topic = "u", .partition = 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, topic_maker_main, &m), 0);
    int64_t deadline = kp_now_ms() + 5000;
    while (!kp_acc_has_topic(f->acc, "u")) { /* made and waiting, under one lock */
        if (kp_now_ms() > deadline)
            fail_msg("the send did not make topic u");
        sleep_ms(1);
    }
    int w0 = wakes(f);
    int64_t shut_at = kp_now_ms();
    kp_acc_shut(f->acc, KPROD_ERR__FATAL);
    assert_int_equal(wakes(f), w0 + 1);
    pthread_join(th, NULL);
    assert_int_equal(m.err, KPROD_ERR__FATAL);
    assert_true(kp_now_ms() - shut_at < 2000);
    assert_int_equal(append(f, 0, 10), KPROD_ERR__FATAL);
    assert_int_equal(append_to(f, "other", 0, 10), KPROD_ERR__FATAL);
    assert_false(kp_acc_has_topic(f->acc, "other"));
    assert_int_equal(queue(f, 0)->head->w.count, 1);
    assert_false(kp_acc_closing(f->acc));
    int64_t c = queue(f, 0)->head->created_ms;
    drain(f, s, c, INT64_MAX);
    assert_false(seen_ready(s, 0));

    kp_acc_shut(f->acc, KPROD_ERR__CLOSED);
    assert_true(kp_acc_closing(f->acc));
    assert_int_equal(append(f, 0, 10), KPROD_ERR__FATAL);
    drain(f, s, c, INT64_MAX);
    assert_true(seen_ready(s, 0));
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    spy_free(s);
    fx_free(f);
}

/* ---- waking the sender ---- */

static void test_wake_only_when_ready_earlier(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "200", "linger.ms", "50", NULL};
    fx *f = fx_new(2, props);
    spy *s = spy_new(f);
    lock(f);
    assert_int_equal(f->acc->sender_wake_ms, INT64_MAX);
    unlock(f);
    /* A new batch ready at created+50, earlier than "never": one wake-up. */
    assert_int_equal(append(f, 0, 10), 0);
    int64_t c0 = queue(f, 0)->head->created_ms;
    assert_int_equal(wakes(f), 1);
    lock(f);
    assert_int_equal(f->acc->sender_wake_ms, c0 + 50);
    unlock(f);
    /* More records in the same batch: none. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(append(f, 0, 1), 0);
    assert_int_equal(wakes(f), 1);
    /* A new batch elsewhere, created later, so ready later than the
     * planned wake-up: none. */
    assert_int_equal(append(f, 1, 10), 0);
    assert_true(queue(f, 1)->head->created_ms >= c0);
    assert_int_equal(wakes(f), 1);
    lock(f);
    assert_int_equal(f->acc->sender_wake_ms, c0 + 50);
    unlock(f);
    /* The sender looked (at a "now" past both lingers), sent nothing, and
     * plans to sleep long. */
    assert_int_equal(drain(f, s, c0 + 1000, c0 + 100000), c0 + 100000);
    assert_true(seen_ready(s, 0) && seen_ready(s, 1));
    lock(f);
    assert_int_equal(f->acc->sender_wake_ms, c0 + 100000);
    unlock(f);
    assert_int_equal(append(f, 1, 1), 0); /* same batch: none */
    assert_int_equal(wakes(f), 1);
    /* A batch that fills up is ready now: wake. */
    int64_t before = kp_now_ms();
    assert_int_equal(append(f, 0, 150), 0);
    int64_t after = kp_now_ms();
    assert_int_equal(wakes(f), 2);
    lock(f);
    assert_true(f->acc->sender_wake_ms >= before && f->acc->sender_wake_ms <= after);
    unlock(f);
    /* A second full batch while the sender already plans to look now: none. */
    assert_int_equal(append(f, 1, 150), 0);
    assert_int_equal(wakes(f), 2);
    /* These wakes came after the lock was released. */
    assert_int_equal(atomic_load(&f->locked_wakes), 0);
    release_all(f);
    spy_free(s);
    fx_free(f);
}

/* After a take, the partition's next batch, not ready yet, still sets when
 * the sender must look again: else it sleeps past that batch's linger.ms. */
static void test_next_head_sets_wake_time_after_take(void **state) {
    (void)state;
    const char *props[] = {"batch.size", "130", "linger.ms", "100000", NULL};
    fx *f = fx_new(1, props);
    spy *s = spy_new(f);
    kp_partq *q = queue(f, 0);
    assert_int_equal(append(f, 0, 50), 0); /* a, closed by the next one */
    assert_int_equal(append(f, 0, 50), 0); /* c, open, lingering */
    kp_batch *a = q->head, *c = q->tail;
    assert_ptr_not_equal(a, c);
    int64_t now = c->created_ms;
    s->verdict[0] = KP_DRAIN_TAKE;
    int64_t wake = drain(f, s, now, INT64_MAX);
    assert_int_equal(s->taken.n, 1);
    assert_ptr_equal(s->taken.v[0], a);
    lock(f);
    int64_t planned = f->acc->sender_wake_ms;
    unlock(f);
    finish_all(f, &s->taken);
    release_all(f);
    spy_free(s);
    fx_free(f);
    assert_int_equal(planned, now + 100000);
    assert_int_equal(wake, now + 100000);
}

/* A record whose encoded size cannot be represented is too large, not an
 * allocation failure: the size check must not wrap around. */
static void test_huge_record_is_too_large(void **state) {
    (void)state;
    fx *f = fx_new(1, NULL);
    kprod_err_t err = append(f, 0, INT32_MAX); /* the value is never read */
    fx_free(f);
    assert_int_equal(err, KPROD_ERR__MSG_SIZE_TOO_LARGE);
}

/* A header length near SIZE_MAX must not wrap the size bound around to a
 * small number (the record would then reach the encoder and fail as
 * _NO_MEMORY): it is too large. The value is never read. */
static void test_huge_header_is_too_large(void **state) {
    (void)state;
    fx *f = fx_new(1, NULL);
    kprod_header_t h = {.name = "h", .value = g_value, .value_len = SIZE_MAX};
    kp_append a;
    memset(&a, 0, sizeof(a));
    a.topic = "t";
    a.partition = 0;
    a.timestamp_ms = 1700000000000LL;
    a.key_len = -1;
    a.value_len = -1;
    a.headers = &h;
    a.header_count = 1;
    assert_int_equal(kp_acc_append(f->acc, &a), KPROD_ERR__MSG_SIZE_TOO_LARGE);
    h.value_len = (size_t)INT32_MAX + 1;
    assert_int_equal(kp_acc_append(f->acc, &a), KPROD_ERR__MSG_SIZE_TOO_LARGE);
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

/* kp_acc_interrupt wakes an append waiting for buffer.memory with
 * _INTERRUPTED (nothing charged, no waiter left); later appends that would
 * wait (a new batch with memory full, a topic without metadata) fail at
 * once, while one that fits an open batch still goes in. Queued batches
 * stay. */
static void test_interrupt_fails_waiting_and_later_waits(void **state) {
    (void)state;
    fx *f = full_fx("0", "20000");
    size_t used = mem_used(f);
    blocked_append ba = {.f = f, .part = 5};
    pthread_t th = start_blocked_append(&ba);
    int64_t interrupted_at = kp_now_ms();
    kp_acc_interrupt(f->acc);
    pthread_join(th, NULL);
    assert_int_equal(ba.err, KPROD_ERR__INTERRUPTED);
    assert_true(ba.returned_ms - interrupted_at < 2000);
    lock(f);
    assert_int_equal(f->acc->space_waiters, 0);
    assert_true(f->acc->interrupted);
    unlock(f);
    assert_int_equal(mem_used(f), used);
    assert_null(queue(f, 5)->head);

    /* A new batch would have to wait: refused at once. */
    int64_t start = kp_now_ms();
    assert_int_equal(append(f, 6, 10), KPROD_ERR__INTERRUPTED);
    /* A topic without metadata would have to wait: refused at once, but
     * made and its metadata asked for, so later sends need not wait. */
    assert_int_equal(append_to(f, "fresh", 0, 10), KPROD_ERR__INTERRUPTED);
    assert_true(kp_now_ms() - start < 2000);
    assert_true(kp_acc_has_topic(f->acc, "fresh"));
    assert_true(kp_acc_metadata_hint(f->acc));
    /* Room in an open batch: no wait, so it goes in. */
    assert_int_equal(append(f, 0, 10), 0);
    assert_int_equal(queue(f, 0)->head->w.count, 2);
    /* Once memory is back a new batch needs no wait either. */
    release_all(f);
    assert_int_equal(append(f, 6, 10), 0);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

/* An append waiting for its topic's metadata is woken by kp_acc_interrupt. */
static void test_interrupt_wakes_metadata_wait(void **state) {
    (void)state;
    const char *props[] = {"max.block.ms", "20000", NULL};
    fx *f = fx_new(1, props);
    topic_maker m = {.f = f, .topic = "waits", .partition = 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, topic_maker_main, &m), 0);
    int64_t deadline = kp_now_ms() + 5000;
    while (!kp_acc_has_topic(f->acc, "waits")) { /* made and waiting, under one lock */
        if (kp_now_ms() > deadline)
            fail_msg("the send did not make topic waits");
        sleep_ms(1);
    }
    int64_t interrupted_at = kp_now_ms();
    kp_acc_interrupt(f->acc);
    pthread_join(th, NULL);
    assert_int_equal(m.err, KPROD_ERR__INTERRUPTED);
    assert_true(kp_now_ms() - interrupted_at < 2000);
    /* Its partitions arrive: sends to it need no wait and go in. */
    uint8_t leader = 1;
    assert_true(kp_acc_apply_topic(f->acc, "waits", KPROD_ERR_NO_ERROR, 1, &leader) >= 0);
    assert_int_equal(append_to(f, "waits", 0, 10), 0);
    release_all(f);
    assert_int_equal(mem_used(f), 0);
    fx_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_share_batch_until_full),
        cmocka_unit_test(test_take_where),
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
        cmocka_unit_test(test_drain_walks_active_partitions),
        cmocka_unit_test(test_drain_verdicts),
        cmocka_unit_test(test_apply_topic),
        cmocka_unit_test(test_metadata_wait_errors),
        cmocka_unit_test(test_append_refusals),
        cmocka_unit_test(test_shut_fatal),
        cmocka_unit_test(test_wake_only_when_ready_earlier),
        cmocka_unit_test(test_next_head_sets_wake_time_after_take),
        cmocka_unit_test(test_huge_record_is_too_large),
        cmocka_unit_test(test_huge_header_is_too_large),
        cmocka_unit_test(test_interrupt_fails_waiting_and_later_waits),
        cmocka_unit_test(test_interrupt_wakes_metadata_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
