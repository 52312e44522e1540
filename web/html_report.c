/*
 * web/html_report: the Reports section of a domain page (see the header).
 */
#include <stdint.h>
#include <string.h>
#include "web/html_report.h"
#include "web/html_parts.h"

/* The three source groups, in page order (a closed set: anything else is "unknown"). */
enum group { G_ALIGNED, G_MISALIGNED, G_UNKNOWN, G_COUNT };

static const char *const group_title[G_COUNT] = {
    "Aligned sources",
    "Misaligned sources",
    "Unknown sources",
};
/* One literal per element (clang's -Wstring-concatenation). */
#define NOTE_MISALIGNED                                                                            \
	"Authorised but not aligned: SPF or DKIM passed, but for another domain than the "         \
	"From domain, typically an e-mail service without custom DKIM. Sign with a DKIM key "      \
	"of your domain there (or set a custom MAIL FROM) so its mail aligns."
#define NOTE_UNKNOWN                                                                               \
	"Nothing passed: neither SPF nor DKIM. Either a sender you forgot (add it to SPF "         \
	"and sign with DKIM) or someone spoofing your domain (p=reject stops them)."
static const char *const group_note[G_COUNT] = {
    "Mail that passed DMARC: SPF or DKIM aligned with the From domain.",
    NOTE_MISALIGNED,
    NOTE_UNKNOWN,
};

static enum group group_of(const char *g)
{
	if (g != NULL && strcmp(g, "aligned") == 0)
		return G_ALIGNED;
	if (g != NULL && strcmp(g, "misaligned") == 0)
		return G_MISALIGNED;
	return G_UNKNOWN;
}

void web_html_report_count(struct web_out *o, uint64_t n)
{
	char digits[32];
	int len = 0;

	do {
		digits[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	while (len > 0) {
		char c = digits[--len];

		web_out_putn(o, &c, 1);
		if (len > 0 && len % 3 == 0)
			web_out_put(o, ",");
	}
}

/*
 * Rounded down to a tenth, so "100.0%" means every message and 99.96% is
 * shown as 99.9%: the launch-ready bar is 100% (DESIGN.md 1).
 */
void web_html_report_percent(struct web_out *o, uint64_t part, uint64_t whole)
{
	uint64_t permille;

	if (whole == 0) {
		web_out_put(o, "&mdash;");
		return;
	}
	while (part > UINT64_MAX / 1000 || whole > UINT64_MAX / 1000) {
		part >>= 10;
		whole >>= 10;
	}
	if (whole == 0) {
		web_out_put(o, "&mdash;");
		return;
	}
	permille = part * 1000 / whole;
	web_out_printf(o, "%llu.%llu%%", (unsigned long long)(permille / 10),
		       (unsigned long long)(permille % 10));
}

static void td_num(struct web_out *o, const char *label)
{
	web_out_printf(o, "<td class=\"num\" data-label=\"%s\">", label);
}

/* A hostile string, or a dash when empty. */
static void text(struct web_out *o, const char *s)
{
	if (s == NULL || s[0] == '\0')
		web_out_put(o, "&mdash;");
	else
		web_out_html(o, s, (size_t)-1);
}

static void cell_text(struct web_out *o, const char *label, const char *s)
{
	web_html_parts_td(o, label);
	text(o, s);
	web_out_put(o, "</td>");
}

static void cell_count(struct web_out *o, const char *label, uint64_t n)
{
	td_num(o, label);
	web_html_report_count(o, n);
	web_out_put(o, "</td>");
}

static void cell_percent(struct web_out *o, const char *label, uint64_t part, uint64_t whole)
{
	td_num(o, label);
	web_html_report_percent(o, part, whole);
	web_out_put(o, "</td>");
}

static void table_end(struct web_out *o)
{
	web_out_put(o, "</tbody></table></div>\n");
}

/* "12 more sources: see the JSON API" under a cut table, linking the domain's document. */
static void more(struct web_out *o, const char *name, size_t shown, size_t total, const char *what)
{
	if (total <= shown)
		return;
	web_out_printf(
	    o, "<p class=\"muted\">%zu more %s: see the JSON API (<a href=\"/api/v1/domains/",
	    total - shown, what);
	web_out_html(o, name, (size_t)-1);
	web_out_put(o, "/reports\">/api/v1/domains/");
	web_out_html(o, name, (size_t)-1);
	web_out_put(o, "/reports</a>).</p>\n");
}

/* ---- windows and recommendation ------------------------------------- */

static void windows(struct web_out *o, const struct web_reports *r)
{
	web_html_parts_table_head(
	    o, "<th>Window</th><th class=\"num\">Messages</th><th class=\"num\">DMARC "
	       "pass</th><th class=\"num\">Aligned DKIM</th><th class=\"num\">Aligned "
	       "SPF</th><th class=\"num\">Quarantined</th><th class=\"num\">Rejected</th>");
	for (size_t i = 0; i < WEB_REPORT_WINDOWS; i++) {
		const struct web_report_window *w = &r->windows[i];

		web_out_put(o, "<tr>");
		web_html_parts_td(o, "Window");
		web_out_printf(o, "%u day%s</td>", w->days, w->days == 1 ? "" : "s");
		cell_count(o, "Messages", w->messages);
		cell_percent(o, "DMARC pass", w->pass, w->messages);
		cell_percent(o, "Aligned DKIM", w->dkim_pass, w->messages);
		cell_percent(o, "Aligned SPF", w->spf_pass, w->messages);
		cell_count(o, "Quarantined", w->quarantined);
		cell_count(o, "Rejected", w->rejected);
		web_out_put(o, "</tr>\n");
	}
	table_end(o);
}

/* RFC 7489 6.3 p=: "quarantine" and "reject" are the enforcing policies. */
static bool enforcing(const char *rec)
{
	return rec != NULL && (strcmp(rec, "quarantine") == 0 || strcmp(rec, "reject") == 0);
}

static void recommendation(struct web_out *o, const struct web_reports *r)
{
	bool go = enforcing(r->recommend);

	if (r->policy != NULL && r->policy[0] != '\0') {
		web_out_put(o, "<p>Reporters last saw <code>p=");
		web_out_html(o, r->policy, (size_t)-1);
		web_out_put(o, "</code>.</p>\n");
	}
	if (!go) {
		if (r->recommend_text != NULL && r->recommend_text[0] != '\0') {
			web_out_put(o, "<p class=\"rec\">");
			web_out_html(o, r->recommend_text, (size_t)-1);
			web_out_put(o, "</p>\n");
		}
		return;
	}
	/* go is true only for the two literal words above: safe to print. */
	web_out_printf(o, "<div class=\"rec go\"><h3>Ready for <code>p=%s</code></h3>\n<p>",
		       r->recommend);
	web_out_html(o, r->recommend_text, (size_t)-1);
	web_out_put(o, "</p>\n");
	if (r->recommend_record != NULL && r->recommend_record[0] != '\0') {
		web_out_put(
		    o, "<p>Publish this record (TXT at <code>_dmarc</code>):</p>\n<pre><code>");
		web_out_html(o, r->recommend_record, (size_t)-1);
		web_out_put(o, "</code></pre>\n");
	}
	web_out_put(o, "</div>\n");
}

/* ---- sources -------------------------------------------------------- */

static void source_row(struct web_out *o, const struct web_report_source *s)
{
	web_out_put(o, "<tr>");
	web_html_parts_td(o, "IP");
	web_out_put(o, "<span class=\"mono\">");
	text(o, s->ip);
	web_out_put(o, "</span>");
	if (s->is_new)
		web_out_put(o, " <span class=\"pill sev-warn\">new</span>");
	web_out_put(o, "</td>");
	web_html_parts_td(o, "Reverse DNS");
	text(o, s->ptr);
	if (s->base != NULL && s->base[0] != '\0') {
		web_out_put(o, "<br><small class=\"muted\">");
		web_out_html(o, s->base, (size_t)-1);
		web_out_put(o, "</small>");
	}
	web_out_put(o, "</td>");
	cell_text(o, "Reporters", s->reporters);
	cell_text(o, "Header From", s->header_from);
	cell_count(o, "Messages", s->messages);
	cell_percent(o, "Pass", s->pass, s->messages);
	web_out_put(o, "</tr>\n");
}

static void source_group(struct web_out *o, const char *name, const struct web_reports *r,
			 enum group g)
{
	size_t total = 0, shown = 0;

	for (size_t i = 0; i < r->n_sources; i++)
		total += group_of(r->sources[i].group) == g;
	if (total == 0)
		return;
	web_out_printf(o, "<h3>%s (%zu)</h3>\n<p class=\"muted\">%s</p>\n", group_title[g], total,
		       group_note[g]);
	web_html_parts_table_head(
	    o, "<th>IP</th><th>Reverse DNS</th><th>Reporters</th><th>Header From</th>"
	       "<th class=\"num\">Messages</th><th class=\"num\">Pass</th>");
	for (size_t i = 0; i < r->n_sources && shown < WEB_HTML_REPORT_SOURCES_MAX; i++) {
		if (group_of(r->sources[i].group) != g)
			continue;
		source_row(o, &r->sources[i]);
		shown++;
	}
	table_end(o);
	more(o, name, shown, total, "sources");
}

static void sources(struct web_out *o, const char *name, const struct web_reports *r)
{
	web_out_put(o, "<h3 id=\"report-sources\">Sending sources (30 days)</h3>\n");
	if (r->n_sources == 0) {
		web_out_put(o, "<p class=\"muted\">No source in the last 30 days.</p>\n");
		return;
	}
	for (enum group g = G_ALIGNED; g < G_COUNT; g++)
		source_group(o, name, r, g);
}

/* ---- TLS-RPT, recent reports, failure reports ----------------------- */

/* RFC 8460 4.4: summary counts of successful and failed sessions per policy. */
static void tlsrpt(struct web_out *o, const char *name, const struct web_reports *r)
{
	size_t n =
	    r->n_tlsrpt < WEB_HTML_REPORT_TLSRPT_MAX ? r->n_tlsrpt : WEB_HTML_REPORT_TLSRPT_MAX;

	web_out_put(o, "<h3 id=\"report-tlsrpt\">TLS reports (30 days)</h3>\n");
	if (n == 0) {
		web_out_put(o, "<p class=\"muted\">No TLS-RPT report in the last 30 days.</p>\n");
		return;
	}
	web_html_parts_table_head(
	    o, "<th>Reporter</th><th>Policy</th><th>Policy domain</th><th "
	       "class=\"num\">Successful</th><th class=\"num\">Failed</th><th>Failure "
	       "types</th>");
	for (size_t i = 0; i < n; i++) {
		const struct web_tlsrpt_row *t = &r->tlsrpt[i];

		web_out_put(o, "<tr>");
		cell_text(o, "Reporter", t->reporter);
		cell_text(o, "Policy", t->policy_type);
		cell_text(o, "Policy domain", t->policy_domain);
		cell_count(o, "Successful", t->success);
		td_num(o, "Failed");
		if (t->failure > 0)
			web_out_put(o, "<span class=\"pill sev-critical\">");
		web_html_report_count(o, t->failure);
		web_out_put(o, t->failure > 0 ? "</span></td>" : "</td>");
		cell_text(o, "Failure types", t->failure_types);
		web_out_put(o, "</tr>\n");
	}
	table_end(o);
	more(o, name, n, r->n_tlsrpt, "TLS-RPT rows");
}

/* "2024-04-30 – 2024-05-01", or one date when the range is within a day. */
static void range(struct web_out *o, int64_t begin, int64_t end)
{
	char a[16], b[16];

	web_out_date(begin, a, sizeof a);
	web_out_date(end, b, sizeof b);
	web_out_put(o, a);
	if (strcmp(a, b) != 0) {
		web_out_put(o, " &ndash; ");
		web_out_put(o, b);
	}
}

static void recent(struct web_out *o, const char *name, const struct web_reports *r)
{
	size_t n =
	    r->n_recent < WEB_HTML_REPORT_RECENT_MAX ? r->n_recent : WEB_HTML_REPORT_RECENT_MAX;

	web_out_put(o, "<h3 id=\"report-recent\">Recent reports</h3>\n");
	if (n == 0) {
		web_out_put(o, "<p class=\"muted\">No report stored.</p>\n");
		return;
	}
	web_html_parts_table_head(
	    o, "<th>Kind</th><th>Reporter</th><th>Report ID</th><th>Range</th><th "
	       "class=\"num\">Messages</th><th>Container</th><th>Source</th>");
	for (size_t i = 0; i < n; i++) {
		const struct web_report_item *x = &r->recent[i];

		web_out_put(o, "<tr>");
		cell_text(o, "Kind", x->kind);
		cell_text(o, "Reporter", x->reporter);
		web_html_parts_td(o, "Report ID");
		web_out_put(o, "<span class=\"mono\">");
		text(o, x->report_id);
		web_out_put(o, "</span></td>");
		web_html_parts_td(o, "Range");
		range(o, x->begin, x->end);
		web_out_put(o, "</td>");
		cell_count(o, "Messages", x->messages);
		cell_text(o, "Container", x->container);
		cell_text(o, "Source", x->source);
		web_out_put(o, "</tr>\n");
	}
	table_end(o);
	more(o, name, n, r->n_recent, "reports");
}

/* RFC 6591: one row per failure report (an ARF message about one failed message). */
static void failures(struct web_out *o, const char *name, const struct web_reports *r)
{
	size_t n = r->n_failures < WEB_HTML_REPORT_FAILURES_MAX ? r->n_failures
								: WEB_HTML_REPORT_FAILURES_MAX;

	web_out_put(o, "<h3 id=\"report-failures\">Failure reports</h3>\n");
	if (n == 0) {
		web_out_put(o, "<p class=\"muted\">No failure report.</p>\n");
		return;
	}
	web_html_parts_table_head(
	    o, "<th>Arrived</th><th>Reporter</th><th>Source IP</th><th>Failure</th>"
	       "<th>From</th><th>Subject</th><th>DKIM domain</th>");
	for (size_t i = 0; i < n; i++) {
		const struct web_report_failure *f = &r->failures[i];

		web_out_put(o, "<tr>");
		web_html_parts_td(o, "Arrived");
		web_out_time(o, f->arrival, "&mdash;");
		web_out_put(o, "</td>");
		cell_text(o, "Reporter", f->reporter);
		web_html_parts_td(o, "Source IP");
		web_out_put(o, "<span class=\"mono\">");
		text(o, f->source_ip);
		web_out_put(o, "</span></td>");
		cell_text(o, "Failure", f->auth_failure);
		cell_text(o, "From", f->from);
		cell_text(o, "Subject", f->subject);
		cell_text(o, "DKIM domain", f->dkim_domain);
		web_out_put(o, "</tr>\n");
	}
	table_end(o);
	more(o, name, n, r->n_failures, "failure reports");
}

void web_html_report_section(struct web_out *o, const struct web_domain *d)
{
	const struct web_reports *r = d->reports;

	web_out_put(o, "<h2 id=\"reports\">Reports</h2>\n");
	if (r == NULL) {
		web_out_put(o, "<p class=\"card\">No DMARC report has arrived for this domain yet. "
			       "To receive them, point the <code>rua=</code> tag of your DMARC "
			       "record at mailpulse's report address (see mailpulse.conf(5), "
			       "section <code>[reports]</code>).</p>\n");
		return;
	}
	web_out_put(o, "<div class=\"card\">\n<p class=\"rep-headline\">");
	if (r->headline != NULL && r->headline[0] != '\0')
		web_out_html(o, r->headline, (size_t)-1);
	else
		web_out_put(o, "No aggregate report data yet.");
	web_out_put(o, "</p>\n");
	windows(o, r);
	recommendation(o, r);
	sources(o, d->name, r);
	tlsrpt(o, d->name, r);
	recent(o, d->name, r);
	failures(o, d->name, r);
	web_out_put(o, "</div>\n");
}
