/*
 * daemon/report_worker: the blocking half of report ingest (DESIGN.md 3:
 * blocking work on a worker thread exchanging owned messages through
 * queues).  One thread with its own c-ares resolver (the [dns] options):
 *
 *  - POLL: fetch every message of a [report_mailbox] folder over IMAP
 *    (mail/imap, libcurl; the host resolved through the worker's resolver
 *    and pinned, the certificate still checked against the name);
 *  - DELETE: remove messages by UID once the main loop stored them (a crash
 *    in between loses nothing: the next poll finds them again);
 *  - RDNS: PTR lookups of report source IPs (RFC 1035 3.5, in-addr.arpa /
 *    ip6.arpa), the PTR name forward-confirmed is not required: it is a
 *    label for people, never a trust decision; its organisational domain
 *    (dns/orgdomain, libpsl) is the "base" name sources are grouped by.
 *    Every PTR question of a job is in flight at once.
 *
 * Results come back on a list whose pipe the main loop polls.
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: daemon/reports codes against it).
 *
 * What it does not: touch the store, parse reports, or log secrets (the
 * password is wiped when a job is freed and never copied into a result).
 */
#ifndef MAILPULSE_DAEMON_REPORT_WORKER_H
#define MAILPULSE_DAEMON_REPORT_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "daemon/config.h"

struct daemon_report_worker;

enum daemon_report_job_kind {
	DAEMON_REPORT_JOB_POLL,
	DAEMON_REPORT_JOB_DELETE,
	DAEMON_REPORT_JOB_RDNS,
};

/* One message fetched from a mailbox. */
struct daemon_report_fetched {
	unsigned long uid;
	char *data; /* owned */
	size_t len;
};

/* A finished job.  Everything owned; free with daemon_report_done_free(). */
struct daemon_report_done {
	enum daemon_report_job_kind kind;
	char *mailbox; /* POLL/DELETE: [report_mailbox] name */
	enum mp_err rc;
	char error[256];		    /* plain words, never the password */
	struct daemon_report_fetched *msgs; /* POLL */
	size_t n_msgs;
	/* RDNS: ips[i] -> ptr[i] ("" no PTR), base[i] ("" none); failed lookups
	   (timeouts) are left out so they are retried later */
	char **ips, **ptr, **base;
	size_t n_ips;
	/* Added by the implementer: */
	size_t n_skipped; /* POLL: messages larger than max_message, left in the box */
	size_t n_more;	  /* POLL: messages beyond MAIL_IMAP_MAX_MESSAGES, for the next poll */
	size_t n_deleted; /* DELETE: messages removed */
};

/*
 * Start the thread (resolver from cfg's [dns], copied; see _set_dns()).
 * ERR_IO / ERR_NET when it cannot; *out set only on success.
 */
enum mp_err daemon_report_worker_new(const struct daemon_config *cfg,
				     struct daemon_report_worker **out) MP_WUR;
/*
 * A reload: the jobs started from now on use a resolver made from cfg's
 * [dns] (copied).  ERR_INVAL / ERR_IO when it cannot be made: the old one
 * stays.  Added by the implementer.
 */
enum mp_err daemon_report_worker_set_dns(struct daemon_report_worker *w,
					 const struct daemon_config *cfg) MP_WUR;
/*
 * Poll mailbox mb (its settings copied into the job, the password too, wiped
 * when the job is freed): every message of mb->folder up to max_message
 * bytes (0: 1 MiB), at most MAIL_IMAP_MAX_MESSAGES per poll, none deleted.
 * The result's msgs may be non-empty even when rc is not ERR_OK (fetched
 * before the failure).
 */
void daemon_report_worker_poll(struct daemon_report_worker *w,
			       const struct daemon_config_report_mailbox *mb, size_t max_message);
/* Delete uids[0..n) from mailbox mb's folder (copied; sessions of at most
   MAIL_IMAP_MAX_MESSAGES UIDs each).  UIDs already gone are not an error. */
void daemon_report_worker_delete(struct daemon_report_worker *w,
				 const struct daemon_config_report_mailbox *mb,
				 const unsigned long *uids, size_t n);
/*
 * Look up PTR names for ips[0..n) (copied; at most DAEMON_REPORT_RDNS_MAX
 * per job: the rest are ignored, ask again).  An address that does not
 * parse, NXDOMAIN, NODATA and a malformed answer give "" (no PTR); a
 * temporary failure leaves the address out of the result.
 */
#define DAEMON_REPORT_RDNS_MAX 256
void daemon_report_worker_rdns(struct daemon_report_worker *w, char *const *ips, size_t n);
/* Whether a job of this kind (and mailbox, for POLL/DELETE; NULL for RDNS) is queued or running. */
bool daemon_report_worker_busy(struct daemon_report_worker *w, enum daemon_report_job_kind kind,
			       const char *mailbox);
/* The fd the main loop polls: readable when results are waiting. */
int daemon_report_worker_fd(const struct daemon_report_worker *w);
/* Take the next finished job (NULL when none); caller frees it. */
struct daemon_report_done *daemon_report_worker_take(struct daemon_report_worker *w);
void daemon_report_done_free(struct daemon_report_done *d);
/*
 * Stop (breaking off DNS waits, and an IMAP session before its next
 * command; a command already sent runs to its end or the mailbox's
 * timeout), join, free jobs and results not taken.  NULL is a no-op.
 */
void daemon_report_worker_free(struct daemon_report_worker *w);

#endif
