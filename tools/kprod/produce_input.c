/* kprod produce's input (see produce_input.h). */
#include "produce_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- splitting a record ---- */

static int is_null(const rec_format *f, const char *p, size_t n) {
    return f->null_marker && f->null_marker_len == n && memcmp(f->null_marker, p, n) == 0;
}

/* Room for n headers in out. */
static int reserve_headers(parsed_rec *out, size_t n) {
    if (n <= out->cap)
        return 0;
    size_t cap = out->cap ? out->cap * 2 : 8;
    while (cap < n)
        cap *= 2;
    kprod_header_t *h = realloc(out->headers, cap * sizeof(*h));
    if (!h)
        return -1;
    out->headers = h;
    out->cap = cap;
    return 0;
}

/* Cuts [*p, *p + *n) at the first sep: the part before it in *part and
 * *part_len, and the rest after it left in *p, *n. 0, or -1 when sep is not
 * there (nothing consumed). */
static int cut(const char **p, size_t *n, const char *sep, size_t sep_len, const char **part,
               size_t *part_len) {
    const char *at = memmem(*p, *n, sep, sep_len);
    if (!at)
        return -1;
    *part = *p;
    *part_len = (size_t)(at - *p);
    *n -= *part_len + sep_len;
    *p = at + sep_len;
    return 0;
}

static int parse_timestamp(const char *p, size_t n, int64_t *out) {
    int64_t v = 0;
    if (n == 0 || n > 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        if (v > (INT64_MAX - (p[i] - '0')) / 10)
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* One header pair of the headers part: NAME headers.key.separator VALUE,
 * pairs cut at headers.separator (Kafka's LineMessageReader). Takes the
 * next pair from [*p, *p + *n); *more says whether another follows. 0, or
 * -1 with why set. */
static int next_pair(const rec_format *f, const char **p, size_t *n, int *more, const char **name,
                     size_t *name_len, const char **value, size_t *value_len, char *why,
                     size_t why_size) {
    const char *pair;
    size_t pair_len;
    *more = cut(p, n, f->hdr_sep, f->hdr_sep_len, &pair, &pair_len) == 0;
    if (!*more) {
        pair = *p;
        pair_len = *n;
    }
    const char *q = pair;
    size_t qn = pair_len;
    *value = NULL;
    *value_len = 0;
    if (cut(&q, &qn, f->hdr_kv_sep, f->hdr_kv_sep_len, name, name_len) == 0) {
        *value = q;
        *value_len = qn;
        if (is_null(f, q, qn))
            *value = NULL, *value_len = 0;
    } else if (f->ignore_error) {
        *name = pair; /* as Kafka: the whole pair names a header with a null value */
        *name_len = pair_len;
    } else {
        snprintf(why, why_size, "no header key separator in the header '%.*s'",
                 (int)(pair_len < 64 ? pair_len : 64), pair);
        return -1;
    }
    if (memchr(*name, '\0', *name_len) || is_null(f, *name, *name_len)) {
        snprintf(why, why_size, "a header name can neither hold a NUL byte nor be the null marker");
        return -1;
    }
    return 0;
}

/* Adds the headers part's headers to out; their names are copied into
 * out->names, as kprod wants them NUL-terminated. Two passes: the first
 * checks and measures, the second copies. */
static int parse_headers(const rec_format *f, const char *p, size_t n, parsed_rec *out, char *why,
                         size_t why_size) {
    if (n == 0 || is_null(f, p, n))
        return 0; /* no headers */
    size_t count = 0, names_len = 0;
    const char *name, *value, *q = p;
    size_t name_len, value_len, qn = n;
    int more = 1;
    while (more) {
        if (next_pair(f, &q, &qn, &more, &name, &name_len, &value, &value_len, why, why_size) != 0)
            return -1;
        count++;
        names_len += name_len + 1;
    }
    if (reserve_headers(out, out->n_headers + count) != 0)
        goto oom;
    if (names_len > out->names_cap) {
        char *nb = realloc(out->names, names_len);
        if (!nb)
            goto oom;
        out->names = nb;
        out->names_cap = names_len;
    }
    char *dst = out->names;
    for (q = p, qn = n, more = 1; more;) {
        next_pair(f, &q, &qn, &more, &name, &name_len, &value, &value_len, why, why_size);
        memcpy(dst, name, name_len);
        dst[name_len] = '\0';
        kprod_header_t *h = &out->headers[out->n_headers++];
        h->name = dst;
        h->value = value;
        h->value_len = value_len;
        dst += name_len + 1;
    }
    return 0;
oom:
    snprintf(why, why_size, "out of memory");
    return -1;
}

int rec_parse(const rec_format *f, const kprod_header_t *fixed, size_t n_fixed, const char *buf,
              size_t len, parsed_rec *out, char *why, size_t why_size) {
    const char *p = buf, *part;
    size_t n = len, part_len;
    out->timestamp_ms = 0;
    out->n_headers = 0;
    if (reserve_headers(out, n_fixed) != 0) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    if (n_fixed)
        memcpy(out->headers, fixed, n_fixed * sizeof(*fixed));
    out->n_headers = n_fixed;

    if (f->ts_delim) {
        if (cut(&p, &n, f->ts_delim, f->ts_delim_len, &part, &part_len) == 0) {
            if (parse_timestamp(part, part_len, &out->timestamp_ms) != 0) {
                snprintf(why, why_size,
                         "the timestamp '%.*s' is not a number of milliseconds since the epoch "
                         "(0 to 9223372036854775807)",
                         (int)(part_len < 32 ? part_len : 32), part);
                return -1;
            }
        } else if (!f->ignore_error) {
            snprintf(why, why_size, "no timestamp delimiter (-T) in the record");
            return -1;
        }
    }
    if (f->parse_headers) {
        if (cut(&p, &n, f->hdr_delim, f->hdr_delim_len, &part, &part_len) == 0) {
            if (parse_headers(f, part, part_len, out, why, why_size) != 0)
                return -1;
        } else if (!f->ignore_error) {
            snprintf(why, why_size, "no headers delimiter in the record (parse.headers=true)");
            return -1;
        }
    }
    out->key = NULL;
    out->key_len = 0;
    if (f->key_delim) {
        if (cut(&p, &n, f->key_delim, f->key_delim_len, &part, &part_len) == 0) {
            out->key = part;
            out->key_len = part_len;
        } else if (f->key_required && !f->ignore_error) {
            snprintf(why, why_size, "no key separator in the record (parse.key=true)");
            return -1;
        }
    } else if (f->fixed_key) {
        out->key = f->fixed_key;
        out->key_len = f->fixed_key_len;
    }
    if (out->key && is_null(f, out->key, out->key_len)) {
        out->key = NULL;
        out->key_len = 0;
    }
    out->value = p;
    out->value_len = n;
    if (is_null(f, p, n)) {
        out->value = NULL;
        out->value_len = 0;
    }
    return 0;
}

void parsed_rec_free(parsed_rec *r) {
    free(r->headers);
    free(r->names);
    memset(r, 0, sizeof(*r));
}

void rec_format_free(rec_format *f) {
    free(f->ts_delim);
    free(f->hdr_delim);
    free(f->hdr_sep);
    free(f->hdr_kv_sep);
    free(f->key_delim);
    free(f->fixed_key);
    free(f->null_marker);
    memset(f, 0, sizeof(*f));
}

/* ---- reading ---- */

#define READ_CHUNK 65536

/* Room for READ_CHUNK more bytes after the unread ones, which move to the
 * front first (not for a whole-input reader: its record starts at 0). */
static int make_room(reader *r) {
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    if (r->cap - r->end >= READ_CHUNK)
        return 0;
    size_t cap = r->cap ? r->cap * 2 : READ_CHUNK;
    while (cap - r->end < READ_CHUNK)
        cap *= 2;
    char *b = realloc(r->buf, cap);
    if (!b) {
        errno = ENOMEM;
        return -1;
    }
    r->buf = b;
    r->cap = cap;
    return 0;
}

int reader_next(reader *r, const char **rec, size_t *len) {
    for (;;) {
        if (r->done)
            return READ_EOF;
        if (r->interrupted && r->interrupted(r->wait_ctx))
            return READ_INTERRUPTED; /* not even the records read already */
        if (!r->delim) {
            if (r->eof) {
                *rec = r->buf ? r->buf : "";
                *len = r->end;
                r->done = 1;
                return READ_RECORD;
            }
        } else {
            const char *at = r->end > r->scan ? memmem(r->buf + r->scan, r->end - r->scan, r->delim,
                                                       r->delim_len)
                                              : NULL;
            if (at || (r->eof && r->start < r->end)) {
                size_t stop = at ? (size_t)(at - r->buf) : r->end;
                *rec = r->buf + r->start;
                *len = stop - r->start;
                r->start = r->scan = at ? stop + r->delim_len : stop;
                return READ_RECORD;
            }
            if (r->eof)
                return READ_EOF;
            /* A delimiter may begin in the last delim_len - 1 bytes. */
            size_t keep = r->delim_len - 1;
            r->scan = r->end - r->start > keep ? r->end - keep : r->start;
        }
        if (make_room(r) != 0)
            return READ_ERROR;
        int w = r->wait ? r->wait(r->wait_ctx, r->fd) : READ_RECORD;
        if (w != READ_RECORD)
            return w;
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n > 0)
            r->end += (size_t)n;
        else if (n == 0)
            r->eof = 1;
        else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return READ_ERROR;
    }
}

void reader_free(reader *r) {
    free(r->buf);
    r->buf = NULL;
    r->cap = r->start = r->end = r->scan = 0;
}
