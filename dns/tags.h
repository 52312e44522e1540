/*
 * dns/tags: the `tag=value; tag=value` list shared by DKIM key records (RFC
 * 6376 3.2), DMARC (RFC 7489 6.4, RFC 9989), MTA-STS TXT (RFC 8461 3.1),
 * TLS-RPT (RFC 8460 3) and BIMI records.
 *
 * What it does: splits a record into tags, enforces the RFC 6376 3.2 grammar
 * (tag names start with a letter; values are printable ASCII without ';',
 * with whitespace allowed inside; duplicate tag names make the whole list
 * invalid), and caps the number of tags.  What it does not: interpret any tag;
 * each record module checks its own tags and values.
 *
 * Leniencies, all harmless: empty tag-specs (";;") are skipped, tag names may
 * also hold '-' and '.' (RFC 8461 3.1 extension fields), and CR/LF count as
 * whitespace (FWS).
 */
#ifndef MAILPULSE_DNS_TAGS_H
#define MAILPULSE_DNS_TAGS_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

/* More tags than this is refused (no record type defines more than a dozen). */
#define DNS_TAGS_MAX 128

/* Compare tag names ignoring ASCII case (DMARC); DKIM names are case-sensitive. */
#define DNS_TAGS_ICASE 1u

struct dns_tag {
	const char *name; /* borrowed from the parsed text */
	size_t name_len;
	const char *value; /* borrowed; trimmed of surrounding whitespace; may be empty */
	size_t value_len;
};

struct dns_tags {
	bool icase;
	size_t n;
	struct dns_tag v[DNS_TAGS_MAX];
};

/*
 * Parse [s, s+len) (any bytes) into *out (which borrows from s).
 * flags: DNS_TAGS_ICASE or 0.
 * ERR_OK: *out holds the tags in order.  ERR_PARSE: bad syntax;
 * ERR_LIMIT: more than DNS_TAGS_MAX tags.  On error, why (size whysz >= 64)
 * says what is wrong, quoting at most a short, escaped piece of the input.
 */
enum mp_err dns_tags_parse(const char *s, size_t len, unsigned flags, struct dns_tags *out,
			   char *why, size_t whysz) MP_WUR;

/* The tag called name (a C string), or NULL.  Borrowed from t. */
const struct dns_tag *dns_tags_find(const struct dns_tags *t, const char *name);

/* True when the tag's value equals z (case-sensitively, or ignoring case when icase). */
bool dns_tags_value_is(const struct dns_tag *tag, const char *z, bool icase);

/*
 * Copy a value with every whitespace byte (SP, HTAB, CR, LF) removed, as
 * DKIM p= needs (RFC 6376 3.6.1: FWS inside base64 is ignored).  Caller frees.
 */
char *dns_tags_value_nows(const struct dns_tag *tag, size_t *lenp);

#endif
