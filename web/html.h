/*
 * web/html: the status pages, server-rendered from a snapshot: the
 * overview ("/"), a domain ("/domain/NAME") and error pages.  Plain HTML and
 * one stylesheet (web/style); no JavaScript, no inline style, so the
 * Content-Security-Policy can be strict (default-src 'none'; style-src
 * 'self').  Readable on a 375 px phone, dark by prefers-color-scheme,
 * refreshed by <meta http-equiv="refresh"> every snapshot->refresh_seconds.
 *
 * Every string of the snapshot is hostile and goes through web_out_html();
 * class names come from closed enums only, never from snapshot text.  A
 * page is a pure function of the snapshot (times are absolute, in UTC, and
 * durations of open episodes run to snapshot->generated_at), so web/http
 * may cache a rendered page for as long as the snapshot is current.
 *
 * What it does not: JSON (web/api), metrics, badges, HTTP; the SPF tree is
 * drawn by web/spftree, the alert episode and channel tables by
 * web/html_alerts, the probe and report sections by web/html_probe and
 * web/html_report.  References: HTML Living Standard (meta refresh
 * 4.2.5.3, details 4.11.1, meter 4.10.14); RFC 7208 4.6.4 (the SPF lookup
 * budget shown on a domain).
 */
#ifndef MAILPULSE_WEB_HTML_H
#define MAILPULSE_WEB_HTML_H

#include <stddef.h>
#include "common/err.h"
#include "web/out.h"
#include "web/snapshot.h"

/*
 * The overview page of s: the banner (all good / degraded / failing), a row
 * per domain (each check's state, last checked, 90 daily cells with grey
 * for no data), alerting readiness, recent alerts and the alert channels.
 * ERR_OK: *out (caller frees with free()) holds *len bytes of HTML.
 * ERR_LIMIT: the page would pass WEB_OUT_MAX.
 */
enum mp_err web_html_overview(const struct web_snapshot *s, char **out, size_t *len) MP_WUR;

/*
 * The page of domain d (one of s->domains): findings worst first with their
 * fix, the evidence, the checks, the SPF lookup tree, the 90-day history,
 * state changes and alert episodes with their deliveries.
 * Ownership and errors as web_html_overview().
 */
enum mp_err web_html_domain(const struct web_snapshot *s, const struct web_domain *d, char **out,
			    size_t *len) MP_WUR;

/*
 * A small error page: status (404, 405...), a title and a sentence, both
 * plain text (escaped here).  Ownership and errors as web_html_overview().
 */
enum mp_err web_html_error(int status, const char *title, const char *message, char **out,
			   size_t *len) MP_WUR;

/*
 * A finding's fix text: `backquoted` spans and "v=..." records become
 * <code>, everything escaped.  Exposed for the tests.
 */
void web_html_fix_text(struct web_out *o, const char *fix, size_t len);

#endif
