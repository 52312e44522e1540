/*
 * web/html_alerts: the alert sections of the status pages (see
 * html_alerts.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include "web/html_alerts.h"
#include "web/html_parts.h"

static void delivery(struct web_out *o, const struct web_delivery *d)
{
	web_out_put(o, "<li>");
	web_out_html(o, d->channel, (size_t)-1);
	web_out_put(o, " <span class=\"muted\">(");
	web_out_html(o, d->type, (size_t)-1);
	web_out_put(o, ")</span>: <b>");
	web_out_html(o, d->status, (size_t)-1);
	web_out_printf(o, "</b> after %u attempt%s, ", d->attempts,
		       web_html_parts_plural(d->attempts));
	web_out_time(o, d->updated_at, "time unknown");
	if (d->error != NULL) {
		web_out_put(o, " &mdash; ");
		web_out_html(o, d->error, (size_t)-1);
	}
	web_out_put(o, "</li>\n");
}

/* "open for 12 min" or "resolved after 3 h 5 min". */
static void episode_status(struct web_out *o, const struct web_episode *e, int64_t now)
{
	if (e->open) {
		web_out_put(o, "open for ");
		web_out_duration(o, now - e->started_at);
	} else {
		web_out_put(o, "resolved after ");
		web_out_duration(o, e->ended_at - e->started_at);
	}
}

/* One alert episode as a table row; with_domain for the overview. */
static void episode_row(struct web_out *o, const struct web_episode *e, int64_t now,
			bool with_domain)
{
	enum web_sev sev = web_sev_parse(e->severity);

	web_out_put(o, "<tr>");
	web_html_parts_td(o, "Started");
	web_out_time(o, e->started_at, "?");
	web_out_put(o, "</td>");
	if (with_domain) {
		web_html_parts_td(o, "Domain");
		web_out_html(o, e->domain, (size_t)-1);
		web_out_put(o, "</td>");
	}
	web_html_parts_td(o, "Check");
	web_out_html(o, e->check, (size_t)-1);
	web_out_put(o, "</td>");
	web_html_parts_td(o, "Severity");
	web_html_parts_pill(o, sev,
			    sev == WEB_SEV_CRITICAL ? "Critical" : web_html_parts_sev_word(sev));
	web_out_put(o, "</td>");
	web_html_parts_td(o, "Status");
	episode_status(o, e, now);
	web_out_put(o, "</td>");
	web_html_parts_td(o, "What happened");
	web_out_put(o, "<div>");
	web_out_html(o, e->summary, (size_t)-1);
	if (e->n_deliveries > 0) {
		web_out_put(o, "<ul class=\"deliveries\">\n");
		for (size_t j = 0; j < e->n_deliveries; j++)
			delivery(o, &e->deliveries[j]);
		web_out_put(o, "</ul>");
	} else {
		web_out_put(o, "<div class=\"muted\">no notification</div>");
	}
	web_out_put(o, "<div class=\"muted mono\">");
	web_out_html(o, e->id, (size_t)-1);
	web_out_put(o, "</div></div></td></tr>\n");
}

void web_html_alerts_episodes(struct web_out *o, const struct web_episode *e, size_t n, size_t max,
			      int64_t now, bool with_domain)
{
	web_html_parts_table_head(
	    o, with_domain ? "<th>Started</th><th>Domain</th><th>Check</th><th>Severity</th>"
			     "<th>Status</th><th>What happened</th>"
			   : "<th>Started</th><th>Check</th><th>Severity</th><th>Status</th>"
			     "<th>What happened</th>");
	for (size_t i = 0; i < n && i < max; i++)
		episode_row(o, &e[i], now, with_domain);
	web_out_put(o, "</tbody></table></div>\n");
}

void web_html_alerts_channels(struct web_out *o, const struct web_snapshot *s)
{
	web_out_put(o, "<h2>Alert channels</h2>\n");
	if (s->n_channels == 0) {
		web_out_put(o, "<p class=\"card\">No alert channel is configured: nobody is told "
			       "when mail breaks. Add an [alert NAME] section.</p>\n");
		return;
	}
	web_html_parts_table_head(o, "<th>Channel</th><th>Type</th><th class=\"num\">Sent</th>"
				     "<th class=\"num\">Failed</th><th class=\"num\">Waiting</th>");
	for (size_t i = 0; i < s->n_channels; i++) {
		const struct web_channel *c = &s->channels[i];

		web_out_put(o, "<tr>");
		web_html_parts_td(o, "Channel");
		web_out_html(o, c->name, (size_t)-1);
		web_out_put(o, "</td>");
		web_html_parts_td(o, "Type");
		web_out_html(o, c->type, (size_t)-1);
		web_out_printf(o,
			       "</td><td data-label=\"Sent\" class=\"num\">%llu</td>"
			       "<td data-label=\"Failed\" class=\"num\">%s%llu%s</td>"
			       "<td data-label=\"Waiting\" class=\"num\">%zu</td></tr>\n",
			       (unsigned long long)c->sent,
			       c->failed ? "<b class=\"pill sev-critical\">" : "",
			       (unsigned long long)c->failed, c->failed ? "</b>" : "", c->queued);
	}
	web_out_put(o, "</tbody></table></div>\n");
}
