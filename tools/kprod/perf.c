/* kprod perf: the producer performance test, after Kafka's
 * kafka-producer-perf-test. The run itself (payloads, rate limit, latency,
 * CPU, peak RSS, output) is perf_driver.c, shared with the librdkafka
 * reference in bench/, so both are measured alike; this file parses the
 * command line and connects the driver to kprod's public API. */
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprod.h"
#include "opts.h"
#include "perf_driver.h"
#include "stamp.h"

#define CMD "kprod perf"

static const char help_head[] =
    "NAME\n"
    "    kprod perf - measure the producer: throughput, latency, CPU and memory\n"
    "\n"
    "SYNOPSIS\n"
    "    kprod perf [-b BROKERS] -t TOPIC -n NUM\n"
    "               (-s SIZE | --payload-file FILE | --payload-monotonic)\n"
    "               [-r RECORDS_PER_S] [-k KEYS] [-X NAME=VALUE]... [-F FILE]...\n"
    "               [--producer-props NAME=VALUE...] [--producer.config FILE]\n"
    "               [--bootstrap-server BROKERS] [--reporting-interval MS]\n"
    "               [--payload-delimiter DELIM] [--interval SECONDS] [--print-metrics]\n"
    "               [-q] [--stamp [--run ID]] [--transactional-id ID]\n"
    "               [--transaction-duration-ms MS] [--transaction-records N]\n"
    "               [--threads N] [--topics N]\n"
    "\n"
    "DESCRIPTION\n"
    "    Sends NUM records to TOPIC as fast as the producer takes them, or at\n"
    "    the rate given by -r, and measures, like Kafka's\n"
    "    kafka-producer-perf-test, whose options it takes too (--bootstrap-server,\n"
    "    --topic, --num-records, --record-size, --throughput, --producer-props\n"
    "    and --command-property, --producer.config and --command-config,\n"
    "    --payload-file, --payload-delimiter, --payload-monotonic,\n"
    "    --reporting-interval). Every record's delivery report is checked:\n"
    "    each record must be reported exactly once, as delivered.\n"
    "\n"
    "    Values are text-like (lowercase words from a fixed random vocabulary,\n"
    "    so compression has something to do), SIZE bytes each, each a different\n"
    "    window into 1 MiB of such text; or, with --payload-file, pieces of that\n"
    "    file, chosen per record; or, with --payload-monotonic, the record's\n"
    "    number in decimal (0, 1, 2, ...), as Kafka's tool writes it. Keys are\n"
    "    null, or with -k the decimal numbers 0..KEYS-1 in turn. The bytes\n"
    "    depend only on the record's number, so every run (and\n"
    "    bench/rdkafka_perf, the librdkafka reference) sends the same bytes.\n"
    "\n"
    "    Latency is the time from the call to kprod_send to the record's\n"
    "    delivery report, on a monotonic clock; the percentiles come from a\n"
    "    histogram with buckets under 1.6 % wide.\n"
    "\n"
    "    Reports are served on the sending thread: perf calls kprod_poll(0)\n"
    "    after every send (the same loop the librdkafka reference runs with\n"
    "    rd_kafka_poll). With -X delivery.report.mode=thread kprod's report\n"
    "    thread serves them instead. With --threads N above 1, N threads\n"
    "    call kprod_send at once on the one producer (record number i by\n"
    "    thread i % N; the records, keys and values are those of one thread)\n"
    "    and never poll: a send refused for lack of buffer space is retried\n"
    "    after a sleep of 100 us, doubling up to 1 ms; the main thread alone\n"
    "    serves reports (kprod_poll with a 10 ms timeout) until they are done,\n"
    "    then flushes. This measures the producer under contention.\n"
    "\n"
    "    Every INTERVAL seconds (5) a progress line on standard output covers\n"
    "    the records delivered since the previous one:\n"
    "        kprod perf: N records delivered, R records/s (M MB/s), A ms avg\n"
    "        latency, X ms max latency\n"
    "\n";
static const char help_tail[] =
    "    The first failures are printed on standard error as\n"
    "        kprod perf: record N: error NAME: TEXT\n"
    "\n"
    "OPTIONS\n"
    "    -b, --brokers HOST:PORT[,HOST:PORT...]\n"
    "        Bootstrap servers (bootstrap.servers). Default: $KPROD_BROKERS, or\n"
    "        the value from -F or -X; one of them is required.\n"
    "    -b, --bootstrap-server HOST:PORT[,HOST:PORT...]\n"
    "        Kafka's name for -b, --brokers.\n"
    "    -t, --topic TOPIC\n"
    "        The topic to send to; it must exist. Required. With --topics N\n"
    "        above 1, the base of the N topics' names.\n"
    "    -n, --num-records NUM\n"
    "        How many records to send, 1 to 4294967295. Required.\n"
    "    -s, --record-size SIZE\n"
    "        Bytes per value, 0 to 104857600. Exactly one of -s,\n"
    "        --payload-file and --payload-monotonic is required.\n"
    "    --payload-file FILE\n"
    "        Take values from FILE, cut at the delimiter; empty pieces are\n"
    "        skipped. Default: none (generated values of -s bytes).\n"
    "    --payload-delimiter DELIM\n"
    "        Where --payload-file is cut: 1 to 63 bytes after escapes (\\n \\t\n"
    "        \\r \\0 \\\\ \\xHH), taken literally (Java's tool takes a regular\n"
    "        expression). Default: \\n.\n"
    "    --payload-monotonic\n"
    "        Values are the record numbers 0, 1, 2, ... in decimal. Default: off.\n"
    "    -r, --throughput RECORDS_PER_S\n"
    "        Send at most this many records per second, evenly spaced; -1 for\n"
    "        no limit. Default: -1.\n"
    "    -k, --keys KEYS\n"
    "        Give records the keys 0..KEYS-1 in turn (placed by the murmur2\n"
    "        partitioner, as Java's); 0 for null keys (sticky partitioning).\n"
    "        Default: 0.\n"
    "    -X, --property NAME=VALUE\n"
    "        Set any producer property, e.g. -X acks=1 -X linger.ms=5\n"
    "        -X compression.type=lz4; repeatable, applied in the order given,\n"
    "        after -F files. Default: none (the library's defaults).\n"
    "    --producer-props NAME=VALUE...\n"
    "    --command-property NAME=VALUE...\n"
    "        Kafka's form of -X: one or more NAME=VALUE words (up to the next\n"
    "        word starting with -). Default: none.\n"
    "    -F, --config-file FILE\n"
    "        Read properties from a Java-style .properties file; repeatable.\n"
    "        Default: none.\n"
    "    -F, --producer.config FILE\n"
    "    -F, --command-config FILE\n"
    "        Kafka's names for -F, --config-file. Default: none.\n"
    "    --interval SECONDS\n"
    "        Seconds between progress lines; 0 for none. Default: 5.\n"
    "    --reporting-interval MS\n"
    "        Kafka's form of --interval, in milliseconds. Default: 5000.\n"
    "    --print-metrics\n"
    "        After the summary, print the producer's statistics as one line,\n"
    "            METRICS {...}\n"
    "        the JSON document of docs/STATISTICS.md taken when every record\n"
    "        was reported (as Kafka's tool prints its producer metrics).\n"
    "        Default: off.\n"
    "    -q, --quiet\n"
    "        No progress lines (as --interval 0). Default: print them.\n"
    "    --stamp\n"
    "        Stamp every record for 'kprod verify': a header kprod-stamp with\n"
    "        the value RUN:SEQ, SEQ counting the records of each key (-k; all\n"
    "        records together without keys) from 0 in the order sent. The run\n"
    "        id is printed on standard error at the start ('kprod perf:\n"
    "        stamping run ID'); then 'kprod verify -t TOPIC --run ID --count\n"
    "        NUM' proves the run arrived exactly once and in order. The header\n"
    "        (about 30 bytes a record) is sent and measured too. Default: off.\n"
    "    --run ID\n"
    "        The run id of --stamp (implies it): 1 to 64 of A-Z a-z 0-9 . _ -.\n"
    "        Default: a fresh one, r followed by the time and the process id.\n"
    "    --transactional-id ID\n"
    "        Send in transactions (sets transactional.id; -X transactional.id=ID\n"
    "        does too): kprod_txn_init once, then kprod_txn_begin, the records,\n"
    "        kprod_txn_commit, over and over, as Kafka's perf test. Default:\n"
    "        none; with only a transaction length below,\n"
    "        performance-producer-default-transactional-id.\n"
    "    --transaction-duration-ms MS\n"
    "        Commit once a transaction is MS old (checked after each send).\n"
    "        Default: 3000 when transactional, unless --transaction-records.\n"
    "    --transaction-records N\n"
    "        Commit every N records (kprod's addition). Default: none.\n"
    "    --threads N\n"
    "        Send from N application threads at once, 1 to 64, through the one\n"
    "        producer: record number i is sent by thread i % N; the main thread\n"
    "        only serves reports (see DESCRIPTION). With -r each thread keeps\n"
    "        the one schedule for its own records (record i at i / RATE\n"
    "        seconds from the start). Not with transactions, nor with --stamp\n"
    "        (kprod's addition). Default: 1 (the main thread sends and serves\n"
    "        reports).\n"
    "    --topics N\n"
    "        Spread the records over N topics, 1 to 10000: record number i goes\n"
    "        to topic i % N. Above 1 the topics are named TOPIC.0 ..\n"
    "        TOPIC.<N-1>, TOPIC being -t's value, and must all exist. Not with\n"
    "        --stamp (kprod's addition). Default: 1 (TOPIC itself).\n"
    "    -h, --help\n"
    "        Print this help and exit.\n"
    "\n"
    "EXAMPLES\n"
    "    kprod perf -b localhost:9092 -t bench -n 1000000 -s 100\n"
    "    kprod perf -t bench -n 100000 -s 1024 -X compression.type=lz4 -X acks=1\n"
    "    kprod perf -t bench -n 10000 -s 100 -r 1000 -X linger.ms=0   # latency\n"
    "    kprod perf -t bench -n 500000 -s 100 -k 1000 -F producer.properties\n"
    "    kprod perf -t bench -n 100000 -s 100 -k 12 --stamp --run p1 && \\\n"
    "        kprod verify -t bench --run p1 --count 100000\n"
    "    kprod perf --topic bench --num-records 100000 --record-size 100 \\\n"
    "        --throughput -1 --producer-props bootstrap.servers=localhost:9092 acks=1\n"
    "    kprod perf -t bench -n 100000 -s 100 --transactional-id perf-1 \\\n"
    "        --transaction-duration-ms 1000\n"
    "    kprod perf -t bench -n 1000000 -s 100 --threads 4   # contention\n"
    "    kprod perf -t bench -n 1000000 -s 100 --topics 100  # bench.0 .. bench.99\n"
    "\n"
    "EXIT STATUS\n"
    "    0  every record was delivered, each reported exactly once\n"
    "    1  a record failed or was refused, a report was missing or doubled, or\n"
    "       the run was interrupted (SIGINT, SIGTERM; a second one ends at once)\n"
    "    2  bad command line or configuration (nothing was sent)\n"
    "\n"
    "ENVIRONMENT\n"
    "    KPROD_BROKERS  bootstrap servers used when -b is not given\n";

/* kprod perf's own options beside the shared ones. */
enum { OPT_STAMP = 2000, OPT_RUN };
typedef struct stamp_opts {
    int on;
    const char *run;
} stamp_opts;

/* The shared options' table (perf_driver.h) and --stamp, --run. */
static const struct option *long_opts(void) {
    static struct option all[64];
    if (all[0].name)
        return all;
    size_t n = 0;
    while (cli_perf_long_opts[n].name && n < 60) {
        all[n] = cli_perf_long_opts[n];
        n++;
    }
    all[n++] = (struct option){"stamp", no_argument, NULL, OPT_STAMP};
    all[n++] = (struct option){"run", required_argument, NULL, OPT_RUN};
    all[n] = (struct option){NULL, 0, NULL, 0};
    return all;
}

/* Parses the command line (the options' table and the run's own options
 * are shared with bench/rdkafka_perf, see perf_driver.h). Returns -1 to go
 * on, else an exit code. */
static int parse_args(int argc, char **argv, cli_perf_opts *o, cli_conf_args *conf,
                      const char **topic, stamp_opts *st) {
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, CLI_PERF_SHORT_OPTS, long_opts(), NULL)) != -1) {
        int taken = cli_perf_take_opt(CMD, c, optarg, o);
        if (taken < 0)
            return CLI_EXIT_USAGE;
        if (taken)
            continue;
        switch (c) {
        case 'b':
            conf->brokers = optarg;
            break;
        case 't':
            *topic = optarg;
            break;
        case 'X':
        case 'F':
            if ((c == 'X' ? cli_conf_add_prop(conf, optarg) : cli_conf_add_file(conf, optarg)) !=
                0) {
                cli_err(CMD, "out of memory");
                return CLI_EXIT_FAIL;
            }
            break;
        case OPT_STAMP:
            st->on = 1;
            break;
        case OPT_RUN:
            if (!cli_stamp_run_ok(optarg)) {
                cli_err(CMD, "--run '%s': a run id is 1 to 64 of A-Z a-z 0-9 . _ -", optarg);
                return CLI_EXIT_USAGE;
            }
            st->on = 1;
            st->run = optarg;
            break;
        case 'h':
            fputs(help_head, stdout);
            fputs(cli_perf_result_help, stdout);
            fputs(help_tail, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_bad_option(CMD, c, argv, long_opts());
        }
    }
    if (optind < argc) {
        cli_err(CMD, "unexpected argument '%s'; see 'kprod perf --help'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (!*topic || !**topic) {
        cli_err(CMD, "no topic: -t TOPIC is required; see 'kprod perf --help'");
        return CLI_EXIT_USAGE;
    }
    return cli_perf_check_opts(CMD, o) == 0 ? -1 : CLI_EXIT_USAGE;
}

typedef struct perf_ctx {
    kprod_t *p;
    char **topics; /* by topic number (cli_perf_topic_names) */
    cli_perfrun *pf;
    int thread_mode;      /* delivery.report.mode=thread: nothing to poll */
    atomic_long refusals; /* refused sends, for limiting their messages */
    int stamping;         /* --stamp */
    cli_stamper stamper;
} perf_ctx;

/* statistics.interval.ms set: the documents are taken, as an application
 * would take them, so that a run measures what statistics cost. Counted,
 * and the count printed at the end (they may come on kprod's report
 * thread, hence atomic). */
static atomic_long stats_docs;
static void on_stats(const char *json, size_t json_len, void *opaque) {
    (void)json;
    (void)json_len;
    (void)opaque;
    atomic_fetch_add(&stats_docs, 1);
}

static void on_delivery(const kprod_report_t *r, void *cb_opaque) {
    perf_ctx *x = cb_opaque;
    if (r->err == KPROD_ERR_NO_ERROR)
        cli_perf_report(x->pf, r->opaque, NULL, NULL);
    else
        cli_perf_report(x->pf, r->opaque, kprod_err_name(r->err), kprod_err_str(r->err));
}

/* On --threads sender threads at once: kprod_send is thread-safe, the
 * stamper is not (--stamp takes one thread, see check_stamp). */
static cli_perf_send_rc perf_send(void *ctx, unsigned topic, const void *key, size_t key_len,
                                  const void *value, size_t value_len, void *opaque) {
    perf_ctx *x = ctx;
    kprod_record_t rec = KPROD_RECORD_INIT;
    rec.topic = x->topics[topic];
    rec.key = key;
    rec.key_len = key_len;
    rec.value = value;
    rec.value_len = value_len;
    if (x->stamping && cli_stamper_apply(&x->stamper, &rec) != 0) {
        cli_err(CMD, "out of memory (stamping)");
        return CLI_PERF_STOP;
    }
    kprod_err_t err = kprod_send(x->p, &rec, NULL, opaque);
    if (err == KPROD_ERR_NO_ERROR)
        return CLI_PERF_SENT;
    if (atomic_fetch_add(&x->refusals, 1) < 5)
        cli_err(CMD, "send refused: %s: %s", kprod_err_name(err), kprod_err_str(err));
    /* Errors that will repeat for every record end the run. */
    switch (err) {
    case KPROD_ERR__FATAL:
    case KPROD_ERR__CLOSED:
    case KPROD_ERR__UNKNOWN_TOPIC:
    case KPROD_ERR__INVALID_TOPIC:
    case KPROD_ERR__TIMED_OUT:
        return CLI_PERF_STOP;
    default:
        return CLI_PERF_FAILED;
    }
}

static void perf_poll(void *ctx, int timeout_ms) {
    perf_ctx *x = ctx;
    if (!x->thread_mode)
        kprod_poll(x->p, timeout_ms);
    else if (timeout_ms > 0)
        kprod_poll(x->p, timeout_ms); /* only waits: reports are served elsewhere */
}

static void perf_flush(void *ctx) {
    perf_ctx *x = ctx;
    kprod_flush(x->p, -1); /* delivery.timeout.ms bounds every record */
}

static int perf_begin(void *ctx) {
    perf_ctx *x = ctx;
    kprod_err_t err = kprod_txn_begin(x->p);
    if (err)
        cli_err(CMD, "kprod_txn_begin: %s: %s", kprod_err_name(err), kprod_last_errstr());
    return err ? -1 : 0;
}

/* Commits (flushing first: reports are served here), calling again while
 * the error is retriable; a failed transaction is aborted. */
static int perf_commit(void *ctx) {
    perf_ctx *x = ctx;
    kprod_err_t err;
    while (kprod_txn_error_class(err = kprod_txn_commit(x->p, 60000)) == KPROD_TXN_ERR_RETRIABLE)
        ;
    if (!err)
        return 0;
    cli_err(CMD, "kprod_txn_commit: %s: %s", kprod_err_name(err), kprod_last_errstr());
    if (kprod_txn_error_class(err) == KPROD_TXN_ERR_ABORTABLE)
        kprod_txn_abort(x->p, 60000);
    return -1;
}

/* A transactional producer: transactional.id set by the options (which win
 * over -X and -F) or by the properties; then its kprod_txn_init. 0, or an
 * exit code (printed). */
static int perf_txn_setup(kprod_conf_t *conf, cli_perf_opts *o, int *transactional) {
    const char *id = cli_perf_txn_id(o);
    char errstr[512], val[8] = "";
    if (id && kprod_conf_set(conf, "transactional.id", id, errstr, sizeof(errstr)) != 0) {
        cli_err(CMD, "%s", errstr);
        return CLI_EXIT_USAGE;
    }
    kprod_conf_get(conf, "transactional.id", val, sizeof(val));
    *transactional = val[0] != '\0';
    if (*transactional && cli_perf_txn_defaults(CMD, o) != 0)
        return CLI_EXIT_USAGE;
    return 0;
}

int cli_perf(int argc, char **argv) {
    cli_perf_opts o = CLI_PERF_OPTS_INIT;
    cli_conf_args conf_args = {0};
    const char *topic = NULL;
    cli_perfrun *pf = NULL;
    int rc = CLI_EXIT_USAGE;
    char **args = cli_perf_expand_args(CMD, argc, argv, &argc);
    if (!args)
        return rc;
    stamp_opts st = {0};
    perf_ctx x = {.topics = NULL};
    rc = parse_args(argc, args, &o, &conf_args, &topic, &st);
    if (rc >= 0)
        goto done;
    if (st.on && (o.threads > 1 || o.topics > 1)) {
        /* verify reads one topic, and a key's sequence numbers must
         * follow the order its records were sent in */
        cli_err(CMD, "--stamp: not with --threads or --topics above 1 (kprod verify checks one "
                     "topic, stamped in one thread's order)");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    x.topics = cli_perf_topic_names(CMD, topic, o.topics);
    if (!x.topics) {
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (st.on) {
        if (cli_stamper_init(&x.stamper, CMD, st.run) != 0) {
            rc = CLI_EXIT_FAIL;
            goto done;
        }
        x.stamping = 1;
        cli_err(CMD, "stamping run %s", x.stamper.run);
    }
    kprod_conf_t *conf = cli_conf_build(CMD, &conf_args, &rc);
    if (!conf)
        goto done;
    int transactional = 0;
    if ((rc = perf_txn_setup(conf, &o, &transactional)) != 0) {
        kprod_conf_destroy(conf);
        goto done;
    }
    rc = -1;
    char mode[16] = "";
    kprod_conf_get(conf, "delivery.report.mode", mode, sizeof(mode));
    x.thread_mode = strcmp(mode, "thread") == 0;
    kprod_conf_set_delivery_cb(conf, on_delivery, &x);
    char stats_ms[24] = "0";
    kprod_conf_get(conf, "statistics.interval.ms", stats_ms, sizeof(stats_ms));
    int with_stats = strtol(stats_ms, NULL, 10) > 0;
    if (with_stats)
        kprod_conf_set_stats_cb(conf, on_stats, NULL);
    pf = cli_perf_new(CMD, &o);
    if (!pf) {
        kprod_conf_destroy(conf);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    x.pf = pf;
    x.p = cli_producer_new(CMD, conf, &rc);
    if (!x.p)
        goto done;
    if (transactional) {
        kprod_err_t err = kprod_txn_init(x.p, 60000);
        if (err) {
            cli_err(CMD, "kprod_txn_init: %s: %s", kprod_err_name(err), kprod_last_errstr());
            kprod_close(x.p, 0);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    cli_perf_client client = {
        .name = "kprod",
        .ctx = &x,
        .send = perf_send,
        .poll = perf_poll,
        .flush = perf_flush,
        .begin = transactional ? perf_begin : NULL,
        .commit = transactional ? perf_commit : NULL,
    };
    cli_perf_run(pf, &client);
    /* Taken after the flush, before the close: what the run did. */
    kprod_stats_t *metrics = NULL;
    if (o.print_metrics && kprod_stats_get(x.p, 5000, &metrics) != KPROD_ERR_NO_ERROR)
        cli_err(CMD, "--print-metrics: no statistics from the producer within 5 s");
    kprod_close(x.p, 0);
    if (with_stats)
        fprintf(stderr, "%s: %ld statistics documents taken\n", CMD, atomic_load(&stats_docs));
    rc = cli_perf_finish(pf);
    pf = NULL;
    if (metrics) {
        printf("METRICS %s\n", kprod_stats_json(metrics));
        kprod_stats_destroy(metrics);
    }
done:
    cli_stamper_free(&x.stamper);
    free(x.topics);
    if (pf)
        cli_perf_free(pf);
    cli_conf_args_free(&conf_args);
    free(args);
    return rc;
}
