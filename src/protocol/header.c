/* Request framing and headers (see header.h). */
#include "protocol/header.h"

#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

int kp_req_header_flexible(int16_t api_key, int16_t api_version) {
    return kp_proto_is_flexible(api_key, api_version);
}

int kp_resp_header_flexible(int16_t api_key, int16_t api_version) {
    if (api_key == KP_API_API_VERSIONS)
        return 0;
    return kp_proto_is_flexible(api_key, api_version);
}

size_t kp_req_begin(kp_buf *b, int16_t api_key, int16_t api_version, int32_t correlation_id,
                    const char *client_id, int flexible) {
    size_t start = kp_buf_placeholder(b, 4);
    kp_buf_put_i16(b, api_key);
    kp_buf_put_i16(b, api_version);
    kp_buf_put_i32(b, correlation_id);
    if (client_id) {
        size_t len = strlen(client_id);
        if (len > KP_CODEC_STR_MAX)
            len = KP_CODEC_STR_MAX;
        kp_buf_put_string(b, client_id, (int32_t)len);
    } else {
        kp_buf_put_string(b, NULL, -1);
    }
    if (flexible)
        kp_buf_put_empty_tags(b);
    return start;
}

void kp_req_end(kp_buf *b, size_t start) {
    if (b->oom || b->len < start + 4)
        return;
    kp_buf_patch_i32(b, start, (int32_t)(b->len - start - 4));
}

kprod_err_t kp_resp_header_read(kp_rd *r, int flexible, int32_t *correlation_id) {
    *correlation_id = kp_rd_i32(r);
    if (flexible)
        kp_rd_skip_tags(r);
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}
