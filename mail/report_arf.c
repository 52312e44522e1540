/*
 * mail/report_arf: DMARC failure reports (RFC 6591 on RFC 5965 ARF; RFC 7489
 * 7.3, RFC 9991) read from an already parsed mail/mime tree.
 *
 * The message/feedback-report body is a header block (RFC 5965 3.1: "fields
 * formatted per RFC 5322 header syntax").  It is read here with a small
 * bounded field reader over a struct cursor rather than handed back to
 * GMime as a header-only message: the block is tiny and flat, the reader
 * must keep working on bodies GMime would reject (a block starting with a
 * blank line, stray continuation lines, NUL or 8-bit bytes), and a second
 * GMime parse per report would double the cost for nothing.  MIME itself
 * (boundaries, transfer encodings, the original message) stays with
 * mail/mime (DESIGN.md 4).
 *
 * Every value is unfolded (RFC 5322 2.2.3), trimmed, cut at ARF_VALUE_MAX
 * bytes and has control bytes replaced by spaces, so callers can print it.
 *
 * What it does not: parse MIME, judge the report, or look at feedback types
 * other than auth-failure (abuse, fraud ... are ERR_NOTFOUND here).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/cursor.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/report_arf.h"

#define ARF_VALUE_MAX 2048 /* bytes of one unfolded field value */
#define ARF_HUMAN_MAX 4096 /* the human-readable part, cut */

struct arf_field {
	const char *name; /* borrowed from the block */
	size_t nlen;
	char value[ARF_VALUE_MAX];
	size_t vlen;
};

/* Next line of c without its line ending; false at the end. */
static bool arf_line(struct cursor *c, const char **ls, size_t *ll)
{
	if (common_cursor_eof(c))
		return false;
	const unsigned char *s = common_cursor_ptr(c);
	size_t left = common_cursor_left(c);
	const unsigned char *nl = memchr(s, '\n', left);
	size_t n = nl ? (size_t)(nl - s) : left;
	(void)common_cursor_take(c, nl ? n + 1 : n);
	if (n && s[n - 1] == '\r')
		n--;
	*ls = (const char *)s;
	*ll = n;
	return true;
}

/* Append [s, s+n) to f's value, control bytes as spaces, cut at the cap. */
static void arf_value_add(struct arf_field *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && f->vlen < sizeof(f->value) - 1; i++) {
		unsigned char ch = (unsigned char)s[i];
		f->value[f->vlen++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
	}
	f->value[f->vlen] = '\0';
}

/* Length of the RFC 5322 3.6.8 field name at the start of [s, s+n), 0 when
   the line is not "name:" (white space before the colon is tolerated). */
static size_t arf_field_name(const char *s, size_t n, size_t *colon)
{
	size_t i = 0;
	while (i < n && (unsigned char)s[i] > 32 && (unsigned char)s[i] < 127 && s[i] != ':')
		i++;
	size_t name = i;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (name == 0 || i >= n || s[i] != ':')
		return 0;
	*colon = i;
	return name;
}

/*
 * Read the next field of the block at c into f.  Blank lines are skipped,
 * or end the block when one_block is set and a field was already read
 * (*seen).  Lines that are not fields (and their continuations) are
 * skipped.  RFC 5322 2.2.3: a line starting with white space continues
 * the field before it.  false at the end of the block.
 */
static bool arf_next_field(struct cursor *c, bool one_block, bool *seen, struct arf_field *f)
{
	const char *ls;
	size_t ll, colon = 0;
	while (arf_line(c, &ls, &ll)) {
		if (ll == 0) {
			if (one_block && *seen)
				return false;
			continue;
		}
		f->nlen = arf_field_name(ls, ll, &colon);
		if (f->nlen == 0)
			continue;
		f->name = ls;
		f->vlen = 0;
		f->value[0] = '\0';
		arf_value_add(f, ls + colon + 1, ll - colon - 1);
		while (common_cursor_peek(c) == ' ' || common_cursor_peek(c) == '\t') {
			(void)arf_line(c, &ls, &ll);
			arf_value_add(f, ls, ll);
		}
		*seen = true;
		return true;
	}
	return false;
}

/* The value with white space trimmed, as a fresh string. */
static char *arf_trimmed(const struct arf_field *f)
{
	const char *s = f->value;
	size_t n = f->vlen;
	common_str_trim(&s, &n);
	return xmemdup0(s, n);
}

/* Keep the first occurrence of a field (later ones are ignored). */
static void arf_keep(char **dst, const struct arf_field *f)
{
	if (*dst == NULL)
		*dst = arf_trimmed(f);
}

/* RFC 5965 3.2 / RFC 3464 2.2.2: "dns; mta.example" -> "mta.example". */
static char *arf_after_type(const struct arf_field *f)
{
	char *v = arf_trimmed(f);
	char *semi = strchr(v, ';');
	if (semi == NULL)
		return v;
	const char *s = semi + 1;
	size_t n = strlen(s);
	common_str_trim(&s, &n);
	char *r = xmemdup0(s, n);
	free(v);
	return r;
}

/* Normalised IP literal of v ("" when it is not one); RFC 6591 3.1 Source-IP. */
static char *arf_ip(const char *v)
{
	unsigned char bin[16];
	char out[64];
	const char *s = v;
	size_t n = strlen(v);
	common_str_trim(&s, &n);
	if (n > 0 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(out))
		return xstrdup("");
	memcpy(out, s, n);
	out[n] = '\0';
	if (inet_pton(AF_INET, out, bin) == 1)
		return xstrdup(inet_ntop(AF_INET, bin, out, sizeof(out)) ? out : "");
	if (inet_pton(AF_INET6, out, bin) == 1)
		return xstrdup(inet_ntop(AF_INET6, bin, out, sizeof(out)) ? out : "");
	return xstrdup("");
}

/* Apply one RFC 5965 3.1-3.2 / RFC 6591 3.1-3.2 field to a. */
static void arf_apply(struct mail_arf *a, const struct arf_field *f, char **source_ip)
{
	static const struct {
		const char *name;
		size_t off;
	} tab[] = {
	    {"Feedback-Type", offsetof(struct mail_arf, feedback_type)},
	    {"Auth-Failure", offsetof(struct mail_arf, auth_failure)},
	    {"Reported-Domain", offsetof(struct mail_arf, reported_domain)},
	    {"Original-Mail-From", offsetof(struct mail_arf, original_mail_from)},
	    {"Original-Rcpt-To", offsetof(struct mail_arf, original_rcpt_to)},
	    {"Arrival-Date", offsetof(struct mail_arf, arrival_date)},
	    {"Received-Date", offsetof(struct mail_arf, arrival_date)}, /* RFC 5965 3.2 old name */
	    {"User-Agent", offsetof(struct mail_arf, user_agent)},
	    {"Delivery-Result", offsetof(struct mail_arf, delivery_result)},
	    {"Identity-Alignment", offsetof(struct mail_arf, identity_alignment)},
	    {"DKIM-Domain", offsetof(struct mail_arf, dkim_domain)},
	    {"DKIM-Selector", offsetof(struct mail_arf, dkim_selector)},
	    {"DKIM-Identity", offsetof(struct mail_arf, dkim_identity)},
	    {"SPF-DNS", offsetof(struct mail_arf, spf_dns)},
	    {"Authentication-Results", offsetof(struct mail_arf, authentication_results)},
	};
	if (common_str_ieqz(f->name, f->nlen, "Reporting-MTA")) {
		if (a->reporting_mta == NULL)
			a->reporting_mta = arf_after_type(f);
		return;
	}
	if (common_str_ieqz(f->name, f->nlen, "Source-IP")) {
		arf_keep(source_ip, f);
		return;
	}
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (common_str_ieqz(f->name, f->nlen, tab[i].name)) {
			arf_keep((char **)(void *)((char *)a + tab[i].off), f);
			return;
		}
}

/* The fields of the returned original message's header block. */
static void arf_original(struct mail_arf *a, const char *b, size_t len)
{
	struct cursor c;
	struct arf_field *f = xmalloc(sizeof(*f));
	bool seen = false;
	common_cursor_init(&c, b, len);
	while (arf_next_field(&c, true, &seen, f)) {
		char **dst = NULL;
		if (common_str_ieqz(f->name, f->nlen, "From"))
			dst = &a->orig_from;
		else if (common_str_ieqz(f->name, f->nlen, "Subject"))
			dst = &a->orig_subject;
		else if (common_str_ieqz(f->name, f->nlen, "Message-ID"))
			dst = &a->orig_message_id;
		else if (common_str_ieqz(f->name, f->nlen, "Date"))
			dst = &a->orig_date;
		if (dst == NULL || *dst != NULL)
			continue;
		char *raw = arf_trimmed(f);
		if (dst == &a->orig_from || dst == &a->orig_subject) {
			/* RFC 2047 words decoded for people; still one line */
			*dst = mail_mime_decode_words(raw);
			for (char *p = *dst; *p; p++)
				if ((unsigned char)*p < 0x20)
					*p = ' ';
			free(raw);
		} else {
			*dst = raw;
		}
	}
	free(f);
}

/* Index of the first part of type t, -1 when none. */
static int arf_find(const struct mail_mime *m, const char *t)
{
	for (size_t i = 0; i < m->n_parts; i++)
		if (strcmp(m->parts[i].type, t) == 0)
			return (int)i;
	return -1;
}

/* Whether part i lies inside an embedded message (message/rfc822). */
static bool arf_inside_message(const struct mail_mime *m, size_t i)
{
	for (int p = m->parts[i].parent; p >= 0; p = m->parts[p].parent)
		if (strcmp(m->parts[p].type, "message/rfc822") == 0)
			return true;
	return false;
}

/* Case-insensitive month name (RFC 5322 3.3), 1..12, 0 when unknown. */
static int arf_month(const char *s, size_t n)
{
	static const char *const mon[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec"};
	for (int i = 0; i < 12; i++)
		if (n >= 3 && common_str_ieq(s, 3, mon[i], 3))
			return i + 1;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t arf_days(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The next run of digits (at most 4) or letters of c; spaces, commas skipped. */
static size_t arf_token(struct cursor *c, const char **t)
{
	while (common_cursor_peek(c) == ' ' || common_cursor_peek(c) == '\t' ||
	       common_cursor_peek(c) == ',')
		(void)common_cursor_get(c);
	*t = (const char *)common_cursor_ptr(c);
	size_t n = 0;
	int ch = common_cursor_peek(c);
	bool digit = ch >= '0' && ch <= '9';
	while ((ch = common_cursor_peek(c)) >= 0 && n < 8 &&
	       (digit ? (ch >= '0' && ch <= '9') : ((ch | 32) >= 'a' && (ch | 32) <= 'z'))) {
		(void)common_cursor_get(c);
		n++;
	}
	return n;
}

/* A decimal token of 1..maxd digits, or -1. */
static int64_t arf_num(struct cursor *c, size_t maxd)
{
	const char *t;
	size_t n = arf_token(c, &t);
	uint64_t v = 0;
	if (n == 0 || n > maxd || common_str_to_u64(t, n, 9999, &v) != ERR_OK)
		return -1;
	return (int64_t)v;
}

/* RFC 5322 3.3 zone ("+0200", or an obsolete name, 4.3), in seconds east. */
static int64_t arf_zone(struct cursor *c)
{
	static const struct {
		const char *n;
		int h;
	} obs[] = {{"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
		   {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
	while (common_cursor_peek(c) == ' ')
		(void)common_cursor_get(c);
	int sign = common_cursor_peek(c);
	if (sign == '+' || sign == '-') {
		(void)common_cursor_get(c);
		int64_t z = arf_num(c, 4);
		if (z < 0 || z % 100 > 59)
			return 0;
		z = (z / 100) * 3600 + (z % 100) * 60;
		return sign == '-' ? -z : z;
	}
	const char *t;
	size_t n = arf_token(c, &t);
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		if (common_str_ieqz(t, n, obs[i].n))
			return (int64_t)obs[i].h * 3600;
	return 0; /* UT, GMT, Z, military and unknown zones: RFC 5322 4.3 says +0000 */
}

/* RFC 5322 3.3 date-time to unix seconds; 0 when it does not parse. */
static int64_t arf_date(const char *s)
{
	struct cursor c;
	const char *t;
	common_cursor_init(&c, s, strlen(s));
	size_t n = arf_token(&c, &t);
	if (n == 0 || (t[0] >= '0' && t[0] <= '9'))
		common_cursor_init(&c, s, strlen(s)); /* no day name to skip */
	int64_t day = arf_num(&c, 2);
	n = arf_token(&c, &t);
	int mon = arf_month(t, n);
	int64_t year = arf_num(&c, 4);
	int64_t hh = arf_num(&c, 2);
	int64_t mm = common_cursor_accept(&c, ':') ? arf_num(&c, 2) : -1;
	int64_t ss = common_cursor_accept(&c, ':') ? arf_num(&c, 2) : 0;
	if (day < 1 || day > 31 || mon == 0 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
	    ss < 0 || ss > 60)
		return 0;
	if (year < 50)
		year += 2000; /* RFC 5322 4.3: two-digit years */
	else if (year < 1000)
		year += 1900;
	int64_t zone = arf_zone(&c);
	return arf_days(year, mon, (int)day) * 86400 + hh * 3600 + mm * 60 + ss - zone;
}

/* Every NULL string member as "" (the header promises "" when absent). */
static void arf_fill_empty(struct mail_arf *a)
{
	char **s[] = {&a->feedback_type,
		      &a->auth_failure,
		      &a->reported_domain,
		      &a->source_ip,
		      &a->original_mail_from,
		      &a->original_rcpt_to,
		      &a->arrival_date,
		      &a->reporting_mta,
		      &a->user_agent,
		      &a->delivery_result,
		      &a->identity_alignment,
		      &a->dkim_domain,
		      &a->dkim_selector,
		      &a->dkim_identity,
		      &a->spf_dns,
		      &a->authentication_results,
		      &a->orig_from,
		      &a->orig_subject,
		      &a->orig_message_id,
		      &a->orig_date,
		      &a->human};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (*s[i] == NULL)
			*s[i] = xstrdup("");
}

/* The feedback-report fields of body into a. */
static void arf_fields(struct mail_arf *a, const char *b, size_t len)
{
	struct cursor c;
	struct arf_field *f = xmalloc(sizeof(*f));
	char *ip = NULL;
	bool seen = false;
	common_cursor_init(&c, b, len);
	while (arf_next_field(&c, false, &seen, f))
		arf_apply(a, f, &ip);
	a->source_ip = arf_ip(ip ? ip : "");
	free(ip);
	free(f);
}

/* RFC 6591 3.1 asks for Reported-Domain; without it, the original From's domain. */
static void arf_domain_from_original(struct mail_arf *a)
{
	struct mail_mime_addr *ad = NULL;
	size_t n = 0;
	if (*a->reported_domain || !*a->orig_from ||
	    mail_mime_addrs(a->orig_from, &ad, &n) != ERR_OK)
		return;
	if (n > 0 && *ad[0].domain) {
		free(a->reported_domain);
		a->reported_domain = xstrdup(ad[0].domain);
	}
	mail_mime_addrs_free(ad, n);
}

/* The original message's headers and the human-readable part. */
static void arf_other_parts(const struct mail_mime *m, struct mail_arf *a)
{
	int o = arf_find(m, "text/rfc822-headers");
	if (o < 0)
		o = arf_find(m, "message/rfc822");
	if (o >= 0)
		arf_original(a, m->parts[o].body, m->parts[o].body_len);
	for (size_t i = 0; i < m->n_parts && a->human == NULL; i++)
		if (strcmp(m->parts[i].type, "text/plain") == 0 && !arf_inside_message(m, i)) {
			size_t n = m->parts[i].body_len;
			a->human =
			    xmemdup0(m->parts[i].body, n > ARF_HUMAN_MAX ? ARF_HUMAN_MAX : n);
		}
}

enum mp_err mail_report_arf_parse(const struct mail_mime *m, struct mail_arf *out, char *why,
				  size_t whysz)
{
	struct mail_arf a;
	enum mp_err err = ERR_OK;
	memset(&a, 0, sizeof(a));
	int fr = arf_find(m, "message/feedback-report");
	if (fr < 0) {
		snprintf(why, whysz, "no message/feedback-report part");
		return ERR_NOTFOUND;
	}
	arf_fields(&a, m->parts[fr].body, m->parts[fr].body_len);
	arf_other_parts(m, &a);
	arf_fill_empty(&a);
	common_str_lower(a.reported_domain);
	arf_domain_from_original(&a);
	if (!*a.feedback_type) {
		snprintf(why, whysz, "feedback report without Feedback-Type (RFC 5965 3.1)");
		err = ERR_PARSE;
		goto out;
	}
	if (!common_str_ieqz(a.feedback_type, strlen(a.feedback_type), "auth-failure")) {
		/* RFC 6591 3.1: a DMARC failure report is Feedback-Type auth-failure */
		snprintf(why, whysz, "feedback report of type \"%.64s\", not auth-failure",
			 a.feedback_type);
		err = ERR_NOTFOUND;
		goto out;
	}
	if (!*a.reported_domain) {
		snprintf(why, whysz,
			 "auth-failure report without Reported-Domain or original From "
			 "(RFC 6591 3.1)");
		err = ERR_PARSE;
		goto out;
	}
	a.arrival = arf_date(a.arrival_date);
out:
	if (err != ERR_OK) {
		mail_arf_free(&a);
		return err;
	}
	*out = a;
	return ERR_OK;
}

void mail_arf_free(struct mail_arf *a)
{
	if (a == NULL)
		return;
	char *s[] = {a->feedback_type,
		     a->auth_failure,
		     a->reported_domain,
		     a->source_ip,
		     a->original_mail_from,
		     a->original_rcpt_to,
		     a->arrival_date,
		     a->reporting_mta,
		     a->user_agent,
		     a->delivery_result,
		     a->identity_alignment,
		     a->dkim_domain,
		     a->dkim_selector,
		     a->dkim_identity,
		     a->spf_dns,
		     a->authentication_results,
		     a->orig_from,
		     a->orig_subject,
		     a->orig_message_id,
		     a->orig_date,
		     a->human};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free(s[i]);
	memset(a, 0, sizeof(*a));
}
