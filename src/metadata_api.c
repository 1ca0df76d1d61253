/* The public kprod_metadata_* calls: kprod_metadata_get asks the sender's
 * metadata client for a fresh answer; the accessors read that answer,
 * which the caller owns. */
#include <stdlib.h>

#include "clock.h"
#include "producer.h"
#include "protocol/metadata.h"

struct kprod_metadata_s {
    kp_metadata_resp resp;
};

static int by_partition_index(const void *a, const void *b) {
    int32_t x = ((const kp_metadata_resp_partition *)a)->partition_index;
    int32_t y = ((const kp_metadata_resp_partition *)b)->partition_index;
    return x < y ? -1 : x > y;
}

KPROD_API kprod_err_t kprod_metadata_get(kprod_t *p, const char *topic, int timeout_ms,
                                         kprod_metadata_t **out) {
    if (!p || !out)
        return KPROD_ERR__INVALID_ARG;
    *out = NULL;
    kp_metadata_resp *resp;
    kprod_err_t err = kp_sender_metadata(p->sender, topic, kp_deadline(timeout_ms), &resp);
    if (err)
        return err;
    /* Checked answers hold each partition of 0..count-1 once: sorted, a
     * partition is found at its own index. */
    for (int32_t t = 0; t < resp->topic_count; t++)
        if (resp->topics[t].partition_count > 1) /* qsort may not be given NULL */
            qsort(resp->topics[t].partitions, (size_t)resp->topics[t].partition_count,
                  sizeof(*resp->topics[t].partitions), by_partition_index);
    kprod_metadata_t *md = malloc(sizeof(*md));
    if (!md) {
        kp_metadata_resp_free(resp);
        free(resp);
        return KPROD_ERR__NO_MEMORY;
    }
    md->resp = *resp;
    free(resp);
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

/* The partition with id `part`: kprod_metadata_get sorted them by id, and
 * a checked answer holds every id of 0..count-1 once. */
static const kp_metadata_resp_partition *partition_at(const kprod_metadata_t *md, int t, int part) {
    const kp_metadata_resp_topic *rt = topic_at(md, t);
    if (!rt || part < 0 || part >= rt->partition_count)
        return NULL;
    const kp_metadata_resp_partition *rp = &rt->partitions[part];
    return rp->partition_index == part ? rp : NULL;
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
