/* Wire primitives: byte vectors for each encoding, varint edge cases, and
 * the reader's refusal to run past the end. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "protocol/buf.h"

static void expect_bytes(const kp_buf *b, const char *hex) {
    char got[512] = {0};
    for (size_t i = 0; i < b->len && i * 2 + 2 < sizeof(got); i++)
        snprintf(got + i * 2, 3, "%02x", b->data[i]);
    assert_string_equal(got, hex);
}

static void test_fixed_ints(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_put_i8(&b, -1);
    kp_buf_put_i16(&b, 0x1234);
    kp_buf_put_i32(&b, -2);
    kp_buf_put_i64(&b, 0x0102030405060708LL);
    expect_bytes(&b, "ff1234fffffffe0102030405060708");
    kp_rd r;
    kp_rd_init(&r, b.data, b.len);
    assert_int_equal(kp_rd_i8(&r), -1);
    assert_int_equal(kp_rd_i16(&r), 0x1234);
    assert_int_equal(kp_rd_i32(&r), -2);
    assert_true(kp_rd_i64(&r) == 0x0102030405060708LL);
    assert_int_equal(r.err, 0);
    assert_int_equal(kp_rd_i8(&r), 0);
    assert_int_equal(r.err, 1);
    kp_buf_free(&b);
}

static void test_varint_vectors(void **state) {
    (void)state;
    struct {
        int32_t v;
        const char *hex;
    } v32[] = {
        {0, "00"},
        {-1, "01"},
        {1, "02"},
        {-64, "7f"},
        {64, "8001"},
        {INT32_MAX, "feffffff0f"},
        {INT32_MIN, "ffffffff0f"},
    };
    for (size_t i = 0; i < sizeof(v32) / sizeof(v32[0]); i++) {
        kp_buf b;
        kp_buf_init(&b, 0);
        kp_buf_put_varint(&b, v32[i].v);
        expect_bytes(&b, v32[i].hex);
        assert_int_equal(b.len, kp_varint_size(v32[i].v));
        kp_rd r;
        kp_rd_init(&r, b.data, b.len);
        assert_int_equal(kp_rd_varint(&r), v32[i].v);
        assert_int_equal(r.err, 0);
        assert_int_equal(kp_rd_remaining(&r), 0);
        kp_buf_free(&b);
    }
    int64_t v64[] = {0, 1, -1, INT64_MAX, INT64_MIN, 300, -300, (int64_t)1 << 40};
    for (size_t i = 0; i < sizeof(v64) / sizeof(v64[0]); i++) {
        kp_buf b;
        kp_buf_init(&b, 0);
        kp_buf_put_varlong(&b, v64[i]);
        assert_int_equal(b.len, kp_varlong_size(v64[i]));
        kp_rd r;
        kp_rd_init(&r, b.data, b.len);
        assert_true(kp_rd_varlong(&r) == v64[i]);
        assert_int_equal(r.err, 0);
        kp_buf_free(&b);
    }
    /* INT64_MIN zigzags to all ones: ten bytes. */
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_put_varlong(&b, INT64_MIN);
    expect_bytes(&b, "ffffffffffffffffff01");
    kp_buf_free(&b);
}

static void test_varint_malformed(void **state) {
    (void)state;
    /* Six continuation bytes: too long for a 32-bit varint. */
    const uint8_t longrun[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    kp_rd r;
    kp_rd_init(&r, longrun, sizeof(longrun));
    (void)kp_rd_varint(&r);
    assert_int_equal(r.err, 1);
    /* Truncated: continuation bit set on the last byte. */
    const uint8_t cut[] = {0x80};
    kp_rd_init(&r, cut, sizeof(cut));
    (void)kp_rd_uvarint(&r);
    assert_int_equal(r.err, 1);
}

static void test_strings_and_bytes(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_put_string(&b, "ab", 2);
    kp_buf_put_string(&b, NULL, 0);
    kp_buf_put_compact_string(&b, "ab", 2);
    kp_buf_put_compact_string(&b, NULL, 0);
    kp_buf_put_bytes(&b, "x", 1);
    kp_buf_put_bytes(&b, NULL, 0);
    kp_buf_put_compact_array_len(&b, 3);
    kp_buf_put_empty_tags(&b);
    expect_bytes(&b, "00026162ffff036162000000000178ffffffff0400");
    kp_rd r;
    kp_rd_init(&r, b.data, b.len);
    kp_slice s = kp_rd_string(&r);
    assert_int_equal(s.len, 2);
    assert_memory_equal(s.p, "ab", 2);
    assert_int_equal(kp_rd_string(&r).len, -1);
    s = kp_rd_compact_string(&r);
    assert_int_equal(s.len, 2);
    assert_int_equal(kp_rd_compact_string(&r).len, -1);
    assert_int_equal(kp_rd_bytes(&r).len, 1);
    assert_int_equal(kp_rd_bytes(&r).len, -1);
    assert_int_equal(kp_rd_compact_array_len(&r, 0), 0);
    assert_int_equal(r.err, 1); /* 3 elements cannot fit in the 1 byte left */
    kp_buf_free(&b);
}

static void test_placeholders(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 1);
    size_t off = kp_buf_placeholder(&b, 4);
    for (int i = 0; i < 1000; i++) /* force growth past the placeholder */
        kp_buf_put_i8(&b, 7);
    kp_buf_patch_i32(&b, off, 1000);
    kp_rd r;
    kp_rd_init(&r, b.data, b.len);
    assert_int_equal(kp_rd_i32(&r), 1000);
    kp_buf_free(&b);
}

static void test_hostile_lengths(void **state) {
    (void)state;
    const uint8_t huge_str[] = {0x7f, 0xff, 'a'};
    kp_rd r;
    kp_rd_init(&r, huge_str, sizeof(huge_str));
    kp_slice s = kp_rd_string(&r);
    assert_null(s.p);
    assert_int_equal(r.err, 1);
    const uint8_t neg_bytes[] = {0xff, 0xff, 0xff, 0xfe};
    kp_rd_init(&r, neg_bytes, sizeof(neg_bytes));
    (void)kp_rd_bytes(&r);
    assert_int_equal(r.err, 1);
    const uint8_t huge_array[] = {0x7f, 0xff, 0xff, 0xff, 0, 0};
    kp_rd_init(&r, huge_array, sizeof(huge_array));
    assert_int_equal(kp_rd_array_len(&r, 4), 0);
    assert_int_equal(r.err, 1);
}

/* An empty input may come without memory (an empty kp_buf, records that
 * expand to nothing): kp_rd_init(NULL, 0) is an empty reader that never
 * computes NULL + 0 (undefined; UBSan in a clang build traps on it), and
 * a 0-byte read from it succeeds with a real pointer. */
static void test_empty_inputs(void **state) {
    (void)state;
    kp_rd r;
    kp_rd_init(&r, NULL, 0);
    assert_int_equal(kp_rd_remaining(&r), 0);
    assert_int_equal(r.err, 0);
    assert_non_null(kp_rd_raw(&r, 0)); /* NULL would mean "short" */
    assert_int_equal(r.err, 0);
    kp_slice s = kp_rd_string(&r);
    assert_null(s.p);
    assert_int_equal(r.err, 1);
    kp_rd_init(&r, NULL, 0);
    kp_rd_skip_tags(&r);
    assert_int_equal(r.err, 1);

    /* An empty buffer of an empty kp_buf, read back. */
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_null(b.data);
    kp_rd_init(&r, b.data, b.len);
    assert_int_equal(kp_rd_remaining(&r), 0);
    /* Reserving or extending by 0 gives it memory, so data + len is defined. */
    assert_non_null(kp_buf_extend(&b, 0));
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    kp_buf_free(&b);
    kp_buf_init(&b, 0);
    assert_int_equal(kp_buf_reserve(&b, 0), 0);
    assert_non_null(b.data);
    assert_int_equal(kp_buf_placeholder(&b, 0), 0);
    kp_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_ints),       cmocka_unit_test(test_varint_vectors),
        cmocka_unit_test(test_varint_malformed), cmocka_unit_test(test_strings_and_bytes),
        cmocka_unit_test(test_placeholders),     cmocka_unit_test(test_hostile_lengths),
        cmocka_unit_test(test_empty_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
