/*
 * tests/dns/test_spf_eval: check_host() over fake zones: results, the
 * RFC 7208 4.6.4 limits (the 11th term is never asked, includes share the
 * budget, voids, MX 10, PTR 10), include/redirect semantics, loops,
 * explanations, identities, DNS failures and hostile records.
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_eval.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

struct run {
	struct dns_book *book;
	struct dns_spf_request req;
	struct dns_spf_result *res;
	int runs;
};

static enum mp_err run_eval(void *arg)
{
	struct run *r = arg;

	r->runs++;
	return dns_spf_eval(r->book, &r->req, &r->res);
}

/* Evaluate; the caller frees r->res and r->book with done(). */
static void eval_in(struct fakezone *z, struct run *r, const char *ip, const char *sender)
{
	if (r->book == NULL)
		r->book = dns_book_new(256);
	if (dns_spf_ip_parse(ip, &r->req.ip) != ERR_OK)
		fatal("bad ip %s", ip);
	r->req.sender = sender;
	if (r->req.helo == NULL)
		r->req.helo = "mail.example.test";
	if (fakezone_run(z, r->book, run_eval, r) != ERR_OK)
		fatal("evaluation did not complete");
}

static void done(struct run *r)
{
	dns_spf_result_free(r->res);
	dns_book_free(r->book);
	memset(r, 0, sizeof *r);
}

/* True when the book ever held the question (name, type). */
static bool asked(struct dns_book *book, const char *name, uint16_t type)
{
	for (size_t i = 0; i < dns_book_count(book); i++) {
		const char *n;
		uint16_t t;

		dns_book_at(book, i, &n, &t);
		if (t == type && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* The last check()'s run: its result stays valid until the next check(). */
static struct run last;

/* One case: a verdict for ip/sender in zone z. */
static struct dns_spf_result *check(struct fakezone *z, const char *ip, const char *sender,
				    enum dns_spf_verdict want, const char *what)
{
	struct run *r = &last;

	done(r);
	eval_in(z, r, ip, sender);
	if (!tap_is_str(dns_spf_verdict_name(r->res->verdict), dns_spf_verdict_name(want), "%s",
			what))
		tap_diag("reason: %s", r->res->reason);
	return r->res;
}

static void test_basics(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_spf_result *res;

	fakezone_add_txt(z, "example.test", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all");
	fakezone_add_txt(z, "example.test", "google-site-verification=abc");
	fakezone_add_txt(z, "hard.example.test", "v=spf1 a -all");
	fakezone_add_addr(z, "hard.example.test", "198.51.100.7");
	fakezone_add_txt(z, "neutral.example.test", "v=spf1 mx");
	fakezone_add_txt(z, "two.example.test", "v=spf1 -all");
	fakezone_add_txt(z, "two.example.test", "v=spf1 +all");
	fakezone_add_txt(z, "bad.example.test", "v=spf1 a:foo -all");
	fakezone_add_txt(z, "other.example.test", "hello");
	fakezone_set_timeout(z, "slow.example.test");
	res = check(z, "192.0.2.10", "user@example.test", DNS_SPF_PASS, "ip4 match: pass");
	tap_is_str(res->mechanism, "ip4:192.0.2.0/24", "deciding mechanism reported");
	tap_ok(res->n_steps >= 2 && strcmp(res->steps[0].term, "(record)") == 0,
	       "trace starts with the record lookup");
	check(z, "2001:db8::25", "user@example.test", DNS_SPF_PASS, "ip6 match: pass");
	check(z, "::ffff:192.0.2.10", "user@example.test", DNS_SPF_PASS,
	      "IPv4-mapped client is IPv4 (RFC 7208 5)");
	check(z, "203.0.113.5", "user@example.test", DNS_SPF_SOFTFAIL, "~all: softfail");
	check(z, "198.51.100.7", "x@hard.example.test", DNS_SPF_PASS, "a: pass");
	res = check(z, "203.0.113.5", "x@hard.example.test", DNS_SPF_FAIL, "-all: fail");
	tap_ok(res->explanation == NULL, "no explanation without exp= or a default");
	res = check(z, "203.0.113.5", "x@neutral.example.test", DNS_SPF_NEUTRAL,
		    "no match, no all: neutral (RFC 7208 4.7)");
	tap_ok(res->mechanism == NULL && strstr(res->reason, "4.7") != NULL, "neutral reason: %s",
	       res->reason);
	res = check(z, "203.0.113.5", "x@two.example.test", DNS_SPF_PERMERROR,
		    "two records: permerror");
	tap_ok(strstr(res->reason, "2 SPF records") != NULL, "reason: %s", res->reason);
	res = check(z, "203.0.113.5", "x@bad.example.test", DNS_SPF_PERMERROR,
		    "syntax error: permerror");
	tap_ok(strstr(res->reason, "a:foo") != NULL, "reason names the term: %s", res->reason);
	check(z, "203.0.113.5", "x@other.example.test", DNS_SPF_NONE, "no SPF record: none");
	check(z, "203.0.113.5", "x@nowhere.example.test", DNS_SPF_NONE, "NXDOMAIN: none");
	res = check(z, "203.0.113.5", "x@slow.example.test", DNS_SPF_TEMPERROR,
		    "TXT timeout: temperror");
	tap_ok(strstr(res->reason, "timeout") != NULL, "reason: %s", res->reason);
	check(z, "203.0.113.5", "x@[192.0.2.1]", DNS_SPF_NONE, "domain literal: none (4.3)");
	check(z, "203.0.113.5", "x@example", DNS_SPF_NONE, "single label: none (4.3)");
	check(z, "203.0.113.5", "x@a..example.test", DNS_SPF_NONE, "empty label: none (4.3)");
	check(z, "203.0.113.5", "x@192.0.2.1", DNS_SPF_NONE, "numeric top label: none (4.3)");
	fakezone_free(z);
}

static void test_identities(void)
{
	struct fakezone *z = fakezone_new();
	struct run r = {0};

	fakezone_add_txt(z, "helo.example.test", "v=spf1 ip4:192.0.2.1 -all");
	fakezone_add_txt(z, "mailfrom.example.test", "v=spf1 -all");
	r.req.helo = "helo.example.test";
	eval_in(z, &r, "192.0.2.1", "");
	tap_ok(r.res->verdict == DNS_SPF_PASS && strcmp(r.res->domain, "helo.example.test") == 0,
	       "null sender: the HELO domain is checked");
	tap_is_str(r.res->sender, "postmaster@helo.example.test", "null sender: postmaster@helo");
	done(&r);
	r.req.helo = "helo.example.test";
	r.req.identity = DNS_SPF_ID_HELO;
	eval_in(z, &r, "192.0.2.1", "someone@mailfrom.example.test");
	tap_ok(r.res->verdict == DNS_SPF_PASS, "HELO identity ignores the sender");
	done(&r);
	eval_in(z, &r, "192.0.2.1", "@mailfrom.example.test");
	tap_is_str(r.res->sender, "postmaster@mailfrom.example.test",
		   "no local-part: postmaster (RFC 7208 4.3)");
	done(&r);
	r.req.helo = "A2345678";
	eval_in(z, &r, "192.0.2.1", NULL);
	tap_ok(r.res->verdict == DNS_SPF_NONE, "null sender with a bare HELO: none");
	done(&r);
	fakezone_free(z);
}

/* RFC 7208 4.6.4: at most 10 DNS-querying terms, counted before asking. */
static void test_term_limit(void)
{
	struct fakezone *z = fakezone_new();
	struct run r = {0};
	char name[32];

	fakezone_add_txt(
	    z, "eleven.example.test",
	    "v=spf1 a:t1.example.test a:t2.example.test a:t3.example.test "
	    "a:t4.example.test a:t5.example.test a:t6.example.test a:t7.example.test "
	    "a:t8.example.test a:t9.example.test a:t10.example.test a:hit.example.test "
	    "-all");
	for (int i = 1; i <= 10; i++) {
		snprintf(name, sizeof name, "t%d.example.test", i);
		fakezone_add_addr(z, name, "198.51.100.1");
	}
	fakezone_add_addr(z, "hit.example.test", "192.0.2.1");
	eval_in(z, &r, "192.0.2.1", "x@eleven.example.test");
	tap_ok(r.res->verdict == DNS_SPF_PERMERROR, "the 11th DNS term is a permerror");
	tap_ok(asked(r.book, "t10.example.test", DNS_T_A), "the 10th was asked");
	tap_ok(!asked(r.book, "hit.example.test", DNS_T_A), "the 11th was never asked");
	tap_is_int(r.res->dns_terms, 10, "10 terms counted");
	done(&r);

	/* Includes share the budget: 1 + (3 + 1) + 6 = 11 across three levels. */
	fakezone_add_txt(z, "top.example.test", "v=spf1 include:l1.example.test -all");
	fakezone_add_txt(z, "l1.example.test",
			 "v=spf1 a:t1.example.test a:t2.example.test "
			 "a:t3.example.test include:l2.example.test");
	fakezone_add_txt(z, "l2.example.test",
			 "v=spf1 a:t4.example.test a:t5.example.test "
			 "a:t6.example.test a:t7.example.test "
			 "a:t8.example.test a:hit.example.test");
	eval_in(z, &r, "192.0.2.1", "x@top.example.test");
	tap_ok(r.res->verdict == DNS_SPF_PERMERROR, "11 terms over nested includes: permerror");
	tap_ok(!asked(r.book, "hit.example.test", DNS_T_A), "the 11th (nested) never asked");
	tap_ok(strstr(r.res->reason, "a:hit.example.test") != NULL, "reason: %s", r.res->reason);
	done(&r);
	fakezone_add_txt(z, "ten.example.test",
			 "v=spf1 a:t9.example.test include:l2.example.test "
			 "a:t10.example.test include:l1b.example.test -all");
	fakezone_add_txt(z, "l1b.example.test", "v=spf1 ?all");
	eval_in(z, &r, "192.0.2.1", "x@ten.example.test");
	tap_ok(r.res->verdict == DNS_SPF_PASS && r.res->dns_terms == 8,
	       "a nested match within the budget: pass after %u terms", r.res->dns_terms);
	done(&r);
	/* Redirect counts too, and a redirect loop ends at the limit. */
	fakezone_add_txt(z, "self.example.test",
			 "v=spf1 ip4:203.0.113.1 redirect=self.example.test");
	eval_in(z, &r, "192.0.2.1", "x@self.example.test");
	tap_ok(r.res->verdict == DNS_SPF_PERMERROR && r.res->dns_terms == 10,
	       "redirect to self: permerror at the limit");
	done(&r);
	fakezone_add_txt(z, "loop-a.example.test", "v=spf1 include:loop-b.example.test -all");
	fakezone_add_txt(z, "loop-b.example.test", "v=spf1 include:loop-a.example.test -all");
	eval_in(z, &r, "192.0.2.1", "x@loop-a.example.test");
	tap_ok(r.res->verdict == DNS_SPF_PERMERROR, "include loop a -> b -> a: permerror");
	done(&r);
	fakezone_free(z);
}

/* RFC 7208 4.6.4: at most two void lookups. */
static void test_void_limit(void)
{
	struct fakezone *z = fakezone_new();
	struct run r = {0};

	fakezone_add_txt(z, "v2.example.test",
			 "v=spf1 a:n1.example.test mx:n2.example.test "
			 "exp=n4.example.test -all");
	fakezone_add_txt(z, "v3.example.test",
			 "v=spf1 a:n1.example.test exists:n2.example.test "
			 "ptr:n3.example.test -all");
	fakezone_add_name(z, "n2.example.test");
	eval_in(z, &r, "192.0.2.1", "x@v2.example.test");
	tap_ok(r.res->verdict == DNS_SPF_FAIL && r.res->void_lookups == 2,
	       "two voids (nxdomain, nodata) are fine");
	tap_ok(asked(r.book, "n4.example.test", DNS_T_TXT) && r.res->void_lookups == 2,
	       "the exp= lookup is not a void lookup");
	done(&r);
	eval_in(z, &r, "192.0.2.1", "x@v3.example.test");
	tap_ok(r.res->verdict == DNS_SPF_PERMERROR, "the third void (ptr) is a permerror");
	tap_ok(strstr(r.res->reason, "void") != NULL, "reason: %s", r.res->reason);
	done(&r);
	fakezone_free(z);
}

/* RFC 7208 4.6.4: more than 10 MX names is a permerror; 10 is fine. */
static void test_mx(void)
{
	struct fakezone *z = fakezone_new();
	char name[32];

	fakezone_add_txt(z, "mx10.example.test", "v=spf1 mx -all");
	fakezone_add_txt(z, "mx11.example.test", "v=spf1 mx -all");
	for (int i = 1; i <= 11; i++) {
		snprintf(name, sizeof name, "h%d.example.test", i);
		fakezone_add_addr(z, name, i == 10 ? "192.0.2.1" : "198.51.100.9");
		if (i <= 10)
			fakezone_add_mx(z, "mx10.example.test", (uint16_t)i, name);
		fakezone_add_mx(z, "mx11.example.test", (uint16_t)i, name);
	}
	fakezone_add_txt(z, "mxslow.example.test", "v=spf1 mx -all");
	fakezone_add_mx(z, "mxslow.example.test", 10, "slow.example.test");
	fakezone_add_mx(z, "mxslow.example.test", 20, "h10.example.test");
	fakezone_set_timeout(z, "slow.example.test");
	fakezone_add_txt(z, "nullmx.example.test", "v=spf1 mx -all");
	fakezone_add_mx(z, "nullmx.example.test", 0, "");
	check(z, "192.0.2.1", "x@mx10.example.test", DNS_SPF_PASS, "10 MX names: pass");
	check(z, "192.0.2.1", "x@mx11.example.test", DNS_SPF_PERMERROR, "11 MX names: permerror");
	check(z, "192.0.2.1", "x@mxslow.example.test", DNS_SPF_TEMPERROR,
	      "MX host timeout before a match: temperror");
	check(z, "192.0.2.1", "x@nullmx.example.test", DNS_SPF_FAIL, "null MX: no match");
	check(z, "2001:db8::1", "x@mx10.example.test", DNS_SPF_FAIL,
	      "IPv6 client: AAAA of the hosts, none match");
	fakezone_free(z);
}

/* RFC 7208 4.6.4 and 5.5: only the first 10 PTR names; errors skip a name. */
static void test_ptr(void)
{
	struct fakezone *z = fakezone_new();
	char name[32];

	fakezone_add_txt(z, "p.example.test", "v=spf1 ptr:ok.example.test -all");
	for (int i = 1; i <= 11; i++) {
		snprintf(name, sizeof name, "h%d.%s.example.test", i, i == 11 ? "ok" : "no");
		fakezone_add_ptr(z, "1.2.0.192.in-addr.arpa", name);
		fakezone_add_addr(z, name, "192.0.2.1");
		snprintf(name, sizeof name, "h%d.%s.example.test", i, i == 10 ? "ok" : "no");
		fakezone_add_ptr(z, "2.2.0.192.in-addr.arpa", name);
		fakezone_add_addr(z, name, "192.0.2.2");
	}
	fakezone_add_ptr(z, "3.2.0.192.in-addr.arpa", "loop.ok.example.test");
	fakezone_add_ptr(z, "3.2.0.192.in-addr.arpa", "h5.ok.example.test");
	fakezone_add_cname(z, "loop.ok.example.test", "loop.ok.example.test");
	fakezone_add_addr(z, "h5.ok.example.test", "192.0.2.3");
	fakezone_set_timeout(z, "4.2.0.192.in-addr.arpa");
	check(z, "192.0.2.1", "x@p.example.test", DNS_SPF_FAIL,
	      "the 11th PTR name is ignored (not an error)");
	check(z, "192.0.2.2", "x@p.example.test", DNS_SPF_PASS, "the 10th PTR name is used");
	check(z, "192.0.2.3", "x@p.example.test", DNS_SPF_PASS,
	      "a DNS error on one name's A lookup skips that name");
	check(z, "192.0.2.4", "x@p.example.test", DNS_SPF_FAIL,
	      "a PTR lookup error is no match, not temperror (5.5)");
	fakezone_free(z);
}

static void test_include_redirect(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_spf_result *res;

	fakezone_add_txt(z, "inc-none.example.test", "v=spf1 include:nothing.example.test -all");
	fakezone_add_txt(z, "inc-temp.example.test", "v=spf1 include:slow.example.test -all");
	fakezone_add_txt(z, "inc-perm.example.test", "v=spf1 include:broken.example.test -all");
	fakezone_add_txt(z, "inc-fail.example.test",
			 "v=spf1 include:hard.example.test ip4:192.0.2.1 -all");
	fakezone_add_txt(z, "hard.example.test", "v=spf1 -all");
	fakezone_add_txt(z, "broken.example.test", "v=spf1 ip4:1.2.3");
	fakezone_set_timeout(z, "slow.example.test");
	fakezone_add_txt(z, "red-none.example.test", "v=spf1 redirect=nothing.example.test");
	fakezone_add_txt(z, "red-late.example.test", "v=spf1 redirect=hard.example.test +all");
	fakezone_add_txt(z, "red.example.test", "v=spf1 redirect=%{d2}");
	fakezone_add_txt(z, "example.test", "v=spf1 ip4:192.0.2.1 -all");
	res = check(z, "192.0.2.1", "x@inc-none.example.test", DNS_SPF_PERMERROR,
		    "include of a domain without SPF: permerror");
	tap_ok(strstr(res->reason, "nothing.example.test") != NULL, "reason: %s", res->reason);
	check(z, "192.0.2.1", "x@inc-temp.example.test", DNS_SPF_TEMPERROR,
	      "include temperror propagates");
	check(z, "192.0.2.1", "x@inc-perm.example.test", DNS_SPF_PERMERROR,
	      "include permerror propagates");
	check(z, "192.0.2.1", "x@inc-fail.example.test", DNS_SPF_PASS,
	      "include fail is no match, evaluation goes on");
	check(z, "192.0.2.1", "x@red-none.example.test", DNS_SPF_PERMERROR,
	      "redirect to a domain without SPF: permerror (6.1)");
	check(z, "192.0.2.1", "x@red-late.example.test", DNS_SPF_PASS,
	      "redirect is ignored when a mechanism matched (all)");
	check(z, "192.0.2.1", "x@red.example.test", DNS_SPF_PASS, "redirect with a macro");
	res = check(z, "192.0.2.9", "x@red.example.test", DNS_SPF_FAIL, "redirect target's -all");
	tap_is_str(res->mechanism, "-all", "mechanism from the redirect target");
	fakezone_free(z);
}

static void test_explanations(void)
{
	struct fakezone *z = fakezone_new();
	struct run r = {0};

	fakezone_add_txt(z, "e.example.test", "v=spf1 -all exp=why.%{d}");
	fakezone_add_txt(z, "why.e.example.test", "%{i} may not send for %{d} (%{l}) at %{t}");
	fakezone_add_txt(z, "inc.example.test", "v=spf1 include:e.example.test -all");
	fakezone_add_txt(z, "red.example.test",
			 "v=spf1 exp=why.e.example.test "
			 "redirect=plain.example.test");
	fakezone_add_txt(z, "plain.example.test", "v=spf1 -all");
	fakezone_add_txt(z, "soft.example.test", "v=spf1 ~all exp=why.e.example.test");
	fakezone_add_txt(z, "dns.example.test", "v=spf1 -all exp=slow.example.test");
	fakezone_set_timeout(z, "slow.example.test");
	r.req.now = 1700000000;
	eval_in(z, &r, "192.0.2.1", "jo@e.example.test");
	tap_is_str(r.res->explanation,
		   "192.0.2.1 may not send for e.example.test (jo) at 1700000000",
		   "exp= fetched and expanded");
	done(&r);
	r.req.default_explanation = "See https://%{d}/spf for %{i}";
	eval_in(z, &r, "192.0.2.1", "jo@inc.example.test");
	tap_is_str(r.res->explanation, "See https://inc.example.test/spf for 192.0.2.1",
		   "include ignores the target's exp=; default expanded");
	done(&r);
	r.req.default_explanation = "DEFAULT";
	eval_in(z, &r, "192.0.2.1", "jo@red.example.test");
	tap_is_str(r.res->explanation, "DEFAULT", "redirect cancels the original exp=");
	done(&r);
	r.req.default_explanation = "DEFAULT";
	eval_in(z, &r, "192.0.2.1", "jo@dns.example.test");
	tap_is_str(r.res->explanation, "DEFAULT", "exp= DNS error: default (6.2)");
	done(&r);
	r.req.default_explanation = "50%";
	eval_in(z, &r, "192.0.2.1", "jo@plain.example.test");
	tap_is_str(r.res->explanation, "50%", "a default that does not parse is verbatim");
	done(&r);
	r.req.default_explanation = "DEFAULT";
	eval_in(z, &r, "192.0.2.1", "jo@soft.example.test");
	tap_ok(r.res->verdict == DNS_SPF_SOFTFAIL && r.res->explanation == NULL,
	       "explanations are for fail only");
	done(&r);
	fakezone_free(z);
}

/* Hostile records end in permerror with a reason, fast and bounded. */
static void test_hostile(void)
{
	struct fakezone *z = fakezone_new();
	size_t big = 65536;
	char *txt = xmalloc(big);
	struct dns_spf_result *res;

	memcpy(txt, "v=spf1 ", 7);
	for (size_t i = 7; i < big; i++)
		txt[i] = i % 2 ? 'a' : ' ';
	fakezone_add(z, "big.example.test", DNS_T_TXT, txt, big, 0);
	fakezone_add(z, "nul.example.test", DNS_T_TXT, "v=spf1 ip4:192.0.2.1\0 -all", 26, 0);
	fakezone_add_txt(z, "utf8.example.test", "v=spf1 ip4:192.0.2.1 \xff\xfe\xc3 -all");
	fakezone_add(z, "many.example.test", DNS_T_TXT, txt, 7 + 2000, 0);
	res = check(z, "192.0.2.1", "x@big.example.test", DNS_SPF_PERMERROR,
		    "64 KB record: permerror");
	tap_ok(strstr(res->reason, "4096") != NULL, "reason: %s", res->reason);
	check(z, "192.0.2.1", "x@nul.example.test", DNS_SPF_PERMERROR,
	      "NUL inside the record: permerror, not cut");
	check(z, "192.0.2.1", "x@utf8.example.test", DNS_SPF_PERMERROR, "invalid UTF-8: permerror");
	res = check(z, "192.0.2.1", "x@many.example.test", DNS_SPF_PERMERROR,
		    "1000 terms: permerror");
	tap_ok(strstr(res->reason, "512") != NULL, "reason: %s", res->reason);
	free(txt);
	fakezone_free(z);
}

/* MALFORMED answers are temperror (spf_eval.h); a full book too. */
static void test_dns_failures(void)
{
	struct fakezone *z = fakezone_new();
	struct run r = {0};
	const struct dns_answer *a;
	const char *name;
	uint16_t type;

	fakezone_add_txt(z, "m.example.test", "v=spf1 a:bad.example.test -all");
	r.book = dns_book_new(16);
	if (dns_book_get(r.book, "bad.example.test", DNS_T_A, &a) != ERR_AGAIN ||
	    !dns_book_next_needed(r.book, &name, &type))
		fatal("book");
	dns_book_put(r.book, dns_answer_new(name, type, DNS_MALFORMED, "bad reply"));
	eval_in(z, &r, "192.0.2.1", "x@m.example.test");
	tap_ok(r.res->verdict == DNS_SPF_TEMPERROR && strstr(r.res->reason, "bad reply"),
	       "a malformed answer is temperror: %s", r.res->reason);
	done(&r);
	r.book = dns_book_new(1);
	eval_in(z, &r, "192.0.2.1", "x@m.example.test");
	tap_ok(r.res->verdict == DNS_SPF_TEMPERROR, "a full book is temperror: %s", r.res->reason);
	done(&r);
	r.book = dns_book_new(16);
	memset(&r.req.ip, 0, sizeof r.req.ip);
	tap_ok(dns_spf_eval(r.book, &r.req, &r.res) == ERR_INVAL, "no address: ERR_INVAL");
	r.res = NULL;
	done(&r);
	fakezone_free(z);
}

static void test_names(void)
{
	tap_is_str(dns_spf_verdict_name(DNS_SPF_SOFTFAIL), "softfail", "verdict name softfail");
	tap_is_str(dns_spf_verdict_name(DNS_SPF_PERMERROR), "permerror", "verdict name permerror");
	tap_ok(dns_spf_domain_ok("example.com") && dns_spf_domain_ok("_spf.example.com.") &&
		   !dns_spf_domain_ok("com") && !dns_spf_domain_ok("[1.2.3.4]") &&
		   !dns_spf_domain_ok("1.2.3.4") && !dns_spf_domain_ok("a b.example"),
	       "RFC 7208 4.3 domain checks");
}

int main(void)
{
	test_basics();
	test_identities();
	test_term_limit();
	test_void_limit();
	test_mx();
	test_ptr();
	test_include_redirect();
	test_explanations();
	test_hostile();
	test_dns_failures();
	test_names();
	done(&last);
	return tap_done();
}
