/* The configuration object behind the public kprod_conf_* API, and
 * kp_conf_resolve, which turns it into the kp_config the producer reads.
 *
 * A conf holds, per property of the table (config_table.c), its value as
 * text (what kprod_conf_get returns), the parsed number (integers, booleans,
 * enum indexes) and whether the user set it. Values are validated when set,
 * so a conf never holds a bad single value; rules between properties wait
 * for kp_conf_resolve because the order of kprod_conf_set calls must not
 * matter. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_security.h"
#include "config_table.h"
#include "props.h"

struct kprod_conf_s {
    char *text[KP_P__COUNT];        /* current value; NULL = null (no value) */
    int64_t num[KP_P__COUNT];       /* parsed: integer, 0/1, enum index */
    unsigned char set[KP_P__COUNT]; /* 1 when the user set it (directly or by alias) */
    kprod_serializer_cb key_ser;
    void *key_ser_opaque;
    kprod_serializer_cb value_ser;
    void *value_ser_opaque;
    kprod_partitioner_cb partitioner;
    void *partitioner_opaque;
    kprod_delivery_cb dr_cb;
    void *dr_opaque;
    kprod_log_cb log_cb;
    void *log_opaque;
    kprod_oauthbearer_token_cb token_cb;
    void *token_opaque;
    kprod_error_cb error_cb;
    void *error_opaque;
    kprod_stats_cb stats_cb;
    void *stats_opaque;
};

static void errf(char *errstr, size_t errstr_size, const char *fmt, ...) {
    if (!errstr || !errstr_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}

static char *dupstr(const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

KPROD_API kprod_conf_t *kprod_conf_new(void) {
    kprod_conf_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    for (int i = 0; i < KP_P__COUNT; i++) {
        const kp_conf_prop *p = &kp_conf_props[i];
        if (!p->defval)
            continue;
        /* Defaults go through the same parser as user values; the unit test
         * makes sure each one passes. */
        if (kp_conf_parse_value(p, p->defval, &c->num[i], NULL, 0) != 0 ||
            !(c->text[i] = dupstr(p->defval))) {
            kprod_conf_destroy(c);
            return NULL;
        }
    }
    return c;
}

/* Frees a value, wiping it first when it is a secret. */
static void free_value(kp_conf_id id, char *v) {
    if (v && kp_conf_props[id].secret)
        explicit_bzero(v, strlen(v));
    free(v);
}

KPROD_API void kprod_conf_destroy(kprod_conf_t *conf) {
    if (!conf)
        return;
    for (int i = 0; i < KP_P__COUNT; i++)
        free_value((kp_conf_id)i, conf->text[i]);
    free(conf);
}

KPROD_API kprod_conf_t *kprod_conf_dup(const kprod_conf_t *conf) {
    if (!conf)
        return NULL;
    kprod_conf_t *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    *c = *conf;
    for (int i = 0; i < KP_P__COUNT; i++) {
        c->text[i] = NULL;
        if (conf->text[i] && !(c->text[i] = dupstr(conf->text[i]))) {
            kprod_conf_destroy(c);
            return NULL;
        }
    }
    return c;
}

/* Trims the blanks Java's ConfigDef trims too: "acks = all" in a file and
 * " all" from code mean the same. Returns a new string. */
static char *trimmed_copy(const char *v) {
    while (isspace((unsigned char)*v))
        v++;
    size_t n = strlen(v);
    while (n > 0 && isspace((unsigned char)v[n - 1]))
        n--;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, v, n);
        d[n] = '\0';
    }
    return d;
}

/* Rewrites an alias's value into the target property's terms: sets *out to
 * a new string (NULL when out of memory) and returns 0, or returns -1 with
 * errstr set when the value is bad in the alias's own terms. */
static int convert_alias(const kp_conf_alias *a, const char *v, char **out, char *errstr,
                         size_t errstr_size) {
    const kp_conf_prop *t = &kp_conf_props[a->target];
    char buf[32];
    if (a->conv == KP_CONV_KBYTES) {
        /* Validate as a number of KiB so the message speaks the alias's unit. */
        kp_conf_prop kb = {a->name, KP_CONF_LONG, NULL, t->min / 1024, t->max / 1024,
                           NULL,    NULL,         NULL, NULL,          0};
        int64_t n;
        if (kp_conf_parse_value(&kb, v, &n, errstr, errstr_size) != 0)
            return -1;
        snprintf(buf, sizeof(buf), "%lld", (long long)(n * 1024));
        v = buf;
    } else if (a->conv == KP_CONV_ZERO_IS_MAX && strcmp(v, "0") == 0) {
        snprintf(buf, sizeof(buf), "%lld", (long long)t->max);
        v = buf;
    }
    *out = dupstr(v);
    return 0;
}

KPROD_API kprod_err_t kprod_conf_set(kprod_conf_t *conf, const char *name, const char *value,
                                     char *errstr, size_t errstr_size) {
    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (!conf || !name || !value) {
        errf(errstr, errstr_size, "kprod_conf_set: conf, name and value must not be NULL");
        return KPROD_ERR__INVALID_ARG;
    }
    kp_conf_id id;
    const kp_conf_alias *alias;
    if (kp_conf_find(name, &id, &alias) != 0) {
        const char *why = kp_conf_unsupported_why(name);
        const char *near = kp_conf_suggest(name);
        if (why)
            errf(errstr, errstr_size, "Unsupported property \"%s\": %s", name, why);
        else if (near)
            errf(errstr, errstr_size, "Unknown property \"%s\"; did you mean \"%s\"?", name, near);
        else
            errf(errstr, errstr_size, "Unknown property \"%s\"", name);
        return KPROD_ERR__UNKNOWN_PROPERTY;
    }
    const kp_conf_prop *p = &kp_conf_props[id];
    char *v = trimmed_copy(value);
    if (v && alias) {
        char *conv = NULL;
        int r = convert_alias(alias, v, &conv, errstr, errstr_size);
        free_value(id, v);
        if (r != 0)
            return KPROD_ERR__INVALID_CONFIG;
        v = conv;
    }
    if (!v) {
        errf(errstr, errstr_size, "Out of memory setting \"%s\"", name);
        return KPROD_ERR__NO_MEMORY;
    }
    int64_t num;
    if (kp_conf_parse_value(p, v, &num, errstr, errstr_size) != 0) {
        if (alias && errstr && errstr_size) {
            size_t n = strlen(errstr);
            snprintf(errstr + n, errstr_size - n, " (set as \"%s\")", alias->name);
        }
        free_value(id, v);
        return KPROD_ERR__INVALID_CONFIG;
    }
    free_value(id, conf->text[id]);
    conf->text[id] = v;
    conf->num[id] = num;
    conf->set[id] = 1;
    return KPROD_ERR_NO_ERROR;
}

KPROD_API kprod_err_t kprod_conf_get(const kprod_conf_t *conf, const char *name, char *dst,
                                     size_t dst_size) {
    if (!conf || !name)
        return KPROD_ERR__INVALID_ARG;
    kp_conf_id id;
    const kp_conf_alias *alias;
    if (kp_conf_find(name, &id, &alias) != 0)
        return KPROD_ERR__UNKNOWN_PROPERTY;
    char buf[32];
    const char *v = conf->text[id] ? conf->text[id] : "";
    if (kp_conf_props[id].secret && *v)
        v = "[hidden]"; /* as Java prints a Password */
    else if (alias && alias->conv == KP_CONV_KBYTES) {
        snprintf(buf, sizeof(buf), "%lld", (long long)(conf->num[id] / 1024));
        v = buf;
    }
    if (dst && dst_size)
        snprintf(dst, dst_size, "%s", v);
    return KPROD_ERR_NO_ERROR;
}

KPROD_API void kprod_conf_set_key_serializer(kprod_conf_t *conf, kprod_serializer_cb cb,
                                             void *opaque) {
    if (!conf)
        return;
    conf->key_ser = cb;
    conf->key_ser_opaque = opaque;
}

KPROD_API void kprod_conf_set_value_serializer(kprod_conf_t *conf, kprod_serializer_cb cb,
                                               void *opaque) {
    if (!conf)
        return;
    conf->value_ser = cb;
    conf->value_ser_opaque = opaque;
}

KPROD_API void kprod_conf_set_partitioner(kprod_conf_t *conf, kprod_partitioner_cb cb,
                                          void *opaque) {
    if (!conf)
        return;
    conf->partitioner = cb;
    conf->partitioner_opaque = opaque;
}

KPROD_API void kprod_conf_set_delivery_cb(kprod_conf_t *conf, kprod_delivery_cb cb,
                                          void *cb_opaque) {
    if (!conf)
        return;
    conf->dr_cb = cb;
    conf->dr_opaque = cb_opaque;
}

KPROD_API void kprod_conf_set_oauthbearer_token_cb(kprod_conf_t *conf,
                                                   kprod_oauthbearer_token_cb cb, void *opaque) {
    if (!conf)
        return;
    conf->token_cb = cb;
    conf->token_opaque = opaque;
}

KPROD_API void kprod_conf_set_log_cb(kprod_conf_t *conf, kprod_log_cb cb, void *opaque) {
    if (!conf)
        return;
    conf->log_cb = cb;
    conf->log_opaque = opaque;
}

KPROD_API void kprod_conf_set_error_cb(kprod_conf_t *conf, kprod_error_cb cb, void *opaque) {
    if (!conf)
        return;
    conf->error_cb = cb;
    conf->error_opaque = opaque;
}

KPROD_API void kprod_conf_set_stats_cb(kprod_conf_t *conf, kprod_stats_cb cb, void *opaque) {
    if (!conf)
        return;
    conf->stats_cb = cb;
    conf->stats_opaque = opaque;
}

/* ---- properties files ---- */

typedef struct load_ctx {
    kprod_conf_t *conf;
    char msg[512];
} load_ctx;

static kprod_err_t load_entry(const char *key, const char *value, int line, void *opaque) {
    (void)line;
    load_ctx *ctx = opaque;
    return kprod_conf_set(ctx->conf, key, value, ctx->msg, sizeof(ctx->msg));
}

/* Largest properties file read; real ones are a few KiB. */
#define MAX_PROPS_FILE (4 * 1024 * 1024)

/* The file is applied to a copy, which replaces conf only when every line
 * was good: a bad file leaves conf as it was. */
KPROD_API kprod_err_t kprod_conf_load_file(kprod_conf_t *conf, const char *path, char *errstr,
                                           size_t errstr_size) {
    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (!conf || !path) {
        errf(errstr, errstr_size, "kprod_conf_load_file: conf and path must not be NULL");
        return KPROD_ERR__INVALID_ARG;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        errf(errstr, errstr_size, "%s: cannot open: %s", path, strerror(errno));
        return KPROD_ERR__INVALID_ARG;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    int too_big = 0, oom = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_PROPS_FILE) {
                too_big = 1;
                break;
            }
            size_t ncap = cap ? cap * 2 : 4096;
            char *nd = realloc(data, ncap);
            if (!nd) {
                oom = 1;
                break;
            }
            data = nd;
            cap = ncap;
        }
        size_t r = fread(data + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (oom || rerr || too_big) {
        free(data);
        if (oom)
            errf(errstr, errstr_size, "%s: out of memory", path);
        else
            errf(errstr, errstr_size,
                 rerr ? "%s: read error" : "%s: 4 MiB or larger; not a properties file?", path);
        return oom ? KPROD_ERR__NO_MEMORY : KPROD_ERR__INVALID_ARG;
    }
    load_ctx ctx = {kprod_conf_dup(conf), {0}};
    if (!ctx.conf) {
        free(data);
        errf(errstr, errstr_size, "%s: out of memory", path);
        return KPROD_ERR__NO_MEMORY;
    }
    int line = 0;
    kprod_err_t err =
        kp_props_parse(data ? data : "", len, load_entry, &ctx, &line, ctx.msg, sizeof(ctx.msg));
    free(data);
    if (err) {
        errf(errstr, errstr_size, "%s:%d: %s", path, line, ctx.msg);
        kprod_conf_destroy(ctx.conf);
        return err;
    }
    kprod_conf_t old = *conf;
    *conf = *ctx.conf;
    *ctx.conf = old;
    kprod_conf_destroy(ctx.conf);
    return KPROD_ERR_NO_ERROR;
}

/* ---- resolving ---- */

/* Appends one sentence to *notes (a heap string, lines separated by '\n').
 * Out of memory only loses the note. */
static void note(char **notes, const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    size_t old = *notes ? strlen(*notes) : 0;
    char *n = realloc(*notes, old + strlen(line) + 2);
    if (!n)
        return;
    if (old)
        n[old++] = '\n';
    strcpy(n + old, line);
    *notes = n;
}

/* One warning for each Java property that is set but not acted on, unless
 * set to its inert value (see kp_conf_prop.not_applied). */
static void note_not_applied(const kprod_conf_t *c, char **notes) {
    for (int i = 0; i < KP_P__COUNT; i++) {
        const char *inert, *why = kp_conf_not_applied((kp_conf_id)i, &inert);
        const char *v = c->text[i] ? c->text[i] : "";
        if (!why || !c->set[i] || (inert && strcasecmp(v, inert) == 0))
            continue;
        note(notes, "%s=%.60s%s is accepted but not applied: %s", kp_conf_props[i].name, v,
             strlen(v) > 60 ? "..." : "", why);
    }
}

/* "a:1 , b:2" -> "a:1,b:2" (entries were validated when set). */
static char *normalize_list(const char *s) {
    char *d = malloc(strlen(s) + 1), *o = d;
    if (!d)
        return NULL;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            *o++ = *s;
    *o = '\0';
    return d;
}

static atomic_int client_id_seq = 1;

static const char *const acks_text[] = {"all", "-1", "0", "1"};

/* Java's postProcessAndValidateIdempotenceConfigs (Kafka 4.x), except that
 * max.in.flight > 5 is refused only while idempotence stays on (Java 4.x
 * also refuses it when acks or retries have just turned idempotence off).
 * Returns NO_ERROR or _CONFLICTING_CONFIG. */
static kprod_err_t resolve_idempotence(const kprod_conf_t *c, kp_config *o, char *errstr,
                                       size_t errstr_size) {
    int explicit_idem = c->set[KP_P_ENABLE_IDEMPOTENCE];
    const char *ackstr = acks_text[c->num[KP_P_ACKS]];
    o->enable_idempotence = (int)c->num[KP_P_ENABLE_IDEMPOTENCE];
    if (o->enable_idempotence && o->retries == 0) {
        if (explicit_idem) {
            errf(errstr, errstr_size,
                 "enable.idempotence=true requires retries > 0, but retries=0: set retries > 0 "
                 "or enable.idempotence=false");
            return KPROD_ERR__CONFLICTING_CONFIG;
        }
        note(&o->notes, "Idempotence disabled because retries=0");
        o->enable_idempotence = 0;
    }
    if (o->enable_idempotence && o->acks != -1) {
        if (explicit_idem) {
            errf(errstr, errstr_size,
                 "enable.idempotence=true requires acks=all, but acks=%s: set acks=all or "
                 "enable.idempotence=false",
                 ackstr);
            return KPROD_ERR__CONFLICTING_CONFIG;
        }
        note(&o->notes, "Idempotence disabled because acks=%s, not all", ackstr);
        o->enable_idempotence = 0;
    }
    if (o->enable_idempotence && o->max_in_flight > 5) {
        errf(errstr, errstr_size,
             "max.in.flight.requests.per.connection=%d is more than the 5 the idempotent "
             "producer allows (enable.idempotence=true%s): set it to at most 5 or set "
             "enable.idempotence=false",
             o->max_in_flight, explicit_idem ? "" : " by default");
        return KPROD_ERR__CONFLICTING_CONFIG;
    }
    if (c->text[KP_P_TRANSACTIONAL_ID] && !o->enable_idempotence) {
        errf(errstr, errstr_size,
             "transactional.id requires idempotence, but enable.idempotence is off%s",
             explicit_idem ? "" : " (because of acks or retries)");
        return KPROD_ERR__CONFLICTING_CONFIG;
    }
    return KPROD_ERR_NO_ERROR;
}

static int compression_level(const kprod_conf_t *c, int codec) {
    switch (codec) {
    case KP_CODEC_GZIP:
        return (int)c->num[KP_P_COMPRESSION_GZIP_LEVEL];
    case KP_CODEC_LZ4:
        return (int)c->num[KP_P_COMPRESSION_LZ4_LEVEL];
    case KP_CODEC_ZSTD:
        return (int)c->num[KP_P_COMPRESSION_ZSTD_LEVEL];
    default:
        return 0;
    }
}

kprod_err_t kp_conf_resolve(const kprod_conf_t *c, kp_config *o, char *errstr, size_t errstr_size) {
    memset(o, 0, sizeof(*o));
    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (!c) {
        errf(errstr, errstr_size, "kp_conf_resolve: conf is NULL");
        return KPROD_ERR__INVALID_ARG;
    }
    const int64_t *v = c->num;
    kprod_err_t err = KPROD_ERR__NO_MEMORY;

    o->bootstrap_servers = normalize_list(c->text[KP_P_BOOTSTRAP_SERVERS]);
    if (!o->bootstrap_servers)
        goto fail;
    if (!o->bootstrap_servers[0]) {
        errf(errstr, errstr_size, "bootstrap.servers is required: host:port[,host:port...]");
        err = KPROD_ERR__INVALID_CONFIG;
        goto fail;
    }

    o->acks = v[KP_P_ACKS] <= 1 ? -1 : (int)v[KP_P_ACKS] - 2; /* all, -1, 0, 1 */
    o->retries = (int32_t)v[KP_P_RETRIES];
    o->retry_backoff_ms = v[KP_P_RETRY_BACKOFF_MS];
    o->retry_backoff_max_ms = v[KP_P_RETRY_BACKOFF_MAX_MS];
    o->delivery_timeout_ms = v[KP_P_DELIVERY_TIMEOUT_MS];
    o->request_timeout_ms = v[KP_P_REQUEST_TIMEOUT_MS];
    o->linger_ms = v[KP_P_LINGER_MS];
    o->batch_size = (int32_t)v[KP_P_BATCH_SIZE];
    o->buffer_memory = v[KP_P_BUFFER_MEMORY];
    o->max_block_ms = v[KP_P_MAX_BLOCK_MS];
    o->max_request_size = (int32_t)v[KP_P_MAX_REQUEST_SIZE];
    o->receive_message_max_bytes = (int32_t)v[KP_P_RECEIVE_MESSAGE_MAX_BYTES];
    o->max_in_flight = (int)v[KP_P_MAX_IN_FLIGHT];
    o->compression_type = (kp_codec)v[KP_P_COMPRESSION_TYPE];
    o->compression_level = compression_level(c, o->compression_type);
    o->partitioner_ignore_keys = (int)v[KP_P_PARTITIONER_IGNORE_KEYS];
    o->metadata_max_age_ms = v[KP_P_METADATA_MAX_AGE_MS];
    o->reconnect_backoff_ms = v[KP_P_RECONNECT_BACKOFF_MS];
    o->reconnect_backoff_max_ms = v[KP_P_RECONNECT_BACKOFF_MAX_MS];
    o->socket_connection_setup_timeout_ms = v[KP_P_SOCKET_SETUP_TIMEOUT_MS];
    o->socket_connection_setup_timeout_max_ms = v[KP_P_SOCKET_SETUP_TIMEOUT_MAX_MS];
    o->connections_max_idle_ms = v[KP_P_CONNECTIONS_MAX_IDLE_MS];
    o->transaction_timeout_ms = v[KP_P_TRANSACTION_TIMEOUT_MS];
    o->delivery_thread = v[KP_P_DELIVERY_REPORT_MODE] == 1;
    o->dns_canonical_bootstrap = v[KP_P_CLIENT_DNS_LOOKUP] == 1;
    o->send_buffer_bytes = (int32_t)v[KP_P_SEND_BUFFER_BYTES];
    o->receive_buffer_bytes = (int32_t)v[KP_P_RECEIVE_BUFFER_BYTES];
    note_not_applied(c, &o->notes);

    err = resolve_idempotence(c, o, errstr, errstr_size);
    if (err)
        goto fail;

    /* KafkaProducer.configureDeliveryTimeout: linger.ms is capped to an int
     * there, and so is the sum. */
    int64_t linger = o->linger_ms < INT32_MAX ? o->linger_ms : INT32_MAX;
    int64_t floor = linger + o->request_timeout_ms;
    if (floor > INT32_MAX)
        floor = INT32_MAX;
    if (o->delivery_timeout_ms < floor) {
        if (c->set[KP_P_DELIVERY_TIMEOUT_MS]) {
            errf(errstr, errstr_size,
                 "delivery.timeout.ms=%lld must be at least linger.ms + request.timeout.ms "
                 "(%lld + %lld = %lld)",
                 (long long)o->delivery_timeout_ms, (long long)o->linger_ms,
                 (long long)o->request_timeout_ms, (long long)floor);
            err = KPROD_ERR__CONFLICTING_CONFIG;
            goto fail;
        }
        note(&o->notes, "delivery.timeout.ms raised to linger.ms + request.timeout.ms = %lld",
             (long long)floor);
        o->delivery_timeout_ms = floor;
    }

    /* CommonClientConfigs: reconnect.backoff.ms alone means a fixed backoff;
     * a base above its max means a static backoff at the max. */
    if (c->set[KP_P_RECONNECT_BACKOFF_MS] && !c->set[KP_P_RECONNECT_BACKOFF_MAX_MS])
        o->reconnect_backoff_max_ms = o->reconnect_backoff_ms;
    if (o->reconnect_backoff_ms > o->reconnect_backoff_max_ms)
        o->reconnect_backoff_ms = o->reconnect_backoff_max_ms;
    if (o->retry_backoff_ms > o->retry_backoff_max_ms) {
        note(&o->notes, "retry.backoff.ms is above retry.backoff.max.ms: a static %lld ms is used",
             (long long)o->retry_backoff_max_ms);
        o->retry_backoff_ms = o->retry_backoff_max_ms;
    }
    if (o->socket_connection_setup_timeout_ms > o->socket_connection_setup_timeout_max_ms)
        o->socket_connection_setup_timeout_ms = o->socket_connection_setup_timeout_max_ms;

    err = KPROD_ERR__NO_MEMORY;
    if (c->text[KP_P_TRANSACTIONAL_ID] &&
        !(o->transactional_id = dupstr(c->text[KP_P_TRANSACTIONAL_ID])))
        goto fail;
    kp_conf_view view = {c->text, c->num, c->set, c->token_cb, c->token_opaque};
    err = kp_conf_resolve_security(&view, o, errstr, errstr_size);
    if (err)
        goto fail_quiet;
    err = KPROD_ERR__NO_MEMORY;
    if (c->set[KP_P_CLIENT_ID]) {
        o->client_id = dupstr(c->text[KP_P_CLIENT_ID]);
    } else {
        /* ProducerConfig.maybeOverrideClientId */
        char buf[300];
        if (o->transactional_id)
            snprintf(buf, sizeof(buf), "producer-%.280s", o->transactional_id);
        else
            snprintf(buf, sizeof(buf), "producer-%d", atomic_fetch_add(&client_id_seq, 1));
        o->client_id = dupstr(buf);
    }
    if (!o->client_id)
        goto fail;

    o->key_serializer = c->key_ser ? KP_SER_USER : (kp_ser_kind)v[KP_P_KEY_SERIALIZER];
    o->value_serializer = c->value_ser ? KP_SER_USER : (kp_ser_kind)v[KP_P_VALUE_SERIALIZER];
    o->key_serializer_cb = c->key_ser;
    o->key_serializer_opaque = c->key_ser_opaque;
    o->value_serializer_cb = c->value_ser;
    o->value_serializer_opaque = c->value_ser_opaque;
    o->partitioner_cb = c->partitioner;
    o->partitioner_opaque = c->partitioner_opaque;
    o->delivery_cb = c->dr_cb;
    o->delivery_cb_opaque = c->dr_opaque;
    o->log.level = (int)v[KP_P_LOG_LEVEL];
    o->log.debug = (unsigned)v[KP_P_DEBUG];
    o->log.cb = c->log_cb;
    o->log.opaque = c->log_opaque;
    o->log.client_id = o->client_id;
    o->error_cb = c->error_cb;
    o->error_opaque = c->error_opaque;
    o->stats_cb = c->stats_cb;
    o->stats_opaque = c->stats_opaque;
    o->statistics_interval_ms = v[KP_P_STATISTICS_INTERVAL_MS];
    return KPROD_ERR_NO_ERROR;

fail:
    if (err == KPROD_ERR__NO_MEMORY)
        errf(errstr, errstr_size, "Out of memory resolving the configuration");
fail_quiet:
    kp_config_free(o);
    return err;
}

void kp_config_free(kp_config *c) {
    if (!c)
        return;
    free(c->bootstrap_servers);
    free(c->client_id);
    free(c->transactional_id);
    kp_config_security_free(c);
    free(c->notes);
    memset(c, 0, sizeof(*c));
}
