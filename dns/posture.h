/*
 * dns/posture: every posture check of one domain, composed (DESIGN.md 2.1):
 * SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT, BIMI.  Like each check it is a pure
 * step function over the domain's dns/book, re-run until it stops returning
 * ERR_AGAIN; the only thing it cannot get from the book is the MTA-STS policy,
 * which the caller fetches over HTTPS when asked (dns_posture_fetch_needed).
 *
 * It does not talk to the network itself: dns/runner drives many of these
 * with the c-ares resolver and common/fetch; unit tests drive it with a fake
 * zone.
 */
#ifndef MAILPULSE_DNS_POSTURE_H
#define MAILPULSE_DNS_POSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/finding.h"
#include "dns/orgdomain.h"
#include "dns/spf_walk.h"

struct dns_posture_key {
	const char *selector;
	const char *path; /* PEM private key file */
};

struct dns_posture_opts {
	const char *const *selectors; /* configured DKIM selectors */
	size_t n_selectors;
	const struct dns_posture_key *keys; /* DKIM private keys to compare with DNS */
	size_t n_keys;
	bool no_discovery;	  /* do not probe the common ESP selectors */
	const char *expect_dmarc; /* "none" | "quarantine" | "reject" | NULL */
	size_t max_queries;	  /* cap on DNS questions for the domain; 0 = 400 */
	/* The Public Suffix List, loaded once and shared (borrowed; NULL: each check loads it). */
	const struct dns_orgdomain *psl;
};

struct dns_posture;

/*
 * New check state for domain (an A-label ASCII name, see dns/name).  opts is
 * copied (strings too).  Free with dns_posture_free().
 */
struct dns_posture *dns_posture_new(const char *domain, const struct dns_posture_opts *opts);
void dns_posture_free(struct dns_posture *p);

/*
 * Run every check once.  ERR_AGAIN: waiting for DNS answers (see the book) or
 * for the MTA-STS policy fetch; ERR_OK: complete, findings final.
 */
enum mp_err dns_posture_step(struct dns_posture *p) MP_WUR;

/* The domain's question book (borrowed; the driver answers its questions). */
struct dns_book *dns_posture_book(struct dns_posture *p);

/*
 * True when the MTA-STS policy must be fetched: *url (https://mta-sts.D/...)
 * and *addr (an address of mta-sts.D from the book) are borrowed until the
 * next step.  Call dns_posture_fetch_done() with the outcome, then step again.
 */
bool dns_posture_fetch_needed(struct dns_posture *p, const char **url, const char **addr);
/* Record the fetch outcome: status 0 with error text when no response arrived. */
void dns_posture_fetch_done(struct dns_posture *p, enum mp_err err, long status,
			    const char *content_type, const char *body, size_t body_len,
			    const char *error);

/*
 * Stop the check now (the driver cannot make it progress): it completes with
 * a CHECK_INCOMPLETE finding of severity unknown carrying why.
 */
void dns_posture_abort(struct dns_posture *p, const char *why);

/* The domain as given (ASCII). */
const char *dns_posture_domain(const struct dns_posture *p);
/* Final findings (valid after ERR_OK; borrowed). */
const struct dns_findings *dns_posture_findings(const struct dns_posture *p);
/* SPF DNS-querying terms counted through every include and redirect; -1 if unknown. */
int dns_posture_spf_lookups(const struct dns_posture *p);
/* SPF void lookups observed; -1 if unknown. */
int dns_posture_spf_void_lookups(const struct dns_posture *p);
/* DKIM keys found (configured or discovered). */
int dns_posture_dkim_keys(const struct dns_posture *p);
/* The SPF tree walked (NULL when the SPF check did not complete); borrowed. */
const struct dns_spf_tree *dns_posture_spf_tree(const struct dns_posture *p);

#endif
