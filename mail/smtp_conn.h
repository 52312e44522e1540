/*
 * mail/smtp_conn: the byte pipe under the SMTP client (mail/smtp): a TCP
 * connection to an address, optionally wrapped in TLS (common/tls) from the
 * start or later (STARTTLS), with deadline-bound writes and a reader that
 * returns exactly one parsed SMTP reply (mail/smtp_reply) at a time.
 *
 * What it does: connect without blocking past a timeout; write all bytes or
 * fail by a deadline; read one reply with ONE deadline for the whole reply
 * (RFC 5321 4.5.3.2 timeouts, and a server dripping a byte at a time cannot
 * stretch them), in a buffer bounded by the parser's caps, re-parsing only
 * when a line ended so junk costs linear time; keep what follows the reply
 * so the caller can tell a server that talks out of turn.
 *
 * A cancel switch (struct mail_smtp_conn_cancel) lets another thread break
 * off a connection in progress at once: firing it shuts the socket down
 * (shutdown(2) wakes every poll on it, plain or under TLS, and aborts a
 * connect still in progress), so whatever step is waiting fails with
 * ERR_NET right away instead of at its timeout.  That is how a daemon stops
 * within seconds while its SMTP worker talks to a relay that went silent.
 *
 * What it does not: speak SMTP commands, resolve names, or log.  Writes
 * never raise SIGPIPE (MSG_NOSIGNAL here, our own BIO in common/tls).
 */
#ifndef MAILPULSE_MAIL_SMTP_CONN_H
#define MAILPULSE_MAIL_SMTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "common/tls.h"
#include "mail/smtp_reply.h"

struct mail_smtp_conn;
struct mail_smtp_conn_cancel;

/*
 * A cancel switch, not fired, for the connections of one thread (one open
 * connection at a time; a second one opened while the first is open is not
 * covered).  Free with mail_smtp_conn_cancel_free() once no connection uses
 * it.
 */
struct mail_smtp_conn_cancel *mail_smtp_conn_cancel_new(void);

/*
 * Fire cx (from any thread; not async-signal-safe): the connection open on
 * it is shut down at once, and every later mail_smtp_conn_open() with cx
 * fails with ERR_NET.  Firing twice is harmless; there is no un-firing.
 */
void mail_smtp_conn_cancel_fire(struct mail_smtp_conn_cancel *cx);

/* True once cx was fired; false for NULL. */
bool mail_smtp_conn_cancel_fired(struct mail_smtp_conn_cancel *cx);

/* Free cx; no connection may use it any more.  NULL is a no-op. */
void mail_smtp_conn_cancel_free(struct mail_smtp_conn_cancel *cx);

/*
 * Connect to addr (an IPv4 or IPv6 literal) on port within timeout_ms.
 * cx (may be NULL; borrowed until mail_smtp_conn_close()) can break the
 * connection off from another thread.
 * ERR_OK: *out is the connection (close with mail_smtp_conn_close()).
 * ERR_INVAL: addr is not an IP literal; ERR_TIMEOUT; ERR_NET (refused,
 * unreachable, cancelled); ERR_IO (no socket).  why (size whysz) says why in
 * plain words.
 */
enum mp_err mail_smtp_conn_open(const char *addr, unsigned port, unsigned timeout_ms,
				struct mail_smtp_conn_cancel *cx, struct mail_smtp_conn **out,
				char *why, size_t whysz) MP_WUR;

/*
 * Start TLS on the connection now (implicit TLS, or after a 220 to
 * STARTTLS).  Errors and why as common_tls_connect(); ERR_INVAL when TLS is
 * already on.  Bytes the server sent before this call and that were not
 * read yet stay counted by mail_smtp_conn_buffered(), never decrypted.
 */
enum mp_err mail_smtp_conn_tls(struct mail_smtp_conn *c, const struct common_tls_opts *o,
			       unsigned timeout_ms, char *why, size_t whysz) MP_WUR;

/* Write all len bytes within timeout_ms: ERR_OK, ERR_TIMEOUT, ERR_NET or ERR_TLS. */
enum mp_err mail_smtp_conn_write(struct mail_smtp_conn *c, const void *p, size_t len,
				 unsigned timeout_ms) MP_WUR;

/*
 * Read and parse the next reply within timeout_ms.
 * ERR_OK: *out filled (free with mail_smtp_reply_free()).  ERR_PARSE or
 * ERR_LIMIT: the bytes are not an SMTP reply or break its caps; ERR_TIMEOUT;
 * ERR_NET: the connection closed or failed; ERR_TLS.
 */
enum mp_err mail_smtp_conn_read_reply(struct mail_smtp_conn *c, unsigned timeout_ms,
				      struct mail_smtp_reply *out) MP_WUR;

/* Bytes received after the last reply returned and not consumed yet. */
size_t mail_smtp_conn_buffered(const struct mail_smtp_conn *c);

/* Our end's address as an RFC 5321 4.1.3 address literal ("[192.0.2.1]", "[IPv6:...]"). */
void mail_smtp_conn_local_literal(const struct mail_smtp_conn *c, char *out, size_t outsz);

/* The TLS session, NULL before mail_smtp_conn_tls(); borrowed. */
const struct common_tls *mail_smtp_conn_tls_session(const struct mail_smtp_conn *c);

/* Shut TLS down (best effort), close the socket, free.  NULL is a no-op. */
void mail_smtp_conn_close(struct mail_smtp_conn *c);

#endif
