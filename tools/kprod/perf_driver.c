/* The perf run shared by `kprod perf` and bench/rdkafka_perf (see
 * perf_driver.h).
 *
 * Measuring without disturbing what is measured: the send time of each
 * record travels in its opaque, packed with the record's number (number in
 * the upper 32 bits, send time in microseconds since the run's start in the
 * lower 32), so the driver keeps no per-record array beside one bit per
 * record that catches a missing or doubled report. Where pointers are
 * narrower than 64 bits the opaque is the number alone and the send times
 * live in an array. A 32-bit send time wraps after 71 minutes, which is
 * harmless: the latency is a difference taken modulo 2^32 and a record
 * cannot wait that long (delivery.timeout.ms). Payloads and keys are
 * functions of the record's number, so a report can tell its record's size
 * without any stored state, and both clients send the very same bytes.
 *
 * With --threads N above 1, N sender threads share the records (i by
 * thread i % N) and only send, while the thread of cli_perf_run only
 * serves reports: everything the report side keeps stays on one thread,
 * and each sender counts into its own struct, added up after the join. */
#include "perf_driver.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "args.h"
#include "perf_hist.h"

/* Generated payloads are windows into a pool of this much text. */
#define POOL_BASE (1u << 20)
#define VOCABULARY 1000
#define MAX_ERRORS_SHOWN 5

typedef struct payload {
    const char *p;
    size_t len;
} payload;

struct cli_perfrun {
    const char *prog;
    cli_perf_opts o;
    const char *client;

    char *pool;        /* generated text, or the payload file's contents */
    payload *payloads; /* payload file: its pieces */
    size_t n_payloads;

    uint64_t t0_ns;      /* the run's start: first send */
    uint64_t end_ns;     /* every report served */
    uint32_t *send_us;   /* only with pointers narrower than 64 bits */
    unsigned char *seen; /* one bit per record: report served */
    long long sent;      /* accepted by the client */
    long long refused;   /* refused at send */
    long long committed; /* transactions committed */
    int txn_failed;      /* a begin or commit failed: the run stopped */
    unsigned long long bytes_sent;
    atomic_int stop;    /* a sender was told CLI_PERF_STOP: all senders stop */
    atomic_int running; /* sender threads still sending (--threads above 1) */

    /* Written by the report callback only. */
    long long delivered, failed, duplicates, bogus;
    unsigned long long bytes_delivered;
    cli_hist hist;
    uint64_t win_start_ns;
    long long win_count;
    unsigned long long win_bytes;
    uint64_t win_lat_sum;
    uint32_t win_lat_max;
};

/* Set by the signal handler, read by every sender thread: a lock-free
 * atomic (safe in a handler), read relaxed (a plain load). */
static atomic_int interrupted;

static void on_signal(int sig) {
    (void)sig;
    atomic_store_explicit(&interrupted, 1, memory_order_relaxed);
}

static int is_interrupted(void) { return atomic_load_explicit(&interrupted, memory_order_relaxed); }

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: a stateless hash of the record number, so a record's
 * payload can be found again from its number alone. */
static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Text-like bytes: lowercase words of 2..9 letters drawn from a fixed
 * random vocabulary, separated by spaces. Unlike random letters, this
 * compresses (lz4 to roughly half), as real records usually do. */
static int make_pool(cli_perfrun *pf) {
    size_t size = POOL_BASE + (size_t)pf->o.record_size;
    char words[VOCABULARY][10];
    uint64_t r = 42;
    for (int w = 0; w < VOCABULARY; w++) {
        r = mix(r);
        int len = 2 + (int)(r % 8);
        for (int i = 0; i < len; i++) {
            r = mix(r);
            words[w][i] = (char)('a' + r % 26);
        }
        words[w][len] = '\0';
    }
    pf->pool = malloc(size);
    if (!pf->pool)
        return -1;
    size_t at = 0;
    while (at < size) {
        r = mix(r);
        const char *w = words[r % VOCABULARY];
        for (size_t i = 0; w[i] && at < size; i++)
            pf->pool[at++] = w[i];
        if (at < size)
            pf->pool[at++] = ' ';
    }
    return 0;
}

/* Cuts the payload file's len bytes in pf->pool at the delimiter (its
 * bytes taken literally, unlike Java's regular expression); empty pieces
 * are dropped (as a trailing newline would make one). Counts them, and with
 * store puts them into pf->payloads. */
static size_t split_payloads(cli_perfrun *pf, size_t len, int store) {
    const char *d = pf->o.payload_delim;
    size_t dn = pf->o.payload_delim_len, count = 0, start = 0;
    while (start <= len) {
        const char *at = memmem(pf->pool + start, len - start, d, dn);
        size_t end = at ? (size_t)(at - pf->pool) : len;
        if (end > start) {
            if (store)
                pf->payloads[count] = (payload){pf->pool + start, end - start};
            count++;
        }
        if (!at)
            break;
        start = end + dn;
    }
    if (store)
        pf->n_payloads = count;
    return count;
}

/* Reads the payload file and cuts it (split_payloads). */
static int load_payloads(cli_perfrun *pf) {
    FILE *f = fopen(pf->o.payload_file, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open '%s': %s\n", pf->prog, pf->o.payload_file,
                strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int read_err = ferror(f);
    fclose(f);
    if (!buf || read_err) {
        fprintf(stderr, "%s: cannot read '%s': %s\n", pf->prog, pf->o.payload_file,
                buf ? strerror(EIO) : "out of memory");
        free(buf);
        return -1;
    }
    pf->pool = buf;
    size_t count = split_payloads(pf, len, 0);
    if (count == 0) {
        fprintf(stderr, "%s: '%s' holds no payload (every piece between delimiters is empty)\n",
                pf->prog, pf->o.payload_file);
        return -1;
    }
    pf->payloads = malloc(count * sizeof(*pf->payloads));
    if (!pf->payloads) {
        fprintf(stderr, "%s: out of memory\n", pf->prog);
        return -1;
    }
    split_payloads(pf, len, 1);
    return 0;
}

cli_perfrun *cli_perf_new(const char *prog, const cli_perf_opts *o) {
    cli_perfrun *pf = calloc(1, sizeof(*pf));
    if (!pf) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return NULL;
    }
    pf->prog = prog;
    pf->o = *o;
    cli_hist_init(&pf->hist);
    int rc = o->payload_file ? load_payloads(pf) : o->payload_monotonic ? 0 : make_pool(pf);
    if (rc == 0) {
        pf->seen = calloc((size_t)(o->num_records / 8 + 1), 1);
        if (sizeof(void *) < 8)
            pf->send_us = calloc((size_t)o->num_records, sizeof(*pf->send_us));
        if (!pf->seen || (sizeof(void *) < 8 && !pf->send_us)) {
            fprintf(stderr, "%s: out of memory for %lld records\n", prog, o->num_records);
            rc = -1;
        }
    } else if (!o->payload_file) {
        fprintf(stderr, "%s: out of memory\n", prog);
    }
    if (rc != 0) {
        cli_perf_free(pf);
        return NULL;
    }
    return pf;
}

/* Record i's value; buf holds it with --payload-monotonic. */
static payload value_of(const cli_perfrun *pf, uint64_t i, char buf[24]) {
    if (pf->payloads)
        return pf->payloads[mix(i) % pf->n_payloads];
    if (pf->o.payload_monotonic)
        return (payload){buf, (size_t)snprintf(buf, 24, "%llu", (unsigned long long)i)};
    return (payload){pf->pool + mix(i) % POOL_BASE, (size_t)pf->o.record_size};
}

/* Record i's key ("0".."N-1" in turn) written into buf; its length, 0 for
 * a null key. */
static size_t key_of(const cli_perfrun *pf, uint64_t i, char buf[24]) {
    if (pf->o.keys <= 0)
        return 0;
    uint64_t k = i % (uint64_t)pf->o.keys;
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + k % 10);
        k /= 10;
    } while (k);
    for (size_t j = 0; j < n; j++)
        buf[j] = tmp[n - 1 - j];
    return n;
}

static uint32_t us_since_start(const cli_perfrun *pf, uint64_t t_ns) {
    return (uint32_t)((t_ns - pf->t0_ns) / 1000);
}

/* Record i's opaque, carrying the send time, now (see the top). */
static void *opaque_of(cli_perfrun *pf, uint64_t i) {
    uint64_t t = now_ns();
    if (pf->send_us) {
        pf->send_us[i] = us_since_start(pf, t);
        return (void *)(uintptr_t)i;
    }
    return (void *)(uintptr_t)(i << 32 | us_since_start(pf, t));
}

/* Record i's topic number: i % --topics. */
static unsigned topic_of(const cli_perfrun *pf, uint64_t i) {
    return pf->o.topics > 1 ? (unsigned)(i % (uint64_t)pf->o.topics) : 0;
}

static void print_progress(cli_perfrun *pf, uint64_t now) {
    double secs = (double)(now - pf->win_start_ns) / 1e9;
    printf("%s: %lld records delivered, %.1f records/s (%.2f MB/s), %.1f ms avg latency, "
           "%.1f ms max latency\n",
           pf->prog, pf->win_count, (double)pf->win_count / secs,
           (double)pf->win_bytes / secs / (1024.0 * 1024.0),
           pf->win_count ? (double)pf->win_lat_sum / (double)pf->win_count / 1000.0 : 0.0,
           (double)pf->win_lat_max / 1000.0);
    fflush(stdout);
    pf->win_start_ns = now;
    pf->win_count = 0;
    pf->win_bytes = 0;
    pf->win_lat_sum = 0;
    pf->win_lat_max = 0;
}

void cli_perf_report(cli_perfrun *pf, void *opaque, const char *err_name, const char *err_text) {
    uint64_t now = now_ns();
    uint64_t op = (uint64_t)(uintptr_t)opaque;
    uint64_t i = pf->send_us ? op : op >> 32;
    if (i >= (uint64_t)pf->o.num_records) {
        pf->bogus++; /* an opaque the driver never gave out */
        return;
    }
    if (pf->seen[i / 8] & (1u << (i % 8))) {
        pf->duplicates++;
        if (pf->duplicates <= MAX_ERRORS_SHOWN)
            fprintf(stderr, "%s: record %llu: reported twice\n", pf->prog, (unsigned long long)i);
        return;
    }
    pf->seen[i / 8] |= (unsigned char)(1u << (i % 8));
    if (err_name) {
        pf->failed++;
        if (pf->failed <= MAX_ERRORS_SHOWN)
            fprintf(stderr, "%s: record %llu: error %s: %s\n", pf->prog, (unsigned long long)i,
                    err_name, err_text ? err_text : "");
        return;
    }
    uint32_t sent_us = pf->send_us ? pf->send_us[i] : (uint32_t)op;
    uint32_t lat = us_since_start(pf, now) - sent_us; /* modulo 2^32 */
    char kb[24], vb[24];
    size_t bytes = value_of(pf, i, vb).len + key_of(pf, i, kb);
    pf->delivered++;
    pf->bytes_delivered += bytes;
    cli_hist_add(&pf->hist, lat);
    pf->win_count++;
    pf->win_bytes += bytes;
    pf->win_lat_sum += lat;
    if (lat > pf->win_lat_max)
        pf->win_lat_max = lat;
    if (pf->o.interval_s > 0 && (double)(now - pf->win_start_ns) >= pf->o.interval_s * 1e9)
        print_progress(pf, now);
}

/* Waits until t_ns (a rate-limited run), serving reports meanwhile: a
 * report is only seen when reports are served, and with a plain sleep until
 * the next send (1 ms apart at 1,000 records/s) every latency measured that
 * gap instead of the client. A poll returns as soon as a report is served,
 * so the last wait may end up to 1 ms late: that send is late, not slow
 * (its latency starts when it is sent, and the schedule catches up). */
static void wait_until(const cli_perf_client *c, uint64_t t_ns) {
    for (;;) {
        uint64_t now = now_ns();
        if (now >= t_ns || is_interrupted())
            return;
        uint64_t left = t_ns - now;
        if (left >= 2000000) {
            c->poll(c->ctx, (int)(left / 1000000) - 1);
        } else {
            c->poll(c->ctx, 1);
        }
    }
}

static void say_interrupted(const cli_perfrun *pf) {
    if (is_interrupted())
        fprintf(stderr, "%s: interrupted after %lld records; waiting for their reports\n", pf->prog,
                pf->sent + pf->refused);
}

/* --threads 1: one loop sends, serves reports after every send and while
 * it waits for the rate limit, and runs the transactions. */
static void run_one(cli_perfrun *pf, const cli_perf_client *c) {
    double ns_per_record = pf->o.throughput > 0 ? 1e9 / (double)pf->o.throughput : 0;
    int txn = c->begin && c->commit && (pf->o.txn_records > 0 || pf->o.txn_duration_ms > 0);
    long long in_txn = 0; /* records sent in the open transaction */
    int open = 0;
    uint64_t txn_start_ns = 0;
    char kb[24], vb[24];
    for (uint64_t i = 0; i < (uint64_t)pf->o.num_records && !is_interrupted(); i++) {
        if (ns_per_record > 0)
            wait_until(c, pf->t0_ns + (uint64_t)((double)i * ns_per_record));
        if (txn && !open) {
            if (c->begin(c->ctx) != 0) {
                pf->txn_failed = 1;
                break;
            }
            open = 1;
            in_txn = 0;
            txn_start_ns = now_ns();
        }
        size_t key_len = key_of(pf, i, kb);
        payload v = value_of(pf, i, vb);
        unsigned topic = topic_of(pf, i);
        void *opaque = opaque_of(pf, i);
        cli_perf_send_rc rc;
        while ((rc = c->send(c->ctx, topic, key_len ? kb : NULL, key_len, v.p, v.len, opaque)) ==
                   CLI_PERF_FULL &&
               !is_interrupted())
            c->poll(c->ctx, 10);
        if (rc == CLI_PERF_SENT) {
            pf->sent++;
            in_txn++;
            pf->bytes_sent += key_len + v.len;
        } else {
            pf->refused++;
            if (rc == CLI_PERF_STOP)
                break;
        }
        c->poll(c->ctx, 0);
        /* As Kafka's perf test: commit once the transaction is old (or,
         * with --transaction-records, full) enough. */
        if (txn && ((pf->o.txn_records > 0 && in_txn >= pf->o.txn_records) ||
                    (pf->o.txn_duration_ms > 0 &&
                     now_ns() - txn_start_ns >= (uint64_t)pf->o.txn_duration_ms * 1000000))) {
            open = 0;
            if (c->commit(c->ctx) != 0) {
                pf->txn_failed = 1;
                break;
            }
            pf->committed++;
        }
    }
    say_interrupted(pf);
    if (open && !pf->txn_failed) {
        if (c->commit(c->ctx) != 0)
            pf->txn_failed = 1;
        else
            pf->committed++;
    }
}

/* One of --threads sender threads: its records, and what became of them. */
typedef struct perf_sender {
    cli_perfrun *pf;
    const cli_perf_client *c;
    uint64_t first; /* it sends records first, first + threads, ... */
    pthread_t id;
    long long sent, refused;
    unsigned long long bytes_sent;
} perf_sender;

static int senders_stop(cli_perfrun *pf) {
    return is_interrupted() || atomic_load_explicit(&pf->stop, memory_order_relaxed);
}

/* Sleeps ns (below one second). */
static void nap(long ns) {
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

/* A sender thread: as run_one's loop without poll (the run's own thread
 * serves every report) and without transactions. It keeps the global
 * schedule of -r for its own records (record i at t0 + i / rate), and
 * waits out a full buffer by sleeping, 100 us at first, doubling up to
 * 1 ms, until the reports served meanwhile make room. */
static void *sender_main(void *arg) {
    perf_sender *s = arg;
    cli_perfrun *pf = s->pf;
    const cli_perf_client *c = s->c;
    double ns_per_record = pf->o.throughput > 0 ? 1e9 / (double)pf->o.throughput : 0;
    char kb[24], vb[24];
    for (uint64_t i = s->first; i < (uint64_t)pf->o.num_records && !senders_stop(pf);
         i += (uint64_t)pf->o.threads) {
        if (ns_per_record > 0) {
            uint64_t at = pf->t0_ns + (uint64_t)((double)i * ns_per_record), now;
            /* in slices of 100 ms at most, so that a signal stops it soon */
            while ((now = now_ns()) < at && !senders_stop(pf))
                nap(at - now < 100000000 ? (long)(at - now) : 100000000);
        }
        size_t key_len = key_of(pf, i, kb);
        payload v = value_of(pf, i, vb);
        unsigned topic = topic_of(pf, i);
        void *opaque = opaque_of(pf, i);
        cli_perf_send_rc rc;
        long backoff_ns = 100000;
        while ((rc = c->send(c->ctx, topic, key_len ? kb : NULL, key_len, v.p, v.len, opaque)) ==
                   CLI_PERF_FULL &&
               !senders_stop(pf)) {
            nap(backoff_ns);
            if (backoff_ns < 1000000)
                backoff_ns *= 2;
        }
        if (rc == CLI_PERF_SENT) {
            s->sent++;
            s->bytes_sent += key_len + v.len;
        } else {
            s->refused++;
            if (rc == CLI_PERF_STOP) {
                atomic_store(&pf->stop, 1);
                break;
            }
        }
    }
    atomic_fetch_sub(&pf->running, 1);
    return NULL;
}

/* --threads above 1: starts the senders, serves reports until they are
 * done, and adds up their counts. Polls with a short timeout, so that
 * the run notices the last sender's end within 10 ms even when no report
 * is due. */
static void run_threads(cli_perfrun *pf, const cli_perf_client *c) {
    perf_sender senders[CLI_PERF_MAX_THREADS];
    long n = pf->o.threads, started = 0;
    atomic_store(&pf->running, (int)n);
    for (; started < n; started++) {
        perf_sender *s = &senders[started];
        *s = (perf_sender){.pf = pf, .c = c, .first = (uint64_t)started};
        int err = pthread_create(&s->id, NULL, sender_main, s);
        if (err != 0) {
            fprintf(stderr, "%s: cannot start sender thread %ld of %ld: %s\n", pf->prog,
                    started + 1, n, strerror(err));
            atomic_store(&pf->stop, 1);
            atomic_fetch_sub(&pf->running, (int)(n - started));
            break;
        }
    }
    while (atomic_load(&pf->running) > 0)
        c->poll(c->ctx, 10);
    for (long t = 0; t < started; t++) {
        pthread_join(senders[t].id, NULL);
        pf->sent += senders[t].sent;
        pf->refused += senders[t].refused;
        pf->bytes_sent += senders[t].bytes_sent;
    }
    say_interrupted(pf);
}

void cli_perf_run(cli_perfrun *pf, const cli_perf_client *c) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second signal ends the process */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    pf->client = c->name;
    pf->t0_ns = now_ns();
    pf->win_start_ns = pf->t0_ns;
    if (pf->o.threads > 1)
        run_threads(pf, c);
    else
        run_one(pf, c);
    c->flush(c->ctx);
    pf->end_ns = now_ns();
}

static double ms(uint32_t us) { return (double)us / 1000.0; }

int cli_perf_finish(cli_perfrun *pf) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    double cpu = user + sys;
    long rss_kb = ru.ru_maxrss; /* Linux: kilobytes */
    double secs = (double)(pf->end_ns - pf->t0_ns) / 1e9;
    double rps = secs > 0 ? (double)pf->delivered / secs : 0;
    double mbps = secs > 0 ? (double)pf->bytes_delivered / secs / (1024.0 * 1024.0) : 0;
    const cli_hist *h = &pf->hist;
    double avg = h->count ? (double)h->sum / (double)h->count / 1000.0 : 0;
    double us_per_rec = pf->delivered ? cpu * 1e6 / (double)pf->delivered : 0;
    long long missing = pf->sent - pf->delivered - pf->failed;
    int ok = pf->delivered == pf->o.num_records && pf->failed == 0 && pf->refused == 0 &&
             pf->duplicates == 0 && pf->bogus == 0 && missing == 0 && !is_interrupted() &&
             !pf->txn_failed;

    if (pf->failed > MAX_ERRORS_SHOWN)
        fprintf(stderr, "%s: ... %lld failed records in all\n", pf->prog, pf->failed);
    if (missing > 0)
        fprintf(stderr, "%s: %lld records were accepted but never reported\n", pf->prog, missing);
    if (pf->bogus > 0)
        fprintf(stderr, "%s: %lld reports carried an unknown opaque\n", pf->prog, pf->bogus);

    printf("%s: %lld of %lld records delivered, %lld failed, in %.3f s; latency ms: p50 %.2f, "
           "p95 %.2f, p99 %.2f, p99.9 %.2f; CPU %.3f s (user %.3f, sys %.3f) = %.3f us/record; "
           "peak RSS %.1f MiB\n",
           pf->prog, pf->delivered, pf->o.num_records, pf->failed + pf->refused, secs,
           ms(cli_hist_quantile(h, 0.50)), ms(cli_hist_quantile(h, 0.95)),
           ms(cli_hist_quantile(h, 0.99)), ms(cli_hist_quantile(h, 0.999)), cpu, user, sys,
           us_per_rec, (double)rss_kb / 1024.0);
    /* kafka-producer-perf-test's last line, word for word and number for
     * number as Kafka 4.4 prints it (Stats.printTotal: %f records/sec,
     * whole milliseconds for the percentiles). */
    printf("%lld records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max "
           "latency, %u ms 50th, %u ms 95th, %u ms 99th, %u ms 99.9th.\n",
           pf->delivered, rps, mbps, avg, ms(h->max), cli_hist_quantile(h, 0.50) / 1000,
           cli_hist_quantile(h, 0.95) / 1000, cli_hist_quantile(h, 0.99) / 1000,
           cli_hist_quantile(h, 0.999) / 1000);
    printf("RESULT client=%s records=%lld sent=%lld delivered=%lld failed=%lld duplicates=%lld "
           "secs=%.3f records_per_s=%.1f mb_per_s=%.3f lat_avg_ms=%.3f lat_max_ms=%.3f "
           "lat_p50_ms=%.3f lat_p95_ms=%.3f lat_p99_ms=%.3f lat_p999_ms=%.3f cpu_s=%.3f "
           "cpu_user_s=%.3f cpu_sys_s=%.3f cpu_us_per_record=%.3f rss_kb=%ld bytes=%llu "
           "transactions=%lld ok=%d\n",
           pf->client ? pf->client : "?", pf->o.num_records, pf->sent, pf->delivered,
           pf->failed + pf->refused, pf->duplicates, secs, rps, mbps, avg, ms(h->max),
           ms(cli_hist_quantile(h, 0.50)), ms(cli_hist_quantile(h, 0.95)),
           ms(cli_hist_quantile(h, 0.99)), ms(cli_hist_quantile(h, 0.999)), cpu, user, sys,
           us_per_rec, rss_kb, pf->bytes_delivered, pf->committed, ok);
    fflush(stdout);
    cli_perf_free(pf);
    return ok ? 0 : 1;
}

void cli_perf_free(cli_perfrun *pf) {
    if (!pf)
        return;
    free(pf->pool);
    free(pf->payloads);
    free(pf->seen);
    free(pf->send_us);
    free(pf);
}
