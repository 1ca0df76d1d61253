/* The request layer: every client that talks to brokers (produce, metadata,
 * producer id; later coordinators and fetch) sends through it. It owns the
 * brokers and their connections, the version handshake (ApiVersions) that
 * makes a connection ready, framing and correlation ids, request.timeout.ms,
 * the choice of connection, and the poll() that drives them. Each request
 * names a handler, which gets its response, its failure, or (acks=0) the
 * news that it was written; the layer never looks inside a client's request.
 *
 * Thread: the sender thread only; nothing here locks. */
#ifndef KPROD_SENDER_REQUEST_H
#define KPROD_SENDER_REQUEST_H

#include <stdint.h>

#include "config.h"
#include "kprod.h"
#include "net/conn.h"
#include "protocol/buf.h"

/* A broker: from bootstrap.servers (negative id) or from metadata. */
typedef struct kp_broker {
    int32_t id;
    int in_metadata;         /* listed in the latest metadata response */
    int wanted;              /* (re)connect: something waits for this broker */
    int md_asked;            /* conn.failures when a down connection last asked for metadata */
    int index;               /* position in the layer's table (changes when one is removed) */
    int txn_version;         /* finalized transaction.version (KIP-890) at the handshake, 0 none */
    struct kp_broker *hnext; /* the layer's id hash */
    int64_t reauth_at_ms;    /* SASL re-authentication is due (0: never) */
    int reauthenticating;    /* ... and under way */
    int64_t auth_started_ms; /* when the current (re-)authentication began */
    int security_failed;     /* the connection failed its TLS or SASL setup: not yet taken */
    kprod_err_t security_err;
    kp_conn conn;
} kp_broker;

/* A client's callbacks for its requests; opaque is the client, ctx the
 * request's own (given to kp_rl_send). */
typedef struct kp_req_handler {
    void (*on_response)(void *opaque, kp_broker *b, void *ctx, int16_t version, kp_rd *r);
    /* No response will come: written says the broker may have acted on it. */
    void (*on_fail)(void *opaque, kp_broker *b, void *ctx, kprod_err_t err, int written);
    /* acks=0 Produce only: fully written, nothing more will come. */
    void (*on_written)(void *opaque, kp_broker *b, void *ctx);
    void *opaque;
} kp_req_handler;

/* A request being encoded. */
typedef struct kp_frame {
    kp_broker *broker;
    size_t start;
    int32_t corr_id;
    int16_t api_key, version;
} kp_frame;

typedef struct kp_rl kp_rl;

/* The layer, with one broker per bootstrap.servers entry, and the TLS
 * context when the protocol has TLS. NULL when out of memory, no entry
 * parses, or TLS cannot be set up (errstr then says why: a file, a store,
 * a password). */
kp_rl *kp_rl_new(const kp_config *cfg, char *errstr, size_t errstr_size);
/* Closes every connection without calling any handler: kp_rl_fail_all first. */
void kp_rl_free(kp_rl *rl);

int kp_rl_count(const kp_rl *rl);
kp_broker *kp_rl_at(kp_rl *rl, int i);
kp_broker *kp_rl_find(kp_rl *rl, int32_t id);
/* The broker with this id, added if new, its connection moved (failing
 * what is in flight on it) if its address changed. NULL when out of memory. */
kp_broker *kp_rl_upsert(kp_rl *rl, int32_t id, const char *host, int port);
/* Brokers that the latest metadata no longer lists (in_metadata 0, not a
 * bootstrap entry) and that have nothing in flight are removed at the end
 * of the current kp_rl_poll. */
void kp_rl_prune_soon(kp_rl *rl);
/* Changes whenever a broker is removed: a kp_broker pointer kept from an
 * earlier generation may be gone. */
uint64_t kp_rl_generation(const kp_rl *rl);

/* Authentication, the step of connection setup after ApiVersions (SASL;
 * sender/auth.c). authenticate is called when b's version handshake is
 * done, and again when its session is due for re-authentication (reauth
 * 1; b stays usable for the requests in flight); it ends with
 * kp_rl_authenticated or kp_rl_fail_broker. Without it a connection is
 * ready after ApiVersions. */
typedef struct kp_rl_auth {
    void (*authenticate)(void *opaque, kp_broker *b, int reauth);
    void *opaque;
} kp_rl_auth;
void kp_rl_set_auth(kp_rl *rl, const kp_rl_auth *auth);
/* b is authenticated for session_lifetime_ms (0: no limit): ready, and
 * re-authenticated at a random 85-95 % of the lifetime, as Java does. */
void kp_rl_authenticated(kp_rl *rl, kp_broker *b, int64_t session_lifetime_ms);
/* A broker whose connection failed its TLS or SASL setup since the last
 * call: 1 with its id, the error and the reason (c->err), else 0. */
int kp_rl_take_security_failure(kp_rl *rl, int32_t *broker_id, kprod_err_t *err, char *why,
                                size_t why_size);

/* The version of api_key both sides speak on b, -1 if none. */
int16_t kp_rl_version(const kp_broker *b, int16_t api_key);
/* Starts a request on b (ready), in place in its connection's output:
 * returns the buffer to encode the body into. */
kp_buf *kp_rl_begin(kp_rl *rl, kp_broker *b, int16_t api_key, int16_t version, kp_frame *f);
/* Finishes and queues it, unless err (what the body's encoder returned) is
 * set: then the frame is given up. It times out after request.timeout.ms,
 * or at deadline_ms if that is earlier (0: none). Returns 0, _NO_MEMORY or
 * _BAD_MSG (err set); on error no handler will be called. */
kprod_err_t kp_rl_send(kp_rl *rl, kp_frame *f, kprod_err_t err, int expect_response,
                       int64_t deadline_ms, const kp_req_handler *h, void *ctx);

/* The ready broker with the fewest requests in flight, NULL if none. */
kp_broker *kp_rl_any_ready(kp_rl *rl);
/* A broker to ask for metadata: a ready one (brokers from metadata before
 * bootstrap addresses), else NULL after starting to connect the next
 * candidate whose backoff is over (lowering *retry_at_ms otherwise), so an
 * unreachable address falls back to the next. */
kp_broker *kp_rl_for_metadata(kp_rl *rl, int have_metadata, int64_t now_ms, int64_t *retry_at_ms);

/* Connects the wanted brokers whose backoff is over, and starts the
 * re-authentications that are due. Returns 1 when a wanted broker failed
 * again since it last said so (its partitions may have moved: ask for
 * metadata). *next_ms: the next reconnect or re-authentication time. */
int kp_rl_keep_connections(kp_rl *rl, int64_t now_ms, int64_t *next_ms);
/* 1 when every broker has failed its last connection attempt and none is
 * connecting or up (a broker never tried does not count as down); why
 * then names them and their last errors. */
int kp_rl_all_down(const kp_rl *rl, char *why, size_t why_size);
/* Has every broker's last connection failed its TLS or SASL setup? */
int kp_rl_all_refused(const kp_rl *rl);
/* Ends b's connection: its requests fail with err. */
void kp_rl_fail_broker(kp_rl *rl, kp_broker *b, kprod_err_t err, const char *why);
void kp_rl_fail_all(kp_rl *rl, kprod_err_t err, const char *why);
/* Writes what is queued, sleeps in poll() until a socket is ready,
 * wake_fd is readable or wake_at_ms (at most a second), then does the I/O:
 * handlers run from here. */
void kp_rl_poll(kp_rl *rl, int wake_fd, int64_t wake_at_ms);

#endif
