/* ListOffsets request encoder and response decoder (see list_offsets.h);
 * fields as in ListOffsetsRequest/Response.json. */
#include "protocol/list_offsets.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

/* The first version that knows a special timestamp (0 for any other). */
static int16_t timestamp_min_version(int64_t ts) {
    switch (ts) {
    case KP_OFFSETS_MAX_TIMESTAMP:
        return 7;
    case KP_OFFSETS_EARLIEST_LOCAL:
        return 8;
    case KP_OFFSETS_LATEST_TIERED:
        return 9;
    default:
        return 0;
    }
}

static int args_ok(int16_t version, int8_t isolation_level, const kp_list_offsets_req_topic *topics,
                   int32_t topic_count) {
    if (!kp_proto_version_ok(KP_API_LIST_OFFSETS, version))
        return 0;
    if (isolation_level != KP_READ_UNCOMMITTED &&
        (isolation_level != KP_READ_COMMITTED || version < 2))
        return 0;
    if (topic_count < 0 || (!topics && topic_count > 0))
        return 0;
    for (int32_t i = 0; i < topic_count; i++) {
        const kp_list_offsets_req_topic *t = &topics[i];
        if (!t->topic || !kp_codec_str_ok(t->topic) || t->partition_count < 0 ||
            (!t->partitions && t->partition_count > 0))
            return 0;
        for (int32_t j = 0; j < t->partition_count; j++)
            if (timestamp_min_version(t->partitions[j].timestamp) > version)
                return 0;
    }
    return 1;
}

kprod_err_t kp_list_offsets_req_encode(kp_buf *b, int16_t version, int8_t isolation_level,
                                       int32_t timeout_ms, const kp_list_offsets_req_topic *topics,
                                       int32_t topic_count) {
    if (!args_ok(version, isolation_level, topics, topic_count))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_LIST_OFFSETS, version);
    kp_buf_put_i32(b, -1); /* ReplicaId: a client */
    if (version >= 2)
        kp_buf_put_i8(b, isolation_level);     /* IsolationLevel */
    kp_codec_put_arrlen(b, flex, topic_count); /* Topics */
    for (int32_t i = 0; i < topic_count; i++) {
        const kp_list_offsets_req_topic *t = &topics[i];
        kp_codec_put_str(b, flex, t->topic);              /* Name */
        kp_codec_put_arrlen(b, flex, t->partition_count); /* Partitions */
        for (int32_t j = 0; j < t->partition_count; j++) {
            const kp_list_offsets_req_partition *p = &t->partitions[j];
            kp_buf_put_i32(b, p->partition); /* PartitionIndex */
            if (version >= 4)
                kp_buf_put_i32(b, p->current_leader_epoch); /* CurrentLeaderEpoch */
            kp_buf_put_i64(b, p->timestamp);                /* Timestamp */
            kp_codec_put_tags(b, flex);
        }
        kp_codec_put_tags(b, flex);
    }
    if (version >= 10)
        kp_buf_put_i32(b, timeout_ms); /* TimeoutMs */
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

void kp_list_offsets_resp_free(kp_list_offsets_resp *resp) {
    for (int32_t i = 0; i < resp->topic_count; i++) {
        free(resp->topics[i].topic);
        free(resp->topics[i].partitions);
    }
    free(resp->topics);
    memset(resp, 0, sizeof(*resp));
}

static kprod_err_t read_topic(kp_rd *r, int16_t version, int flex, kp_list_offsets_resp_topic *t) {
    kprod_err_t err = kp_codec_rd_strdup(r, flex, 0, &t->topic);
    if (err)
        return err;
    /* PartitionIndex, ErrorCode, Timestamp, Offset, [LeaderEpoch], [tags] */
    size_t pmin = 4 + 2 + 8 + 8 + (version >= 4 ? 4 : 0) + kp_codec_tags_min(flex);
    t->partitions =
        kp_codec_rd_array_new(r, flex, pmin, sizeof(*t->partitions), &t->partition_count, &err);
    if (err)
        return err;
    for (int32_t i = 0; i < t->partition_count; i++) {
        kp_list_offsets_resp_partition *p = &t->partitions[i];
        p->partition = kp_rd_i32(r);
        p->error_code = kp_rd_i16(r);
        p->timestamp = kp_rd_i64(r);
        p->offset = kp_rd_i64(r);
        p->leader_epoch = version >= 4 ? kp_rd_i32(r) : -1;
        kp_codec_rd_tags(r, flex);
    }
    kp_codec_rd_tags(r, flex);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_list_offsets_resp_decode(kp_rd *r, int16_t version, kp_list_offsets_resp *out) {
    memset(out, 0, sizeof(*out));
    if (!kp_proto_version_ok(KP_API_LIST_OFFSETS, version))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_LIST_OFFSETS, version);
    if (version >= 2)
        out->throttle_ms = kp_rd_i32(r);
    /* Name, Partitions, [tags] */
    size_t tmin = kp_codec_str_min(flex) + kp_codec_arr_min(flex) + kp_codec_tags_min(flex);
    kprod_err_t err;
    out->topics =
        kp_codec_rd_array_new(r, flex, tmin, sizeof(*out->topics), &out->topic_count, &err);
    for (int32_t i = 0; !err && i < out->topic_count; i++)
        err = read_topic(r, version, flex, &out->topics[i]);
    if (!err) {
        kp_codec_rd_tags(r, flex);
        if (r->err)
            err = KPROD_ERR__BAD_MSG;
    }
    if (err)
        kp_list_offsets_resp_free(out);
    return err;
}
