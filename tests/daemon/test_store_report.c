/*
 * tests/daemon/test_store_report: daemon/store_report and
 * daemon/store_report_query (schema version 6).  All or nothing (rows of a
 * rolled back report leave no trace; a committed one counts once; the
 * same report again is a duplicate), refused heads and rows, hostile text
 * stored exactly, window totals and days, sources grouped by IP (reporters,
 * most common header_from, passed auth domains, first seen over all time,
 * reverse DNS), TLS-RPT sums with failure types, failure reports, rejects,
 * reverse DNS queue, retention with counters that never go down, migration
 * from version 5, and the insert rate of 100k rows in one transaction
 * (printed, never asserted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_report.h"
#include "tests/lib/tap.h"

#define NOW 1800000000LL /* 2027-01-15 08:00:00 UTC */
#define DAY 86400LL
#define MIDNIGHT (NOW / DAY * DAY)
/*
 * Rows of the volume test: 100k (a third of a 100 MB report).  Under
 * AddressSanitizer the rate means nothing and CI time counts: 20k.
 */
#if defined(__SANITIZE_ADDRESS__)
#define VOLUME 20000
#else
#define VOLUME 100000
#endif

static struct daemon_store *s;

static int64_t qint(const char *sql)
{
	int64_t v = -999;

	if (daemon_store_query_int(s, sql, &v) != ERR_OK)
		tap_diag("query failed: %s: %s", sql, daemon_store_errmsg(s));
	return v;
}

static struct daemon_report_head head(const char *kind, const char *reporter, const char *rid,
				      const char *domain, int64_t begin, int64_t end)
{
	struct daemon_report_head h = {.kind = kind,
				       .reporter = reporter,
				       .reporter_email = "noreply@reporter.example",
				       .report_id = rid,
				       .domain = domain,
				       .begin = begin,
				       .end = end,
				       .source = "drop",
				       .container = "xml",
				       .received = end + 3600,
				       .policy_p = "none",
				       .policy_sp = "",
				       .pct = -1,
				       .adkim = 'r',
				       .aspf = 'r'};
	return h;
}

/* A record: dmarc "pass"/"fail" verdict via policy_evaluated, auth pass for auth_domain. */
static struct mail_agg_record rec(const char *ip, uint64_t count, bool dkim_aligned,
				  bool spf_aligned, const char *auth_domain)
{
	struct mail_agg_record r;

	memset(&r, 0, sizeof r);
	snprintf(r.source_ip, sizeof r.source_ip, "%s", ip);
	r.count = count;
	r.dkim_eval = dkim_aligned ? MAIL_AGG_RES_PASS : MAIL_AGG_RES_FAIL;
	r.spf_eval = spf_aligned ? MAIL_AGG_RES_PASS : MAIL_AGG_RES_FAIL;
	r.header_from = "example.com";
	r.envelope_from = "";
	r.reason_types = "";
	r.n_dkim = 1;
	r.dkim[0].domain = auth_domain ? auth_domain : "example.com";
	r.dkim[0].selector = "s1";
	r.dkim[0].result = auth_domain || dkim_aligned ? MAIL_AGG_RES_PASS : MAIL_AGG_RES_FAIL;
	r.n_spf = 1;
	r.spf[0].domain = auth_domain ? auth_domain : "example.com";
	r.spf[0].scope = "mfrom";
	r.spf[0].result = spf_aligned ? MAIL_AGG_RES_PASS : MAIL_AGG_RES_FAIL;
	return r;
}

static const struct mail_agg_meta meta0 = {.org_name = "x", .report_id = "x", .domain = "x"};

/* A whole aggregate report in its own batch; its id (0 on failure or dup). */
static int64_t agg(struct daemon_report_head h, const struct mail_agg_record *r, size_t n)
{
	int64_t id = 0;
	bool dup = true;
	uint64_t msgs = 0;
	enum mp_err e = daemon_store_begin(s, true);

	if (e == ERR_OK)
		e = daemon_store_report_open(s, &h, &id, &dup);
	for (size_t i = 0; e == ERR_OK && !dup && i < n; i++) {
		e = daemon_store_report_add_row(s, id, &meta0, &r[i]);
		msgs += r[i].count;
	}
	if (e == ERR_OK && !dup)
		e = daemon_store_report_finish(s, id, n, msgs);
	if (e != ERR_OK || dup) {
		if (e != ERR_OK)
			tap_diag("agg %s: %s", h.report_id, daemon_store_errmsg(s));
		daemon_store_rollback(s);
		return 0;
	}
	return daemon_store_commit(s) == ERR_OK ? id : 0;
}

static void test_all_or_nothing(void)
{
	struct daemon_report_head h =
	    head("aggregate", "google.com", "r1", "example.com", MIDNIGHT - DAY, MIDNIGHT - 1);
	struct mail_agg_record r[2] = {rec("192.0.2.1", 10, true, true, NULL),
				       rec("198.51.100.7", 5, false, false, NULL)};
	int64_t id = -1;
	bool dup = true;
	uint64_t p = 9, f = 9;

	tap_ok(daemon_store_begin(s, true) == ERR_OK &&
		   daemon_store_report_open(s, &h, &id, &dup) == ERR_OK && !dup && id > 0 &&
		   daemon_store_report_add_row(s, id, &meta0, &r[0]) == ERR_OK &&
		   daemon_store_report_add_row(s, id, &meta0, &r[1]) == ERR_OK,
	       "report opened and rows added in a batch");
	daemon_store_rollback(s);
	tap_is_int(qint("SELECT count(*) FROM reports"), 0, "rollback: no report");
	tap_is_int(qint("SELECT count(*) FROM report_rows"), 0, "rollback: no row");
	tap_ok(daemon_store_report_counters(s, "example.com", &p, &f) == ERR_OK && p == 0 && f == 0,
	       "rollback: counters zero");

	id = agg(h, r, 2);
	tap_ok(id > 0, "committed report");
	tap_is_int(qint("SELECT count(*) FROM report_rows"), 2, "two rows");
	tap_is_int(qint("SELECT messages FROM reports"), 15, "messages stored by finish");
	tap_ok(daemon_store_report_counters(s, "example.com", &p, &f) == ERR_OK && p == 10 &&
		   f == 5,
	       "counters: 10 pass, 5 fail (got %llu, %llu)", (unsigned long long)p,
	       (unsigned long long)f);

	dup = false;
	id = -1;
	tap_ok(daemon_store_begin(s, true) == ERR_OK &&
		   daemon_store_report_open(s, &h, &id, &dup) == ERR_OK && dup && id == 0,
	       "same (kind, reporter, report id) again: duplicate, id 0");
	daemon_store_rollback(s);
	h.kind = "tlsrpt";
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_OK && !dup && id > 0,
	       "same reporter and id of another kind is another report");
	tap_ok(daemon_store_report_add_row(s, id, &meta0, &r[0]) == ERR_NOTFOUND,
	       "a row for a TLS report: ERR_NOTFOUND");
	tap_ok(daemon_store_report_add_row(s, 999999, &meta0, &r[0]) == ERR_NOTFOUND,
	       "a row for no report: ERR_NOTFOUND");
	tap_ok(daemon_store_report_counters(s, "example.com", &p, &f) == ERR_OK && p == 10 &&
		   f == 5,
	       "counters counted once");
	tap_ok(daemon_store_exec(s, "DELETE FROM reports WHERE kind = 'tlsrpt'") == ERR_OK,
	       "cleanup");
}

static void test_refused(void)
{
	struct daemon_report_head h = head("aggregate", "a.example", "id", "example.com", 0, 1);
	struct mail_agg_record r = rec("192.0.2.9", 1, true, true, NULL);
	char *big = xmalloc(DAEMON_STORE_REPORT_MAX_FIELD + 2);
	int64_t id = 0, before = qint("SELECT count(*) FROM reports");
	bool dup = false;

	memset(big, 'a', DAEMON_STORE_REPORT_MAX_FIELD + 1);
	big[DAEMON_STORE_REPORT_MAX_FIELD + 1] = '\0';
	h.reporter = NULL;
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_INVAL, "NULL reporter: ERR_INVAL");
	h.reporter = "a.example";
	h.report_id = "";
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_INVAL,
	       "empty report id: ERR_INVAL");
	h.report_id = "id";
	h.kind = "forensic";
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_INVAL, "unknown kind: ERR_INVAL");
	tap_ok(strstr(daemon_store_errmsg(s), "kind") != NULL, "words name the kind: %s",
	       daemon_store_errmsg(s));
	h.kind = "aggregate";
	h.domain = NULL;
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_INVAL, "NULL domain: ERR_INVAL");
	h.domain = "example.com";
	h.reporter = big;
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_LIMIT,
	       "reporter over the cap: ERR_LIMIT");
	h.reporter = "a.example";
	h.pct = 101;
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_INVAL, "pct 101: ERR_INVAL");
	h.pct = -1;
	h.end = h.received + 8 * DAY;
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_INVAL,
	       "a range ending 8 days after arrival: ERR_INVAL");
	h.end = 1;
	h.begin = -5;
	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_INVAL,
	       "negative begin: ERR_INVAL");
	h.begin = 0;
	tap_is_int(qint("SELECT count(*) FROM reports"), before, "nothing stored by refusals");

	tap_ok(daemon_store_report_open(s, &h, &id, &dup) == ERR_OK && id > 0, "valid head");
	r.header_from = NULL;
	tap_ok(daemon_store_report_add_row(s, id, &meta0, &r) == ERR_INVAL,
	       "NULL header_from: ERR_INVAL");
	r.header_from = "example.com";
	r.count = (uint64_t)DAEMON_STORE_REPORT_MAX_COUNT + 1;
	tap_ok(daemon_store_report_add_row(s, id, &meta0, &r) == ERR_LIMIT,
	       "count above the cap: ERR_LIMIT");
	r.count = 1;
	r.source_ip[0] = '\0';
	tap_ok(daemon_store_report_add_row(s, id, &meta0, &r) == ERR_INVAL,
	       "empty source ip: ERR_INVAL");
	snprintf(r.source_ip, sizeof r.source_ip, "192.0.2.9");
	r.envelope_from = big;
	tap_ok(daemon_store_report_add_row(s, id, &meta0, &r) == ERR_LIMIT,
	       "envelope_from over the cap: ERR_LIMIT");
	tap_ok(daemon_store_report_reject_add(s, NOW, "drop", NULL, NULL) == ERR_INVAL,
	       "reject without reason: ERR_INVAL");
	tap_ok(daemon_store_exec(s, "DELETE FROM reports WHERE reporter = 'a.example'") == ERR_OK,
	       "cleanup");
	free(big);
}

static void test_hostile_text(void)
{
	/* NUL-free but odd: quotes, SQL, UTF-8, invalid UTF-8, a tab, exactly the cap */
	char *cap = xmalloc(DAEMON_STORE_REPORT_MAX_FIELD + 1);
	const char *odd[] = {"'; DROP TABLE reports; --",
			     "\"x\" <y> & z",
			     "Ünïcødé 例え",
			     "\xff\xfe\xc3",
			     "tab\there",
			     cap};
	struct daemon_report_item *v = NULL;
	size_t n = 0, ok = 0;

	memset(cap, 'r', DAEMON_STORE_REPORT_MAX_FIELD);
	cap[DAEMON_STORE_REPORT_MAX_FIELD] = '\0';
	for (size_t i = 0; i < 6; i++) {
		struct daemon_report_head h =
		    head("aggregate", odd[i], odd[i], "odd.example", NOW - DAY, NOW - (int64_t)i);

		h.received = NOW + (int64_t)i;
		ok += agg(h, NULL, 0) > 0;
	}
	tap_is_int((long long)ok, 6, "odd reporters and ids stored");
	tap_ok(daemon_store_report_recent(s, "odd.example", 0, &v, &n) == ERR_OK && n == 6,
	       "recent lists them");
	ok = 0;
	for (size_t i = 0; i < n && i < 6; i++)
		ok += strcmp(v[i].reporter, odd[5 - i]) == 0 &&
		      strcmp(v[i].report_id, odd[5 - i]) == 0;
	tap_is_int((long long)ok, 6, "read back byte for byte, newest received first");
	daemon_store_report_items_free(v, n);
	tap_ok(qint("SELECT count(*) FROM sqlite_master WHERE name = 'reports'") == 1,
	       "the reports table is still there");
	free(cap);
}

/* Windows and days: example.com, three days of reports from two reporters. */
static void test_windows(void)
{
	struct mail_agg_record d1[3] = {rec("192.0.2.1", 100, true, true, NULL),
					rec("192.0.2.1", 20, true, false, NULL),
					rec("203.0.113.5", 30, false, false, "esp.example")};
	struct mail_agg_record d5[2] = {rec("192.0.2.1", 50, false, true, NULL),
					rec("198.51.100.9", 7, false, false, NULL)};
	struct mail_agg_record old[1] = {rec("198.51.100.9", 3, false, false, NULL)};
	struct daemon_report_totals t;
	struct daemon_report_day *days = NULL;
	size_t n = 0;

	d5[1].disposition = MAIL_AGG_DISP_REJECT;
	d1[2].disposition = MAIL_AGG_DISP_QUARANTINE;
	/* reset example.com (test_all_or_nothing left a report) */
	tap_ok(daemon_store_exec(s, "DELETE FROM reports WHERE domain = 'example.com';"
				    "DELETE FROM report_rdns") == ERR_OK,
	       "fresh domain");
	tap_ok(
	    agg(head("aggregate", "google.com", "d1", "example.com", MIDNIGHT - DAY, MIDNIGHT - 1),
		d1, 3) > 0 &&
		agg(head("aggregate", "Yahoo", "d5", "example.com", MIDNIGHT - 5 * DAY,
			 MIDNIGHT - 4 * DAY),
		    d5, 2) > 0 &&
		agg(head("aggregate", "google.com", "old", "example.com", MIDNIGHT - 60 * DAY,
			 MIDNIGHT - 59 * DAY),
		    old, 1) > 0,
	    "three reports stored");
	tap_ok(daemon_store_report_totals(s, "example.com", NOW - DAY, &t) == ERR_OK,
	       "1-day totals");
	tap_ok(t.reports == 1 && t.messages == 150 && t.pass == 120 && t.dkim_pass == 120 &&
		   t.spf_pass == 100 && t.auth_pass == 30 && t.quarantined == 30 && t.rejected == 0,
	       "1 day: 1 report, 150 messages, 120 pass, 120 dkim, 100 spf, 30 misaligned, 30 "
	       "quarantined (got %llu %llu %llu %llu %llu %llu %llu)",
	       (unsigned long long)t.reports, (unsigned long long)t.messages,
	       (unsigned long long)t.pass, (unsigned long long)t.dkim_pass,
	       (unsigned long long)t.spf_pass, (unsigned long long)t.auth_pass,
	       (unsigned long long)t.quarantined);
	tap_ok(daemon_store_report_totals(s, "example.com", NOW - 7 * DAY, &t) == ERR_OK &&
		   t.reports == 2 && t.messages == 207 && t.pass == 170 && t.rejected == 7,
	       "7 days: 2 reports, 207 messages, 170 pass, 7 rejected");
	tap_ok(daemon_store_report_totals(s, "example.com", NOW - 90 * DAY, &t) == ERR_OK &&
		   t.reports == 3 && t.messages == 210,
	       "90 days: everything");
	tap_ok(daemon_store_report_totals(s, "nothing.example", NOW - 90 * DAY, &t) == ERR_OK &&
		   t.reports == 0 && t.messages == 0,
	       "unknown domain: zeros");
	tap_ok(daemon_store_report_days(s, "example.com", NOW - 30 * DAY, &days, &n) == ERR_OK &&
		   n == 2,
	       "30 days: two days with data (got %zu)", n);
	tap_ok(n == 2 && days[0].day == MIDNIGHT / DAY - 5 && days[0].messages == 57 &&
		   days[0].pass == 50 && days[1].day == MIDNIGHT / DAY - 1 &&
		   days[1].messages == 150 && days[1].pass == 120,
	       "days oldest first, each report on the day it covers (end at 00:00 or 23:59:59)");
	free(days);
}

static const struct daemon_report_source *find_src(const struct daemon_report_source *v, size_t n,
						   const char *ip)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].ip, ip) == 0)
			return &v[i];
	return NULL;
}

static void test_sources(void)
{
	struct daemon_report_source *v = NULL;
	const struct daemon_report_source *x;
	struct mail_agg_record r[2] = {rec("192.0.2.1", 5, true, true, NULL),
				       rec("203.0.113.5", 4, false, false, "esp.example")};
	char **ips = NULL;
	size_t n = 0;

	r[0].header_from = "mail.example.com";
	tap_ok(
	    agg(head("aggregate", "Yahoo", "d2", "example.com", MIDNIGHT - 2 * DAY, MIDNIGHT - DAY),
		r, 2) > 0,
	    "another day");
	tap_ok(daemon_store_report_sources(s, "example.com", NOW - 30 * DAY, 0, &v, &n) == ERR_OK &&
		   n == 3,
	       "30 days: three source IPs (got %zu)", n);
	tap_ok(n == 3 && strcmp(v[0].ip, "192.0.2.1") == 0 && v[0].messages == 175 &&
		   v[0].pass == 175,
	       "most messages first: 192.0.2.1, 175 messages, all pass");
	x = find_src(v, n, "192.0.2.1");
	tap_ok(x &&
		   (strcmp(x->reporters, "google.com,Yahoo") == 0 ||
		    strcmp(x->reporters, "Yahoo,google.com") == 0) &&
		   strcmp(x->header_from, "example.com") == 0,
	       "reporters of 192.0.2.1 and its most common header_from (%s, %s)",
	       x ? x->reporters : "-", x ? x->header_from : "-");
	x = find_src(v, n, "203.0.113.5");
	tap_ok(x && x->messages == 34 && x->pass == 0 && x->auth_pass == 34 &&
		   strcmp(x->auth_domains, "esp.example") == 0,
	       "203.0.113.5: misaligned, auth passed for esp.example once (%s)",
	       x ? x->auth_domains : "-");
	x = find_src(v, n, "198.51.100.9");
	tap_ok(x && x->messages == 7 && x->first_seen == MIDNIGHT - 60 * DAY &&
		   x->last_seen == MIDNIGHT - 4 * DAY && *x->ptr == '\0',
	       "198.51.100.9: 7 messages in the window, first seen 60 days ago, no PTR yet");
	daemon_store_report_sources_free(v, n);
	tap_ok(daemon_store_report_sources(s, "example.com", NOW - 30 * DAY, 1, &v, &n) == ERR_OK &&
		   n == 1,
	       "max 1");
	daemon_store_report_sources_free(v, n);

	tap_ok(daemon_store_report_rdns_missing(s, NOW - DAY, 0, &ips, &n) == ERR_OK && n == 3,
	       "three IPs to resolve (got %zu)", n);
	for (size_t i = 0; i < n; i++)
		free(ips[i]);
	free(ips);
	tap_ok(daemon_store_report_rdns_set(s, "203.0.113.5", "o1.mail.esp.example", "esp.example",
					    NOW) == ERR_OK &&
		   daemon_store_report_rdns_set(s, "192.0.2.1", "", "", NOW - 10 * DAY) == ERR_OK,
	       "answers recorded (one without PTR, long ago)");
	tap_ok(daemon_store_report_rdns_set(s, "bad\nip", "", "", NOW) == ERR_INVAL,
	       "control byte in an IP: ERR_INVAL");
	tap_ok(daemon_store_report_rdns_missing(s, NOW - DAY, 0, &ips, &n) == ERR_OK && n == 2 &&
		   strcmp(ips[0], "198.51.100.9") == 0 && strcmp(ips[1], "192.0.2.1") == 0 &&
		   ips[2] == NULL,
	       "unresolved first, then the stale one");
	for (size_t i = 0; i < n; i++)
		free(ips[i]);
	free(ips);
	tap_ok(daemon_store_report_sources(s, "example.com", NOW - 30 * DAY, 0, &v, &n) == ERR_OK,
	       "sources again");
	x = find_src(v, n, "203.0.113.5");
	tap_ok(x && strcmp(x->ptr, "o1.mail.esp.example") == 0 &&
		   strcmp(x->base, "esp.example") == 0,
	       "PTR and base joined in");
	daemon_store_report_sources_free(v, n);
}

static struct mail_tlsrpt_failure tfail(const char *type, uint64_t n)
{
	struct mail_tlsrpt_failure f = {.result_type = (char *)type, .failed_session_count = n};

	return f;
}

static void test_tlsrpt(void)
{
	struct mail_tlsrpt_failure f1[2] = {tfail("starttls-not-supported", 1),
					    tfail("certificate-expired", 2)};
	struct mail_tlsrpt_failure f2[1] = {tfail("certificate-expired", 3)};
	struct mail_tlsrpt_policy p1 = {.policy_type = (char *)"sts",
					.policy_domain = (char *)"example.com",
					.success = 100,
					.failure = 3,
					.failures = f1,
					.n_failures = 2};
	struct mail_tlsrpt_policy p2 = p1;
	struct mail_tlsrpt t = {.n_policies = 1};
	struct daemon_tlsrpt_sum *v = NULL;
	struct daemon_report_head h =
	    head("tlsrpt", "Google Inc.", "t1", "example.com", MIDNIGHT - DAY, MIDNIGHT - 1);
	int64_t id = 0;
	bool dup = true;
	size_t n = 0;

	p2.success = 50;
	p2.failures = f2;
	p2.n_failures = 1;
	t.policies = &p1;
	tap_ok(daemon_store_begin(s, false) == ERR_OK &&
		   daemon_store_report_open(s, &h, &id, &dup) == ERR_OK && !dup &&
		   daemon_store_report_add_tlsrpt(s, id, &t) == ERR_OK &&
		   daemon_store_report_finish(s, id, 1, 0) == ERR_OK &&
		   daemon_store_commit(s) == ERR_OK,
	       "TLS report 1 stored");
	h.report_id = "t2";
	t.policies = &p2;
	tap_ok(daemon_store_begin(s, false) == ERR_OK &&
		   daemon_store_report_open(s, &h, &id, &dup) == ERR_OK && !dup &&
		   daemon_store_report_add_tlsrpt(s, id, &t) == ERR_OK &&
		   daemon_store_report_finish(s, id, 1, 0) == ERR_OK &&
		   daemon_store_commit(s) == ERR_OK,
	       "TLS report 2 stored");
	tap_ok(daemon_store_report_tlsrpt(s, "example.com", NOW - 7 * DAY, &v, &n) == ERR_OK &&
		   n == 1,
	       "one (reporter, policy) line");
	tap_ok(n == 1 && v[0].success == 150 && v[0].failure == 6 &&
		   strcmp(v[0].policy_type, "sts") == 0 &&
		   strcmp(v[0].reporter, "Google Inc.") == 0,
	       "summed: 150 successful, 6 failed sessions");
	tap_is_str(n == 1 ? v[0].failure_types : NULL,
		   "certificate-expired:5,starttls-not-supported:1",
		   "failure types summed, most first");
	daemon_store_report_tlsrpt_free(v, n);
	tap_ok(daemon_store_report_tlsrpt(s, "example.com", NOW, &v, &n) == ERR_OK && n == 0,
	       "nothing after now");
	daemon_store_report_tlsrpt_free(v, n);
	f1[0].result_type = NULL;
	t.policies = &p1;
	tap_ok(daemon_store_report_add_tlsrpt(s, id, &t) == ERR_INVAL,
	       "a failure without a result type: ERR_INVAL");
	tap_ok(daemon_store_report_add_tlsrpt(s, 424242, &t) != ERR_OK, "unknown report refused");
}

static void test_failures_rejects(void)
{
	struct mail_arf f;
	struct daemon_report_head h =
	    head("failure", "mx.reporter.example", "sha-1", "example.com", NOW - 600, NOW - 600);
	struct daemon_report_failure *v = NULL;
	int64_t id = 0;
	bool dup = true;
	size_t n = 0;
	uint64_t c = 0;

	memset(&f, 0, sizeof f);
	f.auth_failure = (char *)"dmarc";
	f.source_ip = (char *)"203.0.113.66";
	f.orig_from = (char *)"ceo@example.com";
	f.orig_subject = (char *)"Invoice";
	f.dkim_domain = (char *)"";
	f.arrival = NOW - 700;
	tap_ok(daemon_store_begin(s, false) == ERR_OK &&
		   daemon_store_report_open(s, &h, &id, &dup) == ERR_OK && !dup &&
		   daemon_store_report_add_failure(s, id, &f) == ERR_OK &&
		   daemon_store_report_finish(s, id, 1, 1) == ERR_OK &&
		   daemon_store_commit(s) == ERR_OK,
	       "failure report stored (NULL fields are \"\")");
	tap_ok(daemon_store_report_failures(s, "example.com", 10, &v, &n) == ERR_OK && n == 1,
	       "one failure report");
	tap_ok(n == 1 && v[0].arrival == NOW - 700 && strcmp(v[0].source_ip, "203.0.113.66") == 0 &&
		   strcmp(v[0].from, "ceo@example.com") == 0 &&
		   strcmp(v[0].reporter, "mx.reporter.example") == 0 && *v[0].delivery_result == 0,
	       "its fields back");
	daemon_store_report_failures_free(v, n);
	tap_ok(daemon_store_report_reject_add(s, NOW - 100, "drop", "/q/1.xml", "not XML") ==
		       ERR_OK &&
		   daemon_store_report_reject_add(s, NOW - 10 * DAY, "api", NULL, "zip bomb") ==
		       ERR_OK,
	       "two rejects");
	tap_ok(daemon_store_report_rejects_count(s, NOW - DAY, &c) == ERR_OK && c == 1,
	       "one reject in the last day");
}

static void test_prune(void)
{
	uint64_t p0 = 0, f0 = 0, p1 = 0, f1 = 0, del = 0, c = 0;
	int64_t rows = qint("SELECT count(*) FROM report_rows");
	char **ips = NULL;
	size_t n = 0;

	tap_ok(daemon_store_report_counters(s, "example.com", &p0, &f0) == ERR_OK && p0 > 0,
	       "counters before");
	tap_ok(daemon_store_report_prune(s, NOW - 30 * DAY, &del) == ERR_OK && del == 1,
	       "prune at 30 days: the 60-day-old report (got %llu)", (unsigned long long)del);
	tap_is_int(qint("SELECT count(*) FROM report_rows"), rows - 1, "its row went with it");
	tap_ok(daemon_store_report_counters(s, "example.com", &p1, &f1) == ERR_OK && p1 == p0 &&
		   f1 == f0,
	       "counters never go down");
	tap_ok(daemon_store_report_rejects_count(s, 0, &c) == ERR_OK && c == 2,
	       "recent rejects kept");
	tap_ok(daemon_store_report_prune(s, NOW + 400 * DAY, &del) == ERR_OK && del > 0,
	       "prune everything");
	tap_is_int(qint("SELECT count(*) FROM reports") + qint("SELECT count(*) FROM report_rows") +
		       qint("SELECT count(*) FROM tlsrpt_policies") +
		       qint("SELECT count(*) FROM tlsrpt_failures") +
		       qint("SELECT count(*) FROM report_failures") +
		       qint("SELECT count(*) FROM report_rejects") +
		       qint("SELECT count(*) FROM report_rdns"),
		   0, "no report, row, policy, failure, reject or name left");
	tap_ok(daemon_store_report_rdns_missing(s, NOW, 0, &ips, &n) == ERR_OK && n == 0,
	       "nothing to resolve");
	free(ips);
	tap_ok(daemon_store_report_counters(s, "example.com", &p1, &f1) == ERR_OK && p1 == p0 &&
		   f1 == f0,
	       "counters still there");
	tap_ok(daemon_store_begin(s, false) == ERR_OK &&
		   daemon_store_report_prune(s, NOW, &del) == ERR_INVAL,
	       "prune inside a batch refused");
	daemon_store_rollback(s);
	tap_ok(daemon_store_integrity_check(s, NULL, 0) == ERR_OK, "integrity and foreign keys");
}

static void test_volume(void)
{
	struct daemon_report_head h =
	    head("aggregate", "big.example", "100k", "volume.example", NOW - DAY, NOW);
	struct mail_agg_record r = rec("192.0.2.1", 3, true, false, NULL);
	struct timespec t0, t1;
	struct daemon_report_totals t;
	int64_t id = 0;
	bool dup = true;
	enum mp_err e;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = daemon_store_begin(s, true);
	if (e == ERR_OK)
		e = daemon_store_report_open(s, &h, &id, &dup);
	for (int i = 0; e == ERR_OK && i < VOLUME; i++) {
		snprintf(r.source_ip, sizeof r.source_ip, "10.%d.%d.%d", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		e = daemon_store_report_add_row(s, id, &meta0, &r);
	}
	if (e == ERR_OK)
		e = daemon_store_report_finish(s, id, VOLUME, 3 * VOLUME);
	if (e == ERR_OK)
		e = daemon_store_commit(s);
	else
		daemon_store_rollback(s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	tap_ok(e == ERR_OK, "%d rows in one transaction", VOLUME);
	tap_diag("insert rate: %d rows in %.2f s = %.0f rows/s", VOLUME, secs,
		 secs > 0 ? VOLUME / secs : 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tap_ok(daemon_store_report_totals(s, "volume.example", NOW - 7 * DAY, &t) == ERR_OK &&
		   t.messages == 3 * VOLUME && t.pass == 3 * VOLUME,
	       "totals over %d rows", VOLUME);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tap_diag("totals over %d rows: %.3f s", VOLUME,
		 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	{
		struct daemon_report_source *v = NULL;
		size_t n = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		tap_ok(daemon_store_report_sources(s, "volume.example", NOW - 7 * DAY, 200, &v,
						   &n) == ERR_OK &&
			   n == 200,
		       "top 200 of %d source IPs", VOLUME);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		daemon_store_report_sources_free(v, n);
		tap_diag("sources over %d IPs: %.3f s", VOLUME,
			 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
}

static void test_migrate(void)
{
	char *p = xasprintf("%s/v5.db", tap_tmpdir()), err[256] = "";
	struct daemon_store *o = NULL;
	int64_t v = 0;

	tap_ok(daemon_store_open_at(p, 5, &o, err, sizeof err) == ERR_OK &&
		   daemon_store_version(o) == 5,
	       "a version-5 database");
	daemon_store_close(o);
	o = NULL;
	tap_ok(daemon_store_open(p, &o, err, sizeof err) == ERR_OK &&
		   daemon_store_version(o) >= 6 &&
		   daemon_store_query_int(o, "SELECT count(*) FROM report_counters", &v) == ERR_OK,
	       "upgraded to version 6 with the report tables (%s)", err);
	daemon_store_close(o);
	free(p);
}

int main(void)
{
	char *path = xasprintf("%s/r.db", tap_tmpdir()), err[256] = "";

	if (daemon_store_open(path, &s, err, sizeof err) != ERR_OK) {
		tap_ok(false, "open: %s", err);
		return tap_done();
	}
	test_all_or_nothing();
	test_refused();
	test_hostile_text();
	test_windows();
	test_sources();
	test_tlsrpt();
	test_failures_rejects();
	test_prune();
	test_volume();
	test_migrate();
	daemon_store_close(s);
	free(path);
	return tap_done();
}
