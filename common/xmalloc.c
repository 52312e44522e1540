/*
 * common/xmalloc: abort-on-OOM allocation helpers (OpenSMTPD util.c style).
 * Overflow of nmemb * size is a fatal error, never a short allocation.
 */
#include <stdarg.h>
#include <stdbool.h>
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

/*
 * The fast path of xvasprintf(): formats whose conversions are all plain
 * (%s %d %u %ld %lu %zu and %%: no flags, width or precision) are copied
 * piece by piece, with no vsnprintf at all.  Why: the dns checks format tens
 * of messages per domain and glibc's vsnprintf costs about 2,000
 * instructions a call (bench/README.md, posture).
 */
#define FMT_ARGS 16
#define FMT_PIECES 48 /* literal runs, %% and arguments */

/* One converted argument: bytes to copy (num holds the digits of a number). */
struct piece {
	const char *s;
	size_t len;
	char num[24];
};

bool xfmt_is_plain(const char *fmt)
{
	size_t n = 0;

	for (const char *p = fmt; (p = strchr(p, '%')) != NULL;) {
		p++;
		if (*p == '%') {
			p++;
			continue;
		}
		if ((p[0] == 'l' && (p[1] == 'd' || p[1] == 'u')) || (p[0] == 'z' && p[1] == 'u'))
			p += 2;
		else if (*p == 's' || *p == 'd' || *p == 'u')
			p++;
		else
			return false;
		if (++n > FMT_ARGS)
			return false;
	}
	return true;
}

/* The decimal digits of v (negative when neg) into pc->num. */
static void number(struct piece *pc, unsigned long long v, bool neg)
{
	char *end = pc->num + sizeof pc->num, *s = end;

	do {
		*--s = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (neg)
		*--s = '-';
	pc->s = s;
	pc->len = (size_t)(end - s);
}

/* Convert the argument of the conversion at *p (just past the '%'); advances *p. */
static void convert(const char **p, va_list *ap, struct piece *pc)
{
	const char *c = *p;
	long long v;

	if (c[0] == 's') {
		pc->s = va_arg(*ap, const char *);
		if (pc->s == NULL)
			pc->s = "(null)"; /* what glibc prints */
		pc->len = strlen(pc->s);
		*p = c + 1;
		return;
	}
	*p = c + (c[0] == 'l' || c[0] == 'z' ? 2 : 1);
	if (c[0] == 'z')
		number(pc, va_arg(*ap, size_t), false);
	else if (c[0] == 'l' && c[1] == 'u')
		number(pc, va_arg(*ap, unsigned long), false);
	else if (c[0] == 'u')
		number(pc, va_arg(*ap, unsigned), false);
	else {
		v = c[0] == 'l' ? va_arg(*ap, long) : va_arg(*ap, int);
		number(pc, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0);
	}
}

/*
 * Split fmt into pieces (literal runs and converted arguments) in pc[];
 * returns how many, or 0 when there are more than FMT_PIECES.  Literal runs
 * are found with strchrnul() and copied whole: fix texts are long.
 */
static size_t split(const char *fmt, va_list *ap, struct piece *pc, size_t *total)
{
	size_t n = 0;

	for (const char *p = fmt;;) {
		const char *q = strchrnul(p, '%');

		if (n + 2 > FMT_PIECES)
			return 0;
		if (q > p) {
			pc[n].s = p;
			pc[n].len = (size_t)(q - p);
			*total += pc[n++].len;
		}
		if (*q == '\0')
			return n;
		if (q[1] == '%') {
			pc[n].s = q;
			pc[n].len = 1;
			*total += pc[n++].len;
			p = q + 2;
			continue;
		}
		p = q + 1;
		convert(&p, ap, &pc[n]);
		*total += pc[n++].len;
	}
}

/* Results shorter than this are formatted once, on the stack. */
#define XASPRINTF_STACK 512

/*
 * Any other format: one vsnprintf into a stack buffer, copied; only a result
 * that does not fit there is formatted again into memory of its size (the
 * classic measure-then-write costs two formattings every time).
 */
static MP_PRINTF(1, 0) char *vasprintf_slow(const char *fmt, va_list ap)
{
	char tmp[XASPRINTF_STACK];
	va_list aq;
	int n;
	char *r;

	va_copy(aq, ap);
	n = vsnprintf(tmp, sizeof tmp, fmt, aq);
	va_end(aq);
	if (n < 0)
		fatal("xasprintf: bad format");
	if ((size_t)n < sizeof tmp)
		return xmemdup0(tmp, (size_t)n);
	r = xmalloc((size_t)n + 1);
	vsnprintf(r, (size_t)n + 1, fmt, ap);
	return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	struct piece pc[FMT_PIECES];
	size_t n, total = 0;
	va_list aq;
	char *out, *o;

	if (!xfmt_is_plain(fmt))
		return vasprintf_slow(fmt, ap);
	va_copy(aq, ap);
	n = split(fmt, &aq, pc, &total);
	va_end(aq);
	if (n == 0 && *fmt != '\0')
		return vasprintf_slow(fmt, ap); /* too many pieces */
	o = out = xmalloc(total + 1);
	for (size_t i = 0; i < n; i++) {
		memcpy(o, pc[i].s, pc[i].len);
		o += pc[i].len;
	}
	*o = '\0';
	return out;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = xvasprintf(fmt, ap);
	va_end(ap);
	return r;
}
