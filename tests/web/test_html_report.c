/*
 * tests/web/test_html_report: the Reports section of the domain page
 * (web/html_report), rendered from hostile hand-built snapshots.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "tests/web/fixture.h"
#include "tests/web/fixture_report.h"
#include "web/html.h"
#include "web/html_report.h"
#include "web/out.h"

#define NOW 1714564800 /* 2024-05-01 12:00:00 UTC */

static bool has(const char *h, size_t len, const char *needle)
{
	return memmem(h, len, needle, strlen(needle)) != NULL;
}

static size_t count(const char *h, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (const char *p = h; (p = memmem(p, len - (size_t)(p - h), needle, nl)) != NULL; p += nl)
		n++;
	return n;
}

/* Offset of needle in h, or len when absent (so "absent" sorts last). */
static size_t at(const char *h, size_t len, const char *needle)
{
	const char *p = memmem(h, len, needle, strlen(needle));

	return p ? (size_t)(p - h) : len;
}

static bool clean_utf8(const char *p, size_t len)
{
	size_t n;
	char *u = common_json_utf8_clean(p, len, &n);
	bool same = n == len && memcmp(u, p, len) == 0;

	free(u);
	return same && memchr(p, '\0', len) == NULL;
}

/* No markup a browser would run or that came from a report: no raw tag from the fixture. */
static bool inert(const char *p, size_t len)
{
	for (size_t i = 0; i + 7 <= len; i++)
		if (strncasecmp(p + i, "<script", 7) == 0 || strncasecmp(p + i, "<img", 4) == 0)
			return false;
	return !has(p, len, "<b>\xef\xbf\xbd") && !has(p, len, "<dmarc@");
}

/* The section of d alone, as a C string (caller frees). */
static char *section(const struct web_domain *d, size_t *len)
{
	struct web_out o;
	char *p = NULL;

	web_out_init(&o, WEB_OUT_MAX);
	web_html_report_section(&o, d);
	if (web_out_finish(&o, &p, len) != ERR_OK)
		return NULL;
	return p;
}

static char *fmt(void (*f)(struct web_out *, uint64_t, uint64_t), uint64_t a, uint64_t b)
{
	struct web_out o;
	char *p = NULL;
	size_t n;

	web_out_init(&o, 256);
	f(&o, a, b);
	return web_out_finish(&o, &p, &n) == ERR_OK ? p : xstrdup("(error)");
}

static void count_only(struct web_out *o, uint64_t a, uint64_t b)
{
	(void)b;
	web_html_report_count(o, a);
}

static void numbers(void)
{
	static const struct {
		uint64_t part, whole;
		const char *want;
	} pc[] = {
	    {972, 1000, "97.2%"},
	    {1, 3, "33.3%"},
	    {2, 3, "66.6%"},
	    {9996, 10000, "99.9%"},
	    {5, 5, "100.0%"},
	    {0, 7, "0.0%"},
	    {0, 0, "&mdash;"},
	    {1, 1000000, "0.0%"},
	    {UINT64_MAX, UINT64_MAX, "100.0%"},
	    {UINT64_MAX / 2, UINT64_MAX, "49.9%"},
	};
	static const struct {
		uint64_t n;
		const char *want;
	} cn[] = {
	    {0, "0"},	       {999, "999"},	       {1000, "1,000"},
	    {12345, "12,345"}, {1000000, "1,000,000"}, {UINT64_MAX, "18,446,744,073,709,551,615"},
	};

	for (size_t i = 0; i < sizeof pc / sizeof pc[0]; i++) {
		char *got = fmt(web_html_report_percent, pc[i].part, pc[i].whole);

		tap_is_str(got, pc[i].want, "percent %llu/%llu", (unsigned long long)pc[i].part,
			   (unsigned long long)pc[i].whole);
		free(got);
	}
	for (size_t i = 0; i < sizeof cn / sizeof cn[0]; i++) {
		char *got = fmt(count_only, cn[i].n, 0);

		tap_is_str(got, cn[i].want, "count %llu", (unsigned long long)cn[i].n);
		free(got);
	}
}

static void no_reports(void)
{
	struct web_snapshot *s = fixture_snapshot(NOW);
	size_t n = 0;
	char *p = section(&s->domains[1], &n);

	tap_ok(p != NULL && has(p, n, "<h2 id=\"reports\">Reports</h2>"), "section title");
	tap_ok(p != NULL && has(p, n, "No DMARC report has arrived") && has(p, n, "rua=") &&
		   has(p, n, "[reports]"),
	       "no reports: one line saying how to point rua= at mailpulse");
	tap_ok(p != NULL && !has(p, n, "<table"), "no reports: no table");
	free(p);
	web_snapshot_free(s);
}

/* Headline, windows and the recommendation box. */
static void top_part(const char *p, size_t n)
{
	tap_ok(has(p, n, "<p class=\"rep-headline\">97.2% of mail from shop.example passed DMARC"),
	       "headline in big type");
	/* Windows: 1 d empty, 7 d 972/950/900 of 1,000, 30 d 12,000 of 12,345. */
	tap_ok(has(p, n,
		   ">1 day</td><td class=\"num\" data-label=\"Messages\">0</td>"
		   "<td class=\"num\" data-label=\"DMARC pass\">&mdash;</td>"),
	       "empty window: 0 messages, pass shown as a dash");
	tap_ok(has(p, n,
		   ">7 days</td><td class=\"num\" data-label=\"Messages\">1,000</td>"
		   "<td class=\"num\" data-label=\"DMARC pass\">97.2%</td>"
		   "<td class=\"num\" data-label=\"Aligned DKIM\">95.0%</td>"
		   "<td class=\"num\" data-label=\"Aligned SPF\">90.0%</td>"
		   "<td class=\"num\" data-label=\"Quarantined\">14</td>"
		   "<td class=\"num\" data-label=\"Rejected\">14</td>"),
	       "7-day window row");
	tap_ok(has(p, n,
		   ">30 days</td><td class=\"num\" data-label=\"Messages\">12,345</td>"
		   "<td class=\"num\" data-label=\"DMARC pass\">97.2%</td>"),
	       "30-day window row (12,000 / 12,345 rounds down to 97.2%%)");
	/* Recommendation: the green box, text escaped, record in a code block. */
	tap_ok(has(p, n, "<div class=\"rec go\"><h3>Ready for <code>p=reject</code></h3>"),
	       "recommendation box for p=reject");
	tap_ok(has(p, n, "All 4 sources align &amp; pass for 30 days: &quot;reject&quot; is safe."),
	       "recommendation text escaped");
	tap_ok(has(p, n,
		   "<pre><code>v=DMARC1; p=reject; rua=mailto:&lt;dmarc@shop.example&gt;</code>"
		   "</pre>"),
	       "record to publish in a code block, escaped");
	tap_ok(has(p, n, "Reporters last saw <code>p=none</code>."), "current policy shown");
}

/* Sources grouped aligned, misaligned, unknown. */
static void sources_part(const char *p, size_t n)
{
	/* Sources: grouped aligned, misaligned, unknown; the bogus group counts as unknown. */
	tap_ok(has(p, n, "<h3>Aligned sources (2)</h3>") &&
		   has(p, n, "<h3>Misaligned sources (2)</h3>") &&
		   has(p, n, "<h3>Unknown sources (1)</h3>"),
	       "three source groups with counts (a group outside the set is unknown)");
	tap_ok(at(p, n, "Aligned sources") < at(p, n, "Misaligned sources") &&
		   at(p, n, "Misaligned sources") < at(p, n, "Unknown sources"),
	       "groups in order aligned, misaligned, unknown");
	tap_ok(at(p, n, "192.0.2.10") < at(p, n, "2001:db8::25") &&
		   at(p, n, "2001:db8::25") < at(p, n, "198.51.100.7") &&
		   at(p, n, "198.51.100.7") < at(p, n, "198.51.100.8") &&
		   at(p, n, "198.51.100.8") < at(p, n, "203.0.113.99"),
	       "sources in snapshot order within their group");
	tap_is_int((long long)count(p, n, "<span class=\"pill sev-warn\">new</span>"), 1,
		   "one new badge");
	tap_ok(has(p, n, "2001:db8::25</span> <span class=\"pill sev-warn\">new</span>"),
	       "the new badge is on the new source");
	tap_ok(has(p, n, "o1.esp.example<br><small class=\"muted\">esp.example</small>"),
	       "reverse DNS with its organisational domain");
	tap_ok(has(p, n, "google.com, &lt;script&gt;alert(9)&lt;/script&gt;"), "reporters escaped");
	tap_ok(has(p, n, "from&lt;b&gt;\xef\xbf\xbd\xef\xbf\xbd&lt;/b&gt;.example"),
	       "header_from: markup escaped, invalid UTF-8 replaced");
	tap_ok(has(p, n,
		   "data-label=\"Messages\">3,000</td><td class=\"num\" "
		   "data-label=\"Pass\">99.9%</td>"),
	       "source messages and pass %% (2,999 of 3,000 is 99.9%%, not 100%%)");
}

/* TLS-RPT, recent reports and failure reports. */
static void tables_part(const char *p, size_t n)
{
	/* TLS-RPT. */
	tap_ok(has(p, n, "<h3 id=\"report-tlsrpt\">TLS reports (30 days)</h3>"), "TLS-RPT table");
	tap_ok(has(p, n, "data-label=\"Failed\"><span class=\"pill sev-critical\">7</span>"),
	       "failed TLS sessions stand out");
	tap_ok(has(p, n, "certificate-expired:3,starttls-not-supported:4"), "failure types");
	tap_ok(has(p, n, "data-label=\"Successful\">5,000</td>"), "successful sessions");
	/* Recent reports and failure reports. */
	tap_ok(has(p, n, "data-label=\"Range\">2024-04-28 &ndash; 2024-04-29</td>"),
	       "report range as dates");
	tap_ok(has(p, n, "data-label=\"Range\">2024-04-29</td>"),
	       "a range within one day shows one date");
	tap_ok(has(p, n, "id&quot;&gt;&lt;img src=x onerror=alert(10)&gt;"), "report id escaped");
	tap_ok(has(p, n, "data-label=\"Container\">zip</td>") &&
		   has(p, n, "data-label=\"Source\">mailbox:dmarc</td>"),
	       "container and source");
	tap_ok(has(p, n, "data-label=\"Arrived\">2024-05-01 10:00 UTC</td>"),
	       "failure report arrival time");
	tap_ok(has(p, n, "Invoice \\u202Efdp.exe"), "bidi override in a subject is shown, inert");
	tap_ok(has(p, n, "data-label=\"DKIM domain\">&mdash;</td>"), "empty field shows a dash");
}

static void full_section(void)
{
	struct web_snapshot *s = fixture_report_snapshot(NOW);
	size_t n = 0;
	char *p = section(&s->domains[0], &n);

	if (!tap_ok(p != NULL, "section renders"))
		goto out;
	top_part(p, n);
	sources_part(p, n);
	tables_part(p, n);
	tap_ok(inert(p, n), "no raw markup from reports");
	tap_ok(clean_utf8(p, n), "section is valid UTF-8 without NUL");
out:
	free(p);
	web_snapshot_free(s);
}

static void neutral_recommendation(void)
{
	struct web_snapshot *s = fixture_report_snapshot(NOW);
	struct web_reports *r = s->domains[0].reports;
	size_t n = 0;
	char *p;

	free(r->recommend);
	r->recommend = xstrdup("");
	free(r->recommend_text);
	r->recommend_text = xstrdup("Not yet: 198.51.100.7 sends as you <unaligned>.");
	p = section(&s->domains[0], &n);
	tap_ok(p != NULL && !has(p, n, "rec go") && !has(p, n, "<pre><code>v=DMARC1"),
	       "no recommendation: no green box, no record");
	tap_ok(
	    p != NULL &&
		has(p, n, "<p class=\"rec\">Not yet: 198.51.100.7 sends as you &lt;unaligned&gt;."),
	    "no recommendation: a neutral line with the reason, escaped");
	free(p);
	/* A word outside the closed set is never printed as a policy. */
	free(r->recommend);
	r->recommend = xstrdup("<b>none</b>");
	p = section(&s->domains[0], &n);
	tap_ok(p != NULL && !has(p, n, "rec go") && !has(p, n, "<b>none"),
	       "unknown recommend word: neutral, not printed raw");
	free(p);
	web_snapshot_free(s);
}

static void caps(void)
{
	struct web_snapshot *s = fixture_snapshot(NOW);
	size_t n = 0;
	char *p;

	s->domains[0].reports = fixture_reports_many(WEB_HTML_REPORT_SOURCES_MAX + 13);
	p = section(&s->domains[0], &n);
	tap_ok(p != NULL && has(p, n, "<h3>Misaligned sources (63)</h3>"), "all sources counted");
	tap_is_int(p ? (long long)count(p, n, "data-label=\"IP\"") : -1,
		   WEB_HTML_REPORT_SOURCES_MAX, "table cut at WEB_HTML_REPORT_SOURCES_MAX rows");
	tap_ok(p != NULL && has(p, n,
				"13 more sources: see the JSON API (<a "
				"href=\"/api/v1/domains/shop.example/reports\">"),
	       "the cut says how many more and where");
	tap_ok(p != NULL && has(p, n, "No aggregate report data yet.") &&
		   has(p, n, "No TLS-RPT report in the last 30 days.") &&
		   has(p, n, "No report stored.") && has(p, n, "No failure report."),
	       "empty parts say so");
	free(p);
	web_snapshot_free(s);
}

/* The whole domain page: the section sits after Probes and before Alerts. */
static void domain_page(void)
{
	struct web_snapshot *s = fixture_report_snapshot(NOW);
	char *p = NULL, *p2 = NULL;
	size_t n = 0, n2 = 0;

	if (!tap_is_int(web_html_domain(s, &s->domains[0], &p, &n), ERR_OK, "domain page renders"))
		goto out;
	tap_ok(at(p, n, "<h2 id=\"probes\">") < at(p, n, "<h2 id=\"reports\">") &&
		   at(p, n, "<h2 id=\"reports\">") < at(p, n, "<h2>Alerts</h2>") &&
		   at(p, n, "<h2>Alerts</h2>") < n,
	       "Reports section after Probes, before Alerts");
	tap_ok(!has(p, n, "style=\""), "no inline style (CSP)");
	tap_ok(clean_utf8(p, n), "page is valid UTF-8 without NUL");
	tap_ok(web_html_domain(s, &s->domains[0], &p2, &n2) == ERR_OK && n == n2 &&
		   memcmp(p, p2, n) == 0,
	       "rendering is a pure function of the snapshot");
	free(p);
	p = NULL;
	if (tap_is_int(web_html_domain(s, &s->domains[1], &p, &n), ERR_OK,
		       "page of a domain without reports renders"))
		tap_ok(has(p, n, "No DMARC report has arrived"), "... with the one-line hint");
out:
	free(p);
	free(p2);
	web_snapshot_free(s);
}

int main(void)
{
	numbers();
	no_reports();
	full_section();
	neutral_recommendation();
	caps();
	domain_page();
	return tap_done();
}
