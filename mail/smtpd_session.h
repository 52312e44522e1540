/*
 * mail/smtpd_session: one inbound SMTP session, start to end, on a socket
 * the listener (mail/smtpd) accepted: greeting, commands (parsed by
 * mail/smtpd_cmd), STARTTLS, the DATA phase, the Received: field and the
 * hand-over to the owner's deliver callback.  RFC 5321, RFC 3207, RFC 1870,
 * RFC 6152, RFC 2034/3463, RFC 2920, RFC 6531 (details in smtpd_session.c).
 *
 * Runs on the calling thread and returns when the session is over; it also
 * serves tests and the session fuzz target, which drive it over a
 * socketpair.
 *
 * What it does not: accept, count or limit connections, or close the
 * socket (mail/smtpd does), and it keeps no state between sessions.
 */
#ifndef MAILPULSE_MAIL_SMTPD_SESSION_H
#define MAILPULSE_MAIL_SMTPD_SESSION_H

#include "mail/smtpd.h"

struct common_tls_server;

/* What every session of one listener shares; all borrowed, read-only. */
struct mail_smtpd_session_cfg {
	const struct mail_smtpd_opts *o; /* with every default filled in (no zeros) */
	const char *hostname;		 /* for the greeting and Received: */
	const struct mail_smtpd_handler *h;
	struct common_tls_server *tls; /* NULL: no STARTTLS */
	int wake_fd;		       /* readable = shut down now (421); -1: none */
};

/*
 * Serve one SMTP session on the connected socket fd (switched to
 * non-blocking) from client_ip (text) until QUIT, EOF, a timeout, too many
 * errors, or wake_fd becoming readable.  The fd stays open: the caller
 * closes it.  Returns the number of bad commands the client sent.
 */
unsigned mail_smtpd_session_run(const struct mail_smtpd_session_cfg *cfg, int fd,
				const char *client_ip);

#endif
