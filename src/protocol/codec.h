/* Version-aware field helpers shared by the per-API codecs.
 *
 * Kafka encodes the same schema field two ways: classic (int16 string
 * lengths, int32 array counts) before an API's first flexible version, and
 * compact (uvarint length+1, tagged-field sections) from it on. Each codec
 * passes its "flexible" flag here instead of branching at every field. The
 * readers keep kp_rd's sticky-error rule: call on, check r->err once. */
#ifndef KPROD_PROTOCOL_CODEC_H
#define KPROD_PROTOCOL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

/* Longest string Kafka's own codecs serialize (int16 length), in either form. */
#define KP_CODEC_STR_MAX 32767

/* 1 when s is NULL or short enough to encode as a string. */
int kp_codec_str_ok(const char *s);

/* A (nullable) string; NULL writes null. The caller has checked
 * kp_codec_str_ok. */
void kp_codec_put_str(kp_buf *b, int flexible, const char *s);
/* An array count; -1 writes a null array. */
void kp_codec_put_arrlen(kp_buf *b, int flexible, int32_t n);
/* An empty tagged-field section when flexible; nothing otherwise. */
void kp_codec_put_tags(kp_buf *b, int flexible);

/* The fewest bytes a string, an array count and a tag section take on the
 * wire, used to bound counts read from hostile input. */
size_t kp_codec_str_min(int flexible);
size_t kp_codec_arr_min(int flexible);
size_t kp_codec_tags_min(int flexible);

kp_slice kp_codec_rd_str(kp_rd *r, int flexible);
/* An array count, -1 for null; a count that cannot fit in the bytes left
 * (elements of at least min_elem bytes) sets r->err. */
int32_t kp_codec_rd_arrlen(kp_rd *r, int flexible, size_t min_elem);
/* Reads the count of an array that may not be null (elements of at least
 * min_elem bytes) and allocates that many zeroed elements of elem_size.
 * Returns them (NULL for an empty array) and sets *count once they exist,
 * so a partly decoded response frees cleanly; *err is BAD_MSG or NO_MEMORY
 * on failure, else NO_ERROR. */
void *kp_codec_rd_array_new(kp_rd *r, int flexible, size_t min_elem, size_t elem_size,
                            int32_t *count, kprod_err_t *err);
/* Skips a tagged-field section when flexible. */
void kp_codec_rd_tags(kp_rd *r, int flexible);
/* Marks r malformed (a value the schema forbids, e.g. null where not
 * nullable). */
void kp_codec_rd_fail(kp_rd *r);

/* A tagged field's handler: tag is its number, value a reader spanning
 * exactly its bytes (a lying size can neither overrun nor desynchronise
 * what follows). Unknown tags are left unread. Returns KPROD_ERR_NO_ERROR,
 * or an error that ends the decode. */
typedef kprod_err_t (*kp_codec_tag_fn)(void *ctx, uint32_t tag, kp_rd *value);
/* Reads a tagged-field section, handing each field to fn. A value fn reads
 * past its end makes the section malformed. KPROD_ERR_NO_ERROR,
 * KPROD_ERR__BAD_MSG or fn's error. */
kprod_err_t kp_codec_rd_tags_each(kp_rd *r, kp_codec_tag_fn fn, void *ctx);

/* Reads a string into a malloc'd NUL-terminated copy (*dst NULL for a null
 * string, which only nullable allows). KPROD_ERR_NO_ERROR,
 * KPROD_ERR__BAD_MSG or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_codec_rd_strdup(kp_rd *r, int flexible, int nullable, char **dst);

/* Copies a string read from the wire into a malloc'd NUL-terminated string;
 * a null slice gives *dst = NULL. Returns 0, or -1 when out of memory. */
int kp_codec_strdup(kp_slice s, char **dst);

/* Reads a non-nullable []int32 into a malloc'd array (NULL when empty).
 * Returns KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_codec_rd_int32s(kp_rd *r, int flexible, int32_t **out, int32_t *count);

/* The end-of-encode verdict: KPROD_ERR__NO_MEMORY when b ran out of memory. */
kprod_err_t kp_codec_buf_result(const kp_buf *b);

#endif
