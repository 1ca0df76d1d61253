/* Helpers shared by the kprod tool's subcommands: building a kprod_conf_t
 * from -b/-X/-F and the producer from it (messages, numbers and escapes
 * are in args.h). The tool uses only the public API (kprod.h); its own non-static
 * names carry the cli_ prefix so they can never clash with the library's. */
#ifndef KPROD_CLI_OPTS_H
#define KPROD_CLI_OPTS_H

#include <getopt.h>
#include <stddef.h>

#include "args.h"
#include "kprod.h"

/* Subcommands: argv[0] is the subcommand's name. Return an exit code. */
int cli_produce(int argc, char **argv);
int cli_metadata(int argc, char **argv);
int cli_perf(int argc, char **argv);

/* The configuration options every subcommand takes, collected by getopt in
 * command-line order and applied together by cli_conf_build. */
typedef struct cli_conf_args {
    const char *brokers; /* -b; NULL: $KPROD_BROKERS, then whatever -F/-X set */
    const char **files;  /* -F, in order */
    size_t n_files;
    const char **props; /* -X name=value, in order */
    size_t n_props;
    int verbosity;     /* -q: -1 (errors only), 0 (and warnings), -v: 1 (and info) */
    const char *debug; /* -d CONTEXTS: the debug property; NULL none */
} cli_conf_args;

/* Records one -F or -X argument; -1 when out of memory. */
int cli_conf_add_file(cli_conf_args *a, const char *path);
int cli_conf_add_prop(cli_conf_args *a, const char *name_eq_value);
void cli_conf_args_free(cli_conf_args *a);

/* A configuration from the -F files (first, in order), then -b (or
 * $KPROD_BROKERS), then -v/-q's log_level and -d's debug, then the -X
 * properties in order: the command line wins over files, -X over -v/-q/-d.
 * The library's log lines go to stderr as "kprod: LEVEL ctx: text",
 * escaped, filtered by verbosity (debug traces always, when asked for). Every error is printed,
 * with the library's errstr verbatim. NULL on error; *exit_code is then CLI_EXIT_USAGE (or
 * CLI_EXIT_FAIL when out of memory). */
kprod_conf_t *cli_conf_build(const char *cmd, const cli_conf_args *a, int *exit_code);

/* The --help text of -v, -q (with what -q also does in the command, in
 * its own words) and -d: indented by 4, ends with a newline. */
#define CLI_LOG_OPTS_HELP                                                                          \
    "    -v, --verbose\n"                                                                          \
    "        Also print the library's info lines (connections coming back, the\n"                  \
    "        producer id, configuration notes). Default: warnings and errors.\n"                   \
    "    -d, --debug CONTEXTS\n"                                                                   \
    "        Print the library's debug traces of CONTEXTS, comma-separated:\n"                     \
    "        generic, broker, protocol, metadata, msg, idempotence, security,\n"                   \
    "        txn, recovery, conf, or all (the debug property). Default: none.\n"

/* Creates the producer (conf is consumed on success, destroyed on
 * failure). Configuration errors give CLI_EXIT_USAGE, others
 * CLI_EXIT_FAIL. */
kprod_t *cli_producer_new(const char *cmd, kprod_conf_t *conf, int *exit_code);

/* Seconds on a monotonic clock. */
double cli_now(void);

#endif
