/* The public producer API: kprod_new, kprod_send, kprod_poll, kprod_flush,
 * kprod_close. kprod_send runs on the application's threads: it serializes,
 * waits for the topic's partition count if needed, chooses the partition and
 * appends the encoded record to its batch, all under one short lock. The
 * sender thread (sender.c) does every piece of I/O; reports come back here
 * through a queue of completed batches. */
#include "producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "partitioner.h"
#include "protocol/record_batch.h"
#include "serializer.h"

static int64_t wall_clock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

static void *report_thread_main(void *arg);

KPROD_API kprod_err_t kprod_new(kprod_conf_t *conf, kprod_t **out, char *errstr,
                                size_t errstr_size) {
    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (!conf || !out)
        return KPROD_ERR__INVALID_ARG;
    kprod_t *p = calloc(1, sizeof(*p));
    if (!p)
        return KPROD_ERR__NO_MEMORY;
    kprod_err_t err = kp_conf_resolve(conf, &p->cfg, errstr, errstr_size);
    if (err) {
        free(p);
        return err;
    }
    err = kp_acc_init(&p->acc, &p->cfg, kp_sender_wake, p);
    if (err) {
        kp_config_free(&p->cfg);
        free(p);
        return err;
    }
    pthread_mutex_init(&p->rep_lock, NULL);
    kp_cond_init_monotonic(&p->rep_cv);
    p->producer_id = -1;
    p->producer_epoch = -1;
    p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->wake_fd < 0 || kp_sender_start(p) != 0) {
        if (p->wake_fd >= 0)
            close(p->wake_fd);
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "could not start the sender thread");
        kp_acc_destroy(&p->acc);
        kp_config_free(&p->cfg);
        free(p);
        return KPROD_ERR__FAIL;
    }
    if (p->cfg.delivery_thread) {
        if (pthread_create(&p->report_thread, NULL, report_thread_main, p) == 0)
            p->report_thread_running = 1;
    }
    kprod_conf_destroy(conf);
    *out = p;
    return KPROD_ERR_NO_ERROR;
}

/* Waits (lock held) until the topic's partition count is known. */
static kprod_err_t await_partitions_locked(kprod_t *p, kp_topic *t, int64_t deadline_ms) {
    while (t->partition_count <= 0) {
        if (t->unknown_confirmed) {
            /* An earlier send already waited its max.block.ms out and the
             * cluster still says the topic does not exist: fail at once,
             * while the sender keeps asking in case it is created. */
            kp_acc_want_metadata_locked(&p->acc, t);
            return KPROD_ERR__UNKNOWN_TOPIC;
        }
        if (p->acc.closing)
            return KPROD_ERR__CLOSED;
        if (p->fatal_err)
            return KPROD_ERR__FATAL;
        kp_acc_want_metadata_locked(&p->acc, t);
        p->acc.sender_wake_ms = 0;
        kp_sender_wake(p);
        if (kp_cond_wait_until(&p->acc.md_cv, &p->acc.lock, deadline_ms) != 0 &&
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

static int partition_has_leader(int32_t partition, void *opaque) {
    const kp_topic *t = opaque; /* called under acc.lock */
    return t->parts[partition].leader >= 0;
}

/* The exact size a record takes as the only one in a new batch. Only
 * computed for records that may be near the limits: record_size_bound
 * clears the common small record with a few additions. */
static size_t record_wire_size(const kp_append *a) {
    kp_rb_writer probe;
    memset(&probe, 0, sizeof(probe));
    probe.base_ts = a->timestamp_ms;
    return KP_RB_HEADER_SIZE + kp_rb_record_size(&probe, a->timestamp_ms, a->key_len, a->value_len,
                                                 a->headers, a->header_count);
}

/* An upper bound of record_wire_size: every varint at its longest. */
static size_t record_size_bound(const kp_append *a) {
    size_t n = KP_RB_HEADER_SIZE + 5 + 1 + 10 + 5 + 5 + 5 + 5; /* lengths, attributes, deltas */
    n += (a->key_len > 0 ? (size_t)a->key_len : 0) + (a->value_len > 0 ? (size_t)a->value_len : 0);
    for (size_t i = 0; i < a->header_count; i++)
        n += 10 + strlen(a->headers[i].name) + a->headers[i].value_len;
    return n;
}

static kprod_err_t send_serialized(kprod_t *p, const kprod_record_t *rec, const kp_append *a) {
    /* No clock read on the common path: see kp_acc_append_locked. */
    int64_t now = 0, deadline = 0;
    size_t limit = (size_t)p->cfg.max_request_size;
    if ((size_t)p->cfg.buffer_memory < limit)
        limit = (size_t)p->cfg.buffer_memory;
    if (record_size_bound(a) > limit && record_wire_size(a) > limit)
        return KPROD_ERR__MSG_SIZE_TOO_LARGE;

    pthread_mutex_lock(&p->acc.lock);
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    kp_topic *t = NULL;
    if (p->fatal_err)
        err = KPROD_ERR__FATAL;
    else if (p->acc.closing)
        err = KPROD_ERR__CLOSED;
    else if (!(t = kp_acc_topic_locked(&p->acc, rec->topic, 0))) {
        /* A topic seen before is valid: its name is checked once, here. */
        if (!topic_name_valid(rec->topic))
            err = KPROD_ERR__INVALID_TOPIC;
        else if (!(t = kp_acc_topic_locked(&p->acc, rec->topic, 1)))
            err = KPROD_ERR__NO_MEMORY;
    }
    int md_wait = t && t->partition_count <= 0;
    if (md_wait)
        deadline = kp_now_ms() + p->cfg.max_block_ms; /* covers the whole send */
    if (!err && md_wait)
        err = await_partitions_locked(p, t, deadline);
    /* Fix: after a wait for metadata (up to max.block.ms) `now` is stale; a
     * batch made with it lost that much of its delivery.timeout.ms. */
    if (md_wait)
        now = kp_now_ms();
    int32_t partition = -1;
    kp_part_source source = KP_PART_EXPLICIT;
    if (!err) {
        kp_part_input in = {
            .topic = rec->topic,
            .explicit_partition = rec->partition,
            .key = a->key,
            .key_len = a->key_len,
            .partition_count = t->partition_count,
            .ignore_keys = p->cfg.partitioner_ignore_keys,
            .user_cb = p->cfg.partitioner_cb,
            .user_opaque = p->cfg.partitioner_opaque,
            .sticky = &t->sticky,
            .avail = partition_has_leader,
            .avail_opaque = t,
        };
        err = kp_partition_choose(&in, &partition, &source);
    }
    size_t appended = 0;
    int wake = 0;
    if (!err)
        err = kp_acc_append_locked(&p->acc, t, partition, a, now, deadline, &appended, &wake);
    if (!err) {
        atomic_fetch_add(&p->outstanding, 1);
        if (source == KP_PART_STICKY) {
            const kp_partq *q = &t->parts[partition];
            int may_switch = q->tail == NULL || q->tail->closed || q->head != q->tail;
            kp_sticky_note_append(&t->sticky, partition, appended, p->cfg.batch_size, may_switch,
                                  t->partition_count, partition_has_leader, t);
        }
    }
    pthread_mutex_unlock(&p->acc.lock);
    if (wake)
        kp_sender_wake(p);
    return err;
}

KPROD_API kprod_err_t kprod_send(kprod_t *p, const kprod_record_t *rec, kprod_delivery_cb cb,
                                 void *opaque) {
    if (!p || !rec || !rec->topic)
        return KPROD_ERR__INVALID_ARG;
    for (size_t i = 0; i < rec->header_count; i++)
        if (!rec->headers[i].name)
            return KPROD_ERR__INVALID_ARG;

    /* Counted until the last touch of p: kprod_close waits for it to drop
     * to 0 before freeing p. */
    atomic_fetch_add(&p->active_sends, 1);
    kp_ser_scratch ks, vs;
    kp_ser_scratch_init(&ks);
    kp_ser_scratch_init(&vs);
    kp_append a = {
        .timestamp_ms = rec->timestamp_ms ? rec->timestamp_ms : wall_clock_ms(),
        .headers = rec->headers,
        .header_count = rec->header_count,
        .cb = cb,
        .opaque = opaque,
    };
    kprod_err_t err = kp_serialize((kp_ser_kind)p->cfg.key_serializer, p->cfg.key_serializer_cb,
                                   p->cfg.key_serializer_opaque, rec->topic, rec->key, rec->key_len,
                                   &ks, &a.key, &a.key_len);
    if (!err)
        err = kp_serialize((kp_ser_kind)p->cfg.value_serializer, p->cfg.value_serializer_cb,
                           p->cfg.value_serializer_opaque, rec->topic, rec->value, rec->value_len,
                           &vs, &a.value, &a.value_len);
    if (!err)
        err = send_serialized(p, rec, &a);
    kp_ser_scratch_free(&ks);
    kp_ser_scratch_free(&vs);
    if (!err && (rec->flags & KPROD_F_FREE)) {
        free((void *)rec->key);
        free((void *)rec->value);
    }
    atomic_fetch_sub(&p->active_sends, 1);
    return err;
}

/* ---- delivery reports ---- */

void kp_report_batch(kprod_t *p, kp_batch *b) {
    kp_acc_release_buffer_locked(&p->acc, b);
    kp_queue_reports(p, &b, 1);
}

void kp_queue_reports(kprod_t *p, kp_batch *const *batches, int n) {
    if (n <= 0)
        return;
    for (int i = 0; i < n; i++)
        batches[i]->next = i + 1 < n ? batches[i + 1] : NULL;
    pthread_mutex_lock(&p->rep_lock);
    /* Waiters only wait on an empty queue: wake them when it stops being
     * empty, not once per batch. */
    int was_empty = p->rep_tail == NULL;
    if (was_empty)
        p->rep_head = batches[0];
    else
        p->rep_tail->next = batches[0];
    p->rep_tail = batches[n - 1];
    if (was_empty)
        atomic_store(&p->rep_pending, 1);
    pthread_mutex_unlock(&p->rep_lock);
    /* After the unlock: a waiter woken while rep_lock was still held only
     * went back to sleep on the mutex (two more futex calls a batch). */
    if (was_empty)
        pthread_cond_broadcast(&p->rep_cv);
}

/* Runs the callbacks of a list of completed batches, then frees them. */
static int serve_batches(kprod_t *p, kp_batch *list) {
    int served = 0;
    for (kp_batch *b = list; b; b = b->next) {
        kprod_report_t r;
        memset(&r, 0, sizeof(r));
        r.err = b->err;
        r.topic = b->topic->name;
        r.partition = b->partition;
        r.possibly_persisted = b->err ? b->possibly_persisted : 0;
        for (int32_t i = 0; i < b->w.count; i++) {
            const kp_recmeta *m = &b->meta[i];
            r.offset = !b->err && b->base_offset >= 0 ? b->base_offset + i : -1;
            r.timestamp_ms = b->log_append_time >= 0 ? b->log_append_time : m->timestamp_ms;
            r.opaque = m->opaque;
            kprod_delivery_cb cb = m->cb ? m->cb : p->cfg.delivery_cb;
            if (cb)
                cb(&r, p->cfg.delivery_cb_opaque);
        }
        served += b->w.count;
        if (b->err == KPROD_ERR__PURGED_ON_CLOSE)
            atomic_fetch_add(&p->purged, (size_t)b->w.count);
        /* outstanding drops before the release wakes a flush waiter, so
         * kprod_outstanding() is 0 once a flush of everything returns. */
        atomic_fetch_sub(&p->outstanding, (size_t)b->w.count);
    }
    /* One lock for the whole list: the application's kprod_send contends
     * for this lock, and once per batch was a measurable share of its cost. */
    if (list) {
        pthread_mutex_lock(&p->acc.lock);
        for (kp_batch *b = list; b; b = b->next)
            kp_acc_release_locked(&p->acc, b);
        pthread_mutex_unlock(&p->acc.lock);
    }
    while (list) {
        kp_batch *next = list->next;
        kp_batch_free(list);
        list = next;
    }
    return served;
}

/* Takes every queued completed batch, waiting until deadline for one. The
 * report thread (until_stop) also returns when kprod_close tells it to.
 *
 * Fix: stop == 2 was looked at only after a wait. Set (and broadcast) just
 * after the report thread's own check and before it took rep_lock, it was
 * missed and kprod_close waited for ever to join the thread. It is checked
 * under rep_lock, before each wait, now. The report thread no longer reads
 * report_thread_running, which kprod_new writes after starting it. */
static kp_batch *take_reports(kprod_t *p, int64_t deadline_ms, int until_stop) {
    /* kprod_poll(p, 0) after every send is the common poll-mode loop: with
     * nothing queued it returns without touching the lock. */
    if (!atomic_load(&p->rep_pending) && deadline_ms != INT64_MAX && kp_now_ms() >= deadline_ms)
        return NULL;
    pthread_mutex_lock(&p->rep_lock);
    while (!p->rep_head && !(until_stop && atomic_load(&p->stop) == 2)) {
        /* kprod_poll(p, 0) with nothing ready: no wait at all (a wait with
         * an expired deadline still costs a futex round trip). */
        if (deadline_ms != INT64_MAX && kp_now_ms() >= deadline_ms)
            break;
        if (kp_cond_wait_until(&p->rep_cv, &p->rep_lock, deadline_ms) != 0)
            break;
    }
    kp_batch *b = p->rep_head;
    p->rep_head = p->rep_tail = NULL;
    atomic_store(&p->rep_pending, 0);
    pthread_mutex_unlock(&p->rep_lock);
    return b;
}

static void *report_thread_main(void *arg) {
    kprod_t *p = arg;
    while (atomic_load(&p->stop) != 2) {
        kp_batch *b = take_reports(p, INT64_MAX, 1);
        serve_batches(p, b);
    }
    return NULL;
}

KPROD_API int kprod_poll(kprod_t *p, int timeout_ms) {
    if (!p)
        return 0;
    if (timeout_ms == 0 && !atomic_load(&p->rep_pending))
        return 0; /* the common "anything ready?" call: no clock, no lock */
    int64_t deadline = kp_deadline(timeout_ms);
    if (p->report_thread_running) {
        /* Reports are served elsewhere: just wait, as the caller asked. */
        pthread_mutex_lock(&p->acc.lock);
        kp_cond_wait_until(&p->acc.done_cv, &p->acc.lock, deadline);
        pthread_mutex_unlock(&p->acc.lock);
        return 0;
    }
    return serve_batches(p, take_reports(p, deadline, 0));
}

KPROD_API size_t kprod_outstanding(kprod_t *p) { return p ? atomic_load(&p->outstanding) : 0; }

KPROD_API kprod_err_t kprod_flush(kprod_t *p, int timeout_ms) {
    if (!p)
        return KPROD_ERR__INVALID_ARG;
    int64_t deadline = kp_deadline(timeout_ms);
    pthread_mutex_lock(&p->acc.lock);
    uint64_t epoch = kp_acc_begin_flush_locked(&p->acc);
    pthread_mutex_unlock(&p->acc.lock);
    for (;;) {
        pthread_mutex_lock(&p->acc.lock);
        int done = kp_acc_flush_done_locked(&p->acc, epoch);
        if (!done && p->report_thread_running) {
            kp_cond_wait_until(&p->acc.done_cv, &p->acc.lock, deadline);
            done = kp_acc_flush_done_locked(&p->acc, epoch);
        }
        pthread_mutex_unlock(&p->acc.lock);
        if (done)
            return KPROD_ERR_NO_ERROR;
        if (kp_now_ms() >= deadline)
            return KPROD_ERR__FLUSH_TIMED_OUT;
        if (!p->report_thread_running) {
            /* Another thread may serve the reports we wait for, so wake up
             * now and then to look, not only when a report comes to us. */
            int64_t slice = kp_now_ms() + 50;
            serve_batches(p, take_reports(p, slice < deadline ? slice : deadline, 0));
        }
    }
}

KPROD_API kprod_err_t kprod_fatal_error(kprod_t *p, char *errstr, size_t errstr_size) {
    if (!p)
        return KPROD_ERR__INVALID_ARG;
    pthread_mutex_lock(&p->acc.lock);
    kprod_err_t err = p->fatal_err;
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", err ? p->fatal_str : "");
    pthread_mutex_unlock(&p->acc.lock);
    return err;
}

KPROD_API kprod_err_t kprod_close(kprod_t *p, int timeout_ms) {
    if (!p)
        return KPROD_ERR__INVALID_ARG;
    kprod_err_t err = kprod_flush(p, timeout_ms);
    /* stop = 1: the sender fails whatever is left with _PURGED_ON_CLOSE and
     * exits; then the report thread (if any) is told to finish (stop = 2). */
    pthread_mutex_lock(&p->acc.lock);
    p->acc.closing = 1;
    pthread_cond_broadcast(&p->acc.space_cv);
    pthread_cond_broadcast(&p->acc.md_cv);
    pthread_mutex_unlock(&p->acc.lock);
    /* Fix: threads blocked in kprod_send (buffer.memory, metadata) are
     * woken above and return _CLOSED, but they still had to take acc.lock
     * and return while p was being freed below; one in a serializer had
     * not even reached the lock. Wait until every kprod_send has left: no
     * new one can block now (closing is set), so this is short. */
    while (atomic_load(&p->active_sends) > 0) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&p->stop, 1);
    kp_sender_wake(p);
    pthread_join(p->sender, NULL);
    if (p->report_thread_running) {
        pthread_mutex_lock(&p->rep_lock);
        atomic_store(&p->stop, 2);
        pthread_cond_broadcast(&p->rep_cv);
        pthread_mutex_unlock(&p->rep_lock);
        pthread_join(p->report_thread, NULL);
        p->report_thread_running = 0;
    }
    /* Whatever is left is served here, on the caller's thread. */
    serve_batches(p, take_reports(p, 0, 0));
    close(p->wake_fd);
    kp_acc_destroy(&p->acc);
    pthread_mutex_destroy(&p->rep_lock);
    pthread_cond_destroy(&p->rep_cv);
    kp_config_free(&p->cfg);
    /* _FLUSH_TIMED_OUT only when records really had to be purged: the
     * flush may time out and the records still be delivered before the
     * purge (they were made ready by it). */
    size_t purged = atomic_load(&p->purged);
    free(p);
    (void)err;
    return purged ? KPROD_ERR__FLUSH_TIMED_OUT : KPROD_ERR_NO_ERROR;
}
