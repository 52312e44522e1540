/*
 * mail/dsn: is this message a bounce, an auto-reply or a feedback report,
 * and for a bounce, what happened to each recipient.
 *
 * Order of the checks:
 *  1. RFC 5965 ARF: multipart/report; report-type=feedback-report, or a
 *     message/feedback-report part: kind feedback (reason "feedback").
 *  2. RFC 3464 / RFC 6533: a message/delivery-status (or
 *     message/global-delivery-status) part: kind dsn; its per-recipient
 *     blocks give the recipients (split here: RFC 3464 2.1 "groups of
 *     fields separated by a blank line", parsed as RFC 5322 header fields).
 *  3. A bounce without a report, recognised by its sender (MAILER-DAEMON,
 *     postmaster), X-Failed-Recipients (Exim) or subject, read by shape in
 *     mail/dsn_vendor.
 *  4. RFC 3834 auto-replies (Auto-Submitted: auto-replied, X-Autoreply,
 *     Precedence: auto_reply, "Out of Office"/vacation subjects): kind
 *     autoreply (reason "vacation").
 *  0. Amazon SES notifications (JSON by SNS mail, mail/dsn_ses) before all.
 * Each recipient then gets its status (RFC 3463; the enhanced code inside
 * Diagnostic-Code wins over an X.0.0 Status, as Exim writes, and a precise
 * X.[1-9].[1-9] code of the remote server wins over the reporter's), reply
 * code (RFC 5321 4.2; repeats of a multiline reply dropped), remote host,
 * reason and hard/soft.  The reason: the words of the MTA that wrote the
 * bounce (mail/dsn_lhost) or a field of its report preset it; for vague
 * ones the remote provider's tables (mail/dsn_rhost) come next; then the
 * general rules (mail/dsn_reason).  The
 * probe token comes from the VERP address the bounce was sent to, else from
 * the returned message (X-Mailpulse-Probe, Message-ID) via mail/probe.
 *
 * What it does not: fetch mail, store results, or trust anything: every
 * string it returns is one line of bounded, cleaned text.
 */
#include "config.h"

#include "mail/dsn.h"

#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/dsn_lhost.h"
#include "mail/dsn_reason.h"
#include "mail/dsn_rhost.h"
#include "mail/dsn_ses.h"
#include "mail/dsn_vendor.h"
#include "mail/mime.h"
#include "mail/probe.h"

#define DSN_MAX_BODY MAIL_DSN_MAX_BODY
#define DSN_MIME_FLAGS MAIL_DSN_MIME_FLAGS
#define DSN_FIELD_MAX 2048
/* The failed command and the MTA's signature line sit at the top of a
   bounce's text; what follows is mostly the returned message. */
#define DSN_TEXT_SCAN 4096

const char *mail_dsn_kind_name(enum mail_dsn_kind k)
{
	switch (k) {
	case MAIL_DSN_BOUNCE:
		return "dsn";
	case MAIL_DSN_AUTOREPLY:
		return "autoreply";
	case MAIL_DSN_FEEDBACK:
		return "feedback";
	case MAIL_DSN_NONE:
		break;
	}
	return "none";
}

static const char *hdr(const struct mail_mime *m, const char *name)
{
	return mail_mime_header_get(m->headers, m->n_headers, name, 0);
}

static bool ieq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* Whether part i lies inside a returned message (message/rfc822 ...). */
static bool inside_message(const struct mail_mime *m, size_t i)
{
	for (int p = m->parts[i].parent; p >= 0; p = m->parts[p].parent)
		if (strncmp(m->parts[p].type, "message/", 8) == 0)
			return true;
	return false;
}

/* The first part of the given type outside returned messages, or -1. */
static int find_part(const struct mail_mime *m, const char *type)
{
	for (size_t i = 0; i < m->n_parts; i++)
		if (strcmp(m->parts[i].type, type) == 0 && !inside_message(m, i))
			return (int)i;
	return -1;
}

/* ---- RFC 3464 delivery-status fields ------------------------------------ */

/* One field of a block: name and unfolded value, cut at DSN_FIELD_MAX. */
struct dsn_field {
	char name[40];
	char value[DSN_FIELD_MAX];
	size_t vlen;
};

/*
 * Read the next field at *pos of body into f; false at a blank line (block
 * end) or the end.  RFC 5322 2.2.3: a line starting with white space
 * continues the previous field.
 */
static bool next_field(const char *b, size_t len, size_t *pos, struct dsn_field *f)
{
	size_t i = *pos;
	while (i < len) {
		const char *nl = memchr(b + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - b) : len;
		size_t l = e - i;
		if (l && b[i + l - 1] == '\r')
			l--;
		if (l == 0 || (l == 1 && b[i] == ' ')) {
			*pos = e + 1;
			return false;
		}
		const char *colon = memchr(b + i, ':', l);
		if (b[i] == ' ' || b[i] == '\t' || !colon) {
			i = e + 1; /* stray continuation: skip */
			continue;
		}
		size_t nl_len = (size_t)(colon - (b + i));
		if (nl_len >= sizeof(f->name))
			nl_len = sizeof(f->name) - 1;
		memcpy(f->name, b + i, nl_len);
		f->name[nl_len] = '\0';
		f->vlen = 0;
		size_t vs = (size_t)(colon - b) + 1;
		for (;;) {
			size_t take = i + l - vs;
			if (take > sizeof(f->value) - 1 - f->vlen)
				take = sizeof(f->value) - 1 - f->vlen;
			memcpy(f->value + f->vlen, b + vs, take);
			f->vlen += take;
			i = e + 1;
			if (i >= len || (b[i] != ' ' && b[i] != '\t'))
				break;
			nl = memchr(b + i, '\n', len - i);
			e = nl ? (size_t)(nl - b) : len;
			l = e - i;
			if (l && b[i + l - 1] == '\r')
				l--;
			if (f->vlen < sizeof(f->value) - 1)
				f->value[f->vlen++] = ' ';
			vs = i;
		}
		f->value[f->vlen] = '\0';
		*pos = i;
		return true;
	}
	*pos = len;
	return false;
}

/* Value after the RFC 3464 2.1.2 type ("rfc822;", "dns;", "smtp;"). */
static const char *after_type(const char *v)
{
	const char *semi = strchr(v, ';');
	if (semi && semi - v < 16)
		v = semi + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

/* PowerMTA's own classification of the failure, as a preset reason. */
static void bounce_category(struct mail_dsn_rcpt *r, const char *v)
{
	static const struct {
		const char *cat, *reason;
	} cats[] = {
	    {"bad-domain", "hostunknown"},	   {"bad-mailbox", "userunknown"},
	    {"message-expired", "expired"},	   {"no-answer-from-host", "networkerror"},
	    {"policy-related", "policyviolation"}, {"quota-issues", "mailboxfull"},
	    {"routing-errors", "systemerror"},	   {"spam-related", "spamdetected"},
	};
	while (*v == ' ')
		v++;
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		if (strncasecmp(v, cats[i].cat, strlen(cats[i].cat)) == 0) {
			free(r->reason);
			r->reason = xstrdup(cats[i].reason);
		}
}

/* Apply one per-recipient field (RFC 3464 2.3) to r. */
static void rcpt_field(struct mail_dsn_rcpt *r, const struct dsn_field *f)
{
	if (ieq(f->name, "Action")) {
		mail_dsn_vendor_set_line(&r->action, f->value, f->vlen);
		common_str_lower(r->action);
		char *sp = strchr(r->action, ' ');
		if (sp)
			*sp = '\0';
	} else if (ieq(f->name, "Status")) {
		char st[16];
		if (mail_dsn_reason_find_status(f->value, f->vlen, st))
			memcpy(r->status, st, sizeof(r->status));
	} else if (ieq(f->name, "Diagnostic-Code")) {
		const char *v = after_type(f->value);
		mail_dsn_vendor_set_line(&r->diagnostic, v, strlen(v));
		/* RFC 3464 2.3.6: an X-Unix diagnostic comes from a local
		   program (procmail, a pipe), not from an SMTP server */
		if (strncasecmp(f->value, "x-unix", 6) == 0) {
			free(r->reason);
			r->reason = xstrdup("mailererror");
		}
	} else if (ieq(f->name, "X-PowerMTA-BounceCategory")) {
		bounce_category(r, f->value);
	} else if (ieq(f->name, "Remote-MTA")) {
		const char *v = after_type(f->value);
		mail_dsn_vendor_set_line(&r->remote_host, v, strlen(v));
	}
}

/* Parse the delivery-status body into recipients of d. */
static void parse_delivery_status(const char *b, size_t len, struct mail_dsn *d)
{
	size_t pos = 0;
	struct dsn_field fbuf, *f = &fbuf; /* 2 KB on the stack: no malloc per report */
	unsigned guard = 0;
	while (pos < len && guard++ < 4 * MAIL_DSN_MAX_RCPTS + 64) {
		struct mail_dsn_rcpt *r = NULL;
		char orig[DSN_FIELD_MAX] = "";
		size_t start = pos;
		while (next_field(b, len, &pos, f)) {
			if (ieq(f->name, "Final-Recipient") || ieq(f->name, "X-Actual-Recipient")) {
				if (!r || ieq(f->name, "Final-Recipient"))
					r = mail_dsn_vendor_add(d, f->value, f->vlen);
			} else if (ieq(f->name, "Original-Recipient")) {
				memcpy(orig, f->value, f->vlen + 1);
			} else if (r) {
				rcpt_field(r, f);
			}
		}
		if (!r && *orig) {
			/* no Final-Recipient: use the original one and re-read */
			r = mail_dsn_vendor_add(d, orig, strlen(orig));
			size_t p2 = start;
			while (r && next_field(b, len, &p2, f))
				rcpt_field(r, f);
		}
		if (pos == start)
			pos++;
	}
}

/* ---- finishing recipients ------------------------------------------------ */

/* "host NAME" or "NAME said:" in a diagnostic gives the remote MTA. */
static void remote_from_diag(struct mail_dsn_rcpt *r)
{
	const char *d = r->diagnostic;
	const char *h = NULL;
	for (const char *p = d; *p && !h; p++) {
		if (p != d && p[-1] != ' ' && p[-1] != '(')
			continue;
		if (strncasecmp(p, "host ", 5) == 0)
			h = p + 5;
		else if (strncasecmp(p, "host: ", 6) == 0)
			h = p + 6;
	}
	if (!h)
		return;
	size_t n = 0;
	while (h[n] && h[n] != ' ' && h[n] != '[' && h[n] != ']' && h[n] != ':' && h[n] != ',' &&
	       h[n] != ')' && h[n] != '(' && n < 255)
		n++;
	if (n > 3 && memchr(h, '.', n))
		mail_dsn_vendor_set_line(&r->remote_host, h, n);
}

/* Words of a text without a code that say the MTA will try again. */
static bool says_retry(const char *d, size_t dl)
{
	static const char *const w[] = {"will be retried",
					"will retry",
					"will continue to be",
					"has been delayed",
					"delivery is delayed",
					"not yet been delivered",
					"temporary failure",
					"delayed",
					NULL};
	for (size_t i = 0; w[i]; i++)
		if (mail_dsn_reason_match(d, dl, w[i]))
			return true;
	return false;
}

/* What the bounce as a whole says, for each recipient's verdict. */
struct finish_ctx {
	const char *text_cmd;	 /* SMTP command named in the text, or "" */
	enum mail_dsn_lhost mta; /* the MTA that wrote the bounce */
	const char *msg_reason;	 /* the reason the MTA gave for all, or NULL */
};

/* Sisimai retries these; a host table may sharpen them. */
static bool vague_reason(const char *r)
{
	static const char *const v[] = {
	    "undefined",    "onhold",	   "systemerror", "securityerror",
	    "networkerror", "hostunknown", "userunknown", NULL};
	if (!r)
		return true;
	for (size_t i = 0; v[i]; i++)
		if (strcmp(r, v[i]) == 0)
			return true;
	return false;
}

static const char *decide_reason(const struct mail_dsn_rcpt *r, const struct finish_ctx *fc,
				 struct mail_dsn_reason_in *in)
{
	size_t dl = strlen(r->diagnostic);
	in->preset = mail_dsn_lhost_reason(fc->mta, r->diagnostic, dl, in->command);
	if (!in->preset && *r->reason)
		in->preset = r->reason;
	if (!in->preset)
		in->preset = fc->msg_reason;
	if (vague_reason(in->preset)) {
		const char *at = strrchr(r->address, '@');
		struct mail_dsn_rhost_in h = {
		    .rhost = r->remote_host,
		    .domain = at ? at + 1 : "",
		    .status = r->status,
		    .reply_code = r->reply_code,
		    .command = in->command,
		    .diag = r->diagnostic,
		};
		const char *x = mail_dsn_rhost_reason(&h);
		if (x)
			return x;
	}
	return mail_dsn_reason_classify(in);
}

/*
 * RFC 5321 4.2.1: a multiline reply repeats its code on every line
 * ("550-5.7.1 text 550-5.7.1 more 550 5.7.1 end"); once the lines are joined
 * the repeats split the sentences, so drop every repeat after the first.
 */
static void join_multiline(struct mail_dsn_rcpt *r)
{
	char code[8];
	const char *d = r->diagnostic;
	if (!r->reply_code)
		return;
	snprintf(code, sizeof(code), " %d-", r->reply_code);
	if (!strstr(d, code))
		return;
	size_t sl = strlen(r->status), n = 0, len = strlen(d);
	char *o = xmalloc(len + 1);
	for (size_t i = 0; i < len;) {
		if (i > 0 && d[i - 1] == ' ' && len - i >= 4 && strncmp(d + i, code + 1, 3) == 0 &&
		    (d[i + 3] == '-' || d[i + 3] == ' ')) {
			i += 4;
			if (sl && strncmp(d + i, r->status, sl) == 0 &&
			    (d[i + sl] == ' ' || !d[i + sl]))
				i += sl;
			while (d[i] == ' ')
				i++;
			continue;
		}
		o[n++] = d[i++];
	}
	mail_dsn_vendor_set_line(&r->diagnostic, o, n);
	free(o);
}

/*
 * The status code a diagnostic gives: a qmail-style "(#5.1.1)" first, then
 * one right after a reply code ("550 5.1.1", "550-5.1.1"), else the first
 * one anywhere.
 */
static bool diag_status(const char *d, size_t dl, char out[16])
{
	for (size_t i = 0; i + 3 < dl; i++)
		if (d[i] == '(' && d[i + 1] == '#' &&
		    mail_dsn_reason_find_status(d + i + 2, 8, out) &&
		    strncmp(d + i + 2, out, strlen(out)) == 0)
			return true;
	for (size_t i = 0; i + 5 < dl; i++) {
		bool word = i == 0 || d[i - 1] == ' ' || d[i - 1] == ';' || d[i - 1] == '\'';
		if (!word || !(d[i] >= '2' && d[i] <= '5') || d[i + 1] < '0' || d[i + 1] > '9' ||
		    d[i + 2] < '0' || d[i + 2] > '9' || (d[i + 3] != ' ' && d[i + 3] != '-'))
			continue;
		size_t k = i + 4 + (d[i + 4] == '#');
		if (k < dl && mail_dsn_reason_find_status(d + k, dl - k < 12 ? dl - k : 12, out) &&
		    strncmp(d + k, out, strlen(out)) == 0)
			return true;
	}
	return mail_dsn_reason_find_status(d, dl, out);
}

static void finish_rcpt(struct mail_dsn_rcpt *r, const struct finish_ctx *fc)
{
	char ds[16];
	size_t dl = strlen(r->diagnostic);
	bool have = diag_status(r->diagnostic, dl, ds);
	size_t sl = strlen(r->status);
	/* Exim writes Status: 5.0.0 and the real code only in Diagnostic-Code;
	   a precise code from the remote server beats the reporter's own. */
	bool vague = sl == 0 || (sl == 5 && strcmp(r->status + 1, ".0.0") == 0);
	bool precise = have && (ds[0] == '4' || ds[0] == '5') && ds[2] >= '1' && ds[2] <= '9' &&
		       ds[3] == '.' && ds[4] >= '1' && ds[4] <= '9' && ds[5] == '\0';
	if (have && ((vague && (sl == 0 || ds[0] == r->status[0])) || precise))
		memcpy(r->status, ds, sizeof(ds));
	r->reply_code = mail_dsn_reason_find_reply(r->diagnostic, dl);
	if (r->reply_code && r->status[0] && r->status[0] - '0' != r->reply_code / 100)
		r->reply_code = 0;
	join_multiline(r);
	dl = strlen(r->diagnostic);
	if (!*r->remote_host)
		remote_from_diag(r);
	if (!*r->action) {
		const char *a =
		    (r->status[0] == '4' || (!r->status[0] && says_retry(r->diagnostic, dl)))
			? "delayed"
		    : r->status[0] == '2' ? "delivered"
					  : "failed";
		free(r->action);
		r->action = xstrdup(a);
	}
	struct mail_dsn_reason_in in = {
	    .status = r->status,
	    .reply_code = r->reply_code,
	    .diag = r->diagnostic,
	    .action = r->action,
	    .command = mail_dsn_reason_command(r->diagnostic, dl),
	    .preset = NULL,
	};
	if (!*in.command)
		in.command = fc->text_cmd;
	/* why may be r->reason itself (a preset from the report's fields) */
	char *why = xstrdup(decide_reason(r, fc, &in));
	free(r->reason);
	r->reason = why;
	r->hard = mail_dsn_reason_hard(why, r->status, r->reply_code);
}

/* ---- kinds --------------------------------------------------------------- */

static bool is_report(const struct mail_mime *m, const char *rtype)
{
	const struct mail_mime_part *p = &m->parts[0];
	return strcmp(p->type, "multipart/report") == 0 && p->params &&
	       mail_dsn_reason_match(p->params, strlen(p->params), rtype);
}

/* Whether part i is human-readable text of the bounce itself: a text part
   outside returned messages, or a broken multipart's preamble. */
static bool is_bounce_text(const struct mail_mime *m, size_t i)
{
	const struct mail_mime_part *p = &m->parts[i];
	if (strncmp(p->type, "multipart/", 10) == 0)
		return p->body_len > 0 && !inside_message(m, i);
	return strncmp(p->type, "text/", 5) == 0 && !inside_message(m, i) &&
	       strcmp(p->type, "text/rfc822-headers") != 0;
}

/* The human-readable text of the bounce: every text part outside returned
   messages, concatenated (bounded by the mime bounds). */
static char *bounce_text(const struct mail_mime *m, size_t *len)
{
	size_t total = 0;
	for (size_t i = 0; i < m->n_parts; i++)
		if (is_bounce_text(m, i))
			total += m->parts[i].body_len + 1;
	char *t = xmalloc(total + 1);
	size_t n = 0;
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct mail_mime_part *p = &m->parts[i];
		if (!is_bounce_text(m, i))
			continue;
		memcpy(t + n, p->body, p->body_len);
		n += p->body_len;
		t[n++] = '\n';
	}
	t[n] = '\0';
	*len = n;
	return t;
}

/* The returned message's To (a recipient when the text names none). */
static void rcpt_from_returned(const struct mail_mime *m, struct mail_dsn *d)
{
	for (size_t i = 0; i < m->n_parts && d->n_rcpts == 0; i++) {
		const struct mail_mime_part *p = &m->parts[i];
		if (strcmp(p->type, "message/rfc822") != 0 &&
		    strcmp(p->type, "text/rfc822-headers") != 0)
			continue;
		struct mail_mime *in = NULL;
		if (mail_mime_parse_opts(p->body, p->body_len, 4096, DSN_MIME_FLAGS, &in) != ERR_OK)
			continue;
		/* Hotmail's feedback loop names the recipient in its own field */
		const char *to =
		    mail_mime_header_get(in->headers, in->n_headers, "X-HmXmrOriginalRecipient", 0);
		if (!to)
			to = mail_mime_header_get(in->headers, in->n_headers, "To", 0);
		if (to)
			(void)mail_dsn_vendor_add(d, to, strlen(to));
		mail_mime_free(in);
	}
}

static bool sender_is_system(const struct mail_mime *m)
{
	static const char *const who[] = {
	    "mailer-daemon", "postmaster", "mail delivery", "mail-daemon", "mailer_daemon",
	    "mdaemon",	     NULL};
	const char *from = hdr(m, "From");
	const char *rp = hdr(m, "Return-Path");
	for (size_t i = 0; who[i]; i++) {
		if (from && mail_dsn_reason_match(from, strlen(from), who[i]))
			return true;
	}
	return rp && (strcmp(rp, "<>") == 0);
}

static bool subject_says(const struct mail_mime *m, const char *const *words)
{
	const char *s = hdr(m, "Subject");
	if (!s)
		return false;
	char *dec = mail_mime_decode_words(s);
	bool hit = false;
	for (size_t i = 0; words[i] && !hit; i++)
		hit = mail_dsn_reason_match(dec, strlen(dec), words[i]);
	free(dec);
	return hit;
}

static bool subject_bounce(const struct mail_mime *m)
{
	static const char *const w[] = {"undeliver",
					"delivery status notification",
					"returned mail",
					"failure notice",
					"delivery failure",
					"mail delivery failed",
					"delivery has failed",
					"non remis",
					"undelivered",
					"delivery failed",
					"mail system error",
					"not delivered",
					NULL};
	return subject_says(m, w);
}

/* RFC 3834 5 and the de-facto headers of vacation responders. */
static bool is_autoreply(const struct mail_mime *m)
{
	static const char *const w[] = {
	    "out of office",	 "out of the office", "auto:",	    "automatic reply",
	    "auto reply",	 "autoreply",	      "auto-reply", "vacation",
	    "away from my mail", "abwesenheit",	      NULL};
	const char *as = hdr(m, "Auto-Submitted");
	const char *pr = hdr(m, "Precedence");
	if (as && mail_dsn_reason_match(as, strlen(as), "auto-replied"))
		return true;
	if (hdr(m, "X-Autoreply") || hdr(m, "X-Autorespond") || hdr(m, "X-Autoresponder"))
		return true;
	if (pr && mail_dsn_reason_match(pr, strlen(pr), "auto_reply"))
		return true;
	return subject_says(m, w);
}

/* Hotmail's and Amazon SES's older complaint mails: multipart/mixed from
   their complaint address, "complaint about message from" in the Subject. */
static bool complaint(const struct mail_mime *m)
{
	const char *from = hdr(m, "From");
	const char *subj = hdr(m, "Subject");
	if (!from || !subj || strcmp(m->parts[0].type, "multipart/mixed") != 0)
		return false;
	return (mail_dsn_reason_match(from, strlen(from), "staff@hotmail.com") ||
		mail_dsn_reason_match(from, strlen(from),
				      "complaints@email-abuse.amazonses.com")) &&
	       mail_dsn_reason_match(subj, strlen(subj), "complaint about message from ");
}

/* kind feedback: the complained-about recipient, reason "feedback". */
static void parse_feedback(const struct mail_mime *m, struct mail_dsn *d)
{
	int fr = find_part(m, "message/feedback-report");
	struct mail_dsn_rcpt *r = NULL;
	if (fr >= 0) {
		const char *b = m->parts[fr].body;
		size_t pos = 0, len = m->parts[fr].body_len;
		struct dsn_field fbuf, *f = &fbuf; /* 2 KB on the stack: no malloc per report */
		while (pos < len) {
			if (!next_field(b, len, &pos, f))
				continue;
			/* RFC 5965 3.2: Original-Rcpt-To may appear once per recipient */
			if (ieq(f->name, "Original-Rcpt-To") || ieq(f->name, "Removal-Recipient")) {
				struct mail_dsn_rcpt *x = mail_dsn_vendor_add(d, f->value, f->vlen);
				r = r ? r : x;
			}
		}
	}
	if (!r)
		rcpt_from_returned(m, d);
	for (size_t i = 0; i < d->n_rcpts; i++) {
		free(d->rcpts[i].reason);
		d->rcpts[i].reason = xstrdup("feedback");
		free(d->rcpts[i].action);
		d->rcpts[i].action = xstrdup("");
	}
}

/* kind autoreply: the auto-replier is the recipient, reason "vacation". */
static void parse_autoreply(const struct mail_mime *m, struct mail_dsn *d)
{
	const char *from = hdr(m, "From");
	struct mail_dsn_rcpt *r = from ? mail_dsn_vendor_add(d, from, strlen(from)) : NULL;
	if (r) {
		free(r->reason);
		r->reason = xstrdup("vacation");
		free(r->action);
		r->action = xstrdup("");
	}
}

/* ---- token --------------------------------------------------------------- */

static void find_token(const struct mail_mime *m, const char *verp_local, struct mail_dsn *d)
{
	static const char *const to_hdrs[] = {"To", "Delivered-To", "X-Original-To", "Envelope-To",
					      NULL};
	char tok[MAIL_PROBE_TOKEN_LEN + 1];
	for (size_t h = 0; to_hdrs[h]; h++) {
		for (size_t k = 0; k < 8; k++) {
			const char *v =
			    mail_mime_header_get(m->headers, m->n_headers, to_hdrs[h], k);
			struct mail_mime_addr *a = NULL;
			size_t n = 0;
			if (!v)
				break;
			/* a VERP address has a literal '+' (RFC 5322 3.4.1: the local
			   part is never encoded), so only such values are parsed */
			if (!strchr(v, '+') || mail_mime_addrs(v, &a, &n) != ERR_OK)
				continue;
			for (size_t i = 0; i < n && !d->token[0]; i++)
				if (mail_probe_token_from_addr(a[i].addr, verp_local, tok))
					memcpy(d->token, tok, sizeof(tok));
			mail_mime_addrs_free(a, n);
			if (d->token[0])
				return;
		}
	}
	for (size_t i = 1; i < m->n_parts && !d->token[0]; i++) {
		const struct mail_mime_part *p = &m->parts[i];
		const char *b = p->body;
		size_t len = p->body_len;
		if (strcmp(p->type, "message/rfc822") == 0 ||
		    strcmp(p->type, "message/global") == 0 ||
		    strcmp(p->type, "text/rfc822-headers") == 0) {
			if (mail_probe_token_find(b, len, tok))
				memcpy(d->token, tok, sizeof(tok));
			continue;
		}
		/* a copy pasted into the text: start at its X-Mailpulse-Probe line */
		for (size_t k = 0; k + 20 < len; k++) {
			if ((k == 0 || b[k - 1] == '\n') &&
			    strncasecmp(b + k, MAIL_PROBE_HEADER ":", 18) == 0) {
				if (mail_probe_token_find(b + k, len - k, tok))
					memcpy(d->token, tok, sizeof(tok));
				break;
			}
		}
	}
}

/*
 * RFC 3464 fields in a text body: the start of the per-message block (a
 * "Reporting-MTA:" line) with a "Final-Recipient:" line after it, or NULL.
 */
static const char *embedded_report(const char *t, size_t len)
{
	for (size_t i = 0; i + 14 < len; i++) {
		if ((i > 0 && t[i - 1] != '\n') ||
		    !common_str_iprefix(t + i, len - i, "Reporting-MTA:"))
			continue;
		for (size_t k = i + 1; k + 16 < len; k++)
			if (t[k - 1] == '\n' &&
			    common_str_iprefix(t + k, len - k, "Final-Recipient:"))
				return t + i;
		return NULL;
	}
	return NULL;
}

/* ---- entry --------------------------------------------------------------- */

static void classify(const struct mail_mime *m, struct mail_dsn *d)
{
	size_t tl = 0;
	char *text = NULL;
	int ds = find_part(m, "message/delivery-status");
	if (ds < 0)
		ds = find_part(m, "message/global-delivery-status");
	if (is_report(m, "report-type=feedback-report") ||
	    find_part(m, "message/feedback-report") >= 0 || complaint(m)) {
		d->kind = MAIL_DSN_FEEDBACK;
		parse_feedback(m, d);
		return;
	}
	text = bounce_text(m, &tl);
	const char *xf = hdr(m, "X-Failed-Recipients");
	if (hdr(m, "x-amz-sns-message-id") && mail_dsn_ses_parse(text, tl, d) > 0) {
		if (d->kind == MAIL_DSN_FEEDBACK) {
			free(text);
			return;
		}
	} else if (ds >= 0) {
		d->kind = MAIL_DSN_BOUNCE;
		parse_delivery_status(m->parts[ds].body, m->parts[ds].body_len, d);
		/* recipients with no Diagnostic-Code: take the text's words */
		struct mail_dsn t = {0};
		bool need = d->n_rcpts == 0;
		for (size_t i = 0; i < d->n_rcpts; i++)
			need = need || !*d->rcpts[i].diagnostic;
		if (need)
			(void)mail_dsn_vendor_scan(text, tl, xf, &t);
		for (size_t i = 0; i < d->n_rcpts; i++) {
			if (*d->rcpts[i].diagnostic)
				continue;
			for (size_t j = 0; j < t.n_rcpts; j++)
				if (strcmp(t.rcpts[j].address, d->rcpts[i].address) == 0 ||
				    t.n_rcpts == 1)
					mail_dsn_vendor_set_line(&d->rcpts[i].diagnostic,
								 t.rcpts[j].diagnostic,
								 strlen(t.rcpts[j].diagnostic));
		}
		if (d->n_rcpts == 0)
			(void)mail_dsn_vendor_scan(text, tl, xf, d);
		mail_dsn_free(&t);
	} else if (embedded_report(text, tl) != NULL) {
		/* a report pasted into a text body (MIME lost on the way) */
		const char *e = embedded_report(text, tl);
		d->kind = MAIL_DSN_BOUNCE;
		parse_delivery_status(e, tl - (size_t)(e - text), d);
		if (d->n_rcpts == 0)
			(void)mail_dsn_vendor_scan(text, tl, xf, d);
	} else if (xf || sender_is_system(m) ||
		   (subject_bounce(m) && mail_dsn_vendor_looks_bounce(text, tl))) {
		d->kind = MAIL_DSN_BOUNCE;
		(void)mail_dsn_vendor_scan(text, tl, xf, d);
	} else if (is_autoreply(m)) {
		d->kind = MAIL_DSN_AUTOREPLY;
		parse_autoreply(m, d);
	}
	if (d->kind == MAIL_DSN_BOUNCE) {
		if (d->n_rcpts == 0)
			rcpt_from_returned(m, d);
		struct finish_ctx fc = {
		    .text_cmd =
			mail_dsn_reason_command(text, tl < DSN_TEXT_SCAN ? tl : DSN_TEXT_SCAN),
		    .mta = mail_dsn_lhost_detect(m, text, tl < DSN_TEXT_SCAN ? tl : DSN_TEXT_SCAN),
		};
		fc.msg_reason = mail_dsn_lhost_message_reason(fc.mta, text, tl);
		for (size_t i = 0; i < d->n_rcpts; i++)
			finish_rcpt(&d->rcpts[i], &fc);
	}
	free(text);
}

enum mp_err mail_dsn_parse(const char *msg, size_t len, const char *verp_local,
			   struct mail_dsn *out)
{
	struct mail_mime *m = NULL;
	if (!msg || !out)
		return ERR_INVAL;
	enum mp_err err = mail_mime_parse_opts(msg, len, DSN_MAX_BODY, DSN_MIME_FLAGS, &m);
	if (err != ERR_OK)
		return err;
	if (m->n_headers == 0) {
		mail_mime_free(m);
		return ERR_PARSE;
	}
	struct mail_dsn d = {0};
	classify(m, &d);
	find_token(m, verp_local, &d);
	for (size_t i = 0; i < d.n_rcpts; i++)
		memcpy(d.rcpts[i].token, d.token, sizeof(d.token));
	d.is_bounce = d.kind == MAIL_DSN_BOUNCE;
	mail_mime_free(m);
	*out = d;
	return ERR_OK;
}

void mail_dsn_free(struct mail_dsn *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_rcpts; i++) {
		free(d->rcpts[i].address);
		free(d->rcpts[i].action);
		free(d->rcpts[i].reason);
		free(d->rcpts[i].diagnostic);
		free(d->rcpts[i].remote_host);
	}
	free(d->rcpts);
	d->rcpts = NULL;
	d->n_rcpts = 0;
}
