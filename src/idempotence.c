/* The idempotent producer (see idempotence.h and docs/IDEMPOTENCE.md). */
#include "idempotence.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "protocol/api_keys.h"
#include "protocol/header.h"
#include "protocol/init_producer_id.h"
#include "sender.h"

/* The broker keeps the last five batches per producer and partition. */
#define KP_IDEM_MAX_INFLIGHT 5

int kp_idem_ready(const kprod_t *p) {
    return !p->cfg.enable_idempotence || (p->producer_id >= 0 && !p->epoch_bump_needed);
}

/* A fatal error: later sends fail at once; queued batches fail with _FATAL.
 * Lock held. */
static void set_fatal_locked(kprod_t *p, kprod_err_t err, const char *why) {
    if (!p->fatal_err) {
        p->fatal_err = err;
        snprintf(p->fatal_str, sizeof(p->fatal_str), "%s", why);
    }
    pthread_cond_broadcast(&p->acc.md_cv);
    pthread_cond_broadcast(&p->acc.space_cv);
}

static void set_fatal(kprod_t *p, kprod_err_t err, const char *why) {
    pthread_mutex_lock(&p->acc.lock);
    set_fatal_locked(p, err, why);
    pthread_mutex_unlock(&p->acc.lock);
}

/* Batches of this producer in flight, over every partition (lock held). */
static int produce_inflight_locked(const kprod_t *p) {
    int n = 0;
    for (size_t i = 0; i < p->acc.nbuckets; i++)
        for (const kp_topic *t = p->acc.buckets[i]; t; t = t->hnext)
            for (int32_t part = 0; part < t->partition_count; part++)
                n += t->parts[part].inflight;
    return n;
}

int64_t kp_idem_maybe_init(kprod_t *p, int64_t now) {
    if (!p->cfg.enable_idempotence || p->pid_inflight || p->fatal_err)
        return INT64_MAX;
    if (p->producer_id >= 0 && !p->epoch_bump_needed)
        return INT64_MAX;
    if (now < p->pid_retry_at_ms)
        return p->pid_retry_at_ms;
    if (p->epoch_bump_needed) {
        /* Bump only once every answer under the old epoch is in. */
        pthread_mutex_lock(&p->acc.lock);
        int inflight = produce_inflight_locked(p);
        pthread_mutex_unlock(&p->acc.lock);
        if (inflight)
            return INT64_MAX; /* their responses wake the sender */
    }
    kp_conn *c = NULL;
    for (int i = 0; i < p->nbrokers && !c; i++)
        if (p->brokers[i]->conn.state == KP_CONN_READY)
            c = &p->brokers[i]->conn;
    if (!c)
        return now + 100; /* metadata brings a connection up */
    int16_t ver = kp_conn_pick(c, KP_API_INIT_PRODUCER_ID);
    if (ver < 0) {
        set_fatal(p, KPROD_ERR__UNSUPPORTED_FEATURE,
                  "the broker does not support InitProducerId: set enable.idempotence=false");
        return INT64_MAX;
    }
    /* From v3 the current id and epoch ask for a bump (KIP-360); older
     * brokers hand out a new producer id, which resets sequences as well. */
    int bump = p->epoch_bump_needed && ver >= 3 && !p->bump_refused;
    size_t start;
    kp_buf *frame = kp_frame_begin(p, c, KP_API_INIT_PRODUCER_ID, ver, &start);
    kp_init_producer_id_req_encode(frame, ver, NULL, (int32_t)p->cfg.transaction_timeout_ms,
                                   bump ? p->producer_id : -1, bump ? p->producer_epoch : -1);
    if (kp_send_request(p, c, KP_API_INIT_PRODUCER_ID, ver, start, 1, NULL) == 0)
        p->pid_inflight = 1;
    return INT64_MAX;
}

/* New epoch: every partition starts again at sequence 0, and batches that
 * wait for a retry get new sequences when they are sent (lock held). */
static void reset_sequences_locked(kprod_t *p) {
    for (size_t i = 0; i < p->acc.nbuckets; i++)
        for (kp_topic *t = p->acc.buckets[i]; t; t = t->hnext)
            for (int32_t part = 0; part < t->partition_count; part++) {
                kp_partq *q = &t->parts[part];
                q->next_seq = 0;
                q->acked_next_seq = 0;
                q->acked = 0; /* the new epoch starts like a new producer */
                for (kp_batch *b = q->head; b; b = b->next)
                    b->base_seq = -1;
            }
}

void kp_idem_handle_response(kprod_t *p, kp_conn *c, kp_inflight *req, kp_rd *r) {
    (void)c;
    p->pid_inflight = 0;
    kp_init_producer_id_resp resp;
    kprod_err_t err = kp_init_producer_id_resp_decode(r, req->api_version, &resp);
    if (!err)
        err = (kprod_err_t)resp.error_code;
    if (!err) {
        pthread_mutex_lock(&p->acc.lock);
        p->producer_id = resp.producer_id;
        p->producer_epoch = resp.producer_epoch;
        if (p->epoch_bump_needed) {
            reset_sequences_locked(p);
            p->epoch_bump_needed = 0;
        }
        p->acc.sender_wake_ms = 0;
        pthread_mutex_unlock(&p->acc.lock);
        return;
    }
    if (kprod_err_is_retriable(err) || err == KPROD_ERR__BAD_MSG) {
        p->pid_retry_at_ms = kp_now_ms() + p->cfg.retry_backoff_ms;
        return;
    }
    if (p->epoch_bump_needed && !p->bump_refused) {
        /* The broker will not bump this producer's epoch (some peers do not
         * implement KIP-360 for idempotent producers): a new producer id
         * resets the sequences just as well. */
        p->bump_refused = 1;
        return;
    }
    char why[200];
    snprintf(why, sizeof(why), "InitProducerId failed: %s (%s)", kprod_err_name(err),
             kprod_err_str(err));
    set_fatal(p, err, why);
}

void kp_idem_request_failed(kprod_t *p, kp_inflight *req, kprod_err_t err) {
    (void)req;
    (void)err;
    p->pid_inflight = 0;
    p->pid_retry_at_ms = kp_now_ms() + p->cfg.retry_backoff_ms;
}

int kp_idem_may_send_locked(const kprod_t *p, const kp_partq *q, const kp_batch *b) {
    if (!p->cfg.enable_idempotence)
        return 1;
    if (b->attempts > 0)
        return q->inflight == 0; /* a retry goes alone, first */
    /* Fix: the broker takes any first sequence from a producer it has no
     * state for. With two batches in flight before the first
     * acknowledgement, the first could fail (NOT_LEADER_OR_FOLLOWER while a
     * new topic's leader starts) and the second be stored: out of order,
     * and the first then got OUT_OF_ORDER_SEQUENCE_NUMBER on every retry
     * until it expired. Until a batch of the partition is acknowledged,
     * batches go one at a time. (A broker that loses the producer's state
     * later, e.g. by retention, reopens the window: left for KIP-360.) */
    if (!q->acked)
        return q->inflight == 0;
    return q->inflight < KP_IDEM_MAX_INFLIGHT;
}

void kp_idem_assign_seq_locked(kprod_t *p, kp_partq *q, kp_batch *b) {
    if (!p->cfg.enable_idempotence || b->base_seq >= 0)
        return;
    b->base_seq = q->next_seq;
    /* Sequences wrap from INT32_MAX to 0, as the broker expects. */
    q->next_seq = (int32_t)(((int64_t)q->next_seq + b->w.count) % ((int64_t)INT32_MAX + 1));
}

int kp_idem_retriable_locked(kprod_t *p, const kp_partq *q, const kp_batch *b, kprod_err_t err) {
    if (!p->cfg.enable_idempotence)
        return 0;
    if (err == KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER) {
        /* Not the next batch: an earlier one failed first and this one
         * follows it again. The next batch itself: a real gap between
         * broker and client; a new epoch restarts the sequences and the
         * batch is resent under it (as the Java client does). */
        if (b->base_seq == q->acked_next_seq)
            p->epoch_bump_needed = 1;
        return 1;
    }
    if (err == KPROD_ERR_UNKNOWN_PRODUCER_ID) {
        /* The broker lost our state (e.g. retention removed it): nothing of
         * this batch was written; resend it under a bumped epoch. */
        p->epoch_bump_needed = 1;
        return 1;
    }
    return 0;
}

void kp_idem_acked_locked(kprod_t *p, kp_partq *q, const kp_batch *b) {
    if (!p->cfg.enable_idempotence || b->base_seq < 0)
        return;
    q->acked = 1;
    q->acked_next_seq = (int32_t)(((int64_t)b->base_seq + b->w.count) % ((int64_t)INT32_MAX + 1));
}

void kp_idem_failed_locked(kprod_t *p, kp_partq *q, const kp_batch *b) {
    (void)q;
    if (!p->cfg.enable_idempotence || b->base_seq < 0)
        return;
    if (b->err == KPROD_ERR_INVALID_PRODUCER_EPOCH) {
        set_fatal_locked(p, KPROD_ERR_INVALID_PRODUCER_EPOCH,
                         "the broker fenced this producer's epoch (INVALID_PRODUCER_EPOCH)");
        return;
    }
    /* The batch had a sequence and will never be acknowledged: the broker
     * and kprod now disagree on what comes next, so start a new epoch. */
    p->epoch_bump_needed = 1;
}
