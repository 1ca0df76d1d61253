/* The produce client (see produce.h). */
#include "sender/produce.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "protocol/api_keys.h"
#include "protocol/produce.h"
#include "protocol/record_batch.h"
#include "sender/decide.h"

/* The batches of one Produce request, in request order, handed back with
 * its response. */
typedef struct produce_req {
    int n;
    kp_batch *batches[];
} produce_req;

/* A batch taken this turn, with the broker it goes to. */
typedef struct outgoing {
    kp_batch *b;
    kp_broker *br;
} outgoing;

struct kp_produce {
    kp_produce_deps d;
    kp_batchvec taken, expired; /* reused every turn */
    kp_batchvec recovered;      /* settled by a read of the log */
    kp_recov_ask *asks;         /* reads the drain asked for this turn */
    int nasks, asks_cap;
    outgoing *out;
    int out_cap;
    /* the request being collected for each broker this turn, by index */
    size_t *req_bytes;
    int *req_batches;
    int req_cap;
    int inflight; /* batches in flight, all partitions */
    int closing;
    int may_send;              /* this turn's */
    int transactional;         /* transactional.id set */
    const char *txn_abort_why; /* the transaction failed or is aborting (this turn) */
};

/* Stands in for a partition that metadata has not named (yet). */
static kp_spart no_part = {.leader = -1, .leader_epoch = -1};

static kp_spart *part_of(kp_produce *pc, const kp_batch *b) {
    kp_spart *sp = kp_parts_get(pc->d.parts, b->topic_id, b->partition);
    return sp ? sp : &no_part;
}

kp_produce *kp_produce_new(const kp_produce_deps *deps) {
    kp_produce *pc = calloc(1, sizeof(*pc));
    if (pc) {
        pc->d = *deps;
        pc->transactional = kp_txn_enabled(deps->txn);
    }
    return pc;
}

void kp_produce_free(kp_produce *pc) {
    if (!pc)
        return;
    kp_batchvec_free(&pc->taken);
    kp_batchvec_free(&pc->expired);
    kp_batchvec_free(&pc->recovered);
    free(pc->asks);
    free(pc->out);
    free(pc->req_bytes);
    free(pc->req_batches);
    free(pc);
}

int kp_produce_inflight(const kp_produce *pc) { return pc->inflight; }
void kp_produce_closing(kp_produce *pc) { pc->closing = 1; }
void kp_produce_txn_aborting(kp_produce *pc, const char *why) { pc->txn_abort_why = why; }

/* ---- outcomes ---- */

/* A batch failed without an attempt's outcome (expired, purged). */
static void count_failed(kp_produce *pc, const kp_batch *b) {
    kp_spart *sp = kp_parts_get(pc->d.parts, b->topic_id, b->partition);
    if (sp)
        sp->cnt.records_failed += (uint64_t)b->w.count;
}

/* The statistics of an attempt's outcome. */
static void count_outcome(kp_spart *sp, const kp_batch *b, kp_outcome o, int64_t now_ms) {
    if (sp == &no_part)
        return; /* shared by every producer: never written */
    kp_part_counters *c = &sp->cnt;
    if (!o.done) {
        c->batches_retried++;
    } else if (o.err) {
        c->records_failed += (uint64_t)b->w.count;
    } else {
        c->records_acked += (uint64_t)b->w.count;
        c->bytes_acked += b->wire_len;
        if (!c->latency)
            c->latency = calloc(1, sizeof(*c->latency));
        if (c->latency)
            kp_hist_add(c->latency, (now_ms - b->created_ms) * 1000);
    }
}

/* Replaces b's failure text. Only failing paths come here: the report of
 * a delivered record never costs an allocation. On out of memory the old
 * text stays (the report falls back to the code's text). */
static void set_detail(kp_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_detail(kp_batch *b, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char *d = strdup(buf);
    if (d) {
        free(b->errstr);
        b->errstr = d;
    }
}

/* What a broker's refusal means for the user, where Kafka's own text does
 * not say what to change. */
static const char *refusal_hint(kprod_err_t err) {
    switch (err) {
    case KPROD_ERR_MESSAGE_TOO_LARGE:
    case KPROD_ERR_RECORD_LIST_TOO_LARGE:
        return ": the batch is larger than the topic's max.message.bytes (or the broker's "
               "message.max.bytes); raise that, or lower batch.size and max.request.size";
    case KPROD_ERR_TOPIC_AUTHORIZATION_FAILED:
        return ": this client's principal may not write to the topic (a Write ACL is missing)";
    case KPROD_ERR_INVALID_REQUIRED_ACKS:
        return ": use acks 0, 1 or all";
    case KPROD_ERR_NOT_ENOUGH_REPLICAS:
        return ": fewer in-sync replicas than the topic's min.insync.replicas";
    default:
        return "";
    }
}

/* The text of one failed attempt: who failed it and how. */
static void note_attempt(kp_batch *b, const kp_broker *br, kprod_err_t err) {
    if (!br)
        set_detail(b, "%s", kprod_err_str(err));
    else if (err == KPROD_ERR__TRANSPORT || err == KPROD_ERR_REQUEST_TIMED_OUT ||
             err == KPROD_ERR__NO_MEMORY)
        set_detail(b, "%s", br->conn.err[0] ? br->conn.err : kprod_err_str(err));
    else if (err == KPROD_ERR_UNSUPPORTED_COMPRESSION_TYPE) /* refused here: kp_decide_codec */
        set_detail(b,
                   "the leader of partition %d of topic '%s', broker %d (%s:%d), takes Produce "
                   "up to v%d; zstd needs v7, Kafka 2.1 or later: not sent (choose another "
                   "compression.type)",
                   (int)b->partition, b->topic_name, (int)br->id, br->conn.host, br->conn.port,
                   (int)kp_rl_version(br, KP_API_PRODUCE));
    else
        set_detail(b, "broker %d (%s:%d) answered %s for partition %d of topic '%s': %s%s",
                   (int)br->id, br->conn.host, br->conn.port, kprod_err_name(err),
                   (int)b->partition, b->topic_name, kprod_err_str(err), refusal_hint(err));
}

/* The text of a batch that failed for good (code err) after its attempts. */
static void note_final(const kp_produce *pc, kp_batch *b, kprod_err_t err) {
    const char *last = b->errstr ? b->errstr : NULL;
    if (err == KPROD_ERR__MSG_TIMED_OUT) {
        if (last)
            set_detail(b,
                       "not delivered within delivery.timeout.ms (%lld ms), %d attempts; the "
                       "last: %s",
                       (long long)pc->d.cfg->delivery_timeout_ms, b->attempts, last);
        else
            set_detail(b, "not delivered within delivery.timeout.ms (%lld ms)",
                       (long long)pc->d.cfg->delivery_timeout_ms);
    } else if (err == KPROD_ERR__PURGED_ON_CLOSE) {
        set_detail(b, "the producer was closed before this record was delivered%s%s",
                   last ? "; the last attempt: " : "", last ? last : "");
    } else if (kprod_err_is_retriable(err) && b->attempts > pc->d.cfg->retries && last) {
        set_detail(b, "no attempt of %d succeeded (retries=%d); the last: %s", b->attempts,
                   (int)pc->d.cfg->retries, last);
    }
}

/* ---- ambiguity: batches that may be stored unacknowledged ---- */

/* Does b carry a sequence of the current generation? */
static int has_live_seq(const kp_produce *pc, const kp_batch *b) {
    return pc->d.idem->enabled && b->base_seq >= 0 && b->seq_gen == pc->d.idem->gen;
}

/* A marked batch is settled: when it was the partition's last mark, a
 * read of the log for it is no longer needed (timed_out: because the
 * batches expired). */
static void unmark(kp_produce *pc, kp_spart *sp, kp_batch *b, int timed_out) {
    if (!b->maybe_stored_gen || sp == &no_part)
        return;
    kp_recov_unmark(&sp->recov, b->maybe_stored_gen);
    b->maybe_stored_gen = 0;
    if (sp->recov.reading && sp->recov.amb_count == 0) {
        kp_recov_cancel(pc->d.recov, b->topic_id, b->partition, timed_out);
        sp->recov.reading = 0;
    }
}

/* An attempt of b may have stored it and b goes back for a retry: it is
 * marked, so that its partition is read back before its sequence stops
 * counting. Not in a transaction: there a sequence stops counting only
 * when the transaction is aborted, and aborted records are never read. */
static void mark(kp_produce *pc, kp_spart *sp, kp_batch *b) {
    if (pc->transactional || !b->possibly_persisted || !has_live_seq(pc, b) ||
        b->maybe_stored_gen == b->seq_gen || sp == &no_part)
        return;
    const kp_idem *idem = pc->d.idem;
    if (kp_recov_mark(&sp->recov, b->seq_gen, idem->producer_id, idem->producer_epoch, b->base_seq,
                      b->w.count) != 0) {
        KP_WARN(&pc->d.cfg->log, KP_DBG_RECOVERY,
                "partition %d of '%s': a batch may be stored while batches of an older "
                "generation are still unsettled; it is not tracked",
                (int)b->partition, b->topic_name);
        return;
    }
    b->maybe_stored_gen = b->seq_gen;
}

/* In a transaction that failed or is being aborted, an attempt's end is
 * the batch's end: _TXN_ABORTED, whether it was stored (then possibly
 * persisted: read_committed readers never see it) or not. */
static void txn_aborted(kp_produce *pc, kp_batch *b, kp_outcome *o) {
    if (!o->err)
        b->possibly_persisted = 1;
    o->done = 1;
    o->err = KPROD_ERR__TXN_ABORTED;
    set_detail(b, "%s", pc->txn_abort_why);
}

/* A record of a transaction failed for good: so does the transaction. */
static void txn_failed(kp_produce *pc, const kp_batch *b) {
    if (b->err && b->err != KPROD_ERR__TXN_ABORTED && b->err != KPROD_ERR__PURGED_ON_CLOSE &&
        b->err != KPROD_ERR__FATAL)
        kp_txn_record_failed(pc->d.txn, b->err, b->errstr);
}

/* Decides each batch's fate after an attempt: finished ones give their
 * buffers back and are queued for their reports (after the accumulator's
 * lock is released: the thread woken to serve them takes it too), the
 * others go back to their queues for a retry. */
static void settle(kp_produce *pc, const kp_broker *br, kp_batch *const *batches,
                   const kprod_err_t *errs, int n) {
    if (n <= 0)
        return;
    kp_batch **finished = malloc((size_t)n * 2 * sizeof(*finished));
    kp_batch *one[2];
    if (!finished) /* settle one at a time rather than lose a batch */
        finished = one;
    int step = finished == one ? 1 : n;
    for (int start = 0; start < n; start += step) {
        kp_batch **retry = finished + step;
        int nf = 0, nr = 0;
        int64_t now = kp_now_ms();
        int closing = pc->closing || kp_acc_closing(pc->d.acc);
        for (int i = start; i < start + step && i < n; i++) {
            kp_batch *b = batches[i];
            kprod_err_t err = errs[i];
            kp_spart *sp = part_of(pc, b);
            sp->inflight--;
            pc->inflight--;
            kp_outcome_facts f = {
                .err = err,
                .closing = closing,
                .created_ms = b->created_ms,
                .delivery_timeout_ms = pc->d.cfg->delivery_timeout_ms,
                .attempts = b->attempts,
                .retries = pc->d.cfg->retries,
                .backoff_ms = pc->d.cfg->retry_backoff_ms,
                .backoff_max_ms = pc->d.cfg->retry_backoff_max_ms,
            };
            if (err && err != KPROD_ERR_DUPLICATE_SEQUENCE_NUMBER)
                f.retriable =
                    kprod_err_is_retriable(err) || kp_idem_retriable(pc->d.idem, &sp->idem, b, err);
            kp_outcome o = kp_decide_outcome(&f, now, random());
            if (err && err != KPROD_ERR_DUPLICATE_SEQUENCE_NUMBER &&
                err != KPROD_ERR__MSG_TIMED_OUT && err != KPROD_ERR__PURGED_ON_CLOSE)
                note_attempt(b, br, err);
            if (pc->txn_abort_why && !closing)
                txn_aborted(pc, b, &o);
            count_outcome(sp, b, o, now);
            if (o.done) {
                b->err = o.err;
                if (o.err && o.err != KPROD_ERR__TXN_ABORTED)
                    note_final(pc, b, o.err);
                if (!o.err && has_live_seq(pc, b) && sp != &no_part)
                    kp_recov_note_ack(&sp->recov, b->seq_gen, b->base_seq, b->w.count,
                                      b->base_offset);
                if (o.err)
                    kp_idem_failed(pc->d.idem, &sp->idem, b);
                else
                    kp_idem_acked(pc->d.idem, &sp->idem, b);
                unmark(pc, sp, b, 0);
                if (pc->transactional)
                    txn_failed(pc, b);
                finished[nf++] = b;
            } else {
                mark(pc, sp, b);
                b->retry_at_ms = o.retry_at_ms;
                if (o.refresh_metadata)
                    kp_md_refresh_soon(pc->d.md);
                retry[nr++] = b;
            }
        }
        kp_acc_settle(pc->d.acc, finished, nf, retry, nr);
        kp_reports_push(pc->d.reports, finished, nf);
    }
    if (finished != one)
        free(finished);
}

/* May a batch the broker answered with err have been stored all the same?
 * REQUEST_TIMED_OUT (the leader appended it, replication did not finish in
 * time) and NOT_ENOUGH_REPLICAS_AFTER_APPEND say so; any other error code is
 * a refusal of this attempt. */
static int answer_may_have_stored(kprod_err_t err) {
    return err == KPROD_ERR_REQUEST_TIMED_OUT || err == KPROD_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND;
}

/* The index of the first batch of topic `name` in the request (batches of
 * a topic are adjacent), trying `hint` first: answers come in request
 * order. -1 if the request has no such topic. */
static int find_topic(const produce_req *req, const char *name, int hint) {
    if (hint < req->n && strcmp(req->batches[hint]->topic_name, name) == 0)
        return hint;
    for (int i = 0; i < req->n; i++)
        if ((i == 0 || req->batches[i - 1]->topic_name != req->batches[i]->topic_name) &&
            strcmp(req->batches[i]->topic_name, name) == 0)
            return i;
    return -1;
}

/* The batch of partition `index` in the topic run starting at `first`,
 * trying position first + k first. */
static int find_partition(const produce_req *req, int first, int k, int32_t index) {
    const char *name = req->batches[first]->topic_name;
    if (k >= 0 && first + k < req->n && req->batches[first + k]->topic_name == name &&
        req->batches[first + k]->partition == index)
        return first + k;
    for (int i = first; i < req->n && req->batches[i]->topic_name == name; i++)
        if (req->batches[i]->partition == index)
            return i;
    return -1;
}

/* Settles n batches that share one error. */
static void settle_same(kp_produce *pc, const kp_broker *br, kp_batch *const *batches, int n,
                        kprod_err_t err) {
    kprod_err_t *errs = malloc((size_t)n * sizeof(*errs));
    if (!errs) {
        for (int i = 0; i < n; i++)
            settle(pc, br, &batches[i], &err, 1);
        return;
    }
    for (int i = 0; i < n; i++)
        errs[i] = err;
    settle(pc, br, batches, errs, n);
    free(errs);
}

static void produce_response(void *opaque, kp_broker *br, void *ctx, int16_t version, kp_rd *r) {
    kp_produce *pc = opaque;
    produce_req *req = ctx;
    kprod_err_t *errs = malloc((size_t)req->n * (sizeof(*errs) + 1));
    if (!errs) {
        /* Out of memory for the answer: treat it as lost, which a retry of
         * an idempotent producer settles without a duplicate. */
        for (int i = 0; i < req->n; i++)
            req->batches[i]->possibly_persisted = 1;
        settle_same(pc, br, req->batches, req->n, KPROD_ERR__TRANSPORT);
        free(req);
        return;
    }
    uint8_t *answered = (uint8_t *)(errs + req->n);
    memset(answered, 0, (size_t)req->n);
    kp_produce_resp resp;
    kprod_err_t derr = kp_produce_resp_decode(r, version, &resp);
    int next_topic = 0, impossible = 0;
    for (int32_t t = 0; !derr && t < resp.topic_count; t++) {
        const kp_produce_resp_topic *rt = &resp.topics[t];
        int first = rt->name ? find_topic(req, rt->name, next_topic) : -1;
        if (first < 0)
            continue; /* not asked for: ignored */
        for (int32_t k = 0; k < rt->partition_count; k++) {
            const kp_produce_resp_partition *rp = &rt->partitions[k];
            int i = find_partition(req, first, k, rp->index);
            if (i < 0)
                continue;
            kp_batch *b = req->batches[i];
            /* A stored batch's offsets base .. base + count - 1 must fit,
             * and so must the log's next offset, base + count. */
            if (!rp->error_code &&
                (rp->base_offset < -1 || rp->base_offset > INT64_MAX - b->w.count ||
                 rp->log_append_time_ms < -1))
                impossible = 1;
            answered[i] = 1;
            errs[i] = (kprod_err_t)rp->error_code;
            b->base_offset = rp->base_offset;
            b->log_append_time = rp->log_append_time_ms;
            if (i + 1 > next_topic)
                next_topic = i + 1;
        }
    }
    if (!derr) {
        kp_conn_note_throttle(&br->conn, resp.throttle_ms);
        kp_produce_resp_free(&resp);
    }
    for (int i = 0; i < req->n; i++)
        impossible |= !answered[i]; /* every partition asked for is answered */
    if (derr || impossible) {
        /* A protocol error: the connection goes (its backoff kept), and the
         * request's batches are retried like any lost answer. */
        for (int i = 0; i < req->n; i++)
            req->batches[i]->possibly_persisted = 1;
        settle_same(pc, NULL, req->batches, req->n, KPROD_ERR__TRANSPORT);
        free(errs);
        free(req);
        kp_rl_fail_broker(pc->d.rl, br, KPROD_ERR__BAD_MSG,
                          derr ? "malformed Produce response"
                               : "Produce answer that leaves a partition out or gives an "
                                 "impossible offset or timestamp");
        return;
    }
    for (int i = 0; i < req->n; i++) {
        kp_batch *b = req->batches[i];
        /* possibly_persisted stays set from an earlier attempt that went
         * unanswered: a later refusal does not undo that one. */
        if (answer_may_have_stored(errs[i]))
            b->possibly_persisted = 1;
        else if (!errs[i])
            b->possibly_persisted = 0;
    }
    settle(pc, br, req->batches, errs, req->n);
    free(errs);
    free(req);
}

static void produce_fail(void *opaque, kp_broker *br, void *ctx, kprod_err_t err, int written) {
    kp_produce *pc = opaque;
    produce_req *req = ctx;
    /* A connection lost to a garbled stream (another request's response,
     * say) is a network failure for the requests still in flight on it,
     * retriable as Java treats it; delivery.timeout.ms still bounds a
     * broker that keeps sending garbage. */
    if (err == KPROD_ERR__BAD_MSG)
        err = KPROD_ERR__TRANSPORT;
    if (pc->closing)
        err = KPROD_ERR__PURGED_ON_CLOSE;
    for (int i = 0; i < req->n && written; i++)
        req->batches[i]->possibly_persisted = 1;
    settle_same(pc, br, req->batches, req->n, err);
    free(req);
}

static void produce_written(void *opaque, kp_broker *br, void *ctx) {
    kp_produce *pc = opaque;
    produce_req *req = ctx; /* acks=0: written is all we will know */
    for (int i = 0; i < req->n; i++)
        req->batches[i]->base_offset = -1;
    settle_same(pc, br, req->batches, req->n, KPROD_ERR_NO_ERROR);
    free(req);
}

static const kp_req_handler *produce_handler(kp_produce *pc) {
    static _Thread_local kp_req_handler h;
    h.on_response = produce_response;
    h.on_fail = produce_fail;
    h.on_written = produce_written;
    h.opaque = pc;
    return &h;
}

/* ---- taking batches ---- */

static kp_broker *leader_of(kp_produce *pc, kp_spart *sp) {
    if (sp->leader < 0)
        return NULL;
    uint64_t gen = kp_rl_generation(pc->d.rl);
    if (!sp->leader_broker || sp->leader_gen != gen || sp->leader_broker->id != sp->leader) {
        sp->leader_broker = kp_rl_find(pc->d.rl, sp->leader);
        sp->leader_gen = gen;
    }
    return sp->leader_broker;
}

static kp_link link_of(const kp_broker *br) {
    if (!br)
        return KP_LINK_NONE;
    switch (br->conn.state) {
    case KP_CONN_DOWN:
        return KP_LINK_DOWN;
    case KP_CONN_READY:
        return KP_LINK_READY;
    default:
        return KP_LINK_PENDING;
    }
}

/* Notes a read of the partition's log to ask for after the drain (its
 * batches in flight have all answered; the drain runs under the
 * accumulator's lock, where nothing may log): from where its acknowledged
 * batches end, for the marked batches' producer id and epoch. */
static void want_read(kp_produce *pc, const kp_batch *head, const kp_spart *sp) {
    const kp_recov_part *rp = &sp->recov;
    if (pc->nasks == pc->asks_cap) {
        int ncap = pc->asks_cap ? pc->asks_cap * 2 : 8;
        kp_recov_ask *na = realloc(pc->asks, (size_t)ncap * sizeof(*na));
        if (!na)
            return; /* the partition stays held: asked again next turn */
        pc->asks = na;
        pc->asks_cap = ncap;
    }
    pc->asks[pc->nasks++] = (kp_recov_ask){
        .topic_id = head->topic_id,
        .topic = head->topic_name,
        .partition = head->partition,
        .gen = rp->amb_gen,
        .pid = rp->amb_pid,
        .epoch = rp->amb_epoch,
        .lo_seq = rp->amb_lo_seq,
        .hi_seq = rp->amb_hi_seq,
        .start = kp_recov_start(rp),
    };
}

/* Starts the reads the drain asked for. */
static void start_reads(kp_produce *pc) {
    for (int i = 0; i < pc->nasks; i++) {
        const kp_recov_ask *a = &pc->asks[i];
        kp_spart *sp = kp_parts_get(pc->d.parts, a->topic_id, a->partition);
        if (sp && !sp->recov.reading && kp_recov_want(pc->d.recov, a) == KPROD_ERR_NO_ERROR)
            sp->recov.reading = 1;
    }
    pc->nasks = 0;
}

/* The drain callback: runs under the accumulator's lock, touches only the
 * sender's own state. */
static kp_drain_verdict consider(void *opaque, const kp_batch *head, int ready, int64_t now,
                                 int64_t *wake_at) {
    kp_produce *pc = opaque;
    kp_spart *sp = part_of(pc, head);
    kp_broker *br = leader_of(pc, sp);
    /* Batches that may be stored and whose sequences stop counting: the
     * partition sends nothing until its log was read back. */
    int held = sp != &no_part &&
               (sp->recov.reading ||
                kp_recov_must_read(&sp->recov, pc->d.idem->gen, pc->d.idem->bump_needed));
    if (held && !sp->recov.reading && sp->inflight == 0)
        want_read(pc, head, sp);
    int ix = br ? br->index : 0;
    /* A transaction's partition goes once it joined the transaction (a
     * partition metadata has not named yet first needs its leader). */
    int may_send = pc->may_send;
    if (may_send && pc->transactional && sp != &no_part)
        may_send =
            kp_txn_may_send(pc->d.txn, sp, head->topic_name, head->topic_id, head->partition);
    kp_head_facts f = {
        .ready = ready,
        .may_send = may_send,
        .created_ms = head->created_ms,
        .delivery_timeout_ms = pc->d.cfg->delivery_timeout_ms,
        .attempts = head->attempts,
        .part_inflight = sp->inflight,
        .idempotent = pc->d.cfg->enable_idempotence,
        .link = br && ix < pc->req_cap ? link_of(br) : KP_LINK_NONE,
        .link_retry_at_ms = br ? br->conn.next_attempt_ms : 0,
        .conn_inflight = br ? br->conn.ninflight : 0,
        .max_in_flight = (int)pc->d.cfg->max_in_flight,
        .batch_bytes = head->w.buf.len,
        .request_bytes = br && ix < pc->req_cap ? pc->req_bytes[ix] : 0,
        .request_batches = br && ix < pc->req_cap ? pc->req_batches[ix] : 0,
        .max_request_size = pc->d.cfg->max_request_size,
        .held = held,
    };
    if (f.link == KP_LINK_READY && f.idempotent)
        f.idem_may_send = kp_idem_may_send(pc->d.idem, &sp->idem, sp->inflight, head);
    kp_head_verdict v = kp_decide_head(&f, now, wake_at);
    if (br && ready && pc->may_send)
        br->wanted = 1;
    switch (v) {
    case KP_HEAD_SEND:
        pc->req_bytes[ix] += head->w.buf.len;
        pc->req_batches[ix]++;
        return KP_DRAIN_TAKE;
    case KP_HEAD_EXPIRE:
        return KP_DRAIN_EXPIRE;
    case KP_HEAD_NEED_LEADER:
        return KP_DRAIN_WANT_LEADER;
    default:
        return KP_DRAIN_SKIP;
    }
}

/* Sizes and zeroes the per-broker request counters for a turn. */
static kprod_err_t begin_turn(kp_produce *pc) {
    int nb = kp_rl_count(pc->d.rl);
    if (nb > pc->req_cap) {
        size_t *nbytes = realloc(pc->req_bytes, (size_t)nb * sizeof(*nbytes));
        if (nbytes)
            pc->req_bytes = nbytes;
        int *nbat = realloc(pc->req_batches, (size_t)nb * sizeof(*nbat));
        if (nbat)
            pc->req_batches = nbat;
        if (!nbytes || !nbat)
            return KPROD_ERR__NO_MEMORY;
        pc->req_cap = nb;
    }
    memset(pc->req_bytes, 0, (size_t)pc->req_cap * sizeof(*pc->req_bytes));
    memset(pc->req_batches, 0, (size_t)pc->req_cap * sizeof(*pc->req_batches));
    return KPROD_ERR_NO_ERROR;
}

/* Request order: by broker, then topic, then partition. */
static int outgoing_cmp(const void *a, const void *b) {
    const outgoing *x = a, *y = b;
    if (x->br->index != y->br->index)
        return x->br->index < y->br->index ? -1 : 1;
    if (x->b->topic_id != y->b->topic_id)
        return x->b->topic_id < y->b->topic_id ? -1 : 1;
    return x->b->partition < y->b->partition ? -1 : (x->b->partition > y->b->partition);
}

/* Seals a batch for the wire on its first send; a retry after an epoch
 * bump gets the new id, epoch and sequence written into it. */
static kprod_err_t seal(kp_produce *pc, kp_batch *b) {
    if (b->sealed) {
        kp_idem_stamp(pc->d.idem, b);
        return KPROD_ERR_NO_ERROR;
    }
    kp_rb_seal_opts o = {
        .codec = pc->d.cfg->compression_type,
        .level = pc->d.cfg->compression_level,
        .producer_id = pc->d.idem->producer_id,
        .producer_epoch = pc->d.idem->producer_epoch,
        .base_sequence = b->base_seq,
        .partition_leader_epoch = -1,
        .is_transactional = pc->transactional,
    };
    if (!pc->d.cfg->enable_idempotence) {
        o.producer_id = -1;
        o.producer_epoch = -1;
        o.base_sequence = -1;
    }
    kprod_err_t err = kp_rb_seal(&b->w, &o);
    if (err)
        return err;
    b->wire = b->w.buf.data;
    b->wire_len = b->w.buf.len;
    b->sealed = 1;
    return KPROD_ERR_NO_ERROR;
}

/* Writes one Produce request of the n sealed batches in o (one broker,
 * sorted). Every batch gets its outcome exactly once: through the request,
 * or here. */
static void write_request(kp_produce *pc, outgoing *o, int n) {
    kp_broker *br = o[0].br;
    produce_req *req = malloc(sizeof(*req) + (size_t)n * sizeof(kp_batch *));
    kprod_err_t err = req ? KPROD_ERR_NO_ERROR : KPROD_ERR__NO_MEMORY;
    if (req) {
        req->n = n;
        int ntopics = 0;
        int64_t expire_at = INT64_MAX;
        for (int i = 0; i < n; i++) {
            req->batches[i] = o[i].b;
            ntopics += i == 0 || o[i].b->topic_id != o[i - 1].b->topic_id;
            int64_t at = o[i].b->created_ms + pc->d.cfg->delivery_timeout_ms;
            if (at < expire_at)
                expire_at = at;
        }
        int16_t ver = kp_txn_produce_version(pc->d.txn, kp_rl_version(br, KP_API_PRODUCE));
        kp_frame f;
        kp_buf *out = kp_rl_begin(pc->d.rl, br, KP_API_PRODUCE, ver, &f);
        kp_produce_req_writer w;
        kp_produce_req_begin(&w, out, ver, kp_txn_id(pc->d.txn), (int16_t)pc->d.cfg->acks,
                             (int32_t)pc->d.cfg->request_timeout_ms, ntopics);
        for (int i = 0; i < n;) {
            int j = i;
            while (j < n && o[j].b->topic_id == o[i].b->topic_id)
                j++;
            kp_produce_req_topic(&w, o[i].b->topic_name, j - i);
            for (; i < j; i++)
                kp_produce_req_partition(&w, o[i].b->partition, o[i].b->wire, o[i].b->wire_len);
        }
        /* The request times out no later than its first batch expires, so
         * a report never comes request.timeout.ms after delivery.timeout.ms. */
        err = kp_rl_send(pc->d.rl, &f, kp_produce_req_end(&w), pc->d.cfg->acks != 0, expire_at,
                         produce_handler(pc), req);
        if (!err) {
            if (pc->transactional)
                kp_txn_batch_written(pc->d.txn);
            return;
        }
        free(req);
    }
    for (int i = 0; i < n; i++)
        settle(pc, br, &o[i].b, &err, 1);
}

/* Seals this turn's batches (one that cannot be sealed fails alone, with
 * its own error) and writes one request per broker. */
static void send_taken(kp_produce *pc) {
    int n = pc->taken.n;
    if (n == 0)
        return;
    if (n > pc->out_cap) {
        outgoing *no = realloc(pc->out, (size_t)n * sizeof(*no));
        if (!no) {
            kprod_err_t err = KPROD_ERR__NO_MEMORY;
            for (int i = 0; i < n; i++)
                settle(pc, NULL, &pc->taken.v[i], &err, 1);
            return;
        }
        pc->out = no;
        pc->out_cap = n;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        kp_batch *b = pc->taken.v[i];
        kprod_err_t err = seal(pc, b);
        if (err) {
            settle(pc, NULL, &b, &err, 1);
            continue;
        }
        kp_part_counters *c = &part_of(pc, b)->cnt; /* sent: its partition is known */
        c->batches_sent++;
        c->records_sent += (uint64_t)b->w.count;
        c->bytes_sent += b->wire_len;
        c->bytes_raw += b->rec_bytes + KP_RB_HEADER_SIZE;
        pc->out[m].b = b;
        pc->out[m++].br = part_of(pc, b)->leader_broker;
    }
    qsort(pc->out, (size_t)m, sizeof(*pc->out), outgoing_cmp);
    for (int i = 0; i < m;) {
        int j = i;
        while (j < m && pc->out[j].br == pc->out[i].br)
            j++;
        write_request(pc, pc->out + i, j - i);
        i = j;
    }
}

/* Why a batch that expired in its queue waited: the last attempt's
 * failure if it had one, else what kept it from being sent at all. */
static void explain_wait(kp_produce *pc, kp_batch *b) {
    if (!b->errstr) {
        kp_spart *sp = part_of(pc, b);
        kp_broker *br = leader_of(pc, sp);
        if (sp->leader < 0)
            set_detail(b, "partition %d of topic '%s' has no known leader", (int)b->partition,
                       b->topic_name);
        else if (!br)
            set_detail(b,
                       "the leader of partition %d of topic '%s', broker %d, is not in the "
                       "metadata",
                       (int)b->partition, b->topic_name, (int)sp->leader);
        else if (br->conn.state != KP_CONN_READY && br->conn.err[0])
            set_detail(b, "the leader of partition %d of topic '%s' cannot be reached: %s",
                       (int)b->partition, b->topic_name, br->conn.err);
        else if (pc->d.cfg->enable_idempotence && !kp_idem_ready(pc->d.idem))
            set_detail(b, "no producer id from the cluster yet (InitProducerId)");
    }
    note_final(pc, b, KPROD_ERR__MSG_TIMED_OUT);
}

/* ---- settling batches by a read of the log ---- */

typedef struct pick_ctx {
    const kp_recov_job *j;
    int resent; /* marked batches judged not stored */
} pick_ctx;

/* Under the accumulator's lock (no logging, no allocation that matters):
 * the verdict on one queued batch of the read's partition. Stored ones are
 * taken as delivered; marked ones the read could not judge are taken as
 * failed; the others stay queued and are resent under the new
 * generation. */
static int pick_read(void *opaque, kp_batch *b) {
    pick_ctx *x = opaque;
    const kp_recov_job *j = x->j;
    if (b->seq_gen != j->ask.gen || b->base_seq < 0)
        return 0; /* not sent in that generation */
    const kp_recov_found *hit;
    switch (kp_recov_judge(j->found.v, j->found.n, b->base_seq, b->w.count, &hit)) {
    case KP_RECOV_STORED:
        b->err = KPROD_ERR_NO_ERROR;
        b->base_offset = hit->base_offset;
        b->log_append_time = hit->append_time;
        b->possibly_persisted = 0;
        return 1;
    case KP_RECOV_MISMATCH:
        b->err = KPROD_ERR__FAIL;
        b->possibly_persisted = 1;
        return 1;
    case KP_RECOV_NOT_STORED:
        break;
    }
    if (b->maybe_stored_gen != j->ask.gen)
        return 0;
    if (j->err) {
        b->err = j->err;
        b->possibly_persisted = 1;
        return 1;
    }
    /* Proven not stored by its earlier attempts: sent again as new. */
    b->maybe_stored_gen = 0;
    b->possibly_persisted = 0;
    x->resent++;
    return 0;
}

/* Reports the batches a finished read settled and lets the partition go. */
static void apply_read(kp_produce *pc, const kp_recov_job *j) {
    pick_ctx x = {.j = j, .resent = 0};
    pc->recovered.n = 0;
    kp_acc_take_where(pc->d.acc, j->ask.topic_id, j->ask.partition, pick_read, &x, &pc->recovered);
    kp_spart *sp = kp_parts_get(pc->d.parts, j->ask.topic_id, j->ask.partition);
    int64_t now = kp_now_ms();
    int found = 0;
    for (int i = 0; i < pc->recovered.n; i++) {
        kp_batch *b = pc->recovered.v[i];
        kp_outcome o = {.done = 1, .err = b->err};
        if (sp)
            count_outcome(sp, b, o, now);
        b->maybe_stored_gen = 0;
        if (!b->err) {
            found++;
            if (sp)
                kp_recov_note_found(&sp->recov, b->base_offset + b->w.count);
            KP_DEBUG(&pc->d.cfg->log, KP_DBG_RECOVERY,
                     "partition %d of '%s': batch of sequences %d..%d found in the log at offset "
                     "%lld after %d attempts (the last: %s): delivered",
                     (int)b->partition, b->topic_name, (int)b->base_seq,
                     (int)(b->base_seq + b->w.count - 1), (long long)b->base_offset, b->attempts,
                     b->errstr ? b->errstr : "no answer");
        } else if (b->err == KPROD_ERR__FAIL) {
            set_detail(b,
                       "partition %d of '%s' holds a batch of this producer whose sequences "
                       "overlap this one's (%d..%d) but that is not it; possibly persisted, not "
                       "resent",
                       (int)b->partition, b->topic_name, (int)b->base_seq,
                       (int)(b->base_seq + b->w.count - 1));
        } else {
            set_detail(b, "%s; possibly persisted, not resent", j->why);
        }
    }
    kp_reports_push(pc->d.reports, pc->recovered.v, pc->recovered.n);
    pc->recovered.n = 0;
    if (sp) {
        kp_recov_clear_marks(&sp->recov);
        sp->recov.reading = 0;
    }
    kp_recov_count_settled(pc->d.recov, found, x.resent);
    KP_DEBUG(&pc->d.cfg->log, KP_DBG_RECOVERY,
             "partition %d of '%s': %d batches found stored and reported delivered, %d not "
             "stored and sent again under the new producer epoch",
             (int)j->ask.partition, j->ask.topic, found, x.resent);
}

static void apply_reads(kp_produce *pc) {
    kp_recov_job *j;
    while ((j = kp_recov_take_done(pc->d.recov))) {
        apply_read(pc, j);
        kp_recov_release(pc->d.recov, j);
    }
}

/* A batch expired. One that may be stored while its partition waited for
 * its log to be read says so: it is not resent blindly. */
static void expire(kp_produce *pc, kp_batch *b) {
    b->err = KPROD_ERR__MSG_TIMED_OUT;
    count_failed(pc, b);
    kp_spart *sp = part_of(pc, b);
    if (b->maybe_stored_gen && sp->recov.reading) {
        const char *last = b->errstr;
        set_detail(b,
                   "not delivered within delivery.timeout.ms (%lld ms): could not read partition "
                   "%d of '%s' back in time to learn whether an earlier attempt stored it: "
                   "possibly persisted, not resent; the last attempt: %s",
                   (long long)pc->d.cfg->delivery_timeout_ms, (int)b->partition, b->topic_name,
                   last ? last : "no answer");
    } else {
        explain_wait(pc, b);
    }
    unmark(pc, sp, b, 1);
    kp_idem_failed(pc->d.idem, &sp->idem, b);
    if (pc->transactional)
        txn_failed(pc, b);
}

int64_t kp_produce_tick(kp_produce *pc, int64_t now, int may_send) {
    int64_t wake_at = now + 1000;
    apply_reads(pc);
    pc->may_send = may_send && begin_turn(pc) == KPROD_ERR_NO_ERROR;
    pc->taken.n = pc->expired.n = 0;
    kp_acc_drain(pc->d.acc, now, consider, pc, &pc->taken, &pc->expired, &wake_at);
    start_reads(pc);

    /* Expired heads leave a gap in their partition's sequences when they
     * had one: kp_idem_failed then asks for an epoch bump. */
    for (int i = 0; i < pc->expired.n; i++)
        expire(pc, pc->expired.v[i]);
    kp_reports_push(pc->d.reports, pc->expired.v, pc->expired.n);

    int kept = 0;
    for (int i = 0; i < pc->taken.n; i++) {
        kp_batch *b = pc->taken.v[i];
        kp_spart *sp = part_of(pc, b);
        sp->inflight++;
        pc->inflight++;
        /* A codec the leader cannot take fails the batch before it gets a
         * sequence: nothing is sent, so no epoch bump follows. */
        int ver = sp->leader_broker ? kp_rl_version(sp->leader_broker, KP_API_PRODUCE) : -1;
        kprod_err_t err = kp_decide_codec(pc->d.cfg->compression_type, ver);
        if (err) {
            settle(pc, sp->leader_broker, &b, &err, 1);
            continue;
        }
        kp_idem_assign_seq(pc->d.idem, &sp->idem, b);
        b->attempts++;
        pc->taken.v[kept++] = b;
    }
    pc->taken.n = kept;
    send_taken(pc);
    return wake_at;
}

void kp_produce_fail_queued(kp_produce *pc, kprod_err_t err, const char *why) {
    pc->expired.n = 0;
    kp_acc_take_all(pc->d.acc, &pc->expired);
    for (int i = 0; i < pc->expired.n; i++) {
        pc->expired.v[i]->err = err;
        count_failed(pc, pc->expired.v[i]);
        if (why)
            set_detail(pc->expired.v[i], "%s", why);
        else
            note_final(pc, pc->expired.v[i], err);
    }
    kp_reports_push(pc->d.reports, pc->expired.v, pc->expired.n);
    pc->expired.n = 0;
}

typedef struct stranded {
    kp_produce *pc;
    int32_t broker_id;
    int none_ready;
} stranded;

/* Under the accumulator's lock: touches only the sender's own table. */
static int is_stranded(void *opaque, const kp_batch *head) {
    stranded *st = opaque;
    const kp_spart *sp = part_of(st->pc, head);
    return st->none_ready || sp->leader < 0 || sp->leader == st->broker_id;
}

void kp_produce_fail_for_broker(kp_produce *pc, int32_t broker_id, kprod_err_t err,
                                const char *why) {
    stranded st = {pc, broker_id, kp_rl_any_ready(pc->d.rl) == NULL};
    pc->expired.n = 0;
    kp_acc_take_matching(pc->d.acc, is_stranded, &st, &pc->expired);
    for (int i = 0; i < pc->expired.n; i++) {
        kp_batch *b = pc->expired.v[i];
        b->err = err;
        count_failed(pc, b);
        set_detail(b, "%s", why);
        kp_idem_failed(pc->d.idem, &part_of(pc, b)->idem, b);
    }
    kp_reports_push(pc->d.reports, pc->expired.v, pc->expired.n);
    pc->expired.n = 0;
}
