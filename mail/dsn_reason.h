/*
 * mail/dsn_reason: why a message bounced, in Sisimai's vocabulary
 * ("userunknown", "mailboxfull", "blocked" ...).  Pure functions over the
 * status code (RFC 3463), the SMTP reply code (RFC 5321 4.2), the SMTP
 * command that failed and the diagnostic text, with our own tables of
 * status-code meanings and of the message phrases that MTAs really write
 * (learned from Sisimai's rule set; no Perl is run).
 *
 * What it does not: read messages (mail/dsn does) or decide which recipient
 * a text belongs to.
 */
#ifndef MAILPULSE_MAIL_DSN_REASON_H
#define MAILPULSE_MAIL_DSN_REASON_H

#include <stdbool.h>
#include <stddef.h>

struct mail_dsn_reason_in {
	const char *status;  /* "5.1.1", "" when unknown */
	int reply_code;	     /* 550, 0 when unknown */
	const char *diag;    /* diagnostic text (any case), "" when none */
	const char *action;  /* RFC 3464 Action, "" when unknown */
	const char *command; /* "CONN" "EHLO" "HELO" "MAIL" "RCPT" "DATA" or "" */
	const char *preset;  /* a reason already known from the bounce's shape, or NULL */
};

/* The reason word for in; static storage, never NULL ("undefined" at worst). */
const char *mail_dsn_reason_classify(const struct mail_dsn_reason_in *in);

/* Sisimai's hard bounce: reason userunknown/hostunknown/hasmoved, or
   notaccept with a non-4xx code. */
bool mail_dsn_reason_hard(const char *reason, const char *status, int reply_code);

/* The reason an RFC 3463 status code alone implies, or NULL. */
const char *mail_dsn_reason_of_status(const char *status);

/*
 * The first enhanced status code "c.s.d" (RFC 3463 2: class 2, 4 or 5,
 * subject 0-999, detail 0-999) in len bytes of text into out (16 bytes);
 * false when none.
 */
bool mail_dsn_reason_find_status(const char *text, size_t len, char out[16]);

/* The first SMTP reply code (RFC 5321 4.2: 2xx/4xx/5xx standing alone as a
   word) in len bytes of text, 0 when none. */
int mail_dsn_reason_find_reply(const char *text, size_t len);

/* The SMTP command a diagnostic says failed ("RCPT" for "in reply to RCPT TO
   command" ...), "" when it does not say; static. */
const char *mail_dsn_reason_command(const char *text, size_t len);

/* Case-insensitive match of a phrase pattern anywhere in text: '*' stands for
   one or more non-space bytes, '#' for one or more digits. */
bool mail_dsn_reason_match(const char *text, size_t len, const char *pattern);

#endif
