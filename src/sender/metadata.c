/* The metadata client (see metadata.h). */
#include "sender/metadata.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "protocol/api_keys.h"

/* A kp_md_get call waiting for the sender. It lives on the caller's stack
 * while installed; the sender names its request by id (the request's ctx),
 * never by address, so a late answer to a call that timed out cannot
 * complete a later call whose waiter happens to sit at the same address. */
typedef struct kp_md_waiter {
    uint64_t id; /* > 0, unique per producer */
    char *topic; /* NULL = all topics */
    int sent;
    int done;
    kprod_err_t err;
    kp_metadata_resp *resp; /* handed over to the waiter */
} kp_md_waiter;

struct kp_md {
    const kp_config *cfg;
    kp_rl *rl;
    kp_acc *acc;
    kp_parts *parts;
    void (*wake)(void *);
    void *wake_opaque;
    /* sender thread */
    int64_t next_refresh_ms; /* metadata.max.age.ms */
    int64_t retry_at_ms;     /* backoff between requests */
    int inflight;
    int refresh_now; /* a leader error asked for a refresh */
    int have_metadata;
    /* the waiting caller: under wlock */
    pthread_mutex_t wlock;
    pthread_cond_t wcv;
    kp_md_waiter *waiter;
    uint64_t waiter_seq;
    int closed;
    atomic_int waiter_hint; /* a caller is installed (read without wlock) */
};

kp_md *kp_md_new(const kp_config *cfg, kp_rl *rl, kp_acc *acc, kp_parts *parts,
                 void (*wake)(void *), void *wake_opaque) {
    kp_md *md = calloc(1, sizeof(*md));
    if (!md)
        return NULL;
    md->cfg = cfg;
    md->rl = rl;
    md->acc = acc;
    md->parts = parts;
    md->wake = wake;
    md->wake_opaque = wake_opaque;
    pthread_mutex_init(&md->wlock, NULL);
    kp_cond_init_monotonic(&md->wcv);
    return md;
}

void kp_md_free(kp_md *md) {
    if (!md)
        return;
    pthread_mutex_destroy(&md->wlock);
    pthread_cond_destroy(&md->wcv);
    free(md);
}

void kp_md_refresh_soon(kp_md *md) { md->refresh_now = 1; }

int64_t kp_md_due_at(const kp_md_timing *t) {
    if (t->caller_waiting || !t->have_metadata || t->new_topic)
        return INT64_MIN;
    int64_t at = t->next_refresh_ms;
    if (t->wanted && t->retry_at_ms < at)
        at = t->retry_at_ms;
    return at;
}

/* Ends the waiter asking with id (0: whoever waits) with err or resp. */
static void finish_waiter(kp_md *md, uint64_t id, kprod_err_t err, kp_metadata_resp **resp) {
    pthread_mutex_lock(&md->wlock);
    kp_md_waiter *w = md->waiter;
    if (w && !w->done && (id == 0 || w->id == id)) {
        w->done = 1;
        w->err = err;
        if (resp) {
            w->resp = *resp; /* handed over */
            *resp = NULL;
        }
        pthread_cond_broadcast(&md->wcv);
    }
    pthread_mutex_unlock(&md->wlock);
}

/* ---- applying an answer ---- */

kprod_err_t kp_md_check(const kp_metadata_resp *resp, char *why, size_t why_size) {
    if (resp->broker_count > KP_MD_MAX_BROKERS) {
        snprintf(why, why_size, "Metadata lists %d brokers (at most %d)", (int)resp->broker_count,
                 KP_MD_MAX_BROKERS);
        return KPROD_ERR__BAD_MSG;
    }
    for (int32_t i = 0; i < resp->broker_count; i++) {
        const kp_metadata_resp_broker *rb = &resp->brokers[i];
        if (rb->node_id < 0 || !rb->host || !rb->host[0] || strlen(rb->host) >= 256 ||
            rb->port <= 0 || rb->port > 65535) {
            snprintf(why, why_size, "Metadata lists broker %d with an impossible id, host or port",
                     (int)rb->node_id);
            return KPROD_ERR__BAD_MSG;
        }
    }
    uint8_t *seen = NULL;
    size_t seen_cap = 0;
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    for (int32_t i = 0; i < resp->topic_count && !err; i++) {
        const kp_metadata_resp_topic *rt = &resp->topics[i];
        if (rt->partition_count > KP_MD_MAX_PARTITIONS) {
            snprintf(why, why_size, "Metadata gives a topic %d partitions (at most %d)",
                     (int)rt->partition_count, KP_MD_MAX_PARTITIONS);
            err = KPROD_ERR__BAD_MSG;
            break;
        }
        if (rt->partition_count <= 0)
            continue;
        if ((size_t)rt->partition_count > seen_cap) {
            free(seen);
            seen_cap = (size_t)rt->partition_count;
            if (!(seen = malloc(seen_cap))) {
                snprintf(why, why_size, "out of memory checking Metadata");
                return KPROD_ERR__NO_MEMORY;
            }
        }
        memset(seen, 0, (size_t)rt->partition_count);
        for (int32_t k = 0; k < rt->partition_count; k++) {
            int32_t idx = rt->partitions[k].partition_index;
            if (idx < 0 || idx >= rt->partition_count || seen[idx]) {
                snprintf(why, why_size,
                         "Metadata lists partition %d of a topic of %d partitions (or twice)",
                         (int)idx, (int)rt->partition_count);
                err = KPROD_ERR__BAD_MSG;
                break;
            }
            seen[idx] = 1;
        }
    }
    free(seen);
    return err;
}

/* Adds brokers that are new, repoints one whose address changed, and lets
 * the request layer drop those no longer listed. */
static void apply_brokers(kp_md *md, const kp_metadata_resp *resp) {
    for (int i = 0; i < kp_rl_count(md->rl); i++)
        kp_rl_at(md->rl, i)->in_metadata = 0;
    for (int32_t i = 0; i < resp->broker_count; i++) {
        const kp_metadata_resp_broker *rb = &resp->brokers[i];
        kp_broker *b = kp_rl_upsert(md->rl, rb->node_id, rb->host, rb->port);
        if (b)
            b->in_metadata = 1;
    }
    kp_rl_prune_soon(md->rl);
}

/* A partition that metadata leaves without a leader this long gets a
 * warning: elections take a few seconds, longer means a broker down with
 * no in-sync replica to take over. */
#define KP_MD_LEADERLESS_WARN_MS 10000

/* A topic error (the topic does not exist, no authorization, ...) is
 * logged once when it appears, not on every refresh, and once more when it
 * is gone: the sends that wait for the topic say why they wait. */
static void log_topic(kp_md *md, kp_stopic *st, const kp_metadata_resp_topic *rt) {
    const kp_log *lg = &md->cfg->log;
    kprod_err_t err = (kprod_err_t)rt->error_code;
    if (err == st->warned_err)
        return;
    if (err == KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION)
        KP_WARN(lg, KP_DBG_METADATA,
                "topic '%s' not found in the cluster (UNKNOWN_TOPIC_OR_PARTITION): sends to it "
                "wait up to max.block.ms (%lld ms) for it to be created, then fail",
                rt->name, (long long)md->cfg->max_block_ms);
    else if (err && err != KPROD_ERR_LEADER_NOT_AVAILABLE)
        KP_WARN(lg, KP_DBG_METADATA, "topic '%s': the cluster answers %s: %s", rt->name,
                kprod_err_name(err), kprod_err_str(err));
    else if (st->warned_err)
        KP_INFO(lg, KP_DBG_METADATA, "topic '%s' is available now (%d partitions)", rt->name,
                (int)rt->partition_count);
    st->warned_err = err == KPROD_ERR_LEADER_NOT_AVAILABLE ? 0 : err;
}

static void log_leaderless(kp_md *md, const char *topic, int32_t partition, kp_spart *sp,
                           int has_leader, int64_t now_ms) {
    if (has_leader) {
        if (sp->leaderless_warned)
            KP_INFO(&md->cfg->log, KP_DBG_METADATA,
                    "partition %d of topic '%s' has a leader again: broker %d", (int)partition,
                    topic, (int)sp->leader);
        sp->leaderless_since_ms = 0;
        sp->leaderless_warned = 0;
        return;
    }
    if (!sp->leaderless_since_ms)
        sp->leaderless_since_ms = now_ms;
    else if (!sp->leaderless_warned &&
             now_ms - sp->leaderless_since_ms >= KP_MD_LEADERLESS_WARN_MS) {
        sp->leaderless_warned = 1;
        KP_WARN(&md->cfg->log, KP_DBG_METADATA,
                "partition %d of topic '%s' has had no leader for %lld ms: its records wait "
                "(up to delivery.timeout.ms)",
                (int)partition, topic, (long long)(now_ms - sp->leaderless_since_ms));
    }
}

/* One topic of a checked answer: its partition count and which partitions
 * have a leader to the accumulator, the leaders to the partition table. */
static void apply_topic(kp_md *md, const kp_metadata_resp_topic *rt, int64_t now_ms) {
    if (!rt->name)
        return;
    int32_t count = rt->error_code ? 0 : rt->partition_count;
    uint8_t *has_leader = count > 0 ? calloc((size_t)count, 1) : NULL;
    if (count > 0 && !has_leader)
        return; /* out of memory: the next refresh tries again */
    for (int32_t k = 0; k < count; k++) {
        const kp_metadata_resp_partition *rp = &rt->partitions[k];
        has_leader[rp->partition_index] =
            rp->error_code != KPROD_ERR_LEADER_NOT_AVAILABLE && rp->leader_id >= 0;
    }
    /* Drains run on this thread too: no batch of a new partition is drained
     * before the table below has its row. */
    int64_t tid =
        kp_acc_apply_topic(md->acc, rt->name, (kprod_err_t)rt->error_code, count, has_leader);
    if (tid >= 0 && kp_parts_grow(md->parts, (uint32_t)tid, count) == KPROD_ERR_NO_ERROR) {
        log_topic(md, &md->parts->topics[tid], rt);
        memcpy(md->parts->topics[tid].uuid, rt->topic_id, sizeof(rt->topic_id));
        for (int32_t k = 0; k < count; k++) {
            const kp_metadata_resp_partition *rp = &rt->partitions[k];
            kp_spart *sp = kp_parts_get(md->parts, (uint32_t)tid, rp->partition_index);
            sp->leader = has_leader[rp->partition_index] ? rp->leader_id : -1;
            sp->leader_epoch = rp->leader_epoch;
            log_leaderless(md, rt->name, rp->partition_index, sp, has_leader[rp->partition_index],
                           now_ms);
        }
    }
    free(has_leader);
}

void kp_md_apply(kp_md *md, const kp_metadata_resp *resp, int64_t now_ms) {
    apply_brokers(md, resp);
    for (int32_t i = 0; i < resp->topic_count; i++)
        apply_topic(md, &resp->topics[i], now_ms);
    md->have_metadata = 1;
    md->next_refresh_ms = now_ms + md->cfg->metadata_max_age_ms;
}

static void md_response(void *opaque, kp_broker *b, void *ctx, int16_t version, kp_rd *r) {
    kp_md *md = opaque;
    int64_t now = kp_now_ms();
    md->inflight = 0;
    md->retry_at_ms = now + md->cfg->retry_backoff_ms;
    uint64_t wid = (uintptr_t)ctx; /* the kp_md_get call asking, 0 = none */
    char why[200] = "malformed Metadata response";
    kp_metadata_resp *resp = calloc(1, sizeof(*resp));
    kprod_err_t err = resp ? kp_metadata_resp_decode(r, version, resp) : KPROD_ERR__NO_MEMORY;
    if (!err && (err = kp_md_check(resp, why, sizeof(why))) != KPROD_ERR_NO_ERROR)
        kp_metadata_resp_free(resp);
    if (err) {
        free(resp);
        if (wid)
            finish_waiter(md, wid, err, NULL);
        kp_rl_fail_broker(md->rl, b, err, why); /* an impossible answer: a protocol error */
        return;
    }
    kp_md_apply(md, resp, now);
    if (wid)
        finish_waiter(md, wid, KPROD_ERR_NO_ERROR, &resp);
    if (resp) {
        kp_metadata_resp_free(resp);
        free(resp);
    }
}

static void md_fail(void *opaque, kp_broker *b, void *ctx, kprod_err_t err, int written) {
    kp_md *md = opaque;
    (void)b, (void)err, (void)written;
    md->inflight = 0;
    md->retry_at_ms = kp_now_ms() + md->cfg->retry_backoff_ms;
    if (ctx) {
        /* Ask again elsewhere rather than fail the caller at once. */
        pthread_mutex_lock(&md->wlock);
        if (md->waiter && md->waiter->id == (uintptr_t)ctx)
            md->waiter->sent = 0;
        pthread_mutex_unlock(&md->wlock);
    }
}

static const kp_req_handler *md_handler(kp_md *md) {
    static _Thread_local kp_req_handler h;
    h.on_response = md_response;
    h.on_fail = md_fail;
    h.on_written = NULL;
    h.opaque = md;
    return &h;
}

/* ---- asking ---- */

int64_t kp_md_tick(kp_md *md, int64_t now) {
    if (md->inflight)
        return INT64_MAX;
    /* Fast path without any lock (kprod_send contends for the
     * accumulator's): nothing wanted, no caller waiting, no refresh due.
     * Whoever raises a hint also wakes the sender. */
    if (md->have_metadata && !md->refresh_now && now < md->next_refresh_ms &&
        !kp_acc_metadata_hint(md->acc) && !atomic_load(&md->waiter_hint))
        return md->next_refresh_ms;
    /* The waiter may time out and leave once wlock is dropped: keep its id
     * and a copy of its topic, not pointers into it. */
    pthread_mutex_lock(&md->wlock);
    kp_md_waiter *w = md->waiter;
    int waiter = w && !w->sent;
    uint64_t wid = waiter ? w->id : 0;
    int all = waiter && !w->topic;
    char *wtopic = waiter && w->topic ? strdup(w->topic) : NULL;
    pthread_mutex_unlock(&md->wlock);
    const char **names = NULL;
    int32_t n = 0;
    int any_wanted = 0;
    if ((waiter && !all && !wtopic) ||
        kp_acc_topics(md->acc, &names, &n, &any_wanted) != KPROD_ERR_NO_ERROR) {
        free(wtopic);
        return now + 100; /* out of memory: try again soon */
    }
    if (wtopic && !kp_acc_has_topic(md->acc, wtopic))
        names[n++] = wtopic; /* kp_acc_topics left room for one more */

    kp_md_timing t = {
        .have_metadata = md->have_metadata,
        .caller_waiting = waiter,
        .wanted = any_wanted || md->refresh_now,
        .new_topic = (any_wanted & KP_ACC_WANTED_NEW) != 0,
        .next_refresh_ms = md->next_refresh_ms,
        .retry_at_ms = md->retry_at_ms,
    };
    int64_t due_at = kp_md_due_at(&t);
    if (due_at > now) {
        free(names);
        free(wtopic);
        return due_at;
    }
    int64_t retry_at = now + 1000;
    kp_broker *b = kp_rl_for_metadata(md->rl, md->have_metadata, now, &retry_at);
    if (!b) {
        free(names);
        free(wtopic);
        return retry_at;
    }
    int16_t ver = kp_rl_version(b, KP_API_METADATA);
    kp_frame f;
    kp_buf *out = kp_rl_begin(md->rl, b, KP_API_METADATA, ver, &f);
    /* As the Java producer does: the broker's auto.create.topics.enable decides. */
    kprod_err_t err = kp_metadata_req_encode(out, ver, all ? NULL : names, n, 1);
    free(names);
    free(wtopic);
    if (kp_rl_send(md->rl, &f, err, 1, 0, md_handler(md), (void *)(uintptr_t)wid) !=
        KPROD_ERR_NO_ERROR) {
        md->retry_at_ms = now + md->cfg->retry_backoff_ms;
        return md->retry_at_ms;
    }
    md->inflight = 1;
    md->refresh_now = 0;
    if (waiter) {
        pthread_mutex_lock(&md->wlock);
        if (md->waiter && md->waiter->id == wid)
            md->waiter->sent = 1;
        pthread_mutex_unlock(&md->wlock);
    }
    return INT64_MAX;
}

void kp_md_fail_waiter(kp_md *md, kprod_err_t err) { finish_waiter(md, 0, err, NULL); }

void kp_md_close(kp_md *md) {
    pthread_mutex_lock(&md->wlock);
    md->closed = 1;
    pthread_mutex_unlock(&md->wlock);
    finish_waiter(md, 0, KPROD_ERR__CLOSED, NULL);
    pthread_cond_broadcast(&md->wcv);
}

kprod_err_t kp_md_get(kp_md *md, const char *topic, int64_t deadline_ms, kp_metadata_resp **out) {
    *out = NULL;
    kp_md_waiter w;
    memset(&w, 0, sizeof(w));
    if (topic && !(w.topic = strdup(topic)))
        return KPROD_ERR__NO_MEMORY;
    pthread_mutex_lock(&md->wlock);
    /* One caller at a time: wait for the slot. */
    while (md->waiter && !md->closed && !kp_acc_closing(md->acc)) {
        if (kp_cond_wait_until(&md->wcv, &md->wlock, deadline_ms) != 0)
            break;
    }
    kprod_err_t err;
    if (md->closed || kp_acc_closing(md->acc)) {
        err = KPROD_ERR__CLOSED;
    } else if (md->waiter) {
        err = KPROD_ERR__TIMED_OUT;
    } else {
        w.id = ++md->waiter_seq;
        md->waiter = &w;
        atomic_store(&md->waiter_hint, 1);
        md->wake(md->wake_opaque);
        while (!w.done && kp_cond_wait_until(&md->wcv, &md->wlock, deadline_ms) == 0)
            ;
        err = w.done ? w.err : KPROD_ERR__TIMED_OUT;
        md->waiter = NULL;
        atomic_store(&md->waiter_hint, 0);
        pthread_cond_broadcast(&md->wcv);
    }
    pthread_mutex_unlock(&md->wlock);
    free(w.topic);
    if (!err && !w.resp)
        err = KPROD_ERR__TIMED_OUT;
    if (err) {
        if (w.resp) {
            kp_metadata_resp_free(w.resp);
            free(w.resp);
        }
        return err;
    }
    *out = w.resp;
    return KPROD_ERR_NO_ERROR;
}
