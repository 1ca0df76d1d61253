/* Helpers for the transaction tests: a transactional producer that counts
 * its reports, and independent readers of what the broker holds: kcat and
 * Kafka's console consumer at an isolation level, Kafka's consumer-groups
 * tool for committed offsets, Kafka's log dump for transaction markers. */
#ifndef KPROD_TXNUTIL_H
#define KPROD_TXNUTIL_H

#include <stdint.h>

#include "testutil.h"

/* Reports of a transactional producer, counted by error (thread-safe). */
typedef struct kpt_txn_reports {
    int delivered, aborted, failed; /* err 0, _TXN_ABORTED, any other */
    int64_t last_err;               /* the last error other than _TXN_ABORTED */
} kpt_txn_reports;

/* A producer for bootstrap brokers with transactional.id txn_id, plus the
 * name/value pairs in props (NULL-terminated, may be NULL); its reports
 * are counted into *rep. Fails the test when it cannot be made. */
kprod_t *kpt_txn_producer(const char *brokers, const char *txn_id, const char *const *props,
                          kpt_txn_reports *rep);
/* The reports counted so far, read under the counter's lock. */
kpt_txn_reports kpt_txn_reports_get(const kpt_txn_reports *rep);
/* Sends value to topic/partition (asserting the send was taken). */
void kpt_txn_send(kprod_t *p, const char *topic, int32_t partition, const char *value);

/* One record as kcat read it. */
typedef struct kpt_read {
    int32_t partition;
    int64_t offset;
    char value[64];
} kpt_read;
/* Every record of topic (all partitions, to their end) that kcat reads at
 * isolation ("read_committed" or "read_uncommitted") from brokers; *n is
 * the count. The caller frees the array. */
kpt_read *kpt_kcat_read(const char *brokers, const char *topic, const char *isolation, int *n);
/* How many of r[0..n) have a value starting with prefix. */
int kpt_count_prefix(const kpt_read *r, int n, const char *prefix);

/* Values Kafka's console consumer reads from the beginning of topic at
 * isolation, until it has max of them or 20 s pass without one; the count
 * (values joined by '\n' in out when not NULL). */
int kpt_console_read(const char *brokers, const char *topic, const char *isolation, int max,
                     char *out, size_t cap);

/* The committed offset of group for topic/partition, as Kafka's
 * consumer-groups tool describes it; -1 when it shows none. */
int64_t kpt_group_offset(const char *brokers, const char *group, const char *topic,
                         int32_t partition);
/* Creates group with Kafka's console consumer reading max records of topic
 * (the consumer commits its position and leaves: the group is empty). */
void kpt_group_create(const char *brokers, const char *group, const char *topic, int max);

/* Transaction markers in partitions 0..nparts-1 of topic, from Kafka's
 * log dump of the broker's data directory data_dir (one run of the tool):
 * the counts of COMMIT and ABORT markers of each partition. */
void kpt_markers(const char *data_dir, const char *topic, int nparts, int *commits, int *aborts);
/* The single broker's data directory: scripts/kafka.sh's layout under
 * $KPROD_KAFKA_DIR (default <repo>/.kafka), which scripts/compat.sh's
 * older brokers share. */
const char *kpt_data_dir(void);

#endif
