/*
 * web/html: the overview, the shared page frame and the pieces both pages
 * use (see html.h), then the domain page.  The alert tables are
 * web/html_alerts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "web/html.h"
#include "web/html_alerts.h"
#include "web/html_probe.h"
#include "web/html_report.h"
#include "web/spftree.h"
#include "web/style.h"
#include "web/html_parts.h"

/* Rows of the overview's "recent alerts" table. */
#define RECENT_ALERTS 20

/* ---- words ---------------------------------------------------------- */

/* What the alert engine is doing about a check, in a few words (or NULL). */
static const char *state_note(enum web_state st)
{
	switch (st) {
	case WEB_STATE_PENDING:
		return "confirming";
	case WEB_STATE_FIRING:
		return "alert sent";
	case WEB_STATE_RESOLVING:
		return "recovering";
	case WEB_STATE_OK:
	case WEB_STATE_UNKNOWN:
		break;
	}
	return NULL;
}

static const char *state_word(enum web_state st)
{
	switch (st) {
	case WEB_STATE_OK:
		return "OK";
	case WEB_STATE_PENDING:
		return "Failing, confirming";
	case WEB_STATE_FIRING:
		return "Alerting";
	case WEB_STATE_RESOLVING:
		return "Recovering";
	case WEB_STATE_UNKNOWN:
		break;
	}
	return "Unknown";
}

static const char *day_word(enum web_day_color c)
{
	switch (c) {
	case WEB_DAY_OK:
		return "all good";
	case WEB_DAY_WARN:
		return "warnings";
	case WEB_DAY_CRIT:
		return "failures";
	case WEB_DAY_NODATA:
		break;
	}
	return "no data";
}

/* ---- frame ---------------------------------------------------------- */

/* <head> and the top bar.  title is hostile text (a domain name). */
static void begin(struct web_out *o, const struct web_snapshot *s, const char *title,
		  const char *title_suffix)
{
	char tag[16];

	web_out_put(o,
		    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	if (s != NULL && s->refresh_seconds > 0) {
		unsigned r = s->refresh_seconds < 5 ? 5 : s->refresh_seconds;

		web_out_printf(o, "<meta http-equiv=\"refresh\" content=\"%u\">\n",
			       r > 86400 ? 86400 : r);
	}
	web_out_put(o, "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	web_out_html(o, title, (size_t)-1);
	web_out_put(o, title_suffix);
	web_out_printf(o,
		       "</title>\n<link rel=\"stylesheet\" href=\"/static/style.css?v=%s\">\n"
		       "<link rel=\"icon\" href=\"data:,\">\n</head>\n<body>\n"
		       "<header class=\"top\"><a class=\"brand\" href=\"/\">mailpulse</a>",
		       web_style_tag(tag, sizeof tag));
	if (s != NULL) {
		web_out_put(o, "<span class=\"updated\">Updated ");
		web_out_time(o, s->generated_at, "never");
		web_out_put(o, "</span>");
	}
	web_out_put(o, "</header>\n<main>\n");
}

static void end(struct web_out *o, const struct web_snapshot *s)
{
	web_out_put(o, "</main>\n<footer>mailpulse");
	if (s != NULL) {
		web_out_put(o, " ");
		web_out_html(o, s->version, (size_t)-1);
		web_out_put(o, " &middot; <a href=\"/api/v1/domains\">JSON API</a> &middot; "
			       "<a href=\"/metrics\">Metrics</a>");
		if (s->refresh_seconds > 0)
			web_out_printf(o, " &middot; this page refreshes every %u s",
				       s->refresh_seconds < 5 ? 5 : s->refresh_seconds);
	}
	web_out_put(o, "</footer>\n</body>\n</html>\n");
}

static enum mp_err finish(struct web_out *o, char **out, size_t *len)
{
	return web_out_finish(o, out, len);
}

/* ---- shared pieces -------------------------------------------------- */

/*
 * The markup of every possible cell of a page (4 colours x 90 dated days),
 * made once per page: 1,000 domains make 90,000 cells.
 */
struct days {
	char cell[4][WEB_HISTORY_DAYS][64];
	size_t len[4][WEB_HISTORY_DAYS];
};

static struct days *days_new(int64_t now)
{
	struct days *dd = xcalloc(1, sizeof *dd);
	char date[16];

	for (size_t i = 0; i < WEB_HISTORY_DAYS; i++) {
		if (now > 0)
			web_out_date(now - (int64_t)(WEB_HISTORY_DAYS - 1 - i) * 86400, date,
				     sizeof date);
		else
			snprintf(date, sizeof date, "?");
		for (unsigned c = 0; c < 4; c++) {
			int n = snprintf(dd->cell[c][i], sizeof dd->cell[c][i],
					 "<i class=\"d-%s\" title=\"%s: %s\"></i>",
					 web_day_color_name((enum web_day_color)c), date,
					 day_word((enum web_day_color)c));

			dd->len[c][i] = n > 0 ? (size_t)n : 0;
		}
	}
	return dd;
}

/* The 90 daily cells, oldest first; grey is "no data", never green. */
static void days_bar(struct web_out *o, const struct web_domain *d, const struct days *dd)
{
	size_t count[4] = {0, 0, 0, 0};

	for (size_t i = 0; i < WEB_HISTORY_DAYS; i++) {
		unsigned c = (unsigned)d->days[i];

		count[c < 4 ? c : 0]++;
	}
	web_out_printf(o,
		       "<div class=\"days\" role=\"img\" aria-label=\"Last %d days: %zu all good, "
		       "%zu with warnings, %zu with failures, %zu without data\">",
		       WEB_HISTORY_DAYS, count[WEB_DAY_OK], count[WEB_DAY_WARN],
		       count[WEB_DAY_CRIT], count[WEB_DAY_NODATA]);
	for (size_t i = 0; i < WEB_HISTORY_DAYS; i++) {
		unsigned c = (unsigned)d->days[i];

		c = c < 4 ? c : WEB_DAY_NODATA;
		web_out_putn(o, dd->cell[c][i], dd->len[c][i]);
	}
	web_out_printf(o,
		       "</div><div class=\"days-axis\"><span>%d days ago</span><span>today</span>"
		       "</div>\n",
		       WEB_HISTORY_DAYS);
}

static void legend(struct web_out *o)
{
	web_out_put(o, "<div class=\"legend\"><span><i class=\"d-ok\"></i>all good</span>"
		       "<span><i class=\"d-warn\"></i>warnings</span>"
		       "<span><i class=\"d-critical\"></i>failures</span>"
		       "<span><i class=\"d-nodata\"></i>no data</span></div>\n");
}

static void check_chip(struct web_out *o, const struct web_check *c)
{
	enum web_sev sev = web_sev_parse(c->severity);
	const char *note = state_note(c->state);

	web_out_printf(o, "<li class=\"chip sev-%s\" title=\"", web_sev_name(sev));
	web_out_html(o, c->name, (size_t)-1);
	web_out_put(o, " last checked ");
	web_out_time(o, c->last_checked, "never");
	web_out_put(o, "\"><span class=\"cn\">");
	web_out_html(o, c->name, (size_t)-1);
	web_out_printf(o, "</span><span>%s%s%s</span></li>", web_html_parts_sev_word(sev),
		       note ? ", " : "", note ? note : "");
}

/* A link to /domain/NAME; the name is an A-label name but still escaped. */
static void domain_link(struct web_out *o, const struct web_domain *d)
{
	web_out_put(o, "<a href=\"/domain/");
	web_out_html(o, d->name, (size_t)-1);
	web_out_put(o, "\">");
	web_out_html(o, d->display ? d->display : d->name, (size_t)-1);
	web_out_put(o, "</a>");
}

void web_html_fix_text(struct web_out *o, const char *fix, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *tick = memchr(fix + i, '`', len - i);
		const char *close =
		    tick ? memchr(tick + 1, '`', len - (size_t)(tick + 1 - fix)) : NULL;
		const char *rec = NULL, *rec_end = NULL;
		size_t stop = close ? (size_t)(tick - fix) : len;

		/* A quoted record ("v=spf1 ... -all") outside backquotes is code too. */
		for (size_t k = i; k + 3 < stop && rec == NULL; k++) {
			if (fix[k] == '"' && fix[k + 1] == 'v' && fix[k + 2] == '=') {
				rec_end = memchr(fix + k + 1, '"', stop - k - 1);
				if (rec_end != NULL)
					rec = fix + k;
			}
		}
		if (rec != NULL) {
			web_out_html(o, fix + i, (size_t)(rec - fix) - i);
			web_out_put(o, "<code>");
			web_out_html(o, rec, (size_t)(rec_end - rec) + 1);
			web_out_put(o, "</code>");
			i = (size_t)(rec_end - fix) + 1;
			continue;
		}
		web_out_html(o, fix + i, stop - i);
		if (close == NULL)
			return;
		web_out_put(o, "<code>");
		web_out_html(o, tick + 1, (size_t)(close - tick - 1));
		web_out_put(o, "</code>");
		i = (size_t)(close - fix) + 1;
	}
}

static void finding(struct web_out *o, const struct web_finding *f)
{
	enum web_sev sev = web_sev_parse(f->severity);

	web_out_printf(o, "<li class=\"card finding sev-%s\"><div class=\"f-head\">",
		       web_sev_name(sev));
	web_html_parts_pill(o, sev,
			    sev == WEB_SEV_CRITICAL ? "Critical" : web_html_parts_sev_word(sev));
	web_out_put(o, "<span class=\"f-check\">");
	web_out_html(o, f->check, (size_t)-1);
	web_out_put(o, "</span><code class=\"f-code\">");
	web_out_html(o, f->code, (size_t)-1);
	web_out_put(o, "</code></div>\n<p class=\"f-msg\">");
	web_out_html(o, f->message, (size_t)-1);
	web_out_put(o, "</p>\n");
	if (f->fix != NULL && f->fix[0] != '\0') {
		web_out_put(o, "<div class=\"fix\"><h3>How to fix</h3><p>");
		web_html_fix_text(o, f->fix, strlen(f->fix));
		web_out_put(o, "</p></div>\n");
	}
	if (f->evidence != NULL && f->evidence_len > 0) {
		web_out_put(o, "<details><summary>Evidence</summary><pre>");
		web_out_html(o, f->evidence, f->evidence_len);
		web_out_put(o, "</pre></details>\n");
	}
	web_out_put(o, "</li>\n");
}

/* Findings worst first: indices sorted by severity rank, stable. */
static size_t *order_findings(const struct web_finding *f, size_t n)
{
	size_t *idx = xreallocarray(NULL, n ? n : 1, sizeof *idx);

	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		int r = web_sev_rank(web_sev_parse(f[i].severity));

		while (j > 0 && web_sev_rank(web_sev_parse(f[idx[j - 1]].severity)) < r) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return idx;
}

static bool is_problem(const struct web_finding *f)
{
	enum web_sev s = web_sev_parse(f->severity);

	return s == WEB_SEV_WARN || s == WEB_SEV_CRITICAL || s == WEB_SEV_UNKNOWN;
}

/* Problems as cards; what passes as a short list under <details>. */
static void findings_block(struct web_out *o, const struct web_finding *f, size_t n,
			   const char *none_text)
{
	size_t *idx = order_findings(f, n), problems = 0;

	for (size_t i = 0; i < n; i++)
		problems += is_problem(&f[i]);
	if (problems == 0)
		web_out_printf(o, "<p class=\"card\">%s</p>\n", none_text);
	else
		web_out_put(o, "<ol class=\"findings\">\n");
	for (size_t i = 0; i < problems; i++)
		finding(o, &f[idx[i]]);
	if (problems > 0)
		web_out_put(o, "</ol>\n");
	if (n > problems) {
		web_out_printf(
		    o,
		    "<details class=\"card passing\"><summary>What passes (%zu)</summary>"
		    "<ul>\n",
		    n - problems);
		for (size_t i = problems; i < n; i++) {
			web_out_put(o, "<li><span class=\"f-check\">");
			web_out_html(o, f[idx[i]].check, (size_t)-1);
			web_out_put(o, "</span> ");
			web_out_html(o, f[idx[i]].message, (size_t)-1);
			web_out_put(o, "</li>\n");
		}
		web_out_put(o, "</ul></details>\n");
	}
	free(idx);
}

/* ---- overview ------------------------------------------------------- */

struct tally {
	size_t crit, warn, unknown, ok;
};

static struct tally count_domains(const struct web_snapshot *s)
{
	struct tally t = {0, 0, 0, 0};

	for (size_t i = 0; i < s->n_domains; i++) {
		switch (web_sev_parse(s->domains[i].status)) {
		case WEB_SEV_CRITICAL:
			t.crit++;
			break;
		case WEB_SEV_WARN:
			t.warn++;
			break;
		case WEB_SEV_UNKNOWN:
			t.unknown++;
			break;
		case WEB_SEV_OK:
		case WEB_SEV_INFO:
			t.ok++;
			break;
		}
	}
	return t;
}

/* Links to the first few failing domains, for the banner. */
static void failing_links(struct web_out *o, const struct web_snapshot *s, size_t crit)
{
	size_t shown = 0;

	for (size_t i = 0; i < s->n_domains && shown < 5; i++) {
		if (web_sev_parse(s->domains[i].status) != WEB_SEV_CRITICAL)
			continue;
		web_out_put(o, shown++ == 0 ? ": " : ", ");
		domain_link(o, &s->domains[i]);
	}
	if (crit > shown)
		web_out_printf(o, " and %zu more", crit - shown);
	web_out_put(o, ".");
}

static void banner_reasons(struct web_out *o, const struct web_snapshot *s, struct tally t)
{
	if (t.crit > 0) {
		web_out_printf(o,
			       " %zu of %zu domain%s %s a problem that can get mail rejected or "
			       "let others send mail in your name",
			       t.crit, s->n_domains, web_html_parts_plural(s->n_domains),
			       t.crit == 1 ? "has" : "have");
		failing_links(o, s, t.crit);
		web_out_printf(o, " Open %s to see exactly what to fix.",
			       t.crit == 1 ? "it" : "each one");
	}
	if (t.warn > 0)
		web_out_printf(o,
			       " %zu domain%s %s warnings: mail gets through, but something "
			       "should be fixed.",
			       t.warn, web_html_parts_plural(t.warn), t.warn == 1 ? "has" : "have");
	if (t.unknown > 0)
		web_out_printf(o,
			       " %zu domain%s could not be checked; the last results stay shown.",
			       t.unknown, web_html_parts_plural(t.unknown));
	if (s->degraded)
		web_out_put(o, " mailpulse cannot reach its DNS resolver, so checks are on hold "
			       "and no domain alert is sent.");
	if (!s->ready)
		web_out_put(o, " The first round of checks is still running.");
}

static void banner(struct web_out *o, const struct web_snapshot *s)
{
	enum web_overall ov = web_snapshot_overall(s);
	struct tally t = count_domains(s);
	static const char *const h1[] = {"All good", "Degraded", "Failing"};

	web_out_printf(o, "<section class=\"banner %s\" id=\"banner\"><h1>%s</h1><p>",
		       web_overall_name(ov), h1[ov]);
	if (ov == WEB_OVERALL_GOOD && s->n_domains == 0)
		web_out_put(o, "No domain is configured yet: add a [domain NAME] section to the "
			       "configuration and reload.");
	else if (ov == WEB_OVERALL_GOOD)
		web_out_printf(o,
			       "SPF, DKIM, DMARC and the other checks pass for %s%zu domain%s. "
			       "Mail is authenticated.",
			       s->n_domains > 1 ? "all " : "", s->n_domains,
			       web_html_parts_plural(s->n_domains));
	else
		banner_reasons(o, s, t);
	web_out_put(o, "</p></section>\n");
}

static void domain_row(struct web_out *o, const struct web_domain *d, const struct days *dd)
{
	enum web_sev sev = web_sev_parse(d->status);

	web_out_put(o, "<li class=\"card dom\"><div class=\"dom-head\"><span class=\"dom-name\">");
	domain_link(o, d);
	web_out_put(o, "</span>");
	web_html_parts_pill(o, sev, web_html_parts_sev_word(sev));
	web_out_put(o, "<span class=\"dom-when\">checked ");
	web_out_time(o, d->last_checked, "not yet");
	web_out_put(o, "</span></div>\n");
	if (d->n_checks == 0)
		web_out_put(o, "<p class=\"muted\">No check has run yet.</p>\n");
	else
		web_out_put(o, "<ul class=\"checks\">");
	for (size_t j = 0; j < d->n_checks; j++)
		check_chip(o, &d->checks[j]);
	if (d->n_checks > 0)
		web_out_put(o, "</ul>\n");
	days_bar(o, d, dd);
	web_out_put(o, "</li>\n");
}

/* Domains worst first, then in snapshot order. */
static size_t *order_domains(const struct web_snapshot *s)
{
	size_t n = s->n_domains, *idx = xreallocarray(NULL, n ? n : 1, sizeof *idx);

	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		int r = web_sev_rank(web_sev_parse(s->domains[i].status));

		while (j > 0 && web_sev_rank(web_sev_parse(s->domains[idx[j - 1]].status)) < r) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return idx;
}

enum mp_err web_html_overview(const struct web_snapshot *s, char **out, size_t *len)
{
	static const char *const title[] = {"All good", "Degraded", "Failing"};
	struct web_out o;
	size_t *idx = order_domains(s);
	struct days *dd;

	dd = days_new(s->generated_at);
	web_out_init(&o, WEB_OUT_MAX);
	begin(&o, s, title[web_snapshot_overall(s)], " \xe2\x80\x93 mailpulse");
	banner(&o, s);
	web_out_printf(&o, "<h2>Domains (%zu)</h2>\n", s->n_domains);
	legend(&o);
	web_out_put(&o, "<ul class=\"domains\">\n");
	for (size_t i = 0; i < s->n_domains; i++)
		domain_row(&o, &s->domains[idx[i]], dd);
	web_out_put(&o, "</ul>\n");
	free(idx);
	free(dd);
	if (s->n_readiness > 0) {
		web_out_put(&o, "<h2>Alerting readiness</h2>\n");
		findings_block(&o, s->readiness, s->n_readiness,
			       "Alerts reach at least two people through independent channels.");
	}
	web_out_put(&o, "<h2>Recent alerts</h2>\n");
	if (s->n_episodes == 0)
		web_out_put(&o, "<p class=\"card\">No alert so far.</p>\n");
	else
		web_html_alerts_episodes(&o, s->episodes, s->n_episodes, RECENT_ALERTS,
					 s->generated_at, true);
	web_html_alerts_channels(&o, s);
	end(&o, s);
	return finish(&o, out, len);
}

enum mp_err web_html_error(int status, const char *title, const char *message, char **out,
			   size_t *len)
{
	struct web_out o;

	web_out_init(&o, 64 * 1024);
	begin(&o, NULL, title, " \xe2\x80\x93 mailpulse");
	web_out_printf(&o, "<section class=\"banner degraded\"><h1>%d ", status);
	web_out_html(&o, title, (size_t)-1);
	web_out_put(&o, "</h1><p>");
	web_out_html(&o, message, (size_t)-1);
	web_out_put(&o, "</p></section>\n<p><a href=\"/\">Back to all domains</a></p>\n");
	end(&o, NULL);
	return finish(&o, out, len);
}

/* ---- domain page ---------------------------------------------------- */

static void checks_table(struct web_out *o, const struct web_domain *d)
{
	web_out_put(o, "<h2>Checks</h2>\n");
	if (d->n_checks == 0) {
		web_out_put(o, "<p class=\"card\">No check has run yet.</p>\n");
		return;
	}
	web_html_parts_table_head(
	    o, "<th>Check</th><th>Result</th><th>Alerting</th><th>Last checked</th>"
	       "<th>Last OK</th>");
	for (size_t i = 0; i < d->n_checks; i++) {
		const struct web_check *c = &d->checks[i];
		enum web_sev sev = web_sev_parse(c->severity);

		web_out_put(o, "<tr>");
		web_html_parts_td(o, "Check");
		web_out_html(o, c->name, (size_t)-1);
		web_out_put(o, "</td>");
		web_html_parts_td(o, "Result");
		web_html_parts_pill(o, sev, web_html_parts_sev_word(sev));
		web_out_printf(o, "</td><td data-label=\"Alerting\">%s</td>", state_word(c->state));
		web_html_parts_td(o, "Last checked");
		web_out_time(o, c->last_checked, "never");
		web_out_put(o, "</td>");
		web_html_parts_td(o, "Last OK");
		web_out_time(o, c->last_ok, "never");
		web_out_put(o, "</td></tr>\n");
	}
	web_out_put(o, "</tbody></table></div>\n");
}

static void history_table(struct web_out *o, const struct web_domain *d)
{
	web_out_put(o, "<h3>State changes</h3>\n");
	if (d->n_history == 0) {
		web_out_put(o, "<p class=\"muted\">No state change recorded.</p>\n");
		return;
	}
	web_html_parts_table_head(o, "<th>When</th><th>Check</th><th>Change</th><th>Severity</th>");
	for (size_t i = 0; i < d->n_history; i++) {
		const struct web_transition *t = &d->history[i];
		enum web_sev sev = web_sev_parse(t->severity);

		web_out_put(o, "<tr>");
		web_html_parts_td(o, "When");
		web_out_time(o, t->at, "?");
		web_out_put(o, "</td>");
		web_html_parts_td(o, "Check");
		web_out_html(o, t->check, (size_t)-1);
		web_out_printf(o, "</td><td data-label=\"Change\">%s &rarr; %s</td>",
			       state_word(t->from), state_word(t->to));
		web_html_parts_td(o, "Severity");
		web_html_parts_pill(o, sev, web_html_parts_sev_word(sev));
		web_out_put(o, "</td></tr>\n");
	}
	web_out_put(o, "</tbody></table></div>\n");
}

static void domain_banner(struct web_out *o, const struct web_domain *d)
{
	enum web_sev sev = web_sev_parse(d->status);
	size_t problems = 0;
	const char *cls = sev == WEB_SEV_CRITICAL		       ? "failing"
			  : (sev == WEB_SEV_OK || sev == WEB_SEV_INFO) ? "ok"
								       : "degraded";

	for (size_t i = 0; i < d->n_findings; i++)
		problems += is_problem(&d->findings[i]);
	web_out_printf(o, "<section class=\"banner %s\" id=\"banner\"><h1>", cls);
	web_out_html(o, d->display ? d->display : d->name, (size_t)-1);
	web_out_put(o, "</h1><p>");
	if (d->display != NULL && d->name != NULL && strcmp(d->display, d->name) != 0) {
		web_out_put(o, "<span class=\"mono\">");
		web_out_html(o, d->name, (size_t)-1);
		web_out_put(o, "</span> &middot; ");
	}
	web_out_printf(o, "<b>%s.</b> ", web_html_parts_sev_word(sev));
	if (sev == WEB_SEV_UNKNOWN)
		web_out_put(o, "The last check could not read the DNS; earlier results are kept. ");
	if (problems > 0)
		web_out_printf(o, "%zu thing%s to fix, worst first. ", problems,
			       web_html_parts_plural(problems));
	else if (sev != WEB_SEV_UNKNOWN)
		web_out_put(o, "Nothing to fix. ");
	web_out_put(o, "Checked ");
	web_out_time(o, d->last_checked, "not yet");
	web_out_put(o, ".</p></section>\n");
}

static void spf_section(struct web_out *o, const struct web_domain *d)
{
	web_out_put(o, "<h2>SPF lookups</h2>\n<div class=\"card\">");
	if (d->spf_lookups < 0) {
		web_out_put(o, "<p class=\"muted\">Not known yet.</p>");
	} else {
		int v = d->spf_lookups;

		/* RFC 7208 4.6.4: at most 10 DNS-querying terms, at most 2 void lookups. */
		web_out_printf(o,
			       "<div class=\"meter-row\"><meter min=\"0\" max=\"%d\" low=\"7.5\" "
			       "high=\"10.5\" optimum=\"0\" value=\"%d\">%d of 10</meter>"
			       "<span><b>%d of 10</b> DNS lookups used (the SPF limit is 10; "
			       "past it, receivers treat SPF as broken)",
			       v > 11 ? v : 11, v, v, v);
		if (d->spf_void_lookups >= 0)
			web_out_printf(o, "; %d of 2 void lookups", d->spf_void_lookups);
		web_out_put(o, ".</span></div>\n");
	}
	if (d->spf_tree_json != NULL)
		web_spftree_html(o, d->spf_tree_json, strlen(d->spf_tree_json));
	web_out_put(o, "</div>\n");
}

enum mp_err web_html_domain(const struct web_snapshot *s, const struct web_domain *d, char **out,
			    size_t *len)
{
	struct web_out o;
	struct days *dd;

	web_out_init(&o, WEB_OUT_MAX);
	begin(&o, s, d->display ? d->display : d->name, " \xe2\x80\x93 mailpulse");
	web_out_put(&o, "<p class=\"crumbs\"><a href=\"/\">&larr; All domains</a></p>\n");
	domain_banner(&o, d);
	web_out_put(&o, "<h2>What to fix</h2>\n");
	findings_block(&o, d->findings, d->n_findings, "Nothing to fix: every check passes.");
	checks_table(&o, d);
	spf_section(&o, d);
	web_out_printf(&o, "<h2>Last %d days</h2>\n<div class=\"card\">", WEB_HISTORY_DAYS);
	legend(&o);
	dd = days_new(s->generated_at);
	days_bar(&o, d, dd);
	free(dd);
	history_table(&o, d);
	web_out_put(&o, "</div>\n");
	web_html_probe_section(&o, d);
	web_html_report_section(&o, d);
	web_out_put(&o, "<h2>Alerts</h2>\n");
	if (d->n_episodes == 0)
		web_out_put(&o, "<p class=\"card\">No alert for this domain so far.</p>\n");
	else
		web_html_alerts_episodes(&o, d->episodes, d->n_episodes, (size_t)-1,
					 s->generated_at, false);
	end(&o, s);
	return finish(&o, out, len);
}
