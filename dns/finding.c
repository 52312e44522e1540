/*
 * dns/finding: the finding list every check writes into, and the text
 * formatting the checks use for messages, fixes and evidence
 * (dns_finding_fmt(): plain %s/%d/%u/%zu formats are copied directly
 * instead of going through vsnprintf twice; see finding.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/finding.h"

void dns_findings_init(struct dns_findings *f)
{
	f->v = NULL;
	f->n = 0;
}

void dns_findings_clear(struct dns_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].check);
		free(f->v[i].code);
		free(f->v[i].message);
		free(f->v[i].fix);
		free(f->v[i].evidence);
	}
	free(f->v);
	dns_findings_init(f);
}

/* Room for one finding, with everything but the message filled in. */
static struct dns_finding *add_one(struct dns_findings *f, const char *check, const char *code,
				   enum dns_sev sev, const char *fix, const char *evidence,
				   size_t evidence_len)
{
	struct dns_finding *d;

	f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
	d = &f->v[f->n++];
	d->check = xstrdup(check);
	d->code = xstrdup(code);
	d->sev = sev;
	d->fix = fix ? xstrdup(fix) : NULL;
	if (evidence == NULL) {
		d->evidence = NULL;
		d->evidence_len = 0;
	} else {
		d->evidence_len = evidence_len == (size_t)-1 ? strlen(evidence) : evidence_len;
		d->evidence = xmemdup0(evidence, d->evidence_len);
	}
	d->message = NULL;
	return d;
}

void dns_findings_add(struct dns_findings *f, const char *check, const char *code, enum dns_sev sev,
		      const char *fix, const char *evidence, size_t evidence_len, const char *fmt,
		      ...)
{
	struct dns_finding *d = add_one(f, check, code, sev, fix, evidence, evidence_len);
	va_list ap;

	va_start(ap, fmt);
	d->message = dns_finding_vfmt(fmt, ap);
	va_end(ap);
}

void dns_findings_add_msg(struct dns_findings *f, const char *check, const char *code,
			  enum dns_sev sev, const char *fix, const char *evidence,
			  size_t evidence_len, char *msg)
{
	add_one(f, check, code, sev, fix, evidence, evidence_len)->message = msg;
}

/* ---- dns_finding_fmt: a printf for the plain formats checks use ---- */

#define FMT_ARGS 16
#define FMT_PIECES 48 /* literal runs, %% and arguments */

/* One converted argument: bytes to copy (num holds the digits of a number). */
struct piece {
	const char *s;
	size_t len;
	char num[24];
};

static MP_PRINTF(1, 0) char *slow_vfmt(const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	char *r;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		fatal("dns_finding_fmt: bad format");
	r = xmalloc((size_t)n + 1);
	vsnprintf(r, (size_t)n + 1, fmt, ap);
	return r;
}

/* True when every conversion of fmt is %s %d %u %ld %lu %zu or %%, FMT_ARGS at most. */
static bool plain_format(const char *fmt)
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

char *dns_finding_vfmt(const char *fmt, va_list ap)
{
	struct piece pc[FMT_PIECES];
	size_t n, total = 0;
	va_list aq;
	char *out, *o;

	if (!plain_format(fmt))
		return slow_vfmt(fmt, ap);
	va_copy(aq, ap);
	n = split(fmt, &aq, pc, &total);
	va_end(aq);
	if (n == 0 && *fmt != '\0')
		return slow_vfmt(fmt, ap); /* too many pieces */
	o = out = xmalloc(total + 1);
	for (size_t i = 0; i < n; i++) {
		memcpy(o, pc[i].s, pc[i].len);
		o += pc[i].len;
	}
	*o = '\0';
	return out;
}

char *dns_finding_fmt(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = dns_finding_vfmt(fmt, ap);
	va_end(ap);
	return r;
}

void dns_findings_move(struct dns_findings *dst, struct dns_findings *src)
{
	if (src->n == 0)
		return;
	dst->v = xreallocarray(dst->v, dst->n + src->n, sizeof *dst->v);
	memcpy(dst->v + dst->n, src->v, src->n * sizeof *src->v);
	dst->n += src->n;
	free(src->v);
	dns_findings_init(src);
}

enum mp_err dns_finding_buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	enum mp_err e;

	va_start(ap, fmt);
	s = dns_finding_vfmt(fmt, ap);
	va_end(ap);
	e = common_buf_append(b, s, strlen(s));
	free(s);
	return e;
}

const char *dns_sev_name(enum dns_sev s)
{
	switch (s) {
	case SEV_OK:
		return "ok";
	case SEV_INFO:
		return "info";
	case SEV_WARN:
		return "warn";
	case SEV_CRITICAL:
		return "critical";
	case SEV_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

static int rank(enum dns_sev s)
{
	switch (s) {
	case SEV_OK:
		return 0;
	case SEV_INFO:
		return 1;
	case SEV_UNKNOWN:
		return 2;
	case SEV_WARN:
		return 3;
	case SEV_CRITICAL:
		return 4;
	}
	return 2;
}

int dns_sev_worse(enum dns_sev a, enum dns_sev b)
{
	return rank(a) > rank(b);
}

enum dns_sev dns_findings_worst(const struct dns_findings *f)
{
	enum dns_sev w = SEV_OK;

	for (size_t i = 0; i < f->n; i++)
		if (dns_sev_worse(f->v[i].sev, w))
			w = f->v[i].sev;
	return w;
}

const struct dns_finding *dns_findings_get(const struct dns_findings *f, const char *check,
					   const char *code)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].code, code) == 0 &&
		    (check == NULL || strcmp(f->v[i].check, check) == 0))
			return &f->v[i];
	return NULL;
}

int dns_findings_has(const struct dns_findings *f, const char *code)
{
	return dns_findings_get(f, NULL, code) != NULL;
}
