/*
 * daemon/notify_mail: the alert e-mail (see notify_mail.h).
 *
 * Composed by hand because its shape is fixed: two text parts under one
 * multipart/alternative.  The boundary "=_mailpulse_alt_=" cannot occur in
 * quoted-printable text, where every "=" is followed by two hex digits or a
 * line break (RFC 2045 6.7, RFC 2046 5.1.1).  All text may come from DNS:
 * it is made valid UTF-8, control characters become spaces (a CR or LF can
 * never reach a header), and the HTML part escapes & < > " '.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "common/buf.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/notify_mail.h"

#define BOUNDARY "=_mailpulse_alt_="
#define SUBJECT_MAX 200
#define FOLD_AT 78
/* Bounds that keep every buffer far from its maximum whatever the input. */
#define MAIL_MAX (16u << 20)
#define NAME_MAX_BYTES 100
#define PIECE_MAX 1000

static void put(struct buf *b, const char *s)
{
	if (common_buf_puts(b, s) != ERR_OK)
		fatal("notify_mail: message too large");
}

static void putn(struct buf *b, const char *s, size_t n)
{
	if (common_buf_append(b, s, n) != ERR_OK)
		fatal("notify_mail: message too large");
}

static void putf(struct buf *b, const char *fmt, ...) MP_PRINTF(2, 3);
static void putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum mp_err e;

	va_start(ap, fmt);
	e = common_buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (e != ERR_OK)
		fatal("notify_mail: message too large");
}

static bool atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

bool daemon_notify_mail_addr_ok(const char *addr)
{
	const char *at;
	size_t n;

	if (addr == NULL || (n = strlen(addr)) == 0 || n > 254)
		return false;
	at = strrchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0')
		return false;
	/* RFC 5322 3.4.1 dot-atom local part: no leading, trailing or double dot. */
	for (const char *p = addr; p < at; p++)
		if (!(atext(*p) || (*p == '.' && p != addr && p + 1 != at && p[1] != '.')))
			return false;
	for (const char *p = at + 1; *p != '\0'; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '-' ||
			  (*p == '.' && p != at + 1 && p[1] != '\0' && p[1] != '.');

		if (!ok)
			return false;
	}
	return true;
}

/*
 * Valid UTF-8 with control characters turned into spaces; newlines and tabs
 * kept unless oneline.  Caller frees.
 */
static char *clean(const char *s, bool oneline)
{
	size_t n;
	char *c = common_json_utf8_clean(s ? s : "", s ? strlen(s) : 0, &n);

	for (size_t i = 0; i < n; i++) {
		unsigned char u = (unsigned char)c[i];

		if (u == '\r' || u == 0x7f || (u < 0x20 && u != '\n' && u != '\t') ||
		    (oneline && (u == '\n' || u == '\t')))
			c[i] = ' ';
	}
	return c;
}

/* s cut to max bytes on a UTF-8 boundary, "..." marking a cut.  Caller frees. */
static char *cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return xstrdup(s);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return xasprintf("%.*s\xe2\x80\xa6", (int)max, s);
}

/* ---- headers ---- */

/*
 * "Name: value" folded to FOLD_AT columns where a space allows it (RFC 5322
 * 2.2.3: a fold is a CRLF put before existing white space, which unfolding
 * removes again, so every space of value is kept).
 */
static void header(struct buf *b, const char *name, const char *value)
{
	size_t col = strlen(name) + 1, start = col;
	const char *p = value;

	putf(b, "%s:", name);
	if (*p != ' ')
		put(b, " ");
	col++;
	while (*p != '\0') {
		size_t sp = strspn(p, " "), w = strcspn(p + sp, " ");

		if (sp > 0 && col + sp + w > FOLD_AT && col > start + 1) {
			put(b, "\r\n");
			col = 0;
		}
		putn(b, p, sp + w);
		col += sp + w;
		p += sp + w;
	}
	put(b, "\r\n");
}

static bool printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/*
 * RFC 2047 B encoded words of at most 39 input bytes (64 characters, so a
 * header line stays under 78), never splitting a UTF-8 character (RFC 2047 5).
 */
static void encoded_words(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		size_t k = n < 39 ? n : 39;
		char *enc;

		while (k < n && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		if (k == 0)
			k = n < 39 ? n : 39;
		enc = common_crypto_b64_encode(s, k);
		putf(b, "%s=?UTF-8?B?%s?=", b->len ? " " : "", enc);
		free(enc);
		s += k;
		n -= k;
	}
}

/* Header text as is when printable ASCII, else RFC 2047 encoded words.  Caller frees. */
static char *header_text(const char *s)
{
	struct buf b;

	if (printable_ascii(s))
		return xstrdup(s);
	common_buf_init(&b, 8 * strlen(s) + 16);
	encoded_words(&b, s);
	return common_buf_steal(&b, NULL);
}

static char *subject(const struct daemon_alert_group *g)
{
	const struct daemon_alert_event *ev = &g->events[0];
	char *title = daemon_notify_title(ev), *raw, *c, *s;
	char d[32] = "";
	size_t n;

	if (ev->kind == DAEMON_ALERT_RESOLVED_EV)
		snprintf(d, sizeof d, " (lasted %s)",
			 daemon_alert_duration_text(ev->duration, (char[24]){0}, 24));
	raw = xasprintf("%s: %s%s", daemon_notify_domain_label(ev->domain), title, d);
	c = clean(raw, true);
	n = strlen(c);
	if (n > SUBJECT_MAX) {
		n = SUBJECT_MAX;
		while (n > 0 && ((unsigned char)c[n] & 0xc0) == 0x80)
			n--;
		c[n] = '\0';
	}
	if (g->nevents > 1)
		s = xasprintf("[mailpulse] %s %s (+%zu more)", daemon_notify_status_word(ev), c,
			      g->nevents - 1);
	else
		s = xasprintf("[mailpulse] %s %s", daemon_notify_status_word(ev), c);
	free(title);
	free(raw);
	free(c);
	return s;
}

/* RFC 5322 3.3 date-time in UTC, without locale. */
static void date_header(struct buf *b, int64_t now)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)now;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	putf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday % 7], tm.tm_mday,
	     months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void from_header(struct buf *b, const struct daemon_notify_mail_opts *mo)
{
	char *full = clean(mo->from_name ? mo->from_name : "mailpulse", true);
	char *name = cut(full, NAME_MAX_BYTES);
	struct buf v;

	common_buf_init(&v, 4096);
	if (printable_ascii(name)) {
		/* RFC 5322 3.2.4 quoted-string: escape DQUOTE and backslash. */
		put(&v, "\"");
		for (const char *p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				put(&v, "\\");
			putn(&v, p, 1);
		}
		put(&v, "\"");
	} else {
		encoded_words(&v, name);
	}
	putf(&v, " <%s>", mo->from);
	header(b, "From", common_buf_str(&v));
	common_buf_free(&v);
	free(name);
	free(full);
}

static void to_header(struct buf *b, const struct daemon_notify_mail_opts *mo)
{
	struct buf v;

	common_buf_init(&v, 64 * 1024);
	for (size_t i = 0; i < mo->nto; i++)
		putf(&v, "%s%s", mo->to[i], i + 1 < mo->nto ? ", " : "");
	header(b, "To", common_buf_str(&v));
	common_buf_free(&v);
}

/* The right-hand side of our message ids: the From domain, lower case. */
static char *id_host(const struct daemon_notify_mail_opts *mo)
{
	char *h = xstrdup(strrchr(mo->from, '@') + 1);

	common_str_lower(h);
	return h;
}

static void thread_headers(struct buf *b, const struct daemon_alert_group *g, const char *host)
{
	struct buf v;

	common_buf_init(&v, 64 * 1024);
	for (size_t i = 0; i < g->nevents && i < DAEMON_NOTIFY_MAX_LISTED; i++)
		if (g->events[i].kind != DAEMON_ALERT_TEST_EV)
			putf(&v, "%s<%s@%s>", v.len ? " " : "", g->events[i].episode_id, host);
	/* RFC 5322 3.6.4: the episode ids stand for the thread roots. */
	if (v.len > 0) {
		header(b, "In-Reply-To", common_buf_str(&v));
		header(b, "References", common_buf_str(&v));
	}
	common_buf_free(&v);
}

static void headers(struct buf *b, const struct daemon_alert_group *g,
		    const struct daemon_notify_mail_opts *mo, const char *msg_id, int64_t now)
{
	char *host = id_host(mo), *subj = subject(g), *enc = header_text(subj);
	char ep[17];

	memcpy(ep, g->events[0].episode_id, 16);
	ep[16] = '\0';
	from_header(b, mo);
	to_header(b, mo);
	header(b, "Subject", enc);
	date_header(b, now);
	putf(b, "Message-ID: <mailpulse.%s.%s@%s>\r\n", msg_id, ep, host);
	thread_headers(b, g, host);
	/* RFC 2919 List-Id; RFC 3834 5: automatic, do not auto-reply. */
	putf(b, "List-Id: mailpulse alerts <mailpulse.%s>\r\n", host);
	put(b, "Auto-Submitted: auto-generated\r\n");
	put(b, "X-Auto-Response-Suppress: All\r\n");
	putf(b, "X-Mailpulse-Event: %s\r\n", daemon_alert_kind_name(g->events[0].kind));
	put(b, "MIME-Version: 1.0\r\n");
	put(b, "Content-Type: multipart/alternative; boundary=\"" BOUNDARY "\"\r\n");
	free(host);
	free(subj);
	free(enc);
}

/* ---- bodies ---- */

/*
 * RFC 2045 6.7 quoted-printable of text ("\n" line ends) with CRLF line
 * ends and soft breaks at 76 columns.  Trailing white space is encoded
 * (rule 3), and so are a "." or the "F" of "From " that would start a line,
 * which some transports mangle.
 */
static void qp_token(const unsigned char *p, size_t col, char tok[4])
{
	bool eol = p[1] == '\n' || p[1] == '\0';
	bool ws = *p == ' ' || *p == '\t';

	if ((ws && eol) || (!ws && (*p < 33 || *p > 126 || *p == '=')) ||
	    (col == 0 && (*p == '.' || strncmp((const char *)p, "From ", 5) == 0)))
		snprintf(tok, 4, "=%02X", *p);
	else
		snprintf(tok, 4, "%c", *p);
}

static void qp(struct buf *b, const char *text)
{
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		char tok[4];

		if (*p == '\n') {
			put(b, "\r\n");
			col = 0;
			continue;
		}
		qp_token(p, col, tok);
		if (col + strlen(tok) > 75) {
			put(b, "=\r\n");
			col = 0;
			qp_token(p, col, tok);
		}
		put(b, tok);
		col += strlen(tok);
	}
	if (col > 0)
		put(b, "\r\n");
}

static void html_esc(struct buf *b, const char *s)
{
	char *c = clean(s, false);

	for (const char *p = c; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			put(b, "&amp;");
			break;
		case '<':
			put(b, "&lt;");
			break;
		case '>':
			put(b, "&gt;");
			break;
		case '"':
			put(b, "&quot;");
			break;
		case '\'':
			put(b, "&#39;");
			break;
		case '\n':
			put(b, "<br>");
			break;
		default:
			putn(b, p, 1);
		}
	}
	free(c);
}

static const char *event_colour(const struct daemon_alert_event *ev)
{
	if (ev->kind == DAEMON_ALERT_TEST_EV)
		return "#439fe0";
	if (ev->kind == DAEMON_ALERT_RESOLVED_EV)
		return "#2eb886";
	return ev->severity == SEV_CRITICAL ? "#e01e5a" : "#ecb22e";
}

static void text_event(struct buf *b, const struct daemon_alert_event *ev)
{
	char *title = daemon_notify_title(ev), *when = daemon_notify_when(ev);

	putf(b, "%s  %s: %s%s\n  %s\n", daemon_notify_status_word(ev),
	     daemon_notify_check_label(ev->check), title,
	     ev->kind == DAEMON_ALERT_RESOLVED_EV && ev->now_sev == SEV_WARN
		 ? " (a warning remains)"
		 : "",
	     when);
	for (size_t i = 0; ev->kind != DAEMON_ALERT_RESOLVED_EV && i < ev->nfindings; i++) {
		char *msg = cut(ev->findings[i].message, PIECE_MAX);

		putf(b, "  - %s\n", msg);
		free(msg);
		if (ev->findings[i].fix != NULL && ev->findings[i].fix[0] != '\0') {
			char *fix = cut(ev->findings[i].fix, PIECE_MAX);

			putf(b, "    Fix: %s\n", fix);
			free(fix);
		}
	}
	if (ev->kind != DAEMON_ALERT_TEST_EV)
		putf(b, "  episode %s\n", ev->episode_id);
	put(b, "\n");
	free(title);
	free(when);
}

static const char footer[] = "This is an automated message from mailpulse; replies are not read.";

static char *text_body(const struct daemon_alert_group *g, const struct daemon_notify_opts *o,
		       const char *link)
{
	size_t shown =
	    g->nevents < DAEMON_NOTIFY_MAX_LISTED ? g->nevents : DAEMON_NOTIFY_MAX_LISTED;
	char *h = daemon_notify_headline(g), *c;
	struct buf b;

	common_buf_init(&b, MAIL_MAX);
	putf(&b, "%s\n\n", h);
	for (size_t i = 0; i < shown; i++)
		text_event(&b, &g->events[i]);
	if (g->nevents > shown)
		putf(&b, "... and %zu more; see the dashboard.\n\n", g->nevents - shown);
	if (link != NULL) /* RFC 3986 C: on a line of its own, so no text runs into it */
		putf(&b, "Dashboard:\n%s\n\n", link);
	putf(&b, "-- \n%s%s%s\n", footer, o && o->version ? " Version " : "",
	     o && o->version ? o->version : "");
	c = clean(common_buf_str(&b), false);
	common_buf_free(&b);
	free(h);
	return c;
}

static void html_event(struct buf *b, const struct daemon_alert_event *ev)
{
	char *title = daemon_notify_title(ev), *when = daemon_notify_when(ev);

	putf(b, "<div style=\"border-left:4px solid %s;padding:2px 10px;margin:12px 0\">\n",
	     event_colour(ev));
	putf(b, "<p><strong>%s &middot; ", daemon_notify_status_word(ev));
	html_esc(b, daemon_notify_check_label(ev->check));
	put(b, "</strong> &mdash; ");
	html_esc(b, title);
	if (ev->kind == DAEMON_ALERT_RESOLVED_EV && ev->now_sev == SEV_WARN)
		put(b, " (a warning remains)");
	put(b, "</p>\n");
	if (ev->kind != DAEMON_ALERT_RESOLVED_EV && ev->nfindings > 0) {
		put(b, "<ul>\n");
		for (size_t i = 0; i < ev->nfindings; i++) {
			char *msg = cut(ev->findings[i].message, PIECE_MAX);

			put(b, "<li>");
			html_esc(b, msg);
			free(msg);
			if (ev->findings[i].fix != NULL && ev->findings[i].fix[0] != '\0') {
				char *fix = cut(ev->findings[i].fix, PIECE_MAX);

				put(b, "<br>\n<em>Fix:</em> ");
				html_esc(b, fix);
				free(fix);
			}
			put(b, "</li>\n");
		}
		put(b, "</ul>\n");
	}
	put(b, "<p style=\"color:#666\">");
	html_esc(b, when);
	if (ev->kind != DAEMON_ALERT_TEST_EV)
		putf(b, " &middot; episode <code>%s</code>", ev->episode_id);
	put(b, "</p>\n</div>\n");
	free(title);
	free(when);
}

static char *html_body(const struct daemon_alert_group *g, const struct daemon_notify_opts *o,
		       const char *link, const char *subj)
{
	size_t shown =
	    g->nevents < DAEMON_NOTIFY_MAX_LISTED ? g->nevents : DAEMON_NOTIFY_MAX_LISTED;
	char *h = daemon_notify_headline(g);
	struct buf b;

	common_buf_init(&b, MAIL_MAX);
	put(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>");
	html_esc(&b, subj);
	put(&b, "</title></head>\n<body style=\"font-family:sans-serif\">\n<h2>");
	html_esc(&b, h);
	put(&b, "</h2>\n");
	for (size_t i = 0; i < shown; i++)
		html_event(&b, &g->events[i]);
	if (g->nevents > shown)
		putf(&b, "<p>&hellip; and %zu more; see the dashboard.</p>\n", g->nevents - shown);
	if (link != NULL) {
		/* The link has no quote or space (daemon_notify_link); & still needs &amp;. */
		put(&b, "<p><a href=\"");
		html_esc(&b, link);
		put(&b, "\">");
		if (g->domain[0] != '\0') {
			put(&b, "Open ");
			html_esc(&b, g->domain);
			put(&b, " on the status page");
		} else {
			put(&b, "Open the status page");
		}
		put(&b, "</a></p>\n");
	}
	put(&b, "<hr>\n<p style=\"color:#666;font-size:small\">");
	html_esc(&b, footer);
	if (o && o->version) {
		put(&b, " Version ");
		html_esc(&b, o->version);
	}
	put(&b, "</p>\n</body></html>\n");
	free(h);
	return common_buf_steal(&b, NULL);
}

static void part(struct buf *b, const char *type, const char *text)
{
	put(b, "\r\n--" BOUNDARY "\r\n");
	putf(b, "Content-Type: %s; charset=utf-8\r\n", type);
	put(b, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp(b, text);
}

static bool opts_ok(const struct daemon_notify_mail_opts *mo)
{
	if (mo == NULL || !daemon_notify_mail_addr_ok(mo->from) || mo->nto == 0 ||
	    mo->nto > DAEMON_NOTIFY_MAIL_MAX_TO)
		return false;
	for (size_t i = 0; i < mo->nto; i++)
		if (!daemon_notify_mail_addr_ok(mo->to[i]))
			return false;
	return true;
}

enum mp_err daemon_notify_mail(const struct daemon_alert_group *g,
			       const struct daemon_notify_opts *o,
			       const struct daemon_notify_mail_opts *mo, const char *msg_id,
			       int64_t now, struct daemon_notify_msg *out)
{
	char *link, *text, *html, *subj;
	struct buf b;

	if (g->nevents == 0 || !opts_ok(mo) || !daemon_notify_id_ok(msg_id))
		return ERR_INVAL;
	link = daemon_notify_link(o, g->domain);
	subj = subject(g);
	text = text_body(g, o, link);
	html = html_body(g, o, link, subj);
	common_buf_init(&b, MAIL_MAX);
	headers(&b, g, mo, msg_id, now);
	put(&b, "\r\nThis is a multipart message in MIME format.\r\n");
	part(&b, "text/plain", text);
	part(&b, "text/html", html);
	put(&b, "\r\n--" BOUNDARY "--\r\n");
	memset(out, 0, sizeof *out);
	out->body = common_buf_steal(&b, &out->body_len);
	free(link);
	free(subj);
	free(text);
	free(html);
	return ERR_OK;
}
