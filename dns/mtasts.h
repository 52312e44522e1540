/*
 * dns/mtasts: the MTA-STS posture check (RFC 8461).
 *
 * What it does: reads `_mta-sts.<domain>` TXT (v=STSv1 first, id= 1 to 32
 * letters and digits; more than one such record is invalid, RFC 8461 3.1),
 * resolves the policy host mta-sts.<domain>, asks the caller to fetch the
 * policy (it never fetches itself), parses what the caller fetched
 * (dns/mtasts_policy) and checks that every MX host of the domain (from
 * dns/mx) matches an mx pattern of the policy.
 *
 * The fetch protocol: when the TXT is published and fetch->state is
 * DNS_MTASTS_NOT_FETCHED, dns_mtasts_check() returns ERR_AGAIN with
 * res->need_fetch set and res->policy_url / policy_host / policy_addr
 * filled.  The caller GETs the URL over HTTPS (no redirects, RFC 8461 3.3;
 * body capped at DNS_MTASTS_POLICY_MAX; it may pin policy_host to
 * policy_addr) and runs the check again with the outcome in *fetch.
 *
 * What it does not: talk HTTP or TLS, or cache policies.
 */
#ifndef MAILPULSE_DNS_MTASTS_H
#define MAILPULSE_DNS_MTASTS_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/finding.h"
#include "dns/mtasts_policy.h"
#include "dns/mx.h"

/*
 * Parse an `_mta-sts` TXT record.  ERR_OK: *id is the policy id (caller
 * frees).  ERR_PARSE / ERR_LIMIT: why (size whysz) says what is wrong.
 */
enum mp_err dns_mtasts_txt_parse(const char *txt, size_t len, char **id, char *why,
				 size_t whysz) MP_WUR;

enum dns_mtasts_fetch_state {
	DNS_MTASTS_NOT_FETCHED = 0,
	DNS_MTASTS_FETCH_OK,	 /* an HTTP response arrived (any status) */
	DNS_MTASTS_FETCH_FAILED, /* no response: connect, TLS or certificate error, timeout */
};

/* What the caller's HTTPS fetch gave (all borrowed for the call). */
struct dns_mtasts_fetch {
	enum dns_mtasts_fetch_state state;
	long http_status;	  /* FETCH_OK: the status code */
	const char *content_type; /* FETCH_OK: the Content-Type, or NULL */
	const char *body;	  /* FETCH_OK: the body (may hold any bytes) */
	size_t body_len;
	const char *error; /* FETCH_FAILED: what went wrong, in words (e.g. curl's error text) */
};

struct dns_mtasts_result {
	bool published; /* exactly one valid v=STSv1 record */
	char *txt;	/* the TXT record(s) at _mta-sts, raw; owned (may hold NULs) */
	size_t txt_len;
	char *id; /* the policy id; owned */
	/* Set also on ERR_AGAIN when the policy must be fetched. */
	bool need_fetch;
	char *policy_url;  /* https://mta-sts.<domain>/.well-known/mta-sts.txt; owned */
	char *policy_host; /* mta-sts.<domain>; owned */
	char *policy_addr; /* an address of policy_host (text), or NULL; owned */
	bool policy_valid;
	struct dns_mtasts_policy policy; /* valid when policy_valid */
	char **uncovered;		 /* MX hosts that match no mx pattern; owned */
	size_t n_uncovered;
};

/*
 * The MTA-STS posture check for domain.  A pure function over book (plus
 * *fetch), re-run until it stops returning ERR_AGAIN.
 * mx: the MX result of the same domain, or NULL to look the MX up here
 * (the book shares the questions either way).  fetch: NULL means not
 * fetched.  res must not be NULL (it carries the fetch request).
 * Findings (check "mta-sts"): MTASTS_MISSING, MTASTS_INVALID,
 * MTASTS_POLICY_UNREACHABLE, MTASTS_CONTENT_TYPE, MTASTS_MX_NOT_COVERED,
 * MTASTS_TESTING, MTASTS_MODE_NONE, MTASTS_OK, DNS_TEMPFAIL, DNS_MALFORMED.
 * ERR_OK: findings appended to out, *res filled.  ERR_AGAIN: nothing added;
 * if res->need_fetch, fetch the policy, else answer the book; free res with
 * dns_mtasts_result_free() in both cases.  ERR_INVAL: res is NULL or domain
 * is not a valid DNS name.
 */
enum mp_err dns_mtasts_check(struct dns_book *book, const char *domain,
			     const struct dns_mx_result *mx, const struct dns_mtasts_fetch *fetch,
			     struct dns_findings *out, struct dns_mtasts_result *res) MP_WUR;
void dns_mtasts_result_free(struct dns_mtasts_result *res);

#endif
