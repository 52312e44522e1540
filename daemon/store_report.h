/*
 * daemon/store_report: DMARC aggregate, TLS-RPT and failure reports in the
 * store (schema version 6, daemon/store_schema), and the queries the
 * analysis (daemon/report_analysis), the page and /metrics read.
 *
 *  - `reports`: one row per accepted report: kind, reporter (org_name),
 *    report id, domain, date range, where it came from, the wrapper chain,
 *    record and message counts.  UNIQUE(kind, reporter, report_id): the
 *    same report twice counts once (issue 5 "Deduplicated").
 *  - `report_rows`: one row per aggregate <record> (source IP, count,
 *    disposition, the reporter's policy_evaluated dkim/spf = the DMARC
 *    verdict, header_from, the auth_results DKIM domains/results and SPF
 *    domain/result), with the report's date range copied for windowed
 *    queries.
 *  - `tlsrpt_policies`, `tlsrpt_failures`: RFC 8460 summaries and failure
 *    details.  `report_failures`: RFC 6591 failure reports.
 *  - `report_rdns`: reverse DNS of source IPs (PTR name and its
 *    organisational "base" name, e.g. google.com), filled by the worker.
 *  - `report_rejects`: every rejected input (when, source, quarantine file,
 *    reason): the quarantine's index.
 *  - `report_counters`: cumulative messages per (domain, result) for the
 *    mailpulse_dmarc_messages_total counter; never pruned, so the counter
 *    never goes down.
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: daemon/report_ingest,
 * daemon/report_analysis and daemon/report_worker code against them).
 *
 * Transactions: a report is written inside ONE transaction the caller
 * opens (daemon_store_begin(s, true)) and commits after mail/report's end()
 * said the report was valid, or rolls back (all or nothing).  Threads: like
 * every daemon/store function, one connection per thread.
 *
 * Windows: a report row counts in the window [since, now] when its date
 * range ends after since (reports are daily; their end is what matters).
 * The reading functions are in daemon/store_report_query.h (included here).
 *
 * What it does not: parse (mail/report*), judge (daemon/report_analysis),
 * resolve names (daemon/report_worker).  RFC 7489 7.2 / RFC 9990 (aggregate),
 * RFC 8460 4 (TLS-RPT), RFC 6591 (failure reports).
 */
#ifndef MAILPULSE_DAEMON_STORE_REPORT_H
#define MAILPULSE_DAEMON_STORE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "daemon/store.h"
#include "daemon/store_report_query.h"
#include "mail/report.h"

/* The head of one report, before its content. */
struct daemon_report_head {
	const char *kind;	    /* "aggregate" "tlsrpt" "failure" */
	const char *reporter;	    /* org_name / organization-name / reporting MTA */
	const char *reporter_email; /* "" */
	const char *report_id;	    /* failure reports: sha256 hex of the report bytes */
	const char *domain;	    /* policy domain, lower case; TLS-RPT: first policy-domain */
	int64_t begin, end;	    /* date range (failure: arrival, arrival) */
	const char *source;	    /* "listener" "imap:NAME" "drop" "api" */
	const char *container;	    /* "email>zip>xml" ... */
	int64_t received;	    /* unix seconds */
	/* aggregate only: policy_published */
	const char *policy_p, *policy_sp; /* "" */
	int pct;			  /* -1 absent */
	char adkim, aspf;		  /* 'r' 's', 0 for non-aggregate */
};

/* Longest text field of a report kept (reporter, report id, header_from ...);
   domains and sources are at most DAEMON_STORE_MAX_NAME (255) bytes. */
#define DAEMON_STORE_REPORT_MAX_FIELD 4096
/* Largest message / session count of one record or policy (ERR_LIMIT above):
   real counts are far below, and sums over years of rows then stay exact. */
#define DAEMON_STORE_REPORT_MAX_COUNT 4294967295u
/* How far after its arrival (received) a report's date range may end
   (clock skew, time zones); later is ERR_INVAL. */
#define DAEMON_STORE_REPORT_MAX_FUTURE (7 * 86400)

/*
 * Insert the head (inside the caller's transaction).  *dup true and *id 0
 * when (kind, reporter, report_id) is already stored: the caller rolls back
 * and counts a duplicate.  ERR_INVAL on a missing (NULL or "") kind,
 * reporter, report id, domain or source, an unknown kind, a bad pct or
 * received, a negative date or one ending more than
 * DAEMON_STORE_REPORT_MAX_FUTURE after received; ERR_LIMIT on an oversized
 * field.  Strings are borrowed.
 */
enum mp_err daemon_store_report_open(struct daemon_store *s, const struct daemon_report_head *h,
				     int64_t *id, bool *dup) MP_WUR;
/*
 * One aggregate record of report id (m is the report's meta; unused: the
 * row takes the domain and date range of the reports row).  Stores the
 * reporter's verdicts (dmarc_pass = policy_evaluated dkim or spf pass,
 * auth_pass = some auth_results dkim/spf pass) and the auth results as
 * text.  No savepoint: one cached INSERT per call, so ~300k rows of a
 * 100 MB report go in quickly.  ERR_NOTFOUND when id is not an aggregate
 * report; ERR_INVAL / ERR_LIMIT for a missing source IP or header_from, an
 * oversized field or a count above DAEMON_STORE_REPORT_MAX_COUNT.
 */
enum mp_err daemon_store_report_add_row(struct daemon_store *s, int64_t id,
					const struct mail_agg_meta *m,
					const struct mail_agg_record *r) MP_WUR;
/* The TLS report's policies and failure details (all or none of them);
   ERR_NOTFOUND when id is not a TLS report. */
enum mp_err daemon_store_report_add_tlsrpt(struct daemon_store *s, int64_t id,
					   const struct mail_tlsrpt *t) MP_WUR;
/* One failure report (its domain: reported_domain, else the head's; its
   arrival: f->arrival, else the head's begin).  ERR_NOTFOUND when id is not
   a failure report. */
enum mp_err daemon_store_report_add_failure(struct daemon_store *s, int64_t id,
					    const struct mail_arf *f) MP_WUR;
/*
 * Last write of a report, called once: its record and message totals; for
 * an aggregate report bumps report_counters by the stored rows' pass and
 * fail messages, and queues its new source IPs for reverse DNS.
 * ERR_NOTFOUND for an unknown id.
 */
enum mp_err daemon_store_report_finish(struct daemon_store *s, int64_t id, uint64_t records,
				       uint64_t messages) MP_WUR;

/* A rejected input, kept in the quarantine (its own transaction, or a
   savepoint in the caller's batch).  source and reason required; file may
   be NULL. */
enum mp_err daemon_store_report_reject_add(struct daemon_store *s, int64_t at, const char *source,
					   const char *file, const char *reason) MP_WUR;

/* ---- reverse DNS of sources ---- */

/* Record the answer ("" ptr/base: no PTR). */
enum mp_err daemon_store_report_rdns_set(struct daemon_store *s, const char *ip, const char *ptr,
					 const char *base, int64_t now) MP_WUR;

/*
 * Retention: reports whose date range ended before `before`, with their
 * rows, TLS policies and failures, plus rejects older than before and the
 * reverse DNS of IPs no report mentions any more (chunked transactions;
 * not inside a batch).  report_counters are kept.  *deleted (may be NULL):
 * reports removed.
 */
enum mp_err daemon_store_report_prune(struct daemon_store *s, int64_t before,
				      uint64_t *deleted) MP_WUR;

#endif
