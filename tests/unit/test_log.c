/* The producer's logs, seen through the log callback as a user sees them:
 * a refused connection, a broker that closes the connection, a
 * configuration adjusted behind the user's back; a broker that stays down
 * costs one warning, not one per reconnect; without a callback the
 * warnings reach stderr. No broker needed: loopback sockets stand in. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

static void ignore_report(const kprod_report_t *r, void *o) { (void)r, (void)o; }

static void fail_dump(kpt_logcap *lc, const char *what) {
    char *d = kpt_logcap_dump(lc);
    fail_msg("%s; the log was:\n%s", what, d);
    free(d);
}

static void test_debug_words(void **state) {
    (void)state;
    unsigned bits = 0;
    char err[256];
    assert_int_equal(kp_log_parse_debug("broker, metadata", &bits, err, sizeof(err)), 0);
    assert_int_equal(bits, KP_DBG_BROKER | KP_DBG_METADATA);
    assert_int_equal(kp_log_parse_debug("ALL", &bits, err, sizeof(err)), 0);
    assert_int_equal(bits, KP_DBG_ALL);
    assert_int_equal(kp_log_parse_debug("", &bits, err, sizeof(err)), 0);
    assert_int_equal(bits, 0);
    assert_int_equal(kp_log_parse_debug("msg,topic", &bits, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "\"topic\""));
    assert_non_null(strstr(err, "idempotence")); /* says what is accepted */
}

/* kp_logf's filter: levels above log_level are dropped, debug lines come
 * only for the contexts asked for. */
static int seen;
static void count_cb(int level, const char *ctx, const char *msg, void *o) {
    (void)level, (void)ctx, (void)o;
    assert_null(strchr(msg, '\n'));
    seen++;
}

static void test_levels_and_contexts(void **state) {
    (void)state;
    kp_log lg = {.level = KPROD_LOG_WARNING, .debug = KP_DBG_BROKER, .cb = count_cb};
    seen = 0;
    KP_WARN(&lg, KP_DBG_BROKER, "shown");
    KP_INFO(&lg, KP_DBG_BROKER, "above log_level: dropped");
    KP_DEBUG(&lg, KP_DBG_BROKER, "asked-for trace");
    KP_DEBUG(&lg, KP_DBG_MSG, "not asked for");
    KP_ERROR(&lg, KP_DBG_MSG, "two\nlines become one");
    assert_int_equal(seen, 3);
    KP_WARN(NULL, KP_DBG_BROKER, "no log: nothing");
    assert_int_equal(seen, 3);
}

/* Nobody listens: one warning naming the address and the OS's reason,
 * however often kprod tries again. */
static void test_connection_refused_warned_once(void **state) {
    (void)state;
    kpt_logcap *lc = kpt_logcap_new();
    int port;
    kpt_loopback_socket(0, &port);
    const char *props[] = {
        "reconnect.backoff.ms", "5", "reconnect.backoff.max.ms", "10", "debug", "broker", NULL};
    kprod_conf_t *conf = kpt_conf_for_port(port, props, ignore_report);
    kpt_logcap_install(conf, lc);
    kprod_t *p = kpt_new_producer(conf);
    char addr[32];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    if (!kpt_logcap_wait(lc, 5000, KPROD_LOG_WARNING, "broker", addr, "Connection refused", NULL))
        fail_dump(lc, "no warning about the refused connection");
    /* Five more attempts, each a debug line, none a warning. */
    if (kpt_logcap_wait(lc, 10000, KPROD_LOG_DEBUG, "broker", "(again: 6 failed", NULL) == 0)
        fail_dump(lc, "kprod stopped reconnecting");
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR_NO_ERROR);
    if (kpt_logcap_count(lc, KPROD_LOG_WARNING, "broker", "Connection refused", NULL) != 1)
        fail_dump(lc, "the same refusal was warned about more than once");
    kpt_logcap_free(lc);
}

/* A port that is not Kafka: it accepts the connection and closes it. */
static void *accept_and_close(void *arg) {
    int lfd = *(int *)arg;
    for (int i = 0; i < 2; i++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            break;
        char buf[64];
        ssize_t n = recv(fd, buf, sizeof(buf), 0); /* the ApiVersions request */
        (void)n;
        close(fd);
    }
    return NULL;
}

static void test_broker_closes_connection(void **state) {
    (void)state;
    kpt_logcap *lc = kpt_logcap_new();
    int port;
    int lfd = kpt_loopback_socket(1, &port);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, accept_and_close, &lfd), 0);
    kprod_conf_t *conf = kpt_conf_for_port(port, NULL, ignore_report);
    kpt_logcap_install(conf, lc);
    kprod_t *p = kpt_new_producer(conf);
    char what[64];
    snprintf(what, sizeof(what), "broker 127.0.0.1:%d closed the connection", port);
    if (!kpt_logcap_wait(lc, 5000, KPROD_LOG_WARNING, "broker", what, NULL))
        fail_dump(lc, "no warning about the closed connection");
    shutdown(lfd, SHUT_RDWR); /* ends the accept loop */
    pthread_join(th, NULL);
    close(lfd);
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR_NO_ERROR);
    kpt_logcap_free(lc);
}

/* acks=1 turns the default idempotence off: Java warns, so does kprod. */
static void test_idempotence_off_by_acks(void **state) {
    (void)state;
    kpt_logcap *lc = kpt_logcap_new();
    const char *props[] = {"acks", "1", NULL};
    kprod_conf_t *conf = kpt_down_conf(props, ignore_report);
    kpt_logcap_install(conf, lc);
    kprod_t *p = kpt_new_producer(conf);
    if (kpt_logcap_count(lc, KPROD_LOG_WARNING, "conf", "Idempotence disabled", "acks=1", NULL) !=
        1)
        fail_dump(lc, "no warning that acks=1 turned idempotence off");
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR_NO_ERROR);
    kpt_logcap_free(lc);
}

/* Without a callback: one line on stderr with a timestamp, the client.id,
 * the level and the message. */
static void test_stderr_without_callback(void **state) {
    (void)state;
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), 2) >= 0);
    const char *props[] = {"acks", "1", "client.id", "log-test-app", NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, ignore_report));
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR_NO_ERROR);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[4096] = "";
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof(buf) - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    const char *line = strstr(buf, "kprod[log-test-app] WARN conf: Idempotence disabled");
    if (!line)
        fail_msg("stderr had: %s", buf);
    /* 2026-12-07T01:02:03.456Z before it */
    assert_true(line - buf >= 25 && line[-2] == 'Z' && line[-6] == '.');
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debug_words),
        cmocka_unit_test(test_levels_and_contexts),
        cmocka_unit_test(test_connection_refused_warned_once),
        cmocka_unit_test(test_broker_closes_connection),
        cmocka_unit_test(test_idempotence_off_by_acks),
        cmocka_unit_test(test_stderr_without_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
