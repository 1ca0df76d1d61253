/* CRC-32C: the standard check value, known vectors, hardware against
 * software on random buffers, and chaining across calls. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crc32c.h"

static void test_check_value(void **state) {
    (void)state;
    /* The catalogue "check" value of CRC-32C. */
    assert_int_equal(kp_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(kp_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    if (kp_crc32c_hw_available())
        assert_int_equal(kp_crc32c_hw(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(kp_crc32c(0, "", 0), 0);
}

static void test_rfc3720_vectors(void **state) {
    (void)state;
    /* iSCSI (RFC 3720, B.4) test patterns. */
    uint8_t buf[32];
    memset(buf, 0, sizeof(buf));
    assert_int_equal(kp_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof(buf));
    assert_int_equal(kp_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(kp_crc32c(0, buf, 32), 0x46DD794Eu);
    assert_int_equal(kp_crc32c_sw(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(kp_crc32c(0, buf, 32), 0x113FDB5Cu);
}

static void test_hw_matches_sw(void **state) {
    (void)state;
    if (!kp_crc32c_hw_available()) {
        print_message("no SSE4.2 on this CPU: hardware path not tested\n");
        skip();
    }
    srand(12345);
    enum { MAX = 4096 + 16 };
    uint8_t *buf = malloc(MAX);
    assert_non_null(buf);
    for (size_t i = 0; i < MAX; i++)
        buf[i] = (uint8_t)rand();
    for (int iter = 0; iter < 2000; iter++) {
        size_t off = (size_t)rand() % 16;
        size_t len = (size_t)rand() % (MAX - 16);
        if (iter < 64)
            len = (size_t)iter; /* every short length */
        uint32_t seed = (iter & 1) ? (uint32_t)rand() : 0;
        assert_int_equal(kp_crc32c_hw(seed, buf + off, len), kp_crc32c_sw(seed, buf + off, len));
    }
    free(buf);
}

static void test_chaining(void **state) {
    (void)state;
    uint8_t buf[1000];
    srand(7);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)rand();
    uint32_t whole = kp_crc32c(0, buf, sizeof(buf));
    assert_int_equal(whole, kp_crc32c_sw(0, buf, sizeof(buf)));
    for (size_t split = 0; split <= sizeof(buf); split += 37) {
        uint32_t c = kp_crc32c(0, buf, split);
        c = kp_crc32c(c, buf + split, sizeof(buf) - split);
        assert_int_equal(c, whole);
        uint32_t s = kp_crc32c_sw(0, buf, split);
        s = kp_crc32c_sw(s, buf + split, sizeof(buf) - split);
        assert_int_equal(s, whole);
    }
    /* Byte by byte. */
    uint32_t c = 0;
    for (size_t i = 0; i < sizeof(buf); i++)
        c = kp_crc32c(c, buf + i, 1);
    assert_int_equal(c, whole);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_rfc3720_vectors),
        cmocka_unit_test(test_hw_matches_sw),
        cmocka_unit_test(test_chaining),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
