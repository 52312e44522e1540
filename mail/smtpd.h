/*
 * mail/smtpd: the inbound SMTP listener (issue 4 "Receiving"): probes coming
 * back, bounces to the VERP address and (issue 5) reports reach mailpulse
 * here.  RFC 5321 server side: EHLO/HELO, STARTTLS (RFC 3207) with the
 * configured certificate, MAIL (SIZE, BODY=8BITMIME), RCPT only for
 * addresses the owner accepts (never a relay: other domains get 550 5.7.1,
 * unknown users of the owner's domains 550 5.1.1 when it says so),
 * DATA with a size limit and dot-unstuffing, RSET, NOOP, QUIT, VRFY (252);
 * connection and per-IP limits; idle timeouts (RFC 5321 4.5.3.2.7, shorter
 * by configuration).  A message is handed to the owner's deliver callback,
 * which must commit it durably before returning: only then is the final 250
 * sent, so an accepted message is never lost (a failing callback gives 451).
 *
 * CONTRACT (issue 4, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: the daemon codes against them).
 *
 * Threads: one accept thread plus one thread per session (bounded by
 * max_connections); callbacks run on session threads.
 *
 * The sessions themselves (protocol details, DATA rules, the Received:
 * field) live in mail/smtpd_session, the command grammar in mail/smtpd_cmd.
 * RCPT TO:<Postmaster> (RFC 5321 4.5.1) reaches rcpt_ok / rcpt_check as
 * "postmaster".
 *
 * What it does not: verify SPF/DKIM/DMARC (mail/verify, later, in the
 * daemon), parse MIME, relay, or bind privileged ports by itself (systemd's
 * CAP_NET_BIND_SERVICE does that).
 */
#ifndef MAILPULSE_MAIL_SMTPD_H
#define MAILPULSE_MAIL_SMTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "common/err.h"

#define MAIL_SMTPD_MAX_RCPTS 100

/* What one accepted transaction carries to the owner. */
struct mail_smtpd_envelope {
	char client_ip[46];    /* the peer's address, text form */
	char helo[256];	       /* the EHLO/HELO argument as given (ASCII-checked) */
	bool esmtp;	       /* EHLO rather than HELO */
	bool tls;	       /* STARTTLS was done before MAIL */
	bool smtputf8;	       /* MAIL had SMTPUTF8 (RFC 6531): paths and headers may be UTF-8 */
	char id[24];	       /* our queue id, as in "250 2.0.0 OK queued as ID" and Received: */
	const char *mail_from; /* reverse-path without <>, "" for the null path */
	const char *const *rcpts; /* accepted forward-paths without <> */
	size_t n_rcpts;
	time_t received; /* when the final dot arrived */
};

/* The owner's answer to one RCPT (see rcpt_check). */
enum mail_smtpd_rcpt {
	MAIL_SMTPD_RCPT_ACCEPT,	      /* 250 2.1.5 */
	MAIL_SMTPD_RCPT_UNKNOWN_USER, /* our domain, no such mailbox: 550 5.1.1 (RFC 3463 X.1.1) */
	MAIL_SMTPD_RCPT_RELAY_DENIED, /* not our domain: 550 5.7.1 (RFC 5321 3.6.2, RFC 3463 X.7.1)
				       */
};

struct mail_smtpd_handler {
	void *arg;
	/* Whether to accept RCPT TO addr (already without <>, domain lower-cased).
	   Called on the session thread; must be thread-safe.  Required unless
	   rcpt_check is set; false gives 550 5.7.1 (relaying denied). */
	bool (*rcpt_ok)(void *arg, const char *addr);
	/* Commit msg (len bytes, CRLF line ends, dot-unstuffed, with our Received:
	   field prepended) durably.  ERR_OK: the final reply is 250; anything
	   else: 451 4.3.0 and the client retries.  Required; thread-safe. */
	enum mp_err (*deliver)(void *arg, const struct mail_smtpd_envelope *env, const char *msg,
			       size_t len);
	/* Optional (last member), preferred over rcpt_ok when set:
	   the same question with a three-way answer, so that an unknown user of a domain we serve
	   gets "550 5.1.1 <addr>: Recipient address rejected: User unknown" and the sending MTA's
	   DSN says so (RFC 3463 X.1.1), while any other domain still gets 550 5.7.1.  Same thread
	   rules as rcpt_ok. */
	enum mail_smtpd_rcpt (*rcpt_check)(void *arg, const char *addr);
};

struct mail_smtpd_opts {
	const char *listen_addr; /* IP literal; default 127.0.0.1 */
	unsigned port;		 /* 0 = any free port (tests read it back) */
	int listen_fd;		 /* >= 0: use this bound, listening socket instead (taken over) */
	const char *hostname;	 /* our name in the greeting and Received: */
	const char *cert_file;	 /* PEM chain for STARTTLS; NULL: no STARTTLS offered */
	const char *key_file;
	size_t max_message;	  /* DATA bytes (default 10 MiB); SIZE announces it */
	unsigned max_connections; /* default 32 */
	unsigned max_per_ip;	  /* default 8 */
	unsigned idle_timeout_s;  /* per command wait (default 300, RFC 5321 4.5.3.2.7) */
	unsigned data_timeout_s;  /* whole DATA phase (default 600) */
	unsigned max_errors;	  /* bad commands before 421 (default 10) */
};

struct mail_smtpd;

/* Bind (unless listen_fd), listen and start the accept thread.  ERR_NET when
   the address cannot be bound (*why says why); ERR_TLS for an unusable
   certificate or key. */
enum mp_err mail_smtpd_start(const struct mail_smtpd_opts *o, const struct mail_smtpd_handler *h,
			     struct mail_smtpd **out, char *why, size_t whysz) MP_WUR;
/* The port actually bound. */
unsigned mail_smtpd_port(const struct mail_smtpd *s);
/* Stop accepting, tell open sessions 421, wait for their threads, free.  A
   session in its deliver callback finishes it first.  NULL is fine. */
void mail_smtpd_stop(struct mail_smtpd *s);

#endif
