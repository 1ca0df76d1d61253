/* kprod produce: send the records of standard input or of files (each
 * record cut at a delimiter, or each file whole). Delivery reports are
 * served while sending; each record's opaque carries its file and line so
 * that a failure is reported where the input was (escaped: escape.h), and
 * --print-offsets prints where each one was stored. Once the topic's
 * metadata cannot be had, the rest of the input is counted as failed
 * without waiting max.block.ms per record; SIGINT/SIGTERM interrupt a
 * blocked send or read (see sig_ctl). Exit 0 only when every record was
 * delivered. The command line is produce_opts.c, the input's reading and
 * splitting produce_input.c. */
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
#include "produce_input.h"
#include "produce_opts.h"
#include "stamp.h"
#include "produce_report.h"
#include "produce_txn.h"

#define CMD PRODUCE_CMD

/* Outcome counters; atomic because with delivery.report.mode=thread the
 * reports arrive on kprod's thread. */
typedef struct produce_stats {
    produce_counts c;
    int print_offsets; /* --print-offsets: a line per delivered record */
    produce_txn *txn;  /* transactions (produce_txn.h); NULL without */
} produce_stats;

/* Each record's opaque: where it came from and how big it was. */
typedef struct rec_tag {
    const char *file;
    long line;
    size_t bytes;
} rec_tag;

static void on_delivery(const kprod_report_t *r, void *cb_opaque) {
    produce_stats *st = cb_opaque;
    rec_tag *tag = r->opaque;
    size_t bytes = tag ? tag->bytes : 0;
    if (r->err == KPROD_ERR_NO_ERROR && st->print_offsets)
        produce_offset_line(tag ? tag->file : "?", tag ? tag->line : 0L, r->partition, r->offset);
    /* In a transaction a record counts once its transaction has ended. */
    if (st->txn && produce_txn_report(st->txn, r, bytes)) {
        free(tag);
        return;
    }
    if (r->err == KPROD_ERR_NO_ERROR) {
        atomic_fetch_add(&st->c.delivered, 1);
        atomic_fetch_add(&st->c.bytes, bytes);
    } else {
        atomic_fetch_add(&st->c.failed, 1);
        produce_error_line(tag ? tag->file : "?", tag ? tag->line : 0L, r->err, r->errstr,
                           r->possibly_persisted ? " (possibly persisted)" : NULL);
    }
    free(tag);
}

/* --stats-interval: one line per statistics document. The document is
 * kprod's own (docs/STATISTICS.md): the producer object comes first and
 * holds each key once, and the brokers' states are the only "state" keys. */
static long long json_num(const char *from, const char *to, const char *key) {
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(from, pat);
    return p && p < to ? strtoll(p + strlen(pat), NULL, 10) : 0;
}

static void stats_line(const char *json, size_t len, void *opaque) {
    (void)len, (void)opaque;
    static long long prev_acked, prev_ms;
    const char *prod = strstr(json, "\"producer\":{");
    const char *end = prod ? strchr(prod, '}') : NULL;
    const char *brokers = strstr(json, "\"brokers\":[");
    if (!prod || !end || !brokers)
        return;
    long long acked = json_num(prod, end, "records_acked");
    long long now = json_num(json, prod, "time_ms");
    int up = 0, all = 0;
    const char *parts = strstr(brokers, "\"partitions\":[");
    for (const char *q = brokers; (q = strstr(q, "\"state\":\"")) && (!parts || q < parts); q++) {
        all++;
        up += strncmp(q + 9, "up\"", 3) == 0;
    }
    double rate = prev_ms && now > prev_ms
                      ? (double)(acked - prev_acked) * 1000.0 / (double)(now - prev_ms)
                      : 0.0;
    fprintf(stderr,
            "kprod produce: stats: %lld acked (+%.0f/s), %lld failed, %lld retried, %lld "
            "waiting, %.1f of %.1f MiB buffer, %d of %d brokers up\n",
            acked, rate, json_num(prod, end, "records_failed"),
            json_num(prod, end, "batches_retried"), json_num(prod, end, "records_waiting"),
            (double)json_num(prod, end, "buffer_memory_used") / 1048576.0,
            (double)json_num(prod, end, "buffer_memory_max") / 1048576.0, up, all);
    prev_acked = acked;
    prev_ms = now;
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
    parsed_rec rec; /* the record being sent, taken apart (reused) */
    kprod_t *p;
    produce_stats *stats;
    sig_ctl *sig;
    long max_block_ms; /* likewise */
    long records;      /* read so far */
    int stop;          /* the producer cannot take more records */
    /* Once a send failed because the topic's metadata could not be had
     * (_TIMED_OUT, _UNKNOWN_TOPIC), every later record is counted as failed
     * without a send: unsent records, from first_* to last_*. */
    long unsent;
    kprod_err_t unsent_err;
    const char *first_file, *last_file;
    long first_line, last_line;
    cli_stamper stamper; /* --stamp */
} produce_run;

static int interrupted(const produce_run *run) { return atomic_load(&run->sig->sig) != 0; }

static const char *sig_name(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

/* Counts one record that is not sent because the topic is out of reach. */
static void count_unsent(produce_run *run, const char *file, long line) {
    if (run->unsent++ == 0) {
        run->first_file = file;
        run->first_line = line;
    }
    run->last_file = file;
    run->last_line = line;
    atomic_fetch_add(&run->stats->c.failed, 1);
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
    produce_error_line(run->first_file, run->first_line, run->unsent_err, NULL,
                       more ? more : " (the rest of the input was not sent)");
    free(more);
}

/* kprod_send, inside a transaction when there are transactions: one is
 * begun before the record, and ended (committed) once full. A transaction
 * that failed (a record of it failed) is aborted and the record goes into
 * a new one. A failure to begin stops the run. */
static kprod_err_t send_in_txn(produce_run *run, const char *file, long line,
                               const kprod_record_t *rec, rec_tag *tag) {
    produce_txn *t = run->stats->txn;
    if (!t)
        return kprod_send(run->p, rec, NULL, tag);
    kprod_err_t err = produce_txn_before(t, file, line);
    if (err) {
        run->stop = 1;
        return err;
    }
    err = kprod_send(run->p, rec, NULL, tag);
    if (err == KPROD_ERR__TXN_ABORTABLE) {
        if (produce_txn_end(t, 0) != 0 || (err = produce_txn_before(t, file, line)) != 0) {
            run->stop = 1;
            return err ? err : KPROD_ERR__TXN_ABORTABLE;
        }
        err = kprod_send(run->p, rec, NULL, tag);
    }
    if (!err && produce_txn_sent(t, file, line) != 0)
        run->stop = 1; /* a fatal error: printed */
    return err;
}

/* Sends one record; a failure to send is reported and counted here. */
static void send_record(produce_run *run, const char *file, long line, const char *buf,
                        size_t len) {
    if (run->unsent > 0) {
        count_unsent(run, file, line); /* the topic is out of reach */
        return;
    }
    const produce_opts *o = run->o;
    char bad[200];
    if (rec_parse(&o->fmt, o->headers, o->n_headers, buf, len, &run->rec, bad, sizeof(bad)) != 0) {
        /* The sentence may quote the record's bytes: escaped. */
        char *esc = cli_escaped(bad), more[1000];
        snprintf(more, sizeof(more), " (%s)", esc ? esc : "bad record");
        free(esc);
        produce_error_line(file, line, KPROD_ERR__INVALID_ARG, NULL, more);
        atomic_fetch_add(&run->stats->c.failed, 1);
        return;
    }
    kprod_record_t rec = KPROD_RECORD_INIT;
    rec.topic = o->topic;
    rec.partition = o->partition;
    rec.headers = run->rec.n_headers ? run->rec.headers : NULL;
    rec.header_count = run->rec.n_headers;
    rec.key = run->rec.key;
    rec.key_len = run->rec.key_len;
    rec.value = run->rec.value;
    rec.value_len = run->rec.value_len;
    rec.timestamp_ms = run->rec.timestamp_ms;
    if (o->stamp && cli_stamper_apply(&run->stamper, &rec) != 0) {
        produce_error_line(file, line, KPROD_ERR__NO_MEMORY, NULL, " (stamping)");
        atomic_fetch_add(&run->stats->c.failed, 1);
        return;
    }

    rec_tag *tag = malloc(sizeof(*tag));
    if (!tag) {
        produce_error_line(file, line, KPROD_ERR__NO_MEMORY, NULL, NULL);
        atomic_fetch_add(&run->stats->c.failed, 1);
        return;
    }
    tag->file = file;
    tag->line = line;
    tag->bytes = rec.key_len + rec.value_len;

    kprod_err_t err = send_in_txn(run, file, line, &rec, tag);
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
        atomic_fetch_add(&run->stats->c.failed, 1);
        char more[1100]; /* room for an escaped fatal error text */
        more[0] = '\0';
        /* The library's text (kprod_last_errstr) says which limit a record
         * broke, which partition does not exist, ...; signals and the
         * fatal error's cause are the tool's to add. */
        const char *text = kprod_last_errstr();
        if (err == KPROD_ERR__INTERRUPTED || err == KPROD_ERR__FATAL)
            text = NULL;
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
        produce_error_line(file, line, err, text, more[0] ? more : NULL);
        if (err == KPROD_ERR__FATAL || err == KPROD_ERR__CLOSED || err == KPROD_ERR__INTERRUPTED)
            run->stop = 1;
    }
    kprod_poll(run->p, 0);
}

/* Waits until fd can be read (or is at its end, or in error: read says
 * which), or until a signal came (the signal thread's pipe): a read blocked
 * on a pipe or a terminal ends with Ctrl-C. While waiting it serves the
 * reports of records already sent, so that their errors are not held back
 * by a quiet input. */
static int wait_input(void *ctx, int fd) {
    produce_run *run = ctx;
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

static int run_interrupted(void *ctx) { return interrupted(ctx); }

/* Sends every record of one input. Returns 0, or -1 on a read error. */
static int produce_stream(produce_run *run, int fd, const char *name) {
    const produce_opts *o = run->o;
    reader r = {.fd = fd,
                .delim = o->whole_files ? NULL : o->delim,
                .delim_len = o->delim_len,
                .wait = wait_input,
                .interrupted = run_interrupted,
                .wait_ctx = run};
    const char *rec;
    size_t len;
    long line = 0;
    int rc = 0, got = READ_EOF;
    while (!run->stop && (o->max_records == 0 || run->records < o->max_records) &&
           (got = reader_next(&r, &rec, &len)) == READ_RECORD) {
        line++;
        run->records++;
        send_record(run, name, line, rec, len);
    }
    if (!run->stop && got == READ_ERROR) {
        int e = errno;
        char *esc = cli_escaped(name);
        cli_err(CMD, "%s: read error after record %ld: %s", esc ? esc : "?", line, strerror(e));
        free(esc);
        rc = -1;
    }
    reader_free(&r);
    return rc;
}

/* Whether -c's count is reached: no more input is read. */
static int count_reached(const produce_run *run) {
    return run->o->max_records > 0 && run->records >= run->o->max_records;
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

/* Transactions: transactional.id from --transactional-id (which wins
 * over -X and -F) or the properties. 1 transactional, 0 not, -1 a bad
 * combination (printed). */
static int txn_setup(kprod_conf_t *conf, const produce_opts *o) {
    char errstr[512], val[8] = "";
    if (o->txn_id && kprod_conf_set(conf, "transactional.id", o->txn_id, errstr, sizeof(errstr))) {
        cli_err(CMD, "%s", errstr);
        return -1;
    }
    kprod_conf_get(conf, "transactional.id", val, sizeof(val));
    if (o->txn_records && !val[0]) {
        cli_err(CMD, "--transaction-records needs --transactional-id (or -X transactional.id)");
        return -1;
    }
    return val[0] != '\0';
}

int cli_produce(int argc, char **argv) {
    produce_opts o = {0};
    produce_stats stats = {0};
    atomic_init(&stats.c.delivered, 0);
    atomic_init(&stats.c.failed, 0);
    atomic_init(&stats.c.bytes, 0);
    produce_txn txn = {0};
    sig_ctl sig;
    produce_run run = {.o = &o, .stats = &stats, .sig = &sig};

    int rc = produce_parse_args(argc, argv, &o);
    if (rc >= 0)
        goto done;
    stats.print_offsets = o.print_offsets;
    if (o.stamp) {
        if (cli_stamper_init(&run.stamper, CMD, o.run) != 0) {
            rc = CLI_EXIT_FAIL;
            goto done;
        }
        /* Printed also with -q: without it the run cannot be verified. */
        cli_err(CMD, "stamping run %s", run.stamper.run);
    }
    kprod_conf_t *conf = cli_conf_build(CMD, &o.conf, &rc);
    if (!conf)
        goto done;
    int transactional = txn_setup(conf, &o);
    if (transactional < 0) {
        kprod_conf_destroy(conf);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    kprod_conf_set_delivery_cb(conf, on_delivery, &stats);
    if (o.stats_ms > 0) {
        char ms[24], err[256];
        snprintf(ms, sizeof(ms), "%ld", o.stats_ms);
        if (kprod_conf_set(conf, "statistics.interval.ms", ms, err, sizeof(err)) != 0) {
            cli_err(CMD, "--stats-interval: %s", err);
            kprod_conf_destroy(conf);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        kprod_conf_set_stats_cb(conf, stats_line, NULL);
    }
    run.max_block_ms = conf_get_long(conf, "max.block.ms");
    sig_block(&sig); /* before kprod_new: its threads inherit the mask */
    run.p = cli_producer_new(CMD, conf, &rc);
    if (!run.p) {
        sig_end(&sig);
        goto done;
    }
    if (sig_start(&sig, run.p) != 0 ||
        (transactional && produce_txn_start(&txn, run.p, &stats.c, o.txn_records) != 0)) {
        sig_detach_producer(&sig);
        kprod_close(run.p, 0);
        sig_end(&sig);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (transactional)
        stats.txn = &txn;

    double start = cli_now();
    int read_failed = 0;
    if (o.n_inputs == 0) {
        read_failed |= produce_stream(&run, STDIN_FILENO, "stdin") != 0;
    } else {
        for (int i = 0; i < o.n_inputs && !run.stop && !interrupted(&run) && !count_reached(&run);
             i++) {
            int is_stdin = strcmp(o.inputs[i], "-") == 0;
            int fd = is_stdin ? STDIN_FILENO : open(o.inputs[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                int e = errno;
                char *esc = cli_escaped(o.inputs[i]);
                cli_err(CMD, "cannot open '%s': %s", esc ? esc : "?", strerror(e));
                free(esc);
                read_failed = 1;
                continue;
            }
            read_failed |= produce_stream(&run, fd, is_stdin ? "stdin" : o.inputs[i]) != 0;
            if (!is_stdin)
                close(fd);
        }
    }
    report_unsent(&run);
    int signo = atomic_load(&sig.sig);
    if (signo)
        cli_err(CMD, "interrupted by %s: stopped reading after %ld record%s", sig_name(signo),
                run.records, run.records == 1 ? "" : "s");

    /* The last transaction commits (an interrupted run's aborts); then
     * everything accepted gets its report before close. */
    if (stats.txn)
        produce_txn_end(&txn, !signo);
    flush_all(&run);
    sig_detach_producer(&sig);
    kprod_close(run.p, 0);
    sig_end(&sig);
    double secs = cli_now() - start;
    signo = atomic_load(&sig.sig);

    long delivered = atomic_load(&stats.c.delivered), failed = atomic_load(&stats.c.failed);
    if (!o.quiet)
        fprintf(stderr,
                "kprod produce: %ld records read, %ld delivered, %ld failed, %llu bytes, "
                "%.3f s, %.0f records/s\n",
                run.records, delivered, failed, atomic_load(&stats.c.bytes), secs,
                secs > 0 ? (double)delivered / secs : 0.0);
    if (!o.quiet && stats.txn)
        fprintf(stderr, "kprod produce: %ld transaction%s committed\n", txn.committed,
                txn.committed == 1 ? "" : "s");
    if (signo)
        rc = 128 + signo;
    else
        rc = (failed > 0 || read_failed || delivered != run.records) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
done:
    fflush(stdout);
    cli_stamper_free(&run.stamper);
    parsed_rec_free(&run.rec);
    produce_opts_free(&o);
    return rc;
}
