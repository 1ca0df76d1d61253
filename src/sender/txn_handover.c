/* The transaction client's application side and its state changes (see
 * txn.h): kprod_send's gate, the state rules applied to each call, the
 * hand-over of one operation at a time to the sender thread, and every
 * change of the state, all under the client's own lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "protocol/codec.h"
#include "sender/txn_impl.h"

kp_txn *kp_txn_new(const kp_txn_deps *deps) {
    kp_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->d = *deps;
    t->enabled = deps->cfg->transactional_id != NULL;
    t->coord[0] = t->coord[1] = -1;
    t->tgen = 1; /* partitions start at 0: never registered */
    atomic_init(&t->state, KP_TXN_UNINIT);
    atomic_init(&t->sending, 0);
    atomic_init(&t->pending, 0);
    pthread_mutex_init(&t->lock, NULL);
    kp_cond_init_monotonic(&t->cv);
    return t;
}

void kp_txn_free(kp_txn *t) {
    if (!t)
        return;
    kp_txn_offsets_free(t->op.offs);
    free(t->parts);
    free(t->group_key);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cv);
    free(t);
}

int kp_txn_enabled(const kp_txn *t) { return t->enabled; }

kp_txn_state kp_txn__state(const kp_txn *t) {
    return (kp_txn_state)atomic_load(&((kp_txn *)t)->state);
}

/* ---- kprod_send's gate ---- */

/* The error a state gives a send or a call that it refuses. */
static kprod_err_t refusal(kp_txn *t, kprod_err_t err) {
    return err == KPROD_ERR__FATAL && t->fatal_err ? t->fatal_err : err;
}

kprod_err_t kp_txn_send_enter(kp_txn *t) {
    /* Counted before the state is read; a commit or abort changes the
     * state before it reads the count (both sequentially consistent), so
     * either the send sees the new state or the commit sees the send. */
    atomic_fetch_add(&t->sending, 1);
    kp_txn_state st = kp_txn__state(t);
    if (st == KP_TXN_IN_TXN)
        return KPROD_ERR_NO_ERROR;
    atomic_fetch_sub(&t->sending, 1);
    kp_txn_step s = kp_txn_transition(st, KP_TXN_CALL_SEND, 0);
    return s.err == KPROD_ERR__FATAL ? KPROD_ERR__FATAL : s.err;
}

void kp_txn_send_leave(kp_txn *t) { atomic_fetch_sub(&t->sending, 1); }

kprod_err_t kp_txn_wait_senders(kp_txn *t, int64_t deadline_ms) {
    /* Short: a send inside the gate only appends (or waits for memory,
     * which the sender frees as it keeps sending). */
    while (atomic_load(&t->sending) > 0) {
        if (kp_now_ms() >= deadline_ms)
            return KPROD_ERR__TIMED_OUT;
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    return KPROD_ERR_NO_ERROR;
}

/* ---- the calls ---- */

static const char *call_name(kp_txn_call call) {
    static const char *names[] = {"kprod_txn_init",         "kprod_txn_begin",  "kprod_send",
                                  "kprod_txn_send_offsets", "kprod_txn_commit", "kprod_txn_abort"};
    return names[call];
}

static kp_txn_op_kind op_of(kp_txn_call call) {
    switch (call) {
    case KP_TXN_CALL_INIT:
        return KP_TXN_OP_INIT;
    case KP_TXN_CALL_COMMIT:
        return KP_TXN_OP_COMMIT;
    case KP_TXN_CALL_ABORT:
        return KP_TXN_OP_ABORT;
    default:
        return KP_TXN_OP_NONE;
    }
}

/* The slot's operation is over and its result taken (or not wanted). */
static void op_clear(kp_txn *t) {
    kp_txn_offsets_free(t->op.offs);
    memset(&t->op, 0, sizeof(t->op));
}

int kp_txn_commit_handed(kp_txn *t) {
    pthread_mutex_lock(&t->lock);
    int h = t->op.kind == KP_TXN_OP_COMMIT;
    pthread_mutex_unlock(&t->lock);
    return h;
}

kprod_err_t kp_txn_enter(kp_txn *t, kp_txn_call call, int *resume, char *why, size_t why_size) {
    *resume = 0;
    if (!t->enabled) {
        snprintf(why, why_size, "%s: transactional.id is not set: not a transactional producer",
                 call_name(call));
        return KPROD_ERR__STATE;
    }
    pthread_mutex_lock(&t->lock);
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    kp_txn_state st = kp_txn__state(t);
    if (t->closed) {
        err = KPROD_ERR__CLOSED;
        snprintf(why, why_size, "%s: the producer is closing", call_name(call));
    } else if (t->busy) {
        err = KPROD_ERR__STATE;
        snprintf(why, why_size, "%s: another transaction call is running on another thread",
                 call_name(call));
    } else if (t->op.kind != KP_TXN_OP_NONE && t->op.kind == op_of(call)) {
        *resume = 1; /* an earlier call of this kind timed out: take it up */
    } else {
        if (t->op.done)
            op_clear(t); /* an older call's result nobody waited for */
        kp_txn_step s = kp_txn_transition(st, call, t->op.kind == KP_TXN_OP_COMMIT);
        if (s.err) {
            err = refusal(t, s.err);
            if (s.err == KPROD_ERR__TXN_ABORTABLE)
                snprintf(why, why_size, "%s: the transaction failed and must be aborted: %s",
                         call_name(call), t->fail_why);
            else if (s.err == KPROD_ERR__FATAL)
                snprintf(why, why_size, "%s: the producer hit a fatal error: %s", call_name(call),
                         t->fatal_str);
            else
                snprintf(why, why_size, "%s is not valid in state %s", call_name(call),
                         kp_txn_state_name(st));
        } else {
            *resume = s.resume;
            if (s.next != st)
                atomic_store(&t->state, (int)s.next);
        }
    }
    if (!err)
        t->busy = 1;
    pthread_mutex_unlock(&t->lock);
    return err;
}

void kp_txn_leave(kp_txn *t) {
    pthread_mutex_lock(&t->lock);
    t->busy = 0;
    pthread_mutex_unlock(&t->lock);
}

/* ---- the offsets of a call ---- */

void kp_txn_offsets_free(kp_txn_offsets *o) {
    if (!o)
        return;
    for (int i = 0; i < o->n; i++) {
        free((char *)o->offs[i].tp.topic);
        free((char *)o->offs[i].o.metadata);
    }
    free(o->offs);
    free((char *)o->group.group_id);
    free((char *)o->group.member_id);
    free((char *)o->group.group_instance_id);
    free(o);
}

static int off_cmp(const void *a, const void *b) {
    const kp_txn_off *x = a, *y = b;
    int c = strcmp(x->tp.topic, y->tp.topic);
    return c ? c : (x->tp.partition > y->tp.partition) - (x->tp.partition < y->tp.partition);
}

/* A copy of s (NULL stays NULL); sets *oom when it cannot. */
static char *dup_or_null(const char *s, int *oom) {
    if (!s)
        return NULL;
    char *d = strdup(s);
    *oom |= !d;
    return d;
}

kprod_err_t kp_txn_offsets_new(const kprod_txn_offset_t *offsets, size_t count,
                               const kprod_txn_group_t *group, kp_txn_offsets **out, char *why,
                               size_t why_size) {
    *out = NULL;
    if (!offsets || count == 0 || count > 100000 || !group || !group->group_id ||
        !kp_codec_str_ok(group->group_id) || !group->group_id[0]) {
        snprintf(why, why_size,
                 "kprod_txn_send_offsets: give 1 to 100000 offsets and a group with a non-empty "
                 "group_id");
        return KPROD_ERR__INVALID_ARG;
    }
    for (size_t i = 0; i < count; i++) {
        const kprod_txn_offset_t *o = &offsets[i];
        if (!o->topic || !o->topic[0] || !kp_codec_str_ok(o->topic) || o->partition < 0 ||
            o->offset < 0 || (o->metadata && !kp_codec_str_ok(o->metadata))) {
            snprintf(why, why_size,
                     "kprod_txn_send_offsets: offset %zu needs a topic, a partition >= 0 and an "
                     "offset >= 0",
                     i);
            return KPROD_ERR__INVALID_ARG;
        }
    }
    kp_txn_offsets *o = calloc(1, sizeof(*o));
    if (!o || !(o->offs = calloc(count, sizeof(*o->offs)))) {
        free(o);
        return KPROD_ERR__NO_MEMORY;
    }
    int oom = 0;
    o->n = (int)count;
    o->group.group_id = dup_or_null(group->group_id, &oom);
    o->group.generation_id = group->generation_id;
    o->group.member_id = dup_or_null(group->member_id, &oom);
    o->group.group_instance_id = dup_or_null(group->group_instance_id, &oom);
    for (size_t i = 0; i < count; i++) {
        kp_txn_off *d = &o->offs[i];
        d->tp.topic = dup_or_null(offsets[i].topic, &oom);
        d->tp.partition = offsets[i].partition;
        d->o.partition = offsets[i].partition;
        d->o.offset = offsets[i].offset;
        d->o.leader_epoch = offsets[i].leader_epoch < 0 ? -1 : offsets[i].leader_epoch;
        d->o.metadata = dup_or_null(offsets[i].metadata, &oom);
    }
    if (oom) {
        kp_txn_offsets_free(o);
        return KPROD_ERR__NO_MEMORY;
    }
    qsort(o->offs, count, sizeof(*o->offs), off_cmp);
    for (size_t i = 1; i < count; i++) {
        if (off_cmp(&o->offs[i - 1], &o->offs[i]) == 0) {
            snprintf(why, why_size,
                     "kprod_txn_send_offsets: partition %d of topic '%.200s' is given twice",
                     (int)o->offs[i].tp.partition, o->offs[i].tp.topic);
            kp_txn_offsets_free(o);
            return KPROD_ERR__INVALID_ARG;
        }
    }
    *out = o;
    return KPROD_ERR_NO_ERROR;
}

/* ---- handing over ---- */

kprod_err_t kp_txn_run(kp_txn *t, kp_txn_op_kind kind, kp_txn_offsets *offs, int64_t deadline_ms,
                       char *why, size_t why_size) {
    pthread_mutex_lock(&t->lock);
    /* An earlier call's operation of another kind (offsets that timed
     * out) finishes first; one of this kind is the one to wait for. */
    while (t->op.kind != KP_TXN_OP_NONE && t->op.kind != kind && !t->closed) {
        if (t->op.done) {
            op_clear(t);
            break;
        }
        if (kp_cond_wait_until(&t->cv, &t->lock, deadline_ms) != 0)
            break;
    }
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    kp_txn_state st = kp_txn__state(t);
    if (t->closed) {
        err = KPROD_ERR__CLOSED;
        snprintf(why, why_size, "the producer is closing");
    } else if (t->op.kind != KP_TXN_OP_NONE && t->op.kind != kind) {
        err = KPROD_ERR__TIMED_OUT;
        snprintf(why, why_size, "an earlier transaction call's operation is still running");
    } else if (t->op.kind == KP_TXN_OP_NONE && (st == KP_TXN_ABORTABLE || st == KP_TXN_FATAL) &&
               kind != KP_TXN_OP_ABORT) {
        /* It failed while this call flushed, or while the earlier one ran. */
        err = st == KP_TXN_FATAL ? refusal(t, KPROD_ERR__FATAL) : KPROD_ERR__TXN_ABORTABLE;
        snprintf(why, why_size, "%s", st == KP_TXN_FATAL ? t->fatal_str : t->fail_why);
    } else if (st == KP_TXN_FATAL && t->op.kind == KP_TXN_OP_NONE) {
        err = refusal(t, KPROD_ERR__FATAL);
        snprintf(why, why_size, "%s", t->fatal_str);
    } else {
        if (t->op.kind == KP_TXN_OP_NONE) {
            t->op.kind = kind;
            t->op.id = ++t->op_seq;
            t->op.offs = offs;
            offs = NULL;
            atomic_store(&t->pending, 1);
            t->d.wake(t->d.wake_opaque);
        }
        while (!t->op.done && !t->closed && kp_cond_wait_until(&t->cv, &t->lock, deadline_ms) == 0)
            ;
        if (t->op.done) {
            err = t->op.err;
            snprintf(why, why_size, "%s", t->op.why);
            op_clear(t);
            pthread_cond_broadcast(&t->cv);
        } else {
            err = t->closed ? KPROD_ERR__CLOSED : KPROD_ERR__TIMED_OUT;
            snprintf(why, why_size, "%s",
                     t->closed ? "the producer is closing" : "the operation goes on: call again");
        }
    }
    pthread_mutex_unlock(&t->lock);
    kp_txn_offsets_free(offs);
    return err;
}

/* ---- state changes from the sender thread ---- */

/* Under lock: the running operation ends. */
static void finish(kp_txn *t, kprod_err_t err, const char *why) {
    if (t->op.kind == KP_TXN_OP_NONE || t->op.done)
        return;
    t->op.done = 1;
    t->op.err = err;
    snprintf(t->op.why, sizeof(t->op.why), "%s", why ? why : "");
    atomic_store(&t->pending, 0);
    pthread_cond_broadcast(&t->cv);
}

void kp_txn__op_done(kp_txn *t, kprod_err_t err, const char *why, kp_txn_state next) {
    pthread_mutex_lock(&t->lock);
    if (kp_txn__state(t) != KP_TXN_FATAL)
        atomic_store(&t->state, (int)next);
    finish(t, err, why);
    pthread_mutex_unlock(&t->lock);
}

void kp_txn__abortable(kp_txn *t, const char *why) {
    pthread_mutex_lock(&t->lock);
    kp_txn_state st = kp_txn__state(t);
    int now_failed = st == KP_TXN_IN_TXN || st == KP_TXN_COMMITTING;
    if (now_failed) {
        snprintf(t->fail_why, sizeof(t->fail_why), "%s", why);
        atomic_store(&t->state, KP_TXN_ABORTABLE);
    }
    /* A running offsets or commit operation fails with it; an abort does
     * not (it is what the failure asks for). */
    if (t->op.kind == KP_TXN_OP_OFFSETS || t->op.kind == KP_TXN_OP_COMMIT)
        finish(t, KPROD_ERR__TXN_ABORTABLE, why);
    pthread_mutex_unlock(&t->lock);
    if (now_failed)
        KP_WARN(&t->d.cfg->log, KP_DBG_TXN, "transaction of '%s' failed, it must be aborted: %s",
                t->d.cfg->transactional_id, why);
}

void kp_txn__fatal(kp_txn *t, kprod_err_t err, const char *why) {
    pthread_mutex_lock(&t->lock);
    int first = kp_txn__state(t) != KP_TXN_FATAL;
    if (first) {
        t->fatal_err = err;
        snprintf(t->fatal_str, sizeof(t->fatal_str), "%s", why);
        atomic_store(&t->state, KP_TXN_FATAL);
    }
    finish(t, t->fatal_err, t->fatal_str);
    pthread_mutex_unlock(&t->lock);
    if (first)
        KP_ERROR(&t->d.cfg->log, KP_DBG_TXN, "transactional producer '%s': fatal error %s: %s",
                 t->d.cfg->transactional_id, kprod_err_name(err), why);
}

void kp_txn_set_fatal(kp_txn *t, kprod_err_t err, const char *why) {
    if (t->enabled)
        kp_txn__fatal(t, err, why);
}

kprod_err_t kp_txn_fatal(const kp_txn *t) {
    return kp_txn__state(t) == KP_TXN_FATAL ? t->fatal_err : KPROD_ERR_NO_ERROR;
}

const char *kp_txn_fatal_str(const kp_txn *t) { return t->fatal_str; }

kprod_err_t kp_txn_fatal_copy(kp_txn *t, char *why, size_t why_size) {
    pthread_mutex_lock(&t->lock);
    kprod_err_t err = kp_txn__state(t) == KP_TXN_FATAL ? t->fatal_err : KPROD_ERR_NO_ERROR;
    if (err && why && why_size)
        snprintf(why, why_size, "%s", t->fatal_str);
    pthread_mutex_unlock(&t->lock);
    return err;
}

void kp_txn_close(kp_txn *t) {
    pthread_mutex_lock(&t->lock);
    t->closed = 1;
    finish(t, KPROD_ERR__CLOSED, "the producer is closing");
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->lock);
}
