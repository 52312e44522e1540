/*
 * dns/bimi: BIMI assertion records (draft-brand-indicators-for-message-
 * identification, BIMI Group spec) and their posture check.
 *
 * What it does: reads `default._bimi.<domain>` TXT, falling back to the
 * organizational domain, parses it (v=BIMI1 first; l= an https: URL of the
 * SVG logo, or empty to decline; a= an https: URL of the mark certificate
 * (VMC/CMC) PEM, optional; avp= brand|personal; unknown tags ignored), and
 * checks that the DMARC policy is strong enough for receivers to show the
 * logo (quarantine or reject, applied to all mail, subdomains not none).
 *
 * What it does not: fetch or validate the SVG or the certificate.
 */
#ifndef MAILPULSE_DNS_BIMI_H
#define MAILPULSE_DNS_BIMI_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/dmarc.h"
#include "dns/finding.h"

struct dns_bimi_record {
	char *l;       /* logo URL, "" when declined; owned */
	char *a;       /* certificate URL, or NULL when absent/empty; owned */
	char avp;      /* 'b' brand, 'p' personal, or 0 when absent */
	bool declined; /* l= empty (and no a=): the domain opts out of BIMI */
};

/*
 * Parse [txt, txt+len) (any bytes).  ERR_OK: *out filled (free with
 * dns_bimi_record_free()).  ERR_PARSE / ERR_LIMIT: why says what is wrong.
 */
enum mp_err dns_bimi_parse(const char *txt, size_t len, struct dns_bimi_record *out, char *why,
			   size_t whysz) MP_WUR;
void dns_bimi_record_free(struct dns_bimi_record *r);

struct dns_bimi_result {
	bool published;	     /* one valid record applies */
	char *record_domain; /* where it was found (domain or organizational domain) */
	char *txt;	     /* the TXT record(s) there, raw; owned (may hold NULs) */
	size_t txt_len;
	struct dns_bimi_record rec; /* valid when published */
};

/*
 * The BIMI posture check for domain.  A pure function over book, re-run
 * until it stops returning ERR_AGAIN (one or two TXT questions).
 * dmarc: the DMARC result of the same domain, or NULL (then no fallback to
 * the organizational domain and no DMARC strength check).
 * Findings (check "bimi"): BIMI_MISSING, BIMI_INVALID, BIMI_DECLINED,
 * BIMI_DMARC_TOO_WEAK, BIMI_OK, DNS_TEMPFAIL, DNS_MALFORMED.
 * ERR_OK: findings appended, *res filled (res may be NULL; free with
 * dns_bimi_result_free()).  ERR_INVAL: domain is not a valid DNS name.
 */
enum mp_err dns_bimi_check(struct dns_book *book, const char *domain,
			   const struct dns_dmarc_result *dmarc, struct dns_findings *out,
			   struct dns_bimi_result *res) MP_WUR;
void dns_bimi_result_free(struct dns_bimi_result *res);

#endif
