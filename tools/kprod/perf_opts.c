/* The command line both perf programs share (see perf_driver.h): the long
 * options table, the run's own options and their checks, the topic names
 * of --topics, and Kafka's --producer-props word groups turned into -X
 * pairs. Apart from the measuring loop (perf_driver.c) so that each file
 * has one job. */
#include "perf_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

const struct option cli_perf_long_opts[] = {
    {"brokers", required_argument, NULL, 'b'},
    {"topic", required_argument, NULL, 't'},
    {"num-records", required_argument, NULL, 'n'},
    {"record-size", required_argument, NULL, 's'},
    {"payload-file", required_argument, NULL, CLI_PERF_OPT_PAYLOAD_FILE},
    {"payload-delimiter", required_argument, NULL, CLI_PERF_OPT_PAYLOAD_DELIM},
    {"payload-monotonic", no_argument, NULL, CLI_PERF_OPT_PAYLOAD_MONOTONIC},
    {"throughput", required_argument, NULL, 'r'},
    {"keys", required_argument, NULL, 'k'},
    {"property", required_argument, NULL, 'X'},
    {"config-file", required_argument, NULL, 'F'},
    {"producer.config", required_argument, NULL, 'F'},
    {"command-config", required_argument, NULL, 'F'}, /* Kafka 4.2's name */
    {"bootstrap-server", required_argument, NULL, 'b'},
    {"reporting-interval", required_argument, NULL, CLI_PERF_OPT_REPORTING_INTERVAL},
    {"interval", required_argument, NULL, CLI_PERF_OPT_INTERVAL},
    {"print-metrics", no_argument, NULL, CLI_PERF_OPT_PRINT_METRICS},
    {"transactional-id", required_argument, NULL, CLI_PERF_OPT_TXN_ID},
    {"transaction-duration-ms", required_argument, NULL, CLI_PERF_OPT_TXN_DURATION},
    {"transaction-records", required_argument, NULL, CLI_PERF_OPT_TXN_RECORDS},
    {"threads", required_argument, NULL, CLI_PERF_OPT_THREADS},
    {"topics", required_argument, NULL, CLI_PERF_OPT_TOPICS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cli_perf_take_opt(const char *prog, int c, const char *arg, cli_perf_opts *o) {
    long n;
    char *s;
    size_t len;
    switch (c) {
    case 'n':
        /* long is 64 bits on the platforms kprod builds for */
        if (cli_parse_long(prog, "-n", arg, 1, (long)CLI_PERF_MAX_RECORDS, &n) != 0)
            return -1;
        o->num_records = n;
        return 1;
    case 's':
        if (cli_parse_long(prog, "-s", arg, 0, 100 * 1024 * 1024, &n) != 0)
            return -1;
        o->record_size = n;
        o->record_size_given = 1;
        return 1;
    case CLI_PERF_OPT_PAYLOAD_FILE:
        o->payload_file = arg;
        return 1;
    case CLI_PERF_OPT_PAYLOAD_DELIM:
        if (cli_unescape(prog, "--payload-delimiter", arg, &s, &len) != 0)
            return -1;
        if (len == 0 || len >= sizeof(o->payload_delim)) {
            free(s);
            cli_err(prog, "--payload-delimiter '%s': expected 1 to %zu bytes", arg,
                    sizeof(o->payload_delim) - 1);
            return -1;
        }
        memcpy(o->payload_delim, s, len);
        o->payload_delim_len = len;
        free(s);
        return 1;
    case CLI_PERF_OPT_PAYLOAD_MONOTONIC:
        o->payload_monotonic = 1;
        return 1;
    case 'r':
        if (cli_parse_long(prog, "-r", arg, -1, 1000000000L, &n) != 0)
            return -1;
        if (n == 0) {
            cli_err(prog, "-r 0: give a positive rate, or -1 for no limit");
            return -1;
        }
        o->throughput = n;
        return 1;
    case 'k':
        if (cli_parse_long(prog, "-k", arg, 0, 1000000000L, &n) != 0)
            return -1;
        o->keys = n;
        return 1;
    case CLI_PERF_OPT_PRINT_METRICS:
        o->print_metrics = 1;
        return 1;
    case CLI_PERF_OPT_INTERVAL:
        if (cli_parse_long(prog, "--interval", arg, 0, 86400, &n) != 0)
            return -1;
        o->interval_s = (double)n;
        return 1;
    case CLI_PERF_OPT_REPORTING_INTERVAL:
        if (cli_parse_long(prog, "--reporting-interval", arg, 0, 86400000L, &n) != 0)
            return -1;
        o->interval_s = (double)n / 1000.0;
        return 1;
    case 'q':
        o->interval_s = 0;
        return 1;
    case CLI_PERF_OPT_TXN_ID:
        if (!*arg) {
            cli_err(prog, "--transactional-id: give a non-empty id");
            return -1;
        }
        o->txn_id = arg;
        return 1;
    case CLI_PERF_OPT_TXN_DURATION:
        if (cli_parse_long(prog, "--transaction-duration-ms", arg, 1, 86400000L, &n) != 0)
            return -1;
        o->txn_duration_ms = n;
        return 1;
    case CLI_PERF_OPT_TXN_RECORDS:
        if (cli_parse_long(prog, "--transaction-records", arg, 1, (long)CLI_PERF_MAX_RECORDS, &n) !=
            0)
            return -1;
        o->txn_records = n;
        return 1;
    case CLI_PERF_OPT_THREADS:
        if (cli_parse_long(prog, "--threads", arg, 1, CLI_PERF_MAX_THREADS, &n) != 0)
            return -1;
        o->threads = n;
        return 1;
    case CLI_PERF_OPT_TOPICS:
        if (cli_parse_long(prog, "--topics", arg, 1, CLI_PERF_MAX_TOPICS, &n) != 0)
            return -1;
        o->topics = n;
        return 1;
    default:
        return 0;
    }
}

const char *cli_perf_txn_id(const cli_perf_opts *o) {
    if (o->txn_id)
        return o->txn_id;
    /* Kafka's perf test with --transaction-duration-ms alone */
    if (o->txn_duration_ms > 0 || o->txn_records > 0)
        return "performance-producer-default-transactional-id";
    return NULL;
}

/* Transactions take one thread: begin, the records, commit, in turn. */
static int no_txn_threads(const char *prog, const cli_perf_opts *o, const char *why) {
    if (o->threads <= 1)
        return 0;
    cli_err(prog,
            "--threads %ld: not with transactions (%s): a transaction's records and its "
            "commit are one thread's sequence; drop --threads or the transaction",
            o->threads, why);
    return -1;
}

int cli_perf_txn_defaults(const char *prog, cli_perf_opts *o) {
    if (no_txn_threads(prog, o, "transactional.id is set") != 0)
        return -1;
    if (o->txn_duration_ms == 0 && o->txn_records == 0)
        o->txn_duration_ms = 3000;
    return 0;
}

char **cli_perf_topic_names(const char *prog, const char *topic, long count) {
    size_t len = strlen(topic);
    /* the pointers, then the names: topic, '.', up to 4 digits, NUL */
    _Static_assert(CLI_PERF_MAX_TOPICS <= 10000, "topic numbers of at most 4 digits");
    size_t each = len + (count > 1 ? 6 : 1);
    char **names = malloc((size_t)count * (sizeof(char *) + each));
    if (!names) {
        cli_err(prog, "out of memory");
        return NULL;
    }
    char *at = (char *)(names + count);
    for (long t = 0; t < count; t++, at += each) {
        names[t] = at;
        if (count > 1)
            snprintf(at, each, "%s.%ld", topic, t);
        else
            memcpy(at, topic, len + 1);
    }
    return names;
}

int cli_perf_check_opts(const char *prog, const cli_perf_opts *o) {
    if (o->num_records <= 0) {
        cli_err(prog, "no record count: -n NUM is required; see '%s --help'", prog);
        return -1;
    }
    if (o->record_size_given + !!o->payload_file + o->payload_monotonic != 1) {
        cli_err(prog, "give exactly one of -s SIZE, --payload-file FILE and --payload-monotonic");
        return -1;
    }
    if ((o->txn_id || o->txn_duration_ms > 0 || o->txn_records > 0) &&
        no_txn_threads(prog, o, "a transaction option is given") != 0)
        return -1;
    return 0;
}

/* --producer-props or Kafka 4.2's --command-property, alone or as
 * --NAME=VALUE (then *eq points at the '='). */
static int is_props_option(const char *w, const char **eq) {
    static const char *const names[] = {"--producer-props", "--command-property"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(w, names[i], n) == 0 && (w[n] == '\0' || w[n] == '=')) {
            *eq = w[n] == '=' ? w + n : NULL;
            return 1;
        }
    }
    return 0;
}

char **cli_perf_expand_args(const char *prog, int argc, char **argv, int *new_argc) {
    static char dash_x[] = "-X";
    /* At most two words per word of argv, and the NULL after them. */
    char **out = calloc((size_t)argc * 2 + 1, sizeof(*out));
    if (!out) {
        cli_err(prog, "out of memory");
        return NULL;
    }
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { /* the rest is not options */
            while (i < argc)
                out[n++] = argv[i++];
            break;
        }
        const char *eq = NULL;
        if (!is_props_option(argv[i], &eq)) {
            out[n++] = argv[i];
            continue;
        }
        if (eq) {
            out[n++] = dash_x;
            out[n++] = (char *)eq + 1;
            continue;
        }
        int words = 0;
        while (i + 1 < argc && argv[i + 1][0] != '-') {
            out[n++] = dash_x;
            out[n++] = argv[++i];
            words++;
        }
        if (words == 0) {
            cli_err(prog, "option '%s' needs an argument (NAME=VALUE ...)", argv[i]);
            free(out);
            return NULL;
        }
    }
    *new_argc = n;
    return out;
}

const char cli_perf_result_help[] =
    "    At the end three lines on standard output. kprod's own, with the CPU\n"
    "    time (the process's user and system time from getrusage, so all of the\n"
    "    client's threads), the peak RSS (ru_maxrss) and the percentiles to\n"
    "    the microsecond:\n"
    "        PROG: D of N records delivered, F failed, in T s; latency ms: p50 P,\n"
    "        p95 P, p99 P, p99.9 P; CPU C s (user U, sys Y) = C us/record; peak\n"
    "        RSS Z MiB\n"
    "    then Kafka's kafka-producer-perf-test final line, word for word, so\n"
    "    that parsers written for it work (D records delivered; whole ms):\n"
    "        D records sent, R records/sec (M MB/sec), A ms avg latency, X ms\n"
    "        max latency, P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.\n"
    "    and last one line for scripts, space-separated NAME=VALUE pairs:\n"
    "        RESULT client= records= sent= delivered= failed= duplicates= secs=\n"
    "        records_per_s= mb_per_s= lat_avg_ms= lat_max_ms= lat_p50_ms=\n"
    "        lat_p95_ms= lat_p99_ms= lat_p999_ms= cpu_s= cpu_user_s= cpu_sys_s=\n"
    "        cpu_us_per_record= rss_kb= bytes= transactions= ok=\n"
    "    Time runs from the first send to the last report; MB = 2^20 bytes of\n"
    "    keys and values of delivered records. The fields:\n"
    "        client             the producer library: kprod (librdkafka for\n"
    "                           bench/rdkafka_perf)\n"
    "        records            records asked for (-n)\n"
    "        sent               records the producer accepted\n"
    "        delivered          records reported delivered\n"
    "        failed             records reported failed, plus those refused\n"
    "                           at send\n"
    "        duplicates         reports beyond the first for one record\n"
    "                           (always 0 unless the client is broken)\n"
    "        secs               seconds from the first send to the last report\n"
    "        records_per_s      delivered / secs\n"
    "        mb_per_s           bytes / secs / 2^20\n"
    "        lat_avg_ms         mean send-to-report latency of delivered\n"
    "                           records, milliseconds\n"
    "        lat_max_ms         the largest latency\n"
    "        lat_p50_ms, lat_p95_ms, lat_p99_ms, lat_p999_ms\n"
    "                           latency percentiles 50, 95, 99 and 99.9\n"
    "        cpu_s              user + system CPU seconds of the process\n"
    "        cpu_user_s         user CPU seconds\n"
    "        cpu_sys_s          system CPU seconds\n"
    "        cpu_us_per_record  CPU microseconds per delivered record\n"
    "        rss_kb             peak resident set size, KiB\n"
    "        bytes              key and value bytes of delivered records\n"
    "        transactions       transactions committed (0 without\n"
    "                           --transactional-id)\n"
    "        ok                 1 when every record was delivered exactly once\n"
    "                           (and every transaction committed) and the run\n"
    "                           was not interrupted, else 0\n";
