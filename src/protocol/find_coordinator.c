/* FindCoordinator request encoder and response decoder (see
 * find_coordinator.h); fields as in FindCoordinatorRequest/Response.json. */
#include "protocol/find_coordinator.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

kprod_err_t kp_find_coordinator_req_encode(kp_buf *b, int16_t version, int8_t key_type,
                                           const char *const *keys, int32_t key_count) {
    if (!kp_proto_version_ok(KP_API_FIND_COORDINATOR, version))
        return KPROD_ERR__INVALID_ARG;
    if (key_type != KP_COORD_GROUP && key_type != KP_COORD_TRANSACTION)
        return KPROD_ERR__INVALID_ARG;
    if (!keys || key_count < 1 || (version < 4 && key_count != 1))
        return KPROD_ERR__INVALID_ARG;
    for (int32_t i = 0; i < key_count; i++)
        if (!keys[i] || !kp_codec_str_ok(keys[i]))
            return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_FIND_COORDINATOR, version);
    if (version < 4) {
        kp_codec_put_str(b, flex, keys[0]); /* Key */
        kp_buf_put_i8(b, key_type);         /* KeyType */
    } else {
        kp_buf_put_i8(b, key_type);              /* KeyType */
        kp_codec_put_arrlen(b, flex, key_count); /* CoordinatorKeys */
        for (int32_t i = 0; i < key_count; i++)
            kp_codec_put_str(b, flex, keys[i]);
    }
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

void kp_find_coordinator_resp_free(kp_find_coordinator_resp *resp) {
    for (int32_t i = 0; i < resp->count; i++) {
        free(resp->coordinators[i].key);
        free(resp->coordinators[i].error_message);
        free(resp->coordinators[i].host);
    }
    free(resp->coordinators);
    memset(resp, 0, sizeof(*resp));
}

/* NodeId, Host, Port: the same three fields in both layouts. */
static kprod_err_t read_node(kp_rd *r, int flex, kp_find_coordinator_node *c) {
    c->node_id = kp_rd_i32(r);
    kprod_err_t err = kp_codec_rd_strdup(r, flex, 0, &c->host);
    c->port = kp_rd_i32(r);
    if (!err && r->err)
        err = KPROD_ERR__BAD_MSG;
    return err;
}

/* v1..v3: ErrorCode, ErrorMessage, NodeId, Host, Port at the top level. */
static kprod_err_t decode_single(kp_rd *r, int flex, kp_find_coordinator_resp *out) {
    out->coordinators = calloc(1, sizeof(*out->coordinators));
    if (!out->coordinators)
        return KPROD_ERR__NO_MEMORY;
    out->count = 1;
    kp_find_coordinator_node *c = &out->coordinators[0];
    c->error_code = kp_rd_i16(r);
    kprod_err_t err = kp_codec_rd_strdup(r, flex, 1, &c->error_message);
    if (!err)
        err = read_node(r, flex, c);
    return err;
}

/* v4+: Coordinators, each Key, NodeId, Host, Port, ErrorCode, ErrorMessage,
 * tags. */
static kprod_err_t decode_batched(kp_rd *r, kp_find_coordinator_resp *out) {
    kprod_err_t err;
    out->coordinators = kp_codec_rd_array_new(r, 1, 1 + 4 + 1 + 4 + 2 + 1 + 1,
                                              sizeof(*out->coordinators), &out->count, &err);
    for (int32_t i = 0; !err && i < out->count; i++) {
        kp_find_coordinator_node *c = &out->coordinators[i];
        err = kp_codec_rd_strdup(r, 1, 0, &c->key);
        if (!err)
            err = read_node(r, 1, c);
        c->error_code = kp_rd_i16(r);
        if (!err)
            err = kp_codec_rd_strdup(r, 1, 1, &c->error_message);
        kp_rd_skip_tags(r);
        if (!err && r->err)
            err = KPROD_ERR__BAD_MSG;
    }
    return err;
}

kprod_err_t kp_find_coordinator_resp_decode(kp_rd *r, int16_t version,
                                            kp_find_coordinator_resp *out) {
    memset(out, 0, sizeof(*out));
    if (!kp_proto_version_ok(KP_API_FIND_COORDINATOR, version))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_FIND_COORDINATOR, version);
    out->throttle_ms = kp_rd_i32(r); /* v1+ */
    kprod_err_t err = version < 4 ? decode_single(r, flex, out) : decode_batched(r, out);
    if (!err) {
        kp_codec_rd_tags(r, flex);
        if (r->err)
            err = KPROD_ERR__BAD_MSG;
    }
    if (err)
        kp_find_coordinator_resp_free(out);
    return err;
}
