/* Fetch request encoder and response decoder (see fetch.h); fields as in
 * FetchRequest/Response.json of Kafka 4.1. */
#include "protocol/fetch.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

/* ---- request ---- */

static int uuid_is_zero(const uint8_t id[16]) {
    static const uint8_t zero[16];
    return memcmp(id, zero, 16) == 0;
}

static int args_ok(int16_t version, const kp_fetch_req *req) {
    if (!kp_proto_version_ok(KP_API_FETCH, version) || !req)
        return 0;
    if (req->isolation_level != KP_READ_UNCOMMITTED && req->isolation_level != KP_READ_COMMITTED)
        return 0;
    if (!kp_codec_str_ok(req->rack_id) || req->topic_count < 0 ||
        (!req->topics && req->topic_count > 0))
        return 0;
    for (int32_t i = 0; i < req->topic_count; i++) {
        const kp_fetch_req_topic *t = &req->topics[i];
        if (t->partition_count < 0 || (!t->partitions && t->partition_count > 0))
            return 0;
        if (version < 13 ? !t->topic || !kp_codec_str_ok(t->topic) : uuid_is_zero(t->topic_id))
            return 0;
    }
    return 1;
}

static void put_partition(kp_buf *b, int16_t version, int flex, const kp_fetch_req_partition *p) {
    kp_buf_put_i32(b, p->partition); /* Partition */
    if (version >= 9)
        kp_buf_put_i32(b, p->current_leader_epoch); /* CurrentLeaderEpoch */
    kp_buf_put_i64(b, p->fetch_offset);             /* FetchOffset */
    if (version >= 12)
        kp_buf_put_i32(b, p->last_fetched_epoch); /* LastFetchedEpoch */
    if (version >= 5)
        kp_buf_put_i64(b, -1);                 /* LogStartOffset: followers only */
    kp_buf_put_i32(b, p->partition_max_bytes); /* PartitionMaxBytes */
    kp_codec_put_tags(b, flex);
}

kprod_err_t kp_fetch_req_encode(kp_buf *b, int16_t version, const kp_fetch_req *req) {
    if (!args_ok(version, req))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_FETCH, version);
    if (version <= 14)
        kp_buf_put_i32(b, -1);              /* ReplicaId: a consumer */
    kp_buf_put_i32(b, req->max_wait_ms);    /* MaxWaitMs */
    kp_buf_put_i32(b, req->min_bytes);      /* MinBytes */
    kp_buf_put_i32(b, req->max_bytes);      /* MaxBytes */
    kp_buf_put_i8(b, req->isolation_level); /* IsolationLevel */
    if (version >= 7) {
        kp_buf_put_i32(b, 0);  /* SessionId: none */
        kp_buf_put_i32(b, -1); /* SessionEpoch: a full fetch outside any session */
    }
    kp_codec_put_arrlen(b, flex, req->topic_count); /* Topics */
    for (int32_t i = 0; i < req->topic_count; i++) {
        const kp_fetch_req_topic *t = &req->topics[i];
        if (version >= 13)
            kp_buf_put_raw(b, t->topic_id, 16); /* TopicId */
        else
            kp_codec_put_str(b, flex, t->topic);          /* Topic */
        kp_codec_put_arrlen(b, flex, t->partition_count); /* Partitions */
        for (int32_t j = 0; j < t->partition_count; j++)
            put_partition(b, version, flex, &t->partitions[j]);
        kp_codec_put_tags(b, flex);
    }
    if (version >= 7)
        kp_codec_put_arrlen(b, flex, 0); /* ForgottenTopicsData */
    if (version >= 11)
        kp_codec_put_str(b, flex, req->rack_id ? req->rack_id : ""); /* RackId */
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

/* ---- response ---- */

void kp_fetch_resp_free(kp_fetch_resp *resp) {
    for (int32_t i = 0; i < resp->topic_count; i++) {
        kp_fetch_resp_topic *t = &resp->topics[i];
        for (int32_t j = 0; j < t->partition_count; j++)
            free(t->partitions[j].aborted);
        free(t->partitions);
        free(t->topic);
    }
    free(resp->topics);
    memset(resp, 0, sizeof(*resp));
}

/* A partition's tagged fields: CurrentLeader is tag 1 (LeaderId,
 * LeaderEpoch, tags); DivergingEpoch (0) and SnapshotId (2) concern
 * followers and are skipped. */
static kprod_err_t partition_tag(void *ctx, uint32_t tag, kp_rd *v) {
    kp_fetch_resp_partition *p = ctx;
    if (tag != 1)
        return KPROD_ERR_NO_ERROR;
    int32_t id = kp_rd_i32(v);
    int32_t epoch = kp_rd_i32(v);
    kp_rd_skip_tags(v);
    if (!v->err) {
        p->has_current_leader = 1;
        p->current_leader_id = id;
        p->current_leader_epoch = epoch;
    }
    return KPROD_ERR_NO_ERROR;
}

/* AbortedTransactions: nullable, each ProducerId, FirstOffset, [tags]. */
static kprod_err_t read_aborted(kp_rd *r, int flex, kp_fetch_resp_partition *p) {
    int32_t n = kp_codec_rd_arrlen(r, flex, 16 + kp_codec_tags_min(flex));
    if (r->err)
        return KPROD_ERR__BAD_MSG;
    if (n <= 0) /* null or empty */
        return KPROD_ERR_NO_ERROR;
    p->aborted = calloc((size_t)n, sizeof(*p->aborted));
    if (!p->aborted)
        return KPROD_ERR__NO_MEMORY;
    p->aborted_count = n;
    for (int32_t i = 0; i < n; i++) {
        p->aborted[i].producer_id = kp_rd_i64(r);
        p->aborted[i].first_offset = kp_rd_i64(r);
        kp_codec_rd_tags(r, flex);
    }
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

static kprod_err_t read_partition(kp_rd *r, int16_t version, int flex, kp_fetch_resp_partition *p) {
    p->partition = kp_rd_i32(r);
    p->error_code = kp_rd_i16(r);
    p->high_watermark = kp_rd_i64(r);
    p->last_stable_offset = kp_rd_i64(r);                   /* v4+ */
    p->log_start_offset = version >= 5 ? kp_rd_i64(r) : -1; /* v5+ */
    p->current_leader_id = -1;
    p->current_leader_epoch = -1;
    kprod_err_t err = read_aborted(r, flex, p);
    if (err)
        return err;
    p->preferred_read_replica = version >= 11 ? kp_rd_i32(r) : -1;
    kp_slice rec = flex ? kp_rd_compact_bytes(r) : kp_rd_bytes(r); /* Records */
    if (r->err)
        return KPROD_ERR__BAD_MSG;
    if (rec.p && rec.len > 0) {
        p->records = rec.p;
        p->records_len = (size_t)rec.len;
    }
    if (flex)
        return kp_codec_rd_tags_each(r, partition_tag, p);
    return KPROD_ERR_NO_ERROR;
}

static kprod_err_t read_topic(kp_rd *r, int16_t version, int flex, kp_fetch_resp_topic *t) {
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    if (version >= 13) {
        const uint8_t *id = kp_rd_raw(r, 16); /* TopicId */
        if (id)
            memcpy(t->topic_id, id, 16);
    } else {
        err = kp_codec_rd_strdup(r, flex, 0, &t->topic); /* Topic */
    }
    if (err || r->err)
        return err ? err : KPROD_ERR__BAD_MSG;
    /* PartitionIndex, ErrorCode, HighWatermark, LastStableOffset,
     * [LogStartOffset], AbortedTransactions, [PreferredReadReplica],
     * Records, [tags] */
    size_t pmin = 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0) + kp_codec_arr_min(flex) +
                  (version >= 11 ? 4 : 0) + (flex ? 1 : 4) + kp_codec_tags_min(flex);
    t->partitions =
        kp_codec_rd_array_new(r, flex, pmin, sizeof(*t->partitions), &t->partition_count, &err);
    for (int32_t i = 0; !err && i < t->partition_count; i++)
        err = read_partition(r, version, flex, &t->partitions[i]);
    if (err)
        return err;
    kp_codec_rd_tags(r, flex);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_fetch_resp_decode(kp_rd *r, int16_t version, kp_fetch_resp *out) {
    memset(out, 0, sizeof(*out));
    if (!kp_proto_version_ok(KP_API_FETCH, version))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_FETCH, version);
    out->throttle_ms = kp_rd_i32(r);
    if (version >= 7) {
        out->error_code = kp_rd_i16(r);
        out->session_id = kp_rd_i32(r);
    }
    /* Topic or TopicId, Partitions, [tags] */
    size_t tmin = (version >= 13 ? 16 : kp_codec_str_min(flex)) + kp_codec_arr_min(flex) +
                  kp_codec_tags_min(flex);
    kprod_err_t err;
    out->topics =
        kp_codec_rd_array_new(r, flex, tmin, sizeof(*out->topics), &out->topic_count, &err);
    for (int32_t i = 0; !err && i < out->topic_count; i++)
        err = read_topic(r, version, flex, &out->topics[i]);
    if (!err) {
        kp_codec_rd_tags(r, flex); /* NodeEndpoints (v16+) is skipped */
        if (r->err)
            err = KPROD_ERR__BAD_MSG;
    }
    if (err)
        kp_fetch_resp_free(out);
    return err;
}
