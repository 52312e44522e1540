/*
 * mail/smtp: the SMTP submission client that alert e-mails and probes go out
 * through (DESIGN.md 2.2, issue 4 "Sending").
 *
 * What it does: one blocking session per call (the daemon runs it on a
 * worker thread): TCP connect to an address the caller resolved, implicit
 * TLS (port 465, RFC 8314 3.3) or STARTTLS (port 587, RFC 3207; never a
 * silent fallback to plain text) with the certificate and host name verified
 * by default (common/tls), EHLO (RFC 5321 4.1.1.1, HELO fallback 3.2), AUTH
 * PLAIN (RFC 4616) or LOGIN with RFC 4954, MAIL FROM with SIZE (RFC 1870),
 * BODY=8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531) when needed and offered,
 * one RCPT TO per recipient with each refusal kept, DATA with CRLF
 * normalisation and dot-stuffing (RFC 5321 4.5.2), the queue id from the
 * final reply, QUIT.  Every reply goes through mail/smtp_reply and is kept in
 * the result; the RFC 5321 4.5.3.2 timeouts apply to each step, and each is
 * a deadline for the whole reply, so a server that drips bytes cannot stretch
 * it.  The result says what kind of failure happened so a caller can decide
 * whether to retry.  A cancel switch (mail/smtp_conn) lets another thread
 * break a session off at once, whatever step it waits in.
 *
 * What it does not: resolve names (DESIGN.md 3: the caller resolves with
 * c-ares and passes the address), compose or sign messages, pipeline
 * (RFC 2920 is an optimisation a few messages an hour do not need), queue or
 * retry, or log: credentials and message text never appear in the result.
 */
#ifndef MAILPULSE_MAIL_SMTP_H
#define MAILPULSE_MAIL_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "mail/smtp_conn.h"
#include "mail/smtp_reply.h"

/* Most recipients one call takes (RFC 5321 4.5.3.1.8 asks servers for 100). */
#define MAIL_SMTP_MAX_RCPTS 1000
/* Longest address taken (RFC 5321 4.5.3.1.3: a path is at most 256 octets with its <>). */
#define MAIL_SMTP_MAX_ADDR 254

enum mail_smtp_tls_mode {
	MAIL_SMTP_STARTTLS = 0, /* plain connect, STARTTLS required (submission, port 587) */
	MAIL_SMTP_IMPLICIT,	/* TLS from the first byte (submissions, port 465) */
	MAIL_SMTP_PLAINTEXT,	/* no TLS: tests and trusted local relays only, explicit opt-in */
};

enum mail_smtp_auth_mech {
	MAIL_SMTP_AUTH_AUTO = 0, /* PLAIN when offered, else LOGIN */
	MAIL_SMTP_AUTH_PLAIN,
	MAIL_SMTP_AUTH_LOGIN,
};

/* Milliseconds; 0 takes the default in brackets. */
struct mail_smtp_timeouts {
	unsigned connect;    /* TCP connect, and each TLS handshake [30 s] */
	unsigned greeting;   /* RFC 5321 4.5.3.2.1 initial 220 [5 min] */
	unsigned command;    /* EHLO, STARTTLS, AUTH [5 min, as MAIL]; QUIT waits at most 5 s */
	unsigned mail;	     /* 4.5.3.2.2 MAIL [5 min] */
	unsigned rcpt;	     /* 4.5.3.2.3 RCPT, each [5 min] */
	unsigned data_init;  /* 4.5.3.2.4 DATA until 354 [2 min] */
	unsigned data_block; /* 4.5.3.2.5 each block of the message sent [3 min] */
	unsigned data_end;   /* 4.5.3.2.6 reply to the final dot [10 min] */
};

struct mail_smtp_opts {
	const char *host; /* relay name: certificate check and SNI; required */
	const char *addr; /* IP literal to connect to; NULL = host is an IP literal */
	unsigned port;	  /* 0 = 587 (STARTTLS), 465 (implicit), 25 (plaintext) */
	enum mail_smtp_tls_mode tls;
	const char *ca_file; /* PEM bundle trusted instead of the system store; NULL = system */
	bool tls_no_verify;  /* accept any certificate: explicit opt-out, never the default */
	const char *helo;    /* EHLO name; NULL = our address literal (RFC 5321 4.1.3) */
	const char *user;    /* AUTH identity; NULL = no AUTH.  Borrowed; encoded copies wiped */
	const char *password;
	enum mail_smtp_auth_mech auth;
	bool plaintext_auth; /* allow AUTH without TLS (MAIL_SMTP_PLAINTEXT only; tests) */
	struct mail_smtp_timeouts timeouts;
	/* NULL, or a switch another thread fires to break the session off at once
	   (mail/smtp_conn.h); borrowed for the call */
	struct mail_smtp_conn_cancel *cancel;
};

/* What went wrong, for retry decisions. */
enum mail_smtp_class {
	MAIL_SMTP_OK = 0,    /* accepted for at least one recipient (n_accepted says how many) */
	MAIL_SMTP_TEMPORARY, /* a 4xx reply (RFC 5321 4.2.1): retry later */
	MAIL_SMTP_PERMANENT, /* a 5xx reply: the same message will fail again */
	MAIL_SMTP_NETWORK,   /* no connection, timeout, connection lost: retry later */
	MAIL_SMTP_TLS,	     /* handshake, certificate, or no STARTTLS offered: fix the setup */
	MAIL_SMTP_AUTH,	     /* credentials refused, AUTH missing or required: fix the setup */
	MAIL_SMTP_PROTOCOL,  /* the server did not speak SMTP or broke our limits */
};

/* One reply and what it answered. */
struct mail_smtp_exchange {
	const char *step; /* "greeting" "EHLO" "HELO" "STARTTLS" "AUTH" "MAIL" "RCPT" "DATA"
			     "message" (the final dot) "QUIT"; static */
	struct mail_smtp_reply reply;
};

/* One recipient's outcome. */
struct mail_smtp_rcpt {
	char *addr;    /* owned copy */
	bool accepted; /* the server took it (2xx to RCPT) */
	int code;      /* the RCPT reply code, 0 when never asked */
	char esc[12];  /* its enhanced status code, "" when none */
	char *text;    /* its text (as struct mail_smtp_reply), owned, "" when never asked */
};

struct mail_smtp_result {
	enum mail_smtp_class cls;
	enum mp_err err; /* what mail_smtp_send() returned */
	char error[320]; /* plain words, "" when MAIL_SMTP_OK; never credentials or message text */
	struct mail_smtp_exchange *replies; /* every reply in order; owned */
	size_t n_replies;
	struct mail_smtp_rcpt *rcpts; /* one per recipient given, in order; owned */
	size_t n_rcpts;
	size_t n_accepted;
	char queue_id[MAIL_SMTP_QUEUE_ID_MAX]; /* from the final reply, "" when none given */
	struct mail_smtp_ehlo ehlo;	       /* the last EHLO's offer */
	char tls_version[16];		       /* "TLSv1.3", "" without TLS */
	char tls_cipher[64];
	const char *auth_mech; /* "PLAIN", "LOGIN" once authenticated, else ""; static */
	bool data_sent;	       /* the final dot went out: after a lost connection the message
				  MAY have been queued, so a retry may duplicate it */
};

/*
 * Submit msg (len bytes, an RFC 5322 message with any line endings) from
 * `from` (envelope sender, "" for the null path) to rcpts[0..n-1] through the
 * relay in o.  Lines are sent with CRLF and dot-stuffed; nothing else of the
 * message is changed.
 *
 * out is always filled, whatever the return (free with
 * mail_smtp_result_free()), because the transcript is the diagnosis.
 * Returns ERR_OK when the message was accepted for at least one recipient;
 * ERR_INVAL for bad arguments (nothing sent); otherwise ERR_NET (refused,
 * connection trouble, auth, or o->cancel fired: then cls is
 * MAIL_SMTP_NETWORK and error starts with "cancelled"), ERR_TIMEOUT,
 * ERR_TLS, ERR_PARSE or ERR_LIMIT
 * (the server's replies were not SMTP or too big), ERR_UNSUPPORTED (the
 * server lacks SMTPUTF8 for a non-ASCII address).  out->cls says which kind.
 * o, from, rcpts and msg are borrowed for the call.
 */
enum mp_err mail_smtp_send(const struct mail_smtp_opts *o, const char *from,
			   const char *const *rcpts, size_t n, const char *msg, size_t len,
			   struct mail_smtp_result *out) MP_WUR;

/* Free what a result owns and zero it; NULL and zeroed results are fine. */
void mail_smtp_result_free(struct mail_smtp_result *r);

/* "ok" "temporary" "permanent" "network" "tls" "auth" "protocol"; static. */
const char *mail_smtp_class_str(enum mail_smtp_class c);

#endif
