/* AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit codecs
 * (see txn.h); fields as in their Request/Response.json schemas. The four
 * share their leading fields and their answer shapes, so they share the
 * code for them here. */
#include "protocol/txn.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

/* ---- argument checks ---- */

/* A string field that may not be null. */
static int name_ok(const char *s) { return s && kp_codec_str_ok(s); }

/* An array argument: a count of at least 0, and elements unless empty. */
static int array_ok(const void *a, int32_t n) { return n >= 0 && (a || n == 0); }

/* ---- request pieces ---- */

/* TransactionalId, ProducerId, ProducerEpoch: how three of the requests
 * begin. */
static void put_txn_head(kp_buf *b, int flex, const char *transactional_id, int64_t producer_id,
                         int16_t producer_epoch) {
    kp_codec_put_str(b, flex, transactional_id); /* TransactionalId */
    kp_buf_put_i64(b, producer_id);              /* ProducerId */
    kp_buf_put_i16(b, producer_epoch);           /* ProducerEpoch */
}

kprod_err_t kp_add_partitions_to_txn_req_encode(kp_buf *b, int16_t version,
                                                const char *transactional_id, int64_t producer_id,
                                                int16_t producer_epoch,
                                                const kp_txn_topic_partitions *topics,
                                                int32_t topic_count) {
    if (!kp_proto_version_ok(KP_API_ADD_PARTITIONS_TO_TXN, version) || !name_ok(transactional_id) ||
        !array_ok(topics, topic_count))
        return KPROD_ERR__INVALID_ARG;
    for (int32_t i = 0; i < topic_count; i++)
        if (!name_ok(topics[i].topic) || !array_ok(topics[i].partitions, topics[i].partition_count))
            return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_ADD_PARTITIONS_TO_TXN, version);
    put_txn_head(b, flex, transactional_id, producer_id, producer_epoch);
    kp_codec_put_arrlen(b, flex, topic_count); /* V3AndBelowTopics */
    for (int32_t i = 0; i < topic_count; i++) {
        const kp_txn_topic_partitions *t = &topics[i];
        kp_codec_put_str(b, flex, t->topic);              /* Name */
        kp_codec_put_arrlen(b, flex, t->partition_count); /* Partitions */
        for (int32_t j = 0; j < t->partition_count; j++)
            kp_buf_put_i32(b, t->partitions[j]);
        kp_codec_put_tags(b, flex);
    }
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

kprod_err_t kp_add_offsets_to_txn_req_encode(kp_buf *b, int16_t version,
                                             const char *transactional_id, int64_t producer_id,
                                             int16_t producer_epoch, const char *group_id) {
    if (!kp_proto_version_ok(KP_API_ADD_OFFSETS_TO_TXN, version) || !name_ok(transactional_id) ||
        !name_ok(group_id))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_ADD_OFFSETS_TO_TXN, version);
    put_txn_head(b, flex, transactional_id, producer_id, producer_epoch);
    kp_codec_put_str(b, flex, group_id); /* GroupId */
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

kprod_err_t kp_end_txn_req_encode(kp_buf *b, int16_t version, const char *transactional_id,
                                  int64_t producer_id, int16_t producer_epoch, int commit) {
    if (!kp_proto_version_ok(KP_API_END_TXN, version) || !name_ok(transactional_id))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_END_TXN, version);
    put_txn_head(b, flex, transactional_id, producer_id, producer_epoch);
    kp_buf_put_i8(b, commit ? 1 : 0); /* Committed */
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

/* The group metadata fields hold their defaults (what a pre-v3 request
 * implies). */
static int group_meta_default(const kp_txn_group *g) {
    return g->generation_id == -1 && (!g->member_id || !*g->member_id) && !g->group_instance_id;
}

static int offset_topics_ok(const kp_txn_offset_topic *topics, int32_t topic_count) {
    if (!array_ok(topics, topic_count))
        return 0;
    for (int32_t i = 0; i < topic_count; i++) {
        const kp_txn_offset_topic *t = &topics[i];
        if (!name_ok(t->topic) || !array_ok(t->partitions, t->partition_count))
            return 0;
        for (int32_t j = 0; j < t->partition_count; j++)
            if (!kp_codec_str_ok(t->partitions[j].metadata))
                return 0;
    }
    return 1;
}

kprod_err_t kp_txn_offset_commit_req_encode(kp_buf *b, int16_t version,
                                            const char *transactional_id, const kp_txn_group *g,
                                            int64_t producer_id, int16_t producer_epoch,
                                            const kp_txn_offset_topic *topics,
                                            int32_t topic_count) {
    if (!kp_proto_version_ok(KP_API_TXN_OFFSET_COMMIT, version) || !name_ok(transactional_id) ||
        !g || !name_ok(g->group_id) || !kp_codec_str_ok(g->member_id) ||
        !kp_codec_str_ok(g->group_instance_id) || !offset_topics_ok(topics, topic_count))
        return KPROD_ERR__INVALID_ARG;
    if (version < 3 && !group_meta_default(g))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_TXN_OFFSET_COMMIT, version);
    kp_codec_put_str(b, flex, transactional_id); /* TransactionalId */
    kp_codec_put_str(b, flex, g->group_id);      /* GroupId */
    kp_buf_put_i64(b, producer_id);              /* ProducerId */
    kp_buf_put_i16(b, producer_epoch);           /* ProducerEpoch */
    if (version >= 3) {
        kp_buf_put_i32(b, g->generation_id);                         /* GenerationId */
        kp_codec_put_str(b, flex, g->member_id ? g->member_id : ""); /* MemberId */
        kp_codec_put_str(b, flex, g->group_instance_id);             /* GroupInstanceId */
    }
    kp_codec_put_arrlen(b, flex, topic_count); /* Topics */
    for (int32_t i = 0; i < topic_count; i++) {
        const kp_txn_offset_topic *t = &topics[i];
        kp_codec_put_str(b, flex, t->topic);              /* Name */
        kp_codec_put_arrlen(b, flex, t->partition_count); /* Partitions */
        for (int32_t j = 0; j < t->partition_count; j++) {
            const kp_txn_offset *o = &t->partitions[j];
            kp_buf_put_i32(b, o->partition); /* PartitionIndex */
            kp_buf_put_i64(b, o->offset);    /* CommittedOffset */
            if (version >= 2)
                kp_buf_put_i32(b, o->leader_epoch); /* CommittedLeaderEpoch */
            kp_codec_put_str(b, flex, o->metadata); /* CommittedMetadata */
            kp_codec_put_tags(b, flex);
        }
        kp_codec_put_tags(b, flex);
    }
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

/* ---- responses ---- */

void kp_txn_partitions_resp_free(kp_txn_partitions_resp *resp) {
    for (int32_t i = 0; i < resp->topic_count; i++) {
        free(resp->topics[i].topic);
        free(resp->topics[i].partitions);
    }
    free(resp->topics);
    memset(resp, 0, sizeof(*resp));
}

/* Name, [PartitionIndex, ErrorCode, tags], tags. */
static kprod_err_t read_topic_result(kp_rd *r, int flex, kp_txn_topic_result *t) {
    kprod_err_t err = kp_codec_rd_strdup(r, flex, 0, &t->topic);
    if (err)
        return err;
    t->partitions = kp_codec_rd_array_new(r, flex, 6 + kp_codec_tags_min(flex),
                                          sizeof(*t->partitions), &t->partition_count, &err);
    if (err)
        return err;
    for (int32_t i = 0; i < t->partition_count; i++) {
        t->partitions[i].partition = kp_rd_i32(r);
        t->partitions[i].error_code = kp_rd_i16(r);
        kp_codec_rd_tags(r, flex);
    }
    kp_codec_rd_tags(r, flex);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

/* ThrottleTimeMs, then the topic results: both APIs' answer up to v3/v5. */
static kprod_err_t decode_partitions(kp_rd *r, int16_t api_key, int16_t version,
                                     kp_txn_partitions_resp *out) {
    memset(out, 0, sizeof(*out));
    if (!kp_proto_version_ok(api_key, version))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(api_key, version);
    out->throttle_ms = kp_rd_i32(r);
    kprod_err_t err;
    size_t tmin = kp_codec_str_min(flex) + kp_codec_arr_min(flex) + kp_codec_tags_min(flex);
    out->topics =
        kp_codec_rd_array_new(r, flex, tmin, sizeof(*out->topics), &out->topic_count, &err);
    for (int32_t i = 0; !err && i < out->topic_count; i++)
        err = read_topic_result(r, flex, &out->topics[i]);
    if (!err) {
        kp_codec_rd_tags(r, flex);
        if (r->err)
            err = KPROD_ERR__BAD_MSG;
    }
    if (err)
        kp_txn_partitions_resp_free(out);
    return err;
}

kprod_err_t kp_add_partitions_to_txn_resp_decode(kp_rd *r, int16_t version,
                                                 kp_txn_partitions_resp *out) {
    return decode_partitions(r, KP_API_ADD_PARTITIONS_TO_TXN, version, out);
}

kprod_err_t kp_txn_offset_commit_resp_decode(kp_rd *r, int16_t version,
                                             kp_txn_partitions_resp *out) {
    return decode_partitions(r, KP_API_TXN_OFFSET_COMMIT, version, out);
}

/* ThrottleTimeMs, ErrorCode, and from with_producer on ProducerId and
 * ProducerEpoch. */
static kprod_err_t decode_simple(kp_rd *r, int16_t api_key, int16_t version, int with_producer,
                                 kp_txn_resp *out) {
    memset(out, 0, sizeof(*out));
    if (!kp_proto_version_ok(api_key, version))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(api_key, version);
    out->throttle_ms = kp_rd_i32(r);
    out->error_code = kp_rd_i16(r);
    out->producer_id = with_producer ? kp_rd_i64(r) : -1;
    out->producer_epoch = with_producer ? kp_rd_i16(r) : -1;
    kp_codec_rd_tags(r, flex);
    if (r->err) {
        memset(out, 0, sizeof(*out));
        return KPROD_ERR__BAD_MSG;
    }
    return KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_add_offsets_to_txn_resp_decode(kp_rd *r, int16_t version, kp_txn_resp *out) {
    return decode_simple(r, KP_API_ADD_OFFSETS_TO_TXN, version, 0, out);
}

kprod_err_t kp_end_txn_resp_decode(kp_rd *r, int16_t version, kp_txn_resp *out) {
    return decode_simple(r, KP_API_END_TXN, version, version >= 5, out);
}
