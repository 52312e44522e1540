/* tests/dns/test_spf_record: record selection (RFC 7208 4.5) and the strict parser. */
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_record.h"
#include "tests/lib/tap.h"

/* Parse a C-string record; returns the result code, frees the record. */
static enum mp_err parse(const char *txt, struct dns_spf_syntax *why)
{
	struct dns_spf_record *rec = NULL;
	enum mp_err e = dns_spf_record_parse(txt, strlen(txt), &rec, why);

	dns_spf_record_free(rec);
	return e;
}

static void test_is_spf(void)
{
	tap_ok(dns_spf_record_is_spf("v=spf1", 6), "bare v=spf1 is SPF");
	tap_ok(dns_spf_record_is_spf("V=SpF1 -all", 11), "version is case-insensitive");
	tap_ok(!dns_spf_record_is_spf("v=spf10", 7), "v=spf10 is not SPF");
	tap_ok(!dns_spf_record_is_spf("v=spf1mx", 8), "v=spf1mx (joined strings) is not SPF");
	tap_ok(!dns_spf_record_is_spf("v=spf1\t-all", 11), "a tab does not end the version");
	tap_ok(!dns_spf_record_is_spf("v=spf", 5), "short record is not SPF");
	tap_ok(!dns_spf_record_is_spf(" v=spf1", 7), "leading space is not SPF");
	tap_ok(!dns_spf_record_is_spf("v=spf1\0 a", 9), "NUL after the version is not SP");
}

static void test_select(void)
{
	struct dns_answer *a = dns_answer_new("example.test", DNS_T_TXT, DNS_DATA, NULL);
	const struct dns_rr *rr;

	dns_answer_add(a, "google-site-verification=x", 26, 300, 0);
	tap_is_int((long long)dns_spf_record_select(a, &rr), 0, "no SPF among TXT records");
	tap_ok(rr == NULL, "no record selected");
	dns_answer_add(a, "v=spf1 -all", 11, 300, 0);
	tap_is_int((long long)dns_spf_record_select(a, &rr), 1, "one SPF record selected");
	tap_ok(rr != NULL && rr->len == 11, "the SPF record is the one returned");
	dns_answer_add(a, "V=SPF1 +all", 11, 300, 0);
	tap_is_int((long long)dns_spf_record_select(a, &rr), 2, "two SPF records counted");
	dns_answer_free(a);
	a = dns_answer_new("example.test", DNS_T_TXT, DNS_NXDOMAIN, NULL);
	tap_is_int((long long)dns_spf_record_select(a, &rr), 0, "NXDOMAIN selects nothing");
	dns_answer_free(a);
}

static void test_valid(void)
{
	const char *txt =
	    "v=spf1 +a mx/24 -ip4:192.0.2.0/24 ~ip6:2001:DB8::/32 ?all "
	    "a:mail.example.com/24//64 mx//0 ptr:example.org exists:%{ir}.bl.example.com "
	    "include:_spf.example.net exp=exp.%{d} redirect=%{d}.d.example.com. "
	    "moo.cow-far_out=man:dog/cat";
	struct dns_spf_record *rec = NULL;
	const struct dns_spf_term *t;

	if (!tap_ok(dns_spf_record_parse(txt, strlen(txt), &rec, NULL) == ERR_OK,
		    "a record with every kind of term parses"))
		return;
	tap_is_int((long long)rec->n, 13, "13 terms");
	t = rec->terms;
	tap_ok(t[0].kind == DNS_SPF_A && t[0].qualifier == '+' && t[0].spec == NULL &&
		   t[0].cidr4 == 32 && t[0].cidr6 == 128,
	       "+a: defaults");
	tap_ok(t[1].kind == DNS_SPF_MX && t[1].qualifier == '+' && t[1].cidr4 == 24, "mx/24");
	tap_ok(t[2].kind == DNS_SPF_IP4 && t[2].qualifier == '-' && t[2].cidr4 == 24 &&
		   memcmp(t[2].net, "\xc0\x00\x02\x00", 4) == 0,
	       "-ip4:192.0.2.0/24");
	tap_ok(t[3].kind == DNS_SPF_IP6 && t[3].qualifier == '~' && t[3].cidr6 == 32 &&
		   memcmp(t[3].net, "\x20\x01\x0d\xb8", 4) == 0,
	       "~ip6:2001:DB8::/32");
	tap_ok(t[4].kind == DNS_SPF_ALL && t[4].qualifier == '?', "?all");
	tap_ok(t[5].spec_len == 16 && memcmp(t[5].spec, "mail.example.com", 16) == 0 &&
		   t[5].cidr4 == 24 && t[5].cidr6 == 64,
	       "a:domain/24//64 splits domain and dual CIDR");
	tap_ok(t[6].spec == NULL && t[6].cidr4 == 32 && t[6].cidr6 == 0, "mx//0");
	tap_ok(t[7].kind == DNS_SPF_PTR && t[7].spec_len == 11, "ptr:domain");
	tap_ok(t[8].kind == DNS_SPF_EXISTS, "exists with macros");
	tap_ok(t[9].kind == DNS_SPF_INCLUDE && t[9].spec_len == 16, "include");
	tap_ok(rec->exp == &t[10] && rec->redirect == &t[11], "exp= and redirect= remembered");
	tap_ok(t[12].kind == DNS_SPF_UNKNOWN_MOD && t[12].name_len == 15, "unknown modifier kept");
	tap_ok(rec->has_all, "has_all");
	dns_spf_record_free(rec);
}

static void test_more_valid(void)
{
	static const char *const ok[] = {
	    "v=spf1",
	    "v=spf1 ",
	    "v=spf1  a  -all   ",
	    "V=SPF1 A MX -ALL Redirect=Example.COM",
	    "v=spf1 a:foo:bar/baz.example.com",
	    "v=spf1 a:foo.example.xn--zckzah -all",
	    "v=spf1 a:a.123-456",
	    "v=spf1 a:.com",
	    "v=spf1 a:%{d} mx:%{d}/24 a:x.%{d}%%",
	    "v=spf1 ip6:::FFFF:1.2.3.4 ip4:0.0.0.0/0 ip6:::/0",
	    "v=spf1 default=+ foo= op=a.b",
	    "v=spf1 exists:%{l2r+-}.user.%{d2} exists:%{i}.%{l2r-}.user.%{d2}",
	    "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
	    "v=spf1 exp=%{ir}.%{v}._spf.%{d2}",
	    "v=spf1 a:%{d01}.example.com",
	};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		tap_ok(parse(ok[i], NULL) == ERR_OK, "valid: %s", ok[i]);
}

struct bad {
	const char *txt;
	const char *reason; /* a substring of the reason */
};

/* Invalid records and a word of the reason each must give. */
static const struct bad bad[] = {
    {"v=spf1 -all.", "unknown mechanism"},
    {"v=spf1 -all:foobar", "all takes no argument"},
    {"v=spf1 -all/8", "all takes no argument"},
    {"v=spf1 ptr/0 -all", "ptr takes no CIDR"},
    {"v=spf1 a/33 -all", "CIDR"},
    {"v=spf1 a//129 -all", "IPv6 CIDR"},
    {"v=spf1 a/24/64 -all", "CIDR"},
    {"v=spf1 ip4:1.2.3.4/032", "leading zero"},
    {"v=spf1 a:example.com/024", "CIDR"},
    {"v=spf1 ip4:1.2.3.4/33", "CIDR"},
    {"v=spf1 ip4:1.2.3", "IPv4"},
    {"v=spf1 ip4:1.2.3.4:8080", "IPv4"},
    {"v=spf1 ip4:01.2.3.4", "IPv4"},
    {"v=spf1 ip4:1.2.3.256", "IPv4"},
    {"v=spf1 ip4", "needs ':'"},
    {"v=spf1 -all ip6", "needs ':'"},
    {"v=spf1 ip6::CAFE::BABE", "IPv6"},
    {"v=spf1 ip4:1.2.3.4//32", "CIDR"},
    {"v=spf1 ip6:::1.1.1.1/129", "CIDR"},
    {"v=spf1 ip6:::1.1.1.1//33", "CIDR"},
    {"v=spf1 a:foo-bar -all", "top label"},
    {"v=spf1 a:museum", "top label"},
    {"v=spf1 a:museum.", "top label"},
    {"v=spf1 a:abc.123", "top label"},
    {"v=spf1 a:111.222.33.44", "top label"},
    {"v=spf1 a:example.-com", "top label"},
    {"v=spf1 a:example.com-", "top label"},
    {"v=spf1 a:example.com:8080", "top label"},
    {"v=spf1 a:%{d}.", "top label"},
    {"v=spf1 a:", "empty domain-spec"},
    {"v=spf1 mx: -all", "empty domain-spec"},
    {"v=spf1 include: -all", "empty domain-spec"},
    {"v=spf1 include", "needs ':'"},
    {"v=spf1 exists", "needs ':'"},
    {"v=spf1 exists:", "empty domain-spec"},
    {"v=spf1 include:ip5.example.com/24", "top label"},
    {"v=spf1 exists:mail.example.com/24", "top label"},
    {"v=spf1 ip4:1.2.3.4 redirect:t2.example.com", "unknown mechanism"},
    {"v=spf1 ?all redirect=", "empty domain-spec"},
    {"v=spf1 exp= -all", "empty domain-spec"},
    {"v=spf1 exp=-all", "top label"},
    {"v=spf1 redirect=-all ?all", "top label"},
    {"v=spf1 -all exp=%{r}.example.com", "explanation text"},
    {"v=spf1 a:%{c}.example.com", "explanation text"},
    {"v=spf1 redirect=a.example.com -all redirect=a.example.com", "only once"},
    {"v=spf1 exp=a.example.com exp=b.example.com", "only once"},
    {"v=spf1 1up=foo", "start with a letter"},
    {"v=spf1 =all", "without a name"},
    {"v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all", "unknown mechanism"},
    {"v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all", "unknown mechanism"},
    {"v=spf1 -all foo=%abc", "'%' must be followed"},
    {"v=spf1 -exists:%(ir).sbl.example.com ?all", "'%' must be followed"},
    {"v=spf1 exists:foo%.sbl.example.com ?all", "'%' must be followed"},
    {"v=spf1 exists:foo.sbl.example.com%", "'%' must be followed"},
    {"v=spf1 a:%{a}.example.com -all", "unknown macro letter"},
    {"v=spf1 a:%{d0}.example.com", "zero"},
    {"v=spf1 a:%{d.example.com", "not closed"},
    {"v=spf1 a:%{d2r|}.example.com", "not closed"},
    {"v=spf1 a:ctrl.example.com\rptr -all", "control character"},
    {"v=spf1 ip4:192.0.2.5\n include:spf.example.com ~all", "control character"},
    {"v=spf1 \xc2\x80"
     "a:example.net -all",
     "non-ASCII"},
    {"v=spf1 a:\xef\xbb\xbfgarbage.example.net -all", "non-ASCII"},
    {"v=spf1 a:example.net \xff\xfe"
     "all",
     "non-ASCII"},
    {"v=spf1 frobnicate", "unknown mechanism"},
    {"v=spf1 ip", "unknown mechanism"},
    {"spf1 -all", "not an SPF record"},
};

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dns_spf_syntax why = {0};
		enum mp_err e = parse(bad[i].txt, &why);

		tap_ok(e == ERR_PARSE && why.reason && strstr(why.reason, bad[i].reason),
		       "invalid: %s -> %s (%s at '%s')", bad[i].txt, bad[i].reason,
		       why.reason ? why.reason : "-", why.term);
	}
}

static void test_nul(void)
{
	static const char txt[] = "v=spf1 a:foo.example.com\0 -all";
	struct dns_spf_record *rec = NULL;
	struct dns_spf_syntax why = {0};

	tap_ok(dns_spf_record_parse(txt, sizeof txt - 1, &rec, &why) == ERR_PARSE && rec == NULL,
	       "a NUL inside a record is a syntax error, not an end");
	tap_is_int((long long)why.pos, 24, "error position is the NUL byte");
	tap_is_str(why.term, "a:foo.example.com\\x00", "offending term shown with the NUL escaped");
	tap_ok(dns_spf_record_parse(txt, 24, &rec, NULL) == ERR_OK, "the bytes before it parse");
	dns_spf_record_free(rec);
}

static void test_caps(void)
{
	size_t big = 65536;
	char *txt = xmalloc(big);
	struct dns_spf_syntax why = {0};
	struct dns_spf_record *rec = NULL;
	enum mp_err e;

	memcpy(txt, "v=spf1", 6);
	memset(txt + 6, ' ', big - 6);
	for (size_t i = 7; i + 1 < big; i += 2)
		txt[i] = 'a';
	e = dns_spf_record_parse(txt, big, &rec, &why);
	tap_ok(e == ERR_LIMIT && strstr(why.reason, "4096"), "64 KB record rejected: %s",
	       why.reason);
	e = dns_spf_record_parse(txt, 4096, &rec, &why);
	tap_ok(e == ERR_LIMIT && strstr(why.reason, "512 terms"), "2045 terms rejected: %s",
	       why.reason);
	tap_ok(dns_spf_record_parse(txt, 6 + 2 * 1000, &rec, &why) == ERR_LIMIT,
	       "1000 terms rejected");
	tap_ok(dns_spf_record_parse(txt, 6 + 2 * 512, &rec, NULL) == ERR_OK && rec->n == 512,
	       "exactly 512 terms accepted");
	dns_spf_record_free(rec);
	rec = NULL;
	memset(txt + 7, 'x', 4096 - 7);
	memcpy(txt + 7, "exp=", 4);
	memcpy(txt + 4096 - 4, ".com", 4);
	tap_ok(dns_spf_record_parse(txt, 4096, &rec, NULL) == ERR_OK,
	       "a 4096-byte record is accepted");
	dns_spf_record_free(rec);
	tap_ok(dns_spf_record_parse(txt, 4097, &rec, NULL) == ERR_LIMIT,
	       "a 4097-byte record is not");
	free(txt);
}

static void test_names(void)
{
	tap_is_str(dns_spf_kind_name(DNS_SPF_INCLUDE), "include", "kind name include");
	tap_is_str(dns_spf_kind_name(DNS_SPF_REDIRECT), "redirect", "kind name redirect");
	tap_is_str(dns_spf_kind_name(DNS_SPF_UNKNOWN_MOD), "modifier", "kind name modifier");
	tap_ok(dns_spf_kind_queries_dns(DNS_SPF_REDIRECT) &&
		   dns_spf_kind_queries_dns(DNS_SPF_PTR) &&
		   !dns_spf_kind_queries_dns(DNS_SPF_IP4) &&
		   !dns_spf_kind_queries_dns(DNS_SPF_ALL) && !dns_spf_kind_queries_dns(DNS_SPF_EXP),
	       "RFC 7208 4.6.4 DNS-querying terms");
}

int main(void)
{
	test_is_spf();
	test_select();
	test_valid();
	test_more_valid();
	test_invalid();
	test_nul();
	test_caps();
	test_names();
	return tap_done();
}
