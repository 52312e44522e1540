/*
 * daemon/deliver: sends what the outbox holds (daemon/store_outbox).  Due
 * rows are claimed with a lease, rebuilt into their exact bytes by
 * daemon/notify (a webhook is re-signed with a fresh timestamp on every
 * attempt) and sent: Slack and webhooks over common/fetch from the main
 * loop, e-mail through the SMTP worker (daemon/mailq).  Each outcome is
 * written back (sent, retry later, failed) and the FIRING/REMINDER outcomes
 * are reported to the channel's alert engine (daemon/engine).
 *
 * Transport rules (daemon/notify.h): Slack succeeds on 200 with body "ok";
 * webhooks on any 2xx; 5xx, 408, 429 and timeouts retry with exponential
 * backoff (Retry-After honoured), other 4xx fail for good; SMTP temporary
 * and network failures retry, the rest fail.  A row that keeps failing is
 * marked failed after DAEMON_DELIVER_MAX_ATTEMPTS: nothing waits forever,
 * nothing is dropped silently.
 *
 * What it does not: resolve host names (a Slack or webhook URL with a host
 * name is resolved by libcurl; an e-mail relay must be an IP literal), or
 * decide what to send (the alert engine did).
 */
#ifndef MAILPULSE_DAEMON_DELIVER_H
#define MAILPULSE_DAEMON_DELIVER_H

#include <stdbool.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/config.h"
#include "daemon/engine.h"
#include "daemon/mailq.h"
#include "daemon/store.h"

#define DAEMON_DELIVER_MAX_ATTEMPTS 20
#define DAEMON_DELIVER_BACKOFF_BASE 5	/* seconds before the first retry */
#define DAEMON_DELIVER_BACKOFF_MAX 3600 /* longest wait between two attempts */

struct daemon_deliver;

/*
 * A sender for cfg's channels over store st, reporting to eng, e-mail
 * through mq (all borrowed; they outlive it).  A webhook whose signing
 * secret does not decode never sends unsigned: its rows fail with a clear
 * error instead.
 */
struct daemon_deliver *daemon_deliver_new(const struct daemon_config *cfg, struct daemon_store *st,
					  struct daemon_engine *eng, struct daemon_mailq *mq);
/* Cancel HTTP requests in flight (their rows come due again after the lease). */
void daemon_deliver_free(struct daemon_deliver *d);

/* Claim and start the rows due at now; drive the HTTP requests in flight. */
void daemon_deliver_run(struct daemon_deliver *d, int64_t now);
/* Requests (HTTP and e-mail) in flight. */
unsigned daemon_deliver_inflight(const struct daemon_deliver *d);
/* Record an SMTP worker outcome at now. */
void daemon_deliver_mail_done(struct daemon_deliver *d, const struct daemon_mailq_done *r,
			      int64_t now);
/* True (once) when an outcome was recorded since the last call. */
bool daemon_deliver_changed(struct daemon_deliver *d);

/* Seconds to wait before retry number attempts+1 (attempts >= 1): 5, 10, 20 ... 3600. */
int64_t daemon_deliver_backoff(uint32_t attempts, long retry_after);

#endif
