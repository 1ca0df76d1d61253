/* The latency histogram (see hist.h). Bucket i < 8 holds the value i;
 * above, each power of two [2^k, 2^(k+1)) splits into four equal parts. */
#include "hist.h"

static int bucket_of(uint64_t v) {
    if (v < 8)
        return (int)v;
    int k = 63 - __builtin_clzll(v); /* 2^k <= v < 2^(k+1), k >= 3 */
    int sub = (int)((v >> (k - 2)) & 3);
    int i = 8 + (k - 3) * 4 + sub;
    return i < KP_HIST_BUCKETS ? i : KP_HIST_BUCKETS - 1;
}

/* The largest value bucket i holds. */
static uint64_t bucket_top(int i) {
    if (i < 8)
        return (uint64_t)i;
    int k = (i - 8) / 4 + 3, sub = (i - 8) % 4;
    return (((uint64_t)4 + (uint64_t)sub + 1) << (k - 2)) - 1;
}

void kp_hist_add(kp_hist *h, int64_t us) {
    uint64_t v = us > 0 ? (uint64_t)us : 0;
    h->b[bucket_of(v)]++;
    h->count++;
    h->sum_us += v;
    if (v > h->max_us)
        h->max_us = v;
}

uint64_t kp_hist_quantile(const kp_hist *h, double q) {
    if (h->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (int i = 0; i < KP_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            /* The last bucket takes everything above: only max bounds it. */
            uint64_t top = i == KP_HIST_BUCKETS - 1 ? h->max_us : bucket_top(i);
            return top < h->max_us ? top : h->max_us;
        }
    }
    return h->max_us;
}

uint64_t kp_hist_mean(const kp_hist *h) { return h->count ? h->sum_us / h->count : 0; }
