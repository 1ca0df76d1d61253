/* sink: a minimal Kafka broker for benchmarks. It answers ApiVersions,
 * Metadata, InitProducerId and Produce on one port, as broker 1 leading
 * every partition of the topics given on its command line, and throws the
 * records away: no disk, no replication, no JVM, no check of the batches
 * beyond counting their records for the offsets it hands out. So what a
 * benchmark run costs is mostly the client's own work. Both producers
 * (kprod perf, rdkafka_perf) run against it in other processes.
 *
 * Why not librdkafka's mock cluster: the one in Debian 12's librdkafka
 * (2.0.2) speaks Metadata v0-v2 only, and kprod needs v4 or later.
 *
 *   sink [--port N] [--topic NAME:PARTITIONS]...
 *
 * Prints "BOOTSTRAP 127.0.0.1:PORT" on standard output once it listens,
 * then serves until standard input ends or SIGTERM/SIGINT arrives. One
 * thread, epoll, non-blocking sockets. Versions served (common ground of
 * both clients, all non-flexible): ApiVersions 0-2 (a newer request gets
 * UNSUPPORTED_VERSION in the v0 layout, per KIP-511), Metadata 4, Produce
 * 3-7 (0-7 advertised; both clients take 7), InitProducerId 0-1. Built only
 * in bench/, never installed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FRAME (64 * 1024 * 1024)
#define MAX_TOPICS 1024

enum {
    API_PRODUCE = 0,
    API_FETCH = 1,
    API_LIST_OFFSETS = 2,
    API_METADATA = 3,
    API_FIND_COORDINATOR = 10,
    API_VERSIONS = 18,
    API_INIT_PRODUCER_ID = 22
};

typedef struct topic {
    char name[250];
    int32_t partitions;
    int64_t *next_offset;
} topic;

static topic topics[MAX_TOPICS];
static int n_topics;
static int port_listening;
static int64_t next_producer_id = 1000;
static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

/* ---- byte buffers ---- */

typedef struct buf {
    unsigned char *p;
    size_t len, cap, off; /* off: bytes already consumed (reads) or sent */
} buf;

static int buf_reserve(buf *b, size_t more) {
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    unsigned char *np = realloc(b->p, cap);
    if (!np)
        return -1;
    b->p = np;
    b->cap = cap;
    return 0;
}

static void put(buf *b, const void *src, size_t n) {
    if (buf_reserve(b, n) != 0)
        abort(); /* a benchmark tool: out of memory ends it */
    memcpy(b->p + b->len, src, n);
    b->len += n;
}
static void put16(buf *b, int16_t v) {
    uint16_t x = htons((uint16_t)v);
    put(b, &x, 2);
}
static void put32(buf *b, int32_t v) {
    uint32_t x = htonl((uint32_t)v);
    put(b, &x, 4);
}
static void put64(buf *b, int64_t v) {
    put32(b, (int32_t)((uint64_t)v >> 32));
    put32(b, (int32_t)(uint32_t)v);
}
static void put_str(buf *b, const char *s, size_t n) {
    put16(b, (int16_t)n);
    put(b, s, n);
}

/* A bounds-checked reader: any read past the end sets bad. */
typedef struct rd {
    const unsigned char *p;
    size_t len, at;
    int bad;
} rd;

static const unsigned char *take(rd *r, size_t n) {
    if (r->bad || r->len - r->at < n) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *s = r->p + r->at;
    r->at += n;
    return s;
}
static int16_t get16(rd *r) {
    const unsigned char *s = take(r, 2);
    return s ? (int16_t)(s[0] << 8 | s[1]) : 0;
}
static int32_t get32(rd *r) {
    const unsigned char *s = take(r, 4);
    return s ? (int32_t)((uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3])
             : 0;
}
/* A (nullable) string: its bytes and length, NULL for null. */
static const char *get_str(rd *r, size_t *n) {
    int16_t len = get16(r);
    *n = len > 0 ? (size_t)len : 0;
    if (len < 0)
        return NULL;
    return (const char *)take(r, *n);
}

static topic *find_topic(const char *name, size_t n) {
    for (int i = 0; i < n_topics; i++)
        if (strlen(topics[i].name) == n && memcmp(topics[i].name, name, n) == 0)
            return &topics[i];
    return NULL;
}

/* ---- requests ---- */

static void api_versions(buf *o, int16_t version) {
    if (version > 2) {
        put16(o, 35); /* UNSUPPORTED_VERSION, v0 layout, with our list */
        version = 0;
    } else {
        put16(o, 0);
    }
    /* Fetch, ListOffsets and FindCoordinator are never served: they are
     * listed because librdkafka infers features from them (the v2 record
     * format needs Fetch v4, lz4 needs FindCoordinator, zstd Fetch v10)
     * and would otherwise fall back to the old message format and no
     * compression. A request for one of them closes the connection. */
    static const int16_t apis[][3] = {{API_PRODUCE, 0, 7},          {API_FETCH, 0, 11},
                                      {API_LIST_OFFSETS, 0, 5},     {API_METADATA, 4, 4},
                                      {API_FIND_COORDINATOR, 0, 2}, {API_VERSIONS, 0, 2},
                                      {API_INIT_PRODUCER_ID, 0, 1}};
    int n = (int)(sizeof(apis) / sizeof(apis[0]));
    put32(o, n);
    for (int i = 0; i < n; i++) {
        put16(o, apis[i][0]);
        put16(o, apis[i][1]);
        put16(o, apis[i][2]);
    }
    if (version >= 1)
        put32(o, 0); /* throttle_time_ms */
}

static void metadata_topic(buf *o, const char *name, size_t n) {
    topic *t = find_topic(name, n);
    put16(o, t ? 0 : 3); /* UNKNOWN_TOPIC_OR_PARTITION */
    put_str(o, name, n);
    put(o, "\0", 1); /* is_internal */
    put32(o, t ? t->partitions : 0);
    for (int32_t p = 0; t && p < t->partitions; p++) {
        put16(o, 0);
        put32(o, p);
        put32(o, 1); /* leader */
        put32(o, 1); /* replicas [1] */
        put32(o, 1);
        put32(o, 1); /* isr [1] */
        put32(o, 1);
    }
}

static int metadata(rd *r, buf *o) {
    put32(o, 0); /* throttle_time_ms */
    put32(o, 1); /* brokers */
    put32(o, 1);
    put_str(o, "127.0.0.1", 9);
    put32(o, port_listening);
    put16(o, -1); /* rack */
    put_str(o, "kprod-bench-sink", 16);
    put32(o, 1); /* controller */
    int32_t count = get32(r);
    if (count < 0) {
        put32(o, n_topics);
        for (int i = 0; i < n_topics; i++)
            metadata_topic(o, topics[i].name, strlen(topics[i].name));
        return r->bad ? -1 : 0;
    }
    if (count > 100000)
        return -1;
    put32(o, count);
    for (int32_t i = 0; i < count && !r->bad; i++) {
        size_t n;
        const char *name = get_str(r, &n);
        metadata_topic(o, name ? name : "", name ? n : 0);
    }
    return r->bad ? -1 : 0;
}

static int init_producer_id(rd *r, buf *o) {
    size_t n;
    get_str(r, &n); /* transactional_id */
    get32(r);       /* transaction_timeout_ms */
    put32(o, 0);    /* throttle_time_ms */
    put16(o, 0);
    put64(o, next_producer_id++);
    put16(o, 0); /* epoch */
    return r->bad ? -1 : 0;
}

/* Records in a RecordBatch v2 sequence: each batch's count is at byte 57,
 * the next batch starts 12 + batchLength bytes on. */
static int64_t count_records(const unsigned char *p, int32_t len) {
    int64_t total = 0;
    int32_t at = 0;
    while (len - at >= 61) {
        const unsigned char *b = p + at;
        int32_t blen =
            (int32_t)((uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11]);
        int32_t cnt =
            (int32_t)((uint32_t)b[57] << 24 | (uint32_t)b[58] << 16 | (uint32_t)b[59] << 8 | b[60]);
        if (blen < 49 || blen > len - at - 12 || cnt < 0)
            break;
        total += cnt;
        at += 12 + blen;
    }
    return total;
}

/* Returns 1 when a response is due (acks != 0), 0 when not, -1 on a
 * malformed request. */
static int produce(rd *r, buf *o, int16_t version) {
    size_t n;
    get_str(r, &n); /* transactional_id */
    int16_t acks = get16(r);
    get32(r); /* timeout_ms */
    int32_t nt = get32(r);
    if (r->bad || nt < 0 || nt > 100000)
        return -1;
    put32(o, nt);
    for (int32_t i = 0; i < nt && !r->bad; i++) {
        const char *name = get_str(r, &n);
        topic *t = name ? find_topic(name, n) : NULL;
        put_str(o, name ? name : "", name ? n : 0);
        int32_t np = get32(r);
        if (r->bad || np < 0 || np > 100000)
            return -1;
        put32(o, np);
        for (int32_t j = 0; j < np && !r->bad; j++) {
            int32_t part = get32(r);
            int32_t len = get32(r);
            const unsigned char *recs = len > 0 ? take(r, (size_t)len) : NULL;
            int16_t err = 0;
            int64_t base = -1;
            if (!t || part < 0 || part >= t->partitions) {
                err = 3;
            } else {
                base = t->next_offset[part];
                t->next_offset[part] += recs ? count_records(recs, len) : 0;
            }
            put32(o, part);
            put16(o, err);
            put64(o, base);
            put64(o, -1); /* log_append_time_ms */
            if (version >= 5)
                put64(o, 0); /* log_start_offset */
        }
    }
    put32(o, 0); /* throttle_time_ms */
    if (r->bad)
        return -1;
    return acks != 0;
}

/* Handles one request frame; appends the response (if any) to out.
 * -1 closes the connection. */
static int handle(const unsigned char *p, size_t len, buf *out) {
    rd r = {p, len, 0, 0};
    int16_t api = get16(&r), version = get16(&r);
    int32_t corr = get32(&r);
    size_t n;
    get_str(&r, &n); /* client_id */
    if (r.bad)
        return -1;
    size_t start = out->len;
    put32(out, 0); /* size, patched below */
    put32(out, corr);
    int rc;
    switch (api) {
    case API_VERSIONS:
        api_versions(out, version);
        rc = 1;
        break;
    case API_METADATA:
        rc = version == 4 ? metadata(&r, out) : -1;
        rc = rc == 0 ? 1 : rc;
        break;
    case API_INIT_PRODUCER_ID:
        rc = version <= 1 ? init_producer_id(&r, out) : -1;
        rc = rc == 0 ? 1 : rc;
        break;
    case API_PRODUCE:
        rc = version >= 3 && version <= 7 ? produce(&r, out, version) : -1;
        break;
    default:
        fprintf(stderr, "sink: unsupported request: api %d v%d\n", api, version);
        rc = -1;
    }
    if (rc <= 0) {
        out->len = start;
        return rc;
    }
    uint32_t size = htonl((uint32_t)(out->len - start - 4));
    memcpy(out->p + start, &size, 4);
    return 0;
}

/* ---- connections ---- */

typedef struct conn {
    int fd;
    buf in, out;
    int want_out;
} conn;

static void conn_close(int ep, conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in.p);
    free(c->out.p);
    free(c);
}

/* Writes what it can; keeps EPOLLOUT armed only while bytes wait. */
static int conn_flush(int ep, conn *c) {
    while (c->out.off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return -1;
        }
        c->out.off += (size_t)n;
    }
    if (c->out.off == c->out.len)
        c->out.off = c->out.len = 0;
    int want = c->out.len > 0;
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want;
    }
    return 0;
}

static int conn_read(int ep, conn *c) {
    for (;;) {
        if (buf_reserve(&c->in, 65536) != 0)
            return -1;
        ssize_t n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
        if (n == 0)
            return -1;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return -1;
        }
        c->in.len += (size_t)n;
        /* Every whole frame in the buffer. */
        while (c->in.len - c->in.off >= 4) {
            const unsigned char *f = c->in.p + c->in.off;
            uint32_t size =
                (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
            if (size > MAX_FRAME)
                return -1;
            if (c->in.len - c->in.off < 4 + (size_t)size)
                break;
            if (handle(f + 4, size, &c->out) != 0)
                return -1;
            c->in.off += 4 + (size_t)size;
        }
        if (c->in.off == c->in.len) {
            c->in.off = c->in.len = 0;
        } else if (c->in.off > 0) {
            memmove(c->in.p, c->in.p + c->in.off, c->in.len - c->in.off);
            c->in.len -= c->in.off;
            c->in.off = 0;
        }
    }
    return conn_flush(ep, c);
}

static int add_topic(const char *spec) {
    const char *colon = strrchr(spec, ':');
    int parts = colon ? atoi(colon + 1) : 0;
    size_t n = colon ? (size_t)(colon - spec) : 0;
    if (!colon || n == 0 || n >= sizeof(topics[0].name) || parts < 1 || parts > 100000 ||
        n_topics == MAX_TOPICS) {
        fprintf(stderr, "sink: --topic '%s': expected NAME:PARTITIONS\n", spec);
        return -1;
    }
    topic *t = &topics[n_topics++];
    memcpy(t->name, spec, n);
    t->name[n] = '\0';
    t->partitions = parts;
    t->next_offset = calloc((size_t)parts, sizeof(*t->next_offset));
    return t->next_offset ? 0 : -1;
}

int main(int argc, char **argv) {
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
            if (add_topic(argv[++i]) != 0)
                return 2;
        } else {
            fputs("Usage: sink [--port N] [--topic NAME:PARTITIONS]...\n"
                  "A minimal Kafka broker that discards records (see bench/sink.c).\n",
                  stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 64) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
        fprintf(stderr, "sink: cannot listen on port %d: %s\n", port, strerror(errno));
        return 1;
    }
    port_listening = ntohs(sa.sin_port);

    struct sigaction sig;
    memset(&sig, 0, sizeof(sig));
    sig.sa_handler = on_signal;
    sigemptyset(&sig.sa_mask);
    sigaction(SIGTERM, &sig, NULL);
    sigaction(SIGINT, &sig, NULL);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = &ev; /* marks standard input */
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);

    printf("BOOTSTRAP 127.0.0.1:%d\n", port_listening);
    fflush(stdout);

    struct epoll_event evs[64];
    while (!stop) {
        int n = epoll_wait(ep, evs, 64, 1000);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    conn *c = calloc(1, sizeof(*c));
                    if (!c) {
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
            } else if (evs[i].data.ptr == &ev) {
                char b[256];
                ssize_t r = read(0, b, sizeof(b));
                if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                    stop = 1; /* standard input ended */
            } else {
                conn *c = evs[i].data.ptr;
                int rc = 0;
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    rc = conn_read(ep, c);
                if (rc == 0 && (evs[i].events & EPOLLOUT))
                    rc = conn_flush(ep, c);
                if (rc != 0)
                    conn_close(ep, c);
            }
        }
    }
    return 0;
}
