/*
 * tests/dns/test_dmarc: DMARC record parsing (RFC 7489, RFC 9989), the two
 * discoveries (PSL and tree walk) and every DMARC finding, over fake zones.
 * Test names live under .test: libpsl's implicit `*` rule makes x.test its
 * own organizational domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/dmarc.h"
#include "dns/finding.h"
#include "dns/orgdomain.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static const char *const all_codes[] = {
    "DMARC_MISSING",
    "DMARC_MULTIPLE",
    "DMARC_SYNTAX",
    "DMARC_POLICY_NONE",
    "DMARC_PARTIAL",
    "DMARC_SUBDOMAIN_NONE",
    "DMARC_NO_RUA",
    "DMARC_RUA_UNAUTHORIZED",
    "DMARC_DISCOVERY_DIFFERS",
    "DMARC_POLICY_WEAKER_THAN_EXPECTED",
    "DNS_TEMPFAIL",
    "DNS_MALFORMED",
};

/* ---- parser ---- */

static bool parse(const char *rec, size_t len, struct dns_dmarc_record *r, char *why, size_t whysz)
{
	why[0] = '\0';
	return dns_dmarc_record_parse(rec, len, r, why, whysz) == ERR_OK;
}

static void bad(const char *rec, size_t len, const char *needle, const char *name)
{
	struct dns_dmarc_record r;
	char why[256];
	bool ok = parse(rec, len, &r, why, sizeof why);

	if (ok)
		dns_dmarc_record_free(&r);
	tap_ok(!ok && (needle == NULL || strstr(why, needle) != NULL), "parse refuses %s (%s)",
	       name, why);
}

#define BAD(rec, needle, name) bad(rec, strlen(rec), needle, name)

static void test_parse(void)
{
	struct dns_dmarc_record r;
	char why[256];
	const char *full = "v=DMARC1; p=reject; sp=quarantine; np=reject; pct=50; t=n; adkim=s; "
			   "aspf=r; fo=0:1:d:s; rf=afrf; ri=3600; rua=mailto:a@example.test!10m, "
			   "mailto:b@Ext.Example.NET; ruf=mailto:f@example.test; psd=n; zz=what";

	tap_ok(parse(full, strlen(full), &r, why, sizeof why) && r.p == DNS_DMARC_P_REJECT &&
		   r.sp == DNS_DMARC_P_QUARANTINE && r.np == DNS_DMARC_P_REJECT && r.has_pct &&
		   r.pct == 50 && r.t == 'n' && r.adkim == 's' && r.aspf == 'r' && r.psd == 'n' &&
		   r.has_ri && r.ri == 3600 && r.n_rua == 2 && r.n_ruf == 1 &&
		   r.rua[0].max_bytes == 10u << 20 &&
		   strcmp(r.rua[1].host, "ext.example.net") == 0 && strcmp(r.fo, "0:1:d:s") == 0,
	       "every tag parsed, unknown tag ignored (%s)", why);
	dns_dmarc_record_free(&r);
	tap_ok(parse("V=DMARC1;P=Reject;RUA=mailto:x@y.test", 37, &r, why, sizeof why) &&
		   r.p == DNS_DMARC_P_REJECT && r.n_rua == 1 && r.pct == 100 && r.adkim == 'r',
	       "tag names and policy words ignore case; defaults set");
	dns_dmarc_record_free(&r);
	tap_ok(parse("v=DMARC1; rua=mailto:x@y.test", 29, &r, why, sizeof why) &&
		   r.p == DNS_DMARC_P_UNSET,
	       "missing p= parses (RFC 9989), left for the posture check");
	dns_dmarc_record_free(&r);
	tap_ok(parse("v=DMARC1;p=none;rua=mailto:a@b.test,\r\n mailto:c@d.test;", 55, &r, why,
		     sizeof why) &&
		   r.n_rua == 2,
	       "FWS between URIs");
	dns_dmarc_record_free(&r);
	tap_ok(parse("v=DMARC1; p=none; rua=https://r.example.test/x", 46, &r, why, sizeof why) &&
		   r.n_rua == 1 && r.rua[0].host == NULL,
	       "non-mailto URI kept without a host");
	dns_dmarc_record_free(&r);

	BAD("p=reject; v=DMARC1", "start with v=DMARC1", "v= not first");
	BAD("v=dmarc1; p=reject", "exactly DMARC1", "v=dmarc1");
	BAD("v=DMARC1; p=rejected", "p=rejected", "bad p=");
	BAD("v=DMARC1; p=reject; sp=all", "sp=all", "bad sp=");
	BAD("v=DMARC1; p=reject; np=x", "np=x", "bad np=");
	BAD("v=DMARC1; p=reject; pct=101", "pct=101", "pct over 100");
	BAD("v=DMARC1; p=reject; pct=-1", "pct=-1", "negative pct");
	BAD("v=DMARC1; p=reject; pct=", "pct=", "empty pct");
	BAD("v=DMARC1; p=reject; t=yes", "t=yes", "bad t=");
	BAD("v=DMARC1; p=reject; adkim=x", "adkim=x", "bad adkim=");
	BAD("v=DMARC1; p=reject; aspf=relaxed", "aspf=relaxed", "bad aspf=");
	BAD("v=DMARC1; p=reject; psd=maybe", "psd=maybe", "bad psd=");
	BAD("v=DMARC1; p=reject; fo=2", "fo=2", "bad fo=");
	BAD("v=DMARC1; p=reject; rf=1x", "rf=1x", "bad rf=");
	BAD("v=DMARC1; p=reject; ri=99999999999", "ri=", "ri over 32 bits");
	BAD("v=DMARC1; p=reject; rua=dmarc@example.test", "URI", "rua without a scheme");
	BAD("v=DMARC1; p=reject; rua=mailto:example.test", "'@'", "mailto without @");
	BAD("v=DMARC1; p=reject; rua=mailto:a@b.test!big", "size", "bad !size");
	BAD("v=DMARC1; p=reject; rua=mailto:a@.", "valid domain", "mailto host \".\" (fuzz find)");
	BAD("v=DMARC1; p=reject; rua=mailto:a@b..test", "valid domain", "empty label in host");
	BAD("v=DMARC1; p=reject; rua=", "empty", "empty rua=");
	BAD("v=DMARC1; p=reject; ruf=mailto:a@b c.test", NULL, "space in an address");
	BAD("v=DMARC1; p=reject; p=none", "more than once", "duplicate p=");
	BAD("v=DMARC1; p=reject; P=none", "more than once", "duplicate p= in other case");
	bad("v=DMARC1; p=reject\0; rua=mailto:a@b.test", 40, "offset", "NUL byte");
	BAD("v=DMARC1; p=r\xc3\xa9ject", "offset", "8-bit bytes");
	BAD("v=DMARC1; p=reject; rua=mailto:a@b\xff.test", "offset", "invalid UTF-8 in rua");
	{
		char *many = xmalloc(17 * 24 + 64);
		size_t n = (size_t)snprintf(many, 64, "v=DMARC1; p=none; rua=");

		for (int i = 0; i < 17; i++)
			n += (size_t)snprintf(many + n, 24, "%smailto:a%d@b.test", i ? "," : "", i);
		bad(many, n, "too many", "17 rua URIs");
		free(many);
		many = xmalloc(500 * 10 + 32);
		n = (size_t)snprintf(many, 32, "v=DMARC1; p=none;");
		for (int i = 0; i < 500; i++)
			n += (size_t)snprintf(many + n, 10, "x%d=1;", i);
		bad(many, n, "tags", "500 tags");
		free(many);
		many = xmalloc(65536);
		memcpy(many, "v=DMARC1; p=none; rua=mailto:a@", 31);
		memset(many + 31, 'b', 65536 - 31);
		bad(many, 65536, "too long", "64 KB address");
		free(many);
	}
	tap_ok(dns_dmarc_record_is_candidate("v=DMARC1; p=none", 16) &&
		   dns_dmarc_record_is_candidate(" v = dmarc1 ;", 13) &&
		   dns_dmarc_record_is_candidate("v=DMARC1", 8) &&
		   !dns_dmarc_record_is_candidate("v=DMARC10; p=none", 17) &&
		   !dns_dmarc_record_is_candidate("v=spf1 -all", 11),
	       "candidate records recognised by their v= tag");
}

/* ---- posture ---- */

struct run {
	struct dns_book *book;
	const char *domain;
	struct dns_dmarc_opts opts;
	struct dns_findings f;
	struct dns_dmarc_result res;
	int runs;
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;
	enum mp_err e;

	r->runs++;
	dns_findings_clear(&r->f);
	e = dns_dmarc_check(r->book, r->domain, &r->opts, &r->f, &r->res);
	if (e == ERR_AGAIN && r->f.n != 0)
		tap_ok(0, "ERR_AGAIN run added findings");
	return e;
}

static const struct dns_orgdomain *psl;

static enum mp_err run(struct fakezone *z, const char *domain, enum dns_dmarc_policy expected,
		       struct run *r)
{
	memset(r, 0, sizeof *r);
	r->book = dns_book_new(64);
	r->domain = domain;
	r->opts.expected = expected;
	r->opts.psl = psl;
	dns_findings_init(&r->f);
	return fakezone_run(z, r->book, step, r);
}

static void done(struct run *r)
{
	dns_findings_clear(&r->f);
	dns_dmarc_result_free(&r->res);
	dns_book_free(r->book);
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
	    d && d->sev == sev && strcmp(d->check, "dmarc") == 0 &&
	    (needle == NULL || strstr(d->message, needle) || (d->fix && strstr(d->fix, needle)) ||
	     (d->evidence && strstr(d->evidence, needle)));

	if (!ok)
		dump(r);
	return ok;
}

static bool none_but(const struct run *r, const char *allowed)
{
	for (size_t i = 0; i < sizeof all_codes / sizeof *all_codes; i++)
		if ((allowed == NULL || strcmp(all_codes[i], allowed) != 0) &&
		    get(r, all_codes[i]) != NULL) {
			dump(r);
			return false;
		}
	return true;
}

static bool asked(const struct run *r, const char *qname)
{
	for (size_t i = 0; i < dns_book_count(r->book); i++) {
		const char *n;

		dns_book_at(r->book, i, &n, NULL);
		if (strcmp(n, qname) == 0)
			return true;
	}
	return false;
}

/* One zone record, one run, one expected finding. */
static void one(const char *what, const char *domain, const char *const *zone, size_t nzone,
		enum dns_dmarc_policy expected, const char *code, enum dns_sev sev,
		const char *needle)
{
	struct fakezone *z = fakezone_new();
	struct run r;

	for (size_t i = 0; i + 1 < nzone; i += 2)
		fakezone_add_txt(z, zone[i], zone[i + 1]);
	tap_ok(run(z, domain, expected, &r) == ERR_OK && has(&r, code, sev, needle) &&
		   get(&r, "DMARC_OK") == NULL,
	       "%s: %s %s", what, code, dns_sev_name(sev));
	dump(&r);
	done(&r);
	fakezone_free(z);
}

#define ONE(what, domain, exp, code, sev, needle, ...)                                             \
	do {                                                                                       \
		const char *const zz[] = {__VA_ARGS__};                                            \
		one(what, domain, zz, sizeof zz / sizeof *zz, exp, code, sev, needle);             \
	} while (0)

static void test_clean(void)
{
	struct fakezone *z = fakezone_new();
	struct run r;

	fakezone_add_txt(
	    z, "_dmarc.example.test",
	    "v=DMARC1; p=reject; rua=mailto:dmarc@example.test,"
	    "mailto:r@reports.vendor.test,mailto:x@other.test; ruf=mailto:f@mail.example.test");
	fakezone_add_txt(z, "_dmarc.example.test", "some-verification=abc");
	fakezone_add_txt(z, "example.test._report._dmarc.reports.vendor.test", "v=DMARC1");
	fakezone_add_txt(z, "*._report._dmarc.other.test", "v=DMARC1;");
	tap_ok(run(z, "Example.Test.", DNS_DMARC_P_REJECT, &r) == ERR_OK, "clean: completes");
	dump(&r);
	tap_ok(has(&r, "DMARC_OK", SEV_OK, "p=reject") && none_but(&r, NULL) && r.f.n == 1,
	       "clean: DMARC_OK alone, expected policy met");
	tap_ok(r.res.found && !r.res.inherited && r.res.applied == DNS_DMARC_P_REJECT &&
		   strcmp(r.res.record_domain, "example.test") == 0 &&
		   strcmp(r.res.org_psl, "example.test") == 0 && r.res.org_walk &&
		   strcmp(r.res.org_walk, "example.test") == 0 && r.res.walk_complete &&
		   r.res.walk_queries == 2 && !r.res.disagree && r.res.raw_len > 0 &&
		   r.res.rec.n_rua == 3,
	       "clean: results (record, both organizational domains, walk of 2)");
	tap_ok(r.res.n_dests == 4 && r.res.dests[0].auth == DNS_DMARC_AUTH_SAME_ORG &&
		   r.res.dests[1].auth == DNS_DMARC_AUTH_OK &&
		   r.res.dests[2].auth == DNS_DMARC_AUTH_WILDCARD && r.res.dests[3].ruf &&
		   r.res.dests[3].auth == DNS_DMARC_AUTH_SAME_ORG,
	       "clean: destinations: same org, authorized, wildcard-authorized");
	tap_ok(asked(&r, "_dmarc.test") && !asked(&r, "example.test._report._dmarc.example.test"),
	       "clean: walk reached the TLD; same-org destination not queried");
	done(&r);
	fakezone_free(z);
}

static void test_codes(void)
{
	ONE("no record", "nothing.test", 0, "DMARC_MISSING", SEV_CRITICAL,
	    "_dmarc.nothing.test. TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@nothing.test\"",
	    "nothing.test", "v=spf1 -all");
	ONE("no record at a subdomain nor its org", "a.none.test", 0, "DMARC_MISSING", SEV_CRITICAL,
	    "_dmarc.none.test", "_dmarc.a.none.test", "hello");
	ONE("two records", "multi.test", 0, "DMARC_MULTIPLE", SEV_CRITICAL, "2 DMARC records",
	    "_dmarc.multi.test", "v=DMARC1; p=reject", "_dmarc.multi.test", "v=DMARC1; p=none",
	    "_dmarc.multi.test", "not-dmarc");
	ONE("bad p=", "syn.test", 0, "DMARC_SYNTAX", SEV_CRITICAL, "p=rejected", "_dmarc.syn.test",
	    "v=DMARC1; p=rejected");
	ONE("v=dmarc1", "syn.test", 0, "DMARC_SYNTAX", SEV_CRITICAL, "DMARC1", "_dmarc.syn.test",
	    "v=dmarc1; p=reject");
	ONE("broken subdomain record shadows the org's", "sub.syn.test", 0, "DMARC_SYNTAX",
	    SEV_CRITICAL, "do not fall back", "_dmarc.sub.syn.test", "v=DMARC1; p=reject; pct=x",
	    "_dmarc.syn.test", "v=DMARC1; p=reject; rua=mailto:d@syn.test");
	ONE("no p= and no rua=", "syn.test", 0, "DMARC_SYNTAX", SEV_CRITICAL, "no p= tag",
	    "_dmarc.syn.test", "v=DMARC1; adkim=s");
	ONE("control byte in the record", "syn.test", 0, "DMARC_SYNTAX", SEV_CRITICAL, "offset",
	    "_dmarc.syn.test", "v=DMARC1; p=reject; rua=mailto:a@syn.test; x=\x01");
	ONE("p=none", "mon.test", 0, "DMARC_POLICY_NONE", SEV_WARN,
	    "_dmarc.mon.test. TXT \"v=DMARC1; p=quarantine; rua=mailto:d@mon.test\"",
	    "_dmarc.mon.test", "v=DMARC1; p=none; rua=mailto:d@mon.test");
	ONE("missing p= with rua=", "mon.test", 0, "DMARC_POLICY_NONE", SEV_WARN, "no p= tag",
	    "_dmarc.mon.test", "v=DMARC1; rua=mailto:d@mon.test");
	ONE("pct=50", "part.test", 0, "DMARC_PARTIAL", SEV_WARN, "50%", "_dmarc.part.test",
	    "v=DMARC1; p=reject; pct=50; rua=mailto:d@part.test");
	ONE("t=y", "part.test", 0, "DMARC_PARTIAL", SEV_WARN, "t=y", "_dmarc.part.test",
	    "v=DMARC1; p=quarantine; t=y; rua=mailto:d@part.test");
	ONE("sp=none", "subn.test", 0, "DMARC_SUBDOMAIN_NONE", SEV_WARN, "sp=none",
	    "_dmarc.subn.test", "v=DMARC1; p=reject; sp=none; rua=mailto:d@subn.test");
	ONE("np=none", "subn.test", 0, "DMARC_SUBDOMAIN_NONE", SEV_WARN, "np=none",
	    "_dmarc.subn.test", "v=DMARC1; p=quarantine; np=none; rua=mailto:d@subn.test");
	ONE("no rua=", "norua.test", 0, "DMARC_NO_RUA", SEV_WARN, "rua=", "_dmarc.norua.test",
	    "v=DMARC1; p=reject");
	ONE("only an https rua=", "norua.test", 0, "DMARC_NO_RUA", SEV_WARN, NULL,
	    "_dmarc.norua.test", "v=DMARC1; p=reject; rua=https://r.example.test/");
	ONE("external rua= without authorization", "auth.test", 0, "DMARC_RUA_UNAUTHORIZED",
	    SEV_WARN, "auth.test._report._dmarc.vendor.test. TXT \"v=DMARC1\"", "_dmarc.auth.test",
	    "v=DMARC1; p=reject; rua=mailto:agg@vendor.test",
	    "auth.test._report._dmarc.vendor.test", "v=spf1 -all");
	ONE("external ruf= without authorization", "auth.test", 0, "DMARC_RUA_UNAUTHORIZED",
	    SEV_WARN, "Failure reports", "_dmarc.auth.test",
	    "v=DMARC1; p=reject; rua=mailto:a@auth.test; ruf=mailto:f@vendor.test");
	{
		/* <domain>._report._dmarc.<host> over 253 characters: nobody can ask it. */
		char host[200], rec[300];

		memset(host, 'h', sizeof host);
		memcpy(host + 60, ".", 1);
		memcpy(host + 120, ".", 1);
		memcpy(host + 180, ".", 1);
		memcpy(host + sizeof host - 6, ".test", 6);
		snprintf(rec, sizeof rec, "v=DMARC1; p=reject; rua=mailto:a@%s", host);
		ONE("authorization name too long to ask", "a-rather-long-name-for-a-domain.test", 0,
		    "DMARC_RUA_UNAUTHORIZED", SEV_WARN, NULL,
		    "_dmarc.a-rather-long-name-for-a-domain.test", rec);
	}
	ONE("quarantine when reject is expected", "weak.test", DNS_DMARC_P_REJECT,
	    "DMARC_POLICY_WEAKER_THAN_EXPECTED", SEV_WARN, "p=reject", "_dmarc.weak.test",
	    "v=DMARC1; p=quarantine; rua=mailto:d@weak.test");
}

static void test_inherited(void)
{
	struct fakezone *z = fakezone_new();
	struct run r;

	fakezone_add_txt(z, "_dmarc.inh.test",
			 "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@inh.test");
	fakezone_add_txt(z, "_dmarc.soft.test",
			 "v=DMARC1; p=reject; sp=none; rua=mailto:d@soft.test");
	tap_ok(run(z, "shop.inh.test", 0, &r) == ERR_OK &&
		   has(&r, "DMARC_INHERITED", SEV_INFO, "sp=quarantine") &&
		   has(&r, "DMARC_OK", SEV_OK, "quarantine") && none_but(&r, NULL),
	       "inherited sp=quarantine: DMARC_INHERITED info plus DMARC_OK");
	tap_ok(r.res.inherited && r.res.applied == DNS_DMARC_P_QUARANTINE &&
		   strcmp(r.res.record_domain, "inh.test") == 0 && !r.res.disagree,
	       "inherited: result says where the record is; both discoveries agree");
	done(&r);
	tap_ok(run(z, "shop.soft.test", 0, &r) == ERR_OK &&
		   has(&r, "DMARC_POLICY_NONE", SEV_WARN, "sp=none") &&
		   get(&r, "DMARC_SUBDOMAIN_NONE") == NULL,
	       "inherited sp=none: the subdomain's policy is none");
	done(&r);
	tap_ok(run(z, "inh.test", DNS_DMARC_P_QUARANTINE, &r) == ERR_OK &&
		   get(&r, "DMARC_POLICY_WEAKER_THAN_EXPECTED") == NULL &&
		   get(&r, "DMARC_INHERITED") == NULL && has(&r, "DMARC_OK", SEV_OK, NULL),
	       "stronger than expected is fine; own record is not inherited");
	done(&r);
	fakezone_free(z);
}

static void test_walk(void)
{
	struct fakezone *z = fakezone_new();
	struct run r;

	/* 7489 skips b.diff.test and uses the org's sp; 9989 stops at b.diff.test. */
	fakezone_add_txt(z, "_dmarc.b.diff.test", "v=DMARC1; p=quarantine; rua=mailto:d@diff.test");
	fakezone_add_txt(z, "_dmarc.diff.test", "v=DMARC1; p=reject; rua=mailto:d@diff.test");
	tap_ok(run(z, "a.b.diff.test", 0, &r) == ERR_OK &&
		   has(&r, "DMARC_DISCOVERY_DIFFERS", SEV_WARN, "_dmarc.b.diff.test") &&
		   has(&r, "DMARC_INHERITED", SEV_INFO, NULL),
	       "PSL and tree walk pick different records: DMARC_DISCOVERY_DIFFERS warn");
	tap_ok(r.res.disagree && strcmp(r.res.record_domain, "diff.test") == 0 &&
		   r.res.applied == DNS_DMARC_P_REJECT && r.res.walk_record_domain &&
		   strcmp(r.res.walk_record_domain, "b.diff.test") == 0 &&
		   r.res.walk_applied == DNS_DMARC_P_QUARANTINE &&
		   strcmp(r.res.org_walk, "diff.test") == 0 &&
		   strcmp(r.res.org_psl, "diff.test") == 0,
	       "both discoveries reported in the result");
	done(&r);

	/* RFC 9989 public suffix domain: psd=y at the TLD. */
	fakezone_add_txt(z, "_dmarc.psd", "v=DMARC1; p=reject; psd=y");
	tap_ok(
	    run(z, "a.shop.psd", 0, &r) == ERR_OK && has(&r, "DMARC_MISSING", SEV_CRITICAL, NULL) &&
		has(&r, "DMARC_DISCOVERY_DIFFERS", SEV_WARN, "_dmarc.psd") && r.res.org_walk &&
		strcmp(r.res.org_walk, "shop.psd") == 0 && strcmp(r.res.org_psl, "shop.psd") == 0 &&
		r.res.walk_queries == 3 && strcmp(r.res.walk_record_domain, "psd") == 0,
	    "psd=y at the TLD: org domain one label below it; 7489 sees no policy");
	done(&r);

	/* psd=n below the PSL organizational domain stops the walk there. */
	fakezone_add_txt(z, "_dmarc.y.corp.test",
			 "v=DMARC1; p=reject; psd=n; rua=mailto:d@corp.test");
	tap_ok(run(z, "x.y.corp.test", 0, &r) == ERR_OK && r.res.org_walk &&
		   strcmp(r.res.org_walk, "y.corp.test") == 0 &&
		   strcmp(r.res.org_psl, "corp.test") == 0 && r.res.walk_queries == 2 &&
		   !asked(&r, "_dmarc.test") &&
		   has(&r, "DMARC_DISCOVERY_DIFFERS", SEV_WARN, "y.corp.test") &&
		   has(&r, "DMARC_MISSING", SEV_CRITICAL, NULL),
	       "psd=n stops the walk and names the organizational domain");
	done(&r);
	/* Same record, but own record at the domain: only the org domains differ. */
	fakezone_add_txt(z, "_dmarc.x.y.corp.test", "v=DMARC1; p=reject; rua=mailto:d@corp.test");
	tap_ok(run(z, "x.y.corp.test", 0, &r) == ERR_OK &&
		   has(&r, "DMARC_DISCOVERY_DIFFERS", SEV_INFO, "organizational domain") &&
		   has(&r, "DMARC_OK", SEV_OK, NULL),
	       "only the organizational domains differ: DMARC_DISCOVERY_DIFFERS info");
	done(&r);

	/* 9 labels: ask the name, jump to 7 labels, then down to the TLD: 8 queries. */
	fakezone_add_txt(z, "_dmarc.h.test", "v=DMARC1; p=reject; rua=mailto:d@h.test");
	tap_ok(run(z, "a.b.c.d.e.f.g.h.test", 0, &r) == ERR_OK && r.res.walk_queries == 8 &&
		   asked(&r, "_dmarc.a.b.c.d.e.f.g.h.test") &&
		   asked(&r, "_dmarc.c.d.e.f.g.h.test") &&
		   !asked(&r, "_dmarc.b.c.d.e.f.g.h.test") && asked(&r, "_dmarc.test") &&
		   dns_book_count(r.book) == 8 && has(&r, "DMARC_INHERITED", SEV_INFO, NULL),
	       "long name: the walk is capped at 8 queries (RFC 9989 4.10 step 5)");
	done(&r);
	fakezone_free(z);
}

static void test_failures(void)
{
	struct fakezone *z = fakezone_new();
	struct run r;
	const struct dns_finding *d;

	fakezone_set_timeout(z, "_dmarc.slow.test");
	tap_ok(run(z, "slow.test", 0, &r) == ERR_OK && (d = get(&r, "DNS_TEMPFAIL")) != NULL &&
		   d->sev == SEV_UNKNOWN && strcmp(d->check, "dmarc") == 0 &&
		   get(&r, "DMARC_MISSING") == NULL && get(&r, "DMARC_OK") == NULL,
	       "timeout at _dmarc.<domain>: DNS_TEMPFAIL unknown, never DMARC_MISSING");
	done(&r);
	fakezone_add_txt(z, "_dmarc.ok.tld", "v=DMARC1; p=reject; rua=mailto:d@ok.tld");
	fakezone_set_timeout(z, "_dmarc.tld");
	tap_ok(run(z, "ok.tld", 0, &r) == ERR_OK && get(&r, "DNS_TEMPFAIL") &&
		   !r.res.walk_complete && r.res.found && get(&r, "DMARC_OK") == NULL,
	       "timeout in the tree walk: unknown, the RFC 7489 result is kept");
	done(&r);
	fakezone_add_txt(z, "_dmarc.rep.test", "v=DMARC1; p=reject; rua=mailto:d@slowvendor.test");
	fakezone_set_timeout(z, "rep.test._report._dmarc.slowvendor.test");
	tap_ok(run(z, "rep.test", 0, &r) == ERR_OK && get(&r, "DNS_TEMPFAIL") &&
		   get(&r, "DMARC_RUA_UNAUTHORIZED") == NULL &&
		   r.res.dests[0].auth == DNS_DMARC_AUTH_UNKNOWN,
	       "timeout on a report authorization: unknown, not unauthorized");
	done(&r);
	{
		static const char nul[] = "v=DMARC1; p=reject\0; rua=mailto:d@nul.test";

		fakezone_add(z, "_dmarc.nul.test", DNS_T_TXT, nul, sizeof nul - 1, 0);
		tap_ok(run(z, "nul.test", 0, &r) == ERR_OK &&
			   has(&r, "DMARC_SYNTAX", SEV_CRITICAL, "\\x00"),
		       "record with a NUL byte: DMARC_SYNTAX names the byte");
		done(&r);
	}
	{
		const struct dns_answer *a;
		const char *name;
		uint16_t type;

		memset(&r, 0, sizeof r);
		r.book = dns_book_new(64);
		r.domain = "mal.test";
		r.opts.psl = psl;
		dns_findings_init(&r.f);
		if (dns_book_get(r.book, "_dmarc.mal.test", DNS_T_TXT, &a) == ERR_AGAIN &&
		    dns_book_next_needed(r.book, &name, &type))
			dns_book_put(r.book,
				     dns_answer_new(name, type, DNS_MALFORMED, "bad packet"));
		tap_ok(fakezone_run(z, r.book, step, &r) == ERR_OK &&
			   (d = get(&r, "DNS_MALFORMED")) != NULL && d->sev == SEV_UNKNOWN,
		       "malformed answer: DNS_MALFORMED unknown");
		done(&r);
	}
	tap_ok(run(z, "bad domain.test", 0, &r) == ERR_INVAL && r.f.n == 0,
	       "unusable domain: ERR_INVAL");
	done(&r);
	{
		struct dns_book *b = dns_book_new(1);
		struct dns_findings f;
		struct dns_dmarc_opts o = {.psl = psl};
		struct dns_dmarc_result res;
		enum mp_err e;

		dns_findings_init(&f);
		e = dns_dmarc_check(b, "x.test", &o, &f, &res);
		tap_ok(e == ERR_AGAIN && f.n == 0, "first run: ERR_AGAIN, no findings");
		fakezone_answer(z, b);
		e = dns_dmarc_check(b, "x.test", &o, &f, &res);
		tap_ok(e == ERR_OK && get(&(struct run){.f = f}, "DNS_TEMPFAIL"),
		       "a full book reads as a temporary failure, not a crash");
		if (e == ERR_OK)
			dns_dmarc_result_free(&res);
		dns_findings_clear(&f);
		dns_book_free(b);
	}
	fakezone_free(z);
}

int main(void)
{
	struct dns_orgdomain *od = dns_orgdomain_new();
	char *org = NULL;

	psl = od;
	tap_ok(dns_orgdomain_get(od, "Mail.Example.CO.UK.", &org) == ERR_OK &&
		   strcmp(org, "example.co.uk") == 0,
	       "PSL: mail.example.co.uk -> example.co.uk");
	free(org);
	tap_ok(dns_orgdomain_get(od, "a.b.x.test", &org) == ERR_OK && strcmp(org, "x.test") == 0,
	       "PSL: implicit * rule makes x.test an organizational domain");
	free(org);
	tap_ok(dns_orgdomain_get(od, "co.uk", &org) == ERR_OK && strcmp(org, "co.uk") == 0,
	       "PSL: a public suffix is its own organizational domain");
	free(org);
	tap_ok(dns_orgdomain_get(od, "", &org) == ERR_INVAL, "PSL: empty name refused");
	test_parse();
	test_clean();
	test_codes();
	test_inherited();
	test_walk();
	test_failures();
	{
		/* Without a shared PSL the check loads its own. */
		struct fakezone *z = fakezone_new();
		struct run r;

		psl = NULL;
		fakezone_add_txt(z, "_dmarc.own.test", "v=DMARC1; p=reject; rua=mailto:d@own.test");
		tap_ok(run(z, "own.test", 0, &r) == ERR_OK && has(&r, "DMARC_OK", SEV_OK, NULL),
		       "opts.psl NULL: works with its own list");
		done(&r);
		fakezone_free(z);
	}
	dns_orgdomain_free(od);
	return tap_done();
}
