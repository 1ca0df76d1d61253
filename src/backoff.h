/* Exponential backoff with jitter, one rule for every retry in kprod: a
 * batch's retry (retry.backoff.ms / .max.ms) and a broker's reconnect
 * (reconnect.backoff.ms / .max.ms), as the Java client does both. */
#ifndef KPROD_BACKOFF_H
#define KPROD_BACKOFF_H

#include <stdint.h>

/* base * 2^(attempts-1), at most max, then +-20% so that many clients do
 * not retry in lock step. attempts <= 1 gives base. rnd is any
 * non-negative random number (random() in the library, fixed in tests). */
int64_t kp_backoff_ms(int64_t base_ms, int64_t max_ms, int attempts, long rnd);

#endif
