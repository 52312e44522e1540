/*
 * daemon/store_report_query: the reading half of the reports store (see
 * store_report_query.h).  Sums are exact integers: daemon/store_report caps
 * every stored count at DAEMON_STORE_REPORT_MAX_COUNT, so a sum over years
 * of rows cannot overflow SQLite's 64-bit integers.
 */
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "daemon/store_report.h"

/* v or "" (columns may be NULL). */
static const char *nz(const char *v)
{
	return v != NULL ? v : "";
}

/* clang-format off */
static const char SQL_EXISTS[] =
	"SELECT 1 FROM reports WHERE domain = ?1 LIMIT 1";
static const char SQL_POLICY_LAST[] =
	"SELECT policy_p FROM reports WHERE domain = ?1 AND kind = 'aggregate'"
	" ORDER BY range_end DESC, received DESC, id DESC LIMIT 1";
static const char SQL_NREPORTS[] =
	"SELECT count(*) FROM reports WHERE domain = ?1 AND kind = 'aggregate'"
	" AND range_end > ?2";
static const char SQL_TOTALS[] =
	"SELECT coalesce(sum(count), 0), coalesce(sum(count * dmarc_pass), 0),"
	" coalesce(sum(count * (dkim_eval = 'pass')), 0),"
	" coalesce(sum(count * (spf_eval = 'pass')), 0),"
	" coalesce(sum(count * (auth_pass AND NOT dmarc_pass)), 0),"
	" coalesce(sum(count * (disposition = 'quarantine')), 0),"
	" coalesce(sum(count * (disposition = 'reject')), 0)"
	" FROM report_rows WHERE domain = ?1 AND range_end > ?2";
/* a daily report's range is [00:00:00, 23:59:59] or [00:00:00, next 00:00:00] */
static const char SQL_DAYS[] =
	"SELECT (range_end - 1) / 86400 AS day, sum(count), sum(count * dmarc_pass)"
	" FROM report_rows WHERE domain = ?1 AND range_end > ?2 GROUP BY day ORDER BY day";
/*
 * The top sources first (one pass over the window's rows), then the costly
 * per-IP details for those only.  INDEXED BY: without planner statistics
 * SQLite would walk the window index once per IP (minutes for 100k IPs).
 */
#define ROWS_BY_IP "report_rows x INDEXED BY report_rows_by_ip"
#define SAME_IP "x.domain = ?1 AND x.source_ip = t.source_ip"
static const char SQL_SOURCES[] =
	"WITH t AS (SELECT source_ip, sum(count) AS n, sum(count * dmarc_pass) AS pass,"
	" sum(count * (auth_pass AND NOT dmarc_pass)) AS ap, max(range_end) AS last,"
	" sum(count * (range_end > ?4)) AS recent"
	" FROM report_rows WHERE domain = ?1 AND range_end > ?2 GROUP BY source_ip"
	" ORDER BY n DESC, source_ip LIMIT ?3)"
	" SELECT t.source_ip, coalesce(d.ptr, ''), coalesce(d.base, ''),"
	" (SELECT group_concat(DISTINCT p.reporter) FROM " ROWS_BY_IP
	" JOIN reports p ON p.id = x.report WHERE " SAME_IP " AND x.range_end > ?2),"
	" (SELECT x.header_from FROM " ROWS_BY_IP " WHERE " SAME_IP " AND x.range_end > ?2"
	" GROUP BY x.header_from ORDER BY sum(x.count) DESC, x.header_from LIMIT 1),"
	" (SELECT group_concat(DISTINCT nullif(x.auth_domains, '')) FROM " ROWS_BY_IP
	" WHERE " SAME_IP " AND x.range_end > ?2),"
	" t.n, t.pass, t.ap,"
	" (SELECT min(x.range_begin) FROM " ROWS_BY_IP " WHERE " SAME_IP "), t.last, t.recent"
	" FROM t LEFT JOIN report_rdns d ON d.ip = t.source_ip ORDER BY t.n DESC, t.source_ip";
static const char SQL_TLS_SUMS[] =
	"SELECT reporter, policy_type, policy_domain, sum(success), sum(failure)"
	" FROM tlsrpt_policies WHERE domain = ?1 AND range_end > ?2"
	" GROUP BY reporter, policy_type, policy_domain"
	" ORDER BY sum(failure) DESC, reporter, policy_type, policy_domain";
static const char SQL_TLS_TYPES[] =
	"SELECT p.reporter, p.policy_type, p.policy_domain, f.result_type, sum(f.count) AS n"
	" FROM tlsrpt_policies p JOIN tlsrpt_failures f ON f.policy = p.id"
	" WHERE p.domain = ?1 AND p.range_end > ?2"
	" GROUP BY p.reporter, p.policy_type, p.policy_domain, f.result_type"
	" ORDER BY n DESC, f.result_type";
static const char SQL_RECENT[] =
	"SELECT kind, reporter, report_id, source, container, range_begin, range_end, received,"
	" records, messages FROM reports WHERE domain = ?1 ORDER BY received DESC, id DESC"
	" LIMIT ?2";
static const char SQL_FAILURES[] =
	"SELECT arrival, received, reporter, source_ip, auth_failure, from_addr, subject,"
	" dkim_domain, delivery_result, identity_alignment FROM report_failures"
	" WHERE domain = ?1 ORDER BY arrival DESC, id DESC LIMIT ?2";
static const char SQL_REJECTS[] =
	"SELECT count(*) FROM report_rejects WHERE at >= ?1";
static const char SQL_COUNTERS[] =
	"SELECT result, messages FROM report_counters WHERE domain = ?1";
static const char SQL_RDNS_MISSING[] =
	"SELECT ip FROM report_rdns WHERE resolved_at IS NULL OR resolved_at < ?1"
	" ORDER BY resolved_at IS NOT NULL, resolved_at, ip LIMIT ?2";
/* clang-format on */

static int64_t lim(size_t max)
{
	return max == 0 || max > INT64_MAX ? -1 : (int64_t)max;
}

static uint64_t col_u(struct daemon_store_stmt *q, int i)
{
	int64_t v = daemon_store_col_int(q, i);

	return v > 0 ? (uint64_t)v : 0;
}

static char *col_s(struct daemon_store_stmt *q, int i)
{
	char *v = daemon_store_col_str(q, i);

	return v != NULL ? v : xstrdup("");
}

/* Prepare sql and bind the domain (?1) and, when since is set, ?2. */
static enum mp_err prep(struct daemon_store *s, const char *sql, const char *domain,
			const int64_t *arg2, struct daemon_store_stmt **q)
{
	enum mp_err e = daemon_store_prepare(s, sql, q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(*q, 1, domain);
	if (arg2 != NULL)
		daemon_store_bind_int(*q, 2, *arg2);
	return ERR_OK;
}

enum mp_err daemon_store_report_exists(struct daemon_store *s, const char *domain, bool *yes)
{
	struct daemon_store_stmt *q;
	bool row = false;
	enum mp_err e = prep(s, SQL_EXISTS, domain, NULL, &q);

	if (e == ERR_OK)
		e = daemon_store_step(q, &row);
	if (e == ERR_OK)
		daemon_store_reset(q);
	if (e == ERR_OK)
		*yes = row;
	return e;
}

enum mp_err daemon_store_report_policy(struct daemon_store *s, const char *domain, char **p)
{
	struct daemon_store_stmt *q;
	bool row = false;
	enum mp_err e = prep(s, SQL_POLICY_LAST, domain, NULL, &q);

	if (e == ERR_OK)
		e = daemon_store_step(q, &row);
	if (e == ERR_OK)
		*p = row ? col_s(q, 0) : xstrdup("");
	if (q != NULL)
		daemon_store_reset(q);
	return e;
}

enum mp_err daemon_store_report_totals(struct daemon_store *s, const char *domain, int64_t since,
				       struct daemon_report_totals *out)
{
	struct daemon_store_stmt *q;
	struct daemon_report_totals t = {0};
	bool row = false;
	enum mp_err e = prep(s, SQL_NREPORTS, domain, &since, &q);

	if (e == ERR_OK)
		e = daemon_store_step(q, &row);
	if (e == ERR_OK && row)
		t.reports = col_u(q, 0);
	if (e == ERR_OK) {
		daemon_store_reset(q);
		e = prep(s, SQL_TOTALS, domain, &since, &q);
	}
	if (e == ERR_OK)
		e = daemon_store_step(q, &row);
	if (e == ERR_OK && row) {
		uint64_t *const f[] = {&t.messages,  &t.pass,	     &t.dkim_pass, &t.spf_pass,
				       &t.auth_pass, &t.quarantined, &t.rejected};

		for (int i = 0; i < 7; i++)
			*f[i] = col_u(q, i);
	}
	daemon_store_reset(q);
	if (e == ERR_OK)
		*out = t;
	return e;
}

enum mp_err daemon_store_report_days(struct daemon_store *s, const char *domain, int64_t since,
				     struct daemon_report_day **out, size_t *n)
{
	struct daemon_store_stmt *q;
	struct daemon_report_day *v = NULL;
	size_t cnt = 0;
	enum mp_err e = prep(s, SQL_DAYS, domain, &since, &q);

	if (e != ERR_OK)
		return e;
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		v = xreallocarray(v, cnt + 1, sizeof *v);
		v[cnt].day = daemon_store_col_int(q, 0);
		v[cnt].messages = col_u(q, 1);
		v[cnt++].pass = col_u(q, 2);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		free(v);
		return e;
	}
	*out = v;
	*n = cnt;
	return ERR_OK;
}

/* "a.com,b.com,a.com" -> "a.com,b.com" (the lists of several rows, joined). */
static char *dedup_list(const char *in)
{
	struct buf b;
	const char *p = in;

	common_buf_init(&b, strlen(in) + 1);
	while (*p) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p), at = 0;
		bool seen = false;

		while (!seen && at < b.len) {
			const char *d = memchr(b.data + at, ',', b.len - at);
			size_t l = d ? (size_t)(d - (b.data + at)) : b.len - at;

			seen = l == len && memcmp(b.data + at, p, len) == 0;
			at += l + 1;
		}
		if (!seen && len > 0 &&
		    ((b.len && common_buf_putc(&b, ',') != ERR_OK) ||
		     common_buf_append(&b, p, len) != ERR_OK))
			break; /* cannot happen: the output is no longer than the input */
		p += len + (c != NULL);
	}
	return common_buf_steal(&b, NULL);
}

static void source_read(struct daemon_store_stmt *q, struct daemon_report_source *x)
{
	char *auth = col_s(q, 5);

	x->ip = col_s(q, 0);
	x->ptr = col_s(q, 1);
	x->base = col_s(q, 2);
	x->reporters = col_s(q, 3);
	x->header_from = col_s(q, 4);
	x->auth_domains = dedup_list(auth);
	free(auth);
	x->messages = col_u(q, 6);
	x->pass = col_u(q, 7);
	x->auth_pass = col_u(q, 8);
	x->first_seen = daemon_store_col_int(q, 9);
	x->last_seen = daemon_store_col_int(q, 10);
	x->messages_recent = col_u(q, 11);
}

enum mp_err daemon_store_report_sources_split(struct daemon_store *s, const char *domain,
					      int64_t since, int64_t recent_since, size_t max,
					      struct daemon_report_source **out, size_t *n)
{
	struct daemon_store_stmt *q;
	struct daemon_report_source *v = NULL;
	size_t cnt = 0;
	enum mp_err e = prep(s, SQL_SOURCES, domain, &since, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 3, lim(max));
	daemon_store_bind_int(q, 4, recent_since);
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		v = xreallocarray(v, cnt + 1, sizeof *v);
		source_read(q, &v[cnt++]);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_report_sources_free(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return ERR_OK;
}

enum mp_err daemon_store_report_sources(struct daemon_store *s, const char *domain, int64_t since,
					size_t max, struct daemon_report_source **out, size_t *n)
{
	return daemon_store_report_sources_split(s, domain, since, since, max, out, n);
}

void daemon_store_report_sources_free(struct daemon_report_source *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].ip);
		free(v[i].ptr);
		free(v[i].base);
		free(v[i].reporters);
		free(v[i].header_from);
		free(v[i].auth_domains);
	}
	free(v);
}

/* Append "type:count" of one failure type to the matching sum (they come most first). */
static void tls_type(struct daemon_store_stmt *q, struct daemon_tlsrpt_sum *v, size_t n)
{
	const char *k[3];

	for (int i = 0; i < 3; i++)
		k[i] = nz(daemon_store_col_text(q, i));
	for (size_t i = 0; i < n; i++) {
		char *old = v[i].failure_types;

		if (strcmp(v[i].reporter, k[0]) != 0 || strcmp(v[i].policy_type, k[1]) != 0 ||
		    strcmp(v[i].policy_domain, k[2]) != 0)
			continue;
		v[i].failure_types =
		    xasprintf("%s%s%s:%llu", old, *old ? "," : "", nz(daemon_store_col_text(q, 3)),
			      (unsigned long long)col_u(q, 4));
		free(old);
		return;
	}
}

enum mp_err daemon_store_report_tlsrpt(struct daemon_store *s, const char *domain, int64_t since,
				       struct daemon_tlsrpt_sum **out, size_t *n)
{
	struct daemon_store_stmt *q;
	struct daemon_tlsrpt_sum *v = NULL;
	size_t cnt = 0;
	enum mp_err e = prep(s, SQL_TLS_SUMS, domain, &since, &q);

	if (e != ERR_OK)
		return e;
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		v = xreallocarray(v, cnt + 1, sizeof *v);
		v[cnt].reporter = col_s(q, 0);
		v[cnt].policy_type = col_s(q, 1);
		v[cnt].policy_domain = col_s(q, 2);
		v[cnt].success = col_u(q, 3);
		v[cnt].failure = col_u(q, 4);
		v[cnt++].failure_types = xstrdup("");
	}
	daemon_store_reset(q);
	if (e == ERR_OK)
		e = prep(s, SQL_TLS_TYPES, domain, &since, &q);
	while (e == ERR_OK && daemon_store_next(q, &e))
		tls_type(q, v, cnt);
	if (q != NULL)
		daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_report_tlsrpt_free(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return ERR_OK;
}

void daemon_store_report_tlsrpt_free(struct daemon_tlsrpt_sum *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].reporter);
		free(v[i].policy_type);
		free(v[i].policy_domain);
		free(v[i].failure_types);
	}
	free(v);
}

enum mp_err daemon_store_report_recent(struct daemon_store *s, const char *domain, size_t max,
				       struct daemon_report_item **out, size_t *n)
{
	struct daemon_store_stmt *q;
	struct daemon_report_item *v = NULL;
	size_t cnt = 0;
	enum mp_err e = prep(s, SQL_RECENT, domain, NULL, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 2, lim(max));
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		struct daemon_report_item *x;

		v = xreallocarray(v, cnt + 1, sizeof *v);
		x = &v[cnt++];
		x->kind = col_s(q, 0);
		x->reporter = col_s(q, 1);
		x->report_id = col_s(q, 2);
		x->source = col_s(q, 3);
		x->container = col_s(q, 4);
		x->begin = daemon_store_col_int(q, 5);
		x->end = daemon_store_col_int(q, 6);
		x->received = daemon_store_col_int(q, 7);
		x->records = col_u(q, 8);
		x->messages = col_u(q, 9);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_report_items_free(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return ERR_OK;
}

void daemon_store_report_items_free(struct daemon_report_item *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].kind);
		free(v[i].reporter);
		free(v[i].report_id);
		free(v[i].source);
		free(v[i].container);
	}
	free(v);
}

enum mp_err daemon_store_report_failures(struct daemon_store *s, const char *domain, size_t max,
					 struct daemon_report_failure **out, size_t *n)
{
	struct daemon_store_stmt *q;
	struct daemon_report_failure *v = NULL;
	size_t cnt = 0;
	enum mp_err e = prep(s, SQL_FAILURES, domain, NULL, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 2, lim(max));
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		struct daemon_report_failure *x;

		v = xreallocarray(v, cnt + 1, sizeof *v);
		x = &v[cnt++];
		x->arrival = daemon_store_col_int(q, 0);
		x->received = daemon_store_col_int(q, 1);
		x->reporter = col_s(q, 2);
		x->source_ip = col_s(q, 3);
		x->auth_failure = col_s(q, 4);
		x->from = col_s(q, 5);
		x->subject = col_s(q, 6);
		x->dkim_domain = col_s(q, 7);
		x->delivery_result = col_s(q, 8);
		x->identity_alignment = col_s(q, 9);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_report_failures_free(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return ERR_OK;
}

void daemon_store_report_failures_free(struct daemon_report_failure *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].reporter);
		free(v[i].source_ip);
		free(v[i].auth_failure);
		free(v[i].from);
		free(v[i].subject);
		free(v[i].dkim_domain);
		free(v[i].delivery_result);
		free(v[i].identity_alignment);
	}
	free(v);
}

enum mp_err daemon_store_report_rejects_count(struct daemon_store *s, int64_t since, uint64_t *n)
{
	struct daemon_store_stmt *q;
	bool row = false;
	enum mp_err e = daemon_store_prepare(s, SQL_REJECTS, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, since);
	e = daemon_store_step(q, &row);
	if (e == ERR_OK)
		*n = row ? col_u(q, 0) : 0;
	daemon_store_reset(q);
	return e;
}

enum mp_err daemon_store_report_counters(struct daemon_store *s, const char *domain, uint64_t *pass,
					 uint64_t *fail)
{
	struct daemon_store_stmt *q;
	uint64_t p = 0, f = 0;
	enum mp_err e = prep(s, SQL_COUNTERS, domain, NULL, &q);

	if (e != ERR_OK)
		return e;
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		if (strcmp(nz(daemon_store_col_text(q, 0)), "pass") == 0)
			p = col_u(q, 1);
		else
			f = col_u(q, 1);
	}
	daemon_store_reset(q);
	if (e == ERR_OK) {
		*pass = p;
		*fail = f;
	}
	return e;
}

enum mp_err daemon_store_report_rdns_missing(struct daemon_store *s, int64_t stale_before,
					     size_t max, char ***ips, size_t *n)
{
	struct daemon_store_stmt *q;
	char **v = NULL;
	size_t cnt = 0;
	enum mp_err e = daemon_store_prepare(s, SQL_RDNS_MISSING, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, stale_before);
	daemon_store_bind_int(q, 2, lim(max));
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		v = xreallocarray(v, cnt + 2, sizeof *v);
		v[cnt++] = col_s(q, 0);
		v[cnt] = NULL;
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		return e;
	}
	*ips = v;
	*n = cnt;
	return ERR_OK;
}
