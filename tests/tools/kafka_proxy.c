/* A fault-injecting TCP proxy for the idempotence tests: it stands between
 * a client and one Kafka broker, and for a random fraction of Produce
 * requests it forwards the request, waits for the broker's response (so the
 * records are surely written) and then drops both connections instead of
 * passing the response on. The client sees a lost acknowledgement and must
 * resend; only idempotence keeps the resend from being stored twice.
 *
 * So that clients keep talking through it, the proxy rewrites the port of
 * the broker in Metadata responses to its own (in place: same length).
 *
 * It also counts, as each Produce request arrives, how many Produce
 * requests of that connection are unanswered, this one included: what the
 * client has in flight at that moment, as seen from the wire (a request is
 * seen after the client sent it and its answer leaves before the client
 * reads it, so the count never exceeds the client's own). Requests sent
 * with acks=0 are never answered: the counts mean nothing for them.
 *
 * With DELAY_MS it holds every response for that long before passing it
 * on (in order): a broker far away, so that a client's own speed does not
 * decide how many requests it has in flight.
 *
 * Options after the positional arguments, as KEY=VALUE:
 *   hold=F       hold a fraction F of Produce answers (the broker has written
 *                the records) for hold_ms before passing them on, in order:
 *                past the client's request.timeout.ms that is a lost
 *                acknowledgement too, one the client times out on itself
 *   hold_ms=MS   (default 1500)
 *   also=PORT,...  front more brokers of UPSTREAM_HOST (a cluster): one
 *                more listening port each, and Metadata answers point
 *                every broker so fronted at its own proxy port
 *   stdin=keep   run until SIGTERM rather than until stdin closes
 *
 * Usage: kafka_proxy UPSTREAM_HOST UPSTREAM_PORT DROP_FRACTION SEED [DELAY_MS]
 *        [KEY=VALUE...]
 * Prints "port N" once listening (on 127.0.0.1, ephemeral ports), with
 * also= a second line "ports N M ..." (one per upstream, in order), runs
 * until stdin closes, then prints "produce_forwarded=N dropped=M
 * max_inflight=K sum_inflight=S held=H" (S / N is the mean in flight).
 * With stdin=keep, SIGTERM prints them too. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 64
#define MAXQ 256

typedef struct buf {
    uint8_t *d;
    size_t len, cap;
} buf;

/* One client connection and its upstream twin. */
typedef struct pair {
    int cfd, ufd;
    int up;     /* which upstream */
    buf c2u_in; /* bytes from the client not yet parsed into frames */
    buf to_up;  /* framed bytes waiting for the upstream socket */
    buf u2c_in; /* bytes from the broker not yet parsed */
    buf to_cli; /* bytes waiting for the client socket */
    /* requests in order: correlation id, api key+version, drop verdict */
    int32_t q_corr[MAXQ];
    int16_t q_key[MAXQ], q_ver[MAXQ];
    int q_drop[MAXQ];
    int q_hold[MAXQ];
    int qh, qn;
    int produce_open; /* Produce requests forwarded, not yet answered */
    buf held;         /* responses held back (DELAY_MS), in order */
    int64_t held_due[MAXQ];
    size_t held_len[MAXQ];
    int held_produce[MAXQ]; /* a Produce response: still in flight until passed on */
    int hh, hn;
} pair;

static pair pairs[MAXC];
#define MAXUP 8
static int nup, upstream_port[MAXUP], my_port[MAXUP], lfd[MAXUP];
static struct sockaddr_in upstream[MAXUP];
static double drop_fraction, hold_fraction;
static int64_t delay_ms, hold_ms = 1500;
static long produce_forwarded, dropped, held, sum_inflight;
static int max_inflight;
static volatile sig_atomic_t stop_now;

static void put(buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->d = realloc(b->d, b->cap);
        if (!b->d)
            abort();
    }
    memcpy(b->d + b->len, p, n);
    b->len += n;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void consume(buf *b, size_t n);

/* Passes on the held responses that are due (all of them with force). */
static void release_held(pair *pr, int force) {
    int64_t now = now_ms();
    while (pr->hn > 0 && (force || pr->held_due[pr->hh] <= now)) {
        pr->produce_open -= pr->held_produce[pr->hh];
        put(&pr->to_cli, pr->held.d, pr->held_len[pr->hh]);
        consume(&pr->held, pr->held_len[pr->hh]);
        pr->hh = (pr->hh + 1) % MAXQ;
        pr->hn--;
    }
}

/* A response on its way to the client: now, or after DELAY_MS (hold_ms
 * when held). A Produce request stops counting as in flight when its
 * response is passed on. */
static void to_client(pair *pr, const uint8_t *frame, size_t len, int produce, int hold) {
    if (delay_ms <= 0 && !hold && pr->hn == 0) {
        pr->produce_open -= produce;
        put(&pr->to_cli, frame, len);
        return;
    }
    if (pr->hn == MAXQ)
        release_held(pr, 1);
    int i = (pr->hh + pr->hn++) % MAXQ;
    pr->held_due[i] = now_ms() + (hold ? hold_ms : delay_ms);
    pr->held_len[i] = len;
    pr->held_produce[i] = produce;
    put(&pr->held, frame, len);
}

static void consume(buf *b, size_t n) {
    memmove(b->d, b->d + n, b->len - n);
    b->len -= n;
}

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void close_pair(pair *pr) {
    close(pr->cfd);
    close(pr->ufd);
    free(pr->c2u_in.d);
    free(pr->to_up.d);
    free(pr->u2c_in.d);
    free(pr->to_cli.d);
    free(pr->held.d);
    memset(pr, 0, sizeof(*pr));
    pr->cfd = pr->ufd = -1;
}

/* Reads a varint (unsigned LEB128) at *p; returns bytes taken, 0 if bad. */
static size_t uvarint(const uint8_t *p, const uint8_t *end, uint32_t *v) {
    *v = 0;
    for (size_t i = 0; i < 5 && p + i < end; i++) {
        *v |= (uint32_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80))
            return i + 1;
    }
    return 0;
}

/* Metadata response body (after the response header): point every broker
 * entry listening on the upstream port at the proxy instead. */
static void rewrite_metadata(uint8_t *p, uint8_t *end, int16_t ver) {
    int flexible = ver >= 9;
    if (flexible) { /* response header v1: tagged fields after corr id */
        uint32_t n;
        size_t k = uvarint(p, end, &n);
        if (!k || n)
            return;
        p += k;
    }
    p += 4; /* throttle_time_ms (v3+) */
    uint32_t count;
    if (flexible) {
        size_t k = uvarint(p, end, &count);
        if (!k || count == 0)
            return;
        p += k;
        count--;
    } else {
        if (p + 4 > end)
            return;
        count = be32(p);
        p += 4;
    }
    for (uint32_t i = 0; i < count && p < end; i++) {
        p += 4; /* node_id */
        uint32_t hl;
        if (flexible) {
            size_t k = uvarint(p, end, &hl);
            if (!k || hl == 0)
                return;
            p += k;
            hl--;
        } else {
            if (p + 2 > end)
                return;
            hl = (uint32_t)((p[0] << 8) | p[1]);
            p += 2;
        }
        p += hl;
        if (p + 4 > end)
            return;
        int to = -1;
        for (int m = 0; m < nup; m++)
            if ((int)be32(p) == upstream_port[m])
                to = my_port[m];
        if (to >= 0) {
            p[0] = (uint8_t)(to >> 24);
            p[1] = (uint8_t)(to >> 16);
            p[2] = (uint8_t)(to >> 8);
            p[3] = (uint8_t)to;
        }
        p += 4;
        /* rack: nullable string */
        if (flexible) {
            uint32_t rl;
            size_t k = uvarint(p, end, &rl);
            if (!k)
                return;
            p += k + (rl ? rl - 1 : 0);
            uint32_t tags;
            k = uvarint(p, end, &tags);
            if (!k || tags) /* brokers never carry tags today */
                return;
            p += k;
        } else {
            if (p + 2 > end)
                return;
            int16_t rl = (int16_t)((p[0] << 8) | p[1]);
            p += 2 + (rl > 0 ? rl : 0);
        }
    }
}

/* Moves complete client frames to the upstream buffer, noting each. */
static void frames_client_to_up(pair *pr) {
    while (pr->c2u_in.len >= 4) {
        uint32_t size = be32(pr->c2u_in.d);
        if (pr->c2u_in.len < 4 + (size_t)size)
            return;
        const uint8_t *f = pr->c2u_in.d + 4;
        if (size >= 8 && pr->qn < MAXQ) {
            int i = (pr->qh + pr->qn++) % MAXQ;
            pr->q_key[i] = (int16_t)((f[0] << 8) | f[1]);
            pr->q_ver[i] = (int16_t)((f[2] << 8) | f[3]);
            pr->q_corr[i] = (int32_t)be32(f + 4);
            pr->q_drop[i] = 0;
            pr->q_hold[i] = 0;
            if (pr->q_key[i] == 0) { /* Produce */
                produce_forwarded++;
                pr->produce_open++;
                sum_inflight += pr->produce_open;
                if (pr->produce_open > max_inflight)
                    max_inflight = pr->produce_open;
                pr->q_drop[i] = (double)random() / RAND_MAX < drop_fraction;
                pr->q_hold[i] = !pr->q_drop[i] && (double)random() / RAND_MAX < hold_fraction;
            }
        }
        put(&pr->to_up, pr->c2u_in.d, 4 + size);
        consume(&pr->c2u_in, 4 + size);
    }
}

/* Moves complete broker frames to the client; returns -1 to drop. */
static int frames_up_to_client(pair *pr) {
    while (pr->u2c_in.len >= 8) {
        uint32_t size = be32(pr->u2c_in.d);
        if (pr->u2c_in.len < 4 + (size_t)size)
            return 0;
        int32_t corr = (int32_t)be32(pr->u2c_in.d + 4);
        int drop = 0, produce = 0, hold = 0;
        if (pr->qn > 0 && pr->q_corr[pr->qh] == corr) {
            drop = pr->q_drop[pr->qh];
            hold = pr->q_hold[pr->qh];
            produce = pr->q_key[pr->qh] == 0;
            if (pr->q_key[pr->qh] == 3)
                rewrite_metadata(pr->u2c_in.d + 8, pr->u2c_in.d + 4 + size, pr->q_ver[pr->qh]);
            pr->qh = (pr->qh + 1) % MAXQ;
            pr->qn--;
        }
        if (drop) {
            dropped++;
            return -1;
        }
        held += hold;
        to_client(pr, pr->u2c_in.d, 4 + size, produce, hold);
        consume(&pr->u2c_in, 4 + size);
    }
    return 0;
}

static int pump(int from, buf *in) {
    uint8_t tmp[65536];
    ssize_t n = recv(from, tmp, sizeof(tmp), MSG_DONTWAIT);
    if (n == 0)
        return -1;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    put(in, tmp, (size_t)n);
    return 0;
}

static int drain(int to, buf *out) {
    if (!out->len)
        return 0;
    ssize_t n = send(to, out->d, out->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    consume(out, (size_t)n);
    return 0;
}

static void on_term(int sig) {
    (void)sig;
    stop_now = 1;
}

/* also=PORT,PORT: more upstream ports. */
static int parse_also(const char *s) {
    while (*s) {
        char *e;
        long v = strtol(s, &e, 10);
        if (e == s || v <= 0 || v > 65535 || nup == MAXUP || (*e && *e != ','))
            return -1;
        upstream_port[nup++] = (int)v;
        s = *e ? e + 1 : e;
    }
    return 0;
}

int main(int argc, char **argv) {
    int npos = 0, keep_stdin = 0;
    while (npos + 1 < argc && !strchr(argv[npos + 1], '='))
        npos++;
    if (npos != 4 && npos != 5) {
        fprintf(stderr, "usage: kafka_proxy UPSTREAM_HOST UPSTREAM_PORT DROP_FRACTION SEED "
                        "[DELAY_MS] [hold=F] [hold_ms=MS] [also=PORT,...] [stdin=keep]\n");
        return 2;
    }
    upstream_port[nup++] = atoi(argv[2]);
    for (int i = npos + 1; i < argc; i++) {
        const char *v = strchr(argv[i], '=') + 1;
        if (strncmp(argv[i], "hold=", 5) == 0)
            hold_fraction = atof(v);
        else if (strncmp(argv[i], "hold_ms=", 8) == 0)
            hold_ms = atoll(v);
        else if (strncmp(argv[i], "also=", 5) == 0 && parse_also(v) == 0)
            ;
        else if (strcmp(argv[i], "stdin=keep") == 0)
            keep_stdin = 1;
        else {
            fprintf(stderr, "kafka_proxy: bad option '%s'\n", argv[i]);
            return 2;
        }
    }
    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);
    delay_ms = npos == 5 ? atoll(argv[5]) : 0;
    drop_fraction = atof(argv[3]);
    srandom((unsigned)atol(argv[4]));
    for (int i = 0; i < MAXC; i++)
        pairs[i].cfd = pairs[i].ufd = -1;

    int one = 1;
    for (int u = 0; u < nup; u++) {
        memset(&upstream[u], 0, sizeof(upstream[u]));
        upstream[u].sin_family = AF_INET;
        upstream[u].sin_port = htons((uint16_t)upstream_port[u]);
        if (inet_pton(AF_INET, argv[1], &upstream[u].sin_addr) != 1) {
            fprintf(stderr, "kafka_proxy: UPSTREAM_HOST must be an IPv4 address\n");
            return 2;
        }
        lfd[u] = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(lfd[u], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = 0};
        me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t ml = sizeof(me);
        if (bind(lfd[u], (struct sockaddr *)&me, sizeof(me)) || listen(lfd[u], 64) ||
            getsockname(lfd[u], (struct sockaddr *)&me, &ml)) {
            perror("kafka_proxy: listen");
            return 1;
        }
        my_port[u] = ntohs(me.sin_port);
    }
    printf("port %d\n", my_port[0]);
    if (nup > 1) {
        printf("ports");
        for (int u = 0; u < nup; u++)
            printf(" %d", my_port[u]);
        printf("\n");
    }
    fflush(stdout);

    struct pollfd fds[1 + MAXUP + 2 * MAXC];
    const int first = 1 + nup; /* fds of the pairs start here */
    while (!stop_now) {
        int n = 0, timeout = 1000;
        fds[n++] = (struct pollfd){.fd = keep_stdin ? -1 : 0, .events = POLLIN};
        for (int u = 0; u < nup; u++)
            fds[n++] = (struct pollfd){.fd = lfd[u], .events = POLLIN};
        for (int i = 0; i < MAXC; i++) {
            pair *pr = &pairs[i];
            release_held(pr, 0);
            if (pr->hn > 0) {
                int64_t left = pr->held_due[pr->hh] - now_ms();
                if (left < timeout)
                    timeout = left < 0 ? 0 : (int)left;
            }
            fds[n++] = (struct pollfd){.fd = pr->cfd,
                                       .events = (short)(POLLIN | (pr->to_cli.len ? POLLOUT : 0))};
            fds[n++] = (struct pollfd){.fd = pr->ufd,
                                       .events = (short)(POLLIN | (pr->to_up.len ? POLLOUT : 0))};
        }
        if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
            break;
        if (fds[0].revents) {
            char tmp[64];
            if (read(0, tmp, sizeof(tmp)) <= 0)
                break;
        }
        for (int u = 0; u < nup; u++) {
            if (!(fds[1 + u].revents & POLLIN))
                continue;
            int cfd = accept(lfd[u], NULL, NULL);
            int slot = -1;
            for (int i = 0; i < MAXC && slot < 0; i++)
                if (pairs[i].cfd < 0)
                    slot = i;
            int ufd = socket(AF_INET, SOCK_STREAM, 0);
            if (slot < 0 ||
                connect(ufd, (struct sockaddr *)&upstream[u], sizeof(upstream[u])) != 0) {
                close(cfd);
                close(ufd);
            } else {
                setsockopt(cfd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
                setsockopt(ufd, IPPROTO_TCP, 1, &one, sizeof(one));
                pairs[slot].cfd = cfd;
                pairs[slot].ufd = ufd;
                pairs[slot].up = u;
            }
        }
        for (int i = 0; i < MAXC; i++) {
            pair *pr = &pairs[i];
            struct pollfd *cf = &fds[first + 2 * i], *uf = &fds[first + 1 + 2 * i];
            if (pr->cfd < 0)
                continue;
            int bad = 0;
            if (cf->revents & (POLLIN | POLLHUP | POLLERR))
                bad |= pump(pr->cfd, &pr->c2u_in);
            if (uf->revents & (POLLIN | POLLHUP | POLLERR))
                bad |= pump(pr->ufd, &pr->u2c_in);
            frames_client_to_up(pr);
            bad |= frames_up_to_client(pr);
            bad |= drain(pr->ufd, &pr->to_up);
            bad |= drain(pr->cfd, &pr->to_cli);
            if (bad)
                close_pair(pr);
        }
    }
    printf("produce_forwarded=%ld dropped=%ld max_inflight=%d sum_inflight=%ld held=%ld\n",
           produce_forwarded, dropped, max_inflight, sum_inflight, held);
    return 0;
}
