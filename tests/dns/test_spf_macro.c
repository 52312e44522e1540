/*
 * tests/dns/test_spf_macro: macro syntax and expansion (RFC 7208 7), the
 * RFC 7208 7.4 examples verbatim, "%{p}" through a fake zone, truncation.
 */
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_macro.h"
#include "dns/spf_ptr.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static struct dns_spf_ip ip4, ip6;

/* The RFC 7208 7.4 context: strong-bad@email.example.com from 192.0.2.3. */
static struct dns_spf_macro_ctx rfc_ctx(const struct dns_spf_ip *ip)
{
	return (struct dns_spf_macro_ctx){
	    .sender = "strong-bad@email.example.com",
	    .local = "strong-bad",
	    .sender_domain = "email.example.com",
	    .domain = "email.example.com",
	    .helo = "mx.example.org",
	    .ip = ip,
	    .now = 1234567890,
	};
}

/* Expand s; returns a fresh string, or NULL with *err set. */
static char *expand(const struct dns_spf_macro_ctx *ctx, const char *s,
		    enum dns_spf_macro_mode mode, enum mp_err *err)
{
	struct buf b;
	enum mp_err e;
	char *r = NULL;

	common_buf_init(&b, 4096);
	e = dns_spf_macro_expand(ctx, s, strlen(s), mode, &b);
	if (e == ERR_OK)
		r = common_buf_steal(&b, NULL);
	common_buf_free(&b);
	if (err)
		*err = e;
	return r;
}

static void is_expansion(const struct dns_spf_macro_ctx *ctx, const char *s,
			 enum dns_spf_macro_mode mode, const char *want)
{
	char *got = expand(ctx, s, mode, NULL);

	tap_is_str(got, want, "%s -> %s", s, want);
	free(got);
}

/* RFC 7208 7.4, the examples exactly as printed there. */
static void test_rfc_examples(void)
{
	static const char *const ex[][2] = {
	    {"%{s}", "strong-bad@email.example.com"},
	    {"%{o}", "email.example.com"},
	    {"%{d}", "email.example.com"},
	    {"%{d4}", "email.example.com"},
	    {"%{d3}", "email.example.com"},
	    {"%{d2}", "example.com"},
	    {"%{d1}", "com"},
	    {"%{dr}", "com.example.email"},
	    {"%{d2r}", "example.email"},
	    {"%{l}", "strong-bad"},
	    {"%{l-}", "strong.bad"},
	    {"%{lr}", "strong-bad"},
	    {"%{lr-}", "bad.strong"},
	    {"%{l1r-}", "strong"},
	    {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
	    {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
	    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	    {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
	};
	struct dns_spf_macro_ctx c4 = rfc_ctx(&ip4), c6 = rfc_ctx(&ip6);

	for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
		is_expansion(&c4, ex[i][0], DNS_SPF_MACRO_DOMAIN, ex[i][1]);
	is_expansion(&c6, "%{ir}.%{v}._spf.%{d2}", DNS_SPF_MACRO_DOMAIN,
		     "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf."
		     "example.com");
}

static void test_letters(void)
{
	struct dns_spf_macro_ctx c4 = rfc_ctx(&ip4), c6 = rfc_ctx(&ip6);
	enum mp_err e;
	char *r;

	is_expansion(&c4, "%{c} %{v} %{h} %{t} %{r}", DNS_SPF_MACRO_EXPLAIN,
		     "192.0.2.3 in-addr mx.example.org 1234567890 unknown");
	c6.receiver = "mx.receiver.example";
	is_expansion(&c6, "%{c} %{v} %{r}", DNS_SPF_MACRO_EXPLAIN,
		     "2001:db8::cb01 ip6 mx.receiver.example");
	c6.hex_upper = true;
	is_expansion(&c6, "%{i}", DNS_SPF_MACRO_DOMAIN,
		     "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
	is_expansion(&c4, "%% %_ %-", DNS_SPF_MACRO_EXPLAIN, "%   %20");
	is_expansion(&c4, "a%%b%_c%-d", DNS_SPF_MACRO_DOMAIN, "a%b c%20d");
	is_expansion(&c4, "%{S}", DNS_SPF_MACRO_DOMAIN, "strong-bad%40email.example.com");
	is_expansion(&c4, "%{D2R}", DNS_SPF_MACRO_DOMAIN, "example.email");
	is_expansion(&c4, "%{dR}", DNS_SPF_MACRO_DOMAIN, "com.example.email");
	is_expansion(&c4, "%{d999}", DNS_SPF_MACRO_DOMAIN, "email.example.com");
	is_expansion(&c4, "%{d99999999999999999999}", DNS_SPF_MACRO_DOMAIN, "email.example.com");
	is_expansion(&c4, "%{d01}", DNS_SPF_MACRO_DOMAIN, "com");
	c4.local = "foo-bar+zip+quux";
	is_expansion(&c4, "%{l2r+-}", DNS_SPF_MACRO_DOMAIN, "bar.foo");
	is_expansion(&c4, "%{l+}", DNS_SPF_MACRO_DOMAIN, "foo-bar.zip.quux");
	c4.local = "~jack&jill=up-a_b3.c";
	/* RFC 7208 7.3: URL escaping uses upper-case hex (openspf upper-macro). */
	is_expansion(&c4, "%{L}", DNS_SPF_MACRO_DOMAIN, "~jack%26jill%3Dup-a_b3.c");
	c4.local = "";
	is_expansion(&c4, "[%{l}] [%{l1r-}]", DNS_SPF_MACRO_EXPLAIN, "[] []");
	c4.ip = NULL;
	r = expand(&c4, "%{i}", DNS_SPF_MACRO_DOMAIN, &e);
	tap_ok(r == NULL && e == ERR_INVAL, "%%{i} without an address is ERR_INVAL");
	c4.sender = NULL;
	r = expand(&c4, "%{s}", DNS_SPF_MACRO_DOMAIN, &e);
	tap_ok(r == NULL && e == ERR_INVAL, "%%{s} without a sender is ERR_INVAL");
}

static void test_syntax(void)
{
	static const char *const bad_domain[] = {
	    "%",    "%x",   "%{",  "%{d",  "%{d0}", "%{dr",	"%{d|}", "%{a}", "%{c}",
	    "%{r}", "%{t}", "a b", "a\tb", "a\x80", "%{d2r-x}", "%{}",	 "%%%",
	};
	const char *why = NULL;
	size_t pos = 99;

	for (size_t i = 0; i < sizeof bad_domain / sizeof bad_domain[0]; i++)
		tap_ok(dns_spf_macro_check(bad_domain[i], strlen(bad_domain[i]),
					   DNS_SPF_MACRO_DOMAIN, &why, &pos) == ERR_PARSE,
		       "bad macro-string '%s': %s", bad_domain[i], why);
	tap_ok(dns_spf_macro_check("a\0b", 3, DNS_SPF_MACRO_EXPLAIN, &why, &pos) == ERR_PARSE &&
		   pos == 1,
	       "NUL is never a macro-literal (at %zu)", pos);
	tap_ok(dns_spf_macro_check("see %{c} at %{t} by %{r}", 24, DNS_SPF_MACRO_EXPLAIN, &why,
				   &pos) == ERR_OK,
	       "c, t, r and spaces are fine in explanation text");
	tap_ok(dns_spf_macro_check("", 0, DNS_SPF_MACRO_DOMAIN, &why, &pos) == ERR_OK,
	       "the empty macro-string is valid");
	tap_ok(dns_spf_macro_check_domain("", 0, &why, &pos) == ERR_PARSE,
	       "an empty domain-spec is not: %s", why);
	tap_ok(dns_spf_macro_check_domain("%{d}", 4, &why, &pos) == ERR_OK &&
		   dns_spf_macro_check_domain("x%-", 3, &why, &pos) == ERR_OK &&
		   dns_spf_macro_check_domain("a.b.", 4, &why, &pos) == ERR_OK,
	       "domain-end: macro-expand or toplabel with optional dot");
	tap_ok(dns_spf_macro_check_domain("a.b..", 5, &why, &pos) == ERR_PARSE &&
		   dns_spf_macro_check_domain("a.-b", 4, &why, &pos) == ERR_PARSE &&
		   dns_spf_macro_check_domain("a.12", 4, &why, &pos) == ERR_PARSE &&
		   dns_spf_macro_check_domain("a.1-2", 5, &why, &pos) == ERR_OK,
	       "toplabel rules");
	tap_ok(dns_spf_macro_letters("%{ir}.%{v}.%{D2}%%", 18) ==
		   ((1u << ('i' - 'a')) | (1u << ('v' - 'a')) | (1u << ('d' - 'a'))),
	       "letters used");
}

static void test_domain(void)
{
	struct dns_spf_macro_ctx c = rfc_ctx(&ip4);
	char label[64], *spec, *out = NULL;

	tap_ok(dns_spf_macro_domain(&c, "%{d}.", 5, &out) == ERR_OK &&
		   strcmp(out, "email.example.com") == 0,
	       "one trailing dot dropped from a name");
	free(out);
	/* RFC 7208 7.3: names longer than 253 lose labels on the left. */
	memset(label, 'x', 63);
	label[63] = '\0';
	c.local = label;
	spec = xasprintf("%s.%%{l}.%%{l}.%%{l}.%%{l}.example.com", "first");
	tap_ok(dns_spf_macro_domain(&c, spec, strlen(spec), &out) == ERR_OK,
	       "long expansion expands");
	tap_ok(out && strlen(out) <= 253 && strncmp(out, "xxx", 3) == 0 &&
		   strstr(out, "first") == NULL,
	       "truncated on the left to %zu octets", out ? strlen(out) : 0);
	tap_ok(out && dns_spf_macro_name_ok(out), "the truncated name can be asked");
	free(out);
	free(spec);
	tap_ok(dns_spf_macro_name_ok("a.b") && dns_spf_macro_name_ok("a.b.") &&
		   dns_spf_macro_name_ok("foo:bar/baz.example.com") &&
		   !dns_spf_macro_name_ok("a..b") && !dns_spf_macro_name_ok(".a") &&
		   !dns_spf_macro_name_ok("") && !dns_spf_macro_name_ok("."),
	       "askable names");
	tap_ok(!dns_spf_macro_name_ok("a123456789012345678901234567890123456789012345678901234"
				      "567890123.example.com"),
	       "a 64-octet label cannot be asked");
}

static void test_limit(void)
{
	struct dns_spf_macro_ctx c = rfc_ctx(&ip4);
	struct buf b;

	common_buf_init(&b, 20);
	tap_ok(dns_spf_macro_expand(&c, "%{s}", 4, DNS_SPF_MACRO_DOMAIN, &b) == ERR_LIMIT,
	       "expansion past the buffer's max is ERR_LIMIT");
	common_buf_free(&b);
}

struct prun {
	struct dns_spf_macro_ctx ctx;
	const char *s;
	char *out;
};

static enum mp_err run_p(void *arg)
{
	struct prun *p = arg;
	struct buf b;
	enum mp_err e;

	common_buf_init(&b, 1024);
	e = dns_spf_macro_expand(&p->ctx, p->s, strlen(p->s), DNS_SPF_MACRO_EXPLAIN, &b);
	if (e == ERR_OK)
		p->out = common_buf_steal(&b, NULL);
	common_buf_free(&b);
	return e;
}

static void is_p(struct fakezone *z, const char *ip, const char *domain, const char *want)
{
	struct dns_spf_ip a;
	struct prun p = {.s = "%{p}"};
	struct dns_book *book = dns_book_new(64);
	enum mp_err e, first;

	if (dns_spf_ip_parse(ip, &a) != ERR_OK)
		fatal("bad ip %s", ip);
	p.ctx = rfc_ctx(&a);
	p.ctx.domain = domain;
	p.ctx.book = book;
	first = run_p(&p);
	e = fakezone_run(z, book, run_p, &p);
	tap_ok(first == ERR_AGAIN && e == ERR_OK, "%%{p} for %s waits for DNS, then expands", ip);
	tap_is_str(p.out, want, "%%{p} of %s for %s", ip, domain);
	free(p.out);
	dns_book_free(book);
}

/* RFC 7208 7.3 "p": validated names, preferring <domain> and its subdomains. */
static void test_p(void)
{
	struct fakezone *z = fakezone_new();

	fakezone_add_ptr(z, "3.2.0.192.in-addr.arpa", "mx.example.org");
	fakezone_add_addr(z, "mx.example.org", "192.0.2.3");
	fakezone_add_ptr(z, "4.2.0.192.in-addr.arpa", "mx.example.org");
	fakezone_add_ptr(z, "4.2.0.192.in-addr.arpa", "mx.email.example.com.");
	fakezone_add_ptr(z, "4.2.0.192.in-addr.arpa", "email.example.com");
	fakezone_add_addr(z, "mx.example.org", "192.0.2.4");
	fakezone_add_addr(z, "mx.email.example.com", "192.0.2.4");
	fakezone_add_ptr(z, "5.2.0.192.in-addr.arpa", "forged.example.net");
	fakezone_add_addr(z, "forged.example.net", "198.51.100.1");
	fakezone_add_ptr(z, "6.2.0.192.in-addr.arpa", "slow.example.net");
	fakezone_add_ptr(z, "6.2.0.192.in-addr.arpa", "mx.example.org");
	fakezone_set_timeout(z, "slow.example.net");
	fakezone_add_addr(z, "mx.example.org", "192.0.2.6");
	fakezone_set_timeout(z, "7.2.0.192.in-addr.arpa");
	is_p(z, "192.0.2.3", "email.example.com", "mx.example.org");
	is_p(z, "192.0.2.4", "email.example.com", "mx.email.example.com");
	is_p(z, "192.0.2.4", "example.org", "mx.example.org");
	is_p(z, "192.0.2.5", "email.example.com", "unknown");
	is_p(z, "192.0.2.6", "email.example.com", "mx.example.org");
	is_p(z, "192.0.2.7", "email.example.com", "unknown");
	is_p(z, "192.0.2.8", "email.example.com", "unknown");
	tap_ok(dns_spf_ptr_name_within("mail.Example.COM.", "example.com") &&
		   dns_spf_ptr_name_within("example.com", "Example.com.") &&
		   !dns_spf_ptr_name_within("badexample.com", "example.com") &&
		   !dns_spf_ptr_name_within("com", "example.com"),
	       "ptr suffix match is per label and ignores case");
	fakezone_free(z);
}

int main(void)
{
	if (dns_spf_ip_parse("192.0.2.3", &ip4) != ERR_OK ||
	    dns_spf_ip_parse("2001:db8::cb01", &ip6) != ERR_OK)
		fatal("ip parse");
	test_rfc_examples();
	test_letters();
	test_syntax();
	test_domain();
	test_limit();
	test_p();
	return tap_done();
}
