/* The request layer (see request.h). */
#include "sender/request.h"

#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "hostport.h"
#include "net/dns.h"
#include "protocol/api_keys.h"
#include "protocol/api_versions.h"
#include "protocol/header.h"
#include "protocol/metadata.h"
#include "protocol/produce.h"

struct kp_rl {
    const kp_config *cfg;
    kp_conn_settings conn_settings;
    kp_conn_handlers handlers; /* the connections' callbacks: this layer's */
    kp_broker **brokers;       /* bootstrap entries first, then metadata's */
    int nbrokers, cap;
    kp_broker **buckets; /* by id, chained through hnext */
    size_t nbuckets;
    uint64_t generation; /* bumped when a broker is removed */
    int prune_wanted;
    int md_cursor; /* round robin over brokers for metadata */
    struct pollfd *fds;
    int fds_cap;
    kp_tls_ctx *tls; /* SSL, SASL_SSL */
    kp_rl_auth auth; /* SASL */
};

static kp_broker *broker_of(kp_conn *c) {
    return (kp_broker *)(void *)((char *)c - offsetof(kp_broker, conn));
}

static size_t bucket_of(const kp_rl *rl, int32_t id) {
    return ((uint32_t)id * 2654435761u) & (rl->nbuckets - 1);
}

/* Grows the id hash to at least one bucket per broker. */
static kprod_err_t rehash(kp_rl *rl, size_t want) {
    if (want <= rl->nbuckets)
        return KPROD_ERR_NO_ERROR;
    size_t n = rl->nbuckets ? rl->nbuckets : 16;
    while (n < want)
        n *= 2;
    kp_broker **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return KPROD_ERR__NO_MEMORY;
    free(rl->buckets);
    rl->buckets = nb;
    rl->nbuckets = n;
    for (int i = 0; i < rl->nbrokers; i++) {
        kp_broker *b = rl->brokers[i];
        size_t j = bucket_of(rl, b->id);
        b->hnext = nb[j];
        nb[j] = b;
    }
    return KPROD_ERR_NO_ERROR;
}

static kp_broker *broker_add(kp_rl *rl, int32_t id, const char *host, int port) {
    if (rl->nbrokers == rl->cap) {
        int ncap = rl->cap ? rl->cap * 2 : 8;
        kp_broker **nb = realloc(rl->brokers, (size_t)ncap * sizeof(*nb));
        if (!nb)
            return NULL;
        rl->brokers = nb;
        rl->cap = ncap;
    }
    if (rehash(rl, (size_t)rl->nbrokers + 1) != KPROD_ERR_NO_ERROR)
        return NULL;
    kp_broker *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->id = id;
    b->index = rl->nbrokers;
    kp_conn_init(&b->conn, id, host, port, &rl->conn_settings);
    rl->brokers[rl->nbrokers++] = b;
    size_t j = bucket_of(rl, id);
    b->hnext = rl->buckets[j];
    rl->buckets[j] = b;
    return b;
}

/* Removes b (nothing in flight on it): the last broker takes its place. */
static void broker_remove(kp_rl *rl, kp_broker *b) {
    kp_broker **pp = &rl->buckets[bucket_of(rl, b->id)];
    while (*pp != b)
        pp = &(*pp)->hnext;
    *pp = b->hnext;
    int i = b->index;
    rl->brokers[i] = rl->brokers[--rl->nbrokers];
    rl->brokers[i]->index = i;
    kp_conn_destroy(&b->conn);
    free(b);
    rl->generation++;
}

static void prune(kp_rl *rl) {
    rl->prune_wanted = 0;
    for (int i = rl->nbrokers - 1; i >= 0; i--) {
        kp_broker *b = rl->brokers[i];
        if (b->id >= 0 && !b->in_metadata && b->conn.ninflight == 0)
            broker_remove(rl, b);
    }
}

void kp_rl_prune_soon(kp_rl *rl) { rl->prune_wanted = 1; }
uint64_t kp_rl_generation(const kp_rl *rl) { return rl->generation; }

/* ---- the handshake: ApiVersions ---- */

static void send_api_versions(kp_rl *rl, kp_broker *b, int16_t ver);

static void api_versions_response(void *opaque, kp_broker *b, void *ctx, int16_t version,
                                  kp_rd *r) {
    kp_rl *rl = opaque;
    (void)ctx;
    kp_api_versions_resp resp;
    kprod_err_t err = kp_api_versions_resp_decode(r, version, &resp);
    if (err) {
        kp_rl_fail_broker(rl, b, KPROD_ERR__BAD_MSG, "malformed ApiVersions response");
        return;
    }
    if (resp.error_code == KPROD_ERR_UNSUPPORTED_VERSION && version > 0) {
        /* The broker listed what it speaks: ask again at its highest. */
        const kp_api_version_range *av = kp_api_versions_find(&resp, KP_API_API_VERSIONS);
        int16_t ver = av && av->max_version < version ? av->max_version : 0;
        kp_api_versions_resp_free(&resp);
        send_api_versions(rl, b, ver);
        return;
    }
    if (resp.error_code) {
        char why[160];
        snprintf(why, sizeof(why), "ApiVersions failed on %s:%d: %s", b->conn.host, b->conn.port,
                 kprod_err_name((kprod_err_t)resp.error_code));
        kp_api_versions_resp_free(&resp);
        kp_rl_fail_broker(rl, b, KPROD_ERR__UNSUPPORTED_FEATURE, why);
        return;
    }
    int tv = kp_api_versions_feature_level(&resp, "transaction.version");
    b->txn_version = tv > 0 ? tv : 0;
    for (int32_t i = 0; i < resp.count; i++) {
        int16_t k = resp.apis[i].api_key;
        if (k >= 0 && k < 128) {
            b->conn.api_min[k] = resp.apis[i].min_version;
            b->conn.api_max[k] = resp.apis[i].max_version;
        }
    }
    kp_api_versions_resp_free(&resp);
    if (kp_rl_version(b, KP_API_PRODUCE) < 0 || kp_rl_version(b, KP_API_METADATA) < 0) {
        char why[200];
        snprintf(why, sizeof(why),
                 "broker %s:%d supports no Produce (v%d-%d) or Metadata (v%d-%d) version kprod "
                 "speaks",
                 b->conn.host, b->conn.port, KP_PRODUCE_MIN_VER, KP_PRODUCE_MAX_VER,
                 KP_METADATA_MIN_VER, KP_METADATA_MAX_VER);
        kp_rl_fail_broker(rl, b, KPROD_ERR__UNSUPPORTED_FEATURE, why);
        return;
    }
    if (rl->auth.authenticate)
        rl->auth.authenticate(rl->auth.opaque, b, 0);
    else
        kp_conn_set_ready(&b->conn);
}

/* A failed handshake fails its connection, which the conn does itself. */
static void api_versions_fail(void *opaque, kp_broker *b, void *ctx, kprod_err_t err, int written) {
    (void)opaque, (void)b, (void)ctx, (void)err, (void)written;
}

static const kp_req_handler *handshake_handler(kp_rl *rl) {
    static _Thread_local kp_req_handler h;
    h.on_response = api_versions_response;
    h.on_fail = api_versions_fail;
    h.on_written = NULL;
    h.opaque = rl;
    return &h;
}

static void send_api_versions(kp_rl *rl, kp_broker *b, int16_t ver) {
    kp_frame f;
    kp_buf *out = kp_rl_begin(rl, b, KP_API_API_VERSIONS, ver, &f);
    kprod_err_t err = kp_api_versions_req_encode(out, ver, NULL, NULL);
    if (kp_rl_send(rl, &f, err, 1, 0, handshake_handler(rl), NULL) != KPROD_ERR_NO_ERROR)
        kp_rl_fail_broker(rl, b, KPROD_ERR__NO_MEMORY, "could not encode ApiVersions");
}

/* ---- the connections' callbacks ---- */

static void on_connected(kp_conn *c, void *opaque) {
    send_api_versions(opaque, broker_of(c), KP_API_VERSIONS_MAX_VER);
}

static void on_response(kp_conn *c, kp_inflight *req, const uint8_t *body, size_t len,
                        void *opaque) {
    (void)opaque;
    const kp_req_handler *h = req->handler;
    kp_rd r;
    kp_rd_init(&r, body, len);
    if (kp_resp_header_flexible(req->api_key, req->api_version))
        kp_rd_skip_tags(&r);
    h->on_response(h->opaque, broker_of(c), req->ctx, req->api_version, &r);
}

static void on_fail(kp_conn *c, kp_inflight *req, kprod_err_t err, void *opaque) {
    (void)opaque;
    const kp_req_handler *h = req->handler;
    h->on_fail(h->opaque, broker_of(c), req->ctx, err, req->written);
}

static void on_written(kp_conn *c, kp_inflight *req, void *opaque) {
    (void)opaque;
    const kp_req_handler *h = req->handler;
    if (h->on_written)
        h->on_written(h->opaque, broker_of(c), req->ctx);
}

/* A connection is gone: no re-authentication of it is due any more, and a
 * failed TLS or SASL setup is kept for the sender to act on. */
static void on_down(kp_conn *c, kprod_err_t err, void *opaque) {
    (void)opaque;
    kp_broker *b = broker_of(c);
    b->reauth_at_ms = 0;
    b->reauthenticating = 0;
    if (kp_conn_security_err(err)) {
        b->security_failed = 1;
        b->security_err = err;
    }
}

/* ---- brokers ---- */

/* One bootstrap.servers entry: as given, or with
 * client.dns.lookup=resolve_canonical_bootstrap_servers_only the canonical
 * names of its addresses (as given when it does not resolve now; a later
 * connection attempt resolves it again). Ids -1, -2, ... 0 or -1 (memory). */
static int add_bootstrap(kp_rl *rl, const char *host, int port, int32_t *id) {
    char names[16][KP_DNS_NAME_MAX];
    int n = rl->cfg->dns_canonical_bootstrap ? kp_dns_canonical_names(host, names, 16) : 0;
    if (n == 0)
        return broker_add(rl, (*id)--, host, port) ? 0 : -1;
    for (int i = 0; i < n; i++)
        if (!broker_add(rl, (*id)--, names[i], port))
            return -1;
    return 0;
}

kp_rl *kp_rl_new(const kp_config *cfg, char *errstr, size_t errstr_size) {
    kp_rl *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    rl->cfg = cfg;
    if (cfg->tls.enabled && kp_tls_ctx_new(&cfg->tls, &rl->tls, errstr, errstr_size) != 0) {
        free(rl);
        return NULL;
    }
    rl->conn_settings.tls = rl->tls;
    rl->conn_settings.setup_timeout_ms = cfg->socket_connection_setup_timeout_ms;
    rl->conn_settings.reconnect_backoff_ms = cfg->reconnect_backoff_ms;
    rl->conn_settings.reconnect_backoff_max_ms = cfg->reconnect_backoff_max_ms;
    rl->conn_settings.max_frame = (uint32_t)cfg->receive_message_max_bytes;
    rl->conn_settings.send_buffer = cfg->send_buffer_bytes;
    rl->conn_settings.receive_buffer = cfg->receive_buffer_bytes;
    rl->conn_settings.log = &cfg->log;
    rl->handlers.on_response = on_response;
    rl->handlers.on_fail = on_fail;
    rl->handlers.on_written = on_written;
    rl->handlers.on_connected = on_connected;
    rl->handlers.on_down = on_down;
    rl->handlers.opaque = rl;
    /* bootstrap.servers was validated entry by entry. */
    const char *s = cfg->bootstrap_servers;
    int32_t id = -1;
    while (s && *s) {
        while (*s == ' ' || *s == ',')
            s++;
        size_t n = strcspn(s, ", ");
        if (n == 0)
            break;
        char host[256];
        int port;
        if (kp_split_hostport(s, n, host, sizeof(host), &port) == 0 &&
            add_bootstrap(rl, host, port, &id) != 0) {
            kp_rl_free(rl);
            return NULL;
        }
        s += n;
    }
    if (rl->nbrokers == 0) {
        kp_rl_free(rl);
        return NULL;
    }
    return rl;
}

void kp_rl_free(kp_rl *rl) {
    if (!rl)
        return;
    for (int i = 0; i < rl->nbrokers; i++) {
        kp_conn_destroy(&rl->brokers[i]->conn);
        free(rl->brokers[i]);
    }
    free(rl->brokers);
    free(rl->buckets);
    free(rl->fds);
    kp_tls_ctx_free(rl->tls);
    free(rl);
}

void kp_rl_set_auth(kp_rl *rl, const kp_rl_auth *auth) { rl->auth = *auth; }

void kp_rl_authenticated(kp_rl *rl, kp_broker *b, int64_t session_lifetime_ms) {
    (void)rl;
    b->reauth_at_ms = 0;
    if (session_lifetime_ms > 0) {
        /* Java: a random 85-95 % of the lifetime, so that the connections
         * of many clients do not all re-authenticate at once. */
        int64_t at = session_lifetime_ms * (85 + random() % 11) / 100;
        b->reauth_at_ms = kp_now_ms() + (at > 0 ? at : 1);
    }
    if (b->reauthenticating) {
        b->reauthenticating = 0;
        kp_conn_reauthenticated(&b->conn);
    } else {
        kp_conn_set_ready(&b->conn);
    }
}

int kp_rl_take_security_failure(kp_rl *rl, int32_t *broker_id, kprod_err_t *err, char *why,
                                size_t why_size) {
    for (int i = 0; i < rl->nbrokers; i++) {
        kp_broker *b = rl->brokers[i];
        if (!b->security_failed)
            continue;
        b->security_failed = 0;
        *broker_id = b->id;
        *err = b->security_err;
        snprintf(why, why_size, "%s", b->conn.err);
        return 1;
    }
    return 0;
}

int kp_rl_count(const kp_rl *rl) { return rl->nbrokers; }
kp_broker *kp_rl_at(kp_rl *rl, int i) { return rl->brokers[i]; }

kp_broker *kp_rl_find(kp_rl *rl, int32_t id) {
    if (rl->nbuckets == 0)
        return NULL;
    for (kp_broker *b = rl->buckets[bucket_of(rl, id)]; b; b = b->hnext)
        if (b->id == id)
            return b;
    return NULL;
}

kp_broker *kp_rl_upsert(kp_rl *rl, int32_t id, const char *host, int port) {
    kp_broker *b = kp_rl_find(rl, id);
    if (!b)
        return broker_add(rl, id, host, port);
    if (strcmp(b->conn.host, host) != 0 || b->conn.port != port) {
        kp_rl_fail_broker(rl, b, KPROD_ERR__TRANSPORT, "broker address changed");
        snprintf(b->conn.host, sizeof(b->conn.host), "%s", host);
        b->conn.port = port;
        b->conn.next_attempt_ms = 0;
    }
    return b;
}

/* ---- requests ---- */

int16_t kp_rl_version(const kp_broker *b, int16_t api_key) {
    int16_t lo, hi;
    if (kp_proto_our_range(api_key, &lo, &hi) != 0 || api_key < 0 || api_key >= 128)
        return -1;
    return (int16_t)kp_proto_pick_version(lo, hi, b->conn.api_min[api_key],
                                          b->conn.api_max[api_key]);
}

kp_buf *kp_rl_begin(kp_rl *rl, kp_broker *b, int16_t api_key, int16_t version, kp_frame *f) {
    kp_conn *c = &b->conn;
    f->broker = b;
    f->api_key = api_key;
    f->version = version;
    f->corr_id = c->next_corr_id++;
    f->start = kp_req_begin(&c->out, api_key, version, f->corr_id, rl->cfg->client_id,
                            kp_req_header_flexible(api_key, version));
    return &c->out;
}

kprod_err_t kp_rl_send(kp_rl *rl, kp_frame *f, kprod_err_t err, int expect_response,
                       int64_t deadline_ms, const kp_req_handler *h, void *ctx) {
    kp_conn *c = &f->broker->conn;
    if (err) {
        kp_conn_drop_frame(c, f->start);
        return err == KPROD_ERR__NO_MEMORY ? err : KPROD_ERR__BAD_MSG;
    }
    kp_req_end(&c->out, f->start);
    int64_t deadline = kp_now_ms() + rl->cfg->request_timeout_ms;
    if (deadline_ms > 0 && deadline_ms < deadline)
        deadline = deadline_ms;
    kp_inflight *r = kp_conn_commit(c, f->start, f->corr_id, f->api_key, f->version,
                                    expect_response, deadline, ctx);
    if (!r)
        return KPROD_ERR__NO_MEMORY; /* commit dropped the frame */
    r->handler = h;
    return KPROD_ERR_NO_ERROR;
}

/* ---- choosing a connection ---- */

kp_broker *kp_rl_any_ready(kp_rl *rl) {
    kp_broker *best = NULL;
    for (int i = 0; i < rl->nbrokers; i++) {
        kp_broker *b = rl->brokers[i];
        if (b->conn.state == KP_CONN_READY && (!best || b->conn.ninflight < best->conn.ninflight))
            best = b;
    }
    return best;
}

kp_broker *kp_rl_for_metadata(kp_rl *rl, int have_metadata, int64_t now_ms, int64_t *retry_at_ms) {
    kp_broker *best = NULL;
    int connecting = 0;
    for (int i = 0; i < rl->nbrokers; i++) {
        kp_broker *b = rl->brokers[i];
        if (b->id < 0 && have_metadata && best)
            break;
        if (b->conn.state == KP_CONN_READY && (!best || b->conn.ninflight < best->conn.ninflight))
            best = b;
        else if (b->conn.state == KP_CONN_CONNECTING || b->conn.state == KP_CONN_TLS ||
                 b->conn.state == KP_CONN_HANDSHAKE)
            connecting = 1;
    }
    if (best || connecting)
        return best;
    /* Prefer brokers from metadata; bootstrap addresses last. */
    int any_known_due = 0;
    for (int j = 0; have_metadata && j < rl->nbrokers; j++)
        any_known_due |= rl->brokers[j]->id >= 0 && rl->brokers[j]->in_metadata &&
                         rl->brokers[j]->conn.next_attempt_ms <= now_ms;
    /* Nothing up: connect the next broker whose backoff is over, in turn. */
    for (int k = 0; k < rl->nbrokers; k++) {
        int i = (rl->md_cursor + k) % rl->nbrokers;
        kp_broker *b = rl->brokers[i];
        if (have_metadata && b->id < 0 && k < rl->nbrokers - 1 && any_known_due)
            continue;
        if (b->conn.next_attempt_ms <= now_ms) {
            rl->md_cursor = i + 1;
            b->wanted = 1;
            kp_conn_connect(&b->conn, now_ms);
            return NULL;
        }
        if (b->conn.next_attempt_ms < *retry_at_ms)
            *retry_at_ms = b->conn.next_attempt_ms;
    }
    return NULL;
}

int kp_rl_keep_connections(kp_rl *rl, int64_t now_ms, int64_t *next_ms) {
    int ask_metadata = 0;
    *next_ms = INT64_MAX;
    for (int i = 0; i < rl->nbrokers; i++) {
        kp_broker *b = rl->brokers[i];
        /* A broker we cannot reach may have lost its partitions to another:
         * each failed attempt to reach a wanted one asks for fresh metadata
         * once, as the Java client does on a disconnect; else its records
         * would wait for it until metadata.max.age.ms. */
        if (b->conn.state == KP_CONN_READY)
            b->md_asked = 0;
        else if (b->wanted && b->conn.state == KP_CONN_DOWN && b->conn.failures > b->md_asked) {
            b->md_asked = b->conn.failures;
            ask_metadata = 1;
        }
        if (b->conn.state == KP_CONN_READY && b->reauth_at_ms > 0 && rl->auth.authenticate) {
            if (b->reauth_at_ms <= now_ms) {
                b->reauth_at_ms = 0;
                b->reauthenticating = 1;
                kp_conn_begin_reauth(&b->conn, now_ms);
                rl->auth.authenticate(rl->auth.opaque, b, 1);
            } else if (b->reauth_at_ms < *next_ms) {
                *next_ms = b->reauth_at_ms;
            }
        }
        if (!b->wanted || b->conn.state != KP_CONN_DOWN)
            continue;
        if (b->conn.next_attempt_ms <= now_ms)
            kp_conn_connect(&b->conn, now_ms);
        if (b->conn.state == KP_CONN_DOWN && b->conn.next_attempt_ms < *next_ms)
            *next_ms = b->conn.next_attempt_ms;
    }
    return ask_metadata;
}

int kp_rl_all_down(const kp_rl *rl, char *why, size_t why_size) {
    for (int i = 0; i < rl->nbrokers; i++) {
        const kp_conn *c = &rl->brokers[i]->conn;
        if (c->state != KP_CONN_DOWN || c->failures == 0)
            return 0;
    }
    size_t n = (size_t)snprintf(why, why_size, "every broker is down (%d known):", rl->nbrokers);
    for (int i = 0; i < rl->nbrokers && n < why_size; i++) {
        const kp_conn *c = &rl->brokers[i]->conn;
        n += (size_t)snprintf(why + n, why_size - n, "%s %s", i ? ";" : "",
                              c->err[0] ? c->err : "connection failed");
    }
    return 1;
}

int kp_rl_all_refused(const kp_rl *rl) {
    for (int i = 0; i < rl->nbrokers; i++)
        if (!kp_conn_security_err(rl->brokers[i]->conn.last_err))
            return 0;
    return rl->nbrokers > 0;
}

void kp_rl_fail_broker(kp_rl *rl, kp_broker *b, kprod_err_t err, const char *why) {
    kp_conn_fail(&b->conn, err, why, kp_now_ms(), &rl->handlers);
}

void kp_rl_fail_all(kp_rl *rl, kprod_err_t err, const char *why) {
    for (int i = 0; i < rl->nbrokers; i++)
        kp_rl_fail_broker(rl, rl->brokers[i], err, why);
}

/* ---- driving the sockets ---- */

void kp_rl_poll(kp_rl *rl, int wake_fd, int64_t wake_at_ms) {
    if (rl->fds_cap < rl->nbrokers + 1) {
        int ncap = rl->nbrokers + 8;
        struct pollfd *nf = realloc(rl->fds, (size_t)ncap * sizeof(*nf));
        if (!nf)
            return; /* the loop comes back here; memory may be there then */
        rl->fds = nf;
        rl->fds_cap = ncap;
    }
    int64_t now = kp_now_ms();
    struct pollfd *fds = rl->fds;
    fds[0].fd = wake_fd;
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    int n = rl->nbrokers;
    for (int i = 0; i < n; i++) {
        kp_conn *c = &rl->brokers[i]->conn;
        kp_conn_io(c, 0, now, &rl->handlers); /* flush fresh requests before sleeping */
        fds[i + 1].fd = c->fd;
        fds[i + 1].events = kp_conn_events(c);
        fds[i + 1].revents = 0;
        int64_t d = kp_conn_next_deadline(c);
        if (d < wake_at_ms)
            wake_at_ms = d;
    }
    now = kp_now_ms();
    int timeout =
        wake_at_ms <= now ? 0 : (wake_at_ms - now > 1000 ? 1000 : (int)(wake_at_ms - now));
    poll(fds, (nfds_t)n + 1, timeout);
    if (fds[0].revents & POLLIN) {
        uint64_t v;
        ssize_t rc = read(wake_fd, &v, sizeof(v));
        (void)rc; /* EAGAIN: another read took it */
    }
    now = kp_now_ms();
    /* Handlers may add brokers: only the ones polled are looked at. */
    for (int i = 0; i < n; i++)
        kp_conn_io(&rl->brokers[i]->conn, fds[i + 1].revents, now, &rl->handlers);
    /* Only here, after the I/O: a handler may have asked while one of the
     * brokers it would remove was being served. */
    if (rl->prune_wanted)
        prune(rl);
}
