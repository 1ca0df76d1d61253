/* The producer's logger (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const words[] = {"generic",     "broker",   "protocol", "metadata", "msg",
                                    "idempotence", "security", "txn",      "recovery", "conf"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

const char *kp_log_debug_words(void) {
    return "generic, broker, protocol, metadata, msg, idempotence, security, txn, recovery, "
           "conf, all";
}

int kp_log_parse_debug(const char *value, unsigned *out, char *errstr, size_t errstr_size) {
    unsigned bits = 0;
    const char *s = value ? value : "";
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        size_t n = strcspn(s, ", ");
        if (n == 0)
            break;
        unsigned bit = 0;
        if (n == 3 && strncasecmp(s, "all", 3) == 0)
            bit = KP_DBG_ALL;
        for (size_t i = 0; !bit && i < NWORDS; i++)
            if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
                bit = 1u << i;
        if (!bit) {
            if (errstr && errstr_size)
                snprintf(errstr, errstr_size,
                         "Invalid value \"%.200s\" for \"debug\": unknown context \"%.*s\"; "
                         "expected a comma-separated list of %s",
                         value, (int)(n > 64 ? 64 : n), s, kp_log_debug_words());
            return -1;
        }
        bits |= bit;
        s += n;
    }
    *out = bits;
    return 0;
}

static const char *ctx_name(unsigned ctx) {
    for (size_t i = 0; i < NWORDS; i++)
        if (ctx & (1u << i))
            return words[i];
    return "generic";
}

static const char *level_name(int level) {
    static const char *const names[] = {"EMERG", "ALERT",  "CRIT", "ERROR",
                                        "WARN",  "NOTICE", "INFO", "DEBUG"};
    return level >= 0 && level <= 7 ? names[level] : "?";
}

/* Without a callback only warnings, errors and asked-for traces are
 * written: a program that set nothing should see a refused connection,
 * not a stream of notices. */
static void to_stderr(const kp_log *lg, int level, const char *ctx, const char *msg) {
    if (level > KPROD_LOG_WARNING && level != KPROD_LOG_DEBUG)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf: lines from several threads do not interleave. */
    fprintf(stderr, "%s.%03ldZ kprod[%s] %s %s: %s\n", when, ts.tv_nsec / 1000000L,
            lg->client_id ? lg->client_id : "", level_name(level), ctx, msg);
}

void kp_logf(const kp_log *lg, int level, unsigned ctx, const char *fmt, ...) {
    if (!lg)
        return;
    if (level == KPROD_LOG_DEBUG ? !(lg->debug & ctx) : level > lg->level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A message is one line: a broker's text could carry a newline. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    const char *name = ctx_name(ctx);
    if (lg->cb)
        lg->cb(level, name, msg, lg->opaque);
    else
        to_stderr(lg, level, name, msg);
}
