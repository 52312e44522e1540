/*
 * bench/lib/web_history.c: writes the history of the web benchmark
 * (bench/web) into a mailpulsed database through the daemon's own store
 * API (daemon/store_result), so the day buckets, the last/last-good
 * bookkeeping and the schema are exactly what mailpulsed itself writes.
 *
 * For every domain of DOMAINS (one name per line) and each of the DAYS UTC
 * days before the day of NOW (today is left to the real check round that
 * bench/web runs afterwards), PER_DAY results per check, spread over the
 * day.  The checks are those a posture run of bench/lib/posture.py's zones
 * yields: spf dkim dmarc mx mta-sts tls-rpt, plus bimi on every tenth
 * domain.  The pattern is deterministic (a hash of domain, day and check):
 * most results ok, about 1 in 40 warn and 1 in 150 critical; one domain in
 * seven was added later (no data for its first days, drawn grey).
 *
 * Then the store's own retention runs (daemon_store_prune: raw results
 * older than 30 days go, the day buckets stay), so the database has the
 * shape a long-running mailpulsed leaves behind.
 *
 * It is a benchmark tool, not part of the product: no findings are stored
 * (the real round stores the current ones) and nothing is read back.
 *
 * Usage: web_history DB DOMAINS NOW DAYS PER_DAY
 * Exit 0 and "results=N domains=D" on stdout; exit 1 with the reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/err.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_prune.h"
#include "daemon/store_result.h"

#define MAX_DOMAINS 100000

static const char *const CHECKS[] = {"spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt", "bimi"};
#define N_CHECKS (sizeof CHECKS / sizeof CHECKS[0])

/* A small integer hash (splitmix64's finalizer): deterministic noise. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static enum dns_sev severity_of(size_t dom, int64_t day, size_t check, unsigned k)
{
	uint64_t h = mix(((uint64_t)dom << 32) ^ ((uint64_t)day << 8) ^ (check << 4) ^ k);

	if (h % 150 == 0)
		return SEV_CRITICAL;
	if (h % 40 == 1)
		return SEV_WARN;
	return SEV_OK;
}

static char **read_domains(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[512];
	char **v = NULL;

	*n = 0;
	if (f == NULL)
		return NULL;
	while (*n < MAX_DOMAINS && fgets(line, sizeof line, f) != NULL) {
		size_t len = strcspn(line, "\r\n");

		if (len == 0)
			continue;
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xmemdup0(line, len);
	}
	fclose(f);
	return v;
}

/* Every result of domain i (name) on day (days since 1970) into s. */
static enum mp_err write_day(struct daemon_store *s, const char *name, size_t i, int64_t day,
			     unsigned per_day, size_t *count)
{
	for (size_t c = 0; c < N_CHECKS; c++) {
		if (strcmp(CHECKS[c], "bimi") == 0 && i % 10 != 0)
			continue;
		for (unsigned k = 0; k < per_day; k++) {
			struct daemon_store_result r = {0};
			bool spf = c == 0;

			r.domain = name;
			r.check = CHECKS[c];
			r.at = day * 86400 + (int64_t)(k * 86400 / per_day) + (int64_t)(i % 600);
			r.severity = severity_of(i, day, c, k);
			r.duration_ms = 40 + (uint32_t)(mix(i ^ (uint64_t)day) % 200);
			r.spf_lookups = spf ? 4 : -1;
			r.spf_void_lookups = spf ? 0 : -1;
			if (daemon_store_result_add(s, &r, NULL, NULL) != ERR_OK)
				return ERR_IO;
			(*count)++;
		}
	}
	return ERR_OK;
}

static enum mp_err write_all(struct daemon_store *s, char **dom, size_t n, int64_t today,
			     unsigned days, unsigned per_day, size_t *count)
{
	for (size_t i = 0; i < n; i++) {
		/* One domain in seven was added some days into the window. */
		unsigned skip = i % 7 == 3 ? (unsigned)(mix(i) % days) : 0;
		enum mp_err e = daemon_store_begin(s, false);

		for (unsigned d = skip; e == ERR_OK && d < days; d++)
			e = write_day(s, dom[i], i, today - days + d, per_day, count);
		if (e != ERR_OK) {
			daemon_store_rollback(s);
			return e;
		}
		e = daemon_store_commit(s);
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

static bool num(const char *s, uint64_t max, uint64_t *out)
{
	return common_str_to_u64(s, strlen(s), max, out) == ERR_OK;
}

int main(int argc, char **argv)
{
	struct daemon_store *s = NULL;
	char err[512];
	uint64_t now = 0, days = 0, per_day = 0;
	size_t n = 0, count = 0;
	char **dom;
	enum mp_err e;

	if (argc != 6 || !num(argv[3], INT64_MAX, &now) || !num(argv[4], 400, &days) ||
	    !num(argv[5], 1440, &per_day) || days == 0 || per_day == 0) {
		fprintf(stderr, "usage: web_history DB DOMAINS NOW DAYS(1-400) PER_DAY(1-1440)\n");
		return 2;
	}
	dom = read_domains(argv[2], &n);
	if (dom == NULL || n == 0) {
		fprintf(stderr, "web_history: no domain in %s\n", argv[2]);
		return 1;
	}
	if (daemon_store_open(argv[1], &s, err, sizeof err) != ERR_OK) {
		fprintf(stderr, "web_history: %s\n", err);
		return 1;
	}
	e = write_all(s, dom, n, daemon_store_result_day((int64_t)now), (unsigned)days,
		      (unsigned)per_day, &count);
	if (e == ERR_OK)
		e = daemon_store_prune(s, (int64_t)now, NULL);
	if (e != ERR_OK)
		fprintf(stderr, "web_history: %s\n", daemon_store_errmsg(s));
	daemon_store_close(s);
	for (size_t i = 0; i < n; i++)
		free(dom[i]);
	free(dom);
	if (e != ERR_OK)
		return 1;
	printf("results=%zu domains=%zu\n", count, n);
	return 0;
}
