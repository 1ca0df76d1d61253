/* The latency histogram of `kprod perf` (tools/kprod/perf_hist.c): bucket
 * edges, every value within its bucket and buckets no wider than 1/64 of
 * their values, exact count/sum/max, and percentiles against a sorted
 * array of the same values. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "perf_hist.h"

static void test_bucket_edges(void **state) {
    (void)state;
    uint32_t lo, hi;
    assert_int_equal(cli_hist_bucket(0), 0);
    assert_int_equal(cli_hist_bucket(127), 127);
    assert_int_equal(cli_hist_bucket(128), 128);
    assert_int_equal(cli_hist_bucket(129), 128); /* width 2 from 128 */
    assert_int_equal(cli_hist_bucket(130), 129);
    assert_int_equal(cli_hist_bucket(255), 128 + 63);
    assert_int_equal(cli_hist_bucket(256), 128 + 64);
    assert_int_equal(cli_hist_bucket(UINT32_MAX), CLI_HIST_BUCKETS - 1);
    cli_hist_bucket_range(128, &lo, &hi);
    assert_int_equal(lo, 128);
    assert_int_equal(hi, 129);
    cli_hist_bucket_range(CLI_HIST_BUCKETS - 1, &lo, &hi);
    assert_int_equal(hi, UINT32_MAX);
}

/* Every bucket's range holds exactly the values mapped to it, the ranges
 * tile 0..2^32-1 without gaps, and no bucket is wider than lo/64. */
static void test_buckets_tile(void **state) {
    (void)state;
    uint32_t prev_hi = 0;
    for (int b = 0; b < CLI_HIST_BUCKETS; b++) {
        uint32_t lo, hi;
        cli_hist_bucket_range(b, &lo, &hi);
        if (b > 0)
            assert_int_equal(lo, prev_hi + 1);
        assert_true(hi >= lo);
        assert_int_equal(cli_hist_bucket(lo), b);
        assert_int_equal(cli_hist_bucket(hi), b);
        if (lo >= CLI_HIST_LINEAR)
            assert_true((uint64_t)(hi - lo + 1) * 64 <= lo);
        prev_hi = hi;
    }
    assert_int_equal(prev_hi, UINT32_MAX);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Percentiles of a skewed random sample: within 1/64 of the exact ones
 * (the exact value is the ceil(q*n)-th smallest). */
static void test_quantiles_match_sorted(void **state) {
    (void)state;
    enum { N = 100000 };
    uint32_t *v = malloc(N * sizeof(*v));
    assert_non_null(v);
    cli_hist h;
    cli_hist_init(&h);
    uint64_t r = 12345, sum = 0;
    for (int i = 0; i < N; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t x = (uint32_t)(r >> 33);
        v[i] = (x % 1000) * (x % 1000) + (x % 7); /* 0..~1e6, skewed low */
        cli_hist_add(&h, v[i]);
        sum += v[i];
    }
    qsort(v, N, sizeof(*v), cmp_u32);
    assert_int_equal(h.count, N);
    assert_int_equal(h.sum, sum);
    assert_int_equal(h.max, v[N - 1]);
    const double qs[] = {0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        uint64_t rank = (uint64_t)(qs[i] * N);
        if ((double)rank < qs[i] * N)
            rank++;
        uint32_t exact = v[rank - 1];
        uint32_t got = cli_hist_quantile(&h, qs[i]);
        uint32_t tol = exact / 64 + 1;
        if (got + tol < exact || got > exact + tol)
            fail_msg("q=%g: got %u, exact %u", qs[i], got, exact);
    }
    assert_int_equal(cli_hist_quantile(&h, 1.0), h.max);
    free(v);
}

static void test_empty_and_single(void **state) {
    (void)state;
    cli_hist h;
    cli_hist_init(&h);
    assert_int_equal(cli_hist_quantile(&h, 0.5), 0);
    cli_hist_add(&h, 5000);
    /* One value: every quantile is it (the midpoint is capped at max). */
    assert_true(cli_hist_quantile(&h, 0.5) <= 5000);
    assert_true(cli_hist_quantile(&h, 0.5) >= 5000 - 5000 / 64);
    assert_int_equal(cli_hist_quantile(&h, 0.999), cli_hist_quantile(&h, 0.5));
    cli_hist_add(&h, 7);
    assert_int_equal(cli_hist_quantile(&h, 0.5), 7);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_edges),
        cmocka_unit_test(test_buckets_tile),
        cmocka_unit_test(test_quantiles_match_sorted),
        cmocka_unit_test(test_empty_and_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
