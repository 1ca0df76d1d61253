/* Canonical bootstrap names (see dns.h). */
#include "net/dns.h"

#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

int kp_dns_canonical_names(const char *host, char (*names)[KP_DNS_NAME_MAX], int max) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return 0;
    int n = 0;
    for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
        char name[KP_DNS_NAME_MAX];
        /* Without NI_NAMEREQD an address with no name comes back numeric. */
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, name, sizeof(name), NULL, 0, 0) != 0)
            continue;
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = strcmp(names[i], name) == 0;
        if (!seen)
            memcpy(names[n++], name, sizeof(name));
    }
    freeaddrinfo(res);
    return n;
}
