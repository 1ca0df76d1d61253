/* Cluster metadata on the sender thread: the bootstrap list, when to ask
 * (a topic waiting for its partitions, a leader error, metadata.max.age.ms,
 * a kprod_metadata_get call), whom to ask (any ready broker, else the next
 * one that can be connected, so an unreachable bootstrap address falls back
 * to the next), and applying the answer to brokers and partitions. Also the
 * public kprod_metadata_* calls, which read a response handed over by the
 * sender. */
#include "metadata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config_table.h"
#include "protocol/api_keys.h"
#include "protocol/header.h"
#include "protocol/metadata.h"
#include "sender.h"

struct kprod_metadata_s {
    kp_metadata_resp resp;
};

int kp_md_add_bootstrap(kprod_t *p) {
    const char *s = p->cfg.bootstrap_servers;
    int32_t id = -1;
    while (s && *s) {
        while (*s == ' ' || *s == ',')
            s++;
        size_t n = strcspn(s, ", ");
        if (n == 0)
            break;
        char host[256];
        int port;
        if (kp_conf_split_hostport(s, n, host, sizeof(host), &port) == 0 &&
            !kp_broker_add(p, id--, host, port))
            return -1;
        s += n;
    }
    return p->nbrokers > 0 ? 0 : -1;
}

/* A broker to ask: a ready one, else start connecting the next candidate.
 * Brokers from metadata come before bootstrap addresses. */
static kp_conn *metadata_conn(kprod_t *p, int64_t now, int64_t *retry_at) {
    kp_conn *best = NULL;
    int connecting = 0;
    for (int i = 0; i < p->nbrokers; i++) {
        kp_broker *br = p->brokers[i];
        if (br->id < 0 && p->have_metadata && best)
            break;
        if (br->conn.state == KP_CONN_READY && (!best || br->conn.ninflight < best->ninflight))
            best = &br->conn;
        else if (br->conn.state == KP_CONN_CONNECTING || br->conn.state == KP_CONN_HANDSHAKE)
            connecting = 1;
    }
    if (best || connecting)
        return best;
    /* Nothing up: connect the next broker whose backoff is over, in turn. */
    for (int k = 0; k < p->nbrokers; k++) {
        int i = (p->md_cursor + k) % p->nbrokers;
        kp_broker *br = p->brokers[i];
        if (p->have_metadata && br->id < 0 && k < p->nbrokers - 1) {
            /* prefer brokers from metadata; bootstrap addresses last */
            int any_known_down = 0;
            for (int j = 0; j < p->nbrokers; j++)
                any_known_down |= p->brokers[j]->id >= 0 && p->brokers[j]->in_metadata &&
                                  p->brokers[j]->conn.next_attempt_ms <= now;
            if (any_known_down)
                continue;
        }
        if (br->conn.next_attempt_ms <= now) {
            p->md_cursor = i + 1;
            br->wanted = 1;
            kp_conn_connect(&br->conn, now);
            return NULL;
        }
        if (br->conn.next_attempt_ms < *retry_at)
            *retry_at = br->conn.next_attempt_ms;
    }
    return NULL;
}

/* Collects the topic names to ask for (lock held), plus extra when it is
 * not a known topic. The names stay valid after unlocking: topics live
 * until the producer is destroyed, and extra is the caller's. */
static const char **wanted_topics_locked(kprod_t *p, const char *extra, int32_t *n,
                                         int *any_wanted) {
    kp_acc *acc = &p->acc;
    const char **names = malloc((acc->ntopics + 1) * sizeof(*names));
    *n = 0;
    *any_wanted = 0;
    if (!names)
        return NULL;
    for (size_t i = 0; i < acc->nbuckets; i++)
        for (kp_topic *t = acc->buckets[i]; t; t = t->hnext) {
            names[(*n)++] = t->name;
            *any_wanted |= t->md_wanted;
        }
    if (extra && !kp_acc_topic_locked(acc, extra, 0))
        names[(*n)++] = extra;
    return names;
}

int64_t kp_md_maybe_request(kprod_t *p, int64_t now) {
    if (p->md_inflight)
        return INT64_MAX;
    /* Fast path without the lock (the application's kprod_send contends for
     * it): nothing wanted, no caller waiting, the periodic refresh not due.
     * Whoever raises a hint also wakes the sender. */
    if (p->have_metadata && !p->md_refresh_now && now < p->md_next_refresh_ms &&
        !atomic_load(&p->acc.md_hint) && !atomic_load(&p->md_waiter_hint))
        return p->md_next_refresh_ms;
    pthread_mutex_lock(&p->acc.lock);
    /* The waiter may time out and leave as soon as the lock is dropped:
     * keep its id and a copy of its topic, not pointers into it. */
    kp_md_waiter *w = p->md_waiter;
    int waiter = w && !w->sent;
    uint64_t wid = waiter ? w->id : 0;
    int all = waiter && !w->topic;
    char *wtopic = waiter && w->topic ? strdup(w->topic) : NULL;
    int32_t n;
    int any_wanted;
    const char **names = wanted_topics_locked(p, wtopic, &n, &any_wanted);
    if (names && !any_wanted)
        atomic_store(&p->acc.md_hint, 0);
    pthread_mutex_unlock(&p->acc.lock);
    if (waiter && !all && !wtopic) {
        free(names); /* out of memory: try again on the next turn */
        return now + 100;
    }

    int due = waiter || !p->have_metadata || now >= p->md_next_refresh_ms ||
              ((any_wanted || p->md_refresh_now) && now >= p->md_retry_at_ms);
    if (!due || !names) {
        free(names);
        free(wtopic);
        int64_t next = p->md_next_refresh_ms;
        if ((any_wanted || p->md_refresh_now) && p->md_retry_at_ms < next)
            next = p->md_retry_at_ms;
        return next;
    }
    int64_t retry_at = now + 1000;
    kp_conn *c = metadata_conn(p, now, &retry_at);
    if (!c) {
        free(names);
        free(wtopic);
        return retry_at;
    }
    int16_t ver = kp_conn_pick(c, KP_API_METADATA);
    size_t start;
    kp_buf *frame = kp_frame_begin(p, c, KP_API_METADATA, ver, &start);
    /* As the Java producer does: the broker's auto.create.topics.enable decides. */
    kp_metadata_req_encode(frame, ver, all ? NULL : names, n, 1);
    free(names);
    free(wtopic);
    if (kp_send_request(p, c, KP_API_METADATA, ver, start, 1, (void *)(uintptr_t)wid) == 0) {
        p->md_inflight = 1;
        p->md_refresh_now = 0;
        if (waiter) {
            pthread_mutex_lock(&p->acc.lock);
            if (p->md_waiter && p->md_waiter->id == wid)
                p->md_waiter->sent = 1;
            pthread_mutex_unlock(&p->acc.lock);
        }
    }
    return INT64_MAX;
}

/* Adds brokers that are new, and repoints one whose address changed. */
static void apply_brokers(kprod_t *p, const kp_metadata_resp *resp) {
    for (int i = 0; i < p->nbrokers; i++)
        p->brokers[i]->in_metadata = 0;
    for (int32_t i = 0; i < resp->broker_count; i++) {
        const kp_metadata_resp_broker *rb = &resp->brokers[i];
        kp_broker *br = kp_broker_find(p, rb->node_id);
        if (br && (strcmp(br->conn.host, rb->host) != 0 || br->conn.port != rb->port)) {
            kp_conn_fail(&br->conn, KPROD_ERR__TRANSPORT, "broker address changed", kp_now_ms(),
                         kp_sender_handlers(p));
            snprintf(br->conn.host, sizeof(br->conn.host), "%s", rb->host);
            br->conn.port = rb->port;
            br->conn.next_attempt_ms = 0;
        }
        if (!br)
            br = kp_broker_add(p, rb->node_id, rb->host, rb->port);
        if (br)
            br->in_metadata = 1;
    }
}

/* Applies topics and leaders to the accumulator (lock held). */
static void apply_topics_locked(kprod_t *p, const kp_metadata_resp *resp) {
    for (int32_t i = 0; i < resp->topic_count; i++) {
        const kp_metadata_resp_topic *rt = &resp->topics[i];
        if (!rt->name)
            continue;
        kp_topic *t = kp_acc_topic_locked(&p->acc, rt->name, 0);
        if (!t)
            continue;
        t->md_err = (kprod_err_t)rt->error_code;
        if (rt->error_code || rt->partition_count <= 0)
            continue;
        int32_t count = 0;
        for (int32_t k = 0; k < rt->partition_count; k++)
            if (rt->partitions[k].partition_index + 1 > count)
                count = rt->partitions[k].partition_index + 1;
        if (kp_acc_set_partition_count_locked(&p->acc, t, count) != KPROD_ERR_NO_ERROR)
            continue;
        t->md_wanted = 0;
        t->unknown_confirmed = 0;
        for (int32_t k = 0; k < rt->partition_count; k++) {
            const kp_metadata_resp_partition *rp = &rt->partitions[k];
            if (rp->partition_index < 0)
                continue;
            kp_partq *q = &t->parts[rp->partition_index];
            q->leader = rp->error_code == KPROD_ERR_LEADER_NOT_AVAILABLE ? -1 : rp->leader_id;
            q->leader_epoch = rp->leader_epoch;
            if (q->leader < 0)
                kp_acc_want_metadata_locked(&p->acc, t); /* ask again after the backoff */
        }
    }
    pthread_cond_broadcast(&p->acc.md_cv);
}

void kp_md_handle_response(kprod_t *p, kp_conn *c, kp_inflight *req, kp_rd *r) {
    int64_t now = kp_now_ms();
    p->md_inflight = 0;
    p->md_retry_at_ms = now + p->cfg.retry_backoff_ms;
    kp_metadata_resp *resp = calloc(1, sizeof(*resp));
    kprod_err_t err =
        resp ? kp_metadata_resp_decode(r, req->api_version, resp) : KPROD_ERR__NO_MEMORY;
    uint64_t wid = (uintptr_t)req->ctx; /* the kprod_metadata_get call asking, 0 = none */
    if (err) {
        free(resp);
        pthread_mutex_lock(&p->acc.lock);
        kp_md_waiter *w = p->md_waiter;
        if (wid && w && w->id == wid && !w->done) {
            w->done = 1;
            w->err = err;
            pthread_cond_broadcast(&p->acc.md_cv);
        }
        pthread_mutex_unlock(&p->acc.lock);
        kp_conn_fail(c, err, "malformed Metadata response", now, kp_sender_handlers(p));
        return;
    }
    apply_brokers(p, resp);
    p->have_metadata = 1;
    p->md_next_refresh_ms = now + p->cfg.metadata_max_age_ms;
    pthread_mutex_lock(&p->acc.lock);
    apply_topics_locked(p, resp);
    kp_md_waiter *w = p->md_waiter;
    if (wid && w && w->id == wid && !w->done) {
        w->done = 1;
        w->resp = resp; /* handed over */
        resp = NULL;
        pthread_cond_broadcast(&p->acc.md_cv);
    }
    pthread_mutex_unlock(&p->acc.lock);
    if (resp) {
        kp_metadata_resp_free(resp);
        free(resp);
    }
}

void kp_md_request_failed(kprod_t *p, kp_inflight *req, kprod_err_t err) {
    p->md_inflight = 0;
    p->md_retry_at_ms = kp_now_ms() + p->cfg.retry_backoff_ms;
    if (req->ctx) {
        /* Ask again elsewhere rather than fail the caller at once. */
        pthread_mutex_lock(&p->acc.lock);
        if (p->md_waiter && p->md_waiter->id == (uintptr_t)req->ctx)
            p->md_waiter->sent = 0;
        pthread_mutex_unlock(&p->acc.lock);
    }
    (void)err;
}

void kp_md_fail_waiter(kprod_t *p, kprod_err_t err) {
    pthread_mutex_lock(&p->acc.lock);
    if (p->md_waiter && !p->md_waiter->done) {
        p->md_waiter->done = 1;
        p->md_waiter->err = err;
        pthread_cond_broadcast(&p->acc.md_cv);
    }
    pthread_mutex_unlock(&p->acc.lock);
}

/* ---- public: kprod_metadata_* ---- */

KPROD_API kprod_err_t kprod_metadata_get(kprod_t *p, const char *topic, int timeout_ms,
                                         kprod_metadata_t **out) {
    if (!p || !out)
        return KPROD_ERR__INVALID_ARG;
    *out = NULL;
    kp_md_waiter w;
    memset(&w, 0, sizeof(w));
    if (topic && !(w.topic = strdup(topic)))
        return KPROD_ERR__NO_MEMORY;
    int64_t deadline = kp_deadline(timeout_ms);
    pthread_mutex_lock(&p->acc.lock);
    /* One caller at a time: wait for the slot. */
    while (p->md_waiter && !p->acc.closing) {
        if (kp_cond_wait_until(&p->acc.md_cv, &p->acc.lock, deadline) != 0)
            break;
    }
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    if (p->md_waiter || p->acc.closing) {
        err = p->acc.closing ? KPROD_ERR__CLOSED : KPROD_ERR__TIMED_OUT;
    } else {
        w.id = ++p->md_waiter_seq;
        p->md_waiter = &w;
        atomic_store(&p->md_waiter_hint, 1);
        kp_sender_wake(p);
        while (!w.done && kp_cond_wait_until(&p->acc.md_cv, &p->acc.lock, deadline) == 0)
            ;
        err = w.done ? w.err : KPROD_ERR__TIMED_OUT;
        p->md_waiter = NULL;
        atomic_store(&p->md_waiter_hint, 0);
        pthread_cond_broadcast(&p->acc.md_cv);
    }
    pthread_mutex_unlock(&p->acc.lock);
    free(w.topic);
    if (err || !w.resp) {
        if (w.resp) {
            kp_metadata_resp_free(w.resp);
            free(w.resp);
        }
        return err ? err : KPROD_ERR__TIMED_OUT;
    }
    kprod_metadata_t *md = malloc(sizeof(*md));
    if (!md) {
        kp_metadata_resp_free(w.resp);
        free(w.resp);
        return KPROD_ERR__NO_MEMORY;
    }
    md->resp = *w.resp;
    free(w.resp);
    *out = md;
    return KPROD_ERR_NO_ERROR;
}

KPROD_API void kprod_metadata_destroy(kprod_metadata_t *md) {
    if (!md)
        return;
    kp_metadata_resp_free(&md->resp);
    free(md);
}

KPROD_API const char *kprod_metadata_cluster_id(const kprod_metadata_t *md) {
    return md ? md->resp.cluster_id : NULL;
}

KPROD_API int32_t kprod_metadata_controller_id(const kprod_metadata_t *md) {
    return md ? md->resp.controller_id : -1;
}

KPROD_API int kprod_metadata_broker_count(const kprod_metadata_t *md) {
    return md ? md->resp.broker_count : 0;
}

static const kp_metadata_resp_broker *broker_at(const kprod_metadata_t *md, int i) {
    return md && i >= 0 && i < md->resp.broker_count ? &md->resp.brokers[i] : NULL;
}

KPROD_API int32_t kprod_metadata_broker_id(const kprod_metadata_t *md, int i) {
    const kp_metadata_resp_broker *b = broker_at(md, i);
    return b ? b->node_id : -1;
}

KPROD_API const char *kprod_metadata_broker_host(const kprod_metadata_t *md, int i) {
    const kp_metadata_resp_broker *b = broker_at(md, i);
    return b ? b->host : NULL;
}

KPROD_API int32_t kprod_metadata_broker_port(const kprod_metadata_t *md, int i) {
    const kp_metadata_resp_broker *b = broker_at(md, i);
    return b ? b->port : -1;
}

KPROD_API int kprod_metadata_topic_count(const kprod_metadata_t *md) {
    return md ? md->resp.topic_count : 0;
}

static const kp_metadata_resp_topic *topic_at(const kprod_metadata_t *md, int t) {
    return md && t >= 0 && t < md->resp.topic_count ? &md->resp.topics[t] : NULL;
}

KPROD_API const char *kprod_metadata_topic_name(const kprod_metadata_t *md, int t) {
    const kp_metadata_resp_topic *rt = topic_at(md, t);
    return rt ? rt->name : NULL;
}

KPROD_API kprod_err_t kprod_metadata_topic_err(const kprod_metadata_t *md, int t) {
    const kp_metadata_resp_topic *rt = topic_at(md, t);
    return rt ? (kprod_err_t)rt->error_code : KPROD_ERR__INVALID_ARG;
}

KPROD_API int kprod_metadata_partition_count(const kprod_metadata_t *md, int t) {
    const kp_metadata_resp_topic *rt = topic_at(md, t);
    return rt ? rt->partition_count : 0;
}

/* The partition with id `part` (responses need not list them in order). */
static const kp_metadata_resp_partition *partition_at(const kprod_metadata_t *md, int t, int part) {
    const kp_metadata_resp_topic *rt = topic_at(md, t);
    if (!rt)
        return NULL;
    for (int32_t i = 0; i < rt->partition_count; i++)
        if (rt->partitions[i].partition_index == part)
            return &rt->partitions[i];
    return NULL;
}

KPROD_API int32_t kprod_metadata_partition_leader(const kprod_metadata_t *md, int t, int part) {
    const kp_metadata_resp_partition *rp = partition_at(md, t, part);
    return rp ? rp->leader_id : -1;
}

static int copy_ids(const int32_t *src, int32_t n, int32_t *ids, int max) {
    for (int32_t i = 0; i < n && i < max; i++)
        ids[i] = src[i];
    return n;
}

KPROD_API int kprod_metadata_partition_replicas(const kprod_metadata_t *md, int t, int part,
                                                int32_t *ids, int max) {
    const kp_metadata_resp_partition *rp = partition_at(md, t, part);
    return rp ? copy_ids(rp->replica_nodes, rp->replica_count, ids, max) : -1;
}

KPROD_API int kprod_metadata_partition_isr(const kprod_metadata_t *md, int t, int part,
                                           int32_t *ids, int max) {
    const kp_metadata_resp_partition *rp = partition_at(md, t, part);
    return rp ? copy_ids(rp->isr_nodes, rp->isr_count, ids, max) : -1;
}
