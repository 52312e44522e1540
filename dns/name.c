/*
 * dns/name: IDNA conversion (libidn2) and name helpers; see name.h for the
 * contract.  Everything here is a pure function over its arguments; nothing
 * is allocated that outlives a call.
 */
#include <idn2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/name.h"

/* A bounded appender into a caller's buffer; full is sticky. */
struct out {
	char *p;
	size_t n, cap; /* cap counts the NUL */
	bool full;
};

static void put(struct out *o, const char *s, size_t len)
{
	if (o->full || len >= o->cap - o->n) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->n, s, len);
	o->n += len;
	o->p[o->n] = '\0';
}

/* Drop one trailing dot, except from the root name ".". */
static size_t strip_dot(const char *name, size_t len)
{
	if (len > 1 && name[len - 1] == '.')
		return len - 1;
	return len;
}

static bool is_root(const char *name, size_t len)
{
	return len == 1 && name[0] == '.';
}

const char *dns_name_problem(const char *name, size_t len)
{
	size_t label = 0;

	if (len == 0)
		return "empty name";
	if (is_root(name, len))
		return NULL;
	len = strip_dot(name, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return "empty label";
			label = 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			return "invalid character";
		/* RFC 1035 2.3.4: labels are 63 octets or less. */
		if (++label > DNS_LABEL_MAX)
			return "label longer than 63 octets";
	}
	if (label == 0)
		return "empty label";
	/* RFC 1035 2.3.4: 255 octets on the wire, 253 characters of text. */
	if (len > DNS_NAME_MAX)
		return "name longer than 253 octets";
	return NULL;
}

bool dns_name_valid(const char *name, size_t len)
{
	return dns_name_problem(name, len) == NULL;
}

static bool all_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/*
 * RFC 3490 3.1 / UTS #46: U+3002, U+FF0E and U+FF61 are label separators.
 * Copies name into a fresh NUL-terminated string with those turned into '.'.
 */
static char *map_dots(const char *name, size_t len)
{
	char *r = xmalloc(len + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		const unsigned char *u = (const unsigned char *)name + i;

		if (len - i >= 3 && ((u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x82) ||
				     (u[0] == 0xef && u[1] == 0xbc && u[2] == 0x8e) ||
				     (u[0] == 0xef && u[1] == 0xbd && u[2] == 0xa1))) {
			r[n++] = '.';
			i += 2;
		} else {
			r[n++] = name[i];
		}
	}
	r[n] = '\0';
	return r;
}

/* One label to A-label form, appended to o.  Returns a reason or NULL. */
static const char *label_to_ascii(struct out *o, const char *label, size_t len)
{
	char *tmp, *a = NULL;
	int rc;

	if (all_ascii(label, len)) {
		put(o, label, len);
		return NULL;
	}
	tmp = xmemdup0(label, len);
	/* UTS #46 non-transitional mapping (IDNA2008): "ß" stays "ß". */
	rc = idn2_to_ascii_8z(tmp, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	free(tmp);
	if (rc != IDN2_OK) {
		idn2_free(a);
		return "not a valid IDN";
	}
	/* UTS #46 maps some code points to nothing (U+FE0E) or to a dot
	 * (U+2488): a label must not vanish or end the name with a dot. */
	if (a[0] == '\0' || a[strlen(a) - 1] == '.') {
		idn2_free(a);
		return "empty label";
	}
	put(o, a, strlen(a));
	idn2_free(a);
	return NULL;
}

static const char *unicode_to_ascii(const char *name, size_t len, struct out *o)
{
	char *m;
	size_t mlen, start = 0;
	const char *why = NULL;

	if (memchr(name, '\0', len) != NULL)
		return "invalid character";
	m = map_dots(name, len);
	mlen = strip_dot(m, strlen(m));
	for (size_t i = 0; i <= mlen && why == NULL; i++) {
		if (i < mlen && m[i] != '.')
			continue;
		if (i == start)
			why = "empty label";
		else if (start > 0)
			put(o, ".", 1);
		if (why == NULL)
			why = label_to_ascii(o, m + start, i - start);
		start = i + 1;
	}
	free(m);
	return why;
}

/*
 * Why a fast path: nearly every name a check asks is already a valid ASCII
 * name, and the general path below walks it four times (ASCII test,
 * validity, validity again, lower-casing).  This walks it once, copying and
 * lower-casing as it checks, and gives up (false) at the first thing it
 * does not handle: a byte outside 0x21..0x7e, an empty or long label, a
 * long name, the root.  The general path then decides, so every reason
 * and every corner case stays exactly as before.
 */
static bool ascii_fast(const char *name, size_t len, char out[DNS_NAME_BUFSZ])
{
	size_t label = 0;

	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (c < 0x21 || c > 0x7e || ++label > DNS_LABEL_MAX) {
			return false;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	if (label == 0)
		return false;
	out[len] = '\0';
	return true;
}

enum mp_err dns_name_to_ascii(const char *name, size_t len, char out[DNS_NAME_BUFSZ],
			      const char **why)
{
	struct out o = {out, 0, DNS_NAME_BUFSZ, false};
	const char *w = NULL;

	if (ascii_fast(name, len, out))
		return ERR_OK;
	out[0] = '\0';
	if (len > DNS_NAME_INPUT_MAX) {
		w = "name longer than 253 octets";
	} else if (all_ascii(name, len)) {
		w = dns_name_problem(name, len);
		if (w == NULL)
			put(&o, name, is_root(name, len) ? len : strip_dot(name, len));
	} else {
		w = unicode_to_ascii(name, len, &o);
	}
	if (w == NULL && o.full)
		w = "name longer than 253 octets";
	if (w == NULL)
		w = dns_name_problem(out, o.n);
	if (w != NULL) {
		if (why)
			*why = w;
		return ERR_INVAL;
	}
	common_str_lower(out);
	return ERR_OK;
}

/* Append a non-IDN label, control bytes and non-ASCII as \DDD (RFC 1035 5.1). */
static void put_plain(struct out *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[5];

		if (c < 0x20 || c >= 0x7f) {
			esc[0] = '\\';
			esc[1] = (char)('0' + c / 100);
			esc[2] = (char)('0' + c / 10 % 10);
			esc[3] = (char)('0' + c % 10);
			put(o, esc, 4);
		} else {
			put(o, s + i, 1);
		}
	}
}

/* The Unicode form of a valid A-label, or NULL; free() the result. */
static char *alabel_to_unicode(const char *label, size_t len)
{
	char *tmp, *u = NULL, *back = NULL, *r = NULL;

	if (len < 5 || len > DNS_LABEL_MAX || !common_str_iprefix(label, len, "xn--"))
		return NULL;
	tmp = xmemdup0(label, len);
	common_str_lower(tmp);
	if (idn2_to_unicode_8z8z(tmp, &u, 0) != IDN2_OK || u == NULL || u[0] == '\0')
		goto out;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '.')
			goto out;
	/* Valid only if it is the canonical encoding of its own Unicode form. */
	if (idn2_to_ascii_8z(u, &back, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK ||
	    strcmp(back, tmp) != 0)
		goto out;
	r = xstrdup(u);
out:
	idn2_free(u);
	idn2_free(back);
	free(tmp);
	return r;
}

enum mp_err dns_name_to_display(const char *ascii, char *buf, size_t bufsz)
{
	struct out o = {buf, 0, bufsz, false};
	size_t len = strlen(ascii), start = 0;

	if (bufsz == 0)
		return ERR_LIMIT;
	buf[0] = '\0';
	for (size_t i = 0; i <= len; i++) {
		char *u;

		if (i < len && ascii[i] != '.')
			continue;
		u = alabel_to_unicode(ascii + start, i - start);
		if (u != NULL) {
			put(&o, u, strlen(u));
			free(u);
		} else {
			put_plain(&o, ascii + start, i - start);
		}
		if (i < len)
			put(&o, ".", 1);
		start = i + 1;
	}
	return o.full ? ERR_LIMIT : ERR_OK;
}

static bool is_ldh_label(const char *s, size_t len)
{
	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

bool dns_name_is_hostname(const char *name, size_t len)
{
	size_t start = 0;

	if (!dns_name_valid(name, len) || is_root(name, len))
		return false;
	len = strip_dot(name, len);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		/* RFC 1123 2.1: letters, digits and hyphens. */
		if (!is_ldh_label(name + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

bool dns_name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return common_str_ieq(a, strip_dot(a, alen), b, strip_dot(b, blen));
}

bool dns_name_is_under(const char *name, size_t len, const char *parent, size_t plen)
{
	len = is_root(name, len) ? 0 : strip_dot(name, len);
	plen = is_root(parent, plen) ? 0 : strip_dot(parent, plen);
	if (plen == 0)
		return true;
	if (len == plen)
		return common_str_ieq(name, len, parent, plen);
	if (len < plen || name[len - plen - 1] != '.')
		return false;
	return common_str_ieq(name + len - plen, plen, parent, plen);
}

const char *dns_name_parent(const char *name, size_t len, size_t *plen)
{
	const char *dot;

	len = strip_dot(name, len);
	dot = len ? memchr(name, '.', len) : NULL;
	if (dot == NULL || (size_t)(dot - name) + 1 >= len)
		return NULL;
	*plen = len - (size_t)(dot - name) - 1;
	return dot + 1;
}

size_t dns_name_label_count(const char *name, size_t len)
{
	size_t n = 1;

	if (len == 0 || is_root(name, len))
		return 0;
	len = strip_dot(name, len);
	for (size_t i = 0; i < len; i++)
		if (name[i] == '.')
			n++;
	return n;
}
