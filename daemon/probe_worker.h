/*
 * daemon/probe_worker: the blocking half of the probe engine (DESIGN.md 3:
 * blocking work runs on worker threads that exchange owned messages through
 * queues; STYLE.md 19-20).  Two lanes, each one thread with its own job
 * list, its own c-ares resolver (dns/resolver, with the [dns] options) and
 * its own library handles, share one result list whose pipe the main loop
 * polls:
 *
 *  - the network lane submits probes (mail/smtp through the [relay]) and
 *    polls seed boxes (mail/imap) and, once the main loop has stored what
 *    a poll found, deletes those messages from the box (a second job, so a
 *    crash in between loses nothing: the next poll finds them again); the relay and IMAP host names
 * are resolved first through the lane's resolver (A, then AAAA, via daemon_deliver_resolve()) and
 * the session is pinned to the first address while TLS still checks the certificate against the
 * name;
 *  - the verify lane runs mail/verify on messages that came back: the DNS
 *    waits (SPF, DKIM keys, DMARC) and libopendkim's CPU work never block
 *    the main loop, and a slow relay never delays a verdict.
 *
 * Every worker thread blocks every signal.  A cancel switch breaks off an
 * SMTP session in progress when the daemon stops.
 *
 * What it does not: compose or sign (daemon/probe does, on the main loop),
 * touch the store, decide states, or log secrets (jobs hold passwords; they
 * are wiped when a job is freed and never copied into a result).
 */
#ifndef MAILPULSE_DAEMON_PROBE_WORKER_H
#define MAILPULSE_DAEMON_PROBE_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/resolver.h"
#include "mail/imap.h"
#include "mail/smtp.h"
#include "mail/verify.h"

enum daemon_probe_job_kind {
	DAEMON_PROBE_JOB_SEND,	 /* network lane */
	DAEMON_PROBE_JOB_POLL,	 /* network lane */
	DAEMON_PROBE_JOB_VERIFY, /* verify lane */
	DAEMON_PROBE_JOB_DELETE, /* network lane: remove stored seed-box messages */
};

/* Submit one probe.  Every pointer is owned by the job. */
struct daemon_probe_send {
	char *host; /* relay name (certificate check, SNI) or IP literal */
	unsigned port;
	enum mail_smtp_tls_mode tls;
	char *ca_file;
	bool tls_no_verify;
	char *helo;
	char *user, *password; /* NULL: no AUTH; the password is wiped when freed */
	bool plaintext_auth;
	unsigned timeout_ms; /* per SMTP step */
	char *mail_from;     /* the VERP envelope sender */
	char *rcpt;
	char *msg;
	size_t len;
};

/* Poll one seed box (POLL), or delete messages from it by UID (DELETE). */
struct daemon_probe_poll {
	char *seed; /* [seed NAME] */
	char *host;
	unsigned port;
	bool implicit_tls;
	char *ca_file;
	bool tls_no_verify;
	char *user, *password; /* the password is wiped when freed */
	char *inbox, *spam;    /* folder names */
	bool delete_found;     /* POLL: delete inside the poll (the daemon does not) */
	size_t max_message;
	unsigned timeout_ms;
	/* DELETE: owned UIDs to delete from inbox ([MAIL_IMAP_INBOX]) and spam
	   ([MAIL_IMAP_SPAM]), at most MAIL_IMAP_MAX_MESSAGES each */
	unsigned long *uids[2];
	size_t n_uids[2];
};

/* Verify one message that came back. */
struct daemon_probe_check {
	int64_t inbound_id;
	char *client_ip; /* NULL or "": not known (seed boxes) */
	char *helo;
	char *mail_from;
	char *authserv_id;
	char **trusted; /* trusted upstream authserv-ids */
	size_t n_trusted;
	char *msg;
	size_t len;
};

struct daemon_probe_job {
	enum daemon_probe_job_kind kind;
	char token[32]; /* the probe (SEND, VERIFY); "" for POLL */
	struct daemon_probe_send send;
	struct daemon_probe_poll poll;
	struct daemon_probe_check check;
};

/* One outcome; free its contents with daemon_probe_done_clear(). */
struct daemon_probe_done {
	enum daemon_probe_job_kind kind;
	char token[32];
	/* SEND */
	enum mail_smtp_class cls;
	char error[320];      /* plain words, no secret; "" on success */
	char queue_id[128];   /* the relay's queue id, "" when none */
	char last_reply[320]; /* the relay's last reply, for the page ("" when none) */
	bool data_sent;
	bool attempted;	    /* a session was started (false: cancelled before) */
	double accepted_at; /* unix seconds with fraction when the relay took it */
	/* POLL, DELETE (imap.n_deleted, imap.error) */
	char *seed;
	struct mail_imap_result imap;
	/* VERIFY */
	int64_t inbound_id;
	enum mp_err verr; /* ERR_OK: v is filled */
	struct mail_verify_result v;
	/* POLL, DELETE and SEND/VERIFY failures */
	enum mp_err err;
};

struct daemon_probe_worker;

/*
 * Start both lanes with the resolver options dns (deep-copied; NULL: the
 * system's).  ERR_IO when a thread or pipe cannot be made.
 */
enum mp_err daemon_probe_worker_new(const struct dns_resolver_opts *dns,
				    struct daemon_probe_worker **out) MP_WUR;
/* New resolver options for the jobs started from now on (a reload). */
void daemon_probe_worker_set_dns(struct daemon_probe_worker *w,
				 const struct dns_resolver_opts *dns);
/*
 * Stop both lanes now and wait for them: an SMTP session in progress is
 * broken off (its result says "cancelled"), jobs not started become results
 * with attempted false, jobs pushed afterwards too.  Twice or NULL: harmless.
 */
void daemon_probe_worker_cancel(struct daemon_probe_worker *w);
/* Cancel, drop the results not popped, free.  NULL is a no-op. */
void daemon_probe_worker_free(struct daemon_probe_worker *w);
/* Queue job (taken over; *job is zeroed) on its lane. */
void daemon_probe_worker_push(struct daemon_probe_worker *w, struct daemon_probe_job *job);
/* Jobs queued or running. */
size_t daemon_probe_worker_busy(struct daemon_probe_worker *w);
/* The fd to poll for POLLIN: readable while results wait. */
int daemon_probe_worker_fd(const struct daemon_probe_worker *w);
/* Take the next result; false when none waits. */
bool daemon_probe_worker_pop(struct daemon_probe_worker *w, struct daemon_probe_done *out);

void daemon_probe_job_clear(struct daemon_probe_job *job);
void daemon_probe_done_clear(struct daemon_probe_done *d);

#endif
