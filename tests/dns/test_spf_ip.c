/* tests/dns/test_spf_ip: SPF address parsing, prefixes and spellings. */
#include <string.h>
#include "dns/spf_ip.h"
#include "tests/lib/tap.h"

static void test_parse(void)
{
	struct dns_spf_ip ip;
	unsigned char n[16];

	tap_ok(dns_spf_ip_parse("192.0.2.1", &ip) == ERR_OK && ip.family == 4 &&
		   memcmp(ip.a, "\xc0\x00\x02\x01", 4) == 0,
	       "IPv4 client");
	tap_ok(dns_spf_ip_parse("::FFFF:192.0.2.1", &ip) == ERR_OK && ip.family == 4 &&
		   memcmp(ip.a, "\xc0\x00\x02\x01", 4) == 0,
	       "IPv4-mapped IPv6 client becomes IPv4 (RFC 7208 5)");
	tap_ok(dns_spf_ip_parse("2001:db8::1", &ip) == ERR_OK && ip.family == 6, "IPv6 client");
	tap_ok(dns_spf_ip_parse("192.0.2", &ip) == ERR_INVAL &&
		   dns_spf_ip_parse("", &ip) == ERR_INVAL &&
		   dns_spf_ip_parse("2001:db8::1%eth0", &ip) == ERR_INVAL,
	       "bad client addresses");
	tap_ok(dns_spf_ip_parse4("0.0.0.0", 7, n) == ERR_OK &&
		   dns_spf_ip_parse4("255.255.255.255", 15, n) == ERR_OK,
	       "ip4-network edges");
	tap_ok(dns_spf_ip_parse4("01.2.3.4", 8, n) == ERR_PARSE &&
		   dns_spf_ip_parse4("1.2.3.4.5", 9, n) == ERR_PARSE &&
		   dns_spf_ip_parse4("1.2.3.", 6, n) == ERR_PARSE &&
		   dns_spf_ip_parse4("1..2.3", 6, n) == ERR_PARSE &&
		   dns_spf_ip_parse4("1.2.3.256", 9, n) == ERR_PARSE &&
		   dns_spf_ip_parse4("1.2.3.4\0", 8, n) == ERR_PARSE &&
		   dns_spf_ip_parse4("1.2.3.1000", 10, n) == ERR_PARSE,
	       "ip4-network: no leading zeros, four octets, 0-255, no NUL");
	tap_ok(dns_spf_ip_parse6("::FFFF:1.2.3.4", 14, n) == ERR_OK && n[10] == 0xff,
	       "ip6-network: a mapped network stays IPv6");
	tap_ok(dns_spf_ip_parse6(":CAFE::BABE", 11, n) == ERR_PARSE &&
		   dns_spf_ip_parse6("::1\0", 4, n) == ERR_PARSE &&
		   dns_spf_ip_parse6("", 0, n) == ERR_PARSE,
	       "ip6-network: bad literals");
}

static void test_match(void)
{
	struct dns_spf_ip ip;
	unsigned char net[16];

	if (dns_spf_ip_parse("192.0.2.130", &ip) != ERR_OK ||
	    dns_spf_ip_parse4("192.0.2.128", 11, net) != ERR_OK)
		return;
	tap_ok(dns_spf_ip_in_net(&ip, 4, net, 25) && !dns_spf_ip_in_net(&ip, 4, net, 32) &&
		   dns_spf_ip_in_net(&ip, 4, net, 0),
	       "IPv4 prefixes /25, /32, /0");
	tap_ok(!dns_spf_ip_in_net(&ip, 6, net, 0), "another family never matches, even /0");
	tap_ok(!dns_spf_ip_in_net(&ip, 4, net, 33), "a prefix past 32 never matches");
	if (dns_spf_ip_parse("2001:db8:1234::cafe:babe", &ip) != ERR_OK ||
	    dns_spf_ip_parse6("2001:db8:1234::dead:beef", 24, net) != ERR_OK)
		return;
	tap_ok(dns_spf_ip_in_net(&ip, 6, net, 64) && !dns_spf_ip_in_net(&ip, 6, net, 112) &&
		   dns_spf_ip_in_net(&ip, 6, net, 99),
	       "IPv6 prefixes");
}

static void test_spell(void)
{
	struct dns_spf_ip ip;
	char buf[DNS_SPF_IP_TEXT_MAX];

	if (dns_spf_ip_parse("2001:DB8::CB01", &ip) != ERR_OK)
		return;
	dns_spf_ip_text(&ip, buf);
	tap_is_str(buf, "2001:db8::cb01", "c macro: RFC 5952 text");
	dns_spf_ip_dotted(&ip, false, buf);
	tap_is_str(buf, "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1",
		   "i macro: nibbles");
	dns_spf_ip_reverse_name(&ip, buf);
	tap_is_str(buf, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
		   "PTR name for IPv6");
	if (dns_spf_ip_parse("192.0.2.3", &ip) != ERR_OK)
		return;
	dns_spf_ip_reverse_name(&ip, buf);
	tap_is_str(buf, "3.2.0.192.in-addr.arpa", "PTR name for IPv4");
	dns_spf_ip_dotted(&ip, true, buf);
	tap_is_str(buf, "192.0.2.3", "i macro for IPv4");
}

int main(void)
{
	test_parse();
	test_match();
	test_spell();
	return tap_done();
}
