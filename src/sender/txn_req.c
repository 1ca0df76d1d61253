/* The transaction client's requests and checked answers (see txn_req.h). */
#include "sender/txn_req.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/find_coordinator.h"
#include "protocol/init_producer_id.h"

/* ---- FindCoordinator ---- */

kprod_err_t kp_txn_req_find(kp_buf *out, int16_t ver, int8_t key_type, const char *key) {
    const char *keys[] = {key};
    return kp_find_coordinator_req_encode(out, ver, key_type, keys, 1);
}

kprod_err_t kp_txn_resp_find(kp_rd *r, int16_t ver, const char *key, kp_txn_coord *out) {
    memset(out, 0, sizeof(*out));
    out->node_id = -1;
    kp_find_coordinator_resp resp;
    if (kp_find_coordinator_resp_decode(r, ver, &resp) != KPROD_ERR_NO_ERROR)
        return KPROD_ERR__BAD_MSG;
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    /* One key asked: one coordinator, about that key. */
    const kp_find_coordinator_node *n = resp.count == 1 ? &resp.coordinators[0] : NULL;
    if (!n || (n->key && strcmp(n->key, key) != 0)) {
        err = KPROD_ERR__BAD_MSG;
    } else if (n->error_code) {
        out->err = (kprod_err_t)n->error_code;
    } else if (n->node_id < 0 || !n->host || !n->host[0] || strlen(n->host) >= sizeof(out->host) ||
               n->port <= 0 || n->port > 65535) {
        err = KPROD_ERR__BAD_MSG;
    } else {
        out->node_id = n->node_id;
        memcpy(out->host, n->host, strlen(n->host) + 1);
        out->port = n->port;
    }
    kp_find_coordinator_resp_free(&resp);
    return err;
}

/* ---- InitProducerId ---- */

/* No producer named, no error: what every answer starts as. */
static void pid_clear(kp_txn_pid *out) {
    out->producer_id = -1;
    out->producer_epoch = -1;
    out->err = KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_txn_resp_init_pid(kp_rd *r, int16_t ver, kp_txn_pid *out) {
    kp_init_producer_id_resp resp;
    pid_clear(out);
    if (kp_init_producer_id_resp_decode(r, ver, &resp) != KPROD_ERR_NO_ERROR)
        return KPROD_ERR__BAD_MSG;
    out->err = (kprod_err_t)resp.error_code;
    if (out->err)
        return KPROD_ERR_NO_ERROR;
    if (resp.producer_id < 0 || resp.producer_epoch < 0)
        return KPROD_ERR__BAD_MSG; /* success must name a producer */
    out->producer_id = resp.producer_id;
    out->producer_epoch = resp.producer_epoch;
    return KPROD_ERR_NO_ERROR;
}

/* ---- lists by topic ---- */

static int same_topic(const kp_txn_tp *a, const kp_txn_tp *b) {
    return a->topic == b->topic || strcmp(a->topic, b->topic) == 0;
}

/* The number of topic runs in a sorted list whose entries are stride
 * bytes apart (a kp_txn_tp array, or the tp members of a kp_txn_off one). */
static int32_t topic_runs(const kp_txn_tp *tps, size_t stride, int n) {
    int32_t runs = 0;
    for (int i = 0; i < n; i++) {
        const kp_txn_tp *t =
            (const kp_txn_tp *)(const void *)((const char *)tps + (size_t)i * stride);
        const kp_txn_tp *prev =
            i ? (const kp_txn_tp *)(const void *)((const char *)t - stride) : NULL;
        runs += !prev || !same_topic(prev, t);
    }
    return runs;
}

kprod_err_t kp_txn_req_add_partitions(kp_buf *out, int16_t ver, const char *txn_id,
                                      int64_t producer_id, int16_t producer_epoch,
                                      const kp_txn_tp *tps, int n) {
    if (n <= 0)
        return KPROD_ERR__INVALID_ARG;
    int32_t nt = topic_runs(tps, sizeof(*tps), n);
    kp_txn_topic_partitions *topics = calloc((size_t)nt, sizeof(*topics));
    int32_t *parts = malloc((size_t)n * sizeof(*parts));
    kprod_err_t err = KPROD_ERR__NO_MEMORY;
    if (topics && parts) {
        int32_t t = -1;
        for (int i = 0; i < n; i++) {
            if (i == 0 || !same_topic(&tps[i - 1], &tps[i])) {
                topics[++t].topic = tps[i].topic;
                topics[t].partitions = &parts[i];
            }
            parts[i] = tps[i].partition;
            topics[t].partition_count++;
        }
        err = kp_add_partitions_to_txn_req_encode(out, ver, txn_id, producer_id, producer_epoch,
                                                  topics, nt);
    }
    free(topics);
    free(parts);
    return err;
}

/* Fills errs (for the n partitions asked, entries stride bytes apart)
 * from a decoded per-partition answer; a partition left out is an
 * impossible answer. */
static kprod_err_t match_partitions(const kp_txn_partitions_resp *resp, const kp_txn_tp *tps,
                                    size_t stride, int n, kprod_err_t *errs) {
    /* More answers than questions is impossible; it also bounds the
     * matching below to n * n. */
    int64_t answers = 0;
    for (int32_t t = 0; t < resp->topic_count; t++)
        answers += resp->topics[t].partition_count;
    if (answers > n)
        return KPROD_ERR__BAD_MSG;
    uint8_t *seen = calloc((size_t)n, 1);
    if (!seen)
        return KPROD_ERR__NO_MEMORY;
    for (int32_t t = 0; t < resp->topic_count; t++) {
        const kp_txn_topic_result *rt = &resp->topics[t];
        for (int32_t k = 0; rt->topic && k < rt->partition_count; k++) {
            for (int i = 0; i < n; i++) {
                const kp_txn_tp *tp =
                    (const kp_txn_tp *)(const void *)((const char *)tps + (size_t)i * stride);
                if (!seen[i] && tp->partition == rt->partitions[k].partition &&
                    strcmp(tp->topic, rt->topic) == 0) {
                    seen[i] = 1;
                    errs[i] = (kprod_err_t)rt->partitions[k].error_code;
                    break;
                }
            }
        }
    }
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    for (int i = 0; i < n; i++)
        if (!seen[i])
            err = KPROD_ERR__BAD_MSG;
    free(seen);
    return err;
}

/* Decodes a per-partition answer with decode and matches it. */
static kprod_err_t
partitions_answer(kp_rd *r, int16_t ver,
                  kprod_err_t (*decode)(kp_rd *, int16_t, kp_txn_partitions_resp *),
                  const kp_txn_tp *tps, size_t stride, int n, kprod_err_t *errs) {
    kp_txn_partitions_resp resp;
    if (decode(r, ver, &resp) != KPROD_ERR_NO_ERROR)
        return KPROD_ERR__BAD_MSG;
    kprod_err_t err = match_partitions(&resp, tps, stride, n, errs);
    kp_txn_partitions_resp_free(&resp);
    return err;
}

kprod_err_t kp_txn_resp_add_partitions(kp_rd *r, int16_t ver, const kp_txn_tp *tps, int n,
                                       kprod_err_t *errs) {
    return partitions_answer(r, ver, kp_add_partitions_to_txn_resp_decode, tps, sizeof(*tps), n,
                             errs);
}

kprod_err_t kp_txn_req_offset_commit(kp_buf *out, int16_t ver, const char *txn_id,
                                     const kp_txn_group *g, int64_t producer_id,
                                     int16_t producer_epoch, const kp_txn_off *offs, int n) {
    if (n <= 0)
        return KPROD_ERR__INVALID_ARG;
    int32_t nt = topic_runs(&offs[0].tp, sizeof(*offs), n);
    kp_txn_offset_topic *topics = calloc((size_t)nt, sizeof(*topics));
    kp_txn_offset *parts = malloc((size_t)n * sizeof(*parts));
    kprod_err_t err = KPROD_ERR__NO_MEMORY;
    if (topics && parts) {
        int32_t t = -1;
        for (int i = 0; i < n; i++) {
            if (i == 0 || !same_topic(&offs[i - 1].tp, &offs[i].tp)) {
                topics[++t].topic = offs[i].tp.topic;
                topics[t].partitions = &parts[i];
            }
            parts[i] = offs[i].o;
            parts[i].partition = offs[i].tp.partition;
            topics[t].partition_count++;
        }
        err = kp_txn_offset_commit_req_encode(out, ver, txn_id, g, producer_id, producer_epoch,
                                              topics, nt);
    }
    free(topics);
    free(parts);
    return err;
}

kprod_err_t kp_txn_resp_offset_commit(kp_rd *r, int16_t ver, const kp_txn_off *offs, int n,
                                      kprod_err_t *errs) {
    return partitions_answer(r, ver, kp_txn_offset_commit_resp_decode, &offs[0].tp, sizeof(*offs),
                             n, errs);
}

/* ---- AddOffsetsToTxn, EndTxn ---- */

kprod_err_t kp_txn_resp_add_offsets(kp_rd *r, int16_t ver, kp_txn_pid *out) {
    kp_txn_resp resp;
    pid_clear(out);
    if (kp_add_offsets_to_txn_resp_decode(r, ver, &resp) != KPROD_ERR_NO_ERROR)
        return KPROD_ERR__BAD_MSG;
    out->err = (kprod_err_t)resp.error_code;
    return KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_txn_resp_end(kp_rd *r, int16_t ver, kp_txn_pid *out) {
    kp_txn_resp resp;
    pid_clear(out);
    if (kp_end_txn_resp_decode(r, ver, &resp) != KPROD_ERR_NO_ERROR)
        return KPROD_ERR__BAD_MSG;
    out->err = (kprod_err_t)resp.error_code;
    /* v5 (Transactions V2) names the producer to use next; an epoch bumped
     * past its range comes back as a new producer id with epoch 0. */
    if (!out->err && ver >= 5) {
        if (resp.producer_id < 0 || resp.producer_epoch < 0)
            return KPROD_ERR__BAD_MSG;
        out->producer_id = resp.producer_id;
        out->producer_epoch = resp.producer_epoch;
    }
    return KPROD_ERR_NO_ERROR;
}
