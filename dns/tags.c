/*
 * dns/tags: RFC 6376 3.2 tag-list parsing (see tags.h).
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*VALCHAR      ; VALCHAR = %x21-3A / %x3C-7E
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "common/cursor.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/tags.h"

static bool is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_namechar(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static void skip_ws(struct cursor *c)
{
	while (is_ws(common_cursor_peek(c)))
		c->pos++;
}

static void describe_byte(char *why, size_t whysz, const char *what, const char *name,
			  size_t name_len, int ch, size_t off)
{
	char q[48], b[16];

	if (ch == '=' && name_len == 0) {
		snprintf(why, whysz, "a tag has no name before the '=' at offset %zu", off);
		return;
	}
	common_log_quote(q, sizeof q, name, name_len);
	common_log_quote(b, sizeof b, (const char *)&(unsigned char){(unsigned char)ch}, 1);
	snprintf(why, whysz, "%s%s%s contains the byte '%s' at offset %zu, which is not allowed",
		 what, name_len ? " " : "", q, b, off);
}

static bool names_equal(const struct dns_tag *a, const struct dns_tag *b, bool icase)
{
	if (icase)
		return common_str_ieq(a->name, a->name_len, b->name, b->name_len);
	return a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0;
}

/* True when all 8 bytes of x are in 0x21-0x7e (none below, none 0x7f or above). */
static bool all_visible8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;

	return ((x - ones * 0x21) & ~x & high) == 0 && ((x | (x + ones)) & high) == 0;
}

/*
 * Move the cursor over a tag-value, up to ';' or the end; *end is one past
 * its last VALCHAR.  false (cursor at the bad byte) on a byte that is
 * neither VALCHAR nor whitespace.  Why eight bytes a step and no cursor
 * peek/get: values (a 400-byte DKIM key) are most of the bytes.
 */
static bool scan_value(struct cursor *c, size_t *end)
{
	const unsigned char *p = c->p, *semi = memchr(p + c->pos, ';', c->len - c->pos);
	size_t i = c->pos, stop = semi ? (size_t)(semi - p) : c->len, e = *end;
	uint64_t x;

	for (; stop - i >= 8; i += 8) {
		memcpy(&x, p + i, 8);
		if (!all_visible8(x))
			break; /* whitespace or a bad byte: the loop below sorts it out */
		e = i + 8;
	}
	/* RFC 6376 3.2 VALCHAR is %x21-3A / %x3C-7E: with no ';' before stop, 0x21-0x7e. */
	for (; i < stop; i++) {
		if (p[i] > 0x20 && p[i] < 0x7f)
			e = i + 1;
		else if (!is_ws(p[i]))
			break;
	}
	*end = e;
	c->pos = i;
	return i == stop;
}

/* Parse one tag-spec at the cursor into *t; false with why set on error. */
static bool parse_spec(struct cursor *c, const char *s, struct dns_tag *t, char *why, size_t whysz)
{
	size_t start = c->pos, end;
	char q[48];

	if (!is_alpha(common_cursor_peek(c))) {
		describe_byte(why, whysz, "a tag name", "", 0, common_cursor_peek(c), c->pos);
		return false;
	}
	while (is_namechar(common_cursor_peek(c)))
		c->pos++;
	t->name = s + start;
	t->name_len = c->pos - start;
	skip_ws(c);
	if (!common_cursor_accept(c, '=')) {
		common_log_quote(q, sizeof q, t->name, t->name_len);
		if (common_cursor_eof(c) || common_cursor_peek(c) == ';')
			snprintf(why, whysz, "tag %s has no '=' and no value", q);
		else
			describe_byte(why, whysz, "tag", t->name, t->name_len,
				      common_cursor_peek(c), c->pos);
		return false;
	}
	skip_ws(c);
	start = end = c->pos;
	if (!scan_value(c, &end)) {
		describe_byte(why, whysz, "the value of tag", t->name, t->name_len, c->p[c->pos],
			      c->pos);
		return false;
	}
	t->value = s + start;
	t->value_len = end - start;
	return true;
}

enum mp_err dns_tags_parse(const char *s, size_t len, unsigned flags, struct dns_tags *out,
			   char *why, size_t whysz)
{
	struct cursor c;
	bool icase = (flags & DNS_TAGS_ICASE) != 0;
	char q[48];

	out->icase = icase;
	out->n = 0;
	common_cursor_init(&c, s, len);
	for (;;) {
		struct dns_tag t;

		skip_ws(&c);
		if (common_cursor_eof(&c))
			break;
		if (common_cursor_accept(&c, ';'))
			continue; /* empty tag-spec: tolerated */
		if (out->n == DNS_TAGS_MAX) {
			snprintf(why, whysz, "more than %d tags", DNS_TAGS_MAX);
			return ERR_LIMIT;
		}
		if (!parse_spec(&c, s, &t, why, whysz))
			return ERR_PARSE;
		for (size_t i = 0; i < out->n; i++) {
			if (names_equal(&out->v[i], &t, icase)) {
				/* RFC 6376 3.2: a duplicate tag name invalidates the list. */
				common_log_quote(q, sizeof q, t.name, t.name_len);
				snprintf(why, whysz, "tag %s appears more than once", q);
				return ERR_PARSE;
			}
		}
		out->v[out->n++] = t;
		common_cursor_accept(&c, ';');
	}
	return ERR_OK;
}

const struct dns_tag *dns_tags_find(const struct dns_tags *t, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < t->n; i++) {
		const struct dns_tag *g = &t->v[i];

		if (t->icase ? common_str_ieq(g->name, g->name_len, name, n)
			     : (g->name_len == n && memcmp(g->name, name, n) == 0))
			return g;
	}
	return NULL;
}

bool dns_tags_value_is(const struct dns_tag *tag, const char *z, bool icase)
{
	size_t n = strlen(z);

	if (icase)
		return common_str_ieq(tag->value, tag->value_len, z, n);
	return tag->value_len == n && memcmp(tag->value, z, n) == 0;
}

/*
 * True when some byte of [s, s+n) is below 0x21 (whitespace is).  Eight
 * bytes a step: (x - 0x21..) & ~x & 0x80.. is non-zero exactly when one of
 * x's bytes is below 0x21 (the usual "has less than" test).
 */
static bool has_low_byte(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	size_t i = 0;
	uint64_t x;

	for (; n - i >= 8; i += 8) {
		memcpy(&x, s + i, 8);
		if (((x - ones * 0x21) & ~x & high) != 0)
			return true;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x21)
			return true;
	return false;
}

char *dns_tags_value_nows(const struct dns_tag *tag, size_t *lenp)
{
	char *r = xmalloc(tag->value_len + 1);
	size_t n = 0;

	/* Why the check: a key's p= rarely holds whitespace; then it is one copy. */
	if (!has_low_byte(tag->value, tag->value_len)) {
		memcpy(r, tag->value, tag->value_len);
		n = tag->value_len;
	} else {
		for (size_t i = 0; i < tag->value_len; i++)
			if (!is_ws((unsigned char)tag->value[i]))
				r[n++] = tag->value[i];
	}
	r[n] = '\0';
	if (lenp)
		*lenp = n;
	return r;
}
