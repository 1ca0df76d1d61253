/* The sender thread and the producer's lifecycle without a working broker.
 * Checked here: the sender does not spin while the cluster cannot be used
 * (turns of its loop are counted per connection attempt, which the test
 * itself observes), records expire by delivery.timeout.ms even before
 * idempotence has a producer id, and kprod_close is safe while other
 * threads are blocked in, or still inside, kprod_send. Where a test needs a
 * topic's partitions it applies them to the accumulator as the metadata
 * client would. Every wait is on a condition, with a deadline. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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
#include "peek.h"
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

/* Sends one record to a new topic from a thread, which waits for the
 * partitions, and gives it them: the send then completes. */
static kprod_err_t send_to_new_topic(kprod_t *p, const char *topic, int32_t partition,
                                     int32_t count, const void *value, size_t len) {
    sender_thread st = {.p = p, .rec = kpt_value_record(topic, partition, value, len)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_thread_main, &st), 0);
    peek_await_topic(p, topic);
    peek_apply_partitions(p, topic, count);
    pthread_join(th, NULL);
    return st.err;
}

/* ---- no busy loop ---- */

/* A peer that accepts each connection and closes it at once, counting. */
typedef struct closer {
    int fd;
    atomic_int accepted;
    atomic_int stop;
    pthread_t th;
} closer;

static void *closer_main(void *arg) {
    closer *c = arg;
    while (!atomic_load(&c->stop)) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) == 1) {
            int s = accept(c->fd, NULL, NULL);
            if (s >= 0) {
                close(s);
                atomic_fetch_add(&c->accepted, 1);
            }
        }
    }
    return NULL;
}

/* While the only broker drops every connection at once, the sender waits
 * out reconnect.backoff.ms between attempts. A loop that spins (poll with
 * a zero timeout for as long as a topic wants metadata, say) makes
 * thousands of turns per attempt; a sleeping one a handful. The window is
 * delimited by the connection attempts this test sees, not by a clock. */
static void turns_per_attempt(const char *idempotence) {
    closer c = {0};
    int port;
    c.fd = kpt_loopback_socket(1, &port);
    assert_int_equal(pthread_create(&c.th, NULL, closer_main, &c), 0);
    const char *props[] = {"max.block.ms",
                           "100",
                           "enable.idempotence",
                           idempotence,
                           "reconnect.backoff.ms",
                           "50",
                           "reconnect.backoff.max.ms",
                           "50",
                           NULL};
    kprod_t *p = kpt_new_producer(kpt_conf_for_port(port, props, on_report));
    kprod_record_t r = kpt_value_record("waiting", KPROD_PARTITION_ANY, "v", 1);
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__TIMED_OUT);
    int64_t deadline = kp_now_ms() + 10000;
    int a0 = atomic_load(&c.accepted);
    unsigned long t0 = kp_sender_turns(p->sender);
    while (atomic_load(&c.accepted) < a0 + 6) {
        assert_true(kp_now_ms() < deadline);
        peek_pause_1ms();
    }
    unsigned long turns = kp_sender_turns(p->sender) - t0;
    int attempts = atomic_load(&c.accepted) - a0;
    if (turns > (unsigned long)attempts * 40)
        fail_msg("enable.idempotence=%s: %lu sender turns for %d connection attempts", idempotence,
                 turns, attempts);
    assert_int_equal(kprod_close(p, 0), 0);
    atomic_store(&c.stop, 1);
    pthread_join(c.th, NULL);
    close(c.fd);
}

static void test_no_busy_loop_while_cluster_unusable(void **state) {
    (void)state;
    turns_per_attempt("false");
    turns_per_attempt("true");
}

/* ---- expiry ---- */

/* With idempotence (the default) nothing may be sent before
 * InitProducerId, but records must still fail at delivery.timeout.ms,
 * not wait until kprod_close. */
static void test_expiry_without_producer_id(void **state) {
    (void)state;
    const char *props[] = {"linger.ms", "0", "request.timeout.ms", "100", "delivery.timeout.ms",
                           "300",       NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    int64_t start = kp_now_ms();
    assert_int_equal(send_to_new_topic(p, "expiring", 0, 1, "v", 1), 0);
    while (reports() == 0 && kp_now_ms() - start < 5000)
        kprod_poll(p, 50);
    int64_t took = kp_now_ms() - start;
    assert_int_equal(reports(), 1);
    assert_int_equal(g_last_err, KPROD_ERR__MSG_TIMED_OUT);
    assert_true(took >= 300);
    assert_int_equal(kprod_outstanding(p), 0);
    assert_int_equal(kprod_close(p, 0), 0);
}

/* ---- close ---- */

/* A send blocked on the partition count is woken by close with _CLOSED. */
static void test_close_while_send_waits_for_metadata(void **state) {
    (void)state;
    const char *props[] = {"max.block.ms", "30000", NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    sender_thread st = {.p = p, .rec = kpt_value_record("never", KPROD_PARTITION_ANY, "v", 1)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_thread_main, &st), 0);
    peek_await_topic(p, "never"); /* made, and waiting under the lock's condition */
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
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    static char big[900];
    assert_int_equal(send_to_new_topic(p, "full", 0, 1, big, sizeof(big)), 0);
    sender_thread st = {.p = p, .rec = kpt_value_record("full", 0, big, sizeof(big))};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_thread_main, &st), 0);
    int64_t deadline = kp_now_ms() + 5000;
    while (kp_acc_space_waiters(p->acc) == 0) {
        assert_false(atomic_load(&st.done));
        assert_true(kp_now_ms() < deadline);
        peek_pause_1ms();
    }
    assert_int_equal(kprod_close(p, 0), KPROD_ERR__FLUSH_TIMED_OUT);
    pthread_join(th, NULL);
    assert_int_equal(st.err, KPROD_ERR__CLOSED);
    assert_int_equal(reports(), 1);
    assert_int_equal(g_last_err, KPROD_ERR__PURGED_ON_CLOSE);
}

/* A value serializer that holds the send until the test opens the gate. */
static pthread_mutex_t g_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_gate_cv = PTHREAD_COND_INITIALIZER;
static int g_gate_open, g_in_serializer;

static kprod_err_t gated_serializer(const char *topic, const void *obj, size_t len,
                                    kprod_sink_t *sink, void *opaque) {
    (void)topic;
    (void)opaque;
    pthread_mutex_lock(&g_gate_lock);
    g_in_serializer = 1;
    pthread_cond_broadcast(&g_gate_cv);
    while (!g_gate_open)
        pthread_cond_wait(&g_gate_cv, &g_gate_lock);
    pthread_mutex_unlock(&g_gate_lock);
    return kprod_sink_write(sink, obj, len);
}

typedef struct closer_thread {
    kprod_t *p;
    kprod_err_t err;
    atomic_int done;
} closer_thread;

static void *closer_thread_main(void *arg) {
    closer_thread *ct = arg;
    ct->err = kprod_close(ct->p, 0);
    atomic_store(&ct->done, 1);
    return NULL;
}

/* close while another thread is still inside kprod_send (in its value
 * serializer, before it reaches the accumulator): close must wait for it
 * rather than free the producer under it (AddressSanitizer sees that). */
static void test_close_waits_for_send_in_progress(void **state) {
    (void)state;
    kprod_conf_t *conf = kpt_down_conf(NULL, on_report);
    kprod_conf_set_value_serializer(conf, gated_serializer, NULL);
    kprod_t *p = kpt_new_producer(conf);
    g_gate_open = g_in_serializer = 0;
    sender_thread st = {.p = p, .rec = kpt_value_record("slow", KPROD_PARTITION_ANY, "v", 1)};
    pthread_t th, ct_th;
    assert_int_equal(pthread_create(&th, NULL, sender_thread_main, &st), 0);
    pthread_mutex_lock(&g_gate_lock);
    while (!g_in_serializer)
        pthread_cond_wait(&g_gate_cv, &g_gate_lock);
    pthread_mutex_unlock(&g_gate_lock);
    closer_thread ct = {.p = p};
    kp_acc *acc = p->acc; /* p is freed once close returns */
    assert_int_equal(pthread_create(&ct_th, NULL, closer_thread_main, &ct), 0);
    /* Once the accumulator is shut, close is waiting for the send. */
    int64_t deadline = kp_now_ms() + 5000;
    while (!kp_acc_closing(acc)) {
        assert_true(kp_now_ms() < deadline);
        peek_pause_1ms();
    }
    assert_false(atomic_load(&ct.done));
    pthread_mutex_lock(&g_gate_lock);
    g_gate_open = 1;
    pthread_cond_broadcast(&g_gate_cv);
    pthread_mutex_unlock(&g_gate_lock);
    pthread_join(th, NULL);
    pthread_join(ct_th, NULL);
    assert_int_equal(st.err, KPROD_ERR__CLOSED);
    assert_int_equal(ct.err, 0);
}

/* delivery.report.mode=thread: closing right after creating must never
 * hang on the report thread (a stop set between the thread's check and
 * its wait must still end it). */
static void test_report_thread_close_promptly(void **state) {
    (void)state;
    const char *props[] = {"delivery.report.mode", "thread", NULL};
    for (int i = 0; i < 30; i++) {
        kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
        int64_t start = kp_now_ms();
        assert_int_equal(kprod_close(p, 0), 0);
        assert_true(kp_now_ms() - start < 5000);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_busy_loop_while_cluster_unusable, setup),
        cmocka_unit_test_setup(test_expiry_without_producer_id, setup),
        cmocka_unit_test_setup(test_close_while_send_waits_for_metadata, setup),
        cmocka_unit_test_setup(test_close_while_send_waits_for_memory, setup),
        cmocka_unit_test_setup(test_close_waits_for_send_in_progress, setup),
        cmocka_unit_test_setup(test_report_thread_close_promptly, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
