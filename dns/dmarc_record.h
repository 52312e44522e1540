/*
 * dns/dmarc_record: the DMARC policy record (RFC 7489 6.3/6.4, RFC 9989).
 *
 * What it does: parses and validates one `_dmarc` TXT record: v=DMARC1
 * first, p/sp/np (np from RFC 9989), pct 0-100 (RFC 7489; RFC 9989 drops it),
 * t=y|n (RFC 9989, replaces pct), adkim/aspf r|s, fo, rf, ri, rua/ruf as
 * comma-separated URIs with an optional !size, psd=y|n|u (RFC 9989).
 * Unknown tags are ignored; a bad value is a syntax error naming the tag.
 * A missing p= is not a parse error (RFC 9989 makes it optional and RFC
 * 7489 6.6.3 reads it as p=none when rua= is valid): p is then UNSET and
 * the posture check judges it.
 *
 * What it does not: find the record (dns/dmarc does discovery) or evaluate
 * messages (mail/ does).
 */
#ifndef MAILPULSE_DNS_DMARC_RECORD_H
#define MAILPULSE_DNS_DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/* Ordered by strength, so a < b means a is weaker. */
enum dns_dmarc_policy {
	DNS_DMARC_P_UNSET = 0,
	DNS_DMARC_P_NONE,
	DNS_DMARC_P_QUARANTINE,
	DNS_DMARC_P_REJECT,
};

/* More URIs than this in one rua= or ruf= is a syntax error. */
#define DNS_DMARC_URIS_MAX 16

struct dns_dmarc_uri {
	char *uri;  /* as published, without the !size suffix; owned */
	char *host; /* mailto: the address's domain, lower case; NULL for other schemes; owned */
	uint64_t max_bytes; /* from !size (RFC 7489 6.4; ignored by RFC 9989), 0 = none */
};

struct dns_dmarc_record {
	enum dns_dmarc_policy p, sp, np; /* UNSET when absent */
	bool has_pct;
	unsigned pct; /* 100 when absent */
	char t;	      /* 'y', 'n', or 0 when absent */
	char adkim;   /* 'r' or 's' ('r' when absent) */
	char aspf;
	char psd; /* 'y', 'n', 'u', or 0 when absent */
	bool has_ri;
	uint32_t ri;		   /* seconds, 86400 when absent */
	char *fo;		   /* as published, or NULL; owned */
	char *rf;		   /* as published, or NULL; owned */
	struct dns_dmarc_uri *rua; /* owned */
	size_t n_rua;
	struct dns_dmarc_uri *ruf; /* owned */
	size_t n_ruf;
};

/*
 * True when a TXT record is meant as a DMARC record: it starts with
 * v=DMARC1, ignoring the case of DMARC1 (so that `v=dmarc1` is reported as a
 * syntax error rather than silently ignored).
 */
bool dns_dmarc_record_is_candidate(const char *txt, size_t len);

/*
 * Parse [txt, txt+len) (any bytes).  ERR_OK: *out filled (free with
 * dns_dmarc_record_free()).  ERR_PARSE / ERR_LIMIT: why (size whysz) names
 * the tag and the problem.
 */
enum mp_err dns_dmarc_record_parse(const char *txt, size_t len, struct dns_dmarc_record *out,
				   char *why, size_t whysz) MP_WUR;
void dns_dmarc_record_free(struct dns_dmarc_record *r);

/* Deep copy of src into dst (free dst with dns_dmarc_record_free()). */
void dns_dmarc_record_copy(struct dns_dmarc_record *dst, const struct dns_dmarc_record *src);

/* "none", "quarantine", "reject", or "(not set)". */
const char *dns_dmarc_policy_name(enum dns_dmarc_policy p);

#endif
