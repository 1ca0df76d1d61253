/* Byte buffers for the wire protocol: a growable writer and a bounds-checked
 * reader. Pure code, no I/O.
 *
 * Both carry a sticky error flag instead of returning one per call: an encoder
 * or decoder makes its whole sequence of calls and checks the flag once, so
 * the field-by-field code reads like the protocol spec and no read can go past
 * the end (a failed read returns 0/empty and leaves the cursor at the end). */
#ifndef KPROD_PROTOCOL_BUF_H
#define KPROD_PROTOCOL_BUF_H

#include <stddef.h>
#include <stdint.h>

/* ---- writer ---- */
typedef struct kp_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int oom; /* set when a growth failed; all later writes are dropped */
} kp_buf;

void kp_buf_init(kp_buf *b, size_t initial_cap);
void kp_buf_free(kp_buf *b);
void kp_buf_reset(kp_buf *b); /* len = 0, keeps memory, clears oom */
/* Makes room for n more bytes; returns 0, or -1 (and sets oom). */
int kp_buf_reserve(kp_buf *b, size_t n);
/* Advances len by n bytes left uninitialised (to be filled or patched). */
uint8_t *kp_buf_extend(kp_buf *b, size_t n);

void kp_buf_put_raw(kp_buf *b, const void *p, size_t n);
void kp_buf_put_i8(kp_buf *b, int8_t v);
void kp_buf_put_i16(kp_buf *b, int16_t v);
void kp_buf_put_i32(kp_buf *b, int32_t v);
void kp_buf_put_i64(kp_buf *b, int64_t v);
void kp_buf_put_u32(kp_buf *b, uint32_t v);
void kp_buf_put_uvarint(kp_buf *b, uint32_t v); /* unsigned LEB128 */
void kp_buf_put_varint(kp_buf *b, int32_t v);   /* zigzag */
void kp_buf_put_varlong(kp_buf *b, int64_t v);  /* zigzag */
void kp_buf_put_uvarlong(kp_buf *b, uint64_t v);

/* STRING / NULLABLE_STRING: int16 length (-1 = null). s may be NULL (null). */
void kp_buf_put_string(kp_buf *b, const char *s, int32_t len);
/* COMPACT_(NULLABLE_)STRING: uvarint length+1 (0 = null). */
void kp_buf_put_compact_string(kp_buf *b, const char *s, int32_t len);
/* BYTES / NULLABLE_BYTES: int32 length (-1 = null). */
void kp_buf_put_bytes(kp_buf *b, const void *p, int32_t len);
void kp_buf_put_compact_bytes(kp_buf *b, const void *p, int32_t len);
/* Array lengths: classic int32 (-1 = null) and compact uvarint n+1 (0 = null). */
void kp_buf_put_array_len(kp_buf *b, int32_t n);
void kp_buf_put_compact_array_len(kp_buf *b, int32_t n);
/* An empty tagged-field section (flexible versions). */
void kp_buf_put_empty_tags(kp_buf *b);

/* Placeholders: write zeros now, patch the value once it is known
 * (lengths, counts, CRCs). Offsets stay valid across growth. */
size_t kp_buf_placeholder(kp_buf *b, size_t n);
void kp_buf_patch_i16(kp_buf *b, size_t off, int16_t v);
void kp_buf_patch_i32(kp_buf *b, size_t off, int32_t v);
void kp_buf_patch_i64(kp_buf *b, size_t off, int64_t v);
void kp_buf_patch_u32(kp_buf *b, size_t off, uint32_t v);

/* Bytes a value takes as a varint, for sizing before writing. */
size_t kp_uvarint_size(uint32_t v);
size_t kp_varint_size(int32_t v);
size_t kp_varlong_size(int64_t v);

/* Raw big-endian access for fixed layouts. */
static inline void kp_be32_write(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline uint32_t kp_be32_read(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ---- reader ---- */
typedef struct kp_rd {
    const uint8_t *p;
    const uint8_t *end;
    int err; /* set on the first read past the end or malformed value */
} kp_rd;

/* A view into the read buffer; len -1 means null. Not NUL-terminated. */
typedef struct kp_slice {
    const uint8_t *p;
    int32_t len;
} kp_slice;

void kp_rd_init(kp_rd *r, const void *p, size_t len);
size_t kp_rd_remaining(const kp_rd *r);
int8_t kp_rd_i8(kp_rd *r);
int16_t kp_rd_i16(kp_rd *r);
int32_t kp_rd_i32(kp_rd *r);
int64_t kp_rd_i64(kp_rd *r);
uint32_t kp_rd_u32(kp_rd *r);
uint32_t kp_rd_uvarint(kp_rd *r);
int32_t kp_rd_varint(kp_rd *r);
int64_t kp_rd_varlong(kp_rd *r);
uint64_t kp_rd_uvarlong(kp_rd *r);
void kp_rd_skip(kp_rd *r, size_t n);
const uint8_t *kp_rd_raw(kp_rd *r, size_t n); /* NULL (and err) when short */
kp_slice kp_rd_string(kp_rd *r);              /* int16 length */
kp_slice kp_rd_compact_string(kp_rd *r);      /* uvarint length+1 */
kp_slice kp_rd_bytes(kp_rd *r);               /* int32 length */
kp_slice kp_rd_compact_bytes(kp_rd *r);
/* Array lengths; -1 = null. A count larger than the bytes left (each element
 * takes at least min_elem_size bytes) is malformed: err is set and 0 returned,
 * so a hostile count can never drive a huge allocation. */
int32_t kp_rd_array_len(kp_rd *r, size_t min_elem_size);
int32_t kp_rd_compact_array_len(kp_rd *r, size_t min_elem_size);
/* Skips a tagged-field section (all tags unknown to us). */
void kp_rd_skip_tags(kp_rd *r);

#endif
