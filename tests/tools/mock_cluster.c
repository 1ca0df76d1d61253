/* mock_cluster: a librdkafka mock cluster driven over stdin, so that kprod's
 * tests get a second, independent Kafka peer whose faults they can script.
 *
 * Usage: mock_cluster [BROKERS]   (default 3; broker ids are 1..BROKERS)
 *
 * The first line on stdout is the cluster's bootstrap list. Then each line
 * read on stdin is one command, answered by one line: "ok", "ok VALUE" or
 * "error: WHY". Numbers are decimal; error codes are Kafka's numbers (as in
 * kprod's error list), or librdkafka's names without the RD_KAFKA_RESP_ERR_
 * prefix; API keys are numbers or Produce, Fetch, Metadata, ApiVersions,
 * InitProducerId.
 *
 *   topic NAME PARTITIONS REPLICATION   create a topic
 *   push_errors APIKEY CNT ERR...        the next CNT requests of APIKEY, on
 *                                        any broker, fail with ERR... in turn
 *   push_errors_rtts ...                 not in librdkafka 2.0 (answers error)
 *   clear_errors APIKEY                  drop the cluster-wide errors left
 *   broker_errors BROKER APIKEY ERR RTT [ERR RTT]...
 *                                        the same on one broker, each answer
 *                                        delayed by RTT ms (ERR may be 0);
 *                                        takes precedence over push_errors
 *   error_count BROKER APIKEY            "ok N": broker errors not used yet
 *   broker_down ID / broker_up ID        close and refuse (accept again)
 *                                        connections; no leader change
 *   rtt BROKER MS                        delay every answer of BROKER (-1 all)
 *   leader TOPIC PARTITION BROKER        move a partition's leadership
 *   apiversion APIKEY MIN MAX            the versions the brokers advertise
 *   quit                                 destroy the cluster and exit
 *
 * Metadata: librdkafka 2.0's mock advertises Metadata v0-2 only, though its
 * handler writes v3-v7 correctly; kprod asks for v4 or later, so the helper
 * advertises v0-7 at start (v8's per-topic authorized operations are written
 * in the wrong place by that handler, hence not v8). */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

static int parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

/* An error code: a number, or a librdkafka name (NOT_LEADER_FOR_PARTITION). */
static int parse_err(const char *s, rd_kafka_resp_err_t *out) {
    long v;
    if (parse_long(s, &v) == 0) {
        *out = (rd_kafka_resp_err_t)v;
        return 0;
    }
    const struct rd_kafka_err_desc *descs;
    size_t n;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++) {
        if (descs[i].name && strcmp(descs[i].name, s) == 0) {
            *out = descs[i].code;
            return 0;
        }
    }
    return -1;
}

static int parse_api(const char *s, int16_t *out) {
    static const struct {
        const char *name;
        int16_t key;
    } names[] = {{"Produce", 0},     {"Fetch", 1},           {"ListOffsets", 2},
                 {"Metadata", 3},    {"ApiVersions", 18},    {"InitProducerId", 22},
                 {"ApiVersion", 18}, {"FindCoordinator", 10}};
    long v;
    if (parse_long(s, &v) == 0 && v >= 0 && v < 1000) {
        *out = (int16_t)v;
        return 0;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].name, s) == 0) {
            *out = names[i].key;
            return 0;
        }
    return -1;
}

/* Runs one command; writes the answer line (without newline) to ans.
 * Returns 1 for quit. */
static int run(rd_kafka_mock_cluster_t *mc, int argc, char **argv, char *ans, size_t cap) {
    const char *cmd = argv[0];
    long a, b, c;
    int16_t api;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    snprintf(ans, cap, "ok");
    if (strcmp(cmd, "quit") == 0)
        return 1;
    if (strcmp(cmd, "topic") == 0) {
        if (argc != 4 || parse_long(argv[2], &a) || parse_long(argv[3], &b))
            goto usage;
        err = rd_kafka_mock_topic_create(mc, argv[1], (int)a, (int)b);
    } else if (strcmp(cmd, "push_errors") == 0) {
        if (argc < 3 || parse_api(argv[1], &api) || parse_long(argv[2], &a) || a < 1 ||
            a != argc - 3)
            goto usage;
        rd_kafka_resp_err_t errs[MAX_ARGS];
        for (long i = 0; i < a; i++)
            if (parse_err(argv[3 + i], &errs[i]))
                goto bad_err;
        rd_kafka_mock_push_request_errors_array(mc, api, (size_t)a, errs);
    } else if (strcmp(cmd, "push_errors_rtts") == 0) {
        snprintf(ans, cap,
                 "error: push_errors_rtts is not in this librdkafka (%s); use broker_errors",
                 rd_kafka_version_str());
        return 0;
    } else if (strcmp(cmd, "clear_errors") == 0) {
        if (argc != 2 || parse_api(argv[1], &api))
            goto usage;
        rd_kafka_mock_clear_request_errors(mc, api);
    } else if (strcmp(cmd, "broker_errors") == 0) {
        if (argc < 5 || (argc - 3) % 2 != 0 || parse_long(argv[1], &a) || parse_api(argv[2], &api))
            goto usage;
        for (int i = 3; i < argc && !err; i += 2) {
            rd_kafka_resp_err_t e;
            if (parse_err(argv[i], &e))
                goto bad_err;
            if (parse_long(argv[i + 1], &b) || b < 0)
                goto usage;
            /* One call per pair: the API is variadic only. */
            err = rd_kafka_mock_broker_push_request_error_rtts(mc, (int32_t)a, api, 1, e, (int)b);
        }
    } else if (strcmp(cmd, "error_count") == 0) {
        size_t n = 0;
        if (argc != 3 || parse_long(argv[1], &a) || parse_api(argv[2], &api))
            goto usage;
        err = rd_kafka_mock_broker_error_stack_cnt(mc, (int32_t)a, api, &n);
        if (!err)
            snprintf(ans, cap, "ok %zu", n);
    } else if (strcmp(cmd, "broker_down") == 0 || strcmp(cmd, "broker_up") == 0) {
        if (argc != 2 || parse_long(argv[1], &a))
            goto usage;
        err = strcmp(cmd, "broker_down") == 0 ? rd_kafka_mock_broker_set_down(mc, (int32_t)a)
                                              : rd_kafka_mock_broker_set_up(mc, (int32_t)a);
    } else if (strcmp(cmd, "rtt") == 0) {
        if (argc != 3 || parse_long(argv[1], &a) || parse_long(argv[2], &b) || b < 0)
            goto usage;
        err = rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b);
    } else if (strcmp(cmd, "leader") == 0) {
        if (argc != 4 || parse_long(argv[2], &a) || parse_long(argv[3], &b))
            goto usage;
        err = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)a, (int32_t)b);
    } else if (strcmp(cmd, "apiversion") == 0) {
        if (argc != 4 || parse_api(argv[1], &api) || parse_long(argv[2], &b) ||
            parse_long(argv[3], &c))
            goto usage;
        err = rd_kafka_mock_set_apiversion(mc, api, (int16_t)b, (int16_t)c);
    } else {
        snprintf(ans, cap, "error: unknown command '%s'", cmd);
        return 0;
    }
    if (err)
        snprintf(ans, cap, "error: %s: %s", cmd, rd_kafka_err2str(err));
    return 0;
usage:
    snprintf(ans, cap, "error: bad arguments to '%s' (see the comment in mock_cluster.c)", cmd);
    return 0;
bad_err:
    snprintf(ans, cap, "error: %s: unknown error code", cmd);
    return 0;
}

int main(int argc, char **argv) {
    int brokers = argc > 1 ? atoi(argv[1]) : 3;
    if (brokers < 1 || brokers > 16) {
        fprintf(stderr, "mock_cluster: BROKERS must be 1..16\n");
        return 2;
    }
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The handle only keeps the cluster's books: it connects nowhere, and
     * its "no bootstrap.servers" notice would be noise. */
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "mock_cluster: rd_kafka_mock_cluster_new failed\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    rd_kafka_mock_set_apiversion(mc, 3 /* Metadata */, 0, 7); /* see the top comment */
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *args[MAX_ARGS + 4];
        int nargs = 0;
        for (char *tok = strtok(line, " \t"); tok && nargs < MAX_ARGS + 4;
             tok = strtok(NULL, " \t"))
            args[nargs++] = tok;
        if (nargs == 0)
            continue;
        char ans[512];
        int quit = 0;
        if (nargs >= MAX_ARGS + 4)
            snprintf(ans, sizeof(ans), "error: too many arguments");
        else
            quit = run(mc, nargs, args, ans, sizeof(ans));
        printf("%s\n", ans);
        fflush(stdout);
        if (quit)
            break;
    }
    free(line);
    /* stdin closed or quit: the test is done with us. */
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
