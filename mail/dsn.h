/*
 * mail/dsn: bounces.  Reads a message (through mail/mime) and says whether it
 * is a delivery status notification, an auto-reply (RFC 3834) or a feedback
 * report (ARF, RFC 5965), and for a bounce, per recipient: action, status
 * (RFC 3463), reply code, reason in Sisimai's vocabulary, hard or soft,
 * diagnostic text, remote host and the probe token (from the VERP address
 * bounce+TOKEN@..., the returned message's headers or Message-ID).
 * RFC 3464 multipart/report first; the common non-standard formats (Postfix,
 * Exim, Sendmail, qmail, Exchange/Office 365, Gmail, Amazon SES ...) by their
 * known shapes after that.
 *
 * CONTRACT (issue 4, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: the daemon codes against them).
 */
#ifndef MAILPULSE_MAIL_DSN_H
#define MAILPULSE_MAIL_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "mail/mime.h"

/* How mail_dsn_parse() reads a message through mail/mime: bodies bounded at
   MAIL_DSN_MAX_BODY, only what the classifier reads (text bodies outside
   returned messages, the returned message's header block). */
#define MAIL_DSN_MAX_BODY (512u * 1024u)
#define MAIL_DSN_MIME_FLAGS (MAIL_MIME_TEXT_BODIES | MAIL_MIME_MSG_HEADERS | MAIL_MIME_OUTER_BODIES)

#define MAIL_DSN_MAX_RCPTS 100
#define MAIL_DSN_TOKEN_MAX 64

enum mail_dsn_kind {
	MAIL_DSN_NONE = 0,  /* an ordinary message */
	MAIL_DSN_BOUNCE,    /* a delivery status notification ("dsn" in JSON) */
	MAIL_DSN_AUTOREPLY, /* RFC 3834 auto-reply, vacation: not a bounce */
	MAIL_DSN_FEEDBACK,  /* RFC 5965 ARF feedback report: not a bounce */
};

struct mail_dsn_rcpt {
	char *address;	   /* final (or original) recipient, lower-cased domain; owned */
	char *action;	   /* "failed" "delayed" "delivered" "relayed" "expanded"; owned */
	char status[16];   /* "5.1.1", "" when unknown */
	int reply_code;	   /* 550, 0 when unknown */
	char *reason;	   /* Sisimai word ("userunknown"); owned; "undefined" when unknown */
	bool hard;	   /* a permanent failure */
	char *diagnostic;  /* diagnostic text, one line, UTF-8; owned, may be "" */
	char *remote_host; /* remote MTA, may be ""; owned */
	char token[MAIL_DSN_TOKEN_MAX]; /* the probe token, "" when none found */
};

struct mail_dsn {
	enum mail_dsn_kind kind;
	bool is_bounce;		     /* kind == MAIL_DSN_BOUNCE */
	struct mail_dsn_rcpt *rcpts; /* owned */
	size_t n_rcpts;
	char token[MAIL_DSN_TOKEN_MAX]; /* message-wide token (VERP To, returned headers), or "" */
};

/*
 * Classify len bytes of message.  verp_local: the local-part prefix of the
 * VERP address ("bounce" for bounce+TOKEN@...), NULL for that default.
 * ERR_PARSE when the input is not a message at all; ERR_OK with kind NONE for
 * an ordinary one.  Free *out with mail_dsn_free().
 */
enum mp_err mail_dsn_parse(const char *msg, size_t len, const char *verp_local,
			   struct mail_dsn *out) MP_WUR;
void mail_dsn_free(struct mail_dsn *d);

/* "none" "dsn" "autoreply" "feedback"; static. */
const char *mail_dsn_kind_name(enum mail_dsn_kind k);

#endif
