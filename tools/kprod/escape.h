/* Printing strings the tool does not control (a broker's host names, topic
 * names, cluster id and error texts; file names from the command line)
 * without letting them reach the terminal as control sequences, and as
 * valid JSON. Needs nothing of the library.
 *
 * Both forms keep valid UTF-8 as it is, except the characters that steer a
 * terminal or the direction and flow of text, which are escaped:
 *   - the C0 controls U+0000..U+001F, DEL U+007F and the C1 controls
 *     U+0080..U+009F (ESC, CSI, OSC, BEL, ...);
 *   - the bidirectional formatting characters U+061C, U+200E, U+200F,
 *     U+202A..U+202E, U+2066..U+2069;
 *   - the separators U+2028 and U+2029.
 * A byte that is not part of a valid UTF-8 sequence (a stray continuation
 * byte, a truncated, overlong or surrogate sequence, anything above
 * U+10FFFF) is escaped on its own.
 *
 * Text form: \n \t \r and \\ for those four, \xHH for every other escaped
 * byte (each byte of an escaped character, e.g. U+202E as \xe2\x80\xae):
 * the same escapes as -D and -K take, so the output reads back.
 * JSON form: \" and \\, \uXXXX for every escaped character (ESC as \u001b,
 * U+202E as \u202e), and \u00HH for a byte outside valid UTF-8 (its value
 * read as Latin-1): the result is always valid JSON. */
#ifndef KPROD_CLI_ESCAPE_H
#define KPROD_CLI_ESCAPE_H

#include <stdio.h>

/* The rule above for a --help text: indented by 4, ends with a newline. */
#define CLI_ESCAPE_HELP                                                                            \
    "    \\n \\t \\r and \\\\ stand for a newline, a tab, a carriage return and a\n"               \
    "    backslash, and \\xHH for each byte of the other C0 controls (below\n"                     \
    "    0x20), of DEL (0x7f), of the C1 controls (U+0080..U+009F), of the\n"                      \
    "    bidirectional formatting characters (U+061C, U+200E, U+200F,\n"                           \
    "    U+202A..U+202E, U+2066..U+2069), of U+2028 and U+2029, and for every\n"                   \
    "    byte that is not part of valid UTF-8 (the escapes of -D and -K in\n"                      \
    "    'kprod produce'). Other valid UTF-8 text is printed as it is.\n"

/* Writes s to f in the text form; "(null)" for NULL is the caller's
 * business: s must not be NULL. */
void cli_put_escaped(FILE *f, const char *s);

/* Writes s to f as a JSON string literal, or null for NULL. */
void cli_put_json_str(FILE *f, const char *s);

/* s in the text form, malloc'd (the caller frees it); NULL when out of
 * memory. */
char *cli_escaped(const char *s);

#endif
