/*
 * common/jsonw: streaming JSON writer (see jsonw.h).  RFC 8259 7 (strings),
 * RFC 3629 (UTF-8 well-formedness, via common_str_utf8_seq()).
 */
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

/* True for bytes that can go out as they are inside a string. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* The escaped string body: runs of plain bytes in one append. */
static void put_string(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	putc_(out, '"');
	while (i < len) {
		size_t run = i, n;

		while (run < len && plain(p[run]))
			run++;
		if (run > i)
			put(out, p + i, run - i);
		i = run;
		if (i >= len)
			break;
		if (p[i] >= 0x80) {
			n = common_str_utf8_seq(p + i, len - i);
			if (n == 0) {
				/* U+FFFD for a byte that starts nothing valid */
				put(out, "\xef\xbf\xbd", 3);
				i++;
			} else {
				put(out, p + i, n);
				i += n;
			}
			continue;
		}
		switch (p[i]) {
		case '"':
			put(out, "\\\"", 2);
			break;
		case '\\':
			put(out, "\\\\", 2);
			break;
		case '\n':
			put(out, "\\n", 2);
			break;
		case '\r':
			put(out, "\\r", 2);
			break;
		case '\t':
			put(out, "\\t", 2);
			break;
		case '\b':
			put(out, "\\b", 2);
			break;
		case '\f':
			put(out, "\\f", 2);
			break;
		default: {
			static const char hex[] = "0123456789ABCDEF";
			char u[6] = {'\\', 'u', '0', '0', hex[p[i] >> 4], hex[p[i] & 15]};

			put(out, u, sizeof u);
		}
		}
		i++;
	}
	putc_(out, '"');
}

void common_jsonw_key(struct common_jsonw *w, const char *key)
{
	sep(w);
	put_string(w->out, key, strlen(key));
	putc_(w->out, ':');
	w->after_key = true;
}

void common_jsonw_str(struct common_jsonw *w, const char *s, size_t len)
{
	if (s == NULL) {
		common_jsonw_null(w);
		return;
	}
	sep(w);
	put_string(w->out, s, len == (size_t)-1 ? strlen(s) : len);
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
