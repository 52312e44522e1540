/*
 * mail/authres: RFC 8601 Authentication-Results parser and writer (see
 * authres.h for what it accepts beyond the strict grammar, and its bounds).
 *
 * The parser reads through one bounded cursor (STYLE.md 13).  It follows
 * RFC 8601 2.2:
 *   authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
 *                     ( no-result / 1*resinfo ) [CFWS]
 *   resinfo         = [CFWS] ";" methodspec [ CFWS reasonspec ]
 *                     [ CFWS 1*propspec ]
 *   methodspec      = [CFWS] method [CFWS] "=" [CFWS] result
 *   propspec        = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 * with CFWS and quoted strings from RFC 5322 3.2.2 / 3.2.4, and UTF-8
 * allowed in values and comments (RFC 8616).
 */
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/cursor.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/authres.h"

#define FOLD_AT 78

struct ps {
	struct cursor c;
	char *why;
	size_t whysz;
	enum mp_err err; /* ERR_OK until the first error */
	size_t nres;	 /* 1-based number of the result being read, for messages */
};

static bool fail(struct ps *p, enum mp_err e, const char *what)
{
	if (p->err == ERR_OK) {
		p->err = e;
		if (p->why != NULL && p->whysz > 0) {
			if (p->nres > 0)
				snprintf(p->why, p->whysz, "result %zu: %s (at byte %zu)", p->nres,
					 what, p->c.pos);
			else
				snprintf(p->why, p->whysz, "%s (at byte %zu)", what, p->c.pos);
		}
	}
	return false;
}

static bool is_wsp(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool is_kwch(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* Consume one byte of text that may be 8-bit: NUL/controls are errors, UTF-8 must be whole. */
static bool text_byte(struct ps *p, struct buf *keep)
{
	const unsigned char *at = common_cursor_ptr(&p->c);
	int ch = common_cursor_peek(&p->c);
	size_t n = 1;

	if (ch == 0)
		return fail(p, ERR_PARSE, "NUL byte");
	if ((ch < 0x20 && !is_wsp(ch)) || ch == 0x7f)
		return fail(p, ERR_PARSE, "control byte");
	if (ch >= 0x80) {
		n = common_str_utf8_seq(at, common_cursor_left(&p->c));
		if (n == 0)
			return fail(p, ERR_PARSE, "invalid UTF-8");
	}
	if (common_cursor_take(&p->c, n) == NULL)
		return fail(p, ERR_PARSE, "truncated");
	if (keep != NULL && common_buf_append(keep, at, n) != ERR_OK)
		return fail(p, ERR_LIMIT, "comment too long");
	return true;
}

/* RFC 5322 3.2.2 comment, nested; the '(' is next.  Text kept in keep when not NULL. */
static bool comment(struct ps *p, struct buf *keep)
{
	unsigned depth = 0;

	do {
		int ch = common_cursor_peek(&p->c);

		if (ch < 0)
			return fail(p, ERR_PARSE, "unterminated comment");
		if (ch == '(' && ++depth > MAIL_AUTHRES_MAX_NEST)
			return fail(p, ERR_LIMIT, "comments nested too deeply");
		if (ch == '\\') {
			(void)common_cursor_get(&p->c);
			if (common_cursor_eof(&p->c))
				return fail(p, ERR_PARSE, "unterminated comment");
		} else if (ch == ')') {
			depth--;
		}
		if ((ch == '(' && depth == 1) || (ch == ')' && depth == 0)) {
			(void)common_cursor_get(&p->c);
			continue;
		}
		if (!text_byte(p, keep))
			return false;
	} while (depth > 0);
	return true;
}

/* [CFWS]; the first comment's text goes to *first when first is not NULL and empty. */
static bool cfws(struct ps *p, char **first)
{
	for (;;) {
		int ch = common_cursor_peek(&p->c);

		if (is_wsp(ch)) {
			(void)common_cursor_get(&p->c);
		} else if (ch == '(') {
			struct buf b;
			bool ok;

			common_buf_init(&b, MAIL_AUTHRES_MAX_LEN);
			ok = comment(p, first != NULL && *first == NULL ? &b : NULL);
			if (ok && first != NULL && *first == NULL) {
				const char *s = common_buf_str(&b);
				size_t n = b.len;

				common_str_trim(&s, &n);
				*first = xmemdup0(s, n);
			}
			common_buf_free(&b);
			if (!ok)
				return false;
		} else {
			return true;
		}
	}
}

/* Keyword (letters, digits, '-', '_'), lower-cased; NULL and an error when empty. */
static char *keyword(struct ps *p, const char *what)
{
	size_t start = p->c.pos;
	char *k;

	while (is_kwch(common_cursor_peek(&p->c)))
		(void)common_cursor_get(&p->c);
	if (p->c.pos == start) {
		char msg[96];

		snprintf(msg, sizeof msg, "expected %s", what);
		fail(p, ERR_PARSE, msg);
		return NULL;
	}
	k = xmemdup0(p->c.p + start, p->c.pos - start);
	common_str_lower(k);
	return k;
}

static bool quoted(struct ps *p, struct buf *b)
{
	(void)common_cursor_get(&p->c); /* the opening quote */
	for (;;) {
		int ch = common_cursor_peek(&p->c);

		if (ch < 0)
			return fail(p, ERR_PARSE, "unterminated quoted string");
		if (ch == '"') {
			(void)common_cursor_get(&p->c);
			return true;
		}
		if (ch == '\\') {
			(void)common_cursor_get(&p->c);
			if (common_cursor_eof(&p->c))
				return fail(p, ERR_PARSE, "unterminated quoted string");
		} else if (ch == '\r' || ch == '\n') {
			(void)common_cursor_get(&p->c); /* folding inside the string */
			continue;
		}
		if (!text_byte(p, b))
			return false;
	}
}

/*
 * A value: a quoted string, or (leniently, see authres.h) a run of bytes up
 * to white space, ';', '(' or ')'.  NULL and an error when there is none.
 */
static char *value(struct ps *p, const char *what)
{
	struct buf b;
	char *v;

	common_buf_init(&b, MAIL_AUTHRES_MAX_LEN);
	if (common_cursor_peek(&p->c) == '"') {
		if (!quoted(p, &b))
			goto fail;
		return common_buf_steal(&b, NULL);
	}
	for (;;) {
		int ch = common_cursor_peek(&p->c);

		if (ch < 0 || is_wsp(ch) || ch == ';' || ch == '(' || ch == ')' || ch == '"')
			break;
		if (!text_byte(p, &b))
			goto fail;
	}
	if (b.len == 0) {
		char msg[96];

		snprintf(msg, sizeof msg, "expected %s", what);
		fail(p, ERR_PARSE, msg);
		goto fail;
	}
	v = common_buf_steal(&b, NULL);
	return v;
fail:
	common_buf_free(&b);
	return NULL;
}

/* Optional 1*DIGIT [CFWS] version; false on error. */
static bool version(struct ps *p, unsigned *out)
{
	size_t start = p->c.pos;
	uint64_t v;

	while (common_cursor_peek(&p->c) >= '0' && common_cursor_peek(&p->c) <= '9')
		(void)common_cursor_get(&p->c);
	if (p->c.pos == start)
		return fail(p, ERR_PARSE, "expected a version number");
	if (common_str_to_u64((const char *)p->c.p + start, p->c.pos - start, 999999, &v) != ERR_OK)
		return fail(p, ERR_PARSE, "version number too large");
	*out = (unsigned)v;
	return cfws(p, NULL);
}

static void result_free(struct mail_authres_result *r)
{
	free(r->method);
	free(r->result);
	free(r->comment);
	free(r->reason);
	for (size_t i = 0; i < r->n_props; i++) {
		free(r->props[i].ptype);
		free(r->props[i].property);
		free(r->props[i].value);
	}
	free(r->props);
	memset(r, 0, sizeof *r);
}

/* One propspec or reasonspec (or a bare key=value); the key's first byte is next. */
static bool propspec(struct ps *p, struct mail_authres_result *r)
{
	char *ptype = keyword(p, "a property (ptype.property=value)"), *prop = NULL, *v;

	if (ptype == NULL || !cfws(p, NULL))
		goto fail;
	if (common_cursor_accept(&p->c, '.')) {
		if (!cfws(p, NULL) || (prop = keyword(p, "a property name after '.'")) == NULL ||
		    !cfws(p, NULL))
			goto fail;
	} else {
		prop = ptype; /* reason=, or a bare key such as Microsoft's action= */
		ptype = xstrdup("");
	}
	if (!common_cursor_accept(&p->c, '=')) {
		fail(p, ERR_PARSE, "expected '=' after a property name");
		goto fail;
	}
	if (!cfws(p, NULL) || (v = value(p, "a property value")) == NULL)
		goto fail;
	if (!*ptype && strcmp(prop, "reason") == 0 && r->reason == NULL) {
		r->reason = v;
		free(ptype);
		free(prop);
		return true;
	}
	if (r->n_props >= MAIL_AUTHRES_MAX_PROPS) {
		free(v);
		fail(p, ERR_LIMIT, "too many properties");
		goto fail;
	}
	r->props = xreallocarray(r->props, r->n_props + 1, sizeof *r->props);
	r->props[r->n_props++] = (struct mail_authres_prop){ptype, prop, v};
	return true;
fail:
	free(ptype);
	free(prop);
	return false;
}

/* methodspec [reasonspec] *propspec, after the ';' and its CFWS; method is read already. */
static bool resinfo(struct ps *p, struct mail_authres_result *r)
{
	if (!cfws(p, NULL))
		return false;
	if (common_cursor_accept(&p->c, '/')) {
		if (!cfws(p, NULL) || !version(p, &r->version))
			return false;
	}
	if (!common_cursor_accept(&p->c, '=')) {
		char msg[160];

		snprintf(msg, sizeof msg, "expected '=' after method \"%.64s\"", r->method);
		return fail(p, ERR_PARSE, msg);
	}
	if (!cfws(p, NULL) || (r->result = keyword(p, "a result word")) == NULL)
		return false;
	if (!cfws(p, &r->comment))
		return false;
	while (!common_cursor_eof(&p->c) && common_cursor_peek(&p->c) != ';') {
		if (!propspec(p, r) || !cfws(p, NULL))
			return false;
	}
	return true;
}

static bool results(struct ps *p, struct mail_authres *ar)
{
	while (!common_cursor_eof(&p->c)) {
		struct mail_authres_result r = {0};
		bool ok;

		if (!common_cursor_accept(&p->c, ';'))
			return fail(p, ERR_PARSE, "expected ';' between results");
		if (!cfws(p, NULL))
			return false;
		if (common_cursor_eof(&p->c) || common_cursor_peek(&p->c) == ';')
			continue; /* a trailing or doubled ';' */
		if (ar->none)
			return fail(p, ERR_PARSE, "a result after \"none\"");
		if (ar->n_results >= MAIL_AUTHRES_MAX_RESULTS)
			return fail(p, ERR_LIMIT, "more than 32 results");
		p->nres = ar->n_results + 1;
		if ((r.method = keyword(p, "a method name")) == NULL)
			return false;
		if (ar->n_results == 0 && strcmp(r.method, "none") == 0) {
			/* RFC 8601 2.2 no-result: "none" alone, where a method would be. */
			free(r.method);
			ar->none = true;
			if (!cfws(p, NULL))
				return false;
			continue;
		}
		ok = resinfo(p, &r);
		if (!ok) {
			result_free(&r);
			return false;
		}
		ar->results = xreallocarray(ar->results, ar->n_results + 1, sizeof *ar->results);
		ar->results[ar->n_results++] = r;
	}
	p->nres = 0;
	if (!ar->none && ar->n_results == 0)
		return fail(p, ERR_PARSE, "no results and no \"none\"");
	return true;
}

enum mp_err mail_authres_parse(const char *s, size_t len, struct mail_authres *out, char *why,
			       size_t whysz)
{
	struct ps p = {.why = why, .whysz = whysz};
	struct mail_authres ar = {0};

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	common_cursor_init(&p.c, s, len);
	if (len > MAIL_AUTHRES_MAX_LEN) {
		fail(&p, ERR_LIMIT, "field longer than 16384 bytes");
		return p.err;
	}
	if (!cfws(&p, NULL) || (ar.authserv_id = value(&p, "an authserv-id")) == NULL ||
	    !cfws(&p, NULL))
		goto fail;
	if (common_cursor_peek(&p.c) >= '0' && common_cursor_peek(&p.c) <= '9' &&
	    !version(&p, &ar.version))
		goto fail;
	if (!results(&p, &ar))
		goto fail;
	*out = ar;
	return ERR_OK;
fail:
	mail_authres_free(&ar);
	return p.err != ERR_OK ? p.err : ERR_PARSE;
}

void mail_authres_free(struct mail_authres *ar)
{
	if (ar == NULL)
		return;
	free(ar->authserv_id);
	for (size_t i = 0; i < ar->n_results; i++)
		result_free(&ar->results[i]);
	free(ar->results);
	memset(ar, 0, sizeof *ar);
}

const char *mail_authres_prop_get(const struct mail_authres_result *r, const char *ptype,
				  const char *property)
{
	for (size_t i = 0; i < r->n_props; i++)
		if (common_str_ieqz(r->props[i].ptype, strlen(r->props[i].ptype), ptype) &&
		    common_str_ieqz(r->props[i].property, strlen(r->props[i].property), property))
			return r->props[i].value;
	return NULL;
}

/* ---- the writer ---- */

/*
 * Appends for the writer.  Its buffers are bounded far above any field we
 * write, so a failed append (which leaves the buffer unchanged) is dropped.
 */
static void bputs(struct buf *b, const char *s)
{
	if (common_buf_puts(b, s) != ERR_OK)
		return;
}

static void bputc(struct buf *b, char c)
{
	if (common_buf_putc(b, c) != ERR_OK)
		return;
}

static void bappend(struct buf *b, const char *s, size_t n)
{
	if (common_buf_append(b, s, n) != ERR_OK)
		return;
}

static void bputu(struct buf *b, const char *pre, unsigned u)
{
	if (common_buf_printf(b, "%s%u", pre, u) != ERR_OK)
		return;
}

struct mail_authres_result *mail_authres_add(struct mail_authres *ar, const char *method,
					     const char *result, const char *comment)
{
	struct mail_authres_result *r;

	ar->results = xreallocarray(ar->results, ar->n_results + 1, sizeof *ar->results);
	r = &ar->results[ar->n_results++];
	memset(r, 0, sizeof *r);
	r->method = xstrdup(method);
	r->result = xstrdup(result);
	r->comment = comment ? xstrdup(comment) : NULL;
	return r;
}

void mail_authres_add_prop(struct mail_authres_result *r, const char *ptype, const char *property,
			   const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	r->props = xreallocarray(r->props, r->n_props + 1, sizeof *r->props);
	r->props[r->n_props++] =
	    (struct mail_authres_prop){xstrdup(ptype), xstrdup(property), xstrdup(value)};
}

static bool is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* RFC 2045 token character. */
static bool is_tokch(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("()<>@,;:\\\"/[]?=", ch) == NULL;
}

/* RFC 5322 atext plus '.', for a dot-atom local-part. */
static bool is_atext(unsigned char ch)
{
	return is_kwch(ch) || (ch != 0 && strchr("!#$%&'*+/=?^`{|}~.", ch) != NULL);
}

/* RFC 8601 pvalue without quotes: a token, or [ [local-part] "@" ] domain-name. */
static bool bare_ok(const char *v)
{
	const char *at = strrchr(v, '@');
	bool tok = *v != '\0';

	for (const char *q = v; *q && tok; q++)
		tok = is_tokch((unsigned char)*q);
	if (tok || at == NULL || at[1] == '\0')
		return tok;
	for (const char *q = v; q < at; q++)
		if (!is_atext((unsigned char)*q))
			return false;
	for (const char *q = at + 1; *q; q++)
		if (!is_kwch((unsigned char)*q) && *q != '.')
			return false;
	return true;
}

/* Append v with control bytes replaced by '?', quoted when it is not bare. */
static void put_value(struct buf *b, const char *v)
{
	bool q = !bare_ok(v);
	enum mp_err e = q ? common_buf_putc(b, '"') : ERR_OK;

	for (const unsigned char *s = (const unsigned char *)v; *s && e == ERR_OK; s++) {
		if (q && (*s == '"' || *s == '\\'))
			e = common_buf_putc(b, '\\');
		if (e == ERR_OK)
			e = common_buf_putc(b, is_ctl(*s) ? '?' : (char)*s);
	}
	if (q && e == ERR_OK)
		e = common_buf_putc(b, '"');
	(void)e; /* the buffer bound is generous; a cut field is still a field */
}

/* Append "(text)" with parentheses and backslashes escaped, controls replaced. */
static void put_comment(struct buf *b, const char *t)
{
	enum mp_err e = common_buf_putc(b, '(');

	for (const unsigned char *s = (const unsigned char *)t; *s && e == ERR_OK; s++) {
		if (*s == '(' || *s == ')' || *s == '\\')
			e = common_buf_putc(b, '\\');
		if (e == ERR_OK)
			e = common_buf_putc(b, is_ctl(*s) ? '?' : (char)*s);
	}
	if (e == ERR_OK)
		e = common_buf_putc(b, ')');
	(void)e;
}

struct folder {
	struct buf out;
	size_t col;
};

/*
 * Append text [s, s+n) as words split at spaces outside quoted strings: a
 * word that would pass FOLD_AT starts a new line (RFC 5322 2.2.3 folding).
 * newline puts the first word on a new line after CRLF + tab (a tab is
 * counted as 8 columns).
 */
static void fold_text(struct folder *f, const char *s, size_t n, bool newline, bool space)
{
	size_t i = 0;
	unsigned depth = 0; /* comment nesting at the current space */

	while (i < n) {
		size_t j = i;
		bool inq = false, in_comment = depth > 0;

		while (j < n && (inq || s[j] != ' ')) {
			if (s[j] == '\\' && (inq || depth > 0) && j + 1 < n)
				j++;
			else if (s[j] == '"' && depth == 0)
				inq = !inq;
			else if (!inq && s[j] == '(')
				depth++;
			else if (!inq && s[j] == ')' && depth > 0)
				depth--;
			j++;
		}
		if (newline) {
			bputs(&f->out, "\r\n\t");
			f->col = 8;
		} else if (f->col > 8 && f->col + 1 + (j - i) > FOLD_AT) {
			/* In a comment, fold at the space itself so that it unfolds unchanged;
			   elsewhere the space is CFWS and a tab reads better. */
			bputs(&f->out, in_comment ? "\r\n " : "\r\n\t");
			f->col = in_comment ? 1 : 8;
		} else if (space) {
			bputc(&f->out, ' ');
			f->col++;
		}
		bappend(&f->out, s + i, j - i);
		f->col += j - i;
		newline = false;
		space = true;
		i = j;
		while (i < n && s[i] == ' ')
			i++;
	}
}

static void write_result(struct folder *f, const struct mail_authres_result *r, bool last)
{
	struct buf b;

	common_buf_init(&b, MAIL_AUTHRES_MAX_LEN);
	put_value(&b, r->method);
	if (r->version > 0)
		bputu(&b, "/", r->version);
	bputc(&b, '=');
	put_value(&b, r->result);
	if (r->comment != NULL) {
		bputc(&b, ' ');
		put_comment(&b, r->comment);
	}
	if (r->reason != NULL) {
		bputs(&b, " reason=");
		put_value(&b, r->reason);
	}
	for (size_t i = 0; i < r->n_props; i++) {
		const struct mail_authres_prop *p = &r->props[i];

		bputc(&b, ' ');
		if (*p->ptype) {
			put_value(&b, p->ptype);
			bputc(&b, '.');
		}
		put_value(&b, p->property);
		bputc(&b, '=');
		put_value(&b, p->value);
	}
	if (!last)
		bputc(&b, ';');
	fold_text(f, common_buf_str(&b), b.len, true, true);
	common_buf_free(&b);
}

char *mail_authres_write(const struct mail_authres *ar)
{
	struct folder f;
	struct buf id;

	common_buf_init(&f.out, (size_t)1 << 20);
	common_buf_init(&id, MAIL_AUTHRES_MAX_LEN);
	bputs(&f.out, "Authentication-Results:");
	f.col = strlen("Authentication-Results:");
	put_value(&id, ar->authserv_id && *ar->authserv_id ? ar->authserv_id : "localhost");
	if (ar->version > 0)
		bputu(&id, " ", ar->version);
	bputs(&id, ar->n_results == 0 ? "; none" : ";");
	fold_text(&f, common_buf_str(&id), id.len, false, true);
	common_buf_free(&id);
	for (size_t i = 0; i < ar->n_results; i++)
		write_result(&f, &ar->results[i], i + 1 == ar->n_results);
	return common_buf_steal(&f.out, NULL);
}
