/* The sender thread: the only thread that touches sockets. Each turn of its
 * loop it (1) keeps connections and metadata fresh, (2) takes the batches
 * that are ready (full, lingered, flushed or retried) off the accumulator,
 * one per partition, grouped by leader, (3) writes one Produce request per
 * broker, (4) sleeps in poll() until a socket is ready, a deadline comes or
 * an application thread wakes it, and (5) turns responses into outcomes:
 * delivered, retried after a backoff, or failed. */
#include "sender.h"

#include <stdatomic.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "idempotence.h"
#include "metadata.h"
#include "protocol/api_keys.h"
#include "protocol/api_versions.h"
#include "protocol/header.h"
#include "protocol/produce.h"

/* The batches of one Produce request, handed back with its response. */
typedef struct produce_ctx {
    int n;
    kp_batch *batches[];
} produce_ctx;

void kp_sender_wake(void *arg) {
    kprod_t *p = arg;
    uint64_t one = 1;
    ssize_t rc = write(p->wake_fd, &one, sizeof(one));
    (void)rc; /* EAGAIN means a wake-up is already pending */
}

kp_broker *kp_broker_find(kprod_t *p, int32_t id) {
    for (int i = 0; i < p->nbrokers; i++)
        if (p->brokers[i]->id == id)
            return p->brokers[i];
    return NULL;
}

kp_broker *kp_broker_add(kprod_t *p, int32_t id, const char *host, int port) {
    kp_broker **nb = realloc(p->brokers, (size_t)(p->nbrokers + 1) * sizeof(*nb));
    if (!nb)
        return NULL;
    p->brokers = nb;
    kp_broker *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->id = id;
    kp_conn_init(&b->conn, id, host, port, &p->conn_settings);
    p->brokers[p->nbrokers++] = b;
    return b;
}

int kp_send_request(kprod_t *p, kp_conn *c, int16_t api_key, int16_t ver, size_t start,
                    int expect_response, void *ctx) {
    int32_t corr = c->next_corr_id - 1; /* taken by kp_frame_begin */
    kp_req_end(&c->out, start);
    int64_t deadline = kp_now_ms() + p->cfg.request_timeout_ms;
    return kp_conn_commit(c, start, corr, api_key, ver, expect_response, deadline, ctx) ? 0 : -1;
}

kp_buf *kp_frame_begin(kprod_t *p, kp_conn *c, int16_t api_key, int16_t ver, size_t *start) {
    int32_t corr = c->next_corr_id++;
    *start = kp_req_begin(&c->out, api_key, ver, corr, p->cfg.client_id,
                          kp_req_header_flexible(api_key, ver));
    return &c->out;
}

int16_t kp_conn_pick(const kp_conn *c, int16_t api_key) {
    int16_t lo, hi;
    if (kp_proto_our_range(api_key, &lo, &hi) != 0 || api_key < 0 || api_key >= 128)
        return -1;
    return (int16_t)kp_proto_pick_version(lo, hi, c->api_min[api_key], c->api_max[api_key]);
}

/* ---- connection handshake: ApiVersions ---- */

static void send_api_versions(kprod_t *p, kp_conn *c, int16_t ver) {
    size_t start;
    kp_buf *frame = kp_frame_begin(p, c, KP_API_API_VERSIONS, ver, &start);
    kp_api_versions_req_encode(frame, ver, NULL, NULL);
    kp_send_request(p, c, KP_API_API_VERSIONS, ver, start, 1, NULL);
}

static void on_connected(kp_conn *c, void *opaque) {
    send_api_versions(opaque, c, KP_API_VERSIONS_MAX_VER);
}

static void handle_api_versions(kprod_t *p, kp_conn *c, kp_inflight *req, kp_rd *r) {
    kp_api_versions_resp resp;
    kprod_err_t err = kp_api_versions_resp_decode(r, req->api_version, &resp);
    if (err) {
        kp_conn_fail(c, KPROD_ERR__BAD_MSG, "malformed ApiVersions response", kp_now_ms(),
                     kp_sender_handlers(p));
        return;
    }
    if (resp.error_code == KPROD_ERR_UNSUPPORTED_VERSION && req->api_version > 0) {
        /* The broker listed what it speaks: ask again at its highest. */
        const kp_api_version_range *av = kp_api_versions_find(&resp, KP_API_API_VERSIONS);
        int16_t ver = av && av->max_version < req->api_version ? av->max_version : 0;
        kp_api_versions_resp_free(&resp);
        send_api_versions(p, c, ver);
        return;
    }
    if (resp.error_code) {
        char why[160];
        snprintf(why, sizeof(why), "ApiVersions failed on %s:%d: %s", c->host, c->port,
                 kprod_err_name((kprod_err_t)resp.error_code));
        kp_api_versions_resp_free(&resp);
        kp_conn_fail(c, KPROD_ERR__UNSUPPORTED_FEATURE, why, kp_now_ms(), kp_sender_handlers(p));
        return;
    }
    for (int32_t i = 0; i < resp.count; i++) {
        int16_t k = resp.apis[i].api_key;
        if (k >= 0 && k < 128) {
            c->api_min[k] = resp.apis[i].min_version;
            c->api_max[k] = resp.apis[i].max_version;
        }
    }
    kp_api_versions_resp_free(&resp);
    if (kp_conn_pick(c, KP_API_PRODUCE) < 0 || kp_conn_pick(c, KP_API_METADATA) < 0) {
        char why[200];
        snprintf(why, sizeof(why),
                 "broker %s:%d supports no Produce (v%d-%d) or Metadata (v%d-%d) version kprod "
                 "speaks",
                 c->host, c->port, KP_PRODUCE_MIN_VER, KP_PRODUCE_MAX_VER, KP_METADATA_MIN_VER,
                 KP_METADATA_MAX_VER);
        kp_conn_fail(c, KPROD_ERR__UNSUPPORTED_FEATURE, why, kp_now_ms(), kp_sender_handlers(p));
        return;
    }
    kp_conn_set_ready(c);
}

/* ---- batch outcomes ---- */

static int is_leader_error(kprod_err_t err) {
    return err == KPROD_ERR_NOT_LEADER_OR_FOLLOWER || err == KPROD_ERR_LEADER_NOT_AVAILABLE ||
           err == KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION || err == KPROD_ERR__TRANSPORT ||
           err == KPROD_ERR_REQUEST_TIMED_OUT || err == KPROD_ERR_NETWORK_EXCEPTION;
}

/* Exponential backoff from retry.backoff.ms to retry.backoff.max.ms, +-20%. */
static int64_t retry_backoff(const kp_config *cfg, int attempts) {
    int64_t b = cfg->retry_backoff_ms;
    for (int i = 1; i < attempts && b < cfg->retry_backoff_max_ms; i++)
        b *= 2;
    if (b > cfg->retry_backoff_max_ms)
        b = cfg->retry_backoff_max_ms;
    int64_t spread = b / 5;
    if (spread > 0)
        b += (int64_t)(random() % (2 * spread + 1)) - spread;
    return b;
}

/* Decides a batch's fate after an attempt (lock held). Returns 1 when the
 * batch is finished (report it), 0 when it was queued for a retry. */
static int settle_batch_locked(kprod_t *p, kp_batch *b, kprod_err_t err, int64_t now) {
    kp_partq *q = &b->topic->parts[b->partition];
    q->inflight--;
    if (!err || err == KPROD_ERR_DUPLICATE_SEQUENCE_NUMBER) {
        b->err = KPROD_ERR_NO_ERROR;
        kp_idem_acked_locked(p, q, b);
        return 1;
    }
    int retriable = kprod_err_is_retriable(err) || kp_idem_retriable_locked(p, q, b, err);
    if (!retriable || p->acc.closing) {
        b->err = p->acc.closing && retriable ? KPROD_ERR__PURGED_ON_CLOSE : err;
        kp_idem_failed_locked(p, q, b);
        return 1;
    }
    if (now - b->created_ms >= p->cfg.delivery_timeout_ms) {
        b->err = KPROD_ERR__MSG_TIMED_OUT;
        kp_idem_failed_locked(p, q, b);
        return 1;
    }
    if (b->attempts > p->cfg.retries) {
        b->err = err;
        kp_idem_failed_locked(p, q, b);
        return 1;
    }
    if (is_leader_error(err))
        p->md_refresh_now = 1;
    b->retry_at_ms = now + retry_backoff(&p->cfg, b->attempts);
    kp_acc_requeue_locked(q, b);
    return 0;
}

/* The finished batches are queued for their reports after acc.lock is
 * released: the application thread woken to serve them takes acc.lock
 * too, and found it still held. */
static void settle_batches(kprod_t *p, kp_batch **batches, const kprod_err_t *errs, int n) {
    int64_t now = kp_now_ms();
    kp_batch *finished[n > 0 ? n : 1];
    int nfinished = 0;
    pthread_mutex_lock(&p->acc.lock);
    for (int i = 0; i < n; i++) {
        if (settle_batch_locked(p, batches[i], errs[i], now)) {
            kp_acc_release_buffer_locked(&p->acc, batches[i]);
            finished[nfinished++] = batches[i];
        }
    }
    p->acc.sender_wake_ms = 0; /* retries may be due: look again */
    pthread_mutex_unlock(&p->acc.lock);
    kp_queue_reports(p, finished, nfinished);
}

/* May a batch the broker answered with err have been stored all the same?
 * REQUEST_TIMED_OUT (the leader appended it, replication did not finish in
 * time) and NOT_ENOUGH_REPLICAS_AFTER_APPEND say so; any other error code is
 * a refusal of this attempt. */
static int answer_may_have_stored(kprod_err_t err) {
    return err == KPROD_ERR_REQUEST_TIMED_OUT || err == KPROD_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND;
}

static void handle_produce(kprod_t *p, kp_conn *c, kp_inflight *req, kp_rd *r) {
    produce_ctx *ctx = req->ctx;
    kp_produce_resp resp;
    kprod_err_t derr = kp_produce_resp_decode(r, req->api_version, &resp);
    kprod_err_t errs[ctx->n];
    for (int i = 0; i < ctx->n; i++) {
        kp_batch *b = ctx->batches[i];
        errs[i] = KPROD_ERR__BAD_MSG; /* unless answered below */
        int answered = 0;
        for (int32_t t = 0; !derr && t < resp.topic_count; t++) {
            const kp_produce_resp_topic *rt = &resp.topics[t];
            if (!rt->name || strcmp(rt->name, b->topic->name) != 0)
                continue;
            for (int32_t k = 0; k < rt->partition_count; k++) {
                const kp_produce_resp_partition *rp = &rt->partitions[k];
                if (rp->index != b->partition)
                    continue;
                answered = 1;
                errs[i] = (kprod_err_t)rp->error_code;
                b->base_offset = rp->base_offset;
                b->log_append_time = rp->log_append_time_ms;
            }
        }
        /* possibly_persisted stays set from an earlier attempt that went
         * unanswered: a later refusal does not undo that one. (It used to be
         * set for every error answer, so a plain refusal such as
         * MESSAGE_TOO_LARGE was reported as possibly persisted: found by
         * tests/mock/test_mock_faults.c.) */
        if (!answered || answer_may_have_stored(errs[i]))
            b->possibly_persisted = 1;
        else if (!errs[i])
            b->possibly_persisted = 0;
    }
    if (!derr)
        kp_produce_resp_free(&resp);
    (void)c;
    settle_batches(p, ctx->batches, errs, ctx->n);
    free(ctx);
}

/* ---- connection callbacks ---- */

static void on_response(kp_conn *c, kp_inflight *req, const uint8_t *body, size_t len,
                        void *opaque) {
    kprod_t *p = opaque;
    kp_rd r;
    kp_rd_init(&r, body, len);
    if (kp_resp_header_flexible(req->api_key, req->api_version))
        kp_rd_skip_tags(&r);
    switch (req->api_key) {
    case KP_API_API_VERSIONS:
        handle_api_versions(p, c, req, &r);
        break;
    case KP_API_METADATA:
        kp_md_handle_response(p, c, req, &r);
        break;
    case KP_API_INIT_PRODUCER_ID:
        kp_idem_handle_response(p, c, req, &r);
        break;
    case KP_API_PRODUCE:
        handle_produce(p, c, req, &r);
        break;
    default:
        break;
    }
}

static void on_fail(kp_conn *c, kp_inflight *req, kprod_err_t err, void *opaque) {
    kprod_t *p = opaque;
    (void)c;
    switch (req->api_key) {
    case KP_API_METADATA:
        kp_md_request_failed(p, req, err);
        break;
    case KP_API_INIT_PRODUCER_ID:
        kp_idem_request_failed(p, req, err);
        break;
    case KP_API_PRODUCE: {
        produce_ctx *ctx = req->ctx;
        kprod_err_t errs[ctx->n];
        /* A connection lost to a garbled stream (another request's
         * response, say) is a network failure for the requests still in
         * flight on it, retriable as Java treats it; delivery.timeout.ms
         * still bounds a broker that keeps sending garbage. */
        if (err == KPROD_ERR__BAD_MSG)
            err = KPROD_ERR__TRANSPORT;
        for (int i = 0; i < ctx->n; i++) {
            errs[i] = atomic_load(&p->stop) ? KPROD_ERR__PURGED_ON_CLOSE : err;
            if (req->written)
                ctx->batches[i]->possibly_persisted = 1;
        }
        settle_batches(p, ctx->batches, errs, ctx->n);
        free(ctx);
        break;
    }
    default:
        break;
    }
}

static void on_written(kp_conn *c, kp_inflight *req, void *opaque) {
    kprod_t *p = opaque;
    (void)c;
    if (req->api_key != KP_API_PRODUCE)
        return;
    produce_ctx *ctx = req->ctx; /* acks=0: written is all we will know */
    kprod_err_t errs[ctx->n];
    for (int i = 0; i < ctx->n; i++) {
        errs[i] = KPROD_ERR_NO_ERROR;
        ctx->batches[i]->base_offset = -1;
    }
    settle_batches(p, ctx->batches, errs, ctx->n);
    free(ctx);
}

const kp_conn_handlers *kp_sender_handlers(kprod_t *p) {
    static _Thread_local kp_conn_handlers h;
    h.on_response = on_response;
    h.on_fail = on_fail;
    h.on_written = on_written;
    h.on_connected = on_connected;
    h.opaque = p;
    return &h;
}

/* ---- draining the accumulator ---- */

/* Seals a batch for the wire (first attempt only) with the producer's id. */
static kprod_err_t seal_batch(kprod_t *p, kp_batch *b) {
    if (b->sealed) {
        /* A retry: after an epoch bump its id, epoch and sequence change. */
        if (p->cfg.enable_idempotence)
            kp_rb_set_producer(b->w.buf.data, b->w.buf.len, p->producer_id, p->producer_epoch,
                               b->base_seq);
        return KPROD_ERR_NO_ERROR;
    }
    kp_rb_seal_opts o = {
        .codec = p->cfg.compression_type,
        .level = p->cfg.compression_level,
        .producer_id = p->producer_id,
        .producer_epoch = p->producer_epoch,
        .base_sequence = b->base_seq,
        .partition_leader_epoch = -1,
    };
    kprod_err_t err = kp_rb_seal(&b->w, &o);
    if (err)
        return err;
    b->wire = b->w.buf.data;
    b->wire_len = b->w.buf.len;
    b->sealed = 1;
    return KPROD_ERR_NO_ERROR;
}

/* Moves ready batches to their leaders' pending lists (lock held) and
 * returns when the sender should look again. Without a producer id yet
 * (may_send 0) batches are only expired.
 *
 * Every `continue` below must leave something that wakes the loop when the
 * batch can go: a socket event (a response, a connection coming up), a
 * deadline in wake_at, or an append. A bare wake_at = now for a state that
 * lasts is a busy loop. */
static int64_t collect_ready_locked(kprod_t *p, int64_t now, int may_send) {
    kp_acc *acc = &p->acc;
    int64_t wake_at = now + 1000;
    int idem = p->cfg.enable_idempotence;
    for (size_t i = 0; i < acc->nbuckets; i++) {
        for (kp_topic *t = acc->buckets[i]; t; t = t->hnext) {
            /* Fix: here was `if (t->md_wanted) wake_at = now;`, a busy loop
             * for as long as metadata was wanted: while its request was in
             * flight, during the retry backoff, and for ever for a topic
             * that does not exist. kp_md_maybe_request says when metadata
             * can next be asked for; this only wakes the loop when it newly
             * wants some (a leader missing, below). */
            for (int32_t part = 0; part < t->partition_count; part++) {
                kp_partq *q = &t->parts[part];
                kp_batch *b = q->head;
                if (!b)
                    continue;
                if (q->inflight == 0 && now - b->created_ms >= p->cfg.delivery_timeout_ms) {
                    kp_sender_expire_locked(p, t, q, now);
                    b = q->head;
                    if (!b)
                        continue;
                }
                int64_t expire_at = b->created_ms + p->cfg.delivery_timeout_ms;
                /* Fix: an expired head with batches of q still in flight
                 * made wake_at = now, a busy loop until their response (up
                 * to request.timeout.ms), and could even be sent. It waits,
                 * unsent; the response wakes the loop and it expires. */
                if (expire_at <= now)
                    continue;
                if (expire_at < wake_at)
                    wake_at = expire_at;
                /* Fix: without a producer id this function was not called
                 * at all, so nothing expired: records waited past
                 * delivery.timeout.ms for as long as InitProducerId failed. */
                if (!may_send)
                    continue;
                if (!kp_acc_batch_ready_locked(acc, b, now, &wake_at))
                    continue;
                kp_broker *br = q->leader < 0 ? NULL : kp_broker_find(p, q->leader);
                if (!br) {
                    if (!t->md_wanted) {
                        kp_acc_want_metadata_locked(acc, t);
                        wake_at = now; /* once: kp_md_maybe_request takes over */
                    }
                    continue;
                }
                br->wanted = 1;
                if (br->conn.state == KP_CONN_DOWN) {
                    /* Fix: keep_connections ran before this turn wanted the
                     * broker, and nothing woke the loop for it: a first
                     * connection to a leader waited up to a second. */
                    int64_t at = br->conn.next_attempt_ms > now ? br->conn.next_attempt_ms : now;
                    if (at < wake_at)
                        wake_at = at;
                    continue;
                }
                if (br->conn.state != KP_CONN_READY)
                    continue;
                if (br->conn.ninflight >= p->cfg.max_in_flight)
                    continue;
                if (!kp_idem_may_send_locked(p, q, b))
                    continue;
                /* Without idempotence a retry waits for the partition's
                 * other batches; with max.in.flight=1 every batch does (as
                 * Java mutes the partition): the limit is per connection,
                 * and after a leader move a batch on the new leader's
                 * connection overtook one still in flight to the old
                 * leader (found by tests/mock/test_mock_faults.c). */
                if (!idem && q->inflight > 0 && (b->attempts > 0 || p->cfg.max_in_flight == 1))
                    continue;
                if (br->npending == br->cap_pending) {
                    int ncap = br->cap_pending ? br->cap_pending * 2 : 16;
                    kp_batch **np = realloc(br->pending, (size_t)ncap * sizeof(*np));
                    if (!np)
                        continue;
                    br->pending = np;
                    br->cap_pending = ncap;
                }
                if (br->pending_bytes + b->w.buf.len > (size_t)p->cfg.max_request_size &&
                    br->npending > 0) {
                    wake_at = now; /* next request, next turn */
                    continue;
                }
                kp_acc_pop_locked(acc, q);
                q->inflight++;
                kp_idem_assign_seq_locked(p, q, b);
                b->attempts++;
                br->pending[br->npending++] = b;
                br->pending_bytes += b->w.buf.len;
                /* A request holds one batch per partition, so the next
                 * ready batch of q goes in the next turn's request, at once:
                 * waiting for a response instead kept one partition at one
                 * request in flight whatever max.in.flight said. (Each turn
                 * that comes back here pops a batch, so this cannot spin.) */
                if (q->head && kp_acc_batch_ready_locked(acc, q->head, now, &wake_at))
                    wake_at = now;
            }
        }
    }
    acc->sender_wake_ms = wake_at;
    return wake_at;
}

/* Fails the head batches of q that are past delivery.timeout.ms (lock held,
 * q->inflight == 0).
 *
 * Idempotence: a head batch that was sent before (b->base_seq >= 0) leaves
 * a gap in its partition's sequences when it expires here (as does a batch
 * failed for good after its sequence was given); kp_idem_failed_locked then
 * asks for an epoch bump (KIP-360), after which every partition starts again
 * at sequence 0 (docs/IDEMPOTENCE.md). */
void kp_sender_expire_locked(kprod_t *p, kp_topic *t, kp_partq *q, int64_t now) {
    (void)t;
    while (q->head && now - q->head->created_ms >= p->cfg.delivery_timeout_ms) {
        kp_batch *b = kp_acc_pop_locked(&p->acc, q);
        b->err = KPROD_ERR__MSG_TIMED_OUT;
        kp_idem_failed_locked(p, q, b);
        kp_report_batch(p, b);
    }
}

/* Builds one Produce request of the n sealed batches in br->pending and
 * queues it on br's connection. Returns 0, or -1 when out of memory (the
 * batches are then still the caller's). */
static int write_produce(kprod_t *p, kp_broker *br, int n) {
    produce_ctx *ctx = malloc(sizeof(*ctx) + (size_t)n * sizeof(kp_batch *));
    if (!ctx)
        return -1;
    ctx->n = n;
    memcpy(ctx->batches, br->pending, (size_t)n * sizeof(kp_batch *));
    int16_t ver = kp_conn_pick(&br->conn, KP_API_PRODUCE);
    size_t start;
    kp_buf *frame = kp_frame_begin(p, &br->conn, KP_API_PRODUCE, ver, &start);
    /* Group by topic: batches of one topic are adjacent after a sort. */
    int ntopics = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = ctx->batches[j]->topic == ctx->batches[i]->topic;
        ntopics += !seen;
    }
    kp_produce_req_writer w;
    kp_produce_req_begin(&w, frame, ver, NULL, (int16_t)p->cfg.acks,
                         (int32_t)p->cfg.request_timeout_ms, ntopics);
    int order = 0;
    for (int i = 0; i < n; i++) {
        kp_topic *t = ctx->batches[i]->topic;
        int first = 1;
        for (int j = 0; j < i && first; j++)
            first = ctx->batches[j]->topic != t;
        if (!first)
            continue;
        int32_t cnt = 0;
        for (int j = i; j < n; j++)
            cnt += ctx->batches[j]->topic == t;
        kp_produce_req_topic(&w, t->name, cnt);
        for (int j = i; j < n; j++) {
            kp_batch *b = ctx->batches[j];
            if (b->topic != t)
                continue;
            kp_produce_req_partition(&w, b->partition, b->wire, b->wire_len);
            br->pending[order++] = b; /* request order, for the ctx */
        }
    }
    memcpy(ctx->batches, br->pending, (size_t)n * sizeof(kp_batch *));
    if (kp_produce_req_end(&w) == KPROD_ERR_NO_ERROR &&
        kp_send_request(p, &br->conn, KP_API_PRODUCE, ver, start, p->cfg.acks != 0, ctx) == 0)
        return 0;
    kp_conn_drop_frame(&br->conn, start); /* gone already if the send failed */
    free(ctx);
    return -1;
}

/* Writes one Produce request holding br's pending batches. Every batch gets
 * its outcome exactly once: through the request, or here. */
static void send_produce(kprod_t *p, kp_broker *br) {
    int n = br->npending;
    br->npending = 0;
    br->pending_bytes = 0;
    kp_batch *failed[n];
    kprod_err_t errs[n];
    int nfailed = 0, nsealed = 0;
    /* Fix: a batch that could not be sealed failed the whole request, and
     * every other batch in it was reported as _NO_MEMORY. It fails alone
     * now, with its own error. */
    for (int i = 0; i < n; i++) {
        kp_batch *b = br->pending[i];
        kprod_err_t err = seal_batch(p, b);
        if (err) {
            failed[nfailed] = b;
            errs[nfailed++] = err;
            continue;
        }
        br->pending[nsealed++] = b;
    }
    if (nsealed > 0 && write_produce(p, br, nsealed) != 0) {
        for (int i = 0; i < nsealed; i++) {
            failed[nfailed] = br->pending[i];
            errs[nfailed++] = KPROD_ERR__NO_MEMORY;
        }
    }
    if (nfailed > 0)
        settle_batches(p, failed, errs, nfailed);
}

/* ---- the loop ---- */

/* Connects what is needed: leaders with waiting batches, and some broker
 * for metadata when none is up. Returns the next reconnect time. */
static int64_t keep_connections(kprod_t *p, int64_t now) {
    int64_t next = INT64_MAX;
    for (int i = 0; i < p->nbrokers; i++) {
        kp_broker *br = p->brokers[i];
        /* A broker we cannot reach may have lost its partitions to another:
         * each failed attempt to reach a wanted one asks for fresh metadata
         * once, as the Java client does on a disconnect. Without this, the
         * records of a partition whose leader went down waited for that
         * broker even after the leadership moved (found by
         * tests/mock/test_mock_faults.c), until metadata.max.age.ms. */
        if (br->conn.state == KP_CONN_READY)
            br->md_asked = 0;
        else if (br->wanted && br->conn.state == KP_CONN_DOWN && br->conn.failures > br->md_asked) {
            br->md_asked = br->conn.failures;
            p->md_refresh_now = 1;
        }
        if (!br->wanted || br->conn.state != KP_CONN_DOWN)
            continue;
        if (br->conn.next_attempt_ms <= now)
            kp_conn_connect(&br->conn, now);
        if (br->conn.state == KP_CONN_DOWN && br->conn.next_attempt_ms < next)
            next = br->conn.next_attempt_ms;
    }
    return next;
}

/* Fails every batch waiting in the accumulator (lock held). */
static void fail_queued_locked(kprod_t *p, kprod_err_t err) {
    for (size_t i = 0; i < p->acc.nbuckets; i++)
        for (kp_topic *t = p->acc.buckets[i]; t; t = t->hnext)
            for (int32_t part = 0; part < t->partition_count; part++) {
                kp_batch *b;
                while ((b = kp_acc_pop_locked(&p->acc, &t->parts[part]))) {
                    b->err = err;
                    kp_report_batch(p, b);
                }
            }
}

/* On close: everything not yet sent fails with _PURGED_ON_CLOSE, every
 * request in flight too (marked possibly persisted). */
static void purge_all(kprod_t *p) {
    int64_t now = kp_now_ms();
    pthread_mutex_lock(&p->acc.lock);
    fail_queued_locked(p, KPROD_ERR__PURGED_ON_CLOSE);
    pthread_mutex_unlock(&p->acc.lock);
    for (int i = 0; i < p->nbrokers; i++)
        kp_conn_fail(&p->brokers[i]->conn, KPROD_ERR__PURGED_ON_CLOSE, "producer closed", now,
                     kp_sender_handlers(p));
    kp_md_fail_waiter(p, KPROD_ERR__CLOSED);
}

static void *sender_main(void *arg) {
    kprod_t *p = arg;
    struct pollfd *fds = NULL;
    int fds_cap = 0;
    for (;;) {
        int64_t now = kp_now_ms();
        if (atomic_load(&p->stop)) {
            purge_all(p);
            break;
        }
        int64_t wake_at = kp_md_maybe_request(p, now);
        int64_t t = kp_idem_maybe_init(p, now);
        if (t < wake_at)
            wake_at = t;
        pthread_mutex_lock(&p->acc.lock);
        if (p->fatal_err)
            fail_queued_locked(p, KPROD_ERR__FATAL);
        /* Without a producer id (or during an epoch bump) nothing is sent,
         * but delivery.timeout.ms still runs out. */
        t = collect_ready_locked(p, now, kp_idem_ready(p) && !p->fatal_err);
        pthread_mutex_unlock(&p->acc.lock);
        if (t < wake_at)
            wake_at = t;
        /* After collecting: a leader that batches have just asked for
         * (br->wanted) starts connecting now, not one poll timeout later. */
        t = keep_connections(p, now);
        if (t < wake_at)
            wake_at = t;
        for (int i = 0; i < p->nbrokers; i++)
            if (p->brokers[i]->npending)
                send_produce(p, p->brokers[i]);

        /* wait */
        if (fds_cap < p->nbrokers + 1) {
            fds_cap = p->nbrokers + 8;
            struct pollfd *nf = realloc(fds, (size_t)fds_cap * sizeof(*nf));
            if (!nf)
                break;
            fds = nf;
        }
        fds[0].fd = p->wake_fd;
        fds[0].events = POLLIN;
        fds[0].revents = 0;
        for (int i = 0; i < p->nbrokers; i++) {
            kp_conn *c = &p->brokers[i]->conn;
            /* Flush fresh requests before sleeping. */
            kp_conn_io(c, 0, now, kp_sender_handlers(p));
            fds[i + 1].fd = c->fd;
            fds[i + 1].events = kp_conn_events(c);
            fds[i + 1].revents = 0;
            int64_t d = kp_conn_next_deadline(c);
            if (d < wake_at)
                wake_at = d;
        }
        now = kp_now_ms();
        int timeout = wake_at <= now ? 0 : (wake_at - now > 1000 ? 1000 : (int)(wake_at - now));
        poll(fds, (nfds_t)p->nbrokers + 1, timeout);
        if (fds[0].revents & POLLIN) {
            uint64_t v;
            ssize_t rc = read(p->wake_fd, &v, sizeof(v));
            (void)rc;
        }
        now = kp_now_ms();
        int nb = p->nbrokers; /* handlers may add brokers: only poll the known ones */
        for (int i = 0; i < nb; i++)
            kp_conn_io(&p->brokers[i]->conn, fds[i + 1].revents, now, kp_sender_handlers(p));
    }
    free(fds);
    for (int i = 0; i < p->nbrokers; i++) {
        kp_conn_destroy(&p->brokers[i]->conn);
        free(p->brokers[i]->pending);
        free(p->brokers[i]);
    }
    free(p->brokers);
    p->brokers = NULL;
    p->nbrokers = 0;
    return NULL;
}

int kp_sender_start(kprod_t *p) {
    p->conn_settings.setup_timeout_ms = p->cfg.socket_connection_setup_timeout_ms;
    p->conn_settings.reconnect_backoff_ms = p->cfg.reconnect_backoff_ms;
    p->conn_settings.reconnect_backoff_max_ms = p->cfg.reconnect_backoff_max_ms;
    if (kp_md_add_bootstrap(p) != 0)
        return -1;
    return pthread_create(&p->sender, NULL, sender_main, p);
}
