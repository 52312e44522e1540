/*
 * dns/name: domain names as people type them and as the wire wants them.
 *
 * Converts a user-typed name (UTF-8, any case, maybe a trailing dot) to the
 * lower-case A-label form that goes on the wire (IDNA2008 with the UTS #46
 * non-transitional mapping, through libidn2: the only module that includes
 * idn2.h), converts A-labels back to Unicode for people, and offers the
 * small pure helpers every check needs (validity, equality, parents).
 *
 * It does not resolve anything, does not know the Public Suffix List
 * (dns/ callers use libpsl for that) and does not parse wire-format names
 * (the resolver does, through libresolv).
 *
 * ASCII labels are never run through IDNA: DNS names that are not host
 * names are normal here (`_dmarc`, `_domainkey`, SPF macro expansions such
 * as `user+tag@example.com`), and RFC 2181 11 allows any octet in a label.
 * We accept printable ASCII except space (0x21..0x7e) and refuse control
 * bytes, space and NUL: no legitimate mail-authentication name has them.
 *
 * RFCs: 1035 2.3.4 (255 octets on the wire = 253 characters of text, labels
 * of 63), 2181 11, 5890-5891 (IDNA2008), UTS #46, 3490 3.1 (the ideographic
 * full stops U+3002, U+FF0E, U+FF61 separate labels).
 */
#ifndef MAILPULSE_DNS_NAME_H
#define MAILPULSE_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

/* RFC 1035 2.3.4: at most 253 characters of text (no trailing dot). */
#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63
/* A buffer that holds any valid ASCII name plus its NUL. */
#define DNS_NAME_BUFSZ 256
/* A buffer that holds the display form of any valid ASCII name (<= 3.75x). */
#define DNS_NAME_DISPLAY_BUFSZ 1024
/* Longest input dns_name_to_ascii() looks at (UTF-8 may be 4x the A-labels). */
#define DNS_NAME_INPUT_MAX 1024

/*
 * Convert name[0..len) (UTF-8 or ASCII, any case, at most one trailing dot)
 * to its wire text: lower-case, A-labels for non-ASCII labels, no trailing
 * dot ("." stays "." for the root).  On success writes a NUL-terminated name
 * that passes dns_name_valid() into out and returns ERR_OK.  Otherwise
 * returns ERR_INVAL and, when why is not NULL, points *why at a short static
 * reason ("empty label", "label longer than 63 octets", "name longer than
 * 253 octets", "invalid character", "not a valid IDN"...); out is then
 * unspecified.
 */
enum mp_err dns_name_to_ascii(const char *name, size_t len, char out[DNS_NAME_BUFSZ],
			      const char **why) MP_WUR;

/*
 * Display form of an ASCII name: every valid "xn--" label becomes Unicode
 * (UTF-8); a label that is not a valid A-label (bad Punycode, or not the
 * canonical encoding of its Unicode form) is shown as it is, and control
 * bytes as \DDD.  Writes a NUL-terminated string into buf.  ERR_LIMIT when
 * it does not fit in bufsz (DNS_NAME_DISPLAY_BUFSZ always suffices for a
 * valid name); buf then holds nothing useful.
 */
enum mp_err dns_name_to_display(const char *ascii, char *buf, size_t bufsz) MP_WUR;

/*
 * NULL when name[0..len) is a valid ASCII name for the wire (one trailing
 * dot allowed; "." is the root): total <= 253 characters, labels 1..63,
 * bytes 0x21..0x7e.  Otherwise a short static reason (as for
 * dns_name_to_ascii()).  Case is not checked.
 */
const char *dns_name_problem(const char *name, size_t len);
/* dns_name_problem(name, len) == NULL. */
bool dns_name_valid(const char *name, size_t len);

/*
 * True when name is a valid name whose labels are all LDH host labels
 * (RFC 1123 2.1: letters, digits, hyphens, not starting or ending with a
 * hyphen): what MX exchanges and A/AAAA targets should be.
 */
bool dns_name_is_hostname(const char *name, size_t len);

/* Case-insensitive (ASCII) equality, one trailing dot on either side ignored. */
bool dns_name_equal(const char *a, size_t alen, const char *b, size_t blen);

/*
 * True when name equals parent or is below it at a label boundary
 * ("a.example.com" is under "example.com", "badexample.com" is not).  The
 * root ("" or ".") is above everything.  Case-insensitive, trailing dots
 * ignored.
 */
bool dns_name_is_under(const char *name, size_t len, const char *parent, size_t plen);

/*
 * The parent of name[0..len): a pointer into name just after its first dot,
 * with *plen set to its length (trailing dot excluded), or NULL (and *plen
 * untouched) when name has a single label or is empty.  Borrowed from name.
 */
const char *dns_name_parent(const char *name, size_t len, size_t *plen);

/* Number of labels (0 for "" and "."; a trailing dot does not count). */
size_t dns_name_label_count(const char *name, size_t len);

#endif
