/* Compression codecs: round trips of every codec over empty, tiny, random
 * and large inputs; our output read back by each library's own reference
 * decoder; the exact framings Kafka expects (gzip, xerial snappy, LZ4 frame
 * flags, zstd); what we must also read (raw snappy, concatenated members,
 * zstd without a content size); and refusal of bombs, truncation and
 * garbage. */
#define ZLIB_CONST
#include "testutil.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "protocol/compression.h"

static const int all_codecs[] = {KP_CODEC_NONE, KP_CODEC_GZIP, KP_CODEC_SNAPPY, KP_CODEC_LZ4,
                                 KP_CODEC_ZSTD};
#define N_CODECS (sizeof(all_codecs) / sizeof(all_codecs[0]))

static uint32_t rng_state = 1;
static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static uint8_t *random_bytes(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng();
    return p;
}

/* About n bytes of repetitive JSON-like text, as record values often are. */
static uint8_t *json_text(size_t n) {
    uint8_t *p = malloc(n + 256);
    assert_non_null(p);
    size_t len = 0;
    for (unsigned i = 0; len < n; i++)
        len += (size_t)snprintf(
            (char *)p + len, 256,
            "{\"id\":%u,\"user\":\"user-%u\",\"event\":\"%s\",\"amount\":%u.%02u},\n", i, i % 97,
            (i % 3) ? "click" : "purchase", i * 7 % 1000, i % 100);
    return p;
}

static void roundtrip(int codec, int level, const uint8_t *in, size_t n) {
    kp_buf c, d;
    kp_buf_init(&c, 0);
    kp_buf_init(&d, 0);
    /* Something in front, to check that output is appended. */
    kp_buf_put_raw(&c, "HDR", 3);
    assert_int_equal(kp_compress(codec, level, in, n, &c), KPROD_ERR_NO_ERROR);
    assert_memory_equal(c.data, "HDR", 3);
    kp_buf_put_raw(&d, "xy", 2);
    assert_int_equal(kp_decompress(codec, c.data + 3, c.len - 3, n, &d), KPROD_ERR_NO_ERROR);
    assert_int_equal(d.len, n + 2);
    assert_memory_equal(d.data, "xy", 2);
    if (n)
        assert_memory_equal(d.data + 2, in, n);
    if (n > 0) {
        /* One byte less room than needed must be refused, and out restored. */
        d.len = 2;
        assert_int_equal(kp_decompress(codec, c.data + 3, c.len - 3, n - 1, &d),
                         KPROD_ERR__COMPRESSION);
        assert_int_equal(d.len, 2);
    }
    kp_buf_free(&c);
    kp_buf_free(&d);
}

static void test_roundtrip_sizes(void **state) {
    (void)state;
    uint8_t *rnd = random_bytes(100000);
    uint8_t *big = json_text(1 << 20);
    for (size_t i = 0; i < N_CODECS; i++) {
        int c = all_codecs[i];
        roundtrip(c, KP_LEVEL_DEFAULT, (const uint8_t *)"", 0);
        roundtrip(c, KP_LEVEL_DEFAULT, (const uint8_t *)"a", 1);
        roundtrip(c, KP_LEVEL_DEFAULT, (const uint8_t *)"hello, kafka", 12);
        roundtrip(c, KP_LEVEL_DEFAULT, rnd, 100000);
        roundtrip(c, KP_LEVEL_DEFAULT, big, 1 << 20);
    }
    free(rnd);
    free(big);
}

static void test_roundtrip_levels(void **state) {
    (void)state;
    uint8_t *txt = json_text(100000);
    roundtrip(KP_CODEC_GZIP, -1, txt, 100000);
    for (int l = 1; l <= 9; l++)
        roundtrip(KP_CODEC_GZIP, l, txt, 100000);
    for (int l = 1; l <= 17; l++)
        roundtrip(KP_CODEC_LZ4, l, txt, 100000);
    int zl[] = {ZSTD_minCLevel(), -5, -1, 1, 3, 9, 19};
    for (size_t i = 0; i < sizeof(zl) / sizeof(zl[0]); i++)
        roundtrip(KP_CODEC_ZSTD, zl[i], txt, 100000);
    free(txt);
}

static void test_levels_and_names(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_compress(KP_CODEC_GZIP, 0, "x", 1, &b), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_compress(KP_CODEC_GZIP, 10, "x", 1, &b), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_compress(KP_CODEC_LZ4, 0, "x", 1, &b), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_compress(KP_CODEC_LZ4, 18, "x", 1, &b), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_compress(KP_CODEC_ZSTD, 23, "x", 1, &b), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_compress(KP_CODEC_ZSTD, -131073, "x", 1, &b), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_compress(5, KP_LEVEL_DEFAULT, "x", 1, &b), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_decompress(7, "x", 1, 10, &b), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0);
    assert_true(kp_codec_level_valid(KP_CODEC_ZSTD, -131072));
    assert_true(kp_codec_level_valid(KP_CODEC_ZSTD, 22));
    assert_true(kp_codec_level_valid(KP_CODEC_GZIP, -1));
    assert_true(kp_codec_level_valid(KP_CODEC_SNAPPY, 12345));
    assert_string_equal(kp_codec_name(KP_CODEC_SNAPPY), "snappy");
    assert_string_equal(kp_codec_name(9), "unknown");
    assert_int_equal(kp_codec_from_name("lz4"), KP_CODEC_LZ4);
    assert_int_equal(kp_codec_from_name("ZSTD"), KP_CODEC_ZSTD);
    assert_int_equal(kp_codec_from_name("none"), KP_CODEC_NONE);
    assert_int_equal(kp_codec_from_name("brotli"), -1);
    kp_buf_free(&b);
}

/* ---- framing, read back with each library's reference decoder ---- */

static void compress_or_fail(int codec, const uint8_t *in, size_t n, kp_buf *out) {
    kp_buf_init(out, 0);
    assert_int_equal(kp_compress(codec, KP_LEVEL_DEFAULT, in, n, out), KPROD_ERR_NO_ERROR);
}

static void test_gzip_reference(void **state) {
    (void)state;
    uint8_t *txt = json_text(300000);
    kp_buf c;
    compress_or_fail(KP_CODEC_GZIP, txt, 300000, &c);
    /* gzip magic, deflate method */
    assert_int_equal(c.data[0], 0x1f);
    assert_int_equal(c.data[1], 0x8b);
    assert_int_equal(c.data[2], 8);
    uint8_t *dst = malloc(300001);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
    zs.next_in = c.data;
    zs.avail_in = (uInt)c.len;
    zs.next_out = dst;
    zs.avail_out = 300001;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, 300000);
    assert_int_equal(zs.avail_in, 0);
    assert_memory_equal(dst, txt, 300000);
    inflateEnd(&zs);
    free(dst);
    kp_buf_free(&c);
    free(txt);
}

static void test_snappy_xerial_reference(void **state) {
    (void)state;
    size_t n = 100000;
    uint8_t *txt = json_text(n);
    kp_buf c;
    compress_or_fail(KP_CODEC_SNAPPY, txt, n, &c);
    static const uint8_t hdr[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    assert_true(c.len > 16);
    assert_memory_equal(c.data, hdr, 16);
    uint8_t *dst = malloc(n);
    size_t pos = 16, got = 0;
    int blocks = 0;
    while (pos < c.len) {
        uint32_t blen = kp_be32_read(c.data + pos);
        pos += 4;
        assert_true(blen <= c.len - pos);
        size_t ulen;
        assert_int_equal(snappy_uncompressed_length((const char *)c.data + pos, blen, &ulen),
                         SNAPPY_OK);
        assert_true(ulen <= 32768); /* xerial's block size */
        assert_true(got + ulen <= n);
        assert_int_equal(
            snappy_uncompress((const char *)c.data + pos, blen, (char *)dst + got, &ulen),
            SNAPPY_OK);
        got += ulen;
        pos += blen;
        blocks++;
    }
    assert_int_equal(got, n);
    assert_int_equal(blocks, (int)((n + 32767) / 32768));
    assert_memory_equal(dst, txt, n);
    free(dst);
    kp_buf_free(&c);
    free(txt);
}

static void test_lz4_frame_reference(void **state) {
    (void)state;
    size_t n = 200000;
    uint8_t *txt = json_text(n);
    for (int level = 1; level <= 17; level += 8) { /* 1 fast, 9 Kafka's default, 17 HC */
        kp_buf c;
        kp_buf_init(&c, 0);
        assert_int_equal(kp_compress(KP_CODEC_LZ4, level, txt, n, &c), KPROD_ERR_NO_ERROR);
        /* magic 0x184D2204 LE; FLG: version 01, block independence, no block
         * checksum, no content size, no content checksum; BD: 64 KiB. */
        assert_int_equal(c.data[0], 0x04);
        assert_int_equal(c.data[1], 0x22);
        assert_int_equal(c.data[2], 0x4d);
        assert_int_equal(c.data[3], 0x18);
        assert_int_equal(c.data[4], 0x60);
        assert_int_equal(c.data[5], 0x40);
        /* The frame ends with an empty end mark and no content checksum. */
        assert_memory_equal(c.data + c.len - 4, "\0\0\0\0", 4);
        LZ4F_dctx *d;
        assert_false(LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)));
        uint8_t *dst = malloc(n);
        size_t dlen = n, slen = c.len;
        size_t r = LZ4F_decompress(d, dst, &dlen, c.data, &slen, NULL);
        assert_int_equal(r, 0);
        assert_int_equal(dlen, n);
        assert_int_equal(slen, c.len);
        assert_memory_equal(dst, txt, n);
        LZ4F_freeDecompressionContext(d);
        free(dst);
        kp_buf_free(&c);
    }
    free(txt);
}

static void test_zstd_reference(void **state) {
    (void)state;
    size_t n = 300000;
    uint8_t *txt = json_text(n);
    kp_buf c;
    compress_or_fail(KP_CODEC_ZSTD, txt, n, &c);
    assert_memory_equal(c.data, "\x28\xb5\x2f\xfd", 4);
    assert_int_equal(ZSTD_getFrameContentSize(c.data, c.len), n);
    uint8_t *dst = malloc(n);
    assert_int_equal(ZSTD_decompress(dst, n, c.data, c.len), n);
    assert_memory_equal(dst, txt, n);
    free(dst);
    kp_buf_free(&c);
    free(txt);
}

/* ---- what other producers write, which we must read ---- */

static void expect_decompress(int codec, const uint8_t *in, size_t in_len, const void *want,
                              size_t want_len) {
    kp_buf d;
    kp_buf_init(&d, 0);
    assert_int_equal(kp_decompress(codec, in, in_len, 1 << 24, &d), KPROD_ERR_NO_ERROR);
    assert_int_equal(d.len, want_len);
    assert_memory_equal(d.data, want, want_len);
    kp_buf_free(&d);
}

static void test_raw_snappy_accepted(void **state) {
    (void)state;
    uint8_t *txt = json_text(70000);
    size_t clen = snappy_max_compressed_length(70000);
    char *c = malloc(clen);
    assert_int_equal(snappy_compress((const char *)txt, 70000, c, &clen), SNAPPY_OK);
    expect_decompress(KP_CODEC_SNAPPY, (uint8_t *)c, clen, txt, 70000);
    free(c);
    free(txt);
}

static void test_concatenated_streams(void **state) {
    (void)state;
    const char *a = "first part;", *b = "second part";
    for (size_t i = 1; i < N_CODECS; i++) {
        int codec = all_codecs[i];
        kp_buf c;
        kp_buf_init(&c, 0);
        assert_int_equal(kp_compress(codec, KP_LEVEL_DEFAULT, a, strlen(a), &c), 0);
        assert_int_equal(kp_compress(codec, KP_LEVEL_DEFAULT, b, strlen(b), &c), 0);
        expect_decompress(codec, c.data, c.len, "first part;second part", 22);
        kp_buf_free(&c);
    }
}

static void test_zstd_without_content_size(void **state) {
    (void)state;
    /* Streaming compressors (zstd-jni in the Java client) do not know the
     * size in advance and leave it out of the frame header. */
    size_t n = 500000;
    uint8_t *txt = json_text(n);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(n);
    uint8_t *c = malloc(cap);
    ZSTD_outBuffer ob = {c, cap, 0};
    size_t fed = 0;
    while (fed < n) {
        size_t step = n - fed < 10000 ? n - fed : 10000;
        ZSTD_inBuffer ib = {txt + fed, step, 0};
        assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue)));
        assert_int_equal(ib.pos, step);
        fed += step;
    }
    ZSTD_inBuffer ib = {NULL, 0, 0};
    assert_int_equal(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end), 0);
    assert_int_equal(ZSTD_getFrameContentSize(c, ob.pos), ZSTD_CONTENTSIZE_UNKNOWN);
    expect_decompress(KP_CODEC_ZSTD, c, ob.pos, txt, n);
    ZSTD_freeCCtx(cc);
    free(c);
    free(txt);
}

/* ---- hostile input ---- */

static void test_bombs_refused(void **state) {
    (void)state;
    size_t n = 16 << 20; /* 16 MiB of zeros compresses to almost nothing */
    uint8_t *zeros = calloc(1, n);
    for (size_t i = 1; i < N_CODECS; i++) {
        int codec = all_codecs[i];
        kp_buf c, d;
        compress_or_fail(codec, zeros, n, &c);
        assert_true(c.len < n / 20);
        kp_buf_init(&d, 0);
        assert_int_equal(kp_decompress(codec, c.data, c.len, 1 << 20, &d), KPROD_ERR__COMPRESSION);
        assert_int_equal(d.len, 0);
        assert_true(d.cap <= (2u << 20) + 4096); /* never grew to the full expansion */
        assert_int_equal(kp_decompress(codec, c.data, c.len, n, &d), KPROD_ERR_NO_ERROR);
        assert_int_equal(d.len, n);
        kp_buf_free(&c);
        kp_buf_free(&d);
    }
    /* Raw snappy whose header claims 4 GiB: refused before allocating. */
    const uint8_t claim[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    kp_buf d;
    kp_buf_init(&d, 0);
    assert_int_equal(kp_decompress(KP_CODEC_SNAPPY, claim, sizeof(claim), 1 << 20, &d),
                     KPROD_ERR__COMPRESSION);
    assert_true(d.cap < (1u << 20));
    kp_buf_free(&d);
    free(zeros);
}

static void test_truncated_and_garbage(void **state) {
    (void)state;
    size_t n = 5000;
    uint8_t *txt = json_text(n);
    for (size_t i = 1; i < N_CODECS; i++) {
        int codec = all_codecs[i];
        kp_buf c;
        compress_or_fail(codec, txt, n, &c);
        for (size_t cut = 0; cut < c.len; cut++) {
            /* Exact-size copy, so ASan sees any read past the end. */
            uint8_t *p = malloc(cut ? cut : 1);
            memcpy(p, c.data, cut);
            kp_buf d;
            kp_buf_init(&d, 0);
            kprod_err_t err = kp_decompress(codec, p, cut, n, &d);
            if (codec == KP_CODEC_SNAPPY && err == KPROD_ERR_NO_ERROR) {
                /* xerial blocks stand alone: a cut at a block boundary is a
                 * shorter valid stream; it must give a prefix of the data. */
                assert_true(d.len < n);
                assert_memory_equal(d.data, txt, d.len);
            } else {
                assert_int_equal(err, KPROD_ERR__COMPRESSION);
                assert_int_equal(d.len, 0);
            }
            kp_buf_free(&d);
            free(p);
        }
        /* Corrupt bytes: either an error, or (no checksum covers the data)
         * some output within the limit; never a crash or over-read. */
        for (int k = 0; k < 300; k++) {
            uint8_t *p = malloc(c.len);
            memcpy(p, c.data, c.len);
            p[rng() % c.len] ^= (uint8_t)(1u << (rng() % 8));
            kp_buf d;
            kp_buf_init(&d, 0);
            kprod_err_t err = kp_decompress(codec, p, c.len, n * 2, &d);
            assert_true(err == KPROD_ERR_NO_ERROR || err == KPROD_ERR__COMPRESSION);
            assert_true(d.len <= n * 2);
            kp_buf_free(&d);
            free(p);
        }
        kp_buf_free(&c);
        /* Random garbage. */
        for (int k = 0; k < 200; k++) {
            size_t len = rng() % 200;
            uint8_t *p = random_bytes(len);
            kp_buf d;
            kp_buf_init(&d, 0);
            kprod_err_t err = kp_decompress(codec, p, len, 4096, &d);
            assert_true(err == KPROD_ERR_NO_ERROR || err == KPROD_ERR__COMPRESSION);
            assert_true(d.len <= 4096);
            kp_buf_free(&d);
            free(p);
        }
    }
    free(txt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_sizes),
        cmocka_unit_test(test_roundtrip_levels),
        cmocka_unit_test(test_levels_and_names),
        cmocka_unit_test(test_gzip_reference),
        cmocka_unit_test(test_snappy_xerial_reference),
        cmocka_unit_test(test_lz4_frame_reference),
        cmocka_unit_test(test_zstd_reference),
        cmocka_unit_test(test_raw_snappy_accepted),
        cmocka_unit_test(test_concatenated_streams),
        cmocka_unit_test(test_zstd_without_content_size),
        cmocka_unit_test(test_bombs_refused),
        cmocka_unit_test(test_truncated_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
