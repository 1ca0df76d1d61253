/* The sender's partition table (see parts.h). */
#include "sender/parts.h"

#include <stdlib.h>
#include <string.h>

kp_spart *kp_parts_get(kp_parts *pt, uint32_t topic_id, int32_t partition) {
    if (topic_id >= pt->ntopics)
        return NULL;
    kp_stopic *t = &pt->topics[topic_id];
    return partition >= 0 && partition < t->count ? &t->parts[partition] : NULL;
}

kprod_err_t kp_parts_grow(kp_parts *pt, uint32_t topic_id, int32_t count) {
    if (topic_id >= pt->ntopics) {
        uint32_t n = topic_id + 1;
        kp_stopic *nt = realloc(pt->topics, (size_t)n * sizeof(*nt));
        if (!nt)
            return KPROD_ERR__NO_MEMORY;
        memset(nt + pt->ntopics, 0, (size_t)(n - pt->ntopics) * sizeof(*nt));
        pt->topics = nt;
        pt->ntopics = n;
    }
    kp_stopic *t = &pt->topics[topic_id];
    if (count <= t->count)
        return KPROD_ERR_NO_ERROR;
    kp_spart *np = realloc(t->parts, (size_t)count * sizeof(*np));
    if (!np)
        return KPROD_ERR__NO_MEMORY;
    for (int32_t p = t->count; p < count; p++) {
        memset(&np[p], 0, sizeof(np[p]));
        np[p].leader = -1;
        np[p].leader_epoch = -1;
    }
    t->parts = np;
    t->count = count;
    return KPROD_ERR_NO_ERROR;
}

void kp_parts_free(kp_parts *pt) {
    for (uint32_t i = 0; i < pt->ntopics; i++) {
        for (int32_t p = 0; p < pt->topics[i].count; p++)
            free(pt->topics[i].parts[p].cnt.latency);
        free(pt->topics[i].parts);
    }
    free(pt->topics);
    memset(pt, 0, sizeof(*pt));
}
