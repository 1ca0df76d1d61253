/* The sender thread and the producer's lifecycle without any broker:
 * bootstrap.servers points at a loopback port nobody listens on, so the
 * cluster is "down" for the whole test. Where a test needs a topic's
 * partition count it sets it in the accumulator directly (producer.h), as a
 * metadata response would. Checked here: the sender does not spin while it
 * waits for metadata, records expire by delivery.timeout.ms even before
 * idempotence has a producer id, and kprod_close is safe while other
 * threads are blocked in (or still inside) kprod_send. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "accumulator.h"
#include "clock.h"
#include "producer.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_reports;
static kprod_err_t g_last_err;

static void on_report(const kprod_report_t *r, void *opaque) {
    (void)opaque;
    pthread_mutex_lock(&g_lock);
    g_reports++;
    g_last_err = r->err;
    pthread_mutex_unlock(&g_lock);
}

static int reports(void) {
    pthread_mutex_lock(&g_lock);
    int n = g_reports;
    pthread_mutex_unlock(&g_lock);
    return n;
}

static int setup(void **state) {
    (void)state;
    g_reports = 0;
    g_last_err = KPROD_ERR_NO_ERROR;
    return 0;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A loopback port nobody listens on. */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static kprod_conf_t *down_conf(const char *const *props) {
    kprod_conf_t *conf = kprod_conf_new();
    char err[256], bs[64];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", closed_port());
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", bs, err, sizeof(err)), 0);
    for (int i = 0; props && props[i]; i += 2)
        if (kprod_conf_set(conf, props[i], props[i + 1], err, sizeof(err)) != 0)
            fail_msg("%s=%s: %s", props[i], props[i + 1], err);
    kprod_conf_set_delivery_cb(conf, on_report, NULL);
    return conf;
}

static kprod_t *new_down(kprod_conf_t *conf) {
    kprod_t *p = NULL;
    char err[256];
    if (kprod_new(conf, &p, err, sizeof(err)) != 0)
        fail_msg("kprod_new: %s", err);
    return p;
}

/* Gives the topic a partition count, as a metadata response would. */
static void inject_topic(kprod_t *p, const char *name, int32_t partitions) {
    pthread_mutex_lock(&p->acc.lock);
    kp_topic *t = kp_acc_topic_locked(&p->acc, name, 1);
    assert_non_null(t);
    assert_int_equal(kp_acc_set_partition_count_locked(&p->acc, t, partitions), 0);
    pthread_mutex_unlock(&p->acc.lock);
}

static kprod_record_t record(const char *topic, int32_t partition, const void *value, size_t len) {
    kprod_record_t r = KPROD_RECORD_INIT;
    r.topic = topic;
    r.partition = partition;
    r.value = value;
    r.value_len = len;
    return r;
}

static int64_t cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* While a topic waits for metadata the cluster cannot give, the sender
 * sleeps between attempts. It used to poll() with a zero timeout for as
 * long as any topic wanted metadata: a core at 100% for ever. */
static void idle_cpu_check(const char *idempotence) {
    const char *props[] = {"max.block.ms", "200", "enable.idempotence", idempotence, NULL};
    kprod_t *p = new_down(down_conf(props));
    kprod_record_t r = record("waiting", KPROD_PARTITION_ANY, "v", 1);
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__TIMED_OUT);
    int64_t wall0 = kp_now_ms(), cpu0 = cpu_ms();
    sleep_ms(600);
    int64_t wall = kp_now_ms() - wall0, cpu = cpu_ms() - cpu0;
    if (cpu * 4 > wall)
        fail_msg("enable.idempotence=%s: the producer used %lld ms of CPU in %lld ms while idle",
                 idempotence, (long long)cpu, (long long)wall);
    assert_int_equal(kprod_close(p, 0), 0);
}

static void test_no_busy_loop_while_metadata_wanted(void **state) {
    (void)state;
    idle_cpu_check("false");
    idle_cpu_check("true");
}

/* With idempotence (the default) nothing may be sent before
 * InitProducerId, but records must still fail at delivery.timeout.ms; they
 * used to wait until kprod_close. */
static void test_expiry_without_producer_id(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "0", "request.timeout.ms", "100", "delivery.timeout.ms",
                           "300",       NULL};
    kprod_t *p = new_down(down_conf(props));
    inject_topic(p, "expiring", 1);
    kprod_record_t r = record("expiring", 0, "v", 1);
    int64_t start = kp_now_ms();
    assert_int_equal(kprod_send(p, &r, NULL, NULL), 0);
    while (reports() == 0 && kp_now_ms() - start < 5000)
        kprod_poll(p, 50);
    int64_t took = kp_now_ms() - start;
    assert_int_equal(reports(), 1);
    assert_int_equal(g_last_err, KPROD_ERR__MSG_TIMED_OUT);
    assert_true(took >= 300);
    assert_int_equal(kprod_outstanding(p), 0);
    assert_int_equal(kprod_close(p, 0), 0);
}

typedef struct sender_thread {
    kprod_t *p;
    kprod_record_t rec;
    kprod_err_t err;
    atomic_int done;
} sender_thread;

static void *sender_thread_main(void *arg) {
    sender_thread *st = arg;
    st->err = kprod_send(st->p, &st->rec, NULL, NULL);
    atomic_store(&st->done, 1);
    return NULL;
}

/* A send blocked on the partition count is woken by close with _CLOSED. */
static void test_close_while_send_waits_for_metadata(void **state) {
    (void)state;
    const char *props[] = {"max.block.ms", "30000", NULL};
    kprod_t *p = new_down(down_conf(props));
    sender_thread st = {.p = p, .rec = record("never", KPROD_PARTITION_ANY, "v", 1)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_thread_main, &st), 0);
    /* The sender holds acc.lock from making the topic until it waits. */
    int64_t deadline = kp_now_ms() + 5000;
    for (;;) {
        pthread_mutex_lock(&p->acc.lock);
        int there = kp_acc_topic_locked(&p->acc, "never", 0) != NULL;
        pthread_mutex_unlock(&p->acc.lock);
        if (there)
            break;
        assert_true(kp_now_ms() < deadline);
        sleep_ms(1);
    }
    int64_t start = kp_now_ms();
    assert_int_equal(kprod_close(p, 0), 0);
    assert_true(kp_now_ms() - start < 5000);
    pthread_join(th, NULL);
    assert_int_equal(st.err, KPROD_ERR__CLOSED);
    assert_int_equal(reports(), 0);
}

/* A send blocked on buffer.memory is woken by close with _CLOSED; the
 * record already accepted is purged with exactly one report. */
static void test_close_while_send_waits_for_memory(void **state) {
    (void)state;
    const char *props[] = {"buffer.memory", "2048",  "batch.size", "1024",
                           "max.block.ms",  "30000", NULL};
    kprod_t *p = new_down(down_conf(props));
    inject_topic(p, "full", 1);
    static char big[900];
    kprod_record_t r = record("full", 0, big, sizeof(big));
    assert_int_equal(kprod_send(p, &r, NULL, NULL), 0);
    sender_thread st = {.p = p, .rec = r};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_thread_main, &st), 0);
    int64_t deadline = kp_now_ms() + 5000;
    for (;;) {
        pthread_mutex_lock(&p->acc.lock);
        int waiting = p->acc.space_waiters > 0;
        pthread_mutex_unlock(&p->acc.lock);
        if (waiting)
            break;
        assert_false(atomic_load(&st.done));
        assert_true(kp_now_ms() < deadline);
        sleep_ms(1);
    }
    assert_int_equal(kprod_close(p, 0), KPROD_ERR__FLUSH_TIMED_OUT);
    pthread_join(th, NULL);
    assert_int_equal(st.err, KPROD_ERR__CLOSED);
    assert_int_equal(reports(), 1);
    assert_int_equal(g_last_err, KPROD_ERR__PURGED_ON_CLOSE);
}

static atomic_int g_in_serializer;

static kprod_err_t slow_serializer(const char *topic, const void *obj, size_t len,
                                   kprod_sink_t *sink, void *opaque) {
    (void)topic;
    (void)opaque;
    atomic_store(&g_in_serializer, 1);
    sleep_ms(300);
    return kprod_sink_write(sink, obj, len);
}

/* close while another thread is still inside kprod_send (in its value
 * serializer, before it takes any lock): close must not free the producer
 * under it. (Under AddressSanitizer the old code fails here with a
 * use-after-free.) */
static void test_close_waits_for_send_in_progress(void **state) {
    (void)state;
    kprod_conf_t *conf = down_conf(NULL);
    kprod_conf_set_value_serializer(conf, slow_serializer, NULL);
    kprod_t *p = new_down(conf);
    atomic_store(&g_in_serializer, 0);
    sender_thread st = {.p = p, .rec = record("slow", KPROD_PARTITION_ANY, "v", 1)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_thread_main, &st), 0);
    int64_t deadline = kp_now_ms() + 5000;
    while (!atomic_load(&g_in_serializer)) {
        assert_true(kp_now_ms() < deadline);
        sleep_ms(1);
    }
    assert_int_equal(kprod_close(p, 0), 0);
    pthread_join(th, NULL);
    assert_int_equal(st.err, KPROD_ERR__CLOSED);
}

/* delivery.report.mode=thread: closing right after creating must never
 * hang on the report thread (a lost wake-up made kprod_close wait for ever
 * when stop was set between the thread's check and its wait). */
static void test_report_thread_close_promptly(void **state) {
    (void)state;
    const char *props[] = {"delivery.report.mode", "thread", NULL};
    for (int i = 0; i < 30; i++) {
        kprod_t *p = new_down(down_conf(props));
        int64_t start = kp_now_ms();
        assert_int_equal(kprod_close(p, 0), 0);
        assert_true(kp_now_ms() - start < 5000);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_busy_loop_while_metadata_wanted, setup),
        cmocka_unit_test_setup(test_expiry_without_producer_id, setup),
        cmocka_unit_test_setup(test_close_while_send_waits_for_metadata, setup),
        cmocka_unit_test_setup(test_close_while_send_waits_for_memory, setup),
        cmocka_unit_test_setup(test_close_waits_for_send_in_progress, setup),
        cmocka_unit_test_setup(test_report_thread_close_promptly, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
