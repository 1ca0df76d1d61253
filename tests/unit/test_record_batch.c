/* RecordBatch v2: an exact byte vector derived by hand from the protocol
 * guide, round trips through every codec, kp_rb_record_size against what
 * append really writes, the producer-field re-patch, and the decoder's
 * refusal of truncated, corrupted and hostile batches (run under ASan). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/compression.h"
#include "protocol/crc32c.h"
#include "protocol/record_batch.h"

#define MAX_DECOMP (64u << 20)

static uint32_t rng_state = 99;
static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void expect_hex(const uint8_t *p, size_t len, const char *hex) {
    char *got = malloc(len * 2 + 1);
    for (size_t i = 0; i < len; i++)
        snprintf(got + i * 2, 3, "%02x", p[i]);
    got[len * 2] = 0;
    assert_string_equal(got, hex);
    free(got);
}

/* ---- the exact bytes ---- */

static void test_exact_bytes(void **state) {
    (void)state;
    kp_rb_writer w;
    kp_rb_writer_init(&w, 0);
    const int64_t t0 = 1700000000000LL; /* 0x0000018bcfe56800 */
    const kprod_header_t hdrs[] = {{"h1", "x", 1}, {"n", NULL, 0}};
    /* null key, value "v0" */
    assert_int_equal(kp_rb_append(&w, t0, "ignored", -1, "v0", 2, NULL, 0), 0);
    /* empty key, null value, a header with a value and one with a null value */
    assert_int_equal(kp_rb_append(&w, t0 + 5, "", 0, NULL, -1, hdrs, 2), 0);
    /* key "k", empty value, timestamp before the base: negative delta */
    assert_int_equal(kp_rb_append(&w, t0 - 10, "k", 1, "", 0, NULL, 0), 0);
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    o.producer_id = 1234;
    o.producer_epoch = 5;
    o.base_sequence = 42;
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR_NO_ERROR);
    assert_int_equal(w.buf.len, 93);
    expect_hex(w.buf.data, w.buf.len,
               "0000000000000000" /* baseOffset 0 */
               "00000051"         /* batchLength 81 = 93 - 12 */
               "ffffffff"         /* partitionLeaderEpoch -1 */
               "02"               /* magic 2 */
               "624b9c6a" /* crc: CRC-32C of attributes..end (computed bit by bit in Python) */
               "0000"     /* attributes: no compression, CreateTime, not transactional */
               "00000002" /* lastOffsetDelta = count - 1 */
               "0000018bcfe56800" /* baseTimestamp = first record's */
               "0000018bcfe56805" /* maxTimestamp */
               "00000000000004d2" /* producerId 1234 */
               "0005"             /* producerEpoch 5 */
               "0000002a"         /* baseSequence 42 */
               "00000003"         /* recordCount 3 */
               /* record 0 */
               "10" /* length 8 (zigzag varint) */
               "00" /* attributes */
               "00" /* timestampDelta 0 */
               "00" /* offsetDelta 0 */
               "01" /* keyLength -1: null */
               "04"
               "7630" /* valueLength 2, "v0" */
               "00"   /* headerCount 0 */
               /* record 1 */
               "1c" /* length 14 */
               "00" /* attributes */
               "0a" /* timestampDelta 5 */
               "02" /* offsetDelta 1 */
               "00" /* keyLength 0: empty */
               "01" /* valueLength -1: null */
               "04" /* headerCount 2 */
               "04"
               "6831"
               "02"
               "78" /* "h1" = "x" */
               "02"
               "6e"
               "01" /* "n" = null */
               /* record 2 */
               "0e" /* length 7 */
               "00" /* attributes */
               "13" /* timestampDelta -10 */
               "04" /* offsetDelta 2 */
               "02"
               "6b"   /* keyLength 1, "k" */
               "00"   /* valueLength 0: empty */
               "00"); /* headerCount 0 */
    /* Sealed once: no more appends, no second seal. */
    assert_int_equal(kp_rb_append(&w, t0, NULL, -1, NULL, -1, NULL, 0), -1);
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR__INVALID_ARG);
    kp_rb_writer_free(&w);
}

static void test_seal_errors(void **state) {
    (void)state;
    kp_rb_writer w;
    kp_rb_writer_init(&w, 0);
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR__INVALID_ARG); /* empty */
    assert_int_equal(kp_rb_append(&w, 1, "k", 1, "v", 1, NULL, 0), 0);
    o.codec = 5;
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR__INVALID_ARG);
    o.codec = KP_CODEC_GZIP;
    o.level = 42;
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_rb_append(&w, 1, "k", -2, "v", 1, NULL, 0), -1); /* bad length */
    assert_int_equal(kp_rb_record_size(&w, 1, -2, 0, NULL, 0), SIZE_MAX);
    assert_int_equal(w.count, 1);
    /* After the failures the writer still seals, and reset reuses it. */
    o.level = KP_LEVEL_DEFAULT;
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR_NO_ERROR);
    kp_rb_writer_reset(&w);
    assert_int_equal(w.count, 0);
    assert_int_equal(w.buf.len, KP_RB_HEADER_SIZE);
    assert_int_equal(kp_rb_append(&w, 1, "k", 1, "v", 1, NULL, 0), 0);
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR_NO_ERROR);
    assert_int_equal(kp_rb_decode(w.buf.data, w.buf.len, MAX_DECOMP, NULL, NULL, NULL), 0);
    kp_rb_writer_free(&w);
}

/* ---- round trips ---- */

typedef struct test_rec {
    int64_t ts;
    int32_t key_len, value_len;
    uint8_t key[40], value[300];
    size_t nh;
    kprod_header_t h[3];
    char hname[3][8];
    uint8_t hval[3][16];
} test_rec;

static void make_rec(test_rec *r, int i, int64_t base_ts) {
    memset(r, 0, sizeof(*r));
    r->ts = base_ts + (int64_t)(rng() % 2000) - 1000;
    r->key_len = (int32_t)(rng() % 42) - 1;
    if (r->key_len > 40)
        r->key_len = 40;
    r->value_len = (i % 17 == 3) ? -1 : (int32_t)(rng() % 300);
    for (int k = 0; k < r->key_len; k++)
        r->key[k] = (uint8_t)('a' + rng() % 4);
    /* Text-like values so that compression pays off. */
    for (int k = 0; k < r->value_len; k++)
        r->value[k] = (uint8_t) "{\"name\": \"value\", \"n\": 1234}"[(k + i) % 28];
    r->nh = rng() % 4;
    for (size_t k = 0; k < r->nh; k++) {
        snprintf(r->hname[k], sizeof(r->hname[k]), "h%u", (unsigned)(rng() % 100));
        r->h[k].name = r->hname[k];
        if (rng() % 3 == 0) {
            r->h[k].value = NULL;
        } else {
            r->h[k].value_len = rng() % 16;
            for (size_t m = 0; m < r->h[k].value_len; m++)
                r->hval[k][m] = (uint8_t)rng();
            r->h[k].value = r->hval[k];
        }
    }
}

typedef struct check_ctx {
    const test_rec *recs;
    int n;
    int seen;
} check_ctx;

static void expect_slice(kp_slice s, const void *p, int32_t len) {
    assert_int_equal(s.len, len);
    if (len > 0)
        assert_memory_equal(s.p, p, (size_t)len);
}

static int check_visit(const kp_rb_record *rec, void *opaque) {
    check_ctx *c = opaque;
    assert_true(c->seen < c->n);
    const test_rec *r = &c->recs[c->seen];
    assert_int_equal(rec->offset, c->seen);
    assert_true(rec->timestamp == r->ts);
    assert_int_equal(rec->attributes, 0);
    expect_slice(rec->key, r->key, r->key_len);
    expect_slice(rec->value, r->value, r->value_len);
    assert_int_equal(rec->header_count, (int)r->nh);
    kp_rd it;
    kp_rd_init(&it, rec->headers.p, (size_t)rec->headers.len);
    kp_slice name, value;
    size_t k = 0;
    while (kp_rb_record_header_next(&it, &name, &value)) {
        assert_true(k < r->nh);
        expect_slice(name, r->h[k].name, (int32_t)strlen(r->h[k].name));
        if (r->h[k].value)
            expect_slice(value, r->h[k].value, (int32_t)r->h[k].value_len);
        else
            assert_int_equal(value.len, -1);
        k++;
    }
    assert_int_equal(k, r->nh);
    c->seen++;
    return 0;
}

/* Builds a batch of n generated records, sealed with codec; recs receives
 * the records (caller frees). */
static test_rec *build(kp_rb_writer *w, int n, int codec, const kp_rb_seal_opts *base) {
    test_rec *recs = calloc((size_t)n, sizeof(*recs));
    kp_rb_writer_init(w, 1024);
    for (int i = 0; i < n; i++) {
        make_rec(&recs[i], i, 1700000000000LL);
        size_t before = w->buf.len;
        size_t predicted = kp_rb_record_size(w, recs[i].ts, recs[i].key_len, recs[i].value_len,
                                             recs[i].h, recs[i].nh);
        assert_int_equal(kp_rb_append(w, recs[i].ts, recs[i].key, recs[i].key_len, recs[i].value,
                                      recs[i].value_len, recs[i].h, recs[i].nh),
                         0);
        assert_int_equal(w->buf.len - before, predicted);
    }
    kp_rb_seal_opts o = base ? *base : (kp_rb_seal_opts)KP_RB_SEAL_OPTS_INIT;
    o.codec = codec;
    assert_int_equal(kp_rb_seal(w, &o), KPROD_ERR_NO_ERROR);
    return recs;
}

static void check_batch(const uint8_t *p, size_t len, const test_rec *recs, int n) {
    kp_rb_header h;
    check_ctx c = {recs, n, 0};
    assert_int_equal(kp_rb_decode(p, len, MAX_DECOMP, &h, check_visit, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.seen, n);
    assert_int_equal(h.record_count, n);
    assert_int_equal(h.last_offset_delta, n - 1);
    assert_int_equal(h.base_offset, 0);
    assert_int_equal(h.magic, 2);
    assert_int_equal(12 + (size_t)h.batch_length, len);
    assert_true(h.base_timestamp == recs[0].ts);
    int64_t max = recs[0].ts;
    for (int i = 1; i < n; i++)
        if (recs[i].ts > max)
            max = recs[i].ts;
    assert_true(h.max_timestamp == max);
}

static void test_roundtrip_all_codecs(void **state) {
    (void)state;
    const int codecs[] = {KP_CODEC_NONE, KP_CODEC_GZIP, KP_CODEC_SNAPPY, KP_CODEC_LZ4,
                          KP_CODEC_ZSTD};
    const int counts[] = {1, 2, 1000};
    for (size_t ci = 0; ci < 5; ci++) {
        for (size_t ni = 0; ni < 3; ni++) {
            kp_rb_writer w;
            kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
            o.producer_id = 77;
            o.producer_epoch = 3;
            o.base_sequence = 1000;
            o.is_transactional = 1;
            o.partition_leader_epoch = 9;
            size_t uncompressed = 0;
            test_rec *recs = build(&w, counts[ni], codecs[ci], &o);
            kp_rb_header h;
            assert_int_equal(kp_rb_header_decode(w.buf.data, w.buf.len, &h), 0);
            int used = h.attributes & KP_RB_ATTR_CODEC_MASK;
            if (counts[ni] == 1000) {
                assert_int_equal(used, codecs[ci]); /* text compresses well */
                kp_rb_writer plain;
                free(build(&plain, 1000, KP_CODEC_NONE, NULL));
                uncompressed = plain.buf.len;
                kp_rb_writer_free(&plain);
                if (codecs[ci] != KP_CODEC_NONE)
                    assert_true(w.buf.len < uncompressed / 2);
            } else {
                /* Compression may be skipped when it would not shrink. */
                assert_true(used == codecs[ci] || used == KP_CODEC_NONE);
            }
            assert_int_equal(h.attributes & ~KP_RB_ATTR_CODEC_MASK, KP_RB_ATTR_TRANSACTIONAL);
            assert_true(h.producer_id == 77);
            assert_int_equal(h.producer_epoch, 3);
            assert_int_equal(h.base_sequence, 1000);
            assert_int_equal(h.partition_leader_epoch, 9);
            check_batch(w.buf.data, w.buf.len, recs, counts[ni]);
            free(recs);
            kp_rb_writer_free(&w);
        }
    }
}

static void test_tiny_batch_stays_uncompressed(void **state) {
    (void)state;
    kp_rb_writer w;
    kp_rb_writer_init(&w, 0);
    assert_int_equal(kp_rb_append(&w, 5, "k", 1, "v", 1, NULL, 0), 0);
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    o.codec = KP_CODEC_GZIP; /* a gzip stream alone is 20 bytes: larger than the record */
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR_NO_ERROR);
    kp_rb_header h;
    assert_int_equal(kp_rb_header_decode(w.buf.data, w.buf.len, &h), 0);
    assert_int_equal(h.attributes, 0);
    assert_int_equal(w.buf.len, KP_RB_HEADER_SIZE + 9);
    kp_rb_writer_free(&w);
}

static void test_record_size_exact(void **state) {
    (void)state;
    kp_rb_writer w;
    kp_rb_writer_init(&w, 0);
    for (int i = 0; i < 5000; i++) {
        test_rec r;
        make_rec(&r, i, 0);
        /* Wide timestamp spread: varlong deltas of every width. */
        r.ts = (int64_t)(((uint64_t)rng() << 40) ^ ((uint64_t)rng() << 20) ^ rng());
        if (i % 7 == 0)
            r.ts = -r.ts;
        size_t predicted = kp_rb_record_size(&w, r.ts, r.key_len, r.value_len, r.h, r.nh);
        size_t before = w.buf.len;
        assert_int_equal(kp_rb_append(&w, r.ts, r.key, r.key_len, r.value, r.value_len, r.h, r.nh),
                         0);
        assert_int_equal(w.buf.len - before, predicted);
    }
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    assert_int_equal(kp_rb_seal(&w, &o), 0);
    assert_int_equal(kp_rb_decode(w.buf.data, w.buf.len, MAX_DECOMP, NULL, NULL, NULL), 0);
    kp_rb_writer_free(&w);
}

static void test_set_producer(void **state) {
    (void)state;
    for (int codec = KP_CODEC_NONE; codec <= KP_CODEC_ZSTD; codec += 4) {
        kp_rb_writer w;
        test_rec *recs = build(&w, 50, codec, NULL);
        kp_rb_header h;
        assert_int_equal(kp_rb_header_decode(w.buf.data, w.buf.len, &h), 0);
        assert_true(h.producer_id == -1);
        assert_int_equal(h.producer_epoch, -1);
        assert_int_equal(h.base_sequence, -1);
        uint32_t old_crc = h.crc;
        kp_rb_set_producer(w.buf.data, w.buf.len, 0x123456789LL, 7, 99);
        assert_int_equal(kp_rb_header_decode(w.buf.data, w.buf.len, &h), 0);
        assert_true(h.producer_id == 0x123456789LL);
        assert_int_equal(h.producer_epoch, 7);
        assert_int_equal(h.base_sequence, 99);
        assert_int_not_equal(h.crc, old_crc);
        check_batch(w.buf.data, w.buf.len, recs, 50);
        /* Patching the fields without the CRC would be caught. */
        w.buf.data[KP_RB_OFF_BASE_SEQUENCE + 3] ^= 1;
        assert_int_equal(kp_rb_header_decode(w.buf.data, w.buf.len, &h), KPROD_ERR__BAD_MSG);
        free(recs);
        kp_rb_writer_free(&w);
    }
}

static int stop_after_two(const kp_rb_record *rec, void *opaque) {
    (void)rec;
    return ++*(int *)opaque == 2;
}

static void test_visit_stops(void **state) {
    (void)state;
    kp_rb_writer w;
    free(build(&w, 10, KP_CODEC_NONE, NULL));
    int seen = 0;
    assert_int_equal(kp_rb_decode(w.buf.data, w.buf.len, MAX_DECOMP, NULL, stop_after_two, &seen),
                     0);
    assert_int_equal(seen, 2);
    kp_rb_writer_free(&w);
}

/* ---- hostile input ---- */

static int count_visit(const kp_rb_record *rec, void *opaque) {
    (void)rec;
    ++*(int *)opaque;
    return 0;
}

/* Decodes an exact-size heap copy, so ASan flags any over-read. */
static kprod_err_t decode_copy(const uint8_t *p, size_t len, size_t max_decomp) {
    uint8_t *q = malloc(len ? len : 1);
    memcpy(q, p, len);
    int seen = 0;
    kprod_err_t err = kp_rb_decode(q, len, max_decomp, NULL, count_visit, &seen);
    if (err)
        assert_int_equal(seen, 0); /* nothing of a bad batch is delivered */
    free(q);
    return err;
}

static void fix_crc(uint8_t *p, size_t len) {
    kp_be32_write(p + KP_RB_OFF_CRC,
                  kp_crc32c(0, p + KP_RB_OFF_ATTRIBUTES, len - KP_RB_OFF_ATTRIBUTES));
}

static void test_truncated_prefixes(void **state) {
    (void)state;
    for (int codec = KP_CODEC_NONE; codec <= KP_CODEC_ZSTD; codec++) {
        kp_rb_writer w;
        free(build(&w, 20, codec, NULL));
        assert_int_equal(decode_copy(w.buf.data, w.buf.len, MAX_DECOMP), 0);
        for (size_t cut = 0; cut < w.buf.len; cut++)
            assert_int_equal(decode_copy(w.buf.data, cut, MAX_DECOMP), KPROD_ERR__BAD_MSG);
        /* Truncated, with batchLength and the CRC made consistent again: the
         * record (or decompression) layer has to catch it. */
        for (size_t cut = KP_RB_HEADER_SIZE; cut < w.buf.len; cut++) {
            uint8_t *q = malloc(cut);
            memcpy(q, w.buf.data, cut);
            kp_be32_write(q + KP_RB_OFF_BATCH_LENGTH, (uint32_t)(cut - 12));
            fix_crc(q, cut);
            kprod_err_t err = decode_copy(q, cut, MAX_DECOMP);
            assert_true(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__COMPRESSION);
            free(q);
        }
        kp_rb_writer_free(&w);
    }
}

static void test_corrupted_header_fields(void **state) {
    (void)state;
    kp_rb_writer w;
    free(build(&w, 20, KP_CODEC_NONE, NULL));
    size_t len = w.buf.len;
    uint8_t *q = malloc(len);
    struct {
        size_t off;
        uint32_t v;
        int fix;
    } cases[] = {
        {KP_RB_OFF_CRC, 0xdeadbeef, 0},                    /* wrong CRC */
        {KP_RB_OFF_BATCH_LENGTH, (uint32_t)(len - 11), 0}, /* one more than there is */
        {KP_RB_OFF_BATCH_LENGTH, 0xffffffff, 0},           /* negative */
        {KP_RB_OFF_BATCH_LENGTH, 48, 0},                   /* shorter than a header */
        {KP_RB_OFF_RECORD_COUNT, 21, 1},                   /* one too many */
        {KP_RB_OFF_RECORD_COUNT, 19, 1},                   /* one too few: trailing bytes */
        {KP_RB_OFF_RECORD_COUNT, 0xffffffff, 1},           /* negative */
        {KP_RB_OFF_RECORD_COUNT, 0x7fffffff, 1},           /* huge */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(q, w.buf.data, len);
        kp_be32_write(q + cases[i].off, cases[i].v);
        if (cases[i].fix)
            fix_crc(q, len);
        assert_int_equal(decode_copy(q, len, MAX_DECOMP), KPROD_ERR__BAD_MSG);
    }
    memcpy(q, w.buf.data, len);
    q[KP_RB_OFF_MAGIC] = 1;
    assert_int_equal(decode_copy(q, len, MAX_DECOMP), KPROD_ERR__BAD_MSG);
    for (int codec = 5; codec <= 7; codec++) {
        memcpy(q, w.buf.data, len);
        q[KP_RB_OFF_ATTRIBUTES + 1] = (uint8_t)codec;
        fix_crc(q, len);
        assert_int_equal(decode_copy(q, len, MAX_DECOMP), KPROD_ERR__COMPRESSION);
    }
    /* A batch followed by more bytes (the next batch) decodes alone. */
    uint8_t *longer = malloc(len + 10);
    memcpy(longer, w.buf.data, len);
    memset(longer + len, 0xee, 10);
    assert_int_equal(decode_copy(longer, len + 10, MAX_DECOMP), 0);
    free(longer);
    /* Random bit flips in the records, CRC fixed up: an error or a valid
     * batch, never a crash. */
    for (int k = 0; k < 3000; k++) {
        memcpy(q, w.buf.data, len);
        int flips = 1 + (int)(rng() % 3);
        for (int f = 0; f < flips; f++)
            q[KP_RB_HEADER_SIZE + rng() % (len - KP_RB_HEADER_SIZE)] ^=
                (uint8_t)(1u << (rng() % 8));
        fix_crc(q, len);
        kprod_err_t err = decode_copy(q, len, MAX_DECOMP);
        assert_true(err == KPROD_ERR_NO_ERROR || err == KPROD_ERR__BAD_MSG);
    }
    free(q);
    kp_rb_writer_free(&w);
}

/* A batch whose records region is raw (hand-made), header and CRC valid. */
static kprod_err_t decode_raw_records(const char *hex, int32_t count) {
    size_t rlen = strlen(hex) / 2;
    size_t len = KP_RB_HEADER_SIZE + rlen;
    uint8_t *b = calloc(1, len);
    kp_be32_write(b + KP_RB_OFF_BATCH_LENGTH, (uint32_t)(len - 12));
    b[KP_RB_OFF_MAGIC] = 2;
    kp_be32_write(b + KP_RB_OFF_RECORD_COUNT, (uint32_t)count);
    for (size_t i = 0; i < rlen; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        b[KP_RB_HEADER_SIZE + i] = (uint8_t)v;
    }
    kp_rb_set_producer(b, len, -1, -1, -1); /* also computes the CRC */
    kprod_err_t err = decode_copy(b, len, MAX_DECOMP);
    free(b);
    return err;
}

static void test_hostile_records(void **state) {
    (void)state;
    /* The smallest valid record: null key, null value, no headers. */
    assert_int_equal(decode_raw_records("0c0000000101"
                                        "00",
                                        1),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(decode_raw_records("", 0), KPROD_ERR_NO_ERROR);
    /* A header with a null name. */
    assert_int_equal(decode_raw_records("10"
                                        "0000000101"
                                        "02"
                                        "0101",
                                        1),
                     KPROD_ERR__BAD_MSG);
    /* A header with an empty name is fine. */
    assert_int_equal(decode_raw_records("10"
                                        "0000000101"
                                        "02"
                                        "0001",
                                        1),
                     KPROD_ERR_NO_ERROR);
    /* Record length longer than the data. */
    assert_int_equal(decode_raw_records("7e0000000101"
                                        "00",
                                        1),
                     KPROD_ERR__BAD_MSG);
    /* Negative record length. */
    assert_int_equal(decode_raw_records("030000000101"
                                        "00",
                                        1),
                     KPROD_ERR__BAD_MSG);
    /* Record length with an unread byte inside it. */
    assert_int_equal(decode_raw_records("0e0000000101"
                                        "00"
                                        "ff",
                                        1),
                     KPROD_ERR__BAD_MSG);
    /* Record length shorter than its fields. */
    assert_int_equal(decode_raw_records("0a0000000101"
                                        "00",
                                        1),
                     KPROD_ERR__BAD_MSG);
    /* Key length -2. */
    assert_int_equal(decode_raw_records("0c0000000301"
                                        "00",
                                        1),
                     KPROD_ERR__BAD_MSG);
    /* Key length beyond the record. */
    assert_int_equal(decode_raw_records("0c0000007e01"
                                        "00",
                                        1),
                     KPROD_ERR__BAD_MSG);
    /* Negative and huge header counts. */
    assert_int_equal(decode_raw_records("0c0000000101"
                                        "01",
                                        1),
                     KPROD_ERR__BAD_MSG);
    assert_int_equal(decode_raw_records("140000000101"
                                        "feffffff0f",
                                        1),
                     KPROD_ERR__BAD_MSG);
    /* A varint that never ends. */
    assert_int_equal(decode_raw_records("0c00ffffffffffffffffffffff", 1), KPROD_ERR__BAD_MSG);
    /* Bytes after the last record. */
    assert_int_equal(decode_raw_records("0c0000000101"
                                        "00"
                                        "00",
                                        1),
                     KPROD_ERR__BAD_MSG);
}

/* A batch of codec whose records region is the given compressed bytes. */
static kprod_err_t decode_compressed_records(const uint8_t *recs, size_t rlen, int32_t count,
                                             int codec, int *visits) {
    size_t len = KP_RB_HEADER_SIZE + rlen;
    uint8_t *b = calloc(1, len);
    assert_non_null(b);
    kp_be32_write(b + KP_RB_OFF_BATCH_LENGTH, (uint32_t)(len - 12));
    b[KP_RB_OFF_MAGIC] = 2;
    b[KP_RB_OFF_ATTRIBUTES + 1] = (uint8_t)codec;
    kp_be32_write(b + KP_RB_OFF_RECORD_COUNT, (uint32_t)count);
    if (rlen)
        memcpy(b + KP_RB_HEADER_SIZE, recs, rlen);
    kp_rb_set_producer(b, len, -1, -1, -1); /* also computes the CRC */
    kprod_err_t err = kp_rb_decode(b, len, MAX_DECOMP, NULL, count_visit, visits);
    free(b);
    return err;
}

/* Records that expand to 0 bytes: snappy leaves the decompressed buffer
 * without memory, and the walk must not start from NULL (NULL + 0 is
 * undefined behaviour; a clang UBSan build traps on it, -fno-sanitize-recover).
 * Zero records there are a valid empty batch; one record is malformed. */
static void test_records_expand_to_nothing(void **state) {
    (void)state;
    static const uint8_t xerial_only[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
                                            0,    0,   0,   1,   0,   0,   0,   1};
    static const uint8_t raw_empty[1] = {0}; /* raw snappy: uncompressed length 0 */
    int visits = 0;
    assert_int_equal(
        decode_compressed_records(xerial_only, sizeof(xerial_only), 0, KP_CODEC_SNAPPY, &visits),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(
        decode_compressed_records(raw_empty, sizeof(raw_empty), 0, KP_CODEC_SNAPPY, &visits),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(visits, 0);
    assert_int_equal(
        decode_compressed_records(xerial_only, sizeof(xerial_only), 1, KP_CODEC_SNAPPY, &visits),
        KPROD_ERR__BAD_MSG);
    assert_int_equal(
        decode_compressed_records(raw_empty, sizeof(raw_empty), 1, KP_CODEC_SNAPPY, &visits),
        KPROD_ERR__BAD_MSG);
    /* Every codec's own encoding of nothing. */
    for (int codec = KP_CODEC_GZIP; codec <= KP_CODEC_ZSTD; codec++) {
        kp_buf c;
        kp_buf_init(&c, 0);
        assert_int_equal(kp_compress(codec, KP_LEVEL_DEFAULT, NULL, 0, &c), KPROD_ERR_NO_ERROR);
        assert_int_equal(decode_compressed_records(c.data, c.len, 0, codec, &visits),
                         KPROD_ERR_NO_ERROR);
        assert_int_equal(decode_compressed_records(c.data, c.len, 1, codec, &visits),
                         KPROD_ERR__BAD_MSG);
        kp_buf_free(&c);
    }
    assert_int_equal(visits, 0);
}

static void test_decompression_bomb(void **state) {
    (void)state;
    /* 1,000 records of 4 KiB zeros compress to a few KiB; refuse to inflate
     * them past a 1 MiB limit. */
    static uint8_t zeros[4096];
    for (int codec = KP_CODEC_GZIP; codec <= KP_CODEC_ZSTD; codec++) {
        kp_rb_writer w;
        kp_rb_writer_init(&w, 0);
        for (int i = 0; i < 1000; i++)
            assert_int_equal(kp_rb_append(&w, 1, NULL, -1, zeros, sizeof(zeros), NULL, 0), 0);
        kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
        o.codec = codec;
        assert_int_equal(kp_rb_seal(&w, &o), 0);
        assert_true(w.buf.len < 400000);
        assert_int_equal(decode_copy(w.buf.data, w.buf.len, 1 << 20), KPROD_ERR__COMPRESSION);
        assert_int_equal(decode_copy(w.buf.data, w.buf.len, 8 << 20), KPROD_ERR_NO_ERROR);
        kp_rb_writer_free(&w);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_seal_errors),
        cmocka_unit_test(test_roundtrip_all_codecs),
        cmocka_unit_test(test_tiny_batch_stays_uncompressed),
        cmocka_unit_test(test_record_size_exact),
        cmocka_unit_test(test_set_producer),
        cmocka_unit_test(test_visit_stops),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_corrupted_header_fields),
        cmocka_unit_test(test_hostile_records),
        cmocka_unit_test(test_records_expand_to_nothing),
        cmocka_unit_test(test_decompression_bomb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
