/*
 * daemon/store_result: check results in the store (daemon/store): one row
 * per (domain, check, time) with the worst severity, the duration, the SPF
 * lookup counts, the reason of an unknown result and an optional JSON blob
 * of its findings; the structured findings and the SPF lookup tree of the
 * last and the last good result of each (domain, check) for the status
 * page; and the daily buckets
 * (counts per severity per UTC day) behind the 90-day history bar.
 *
 * The "last good result" rule (DESIGN.md 5, issue 3): a result whose worst
 * severity is unknown (a DNS timeout, our resolver down) is stored as such
 * and becomes the LAST result, but never replaces the LAST GOOD result:
 * daemon_store_result_last() answers both questions separately.  "Last" is
 * by time (at), so a late insert of an older result changes nothing.
 *
 * It does not compute severities or render anything; times come from the
 * caller (unix seconds UTC).  Everything here is a normal, non-durable
 * write: results are cheap to lose on power failure, not on a crash.
 */
#ifndef MAILPULSE_DAEMON_STORE_RESULT_H
#define MAILPULSE_DAEMON_STORE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/finding.h"
#include "daemon/store.h"

/* Caps on what one result may carry (ERR_LIMIT beyond). */
#define DAEMON_STORE_MAX_NAME 255	    /* domain, check, finding code */
#define DAEMON_STORE_MAX_TEXT (64 * 1024)   /* reason, messages, fixes, evidence */
#define DAEMON_STORE_MAX_JSON (1024 * 1024) /* findings_json */
#define DAEMON_STORE_MAX_FINDINGS 1000

/*
 * One check result.  As input (daemon_store_result_add) the strings are
 * borrowed from the caller; as output of a read they are owned by the struct
 * and freed by daemon_store_result_clear().
 */
struct daemon_store_result {
	int64_t id;		   /* row id (reads); ignored by add */
	const char *domain;	   /* A-label form, as the daemon names it */
	const char *check;	   /* "spf" "dkim" "dmarc" "mx" "mta-sts" ... */
	int64_t at;		   /* unix seconds UTC, >= 0 */
	enum dns_sev severity;	   /* worst severity of the result */
	uint32_t duration_ms;	   /* how long the check ran */
	int32_t spf_lookups;	   /* RFC 7208 4.6.4 DNS-querying terms; -1 none */
	int32_t spf_void_lookups;  /* RFC 7208 4.6.4 void lookups; -1 none */
	const char *reason;	   /* why unknown, in words; may be NULL */
	const char *findings_json; /* optional opaque JSON text; may be NULL */
	/*
	 * The SPF lookup tree as JSON text (daemon_render_spf_tree_json()), or
	 * NULL.  Kept only while the result is the last or the last good one of
	 * its (domain, check), like its structured findings; reads of older
	 * results give NULL.
	 */
	const char *spf_tree_json;
};

/* The last and the last good result of one (domain, check). */
struct daemon_store_result_pair {
	struct daemon_store_result last;
	struct daemon_store_result good; /* valid only when has_good */
	bool has_good;
	int64_t ok_at; /* when the check last passed (ok or info); -1: never */
};

struct daemon_store_result_pairs {
	struct daemon_store_result_pair *v;
	size_t n;
};

struct daemon_store_result_list {
	struct daemon_store_result *v;
	size_t n;
};

/* Number of severities (count[] below is indexed by enum dns_sev). */
#define DAEMON_STORE_NSEV (SEV_UNKNOWN + 1)

/* One UTC day of one (domain, check), or of a domain's checks summed. */
struct daemon_store_day {
	int64_t day;			   /* days since 1970-01-01 UTC */
	uint32_t count[DAEMON_STORE_NSEV]; /* results per severity; all 0 = no data */
};

/*
 * Store one result, in one transaction with its day bucket, the last/last
 * good bookkeeping and (when findings is not NULL and the result becomes the
 * last or the last good one) its structured findings.  findings may be
 * NULL.  *id (may be NULL) receives the new row id.
 * ERR_INVAL for a missing or oversized name, at < 0, a bad severity;
 * ERR_LIMIT for oversized text.
 */
enum mp_err daemon_store_result_add(struct daemon_store *s, const struct daemon_store_result *r,
				    const struct dns_findings *findings, int64_t *id) MP_WUR;

/*
 * The last result of (domain, check), or with good the last one whose
 * severity is not unknown.  ERR_NOTFOUND when there is none.  *out is
 * filled only on success; free with daemon_store_result_clear().
 */
enum mp_err daemon_store_result_last(struct daemon_store *s, const char *domain, const char *check,
				     bool good, struct daemon_store_result *out) MP_WUR;

/*
 * Last and last good result of every check of domain (NULL: every domain),
 * ordered by domain then check.  Free with daemon_store_result_pairs_free().
 */
enum mp_err daemon_store_result_latest(struct daemon_store *s, const char *domain,
				       struct daemon_store_result_pairs *out) MP_WUR;

/*
 * Results of domain (and check, unless NULL) at or after since, newest
 * first, at most limit (0: no limit).  Free with daemon_store_result_list_free().
 */
enum mp_err daemon_store_result_history(struct daemon_store *s, const char *domain,
					const char *check, int64_t since, size_t limit,
					struct daemon_store_result_list *out) MP_WUR;

/*
 * Append to out (initialised by the caller) the structured findings kept
 * for result_id, in the order they were given; none (ERR_OK, nothing added)
 * for a result that is neither the last nor the last good one any more.
 */
enum mp_err daemon_store_result_findings(struct daemon_store *s, int64_t result_id,
					 struct dns_findings *out) MP_WUR;

/*
 * ndays consecutive days ending with last_day (oldest first) into out
 * (ndays elements, caller-owned) for (domain, check), or summed over the
 * domain's checks when check is NULL.  A day without results has all
 * counts 0: the page draws it grey, never green.
 */
enum mp_err daemon_store_result_days(struct daemon_store *s, const char *domain, const char *check,
				     int64_t last_day, size_t ndays,
				     struct daemon_store_day *out) MP_WUR;

/* The UTC day number of unix time t (t >= 0): floor(t / 86400). */
int64_t daemon_store_result_day(int64_t t);
/* Total results of a day (0 = no data). */
uint64_t daemon_store_result_day_total(const struct daemon_store_day *d);

/* Parse a severity name ("ok" ... "unknown", as dns_sev_name()); false if none. */
bool daemon_store_result_sev_parse(const char *name, enum dns_sev *out);

/* Free the strings of a result filled by a read; the struct is zeroed. */
void daemon_store_result_clear(struct daemon_store_result *r);
void daemon_store_result_pairs_free(struct daemon_store_result_pairs *l);
void daemon_store_result_list_free(struct daemon_store_result_list *l);

#endif
