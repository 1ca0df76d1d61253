/* Many threads, one producer: 4 threads each send 25,000 records to a
 * 6-partition topic while reports are served by a 5th thread calling
 * kprod_poll (and kprod_flush on the main thread at the same time), or by
 * kprod's own report thread (delivery.report.mode=thread). Every record must
 * be reported exactly once and delivered, the independent consumer must see
 * each exactly once at its reported place, and one thread's records must
 * keep their order within a partition. Also run under ThreadSanitizer. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 4
#define PER_THREAD 25000
#define NREC (NTHREADS * PER_THREAD)
#define NPART 6

/* Written by whichever thread serves the report; relaxed atomics so that
 * ThreadSanitizer sees no race of ours and the library's own ordering
 * (reports before flush returns) is what the checks rely on. */
static atomic_int g_reports[NREC];
static _Atomic kprod_err_t g_err[NREC];
static atomic_int g_part[NREC];
static _Atomic int64_t g_offset[NREC];

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    int id = (int)(intptr_t)r->opaque;
    if (id < 0 || id >= NREC)
        abort();
    atomic_fetch_add_explicit(&g_reports[id], 1, memory_order_relaxed);
    atomic_store_explicit(&g_err[id], r->err, memory_order_relaxed);
    atomic_store_explicit(&g_part[id], r->partition, memory_order_relaxed);
    atomic_store_explicit(&g_offset[id], r->offset, memory_order_relaxed);
}

typedef struct sender_arg {
    kprod_t *p;
    const char *topic;
    int thread;
    kprod_err_t err; /* first failed send, if any */
    int failed_seq;
} sender_arg;

static void *sender_main(void *argp) {
    sender_arg *a = argp;
    char key[16], value[64];
    for (int seq = 0; seq < PER_THREAD; seq++) {
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = a->topic;
        /* Half keyed (murmur2), half null keys (the shared sticky partition). */
        if (seq % 2 == 0) {
            snprintf(key, sizeof(key), "k%d", seq % 97);
            rec.key = key;
            rec.key_len = strlen(key);
        }
        snprintf(value, sizeof(value), "t%d-s%d", a->thread, seq);
        rec.value = value;
        rec.value_len = strlen(value);
        kprod_err_t e =
            kprod_send(a->p, &rec, NULL, (void *)(intptr_t)(a->thread * PER_THREAD + seq));
        if (e) {
            a->err = e;
            a->failed_seq = seq;
            return NULL;
        }
    }
    return NULL;
}

typedef struct poller_arg {
    kprod_t *p;
    atomic_int stop;
} poller_arg;

static void *poller_main(void *argp) {
    poller_arg *a = argp;
    while (!atomic_load(&a->stop))
        kprod_poll(a->p, 100);
    return NULL;
}

static void run(const char *mode) {
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "conc");
    kpt_create_topic(topic, NPART, 1);
    for (int i = 0; i < NREC; i++) {
        atomic_store(&g_reports[i], 0);
        atomic_store(&g_part[i], -1);
    }

    char err[512];
    kprod_conf_t *conf = kprod_conf_new();
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "delivery.report.mode", mode, err, sizeof(err)), 0);
    kprod_conf_set_delivery_cb(conf, on_report, NULL);
    kprod_t *p;
    assert_int_equal(kprod_new(conf, &p, err, sizeof(err)), 0);

    int poll_mode = strcmp(mode, "poll") == 0;
    poller_arg pa = {.p = p};
    pthread_t poller;
    if (poll_mode)
        assert_int_equal(pthread_create(&poller, NULL, poller_main, &pa), 0);
    sender_arg sa[NTHREADS];
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        sa[t] = (sender_arg){.p = p, .topic = topic, .thread = t};
        assert_int_equal(pthread_create(&th[t], NULL, sender_main, &sa[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        if (sa[t].err)
            fail_msg("thread %d: send %d failed: %s", t, sa[t].failed_seq,
                     kprod_err_name(sa[t].err));
    }
    /* In poll mode this serves reports too, racing the poller thread. */
    assert_int_equal(kprod_flush(p, 60000), 0);
    assert_int_equal(kprod_outstanding(p), 0);
    if (poll_mode) {
        atomic_store(&pa.stop, 1);
        assert_int_equal(pthread_join(poller, NULL), 0);
    }
    assert_int_equal(kprod_close(p, 10000), 0);

    for (int id = 0; id < NREC; id++) {
        int n = atomic_load(&g_reports[id]);
        kprod_err_t e = atomic_load(&g_err[id]);
        if (n != 1 || e)
            fail_msg("record %d: %d reports, %s", id, n, kprod_err_name(e));
        int part = atomic_load(&g_part[id]);
        assert_true(part >= 0 && part < NPART);
    }

    kpt_record *recs = kpt_consume(topic, NREC);
    static int seen[NREC];
    memset(seen, 0, sizeof(seen));
    int last_seq[NTHREADS][NPART];
    for (int t = 0; t < NTHREADS; t++)
        for (int k = 0; k < NPART; k++)
            last_seq[t][k] = -1;
    for (int i = 0; i < NREC; i++) {
        const kpt_record *r = &recs[i];
        int t = -1, seq = -1;
        if (sscanf(r->value, "t%d-s%d", &t, &seq) != 2 || t < 0 || t >= NTHREADS || seq < 0 ||
            seq >= PER_THREAD)
            fail_msg("unexpected value '%s'", r->value);
        int id = t * PER_THREAD + seq;
        seen[id]++;
        assert_int_equal(r->partition, atomic_load(&g_part[id]));
        assert_true(r->offset == atomic_load(&g_offset[id]));
        if (seq % 2 == 0) {
            char key[16];
            snprintf(key, sizeof(key), "k%d", seq % 97);
            assert_string_equal(r->key, key);
        } else {
            assert_int_equal(r->key_len, -1);
        }
        /* kcat prints each partition in offset order. */
        if (seq <= last_seq[t][r->partition])
            fail_msg("partition %d: thread %d's seq %d after %d", r->partition, t, seq,
                     last_seq[t][r->partition]);
        last_seq[t][r->partition] = seq;
    }
    for (int id = 0; id < NREC; id++)
        if (seen[id] != 1)
            fail_msg("record %d seen %d times by the consumer", id, seen[id]);
    kpt_records_free(recs, NREC);
}

static void test_poll_thread(void **state) {
    (void)state;
    run("poll");
}

static void test_report_thread(void **state) {
    (void)state;
    run("thread");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_thread),
        cmocka_unit_test(test_report_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
