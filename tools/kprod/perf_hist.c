/* Latency histogram (see perf_hist.h): log-linear buckets, HdrHistogram's
 * idea in its simplest form, so that a run of millions of records needs a
 * fixed 14 KiB instead of one slot per record. */
#include "perf_hist.h"

#include <string.h>

void cli_hist_init(cli_hist *h) { memset(h, 0, sizeof(*h)); }

int cli_hist_bucket(uint32_t v) {
    if (v < CLI_HIST_LINEAR)
        return (int)v;
    int e = 31 - __builtin_clz(v); /* 7..31: v lies in [2^e, 2^(e+1)) */
    int sub = (int)((v >> (e - 6)) & (CLI_HIST_SUB - 1));
    return CLI_HIST_LINEAR + (e - 7) * CLI_HIST_SUB + sub;
}

void cli_hist_bucket_range(int b, uint32_t *lo, uint32_t *hi) {
    if (b < CLI_HIST_LINEAR) {
        *lo = *hi = (uint32_t)b;
        return;
    }
    int e = (b - CLI_HIST_LINEAR) / CLI_HIST_SUB + 7;
    uint32_t sub = (uint32_t)((b - CLI_HIST_LINEAR) % CLI_HIST_SUB);
    uint32_t width = 1u << (e - 6);
    *lo = (1u << e) + sub * width;
    *hi = *lo + (width - 1);
}

void cli_hist_add(cli_hist *h, uint32_t v) {
    h->buckets[cli_hist_bucket(v)]++;
    h->count++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
}

uint32_t cli_hist_quantile(const cli_hist *h, double q) {
    if (h->count == 0)
        return 0;
    double want = q * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want)
        rank++; /* ceil, without libm */
    if (rank >= h->count)
        return h->max; /* the largest value is known exactly */
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < CLI_HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            uint32_t lo, hi;
            cli_hist_bucket_range(b, &lo, &hi);
            uint32_t mid = lo + (hi - lo) / 2;
            return mid < h->max ? mid : h->max;
        }
    }
    return h->max;
}
