/*
 * dns/dmarc: DMARC policy discovery and the DMARC posture check.
 *
 * What it does, over a book:
 *  - RFC 7489 6.6.3 discovery: `_dmarc.<domain>`, else `_dmarc.<org>` with
 *    the organizational domain from the Public Suffix List (dns/orgdomain);
 *  - RFC 9989 discovery: the DNS tree walk (at most 8 `_dmarc` queries:
 *    the domain, then a jump to 7 labels if it had 8 or more, then one label
 *    off at a time up to the TLD, stopping at psd=n, or at psd=y/n above the
 *    domain), giving the first policy record found and the organizational
 *    domain (psd=n: that domain; psd=y: one label below it; otherwise the
 *    record with the fewest labels);
 *  - reports both and says when they disagree;
 *  - judges the applied policy (strength, pct/t, sp/np, rua) and checks that
 *    every external rua/ruf destination authorized the reports (RFC 7489 7.1:
 *    `<domain>._report._dmarc.<host>` TXT v=DMARC1, or the wildcard
 *    `*._report._dmarc.<host>`).
 *
 * What it does not: evaluate messages or alignment (mail/ does), or send
 * reports.
 */
#ifndef MAILPULSE_DNS_DMARC_H
#define MAILPULSE_DNS_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/dmarc_record.h"
#include "dns/finding.h"
#include "dns/orgdomain.h"

/* RFC 9989 4.10: a tree walk makes at most this many queries. */
#define DNS_DMARC_WALK_MAX 8
/* External report destinations checked for authorization (2 queries each). */
#define DNS_DMARC_DESTS_MAX 8

struct dns_dmarc_opts {
	/* The policy the operator expects (UNSET: no expectation). */
	enum dns_dmarc_policy expected;
	/* Public Suffix List; NULL makes each run load its own (slow, for tests and one-offs). */
	const struct dns_orgdomain *psl;
};

enum dns_dmarc_auth {
	DNS_DMARC_AUTH_SAME_ORG,   /* same organizational domain: no authorization needed */
	DNS_DMARC_AUTH_OK,	   /* the destination published the authorization record */
	DNS_DMARC_AUTH_WILDCARD,   /* ... as *._report._dmarc.<host> */
	DNS_DMARC_AUTH_MISSING,	   /* it did not: reports to it are dropped */
	DNS_DMARC_AUTH_UNKNOWN,	   /* the lookup failed, or over DNS_DMARC_DESTS_MAX */
	DNS_DMARC_AUTH_NOT_MAILTO, /* not a mailto: URI; nothing to check */
};

struct dns_dmarc_dest {
	char *uri;  /* owned */
	char *host; /* owned; NULL unless mailto: */
	bool ruf;   /* failure-report destination (else aggregate) */
	enum dns_dmarc_auth auth;
};

struct dns_dmarc_result {
	char *domain;	 /* canonical */
	char *org_psl;	 /* RFC 7489 organizational domain (PSL) */
	bool dns_failed; /* the policy lookup failed (DNS_TEMPFAIL/MALFORMED finding added) */
	/* RFC 7489 discovery */
	bool found;	     /* one valid record applies */
	char *record_domain; /* where it is published (domain or org_psl); NULL when none */
	char *raw;	     /* that record, raw; owned (may hold NULs) */
	size_t raw_len;
	bool inherited;		       /* published at the org domain, not the domain itself */
	struct dns_dmarc_record rec;   /* valid when found */
	enum dns_dmarc_policy applied; /* p, or sp (else p) when inherited; NONE for a missing p */
	/* RFC 9989 tree walk */
	bool walk_complete; /* false when a walk query failed */
	size_t walk_queries;
	char *walk_record_domain; /* first policy record found, NULL when none */
	enum dns_dmarc_policy walk_applied;
	char *org_walk;		      /* organizational domain by the walk, NULL when no record */
	bool disagree;		      /* the two discoveries differ (record or org domain) */
	struct dns_dmarc_dest *dests; /* rua then ruf destinations of the applied record */
	size_t n_dests;
};

/*
 * The DMARC posture check for domain.  A pure function over book, re-run
 * until it stops returning ERR_AGAIN; it needs at most 2 + 8 + 2 *
 * DNS_DMARC_DESTS_MAX TXT questions.
 * Findings (check "dmarc"): DMARC_MISSING, DMARC_MULTIPLE, DMARC_SYNTAX,
 * DMARC_POLICY_NONE, DMARC_POLICY_WEAKER_THAN_EXPECTED, DMARC_PARTIAL,
 * DMARC_SUBDOMAIN_NONE, DMARC_NO_RUA, DMARC_RUA_UNAUTHORIZED,
 * DMARC_INHERITED, DMARC_DISCOVERY_DIFFERS, DMARC_OK, DNS_TEMPFAIL,
 * DNS_MALFORMED (docs/findings-records.md).
 * ERR_OK: findings appended to out, *res filled (res may be NULL; free with
 * dns_dmarc_result_free()).  ERR_AGAIN: nothing added.  ERR_INVAL: domain is
 * not a usable name.
 */
enum mp_err dns_dmarc_check(struct dns_book *book, const char *domain,
			    const struct dns_dmarc_opts *opts, struct dns_findings *out,
			    struct dns_dmarc_result *res) MP_WUR;
void dns_dmarc_result_free(struct dns_dmarc_result *res);

#endif
