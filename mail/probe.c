/*
 * mail/probe: the probe message (DESIGN.md 2.2): its token, the RFC 5322
 * message that carries it, the VERP envelope sender, and finding the token
 * again in an address or a received message.
 *
 * What it does not: sign (mail/dkim), send (mail/smtp), parse MIME or
 * bounces (mail/dsn).  Addresses are checked strictly: an ASCII dot-atom
 * addr-spec (RFC 5322 3.4.1) with a host-name domain; quoted local parts,
 * domain literals, CR, LF, '<' and '>' are refused, so nothing a
 * configuration holds can inject a header field or an SMTP command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/name.h"
#include "mail/probe.h"

/* RFC 4648 6, lower case. */
static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

#define TOKEN_RAND 16 /* 128 bits -> 26 base32 characters */

enum mp_err mail_probe_token_new(char tok[MAIL_PROBE_TOKEN_LEN + 1])
{
	unsigned char r[TOKEN_RAND];
	size_t got = 0, n = 2;
	unsigned acc = 0, bits = 0;

	while (got < sizeof r) {
		ssize_t k = getrandom(r + got, sizeof r - got, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return ERR_IO;
		got += (size_t)k;
	}
	tok[0] = 'm';
	tok[1] = 'p';
	for (size_t i = 0; i < sizeof r; i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5) {
			tok[n++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) /* 128 = 25 * 5 + 3: the last character holds 3 bits */
		tok[n++] = b32[(acc << (5 - bits)) & 31];
	tok[n] = '\0';
	return ERR_OK;
}

static bool b32_char(char c)
{
	int l = common_str_lc((unsigned char)c);

	return (l >= 'a' && l <= 'z') || (l >= '2' && l <= '7');
}

bool mail_probe_token_valid(const char *s, size_t len)
{
	if (s == NULL || len != MAIL_PROBE_TOKEN_LEN || common_str_lc((unsigned char)s[0]) != 'm' ||
	    common_str_lc((unsigned char)s[1]) != 'p')
		return false;
	for (size_t i = 2; i < len; i++)
		if (!b32_char(s[i]))
			return false;
	return true;
}

static void token_copy(const char *s, char tok[MAIL_PROBE_TOKEN_LEN + 1])
{
	for (size_t i = 0; i < MAIL_PROBE_TOKEN_LEN; i++)
		tok[i] = (char)common_str_lc((unsigned char)s[i]);
	tok[MAIL_PROBE_TOKEN_LEN] = '\0';
}

/* ---- addresses ---- */

/* RFC 5322 3.2.3 atext. */
static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5322 3.2.3 dot-atom-text of at most 64 bytes (RFC 5321 4.5.3.1.1). */
static bool dot_atom(const char *s, size_t len)
{
	if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return false;
		} else if (!atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* A host-name domain of an address (RFC 5321 4.1.2 Domain). */
static bool addr_domain(const char *s, size_t len)
{
	return len > 0 && len <= 253 && s[len - 1] != '.' && dns_name_is_hostname(s, len);
}

/* local@domain, strictly; *at gets the '@'. */
static bool addr_ok(const char *a, const char **at)
{
	size_t len;

	if (a == NULL)
		return false;
	len = strlen(a);
	*at = strrchr(a, '@');
	return len <= 254 && *at != NULL && dot_atom(a, (size_t)(*at - a)) &&
	       addr_domain(*at + 1, len - (size_t)(*at - a) - 1);
}

/* A display name we can put in a quoted-string: printable ASCII, bounded. */
static bool name_ok(const char *n)
{
	size_t len = strlen(n);

	return len > 0 && len <= 128 && common_str_is_printable(n, len) && strspn(n, " ") != len;
}

/* ---- composing ---- */

/* RFC 5322 3.3 date-time in UTC, e.g. "Sun, 29 Nov 2026 11:53:13 +0000". */
static void rfc5322_date(time_t t, char *buf, size_t sz)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	snprintf(buf, sz, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
		 mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* RFC 5322 3.2.4 quoted-string of a checked display name. */
static char *quoted(const char *n)
{
	char *o = xmalloc(2 * strlen(n) + 3);
	size_t k = 0;

	o[k++] = '"';
	for (const char *p = n; *p; p++) {
		if (*p == '"' || *p == '\\')
			o[k++] = '\\';
		o[k++] = *p;
	}
	o[k++] = '"';
	o[k] = '\0';
	return o;
}

static bool opts_ok(const struct mail_probe_opts *o, const char **from_dom)
{
	const char *at_to, *vl = o->verp_local ? o->verp_local : "bounce";

	if (o->token == NULL || !mail_probe_token_valid(o->token, strlen(o->token)))
		return false;
	if (!addr_ok(o->from, from_dom) || !addr_ok(o->to, &at_to))
		return false;
	(*from_dom)++;
	if (o->from_name != NULL && !name_ok(o->from_name))
		return false;
	if (o->bounce_domain != NULL && !addr_domain(o->bounce_domain, strlen(o->bounce_domain)))
		return false;
	/* The VERP prefix is a dot-atom without '+', which separates the token. */
	return dot_atom(vl, strlen(vl)) && strchr(vl, '+') == NULL &&
	       strlen(vl) + 1 + MAIL_PROBE_TOKEN_LEN <= 64;
}

enum mp_err mail_probe_compose(const struct mail_probe_opts *o, char **msg, size_t *len,
			       char **mail_from)
{
	const char *dom = NULL;
	char date[64], tok[MAIL_PROBE_TOKEN_LEN + 1], *name, *m;

	if (o == NULL || !opts_ok(o, &dom))
		return ERR_INVAL;
	token_copy(o->token, tok);
	rfc5322_date(o->date, date, sizeof date);
	name = quoted(o->from_name ? o->from_name : "mailpulse probe");
	/* RFC 5322 3.6: Date and From are required; RFC 3834 5: Auto-Submitted
	   keeps vacation responders quiet. */
	m = xasprintf("Date: %s\r\n"
		      "From: %s <%s>\r\n"
		      "To: <%s>\r\n"
		      "Subject: mailpulse probe %s\r\n"
		      "Message-ID: <%s@%s>\r\n"
		      "MIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=us-ascii\r\n"
		      "Content-Transfer-Encoding: 7bit\r\n"
		      "Auto-Submitted: auto-generated\r\n"
		      "%s: %s\r\n"
		      "\r\n"
		      "This is an automatic delivery probe sent by mailpulse, the mail\r\n"
		      "deliverability monitor of %s.  It measures whether and how fast\r\n"
		      "mail from this domain arrives, and how it is authenticated.\r\n"
		      "\r\n"
		      "Nobody reads replies to it; it is safe to delete.\r\n"
		      "Probe token: %s\r\n",
		      date, name, o->from, o->to, tok, tok, dom, MAIL_PROBE_HEADER, tok, dom, tok);
	free(name);
	*mail_from = xasprintf("%s+%s@%s", o->verp_local ? o->verp_local : "bounce", tok,
			       o->bounce_domain ? o->bounce_domain : dom);
	*len = strlen(m);
	*msg = m;
	return ERR_OK;
}

/* ---- finding tokens ---- */

bool mail_probe_token_from_addr(const char *addr, const char *verp_local,
				char tok[MAIL_PROBE_TOKEN_LEN + 1])
{
	const char *vl = verp_local ? verp_local : "bounce", *at;
	size_t len, vlen = strlen(vl);

	if (addr == NULL)
		return false;
	len = strlen(addr);
	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
		addr++;
		len -= 2;
	}
	at = memchr(addr, '@', len);
	/* RFC 5321 2.4: local parts may be case-sensitive, but relays fold them. */
	if (at == NULL || (size_t)(at - addr) != vlen + 1 + MAIL_PROBE_TOKEN_LEN ||
	    !common_str_ieq(addr, vlen, vl, vlen) || addr[vlen] != '+' ||
	    !mail_probe_token_valid(addr + vlen + 1, MAIL_PROBE_TOKEN_LEN))
		return false;
	token_copy(addr + vlen + 1, tok);
	return true;
}

/* [*v, *v+*vlen) trimmed of WSP, CR and LF at both ends. */
static void trim_value(const char **v, size_t *vlen)
{
	while (*vlen > 0 && strchr(" \t\r\n", (*v)[0]) != NULL) {
		(*v)++;
		(*vlen)--;
	}
	while (*vlen > 0 && strchr(" \t\r\n", (*v)[*vlen - 1]) != NULL)
		(*vlen)--;
}

/* The value of the field at [p, p+len) when its name is name (any case). */
static bool field_value(const char *p, size_t len, const char *name, const char **v, size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || !common_str_ieq(p, n, name, n) || p[n] != ':')
		return false;
	*v = p + n + 1;
	*vlen = len - n - 1;
	trim_value(v, vlen);
	return true;
}

/* The token of a Message-ID value "<TOKEN@domain>". */
static bool token_in_msgid(const char *v, size_t vlen, char tok[MAIL_PROBE_TOKEN_LEN + 1])
{
	if (vlen < MAIL_PROBE_TOKEN_LEN + 3 || v[0] != '<' || v[MAIL_PROBE_TOKEN_LEN + 1] != '@' ||
	    !mail_probe_token_valid(v + 1, MAIL_PROBE_TOKEN_LEN))
		return false;
	token_copy(v + 1, tok);
	return true;
}

/* End of the field starting at pos (the LF before a non-continuation line), or len. */
static size_t field_end(const char *msg, size_t len, size_t pos)
{
	for (;;) {
		const char *nl = memchr(msg + pos, '\n', len - pos);

		if (nl == NULL)
			return len;
		pos = (size_t)(nl - msg) + 1;
		if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t'))
			return pos;
	}
}

bool mail_probe_token_find(const char *msg, size_t len, char tok[MAIL_PROBE_TOKEN_LEN + 1])
{
	char from_id[MAIL_PROBE_TOKEN_LEN + 1];
	bool have_id = false;
	size_t pos = 0;

	while (msg != NULL && pos < len && msg[pos] != '\n' &&
	       !(msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n')) {
		size_t end = field_end(msg, len, pos);
		const char *v;
		size_t vlen;

		if (field_value(msg + pos, end - pos, MAIL_PROBE_HEADER, &v, &vlen) &&
		    mail_probe_token_valid(v, vlen)) {
			token_copy(v, tok);
			return true;
		}
		if (!have_id && field_value(msg + pos, end - pos, "Message-ID", &v, &vlen))
			have_id = token_in_msgid(v, vlen, from_id);
		pos = end;
	}
	if (have_id)
		memcpy(tok, from_id, sizeof from_id);
	return have_id;
}
