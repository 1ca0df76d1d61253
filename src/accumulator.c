/* The record accumulator (see accumulator.h). A record is encoded straight
 * into its partition's open batch; memory is charged per batch (its buffer,
 * sized to batch.size up front) plus per record (its report facts). The
 * buffer goes back when the batch completes, the report facts when its
 * reports have been served, so an application that never polls is stopped
 * by buffer.memory rather than growing. */
#include "accumulator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accumulator_impl.h"
#include "clock.h"
#include "errdetail.h"
#include "partitioner.h"
#include "protocol/record_batch.h"

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

static void no_wake(void *opaque) { (void)opaque; }

kp_acc *kp_acc_new(const kp_config *cfg) {
    kp_acc *acc = calloc(1, sizeof(*acc));
    if (!acc)
        return NULL;
    acc->cfg = cfg;
    acc->wake_sender = no_wake;
    acc->sender_wake_ms = INT64_MAX;
    acc->nbuckets = 64;
    acc->buckets = calloc(acc->nbuckets, sizeof(*acc->buckets));
    acc->epochs = acc->epoch_tail = epoch_new(1);
    if (!acc->buckets || !acc->epochs) {
        free(acc->buckets);
        free(acc->epochs);
        free(acc);
        return NULL;
    }
    /* Taken for every append and by the sender for each drain and settle,
     * each time for well under a microsecond: a thread that finds it taken
     * spins briefly before it sleeps (glibc's adaptive mutex) rather than
     * paying a futex sleep and wake-up, two context switches, per
     * collision. Measured in docs/BENCHMARKS.md ("What changed in round two"). */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    pthread_mutex_init(&acc->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    kp_cond_init_monotonic(&acc->space_cv);
    kp_cond_init_monotonic(&acc->md_cv);
    kp_cond_init_monotonic(&acc->done_cv);
    return acc;
}

void kp_acc_set_waker(kp_acc *acc, void (*wake)(void *opaque), void *opaque) {
    pthread_mutex_lock(&acc->lock);
    acc->wake_sender = wake ? wake : no_wake;
    acc->wake_opaque = opaque;
    pthread_mutex_unlock(&acc->lock);
}

void kp_batch_free(kp_batch *b) {
    if (!b)
        return;
    kp_rb_writer_free(&b->w);
    free(b->meta);
    free(b->errstr);
    free(b);
}

static void free_queue(kp_batch *b) {
    while (b) {
        kp_batch *next = b->next;
        kp_batch_free(b);
        b = next;
    }
}

void kp_acc_free(kp_acc *acc) {
    if (!acc)
        return;
    for (size_t i = 0; i < acc->ntopics; i++) {
        kp_topic *t = acc->by_id[i];
        for (int32_t p = 0; p < t->partition_count; p++) {
            free_queue(t->parts[p]->head);
            free(t->parts[p]);
        }
        free(t->parts);
        free(t->name);
        free(t);
    }
    free(acc->by_id);
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
    free(acc);
}

kprod_err_t kp_batchvec_push(kp_batchvec *bv, kp_batch *b) {
    if (bv->n == bv->cap) {
        int ncap = bv->cap ? bv->cap * 2 : 64;
        kp_batch **nv = realloc(bv->v, (size_t)ncap * sizeof(*nv));
        if (!nv)
            return KPROD_ERR__NO_MEMORY;
        bv->v = nv;
        bv->cap = ncap;
    }
    bv->v[bv->n++] = b;
    return KPROD_ERR_NO_ERROR;
}

void kp_batchvec_free(kp_batchvec *bv) {
    free(bv->v);
    memset(bv, 0, sizeof(*bv));
}

/* ---- topics ---- */

/* Kafka's rule: 1..249 characters of [a-zA-Z0-9._-], not "." or "..". */
static int topic_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 249 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static void rehash(kp_acc *acc) {
    size_t n = acc->nbuckets * 2;
    kp_topic **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return; /* keep the old table: longer chains, still correct */
    for (size_t i = 0; i < acc->ntopics; i++) {
        kp_topic *t = acc->by_id[i];
        size_t j = name_hash(t->name) & (n - 1);
        t->hnext = nb[j];
        nb[j] = t;
    }
    free(acc->buckets);
    acc->buckets = nb;
    acc->nbuckets = n;
}

kp_topic *kp_acc_topic_locked(kp_acc *acc, const char *name) {
    size_t i = name_hash(name) & (acc->nbuckets - 1);
    for (kp_topic *t = acc->buckets[i]; t; t = t->hnext)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static void want_metadata_locked(kp_acc *acc, kp_topic *t) {
    t->md_wanted = 1;
    atomic_store(&acc->md_hint, 1);
}

/* A new topic, waiting for its metadata. _INVALID_TOPIC or _NO_MEMORY. */
static kprod_err_t topic_new_locked(kp_acc *acc, const char *name, kp_topic **out) {
    if (!topic_name_valid(name))
        return KPROD_ERR__INVALID_TOPIC;
    if (acc->ntopics == acc->by_id_cap) {
        size_t ncap = acc->by_id_cap ? acc->by_id_cap * 2 : 16;
        kp_topic **nb = realloc(acc->by_id, ncap * sizeof(*nb));
        if (!nb)
            return KPROD_ERR__NO_MEMORY;
        acc->by_id = nb;
        acc->by_id_cap = ncap;
    }
    kp_topic *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return KPROD_ERR__NO_MEMORY;
    }
    t->id = (uint32_t)acc->ntopics;
    t->partition_count = -1;
    kp_sticky_init(&t->sticky);
    want_metadata_locked(acc, t);
    size_t i = name_hash(name) & (acc->nbuckets - 1);
    t->hnext = acc->buckets[i];
    acc->buckets[i] = t;
    acc->by_id[acc->ntopics++] = t;
    if (acc->ntopics > acc->nbuckets)
        rehash(acc);
    *out = t;
    return KPROD_ERR_NO_ERROR;
}

/* Grows a topic's partition table (partitions never shrink in Kafka). */
static kprod_err_t set_partition_count_locked(kp_topic *t, int32_t count) {
    if (count <= t->partition_count)
        return KPROD_ERR_NO_ERROR;
    kp_partq **np = realloc(t->parts, (size_t)count * sizeof(*np));
    if (!np)
        return KPROD_ERR__NO_MEMORY;
    t->parts = np;
    for (int32_t p = t->partition_count < 0 ? 0 : t->partition_count; p < count; p++) {
        kp_partq *q = calloc(1, sizeof(*q));
        if (!q) {
            t->partition_count = p > 0 ? p : t->partition_count;
            return KPROD_ERR__NO_MEMORY;
        }
        q->topic = t;
        q->index = p;
        np[p] = q;
    }
    t->partition_count = count;
    return KPROD_ERR_NO_ERROR;
}

int kp_acc_has_topic(kp_acc *acc, const char *name) {
    pthread_mutex_lock(&acc->lock);
    int has = kp_acc_topic_locked(acc, name) != NULL;
    pthread_mutex_unlock(&acc->lock);
    return has;
}

int kp_acc_metadata_hint(kp_acc *acc) { return atomic_load(&acc->md_hint); }

kprod_err_t kp_acc_topics(kp_acc *acc, const char ***names, int32_t *n, int *wanted) {
    pthread_mutex_lock(&acc->lock);
    *n = 0;
    *wanted = 0;
    *names = malloc((acc->ntopics + 1) * sizeof(**names));
    if (*names) {
        for (size_t i = 0; i < acc->ntopics; i++) {
            kp_topic *t = acc->by_id[i];
            (*names)[(*n)++] = t->name;
            if (t->md_wanted) {
                *wanted |= t->md_asked ? KP_ACC_WANTED : KP_ACC_WANTED | KP_ACC_WANTED_NEW;
                t->md_asked = 1;
            }
        }
        if (!*wanted)
            atomic_store(&acc->md_hint, 0);
    }
    pthread_mutex_unlock(&acc->lock);
    return *names ? KPROD_ERR_NO_ERROR : KPROD_ERR__NO_MEMORY;
}

int64_t kp_acc_apply_topic(kp_acc *acc, const char *name, kprod_err_t err, int32_t count,
                           const uint8_t *has_leader) {
    pthread_mutex_lock(&acc->lock);
    kp_topic *t = kp_acc_topic_locked(acc, name);
    int64_t id = t ? (int64_t)t->id : -1;
    if (t) {
        t->md_err = err;
        t->md_asked = 1; /* answered: a later want waits retry.backoff.ms */
        if (!err && count > 0 && set_partition_count_locked(t, count) == KPROD_ERR_NO_ERROR) {
            t->md_wanted = 0;
            t->unknown_confirmed = 0;
            for (int32_t p = 0; p < count; p++) {
                t->parts[p]->has_leader = has_leader[p] != 0;
                if (!has_leader[p])
                    want_metadata_locked(acc, t); /* ask again after the backoff */
            }
        }
        pthread_cond_broadcast(&acc->md_cv);
    }
    pthread_mutex_unlock(&acc->lock);
    return id;
}

/* Waits until the topic's partition count is known. */
static kprod_err_t await_partitions_locked(kp_acc *acc, kp_topic *t, int64_t deadline_ms,
                                           int *wake) {
    uint64_t fail_seq = acc->md_fail_seq;
    while (t->partition_count <= 0) {
        if (acc->md_fail_seq != fail_seq)
            return acc->md_fail_err; /* the brokers refused us meanwhile */
        if (t->unknown_confirmed) {
            /* An earlier send already waited its max.block.ms out and the
             * cluster still says the topic does not exist: fail at once,
             * while the sender keeps asking in case it is created. */
            want_metadata_locked(acc, t);
            return KPROD_ERR__UNKNOWN_TOPIC;
        }
        if (acc->shut_err)
            return acc->shut_err;
        want_metadata_locked(acc, t);
        acc->sender_wake_ms = 0;
        acc->wake_sender(acc->wake_opaque);
        *wake = 0;
        /* Interrupted: no wait, but the metadata is still asked for (above),
         * so later sends to the topic need not wait either. */
        if (acc->interrupted)
            return KPROD_ERR__INTERRUPTED;
        if (kp_cond_wait_until(&acc->md_cv, &acc->lock, deadline_ms) != 0 &&
            t->partition_count <= 0) {
            if (t->md_err == KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
                t->unknown_confirmed = 1;
                return KPROD_ERR__UNKNOWN_TOPIC;
            }
            return KPROD_ERR__TIMED_OUT;
        }
    }
    return KPROD_ERR_NO_ERROR;
}

/* ---- memory ---- */

static int must_wait(const kp_acc *acc, size_t n) {
    return acc->mem_used + n > (size_t)acc->cfg->buffer_memory && acc->mem_used > 0;
}

/* Notes that a batch is ready at ready_at_ms and, if that is before the
 * sender planned to look, asks for it to be woken: *wake is set, and the
 * caller wakes it once the lock is released (woken under the lock, the
 * sender only went to sleep again on it). */
static void note_ready_at(kp_acc *acc, int64_t ready_at_ms, int *wake) {
    if (ready_at_ms < acc->sender_wake_ms) {
        acc->sender_wake_ms = ready_at_ms;
        *wake = 1;
    }
}

/* Free bytes an append that needs n waits for before it is woken: n plus
 * a sixteenth of buffer.memory. Woken per completed batch, a full buffer
 * cost two context switches and a contended lock per batch; woken once the
 * sender has drained a slice, the thread then fills that slice in one go. */
static size_t space_wanted(const kp_acc *acc, size_t n) {
    size_t limit = (size_t)acc->cfg->buffer_memory;
    size_t want = n + limit / 16;
    return want < limit ? want : limit;
}

/* Memory was given back: wake the appends waiting for it when enough is
 * free, or when no batch buffer is left to give back (the rest is report
 * facts, freed only by serving reports, which a waiting thread may be the
 * one to do: it must then see its deadline out). */
static void wake_space_waiters(kp_acc *acc) {
    if (acc->space_waiters == 0)
        return;
    size_t limit = (size_t)acc->cfg->buffer_memory;
    size_t free_bytes = acc->mem_used < limit ? limit - acc->mem_used : 0;
    if (free_bytes >= acc->space_want || acc->buf_used == 0)
        pthread_cond_broadcast(&acc->space_cv);
}

/* Charges n bytes against buffer.memory, waiting for space until deadline
 * (0: max.block.ms from the first wait). Sets *waited when it slept (the
 * caller's clock is stale then). A wake of the sender still owed (*wake)
 * is done before waiting: the sender must drain for memory to come back. */
static kprod_err_t reserve_memory(kp_acc *acc, size_t n, int64_t deadline_ms, int *waited,
                                  int *wake) {
    *waited = 0;
    while (must_wait(acc, n)) {
        if (acc->shut_err)
            return acc->shut_err;
        if (acc->interrupted)
            return KPROD_ERR__INTERRUPTED;
        if (!*waited) {
            /* While anyone waits here every batch is ready (see
             * kp_acc_batch_ready_locked): the sender takes them now. */
            note_ready_at(acc, kp_now_ms(), wake);
            if (*wake) {
                acc->wake_sender(acc->wake_opaque);
                *wake = 0;
            }
            if (deadline_ms == 0)
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
    /* Woken by kp_acc_shut while memory came free: no record may be added
     * once shut (the sender may have purged the queues already). */
    if (acc->shut_err)
        return acc->shut_err;
    acc->mem_used += n;
    return KPROD_ERR_NO_ERROR;
}

/* ---- appending ---- */

static void activate_locked(kp_acc *acc, kp_partq *q) {
    if (q->active)
        return;
    q->active = 1;
    q->act_next = NULL;
    if (acc->act_tail)
        acc->act_tail->act_next = q;
    else
        acc->act_head = q;
    acc->act_tail = q;
}

static kp_batch *batch_new(kp_acc *acc, kp_partq *q, size_t cap, int64_t now) {
    kp_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    kp_rb_writer_init(&b->w, cap);
    if (b->w.buf.oom) {
        kp_batch_free(b);
        return NULL;
    }
    b->topic_name = q->topic->name;
    b->topic_id = q->topic->id;
    b->partition = q->index;
    b->id = ++acc->next_batch_id;
    b->created_ms = now;
    b->base_seq = -1;
    b->base_offset = -1;
    b->log_append_time = -1;
    b->epoch = acc->epoch_tail;
    b->epoch->batches++;
    return b;
}

static void release_locked(kp_acc *acc, kp_batch *b) {
    acc->mem_used -= b->mem;
    acc->buf_used -= b->buf_mem;
    b->mem = b->buf_mem = 0;
    wake_space_waiters(acc);
    if (--b->epoch->batches == 0) {
        kp_flush_epoch *e;
        while (acc->epochs != acc->epoch_tail && acc->epochs->batches == 0) {
            e = acc->epochs;
            acc->epochs = e->next;
            free(e);
        }
        pthread_cond_broadcast(&acc->done_cv);
    }
}

/* Takes a batch that append just created back out of its queue (it is the
 * tail, prev the batch before it) and gives back its memory. */
static void undo_new_batch(kp_acc *acc, kp_partq *q, kp_batch *prev, kp_batch *b) {
    if (prev)
        prev->next = NULL;
    else
        q->head = NULL;
    q->tail = prev;
    release_locked(acc, b);
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

/* The bytes a record takes as the only one in a new batch, header included. */
static size_t record_size_alone(const kp_append *a) {
    kp_rb_writer probe;
    memset(&probe, 0, sizeof(probe));
    probe.base_ts = a->timestamp_ms;
    size_t n = kp_rb_record_size(&probe, a->timestamp_ms, a->key_len, a->value_len, a->headers,
                                 a->header_count);
    return n > SIZE_MAX - KP_RB_HEADER_SIZE ? SIZE_MAX
                                            : KP_RB_HEADER_SIZE + n; /* SIZE_MAX: too big */
}

/* An upper bound of record_size_alone with every varint at its longest:
 * clears the common small record with a few additions. */
static size_t record_size_bound(const kp_append *a) {
    size_t n = KP_RB_HEADER_SIZE + 5 + 1 + 10 + 5 + 5 + 5 + 5; /* lengths, attributes, deltas */
    n += (a->key_len > 0 ? (size_t)a->key_len : 0) + (a->value_len > 0 ? (size_t)a->value_len : 0);
    for (size_t i = 0; i < a->header_count; i++) {
        /* Saturates: a huge header length must not wrap to a small bound. */
        size_t name_len = strlen(a->headers[i].name), value_len = a->headers[i].value_len;
        if (n > SIZE_MAX / 4 || name_len > SIZE_MAX / 4 || value_len > SIZE_MAX / 4)
            return SIZE_MAX;
        n += 10 + name_len + value_len;
    }
    return n;
}

/* Encodes a into partition q's open batch, or a new one. now_ms may be 0
 * (read when needed); deadline_ms 0 means max.block.ms from a first wait.
 * *appended is the record's size in its batch (for the sticky partitioner). */
static kprod_err_t append_locked(kp_acc *acc, kp_partq *q, const kp_append *a, int64_t now_ms,
                                 int64_t deadline_ms, size_t *appended, int *wake) {
    kp_batch *b = q->tail;
    size_t rec_size = 0;
    if (b && !b->closed) {
        rec_size = kp_rb_record_size(&b->w, a->timestamp_ms, a->key_len, a->value_len, a->headers,
                                     a->header_count);
        if (b->w.buf.len + rec_size > (size_t)acc->cfg->batch_size) {
            b->closed = 1; /* full: the sender takes it at once */
            note_ready_at(acc, lazy_now(&now_ms), wake);
            b = NULL;
        }
    } else {
        b = NULL;
    }
    kp_batch *created = NULL, *prev = NULL;
    if (!b) {
        size_t cap = record_size_alone(a);
        rec_size = cap - KP_RB_HEADER_SIZE;
        if (cap < (size_t)acc->cfg->batch_size)
            cap = (size_t)acc->cfg->batch_size;
        int waited;
        kprod_err_t err = reserve_memory(acc, cap, deadline_ms, &waited, wake);
        if (err)
            return err;
        /* After a wait for memory the caller's clock is stale (by up to
         * max.block.ms); the batch's linger.ms and delivery.timeout.ms
         * start when it is created, as in Java. */
        if (waited)
            now_ms = kp_now_ms();
        b = batch_new(acc, q, cap, lazy_now(&now_ms));
        if (!b) {
            acc->mem_used -= cap;
            wake_space_waiters(acc);
            return KPROD_ERR__NO_MEMORY;
        }
        b->mem = b->buf_mem = cap;
        acc->buf_used += cap;
        prev = q->tail;
        if (q->tail) {
            q->tail->closed = 1;
            q->tail->next = b;
        } else {
            q->head = b;
        }
        q->tail = b;
        created = b;
        activate_locked(acc, q);
        note_ready_at(acc, now_ms + acc->cfg->linger_ms, wake);
    }
    /* Nothing may be left behind on failure: an empty batch in the queue
     * would fail to seal and take the rest of its request with it. */
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
    b->rec_bytes += rec_size;
    q->records++;
    q->bytes += (int64_t)rec_size;
    acc->records_waiting++;
    acc->bytes_waiting += (int64_t)rec_size;
    acc->records_accepted++;
    acc->bytes_accepted += (int64_t)rec_size;
    *appended = rec_size;
    return KPROD_ERR_NO_ERROR;
}

static int partition_has_leader(int32_t partition, void *opaque) {
    const kp_topic *t = opaque; /* called under the lock */
    return t->parts[partition]->has_leader;
}

/* What kprod_last_errstr says about a failed append: the facts behind the
 * code, gathered only on this (failing) path. count and md_err are the
 * topic's as seen under the lock (-1 and 0 without a topic). */
static void explain(const kp_acc *acc, const kp_append *a, kprod_err_t err, int32_t count,
                    kprod_err_t md_err, const char *refused) {
    const kp_config *cfg = acc->cfg;
    switch (err) {
    case KPROD_ERR__INVALID_TOPIC:
        kp_errdetail_set("invalid topic name '%.255s': 1 to 249 characters of a-z, A-Z, 0-9, "
                         "'.', '_' and '-', and not '.' or '..'",
                         a->topic);
        break;
    case KPROD_ERR__UNKNOWN_TOPIC:
        kp_errdetail_set("topic '%.255s' not found in the cluster after %lld ms (max.block.ms)",
                         a->topic, (long long)cfg->max_block_ms);
        break;
    case KPROD_ERR__TIMED_OUT:
        if (md_err)
            kp_errdetail_set("no partitions of topic '%.255s' within %lld ms (max.block.ms): the "
                             "cluster answers %s",
                             a->topic, (long long)cfg->max_block_ms, kprod_err_name(md_err));
        else
            kp_errdetail_set("no metadata for topic '%.255s' within %lld ms (max.block.ms): no "
                             "broker answered (the log says why)",
                             a->topic, (long long)cfg->max_block_ms);
        break;
    case KPROD_ERR__UNKNOWN_PARTITION:
        kp_errdetail_set("partition %d of topic '%.255s' does not exist (%d partitions)",
                         (int)a->partition, a->topic, (int)count);
        break;
    case KPROD_ERR__PARTITIONER:
        kp_errdetail_set("the partitioner chose a partition outside 0..%d for topic '%.255s'",
                         (int)count - 1, a->topic);
        break;
    case KPROD_ERR__QUEUE_FULL:
        kp_errdetail_set("buffer.memory (%lld bytes) stayed full for %lld ms (max.block.ms): "
                         "records come faster than the brokers take them",
                         (long long)cfg->buffer_memory, (long long)cfg->max_block_ms);
        break;
    case KPROD_ERR__MSG_SIZE_TOO_LARGE:
        kp_errdetail_set("a record of %zu bytes (key, value and headers encoded) is larger than "
                         "max.request.size (%d) or buffer.memory (%lld)",
                         record_size_alone(a), (int)cfg->max_request_size,
                         (long long)cfg->buffer_memory);
        break;
    case KPROD_ERR__INVALID_ARG:
        kp_errdetail_set("a key or value length below -1 (-1 means null)");
        break;
    default:
        if (refused) /* the brokers refused the security setup while this send waited */
            kp_errdetail_set("no metadata for topic '%.255s': %s", a->topic, refused);
        else
            kp_errdetail_set("%s", kprod_err_str(err));
    }
}

kprod_err_t kp_acc_append(kp_acc *acc, const kp_append *a) {
    if (a->key_len < -1 || a->value_len < -1) {
        explain(acc, a, KPROD_ERR__INVALID_ARG, -1, 0,
                NULL); /* -1 is null; nothing else is below 0 */
        return KPROD_ERR__INVALID_ARG;
    }
    size_t limit = (size_t)acc->cfg->max_request_size;
    if ((size_t)acc->cfg->buffer_memory < limit)
        limit = (size_t)acc->cfg->buffer_memory;
    if (record_size_bound(a) > limit && record_size_alone(a) > limit) {
        explain(acc, a, KPROD_ERR__MSG_SIZE_TOO_LARGE, -1, 0, NULL);
        return KPROD_ERR__MSG_SIZE_TOO_LARGE;
    }

    /* No clock read on the common path: see lazy_now. */
    int64_t now = 0, deadline = 0;
    int wake = 0;
    pthread_mutex_lock(&acc->lock);
    kprod_err_t err = acc->shut_err;
    kp_topic *t = NULL;
    if (!err && !(t = kp_acc_topic_locked(acc, a->topic)))
        err = topic_new_locked(acc, a->topic, &t);
    if (!err && t->partition_count <= 0) {
        deadline = kp_now_ms() + acc->cfg->max_block_ms; /* covers the whole send */
        err = await_partitions_locked(acc, t, deadline, &wake);
        now = kp_now_ms(); /* the wait made any earlier reading stale */
    }
    int32_t partition = -1;
    kp_part_source source = KP_PART_EXPLICIT;
    if (!err) {
        kp_part_input in = {
            .topic = a->topic,
            .explicit_partition = a->partition,
            .key = a->key,
            .key_len = a->key_len,
            .partition_count = t->partition_count,
            .ignore_keys = acc->cfg->partitioner_ignore_keys,
            .user_cb = acc->cfg->partitioner_cb,
            .user_opaque = acc->cfg->partitioner_opaque,
            .sticky = &t->sticky,
            .avail = partition_has_leader,
            .avail_opaque = t,
        };
        err = kp_partition_choose(&in, &partition, &source);
    }
    size_t appended = 0;
    if (!err)
        err = append_locked(acc, t->parts[partition], a, now, deadline, &appended, &wake);
    if (!err && source == KP_PART_STICKY) {
        const kp_partq *q = t->parts[partition];
        int may_switch = q->tail == NULL || q->tail->closed || q->head != q->tail;
        kp_sticky_note_append(&t->sticky, partition, appended, acc->cfg->batch_size, may_switch,
                              t->partition_count, partition_has_leader, t);
    }
    int32_t count = err && t ? t->partition_count : -1;
    kprod_err_t md_err = err && t ? t->md_err : KPROD_ERR_NO_ERROR;
    char refused[sizeof(acc->md_fail_why)];
    refused[0] = '\0';
    if (err && err == acc->md_fail_err && acc->md_fail_seq > 0)
        memcpy(refused, acc->md_fail_why, sizeof(refused));
    pthread_mutex_unlock(&acc->lock);
    if (wake)
        acc->wake_sender(acc->wake_opaque);
    if (err)
        explain(acc, a, err, count, md_err, refused[0] ? refused : NULL);
    return err;
}

/* ---- draining ---- */

int kp_acc_batch_ready_locked(const kp_acc *acc, const kp_batch *b, int64_t now_ms,
                              int64_t *wake_at_ms) {
    if (b->retry_at_ms > now_ms) {
        if (b->retry_at_ms < *wake_at_ms)
            *wake_at_ms = b->retry_at_ms;
        return 0;
    }
    if (b->closed || b->next || atomic_load(&acc->closing) || b->epoch->number <= acc->flush_upto ||
        b->attempts > 0 || acc->space_waiters > 0)
        return 1;
    int64_t at = b->created_ms + acc->cfg->linger_ms;
    if (at <= now_ms)
        return 1;
    if (at < *wake_at_ms)
        *wake_at_ms = at;
    return 0;
}

/* A batch joins or leaves a partition's queue: the waiting counts follow. */
static void count_waiting_locked(kp_acc *acc, kp_partq *q, const kp_batch *b, int sign) {
    q->records += sign * (int64_t)b->w.count;
    q->bytes += sign * (int64_t)b->rec_bytes;
    acc->records_waiting += sign * (int64_t)b->w.count;
    acc->bytes_waiting += sign * (int64_t)b->rec_bytes;
}

static kp_batch *pop_locked(kp_acc *acc, kp_partq *q) {
    kp_batch *b = q->head;
    if (!b)
        return NULL;
    count_waiting_locked(acc, q, b, -1);
    q->head = b->next;
    if (q->tail == b)
        q->tail = NULL;
    b->next = NULL;
    b->closed = 1;
    return b;
}

/* A completed batch's records are no longer needed, so their memory goes
 * back at once; only the report facts stay charged until served. */
static void release_buffer_locked(kp_acc *acc, kp_batch *b) {
    if (b->buf_mem > 0) {
        acc->mem_used -= b->buf_mem;
        acc->buf_used -= b->buf_mem;
        b->mem -= b->buf_mem;
        b->buf_mem = 0;
        wake_space_waiters(acc);
    }
    kp_rb_writer_free(&b->w); /* w.count stays: the reports need it */
}

/* One partition's turn: expired heads go, then the head may be taken. */
static void drain_partition_locked(kp_acc *acc, kp_partq *q, int64_t now, kp_drain_fn fn,
                                   void *opaque, kp_batchvec *taken, kp_batchvec *expired,
                                   int64_t *wake_at) {
    while (q->head) {
        int64_t at = INT64_MAX;
        int ready = kp_acc_batch_ready_locked(acc, q->head, now, &at);
        kp_drain_verdict v = fn(opaque, q->head, ready, now, wake_at);
        if (!ready && at < *wake_at)
            *wake_at = at;
        if (v == KP_DRAIN_EXPIRE) {
            if (kp_batchvec_push(expired, q->head) != KPROD_ERR_NO_ERROR)
                return;
            release_buffer_locked(acc, pop_locked(acc, q));
            continue;
        }
        if (v == KP_DRAIN_TAKE && kp_batchvec_push(taken, q->head) == KPROD_ERR_NO_ERROR) {
            pop_locked(acc, q);
            /* One batch per partition and request: the next ready one goes
             * in the next turn's request, at once, not after a response. */
            if (q->head && kp_acc_batch_ready_locked(acc, q->head, now, wake_at))
                *wake_at = now;
        } else if (v == KP_DRAIN_WANT_LEADER && !q->topic->md_wanted) {
            want_metadata_locked(acc, q->topic);
            *wake_at = now; /* once: the metadata client takes over */
        }
        return;
    }
}

void kp_acc_drain(kp_acc *acc, int64_t now_ms, kp_drain_fn fn, void *opaque, kp_batchvec *taken,
                  kp_batchvec *expired, int64_t *wake_at_ms) {
    pthread_mutex_lock(&acc->lock);
    int64_t acc_wake = *wake_at_ms;
    kp_partq **pp = &acc->act_head, *last = NULL;
    while (*pp) {
        kp_partq *q = *pp;
        drain_partition_locked(acc, q, now_ms, fn, opaque, taken, expired, &acc_wake);
        if (!q->head) { /* empty: off the list until its next batch */
            *pp = q->act_next;
            q->active = 0;
            q->act_next = NULL;
            continue;
        }
        last = q;
        pp = &q->act_next;
    }
    acc->act_tail = last;
    acc->sender_wake_ms = acc_wake;
    if (acc_wake < *wake_at_ms)
        *wake_at_ms = acc_wake;
    pthread_mutex_unlock(&acc->lock);
}

static kp_partq *queue_of_locked(kp_acc *acc, const kp_batch *b) {
    return acc->by_id[b->topic_id]->parts[b->partition];
}

/* Puts a batch back for a retry, in creation order ahead of newer ones. */
static void requeue_locked(kp_acc *acc, kp_batch *b) {
    kp_partq *q = queue_of_locked(acc, b);
    kp_batch **pp = &q->head;
    while (*pp && (*pp)->id < b->id)
        pp = &(*pp)->next;
    b->next = *pp;
    *pp = b;
    if (!b->next)
        q->tail = b;
    count_waiting_locked(acc, q, b, 1);
    activate_locked(acc, q);
}

void kp_acc_settle(kp_acc *acc, kp_batch *const *finished, int nfinished, kp_batch *const *retry,
                   int nretry) {
    pthread_mutex_lock(&acc->lock);
    for (int i = 0; i < nfinished; i++)
        release_buffer_locked(acc, finished[i]);
    for (int i = 0; i < nretry; i++)
        requeue_locked(acc, retry[i]);
    acc->sender_wake_ms = 0; /* the sender looks again right after this */
    pthread_mutex_unlock(&acc->lock);
}

void kp_acc_stats(kp_acc *acc, kp_acc_part_fn fn, void *opaque, kp_acc_totals *out) {
    pthread_mutex_lock(&acc->lock);
    out->records_accepted = acc->records_accepted;
    out->bytes_accepted = acc->bytes_accepted;
    out->records_waiting = acc->records_waiting;
    out->bytes_waiting = acc->bytes_waiting;
    out->mem_used = (int64_t)acc->mem_used;
    for (size_t i = 0; fn && i < acc->ntopics; i++) {
        const kp_topic *t = acc->by_id[i];
        for (int32_t p = 0; p < t->partition_count; p++)
            fn(opaque, t->id, t->name, p, t->parts[p]->records, t->parts[p]->bytes);
    }
    pthread_mutex_unlock(&acc->lock);
}

void kp_acc_take_all(kp_acc *acc, kp_batchvec *out) {
    pthread_mutex_lock(&acc->lock);
    for (kp_partq *q = acc->act_head; q; q = q->act_next) {
        while (q->head && kp_batchvec_push(out, q->head) == KPROD_ERR_NO_ERROR)
            release_buffer_locked(acc, pop_locked(acc, q));
    }
    pthread_mutex_unlock(&acc->lock);
}

void kp_acc_take_where(kp_acc *acc, uint32_t topic_id, int32_t partition, kp_acc_pick_fn pick,
                       void *opaque, kp_batchvec *out) {
    pthread_mutex_lock(&acc->lock);
    kp_topic *t = topic_id < acc->ntopics ? acc->by_id[topic_id] : NULL;
    kp_partq *q =
        t && partition >= 0 && partition < t->partition_count ? t->parts[partition] : NULL;
    kp_batch **pp = q ? &q->head : NULL, *prev = NULL;
    while (pp && *pp) {
        kp_batch *b = *pp;
        if (!pick(opaque, b) || kp_batchvec_push(out, b) != KPROD_ERR_NO_ERROR) {
            prev = b;
            pp = &b->next;
            continue;
        }
        /* Off the queue; an emptied queue leaves the active list at the
         * next drain. */
        *pp = b->next;
        if (q->tail == b)
            q->tail = prev;
        b->next = NULL;
        b->closed = 1;
        count_waiting_locked(acc, q, b, -1);
        release_buffer_locked(acc, b);
    }
    pthread_mutex_unlock(&acc->lock);
}

void kp_acc_take_matching(kp_acc *acc, int (*match)(void *opaque, const kp_batch *head),
                          void *opaque, kp_batchvec *out) {
    pthread_mutex_lock(&acc->lock);
    for (kp_partq *q = acc->act_head; q; q = q->act_next) {
        if (!q->head || !match(opaque, q->head))
            continue;
        while (q->head && kp_batchvec_push(out, q->head) == KPROD_ERR_NO_ERROR)
            release_buffer_locked(acc, pop_locked(acc, q));
    }
    pthread_mutex_unlock(&acc->lock);
}

void kp_acc_fail_metadata_waits(kp_acc *acc, kprod_err_t err, const char *why) {
    pthread_mutex_lock(&acc->lock);
    acc->md_fail_err = err;
    snprintf(acc->md_fail_why, sizeof(acc->md_fail_why), "%s", why);
    acc->md_fail_seq++;
    pthread_cond_broadcast(&acc->md_cv);
    pthread_mutex_unlock(&acc->lock);
}

/* ---- flush, shutdown, reports ---- */

uint64_t kp_acc_begin_flush(kp_acc *acc) {
    pthread_mutex_lock(&acc->lock);
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
    /* Empty epochs go now: flushing an idle producer over and over must not
     * grow the list. */
    while (acc->epochs != acc->epoch_tail && acc->epochs->batches == 0) {
        kp_flush_epoch *old = acc->epochs;
        acc->epochs = old->next;
        free(old);
    }
    acc->sender_wake_ms = 0;
    pthread_mutex_unlock(&acc->lock);
    acc->wake_sender(acc->wake_opaque);
    return number;
}

static int flushed_locked(const kp_acc *acc, uint64_t epoch) {
    for (const kp_flush_epoch *e = acc->epochs; e && e->number <= epoch; e = e->next)
        if (e->batches > 0)
            return 0;
    return 1;
}

int kp_acc_flushed(kp_acc *acc, uint64_t epoch, int64_t deadline_ms) {
    pthread_mutex_lock(&acc->lock);
    int done;
    while (!(done = flushed_locked(acc, epoch)) && deadline_ms > 0 &&
           kp_cond_wait_until(&acc->done_cv, &acc->lock, deadline_ms) == 0)
        ;
    pthread_mutex_unlock(&acc->lock);
    return done;
}

void kp_acc_wait_progress(kp_acc *acc, int64_t deadline_ms) {
    pthread_mutex_lock(&acc->lock);
    kp_cond_wait_until(&acc->done_cv, &acc->lock, deadline_ms);
    pthread_mutex_unlock(&acc->lock);
}

void kp_acc_shut(kp_acc *acc, kprod_err_t err) {
    pthread_mutex_lock(&acc->lock);
    if (!acc->shut_err)
        acc->shut_err = err;
    if (err == KPROD_ERR__CLOSED)
        atomic_store(&acc->closing, 1);
    pthread_cond_broadcast(&acc->space_cv);
    pthread_cond_broadcast(&acc->md_cv);
    pthread_mutex_unlock(&acc->lock);
    acc->wake_sender(acc->wake_opaque);
}

int kp_acc_closing(kp_acc *acc) { return atomic_load(&acc->closing); }

void kp_acc_interrupt(kp_acc *acc) {
    pthread_mutex_lock(&acc->lock);
    acc->interrupted = 1;
    pthread_cond_broadcast(&acc->space_cv);
    pthread_cond_broadcast(&acc->md_cv);
    pthread_mutex_unlock(&acc->lock);
}

int kp_acc_space_waiters(kp_acc *acc) {
    pthread_mutex_lock(&acc->lock);
    int n = acc->space_waiters;
    pthread_mutex_unlock(&acc->lock);
    return n;
}

void kp_acc_release_served(kp_acc *acc, kp_batch *list) {
    if (!list)
        return;
    /* One lock for the whole list: kprod_send contends for it. */
    pthread_mutex_lock(&acc->lock);
    for (kp_batch *b = list; b; b = b->next)
        release_locked(acc, b);
    pthread_mutex_unlock(&acc->lock);
}
