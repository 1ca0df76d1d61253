/* Bootstrap entries: "host:port" split into its parts, one rule for the
 * configuration's validation and for the request layer that connects. */
#ifndef KPROD_HOSTPORT_H
#define KPROD_HOSTPORT_H

#include <stddef.h>

/* Splits one bootstrap entry "host:port", "[v6addr]:port" (or an unbracketed
 * IPv6 address, split at its last colon, as Java does) into host (without
 * brackets) and port 1..65535. Returns 0, or -1 when the entry is malformed
 * or host does not fit host_size. */
int kp_split_hostport(const char *entry, size_t len, char *host, size_t host_size, int *port);

#endif
