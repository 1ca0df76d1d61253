/* The sender thread's loop (see sender.h). */
#include "sender/sender.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "sender/auth.h"
#include "sender/idempotence.h"
#include "sender/metadata.h"
#include "sender/parts.h"
#include "sender/produce.h"
#include "sender/recovery.h"
#include "sender/request.h"
#include "sender/stats.h"
#include "sender/txn.h"

struct kp_sender {
    const kp_config *cfg;
    kp_acc *acc;
    kp_reports *reports;
    kp_rl *rl;
    kp_auth *auth;             /* SASL */
    char security_logged[512]; /* the security failure last logged as an error */
    kp_parts parts;
    kp_idem idem;
    kp_md *md;
    kp_recov *recov;
    kp_produce *pc;
    kp_txn *txn;
    kp_sc *sc;
    pthread_t thread;
    int started;
    int wake_fd;     /* eventfd: application -> sender */
    atomic_int stop; /* set by kp_sender_stop */
    atomic_ulong turns;
    /* the fatal error, published for kprod_fatal_error */
    pthread_mutex_t fatal_lock;
    kprod_err_t fatal_err;
    char fatal_str[256];
    char fatal_why[320]; /* the failed records' text; sender thread only */
    int all_down;        /* every broker was down at the last look */
};

void kp_sender_wake(void *arg) {
    kp_sender *s = arg;
    uint64_t one = 1;
    ssize_t rc = write(s->wake_fd, &one, sizeof(one));
    (void)rc; /* EAGAIN means a wake-up is already pending */
}

static void destroy(kp_sender *s) {
    kp_sc_free(s->sc);
    kp_produce_free(s->pc);
    kp_txn_free(s->txn);
    kp_md_free(s->md);
    kp_auth_free(s->auth);
    kp_rl_free(s->rl);
    kp_recov_free(s->recov); /* after the layer: no request of a read is out */
    kp_parts_free(&s->parts);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    pthread_mutex_destroy(&s->fatal_lock);
    free(s);
}

kp_sender *kp_sender_new(const kp_config *cfg, kp_acc *acc, kp_reports *reports, char *errstr,
                         size_t errstr_size) {
    kp_sender *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->acc = acc;
    s->reports = reports;
    pthread_mutex_init(&s->fatal_lock, NULL);
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->rl = kp_rl_new(cfg, errstr, errstr_size);
    if (s->rl)
        kp_idem_init(&s->idem, cfg, s->rl);
    if (s->rl && cfg->sasl_enabled && !(s->auth = kp_auth_new(cfg, s->rl))) {
        destroy(s);
        return NULL;
    }
    s->md = s->rl ? kp_md_new(cfg, s->rl, acc, &s->parts, kp_sender_wake, s) : NULL;
    kp_recov_deps rd = {.cfg = cfg, .rl = s->rl, .parts = &s->parts, .md = s->md};
    s->recov = s->md ? kp_recov_new(&rd) : NULL;
    kp_txn_deps td = {
        .cfg = cfg,
        .rl = s->rl,
        .idem = &s->idem,
        .parts = &s->parts,
        .wake = kp_sender_wake,
        .wake_opaque = s,
    };
    s->txn = s->md ? kp_txn_new(&td) : NULL;
    kp_produce_deps deps = {
        .cfg = cfg,
        .acc = acc,
        .reports = reports,
        .rl = s->rl,
        .parts = &s->parts,
        .idem = &s->idem,
        .md = s->md,
        .recov = s->recov,
        .txn = s->txn,
    };
    s->pc = s->recov && s->txn ? kp_produce_new(&deps) : NULL;
    kp_sc_deps sd = {
        .cfg = cfg,
        .rl = s->rl,
        .parts = &s->parts,
        .acc = acc,
        .idem = &s->idem,
        .recov = s->recov,
        .txn = s->txn,
        .reports = reports,
        .wake = kp_sender_wake,
        .wake_opaque = s,
    };
    s->sc = s->pc ? kp_sc_new(&sd) : NULL;
    if (s->wake_fd < 0 || !s->sc) {
        destroy(s);
        return NULL;
    }
    kp_acc_set_waker(acc, kp_sender_wake, s);
    return s;
}

/* The first fatal error: sends fail with _FATAL from now on, and the
 * text is kept for kprod_fatal_error. */
static void publish_fatal(kp_sender *s) {
    kprod_err_t err = kp_idem_fatal(&s->idem);
    const char *text = s->idem.fatal_str;
    if (!err && (err = kp_txn_fatal(s->txn)) != KPROD_ERR_NO_ERROR)
        text = kp_txn_fatal_str(s->txn);
    if (!err || s->fatal_err)
        return;
    pthread_mutex_lock(&s->fatal_lock);
    s->fatal_err = err;
    snprintf(s->fatal_str, sizeof(s->fatal_str), "%s", text);
    pthread_mutex_unlock(&s->fatal_lock);
    snprintf(s->fatal_why, sizeof(s->fatal_why), "the producer hit a fatal error: %s", text);
    /* A transaction call waiting now returns it too. */
    kp_txn_set_fatal(s->txn, err, s->fatal_str);
    kp_reports_push_event(s->reports, err, s->fatal_why);
    kp_acc_shut(s->acc, KPROD_ERR__FATAL);
}

/* A connection failed its TLS or SASL setup: the producer says so once
 * (an error; the same again is a debug trace), and the records that
 * cannot go anywhere else fail now with the broker's reason instead of
 * waiting out delivery.timeout.ms; so do sends and kprod_metadata_get
 * calls waiting for metadata when no broker is left to give it. The
 * connection itself keeps being retried with backoff. */
static void security_failures(kp_sender *s) {
    int32_t id;
    kprod_err_t err;
    char why[sizeof(s->security_logged)];
    while (kp_rl_take_security_failure(s->rl, &id, &err, why, sizeof(why))) {
        if (strcmp(why, s->security_logged) != 0) {
            KP_ERROR(&s->cfg->log, KP_DBG_SECURITY, "%s", why);
            kp_reports_push_event(s->reports, err, why); /* the error callback */
            snprintf(s->security_logged, sizeof(s->security_logged), "%s", why);
        } else {
            KP_DEBUG(&s->cfg->log, KP_DBG_SECURITY, "again: %s", why);
        }
        kp_produce_fail_for_broker(s->pc, id, err, why);
        if (!kp_rl_any_ready(s->rl)) {
            kp_md_fail_waiter(s->md, err);
            kp_acc_fail_metadata_waits(s->acc, err, why);
        }
    }
}

/* Every broker down, bootstrap addresses included: one error (log and
 * error callback) when it happens, a note when one is back. */
static void watch_brokers(kp_sender *s) {
    char why[400];
    int down = kp_rl_all_down(s->rl, why, sizeof(why));
    /* Brokers that all refused the security setup were reported as such
     * (security_failures): not again as down. */
    if (down && !s->all_down && !kp_rl_all_refused(s->rl)) {
        KP_ERROR(&s->cfg->log, KP_DBG_BROKER, "%s", why);
        kp_reports_push_event(s->reports, KPROD_ERR__ALL_BROKERS_DOWN, why);
    } else if (!down && s->all_down) {
        KP_INFO(&s->cfg->log, KP_DBG_BROKER, "a broker is reachable again");
    }
    s->all_down = down;
}

static void lower(int64_t *at, int64_t t) {
    if (t < *at)
        *at = t;
}

/* One turn of the loop: let every client act, then sleep until there is
 * something to do. */
static void turn(kp_sender *s) {
    int64_t now = kp_now_ms();
    int64_t wake_at = kp_md_tick(s->md, now);
    lower(&wake_at, kp_idem_tick(&s->idem, now, kp_produce_inflight(s->pc)));
    publish_fatal(s);
    if (s->fatal_err)
        kp_produce_fail_queued(s->pc, KPROD_ERR__FATAL, s->fatal_why);
    /* A failed or aborting transaction's records go no further. */
    const char *aborted = kp_txn_abort_why(s->txn);
    kp_produce_txn_aborting(s->pc, aborted);
    if (aborted && !s->fatal_err)
        kp_produce_fail_queued(s->pc, KPROD_ERR__TXN_ABORTED, aborted);
    /* Without a producer id (or during an epoch bump) nothing is sent, but
     * delivery.timeout.ms still runs out. */
    lower(&wake_at, kp_produce_tick(s->pc, now, kp_idem_ready(&s->idem) && !s->fatal_err));
    /* After the produce turn: the reads of the log it has just asked for
     * start now. */
    lower(&wake_at, kp_recov_tick(s->recov, now));
    /* After the produce turn: partitions that joined a transaction in it
     * are added now, and commit and abort see its requests. */
    lower(&wake_at, kp_txn_tick(s->txn, now, kp_produce_inflight(s->pc)));
    publish_fatal(s);
    /* After the produce turn: a leader its batches have just asked for
     * (wanted) starts connecting now, not one poll timeout later. */
    int64_t next;
    if (kp_rl_keep_connections(s->rl, now, &next))
        kp_md_refresh_soon(s->md);
    lower(&wake_at, next);
    lower(&wake_at, kp_sc_tick(s->sc, now));
    kp_rl_poll(s->rl, s->wake_fd, wake_at);
    security_failures(s);
    watch_brokers(s);
    atomic_fetch_add(&s->turns, 1);
}

/* On close: everything not yet sent fails with _PURGED_ON_CLOSE, every
 * request in flight too (marked possibly persisted when written). */
static void purge_all(kp_sender *s) {
    kp_produce_closing(s->pc);
    kp_produce_fail_queued(s->pc, KPROD_ERR__PURGED_ON_CLOSE, NULL);
    kp_rl_fail_all(s->rl, KPROD_ERR__PURGED_ON_CLOSE, "producer closed");
    kp_md_close(s->md);
    kp_txn_close(s->txn);
    kp_sc_close(s->sc);
}

static void *sender_main(void *arg) {
    kp_sender *s = arg;
    while (!atomic_load(&s->stop))
        turn(s);
    purge_all(s);
    return NULL;
}

kprod_err_t kp_sender_start(kp_sender *s) {
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0)
        return KPROD_ERR__FAIL;
    s->started = 1;
    return KPROD_ERR_NO_ERROR;
}

void kp_sender_stop(kp_sender *s) {
    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->stop, 1);
        kp_sender_wake(s);
        pthread_join(s->thread, NULL);
    } else {
        purge_all(s);
    }
    destroy(s);
}

kprod_err_t kp_sender_fatal(kp_sender *s, char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&s->fatal_lock);
    kprod_err_t err = s->fatal_err;
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", err ? s->fatal_str : "");
    pthread_mutex_unlock(&s->fatal_lock);
    /* The transaction client's, before the loop's next turn publishes it
     * (a transaction call may just have returned it). */
    if (!err)
        err = kp_txn_fatal_copy(s->txn, errstr, errstr_size);
    return err;
}

kprod_err_t kp_sender_metadata(kp_sender *s, const char *topic, int64_t deadline_ms,
                               kp_metadata_resp **out) {
    return kp_md_get(s->md, topic, deadline_ms, out);
}

kp_txn *kp_sender_txn(kp_sender *s) { return s->txn; }

kprod_err_t kp_sender_stats(kp_sender *s, int64_t deadline_ms, kp_stats_snap **out) {
    return kp_sc_get(s->sc, deadline_ms, out);
}

unsigned long kp_sender_turns(kp_sender *s) { return atomic_load(&s->turns); }
