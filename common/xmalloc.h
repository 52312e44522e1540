/*
 * common/xmalloc: allocation that never returns NULL.
 *
 * Out of memory is a broken invariant for this program (STYLE.md 9, 10):
 * these abort through fatal().  Sizes are multiplied with overflow checks.
 * Callers still cap every size read from untrusted input before allocating.
 * Everything returned is freed with free(); free(NULL) is a no-op.
 */
#ifndef MAILPULSE_COMMON_XMALLOC_H
#define MAILPULSE_COMMON_XMALLOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include "common/err.h"

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/* Copy of the NUL-terminated s. */
char *xstrdup(const char *s);
/* Copy of len bytes at p, plus a terminating NUL (p may hold NULs). */
char *xmemdup0(const void *p, size_t len);
/*
 * printf into a fresh string: exactly what vsnprintf() would give.  Plain
 * formats (%s %d %u %ld %lu %zu %%, no flags, width or precision, at most 16
 * conversions) are copied directly, any other is formatted once on the stack
 * (see xmalloc.c for why).
 */
char *xasprintf(const char *fmt, ...) MP_PRINTF(1, 2);
/* The same with a va_list (ap is consumed). */
char *xvasprintf(const char *fmt, va_list ap) MP_PRINTF(1, 0);
/*
 * True when every conversion of fmt is plain (%s %d %u %ld %lu %zu %%, at
 * most 16): xvasprintf() then formats it without vsnprintf.  For other
 * formatters that want the same fast path (common_buf_vprintf()).
 */
bool xfmt_is_plain(const char *fmt);

/* Print "fatal: ..." to stderr and abort().  Only for broken invariants. */
void fatal(const char *fmt, ...) MP_PRINTF(1, 2) MP_NORETURN;

#endif
