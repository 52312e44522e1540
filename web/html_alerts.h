/*
 * web/html_alerts: the alert sections of the status pages: the table of
 * alert episodes (the overview's "Recent alerts", a domain page's
 * "Alerts"), each with its check, severity, how long it was open and the
 * deliveries of its notifications, and the overview's table of alert
 * channels with their sent, failed and waiting counts.
 *
 * Every string of the snapshot is hostile and goes through web_out_html();
 * class names come from closed enums only.  Times are absolute (UTC) and
 * open episodes run to the now given, so the output is a pure function of
 * the snapshot.
 *
 * What it does not: the page frame, headings around the episode table and
 * the rest of the pages (web/html), JSON (web/api).  References: none
 * beyond HTML (tables).
 */
#ifndef MAILPULSE_WEB_HTML_ALERTS_H
#define MAILPULSE_WEB_HTML_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "web/out.h"
#include "web/snapshot.h"

/*
 * Append a table of the first max (at most n) episodes e (borrowed), open
 * ones measured to now; with_domain adds a Domain column (the overview).
 */
void web_html_alerts_episodes(struct web_out *o, const struct web_episode *e, size_t n, size_t max,
			      int64_t now, bool with_domain);

/*
 * Append the "Alert channels" heading and table of s's channels, or a
 * note that none is configured (nobody is told when mail breaks).
 */
void web_html_alerts_channels(struct web_out *o, const struct web_snapshot *s);

#endif
