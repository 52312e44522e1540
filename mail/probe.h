/*
 * mail/probe: the probe message (DESIGN.md 2.2).  Makes the unique token,
 * composes the RFC 5322 message that carries it (Message-ID
 * <TOKEN@from-domain>, an X-Mailpulse-Probe: TOKEN header, the VERP envelope
 * sender bounce+TOKEN@bounce-domain, Date, From of the monitored domain, a
 * short text body) and finds the token again in what comes back.
 *
 * CONTRACT (issue 4, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: the daemon codes against them).
 *
 * What it does not: sign (mail/dkim), send (mail/smtp) or parse MIME.
 */
#ifndef MAILPULSE_MAIL_PROBE_H
#define MAILPULSE_MAIL_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "common/err.h"

/* "mp" + 26 base32 characters of 128 random bits: fits a local-part and a
   Message-ID, case-insensitive (some relays lower-case VERP addresses). */
#define MAIL_PROBE_TOKEN_LEN 28
#define MAIL_PROBE_HEADER "X-Mailpulse-Probe"

struct mail_probe_opts {
	const char *token;	   /* from mail_probe_token_new() */
	const char *from;	   /* header From addr-spec, in the monitored domain */
	const char *from_name;	   /* display name, or NULL for "mailpulse probe" */
	const char *to;		   /* the probe recipient (our listener or a seed box) */
	const char *bounce_domain; /* VERP domain; NULL: the From domain */
	const char *verp_local;	   /* VERP prefix; NULL: "bounce" */
	time_t date;		   /* Date: */
};

/* Fill tok (MAIL_PROBE_TOKEN_LEN + 1 bytes) from getrandom(). */
enum mp_err mail_probe_token_new(char tok[MAIL_PROBE_TOKEN_LEN + 1]) MP_WUR;
/* Whether s (len bytes) is a well-formed token (either case). */
bool mail_probe_token_valid(const char *s, size_t len);

/*
 * Compose the message (CRLF line ends, ASCII only) into *msg and *len, and the
 * envelope sender into *mail_from (bounce+TOKEN@bounce-domain); both owned
 * by the caller.  ERR_INVAL for a bad address or token.
 */
enum mp_err mail_probe_compose(const struct mail_probe_opts *o, char **msg, size_t *len,
			       char **mail_from) MP_WUR;

/* The token in a VERP address "<verp_local>+TOKEN@..." (lower-cased into
   tok), false when addr is not one.  verp_local NULL = "bounce". */
bool mail_probe_token_from_addr(const char *addr, const char *verp_local,
				char tok[MAIL_PROBE_TOKEN_LEN + 1]);

/* The token of a received message: the X-Mailpulse-Probe header, else the
   Message-ID's local part; scans only the header block of msg.  false when
   there is none.  (Bounces: mail/dsn finds tokens in returned content.) */
bool mail_probe_token_find(const char *msg, size_t len, char tok[MAIL_PROBE_TOKEN_LEN + 1]);

#endif
