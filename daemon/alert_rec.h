/*
 * daemon/alert_rec: the records of the alert engine (daemon/alert) and the
 * one container that holds them: an array kept sorted by (domain, check,
 * severity, started_at), so a domain's records are contiguous (for
 * grouping) and a key is found by binary search.  Also the checks that
 * decide whether records read back from the store are consistent.
 *
 * What it does not: any alerting decision (daemon/alert), or I/O.
 */
#ifndef MAILPULSE_DAEMON_ALERT_REC_H
#define MAILPULSE_DAEMON_ALERT_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/alert.h"

struct daemon_alert_rec_set {
	struct daemon_alert_record *v; /* owned, sorted */
	size_t n, cap;
};

/* Free every record; the set is empty and reusable afterwards. */
void daemon_alert_rec_set_free(struct daemon_alert_rec_set *a);

/*
 * First index whose key is >= (domain, check, sev); with check NULL, the
 * first record of domain.
 */
size_t daemon_alert_rec_lower_bound(const struct daemon_alert_rec_set *a, const char *domain,
				    const char *check, enum dns_sev sev);

/* The open (not CLOSED) record of a key, or NULL; borrowed from the set. */
struct daemon_alert_record *daemon_alert_rec_find_open(const struct daemon_alert_rec_set *a,
						       const char *domain, const char *check,
						       enum dns_sev sev);

/*
 * Insert a fresh PENDING record for the key, started at now, at its sorted
 * place; returns it (borrowed: valid until the set changes).
 */
struct daemon_alert_record *daemon_alert_rec_insert(struct daemon_alert_rec_set *a,
						    const char *domain, const char *check,
						    enum dns_sev sev, int64_t now);

/* Remove (and free) the record at index i, or the record r of the set. */
void daemon_alert_rec_remove_at(struct daemon_alert_rec_set *a, size_t i);
void daemon_alert_rec_remove(struct daemon_alert_rec_set *a, struct daemon_alert_record *r);

/* True when every record is consistent and no key has two open records. */
bool daemon_alert_rec_set_ok(const struct daemon_alert_record *v, size_t n);
/* Replace the set's contents with sorted deep copies of v. */
void daemon_alert_rec_set_assign(struct daemon_alert_rec_set *a,
				 const struct daemon_alert_record *v, size_t n);

/* True when one record is consistent (phase, severity, id, owed message, findings). */
bool daemon_alert_rec_ok(const struct daemon_alert_record *r);

/* Deep copy src into dst (dst's old contents are not freed). */
void daemon_alert_rec_copy(struct daemon_alert_record *dst, const struct daemon_alert_record *src);
/* Free what r owns; r is zeroed. */
void daemon_alert_rec_clear(struct daemon_alert_record *r);

/*
 * A copy of s cut to DAEMON_ALERT_MAX_TEXT bytes without splitting a UTF-8
 * sequence; NULL for NULL.  Caller frees.
 */
char *daemon_alert_rec_text_dup(const char *s);
/* Deep copies of n findings (texts capped as above); NULL when n is 0. */
struct daemon_alert_finding *daemon_alert_rec_findings_dup(const struct daemon_alert_finding *f,
							   size_t n);
void daemon_alert_rec_findings_free(struct daemon_alert_finding *f, size_t n);

#endif
