/* Helpers shared by the tests: cmocka, where the broker is, waiting on a
 * condition with a deadline (never a bare sleep), running Kafka's tools. */
#ifndef KPROD_TESTUTIL_H
#define KPROD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kprod.h"

/* Milliseconds on a monotonic clock. */
int64_t kpt_now_ms(void);
/* The broker list the integration tests use: $KPROD_BROKERS, else
 * "127.0.0.1:9092". */
const char *kpt_brokers(void);
/* The repository's root ($KPROD_SRC, else found from the source path). */
const char *kpt_src_dir(void);
/* Runs a shell command, returns its exit status; its stdout (up to cap-1
 * bytes, NUL-terminated) goes to out when out is not NULL. */
int kpt_sh(char *out, size_t cap, const char *fmt, ...);
/* A topic name unique to this process and test run. */
void kpt_unique_topic(char *dst, size_t cap, const char *prefix);
/* Creates a topic with Kafka's own kafka-topics tool; asserts success. */
void kpt_create_topic(const char *topic, int partitions, int replication);

#endif
