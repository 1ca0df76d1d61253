/* For white-box tests of a whole producer without a broker: what a
 * metadata answer would do, through the accumulator's own functions. */
#ifndef KPROD_TEST_PEEK_H
#define KPROD_TEST_PEEK_H

#include <time.h>

#include "accumulator.h"
#include "clock.h"
#include "producer.h"
#include "testutil.h"

/* The interval of condition loops (never a wait by itself). */
static inline void peek_pause_1ms(void) {
    struct timespec ts = {0, 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (5 s at most) until the accumulator knows the topic: a send that
 * made it is waiting for its metadata. */
static inline void peek_await_topic(kprod_t *p, const char *name) {
    int64_t deadline = kp_now_ms() + 5000;
    while (!kp_acc_has_topic(p->acc, name)) {
        assert_true(kp_now_ms() < deadline);
        peek_pause_1ms();
    }
}

/* Gives the topic count partitions (at most 16, no leaders). */
static inline void peek_apply_partitions(kprod_t *p, const char *name, int32_t count) {
    uint8_t no_leader[16] = {0};
    assert_true(count <= 16);
    assert_true(kp_acc_apply_topic(p->acc, name, KPROD_ERR_NO_ERROR, count, no_leader) >= 0);
}

#endif
