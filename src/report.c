/* The delivery-report queue (see report.h). */
#include "report.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* A producer-wide event waiting for its callback: an error (err set) or
 * a statistics document (stats set). */
typedef struct kp_event {
    struct kp_event *next;
    kprod_err_t err;
    char *stats; /* malloc'd JSON, or NULL */
    char text[];
} kp_event;

struct kp_reports {
    const kp_config *cfg;
    kp_acc *acc;
    pthread_mutex_t lock;
    pthread_cond_t cv;           /* the queue stopped being empty, or stop */
    kp_batch *head, *tail;       /* under lock */
    kp_event *ev_head, *ev_tail; /* under lock */
    atomic_int pending;          /* head or ev_head != NULL, readable without the lock */
    atomic_size_t outstanding;   /* records accepted, not yet reported */
    atomic_size_t purged;        /* records reported _PURGED_ON_CLOSE */
    pthread_t thread;
    int thread_running;
    int stop; /* under lock: the report thread ends */
};

kp_reports *kp_reports_new(const kp_config *cfg, kp_acc *acc) {
    kp_reports *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cfg = cfg;
    r->acc = acc;
    pthread_mutex_init(&r->lock, NULL);
    kp_cond_init_monotonic(&r->cv);
    return r;
}

void kp_reports_accepted(kp_reports *r) { atomic_fetch_add(&r->outstanding, 1); }
void kp_reports_unaccepted(kp_reports *r) { atomic_fetch_sub(&r->outstanding, 1); }
size_t kp_reports_outstanding(const kp_reports *r) { return atomic_load(&r->outstanding); }
size_t kp_reports_purged(const kp_reports *r) { return atomic_load(&r->purged); }
int kp_reports_pending(const kp_reports *r) { return atomic_load(&r->pending); }
int kp_reports_threaded(const kp_reports *r) { return r->thread_running; }

void kp_reports_push(kp_reports *r, kp_batch *const *batches, int n) {
    if (n <= 0)
        return;
    for (int i = 0; i < n; i++)
        batches[i]->next = i + 1 < n ? batches[i + 1] : NULL;
    pthread_mutex_lock(&r->lock);
    /* Waiters only wait on an empty queue: wake them when it stops being
     * empty, not once per batch. */
    int no_batches = r->tail == NULL;
    int was_empty = no_batches && !r->ev_head; /* events alone set pending too */
    if (no_batches)
        r->head = batches[0];
    else
        r->tail->next = batches[0];
    r->tail = batches[n - 1];
    if (was_empty)
        atomic_store(&r->pending, 1);
    pthread_mutex_unlock(&r->lock);
    /* After the unlock: a waiter woken while the lock was still held only
     * went back to sleep on the mutex (two more futex calls a batch). */
    if (was_empty)
        pthread_cond_broadcast(&r->cv);
}

static void queue_event(kp_reports *r, kp_event *e) {
    pthread_mutex_lock(&r->lock);
    int was_empty = !r->head && !r->ev_head;
    if (r->ev_tail)
        r->ev_tail->next = e;
    else
        r->ev_head = e;
    r->ev_tail = e;
    atomic_store(&r->pending, 1);
    pthread_mutex_unlock(&r->lock);
    if (was_empty)
        pthread_cond_broadcast(&r->cv);
}

void kp_reports_push_event(kp_reports *r, kprod_err_t err, const char *text) {
    if (!r->cfg->error_cb)
        return;
    size_t n = strlen(text) + 1;
    kp_event *e = malloc(sizeof(*e) + n);
    if (!e)
        return; /* it was logged */
    e->next = NULL;
    e->err = err;
    e->stats = NULL;
    memcpy(e->text, text, n);
    queue_event(r, e);
}

void kp_reports_push_stats(kp_reports *r, char *json) {
    kp_event *e = r->cfg->stats_cb ? malloc(sizeof(*e) + 1) : NULL;
    if (!e) {
        free(json);
        return;
    }
    e->next = NULL;
    e->err = KPROD_ERR_NO_ERROR;
    e->stats = json;
    e->text[0] = '\0';
    queue_event(r, e);
}

/* The report queues whose callbacks this thread is running, innermost
 * first: one frame (on the serving stack) per serve_list that runs them. */
typedef struct cb_frame {
    const kp_reports *r;
    const struct cb_frame *up;
} cb_frame;
static _Thread_local const cb_frame *tl_frames;

int kp_reports_in_callback(const kp_reports *r) {
    for (const cb_frame *f = tl_frames; f; f = f->up)
        if (!r || f->r == r)
            return 1;
    return 0;
}

/* Runs the callbacks of a list of completed batches, then frees them. */
static int serve_list(kp_reports *r, kp_batch *list, kp_event *events) {
    int served = 0;
    if (!list && !events)
        return 0;
    /* Marks this thread as inside r's callbacks until they have all run. */
    cb_frame frame = {r, tl_frames};
    tl_frames = &frame;
    while (events) {
        kp_event *next = events->next;
        if (events->stats)
            r->cfg->stats_cb(events->stats, strlen(events->stats), r->cfg->stats_opaque);
        else
            r->cfg->error_cb(events->err, events->text, r->cfg->error_opaque);
        free(events->stats);
        free(events);
        events = next;
    }
    for (kp_batch *b = list; b; b = b->next) {
        kprod_report_t rep;
        memset(&rep, 0, sizeof(rep));
        rep.err = b->err;
        rep.topic = b->topic_name;
        rep.partition = b->partition;
        rep.possibly_persisted = b->err ? b->possibly_persisted : 0;
        rep.errstr = !b->err ? NULL : b->errstr ? b->errstr : kprod_err_str(b->err);
        for (int32_t i = 0; i < b->w.count; i++) {
            const kp_recmeta *m = &b->meta[i];
            rep.offset = !b->err && b->base_offset >= 0 ? b->base_offset + i : -1;
            rep.timestamp_ms = b->log_append_time >= 0 ? b->log_append_time : m->timestamp_ms;
            rep.opaque = m->opaque;
            kprod_delivery_cb cb = m->cb ? m->cb : r->cfg->delivery_cb;
            if (cb)
                cb(&rep, r->cfg->delivery_cb_opaque);
        }
        served += b->w.count;
        if (b->err == KPROD_ERR__PURGED_ON_CLOSE)
            atomic_fetch_add(&r->purged, (size_t)b->w.count);
        /* outstanding drops before the release wakes a flush waiter, so
         * kprod_outstanding() is 0 once a flush of everything returns. */
        atomic_fetch_sub(&r->outstanding, (size_t)b->w.count);
    }
    tl_frames = frame.up;
    if (!list)
        return 0;
    kp_acc_release_served(r->acc, list);
    while (list) {
        kp_batch *next = list->next;
        kp_batch_free(list);
        list = next;
    }
    return served;
}

/* Takes every queued batch, waiting until deadline for one (the report
 * thread, until_stop, also returns once stop is set: looked at under the
 * lock before each wait, so a stop set at any time is seen). */
static kp_batch *take(kp_reports *r, int64_t deadline_ms, int until_stop, kp_event **events) {
    *events = NULL;
    /* kprod_poll(p, 0) after every send is the common poll-mode loop: with
     * nothing queued it returns without touching the lock. */
    if (!atomic_load(&r->pending) && deadline_ms != INT64_MAX && kp_now_ms() >= deadline_ms)
        return NULL;
    pthread_mutex_lock(&r->lock);
    while (!r->head && !r->ev_head && !(until_stop && r->stop)) {
        if (deadline_ms != INT64_MAX && kp_now_ms() >= deadline_ms)
            break;
        if (kp_cond_wait_until(&r->cv, &r->lock, deadline_ms) != 0)
            break;
    }
    kp_batch *b = r->head;
    r->head = r->tail = NULL;
    *events = r->ev_head;
    r->ev_head = r->ev_tail = NULL;
    atomic_store(&r->pending, 0);
    pthread_mutex_unlock(&r->lock);
    return b;
}

/* Takes what is queued (see take) and serves it. */
static int take_and_serve(kp_reports *r, int64_t deadline_ms, int until_stop) {
    kp_event *events;
    kp_batch *list = take(r, deadline_ms, until_stop, &events);
    return serve_list(r, list, events);
}

int kp_reports_serve(kp_reports *r, int64_t deadline_ms) {
    return take_and_serve(r, deadline_ms, 0);
}

static void *thread_main(void *arg) {
    kp_reports *r = arg;
    for (;;) {
        take_and_serve(r, INT64_MAX, 1);
        pthread_mutex_lock(&r->lock);
        int stop = r->stop && !r->head && !r->ev_head;
        pthread_mutex_unlock(&r->lock);
        if (stop)
            return NULL;
    }
}

kprod_err_t kp_reports_start_thread(kp_reports *r) {
    if (pthread_create(&r->thread, NULL, thread_main, r) != 0)
        return KPROD_ERR__FAIL;
    r->thread_running = 1;
    return KPROD_ERR_NO_ERROR;
}

void kp_reports_stop(kp_reports *r) {
    if (r->thread_running) {
        pthread_mutex_lock(&r->lock);
        r->stop = 1;
        pthread_mutex_unlock(&r->lock);
        pthread_cond_broadcast(&r->cv);
        pthread_join(r->thread, NULL);
        r->thread_running = 0;
    }
    /* Whatever is left is served here, on the caller's thread. */
    take_and_serve(r, 0, 0);
}

void kp_reports_free(kp_reports *r) {
    if (!r)
        return;
    kp_reports_stop(r);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cv);
    free(r);
}
