/* One broker connection: non-blocking TCP with fallback over the addresses
 * a host name resolves to, size-prefixed framing, and requests matched to
 * responses by correlation id. It knows nothing of what the requests mean:
 * the sender builds them, and gets each response body (after the correlation
 * id) or the error that ended the connection.
 *
 * Thread: owned by the sender thread; nothing here locks. */
#ifndef KPROD_NET_CONN_H
#define KPROD_NET_CONN_H

#include <netdb.h>
#include <stdint.h>

#include "hist.h"
#include "kprod.h"
#include "log.h"
#include "net/tls.h"
#include "protocol/buf.h"

typedef enum kp_conn_state {
    KP_CONN_DOWN,       /* no socket; may reconnect after next_attempt_ms */
    KP_CONN_CONNECTING, /* TCP connect under way */
    KP_CONN_TLS,        /* TCP up, TLS handshake under way (SSL, SASL_SSL) */
    KP_CONN_HANDSHAKE,  /* connected: version negotiation, then SASL, under way
                         * (also SASL re-authentication of a ready connection) */
    KP_CONN_READY,
} kp_conn_state;

/* A request written (or queued) whose response is awaited. */
typedef struct kp_inflight {
    struct kp_inflight *next;
    int32_t corr_id;
    int16_t api_key;
    int16_t api_version;
    int expect_response; /* 0 for Produce with acks=0 */
    int written;         /* every byte reached the socket */
    size_t end_off;      /* where its bytes end in the output stream */
    int64_t deadline_ms; /* request.timeout.ms */
    int64_t queued_us;   /* when it was committed: the round trip starts */
    void *ctx;           /* the request's owner's */
    const void *handler; /* who gets the outcome (the request layer's) */
} kp_inflight;

/* Timing settings from the configuration, shared by every connection. */
typedef struct kp_conn_settings {
    int64_t setup_timeout_ms;     /* socket.connection.setup.timeout.ms */
    int64_t reconnect_backoff_ms; /* reconnect.backoff.ms */
    int64_t reconnect_backoff_max_ms;
    uint32_t max_frame;     /* receive.message.max.bytes */
    int32_t send_buffer;    /* send.buffer.bytes: SO_SNDBUF; <= 0 leaves the OS default */
    int32_t receive_buffer; /* receive.buffer.bytes: SO_RCVBUF; <= 0 likewise */
    const kp_log *log;
    kp_tls_ctx *tls; /* NULL: plaintext (PLAINTEXT, SASL_PLAINTEXT) */
} kp_conn_settings;

/* What the connection did, for the statistics; only ever grows (but the
 * histogram, which the owner may reset). */
typedef struct kp_conn_counters {
    uint64_t connects;    /* attempts started */
    uint64_t disconnects; /* lost after the handshake */
    uint64_t requests, bytes_out;
    uint64_t responses, bytes_in;
    uint64_t throttle_sum_ms, throttle_count, throttle_max_ms;
    kp_hist rtt; /* request to response, microseconds */
} kp_conn_counters;

typedef struct kp_conn {
    const kp_conn_settings *settings;
    kp_conn_counters cnt;
    int32_t node_id; /* broker id; negative for bootstrap addresses */
    char host[256];
    int port;
    int fd;
    kp_tls *tls;        /* the TLS session, once TCP is up (settings->tls) */
    int tls_want_write; /* a TLS read needs the socket writable first */
    kp_conn_state state;
    int64_t state_deadline_ms; /* the whole setup: TCP, TLS, ApiVersions, SASL */
    const char *phase;         /* what the setup is doing, for a timeout's message */
    int64_t next_attempt_ms;
    int64_t backoff_ms; /* current reconnect backoff */
    int failures;       /* consecutive failed attempts */
    int misbehaved;     /* the last failure was the broker's fault (a malformed answer):
                         * a handshake alone does not reset failures then */
    struct addrinfo *addrs;
    struct addrinfo *next_addr;

    kp_buf out;         /* bytes queued for the socket */
    size_t out_off;     /* bytes of out already written */
    uint64_t out_total; /* bytes ever queued (stream position) */
    uint64_t written_total;
    kp_buf in;                /* bytes read, not yet parsed into frames */
    kp_inflight *head, *tail; /* in request order */
    int ninflight;
    int32_t next_corr_id;

    /* negotiated ApiVersions: per API key, broker's [min, max]; -1 unknown */
    int16_t api_min[128];
    int16_t api_max[128];
    char err[512];        /* why the last attempt failed */
    kprod_err_t last_err; /* and its error code */
    char warned[512];     /* the failure last logged as a warning ("" none since up) */
} kp_conn;

void kp_conn_init(kp_conn *c, int32_t node_id, const char *host, int port,
                  const kp_conn_settings *settings);
void kp_conn_destroy(kp_conn *c); /* fails nothing: call kp_conn_fail first */

/* Starts connecting (resolving the host if needed). On immediate failure the
 * state stays DOWN with c->err set. */
void kp_conn_connect(kp_conn *c, int64_t now_ms);

/* Requests are encoded in place, at the end of c->out (no copy of a
 * request is ever made): note c->out.len as the frame's start, encode the
 * frame from its size prefix on, then kp_conn_commit it, or give it up with
 * kp_conn_drop_frame. Commit fails (and drops the frame) when c->out ran
 * out of memory. ctx is handed back with its response. */
kp_inflight *kp_conn_commit(kp_conn *c, size_t frame_start, int32_t corr_id, int16_t api_key,
                            int16_t api_version, int expect_response, int64_t deadline_ms,
                            void *ctx);
void kp_conn_drop_frame(kp_conn *c, size_t frame_start);

/* poll() events wanted now (POLLIN/POLLOUT), 0 when no socket. */
short kp_conn_events(const kp_conn *c);

/* Called for each response: body starts after the correlation id. */
typedef void (*kp_conn_response_fn)(kp_conn *c, kp_inflight *req, const uint8_t *body, size_t len,
                                    void *opaque);
/* Called once per request that ends without response: written-and-lost
 * requests have req->written set (the broker may have acted on them). */
typedef void (*kp_conn_fail_fn)(kp_conn *c, kp_inflight *req, kprod_err_t err, void *opaque);
/* Called when an acks=0 request has been fully written. */
typedef void (*kp_conn_written_fn)(kp_conn *c, kp_inflight *req, void *opaque);

typedef struct kp_conn_handlers {
    kp_conn_response_fn on_response;
    kp_conn_fail_fn on_fail;
    kp_conn_written_fn on_written;
    void (*on_connected)(kp_conn *c, void *opaque); /* TCP (and TLS) up: start the handshake */
    /* The connection went down with err (after its requests' on_fail):
     * the upper layer learns of failures no request saw (TLS). */
    void (*on_down)(kp_conn *c, kprod_err_t err, void *opaque);
    void *opaque;
} kp_conn_handlers;

/* Does the I/O poll() reported (revents), then checks deadlines. */
void kp_conn_io(kp_conn *c, short revents, int64_t now_ms, const kp_conn_handlers *h);
/* Ends the connection: every in-flight request goes to on_fail with err, the
 * socket closes, and the next attempt waits out the reconnect backoff. */
void kp_conn_fail(kp_conn *c, kprod_err_t err, const char *why, int64_t now_ms,
                  const kp_conn_handlers *h);
/* Marks the handshake done. */
void kp_conn_set_ready(kp_conn *c);
/* What the setup does now ("SASL authentication"), named if it times out. */
void kp_conn_set_phase(kp_conn *c, const char *phase);
/* A ready connection starts a new handshake in place (SASL
 * re-authentication): HANDSHAKE until kp_conn_reauthenticated, bounded by
 * its requests' request.timeout.ms (the answers to the requests in flight
 * come first); those requests go on. */
void kp_conn_begin_reauth(kp_conn *c, int64_t now_ms);
void kp_conn_reauthenticated(kp_conn *c);
/* Errors of the security setup (TLS, SASL): logged by the layer above,
 * which also fails the records waiting for the broker. */
int kp_conn_security_err(kprod_err_t err);
/* A throttle time a response asked for (counted in the statistics). */
void kp_conn_note_throttle(kp_conn *c, int32_t ms);
/* The earliest deadline among connect and requests (INT64_MAX if none). */
int64_t kp_conn_next_deadline(const kp_conn *c);

#endif
