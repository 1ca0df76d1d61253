/* kprod: the command-line tool. Dispatches to a subcommand (produce,
 * metadata, perf, verify); each lives in its own file and uses only the
 * public API, except verify's reader (verify_read.h: the library has no
 * consumer). */
#include <stdio.h>
#include <string.h>

#include "kprod.h"
#include "opts.h"

static const char usage_text[] =
    "NAME\n"
    "    kprod - send records to Apache Kafka and inspect a cluster\n"
    "\n"
    "SYNOPSIS\n"
    "    kprod COMMAND [OPTIONS] [ARGS...]\n"
    "    kprod COMMAND --help\n"
    "    kprod --help | --version\n"
    "\n"
    "COMMANDS\n"
    "    produce     send records read from standard input or files, one per line\n"
    "    metadata    print the cluster's brokers, topics, partitions and leaders\n"
    "    perf        measure the producer: throughput, latency, CPU, memory\n"
    "    verify      prove that a stamped run arrived exactly once and in order\n"
    "\n"
    "OPTIONS\n"
    "    -h, --help     print this help and exit\n"
    "    -V, --version  print the tool's and the library's version and exit\n"
    "\n"
    "Each command has its own options: 'kprod COMMAND --help'.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  success;  1  something failed (a record, a topic);\n"
    "    2  bad command line or configuration (nothing was sent)\n"
    "\n"
    "ENVIRONMENT\n"
    "    KPROD_BROKERS  bootstrap servers used when -b is not given\n";

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs("kprod: no command given\n"
              "Usage: kprod COMMAND [OPTIONS] [ARGS...]   (COMMAND: produce, metadata, perf, "
              "verify)\n"
              "Try 'kprod --help' for more information.\n",
              stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            /* "kprod help produce" is "kprod produce --help". */
            char *sub[] = {argv[2], "--help", NULL};
            if (strcmp(argv[2], "produce") == 0)
                return cli_produce(2, sub);
            if (strcmp(argv[2], "metadata") == 0)
                return cli_metadata(2, sub);
            if (strcmp(argv[2], "perf") == 0)
                return cli_perf(2, sub);
            if (strcmp(argv[2], "verify") == 0)
                return cli_verify(2, sub);
            fprintf(stderr, "kprod: unknown command '%s'; see 'kprod --help'\n", argv[2]);
            return CLI_EXIT_USAGE;
        }
        fputs(usage_text, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("kprod %s (library %s)\n", KPROD_VERSION_STR, kprod_version());
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "produce") == 0)
        return cli_produce(argc - 1, argv + 1);
    if (strcmp(cmd, "metadata") == 0)
        return cli_metadata(argc - 1, argv + 1);
    if (strcmp(cmd, "perf") == 0)
        return cli_perf(argc - 1, argv + 1);
    if (strcmp(cmd, "verify") == 0)
        return cli_verify(argc - 1, argv + 1);
    if (cmd[0] == '-')
        fprintf(stderr, "kprod: unknown option '%s'; see 'kprod --help'\n", cmd);
    else
        fprintf(stderr, "kprod: unknown command '%s'; see 'kprod --help'\n", cmd);
    return CLI_EXIT_USAGE;
}
