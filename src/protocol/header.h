/* Request framing and request/response headers.
 *
 * A request on the wire is: int32 size (of everything after it), the request
 * header, the body. kp_req_begin writes the size placeholder and the header,
 * the API's encoder appends the body, kp_req_end patches the size:
 *
 *     size_t start = kp_req_begin(b, KP_API_METADATA, ver, corr, client_id,
 *                                 kp_req_header_flexible(KP_API_METADATA, ver));
 *     kp_metadata_req_encode(b, ver, topics, n, 1);
 *     kp_req_end(b, start);
 *
 * A response is: int32 size, the response header, the body. The connection
 * code strips the size; kp_resp_header_read reads the header and leaves the
 * reader at the body for the API's decoder. */
#ifndef KPROD_PROTOCOL_HEADER_H
#define KPROD_PROTOCOL_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

/* 1 when the request header is v2 (flexible: adds an empty tagged-field
 * section), 0 for v1. Flexible exactly when the request body is. */
int kp_req_header_flexible(int16_t api_key, int16_t api_version);
/* 1 when the response header is v1 (flexible: a tagged-field section after
 * the correlation id), 0 for v0. Flexible when the response body is, except
 * ApiVersions, whose response header is always v0 (a client must be able to
 * read it before it knows which versions the broker speaks). */
int kp_resp_header_flexible(int16_t api_key, int16_t api_version);

/* Appends the int32 size placeholder and a request header v1 (flexible = 0)
 * or v2 (flexible = 1): api_key, api_version, correlation_id, client_id as a
 * classic nullable string in both versions (NULL writes null; longer than
 * 32767 bytes is cut there, as config validation should prevent it), and in
 * v2 an empty tagged-field section. Returns the frame's start offset for
 * kp_req_end. Out of memory shows as b->oom. */
size_t kp_req_begin(kp_buf *b, int16_t api_key, int16_t api_version, int32_t correlation_id,
                    const char *client_id, int flexible);
/* Patches the size of the frame started at start to cover everything
 * written after the size field. */
void kp_req_end(kp_buf *b, size_t start);

/* Reads a response header v0 (flexible = 0) or v1 (flexible = 1; its tagged
 * fields are skipped). KPROD_ERR_NO_ERROR or KPROD_ERR__BAD_MSG. */
kprod_err_t kp_resp_header_read(kp_rd *r, int flexible, int32_t *correlation_id);

#endif
