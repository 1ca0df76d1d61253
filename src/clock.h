/* Monotonic time and deadline waits. Every timeout in kprod is turned into
 * an absolute deadline on the monotonic clock once, at the API boundary, so
 * that waits interrupted by spurious wake-ups never stretch it. */
#ifndef KPROD_CLOCK_H
#define KPROD_CLOCK_H

#include <pthread.h>
#include <stdint.h>

int64_t kp_now_ms(void);
int64_t kp_now_us(void);
/* now + timeout_ms, or INT64_MAX when timeout_ms < 0 (forever). */
int64_t kp_deadline(int timeout_ms);
/* Milliseconds left until deadline, clamped to [0, INT32_MAX]; -1 if forever. */
int kp_ms_left(int64_t deadline_ms);
void kp_cond_init_monotonic(pthread_cond_t *cv);
/* pthread_cond_timedwait on the monotonic clock; INT64_MAX waits forever.
 * Returns 0 or ETIMEDOUT. */
int kp_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *m, int64_t deadline_ms);

#endif
