/* InitProducerId request encoder and response decoder (see
 * init_producer_id.h); fields as in InitProducerIdRequest/Response.json. */
#include "protocol/init_producer_id.h"

#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

kprod_err_t kp_init_producer_id_req_encode(kp_buf *b, int16_t version, const char *transactional_id,
                                           int32_t transaction_timeout_ms, int64_t producer_id,
                                           int16_t producer_epoch) {
    if (version < KP_INIT_PRODUCER_ID_MIN_VER || version > KP_INIT_PRODUCER_ID_MAX_VER ||
        !kp_codec_str_ok(transactional_id))
        return KPROD_ERR__INVALID_ARG;
    if (version < 3 && (producer_id != -1 || producer_epoch != -1))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_INIT_PRODUCER_ID, version);
    kp_codec_put_str(b, flex, transactional_id); /* TransactionalId */
    kp_buf_put_i32(b, transaction_timeout_ms);   /* TransactionTimeoutMs */
    if (version >= 3) {
        kp_buf_put_i64(b, producer_id);    /* ProducerId */
        kp_buf_put_i16(b, producer_epoch); /* ProducerEpoch */
    }
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

kprod_err_t kp_init_producer_id_resp_decode(kp_rd *r, int16_t version,
                                            kp_init_producer_id_resp *out) {
    memset(out, 0, sizeof(*out));
    if (version < KP_INIT_PRODUCER_ID_MIN_VER || version > KP_INIT_PRODUCER_ID_MAX_VER)
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_INIT_PRODUCER_ID, version);
    out->throttle_ms = kp_rd_i32(r);
    out->error_code = kp_rd_i16(r);
    out->producer_id = kp_rd_i64(r);
    out->producer_epoch = kp_rd_i16(r);
    kp_codec_rd_tags(r, flex);
    if (r->err) {
        memset(out, 0, sizeof(*out));
        return KPROD_ERR__BAD_MSG;
    }
    return KPROD_ERR_NO_ERROR;
}
