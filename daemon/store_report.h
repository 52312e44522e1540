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
 */
#ifndef MAILPULSE_DAEMON_STORE_REPORT_H
#define MAILPULSE_DAEMON_STORE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "daemon/store.h"
#include "mail/report.h"

/* The head of one report, before its content. */
struct daemon_report_head {
	const char *kind;	   /* "aggregate" "tlsrpt" "failure" */
	const char *reporter;	   /* org_name / organization-name / reporting MTA */
	const char *reporter_email; /* "" */
	const char *report_id;	   /* failure reports: sha256 hex of the report bytes */
	const char *domain;	   /* policy domain, lower case; TLS-RPT: first policy-domain */
	int64_t begin, end;	   /* date range (failure: arrival, arrival) */
	const char *source;	   /* "listener" "imap:NAME" "drop" "api" */
	const char *container;	   /* "email>zip>xml" ... */
	int64_t received;	   /* unix seconds */
	/* aggregate only: policy_published */
	const char *policy_p, *policy_sp; /* "" */
	int pct;			  /* -1 absent */
	char adkim, aspf;		  /* 'r' 's', 0 for non-aggregate */
};

/*
 * Insert the head (inside the caller's transaction).  *dup true and *id 0
 * when (kind, reporter, report_id) is already stored: the caller rolls back
 * and counts a duplicate.  ERR_INVAL on missing/oversized fields.
 */
enum mp_err daemon_store_report_open(struct daemon_store *s, const struct daemon_report_head *h,
				     int64_t *id, bool *dup) MP_WUR;
/* One aggregate record of report id (m is the report's meta). */
enum mp_err daemon_store_report_add_row(struct daemon_store *s, int64_t id,
					const struct mail_agg_meta *m,
					const struct mail_agg_record *r) MP_WUR;
/* The TLS report's policies and failure details. */
enum mp_err daemon_store_report_add_tlsrpt(struct daemon_store *s, int64_t id,
					   const struct mail_tlsrpt *t) MP_WUR;
/* One failure report. */
enum mp_err daemon_store_report_add_failure(struct daemon_store *s, int64_t id,
					    const struct mail_arf *f) MP_WUR;
/* Last write of a report: its record and message totals; bumps report_counters. */
enum mp_err daemon_store_report_finish(struct daemon_store *s, int64_t id, uint64_t records,
				       uint64_t messages) MP_WUR;

/* A rejected input, kept in the quarantine (its own transaction). */
enum mp_err daemon_store_report_reject_add(struct daemon_store *s, int64_t at, const char *source,
					   const char *file, const char *reason) MP_WUR;

/* ---- reading ---- */

/* Message totals of domain's aggregate rows in the window. */
struct daemon_report_totals {
	uint64_t reports;
	uint64_t messages;
	uint64_t pass;	       /* DMARC pass: policy_evaluated dkim or spf = pass */
	uint64_t dkim_pass;    /* policy_evaluated dkim = pass (aligned DKIM) */
	uint64_t spf_pass;     /* policy_evaluated spf = pass (aligned SPF) */
	uint64_t auth_pass;    /* DMARC fail, but some auth_results dkim or spf passed
				  (authorised, misaligned) */
	uint64_t quarantined, rejected; /* disposition applied */
};
enum mp_err daemon_store_report_totals(struct daemon_store *s, const char *domain, int64_t since,
				       struct daemon_report_totals *out) MP_WUR;

/* Per UTC day (day = unix seconds / 86400) totals, oldest first, days with
   data only. */
struct daemon_report_day {
	int64_t day;
	uint64_t messages, pass;
};
enum mp_err daemon_store_report_days(struct daemon_store *s, const char *domain, int64_t since,
				     struct daemon_report_day **out, size_t *n) MP_WUR;

/* One sending source of domain in the window (grouped by source IP). */
struct daemon_report_source {
	char *ip;	 /* owned */
	char *ptr;	 /* owned, "" when unknown (not yet resolved or no PTR) */
	char *base;	 /* organisational domain of ptr, owned, "" */
	char *reporters; /* distinct reporters, comma separated, owned */
	char *header_from; /* most common header_from, owned */
	char *auth_domains; /* DKIM d= / SPF domains that passed, comma separated, owned */
	uint64_t messages, pass, auth_pass;
	int64_t first_seen; /* earliest date-range begin of this IP for this domain, ever */
	int64_t last_seen;
};
/* Sources of domain in the window, most messages first, at most max. */
enum mp_err daemon_store_report_sources(struct daemon_store *s, const char *domain, int64_t since,
					size_t max, struct daemon_report_source **out,
					size_t *n) MP_WUR;
void daemon_store_report_sources_free(struct daemon_report_source *v, size_t n);

/* One TLS-RPT policy line in the window, summed per (reporter, type, policy domain). */
struct daemon_tlsrpt_sum {
	char *reporter, *policy_type, *policy_domain; /* owned */
	uint64_t success, failure;
	char *failure_types; /* "certificate-expired:3,starttls-not-supported:1", owned */
};
enum mp_err daemon_store_report_tlsrpt(struct daemon_store *s, const char *domain, int64_t since,
				       struct daemon_tlsrpt_sum **out, size_t *n) MP_WUR;
void daemon_store_report_tlsrpt_free(struct daemon_tlsrpt_sum *v, size_t n);

/* The last reports of domain (any kind), newest received first. */
struct daemon_report_item {
	char *kind, *reporter, *report_id, *source, *container; /* owned */
	int64_t begin, end, received;
	uint64_t records, messages;
};
enum mp_err daemon_store_report_recent(struct daemon_store *s, const char *domain, size_t max,
				       struct daemon_report_item **out, size_t *n) MP_WUR;
void daemon_store_report_items_free(struct daemon_report_item *v, size_t n);

/* The last failure reports of domain, newest first. */
struct daemon_report_failure {
	int64_t arrival, received;
	char *reporter, *source_ip, *auth_failure, *from, *subject; /* owned */
	char *dkim_domain, *delivery_result, *identity_alignment;   /* owned */
};
enum mp_err daemon_store_report_failures(struct daemon_store *s, const char *domain, size_t max,
					 struct daemon_report_failure **out, size_t *n) MP_WUR;
void daemon_store_report_failures_free(struct daemon_report_failure *v, size_t n);

/* Rejected inputs since `since` (all domains: a rejected report has none). */
enum mp_err daemon_store_report_rejects_count(struct daemon_store *s, int64_t since,
					      uint64_t *n) MP_WUR;

/* Cumulative messages of domain with DMARC pass and fail (for the counter). */
enum mp_err daemon_store_report_counters(struct daemon_store *s, const char *domain,
					 uint64_t *pass, uint64_t *fail) MP_WUR;

/* ---- reverse DNS of sources ---- */

/* Up to max source IPs with no report_rdns row, or one older than stale_before. */
enum mp_err daemon_store_report_rdns_missing(struct daemon_store *s, int64_t stale_before,
					     size_t max, char ***ips, size_t *n) MP_WUR;
/* Record the answer ("" ptr/base: no PTR). */
enum mp_err daemon_store_report_rdns_set(struct daemon_store *s, const char *ip, const char *ptr,
					 const char *base, int64_t now) MP_WUR;

/* Retention: reports whose date range ended before `before`, with their rows
   (chunked transactions). */
enum mp_err daemon_store_report_prune(struct daemon_store *s, int64_t before,
				      uint64_t *deleted) MP_WUR;

#endif
