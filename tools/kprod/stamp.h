/* Run stamps: what `kprod produce --stamp` and `kprod perf --stamp` put on
 * every record and `kprod verify` reads back to prove a run arrived
 * exactly once and in order.
 *
 * A stamp is the text "RUN:SEQ": RUN a run id (1 to 64 of A-Z a-z 0-9 . _
 * -), SEQ a decimal sequence number. It travels in a record header named
 * "kprod-stamp" (what kprod writes), or at the start of the record's value,
 * followed by the value's end or by a character that is not a digit
 * ("r7:41", "r7:41:payload", "r7:41 hello"): so any producer that can
 * write a line of text can be checked too (Kafka's console producer,
 * librdkafka). Sequence numbers count per record key, from 0, in the order
 * the records were sent; the records without a key share one count.
 *
 * Plain C for the CLI; of the library only kprod.h's record and header
 * types. */
#ifndef KPROD_CLI_STAMP_H
#define KPROD_CLI_STAMP_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"

#define CLI_STAMP_HEADER "kprod-stamp"
#define CLI_STAMP_RUN_MAX 64
#define CLI_STAMP_MAX (CLI_STAMP_RUN_MAX + 22) /* "RUN:" + 20 digits + NUL */

/* 1 when run is a valid run id. */
int cli_stamp_run_ok(const char *run);
/* A fresh run id, "r" followed by the time and the process id in base 36
 * (buf: at least 32 bytes). */
void cli_stamp_new_run(char *buf, size_t cap);
/* Writes "RUN:SEQ" and a NUL into buf (CLI_STAMP_MAX bytes do); returns
 * the length. */
size_t cli_stamp_format(char *buf, size_t cap, const char *run, uint64_t seq);
/* A stamp at the start of p[0..len): returns 1 with *run (a pointer into
 * p), *run_len and *seq set, 0 when p does not start with one. */
int cli_stamp_parse(const char *p, size_t len, const char **run, size_t *run_len, uint64_t *seq);

/* A map from byte strings (record keys; the null key is its own entry) to
 * a slot of `value_size` bytes, zeroed when the key is first seen. */
typedef struct cli_kmap cli_kmap;
cli_kmap *cli_kmap_new(size_t value_size);
void cli_kmap_free(cli_kmap *m);
/* The key's slot (created if new); key_len -1 is the null key. NULL when
 * out of memory. The slot stays where it is until the map is freed. */
void *cli_kmap_get(cli_kmap *m, const void *key, int32_t key_len);
size_t cli_kmap_count(const cli_kmap *m);
/* The map's copy of the key of a slot that cli_kmap_get returned. */
const char *cli_kmap_key(const cli_kmap *m, const void *slot, int32_t *key_len);
/* The i-th entry in insertion order (i < count): its key and slot. */
void *cli_kmap_at(const cli_kmap *m, size_t i, const char **key, int32_t *key_len);

/* The next sequence number of a key (0 first), for a stamping producer.
 * UINT64_MAX when out of memory. */
uint64_t cli_stamp_next(cli_kmap *seqs, const void *key, int32_t key_len);

/* What a stamping producer keeps: the run id, each key's next number, and
 * the header array of the record being stamped (its own headers, then
 * kprod-stamp). kprod_send copies a record at once, so one array serves
 * every record. */
typedef struct cli_stamper {
    char run[CLI_STAMP_RUN_MAX + 1];
    cli_kmap *seqs;
    kprod_header_t *headers;
    size_t cap;
    char value[CLI_STAMP_MAX];
} cli_stamper;

/* run NULL or "": a fresh run id (cli_stamp_new_run). 0, or -1 with a
 * message on stderr ("CMD: ..."; a bad run id, out of memory). */
int cli_stamper_init(cli_stamper *s, const char *cmd, const char *run);
/* Points rec's headers at the stamper's array: rec's own headers, then
 * "kprod-stamp" = "RUN:SEQ" with the next number of rec's key. -1 when
 * out of memory (rec unchanged). */
int cli_stamper_apply(cli_stamper *s, kprod_record_t *rec);
void cli_stamper_free(cli_stamper *s);

#endif
