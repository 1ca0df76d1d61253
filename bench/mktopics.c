/* mktopics: creates many topics on a Kafka cluster in one CreateTopics
 * request, for bench/run.sh's many-topic scenario: Kafka's own
 * kafka-topics tool creates one topic per JVM start, which for 100 topics
 * takes minutes. Uses librdkafka's admin API (kprod has none; bench/
 * links librdkafka already). Not installed.
 *
 * Usage: mktopics BROKERS PREFIX COUNT PARTITIONS
 * creates PREFIX.0 .. PREFIX.<COUNT-1>, each with PARTITIONS partitions and
 * replication factor 1; a topic that exists already counts as created.
 * Exit status 0 when every topic exists afterwards, else 1 (printed). */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT_MS 60000

static int parse_count(const char *what, const char *s, long max, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > max) {
        fprintf(stderr, "mktopics: %s '%s': expected a number from 1 to %ld\n", what, s, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Sends one CreateTopics for every topic and checks each topic's answer. */
static int create_all(rd_kafka_t *rk, const char *prefix, long count, long parts) {
    char errstr[512];
    rd_kafka_NewTopic_t **nt = calloc((size_t)count, sizeof(*nt));
    if (!nt)
        return -1;
    int rc = 0;
    for (long i = 0; i < count && rc == 0; i++) {
        char name[256];
        snprintf(name, sizeof(name), "%s.%ld", prefix, i);
        nt[i] = rd_kafka_NewTopic_new(name, (int)parts, 1, errstr, sizeof(errstr));
        if (!nt[i]) {
            fprintf(stderr, "mktopics: %s: %s\n", name, errstr);
            rc = -1;
        }
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    if (rc == 0) {
        rd_kafka_AdminOptions_t *opt =
            rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(opt, TIMEOUT_MS, errstr, sizeof(errstr));
        rd_kafka_CreateTopics(rk, nt, (size_t)count, opt, q);
        rd_kafka_AdminOptions_destroy(opt);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS + 5000);
        const rd_kafka_CreateTopics_result_t *res =
            ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
        size_t n = 0;
        const rd_kafka_topic_result_t **tr =
            res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
        if (!res || rd_kafka_event_error(ev) || n != (size_t)count) {
            fprintf(stderr, "mktopics: CreateTopics failed within %d ms: %s\n", TIMEOUT_MS + 5000,
                    ev && rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev)
                                                   : "no answer for every topic");
            rc = -1;
        } else {
            for (size_t i = 0; i < n; i++) {
                rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
                if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                    fprintf(stderr, "mktopics: %s: %s\n", rd_kafka_topic_result_name(tr[i]),
                            rd_kafka_topic_result_error_string(tr[i]));
                    rc = -1;
                }
            }
        }
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    for (long i = 0; i < count; i++)
        if (nt[i])
            rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    return rc;
}

int main(int argc, char **argv) {
    long count, parts;
    if (argc != 5) {
        fprintf(stderr, "usage: mktopics BROKERS PREFIX COUNT PARTITIONS\n");
        return 2;
    }
    if (parse_count("COUNT", argv[3], 10000, &count) != 0 ||
        parse_count("PARTITIONS", argv[4], 10000, &parts) != 0)
        return 2;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
        fprintf(stderr, "mktopics: bootstrap.servers: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 2;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "mktopics: %s\n", errstr);
        return 1;
    }
    int rc = create_all(rk, argv[2], count, parts);
    rd_kafka_destroy(rk);
    return rc == 0 ? 0 : 1;
}
