/* The statistics collector (see stats.h). */
#include "sender/stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

struct kp_sc {
    kp_sc_deps d;
    int64_t start_ms;
    int64_t next_ms; /* the next periodic document */
    /* the kp_sc_get hand-over, under lock */
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int busy;              /* a caller owns the slot */
    int wanted;            /* ... and waits for a snapshot */
    kp_stats_snap *result; /* made by the sender for it */
    int closed;
    atomic_int hint; /* wanted, readable without the lock */
};

kp_sc *kp_sc_new(const kp_sc_deps *deps) {
    kp_sc *sc = calloc(1, sizeof(*sc));
    if (!sc)
        return NULL;
    sc->d = *deps;
    sc->start_ms = kp_now_ms();
    int64_t iv = deps->cfg->statistics_interval_ms;
    sc->next_ms = iv > 0 && deps->cfg->stats_cb ? sc->start_ms + iv : INT64_MAX;
    pthread_mutex_init(&sc->lock, NULL);
    kp_cond_init_monotonic(&sc->cv);
    return sc;
}

static void snap_free(kp_stats_snap *s) {
    if (s) {
        kp_stats_snap_clear(s);
        free(s);
    }
}

void kp_sc_free(kp_sc *sc) {
    if (!sc)
        return;
    snap_free(sc->result);
    pthread_mutex_destroy(&sc->lock);
    pthread_cond_destroy(&sc->cv);
    free(sc);
}

/* ---- collecting ---- */

static const char *state_name(kp_conn_state st) {
    switch (st) {
    case KP_CONN_CONNECTING:
        return "connecting";
    case KP_CONN_HANDSHAKE:
        return "handshake";
    case KP_CONN_READY:
        return "up";
    default:
        return "down";
    }
}

static char *dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static kprod_err_t collect_brokers(kp_sc *sc, kp_stats_snap *s) {
    int n = kp_rl_count(sc->d.rl);
    s->brokers = calloc((size_t)(n > 0 ? n : 1), sizeof(*s->brokers));
    if (!s->brokers)
        return KPROD_ERR__NO_MEMORY;
    for (int i = 0; i < n; i++) {
        const kp_broker *b = kp_rl_at(sc->d.rl, i);
        const kp_conn_counters *c = &b->conn.cnt;
        kp_stats_broker *o = &s->brokers[s->nbrokers];
        char addr[300];
        snprintf(addr, sizeof(addr), "%s:%d", b->conn.host, b->conn.port);
        o->host = dup(b->conn.host);
        o->addr = dup(addr);
        s->nbrokers++;
        if (!o->host || !o->addr)
            return KPROD_ERR__NO_MEMORY;
        o->id = b->id;
        o->port = b->conn.port;
        o->state = state_name(b->conn.state);
        o->connects = (int64_t)c->connects;
        o->disconnects = (int64_t)c->disconnects;
        o->requests_sent = (int64_t)c->requests;
        o->bytes_sent = (int64_t)c->bytes_out;
        o->responses_received = (int64_t)c->responses;
        o->bytes_received = (int64_t)c->bytes_in;
        o->in_flight = b->conn.ninflight;
        o->rtt_avg_us = (int64_t)kp_hist_mean(&c->rtt);
        o->rtt_p50_us = (int64_t)kp_hist_quantile(&c->rtt, 0.5);
        o->rtt_p99_us = (int64_t)kp_hist_quantile(&c->rtt, 0.99);
        o->throttle_avg_ms =
            c->throttle_count ? (int64_t)(c->throttle_sum_ms / c->throttle_count) : 0;
        o->throttle_max_ms = (int64_t)c->throttle_max_ms;
    }
    return KPROD_ERR_NO_ERROR;
}

/* The accumulator's partitions, joined with the sender's counters: every
 * partition with something waiting or something done is listed. */
typedef struct part_ctx {
    kp_sc *sc;
    kp_stats_snap *s;
    size_t cap;
    kprod_err_t err;
} part_ctx;

static void add_part(void *opaque, uint32_t tid, const char *topic, int32_t partition,
                     int64_t records, int64_t bytes) {
    part_ctx *x = opaque;
    kp_spart *sp = kp_parts_get(x->sc->d.parts, tid, partition);
    const kp_part_counters *c = sp ? &sp->cnt : NULL;
    if (x->err || (records == 0 &&
                   (!sp || (c->batches_sent == 0 && c->records_failed == 0 && sp->inflight == 0))))
        return;
    kp_stats_snap *s = x->s;
    if (s->nparts == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 16;
        kp_stats_part *np = realloc(s->parts, ncap * sizeof(*np));
        if (!np) {
            x->err = KPROD_ERR__NO_MEMORY;
            return;
        }
        s->parts = np;
        x->cap = ncap;
    }
    kp_stats_part *o = &s->parts[s->nparts];
    memset(o, 0, sizeof(*o));
    if (!(o->topic = dup(topic))) {
        x->err = KPROD_ERR__NO_MEMORY;
        return;
    }
    s->nparts++;
    o->partition = partition;
    o->records_waiting = records;
    o->bytes_waiting = bytes;
    o->leader = sp ? sp->leader : -1;
    if (!c)
        return;
    o->batches_in_flight = sp->inflight;
    o->batches_sent = (int64_t)c->batches_sent;
    o->records_sent = (int64_t)c->records_sent;
    o->bytes_sent = (int64_t)c->bytes_sent;
    if (c->batches_sent) {
        o->avg_batch_records = (int64_t)(c->records_sent / c->batches_sent);
        o->avg_batch_bytes = (int64_t)(c->bytes_sent / c->batches_sent);
    }
    o->compression_ratio_pct = c->bytes_sent ? (int64_t)(c->bytes_raw * 100 / c->bytes_sent) : 100;
    o->records_acked = (int64_t)c->records_acked;
    o->records_failed = (int64_t)c->records_failed;
    o->batches_retried = (int64_t)c->batches_retried;
    if (c->latency) {
        o->latency_p50_us = (int64_t)kp_hist_quantile(c->latency, 0.5);
        o->latency_p99_us = (int64_t)kp_hist_quantile(c->latency, 0.99);
    }
    /* producer totals are the partitions' sums */
    s->batches_sent += o->batches_sent;
    s->records_sent += o->records_sent;
    s->bytes_sent += o->bytes_sent;
    s->records_acked += o->records_acked;
    s->bytes_acked += (int64_t)c->bytes_acked;
    s->records_failed += o->records_failed;
    s->batches_retried += o->batches_retried;
}

kprod_err_t kp_sc_collect(kp_sc *sc, kp_stats_snap *s) {
    memset(s, 0, sizeof(*s));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    s->uptime_ms = kp_now_ms() - sc->start_ms;
    s->client_id = dup(sc->d.cfg->client_id);
    kprod_err_t err = s->client_id ? collect_brokers(sc, s) : KPROD_ERR__NO_MEMORY;
    part_ctx x = {sc, s, 0, KPROD_ERR_NO_ERROR};
    kp_acc_totals t;
    if (!err) {
        kp_acc_stats(sc->d.acc, add_part, &x, &t);
        err = x.err;
    }
    if (err) {
        kp_stats_snap_clear(s);
        return err;
    }
    s->records_accepted = t.records_accepted;
    s->bytes_accepted = t.bytes_accepted;
    s->records_waiting = t.records_waiting;
    s->bytes_waiting = t.bytes_waiting;
    s->buffer_memory_used = t.mem_used;
    s->buffer_memory_max = sc->d.cfg->buffer_memory;
    s->reports_outstanding = (int64_t)kp_reports_outstanding(sc->d.reports);
    s->idempotent = sc->d.idem->enabled;
    s->producer_id = sc->d.idem->producer_id;
    s->producer_epoch = sc->d.idem->producer_epoch;
    s->epoch_bumps = (int64_t)sc->d.idem->bumps;
    kp_recov_counts rc = kp_recov_get_counts(sc->d.recov);
    s->recovery_partitions_read = (int64_t)rc.partitions_read;
    s->recovery_batches_found = (int64_t)rc.batches_found;
    s->recovery_batches_resent = (int64_t)rc.batches_resent;
    s->recovery_reads_timed_out = (int64_t)rc.reads_timed_out;
    s->recovery_reads_failed = (int64_t)rc.reads_failed;
    kp_txn_counts tc;
    kp_txn_counts_get(sc->d.txn, &tc);
    s->transactional = kp_txn_enabled(sc->d.txn);
    s->txn_state = kp_txn_state_name(tc.state);
    s->transaction_protocol = tc.protocol;
    s->transactions_committed = (int64_t)tc.committed;
    s->transactions_aborted = (int64_t)tc.aborted;
    return KPROD_ERR_NO_ERROR;
}

/* ---- the periodic document and the pull ---- */

/* Collected without the collector's lock (the accumulator's is taken
 * inside): a caller that gave up meanwhile finds wanted 0, and the
 * snapshot is dropped. */
static void answer_pull(kp_sc *sc) {
    pthread_mutex_lock(&sc->lock);
    int wanted = sc->wanted && !sc->result;
    pthread_mutex_unlock(&sc->lock);
    if (!wanted)
        return;
    kp_stats_snap *s = malloc(sizeof(*s));
    if (s && kp_sc_collect(sc, s) != KPROD_ERR_NO_ERROR) {
        free(s);
        s = NULL;
    }
    pthread_mutex_lock(&sc->lock);
    if (sc->wanted) {
        sc->result = s; /* NULL: the caller sees _NO_MEMORY */
        sc->wanted = 0;
        s = NULL;
        pthread_cond_broadcast(&sc->cv);
    }
    atomic_store(&sc->hint, 0);
    pthread_mutex_unlock(&sc->lock);
    snap_free(s);
}

int64_t kp_sc_tick(kp_sc *sc, int64_t now_ms) {
    if (atomic_load(&sc->hint))
        answer_pull(sc);
    if (now_ms < sc->next_ms)
        return sc->next_ms;
    int64_t iv = sc->d.cfg->statistics_interval_ms;
    /* Not catching up on missed intervals: one document now, the next a
     * whole interval later. */
    sc->next_ms = now_ms + iv;
    kp_stats_snap s;
    if (kp_sc_collect(sc, &s) == KPROD_ERR_NO_ERROR) {
        char *json = kp_stats_json(&s);
        if (json)
            kp_reports_push_stats(sc->d.reports, json);
        kp_stats_snap_clear(&s);
    }
    return sc->next_ms;
}

kprod_err_t kp_sc_get(kp_sc *sc, int64_t deadline_ms, kp_stats_snap **out) {
    *out = NULL;
    pthread_mutex_lock(&sc->lock);
    while (sc->busy && !sc->closed)
        if (kp_cond_wait_until(&sc->cv, &sc->lock, deadline_ms) != 0)
            break;
    kprod_err_t err = KPROD_ERR__TIMED_OUT;
    if (sc->closed) {
        err = KPROD_ERR__CLOSED;
    } else if (!sc->busy) {
        sc->busy = 1;
        sc->wanted = 1;
        atomic_store(&sc->hint, 1);
        pthread_mutex_unlock(&sc->lock);
        sc->d.wake(sc->d.wake_opaque);
        pthread_mutex_lock(&sc->lock);
        while (sc->wanted && !sc->closed)
            if (kp_cond_wait_until(&sc->cv, &sc->lock, deadline_ms) != 0)
                break;
        if (!sc->wanted) {
            *out = sc->result;
            err = sc->result ? KPROD_ERR_NO_ERROR : KPROD_ERR__NO_MEMORY;
        } else {
            err = sc->closed ? KPROD_ERR__CLOSED : KPROD_ERR__TIMED_OUT;
        }
        /* A late answer finds wanted 0 and is not made. */
        sc->result = NULL;
        sc->wanted = 0;
        atomic_store(&sc->hint, 0);
        sc->busy = 0;
        pthread_cond_broadcast(&sc->cv);
    }
    pthread_mutex_unlock(&sc->lock);
    return err;
}

void kp_sc_close(kp_sc *sc) {
    pthread_mutex_lock(&sc->lock);
    sc->closed = 1;
    pthread_cond_broadcast(&sc->cv);
    pthread_mutex_unlock(&sc->lock);
}
