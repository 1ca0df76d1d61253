/* rdkafka_perf: the librdkafka reference for `kprod perf`. The same
 * options, the same run loop and the same measurements (perf_driver.c from
 * tools/kprod), with librdkafka as the producer, so that bench/run.sh can
 * put the two side by side. Built only in bench/ and never installed.
 *
 * Fairness: records are sent with rd_kafka_producev on topic handles made
 * once (one per topic of --topics), RD_KAFKA_MSG_F_COPY (librdkafka copies, as kprod does), reports
 * come through dr_msg_cb served by rd_kafka_poll on the sending thread,
 * and a full queue is waited out with rd_kafka_poll(10 ms) as librdkafka's
 * own examples do (with --threads, the driver's sender threads call
 * rd_kafka_producev at once and only the main thread polls, as for
 * kprod). The partitioner is murmur2_random (Java's, as kprod's)
 * unless -X partitioner=... says otherwise. Java property names that
 * librdkafka does not know are mapped (see set_prop). */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "perf_driver.h"

#define PROG "rdkafka_perf"

static const char help_text[] =
    "Usage: rdkafka_perf [-b BROKERS] -t TOPIC -n NUM\n"
    "                    (-s SIZE | --payload-file FILE | --payload-monotonic)\n"
    "                    [-r RECORDS_PER_S] [-k KEYS] [-X NAME=VALUE]... [-F FILE]...\n"
    "                    [--payload-delimiter DELIM] [--interval SECONDS] [-q]\n"
    "                    [--transactional-id ID] [--transaction-duration-ms MS]\n"
    "                    [--transaction-records N] [--threads N] [--topics N]\n"
    "\n"
    "The librdkafka reference for 'kprod perf': the same options, the same\n"
    "records and the same output (see 'kprod perf --help'), the RESULT line\n"
    "with client=librdkafka. Properties (-X, -F) go to librdkafka; the Java\n"
    "names buffer.memory (bytes, as queue.buffering.max.kbytes, with\n"
    "queue.buffering.max.messages lifted to its maximum: bytes alone bound\n"
    "the queue, as in kprod),\n"
    "max.request.size (as message.max.bytes) and compression.TYPE.level (as\n"
    "compression.level) are mapped; delivery.report.mode\n"
    "(kprod only) is ignored. -F reads name=value lines (# and ! comments).\n"
    "The partitioner defaults to murmur2_random, the Java client's.\n"
    "--threads N (1 to 64) sends from N threads at once through the one\n"
    "producer (record i by thread i % N), the main thread serving reports;\n"
    "--topics N (1 to 10000) sends record i to topic TOPIC.<i % N> (TOPIC\n"
    "itself when N is 1), with a topic handle per topic made once.\n"
    "Brokers default to $KPROD_BROKERS. Exit status: 0 every record delivered,\n"
    "1 otherwise, 2 bad command line or configuration.\n";

typedef struct rk_ctx {
    rd_kafka_t *rk;
    rd_kafka_topic_t **rkt; /* by topic number */
    long n_rkt;
    cli_perfrun *pf;
    atomic_long refusals; /* sends may run on several threads */
} rk_ctx;

/* Sets one property, mapping the Java names librdkafka lacks. */
static int set_prop(rd_kafka_conf_t *conf, const char *name, const char *value) {
    char buf[64], errstr[512];
    if (strcmp(name, "delivery.report.mode") == 0)
        return 0; /* kprod only */
    if (strcmp(name, "buffer.memory") == 0) {
        /* kprod and Java bound the queue by bytes alone; librdkafka also
         * stops at queue.buffering.max.messages (100,000 by default), which
         * for 100-byte records is a tenth of 32 MiB. Lifted, so that the
         * same byte limit holds on both sides. */
        if (rd_kafka_conf_set(conf, "queue.buffering.max.messages", "2147483647", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, PROG ": queue.buffering.max.messages: %s\n", errstr);
            return -1;
        }
        snprintf(buf, sizeof(buf), "%lld", atoll(value) / 1024);
        name = "queue.buffering.max.kbytes";
        value = buf;
    } else if (strcmp(name, "max.request.size") == 0) {
        name = "message.max.bytes";
    } else if (strcmp(name, "compression.gzip.level") == 0 ||
               strcmp(name, "compression.lz4.level") == 0 ||
               strcmp(name, "compression.zstd.level") == 0) {
        name = "compression.level";
    }
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, PROG ": %s=%s: %s\n", name, value, errstr);
        return -1;
    }
    return 0;
}

static int set_name_eq_value(rd_kafka_conf_t *conf, const char *nv, const char *seps) {
    size_t n = strcspn(nv, seps);
    if (nv[n] == '\0' || n == 0) {
        fprintf(stderr, PROG ": '%s': expected name=value\n", nv);
        return -1;
    }
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)n, nv);
    const char *v = nv + n + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    return set_prop(conf, name, v);
}

/* A .properties file without continuation lines: enough for benchmarks. */
static int load_file(rd_kafka_conf_t *conf, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, PROG ": cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        s[strcspn(s, "\r\n")] = '\0';
        if (*s == '\0' || *s == '#' || *s == '!')
            continue;
        for (char *e = s + strcspn(s, "=:"); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
            memmove(e - 1, e, strlen(e) + 1);
        rc = set_name_eq_value(conf, s, "=:");
    }
    fclose(f);
    return rc;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    rk_ctx *x = opaque;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        cli_perf_report(x->pf, m->_private, NULL, NULL);
    else
        cli_perf_report(x->pf, m->_private, rd_kafka_err2name(m->err), rd_kafka_err2str(m->err));
}

static cli_perf_send_rc rk_send(void *ctx, unsigned topic, const void *key, size_t key_len,
                                const void *value, size_t value_len, void *opaque) {
    rk_ctx *x = ctx;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        x->rk, RD_KAFKA_V_RKT(x->rkt[topic]), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)value, value_len),
        RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return CLI_PERF_SENT;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return CLI_PERF_FULL;
    if (atomic_fetch_add(&x->refusals, 1) < 5)
        fprintf(stderr, PROG ": send refused: %s: %s\n", rd_kafka_err2name(err),
                rd_kafka_err2str(err));
    return err == RD_KAFKA_RESP_ERR__FATAL ? CLI_PERF_STOP : CLI_PERF_FAILED;
}

static void rk_poll(void *ctx, int timeout_ms) {
    rk_ctx *x = ctx;
    rd_kafka_poll(x->rk, timeout_ms);
}

static void rk_flush(void *ctx) {
    rk_ctx *x = ctx;
    while (rd_kafka_flush(x->rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT)
        ; /* message.timeout.ms bounds every record */
}

/* Prints a failed transactional call; -1. The error object is destroyed. */
static int txn_failed(const char *what, rd_kafka_error_t *e) {
    fprintf(stderr, PROG ": %s: %s: %s\n", what, rd_kafka_error_name(e), rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return -1;
}

static int rk_begin(void *ctx) {
    rk_ctx *x = ctx;
    rd_kafka_error_t *e = rd_kafka_begin_transaction(x->rk);
    return e ? txn_failed("rd_kafka_begin_transaction", e) : 0;
}

/* As kprod perf's: commit (it flushes, serving reports), again while
 * retriable; a failed transaction is aborted. */
static int rk_commit(void *ctx) {
    rk_ctx *x = ctx;
    rd_kafka_error_t *e;
    while ((e = rd_kafka_commit_transaction(x->rk, 60000)) && rd_kafka_error_is_retriable(e))
        rd_kafka_error_destroy(e);
    if (!e)
        return 0;
    if (rd_kafka_error_txn_requires_abort(e)) {
        rd_kafka_error_t *a = rd_kafka_abort_transaction(x->rk, 60000);
        if (a)
            rd_kafka_error_destroy(a);
    }
    return txn_failed("rd_kafka_commit_transaction", e);
}

/* A topic handle per topic of --topics, by topic number. 0, or -1
 * (printed). */
static int new_topics(rk_ctx *x, const char *topic, long count) {
    char **names = cli_perf_topic_names(PROG, topic, count);
    x->rkt = names ? calloc((size_t)count, sizeof(*x->rkt)) : NULL;
    if (!x->rkt) {
        free(names);
        return -1;
    }
    for (x->n_rkt = 0; x->n_rkt < count; x->n_rkt++) {
        x->rkt[x->n_rkt] = rd_kafka_topic_new(x->rk, names[x->n_rkt], NULL);
        if (!x->rkt[x->n_rkt]) {
            fprintf(stderr, PROG ": topic '%s': %s\n", names[x->n_rkt],
                    rd_kafka_err2str(rd_kafka_last_error()));
            free(names);
            return -1;
        }
    }
    free(names);
    return 0;
}

static void destroy_topics(rk_ctx *x) {
    for (long t = 0; t < x->n_rkt; t++)
        rd_kafka_topic_destroy(x->rkt[t]);
    free(x->rkt);
    x->rkt = NULL;
    x->n_rkt = 0;
}

/* The program after its command line's --producer-props groups were
 * expanded (main). */
static int run(int argc, char **argv) {
    cli_perf_opts o = CLI_PERF_OPTS_INIT;
    const char *topic = NULL, *brokers = NULL;
    int c;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    /* Java's partitioner, as kprod's; -X partitioner=... still wins. */
    rd_kafka_conf_set(conf, "partitioner", "murmur2_random", NULL, 0);
    /* -F applies before -X, whatever the order on the command line. */
    const char **props = calloc((size_t)argc, sizeof(*props));
    size_t n_props = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, CLI_PERF_SHORT_OPTS, cli_perf_long_opts, NULL)) != -1) {
        int taken = cli_perf_take_opt(PROG, c, optarg, &o);
        if (taken < 0)
            return CLI_EXIT_USAGE;
        if (taken)
            continue;
        switch (c) {
        case 'b':
            brokers = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'X':
            props[n_props++] = optarg;
            break;
        case 'F':
            if (load_file(conf, optarg) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'h':
            fputs(help_text, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_bad_option(PROG, c, argv, cli_perf_long_opts);
        }
    }
    if (optind < argc) {
        cli_err(PROG, "unexpected argument '%s'; see '" PROG " --help'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (!topic || !*topic) {
        cli_err(PROG, "no topic: -t TOPIC is required; see '" PROG " --help'");
        return CLI_EXIT_USAGE;
    }
    if (o.print_metrics) {
        fprintf(stderr,
                "%s: --print-metrics: librdkafka has no statistics snapshot to print "
                "(kprod perf only)\n",
                PROG);
        return 2;
    }
    if (cli_perf_check_opts(PROG, &o) != 0)
        return CLI_EXIT_USAGE;
    if (!brokers)
        brokers = getenv("KPROD_BROKERS");
    if (brokers && set_prop(conf, "bootstrap.servers", brokers) != 0)
        return CLI_EXIT_USAGE;
    for (size_t i = 0; i < n_props; i++)
        if (set_name_eq_value(conf, props[i], "=") != 0)
            return CLI_EXIT_USAGE;
    free(props);
    /* Transactions: as kprod perf (the option wins over -X and -F). */
    const char *tid = cli_perf_txn_id(&o);
    if (tid && set_prop(conf, "transactional.id", tid) != 0)
        return CLI_EXIT_USAGE;
    char tval[256] = "";
    size_t tlen = sizeof(tval);
    int transactional =
        rd_kafka_conf_get(conf, "transactional.id", tval, &tlen) == RD_KAFKA_CONF_OK && tval[0];
    if (transactional && cli_perf_txn_defaults(PROG, &o) != 0)
        return CLI_EXIT_USAGE;

    rk_ctx x = {0};
    x.pf = cli_perf_new(PROG, &o);
    if (!x.pf)
        return CLI_EXIT_USAGE;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &x);
    x.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!x.rk) {
        fprintf(stderr, PROG ": %s\n", errstr);
        cli_perf_free(x.pf);
        return CLI_EXIT_USAGE;
    }
    if (new_topics(&x, topic, o.topics) != 0) {
        destroy_topics(&x);
        rd_kafka_destroy(x.rk);
        cli_perf_free(x.pf);
        return CLI_EXIT_FAIL;
    }
    if (transactional) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(x.rk, 60000);
        if (e) {
            txn_failed("rd_kafka_init_transactions", e);
            destroy_topics(&x);
            rd_kafka_destroy(x.rk);
            cli_perf_free(x.pf);
            return CLI_EXIT_FAIL;
        }
    }
    cli_perf_client client = {
        .name = "librdkafka",
        .ctx = &x,
        .send = rk_send,
        .poll = rk_poll,
        .flush = rk_flush,
        .begin = transactional ? rk_begin : NULL,
        .commit = transactional ? rk_commit : NULL,
    };
    cli_perf_run(x.pf, &client);
    destroy_topics(&x);
    rd_kafka_destroy(x.rk);
    return cli_perf_finish(x.pf);
}

int main(int argc, char **argv) {
    char **args = cli_perf_expand_args(PROG, argc, argv, &argc); /* --producer-props A=1 B=2 */
    if (!args)
        return CLI_EXIT_USAGE;
    int rc = run(argc, args);
    free(args);
    return rc;
}
