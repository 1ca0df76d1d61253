/* The producer's logger: one line per event, to the application's log
 * callback or, without one, warnings and errors to stderr.
 *
 * Every module gets it through the resolved configuration (kp_config.log),
 * so nothing needs a global. What is logged at which level is decided at
 * the call: warnings for what a user must see (a refused connection, a
 * broker that closes, a configuration adjusted behind their back), debug
 * for traces, each in a context that the `debug` property switches on.
 * A debug call that is off costs one load and one test (KP_DEBUG below),
 * so traces may stay on hot paths.
 *
 * Thread: any. The callback may run on several threads at once (the
 * sender's, the report thread, an application thread inside kprod_send);
 * kprod holds none of its locks while calling it. */
#ifndef KPROD_LOG_H
#define KPROD_LOG_H

#include <stddef.h>

#include "kprod.h"

/* Debug contexts (the `debug` property's words). */
enum {
    KP_DBG_GENERIC = 1u << 0,     /* generic: lifecycle */
    KP_DBG_BROKER = 1u << 1,      /* broker: connections, handshakes */
    KP_DBG_PROTOCOL = 1u << 2,    /* protocol: requests and responses */
    KP_DBG_METADATA = 1u << 3,    /* metadata: refreshes, leaders */
    KP_DBG_MSG = 1u << 4,         /* msg: batches, retries, outcomes */
    KP_DBG_IDEMPOTENCE = 1u << 5, /* idempotence: producer id, epoch, sequences */
    KP_DBG_SECURITY = 1u << 6,    /* security: TLS, SASL */
    KP_DBG_TXN = 1u << 7,         /* txn: transactions, coordinators */
    KP_DBG_RECOVERY = 1u << 8,    /* recovery: reading the log back */
    KP_DBG_CONF = 1u << 9,        /* conf: resolved configuration */
    KP_DBG_ALL = (1u << 10) - 1,
};

typedef struct kp_log {
    int level;      /* log_level: lines above it are dropped */
    unsigned debug; /* KP_DBG_* contexts traced at KPROD_LOG_DEBUG */
    kprod_log_cb cb;
    void *opaque;
    const char *client_id; /* the producer's; lives as long as the config */
} kp_log;

/* Parses the `debug` property ("broker,metadata", "all", "" = none) into
 * KP_DBG_* bits; returns -1 and names the bad word in errstr otherwise. */
int kp_log_parse_debug(const char *value, unsigned *out, char *errstr, size_t errstr_size);
/* The `debug` property's accepted words, for docs and errors. */
const char *kp_log_debug_words(void);

/* Emits one line at level in context ctx (one KP_DBG_* bit, which names
 * it) if level is within the log's; lg may be NULL (then nothing). */
void kp_logf(const kp_log *lg, int level, unsigned ctx, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define KP_WARN(lg, ctx, ...) kp_logf((lg), KPROD_LOG_WARNING, (ctx), __VA_ARGS__)
#define KP_ERROR(lg, ctx, ...) kp_logf((lg), KPROD_LOG_ERR, (ctx), __VA_ARGS__)
#define KP_INFO(lg, ctx, ...) kp_logf((lg), KPROD_LOG_INFO, (ctx), __VA_ARGS__)
/* Is ctx being traced? Inline: a trace that is off costs one test. */
static inline int kp_log_debugging(const kp_log *lg, unsigned ctx) {
    return lg && (lg->debug & ctx);
}
#define KP_DEBUG(lg, ctx, ...)                                                                     \
    do {                                                                                           \
        if (kp_log_debugging((lg), (ctx)))                                                         \
            kp_logf((lg), KPROD_LOG_DEBUG, (ctx), __VA_ARGS__);                                    \
    } while (0)

#endif
