/* kprod verify's blocking reader (see verify_read.h). */
#include "verify_read.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hostport.h"
#include "protocol/api_keys.h"
#include "protocol/api_versions.h"
#include "protocol/header.h"
#include "protocol/list_offsets.h"
#include "protocol/metadata.h"

#define MAX_ANSWER (256u << 20) /* no Fetch of ours asks for more */

/* One broker and its connection (fd -1 until used). */
typedef struct vconn {
    int32_t id; /* negative: a bootstrap entry */
    char host[256];
    int port;
    int fd;
    int32_t corr;
    kp_api_versions_resp av; /* after the handshake */
    int have_av;
} vconn;

struct vr {
    int timeout_ms;
    vconn *conns;
    int n, cap;
    kp_buf req;
    uint8_t *answer; /* the last answer (Fetch records point into it) */
};

static vconn *add_conn(vr *r, int32_t id, const char *host, int port) {
    for (int i = 0; i < r->n; i++)
        if (r->conns[i].id == id && id >= 0) {
            vconn *c = &r->conns[i];
            if (strcmp(c->host, host) != 0 || c->port != port) { /* moved */
                if (c->fd >= 0)
                    close(c->fd);
                c->fd = -1;
                snprintf(c->host, sizeof(c->host), "%s", host);
                c->port = port;
            }
            return c;
        }
    if (r->n == r->cap) {
        int ncap = r->cap ? r->cap * 2 : 8;
        vconn *nc = realloc(r->conns, (size_t)ncap * sizeof(*nc));
        if (!nc)
            return NULL;
        r->conns = nc;
        r->cap = ncap;
    }
    vconn *c = &r->conns[r->n++];
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->fd = -1;
    snprintf(c->host, sizeof(c->host), "%s", host);
    c->port = port;
    return c;
}

vr *vr_new(const char *bootstrap, int timeout_ms, char *err, size_t err_size) {
    vr *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    r->timeout_ms = timeout_ms;
    kp_buf_init(&r->req, 4096);
    int32_t id = -1;
    for (const char *s = bootstrap; s && *s;) {
        size_t n = strcspn(s, ", ");
        char host[256];
        int port;
        if (n > 0) {
            if (kp_split_hostport(s, n, host, sizeof(host), &port) != 0) {
                snprintf(err, err_size, "bad broker address '%.*s' (want host:port)", (int)n, s);
                vr_free(r);
                return NULL;
            }
            if (!add_conn(r, id--, host, port)) {
                snprintf(err, err_size, "out of memory");
                vr_free(r);
                return NULL;
            }
        }
        s += n;
        s += strspn(s, ", ");
    }
    if (r->n == 0) {
        snprintf(err, err_size, "no broker address given (-b)");
        vr_free(r);
        return NULL;
    }
    return r;
}

static void drop(vconn *c) {
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->have_av)
        kp_api_versions_resp_free(&c->av);
    c->have_av = 0;
}

void vr_free(vr *r) {
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        drop(&r->conns[i]);
    free(r->conns);
    kp_buf_free(&r->req);
    free(r->answer);
    free(r);
}

/* ---- one request, one answer ---- */

static kprod_err_t io(vconn *c, int writing, void *p, size_t n, char *err, size_t err_size) {
    uint8_t *b = p;
    while (n) {
        ssize_t k = writing ? send(c->fd, b, n, MSG_NOSIGNAL) : recv(c->fd, b, n, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            snprintf(err, err_size, "%s %s:%d: %s", writing ? "sending to" : "reading from",
                     c->host, c->port,
                     k == 0                                    ? "connection closed"
                     : errno == EAGAIN || errno == EWOULDBLOCK ? "timed out"
                                                               : strerror(errno));
            drop(c);
            return KPROD_ERR__TRANSPORT;
        }
        b += k;
        n -= (size_t)k;
    }
    return KPROD_ERR_NO_ERROR;
}

static kprod_err_t dial(vr *r, vconn *c, char *err, size_t err_size) {
    char port[16];
    snprintf(port, sizeof(port), "%d", c->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai, *a;
    int rc = getaddrinfo(c->host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, err_size, "cannot resolve %s: %s", c->host, gai_strerror(rc));
        return KPROD_ERR__TRANSPORT;
    }
    int last = 0;
    for (a = ai; a && c->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {.tv_sec = r->timeout_ms / 1000,
                             .tv_usec = (r->timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            c->fd = fd;
        else {
            last = errno;
            close(fd);
        }
    }
    freeaddrinfo(ai);
    if (c->fd < 0) {
        snprintf(err, err_size, "connect to %s:%d: %s", c->host, c->port,
                 last == EINPROGRESS ? "timed out" : strerror(last));
        return KPROD_ERR__TRANSPORT;
    }
    return KPROD_ERR_NO_ERROR;
}

/* Sends the request in r->req (begun by begin()) and reads its answer;
 * *rd spans the body. */
static kprod_err_t call(vr *r, vconn *c, int16_t key, int16_t ver, size_t start, kp_rd *rd,
                        char *err, size_t err_size) {
    kp_req_end(&r->req, start);
    if (r->req.oom) {
        snprintf(err, err_size, "out of memory");
        return KPROD_ERR__NO_MEMORY;
    }
    kprod_err_t e = io(c, 1, r->req.data, r->req.len, err, err_size);
    uint8_t sz[4];
    if (!e)
        e = io(c, 0, sz, 4, err, err_size);
    if (e)
        return e;
    uint32_t n = kp_be32_read(sz);
    if (n < 4 || n > MAX_ANSWER) {
        snprintf(err, err_size, "%s:%d sent an answer of %u bytes", c->host, c->port, n);
        drop(c);
        return KPROD_ERR__BAD_MSG;
    }
    free(r->answer);
    r->answer = malloc(n);
    if (!r->answer) {
        snprintf(err, err_size, "out of memory");
        drop(c);
        return KPROD_ERR__NO_MEMORY;
    }
    if ((e = io(c, 0, r->answer, n, err, err_size)) != KPROD_ERR_NO_ERROR)
        return e;
    kp_rd_init(rd, r->answer, n);
    int32_t corr;
    if (kp_resp_header_read(rd, kp_resp_header_flexible(key, ver), &corr) != 0 || corr != c->corr) {
        snprintf(err, err_size, "%s:%d answered out of turn", c->host, c->port);
        drop(c);
        return KPROD_ERR__BAD_MSG;
    }
    return KPROD_ERR_NO_ERROR;
}

static size_t begin(vr *r, vconn *c, int16_t key, int16_t ver) {
    kp_buf_reset(&r->req);
    return kp_req_begin(&r->req, key, ver, ++c->corr, "kprod-verify",
                        kp_req_header_flexible(key, ver));
}

/* A connected broker that has told its versions. */
static kprod_err_t ready(vr *r, vconn *c, char *err, size_t err_size) {
    if (c->fd >= 0 && c->have_av)
        return KPROD_ERR_NO_ERROR;
    kprod_err_t e = c->fd >= 0 ? KPROD_ERR_NO_ERROR : dial(r, c, err, err_size);
    int16_t ver = KP_API_VERSIONS_MAX_VER;
    for (int tries = 0; !e && tries < 2; tries++) {
        size_t start = begin(r, c, KP_API_API_VERSIONS, ver);
        kp_api_versions_req_encode(&r->req, ver, "kprod-verify", KPROD_VERSION_STR);
        kp_rd rd;
        if ((e = call(r, c, KP_API_API_VERSIONS, ver, start, &rd, err, err_size)) != 0)
            break;
        if (kp_api_versions_resp_decode(&rd, ver, &c->av) != KPROD_ERR_NO_ERROR) {
            snprintf(err, err_size, "%s:%d: malformed ApiVersions answer", c->host, c->port);
            e = KPROD_ERR__BAD_MSG;
            break;
        }
        if (c->av.error_code == KPROD_ERR_UNSUPPORTED_VERSION && ver > 0) {
            const kp_api_version_range *a = kp_api_versions_find(&c->av, KP_API_API_VERSIONS);
            ver = a && a->max_version < ver ? a->max_version : 0;
            kp_api_versions_resp_free(&c->av);
            continue;
        }
        if (c->av.error_code) {
            snprintf(err, err_size, "%s:%d: ApiVersions: %s", c->host, c->port,
                     kprod_err_name((kprod_err_t)c->av.error_code));
            e = (kprod_err_t)c->av.error_code;
            kp_api_versions_resp_free(&c->av);
            break;
        }
        c->have_av = 1;
        return KPROD_ERR_NO_ERROR;
    }
    if (!e) {
        snprintf(err, err_size, "%s:%d: no ApiVersions version in common", c->host, c->port);
        e = KPROD_ERR__UNSUPPORTED_FEATURE;
    }
    drop(c);
    return e;
}

static kprod_err_t version(vconn *c, int16_t key, int16_t *ver, char *err, size_t err_size) {
    int v = kp_api_versions_pick(&c->av, key);
    if (v < 0) {
        snprintf(err, err_size, "%s:%d speaks no version of API %d that kprod does", c->host,
                 c->port, key);
        return KPROD_ERR__UNSUPPORTED_FEATURE;
    }
    *ver = (int16_t)v;
    return KPROD_ERR_NO_ERROR;
}

static vconn *broker(vr *r, int32_t id, char *err, size_t err_size) {
    for (int i = 0; i < r->n; i++)
        if (r->conns[i].id == id)
            return &r->conns[i];
    snprintf(err, err_size, "broker %d is not in the metadata", (int)id);
    return NULL;
}

/* ---- the three questions ---- */

kprod_err_t vr_metadata(vr *r, const char *topic, vr_part **parts, int32_t *count,
                        uint8_t topic_id[16], char *err, size_t err_size) {
    *parts = NULL;
    *count = 0;
    kprod_err_t e = KPROD_ERR__TRANSPORT;
    /* Brokers from metadata first (they are known to be up), then the
     * bootstrap entries. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < r->n; i++) {
            vconn *c = &r->conns[i];
            if ((pass == 0) != (c->id >= 0) || (e = ready(r, c, err, err_size)) != 0)
                continue;
            int16_t ver;
            if ((e = version(c, KP_API_METADATA, &ver, err, err_size)) != 0)
                return e;
            size_t start = begin(r, c, KP_API_METADATA, ver);
            const char *names[1] = {topic};
            kp_metadata_req_encode(&r->req, ver, names, 1, 0);
            kp_rd rd;
            if ((e = call(r, c, KP_API_METADATA, ver, start, &rd, err, err_size)) != 0)
                continue;
            kp_metadata_resp md;
            if (kp_metadata_resp_decode(&rd, ver, &md) != KPROD_ERR_NO_ERROR) {
                snprintf(err, err_size, "%s:%d: malformed Metadata answer", c->host, c->port);
                return KPROD_ERR__BAD_MSG;
            }
            for (int32_t b = 0; b < md.broker_count; b++)
                if (md.brokers[b].node_id >= 0 && md.brokers[b].host &&
                    !add_conn(r, md.brokers[b].node_id, md.brokers[b].host, md.brokers[b].port)) {
                    kp_metadata_resp_free(&md);
                    return KPROD_ERR__NO_MEMORY;
                }
            const kp_metadata_resp_topic *t = NULL;
            for (int32_t k = 0; k < md.topic_count; k++)
                if (md.topics[k].name && strcmp(md.topics[k].name, topic) == 0)
                    t = &md.topics[k];
            e = !t ? KPROD_ERR__BAD_MSG : (kprod_err_t)t->error_code;
            if (e) {
                snprintf(err, err_size, "topic '%s': %s", topic,
                         t ? kprod_err_str(e) : "not in the Metadata answer");
                kp_metadata_resp_free(&md);
                return e;
            }
            vr_part *p =
                calloc((size_t)(t->partition_count > 0 ? t->partition_count : 1), sizeof(*p));
            if (!p) {
                kp_metadata_resp_free(&md);
                return KPROD_ERR__NO_MEMORY;
            }
            for (int32_t k = 0; k < t->partition_count; k++) {
                const kp_metadata_resp_partition *mp = &t->partitions[k];
                p[k] =
                    (vr_part){mp->partition_index, mp->leader_id, mp->leader_epoch, mp->error_code};
            }
            /* sorted by index (brokers list them in any order) */
            for (int32_t a = 1; a < t->partition_count; a++)
                for (int32_t b = a; b > 0 && p[b - 1].partition > p[b].partition; b--) {
                    vr_part tmp = p[b];
                    p[b] = p[b - 1];
                    p[b - 1] = tmp;
                }
            memcpy(topic_id, t->topic_id, 16);
            *parts = p;
            *count = t->partition_count;
            kp_metadata_resp_free(&md);
            return KPROD_ERR_NO_ERROR;
        }
    return e;
}

kprod_err_t vr_list_offset(vr *r, const char *topic, const vr_part *p, int64_t ts, int64_t *offset,
                           char *err, size_t err_size) {
    *offset = -1;
    vconn *c = broker(r, p->leader, err, err_size);
    kprod_err_t e = c ? ready(r, c, err, err_size) : KPROD_ERR_LEADER_NOT_AVAILABLE;
    int16_t ver;
    if (e || (e = version(c, KP_API_LIST_OFFSETS, &ver, err, err_size)) != 0)
        return e;
    kp_list_offsets_req_partition q = {p->partition, p->leader_epoch, ts};
    kp_list_offsets_req_topic t = {topic, &q, 1};
    size_t start = begin(r, c, KP_API_LIST_OFFSETS, ver);
    kp_list_offsets_req_encode(&r->req, ver, KP_READ_UNCOMMITTED, r->timeout_ms, &t, 1);
    kp_rd rd;
    if ((e = call(r, c, KP_API_LIST_OFFSETS, ver, start, &rd, err, err_size)) != 0)
        return e;
    kp_list_offsets_resp resp;
    if (kp_list_offsets_resp_decode(&rd, ver, &resp) != KPROD_ERR_NO_ERROR) {
        snprintf(err, err_size, "%s:%d: malformed ListOffsets answer", c->host, c->port);
        return KPROD_ERR__BAD_MSG;
    }
    e = KPROD_ERR__BAD_MSG;
    snprintf(err, err_size, "%s:%d: ListOffsets answer without partition %d", c->host, c->port,
             (int)p->partition);
    for (int32_t i = 0; i < resp.topic_count; i++)
        for (int32_t k = 0; k < resp.topics[i].partition_count; k++)
            if (resp.topics[i].partitions[k].partition == p->partition) {
                e = (kprod_err_t)resp.topics[i].partitions[k].error_code;
                *offset = resp.topics[i].partitions[k].offset;
                snprintf(err, err_size, "ListOffsets of partition %d: %s", (int)p->partition,
                         kprod_err_str(e));
            }
    kp_list_offsets_resp_free(&resp);
    return e;
}

kprod_err_t vr_fetch(vr *r, const char *topic, const uint8_t topic_id[16], const vr_part *p,
                     int64_t offset, int32_t max_bytes, kp_fetch_resp *out,
                     const kp_fetch_resp_partition **fp, char *err, size_t err_size) {
    memset(out, 0, sizeof(*out));
    *fp = NULL;
    vconn *c = broker(r, p->leader, err, err_size);
    kprod_err_t e = c ? ready(r, c, err, err_size) : KPROD_ERR_LEADER_NOT_AVAILABLE;
    int16_t ver;
    if (e || (e = version(c, KP_API_FETCH, &ver, err, err_size)) != 0)
        return e;
    static const uint8_t zero[16];
    if (ver >= 13 && memcmp(topic_id, zero, 16) == 0)
        ver = 12;
    kp_fetch_req_partition q = {p->partition, p->leader_epoch, offset, -1, max_bytes};
    kp_fetch_req_topic t = {.topic = topic, .partitions = &q, .partition_count = 1};
    memcpy(t.topic_id, topic_id, 16);
    kp_fetch_req req = {.max_wait_ms = 100,
                        .min_bytes = 1,
                        .max_bytes = max_bytes,
                        .isolation_level = KP_READ_UNCOMMITTED,
                        .topics = &t,
                        .topic_count = 1};
    size_t start = begin(r, c, KP_API_FETCH, ver);
    kp_fetch_req_encode(&r->req, ver, &req);
    kp_rd rd;
    if ((e = call(r, c, KP_API_FETCH, ver, start, &rd, err, err_size)) != 0)
        return e;
    if (kp_fetch_resp_decode(&rd, ver, out) != KPROD_ERR_NO_ERROR) {
        snprintf(err, err_size, "%s:%d: malformed Fetch answer", c->host, c->port);
        return KPROD_ERR__BAD_MSG;
    }
    if (out->error_code) {
        snprintf(err, err_size, "Fetch: %s", kprod_err_str((kprod_err_t)out->error_code));
        return (kprod_err_t)out->error_code;
    }
    for (int32_t i = 0; i < out->topic_count; i++)
        for (int32_t k = 0; k < out->topics[i].partition_count; k++)
            if (out->topics[i].partitions[k].partition == p->partition)
                *fp = &out->topics[i].partitions[k];
    if (!*fp) {
        snprintf(err, err_size, "%s:%d: Fetch answer without partition %d", c->host, c->port,
                 (int)p->partition);
        return KPROD_ERR__BAD_MSG;
    }
    e = (kprod_err_t)(*fp)->error_code;
    if (e)
        snprintf(err, err_size, "Fetch of partition %d at offset %lld: %s", (int)p->partition,
                 (long long)offset, kprod_err_str(e));
    return e;
}
