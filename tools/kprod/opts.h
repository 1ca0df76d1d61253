/* Helpers shared by the kprod tool's subcommands: exit codes, getopt error
 * messages, number and escape parsing, and building a kprod_conf_t from
 * -b/-X/-F. The tool uses only the public API (kprod.h); its own non-static
 * names carry the cli_ prefix so they can never clash with the library's. */
#ifndef KPROD_CLI_OPTS_H
#define KPROD_CLI_OPTS_H

#include <getopt.h>
#include <stddef.h>

#include "kprod.h"

enum {
    CLI_EXIT_OK = 0,   /* everything done */
    CLI_EXIT_FAIL = 1, /* ran, but something failed (a record, a topic) */
    CLI_EXIT_USAGE = 2 /* bad command line or configuration: nothing sent */
};

/* Subcommands: argv[0] is the subcommand's name. Return an exit code. */
int cli_produce(int argc, char **argv);
int cli_metadata(int argc, char **argv);
int cli_perf(int argc, char **argv);

/* Prints "kprod CMD: " and the formatted message, then a newline, on
 * stderr. */
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

/* The configuration options every subcommand takes, collected by getopt in
 * command-line order and applied together by cli_conf_build. */
typedef struct cli_conf_args {
    const char *brokers; /* -b; NULL: $KPROD_BROKERS, then whatever -F/-X set */
    const char **files;  /* -F, in order */
    size_t n_files;
    const char **props; /* -X name=value, in order */
    size_t n_props;
} cli_conf_args;

/* Records one -F or -X argument; -1 when out of memory. */
int cli_conf_add_file(cli_conf_args *a, const char *path);
int cli_conf_add_prop(cli_conf_args *a, const char *name_eq_value);
void cli_conf_args_free(cli_conf_args *a);

/* A configuration from the -F files (first, in order), then -b (or
 * $KPROD_BROKERS), then the -X properties in order: the command line wins
 * over files. Every error is printed, with the library's errstr verbatim.
 * NULL on error; *exit_code is then CLI_EXIT_USAGE (or CLI_EXIT_FAIL when
 * out of memory). */
kprod_conf_t *cli_conf_build(const char *cmd, const cli_conf_args *a, int *exit_code);

/* Creates the producer (conf is consumed on success, destroyed on
 * failure). Configuration errors give CLI_EXIT_USAGE, others
 * CLI_EXIT_FAIL. */
kprod_t *cli_producer_new(const char *cmd, kprod_conf_t *conf, int *exit_code);

/* Seconds on a monotonic clock. */
double cli_now(void);

#endif
