/* SaslHandshake and SaslAuthenticate codecs (see sasl.h); fields as in
 * SaslHandshakeRequest/Response.json and SaslAuthenticateRequest/Response.json. */
#include "protocol/sasl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/api_keys.h"
#include "protocol/codec.h"

kprod_err_t kp_sasl_handshake_req_encode(kp_buf *b, int16_t version, const char *mechanism) {
    if (!kp_proto_version_ok(KP_API_SASL_HANDSHAKE, version) || !mechanism || !*mechanism ||
        !kp_codec_str_ok(mechanism))
        return KPROD_ERR__INVALID_ARG;
    kp_codec_put_str(b, 0, mechanism); /* Mechanism */
    return kp_codec_buf_result(b);
}

void kp_sasl_handshake_resp_free(kp_sasl_handshake_resp *resp) {
    for (int32_t i = 0; i < resp->count; i++)
        free(resp->mechanisms[i]);
    free(resp->mechanisms);
    memset(resp, 0, sizeof(*resp));
}

kprod_err_t kp_sasl_handshake_resp_decode(kp_rd *r, int16_t version, kp_sasl_handshake_resp *out) {
    memset(out, 0, sizeof(*out));
    if (!kp_proto_version_ok(KP_API_SASL_HANDSHAKE, version))
        return KPROD_ERR__INVALID_ARG;
    out->error_code = kp_rd_i16(r); /* ErrorCode */
    kprod_err_t err;
    int32_t n;
    /* Mechanisms: []string, each at least its int16 length */
    char **m = kp_codec_rd_array_new(r, 0, kp_codec_str_min(0), sizeof(char *), &n, &err);
    out->mechanisms = m;
    out->count = n;
    for (int32_t i = 0; !err && i < n; i++) {
        kp_slice s = kp_codec_rd_str(r, 0);
        if (r->err || s.len < 0)
            err = KPROD_ERR__BAD_MSG;
        else if (kp_codec_strdup(s, &m[i]) != 0)
            err = KPROD_ERR__NO_MEMORY;
    }
    if (!err && r->err)
        err = KPROD_ERR__BAD_MSG;
    if (err)
        kp_sasl_handshake_resp_free(out);
    return err;
}

void kp_sasl_handshake_mechanisms_text(const kp_sasl_handshake_resp *resp, char *buf, size_t size) {
    if (!size)
        return;
    buf[0] = '\0';
    size_t off = 0;
    for (int32_t i = 0; i < resp->count && off < size; i++) {
        int n = snprintf(buf + off, size - off, "%s%s", i ? ", " : "", resp->mechanisms[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    if (resp->count == 0)
        snprintf(buf, size, "none");
}

kprod_err_t kp_sasl_authenticate_req_encode(kp_buf *b, int16_t version, const void *auth,
                                            size_t len) {
    if (!kp_proto_version_ok(KP_API_SASL_AUTHENTICATE, version) || len > INT32_MAX - 1 ||
        (!auth && len))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_SASL_AUTHENTICATE, version);
    static const uint8_t empty[1];
    if (flex) /* AuthBytes */
        kp_buf_put_compact_bytes(b, len ? auth : empty, (int32_t)len);
    else
        kp_buf_put_bytes(b, len ? auth : empty, (int32_t)len);
    kp_codec_put_tags(b, flex);
    return kp_codec_buf_result(b);
}

void kp_sasl_authenticate_resp_free(kp_sasl_authenticate_resp *resp) {
    free(resp->error_message);
    free(resp->auth_bytes);
    memset(resp, 0, sizeof(*resp));
}

kprod_err_t kp_sasl_authenticate_resp_decode(kp_rd *r, int16_t version,
                                             kp_sasl_authenticate_resp *out) {
    memset(out, 0, sizeof(*out));
    if (!kp_proto_version_ok(KP_API_SASL_AUTHENTICATE, version))
        return KPROD_ERR__INVALID_ARG;
    int flex = kp_proto_is_flexible(KP_API_SASL_AUTHENTICATE, version);
    out->error_code = kp_rd_i16(r);                                 /* ErrorCode */
    kp_slice msg = kp_codec_rd_str(r, flex);                        /* ErrorMessage (nullable) */
    kp_slice auth = flex ? kp_rd_compact_bytes(r) : kp_rd_bytes(r); /* AuthBytes */
    if (version >= 1)
        out->session_lifetime_ms = kp_rd_i64(r); /* SessionLifetimeMs */
    kp_codec_rd_tags(r, flex);
    if (r->err || auth.len < 0 || out->session_lifetime_ms < 0) {
        memset(out, 0, sizeof(*out));
        return KPROD_ERR__BAD_MSG;
    }
    if (kp_codec_strdup(msg, &out->error_message) != 0)
        goto oom;
    if (auth.len > 0) {
        out->auth_bytes = malloc((size_t)auth.len);
        if (!out->auth_bytes)
            goto oom;
        memcpy(out->auth_bytes, auth.p, (size_t)auth.len);
        out->auth_len = (size_t)auth.len;
    }
    return KPROD_ERR_NO_ERROR;
oom:
    kp_sasl_authenticate_resp_free(out);
    return KPROD_ERR__NO_MEMORY;
}
