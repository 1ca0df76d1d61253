/* kprod verify: reads a topic back and proves that a stamped run arrived
 * exactly once and in order (see the help text; the stamp is stamp.h's,
 * the counting verify_check.c's, the reading verify_read.c's). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "escape.h"
#include "kprod.h"
#include "opts.h"
#include "protocol/batch_iter.h"
#include "protocol/list_offsets.h"
#include "stamp.h"
#include "verify_check.h"
#include "verify_read.h"

#define CMD "kprod verify"
#define FETCH_BYTES (4 << 20)
#define FETCH_BYTES_MAX (64 << 20)
#define DECOMPRESSED_MAX (256u << 20)

static const char help_text[] =
    "NAME\n"
    "    kprod verify - prove that a stamped run arrived exactly once and in order\n"
    "\n"
    "SYNOPSIS\n"
    "    kprod verify [-b BROKERS] -t TOPIC --run ID [-p PARTITION[,PARTITION...]]\n"
    "                 [--from-offset N] [--to-offset N] [--from-time T] [--to-time T]\n"
    "                 [--count N] [--show N] [--list FILE] [--timeout MS]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the topic's partitions back, from the start of each log (or the\n"
    "    given offset or time) to its end as it was when verify started (its\n"
    "    high watermark; or the given offset or time), picks out the records\n"
    "    stamped with run ID, and prints, per partition and in total:\n"
    "      found         records of the run, each stamp counted once\n"
    "      missing       sequence numbers of a key below its highest one that\n"
    "                    were not found (with --count, also those never seen at\n"
    "                    all, in the total only: which partition lost them\n"
    "                    cannot be known)\n"
    "      duplicated    copies of a stamp found before (anywhere)\n"
    "      out of order  records whose sequence number is below that of a\n"
    "                    record of the same key found earlier in the partition\n"
    "    with the offsets of the first few of each kind (see --show). Missing\n"
    "    records are counted in the partition that holds the key's first record.\n"
    "\n"
    "    It exits 0 only when the run is clean: at least one record found and\n"
    "    nothing missing, duplicated or out of order.\n"
    "\n"
    "    Operators can audit their own pipelines with it: stamp the records at\n"
    "    the source ('kprod produce --stamp', 'kprod perf --stamp', or any\n"
    "    producer that writes the stamp into the value) and verify the topic at\n"
    "    the end.\n"
    "\n"
    "THE STAMP\n"
    "    A stamp is the text RUN:SEQ, where RUN is a run id of 1 to 64\n"
    "    characters from A-Z a-z 0-9 . _ - and SEQ a decimal sequence number.\n"
    "    It is read from a record header named kprod-stamp (what kprod writes)\n"
    "    or, when a record has none, from the start of its value, where it must\n"
    "    be followed by the end of the value or by a character that is not a\n"
    "    digit: 'r7:41', 'r7:41:payload' and 'r7:41 hello' carry run r7,\n"
    "    sequence 41. Sequence numbers count per record key, from 0, in the\n"
    "    order the records were sent; records without a key share one count\n"
    "    (a producer that sends no keys numbers all its records in one count).\n"
    "    Records without a stamp of run ID are read and skipped.\n"
    "\n"
    "OUTPUT\n"
    "    A table with one line per partition holding records of the run, and a\n"
    "    total:\n"
    "        partition    found  missing  duplicated  out-of-order  offsets\n"
    "                0    16667        0           0             0  0..16700\n"
    "            total   100000        0           0             0\n"
    "    then, for each partition with trouble, lines such as\n"
    "        partition 2: duplicated: 1204 (key k3 seq 17, first at partition 2\n"
    "        offset 1188), ...\n"
    "        partition 2: out of order: 1310 (key k3 seq 20 after seq 23 at 1290)\n"
    "        partition 2: missing: key k3 seq 21, ...\n"
    "    and a last line for scripts:\n"
    "        RESULT run=ID records_read=N found=N missing=N duplicated=N\n"
    "        out_of_order=N clean=0|1\n"
    "    Keys are printed with bytes outside printable ASCII (and the\n"
    "    backslash) as \\xHH; the key of records without a key prints as\n"
    "    (null). Broker-supplied texts in errors are escaped:\n" CLI_ESCAPE_HELP "\n"
    "OPTIONS\n"
    "    -b, --brokers, --bootstrap-server HOST:PORT[,HOST:PORT...]\n"
    "        Bootstrap servers. Default: $KPROD_BROKERS; one of them is required.\n"
    "    -t, --topic TOPIC\n"
    "        The topic to read. Required.\n"
    "    --run ID\n"
    "        The run id whose records are checked. Required.\n"
    "    -p, --partition P[,P...]\n"
    "        Only these partitions. Default: every partition of the topic.\n"
    "    --from-offset N\n"
    "        Start each partition read at offset N (at its log start when that\n"
    "        is later). Default: the log start.\n"
    "    --to-offset N\n"
    "        Stop each partition read before offset N (at its high watermark\n"
    "        when that is earlier). Default: the high watermark.\n"
    "    --from-time T, --to-time T\n"
    "        Start at the first record whose timestamp is at least T; stop\n"
    "        before the first record whose timestamp is after T. T is\n"
    "        milliseconds since 1970 or a UTC time as YYYY-MM-DDTHH:MM:SS[Z].\n"
    "        Offsets and times together: the later start and the earlier end.\n"
    "        Within a range, a key's sequence numbers below the first found\n"
    "        are not counted missing; neither are those above the last.\n"
    "    --count N\n"
    "        The run sent N records: those never seen at all (lost at the end of\n"
    "        their key's sequence) are counted missing too. Default: unknown.\n"
    "    --show N\n"
    "        List the first N of each kind per partition (0..20). Default: 5.\n"
    "    --list FILE\n"
    "        Write every record of the run found to FILE, one line each, in the\n"
    "        order read: PARTITION OFFSET SEQ KEY (KEY escaped as above). For\n"
    "        scripts that compare with the offsets their producer reported.\n"
    "    --timeout MS\n"
    "        Give a partition up when no request to it succeeds for MS\n"
    "        milliseconds (the leader may be moving meanwhile). Default: 30000.\n"
    "    -h, --help\n"
    "        Print this help and exit.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  clean: records found, nothing missing, duplicated or out of order\n"
    "    1  not clean, or the topic could not be read (the reason on stderr)\n"
    "    2  bad command line\n"
    "\n"
    "ENVIRONMENT\n"
    "    KPROD_BROKERS  bootstrap servers used when -b is not given\n"
    "\n"
    "NOTES\n"
    "    Reads as a consumer with isolation read_uncommitted: records of\n"
    "    aborted transactions count as found. Memory: about 12 bytes per\n"
    "    sequence number of each key. PLAINTEXT connections only: verify's\n"
    "    reader does not speak TLS or SASL yet (the producer does).\n"
    "\n"
    "EXAMPLES\n"
    "    kprod produce -b 127.0.0.1:9092 -t orders -K: --stamp --run r1 in.txt\n"
    "    kprod verify -b 127.0.0.1:9092 -t orders --run r1 --count 100000\n"
    "    kprod verify -t orders --run r1 -p 0,3 --from-time 2024-05-01T12:00:00Z\n";

typedef struct vopts {
    const char *brokers, *topic, *run, *list;
    int32_t *parts;
    int nparts;
    int64_t from_offset, to_offset, from_time, to_time;
    long count, show, timeout_ms;
} vopts;

/* T as ms since 1970, or YYYY-MM-DDTHH:MM:SS[Z] in UTC. */
static int parse_time(const char *opt, const char *s, int64_t *out) {
    long v;
    if (strchr(s, '-') == NULL || s[0] == '-')
        return cli_parse_long(CMD, opt, s, 0, INT64_MAX / 2, &v) == 0 ? (*out = v, 0) : -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || (*end && strcmp(end, "Z") != 0)) {
        cli_err(CMD, "%s: '%s' is not milliseconds or YYYY-MM-DDTHH:MM:SS[Z]", opt, s);
        return -1;
    }
    *out = (int64_t)timegm(&tm) * 1000;
    return 0;
}

static int parse_parts(const char *s, vopts *o) {
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, ",");
        char one[32];
        long v;
        snprintf(one, sizeof(one), "%.*s", (int)(n < 31 ? n : 31), p);
        if (n == 0 || n > 10 || cli_parse_long(CMD, "-p", one, 0, INT32_MAX, &v) != 0)
            return -1;
        int32_t *np = realloc(o->parts, (size_t)(o->nparts + 1) * sizeof(*np));
        if (!np)
            return -1;
        o->parts = np;
        o->parts[o->nparts++] = (int32_t)v;
        p += n;
        p += *p == ',';
    }
    return o->nparts > 0 ? 0 : -1;
}

static int parse_args(int argc, char **argv, vopts *o) {
    enum { O_RUN = 256, O_FROM_OFF, O_TO_OFF, O_FROM_T, O_TO_T, O_COUNT, O_SHOW, O_LIST, O_TMO };
    static const struct option longs[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"bootstrap-server", required_argument, NULL, 'b'}, /* Kafka's tools' name */
        {"topic", required_argument, NULL, 't'},
        {"partition", required_argument, NULL, 'p'},
        {"run", required_argument, NULL, O_RUN},
        {"from-offset", required_argument, NULL, O_FROM_OFF},
        {"to-offset", required_argument, NULL, O_TO_OFF},
        {"from-time", required_argument, NULL, O_FROM_T},
        {"to-time", required_argument, NULL, O_TO_T},
        {"count", required_argument, NULL, O_COUNT},
        {"show", required_argument, NULL, O_SHOW},
        {"list", required_argument, NULL, O_LIST},
        {"timeout", required_argument, NULL, O_TMO},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->from_offset = o->from_time = -1;
    o->to_offset = o->to_time = -1;
    o->show = 5;
    o->timeout_ms = 30000;
    opterr = 0;
    optind = 1;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":b:t:p:h", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'b':
            o->brokers = optarg;
            break;
        case 't':
            o->topic = optarg;
            break;
        case 'p':
            bad = parse_parts(optarg, o);
            if (bad)
                cli_err(CMD, "-p: '%s' is not a list of partitions (e.g. 0,3,5)", optarg);
            break;
        case O_RUN:
            o->run = optarg;
            break;
        case O_FROM_OFF:
        case O_TO_OFF:
            bad = cli_parse_long(CMD, c == O_FROM_OFF ? "--from-offset" : "--to-offset", optarg, 0,
                                 INT64_MAX / 2, &v);
            *(c == O_FROM_OFF ? &o->from_offset : &o->to_offset) = v;
            break;
        case O_FROM_T:
            bad = parse_time("--from-time", optarg, &o->from_time);
            break;
        case O_TO_T:
            bad = parse_time("--to-time", optarg, &o->to_time);
            break;
        case O_COUNT:
            bad = cli_parse_long(CMD, "--count", optarg, 1, INT64_MAX / 2, &o->count);
            break;
        case O_SHOW:
            bad = cli_parse_long(CMD, "--show", optarg, 0, VC_SHOW_MAX, &o->show);
            break;
        case O_LIST:
            o->list = optarg;
            break;
        case O_TMO:
            bad = cli_parse_long(CMD, "--timeout", optarg, 100, 3600000, &o->timeout_ms);
            break;
        case 'h':
            fputs(help_text, stdout);
            return -2;
        default:
            cli_bad_option(CMD, c, argv, longs);
            return -1;
        }
        if (bad)
            return -1;
    }
    if (optind < argc) {
        cli_err(CMD, "unexpected argument '%s'; see '" CMD " --help'", argv[optind]);
        return -1;
    }
    if (!o->brokers)
        o->brokers = getenv("KPROD_BROKERS");
    if (!o->brokers || !*o->brokers || !o->topic || !o->run) {
        cli_err(CMD, "%s required; see '" CMD " --help'",
                !o->topic ? "-t TOPIC is"
                : !o->run ? "--run ID is"
                          : "-b BROKERS (or $KPROD_BROKERS) is");
        return -1;
    }
    if (!cli_stamp_run_ok(o->run)) {
        cli_err(CMD, "--run: a run id is 1 to 64 of A-Z a-z 0-9 . _ -");
        return -1;
    }
    return 0;
}

/* ---- reading ---- */

typedef struct reader {
    const vopts *o;
    vr *r;
    vc *check;
    FILE *list;
    size_t run_len;
    uint64_t records_read;
    int oom;
    /* the partition being read */
    int32_t partition;
    int64_t pos, end;
    char err[512];
} reader;

static void put_key(FILE *f, const char *k, int32_t len) {
    if (len < 0) {
        fputs("(null)", f);
        return;
    }
    for (int32_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)k[i];
        if (ch > 0x20 && ch < 0x7f && ch != '\\')
            fputc(ch, f);
        else
            fprintf(f, "\\x%02x", ch);
    }
}

/* The stamp of a record: its kprod-stamp header, else its value's start. */
static int stamp_of(const kp_rb_record *rec, const char **run, size_t *run_len, uint64_t *seq) {
    kp_rd it;
    kp_rd_init(&it, rec->headers.p, (size_t)rec->headers.len);
    kp_slice name, value;
    for (int32_t i = 0; i < rec->header_count && kp_rb_record_header_next(&it, &name, &value); i++)
        if (name.len == (int32_t)strlen(CLI_STAMP_HEADER) &&
            memcmp(name.p, CLI_STAMP_HEADER, (size_t)name.len) == 0 && value.len > 0)
            return cli_stamp_parse((const char *)value.p, (size_t)value.len, run, run_len, seq);
    return rec->value.len > 0 &&
           cli_stamp_parse((const char *)rec->value.p, (size_t)rec->value.len, run, run_len, seq);
}

static int visit(const kp_rb_record *rec, void *opaque) {
    reader *x = opaque;
    if (rec->offset < x->pos || rec->offset >= x->end)
        return 0;
    if (x->o->to_time >= 0 && rec->timestamp > x->o->to_time)
        return 0;
    x->records_read++;
    const char *run;
    size_t run_len;
    uint64_t seq;
    if (!stamp_of(rec, &run, &run_len, &seq) || run_len != x->run_len ||
        memcmp(run, x->o->run, run_len) != 0)
        return 0;
    if (vc_record(x->check, x->partition, rec->offset, rec->key.p, rec->key.len, seq) != 0) {
        x->oom = 1;
        return 1;
    }
    if (x->list) {
        fprintf(x->list, "%d %lld %llu ", (int)x->partition, (long long)rec->offset,
                (unsigned long long)seq);
        put_key(x->list, (const char *)rec->key.p, rec->key.len);
        fputc('\n', x->list);
    }
    return 0;
}

static int leader_trouble(kprod_err_t e) {
    return e == KPROD_ERR__TRANSPORT || e == KPROD_ERR_NOT_LEADER_OR_FOLLOWER ||
           e == KPROD_ERR_LEADER_NOT_AVAILABLE || e == KPROD_ERR_FENCED_LEADER_EPOCH ||
           e == KPROD_ERR_UNKNOWN_LEADER_EPOCH || e == KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION ||
           e == KPROD_ERR_OFFSET_NOT_AVAILABLE || e == KPROD_ERR_REPLICA_NOT_AVAILABLE ||
           e == KPROD_ERR_REQUEST_TIMED_OUT || e == KPROD_ERR_KAFKA_STORAGE_ERROR;
}

/* Fresh metadata for the partition after leader trouble; 0 or -1. */
static int refresh(reader *x, vr_part *p, uint8_t topic_id[16]) {
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    vr_part *parts;
    int32_t n;
    if (vr_metadata(x->r, x->o->topic, &parts, &n, topic_id, x->err, sizeof(x->err)) != 0)
        return -1;
    for (int32_t i = 0; i < n; i++)
        if (parts[i].partition == p->partition)
            *p = parts[i];
    free(parts);
    return 0;
}

/* A ListOffsets answer for p at ts, asked again through leader moves. */
static kprod_err_t offset_at(reader *x, vr_part *p, uint8_t topic_id[16], int64_t ts,
                             int64_t *off) {
    double deadline = cli_now() + (double)x->o->timeout_ms / 1000;
    for (;;) {
        kprod_err_t e = vr_list_offset(x->r, x->o->topic, p, ts, off, x->err, sizeof(x->err));
        if (!e || !leader_trouble(e) || cli_now() > deadline)
            return e;
        refresh(x, p, topic_id);
    }
}

static kprod_err_t read_partition(reader *x, vr_part *p, uint8_t topic_id[16]) {
    const vopts *o = x->o;
    int64_t start, hw, at;
    kprod_err_t e;
    if ((e = offset_at(x, p, topic_id, KP_OFFSETS_EARLIEST, &start)) != 0 ||
        (e = offset_at(x, p, topic_id, KP_OFFSETS_LATEST, &hw)) != 0)
        return e;
    int64_t end = hw;
    if (o->from_offset > start)
        start = o->from_offset;
    if (o->to_offset >= 0 && o->to_offset < end)
        end = o->to_offset;
    if (o->from_time >= 0) {
        if ((e = offset_at(x, p, topic_id, o->from_time, &at)) != 0)
            return e;
        start = at < 0 ? end : at > start ? at : start;
    }
    if (o->to_time >= 0 && o->to_time < INT64_MAX / 2) {
        if ((e = offset_at(x, p, topic_id, o->to_time + 1, &at)) != 0)
            return e;
        if (at >= 0 && at < end)
            end = at;
    }
    x->partition = p->partition;
    x->pos = start;
    x->end = end;
    int32_t max_bytes = FETCH_BYTES;
    double deadline = cli_now() + (double)o->timeout_ms / 1000;
    while (x->pos < x->end) {
        kp_fetch_resp resp;
        const kp_fetch_resp_partition *fp;
        e = vr_fetch(x->r, o->topic, topic_id, p, x->pos, max_bytes, &resp, &fp, x->err,
                     sizeof(x->err));
        if (e == KPROD_ERR_OFFSET_OUT_OF_RANGE) {
            kp_fetch_resp_free(&resp);
            /* the log start moved past pos (retention): go on from there */
            if ((e = offset_at(x, p, topic_id, KP_OFFSETS_EARLIEST, &start)) != 0)
                return e;
            if (start <= x->pos)
                return KPROD_ERR_OFFSET_OUT_OF_RANGE;
            x->pos = start;
            continue;
        }
        if (e) {
            kp_fetch_resp_free(&resp);
            if (!leader_trouble(e) || cli_now() > deadline)
                return e;
            refresh(x, p, topic_id);
            continue;
        }
        int64_t before = x->pos;
        kp_batch_iter it;
        kp_batch_iter_init(&it, fp->records, fp->records_len, 0);
        kp_rb_header h;
        const uint8_t *batch;
        size_t len;
        int rc;
        while ((rc = kp_batch_iter_next(&it, &h, &batch, &len)) == 1 && x->pos < x->end) {
            kprod_err_t de = kp_rb_decode(batch, len, DECOMPRESSED_MAX, NULL, visit, x);
            if (x->oom) {
                kp_fetch_resp_free(&resp);
                snprintf(x->err, sizeof(x->err), "out of memory");
                return KPROD_ERR__NO_MEMORY;
            }
            if (de) {
                snprintf(x->err, sizeof(x->err), "partition %d: the batch at offset %lld: %s",
                         (int)p->partition, (long long)h.base_offset, kprod_err_str(de));
                kp_fetch_resp_free(&resp);
                return de;
            }
            if (kp_batch_last_offset(&h) + 1 > x->pos)
                x->pos = kp_batch_last_offset(&h) + 1;
        }
        kp_fetch_resp_free(&resp);
        if (rc < 0) {
            snprintf(x->err, sizeof(x->err), "partition %d: a malformed batch after offset %lld",
                     (int)p->partition, (long long)x->pos);
            return KPROD_ERR__BAD_MSG;
        }
        if (x->pos > before) {
            deadline = cli_now() + (double)o->timeout_ms / 1000;
            continue;
        }
        if (it.truncated > 0 && max_bytes < FETCH_BYTES_MAX) {
            max_bytes *= 2; /* one batch larger than what was asked */
            continue;
        }
        if (cli_now() > deadline) {
            snprintf(x->err, sizeof(x->err),
                     "partition %d: no records at offset %lld below the end %lld",
                     (int)p->partition, (long long)x->pos, (long long)x->end);
            return KPROD_ERR__TIMED_OUT;
        }
    }
    return KPROD_ERR_NO_ERROR;
}

/* ---- the report ---- */

static void put_note_key(const vc_note *n) { put_key(stdout, n->key, n->key_len); }

static void print_notes(const vc_part *p) {
    if (p->ndup) {
        printf("partition %d: duplicated:", (int)p->partition);
        for (int i = 0; i < p->ndup; i++) {
            const vc_note *n = &p->dup[i];
            printf("%s %lld (key ", i ? "," : "", (long long)n->offset);
            put_note_key(n);
            printf(" seq %llu, first at partition %d offset %lld)", (unsigned long long)n->seq,
                   (int)n->first_partition, (long long)n->first_offset);
        }
        printf("%s\n", (uint64_t)p->ndup < p->duplicated ? ", ..." : "");
    }
    if (p->nooo) {
        printf("partition %d: out of order:", (int)p->partition);
        for (int i = 0; i < p->nooo; i++) {
            const vc_note *n = &p->ooo[i];
            printf("%s %lld (key ", i ? "," : "", (long long)n->offset);
            put_note_key(n);
            printf(" seq %llu after seq %llu at %lld)", (unsigned long long)n->seq,
                   (unsigned long long)n->first_seq, (long long)n->first_offset);
        }
        printf("%s\n", (uint64_t)p->nooo < p->out_of_order ? ", ..." : "");
    }
    if (p->nmiss) {
        printf("partition %d: missing:", (int)p->partition);
        for (int i = 0; i < p->nmiss; i++) {
            printf("%s key ", i ? "," : "");
            put_note_key(&p->miss[i]);
            printf(" seq %llu", (unsigned long long)p->miss[i].seq);
        }
        printf("%s\n", (uint64_t)p->nmiss < p->missing ? ", ..." : "");
    }
}

static int report(const reader *x, const vc *check, uint64_t unplaced) {
    printf("%10s %10s %8s %11s %13s  %s\n", "partition", "found", "missing", "duplicated",
           "out-of-order", "offsets");
    for (size_t i = 0; i < vc_partition_count(check); i++) {
        const vc_part *p = vc_partition(check, i);
        printf("%10d %10llu %8llu %11llu %13llu  ", (int)p->partition, (unsigned long long)p->found,
               (unsigned long long)p->missing, (unsigned long long)p->duplicated,
               (unsigned long long)p->out_of_order);
        if (p->first_offset >= 0)
            printf("%lld..%lld\n", (long long)p->first_offset, (long long)p->last_offset);
        else
            printf("-\n");
    }
    vc_part t = vc_total(check);
    uint64_t missing = t.missing + unplaced;
    printf("%10s %10llu %8llu %11llu %13llu\n", "total", (unsigned long long)t.found,
           (unsigned long long)missing, (unsigned long long)t.duplicated,
           (unsigned long long)t.out_of_order);
    if (unplaced)
        printf("missing: %llu records of the %ld sent were never seen (the highest numbers "
               "of their keys)\n",
               (unsigned long long)unplaced, x->o->count);
    for (size_t i = 0; i < vc_partition_count(check); i++)
        print_notes(vc_partition(check, i));
    int clean = t.found > 0 && missing == 0 && t.duplicated == 0 && t.out_of_order == 0;
    printf("RESULT run=%s records_read=%llu found=%llu missing=%llu duplicated=%llu "
           "out_of_order=%llu clean=%d\n",
           x->o->run, (unsigned long long)x->records_read, (unsigned long long)t.found,
           (unsigned long long)missing, (unsigned long long)t.duplicated,
           (unsigned long long)t.out_of_order, clean);
    return clean ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cli_verify(int argc, char **argv) {
    vopts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        free(o.parts);
        return rc == -2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    reader x;
    memset(&x, 0, sizeof(x));
    x.o = &o;
    x.run_len = strlen(o.run);
    x.r = vr_new(o.brokers, (int)o.timeout_ms, x.err, sizeof(x.err));
    /* With a start inside the log, a key's numbers below the first found
     * were written before it: not missing. */
    x.check = vc_new((int)o.show, o.from_offset >= 0 || o.from_time >= 0);
    if (!x.r || !x.check) {
        cli_err(CMD, "%s", x.r ? "out of memory" : x.err);
        vr_free(x.r);
        vc_free(x.check);
        free(o.parts);
        return x.r ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    }
    if (o.list && !(x.list = fopen(o.list, "w"))) {
        cli_err(CMD, "--list: cannot write '%s'", o.list);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    vr_part *parts = NULL;
    int32_t n = 0;
    uint8_t topic_id[16];
    kprod_err_t e = vr_metadata(x.r, o.topic, &parts, &n, topic_id, x.err, sizeof(x.err));
    for (int i = 0; !e && i < o.nparts; i++) {
        int known = 0;
        for (int32_t k = 0; k < n; k++)
            known |= parts[k].partition == o.parts[i];
        if (!known) {
            snprintf(x.err, sizeof(x.err), "topic '%s' has no partition %d (%d partitions)",
                     o.topic, (int)o.parts[i], (int)n);
            e = KPROD_ERR__UNKNOWN_PARTITION;
        }
    }
    for (int32_t k = 0; !e && k < n; k++) {
        int wanted = o.nparts == 0;
        for (int i = 0; i < o.nparts; i++)
            wanted |= o.parts[i] == parts[k].partition;
        if (wanted)
            e = read_partition(&x, &parts[k], topic_id);
    }
    free(parts);
    if (e) {
        fputs(CMD ": ", stderr);
        cli_put_escaped(stderr, x.err);
        fputs("\n", stderr);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    uint64_t unplaced = 0;
    if (vc_finish(x.check, (uint64_t)o.count, &unplaced) != 0) {
        cli_err(CMD, "out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    rc = report(&x, x.check, unplaced);
done:
    if (x.list && fclose(x.list) != 0 && rc == CLI_EXIT_OK) {
        cli_err(CMD, "--list: writing '%s' failed", o.list);
        rc = CLI_EXIT_FAIL;
    }
    vr_free(x.r);
    vc_free(x.check);
    free(o.parts);
    return rc;
}
