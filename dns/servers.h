/*
 * dns/servers: the resolver addresses a user names (`--resolver`, the
 * config's `resolvers =`) checked and turned into c-ares' server CSV syntax.
 *
 * Accepts "host", "host:port", "[v6]", "[v6]:port" and a bare IPv6 literal,
 * where host is an IPv4 literal: no names (a resolver named by a name would
 * need a resolver first).  Port 1-65535, default 53.  It does not talk to
 * c-ares (dns/resolver does); it only writes the string that c-ares'
 * ares_set_servers_ports_csv() reads: "a.b.c.d:port,[v6]:port".
 *
 * RFC 4291 2.2 (IPv6 text forms), RFC 3986 3.2.2 (brackets around an IPv6
 * literal with a port).
 */
#ifndef MAILPULSE_DNS_SERVERS_H
#define MAILPULSE_DNS_SERVERS_H

#include <stddef.h>
#include "common/err.h"

/*
 * servers[0..n) as one c-ares CSV string in *out (xmalloc'd, the caller
 * frees it; "" for n == 0).  ERR_INVAL when any entry is not an IP literal
 * with an optional port in 1-65535; *out is then untouched.
 */
enum mp_err dns_servers_csv(const char *const *servers, size_t n, char **out) MP_WUR;

#endif
