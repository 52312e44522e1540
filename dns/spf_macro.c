/*
 * dns/spf_macro: RFC 7208 7 macro strings, see spf_macro.h.
 *
 * One tokenizer reads a string into literal runs, the three escapes and
 * macro-expands; the syntax check runs it to the end, the expander writes
 * each token's value.  So the two can never disagree on what is valid.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "common/cursor.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/spf_macro.h"
#include "dns/spf_ptr.h"

/* "%{d999}" asks for more parts than any value has: all of them (7.3). */
#define DIGITS_CAP 1000

enum tok_kind { TOK_LITERAL, TOK_ESCAPE, TOK_MACRO };

struct token {
	enum tok_kind kind;
	const char *p; /* TOK_LITERAL: the run; TOK_ESCAPE: the replacement text */
	size_t len;
	char letter;	 /* TOK_MACRO: as written (upper case means URL-escape) */
	unsigned digits; /* 0 when absent */
	bool reverse;
	const char *delims; /* may be empty: "." is the default */
	size_t ndelims;
};

/* RFC 7208 7.1 macro-letter, and 7.2: c r t only in explanation text. */
static bool letter_ok(int ch, enum dns_spf_macro_mode mode)
{
	int lc = common_str_lc(ch);

	if (lc != 0 && strchr("slodiphv", lc) != NULL)
		return true;
	return mode == DNS_SPF_MACRO_EXPLAIN && lc != 0 && strchr("crt", lc) != NULL;
}

/* RFC 7208 7.1: delimiter = "." / "-" / "+" / "," / "/" / "_" / "=" */
static bool is_delim(int ch)
{
	return ch != 0 && strchr(".-+,/_=", ch) != NULL;
}

/* macro-literal = %x21-24 / %x26-7E; explain-string also allows SP. */
static bool literal_ok(int ch, enum dns_spf_macro_mode mode)
{
	if (ch == '%')
		return false;
	if (ch == ' ')
		return mode == DNS_SPF_MACRO_EXPLAIN;
	return ch >= 0x21 && ch <= 0x7e;
}

/* After "%{": macro-letter transformers *delimiter "}" (RFC 7208 7.1). */
static bool read_macro(struct cursor *c, enum dns_spf_macro_mode mode, struct token *t,
		       const char **why)
{
	int ch = common_cursor_get(c);
	bool have_digits = false;

	if (ch < 0 || !letter_ok(ch, mode)) {
		*why = ch >= 0 && letter_ok(ch, DNS_SPF_MACRO_EXPLAIN)
			   ? "macro letters c, r and t are allowed only in explanation text"
			   : "unknown macro letter";
		return false;
	}
	t->kind = TOK_MACRO;
	t->letter = (char)ch;
	while (common_cursor_peek(c) >= '0' && common_cursor_peek(c) <= '9') {
		unsigned d = (unsigned)(common_cursor_get(c) - '0');

		have_digits = true;
		t->digits = t->digits * 10 + d > DIGITS_CAP ? DIGITS_CAP : t->digits * 10 + d;
	}
	/* RFC 7208 7.3: "If a DIGIT is specified, the value MUST be nonzero." */
	if (have_digits && t->digits == 0) {
		*why = "macro digit transformer must not be zero";
		return false;
	}
	t->reverse = common_cursor_accept(c, 'r') || common_cursor_accept(c, 'R');
	t->delims = (const char *)common_cursor_ptr(c);
	while (is_delim(common_cursor_peek(c)))
		common_cursor_get(c);
	t->ndelims = (size_t)((const char *)common_cursor_ptr(c) - t->delims);
	if (!common_cursor_accept(c, '}')) {
		*why = "macro not closed by '}' or bad character inside it";
		return false;
	}
	return true;
}

/* A '%' was read: one of "%{...}", "%%", "%_", "%-" follows. */
static bool read_percent(struct cursor *c, enum dns_spf_macro_mode mode, struct token *t,
			 const char **why)
{
	int ch = common_cursor_get(c);

	t->kind = TOK_ESCAPE;
	switch (ch) {
	case '{':
		return read_macro(c, mode, t, why);
	case '%':
		t->p = "%";
		t->len = 1;
		return true;
	case '_':
		t->p = " ";
		t->len = 1;
		return true;
	case '-':
		t->p = "%20";
		t->len = 3;
		return true;
	default:
		*why = "'%' must be followed by '{', '%', '_' or '-'";
		return false;
	}
}

/* Next token at c; false with *why on a syntax error (c->pos near it). */
static bool next_token(struct cursor *c, enum dns_spf_macro_mode mode, struct token *t,
		       const char **why)
{
	const char *start = (const char *)common_cursor_ptr(c);

	memset(t, 0, sizeof *t);
	if (common_cursor_accept(c, '%'))
		return read_percent(c, mode, t, why);
	while (!common_cursor_eof(c) && literal_ok(common_cursor_peek(c), mode))
		common_cursor_get(c);
	t->kind = TOK_LITERAL;
	t->p = start;
	t->len = (size_t)((const char *)common_cursor_ptr(c) - start);
	if (t->len == 0) {
		*why = mode == DNS_SPF_MACRO_EXPLAIN
			   ? "character not allowed in explanation (control or non-ASCII)"
			   : "character not allowed (space, control or non-ASCII)";
		return false;
	}
	return true;
}

enum mp_err dns_spf_macro_check(const char *s, size_t len, enum dns_spf_macro_mode mode,
				const char **why, size_t *pos)
{
	struct cursor c;
	struct token t;

	common_cursor_init(&c, s, len);
	while (!common_cursor_eof(&c)) {
		size_t at = c.pos;

		if (!next_token(&c, mode, &t, why)) {
			*pos = at;
			return ERR_PARSE;
		}
	}
	return ERR_OK;
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 */
static bool toplabel_ok(const char *s, size_t len)
{
	bool alpha = false, dash = false;

	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');

		if (ch == '-')
			dash = true;
		else if (letter)
			alpha = true;
		else if (ch < '0' || ch > '9')
			return false;
	}
	return alpha || dash;
}

/* domain-end = ( "." toplabel [ "." ] ) / macro-expand, given the last token. */
static bool domain_end_ok(const struct token *last)
{
	const char *dot;
	size_t len;

	if (last->kind != TOK_LITERAL)
		return true;
	len = last->len;
	if (len > 0 && last->p[len - 1] == '.')
		len--;
	dot = len ? memrchr(last->p, '.', len) : NULL;
	if (dot == NULL)
		return false;
	return toplabel_ok(dot + 1, len - (size_t)(dot + 1 - last->p));
}

enum mp_err dns_spf_macro_check_domain(const char *s, size_t len, const char **why, size_t *pos)
{
	struct cursor c;
	struct token t = {0};

	if (len == 0) {
		*why = "empty domain-spec";
		*pos = 0;
		return ERR_PARSE;
	}
	common_cursor_init(&c, s, len);
	while (!common_cursor_eof(&c)) {
		size_t at = c.pos;

		if (!next_token(&c, DNS_SPF_MACRO_DOMAIN, &t, why)) {
			*pos = at;
			return ERR_PARSE;
		}
	}
	if (!domain_end_ok(&t)) {
		*why = "domain must end in a macro or in a dot and a valid top label "
		       "(letters, digits, inner dashes; not all digits)";
		*pos = len;
		return ERR_PARSE;
	}
	return ERR_OK;
}

uint32_t dns_spf_macro_letters(const char *s, size_t len)
{
	struct cursor c;
	struct token t;
	const char *why;
	uint32_t mask = 0;

	common_cursor_init(&c, s, len);
	while (!common_cursor_eof(&c) && next_token(&c, DNS_SPF_MACRO_EXPLAIN, &t, &why))
		if (t.kind == TOK_MACRO)
			mask |= 1u << (common_str_lc(t.letter) - 'a');
	return mask;
}

/* The "p" value: the validated name chosen for the current domain (7.3). */
static enum mp_err value_p(const struct dns_spf_macro_ctx *ctx, struct buf *tmp)
{
	struct dns_spf_ptr_names names = {0};
	enum mp_err e;

	if (ctx->book == NULL || ctx->ip == NULL || ctx->domain == NULL)
		return ERR_INVAL;
	e = dns_spf_ptr_validate(ctx->book, ctx->ip, &names);
	if (e != ERR_OK)
		return e;
	e = common_buf_puts(tmp, dns_spf_ptr_choose(&names, ctx->domain));
	dns_spf_ptr_names_free(&names);
	return e;
}

/* Values computed from the address or the clock, written into tmp. */
static enum mp_err value_computed(const struct dns_spf_macro_ctx *ctx, int lc, struct buf *tmp)
{
	char text[DNS_SPF_IP_TEXT_MAX];

	if (lc == 't')
		return common_buf_printf(tmp, "%" PRId64, ctx->now);
	if (lc == 'p')
		return value_p(ctx, tmp);
	if (ctx->ip == NULL)
		return ERR_INVAL;
	if (lc == 'i')
		dns_spf_ip_dotted(ctx->ip, ctx->hex_upper, text);
	else if (lc == 'c')
		dns_spf_ip_text(ctx->ip, text);
	else /* 'v' */
		return common_buf_puts(tmp, ctx->ip->family == 4 ? "in-addr" : "ip6");
	return common_buf_puts(tmp, text);
}

/* The raw value of a letter (before transformers), in tmp. */
static enum mp_err letter_value(const struct dns_spf_macro_ctx *ctx, int lc, struct buf *tmp)
{
	const char *v = NULL;

	switch (lc) {
	case 's':
		v = ctx->sender;
		break;
	case 'l':
		v = ctx->local;
		break;
	case 'o':
		v = ctx->sender_domain;
		break;
	case 'd':
		v = ctx->domain;
		break;
	case 'h':
		v = ctx->helo;
		break;
	case 'r':
		v = ctx->receiver ? ctx->receiver : "unknown";
		break;
	default:
		return value_computed(ctx, lc, tmp);
	}
	return v == NULL ? ERR_INVAL : common_buf_puts(tmp, v);
}

/*
 * RFC 7208 7.3: split on the delimiters ("." by default), reverse if asked,
 * keep the rightmost `digits` parts, join with ".".
 */
static enum mp_err transform(const struct token *t, const char *v, size_t len, struct buf *out)
{
	const char *delims = t->ndelims ? t->delims : ".";
	size_t ndelims = t->ndelims ? t->ndelims : 1;
	size_t n = 1, first, *start;
	enum mp_err e = ERR_OK;

	for (size_t i = 0; i < len; i++)
		n += memchr(delims, v[i], ndelims) != NULL;
	start = xreallocarray(NULL, n + 1, sizeof *start);
	start[0] = 0;
	for (size_t i = 0, k = 1; i < len; i++)
		if (memchr(delims, v[i], ndelims) != NULL)
			start[k++] = i + 1;
	start[n] = len + 1; /* so part k is [start[k], start[k+1] - 1) */
	first = t->digits && t->digits < n ? n - t->digits : 0;
	for (size_t j = first; j < n && e == ERR_OK; j++) {
		size_t k = t->reverse ? n - 1 - j : j;

		if (j > first)
			e = common_buf_putc(out, '.');
		if (e == ERR_OK)
			e = common_buf_append(out, v + start[k], start[k + 1] - 1 - start[k]);
	}
	free(start);
	return e;
}

/* RFC 7208 7.3: upper-case letters are URL-escaped (RFC 3986 unreserved kept). */
static enum mp_err url_escape(const char *v, size_t len, struct buf *out)
{
	enum mp_err e = ERR_OK;

	for (size_t i = 0; i < len && e == ERR_OK; i++) {
		unsigned char ch = (unsigned char)v[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			e = common_buf_putc(out, (char)ch);
		else
			e = common_buf_printf(out, "%%%02X", ch);
	}
	return e;
}

static enum mp_err expand_macro(const struct dns_spf_macro_ctx *ctx, const struct token *t,
				struct buf *out)
{
	struct buf raw, done;
	int lc = common_str_lc(t->letter);
	enum mp_err e;

	common_buf_init(&raw, out->max);
	common_buf_init(&done, out->max);
	e = letter_value(ctx, lc, &raw);
	if (e == ERR_OK && (t->digits || t->reverse || t->ndelims))
		e = transform(t, common_buf_str(&raw), raw.len, &done);
	else if (e == ERR_OK)
		e = common_buf_append(&done, raw.data ? raw.data : "", raw.len);
	if (e == ERR_OK && lc != t->letter)
		e = url_escape(common_buf_str(&done), done.len, out);
	else if (e == ERR_OK)
		e = common_buf_append(out, done.data ? done.data : "", done.len);
	common_buf_free(&raw);
	common_buf_free(&done);
	return e;
}

enum mp_err dns_spf_macro_expand(const struct dns_spf_macro_ctx *ctx, const char *s, size_t len,
				 enum dns_spf_macro_mode mode, struct buf *out)
{
	struct cursor c;
	struct token t;
	const char *why;
	enum mp_err e = ERR_OK;

	common_cursor_init(&c, s, len);
	while (e == ERR_OK && !common_cursor_eof(&c)) {
		if (!next_token(&c, mode, &t, &why))
			return ERR_PARSE;
		if (t.kind == TOK_MACRO)
			e = expand_macro(ctx, &t, out);
		else
			e = common_buf_append(out, t.p, t.len);
	}
	return e;
}

enum mp_err dns_spf_macro_domain(const struct dns_spf_macro_ctx *ctx, const char *s, size_t len,
				 char **out)
{
	struct buf b;
	const char *p;
	size_t n;
	enum mp_err e;

	common_buf_init(&b, DNS_SPF_MACRO_MAX);
	e = dns_spf_macro_expand(ctx, s, len, DNS_SPF_MACRO_DOMAIN, &b);
	if (e != ERR_OK) {
		common_buf_free(&b);
		return e;
	}
	p = common_buf_str(&b);
	n = b.len;
	if (n > 0 && p[n - 1] == '.')
		n--;
	/* RFC 7208 7.3: drop whole labels on the left until it fits 253. */
	while (n > DNS_SPF_NAME_MAX) {
		const char *dot = memchr(p, '.', n);

		if (dot == NULL)
			break;
		n -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	*out = xmemdup0(p, n);
	common_buf_free(&b);
	return ERR_OK;
}

bool dns_spf_macro_name_ok(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_SPF_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] != '.') {
			if (++label > 63)
				return false;
			continue;
		}
		if (label == 0)
			return false;
		label = 0;
	}
	return label > 0;
}
