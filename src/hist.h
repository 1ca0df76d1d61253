/* A latency histogram small enough to keep per broker and per partition:
 * log-linear buckets (four per power of two) of microseconds, so any
 * percentile is known within 25 % of its value up to about 2.4 hours
 * (2^33 us; the last bucket holds everything above), in 512 bytes.
 *
 * Thread: none of its own; its owner's. */
#ifndef KPROD_HIST_H
#define KPROD_HIST_H

#include <stdint.h>

#define KP_HIST_BUCKETS 128

typedef struct kp_hist {
    uint32_t b[KP_HIST_BUCKETS];
    uint64_t count;
    uint64_t sum_us;
    uint64_t max_us;
} kp_hist;

/* Adds one value (negative counts as 0). */
void kp_hist_add(kp_hist *h, int64_t us);
/* The value at or below which q (0..1) of the values lie, in
 * microseconds: the upper bound of its bucket, capped at the largest
 * value seen. 0 when empty. */
uint64_t kp_hist_quantile(const kp_hist *h, double q);
/* The mean in microseconds, 0 when empty. */
uint64_t kp_hist_mean(const kp_hist *h);

#endif
