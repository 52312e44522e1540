/*
 * daemon/notify_mail: the alert e-mail, composed by hand as a fixed-shape
 * RFC 5322 message: multipart/alternative (RFC 2046 5.1.4) with a
 * text/plain and an HTML part, both UTF-8 in quoted-printable (RFC 2045
 * 6.7), so every line is 7-bit and at most 76 octets (RFC 5322 2.1.1 allows
 * 998).  Headers: From, To (every recipient), Subject (RFC 2047 encoded
 * words when not ASCII), Date, a unique Message-ID, In-Reply-To/References
 * to one stable id per episode so all messages of an episode thread
 * together, List-Id (RFC 2919), Auto-Submitted: auto-generated (RFC 3834
 * 5) and X-Auto-Response-Suppress (no out-of-office replies).  Line ends
 * are CRLF.
 *
 * What it does not: parse MIME (GMime does that, elsewhere), send (the SMTP
 * transport; it does dot-stuffing and the envelope), or accept internationalised
 * addresses (SMTPUTF8 is not supported: ASCII addr-specs only).  No secret is
 * an input.
 */
#ifndef MAILPULSE_DAEMON_NOTIFY_MAIL_H
#define MAILPULSE_DAEMON_NOTIFY_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/alert.h"
#include "daemon/notify.h"

#define DAEMON_NOTIFY_MAIL_MAX_TO 50

struct daemon_notify_mail_opts {
	const char *from;      /* addr-spec, "alerts@ops.example.net" */
	const char *from_name; /* display name; NULL: "mailpulse" */
	const char *const *to; /* addr-specs */
	size_t nto;	       /* 1..DAEMON_NOTIFY_MAIL_MAX_TO */
};

/*
 * True when addr is an ASCII addr-spec we can put in a header as is:
 * dot-atom local part (RFC 5322 3.4.1, no quoted strings), "@", and a
 * domain of letters, digits, hyphens and dots; at most 254 characters.
 */
bool daemon_notify_mail_addr_ok(const char *addr);

/*
 * The complete message for group g into out->body (no HTTP headers).
 * msg_id (the outbox message id, [A-Za-z0-9_-]) makes the Message-ID
 * <mailpulse.MSGID.EPISODE@FROM-DOMAIN>, stable across retries; now is the
 * Date.  Subject: "[mailpulse] CRITICAL example.com: DKIM key missing",
 * "(+N more)" when the group holds more events, "(lasted 2h 5m)" for a
 * resolve.  With o->dashboard_url ([web] public_url) both parts link the
 * domain's status page (daemon_notify_link(): the text part on a line of its
 * own, the HTML part as an <a href>).  ERR_INVAL: no event, a bad address, a
 * bad msg_id, no recipient or too many.
 */
enum mp_err daemon_notify_mail(const struct daemon_alert_group *g,
			       const struct daemon_notify_opts *o,
			       const struct daemon_notify_mail_opts *mo, const char *msg_id,
			       int64_t now, struct daemon_notify_msg *out) MP_WUR;

#endif
