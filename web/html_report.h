/*
 * web/html_report: the "Reports" section of a domain page (issue 5): what
 * DMARC aggregate (RFC 7489 7.2, RFC 9990), TLS-RPT (RFC 8460) and DMARC
 * failure reports (RFC 6591) said about the domain's mail.
 *
 * Content, top to bottom: the headline sentence in big type; the 1-, 7-
 * and 30-day windows (messages, DMARC pass %, aligned DKIM %, aligned SPF
 * %, quarantined, rejected); the move-to-enforcement recommendation (a
 * green box with the record to publish when mailpulse recommends
 * p=quarantine or p=reject, a plain line otherwise); the sending sources
 * grouped aligned / misaligned / unknown, with a "new" badge; the TLS-RPT
 * results; the most recent reports; the failure reports.  A domain that
 * never had a report gets one line saying how to point rua= at mailpulse.
 *
 * Every string of struct web_reports comes from strangers (reporters, the
 * senders they saw): it reaches the page only through web_out_html();
 * class names come from closed sets, never from report text.  No
 * JavaScript; the tables use the page's "stack" layout, so the section
 * reads on a phone and without the stylesheet.
 *
 * What it does not: the rest of the page (web/html), JSON (web/api),
 * computing anything (the daemon's report analysis fills the snapshot).
 */
#ifndef MAILPULSE_WEB_HTML_REPORT_H
#define MAILPULSE_WEB_HTML_REPORT_H

#include <stdint.h>
#include "web/out.h"
#include "web/snapshot.h"

/* Rows of each table on the page at most (the snapshot may hold more; the API has them all). */
#define WEB_HTML_REPORT_SOURCES_MAX 50
#define WEB_HTML_REPORT_TLSRPT_MAX 30
#define WEB_HTML_REPORT_RECENT_MAX 20
#define WEB_HTML_REPORT_FAILURES_MAX 20

/*
 * Append the Reports section of d to o (always: a domain without reports
 * gets a short "no report yet" card).
 */
void web_html_report_section(struct web_out *o, const struct web_domain *d);

/*
 * Append part of whole as a percentage with one decimal ("97.2%"), or a
 * dash when whole is 0.  Exposed for the tests.
 */
void web_html_report_percent(struct web_out *o, uint64_t part, uint64_t whole);

/* Append n with thousands separators ("12,345").  Exposed for the tests. */
void web_html_report_count(struct web_out *o, uint64_t n);

#endif
