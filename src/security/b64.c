/* Base64 (see b64.h). */
#include "security/b64.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void kp_b64_put(kp_buf *out, const void *p, size_t n, int url) {
    const char *a = url ? url_alphabet : std_alphabet;
    const uint8_t *s = p;
    size_t full = n / 3 * 3;
    for (size_t i = 0; i < full; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        char q[4] = {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
        kp_buf_put_raw(out, q, 4);
    }
    size_t rest = n - full;
    if (!rest)
        return;
    uint32_t v = (uint32_t)s[full] << 16 | (rest == 2 ? (uint32_t)s[full + 1] << 8 : 0);
    char q[4] = {a[v >> 18], a[(v >> 12) & 63], rest == 2 ? a[(v >> 6) & 63] : '=', '='};
    kp_buf_put_raw(out, q, url ? rest + 1 : 4);
}

static int value_of(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long kp_b64_decode(const char *s, size_t n, uint8_t *dst) {
    if (n % 4)
        return -1;
    long len = 0;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int pad = last && s[i + 3] == '=' ? (s[i + 2] == '=' ? 2 : 1) : 0;
        int v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = k >= 4 - pad ? 0 : value_of(s[i + k]);
            if (v[k] < 0)
                return -1;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | v[3];
        /* Bits the padding drops must be zero: one encoding per value. */
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
            return -1;
        dst[len++] = (uint8_t)(w >> 16);
        if (pad < 2)
            dst[len++] = (uint8_t)(w >> 8);
        if (pad < 1)
            dst[len++] = (uint8_t)w;
    }
    return len;
}
