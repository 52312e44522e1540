/*
 * mail/dkim_msg: splitting a message into raw header fields for DKIM and the
 * DKIM-Signature pre-scan; see mail/dkim_msg.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/name.h"
#include "dns/tags.h"
#include "mail/dkim.h"
#include "mail/dkim_msg.h"

#define SIG_FIELD "DKIM-Signature"

/*
 * Copy msg with every bare LF turned into CRLF (RFC 5322 2.1: lines end in
 * CRLF).  Line by line with memchr/memcpy: most mail already has CRLF.
 */
static char *to_crlf(const char *msg, size_t len, size_t *outlen)
{
	char *o = xmalloc(2 * len + 1);
	size_t n = 0, i = 0;

	while (i < len) {
		const char *lf = memchr(msg + i, '\n', len - i);
		size_t run = lf ? (size_t)(lf - (msg + i)) : len - i;

		memcpy(o + n, msg + i, run);
		n += run;
		i += run;
		if (lf == NULL)
			break;
		if (i == 0 || msg[i - 1] != '\r')
			o[n++] = '\r';
		o[n++] = '\n';
		i++;
	}
	o[n] = '\0';
	*outlen = n;
	return o;
}

/* Offset of the next CRLF at or after pos in [p, p+len), or len. */
static size_t line_end(const char *p, size_t len, size_t pos)
{
	while (pos + 1 < len) {
		const char *cr = memchr(p + pos, '\r', len - pos - 1);

		if (cr == NULL)
			break;
		pos = (size_t)(cr - p);
		if (p[pos + 1] == '\n')
			return pos;
		pos++;
	}
	return len;
}

bool mail_dkim_msg_field_is(const char *p, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || !common_str_ieq(p, n, name, n))
		return false;
	/* RFC 5322 3.6.8 / obs-optional: WSP may precede the colon. */
	while (n < len && (p[n] == ' ' || p[n] == '\t'))
		n++;
	return n < len && p[n] == ':';
}

static void field_push(struct mail_dkim_msg *m, size_t start, size_t end)
{
	struct mail_dkim_field *f;

	if (m->nf == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->f = xreallocarray(m->f, m->cap, sizeof *m->f);
	}
	f = &m->f[m->nf++];
	f->p = m->norm + start;
	f->len = end - start;
	f->is_sig = mail_dkim_msg_field_is(f->p, f->len, SIG_FIELD);
	if (memchr(f->p, '\0', f->len) != NULL || memchr(f->p, ':', f->len) == NULL)
		m->bad_header = true;
}

enum mp_err mail_dkim_msg_split(const char *msg, size_t len, struct mail_dkim_msg *m)
{
	size_t pos = 0;

	memset(m, 0, sizeof *m);
	if (len > MAIL_DKIM_MAX_MSG)
		return ERR_LIMIT;
	m->norm = to_crlf(msg, len, &m->len);
	while (pos < m->len) {
		size_t start = pos, end;

		if (m->len - pos >= 2 && m->norm[pos] == '\r' && m->norm[pos + 1] == '\n') {
			m->body = m->norm + pos + 2;
			m->body_len = m->len - pos - 2;
			return ERR_OK;
		}
		if (m->nf >= MAIL_DKIM_MAX_FIELDS)
			return ERR_LIMIT;
		end = line_end(m->norm, m->len, pos);
		while (end + 2 < m->len && (m->norm[end + 2] == ' ' || m->norm[end + 2] == '\t'))
			end = line_end(m->norm, m->len, end + 2);
		field_push(m, start, end);
		pos = end + 2;
	}
	m->body = m->norm + m->len;
	return ERR_OK;
}

void mail_dkim_msg_free(struct mail_dkim_msg *m)
{
	free(m->f);
	free(m->norm);
	memset(m, 0, sizeof *m);
}

static char *tag_dup(const struct dns_tags *t, const char *name, bool nows)
{
	const struct dns_tag *tag = dns_tags_find(t, name);

	if (tag == NULL)
		return xstrdup("");
	if (nows)
		return dns_tags_value_nows(tag, NULL);
	return xmemdup0(tag->value, tag->value_len);
}

/* Read d= s= a= b= i= of one DKIM-Signature field (RFC 6376 3.5). */
void mail_dkim_presig_scan(const struct mail_dkim_field *f, struct mail_dkim_presig *p)
{
	struct dns_tags *t = xmalloc(sizeof *t); /* 4 KB; dns_tags_parse sets n */
	const char *colon = memchr(f->p, ':', f->len);
	const char *v = colon + 1;
	size_t vlen = f->len - (size_t)(v - f->p);
	char why[128];

	memset(p, 0, sizeof *p);
	if (dns_tags_parse(v, vlen, 0, t, why, sizeof why) != ERR_OK) {
		p->why = xasprintf("signature syntax: %s", why);
		t->n = 0;
	}
	p->d = tag_dup(t, "d", true);
	p->s = tag_dup(t, "s", true);
	p->a = tag_dup(t, "a", true);
	p->b = tag_dup(t, "b", true);
	p->i = tag_dup(t, "i", true);
	free(t);
	common_str_lower(p->d);
	if (p->d[0] != '\0' && p->s[0] != '\0') {
		char *q = xasprintf("%s._domainkey.%s", p->s, p->d);

		if (dns_name_valid(q, strlen(q)))
			p->qname = q;
		else
			free(q);
	}
}

void mail_dkim_presig_free(struct mail_dkim_presig *p)
{
	free(p->d);
	free(p->s);
	free(p->a);
	free(p->b);
	free(p->i);
	free(p->qname);
	free(p->why);
}

bool mail_dkim_msg_has_from(const struct mail_dkim_msg *m)
{
	for (size_t i = 0; i < m->nf; i++)
		if (mail_dkim_msg_field_is(m->f[i].p, m->f[i].len, "From"))
			return true;
	return false;
}

/* "DKIM-Signature: " + value (its folds made CRLF) + CRLF. */
char *mail_dkim_msg_sig_field(const unsigned char *v, size_t len)
{
	char *o = xmalloc(sizeof SIG_FIELD + 2 + 2 * len + 3);
	size_t n = (size_t)snprintf(o, sizeof SIG_FIELD + 2, "%s: ", SIG_FIELD);

	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r'))
			o[n++] = '\r';
		o[n++] = (char)v[i];
	}
	memcpy(o + n, "\r\n", 3);
	return o;
}

/* A copy of s without FWS (RFC 6376 3.5: FWS inside b= is ignored). */
char *mail_dkim_msg_strip_fws(const char *s)
{
	char *o = xstrdup(s);
	size_t k = 0;

	for (size_t j = 0; o[j] != '\0'; j++)
		if (o[j] != ' ' && o[j] != '\t' && o[j] != '\r' && o[j] != '\n')
			o[k++] = o[j];
	o[k] = '\0';
	return o;
}
