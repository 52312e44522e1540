/*
 * dns/spf_ptr: the validated domain names of a client address (RFC 7208
 * 5.5), shared by the "ptr" mechanism and the "p" macro (RFC 7208 7.3).
 *
 * What it does: asks PTR for the client's reverse name, keeps the first 10
 * names (RFC 7208 4.6.4: more are ignored, never an error), asks A or AAAA
 * (the client's family) for each and keeps the names whose addresses
 * include the client.  A DNS error on one name's address lookup skips that
 * name (RFC 7208 5.5).  All address questions are asked before waiting, so
 * one round trip answers them all.
 *
 * What it does not: decide a match (dns_spf_ptr_name_within() does the
 * suffix test), count lookups (the evaluator does), or follow any limit
 * other than the 10 names.
 */
#ifndef MAILPULSE_DNS_SPF_PTR_H
#define MAILPULSE_DNS_SPF_PTR_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/spf_ip.h"

/* RFC 7208 4.6.4: at most 10 PTR names are looked up. */
#define DNS_SPF_PTR_MAX 10

struct dns_spf_ptr_names {
	/* Outcome of the PTR question (DNS_TEMPFAIL also when the book is full). */
	enum dns_outcome outcome;
	size_t n;
	char *name[DNS_SPF_PTR_MAX]; /* validated names, owned, no trailing dot */
};

/*
 * Find the validated names of ip.  ERR_AGAIN while the book lacks answers
 * (the questions are recorded); ERR_OK with *out filled otherwise (release
 * it with dns_spf_ptr_names_free()).  A failed PTR question is ERR_OK with
 * no names and out->outcome telling why.
 */
enum mp_err dns_spf_ptr_validate(struct dns_book *book, const struct dns_spf_ip *ip,
				 struct dns_spf_ptr_names *out) MP_WUR;

/* Free the names; n becomes 0.  Safe on a zeroed struct. */
void dns_spf_ptr_names_free(struct dns_spf_ptr_names *names);

/*
 * RFC 7208 5.5: true when name is target or a subdomain of it, ignoring
 * case and one trailing dot on either.
 */
bool dns_spf_ptr_name_within(const char *name, const char *target);

/*
 * RFC 7208 7.3 "p": the name to use for <domain>: the domain itself if it
 * was validated, else a validated subdomain of it, else the first
 * validated name, else "unknown".  Borrowed from names (or static).
 */
const char *dns_spf_ptr_choose(const struct dns_spf_ptr_names *names, const char *domain);

#endif
