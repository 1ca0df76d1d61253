/* Metadata request encoder and response decoder (see metadata.h). Field
 * order and versions follow MetadataRequest.json / MetadataResponse.json. */
#include "protocol/metadata.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

kprod_err_t kp_metadata_req_encode(kp_buf *b, int16_t version, const char *const *topics,
                                   int32_t topic_count, int allow_auto_topic_creation) {
    if (version < KP_METADATA_MIN_VER || version > KP_METADATA_MAX_VER)
        return KPROD_ERR__INVALID_ARG;
    if (topics) {
        if (topic_count < 0)
            return KPROD_ERR__INVALID_ARG;
        for (int32_t i = 0; i < topic_count; i++)
            if (!topics[i] || !kp_codec_str_ok(topics[i]))
                return KPROD_ERR__INVALID_ARG;
    }
    int flex = kp_proto_is_flexible(KP_API_METADATA, version);
    /* Topics: null asks for all topics (v1+) */
    kp_codec_put_arrlen(b, flex, topics ? topic_count : -1);
    for (int32_t i = 0; topics && i < topic_count; i++) {
        if (version >= 10) {
            static const uint8_t null_uuid[16];
            kp_buf_put_raw(b, null_uuid, sizeof(null_uuid)); /* TopicId */
        }
        kp_codec_put_str(b, flex, topics[i]); /* Name */
        kp_codec_put_tags(b, flex);
    }
    kp_buf_put_i8(b, allow_auto_topic_creation ? 1 : 0); /* AllowAutoTopicCreation (v4+) */
    if (version >= 8 && version <= 10)
        kp_buf_put_i8(b, 0); /* IncludeClusterAuthorizedOperations */
    if (version >= 8)
        kp_buf_put_i8(b, 0); /* IncludeTopicAuthorizedOperations */
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

void kp_metadata_resp_free(kp_metadata_resp *resp) {
    for (int32_t i = 0; i < resp->broker_count; i++) {
        free(resp->brokers[i].host);
        free(resp->brokers[i].rack);
    }
    free(resp->brokers);
    for (int32_t i = 0; i < resp->topic_count; i++) {
        kp_metadata_resp_topic *t = &resp->topics[i];
        for (int32_t j = 0; j < t->partition_count; j++) {
            free(t->partitions[j].replica_nodes);
            free(t->partitions[j].isr_nodes);
            free(t->partitions[j].offline_replicas);
        }
        free(t->partitions);
        free(t->name);
    }
    free(resp->topics);
    free(resp->cluster_id);
    memset(resp, 0, sizeof(*resp));
}

static kprod_err_t read_broker(kp_rd *r, int flex, kp_metadata_resp_broker *br) {
    br->node_id = kp_rd_i32(r);
    kp_slice host = kp_codec_rd_str(r, flex);
    br->port = kp_rd_i32(r);
    kp_slice rack = kp_codec_rd_str(r, flex); /* v1+ */
    kp_codec_rd_tags(r, flex);
    if (r->err || !host.p)
        return KPROD_ERR__BAD_MSG;
    if (kp_codec_strdup(host, &br->host) || kp_codec_strdup(rack, &br->rack))
        return KPROD_ERR__NO_MEMORY;
    return KPROD_ERR_NO_ERROR;
}

static kprod_err_t read_partition(kp_rd *r, int16_t version, int flex,
                                  kp_metadata_resp_partition *p) {
    p->error_code = kp_rd_i16(r);
    p->partition_index = kp_rd_i32(r);
    p->leader_id = kp_rd_i32(r);
    p->leader_epoch = version >= 7 ? kp_rd_i32(r) : -1;
    kprod_err_t err = kp_codec_rd_int32s(r, flex, &p->replica_nodes, &p->replica_count);
    if (err)
        return err;
    err = kp_codec_rd_int32s(r, flex, &p->isr_nodes, &p->isr_count);
    if (err)
        return err;
    if (version >= 5) {
        err = kp_codec_rd_int32s(r, flex, &p->offline_replicas, &p->offline_count);
        if (err)
            return err;
    }
    kp_codec_rd_tags(r, flex);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

static kprod_err_t read_topic(kp_rd *r, int16_t version, int flex, kp_metadata_resp_topic *t) {
    t->error_code = kp_rd_i16(r);
    kp_slice name = kp_codec_rd_str(r, flex);
    if (version >= 10) {
        const uint8_t *id = kp_rd_raw(r, 16);
        if (id)
            memcpy(t->topic_id, id, 16);
    }
    t->is_internal = kp_rd_i8(r) != 0;
    if (r->err || (!name.p && version < 12))
        return KPROD_ERR__BAD_MSG;
    if (kp_codec_strdup(name, &t->name))
        return KPROD_ERR__NO_MEMORY;
    /* ErrorCode, PartitionIndex, LeaderId, [LeaderEpoch], Replicas, Isr,
     * [OfflineReplicas], [tags] */
    size_t amin = kp_codec_arr_min(flex);
    size_t pmin = 10 + (version >= 7 ? 4 : 0) + 2 * amin + (version >= 5 ? amin : 0) +
                  kp_codec_tags_min(flex);
    kprod_err_t err;
    t->partitions =
        kp_codec_rd_array_new(r, flex, pmin, sizeof(*t->partitions), &t->partition_count, &err);
    for (int32_t i = 0; !err && i < t->partition_count; i++)
        err = read_partition(r, version, flex, &t->partitions[i]);
    if (err)
        return err;
    if (version >= 8)
        (void)kp_rd_i32(r); /* TopicAuthorizedOperations */
    kp_codec_rd_tags(r, flex);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

static kprod_err_t decode(kp_rd *r, int16_t version, kp_metadata_resp *out) {
    int flex = kp_proto_is_flexible(KP_API_METADATA, version);
    size_t smin = kp_codec_str_min(flex), tmin = kp_codec_tags_min(flex);
    out->throttle_ms = kp_rd_i32(r); /* v3+ */

    /* NodeId, Host, Port, Rack, [tags] */
    kprod_err_t err;
    out->brokers = kp_codec_rd_array_new(r, flex, 8 + 2 * smin + tmin, sizeof(*out->brokers),
                                         &out->broker_count, &err);
    for (int32_t i = 0; !err && i < out->broker_count; i++)
        err = read_broker(r, flex, &out->brokers[i]);
    if (err)
        return err;

    kp_slice cluster = kp_codec_rd_str(r, flex); /* ClusterId (v2+) */
    out->controller_id = kp_rd_i32(r);           /* ControllerId (v1+) */
    if (r->err)
        return KPROD_ERR__BAD_MSG;
    if (kp_codec_strdup(cluster, &out->cluster_id))
        return KPROD_ERR__NO_MEMORY;

    /* ErrorCode, Name, [TopicId], IsInternal, Partitions,
     * [TopicAuthorizedOperations], [tags] */
    size_t topic_min = 2 + smin + (version >= 10 ? 16 : 0) + 1 + kp_codec_arr_min(flex) +
                       (version >= 8 ? 4 : 0) + tmin;
    out->topics =
        kp_codec_rd_array_new(r, flex, topic_min, sizeof(*out->topics), &out->topic_count, &err);
    for (int32_t i = 0; !err && i < out->topic_count; i++)
        err = read_topic(r, version, flex, &out->topics[i]);
    if (err)
        return err;

    if (version >= 8 && version <= 10)
        (void)kp_rd_i32(r); /* ClusterAuthorizedOperations */
    if (version >= 13)
        out->error_code = kp_rd_i16(r);
    kp_codec_rd_tags(r, flex);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_metadata_resp_decode(kp_rd *r, int16_t version, kp_metadata_resp *out) {
    memset(out, 0, sizeof(*out));
    if (version < KP_METADATA_MIN_VER || version > KP_METADATA_MAX_VER)
        return KPROD_ERR__INVALID_ARG;
    kprod_err_t err = decode(r, version, out);
    if (err)
        kp_metadata_resp_free(out);
    return err;
}
