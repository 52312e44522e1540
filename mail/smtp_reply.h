/*
 * mail/smtp_reply: the pure parser for what an SMTP server says (RFC 5321
 * 4.2), used by the submission client (mail/smtp) on every reply.
 *
 * What it does: finds one complete reply at the start of a byte stream
 * (single or multi-line, RFC 5321 4.2.1), checks every line carries the same
 * three-digit code (RFC 5321 4.2), takes the enhanced status code of RFC 3463
 * (RFC 2034 puts it first on each line's text), keeps the text with each line's
 * code stripped, and says how many bytes the reply used so the caller can
 * keep the rest.  On top of a parsed reply: the EHLO keywords (RFC 5321
 * 4.1.1.1; STARTTLS RFC 3207, AUTH RFC 4954, SIZE RFC 1870, 8BITMIME RFC
 * 6152, ENHANCEDSTATUSCODES RFC 2034, PIPELINING RFC 2920, SMTPUTF8 RFC 6531)
 * and the queue id in a final DATA reply as the common MTAs word it.
 *
 * What it does not: any I/O, any allocation beyond the reply's own text, or
 * trust: a line longer than MAIL_SMTP_REPLY_MAX_LINE or a reply with more
 * than MAIL_SMTP_REPLY_MAX_LINES lines is refused (ERR_LIMIT) as soon as the
 * bytes show it, even before the line ends, so a hostile server cannot make
 * the caller buffer without bound.
 */
#ifndef MAILPULSE_MAIL_SMTP_REPLY_H
#define MAILPULSE_MAIL_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/*
 * RFC 5321 4.5.3.1.5 says 512 octets per reply line including the code and
 * CRLF, and 4.5.3.1 tells clients to be liberal: real servers send longer
 * banners and EHLO lines, so lines up to 2048 bytes are taken.
 */
#define MAIL_SMTP_REPLY_MAX_LINE 2048
/* An EHLO reply has about twenty lines; nothing honest has more than this. */
#define MAIL_SMTP_REPLY_MAX_LINES 100
/* Longest queue id kept (ids are short tokens; longer ones are cut). */
#define MAIL_SMTP_QUEUE_ID_MAX 128

struct mail_smtp_reply {
	int code;     /* 200..599 (RFC 5321 4.2: 2-5, 0-5, 0-9) */
	char esc[12]; /* RFC 3463 enhanced status code "5.1.1", "" when absent */
	char *text;   /* the lines' texts joined by '\n', each without code, separator
			 and enhanced code; bytes outside printable ASCII and tab become
			 '?', so it is a safe C string of text_len bytes; owned */
	size_t text_len;
	size_t n_lines;
};

/*
 * Parse the first complete reply in [p, p+len).
 * ERR_OK: *out is filled (free with mail_smtp_reply_free()) and *used says
 *   how many bytes it took, CRLF included.  Bare LF ends a line too.
 * ERR_AGAIN: no complete reply yet and nothing wrong so far: read more.
 * ERR_PARSE: not an SMTP reply (bad code, bad separator, codes that differ
 *   between lines); ERR_LIMIT: a line or the line count is over the caps.
 * Neither *out nor *used is touched unless ERR_OK.
 */
enum mp_err mail_smtp_reply_parse(const char *p, size_t len, struct mail_smtp_reply *out,
				  size_t *used) MP_WUR;

/* Free the reply's text and zero it; NULL and zeroed replies are fine. */
void mail_smtp_reply_free(struct mail_smtp_reply *r);

/* 2, 3, 4 or 5: the first digit of the code (RFC 5321 4.2.1). */
int mail_smtp_reply_class(const struct mail_smtp_reply *r);

/* What an EHLO reply offers (RFC 5321 4.1.1.1: one keyword per line after the first). */
struct mail_smtp_ehlo {
	bool starttls;	   /* RFC 3207 */
	bool auth;	   /* RFC 4954: any AUTH line */
	bool auth_plain;   /* RFC 4616 */
	bool auth_login;   /* draft-murchison-sasl-login */
	bool size;	   /* RFC 1870 */
	uint64_t size_max; /* SIZE parameter, 0 when none or no limit */
	bool eightbitmime; /* RFC 6152 */
	bool enhanced;	   /* RFC 2034 ENHANCEDSTATUSCODES */
	bool pipelining;   /* RFC 2920 */
	bool smtputf8;	   /* RFC 6531 */
};

/* Read the EHLO keywords out of a 250 reply to EHLO; unknown keywords are ignored. */
void mail_smtp_reply_ehlo(const struct mail_smtp_reply *r, struct mail_smtp_ehlo *out);

/*
 * The queue id a server gave in its reply to the end of DATA, as Exim ("OK
 * id=1abcD-000123-AB"), Postfix and most ESPs ("Ok: queued as ABC123"),
 * Sendmail and OpenSMTPD ("2.0.0 <id> Message accepted for delivery"),
 * Microsoft ("[InternalId=...]"), qmail ("qp 12345"), Gmail ("OK <ts> <id> -
 * gsmtp") and Amazon SES ("Ok <id>") word it.  True and out (size outsz,
 * NUL-terminated, cut to fit) set when one was found; false otherwise.
 */
bool mail_smtp_reply_queue_id(const struct mail_smtp_reply *r, char *out, size_t outsz);

#endif
