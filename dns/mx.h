/*
 * dns/mx: the MX posture check (RFC 5321 5.1, RFC 7505 null MX, RFC 2181
 * 10.3).
 *
 * What it does: reads the domain's MX records, recognises a null MX (`0 .`)
 * and a null MX mixed with others, resolves every exchange (A and AAAA, all
 * in one run), flags exchanges that are IP literals, aliases (CNAME) or
 * unresolvable, and, with no MX at all, tells whether mail falls back to the
 * domain's own address (the implicit MX).  The host list is kept for the
 * MTA-STS coverage check (dns/mtasts).
 *
 * What it does not: connect to the exchanges (no SMTP here), or check
 * reverse DNS.
 */
#ifndef MAILPULSE_DNS_MX_H
#define MAILPULSE_DNS_MX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/finding.h"

/* Exchanges resolved and judged; more are listed in n_total only. */
#define DNS_MX_HOSTS_MAX 16

struct dns_mx_host {
	char *name; /* the exchange as published: lower case, no trailing dot; owned */
	uint16_t pref;
	bool ip_literal; /* an address where a name belongs */
	bool bad_name;	 /* not a valid domain name: never looked up, counts as unresolvable */
	char *cname;	 /* the exchange is an alias for this name, or NULL; owned */
	size_t n_addr;	 /* A + AAAA records */
	bool resolves;	 /* at least one address */
	bool unknown;	 /* an address lookup failed temporarily */
};

struct dns_mx_result {
	enum dns_outcome outcome;  /* of the MX lookup */
	bool null_mx;		   /* RFC 7505: exactly one MX, `0 .`: accepts no mail */
	bool null_mixed;	   /* a `.` exchange with other MX or a non-zero preference */
	struct dns_mx_host *hosts; /* real exchanges by preference (at most DNS_MX_HOSTS_MAX) */
	size_t n;
	size_t n_total;	    /* MX records published */
	bool implicit_addr; /* no MX, but the domain has an address (RFC 5321 5.1) */
};

/*
 * The MX posture check for domain.  A pure function over book, re-run until
 * it stops returning ERR_AGAIN; it needs 1 + 2 * DNS_MX_HOSTS_MAX questions
 * at most (MX, then A and AAAA per exchange, or of the domain itself).
 * Findings (check "mx"): MX_MISSING, MX_NULL, MX_NULL_INVALID,
 * MX_HOST_UNRESOLVABLE, MX_IP_LITERAL, MX_CNAME, MX_OK, DNS_TEMPFAIL,
 * DNS_MALFORMED (docs/findings-records.md).
 * ERR_OK: findings appended to out (may be NULL to only fill res), *res
 * filled (res may be NULL; free with dns_mx_result_free()).  ERR_AGAIN:
 * nothing added.  ERR_INVAL: domain is not a valid DNS name.
 */
enum mp_err dns_mx_check(struct dns_book *book, const char *domain, struct dns_findings *out,
			 struct dns_mx_result *res) MP_WUR;
void dns_mx_result_free(struct dns_mx_result *res);

#endif
