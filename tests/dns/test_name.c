/*
 * tests/dns/test_name: dns/name, IDNA conversion (libidn2) both ways and
 * the pure name helpers, including hostile input (NUL, invalid UTF-8,
 * oversized names).
 */
#include <stdio.h>
#include <string.h>
#include "dns/name.h"
#include "tests/lib/tap.h"

static void ascii_ok(const char *in, const char *want)
{
	char out[DNS_NAME_BUFSZ];
	const char *why = NULL;
	enum mp_err e = dns_name_to_ascii(in, strlen(in), out, &why);

	tap_is_str(e == ERR_OK ? out : why, want, "to_ascii(%s)", in);
}

static void ascii_bad(const char *in, size_t len, const char *why_want, const char *what)
{
	char out[DNS_NAME_BUFSZ];
	const char *why = NULL;

	tap_is_int(dns_name_to_ascii(in, len, out, &why), ERR_INVAL, "to_ascii refuses %s", what);
	tap_is_str(why, why_want, "  reason for %s", what);
}

static void display(const char *in, const char *want)
{
	char out[DNS_NAME_DISPLAY_BUFSZ];

	tap_is_int(dns_name_to_display(in, out, sizeof out), ERR_OK, "to_display(%s) fits", in);
	tap_is_str(out, want, "to_display(%s)", in);
}

static void test_to_ascii(void)
{
	char long_label[65], long_name[400], big[2000];
	char out[DNS_NAME_BUFSZ];

	ascii_ok("Example.COM.", "example.com");
	ascii_ok("bücher.example", "xn--bcher-kva.example");
	ascii_ok("BÜCHER.Example.", "xn--bcher-kva.example");
	ascii_ok("_dmarc.bücher.example", "_dmarc.xn--bcher-kva.example");
	ascii_ok("\xe4\xbe\x8b\xe3\x81\x88\xe3\x80\x82\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
		 "xn--r8jz45g.xn--zckzah");	   /* ideographic full stop separates labels */
	ascii_ok("Straße.de", "xn--strae-oqa.de"); /* non-transitional: ß kept */
	ascii_ok("User+Tag@x._spf.Example.com", "user+tag@x._spf.example.com");
	ascii_ok("ab--cd.example", "ab--cd.example"); /* ASCII is not run through IDNA */
	ascii_ok("-abc.example", "-abc.example");
	ascii_ok(".", ".");
	ascii_ok("xn--bcher-kva.example", "xn--bcher-kva.example");

	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	ascii_bad(long_label, 64, "label longer than 63 octets", "a 64-octet label");
	long_label[63] = '\0';
	ascii_ok(long_label, long_label);
	/* 4 labels of 63 + 3 dots = 255 > 253; 253 exactly is fine. */
	snprintf(long_name, sizeof long_name, "%s.%s.%s.%s", long_label, long_label, long_label,
		 long_label);
	ascii_bad(long_name, strlen(long_name), "name longer than 253 octets", "255 characters");
	long_name[253] = '\0';
	tap_is_int(dns_name_to_ascii(long_name, 253, out, NULL), ERR_OK, "253 characters fit");
	ascii_bad("a..b", 4, "empty label", "an empty label");
	ascii_bad(".example", 8, "empty label", "a leading dot");
	ascii_bad("..", 2, "empty label", "two dots");
	ascii_bad("", 0, "empty name", "the empty name");
	ascii_bad("a b.example", 11, "invalid character", "a space");
	ascii_bad("a\0b.example", 11, "invalid character", "a NUL byte");
	ascii_bad("\x01.example", 9, "invalid character", "a control byte");
	ascii_bad("b\xc3\xbc\0cher.example", 14, "invalid character", "a NUL in UTF-8");
	ascii_bad("\xf0\x9f\x91\x8d.example", 12, "not a valid IDN", "an emoji");
	ascii_bad("\xff\xfe.example", 10, "not a valid IDN", "invalid UTF-8");
	ascii_bad("b\xc3\xbc..example", 10, "empty label", "an empty label after IDN");
	memset(big, 'a', sizeof big);
	ascii_bad(big, sizeof big, "name longer than 253 octets", "2000 bytes");
	memcpy(big, "\xc3\xbc", 2);
	ascii_bad(big, 1000, "not a valid IDN", "a 1000-byte Unicode label");
}

static void test_display(void)
{
	char small[8];

	display("xn--bcher-kva.example", "bücher.example");
	display("XN--BCHER-KVA.Example.", "bücher.Example.");
	display("_dmarc.xn--bcher-kva.example", "_dmarc.bücher.example");
	display("xn--r8jz45g.xn--zckzah",
		"\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88");
	display("xn--ab.example", "xn--ab.example");	 /* decodes to nothing sensible */
	display("xn--zzzz.example", "xn--zzzz.example"); /* bad Punycode */
	display("xn--.example", "xn--.example");
	display("plain.example", "plain.example");
	display("a\x01"
		"b.example",
		"a\\001b.example");
	display(".", ".");
	tap_is_int(dns_name_to_display("xn--bcher-kva.example", small, sizeof small), ERR_LIMIT,
		   "to_display: ERR_LIMIT when the buffer is small");
}

static void test_roundtrip(void)
{
	const char *names[] = {"bücher.example", "例え.テスト", "mañana.example.com",
			       "ελληνικά.example", "plain.example"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char a[DNS_NAME_BUFSZ], d[DNS_NAME_DISPLAY_BUFSZ];

		tap_ok(dns_name_to_ascii(names[i], strlen(names[i]), a, NULL) == ERR_OK &&
			   dns_name_to_display(a, d, sizeof d) == ERR_OK &&
			   strcmp(d, names[i]) == 0,
		       "round trip %s", names[i]);
	}
}

static void test_helpers(void)
{
	size_t plen = 99;
	const char *p;

	tap_ok(dns_name_valid("example.com.", 12), "valid: trailing dot");
	tap_ok(dns_name_valid(".", 1), "valid: root");
	tap_ok(!dns_name_valid("", 0), "invalid: empty");
	tap_is_str(dns_name_problem("a.\x7f", 3), "invalid character", "problem: DEL");
	tap_ok(dns_name_is_hostname("mail-1.Example.com.", 19), "hostname: LDH");
	tap_ok(!dns_name_is_hostname("_dmarc.example.com", 18), "hostname: underscore");
	tap_ok(!dns_name_is_hostname("-a.example", 10), "hostname: leading hyphen");
	tap_ok(!dns_name_is_hostname("a-.example", 10), "hostname: trailing hyphen");
	tap_ok(!dns_name_is_hostname(".", 1), "hostname: root");
	tap_ok(!dns_name_is_hostname("a..b", 4), "hostname: empty label");
	tap_ok(dns_name_equal("Example.COM.", 12, "example.com", 11), "equal: case, dot");
	tap_ok(!dns_name_equal("example.com", 11, "example.co", 10), "equal: different");
	tap_ok(dns_name_is_under("a.Example.com", 13, "example.com.", 12), "under: child");
	tap_ok(dns_name_is_under("example.com", 11, "example.com", 11), "under: itself");
	tap_ok(!dns_name_is_under("badexample.com", 14, "example.com", 11), "under: not a label");
	tap_ok(!dns_name_is_under("com", 3, "example.com", 11), "under: parent is not under");
	tap_ok(dns_name_is_under("x.y", 3, ".", 1), "under: root above all");
	p = dns_name_parent("a.b.c.", 6, &plen);
	tap_ok(p && plen == 3 && memcmp(p, "b.c", 3) == 0, "parent of a.b.c.");
	tap_ok(dns_name_parent("c", 1, &plen) == NULL && plen == 3, "parent: single label");
	tap_ok(dns_name_parent("a.", 2, &plen) == NULL, "parent: a.");
	tap_ok(dns_name_parent("", 0, &plen) == NULL, "parent: empty");
	tap_is_int((long long)dns_name_label_count("a.b.c.", 6), 3, "labels a.b.c.");
	tap_is_int((long long)dns_name_label_count(".", 1), 0, "labels .");
	tap_is_int((long long)dns_name_label_count("", 0), 0, "labels empty");
}

/*
 * The ASCII fast path of dns_name_to_ascii() against its contract, on
 * many generated names near every limit: a valid ASCII name comes back
 * lower-cased without its trailing dot; anything else gets exactly the
 * reason dns_name_problem() gives.
 */
static void test_ascii_model(void)
{
	static const char alphabet[] = "aZ9-_.\t \x01+@(\\\x7f";
	unsigned r = 2463534242u, bad = 0, n = 0, valid = 0;
	char name[400], out[DNS_NAME_BUFSZ], want[DNS_NAME_BUFSZ];

	for (int k = 0; k < 20000; k++) {
		size_t len, wl;
		const char *why = NULL, *p;
		enum mp_err e;

		r ^= r << 13, r ^= r >> 17, r ^= r << 5;
		len = r % 300;
		for (size_t i = 0; i < len; i++) {
			r ^= r << 13, r ^= r >> 17, r ^= r << 5;
			/* mostly letters and dots, now and then anything else,
			 * so valid names, long labels and long names all occur */
			if (r % 16 == 0)
				name[i] = alphabet[(r >> 4) % (sizeof alphabet - 1)];
			else if (r % 16 < 3)
				name[i] = '.';
			else
				name[i] = (char)('a' + (r >> 4) % 26 - (r & 1024 ? 32 : 0));
		}
		if ((r >> 8) % 4 == 0 && len > 0 && len < 240) {
			/* a quarter of them: no special bytes at all */
			for (size_t i = 0; i < len; i++)
				if (name[i] != '.' && !(name[i] >= 'a' && name[i] <= 'z'))
					name[i] = 'Q';
		}
		e = dns_name_to_ascii(name, len, out, &why);
		p = dns_name_problem(name, len);
		n++;
		valid += p == NULL;
		if (p != NULL) {
			bad += !(e == ERR_INVAL && why != NULL && strcmp(why, p) == 0);
			continue;
		}
		wl = len > 1 && name[len - 1] == '.' ? len - 1 : len;
		for (size_t i = 0; i < wl; i++)
			want[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
		want[wl] = '\0';
		bad += !(e == ERR_OK && strcmp(out, want) == 0);
	}
	tap_is_int(bad, 0, "%u generated ASCII names: result and reason as the model says", n);
	tap_ok(valid > 2000 && n - valid > 2000, "the mix has valid (%u) and invalid (%u) names",
	       valid, n - valid);
}

int main(void)
{
	test_ascii_model();
	test_to_ascii();
	test_display();
	test_roundtrip();
	test_helpers();
	return tap_done();
}
