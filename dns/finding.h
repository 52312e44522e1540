/*
 * dns/finding: what every check produces (DESIGN.md 5):
 *   {check, code, severity, message, fix, evidence}
 * Codes are stable UPPER_SNAKE identifiers documented in docs/findings.md.
 * message and fix are plain words for a founder; fix carries the exact record
 * to publish where one helps; evidence is the raw data the finding rests on
 * (a record, an answer).  All text may contain bytes from DNS: renderers
 * escape, nothing here does.
 *
 * A DNS timeout is SEV_UNKNOWN, never SEV_CRITICAL (DESIGN.md 5).
 */
#ifndef MAILPULSE_DNS_FINDING_H
#define MAILPULSE_DNS_FINDING_H

#include <stdarg.h>
#include <stddef.h>
#include "common/buf.h"
#include "common/err.h"

/* Order matters only for display; use dns_finding_worse() to compare. */
enum dns_sev { SEV_OK, SEV_INFO, SEV_WARN, SEV_CRITICAL, SEV_UNKNOWN };

struct dns_finding {
	char *check; /* "spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt", "bimi", "dns" */
	char *code;  /* "SPF_MISSING" ... */
	enum dns_sev sev;
	char *message;
	char *fix;	/* may be NULL */
	char *evidence; /* may be NULL; evidence_len bytes, may hold NULs, NUL-terminated */
	size_t evidence_len;
};

struct dns_findings {
	struct dns_finding *v;
	size_t n;
};

void dns_findings_init(struct dns_findings *f);
/* Free every finding; f is empty and reusable afterwards. */
void dns_findings_clear(struct dns_findings *f);

/*
 * Add a finding.  fix and evidence may be NULL; evidence may hold any bytes
 * (evidence_len of them; pass (size_t)-1 for a C string).  message is
 * printf-formatted.
 */
void dns_findings_add(struct dns_findings *f, const char *check, const char *code, enum dns_sev sev,
		      const char *fix, const char *evidence, size_t evidence_len, const char *fmt,
		      ...) MP_PRINTF(8, 9);

/*
 * Format a finding text (message, fix) printf-style; the result is exactly
 * what vsnprintf() would give.  It is xasprintf() (common/xmalloc), whose
 * plain conversions %s %d %u %ld %lu %zu and %% are copied directly without
 * vsnprintf (checks format tens of texts per domain); kept under this name
 * for the checks' call sites.  Caller frees.
 */
char *dns_finding_fmt(const char *fmt, ...) MP_PRINTF(1, 2);
/* The same with a va_list (ap is consumed). */
char *dns_finding_vfmt(const char *fmt, va_list ap) MP_PRINTF(1, 0);

/*
 * common_buf_printf() under the name the checks use, for evidence and lists
 * built in a buffer (all or nothing: ERR_LIMIT past the buffer's maximum, b
 * unchanged); plain formats skip vsnprintf there (xfmt_is_plain()).
 */
enum mp_err dns_finding_buf_printf(struct buf *b, const char *fmt, ...) MP_PRINTF(2, 3) MP_WUR;

/*
 * Add a finding whose message is already formatted: the list takes msg
 * (allocated with malloc, e.g. by dns_finding_fmt()) instead of copying it.
 */
void dns_findings_add_msg(struct dns_findings *f, const char *check, const char *code,
			  enum dns_sev sev, const char *fix, const char *evidence,
			  size_t evidence_len, char *msg);

/* Append every finding of src to dst without copying them; src is left empty. */
void dns_findings_move(struct dns_findings *dst, struct dns_findings *src);

/* "ok", "info", "warn", "critical", "unknown". */
const char *dns_sev_name(enum dns_sev s);
/*
 * True when a is worse than b for an overall status: critical > warn >
 * unknown > info > ok (a broken record outranks a record we could not read).
 */
int dns_sev_worse(enum dns_sev a, enum dns_sev b);
/* Worst severity in the list (SEV_OK when empty). */
enum dns_sev dns_findings_worst(const struct dns_findings *f);
/* True when the list holds a finding with this code. */
int dns_findings_has(const struct dns_findings *f, const char *code);
/*
 * The first finding with this code (and this check, unless check is NULL), or
 * NULL; borrowed from the list.
 */
const struct dns_finding *dns_findings_get(const struct dns_findings *f, const char *check,
					   const char *code);

#endif
