/* Produce request writer and response decoder (see produce.h). Field order
 * and versions follow ProduceRequest.json / ProduceResponse.json. */
#include "protocol/produce.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

/* ---- request ---- */

static void w_fail(kp_produce_req_writer *w, kprod_err_t err) {
    if (!w->err)
        w->err = err;
}

/* Tagged-field sections come after a struct's last field, so they are
 * written when the next sibling (or the end) begins. */
static void close_partition(kp_produce_req_writer *w) {
    if (w->open_partition)
        kp_codec_put_tags(w->b, w->flexible);
    w->open_partition = 0;
}

static void close_topic(kp_produce_req_writer *w) {
    close_partition(w);
    if (w->open_topic)
        kp_codec_put_tags(w->b, w->flexible);
    w->open_topic = 0;
}

kprod_err_t kp_produce_req_begin(kp_produce_req_writer *w, kp_buf *b, int16_t version,
                                 const char *transactional_id, int16_t acks, int32_t timeout_ms,
                                 int32_t topic_count) {
    memset(w, 0, sizeof(*w));
    w->b = b;
    w->version = version;
    w->flexible = kp_proto_is_flexible(KP_API_PRODUCE, version);
    if (version < KP_PRODUCE_MIN_VER || version > KP_PRODUCE_MAX_VER || topic_count < 0 ||
        !kp_codec_str_ok(transactional_id)) {
        w->err = KPROD_ERR__INVALID_ARG;
        return w->err;
    }
    kp_codec_put_str(b, w->flexible, transactional_id); /* TransactionalId */
    kp_buf_put_i16(b, acks);                            /* Acks */
    kp_buf_put_i32(b, timeout_ms);                      /* TimeoutMs */
    kp_codec_put_arrlen(b, w->flexible, topic_count);   /* TopicData */
    w->topics_left = topic_count;
    return KPROD_ERR_NO_ERROR;
}

void kp_produce_req_topic(kp_produce_req_writer *w, const char *name, int32_t partition_count) {
    if (w->err)
        return;
    close_topic(w);
    if (w->topics_left <= 0 || w->partitions_left != 0 || !name || !kp_codec_str_ok(name) ||
        partition_count < 0) {
        w_fail(w, KPROD_ERR__INVALID_ARG);
        return;
    }
    kp_codec_put_str(w->b, w->flexible, name);               /* Name */
    kp_codec_put_arrlen(w->b, w->flexible, partition_count); /* PartitionData */
    w->topics_left--;
    w->partitions_left = partition_count;
    w->open_topic = 1;
}

/* Writes Index and the Records length; null when is_null. */
static int partition_head(kp_produce_req_writer *w, int32_t partition, size_t len, int is_null) {
    if (w->err)
        return -1;
    close_partition(w);
    if (!w->open_topic || w->partitions_left <= 0 || len >= (size_t)INT32_MAX) {
        w_fail(w, KPROD_ERR__INVALID_ARG);
        return -1;
    }
    kp_buf_put_i32(w->b, partition); /* Index */
    int32_t n = is_null ? -1 : (int32_t)len;
    if (w->flexible) /* Records: (COMPACT_)NULLABLE_BYTES */
        kp_buf_put_uvarint(w->b, n < 0 ? 0 : (uint32_t)n + 1);
    else
        kp_buf_put_i32(w->b, n);
    w->partitions_left--;
    w->open_partition = 1;
    return 0;
}

void kp_produce_req_partition(kp_produce_req_writer *w, int32_t partition, const void *records,
                              size_t len) {
    if (partition_head(w, partition, len, !records && len == 0))
        return;
    if (len && !records) {
        w_fail(w, KPROD_ERR__INVALID_ARG);
        return;
    }
    kp_buf_put_raw(w->b, records, len);
}

kprod_err_t kp_produce_req_end(kp_produce_req_writer *w) {
    if (w->err)
        return w->err;
    close_topic(w);
    if (w->topics_left != 0 || w->partitions_left != 0) {
        w->err = KPROD_ERR__INVALID_ARG;
        return w->err;
    }
    kp_codec_put_tags(w->b, w->flexible);
    w->err = kp_codec_buf_result(w->b);
    return w->err;
}

/* ---- response ---- */

void kp_produce_resp_free(kp_produce_resp *resp) {
    for (int32_t i = 0; i < resp->topic_count; i++) {
        kp_produce_resp_topic *t = &resp->topics[i];
        for (int32_t j = 0; j < t->partition_count; j++) {
            kp_produce_resp_partition *p = &t->partitions[j];
            for (int32_t k = 0; k < p->record_error_count; k++)
                free(p->record_errors[k].message);
            free(p->record_errors);
            free(p->error_message);
        }
        free(t->partitions);
        free(t->name);
    }
    free(resp->topics);
    for (int32_t i = 0; i < resp->node_count; i++) {
        free(resp->nodes[i].host);
        free(resp->nodes[i].rack);
    }
    free(resp->nodes);
    memset(resp, 0, sizeof(*resp));
}

/* CurrentLeader (tag 0 of a partition, v10+): LeaderId, LeaderEpoch, tags.
 * r spans exactly the tag's value. */
static void read_current_leader(kp_rd *r, kp_produce_resp_partition *p) {
    int32_t id = kp_rd_i32(r);
    int32_t epoch = kp_rd_i32(r);
    kp_rd_skip_tags(r);
    if (r->err)
        return;
    p->has_current_leader = 1;
    p->current_leader_id = id;
    p->current_leader_epoch = epoch;
}

/* NodeEndpoints (top-level tag 0, v10+): a compact array of NodeId, Host,
 * Port, Rack, tags. r spans exactly the tag's value. */
static kprod_err_t read_node_endpoints(kp_rd *r, kp_produce_resp *out) {
    if (out->nodes) /* a repeated tag: the last one wins */
        for (int32_t i = 0; i < out->node_count; i++) {
            free(out->nodes[i].host);
            free(out->nodes[i].rack);
        }
    free(out->nodes);
    kprod_err_t err;
    out->nodes =
        kp_codec_rd_array_new(r, 1, 4 + 1 + 4 + 1 + 1, sizeof(*out->nodes), &out->node_count, &err);
    if (err)
        return err;
    for (int32_t i = 0; i < out->node_count; i++) {
        kp_produce_resp_node *nd = &out->nodes[i];
        nd->node_id = kp_rd_i32(r);
        kp_slice host = kp_rd_compact_string(r);
        nd->port = kp_rd_i32(r);
        kp_slice rack = kp_rd_compact_string(r);
        kp_rd_skip_tags(r);
        if (r->err || !host.p)
            return KPROD_ERR__BAD_MSG;
        if (kp_codec_strdup(host, &nd->host) || kp_codec_strdup(rack, &nd->rack))
            return KPROD_ERR__NO_MEMORY;
    }
    return KPROD_ERR_NO_ERROR;
}

/* A tagged-field section where tag 0 (v10+) is known: the value is parsed
 * from a reader bounded to its declared size, so a lying size can neither
 * overrun nor desynchronise the rest. */
static kprod_err_t read_tags(kp_rd *r, int16_t version, kp_produce_resp_partition *p,
                             kp_produce_resp *top) {
    uint32_t n = kp_rd_uvarint(r);
    for (uint32_t i = 0; i < n && !r->err; i++) {
        uint32_t tag = kp_rd_uvarint(r);
        uint32_t size = kp_rd_uvarint(r);
        const uint8_t *v = kp_rd_raw(r, size);
        if (!v || tag != 0 || version < 10)
            continue;
        kp_rd sub;
        kp_rd_init(&sub, v, size);
        if (p) {
            read_current_leader(&sub, p);
        } else {
            kprod_err_t err = read_node_endpoints(&sub, top);
            if (err)
                return err;
        }
        if (sub.err)
            return KPROD_ERR__BAD_MSG;
    }
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

static kprod_err_t read_partition(kp_rd *r, int16_t version, int flex,
                                  kp_produce_resp_partition *p) {
    p->index = kp_rd_i32(r);
    p->error_code = kp_rd_i16(r);
    p->base_offset = kp_rd_i64(r);
    p->log_append_time_ms = kp_rd_i64(r); /* v2+ */
    p->log_start_offset = version >= 5 ? kp_rd_i64(r) : -1;
    p->current_leader_id = -1;
    p->current_leader_epoch = -1;
    if (version >= 8) {
        /* BatchIndex, BatchIndexErrorMessage, [tags] */
        kprod_err_t err;
        p->record_errors =
            kp_codec_rd_array_new(r, flex, 4 + kp_codec_str_min(flex) + kp_codec_tags_min(flex),
                                  sizeof(*p->record_errors), &p->record_error_count, &err);
        if (err)
            return err;
        for (int32_t i = 0; i < p->record_error_count; i++) {
            p->record_errors[i].batch_index = kp_rd_i32(r);
            kp_slice msg = kp_codec_rd_str(r, flex);
            kp_codec_rd_tags(r, flex);
            if (r->err)
                return KPROD_ERR__BAD_MSG;
            if (kp_codec_strdup(msg, &p->record_errors[i].message))
                return KPROD_ERR__NO_MEMORY;
        }
        kp_slice msg = kp_codec_rd_str(r, flex); /* ErrorMessage */
        if (r->err)
            return KPROD_ERR__BAD_MSG;
        if (kp_codec_strdup(msg, &p->error_message))
            return KPROD_ERR__NO_MEMORY;
    }
    if (flex)
        return read_tags(r, version, p, NULL);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

static kprod_err_t read_topic(kp_rd *r, int16_t version, int flex, kp_produce_resp_topic *t) {
    kp_slice name = kp_codec_rd_str(r, flex);
    if (r->err || !name.p)
        return KPROD_ERR__BAD_MSG;
    if (kp_codec_strdup(name, &t->name))
        return KPROD_ERR__NO_MEMORY;
    size_t amin = kp_codec_arr_min(flex), smin = kp_codec_str_min(flex);
    /* Index, ErrorCode, BaseOffset, LogAppendTimeMs, [LogStartOffset],
     * [RecordErrors, ErrorMessage], [tags] */
    size_t pmin = 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0) + (version >= 8 ? amin + smin : 0) +
                  kp_codec_tags_min(flex);
    kprod_err_t err;
    t->partitions =
        kp_codec_rd_array_new(r, flex, pmin, sizeof(*t->partitions), &t->partition_count, &err);
    for (int32_t i = 0; !err && i < t->partition_count; i++)
        err = read_partition(r, version, flex, &t->partitions[i]);
    if (err)
        return err;
    kp_codec_rd_tags(r, flex);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

static kprod_err_t decode(kp_rd *r, int16_t version, kp_produce_resp *out) {
    int flex = kp_proto_is_flexible(KP_API_PRODUCE, version);
    /* Name, PartitionResponses, [tags] */
    size_t tmin = kp_codec_str_min(flex) + kp_codec_arr_min(flex) + kp_codec_tags_min(flex);
    kprod_err_t err;
    out->topics =
        kp_codec_rd_array_new(r, flex, tmin, sizeof(*out->topics), &out->topic_count, &err);
    for (int32_t i = 0; !err && i < out->topic_count; i++)
        err = read_topic(r, version, flex, &out->topics[i]);
    if (err)
        return err;
    out->throttle_ms = kp_rd_i32(r);
    if (flex)
        return read_tags(r, version, NULL, out);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_produce_resp_decode(kp_rd *r, int16_t version, kp_produce_resp *out) {
    memset(out, 0, sizeof(*out));
    if (version < KP_PRODUCE_MIN_VER || version > KP_PRODUCE_MAX_VER)
        return KPROD_ERR__INVALID_ARG;
    kprod_err_t err = decode(r, version, out);
    if (err)
        kp_produce_resp_free(out);
    return err;
}
