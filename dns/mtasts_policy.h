/*
 * dns/mtasts_policy: the MTA-STS policy file (RFC 8461 3.2) and MX pattern
 * matching (RFC 8461 4.1).
 *
 * What it does: parses the text served at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt: `key: value` lines ended
 * by CRLF or LF, version STSv1, mode enforce|testing|none, max_age
 * 0..31557600, one or more mx patterns (a `*.` wildcard covers exactly one
 * leftmost label), unknown keys ignored, at most 64 KB; and matches MX host
 * names against the patterns.
 *
 * What it does not: fetch the file (the caller does, over HTTPS with
 * libcurl), or read the `_mta-sts` TXT record (dns/mtasts does).
 */
#ifndef MAILPULSE_DNS_MTASTS_POLICY_H
#define MAILPULSE_DNS_MTASTS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/* RFC 8461 3.3: senders cap the policy body at 64 KB. */
#define DNS_MTASTS_POLICY_MAX 65536
/* RFC 8461 3.2: max_age is at most 31557600 seconds (about a year). */
#define DNS_MTASTS_MAX_AGE_MAX 31557600
/* More mx patterns than this is refused (real policies have a handful). */
#define DNS_MTASTS_MX_MAX 256

enum dns_mtasts_mode {
	DNS_MTASTS_ENFORCE = 1,
	DNS_MTASTS_TESTING,
	DNS_MTASTS_NONE,
};

struct dns_mtasts_policy {
	enum dns_mtasts_mode mode;
	uint32_t max_age;
	char **mx; /* patterns, lower case, no trailing dot; owned */
	size_t n_mx;
};

/*
 * Parse a policy body [body, body+len) (any bytes).
 * ERR_OK: *out filled (free with dns_mtasts_policy_free()).
 * ERR_PARSE / ERR_LIMIT: why (size whysz) says which line and what is wrong.
 */
enum mp_err dns_mtasts_policy_parse(const char *body, size_t len, struct dns_mtasts_policy *out,
				    char *why, size_t whysz) MP_WUR;
void dns_mtasts_policy_free(struct dns_mtasts_policy *p);

/*
 * RFC 8461 4.1: true when host (any case, optional trailing dot) matches
 * pattern: equal, or pattern `*.rest` and host is one label plus `.rest`.
 */
bool dns_mtasts_mx_match(const char *pattern, const char *host);

/* "enforce", "testing", "none". */
const char *dns_mtasts_mode_name(enum dns_mtasts_mode m);

#endif
