/* What a broker sends during authentication: the SaslHandshake and
 * SaslAuthenticate response decoders (src/protocol/sasl.c) and the SCRAM
 * server messages inside them (src/security/scram.c). Input byte 0 picks
 * the mode: 0 SaslHandshake v1, 1..3 SaslAuthenticate v0..v2, 4 SCRAM: the
 * rest is server-first, then (after a NUL) server-final, for the client
 * state of RFC 7677's example (user "user", password "pencil", its nonce),
 * so the RFC's own messages are a valid seed. */
#include "fuzz_util.h"

#include "protocol/sasl.h"
#include "security/scram.h"

static void scram(const uint8_t *p, size_t n) {
    const uint8_t *nul = memchr(p, 0, n);
    size_t first = nul ? (size_t)(nul - p) : n;
    kp_scram s;
    kp_buf out;
    kp_buf_init(&out, 0);
    char why[256];
    KPF_CHECK(kp_scram_begin(&s, KP_SCRAM_SHA256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO", &out,
                             why, sizeof(why)) == KPROD_ERR_NO_ERROR);
    kp_buf_reset(&out);
    kprod_err_t err = kp_scram_server_first(&s, p, first, &out, why, sizeof(why));
    if (err) {
        KPF_CHECK(err == KPROD_ERR_SASL_AUTHENTICATION_FAILED);
        KPF_CHECK(out.len == 0 && strlen(why) > 0 && !strstr(why, "pencil"));
    } else {
        /* client-final echoes the server's nonce and carries a proof */
        KPF_CHECK(out.len > 9 && memcmp(out.data, "c=biws,r=", 9) == 0);
        if (nul) {
            err = kp_scram_server_final(&s, nul + 1, n - first - 1, why, sizeof(why));
            KPF_CHECK(!err || err == KPROD_ERR_SASL_AUTHENTICATION_FAILED);
        }
    }
    kp_buf_free(&out);
    kp_scram_end(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int mode = data[0] % 5;
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    if (mode == 0) {
        kp_sasl_handshake_resp resp;
        kprod_err_t err = kp_sasl_handshake_resp_decode(&r, 1, &resp);
        if (err) {
            KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
            KPF_CHECK(resp.count == 0 && resp.mechanisms == NULL);
            return 0;
        }
        for (int32_t i = 0; i < resp.count; i++)
            kpf_touch(resp.mechanisms[i], strlen(resp.mechanisms[i]) + 1);
        char text[128];
        kp_sasl_handshake_mechanisms_text(&resp, text, sizeof(text));
        KPF_CHECK(strlen(text) < sizeof(text));
        kp_sasl_handshake_resp_free(&resp);
    } else if (mode <= 3) {
        kp_sasl_authenticate_resp resp;
        kprod_err_t err = kp_sasl_authenticate_resp_decode(&r, (int16_t)(mode - 1), &resp);
        if (err) {
            KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
            KPF_CHECK(!resp.auth_bytes && !resp.error_message && resp.auth_len == 0);
            return 0;
        }
        KPF_CHECK(resp.session_lifetime_ms >= 0);
        KPF_CHECK((resp.auth_len == 0) == (resp.auth_bytes == NULL));
        KPF_CHECK(resp.auth_len <= size);
        kpf_touch(resp.auth_bytes, resp.auth_len);
        if (resp.error_message)
            kpf_touch(resp.error_message, strlen(resp.error_message) + 1);
        kp_sasl_authenticate_resp_free(&resp);
    } else {
        scram(data + 1, size - 1);
    }
    return 0;
}
