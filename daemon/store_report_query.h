/*
 * daemon/store_report_query: reading the reports of daemon/store_report
 * (schema version 6): window totals, days, sources, TLS-RPT sums, recent
 * reports and failure reports, rejects, counters, source IPs to resolve.
 * daemon/report_analysis, the page and /metrics read these.
 *
 * Split from daemon/store_report only to keep files short: callers include
 * "daemon/store_report.h", which includes this header.  The functions are
 * part of the issue-5 CONTRACT described there.
 *
 * Windows: a report row counts in the window [since, now] when its date
 * range ends after since (reports are daily; their end is what matters).
 * Every list is owned by the caller and freed with its _free() function;
 * max 0 means no limit.  Errors: those of daemon/store (ERR_IO ...).
 */
#ifndef MAILPULSE_DAEMON_STORE_REPORT_QUERY_H
#define MAILPULSE_DAEMON_STORE_REPORT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "daemon/store.h"

/* Whether domain has any stored report (one indexed lookup: the page skips
   domains without). */
enum mp_err daemon_store_report_exists(struct daemon_store *s, const char *domain,
				       bool *yes) MP_WUR;

/* The p= of domain's most recent aggregate report (by date range end); ""
   when none.  *p is owned by the caller (free()). */
enum mp_err daemon_store_report_policy(struct daemon_store *s, const char *domain, char **p) MP_WUR;

/* Message totals of domain's aggregate rows in the window. */
struct daemon_report_totals {
	uint64_t reports;
	uint64_t messages;
	uint64_t pass;			/* DMARC pass: policy_evaluated dkim or spf = pass */
	uint64_t dkim_pass;		/* policy_evaluated dkim = pass (aligned DKIM) */
	uint64_t spf_pass;		/* policy_evaluated spf = pass (aligned SPF) */
	uint64_t auth_pass;		/* DMARC fail, but some auth_results dkim or spf passed
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
	char *ip;	    /* owned */
	char *ptr;	    /* owned, "" when unknown (not yet resolved or no PTR) */
	char *base;	    /* organisational domain of ptr, owned, "" */
	char *reporters;    /* distinct reporters, comma separated, owned */
	char *header_from;  /* most common header_from, owned */
	char *auth_domains; /* DKIM d= / SPF domains that passed, comma separated, owned */
	uint64_t messages, pass, auth_pass;
	int64_t first_seen; /* earliest date-range begin of this IP for this domain, ever */
	int64_t last_seen;
	uint64_t messages_recent; /* of messages, those in rows ending after recent_since
				     (daemon_store_report_sources_split; = messages otherwise) */
};
/* Sources of domain in the window, most messages first, at most max. */
enum mp_err daemon_store_report_sources(struct daemon_store *s, const char *domain, int64_t since,
					size_t max, struct daemon_report_source **out,
					size_t *n) MP_WUR;
/* The same, with messages_recent counting only rows ending after
   recent_since (>= since): the 7-day volume of the 30-day list in one pass. */
enum mp_err daemon_store_report_sources_split(struct daemon_store *s, const char *domain,
					      int64_t since, int64_t recent_since, size_t max,
					      struct daemon_report_source **out, size_t *n) MP_WUR;
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
enum mp_err daemon_store_report_counters(struct daemon_store *s, const char *domain, uint64_t *pass,
					 uint64_t *fail) MP_WUR;

/* ---- reverse DNS of sources ---- */

/*
 * Up to max source IPs with no answer yet (every IP of a finished report
 * gets a report_rdns row without one), or one resolved before stale_before;
 * unresolved first.  *ips is a NULL-terminated array of n owned strings:
 * free each and the array.
 */
enum mp_err daemon_store_report_rdns_missing(struct daemon_store *s, int64_t stale_before,
					     size_t max, char ***ips, size_t *n) MP_WUR;

#endif
