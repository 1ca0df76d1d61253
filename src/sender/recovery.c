/* The recovery reader (see recovery.h). */
#include "sender/recovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "protocol/api_keys.h"
#include "protocol/fetch.h"
#include "protocol/list_offsets.h"

#define FETCH_BYTES_FIRST (1 << 20)
#define FETCH_BYTES_MAX (64 << 20)
#define WAIT_FIRST_MS 20 /* the high watermark usually moves within a round trip */
#define WAIT_MAX_MS 500
#define NOT_READY_MS 100 /* a leader unknown or not connected: look again */

struct kp_recov {
    kp_recov_deps d;
    kp_recov_job *active;          /* reads under way (cancelled ones until their answer) */
    kp_recov_job *done, *done_end; /* finished, for the produce client, in order */
    kp_recov_counts cnt;
};

kp_recov *kp_recov_new(const kp_recov_deps *deps) {
    kp_recov *rc = calloc(1, sizeof(*rc));
    if (rc)
        rc->d = *deps;
    return rc;
}

static void job_free(kp_recov_job *j) {
    kp_recov_found_set_free(&j->found);
    free(j);
}

void kp_recov_free(kp_recov *rc) {
    if (!rc)
        return;
    for (kp_recov_job *j = rc->active, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    for (kp_recov_job *j = rc->done, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    free(rc);
}

static const kp_log *lg(const kp_recov *rc) { return &rc->d.cfg->log; }

static kp_recov_job *find_active(kp_recov *rc, uint32_t topic_id, int32_t partition) {
    for (kp_recov_job *j = rc->active; j; j = j->next)
        if (!j->cancelled && j->ask.topic_id == topic_id && j->ask.partition == partition)
            return j;
    return NULL;
}

kprod_err_t kp_recov_want(kp_recov *rc, const kp_recov_ask *ask) {
    if (find_active(rc, ask->topic_id, ask->partition))
        return KPROD_ERR_NO_ERROR;
    kp_recov_job *j = calloc(1, sizeof(*j));
    if (!j)
        return KPROD_ERR__NO_MEMORY;
    j->ask = *ask;
    j->pr.end = -1;
    j->pr.hw = -1;
    j->pr.pos = ask->start; /* -1: the log start, asked first */
    j->max_bytes = FETCH_BYTES_FIRST;
    j->wait_ms = WAIT_FIRST_MS;
    j->started_ms = kp_now_ms();
    j->next = rc->active;
    rc->active = j;
    rc->cnt.partitions_read++;
    KP_DEBUG(lg(rc), KP_DBG_RECOVERY,
             "partition %d of '%s': reading the log back from offset %lld: batches of producer "
             "id %lld epoch %d in sequences %d..%d may be stored unacknowledged",
             (int)ask->partition, ask->topic, (long long)ask->start, (long long)ask->pid,
             (int)ask->epoch, (int)ask->lo_seq, (int)ask->hi_seq - 1);
    return KPROD_ERR_NO_ERROR;
}

/* Takes j off the active list. */
static void unlink_active(kp_recov *rc, kp_recov_job *j) {
    kp_recov_job **pp = &rc->active;
    while (*pp && *pp != j)
        pp = &(*pp)->next;
    if (*pp)
        *pp = j->next;
    j->next = NULL;
}

void kp_recov_cancel(kp_recov *rc, uint32_t topic_id, int32_t partition, int timed_out) {
    kp_recov_job *j = find_active(rc, topic_id, partition);
    if (!j)
        return;
    if (timed_out)
        rc->cnt.reads_timed_out++;
    KP_DEBUG(lg(rc), KP_DBG_RECOVERY,
             "partition %d of '%s': the read of the log is given up after %lld ms (at offset "
             "%lld of %lld, high watermark %lld): %s",
             (int)partition, j->ask.topic, (long long)(kp_now_ms() - j->started_ms),
             (long long)j->pr.pos, (long long)j->pr.end, (long long)j->pr.hw,
             timed_out ? "its batches expired (delivery.timeout.ms)" : "nothing left to settle");
    j->cancelled = 1;
    if (!j->inflight) {
        unlink_active(rc, j);
        job_free(j);
    }
}

static void finish(kp_recov *rc, kp_recov_job *j) {
    unlink_active(rc, j);
    j->done = 1;
    if (rc->done_end)
        rc->done_end->next = j;
    else
        rc->done = j;
    rc->done_end = j;
    if (j->err) {
        rc->cnt.reads_failed++;
        KP_WARN(lg(rc), KP_DBG_RECOVERY, "%s", j->why);
    } else {
        KP_DEBUG(lg(rc), KP_DBG_RECOVERY,
                 "partition %d of '%s': read offsets %lld..%lld in %lld ms: %d batches of the "
                 "producer found",
                 (int)j->ask.partition, j->ask.topic, (long long)j->ask.start, (long long)j->pr.pos,
                 (long long)(kp_now_ms() - j->started_ms), j->found.n);
    }
}

static void fail(kp_recov *rc, kp_recov_job *j, kprod_err_t err, const char *what) {
    j->err = err;
    snprintf(j->why, sizeof(j->why),
             "could not read partition %d of '%s' back to learn which "
             "batches it stored: %s (%s)",
             (int)j->ask.partition, j->ask.topic, what, kprod_err_name(err));
    finish(rc, j);
}

kp_recov_job *kp_recov_take_done(kp_recov *rc) {
    kp_recov_job *j = rc->done;
    if (j) {
        rc->done = j->next;
        if (!rc->done)
            rc->done_end = NULL;
        j->next = NULL;
    }
    return j;
}

void kp_recov_release(kp_recov *rc, kp_recov_job *j) {
    (void)rc;
    job_free(j);
}

void kp_recov_count_settled(kp_recov *rc, int found, int resent) {
    rc->cnt.batches_found += (uint64_t)found;
    rc->cnt.batches_resent += (uint64_t)resent;
}

kp_recov_counts kp_recov_get_counts(const kp_recov *rc) { return rc->cnt; }

/* ---- answers ---- */

static void backoff(kp_recov *rc, kp_recov_job *j) {
    j->attempts++;
    j->retry_at_ms =
        kp_now_ms() + kp_backoff_ms(rc->d.cfg->retry_backoff_ms, rc->d.cfg->retry_backoff_max_ms,
                                    j->attempts, random());
}

/* An error for the partition (from Fetch or ListOffsets, or the
 * connection's). Returns 0 (the read goes on later) after acting on it. */
static void on_error(kp_recov *rc, kp_recov_job *j, kprod_err_t err) {
    switch (kp_recov_classify(err)) {
    case KP_RECOV_ERR_LEADER:
        /* Maybe another leader now: its log end is asked afresh. What was
         * read stays: it was below the high watermark, so every replica
         * that can lead has it. */
        j->pr.end = -1;
        kp_md_refresh_soon(rc->d.md);
        backoff(rc, j);
        break;
    case KP_RECOV_ERR_RANGE:
        j->pr.want_start = 1;
        backoff(rc, j);
        break;
    case KP_RECOV_ERR_RETRY:
        backoff(rc, j);
        break;
    case KP_RECOV_ERR_FATAL:
        fail(rc, j, err, kprod_err_str(err));
        break;
    }
    KP_DEBUG(lg(rc), KP_DBG_RECOVERY, "partition %d of '%s': reading back: %s",
             (int)j->ask.partition, j->ask.topic, kprod_err_name(err));
}

/* The job a response belongs to: NULL (and freed) if it was cancelled. */
static kp_recov_job *answered(kp_recov *rc, void *ctx) {
    kp_recov_job *j = ctx;
    j->inflight = 0;
    if (j->cancelled) {
        unlink_active(rc, j);
        job_free(j);
        return NULL;
    }
    return j;
}

static void list_offsets_response(void *opaque, kp_broker *br, void *ctx, int16_t version,
                                  kp_rd *r) {
    kp_recov *rc = opaque;
    (void)br;
    kp_recov_job *j = answered(rc, ctx);
    if (!j)
        return;
    kp_list_offsets_resp resp;
    kprod_err_t err = kp_list_offsets_resp_decode(r, version, &resp);
    if (err) {
        on_error(rc, j, KPROD_ERR__BAD_MSG);
        return;
    }
    const kp_list_offsets_resp_partition *p = NULL;
    for (int32_t t = 0; t < resp.topic_count; t++)
        for (int32_t k = 0; k < resp.topics[t].partition_count; k++)
            if (resp.topics[t].topic && strcmp(resp.topics[t].topic, j->ask.topic) == 0 &&
                resp.topics[t].partitions[k].partition == j->ask.partition)
                p = &resp.topics[t].partitions[k];
    err = !p              ? KPROD_ERR__BAD_MSG
          : p->error_code ? (kprod_err_t)p->error_code
          : p->offset < 0 ? KPROD_ERR__BAD_MSG
                          : KPROD_ERR_NO_ERROR;
    if (err) {
        kp_list_offsets_resp_free(&resp);
        on_error(rc, j, err);
        return;
    }
    j->attempts = 0;
    if (j->asked == KP_RECOV_ASK_START) {
        /* Below the log start nothing is left; past the log end (the
         * acknowledged batches are gone: an unclean election) everything
         * that is there is read. */
        j->pr.pos = p->offset;
        j->pr.want_start = 0;
        j->pr.hw = -1;
    } else {
        j->pr.end = p->offset;
        KP_DEBUG(lg(rc), KP_DBG_RECOVERY, "partition %d of '%s': the leader's log ends at %lld",
                 (int)j->ask.partition, j->ask.topic, (long long)p->offset);
    }
    kp_list_offsets_resp_free(&resp);
}

static const kp_fetch_resp_partition *fetch_part(const kp_recov *rc, const kp_recov_job *j,
                                                 const kp_fetch_resp *resp) {
    const kp_stopic *st = &rc->d.parts->topics[j->ask.topic_id];
    for (int32_t t = 0; t < resp->topic_count; t++) {
        const kp_fetch_resp_topic *rt = &resp->topics[t];
        int ours = rt->topic ? strcmp(rt->topic, j->ask.topic) == 0
                             : memcmp(rt->topic_id, st->uuid, sizeof(st->uuid)) == 0;
        for (int32_t k = 0; ours && k < rt->partition_count; k++)
            if (rt->partitions[k].partition == j->ask.partition)
                return &rt->partitions[k];
    }
    return NULL;
}

static void fetch_response(void *opaque, kp_broker *br, void *ctx, int16_t version, kp_rd *r) {
    kp_recov *rc = opaque;
    (void)br;
    kp_recov_job *j = answered(rc, ctx);
    if (!j)
        return;
    kp_fetch_resp resp;
    kprod_err_t err = kp_fetch_resp_decode(r, version, &resp);
    if (err) {
        on_error(rc, j, KPROD_ERR__BAD_MSG);
        return;
    }
    const kp_fetch_resp_partition *p = fetch_part(rc, j, &resp);
    err = resp.error_code ? (kprod_err_t)resp.error_code
          : !p            ? KPROD_ERR__BAD_MSG
                          : (kprod_err_t)p->error_code;
    if (!err) {
        int64_t before = j->pr.pos;
        int cut;
        err = kp_recov_walk(&j->pr, p->records, p->records_len, p->high_watermark,
                            p->log_start_offset, j->ask.pid, j->ask.epoch, j->ask.lo_seq,
                            j->ask.hi_seq, &j->found, &cut);
        if (!err && j->pr.pos > before)
            j->wait_ms = WAIT_FIRST_MS;
        /* One batch larger than the limit (brokers send the first one
         * whole as a rule; this one did not): ask for more. */
        if (!err && cut)
            err = j->max_bytes < FETCH_BYTES_MAX ? (j->max_bytes *= 2, KPROD_ERR_NO_ERROR)
                                                 : KPROD_ERR__BAD_MSG;
    }
    kp_fetch_resp_free(&resp);
    if (err) {
        on_error(rc, j, err);
        return;
    }
    j->attempts = 0;
}

static void request_fail(void *opaque, kp_broker *br, void *ctx, kprod_err_t err, int written) {
    kp_recov *rc = opaque;
    (void)br, (void)written;
    kp_recov_job *j = answered(rc, ctx);
    if (j)
        on_error(rc, j, err == KPROD_ERR__PURGED_ON_CLOSE ? KPROD_ERR__TRANSPORT : err);
}

static const kp_req_handler *handler(kp_recov *rc, int fetch) {
    static _Thread_local kp_req_handler hf, hl;
    kp_req_handler *h = fetch ? &hf : &hl;
    h->on_response = fetch ? fetch_response : list_offsets_response;
    h->on_fail = request_fail;
    h->on_written = NULL;
    h->opaque = rc;
    return h;
}

/* ---- requests ---- */

static void send_list_offsets(kp_recov *rc, kp_recov_job *j, kp_broker *br, const kp_spart *sp,
                              int end) {
    int16_t ver = kp_rl_version(br, KP_API_LIST_OFFSETS);
    if (ver < 0) {
        fail(rc, j, KPROD_ERR__UNSUPPORTED_FEATURE,
             "the leader supports no ListOffsets version kprod speaks (v1+)");
        return;
    }
    kp_list_offsets_req_partition p = {
        .partition = j->ask.partition,
        .current_leader_epoch = sp->leader_epoch,
        .timestamp = end ? KP_OFFSETS_LATEST : KP_OFFSETS_EARLIEST,
    };
    kp_list_offsets_req_topic t = {.topic = j->ask.topic, .partitions = &p, .partition_count = 1};
    kp_frame f;
    kp_buf *out = kp_rl_begin(rc->d.rl, br, KP_API_LIST_OFFSETS, ver, &f);
    /* The end as the debugging replica: the log end offset, not the high
     * watermark a consumer is told (see list_offsets.h). */
    kprod_err_t err = kp_list_offsets_req_encode_as(
        out, ver, end ? KP_OFFSETS_REPLICA_DEBUG : KP_OFFSETS_REPLICA_CONSUMER, KP_READ_UNCOMMITTED,
        (int32_t)rc->d.cfg->request_timeout_ms, &t, 1);
    if (kp_rl_send(rc->d.rl, &f, err, 1, 0, handler(rc, 0), j) != KPROD_ERR_NO_ERROR) {
        backoff(rc, j);
        return;
    }
    j->inflight = 1;
    j->asked = end ? KP_RECOV_ASK_END : KP_RECOV_ASK_START;
}

static void send_fetch(kp_recov *rc, kp_recov_job *j, kp_broker *br, const kp_spart *sp) {
    int16_t ver = kp_rl_version(br, KP_API_FETCH);
    const kp_stopic *st = &rc->d.parts->topics[j->ask.topic_id];
    static const uint8_t zero[16];
    if (ver >= 13 && memcmp(st->uuid, zero, sizeof(zero)) == 0)
        ver = 12; /* topic ids need Metadata v10+: named topics do as well */
    if (ver < 0) {
        fail(rc, j, KPROD_ERR__UNSUPPORTED_FEATURE,
             "the leader supports no Fetch version kprod speaks (v4+)");
        return;
    }
    kp_fetch_req_partition p = {
        .partition = j->ask.partition,
        .current_leader_epoch = sp->leader_epoch,
        .fetch_offset = j->pr.pos,
        .last_fetched_epoch = -1,
        .partition_max_bytes = j->max_bytes,
    };
    kp_fetch_req_topic t = {.topic = j->ask.topic, .partitions = &p, .partition_count = 1};
    memcpy(t.topic_id, st->uuid, sizeof(t.topic_id));
    /* No waiting at the broker: it serves a connection's requests one at a
     * time, and the produce requests of other partitions share this one. */
    kp_fetch_req req = {
        .max_wait_ms = 0,
        .min_bytes = 1,
        .max_bytes = j->max_bytes,
        .isolation_level = KP_READ_UNCOMMITTED,
        .topics = &t,
        .topic_count = 1,
    };
    kp_frame f;
    kp_buf *out = kp_rl_begin(rc->d.rl, br, KP_API_FETCH, ver, &f);
    kprod_err_t err = kp_fetch_req_encode(out, ver, &req);
    if (kp_rl_send(rc->d.rl, &f, err, 1, 0, handler(rc, 1), j) != KPROD_ERR_NO_ERROR) {
        backoff(rc, j);
        return;
    }
    j->inflight = 1;
    j->asked = KP_RECOV_FETCH;
}

static void lower(int64_t *at, int64_t t) {
    if (t < *at)
        *at = t;
}

/* One read's next request, if it may go now. */
static void step(kp_recov *rc, kp_recov_job *j, int64_t now) {
    kp_recov_step s = kp_recov_next(&j->pr);
    if (s == KP_RECOV_DONE) {
        finish(rc, j);
        return;
    }
    if (s == KP_RECOV_WAIT) {
        /* Nothing committed past pos yet: look again soon, less often the
         * longer replication takes. pr.hw is cleared so the next turn
         * fetches. */
        j->retry_at_ms = now + j->wait_ms;
        j->wait_ms = j->wait_ms * 2 > WAIT_MAX_MS ? WAIT_MAX_MS : j->wait_ms * 2;
        j->pr.hw = -1;
        return;
    }
    kp_spart *sp = kp_parts_get(rc->d.parts, j->ask.topic_id, j->ask.partition);
    kp_broker *br = sp && sp->leader >= 0 ? kp_rl_find(rc->d.rl, sp->leader) : NULL;
    if (!br) {
        kp_md_refresh_soon(rc->d.md);
        j->retry_at_ms = now + NOT_READY_MS;
        return;
    }
    if (br->conn.state != KP_CONN_READY || br->conn.ninflight >= rc->d.cfg->max_in_flight) {
        br->wanted = 1; /* its connection coming up, or an answer, wakes the sender */
        j->retry_at_ms = now + NOT_READY_MS;
        return;
    }
    if (s == KP_RECOV_FETCH)
        send_fetch(rc, j, br, sp);
    else
        send_list_offsets(rc, j, br, sp, s == KP_RECOV_ASK_END);
}

int64_t kp_recov_tick(kp_recov *rc, int64_t now_ms) {
    int64_t wake = INT64_MAX;
    for (kp_recov_job *j = rc->active, *n; j; j = n) {
        n = j->next; /* step may move j to the done list */
        if (j->inflight || j->cancelled)
            continue;
        if (j->retry_at_ms > now_ms) {
            lower(&wake, j->retry_at_ms);
            continue;
        }
        step(rc, j, now_ms);
        if (!j->done && !j->inflight)
            lower(&wake, j->retry_at_ms > now_ms ? j->retry_at_ms : now_ms);
    }
    return rc->done ? now_ms : wake;
}
