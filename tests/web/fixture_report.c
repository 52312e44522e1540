/*
 * tests/web/fixture_report: hostile report snapshots (see fixture_report.h).
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "tests/web/fixture.h"
#include "tests/web/fixture_report.h"

static void window(struct web_report_window *w, unsigned days, uint64_t messages, uint64_t pass,
		   uint64_t dkim, uint64_t spf)
{
	w->days = days;
	w->messages = messages;
	w->pass = pass;
	w->dkim_pass = dkim;
	w->spf_pass = spf;
	w->quarantined = messages > pass ? (messages - pass) / 2 : 0;
	w->rejected = messages > pass ? messages - pass - w->quarantined : 0;
	w->ratio = messages == 0 ? -1 : (double)pass / (double)messages;
}

static void source(struct web_report_source *s, const char *ip, const char *ptr, const char *base,
		   const char *reporters, const char *from, const char *group, uint64_t messages,
		   uint64_t pass, bool is_new, int64_t now)
{
	s->ip = xstrdup(ip);
	s->ptr = xstrdup(ptr);
	s->base = xstrdup(base);
	s->reporters = xstrdup(reporters);
	s->header_from = xstrdup(from);
	s->auth_domains = xstrdup("shop.example, esp.example");
	s->group = xstrdup(group);
	s->messages = messages;
	s->messages_7d = messages / 4;
	s->pass = pass;
	s->first_seen = now - (is_new ? 3600 : 20 * 86400);
	s->last_seen = now - 600;
	s->is_new = is_new;
}

static void tlsrpt(struct web_tlsrpt_row *t, const char *reporter, uint64_t ok, uint64_t bad,
		   const char *types)
{
	t->reporter = xstrdup(reporter);
	t->policy_type = xstrdup("sts");
	t->policy_domain = xstrdup("shop.example");
	t->success = ok;
	t->failure = bad;
	t->failure_7d = bad / 2;
	t->failure_types = xstrdup(types);
}

static void item(struct web_report_item *x, const char *kind, const char *reporter, const char *id,
		 int64_t begin, int64_t end, uint64_t messages, const char *container)
{
	x->kind = xstrdup(kind);
	x->reporter = xstrdup(reporter);
	x->report_id = xstrdup(id);
	x->source = xstrdup("mailbox:dmarc");
	x->container = xstrdup(container);
	x->begin = begin;
	x->end = end;
	x->received = end + 3600;
	x->records = 3;
	x->messages = messages;
}

struct web_reports *fixture_reports(int64_t now)
{
	struct web_reports *r = xcalloc(1, sizeof *r);
	struct web_report_failure *f;

	r->headline = xstrdup("97.2% of mail from shop.example passed DMARC in the last 7 days "
			      "(1,000 messages)");
	window(&r->windows[0], 1, 0, 0, 0, 0);
	window(&r->windows[1], 7, 1000, 972, 950, 900);
	window(&r->windows[2], 30, 12345, 12000, 11000, 10000);
	r->recommend = xstrdup("reject");
	r->recommend_text = xstrdup(FXR_TEXT);
	r->recommend_record = xstrdup(FXR_RECORD);
	r->policy = xstrdup("none");
	r->n_sources = 5;
	r->sources = xcalloc(r->n_sources, sizeof *r->sources);
	/* Most messages first, groups interleaved: the page sorts them into groups. */
	source(&r->sources[0], "192.0.2.10", "mail.shop.example", "shop.example",
	       "google.com, " FXR_REPORTER, "shop.example", "aligned", 9000, 9000, false, now);
	source(&r->sources[1], "198.51.100.7", "", "", "yahoo.com", FXR_FROM, "misaligned", 200, 0,
	       false, now);
	source(&r->sources[2], "2001:db8::25", "o1.esp.example", "esp.example", "google.com",
	       "shop.example", "aligned", 3000, 2999, true, now);
	source(&r->sources[3], "203.0.113.99", "", "", "google.com", "shop.example", "bogus", 100,
	       1, false, now);
	source(&r->sources[4], "198.51.100.8", "spoof.example", "spoof.example", "google.com",
	       "shop.example", "misaligned", 45, 0, false, now);
	r->n_tlsrpt = 2;
	r->tlsrpt = xcalloc(r->n_tlsrpt, sizeof *r->tlsrpt);
	tlsrpt(&r->tlsrpt[0], "google.com", 5000, 0, "");
	tlsrpt(&r->tlsrpt[1], FXR_REPORTER, 10, 7,
	       "certificate-expired:3,starttls-not-supported:4");
	r->n_recent = 3;
	r->recent = xcalloc(r->n_recent, sizeof *r->recent);
	item(&r->recent[0], "aggregate", "google.com", "1234567890", now - 2 * 86400, now - 86400,
	     900, "zip");
	item(&r->recent[1], "tlsrpt", "google.com", "2024-04-30T00:00:00Z_shop.example",
	     now - 2 * 86400, now - 2 * 86400 + 3600, 0, "gzip");
	item(&r->recent[2], "aggregate", FXR_REPORTER, FXR_REPORT_ID, now - 3 * 86400,
	     now - 2 * 86400, 100, "email");
	r->n_failures = 1;
	r->failures = f = xcalloc(1, sizeof *r->failures);
	f->arrival = now - 7200;
	f->reporter = xstrdup(FXR_REPORTER);
	f->source_ip = xstrdup("198.51.100.7");
	f->auth_failure = xstrdup("dmarc");
	f->from = xstrdup(FXR_FROM);
	f->subject = xstrdup(FXR_SUBJECT);
	f->dkim_domain = xstrdup("");
	r->counter_pass = 120000;
	r->counter_fail = 3456;
	return r;
}

struct web_snapshot *fixture_report_snapshot(int64_t now)
{
	struct web_snapshot *s = fixture_snapshot(now);

	s->domains[0].reports = fixture_reports(now);
	return s;
}

struct web_reports *fixture_reports_many(size_t n)
{
	struct web_reports *r = xcalloc(1, sizeof *r);

	r->headline = xstrdup("");
	r->recommend = xstrdup("");
	r->recommend_text = xstrdup("");
	r->recommend_record = xstrdup("");
	r->policy = xstrdup("");
	for (size_t i = 0; i < WEB_REPORT_WINDOWS; i++)
		window(&r->windows[i], i == 0 ? 1 : i == 1 ? 7 : 30, 0, 0, 0, 0);
	r->n_sources = n;
	r->sources = xcalloc(n, sizeof *r->sources);
	for (size_t i = 0; i < n; i++) {
		char ip[32];

		snprintf(ip, sizeof ip, "192.0.2.%zu", i % 256);
		source(&r->sources[i], ip, "", "", "google.com", "many.example", "misaligned", 10,
		       0, false, 0);
	}
	return r;
}
