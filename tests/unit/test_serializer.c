/* Serializers: byte layouts equal to the Java client's serializers (values
 * computed with kafka-clients 4.1.1), null handling, length checks, and a
 * user serializer writing through the sink in pieces. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "serializer.h"

static void expect_hex(const void *p, int32_t len, const char *hex) {
    char got[1024] = {0};
    const uint8_t *b = p;
    assert_true(len >= 0);
    for (int32_t i = 0; i < len && (size_t)i * 2 + 2 < sizeof(got); i++)
        snprintf(got + i * 2, 3, "%02x", b[i]);
    assert_string_equal(got, hex);
}

static void ser_ok(kp_ser_kind kind, const void *obj, size_t len, const char *hex) {
    kp_ser_scratch s;
    kp_ser_scratch_init(&s);
    const void *out = (const void *)&s;
    int32_t out_len = 123;
    assert_int_equal(kp_serialize(kind, NULL, NULL, "t", obj, len, &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    expect_hex(out, out_len, hex);
    assert_string_equal(kp_ser_errstr(&s), "");
    kp_ser_scratch_free(&s);
}

static void test_numbers_java_layout(void **state) {
    (void)state;
    int32_t i1 = 1, im2 = -2, imin = INT32_MIN;
    ser_ok(KP_SER_INT32, &i1, 0, "00000001");
    ser_ok(KP_SER_INT32, &im2, sizeof(im2), "fffffffe");
    ser_ok(KP_SER_INT32, &imin, 0, "80000000");
    int64_t lm1 = -1, l = 0x0102030405060708LL;
    ser_ok(KP_SER_INT64, &lm1, 0, "ffffffffffffffff");
    ser_ok(KP_SER_INT64, &l, 8, "0102030405060708");
    double d1 = 1.0, dm = -2.5, dz = -0.0, dnan, dnan2;
    uint64_t nan_bits = UINT64_C(0x7ff0000000000123), nan_bits2 = UINT64_C(0xfff8000000000001);
    memcpy(&dnan, &nan_bits, sizeof(dnan));
    memcpy(&dnan2, &nan_bits2, sizeof(dnan2));
    ser_ok(KP_SER_DOUBLE, &d1, 0, "3ff0000000000000");
    ser_ok(KP_SER_DOUBLE, &dm, 8, "c004000000000000");
    ser_ok(KP_SER_DOUBLE, &dz, 0, "8000000000000000");
    /* Double.doubleToLongBits gives one NaN whatever the payload. */
    ser_ok(KP_SER_DOUBLE, &dnan, 0, "7ff8000000000000");
    ser_ok(KP_SER_DOUBLE, &dnan2, 0, "7ff8000000000000");
    double ninf = -INFINITY;
    ser_ok(KP_SER_DOUBLE, &ninf, 0, "fff0000000000000");
}

/* Numbers read through memcpy: an odd address is fine. */
static void test_numbers_unaligned(void **state) {
    (void)state;
    uint8_t raw[9];
    int64_t v = 0x1122334455667788LL;
    memcpy(raw + 1, &v, sizeof(v));
    ser_ok(KP_SER_INT64, raw + 1, 0, "1122334455667788");
}

static void test_bad_lengths(void **state) {
    (void)state;
    kp_ser_scratch s;
    kp_ser_scratch_init(&s);
    const void *out;
    int32_t out_len;
    int64_t v = 5;
    assert_int_equal(kp_serialize(KP_SER_INT32, NULL, NULL, "t", &v, 8, &s, &out, &out_len),
                     KPROD_ERR__SERIALIZATION);
    assert_non_null(strstr(kp_ser_errstr(&s), "int32"));
    assert_non_null(strstr(kp_ser_errstr(&s), "8"));
    assert_int_equal(kp_serialize(KP_SER_INT64, NULL, NULL, "t", &v, 4, &s, &out, &out_len),
                     KPROD_ERR__SERIALIZATION);
    assert_int_equal(kp_serialize(KP_SER_DOUBLE, NULL, NULL, "t", &v, 1, &s, &out, &out_len),
                     KPROD_ERR__SERIALIZATION);
    assert_int_equal(kp_serialize(KP_SER_BYTES, NULL, NULL, "t", NULL, 3, &s, &out, &out_len),
                     KPROD_ERR__SERIALIZATION);
    assert_int_equal(kp_serialize(KP_SER_BYTES, NULL, NULL, "t", "abc", (size_t)INT32_MAX + 1, &s,
                                  &out, &out_len),
                     KPROD_ERR__SERIALIZATION);
    assert_int_equal(kp_serialize((kp_ser_kind)99, NULL, NULL, "t", &v, 0, &s, &out, &out_len),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_serialize(KP_SER_USER, NULL, NULL, "t", &v, 0, &s, &out, &out_len),
                     KPROD_ERR__INVALID_ARG);
    /* A later success clears the reason. */
    assert_int_equal(kp_serialize(KP_SER_INT64, NULL, NULL, "t", &v, 0, &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    assert_string_equal(kp_ser_errstr(&s), "");
    kp_ser_scratch_free(&s);
}

static void test_nulls(void **state) {
    (void)state;
    kp_ser_scratch s;
    kp_ser_scratch_init(&s);
    kp_ser_kind kinds[] = {KP_SER_BYTES, KP_SER_STRING, KP_SER_INT32, KP_SER_INT64, KP_SER_DOUBLE};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const void *out = &s;
        int32_t out_len = 7;
        assert_int_equal(kp_serialize(kinds[i], NULL, NULL, "t", NULL, 0, &s, &out, &out_len),
                         KPROD_ERR_NO_ERROR);
        assert_null(out);
        assert_int_equal(out_len, -1);
    }
    kp_ser_scratch_free(&s);
}

static void test_bytes_and_strings(void **state) {
    (void)state;
    kp_ser_scratch s;
    kp_ser_scratch_init(&s);
    const void *out;
    int32_t out_len;
    const char data[] = {'a', 0, 'b'};
    /* BYTES: the caller's pointer, no copy. */
    assert_int_equal(kp_serialize(KP_SER_BYTES, NULL, NULL, "t", data, 3, &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    assert_ptr_equal(out, data);
    assert_int_equal(out_len, 3);
    /* Empty, not null. */
    assert_int_equal(kp_serialize(KP_SER_BYTES, NULL, NULL, "t", data, 0, &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    assert_ptr_equal(out, data);
    assert_int_equal(out_len, 0);
    /* STRING: 0 means strlen; an explicit length may include NULs. */
    const char *str = "h\xc3\xa9llo";
    assert_int_equal(kp_serialize(KP_SER_STRING, NULL, NULL, "t", str, 0, &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    assert_ptr_equal(out, str);
    assert_int_equal(out_len, 6);
    assert_int_equal(kp_serialize(KP_SER_STRING, NULL, NULL, "t", data, 3, &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(out_len, 3);
    assert_int_equal(kp_serialize(KP_SER_STRING, NULL, NULL, "t", "", 0, &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    assert_non_null(out);
    assert_int_equal(out_len, 0);
    kp_ser_scratch_free(&s);
}

/* A user serializer: writes "<topic>:" then the object in chunks of 7. */
static int user_calls;
static kprod_err_t chunky(const char *topic, const void *obj, size_t obj_len, kprod_sink_t *sink,
                          void *opaque) {
    user_calls++;
    assert_ptr_equal(opaque, &user_calls);
    kprod_err_t err = kprod_sink_write(sink, topic, strlen(topic));
    if (err)
        return err;
    err = kprod_sink_write(sink, ":", 1);
    if (err)
        return err;
    const uint8_t *p = obj;
    for (size_t off = 0; off < obj_len; off += 7) {
        size_t n = obj_len - off < 7 ? obj_len - off : 7;
        err = kprod_sink_write(sink, p + off, n);
        if (err)
            return err;
    }
    err = kprod_sink_write(sink, NULL, 0);
    return err;
}

static void test_user_chunks(void **state) {
    (void)state;
    kp_ser_scratch s;
    kp_ser_scratch_init(&s);
    const void *out;
    int32_t out_len;

    assert_int_equal(kp_serialize(KP_SER_USER, chunky, &user_calls, "tp", "0123456789ABCDEF", 16,
                                  &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(out_len, 19);
    assert_memory_equal(out, "tp:0123456789ABCDEF", 19);

    /* Larger than the inline area: grows to the heap, keeps the bytes
     * written before the growth, and the heap is reused next time. */
    enum { BIG = 100000 };
    static uint8_t big[BIG];
    for (size_t i = 0; i < BIG; i++)
        big[i] = (uint8_t)(i * 31 + 7);
    assert_int_equal(
        kp_serialize(KP_SER_USER, chunky, &user_calls, "topic", big, BIG, &s, &out, &out_len),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(out_len, BIG + 6);
    assert_memory_equal(out, "topic:", 6);
    assert_memory_equal((const uint8_t *)out + 6, big, BIG);
    uint8_t *heap = s.heap;
    assert_non_null(heap);
    assert_int_equal(
        kp_serialize(KP_SER_USER, chunky, &user_calls, "x", "y", 1, &s, &out, &out_len),
        KPROD_ERR_NO_ERROR);
    assert_ptr_equal(s.heap, heap);
    assert_ptr_equal(out, heap);
    assert_memory_equal(out, "x:y", 3);
    /* Numbers go to the same place: out points into the scratch. */
    int32_t one = 1;
    assert_int_equal(kp_serialize(KP_SER_INT32, NULL, NULL, "t", &one, 0, &s, &out, &out_len),
                     KPROD_ERR_NO_ERROR);
    expect_hex(out, out_len, "00000001");
    kp_ser_scratch_free(&s);
    assert_null(s.heap);
}

static kprod_err_t writes_nothing(const char *topic, const void *obj, size_t obj_len,
                                  kprod_sink_t *sink, void *opaque) {
    (void)topic;
    (void)obj;
    (void)obj_len;
    (void)sink;
    (void)opaque;
    return KPROD_ERR_NO_ERROR;
}

static kprod_err_t fails(const char *topic, const void *obj, size_t obj_len, kprod_sink_t *sink,
                         void *opaque) {
    (void)topic;
    (void)obj;
    (void)obj_len;
    (void)opaque;
    (void)kprod_sink_write(sink, "partial", 7);
    return KPROD_ERR__INVALID_ARG;
}

static void test_user_null_and_errors(void **state) {
    (void)state;
    kp_ser_scratch s;
    kp_ser_scratch_init(&s);
    const void *out;
    int32_t out_len;

    /* NULL obj and nothing written: null. */
    user_calls = 0;
    assert_int_equal(
        kp_serialize(KP_SER_USER, writes_nothing, NULL, "t", NULL, 0, &s, &out, &out_len),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(out_len, -1);
    assert_null(out);
    /* Non-NULL obj and nothing written: empty. */
    assert_int_equal(
        kp_serialize(KP_SER_USER, writes_nothing, NULL, "t", "x", 1, &s, &out, &out_len),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(out_len, 0);
    assert_non_null(out);
    /* NULL obj is still given to the callback, which may write bytes. */
    assert_int_equal(
        kp_serialize(KP_SER_USER, chunky, &user_calls, "t", NULL, 0, &s, &out, &out_len),
        KPROD_ERR_NO_ERROR);
    assert_int_equal(user_calls, 1);
    assert_int_equal(out_len, 2);

    /* The callback's error becomes _SERIALIZATION, its name in the reason. */
    assert_int_equal(kp_serialize(KP_SER_USER, fails, NULL, "t", "x", 1, &s, &out, &out_len),
                     KPROD_ERR__SERIALIZATION);
    assert_non_null(strstr(kp_ser_errstr(&s), "_INVALID_ARG"));
    assert_null(out);
    assert_int_equal(out_len, -1);

    assert_int_equal(kprod_sink_write(NULL, "x", 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_sink_write(&s, NULL, 1), KPROD_ERR__INVALID_ARG);
    kp_ser_scratch_free(&s);
}

/* A write past INT32_MAX in total is refused without allocating it, and
 * every later write of the same call fails too. */
static kprod_err_t too_big(const char *topic, const void *obj, size_t obj_len, kprod_sink_t *sink,
                           void *opaque) {
    (void)topic;
    (void)obj_len;
    (void)opaque;
    kprod_err_t e1 = kprod_sink_write(sink, obj, 10);
    kprod_err_t e2 = kprod_sink_write(sink, obj, (size_t)INT32_MAX - 5);
    kprod_err_t e3 = kprod_sink_write(sink, obj, 1);
    assert_int_equal(e1, KPROD_ERR_NO_ERROR);
    assert_int_equal(e2, KPROD_ERR__SERIALIZATION);
    assert_int_equal(e3, KPROD_ERR__SERIALIZATION);
    return KPROD_ERR_NO_ERROR; /* a careless callback that ignores errors */
}

static void test_user_size_limit(void **state) {
    (void)state;
    kp_ser_scratch s;
    kp_ser_scratch_init(&s);
    const void *out;
    int32_t out_len;
    assert_int_equal(
        kp_serialize(KP_SER_USER, too_big, NULL, "t", "0123456789", 10, &s, &out, &out_len),
        KPROD_ERR__SERIALIZATION);
    assert_non_null(strstr(kp_ser_errstr(&s), "exceeds"));
    assert_int_equal(out_len, -1);
    kp_ser_scratch_free(&s);
}

static void test_kind_names(void **state) {
    (void)state;
    kp_ser_kind k;
    assert_int_equal(kp_ser_kind_parse("string", &k), 0);
    assert_int_equal(k, KP_SER_STRING);
    assert_int_equal(kp_ser_kind_parse("INT64", &k), 0);
    assert_int_equal(k, KP_SER_INT64);
    assert_int_equal(
        kp_ser_kind_parse("org.apache.kafka.common.serialization.IntegerSerializer", &k), 0);
    assert_int_equal(k, KP_SER_INT32);
    assert_int_equal(kp_ser_kind_parse("ByteArraySerializer", &k), 0);
    assert_int_equal(k, KP_SER_BYTES);
    assert_int_equal(kp_ser_kind_parse("DoubleSerializer", &k), 0);
    assert_int_equal(k, KP_SER_DOUBLE);
    assert_int_equal(kp_ser_kind_parse("float", &k), -1);
    assert_int_equal(kp_ser_kind_parse("org.apache.kafka.common.serialization.Foo", &k), -1);
    assert_int_equal(kp_ser_kind_parse(NULL, &k), -1);
    assert_string_equal(kp_ser_kind_name(KP_SER_DOUBLE), "double");
    assert_string_equal(kp_ser_kind_name(KP_SER_USER), "user");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_java_layout),  cmocka_unit_test(test_numbers_unaligned),
        cmocka_unit_test(test_bad_lengths),          cmocka_unit_test(test_nulls),
        cmocka_unit_test(test_bytes_and_strings),    cmocka_unit_test(test_user_chunks),
        cmocka_unit_test(test_user_null_and_errors), cmocka_unit_test(test_user_size_limit),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
