/*
 * web/api: the JSON API documents (/api/v1/...), built through common/json
 * (jansson behind one facade), so every string is valid UTF-8 whatever
 * bytes a record held (invalid sequences become U+FFFD, NUL becomes
 * \u0000).  Times are RFC 3339 UTC strings ("2024-05-01T12:03:00Z") or
 * null for "never"; keys keep a fixed order.
 *
 * Documents (version 1; fields are only ever added):
 *   /api/v1/domains       {generated_at, version, ready, status: "ok" |
 *                          "degraded" | "failing", monitoring_degraded,
 *                          domains: [summary]}
 *     summary:            {name, display, status, last_checked, url, badge,
 *                          checks: [{name, severity, state, last_checked,
 *                          last_ok}], history: [90 x "nodata" | "ok" |
 *                          "warn" | "critical", oldest first],
 *                          spf: {lookups, void_lookups} (null: unknown)}
 *   /api/v1/domains/NAME  {generated_at, domain: summary + findings:
 *                          [{check, code, severity, message, fix,
 *                          evidence}], spf.tree (the lookup tree object, or
 *                          null), transitions: [{at, check, from, to,
 *                          severity}], episodes: [episode],
 *                          probe_summary, probes: [probe], reports:
 *                          {headline, ratio_7d (null: no data), url} |
 *                          null (no report yet)}
 *   /api/v1/domains/NAME/probes  {generated_at, domain, summary:
 *                          probe_summary, probes: [probe]} (issue 4)
 *     probe_summary:      {enabled, last_roundtrip_seconds (null: none),
 *                          last_success (null: none finished)}
 *     probe:              {token, state, created, submitted, received,
 *                          roundtrip_seconds, relay, rcpt, folder, spf,
 *                          dkim, dmarc, aligned, bounce: {status, reason,
 *                          reply_code, diagnostic} | null, error, detail:
 *                          the verdict object (headers, signatures,
 *                          Authentication-Results) | null}, newest first
 *   /api/v1/domains/NAME/reports  {generated_at, domain, reports: null
 *                          (the domain never had a report) | {headline,
 *                          windows: [{days (1, 7, 30), messages, pass,
 *                          dkim_pass, spf_pass, quarantined, rejected,
 *                          ratio (pass / messages, null: no message)}],
 *                          recommendation: {policy (the p= reporters saw,
 *                          "" unknown), recommend: "quarantine" | "reject"
 *                          | null, text, record (the TXT record to publish)
 *                          | null}, sources: [source], tlsrpt: [{reporter,
 *                          policy_type, policy_domain, success, failure,
 *                          failure_7d (of failure, in the last 7 days),
 *                          failure_types: [{type, count}]}], recent:
 *                          [{kind, reporter, report_id, begin, end,
 *                          received, records, messages, container,
 *                          source}], failures: [{arrival, reporter,
 *                          source_ip, auth_failure, from, subject,
 *                          dkim_domain}], counters: {pass, fail}}} (issue 5;
 *                          RFC 7489 7.2 aggregate, RFC 8460 TLS-RPT, RFC
 *                          6591 failure reports)
 *     source:             {ip, ptr, base, reporters: [name], header_from,
 *                          auth_domains: [name], group: "aligned" |
 *                          "misaligned" | "unknown", messages, pass, ratio
 *                          (null: no message), messages_7d (of messages,
 *                          in the last 7 days), first_seen, last_seen, new},
 *                          most messages first (30 days)
 *   /api/v1/alerts        {generated_at, episodes: [episode], channels:
 *                          [{name, type, sent, failed, queued}],
 *                          readiness: [finding]}
 *     episode:            {id, domain, check, severity, open, started_at,
 *                          ended_at, summary, deliveries: [{channel, type,
 *                          status, error, attempts, updated_at}]}
 *   errors                {error: "plain words", status: 404}
 * Channels appear by name and type only: no URL, token or address exists
 * in a snapshot, so none can leak here.
 *
 * What it does not: HTTP (web/http), parsing requests.  RFCs: 8259 (JSON),
 * 3339 (timestamps).  Counters are JSON integers (capped at 2^63-1).
 */
#ifndef MAILPULSE_WEB_API_H
#define MAILPULSE_WEB_API_H

#include <stdbool.h>
#include <stddef.h>
#include "web/snapshot.h"

/* Each returns a new NUL-terminated document (caller frees with free()); *len its length. */

/* /api/v1/domains of s; pretty: indented. */
char *web_api_domains(const struct web_snapshot *s, bool pretty, size_t *len);
/* /api/v1/domains/NAME for d, one of s->domains. */
char *web_api_domain(const struct web_snapshot *s, const struct web_domain *d, bool pretty,
		     size_t *len);
/* /api/v1/domains/NAME/probes for d, one of s->domains (issue 4). */
char *web_api_probes(const struct web_snapshot *s, const struct web_domain *d, bool pretty,
		     size_t *len);
/* /api/v1/domains/NAME/reports for d, one of s->domains (issue 5). */
char *web_api_reports(const struct web_snapshot *s, const struct web_domain *d, bool pretty,
		      size_t *len);
/* /api/v1/alerts of s. */
char *web_api_alerts(const struct web_snapshot *s, bool pretty, size_t *len);
/* {"error": message, "status": status}; message is plain text (any bytes). */
char *web_api_error(int status, const char *message, size_t *len);
/* A small {key: value, ...} answer for accepted actions: {"status": "accepted", "action": action}.
 */
char *web_api_accepted(const char *action, const char *domain, size_t *len);

#endif
