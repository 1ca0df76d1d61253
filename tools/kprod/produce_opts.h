/* kprod produce's command line: its options, their checks and --help.
 * produce.c runs what they ask for. */
#ifndef KPROD_CLI_PRODUCE_OPTS_H
#define KPROD_CLI_PRODUCE_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "opts.h"
#include "produce_input.h"

#define PRODUCE_CMD "kprod produce"

typedef struct produce_opts {
    cli_conf_args conf; /* -b -X -F */
    const char *topic;  /* -t */
    int32_t partition;  /* -p; KPROD_PARTITION_ANY */
    char *delim;        /* -D: the record delimiter (one or more bytes) */
    size_t delim_len;
    int whole_files;         /* -w: each input is one record */
    rec_format fmt;          /* -T, -K, -k, --null-marker, --reader-property */
    kprod_header_t *headers; /* -H; names are malloc'd copies */
    size_t n_headers;
    long max_records;   /* -c; 0: every record of the input */
    int print_offsets;  /* --print-offsets */
    int stamp;          /* --stamp (or --run): a kprod-stamp header (stamp.h) */
    const char *run;    /* --run; NULL: a fresh run id */
    int quiet;          /* -q */
    long stats_ms;      /* --stats-interval; 0: none */
    const char *txn_id; /* --transactional-id: sets transactional.id */
    long txn_records;   /* --transaction-records: records per transaction; 0 all in one */
    char **inputs;      /* FILE arguments; none: standard input */
    int n_inputs;
} produce_opts;

/* Parses the command line into o (zeroed by the caller). Returns -1 to go
 * on, else the exit code (help printed, or an error printed). */
int produce_parse_args(int argc, char **argv, produce_opts *o);
void produce_opts_free(produce_opts *o);

#endif
