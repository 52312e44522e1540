/*
 * tests/dns/test_posture: the composition of every posture check over a fake
 * zone: ordering (MTA-STS after MX, TLS-RPT after MTA-STS, BIMI after
 * DMARC), the MTA-STS fetch hand-off, aborting, and the accessors.  The
 * individual checks have their own tests; this one tests the glue.
 */
#include <stdio.h>
#include <string.h>
#include "dns/posture.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

struct canned {
	enum mp_err err;
	long status;
	const char *body;
	int fetches;
	char url[256];
};

/* Drive a posture to completion like dns/runner does, with a canned fetch. */
static enum mp_err drive(struct fakezone *z, struct dns_posture *p, struct canned *c)
{
	for (int i = 0; i < 50; i++) {
		const char *url, *addr;

		if (dns_posture_step(p) == ERR_OK)
			return ERR_OK;
		if (dns_posture_fetch_needed(p, &url, &addr)) {
			c->fetches++;
			snprintf(c->url, sizeof c->url, "%s", url);
			dns_posture_fetch_done(p, c->err, c->status, "text/plain", c->body,
					       c->body ? strlen(c->body) : 0, "connection refused");
		}
		fakezone_answer(z, dns_posture_book(p));
	}
	return ERR_AGAIN;
}

static void zone_good(struct fakezone *z)
{
	fakezone_add_txt(z, "ok.test", "v=spf1 ip4:192.0.2.0/24 -all");
	fakezone_add_mx(z, "ok.test", 10, "mx.ok.test");
	fakezone_add_addr(z, "mx.ok.test", "192.0.2.25");
	fakezone_add_txt(z, "_dmarc.ok.test", "v=DMARC1; p=reject; rua=mailto:d@ok.test");
	fakezone_add_txt(z, "_mta-sts.ok.test", "v=STSv1; id=1");
	fakezone_add_addr(z, "mta-sts.ok.test", "192.0.2.80");
	fakezone_add_txt(z, "_smtp._tls.ok.test", "v=TLSRPTv1; rua=mailto:t@ok.test");
	fakezone_add_txt(z, "sel._domainkey.ok.test",
			 "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

static const char *policy_ok =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.ok.test\r\nmax_age: 86400\r\n";
static const char *policy_bad = "version: STSv1\nmode: enforce\nmx: other.test\nmax_age: 86400\n";

static struct dns_posture *make(const char *domain)
{
	static const char *const sels[] = {"sel"};
	struct dns_posture_opts o = {.selectors = sels, .n_selectors = 1, .no_discovery = true};

	return dns_posture_new(domain, &o);
}

int main(void)
{
	struct fakezone *z = fakezone_new();
	struct canned c = {.err = ERR_OK, .status = 200, .body = policy_ok};
	struct dns_posture *p;
	const struct dns_findings *f;

	zone_good(z);
	p = make("ok.test");
	tap_ok(drive(z, p, &c) == ERR_OK, "good domain completes");
	f = dns_posture_findings(p);
	tap_is_int(c.fetches, 1, "the MTA-STS policy is fetched exactly once");
	tap_is_str(c.url, "https://mta-sts.ok.test/.well-known/mta-sts.txt", "policy URL");
	tap_ok(dns_findings_worst(f) == SEV_OK || dns_findings_worst(f) == SEV_INFO,
	       "good domain: nothing worse than info");
	tap_ok(dns_findings_has(f, "SPF_OK") && dns_findings_has(f, "DKIM_OK") &&
		   dns_findings_has(f, "DMARC_OK") && dns_findings_has(f, "MX_OK") &&
		   dns_findings_has(f, "MTASTS_OK") && dns_findings_has(f, "TLSRPT_OK"),
	       "every check reports ok");
	tap_ok(strcmp(f->v[0].check, "spf") == 0, "findings in fixed order: spf first");
	tap_is_int(dns_posture_spf_lookups(p), 0, "spf lookups exposed");
	tap_is_int(dns_posture_dkim_keys(p), 1, "one DKIM key");
	tap_ok(dns_posture_spf_tree(p) != NULL, "SPF tree kept for display");
	tap_ok(dns_posture_step(p) == ERR_OK, "stepping a complete posture is a no-op");
	dns_posture_free(p);

	/* The same domain whose policy does not cover its MX. */
	c = (struct canned){.err = ERR_OK, .status = 200, .body = policy_bad};
	p = make("ok.test");
	tap_ok(drive(z, p, &c) == ERR_OK, "uncovered MX completes");
	tap_ok(dns_findings_has(dns_posture_findings(p), "MTASTS_MX_NOT_COVERED"),
	       "fetched policy reaches the MTA-STS check");
	dns_posture_free(p);

	/* The fetch fails: unreachable, and the failure text is kept. */
	c = (struct canned){.err = ERR_NET, .status = 0, .body = NULL};
	p = make("ok.test");
	tap_ok(drive(z, p, &c) == ERR_OK, "failed fetch completes");
	f = dns_posture_findings(p);
	tap_ok(dns_findings_has(f, "MTASTS_POLICY_UNREACHABLE"),
	       "failed fetch: policy unreachable");
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].code, "MTASTS_POLICY_UNREACHABLE") == 0)
			tap_ok(strstr(f->v[i].message, "connection refused") != NULL,
			       "the transport error is in the message");
	dns_posture_free(p);

	/* Aborting: every unfinished check becomes unknown, none critical. */
	p = make("ok.test");
	tap_ok(dns_posture_step(p) == ERR_AGAIN, "first step waits for DNS");
	dns_posture_abort(p, "test abort");
	f = dns_posture_findings(p);
	tap_ok(dns_findings_has(f, "CHECK_INCOMPLETE"), "abort gives CHECK_INCOMPLETE");
	tap_ok(dns_findings_worst(f) == SEV_UNKNOWN, "abort is unknown, never critical");
	tap_ok(dns_posture_step(p) == ERR_OK, "an aborted posture is complete");
	tap_is_int(dns_posture_spf_lookups(p), -1, "unknown SPF lookups are -1");
	dns_posture_free(p);

	/* A timeout everywhere: unknown, never critical (DESIGN.md 5). */
	/* Every name the checks ask about slow.test times out. */
	static const char *const slow[] = {
	    "slow.test",	  "_dmarc.slow.test",	  "sel._domainkey.slow.test",
	    "_mta-sts.slow.test", "_smtp._tls.slow.test", "default._bimi.slow.test"};
	for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++)
		fakezone_set_timeout(z, slow[i]);
	p = make("slow.test");
	c = (struct canned){.err = ERR_OK, .status = 200, .body = policy_ok};
	tap_ok(drive(z, p, &c) == ERR_OK, "timeouts complete");
	f = dns_posture_findings(p);
	tap_ok(dns_findings_has(f, "DNS_TEMPFAIL"), "timeouts give DNS_TEMPFAIL");
	tap_ok(dns_findings_worst(f) != SEV_CRITICAL, "timeouts are never critical");
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].sev == SEV_CRITICAL)
			tap_diag("critical: %s %s", f->v[i].code, f->v[i].message);
	dns_posture_free(p);
	fakezone_free(z);
	return tap_done();
}
