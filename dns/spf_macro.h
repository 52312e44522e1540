/*
 * dns/spf_macro: SPF macro strings (RFC 7208 7).
 *
 * What it does: checks macro-string and explain-string syntax (RFC 7208
 * 7.1, 12), and expands them: the letters s l o d i p h v (plus c r t in
 * explanation text only, RFC 7208 7.2), the digit and "r" transformers and
 * the delimiters (7.3), "%%" "%_" "%-", and URL-escaping with upper-case
 * hex for upper-case letters (7.3).  For names it also drops one trailing
 * dot and truncates on the left to 253 octets (RFC 7208 7.3 / 4.3).
 *
 * "%{p}" needs DNS (the validated names of dns/spf_ptr): expansion then
 * returns ERR_AGAIN through the book like every other lookup, and the
 * caller re-runs from scratch once the book holds the answers.
 *
 * What it does not: it counts no lookups (RFC 7208 4.6.4 leaves "p" out of
 * the 10-term budget) and it does not decide what a name is used for.
 */
#ifndef MAILPULSE_DNS_SPF_MACRO_H
#define MAILPULSE_DNS_SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"
#include "dns/book.h"
#include "dns/spf_ip.h"

/* Longest expansion kept before truncation (a bound, not an RFC number). */
#define DNS_SPF_MACRO_MAX 16384
/* RFC 7208 7.3: expanded names are cut on the left to this many octets. */
#define DNS_SPF_NAME_MAX 253

enum dns_spf_macro_mode {
	/* domain-spec and unknown-modifier values: letters s l o d i p h v. */
	DNS_SPF_MACRO_DOMAIN,
	/* explain-string (RFC 7208 6.2, 7.1): adds c r t and SP literals. */
	DNS_SPF_MACRO_EXPLAIN,
};

/*
 * What the letters expand to.  All strings are borrowed, NUL-terminated,
 * and may be NULL when unknown: expanding a letter whose value is NULL
 * fails with ERR_INVAL (the posture walker has no client, for example).
 */
struct dns_spf_macro_ctx {
	const char *sender;	     /* s: <sender>, local@domain */
	const char *local;	     /* l: local-part of <sender> */
	const char *sender_domain;   /* o: domain of <sender> */
	const char *domain;	     /* d: the current <domain> */
	const char *helo;	     /* h: HELO/EHLO name as given */
	const struct dns_spf_ip *ip; /* i, c, v, p */
	const char *receiver;	     /* r: NULL gives "unknown" (RFC 7208 7.3) */
	int64_t now;		     /* t: seconds since the epoch */
	/*
	 * Spell the IPv6 nibbles of "i" in upper case.  RFC 7208 7.4 shows
	 * lower case; pyspf and the openspf suite's v-macro-ip6 expect upper.
	 * DNS ignores case, so only explanation text can tell.
	 */
	bool hex_upper;
	struct dns_book *book; /* for "p"; NULL makes "p" fail with ERR_INVAL */
};

/*
 * Check that [s, s+len) is a valid macro-string (DOMAIN) or explain-string
 * (EXPLAIN).  ERR_OK, or ERR_PARSE with *why set to a static reason and
 * *pos to the offending byte offset.
 */
enum mp_err dns_spf_macro_check(const char *s, size_t len, enum dns_spf_macro_mode mode,
				const char **why, size_t *pos) MP_WUR;

/*
 * Check a domain-spec (RFC 7208 7.1): a non-empty macro-string (DOMAIN
 * letters) that ends in a macro-expand or in "." toplabel ["."], where
 * toplabel is not all digits and neither starts nor ends with "-".
 * Same results as dns_spf_macro_check().
 */
enum mp_err dns_spf_macro_check_domain(const char *s, size_t len, const char **why,
				       size_t *pos) MP_WUR;

/*
 * The macro letters used in a valid string, as a bit mask: bit
 * (letter - 'a'), lower-cased.  "%%", "%_", "%-" use no letter.
 */
uint32_t dns_spf_macro_letters(const char *s, size_t len);

/*
 * Expand [s, s+len) into out (appended; out's max bounds the result).
 * ERR_OK; ERR_AGAIN when "%{p}" waits for DNS; ERR_PARSE on bad syntax;
 * ERR_INVAL when a letter's value is unknown in ctx; ERR_LIMIT when out
 * would pass its max.
 */
enum mp_err dns_spf_macro_expand(const struct dns_spf_macro_ctx *ctx, const char *s, size_t len,
				 enum dns_spf_macro_mode mode, struct buf *out) MP_WUR;

/*
 * Expand a domain-spec into the name to ask: expand, drop one trailing dot,
 * then remove labels on the left while longer than 253 octets (RFC 7208
 * 7.3).  Errors as dns_spf_macro_expand().  On ERR_OK *out is a fresh
 * string the caller frees; it may still be unaskable (see name_ok).
 */
enum mp_err dns_spf_macro_domain(const struct dns_spf_macro_ctx *ctx, const char *s, size_t len,
				 char **out) MP_WUR;

/*
 * True when name can be asked in DNS: 1 to 253 octets (one trailing dot
 * allowed), every label 1 to 63 octets (RFC 1035 2.3.4).  Nothing about
 * which bytes: SPF names may hold any visible byte (RFC 7208 7.1).
 */
bool dns_spf_macro_name_ok(const char *name);

#endif
