/*
 * dns/runner: drives many dns/posture checks to completion on one thread,
 * answering their DNS questions with dns/resolver and their MTA-STS policy
 * fetches with common/fetch.  At most max_active domains are in progress at
 * once, so memory stays flat whatever the number of domains (DESIGN.md 3:
 * thousands of domain checks in flight on one thread).
 *
 * It owns no check and no network object: the caller creates the postures,
 * the resolver and the fetcher, and frees them afterwards.
 */
#ifndef MAILPULSE_DNS_RUNNER_H
#define MAILPULSE_DNS_RUNNER_H

#include <stddef.h>
#include "common/err.h"
#include "common/fetch.h"
#include "dns/posture.h"
#include "dns/resolver.h"

/*
 * Run every posture in p[0..n) until each has completed (dns_posture_step()
 * returned ERR_OK).  fetch may be NULL: MTA-STS policies are then reported
 * as not fetched.  max_active 0 means 1000.  ERR_IO only when the event loop
 * itself fails; DNS and HTTP trouble ends up in each domain's findings.
 */
enum mp_err dns_runner_run(struct dns_resolver *res, struct common_fetch *fetch,
			   struct dns_posture *const *p, size_t n, size_t max_active) MP_WUR;

#endif
