/* kprod produce: send each line of standard input or of files as one
 * record. Delivery reports are served while sending; each record's opaque
 * carries its file and line so that a failure is reported where the input
 * was. Exit 0 only when every record was delivered. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "kprod.h"
#include "opts.h"

#define CMD "kprod produce"

static const char help_text[] =
    "NAME\n"
    "    kprod produce - send records to a Kafka topic, one per line\n"
    "\n"
    "SYNOPSIS\n"
    "    kprod produce [-b BROKERS] -t TOPIC [-p PARTITION] [-K DELIM] [-D DELIM]\n"
    "                  [-H NAME=VALUE]... [-X NAME=VALUE]... [-F FILE]...\n"
    "                  [--null-marker TEXT] [-q] [FILE...]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads records from each FILE in turn, or from standard input when no\n"
    "    FILE is given (a FILE of - is standard input too), and sends each one\n"
    "    to TOPIC. A record ends at the delimiter (a newline by default), which\n"
    "    is not part of the record; the last record needs no delimiter. An\n"
    "    empty line is a record with an empty value. Bytes are sent as they\n"
    "    are: with Windows line endings, each value keeps its trailing \\r\n"
    "    unless -D is used accordingly.\n"
    "\n"
    "    With -K, each record is split at the first occurrence of the key\n"
    "    delimiter into a key and a value; a record without it is sent whole as\n"
    "    the value with a null key. Keyed records are placed by the Java\n"
    "    client's murmur2 partitioner, so a key goes to the same partition as\n"
    "    from a Java producer; records without a key go to a sticky partition.\n"
    "\n"
    "    A record that fails is reported on standard error as\n"
    "        FILE:LINE: error NAME: TEXT\n"
    "    (FILE is \"stdin\" for standard input; LINE counts records from 1).\n"
    "    At the end kprod waits until every record has been delivered or has\n"
    "    failed (at most delivery.timeout.ms, 120000 by default) and prints a\n"
    "    summary on standard error:\n"
    "        kprod produce: R records read, D delivered, F failed, B bytes, S s, N records/s\n"
    "    where B counts the key and value bytes of delivered records.\n"
    "\n"
    "OPTIONS\n"
    "    -b, --brokers HOST:PORT[,HOST:PORT...]\n"
    "        Bootstrap servers (bootstrap.servers). Default: $KPROD_BROKERS, or\n"
    "        the value from -F or -X; one of them is required.\n"
    "    -t, --topic TOPIC\n"
    "        The topic to send to. Required.\n"
    "    -p, --partition N\n"
    "        Send every record to partition N. Default: chosen per record by\n"
    "        the partitioner (see DESCRIPTION).\n"
    "    -K, --key-delimiter DELIM\n"
    "        Split each record into key and value at the first DELIM (one or\n"
    "        more bytes, escapes allowed). Default: no key (null keys).\n"
    "    -D, --delimiter DELIM\n"
    "        The record delimiter: exactly one byte after escapes. Default: \\n.\n"
    "        Escapes for -D and -K: \\n \\t \\r \\0 \\\\ \\xHH; e.g. -D '\\0' for\n"
    "        NUL-separated input (as from find -print0).\n"
    "    -H, --header NAME=VALUE\n"
    "        Add a header to every record; repeatable, sent in the order given.\n"
    "        NAME without =VALUE gives a header with a null value. Default: none.\n"
    "    -X, --property NAME=VALUE\n"
    "        Set any producer property, e.g. -X acks=1 -X linger.ms=20\n"
    "        -X compression.type=zstd; repeatable, applied in the order given,\n"
    "        after -F files, so the command line wins. The library's defaults\n"
    "        (Java client's names and values) apply to everything not set.\n"
    "        Default: none.\n"
    "    -F, --config-file FILE\n"
    "        Read properties from a Java-style .properties file (a Java\n"
    "        producer.properties carries over); repeatable. Default: none.\n"
    "    --null-marker TEXT\n"
    "        A key or value exactly equal to TEXT is sent as null (e.g.\n"
    "        --null-marker NULL for tombstones). Default: none (no nulls except\n"
    "        the key of a record without the -K delimiter).\n"
    "    -q, --quiet\n"
    "        Do not print the summary. Errors are printed all the same.\n"
    "        Default: print it.\n"
    "    -h, --help\n"
    "        Print this help and exit.\n"
    "\n"
    "EXAMPLES\n"
    "    echo hello | kprod produce -b localhost:9092 -t greetings\n"
    "    kprod produce -b localhost:9092 -t users -K: users.txt   # lines id:json\n"
    "    kprod produce -t logs -H source=web -X compression.type=lz4 < app.log\n"
    "    find . -print0 | kprod produce -t paths -D '\\0'\n"
    "    kprod produce -F producer.properties -t orders -p 0 -q orders.txt\n"
    "\n"
    "EXIT STATUS\n"
    "    0  every record was delivered\n"
    "    1  at least one record failed, an input could not be read, or the\n"
    "       run was interrupted (SIGINT, SIGTERM; a second one ends at once)\n"
    "    2  bad command line or configuration (nothing was sent)\n"
    "\n"
    "ENVIRONMENT\n"
    "    KPROD_BROKERS  bootstrap servers used when -b is not given\n";

enum { OPT_NULL_MARKER = 1000 };

static const struct option long_opts[] = {
    {"brokers", required_argument, NULL, 'b'},
    {"topic", required_argument, NULL, 't'},
    {"partition", required_argument, NULL, 'p'},
    {"key-delimiter", required_argument, NULL, 'K'},
    {"delimiter", required_argument, NULL, 'D'},
    {"header", required_argument, NULL, 'H'},
    {"property", required_argument, NULL, 'X'},
    {"config-file", required_argument, NULL, 'F'},
    {"null-marker", required_argument, NULL, OPT_NULL_MARKER},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct produce_opts {
    cli_conf_args conf;
    const char *topic;
    int32_t partition;
    char delim;
    char *key_delim; /* NULL: no keys */
    size_t key_delim_len;
    kprod_header_t *headers; /* names are malloc'd copies */
    size_t n_headers;
    const char *null_marker;
    int quiet;
} produce_opts;

/* Outcome counters; atomic because with delivery.report.mode=thread the
 * reports arrive on kprod's thread. */
typedef struct produce_stats {
    atomic_long delivered;
    atomic_long failed;
    atomic_ullong bytes;
} produce_stats;

/* Each record's opaque: where it came from and how big it was. */
typedef struct rec_tag {
    const char *file;
    long line;
    size_t bytes;
} rec_tag;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

static void on_delivery(const kprod_report_t *r, void *cb_opaque) {
    produce_stats *st = cb_opaque;
    rec_tag *tag = r->opaque;
    if (r->err == KPROD_ERR_NO_ERROR) {
        atomic_fetch_add(&st->delivered, 1);
        atomic_fetch_add(&st->bytes, tag ? tag->bytes : 0);
    } else {
        atomic_fetch_add(&st->failed, 1);
        fprintf(stderr, "%s:%ld: error %s: %s%s\n", tag ? tag->file : "?", tag ? tag->line : 0L,
                kprod_err_name(r->err), kprod_err_str(r->err),
                r->possibly_persisted ? " (possibly persisted)" : "");
    }
    free(tag);
}

static int add_header(produce_opts *o, const char *arg) {
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (name_len == 0) {
        cli_err(CMD, "-H '%s': expected NAME=VALUE with a non-empty NAME", arg);
        return -1;
    }
    kprod_header_t *h = realloc(o->headers, (o->n_headers + 1) * sizeof(*h));
    char *name = malloc(name_len + 1);
    if (h)
        o->headers = h;
    if (!h || !name) {
        free(name);
        cli_err(CMD, "out of memory");
        return -1;
    }
    memcpy(name, arg, name_len);
    name[name_len] = '\0';
    h[o->n_headers].name = name;
    h[o->n_headers].value = eq ? eq + 1 : NULL;
    h[o->n_headers].value_len = eq ? strlen(eq + 1) : 0;
    o->n_headers++;
    return 0;
}

static void free_opts(produce_opts *o) {
    cli_conf_args_free(&o->conf);
    for (size_t i = 0; i < o->n_headers; i++)
        free((char *)o->headers[i].name);
    free(o->headers);
    free(o->key_delim);
}

/* Parses the command line into o. Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv, produce_opts *o) {
    int c;
    long n;
    char *s;
    size_t len;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":b:t:p:K:D:H:X:F:qh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->conf.brokers = optarg;
            break;
        case 't':
            o->topic = optarg;
            break;
        case 'p':
            if (cli_parse_long(CMD, "-p", optarg, 0, INT32_MAX, &n) != 0)
                return CLI_EXIT_USAGE;
            o->partition = (int32_t)n;
            break;
        case 'K':
            free(o->key_delim);
            o->key_delim = NULL;
            if (cli_unescape(CMD, "-K", optarg, &o->key_delim, &o->key_delim_len) != 0)
                return CLI_EXIT_USAGE;
            if (o->key_delim_len == 0) {
                cli_err(CMD, "-K: the key delimiter must not be empty");
                return CLI_EXIT_USAGE;
            }
            break;
        case 'D':
            if (cli_unescape(CMD, "-D", optarg, &s, &len) != 0)
                return CLI_EXIT_USAGE;
            o->delim = s[0];
            free(s);
            if (len != 1) {
                cli_err(CMD,
                        "-D '%s': the record delimiter must be exactly one byte "
                        "(after escapes such as \\n, \\0, \\x1e)",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'H':
            if (add_header(o, optarg) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'X':
        case 'F':
            if ((c == 'X' ? cli_conf_add_prop(&o->conf, optarg)
                          : cli_conf_add_file(&o->conf, optarg)) != 0) {
                cli_err(CMD, "out of memory");
                return CLI_EXIT_FAIL;
            }
            break;
        case OPT_NULL_MARKER:
            o->null_marker = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            fputs(help_text, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_bad_option(CMD, c, argv, long_opts);
        }
    }
    if (!o->topic || !*o->topic) {
        cli_err(CMD, "no topic: -t TOPIC is required; see 'kprod produce --help'");
        return CLI_EXIT_USAGE;
    }
    /* Fail on an unreadable input before anything is sent. */
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0)
            continue;
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            cli_err(CMD, "cannot open '%s': %s", argv[i], strerror(errno));
            return CLI_EXIT_USAGE;
        }
        fclose(f);
    }
    return -1;
}

typedef struct produce_run {
    const produce_opts *o;
    kprod_t *p;
    produce_stats *stats;
    long max_request_size; /* for the error message; 0 when unknown */
    long records;          /* read so far */
    int stop;              /* the producer cannot take more records */
} produce_run;

static int is_null_marker(const produce_opts *o, const char *p, size_t len) {
    return o->null_marker && strlen(o->null_marker) == len && memcmp(o->null_marker, p, len) == 0;
}

/* Sends one record; a failure to send is reported and counted here. */
static void send_record(produce_run *run, const char *file, long line, char *buf, size_t len) {
    const produce_opts *o = run->o;
    kprod_record_t rec = KPROD_RECORD_INIT;
    rec.topic = o->topic;
    rec.partition = o->partition;
    rec.headers = o->headers;
    rec.header_count = o->n_headers;
    rec.value = buf;
    rec.value_len = len;
    if (o->key_delim) {
        char *at = memmem(buf, len, o->key_delim, o->key_delim_len);
        if (at) {
            rec.key = buf;
            rec.key_len = (size_t)(at - buf);
            rec.value = at + o->key_delim_len;
            rec.value_len = len - rec.key_len - o->key_delim_len;
        }
    }
    if (rec.key && is_null_marker(o, rec.key, rec.key_len)) {
        rec.key = NULL;
        rec.key_len = 0;
    }
    if (is_null_marker(o, rec.value, rec.value_len)) {
        rec.value = NULL;
        rec.value_len = 0;
    }

    rec_tag *tag = malloc(sizeof(*tag));
    if (!tag) {
        fprintf(stderr, "%s:%ld: error _NO_MEMORY: %s\n", file, line,
                kprod_err_str(KPROD_ERR__NO_MEMORY));
        atomic_fetch_add(&run->stats->failed, 1);
        return;
    }
    tag->file = file;
    tag->line = line;
    tag->bytes = rec.key_len + rec.value_len;

    kprod_err_t err = kprod_send(run->p, &rec, NULL, tag);
    if (err != KPROD_ERR_NO_ERROR) {
        /* No report follows a refused send: count and free here. */
        atomic_fetch_add(&run->stats->failed, 1);
        if (err == KPROD_ERR__MSG_SIZE_TOO_LARGE && run->max_request_size > 0)
            fprintf(stderr, "%s:%ld: error %s: %s (record of %zu bytes, max.request.size=%ld)\n",
                    file, line, kprod_err_name(err), kprod_err_str(err), len,
                    run->max_request_size);
        else
            fprintf(stderr, "%s:%ld: error %s: %s\n", file, line, kprod_err_name(err),
                    kprod_err_str(err));
        free(tag);
        if (err == KPROD_ERR__FATAL || err == KPROD_ERR__CLOSED)
            run->stop = 1;
    }
    kprod_poll(run->p, 0);
}

/* Sends every record of one input. Returns 0, or -1 on a read error. */
static int produce_stream(produce_run *run, FILE *f, const char *name) {
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    long line = 0;
    int rc = 0;
    while (!run->stop && !interrupted && (n = getdelim(&buf, &cap, run->o->delim, f)) != -1) {
        size_t len = (size_t)n;
        if (len > 0 && buf[len - 1] == run->o->delim)
            len--;
        line++;
        run->records++;
        send_record(run, name, line, buf, len);
    }
    if (ferror(f) && !interrupted) {
        cli_err(CMD, "%s: read error after line %ld: %s", name, line, strerror(errno));
        rc = -1;
    }
    free(buf);
    return rc;
}

static void catch_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: interrupt a blocked read */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static long conf_get_long(const kprod_conf_t *conf, const char *name) {
    char v[64];
    if (kprod_conf_get(conf, name, v, sizeof(v)) != KPROD_ERR_NO_ERROR)
        return 0;
    return strtol(v, NULL, 10);
}

int cli_produce(int argc, char **argv) {
    produce_opts o = {.partition = KPROD_PARTITION_ANY, .delim = '\n'};
    produce_stats stats;
    atomic_init(&stats.delivered, 0);
    atomic_init(&stats.failed, 0);
    atomic_init(&stats.bytes, 0);

    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        goto done;
    kprod_conf_t *conf = cli_conf_build(CMD, &o.conf, &rc);
    if (!conf)
        goto done;
    kprod_conf_set_delivery_cb(conf, on_delivery, &stats);
    produce_run run = {.o = &o, .stats = &stats};
    run.max_request_size = conf_get_long(conf, "max.request.size");
    run.p = cli_producer_new(CMD, conf, &rc);
    if (!run.p)
        goto done;

    catch_signals();
    double start = cli_now();
    int read_failed = 0;
    if (optind >= argc) {
        read_failed |= produce_stream(&run, stdin, "stdin") != 0;
    } else {
        for (int i = optind; i < argc && !run.stop && !interrupted; i++) {
            int is_stdin = strcmp(argv[i], "-") == 0;
            FILE *f = is_stdin ? stdin : fopen(argv[i], "rb");
            if (!f) {
                cli_err(CMD, "cannot open '%s': %s", argv[i], strerror(errno));
                read_failed = 1;
                continue;
            }
            read_failed |= produce_stream(&run, f, is_stdin ? "stdin" : argv[i]) != 0;
            if (!is_stdin)
                fclose(f);
        }
    }
    if (interrupted)
        cli_err(CMD, "interrupted: stopped reading after %ld records", run.records);

    /* Everything accepted gets its report before close: flush without a
     * limit (delivery.timeout.ms bounds every record), then close. */
    kprod_flush(run.p, -1);
    kprod_close(run.p, 0);
    double secs = cli_now() - start;

    long delivered = atomic_load(&stats.delivered), failed = atomic_load(&stats.failed);
    if (!o.quiet)
        fprintf(stderr,
                "kprod produce: %ld records read, %ld delivered, %ld failed, %llu bytes, "
                "%.3f s, %.0f records/s\n",
                run.records, delivered, failed, atomic_load(&stats.bytes), secs,
                secs > 0 ? (double)delivered / secs : 0.0);
    rc = (failed > 0 || read_failed || interrupted || delivered != run.records) ? CLI_EXIT_FAIL
                                                                                : CLI_EXIT_OK;
done:
    free_opts(&o);
    return rc;
}
