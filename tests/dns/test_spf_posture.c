/*
 * tests/dns/test_spf_posture: every SPF posture finding code, triggered by
 * a fake zone, with its severity and the essentials of message and fix.
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_posture.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

struct run {
	struct dns_book *book;
	const char *domain;
	struct dns_findings f;
};

static enum mp_err run_posture(void *arg)
{
	struct run *r = arg;

	return dns_spf_posture(r->book, r->domain, &r->f, NULL);
}

static struct fakezone *zone;
static struct run last;

/* Check a domain; the findings stay in `last` until the next call. */
static const struct dns_findings *posture(const char *domain)
{
	dns_findings_clear(&last.f);
	dns_book_free(last.book);
	last.book = dns_book_new(512);
	last.domain = domain;
	if (fakezone_run(zone, last.book, run_posture, &last) != ERR_OK)
		fatal("posture did not complete");
	return &last.f;
}

static const struct dns_finding *find(const struct dns_findings *f, const char *code)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].code, code) == 0)
			return &f->v[i];
	return NULL;
}

static void show(const struct dns_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		tap_diag("  %s %s: %s | fix: %s", f->v[i].code, dns_sev_name(f->v[i].sev),
			 f->v[i].message, f->v[i].fix ? f->v[i].fix : "-");
}

/* Expect code with severity in the findings of domain; fix_has may be NULL. */
static const struct dns_finding *expect(const char *domain, const char *code, enum dns_sev sev,
					const char *fix_has)
{
	const struct dns_findings *f = posture(domain);
	const struct dns_finding *d = find(f, code);
	bool ok = d != NULL && d->sev == sev && strcmp(d->check, "spf") == 0 &&
		  (fix_has == NULL || (d->fix && strstr(d->fix, fix_has)));

	if (!tap_ok(ok, "%s: %s (%s)", domain, code, dns_sev_name(sev)))
		show(f);
	return d;
}

static void setup(void)
{
	zone = fakezone_new();
	fakezone_add_mx(zone, "nospf-mx.example.test", 10, "mx.example.test");
	fakezone_add_txt(zone, "nospf-mx.example.test", "some other text");
	fakezone_add_name(zone, "nospf.example.test");
	fakezone_add_txt(zone, "multi.example.test", "v=spf1 -all");
	fakezone_add_txt(zone, "multi.example.test", "v=spf1 mx -all");
	fakezone_add_txt(zone, "syntax.example.test", "v=spf1 ip4:192.0.2.300 -all");
	fakezone_add_txt(zone, "incsyntax.example.test", "v=spf1 include:syntax.example.test -all");
	fakezone_add_txt(zone, "passall.example.test", "v=spf1 mx +all");
	fakezone_add_txt(zone, "neutral.example.test", "v=spf1 ip4:192.0.2.1 ?all");
	fakezone_add_txt(zone, "noall.example.test", "v=spf1 ip4:192.0.2.1");
	fakezone_add_txt(zone, "red.example.test", "v=spf1 redirect=neutral.example.test");
	fakezone_add_txt(zone, "ptr.example.test", "v=spf1 ptr -all");
	fakezone_add_txt(zone, "incnone.example.test", "v=spf1 include:nospf.example.test -all");
	fakezone_add_txt(zone, "rednone.example.test", "v=spf1 redirect=gone.example.test");
	fakezone_add_txt(zone, "ok.example.test",
			 "v=spf1 ip4:192.0.2.0/24 include:esp.example.test -all");
	fakezone_add_txt(zone, "esp.example.test", "v=spf1 ip4:198.51.100.0/24 ~all");
	fakezone_add_txt(zone, "incpass.example.test", "v=spf1 include:open.example.test -all");
	fakezone_add_txt(zone, "incneutral.example.test", "v=spf1 ?include:open.example.test -all");
	fakezone_add_txt(zone, "open.example.test", "v=spf1 +all");
	fakezone_set_timeout(zone, "slow.example.test");
	fakezone_add_txt(zone, "incslow.example.test", "v=spf1 include:slow.example.test -all");
	fakezone_add_txt(zone, "loop.example.test", "v=spf1 include:loop2.example.test -all");
	fakezone_add_txt(zone, "loop2.example.test", "v=spf1 include:loop.example.test");
	fakezone_add_txt(zone, "voidwarn.example.test",
			 "v=spf1 ip4:192.0.2.1 a:n1.example.test a:n2.example.test "
			 "exists:n3.example.test -all");
	fakezone_add_txt(zone, "voidcrit.example.test",
			 "v=spf1 a:n1.example.test a:n2.example.test mx:n3.example.test "
			 "ip4:192.0.2.1 -all");
}

/* 3 nested includes of 3 a: terms, plus one more include: 13 lookups. */
static void setup_heavy(void)
{
	static const char *const level[] = {"h1", "h2", "h3"};
	char name[64], rec[256];

	fakezone_add_txt(zone, "heavy.example.test",
			 "v=spf1 include:h1.example.test include:esp.example.test -all");
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "%s.example.test", level[i]);
		snprintf(rec, sizeof rec, "v=spf1 a:a.%s a:b.%s a:c.%s%s%s", name, name, name,
			 i < 2 ? " include:" : "", i < 2 ? "" : "");
		if (i < 2) {
			size_t l = strlen(rec);

			snprintf(rec + l, sizeof rec - l, "%s.example.test", level[i + 1]);
		}
		fakezone_add_txt(zone, name, rec);
		for (int k = 0; k < 3; k++) {
			char host[80];

			snprintf(host, sizeof host, "%c.%s", 'a' + k, name);
			fakezone_add_addr(zone, host, "198.51.100.2");
		}
	}
}

static void test_codes(void)
{
	const struct dns_finding *d;

	d = expect("nospf-mx.example.test", "SPF_MISSING", SEV_CRITICAL, "\"v=spf1 mx -all\"");
	tap_ok(last.f.n == 1, "a missing record is the only finding");
	expect("nospf.example.test", "SPF_MISSING", SEV_CRITICAL, "\"v=spf1 -all\"");
	expect("nothere.example.test", "SPF_MISSING", SEV_CRITICAL, NULL);
	d = expect("multi.example.test", "SPF_MULTIPLE", SEV_CRITICAL, "Merge");
	tap_ok(d && d->evidence && strstr(d->evidence, "v=spf1 -all\nv=spf1 mx -all"),
	       "evidence lists both records");
	d = expect("syntax.example.test", "SPF_SYNTAX", SEV_CRITICAL, NULL);
	tap_ok(d && strstr(d->message, "ip4:192.0.2.300") && d->evidence &&
		   strcmp(d->evidence, "v=spf1 ip4:192.0.2.300 -all") == 0,
	       "syntax message names the term, evidence is the record");
	d = expect("incsyntax.example.test", "SPF_SYNTAX", SEV_CRITICAL, "include:syntax");
	d = expect("passall.example.test", "SPF_PASS_ALL", SEV_CRITICAL, "\"v=spf1 mx -all\"");
	expect("incpass.example.test", "SPF_PASS_ALL", SEV_CRITICAL, "Remove include:open");
	posture("incneutral.example.test");
	tap_ok(find(&last.f, "SPF_PASS_ALL") == NULL, "+all behind ?include is not a pass for all");
	expect("neutral.example.test", "SPF_NEUTRAL_ALL", SEV_WARN,
	       "\"v=spf1 ip4:192.0.2.1 -all\"");
	d = expect("red.example.test", "SPF_NEUTRAL_ALL", SEV_WARN, NULL);
	tap_ok(d && strstr(d->message, "neutral.example.test"), "?all found through redirect");
	expect("noall.example.test", "SPF_NO_ALL", SEV_WARN, "\"v=spf1 ip4:192.0.2.1 -all\"");
	expect("ptr.example.test", "SPF_PTR", SEV_WARN, "ip4:");
	expect("incnone.example.test", "SPF_INCLUDE_NO_SPF", SEV_CRITICAL,
	       "Remove include:nospf.example.test");
	d = expect("rednone.example.test", "SPF_INCLUDE_NO_SPF", SEV_CRITICAL, "redirect=");
	tap_ok(d && strstr(d->message, "does not exist"), "redirect target that does not exist");
	d = expect("incslow.example.test", "DNS_TEMPFAIL", SEV_UNKNOWN, NULL);
	tap_ok(dns_findings_worst(&last.f) != SEV_CRITICAL, "a timeout is never critical");
	expect("slow.example.test", "DNS_TEMPFAIL", SEV_UNKNOWN, NULL);
	tap_ok(last.f.n == 1, "a record we cannot read gives only DNS_TEMPFAIL");
	d = expect("loop.example.test", "SPF_TOO_MANY_LOOKUPS", SEV_CRITICAL, "points back");
	tap_ok(d && strstr(d->message, "loops"), "loop reported: %s", d ? d->message : "-");
	d = expect("heavy.example.test", "SPF_TOO_MANY_LOOKUPS", SEV_CRITICAL, "flattening");
	tap_ok(d && strstr(d->message, "13 DNS lookups") &&
		   strstr(d->message, "include:h1.example.test (12 lookups)"),
	       "message gives the total and the costliest include");
	expect("voidwarn.example.test", "SPF_TOO_MANY_VOID_LOOKUPS", SEV_WARN, "a:n1.example.test");
	expect("voidcrit.example.test", "SPF_TOO_MANY_VOID_LOOKUPS", SEV_CRITICAL, NULL);
	d = expect("ok.example.test", "SPF_OK", SEV_OK, NULL);
	tap_ok(d && strstr(d->message, "1 of 10") && last.f.n == 1, "SPF_OK alone, with the count");
}

/* Hostile records are syntax errors with bounded evidence. */
static void test_hostile(void)
{
	static const char nul[] = "v=spf1 ip4:192.0.2.1\0 -all";
	size_t big = 65536;
	char *txt = xmalloc(big);
	const struct dns_finding *d;

	memcpy(txt, "v=spf1 ", 7);
	for (size_t i = 7; i < big; i++)
		txt[i] = i % 2 ? 'a' : ' ';
	fakezone_add(zone, "big.example.test", DNS_T_TXT, txt, big, 0);
	fakezone_add(zone, "many.example.test", DNS_T_TXT, txt, 7 + 2000, 0);
	fakezone_add(zone, "nul.example.test", DNS_T_TXT, nul, sizeof nul - 1, 0);
	fakezone_add_txt(zone, "utf8.example.test", "v=spf1 ip4:192.0.2.1 \xff\xfe -all");
	d = expect("big.example.test", "SPF_SYNTAX", SEV_CRITICAL, NULL);
	tap_ok(d && strstr(d->message, "4096") && d->evidence &&
		   strlen(d->evidence) == DNS_SPF_RECORD_MAX,
	       "64 KB record: reason given, evidence cut to 4096 bytes");
	d = expect("many.example.test", "SPF_SYNTAX", SEV_CRITICAL, NULL);
	tap_ok(d && strstr(d->message, "512 terms"), "1000 terms: too many terms");
	d = expect("nul.example.test", "SPF_SYNTAX", SEV_CRITICAL, NULL);
	tap_ok(d && strstr(d->message, "\\x00"), "NUL byte shown escaped in the message");
	expect("utf8.example.test", "SPF_SYNTAX", SEV_CRITICAL, NULL);
	free(txt);
}

/* On ERR_AGAIN the caller's list is untouched. */
static void test_again(void)
{
	struct dns_book *book = dns_book_new(64);
	struct dns_findings f;
	struct dns_spf_tree *tree = NULL;

	dns_findings_init(&f);
	tap_ok(dns_spf_posture(book, "nospf-mx.example.test", &f, &tree) == ERR_AGAIN && f.n == 0,
	       "ERR_AGAIN adds nothing");
	fakezone_answer(zone, book);
	tap_ok(dns_spf_posture(book, "nospf-mx.example.test", &f, &tree) == ERR_AGAIN && f.n == 0,
	       "the MX question for the fix is asked only when the record is missing");
	fakezone_answer(zone, book);
	tap_ok(dns_spf_posture(book, "nospf-mx.example.test", &f, &tree) == ERR_OK && f.n == 1 &&
		   tree && tree->root->status == DNS_SPF_NODE_MISSING,
	       "then the findings and the tree");
	dns_spf_tree_free(tree);
	dns_findings_clear(&f);
	dns_book_free(book);
}

int main(void)
{
	dns_findings_init(&last.f);
	setup();
	setup_heavy();
	test_codes();
	test_hostile();
	test_again();
	dns_findings_clear(&last.f);
	dns_book_free(last.book);
	fakezone_free(zone);
	return tap_done();
}
