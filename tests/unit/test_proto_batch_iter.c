/* Record batch header walk (src/protocol/batch_iter.c): three batches
 * (plain, idempotent, transactional and compressed) walked field by field;
 * every cut of the bytes ends the walk cleanly after the whole batches
 * (a broker's partial last batch); impossible batches (length, magic,
 * counts, offsets, CRC) are refused and stay refused; a lying length
 * beyond the bytes reads as a cut, never as memory. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/batch_iter.h"
#include "protocol/compression.h"

/* Three batches: 2 plain records at 0, 3 idempotent ones at 2, 4
 * transactional zstd-compressed ones at 5. */
static size_t lens[3];

static kp_buf three_batches(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    lens[0] = kpv_batch(&b, 0, 2, -1, -1, -1, 0, KP_CODEC_NONE);
    lens[1] = kpv_batch(&b, 2, 3, 77, 1, 10, 0, KP_CODEC_NONE);
    lens[2] = kpv_batch(&b, 5, 4, 77, 2, 0, 1, KP_CODEC_ZSTD);
    assert_false(b.oom);
    return b;
}

static void test_walk(void **state) {
    (void)state;
    kp_buf b = three_batches();
    for (int crc = 0; crc <= 1; crc++) {
        kp_batch_iter it;
        kp_batch_iter_init(&it, b.data, b.len, crc);
        kp_rb_header h;
        const uint8_t *p;
        size_t len;
        assert_int_equal(kp_batch_iter_next(&it, &h, &p, &len), 1);
        assert_ptr_equal(p, b.data);
        assert_int_equal(len, lens[0]);
        assert_true(h.base_offset == 0);
        assert_int_equal(h.batch_length, (int32_t)lens[0] - 12);
        assert_int_equal(h.partition_leader_epoch, -1);
        assert_int_equal(h.magic, 2);
        assert_int_equal(h.attributes, 0);
        assert_int_equal(h.last_offset_delta, 1);
        assert_true(h.base_timestamp == 1700000000000LL);
        assert_true(h.max_timestamp == 1700000000001LL);
        assert_true(h.producer_id == -1);
        assert_int_equal(h.producer_epoch, -1);
        assert_int_equal(h.base_sequence, -1);
        assert_int_equal(h.record_count, 2);
        assert_true(kp_batch_last_offset(&h) == 1);
        assert_false(kp_batch_is_transactional(&h));
        assert_false(kp_batch_is_control(&h));

        assert_int_equal(kp_batch_iter_next(&it, &h, &p, &len), 1);
        assert_ptr_equal(p, b.data + lens[0]);
        assert_true(h.base_offset == 2 && h.producer_id == 77);
        assert_int_equal(h.producer_epoch, 1);
        assert_int_equal(h.base_sequence, 10);
        assert_int_equal(h.record_count, 3);
        assert_true(kp_batch_last_offset(&h) == 4);

        assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 1);
        assert_true(h.base_offset == 5);
        assert_int_equal(h.attributes & KP_RB_ATTR_CODEC_MASK, KP_CODEC_ZSTD);
        assert_true(kp_batch_is_transactional(&h));
        assert_false(kp_batch_is_control(&h));
        assert_int_equal(h.record_count, 4);
        assert_true(kp_batch_last_offset(&h) == 8);

        assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 0);
        assert_int_equal(it.truncated, 0);
        assert_int_equal(it.err, KPROD_ERR_NO_ERROR);
        assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 0); /* stays at the end */
    }
    kp_buf_free(&b);
}

/* Every cut of the bytes: the whole batches before it, then a clean end
 * that counts the bytes of the partial one. Each cut runs on an exact-size
 * copy, so ASan catches a read past it. */
static void test_every_cut(void **state) {
    (void)state;
    kp_buf b = three_batches();
    for (size_t cut = 0; cut <= b.len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        assert_non_null(copy);
        memcpy(copy, b.data, cut);
        size_t whole = 0, n_whole = 0;
        while (n_whole < 3 && whole + lens[n_whole] <= cut)
            whole += lens[n_whole++];
        kp_batch_iter it;
        kp_batch_iter_init(&it, copy, cut, 1);
        kp_rb_header h;
        size_t n = 0;
        int rc;
        while ((rc = kp_batch_iter_next(&it, &h, NULL, NULL)) == 1)
            n++;
        if (rc != 0 || n != n_whole || it.truncated != cut - whole)
            fail_msg("cut at %zu: rc %d, %zu batches, %zu left over (want %zu, %zu)", cut, rc, n,
                     it.truncated, n_whole, cut - whole);
        free(copy);
    }
    kp_buf_free(&b);
}

/* One batch with a header field overwritten. */
static kp_buf one_batch(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    kpv_batch(&b, 100, 3, 5, 0, 0, 0, KP_CODEC_NONE);
    return b;
}

static void put_be32(kp_buf *b, size_t off, int32_t v) {
    kp_be32_write(b->data + off, (uint32_t)v);
}

static int walk_first(const kp_buf *b, int crc) {
    kp_batch_iter it;
    kp_batch_iter_init(&it, b->data, b->len, crc);
    kp_rb_header h;
    int rc = kp_batch_iter_next(&it, &h, NULL, NULL);
    if (rc < 0) {
        assert_int_equal(it.err, KPROD_ERR__BAD_MSG);
        assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), -1); /* sticky */
    }
    return rc;
}

static void test_impossible_batches(void **state) {
    (void)state;
    kp_buf b = one_batch();
    assert_int_equal(walk_first(&b, 1), 1);

    put_be32(&b, KP_RB_OFF_BATCH_LENGTH, 48); /* below the 49 header bytes it counts */
    assert_int_equal(walk_first(&b, 0), -1);
    put_be32(&b, KP_RB_OFF_BATCH_LENGTH, -1);
    assert_int_equal(walk_first(&b, 0), -1);
    kp_buf_free(&b);

    b = one_batch();
    b.data[KP_RB_OFF_MAGIC] = 1; /* a legacy message set */
    assert_int_equal(walk_first(&b, 0), -1);
    kp_buf_free(&b);

    b = one_batch();
    put_be32(&b, KP_RB_OFF_RECORD_COUNT, -1);
    assert_int_equal(walk_first(&b, 0), -1);
    kp_buf_free(&b);

    b = one_batch();
    put_be32(&b, KP_RB_OFF_LAST_OFFSET_DELTA, -2);
    assert_int_equal(walk_first(&b, 0), -1);
    kp_buf_free(&b);

    b = one_batch(); /* a negative base offset */
    put_be32(&b, KP_RB_OFF_BASE_OFFSET, (int32_t)0x80000000);
    assert_int_equal(walk_first(&b, 0), -1);
    kp_buf_free(&b);

    b = one_batch(); /* baseOffset + lastOffsetDelta past INT64_MAX */
    put_be32(&b, KP_RB_OFF_BASE_OFFSET, 0x7fffffff);
    put_be32(&b, KP_RB_OFF_BASE_OFFSET + 4, -1);
    assert_int_equal(walk_first(&b, 0), -1);
    put_be32(&b, KP_RB_OFF_LAST_OFFSET_DELTA, 0); /* exactly INT64_MAX is fine */
    assert_int_equal(walk_first(&b, 0), 1);
    kp_buf_free(&b);

    b = one_batch(); /* a flipped bit in a record: only the CRC sees it */
    b.data[b.len - 1] ^= 0x01;
    assert_int_equal(walk_first(&b, 0), 1);
    assert_int_equal(walk_first(&b, 1), -1);
    kp_buf_free(&b);

    b = one_batch(); /* the CRC does not cover baseOffset (the broker's) */
    put_be32(&b, KP_RB_OFF_BASE_OFFSET + 4, 12345);
    assert_int_equal(walk_first(&b, 1), 1);
    kp_buf_free(&b);
}

/* A batch length far beyond the bytes reads as a batch cut short: the walk
 * ends, nothing is allocated or read past the end. */
static void test_lying_length(void **state) {
    (void)state;
    kp_buf b = one_batch();
    size_t first = b.len;
    kpv_batch(&b, 103, 1, 5, 0, 3, 0, KP_CODEC_NONE);
    put_be32(&b, first + KP_RB_OFF_BATCH_LENGTH, 0x7fffffff);
    kp_batch_iter it;
    kp_batch_iter_init(&it, b.data, b.len, 1);
    kp_rb_header h;
    assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 1);
    assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 0);
    assert_int_equal(it.truncated, b.len - first);
    kp_buf_free(&b);

    /* No bytes at all, and NULL with a length (treated as nothing). */
    kp_batch_iter_init(&it, NULL, 0, 1);
    assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 0);
    assert_int_equal(it.truncated, 0);
    kp_batch_iter_init(&it, NULL, 100, 1);
    assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 0);
    assert_int_equal(it.truncated, 0);
}

/* A commit marker as the broker writes it: a control batch of one record. */
static void test_control_batch(void **state) {
    (void)state;
    kp_buf b = one_batch();
    int16_t attr = KP_RB_ATTR_TRANSACTIONAL | KP_RB_ATTR_CONTROL;
    b.data[KP_RB_OFF_ATTRIBUTES] = (uint8_t)(attr >> 8);
    b.data[KP_RB_OFF_ATTRIBUTES + 1] = (uint8_t)attr;
    kp_rb_set_producer(b.data, b.len, 5, 1, -1); /* recomputes the CRC */
    kp_batch_iter it;
    kp_batch_iter_init(&it, b.data, b.len, 1);
    kp_rb_header h;
    assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 1);
    assert_true(kp_batch_is_control(&h));
    assert_true(kp_batch_is_transactional(&h));
    assert_int_equal(h.producer_epoch, 1);
    kp_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_every_cut),
        cmocka_unit_test(test_impossible_batches),
        cmocka_unit_test(test_lying_length),
        cmocka_unit_test(test_control_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
