/*
 * tests/daemon/test_report_analysis: daemon/report_analysis over scenarios
 * built in a temporary store at a fixed clock: 30 days of 100% pass under
 * p=none (quarantine, with the exact record, from the current record and
 * from scratch), one bad day (no recommendation, the day and rate named),
 * too few days, p=quarantine to reject, already p=reject, low compliance
 * (warn, and critical below 50%), a new unknown source with real volume, a
 * misaligned ESP, an old unknown source, TLS-RPT failures (recent and old
 * only), failure reports and a domain without reports (NULL, no finding).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/engine.h"
#include "daemon/report_analysis.h"
#include "daemon/snapbuild.h"
#include "daemon/store.h"
#include "daemon/store_report.h"
#include "daemon/store_result.h"
#include "tests/lib/tap.h"

#define NOW 1800000000LL /* 2027-01-15 08:00:00 UTC */
#define DAY 86400LL
#define MIDNIGHT (NOW / DAY * DAY)

static struct daemon_store *s;
static struct daemon_config cfg;
static char *addrs[] = {(char *)"dmarc@reports.example.net"};
static unsigned seq;

static void setup_cfg(void)
{
	memset(&cfg, 0, sizeof cfg);
	cfg.reports.addresses = addrs;
	cfg.reports.n_addresses = 1;
	cfg.reports.compliance_floor = 0.95;
	cfg.reports.recommend_threshold = 0.99;
	cfg.reports.recommend_days = 30;
	cfg.reports.unknown_min_messages = 50;
	cfg.reports.new_source_days = 7;
	cfg.reports.keep_days = 400;
}

/* count messages from ip on the UTC day `ago` days before today; pass of them pass
   DMARC; the failing ones pass SPF for auth_domain when it is set. */
struct row {
	const char *ip;
	uint64_t count, pass;
	const char *auth_domain;
};

static void day_report(const char *domain, const char *p, int ago, const struct row *rows, size_t n)
{
	char rid[32];
	struct daemon_report_head h = {.kind = "aggregate",
				       .reporter = (seq & 1) ? "google.com" : "Yahoo",
				       .report_id = rid,
				       .domain = domain,
				       .begin = MIDNIGHT - ago * DAY,
				       .end = MIDNIGHT - ago * DAY + DAY - 1,
				       .source = "drop",
				       .received = MIDNIGHT - ago * DAY + DAY + 600,
				       .policy_p = p,
				       .pct = -1};
	struct mail_agg_meta m = {.domain = domain};
	int64_t id = 0;
	bool dup = true;
	enum mp_err e;

	snprintf(rid, sizeof rid, "r%u", seq++);
	e = daemon_store_begin(s, true);
	if (e == ERR_OK)
		e = daemon_store_report_open(s, &h, &id, &dup);
	for (size_t i = 0; e == ERR_OK && i < n; i++) {
		for (int k = 0; e == ERR_OK && k < 2; k++) {
			struct mail_agg_record r;

			memset(&r, 0, sizeof r);
			snprintf(r.source_ip, sizeof r.source_ip, "%s", rows[i].ip);
			r.count = k == 0 ? rows[i].pass : rows[i].count - rows[i].pass;
			if (r.count == 0)
				continue;
			r.dkim_eval = k == 0 ? MAIL_AGG_RES_PASS : MAIL_AGG_RES_FAIL;
			r.spf_eval = k == 0 ? MAIL_AGG_RES_PASS : MAIL_AGG_RES_FAIL;
			r.header_from = domain;
			r.n_spf = 1;
			r.spf[0].domain = k == 0		? domain
					  : rows[i].auth_domain ? rows[i].auth_domain
								: domain;
			r.spf[0].result =
			    k == 0 || rows[i].auth_domain ? MAIL_AGG_RES_PASS : MAIL_AGG_RES_FAIL;
			e = daemon_store_report_add_row(s, id, &m, &r);
		}
	}
	if (e == ERR_OK)
		e = daemon_store_report_finish(s, id, n, 0);
	if (e == ERR_OK)
		e = daemon_store_commit(s);
	else
		daemon_store_rollback(s);
	if (e != ERR_OK || dup)
		tap_diag("day_report %s %d: %s", domain, ago, daemon_store_errmsg(s));
}

/* days first..last ago, one report a day: total messages from 192.0.2.10, all passing */
static void clean_days(const char *domain, const char *p, int first, int last, uint64_t total)
{
	for (int ago = first; ago <= last; ago++) {
		struct row r = {"192.0.2.10", total, total, NULL};

		day_report(domain, p, ago, &r, 1);
	}
}

static struct web_reports *analyse(const char *name, const char *record,
				   struct daemon_config_domain *d)
{
	struct web_reports *a = NULL;

	memset(d, 0, sizeof *d);
	d->name = (char *)name;
	if (daemon_report_analyse(s, &cfg, d, record, NOW, &a) != ERR_OK)
		tap_diag("analyse %s: %s", name, daemon_store_errmsg(s));
	return a;
}

static size_t count_code(const struct dns_findings *f, const char *code)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += strcmp(f->v[i].code, code) == 0 && strcmp(f->v[i].check, "reports") == 0;
	return n;
}

static void test_quarantine(void)
{
	struct daemon_config_domain d;
	struct web_reports *a;
	struct dns_findings f;
	const struct dns_finding *x;

	clean_days("example.com", "none", 1, 30, 1000);
	a = analyse("example.com", "v=DMARC1;p=none; rua=mailto:d@example.com ;pct=50; fo=1", &d);
	tap_ok(a != NULL, "example.com analysed");
	if (a == NULL)
		return;
	tap_is_str(a->headline,
		   "100% of mail from example.com passed DMARC in the last 7 days (7,000 messages)",
		   "headline");
	tap_ok(a->windows[0].days == 1 && a->windows[0].messages == 1000 &&
		   a->windows[1].days == 7 && a->windows[2].days == 30 &&
		   a->windows[2].messages == 30000 && a->windows[1].ratio == 1.0,
	       "windows 1/7/30: 1,000 / 7,000 / 30,000 messages");
	tap_is_str(a->policy, "none", "policy from the reports");
	tap_is_str(a->recommend, "quarantine", "recommend quarantine");
	tap_is_str(a->recommend_record, "v=DMARC1; p=quarantine; rua=mailto:d@example.com; fo=1",
		   "record: p replaced, pct dropped, the rest kept");
	tap_ok(strstr(a->recommend_text, "example.com") && strstr(a->recommend_text, "99%"),
	       "text names the domain and threshold: %s", a->recommend_text);
	tap_ok(a->n_sources == 1 && strcmp(a->sources[0].group, "aligned") == 0 &&
		   !a->sources[0].is_new && a->sources[0].messages_7d == 7000,
	       "one aligned source, not new, 7,000 in 7 days");
	tap_ok(a->counter_pass == 30000 && a->counter_fail == 0, "counters 30,000 / 0");
	tap_ok(a->n_recent == 20 && strcmp(a->recent[0].kind, "aggregate") == 0 &&
		   a->recent[0].begin == MIDNIGHT - DAY,
	       "20 recent reports, newest first");
	dns_findings_init(&f);
	daemon_report_findings(a, &cfg, &d, &f);
	x = dns_findings_get(&f, "reports", "REPORT_MOVE_TO_QUARANTINE");
	tap_ok(x && x->sev == SEV_INFO && x->fix &&
		   strcmp(x->fix, "Publish at _dmarc.example.com: TXT \"v=DMARC1; p=quarantine; "
				  "rua=mailto:d@example.com; fo=1\"") == 0,
	       "REPORT_MOVE_TO_QUARANTINE info with the record: %s", x && x->fix ? x->fix : "-");
	tap_ok(count_code(&f, "REPORT_OK") == 1 && f.n == 2, "and REPORT_OK, nothing else");
	dns_findings_clear(&f);
	daemon_report_analysis_free(a);

	a = analyse("example.com", NULL, &d);
	tap_is_str(a ? a->recommend_record : NULL,
		   "v=DMARC1; p=quarantine; rua=mailto:dmarc@reports.example.net",
		   "record from scratch with the [reports] address");
	daemon_report_analysis_free(a);
}

static void test_not_yet(void)
{
	struct daemon_config_domain d;
	struct web_reports *a;
	struct row bad = {"192.0.2.10", 1000, 971, NULL};

	clean_days("bad.example", "none", 1, 9, 1000);
	day_report("bad.example", "none", 10, &bad, 1);
	clean_days("bad.example", "none", 11, 30, 1000);
	a = analyse("bad.example", NULL, &d);
	tap_ok(a && *a->recommend == '\0' && *a->recommend_record == '\0',
	       "one bad day: no recommendation");
	tap_is_str(a ? a->recommend_text : NULL,
		   "Not yet safe to move bad.example to p=quarantine: the DMARC pass rate was "
		   "97.1% on 2027-01-05, below 99% (1 of 30 days with reports were below).",
		   "the day and its rate named");
	daemon_report_analysis_free(a);

	clean_days("few.example", "none", 1, 12, 10);
	a = analyse("few.example", NULL, &d);
	tap_is_str(a ? a->recommend_text : NULL,
		   "Not yet safe to move few.example to p=quarantine: only 12 of 30 days have "
		   "reports.",
		   "too few days");
	daemon_report_analysis_free(a);

	clean_days("gap.example", "none", 1, 28, 10);
	a = analyse("gap.example", NULL, &d);
	tap_is_str(a ? a->recommend : NULL, "quarantine", "28 of 30 days is enough (gap of 2)");
	daemon_report_analysis_free(a);
}

static void test_reject(void)
{
	struct daemon_config_domain d;
	struct web_reports *a;
	struct dns_findings f;

	clean_days("q.example", "quarantine", 1, 30, 50);
	a = analyse("q.example", "v=DMARC1; p=quarantine", &d);
	tap_is_str(a ? a->recommend : NULL, "reject", "p=quarantine: recommend reject");
	tap_is_str(a ? a->recommend_record : NULL, "v=DMARC1; p=reject", "record p=reject");
	dns_findings_init(&f);
	daemon_report_findings(a, &cfg, &d, &f);
	tap_ok(count_code(&f, "REPORT_MOVE_TO_REJECT") == 1 &&
		   count_code(&f, "REPORT_MOVE_TO_QUARANTINE") == 0,
	       "REPORT_MOVE_TO_REJECT");
	dns_findings_clear(&f);
	daemon_report_analysis_free(a);

	clean_days("r.example", "reject", 1, 4, 50);
	a = analyse("r.example", NULL, &d);
	tap_ok(a && *a->recommend == '\0' && strstr(a->recommend_text, "already at p=reject"),
	       "p=reject: nothing more (%s)", a ? a->recommend_text : "-");
	daemon_report_analysis_free(a);
}

static const struct web_report_source *src(const struct web_reports *a, const char *ip)
{
	for (size_t i = 0; a && i < a->n_sources; i++)
		if (strcmp(a->sources[i].ip, ip) == 0)
			return &a->sources[i];
	return NULL;
}

static void test_sources(void)
{
	struct daemon_config_domain d;
	struct web_reports *a;
	struct dns_findings f;
	const struct web_report_source *x;
	const struct dns_finding *u;
	struct row old_unknown = {"198.51.100.99", 100, 0, NULL};
	struct row esp = {"198.51.100.20", 100, 0, "sendgrid.net"};

	for (int ago = 1; ago <= 7; ago++) {
		struct row r[3] = {{"192.0.2.10", 1500, 1500, NULL},
				   {"198.51.100.20", 100, 0, "sendgrid.net"},
				   {"198.51.100.99", 10, 0, NULL}};

		day_report("spoof.example", "quarantine", ago, r, 3);
	}
	day_report("spoof.example", "quarantine", 25, &old_unknown, 1);
	day_report("spoof.example", "quarantine", 20, &esp, 1);
	{
		struct row r[2] = {{"203.0.113.66", 500, 0, NULL}, {"203.0.113.77", 10, 0, NULL}};

		day_report("spoof.example", "quarantine", 1, r, 2);
	}
	a = analyse("spoof.example", NULL, &d);
	tap_ok(a != NULL, "spoof.example analysed");
	if (a == NULL)
		return;
	/* 7 days: 10,500 pass of 10,500 + 700 + 70 + 510 = 11,780 */
	tap_is_str(a->headline,
		   "89.1% of mail from spoof.example passed DMARC in the last 7 days (11,780 "
		   "messages)",
		   "headline with a cut percentage and thousands");
	x = src(a, "192.0.2.10");
	tap_ok(x && strcmp(x->group, "aligned") == 0, "main sender aligned");
	x = src(a, "198.51.100.20");
	tap_ok(x && strcmp(x->group, "misaligned") == 0 &&
		   strcmp(x->auth_domains, "sendgrid.net") == 0 && !x->is_new,
	       "ESP misaligned (SPF passes for sendgrid.net), seen 20 days ago: not new");
	x = src(a, "203.0.113.66");
	tap_ok(x && strcmp(x->group, "unknown") == 0 && x->is_new && x->messages_7d == 500,
	       "spoofer: unknown, new, 500 messages");
	x = src(a, "198.51.100.99");
	tap_ok(x && strcmp(x->group, "unknown") == 0 && !x->is_new &&
		   x->first_seen == MIDNIGHT - 25 * DAY,
	       "old unknown source: first seen 25 days ago");
	tap_ok(a->sources[0].messages >= a->sources[a->n_sources - 1].messages,
	       "most messages first");
	dns_findings_init(&f);
	daemon_report_findings(a, &cfg, &d, &f);
	tap_is_int((long long)count_code(&f, "REPORT_UNKNOWN_SOURCE"), 1,
		   "one unknown source finding (not the old one, not the 10-message one)");
	u = dns_findings_get(&f, "reports", "REPORT_UNKNOWN_SOURCE");
	tap_ok(u && u->sev == SEV_WARN && strstr(u->message, "203.0.113.66") &&
		   strstr(u->message, "spoof.example") && strstr(u->message, "500 messages") &&
		   strstr(u->fix, "spoofing"),
	       "it names the IP, the domain, the volume: %s", u ? u->message : "-");
	u = dns_findings_get(&f, "reports", "REPORT_COMPLIANCE_LOW");
	tap_ok(u && u->sev == SEV_WARN && strstr(u->message, "89.1%") &&
		   strstr(u->message, "spoof.example") && u->evidence &&
		   strstr(u->evidence, "messages=11780"),
	       "REPORT_COMPLIANCE_LOW warn with the numbers: %s", u ? u->message : "-");
	tap_ok(count_code(&f, "REPORT_OK") == 0, "no REPORT_OK");
	tap_ok(strstr(a->recommend_text, "70.7% on 2027-01-14, below 99% (9 of 9 days"),
	       "the last bad day named: %s", a->recommend_text);
	dns_findings_clear(&f);
	daemon_report_analysis_free(a);

	{
		struct row r = {"203.0.113.9", 1000, 400, NULL};

		day_report("crit.example", "none", 1, &r, 1);
	}
	a = analyse("crit.example", NULL, &d);
	dns_findings_init(&f);
	daemon_report_findings(a, &cfg, &d, &f);
	u = dns_findings_get(&f, "reports", "REPORT_COMPLIANCE_LOW");
	tap_ok(u && u->sev == SEV_CRITICAL, "40%% pass: critical");
	dns_findings_clear(&f);
	daemon_report_analysis_free(a);
}

static void tls_report(const char *domain, int ago, uint64_t fails)
{
	struct mail_tlsrpt_failure fl = {.result_type = (char *)"certificate-expired",
					 .failed_session_count = fails};
	struct mail_tlsrpt_policy p = {.policy_type = (char *)"sts",
				       .policy_domain = (char *)domain,
				       .success = 900,
				       .failure = fails,
				       .failures = &fl,
				       .n_failures = 1};
	struct mail_tlsrpt t = {.policies = &p, .n_policies = 1};
	char rid[32];
	struct daemon_report_head h = {.kind = "tlsrpt",
				       .reporter = "Google Inc.",
				       .report_id = rid,
				       .domain = domain,
				       .begin = MIDNIGHT - ago * DAY,
				       .end = MIDNIGHT - ago * DAY + DAY - 1,
				       .source = "api",
				       .received = NOW,
				       .pct = -1};
	int64_t id = 0;
	bool dup = true;

	snprintf(rid, sizeof rid, "t%u", seq++);
	if (daemon_store_begin(s, false) != ERR_OK ||
	    daemon_store_report_open(s, &h, &id, &dup) != ERR_OK ||
	    daemon_store_report_add_tlsrpt(s, id, &t) != ERR_OK ||
	    daemon_store_report_finish(s, id, 1, 0) != ERR_OK || daemon_store_commit(s) != ERR_OK)
		tap_diag("tls_report: %s", daemon_store_errmsg(s));
}

static void test_tls(void)
{
	struct daemon_config_domain d;
	struct web_reports *a;
	struct dns_findings f;
	const struct dns_finding *u;

	tls_report("tls.example", 2, 4);
	tls_report("tls.example", 20, 6);
	a = analyse("tls.example", NULL, &d);
	tap_ok(a != NULL, "a domain with only TLS reports has an analysis");
	if (a == NULL)
		return;
	tap_is_str(a->headline, "No DMARC aggregate reports for tls.example in the last 7 days.",
		   "no-data headline");
	tap_ok(a->windows[1].ratio < 0 && a->windows[1].messages == 0, "ratio < 0 without data");
	tap_ok(a->n_tlsrpt == 1 && a->tlsrpt[0].failure == 10 && a->tlsrpt[0].failure_7d == 4 &&
		   a->tlsrpt[0].success == 1800 &&
		   strcmp(a->tlsrpt[0].failure_types, "certificate-expired:10") == 0,
	       "TLS-RPT: 30 days 1,800 ok / 10 failed, 4 in the last 7 days");
	tap_is_str(a->policy, "", "no policy known");
	dns_findings_init(&f);
	daemon_report_findings(a, &cfg, &d, &f);
	u = dns_findings_get(&f, "reports", "TLSRPT_FAILURES");
	tap_ok(u && u->sev == SEV_WARN && strstr(u->message, "Google Inc.") &&
		   strstr(u->message, "tls.example") && strstr(u->message, "certificate-expired"),
	       "TLSRPT_FAILURES: %s", u ? u->message : "-");
	tap_ok(count_code(&f, "REPORT_OK") == 0, "no REPORT_OK");
	dns_findings_clear(&f);
	daemon_report_analysis_free(a);

	tls_report("tls2.example", 20, 6);
	a = analyse("tls2.example", NULL, &d);
	dns_findings_init(&f);
	daemon_report_findings(a, &cfg, &d, &f);
	tap_ok(count_code(&f, "TLSRPT_FAILURES") == 0 && count_code(&f, "REPORT_OK") == 1,
	       "failures 20 days ago only: REPORT_OK");
	dns_findings_clear(&f);
	daemon_report_analysis_free(a);
}

static void test_failure_reports(void)
{
	struct daemon_config_domain d;
	struct web_reports *a;
	struct mail_arf f;
	struct daemon_report_head h = {.kind = "failure",
				       .reporter = "mx.reporter.example",
				       .report_id = "0123abcd",
				       .domain = "example.com",
				       .begin = NOW - 60,
				       .end = NOW - 60,
				       .source = "listener",
				       .received = NOW - 30,
				       .pct = -1};
	int64_t id = 0;
	bool dup = true;

	memset(&f, 0, sizeof f);
	f.source_ip = (char *)"203.0.113.66";
	f.orig_subject = (char *)"Your invoice";
	f.auth_failure = (char *)"dmarc";
	tap_ok(daemon_store_begin(s, false) == ERR_OK &&
		   daemon_store_report_open(s, &h, &id, &dup) == ERR_OK &&
		   daemon_store_report_add_failure(s, id, &f) == ERR_OK &&
		   daemon_store_report_finish(s, id, 1, 1) == ERR_OK &&
		   daemon_store_commit(s) == ERR_OK,
	       "a failure report");
	a = analyse("example.com", NULL, &d);
	tap_ok(a && a->n_failures == 1 && a->failures[0].arrival == NOW - 60 &&
		   strcmp(a->failures[0].subject, "Your invoice") == 0 &&
		   strcmp(a->recent[0].kind, "failure") == 0,
	       "failure reports and recent list");
	daemon_report_analysis_free(a);
}

static void test_empty(void)
{
	struct daemon_config_domain d;
	struct web_reports *a = (struct web_reports *)&d; /* must be overwritten */
	struct dns_findings f;

	memset(&d, 0, sizeof d);
	d.name = (char *)"empty.example";
	tap_ok(daemon_report_analyse(s, &cfg, &d, NULL, NOW, &a) == ERR_OK && a == NULL,
	       "no reports: NULL");
	dns_findings_init(&f);
	daemon_report_findings(NULL, &cfg, &d, &f);
	tap_is_int((long long)f.n, 0, "no analysis, no finding");
	daemon_report_analysis_free(NULL);
}

/* daemon/snapbuild: reports for a domain that has them (the record to publish
   starts from the last dmarc check's own record), NULL for one that has not. */
static void test_snapbuild(void)
{
	static const char conf[] = "[dns]\nresolvers = 127.0.0.1:9\n"
				   "[domain snap.example]\n[domain quiet.example]\n";
	static const char ev[] = "_dmarc.snap.example TXT: spf1 junk | "
				 "v=DMARC1; p=none; pct=10; rua=mailto:agg@snap.example";
	struct daemon_store_result r = {.domain = "snap.example",
					.check = "dmarc",
					.at = NOW - 60,
					.severity = SEV_OK,
					.spf_lookups = -1,
					.spf_void_lookups = -1};
	struct daemon_snapbuild_info info = {.now = NOW, .ready = true};
	struct daemon_config *c = NULL;
	struct daemon_engine *eng = NULL;
	struct web_snapshot *snap;
	struct dns_findings f;
	char err[512] = "";

	dns_findings_init(&f);
	dns_findings_add(&f, "dmarc", "DMARC_OK", SEV_OK, NULL, ev, sizeof ev - 1, "fine");
	if (daemon_store_result_add(s, &r, &f, NULL) != ERR_OK)
		tap_diag("result: %s", daemon_store_errmsg(s));
	dns_findings_clear(&f);
	clean_days("snap.example", "none", 1, 30, 100);
	if (!tap_ok(daemon_config_load_string(conf, strlen(conf), "snap.conf", NULL, &c, err,
					      sizeof err) == ERR_OK,
		    "snapshot config: %s", err) ||
	    !tap_ok(daemon_engine_new(c, s, NOW, &eng, err, sizeof err) == ERR_OK, "engine: %s",
		    err)) {
		daemon_config_free(c);
		return;
	}
	snap = daemon_snapbuild(c, s, eng, &info);
	if (tap_ok(snap != NULL && snap->n_domains == 2, "snapshot of two domains")) {
		const struct web_reports *a = snap->domains[0].reports;

		tap_ok(a != NULL && a->windows[2].messages == 3000, "snap.example has its reports");
		tap_is_str(a ? a->recommend_record : NULL,
			   "v=DMARC1; p=quarantine; rua=mailto:agg@snap.example",
			   "record from the domain's own DMARC record (recommend_days %u)",
			   c->reports.recommend_days);
		tap_ok(snap->domains[1].reports == NULL, "quiet.example: no reports, NULL");
	}
	web_snapshot_free(snap);
	daemon_engine_free(eng);
	daemon_config_free(c);
}

static void rec_is(const char *target, const char *cur, size_t len, const char *rua,
		   const char *want, const char *name)
{
	char *r = daemon_report_record(target, cur, len, rua);

	tap_is_str(r, want, "record: %s", name);
	free(r);
}

/* daemon_report_record over odd and hostile current records (DNS bytes). */
static void test_record(void)
{
	static const char nul[] = "v=DMARC1; p=none\0; rua=mailto:x@evil.example";
	char *big = xmalloc(65536), *tags = xmalloc(DAEMON_REPORT_MAX_RECORD + 1), *want;

	rec_is("quarantine", "v=DMARC1; p=none; sp=none; rua=mailto:a@b.example; pct=25", 56, NULL,
	       "v=DMARC1; p=quarantine; sp=none; rua=mailto:a@b.example",
	       "p replaced, pct dropped, sp kept");
	rec_is("reject", " v = DMARC1 ;\tpct=100; P=quarantine; ptr=x;; ", 45, NULL,
	       "v=DMARC1; p=reject; ptr=x", "spaces, tabs, upper-case P, empty tags, pct vs ptr");
	rec_is("quarantine", "v=DMARC1; rua=mailto:a@b.example", 32, "z@y.example",
	       "v=DMARC1; p=quarantine; rua=mailto:a@b.example", "no p= yet: inserted after v");
	rec_is("quarantine", nul, sizeof nul - 1, "r@reports.example",
	       "v=DMARC1; p=quarantine; rua=mailto:r@reports.example", "a NUL byte: from scratch");
	rec_is("quarantine", "v=DMARC1; p=none; rua=mailto:\xff@x", 31, NULL,
	       "v=DMARC1; p=quarantine", "invalid UTF-8: from scratch, no rua given");
	rec_is("quarantine", "v=spf1 -all", 11, "", "v=DMARC1; p=quarantine", "not DMARC");
	rec_is("quarantine", "v=DMARC10; p=none", 17, NULL, "v=DMARC1; p=quarantine",
	       "v=DMARC10 is not DMARC1");
	rec_is("quarantine", NULL, 0, "r@reports.example",
	       "v=DMARC1; p=quarantine; rua=mailto:r@reports.example", "no current record");
	memset(big, 'a', 65536);
	memcpy(big, "v=DMARC1; ", 10);
	rec_is("reject", big, 65536, NULL, "v=DMARC1; p=reject", "64 KB: from scratch");
	/* the longest record rewritten, made of the smallest tags: the output still fits */
	memcpy(tags, "v=DMARC1", 8);
	for (size_t i = 8; i + 4 <= DAEMON_REPORT_MAX_RECORD; i += 4)
		memcpy(tags + i, ";a=1", 4);
	want = daemon_report_record("quarantine", tags, DAEMON_REPORT_MAX_RECORD, NULL);
	tap_ok(strncmp(want, "v=DMARC1; p=quarantine; a=1; a=1", 32) == 0 &&
		   strlen(want) == 22 + (DAEMON_REPORT_MAX_RECORD - 8) / 4 * 5,
	       "4 KB of tiny tags rewritten whole (%zu bytes)", strlen(want));
	free(want);
	free(tags);
	free(big);
}

int main(void)
{
	char *path = xasprintf("%s/a.db", tap_tmpdir()), err[256] = "";

	setup_cfg();
	if (daemon_store_open(path, &s, err, sizeof err) != ERR_OK) {
		tap_ok(false, "open: %s", err);
		return tap_done();
	}
	test_record();
	test_empty();
	test_quarantine();
	test_not_yet();
	test_reject();
	test_sources();
	test_tls();
	test_failure_reports();
	test_snapbuild();
	daemon_store_close(s);
	free(path);
	return tap_done();
}
