/* Version-aware field helpers (see codec.h). */
#include "protocol/codec.h"

#include <stdlib.h>
#include <string.h>

int kp_codec_str_ok(const char *s) { return !s || strlen(s) <= KP_CODEC_STR_MAX; }

void kp_codec_put_str(kp_buf *b, int flexible, const char *s) {
    int32_t len = s ? (int32_t)strlen(s) : -1;
    if (flexible)
        kp_buf_put_compact_string(b, s, len);
    else
        kp_buf_put_string(b, s, len);
}

void kp_codec_put_arrlen(kp_buf *b, int flexible, int32_t n) {
    if (flexible)
        kp_buf_put_compact_array_len(b, n);
    else
        kp_buf_put_array_len(b, n);
}

void kp_codec_put_tags(kp_buf *b, int flexible) {
    if (flexible)
        kp_buf_put_empty_tags(b);
}

size_t kp_codec_str_min(int flexible) { return flexible ? 1 : 2; }
size_t kp_codec_arr_min(int flexible) { return flexible ? 1 : 4; }
size_t kp_codec_tags_min(int flexible) { return flexible ? 1 : 0; }

kp_slice kp_codec_rd_str(kp_rd *r, int flexible) {
    return flexible ? kp_rd_compact_string(r) : kp_rd_string(r);
}

int32_t kp_codec_rd_arrlen(kp_rd *r, int flexible, size_t min_elem) {
    return flexible ? kp_rd_compact_array_len(r, min_elem) : kp_rd_array_len(r, min_elem);
}

void kp_codec_rd_tags(kp_rd *r, int flexible) {
    if (flexible)
        kp_rd_skip_tags(r);
}

void kp_codec_rd_fail(kp_rd *r) {
    r->err = 1;
    r->p = r->end;
}

kprod_err_t kp_codec_rd_tags_each(kp_rd *r, kp_codec_tag_fn fn, void *ctx) {
    uint32_t n = kp_rd_uvarint(r);
    for (uint32_t i = 0; i < n && !r->err; i++) {
        uint32_t tag = kp_rd_uvarint(r);
        uint32_t size = kp_rd_uvarint(r);
        const uint8_t *v = kp_rd_raw(r, size);
        if (!v)
            break;
        kp_rd sub;
        kp_rd_init(&sub, v, size);
        kprod_err_t err = fn(ctx, tag, &sub);
        if (err)
            return err;
        if (sub.err)
            return KPROD_ERR__BAD_MSG;
    }
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_codec_rd_strdup(kp_rd *r, int flexible, int nullable, char **dst) {
    *dst = NULL;
    kp_slice s = kp_codec_rd_str(r, flexible);
    if (r->err || (!s.p && !nullable))
        return KPROD_ERR__BAD_MSG;
    return kp_codec_strdup(s, dst) ? KPROD_ERR__NO_MEMORY : KPROD_ERR_NO_ERROR;
}

int kp_codec_strdup(kp_slice s, char **dst) {
    *dst = NULL;
    if (!s.p || s.len < 0)
        return 0;
    char *d = malloc((size_t)s.len + 1);
    if (!d)
        return -1;
    if (s.len)
        memcpy(d, s.p, (size_t)s.len);
    d[s.len] = '\0';
    *dst = d;
    return 0;
}

void *kp_codec_rd_array_new(kp_rd *r, int flexible, size_t min_elem, size_t elem_size,
                            int32_t *count, kprod_err_t *err) {
    *count = 0;
    *err = KPROD_ERR_NO_ERROR;
    int32_t n = kp_codec_rd_arrlen(r, flexible, min_elem);
    if (r->err || n < 0) {
        *err = KPROD_ERR__BAD_MSG;
        return NULL;
    }
    if (n == 0)
        return NULL;
    void *a = calloc((size_t)n, elem_size);
    if (!a) {
        *err = KPROD_ERR__NO_MEMORY;
        return NULL;
    }
    *count = n;
    return a;
}

kprod_err_t kp_codec_rd_int32s(kp_rd *r, int flexible, int32_t **out, int32_t *count) {
    *out = NULL;
    *count = 0;
    int32_t n = kp_codec_rd_arrlen(r, flexible, 4);
    if (r->err || n < 0) /* null is not allowed for these arrays */
        return KPROD_ERR__BAD_MSG;
    if (n == 0)
        return KPROD_ERR_NO_ERROR;
    int32_t *a = malloc((size_t)n * sizeof(*a));
    if (!a)
        return KPROD_ERR__NO_MEMORY;
    for (int32_t i = 0; i < n; i++)
        a[i] = kp_rd_i32(r);
    *out = a;
    *count = n;
    return r->err ? KPROD_ERR__BAD_MSG : KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_codec_buf_result(const kp_buf *b) {
    return b->oom ? KPROD_ERR__NO_MEMORY : KPROD_ERR_NO_ERROR;
}
