/* Bootstrap names for client.dns.lookup=resolve_canonical_bootstrap_servers_only:
 * an entry of bootstrap.servers becomes the canonical names of the
 * addresses it resolves to (a reverse lookup of each), as the Java client
 * does so that Kerberos sees the hosts' own names behind an alias.
 *
 * Blocking (getaddrinfo, getnameinfo): called once, from kprod_new's
 * thread, as Java does it in the producer's constructor. */
#ifndef KPROD_NET_DNS_H
#define KPROD_NET_DNS_H

#define KP_DNS_NAME_MAX 256

/* Writes the distinct canonical names of host's addresses into names (up
 * to max, in resolver order) and returns how many. An address without a
 * name gives its numeric form, as Java's getCanonicalHostName does. 0 when
 * host does not resolve. */
int kp_dns_canonical_names(const char *host, char (*names)[KP_DNS_NAME_MAX], int max);

#endif
