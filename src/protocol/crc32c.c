/* CRC-32C for RecordBatch checksums: a slicing-by-8 table version that runs
 * anywhere and an SSE4.2 version compiled for that target only (through a
 * function attribute, so the rest of the build needs no -msse4.2), chosen at
 * run time from what the CPU reports. */
#include "protocol/crc32c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

/* table[k][b]: the CRC of byte b followed by k zero bytes. Slicing-by-8
 * folds eight input bytes per step with eight independent look-ups. */
static uint32_t crc_table[8][256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void crc_table_build(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int i = 0; i < 8; i++)
            c = (c >> 1) ^ (CRC32C_POLY_REFLECTED & (0u - (c & 1)));
        crc_table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            crc_table[k][b] = (crc_table[k - 1][b] >> 8) ^ crc_table[0][crc_table[k - 1][b] & 0xff];
}

static uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint32_t kp_crc32c_sw(uint32_t crc, const void *data, size_t len) {
    pthread_once(&crc_table_once, crc_table_build);
    const uint8_t *p = data;
    uint32_t c = ~crc;
    while (len >= 8) {
        uint32_t lo = load_le32(p) ^ c;
        uint32_t hi = load_le32(p + 4);
        c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
            crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^
            crc_table[2][(hi >> 8) & 0xff] ^ crc_table[1][(hi >> 16) & 0xff] ^
            crc_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
    return ~c;
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <nmmintrin.h>
#define KP_CRC32C_HAVE_HW 1

int kp_crc32c_hw_available(void) { return __builtin_cpu_supports("sse4.2") ? 1 : 0; }

__attribute__((target("sse4.2"))) uint32_t kp_crc32c_hw(uint32_t crc, const void *data,
                                                        size_t len) {
    const uint8_t *p = data;
    uint32_t c = ~crc;
    /* Align to 8 bytes so the wide loop does aligned loads. */
    while (len && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8(c, *p++);
        len--;
    }
#if defined(__x86_64__)
    uint64_t c64 = c;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = _mm_crc32_u64(c64, v);
        p += 8;
        len -= 8;
    }
    c = (uint32_t)c64;
#endif
    while (len >= 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        c = _mm_crc32_u32(c, v);
        p += 4;
        len -= 4;
    }
    while (len--)
        c = _mm_crc32_u8(c, *p++);
    return ~c;
}
#else
#define KP_CRC32C_HAVE_HW 0

int kp_crc32c_hw_available(void) { return 0; }

uint32_t kp_crc32c_hw(uint32_t crc, const void *data, size_t len) {
    return kp_crc32c_sw(crc, data, len);
}
#endif

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

/* The chosen implementation; NULL until the first call. Two threads racing on
 * the first call both store the same pointer, so a relaxed race is harmless,
 * but the atomic keeps it defined behaviour. */
static _Atomic(crc_fn) crc_impl;

uint32_t kp_crc32c(uint32_t crc, const void *data, size_t len) {
    crc_fn f = atomic_load_explicit(&crc_impl, memory_order_acquire);
    if (!f) {
        f = (KP_CRC32C_HAVE_HW && kp_crc32c_hw_available()) ? kp_crc32c_hw : kp_crc32c_sw;
        atomic_store_explicit(&crc_impl, f, memory_order_release);
    }
    return f(crc, data, len);
}
