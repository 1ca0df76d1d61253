/* Configuration: Java defaults, per-property validation, librdkafka aliases,
 * properties files, the cross-property rules of kp_conf_resolve, dup/get,
 * and docs/CONFIGURATION.md being what the table generates.
 *
 * Run as `test_config --write-doc` it prints the generated document instead
 * (scripts/gen-config-doc.sh uses that). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "config_table.h"
#include "hostport.h"
#include "props.h"

static char errstr[512];

static kprod_conf_t *conf_with_bootstrap(void) {
    kprod_conf_t *c = kprod_conf_new();
    assert_non_null(c);
    assert_int_equal(
        kprod_conf_set(c, "bootstrap.servers", "localhost:9092", errstr, sizeof(errstr)),
        KPROD_ERR_NO_ERROR);
    return c;
}

static void set_ok(kprod_conf_t *c, const char *name, const char *value) {
    kprod_err_t err = kprod_conf_set(c, name, value, errstr, sizeof(errstr));
    if (err)
        fail_msg("set %s=%s: %s", name, value, errstr);
}

static void expect_get(const kprod_conf_t *c, const char *name, const char *want) {
    char buf[256];
    assert_int_equal(kprod_conf_get(c, name, buf, sizeof(buf)), KPROD_ERR_NO_ERROR);
    if (strcmp(buf, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", name, buf, want);
}

static kprod_err_t resolve(const kprod_conf_t *c, kp_config *out) {
    return kp_conf_resolve(c, out, errstr, sizeof(errstr));
}

/* ---- defaults ---- */

static void test_defaults_equal_java(void **state) {
    (void)state;
    kprod_conf_t *c = kprod_conf_new();
    assert_non_null(c);
    /* Kafka 4.x ProducerConfig / CommonClientConfigs. */
    static const char *const java[][2] = {
        {"bootstrap.servers", ""},
        {"client.id", ""},
        {"acks", "all"},
        {"enable.idempotence", "true"},
        {"retries", "2147483647"},
        {"retry.backoff.ms", "100"},
        {"retry.backoff.max.ms", "1000"},
        {"delivery.timeout.ms", "120000"},
        {"request.timeout.ms", "30000"},
        {"linger.ms", "5"},
        {"batch.size", "16384"},
        {"buffer.memory", "33554432"},
        {"max.block.ms", "60000"},
        {"max.request.size", "1048576"},
        {"max.in.flight.requests.per.connection", "5"},
        {"compression.type", "none"},
        {"compression.gzip.level", "-1"},
        {"compression.lz4.level", "9"},
        {"compression.zstd.level", "3"},
        {"partitioner.ignore.keys", "false"},
        {"partitioner.class", ""},
        {"key.serializer", "bytes"},
        {"value.serializer", "bytes"},
        {"metadata.max.age.ms", "300000"},
        {"reconnect.backoff.ms", "50"},
        {"reconnect.backoff.max.ms", "1000"},
        {"socket.connection.setup.timeout.ms", "10000"},
        {"socket.connection.setup.timeout.max.ms", "30000"},
        {"connections.max.idle.ms", "540000"},
        {"transactional.id", ""},
        {"transaction.timeout.ms", "60000"},
        {"security.protocol", "PLAINTEXT"},
        {"ssl.protocol", "TLSv1.3"},
        {"ssl.enabled.protocols", "TLSv1.2,TLSv1.3"},
        {"ssl.cipher.suites", ""},
        {"ssl.endpoint.identification.algorithm", "https"},
        {"enable.ssl.certificate.verification", "true"}, /* librdkafka's name */
        {"ssl.truststore.type", ""},                     /* Java: JKS, which kprod cannot read */
        {"ssl.truststore.location", ""},
        {"ssl.truststore.password", ""},
        {"ssl.truststore.certificates", ""},
        {"ssl.keystore.type", ""},
        {"ssl.keystore.location", ""},
        {"ssl.keystore.password", ""},
        {"ssl.keystore.key", ""},
        {"ssl.keystore.certificate.chain", ""},
        {"ssl.key.password", ""},
        {"ssl.certificate.location", ""}, /* librdkafka's names */
        {"ssl.key.location", ""},
        {"sasl.mechanism", "GSSAPI"},
        {"sasl.jaas.config", ""},
        {"sasl.username", ""},
        {"sasl.password", ""},
        {"delivery.report.mode", "poll"},
        {"receive.message.max.bytes", "100000000"}, /* librdkafka's name and default */
        {"debug", ""},                              /* librdkafka's name: no traces */
        {"log_level", "6"},                         /* librdkafka's name and default */
        {"statistics.interval.ms", "0"},            /* librdkafka's name and default */
        {"client.dns.lookup", "use_all_dns_ips"},
        {"send.buffer.bytes", "131072"},
        {"receive.buffer.bytes", "32768"},
        {"metadata.max.idle.ms", "300000"},
        {"metadata.recovery.strategy", "rebootstrap"},
        {"metadata.recovery.rebootstrap.trigger.ms", "300000"},
        {"partitioner.adaptive.partitioning.enable", "true"},
        {"partitioner.availability.timeout.ms", "0"},
        {"enable.metrics.push", "true"},
        {"metrics.sample.window.ms", "30000"},
        {"metrics.num.samples", "2"},
        {"metrics.recording.level", "INFO"},
        {"metric.reporters", "org.apache.kafka.common.metrics.JmxReporter"},
        {"interceptor.classes", ""},
        {"bootstrap.resolve.timeout.ms", "0"},
        {"buffer.memory.allocation.strategy", "full"},
        {"config.providers", ""},
        {"metadata.cluster.check.enable", "true"},
        {"partitioner.rack.aware", "false"},
        {"client.rack", ""},
        {"group.id", ""}, /* consumer and admin properties: no default here */
        {"group.instance.id", ""},
        {"max.poll.interval.ms", ""},
        {"rebalance.timeout.ms", ""},
        {"session.timeout.ms", ""},
        {"heartbeat.interval.ms", ""},
        {"default.api.timeout.ms", ""},
    };
    assert_int_equal(sizeof(java) / sizeof(java[0]), KP_P__COUNT);
    for (size_t i = 0; i < sizeof(java) / sizeof(java[0]); i++)
        expect_get(c, java[i][0], java[i][1]);

    set_ok(c, "bootstrap.servers", "localhost:9092");
    kp_config k;
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_string_equal(k.bootstrap_servers, "localhost:9092");
    assert_int_equal(k.acks, -1);
    assert_int_equal(k.enable_idempotence, 1);
    assert_int_equal(k.retries, 2147483647);
    assert_true(k.retry_backoff_ms == 100 && k.retry_backoff_max_ms == 1000);
    assert_true(k.delivery_timeout_ms == 120000 && k.request_timeout_ms == 30000);
    assert_true(k.linger_ms == 5);
    assert_int_equal(k.batch_size, 16384);
    assert_true(k.buffer_memory == 33554432 && k.max_block_ms == 60000);
    assert_int_equal(k.max_request_size, 1048576);
    assert_int_equal(k.max_in_flight, 5);
    assert_int_equal(k.compression_type, KP_CODEC_NONE);
    assert_int_equal(k.compression_level, 0);
    assert_int_equal(k.partitioner_ignore_keys, 0);
    assert_true(k.metadata_max_age_ms == 300000);
    assert_true(k.reconnect_backoff_ms == 50 && k.reconnect_backoff_max_ms == 1000);
    assert_true(k.socket_connection_setup_timeout_ms == 10000);
    assert_true(k.socket_connection_setup_timeout_max_ms == 30000);
    assert_true(k.connections_max_idle_ms == 540000);
    assert_null(k.transactional_id);
    assert_true(k.transaction_timeout_ms == 60000);
    assert_int_equal(k.security_protocol, KP_SECURITY_PLAINTEXT);
    assert_int_equal(k.tls.enabled, 0);
    assert_int_equal(k.sasl_enabled, 0);
    assert_int_equal(k.key_serializer, KP_SER_BYTES);
    assert_int_equal(k.value_serializer, KP_SER_BYTES);
    assert_int_equal(k.delivery_thread, 0);
    assert_int_equal(k.dns_canonical_bootstrap, 0);
    assert_int_equal(k.send_buffer_bytes, 131072);
    assert_int_equal(k.receive_buffer_bytes, 32768);
    assert_null(k.notes);
    assert_null(k.partitioner_cb);
    assert_null(k.delivery_cb);
    assert_true(strncmp(k.client_id, "producer-", 9) == 0);
    kp_config_free(&k);
    kp_config_free(&k); /* safe twice: the struct was zeroed */
    kprod_conf_destroy(c);
}

/* ---- every property: one good value, one bad value ---- */

typedef struct case_ {
    const char *name, *good, *bad;
} case_;

static const case_ cases[] = {
    {"bootstrap.servers", "a:1,b:2", "a"},
    {"client.id", "my-app", NULL},
    {"acks", "1", "2"},
    {"enable.idempotence", "FALSE", "yes"},
    {"retries", "0", "-1"},
    {"retry.backoff.ms", "250", "-5"},
    {"retry.backoff.max.ms", "5000", "1s"},
    {"delivery.timeout.ms", "200000", "2147483648"},
    {"request.timeout.ms", "1000", "ten"},
    {"linger.ms", "0", "0.5"},
    {"batch.size", "1000000", "-1"},
    {"buffer.memory", "67108864", "99999999999999999999"},
    {"max.block.ms", "0", "+"},
    {"max.request.size", "2097152", "1 000"},
    {"max.in.flight.requests.per.connection", "1", "0"},
    {"compression.type", "zstd", "ZSTD"},
    {"compression.gzip.level", "9", "0"},
    {"compression.lz4.level", "17", "18"},
    {"compression.zstd.level", "-131072", "23"},
    {"partitioner.ignore.keys", "true", "1"},
    {"partitioner.class", "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
     "org.apache.kafka.clients.producer.RoundRobinPartitioner"},
    {"key.serializer", "string", "float"},
    {"value.serializer", "org.apache.kafka.common.serialization.LongSerializer",
     "org.apache.kafka.common.serialization.FloatSerializer"},
    {"metadata.max.age.ms", "1000", "-1"},
    {"reconnect.backoff.ms", "10", "x10"},
    {"reconnect.backoff.max.ms", "10000", "10x"},
    {"socket.connection.setup.timeout.ms", "5000", "-1"},
    {"socket.connection.setup.timeout.max.ms", "60000", ""},
    {"connections.max.idle.ms", "-1", "-2"},
    {"transactional.id", "tx-1", ""},
    {"transaction.timeout.ms", "900000", "-1"},
    {"receive.message.max.bytes", "1000", "999"},
    {"security.protocol", "sasl_ssl", "TLS"},
    {"ssl.protocol", "TLSv1.2", "SSLv3"},
    {"ssl.enabled.protocols", "TLSv1.3", "TLSv1.1"},
    {"ssl.cipher.suites", "TLS_AES_256_GCM_SHA384", NULL},
    {"ssl.endpoint.identification.algorithm", "", "http"},
    {"enable.ssl.certificate.verification", "false", "no"},
    {"ssl.truststore.type", "PKCS12", "JKS"},
    {"ssl.truststore.location", "/etc/ssl/ca.pem", NULL},
    {"ssl.truststore.password", "s3cret-ts", NULL},
    {"ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----", NULL},
    {"ssl.keystore.type", "PEM", "P12"},
    {"ssl.keystore.location", "/etc/ssl/client.p12", NULL},
    {"ssl.keystore.password", "s3cret-ks", NULL},
    {"ssl.keystore.key", "-----BEGIN PRIVATE KEY-----", NULL},
    {"ssl.keystore.certificate.chain", "-----BEGIN CERTIFICATE-----", NULL},
    {"ssl.key.password", "s3cret-key", NULL},
    {"ssl.certificate.location", "/etc/ssl/client.pem", NULL},
    {"ssl.key.location", "/etc/ssl/client.key", NULL},
    {"sasl.mechanism", "SCRAM-SHA-512", "scram-sha-512"},
    {"sasl.jaas.config",
     "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" "
     "password=\"s3cret-jaas\";",
     "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"s3cret\""},
    {"sasl.username", "alice", NULL},
    {"sasl.password", "s3cret-pw", NULL},
    {"delivery.report.mode", "thread", "callback"},
    {"debug", "broker,metadata", "brokers"},
    {"log_level", "7", "8"},
    {"statistics.interval.ms", "1000", "-1"},
    {"client.dns.lookup", "resolve_canonical_bootstrap_servers_only", "default"},
    {"send.buffer.bytes", "-1", "-2"},
    {"receive.buffer.bytes", "65536", "64k"},
    {"metadata.max.idle.ms", "5000", "4999"},
    {"metadata.recovery.strategy", "NONE", "sometimes"},
    {"metadata.recovery.rebootstrap.trigger.ms", "0", "-1"},
    {"partitioner.adaptive.partitioning.enable", "false", "no"},
    {"partitioner.availability.timeout.ms", "100", "-1"},
    {"enable.metrics.push", "false", "off"},
    {"metrics.sample.window.ms", "1000", "-1"},
    {"metrics.num.samples", "3", "0"},
    {"metrics.recording.level", "DEBUG", "debug"},
    {"metric.reporters", "com.example.Reporter", NULL},
    {"interceptor.classes", "com.example.A,com.example.B", NULL},
    {"bootstrap.resolve.timeout.ms", "10000", "-1"},
    {"buffer.memory.allocation.strategy", "INCREMENTAL", "some"},
    {"config.providers", "file", NULL},
    {"metadata.cluster.check.enable", "false", "0"},
    {"partitioner.rack.aware", "true", "yes"},
    {"client.rack", "rack-1", NULL},
    {"group.id", "g", NULL},
    {"group.instance.id", "i", NULL},
    {"max.poll.interval.ms", "300000", NULL},
    {"rebalance.timeout.ms", "60000", NULL},
    {"session.timeout.ms", "45000", NULL},
    {"heartbeat.interval.ms", "3000", NULL},
    {"default.api.timeout.ms", "60000", NULL},
};

static void test_every_property_good_and_bad(void **state) {
    (void)state;
    /* Every property of the table has a case here. */
    for (int i = 0; i < KP_P__COUNT; i++) {
        int found = 0;
        for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
            found |= strcmp(cases[j].name, kp_conf_props[i].name) == 0;
        if (!found)
            fail_msg("no test case for %s", kp_conf_props[i].name);
    }
    for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++) {
        kprod_conf_t *c = kprod_conf_new();
        kp_conf_id id;
        assert_int_equal(kp_conf_find(cases[j].name, &id, NULL), 0);
        int secret = kp_conf_props[id].secret;
        set_ok(c, cases[j].name, cases[j].good);
        /* A secret reads back as Java prints a password. */
        expect_get(c, cases[j].name, secret ? "[hidden]" : cases[j].good);
        if (cases[j].bad) {
            errstr[0] = '\0';
            kprod_err_t err =
                kprod_conf_set(c, cases[j].name, cases[j].bad, errstr, sizeof(errstr));
            if (err != KPROD_ERR__INVALID_CONFIG)
                fail_msg("%s=%s accepted", cases[j].name, cases[j].bad);
            if (!strstr(errstr, cases[j].name))
                fail_msg("errstr does not name the property: %s", errstr);
            char quoted[256];
            snprintf(quoted, sizeof(quoted), "\"%s\"", cases[j].bad);
            if (!secret && !strstr(errstr, quoted))
                fail_msg("errstr does not show the value: %s", errstr);
            if (secret && (strstr(errstr, cases[j].bad) || strstr(errstr, "s3cret")))
                fail_msg("errstr shows a secret: %s", errstr);
            /* A rejected value leaves the previous one. */
            expect_get(c, cases[j].name, secret ? "[hidden]" : cases[j].good);
        }
        kprod_conf_destroy(c);
    }
}

static void test_messages_say_what_is_accepted(void **state) {
    (void)state;
    kprod_conf_t *c = kprod_conf_new();
    assert_int_equal(kprod_conf_set(c, "compression.type", "brotli", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "none, gzip, snappy, lz4, zstd"));
    assert_int_equal(kprod_conf_set(c, "compression.lz4.level", "0", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "from 1 to 17"));
    assert_int_equal(kprod_conf_set(c, "retries", "x", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, ">= 0"));
    assert_int_equal(kprod_conf_set(c, "enable.idempotence", "on", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "true or false"));
    assert_int_equal(kprod_conf_set(c, "security.protocol", "TLS", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"));
    assert_int_equal(
        kprod_conf_set(c, "partitioner.class", "com.example.P", errstr, sizeof(errstr)),
        KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "kprod_conf_set_partitioner"));
    assert_int_equal(kprod_conf_set(c, "key.serializer", "x", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "kprod_conf_set_key_serializer"));
    /* NULL errstr is allowed. */
    assert_int_equal(kprod_conf_set(c, "acks", "7", NULL, 0), KPROD_ERR__INVALID_CONFIG);
    assert_int_equal(kprod_conf_set(c, "acks", NULL, NULL, 0), KPROD_ERR__INVALID_ARG);
    kprod_conf_destroy(c);
}

static void test_numbers_strict(void **state) {
    (void)state;
    kprod_conf_t *c = kprod_conf_new();
    const char *bad[] = {"",
                         " ",
                         "5x",
                         "1e3",
                         "0x10",
                         "--1",
                         "+-1",
                         "1.0",
                         "5 5",
                         "9223372036854775808",
                         "-9223372036854775809"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (kprod_conf_set(c, "linger.ms", bad[i], errstr, sizeof(errstr)) !=
            KPROD_ERR__INVALID_CONFIG)
            fail_msg("linger.ms=\"%s\" accepted", bad[i]);
    set_ok(c, "linger.ms", "9223372036854775807");
    set_ok(c, "linger.ms", " +7 ");
    expect_get(c, "linger.ms", "+7");
    set_ok(c, "batch.size", "2147483647");
    assert_int_equal(kprod_conf_set(c, "batch.size", "2147483648", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    set_ok(c, "enable.idempotence", "True");
    set_ok(c, "bootstrap.servers", "h:1");
    set_ok(c, "linger.ms", "007");
    kp_config k;
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_true(k.linger_ms == 7);
    assert_int_equal(k.enable_idempotence, 1);
    kp_config_free(&k);
    kprod_conf_destroy(c);
}

/* ---- names ---- */

static void test_unknown_property(void **state) {
    (void)state;
    kprod_conf_t *c = kprod_conf_new();
    assert_int_equal(kprod_conf_set(c, "lingr.ms", "5", errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    assert_non_null(strstr(errstr, "Unknown property \"lingr.ms\""));
    assert_non_null(strstr(errstr, "did you mean \"linger.ms\""));
    assert_int_equal(kprod_conf_set(c, "Bootstrap.Servers", "a:1", errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    assert_non_null(strstr(errstr, "did you mean \"bootstrap.servers\""));
    assert_int_equal(kprod_conf_set(c, "compresion.type", "gzip", errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    assert_non_null(strstr(errstr, "\"compression.type\""));
    assert_int_equal(kprod_conf_set(c, "colour", "blue", errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    assert_string_equal(errstr, "Unknown property \"colour\"");
    assert_null(kp_conf_suggest("acks.mode.of.operation"));
    /* Known but refused names say why. */
    assert_int_equal(kprod_conf_set(c, "batch.num.messages", "1000", errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    assert_non_null(strstr(errstr, "batch.size"));
    assert_int_equal(
        kprod_conf_set(c, "ssl.keymanager.algorithm", "SunX509", errstr, sizeof(errstr)),
        KPROD_ERR__UNKNOWN_PROPERTY);
    assert_non_null(strstr(errstr, "kprod uses OpenSSL"));
    assert_int_equal(
        kprod_conf_set(c, "sasl.kerberos.service.name", "kafka", errstr, sizeof(errstr)),
        KPROD_ERR__UNKNOWN_PROPERTY);
    assert_non_null(strstr(errstr, "GSSAPI"));
    /* Near a Java property that is accepted but not applied: still a typo. */
    assert_int_equal(kprod_conf_set(c, "enable.metric.push", "false", errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    assert_non_null(strstr(errstr, "did you mean \"enable.metrics.push\""));
    assert_int_equal(kprod_conf_set(c, "send.bufer.bytes", "1", errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    assert_non_null(strstr(errstr, "did you mean \"send.buffer.bytes\""));
    char buf[16];
    assert_int_equal(kprod_conf_get(c, "nope", buf, sizeof(buf)), KPROD_ERR__UNKNOWN_PROPERTY);
    kprod_conf_destroy(c);
}

static void test_table_sane(void **state) {
    (void)state;
    for (int i = 0; i < KP_P__COUNT; i++) {
        assert_non_null(kp_conf_props[i].name);
        assert_non_null(kp_conf_props[i].doc);
        for (int j = i + 1; j < KP_P__COUNT; j++)
            assert_true(strcmp(kp_conf_props[i].name, kp_conf_props[j].name) != 0);
    }
    /* A refused name is never a property or alias (prefixes such as "sasl."
     * only apply to names the table does not have). */
    const char *why, *u;
    for (size_t i = 0; (u = kp_conf_unsupported_name(i, &why)) != NULL; i++) {
        kp_conf_id id;
        assert_non_null(why);
        assert_int_equal(kp_conf_find(u, &id, NULL), -1);
    }
    for (size_t a = 0; a < kp_conf_alias_count; a++) {
        kp_conf_id id;
        const kp_conf_alias *al;
        assert_int_equal(kp_conf_find(kp_conf_aliases[a].name, &id, &al), 0);
        assert_ptr_equal(al, &kp_conf_aliases[a]); /* not shadowed by a property */
    }
}

/* Every property of Kafka 4.x's ProducerConfig and CommonClientConfigs,
 * as the kafka-clients jar lists them (ProducerConfig.configNames() and
 * CommonClientConfigs' *_CONFIG fields, less ssl.* and sasl.*): kprod knows
 * each one, as a property (applied or accepted without effect) or as a name
 * it refuses with a reason. */
static const char *const java_names[] = {
    "acks",
    "batch.size",
    "bootstrap.servers",
    "buffer.memory",
    "client.dns.lookup",
    "client.id",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.type",
    "compression.zstd.level",
    "connections.max.idle.ms",
    "delivery.timeout.ms",
    "enable.idempotence",
    "enable.metrics.push",
    "interceptor.classes",
    "key.serializer",
    "linger.ms",
    "max.block.ms",
    "max.in.flight.requests.per.connection",
    "max.request.size",
    "metadata.max.age.ms",
    "metadata.max.idle.ms",
    "metadata.recovery.rebootstrap.trigger.ms",
    "metadata.recovery.strategy",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.recording.level",
    "metrics.sample.window.ms",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "partitioner.class",
    "partitioner.ignore.keys",
    "receive.buffer.bytes",
    "reconnect.backoff.max.ms",
    "reconnect.backoff.ms",
    "request.timeout.ms",
    "retries",
    "retry.backoff.max.ms",
    "retry.backoff.ms",
    "security.protocol",
    "security.providers",
    "send.buffer.bytes",
    "socket.connection.setup.timeout.max.ms",
    "socket.connection.setup.timeout.ms",
    "transaction.timeout.ms",
    "transactional.id",
    "value.serializer",
    /* new in 4.3/4.4 (the pinned 4.4.0's jar) */
    "bootstrap.resolve.timeout.ms",
    "buffer.memory.allocation.strategy",
    "client.rack",
    "config.providers",
    "metadata.cluster.check.enable",
    "partitioner.rack.aware",
    /* CommonClientConfigs beyond the producer's */
    "group.id",
    "group.instance.id",
    "max.poll.interval.ms",
    "rebalance.timeout.ms",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "default.api.timeout.ms",
};

static void test_java_names_known(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(java_names) / sizeof(java_names[0]); i++) {
        kp_conf_id id;
        if (kp_conf_find(java_names[i], &id, NULL) != 0 && !kp_conf_unsupported_why(java_names[i]))
            fail_msg("Java property %s is unknown to kprod", java_names[i]);
    }
}

/* A value of p other than inert: the other boolean, another enum value,
 * else a number (the remaining ones take any text or a number). */
static const char *non_inert(const kp_conf_prop *p, const char *inert) {
    if (p->type == KP_CONF_BOOL)
        return strcasecmp(inert, "true") == 0 ? "false" : "true";
    if (p->type == KP_CONF_ENUM)
        return strcasecmp(p->values[0], inert) != 0 ? p->values[0] : p->values[1];
    return "1";
}

/* A Java property that is accepted but not applied gives exactly one
 * warning naming it, unless set to its inert value; applied ones and
 * unset ones give none. */
static void test_not_applied_warns_once(void **state) {
    (void)state;
    kprod_conf_t *c = conf_with_bootstrap();
    kp_config k;
    /* Java's defaults written out, as in a generated producer.properties:
     * the applied ones and the inert ones are silent. */
    set_ok(c, "client.dns.lookup", "use_all_dns_ips");
    set_ok(c, "send.buffer.bytes", "131072");
    set_ok(c, "receive.buffer.bytes", "-1");
    set_ok(c, "enable.metrics.push", "FALSE");
    set_ok(c, "interceptor.classes", "");
    set_ok(c, "metric.reporters", "");
    set_ok(c, "partitioner.adaptive.partitioning.enable", "false");
    set_ok(c, "partitioner.availability.timeout.ms", "0");
    set_ok(c, "metadata.recovery.strategy", "REBOOTSTRAP");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    if (k.notes)
        fail_msg("unexpected notes: %s", k.notes);
    kp_config_free(&k);

    /* Every other value warns, once per property however often it is set. */
    for (int i = 0; i < KP_P__COUNT; i++) {
        const char *inert, *why = kp_conf_not_applied((kp_conf_id)i, &inert);
        if (!why)
            continue;
        kprod_conf_t *d = conf_with_bootstrap();
        const char *v = NULL;
        for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
            if (strcmp(cases[j].name, kp_conf_props[i].name) == 0)
                v = cases[j].good;
        assert_non_null(v);
        if (inert && strcasecmp(v, inert) == 0)
            v = non_inert(&kp_conf_props[i], inert);
        set_ok(d, kp_conf_props[i].name, v);
        set_ok(d, kp_conf_props[i].name, v);
        assert_int_equal(resolve(d, &k), KPROD_ERR_NO_ERROR);
        if (!k.notes || strchr(k.notes, '\n') || !strstr(k.notes, kp_conf_props[i].name) ||
            !strstr(k.notes, why) || !strstr(k.notes, "not applied"))
            fail_msg("%s=%s: want one warning naming it, got: %s", kp_conf_props[i].name, v,
                     k.notes ? k.notes : "(none)");
        kp_config_free(&k);
        kprod_conf_destroy(d);
    }

    /* Several give one line each; a long value is cut short. */
    set_ok(c, "group.id", "g");
    set_ok(c, "interceptor.classes",
           "com.example.interceptors.FirstInterceptor,com.example.interceptors.SecondInterceptor");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_non_null(k.notes);
    assert_non_null(strstr(k.notes, "group.id=g is accepted but not applied: not a producer"));
    assert_non_null(strstr(k.notes, "interceptor.classes=com.example."));
    assert_non_null(strstr(k.notes, "... is accepted but not applied: kprod cannot load Java"));
    assert_ptr_equal(strchr(strchr(k.notes, '\n') + 1, '\n'), NULL);
    kp_config_free(&k);
    kprod_conf_destroy(c);
}

static void test_socket_and_dns_settings(void **state) {
    (void)state;
    kprod_conf_t *c = conf_with_bootstrap();
    kp_config k;
    set_ok(c, "client.dns.lookup", "resolve_canonical_bootstrap_servers_only");
    set_ok(c, "send.buffer.bytes", "-1");
    set_ok(c, "receive.buffer.bytes", "1048576");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_int_equal(k.dns_canonical_bootstrap, 1);
    assert_int_equal(k.send_buffer_bytes, -1);
    assert_int_equal(k.receive_buffer_bytes, 1048576);
    assert_null(k.notes);
    kp_config_free(&k);
    assert_int_equal(kprod_conf_set(c, "client.dns.lookup", "default", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "use_all_dns_ips, resolve_canonical_bootstrap_servers_only"));
    kprod_conf_destroy(c);
}

/* ---- aliases ---- */

static void test_aliases(void **state) {
    (void)state;
    kprod_conf_t *c = kprod_conf_new();
    set_ok(c, "metadata.broker.list", "k1:9092,k2:9092");
    expect_get(c, "bootstrap.servers", "k1:9092,k2:9092");
    set_ok(c, "request.required.acks", "1");
    expect_get(c, "acks", "1");
    set_ok(c, "message.send.max.retries", "3");
    expect_get(c, "retries", "3");
    set_ok(c, "queue.buffering.max.ms", "20");
    expect_get(c, "linger.ms", "20");
    set_ok(c, "compression.codec", "lz4");
    expect_get(c, "compression.type", "lz4");
    set_ok(c, "max.in.flight", "2");
    expect_get(c, "max.in.flight.requests.per.connection", "2");
    set_ok(c, "queue.buffering.max.kbytes", "1024");
    expect_get(c, "buffer.memory", "1048576");
    expect_get(c, "queue.buffering.max.kbytes", "1024");
    set_ok(c, "message.timeout.ms", "0"); /* librdkafka: infinite */
    expect_get(c, "delivery.timeout.ms", "2147483647");
    set_ok(c, "message.timeout.ms", "45000");
    expect_get(c, "message.timeout.ms", "45000");
    expect_get(c, "delivery.timeout.ms", "45000");

    /* Errors name the property and the alias used. */
    assert_int_equal(kprod_conf_set(c, "queue.buffering.max.kbytes", "-1", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "queue.buffering.max.kbytes"));
    assert_int_equal(
        kprod_conf_set(c, "queue.buffering.max.kbytes", "9007199254740992", errstr, sizeof(errstr)),
        KPROD_ERR__INVALID_CONFIG);
    assert_int_equal(kprod_conf_set(c, "compression.codec", "brotli", errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    assert_non_null(strstr(errstr, "compression.type"));
    assert_non_null(strstr(errstr, "compression.codec"));

    /* An alias counts as setting the property explicitly. */
    set_ok(c, "message.timeout.ms", "1000");
    kp_config k;
    assert_int_equal(resolve(c, &k), KPROD_ERR__CONFLICTING_CONFIG);
    assert_non_null(strstr(errstr, "delivery.timeout.ms"));
    set_ok(c, "message.timeout.ms", "60000");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_true(k.buffer_memory == 1048576);
    assert_int_equal(k.acks, 1);
    assert_int_equal(k.enable_idempotence, 0); /* acks=1 with the default idempotence */
    assert_int_equal(k.compression_type, KP_CODEC_LZ4);
    assert_int_equal(k.compression_level, 9);
    kp_config_free(&k);
    kprod_conf_destroy(c);
}

static void test_serializers_and_callbacks(void **state) {
    (void)state;
    static const struct {
        const char *v;
        int kind;
    } ser[] = {
        {"bytes", KP_SER_BYTES},
        {"string", KP_SER_STRING},
        {"int32", KP_SER_INT32},
        {"int64", KP_SER_INT64},
        {"double", KP_SER_DOUBLE},
        {"org.apache.kafka.common.serialization.ByteArraySerializer", KP_SER_BYTES},
        {"org.apache.kafka.common.serialization.BytesSerializer", KP_SER_BYTES},
        {"org.apache.kafka.common.serialization.StringSerializer", KP_SER_STRING},
        {"org.apache.kafka.common.serialization.IntegerSerializer", KP_SER_INT32},
        {"org.apache.kafka.common.serialization.LongSerializer", KP_SER_INT64},
        {"org.apache.kafka.common.serialization.DoubleSerializer", KP_SER_DOUBLE},
    };
    for (size_t i = 0; i < sizeof(ser) / sizeof(ser[0]); i++) {
        kprod_conf_t *c = conf_with_bootstrap();
        set_ok(c, "key.serializer", ser[i].v);
        set_ok(c, "value.serializer", ser[i].v);
        kp_config k;
        assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
        assert_int_equal(k.key_serializer, ser[i].kind);
        assert_int_equal(k.value_serializer, ser[i].kind);
        kp_config_free(&k);
        kprod_conf_destroy(c);
    }
    /* Callbacks are stored and win over the named serializer. */
    kprod_conf_t *c = conf_with_bootstrap();
    int marker[3];
    set_ok(c, "value.serializer", "string");
    kprod_conf_set_value_serializer(c, (kprod_serializer_cb)1, &marker[0]);
    kprod_conf_set_partitioner(c, (kprod_partitioner_cb)2, &marker[1]);
    kprod_conf_set_delivery_cb(c, (kprod_delivery_cb)3, &marker[2]);
    kp_config k;
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_int_equal(k.key_serializer, KP_SER_BYTES);
    assert_int_equal(k.value_serializer, KP_SER_USER);
    assert_true(k.value_serializer_cb == (kprod_serializer_cb)1);
    assert_ptr_equal(k.value_serializer_opaque, &marker[0]);
    assert_true(k.partitioner_cb == (kprod_partitioner_cb)2);
    assert_ptr_equal(k.partitioner_opaque, &marker[1]);
    assert_true(k.delivery_cb == (kprod_delivery_cb)3);
    assert_ptr_equal(k.delivery_cb_opaque, &marker[2]);
    assert_null(k.key_serializer_cb);
    kp_config_free(&k);
    kprod_conf_set_key_serializer(c, (kprod_serializer_cb)4, NULL);
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_int_equal(k.key_serializer, KP_SER_USER);
    kp_config_free(&k);
    kprod_conf_destroy(c);
}

/* ---- properties files ---- */

typedef struct pairs {
    char kv[16][2][64];
    int line[16];
    int n;
} pairs;

static kprod_err_t collect(const char *key, const char *value, int line, void *opaque) {
    pairs *p = opaque;
    assert_true(p->n < 16);
    snprintf(p->kv[p->n][0], 64, "%s", key);
    snprintf(p->kv[p->n][1], 64, "%s", value);
    p->line[p->n++] = line;
    return KPROD_ERR_NO_ERROR;
}

static void expect_pair(const pairs *p, int i, const char *k, const char *v, int line) {
    assert_true(i < p->n);
    assert_string_equal(p->kv[i][0], k);
    assert_string_equal(p->kv[i][1], v);
    assert_int_equal(p->line[i], line);
}

static void test_props_syntax(void **state) {
    (void)state;
    const char *text = "# comment\n"                   /* 1 */
                       "! also a comment \\\n"         /* 2: a comment does not continue */
                       "a=1\n"                         /* 3 */
                       "  b : 2  \n"                   /* 4: value keeps trailing blanks */
                       "c 3\n"                         /* 5 */
                       "\n"                            /* 6 */
                       "d = one, \\\n"                 /* 7 */
                       "    two, \\\n"                 /* 8 */
                       "    three\n"                   /* 9 */
                       "e\\=x\\:y=\\t\\n\\\\\\u00e9\n" /* 10 */
                       "f\r\n"                         /* 11: key without value */
                       "g=ends\\\\\r"                  /* 12: even backslashes: no continuation */
                       "h\t=\t\\ lead\n"               /* 13 */
                       "\t# indented comment\n"        /* 14 */
                       "i=\\u20ac";                    /* 15: no final newline */
    pairs p = {0};
    int line = -1;
    assert_int_equal(kp_props_parse(text, strlen(text), collect, &p, &line, errstr, sizeof(errstr)),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(p.n, 9);
    expect_pair(&p, 0, "a", "1", 3);
    expect_pair(&p, 1, "b", "2  ", 4);
    expect_pair(&p, 2, "c", "3", 5);
    expect_pair(&p, 3, "d", "one, two, three", 7);
    expect_pair(&p, 4, "e=x:y", "\t\n\\\xc3\xa9", 10);
    expect_pair(&p, 5, "f", "", 11);
    expect_pair(&p, 6, "g", "ends\\", 12);
    expect_pair(&p, 7, "h", " lead", 13);
    expect_pair(&p, 8, "i", "\xe2\x82\xac", 15);
}

static void test_props_syntax_errors(void **state) {
    (void)state;
    const char *bad[] = {"a=1\nb=\\u12\n", "a=1\nb=\\uD83D\\uDE00\n", "a=1\nb=\\u0000\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pairs p = {0};
        int line = 0;
        assert_int_equal(
            kp_props_parse(bad[i], strlen(bad[i]), collect, &p, &line, errstr, sizeof(errstr)),
            KPROD_ERR__INVALID_CONFIG);
        assert_int_equal(line, 2);
        assert_non_null(strstr(errstr, "\\u"));
        assert_int_equal(p.n, 1);
    }
    const char nul[] = "a=1\nb=x\0y\n";
    pairs p = {0};
    int line = 0;
    assert_int_equal(
        kp_props_parse(nul, sizeof(nul) - 1, collect, &p, &line, errstr, sizeof(errstr)),
        KPROD_ERR__INVALID_CONFIG);
    assert_int_equal(line, 2);
}

/* A UTF-8 byte-order mark before the first line is skipped (it would
 * otherwise be an invisible part of the first key); anywhere else it is
 * data like any other bytes. */
static void test_props_bom(void **state) {
    (void)state;
    pairs p = {0};
    int line = 0;
    const char *text = "\xEF\xBB\xBF"
                       "acks=all\n"
                       "\xEF\xBB\xBF"
                       "b=2\n";
    assert_int_equal(kp_props_parse(text, strlen(text), collect, &p, &line, errstr, sizeof(errstr)),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(p.n, 2);
    expect_pair(&p, 0, "acks", "all", 1);
    expect_pair(&p, 1,
                "\xEF\xBB\xBF"
                "b",
                "2", 2);
    const char *bom_only[] = {"\xEF\xBB\xBF", "\xEF\xBB\xBF# comment\n", "\xEF\xBB\xBF\n\n"};
    for (size_t i = 0; i < sizeof(bom_only) / sizeof(bom_only[0]); i++) {
        memset(&p, 0, sizeof(p));
        assert_int_equal(kp_props_parse(bom_only[i], strlen(bom_only[i]), collect, &p, &line,
                                        errstr, sizeof(errstr)),
                         KPROD_ERR_NO_ERROR);
        assert_int_equal(p.n, 0);
    }
    /* Only a whole mark is skipped: two of its bytes stay in the key. */
    memset(&p, 0, sizeof(p));
    assert_int_equal(kp_props_parse("\xEF\xBB"
                                    "a=1",
                                    5, collect, &p, &line, errstr, sizeof(errstr)),
                     KPROD_ERR_NO_ERROR);
    expect_pair(&p, 0,
                "\xEF\xBB"
                "a",
                "1", 1);
}

static void write_file(char *path, size_t cap, const char *text) {
    snprintf(path, cap, "/tmp/kprod-test-config-%d.properties", (int)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_file(void **state) {
    (void)state;
    char path[128];
    write_file(path, sizeof(path),
               "# A producer.properties written for the Java client\n"
               "bootstrap.servers=broker1:9092,\\\n"
               "                  broker2:9092\n"
               "acks: all\n"
               "linger.ms 20\n"
               "compression.type = zstd\n"
               "key.serializer=org.apache.kafka.common.serialization.StringSerializer\n"
               "value.serializer=org.apache.kafka.common.serialization.ByteArraySerializer\n"
               "enable.idempotence=true\n"
               "client.id=app\\u0031\n");
    kprod_conf_t *c = kprod_conf_new();
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)), KPROD_ERR_NO_ERROR);
    expect_get(c, "bootstrap.servers", "broker1:9092,broker2:9092");
    expect_get(c, "linger.ms", "20");
    expect_get(c, "client.id", "app1");
    kp_config k;
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_string_equal(k.bootstrap_servers, "broker1:9092,broker2:9092");
    assert_int_equal(k.compression_type, KP_CODEC_ZSTD);
    assert_int_equal(k.compression_level, 3);
    assert_int_equal(k.key_serializer, KP_SER_STRING);
    assert_int_equal(k.value_serializer, KP_SER_BYTES);
    assert_string_equal(k.client_id, "app1");
    kp_config_free(&k);
    /* Saved with a byte-order mark (Notepad's "UTF-8 with BOM"). */
    write_file(path, sizeof(path),
               "\xEF\xBB\xBF"
               "acks=1\nlinger.ms=30\n");
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)), KPROD_ERR_NO_ERROR);
    expect_get(c, "acks", "1");
    expect_get(c, "linger.ms", "30");
    write_file(path, sizeof(path), "linger.ms=20\n");
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)), KPROD_ERR_NO_ERROR);
    write_file(path, sizeof(path), ""); /* an empty file changes nothing */
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)), KPROD_ERR_NO_ERROR);
    expect_get(c, "linger.ms", "20");
    unlink(path);
    kprod_conf_destroy(c);
}

static void test_load_file_errors(void **state) {
    (void)state;
    char path[128], want[200];
    kprod_conf_t *c = kprod_conf_new();

    write_file(path, sizeof(path), "linger.ms=50\n# ok\n\nlinger_ms=5\n");
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    snprintf(want, sizeof(want), "%s:4: Unknown property \"linger_ms\"", path);
    assert_non_null(strstr(errstr, want));
    assert_non_null(strstr(errstr, "did you mean \"linger.ms\""));
    expect_get(c, "linger.ms", "5"); /* a bad file changes nothing */

    write_file(path, sizeof(path), "acks=all\nretries = \\\n  lots\n");
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    snprintf(want, sizeof(want), "%s:2: Invalid value \"lots\" for \"retries\"", path);
    assert_non_null(strstr(errstr, want));

    write_file(path, sizeof(path), "\n\nssl.provider=SunJSSE\n");
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)),
                     KPROD_ERR__UNKNOWN_PROPERTY);
    snprintf(want, sizeof(want), "%s:3: ", path);
    assert_non_null(strstr(errstr, want));
    assert_non_null(strstr(errstr, "kprod uses OpenSSL"));

    write_file(path, sizeof(path), "client.id=\\uZZZZ\n");
    assert_int_equal(kprod_conf_load_file(c, path, errstr, sizeof(errstr)),
                     KPROD_ERR__INVALID_CONFIG);
    snprintf(want, sizeof(want), "%s:1: malformed", path);
    assert_non_null(strstr(errstr, want));
    unlink(path);

    assert_int_equal(
        kprod_conf_load_file(c, "/nonexistent/kprod.properties", errstr, sizeof(errstr)),
        KPROD_ERR__INVALID_ARG);
    assert_non_null(strstr(errstr, "/nonexistent/kprod.properties"));
    kprod_conf_destroy(c);
}

/* ---- rules between properties ---- */

static void test_idempotence_rules(void **state) {
    (void)state;
    kp_config k;
    /* Explicit idempotence + a conflict: an error naming both. */
    const char *conflicts[][2] = {{"acks", "1"}, {"acks", "0"}, {"retries", "0"}};
    for (size_t i = 0; i < 3; i++) {
        kprod_conf_t *c = conf_with_bootstrap();
        set_ok(c, "enable.idempotence", "true");
        set_ok(c, conflicts[i][0], conflicts[i][1]);
        assert_int_equal(resolve(c, &k), KPROD_ERR__CONFLICTING_CONFIG);
        assert_non_null(strstr(errstr, "enable.idempotence"));
        assert_non_null(strstr(errstr, conflicts[i][0]));
        kprod_conf_destroy(c);
    }
    /* Default idempotence + a conflict: idempotence off, noted. */
    for (size_t i = 0; i < 3; i++) {
        kprod_conf_t *c = conf_with_bootstrap();
        set_ok(c, conflicts[i][0], conflicts[i][1]);
        assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
        assert_int_equal(k.enable_idempotence, 0);
        assert_non_null(k.notes);
        assert_non_null(strstr(k.notes, conflicts[i][0]));
        kp_config_free(&k);
        kprod_conf_destroy(c);
    }
    /* More than 5 in flight while idempotence stays on: an error (Kafka 4.x),
     * whether idempotence was explicit or the default. */
    kprod_conf_t *c = conf_with_bootstrap();
    set_ok(c, "max.in.flight.requests.per.connection", "6");
    assert_int_equal(resolve(c, &k), KPROD_ERR__CONFLICTING_CONFIG);
    assert_non_null(strstr(errstr, "max.in.flight.requests.per.connection"));
    assert_non_null(strstr(errstr, "enable.idempotence"));
    set_ok(c, "enable.idempotence", "true");
    assert_int_equal(resolve(c, &k), KPROD_ERR__CONFLICTING_CONFIG);
    set_ok(c, "enable.idempotence", "false");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_int_equal(k.enable_idempotence, 0);
    assert_int_equal(k.max_in_flight, 6);
    kp_config_free(&k);
    kprod_conf_destroy(c);
    /* acks=1 already turned the default idempotence off: 10 in flight is fine. */
    c = conf_with_bootstrap();
    set_ok(c, "acks", "1");
    set_ok(c, "max.in.flight.requests.per.connection", "10");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_int_equal(k.enable_idempotence, 0);
    kp_config_free(&k);
    /* transactional.id needs idempotence. */
    set_ok(c, "max.in.flight.requests.per.connection", "5");
    set_ok(c, "transactional.id", "tx");
    assert_int_equal(resolve(c, &k), KPROD_ERR__CONFLICTING_CONFIG);
    assert_non_null(strstr(errstr, "transactional.id"));
    assert_non_null(strstr(errstr, "enable.idempotence is off"));
    /* So does an explicit enable.idempotence=false. */
    set_ok(c, "acks", "all");
    set_ok(c, "enable.idempotence", "false");
    assert_int_equal(resolve(c, &k), KPROD_ERR__CONFLICTING_CONFIG);
    assert_non_null(strstr(errstr, "transactional.id"));
    /* With idempotence on (by default) it resolves: the id is kept, and
     * the client.id Java derives from it. */
    kprod_conf_destroy(c);
    c = conf_with_bootstrap();
    set_ok(c, "transactional.id", "tx");
    set_ok(c, "transaction.timeout.ms", "30000");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_int_equal(k.enable_idempotence, 1);
    assert_string_equal(k.transactional_id, "tx");
    assert_true(k.transaction_timeout_ms == 30000);
    assert_string_equal(k.client_id, "producer-tx");
    kp_config_free(&k);
    kprod_conf_destroy(c);
}

static void test_delivery_timeout_rule(void **state) {
    (void)state;
    kp_config k;
    kprod_conf_t *c = conf_with_bootstrap();
    set_ok(c, "delivery.timeout.ms", "30004");
    assert_int_equal(resolve(c, &k), KPROD_ERR__CONFLICTING_CONFIG);
    assert_non_null(strstr(errstr, "delivery.timeout.ms"));
    assert_non_null(strstr(errstr, "linger.ms"));
    assert_non_null(strstr(errstr, "request.timeout.ms"));
    set_ok(c, "delivery.timeout.ms", "30005"); /* exactly the sum */
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_true(k.delivery_timeout_ms == 30005);
    kp_config_free(&k);
    kprod_conf_destroy(c);
    /* Left at its default: raised to the sum. */
    c = conf_with_bootstrap();
    set_ok(c, "request.timeout.ms", "200000");
    set_ok(c, "linger.ms", "100");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_true(k.delivery_timeout_ms == 200100);
    assert_non_null(k.notes);
    kp_config_free(&k);
    /* The sum is capped like Java's int arithmetic. */
    set_ok(c, "linger.ms", "9223372036854775807");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_true(k.delivery_timeout_ms == 2147483647);
    kp_config_free(&k);
    kprod_conf_destroy(c);
}

static void test_backoff_rules(void **state) {
    (void)state;
    kp_config k;
    kprod_conf_t *c = conf_with_bootstrap();
    set_ok(c, "reconnect.backoff.ms", "200");
    set_ok(c, "retry.backoff.ms", "5000");
    set_ok(c, "socket.connection.setup.timeout.ms", "40000");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_true(k.reconnect_backoff_ms == 200 && k.reconnect_backoff_max_ms == 200);
    assert_true(k.retry_backoff_ms == 1000 && k.retry_backoff_max_ms == 1000);
    assert_true(k.socket_connection_setup_timeout_ms == 30000);
    kp_config_free(&k);
    set_ok(c, "reconnect.backoff.max.ms", "5000");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_true(k.reconnect_backoff_ms == 200 && k.reconnect_backoff_max_ms == 5000);
    kp_config_free(&k);
    kprod_conf_destroy(c);
}

static void test_compression_level(void **state) {
    (void)state;
    static const struct {
        const char *type, *prop, *level;
        int codec, want;
    } cases_[] = {
        {"gzip", NULL, NULL, KP_CODEC_GZIP, -1},
        {"gzip", "compression.gzip.level", "1", KP_CODEC_GZIP, 1},
        {"snappy", "compression.zstd.level", "7", KP_CODEC_SNAPPY, 0},
        {"lz4", "compression.lz4.level", "1", KP_CODEC_LZ4, 1},
        {"zstd", "compression.zstd.level", "-5", KP_CODEC_ZSTD, -5},
    };
    for (size_t i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
        kprod_conf_t *c = conf_with_bootstrap();
        set_ok(c, "compression.type", cases_[i].type);
        if (cases_[i].prop)
            set_ok(c, cases_[i].prop, cases_[i].level);
        kp_config k;
        assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
        assert_int_equal(k.compression_type, cases_[i].codec);
        assert_int_equal(k.compression_level, cases_[i].want);
        kp_config_free(&k);
        kprod_conf_destroy(c);
    }
}

static void test_bootstrap_validation(void **state) {
    (void)state;
    const char *good[] = {
        "localhost:9092",           "a:1, b:2 ,c:3", "[::1]:9092",         "::1:9092",
        "host-1.example.com:65535", "10.0.0.1:1",    "[fe80::1%eth0]:9092"};
    const char *bad[] = {"localhost", "localhost:0", "localhost:65536", ":9092",
                         "a:1,,b:2",  "a:b",         "[::1]9092",       "local host:9092",
                         "a:1,",      "[]:1",        "a:123456",        "h:-1",
                         "h:+1"};
    kprod_conf_t *c = kprod_conf_new();
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        set_ok(c, "bootstrap.servers", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (kprod_conf_set(c, "bootstrap.servers", bad[i], errstr, sizeof(errstr)) !=
            KPROD_ERR__INVALID_CONFIG)
            fail_msg("bootstrap.servers=\"%s\" accepted", bad[i]);
        assert_non_null(strstr(errstr, "host:port"));
    }
    kprod_conf_destroy(c);

    /* Required. */
    c = kprod_conf_new();
    kp_config k;
    assert_int_equal(resolve(c, &k), KPROD_ERR__INVALID_CONFIG);
    assert_string_equal(errstr, "bootstrap.servers is required: host:port[,host:port...]");
    set_ok(c, "bootstrap.servers", "  ");
    assert_int_equal(resolve(c, &k), KPROD_ERR__INVALID_CONFIG);
    set_ok(c, "bootstrap.servers", " a:1 , [::1]:2 ");
    assert_int_equal(resolve(c, &k), KPROD_ERR_NO_ERROR);
    assert_string_equal(k.bootstrap_servers, "a:1,[::1]:2");
    kp_config_free(&k);
    kprod_conf_destroy(c);

    char host[64];
    int port = 0;
    assert_int_equal(kp_split_hostport("[::1]:9092", 10, host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 9092);
    assert_int_equal(kp_split_hostport("kafka.local:19092,x", 17, host, sizeof(host), &port), 0);
    assert_string_equal(host, "kafka.local");
    assert_int_equal(port, 19092);
    assert_int_equal(kp_split_hostport("averylonghostname:1", 19, host, 8, &port), -1);
}

/* ---- dup, get, client.id ---- */

static void test_dup_copies_everything(void **state) {
    (void)state;
    kprod_conf_t *c = conf_with_bootstrap();
    for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
        if (strcmp(cases[j].name, "partitioner.class") != 0)
            set_ok(c, cases[j].name, cases[j].good);
    int marker;
    kprod_conf_set_key_serializer(c, (kprod_serializer_cb)1, &marker);
    kprod_conf_set_delivery_cb(c, (kprod_delivery_cb)2, &marker);
    kprod_conf_t *d = kprod_conf_dup(c);
    assert_non_null(d);
    for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++) {
        char a[256], b[256];
        assert_int_equal(kprod_conf_get(c, cases[j].name, a, sizeof(a)), KPROD_ERR_NO_ERROR);
        assert_int_equal(kprod_conf_get(d, cases[j].name, b, sizeof(b)), KPROD_ERR_NO_ERROR);
        assert_string_equal(a, b);
    }
    kprod_conf_destroy(c);                       /* the copy owns its own strings */
    set_ok(d, "security.protocol", "PLAINTEXT"); /* the ssl/sasl cases do not go together */
    set_ok(d, "acks", "all");
    set_ok(d, "enable.idempotence", "true");
    set_ok(d, "retries", "3");
    set_ok(d, "max.in.flight.requests.per.connection", "5");
    kp_config k;
    assert_int_equal(resolve(d, &k), KPROD_ERR_NO_ERROR);
    assert_string_equal(k.bootstrap_servers, "a:1,b:2");
    assert_string_equal(k.client_id, "my-app");
    assert_string_equal(k.transactional_id, "tx-1");
    assert_int_equal(k.key_serializer, KP_SER_USER);
    assert_ptr_equal(k.key_serializer_opaque, &marker);
    assert_true(k.delivery_cb == (kprod_delivery_cb)2);
    assert_int_equal(k.delivery_thread, 1);
    kp_config_free(&k);
    /* Explicit flags are copied too: explicit idempotence + acks=1 conflicts. */
    kprod_conf_t *e = kprod_conf_dup(d);
    set_ok(e, "acks", "1");
    assert_int_equal(resolve(e, &k), KPROD_ERR__CONFLICTING_CONFIG);
    kprod_conf_destroy(e);
    kprod_conf_destroy(d);
    assert_null(kprod_conf_dup(NULL));
    kprod_conf_destroy(NULL);
}

static void test_get(void **state) {
    (void)state;
    kprod_conf_t *c = kprod_conf_new();
    set_ok(c, "client.id", "  spaced out  ");
    expect_get(c, "client.id", "spaced out");
    char small[4];
    assert_int_equal(kprod_conf_get(c, "client.id", small, sizeof(small)), KPROD_ERR_NO_ERROR);
    assert_string_equal(small, "spa");
    assert_int_equal(kprod_conf_get(c, "client.id", NULL, 0), KPROD_ERR_NO_ERROR);
    set_ok(c, "compression.codec", "gzip");
    expect_get(c, "compression.codec", "gzip");
    kprod_conf_destroy(c);
}

static void test_client_id_default(void **state) {
    (void)state;
    kprod_conf_t *c = conf_with_bootstrap();
    kp_config a, b;
    assert_int_equal(resolve(c, &a), KPROD_ERR_NO_ERROR);
    assert_int_equal(resolve(c, &b), KPROD_ERR_NO_ERROR);
    assert_true(strncmp(a.client_id, "producer-", 9) == 0);
    assert_true(strcmp(a.client_id, b.client_id) != 0); /* producer-1, producer-2, ... */
    kp_config_free(&a);
    kp_config_free(&b);
    set_ok(c, "client.id", "");
    assert_int_equal(resolve(c, &a), KPROD_ERR_NO_ERROR);
    assert_string_equal(a.client_id, ""); /* set explicitly, even empty: kept */
    kp_config_free(&a);
    kprod_conf_destroy(c);
}

/* ---- docs ---- */

static char *generated_doc(size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    kp_conf_write_markdown(f);
    fclose(f);
    return buf;
}

static void test_doc_up_to_date(void **state) {
    (void)state;
    size_t glen;
    char *gen = generated_doc(&glen);
    assert_true(glen > 1000);
    char path[1024];
    snprintf(path, sizeof(path), "%s/docs/CONFIGURATION.md", kpt_src_dir());
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s missing: run scripts/gen-config-doc.sh", path);
    char *file = malloc(glen + 2);
    size_t flen = fread(file, 1, glen + 1, f);
    fclose(f);
    int same = flen == glen && memcmp(file, gen, glen) == 0;
    free(file);
    free(gen);
    if (!same)
        fail_msg("%s differs from the property table: run scripts/gen-config-doc.sh", path);
    /* Every property appears in the document. */
    gen = generated_doc(&glen);
    for (int i = 0; i < KP_P__COUNT; i++) {
        char needle[96];
        snprintf(needle, sizeof(needle), "| `%s` |", kp_conf_props[i].name);
        assert_non_null(strstr(gen, needle));
    }
    free(gen);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--write-doc") == 0) {
        kp_conf_write_markdown(stdout);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_equal_java),
        cmocka_unit_test(test_every_property_good_and_bad),
        cmocka_unit_test(test_messages_say_what_is_accepted),
        cmocka_unit_test(test_numbers_strict),
        cmocka_unit_test(test_unknown_property),
        cmocka_unit_test(test_table_sane),
        cmocka_unit_test(test_java_names_known),
        cmocka_unit_test(test_not_applied_warns_once),
        cmocka_unit_test(test_socket_and_dns_settings),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_serializers_and_callbacks),
        cmocka_unit_test(test_props_syntax),
        cmocka_unit_test(test_props_syntax_errors),
        cmocka_unit_test(test_props_bom),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_idempotence_rules),
        cmocka_unit_test(test_delivery_timeout_rule),
        cmocka_unit_test(test_backoff_rules),
        cmocka_unit_test(test_compression_level),
        cmocka_unit_test(test_bootstrap_validation),
        cmocka_unit_test(test_dup_copies_everything),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_client_id_default),
        cmocka_unit_test(test_doc_up_to_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
