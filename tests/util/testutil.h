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
/* Creates a topic with Kafka's own kafka-topics tool; asserts success and
 * waits until every partition's leader takes requests. */
void kpt_create_topic(const char *topic, int partitions, int replication);
/* The same with one topic config, "name=value" (NULL: none). */
void kpt_create_topic_with(const char *topic, int partitions, int replication, const char *config);

/* tests/tools/kafka_proxy between a client and the broker in KPROD_BROKERS:
 * it drops the connection after the broker answered a Produce request, for
 * drop_fraction of them, holds every response for delay_ms, and advertises
 * itself in Metadata. */
typedef struct kpt_proxy {
    int pid;
    void *out; /* FILE* of its stdout */
    int in_fd; /* its stdin: closing it stops the proxy */
    int port;
} kpt_proxy;
void kpt_proxy_start(kpt_proxy *px, double drop_fraction, int delay_ms);
/* What the proxy saw (see tests/tools/kafka_proxy.c). */
typedef struct kpt_proxy_stats {
    long forwarded;       /* Produce requests passed on */
    long dropped;         /* connections dropped after the broker answered */
    int max_inflight;     /* most Produce requests unanswered on one connection */
    double mean_inflight; /* unanswered on its connection as each one arrived */
} kpt_proxy_stats;
/* Stops it and returns what it saw. */
kpt_proxy_stats kpt_proxy_stop(kpt_proxy *px);
/* Kills it at once (SIGKILL): every broker becomes unreachable. */
void kpt_proxy_kill(kpt_proxy *px);

/* tests/tools/hostile_broker: a fake broker on loopback that shakes hands
 * correctly and then lies as the scenario says (see the tool's header).
 * options: its extra KEY=VALUE arguments, space separated, or NULL. */
typedef struct kpt_hostile {
    int pid;
    void *out; /* FILE* of its stdout */
    void *in;  /* FILE* of its stdin: closing it stops the tool */
    int port;
} kpt_hostile;
void kpt_hostile_start(kpt_hostile *hb, const char *scenario, const char *options);
/* What the tool has seen so far. */
typedef struct kpt_hostile_stats {
    long conns;        /* connections accepted */
    long api_versions; /* requests received, per API */
    long metadata;
    long init_pid;
    long produce;
    long long streamed; /* filler bytes of a lying frame written */
    long open;          /* connections open now */
} kpt_hostile_stats;
kpt_hostile_stats kpt_hostile_stats_get(kpt_hostile *hb);
/* When each connection was accepted (what "conn") or each request of an
 * API key arrived (what "0", "3", "18", "22"): kpt_now_ms()'s clock, in
 * order; *n is the count. The caller frees the array. */
int64_t *kpt_hostile_times(kpt_hostile *hb, const char *what, int *n);
/* How many of times[0..n) fall in [from_ms, to_ms). */
int kpt_count_between(const int64_t *times, int n, int64_t from_ms, int64_t to_ms);
void kpt_hostile_stop(kpt_hostile *hb);

/* The peak resident set of this process in KiB (VmHWM), and a reset of
 * it (0 when the kernel took the reset, else -1: the peak then stays the
 * process's peak so far). */
long kpt_peak_rss_kb(void);
int kpt_peak_rss_reset(void);

/* Producers that need no broker: a loopback socket, listening (backlog
 * only) or closed again so that nobody listens on *port; a conf for
 * bootstrap 127.0.0.1:port with name/value pairs (NULL-terminated) and a
 * delivery callback; kprod_new or fail; a record of a value. */
int kpt_loopback_socket(int listening, int *port);
kprod_conf_t *kpt_conf_for_port(int port, const char *const *props, kprod_delivery_cb cb);
kprod_conf_t *kpt_down_conf(const char *const *props, kprod_delivery_cb cb);
kprod_t *kpt_new_producer(kprod_conf_t *conf);
kprod_record_t kpt_value_record(const char *topic, int32_t partition, const void *value,
                                size_t len);

/* Log lines captured through kprod_conf_set_log_cb, for tests that assert
 * what a producer said. Thread-safe (the sender thread logs). */
typedef struct kpt_logcap kpt_logcap;
kpt_logcap *kpt_logcap_new(void);
void kpt_logcap_free(kpt_logcap *lc);
/* Installs lc as conf's log callback (lc must outlive the producer). */
void kpt_logcap_install(kprod_conf_t *conf, kpt_logcap *lc);
/* Lines so far at exactly level (-1: any) in context ctx (NULL: any) whose
 * message contains every one of the NULL-terminated substrings. */
int kpt_logcap_count(kpt_logcap *lc, int level, const char *ctx, ...);
/* Waits up to timeout_ms until kpt_logcap_count (same arguments) is at
 * least 1; returns the count (0 on timeout). */
int kpt_logcap_wait(kpt_logcap *lc, int timeout_ms, int level, const char *ctx, ...);
/* Every line so far, "LEVEL ctx: message\n" each, for failure messages;
 * the caller frees it. */
char *kpt_logcap_dump(kpt_logcap *lc);

/* One record as read back by the independent consumer (kcat, through
 * scripts/kafka.sh consume). key/value are NUL-terminated copies; len -1
 * means null. headers is "name=value,name=value" ("" when none). */
typedef struct kpt_record {
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    int32_t key_len;
    char *key;
    int32_t value_len;
    char *value;
    char *headers;
} kpt_record;

/* Reads `count` records of topic from the beginning with kcat; asserts that
 * exactly that many arrive before the consumer's timeout. Caller frees with
 * kpt_records_free. */
kpt_record *kpt_consume(const char *topic, int count);
void kpt_records_free(kpt_record *r, int count);
/* Reads every record of topic up to the end of each partition (no count
 * known in advance, e.g. when duplicates are expected). */
kpt_record *kpt_consume_all(const char *topic, int *count);

#endif
