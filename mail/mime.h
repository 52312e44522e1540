/*
 * mail/mime: the one module that includes <gmime/gmime.h> (STYLE.md 6).
 * It turns an RFC 5322 / MIME message (RFC 2045-2049) into a small tree of
 * plain structs the rest of mail/ reads: header fields (unfolded, RFC 2047
 * decoded on request), parts with their content types and decoded bodies,
 * and address lists.  DESIGN.md 4: never hand-parse MIME.
 *
 * CONTRACT (issue 4, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: mail/dsn, mail/verify and the daemon
 * code against them).
 *
 * Hostile input: bounded part count (MAIL_MIME_MAX_PARTS), nesting depth
 * (MAIL_MIME_MAX_DEPTH) and decoded size (the caller's max_body); anything
 * past a bound is cut and flagged, never a crash or an unbounded allocation.
 *
 * What it does not: understand DSNs, reports or DKIM (those modules read the
 * tree), or write messages.
 */
#ifndef MAILPULSE_MAIL_MIME_H
#define MAILPULSE_MAIL_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

#define MAIL_MIME_MAX_PARTS 256
#define MAIL_MIME_MAX_DEPTH 16

struct mail_mime_header {
	char *name;  /* as written; owned */
	char *value; /* unfolded raw value (no RFC 2047 decoding); owned, NUL-free */
};

struct mail_mime_part {
	char *type;	/* "text/plain", lower case; owned */
	char *params;	/* the raw Content-Type parameters ("report-type=..."); owned, may be "" */
	char *filename; /* Content-Disposition/ name= filename, or NULL; owned */
	struct mail_mime_header *headers; /* the part's own header fields; owned */
	size_t n_headers;
	char *body; /* transfer-decoded content (base64/QP undone), NUL-terminated; owned.
		       A multipart's is "", or its preamble when it has no body part
		       at all (a boundary that never occurs) */
	size_t body_len;
	bool body_cut;	   /* the body was longer than max_body and was cut */
	bool body_skipped; /* mail_mime_parse_opts() flags left body "" on purpose */
	unsigned depth;	   /* 0 = the message itself */
	int parent; /* index of the enclosing multipart or message/rfc822 part, -1 for the top */
};

struct mail_mime {
	struct mail_mime_header *headers; /* top-level header fields in order; owned */
	size_t n_headers;
	struct mail_mime_part *parts; /* depth-first, parts[0] is the top-level body; owned */
	size_t n_parts;
	bool truncated; /* a part, depth or size bound was hit */
};

struct mail_mime_addr {
	char *name;   /* display name, RFC 2047 decoded, UTF-8; owned, may be "" */
	char *addr;   /* addr-spec "local@domain"; owned */
	char *domain; /* the domain part, lower case, or "" when there is none; owned */
};

/*
 * Parse len bytes (any line endings; NUL bytes allowed and replaced) into *out.
 * max_body bounds each part's decoded body (0 = 1 MiB).  ERR_PARSE only when
 * nothing resembling a message is there (e.g. empty input); partial damage is
 * parsed as far as it goes and flagged.  Free with mail_mime_free().
 */
enum mp_err mail_mime_parse(const char *p, size_t len, size_t max_body,
			    struct mail_mime **out) MP_WUR;
void mail_mime_free(struct mail_mime *m);

/* Flags of mail_mime_parse_opts(): work a reader does not need is skipped.
   A skipped body is "" with body_skipped set; types, headers and the tree
   stay complete.  0 is exactly mail_mime_parse(). */
#define MAIL_MIME_TEXT_BODIES                                                                      \
	0x1u /* decode only text, message and unknown bodies:                                      \
		image/, audio/, video/, font/, model/ and                                          \
		application/ ones are skipped */
#define MAIL_MIME_MSG_HEADERS                                                                      \
	0x2u			    /* a message/rfc822 part's body is only the                    \
				       embedded message's header block, as written */
#define MAIL_MIME_OUTER_BODIES 0x4u /* parts inside an embedded message get no body */

/*
 * mail_mime_parse() with flags (MAIL_MIME_*, or-ed).  Same bounds, errors
 * and ownership; free with mail_mime_free().
 */
enum mp_err mail_mime_parse_opts(const char *p, size_t len, size_t max_body, unsigned flags,
				 struct mail_mime **out) MP_WUR;

/*
 * Only GMime's part of mail_mime_parse(): the same input cleaning and GMime
 * parse, then the GMime tree is dropped without being walked.  For
 * measurements (`mailpulse bounce --bench-stage gmime`): the cost floor of
 * any reader built on this module.  ERR_PARSE as mail_mime_parse().
 */
enum mp_err mail_mime_parse_discard(const char *p, size_t len) MP_WUR;

/* The idx-th (0-based) header field called name (case-insensitive) among n
   headers, or NULL.  Works on a message's or a part's header list. */
const char *mail_mime_header_get(const struct mail_mime_header *h, size_t n, const char *name,
				 size_t idx);
/* How many header fields called name there are. */
size_t mail_mime_header_count(const struct mail_mime_header *h, size_t n, const char *name);

/* RFC 2047-decode a header value into UTF-8 (owned by the caller). */
char *mail_mime_decode_words(const char *value);

/*
 * Parse an address-list header value (From, To, Original-Recipient after its
 * "rfc822;" ...) with GMime's RFC 5322 parser.  Groups are flattened.
 * ERR_PARSE when no address could be read.  Free with mail_mime_addrs_free().
 */
enum mp_err mail_mime_addrs(const char *value, struct mail_mime_addr **out, size_t *n) MP_WUR;
void mail_mime_addrs_free(struct mail_mime_addr *a, size_t n);

#endif
