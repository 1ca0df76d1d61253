/* The run loop of `kprod perf` and bench/rdkafka_perf
 * (tools/kprod/perf_driver.c) with a client of the test's own, so that
 * what the loop does is seen record by record: with --threads 4 every
 * record is sent exactly once, by thread i % 4 (never the run's own
 * thread), to topic i % --topics with key i % -k; poll and flush run on
 * the run's thread only; a full buffer is retried; -r's schedule holds on
 * every thread; a STOP ends every sender. And the options: --threads and
 * --topics out of range name the option and the range, transactions are
 * refused with --threads, and the topic names. Run under TSan in a
 * KPROD_TSAN tree, it also checks the loop for data races. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "perf_driver.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- a client that keeps what it was given ---- */

typedef struct fake {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    cli_perfrun *pf;
    pthread_t run_thread; /* the thread that calls cli_perf_run */
    uint64_t n;
    /* per record number, under lock */
    unsigned *sends; /* accepted sends */
    unsigned *topic; /* topic number given */
    long *key;       /* the key as a number, -1 for a null key */
    pthread_t *by;   /* the thread that sent it */
    uint64_t *at_ns; /* when it was accepted */
    unsigned *fulls; /* CLI_PERF_FULL answers given to it */
    void **queue;    /* accepted, not yet reported */
    size_t queued;
    uint64_t stop_at; /* records from this number on: CLI_PERF_STOP */
    long off_thread;  /* poll or flush called on another thread */
    long bogus;       /* opaques that carry no record number of the run */
} fake;

/* A fake for n records, and the options of a run of n records. */
static cli_perf_opts fake_init(fake *f, uint64_t n) {
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->run_thread = pthread_self();
    f->n = n;
    f->sends = calloc(n, sizeof(*f->sends));
    f->topic = calloc(n, sizeof(*f->topic));
    f->key = calloc(n, sizeof(*f->key));
    f->by = calloc(n, sizeof(*f->by));
    f->at_ns = calloc(n, sizeof(*f->at_ns));
    f->fulls = calloc(n, sizeof(*f->fulls));
    f->queue = calloc(n, sizeof(*f->queue));
    f->stop_at = UINT64_MAX;
    assert_true(f->sends && f->topic && f->key && f->by && f->at_ns && f->fulls && f->queue);
    cli_perf_opts o = CLI_PERF_OPTS_INIT;
    o.num_records = (long long)n;
    return o;
}

static void fake_free(fake *f) {
    free(f->sends);
    free(f->topic);
    free(f->key);
    free(f->by);
    free(f->at_ns);
    free(f->fulls);
    free(f->queue);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cv);
}

/* Every 100th record is answered FULL twice before it is taken. */
static cli_perf_send_rc fake_send(void *ctx, unsigned topic, const void *key, size_t key_len,
                                  const void *value, size_t value_len, void *opaque) {
    fake *f = ctx;
    (void)value;
    (void)value_len;
    uint64_t i = (uint64_t)(uintptr_t)opaque >> 32; /* the record's number (64-bit) */
    pthread_mutex_lock(&f->lock);
    cli_perf_send_rc rc = CLI_PERF_SENT;
    if (i >= f->n) { /* no cmocka assert here: not on the test's thread */
        f->bogus++;
        rc = CLI_PERF_FAILED;
    } else if (i >= f->stop_at) {
        rc = CLI_PERF_STOP;
    } else if (i % 100 == 0 && f->fulls[i] < 2) {
        f->fulls[i]++;
        rc = CLI_PERF_FULL;
    } else {
        f->sends[i]++;
        f->topic[i] = topic;
        f->key[i] = key ? strtol(memcpy((char[24]){0}, key, key_len), NULL, 10) : -1;
        f->by[i] = pthread_self();
        f->at_ns[i] = now_ns();
        f->queue[f->queued++] = opaque;
        pthread_cond_signal(&f->cv);
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

/* Reports everything accepted so far as delivered, waiting up to
 * timeout_ms for something to report. */
static void fake_poll(void *ctx, int timeout_ms) {
    fake *f = ctx;
    static void *batch[1 << 16];
    pthread_mutex_lock(&f->lock);
    if (!pthread_equal(pthread_self(), f->run_thread))
        f->off_thread++;
    if (f->queued == 0 && timeout_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)timeout_ms * 1000000;
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&f->cv, &f->lock, &ts);
    }
    size_t n = f->queued < (1 << 16) ? f->queued : (1 << 16);
    f->queued -= n;
    memcpy(batch, f->queue + f->queued, n * sizeof(*batch));
    pthread_mutex_unlock(&f->lock);
    for (size_t k = 0; k < n; k++)
        cli_perf_report(f->pf, batch[k], NULL, NULL);
}

static void fake_flush(void *ctx) {
    fake *f = ctx;
    for (;;) {
        pthread_mutex_lock(&f->lock);
        size_t left = f->queued;
        pthread_mutex_unlock(&f->lock);
        if (left == 0)
            return;
        fake_poll(ctx, 0);
    }
}

/* Runs n records of 10 bytes through the fake with these options; the
 * driver's exit status. */
static int run(fake *f, cli_perf_opts *o) {
    o->record_size = 10;
    o->record_size_given = 1;
    o->interval_s = 0;
    assert_int_equal(cli_perf_check_opts("test", o), 0);
    f->pf = cli_perf_new("test", o);
    assert_non_null(f->pf);
    cli_perf_client c = {
        .name = "fake", .ctx = f, .send = fake_send, .poll = fake_poll, .flush = fake_flush};
    cli_perf_run(f->pf, &c);
    return cli_perf_finish(f->pf);
}

static void test_threads_share_records(void **state) {
    (void)state;
    if (sizeof(void *) < 8)
        skip(); /* the fake reads the record's number from a 64-bit opaque */
    const uint64_t n = 20000;
    fake f;
    cli_perf_opts o = fake_init(&f, n);
    o.threads = 4;
    o.topics = 3;
    o.keys = 7;
    assert_int_equal(run(&f, &o), 0);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(f.sends[i], 1);
        assert_int_equal(f.topic[i], i % 3);
        assert_int_equal(f.key[i], (long)(i % 7));
        assert_true(pthread_equal(f.by[i], f.by[i % 4]));
        assert_int_equal(f.fulls[i], i % 100 == 0 ? 2 : 0);
    }
    for (int a = 0; a < 4; a++) {
        assert_false(pthread_equal(f.by[a], f.run_thread));
        for (int b = a + 1; b < 4; b++)
            assert_false(pthread_equal(f.by[a], f.by[b]));
    }
    assert_int_equal(f.off_thread, 0);
    assert_int_equal(f.bogus, 0);
    fake_free(&f);
}

/* --threads 1: the caller's thread sends everything; --topics still
 * applies. */
static void test_one_thread_topics(void **state) {
    (void)state;
    if (sizeof(void *) < 8)
        skip();
    const uint64_t n = 3000;
    fake f;
    cli_perf_opts o = fake_init(&f, n);
    o.topics = 5;
    assert_int_equal(run(&f, &o), 0);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(f.sends[i], 1);
        assert_int_equal(f.topic[i], i % 5);
        assert_int_equal(f.key[i], -1);
        assert_true(pthread_equal(f.by[i], f.run_thread));
    }
    fake_free(&f);
}

/* -r 4000 on 4 threads: record i is not sent before start + i / 4000 s. */
static void test_threads_keep_schedule(void **state) {
    (void)state;
    if (sizeof(void *) < 8)
        skip();
    const uint64_t n = 400;
    fake f;
    cli_perf_opts o = fake_init(&f, n);
    o.threads = 4;
    o.throughput = 4000;
    uint64_t start = now_ns();
    assert_int_equal(run(&f, &o), 0);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(f.sends[i], 1);
        assert_true(f.at_ns[i] >= start + i * 250000);
    }
    fake_free(&f);
}

/* A STOP from the client ends every sender; the run fails. */
static void test_threads_stop(void **state) {
    (void)state;
    if (sizeof(void *) < 8)
        skip();
    const uint64_t n = 100000;
    fake f;
    cli_perf_opts o = fake_init(&f, n);
    f.stop_at = 1000;
    o.threads = 4;
    assert_int_equal(run(&f, &o), 1);
    for (uint64_t i = 1000; i < n; i++)
        assert_int_equal(f.sends[i], 0);
    fake_free(&f);
}

/* ---- options ---- */

/* Runs cli_perf_take_opt with stderr going to a file; its result, and
 * what it printed in err. */
static int take(int c, const char *arg, cli_perf_opts *o, char *err, size_t cap) {
    char path[] = "/tmp/test_perf_driver_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    int rc = cli_perf_take_opt("kprod perf", c, arg, o);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t got = pread(fd, err, cap - 1, 0);
    err[got > 0 ? got : 0] = '\0';
    close(fd);
    unlink(path);
    return rc;
}

static void test_options(void **state) {
    (void)state;
    cli_perf_opts o = CLI_PERF_OPTS_INIT;
    char err[512];
    assert_int_equal(o.threads, 1);
    assert_int_equal(o.topics, 1);
    assert_int_equal(take(CLI_PERF_OPT_THREADS, "64", &o, err, sizeof(err)), 1);
    assert_int_equal(o.threads, 64);
    assert_int_equal(take(CLI_PERF_OPT_TOPICS, "10000", &o, err, sizeof(err)), 1);
    assert_int_equal(o.topics, 10000);
    static const char *const bad_threads[] = {"0", "65", "-1", "four", "", "4x"};
    for (size_t k = 0; k < sizeof(bad_threads) / sizeof(*bad_threads); k++) {
        assert_int_equal(take(CLI_PERF_OPT_THREADS, bad_threads[k], &o, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "kprod perf: --threads"));
        assert_non_null(strstr(err, "from 1 to 64"));
    }
    static const char *const bad_topics[] = {"0", "10001", "many"};
    for (size_t k = 0; k < sizeof(bad_topics) / sizeof(*bad_topics); k++) {
        assert_int_equal(take(CLI_PERF_OPT_TOPICS, bad_topics[k], &o, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "kprod perf: --topics"));
        assert_non_null(strstr(err, "from 1 to 10000"));
    }
    assert_int_equal(o.threads, 64); /* a bad value changes nothing */
    assert_int_equal(o.topics, 10000);
}

/* Transactions take one thread: refused with --threads above 1, whether
 * asked for by option or (cli_perf_txn_defaults) by transactional.id. */
static void test_no_txn_threads(void **state) {
    (void)state;
    cli_perf_opts o = CLI_PERF_OPTS_INIT;
    o.num_records = 10;
    o.record_size_given = 1;
    o.txn_records = 5;
    assert_int_equal(cli_perf_check_opts("test", &o), 0);
    o.threads = 2;
    assert_int_equal(cli_perf_check_opts("test", &o), -1);
    o.txn_records = 0;
    assert_int_equal(cli_perf_check_opts("test", &o), 0);
    assert_int_equal(cli_perf_txn_defaults("test", &o), -1);
    o.threads = 1;
    assert_int_equal(cli_perf_txn_defaults("test", &o), 0);
    assert_int_equal(o.txn_duration_ms, 3000);
}

static void test_topic_names(void **state) {
    (void)state;
    char **one = cli_perf_topic_names("test", "bench", 1);
    assert_non_null(one);
    assert_string_equal(one[0], "bench");
    free(one);
    char **three = cli_perf_topic_names("test", "bench", 3);
    assert_non_null(three);
    assert_string_equal(three[0], "bench.0");
    assert_string_equal(three[2], "bench.2");
    free(three);
    char **most = cli_perf_topic_names("test", "t", CLI_PERF_MAX_TOPICS);
    assert_non_null(most);
    assert_string_equal(most[10], "t.10");
    assert_string_equal(most[CLI_PERF_MAX_TOPICS - 1], "t.9999");
    free(most);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_records),
        cmocka_unit_test(test_one_thread_topics),
        cmocka_unit_test(test_threads_keep_schedule),
        cmocka_unit_test(test_threads_stop),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_no_txn_threads),
        cmocka_unit_test(test_topic_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
