/*
 * tests/web/test_api_reports: /api/v1/domains/NAME/reports and the reports
 * summary of /api/v1/domains/NAME (web/api), and the report families of
 * /metrics (web/metrics), from hostile hand-built snapshots (issue 5).
 */
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "tests/web/fixture.h"
#include "tests/web/fixture_report.h"
#include "web/api.h"
#include "web/metrics.h"

#define NOW 1714564800 /* 2024-05-01 12:00:00 UTC */

static bool has(const char *h, size_t len, const char *needle)
{
	return memmem(h, len, needle, strlen(needle)) != NULL;
}

static bool str_is(const struct common_json *v, const char *want, size_t want_len)
{
	size_t n = 0;
	const char *s = common_json_str_value(v, &n);

	return s != NULL && n == want_len && memcmp(s, want, n) == 0;
}

#define STR_IS(v, lit) str_is((v), (lit), sizeof(lit) - 1)

static bool int_is(const struct common_json *v, long long want)
{
	long long got = 0;

	return common_json_int_value(v, &got) && got == want;
}

static const struct common_json *get(const struct common_json *v, const char *key)
{
	return common_json_get(v, key);
}

static const struct common_json *at(const struct common_json *v, size_t i, const char *key)
{
	return common_json_get(common_json_array_at(v, i), key);
}

/* A value that is present and JSON null (dumped back to check). */
static bool is_null(const struct common_json *v)
{
	char *s;
	bool r;

	if (v == NULL)
		return false;
	s = common_json_dump(v, false);
	r = strcmp(s, "null") == 0;
	free(s);
	return r;
}

/*
 * The document as text (kept in *keep, caller frees) and parsed.  Call as
 * doc(web_api_x(..., &n), &n, ...): the length is read after the call.
 */
static struct common_json *doc(char *text, const size_t *lenp, const char *what, char **keep)
{
	struct common_json *j = NULL;
	size_t len = *lenp;

	tap_ok(text != NULL && strlen(text) == len, "%s: length matches", what);
	if (!tap_ok(common_json_parse(text, len, &j) == ERR_OK, "%s: valid JSON", what))
		j = NULL;
	*keep = text;
	return j;
}

/* The sources, TLS-RPT rows, recent and failure reports of the document r (text t). */
static void report_lists(const struct common_json *r, const char *t, size_t n)
{
	const struct common_json *src, *tls, *rc, *f;

	src = get(r, "sources");
	tap_is_int((long long)common_json_array_len(src), 5, "every source");
	tap_ok(STR_IS(at(src, 0, "ip"), "192.0.2.10") && STR_IS(at(src, 0, "group"), "aligned") &&
		   int_is(at(src, 0, "messages"), 9000) && int_is(at(src, 0, "pass"), 9000) &&
		   int_is(at(src, 0, "messages_7d"), 2250) &&
		   STR_IS(at(src, 0, "first_seen"), "2024-04-11T12:00:00Z") &&
		   STR_IS(at(src, 0, "ptr"), "mail.shop.example") &&
		   STR_IS(at(src, 0, "base"), "shop.example"),
	       "source fields in snapshot order");
	tap_ok(common_json_array_len(at(src, 0, "reporters")) == 2 &&
		   STR_IS(common_json_array_at(at(src, 0, "reporters"), 0), "google.com") &&
		   STR_IS(common_json_array_at(at(src, 0, "reporters"), 1), FXR_REPORTER),
	       "reporters split into an array, hostile name intact");
	tap_ok(common_json_array_len(at(src, 0, "auth_domains")) == 2 &&
		   STR_IS(common_json_array_at(at(src, 0, "auth_domains"), 1), "esp.example"),
	       "auth_domains split");
	tap_ok(is_null(at(src, 1, "ratio")) == false && has(t, n, "\"new\":true"),
	       "ratio and new flag present");
	tap_ok(STR_IS(at(src, 1, "header_from"), "from<b>\xef\xbf\xbd\xef\xbf\xbd</b>.example"),
	       "invalid UTF-8 in header_from becomes U+FFFD");
	tap_ok(STR_IS(at(src, 3, "group"), "bogus"), "group passed through as the snapshot says");
	tls = get(r, "tlsrpt");
	tap_ok(common_json_array_len(tls) == 2 && int_is(at(tls, 1, "failure"), 7) &&
		   int_is(at(tls, 1, "failure_7d"), 3) && int_is(at(tls, 1, "success"), 10) &&
		   STR_IS(at(tls, 1, "policy_type"), "sts"),
	       "TLS-RPT rows");
	tap_ok(common_json_array_len(at(tls, 1, "failure_types")) == 2 &&
		   STR_IS(at(at(tls, 1, "failure_types"), 0, "type"), "certificate-expired") &&
		   int_is(at(at(tls, 1, "failure_types"), 0, "count"), 3) &&
		   STR_IS(at(at(tls, 1, "failure_types"), 1, "type"), "starttls-not-supported") &&
		   int_is(at(at(tls, 1, "failure_types"), 1, "count"), 4),
	       "failure types parsed into {type, count}");
	tap_is_int((long long)common_json_array_len(at(tls, 0, "failure_types")), 0,
		   "no failure types: empty array");
	rc = get(r, "recent");
	tap_ok(common_json_array_len(rc) == 3 && STR_IS(at(rc, 0, "kind"), "aggregate") &&
		   STR_IS(at(rc, 0, "begin"), "2024-04-29T12:00:00Z") &&
		   STR_IS(at(rc, 0, "end"), "2024-04-30T12:00:00Z") &&
		   int_is(at(rc, 0, "messages"), 900) && int_is(at(rc, 0, "records"), 3) &&
		   STR_IS(at(rc, 0, "container"), "zip") &&
		   STR_IS(at(rc, 2, "report_id"), FXR_REPORT_ID),
	       "recent reports");
	f = get(r, "failures");
	tap_ok(common_json_array_len(f) == 1 &&
		   STR_IS(at(f, 0, "arrival"), "2024-05-01T10:00:00Z") &&
		   STR_IS(at(f, 0, "subject"), FXR_SUBJECT) &&
		   STR_IS(at(f, 0, "source_ip"), "198.51.100.7"),
	       "failure reports");
	tap_ok(int_is(get(get(r, "counters"), "pass"), 120000) &&
		   int_is(get(get(r, "counters"), "fail"), 3456),
	       "counters");
}

static void reports_doc(const struct web_snapshot *s)
{
	size_t n = 0;
	char *text = web_api_reports(s, &s->domains[0], false, &n), *t = NULL;
	struct common_json *j = doc(text, &n, "reports", &t);
	const struct common_json *r = get(j, "reports"), *w, *rec;

	if (j == NULL)
		goto out;
	tap_ok(STR_IS(get(j, "generated_at"), "2024-05-01T12:00:00Z") &&
		   STR_IS(get(j, "domain"), "shop.example"),
	       "generated_at and domain");
	tap_ok(STR_IS(get(r, "headline"), "97.2% of mail from shop.example passed DMARC in the "
					  "last 7 days (1,000 messages)"),
	       "headline");
	w = get(r, "windows");
	tap_is_int((long long)common_json_array_len(w), 3, "three windows");
	tap_ok(int_is(at(w, 0, "days"), 1) && int_is(at(w, 0, "messages"), 0) &&
		   is_null(at(w, 0, "ratio")),
	       "1-day window without messages: ratio null");
	tap_ok(int_is(at(w, 1, "days"), 7) && int_is(at(w, 1, "messages"), 1000) &&
		   int_is(at(w, 1, "pass"), 972) && int_is(at(w, 1, "dkim_pass"), 950) &&
		   int_is(at(w, 1, "spf_pass"), 900) && int_is(at(w, 1, "quarantined"), 14) &&
		   int_is(at(w, 1, "rejected"), 14),
	       "7-day window counts");
	tap_ok(has(t, n, "\"ratio\":0.97"), "7-day ratio is a real 0.97..");
	rec = get(r, "recommendation");
	tap_ok(STR_IS(get(rec, "policy"), "none") && STR_IS(get(rec, "recommend"), "reject") &&
		   STR_IS(get(rec, "text"), FXR_TEXT) && STR_IS(get(rec, "record"), FXR_RECORD),
	       "recommendation: policy, recommend, text, record intact");
	report_lists(r, t, n);
out:
	common_json_free(j);
	free(t);
}

static void null_and_summary(const struct web_snapshot *s)
{
	size_t n = 0;
	char *t = NULL;
	struct common_json *j = doc(web_api_reports(s, &s->domains[1], true, &n), &n,
				    "reports of a domain without any", &t);

	tap_ok(j != NULL && is_null(get(j, "reports")) && STR_IS(get(j, "domain"), "example.com"),
	       "no report: reports is null");
	common_json_free(j);
	free(t);
	j = doc(web_api_domain(s, &s->domains[0], false, &n), &n, "domain document", &t);
	tap_ok(STR_IS(get(get(get(j, "domain"), "reports"), "headline"),
		      "97.2% of mail from shop.example passed DMARC in the last 7 days "
		      "(1,000 messages)") &&
		   STR_IS(get(get(get(j, "domain"), "reports"), "url"),
			  "/api/v1/domains/shop.example/reports"),
	       "domain document: reports summary with headline and link");
	tap_ok(t != NULL && has(t, n, "\"ratio_7d\":0.97"), "summary: the 7-day ratio");
	common_json_free(j);
	free(t);
	j = doc(web_api_domain(s, &s->domains[1], false, &n), &n, "domain without reports", &t);
	tap_ok(is_null(get(get(j, "domain"), "reports")), "domain document: reports null");
	common_json_free(j);
	free(t);
}

/* Unparseable failure types and odd lists keep their text; huge counters are capped. */
static void odd_values(void)
{
	struct web_snapshot *s = fixture_report_snapshot(NOW);
	struct web_reports *r = s->domains[0].reports;
	size_t n = 0;
	char *t = NULL;
	struct common_json *j;
	const struct common_json *tls, *src;

	free(r->tlsrpt[1].failure_types);
	r->tlsrpt[1].failure_types =
	    xstrdup("weird,:5,x:,a:b:2,,sts-webpki-invalid:99999999999999999999");
	free(r->sources[0].reporters);
	r->sources[0].reporters = xstrdup(" , a.example ,,b.example, ");
	r->counter_pass = UINT64_MAX;
	r->windows[1].ratio = -1;
	j = doc(web_api_reports(s, &s->domains[0], false, &n), &n, "odd values", &t);
	tls = at(get(get(j, "reports"), "tlsrpt"), 1, "failure_types");
	tap_is_int((long long)common_json_array_len(tls), 5, "five non-empty failure items");
	tap_ok(STR_IS(at(tls, 0, "type"), "weird") && is_null(at(tls, 0, "count")),
	       "no count: whole text, count null");
	tap_ok(STR_IS(at(tls, 1, "type"), ":5") && is_null(at(tls, 1, "count")),
	       "no type: whole text");
	tap_ok(STR_IS(at(tls, 2, "type"), "x:") && is_null(at(tls, 2, "count")),
	       "no digits: whole text");
	tap_ok(STR_IS(at(tls, 3, "type"), "a:b") && int_is(at(tls, 3, "count"), 2),
	       "the last colon splits");
	tap_ok(is_null(at(tls, 4, "count")), "count past 2^64: whole text, count null");
	src = at(get(get(j, "reports"), "sources"), 0, "reporters");
	tap_ok(common_json_array_len(src) == 2 &&
		   STR_IS(common_json_array_at(src, 0), "a.example") &&
		   STR_IS(common_json_array_at(src, 1), "b.example"),
	       "list items trimmed, empty ones dropped");
	tap_ok(int_is(get(get(get(j, "reports"), "counters"), "pass"), INT64_MAX),
	       "a counter past 2^63-1 is capped");
	tap_ok(is_null(at(get(get(j, "reports"), "windows"), 1, "ratio")), "ratio < 0 is null");
	common_json_free(j);
	free(t);
	web_snapshot_free(s);
}

/* The sample line "name{labels} value" is in the page exactly. */
static bool sample(const char *p, size_t n, const char *line)
{
	char *l = xasprintf("\n%s\n", line);
	bool r = has(p, n, l);

	free(l);
	return r;
}

static void metrics(const struct web_snapshot *s)
{
	char *p = NULL;
	size_t n = 0;

	if (!tap_is_int(web_metrics_render(s, &p, &n), ERR_OK, "metrics render"))
		return;
	tap_ok(has(p, n, "# HELP mailpulse_dmarc_messages_total ") &&
		   has(p, n, "# TYPE mailpulse_dmarc_messages_total counter\n"),
	       "messages counter: HELP and TYPE");
	tap_ok(sample(p, n,
		      "mailpulse_dmarc_messages_total{domain=\"shop.example\",result=\"pass\"} "
		      "120000") &&
		   sample(p, n,
			  "mailpulse_dmarc_messages_total{domain=\"shop.example\",result=\"fail\"} "
			  "3456"),
	       "pass and fail counters");
	tap_ok(!has(p, n, "mailpulse_dmarc_messages_total{domain=\"example.com\""),
	       "no samples for a domain without reports");
	tap_ok(has(p, n, "# TYPE mailpulse_dmarc_pass_ratio gauge\n"), "ratio gauge TYPE");
	tap_ok(
	    sample(p, n, "mailpulse_dmarc_pass_ratio{domain=\"shop.example\",window=\"7d\"} 0.972"),
	    "7-day ratio");
	tap_ok(
	    sample(p, n,
		   "mailpulse_dmarc_pass_ratio{domain=\"shop.example\",window=\"30d\"} 0.972053"),
	    "30-day ratio");
	tap_ok(!has(p, n, "window=\"1d\""), "a window without messages has no sample");
	tap_ok(sample(p, n, "mailpulse_tlsrpt_failed_sessions{domain=\"shop.example\"} 7"),
	       "failed TLS sessions summed over the rows");
	tap_ok(
	    sample(p, n, "mailpulse_report_sources{domain=\"shop.example\",group=\"aligned\"} 2") &&
		sample(p, n,
		       "mailpulse_report_sources{domain=\"shop.example\",group=\"misaligned\"} "
		       "2") &&
		sample(p, n,
		       "mailpulse_report_sources{domain=\"shop.example\",group=\"unknown\"} 1"),
	    "sources by group (a group outside the set counts as unknown)");
	tap_ok(has(p, n, "# TYPE mailpulse_report_sources gauge\n# HELP") ||
		   has(p, n, "# TYPE mailpulse_report_sources gauge\nmailpulse_report_sources{"),
	       "sources family grouped under its TYPE");
	free(p);
}

/* A domain whose name needs label escaping (a snapshot may hold anything). */
static void metrics_escape(void)
{
	struct web_snapshot *s = fixture_single(NOW, "ok");
	char *p = NULL;
	size_t n = 0;

	free(s->domains[0].name);
	s->domains[0].name = xstrdup("odd\"na\\me\n.example");
	s->domains[0].reports = fixture_reports(NOW);
	if (tap_is_int(web_metrics_render(s, &p, &n), ERR_OK, "metrics of an odd name render"))
		tap_ok(
		    sample(p, n,
			   "mailpulse_dmarc_messages_total{domain=\"odd\\\"na\\\\me\\n.example\","
			   "result=\"pass\"} 120000"),
		    "domain label escaped");
	free(p);
	web_snapshot_free(s);
}

int main(void)
{
	struct web_snapshot *s = fixture_report_snapshot(NOW);

	reports_doc(s);
	null_and_summary(s);
	metrics(s);
	web_snapshot_free(s);
	odd_values();
	metrics_escape();
	return tap_done();
}
