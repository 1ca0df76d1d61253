/* The metadata-apply step of the sender (src/sender/metadata.c): decoded
 * Metadata answers fed into a real kp_md with its request layer, an
 * accumulator that has topics waiting, and the sender's partition table.
 *
 * Input: up to four answers in a row, each a version byte (4..13, as
 * fuzz_metadata picks it) followed by a Metadata response body; the next
 * answer starts where the decoder stopped. An answer kp_md_check accepts is
 * applied with kp_md_apply, as md_response does, and the request layer is
 * polled once (no sockets: nothing connects) so that it drops the brokers
 * the answer no longer lists. After each answer the target checks:
 *   - every broker of the answer is known to the request layer at the
 *     address the answer gave it last, and marked in_metadata;
 *   - every topic of the accumulator with partitions has a row in the
 *     partition table for each of them (a drain may take any of its
 *     batches at once), and the leaders there are the answer's;
 *   - records then appended to those topics drain from partitions that
 *     have rows.
 * The topics "foo", "b" and "t" (the names of the unit tests' vectors)
 * are created first with a kp_acc_append that gives up at once
 * (max.block.ms=0): the topic stays, waiting for its metadata. */
#include "fuzz_util.h"

#include "accumulator.h"
#include "accumulator_impl.h"
#include "config.h"
#include "kprod.h"
#include "partitioner.h"
#include "protocol/api_keys.h"
#include "protocol/metadata.h"
#include "sender/metadata.h"
#include "sender/parts.h"
#include "sender/request.h"

#define MAX_ANSWERS 4

static const char *const topic_names[] = {"foo", "b", "t"};
#define NTOPICS (sizeof(topic_names) / sizeof(topic_names[0]))

static kp_config cfg; /* for the whole run */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    kprod_conf_t *c = kprod_conf_new();
    char err[512];
    KPF_CHECK(c != NULL);
    KPF_CHECK(kprod_conf_set(c, "bootstrap.servers", "127.0.0.1:9", err, sizeof(err)) == 0);
    KPF_CHECK(kprod_conf_set(c, "max.block.ms", "0", err, sizeof(err)) == 0);
    KPF_CHECK(kp_conf_resolve(c, &cfg, err, sizeof(err)) == KPROD_ERR_NO_ERROR);
    kprod_conf_destroy(c);
    return 0;
}

static void no_wake(void *opaque) { (void)opaque; }

/* The accumulator's topic (its own lock taken, as every accessor does). */
typedef struct topic_view {
    int64_t id;
    int32_t partition_count;
    kprod_err_t md_err;
} topic_view;

static topic_view view_topic(kp_acc *acc, const char *name) {
    topic_view v = {-1, -1, 0};
    pthread_mutex_lock(&acc->lock);
    kp_topic *t = kp_acc_topic_locked(acc, name);
    if (t) {
        v.id = t->id;
        v.partition_count = t->partition_count;
        v.md_err = t->md_err;
    }
    pthread_mutex_unlock(&acc->lock);
    return v;
}

/* Is entry i the last one of the answer with its broker id / topic name? */
static int last_broker(const kp_metadata_resp *m, int32_t i) {
    for (int32_t j = i + 1; j < m->broker_count; j++)
        if (m->brokers[j].node_id == m->brokers[i].node_id)
            return 0;
    return 1;
}

static int last_topic(const kp_metadata_resp *m, int32_t i) {
    for (int32_t j = i + 1; j < m->topic_count; j++)
        if (m->topics[j].name && strcmp(m->topics[j].name, m->topics[i].name) == 0)
            return 0;
    return 1;
}

static void check_brokers(kp_rl *rl, const kp_metadata_resp *m) {
    for (int32_t i = 0; i < m->broker_count; i++) {
        if (!last_broker(m, i))
            continue;
        const kp_metadata_resp_broker *rb = &m->brokers[i];
        kp_broker *b = kp_rl_find(rl, rb->node_id);
        KPF_CHECK(b != NULL && b->id == rb->node_id && b->in_metadata);
        KPF_CHECK(strcmp(b->conn.host, rb->host) == 0 && b->conn.port == rb->port);
    }
    /* The table and the id hash agree. */
    for (int i = 0; i < kp_rl_count(rl); i++) {
        kp_broker *b = kp_rl_at(rl, i);
        KPF_CHECK(b->index == i && kp_rl_find(rl, b->id) == b);
    }
}

static void check_topics(kp_acc *acc, kp_parts *parts, const kp_metadata_resp *m) {
    for (int32_t i = 0; i < m->topic_count; i++) {
        const kp_metadata_resp_topic *rt = &m->topics[i];
        if (!rt->name || !last_topic(m, i))
            continue;
        topic_view v = view_topic(acc, rt->name);
        if (v.id < 0)
            continue; /* not one of ours: ignored */
        KPF_CHECK(v.md_err == (kprod_err_t)rt->error_code);
        if (rt->error_code || rt->partition_count <= 0)
            continue;
        KPF_CHECK(v.partition_count >= rt->partition_count); /* partitions never shrink */
        for (int32_t k = 0; k < rt->partition_count; k++) {
            const kp_metadata_resp_partition *rp = &rt->partitions[k];
            kp_spart *sp = kp_parts_get(parts, (uint32_t)v.id, rp->partition_index);
            KPF_CHECK(sp != NULL);
            int has_leader = rp->error_code != KPROD_ERR_LEADER_NOT_AVAILABLE && rp->leader_id >= 0;
            KPF_CHECK(sp->leader == (has_leader ? rp->leader_id : -1));
            KPF_CHECK(sp->leader_epoch == rp->leader_epoch);
        }
    }
    /* Every partition the accumulator knows has its row. */
    for (size_t i = 0; i < NTOPICS; i++) {
        topic_view v = view_topic(acc, topic_names[i]);
        KPF_CHECK(v.id >= 0);
        if (v.partition_count > 0)
            KPF_CHECK(kp_parts_get(parts, (uint32_t)v.id, v.partition_count - 1) != NULL);
    }
}

/* Drain callback: a batch's partition has its row (runs under the
 * accumulator's lock; touches only the partition table). */
static kp_drain_verdict check_head(void *opaque, const kp_batch *head, int ready, int64_t now_ms,
                                   int64_t *wake_at_ms) {
    (void)ready, (void)now_ms, (void)wake_at_ms;
    KPF_CHECK(kp_parts_get(opaque, head->topic_id, head->partition) != NULL);
    return KP_DRAIN_SKIP;
}

static void append_and_drain(kp_acc *acc, kp_parts *parts, int64_t now) {
    for (size_t i = 0; i < NTOPICS; i++) {
        if (view_topic(acc, topic_names[i]).partition_count <= 0)
            continue;
        kp_append a = {.topic = topic_names[i],
                       .partition = KPROD_PARTITION_ANY,
                       .timestamp_ms = now,
                       .key = NULL,
                       .key_len = -1,
                       .value = "v",
                       .value_len = 1};
        (void)kp_acc_append(acc, &a); /* the sticky partitioner: a partition with a leader */
        a.key = "key";
        a.key_len = 3;
        (void)kp_acc_append(acc, &a); /* by the key's hash */
    }
    kp_batchvec taken = {0}, expired = {0};
    int64_t wake = INT64_MAX;
    kp_acc_drain(acc, now, check_head, parts, &taken, &expired, &wake);
    KPF_CHECK(taken.n == 0 && expired.n == 0);
    kp_batchvec_free(&taken);
    kp_batchvec_free(&expired);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kp_partitioner_seed_thread(1); /* the same partition choices every run */
    kp_rl *rl = kp_rl_new(&cfg, NULL, 0);
    kp_acc *acc = kp_acc_new(&cfg);
    kp_parts parts;
    memset(&parts, 0, sizeof(parts));
    KPF_CHECK(rl && acc);
    kp_md *md = kp_md_new(&cfg, rl, acc, &parts, no_wake, NULL);
    KPF_CHECK(md != NULL);
    for (size_t i = 0; i < NTOPICS; i++) {
        kp_append a = {.topic = topic_names[i],
                       .partition = KPROD_PARTITION_ANY,
                       .key_len = -1,
                       .value_len = -1};
        kprod_err_t err = kp_acc_append(acc, &a);
        KPF_CHECK(err == KPROD_ERR__TIMED_OUT || err == KPROD_ERR__UNKNOWN_TOPIC);
        KPF_CHECK(kp_acc_has_topic(acc, topic_names[i]));
    }

    kp_rd r;
    kp_rd_init(&r, data, size);
    /* Later than any monotonic clock reading (the batches' creation times):
     * the same accumulator decisions on every machine. */
    int64_t now = (int64_t)1 << 40;
    for (int n = 0; n < MAX_ANSWERS && kp_rd_remaining(&r) > 0; n++) {
        int16_t version =
            kpf_version((uint8_t)kp_rd_i8(&r), KP_METADATA_MIN_VER, KP_METADATA_MAX_VER);
        kp_metadata_resp resp;
        if (kp_metadata_resp_decode(&r, version, &resp) != KPROD_ERR_NO_ERROR)
            break;
        char why[200];
        if (kp_md_check(&resp, why, sizeof(why)) == KPROD_ERR_NO_ERROR) {
            kp_md_apply(md, &resp, now);
            check_brokers(rl, &resp);
            check_topics(acc, &parts, &resp);
            kp_rl_poll(rl, -1, 0); /* the prune kp_md_apply asked for */
            check_brokers(rl, &resp);
            append_and_drain(acc, &parts, now);
        }
        kp_metadata_resp_free(&resp);
        now += 1000;
    }

    kp_md_free(md);
    kp_acc_free(acc);
    kp_parts_free(&parts);
    kp_rl_free(rl);
    return 0;
}
