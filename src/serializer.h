/* Key and value serializers: turn the application's objects into the bytes
 * that go on the wire, with the same byte layouts as the Java client's
 * serializers so that a Java consumer's deserializers read them back.
 *
 *   BYTES   the pointer and length are the bytes (no copy)
 *   STRING  a C string's bytes as they are (Java writes UTF-8: pass UTF-8);
 *           obj_len 0 means strlen(obj)
 *   INT32   *(const int32_t *)obj, 4 bytes big-endian (IntegerSerializer)
 *   INT64   *(const int64_t *)obj, 8 bytes big-endian (LongSerializer)
 *   DOUBLE  *(const double *)obj, IEEE-754 bits big-endian with NaN
 *           canonicalised as Double.doubleToLongBits does (DoubleSerializer)
 *   USER    the application's kprod_serializer_cb writes through a sink
 *
 * A NULL obj is a null key/value for every built-in kind. For USER, the
 * callback is still called with obj NULL (as Java passes null to its
 * serializer); if it writes nothing the result is null, otherwise its bytes.
 * For a non-NULL obj, a callback that writes nothing gives empty bytes. */
#ifndef KPROD_SERIALIZER_H
#define KPROD_SERIALIZER_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"

typedef enum kp_ser_kind {
    KP_SER_BYTES,
    KP_SER_STRING,
    KP_SER_INT32,
    KP_SER_INT64,
    KP_SER_DOUBLE,
    KP_SER_USER
} kp_ser_kind;

/* Bytes that fit without touching the heap. */
#define KP_SER_INLINE_SIZE 256

/* The sink a user serializer writes to, and the scratch space where the
 * built-in number serializers put their bytes. Owned by the caller:
 * typically one for the key and one for the value on the stack of
 * kprod_send, or thread-local. The inline area serves small outputs; larger
 * ones grow a heap buffer that is kept for the next call, so a reused
 * scratch allocates only when a record is larger than any before it.
 * Not thread-safe: one scratch per thread at a time. */
struct kprod_sink_s {
    uint8_t *data; /* inline or heap; valid until the next use of the scratch */
    size_t len;
    size_t cap;
    uint8_t *heap; /* NULL until an output outgrew the inline area */
    size_t heap_cap;
    kprod_err_t write_err; /* a write failed during the current call: every later one fails */
    char errstr[128];      /* why the last kp_serialize failed */
    uint8_t inline_buf[KP_SER_INLINE_SIZE];
};
typedef struct kprod_sink_s kp_ser_scratch;

void kp_ser_scratch_init(kp_ser_scratch *s);
/* Frees the heap buffer, if any. The scratch may be initialised again. */
void kp_ser_scratch_free(kp_ser_scratch *s);
/* Why the last kp_serialize on this scratch failed ("" if it did not). */
const char *kp_ser_errstr(const kp_ser_scratch *s);

/* Serializes obj. On success *out and *out_len are the bytes (*out_len -1 and
 * *out NULL for a null key/value); *out points into obj (BYTES, STRING) or
 * into the scratch (numbers, USER) and stays valid until the scratch's next
 * use or free, so a key and a value need two scratches.
 * Errors:
 *   KPROD_ERR__SERIALIZATION  bad length for a number kind, BYTES with a
 *                             NULL pointer and a non-zero length, a result
 *                             over INT32_MAX bytes, or the user callback
 *                             returned an error (its name is in the reason)
 *   KPROD_ERR__NO_MEMORY      the scratch could not grow
 *   KPROD_ERR__INVALID_ARG    an unknown kind, or USER without a callback
 * The reason is in kp_ser_errstr(scratch).
 * Runs the user callback on the calling thread. */
kprod_err_t kp_serialize(kp_ser_kind kind, kprod_serializer_cb cb, void *cb_opaque,
                         const char *topic, const void *obj, size_t obj_len,
                         kp_ser_scratch *scratch, const void **out, int32_t *out_len);

/* The kind named by key.serializer/value.serializer: "bytes", "string",
 * "int32", "int64", "double" (any case), or a Java class name
 * (org.apache.kafka.common.serialization.ByteArraySerializer,
 * StringSerializer, IntegerSerializer, LongSerializer, DoubleSerializer; the
 * package may be omitted). Returns 0 and sets *kind, or -1 for an unknown
 * name. USER has no name: it is chosen by setting a callback. */
int kp_ser_kind_parse(const char *name, kp_ser_kind *kind);
/* "bytes", "string", "int32", "int64", "double", "user". */
const char *kp_ser_kind_name(kp_ser_kind kind);

#endif
