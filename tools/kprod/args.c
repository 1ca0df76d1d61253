/* Command-line helpers that need nothing of the library (see args.h). */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_err(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The word of argv holding the option getopt_long just rejected, without
 * any "=value": for a long option, and for a short option that ended its
 * word, getopt has already moved optind past it. */
static void option_word(char **argv, char *dst, size_t cap) {
    const char *word = argv[optind - 1];
    size_t n = strcspn(word, "=");
    snprintf(dst, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), word);
}

/* 1 when word ("--name", perhaps abbreviated as getopt allows) is one of
 * opts' long options with this value. */
static int is_long_option(const struct option *opts, const char *word, int val) {
    if (strncmp(word, "--", 2) != 0)
        return 0;
    for (; opts->name; opts++)
        if (opts->val == val && strncmp(opts->name, word + 2, strlen(word + 2)) == 0)
            return 1;
    return 0;
}

int cli_bad_option(const char *cmd, int c, char **argv, const struct option *long_opts) {
    char word[64], name[64];
    option_word(argv, word, sizeof(word));
    if (c == ':') {
        /* A missing argument: the option ended its word. */
        if (strncmp(word, "--", 2) == 0)
            snprintf(name, sizeof(name), "%s", word);
        else
            snprintf(name, sizeof(name), "-%c", optopt);
        cli_err(cmd, "option '%s' needs an argument", name);
    } else if (optopt == 0) {
        cli_err(cmd, "unknown option '%s'", word); /* an unknown long option */
    } else if (optopt >= 128 || is_long_option(long_opts, word, optopt)) {
        cli_err(cmd, "option '%s' takes no argument", word);
    } else {
        cli_err(cmd, "unknown option '-%c'", optopt);
    }
    fprintf(stderr, "Try '%s --help' for the list of options.\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max) {
        cli_err(cmd, "%s '%s': expected a whole number from %ld to %ld", opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cli_unescape(const char *cmd, const char *opt, const char *s, char **out, size_t *len) {
    size_t n = strlen(s);
    char *buf = malloc(n + 1); /* decoding never lengthens */
    if (!buf) {
        cli_err(cmd, "out of memory");
        return -1;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            buf[o++] = s[i];
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'n':
            buf[o++] = '\n';
            break;
        case 't':
            buf[o++] = '\t';
            break;
        case 'r':
            buf[o++] = '\r';
            break;
        case '0':
            buf[o++] = '\0';
            break;
        case '\\':
            buf[o++] = '\\';
            break;
        case 'x': {
            int hi = i + 1 < n ? hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                cli_err(cmd, "%s '%s': \\x needs two hex digits", opt, s);
                free(buf);
                return -1;
            }
            buf[o++] = (char)(hi * 16 + lo);
            i += 2;
            break;
        }
        case '\0':
            cli_err(cmd, "%s '%s': a lone backslash at the end", opt, s);
            free(buf);
            return -1;
        default:
            cli_err(cmd, "%s '%s': unknown escape '\\%c' (use \\n \\t \\r \\0 \\\\ \\xHH)", opt, s,
                    e);
            free(buf);
            return -1;
        }
    }
    buf[o] = '\0';
    *out = buf;
    *len = o;
    return 0;
}
