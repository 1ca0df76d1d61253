/* kprod produce: send each line of standard input or of files as one
 * record. Delivery reports are served while sending; each record's opaque
 * carries its file and line so that a failure is reported where the input
 * was (escaped: escape.h). Once the topic's metadata cannot be had, the
 * rest of the input is counted as failed without waiting max.block.ms per
 * record; SIGINT/SIGTERM interrupt a blocked send or read (see sig_ctl).
 * Exit 0 only when every record was delivered. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "escape.h"
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
    "    (FILE is \"stdin\" for standard input; LINE counts records from 1;\n"
    "    TEXT is what kprod knows of the failure: the broker's answer, the\n"
    "    connection's last error, the authentication refused and why).\n"
    "    FILE, NAME and TEXT are printed with control characters escaped, so\n"
    "    that a file name or an error text can neither break the line nor\n"
    "    reach the terminal as an escape sequence:\n" CLI_ESCAPE_HELP "\n"
    "    When a record cannot be sent because TOPIC's metadata could not be\n"
    "    had within max.block.ms (60000 by default: the cluster cannot be\n"
    "    reached, error _TIMED_OUT), the cluster says TOPIC does not exist\n"
    "    (_UNKNOWN_TOPIC) or the brokers refuse the security setup\n"
    "    (SASL_AUTHENTICATION_FAILED, _SSL, ...), no later record is sent: the\n"
    "    rest of the input is still read, every record from that one on counts\n"
    "    as failed, and one line, printed when reading ends, reports them all:\n"
    "        FILE:LINE: error NAME: TEXT (why); the rest of the input was not\n"
    "        sent: N records not sent, FILE:LINE to FILE:LINE\n"
    "    (one line, here folded). So an unreachable cluster costs one\n"
    "    max.block.ms, not one per record.\n"
    "\n"
    "    At the end kprod waits until every record has been delivered or has\n"
    "    failed (at most delivery.timeout.ms, 120000 by default) and prints a\n"
    "    summary on standard error:\n"
    "        kprod produce: R records read, D delivered, F failed, B bytes, S s, N records/s\n"
    "    where B counts the key and value bytes of delivered records.\n"
    "\n"
    "    SIGINT (Ctrl-C) or SIGTERM ends the run promptly, also while a send\n"
    "    is blocked (waiting up to max.block.ms for metadata or for room in\n"
    "    buffer.memory) and while waiting for input: reading stops (a record\n"
    "    whose send was cut short fails with _INTERRUPTED), the records\n"
    "    already accepted get up to 2 seconds more to be delivered, those\n"
    "    still pending then fail with _PURGED_ON_CLOSE, and the summary is\n"
    "    printed. A second signal ends kprod at once, by that signal.\n"
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
    "    0    every record was delivered\n"
    "    1    at least one record failed or was not sent, or an input could\n"
    "         not be read\n"
    "    2    bad command line or configuration (nothing was sent)\n"
    "    130  interrupted by SIGINT (143: by SIGTERM), whatever was delivered;\n"
    "         after a second signal, killed by it\n"
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

/* Prints one error line, FILE:LINE: error NAME: TEXT[MORE], with FILE, NAME
 * and TEXT escaped (escape.h): a file name or an error text cannot end the
 * line early or reach the terminal as a control sequence. TEXT is the
 * report's own explanation when it has one (the broker's message of an
 * authentication failure), else the error's. The stream is locked for the
 * whole line, so lines printed at once by the sending thread and by
 * kprod's report thread never mix. */
static void error_line(const char *file, long line, kprod_err_t err, const char *errstr,
                       const char *more) {
    flockfile(stderr);
    cli_put_escaped(stderr, file);
    fprintf(stderr, ":%ld: error ", line);
    cli_put_escaped(stderr, kprod_err_name(err));
    fputs(": ", stderr);
    cli_put_escaped(stderr, errstr ? errstr : kprod_err_str(err));
    if (more)
        fputs(more, stderr);
    fputc('\n', stderr);
    funlockfile(stderr);
}

static void on_delivery(const kprod_report_t *r, void *cb_opaque) {
    produce_stats *st = cb_opaque;
    rec_tag *tag = r->opaque;
    if (r->err == KPROD_ERR_NO_ERROR) {
        atomic_fetch_add(&st->delivered, 1);
        atomic_fetch_add(&st->bytes, tag ? tag->bytes : 0);
    } else {
        atomic_fetch_add(&st->failed, 1);
        error_line(tag ? tag->file : "?", tag ? tag->line : 0L, r->err, r->errstr,
                   r->possibly_persisted ? " (possibly persisted)" : NULL);
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
        int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            char *esc = cli_escaped(argv[i]);
            cli_err(CMD, "cannot open '%s': %s", esc ? esc : "?", strerror(e));
            free(esc);
            return CLI_EXIT_USAGE;
        }
        close(fd);
    }
    return -1;
}

/* Ctrl-C. SIGINT and SIGTERM are blocked in every thread (kprod's own
 * threads inherit the mask from kprod_new) and taken by one thread in
 * sigwait, which records the signal, calls kprod_interrupt (a send blocked
 * on max.block.ms returns _INTERRUPTED) and writes to a pipe that the
 * reading thread polls beside its input (a read blocked on a pipe or a
 * terminal returns). A second signal ends the process at once, by that
 * signal. */
typedef struct sig_ctl {
    sigset_t set;  /* SIGINT, SIGTERM */
    sigset_t prev; /* the calling thread's mask before */
    struct sigaction prev_int, prev_term;
    pthread_t thread;
    int started;
    pthread_mutex_t lock; /* guards p */
    kprod_t *p;           /* NULL once kprod_close may start */
    int wake[2];          /* written once on the first signal */
    atomic_int sig;       /* the first signal, 0 before */
} sig_ctl;

static void *sig_thread(void *arg) {
    sig_ctl *sc = arg;
    for (;;) {
        int sig, old;
        if (sigwait(&sc->set, &sig) != 0)
            continue;
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
        if (atomic_load(&sc->sig) != 0) {
            sigset_t one;
            sigemptyset(&one);
            sigaddset(&one, sig);
            signal(sig, SIG_DFL);
            pthread_sigmask(SIG_UNBLOCK, &one, NULL);
            raise(sig);
            _exit(128 + sig); /* not reached */
        }
        atomic_store(&sc->sig, sig);
        pthread_mutex_lock(&sc->lock);
        if (sc->p)
            kprod_interrupt(sc->p);
        pthread_mutex_unlock(&sc->lock);
        ssize_t w = write(sc->wake[1], "!", 1);
        (void)w; /* the pipe is empty: it cannot fail */
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    }
    return NULL;
}

/* Never runs (the signals are blocked everywhere and taken by sigwait);
 * installed so that a signal inherited as ignored still reaches sigwait. */
static void no_op(int sig) { (void)sig; }

/* Blocks the signals in this thread (so in every thread started from now
 * on); before kprod_new. */
static void sig_block(sig_ctl *sc) {
    sigemptyset(&sc->set);
    sigaddset(&sc->set, SIGINT);
    sigaddset(&sc->set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sc->set, &sc->prev);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = no_op;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &sc->prev_int);
    sigaction(SIGTERM, &sa, &sc->prev_term);
    pthread_mutex_init(&sc->lock, NULL);
    sc->wake[0] = sc->wake[1] = -1;
    sc->started = 0; /* sig_end after a failed kprod_new must not cancel a thread */
    atomic_init(&sc->sig, 0);
}

/* Starts the signal thread for p. 0, or -1 (printed). */
static int sig_start(sig_ctl *sc, kprod_t *p) {
    sc->p = p;
    if (pipe2(sc->wake, O_CLOEXEC) != 0) {
        cli_err(CMD, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    int e = pthread_create(&sc->thread, NULL, sig_thread, sc);
    if (e != 0) {
        cli_err(CMD, "cannot start the signal thread: %s", strerror(e));
        return -1;
    }
    sc->started = 1;
    return 0;
}

/* No kprod_interrupt after this: kprod_close may start. */
static void sig_detach_producer(sig_ctl *sc) {
    pthread_mutex_lock(&sc->lock);
    sc->p = NULL;
    pthread_mutex_unlock(&sc->lock);
}

/* Stops the signal thread and gives the signals back (a signal that came
 * after the thread stopped then takes its default action). */
static void sig_end(sig_ctl *sc) {
    if (sc->started) {
        pthread_cancel(sc->thread);
        pthread_join(sc->thread, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (sc->wake[i] >= 0)
            close(sc->wake[i]);
    pthread_mutex_destroy(&sc->lock);
    sigaction(SIGINT, &sc->prev_int, NULL);
    sigaction(SIGTERM, &sc->prev_term, NULL);
    pthread_sigmask(SIG_SETMASK, &sc->prev, NULL);
}

typedef struct produce_run {
    const produce_opts *o;
    kprod_t *p;
    produce_stats *stats;
    sig_ctl *sig;
    long max_request_size; /* for the error message; 0 when unknown */
    long max_block_ms;     /* likewise */
    long records;          /* read so far */
    int stop;              /* the producer cannot take more records */
    /* Once a send failed because the topic's metadata could not be had
     * (_TIMED_OUT, _UNKNOWN_TOPIC), every later record is counted as failed
     * without a send: unsent records, from first_* to last_*. */
    long unsent;
    kprod_err_t unsent_err;
    const char *first_file, *last_file;
    long first_line, last_line;
} produce_run;

static int interrupted(const produce_run *run) { return atomic_load(&run->sig->sig) != 0; }

static const char *sig_name(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

static int is_null_marker(const produce_opts *o, const char *p, size_t len) {
    return o->null_marker && strlen(o->null_marker) == len && memcmp(o->null_marker, p, len) == 0;
}

/* Counts one record that is not sent because the topic is out of reach. */
static void count_unsent(produce_run *run, const char *file, long line) {
    if (run->unsent++ == 0) {
        run->first_file = file;
        run->first_line = line;
    }
    run->last_file = file;
    run->last_line = line;
    atomic_fetch_add(&run->stats->failed, 1);
}

/* The one line for every record not sent since the topic went out of
 * reach, printed once reading has stopped:
 *   FILE:LINE: error NAME: TEXT (why); the rest of the input was not sent:
 *   N records not sent, FILE:LINE to FILE:LINE */
static void report_unsent(const produce_run *run) {
    if (run->unsent == 0)
        return;
    char *more = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&more, &len);
    if (f) {
        fputs(" (", f);
        if (run->unsent_err == KPROD_ERR__TIMED_OUT)
            fputs("no metadata for topic '", f);
        else
            fputs("topic '", f);
        cli_put_escaped(f, run->o->topic);
        if (run->unsent_err == KPROD_ERR__TIMED_OUT)
            fprintf(f, "' within max.block.ms=%ld)", run->max_block_ms);
        else
            fputs("')", f);
        fprintf(f, "; the rest of the input was not sent: %ld record%s not sent, ", run->unsent,
                run->unsent == 1 ? "" : "s");
        cli_put_escaped(f, run->first_file);
        fprintf(f, ":%ld", run->first_line);
        if (run->unsent > 1) {
            fputs(" to ", f);
            cli_put_escaped(f, run->last_file);
            fprintf(f, ":%ld", run->last_line);
        }
        if (fclose(f) != 0) {
            free(more);
            more = NULL;
        }
    }
    error_line(run->first_file, run->first_line, run->unsent_err, NULL,
               more ? more : " (the rest of the input was not sent)");
    free(more);
}

/* Sends one record; a failure to send is reported and counted here. */
static void send_record(produce_run *run, const char *file, long line, const char *buf,
                        size_t len) {
    if (run->unsent > 0) {
        count_unsent(run, file, line); /* the topic is out of reach */
        return;
    }
    const produce_opts *o = run->o;
    kprod_record_t rec = KPROD_RECORD_INIT;
    rec.topic = o->topic;
    rec.partition = o->partition;
    rec.headers = o->headers;
    rec.header_count = o->n_headers;
    rec.value = buf;
    rec.value_len = len;
    if (o->key_delim) {
        const char *at = memmem(buf, len, o->key_delim, o->key_delim_len);
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
        error_line(file, line, KPROD_ERR__NO_MEMORY, NULL, NULL);
        atomic_fetch_add(&run->stats->failed, 1);
        return;
    }
    tag->file = file;
    tag->line = line;
    tag->bytes = rec.key_len + rec.value_len;

    kprod_err_t err = kprod_send(run->p, &rec, NULL, tag);
    if (err != KPROD_ERR_NO_ERROR) {
        /* No report follows a refused send: count and free here. */
        free(tag);
        if (err == KPROD_ERR__TIMED_OUT || err == KPROD_ERR__UNKNOWN_TOPIC ||
            err == KPROD_ERR__SSL || err == KPROD_ERR_SASL_AUTHENTICATION_FAILED ||
            err == KPROD_ERR_UNSUPPORTED_SASL_MECHANISM || err == KPROD_ERR_ILLEGAL_SASL_STATE) {
            /* No metadata for the topic within max.block.ms, or the brokers
             * refuse us: every later record would wait as long again. Count
             * the rest, send none (the log said why). */
            run->unsent_err = err;
            count_unsent(run, file, line);
            return;
        }
        atomic_fetch_add(&run->stats->failed, 1);
        char more[1100]; /* room for an escaped fatal error text */
        more[0] = '\0';
        if (err == KPROD_ERR__MSG_SIZE_TOO_LARGE && run->max_request_size > 0)
            snprintf(more, sizeof(more), " (record of %zu bytes, max.request.size=%ld)", len,
                     run->max_request_size);
        if (err == KPROD_ERR__INTERRUPTED)
            snprintf(more, sizeof(more), " (%s: not sent)", sig_name(atomic_load(&run->sig->sig)));
        if (err == KPROD_ERR__FATAL) {
            char why[256] = "", *esc;
            kprod_fatal_error(run->p, why, sizeof(why));
            if (why[0] && (esc = cli_escaped(why)) != NULL) {
                snprintf(more, sizeof(more), " (%s)", esc);
                free(esc);
            }
        }
        error_line(file, line, err, NULL, more[0] ? more : NULL);
        if (err == KPROD_ERR__FATAL || err == KPROD_ERR__CLOSED || err == KPROD_ERR__INTERRUPTED)
            run->stop = 1;
    }
    kprod_poll(run->p, 0);
}

/* One input, read in records: a buffer over a file descriptor, filled
 * after poll(2) has waited for the input and for the signal thread's pipe
 * together, so that Ctrl-C ends a read blocked on a pipe or a terminal. */
typedef struct reader {
    int fd;
    char *buf;
    size_t cap, start, end; /* unread bytes: buf[start, end) */
    size_t scan;            /* buf[start, scan) holds no delimiter */
    int eof;
} reader;

#define READ_CHUNK 65536
enum { READ_EOF = 0, READ_RECORD = 1, READ_ERROR = -1, READ_INTERRUPTED = -2 };

/* Waits until fd can be read (or is at its end, or in error: read says
 * which). While waiting it serves the reports of records already sent, so
 * that their errors are not held back by a quiet input. */
static int wait_input(produce_run *run, int fd) {
    struct pollfd fds[2] = {{.fd = fd, .events = POLLIN},
                            {.fd = run->sig->wake[0], .events = POLLIN}};
    for (;;) {
        int n = poll(fds, 2, kprod_outstanding(run->p) > 0 ? 100 : -1);
        if (n < 0 && errno != EINTR)
            return READ_RECORD; /* poll itself failed: let read() say why */
        if (n > 0 && fds[1].revents)
            return READ_INTERRUPTED;
        if (n > 0 && fds[0].revents)
            return READ_RECORD;
        kprod_poll(run->p, 0);
    }
}

/* The next record (without its delimiter) in *rec and *len, valid until the
 * next call: READ_RECORD, READ_EOF, READ_ERROR (errno says why) or
 * READ_INTERRUPTED. */
static int read_record(produce_run *run, reader *r, const char **rec, size_t *len) {
    char delim = run->o->delim;
    for (;;) {
        if (interrupted(run))
            return READ_INTERRUPTED; /* not even the records read already */
        char *at = r->end > r->scan ? memchr(r->buf + r->scan, delim, r->end - r->scan) : NULL;
        if (at || (r->eof && r->start < r->end)) {
            size_t stop = at ? (size_t)(at - r->buf) : r->end;
            *rec = r->buf + r->start;
            *len = stop - r->start;
            r->start = r->scan = at ? stop + 1 : stop;
            return READ_RECORD;
        }
        r->scan = r->end;
        if (r->eof)
            return READ_EOF;
        /* Room for more: the partial record moves to the front, and the
         * buffer grows when that is not enough. */
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->scan -= r->start;
            r->start = 0;
        }
        if (r->cap - r->end < READ_CHUNK) {
            size_t cap = r->cap ? r->cap * 2 : READ_CHUNK;
            while (cap - r->end < READ_CHUNK)
                cap *= 2;
            char *b = realloc(r->buf, cap);
            if (!b) {
                errno = ENOMEM;
                return READ_ERROR;
            }
            r->buf = b;
            r->cap = cap;
        }
        int w = wait_input(run, r->fd);
        if (w != READ_RECORD)
            return w;
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n > 0)
            r->end += (size_t)n;
        else if (n == 0)
            r->eof = 1;
        else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return READ_ERROR;
    }
}

/* Sends every record of one input. Returns 0, or -1 on a read error. */
static int produce_stream(produce_run *run, int fd, const char *name) {
    reader r = {.fd = fd};
    const char *rec;
    size_t len;
    long line = 0;
    int rc = 0, got;
    while (!run->stop && (got = read_record(run, &r, &rec, &len)) == READ_RECORD) {
        line++;
        run->records++;
        send_record(run, name, line, rec, len);
    }
    if (!run->stop && got == READ_ERROR) {
        int e = errno;
        char *esc = cli_escaped(name);
        cli_err(CMD, "%s: read error after line %ld: %s", esc ? esc : "?", line, strerror(e));
        free(esc);
        rc = -1;
    }
    free(r.buf);
    return rc;
}

static long conf_get_long(const kprod_conf_t *conf, const char *name) {
    char v[64];
    if (kprod_conf_get(conf, name, v, sizeof(v)) != KPROD_ERR_NO_ERROR)
        return 0;
    return strtol(v, NULL, 10);
}

/* How long records accepted before Ctrl-C still get to be delivered. */
#define INTERRUPT_FLUSH_MS 2000

/* Waits until every accepted record has been reported, in short steps so
 * that a signal is noticed: after one, flushes INTERRUPT_FLUSH_MS more at
 * most (delivery.timeout.ms bounds every record otherwise). */
static void flush_all(produce_run *run) {
    while (!interrupted(run))
        if (kprod_flush(run->p, 100) == KPROD_ERR_NO_ERROR)
            return;
    size_t left = kprod_outstanding(run->p);
    if (left > 0)
        cli_err(CMD, "interrupted by %s: %zu record%s not reported yet: waiting %d ms at most",
                sig_name(atomic_load(&run->sig->sig)), left, left == 1 ? "" : "s",
                INTERRUPT_FLUSH_MS);
    kprod_flush(run->p, INTERRUPT_FLUSH_MS);
}

int cli_produce(int argc, char **argv) {
    produce_opts o = {.partition = KPROD_PARTITION_ANY, .delim = '\n'};
    produce_stats stats;
    atomic_init(&stats.delivered, 0);
    atomic_init(&stats.failed, 0);
    atomic_init(&stats.bytes, 0);
    sig_ctl sig;

    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        goto done;
    kprod_conf_t *conf = cli_conf_build(CMD, &o.conf, &rc);
    if (!conf)
        goto done;
    kprod_conf_set_delivery_cb(conf, on_delivery, &stats);
    produce_run run = {.o = &o, .stats = &stats, .sig = &sig};
    run.max_request_size = conf_get_long(conf, "max.request.size");
    run.max_block_ms = conf_get_long(conf, "max.block.ms");
    sig_block(&sig); /* before kprod_new: its threads inherit the mask */
    run.p = cli_producer_new(CMD, conf, &rc);
    if (!run.p) {
        sig_end(&sig);
        goto done;
    }
    if (sig_start(&sig, run.p) != 0) {
        sig_detach_producer(&sig);
        kprod_close(run.p, 0);
        sig_end(&sig);
        rc = CLI_EXIT_FAIL;
        goto done;
    }

    double start = cli_now();
    int read_failed = 0;
    if (optind >= argc) {
        read_failed |= produce_stream(&run, STDIN_FILENO, "stdin") != 0;
    } else {
        for (int i = optind; i < argc && !run.stop && !interrupted(&run); i++) {
            int is_stdin = strcmp(argv[i], "-") == 0;
            int fd = is_stdin ? STDIN_FILENO : open(argv[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                int e = errno;
                char *esc = cli_escaped(argv[i]);
                cli_err(CMD, "cannot open '%s': %s", esc ? esc : "?", strerror(e));
                free(esc);
                read_failed = 1;
                continue;
            }
            read_failed |= produce_stream(&run, fd, is_stdin ? "stdin" : argv[i]) != 0;
            if (!is_stdin)
                close(fd);
        }
    }
    report_unsent(&run);
    int signo = atomic_load(&sig.sig);
    if (signo)
        cli_err(CMD, "interrupted by %s: stopped reading after %ld record%s", sig_name(signo),
                run.records, run.records == 1 ? "" : "s");

    /* Everything accepted gets its report before close. */
    flush_all(&run);
    sig_detach_producer(&sig);
    kprod_close(run.p, 0);
    sig_end(&sig);
    double secs = cli_now() - start;
    signo = atomic_load(&sig.sig);

    long delivered = atomic_load(&stats.delivered), failed = atomic_load(&stats.failed);
    if (!o.quiet)
        fprintf(stderr,
                "kprod produce: %ld records read, %ld delivered, %ld failed, %llu bytes, "
                "%.3f s, %.0f records/s\n",
                run.records, delivered, failed, atomic_load(&stats.bytes), secs,
                secs > 0 ? (double)delivered / secs : 0.0);
    if (signo)
        rc = 128 + signo;
    else
        rc = (failed > 0 || read_failed || delivered != run.records) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
done:
    free_opts(&o);
    return rc;
}
