/* kprod metadata: fetch and print the cluster's metadata, as text for
 * people or as JSON for scripts. Brokers are listed by id and topics by
 * name so that the output is stable from run to run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "kprod.h"
#include "opts.h"

#define CMD "kprod metadata"
#define DEFAULT_TIMEOUT_MS 10000

static const char help_text[] =
    "NAME\n"
    "    kprod metadata - print a Kafka cluster's brokers, topics and partitions\n"
    "\n"
    "SYNOPSIS\n"
    "    kprod metadata [-b BROKERS] [-t TOPIC] [-X NAME=VALUE]... [-F FILE]...\n"
    "                   [--timeout MS] [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Connects to the cluster, asks one broker for its metadata and prints the\n"
    "    cluster id, the controller, every broker (id host:port) and, for each\n"
    "    topic, its partitions with their leader, replicas and in-sync replicas\n"
    "    (isr). A topic the broker reports an error for is printed with the\n"
    "    error's name and text instead of its partitions. Brokers are sorted by\n"
    "    id, topics by name, partitions by id.\n"
    "\n"
    "    Text output:\n"
    "        cluster id: ID\n"
    "        controller: ID\n"
    "        brokers: N\n"
    "          ID HOST:PORT\n"
    "        topics: N\n"
    "          topic NAME: P partitions\n"
    "            partition P: leader ID, replicas [ID,...], isr [ID,...]\n"
    "          topic NAME: error NAME: TEXT\n"
    "    A missing leader prints as -1; an unknown cluster id as (none).\n"
    "\n"
    "    The cluster id, host names, topic names and error texts come from the\n"
    "    broker, and are printed with control characters escaped, so that a\n"
    "    broker can neither forge output lines nor send escape sequences to\n"
    "    the terminal:\n" CLI_ESCAPE_HELP "\n"
    "OPTIONS\n"
    "    -b, --brokers HOST:PORT[,HOST:PORT...]\n"
    "        Bootstrap servers (bootstrap.servers). Default: $KPROD_BROKERS, or\n"
    "        the value from -F or -X; one of them is required.\n"
    "    -t, --topic TOPIC\n"
    "        Only this topic. Default: every topic in the cluster.\n"
    "    -X, --property NAME=VALUE\n"
    "        Set any producer property (e.g. client.id, security.protocol);\n"
    "        repeatable, applied in order after -F files. Default: none.\n"
    "    -F, --config-file FILE\n"
    "        Read properties from a Java-style .properties file; repeatable.\n"
    "        Default: none.\n"
    "    --timeout MS\n"
    "        How long to wait for the metadata, in milliseconds. Default: 10000.\n"
    "    --json\n"
    "        Print one JSON object instead of text. Default: text.\n"
    "    -h, --help\n"
    "        Print this help and exit.\n"
    "\n"
    "JSON OUTPUT\n"
    "    {\"cluster_id\": \"ID\" or null, \"controller_id\": N,\n"
    "     \"brokers\": [{\"id\": N, \"host\": \"H\", \"port\": N}, ...],\n"
    "     \"topics\": [{\"name\": \"T\", \"error\": null or \"NAME\",\n"
    "                 \"partitions\": [{\"id\": N, \"leader\": N,\n"
    "                                 \"replicas\": [N, ...], \"isr\": [N, ...]}]}]}\n"
    "    on one line. Strings are always valid JSON: \\\" and \\\\ for a quote and a\n"
    "    backslash, \\uXXXX for each character the text output escapes (ESC as\n"
    "    \\u001b, U+202E as \\u202e), \\u00HH for a byte that is not part of\n"
    "    valid UTF-8 (its value read as Latin-1); other UTF-8 text as it is.\n"
    "\n"
    "EXAMPLES\n"
    "    kprod metadata -b localhost:9092\n"
    "    kprod metadata -b localhost:9092 -t orders --json\n"
    "    kprod metadata -F client.properties --timeout 30000\n"
    "\n"
    "EXIT STATUS\n"
    "    0  the metadata was printed and no topic has an error\n"
    "    1  the metadata could not be fetched, or a topic has an error (e.g.\n"
    "       -t names a topic that does not exist)\n"
    "    2  bad command line or configuration\n"
    "\n"
    "ENVIRONMENT\n"
    "    KPROD_BROKERS  bootstrap servers used when -b is not given\n";

enum { OPT_TIMEOUT = 1000, OPT_JSON };

static const struct option long_opts[] = {
    {"brokers", required_argument, NULL, 'b'},
    {"topic", required_argument, NULL, 't'},
    {"property", required_argument, NULL, 'X'},
    {"config-file", required_argument, NULL, 'F'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Index orders for stable output; qsort has no context argument, so the
 * metadata being sorted is passed through this variable (one thread). */
static const kprod_metadata_t *sort_md;

static int cmp_broker(const void *a, const void *b) {
    int32_t x = kprod_metadata_broker_id(sort_md, *(const int *)a);
    int32_t y = kprod_metadata_broker_id(sort_md, *(const int *)b);
    return (x > y) - (x < y);
}

static int cmp_topic(const void *a, const void *b) {
    const char *x = kprod_metadata_topic_name(sort_md, *(const int *)a);
    const char *y = kprod_metadata_topic_name(sort_md, *(const int *)b);
    return strcmp(x ? x : "", y ? y : "");
}

static int *sorted_indexes(const kprod_metadata_t *md, int n,
                           int (*cmp)(const void *, const void *)) {
    int *idx = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!idx)
        return NULL;
    for (int i = 0; i < n; i++)
        idx[i] = i;
    sort_md = md;
    qsort(idx, (size_t)n, sizeof(int), cmp);
    return idx;
}

/* A buffer for one partition's replica or ISR ids, reused from partition to
 * partition: each list costs one accessor call (two when it outgrows the
 * buffer), so a partition costs three calls (leader, replicas, isr). The
 * printing is one pass over the partitions; every accessor call looks its
 * partition up by id inside the library, so the whole is linear in the
 * partition count only when that lookup is constant-time. */
typedef struct id_buf {
    int32_t *ids;
    int cap;
} id_buf;

/* Fetches the replicas (isr 0) or the in-sync replicas (isr 1) of partition
 * part of topic t into b; returns their count (0 on error: none printed). */
static int get_ids(const kprod_metadata_t *md, int t, int part, int isr, id_buf *b) {
    int n = isr ? kprod_metadata_partition_isr(md, t, part, b->ids, b->cap)
                : kprod_metadata_partition_replicas(md, t, part, b->ids, b->cap);
    if (n <= b->cap)
        return n > 0 ? n : 0;
    int32_t *ids = realloc(b->ids, sizeof(int32_t) * (size_t)n);
    if (!ids)
        return b->cap; /* out of memory: the first cap ids, as fetched */
    b->ids = ids;
    b->cap = n;
    n = isr ? kprod_metadata_partition_isr(md, t, part, b->ids, b->cap)
            : kprod_metadata_partition_replicas(md, t, part, b->ids, b->cap);
    return n < 0 ? 0 : n < b->cap ? n : b->cap;
}

/* Prints replicas or isr as "1,2,3" (text) or "1, 2, 3" (JSON). */
static void print_ids(FILE *f, const kprod_metadata_t *md, int t, int part, int isr,
                      const char *sep, id_buf *b) {
    int n = get_ids(md, t, part, isr, b);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? sep : "", (int)b->ids[i]);
}

/* Prints a string from the broker in the text form of escape.h; "fallback"
 * when the broker sent none. */
static void put_text(const char *s, const char *fallback) {
    if (s)
        cli_put_escaped(stdout, s);
    else
        fputs(fallback, stdout);
}

static void print_text(const kprod_metadata_t *md, const int *brokers, const int *topics,
                       id_buf *ids) {
    fputs("cluster id: ", stdout);
    put_text(kprod_metadata_cluster_id(md), "(none)");
    printf("\ncontroller: %d\n", (int)kprod_metadata_controller_id(md));
    int nb = kprod_metadata_broker_count(md);
    printf("brokers: %d\n", nb);
    for (int i = 0; i < nb; i++) {
        int b = brokers[i];
        printf("  %d ", (int)kprod_metadata_broker_id(md, b));
        put_text(kprod_metadata_broker_host(md, b), "?");
        printf(":%d\n", (int)kprod_metadata_broker_port(md, b));
    }
    int nt = kprod_metadata_topic_count(md);
    printf("topics: %d\n", nt);
    for (int i = 0; i < nt; i++) {
        int t = topics[i];
        kprod_err_t err = kprod_metadata_topic_err(md, t);
        fputs("  topic ", stdout);
        put_text(kprod_metadata_topic_name(md, t), "?");
        if (err != KPROD_ERR_NO_ERROR) {
            fputs(": error ", stdout);
            cli_put_escaped(stdout, kprod_err_name(err));
            fputs(": ", stdout);
            cli_put_escaped(stdout, kprod_err_str(err));
            fputc('\n', stdout);
            continue;
        }
        /* One pass over the partitions, in order (index == partition id). */
        int np = kprod_metadata_partition_count(md, t);
        printf(": %d partition%s\n", np, np == 1 ? "" : "s");
        for (int part = 0; part < np; part++) {
            printf("    partition %d: leader %d, replicas [", part,
                   (int)kprod_metadata_partition_leader(md, t, part));
            print_ids(stdout, md, t, part, 0, ",", ids);
            fputs("], isr [", stdout);
            print_ids(stdout, md, t, part, 1, ",", ids);
            fputs("]\n", stdout);
        }
    }
}

static void print_json(const kprod_metadata_t *md, const int *brokers, const int *topics,
                       id_buf *ids) {
    fputs("{\"cluster_id\": ", stdout);
    cli_put_json_str(stdout, kprod_metadata_cluster_id(md));
    printf(", \"controller_id\": %d, \"brokers\": [", (int)kprod_metadata_controller_id(md));
    int nb = kprod_metadata_broker_count(md);
    for (int i = 0; i < nb; i++) {
        int b = brokers[i];
        printf("%s{\"id\": %d, \"host\": ", i ? ", " : "", (int)kprod_metadata_broker_id(md, b));
        cli_put_json_str(stdout, kprod_metadata_broker_host(md, b));
        printf(", \"port\": %d}", (int)kprod_metadata_broker_port(md, b));
    }
    fputs("], \"topics\": [", stdout);
    int nt = kprod_metadata_topic_count(md);
    for (int i = 0; i < nt; i++) {
        int t = topics[i];
        kprod_err_t err = kprod_metadata_topic_err(md, t);
        printf("%s{\"name\": ", i ? ", " : "");
        cli_put_json_str(stdout, kprod_metadata_topic_name(md, t));
        fputs(", \"error\": ", stdout);
        cli_put_json_str(stdout, err ? kprod_err_name(err) : NULL);
        fputs(", \"partitions\": [", stdout);
        int np = err ? 0 : kprod_metadata_partition_count(md, t);
        for (int part = 0; part < np; part++) {
            printf("%s{\"id\": %d, \"leader\": %d, \"replicas\": [", part ? ", " : "", part,
                   (int)kprod_metadata_partition_leader(md, t, part));
            print_ids(stdout, md, t, part, 0, ", ", ids);
            fputs("], \"isr\": [", stdout);
            print_ids(stdout, md, t, part, 1, ", ", ids);
            fputs("]}", stdout);
        }
        fputs("]}", stdout);
    }
    fputs("]}\n", stdout);
}

int cli_metadata(int argc, char **argv) {
    cli_conf_args ca = {0};
    const char *topic = NULL;
    long timeout_ms = DEFAULT_TIMEOUT_MS;
    int json = 0, rc = CLI_EXIT_USAGE, c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":b:t:X:F:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            ca.brokers = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'X':
            if (cli_conf_add_prop(&ca, optarg) != 0)
                goto oom;
            break;
        case 'F':
            if (cli_conf_add_file(&ca, optarg) != 0)
                goto oom;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_long(CMD, "--timeout", optarg, 0, 2147483647L, &timeout_ms) != 0)
                goto done;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case 'h':
            fputs(help_text, stdout);
            rc = CLI_EXIT_OK;
            goto done;
        default:
            rc = cli_bad_option(CMD, c, argv, long_opts);
            goto done;
        }
    }
    if (optind < argc) {
        cli_err(CMD, "unexpected argument '%s'; see 'kprod metadata --help'", argv[optind]);
        goto done;
    }

    kprod_conf_t *conf = cli_conf_build(CMD, &ca, &rc);
    if (!conf)
        goto done;
    kprod_t *p = cli_producer_new(CMD, conf, &rc);
    if (!p)
        goto done;

    kprod_metadata_t *md = NULL;
    kprod_err_t err = kprod_metadata_get(p, topic, (int)timeout_ms, &md);
    if (err != KPROD_ERR_NO_ERROR) {
        cli_err(CMD, "could not fetch metadata: %s: %s", kprod_err_name(err), kprod_err_str(err));
        rc = CLI_EXIT_FAIL;
    } else {
        int *brokers = sorted_indexes(md, kprod_metadata_broker_count(md), cmp_broker);
        int *topics = sorted_indexes(md, kprod_metadata_topic_count(md), cmp_topic);
        if (!brokers || !topics) {
            cli_err(CMD, "out of memory");
            rc = CLI_EXIT_FAIL;
        } else {
            id_buf ids = {NULL, 0};
            if (json)
                print_json(md, brokers, topics, &ids);
            else
                print_text(md, brokers, topics, &ids);
            free(ids.ids);
            rc = CLI_EXIT_OK;
            for (int i = 0; i < kprod_metadata_topic_count(md); i++)
                if (kprod_metadata_topic_err(md, i) != KPROD_ERR_NO_ERROR)
                    rc = CLI_EXIT_FAIL;
        }
        free(brokers);
        free(topics);
        kprod_metadata_destroy(md);
    }
    kprod_close(p, 0);
    goto done;

oom:
    cli_err(CMD, "out of memory");
    rc = CLI_EXIT_FAIL;
done:
    cli_conf_args_free(&ca);
    return rc;
}
