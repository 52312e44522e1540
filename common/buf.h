/*
 * common/buf: a growable byte buffer with a hard maximum (curl dynbuf,
 * Postfix VSTRING).  The contents are always NUL-terminated for convenience
 * but may hold NUL bytes: len is the truth (STYLE.md 12).
 *
 * Appends past max fail with ERR_LIMIT and leave the buffer unchanged.
 */
#ifndef MAILPULSE_COMMON_BUF_H
#define MAILPULSE_COMMON_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include <string.h>
#include "common/err.h"

struct buf {
	char *data; /* NULL until the first append; owned */
	size_t len;
	size_t cap;
	size_t max; /* the most bytes the buffer may ever hold */
};

/* Initialise an empty buffer that will never hold more than max bytes. */
void common_buf_init(struct buf *b, size_t max);
/* Release the memory; the buffer is empty and reusable afterwards. */
void common_buf_free(struct buf *b);
/* Forget the contents, keep the memory. */
void common_buf_reset(struct buf *b);
/*
 * Append n bytes at p (may hold NULs); ERR_LIMIT past max, buffer unchanged.
 * The slow path of common_buf_append(), which grows the memory; callers
 * use common_buf_append().
 */
enum mp_err common_buf_append_grow(struct buf *b, const void *p, size_t n) MP_WUR;

/*
 * Append n bytes at p (may hold NULs); ERR_LIMIT past max, buffer unchanged.
 * Why inline: the JSON report and the finding messages append many tiny
 * pieces; when they fit in the memory already held (the usual case) this is
 * two compares and a memcpy, with no call and no growth arithmetic.
 */
static inline MP_WUR enum mp_err common_buf_append(struct buf *b, const void *p, size_t n)
{
	/* cap may exceed max + 1 (the first 64 bytes), so both bounds are checked */
	if (n < b->cap - b->len && n <= b->max - b->len) {
		if (n)
			memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return ERR_OK;
	}
	return common_buf_append_grow(b, p, n);
}

/* Append one byte (inline for the same reason as common_buf_append()). */
static inline MP_WUR enum mp_err common_buf_putc(struct buf *b, char c)
{
	if (1 < b->cap - b->len && b->len < b->max) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return ERR_OK;
	}
	return common_buf_append_grow(b, &c, 1);
}

/* The slow path of common_buf_reserve(), which grows the memory. */
enum mp_err common_buf_reserve_grow(struct buf *b, size_t n) MP_WUR;

/*
 * Make room for n more bytes plus the terminating NUL without changing the
 * contents (for writers that fill b->data + b->len themselves, then call
 * common_buf_commit()).  ERR_LIMIT when len + n would pass max.  Inline:
 * when the memory is already there it is two compares.
 */
static inline MP_WUR enum mp_err common_buf_reserve(struct buf *b, size_t n)
{
	if (n < b->cap - b->len && n <= b->max - b->len)
		return ERR_OK;
	return common_buf_reserve_grow(b, n);
}

/*
 * The n bytes written at b->data + b->len (room made by common_buf_reserve()
 * for at least n) become part of the contents; the NUL is rewritten after them.
 */
static inline void common_buf_commit(struct buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

enum mp_err common_buf_puts(struct buf *b, const char *s) MP_WUR;
enum mp_err common_buf_printf(struct buf *b, const char *fmt, ...) MP_PRINTF(2, 3) MP_WUR;
enum mp_err common_buf_vprintf(struct buf *b, const char *fmt, va_list ap) MP_PRINTF(2, 0) MP_WUR;
/* The contents as a C string ("" when empty); borrowed until the next change. */
const char *common_buf_str(const struct buf *b);
/* Hand the contents to the caller (free() it) and leave b empty; never NULL. */
char *common_buf_steal(struct buf *b, size_t *lenp);

#endif
