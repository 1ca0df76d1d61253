/* Helpers for the protocol codec tests (test_proto_*.c): byte vectors
 * written as hex with spaces and comments, and the hostile-input drivers.
 * Header-only (static inline) so each test file stays its own executable
 * and no build file changes. Include after testutil.h. */
#ifndef KPROD_TEST_PROTO_VECTORS_H
#define KPROD_TEST_PROTO_VECTORS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/buf.h"
#include "protocol/record_batch.h"

/* Hex digits (spaces ignored) to bytes: malloc'd, exactly *len bytes (one
 * spare byte when empty so the pointer is never NULL). */
static inline uint8_t *kpv_hex(const char *hex, size_t *len) {
    size_t n = 0;
    uint8_t *out = malloc(strlen(hex) / 2 + 1);
    assert_non_null(out);
    int hi = -1;
    for (const char *c = hex; *c; c++) {
        int v = 0;
        if (*c == ' ')
            continue;
        if (*c >= '0' && *c <= '9')
            v = *c - '0';
        else if (*c >= 'a' && *c <= 'f')
            v = *c - 'a' + 10;
        else
            fail_msg("bad hex digit '%c' in vector", *c);
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_true(hi < 0); /* an even number of digits */
    *len = n;
    return out;
}

/* Lower-case hex of p[0..n), no spaces; malloc'd. */
static inline char *kpv_to_hex(const uint8_t *p, size_t n) {
    char *s = malloc(n * 2 + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        snprintf(s + i * 2, 3, "%02x", p[i]);
    s[n * 2] = '\0';
    return s;
}

/* Asserts b->data[from..len) equals the hex vector (printed both ways when
 * not). */
static inline void kpv_expect_buf(const kp_buf *b, size_t from, const char *hex) {
    size_t n;
    uint8_t *want = kpv_hex(hex, &n);
    assert_false(b->oom);
    assert_true(from <= b->len);
    char *got_s = kpv_to_hex(b->data + from, b->len - from);
    char *want_s = kpv_to_hex(want, n);
    assert_string_equal(got_s, want_s);
    free(got_s);
    free(want_s);
    free(want);
}

/* A decoder under test: decodes r (freeing what it got on success) and
 * returns its verdict. */
typedef kprod_err_t (*kpv_decode_fn)(kp_rd *r, void *ctx);

/* Runs fn over a private copy of exactly n bytes, so that under ASan a read
 * one byte past the end is caught. */
static inline kprod_err_t kpv_run(const uint8_t *p, size_t n, kpv_decode_fn fn, void *ctx) {
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n)
        memcpy(copy, p, n);
    kp_rd r;
    kp_rd_init(&r, copy, n);
    kprod_err_t err = fn(&r, ctx);
    free(copy);
    return err;
}

static inline kprod_err_t kpv_run_hex(const char *hex, kpv_decode_fn fn, void *ctx) {
    size_t n;
    uint8_t *p = kpv_hex(hex, &n);
    kprod_err_t err = kpv_run(p, n, fn, ctx);
    free(p);
    return err;
}

/* The whole vector decodes; every proper prefix (0..n-1 bytes) is refused
 * as malformed, without reading past its end. */
static inline void kpv_expect_prefixes_fail(const char *hex, kpv_decode_fn fn, void *ctx) {
    size_t n;
    uint8_t *p = kpv_hex(hex, &n);
    assert_int_equal(kpv_run(p, n, fn, ctx), KPROD_ERR_NO_ERROR);
    for (size_t len = 0; len < n; len++) {
        kprod_err_t err = kpv_run(p, len, fn, ctx);
        if (err != KPROD_ERR__BAD_MSG)
            fail_msg("prefix of %zu/%zu bytes gave %d, not _BAD_MSG", len, n, (int)err);
    }
    free(p);
}

/* A corrupt vector is refused as malformed. _BAD_MSG and not _NO_MEMORY:
 * a hostile count must be caught before it drives an allocation. */
static inline void kpv_expect_bad(const char *hex, kpv_decode_fn fn, void *ctx) {
    assert_int_equal(kpv_run_hex(hex, fn, ctx), KPROD_ERR__BAD_MSG);
}

/* Appends to out a sealed record batch of n records ("v0", "v1", ...)
 * at base offset base, with the producer fields given, compressed with
 * codec (KP_CODEC_NONE for none), transactional when txn. Returns the
 * batch's length. */
static inline size_t kpv_batch(kp_buf *out, int64_t base, int n, int64_t pid, int16_t epoch,
                               int32_t seq, int txn, int codec) {
    kp_rb_writer w;
    kp_rb_writer_init(&w, 0);
    for (int i = 0; i < n; i++) {
        char v[32];
        int len = snprintf(v, sizeof(v), "value number %d of the batch", i);
        assert_int_equal(kp_rb_append(&w, 1700000000000LL + i, NULL, -1, v, len, NULL, 0), 0);
    }
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    o.codec = codec;
    o.producer_id = pid;
    o.producer_epoch = epoch;
    o.base_sequence = seq;
    o.is_transactional = txn;
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR_NO_ERROR);
    /* baseOffset is the broker's to set and outside the CRC. */
    kp_be32_write(w.buf.data + KP_RB_OFF_BASE_OFFSET, (uint32_t)((uint64_t)base >> 32));
    kp_be32_write(w.buf.data + KP_RB_OFF_BASE_OFFSET + 4, (uint32_t)base);
    size_t len = w.buf.len;
    kp_buf_put_raw(out, w.buf.data, len);
    kp_rb_writer_free(&w);
    return len;
}

#endif
