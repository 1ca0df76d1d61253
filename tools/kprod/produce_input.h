/* kprod produce's input: reading records out of a stream (cut at a
 * delimiter of one or more bytes, or a whole file as one record) and
 * splitting each record into timestamp, headers, key and value the way the
 * command line asks (-T, Kafka's console producer's parse.headers and
 * parse.key, -K, -k, --null-marker). Needs nothing of the library beyond
 * its header type; the reader's waiting is the caller's (see reader_wait). */
#ifndef KPROD_CLI_PRODUCE_INPUT_H
#define KPROD_CLI_PRODUCE_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"

/* How a record's bytes become a Kafka record, in this order:
 *   [TIMESTAMP ts_delim] [HEADERS hdr_delim] [KEY key_delim] VALUE
 * Every separator is one or more bytes; NULL leaves that part out. */
typedef struct rec_format {
    char *ts_delim; /* -T: a record starts with its timestamp (ms) */
    size_t ts_delim_len;
    int parse_headers; /* parse.headers=true */
    char *hdr_delim;   /* headers.delimiter (\t) */
    size_t hdr_delim_len;
    char *hdr_sep; /* headers.separator (,) */
    size_t hdr_sep_len;
    char *hdr_kv_sep; /* headers.key.separator (:) */
    size_t hdr_kv_sep_len;
    char *key_delim; /* -K, or key.separator with parse.key=true */
    size_t key_delim_len;
    int key_required; /* parse.key=true: a record without key_delim is an error */
    int ignore_error; /* ignore.error=true: missing separators are not errors */
    char *fixed_key;  /* -k: the key of every record; NULL: none */
    size_t fixed_key_len;
    char *null_marker; /* a key, value or header value equal to it is null */
    size_t null_marker_len;
} rec_format;

/* A record split by rec_parse. Pointers lead into the record's bytes, into
 * the format's own strings, or into names; valid until the next rec_parse
 * or parsed_rec_free. */
typedef struct parsed_rec {
    const void *key; /* NULL: a null key */
    size_t key_len;
    const void *value; /* NULL: a null value */
    size_t value_len;
    int64_t timestamp_ms;    /* 0: none given (the time of sending) */
    kprod_header_t *headers; /* the fixed headers, then the record's own */
    size_t n_headers, cap;
    char *names; /* NUL-terminated copies of the record's header names */
    size_t names_cap;
} parsed_rec;

/* Splits buf[0, len) as f says, after the fixed headers (-H). 0, or -1 with
 * a sentence in why saying what is missing or wrong (the caller reports
 * the record as failed), or on running out of memory. */
int rec_parse(const rec_format *f, const kprod_header_t *fixed, size_t n_fixed, const char *buf,
              size_t len, parsed_rec *out, char *why, size_t why_size);
void parsed_rec_free(parsed_rec *r);
void rec_format_free(rec_format *f);

/* One input, read in records: a buffer over a file descriptor. Before each
 * read the caller's wait function is called, so that the caller can wait
 * for the input together with other things (a signal, delivery reports). */
enum { READ_EOF = 0, READ_RECORD = 1, READ_ERROR = -1, READ_INTERRUPTED = -2 };
typedef int (*reader_wait_fn)(void *ctx, int fd); /* READ_RECORD to read, or an end */

typedef struct reader {
    int fd;
    const char *delim; /* NULL: the whole input is one record */
    size_t delim_len;
    reader_wait_fn wait;
    int (*interrupted)(void *ctx); /* 1: return READ_INTERRUPTED before the next record */
    void *wait_ctx;                /* passed to both */
    char *buf;
    size_t cap, start, end; /* unread bytes: buf[start, end) */
    size_t scan;            /* buf[start, scan) holds no delimiter */
    int eof, done;
} reader;

/* The next record (without its delimiter) in *rec and *len, valid until
 * the next call: READ_RECORD, READ_EOF, READ_ERROR (errno says why) or
 * whatever else wait returned. A whole-input reader gives exactly one
 * record, empty for an empty input. */
int reader_next(reader *r, const char **rec, size_t *len);
void reader_free(reader *r);

#endif
