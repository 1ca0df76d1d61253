/* Splitting "host:port" entries (see hostport.h). */
#include "hostport.h"

#include <ctype.h>
#include <string.h>

static int is_host_char(int c) { return isalnum(c) || c == '-' || c == '.' || c == '_'; }

/* An IPv6 address, optionally with a zone after '%' ("fe80::1%eth0"). */
static int is_v6_addr(const char *h, size_t n) {
    size_t i = 0;
    for (; i < n && h[i] != '%'; i++)
        if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
            return 0;
    if (i < n && ++i == n)
        return 0; /* empty zone */
    for (; i < n; i++)
        if (!is_host_char((unsigned char)h[i]))
            return 0;
    return 1;
}

int kp_split_hostport(const char *entry, size_t len, char *host, size_t host_size, int *port) {
    const char *colon = NULL;
    for (size_t i = len; i > 0; i--)
        if (entry[i - 1] == ':') {
            colon = entry + i - 1;
            break;
        }
    if (!colon)
        return -1;
    const char *h = entry;
    size_t hlen = (size_t)(colon - entry);
    int v6 = 0;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
        v6 = 1;
    } else if (memchr(h, ':', hlen)) {
        v6 = 1; /* unbracketed IPv6, split at the last colon as Java does */
    }
    if (hlen == 0 || hlen >= host_size)
        return -1;
    if (v6 && !is_v6_addr(h, hlen))
        return -1;
    for (size_t i = 0; !v6 && i < hlen; i++)
        if (!is_host_char((unsigned char)h[i]))
            return -1;
    const char *ps = colon + 1;
    size_t plen = len - (size_t)(ps - entry);
    if (plen == 0 || plen > 5)
        return -1;
    int v = 0;
    for (size_t i = 0; i < plen; i++) {
        if (!isdigit((unsigned char)ps[i]))
            return -1;
        v = v * 10 + (ps[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = v;
    return 0;
}
