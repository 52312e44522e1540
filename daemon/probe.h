/*
 * daemon/probe: the probe engine of mailpulsed (issue 4 "Probe lifecycle in
 * the daemon"; DESIGN.md 2.2).  On the main loop, each turn:
 *
 *  - schedule: every enabled domain with probe_interval sends one probe per
 *    probe_to item each interval (plus up to a tenth of it, at most a
 *    minute, of random jitter so that domains do not send in lockstep); the
 *    first one after a start or reload comes one interval after the last
 *    probe in the store, so restarts do not cause bursts;
 *  - send: a token (mail/probe), the message composed and, when probe_sign
 *    names a selector, DKIM-signed with the domain's dkim_key
 *    (mail/dkim), a PENDING row in the store, then the submission through
 *    the domain's [relay] on the worker's network lane
 *    (daemon/probe_worker): SUBMITTED with the relay's queue id and the
 *    acceptance time to the millisecond, or SEND_FAILED with its words;
 *  - inbound: the messages the listener or a seed box committed
 *    (daemon_store_inbound_pending).  A message to a VERP address
 *    (<verp_local>+TOKEN@bounce_domain) or with the null reverse-path is
 *    read as a bounce (mail/dsn): a failed recipient makes its probe
 *    BOUNCED (status, reply code, reason, diagnostic); a "delayed" notice
 *    changes nothing; auto-replies and feedback reports are not bounces.
 *    A message carrying a token (mail/probe) makes its probe RECEIVED with
 *    the round trip (arrival - relay acceptance, sub-second), then
 *    verified on the worker's verify lane (mail/verify): VERIFIED or
 *    FAILED (daemon/probe_verdict).  An inbound row is marked processed
 *    only once its outcome is stored, so a crash re-processes it;
 *  - lost: a SUBMITTED probe older than [probe] timeout becomes LOST;
 *  - seeds: each [seed] box is polled every poll_interval on the network
 *    lane (mail/imap); what it finds is committed as inbound rows
 *    ("imap:NAME", folder inbox or spam) and processed as above.  A seed
 *    box's message has no envelope: the client address is the bracketed IP
 *    literal of its topmost Received field (what the provider saw), and
 *    without one SPF is not held against the probe;
 *  - every finished probe (VERIFIED, FAILED, BOUNCED, LOST, SEND_FAILED) is
 *    handed to the report callback as findings of check "probe", which the
 *    daemon feeds to the alert engine (daemon_engine_external_result()).
 *
 * Restart recovery: a PENDING probe found at start was interrupted before
 * the relay answered; it becomes SEND_FAILED ("interrupted") without an
 * alert (if it was sent after all and comes back, it is still received).
 * SUBMITTED probes keep waiting (or become LOST); RECEIVED ones are
 * verified again from their inbound row.
 *
 * What it does not: listen (daemon/probe_listen), block (the worker does),
 * or decide alerts (daemon/engine and daemon/alert do).  One thread: the
 * main loop's.
 */
#ifndef MAILPULSE_DAEMON_PROBE_H
#define MAILPULSE_DAEMON_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/config.h"
#include "daemon/probe_worker.h"
#include "daemon/store.h"
#include "dns/finding.h"

struct daemon_probe;

/* Where finished probes go: findings of check "probe" for domain at now (borrowed). */
typedef void daemon_probe_report_fn(void *arg, const char *domain, const struct dns_findings *f,
				    int64_t now);

/*
 * A new engine for cfg (borrowed; see daemon_probe_reload) over the open
 * store st (borrowed), reporting through report(arg, ...).  Recovers the
 * probes a previous run left open.  The worker threads start with the
 * first job.  Free with daemon_probe_free().
 */
enum mp_err daemon_probe_new(const struct daemon_config *cfg, struct daemon_store *st, int64_t now,
			     daemon_probe_report_fn *report, void *arg,
			     struct daemon_probe **out) MP_WUR;
/* Switch to cfg (borrowed from now on): schedule and seeds again, jobs in flight carry on. */
void daemon_probe_reload(struct daemon_probe *p, const struct daemon_config *cfg, int64_t now);
/* The fd to poll for POLLIN (worker results), or -1 while no worker runs. */
int daemon_probe_fd(const struct daemon_probe *p);
/* One turn at now (see the header comment).  True when a probe changed. */
bool daemon_probe_run(struct daemon_probe *p, int64_t now);
/* Jobs queued or running on the worker. */
size_t daemon_probe_busy(struct daemon_probe *p);
/*
 * SIGTERM: break off the worker's jobs and record what finished; an
 * interrupted submission stays PENDING (recovered at the next start), an
 * interrupted verification is redone then.
 */
void daemon_probe_stop(struct daemon_probe *p, int64_t now);
/* Stop (if not done) and free.  NULL is a no-op. */
void daemon_probe_free(struct daemon_probe *p);

/*
 * The consumer of inbound messages that are not probes or bounces (issue 5:
 * daemon_reports_inbound).  It gets every message addressed to a [reports]
 * address first (whatever its envelope: a failure report may have the null
 * reverse-path), and then every message that is neither a probe nor a bounce
 * (auto-replies and RFC 5965 feedback reports included).  It returns the
 * kind the row is marked processed with ("report", "unknown" ...), or NULL
 * to leave the row pending and be asked again at the next turn (a transient
 * store failure).  Unset: such messages are "unknown".
 */
struct daemon_inbound_row;
typedef const char *daemon_probe_other_fn(void *arg, const struct daemon_inbound_row *in);
void daemon_probe_set_other(struct daemon_probe *p, daemon_probe_other_fn *fn, void *arg);

/*
 * Test seam (tests/daemon/test_probe): fn(arg, job, out) runs each job at
 * once on the calling thread instead of the worker, filling *out as the
 * worker would (job is cleared afterwards).  Set before the first run.
 */
typedef void daemon_probe_runner_fn(void *arg, const struct daemon_probe_job *job,
				    struct daemon_probe_done *out);
void daemon_probe_set_runner(struct daemon_probe *p, daemon_probe_runner_fn *fn, void *arg);

#endif
