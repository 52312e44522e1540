/*
 * common/cursor: the one way untrusted bytes are read (Knot wire_ctx,
 * c-ares ares_buf; STYLE.md 13).  A cursor never reads past its end; any
 * failed read sets a sticky error that the caller checks once at the end.
 * All functions are inline and allocation-free.
 */
#ifndef MAILPULSE_COMMON_CURSOR_H
#define MAILPULSE_COMMON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct cursor {
	const unsigned char *p; /* borrowed */
	size_t len;
	size_t pos;
	bool err; /* sticky: set by any failed read */
};

static inline void common_cursor_init(struct cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->pos = 0;
	c->err = false;
}

static inline size_t common_cursor_left(const struct cursor *c)
{
	return c->err ? 0 : c->len - c->pos;
}

static inline bool common_cursor_eof(const struct cursor *c)
{
	return common_cursor_left(c) == 0;
}

/* Next byte without consuming it, or -1 at the end. */
static inline int common_cursor_peek(const struct cursor *c)
{
	return common_cursor_left(c) ? c->p[c->pos] : -1;
}

/* Consume one byte; -1 (and the sticky error) at the end. */
static inline int common_cursor_get(struct cursor *c)
{
	if (!common_cursor_left(c)) {
		c->err = true;
		return -1;
	}
	return c->p[c->pos++];
}

/* Consume ch if it is next; true when it was. */
static inline bool common_cursor_accept(struct cursor *c, int ch)
{
	if (common_cursor_peek(c) == ch) {
		c->pos++;
		return true;
	}
	return false;
}

/* Borrow n bytes; NULL (and the sticky error) if fewer are left. */
static inline const unsigned char *common_cursor_take(struct cursor *c, size_t n)
{
	const unsigned char *r;

	if (c->err || common_cursor_left(c) < n) {
		c->err = true;
		return NULL;
	}
	r = c->p + c->pos;
	c->pos += n;
	return r;
}

/* Current position as a pointer (valid even at the end). */
static inline const unsigned char *common_cursor_ptr(const struct cursor *c)
{
	return c->p + c->pos;
}

#endif
