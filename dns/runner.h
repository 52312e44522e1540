/*
 * dns/runner: drives dns/posture checks to completion on one thread,
 * answering their DNS questions with dns/resolver and their MTA-STS policy
 * fetches with common/fetch (DESIGN.md 3: thousands of domain checks in
 * flight on one thread).
 *
 * Two ways to use it:
 *   - dns_runner_run(): check a fixed set and return when all are done
 *     (`mailpulse check`);
 *   - a runner object: add postures whenever they are due and pump it from
 *     the caller's own loop (the daemon's scheduler); a callback reports each
 *     completed posture.
 * At most max_active postures are in progress at once; the rest wait in
 * order, so memory stays flat whatever the number of domains.
 *
 * It owns no check and no network object: the caller creates the postures,
 * the resolver and the fetcher, and frees them afterwards.  One thread.
 */
#ifndef MAILPULSE_DNS_RUNNER_H
#define MAILPULSE_DNS_RUNNER_H

#include <stddef.h>
#include "common/err.h"
#include "common/fetch.h"
#include "dns/posture.h"
#include "dns/resolver.h"

struct dns_runner;

/* Called once per posture when it completes (its findings are final). */
typedef void dns_runner_done_fn(void *arg, struct dns_posture *p);

/*
 * New runner over res and fetch (fetch may be NULL: MTA-STS policies are then
 * reported as not fetched).  max_active 0 means 1000.  Free with
 * dns_runner_free().
 */
struct dns_runner *dns_runner_new(struct dns_resolver *res, struct common_fetch *fetch,
				  size_t max_active);
/*
 * Free the runner.  Postures still in progress are abandoned (their books
 * forgotten by the resolver) and never reported; the caller still owns and
 * frees them.  NULL is a no-op.
 */
void dns_runner_free(struct dns_runner *r);

/* Queue p (borrowed until reported done or the runner is freed); done(arg, p) reports it. */
void dns_runner_add(struct dns_runner *r, struct dns_posture *p, dns_runner_done_fn *done,
		    void *arg);

/* Postures added and not yet reported. */
size_t dns_runner_pending(const struct dns_runner *r);

/*
 * Make progress: wait at most max_wait_ms for DNS answers and HTTP
 * responses, step what is ready, start queued postures, report completed
 * ones.  Returns at once when nothing is pending.  ERR_IO only when the
 * event loop itself fails.
 */
enum mp_err dns_runner_pump(struct dns_runner *r, int max_wait_ms) MP_WUR;

/*
 * Run every posture in p[0..n) until each has completed.  ERR_IO only when
 * the event loop itself fails; DNS and HTTP trouble ends up in each domain's
 * findings.
 */
enum mp_err dns_runner_run(struct dns_resolver *res, struct common_fetch *fetch,
			   struct dns_posture *const *p, size_t n, size_t max_active) MP_WUR;

#endif
