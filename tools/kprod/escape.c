/* Escaping strings for the terminal and for JSON (see escape.h). */
#include "escape.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The length (1..4) of the valid UTF-8 sequence at p, with its code point
 * in *cp; 0 when the byte at p does not start one (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). p is NUL-terminated, and
 * NUL is never a continuation byte, so nothing is read past the end. */
static int utf8_seq(const unsigned char *p, uint32_t *cp) {
    unsigned char c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int n;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0; /* a continuation byte, 0xc0, 0xc1 or 0xf5..0xff */
    }
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* 1 for the characters escape.h lists: they steer a terminal or the
 * direction and flow of text. */
static int must_escape(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
           cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x2028 || cp == 0x2029;
}

void cli_put_escaped(FILE *f, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int n = utf8_seq(p, &cp);
        if (n > 0 && !must_escape(cp)) {
            if (cp == '\\')
                fputs("\\\\", f);
            else
                fwrite(p, 1, (size_t)n, f);
            p += n;
            continue;
        }
        if (n == 0)
            n = 1; /* a byte outside valid UTF-8: escaped on its own */
        for (int i = 0; i < n; i++, p++) {
            if (*p == '\n')
                fputs("\\n", f);
            else if (*p == '\t')
                fputs("\\t", f);
            else if (*p == '\r')
                fputs("\\r", f);
            else
                fprintf(f, "\\x%02x", *p);
        }
    }
}

void cli_put_json_str(FILE *f, const char *s) {
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int n = utf8_seq(p, &cp);
        if (n == 0) {
            fprintf(f, "\\u%04x", *p); /* the byte's value, read as Latin-1 */
            p++;
        } else if (must_escape(cp)) {
            fprintf(f, "\\u%04x", (unsigned)cp); /* all below U+10000 */
            p += n;
        } else {
            if (cp == '"' || cp == '\\')
                fputc('\\', f);
            fwrite(p, 1, (size_t)n, f);
            p += n;
        }
    }
    fputc('"', f);
}

char *cli_escaped(const char *s) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    cli_put_escaped(f, s);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
