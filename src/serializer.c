/* Built-in serializers with Java's byte layouts, the user serializer's sink,
 * and the reusable scratch both write into (see serializer.h). */
#include "serializer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void kp_ser_scratch_init(kp_ser_scratch *s) {
    s->data = s->inline_buf;
    s->len = 0;
    s->cap = sizeof(s->inline_buf);
    s->heap = NULL;
    s->heap_cap = 0;
    s->write_err = KPROD_ERR_NO_ERROR;
    s->errstr[0] = '\0';
}

void kp_ser_scratch_free(kp_ser_scratch *s) {
    free(s->heap);
    kp_ser_scratch_init(s);
}

const char *kp_ser_errstr(const kp_ser_scratch *s) { return s->errstr; }

/* Starts a call: empty, writing into the largest buffer we already have. */
static void scratch_reset(kp_ser_scratch *s) {
    if (s->heap) {
        s->data = s->heap;
        s->cap = s->heap_cap;
    } else {
        s->data = s->inline_buf;
        s->cap = sizeof(s->inline_buf);
    }
    s->len = 0;
    s->write_err = KPROD_ERR_NO_ERROR;
    s->errstr[0] = '\0';
}

static void set_err(kp_ser_scratch *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errstr, sizeof(s->errstr), fmt, ap);
    va_end(ap);
}

/* Grows to hold need bytes. Data written so far moves along (it may still
 * be in the inline area). */
static int scratch_grow(kp_ser_scratch *s, size_t need) {
    size_t cap = s->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    if (s->data == s->heap) {
        uint8_t *p = realloc(s->heap, cap);
        if (!p)
            return -1;
        s->heap = p;
    } else {
        /* Writing into the inline area: a new heap buffer, then copy. */
        uint8_t *p = malloc(cap);
        if (!p)
            return -1;
        memcpy(p, s->data, s->len);
        free(s->heap);
        s->heap = p;
    }
    s->heap_cap = cap;
    s->data = s->heap;
    s->cap = cap;
    return 0;
}

KPROD_API kprod_err_t kprod_sink_write(kprod_sink_t *sink, const void *data, size_t len) {
    if (!sink || (!data && len > 0))
        return KPROD_ERR__INVALID_ARG;
    if (sink->write_err)
        return sink->write_err;
    if (len > (size_t)INT32_MAX - sink->len) {
        /* Kafka's lengths are int32: more can never be sent. */
        set_err(sink, "serialized size exceeds %d bytes", INT32_MAX);
        sink->write_err = KPROD_ERR__SERIALIZATION;
        return sink->write_err;
    }
    if (sink->len + len > sink->cap && scratch_grow(sink, sink->len + len) != 0) {
        set_err(sink, "out of memory growing to %zu bytes", sink->len + len);
        sink->write_err = KPROD_ERR__NO_MEMORY;
        return sink->write_err;
    }
    if (len > 0)
        memcpy(sink->data + sink->len, data, len);
    sink->len += len;
    return KPROD_ERR_NO_ERROR;
}

static void put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Reads the number behind obj (any alignment) after checking obj_len. */
static kprod_err_t number_bytes(kp_ser_kind kind, const void *obj, size_t obj_len,
                                kp_ser_scratch *s) {
    size_t size = kind == KP_SER_INT32 ? 4 : 8;
    if (obj_len != 0 && obj_len != size) {
        set_err(s, "%s serializer: length must be 0 or %zu, got %zu", kp_ser_kind_name(kind), size,
                obj_len);
        return KPROD_ERR__SERIALIZATION;
    }
    uint8_t *p = s->data; /* the inline area or a larger heap buffer */
    if (kind == KP_SER_INT32) {
        int32_t v;
        memcpy(&v, obj, sizeof(v));
        uint32_t u = (uint32_t)v;
        p[0] = (uint8_t)(u >> 24);
        p[1] = (uint8_t)(u >> 16);
        p[2] = (uint8_t)(u >> 8);
        p[3] = (uint8_t)u;
    } else if (kind == KP_SER_INT64) {
        int64_t v;
        memcpy(&v, obj, sizeof(v));
        put_be64(p, (uint64_t)v);
    } else {
        double d;
        uint64_t bits;
        memcpy(&d, obj, sizeof(d));
        if (d != d)
            bits = UINT64_C(0x7ff8000000000000); /* doubleToLongBits' NaN */
        else
            memcpy(&bits, &d, sizeof(bits));
        put_be64(p, bits);
    }
    s->len = size;
    return KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_serialize(kp_ser_kind kind, kprod_serializer_cb cb, void *cb_opaque,
                         const char *topic, const void *obj, size_t obj_len,
                         kp_ser_scratch *scratch, const void **out, int32_t *out_len) {
    scratch_reset(scratch);
    *out = NULL;
    *out_len = -1;

    switch (kind) {
    case KP_SER_BYTES:
    case KP_SER_STRING: {
        if (!obj) {
            if (obj_len != 0) {
                set_err(scratch, "%s serializer: NULL pointer with length %zu",
                        kp_ser_kind_name(kind), obj_len);
                return KPROD_ERR__SERIALIZATION;
            }
            return KPROD_ERR_NO_ERROR; /* null */
        }
        size_t n = obj_len;
        if (kind == KP_SER_STRING && n == 0)
            n = strlen(obj);
        if (n > INT32_MAX) {
            set_err(scratch, "%s serializer: %zu bytes exceeds %d", kp_ser_kind_name(kind), n,
                    INT32_MAX);
            return KPROD_ERR__SERIALIZATION;
        }
        *out = obj;
        *out_len = (int32_t)n;
        return KPROD_ERR_NO_ERROR;
    }
    case KP_SER_INT32:
    case KP_SER_INT64:
    case KP_SER_DOUBLE: {
        if (!obj)
            return KPROD_ERR_NO_ERROR; /* null */
        kprod_err_t err = number_bytes(kind, obj, obj_len, scratch);
        if (err)
            return err;
        *out = scratch->data;
        *out_len = (int32_t)scratch->len;
        return KPROD_ERR_NO_ERROR;
    }
    case KP_SER_USER: {
        if (!cb) {
            set_err(scratch, "user serializer selected but no callback set");
            return KPROD_ERR__INVALID_ARG;
        }
        kprod_err_t err = cb(topic, obj, obj_len, scratch, cb_opaque);
        if (scratch->write_err)
            return scratch->write_err; /* whatever the callback returned; reason set */
        if (err) {
            set_err(scratch, "user serializer returned %s: %s", kprod_err_name(err),
                    kprod_err_str(err));
            return KPROD_ERR__SERIALIZATION;
        }
        if (!obj && scratch->len == 0)
            return KPROD_ERR_NO_ERROR; /* null */
        *out = scratch->data;
        *out_len = (int32_t)scratch->len;
        return KPROD_ERR_NO_ERROR;
    }
    }
    set_err(scratch, "unknown serializer kind %d", (int)kind);
    return KPROD_ERR__INVALID_ARG;
}

static const struct {
    const char *name;
    const char *java;
    kp_ser_kind kind;
} kind_names[] = {
    {"bytes", "ByteArraySerializer", KP_SER_BYTES}, {"string", "StringSerializer", KP_SER_STRING},
    {"int32", "IntegerSerializer", KP_SER_INT32},   {"int64", "LongSerializer", KP_SER_INT64},
    {"double", "DoubleSerializer", KP_SER_DOUBLE},
};

int kp_ser_kind_parse(const char *name, kp_ser_kind *kind) {
    static const char pkg[] = "org.apache.kafka.common.serialization.";
    if (!name)
        return -1;
    const char *cls = strncmp(name, pkg, sizeof(pkg) - 1) == 0 ? name + sizeof(pkg) - 1 : name;
    for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
        if (strcasecmp(name, kind_names[i].name) == 0 || strcmp(cls, kind_names[i].java) == 0) {
            *kind = kind_names[i].kind;
            return 0;
        }
    }
    return -1;
}

const char *kp_ser_kind_name(kp_ser_kind kind) {
    for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
        if (kind_names[i].kind == kind)
            return kind_names[i].name;
    return kind == KP_SER_USER ? "user" : "unknown";
}
