/*
 * tests/dns/test_tags: the shared tag-list parser (RFC 6376 3.2) and the
 * lookup chores of dns/txtrec (version-tag selection, names, URIs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/tags.h"
#include "dns/txtrec.h"
#include "tests/lib/tap.h"

static void test_tags(void)
{
	struct dns_tags t;
	char why[128];
	const struct dns_tag *g;
	char *nows;

	tap_ok(dns_tags_parse(" v = DKIM1 ;\r\n k=rsa; p=AB CD\tEF ;", 34, 0, &t, why,
			      sizeof why) == ERR_OK &&
		   t.n == 3 && (g = dns_tags_find(&t, "p")) != NULL && g->value_len == 8 &&
		   memcmp(g->value, "AB CD\tEF", 8) == 0,
	       "FWS around names, '=' and values; inner whitespace kept");
	nows = dns_tags_value_nows(dns_tags_find(&t, "p"), NULL);
	tap_is_str(nows, "ABCDEF", "value without whitespace");
	free(nows);
	{
		/* Whitespace past the first 8 bytes; bytes below 0x21 or above 0x7e are kept. */
		struct dns_tag raw = {.name = "p",
				      .name_len = 1,
				      .value = "ABCDEFGHIJ KLM\tNOP\r\nQRSTUVWXYZ",
				      .value_len = 30};
		struct dns_tag odd = {.name = "p",
				      .name_len = 1,
				      .value = "ab\x01"
					       "cd efgh\xc3ij\x7f",
				      .value_len = 14};
		size_t n = 0;

		nows = dns_tags_value_nows(&raw, &n);
		tap_ok(n == 26 && strcmp(nows, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 0,
		       "whitespace anywhere in a long value removed");
		free(nows);
		nows = dns_tags_value_nows(&odd, &n);
		tap_ok(n == 13 && memcmp(nows,
					 "ab\x01"
					 "cdefgh\xc3ij\x7f",
					 13) == 0,
		       "only SP, HTAB, CR, LF removed");
		free(nows);
		raw.value_len = 10;
		nows = dns_tags_value_nows(&raw, &n);
		tap_ok(n == 10 && strcmp(nows, "ABCDEFGHIJ") == 0, "no whitespace: copied whole");
		free(nows);
	}
	tap_ok(dns_tags_parse("p=ABCDEFGHIJ KLMNOPQRSTUVWXYZ012345 \t; q=1", 42, 0, &t, why,
			      sizeof why) == ERR_OK &&
		   t.n == 2 && t.v[0].value_len == 33 &&
		   memcmp(t.v[0].value, "ABCDEFGHIJ KLMNOPQRSTUVWXYZ012345", 33) == 0,
	       "long value: inner space kept, trailing whitespace trimmed, ';' ends it");
	tap_ok(dns_tags_parse("p=ABCDEFGHIJKLMNOPQR\x01ST", 23, 0, &t, why, sizeof why) ==
		       ERR_PARSE &&
		   strstr(why, "offset 20") != NULL,
	       "a control byte past the first 8 value bytes is refused where it is (%s)", why);
	tap_ok(dns_tags_parse("p=ABCDEFGHIJKLMNOPQRSTUVW\x7f", 26, 0, &t, why, sizeof why) ==
		       ERR_PARSE &&
		   strstr(why, "offset 25") != NULL,
	       "DEL refused (%s)", why);
	tap_ok(dns_tags_parse("p=ABCDEFGH\xc3\xa9IJKLMNOP", 20, 0, &t, why, sizeof why) ==
		       ERR_PARSE &&
		   strstr(why, "offset 10") != NULL,
	       "a UTF-8 byte refused (%s)", why);
	tap_ok(dns_tags_find(&t, "P") == NULL, "names are case-sensitive by default");
	tap_ok(dns_tags_parse("A=1; b=2", 8, DNS_TAGS_ICASE, &t, why, sizeof why) == ERR_OK &&
		   dns_tags_find(&t, "a") != NULL && dns_tags_value_is(&t.v[1], "2", false),
	       "DNS_TAGS_ICASE finds names in any case");
	tap_ok(dns_tags_parse("a=1;;; b=;", 10, 0, &t, why, sizeof why) == ERR_OK && t.n == 2 &&
		   t.v[1].value_len == 0,
	       "empty tag-specs skipped, empty value kept");
	tap_ok(dns_tags_parse("", 0, 0, &t, why, sizeof why) == ERR_OK && t.n == 0, "empty list");
	tap_ok(dns_tags_parse("a=1; A=2", 8, DNS_TAGS_ICASE, &t, why, sizeof why) == ERR_PARSE &&
		   strstr(why, "more than once"),
	       "duplicate in other case refused with ICASE (%s)", why);
	tap_ok(dns_tags_parse("a=1; A=2", 8, 0, &t, why, sizeof why) == ERR_OK,
	       "... and allowed when case-sensitive");
	tap_ok(dns_tags_parse("1a=x", 4, 0, &t, why, sizeof why) == ERR_PARSE,
	       "name starting with a digit refused (%s)", why);
	tap_ok(dns_tags_parse("a=x;b", 5, 0, &t, why, sizeof why) == ERR_PARSE &&
		   strstr(why, "'='"),
	       "name without '=' refused (%s)", why);
	tap_ok(dns_tags_parse("a=x\0y", 5, 0, &t, why, sizeof why) == ERR_PARSE &&
		   strstr(why, "\\x00") && strstr(why, "offset 3"),
	       "NUL byte refused, shown escaped with its offset (%s)", why);
	tap_ok(dns_tags_parse("a=\xc3\xa9", 4, 0, &t, why, sizeof why) == ERR_PARSE &&
		   strstr(why, "\\xc3"),
	       "8-bit byte refused (%s)", why);
	{
		char *big = xmalloc(65536);
		size_t n = 0;

		while (n + 8 < 65536)
			n += (size_t)snprintf(big + n, 9, "t%d=1;", (int)(n % 1000));
		tap_ok(dns_tags_parse(big, n, 0, &t, why, sizeof why) != ERR_OK,
		       "64 KB of tags: refused (%s)", why);
		n = 0;
		for (int i = 0; i < 500; i++)
			n += (size_t)snprintf(big + n, 16, "x%d=1;", i);
		tap_ok(dns_tags_parse(big, n, 0, &t, why, sizeof why) == ERR_LIMIT,
		       "500 distinct tags: ERR_LIMIT (%s)", why);
		memset(big, 'v', 65536);
		big[0] = 'a';
		big[1] = '=';
		tap_ok(dns_tags_parse(big, 65536, 0, &t, why, sizeof why) == ERR_OK &&
			   t.v[0].value_len == 65534,
		       "one 64 KB value parses in place");
		free(big);
	}
}

static void test_txtrec(void)
{
	char *s;

	tap_ok(dns_txtrec_starts("v=DMARC1; p=none", 16, "v", "DMARC1", false) &&
		   dns_txtrec_starts("  v =  DMARC1", 13, "v", "DMARC1", false) &&
		   dns_txtrec_starts("v=DMARC1", 8, "v", "DMARC1", false) &&
		   !dns_txtrec_starts("v=DMARC10", 9, "v", "DMARC1", false) &&
		   !dns_txtrec_starts("v=dmarc1", 8, "v", "DMARC1", false) &&
		   dns_txtrec_starts("v=dmarc1", 8, "v", "DMARC1", true) &&
		   !dns_txtrec_starts("xv=DMARC1", 9, "v", "DMARC1", false) &&
		   !dns_txtrec_starts("v", 1, "v", "DMARC1", false),
	       "version-tag recognition");
	tap_ok(dns_txtrec_name_ok("example.test") && dns_txtrec_name_ok("example.test.") &&
		   dns_txtrec_name_ok("_dmarc.example.test") && dns_txtrec_name_ok("*.x.test") &&
		   !dns_txtrec_name_ok("") && !dns_txtrec_name_ok(".") &&
		   !dns_txtrec_name_ok("a..b") && !dns_txtrec_name_ok(".a") &&
		   !dns_txtrec_name_ok("a b.test") && !dns_txtrec_name_ok("x.test..") &&
		   !dns_txtrec_name_ok("a\x01.test"),
	       "name validity");
	{
		char label[70], name[300];

		memset(label, 'l', 64);
		label[64] = '\0';
		snprintf(name, sizeof name, "%s.test", label);
		tap_ok(!dns_txtrec_name_ok(name), "64-byte label refused");
		memset(name, 'a', 254);
		name[254] = '\0';
		for (int i = 50; i < 254; i += 50)
			name[i] = '.';
		tap_ok(!dns_txtrec_name_ok(name), "254-character name refused");
	}
	tap_ok(dns_txtrec_uri_ok("mailto:a@b.test", 15, "mailto") &&
		   dns_txtrec_uri_ok("MAILTO:a@b.test", 15, "mailto") &&
		   !dns_txtrec_uri_ok("mailto:@b.test", 14, "mailto") &&
		   !dns_txtrec_uri_ok("mailto:a@", 9, "mailto") &&
		   dns_txtrec_uri_ok("https://r.test/x", 16, "https") &&
		   !dns_txtrec_uri_ok("https:/r.test", 13, "https") &&
		   !dns_txtrec_uri_ok("https:///x", 10, "https") &&
		   !dns_txtrec_uri_ok("https://r.test/a b", 18, "https") &&
		   !dns_txtrec_uri_ok("http://r.test/", 14, "https"),
	       "URI plausibility for mailto: and https:");
	s = dns_txtrec_name("_dmarc", "Example.TEST.");
	tap_is_str(s, "_dmarc.example.test", "names built in canonical form");
	free(s);
	{
		struct dns_answer *a = dns_answer_new("x", DNS_T_TXT, DNS_DATA, NULL);
		struct dns_txtrec t;
		size_t n;
		char *ev;

		dns_answer_add(a, "v=STSv1; id=1", 13, 60, 0);
		dns_answer_add(a, "other", 5, 60, 0);
		dns_answer_add(a, "v=STSv1;id=2", 12, 60, 0);
		dns_txtrec_select(a, "v", "STSv1", false, &t);
		tap_ok(t.n_match == 2 && t.n_txt == 3 && t.first == &a->rr[0],
		       "select counts the records of one kind");
		ev = dns_txtrec_evidence(a, &n);
		tap_is_str(ev, "v=STSv1; id=1 | other | v=STSv1;id=2",
			   "evidence joins the records");
		free(ev);
		dns_answer_free(a);
	}
}

int main(void)
{
	test_tags();
	test_txtrec();
	return tap_done();
}
