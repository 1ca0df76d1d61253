/* A blocking TCP client for the protocol tests against the real broker
 * (test_proto_*_live.c): one plain socket, one request at a time, framed
 * and headed with src/protocol/header.c, the body encoded and decoded by
 * the codec under test. Nothing of src/sender or src/net is used, so the
 * codecs are proven on the wire by themselves. Header-only (static), so
 * each test stays one file. Include after testutil.h. */
#ifndef KPROD_TEST_WIRE_H
#define KPROD_TEST_WIRE_H

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "protocol/api_keys.h"
#include "protocol/api_versions.h"
#include "protocol/buf.h"
#include "protocol/find_coordinator.h"
#include "protocol/header.h"

#define KW_MAX_FRAME (64 * 1024 * 1024)

typedef struct kw_conn {
    int fd;
    int32_t corr;
    uint8_t *resp; /* the last answer's bytes (freed by the next call) */
    kp_buf req;
    size_t start;
    int16_t key, ver;
} kw_conn;

/* Connects to host:port (the last ':' splits them), with 15 s socket
 * timeouts so a silent broker fails the test instead of hanging it. */
static void kw_connect(kw_conn *c, const char *hostport) {
    memset(c, 0, sizeof(*c));
    char host[256];
    const char *colon = strrchr(hostport, ':');
    assert_non_null(colon);
    snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
        fail_msg("cannot resolve %s", hostport);
    c->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    assert_true(c->fd >= 0);
    struct timeval tv = {.tv_sec = 15};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0)
        fail_msg("connect %s: %s", hostport, strerror(errno));
    freeaddrinfo(ai);
    kp_buf_init(&c->req, 256);
}

static void kw_close(kw_conn *c) {
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->resp);
    c->resp = NULL;
    kp_buf_free(&c->req);
}

/* Starts a request: returns the buffer the caller encodes the body into. */
static kp_buf *kw_begin(kw_conn *c, int16_t key, int16_t ver) {
    kp_buf_reset(&c->req);
    c->key = key;
    c->ver = ver;
    c->start =
        kp_req_begin(&c->req, key, ver, ++c->corr, "kprod-live", kp_req_header_flexible(key, ver));
    return &c->req;
}

static void kw_io(kw_conn *c, int writing, void *p, size_t n) {
    uint8_t *b = p;
    while (n) {
        ssize_t k = writing ? send(c->fd, b, n, MSG_NOSIGNAL) : recv(c->fd, b, n, 0);
        if (k <= 0)
            fail_msg("%s: %s", writing ? "send" : "recv", k ? strerror(errno) : "closed by broker");
        b += k;
        n -= (size_t)k;
    }
}

/* Sends the request begun with kw_begin and reads its answer: *r spans the
 * response body (after the header), valid until the next call. */
static void kw_call(kw_conn *c, kp_rd *r) {
    kp_req_end(&c->req, c->start);
    assert_false(c->req.oom);
    kw_io(c, 1, c->req.data, c->req.len);
    uint8_t sz[4];
    kw_io(c, 0, sz, 4);
    uint32_t n = kp_be32_read(sz);
    if (n < 4 || n > KW_MAX_FRAME)
        fail_msg("answer of %u bytes", n);
    free(c->resp);
    c->resp = malloc(n);
    assert_non_null(c->resp);
    kw_io(c, 0, c->resp, n);
    kp_rd_init(r, c->resp, n);
    int32_t corr;
    assert_int_equal(kp_resp_header_read(r, kp_resp_header_flexible(c->key, c->ver), &corr),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(corr, c->corr);
}

/* ApiVersions at our highest version (v4: SupportedFeatures complete). */
static void kw_api_versions(kw_conn *c, kp_api_versions_resp *av) {
    kp_buf *b = kw_begin(c, KP_API_API_VERSIONS, KP_API_VERSIONS_MAX_VER);
    assert_int_equal(kp_api_versions_req_encode(b, KP_API_VERSIONS_MAX_VER, NULL, NULL),
                     KPROD_ERR_NO_ERROR);
    kp_rd r;
    kw_call(c, &r);
    assert_int_equal(kp_api_versions_resp_decode(&r, KP_API_VERSIONS_MAX_VER, av),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(av->error_code, 0);
    assert_int_equal(kp_rd_remaining(&r), 0);
}

/* The version to use for key: the highest both sides speak (asserted to
 * exist). */
static int16_t kw_pick(const kp_api_versions_resp *av, int16_t key) {
    int v = kp_api_versions_pick(av, key);
    if (v < 0)
        fail_msg("the broker speaks no version of API %d that kprod does", key);
    return (int16_t)v;
}

/* The decision of a retry loop around one request: 0 when error is 0
 * (done); 1 after a short pause when it is an error that asking again
 * clears (a coordinator loading or moving, a transaction still ending)
 * and the deadline (kpt_now_ms() clock) is not past; else the test
 * fails. */
static int kw_retry(int16_t error, int64_t deadline, const char *what) {
    enum { LOAD_IN_PROGRESS = 14, NOT_AVAILABLE = 15, NOT_COORDINATOR = 16, CONCURRENT = 51 };
    if (!error)
        return 0;
    int transient = error == LOAD_IN_PROGRESS || error == NOT_AVAILABLE ||
                    error == NOT_COORDINATOR || error == CONCURRENT;
    if (!transient || kpt_now_ms() > deadline)
        fail_msg("%s: error %d%s", what, error, transient ? " until the deadline" : "");
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
    nanosleep(&ts, NULL);
    return 1;
}

/* FindCoordinator at ver for n keys of a type, asked again until every
 * key has its coordinator (the first question for a key type makes the
 * broker create its internal topic); *out as decoded. */
static void kw_find_coordinator(kw_conn *c, int16_t ver, int8_t type, const char *const *keys,
                                int32_t n, kp_find_coordinator_resp *out) {
    int64_t deadline = kpt_now_ms() + 30000;
    for (;;) {
        kp_buf *b = kw_begin(c, KP_API_FIND_COORDINATOR, ver);
        assert_int_equal(kp_find_coordinator_req_encode(b, ver, type, keys, n), KPROD_ERR_NO_ERROR);
        kp_rd r;
        kw_call(c, &r);
        assert_int_equal(kp_find_coordinator_resp_decode(&r, ver, out), KPROD_ERR_NO_ERROR);
        assert_int_equal(kp_rd_remaining(&r), 0);
        int16_t e = 0;
        for (int32_t i = 0; i < out->count && !e; i++)
            e = out->coordinators[i].error_code;
        if (!kw_retry(e, deadline, "FindCoordinator"))
            return;
        kp_find_coordinator_resp_free(out);
    }
}

#endif
