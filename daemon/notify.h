/*
 * daemon/notify: the notification payloads.  Pure functions that turn an
 * alert group (daemon/alert) into the exact bytes to send: a Slack incoming
 * webhook body, a generic webhook body with its Standard Webhooks headers,
 * and (daemon/notify_mail) an RFC 5322 e-mail message.  Deterministic given
 * their inputs, time and ids included.
 *
 * What it does not: send (the HTTP and SMTP transports do), retry (the
 * outbox), or ever see a secret other than the webhook signing key, which
 * only enters the HMAC and never the output.  The webhook URL, Slack URL and
 * SMTP password are not inputs at all.
 *
 * Transport contract (for the senders):
 *  - Slack: POST body with the headers given; success is HTTP 200 with the
 *    body exactly "ok".  404, 410 and 400 with body "invalid_token",
 *    "invalid_payload", "no_text", "channel_not_found" or
 *    "channel_is_archived" are permanent (mark failed); 429 honours
 *    Retry-After; 5xx and timeouts retry with backoff.
 *  - Generic webhook: POST body with the headers given; any 2xx is success;
 *    4xx except 408/429 is permanent; 5xx, 408, 429 and timeouts retry.
 *    Retries resend the SAME msg_id (webhook-id) and may re-sign with a new
 *    timestamp (rebuild the message: the body's sent_at changes with it).
 *  - E-mail: the message is complete (CRLF line ends, lines <= 998 octets,
 *    7-bit); the envelope sender and recipients come from the config.
 *
 * Specifications: Standard Webhooks 1.0 (webhook-id, webhook-timestamp,
 * webhook-signature v1 = base64 HMAC-SHA-256 of "id.timestamp.body" under
 * the base64-decoded whsec_ secret); RFC 2104 (HMAC); RFC 3339 (times);
 * Slack Block Kit (attachments[].blocks with colour; &, < and > escaped).
 */
#ifndef MAILPULSE_DAEMON_NOTIFY_H
#define MAILPULSE_DAEMON_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/alert.h"

/* Events listed in full in one Slack or e-mail message; the rest are counted. */
#define DAEMON_NOTIFY_MAX_LISTED 20
/* Longest outbox message id accepted as webhook-id / Message-ID left part. */
#define DAEMON_NOTIFY_MAX_ID 128
/* Longest dashboard link put in a message (Slack's button limit is 3000). */
#define DAEMON_NOTIFY_MAX_LINK 2048
/* Webhook signing keys: decoded length bounds. */
#define DAEMON_NOTIFY_KEY_MIN 16
#define DAEMON_NOTIFY_KEY_MAX 1024

struct daemon_notify_opts {
	const char *dashboard_url; /* [web] public_url; NULL or "": no links */
	const char *version;	   /* shown in footers ("0.1.0"); may be NULL */
};

struct daemon_notify_header {
	char *name; /* "Content-Type" */
	char *value;
};

/* The exact bytes of one notification; free with daemon_notify_msg_free(). */
struct daemon_notify_msg {
	char *body; /* NUL-terminated for convenience; body_len is the truth */
	size_t body_len;
	struct daemon_notify_header *headers; /* HTTP request headers (none for e-mail) */
	size_t nheaders;
};

void daemon_notify_msg_free(struct daemon_notify_msg *m);

/*
 * The Slack incoming-webhook body for group g: top-level "text" (the
 * phone-notification fallback) and one attachment with the colour bar
 * (red: a critical firing, amber: a warn firing, green: all resolved, blue:
 * test) holding the blocks: a header, one section per event (check, status,
 * summary, the findings' message and fix, since when, failures, episode id),
 * a context line and, when a dashboard is configured, an "Open dashboard"
 * button (actions block) to the domain's page (daemon_notify_link()).
 * ERR_INVAL when g has no event.
 */
enum mp_err daemon_notify_slack(const struct daemon_alert_group *g,
				const struct daemon_notify_opts *o,
				struct daemon_notify_msg *out) MP_WUR;

/*
 * Decode a Standard Webhooks secret "whsec_<base64>" (the prefix is
 * optional, as in the reference libraries) into the HMAC key (*key: caller
 * frees, after wiping).  ERR_INVAL: not base64, or the key is shorter than
 * DAEMON_NOTIFY_KEY_MIN or longer than DAEMON_NOTIFY_KEY_MAX bytes.
 */
enum mp_err daemon_notify_webhook_secret(const char *secret, unsigned char **key,
					 size_t *keylen) MP_WUR;

/*
 * The generic webhook POST for ONE event ev: a versioned JSON body
 * (version "1"; fields in notify.c and mailpulse.conf(5), among them "url",
 * the domain's status page, and "dashboard_url", the overview, both null
 * without o->dashboard_url) and the headers Content-Type,
 * webhook-id (msg_id: the outbox message id, stable across retries),
 * webhook-timestamp (now) and, when key is not NULL, webhook-signature
 * "v1,<base64 HMAC-SHA-256(key, msg_id.now.body)>".  msg_id: 1 to
 * DAEMON_NOTIFY_MAX_ID characters of [A-Za-z0-9_-], else ERR_INVAL.
 */
enum mp_err daemon_notify_webhook(const struct daemon_alert_event *ev,
				  const struct daemon_notify_opts *o, const char *msg_id,
				  int64_t now, const unsigned char *key, size_t keylen,
				  struct daemon_notify_msg *out) MP_WUR;

/* ---- shared by the builders (and usable by the web layer's glue) ---- */

/* True when id is 1..DAEMON_NOTIFY_MAX_ID characters of [A-Za-z0-9_-]. */
bool daemon_notify_id_ok(const char *id);

/* "SPF", "DKIM", "DMARC", "MX", "MTA-STS", "TLS-RPT", "BIMI", "DNS", "Monitoring", or check. */
const char *daemon_notify_check_label(const char *check);

/*
 * A short title for the event: its first finding's code in words
 * ("DKIM_KEY_MISSING" -> "DKIM key missing"), or "<CHECK> failing".
 * Caller frees.
 */
char *daemon_notify_title(const struct daemon_alert_event *ev);

/*
 * The status word: "CRITICAL", "WARNING", "STILL CRITICAL", "STILL
 * WARNING", "RESOLVED", "TEST".
 */
const char *daemon_notify_status_word(const struct daemon_alert_event *ev);

/* The domain as shown: the domain, or "mailpulse" for the monitoring itself. */
const char *daemon_notify_domain_label(const char *domain);

/*
 * What the group holds, for a heading: "example.com: 1 critical, 2
 * resolved" (zero counts left out), "mailpulse: test message".  Caller frees.
 */
char *daemon_notify_headline(const struct daemon_alert_group *g);

/* "2026-08-22T14:03:00Z" (RFC 3339, UTC) into buf (size >= 32). */
const char *daemon_notify_time_rfc3339(int64_t t, char *buf, size_t bufsz);
/* "2026-08-22 14:03 UTC" into buf (size >= 32). */
const char *daemon_notify_time_text(int64_t t, char *buf, size_t bufsz);

/*
 * The status page link for domain: "<base>/domain/<name>" (web/html.c's
 * per-domain page; the name percent-encoded), the base alone for the
 * monitoring itself (domain ""), where base is o->dashboard_url ([web]
 * public_url) cut before any query or fragment, without trailing slashes,
 * and with every byte outside RFC 3986's URI characters (and every '%' not
 * starting a %XX) percent-encoded: the link never holds a space, a quote,
 * '<', '>', '|' or a backslash, so JSON escaping, HTML escaping or nothing
 * (Slack button, plain text) makes it safe in each channel.  NULL when no
 * base is configured or the link would be longer than
 * DAEMON_NOTIFY_MAX_LINK.  Caller frees.
 */
char *daemon_notify_link(const struct daemon_notify_opts *o, const char *domain);

/*
 * One line that says when: "since 2026-08-22 14:03 UTC, 3 failed checks"
 * or, resolved, "lasted 2h 5m (2026-08-22 14:03 UTC to 16:08 UTC)".
 * Caller frees.
 */
char *daemon_notify_when(const struct daemon_alert_event *ev);

#endif
