/* Java .properties parser (see props.h). Two steps per entry: join natural
 * lines into one logical line (comments and continuations are decided on
 * the raw text), then split it into key and value while decoding escapes. */
#include "props.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

static void err_msg(char *errstr, size_t errstr_size, const char *msg) {
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", msg);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the escape at s[*i] == '\\' into out (at *o), advancing both.
 * A \uXXXX becomes UTF-8; surrogates and U+0000 are refused (a C string
 * cannot hold NUL and lone surrogates are not text). */
static int unescape(const char *s, size_t n, size_t *i, char *out, size_t *o, char *errstr,
                    size_t errstr_size) {
    size_t k = *i + 1;
    if (k >= n) { /* a lone backslash at the very end: dropped, as Java does */
        *i = k;
        return 0;
    }
    char c = s[k];
    if (c != 'u') {
        out[(*o)++] = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
        *i = k + 1;
        return 0;
    }
    unsigned cp = 0;
    for (size_t j = 1; j <= 4; j++) {
        int h = k + j < n ? hexval(s[k + j]) : -1;
        if (h < 0) {
            err_msg(errstr, errstr_size, "malformed \\uXXXX escape (needs four hex digits)");
            return -1;
        }
        cp = cp * 16 + (unsigned)h;
    }
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
        err_msg(errstr, errstr_size,
                "unsupported \\uXXXX escape (U+0000 and UTF-16 surrogates are refused; write "
                "the UTF-8 text directly)");
        return -1;
    }
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xC0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*o)++] = (char)(0xE0 | (cp >> 12));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    }
    *i = k + 5;
    return 0;
}

/* Splits a logical line into key and value (each at most n+1 bytes: escapes
 * only shrink the text). */
static int split_entry(const char *s, size_t n, char *key, char *value, char *errstr,
                       size_t errstr_size) {
    size_t i = 0, o = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\\') {
            if (unescape(s, n, &i, key, &o, errstr, errstr_size) != 0)
                return -1;
            continue;
        }
        if (c == '=' || c == ':') {
            i++;
            break;
        }
        if (is_blank(c)) {
            while (i < n && is_blank(s[i]))
                i++;
            if (i < n && (s[i] == '=' || s[i] == ':'))
                i++;
            break;
        }
        key[o++] = c;
        i++;
    }
    key[o] = '\0';
    while (i < n && is_blank(s[i]))
        i++;
    o = 0;
    while (i < n) {
        if (s[i] == '\\') {
            if (unescape(s, n, &i, value, &o, errstr, errstr_size) != 0)
                return -1;
            continue;
        }
        value[o++] = s[i++];
    }
    value[o] = '\0';
    return 0;
}

/* The end of the natural line starting at p (the '\r' or '\n', or end). */
static const char *line_end(const char *p, const char *end) {
    while (p < end && *p != '\n' && *p != '\r')
        p++;
    return p;
}

/* Steps over one line terminator ("\r\n", "\r" or "\n") and counts it. */
static const char *next_line(const char *p, const char *end, int *line) {
    if (p < end) {
        if (*p == '\r' && p + 1 < end && p[1] == '\n')
            p += 2;
        else
            p++;
        (*line)++;
    }
    return p;
}

kprod_err_t kp_props_parse(const char *data, size_t len, kp_props_cb cb, void *opaque,
                           int *err_line, char *errstr, size_t errstr_size) {
    if (memchr(data, '\0', len)) {
        /* Find the line for the message. */
        int line = 1;
        for (const char *q = data; *q; q++)
            line += *q == '\n';
        if (err_line)
            *err_line = line;
        err_msg(errstr, errstr_size, "NUL byte in a properties file");
        return KPROD_ERR__INVALID_CONFIG;
    }
    const char *p = data, *end = data + len;
    /* A UTF-8 byte-order mark (editors on Windows write one) is not part
     * of the first key: skipped, or the first entry would be an unknown
     * property whose name looks right. */
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    int line = 1;
    char *buf = NULL, *key = NULL, *value = NULL;
    size_t cap = 0;
    kprod_err_t err = KPROD_ERR_NO_ERROR;

    while (p < end) {
        while (p < end && is_blank(*p))
            p++;
        const char *e = line_end(p, end);
        if (p == e || *p == '#' || *p == '!') { /* blank line or comment */
            p = next_line(e, end, &line);
            continue;
        }
        int start_line = line;
        size_t n = 0;
        for (;;) {
            size_t seg = (size_t)(e - p);
            size_t backslashes = 0;
            while (backslashes < seg && p[seg - 1 - backslashes] == '\\')
                backslashes++;
            int cont = backslashes % 2 == 1;
            if (cont)
                seg--; /* the continuation backslash itself */
            if (n + seg + 1 > cap) {
                size_t ncap = (n + seg + 1) * 2;
                char *nb = realloc(buf, ncap);
                if (!nb) {
                    err = KPROD_ERR__NO_MEMORY;
                    err_msg(errstr, errstr_size, "out of memory");
                    goto done;
                }
                buf = nb;
                cap = ncap;
            }
            memcpy(buf + n, p, seg);
            n += seg;
            p = next_line(e, end, &line);
            if (!cont || p >= end)
                break;
            while (p < end && is_blank(*p))
                p++;
            e = line_end(p, end);
        }
        buf[n] = '\0';
        free(key);
        free(value);
        key = malloc(n + 1);
        value = malloc(n + 1);
        if (!key || !value) {
            err = KPROD_ERR__NO_MEMORY;
            err_msg(errstr, errstr_size, "out of memory");
            if (err_line)
                *err_line = start_line;
            goto done;
        }
        if (split_entry(buf, n, key, value, errstr, errstr_size) != 0) {
            err = KPROD_ERR__INVALID_CONFIG;
            if (err_line)
                *err_line = start_line;
            goto done;
        }
        err = cb(key, value, start_line, opaque);
        if (err) {
            if (err_line)
                *err_line = start_line;
            goto done;
        }
    }
done:
    free(buf);
    free(key);
    free(value);
    return err;
}
