/*
 * mail/authres: the Authentication-Results header field (RFC 8601).
 *
 * What it does: parses the value of one Authentication-Results field
 * (everything after "Authentication-Results:", unfolded or not) into plain
 * structs: the authserv-id with its optional version, then either "none" or
 * up to MAIL_AUTHRES_MAX_RESULTS results, each `method[/version]=result`
 * with an optional `reason=` and `ptype.property=value` properties; CFWS
 * comments (nested) and quoted strings are understood.  It also writes our
 * own field from the same structs, folded at 78 columns with CRLF.
 *
 * Real receivers bend the grammar; the parser accepts, and says so here:
 * a trailing ";", a comment glued to the result ("dmarc=pass(p=NONE)"),
 * property values that are not RFC 2045 tokens (base64 "header.b=ab+/c="),
 * and Microsoft's bare `action=none` / `compauth=...` style key=value pairs
 * after a result (kept as properties with an empty ptype).  Anything else
 * that does not fit is a clear parse error: a hostile field never yields a
 * half-understood result.  Bounds: MAIL_AUTHRES_MAX_LEN bytes, results,
 * properties per result and comment nesting are capped (ERR_LIMIT).
 *
 * What it does not: decide which fields to trust (mail/verify compares the
 * authserv-id with the configured ones, RFC 8601 5), read messages (the
 * caller gets the field values from mail/mime), or check that a method or
 * result word is registered with IANA (unknown ones are kept as written,
 * lower-cased).
 */
#ifndef MAILPULSE_MAIL_AUTHRES_H
#define MAILPULSE_MAIL_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

/* Bounds on one field (OpenDMARC#441 overflowed past 16 results). */
#define MAIL_AUTHRES_MAX_LEN 16384
#define MAIL_AUTHRES_MAX_RESULTS 32
#define MAIL_AUTHRES_MAX_PROPS 16
#define MAIL_AUTHRES_MAX_NEST 16

struct mail_authres_prop {
	char *ptype; /* "smtp" "header" "body" "policy" ..., lower case; "" for a bare key; owned */
	char *property; /* "mailfrom" "d" "from" ..., lower case; owned */
	char *value;	/* as written, quotes and escapes removed; owned */
};

struct mail_authres_result {
	char *method;	  /* "spf" "dkim" "dmarc" ..., lower case; owned */
	unsigned version; /* method-version, 0 when absent (RFC 8601 2.2: 1 is implied) */
	char *result;	  /* "pass" "fail" ..., lower case; owned */
	char *comment; /* the first comment after the result, without (); NULL when none; owned */
	char *reason;  /* reason= value, or NULL; owned */
	struct mail_authres_prop *props; /* owned */
	size_t n_props;
};

struct mail_authres {
	char *authserv_id; /* as written (quotes removed); owned */
	unsigned version;  /* authres-version, 0 when absent */
	bool none;	   /* "; none": no authentication was done (RFC 8601 2.2) */
	struct mail_authres_result *results; /* owned */
	size_t n_results;
};

/*
 * Parse the field value [s, s+len) (any bytes; CR/LF folding allowed).
 * ERR_OK: *out filled (free with mail_authres_free()).  ERR_PARSE: malformed
 * (why, of size whysz, says where and what, e.g. "result 2: expected '='
 * after method \"dkim\""); ERR_LIMIT: a bound was exceeded.  *out is
 * untouched on failure.  why may be NULL.
 */
enum mp_err mail_authres_parse(const char *s, size_t len, struct mail_authres *out, char *why,
			       size_t whysz) MP_WUR;
void mail_authres_free(struct mail_authres *ar);

/* The first property ptype.property (case-insensitive) of r, or NULL; borrowed. */
const char *mail_authres_prop_get(const struct mail_authres_result *r, const char *ptype,
				  const char *property);

/*
 * Add a result to ar (the builder for our own field): method and result
 * copied; comment may be NULL.  Returns the new result, borrowed from ar,
 * to which mail_authres_add_prop() adds properties.
 */
struct mail_authres_result *mail_authres_add(struct mail_authres *ar, const char *method,
					     const char *result, const char *comment);
/* Add ptype.property=value to r (all copied); a NULL or empty value is skipped. */
void mail_authres_add_prop(struct mail_authres_result *r, const char *ptype, const char *property,
			   const char *value);

/*
 * Write "Authentication-Results: <authserv-id>; m=r (comment) p.p=v; ..."
 * (or "; none" when ar has no results), each result on its own line, lines
 * folded at 78 columns with CRLF (tab-indented), no trailing CRLF.  Values that are
 * not tokens or addresses are quoted; control bytes from the inputs are
 * replaced with '?', so hostile data cannot inject header lines.  Caller
 * frees.  Never NULL.
 */
char *mail_authres_write(const struct mail_authres *ar);

#endif
