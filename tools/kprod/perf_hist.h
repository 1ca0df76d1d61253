/* A latency histogram for `kprod perf` and bench/rdkafka_perf: fixed size
 * (no allocation per value), values in microseconds up to 2^32-1, each
 * value placed in a bucket no wider than 1/64 of its value, so a percentile
 * read back is within about 1.6 % of the exact one. Exact count, sum and
 * maximum are kept beside the buckets. Not thread-safe: one writer. */
#ifndef KPROD_CLI_PERF_HIST_H
#define KPROD_CLI_PERF_HIST_H

#include <stdint.h>

/* Values below 128 get a bucket each; above, every power of two from 2^7 to
 * 2^31 is cut into 64 equal buckets. */
#define CLI_HIST_LINEAR 128
#define CLI_HIST_SUB 64
#define CLI_HIST_BUCKETS (CLI_HIST_LINEAR + (32 - 7) * CLI_HIST_SUB)

typedef struct cli_hist {
    uint64_t count;
    uint64_t sum;
    uint32_t max;
    uint64_t buckets[CLI_HIST_BUCKETS];
} cli_hist;

void cli_hist_init(cli_hist *h);
void cli_hist_add(cli_hist *h, uint32_t value);

/* The value at quantile q (0 < q <= 1), i.e. the ceil(q * count)-th
 * smallest: the midpoint of the bucket holding it, but never above the
 * exact maximum, and the exact maximum when it is the largest value.
 * 0 when the histogram is empty. */
uint32_t cli_hist_quantile(const cli_hist *h, double q);

/* The bucket a value falls in, and the range [lo, hi] of values a bucket
 * holds (exposed for the unit test). */
int cli_hist_bucket(uint32_t value);
void cli_hist_bucket_range(int bucket, uint32_t *lo, uint32_t *hi);

#endif
