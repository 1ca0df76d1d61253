/* Monotonic time and deadline waits (see clock.h). */
#include "clock.h"

#include <errno.h>
#include <time.h>

int64_t kp_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kp_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t kp_deadline(int timeout_ms) {
    return timeout_ms < 0 ? INT64_MAX : kp_now_ms() + timeout_ms;
}

int kp_ms_left(int64_t deadline_ms) {
    if (deadline_ms == INT64_MAX)
        return -1;
    int64_t left = deadline_ms - kp_now_ms();
    if (left < 0)
        return 0;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

void kp_cond_init_monotonic(pthread_cond_t *cv) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

int kp_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *m, int64_t deadline_ms) {
    if (deadline_ms == INT64_MAX) {
        pthread_cond_wait(cv, m);
        return 0;
    }
    struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
    int rc = pthread_cond_timedwait(cv, m, &ts);
    return rc == ETIMEDOUT ? ETIMEDOUT : 0;
}
