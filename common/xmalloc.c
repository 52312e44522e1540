/*
 * common/xmalloc: abort-on-OOM allocation helpers (OpenSMTPD util.c style).
 * Overflow of nmemb * size is a fatal error, never a short allocation.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"

void fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		fatal("out of memory (%zu bytes)", size);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	p = calloc(nmemb, size);
	if (p == NULL)
		fatal("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		fatal("allocation size overflow (%zu x %zu)", nmemb, size);
	size_t total = nmemb * size;

	p = realloc(ptr, total ? total : 1);
	if (p == NULL)
		fatal("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

char *xstrdup(const char *s)
{
	return xmemdup0(s, strlen(s));
}

char *xmemdup0(const void *p, size_t len)
{
	char *r;

	if (len == SIZE_MAX)
		fatal("allocation size overflow");
	r = xmalloc(len + 1);
	if (len)
		memcpy(r, p, len);
	r[len] = '\0';
	return r;
}

/* Results shorter than this are formatted once, on the stack. */
#define XASPRINTF_STACK 512

/*
 * Why one pass: measuring with vsnprintf(NULL, 0) and then writing costs
 * two formattings, and the checks build a message per finding with this.
 * The text is formatted once into a stack buffer and copied; only a result
 * that does not fit there is formatted again into memory of its size.
 */
char *xasprintf(const char *fmt, ...)
{
	char tmp[XASPRINTF_STACK];
	va_list ap;
	int n;
	char *r;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("xasprintf: bad format");
	if ((size_t)n < sizeof tmp)
		return xmemdup0(tmp, (size_t)n);
	r = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(r, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return r;
}
