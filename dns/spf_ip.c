/*
 * dns/spf_ip: see spf_ip.h.  inet_pton()/inet_ntop() handle IPv6 text; the
 * IPv4 literal of a record is parsed here because the ABNF is stricter
 * than inet_pton (RFC 7208 12: qnum has no leading zeros).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "dns/spf_ip.h"

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

enum mp_err dns_spf_ip_parse(const char *text, struct dns_spf_ip *out)
{
	struct dns_spf_ip ip = {0};

	if (inet_pton(AF_INET, text, ip.a) == 1) {
		ip.family = 4;
	} else if (inet_pton(AF_INET6, text, ip.a) == 1) {
		ip.family = 6;
		/* RFC 7208 5: an IPv4-mapped IPv6 client is an IPv4 client. */
		if (memcmp(ip.a, v4mapped_prefix, sizeof v4mapped_prefix) == 0) {
			memmove(ip.a, ip.a + 12, 4);
			memset(ip.a + 4, 0, 12);
			ip.family = 4;
		}
	} else {
		return ERR_INVAL;
	}
	*out = ip;
	return ERR_OK;
}

/* qnum = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35 */
static bool parse_qnum(const char *s, size_t len, unsigned char *out)
{
	unsigned v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 255)
		return false;
	*out = (unsigned char)v;
	return true;
}

enum mp_err dns_spf_ip_parse4(const char *s, size_t len, unsigned char out[4])
{
	unsigned char tmp[4];
	size_t start = 0;
	int part = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (part == 4 || !parse_qnum(s + start, i - start, &tmp[part]))
			return ERR_PARSE;
		part++;
		start = i + 1;
	}
	if (part != 4)
		return ERR_PARSE;
	memcpy(out, tmp, 4);
	return ERR_OK;
}

enum mp_err dns_spf_ip_parse6(const char *s, size_t len, unsigned char out[16])
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];

	/* The longest valid text is 45 bytes; anything longer is not an address. */
	if (len == 0 || len >= sizeof tmp || memchr(s, '\0', len) != NULL)
		return ERR_PARSE;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET6, tmp, a) != 1)
		return ERR_PARSE;
	memcpy(out, a, 16);
	return ERR_OK;
}

bool dns_spf_ip_in_net(const struct dns_spf_ip *ip, int family, const unsigned char *net,
		       unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;
	unsigned max = family == 4 ? 32 : 128;

	if (ip->family != family || prefix > max)
		return false;
	if (memcmp(ip->a, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((ip->a[full] ^ net[full]) & (0xff00 >> rest) & 0xff) == 0;
}

void dns_spf_ip_text(const struct dns_spf_ip *ip, char buf[DNS_SPF_IP_TEXT_MAX])
{
	if (inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->a, buf, DNS_SPF_IP_TEXT_MAX) ==
	    NULL)
		buf[0] = '\0';
}

/* Nibbles of an IPv6 address, dot separated, most significant first or last. */
static void nibbles(const unsigned char a[16], bool upper, bool reverse, char *buf, size_t size)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t pos = 0;

	for (int i = 0; i < 32 && pos + 2 < size; i++) {
		int n = reverse ? 31 - i : i;
		unsigned v = (a[n / 2] >> (n % 2 ? 0 : 4)) & 0xf;

		buf[pos++] = hex[v];
		buf[pos++] = '.';
	}
	buf[pos ? pos - 1 : 0] = '\0';
}

void dns_spf_ip_dotted(const struct dns_spf_ip *ip, bool upper, char buf[DNS_SPF_IP_TEXT_MAX])
{
	if (ip->family == 4)
		snprintf(buf, DNS_SPF_IP_TEXT_MAX, "%u.%u.%u.%u", ip->a[0], ip->a[1], ip->a[2],
			 ip->a[3]);
	else
		nibbles(ip->a, upper, false, buf, DNS_SPF_IP_TEXT_MAX);
}

void dns_spf_ip_reverse_name(const struct dns_spf_ip *ip, char buf[DNS_SPF_IP_TEXT_MAX])
{
	char rev[DNS_SPF_IP_TEXT_MAX];

	if (ip->family == 4) {
		snprintf(buf, DNS_SPF_IP_TEXT_MAX, "%u.%u.%u.%u.in-addr.arpa", ip->a[3], ip->a[2],
			 ip->a[1], ip->a[0]);
		return;
	}
	/* 63 bytes of nibbles + ".ip6.arpa" + NUL fit in DNS_SPF_IP_TEXT_MAX. */
	nibbles(ip->a, false, true, rev, sizeof rev);
	memcpy(buf, rev, 63);
	memcpy(buf + 63, ".ip6.arpa", sizeof ".ip6.arpa");
}
