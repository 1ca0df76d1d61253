/* The public producer API: kprod_new, kprod_send, kprod_poll, kprod_flush,
 * kprod_interrupt, kprod_close. kprod_send runs on the application's
 * threads: it serializes key and value, then the accumulator chooses the
 * partition and appends the encoded record under its one short lock. The
 * sender thread does every piece of I/O; reports come back through the
 * report queue. */
#include "producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "errdetail.h"
#include "serializer.h"

static int64_t wall_clock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What resolving the configuration changed behind the user's back
 * (idempotence turned off by acks=1, ...): Java logs these as warnings. */
static void log_notes(const kp_config *cfg) {
    for (const char *s = cfg->notes; s && *s;) {
        size_t n = strcspn(s, "\n");
        KP_WARN(&cfg->log, KP_DBG_CONF, "%.*s", (int)n, s);
        s += n + (s[n] == '\n');
    }
}

static void producer_free(kprod_t *p) {
    kp_sender_stop(p->sender);
    kp_reports_free(p->reports);
    kp_acc_free(p->acc);
    kp_config_free(&p->cfg);
    free(p);
}

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
    log_notes(&p->cfg);
    p->acc = kp_acc_new(&p->cfg);
    p->reports = p->acc ? kp_reports_new(&p->cfg, p->acc) : NULL;
    char why[512] = "";
    p->sender = p->reports ? kp_sender_new(&p->cfg, p->acc, p->reports, why, sizeof(why)) : NULL;
    if (!p->sender) {
        producer_free(p);
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s", why[0] ? why : "out of memory");
        /* TLS files and stores are read here: their errors are the config's */
        return why[0] ? KPROD_ERR__SSL : KPROD_ERR__NO_MEMORY;
    }
    if (kp_txn_enabled(kp_sender_txn(p->sender)))
        p->txn = kp_sender_txn(p->sender);
    if (kp_sender_start(p->sender) != 0 ||
        (p->cfg.delivery_thread && kp_reports_start_thread(p->reports) != 0)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "could not start the sender or report thread");
        producer_free(p);
        return KPROD_ERR__FAIL;
    }
    kprod_conf_destroy(conf);
    *out = p;
    return KPROD_ERR_NO_ERROR;
}

/* A NULL pointer with a length is refused before a built-in serializer sees
 * it (NULL is the null key or value, whose length is 0); a user serializer
 * gets both as they are. */
static int null_with_length(kp_ser_kind kind, const void *obj, size_t len) {
    return kind != KP_SER_USER && !obj && len > 0;
}

/* The caller's record, checked before anything else (kprod_send's
 * _INVALID_ARG): nothing here may be read out of bounds or through NULL. */
static int record_valid(const kprod_t *p, const kprod_record_t *rec) {
    if (!rec->topic)
        return kp_errdetail_set("the record's topic is NULL"), 0;
    /* Java: "Invalid timestamp: -1. Timestamp should always be non-negative
     * or null". One such record would fail its whole batch at the broker
     * (INVALID_TIMESTAMP). */
    if (rec->timestamp_ms < 0)
        return kp_errdetail_set("timestamp_ms %lld is negative (0 means now)",
                                (long long)rec->timestamp_ms),
               0;
    if (null_with_length(p->cfg.key_serializer, rec->key, rec->key_len) ||
        null_with_length(p->cfg.value_serializer, rec->value, rec->value_len))
        return kp_errdetail_set("a NULL key or value with a length above 0 (NULL is the null "
                                "key or value: its length must be 0)"),
               0;
    if (rec->header_count > 0 && !rec->headers)
        return kp_errdetail_set("headers is NULL with header_count %zu", rec->header_count), 0;
    for (size_t i = 0; i < rec->header_count; i++) {
        const kprod_header_t *h = &rec->headers[i];
        if (!h->name || (!h->value && h->value_len > 0))
            return kp_errdetail_set("header %zu has a NULL name, or a NULL value with a "
                                    "length above 0",
                                    i),
                   0;
    }
    return 1;
}

KPROD_API kprod_err_t kprod_send(kprod_t *p, const kprod_record_t *rec, kprod_delivery_cb cb,
                                 void *opaque) {
    if (!p || !rec) {
        kp_errdetail_set("kprod_send: %s is NULL", p ? "the record" : "the producer");
        return KPROD_ERR__INVALID_ARG;
    }
    if (!record_valid(p, rec))
        return KPROD_ERR__INVALID_ARG;

    /* A transactional producer takes records only inside a transaction
     * (and holds a commit back until this one is appended). */
    if (p->txn) {
        kprod_err_t g = kp_txn_send_enter(p->txn);
        if (g) {
            kp_errdetail_set("%s", g == KPROD_ERR__STATE
                                       ? "no transaction is open: kprod_txn_begin first (a "
                                         "transactional producer sends records only in one)"
                                   : g == KPROD_ERR__TXN_ABORTABLE
                                       ? "the open transaction failed: kprod_txn_abort it"
                                       : kprod_err_str(g));
            return g;
        }
    }
    /* Counted until the last touch of p: kprod_close waits for it to drop
     * to 0 before freeing p. */
    atomic_fetch_add(&p->active_sends, 1);
    kp_ser_scratch ks, vs;
    kp_ser_scratch_init(&ks);
    kp_ser_scratch_init(&vs);
    kp_append a = {
        .topic = rec->topic,
        .partition = rec->partition,
        .timestamp_ms = rec->timestamp_ms ? rec->timestamp_ms : wall_clock_ms(),
        .headers = rec->headers,
        .header_count = rec->header_count,
        .cb = cb,
        .opaque = opaque,
    };
    kprod_err_t err =
        kp_serialize(p->cfg.key_serializer, p->cfg.key_serializer_cb, p->cfg.key_serializer_opaque,
                     rec->topic, rec->key, rec->key_len, &ks, &a.key, &a.key_len);
    const kp_ser_scratch *failed = err ? &ks : &vs;
    if (!err)
        err = kp_serialize(p->cfg.value_serializer, p->cfg.value_serializer_cb,
                           p->cfg.value_serializer_opaque, rec->topic, rec->value, rec->value_len,
                           &vs, &a.value, &a.value_len);
    if (err)
        kp_errdetail_set("the %s serializer failed for topic '%.255s': %s",
                         failed == &ks ? "key" : "value", rec->topic, kp_ser_errstr(failed));
    if (!err) {
        /* Counted before the append: its report may be served at once. */
        kp_reports_accepted(p->reports);
        err = kp_acc_append(p->acc, &a);
        if (err)
            kp_reports_unaccepted(p->reports);
    }
    kp_ser_scratch_free(&ks);
    kp_ser_scratch_free(&vs);
    if (!err && (rec->flags & KPROD_F_FREE)) {
        free((void *)rec->key);
        free((void *)rec->value);
    }
    if (p->txn)
        kp_txn_send_leave(p->txn);
    atomic_fetch_sub(&p->active_sends, 1);
    return err;
}

KPROD_API int kprod_poll(kprod_t *p, int timeout_ms) {
    if (!p)
        return 0;
    /* Inside one of p's callbacks it would serve later reports ahead of the
     * current ones, or (thread mode) wait on the thread it runs on. */
    if (kp_reports_in_callback(p->reports))
        return KPROD_ERR__IN_CALLBACK;
    if (timeout_ms == 0 && !kp_reports_pending(p->reports))
        return 0; /* the common "anything ready?" call: no clock, no lock */
    int64_t deadline = kp_deadline(timeout_ms);
    if (kp_reports_threaded(p->reports)) {
        /* Reports are served elsewhere: just wait, as the caller asked. */
        kp_acc_wait_progress(p->acc, deadline);
        return 0;
    }
    return kp_reports_serve(p->reports, deadline);
}

KPROD_API size_t kprod_outstanding(kprod_t *p) {
    return p ? kp_reports_outstanding(p->reports) : 0;
}

KPROD_API kprod_err_t kprod_flush(kprod_t *p, int timeout_ms) {
    if (!p)
        return KPROD_ERR__INVALID_ARG;
    /* Inside one of p's callbacks it would wait for reports that cannot be
     * served before that callback returns: a deadlock with timeout -1. */
    if (kp_reports_in_callback(p->reports))
        return KPROD_ERR__IN_CALLBACK;
    return kp_producer_flush(p, kp_deadline(timeout_ms));
}

kprod_err_t kp_producer_flush(kprod_t *p, int64_t deadline) {
    uint64_t epoch = kp_acc_begin_flush(p->acc);
    int threaded = kp_reports_threaded(p->reports);
    for (;;) {
        if (kp_acc_flushed(p->acc, epoch, threaded ? deadline : 0))
            return KPROD_ERR_NO_ERROR;
        if (kp_now_ms() >= deadline)
            return KPROD_ERR__FLUSH_TIMED_OUT;
        if (!threaded) {
            /* Another thread may serve the reports we wait for, so look
             * now and then, not only when a report comes to us. */
            int64_t slice = kp_now_ms() + 50;
            kp_reports_serve(p->reports, slice < deadline ? slice : deadline);
        }
    }
}

KPROD_API kprod_err_t kprod_interrupt(kprod_t *p) {
    if (!p)
        return KPROD_ERR__INVALID_ARG;
    /* Counted like a send: a thread that got _INTERRUPTED may call
     * kprod_close at once, and close must not free p before this call has
     * left the accumulator. */
    atomic_fetch_add(&p->active_sends, 1);
    kp_acc_interrupt(p->acc);
    atomic_fetch_sub(&p->active_sends, 1);
    return KPROD_ERR_NO_ERROR;
}

KPROD_API kprod_err_t kprod_fatal_error(kprod_t *p, char *errstr, size_t errstr_size) {
    if (!p)
        return KPROD_ERR__INVALID_ARG;
    return kp_sender_fatal(p->sender, errstr, errstr_size);
}

KPROD_API kprod_err_t kprod_close(kprod_t *p, int timeout_ms) {
    if (!p)
        return KPROD_ERR__INVALID_ARG;
    /* Refused before anything is touched: p stays usable. (Inside one of
     * p's callbacks the close would wait for that callback, and free p
     * under it.) */
    if (kp_reports_in_callback(p->reports))
        return KPROD_ERR__IN_CALLBACK;
    kprod_flush(p, timeout_ms);
    /* Sends blocked on memory or metadata wake up with _CLOSED, and no new
     * one can block; every batch is now ready. */
    kp_acc_shut(p->acc, KPROD_ERR__CLOSED);
    /* p is freed below: wait until every kprod_send has left (short: none
     * can block any more). */
    while (atomic_load(&p->active_sends) > 0) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    /* The sender fails whatever is left with _PURGED_ON_CLOSE and ends;
     * then the report thread ends and the rest is served here. */
    kp_sender_stop(p->sender);
    p->sender = NULL;
    kp_reports_stop(p->reports);
    /* _FLUSH_TIMED_OUT only when records really had to be purged: the
     * flush may time out and the records still be delivered before the
     * purge (they were made ready by it). */
    size_t purged = kp_reports_purged(p->reports);
    producer_free(p);
    return purged ? KPROD_ERR__FLUSH_TIMED_OUT : KPROD_ERR_NO_ERROR;
}
