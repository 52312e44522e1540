/*
 * daemon/store_result: check results, their findings and the daily buckets
 * (see store_result.h; the tables are described in daemon/store_schema.c).
 * SQL goes through the statement facade of daemon/store; no sqlite3.h here.
 */
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/store_result.h"

/* clang-format off */
#define RESULT_COLS "r.id, r.domain, r.check_name, r.at, r.severity, r.duration_ms," \
	" r.spf_lookups, r.spf_void_lookups, r.reason, r.findings_json, r.spf_tree_json"
#define GOOD_COLS "g.id, g.domain, g.check_name, g.at, g.severity, g.duration_ms," \
	" g.spf_lookups, g.spf_void_lookups, g.reason, g.findings_json, g.spf_tree_json"
#define NCOLS 11

static const char SQL_INSERT[] =
	"INSERT INTO results (domain, check_name, at, severity, duration_ms, spf_lookups,"
	" spf_void_lookups, reason, findings_json, spf_tree_json)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_LATEST_GET[] =
	"SELECT last_id, last_at, good_id, good_at, ok_at FROM latest"
	" WHERE domain = ?1 AND check_name = ?2";
static const char SQL_LATEST_PUT[] =
	"INSERT INTO latest (domain, check_name, last_id, last_at, good_id, good_at, ok_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (domain, check_name) DO UPDATE SET"
	" last_id = excluded.last_id, last_at = excluded.last_at,"
	" good_id = excluded.good_id, good_at = excluded.good_at, ok_at = excluded.ok_at";
static const char SQL_FINDING_ADD[] =
	"INSERT INTO findings (result_id, seq, check_name, code, severity, message, fix, evidence)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_FINDING_DROP[] = "DELETE FROM findings WHERE result_id = ?1";
static const char SQL_TREE_DROP[] =
	"UPDATE results SET spf_tree_json = NULL WHERE id = ?1 AND spf_tree_json IS NOT NULL";
static const char SQL_BUCKET[] =
	"INSERT INTO day_buckets (domain, check_name, day, n_ok, n_info, n_warn, n_critical,"
	" n_unknown) VALUES (?1, ?2, ?3, ?4 = 'ok', ?4 = 'info', ?4 = 'warn', ?4 = 'critical',"
	" ?4 = 'unknown') ON CONFLICT (domain, check_name, day) DO UPDATE SET"
	" n_ok = n_ok + excluded.n_ok, n_info = n_info + excluded.n_info,"
	" n_warn = n_warn + excluded.n_warn, n_critical = n_critical + excluded.n_critical,"
	" n_unknown = n_unknown + excluded.n_unknown";
static const char SQL_LAST[] =
	"SELECT " RESULT_COLS " FROM latest l JOIN results r ON r.id = l.last_id"
	" WHERE l.domain = ?1 AND l.check_name = ?2";
static const char SQL_LAST_GOOD[] =
	"SELECT " RESULT_COLS " FROM latest l JOIN results r ON r.id = l.good_id"
	" WHERE l.domain = ?1 AND l.check_name = ?2";
/*
 * One statement per shape: with "?1 IS NULL OR l.domain = ?1" SQLite cannot
 * use the primary key, and the status page asks once per domain, which made
 * a snapshot of N domains scan the table N times (bench/README.md, web).
 */
#define SQL_LATEST_FROM \
	"SELECT " RESULT_COLS ", " GOOD_COLS ", l.ok_at FROM latest l JOIN results r ON r.id = l.last_id" \
	" LEFT JOIN results g ON g.id = l.good_id"
static const char SQL_LATEST_ALL[] =
	SQL_LATEST_FROM " WHERE ?1 IS NULL ORDER BY l.domain, l.check_name";
static const char SQL_LATEST_DOMAIN[] =
	SQL_LATEST_FROM " WHERE l.domain = ?1 ORDER BY l.domain, l.check_name";
static const char SQL_HISTORY[] =
	"SELECT " RESULT_COLS " FROM results r WHERE r.domain = ?1"
	" AND (?2 IS NULL OR r.check_name = ?2) AND r.at >= ?3"
	" ORDER BY r.at DESC, r.id DESC LIMIT ?4";
static const char SQL_FINDINGS[] =
	"SELECT check_name, code, severity, message, fix, evidence FROM findings"
	" WHERE result_id = ?1 ORDER BY seq";
static const char SQL_DAYS[] =
	"SELECT day, n_ok, n_info, n_warn, n_critical, n_unknown FROM day_buckets"
	" WHERE domain = ?1 AND check_name = ?2 AND day BETWEEN ?3 AND ?4";
/*
 * "+day": never the day index.  Once PRAGMA optimize has gathered
 * statistics (at every close), SQLite preferred day_buckets_by_day for the
 * range and read every domain's buckets of 90 days for each domain: 2 s per
 * domain with 1,000 domains, so a snapshot took half an hour (bench/web).
 */
static const char SQL_DAYS_SUM[] =
	"SELECT day, sum(n_ok), sum(n_info), sum(n_warn), sum(n_critical), sum(n_unknown)"
	" FROM day_buckets WHERE domain = ?1 AND +day BETWEEN ?2 AND ?3 GROUP BY day";
/* clang-format on */

bool daemon_store_result_sev_parse(const char *t, enum dns_sev *out)
{
	for (int i = 0; i < DAEMON_STORE_NSEV; i++) {
		if (t && strcmp(t, dns_sev_name((enum dns_sev)i)) == 0) {
			*out = (enum dns_sev)i;
			return true;
		}
	}
	return false;
}

static bool sev_valid(enum dns_sev v)
{
	return (int)v >= 0 && (int)v < DAEMON_STORE_NSEV;
}

static enum mp_err check_name(struct daemon_store *s, const char *what, const char *v)
{
	return daemon_store_check_name(s, what, v, DAEMON_STORE_MAX_NAME);
}

static enum mp_err check_text(struct daemon_store *s, const char *what, const char *v, size_t len,
			      size_t max)
{
	return daemon_store_check_len(s, what, v, len, max);
}

static enum mp_err validate_finding(struct daemon_store *s, const struct dns_finding *f)
{
	enum mp_err e = check_name(s, "finding check", f->check);

	if (e == ERR_OK)
		e = check_name(s, "finding code", f->code);
	if (e == ERR_OK && !sev_valid(f->sev))
		e = daemon_store_fail(s, ERR_INVAL, "finding severity out of range");
	if (e == ERR_OK)
		e = check_text(s, "finding message", f->message,
			       f->message ? strlen(f->message) : 0, DAEMON_STORE_MAX_TEXT);
	if (e == ERR_OK)
		e = check_text(s, "finding fix", f->fix, f->fix ? strlen(f->fix) : 0,
			       DAEMON_STORE_MAX_TEXT);
	if (e == ERR_OK)
		e = check_text(s, "finding evidence", f->evidence, f->evidence_len,
			       DAEMON_STORE_MAX_TEXT);
	return e;
}

static enum mp_err validate(struct daemon_store *s, const struct daemon_store_result *r,
			    const struct dns_findings *findings)
{
	enum mp_err e = check_name(s, "domain", r->domain);

	if (e == ERR_OK)
		e = check_name(s, "check", r->check);
	if (e == ERR_OK && (r->at < 0 || !sev_valid(r->severity) || r->spf_lookups < -1 ||
			    r->spf_void_lookups < -1))
		e = daemon_store_fail(s, ERR_INVAL, "result: bad time, severity or lookup count");
	if (e == ERR_OK)
		e = check_text(s, "reason", r->reason, r->reason ? strlen(r->reason) : 0,
			       DAEMON_STORE_MAX_TEXT);
	if (e == ERR_OK)
		e = check_text(s, "findings_json", r->findings_json,
			       r->findings_json ? strlen(r->findings_json) : 0,
			       DAEMON_STORE_MAX_JSON);
	if (e == ERR_OK)
		e = check_text(s, "spf_tree_json", r->spf_tree_json,
			       r->spf_tree_json ? strlen(r->spf_tree_json) : 0,
			       DAEMON_STORE_MAX_JSON);
	if (e == ERR_OK && findings && findings->n > DAEMON_STORE_MAX_FINDINGS)
		e = daemon_store_fail(s, ERR_LIMIT, "more than %d findings",
				      DAEMON_STORE_MAX_FINDINGS);
	for (size_t i = 0; e == ERR_OK && findings && i < findings->n; i++)
		e = validate_finding(s, &findings->v[i]);
	return e;
}

static void bind_lookups(struct daemon_store_stmt *q, int i, int32_t v)
{
	if (v < 0)
		daemon_store_bind_null(q, i);
	else
		daemon_store_bind_int(q, i, v);
}

static enum mp_err insert_row(struct daemon_store *s, const struct daemon_store_result *r,
			      int64_t *id)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_INSERT, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, r->domain);
	daemon_store_bind_text(q, 2, r->check);
	daemon_store_bind_int(q, 3, r->at);
	daemon_store_bind_text(q, 4, dns_sev_name(r->severity));
	daemon_store_bind_int(q, 5, r->duration_ms);
	bind_lookups(q, 6, r->spf_lookups);
	bind_lookups(q, 7, r->spf_void_lookups);
	daemon_store_bind_text(q, 8, r->reason);
	daemon_store_bind_text(q, 9, r->findings_json);
	daemon_store_bind_text(q, 10, r->spf_tree_json);
	e = daemon_store_run(q);
	if (e == ERR_OK)
		*id = daemon_store_last_id(s);
	return e;
}

/* Which results are the last and the last good one of a (domain, check). */
struct latest {
	int64_t last_id, last_at, good_id, good_at; /* ids 0: none */
	int64_t ok_at;				    /* last ok/info result; -1: none */
};

static enum mp_err latest_get(struct daemon_store *s, const char *domain, const char *check,
			      struct latest *l)
{
	struct daemon_store_stmt *q;
	bool row = false;
	enum mp_err e = daemon_store_prepare(s, SQL_LATEST_GET, &q);

	memset(l, 0, sizeof *l);
	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	daemon_store_bind_text(q, 2, check);
	e = daemon_store_step(q, &row);
	if (e == ERR_OK && row) {
		l->last_id = daemon_store_col_int(q, 0);
		l->last_at = daemon_store_col_int(q, 1);
		l->good_id = daemon_store_col_null(q, 2) ? 0 : daemon_store_col_int(q, 2);
		l->good_at = daemon_store_col_int(q, 3);
		l->ok_at = daemon_store_col_null(q, 4) ? -1 : daemon_store_col_int(q, 4);
	} else {
		l->ok_at = -1;
	}
	daemon_store_reset(q);
	return e;
}

static enum mp_err latest_put(struct daemon_store *s, const char *domain, const char *check,
			      const struct latest *l)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_LATEST_PUT, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	daemon_store_bind_text(q, 2, check);
	daemon_store_bind_int(q, 3, l->last_id);
	daemon_store_bind_int(q, 4, l->last_at);
	if (l->good_id) {
		daemon_store_bind_int(q, 5, l->good_id);
		daemon_store_bind_int(q, 6, l->good_at);
	}
	if (l->ok_at >= 0)
		daemon_store_bind_int(q, 7, l->ok_at);
	return daemon_store_run(q);
}

static enum mp_err findings_put(struct daemon_store *s, int64_t id, const struct dns_findings *f)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_FINDING_ADD, &q);

	for (size_t i = 0; e == ERR_OK && i < f->n; i++) {
		const struct dns_finding *d = &f->v[i];

		daemon_store_bind_int(q, 1, id);
		daemon_store_bind_int(q, 2, (int64_t)i);
		daemon_store_bind_text(q, 3, d->check);
		daemon_store_bind_text(q, 4, d->code);
		daemon_store_bind_text(q, 5, dns_sev_name(d->sev));
		daemon_store_bind_text(q, 6, d->message ? d->message : "");
		daemon_store_bind_text(q, 7, d->fix);
		daemon_store_bind_blob(q, 8, d->evidence, d->evidence_len);
		e = daemon_store_run(q);
	}
	return e;
}

/* Result id is neither the last nor the last good one any more: drop its page details. */
static enum mp_err findings_drop(struct daemon_store *s, int64_t id)
{
	static const char *const sql[] = {SQL_FINDING_DROP, SQL_TREE_DROP};
	enum mp_err e = ERR_OK;

	for (size_t i = 0; e == ERR_OK && i < 2; i++) {
		struct daemon_store_stmt *q;

		e = daemon_store_prepare(s, sql[i], &q);
		if (e != ERR_OK)
			break;
		daemon_store_bind_int(q, 1, id);
		e = daemon_store_run(q);
	}
	return e;
}

static enum mp_err bucket_add(struct daemon_store *s, const struct daemon_store_result *r)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_BUCKET, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, r->domain);
	daemon_store_bind_text(q, 2, r->check);
	daemon_store_bind_int(q, 3, daemon_store_result_day(r->at));
	daemon_store_bind_text(q, 4, dns_sev_name(r->severity));
	return daemon_store_run(q);
}

/* Move the last / last good marks to the new row and keep findings only for those. */
static enum mp_err update_latest(struct daemon_store *s, const struct daemon_store_result *r,
				 int64_t id, const struct dns_findings *findings)
{
	struct latest old, cur;
	enum mp_err e = latest_get(s, r->domain, r->check, &old);

	if (e != ERR_OK)
		return e;
	cur = old;
	if (old.last_id == 0 || r->at >= old.last_at) {
		cur.last_id = id;
		cur.last_at = r->at;
	}
	/* DESIGN.md 5: an unknown result never replaces the last good one. */
	if (r->severity != SEV_UNKNOWN && (old.good_id == 0 || r->at >= old.good_at)) {
		cur.good_id = id;
		cur.good_at = r->at;
	}
	if ((r->severity == SEV_OK || r->severity == SEV_INFO) && r->at > old.ok_at)
		cur.ok_at = r->at;
	e = latest_put(s, r->domain, r->check, &cur);
	if (e == ERR_OK && findings && (cur.last_id == id || cur.good_id == id))
		e = findings_put(s, id, findings);
	if (e == ERR_OK && old.last_id && old.last_id != cur.last_id && old.last_id != cur.good_id)
		e = findings_drop(s, old.last_id);
	if (e == ERR_OK && old.good_id && old.good_id != old.last_id &&
	    old.good_id != cur.last_id && old.good_id != cur.good_id)
		e = findings_drop(s, old.good_id);
	return e;
}

enum mp_err daemon_store_result_add(struct daemon_store *s, const struct daemon_store_result *r,
				    const struct dns_findings *findings, int64_t *id)
{
	int64_t rid = 0;
	enum mp_err e = validate(s, r, findings);

	if (e != ERR_OK)
		return e;
	e = daemon_store_op_begin(s, false);
	if (e != ERR_OK)
		return e;
	e = insert_row(s, r, &rid);
	if (e == ERR_OK)
		e = update_latest(s, r, rid, findings);
	if (e == ERR_OK)
		e = bucket_add(s, r);
	e = daemon_store_op_end(s, e);
	if (e == ERR_OK && id)
		*id = rid;
	return e;
}

/* ---- reads ----------------------------------------------------------------- */

static int32_t col_lookups(struct daemon_store_stmt *q, int i)
{
	return daemon_store_col_null(q, i) ? -1 : (int32_t)daemon_store_col_int(q, i);
}

/* Fill r from NCOLS columns starting at c; false when the severity is not ours. */
static bool read_result(struct daemon_store_stmt *q, int c, struct daemon_store_result *r)
{
	enum dns_sev sev;

	memset(r, 0, sizeof *r);
	if (!daemon_store_result_sev_parse(daemon_store_col_text(q, c + 4), &sev))
		return false;
	r->id = daemon_store_col_int(q, c);
	r->domain = daemon_store_col_str(q, c + 1);
	r->check = daemon_store_col_str(q, c + 2);
	r->at = daemon_store_col_int(q, c + 3);
	r->severity = sev;
	r->duration_ms = (uint32_t)daemon_store_col_int(q, c + 5);
	r->spf_lookups = col_lookups(q, c + 6);
	r->spf_void_lookups = col_lookups(q, c + 7);
	r->reason = daemon_store_col_str(q, c + 8);
	r->findings_json = daemon_store_col_str(q, c + 9);
	r->spf_tree_json = daemon_store_col_str(q, c + 10);
	return true;
}

static enum mp_err bad_row(struct daemon_store *s)
{
	return daemon_store_fail(s, ERR_IO, "result row with an unknown severity");
}

enum mp_err daemon_store_result_last(struct daemon_store *s, const char *domain, const char *check,
				     bool good, struct daemon_store_result *out)
{
	struct daemon_store_stmt *q;
	struct daemon_store_result r;
	bool row = false;
	enum mp_err e = daemon_store_prepare(s, good ? SQL_LAST_GOOD : SQL_LAST, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	daemon_store_bind_text(q, 2, check);
	e = daemon_store_step(q, &row);
	if (e == ERR_OK && !row)
		e = daemon_store_fail(s, ERR_NOTFOUND, "no %sresult for %s/%s", good ? "good " : "",
				      domain ? domain : "", check ? check : "");
	if (e == ERR_OK && !read_result(q, 0, &r))
		e = bad_row(s);
	daemon_store_reset(q);
	if (e == ERR_OK)
		*out = r;
	return e;
}

enum mp_err daemon_store_result_latest(struct daemon_store *s, const char *domain,
				       struct daemon_store_result_pairs *out)
{
	struct daemon_store_result_pairs l = {0};
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, domain ? SQL_LATEST_DOMAIN : SQL_LATEST_ALL, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		struct daemon_store_result_pair *p;

		l.v = xreallocarray(l.v, l.n + 1, sizeof *l.v);
		p = &l.v[l.n++];
		memset(p, 0, sizeof *p);
		if (!read_result(q, 0, &p->last))
			e = bad_row(s);
		p->has_good = !daemon_store_col_null(q, NCOLS);
		if (e == ERR_OK && p->has_good && !read_result(q, NCOLS, &p->good))
			e = bad_row(s);
		p->ok_at =
		    daemon_store_col_null(q, 2 * NCOLS) ? -1 : daemon_store_col_int(q, 2 * NCOLS);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_result_pairs_free(&l);
		return e;
	}
	*out = l;
	return ERR_OK;
}

enum mp_err daemon_store_result_history(struct daemon_store *s, const char *domain,
					const char *check, int64_t since, size_t limit,
					struct daemon_store_result_list *out)
{
	struct daemon_store_result_list l = {0};
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_HISTORY, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	daemon_store_bind_text(q, 2, check);
	daemon_store_bind_int(q, 3, since);
	daemon_store_bind_int(q, 4, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		l.v = xreallocarray(l.v, l.n + 1, sizeof *l.v);
		if (!read_result(q, 0, &l.v[l.n++]))
			e = bad_row(s);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_result_list_free(&l);
		return e;
	}
	*out = l;
	return ERR_OK;
}

enum mp_err daemon_store_result_findings(struct daemon_store *s, int64_t result_id,
					 struct dns_findings *out)
{
	struct dns_findings f;
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_FINDINGS, &q);

	if (e != ERR_OK)
		return e;
	dns_findings_init(&f);
	daemon_store_bind_int(q, 1, result_id);
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		enum dns_sev sev;
		size_t elen = 0;
		char *ev = daemon_store_col_blob(q, 5, &elen);

		if (daemon_store_result_sev_parse(daemon_store_col_text(q, 2), &sev))
			dns_findings_add(&f, daemon_store_col_text(q, 0),
					 daemon_store_col_text(q, 1), sev,
					 daemon_store_col_text(q, 4), ev, elen, "%s",
					 daemon_store_col_text(q, 3));
		else
			e = bad_row(s);
		free(ev);
	}
	daemon_store_reset(q);
	/* Hand the findings over only when all were read. */
	for (size_t i = 0; e == ERR_OK && i < f.n; i++) {
		out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
		out->v[out->n++] = f.v[i];
	}
	if (e == ERR_OK)
		free(f.v);
	else
		dns_findings_clear(&f);
	return e;
}

enum mp_err daemon_store_result_days(struct daemon_store *s, const char *domain, const char *check,
				     int64_t last_day, size_t ndays, struct daemon_store_day *out)
{
	struct daemon_store_stmt *q;
	int64_t first;
	enum mp_err e;

	if (ndays == 0 || ndays > 100000 || last_day < 0)
		return daemon_store_fail(s, ERR_INVAL, "days: bad range");
	first = last_day - (int64_t)ndays + 1;
	e = daemon_store_prepare(s, check ? SQL_DAYS : SQL_DAYS_SUM, &q);
	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	if (check)
		daemon_store_bind_text(q, 2, check);
	daemon_store_bind_int(q, check ? 3 : 2, first);
	daemon_store_bind_int(q, check ? 4 : 3, last_day);
	for (size_t i = 0; i < ndays; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].day = first + (int64_t)i;
	}
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		int64_t d = daemon_store_col_int(q, 0);

		if (d < first || d > last_day)
			continue;
		for (int k = 0; k < DAEMON_STORE_NSEV; k++) {
			int64_t v = daemon_store_col_int(q, 1 + k);

			out[d - first].count[k] = v < 0		   ? 0
						  : v > UINT32_MAX ? UINT32_MAX
								   : (uint32_t)v;
		}
	}
	daemon_store_reset(q);
	return e;
}

int64_t daemon_store_result_day(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

uint64_t daemon_store_result_day_total(const struct daemon_store_day *d)
{
	uint64_t n = 0;

	for (int k = 0; k < DAEMON_STORE_NSEV; k++)
		n += d->count[k];
	return n;
}

void daemon_store_result_clear(struct daemon_store_result *r)
{
	if (r == NULL)
		return;
	free((char *)r->domain);
	free((char *)r->check);
	free((char *)r->reason);
	free((char *)r->findings_json);
	free((char *)r->spf_tree_json);
	memset(r, 0, sizeof *r);
}

void daemon_store_result_pairs_free(struct daemon_store_result_pairs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		daemon_store_result_clear(&l->v[i].last);
		daemon_store_result_clear(&l->v[i].good);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void daemon_store_result_list_free(struct daemon_store_result_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		daemon_store_result_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
