/*
 * mail/dkim_msg: a message as DKIM needs it (RFC 6376 5.3, 3.4): split into
 * raw header fields, bytes kept as they are (folding included) with line
 * ends made CRLF, and the body; plus the pre-scan of one DKIM-Signature
 * field for its d= s= a= b= i= tags (RFC 6376 3.5) with dns/tags.
 *
 * What it does not: canonicalise, hash or verify (libopendkim does, through
 * mail/dkim), or unfold and decode fields for display.
 *
 * Bounds: MAIL_DKIM_MAX_MSG bytes and MAIL_DKIM_MAX_FIELDS fields
 * (mail/dkim.h).  Any bytes are accepted; a header with a NUL byte or a line
 * without a colon is split all the same and flagged bad_header.
 */
#ifndef MAILPULSE_MAIL_DKIM_MSG_H
#define MAILPULSE_MAIL_DKIM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

/* One raw header field: "Name: value" with its folding, no final CRLF. */
struct mail_dkim_field {
	char *p; /* into mail_dkim_msg.norm */
	size_t len;
	bool is_sig;
};

/* A message split for libopendkim. */
struct mail_dkim_msg {
	char *norm; /* the message with CRLF line ends; owned */
	size_t len;
	struct mail_dkim_field *f;
	size_t nf, cap;
	char *body; /* into norm */
	size_t body_len;
	bool bad_header; /* a NUL byte or a line without a colon in the header */
};

/* What the pre-scan saw in one DKIM-Signature field. */
struct mail_dkim_presig {
	char *d, *s, *a, *b, *i; /* tag values (b without whitespace); owned, "" when absent */
	char *qname;		 /* s._domainkey.d when a valid name; owned */
	char *why;		 /* the field cannot be parsed; owned */
};

/*
 * Split [msg, msg+len) (RFC 5322 2.1, 2.2.3: a field goes on over lines that
 * start with WSP; an empty line ends the header; no empty line: all header,
 * empty body).  ERR_OK: *m filled (free with mail_dkim_msg_free()).
 * ERR_LIMIT: too large or too many fields; *m must still be freed.
 */
enum mp_err mail_dkim_msg_split(const char *msg, size_t len, struct mail_dkim_msg *m) MP_WUR;
/* Free what m owns; m is zeroed.  A zeroed m is a no-op. */
void mail_dkim_msg_free(struct mail_dkim_msg *m);

/* Whether the field [p, p+len) is called name (any case; WSP before the colon allowed). */
bool mail_dkim_msg_field_is(const char *p, size_t len, const char *name);

/*
 * Pre-scan DKIM-Signature field f into *p (free with
 * mail_dkim_presig_free()): tags as found ("" when absent), qname when d=
 * and s= make a valid DNS name, why when the tag list does not parse.
 */
void mail_dkim_presig_scan(const struct mail_dkim_field *f, struct mail_dkim_presig *p);
void mail_dkim_presig_free(struct mail_dkim_presig *p);

/* Whether m has a From field (RFC 6376 5.4: it must be signed). */
bool mail_dkim_msg_has_from(const struct mail_dkim_msg *m);

/*
 * "DKIM-Signature: " + the value [v, v+len) libopendkim produced (its folds
 * made CRLF) + CRLF: a field ready to prepend.  Caller frees.
 */
char *mail_dkim_msg_sig_field(const unsigned char *v, size_t len);

/* A copy of s without FWS (RFC 6376 3.5: FWS inside b= is ignored).  Caller frees. */
char *mail_dkim_msg_strip_fws(const char *s);

#endif
