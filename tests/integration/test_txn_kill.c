/* A transactional producer killed with SIGKILL in mid-transaction, on the
 * real broker. A child process initializes, begins, writes records to two
 * partitions (acknowledged) and is killed before it commits. Then:
 * - read_committed readers (kcat) see nothing: the open transaction holds
 *   the last stable offset back; read_uncommitted ones see the records;
 * - the next kprod_txn_init with the same transactional.id aborts the
 *   leftover at once (long before transaction.timeout.ms, 60 s here): an
 *   ABORT marker follows the records in both partitions (Kafka's log
 *   dump), and read_committed still sees nothing of them;
 * - the new producer's own transaction commits and is seen. */
#include "testutil.h"
#include "txnutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char topic[128], txn_id[128];

static void expect_ok(kprod_err_t e, const char *what) {
    if (e)
        fail_msg("%s: %s (%s)", what, kprod_err_name(e), kprod_last_errstr());
}

/* The child: writes 5 records to each partition inside a transaction,
 * says "ready" on fd once they are acknowledged, and waits to be killed. */
static void child(int fd) {
    kprod_conf_t *conf = kprod_conf_new();
    char err[256];
    if (kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)) ||
        kprod_conf_set(conf, "transactional.id", txn_id, err, sizeof(err)) ||
        kprod_conf_set(conf, "transaction.timeout.ms", "60000", err, sizeof(err)))
        _exit(2);
    kprod_t *p;
    if (kprod_new(conf, &p, err, sizeof(err)) || kprod_txn_init(p, 60000) || kprod_txn_begin(p))
        _exit(3);
    for (int32_t part = 0; part < 2; part++)
        for (int i = 0; i < 5; i++) {
            char v[32];
            snprintf(v, sizeof(v), "dead-%d-%d", (int)part, i);
            kprod_record_t rec = kpt_value_record(topic, part, v, strlen(v));
            if (kprod_send(p, &rec, NULL, NULL))
                _exit(4);
        }
    if (kprod_flush(p, 30000) || kprod_outstanding(p) != 0)
        _exit(5);
    if (write(fd, "ready\n", 6) != 6)
        _exit(6);
    for (;;)
        pause(); /* SIGKILL ends it, in the middle of the transaction */
}

static void test_killed_mid_transaction(void **state) {
    (void)state;
    kpt_unique_topic(topic, sizeof(topic), "kprod-txn-kill");
    kpt_unique_topic(txn_id, sizeof(txn_id), "kprod-txn-kill-id");
    kpt_create_topic(topic, 2, 1);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child(fds[1]);
    }
    close(fds[1]);
    char buf[16] = "";
    ssize_t got = read(fds[0], buf, sizeof(buf) - 1); /* the child's deadlines bound it */
    close(fds[0]);
    if (got != 6) {
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        fail_msg("the child did not get its records written (exit %d)",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    int n;
    kpt_read *r = kpt_kcat_read(kpt_brokers(), topic, "read_uncommitted", &n);
    assert_int_equal(n, 10);
    free(r);
    r = kpt_kcat_read(kpt_brokers(), topic, "read_committed", &n);
    assert_int_equal(n, 0);
    free(r);

    /* The next instance: its init aborts the leftover. */
    kpt_txn_reports rep;
    kprod_t *p = kpt_txn_producer(kpt_brokers(), txn_id, NULL, &rep);
    int64_t t0 = kpt_now_ms();
    expect_ok(kprod_txn_init(p, 60000), "init after the kill");
    int64_t took = kpt_now_ms() - t0;
    printf("kprod_txn_init after the kill: %lld ms\n", (long long)took);
    assert_true(took < 30000); /* not the coordinator's 60 s timeout */

    int commits[2], aborts[2];
    kpt_markers(kpt_data_dir(), topic, 2, commits, aborts);
    for (int part = 0; part < 2; part++) {
        printf("partition %d: %d COMMIT, %d ABORT markers\n", part, commits[part], aborts[part]);
        assert_int_equal(commits[part], 0);
        assert_int_equal(aborts[part], 1);
    }

    expect_ok(kprod_txn_begin(p), "begin");
    kpt_txn_send(p, topic, 0, "alive-0");
    kpt_txn_send(p, topic, 1, "alive-1");
    expect_ok(kprod_txn_commit(p, 60000), "commit");
    assert_int_equal(kprod_close(p, 10000), KPROD_ERR_NO_ERROR);

    r = kpt_kcat_read(kpt_brokers(), topic, "read_committed", &n);
    assert_int_equal(n, 2);
    assert_int_equal(kpt_count_prefix(r, n, "alive-"), 2);
    free(r);
    r = kpt_kcat_read(kpt_brokers(), topic, "read_uncommitted", &n);
    assert_int_equal(n, 12);
    assert_int_equal(kpt_count_prefix(r, n, "dead-"), 10);
    free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_killed_mid_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
