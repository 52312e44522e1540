/*
 * tests/dns/test_bimi: BIMI assertion records and their check, including
 * the DMARC strength BIMI needs and the fallback to the organizational
 * domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/bimi.h"
#include "dns/finding.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static void bad(const char *s, const char *needle, const char *name)
{
	struct dns_bimi_record r;
	char why[256] = "";
	bool ok = dns_bimi_parse(s, strlen(s), &r, why, sizeof why) == ERR_OK;

	if (ok)
		dns_bimi_record_free(&r);
	tap_ok(!ok && (needle == NULL || strstr(why, needle) != NULL), "refused: %s (%s)", name,
	       why);
}

static void parse_tests(void)
{
	struct dns_bimi_record r;
	char why[256];
	const char *full = "v=BIMI1; l=https://brand.test/logo.svg; a=https://brand.test/vmc.pem; "
			   "avp=brand; x=ignored";

	tap_ok(dns_bimi_parse(full, strlen(full), &r, why, sizeof why) == ERR_OK &&
		   strcmp(r.l, "https://brand.test/logo.svg") == 0 && r.a && r.avp == 'b' &&
		   !r.declined,
	       "full record parses (%s)", why);
	dns_bimi_record_free(&r);
	tap_ok(dns_bimi_parse("v=BIMI1; l=; a=;", 16, &r, why, sizeof why) == ERR_OK &&
		   r.declined && r.a == NULL,
	       "empty l= and a=: a declination");
	dns_bimi_record_free(&r);
	tap_ok(dns_bimi_parse("v=BIMI1; l=https://b.test/l.svg; a=self", 39, &r, why, sizeof why) ==
		       ERR_OK &&
		   r.a == NULL,
	       "a=self (early drafts) means no certificate");
	dns_bimi_record_free(&r);
#define BAD(s, needle, name) bad(s, needle, name)
	BAD("v=BIMI1; l=http://b.test/l.svg", "https", "http logo");
	BAD("v=BIMI1; l=https://b.test/l.svg; a=ftp://b.test/v.pem", "https", "ftp certificate");
	BAD("v=BIMI1; l=https://a.test/1.svg,https://b.test/2.svg", "one", "two logos");
	BAD("v=BIMI1; a=https://b.test/v.pem", "l=", "no l=");
	BAD("v=BIMI1; l=; a=https://b.test/v.pem", "a=", "certificate without logo");
	BAD("v=BIMI1; l=https://b.test/l.svg; avp=other", "avp", "bad avp");
	BAD("l=https://b.test/l.svg; v=BIMI1", "v=BIMI1", "v not first");
	BAD("v=BIMI2; l=https://b.test/l.svg", "v=BIMI1", "version 2");
	BAD("v=BIMI1; l=https://b.test/l\xc3\xa9.svg", "offset", "8-bit bytes");
	BAD("v=BIMI1; l=https://b.test/l.svg; l=https://b.test/m.svg", "more than once",
	    "duplicate l=");
	{
		/* Hostile: 500 tags, 64 KB, NUL. */
		static const char nul[] = "v=BIMI1; l=https://b.test/l.svg; x=a\0b";
		char *big = xmalloc(65536 + 64);
		size_t n = (size_t)snprintf(big, 64, "v=BIMI1; l=https://b.test/l.svg;");
		struct dns_bimi_record rr;

		for (int i = 0; i < 500; i++)
			n += (size_t)snprintf(big + n, 16, "x%d=1;", i);
		tap_ok(dns_bimi_parse(big, n, &rr, why, sizeof why) == ERR_LIMIT,
		       "500 tags: ERR_LIMIT (%s)", why);
		n = (size_t)snprintf(big, 64, "v=BIMI1; l=https://b.test/l.svg; pad=");
		memset(big + n, 'p', 65536 - n);
		tap_ok(dns_bimi_parse(big, 65536, &rr, why, sizeof why) == ERR_OK,
		       "64 KB record: bounded parse");
		dns_bimi_record_free(&rr);
		tap_ok(dns_bimi_parse(nul, sizeof nul - 1, &rr, why, sizeof why) == ERR_PARSE &&
			   strstr(why, "\\x00"),
		       "NUL byte: refused (%s)", why);
		free(big);
	}
}

struct run {
	struct dns_book *book;
	const char *domain;
	const struct dns_dmarc_result *dmarc;
	struct dns_findings f;
	struct dns_bimi_result res;
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;

	dns_findings_clear(&r->f);
	dns_bimi_result_free(&r->res);
	return dns_bimi_check(r->book, r->domain, r->dmarc, &r->f, &r->res);
}

static enum mp_err run(struct fakezone *z, const char *domain, const struct dns_dmarc_result *dm,
		       struct run *r)
{
	enum mp_err e;

	memset(r, 0, sizeof *r);
	r->book = dns_book_new(8);
	r->domain = domain;
	r->dmarc = dm;
	dns_findings_init(&r->f);
	e = fakezone_run(z, r->book, step, r);
	for (size_t i = 0; i < r->f.n; i++)
		tap_diag("%s %s: %s | fix: %s", r->f.v[i].code, dns_sev_name(r->f.v[i].sev),
			 r->f.v[i].message, r->f.v[i].fix ? r->f.v[i].fix : "-");
	return e;
}

static void done(struct run *r)
{
	dns_findings_clear(&r->f);
	dns_bimi_result_free(&r->res);
	dns_book_free(r->book);
}

static const struct dns_finding *get(const struct run *r, const char *code)
{
	return dns_findings_get(&r->f, "bimi", code);
}

static bool only(const struct run *r, const char *code, enum dns_sev sev)
{
	const struct dns_finding *d = get(r, code);

	return d != NULL && d->sev == sev && r->f.n == 1;
}

int main(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_dmarc_result strong = {
	    .found = true, .applied = DNS_DMARC_P_REJECT, .org_psl = (char *)"brand.test"};
	struct dns_dmarc_result sub = strong, weak = strong, pct = strong, spnone = strong;
	struct dns_dmarc_result missing = {.org_psl = (char *)"brand.test"};
	struct dns_dmarc_result failed = {.dns_failed = true};
	struct run r;

	parse_tests();
	sub.org_psl = (char *)"org.test";
	weak.applied = DNS_DMARC_P_NONE;
	pct.rec.has_pct = true;
	pct.rec.pct = 50;
	spnone.rec.sp = DNS_DMARC_P_NONE;
	fakezone_add_txt(z, "default._bimi.brand.test",
			 "v=BIMI1; l=https://brand.test/logo.svg; a=https://brand.test/vmc.pem");
	fakezone_add_txt(z, "default._bimi.novmc.test", "v=BIMI1; l=https://novmc.test/l.svg");
	fakezone_add_txt(z, "default._bimi.org.test", "v=BIMI1; l=https://org.test/l.svg");
	fakezone_add_txt(z, "default._bimi.no.test", "v=BIMI1; l=; a=");
	fakezone_add_txt(z, "default._bimi.bad.test", "v=BIMI1; l=http://bad.test/l.svg");
	fakezone_add_txt(z, "default._bimi.two.test", "v=BIMI1; l=https://two.test/a.svg");
	fakezone_add_txt(z, "default._bimi.two.test", "v=BIMI1; l=https://two.test/b.svg");
	fakezone_set_timeout(z, "default._bimi.slow.test");

	tap_ok(run(z, "brand.test", &strong, &r) == ERR_OK && only(&r, "BIMI_OK", SEV_OK) &&
		   r.res.published && strcmp(r.res.record_domain, "brand.test") == 0,
	       "logo with certificate and DMARC reject: BIMI_OK alone");
	done(&r);
	tap_ok(run(z, "novmc.test", NULL, &r) == ERR_OK && only(&r, "BIMI_OK", SEV_OK) &&
		   strstr(get(&r, "BIMI_OK")->message, "without a mark certificate"),
	       "no a=: BIMI_OK says Gmail/Apple need a certificate");
	done(&r);
	tap_ok(run(z, "mail.org.test", &sub, &r) == ERR_OK && only(&r, "BIMI_OK", SEV_OK) &&
		   strcmp(r.res.record_domain, "org.test") == 0,
	       "no record at the subdomain: found at the organizational domain");
	done(&r);
	tap_ok(run(z, "mail.org.test", NULL, &r) == ERR_OK && only(&r, "BIMI_MISSING", SEV_INFO),
	       "without the DMARC result there is no fallback");
	done(&r);
	tap_ok(run(z, "none.test", NULL, &r) == ERR_OK && only(&r, "BIMI_MISSING", SEV_INFO) &&
		   strstr(get(&r, "BIMI_MISSING")->fix, "default._bimi.none.test. TXT"),
	       "no record: BIMI_MISSING info with the record to publish");
	done(&r);
	tap_ok(run(z, "no.test", &weak, &r) == ERR_OK && only(&r, "BIMI_DECLINED", SEV_INFO),
	       "declination: BIMI_DECLINED info, DMARC not judged");
	done(&r);
	tap_ok(run(z, "bad.test", NULL, &r) == ERR_OK && only(&r, "BIMI_INVALID", SEV_WARN) &&
		   strstr(get(&r, "BIMI_INVALID")->message, "https"),
	       "http logo: BIMI_INVALID warn");
	done(&r);
	tap_ok(run(z, "two.test", NULL, &r) == ERR_OK && only(&r, "BIMI_INVALID", SEV_WARN),
	       "two records: BIMI_INVALID warn");
	done(&r);
	tap_ok(run(z, "brand.test", &weak, &r) == ERR_OK && get(&r, "BIMI_DMARC_TOO_WEAK") &&
		   get(&r, "BIMI_DMARC_TOO_WEAK")->sev == SEV_WARN && !get(&r, "BIMI_OK"),
	       "DMARC p=none: BIMI_DMARC_TOO_WEAK warn, no BIMI_OK");
	done(&r);
	tap_ok(run(z, "brand.test", &pct, &r) == ERR_OK && get(&r, "BIMI_DMARC_TOO_WEAK") &&
		   strstr(get(&r, "BIMI_DMARC_TOO_WEAK")->message, "pct"),
	       "DMARC pct=50: too weak");
	done(&r);
	tap_ok(run(z, "brand.test", &spnone, &r) == ERR_OK && get(&r, "BIMI_DMARC_TOO_WEAK") &&
		   strstr(get(&r, "BIMI_DMARC_TOO_WEAK")->message, "sp=none"),
	       "DMARC sp=none: too weak");
	done(&r);
	tap_ok(run(z, "brand.test", &missing, &r) == ERR_OK && get(&r, "BIMI_DMARC_TOO_WEAK") &&
		   strstr(get(&r, "BIMI_DMARC_TOO_WEAK")->message, "no DMARC"),
	       "no DMARC at all: too weak");
	done(&r);
	tap_ok(run(z, "brand.test", &failed, &r) == ERR_OK && only(&r, "BIMI_OK", SEV_OK),
	       "DMARC lookup failed: not judged (the DMARC check reports the failure)");
	done(&r);
	tap_ok(run(z, "slow.test", &strong, &r) == ERR_OK && only(&r, "DNS_TEMPFAIL", SEV_UNKNOWN),
	       "timeout: DNS_TEMPFAIL unknown");
	done(&r);
	fakezone_free(z);
	return tap_done();
}
