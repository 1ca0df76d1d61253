/* The produce client's decisions (see decide.h). */
#include "sender/decide.h"

#include "backoff.h"

static void lower(int64_t *wake_at_ms, int64_t at) {
    if (at < *wake_at_ms)
        *wake_at_ms = at;
}

kp_head_verdict kp_decide_head(const kp_head_facts *f, int64_t now_ms, int64_t *wake_at_ms) {
    int64_t expire_at = f->created_ms + f->delivery_timeout_ms;
    if (expire_at <= now_ms) {
        /* With batches of the partition in flight it waits, unsent: their
         * answer may still retry them ahead of it, and wakes the sender. */
        return f->part_inflight == 0 ? KP_HEAD_EXPIRE : KP_HEAD_HOLD;
    }
    lower(wake_at_ms, expire_at);
    /* Without a producer id nothing goes, but expiry above still runs. */
    if (!f->may_send || !f->ready)
        return KP_HEAD_HOLD;
    switch (f->link) {
    case KP_LINK_NONE:
        return KP_HEAD_NEED_LEADER;
    case KP_LINK_DOWN:
        lower(wake_at_ms, f->link_retry_at_ms > now_ms ? f->link_retry_at_ms : now_ms);
        return KP_HEAD_NEED_LINK;
    case KP_LINK_PENDING:
        return KP_HEAD_HOLD; /* the handshake's end wakes the sender */
    case KP_LINK_READY:
        break;
    }
    if (f->conn_inflight >= f->max_in_flight)
        return KP_HEAD_HOLD;
    if (f->idempotent && !f->idem_may_send)
        return KP_HEAD_HOLD;
    /* Without idempotence a retry waits for the partition's other batches;
     * with max.in.flight=1 every batch does (as Java mutes the partition):
     * the limit is per connection, and after a leader move a batch on the
     * new leader's connection could overtake one in flight to the old. */
    if (!f->idempotent && f->part_inflight > 0 && (f->attempts > 0 || f->max_in_flight == 1))
        return KP_HEAD_HOLD;
    if (f->request_batches > 0 && f->request_bytes + f->batch_bytes > (size_t)f->max_request_size) {
        lower(wake_at_ms, now_ms); /* the next request, next turn */
        return KP_HEAD_HOLD;
    }
    return KP_HEAD_SEND;
}

int kp_is_leader_error(kprod_err_t err) {
    return err == KPROD_ERR_NOT_LEADER_OR_FOLLOWER || err == KPROD_ERR_LEADER_NOT_AVAILABLE ||
           err == KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION || err == KPROD_ERR__TRANSPORT ||
           err == KPROD_ERR_REQUEST_TIMED_OUT || err == KPROD_ERR_NETWORK_EXCEPTION;
}

kp_outcome kp_decide_outcome(const kp_outcome_facts *f, int64_t now_ms, long rnd) {
    kp_outcome o = {.done = 1, .err = f->err, .retry_at_ms = 0, .refresh_metadata = 0};
    if (!f->err || f->err == KPROD_ERR_DUPLICATE_SEQUENCE_NUMBER) {
        o.err = KPROD_ERR_NO_ERROR; /* a duplicate was stored by an earlier attempt */
        return o;
    }
    if (!f->retriable)
        return o;
    if (f->closing) {
        o.err = KPROD_ERR__PURGED_ON_CLOSE;
        return o;
    }
    if (now_ms - f->created_ms >= f->delivery_timeout_ms) {
        o.err = KPROD_ERR__MSG_TIMED_OUT;
        return o;
    }
    if (f->attempts > f->retries)
        return o;
    o.done = 0;
    o.refresh_metadata = kp_is_leader_error(f->err);
    int64_t d = kp_backoff_ms(f->backoff_ms, f->backoff_max_ms, f->attempts, rnd);
    o.retry_at_ms = d > INT64_MAX - now_ms ? INT64_MAX : now_ms + d;
    return o;
}

kprod_err_t kp_decide_codec(kp_codec codec, int produce_version) {
    if (codec == KP_CODEC_ZSTD && produce_version >= 0 && produce_version < 7)
        return KPROD_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    return KPROD_ERR_NO_ERROR;
}
