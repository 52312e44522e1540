/*
 * mail/smtpd_cmd: the SMTP server's command-line parser, a pure function
 * from one command line (without its CRLF) to a verb and its parsed
 * argument, or to the reply the server should give for a bad line.
 *
 * Grammar: RFC 5321 4.1.1 (commands) and 4.1.2 (paths, domains, local
 * parts), with the ESMTP parameters the listener announces: SIZE (RFC 1870),
 * BODY=7BIT|8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531).  Limits of RFC 5321
 * 4.5.3.1: a command line is at most 512 octets with its CRLF (so 510
 * here), a path at most 256 octets with its angle brackets, a local part 64,
 * a domain 255.
 *
 * Strict where ambiguity has bitten servers: MAIL FROM: and RCPT TO: must be
 * followed directly by <...> (no space on either side of the colon, RFC 5321
 * 4.1.1.2 and 3.3), exactly one SP separates the verb from its argument and
 * the parameters from each other, and argument-less commands (DATA, RSET,
 * QUIT, STARTTLS) take no argument.  Tolerant where RFC 5321 lets a server
 * be: verbs and the FROM:/TO: keywords in any case (2.4), trailing spaces
 * and tabs ignored, source routes accepted and dropped (4.1.1.2 and C: "MUST
 * accept ... SHOULD ignore"), <Postmaster> without a domain (4.1.1.3, 4.5.1),
 * EHLO names with underscores (seen in the wild; RFC 5321 4.1.4 forbids
 * refusing a session over the EHLO name anyway).  A NUL byte anywhere, or a
 * non-ASCII byte outside a path, makes the line unrecognisable (500).
 * Well-formed UTF-8 inside a path is accepted and flagged (path_utf8) so the
 * session can demand SMTPUTF8 (RFC 6531 3.4).
 *
 * What it does not: keep state (sequence checks belong to mail/smtpd), look
 * up addresses, or parse AUTH data (AUTH is recognised by its verb only;
 * its argument is never copied, so it cannot end up in a log).
 */
#ifndef MAILPULSE_MAIL_SMTPD_CMD_H
#define MAILPULSE_MAIL_SMTPD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/* RFC 5321 4.5.3.1.4: 512 octets with CRLF. */
#define MAIL_SMTPD_CMD_MAX_LINE 510
/* RFC 5321 4.5.3.1.3: 256 octets with the angle brackets. */
#define MAIL_SMTPD_CMD_MAX_PATH 256
#define MAIL_SMTPD_CMD_MAX_LOCAL 64
#define MAIL_SMTPD_CMD_MAX_DOMAIN 255

enum mail_smtpd_verb {
	MAIL_SMTPD_EHLO,
	MAIL_SMTPD_HELO,
	MAIL_SMTPD_MAIL,
	MAIL_SMTPD_RCPT,
	MAIL_SMTPD_DATA,
	MAIL_SMTPD_RSET,
	MAIL_SMTPD_NOOP,
	MAIL_SMTPD_QUIT,
	MAIL_SMTPD_VRFY,
	MAIL_SMTPD_HELP,
	MAIL_SMTPD_STARTTLS,
	MAIL_SMTPD_NOTIMPL, /* a known SMTP verb we do not offer: AUTH EXPN TURN ETRN BDAT ... */
	MAIL_SMTPD_HTTP,    /* GET/POST/HEAD/...: a browser or a cross-protocol attack */
};

enum mail_smtpd_body { MAIL_SMTPD_BODY_NONE, MAIL_SMTPD_BODY_7BIT, MAIL_SMTPD_BODY_8BITMIME };

/* One parsed command.  Plain data, no pointers: copy it freely. */
struct mail_smtpd_cmd {
	enum mail_smtpd_verb verb;
	/* EHLO/HELO: the domain or address literal as given (ASCII).
	   MAIL/RCPT: the path without <> and without a source route, domain
	   lower-cased (ASCII letters only), "" for the null reverse-path <>.
	   VRFY: the argument (ASCII).  Otherwise "". */
	char arg[MAIL_SMTPD_CMD_MAX_LINE + 1];
	size_t arg_len;
	bool postmaster; /* RCPT TO:<Postmaster> (any case, no domain); arg is "postmaster" */
	bool path_utf8;	 /* the path holds non-ASCII (UTF-8) bytes */
	bool has_size;	 /* MAIL ... SIZE=n given */
	uint64_t size;	 /* its value */
	enum mail_smtpd_body body; /* MAIL ... BODY= */
	bool smtputf8;		   /* MAIL ... SMTPUTF8 */
};

/* The reply for a line that does not parse: static strings. */
struct mail_smtpd_cmd_reject {
	unsigned code;	      /* 500, 501, 553 or 555 */
	const char *enhanced; /* RFC 3463 status: "5.5.2", "5.5.4", "5.1.3", "5.1.7" ... */
	const char *text;     /* plain words for the client, never quoting the line */
};

/*
 * Parse one command line [line, line+len), its CRLF (or bare LF) already
 * removed.  Any bytes are allowed, NUL included.
 * ERR_OK: *out is the command.  ERR_PARSE: the line is bad and *rej says
 * which reply to send (*out untouched).
 */
enum mp_err mail_smtpd_cmd_parse(const char *line, size_t len, struct mail_smtpd_cmd *out,
				 struct mail_smtpd_cmd_reject *rej) MP_WUR;

/* The verb's name ("EHLO", "MAIL" ...); static, never NULL. */
const char *mail_smtpd_cmd_verb_name(enum mail_smtpd_verb v);

#endif
