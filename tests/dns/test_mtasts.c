/*
 * tests/dns/test_mtasts: the MTA-STS TXT and policy parsers, MX pattern
 * matching (RFC 8461 3.1, 3.2, 4.1) and the posture check with its fetch
 * protocol, over fake zones and canned fetch results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/finding.h"
#include "dns/mtasts.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static const char *const all_codes[] = {
    "MTASTS_MISSING",	   "MTASTS_INVALID",	    "MTASTS_POLICY_UNREACHABLE",
    "MTASTS_CONTENT_TYPE", "MTASTS_MX_NOT_COVERED", "MTASTS_TESTING",
    "MTASTS_MODE_NONE",	   "DNS_TEMPFAIL",	    "DNS_MALFORMED",
};

/* ---- parsers ---- */

static bool pol(const char *body, size_t len, struct dns_mtasts_policy *p, char *why, size_t whysz)
{
	why[0] = '\0';
	return dns_mtasts_policy_parse(body, len, p, why, whysz) == ERR_OK;
}

static void badpol(const char *body, size_t len, const char *needle, const char *name)
{
	struct dns_mtasts_policy p;
	char why[256];
	bool ok = pol(body, len, &p, why, sizeof why);

	if (ok)
		dns_mtasts_policy_free(&p);
	tap_ok(!ok && (needle == NULL || strstr(why, needle)), "policy refused: %s (%s)", name,
	       why);
}

#define BADPOL(b, needle, name) badpol(b, strlen(b), needle, name)

static void test_policy_parse(void)
{
	struct dns_mtasts_policy p;
	char why[256];
	const char *crlf = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\n"
			   "mx: *.backup.example.test\r\nmax_age: 604800\r\nfuture_key: x y z\r\n";
	const char *eight = "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 1\n"
			    "x-note: caf\xc3\xa9 \xff\n";
	static const char nul[] = "version: STSv1\nmode: enforce\0\nmx: a.test\nmax_age: 1\n";
	const char *lf = "version: STSv1\nmode: testing\nmx:MX.Example.Test\nmax_age:86400";

	tap_ok(pol(crlf, strlen(crlf), &p, why, sizeof why) && p.mode == DNS_MTASTS_ENFORCE &&
		   p.max_age == 604800 && p.n_mx == 2 &&
		   strcmp(p.mx[1], "*.backup.example.test") == 0,
	       "CRLF policy with an unknown key (%s)", why);
	dns_mtasts_policy_free(&p);
	tap_ok(pol(lf, strlen(lf), &p, why, sizeof why) && p.mode == DNS_MTASTS_TESTING &&
		   p.n_mx == 1 && strcmp(p.mx[0], "mx.example.test") == 0 && p.max_age == 86400,
	       "LF policy, no space after ':', no final newline, mx lower-cased (%s)", why);
	dns_mtasts_policy_free(&p);
	tap_ok(pol("version: STSv1\nmode: none\nmax_age: 0\n\n",
		   strlen("version: STSv1\nmode: none\nmax_age: 0\n\n"), &p, why, sizeof why) &&
		   p.mode == DNS_MTASTS_NONE && p.n_mx == 0,
	       "mode none needs no mx; blank line tolerated (%s)", why);
	dns_mtasts_policy_free(&p);
	tap_ok(pol(eight, strlen(eight), &p, why, sizeof why),
	       "8-bit bytes in an unknown key's value are ignored (%s)", why);
	dns_mtasts_policy_free(&p);

	BADPOL("mode: enforce\nmx: a.test\nmax_age: 1\n", "version", "no version");
	BADPOL("version: STSv1\nmx: a.test\nmax_age: 1\n", "mode", "no mode");
	BADPOL("version: STSv1\nmode: enforce\nmx: a.test\n", "max_age", "no max_age");
	BADPOL("version: STSv1\nmode: enforce\nmax_age: 1\n", "mx", "enforce without mx");
	BADPOL("version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1\n", "STSv1", "STSv2");
	BADPOL("version: STSv1\nmode: Enforce\nmx: a.test\nmax_age: 1\n", "mode", "mode Enforce");
	BADPOL("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601\n", "max_age",
	       "max_age over a year");
	BADPOL("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 12345678901\n", "max_age",
	       "max_age of 11 digits");
	BADPOL("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1\n", "max_age",
	       "negative max_age");
	BADPOL("version: STSv1\nmode: enforce\nmx: *.*.a.test\nmax_age: 1\n", "mx",
	       "double wildcard");
	BADPOL("version: STSv1\nmode: enforce\nmx: *a.test\nmax_age: 1\n", "mx",
	       "wildcard not a label");
	BADPOL("version: STSv1\nmode: enforce\nmx: a .test\nmax_age: 1\n", "mx", "space in mx");
	BADPOL("version: STSv1\nmode: enforce\nmx: caf\xc3\xa9.test\nmax_age: 1\n", "mx",
	       "UTF-8 in mx");
	BADPOL("version: STSv1\nmode: enforce\nmode: testing\nmx: a.test\nmax_age: 1\n", "twice",
	       "mode twice");
	BADPOL("version: STSv1\nmode enforce\nmx: a.test\nmax_age: 1\n", "key: value",
	       "line without colon");
	BADPOL("version: STSv1\nmode: enforce\nmx:\nmax_age: 1\n", "empty", "empty mx value");
	BADPOL("<html><body>Not found</body></html>", NULL, "an HTML error page");
	badpol(nul, sizeof nul - 1, "control", "NUL byte");
	BADPOL("version: STSv1\rmode: enforce\nmx: a.test\nmax_age: 1\n", "control", "bare CR");
	{
		size_t n = DNS_MTASTS_POLICY_MAX + 1, off;
		char *big = xmalloc(n);

		memset(big, 'x', n);
		badpol(big, n, "64 KB", "64 KB + 1");
		/* Exactly 64 KB: a valid policy padded with an unknown key. */
		off = (size_t)snprintf(big, 128,
				       "version: STSv1\nmode: testing\nmx: a.test\n"
				       "max_age: 60\npad: ");
		memset(big + off, 'p', DNS_MTASTS_POLICY_MAX - off - 1);
		big[DNS_MTASTS_POLICY_MAX - 1] = '\n';
		tap_ok(pol(big, DNS_MTASTS_POLICY_MAX, &p, why, sizeof why),
		       "exactly 64 KB parses");
		dns_mtasts_policy_free(&p);
		off = (size_t)snprintf(big, 128, "version: STSv1\nmode: testing\nmax_age: 60\n");
		for (int i = 0; i < 300; i++)
			off += (size_t)snprintf(big + off, 32, "mx: m%d.test\n", i);
		badpol(big, off, "too many", "300 mx lines");
		free(big);
	}
}

static void test_match_txt(void)
{
	char *id = NULL, why[256];

	tap_ok(dns_mtasts_mx_match("mail.example.test", "MAIL.example.test.") &&
		   dns_mtasts_mx_match("*.example.test", "mx1.example.test") &&
		   dns_mtasts_mx_match("*.Example.Test", "mx1.example.test.") &&
		   !dns_mtasts_mx_match("*.example.test", "a.b.example.test") &&
		   !dns_mtasts_mx_match("*.example.test", "example.test") &&
		   !dns_mtasts_mx_match("*.example.test", ".example.test") &&
		   !dns_mtasts_mx_match("mail.example.test", "mail2.example.test") &&
		   !dns_mtasts_mx_match("*.example.test", "xexample.test"),
	       "RFC 8461 4.1 matching: one wildcard label, case and trailing dot ignored");
	tap_ok(dns_mtasts_txt_parse("v=STSv1; id=20240101T120000;", 28, &id, why, sizeof why) ==
		       ERR_OK &&
		   strcmp(id, "20240101T120000") == 0,
	       "TXT: v=STSv1; id=...");
	free(id);
	id = NULL;
	tap_ok(dns_mtasts_txt_parse("v=STSv1;id=a;ext=1", 18, &id, why, sizeof why) == ERR_OK,
	       "TXT: extension field ignored");
	free(id);
	tap_ok(dns_mtasts_txt_parse("v=STSv1; id=2024-01-01", 22, &id, why, sizeof why) ==
		   ERR_PARSE,
	       "TXT: id with '-' refused (%s)", why);
	tap_ok(dns_mtasts_txt_parse("v=STSv1; id=123456789012345678901234567890123", 45, &id, why,
				    sizeof why) == ERR_PARSE,
	       "TXT: id of 33 characters refused");
	tap_ok(dns_mtasts_txt_parse("v=STSv1;", 8, &id, why, sizeof why) == ERR_PARSE &&
		   strstr(why, "id="),
	       "TXT: no id refused (%s)", why);
	tap_ok(dns_mtasts_txt_parse("id=1; v=STSv1", 13, &id, why, sizeof why) == ERR_PARSE,
	       "TXT: v= not first refused");
	tap_ok(dns_mtasts_txt_parse("v=STSv1; id=1; id=2", 19, &id, why, sizeof why) == ERR_PARSE,
	       "TXT: duplicate id refused");
	tap_ok(dns_mtasts_txt_parse("v=STSv1; id=1\0", 14, &id, why, sizeof why) == ERR_PARSE,
	       "TXT: NUL byte refused");
}

/* ---- posture ---- */

struct run {
	struct dns_book *book;
	const char *domain;
	const struct dns_mx_result *mx;
	struct dns_mtasts_fetch fetch;
	struct dns_findings f;
	struct dns_mtasts_result res;
	int fetches;
	char *url, *addr; /* what the first fetch request said */
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;
	enum mp_err e;

	dns_findings_clear(&r->f);
	dns_mtasts_result_free(&r->res);
	e = dns_mtasts_check(r->book, r->domain, r->mx, &r->fetch, &r->f, &r->res);
	if (e == ERR_AGAIN && r->f.n != 0)
		tap_ok(0, "ERR_AGAIN run added findings");
	return e;
}

/* Drive the check: answer DNS from the zone, and the fetch from *canned when asked. */
static enum mp_err run(struct fakezone *z, const char *domain,
		       const struct dns_mtasts_fetch *canned, struct run *r)
{
	enum mp_err e;

	memset(r, 0, sizeof *r);
	r->book = dns_book_new(64);
	r->domain = domain;
	dns_findings_init(&r->f);
	for (;;) {
		e = fakezone_run(z, r->book, step, r);
		if (e != ERR_AGAIN || !r->res.need_fetch ||
		    r->fetch.state != DNS_MTASTS_NOT_FETCHED || canned == NULL)
			return e;
		r->fetches++;
		r->url = xstrdup(r->res.policy_url);
		r->addr = r->res.policy_addr ? xstrdup(r->res.policy_addr) : NULL;
		r->fetch = *canned;
	}
}

static void done(struct run *r)
{
	dns_findings_clear(&r->f);
	dns_mtasts_result_free(&r->res);
	dns_book_free(r->book);
	free(r->url);
	free(r->addr);
}

static const struct dns_finding *get(const struct run *r, const char *code)
{
	return dns_findings_get(&r->f, NULL, code);
}

static void dump(const struct run *r)
{
	for (size_t i = 0; i < r->f.n; i++)
		tap_diag("%s %s: %s | fix: %s", r->f.v[i].code, dns_sev_name(r->f.v[i].sev),
			 r->f.v[i].message, r->f.v[i].fix ? r->f.v[i].fix : "-");
}

static bool has(const struct run *r, const char *code, enum dns_sev sev, const char *needle)
{
	const struct dns_finding *d = get(r, code);
	bool ok =
	    d && d->sev == sev && strcmp(d->check, "mta-sts") == 0 &&
	    (needle == NULL || strstr(d->message, needle) || (d->fix && strstr(d->fix, needle)));

	if (!ok)
		dump(r);
	return ok;
}

static bool clean(const struct run *r)
{
	for (size_t i = 0; i < sizeof all_codes / sizeof *all_codes; i++)
		if (get(r, all_codes[i]) != NULL) {
			dump(r);
			return false;
		}
	return true;
}

static struct dns_mtasts_fetch ok_body(const char *body)
{
	struct dns_mtasts_fetch f = {.state = DNS_MTASTS_FETCH_OK,
				     .http_status = 200,
				     .content_type = "text/plain; charset=utf-8",
				     .body = body,
				     .body_len = strlen(body)};
	return f;
}

/* d.test-like zone: TXT, policy host, two MX hosts with addresses. */
static void zone_for(struct fakezone *z, const char *d, const char *txt)
{
	char n[128];

	snprintf(n, sizeof n, "_mta-sts.%s", d);
	if (txt)
		fakezone_add_txt(z, n, txt);
	snprintf(n, sizeof n, "mta-sts.%s", d);
	fakezone_add_addr(z, n, "192.0.2.10");
	snprintf(n, sizeof n, "mx1.%s", d);
	fakezone_add_mx(z, d, 10, n);
	fakezone_add_addr(z, n, "192.0.2.11");
	snprintf(n, sizeof n, "mx2.%s", d);
	fakezone_add_mx(z, d, 20, n);
	fakezone_add_addr(z, n, "192.0.2.12");
}

static void test_clean(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_mtasts_fetch f =
	    ok_body("version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\n"
		    "mx: *.good.test\r\nmax_age: 604800\r\n");
	struct run r;

	zone_for(z, "good.test", "v=STSv1; id=20240101");
	tap_ok(run(z, "Good.Test", &f, &r) == ERR_OK && r.fetches == 1, "clean: one fetch asked");
	tap_ok(r.url && strcmp(r.url, "https://mta-sts.good.test/.well-known/mta-sts.txt") == 0 &&
		   r.addr && strcmp(r.addr, "192.0.2.10") == 0,
	       "clean: fetch request names the URL and an address of the policy host");
	tap_ok(has(&r, "MTASTS_OK", SEV_OK, "enforce") && clean(&r) && r.f.n == 1,
	       "clean: MTASTS_OK alone");
	dump(&r);
	tap_ok(r.res.published && strcmp(r.res.id, "20240101") == 0 && r.res.policy_valid &&
		   r.res.policy.mode == DNS_MTASTS_ENFORCE && r.res.n_uncovered == 0 &&
		   !r.res.need_fetch,
	       "clean: result holds the TXT id and the parsed policy");
	done(&r);
	{
		/* Handing over the MX result instead of letting the check look it up. */
		struct dns_book *b = dns_book_new(64);
		struct dns_mx_result mx = {0};
		enum mp_err e;

		while ((e = dns_mx_check(b, "good.test", NULL, &mx)) == ERR_AGAIN &&
		       fakezone_answer(z, b) > 0)
			;
		dns_book_free(b);
		tap_ok(e == ERR_OK, "MX result for hand-over");
		{
			struct run rr;
			enum mp_err e2;

			memset(&rr, 0, sizeof rr);
			rr.book = dns_book_new(64);
			rr.domain = "good.test";
			rr.mx = &mx;
			rr.fetch = f;
			dns_findings_init(&rr.f);
			e2 = fakezone_run(z, rr.book, step, &rr);
			tap_ok(e2 == ERR_OK && has(&rr, "MTASTS_OK", SEV_OK, NULL) &&
				   dns_book_count(rr.book) == 3,
			       "with the MX result given: no MX questions asked");
			done(&rr);
		}
		dns_mx_result_free(&mx);
	}
	fakezone_free(z);
}

static void one(const char *what, const char *d, const char *txt, const struct dns_mtasts_fetch *f,
		const char *code, enum dns_sev sev, const char *needle)
{
	/* MTASTS_TESTING keeps MTASTS_OK; mode none is its own summary. */
	bool with_ok = strcmp(code, "MTASTS_TESTING") == 0;
	struct fakezone *z = fakezone_new();
	struct run r;

	zone_for(z, d, txt);
	tap_ok(run(z, d, f, &r) == ERR_OK && has(&r, code, sev, needle) &&
		   (get(&r, "MTASTS_OK") != NULL) == with_ok,
	       "%s: %s %s%s", what, code, dns_sev_name(sev), with_ok ? " (and MTASTS_OK)" : "");
	dump(&r);
	done(&r);
	fakezone_free(z);
}

static void test_codes(void)
{
	struct dns_mtasts_fetch good = ok_body("version: STSv1\nmode: enforce\nmx: *.x.test\n"
					       "max_age: 86400\n");
	struct dns_mtasts_fetch f;

	one("no TXT", "x.test", NULL, &good, "MTASTS_MISSING", SEV_INFO, "optional");
	one("id too long", "x.test", "v=STSv1; id=123456789012345678901234567890123", &good,
	    "MTASTS_INVALID", SEV_CRITICAL, "id=");
	one("v=stsv1", "x.test", "v=stsv1; id=1", &good, "MTASTS_INVALID", SEV_CRITICAL, "STSv1");
	f = ok_body("version: STSv1\nmode: enforced\nmx: *.x.test\nmax_age: 86400\n");
	one("bad policy", "x.test", "v=STSv1; id=1", &f, "MTASTS_INVALID", SEV_CRITICAL,
	    "mode must be");
	f = (struct dns_mtasts_fetch){.state = DNS_MTASTS_FETCH_FAILED,
				      .error = "SSL certificate problem: self-signed certificate"};
	one("TLS failure", "x.test", "v=STSv1; id=1", &f, "MTASTS_POLICY_UNREACHABLE", SEV_CRITICAL,
	    "self-signed");
	f = ok_body("<html>Not Found</html>");
	f.http_status = 404;
	one("HTTP 404", "x.test", "v=STSv1; id=1", &f, "MTASTS_POLICY_UNREACHABLE", SEV_CRITICAL,
	    "404");
	f = good;
	f.content_type = "";
	{
		struct fakezone *z = fakezone_new();
		struct run r;

		zone_for(z, "x.test", "v=STSv1; id=1");
		tap_ok(run(z, "x.test", &f, &r) == ERR_OK && has(&r, "MTASTS_OK", SEV_OK, NULL) &&
			   get(&r, "MTASTS_CONTENT_TYPE") == NULL,
		       "no Content-Type given: not judged");
		done(&r);
		fakezone_free(z);
	}
	f.content_type = "text/html";
	one("served as HTML", "x.test", "v=STSv1; id=1", &f, "MTASTS_CONTENT_TYPE", SEV_WARN,
	    "text/html");
	f = ok_body("version: STSv1\nmode: enforce\nmx: mx1.x.test\nmax_age: 86400\n");
	one("enforce, mx2 not listed", "x.test", "v=STSv1; id=1", &f, "MTASTS_MX_NOT_COVERED",
	    SEV_CRITICAL, "mx2.x.test");
	f = ok_body("version: STSv1\nmode: testing\nmx: mail.elsewhere.test\nmax_age: 86400\n");
	one("testing, no MX listed", "x.test", "v=STSv1; id=1", &f, "MTASTS_MX_NOT_COVERED",
	    SEV_WARN, "mx1.x.test, mx2.x.test");
	f = ok_body("version: STSv1\nmode: testing\nmx: *.x.test\nmax_age: 86400\n");
	one("testing mode", "x.test", "v=STSv1; id=1", &f, "MTASTS_TESTING", SEV_INFO, "enforce");
	f = ok_body("version: STSv1\nmode: none\nmax_age: 86400\n");
	one("mode none", "x.test", "v=STSv1; id=1", &f, "MTASTS_MODE_NONE", SEV_INFO, NULL);
}

static void test_more(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_mtasts_fetch good = ok_body("version: STSv1\nmode: enforce\nmx: *.y.test\n"
					       "max_age: 86400\n");
	struct run r;

	fakezone_add_txt(z, "_mta-sts.y.test", "v=STSv1; id=1");
	fakezone_add_txt(z, "_mta-sts.y.test", "v=STSv1; id=2");
	tap_ok(run(z, "y.test", &good, &r) == ERR_OK &&
		   has(&r, "MTASTS_INVALID", SEV_CRITICAL, "2 v=STSv1") && r.fetches == 0,
	       "two TXT records: MTASTS_INVALID, no fetch");
	done(&r);
	fakezone_add_txt(z, "_mta-sts.nohost.test", "v=STSv1; id=1");
	fakezone_add_mx(z, "nohost.test", 10, "mx.nohost.test");
	tap_ok(run(z, "nohost.test", &good, &r) == ERR_OK &&
		   has(&r, "MTASTS_POLICY_UNREACHABLE", SEV_CRITICAL, "no address") &&
		   r.fetches == 0,
	       "policy host without address: unreachable, no fetch asked");
	done(&r);
	fakezone_set_timeout(z, "_mta-sts.slow.test");
	tap_ok(run(z, "slow.test", &good, &r) == ERR_OK && get(&r, "DNS_TEMPFAIL") &&
		   get(&r, "DNS_TEMPFAIL")->sev == SEV_UNKNOWN && get(&r, "MTASTS_MISSING") == NULL,
	       "TXT timeout: DNS_TEMPFAIL unknown");
	done(&r);
	fakezone_add_txt(z, "_mta-sts.slowmx.test", "v=STSv1; id=1");
	fakezone_add_addr(z, "mta-sts.slowmx.test", "192.0.2.5");
	fakezone_set_timeout(z, "slowmx.test");
	tap_ok(run(z, "slowmx.test", &good, &r) == ERR_OK && get(&r, "DNS_TEMPFAIL") &&
		   get(&r, "MTASTS_MX_NOT_COVERED") == NULL && get(&r, "MTASTS_OK") == NULL,
	       "MX timeout: coverage unknown, not uncovered");
	done(&r);
	fakezone_add_txt(z, "_mta-sts.nofetch.test", "v=STSv1; id=1");
	fakezone_add_addr(z, "mta-sts.nofetch.test", "2001:db8::443");
	tap_ok(run(z, "nofetch.test", NULL, &r) == ERR_AGAIN && r.res.need_fetch &&
		   r.res.policy_addr && strcmp(r.res.policy_addr, "2001:db8::443") == 0 &&
		   r.f.n == 0,
	       "never fetched: ERR_AGAIN with need_fetch and an IPv6 address, no findings");
	done(&r);
	{
		struct dns_findings f;

		dns_findings_init(&f);
		tap_ok(dns_mtasts_check(NULL, "x.test", NULL, NULL, &f, NULL) == ERR_INVAL,
		       "res NULL: ERR_INVAL");
	}
	fakezone_free(z);
}

int main(void)
{
	test_policy_parse();
	test_match_txt();
	test_clean();
	test_codes();
	test_more();
	return tap_done();
}
