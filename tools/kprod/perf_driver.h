/* The measuring half of `kprod perf`, shared with bench/rdkafka_perf.c so
 * that kprod and librdkafka are driven by the very same loop and measured
 * by the very same code: payloads, keys, rate limit, send-to-report
 * latency, progress lines, the final line and the RESULT line, CPU time
 * and peak RSS. It knows nothing of either library: a client is a small
 * table of functions (cli_perf_client), and the client's delivery callback
 * hands each report back with cli_perf_report. */
#ifndef KPROD_CLI_PERF_DRIVER_H
#define KPROD_CLI_PERF_DRIVER_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

/* The most records one run may send: each record's number travels in the
 * upper 32 bits of its opaque (see perf_driver.c). */
#define CLI_PERF_MAX_RECORDS 4294967295LL

typedef struct cli_perf_opts {
    long long num_records;    /* > 0 */
    long record_size;         /* value bytes; unused with payload_file or payload_monotonic */
    const char *payload_file; /* NULL: generated text of record_size bytes */
    char payload_delim[64];   /* splits payload_file into payloads (one or more bytes) */
    size_t payload_delim_len;
    int payload_monotonic; /* values are the record's number, "0", "1", ... (Kafka's) */
    long throughput;       /* records/s; -1: as fast as possible */
    long keys;             /* 0: null keys; N: the keys "0".."N-1" in turn */
    double interval_s;     /* progress every so many seconds; 0: none */
    int record_size_given; /* -s was on the command line */
    int print_metrics;     /* --print-metrics: the client's statistics after the run */
    /* Transactions, as Kafka's perf test: the producer's transactional.id,
     * and when to commit (the first of the two that is set and reached). */
    const char *txn_id;    /* --transactional-id; NULL: from the properties, if any */
    long txn_duration_ms;  /* --transaction-duration-ms: a transaction's age; 0 unset */
    long long txn_records; /* --transaction-records: records per transaction; 0 unset */
    /* --threads: application threads sending at once through the one
     * producer (record i by thread i % threads); 1: the caller's thread
     * alone, the loop as before. */
    long threads;
    /* --topics: record i goes to topic i % topics, "TOPIC.0" ..
     * "TOPIC.<topics-1>" when above 1 (cli_perf_topic_names). */
    long topics;
} cli_perf_opts;

/* The defaults: no rate limit, payloads cut at newlines, progress every 5 s. */
#define CLI_PERF_OPTS_INIT                                                                         \
    {                                                                                              \
        .throughput = -1, .payload_delim = "\n", .payload_delim_len = 1, .interval_s = 5,          \
        .threads = 1, .topics = 1                                                                  \
    }

/* The command line both perf programs take (kafka-producer-perf-test's):
 * getopt_long's short options and long options table. The run's own
 * options go through cli_perf_take_opt; -b, -t, -X, -F and -h are each
 * program's. Kafka's --bootstrap-server is -b, --producer.config and
 * --command-config are -F, --producer-props and --command-property -X (see
 * cli_perf_expand_args), --reporting-interval is --interval in ms. */
#define CLI_PERF_SHORT_OPTS ":b:t:n:s:r:k:X:F:qh"
enum {
    CLI_PERF_OPT_PAYLOAD_FILE = 1000,
    CLI_PERF_OPT_PAYLOAD_DELIM,
    CLI_PERF_OPT_PAYLOAD_MONOTONIC,
    CLI_PERF_OPT_INTERVAL,
    CLI_PERF_OPT_REPORTING_INTERVAL,
    CLI_PERF_OPT_PRINT_METRICS,
    CLI_PERF_OPT_TXN_ID,
    CLI_PERF_OPT_TXN_DURATION,
    CLI_PERF_OPT_TXN_RECORDS,
    CLI_PERF_OPT_THREADS,
    CLI_PERF_OPT_TOPICS,
};
#define CLI_PERF_MAX_THREADS 64
#define CLI_PERF_MAX_TOPICS 10000
extern const struct option cli_perf_long_opts[];

/* Kafka's --producer-props (4.2: --command-property) takes one or more
 * NAME=VALUE words (argparse's
 * nargs "+"), which getopt cannot: before getopt runs, each such group
 * becomes -X NAME=VALUE pairs, in place (the words after it that do not
 * start with '-'); --producer-props=NAME=VALUE becomes one pair. Returns a new argv (the caller
 * frees the array only; it points into argv) and its count in *new_argc, or NULL (printed: the
 * option has no word, or no memory). */
char **cli_perf_expand_args(const char *prog, int argc, char **argv, int *new_argc);

/* Takes one of the run's options (-n -s -r -k -q --payload-file
 * --payload-delimiter --payload-monotonic --interval --threads --topics
 * and the transaction ones) from getopt's c and
 * arg into o. Returns 1 when it was one, 0 when c is not (it is the
 * caller's), -1 when its value is bad (printed after prog, the program's
 * full name). */
int cli_perf_take_opt(const char *prog, int c, const char *arg, cli_perf_opts *o);

/* Once the command line is read: -n was given, exactly one of -s,
 * --payload-file and --payload-monotonic, and no transaction option with
 * --threads above 1. 0, or -1 (printed). */
int cli_perf_check_opts(const char *prog, const cli_perf_opts *o);

/* The transactional.id the program must set (after -X and -F, so the
 * option wins): --transactional-id, else Java's default id when only a
 * transaction length was given; NULL: leave the properties as they are. */
const char *cli_perf_txn_id(const cli_perf_opts *o);
/* The producer is transactional (transactional.id set, by any means):
 * without --transaction-duration-ms or --transaction-records a
 * transaction lasts 3000 ms, Java's default. -1 (printed after prog) with
 * --threads above 1: a transaction is one thread's sequence of sends and
 * commits. */
int cli_perf_txn_defaults(const char *prog, cli_perf_opts *o);

/* The run's topic names, indexed by the topic number send gets: topic
 * itself when count is 1, else "topic.0" .. "topic.<count-1>". One
 * allocation (the caller frees the array with free()); NULL when out of
 * memory (printed after prog). */
char **cli_perf_topic_names(const char *prog, const char *topic, long count);

/* What the driver's send asks of a client. */
typedef enum cli_perf_send_rc {
    CLI_PERF_SENT,   /* accepted: exactly one report will follow */
    CLI_PERF_FULL,   /* buffer full: the driver polls and tries again */
    CLI_PERF_FAILED, /* refused (the client printed why); no report follows */
    CLI_PERF_STOP    /* refused, and no later record can be accepted */
} cli_perf_send_rc;

/* With --threads 1 every function is called on the thread that calls
 * cli_perf_run. With --threads N above 1, send is called on N sender
 * threads at once (so it must be thread-safe, as the producer's own send
 * is), and poll and flush on the thread of cli_perf_run only: it alone
 * serves reports, while the senders wait out CLI_PERF_FULL by sleeping. */
typedef struct cli_perf_client {
    const char *name; /* "kprod", "librdkafka": client= in the RESULT line */
    void *ctx;
    /* Sends one record to the run's topic number topic (an index into
     * cli_perf_topic_names' array; 0 with one topic). key and value are
     * only borrowed for the call; opaque must come back in the record's
     * report. */
    cli_perf_send_rc (*send)(void *ctx, unsigned topic, const void *key, size_t key_len,
                             const void *value, size_t value_len, void *opaque);
    /* Serves delivery reports, waiting up to timeout_ms (0: no wait) for
     * one. With one thread called after every send and while waiting for
     * the rate limit; with several, in a loop while they send. */
    void (*poll)(void *ctx, int timeout_ms);
    /* Returns once every accepted record has been reported. */
    void (*flush)(void *ctx);
    /* Transactions (NULL for a producer without): begin one; commit the
     * open one, serving reports while it waits. 0, or -1 when it failed
     * (printed; the client aborted it): the run stops. */
    int (*begin)(void *ctx);
    int (*commit)(void *ctx);
} cli_perf_client;

typedef struct cli_perfrun cli_perfrun;

/* Prepares a run: generates or loads the payloads. prog ("kprod perf",
 * "rdkafka_perf") starts every message. NULL on error (printed): a payload
 * file that cannot be read or holds no payload, or no memory. */
cli_perfrun *cli_perf_new(const char *prog, const cli_perf_opts *o);

/* Takes one delivery report: the opaque given to send, and NULL for
 * success or the error's name and text. Called by the client's delivery
 * callback, on whichever thread serves reports, one report at a time. */
void cli_perf_report(cli_perfrun *pf, void *opaque, const char *err_name, const char *err_text);

/* Sends num_records records through c (SIGINT or SIGTERM stops early),
 * on --threads threads, then flushes. The caller closes its producer afterwards and then calls
 * cli_perf_finish, so that the CPU time and peak RSS cover the close. */
void cli_perf_run(cli_perfrun *pf, const cli_perf_client *c);

/* Prints the summary on standard output, frees pf and returns the exit
 * status: 0 when every record was delivered exactly once, 1 otherwise.
 * Three lines: kprod's own (delivered, failed, CPU, peak RSS, exact
 * percentiles), then Kafka's final line in kafka-producer-perf-test's
 * exact wording, then the RESULT line (CLI_PERF_RESULT_HELP). */
int cli_perf_finish(cli_perfrun *pf);

/* The final lines and every field of the RESULT line, for --help: indented
 * by 4, ends with a newline. */
extern const char cli_perf_result_help[];

/* Frees a run that was never started (cli_perf_finish frees the others). */
void cli_perf_free(cli_perfrun *pf);

#endif
