/*
 * dns/finding: the finding list every check writes into, and the text
 * formatting the checks use for messages, fixes and evidence
 * (dns_finding_fmt(): xvasprintf() of common/xmalloc, whose plain
 * %s/%d/%u/%zu formats are copied directly; see finding.h).
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

/* ---- dns_finding_fmt: xvasprintf() (common/xmalloc) under the name checks use ---- */

char *dns_finding_vfmt(const char *fmt, va_list ap)
{
	return xvasprintf(fmt, ap);
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
	enum mp_err e;

	va_start(ap, fmt);
	e = common_buf_vprintf(b, fmt, ap);
	va_end(ap);
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
