/* The idempotent producer (see idempotence.h and docs/IDEMPOTENCE.md). */
#include "sender/idempotence.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "protocol/api_keys.h"
#include "protocol/init_producer_id.h"
#include "protocol/record_batch.h"

void kp_idem_init(kp_idem *idem, const kp_config *cfg, kp_rl *rl) {
    memset(idem, 0, sizeof(*idem));
    idem->cfg = cfg;
    idem->rl = rl;
    idem->enabled = cfg->enable_idempotence;
    idem->managed = cfg->transactional_id != NULL;
    idem->producer_id = -1;
    idem->producer_epoch = -1;
    idem->gen = 1; /* partitions start at 0: theirs is always older */
}

int kp_idem_ready(const kp_idem *idem) {
    return !idem->enabled || (idem->producer_id >= 0 && !idem->bump_needed && !idem->fatal_err);
}

kprod_err_t kp_idem_fatal(const kp_idem *idem) { return idem->fatal_err; }

void kp_idem_set_producer(kp_idem *idem, int64_t producer_id, int16_t producer_epoch) {
    KP_DEBUG(&idem->cfg->log, KP_DBG_IDEMPOTENCE,
             "producer id %lld epoch %d -> producer id %lld epoch %d (transaction)",
             (long long)idem->producer_id, (int)idem->producer_epoch, (long long)producer_id,
             (int)producer_epoch);
    idem->producer_id = producer_id;
    idem->producer_epoch = producer_epoch;
    idem->gen++; /* every partition starts again at sequence 0 */
    idem->bump_needed = 0;
}

static void set_fatal(kp_idem *idem, kprod_err_t err, const char *why) {
    if (idem->fatal_err)
        return;
    idem->fatal_err = err;
    snprintf(idem->fatal_str, sizeof(idem->fatal_str), "%s", why);
    KP_ERROR(&idem->cfg->log, KP_DBG_IDEMPOTENCE,
             "fatal error %s: %s; no further records are accepted", kprod_err_name(err), why);
}

/* Sequences can no longer be trusted: a new epoch (or producer id) is
 * asked for once what is in flight has come back. */
static void need_bump(kp_idem *idem, const char *why) {
    if (!idem->bump_needed)
        KP_DEBUG(&idem->cfg->log, KP_DBG_IDEMPOTENCE,
                 "producer id %lld epoch %d: new epoch needed: %s", (long long)idem->producer_id,
                 (int)idem->producer_epoch, why);
    idem->bump_needed = 1;
    idem->bump_why = why;
}

/* ---- InitProducerId ---- */

static void pid_response(void *opaque, kp_broker *b, void *ctx, int16_t version, kp_rd *r) {
    kp_idem *idem = opaque;
    (void)b, (void)ctx;
    idem->pid_inflight = 0;
    kp_init_producer_id_resp resp;
    kprod_err_t err = kp_init_producer_id_resp_decode(r, version, &resp);
    if (!err)
        err = (kprod_err_t)resp.error_code;
    if (!err && (resp.producer_id < 0 || resp.producer_epoch < 0))
        err = KPROD_ERR__BAD_MSG; /* success must name a producer */
    if (!err) {
        idem->bumps += idem->bump_needed;
        if (idem->bump_needed)
            KP_INFO(&idem->cfg->log, KP_DBG_IDEMPOTENCE,
                    "producer id %lld epoch %d -> producer id %lld epoch %d: %s",
                    (long long)idem->producer_id, (int)idem->producer_epoch,
                    (long long)resp.producer_id, (int)resp.producer_epoch,
                    idem->bump_why ? idem->bump_why : "sequences reset");
        else
            KP_INFO(&idem->cfg->log, KP_DBG_IDEMPOTENCE,
                    "idempotent producer: producer id %lld, "
                    "epoch %d",
                    (long long)resp.producer_id, (int)resp.producer_epoch);
        idem->producer_id = resp.producer_id;
        idem->producer_epoch = resp.producer_epoch;
        idem->gen++; /* every partition starts again at sequence 0 */
        idem->bump_needed = 0;
        return;
    }
    if (kprod_err_is_retriable(err) || err == KPROD_ERR__BAD_MSG) {
        idem->retry_at_ms = kp_now_ms() + idem->cfg->retry_backoff_ms;
        return;
    }
    if (idem->bump_needed && !idem->bump_refused) {
        /* The broker will not bump this producer's epoch (some peers do not
         * implement KIP-360 for idempotent producers): a new producer id
         * resets the sequences just as well. */
        idem->bump_refused = 1;
        return;
    }
    char why[200];
    snprintf(why, sizeof(why), "InitProducerId failed: %s (%s)", kprod_err_name(err),
             kprod_err_str(err));
    set_fatal(idem, err, why);
}

static void pid_fail(void *opaque, kp_broker *b, void *ctx, kprod_err_t err, int written) {
    kp_idem *idem = opaque;
    (void)b, (void)ctx, (void)err, (void)written;
    idem->pid_inflight = 0;
    idem->retry_at_ms = kp_now_ms() + idem->cfg->retry_backoff_ms;
}

static const kp_req_handler *pid_handler(kp_idem *idem) {
    static _Thread_local kp_req_handler h;
    h.on_response = pid_response;
    h.on_fail = pid_fail;
    h.on_written = NULL;
    h.opaque = idem;
    return &h;
}

int64_t kp_idem_tick(kp_idem *idem, int64_t now_ms, int produce_inflight) {
    if (!idem->enabled || idem->managed || idem->pid_inflight || idem->fatal_err)
        return INT64_MAX;
    if (idem->producer_id >= 0 && !idem->bump_needed)
        return INT64_MAX;
    if (now_ms < idem->retry_at_ms)
        return idem->retry_at_ms;
    /* Bump only once every answer under the old epoch is in: they wake the
     * sender. */
    if (idem->bump_needed && produce_inflight > 0)
        return INT64_MAX;
    kp_broker *b = kp_rl_any_ready(idem->rl);
    if (!b)
        return now_ms + 100; /* metadata brings a connection up */
    int16_t ver = kp_rl_version(b, KP_API_INIT_PRODUCER_ID);
    if (ver < 0) {
        set_fatal(idem, KPROD_ERR__UNSUPPORTED_FEATURE,
                  "the broker does not support InitProducerId: set enable.idempotence=false");
        return INT64_MAX;
    }
    /* From v3 the current id and epoch ask for a bump (KIP-360); older
     * brokers hand out a new producer id, which resets sequences as well. */
    int bump = idem->bump_needed && ver >= 3 && !idem->bump_refused;
    kp_frame f;
    kp_buf *out = kp_rl_begin(idem->rl, b, KP_API_INIT_PRODUCER_ID, ver, &f);
    kprod_err_t err = kp_init_producer_id_req_encode(
        out, ver, NULL, (int32_t)idem->cfg->transaction_timeout_ms, bump ? idem->producer_id : -1,
        bump ? idem->producer_epoch : -1);
    if (kp_rl_send(idem->rl, &f, err, 1, 0, pid_handler(idem), NULL) == KPROD_ERR_NO_ERROR) {
        idem->pid_inflight = 1;
        return INT64_MAX;
    }
    idem->retry_at_ms = now_ms + idem->cfg->retry_backoff_ms;
    return idem->retry_at_ms;
}

/* ---- per partition ---- */

/* A partition's state from an older generation counts as new. */
static void sync_part(const kp_idem *idem, kp_idem_part *part) {
    if (part->gen != idem->gen) {
        /* gen 0: never used (the table is zeroed): no producer known */
        int64_t known = part->gen ? part->known_pid : -1;
        memset(part, 0, sizeof(*part));
        part->gen = idem->gen;
        part->known_pid = known;
    }
}

static int has_seq(const kp_idem *idem, const kp_batch *b) {
    return b->base_seq >= 0 && b->seq_gen == idem->gen;
}

int kp_idem_may_send(const kp_idem *idem, kp_idem_part *part, int part_inflight,
                     const kp_batch *b) {
    if (!idem->enabled)
        return 1;
    sync_part(idem, part);
    if (b->attempts > 0)
        return part_inflight == 0; /* a retry goes alone, first */
    /* The broker takes any first sequence from a producer it has no state
     * for: with two batches in flight before the first acknowledgement, the
     * first could fail (NOT_LEADER_OR_FOLLOWER while a new topic's leader
     * starts) and the second be stored, out of order. Until a batch of the
     * partition is acknowledged, batches go one at a time. */
    /* A transaction's new epoch (each one with Transactions V2) on a
     * partition that knows the producer id is another matter: the broker
     * takes only sequence 0 first under a new epoch of a producer it knows
     * (and answers OUT_OF_ORDER_SEQUENCE_NUMBER to a later batch, which is
     * then resent after it), so batches need not wait for the first. */
    if (!part->acked && !(idem->managed && part->known_pid == idem->producer_id))
        return part_inflight == 0;
    return part_inflight < KP_IDEM_MAX_INFLIGHT;
}

static int32_t seq_add(int32_t seq, int32_t n) {
    /* Sequences wrap from INT32_MAX to 0, as the broker expects. */
    return (int32_t)(((int64_t)seq + n) % ((int64_t)INT32_MAX + 1));
}

void kp_idem_assign_seq(const kp_idem *idem, kp_idem_part *part, kp_batch *b) {
    if (!idem->enabled || has_seq(idem, b))
        return;
    sync_part(idem, part);
    b->base_seq = part->next_seq;
    b->seq_gen = idem->gen;
    part->next_seq = seq_add(part->next_seq, b->w.count);
}

int kp_idem_retriable(kp_idem *idem, kp_idem_part *part, const kp_batch *b, kprod_err_t err) {
    if (!idem->enabled)
        return 0;
    sync_part(idem, part);
    if (err == KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER) {
        /* Not the next batch: an earlier one failed first and this one
         * follows it again. The next batch itself: a real gap between
         * broker and client; a new epoch restarts the sequences and the
         * batch is resent under it (as the Java client does). In a
         * transaction the gap fails the transaction instead (its abort
         * starts a new epoch). */
        int next = has_seq(idem, b) && b->base_seq == part->acked_next_seq;
        if (next && idem->managed)
            return 0;
        if (next)
            need_bump(idem, "OUT_OF_ORDER_SEQUENCE_NUMBER for the next batch of a partition");
        return 1;
    }
    if (err == KPROD_ERR_UNKNOWN_PRODUCER_ID && idem->managed)
        return 0; /* the transaction fails; its abort starts a new epoch */
    if (err == KPROD_ERR_UNKNOWN_PRODUCER_ID) {
        /* The broker lost our state (e.g. retention removed it): nothing of
         * this batch was written; resend it under a bumped epoch. */
        need_bump(idem, "UNKNOWN_PRODUCER_ID: the broker lost this producer's state");
        return 1;
    }
    return 0;
}

void kp_idem_acked(const kp_idem *idem, kp_idem_part *part, const kp_batch *b) {
    if (!idem->enabled || !has_seq(idem, b))
        return;
    sync_part(idem, part);
    part->acked = 1;
    part->acked_next_seq = seq_add(b->base_seq, b->w.count);
    part->known_pid = idem->producer_id;
}

void kp_idem_failed(kp_idem *idem, kp_idem_part *part, const kp_batch *b) {
    if (!idem->enabled || !has_seq(idem, b))
        return;
    if (b->err == KPROD_ERR_INVALID_PRODUCER_EPOCH || b->err == KPROD_ERR_PRODUCER_FENCED) {
        set_fatal(idem, b->err,
                  b->err == KPROD_ERR_PRODUCER_FENCED
                      ? "another producer with this transactional.id fenced this one "
                        "(PRODUCER_FENCED)"
                      : "the broker fenced this producer's epoch (INVALID_PRODUCER_EPOCH)");
        return;
    }
    if (idem->managed)
        return; /* the transaction fails; its abort starts a new epoch */
    sync_part(idem, part);
    if (!b->possibly_persisted && part->next_seq == seq_add(b->base_seq, b->w.count)) {
        /* Certainly not stored (every attempt was refused or never left),
         * and no later batch of the partition has a sequence: the broker
         * still expects this batch's first sequence, so the next batch
         * takes it. Without this, a broker refusing every batch (an old
         * one, say) would cost an InitProducerId per failed batch. */
        part->next_seq = b->base_seq;
        return;
    }
    /* The batch had a sequence and will never be acknowledged: the broker
     * and kprod now disagree on what comes next, so start a new epoch. */
    need_bump(idem, "a batch with a sequence failed or expired");
}

void kp_idem_stamp(const kp_idem *idem, kp_batch *b) {
    if (idem->enabled)
        kp_rb_set_producer(b->w.buf.data, b->w.buf.len, idem->producer_id, idem->producer_epoch,
                           b->base_seq);
}
