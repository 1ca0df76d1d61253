/* The transaction client's sender side (see txn.h): coordinators, the
 * operations handed over by the application (init, offsets, commit,
 * abort), the partitions of the open transaction under the classic
 * protocol, and the answers. One coordinator request is out at a time, as
 * in the Java client; errors are read with txn_decide.c's rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "protocol/api_keys.h"
#include "protocol/find_coordinator.h"
#include "protocol/init_producer_id.h"
#include "sender/txn_impl.h"

/* A first AddPartitionsToTxn answered CONCURRENT_TRANSACTIONS: the last
 * transaction's markers are still being written, which takes a few ms, so
 * ask again sooner than retry.backoff.ms (Java's 20 ms). */
#define KP_TXN_ADD_RETRY_MS 20

/* A request's context, handed back with its answer. */
typedef struct txn_ctx {
    kp_txn_api api;
    uint64_t op;   /* the operation it serves (0: partition additions) */
    int type;      /* FindCoordinator: the key type */
    int bump;      /* InitProducerId: the classic abort's epoch bump */
    uint32_t tgen; /* AddPartitionsToTxn: the transaction asked for */
    int n;         /* AddPartitionsToTxn: entries of t->parts asked, in request order */
    int ix[];
} txn_ctx;

static const kp_log *lg(const kp_txn *t) { return &t->d.cfg->log; }

static const char *api_name(kp_txn_api api) {
    static const char *names[] = {"FindCoordinator", "InitProducerId",  "AddPartitionsToTxn",
                                  "AddOffsetsToTxn", "TxnOffsetCommit", "EndTxn"};
    return names[api];
}

/* ---- partitions of the open transaction ---- */

/* The transaction ended: its partitions are forgotten at once (a new
 * generation, nothing walked) and nothing of it reached the coordinator
 * in the next one yet. */
static void txn_reset(kp_txn *t) {
    t->tgen++;
    t->nparts = t->nnew = 0;
    t->started = 0;
}

int kp_txn_may_send(kp_txn *t, kp_spart *sp, const char *topic, uint32_t topic_id,
                    int32_t partition) {
    if (!t->enabled)
        return 1;
    kp_txn_state st = kp_txn__state(t);
    if (st != KP_TXN_IN_TXN && st != KP_TXN_COMMITTING)
        return 0; /* failed or aborting: the sender purges the queues */
    if (t->v2)
        return 1; /* Produce v12 adds the partition */
    if (sp->txn_gen == t->tgen)
        return t->parts[sp->txn_ix].state == KP_TXN_P_ADDED;
    if (t->nparts == t->parts_cap) {
        int ncap = t->parts_cap ? t->parts_cap * 2 : 16;
        kp_txn_part *np = realloc(t->parts, (size_t)ncap * sizeof(*np));
        if (!np)
            return 0; /* asked again on the next drain */
        t->parts = np;
        t->parts_cap = ncap;
    }
    kp_txn_part *p = &t->parts[t->nparts];
    p->topic = topic;
    p->topic_id = topic_id;
    p->partition = partition;
    p->state = KP_TXN_P_NEW;
    sp->txn_gen = t->tgen;
    sp->txn_ix = t->nparts++;
    t->nnew++;
    KP_DEBUG(lg(t), KP_DBG_TXN, "partition %d of topic '%s' joins the transaction", (int)partition,
             topic);
    return 0;
}

void kp_txn_batch_written(kp_txn *t) {
    if (t->enabled && t->v2)
        t->started = 1; /* the partition leader adds it to the transaction */
}

void kp_txn_record_failed(kp_txn *t, kprod_err_t err, const char *why) {
    if (!t->enabled)
        return;
    char buf[512];
    snprintf(buf, sizeof(buf), "a record failed (%s): %s", kprod_err_name(err),
             why ? why : kprod_err_str(err));
    kp_txn__abortable(t, buf);
}

const char *kp_txn_abort_why(kp_txn *t) {
    if (!t->enabled)
        return NULL;
    kp_txn_state st = kp_txn__state(t);
    if (st == KP_TXN_ABORTING)
        return "the transaction was aborted (kprod_txn_abort)";
    if (st == KP_TXN_ABORTABLE)
        return t->fail_why; /* written on this thread */
    return NULL;
}

int16_t kp_txn_produce_version(const kp_txn *t, int16_t broker_max) {
    /* Produce v12 makes the leader add the partition (Transactions V2): a
     * classic transactional producer stays below it. */
    if (t->enabled && !t->v2 && broker_max > 11)
        return 11;
    return broker_max;
}

const char *kp_txn_id(const kp_txn *t) { return t->enabled ? t->d.cfg->transactional_id : NULL; }

void kp_txn_counts_get(kp_txn *t, kp_txn_counts *out) {
    out->state = kp_txn__state(t);
    out->protocol = t->enabled && t->d.idem->producer_id >= 0 ? (t->v2 ? 2 : 1) : 0;
    out->committed = t->committed;
    out->aborted = t->aborted;
}

/* ---- sending ---- */

static void answer(kp_txn *t, kp_broker *b, txn_ctx *c, kprod_err_t lost, int16_t ver, kp_rd *r);

static void on_response(void *opaque, kp_broker *b, void *ctx, int16_t version, kp_rd *r) {
    answer(opaque, b, ctx, KPROD_ERR_NO_ERROR, version, r);
}

static void on_fail(void *opaque, kp_broker *b, void *ctx, kprod_err_t err, int written) {
    (void)written;
    answer(opaque, b, ctx, err ? err : KPROD_ERR__TRANSPORT, -1, NULL);
}

static const kp_req_handler *handler(kp_txn *t) {
    static _Thread_local kp_req_handler h;
    h.on_response = on_response;
    h.on_fail = on_fail;
    h.on_written = NULL;
    h.opaque = t;
    return &h;
}

static txn_ctx *ctx_new(kp_txn *t, kp_txn_api api, int n) {
    txn_ctx *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(int));
    if (c) {
        c->api = api;
        c->op = atomic_load(&t->pending) ? t->op_run : 0;
    }
    return c;
}

static void backoff(kp_txn *t, int64_t ms) { t->retry_at_ms = kp_now_ms() + ms; }

/* Starts a request of api (key, version ver) on b: its context, with n
 * partition slots, and in *out the buffer to encode the body into; NULL
 * when out of memory (then nothing was begun). */
static txn_ctx *begin_req(kp_txn *t, kp_broker *b, kp_txn_api api, int16_t key, int16_t ver, int n,
                          kp_frame *f, kp_buf **out) {
    txn_ctx *c = ctx_new(t, api, n);
    if (c)
        *out = kp_rl_begin(t->d.rl, b, key, ver, f);
    return c;
}

/* Sends the request begun in f with its encoder's err. 0 when it is out;
 * else the context is freed and the error returned (an encoder's refusal:
 * _INVALID_ARG; out of memory: asked again after the backoff). */
static kprod_err_t send_req(kp_txn *t, kp_frame *f, kprod_err_t err, txn_ctx *c) {
    kprod_err_t serr = kp_rl_send(t->d.rl, f, err, 1, 0, handler(t), c);
    if (!serr) {
        t->inflight = 1;
        KP_DEBUG(lg(t), KP_DBG_TXN, "%s v%d to broker %d", api_name(c->api), (int)f->version,
                 (int)f->broker->id);
        return KPROD_ERR_NO_ERROR;
    }
    free(c);
    backoff(t, t->d.cfg->retry_backoff_ms);
    return err ? err : serr;
}

/* ---- coordinators ---- */

static void find(kp_txn *t, int type, const char *key, int64_t now, int64_t *wake) {
    int64_t retry = now + 1000;
    kp_broker *b = kp_rl_any_ready(t->d.rl);
    if (!b)
        b = kp_rl_for_metadata(t->d.rl, 0, now, &retry);
    if (!b) {
        if (retry < *wake)
            *wake = retry;
        return;
    }
    int16_t ver = kp_rl_version(b, KP_API_FIND_COORDINATOR);
    txn_ctx *c = ctx_new(t, KP_TXN_API_FIND_COORDINATOR, 0);
    if (!c || ver < 0) {
        free(c);
        if (ver < 0)
            kp_txn__fatal(t, KPROD_ERR__UNSUPPORTED_FEATURE,
                          "the broker does not support FindCoordinator v1 or newer");
        return;
    }
    c->type = type;
    kp_frame f;
    kp_buf *out = kp_rl_begin(t->d.rl, b, KP_API_FIND_COORDINATOR, ver, &f);
    send_req(t, &f, kp_txn_req_find(out, ver, (int8_t)type, key), c);
}

/* The coordinator of key (type KP_TXN_COORD_*) when its connection is
 * ready; else NULL after looking it up or asking for the connection (an
 * answer or the connection's events wake the sender). */
static kp_broker *coordinator(kp_txn *t, int type, const char *key, int64_t now, int64_t *wake) {
    if (type == KP_TXN_COORD_GROUP && (!t->group_key || strcmp(t->group_key, key) != 0)) {
        free(t->group_key);
        t->group_key = strdup(key);
        t->coord[type] = -1;
        if (!t->group_key)
            return NULL;
    }
    if (t->coord[type] >= 0) {
        kp_broker *b = kp_rl_find(t->d.rl, t->coord[type]);
        if (b && b->conn.state == KP_CONN_READY)
            return b;
        /* Not reached after an attempt since it was named (or gone from
         * the cluster): it may have moved, as when its broker died. */
        if (b && !(b->conn.state == KP_CONN_DOWN && b->conn.failures > t->coord_failures[type])) {
            b->wanted = 1;
            return NULL;
        }
        KP_DEBUG(lg(t), KP_DBG_TXN, "%s coordinator %d unreachable: looking it up again",
                 type == KP_TXN_COORD_TXN ? "transaction" : "group", (int)t->coord[type]);
        t->coord[type] = -1;
    }
    find(t, type, key, now, wake);
    return NULL;
}

static void found(kp_txn *t, int type, const kp_txn_coord *co) {
    kp_broker *b = kp_rl_upsert(t->d.rl, co->node_id, co->host, co->port);
    if (!b) {
        backoff(t, t->d.cfg->retry_backoff_ms);
        return;
    }
    b->wanted = 1;
    if (t->coord[type] != co->node_id)
        KP_INFO(lg(t), KP_DBG_TXN, "%s coordinator of '%s': broker %d (%s:%d)",
                type == KP_TXN_COORD_TXN ? "transaction" : "group",
                type == KP_TXN_COORD_TXN ? t->d.cfg->transactional_id : t->group_key,
                (int)co->node_id, co->host, co->port);
    t->coord[type] = co->node_id;
    /* Looked up again only after another failed attempt to reach it. */
    t->coord_failures[type] = b->conn.failures;
}

/* ---- reading answers ---- */

/* What err in an answer of api does to the client; the text names the API. */
static void act(kp_txn *t, kp_txn_api api, kprod_err_t err, int coord_type) {
    kp_txn_verdict v = kp_txn_verdict_of(api, err);
    char why[300];
    snprintf(why, sizeof(why), "%s answered %s: %s", api_name(api), kprod_err_name(err),
             kprod_err_str(err));
    switch (v) {
    case KP_TXN_V_OK:
        return;
    case KP_TXN_V_REFIND:
        t->coord[coord_type] = -1;
        backoff(t, t->d.cfg->retry_backoff_ms);
        break;
    case KP_TXN_V_RETRY:
        backoff(t, t->d.cfg->retry_backoff_ms);
        break;
    case KP_TXN_V_ABORTABLE:
        if (atomic_load(&t->pending) && t->op.kind == KP_TXN_OP_ABORT)
            kp_txn__op_done(t, KPROD_ERR__TXN_ABORTABLE, why, KP_TXN_ABORTABLE);
        else
            kp_txn__abortable(t, why);
        break;
    case KP_TXN_V_FATAL:
        kp_txn__fatal(t, kp_txn_fatal_code(err), why);
        break;
    }
    KP_DEBUG(lg(t), KP_DBG_TXN, "%s", why);
}

/* The classic protocol's AddPartitionsToTxn answer: partitions added, or
 * back to "new" to be asked again, or the transaction fails. */
static void added(kp_txn *t, txn_ctx *c, kprod_err_t lost, int16_t ver, kp_rd *r) {
    if (c->tgen != t->tgen)
        return; /* the transaction ended meanwhile */
    kp_txn_tp *tps = calloc((size_t)c->n, sizeof(*tps));
    kprod_err_t *errs = calloc((size_t)c->n, sizeof(*errs));
    kprod_err_t err = lost ? lost : KPROD_ERR__NO_MEMORY;
    for (int i = 0; tps && i < c->n; i++) {
        tps[i].topic = t->parts[c->ix[i]].topic;
        tps[i].partition = t->parts[c->ix[i]].partition;
    }
    if (!lost && tps && errs)
        err = kp_txn_resp_add_partitions(r, ver, tps, c->n, errs);
    /* The worst verdict of any partition decides; partitions answered
     * NO_ERROR are in even when others are not. */
    kp_txn_verdict worst = KP_TXN_V_OK;
    kprod_err_t worst_err = err;
    int concurrent = 0, nadded = 0;
    for (int i = 0; i < c->n; i++) {
        kprod_err_t e = err ? err : errs[i];
        kp_txn_verdict v = kp_txn_verdict_of(KP_TXN_API_ADD_PARTITIONS, e);
        concurrent |= e == KPROD_ERR_CONCURRENT_TRANSACTIONS;
        /* order of severity: fatal, abortable, refind, retry */
        static const int rank[] = {[KP_TXN_V_OK] = 0,
                                   [KP_TXN_V_RETRY] = 1,
                                   [KP_TXN_V_REFIND] = 2,
                                   [KP_TXN_V_ABORTABLE] = 3,
                                   [KP_TXN_V_FATAL] = 4};
        if (rank[v] > rank[worst]) {
            worst = v;
            worst_err = e;
        }
        kp_txn_part *p = &t->parts[c->ix[i]];
        if (v == KP_TXN_V_OK) {
            p->state = KP_TXN_P_ADDED;
            nadded++;
        } else if (v == KP_TXN_V_RETRY || v == KP_TXN_V_REFIND) {
            p->state = KP_TXN_P_NEW;
            t->nnew++;
        } else if (v == KP_TXN_V_ABORTABLE) {
            char why[400];
            snprintf(why, sizeof(why),
                     "AddPartitionsToTxn answered %s for partition %d of topic '%s': %s",
                     kprod_err_name(e), (int)p->partition, p->topic, kprod_err_str(e));
            kp_txn__abortable(t, why);
        }
    }
    if (nadded)
        t->started = 1;
    free(tps);
    free(errs);
    if (worst == KP_TXN_V_ABORTABLE)
        return; /* done above, with the partition named */
    act(t, KP_TXN_API_ADD_PARTITIONS, worst_err, KP_TXN_COORD_TXN);
    if (worst == KP_TXN_V_RETRY && concurrent) {
        int any_added = 0;
        for (int i = 0; i < t->nparts; i++)
            any_added |= t->parts[i].state == KP_TXN_P_ADDED;
        if (!any_added && t->d.cfg->retry_backoff_ms > KP_TXN_ADD_RETRY_MS)
            backoff(t, KP_TXN_ADD_RETRY_MS);
    }
}

/* TxnOffsetCommit's answer: every partition's error decides together. */
static void offsets_committed(kp_txn *t, kprod_err_t lost, int16_t ver, kp_rd *r) {
    const kp_txn_offsets *o = t->op.offs;
    kprod_err_t *errs = calloc((size_t)o->n, sizeof(*errs));
    kprod_err_t err = lost ? lost : KPROD_ERR__NO_MEMORY;
    if (!lost && errs)
        err = kp_txn_resp_offset_commit(r, ver, o->offs, o->n, errs);
    kprod_err_t worst_err = err;
    int worst = 0;
    for (int i = 0; !err && i < o->n; i++) {
        kp_txn_verdict v = kp_txn_verdict_of(KP_TXN_API_TXN_OFFSET_COMMIT, errs[i]);
        static const int rank[] = {[KP_TXN_V_OK] = 0,
                                   [KP_TXN_V_RETRY] = 1,
                                   [KP_TXN_V_REFIND] = 2,
                                   [KP_TXN_V_ABORTABLE] = 3,
                                   [KP_TXN_V_FATAL] = 4};
        if (rank[v] > worst) {
            worst = rank[v];
            worst_err = errs[i];
        }
    }
    free(errs);
    if (!worst_err) {
        KP_DEBUG(lg(t), KP_DBG_TXN, "%d offsets of group '%s' are in the transaction", o->n,
                 o->group.group_id);
        kp_txn__op_done(t, KPROD_ERR_NO_ERROR, NULL, kp_txn__state(t));
        return;
    }
    act(t, KP_TXN_API_TXN_OFFSET_COMMIT, worst_err, KP_TXN_COORD_GROUP);
}

/* An InitProducerId answer: the producer id for the whole producer (init)
 * or the classic abort's new epoch. */
static void got_pid(kp_txn *t, txn_ctx *c, const kp_txn_pid *pid) {
    kp_idem_set_producer(t->d.idem, pid->producer_id, pid->producer_epoch);
    if (c->bump) {
        t->aborted++;
        txn_reset(t);
        kp_txn__op_done(t, KPROD_ERR_NO_ERROR, NULL, KP_TXN_READY);
        return;
    }
    KP_INFO(lg(t), KP_DBG_TXN,
            "transactional producer '%s': producer id %lld epoch %d, %s protocol",
            t->d.cfg->transactional_id, (long long)pid->producer_id, (int)pid->producer_epoch,
            t->v2 ? "Transactions V2 (KIP-890)" : "classic transaction");
    kp_txn__op_done(t, KPROD_ERR_NO_ERROR, NULL, KP_TXN_READY);
}

/* EndTxn's answer: the transaction is over (V2: with the next epoch), or
 * the classic abort goes on to bump the epoch. */
static void ended(kp_txn *t, const kp_txn_pid *pid) {
    int commit = t->op.kind == KP_TXN_OP_COMMIT;
    if (pid->producer_id >= 0)
        kp_idem_set_producer(t->d.idem, pid->producer_id, pid->producer_epoch);
    KP_DEBUG(lg(t), KP_DBG_TXN, "transaction %s", commit ? "committed" : "aborted");
    if (!commit && !t->v2) {
        /* Records of the aborted transaction may have left gaps in the
         * partitions' sequences: a new epoch starts them over. */
        t->step = KP_TXN_S_BUMP;
        return;
    }
    if (commit)
        t->committed++;
    else
        t->aborted++;
    txn_reset(t);
    kp_txn__op_done(t, KPROD_ERR_NO_ERROR, NULL, KP_TXN_READY);
}

static void answer(kp_txn *t, kp_broker *b, txn_ctx *c, kprod_err_t lost, int16_t ver, kp_rd *r) {
    t->inflight = 0;
    kp_txn_state st = kp_txn__state(t);
    /* An operation that ended meanwhile (closed, fatal) takes no answer. */
    int live = c->op == 0 || (atomic_load(&t->pending) && c->op == t->op_run);
    if (st == KP_TXN_FATAL || !live) {
        free(c);
        return;
    }
    kprod_err_t bad = KPROD_ERR_NO_ERROR;
    kp_txn_pid pid = {0, -1, -1};
    kp_txn_coord co;
    switch (c->api) {
    case KP_TXN_API_FIND_COORDINATOR:
        if (!lost &&
            !(bad = kp_txn_resp_find(r, ver,
                                     c->type == KP_TXN_COORD_TXN ? t->d.cfg->transactional_id
                                     : t->group_key              ? t->group_key
                                                                 : "",
                                     &co)) &&
            !co.err)
            found(t, c->type, &co);
        else
            act(t, c->api, lost ? lost : bad ? bad : co.err, c->type);
        break;
    case KP_TXN_API_INIT_PRODUCER_ID:
        if (!lost && !(bad = kp_txn_resp_init_pid(r, ver, &pid)) && !pid.err)
            got_pid(t, c, &pid);
        else
            act(t, c->api, lost ? lost : bad ? bad : pid.err, KP_TXN_COORD_TXN);
        break;
    case KP_TXN_API_ADD_PARTITIONS:
        added(t, c, lost, ver, r);
        break;
    case KP_TXN_API_ADD_OFFSETS:
        if (!lost && !(bad = kp_txn_resp_add_offsets(r, ver, &pid)) && !pid.err) {
            t->started = 1;
            t->step = KP_TXN_S_COMMIT_OFFSETS;
        } else {
            act(t, c->api, lost ? lost : bad ? bad : pid.err, KP_TXN_COORD_TXN);
        }
        break;
    case KP_TXN_API_TXN_OFFSET_COMMIT:
        offsets_committed(t, lost, ver, r);
        break;
    case KP_TXN_API_END_TXN:
        if (!lost && !(bad = kp_txn_resp_end(r, ver, &pid)) && !pid.err)
            ended(t, &pid);
        else
            act(t, c->api, lost ? lost : bad ? bad : pid.err, KP_TXN_COORD_TXN);
        break;
    }
    free(c);
    /* An answer that cannot be believed: the connection goes, as for any
     * protocol error. */
    if (bad)
        kp_rl_fail_broker(t->d.rl, b, KPROD_ERR__BAD_MSG, "impossible transaction answer");
}

/* ---- asking ---- */

static void ask_init_pid(kp_txn *t, kp_broker *b, int bump) {
    int16_t ver = kp_rl_version(b, KP_API_INIT_PRODUCER_ID);
    kp_frame f;
    kp_buf *out;
    txn_ctx *c =
        begin_req(t, b, KP_TXN_API_INIT_PRODUCER_ID, KP_API_INIT_PRODUCER_ID, ver, 0, &f, &out);
    if (!c)
        return;
    c->bump = bump;
    const kp_idem *idem = t->d.idem;
    send_req(t, &f,
             kp_init_producer_id_req_encode(
                 out, ver, t->d.cfg->transactional_id, (int32_t)t->d.cfg->transaction_timeout_ms,
                 bump ? idem->producer_id : -1, bump ? idem->producer_epoch : -1),
             c);
}

/* The coordinator's versions decide the protocol, once, at init. 0 when
 * the broker is too old for transactions at all (then fatal). */
static int choose_protocol(kp_txn *t, kp_broker *b) {
    if (kp_rl_version(b, KP_API_INIT_PRODUCER_ID) < 3 || kp_rl_version(b, KP_API_END_TXN) < 0 ||
        kp_rl_version(b, KP_API_TXN_OFFSET_COMMIT) < 0) {
        kp_txn__fatal(t, KPROD_ERR__UNSUPPORTED_FEATURE,
                      "transactions need Kafka 2.5 or newer (InitProducerId v3, EndTxn, "
                      "TxnOffsetCommit)");
        return 0;
    }
    t->v2 = b->txn_version >= 2 && kp_rl_version(b, KP_API_END_TXN) >= 5 &&
            kp_rl_version(b, KP_API_TXN_OFFSET_COMMIT) >= 5 &&
            kp_rl_version(b, KP_API_PRODUCE) >= 12;
    if (!t->v2 && (kp_rl_version(b, KP_API_ADD_PARTITIONS_TO_TXN) < 0 ||
                   kp_rl_version(b, KP_API_ADD_OFFSETS_TO_TXN) < 0)) {
        kp_txn__fatal(t, KPROD_ERR__UNSUPPORTED_FEATURE,
                      "the coordinator supports neither Transactions V2 nor AddPartitionsToTxn");
        return 0;
    }
    return 1;
}

/* The classic protocol: every partition that joined since the last ask. */
static void ask_add_partitions(kp_txn *t, kp_broker *b) {
    txn_ctx *c = ctx_new(t, KP_TXN_API_ADD_PARTITIONS, t->nnew);
    kp_txn_tp *tps = calloc((size_t)t->nnew, sizeof(*tps));
    if (!c || !tps) {
        free(c);
        free(tps);
        backoff(t, t->d.cfg->retry_backoff_ms);
        return;
    }
    c->op = 0;
    c->tgen = t->tgen;
    for (int i = 0; i < t->nparts; i++)
        if (t->parts[i].state == KP_TXN_P_NEW)
            c->ix[c->n++] = i;
    /* Grouped by topic (the accumulator's names are one pointer each). */
    for (int i = 1; i < c->n; i++)
        for (int j = i; j > 0 && t->parts[c->ix[j]].topic_id < t->parts[c->ix[j - 1]].topic_id;
             j--) {
            int x = c->ix[j];
            c->ix[j] = c->ix[j - 1];
            c->ix[j - 1] = x;
        }
    for (int i = 0; i < c->n; i++) {
        tps[i].topic = t->parts[c->ix[i]].topic;
        tps[i].partition = t->parts[c->ix[i]].partition;
    }
    int16_t ver = kp_rl_version(b, KP_API_ADD_PARTITIONS_TO_TXN);
    const kp_idem *idem = t->d.idem;
    kp_frame f;
    kp_buf *out = kp_rl_begin(t->d.rl, b, KP_API_ADD_PARTITIONS_TO_TXN, ver, &f);
    kprod_err_t err = kp_txn_req_add_partitions(out, ver, t->d.cfg->transactional_id,
                                                idem->producer_id, idem->producer_epoch, tps, c->n);
    free(tps);
    /* Marked before the send, which frees c when it fails: then every
     * pending one (only these: one request at a time) is new again. */
    for (int i = 0; i < c->n; i++)
        t->parts[c->ix[i]].state = KP_TXN_P_PENDING;
    int n = c->n;
    if (send_req(t, &f, err, c) != KPROD_ERR_NO_ERROR) {
        for (int i = 0; i < t->nparts; i++)
            if (t->parts[i].state == KP_TXN_P_PENDING)
                t->parts[i].state = KP_TXN_P_NEW;
        return;
    }
    t->nnew -= n;
}

static void ask_add_offsets(kp_txn *t, kp_broker *b) {
    int16_t ver = kp_rl_version(b, KP_API_ADD_OFFSETS_TO_TXN);
    kp_frame f;
    kp_buf *out;
    txn_ctx *c =
        begin_req(t, b, KP_TXN_API_ADD_OFFSETS, KP_API_ADD_OFFSETS_TO_TXN, ver, 0, &f, &out);
    if (!c)
        return;
    const kp_idem *idem = t->d.idem;
    send_req(t, &f,
             kp_add_offsets_to_txn_req_encode(out, ver, t->d.cfg->transactional_id,
                                              idem->producer_id, idem->producer_epoch,
                                              t->op.offs->group.group_id),
             c);
}

/* The version for an API that Transactions V2 changed: the classic
 * protocol stays below it. */
static int16_t capped(const kp_txn *t, kp_broker *b, int16_t key, int16_t v2_from) {
    int16_t ver = kp_rl_version(b, key);
    return !t->v2 && ver >= v2_from ? (int16_t)(v2_from - 1) : ver;
}

static void ask_commit_offsets(kp_txn *t, kp_broker *b) {
    const kp_txn_offsets *o = t->op.offs;
    int16_t ver = capped(t, b, KP_API_TXN_OFFSET_COMMIT, 5);
    kp_frame f;
    kp_buf *out;
    txn_ctx *c =
        begin_req(t, b, KP_TXN_API_TXN_OFFSET_COMMIT, KP_API_TXN_OFFSET_COMMIT, ver, 0, &f, &out);
    if (!c)
        return;
    const kp_idem *idem = t->d.idem;
    kprod_err_t err =
        send_req(t, &f,
                 kp_txn_req_offset_commit(out, ver, t->d.cfg->transactional_id, &o->group,
                                          idem->producer_id, idem->producer_epoch, o->offs, o->n),
                 c);
    if (err == KPROD_ERR__INVALID_ARG)
        kp_txn__op_done(t, err,
                        "the group coordinator's TxnOffsetCommit is older than v3: it cannot take "
                        "a generation, member id or group instance id",
                        kp_txn__state(t));
    else if (!err && t->v2)
        t->started = 1; /* TxnOffsetCommit v5 adds the group to the transaction */
}

static void ask_end(kp_txn *t, kp_broker *b, int commit) {
    int16_t ver = capped(t, b, KP_API_END_TXN, 5);
    kp_frame f;
    kp_buf *out;
    txn_ctx *c = begin_req(t, b, KP_TXN_API_END_TXN, KP_API_END_TXN, ver, 0, &f, &out);
    if (!c)
        return;
    const kp_idem *idem = t->d.idem;
    send_req(t, &f,
             kp_end_txn_req_encode(out, ver, t->d.cfg->transactional_id, idem->producer_id,
                                   idem->producer_epoch, commit),
             c);
}

/* ---- the operations ---- */

/* Ends a transaction that never reached the coordinator: nothing to ask. */
static void end_locally(kp_txn *t, int commit) {
    if (commit)
        t->committed++;
    else
        t->aborted++;
    txn_reset(t);
    kp_txn__op_done(t, KPROD_ERR_NO_ERROR, NULL, KP_TXN_READY);
}

/* One step of the running operation: at most one request. */
static void run_op(kp_txn *t, int64_t now, int produce_inflight, int64_t *wake) {
    const char *txn_id = t->d.cfg->transactional_id;
    kp_broker *b;
    switch (t->op.kind) {
    case KP_TXN_OP_INIT:
        if (!(b = coordinator(t, KP_TXN_COORD_TXN, txn_id, now, wake)))
            return;
        if (t->step == KP_TXN_S_START && !choose_protocol(t, b))
            return;
        t->step = KP_TXN_S_END; /* the protocol is chosen */
        ask_init_pid(t, b, 0);
        return;
    case KP_TXN_OP_OFFSETS:
        if (t->step == KP_TXN_S_START)
            t->step = t->v2 ? KP_TXN_S_COMMIT_OFFSETS : KP_TXN_S_ADD_OFFSETS;
        if (t->step == KP_TXN_S_ADD_OFFSETS) {
            if ((b = coordinator(t, KP_TXN_COORD_TXN, txn_id, now, wake)))
                ask_add_offsets(t, b);
        } else if ((b = coordinator(t, KP_TXN_COORD_GROUP, t->op.offs->group.group_id, now,
                                    wake))) {
            ask_commit_offsets(t, b);
        }
        return;
    case KP_TXN_OP_COMMIT:
    case KP_TXN_OP_ABORT: {
        int commit = t->op.kind == KP_TXN_OP_COMMIT;
        /* Every record of the transaction has its outcome first (their
         * answers wake the sender); a commit's flush saw to it already. */
        if (produce_inflight > 0)
            return;
        if (t->step == KP_TXN_S_START) {
            if (!t->started) {
                end_locally(t, commit);
                return;
            }
            t->step = KP_TXN_S_END;
        }
        if ((b = coordinator(t, KP_TXN_COORD_TXN, txn_id, now, wake))) {
            if (t->step == KP_TXN_S_BUMP)
                ask_init_pid(t, b, 1);
            else
                ask_end(t, b, commit);
        }
        return;
    }
    case KP_TXN_OP_NONE:
        return;
    }
}

int64_t kp_txn_tick(kp_txn *t, int64_t now, int produce_inflight) {
    if (!t->enabled)
        return INT64_MAX;
    int pending = atomic_load(&t->pending);
    if (pending && t->op.id != t->op_run) {
        t->op_run = t->op.id; /* a new operation: from its start */
        t->step = KP_TXN_S_START;
        KP_DEBUG(lg(t), KP_DBG_TXN, "operation %d handed over", (int)t->op.kind);
    }
    kp_txn_state st = kp_txn__state(t);
    if (st == KP_TXN_FATAL || t->inflight)
        return INT64_MAX; /* an answer wakes the sender */
    if (now < t->retry_at_ms)
        return t->retry_at_ms;
    int64_t wake = INT64_MAX;
    /* Partitions that joined go to the coordinator before anything else
     * of the transaction (their batches wait for it). */
    if (!t->v2 && t->nnew > 0 && (st == KP_TXN_IN_TXN || st == KP_TXN_COMMITTING)) {
        kp_broker *b = coordinator(t, KP_TXN_COORD_TXN, t->d.cfg->transactional_id, now, &wake);
        if (b)
            ask_add_partitions(t, b);
        return t->inflight ? INT64_MAX : wake;
    }
    if (pending)
        run_op(t, now, produce_inflight, &wake);
    if (t->inflight)
        return INT64_MAX;
    return t->retry_at_ms > now && t->retry_at_ms < wake ? t->retry_at_ms : wake;
}
