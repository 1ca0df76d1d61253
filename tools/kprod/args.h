/* Command-line helpers that need nothing of the library, so that
 * bench/rdkafka_perf shares them with the kprod tool: exit codes, getopt
 * error messages, number and escape parsing. Every message starts with the
 * program's full name (cmd: "kprod produce", "rdkafka_perf"). */
#ifndef KPROD_CLI_ARGS_H
#define KPROD_CLI_ARGS_H

#include <getopt.h>
#include <stddef.h>

enum {
    CLI_EXIT_OK = 0,   /* everything done */
    CLI_EXIT_FAIL = 1, /* ran, but something failed (a record, a topic) */
    CLI_EXIT_USAGE = 2 /* bad command line or configuration: nothing sent */
};

/* Prints "CMD: " (the program's full name, as "kprod produce") and the
 * formatted message, then a newline, on stderr. */
void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* After getopt_long returned '?' or ':' (opterr = 0, optstring starting
 * with ':'): names the offending option on stderr (unknown, missing its
 * argument, or given one it does not take) and points to --help.
 * Returns CLI_EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char **argv, const struct option *long_opts);

/* Parses a whole decimal number within [min, max]; 0 on success, -1 (and a
 * message naming the option) otherwise. */
int cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out);

/* Decodes \n \t \r \0 \\ and \xHH in s into a malloc'd buffer (*out,
 * NUL-terminated after *len bytes). 0 on success, -1 with a message (bad
 * escape, or out of memory). */
int cli_unescape(const char *cmd, const char *opt, const char *s, char **out, size_t *len);

#endif
