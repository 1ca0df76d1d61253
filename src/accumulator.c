/* The record accumulator (see accumulator.h). A record is encoded straight
 * into its partition's open batch; memory is charged per batch (its buffer,
 * sized to batch.size up front) plus per record (its report facts). The
 * buffer goes back when the batch completes, the report facts when its
 * reports have been served, so an application that never polls is stopped
 * by buffer.memory rather than growing. */
#include "accumulator.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static kp_flush_epoch *epoch_new(uint64_t number) {
    kp_flush_epoch *e = calloc(1, sizeof(*e));
    if (e)
        e->number = number;
    return e;
}

kprod_err_t kp_acc_init(kp_acc *acc, const kp_config *cfg, void (*wake)(void *),
                        void *wake_opaque) {
    memset(acc, 0, sizeof(*acc));
    acc->cfg = cfg;
    acc->wake_sender = wake;
    acc->wake_opaque = wake_opaque;
    acc->sender_wake_ms = INT64_MAX;
    acc->nbuckets = 64;
    acc->buckets = calloc(acc->nbuckets, sizeof(*acc->buckets));
    acc->epochs = acc->epoch_tail = epoch_new(1);
    if (!acc->buckets || !acc->epochs) {
        free(acc->buckets);
        free(acc->epochs);
        return KPROD_ERR__NO_MEMORY;
    }
    pthread_mutex_init(&acc->lock, NULL);
    kp_cond_init_monotonic(&acc->space_cv);
    kp_cond_init_monotonic(&acc->md_cv);
    kp_cond_init_monotonic(&acc->done_cv);
    return KPROD_ERR_NO_ERROR;
}

void kp_batch_free(kp_batch *b) {
    if (!b)
        return;
    kp_rb_writer_free(&b->w);
    free(b->meta);
    free(b);
}

static void free_queue(kp_batch *b) {
    while (b) {
        kp_batch *next = b->next;
        kp_batch_free(b);
        b = next;
    }
}

void kp_acc_destroy(kp_acc *acc) {
    for (size_t i = 0; i < acc->nbuckets; i++) {
        kp_topic *t = acc->buckets[i];
        while (t) {
            kp_topic *next = t->hnext;
            for (int32_t p = 0; p < t->partition_count; p++)
                free_queue(t->parts[p].head);
            free(t->parts);
            free(t->name);
            free(t);
            t = next;
        }
    }
    free(acc->buckets);
    while (acc->epochs) {
        kp_flush_epoch *e = acc->epochs->next;
        free(acc->epochs);
        acc->epochs = e;
    }
    pthread_mutex_destroy(&acc->lock);
    pthread_cond_destroy(&acc->space_cv);
    pthread_cond_destroy(&acc->md_cv);
    pthread_cond_destroy(&acc->done_cv);
}

static void rehash(kp_acc *acc) {
    size_t n = acc->nbuckets * 2;
    kp_topic **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return; /* keep the old table: longer chains, still correct */
    for (size_t i = 0; i < acc->nbuckets; i++) {
        kp_topic *t = acc->buckets[i];
        while (t) {
            kp_topic *next = t->hnext;
            size_t j = name_hash(t->name) & (n - 1);
            t->hnext = nb[j];
            nb[j] = t;
            t = next;
        }
    }
    free(acc->buckets);
    acc->buckets = nb;
    acc->nbuckets = n;
}

kp_topic *kp_acc_topic_locked(kp_acc *acc, const char *name, int create) {
    size_t i = name_hash(name) & (acc->nbuckets - 1);
    for (kp_topic *t = acc->buckets[i]; t; t = t->hnext)
        if (strcmp(t->name, name) == 0)
            return t;
    if (!create)
        return NULL;
    kp_topic *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->name = strdup(name);
    if (!t->name) {
        free(t);
        return NULL;
    }
    t->partition_count = -1;
    kp_sticky_init(&t->sticky);
    kp_acc_want_metadata_locked(acc, t);
    t->hnext = acc->buckets[i];
    acc->buckets[i] = t;
    if (++acc->ntopics > acc->nbuckets)
        rehash(acc);
    return t;
}

void kp_acc_want_metadata_locked(kp_acc *acc, kp_topic *t) {
    t->md_wanted = 1;
    atomic_store(&acc->md_hint, 1);
}

kprod_err_t kp_acc_set_partition_count_locked(kp_acc *acc, kp_topic *t, int32_t count) {
    (void)acc;
    if (count <= t->partition_count)
        return KPROD_ERR_NO_ERROR;
    kp_partq *np = realloc(t->parts, (size_t)count * sizeof(*np));
    if (!np)
        return KPROD_ERR__NO_MEMORY;
    for (int32_t p = t->partition_count < 0 ? 0 : t->partition_count; p < count; p++) {
        memset(&np[p], 0, sizeof(np[p]));
        np[p].leader = -1;
        np[p].leader_epoch = -1;
    }
    t->parts = np;
    t->partition_count = count;
    return KPROD_ERR_NO_ERROR;
}

static int must_wait(const kp_acc *acc, size_t n) {
    return acc->mem_used + n > (size_t)acc->cfg->buffer_memory && acc->mem_used > 0;
}

/* Wakes the sender if a batch is ready before it planned to look. With
 * `defer` the wake is left to the caller, to do after releasing the lock:
 * woken under it, the sender only went to sleep again on the lock. */
static void maybe_wake_sender(kp_acc *acc, int64_t ready_at_ms, int *defer) {
    if (ready_at_ms < acc->sender_wake_ms) {
        acc->sender_wake_ms = ready_at_ms;
        if (defer)
            *defer = 1;
        else
            acc->wake_sender(acc->wake_opaque);
    }
}

/* Free bytes an append that needs n waits for before it is woken: n plus
 * a sixteenth of buffer.memory. Woken per completed batch, a full buffer
 * cost two context switches and a contended lock per batch, the largest
 * share of kprod's CPU on 10 KiB records; woken once the sender has drained
 * a slice, the thread then fills that slice in one go. */
static size_t space_wanted(const kp_acc *acc, size_t n) {
    size_t limit = (size_t)acc->cfg->buffer_memory;
    size_t want = n + limit / 16;
    return want < limit ? want : limit;
}

/* Memory was given back: wake the appends waiting for it when enough is
 * free, or when no batch buffer is left to give back (the rest is report
 * facts, freed only by serving reports, which a waiting thread may be the
 * one to do: it must then see its deadline out, as before). */
static void wake_space_waiters(kp_acc *acc) {
    if (acc->space_waiters == 0)
        return;
    size_t limit = (size_t)acc->cfg->buffer_memory;
    size_t free_bytes = acc->mem_used < limit ? limit - acc->mem_used : 0;
    if (free_bytes >= acc->space_want || acc->buf_used == 0)
        pthread_cond_broadcast(&acc->space_cv);
}

/* Charges n bytes against buffer.memory, waiting for space until deadline.
 * Sets *waited when it slept (the caller's clock is stale then). A wake
 * of the sender the caller deferred (*wake) is done before waiting. */
static kprod_err_t reserve_memory(kp_acc *acc, size_t n, int64_t deadline_ms, int *waited,
                                  int *wake) {
    *waited = 0;
    while (must_wait(acc, n)) {
        if (acc->closing)
            return KPROD_ERR__CLOSED;
        /* While anyone waits here every batch is ready (see
         * kp_acc_batch_ready_locked): have the sender take them now rather
         * than at the end of linger.ms. */
        if (!*waited) {
            /* Fix: a batch just closed by this append had already lowered
             * sender_wake_ms to now, with its wake deferred to the caller,
             * so nothing woke the sender before this wait and the append
             * ran out its max.block.ms (test_buffer_memory_full). */
            maybe_wake_sender(acc, kp_now_ms(), wake);
            if (*wake) {
                acc->wake_sender(acc->wake_opaque);
                *wake = 0;
            }
            if (deadline_ms == 0) /* the caller's max.block.ms starts now */
                deadline_ms = kp_now_ms() + acc->cfg->max_block_ms;
        }
        *waited = 1;
        size_t want = space_wanted(acc, n);
        if (want > acc->space_want)
            acc->space_want = want;
        acc->space_waiters++;
        int rc = kp_cond_wait_until(&acc->space_cv, &acc->lock, deadline_ms);
        if (--acc->space_waiters == 0)
            acc->space_want = 0;
        if (rc == ETIMEDOUT && must_wait(acc, n))
            return KPROD_ERR__QUEUE_FULL;
    }
    /* Fix: kprod_close broadcasts space_cv, and memory may have been freed
     * at the same time; the woken append must not go on and add a record
     * after close began (the sender may already have purged the queues). */
    if (acc->closing)
        return KPROD_ERR__CLOSED;
    acc->mem_used += n;
    return KPROD_ERR_NO_ERROR;
}

static kp_batch *batch_new(kp_acc *acc, kp_topic *t, int32_t partition, size_t cap, int64_t now) {
    kp_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    kp_rb_writer_init(&b->w, cap);
    if (b->w.buf.oom) {
        kp_batch_free(b);
        return NULL;
    }
    b->topic = t;
    b->partition = partition;
    b->id = ++acc->next_batch_id;
    b->created_ms = now;
    b->base_seq = -1;
    b->base_offset = -1;
    b->log_append_time = -1;
    b->epoch = acc->epoch_tail;
    b->epoch->batches++;
    return b;
}

/* Takes a batch that append just created back out of its queue (it is the
 * tail, prev the batch before it) and gives back its memory. */
static void undo_new_batch(kp_acc *acc, kp_partq *q, kp_batch *prev, kp_batch *b) {
    if (prev)
        prev->next = NULL;
    else
        q->head = NULL;
    q->tail = prev;
    kp_acc_release_locked(acc, b);
    kp_batch_free(b);
}

/* The clock is read only when needed: most appends go into an open batch
 * and need no time at all (a clock read per record was a measurable share
 * of kprod_send). */
static int64_t lazy_now(int64_t *now_ms) {
    if (*now_ms == 0)
        *now_ms = kp_now_ms();
    return *now_ms;
}

kprod_err_t kp_acc_append_locked(kp_acc *acc, kp_topic *t, int32_t partition, const kp_append *a,
                                 int64_t now_ms, int64_t deadline_ms, size_t *appended, int *wake) {
    if (acc->closing)
        return KPROD_ERR__CLOSED;
    kp_partq *q = &t->parts[partition];
    kp_batch *b = q->tail;
    size_t rec_size = 0;
    if (b && !b->closed) {
        rec_size = kp_rb_record_size(&b->w, a->timestamp_ms, a->key_len, a->value_len, a->headers,
                                     a->header_count);
        if (b->w.buf.len + rec_size > (size_t)acc->cfg->batch_size) {
            b->closed = 1; /* full: the sender takes it at once */
            maybe_wake_sender(acc, lazy_now(&now_ms), wake);
            b = NULL;
        }
    } else {
        b = NULL;
    }
    kp_batch *created = NULL, *prev = NULL;
    if (!b) {
        /* A record alone in its batch: its size relative to an empty batch. */
        kp_rb_writer probe;
        memset(&probe, 0, sizeof(probe));
        probe.base_ts = a->timestamp_ms;
        rec_size = kp_rb_record_size(&probe, a->timestamp_ms, a->key_len, a->value_len, a->headers,
                                     a->header_count);
        size_t cap = KP_RB_HEADER_SIZE + rec_size;
        if (cap < (size_t)acc->cfg->batch_size)
            cap = (size_t)acc->cfg->batch_size;
        int waited;
        kprod_err_t err = reserve_memory(acc, cap, deadline_ms, &waited, wake);
        if (err)
            return err;
        /* Fix: after a wait for memory the caller's clock is stale (by up to
         * max.block.ms); the batch's linger.ms and delivery.timeout.ms
         * start now, when it is created, as in Java. */
        if (waited)
            now_ms = kp_now_ms();
        /* The wait may have let the tail change; a new batch is still right. */
        b = batch_new(acc, t, partition, cap, lazy_now(&now_ms));
        if (!b) {
            acc->mem_used -= cap;
            return KPROD_ERR__NO_MEMORY;
        }
        b->mem = b->buf_mem = cap;
        acc->buf_used += cap;
        prev = q->tail;
        if (q->tail && !q->tail->closed)
            q->tail->closed = 1;
        if (q->tail)
            q->tail->next = b;
        else
            q->head = b;
        q->tail = b;
        created = b;
        maybe_wake_sender(acc, now_ms + acc->cfg->linger_ms, wake);
    }
    /* Fix: a failure below used to leave a new batch empty in the queue,
     * with its memory charged. kp_rb_seal refuses an empty batch, and the
     * sender then failed every other batch of that Produce request. */
    if (b->w.count == b->meta_cap) {
        int32_t ncap = b->meta_cap ? b->meta_cap * 2 : 64;
        kp_recmeta *nm = realloc(b->meta, (size_t)ncap * sizeof(*nm));
        if (!nm) {
            if (created)
                undo_new_batch(acc, q, prev, created);
            return KPROD_ERR__NO_MEMORY;
        }
        b->meta = nm;
        b->meta_cap = ncap;
    }
    if (kp_rb_append(&b->w, a->timestamp_ms, a->key, a->key_len, a->value, a->value_len, a->headers,
                     a->header_count) != 0) {
        if (created)
            undo_new_batch(acc, q, prev, created);
        return KPROD_ERR__NO_MEMORY;
    }
    kp_recmeta *m = &b->meta[b->w.count - 1];
    m->cb = a->cb;
    m->opaque = a->opaque;
    m->timestamp_ms = a->timestamp_ms;
    /* Report facts are charged too, so unserved reports are bounded. */
    b->mem += sizeof(*m);
    acc->mem_used += sizeof(*m);
    *appended = rec_size;
    return KPROD_ERR_NO_ERROR;
}

int kp_acc_batch_ready_locked(const kp_acc *acc, const kp_batch *b, int64_t now_ms,
                              int64_t *wake_at_ms) {
    if (b->retry_at_ms > now_ms) {
        if (b->retry_at_ms < *wake_at_ms)
            *wake_at_ms = b->retry_at_ms;
        return 0;
    }
    if (b->closed || b->next || acc->closing || b->epoch->number <= acc->flush_upto ||
        b->attempts > 0 || acc->space_waiters > 0)
        return 1;
    int64_t at = b->created_ms + acc->cfg->linger_ms;
    if (at <= now_ms)
        return 1;
    if (at < *wake_at_ms)
        *wake_at_ms = at;
    return 0;
}

kp_batch *kp_acc_pop_locked(kp_acc *acc, kp_partq *q) {
    (void)acc;
    kp_batch *b = q->head;
    if (!b)
        return NULL;
    q->head = b->next;
    if (q->tail == b)
        q->tail = NULL;
    b->next = NULL;
    b->closed = 1;
    return b;
}

void kp_acc_requeue_locked(kp_partq *q, kp_batch *b) {
    kp_batch **pp = &q->head;
    while (*pp && (*pp)->id < b->id)
        pp = &(*pp)->next;
    b->next = *pp;
    *pp = b;
    if (!b->next)
        q->tail = b;
}

/* Frees emptied epochs at the front of the list, keeping the current one. */
static void drop_empty_epochs(kp_acc *acc) {
    while (acc->epochs != acc->epoch_tail && acc->epochs->batches == 0) {
        kp_flush_epoch *old = acc->epochs;
        acc->epochs = old->next;
        free(old);
    }
}

uint64_t kp_acc_begin_flush_locked(kp_acc *acc) {
    kp_flush_epoch *cur = acc->epoch_tail;
    uint64_t number = cur->number;
    kp_flush_epoch *e = epoch_new(number + 1);
    if (e) {
        cur->next = e;
        acc->epoch_tail = e;
    }
    /* Without memory for a new epoch the current one is flushed as a whole,
     * which waits for more than needed but never returns early. */
    acc->flush_upto = number;
    /* Fix: an epoch with no batches was only freed by a later release, so
     * flushing an idle producer over and over grew the list without end. */
    drop_empty_epochs(acc);
    acc->sender_wake_ms = 0;
    acc->wake_sender(acc->wake_opaque);
    return number;
}

int kp_acc_flush_done_locked(const kp_acc *acc, uint64_t epoch) {
    for (const kp_flush_epoch *e = acc->epochs; e && e->number <= epoch; e = e->next)
        if (e->batches > 0)
            return 0;
    return 1;
}

void kp_acc_release_buffer_locked(kp_acc *acc, kp_batch *b) {
    if (b->buf_mem > 0) {
        acc->mem_used -= b->buf_mem;
        acc->buf_used -= b->buf_mem;
        b->mem -= b->buf_mem;
        b->buf_mem = 0;
        wake_space_waiters(acc);
    }
    kp_rb_writer_free(&b->w); /* w.count stays: the reports need it */
}

void kp_acc_release_locked(kp_acc *acc, kp_batch *b) {
    acc->mem_used -= b->mem;
    acc->buf_used -= b->buf_mem;
    b->mem = b->buf_mem = 0;
    wake_space_waiters(acc);
    if (--b->epoch->batches == 0) {
        drop_empty_epochs(acc);
        pthread_cond_broadcast(&acc->done_cv);
    }
}
