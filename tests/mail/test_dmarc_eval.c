/*
 * tests/mail/test_dmarc_eval: DMARC evaluation of SPF/DKIM outcomes over a
 * fake zone (alignment relaxed and strict, p/sp/np, pct, none, temperror,
 * permerror) and the RFC 7489 6.6.1/6.6.2 From domain rules.
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "mail/dmarc_eval.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

struct run {
	struct dns_book *book;
	struct mail_dmarc_in in;
	struct mail_dmarc_out out;
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;

	return mail_dmarc_eval_run(r->book, &r->in, &r->out);
}

static const struct dns_orgdomain *psl;

/* Evaluate from with SPF (domain, result) and the passing DKIM d= list (NULL-terminated). */
static struct mail_dmarc_out *eval(struct fakezone *z, struct run *r, const char *from,
				   const char *spf_domain, const char *spf_result,
				   const char *const *dkim)
{
	memset(r, 0, sizeof *r);
	r->book = dns_book_new(256);
	r->in.from_domain = from;
	r->in.spf_domain = spf_domain;
	r->in.spf_result = spf_result;
	r->in.psl = psl;
	r->in.dkim_pass = dkim;
	while (dkim && dkim[r->in.n_dkim_pass])
		r->in.n_dkim_pass++;
	r->in.n_dkim_sigs = r->in.n_dkim_pass;
	if (fakezone_run(z, r->book, step, r) != ERR_OK)
		fatal("evaluation did not complete");
	return &r->out;
}

static void done(struct run *r)
{
	mail_dmarc_eval_free(&r->out);
	dns_book_free(r->book);
}

static bool has(const char *s, const char *sub)
{
	return s != NULL && strstr(s, sub) != NULL;
}

static struct fakezone *zone(void)
{
	struct fakezone *z = fakezone_new();

	fakezone_add_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject");
	fakezone_add_addr(z, "example.com", "192.0.2.1");
	fakezone_add_addr(z, "news.example.com", "192.0.2.2");
	fakezone_add_txt(z, "_dmarc.strict.example", "v=DMARC1; p=quarantine; aspf=s; adkim=s");
	fakezone_add_txt(z, "_dmarc.half.example", "v=DMARC1; p=reject; pct=50");
	fakezone_add_txt(z, "_dmarc.nop.example", "v=DMARC1; rua=mailto:r@nop.example");
	fakezone_add_txt(z, "_dmarc.bad.example", "v=DMARC1; p=bogus");
	fakezone_add_txt(z, "_dmarc.two.example", "v=DMARC1; p=none");
	fakezone_add_txt(z, "_dmarc.two.example", "v=DMARC1; p=reject");
	fakezone_set_timeout(z, "_dmarc.slow.example");
	fakezone_add_txt(z, "_dmarc.example.co.uk", "v=DMARC1; p=reject");
	return z;
}

static void test_alignment(void)
{
	struct fakezone *z = zone();
	struct run r;
	struct mail_dmarc_out *o;
	static const char *const dk_own[] = {"example.com", NULL};
	static const char *const dk_sub[] = {"mail.example.com", NULL};
	static const char *const dk_esp[] = {"esp.example.net", NULL};

	o = eval(z, &r, "example.com", "bounce.example.com", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PASS && o->spf_aligned && !o->dkim_aligned,
	       "relaxed: SPF pass for a subdomain of the org domain aligns (%s)", o->reason);
	tap_ok(has(o->reason, "SPF passed for bounce.example.com, which is aligned"),
	       "pass reason: %s", o->reason);
	tap_ok(o->policy == DNS_DMARC_P_REJECT && strcmp(o->policy_tag, "p") == 0 &&
		   has(o->record_domain, "example.com"),
	       "p=reject applies to the domain itself");
	done(&r);
	o = eval(z, &r, "example.com", "esp.example.net", "pass", dk_sub);
	tap_ok(o->res == MAIL_DMARC_PASS && !o->spf_aligned && o->dkim_aligned &&
		   has(o->aligned_dkim_domain, "mail.example.com"),
	       "relaxed: DKIM d=mail.example.com aligns (SPF for the ESP does not)");
	tap_ok(has(o->reason, "DKIM signature by mail.example.com passed"), "reason: %s",
	       o->reason);
	done(&r);
	o = eval(z, &r, "example.com", "esp.example.net", "pass", dk_esp);
	tap_ok(o->res == MAIL_DMARC_FAIL && !o->spf_aligned && !o->dkim_aligned,
	       "misaligned: SPF and DKIM pass for the ESP only: fail");
	tap_ok(has(o->reason, "SPF passed for esp.example.net, which is not aligned with "
			      "example.com") &&
		   has(o->reason, "no DKIM signature by example.com") && has(o->reason, "p=reject"),
	       "fail reason in plain words: %s", o->reason);
	done(&r);
	o = eval(z, &r, "example.com", "example.com", "softfail", dk_own);
	tap_ok(o->res == MAIL_DMARC_PASS && !o->spf_aligned && o->dkim_aligned,
	       "SPF softfail does not align, DKIM does");
	done(&r);
	o = eval(z, &r, "example.com", "example.com", "fail", NULL);
	tap_ok(o->res == MAIL_DMARC_FAIL && has(o->reason, "SPF fail for example.com"),
	       "SPF fail, no DKIM: fail (%s)", o->reason);
	done(&r);
	fakezone_free(z);
}

static void test_strict(void)
{
	struct fakezone *z = zone();
	struct run r;
	struct mail_dmarc_out *o;
	static const char *const dk_strict[] = {"mail.strict.example", NULL};
	static const char *const dk_strict_ok[] = {"esp.example.net", "strict.example", NULL};

	o = eval(z, &r, "strict.example", "mail.strict.example", "pass", dk_strict);
	tap_ok(o->res == MAIL_DMARC_FAIL && o->aspf == 's' && o->adkim == 's',
	       "strict: subdomain SPF and DKIM do not align");
	tap_ok(has(o->reason, "aspf=s") && has(o->reason, "adkim=s"), "strict named: %s",
	       o->reason);
	tap_ok(o->policy == DNS_DMARC_P_QUARANTINE, "strict domain: p=quarantine");
	done(&r);
	o = eval(z, &r, "strict.example", "strict.example", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PASS && o->spf_aligned, "strict: exact SPF domain aligns");
	done(&r);
	o = eval(z, &r, "Strict.Example", "mail.strict.example", "pass", dk_strict_ok);
	tap_ok(o->res == MAIL_DMARC_PASS && o->dkim_aligned &&
		   has(o->aligned_dkim_domain, "strict.example"),
	       "strict: the second signature's exact d= aligns");
	done(&r);
	/* Public suffixes: relaxed alignment is by organizational domain, not by suffix. */
	o = eval(z, &r, "example.co.uk", "other.co.uk", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_FAIL && !o->spf_aligned,
	       "other.co.uk does not align with example.co.uk");
	done(&r);
	o = eval(z, &r, "example.co.uk", "bounce.example.co.uk", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PASS && has(o->org_domain, "example.co.uk"),
	       "bounce.example.co.uk aligns with example.co.uk");
	done(&r);
	fakezone_free(z);
}

static void test_policy(void)
{
	struct fakezone *z = zone();
	struct run r;
	struct mail_dmarc_out *o;

	o = eval(z, &r, "news.example.com", "esp.example.net", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_FAIL && o->policy == DNS_DMARC_P_QUARANTINE &&
		   strcmp(o->policy_tag, "sp") == 0 && !o->nonexistent,
	       "existing subdomain: sp=quarantine applies");
	tap_ok(has(o->record_domain, "example.com") && has(o->reason, "sp=quarantine"),
	       "inherited from the org domain: %s", o->reason);
	done(&r);
	o = eval(z, &r, "ghost.example.com", "esp.example.net", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_FAIL && o->policy == DNS_DMARC_P_REJECT &&
		   strcmp(o->policy_tag, "np") == 0 && o->nonexistent,
	       "NXDOMAIN subdomain: np=reject applies (RFC 9989)");
	tap_ok(has(o->reason, "does not exist"), "np reason: %s", o->reason);
	done(&r);
	o = eval(z, &r, "ghost.example.com", "ghost.example.com", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PASS && strcmp(o->policy_tag, "np") == 0,
	       "np is reported on pass too");
	done(&r);
	o = eval(z, &r, "half.example", "x.example.net", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_FAIL && o->pct == 50 && has(o->reason, "pct"),
	       "pct=50 reported (%s)", o->reason);
	done(&r);
	o = eval(z, &r, "nop.example", "nop.example", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PASS && o->policy == DNS_DMARC_P_NONE,
	       "a record without p= is p=none (RFC 7489 6.6.3)");
	done(&r);
	o = eval(z, &r, "nothing.example", "nothing.example", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_NONE && o->policy == DNS_DMARC_P_UNSET && o->spf_aligned &&
		   has(o->reason, "no DMARC policy"),
	       "no record: none, alignment still shown (%s)", o->reason);
	done(&r);
	o = eval(z, &r, "slow.example", "slow.example", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_TEMPERROR && has(o->reason, "temporarily"),
	       "timeout on _dmarc: temperror (%s)", o->reason);
	done(&r);
	o = eval(z, &r, "bad.example", "bad.example", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PERMERROR && has(o->reason, "invalid"),
	       "invalid record: permerror (%s)", o->reason);
	done(&r);
	o = eval(z, &r, "two.example", "two.example", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PERMERROR && has(o->reason, "2 DMARC records"),
	       "two records: permerror (%s)", o->reason);
	done(&r);
	o = eval(z, &r, "", "example.com", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PERMERROR && dns_book_count(r.book) == 0,
	       "no From domain: permerror without a DNS question");
	done(&r);
	o = eval(z, &r, "bad..name", "example.com", "pass", NULL);
	tap_ok(o->res == MAIL_DMARC_PERMERROR, "unusable From domain: permerror (%s)", o->reason);
	done(&r);
	fakezone_free(z);
}

static void from_case(const char *const *vals, size_t n, const char *want, const char *why_has,
		      const char *name)
{
	char *d = NULL, why[160] = "";
	enum mp_err e = mail_dmarc_eval_from(vals, n, &d, why, sizeof why);

	if (want != NULL)
		tap_ok(e == ERR_OK && d != NULL && strcmp(d, want) == 0, "%s: %s", name,
		       d ? d : why);
	else
		tap_ok(e == ERR_PARSE && strstr(why, why_has) != NULL, "%s: %s", name, why);
	free(d);
}

static void test_from(void)
{
	static const char *const one[] = {"\"Example Billing\" <billing@Example.COM>"};
	static const char *const bare[] = {"billing@example.com."};
	static const char *const idn[] = {"=?utf-8?q?B=C3=BCcher?= <info@bücher.example>"};
	static const char *const two_fields[] = {"a@example.com", "b@example.net"};
	static const char *const two_addrs[] = {"a@example.com, b@example.net"};
	static const char *const group[] = {"team: a@example.com, b@example.com;"};
	static const char *const nodomain[] = {"undisclosed"};
	static const char *const literal[] = {"a@[192.0.2.1]"};
	static const char *const empty[] = {""};

	from_case(one, 1, "example.com", NULL, "display name, mixed case");
	from_case(bare, 1, "example.com", NULL, "bare address, trailing dot");
	from_case(idn, 1, "xn--bcher-kva.example", NULL, "IDN domain as A-label");
	from_case(NULL, 0, NULL, "no From", "no From field");
	from_case(two_fields, 2, NULL, "several From header fields", "two From fields");
	from_case(two_addrs, 1, NULL, "several addresses", "two addresses");
	from_case(group, 1, NULL, "several addresses", "group of two");
	from_case(nodomain, 1, NULL, "", "no domain");
	from_case(literal, 1, NULL, "usable domain", "address literal");
	from_case(empty, 1, NULL, "", "empty From");
}

static void test_aligned(void)
{
	tap_ok(mail_dmarc_eval_aligned(psl, "a.example.com", "b.example.com", 'r'),
	       "relaxed: siblings align");
	tap_ok(!mail_dmarc_eval_aligned(psl, "a.example.com", "b.example.com", 's'),
	       "strict: siblings do not");
	tap_ok(mail_dmarc_eval_aligned(psl, "EXAMPLE.com.", "example.COM", 's'),
	       "strict: case and trailing dot ignored");
	tap_ok(!mail_dmarc_eval_aligned(psl, "example.com", "badexample.com", 'r'),
	       "relaxed: no suffix match across labels");
	tap_ok(!mail_dmarc_eval_aligned(psl, "", "example.com", 'r') &&
		   !mail_dmarc_eval_aligned(psl, NULL, "example.com", 'r'),
	       "empty or missing domain never aligns");
	tap_ok(!mail_dmarc_eval_aligned(psl, "a.github.io", "b.github.io", 'r'),
	       "private PSL section: a.github.io and b.github.io are different organizations");
	tap_is_str(mail_dmarc_res_name(MAIL_DMARC_TEMPERROR), "temperror", "result names");
}

int main(void)
{
	struct dns_orgdomain *od = dns_orgdomain_new();

	psl = od;
	test_aligned();
	test_alignment();
	test_strict();
	test_policy();
	test_from();
	dns_orgdomain_free(od);
	return tap_done();
}
