/*
 * daemon/mailq: the SMTP worker thread of mailpulsed (DESIGN.md 3: blocking
 * work runs on worker threads that exchange owned messages through queues;
 * STYLE.md 19-20).  The main loop pushes owned jobs (one alert e-mail each)
 * and pops owned results; a pipe becomes readable when results wait, so the
 * main loop polls it with everything else.  The worker blocks every signal
 * and runs one mail/smtp session at a time.
 *
 * What it does not: compose, resolve names (daemon/deliver resolves the
 * relay's name through the daemon's resolver on the main loop; the job
 * carries the IP literal to connect to and the name for the certificate
 * check), retry or touch the store: the main loop does all of that.
 */
#ifndef MAILPULSE_DAEMON_MAILQ_H
#define MAILPULSE_DAEMON_MAILQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "mail/smtp.h"

/* One e-mail to submit.  Every pointer is owned by the job (xmalloc'd). */
struct daemon_mailq_job {
	int64_t id;    /* the outbox row (or 0) */
	char *channel; /* the [alert NAME] */
	char *host;    /* relay name for TLS checks */
	char *addr;    /* IP literal to connect to, or NULL when host is one */
	unsigned port;
	enum mail_smtp_tls_mode tls;
	char *ca_file;
	char *user, *password; /* NULL: no AUTH; the password is wiped when freed */
	char *from;
	char **to;
	size_t nto;
	char *msg; /* the complete message */
	size_t len;
	unsigned timeout_ms; /* per SMTP step */
	bool plaintext_auth; /* AUTH without TLS (tls = none with allow_insecure) */
};

/* One outcome; strings owned (daemon_mailq_done_clear()). */
struct daemon_mailq_done {
	int64_t id;
	char *channel;
	enum mail_smtp_class cls;
	char error[320]; /* words, no secret; "" on success */
	bool data_sent;
	bool attempted; /* a session was started for it (false: cancelled before) */
};

struct daemon_mailq;

/* Start the worker (signals blocked in it).  ERR_IO when the thread or pipe cannot be made. */
enum mp_err daemon_mailq_new(struct daemon_mailq **out) MP_WUR;
/*
 * Stop the worker now and wait for it (a fraction of a second): the session
 * in progress fails with class MAIL_SMTP_NETWORK and an error starting with
 * "cancelled" (data_sent says whether the final dot had gone out), each job
 * not started yet becomes a result of class MAIL_SMTP_NETWORK with
 * attempted false, and jobs pushed afterwards become such results at once.
 * Pop the results afterwards as usual.  Calling it twice, or with NULL, is
 * harmless.
 */
void daemon_mailq_cancel(struct daemon_mailq *q);
/*
 * Cancel (as above) if not done yet, drop every result not popped (their
 * outbox rows come due again when their lease ends), free.  NULL is a no-op.
 */
void daemon_mailq_free(struct daemon_mailq *q);
/* Queue job (taken over; *job is zeroed). */
void daemon_mailq_push(struct daemon_mailq *q, struct daemon_mailq_job *job);
/* The fd to poll for POLLIN: readable while results wait. */
int daemon_mailq_fd(const struct daemon_mailq *q);
/* Take the next result into *out; false when none waits. */
bool daemon_mailq_pop(struct daemon_mailq *q, struct daemon_mailq_done *out);
/* Free a job's contents (password wiped); NULL is a no-op. */
void daemon_mailq_job_clear(struct daemon_mailq_job *job);
void daemon_mailq_done_clear(struct daemon_mailq_done *d);

#endif
