/* Byte buffers for the wire protocol (see buf.h for the sticky-error rule). */
#include "protocol/buf.h"

#include <stdlib.h>
#include <string.h>

void kp_buf_init(kp_buf *b, size_t initial_cap) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
    if (initial_cap)
        kp_buf_reserve(b, initial_cap);
}

void kp_buf_free(kp_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void kp_buf_reset(kp_buf *b) {
    b->len = 0;
    b->oom = 0;
}

int kp_buf_reserve(kp_buf *b, size_t n) {
    if (b->oom)
        return -1;
    /* Even 0 bytes allocate an empty buffer's memory: after a successful
     * reserve data is never NULL, so data + len is always defined. */
    if (b->data && b->cap - b->len >= n)
        return 0;
    size_t need = b->len + n;
    if (need < b->len) { /* overflow */
        b->oom = 1;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap * 2 > cap ? cap * 2 : need;
    uint8_t *d = realloc(b->data, cap);
    if (!d) {
        b->oom = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

uint8_t *kp_buf_extend(kp_buf *b, size_t n) {
    if (kp_buf_reserve(b, n))
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

void kp_buf_put_raw(kp_buf *b, const void *p, size_t n) {
    if (n == 0)
        return;
    uint8_t *d = kp_buf_extend(b, n);
    if (d)
        memcpy(d, p, n);
}

void kp_buf_put_i8(kp_buf *b, int8_t v) {
    uint8_t *d = kp_buf_extend(b, 1);
    if (d)
        d[0] = (uint8_t)v;
}

void kp_buf_put_i16(kp_buf *b, int16_t v) {
    uint8_t *d = kp_buf_extend(b, 2);
    if (d) {
        d[0] = (uint8_t)((uint16_t)v >> 8);
        d[1] = (uint8_t)v;
    }
}

void kp_buf_put_u32(kp_buf *b, uint32_t v) {
    uint8_t *d = kp_buf_extend(b, 4);
    if (d)
        kp_be32_write(d, v);
}

void kp_buf_put_i32(kp_buf *b, int32_t v) { kp_buf_put_u32(b, (uint32_t)v); }

void kp_buf_put_i64(kp_buf *b, int64_t v) {
    uint8_t *d = kp_buf_extend(b, 8);
    if (d) {
        kp_be32_write(d, (uint32_t)((uint64_t)v >> 32));
        kp_be32_write(d + 4, (uint32_t)v);
    }
}

void kp_buf_put_uvarlong(kp_buf *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    kp_buf_put_raw(b, tmp, n);
}

void kp_buf_put_uvarint(kp_buf *b, uint32_t v) { kp_buf_put_uvarlong(b, v); }

void kp_buf_put_varint(kp_buf *b, int32_t v) {
    kp_buf_put_uvarlong(b, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

void kp_buf_put_varlong(kp_buf *b, int64_t v) {
    kp_buf_put_uvarlong(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void kp_buf_put_string(kp_buf *b, const char *s, int32_t len) {
    if (!s) {
        kp_buf_put_i16(b, -1);
        return;
    }
    kp_buf_put_i16(b, (int16_t)len);
    kp_buf_put_raw(b, s, (size_t)len);
}

void kp_buf_put_compact_string(kp_buf *b, const char *s, int32_t len) {
    if (!s) {
        kp_buf_put_uvarint(b, 0);
        return;
    }
    kp_buf_put_uvarint(b, (uint32_t)len + 1);
    kp_buf_put_raw(b, s, (size_t)len);
}

void kp_buf_put_bytes(kp_buf *b, const void *p, int32_t len) {
    if (!p && len <= 0) {
        kp_buf_put_i32(b, -1);
        return;
    }
    kp_buf_put_i32(b, len);
    kp_buf_put_raw(b, p, (size_t)len);
}

void kp_buf_put_compact_bytes(kp_buf *b, const void *p, int32_t len) {
    if (!p && len <= 0) {
        kp_buf_put_uvarint(b, 0);
        return;
    }
    kp_buf_put_uvarint(b, (uint32_t)len + 1);
    kp_buf_put_raw(b, p, (size_t)len);
}

void kp_buf_put_array_len(kp_buf *b, int32_t n) { kp_buf_put_i32(b, n); }

void kp_buf_put_compact_array_len(kp_buf *b, int32_t n) {
    kp_buf_put_uvarint(b, n < 0 ? 0 : (uint32_t)n + 1);
}

void kp_buf_put_empty_tags(kp_buf *b) { kp_buf_put_uvarint(b, 0); }

size_t kp_buf_placeholder(kp_buf *b, size_t n) {
    size_t off = b->len;
    uint8_t *d = kp_buf_extend(b, n);
    if (d)
        memset(d, 0, n);
    return off;
}

void kp_buf_patch_i16(kp_buf *b, size_t off, int16_t v) {
    if (b->oom || off + 2 > b->len)
        return;
    b->data[off] = (uint8_t)((uint16_t)v >> 8);
    b->data[off + 1] = (uint8_t)v;
}

void kp_buf_patch_u32(kp_buf *b, size_t off, uint32_t v) {
    if (b->oom || off + 4 > b->len)
        return;
    kp_be32_write(b->data + off, v);
}

void kp_buf_patch_i32(kp_buf *b, size_t off, int32_t v) { kp_buf_patch_u32(b, off, (uint32_t)v); }

void kp_buf_patch_i64(kp_buf *b, size_t off, int64_t v) {
    if (b->oom || off + 8 > b->len)
        return;
    kp_be32_write(b->data + off, (uint32_t)((uint64_t)v >> 32));
    kp_be32_write(b->data + off + 4, (uint32_t)v);
}

static size_t uvarlong_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t kp_uvarint_size(uint32_t v) { return uvarlong_size(v); }
size_t kp_varint_size(int32_t v) { return uvarlong_size(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)); }
size_t kp_varlong_size(int64_t v) {
    return uvarlong_size(((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* ---- reader ---- */

void kp_rd_init(kp_rd *r, const void *p, size_t len) {
    /* NULL is an empty input (an empty kp_buf has no memory yet): point at
     * a static byte instead, since NULL + 0 is undefined behaviour and a
     * NULL from kp_rd_raw(r, 0) would read as a failure. */
    static const uint8_t empty[1];
    if (!p) {
        p = empty;
        len = 0;
    }
    r->p = p;
    r->end = r->p + len;
    r->err = 0;
}

size_t kp_rd_remaining(const kp_rd *r) { return (size_t)(r->end - r->p); }

static void rd_fail(kp_rd *r) {
    r->err = 1;
    r->p = r->end;
}

const uint8_t *kp_rd_raw(kp_rd *r, size_t n) {
    if (r->err || kp_rd_remaining(r) < n) {
        rd_fail(r);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

void kp_rd_skip(kp_rd *r, size_t n) { (void)kp_rd_raw(r, n); }

int8_t kp_rd_i8(kp_rd *r) {
    const uint8_t *p = kp_rd_raw(r, 1);
    return p ? (int8_t)p[0] : 0;
}

int16_t kp_rd_i16(kp_rd *r) {
    const uint8_t *p = kp_rd_raw(r, 2);
    return p ? (int16_t)(((uint16_t)p[0] << 8) | p[1]) : 0;
}

uint32_t kp_rd_u32(kp_rd *r) {
    const uint8_t *p = kp_rd_raw(r, 4);
    return p ? kp_be32_read(p) : 0;
}

int32_t kp_rd_i32(kp_rd *r) { return (int32_t)kp_rd_u32(r); }

int64_t kp_rd_i64(kp_rd *r) {
    const uint8_t *p = kp_rd_raw(r, 8);
    return p ? (int64_t)(((uint64_t)kp_be32_read(p) << 32) | kp_be32_read(p + 4)) : 0;
}

/* Reads at most max_bytes of LEB128; a longer run is malformed. */
static uint64_t rd_uleb(kp_rd *r, int max_bytes) {
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        const uint8_t *p = kp_rd_raw(r, 1);
        if (!p)
            return 0;
        v |= (uint64_t)(p[0] & 0x7f) << (7 * i);
        if (!(p[0] & 0x80))
            return v;
    }
    rd_fail(r);
    return 0;
}

uint32_t kp_rd_uvarint(kp_rd *r) {
    uint64_t v = rd_uleb(r, 5);
    if (v > UINT32_MAX) {
        rd_fail(r);
        return 0;
    }
    return (uint32_t)v;
}

uint64_t kp_rd_uvarlong(kp_rd *r) { return rd_uleb(r, 10); }

int32_t kp_rd_varint(kp_rd *r) {
    uint32_t u = kp_rd_uvarint(r);
    return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

int64_t kp_rd_varlong(kp_rd *r) {
    uint64_t u = kp_rd_uvarlong(r);
    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

static kp_slice rd_slice(kp_rd *r, int64_t len) {
    kp_slice s = {NULL, -1};
    if (r->err)
        return s;
    if (len < -1 || len > INT32_MAX) {
        rd_fail(r);
        return s;
    }
    if (len == -1)
        return s;
    s.p = kp_rd_raw(r, (size_t)len);
    s.len = s.p ? (int32_t)len : -1;
    return s;
}

kp_slice kp_rd_string(kp_rd *r) {
    int16_t n = kp_rd_i16(r);
    return rd_slice(r, n);
}

kp_slice kp_rd_compact_string(kp_rd *r) {
    uint32_t n = kp_rd_uvarint(r);
    return rd_slice(r, (int64_t)n - 1);
}

kp_slice kp_rd_bytes(kp_rd *r) {
    int32_t n = kp_rd_i32(r);
    return rd_slice(r, n);
}

kp_slice kp_rd_compact_bytes(kp_rd *r) { return kp_rd_compact_string(r); }

static int32_t rd_count(kp_rd *r, int64_t n, size_t min_elem_size) {
    if (r->err)
        return 0;
    if (n < -1) {
        rd_fail(r);
        return 0;
    }
    if (n > 0 && (uint64_t)n * (min_elem_size ? min_elem_size : 1) > kp_rd_remaining(r)) {
        rd_fail(r);
        return 0;
    }
    return (int32_t)n;
}

int32_t kp_rd_array_len(kp_rd *r, size_t min_elem_size) {
    int32_t n = kp_rd_i32(r);
    return rd_count(r, n, min_elem_size);
}

int32_t kp_rd_compact_array_len(kp_rd *r, size_t min_elem_size) {
    uint32_t n = kp_rd_uvarint(r);
    return rd_count(r, (int64_t)n - 1, min_elem_size);
}

void kp_rd_skip_tags(kp_rd *r) {
    uint32_t n = kp_rd_uvarint(r);
    for (uint32_t i = 0; i < n && !r->err; i++) {
        (void)kp_rd_uvarint(r); /* tag */
        uint32_t size = kp_rd_uvarint(r);
        kp_rd_skip(r, size);
    }
}
