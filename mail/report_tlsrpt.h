/*
 * mail/report_tlsrpt: SMTP TLS reports (RFC 8460 4), JSON, read through
 * common/json (jansson stays in its one module).
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead).
 *
 * Validation (RFC 8460 4.4): organization-name, date-range (RFC 3339
 * start-datetime / end-datetime), report-id and policies are required; each
 * policy has policy{policy-type "sts" | "tlsa" | "no-policy-found",
 * policy-domain} and summary{total-successful-session-count,
 * total-failure-session-count} (non-negative integers); failure-details
 * items have result-type and failed-session-count.  Unknown members are
 * ignored; a missing required one is ERR_PARSE with why.  Caps: input bytes
 * (the caller's, before parsing), MAIL_TLSRPT_MAX_POLICIES,
 * MAIL_TLSRPT_MAX_FAILURES per policy, MAIL_TLSRPT_MAX_LINES per
 * policy-string / mx-host array (over a cap: ERR_LIMIT), strings cut at
 * 1 KiB with control characters (\u0000 included) turned into spaces.
 * Counts must be JSON integers (a count written as a string is refused);
 * organization-name and report-id must not be empty; an optional member set
 * to null is treated as absent.  Dates: RFC 3339 5.6 with "Z" or a numeric
 * offset, fractions of a second dropped.
 *
 * Input must be one JSON document (RFC 8259) in UTF-8; invalid UTF-8, raw
 * NUL bytes, duplicate keys and nesting beyond jansson's depth limit are
 * ERR_PARSE ("not valid JSON (stopped at byte N)").
 *
 * What it does not: decompress (mail/report_archive) or store.
 */
#ifndef MAILPULSE_MAIL_REPORT_TLSRPT_H
#define MAILPULSE_MAIL_REPORT_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MAIL_TLSRPT_MAX_POLICIES 1000
#define MAIL_TLSRPT_MAX_FAILURES 1000
#define MAIL_TLSRPT_MAX_BYTES (16u * 1024 * 1024)
/* Items of one policy-string or mx-host array (added by the implementer). */
#define MAIL_TLSRPT_MAX_LINES 1000

struct mail_tlsrpt_failure {
	char *result_type; /* "starttls-not-supported", "certificate-expired" ...; owned */
	char *sending_mta_ip, *receiving_ip, *receiving_mx_hostname; /* owned, "" */
	char *additional_information, *failure_reason_code;	     /* owned, "" */
	uint64_t failed_session_count;
};

struct mail_tlsrpt_policy {
	char *policy_type;	   /* "sts" "tlsa" "no-policy-found"; owned */
	char *policy_domain;	   /* lower case; owned */
	char *policy_string;	   /* the policy-string lines joined by "\n"; owned, "" */
	char *mx_host;		   /* mx-host items joined by ","; owned, "" */
	uint64_t success, failure; /* total-successful / total-failure-session-count */
	struct mail_tlsrpt_failure *failures; /* owned */
	size_t n_failures;
};

struct mail_tlsrpt {
	char *org_name;			     /* organization-name; owned */
	char *contact_info;		     /* owned, "" */
	char *report_id;		     /* owned */
	int64_t begin, end;		     /* date-range, unix seconds */
	struct mail_tlsrpt_policy *policies; /* owned */
	size_t n_policies;
};

/* Parse [p, p+len) (at most MAIL_TLSRPT_MAX_BYTES).  ERR_PARSE / ERR_LIMIT
   with why; on success free *out with mail_tlsrpt_free(). */
enum mp_err mail_report_tlsrpt_parse(const char *p, size_t len, struct mail_tlsrpt *out, char *why,
				     size_t whysz) MP_WUR;
/* Free what a successful parse put in *t and zero it; NULL or a zeroed struct: no-op. */
void mail_tlsrpt_free(struct mail_tlsrpt *t);
/* Whether the bytes look like a TLS report (a JSON object with
   "organization-name" or "policies" near the start). */
bool mail_report_tlsrpt_sniff(const char *p, size_t len);

#endif
