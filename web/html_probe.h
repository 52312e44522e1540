/*
 * web/html_probe: the "Probes" section of a domain page (issue 4): a
 * summary (last round trip, whether the last finished probe was verified)
 * and a table of the last probes with their state, round trip, folder,
 * SPF/DKIM/DMARC verdict badges, alignment and bounce, each with an
 * expandable <details> holding what came back: our and the upstream
 * Authentication-Results, the DKIM signatures, the envelope, the header
 * block and the whole verdict as JSON.
 *
 * Every string of a probe is hostile (headers and bounce texts come from
 * strangers): it reaches the page only through web_out_html(); class names
 * come from closed sets, never from probe text.  detail_json is parsed
 * (common/json); when it does not parse, it is shown as escaped text.
 *
 * What it does not: the rest of the page (web/html), JSON (web/api).
 * References: RFC 8601 (Authentication-Results), RFC 3463 (status codes),
 * HTML Living Standard 4.11.1 (details).
 */
#ifndef MAILPULSE_WEB_HTML_PROBE_H
#define MAILPULSE_WEB_HTML_PROBE_H

#include "web/out.h"
#include "web/snapshot.h"

/* Probes shown on a domain page at most (the snapshot may hold more). */
#define WEB_HTML_PROBE_MAX 20

/* Append the Probes section of d to o; nothing when d neither probes nor has probes. */
void web_html_probe_section(struct web_out *o, const struct web_domain *d);

/*
 * The severity class a verdict word gets on a badge: "pass" ok; "fail",
 * "permerror" critical; "" (not verified) unknown; anything else
 * ("softfail", "neutral", "none", "temperror", "policy" ...) warn.
 */
enum web_sev web_html_probe_verdict_sev(const char *word);

#endif
