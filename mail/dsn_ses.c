/*
 * mail/dsn_ses: Amazon SES notifications by mail (SNS email subscriptions).
 * The SNS envelope {"Type":"Notification","Message":"<SES JSON>"} or the SES
 * JSON itself; from it the recipients of a Bounce (with action, status,
 * diagnostic), a Complaint or a Delivery.  Bounded: the body is capped by
 * mail/mime, and at most MAIL_DSN_MAX_RCPTS recipients are read.
 *
 * What it does not: trust the notification (SNS signatures are not checked:
 * the token of the returned message is what ties it to a probe).
 */
#include "config.h"

#include "mail/dsn_ses.h"

#include <string.h>

#include "common/json.h"
#include "common/xmalloc.h"
#include "mail/dsn_reason.h"
#include "mail/dsn_vendor.h"

/* The body with folded lines joined: a line ending in '!' continues on the
   next, whose first byte (a space) is dropped; line ends are removed. */
static char *unfold(const char *b, size_t len, size_t *outlen)
{
	char *o = xmalloc(len + 1);
	size_t n = 0;
	bool folded = false;
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(b + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - b) : len;
		size_t s = i, l = e - i;
		if (l && b[s + l - 1] == '\r')
			l--;
		if (l == 2 && b[s] == '-' && b[s + 1] == '-')
			break; /* SNS's footer ("--" then the unsubscribe text) */
		if (folded && l) {
			s++;
			l--;
		}
		folded = l && b[s + l - 1] == '!';
		if (folded)
			l--;
		memcpy(o + n, b + s, l);
		n += l;
		i = e + 1;
	}
	o[n] = '\0';
	*outlen = n;
	return o;
}

static const char *str_val(const struct common_json *v)
{
	size_t l = 0;
	const char *s = v ? common_json_str_value(v, &l) : NULL;
	return s && strlen(s) == l ? s : ""; /* no NUL inside */
}

static const char *str_of(const struct common_json *o, const char *key)
{
	return str_val(common_json_get(o, key));
}

static void set(char **dst, const char *v)
{
	mail_dsn_vendor_set_line(dst, v, strlen(v));
}

/* One bounced recipient: {"emailAddress","action","status","diagnosticCode"}. */
static void bounced(struct mail_dsn *d, const struct common_json *e, const char *preset)
{
	const char *a = str_of(e, "emailAddress");
	struct mail_dsn_rcpt *r = mail_dsn_vendor_add(d, a, strlen(a));
	if (!r)
		return;
	set(&r->action, str_of(e, "action"));
	/* RFC 3463 2: only a well-formed class 2/4/5 code is taken (the JSON
	   is as untrusted as the rest of the mail) */
	const char *st = str_of(e, "status");
	char code[16];
	if (mail_dsn_reason_find_status(st, strlen(st), code) && strlen(code) < sizeof(r->status))
		memcpy(r->status, code, strlen(code) + 1);
	const char *dc = str_of(e, "diagnosticCode");
	const char *semi = strchr(dc, ';');
	set(&r->diagnostic, semi && semi - dc < 16 ? semi + 1 : dc);
	if (preset)
		set(&r->reason, preset);
}

/* bounceType/bounceSubType pairs SES defines with a precise meaning. */
static const char *subtype_reason(const struct common_json *o)
{
	const char *t = str_of(o, "bounceType"), *s = str_of(o, "bounceSubType");
	if (strcmp(t, "Transient") == 0 && strcmp(s, "MailboxFull") == 0)
		return "mailboxfull";
	if (strcmp(t, "Transient") == 0 && strcmp(s, "MessageTooLarge") == 0)
		return "mesgtoobig";
	return NULL;
}

static void read_payload(const struct common_json *p, struct mail_dsn *d)
{
	const char *type = str_of(p, "notificationType");
	const struct common_json *o = NULL, *list = NULL;
	if (strcmp(type, "Bounce") == 0) {
		o = common_json_get(p, "bounce");
		list = common_json_get(o, "bouncedRecipients");
		d->kind = MAIL_DSN_BOUNCE;
	} else if (strcmp(type, "Complaint") == 0) {
		o = common_json_get(p, "complaint");
		list = common_json_get(o, "complainedRecipients");
		d->kind = MAIL_DSN_FEEDBACK;
	} else if (strcmp(type, "Delivery") == 0) {
		o = common_json_get(p, "delivery");
		list = common_json_get(o, "recipients");
		d->kind = MAIL_DSN_BOUNCE;
	}
	size_t n = list ? common_json_array_len(list) : 0;
	for (size_t i = 0; i < n && i < MAIL_DSN_MAX_RCPTS; i++) {
		const struct common_json *e = common_json_array_at(list, i);
		if (strcmp(type, "Bounce") == 0) {
			bounced(d, e, subtype_reason(o));
			continue;
		}
		const char *a =
		    strcmp(type, "Delivery") == 0 ? str_val(e) : str_of(e, "emailAddress");
		struct mail_dsn_rcpt *r = mail_dsn_vendor_add(d, a, strlen(a));
		if (!r)
			continue;
		if (strcmp(type, "Complaint") == 0) {
			set(&r->reason, "feedback");
			continue;
		}
		set(&r->action, "delivered");
		set(&r->diagnostic, str_of(o, "smtpResponse"));
		if (!mail_dsn_reason_find_status(r->diagnostic, strlen(r->diagnostic), r->status) ||
		    r->status[0] != '2')
			memcpy(r->status, "2.0.0", 6);
	}
}

size_t mail_dsn_ses_parse(const char *body, size_t len, struct mail_dsn *d)
{
	size_t i = 0, ul = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i >= len || body[i] != '{')
		return 0;
	char *u = unfold(body + i, len - i, &ul);
	struct common_json *j = NULL, *inner = NULL;
	size_t before = d->n_rcpts;
	enum mail_dsn_kind kind = d->kind;
	if (common_json_parse(u, ul, &j) == ERR_OK) {
		const struct common_json *p = j;
		const char *msg = str_of(j, "Message");
		if (*msg && common_json_parse(msg, strlen(msg), &inner) == ERR_OK)
			p = inner;
		read_payload(p, d);
	}
	if (d->n_rcpts == before)
		d->kind = kind;
	common_json_free(inner);
	common_json_free(j);
	free(u);
	return d->n_rcpts - before;
}
