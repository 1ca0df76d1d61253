/* A hostile broker for the robustness tests: a small Kafka server on
 * loopback that answers the version handshake correctly and then lies in
 * one way, chosen on the command line. It speaks just enough of the
 * protocol to be kprod's only peer: ApiVersions v0..v3 (a v4 request gets
 * UNSUPPORTED_VERSION with a v0 body, as a broker that speaks up to v3
 * answers, so the client's fallback is exercised on every connection),
 * Metadata, InitProducerId and Produce, each decoded only as far as needed
 * (header with correlation id and version; topic names; partitions and the
 * number of records in their batches) and answered in the version asked,
 * flexible versions included, with the layouts of Apache Kafka's message
 * JSON files (clients/src/main/resources/common/message/).
 *
 * It always advertises itself as broker 0 at 127.0.0.1:PORT, the leader of
 * every partition of every topic it is asked about (PARTITIONS of them),
 * unless the scenario says otherwise. Scenarios:
 *
 *   good                every answer well formed; Produce answers count
 *                       offsets per partition from 0
 *   partition_max       Metadata: the last partition's index is 2147483647
 *   partition_huge      Metadata: the last partition's index is 100000000
 *   brokers_many        Metadata lists 200,000 brokers (BROKERS if given),
 *                       all at this address
 *   brokers_churn       every Metadata answer lists BROKERS brokers with ids
 *                       never used before (all at this address); the first
 *                       of them leads every partition
 *   pid_negative        InitProducerId succeeds with producer id -5
 *   frame_255mib        the Metadata answer's size prefix says 255 MiB; the
 *                       body follows (zeros) for as long as the peer reads
 *   frame_2mb           a valid Metadata answer of about 2 MB (a 2,000,000
 *                       byte unknown tagged field; flexible versions only)
 *   offset_max          Produce succeeds with base_offset INT64_MAX
 *   offset_edge         Produce succeeds with base_offset
 *                       INT64_MAX - records (the last record at
 *                       INT64_MAX - 1, the log's next offset INT64_MAX:
 *                       valid)
 *   offset_negative     Produce succeeds with base_offset -5
 *   malformed_metadata  the Metadata answer stops after throttle_time_ms
 *   hold_produce        Produce requests are never answered
 *   escapes             host, rack, cluster id and topic names carry
 *                       terminal escape sequences and control bytes; the
 *                       asked topics' partition 1 (if any) is led by a
 *                       broker whose host is such a string
 *
 * Options (after the scenario, KEY=VALUE): partitions=N (default 1),
 * brokers=N (brokers_many, brokers_churn: default 200,000 and 2000), and
 * the highest version advertised of Metadata, Produce and InitProducerId:
 * metadata_max=V (default 12), produce_max=V (11), pid_max=V (5).
 *
 * Usage: hostile_broker SCENARIO [KEY=VALUE ...]
 * Prints "port N" once listening (127.0.0.1, a port the kernel picks), then
 * answers one command per line on stdin:
 *   stats        "stats conns=C apiversions=A metadata=M initpid=I
 *                produce=P streamed=S open=O" (connections accepted,
 *                requests received of each API, filler bytes of the
 *                255 MiB frame written, connections open now)
 *   times WHAT   "times N T1 ... TN": the CLOCK_MONOTONIC milliseconds of
 *                each connection accepted (WHAT = conn) or each request
 *                received of an API key (WHAT = 0, 3, 18 or 22)
 * and exits when stdin closes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 256
#define MAXT 64
#define API_PRODUCE 0
#define API_METADATA 3
#define API_VERSIONS 18
#define API_INIT_PID 22

typedef enum scenario {
    S_GOOD,
    S_PARTITION_MAX,
    S_PARTITION_HUGE,
    S_BROKERS_MANY,
    S_BROKERS_CHURN,
    S_PID_NEGATIVE,
    S_FRAME_255MIB,
    S_FRAME_2MB,
    S_OFFSET_MAX,
    S_OFFSET_EDGE,
    S_OFFSET_NEGATIVE,
    S_MALFORMED_METADATA,
    S_HOLD_PRODUCE,
    S_ESCAPES,
} scenario;

static const char *const scenario_names[] = {
    "good",          "partition_max", "partition_huge",  "brokers_many",
    "brokers_churn", "pid_negative",  "frame_255mib",    "frame_2mb",
    "offset_max",    "offset_edge",   "offset_negative", "malformed_metadata",
    "hold_produce",  "escapes",
};

/* ---- buffers ---- */

typedef struct buf {
    uint8_t *d;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->d = realloc(b->d, cap);
        if (!b->d)
            abort();
        b->cap = cap;
    }
    if (n)
        memcpy(b->d + b->len, p, n);
    b->len += n;
}

static void consume(buf *b, size_t n) {
    memmove(b->d, b->d + n, b->len - n);
    b->len -= n;
}

static void w_i8(buf *b, int8_t v) { put(b, &v, 1); }
static void w_i16(buf *b, int16_t v) {
    uint8_t x[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
    put(b, x, 2);
}
static void w_i32(buf *b, int32_t v) {
    uint32_t u = (uint32_t)v;
    uint8_t x[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
    put(b, x, 4);
}
static void w_i64(buf *b, int64_t v) {
    w_i32(b, (int32_t)(uint32_t)((uint64_t)v >> 32));
    w_i32(b, (int32_t)(uint32_t)(uint64_t)v);
}
static void w_uvarint(buf *b, uint64_t v) {
    while (v >= 0x80) {
        w_i8(b, (int8_t)(uint8_t)(v | 0x80));
        v >>= 7;
    }
    w_i8(b, (int8_t)(uint8_t)v);
}
/* (COMPACT_)(NULLABLE_)STRING: s NULL writes null. */
static void w_str(buf *b, int flex, const char *s) {
    if (!s) {
        if (flex)
            w_uvarint(b, 0);
        else
            w_i16(b, -1);
        return;
    }
    size_t n = strlen(s);
    if (flex)
        w_uvarint(b, (uint64_t)n + 1);
    else
        w_i16(b, (int16_t)n);
    put(b, s, n);
}
static void w_arr(buf *b, int flex, int32_t n) {
    if (flex)
        w_uvarint(b, (uint64_t)n + 1);
    else
        w_i32(b, n);
}
static void w_tags(buf *b, int flex) {
    if (flex)
        w_uvarint(b, 0);
}
static void patch_i32(buf *b, size_t off, int32_t v) {
    uint32_t u = (uint32_t)v;
    b->d[off] = (uint8_t)(u >> 24);
    b->d[off + 1] = (uint8_t)(u >> 16);
    b->d[off + 2] = (uint8_t)(u >> 8);
    b->d[off + 3] = (uint8_t)u;
}

typedef struct rd {
    const uint8_t *p, *end;
    int err;
} rd;

static const uint8_t *r_raw(rd *r, size_t n) {
    if (r->err || (size_t)(r->end - r->p) < n) {
        r->err = 1;
        r->p = r->end;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}
static int16_t r_i16(rd *r) {
    const uint8_t *p = r_raw(r, 2);
    return p ? (int16_t)(uint16_t)((p[0] << 8) | p[1]) : 0;
}
static int32_t r_i32(rd *r) {
    const uint8_t *p = r_raw(r, 4);
    return p ? (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
                         p[3])
             : 0;
}
static int64_t r_i64(rd *r) {
    uint64_t hi = (uint32_t)r_i32(r);
    uint64_t lo = (uint32_t)r_i32(r);
    return (int64_t)((hi << 32) | lo);
}
static uint64_t r_uvarint(rd *r) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const uint8_t *p = r_raw(r, 1);
        if (!p)
            return 0;
        v |= (uint64_t)(*p & 0x7f) << shift;
        if (!(*p & 0x80))
            return v;
    }
    r->err = 1;
    return 0;
}
/* A string or bytes field: returns its start (NULL when null), *len. */
static const uint8_t *r_str(rd *r, int flex, int32_t *len) {
    int64_t n = flex ? (int64_t)r_uvarint(r) - 1 : r_i16(r);
    *len = (int32_t)n;
    return n < 0 ? NULL : r_raw(r, (size_t)n);
}
static const uint8_t *r_bytes(rd *r, int flex, int32_t *len) {
    int64_t n = flex ? (int64_t)r_uvarint(r) - 1 : r_i32(r);
    *len = (int32_t)n;
    return n < 0 ? NULL : r_raw(r, (size_t)n);
}
static int32_t r_arr(rd *r, int flex) { return flex ? (int32_t)r_uvarint(r) - 1 : r_i32(r); }
static void r_tags(rd *r, int flex) {
    if (!flex)
        return;
    uint64_t n = r_uvarint(r);
    for (uint64_t i = 0; i < n && !r->err; i++) {
        (void)r_uvarint(r);
        r_raw(r, (size_t)r_uvarint(r));
    }
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- state ---- */

typedef struct conn {
    int fd;
    buf in, out;
    size_t out_off;
    uint64_t stream_left; /* filler bytes of a lying frame still to write */
} conn;

typedef struct times {
    int64_t *v;
    size_t n, cap;
} times;

static void note_time(times *t) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->v = realloc(t->v, t->cap * sizeof(*t->v));
        if (!t->v)
            abort();
    }
    t->v[t->n++] = now_ms();
}

static conn conns[MAXC];
static scenario sc;
static int my_port;
static int opt_partitions = 1, opt_brokers = -1;
static int max_metadata = 12, max_produce = 11, max_pid = 5;
static char *topics[MAXT]; /* every topic asked for so far */
static int ntopics;
static int64_t next_offset[MAXT][16]; /* "good" offsets of the first 16 partitions */
static long churn_round;
static int64_t next_pid = 4242;
static long n_conns, n_req[64];
static long long streamed;
static times t_conn, t_req[64];
static uint8_t zeros[65536];

static int flexible(int16_t key, int16_t ver) {
    switch (key) {
    case API_PRODUCE:
    case API_METADATA:
        return ver >= 9;
    case API_VERSIONS:
        return ver >= 3;
    case API_INIT_PID:
        return ver >= 2;
    default:
        return 0;
    }
}

static int topic_index(const uint8_t *name, int32_t len) {
    for (int i = 0; i < ntopics; i++)
        if ((int32_t)strlen(topics[i]) == len && memcmp(topics[i], name, (size_t)len) == 0)
            return i;
    if (ntopics == MAXT)
        return -1;
    topics[ntopics] = malloc((size_t)len + 1);
    if (!topics[ntopics])
        abort();
    memcpy(topics[ntopics], name, (size_t)len);
    topics[ntopics][len] = '\0';
    return ntopics++;
}

/* Starts a response frame: size placeholder, correlation id, and the
 * header's tags when flexible (never for ApiVersions). Returns its start. */
static size_t resp_begin(buf *b, int32_t corr, int16_t key, int16_t ver) {
    size_t start = b->len;
    w_i32(b, 0);
    w_i32(b, corr);
    if (key != API_VERSIONS)
        w_tags(b, flexible(key, ver));
    return start;
}

static void resp_end(buf *b, size_t start) { patch_i32(b, start, (int32_t)(b->len - start - 4)); }

/* ---- ApiVersions ---- */

static void api_entry(buf *b, int flex, int16_t key, int16_t min, int16_t max) {
    w_i16(b, key);
    w_i16(b, min);
    w_i16(b, max);
    w_tags(b, flex);
}

static void answer_api_versions(conn *c, int32_t corr, int16_t ver) {
    size_t start = resp_begin(&c->out, corr, API_VERSIONS, ver);
    int unsupported = ver > 3;
    int flex = !unsupported && ver >= 3;
    buf *b = &c->out;
    w_i16(b, unsupported ? 35 : 0); /* UNSUPPORTED_VERSION: a v0 body */
    w_arr(b, flex, 4);
    api_entry(b, flex, API_PRODUCE, 3, (int16_t)max_produce);
    api_entry(b, flex, API_METADATA, 0, (int16_t)max_metadata);
    api_entry(b, flex, API_VERSIONS, 0, 3);
    api_entry(b, flex, API_INIT_PID, 0, (int16_t)max_pid);
    if (!unsupported && ver >= 1)
        w_i32(b, 0); /* throttle_time_ms */
    w_tags(b, flex);
    resp_end(b, start);
}

/* ---- Metadata ---- */

typedef struct md_broker {
    int32_t id;
    const char *host;
    int32_t port;
    const char *rack;
} md_broker;

static void w_broker(buf *b, int flex, const md_broker *br) {
    w_i32(b, br->id);
    w_str(b, flex, br->host);
    w_i32(b, br->port);
    w_str(b, flex, br->rack); /* v1+ */
    w_tags(b, flex);
}

static void w_int32s(buf *b, int flex, int32_t v) {
    w_arr(b, flex, 1);
    w_i32(b, v);
}

static void w_partition(buf *b, int16_t ver, int flex, int32_t index, int32_t leader) {
    w_i16(b, 0);     /* error_code */
    w_i32(b, index); /* partition_index */
    w_i32(b, leader);
    if (ver >= 7)
        w_i32(b, 0);           /* leader_epoch */
    w_int32s(b, flex, leader); /* replica_nodes */
    w_int32s(b, flex, leader); /* isr_nodes */
    if (ver >= 5)
        w_arr(b, flex, 0); /* offline_replicas */
    w_tags(b, flex);
}

static void w_topic_head(buf *b, int16_t ver, int flex, const char *name, int32_t nparts) {
    w_i16(b, 0); /* error_code */
    w_str(b, flex, name);
    if (ver >= 10) {
        uint8_t id[16] = {0};
        put(b, id, sizeof(id)); /* topic_id */
    }
    w_i8(b, 0); /* is_internal (v1+) */
    w_arr(b, flex, nparts);
}

static void w_topic_tail(buf *b, int16_t ver, int flex) {
    if (ver >= 8)
        w_i32(b, INT32_MIN); /* topic_authorized_operations: not asked */
    w_tags(b, flex);
}

/* The indexes the scenario gives a topic's partitions. */
static int32_t partition_index(int k, int n) {
    if (k == n - 1 && sc == S_PARTITION_MAX)
        return INT32_MAX;
    if (k == n - 1 && sc == S_PARTITION_HUGE)
        return 100000000;
    return k;
}

static const char esc_host[] = "\x1b]0;owned\x07\x1b[2J\x1b[H";
static const char esc_host2[] = "evil\x1b[6n\xc2\x9b"
                                "31m\r\n\x7f";
static const char esc_rack[] = "\x1b[31mrack\x1b[0m";
static const char esc_rack2[] = "\r\n\x1b[1A\x7f";
static const char esc_cluster[] = "\x1b[5mcluster\x1b[0m\x07";
static const char esc_topic[] = "\x1b[2Jtopic\x1b]8;;http://x/\x07link\x1b]8;;\x07";
static const char esc_topic2[] = "t\x1b[?1049h\x9b\x08\x08";

static void answer_metadata(conn *c, int32_t corr, int16_t ver, rd *r) {
    int flex = flexible(API_METADATA, ver);
    /* The request: which topics (null: all). */
    int asked[MAXT], nasked = 0;
    int32_t n = r_arr(r, flex);
    if (n < 0) {
        for (int i = 0; i < ntopics; i++)
            asked[nasked++] = i;
    }
    for (int32_t i = 0; i < n && !r->err; i++) {
        if (ver >= 10)
            r_raw(r, 16); /* topic_id */
        int32_t len;
        const uint8_t *name = r_str(r, flex, &len);
        r_tags(r, flex);
        int t = name && !r->err ? topic_index(name, len) : -1;
        if (t >= 0 && nasked < MAXT)
            asked[nasked++] = t;
    }
    buf *b = &c->out;
    size_t start = resp_begin(b, corr, API_METADATA, ver);
    if (sc == S_FRAME_255MIB) {
        patch_i32(b, start, 255 << 20); /* a size no answer needs */
        c->stream_left = (uint64_t)(255u << 20) - (b->len - start - 4);
        return;
    }
    w_i32(b, 0); /* throttle_time_ms (v3+) */
    if (sc == S_MALFORMED_METADATA) {
        resp_end(b, start); /* no broker array, nothing after it */
        return;
    }
    char myhost[] = "127.0.0.1";
    int32_t leader = 0;
    if (sc == S_BROKERS_MANY) {
        int32_t nb = opt_brokers > 0 ? opt_brokers : 200000;
        w_arr(b, flex, nb);
        for (int32_t i = 0; i < nb; i++) {
            md_broker br = {i, myhost, my_port, NULL};
            w_broker(b, flex, &br);
        }
    } else if (sc == S_BROKERS_CHURN) {
        int32_t nb = opt_brokers > 0 ? opt_brokers : 2000;
        int32_t first = (int32_t)(1 + churn_round++ * nb);
        leader = first;
        w_arr(b, flex, nb);
        for (int32_t i = 0; i < nb; i++) {
            md_broker br = {first + i, myhost, my_port, NULL};
            w_broker(b, flex, &br);
        }
    } else if (sc == S_ESCAPES) {
        md_broker brs[] = {
            {0, myhost, my_port, esc_rack},
            {1, esc_host, 9092, esc_rack2},
            {2, esc_host2, 65535, NULL},
        };
        w_arr(b, flex, 3);
        for (int i = 0; i < 3; i++)
            w_broker(b, flex, &brs[i]);
    } else {
        md_broker br = {0, myhost, my_port, NULL};
        w_arr(b, flex, 1);
        w_broker(b, flex, &br);
    }
    w_str(b, flex, sc == S_ESCAPES ? esc_cluster : "hostile-cluster"); /* cluster_id */
    w_i32(b, leader);                                                  /* controller_id */
    int extra = sc == S_ESCAPES ? 2 : 0;
    w_arr(b, flex, nasked + extra);
    for (int i = 0; i < nasked; i++) {
        w_topic_head(b, ver, flex, topics[asked[i]], opt_partitions);
        for (int k = 0; k < opt_partitions; k++)
            w_partition(b, ver, flex, partition_index(k, opt_partitions),
                        sc == S_ESCAPES && k == 1 ? 1 : leader);
        w_topic_tail(b, ver, flex);
    }
    for (int i = 0; i < extra; i++) {
        w_topic_head(b, ver, flex, i == 0 ? esc_topic : esc_topic2, 1);
        w_partition(b, ver, flex, 0, 1 + i);
        w_topic_tail(b, ver, flex);
    }
    if (ver >= 8 && ver <= 10)
        w_i32(b, INT32_MIN); /* cluster_authorized_operations */
    if (ver >= 13)
        w_i16(b, 0); /* error_code */
    if (sc == S_FRAME_2MB && flex) {
        /* An unknown tagged field: a client that accepts the frame skips it. */
        static uint8_t pad[2000000];
        w_uvarint(b, 1);
        w_uvarint(b, 9999);
        w_uvarint(b, sizeof(pad));
        put(b, pad, sizeof(pad));
    } else {
        w_tags(b, flex);
    }
    resp_end(b, start);
}

/* ---- InitProducerId ---- */

static void answer_init_pid(conn *c, int32_t corr, int16_t ver, rd *r) {
    int flex = flexible(API_INIT_PID, ver);
    int32_t len;
    r_str(r, flex, &len); /* transactional_id */
    (void)r_i32(r);       /* transaction_timeout_ms */
    int64_t pid = -1;
    int16_t epoch = -1;
    if (ver >= 3) {
        pid = r_i64(r);
        epoch = r_i16(r);
    }
    if (sc == S_PID_NEGATIVE) {
        pid = -5;
        epoch = 0;
    } else if (pid >= 0 && epoch >= 0 && epoch < INT16_MAX) {
        epoch++; /* a bump (KIP-360) */
    } else {
        pid = next_pid++;
        epoch = 0;
    }
    buf *b = &c->out;
    size_t start = resp_begin(b, corr, API_INIT_PID, ver);
    w_i32(b, 0); /* throttle_time_ms */
    w_i16(b, 0); /* error_code */
    w_i64(b, pid);
    w_i16(b, epoch);
    w_tags(b, flex);
    resp_end(b, start);
}

/* ---- Produce ---- */

/* Records in a records field: the sum over its RecordBatch v2 headers. */
static int32_t count_records(const uint8_t *p, int32_t len) {
    int32_t total = 0;
    while (p && len >= 61) {
        rd r = {p + 8, p + len, 0};
        int32_t batch_len = r_i32(&r); /* after base_offset; counts from here */
        if (batch_len < 49 || batch_len > len - 12)
            break;
        rd c = {p + 57, p + 61, 0};
        total += r_i32(&c);
        p += 12 + batch_len;
        len -= 12 + batch_len;
    }
    return total;
}

typedef struct pp {
    int32_t index, records;
} pp;

static void answer_produce(conn *c, int32_t corr, int16_t ver, rd *r) {
    int flex = flexible(API_PRODUCE, ver);
    int32_t len;
    r_str(r, flex, &len); /* transactional_id */
    int16_t acks = r_i16(r);
    (void)r_i32(r); /* timeout_ms */
    /* Decode first, answer after: topic name, its partitions. */
    int32_t nt = r_arr(r, flex);
    if (r->err || nt < 0 || nt > MAXT)
        return;
    const uint8_t *tname[MAXT];
    int32_t tlen[MAXT], np[MAXT];
    pp *parts[MAXT] = {0};
    for (int32_t t = 0; t < nt && !r->err; t++) {
        tname[t] = r_str(r, flex, &tlen[t]);
        np[t] = r_arr(r, flex);
        if (r->err || !tname[t] || np[t] < 0 || np[t] > 100000) {
            r->err = 1;
            np[t] = 0;
            break;
        }
        parts[t] = calloc((size_t)np[t] + 1, sizeof(pp));
        if (!parts[t])
            abort();
        for (int32_t k = 0; k < np[t] && !r->err; k++) {
            parts[t][k].index = r_i32(r);
            int32_t rl;
            const uint8_t *recs = r_bytes(r, flex, &rl);
            parts[t][k].records = count_records(recs, rl);
            r_tags(r, flex);
        }
        r_tags(r, flex);
    }
    if (!r->err && acks != 0 && sc != S_HOLD_PRODUCE) {
        buf *b = &c->out;
        size_t start = resp_begin(b, corr, API_PRODUCE, ver);
        w_arr(b, flex, nt);
        for (int32_t t = 0; t < nt; t++) {
            if (flex)
                w_uvarint(b, (uint64_t)tlen[t] + 1);
            else
                w_i16(b, (int16_t)tlen[t]);
            put(b, tname[t], (size_t)tlen[t]);
            int ti = topic_index(tname[t], tlen[t]);
            w_arr(b, flex, np[t]);
            for (int32_t k = 0; k < np[t]; k++) {
                int32_t idx = parts[t][k].index;
                int64_t base;
                if (sc == S_OFFSET_MAX)
                    base = INT64_MAX;
                else if (sc == S_OFFSET_NEGATIVE)
                    base = -5;
                else if (sc == S_OFFSET_EDGE)
                    base = INT64_MAX - parts[t][k].records;
                else if (ti >= 0 && idx >= 0 && idx < 16) {
                    base = next_offset[ti][idx];
                    next_offset[ti][idx] += parts[t][k].records;
                } else {
                    base = 0;
                }
                w_i32(b, idx);
                w_i16(b, 0); /* error_code */
                w_i64(b, base);
                w_i64(b, -1); /* log_append_time_ms */
                if (ver >= 5)
                    w_i64(b, 0); /* log_start_offset */
                if (ver >= 8) {
                    w_arr(b, flex, 0);    /* record_errors */
                    w_str(b, flex, NULL); /* error_message */
                }
                w_tags(b, flex);
            }
            w_tags(b, flex);
        }
        w_i32(b, 0); /* throttle_time_ms */
        w_tags(b, flex);
        resp_end(b, start);
    }
    for (int32_t t = 0; t < nt; t++)
        free(parts[t]);
}

/* ---- connections ---- */

static void close_conn(conn *c) {
    close(c->fd);
    free(c->in.d);
    free(c->out.d);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* Handles every complete request in c->in; -1 to drop the connection. */
static int handle_frames(conn *c) {
    while (c->in.len >= 4) {
        rd h = {c->in.d, c->in.d + 4, 0};
        int32_t size = r_i32(&h);
        if (size < 8 || size > (64 << 20))
            return -1;
        if (c->in.len < 4 + (size_t)size)
            return 0;
        rd r = {c->in.d + 4, c->in.d + 4 + size, 0};
        int16_t key = r_i16(&r), ver = r_i16(&r);
        int32_t corr = r_i32(&r);
        int32_t len;
        r_str(&r, 0, &len); /* client_id: a classic string in every header version */
        r_tags(&r, flexible(key, ver));
        if (r.err)
            return -1;
        if (key >= 0 && key < 64) {
            n_req[key]++;
            note_time(&t_req[key]);
        }
        if (c->stream_left)
            ; /* a lying frame is still being written: nothing else will follow it */
        else if (key == API_VERSIONS)
            answer_api_versions(c, corr, ver);
        else if (key == API_METADATA)
            answer_metadata(c, corr, ver, &r);
        else if (key == API_INIT_PID)
            answer_init_pid(c, corr, ver, &r);
        else if (key == API_PRODUCE)
            answer_produce(c, corr, ver, &r);
        else
            return -1;
        consume(&c->in, 4 + (size_t)size);
    }
    return 0;
}

static int do_read(conn *c) {
    uint8_t tmp[65536];
    ssize_t n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
    if (n == 0)
        return -1;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    put(&c->in, tmp, (size_t)n);
    return handle_frames(c);
}

static int do_write(conn *c) {
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.d + c->out_off, c->out.len - c->out_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        c->out_off += (size_t)n;
    }
    c->out.len = c->out_off = 0;
    while (c->stream_left) {
        size_t want = c->stream_left < sizeof(zeros) ? (size_t)c->stream_left : sizeof(zeros);
        ssize_t n = send(c->fd, zeros, want, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        c->stream_left -= (uint64_t)n;
        streamed += n;
    }
    return 0;
}

/* ---- commands ---- */

static void print_times(const times *t) {
    printf("times %zu", t->n);
    for (size_t i = 0; i < t->n; i++)
        printf(" %lld", (long long)t->v[i]);
    printf("\n");
}

static void command(char *line) {
    int what;
    if (strncmp(line, "stats", 5) == 0) {
        int open = 0;
        for (int i = 0; i < MAXC; i++)
            open += conns[i].fd >= 0;
        printf("stats conns=%ld apiversions=%ld metadata=%ld initpid=%ld produce=%ld "
               "streamed=%lld open=%d\n",
               n_conns, n_req[API_VERSIONS], n_req[API_METADATA], n_req[API_INIT_PID],
               n_req[API_PRODUCE], streamed, open);
    } else if (strncmp(line, "times conn", 10) == 0) {
        print_times(&t_conn);
    } else if (sscanf(line, "times %d", &what) == 1 && what >= 0 && what < 64) {
        print_times(&t_req[what]);
    } else {
        printf("error: unknown command\n");
    }
    fflush(stdout);
}

static int parse_options(int argc, char **argv) {
    for (int i = 2; i < argc; i++) {
        int v;
        if (sscanf(argv[i], "partitions=%d", &v) == 1 && v >= 1 && v <= 16)
            opt_partitions = v;
        else if (sscanf(argv[i], "brokers=%d", &v) == 1 && v >= 1 && v <= 1000000)
            opt_brokers = v;
        else if (sscanf(argv[i], "metadata_max=%d", &v) == 1 && v >= 4 && v <= 13)
            max_metadata = v;
        else if (sscanf(argv[i], "produce_max=%d", &v) == 1 && v >= 3 && v <= 12)
            max_produce = v;
        else if (sscanf(argv[i], "pid_max=%d", &v) == 1 && v >= 0 && v <= 5)
            max_pid = v;
        else {
            fprintf(stderr, "hostile_broker: bad option %s\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    int found = 0;
    for (size_t i = 0; argc >= 2 && i < sizeof(scenario_names) / sizeof(scenario_names[0]); i++)
        if (strcmp(argv[1], scenario_names[i]) == 0) {
            sc = (scenario)i;
            found = 1;
        }
    if (!found || parse_options(argc, argv) != 0) {
        fprintf(stderr, "usage: hostile_broker SCENARIO [partitions=N] [brokers=N] "
                        "[metadata_max=V] [produce_max=V] [pid_max=V]\n");
        return 2;
    }
    for (int i = 0; i < MAXC; i++)
        conns[i].fd = -1;

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = 0};
    me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t ml = sizeof(me);
    if (bind(lfd, (struct sockaddr *)&me, sizeof(me)) || listen(lfd, 64) ||
        getsockname(lfd, (struct sockaddr *)&me, &ml)) {
        perror("hostile_broker: listen");
        return 1;
    }
    my_port = ntohs(me.sin_port);
    printf("port %d\n", my_port);
    fflush(stdout);

    char line[256];
    size_t line_len = 0;
    struct pollfd fds[2 + MAXC];
    for (;;) {
        int n = 0;
        fds[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (int i = 0; i < MAXC; i++) {
            conn *c = &conns[i];
            short ev = POLLIN;
            if (c->out.len > c->out_off || c->stream_left)
                ev |= POLLOUT;
            fds[n++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        if (poll(fds, (nfds_t)n, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents) {
            ssize_t k = read(0, line + line_len, sizeof(line) - 1 - line_len);
            if (k <= 0)
                break;
            line_len += (size_t)k;
            char *nl;
            while ((nl = memchr(line, '\n', line_len))) {
                *nl = '\0';
                command(line);
                size_t used = (size_t)(nl - line) + 1;
                memmove(line, nl + 1, line_len - used);
                line_len -= used;
            }
            if (line_len == sizeof(line) - 1)
                line_len = 0; /* an overlong line: dropped */
        }
        if (fds[1].revents & POLLIN) {
            int cfd = accept(lfd, NULL, NULL);
            int slot = -1;
            for (int i = 0; i < MAXC && slot < 0; i++)
                if (conns[i].fd < 0)
                    slot = i;
            if (cfd >= 0) {
                n_conns++;
                note_time(&t_conn);
                if (slot < 0) {
                    close(cfd);
                } else {
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    conns[slot].fd = cfd;
                }
            }
        }
        for (int i = 0; i < MAXC; i++) {
            conn *c = &conns[i];
            struct pollfd *pf = &fds[2 + i];
            if (c->fd < 0 || pf->fd != c->fd)
                continue;
            int bad = 0;
            if (pf->revents & (POLLIN | POLLHUP | POLLERR))
                bad = do_read(c);
            if (!bad && (c->out.len > c->out_off || c->stream_left))
                bad = do_write(c);
            if (bad)
                close_conn(c);
        }
    }
    return 0;
}
