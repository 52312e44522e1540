/*
 * common/buf: bounded growable buffer.  Growth doubles, capped at max + 1
 * (the extra byte is the terminating NUL).  The fast path of an append is
 * inline in buf.h; this file holds growth and printf.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"

void common_buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void common_buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void common_buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static enum mp_err grow(struct buf *b, size_t n)
{
	size_t need, cap;

	if (n > b->max || b->len > b->max - n)
		return ERR_LIMIT;
	need = b->len + n + 1;
	if (need <= b->cap)
		return ERR_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (b->max + 1) / 2 ? b->max + 1 : cap * 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
	return ERR_OK;
}

enum mp_err common_buf_reserve_grow(struct buf *b, size_t n)
{
	return grow(b, n);
}

enum mp_err common_buf_append_grow(struct buf *b, const void *p, size_t n)
{
	enum mp_err e = grow(b, n);

	if (e != ERR_OK)
		return e;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return ERR_OK;
}

enum mp_err common_buf_puts(struct buf *b, const char *s)
{
	return common_buf_append(b, s, strlen(s));
}

/* Below this much spare memory, format into a stack buffer first. */
#define VPRINTF_STACK 256

/*
 * Why one pass: vsnprintf(NULL, 0) to measure and a second call to write
 * cost twice the formatting, and the measuring pass is the slower one in
 * glibc.  The text is formatted once, into the spare memory of b when it
 * has enough or a stack buffer otherwise, and only a result larger than
 * both is formatted a second time.
 */
enum mp_err common_buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	char tmp[VPRINTF_STACK];
	size_t avail = b->data ? b->cap - b->len : 0;
	bool inplace = avail >= sizeof tmp;
	char *dst = inplace ? b->data + b->len : tmp;
	size_t dstsz = inplace ? avail : sizeof tmp;
	va_list cp;
	int n;
	enum mp_err e;

	if (xfmt_is_plain(fmt)) {
		/* No vsnprintf at all: xvasprintf copies plain formats piece by piece. */
		char *s = xvasprintf(fmt, ap);

		e = common_buf_append(b, s, strlen(s));
		free(s);
		return e;
	}
	va_copy(cp, ap);
	n = vsnprintf(dst, dstsz, fmt, cp);
	va_end(cp);
	if (inplace && (n < 0 || (size_t)n >= dstsz || (size_t)n > b->max - b->len))
		b->data[b->len] = '\0'; /* the attempt may have overwritten the NUL */
	if (n < 0)
		return ERR_INVAL;
	if ((size_t)n < dstsz) {
		if (!inplace)
			return common_buf_append(b, tmp, (size_t)n);
		if ((size_t)n > b->max - b->len)
			return ERR_LIMIT;
		b->len += (size_t)n;
		return ERR_OK;
	}
	e = grow(b, (size_t)n);
	if (e != ERR_OK)
		return e;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return ERR_OK;
}

enum mp_err common_buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum mp_err e;

	va_start(ap, fmt);
	e = common_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return e;
}

const char *common_buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *common_buf_steal(struct buf *b, size_t *lenp)
{
	char *r = b->data ? b->data : xmemdup0("", 0);

	if (lenp)
		*lenp = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return r;
}
