/* The idempotent producer (see idempotence.h). What is here: producer id,
 * sequences, in-order retries. Epoch bumps after OUT_OF_ORDER_SEQUENCE_NUMBER
 * or UNKNOWN_PRODUCER_ID (KIP-360) are not done yet: such an error fails the
 * batch with the broker's error. */
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

int kp_idem_ready(const kprod_t *p) { return !p->cfg.enable_idempotence || p->producer_id >= 0; }

static void set_fatal(kprod_t *p, kprod_err_t err, const char *why) {
    pthread_mutex_lock(&p->acc.lock);
    if (!p->fatal_err) {
        p->fatal_err = err;
        snprintf(p->fatal_str, sizeof(p->fatal_str), "%s", why);
    }
    pthread_cond_broadcast(&p->acc.md_cv);
    pthread_mutex_unlock(&p->acc.lock);
}

int64_t kp_idem_maybe_init(kprod_t *p, int64_t now) {
    if (kp_idem_ready(p) || p->pid_inflight || p->fatal_err)
        return INT64_MAX;
    if (now < p->pid_retry_at_ms)
        return p->pid_retry_at_ms;
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
    kp_buf frame;
    kp_buf_init(&frame, 64);
    size_t start = kp_frame_begin(p, c, &frame, KP_API_INIT_PRODUCER_ID, ver);
    kp_init_producer_id_req_encode(&frame, ver, NULL, (int32_t)p->cfg.transaction_timeout_ms, -1,
                                   -1);
    kp_req_end(&frame, start);
    if (kp_send_request(p, c, KP_API_INIT_PRODUCER_ID, ver, &frame, start, 1, NULL) == 0)
        p->pid_inflight = 1;
    kp_buf_free(&frame);
    return INT64_MAX;
}

void kp_idem_handle_response(kprod_t *p, kp_conn *c, kp_inflight *req, kp_rd *r) {
    (void)c;
    p->pid_inflight = 0;
    kp_init_producer_id_resp resp;
    kprod_err_t err = kp_init_producer_id_resp_decode(r, req->api_version, &resp);
    if (!err)
        err = (kprod_err_t)resp.error_code;
    if (!err) {
        p->producer_id = resp.producer_id;
        p->producer_epoch = resp.producer_epoch;
        return;
    }
    if (kprod_err_is_retriable(err) || err == KPROD_ERR__BAD_MSG) {
        p->pid_retry_at_ms = kp_now_ms() + p->cfg.retry_backoff_ms;
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

/* Up to five batches of a partition may be in flight, except: a retry goes
 * alone and first, and so does every batch until the broker has
 * acknowledged one of this partition. Before that the broker holds no state
 * for the producer there and accepts any first sequence (it must, since
 * retention may have deleted the state), so if the first batch failed
 * (e.g. NOT_LEADER_OR_FOLLOWER on a topic created a moment ago) a later
 * batch in flight could be written in its place; the first batch would then
 * be out of order for good and retried until delivery.timeout.ms. (A
 * sequence that wraps to exactly 0 also makes one batch go alone: harmless.) */
int kp_idem_may_send_locked(const kprod_t *p, const kp_partq *q, const kp_batch *b) {
    if (!p->cfg.enable_idempotence)
        return 1;
    if (b->attempts > 0 || q->acked_next_seq == 0)
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

int kp_idem_retriable_locked(const kprod_t *p, const kp_partq *q, const kp_batch *b,
                             kprod_err_t err) {
    return p->cfg.enable_idempotence && err == KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER &&
           b->base_seq != q->acked_next_seq;
}

void kp_idem_acked_locked(kprod_t *p, kp_partq *q, const kp_batch *b) {
    if (!p->cfg.enable_idempotence || b->base_seq < 0)
        return;
    q->acked_next_seq = (int32_t)(((int64_t)b->base_seq + b->w.count) % ((int64_t)INT32_MAX + 1));
}

void kp_idem_failed_locked(kprod_t *p, kp_partq *q, const kp_batch *b) {
    (void)p;
    (void)q;
    (void)b;
}

void kp_idem_restamp(kprod_t *p, kp_batch *b) {
    (void)p;
    (void)b; /* the epoch never changes yet (no KIP-360 bump) */
}
