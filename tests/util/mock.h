/* Drives tests/tools/mock_cluster (a librdkafka mock cluster in its own
 * process) from a test: start it with pipes, send one command at a time and
 * wait for its answer under a deadline, stop it. Each test case starts its
 * own cluster, so no state leaks between cases.
 *
 * The helper's path comes from $KPROD_MOCK_CLUSTER, else from the build
 * (the KPROD_MOCK_CLUSTER_BIN compile definition). Commands and answers are
 * documented at the top of tests/tools/mock_cluster.c. */
#ifndef KPROD_TEST_MOCK_H
#define KPROD_TEST_MOCK_H

#include <stddef.h>

typedef struct kpt_mock kpt_mock;

/* Starts a cluster of `brokers` brokers (ids 1..brokers); asserts success. */
kpt_mock *kpt_mock_start(int brokers);
/* The cluster's bootstrap list ("127.0.0.1:port,..."), valid until stop. */
const char *kpt_mock_bootstrap(const kpt_mock *m);
/* Sends one command line and waits (5 s at most) for its answer, copied to
 * reply (may be NULL). Returns 0 when the answer starts with "ok", -1 for an
 * "error: ..." answer; fails the test when the helper does not answer. */
int kpt_mock_cmd(kpt_mock *m, char *reply, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* kpt_mock_cmd that must succeed (fails the test otherwise). */
void kpt_mock_ok(kpt_mock *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Errors pushed with broker_errors on broker for api_key not yet used. */
long kpt_mock_error_count(kpt_mock *m, int broker, int api_key);
/* Sends quit, waits for the helper to exit (kills it after 5 s), frees m. */
void kpt_mock_stop(kpt_mock *m);

#endif
