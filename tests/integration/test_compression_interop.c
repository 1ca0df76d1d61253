/* Compression interop against the real broker: for gzip, snappy, lz4 and
 * zstd, records compressed by kprod (keys, headers, null values; batches
 * from 1 record up to batch.size) are stored by the broker and read back
 * intact by two independent consumers: kcat (librdkafka) and Kafka's own
 * Java console consumer. Also a topic whose compression.type makes the
 * broker recompress into another codec. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NRECORDS 3000

static int g_reports, g_failed;

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    g_reports++;
    if (r->err) {
        g_failed++;
        print_error("record %d: %s\n", (int)(intptr_t)r->opaque, kprod_err_name(r->err));
    }
}

/* A JSON-like log line, compressible as real payloads are. */
static int make_value(int id, char *buf, size_t cap) {
    return snprintf(buf, cap,
                    "{\"id\":%d,\"level\":\"%s\",\"service\":\"checkout\",\"msg\":\"order %d "
                    "processed for customer %d\",\"latency_ms\":%d}",
                    id, id % 3 ? "info" : "warn", id * 7, id % 97, id % 250);
}

static void produce(const char *topic, const char *codec) {
    char err[512];
    kprod_conf_t *conf = kprod_conf_new();
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "compression.type", codec, err, sizeof(err)), 0);
    kprod_t *p;
    assert_int_equal(kprod_new(conf, &p, err, sizeof(err)), 0);
    g_reports = g_failed = 0;
    char value[512], key[32], idbuf[16];
    for (int id = 0; id < NRECORDS; id++) {
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        snprintf(key, sizeof(key), "user-%d", id % 50);
        snprintf(idbuf, sizeof(idbuf), "%d", id);
        kprod_header_t h = {"id", idbuf, strlen(idbuf)};
        if (id % 5) {
            rec.key = key;
            rec.key_len = strlen(key);
        }
        if (id % 17) {
            rec.value = value;
            rec.value_len = (size_t)make_value(id, value, sizeof(value));
        }
        rec.headers = &h;
        rec.header_count = 1;
        assert_int_equal(kprod_send(p, &rec, on_report, (void *)(intptr_t)id), 0);
        /* A few lone records: batches of exactly one. */
        if (id < 3)
            assert_int_equal(kprod_flush(p, 30000), 0);
    }
    assert_int_equal(kprod_flush(p, 60000), 0);
    assert_int_equal(kprod_close(p, 10000), 0);
    assert_int_equal(g_reports, NRECORDS);
    assert_int_equal(g_failed, 0);
}

static void check_with_kcat(const char *topic) {
    kpt_record *recs = kpt_consume(topic, NRECORDS);
    static int seen[NRECORDS];
    memset(seen, 0, sizeof(seen));
    char want[512];
    for (int i = 0; i < NRECORDS; i++) {
        int id = -1;
        if (sscanf(recs[i].headers, "id=%d", &id) != 1 || id < 0 || id >= NRECORDS)
            fail_msg("bad header '%s'", recs[i].headers);
        seen[id]++;
        if (id % 17) {
            make_value(id, want, sizeof(want));
            assert_string_equal(recs[i].value, want);
        } else {
            assert_int_equal(recs[i].value_len, -1);
        }
        if (id % 5) {
            char key[32];
            snprintf(key, sizeof(key), "user-%d", id % 50);
            assert_string_equal(recs[i].key, key);
        } else {
            assert_int_equal(recs[i].key_len, -1);
        }
    }
    for (int id = 0; id < NRECORDS; id++)
        if (seen[id] != 1)
            fail_msg("kcat saw record %d %d times", id, seen[id]);
    kpt_records_free(recs, NRECORDS);
}

/* Kafka's Java console consumer: header "id:N", key, value per line. */
static void check_with_java(const char *topic) {
    char cmd[1024];
    snprintf(
        cmd, sizeof(cmd),
        "bash '%s/scripts/kafka.sh' console-consumer --bootstrap-server %s --topic %s "
        "--from-beginning --max-messages %d --timeout-ms 60000 --formatter-property print.key=true "
        "--formatter-property print.headers=true 2>/dev/null",
        kpt_src_dir(), kpt_brokers(), topic, NRECORDS);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    static int seen[NRECORDS];
    memset(seen, 0, sizeof(seen));
    char *line = NULL;
    size_t cap = 0;
    int lines = 0;
    char want[600];
    while (getline(&line, &cap, f) > 0) {
        int id = -1;
        if (sscanf(line, "id:%d\t", &id) != 1 || id < 0 || id >= NRECORDS)
            fail_msg("Java consumer line without id header: %s", line);
        seen[id]++;
        lines++;
        char key[32], val[512];
        if (id % 5)
            snprintf(key, sizeof(key), "user-%d", id % 50);
        else
            snprintf(key, sizeof(key), "null");
        if (id % 17)
            make_value(id, val, sizeof(val));
        else
            snprintf(val, sizeof(val), "null");
        snprintf(want, sizeof(want), "id:%d\t%s\t%s\n", id, key, val);
        assert_string_equal(line, want);
    }
    free(line);
    pclose(f);
    assert_int_equal(lines, NRECORDS);
    for (int id = 0; id < NRECORDS; id++)
        assert_int_equal(seen[id], 1);
}

/* The broker's own log dump must show batches stored with `stored` codec,
 * so the test cannot pass on batches that silently went uncompressed. */
static void check_stored_codec(const char *topic, const char *stored) {
    const char *dir = getenv("KPROD_KAFKA_DIR");
    char dflt[1024];
    snprintf(dflt, sizeof(dflt), "%s/.kafka", kpt_src_dir()); /* kafka.sh's default */
    char out[1 << 16];
    int rc = kpt_sh(out, sizeof(out),
                    "d='%s/single/data/%s-0'; bash '%s/scripts/kafka.sh' dump-log "
                    "--files \"$d\"/00000000000000000000.log "
                    "2>/dev/null | grep -c 'compresscodec: %s'",
                    dir && *dir ? dir : dflt, topic, kpt_src_dir(), stored);
    if (rc != 0 || atoi(out) < 1)
        fail_msg("no batch of %s partition 0 is stored as %s (grep count '%s')", topic, stored,
                 out);
}

static void run_codec(const char *codec, const char *topic_codec) {
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), codec);
    char out[4096];
    int rc = kpt_sh(out, sizeof(out),
                    "bash '%s/scripts/kafka.sh' topics --bootstrap-server '%s' --create "
                    "--topic '%s' --partitions 3 --replication-factor 1 "
                    "--config compression.type=%s 2>&1",
                    kpt_src_dir(), kpt_brokers(), topic, topic_codec);
    if (rc != 0)
        fail_msg("creating %s: %s", topic, out);
    produce(topic, codec);
    check_with_kcat(topic);
    check_with_java(topic);
    check_stored_codec(topic, strcmp(topic_codec, "producer") ? topic_codec : codec);
}

static void test_gzip(void **s) {
    (void)s;
    run_codec("gzip", "producer");
}
static void test_snappy(void **s) {
    (void)s;
    run_codec("snappy", "producer");
}
static void test_lz4(void **s) {
    (void)s;
    run_codec("lz4", "producer");
}
static void test_zstd(void **s) {
    (void)s;
    run_codec("zstd", "producer");
}
/* The broker decompresses our zstd and recompresses with gzip. */
static void test_recompress(void **s) {
    (void)s;
    run_codec("zstd", "gzip");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip), cmocka_unit_test(test_snappy),     cmocka_unit_test(test_lz4),
        cmocka_unit_test(test_zstd), cmocka_unit_test(test_recompress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
