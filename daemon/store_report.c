/*
 * daemon/store_report: reports in the store (see store_report.h; tables in
 * daemon/store_schema.c, version 6).  SQL goes through the statement facade
 * of daemon/store; no sqlite3.h here.
 *
 * Speed: a 100 MB aggregate report is ~300k rows in one transaction, so
 * add_row is one cached prepared statement (bound, stepped, reset) with no
 * savepoint around it (one INSERT is atomic by itself) and the report's
 * domain and date range are copied by the INSERT itself from the reports
 * row (one primary-key lookup) rather than trusted from the caller.
 *
 * What it does not: parse reports (mail/report*), decide anything
 * (daemon/report_analysis), resolve names (daemon/report_worker).
 */
#include <string.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/store_prune.h"
#include "daemon/store_report.h"
#include "daemon/store_result.h"

/* clang-format off */
static const char SQL_OPEN[] =
	"INSERT INTO reports (kind, reporter, reporter_email, report_id, domain, range_begin,"
	" range_end, source, container, received, policy_p, policy_sp, pct, adkim, aspf)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
	" ON CONFLICT (kind, reporter, report_id) DO NOTHING";
static const char SQL_ROW[] =
	"INSERT INTO report_rows (report, domain, range_begin, range_end, source_ip, count,"
	" disposition, dkim_eval, spf_eval, dmarc_pass, auth_pass, header_from, envelope_from,"
	" reason_types, dkim_auth, spf_auth, auth_domains)"
	" SELECT id, domain, range_begin, range_end, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	" ?12, ?13, ?14 FROM reports WHERE id = ?1 AND kind = 'aggregate'";
static const char SQL_POLICY[] =
	"INSERT INTO tlsrpt_policies (report, domain, range_begin, range_end, reporter,"
	" policy_type, policy_domain, policy_string, mx_host, success, failure)"
	" SELECT id, CASE WHEN ?2 <> '' THEN ?2 ELSE domain END, range_begin, range_end,"
	" reporter, ?3, ?2, ?4, ?5, ?6, ?7 FROM reports WHERE id = ?1 AND kind = 'tlsrpt'";
static const char SQL_TLSFAIL[] =
	"INSERT INTO tlsrpt_failures (policy, result_type, sending_mta_ip, receiving_ip,"
	" receiving_mx_hostname, additional_information, failure_reason_code, count)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_FAILURE[] =
	"INSERT INTO report_failures (report, domain, arrival, received, reporter, source_ip,"
	" auth_failure, from_addr, subject, message_id, mail_from, rcpt_to, dkim_domain,"
	" dkim_selector, spf_dns, delivery_result, identity_alignment, auth_results)"
	" SELECT id, CASE WHEN ?2 <> '' THEN ?2 ELSE domain END,"
	" CASE WHEN ?3 > 0 THEN ?3 ELSE range_begin END, received, reporter, ?4, ?5, ?6, ?7,"
	" ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16 FROM reports WHERE id = ?1"
	" AND kind = 'failure'";
static const char SQL_FINISH[] =
	"UPDATE reports SET records = ?2, messages = ?3 WHERE id = ?1";
/* RFC 7489 7.2.1.1: policy_evaluated is the DMARC verdict of the reporter */
static const char SQL_COUNT[] =
	"INSERT INTO report_counters (domain, result, messages)"
	" SELECT p.domain, ?2, (SELECT coalesce(sum(count), 0) FROM report_rows r"
	" WHERE r.report = p.id AND r.dmarc_pass = ?3) FROM reports p"
	" WHERE p.id = ?1 AND p.kind = 'aggregate'"
	" ON CONFLICT (domain, result) DO UPDATE SET messages = messages + excluded.messages";
static const char SQL_RDNS_SEEN[] =
	"INSERT OR IGNORE INTO report_rdns (ip) SELECT DISTINCT source_ip FROM report_rows"
	" WHERE report = ?1";
static const char SQL_REJECT[] =
	"INSERT INTO report_rejects (at, source, file, reason) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_RDNS_SET[] =
	"INSERT INTO report_rdns (ip, ptr, base, resolved_at) VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT (ip) DO UPDATE SET ptr = excluded.ptr, base = excluded.base,"
	" resolved_at = excluded.resolved_at";
static const char SQL_PRUNE_ROWS[] =
	"DELETE FROM report_rows WHERE id IN (SELECT r.id FROM reports p JOIN report_rows r"
	" ON r.report = p.id WHERE p.range_end < ?1 LIMIT 5000)";
static const char SQL_PRUNE_TLSFAIL[] =
	"DELETE FROM tlsrpt_failures WHERE id IN (SELECT f.id FROM reports p"
	" JOIN tlsrpt_policies t ON t.report = p.id JOIN tlsrpt_failures f ON f.policy = t.id"
	" WHERE p.range_end < ?1 LIMIT 5000)";
static const char SQL_PRUNE_POLICIES[] =
	"DELETE FROM tlsrpt_policies WHERE id IN (SELECT t.id FROM reports p"
	" JOIN tlsrpt_policies t ON t.report = p.id WHERE p.range_end < ?1 LIMIT 5000)";
static const char SQL_PRUNE_FAILURES[] =
	"DELETE FROM report_failures WHERE id IN (SELECT f.id FROM reports p"
	" JOIN report_failures f ON f.report = p.id WHERE p.range_end < ?1 LIMIT 5000)";
static const char SQL_PRUNE_REPORTS[] =
	"DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE range_end < ?1"
	" LIMIT 5000)";
static const char SQL_PRUNE_REJECTS[] =
	"DELETE FROM report_rejects WHERE id IN (SELECT id FROM report_rejects WHERE at < ?1"
	" LIMIT 5000)";
/* ?1 is unused: the chunk loop binds it */
static const char SQL_PRUNE_RDNS[] =
	"DELETE FROM report_rdns WHERE ip IN (SELECT ip FROM report_rdns WHERE ?1 = ?1"
	" AND ip NOT IN (SELECT source_ip FROM report_rows) LIMIT 5000)";
/* clang-format on */

/* v or "" (optional text members may be NULL). */
static const char *nz(const char *v)
{
	return v != NULL ? v : "";
}

/* A required text: present (ERR_INVAL) and at most max bytes (ERR_LIMIT). */
static enum mp_err need(struct daemon_store *s, const char *what, const char *v, size_t max,
			bool nonempty)
{
	if (v == NULL || (nonempty && *v == '\0'))
		return daemon_store_fail(s, ERR_INVAL, "report: %s missing", what);
	return daemon_store_check_len(s, what, v, strlen(v), max);
}

/* An optional text: at most max bytes. */
static enum mp_err opt(struct daemon_store *s, const char *what, const char *v, size_t max)
{
	return daemon_store_check_len(s, what, v, v ? strlen(v) : 0, max);
}

static enum mp_err check_count(struct daemon_store *s, const char *what, uint64_t v)
{
	if (v > DAEMON_STORE_REPORT_MAX_COUNT)
		return daemon_store_fail(s, ERR_LIMIT, "report: %s %llu is implausibly large", what,
					 (unsigned long long)v);
	return ERR_OK;
}

static bool kind_ok(const char *k)
{
	return strcmp(k, "aggregate") == 0 || strcmp(k, "tlsrpt") == 0 || strcmp(k, "failure") == 0;
}

static enum mp_err head_check(struct daemon_store *s, const struct daemon_report_head *h)
{
	enum mp_err e = need(s, "kind", h->kind, 16, true);

	if (e == ERR_OK && !kind_ok(h->kind))
		e = daemon_store_fail(s, ERR_INVAL, "report: unknown kind");
	if (e == ERR_OK)
		e = need(s, "reporter", h->reporter, DAEMON_STORE_REPORT_MAX_FIELD, true);
	if (e == ERR_OK)
		e = need(s, "report id", h->report_id, DAEMON_STORE_REPORT_MAX_FIELD, true);
	if (e == ERR_OK)
		e = need(s, "domain", h->domain, DAEMON_STORE_MAX_NAME, true);
	if (e == ERR_OK)
		e = need(s, "source", h->source, DAEMON_STORE_MAX_NAME, true);
	if (e == ERR_OK)
		e = opt(s, "reporter email", h->reporter_email, DAEMON_STORE_REPORT_MAX_FIELD);
	if (e == ERR_OK)
		e = opt(s, "container", h->container, DAEMON_STORE_REPORT_MAX_FIELD);
	if (e == ERR_OK)
		e = opt(s, "policy p", h->policy_p, 32);
	if (e == ERR_OK)
		e = opt(s, "policy sp", h->policy_sp, 32);
	if (e == ERR_OK && (h->received < 0 || h->pct < -1 || h->pct > 100))
		e = daemon_store_fail(s, ERR_INVAL, "report: bad received time or pct");
	/* a range ending far after arrival would sit in every window and never be pruned */
	if (e == ERR_OK &&
	    (h->begin < 0 || h->end < 0 || h->end > h->received + DAEMON_STORE_REPORT_MAX_FUTURE))
		e = daemon_store_fail(s, ERR_INVAL,
				      "report: date range %lld..%lld is negative or ends more than "
				      "a week after the report arrived",
				      (long long)h->begin, (long long)h->end);
	return e;
}

static void bind_char(struct daemon_store_stmt *q, int i, char c)
{
	char v[2] = {c, '\0'};

	daemon_store_bind_text(q, i, v);
}

enum mp_err daemon_store_report_open(struct daemon_store *s, const struct daemon_report_head *h,
				     int64_t *id, bool *dup)
{
	struct daemon_store_stmt *q;
	int64_t changed = 0, rid = 0;
	enum mp_err e = head_check(s, h);

	if (e != ERR_OK)
		return e;
	e = daemon_store_prepare(s, SQL_OPEN, &q);
	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, h->kind);
	daemon_store_bind_text(q, 2, h->reporter);
	daemon_store_bind_text(q, 3, nz(h->reporter_email));
	daemon_store_bind_text(q, 4, h->report_id);
	daemon_store_bind_text(q, 5, h->domain);
	daemon_store_bind_int(q, 6, h->begin);
	daemon_store_bind_int(q, 7, h->end);
	daemon_store_bind_text(q, 8, h->source);
	daemon_store_bind_text(q, 9, nz(h->container));
	daemon_store_bind_int(q, 10, h->received);
	daemon_store_bind_text(q, 11, nz(h->policy_p));
	daemon_store_bind_text(q, 12, nz(h->policy_sp));
	if (h->pct >= 0)
		daemon_store_bind_int(q, 13, h->pct);
	else
		daemon_store_bind_null(q, 13);
	bind_char(q, 14, h->adkim == 's' || h->adkim == 'r' ? h->adkim : 0);
	bind_char(q, 15, h->aspf == 's' || h->aspf == 'r' ? h->aspf : 0);
	e = daemon_store_run(q);
	if (e == ERR_OK) {
		changed = daemon_store_changes(s);
		rid = changed > 0 ? daemon_store_last_id(s) : 0;
	}
	if (e != ERR_OK)
		return e;
	/* issue 5 "Deduplicated": the same (kind, reporter, report id) counts once */
	*dup = changed == 0;
	*id = rid;
	return ERR_OK;
}

/* "a, b" lists of one record's auth results: DKIM "d=D s=S result", SPF "D scope result". */
static enum mp_err auth_lists(const struct mail_agg_record *r, struct buf *dkim, struct buf *spf,
			      struct buf *passed)
{
	enum mp_err e = ERR_OK;

	for (size_t i = 0; e == ERR_OK && i < r->n_dkim && i < MAIL_AGG_MAX_AUTH; i++)
		e = common_buf_printf(dkim, "%sd=%s s=%s %s", dkim->len ? ", " : "",
				      nz(r->dkim[i].domain), nz(r->dkim[i].selector),
				      mail_agg_result_name(r->dkim[i].result));
	for (size_t i = 0; e == ERR_OK && i < r->n_spf && i < MAIL_AGG_MAX_AUTH; i++)
		e = common_buf_printf(spf, "%s%s%s%s %s", spf->len ? ", " : "",
				      nz(r->spf[i].domain), *nz(r->spf[i].scope) ? " " : "",
				      nz(r->spf[i].scope), mail_agg_result_name(r->spf[i].result));
	for (size_t k = 0; e == ERR_OK && k < 2; k++) {
		const struct mail_agg_auth *a = k == 0 ? r->dkim : r->spf;
		size_t n = k == 0 ? r->n_dkim : r->n_spf;

		for (size_t i = 0; e == ERR_OK && i < n && i < MAIL_AGG_MAX_AUTH; i++)
			if (a[i].result == MAIL_AGG_RES_PASS && *nz(a[i].domain))
				e = common_buf_printf(passed, "%s%s", passed->len ? "," : "",
						      a[i].domain);
	}
	return e;
}

static bool any_pass(const struct mail_agg_auth *a, size_t n)
{
	for (size_t i = 0; i < n && i < MAIL_AGG_MAX_AUTH; i++)
		if (a[i].result == MAIL_AGG_RES_PASS)
			return true;
	return false;
}

static enum mp_err row_check(struct daemon_store *s, const struct mail_agg_record *r)
{
	enum mp_err e = need(s, "source ip", r->source_ip, sizeof r->source_ip - 1, true);

	if (e == ERR_OK && memchr(r->source_ip, '\0', sizeof r->source_ip) == NULL)
		e = daemon_store_fail(s, ERR_INVAL, "report: source ip not terminated");
	if (e == ERR_OK)
		e = need(s, "header_from", r->header_from, DAEMON_STORE_REPORT_MAX_FIELD, false);
	if (e == ERR_OK)
		e = opt(s, "envelope_from", r->envelope_from, DAEMON_STORE_REPORT_MAX_FIELD);
	if (e == ERR_OK)
		e = opt(s, "reason types", r->reason_types, DAEMON_STORE_REPORT_MAX_FIELD);
	if (e == ERR_OK)
		e = check_count(s, "record count", r->count);
	return e;
}

static void row_bind(struct daemon_store_stmt *q, int64_t id, const struct mail_agg_record *r,
		     const struct buf *dkim, const struct buf *spf, const struct buf *passed)
{
	bool dmarc = r->dkim_eval == MAIL_AGG_RES_PASS || r->spf_eval == MAIL_AGG_RES_PASS;
	bool auth = any_pass(r->dkim, r->n_dkim) || any_pass(r->spf, r->n_spf);

	daemon_store_bind_int(q, 1, id);
	daemon_store_bind_text(q, 2, r->source_ip);
	daemon_store_bind_int(q, 3, (int64_t)r->count);
	daemon_store_bind_text(q, 4, mail_agg_disposition_name(r->disposition));
	daemon_store_bind_text(q, 5, mail_agg_result_name(r->dkim_eval));
	daemon_store_bind_text(q, 6, mail_agg_result_name(r->spf_eval));
	daemon_store_bind_int(q, 7, dmarc);
	daemon_store_bind_int(q, 8, auth);
	daemon_store_bind_text(q, 9, r->header_from);
	daemon_store_bind_text(q, 10, nz(r->envelope_from));
	daemon_store_bind_text(q, 11, nz(r->reason_types));
	daemon_store_bind_text(q, 12, common_buf_str(dkim));
	daemon_store_bind_text(q, 13, common_buf_str(spf));
	daemon_store_bind_text(q, 14, common_buf_str(passed));
}

enum mp_err daemon_store_report_add_row(struct daemon_store *s, int64_t id,
					const struct mail_agg_meta *m,
					const struct mail_agg_record *r)
{
	struct daemon_store_stmt *q;
	struct buf dkim, spf, passed;
	enum mp_err e = row_check(s, r);

	(void)m; /* domain and date range come from the reports row */
	if (e != ERR_OK)
		return e;
	common_buf_init(&dkim, DAEMON_STORE_REPORT_MAX_FIELD);
	common_buf_init(&spf, DAEMON_STORE_REPORT_MAX_FIELD);
	common_buf_init(&passed, DAEMON_STORE_REPORT_MAX_FIELD);
	e = auth_lists(r, &dkim, &spf, &passed);
	if (e != ERR_OK)
		e = daemon_store_fail(s, ERR_LIMIT, "report: auth results too long");
	if (e == ERR_OK)
		e = daemon_store_prepare(s, SQL_ROW, &q);
	if (e == ERR_OK) {
		row_bind(q, id, r, &dkim, &spf, &passed);
		e = daemon_store_run(q);
	}
	if (e == ERR_OK && daemon_store_changes(s) == 0)
		e = daemon_store_fail(s, ERR_NOTFOUND, "report %lld: no such aggregate report",
				      (long long)id);
	common_buf_free(&dkim);
	common_buf_free(&spf);
	common_buf_free(&passed);
	return e;
}

static enum mp_err policy_check(struct daemon_store *s, const struct mail_tlsrpt_policy *p)
{
	enum mp_err e = need(s, "policy type", p->policy_type, DAEMON_STORE_MAX_NAME, true);

	if (e == ERR_OK)
		e = opt(s, "policy domain", p->policy_domain, DAEMON_STORE_MAX_NAME);
	if (e == ERR_OK)
		e = opt(s, "policy string", p->policy_string, DAEMON_STORE_MAX_TEXT);
	if (e == ERR_OK)
		e = opt(s, "mx host", p->mx_host, DAEMON_STORE_MAX_TEXT);
	if (e == ERR_OK)
		e = check_count(s, "session count", p->success);
	if (e == ERR_OK)
		e = check_count(s, "session count", p->failure);
	for (size_t i = 0; e == ERR_OK && i < p->n_failures; i++) {
		const struct mail_tlsrpt_failure *f = &p->failures[i];
		const char *const t[] = {f->sending_mta_ip, f->receiving_ip,
					 f->receiving_mx_hostname, f->additional_information,
					 f->failure_reason_code};

		e = need(s, "result type", f->result_type, DAEMON_STORE_MAX_NAME, true);
		for (size_t k = 0; e == ERR_OK && k < 5; k++)
			e = opt(s, "failure detail", t[k], DAEMON_STORE_REPORT_MAX_FIELD);
		if (e == ERR_OK)
			e = check_count(s, "failed session count", f->failed_session_count);
	}
	return e;
}

static enum mp_err add_tlsfail(struct daemon_store *s, int64_t pid,
			       const struct mail_tlsrpt_failure *f)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_TLSFAIL, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, pid);
	daemon_store_bind_text(q, 2, f->result_type);
	daemon_store_bind_text(q, 3, nz(f->sending_mta_ip));
	daemon_store_bind_text(q, 4, nz(f->receiving_ip));
	daemon_store_bind_text(q, 5, nz(f->receiving_mx_hostname));
	daemon_store_bind_text(q, 6, nz(f->additional_information));
	daemon_store_bind_text(q, 7, nz(f->failure_reason_code));
	daemon_store_bind_int(q, 8, (int64_t)f->failed_session_count);
	return daemon_store_run(q);
}

static enum mp_err add_policy(struct daemon_store *s, int64_t id,
			      const struct mail_tlsrpt_policy *p)
{
	struct daemon_store_stmt *q;
	int64_t pid;
	enum mp_err e = daemon_store_prepare(s, SQL_POLICY, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, id);
	daemon_store_bind_text(q, 2, nz(p->policy_domain));
	daemon_store_bind_text(q, 3, p->policy_type);
	daemon_store_bind_text(q, 4, nz(p->policy_string));
	daemon_store_bind_text(q, 5, nz(p->mx_host));
	daemon_store_bind_int(q, 6, (int64_t)p->success);
	daemon_store_bind_int(q, 7, (int64_t)p->failure);
	e = daemon_store_run(q);
	if (e == ERR_OK && daemon_store_changes(s) == 0)
		return daemon_store_fail(s, ERR_NOTFOUND, "report %lld: no such TLS report",
					 (long long)id);
	pid = daemon_store_last_id(s);
	for (size_t i = 0; e == ERR_OK && i < p->n_failures; i++)
		e = add_tlsfail(s, pid, &p->failures[i]);
	return e;
}

enum mp_err daemon_store_report_add_tlsrpt(struct daemon_store *s, int64_t id,
					   const struct mail_tlsrpt *t)
{
	enum mp_err e = ERR_OK;

	for (size_t i = 0; e == ERR_OK && i < t->n_policies; i++)
		e = policy_check(s, &t->policies[i]);
	if (e != ERR_OK)
		return e;
	e = daemon_store_op_begin(s, false);
	if (e != ERR_OK)
		return e;
	for (size_t i = 0; e == ERR_OK && i < t->n_policies; i++)
		e = add_policy(s, id, &t->policies[i]);
	return daemon_store_op_end(s, e);
}

#define ARF_TEXTS 15

enum mp_err daemon_store_report_add_failure(struct daemon_store *s, int64_t id,
					    const struct mail_arf *f)
{
	const char *const t[ARF_TEXTS] = {f->reported_domain,
					  f->source_ip,
					  f->auth_failure,
					  f->orig_from,
					  f->orig_subject,
					  f->orig_message_id,
					  f->original_mail_from,
					  f->original_rcpt_to,
					  f->dkim_domain,
					  f->dkim_selector,
					  f->spf_dns,
					  f->delivery_result,
					  f->identity_alignment,
					  f->authentication_results,
					  NULL};
	struct daemon_store_stmt *q;
	enum mp_err e = opt(s, "reported domain", t[0], DAEMON_STORE_MAX_NAME);

	for (size_t i = 1; e == ERR_OK && i < ARF_TEXTS - 1; i++)
		e = opt(s, "failure report field", t[i], DAEMON_STORE_REPORT_MAX_FIELD);
	if (e == ERR_OK)
		e = daemon_store_prepare(s, SQL_FAILURE, &q);
	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, id);
	daemon_store_bind_int(q, 3, f->arrival);
	daemon_store_bind_text(q, 2, nz(t[0]));
	for (int i = 1; i < ARF_TEXTS - 1; i++)
		daemon_store_bind_text(q, i + 3, nz(t[i]));
	e = daemon_store_run(q);
	if (e == ERR_OK && daemon_store_changes(s) == 0)
		e = daemon_store_fail(s, ERR_NOTFOUND, "report %lld: no such failure report",
				      (long long)id);
	return e;
}

static enum mp_err run_id(struct daemon_store *s, const char *sql, int64_t id)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, sql, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, id);
	return daemon_store_run(q);
}

static enum mp_err bump(struct daemon_store *s, int64_t id, bool pass)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_COUNT, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, id);
	daemon_store_bind_text(q, 2, pass ? "pass" : "fail");
	daemon_store_bind_int(q, 3, pass);
	return daemon_store_run(q);
}

enum mp_err daemon_store_report_finish(struct daemon_store *s, int64_t id, uint64_t records,
				       uint64_t messages)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_op_begin(s, false);

	if (e != ERR_OK)
		return e;
	e = daemon_store_prepare(s, SQL_FINISH, &q);
	if (e == ERR_OK) {
		daemon_store_bind_int(q, 1, id);
		daemon_store_bind_int(q, 2, records > INT64_MAX ? INT64_MAX : (int64_t)records);
		daemon_store_bind_int(q, 3, messages > INT64_MAX ? INT64_MAX : (int64_t)messages);
		e = daemon_store_run(q);
	}
	if (e == ERR_OK && daemon_store_changes(s) == 0)
		e = daemon_store_fail(s, ERR_NOTFOUND, "report %lld: no such report",
				      (long long)id);
	if (e == ERR_OK)
		e = bump(s, id, true);
	if (e == ERR_OK)
		e = bump(s, id, false);
	if (e == ERR_OK)
		e = run_id(s, SQL_RDNS_SEEN, id);
	return daemon_store_op_end(s, e);
}

enum mp_err daemon_store_report_reject_add(struct daemon_store *s, int64_t at, const char *source,
					   const char *file, const char *reason)
{
	struct daemon_store_stmt *q;
	enum mp_err e = need(s, "reject source", source, DAEMON_STORE_MAX_NAME, true);

	if (e == ERR_OK)
		e = opt(s, "reject file", file, DAEMON_STORE_REPORT_MAX_FIELD);
	if (e == ERR_OK)
		e = need(s, "reject reason", reason, DAEMON_STORE_MAX_TEXT, true);
	if (e != ERR_OK)
		return e;
	e = daemon_store_op_begin(s, false);
	if (e != ERR_OK)
		return e;
	e = daemon_store_prepare(s, SQL_REJECT, &q);
	if (e == ERR_OK) {
		daemon_store_bind_int(q, 1, at);
		daemon_store_bind_text(q, 2, source);
		daemon_store_bind_text(q, 3, nz(file));
		daemon_store_bind_text(q, 4, reason);
		e = daemon_store_run(q);
	}
	return daemon_store_op_end(s, e);
}

enum mp_err daemon_store_report_rdns_set(struct daemon_store *s, const char *ip, const char *ptr,
					 const char *base, int64_t now)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_check_name(s, "rdns ip", ip, 64);

	if (e == ERR_OK)
		e = opt(s, "rdns ptr", ptr, DAEMON_STORE_MAX_NAME);
	if (e == ERR_OK)
		e = opt(s, "rdns base", base, DAEMON_STORE_MAX_NAME);
	if (e != ERR_OK)
		return e;
	e = daemon_store_op_begin(s, false);
	if (e != ERR_OK)
		return e;
	e = daemon_store_prepare(s, SQL_RDNS_SET, &q);
	if (e == ERR_OK) {
		daemon_store_bind_text(q, 1, ip);
		daemon_store_bind_text(q, 2, nz(ptr));
		daemon_store_bind_text(q, 3, nz(base));
		daemon_store_bind_int(q, 4, now);
		e = daemon_store_run(q);
	}
	return daemon_store_op_end(s, e);
}

enum mp_err daemon_store_report_prune(struct daemon_store *s, int64_t before, uint64_t *deleted)
{
	static const char *const steps[] = {SQL_PRUNE_ROWS,	SQL_PRUNE_TLSFAIL,
					    SQL_PRUNE_POLICIES, SQL_PRUNE_FAILURES,
					    SQL_PRUNE_REPORTS,	SQL_PRUNE_REJECTS};
	uint64_t n[6] = {0}, ips = 0;
	enum mp_err e = ERR_OK;

	if (daemon_store_in_batch(s))
		return daemon_store_fail(s, ERR_INVAL, "report prune: not inside a batch");
	for (size_t i = 0; e == ERR_OK && i < 6; i++)
		e = daemon_store_prune_loop(s, steps[i], before, &n[i]);
	/* names of IPs no report mentions any more (a full scan: only after a delete) */
	if (e == ERR_OK && n[4] > 0)
		e = daemon_store_prune_loop(s, SQL_PRUNE_RDNS, 0, &ips);
	if (e != ERR_OK)
		return e;
	if (n[4] > 0)
		log_info("store", "reports-pruned reports=%llu rows=%llu rejects=%llu ips=%llu",
			 (unsigned long long)n[4], (unsigned long long)n[0],
			 (unsigned long long)n[5], (unsigned long long)ips);
	if (deleted != NULL)
		*deleted = n[4];
	return ERR_OK;
}
