/*
 * common/jsonw: streaming JSON writer (see jsonw.h).  RFC 8259 7 (strings),
 * RFC 3629 (UTF-8 well-formedness, via common_str_utf8_seq()).
 */
#include <stdint.h>
#include <string.h>
#include "common/jsonw.h"
#include "common/str.h"
#include "common/xmalloc.h"

void common_jsonw_init(struct common_jsonw *w, struct buf *out)
{
	memset(w, 0, sizeof *w);
	w->out = out;
}

static void put(struct buf *b, const void *p, size_t n)
{
	if (common_buf_append(b, p, n) != ERR_OK)
		fatal("jsonw: the document outgrew its buffer's limit");
}

static void putc_(struct buf *b, char c)
{
	put(b, &c, 1);
}

/* Before any value or key: the comma that separates it from the previous item. */
static void sep(struct common_jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->has_items[w->depth])
		putc_(w->out, ',');
	w->has_items[w->depth] = 1;
}

static void open_(struct common_jsonw *w, int c)
{
	sep(w);
	if (w->depth + 1 >= COMMON_JSONW_MAX_DEPTH)
		fatal("jsonw: nesting deeper than %d", COMMON_JSONW_MAX_DEPTH);
	putc_(w->out, (char)c);
	w->has_items[++w->depth] = 0;
}

static void close_(struct common_jsonw *w, int c)
{
	if (w->depth == 0)
		fatal("jsonw: close without open");
	w->depth--;
	putc_(w->out, (char)c);
}

void common_jsonw_obj_begin(struct common_jsonw *w)
{
	open_(w, '{');
}

void common_jsonw_obj_end(struct common_jsonw *w)
{
	close_(w, '}');
}

void common_jsonw_arr_begin(struct common_jsonw *w)
{
	open_(w, '[');
}

void common_jsonw_arr_end(struct common_jsonw *w)
{
	close_(w, ']');
}

/* Make room for n more bytes; past the buffer's limit is the caller's broken invariant. */
static void room(struct buf *b, size_t n)
{
	if (common_buf_reserve(b, n) != ERR_OK)
		fatal("jsonw: the document outgrew its buffer's limit");
}

/* 1 for bytes that can go out as they are inside a string (RFC 8259 7). */
/* clang-format off */
static const uint8_t plain[256] = {
	[0x20] = 1, 1, 0 /* " */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* \ */, 1, 1, 1,
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x00-0x1f control bytes, 0x80-0xff UTF-8 checked sequence by sequence: 0 */
};
/* clang-format on */

/* True when none of the eight bytes at p needs escaping (see copy_plain()). */
static bool plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t x, q, bs;

	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	bs = x ^ (ones * '\\');
	return ((((x - ones * 0x20) & ~x) | x | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & high) ==
	       0;
}

/*
 * Copy the bytes from p on that need no escaping to d (room for len bytes);
 * returns how many.  Why word at a time: report strings (DKIM keys, SPF
 * records, messages) are long runs of plain ASCII; eight bytes are tested
 * together for a control byte (< 0x20), a high bit, '"' or '\' with the
 * carry tricks of "Bit Twiddling Hacks" (hasless, haszero) and stored
 * together, and the last word overlaps the one before (rewriting the same
 * bytes) so no tail goes byte by byte.  A word that may hold a special
 * byte is finished byte by byte, so a false alarm costs only speed.
 */
static size_t copy_plain(char *d, const unsigned char *p, size_t len)
{
	size_t i = 0;

	if (len >= 8) {
		while (len - i > 8 && plain8(p + i)) {
			memcpy(d + i, p + i, 8);
			i += 8;
		}
		if (len - i <= 8 && plain8(p + len - 8)) {
			memcpy(d + len - 8, p + len - 8, 8);
			return len;
		}
	}
	while (i < len && plain[p[i]]) {
		d[i] = (char)p[i];
		i++;
	}
	return i;
}

/*
 * The escape for the non-plain byte(s) at p (left > 0): written to e (at
 * least 6 bytes); returns its length and sets *used to the input consumed.
 */
static size_t escape(const unsigned char *p, size_t left, char *e, size_t *used)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n;

	*used = 1;
	if (p[0] >= 0x80) {
		n = common_str_utf8_seq(p, left);
		if (n == 0) {
			/* U+FFFD for a byte that starts nothing valid */
			memcpy(e, "\xef\xbf\xbd", 3);
			return 3;
		}
		memcpy(e, p, n);
		*used = n;
		return n;
	}
	e[0] = '\\';
	switch (p[0]) {
	case '"':
	case '\\':
		e[1] = (char)p[0];
		return 2;
	case '\n':
		e[1] = 'n';
		return 2;
	case '\r':
		e[1] = 'r';
		return 2;
	case '\t':
		e[1] = 't';
		return 2;
	case '\b':
		e[1] = 'b';
		return 2;
	case '\f':
		e[1] = 'f';
		return 2;
	default:
		memcpy(e + 1, "u00", 3);
		e[4] = hex[p[0] >> 4];
		e[5] = hex[p[0] & 15];
		return 6;
	}
}

/*
 * The quoted, escaped string, then the byte tail (':' after a key) if not
 * NUL.  Why this shape: room for the unescaped length is made once, plain
 * runs are copied straight into the buffer as they are scanned, and only an escape (which is
 * never shorter than its input) asks for more room.  So the buffer's limit
 * is reached exactly when the escaped text would pass it.
 */
static void put_string(struct buf *out, const char *s, size_t len, char tail)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, extra = tail ? 3 : 2;
	char *d;

	room(out, len + extra);
	out->data[out->len++] = '"';
	while (i < len) {
		size_t run = copy_plain(out->data + out->len, p + i, len - i), used, n;
		char e[6];

		out->len += run;
		i += run;
		if (i >= len)
			break;
		n = escape(p + i, len - i, e, &used);
		i += used;
		/* the rest of the input, unescaped, plus the escape and the closing bytes */
		room(out, (len - i) + n + extra - 1);
		memcpy(out->data + out->len, e, n);
		out->len += n;
	}
	d = out->data + out->len;
	d[0] = '"';
	d[1] = tail;
	common_buf_commit(out, tail ? 2 : 1);
}

void common_jsonw_key(struct common_jsonw *w, const char *key)
{
	sep(w);
	put_string(w->out, key, strlen(key), ':');
	w->after_key = true;
}

void common_jsonw_str(struct common_jsonw *w, const char *s, size_t len)
{
	if (s == NULL) {
		common_jsonw_null(w);
		return;
	}
	sep(w);
	put_string(w->out, s, len == (size_t)-1 ? strlen(s) : len, '\0');
}

void common_jsonw_int(struct common_jsonw *w, long long v)
{
	char d[24];
	size_t n = sizeof d;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	sep(w);
	do
		d[--n] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		d[--n] = '-';
	put(w->out, d + n, sizeof d - n);
}

void common_jsonw_null(struct common_jsonw *w)
{
	sep(w);
	put(w->out, "null", 4);
}

void common_jsonw_kstr(struct common_jsonw *w, const char *key, const char *s)
{
	common_jsonw_key(w, key);
	common_jsonw_str(w, s, (size_t)-1);
}

void common_jsonw_kstrn(struct common_jsonw *w, const char *key, const char *s, size_t len)
{
	common_jsonw_key(w, key);
	common_jsonw_str(w, s, len);
}

void common_jsonw_kint(struct common_jsonw *w, const char *key, long long v)
{
	common_jsonw_key(w, key);
	common_jsonw_int(w, v);
}
