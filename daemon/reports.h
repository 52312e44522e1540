/*
 * daemon/reports: the report engine of mailpulsed (issue 5 "Ingest" and
 * "Analyse"; DESIGN.md 2.4).  On the main loop, each turn:
 *
 *  - drop directory: every drop_interval, each regular file of [reports]
 *    drop_dir (symbolic links, dotfiles, *.tmp and files changed in the
 *    last 2 seconds, which may still be written, are left alone) is
 *    ingested (daemon/report_ingest, source "drop") and removed: stored,
 *    duplicate, or rejected (then it is already in the quarantine).  A file
 *    the store could not take (ERR_IO) stays and is tried again;
 *  - mailboxes: each [report_mailbox] is polled every poll_interval on the
 *    worker (daemon/report_worker); every fetched message is ingested
 *    (source "imap:NAME") and, with delete = yes, deleted from the box once
 *    handled (not after ERR_IO: the next poll finds it again);
 *  - reverse DNS: source IPs without a PTR answer (or one older than 7
 *    days) are looked up on the worker, 256 at a time, and recorded;
 *  - analysis: every domain that got a report, and every configured domain
 *    at least hourly, is analysed (daemon/report_analysis); its findings of
 *    check "reports" go to the result callback, which the daemon feeds to
 *    the alert engine (daemon_engine_external_result());
 *  - retention: once a day, reports older than [reports] keep_days go.
 *
 * Two more ways in: daemon_reports_inbound() for listener messages (the
 * probe engine hands over what is addressed to a [reports] address or is
 * neither a probe nor a bounce), and daemon_reports_http_ingest() for
 * POST /api/v1/reports, which runs on an HTTP server thread with a store
 * connection of its own and wakes the main loop through a pipe.
 *
 * What it does not: parse (mail/report), store rows (daemon/store_report),
 * talk IMAP or DNS (the worker does), or decide alerts (daemon/engine).
 * One thread (the main loop's), except daemon_reports_http_ingest().
 */
#ifndef MAILPULSE_DAEMON_REPORTS_H
#define MAILPULSE_DAEMON_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/config.h"
#include "daemon/store.h"
#include "dns/finding.h"

struct daemon_reports;
struct daemon_inbound_row;

/* Where analyses go: findings of check "reports" for domain at now (borrowed). */
typedef void daemon_reports_result_fn(void *arg, const char *domain, const struct dns_findings *f,
				      int64_t now);

/*
 * A new engine for cfg (borrowed; see daemon_reports_reload) over the open
 * store st (borrowed; the main loop's connection); db_path (copied) is the
 * database the HTTP callback opens its own connection to.  The worker
 * thread starts at once (without it, mailboxes and reverse DNS wait: it is
 * tried again at each reload).  ERR_IO when the wake pipe cannot be made.
 * Free with daemon_reports_free().
 */
enum mp_err daemon_reports_new(const struct daemon_config *cfg, struct daemon_store *st,
			       const char *db_path, int64_t now, daemon_reports_result_fn *fn,
			       void *arg, struct daemon_reports **out) MP_WUR;
/* Switch to cfg (borrowed from now on): mailboxes and drop dir again; jobs in flight carry on
   (a [dns] change restarts the worker). */
void daemon_reports_reload(struct daemon_reports *r, const struct daemon_config *cfg, int64_t now);
/* The worker's result fd (POLLIN), or -1 without a worker. */
int daemon_reports_fd(const struct daemon_reports *r);
/* The fd the HTTP callback writes to when it stored something (POLLIN). */
int daemon_reports_wake_fd(const struct daemon_reports *r);
/* One turn at now (see the header comment).  True when something the snapshot shows changed. */
bool daemon_reports_run(struct daemon_reports *r, int64_t now);

/*
 * An inbound listener message (daemon/probe's "other" callback, arg = r):
 * addressed to a [reports] address, it is ingested whatever it holds
 * (anything rejected, or no report at all, goes to the quarantine) and is
 * "report"; otherwise it is ingested only when it holds a report
 * ("report"), else "unknown" and nothing is quarantined.  NULL when the
 * store or the quarantine failed: leave the row pending, ask again later.
 */
const char *daemon_reports_inbound(void *arg, const struct daemon_inbound_row *in);

/*
 * POST /api/v1/reports (web/http's ingest_report, arg = r): ingest body
 * (source "api") through a store connection opened for the call, write
 * {"stored":N,"duplicates":N,"rejected":N,"reason":"..."} into json
 * (jsonsz bytes) and return 201 (something stored), 200 (only
 * duplicates), 422 (rejected or not a report: quarantined) or 503 (store
 * or quarantine failure).  Thread-safe; wakes the main loop.
 */
unsigned daemon_reports_http_ingest(void *arg, const char *body, size_t len, char *json,
				    size_t jsonsz);

/* Stop the worker and free.  The HTTP server must be stopped first.  NULL is a no-op. */
void daemon_reports_free(struct daemon_reports *r);

/*
 * Test seam (tests/daemon/test_reports): run without the worker thread
 * (no mailboxes, no reverse DNS).  Set before the first run.
 */
void daemon_reports_no_worker(struct daemon_reports *r);

#endif
