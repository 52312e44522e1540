/*
 * tests/dns/test_reply: dns/reply's chain start, the presentation form
 * every question is asked and compared in.  The fast path (names without
 * RFC 1035 5.1 specials are copied) must give exactly what the libresolv
 * round trip gives, and dns_reply_chain_init_valid() what _init() gives.
 * (Reply reading itself is tested through the resolver in test_resolver
 * and test_resolver_wire, and fuzzed by tests/fuzz/fuzz_dns_reply.)
 */
#include <stdio.h>
#include <string.h>
#include "dns/reply.h"
#include "tests/lib/tap.h"

static void same(const char *ascii, const char *want)
{
	struct dns_reply_chain a, b;
	enum mp_err ea = dns_reply_chain_init(&a, ascii);
	enum mp_err eb = dns_reply_chain_init_valid(&b, ascii, strlen(ascii));

	tap_ok(ea == ERR_OK && eb == ERR_OK, "init %s", ascii);
	tap_is_str(a.qname, want, "qname of %s", ascii);
	tap_is_str(b.qname, a.qname, "init_valid agrees for %s", ascii);
	tap_ok(a.hops == 0 && a.seen[0] == NULL && a.ttl == UINT32_MAX, "fresh chain state for %s",
	       ascii);
	dns_reply_chain_free(&a);
	dns_reply_chain_free(&b);
	dns_reply_chain_free(&a); /* twice is harmless */
}

int main(void)
{
	struct dns_reply_chain c;
	char longname[300];

	same("example.com", "example.com");
	same("Example.COM.", "Example.COM"); /* case kept, trailing dot dropped */
	same(".", ".");
	same("_dmarc.example.com", "_dmarc.example.com");
	same("user+tag@example.com", "user+tag\\@example.com");
	same("a(b).example", "a\\(b\\).example");
	same("x\\y.example", "x\\\\y.example");
	same("q\"u;o$te.example", "q\\\"u\\;o\\$te.example");

	/* 4 x 63-character labels: 255 characters, the longest valid name + dot. */
	memset(longname, 'a', sizeof longname);
	for (int i = 63; i < 255; i += 64)
		longname[i] = '.';
	longname[253] = '\0';
	same(longname, longname);

	tap_ok(dns_reply_chain_init(&c, "a..b") == ERR_INVAL, "empty label refused");
	dns_reply_chain_free(&c);
	tap_ok(dns_reply_chain_init(&c, "") == ERR_INVAL, "empty name refused");
	dns_reply_chain_free(&c);
	memset(longname, 'a', sizeof longname);
	longname[sizeof longname - 1] = '\0';
	tap_ok(dns_reply_chain_init(&c, longname) == ERR_INVAL, "299-character name refused");
	dns_reply_chain_free(&c);
	tap_ok(dns_reply_chain_init_valid(&c, longname, strlen(longname)) == ERR_INVAL,
	       "init_valid refuses an overlong name instead of overflowing");
	dns_reply_chain_free(&c);
	return tap_done();
}
