/*
 * mail/smtp_reply: SMTP reply parser (see smtp_reply.h).
 *
 * RFC 5321 4.2 (reply syntax), 4.2.1 (multi-line replies, reply code
 * classes), 4.5.3.1.5 (reply line length); RFC 3463 3.1 (enhanced status
 * code syntax), RFC 2034 (its place on each line); RFC 5321 4.1.1.1 and the
 * extension RFCs named in the header for the EHLO keywords.
 */
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/smtp_reply.h"

struct line {
	size_t off; /* where the line's text starts (after "NNN" and the separator) */
	size_t len; /* text bytes, line ending excluded */
	bool last;  /* separator was ' ' or none: the reply ends here */
	int code;
};

static bool digit(int c, int lo, int hi)
{
	return c >= lo && c <= hi;
}

/*
 * Check the first min(n, 4) bytes of a line: RFC 5321 4.2 Reply-code is
 * %x32-35 %x30-35 %x30-39, followed by SP, "-" or the line's end.
 */
static bool prefix_ok(const char *s, size_t n, bool complete)
{
	if (n > 0 && !digit((unsigned char)s[0], '2', '5'))
		return false;
	if (n > 1 && !digit((unsigned char)s[1], '0', '5'))
		return false;
	if (n > 2 && !digit((unsigned char)s[2], '0', '9'))
		return false;
	/* A partial "250\r" may still become "250\r\n". */
	if (n > 3 && s[3] != ' ' && s[3] != '-' && !(!complete && n == 4 && s[3] == '\r'))
		return false;
	return !complete || n >= 3;
}

/*
 * Find the end of the line starting at pos.  ERR_OK: *len (text, without
 * CRLF or LF) and *next.  ERR_AGAIN: no LF yet; ERR_LIMIT: too long already.
 */
static enum mp_err line_end(const char *p, size_t len, size_t pos, size_t *linelen, size_t *next)
{
	size_t avail = len - pos;
	/* The line plus CR LF may take MAX_LINE + 2 bytes. */
	size_t scan = avail < MAIL_SMTP_REPLY_MAX_LINE + 2 ? avail : MAIL_SMTP_REPLY_MAX_LINE + 2;
	const char *nl = memchr(p + pos, '\n', scan);
	size_t n;

	if (nl == NULL)
		return avail >= MAIL_SMTP_REPLY_MAX_LINE + 2 ? ERR_LIMIT : ERR_AGAIN;
	n = (size_t)(nl - (p + pos));
	*next = pos + n + 1;
	if (n > 0 && p[pos + n - 1] == '\r')
		n--;
	if (n > MAIL_SMTP_REPLY_MAX_LINE)
		return ERR_LIMIT;
	*linelen = n;
	return ERR_OK;
}

/* Split the reply into lines; ERR_OK when its last line is complete. */
static enum mp_err scan_lines(const char *p, size_t len, struct line *lines, size_t *nlines,
			      size_t *used)
{
	size_t pos = 0, n = 0;

	for (;;) {
		size_t ll = 0, next = 0;
		enum mp_err e;

		if (n == MAIL_SMTP_REPLY_MAX_LINES)
			return ERR_LIMIT;
		e = line_end(p, len, pos, &ll, &next);
		if (e == ERR_AGAIN && !prefix_ok(p + pos, len - pos, false))
			return ERR_PARSE; /* garbage shows before its line ends */
		if (e != ERR_OK)
			return e;
		if (!prefix_ok(p + pos, ll, true))
			return ERR_PARSE;
		lines[n].code = (p[pos] - '0') * 100 + (p[pos + 1] - '0') * 10 + (p[pos + 2] - '0');
		lines[n].last = ll == 3 || p[pos + 3] == ' ';
		lines[n].off = pos + (ll > 3 ? 4 : 3);
		lines[n].len = ll > 3 ? ll - 4 : 0;
		/* RFC 5321 4.2.1: every line of a multi-line reply has the same code. */
		if (n > 0 && lines[n].code != lines[0].code)
			return ERR_PARSE;
		n++;
		pos = next;
		if (lines[n - 1].last)
			break;
	}
	*nlines = n;
	*used = pos;
	return ERR_OK;
}

/*
 * RFC 3463 3.1: status-code = class "." subject "." detail, class 2/4/5,
 * subject and detail 1*3digit; RFC 2034: first on the line, then SP.  The
 * class must agree with the reply code's.  Returns its length or 0.
 */
static size_t esc_len(const char *s, size_t n, int code)
{
	size_t i = 0;

	if (n < 5 || s[0] != '0' + code / 100 || s[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t d = 0;

		while (i < n && d < 4 && digit((unsigned char)s[i], '0', '9')) {
			i++;
			d++;
		}
		if (d == 0 || d > 3)
			return 0;
		if (part == 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n || s[i] == ' ' ? i : 0;
}

static char safe_byte(unsigned char c)
{
	return (c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?';
}

static void build(const char *p, const struct line *lines, size_t n, struct mail_smtp_reply *r)
{
	size_t total = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		total += lines[i].len + 1;
	r->text = xmalloc(total + 1);
	for (size_t i = 0; i < n; i++) {
		const char *s = p + lines[i].off;
		size_t len = lines[i].len;
		size_t el = esc_len(s, len, r->code);

		if (el > 0) {
			if (r->esc[0] == '\0' && el < sizeof r->esc)
				memcpy(r->esc, s, el); /* already zero-terminated by the caller */
			s += el;
			len -= el;
			if (len > 0 && s[0] == ' ') {
				s++;
				len--;
			}
		}
		if (i > 0)
			r->text[k++] = '\n';
		for (size_t j = 0; j < len; j++)
			r->text[k++] = safe_byte((unsigned char)s[j]);
	}
	r->text[k] = '\0';
	r->text_len = k;
}

enum mp_err mail_smtp_reply_parse(const char *p, size_t len, struct mail_smtp_reply *out,
				  size_t *used)
{
	struct line lines[MAIL_SMTP_REPLY_MAX_LINES];
	struct mail_smtp_reply r = {0};
	size_t n = 0, u = 0;
	enum mp_err e;

	if (len == 0)
		return ERR_AGAIN;
	e = scan_lines(p, len, lines, &n, &u);
	if (e != ERR_OK)
		return e;
	r.code = lines[0].code;
	r.n_lines = n;
	build(p, lines, n, &r);
	*out = r;
	*used = u;
	return ERR_OK;
}

void mail_smtp_reply_free(struct mail_smtp_reply *r)
{
	if (r == NULL)
		return;
	free(r->text);
	memset(r, 0, sizeof *r);
}

int mail_smtp_reply_class(const struct mail_smtp_reply *r)
{
	return r->code / 100;
}

/* ---- EHLO keywords ---- */

static void ehlo_auth(const char *s, size_t len, struct mail_smtp_ehlo *o)
{
	size_t i = 0;

	o->auth = true;
	while (i < len) {
		size_t j;

		while (i < len && (s[i] == ' ' || s[i] == '='))
			i++;
		j = i;
		while (j < len && s[j] != ' ')
			j++;
		if (common_str_ieqz(s + i, j - i, "PLAIN"))
			o->auth_plain = true;
		else if (common_str_ieqz(s + i, j - i, "LOGIN"))
			o->auth_login = true;
		i = j;
	}
}

static void ehlo_line(const char *s, size_t len, struct mail_smtp_ehlo *o)
{
	size_t kw = 0;

	while (kw < len && s[kw] != ' ' && s[kw] != '=')
		kw++;
	if (common_str_ieqz(s, kw, "STARTTLS")) {
		o->starttls = true;
	} else if (common_str_ieqz(s, kw, "AUTH")) {
		/* "AUTH=PLAIN LOGIN" is what pre-RFC 4954 Outlook clients wanted. */
		ehlo_auth(s + kw, len - kw, o);
	} else if (common_str_ieqz(s, kw, "SIZE")) {
		const char *v = s + kw;
		size_t vl = len - kw;
		uint64_t max = 0;

		o->size = true;
		common_str_trim(&v, &vl);
		/* RFC 1870 4: SIZE 0 (or none) means no fixed limit. */
		if (vl > 0 && common_str_to_u64(v, vl, UINT64_MAX, &max) == ERR_OK)
			o->size_max = max;
	} else if (common_str_ieqz(s, kw, "8BITMIME")) {
		o->eightbitmime = true;
	} else if (common_str_ieqz(s, kw, "ENHANCEDSTATUSCODES")) {
		o->enhanced = true;
	} else if (common_str_ieqz(s, kw, "PIPELINING")) {
		o->pipelining = true;
	} else if (common_str_ieqz(s, kw, "SMTPUTF8")) {
		o->smtputf8 = true;
	}
}

void mail_smtp_reply_ehlo(const struct mail_smtp_reply *r, struct mail_smtp_ehlo *out)
{
	struct mail_smtp_ehlo o = {0};
	const char *s = r->text;
	size_t left = r->text_len;

	/* RFC 5321 4.1.1.1: the first line is the greeting, then one keyword per line. */
	for (size_t i = 0; s != NULL && i < r->n_lines; i++) {
		const char *nl = memchr(s, '\n', left);
		size_t ll = nl ? (size_t)(nl - s) : left;

		if (i > 0)
			ehlo_line(s, ll, &o);
		if (nl == NULL)
			break;
		left -= ll + 1;
		s = nl + 1;
	}
	*out = o;
}

/* ---- queue ids ---- */

static bool id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '@' || c == '+' || c == '=' || c == '/';
}

/* Case-insensitive search for z in [s, s+len); offset or len when absent. */
static size_t ifind(const char *s, size_t len, const char *z, bool word_start)
{
	size_t zl = strlen(z);

	for (size_t i = 0; i + zl <= len; i++) {
		if (word_start && i > 0 && s[i - 1] != ' ' && s[i - 1] != '[' && s[i - 1] != '(')
			continue;
		if (common_str_iprefix(s + i, len - i, z))
			return i;
	}
	return len;
}

static bool copy_id(const char *s, size_t len, char *out, size_t outsz)
{
	size_t n = 0;

	while (n < len && id_char(s[n]))
		n++;
	if (n == 0 || outsz == 0)
		return false;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* The token right after marker (spaces skipped). */
static bool id_after(const char *s, size_t len, const char *marker, bool word, char *out,
		     size_t outsz)
{
	size_t at = ifind(s, len, marker, word);

	if (at == len)
		return false;
	at += strlen(marker);
	while (at < len && s[at] == ' ')
		at++;
	if (at < len && s[at] == '<') /* "queued as <id>" */
		at++;
	return copy_id(s + at, len - at, out, outsz);
}

/* The token right before marker (spaces skipped). */
static bool id_before(const char *s, size_t len, const char *marker, char *out, size_t outsz)
{
	size_t at = ifind(s, len, marker, true), end, start;

	if (at == len)
		return false;
	end = at;
	while (end > 0 && s[end - 1] == ' ')
		end--;
	start = end;
	while (start > 0 && id_char(s[start - 1]))
		start--;
	return end > start && copy_id(s + start, end - start, out, outsz);
}

/* Amazon SES: "Ok <long id>" and nothing else on the line that says so. */
static bool id_ok_token(const char *s, size_t len, char *out, size_t outsz)
{
	size_t n = 0;

	if (!common_str_iprefix(s, len, "ok ") || len <= 3)
		return false;
	while (3 + n < len && id_char(s[3 + n]))
		n++;
	return n >= 8 && copy_id(s + 3, n, out, outsz);
}

bool mail_smtp_reply_queue_id(const struct mail_smtp_reply *r, char *out, size_t outsz)
{
	const char *s = r->text;
	size_t len = r->text_len;

	if (s == NULL || r->code / 100 != 2)
		return false;
	return id_after(s, len, "InternalId=", false, out, outsz) ||
	       id_after(s, len, "id=", true, out, outsz) ||
	       id_after(s, len, "queued as", true, out, outsz) ||
	       id_before(s, len, "- gsmtp", out, outsz) ||
	       id_before(s, len, "Message accepted for delivery", out, outsz) ||
	       id_after(s, len, "qp ", true, out, outsz) || id_ok_token(s, len, out, outsz);
}
