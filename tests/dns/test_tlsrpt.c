/*
 * tests/dns/test_tlsrpt: TLS-RPT records (RFC 8460 3) and their check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/finding.h"
#include "dns/tlsrpt.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static void bad(const char *s, const char *needle, const char *name)
{
	struct dns_tlsrpt_record r;
	char why[256] = "";
	bool ok = dns_tlsrpt_parse(s, strlen(s), &r, why, sizeof why) == ERR_OK;

	if (ok)
		dns_tlsrpt_record_free(&r);
	tap_ok(!ok && (needle == NULL || strstr(why, needle) != NULL), "refused: %s (%s)", name,
	       why);
}

static void parse_tests(void)
{
	struct dns_tlsrpt_record r;
	char why[256];
	const char *good = "v=TLSRPTv1; rua=mailto:tls@example.test, https://r.example.test/v1;"
			   " ext=1";

	tap_ok(dns_tlsrpt_parse(good, strlen(good), &r, why, sizeof why) == ERR_OK &&
		   r.n_rua == 2 && strcmp(r.rua[1], "https://r.example.test/v1") == 0,
	       "two URIs, extension ignored");
	dns_tlsrpt_record_free(&r);
#define BAD(s, needle, name) bad(s, needle, name)
	BAD("v=TLSRPTv1;", "rua", "no rua");
	BAD("v=TLSRPTv1; rua=", "rua", "empty rua");
	BAD("v=TLSRPTv1; rua=ftp://x.test/", "mailto", "ftp URI");
	BAD("v=TLSRPTv1; rua=mailto:nobody", "mailto", "mailto without @");
	BAD("v=TLSRPTv1; rua=https:x", "https", "https without //");
	BAD("v=TLSRPTv1; rua=mailto:a@b.test,", NULL, "trailing comma");
	BAD("rua=mailto:a@b.test; v=TLSRPTv1", "v=TLSRPTv1", "v not first");
	BAD("v=TLSRPTv2; rua=mailto:a@b.test", "v=TLSRPTv1", "version 2");
	BAD("v=TLSRPTv1; rua=mailto:a@b.test; rua=mailto:c@d.test", "more than once",
	    "duplicate rua");
	BAD("v=TLSRPTv1; rua=mailto:caf\xc3\xa9@b.test", "offset", "8-bit bytes");
	tap_ok(dns_tlsrpt_parse("v=TLSRPTv1; rua=mailto:a@b\0.test", 32, &r, why, sizeof why) !=
		   ERR_OK,
	       "refused: NUL byte");
	{
		char *many = xmalloc(20 * 24 + 32);
		size_t n = (size_t)snprintf(many, 32, "v=TLSRPTv1; rua=");

		for (int i = 0; i < 20; i++)
			n += (size_t)snprintf(many + n, 24, "%smailto:a%d@b.test", i ? "," : "", i);
		tap_ok(dns_tlsrpt_parse(many, n, &r, why, sizeof why) != ERR_OK &&
			   strstr(why, "more than"),
		       "refused: 20 rua URIs (%s)", why);
		free(many);
	}
	{
		/* Hostile: 500 tags, 64 KB, NUL. */
		static const char nul[] = "v=TLSRPTv1; rua=mailto:a@b.test; x=a\0b";
		char *big = xmalloc(65536 + 64);
		size_t n = (size_t)snprintf(big, 64, "v=TLSRPTv1; rua=mailto:a@b.test;");
		struct dns_tlsrpt_record rr;

		for (int i = 0; i < 500; i++)
			n += (size_t)snprintf(big + n, 16, "x%d=1;", i);
		tap_ok(dns_tlsrpt_parse(big, n, &rr, why, sizeof why) == ERR_LIMIT,
		       "500 tags: ERR_LIMIT (%s)", why);
		n = (size_t)snprintf(big, 64, "v=TLSRPTv1; rua=mailto:a@b.test; pad=");
		memset(big + n, 'p', 65536 - n);
		tap_ok(dns_tlsrpt_parse(big, 65536, &rr, why, sizeof why) == ERR_OK,
		       "64 KB record: bounded parse");
		dns_tlsrpt_record_free(&rr);
		tap_ok(dns_tlsrpt_parse(nul, sizeof nul - 1, &rr, why, sizeof why) == ERR_PARSE &&
			   strstr(why, "\\x00"),
		       "NUL byte: refused (%s)", why);
		free(big);
	}
}

struct run {
	struct dns_book *book;
	const char *domain;
	const struct dns_mtasts_result *sts;
	struct dns_findings f;
	struct dns_tlsrpt_result res;
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;

	dns_findings_clear(&r->f);
	dns_tlsrpt_result_free(&r->res);
	return dns_tlsrpt_check(r->book, r->domain, r->sts, &r->f, &r->res);
}

static const struct dns_finding *run1(struct fakezone *z, const char *domain,
				      const struct dns_mtasts_result *sts, struct run *r)
{
	memset(r, 0, sizeof *r);
	r->book = dns_book_new(8);
	r->domain = domain;
	r->sts = sts;
	dns_findings_init(&r->f);
	if (fakezone_run(z, r->book, step, r) != ERR_OK || r->f.n != 1)
		return NULL;
	tap_diag("%s %s: %s | fix: %s", r->f.v[0].code, dns_sev_name(r->f.v[0].sev),
		 r->f.v[0].message, r->f.v[0].fix ? r->f.v[0].fix : "-");
	return strcmp(r->f.v[0].check, "tls-rpt") == 0 ? &r->f.v[0] : NULL;
}

static void done(struct run *r)
{
	dns_findings_clear(&r->f);
	dns_tlsrpt_result_free(&r->res);
	dns_book_free(r->book);
}

static bool is(const struct dns_finding *d, const char *code, enum dns_sev sev)
{
	return d != NULL && strcmp(d->code, code) == 0 && d->sev == sev;
}

int main(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_mtasts_result enforce = {.policy_valid = true,
					    .policy = {.mode = DNS_MTASTS_ENFORCE}};
	struct dns_mtasts_result testing = {.policy_valid = true,
					    .policy = {.mode = DNS_MTASTS_TESTING}};
	const struct dns_finding *d;
	struct run r;

	parse_tests();
	fakezone_add_txt(z, "_smtp._tls.ok.test", "v=TLSRPTv1; rua=mailto:tls@ok.test");
	fakezone_add_txt(z, "_smtp._tls.ok.test", "unrelated=1");
	fakezone_add_txt(z, "_smtp._tls.two.test", "v=TLSRPTv1; rua=mailto:a@two.test");
	fakezone_add_txt(z, "_smtp._tls.two.test", "v=TLSRPTv1; rua=mailto:b@two.test");
	fakezone_add_txt(z, "_smtp._tls.bad.test", "v=TLSRPTv1; rua=tls@bad.test");
	fakezone_set_timeout(z, "_smtp._tls.slow.test");

	d = run1(z, "ok.test", &enforce, &r);
	tap_ok(is(d, "TLSRPT_OK", SEV_OK) && r.res.published && r.res.rec.n_rua == 1,
	       "published: TLSRPT_OK alone, record kept");
	done(&r);
	d = run1(z, "none.test", NULL, &r);
	tap_ok(is(d, "TLSRPT_MISSING", SEV_INFO) && strstr(d->fix, "_smtp._tls.none.test. TXT"),
	       "missing without MTA-STS: TLSRPT_MISSING info with the record to publish");
	done(&r);
	d = run1(z, "none.test", &testing, &r);
	tap_ok(is(d, "TLSRPT_MISSING", SEV_INFO), "missing, MTA-STS testing: info");
	done(&r);
	d = run1(z, "none.test", &enforce, &r);
	tap_ok(is(d, "TLSRPT_MISSING", SEV_WARN) && strstr(d->message, "enforced"),
	       "missing, MTA-STS enforced: TLSRPT_MISSING warn");
	done(&r);
	d = run1(z, "two.test", NULL, &r);
	tap_ok(is(d, "TLSRPT_INVALID", SEV_WARN) && strstr(d->message, "2 TLS-RPT records"),
	       "two records: TLSRPT_INVALID warn");
	done(&r);
	d = run1(z, "bad.test", NULL, &r);
	tap_ok(is(d, "TLSRPT_INVALID", SEV_WARN) && strstr(d->message, "mailto:") &&
		   !r.res.published,
	       "bad rua: TLSRPT_INVALID warn naming the problem");
	done(&r);
	d = run1(z, "slow.test", &enforce, &r);
	tap_ok(is(d, "DNS_TEMPFAIL", SEV_UNKNOWN), "timeout: DNS_TEMPFAIL unknown");
	done(&r);
	fakezone_free(z);
	return tap_done();
}
