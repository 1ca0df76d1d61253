/* One broker connection (see conn.h). */
#include "net/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "protocol/api_keys.h"

#define KP_READ_CHUNK (64 * 1024)

void kp_conn_init(kp_conn *c, int32_t node_id, const char *host, int port,
                  const kp_conn_settings *settings) {
    memset(c, 0, sizeof(*c));
    c->settings = settings;
    c->node_id = node_id;
    snprintf(c->host, sizeof(c->host), "%s", host);
    c->port = port;
    c->fd = -1;
    c->state = KP_CONN_DOWN;
    c->next_corr_id = 1;
    kp_buf_init(&c->out, 0);
    kp_buf_init(&c->in, 0);
    for (int i = 0; i < 128; i++)
        c->api_min[i] = c->api_max[i] = -1;
}

static void close_socket(kp_conn *c) {
    kp_tls_free(c->tls);
    c->tls = NULL;
    c->tls_want_write = 0;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

int kp_conn_security_err(kprod_err_t err) {
    return err == KPROD_ERR__SSL || err == KPROD_ERR_SASL_AUTHENTICATION_FAILED ||
           err == KPROD_ERR_UNSUPPORTED_SASL_MECHANISM || err == KPROD_ERR_ILLEGAL_SASL_STATE;
}

void kp_conn_destroy(kp_conn *c) {
    close_socket(c);
    if (c->addrs)
        freeaddrinfo(c->addrs);
    c->addrs = NULL;
    kp_inflight *r = c->head;
    while (r) {
        kp_inflight *n = r->next;
        free(r);
        r = n;
    }
    c->head = c->tail = NULL;
    kp_buf_free(&c->out);
    kp_buf_free(&c->in);
}

static int64_t jittered_backoff(const kp_conn *c) {
    return kp_backoff_ms(c->settings->reconnect_backoff_ms, c->settings->reconnect_backoff_max_ms,
                         c->failures, random());
}

/* send.buffer.bytes / receive.buffer.bytes, as Java sets them: before
 * connect (the receive buffer decides the window scale offered in the SYN),
 * and not at all for -1 (nor 0, which Java refuses at connect time). A
 * size the kernel adjusts is not an error: it keeps its own, as for Java. */
static void set_buffers(const kp_conn *c, int fd) {
    int v;
    if (c->settings->send_buffer > 0) {
        v = c->settings->send_buffer;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
    }
    if (c->settings->receive_buffer > 0) {
        v = c->settings->receive_buffer;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
    }
}

/* Tries the next resolved address; returns 0 when a connect is under way.
 * Every address the name resolved to is tried before the attempt counts
 * as failed: client.dns.lookup=use_all_dns_ips. */
static int try_next_address(kp_conn *c, int64_t now_ms) {
    while (c->next_addr) {
        struct addrinfo *ai = c->next_addr;
        c->next_addr = ai->ai_next;
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(c->err, sizeof(c->err), "socket(): %s", strerror(errno));
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        set_buffers(c, fd);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            snprintf(c->err, sizeof(c->err), "connect to %s:%d: %s", c->host, c->port,
                     strerror(errno));
            close(fd);
            continue;
        }
        c->fd = fd;
        c->state = KP_CONN_CONNECTING;
        c->phase = "connect";
        /* socket.connection.setup.timeout.ms covers the whole setup from
         * here: TCP, TLS, ApiVersions and SASL. */
        c->state_deadline_ms = now_ms + c->settings->setup_timeout_ms;
        return 0;
    }
    return -1;
}

/* A broker that stays down costs one warning, not one a reconnect: a new
 * reason is a warning, the same again a debug trace. A connection that was
 * up and idle when the broker closed it (brokers close idle ones after
 * their connections.max.idle.ms) is news, not trouble. */
static void log_down(kp_conn *c, int idle_close) {
    const kp_log *lg = c->settings->log;
    if (idle_close) {
        KP_INFO(lg, KP_DBG_BROKER, "%s (idle, nothing in flight): reconnecting when needed",
                c->err);
        return;
    }
    if (strcmp(c->warned, c->err) != 0) {
        KP_WARN(lg, KP_DBG_BROKER, "%s", c->err);
        snprintf(c->warned, sizeof(c->warned), "%s", c->err);
    } else {
        KP_DEBUG(lg, KP_DBG_BROKER, "%s (again: %d failed attempts in a row)", c->err,
                 c->failures + 1);
    }
}

static void went_down(kp_conn *c, int64_t now_ms) {
    close_socket(c);
    c->state = KP_CONN_DOWN;
    c->failures++;
    c->backoff_ms = jittered_backoff(c);
    c->next_attempt_ms = now_ms + c->backoff_ms;
    if (c->addrs)
        freeaddrinfo(c->addrs);
    c->addrs = c->next_addr = NULL;
}

void kp_conn_connect(kp_conn *c, int64_t now_ms) {
    if (c->state != KP_CONN_DOWN)
        return;
    c->cnt.connects++;
    if (!c->addrs) {
        struct addrinfo hints;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        char port[16];
        snprintf(port, sizeof(port), "%d", c->port);
        /* getaddrinfo blocks the sender thread; fine for loopback and a
         * local resolver cache, noted in docs/ARCHITECTURE.md. */
        int rc = getaddrinfo(c->host, port, &hints, &c->addrs);
        if (rc != 0) {
            snprintf(c->err, sizeof(c->err), "resolve %s: %s", c->host, gai_strerror(rc));
            c->addrs = NULL;
            log_down(c, 0);
            went_down(c, now_ms);
            return;
        }
        c->next_addr = c->addrs;
    }
    if (try_next_address(c, now_ms) != 0) {
        log_down(c, 0);
        went_down(c, now_ms);
    }
}

void kp_conn_drop_frame(kp_conn *c, size_t frame_start) {
    if (frame_start <= c->out.len)
        c->out.len = frame_start;
    c->out.oom = 0; /* what is queued before the frame is intact */
}

kp_inflight *kp_conn_commit(kp_conn *c, size_t frame_start, int32_t corr_id, int16_t api_key,
                            int16_t api_version, int expect_response, int64_t deadline_ms,
                            void *ctx) {
    kp_inflight *r = c->out.oom ? NULL : calloc(1, sizeof(*r));
    if (!r) {
        kp_conn_drop_frame(c, frame_start);
        return NULL;
    }
    c->cnt.requests++;
    c->cnt.bytes_out += c->out.len - frame_start;
    c->out_total += c->out.len - frame_start;
    r->queued_us = kp_now_us();
    r->corr_id = corr_id;
    r->api_key = api_key;
    r->api_version = api_version;
    r->expect_response = expect_response;
    r->end_off = (size_t)c->out_total;
    r->deadline_ms = deadline_ms;
    r->ctx = ctx;
    if (c->tail)
        c->tail->next = r;
    else
        c->head = r;
    c->tail = r;
    c->ninflight++;
    return r;
}

short kp_conn_events(const kp_conn *c) {
    if (c->fd < 0)
        return 0;
    if (c->state == KP_CONN_CONNECTING)
        return POLLOUT;
    if (c->state == KP_CONN_TLS)
        return c->tls_want_write ? POLLOUT : POLLIN;
    return (short)(POLLIN | (c->out.len > c->out_off || c->tls_want_write ? POLLOUT : 0));
}

static void unlink_head(kp_conn *c) {
    kp_inflight *r = c->head;
    c->head = r->next;
    if (!c->head)
        c->tail = NULL;
    c->ninflight--;
}

void kp_conn_fail(kp_conn *c, kprod_err_t err, const char *why, int64_t now_ms,
                  const kp_conn_handlers *h) {
    if (why)
        snprintf(c->err, sizeof(c->err), "%s", why);
    c->last_err = err;
    if (err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__UNSUPPORTED_FEATURE)
        c->misbehaved = 1;
    int was_down = c->state == KP_CONN_DOWN;
    if (!was_down && err != KPROD_ERR__PURGED_ON_CLOSE && !kp_conn_security_err(err))
        log_down(c, c->state == KP_CONN_READY && !c->head && err == KPROD_ERR__TRANSPORT);
    if (c->state == KP_CONN_READY)
        c->cnt.disconnects++;
    while (c->head) {
        kp_inflight *r = c->head;
        unlink_head(c);
        r->written = (uint64_t)r->end_off <= c->written_total ? 1 : r->written;
        h->on_fail(c, r, err, h->opaque);
        free(r);
    }
    kp_buf_reset(&c->out);
    kp_buf_reset(&c->in);
    c->out_off = 0;
    c->out_total = c->written_total = 0;
    went_down(c, now_ms);
    if (!was_down && h->on_down)
        h->on_down(c, err, h->opaque);
}

void kp_conn_set_phase(kp_conn *c, const char *phase) { c->phase = phase; }

/* The setup timeout does not bound a re-authentication: its answers come
 * after those of the requests already in flight (a broker answers in
 * order), which request.timeout.ms bounds, and so it bounds these too. */
void kp_conn_begin_reauth(kp_conn *c, int64_t now_ms) {
    (void)now_ms;
    c->state = KP_CONN_HANDSHAKE;
    c->phase = "SASL re-authentication";
    c->state_deadline_ms = INT64_MAX;
}

void kp_conn_reauthenticated(kp_conn *c) { c->state = KP_CONN_READY; }

void kp_conn_set_ready(kp_conn *c) {
    c->state = KP_CONN_READY;
    if (c->warned[0])
        KP_INFO(c->settings->log, KP_DBG_BROKER, "connection to %s:%d is up again", c->host,
                c->port);
    else
        KP_DEBUG(c->settings->log, KP_DBG_BROKER, "connection to %s:%d is up", c->host, c->port);
    c->warned[0] = '\0';
    /* After a malformed answer the backoff keeps growing until a request
     * is answered well: a broker that shakes hands and then misbehaves
     * is not retried at the first backoff for ever. */
    if (!c->misbehaved)
        c->failures = 0;
}

/* acks=0 requests leave the list once written: no response will come.
 * Only from the head, so that every outcome comes in request order. */
static void complete_written(kp_conn *c, const kp_conn_handlers *h) {
    while (c->head && c->head->written && !c->head->expect_response) {
        kp_inflight *r = c->head;
        unlink_head(c);
        h->on_written(c, r, h->opaque);
        free(r);
    }
}

static void mark_written(kp_conn *c, const kp_conn_handlers *h) {
    for (kp_inflight *r = c->head; r; r = r->next)
        if (!r->written && (uint64_t)r->end_off <= c->written_total)
            r->written = 1;
    complete_written(c, h);
}

/* A TLS failure while the connection is still being set up is a security
 * failure (in TLS 1.3 a broker that wants a client certificate says so
 * with an alert after the client's handshake is done); once the
 * connection was ready it is a lost connection like any other. */
static kprod_err_t tls_error(const kp_conn *c, kp_tls_status st) {
    return st == KP_TLS_FAILED && c->state == KP_CONN_HANDSHAKE ? KPROD_ERR__SSL
                                                                : KPROD_ERR__TRANSPORT;
}

/* The byte I/O under the framing: the socket, or the TLS session over it.
 * Both return the bytes moved (> 0), 0 when the socket would block, or -1
 * with the connection failed. */
static ssize_t conn_send(kp_conn *c, int64_t now_ms, const kp_conn_handlers *h) {
    const uint8_t *p = c->out.data + c->out_off;
    size_t len = c->out.len - c->out_off;
    char why[sizeof(c->err)];
    if (c->tls) {
        size_t put = 0;
        kp_tls_status st = kp_tls_write(c->tls, p, len, &put, why, sizeof(why));
        switch (st) {
        case KP_TLS_OK:
            return (ssize_t)put;
        case KP_TLS_WANT_READ: /* poll() always watches for reading */
        case KP_TLS_WANT_WRITE:
            return 0;
        case KP_TLS_CLOSED:
            snprintf(why, sizeof(why), "broker %s:%d closed the connection", c->host, c->port);
            kp_conn_fail(c, KPROD_ERR__TRANSPORT, why, now_ms, h);
            return -1;
        default:
            kp_conn_fail(c, tls_error(c, st), why, now_ms, h);
            return -1;
        }
    }
    for (;;) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno != EINTR)
            break;
    }
    snprintf(why, sizeof(why), "send to %s:%d: %s", c->host, c->port, strerror(errno));
    kp_conn_fail(c, KPROD_ERR__TRANSPORT, why, now_ms, h);
    return -1;
}

/* Into buf[0..room): bytes read (> 0), 0 when nothing more is there now,
 * -1 with the connection failed (closed by the broker included). */
static ssize_t conn_recv(kp_conn *c, uint8_t *buf, size_t room, int64_t now_ms,
                         const kp_conn_handlers *h) {
    char why[sizeof(c->err)];
    if (c->tls) {
        size_t got = 0;
        kp_tls_status st = kp_tls_read(c->tls, buf, room, &got, why, sizeof(why));
        c->tls_want_write = st == KP_TLS_WANT_WRITE;
        if (st == KP_TLS_OK)
            return (ssize_t)got;
        if (st == KP_TLS_WANT_READ || st == KP_TLS_WANT_WRITE)
            return 0;
        if (st == KP_TLS_CLOSED)
            snprintf(why, sizeof(why), "broker %s:%d closed the connection", c->host, c->port);
        kp_conn_fail(c, tls_error(c, st), why, now_ms, h);
        return -1;
    }
    for (;;) {
        ssize_t n = recv(c->fd, buf, room, 0);
        if (n > 0)
            return n;
        if (n == 0) {
            snprintf(why, sizeof(why), "broker %s:%d closed the connection", c->host, c->port);
            break;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno != EINTR) {
            snprintf(why, sizeof(why), "recv from %s:%d: %s", c->host, c->port, strerror(errno));
            break;
        }
    }
    kp_conn_fail(c, KPROD_ERR__TRANSPORT, why, now_ms, h);
    return -1;
}

static int do_write(kp_conn *c, int64_t now_ms, const kp_conn_handlers *h) {
    while (c->out_off < c->out.len) {
        ssize_t n = conn_send(c, now_ms, h);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        c->out_off += (size_t)n;
        c->written_total += (uint64_t)n;
    }
    if (c->out_off == c->out.len) {
        kp_buf_reset(&c->out);
        c->out_off = 0;
    } else if (c->out_off > (1u << 20) && c->out_off > c->out.len / 2) {
        memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
        c->out.len -= c->out_off;
        c->out_off = 0;
    }
    mark_written(c, h);
    return 0;
}

/* A plaintext connection whose first bytes back are a TLS record (an alert
 * or a handshake: 0x15 or 0x16, then major version 3) reached a TLS
 * listener; read as a size they would be hundreds of MB. */
static int tls_record(const kp_conn *c, const uint8_t *p) {
    return !c->tls && c->written_total > 0 && c->state == KP_CONN_HANDSHAKE &&
           (p[0] == 0x15 || p[0] == 0x16) && p[1] == 0x03 && p[2] <= 0x04;
}

/* Hands every complete frame in c->in to its request. */
static int parse_frames(kp_conn *c, int64_t now_ms, const kp_conn_handlers *h) {
    size_t off = 0;
    while (c->in.len - off >= 4) {
        uint32_t size = kp_be32_read(c->in.data + off);
        if (off == 0 && tls_record(c, c->in.data)) {
            char why[300];
            snprintf(why, sizeof(why),
                     "%s:%d answered with TLS (a TLS %s record) where a Kafka response was "
                     "expected: it is an SSL or SASL_SSL listener, and security.protocol is %s",
                     c->host, c->port, c->in.data[0] == 0x15 ? "alert" : "handshake",
                     "PLAINTEXT or SASL_PLAINTEXT");
            kp_conn_fail(c, KPROD_ERR__SSL, why, now_ms, h);
            return -1;
        }
        if (size < 4 || size > c->settings->max_frame) {
            char why[200];
            snprintf(why, sizeof(why),
                     "%s:%d sent a response of %u bytes (receive.message.max.bytes is %u)", c->host,
                     c->port, size, c->settings->max_frame);
            kp_conn_fail(c, KPROD_ERR__BAD_MSG, why, now_ms, h);
            return -1;
        }
        if (c->in.len - off - 4 < size)
            break;
        const uint8_t *frame = c->in.data + off + 4;
        int32_t corr = (int32_t)kp_be32_read(frame);
        /* acks=0 requests queued before this response's request have
         * been written by now: they leave first, or the response would be
         * matched against them. */
        complete_written(c, h);
        kp_inflight *r = c->head;
        if (!r || r->corr_id != corr || !r->expect_response) {
            char why[128];
            snprintf(why, sizeof(why), "response with unexpected correlation id %d", corr);
            kp_conn_fail(c, KPROD_ERR__BAD_MSG, why, now_ms, h);
            return -1;
        }
        unlink_head(c);
        off += 4 + size;
        c->cnt.responses++;
        c->cnt.bytes_in += 4 + (uint64_t)size;
        kp_hist_add(&c->cnt.rtt, kp_now_us() - r->queued_us);
        h->on_response(c, r, frame + 4, size - 4, h->opaque);
        int handshake = r->api_key == KP_API_API_VERSIONS || r->api_key == KP_API_SASL_HANDSHAKE ||
                        r->api_key == KP_API_SASL_AUTHENTICATE; /* not a request's answer */
        free(r);
        if (c->state == KP_CONN_DOWN)
            return -1; /* the handler failed the connection */
        if (!handshake && c->misbehaved) {
            /* A request answered and accepted: the broker behaves again. */
            c->misbehaved = 0;
            c->failures = 0;
        }
    }
    if (off) {
        memmove(c->in.data, c->in.data + off, c->in.len - off);
        c->in.len -= off;
    }
    complete_written(c, h);
    return 0;
}

static int do_read(kp_conn *c, int64_t now_ms, const kp_conn_handlers *h) {
    for (;;) {
        if (kp_buf_reserve(&c->in, KP_READ_CHUNK) != 0) {
            kp_conn_fail(c, KPROD_ERR__NO_MEMORY, "out of memory reading a response", now_ms, h);
            return -1;
        }
        size_t room = c->in.cap - c->in.len;
        ssize_t n = conn_recv(c, c->in.data + c->in.len, room, now_ms, h);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        c->in.len += (size_t)n;
        if (parse_frames(c, now_ms, h) != 0)
            return -1;
        /* A read that did not fill the room emptied the socket: the
         * next recv would only say EAGAIN (a system call per response
         * for nothing); poll reports what arrives later. TLS hands out
         * one record at a time and may hold more: read on until it says
         * it wants the socket. */
        if ((size_t)n < room && !c->tls)
            return 0;
    }
}

/* Advances the TLS handshake; once done, the version handshake starts. */
static void tls_step(kp_conn *c, int64_t now_ms, const kp_conn_handlers *h) {
    char why[sizeof(c->err)];
    kp_tls_status st = kp_tls_handshake(c->tls, why, sizeof(why));
    c->tls_want_write = st == KP_TLS_WANT_WRITE;
    if (st == KP_TLS_WANT_READ || st == KP_TLS_WANT_WRITE)
        return;
    if (st != KP_TLS_OK) {
        kp_conn_fail(c, KPROD_ERR__SSL, why, now_ms, h);
        return;
    }
    if (kp_log_debugging(c->settings->log, KP_DBG_SECURITY)) {
        char d[96];
        kp_tls_describe(c->tls, d, sizeof(d));
        KP_DEBUG(c->settings->log, KP_DBG_SECURITY, "TLS with %s:%d: %s", c->host, c->port, d);
    }
    c->state = KP_CONN_HANDSHAKE;
    c->phase = "version handshake";
    h->on_connected(c, h->opaque);
}

static void finish_connect(kp_conn *c, int64_t now_ms, const kp_conn_handlers *h) {
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr != 0) {
        snprintf(c->err, sizeof(c->err), "connect to %s:%d: %s", c->host, c->port, strerror(soerr));
        close_socket(c);
        if (try_next_address(c, now_ms) != 0)
            kp_conn_fail(c, KPROD_ERR__TRANSPORT, NULL, now_ms, h);
        return;
    }
    if (c->settings->tls) {
        char why[sizeof(c->err)];
        c->tls = kp_tls_new(c->settings->tls, c->fd, c->host, c->port, why, sizeof(why));
        if (!c->tls) {
            kp_conn_fail(c, KPROD_ERR__NO_MEMORY, why, now_ms, h);
            return;
        }
        c->state = KP_CONN_TLS;
        c->phase = "TLS handshake";
        tls_step(c, now_ms, h);
        return;
    }
    c->state = KP_CONN_HANDSHAKE;
    c->phase = "version handshake";
    h->on_connected(c, h->opaque);
}

void kp_conn_io(kp_conn *c, short revents, int64_t now_ms, const kp_conn_handlers *h) {
    if (c->fd >= 0 && revents) {
        if (c->state == KP_CONN_CONNECTING) {
            if (revents & (POLLOUT | POLLERR | POLLHUP))
                finish_connect(c, now_ms, h);
        } else if (c->state == KP_CONN_TLS) {
            tls_step(c, now_ms, h);
        } else {
            if ((revents & (POLLIN | POLLERR | POLLHUP)) ||
                (c->tls_want_write && (revents & POLLOUT))) {
                if (do_read(c, now_ms, h) != 0)
                    return;
            }
            if (c->fd >= 0 && c->out.len > c->out_off && do_write(c, now_ms, h) != 0)
                return;
        }
    } else if (c->fd >= 0 && c->state != KP_CONN_CONNECTING && c->state != KP_CONN_TLS &&
               c->out.len > c->out_off) {
        /* Freshly queued bytes: try at once rather than wait for poll(). */
        if (do_write(c, now_ms, h) != 0)
            return;
    }
    if (c->fd < 0)
        return;
    if ((c->state == KP_CONN_CONNECTING || c->state == KP_CONN_TLS ||
         c->state == KP_CONN_HANDSHAKE) &&
        now_ms >= c->state_deadline_ms) {
        char why[256];
        snprintf(why, sizeof(why),
                 "%s with %s:%d timed out: the connection setup took more than %lld ms "
                 "(socket.connection.setup.timeout.ms)",
                 c->phase ? c->phase : "connection setup", c->host, c->port,
                 (long long)c->settings->setup_timeout_ms);
        close_socket(c);
        snprintf(c->err, sizeof(c->err), "%s", why);
        if (c->state == KP_CONN_CONNECTING && try_next_address(c, now_ms) == 0)
            return;
        kp_conn_fail(c, KPROD_ERR__TRANSPORT, why, now_ms, h);
        return;
    }
    const kp_inflight *late = c->head;
    while (late && late->deadline_ms > now_ms)
        late = late->next; /* deadlines need not grow along the list */
    if (late) {
        char why[256];
        snprintf(why, sizeof(why), "request to %s:%d timed out (request.timeout.ms)", c->host,
                 c->port);
        kp_conn_fail(c, KPROD_ERR_REQUEST_TIMED_OUT, why, now_ms, h);
    }
}

void kp_conn_note_throttle(kp_conn *c, int32_t ms) {
    if (ms <= 0)
        return;
    c->cnt.throttle_sum_ms += (uint64_t)ms;
    c->cnt.throttle_count++;
    if ((uint64_t)ms > c->cnt.throttle_max_ms)
        c->cnt.throttle_max_ms = (uint64_t)ms;
}

int64_t kp_conn_next_deadline(const kp_conn *c) {
    int64_t d = INT64_MAX;
    if (c->state == KP_CONN_CONNECTING || c->state == KP_CONN_TLS || c->state == KP_CONN_HANDSHAKE)
        d = c->state_deadline_ms;
    for (const kp_inflight *r = c->head; r; r = r->next)
        if (r->deadline_ms < d)
            d = r->deadline_ms;
    return d;
}
