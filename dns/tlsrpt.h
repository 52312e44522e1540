/*
 * dns/tlsrpt: SMTP TLS reporting records (RFC 8460 3) and their posture
 * check.
 *
 * What it does: reads `_smtp._tls.<domain>` TXT (v=TLSRPTv1 first, rua= a
 * comma-separated list of mailto: or https: URIs, unknown fields ignored;
 * more than one v=TLSRPTv1 record means none, RFC 8460 3) and says whether
 * TLS failure reports reach anyone.  Missing TLS-RPT is a warning only when
 * MTA-STS is enforced, since failures then bounce mail unseen.
 *
 * What it does not: receive or parse the reports (mail/ does).
 */
#ifndef MAILPULSE_DNS_TLSRPT_H
#define MAILPULSE_DNS_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/finding.h"
#include "dns/mtasts.h"

/* More rua URIs than this is refused. */
#define DNS_TLSRPT_URIS_MAX 16

struct dns_tlsrpt_record {
	char **rua; /* URIs as published (mailto: or https:); owned */
	size_t n_rua;
};

/*
 * Parse [txt, txt+len) (any bytes).  ERR_OK: *out filled (free with
 * dns_tlsrpt_record_free()).  ERR_PARSE / ERR_LIMIT: why says what is wrong.
 */
enum mp_err dns_tlsrpt_parse(const char *txt, size_t len, struct dns_tlsrpt_record *out, char *why,
			     size_t whysz) MP_WUR;
void dns_tlsrpt_record_free(struct dns_tlsrpt_record *r);

struct dns_tlsrpt_result {
	bool published; /* exactly one valid record */
	char *txt;	/* TXT records at _smtp._tls, raw; owned (may hold NULs) */
	size_t txt_len;
	struct dns_tlsrpt_record rec; /* valid when published */
};

/*
 * The TLS-RPT posture check for domain.  A pure function over book, re-run
 * until it stops returning ERR_AGAIN (one TXT question).  mtasts: the
 * MTA-STS result of the same domain, or NULL (then a missing record is only
 * info).  Findings (check "tls-rpt"): TLSRPT_MISSING, TLSRPT_INVALID,
 * TLSRPT_OK, DNS_TEMPFAIL, DNS_MALFORMED.  ERR_OK: findings appended,
 * *res filled (res may be NULL; free with dns_tlsrpt_result_free()).
 * ERR_INVAL: domain is not a valid DNS name.
 */
enum mp_err dns_tlsrpt_check(struct dns_book *book, const char *domain,
			     const struct dns_mtasts_result *mtasts, struct dns_findings *out,
			     struct dns_tlsrpt_result *res) MP_WUR;
void dns_tlsrpt_result_free(struct dns_tlsrpt_result *res);

#endif
