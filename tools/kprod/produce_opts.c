/* kprod produce's command line (see produce_opts.h). */
#include "produce_opts.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "escape.h"
#include "stamp.h"

#define CMD PRODUCE_CMD

static const char help_text[] =
    "NAME\n"
    "    kprod produce - send records to a Kafka topic, one per line\n"
    "\n"
    "SYNOPSIS\n"
    "    kprod produce [-b BROKERS] -t TOPIC [-p PARTITION] [-K DELIM | -k KEY]\n"
    "                  [-D DELIM] [-T DELIM] [-H NAME=VALUE]... [-X NAME=VALUE]...\n"
    "                  [-F FILE]... [--reader-property NAME=VALUE]... [-c COUNT]\n"
    "                  [--null-marker TEXT] [--print-offsets] [--stats-interval MS]\n"
    "                  [--stamp [--run ID]] [-q | -v] [-d CONTEXTS]\n"
    "                  [--transactional-id ID [--transaction-records N]] [FILE...]\n"
    "    kprod produce [-b BROKERS] -t TOPIC -w [-k KEY] [-H NAME=VALUE]... FILE...\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads records from each FILE in turn, or from standard input when no\n"
    "    FILE is given (a FILE of - is standard input too), and sends each one\n"
    "    to TOPIC. A record ends at the delimiter (a newline by default), which\n"
    "    is not part of the record; the last record needs no delimiter. An\n"
    "    empty line is a record with an empty value. Bytes are sent as they\n"
    "    are: with Windows line endings, each value keeps its trailing \\r\n"
    "    unless -D '\\r\\n' is used.\n"
    "\n"
    "    With -w each FILE is one record, its bytes exactly as they are (any\n"
    "    size up to max.request.size, any bytes, newlines and NULs included),\n"
    "    as kcat sends file arguments; the key is null, or -k's.\n"
    "\n"
    "    A record is taken apart in this order, each part optional:\n"
    "        [TIMESTAMP -T] [HEADERS headers.delimiter] [KEY -K] VALUE\n"
    "    With -T DELIM each record starts with its timestamp, a whole number of\n"
    "    milliseconds since the epoch, followed by DELIM (0 means the time of\n"
    "    sending). With --reader-property parse.headers=true the record's\n"
    "    headers come next, as Kafka's console producer reads them:\n"
    "    NAME:VALUE pairs separated by ',' and ended by a tab (the separators\n"
    "    are the reader properties below). With -K each record is split at the\n"
    "    first occurrence of the key delimiter into a key and a value; a record\n"
    "    without it is sent whole as the value with a null key (with\n"
    "    parse.key=true, as in Kafka's console producer, it is an error\n"
    "    instead). Keyed records are placed by the Java client's murmur2\n"
    "    partitioner, so a key goes to the same partition as from a Java\n"
    "    producer; records without a key go to a sticky partition.\n"
    "\n"
    "    A record that fails is reported on standard error as\n"
    "        FILE:LINE: error NAME: TEXT\n"
    "    where TEXT says what kprod knows of the cause (the broker and its\n"
    "    answer, the connection's error, the timeout that ran out). The\n"
    "    library's warnings (a refused connection, a topic that does not\n"
    "    exist, ...) come on standard error as they happen, each once:\n"
    "        kprod: WARN CONTEXT: TEXT\n"
    "    (FILE is \"stdin\" for standard input; LINE counts records from 1). A\n"
    "    record that cannot be taken apart as asked (no -T delimiter, a bad\n"
    "    timestamp, no headers delimiter) fails with error _INVALID_ARG and is\n"
    "    not sent; reading goes on. FILE, NAME and TEXT are printed with\n"
    "    control characters escaped, so that a file name or an error text can\n"
    "    neither break the line nor reach the terminal as an escape sequence:\n" CLI_ESCAPE_HELP
    "\n"
    "    When a record cannot be sent because TOPIC's metadata could not be\n"
    "    had within max.block.ms (60000 by default: the cluster cannot be\n"
    "    reached, error _TIMED_OUT), the cluster says TOPIC does not exist\n"
    "    (_UNKNOWN_TOPIC) or the brokers refuse the security setup\n"
    "    (SASL_AUTHENTICATION_FAILED, _SSL, ...), no later record is sent: the\n"
    "    rest of the input is still read, every record from that one on counts\n"
    "    as failed, and one line, printed when reading ends, reports them all:\n"
    "        FILE:LINE: error NAME: TEXT (why); the rest of the input was not\n"
    "        sent: N records not sent, FILE:LINE to FILE:LINE\n"
    "    (one line, here folded). So an unreachable cluster costs one\n"
    "    max.block.ms, not one per record.\n"
    "\n"
    "    At the end kprod waits until every record has been delivered or has\n"
    "    failed (at most delivery.timeout.ms, 120000 by default) and prints a\n"
    "    summary on standard error:\n"
    "        kprod produce: R records read, D delivered, F failed, B bytes, S s, N records/s\n"
    "    where B counts the key and value bytes of delivered records.\n"
    "\n"
    "    With --transactional-id (or -X transactional.id=ID) the records are\n"
    "    sent in transactions (docs/TRANSACTIONS.md): one for the whole input,\n"
    "    or one per N records with --transaction-records N (and one for the\n"
    "    rest). Consumers reading with isolation.level=read_committed see a\n"
    "    transaction's records only once it commits, and all of them. A record\n"
    "    counts as delivered only when its transaction committed. When a\n"
    "    commit fails (a record of the transaction failed, or the coordinator\n"
    "    refused) the transaction is aborted, the failure is reported as\n"
    "        FILE:LINE: error NAME: TEXT (why the commit failed)\n"
    "    and its records that were not reported failed on their own count as\n"
    "    failed, in one line:\n"
    "        FILE:LINE: error _TXN_ABORTED: TEXT (the transaction of FILE:LINE\n"
    "        to FILE:LINE was aborted: N records not committed)\n"
    "    then the input goes on in a new transaction (a fatal error, such as\n"
    "    PRODUCER_FENCED by another producer with the same id, stops the run).\n"
    "    Ctrl-C aborts the open transaction. The summary is followed by\n"
    "        kprod produce: T transactions committed\n"
    "\n"
    "    SIGINT (Ctrl-C) or SIGTERM ends the run promptly, also while a send\n"
    "    is blocked (waiting up to max.block.ms for metadata or for room in\n"
    "    buffer.memory) and while waiting for input: reading stops (a record\n"
    "    whose send was cut short fails with _INTERRUPTED), the records\n"
    "    already accepted get up to 2 seconds more to be delivered, those\n"
    "    still pending then fail with _PURGED_ON_CLOSE, and the summary is\n"
    "    printed. A second signal ends kprod at once, by that signal.\n"
    "\n"
    "OPTIONS\n"
    "    -b, --brokers HOST:PORT[,HOST:PORT...]\n"
    "    -b, --bootstrap-server HOST:PORT[,HOST:PORT...]\n"
    "        Bootstrap servers (bootstrap.servers; the second name is Kafka's\n"
    "        tools'). Default: $KPROD_BROKERS, or the value from -F or -X; one\n"
    "        of them is required.\n"
    "    -t, --topic TOPIC\n"
    "        The topic to send to. Required.\n"
    "    -p, --partition N\n"
    "        Send every record to partition N. Default: chosen per record by\n"
    "        the partitioner (see DESCRIPTION).\n"
    "    -K, --key-delimiter DELIM\n"
    "        Split each record into key and value at the first DELIM (one or\n"
    "        more bytes, escapes allowed). Default: no key (null keys).\n"
    "    -k, --key KEY\n"
    "        The key of every record (escapes allowed), as kcat's -k. Not with\n"
    "        -K. Default: none (null keys).\n"
    "    -D, --delimiter DELIM\n"
    "        The record delimiter: one or more bytes after escapes, e.g.\n"
    "        -D '\\r\\n' or -D '--\\n'. Default: \\n.\n"
    "        Escapes for -D, -K, -k, -T and the reader properties: \\n \\t \\r\n"
    "        \\0 \\\\ \\xHH; e.g. -D '\\0' for NUL-separated input (find -print0).\n"
    "    -T, --timestamp-delimiter DELIM\n"
    "        Each record starts with its timestamp in milliseconds since the\n"
    "        epoch, then DELIM (see DESCRIPTION). Default: every record is\n"
    "        stamped when it is sent.\n"
    "    -w, --whole-file\n"
    "        Each FILE (or standard input) is one record, sent byte for byte.\n"
    "        Not with -D, -K, -T or parse.key/parse.headers.\n"
    "    -c, --count COUNT\n"
    "        Stop after COUNT records (1 or more), as kcat's -c; the rest of\n"
    "        the input is not read. Default: every record.\n"
    "    -H, --header NAME=VALUE\n"
    "        Add a header to every record; repeatable, sent in the order given,\n"
    "        before any headers the record carries itself. NAME without =VALUE\n"
    "        gives a header with a null value. Default: none.\n"
    "    --reader-property NAME=VALUE\n"
    "        Kafka's console producer's reader properties (its --property /\n"
    "        --reader-property), for input written for it; repeatable:\n"
    "          parse.key=true|false      split off a key at key.separator;\n"
    "                                    a record without one is an error\n"
    "          key.separator=SEP         (default \\t)\n"
    "          parse.headers=true|false  the record starts with headers\n"
    "          headers.delimiter=SEP     ends the headers (default \\t)\n"
    "          headers.separator=SEP     between headers (default ,)\n"
    "          headers.key.separator=SEP between name and value (default :)\n"
    "          null.marker=TEXT          as --null-marker; also header values\n"
    "          ignore.error=true|false   a missing separator is no error: that\n"
    "                                    part is left out (the record is sent)\n"
    "        Default: none (parse.key and parse.headers false).\n"
    "    -X, --property NAME=VALUE\n"
    "        Set any producer property, e.g. -X acks=1 -X linger.ms=20\n"
    "        -X compression.type=zstd; repeatable, applied in the order given,\n"
    "        after -F files, so the command line wins. The library's defaults\n"
    "        (Java client's names and values) apply to everything not set.\n"
    "        Default: none.\n"
    "    -F, --config-file FILE\n"
    "        Read properties from a Java-style .properties file (a Java\n"
    "        producer.properties carries over); repeatable. Default: none.\n"
    "    --null-marker TEXT\n"
    "        A key or value exactly equal to TEXT is sent as null (e.g.\n"
    "        --null-marker NULL for tombstones). Default: none (no nulls except\n"
    "        the key of a record without the -K delimiter).\n"
    "    --print-offsets\n"
    "        For each delivered record print one line on standard output, in\n"
    "        the order the reports come (per partition in offset order):\n"
    "            FILE:LINE<TAB>PARTITION<TAB>OFFSET\n"
    "        (FILE escaped as above; OFFSET is -1 with acks=0). Default: off.\n"
    "    --stamp\n"
    "        Stamp every record for 'kprod verify': a header kprod-stamp with\n"
    "        the value RUN:SEQ, SEQ counting the records of each key (and those\n"
    "        without key together) from 0 in the order they are read, after\n"
    "        the record's own headers. The run id is printed on standard error\n"
    "        at the start (also with -q): 'kprod produce: stamping run ID'.\n"
    "        A record that is not sent still takes its number (verify counts it\n"
    "        missing). Then 'kprod verify -t TOPIC --run ID --count N' proves\n"
    "        that the run arrived exactly once and in order. Default: off.\n"
    "    --run ID\n"
    "        The run id of --stamp (implies it): 1 to 64 of A-Z a-z 0-9 . _ -.\n"
    "        Default: a fresh one, r followed by the time and the process id.\n"
    "    --stats-interval MS\n"
    "        Every MS milliseconds print one line of the producer's statistics\n"
    "        on standard error (statistics.interval.ms; docs/STATISTICS.md):\n"
    "            kprod produce: stats: A acked (+R/s), F failed, T retried,\n"
    "            W waiting, B of M MiB buffer, U of N brokers up\n"
    "        (one line, here folded). Default: none.\n"
    "    -q, --quiet\n"
    "        Do not print the summary, nor the library's warnings; errors are\n"
    "        printed all the same. Default: print them.\n" CLI_LOG_OPTS_HELP
    "    --transactional-id ID\n"
    "        Send in transactions as producer ID (transactional.id; wins over\n"
    "        -X and -F). A run with the same ID fences an older one and aborts\n"
    "        what that left open. Default: none (no transactions, unless -X or\n"
    "        -F sets transactional.id).\n"
    "    --transaction-records N\n"
    "        Commit every N records (1 or more), and the rest at the end.\n"
    "        Default: one transaction for the whole input.\n"
    "    -h, --help\n"
    "        Print this help and exit.\n"
    "\n"
    "EXAMPLES\n"
    "    echo hello | kprod produce -b localhost:9092 -t greetings\n"
    "    kprod produce -b localhost:9092 -t users -K: users.txt   # lines id:json\n"
    "    kprod produce -t logs -H source=web -X compression.type=lz4 < app.log\n"
    "    find . -print0 | kprod produce -t paths -D '\\0'\n"
    "    kprod produce -t images -w -k cat cat.jpg                # one record\n"
    "    printf '1700000000000|k:v\\n' | kprod produce -t t -T '|' -K :\n"
    "    kprod produce -t t --reader-property parse.headers=true \\\n"
    "        --reader-property parse.key=true < console-producer-input.txt\n"
    "    kprod produce -F producer.properties -t orders -p 0 -q --print-offsets orders.txt\n"
    "    kprod produce -t orders -K: --stamp --run r1 orders.txt && \\\n"
    "        kprod verify -t orders --run r1 --count $(wc -l < orders.txt)\n"
    "    kprod produce -t orders --transactional-id orders-loader \\\n"
    "        --transaction-records 1000 orders.txt\n"
    "\n"
    "EXIT STATUS\n"
    "    0    every record was delivered (and committed, in transactions)\n"
    "    1    at least one record failed or was not sent, or an input could\n"
    "         not be read\n"
    "    2    bad command line or configuration (nothing was sent)\n"
    "    130  interrupted by SIGINT (143: by SIGTERM), whatever was delivered;\n"
    "         after a second signal, killed by it\n"
    "\n"
    "ENVIRONMENT\n"
    "    KPROD_BROKERS  bootstrap servers used when -b is not given\n";

enum {
    OPT_NULL_MARKER = 1000,
    OPT_READER_PROPERTY,
    OPT_PRINT_OFFSETS,
    OPT_STAMP,
    OPT_RUN,
    OPT_STATS_INTERVAL,
    OPT_TXN_ID,
    OPT_TXN_RECORDS,
};

static const struct option long_opts[] = {
    {"brokers", required_argument, NULL, 'b'},
    {"bootstrap-server", required_argument, NULL, 'b'}, /* Kafka's tools' name */
    {"topic", required_argument, NULL, 't'},
    {"partition", required_argument, NULL, 'p'},
    {"key-delimiter", required_argument, NULL, 'K'},
    {"key", required_argument, NULL, 'k'},
    {"delimiter", required_argument, NULL, 'D'},
    {"timestamp-delimiter", required_argument, NULL, 'T'},
    {"whole-file", no_argument, NULL, 'w'},
    {"count", required_argument, NULL, 'c'},
    {"header", required_argument, NULL, 'H'},
    {"reader-property", required_argument, NULL, OPT_READER_PROPERTY},
    {"property", required_argument, NULL, 'X'},
    {"config-file", required_argument, NULL, 'F'},
    {"null-marker", required_argument, NULL, OPT_NULL_MARKER},
    {"print-offsets", no_argument, NULL, OPT_PRINT_OFFSETS},
    {"stamp", no_argument, NULL, OPT_STAMP},
    {"run", required_argument, NULL, OPT_RUN},
    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
    {"transactional-id", required_argument, NULL, OPT_TXN_ID},
    {"transaction-records", required_argument, NULL, OPT_TXN_RECORDS},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"debug", required_argument, NULL, 'd'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Kafka's console producer's reader properties, as given. */
typedef struct reader_props {
    int parse_key, parse_headers, ignore_error;
    char *key_sep, *hdr_delim, *hdr_sep, *hdr_kv_sep, *null_marker;
    size_t key_sep_len, hdr_delim_len, hdr_sep_len, hdr_kv_sep_len, null_marker_len;
} reader_props;

static void reader_props_free(reader_props *rp) {
    free(rp->key_sep);
    free(rp->hdr_delim);
    free(rp->hdr_sep);
    free(rp->hdr_kv_sep);
    free(rp->null_marker);
}

/* Decodes an escaped, non-empty argument into *out (freeing what was
 * there). 0, or -1 (printed). */
static int take_bytes(const char *opt, const char *arg, char **out, size_t *len) {
    char *s;
    size_t n;
    if (cli_unescape(CMD, opt, arg, &s, &n) != 0)
        return -1;
    if (n == 0) {
        free(s);
        cli_err(CMD, "%s: must not be empty", opt);
        return -1;
    }
    free(*out);
    *out = s;
    *len = n;
    return 0;
}

static int parse_bool(const char *name, const char *v, int *out) {
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0) {
        *out = strcasecmp(v, "true") == 0;
        return 0;
    }
    cli_err(CMD, "--reader-property %s=%s: expected true or false", name, v);
    return -1;
}

static int take_reader_prop(reader_props *rp, const char *arg) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        cli_err(CMD, "--reader-property '%s': expected NAME=VALUE", arg);
        return -1;
    }
    size_t n = (size_t)(eq - arg);
    const char *v = eq + 1;
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), arg);
    if (strcmp(name, "parse.key") == 0)
        return parse_bool(name, v, &rp->parse_key);
    if (strcmp(name, "parse.headers") == 0)
        return parse_bool(name, v, &rp->parse_headers);
    if (strcmp(name, "ignore.error") == 0)
        return parse_bool(name, v, &rp->ignore_error);
    if (strcmp(name, "key.separator") == 0)
        return take_bytes("--reader-property key.separator", v, &rp->key_sep, &rp->key_sep_len);
    if (strcmp(name, "headers.delimiter") == 0)
        return take_bytes("--reader-property headers.delimiter", v, &rp->hdr_delim,
                          &rp->hdr_delim_len);
    if (strcmp(name, "headers.separator") == 0)
        return take_bytes("--reader-property headers.separator", v, &rp->hdr_sep, &rp->hdr_sep_len);
    if (strcmp(name, "headers.key.separator") == 0)
        return take_bytes("--reader-property headers.key.separator", v, &rp->hdr_kv_sep,
                          &rp->hdr_kv_sep_len);
    if (strcmp(name, "null.marker") == 0)
        return take_bytes("--reader-property null.marker", v, &rp->null_marker,
                          &rp->null_marker_len);
    cli_err(CMD,
            "--reader-property '%s': unknown; known are parse.key, key.separator, "
            "parse.headers, headers.delimiter, headers.separator, headers.key.separator, "
            "null.marker, ignore.error",
            name);
    return -1;
}

static int add_header(produce_opts *o, const char *arg) {
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (name_len == 0) {
        cli_err(CMD, "-H '%s': expected NAME=VALUE with a non-empty NAME", arg);
        return -1;
    }
    kprod_header_t *h = realloc(o->headers, (o->n_headers + 1) * sizeof(*h));
    char *name = malloc(name_len + 1);
    if (h)
        o->headers = h;
    if (!h || !name) {
        free(name);
        cli_err(CMD, "out of memory");
        return -1;
    }
    memcpy(name, arg, name_len);
    name[name_len] = '\0';
    h[o->n_headers].name = name;
    h[o->n_headers].value = eq ? eq + 1 : NULL;
    h[o->n_headers].value_len = eq ? strlen(eq + 1) : 0;
    o->n_headers++;
    return 0;
}

/* A copy of n bytes (NUL-terminated), or NULL. */
static char *dup_bytes(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Two separators that would cut the same place (Kafka refuses these). */
static int same(const char *a, size_t an, const char *b, size_t bn) {
    return a && b && an == bn && memcmp(a, b, an) == 0;
}

/* Turns the reader properties into o->fmt and checks the combinations.
 * 0, or -1 (printed). */
static int settle_format(produce_opts *o, reader_props *rp) {
    rec_format *f = &o->fmt;
    if (rp->null_marker) {
        free(f->null_marker);
        f->null_marker = rp->null_marker;
        f->null_marker_len = rp->null_marker_len;
        rp->null_marker = NULL;
    }
    f->ignore_error = rp->ignore_error;
    if (rp->parse_key) {
        /* key.separator, else -K's delimiter, else Kafka's tab. */
        if (rp->key_sep) {
            free(f->key_delim);
            f->key_delim = rp->key_sep;
            f->key_delim_len = rp->key_sep_len;
            rp->key_sep = NULL;
        } else if (!f->key_delim) {
            if (!(f->key_delim = dup_bytes("\t", 1)))
                goto oom;
            f->key_delim_len = 1;
        }
        f->key_required = 1;
    }
    if (rp->parse_headers) {
        f->parse_headers = 1;
        f->hdr_delim = rp->hdr_delim ? rp->hdr_delim : dup_bytes("\t", 1);
        f->hdr_delim_len = rp->hdr_delim ? rp->hdr_delim_len : 1;
        f->hdr_sep = rp->hdr_sep ? rp->hdr_sep : dup_bytes(",", 1);
        f->hdr_sep_len = rp->hdr_sep ? rp->hdr_sep_len : 1;
        f->hdr_kv_sep = rp->hdr_kv_sep ? rp->hdr_kv_sep : dup_bytes(":", 1);
        f->hdr_kv_sep_len = rp->hdr_kv_sep ? rp->hdr_kv_sep_len : 1;
        rp->hdr_delim = rp->hdr_sep = rp->hdr_kv_sep = NULL;
        if (!f->hdr_delim || !f->hdr_sep || !f->hdr_kv_sep)
            goto oom;
        if (same(f->hdr_delim, f->hdr_delim_len, f->hdr_sep, f->hdr_sep_len) ||
            same(f->hdr_delim, f->hdr_delim_len, f->hdr_kv_sep, f->hdr_kv_sep_len) ||
            same(f->hdr_sep, f->hdr_sep_len, f->hdr_kv_sep, f->hdr_kv_sep_len)) {
            cli_err(CMD, "--reader-property: headers.delimiter, headers.separator and "
                         "headers.key.separator must differ from each other");
            return -1;
        }
    }
    if (f->null_marker &&
        (same(f->null_marker, f->null_marker_len, f->key_delim, f->key_delim_len) ||
         same(f->null_marker, f->null_marker_len, f->hdr_delim, f->hdr_delim_len) ||
         same(f->null_marker, f->null_marker_len, f->hdr_sep, f->hdr_sep_len) ||
         same(f->null_marker, f->null_marker_len, f->hdr_kv_sep, f->hdr_kv_sep_len))) {
        cli_err(CMD, "the null marker must differ from every separator");
        return -1;
    }
    if (f->fixed_key && f->key_delim) {
        cli_err(CMD, "-k gives every record the same key: not with -K or parse.key=true");
        return -1;
    }
    if (o->whole_files && (f->key_delim || f->ts_delim || f->parse_headers || o->delim_len != 1 ||
                           o->delim[0] != '\n')) {
        cli_err(CMD, "-w sends each file whole: not with -D, -K, -T, parse.key or parse.headers");
        return -1;
    }
    return 0;
oom:
    cli_err(CMD, "out of memory");
    return -1;
}

/* Fails on an unreadable input before anything is sent. */
static int check_inputs(const produce_opts *o) {
    for (int i = 0; i < o->n_inputs; i++) {
        if (strcmp(o->inputs[i], "-") == 0)
            continue;
        int fd = open(o->inputs[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            char *esc = cli_escaped(o->inputs[i]);
            cli_err(CMD, "cannot open '%s': %s", esc ? esc : "?", strerror(e));
            free(esc);
            return -1;
        }
        close(fd);
    }
    return 0;
}

/* One option (getopt's c and optarg). 0 to go on, or an exit code. */
static int take_opt(produce_opts *o, reader_props *rp, int c, const char *arg, char **argv) {
    long n;
    switch (c) {
    case 'b':
        o->conf.brokers = arg;
        return 0;
    case 't':
        o->topic = arg;
        return 0;
    case 'p':
        if (cli_parse_long(CMD, "-p", arg, 0, INT32_MAX, &n) != 0)
            return CLI_EXIT_USAGE;
        o->partition = (int32_t)n;
        return 0;
    case 'K':
        return take_bytes("-K", arg, &o->fmt.key_delim, &o->fmt.key_delim_len) ? CLI_EXIT_USAGE : 0;
    case 'k': {
        /* An empty key is a key (not null): allowed here. */
        char *s;
        size_t len;
        if (cli_unescape(CMD, "-k", arg, &s, &len) != 0)
            return CLI_EXIT_USAGE;
        free(o->fmt.fixed_key);
        o->fmt.fixed_key = s;
        o->fmt.fixed_key_len = len;
        return 0;
    }
    case 'D':
        return take_bytes("-D", arg, &o->delim, &o->delim_len) ? CLI_EXIT_USAGE : 0;
    case 'T':
        return take_bytes("-T", arg, &o->fmt.ts_delim, &o->fmt.ts_delim_len) ? CLI_EXIT_USAGE : 0;
    case 'w':
        o->whole_files = 1;
        return 0;
    case 'c':
        if (cli_parse_long(CMD, "-c", arg, 1, INT64_MAX, &n) != 0)
            return CLI_EXIT_USAGE;
        o->max_records = n;
        return 0;
    case 'H':
        return add_header(o, arg) ? CLI_EXIT_USAGE : 0;
    case OPT_READER_PROPERTY:
        return take_reader_prop(rp, arg) ? CLI_EXIT_USAGE : 0;
    case 'X':
    case 'F':
        if ((c == 'X' ? cli_conf_add_prop(&o->conf, arg) : cli_conf_add_file(&o->conf, arg)) != 0) {
            cli_err(CMD, "out of memory");
            return CLI_EXIT_FAIL;
        }
        return 0;
    case OPT_NULL_MARKER:
        return take_bytes("--null-marker", arg, &o->fmt.null_marker, &o->fmt.null_marker_len)
                   ? CLI_EXIT_USAGE
                   : 0;
    case OPT_PRINT_OFFSETS:
        o->print_offsets = 1;
        return 0;
    case OPT_STAMP:
        o->stamp = 1;
        return 0;
    case OPT_RUN:
        if (!cli_stamp_run_ok(arg)) {
            cli_err(CMD, "--run '%s': a run id is 1 to 64 of A-Z a-z 0-9 . _ -", arg);
            return CLI_EXIT_USAGE;
        }
        o->stamp = 1;
        o->run = arg;
        return 0;
    case OPT_STATS_INTERVAL:
        if (cli_parse_long(CMD, "--stats-interval", arg, 1, 86400000, &n) != 0)
            return CLI_EXIT_USAGE;
        o->stats_ms = n;
        return 0;
    case OPT_TXN_ID:
        if (!*arg) {
            cli_err(CMD, "--transactional-id: give a non-empty id");
            return CLI_EXIT_USAGE;
        }
        o->txn_id = arg;
        return 0;
    case OPT_TXN_RECORDS:
        if (cli_parse_long(CMD, "--transaction-records", arg, 1, INT64_MAX, &n) != 0)
            return CLI_EXIT_USAGE;
        o->txn_records = n;
        return 0;
    case 'q':
        o->quiet = 1;
        o->conf.verbosity = -1;
        return 0;
    case 'v':
        o->conf.verbosity = 1;
        return 0;
    case 'd':
        o->conf.debug = arg;
        return 0;
    case 'h':
        fputs(help_text, stdout);
        return CLI_EXIT_OK;
    default:
        return cli_bad_option(CMD, c, argv, long_opts);
    }
}

int produce_parse_args(int argc, char **argv, produce_opts *o) {
    o->partition = KPROD_PARTITION_ANY;
    reader_props rp = {0};
    int c, rc = -1;
    opterr = 0;
    while (rc < 0 &&
           (c = getopt_long(argc, argv, ":b:t:p:K:k:D:T:wc:H:X:F:qvd:h", long_opts, NULL)) != -1) {
        int r = take_opt(o, &rp, c, optarg, argv);
        if (r != 0 || c == 'h')
            rc = r;
    }
    if (rc < 0 && !o->delim) {
        o->delim_len = 1;
        if (!(o->delim = dup_bytes("\n", 1))) {
            cli_err(CMD, "out of memory");
            rc = CLI_EXIT_FAIL;
        }
    }
    if (rc < 0 && settle_format(o, &rp) != 0)
        rc = CLI_EXIT_USAGE;
    reader_props_free(&rp);
    if (rc >= 0)
        return rc;
    if (o->quiet && o->conf.verbosity > 0) {
        cli_err(CMD, "-q and -v together: choose one");
        return CLI_EXIT_USAGE;
    }
    if (!o->topic || !*o->topic) {
        cli_err(CMD, "no topic: -t TOPIC is required; see 'kprod produce --help'");
        return CLI_EXIT_USAGE;
    }
    o->inputs = argv + optind;
    o->n_inputs = argc - optind;
    if (o->whole_files && o->n_inputs == 0) {
        cli_err(CMD, "-w needs FILE arguments (- for standard input)");
        return CLI_EXIT_USAGE;
    }
    return check_inputs(o) == 0 ? -1 : CLI_EXIT_USAGE;
}

void produce_opts_free(produce_opts *o) {
    cli_conf_args_free(&o->conf);
    for (size_t i = 0; i < o->n_headers; i++)
        free((char *)o->headers[i].name);
    free(o->headers);
    free(o->delim);
    rec_format_free(&o->fmt);
}
