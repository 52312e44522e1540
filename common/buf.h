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
enum mp_err common_buf_append(struct buf *b, const void *p, size_t n) MP_WUR;
enum mp_err common_buf_putc(struct buf *b, char c) MP_WUR;
enum mp_err common_buf_puts(struct buf *b, const char *s) MP_WUR;
enum mp_err common_buf_printf(struct buf *b, const char *fmt, ...) MP_PRINTF(2, 3) MP_WUR;
enum mp_err common_buf_vprintf(struct buf *b, const char *fmt, va_list ap) MP_PRINTF(2, 0) MP_WUR;
/* The contents as a C string ("" when empty); borrowed until the next change. */
const char *common_buf_str(const struct buf *b);
/* Hand the contents to the caller (free() it) and leave b empty; never NULL. */
char *common_buf_steal(struct buf *b, size_t *lenp);

#endif
