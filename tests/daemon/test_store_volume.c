/*
 * tests/daemon/test_store_volume: 1000 domains x 7 checks x 10 rounds, one
 * batch per round, two findings per result, then the reads the status page
 * makes (latest of everything, 90 days for every domain) and a prune.
 * Times are printed as diagnostics and never asserted; the counts are.
 * MAILPULSE_STORE_VOLUME_DOMAINS overrides the domain count (e.g. a smaller
 * run under valgrind).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_prune.h"
#include "daemon/store_result.h"
#include "tests/lib/tap.h"

#define CHECKS 7
#define ROUNDS 10
#define T0 1750000000LL /* fixed clock */
#define INTERVAL 3600

static const char *const check_names[CHECKS] = {"spf",	   "dkim",    "dmarc", "mx",
						"mta-sts", "tls-rpt", "bimi"};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int64_t qint(struct daemon_store *s, const char *sql)
{
	int64_t v = -1;

	if (daemon_store_query_int(s, sql, &v) != ERR_OK)
		tap_diag("query failed: %s: %s", sql, daemon_store_errmsg(s));
	return v;
}

static size_t domain_count(void)
{
	const char *e = getenv("MAILPULSE_STORE_VOLUME_DOMAINS");
	uint64_t n = 1000;

	if (e && *e && common_str_to_u64(e, strlen(e), 100000, &n) != ERR_OK)
		n = 1000;
	return n ? (size_t)n : 1;
}

static bool insert_round(struct daemon_store *s, int round, size_t ndomains, struct dns_findings *f)
{
	char domain[32];
	enum mp_err e = daemon_store_begin(s, false);

	for (size_t d = 0; e == ERR_OK && d < ndomains; d++) {
		snprintf(domain, sizeof domain, "d%zu.example", d);
		for (int c = 0; e == ERR_OK && c < CHECKS; c++) {
			struct daemon_store_result r = {
			    .domain = domain,
			    .check = check_names[c],
			    .at = T0 + (int64_t)round * INTERVAL + (int64_t)d,
			    .severity = (enum dns_sev)((d + (size_t)c + (size_t)round) % 5),
			    .duration_ms = 40,
			    .spf_lookups = c == 0 ? 7 : -1,
			    .spf_void_lookups = c == 0 ? 0 : -1};

			e = daemon_store_result_add(s, &r, f, NULL);
		}
	}
	if (e == ERR_OK)
		e = daemon_store_commit(s);
	else
		daemon_store_rollback(s);
	if (e != ERR_OK)
		tap_diag("round %d: %s", round, daemon_store_errmsg(s));
	return e == ERR_OK;
}

/* The reads of a status page: the latest of everything, 90 days of every domain. */
static void read_back(struct daemon_store *s, size_t nd)
{
	struct daemon_store_result_pairs p = {0};
	struct daemon_store_day days[90];
	size_t n = 0, grey = 0;
	bool ok = true;
	double t;

	t = now_ms();
	tap_ok(daemon_store_result_latest(s, NULL, &p) == ERR_OK && p.n == nd * CHECKS,
	       "latest of every check");
	daemon_store_result_pairs_free(&p);
	tap_diag("latest of %zu checks: %.1f ms", nd * CHECKS, now_ms() - t);

	t = now_ms();
	for (size_t d = 0; d < nd && ok; d++) {
		char domain[32];

		snprintf(domain, sizeof domain, "d%zu.example", d);
		ok = daemon_store_result_days(s, domain, NULL,
					      daemon_store_result_day(T0 + ROUNDS * INTERVAL), 90,
					      days) == ERR_OK;
		for (int i = 0; ok && i < 90; i++) {
			n += daemon_store_result_day_total(&days[i]);
			grey += daemon_store_result_day_total(&days[i]) == 0;
		}
	}
	tap_ok(ok && n == nd * CHECKS * ROUNDS, "90 days of every domain add up (%zu)", n);
	tap_ok(grey >= nd * 88, "days without data stay empty");
	tap_diag("90-day bars of %zu domains: %.1f ms", nd, now_ms() - t);
}

int main(void)
{
	char *path = xasprintf("%s/volume.db", tap_tmpdir());
	size_t nd = domain_count();
	struct daemon_store *s = NULL;
	struct daemon_store_prune_stats ps = {0};
	struct dns_findings f;
	char err[256] = "", sql[128];
	double t;
	clock_t cpu;
	bool ok = true;

	if (!tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_OK, "open: %s", err))
		return tap_done();
	dns_findings_init(&f);
	dns_findings_add(&f, "spf", "SPF_SOFTFAIL_ALL", SEV_WARN, "use -all", "v=spf1 ~all",
			 (size_t)-1, "~all lets forged mail through");
	dns_findings_add(&f, "spf", "SPF_LOOKUPS", SEV_INFO, NULL, NULL, 0, "7 of 10 lookups");
	t = now_ms();
	cpu = clock();
	for (int r = 0; r < ROUNDS && ok; r++)
		ok = insert_round(s, r, nd, &f);
	t = now_ms() - t;
	cpu = clock() - cpu;
	tap_ok(ok, "%zu domains x %d checks x %d rounds inserted", nd, CHECKS, ROUNDS);
	tap_diag("insert: %.0f ms wall, %.0f ms CPU for %zu results (%.1f us CPU each, findings "
		 "and buckets included)",
		 t, cpu * 1e3 / CLOCKS_PER_SEC, nd * CHECKS * ROUNDS,
		 cpu * 1e6 / CLOCKS_PER_SEC / (double)(nd * CHECKS * ROUNDS));
	snprintf(sql, sizeof sql, "SELECT %zu", nd * CHECKS * ROUNDS);
	tap_is_int(qint(s, "SELECT count(*) FROM results"), qint(s, sql), "every result stored");
	tap_is_int(qint(s, "SELECT count(*) FROM latest"), (long long)(nd * CHECKS),
		   "one latest row per (domain, check)");
	tap_is_int(qint(s, "SELECT sum(n_ok + n_info + n_warn + n_critical + n_unknown)"
			   " FROM day_buckets"),
		   (long long)(nd * CHECKS * ROUNDS), "buckets count every result");
	tap_ok(qint(s, "SELECT count(*) FROM findings") <= (long long)(nd * CHECKS * 2 * 2),
	       "findings kept only for the last results (%lld rows)",
	       (long long)qint(s, "SELECT count(*) FROM findings"));

	read_back(s, nd);
	t = now_ms();
	tap_ok(daemon_store_prune(s, T0 + 30LL * 86400 + 5 * INTERVAL, &ps) == ERR_OK, "prune");
	tap_diag("prune of %llu results: %.1f ms", (unsigned long long)ps.results, now_ms() - t);
	/* rounds 0..4 fall out, the last round of every check stays */
	tap_is_int((long long)ps.results, (long long)(nd * CHECKS * 5), "five old rounds pruned");
	tap_ok(daemon_store_integrity_check(s, err, sizeof err) == ERR_OK, "intact: %s", err);
	dns_findings_clear(&f);
	daemon_store_close(s);
	free(path);
	return tap_done();
}
