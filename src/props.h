/* A parser for Java .properties text (java.util.Properties.load), so a
 * producer.properties written for the Java client loads unchanged. Pure
 * code on a buffer: kprod_conf_load_file (config.c) reads the file and
 * applies each pair.
 *
 * Syntax: one entry per logical line; key and value separated by '=', ':'
 * or whitespace (with optional whitespace around the separator); lines whose
 * first non-blank character is '#' or '!' are comments; a line ending in an
 * odd number of backslashes continues on the next one (whose leading
 * whitespace is dropped); escapes \t \n \r \f \uXXXX, and a backslash before
 * any other character stands for that character. Bytes are passed through
 * as they are (Java reads ISO-8859-1; kprod expects UTF-8), except a UTF-8
 * byte-order mark at the very start, which is skipped. */
#ifndef KPROD_PROPS_H
#define KPROD_PROPS_H

#include <stddef.h>

#include "kprod.h"

/* Called for each entry in order; line is where the entry starts (1-based).
 * Returning anything but NO_ERROR stops the parse with that error. */
typedef kprod_err_t (*kp_props_cb)(const char *key, const char *value, int line, void *opaque);

/* Parses len bytes of data. Returns NO_ERROR after the last entry, the
 * callback's error, _INVALID_CONFIG for a syntax error (a malformed or
 * unsupported \u escape, a NUL byte; errstr says which) or _NO_MEMORY. On
 * error *err_line (may be NULL) is the line of the failing entry. */
kprod_err_t kp_props_parse(const char *data, size_t len, kp_props_cb cb, void *opaque,
                           int *err_line, char *errstr, size_t errstr_size);

#endif
