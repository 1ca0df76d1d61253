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

static void features_free(kp_api_feature **f, int32_t *count) {
    for (int32_t i = 0; i < *count; i++)
        free((*f)[i].name);
    free(*f);
    *f = NULL;
    *count = 0;
}

void kp_api_versions_resp_free(kp_api_versions_resp *resp) {
    free(resp->apis);
    features_free(&resp->supported_features, &resp->supported_feature_count);
    features_free(&resp->finalized_features, &resp->finalized_feature_count);
    memset(resp, 0, sizeof(*resp));
}

/* SupportedFeatures (Name, MinVersion, MaxVersion, tags) or
 * FinalizedFeatures (Name, MaxVersionLevel, MinVersionLevel, tags: the
 * other order). A repeated tag replaces the earlier list. */
static kprod_err_t read_features(kp_rd *r, int finalized, kp_api_feature **f, int32_t *count) {
    features_free(f, count);
    kprod_err_t err;
    *f = kp_codec_rd_array_new(r, 1, 1 + 2 + 2 + 1, sizeof(**f), count, &err);
    for (int32_t i = 0; !err && i < *count; i++) {
        kp_api_feature *e = &(*f)[i];
        err = kp_codec_rd_strdup(r, 1, 0, &e->name);
        int16_t a = kp_rd_i16(r), b = kp_rd_i16(r);
        e->min_version = finalized ? b : a;
        e->max_version = finalized ? a : b;
        kp_rd_skip_tags(r);
        if (!err && r->err)
            err = KPROD_ERR__BAD_MSG;
    }
    return err;
}

/* The body's tagged fields: 0 SupportedFeatures, 1 FinalizedFeaturesEpoch,
 * 2 FinalizedFeatures; 3 (ZkMigrationReady) and unknown ones skipped. */
static kprod_err_t body_tag(void *ctx, uint32_t tag, kp_rd *v) {
    kp_api_versions_resp *out = ctx;
    switch (tag) {
    case 0:
        return read_features(v, 0, &out->supported_features, &out->supported_feature_count);
    case 1:
        out->finalized_features_epoch = kp_rd_i64(v);
        return KPROD_ERR_NO_ERROR;
    case 2:
        return read_features(v, 1, &out->finalized_features, &out->finalized_feature_count);
    default:
        return KPROD_ERR_NO_ERROR;
    }
}

/* One attempt at decoding the body as the given version. */
static kprod_err_t decode_as(kp_rd *r, int16_t version, kp_api_versions_resp *out) {
    int flex = version >= 3;
    memset(out, 0, sizeof(*out));
    out->finalized_features_epoch = -1;
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
    if (flex)
        return kp_codec_rd_tags_each(r, body_tag, out);
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

int kp_api_versions_feature_level(const kp_api_versions_resp *resp, const char *name) {
    if (resp->finalized_features_epoch < 0)
        return -1;
    for (int32_t i = 0; i < resp->finalized_feature_count; i++)
        if (strcmp(resp->finalized_features[i].name, name) == 0)
            return resp->finalized_features[i].max_version;
    return 0;
}
