/*
 * tests/dns/test_mx: the MX posture check over fake zones (RFC 5321 5.1,
 * RFC 7505 null MX, RFC 2181 10.3).
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/finding.h"
#include "dns/mx.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static const char *const all_codes[] = {
    "MX_MISSING",    "MX_NULL",	 "MX_NULL_INVALID", "MX_HOST_UNRESOLVABLE",
    "MX_IP_LITERAL", "MX_CNAME", "DNS_TEMPFAIL",    "DNS_MALFORMED",
};

struct run {
	struct dns_book *book;
	const char *domain;
	struct dns_findings f;
	struct dns_mx_result res;
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;
	enum mp_err e;

	dns_findings_clear(&r->f);
	e = dns_mx_check(r->book, r->domain, &r->f, &r->res);
	if (e == ERR_AGAIN && r->f.n != 0)
		tap_ok(0, "ERR_AGAIN run added findings");
	return e;
}

static enum mp_err run(struct fakezone *z, const char *domain, struct run *r)
{
	memset(r, 0, sizeof *r);
	r->book = dns_book_new(64);
	r->domain = domain;
	dns_findings_init(&r->f);
	return fakezone_run(z, r->book, step, r);
}

static void done(struct run *r)
{
	dns_findings_clear(&r->f);
	dns_mx_result_free(&r->res);
	dns_book_free(r->book);
}

static const struct dns_finding *get(const struct run *r, const char *code)
{
	return dns_findings_get(&r->f, NULL, code);
}

static void dump(const struct run *r)
{
	for (size_t i = 0; i < r->f.n; i++)
		tap_diag("%s %s: %s | fix: %s | evidence: %s", r->f.v[i].code,
			 dns_sev_name(r->f.v[i].sev), r->f.v[i].message,
			 r->f.v[i].fix ? r->f.v[i].fix : "-",
			 r->f.v[i].evidence ? r->f.v[i].evidence : "-");
}

static bool has(const struct run *r, const char *code, enum dns_sev sev, const char *needle)
{
	const struct dns_finding *d = get(r, code);
	bool ok =
	    d && d->sev == sev && strcmp(d->check, "mx") == 0 &&
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

static void test_clean(void)
{
	struct fakezone *z = fakezone_new();
	struct run r;

	fakezone_add_mx(z, "example.test", 20, "mx2.example.test");
	fakezone_add_mx(z, "example.test", 10, "MX1.example.test.");
	fakezone_add_mx(z, "example.test", 10, "mx1.example.test");
	fakezone_add_addr(z, "mx1.example.test", "192.0.2.1");
	fakezone_add_addr(z, "mx2.example.test", "2001:db8::2");
	tap_ok(run(z, "example.test", &r) == ERR_OK &&
		   has(&r, "MX_OK", SEV_OK, "10 mx1.example.test, 20 mx2.example.test") &&
		   clean(&r),
	       "clean: MX_OK lists the hosts by preference, nothing else");
	dump(&r);
	tap_ok(r.res.outcome == DNS_DATA && r.res.n == 2 && r.res.n_total == 3 &&
		   strcmp(r.res.hosts[0].name, "mx1.example.test") == 0 &&
		   r.res.hosts[0].resolves && r.res.hosts[1].resolves &&
		   r.res.hosts[1].n_addr == 1 && !r.res.null_mx,
	       "clean: hosts deduplicated, lower-cased, sorted, AAAA-only host resolves");
	done(&r);
	fakezone_free(z);
}

static void test_missing_null(void)
{
	struct fakezone *z = fakezone_new();
	struct run r;

	fakezone_add_addr(z, "web.test", "192.0.2.80");
	fakezone_add_txt(z, "bare.test", "v=spf1 -all");
	fakezone_add_mx(z, "null.test", 0, "");
	fakezone_add_mx(z, "null2.test", 0, ".");
	fakezone_add_mx(z, "mixed.test", 0, "");
	fakezone_add_mx(z, "mixed.test", 10, "mx.mixed.test");
	fakezone_add_addr(z, "mx.mixed.test", "192.0.2.9");
	fakezone_add_mx(z, "pref.test", 10, "");
	tap_ok(run(z, "web.test", &r) == ERR_OK && has(&r, "MX_MISSING", SEV_WARN, "own address") &&
		   r.res.implicit_addr && get(&r, "MX_OK") == NULL,
	       "no MX but an address: MX_MISSING warn, implicit MX explained");
	done(&r);
	tap_ok(run(z, "bare.test", &r) == ERR_OK && has(&r, "MX_MISSING", SEV_WARN, "no address") &&
		   !r.res.implicit_addr,
	       "no MX and no address: MX_MISSING says mail cannot be delivered");
	done(&r);
	tap_ok(run(z, "nowhere.test", &r) == ERR_OK &&
		   has(&r, "MX_MISSING", SEV_WARN, "does not exist") &&
		   r.res.outcome == DNS_NXDOMAIN,
	       "NXDOMAIN: MX_MISSING says the domain does not exist");
	done(&r);
	tap_ok(run(z, "null.test", &r) == ERR_OK && has(&r, "MX_NULL", SEV_INFO, "RFC 7505") &&
		   r.res.null_mx && r.res.n == 0 && get(&r, "MX_OK") == NULL && r.f.n == 1,
	       "null MX (\"\" exchange): MX_NULL info only");
	done(&r);
	tap_ok(run(z, "null2.test", &r) == ERR_OK && has(&r, "MX_NULL", SEV_INFO, NULL),
	       "null MX (\".\" exchange): MX_NULL info");
	done(&r);
	tap_ok(run(z, "mixed.test", &r) == ERR_OK && has(&r, "MX_NULL_INVALID", SEV_WARN, NULL) &&
		   !r.res.null_mx && r.res.null_mixed && r.res.n == 1 && get(&r, "MX_NULL") == NULL,
	       "null MX mixed with another MX: MX_NULL_INVALID warn (RFC 7505 3)");
	done(&r);
	tap_ok(run(z, "pref.test", &r) == ERR_OK && has(&r, "MX_NULL_INVALID", SEV_WARN, NULL),
	       "null MX with preference 10: MX_NULL_INVALID");
	done(&r);
	fakezone_free(z);
}

static void test_hosts(void)
{
	struct fakezone *z = fakezone_new();
	struct run r;
	char name[64];

	fakezone_add_mx(z, "half.test", 10, "mx1.half.test");
	fakezone_add_mx(z, "half.test", 20, "gone.half.test");
	fakezone_add_addr(z, "mx1.half.test", "192.0.2.1");
	fakezone_add_mx(z, "dead.test", 10, "gone1.dead.test");
	fakezone_add_mx(z, "dead.test", 20, "gone2.dead.test");
	fakezone_add_mx(z, "lit.test", 10, "192.0.2.25");
	fakezone_add_mx(z, "lit.test", 20, "[2001:db8::25]");
	fakezone_add_mx(z, "lit.test", 30, "mx.lit.test");
	fakezone_add_addr(z, "mx.lit.test", "192.0.2.26");
	fakezone_add_mx(z, "alias.test", 10, "mail.alias.test");
	fakezone_add_cname(z, "mail.alias.test", "real.host.test");
	fakezone_add_addr(z, "real.host.test", "192.0.2.30");
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "mx%02d.many.test", i);
		fakezone_add_mx(z, "many.test", (uint16_t)(i + 1), name);
		fakezone_add_addr(z, name, "192.0.2.40");
	}
	fakezone_add(z, "weird.test", DNS_T_MX, "mx\0evil.weird.test", 18, 10);
	tap_ok(run(z, "half.test", &r) == ERR_OK &&
		   has(&r, "MX_HOST_UNRESOLVABLE", SEV_WARN, "gone.half.test") &&
		   get(&r, "MX_OK") == NULL,
	       "one of two hosts without address: MX_HOST_UNRESOLVABLE warn");
	done(&r);
	tap_ok(run(z, "dead.test", &r) == ERR_OK && has(&r, "MX_HOST_UNRESOLVABLE", SEV_CRITICAL,
							"gone1.dead.test, gone2.dead.test"),
	       "every host without address: MX_HOST_UNRESOLVABLE critical");
	done(&r);
	tap_ok(run(z, "lit.test", &r) == ERR_OK &&
		   has(&r, "MX_IP_LITERAL", SEV_WARN, "192.0.2.25") && r.res.n == 3 &&
		   r.res.hosts[1].ip_literal && get(&r, "MX_HOST_UNRESOLVABLE") == NULL &&
		   dns_book_get(r.book, "192.0.2.25", DNS_T_A, &(const struct dns_answer *){0}) ==
		       ERR_AGAIN,
	       "IP literal exchanges: MX_IP_LITERAL warn, not looked up");
	done(&r);
	tap_ok(run(z, "alias.test", &r) == ERR_OK &&
		   has(&r, "MX_CNAME", SEV_INFO, "real.host.test") &&
		   has(&r, "MX_OK", SEV_OK, NULL) && r.res.hosts[0].cname &&
		   strcmp(r.res.hosts[0].cname, "real.host.test") == 0,
	       "MX host that is a CNAME: MX_CNAME info, still MX_OK");
	done(&r);
	tap_ok(run(z, "many.test", &r) == ERR_OK && r.res.n == DNS_MX_HOSTS_MAX &&
		   r.res.n_total == 20 && has(&r, "MX_OK", SEV_OK, "(and more)") &&
		   dns_book_count(r.book) == 1 + 2 * DNS_MX_HOSTS_MAX,
	       "20 MX records: 16 judged, questions bounded");
	done(&r);
	tap_ok(run(z, "weird.test", &r) == ERR_OK && r.res.n == 1,
	       "an exchange with a NUL byte does not crash the check");
	done(&r);
	fakezone_add_mx(z, "dots.test", 10, "mx...");
	fakezone_add_mx(z, "dots.test", 20, "a..b.test");
	tap_ok(run(z, "dots.test", &r) == ERR_OK && r.res.n == 2 && r.res.hosts[0].bad_name &&
		   has(&r, "MX_HOST_UNRESOLVABLE", SEV_CRITICAL, NULL) &&
		   dns_book_count(r.book) == 1,
	       "malformed exchange names: unresolvable, never asked");
	done(&r);
	tap_ok(run(z, "bad..name", &r) == ERR_INVAL, "malformed domain: ERR_INVAL");
	done(&r);
	fakezone_free(z);
}

static void test_failures(void)
{
	struct fakezone *z = fakezone_new();
	struct run r;
	const struct dns_finding *d;
	const struct dns_answer *a;
	const char *name;
	uint16_t type;

	fakezone_set_timeout(z, "slow.test");
	fakezone_add_mx(z, "part.test", 10, "slowmx.part.test");
	fakezone_add_mx(z, "part.test", 20, "mx.part.test");
	fakezone_add_addr(z, "mx.part.test", "192.0.2.7");
	fakezone_set_timeout(z, "slowmx.part.test");
	tap_ok(run(z, "slow.test", &r) == ERR_OK && (d = get(&r, "DNS_TEMPFAIL")) &&
		   d->sev == SEV_UNKNOWN && strcmp(d->check, "mx") == 0 &&
		   get(&r, "MX_MISSING") == NULL && r.res.outcome == DNS_TEMPFAIL,
	       "MX lookup timeout: DNS_TEMPFAIL unknown, not MX_MISSING");
	done(&r);
	tap_ok(run(z, "part.test", &r) == ERR_OK && get(&r, "DNS_TEMPFAIL") &&
		   get(&r, "MX_HOST_UNRESOLVABLE") == NULL && r.res.hosts[0].unknown,
	       "host address timeout: unknown, never unresolvable");
	done(&r);
	memset(&r, 0, sizeof r);
	r.book = dns_book_new(8);
	r.domain = "mal.test";
	dns_findings_init(&r.f);
	if (dns_book_get(r.book, "mal.test", DNS_T_MX, &a) == ERR_AGAIN &&
	    dns_book_next_needed(r.book, &name, &type))
		dns_book_put(r.book, dns_answer_new(name, type, DNS_MALFORMED, "bad packet"));
	tap_ok(fakezone_run(z, r.book, step, &r) == ERR_OK && (d = get(&r, "DNS_MALFORMED")) &&
		   d->sev == SEV_UNKNOWN,
	       "malformed MX answer: DNS_MALFORMED unknown");
	done(&r);
	{
		struct dns_book *b = dns_book_new(4);

		fakezone_add_mx(z, "x.test", 10, "mx.x.test");
		tap_ok(dns_mx_check(b, "x.test", NULL, NULL) == ERR_AGAIN &&
			   fakezone_answer(z, b) == 1 &&
			   dns_mx_check(b, "x.test", NULL, NULL) == ERR_AGAIN &&
			   fakezone_answer(z, b) == 2 &&
			   dns_mx_check(b, "x.test", NULL, NULL) == ERR_OK,
		       "NULL findings and result are allowed; MX then addresses");
		dns_book_free(b);
	}
	fakezone_free(z);
}

int main(void)
{
	test_clean();
	test_missing_null();
	test_hosts();
	test_failures();
	return tap_done();
}
