/* CRC-32C (Castagnoli), the checksum of a Kafka RecordBatch v2.
 *
 * kp_crc32c() picks, once and thread-safely, the SSE4.2 instruction when the
 * CPU has it and a portable slicing-by-8 table otherwise. The two are exposed
 * separately so the tests can check one against the other. */
#ifndef KPROD_PROTOCOL_CRC32C_H
#define KPROD_PROTOCOL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc over len bytes of data. Start with crc = 0; feeding a buffer in
 * pieces, each call taking the previous result, gives the same value as one
 * call over the whole. Thread-safe. */
uint32_t kp_crc32c(uint32_t crc, const void *data, size_t len);

/* The portable implementation (always available). */
uint32_t kp_crc32c_sw(uint32_t crc, const void *data, size_t len);

/* 1 when the CPU has the SSE4.2 crc32 instruction (x86 only). */
int kp_crc32c_hw_available(void);
/* The hardware implementation; call only when kp_crc32c_hw_available(). */
uint32_t kp_crc32c_hw(uint32_t crc, const void *data, size_t len);

#endif
