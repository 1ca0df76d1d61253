/* Re-authentication (KIP-368) against the SASL_PLAINTEXT listener, whose
 * connections.max.reauth.ms is low (scripts/kafka.sh, 5 s by default):
 *
 * - a 30-second run at a steady rate across several re-authentications
 *   of every connection loses and duplicates nothing (read back by Kafka's
 *   console consumer over the same listener and mechanism), never drops a
 *   connection (no warning, each connection up once) and fails nothing;
 * - a user whose SCRAM credential is deleted while it produces: the next
 *   re-authentication fails, and the records then waiting fail within
 *   seconds with SASL_AUTHENTICATION_FAILED and the broker's message
 *   (report->errstr), not after delivery.timeout.ms. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sec_util.h"

#define RUN_MS 30000
#define RATE 300 /* records per second */

static atomic_int delivered, failed;
static atomic_llong first_fail_ms;
static char fail_text[512];

static void on_report(const kprod_report_t *r, void *opaque) {
    (void)opaque;
    if (!r->err) {
        atomic_fetch_add(&delivered, 1);
        return;
    }
    if (atomic_fetch_add(&failed, 1) == 0) {
        snprintf(fail_text, sizeof(fail_text), "%s: %s", kprod_err_name(r->err),
                 r->errstr ? r->errstr : "(no errstr)");
        atomic_store(&first_fail_ms, kpt_now_ms());
    }
}

static void test_thirty_seconds_across_reauthentication(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "kprod-reauth");
    kpt_create_topic(topic, 3, 1);
    int64_t lifetime = atoll(kps_env(0, "REAUTH_MS"));
    const char *extra[] = {"debug", "security,broker", NULL};
    kpt_logcap *lc = kpt_logcap_new();
    kprod_t *p = kpt_new_producer(kps_conf(0, "sasl-scram-sha-512", extra, on_report, lc));
    int64_t t0 = kpt_now_ms();
    int sent = 0;
    char value[32];
    while (kpt_now_ms() - t0 < RUN_MS) {
        /* a steady RATE per second, on the clock, polling in between */
        int64_t due = (kpt_now_ms() - t0) * RATE / 1000;
        for (; sent < due; sent++) {
            snprintf(value, sizeof(value), "r-%d", sent);
            kprod_record_t rec = kpt_value_record(topic, KPROD_PARTITION_ANY, value, strlen(value));
            kprod_err_t err = kprod_send(p, &rec, NULL, NULL);
            if (err)
                fail_msg("send %d: %s", sent, kprod_err_name(err));
        }
        kprod_poll(p, 5);
    }
    assert_int_equal(kprod_flush(p, 30000), 0);
    char *dump = kpt_logcap_dump(lc);
    if (atomic_load(&delivered) != sent || atomic_load(&failed) != 0)
        fail_msg("%d of %d delivered, %d failed\n%s", atomic_load(&delivered), sent,
                 atomic_load(&failed), dump);
    int reauths = kpt_logcap_count(lc, KPROD_LOG_DEBUG, "security", "re-authenticated with", NULL);
    int ups = kpt_logcap_count(lc, -1, "broker", "is up", NULL);
    int warnings = kpt_logcap_count(lc, KPROD_LOG_WARNING, NULL, NULL) +
                   kpt_logcap_count(lc, KPROD_LOG_ERR, NULL, NULL);
    print_message("%d records in %d s, %d re-authentications (session lifetime %lld ms), %d "
                  "connections\n",
                  sent, RUN_MS / 1000, reauths, (long long)lifetime, ups);
    /* The connection to the partitions' leader re-authenticates at 85-95 %
     * of each session: at least RUN_MS / lifetime - 1 times. */
    if (reauths < RUN_MS / lifetime - 1 || warnings != 0 || ups > 2)
        fail_msg("%d re-authentications, %d warnings, %d connections up:\n%s", reauths, warnings,
                 ups, dump);
    free(dump);
    assert_int_equal(kprod_close(p, 10000), 0);
    kpt_logcap_free(lc);
    /* Every record once: read over the same listener and mechanism. */
    char **v =
        kps_read_java(0, "sasl-scram-sha-512", kps_at("SASL_PLAINTEXT_PORT"), topic, -1, sent);
    kps_expect_values(v, sent, "r");
    kps_values_free(v, sent);
}

static void test_credential_deleted_while_producing(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "kprod-revoked");
    kpt_create_topic(topic, 1, 1);
    /* A user of this run's own, created here and deleted below. */
    char user[64], out[4096], jaas[512];
    snprintf(user, sizeof(user), "kprod-revoked-%d", (int)getpid());
    const char *pw = kps_env(0, "PASSWORD");
    int rc = kpt_sh(out, sizeof(out),
                    "bash '%s/scripts/kafka.sh' configs --bootstrap-server '%s' --alter "
                    "--add-config 'SCRAM-SHA-512=[password=%s]' --entity-type users "
                    "--entity-name %s 2>&1",
                    kpt_src_dir(), kpt_brokers(), pw, user);
    if (rc != 0)
        fail_msg("kafka-configs --add-config failed (exit %d)", rc);
    snprintf(jaas, sizeof(jaas),
             "org.apache.kafka.common.security.scram.ScramLoginModule required "
             "username=\"%s\" password=\"%s\";",
             user, pw);
    const char *extra[] = {"sasl.jaas.config",
                           jaas,
                           "reconnect.backoff.ms",
                           "200",
                           "reconnect.backoff.max.ms",
                           "500",
                           NULL};
    kpt_logcap *lc = kpt_logcap_new();
    kprod_t *p = kpt_new_producer(kps_conf(0, "sasl-scram-sha-512", extra, on_report, lc));
    atomic_store(&delivered, 0);
    atomic_store(&failed, 0);
    kprod_record_t rec = kpt_value_record(topic, 0, "before", 6);
    /* the new credential reaches the listener within moments */
    kprod_err_t err = KPROD_ERR__FAIL;
    for (int64_t t0 = kpt_now_ms(); err && kpt_now_ms() - t0 < 10000;)
        err = kprod_send(p, &rec, NULL, NULL);
    assert_int_equal(err, 0);
    assert_int_equal(kprod_flush(p, 10000), 0);
    assert_int_equal(atomic_load(&delivered), 1);

    rc = kpt_sh(out, sizeof(out),
                "bash '%s/scripts/kafka.sh' configs --bootstrap-server '%s' --alter "
                "--delete-config SCRAM-SHA-512 --entity-type users --entity-name %s 2>&1",
                kpt_src_dir(), kpt_brokers(), user);
    if (rc != 0)
        fail_msg("kafka-configs --delete-config failed: %s", out);
    int64_t revoked = kpt_now_ms();
    /* Records keep coming; the next re-authentication (within a session
     * lifetime) fails, and what waits then fails at once. */
    int sent = 0;
    while (atomic_load(&failed) == 0 && kpt_now_ms() - revoked < 20000) {
        rec = kpt_value_record(topic, 0, "after", 5);
        err = kprod_send(p, &rec, NULL, NULL);
        if (err == KPROD_ERR_NO_ERROR)
            sent++;
        kprod_poll(p, 50);
    }
    int64_t lifetime = atoll(kps_env(0, "REAUTH_MS"));
    int64_t took = atomic_load(&first_fail_ms) - revoked;
    char *dump = kpt_logcap_dump(lc);
    if (atomic_load(&failed) == 0 || took > lifetime + 5000)
        fail_msg("no record failed within %lld ms of the revocation:\n%s",
                 (long long)(lifetime + 5000), dump);
    if (!strstr(fail_text, "SASL_AUTHENTICATION_FAILED") ||
        !strstr(fail_text, "Authentication failed"))
        fail_msg("the report says \"%s\"", fail_text);
    /* Every record sent after the revocation is reported within seconds,
     * none of them delivered late or lost. */
    int64_t t0 = kpt_now_ms();
    assert_int_equal(kprod_flush(p, 10000), 0);
    assert_true(kpt_now_ms() - t0 < 10000);
    assert_int_equal(atomic_load(&delivered) + atomic_load(&failed), 1 + sent);
    assert_int_equal(kpt_logcap_count(lc, KPROD_LOG_ERR, "security", user, NULL), 1);
    print_message("revoked: first record failed %lld ms later (%s); %d sent after, %d failed\n",
                  (long long)took, fail_text, sent, atomic_load(&failed));
    free(dump);
    kprod_close(p, 5000);
    kpt_logcap_free(lc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thirty_seconds_across_reauthentication),
        cmocka_unit_test(test_credential_deleted_while_producing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
