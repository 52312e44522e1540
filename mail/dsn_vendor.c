/*
 * mail/dsn_vendor: non-RFC 3464 bounces by shape.  MTAs that do not send a
 * message/delivery-status part still follow one pattern in their text: a
 * failed address on a line of its own (Exim "  user@example.org", qmail
 * "<user@example.org>:", Sendmail "<user@example.org>... User unknown",
 * Office 365 "Your message to user@example.org couldn't be delivered",
 * Gmail "Delivery to the following recipient failed permanently:" then the
 * address, generic "550 5.1.1 <user@example.org> ..."), followed by the
 * error text up to a blank line.  The scan stops where the returned copy of
 * the original message starts.
 *
 * What it does not: decide reasons, or parse MIME.  Input is decoded text
 * of bounded size; every loop is bounded by it and by MAIL_DSN_MAX_RCPTS.
 */
#include "config.h"

#include "mail/dsn_vendor.h"

#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/dsn_reason.h"

#define VENDOR_DIAG_LINES 8
#define VENDOR_DIAG_MAX 1000

struct line {
	const char *p;
	size_t len;
};

static bool addr_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("._%+-=/'!#$&*?^`{|}~", c) != NULL);
}

static bool dom_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-';
}

/* The first address in [p, p+len): *at gets its start, returns its length
   (0 when none).  A domain needs a dot or must be a bare host name. */
static size_t find_addr(const char *p, size_t len, const char **at)
{
	for (size_t i = 1; i + 1 < len; i++) {
		if (p[i] != '@')
			continue;
		size_t s = i;
		while (s > 0 && addr_char((unsigned char)p[s - 1]))
			s--;
		size_t e = i + 1;
		while (e < len && dom_char((unsigned char)p[e]))
			e++;
		while (e > i + 1 && p[e - 1] == '.')
			e--;
		while (s < i && (p[s] == '.' || p[s] == '\''))
			s++;
		/* RFC 5321 4.1.2: a quoted local part keeps its quotes */
		if (s == i && i >= 3 && p[i - 1] == '"') {
			size_t q = i - 1;
			while (q > 0 && p[q - 1] != '"' && p[q - 1] >= 0x20 && i - q < 64)
				q--;
			if (q > 0 && p[q - 1] == '"' && q + 1 < i)
				s = q - 1;
		}
		if (s == i || e == i + 1)
			continue;
		*at = p + s;
		return e - s;
	}
	return 0;
}

void mail_dsn_vendor_set_line(char **dst, const char *s, size_t len)
{
	char *o = xmalloc(len + 1);
	size_t n = 0;
	bool sp = true; /* drop leading white space */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!sp)
				o[n++] = ' ';
			sp = true;
			continue;
		}
		sp = false;
		if (c >= 0x80) {
			/* RFC 3629: keep well-formed UTF-8, replace the rest */
			size_t q = common_str_utf8_seq((const unsigned char *)s + i, len - i);
			if (q == 0) {
				o[n++] = '?';
				continue;
			}
			memcpy(o + n, s + i, q);
			n += q;
			i += q - 1;
			continue;
		}
		o[n++] = (char)c;
	}
	while (n > 0 && o[n - 1] == ' ')
		n--;
	o[n] = '\0';
	free(*dst);
	*dst = o;
}

/* Whether a local part names a mail system rather than a person. */
static bool system_addr(const char *a, size_t len)
{
	return common_str_iprefix(a, len, "mailer-daemon@") ||
	       common_str_iprefix(a, len, "postmaster@") ||
	       common_str_iprefix(a, len, "mail-daemon@");
}

struct mail_dsn_rcpt *mail_dsn_vendor_add(struct mail_dsn *d, const char *addr, size_t len)
{
	const char *s = addr;
	common_str_trim(&s, &len);
	if (len > 7 && common_str_iprefix(s, len, "rfc822;")) {
		s += 7;
		len -= 7;
	}
	const char *a = NULL;
	size_t al = find_addr(s, len, &a);
	if (!al || al > 254)
		return NULL;
	char *low = xmemdup0(a, al);
	common_str_lower(low);
	for (size_t i = 0; i < d->n_rcpts; i++) {
		if (strcmp(d->rcpts[i].address, low) == 0) {
			free(low);
			return &d->rcpts[i];
		}
	}
	if (d->n_rcpts >= MAIL_DSN_MAX_RCPTS) {
		free(low);
		return NULL;
	}
	d->rcpts = xreallocarray(d->rcpts, d->n_rcpts + 1, sizeof(*d->rcpts));
	struct mail_dsn_rcpt *r = &d->rcpts[d->n_rcpts++];
	memset(r, 0, sizeof(*r));
	r->address = low;
	r->action = xstrdup("");
	r->reason = xstrdup("");
	r->diagnostic = xstrdup("");
	r->remote_host = xstrdup("");
	return r;
}

/* Lines that open the returned copy of the original message. */
static bool copy_marker(const char *p, size_t len)
{
	static const char *const marks[] = {
	    "this is a copy of the message",  "below this line is a copy of the message",
	    "original message follows",	      "----- original message -----",
	    "------ original message",	      "unsent message follows",
	    "--- the header of the original", "original message header",
	    "content-type: message/rfc822",   "returned message",
	    "message headers follow",	      NULL};
	for (size_t i = 0; marks[i]; i++)
		if (mail_dsn_reason_match(p, len, marks[i]))
			return true;
	return (common_str_iprefix(p, len, "Received: ") ||
		common_str_iprefix(p, len, "Return-Path: ") ||
		common_str_iprefix(p, len, "Return-path:<"));
}

/* Header-looking lines whose address is not a failed recipient. */
static bool header_line(const char *p, size_t len)
{
	static const char *const h[] = {
	    "from:",	      "sender:",      "reply-to:",     "message-id:", "date:", "subject:",
	    "reporting-mta:", "return-path:", "to:",	       "cc:",	      "x-",    "received:",
	    "references:",    "in-reply-to:", "arrival-date:", NULL};
	for (size_t i = 0; h[i]; i++)
		if (common_str_iprefix(p, len, h[i]))
			return true;
	return false;
}

/* Phrases after which the address on the same line is a failed recipient. */
static bool recipient_phrase(const char *p, size_t len, const char *addr)
{
	static const char *const ph[] = {"message to ",
					 "delivered to ",
					 "delivery to ",
					 "recipient: ",
					 "addressed to ",
					 "rcpt to:",
					 "recipient address: ",
					 "failed recipient",
					 "returned permanent errors: ",
					 "mailbox ",
					 "user ",
					 "address ",
					 NULL};
	size_t off = (size_t)(addr - p);
	for (size_t i = 0; ph[i]; i++)
		if (mail_dsn_reason_match(p, off, ph[i]))
			return true;
	(void)len;
	return false;
}

/* Whether the line is "the address and maybe its error": it starts with the
   address after brackets/quotes, or a reply code precedes it. */
static bool recipient_line(const char *p, size_t len, const char *addr, size_t alen)
{
	const char *s = p;
	size_t sl = len;
	common_str_trim(&s, &sl);
	if (!sl || header_line(s, sl) || system_addr(addr, alen))
		return false;
	const char *q = s;
	while (q < addr && (*q == '<' || *q == '"' || *q == '\'' || *q == ' ' || *q == '\t' ||
			    *q == '*' || *q == '-' || *q == '(' || *q == '['))
		q++;
	if (q == addr)
		return true;
	if (mail_dsn_reason_find_reply(s, (size_t)(addr - s)) >= 400 &&
	    (s[0] == '4' || s[0] == '5' || s[0] == '<'))
		return true;
	/* "Unknown user: user@example.org": a short label, then the address */
	size_t pre = (size_t)(addr - s);
	/* ... but not the remote server's quoted reply ("Remote host said:
	   550 <sender@...>"), which names the sender as often as not */
	if (pre >= 3 && pre <= 40 && (addr[-1] == ' ' || addr[-1] == '<') &&
	    memchr(s, ':', pre) != NULL && memchr(s, '@', pre) == NULL &&
	    !mail_dsn_reason_match(s, pre, "said:"))
		return true;
	return recipient_phrase(s, sl, addr);
}

/* Split text into lines (no line ends), at most max. */
static size_t split_lines(const char *t, size_t len, struct line *ls, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len && n < max) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - t) : len;
		size_t l = e - i;
		if (l && t[i + l - 1] == '\r')
			l--;
		ls[n].p = t + i;
		ls[n].len = l;
		n++;
		i = e + 1;
	}
	return n;
}

static bool blank(const struct line *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (l->p[i] != ' ' && l->p[i] != '\t')
			return false;
	return true;
}

/* The diagnostic of the recipient on line i: the rest of its line and the
   paragraph under it (stopping at a blank line or another recipient). */
static void collect_diag(struct line *ls, size_t n, size_t i, const char *after,
			 struct mail_dsn_rcpt *r)
{
	char buf[VENDOR_DIAG_MAX + 1];
	size_t bl = 0;
	size_t rest = (size_t)(ls[i].p + ls[i].len - after);
	size_t take = rest < VENDOR_DIAG_MAX ? rest : VENDOR_DIAG_MAX;
	memcpy(buf, after, take);
	bl = take;
	size_t j = i + 1;
	/* Gmail and Office 365 leave one blank line between address and text. */
	if (j + 1 < n && blank(&ls[j]) && !blank(&ls[j + 1]))
		j++;
	for (size_t k = 0; j < n && k < VENDOR_DIAG_LINES; j++, k++) {
		const char *a = NULL;
		if (blank(&ls[j]))
			break;
		size_t al = find_addr(ls[j].p, ls[j].len, &a);
		if (al && recipient_line(ls[j].p, ls[j].len, a, al) && a - ls[j].p < 8)
			break;
		size_t room = VENDOR_DIAG_MAX - bl;
		size_t t = ls[j].len + 1 < room ? ls[j].len + 1 : room;
		if (!t)
			break;
		buf[bl] = ' ';
		memcpy(buf + bl + 1, ls[j].p, t - 1);
		bl += t;
	}
	if (*r->diagnostic == '\0' || bl > strlen(r->diagnostic))
		mail_dsn_vendor_set_line(&r->diagnostic, buf, bl);
}

/* Lines carrying an SMTP error, for recipients without text of their own. */
static void global_diag(struct line *ls, size_t n, char **out)
{
	for (size_t i = 0; i < n; i++) {
		int rc = mail_dsn_reason_find_reply(ls[i].p, ls[i].len);
		if (rc >= 400 || mail_dsn_reason_match(ls[i].p, ls[i].len, " said:")) {
			size_t e = i + 1;
			while (e < n && e < i + 3 && !blank(&ls[e]))
				e++;
			mail_dsn_vendor_set_line(out, ls[i].p,
						 (size_t)(ls[e - 1].p + ls[e - 1].len - ls[i].p));
			return;
		}
	}
	/* No SMTP error anywhere: the text itself up to the returned copy. */
	size_t e = n;
	if (e > 0) {
		size_t l = (size_t)(ls[e - 1].p + ls[e - 1].len - ls[0].p);
		mail_dsn_vendor_set_line(out, ls[0].p, l < VENDOR_DIAG_MAX ? l : VENDOR_DIAG_MAX);
	}
}

size_t mail_dsn_vendor_scan(const char *text, size_t len, const char *failed_hdr,
			    struct mail_dsn *d)
{
	enum { MAXL = 4000 };
	/* as many line slots as the text has lines (split_lines fills [0, n)) */
	size_t cap = 1;
	for (const char *q = text, *e = text ? text + len : NULL; q && q < e && cap < MAXL; cap++) {
		q = memchr(q, '\n', (size_t)(e - q));
		if (!q)
			break;
		q++;
	}
	struct line *ls = xreallocarray(NULL, cap, sizeof(*ls));
	size_t n = split_lines(text ? text : "", text ? len : 0, ls, cap);
	/* nothing after the returned copy of the message is the bounce's own */
	for (size_t i = 0; i < n; i++)
		if (copy_marker(ls[i].p, ls[i].len)) {
			n = i;
			break;
		}
	size_t before = d->n_rcpts;
	char *gdiag = xstrdup("");

	global_diag(ls, n, &gdiag);
	for (size_t i = 0; i < n; i++) {
		const char *a = NULL;
		size_t al = find_addr(ls[i].p, ls[i].len, &a);
		if (!al || !recipient_line(ls[i].p, ls[i].len, a, al))
			continue;
		struct mail_dsn_rcpt *r = mail_dsn_vendor_add(d, a, al);
		if (!r)
			continue;
		const char *after = a + al;
		while (after < ls[i].p + ls[i].len &&
		       (*after == '>' || *after == ':' || *after == '.' || *after == ')'))
			after++;
		collect_diag(ls, n, i, after, r);
	}
	if (failed_hdr) {
		const char *p = failed_hdr;
		while (*p) {
			const char *c = strchr(p, ',');
			size_t l = c ? (size_t)(c - p) : strlen(p);
			(void)mail_dsn_vendor_add(d, p, l);
			p += l + (c ? 1 : 0);
		}
	}
	for (size_t i = before; i < d->n_rcpts; i++) {
		struct mail_dsn_rcpt *r = &d->rcpts[i];
		size_t dl = strlen(r->diagnostic), gl = strlen(gdiag);
		if (!gl || (dl && mail_dsn_reason_find_reply(r->diagnostic, dl)))
			continue;
		/* the address's own words lack the SMTP error: add the text's */
		char *both = xasprintf("%s%s%s", r->diagnostic, dl ? " " : "", gdiag);
		mail_dsn_vendor_set_line(&r->diagnostic, both, strlen(both));
		free(both);
	}
	free(gdiag);
	free(ls);
	return d->n_rcpts - before;
}

bool mail_dsn_vendor_looks_bounce(const char *text, size_t len)
{
	static const char *const ph[] = {"mail delivery",
					 "undeliverable",
					 "undelivered",
					 "delivery status notification",
					 "could not be delivered",
					 "couldn't be delivered",
					 "returned mail",
					 "delivery failure",
					 "delivery failed",
					 "qmail-send program",
					 "mailer-daemon",
					 "transcript of session",
					 "permanent error",
					 "failed permanently",
					 "delivery has failed",
					 "not be delivered",
					 "address not found",
					 "failure notice",
					 "delivery problem",
					 "non remis",
					 "unable to deliver",
					 "message not delivered",
					 "delivery notification",
					 "rejected your message",
					 "could not deliver",
					 NULL};
	size_t l = len > 8192 ? 8192 : len;
	for (size_t i = 0; ph[i]; i++)
		if (mail_dsn_reason_match(text, l, ph[i]))
			return true;
	return false;
}
