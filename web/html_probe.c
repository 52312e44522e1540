/*
 * web/html_probe: the Probes section of a domain page (see the header).
 */
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "web/html_probe.h"
#include "web/html_parts.h"

enum web_sev web_html_probe_verdict_sev(const char *w)
{
	if (w == NULL || w[0] == '\0')
		return WEB_SEV_UNKNOWN;
	if (strcmp(w, "pass") == 0)
		return WEB_SEV_OK;
	if (strcmp(w, "fail") == 0 || strcmp(w, "permerror") == 0)
		return WEB_SEV_CRITICAL;
	return WEB_SEV_WARN;
}

/* The badge class of a probe state (a closed set). */
static enum web_sev state_sev(const char *st)
{
	static const char *const bad[] = {"send_failed", "failed", "bounced", "lost"};

	if (st != NULL && strcmp(st, "verified") == 0)
		return WEB_SEV_OK;
	for (size_t i = 0; st != NULL && i < sizeof bad / sizeof bad[0]; i++)
		if (strcmp(st, bad[i]) == 0)
			return WEB_SEV_CRITICAL;
	return WEB_SEV_INFO; /* pending, submitted, received: in flight */
}

/* A pill of class sev showing the hostile word (or dash when empty). */
static void badge(struct web_out *o, enum web_sev sev, const char *word)
{
	web_out_printf(o, "<span class=\"pill sev-%s\">", web_sev_name(sev));
	if (word == NULL || word[0] == '\0')
		web_out_put(o, "&mdash;");
	else
		web_out_html(o, word, (size_t)-1);
	web_out_put(o, "</span>");
}

static void roundtrip(struct web_out *o, double s)
{
	if (s < 0)
		web_out_put(o, "&mdash;");
	else if (s < 60)
		web_out_printf(o, "%.1f s", s);
	else
		web_out_duration(o, (int64_t)(s + 0.5));
}

/* Hostile text for a <pre>: escaped, with CRLF line ends shown as plain line breaks. */
static void pre_text(struct web_out *o, const char *v, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i + 1 < len; i++) {
		if (v[i] == '\r' && v[i + 1] == '\n') {
			web_out_html(o, v + run, i - run);
			run = i + 1;
		}
	}
	web_out_html(o, v + run, len - run);
}

/* One string member of a JSON object as "<dt>label</dt><dd>value</dd>" (pre: <pre>). */
static void field(struct web_out *o, const struct common_json *j, const char *key,
		  const char *label, bool pre)
{
	size_t len = 0;
	const char *v = common_json_str_value(common_json_get(j, key), &len);

	if (v == NULL || len == 0)
		return;
	web_out_printf(o, "<dt>%s</dt><dd>%s", label, pre ? "<pre>" : "");
	if (pre)
		pre_text(o, v, len);
	else
		web_out_html(o, v, len);
	web_out_printf(o, "%s</dd>\n", pre ? "</pre>" : "");
}

/* The upstream Authentication-Results (RFC 8601) we read, one line each. */
static void upstream(struct web_out *o, const struct common_json *j)
{
	const struct common_json *a = common_json_get(j, "upstream");
	size_t n = common_json_array_len(a);

	if (n == 0)
		return;
	web_out_put(o, "<dt>Upstream Authentication-Results</dt><dd><pre>");
	for (size_t i = 0; i < n; i++) {
		const struct common_json *u = common_json_array_at(a, i);
		static const char *const keys[] = {"authserv_id", "method", "result", "props"};

		for (size_t k = 0; k < 4; k++) {
			size_t len = 0;
			const char *v = common_json_str_value(common_json_get(u, keys[k]), &len);

			web_out_put(o, k == 0 ? "" : k == 2 ? "=" : k == 1 ? "; " : " ");
			web_out_html(o, v, v ? len : 0);
		}
		web_out_put(o, "\n");
	}
	web_out_put(o, "</pre></dd>\n");
}

/* The DKIM signatures that were checked. */
static void signatures(struct web_out *o, const struct common_json *j)
{
	const struct common_json *a = common_json_get(j, "dkim");
	size_t n = common_json_array_len(a);

	if (n == 0)
		return;
	web_out_put(o, "<dt>DKIM signatures</dt><dd><pre>");
	for (size_t i = 0; i < n; i++) {
		const struct common_json *g = common_json_array_at(a, i);
		static const char *const keys[] = {"domain", "selector", "algorithm", "result",
						   "error"};
		static const char *const pfx[] = {"d=", " s=", " a=", " ", " "};

		for (size_t k = 0; k < 5; k++) {
			size_t len = 0;
			const char *v = common_json_str_value(common_json_get(g, keys[k]), &len);

			if (v == NULL || len == 0)
				continue;
			web_out_put(o, pfx[k]);
			web_out_html(o, v, len);
		}
		web_out_put(o, "\n");
	}
	web_out_put(o, "</pre></dd>\n");
}

/* The <details> of one probe: what came back, then the whole verdict. */
static void details(struct web_out *o, const struct web_probe *p)
{
	struct common_json *j = NULL;
	const char *d = p->detail_json;
	char *pretty;

	if (d == NULL || strcmp(d, "{}") == 0 || d[0] == '\0') {
		web_out_put(o, "&mdash;");
		return;
	}
	web_out_put(o, "<details><summary>Headers</summary>\n");
	if (common_json_parse(d, strlen(d), &j) != ERR_OK) {
		web_out_put(o, "<pre>");
		web_out_html(o, d, (size_t)-1);
		web_out_put(o, "</pre></details>");
		return;
	}
	web_out_put(o, "<dl>\n");
	field(o, j, "authres", "Our Authentication-Results", true);
	upstream(o, j);
	signatures(o, j);
	field(o, j, "client_ip", "Client IP", false);
	field(o, j, "helo", "HELO", false);
	field(o, j, "mail_from", "MAIL FROM", false);
	field(o, j, "relay_reply", "Relay reply", false);
	field(o, j, "headers", "Header fields", true);
	pretty = common_json_dump(j, true);
	web_out_put(o, "<dt>Verdict (JSON)</dt><dd><pre>");
	web_out_html(o, pretty, (size_t)-1);
	web_out_put(o, "</pre></dd>\n</dl></details>");
	free(pretty);
	common_json_free(j);
}

static void bounce(struct web_out *o, const struct web_probe *p)
{
	if (p->bounce_status == NULL || p->bounce_status[0] == '\0') {
		web_out_put(o, p->error && p->error[0] ? "" : "&mdash;");
	} else {
		web_out_put(o, "<span class=\"mono\">");
		web_out_html(o, p->bounce_status, (size_t)-1);
		web_out_put(o, "</span> ");
		web_out_html(o, p->bounce_reason, (size_t)-1);
		if (p->bounce_diag != NULL && p->bounce_diag[0] != '\0') {
			web_out_put(o, "<br><small>");
			web_out_html(o, p->bounce_diag, (size_t)-1);
			web_out_put(o, "</small>");
		}
	}
	if (p->error != NULL && p->error[0] != '\0') {
		web_out_put(o, "<br><small>");
		web_out_html(o, p->error, (size_t)-1);
		web_out_put(o, "</small>");
	}
}

static void row(struct web_out *o, const struct web_probe *p)
{
	bool spam = p->folder != NULL && strcmp(p->folder, "spam") == 0;

	web_out_put(o, "<tr>");
	web_html_parts_td(o, "Sent");
	web_out_time(o, p->submitted > 0 ? p->submitted : p->created, "?");
	web_out_put(o, "</td>");
	web_html_parts_td(o, "State");
	badge(o, state_sev(p->state), p->state);
	web_out_put(o, "</td>");
	web_html_parts_td(o, "Round trip");
	roundtrip(o, p->roundtrip);
	web_out_put(o, "</td>");
	web_html_parts_td(o, "Folder");
	if (spam)
		badge(o, WEB_SEV_WARN, p->folder);
	else
		web_out_html(o, p->folder && p->folder[0] ? p->folder : "\xe2\x80\x94", (size_t)-1);
	web_out_put(o, "</td>");
	web_html_parts_td(o, "SPF");
	badge(o, web_html_probe_verdict_sev(p->spf), p->spf);
	web_out_put(o, "</td>");
	web_html_parts_td(o, "DKIM");
	badge(o, web_html_probe_verdict_sev(p->dkim), p->dkim);
	web_out_put(o, "</td>");
	web_html_parts_td(o, "DMARC");
	badge(o, web_html_probe_verdict_sev(p->dmarc), p->dmarc);
	if (p->dmarc != NULL && p->dmarc[0] != '\0')
		web_out_put(o, p->aligned ? " aligned" : " <b>not aligned</b>");
	web_out_put(o, "</td>");
	web_html_parts_td(o, "Bounce");
	bounce(o, p);
	web_out_put(o, "</td>");
	web_html_parts_td(o, "Details");
	details(o, p);
	web_out_put(o, "</td></tr>\n");
}

static void summary(struct web_out *o, const struct web_domain *d)
{
	web_out_put(o, "<p>");
	if (d->probe_have_finished)
		web_out_put(o,
			    d->probe_last_success
				? "<b>The last probe came back verified</b>: SPF, DKIM and DMARC "
				  "pass and align. "
				: "<b>The last probe did not come back verified.</b> ");
	else
		web_out_put(o, "No probe has finished yet. ");
	if (d->probe_last_roundtrip >= 0) {
		web_out_put(o, "Last round trip: ");
		roundtrip(o, d->probe_last_roundtrip);
		web_out_put(o, ".");
	}
	web_out_put(o, "</p>\n");
}

void web_html_probe_section(struct web_out *o, const struct web_domain *d)
{
	size_t n = d->n_probes < WEB_HTML_PROBE_MAX ? d->n_probes : WEB_HTML_PROBE_MAX;

	if (!d->have_probes && d->n_probes == 0)
		return;
	web_out_put(o, "<h2 id=\"probes\">Probes</h2>\n<div class=\"card\">");
	summary(o, d);
	if (n == 0) {
		web_out_put(o, "<p class=\"muted\">No probe sent yet.</p></div>\n");
		return;
	}
	web_out_put(o, "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>Sent</th>"
		       "<th>State</th><th>Round trip</th><th>Folder</th><th>SPF</th><th>DKIM</th>"
		       "<th>DMARC</th><th>Bounce</th><th>Details</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++)
		row(o, &d->probes[i]);
	web_out_put(o, "</tbody></table></div></div>\n");
}
