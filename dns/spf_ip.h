/*
 * dns/spf_ip: IP addresses as SPF sees them (RFC 7208 5, 5.6, 7.3).
 *
 * What it does: parses the client address (an IPv4-mapped IPv6 address is
 * turned into IPv4, RFC 7208 5), parses the strict ip4-network and
 * ip6-network literals of the record ABNF (RFC 7208 12: no leading zeros in
 * an IPv4 octet), compares an address with a network prefix, and spells an
 * address the ways SPF needs: the "c" macro text, the "i" macro dotted form
 * and the reverse-mapping name for PTR queries.
 *
 * What it does not: no DNS, no allocation.  Everything here is a pure
 * function over bytes with lengths.
 */
#ifndef MAILPULSE_DNS_SPF_IP_H
#define MAILPULSE_DNS_SPF_IP_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

/* An address: family 4 uses a[0..3], family 6 uses a[0..15] (network order). */
struct dns_spf_ip {
	int family; /* 4 or 6 */
	unsigned char a[16];
};

/* Longest text any of the formatters below writes, NUL included. */
#define DNS_SPF_IP_TEXT_MAX 80

/*
 * Parse a client address written as IPv4 dotted quad or IPv6 text (a NUL
 * terminated string).  An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes
 * the IPv4 address: RFC 7208 5 says it MUST be treated as IPv4.
 * Returns ERR_OK and sets *out, or ERR_INVAL.
 */
enum mp_err dns_spf_ip_parse(const char *text, struct dns_spf_ip *out) MP_WUR;

/*
 * Parse an ip4-network [s, s+len) exactly as the RFC 7208 12 ABNF allows:
 * four decimal octets 0-255 without leading zeros.  Sets out[4] on success;
 * ERR_PARSE otherwise.
 */
enum mp_err dns_spf_ip_parse4(const char *s, size_t len, unsigned char out[4]) MP_WUR;

/*
 * Parse an ip6-network [s, s+len) (RFC 4291 2.2 text, no zone, no prefix).
 * An IPv4-mapped network stays IPv6: only the client is converted.  Sets
 * out[16] on success; ERR_PARSE otherwise.
 */
enum mp_err dns_spf_ip_parse6(const char *s, size_t len, unsigned char out[16]) MP_WUR;

/*
 * True when ip is inside net/prefix of the same family.  net holds 4 or 16
 * bytes according to family; prefix is 0-32 or 0-128.
 */
bool dns_spf_ip_in_net(const struct dns_spf_ip *ip, int family, const unsigned char *net,
		       unsigned prefix);

/* The "c" macro (RFC 7208 7.3): dotted quad, or RFC 5952 IPv6 text. */
void dns_spf_ip_text(const struct dns_spf_ip *ip, char buf[DNS_SPF_IP_TEXT_MAX]);

/*
 * The "i" macro (RFC 7208 7.3): dotted quad for IPv4, 32 dot-separated
 * nibbles for IPv6.  upper spells the nibbles A-F (see
 * struct dns_spf_macro_ctx.hex_upper for why this is a choice).
 */
void dns_spf_ip_dotted(const struct dns_spf_ip *ip, bool upper, char buf[DNS_SPF_IP_TEXT_MAX]);

/* The name to ask PTR for: d.c.b.a.in-addr.arpa or the ip6.arpa nibbles. */
void dns_spf_ip_reverse_name(const struct dns_spf_ip *ip, char buf[DNS_SPF_IP_TEXT_MAX]);

#endif
