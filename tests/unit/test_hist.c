/* The latency histogram: every bucket boundary maps back into its bucket,
 * quantiles are within a bucket's width of the truth, and the extremes
 * (0, huge values, one value) behave. */
#include <stdlib.h>

#include "hist.h"
#include "testutil.h"

static void test_quantiles_close(void **state) {
    (void)state;
    kp_hist h = {0};
    for (int v = 1; v <= 100000; v++)
        kp_hist_add(&h, v);
    uint64_t p50 = kp_hist_quantile(&h, 0.5), p99 = kp_hist_quantile(&h, 0.99);
    /* Four buckets per power of two: the answer is at most 25 % above. */
    assert_true(p50 >= 50000 && p50 <= 62500);
    assert_true(p99 >= 99000 && p99 <= 100000); /* capped at the max seen */
    assert_int_equal(kp_hist_quantile(&h, 1.0), 100000);
    assert_int_equal(kp_hist_mean(&h), 50000);
    assert_int_equal(h.count, 100000);
}

static void test_small_and_extremes(void **state) {
    (void)state;
    kp_hist h = {0};
    assert_int_equal(kp_hist_quantile(&h, 0.5), 0); /* empty */
    kp_hist_add(&h, -7);                            /* counts as 0 */
    assert_int_equal(kp_hist_quantile(&h, 0.99), 0);
    for (int v = 0; v < 8; v++) {
        kp_hist z = {0};
        kp_hist_add(&z, v);
        assert_int_equal(kp_hist_quantile(&z, 0.5), (uint64_t)v); /* exact below 8 */
    }
    kp_hist big = {0};
    kp_hist_add(&big, INT64_MAX);
    assert_int_equal(kp_hist_quantile(&big, 0.5), (uint64_t)INT64_MAX);
}

/* Every value from 8 to 2^20 lands in a bucket whose quantile answer is
 * at least the value and less than 1.25 times it. */
static void test_every_value_in_range(void **state) {
    (void)state;
    for (int64_t v = 8; v < (1 << 20); v += 1 + v / 64) {
        kp_hist h = {0};
        kp_hist_add(&h, v);
        kp_hist_add(&h, INT64_C(1) << 40); /* keeps the cap out of the way */
        uint64_t q = kp_hist_quantile(&h, 0.5);
        if (q < (uint64_t)v || (double)q >= 1.25 * (double)v)
            fail_msg("value %lld answered %llu", (long long)v, (unsigned long long)q);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles_close),
        cmocka_unit_test(test_small_and_extremes),
        cmocka_unit_test(test_every_value_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
