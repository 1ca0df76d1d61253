/* ApiVersions request encoder and response decoder (see api_versions.h). */
#include "protocol/api_versions.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

#define UNSUPPORTED_VERSION_CODE 35

kprod_err_t kp_api_versions_req_encode(kp_buf *b, int16_t version, const char *software_name,
                                       const char *software_version) {
    if (version < KP_API_VERSIONS_MIN_VER || version > KP_API_VERSIONS_MAX_VER)
        return KPROD_ERR__INVALID_ARG;
    if (version < 3)
        return kp_codec_buf_result(b);
    if (!software_name)
        software_name = "kprod";
    if (!software_version)
        software_version = KPROD_VERSION_STR;
    if (!kp_codec_str_ok(software_name) || !kp_codec_str_ok(software_version))
        return KPROD_ERR__INVALID_ARG;
    kp_codec_put_str(b, 1, software_name);    /* ClientSoftwareName */
    kp_codec_put_str(b, 1, software_version); /* ClientSoftwareVersion */
    kp_buf_put_empty_tags(b);
    return kp_codec_buf_result(b);
}

void kp_api_versions_resp_free(kp_api_versions_resp *resp) {
    free(resp->apis);
    memset(resp, 0, sizeof(*resp));
}

/* One attempt at decoding the body as the given version. */
static kprod_err_t decode_as(kp_rd *r, int16_t version, kp_api_versions_resp *out) {
    int flex = version >= 3;
    memset(out, 0, sizeof(*out));
    out->decoded_version = version;
    out->error_code = kp_rd_i16(r);
    /* ApiKey, MinVersion, MaxVersion (+ tags when flexible) */
    kprod_err_t err;
    out->apis = kp_codec_rd_array_new(r, flex, 6 + kp_codec_tags_min(flex), sizeof(*out->apis),
                                      &out->count, &err);
    if (err)
        return err;
    for (int32_t i = 0; i < out->count && !r->err; i++) {
        out->apis[i].api_key = kp_rd_i16(r);
        out->apis[i].min_version = kp_rd_i16(r);
        out->apis[i].max_version = kp_rd_i16(r);
        kp_codec_rd_tags(r, flex);
    }
    if (version >= 1)
        out->throttle_ms = kp_rd_i32(r);
    kp_codec_rd_tags(r, flex); /* SupportedFeatures, FinalizedFeatures, ... */
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_api_versions_resp_decode(kp_rd *r, int16_t version, kp_api_versions_resp *out) {
    memset(out, 0, sizeof(*out));
    if (version < KP_API_VERSIONS_MIN_VER || version > KP_API_VERSIONS_MAX_VER)
        return KPROD_ERR__INVALID_ARG;
    kp_rd start = *r;
    kprod_err_t err;
    if (version > 0) {
        /* Peek at ErrorCode, the first field in every version. */
        kp_rd peek = start;
        if (kp_rd_i16(&peek) == UNSUPPORTED_VERSION_CODE && !peek.err) {
            err = decode_as(r, 0, out);
            /* The broker writes exactly a v0 body: leftovers mean it is not. */
            if (err == KPROD_ERR_NO_ERROR && kp_rd_remaining(r) != 0)
                err = KPROD_ERR__BAD_MSG;
            if (err != KPROD_ERR__BAD_MSG)
                goto done;
            kp_api_versions_resp_free(out);
            *r = start; /* not a v0 body after all: try as asked */
        }
    }
    err = decode_as(r, version, out);
done:
    if (err)
        kp_api_versions_resp_free(out);
    return err;
}

const kp_api_version_range *kp_api_versions_find(const kp_api_versions_resp *resp,
                                                 int16_t api_key) {
    for (int32_t i = 0; i < resp->count; i++)
        if (resp->apis[i].api_key == api_key)
            return &resp->apis[i];
    return NULL;
}

int kp_api_versions_pick(const kp_api_versions_resp *resp, int16_t api_key) {
    int16_t min, max;
    const kp_api_version_range *b = kp_api_versions_find(resp, api_key);
    if (!b || kp_proto_our_range(api_key, &min, &max))
        return -1;
    return kp_proto_pick_version(min, max, b->min_version, b->max_version);
}
