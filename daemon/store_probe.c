/*
 * daemon/store_probe: probes and inbound messages in the store (see
 * store_probe.h; tables in daemon/store_schema.c, version 5).  SQL goes
 * through the statement facade of daemon/store; no sqlite3.h here.
 * Round trips are kept as integer milliseconds and the sub-second part of
 * an inbound time as integer microseconds (the facade binds integers).
 */
#include <string.h>
#include <strings.h>
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/store_probe.h"
#include "daemon/store_prune.h"
#include "daemon/store_result.h"

/* clang-format off */
static const char SQL_INBOUND_ADD[] =
	"INSERT INTO inbound (received, received_us, source, folder, client_ip, helo,"
	" mail_from, rcpts, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_INBOUND_PENDING[] =
	"SELECT id, received, received_us, source, folder, client_ip, helo, mail_from, rcpts,"
	" data FROM inbound WHERE kind IS NULL ORDER BY id LIMIT ?1";
static const char SQL_INBOUND_DONE[] =
	"UPDATE inbound SET kind = ?2 WHERE id = ?1";
#define PROBE_COLS "token, domain, state, created, submitted, received, roundtrip_ms," \
	" relay, rcpt, queue_id, error, folder, spf, dkim, dmarc, aligned, bounce_status," \
	" bounce_reason, bounce_code, bounce_diag, detail_json"
static const char SQL_PROBE_INSERT[] =
	"INSERT INTO probes (" PROBE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";
static const char SQL_PROBE_UPDATE[] =
	"UPDATE probes SET domain = ?2, state = ?3, created = ?4, submitted = ?5, received = ?6,"
	" roundtrip_ms = ?7, relay = ?8, rcpt = ?9, queue_id = ?10, error = ?11, folder = ?12,"
	" spf = ?13, dkim = ?14, dmarc = ?15, aligned = ?16, bounce_status = ?17,"
	" bounce_reason = ?18, bounce_code = ?19, bounce_diag = ?20, detail_json = ?21"
	" WHERE token = ?1";
static const char SQL_PROBE_GET[] =
	"SELECT " PROBE_COLS " FROM probes WHERE token = ?1";
static const char SQL_PROBE_RECENT[] =
	"SELECT " PROBE_COLS " FROM probes WHERE domain = ?1 ORDER BY created DESC, id DESC"
	" LIMIT ?2";
static const char SQL_PROBE_OPEN[] =
	"SELECT " PROBE_COLS " FROM probes WHERE state IN ('pending','submitted','received')"
	" ORDER BY created, id";
static const char SQL_PRUNE_PROBES[] =
	"DELETE FROM probes WHERE id IN (SELECT id FROM (SELECT id, state, row_number() OVER"
	" (PARTITION BY domain ORDER BY created DESC, id DESC) AS rn FROM probes)"
	" WHERE rn > ?1 AND state NOT IN ('pending','submitted','received') LIMIT 5000)";
static const char SQL_PRUNE_INBOUND[] =
	"DELETE FROM inbound WHERE id IN (SELECT id FROM inbound WHERE kind IS NOT NULL"
	" AND received < ?1 LIMIT 5000)";
/* clang-format on */

static const char *const state_names[] = {"pending",  "submitted", "send_failed", "received",
					  "verified", "failed",	   "bounced",	  "lost"};
#define N_STATES (sizeof state_names / sizeof state_names[0])

const char *daemon_probe_state_name(enum daemon_probe_state st)
{
	return (unsigned)st < N_STATES ? state_names[st] : "?";
}

bool daemon_probe_state_parse(const char *name, enum daemon_probe_state *out)
{
	for (size_t i = 0; name != NULL && i < N_STATES; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum daemon_probe_state)i;
			return true;
		}
	}
	return false;
}

/* v or "" (the optional text members may be NULL). */
static const char *nz(const char *v)
{
	return v != NULL ? v : "";
}

/* An optional text member: no longer than max bytes. */
static enum mp_err check_text(struct daemon_store *s, const char *what, const char *v, size_t max)
{
	return daemon_store_check_len(s, what, v, v ? strlen(v) : 0, max);
}

/* ---- inbound ---- */

static enum mp_err inbound_check(struct daemon_store *s, const struct daemon_inbound_row *r)
{
	enum mp_err e =
	    daemon_store_check_name(s, "inbound source", r->source, DAEMON_STORE_MAX_NAME);
	const char *const texts[] = {r->folder, r->client_ip, r->helo, r->mail_from, r->rcpts};
	static const char *const names[] = {"folder", "client_ip", "helo", "mail_from", "rcpts"};

	for (size_t i = 0; e == ERR_OK && i < 5; i++)
		e = check_text(s, names[i], texts[i], DAEMON_STORE_MAX_PROBE_TEXT);
	if (e == ERR_OK && r->data == NULL)
		e = daemon_store_fail(s, ERR_INVAL, "inbound: no message");
	if (e == ERR_OK)
		e = daemon_store_check_len(s, "inbound message", r->data, r->len,
					   DAEMON_STORE_MAX_MESSAGE);
	if (e == ERR_OK && (r->received < 0 || !(r->received_frac >= 0 && r->received_frac < 1)))
		e = daemon_store_fail(s, ERR_INVAL, "inbound: bad received time");
	return e;
}

enum mp_err daemon_store_inbound_add(struct daemon_store *s, const struct daemon_inbound_row *r,
				     int64_t *id)
{
	struct daemon_store_stmt *q;
	int64_t us;
	enum mp_err e = inbound_check(s, r);

	if (e != ERR_OK)
		return e;
	/* issue 4: the listener answers 250 after this commit, so it must survive power loss. */
	e = daemon_store_op_begin(s, true);
	if (e != ERR_OK)
		return e;
	e = daemon_store_prepare(s, SQL_INBOUND_ADD, &q);
	if (e == ERR_OK) {
		us = (int64_t)(r->received_frac * 1e6);
		daemon_store_bind_int(q, 1, r->received);
		daemon_store_bind_int(q, 2, us > 999999 ? 999999 : us);
		daemon_store_bind_text(q, 3, r->source);
		daemon_store_bind_text(q, 4, nz(r->folder));
		daemon_store_bind_text(q, 5, nz(r->client_ip));
		daemon_store_bind_text(q, 6, nz(r->helo));
		daemon_store_bind_text(q, 7, nz(r->mail_from));
		daemon_store_bind_text(q, 8, nz(r->rcpts));
		/* a zero-length message is still a message: bind a non-NULL pointer */
		daemon_store_bind_blob(q, 9, r->len ? r->data : "", r->len);
		e = daemon_store_run(q);
	}
	us = e == ERR_OK ? daemon_store_last_id(s) : 0;
	e = daemon_store_op_end(s, e);
	if (e == ERR_OK && id != NULL)
		*id = us;
	return e;
}

static void inbound_read(struct daemon_store_stmt *q, struct daemon_inbound_row *r)
{
	r->id = daemon_store_col_int(q, 0);
	r->received = daemon_store_col_int(q, 1);
	r->received_frac = (double)daemon_store_col_int(q, 2) / 1e6;
	r->source = daemon_store_col_str(q, 3);
	r->folder = daemon_store_col_str(q, 4);
	r->client_ip = daemon_store_col_str(q, 5);
	r->helo = daemon_store_col_str(q, 6);
	r->mail_from = daemon_store_col_str(q, 7);
	r->rcpts = daemon_store_col_str(q, 8);
	r->data = daemon_store_col_blob(q, 9, &r->len);
	if (r->data == NULL) {
		r->data = xstrdup("");
		r->len = 0;
	}
}

enum mp_err daemon_store_inbound_pending(struct daemon_store *s, size_t max,
					 struct daemon_inbound_row **out, size_t *n)
{
	struct daemon_store_stmt *q;
	struct daemon_inbound_row *v = NULL;
	size_t cnt = 0;
	enum mp_err e = daemon_store_prepare(s, SQL_INBOUND_PENDING, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, max == 0 || max > INT64_MAX ? -1 : (int64_t)max);
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		v = xreallocarray(v, cnt + 1, sizeof *v);
		memset(&v[cnt], 0, sizeof v[cnt]);
		inbound_read(q, &v[cnt++]);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_inbound_rows_free(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return ERR_OK;
}

enum mp_err daemon_store_inbound_done(struct daemon_store *s, int64_t id, const char *kind)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_check_name(s, "inbound kind", kind, 32);

	if (e != ERR_OK)
		return e;
	e = daemon_store_op_begin(s, false);
	if (e != ERR_OK)
		return e;
	e = daemon_store_prepare(s, SQL_INBOUND_DONE, &q);
	if (e == ERR_OK) {
		daemon_store_bind_int(q, 1, id);
		daemon_store_bind_text(q, 2, kind);
		e = daemon_store_run(q);
	}
	if (e == ERR_OK && daemon_store_changes(s) != 1)
		e = daemon_store_fail(s, ERR_NOTFOUND, "inbound %lld: no such message",
				      (long long)id);
	return daemon_store_op_end(s, e);
}

void daemon_store_inbound_rows_free(struct daemon_inbound_row *r, size_t n)
{
	for (size_t i = 0; r != NULL && i < n; i++) {
		free(r[i].source);
		free(r[i].folder);
		free(r[i].client_ip);
		free(r[i].helo);
		free(r[i].mail_from);
		free(r[i].rcpts);
		free(r[i].data);
	}
	free(r);
}

/* ---- probes ---- */

static enum mp_err probe_check(struct daemon_store *s, const struct daemon_probe_row *r)
{
	const char *const texts[] = {r->relay,	       r->rcpt,		 r->queue_id,	r->error,
				     r->folder,	       r->spf,		 r->dkim,	r->dmarc,
				     r->bounce_status, r->bounce_reason, r->bounce_diag};
	static const char *const names[] = {"relay",	     "rcpt",	      "queue_id",   "error",
					    "folder",	     "spf",	      "dkim",	    "dmarc",
					    "bounce_status", "bounce_reason", "bounce_diag"};
	enum mp_err e;

	if (memchr(r->token, '\0', sizeof r->token) == NULL)
		return daemon_store_fail(s, ERR_INVAL, "probe token: not terminated");
	e = daemon_store_check_name(s, "probe token", r->token, sizeof r->token - 1);
	if (e == ERR_OK)
		e = daemon_store_check_name(s, "probe domain", r->domain, DAEMON_STORE_MAX_NAME);
	if (e == ERR_OK && (unsigned)r->state >= N_STATES)
		e = daemon_store_fail(s, ERR_INVAL, "probe: bad state");
	for (size_t i = 0; e == ERR_OK && i < sizeof texts / sizeof texts[0]; i++)
		e = check_text(s, names[i], texts[i], DAEMON_STORE_MAX_PROBE_TEXT);
	if (e == ERR_OK)
		e = check_text(s, "detail_json", r->detail_json, DAEMON_STORE_MAX_DETAIL);
	if (e == ERR_OK && !(r->roundtrip_s < 1e9)) /* also refuses NaN */
		e = daemon_store_fail(s, ERR_INVAL, "probe: bad round trip");
	return e;
}

/* Bind every column of r as ?1..?21 in PROBE_COLS order. */
static void probe_bind(struct daemon_store_stmt *q, const struct daemon_probe_row *r)
{
	daemon_store_bind_text(q, 1, r->token);
	daemon_store_bind_text(q, 2, r->domain);
	daemon_store_bind_text(q, 3, daemon_probe_state_name(r->state));
	daemon_store_bind_int(q, 4, r->created);
	daemon_store_bind_int(q, 5, r->submitted);
	daemon_store_bind_int(q, 6, r->received);
	if (r->roundtrip_s < 0)
		daemon_store_bind_null(q, 7);
	else
		daemon_store_bind_int(q, 7, (int64_t)(r->roundtrip_s * 1000.0 + 0.5));
	daemon_store_bind_text(q, 8, nz(r->relay));
	daemon_store_bind_text(q, 9, nz(r->rcpt));
	daemon_store_bind_text(q, 10, nz(r->queue_id));
	daemon_store_bind_text(q, 11, nz(r->error));
	daemon_store_bind_text(q, 12, nz(r->folder));
	daemon_store_bind_text(q, 13, nz(r->spf));
	daemon_store_bind_text(q, 14, nz(r->dkim));
	daemon_store_bind_text(q, 15, nz(r->dmarc));
	daemon_store_bind_int(q, 16, r->aligned ? 1 : 0);
	daemon_store_bind_text(q, 17, nz(r->bounce_status));
	daemon_store_bind_text(q, 18, nz(r->bounce_reason));
	daemon_store_bind_int(q, 19, r->bounce_code);
	daemon_store_bind_text(q, 20, nz(r->bounce_diag));
	daemon_store_bind_text(q, 21, r->detail_json && *r->detail_json ? r->detail_json : "{}");
}

/* A TEXT column, never NULL (caller frees). */
static char *col(struct daemon_store_stmt *q, int i)
{
	char *v = daemon_store_col_str(q, i);

	return v != NULL ? v : xstrdup("");
}

static void probe_read(struct daemon_store_stmt *q, struct daemon_probe_row *r)
{
	const char *tok = daemon_store_col_text(q, 0);
	enum daemon_probe_state st = DAEMON_PROBE_PENDING;

	memset(r, 0, sizeof *r);
	if (tok != NULL && strlen(tok) < sizeof r->token)
		memcpy(r->token, tok, strlen(tok) + 1);
	r->domain = col(q, 1);
	(void)daemon_probe_state_parse(daemon_store_col_text(q, 2), &st);
	r->state = st;
	r->created = daemon_store_col_int(q, 3);
	r->submitted = daemon_store_col_int(q, 4);
	r->received = daemon_store_col_int(q, 5);
	r->roundtrip_s =
	    daemon_store_col_null(q, 6) ? -1.0 : (double)daemon_store_col_int(q, 6) / 1000.0;
	r->relay = col(q, 7);
	r->rcpt = col(q, 8);
	r->queue_id = col(q, 9);
	r->error = col(q, 10);
	r->folder = col(q, 11);
	r->spf = col(q, 12);
	r->dkim = col(q, 13);
	r->dmarc = col(q, 14);
	r->aligned = daemon_store_col_int(q, 15) != 0;
	r->bounce_status = col(q, 16);
	r->bounce_reason = col(q, 17);
	r->bounce_code = (int)daemon_store_col_int(q, 18);
	r->bounce_diag = col(q, 19);
	r->detail_json = col(q, 20);
}

/* INSERT or UPDATE (by token) one probe in its own op. */
static enum mp_err probe_write(struct daemon_store *s, const char *sql,
			       const struct daemon_probe_row *r, bool update)
{
	struct daemon_store_stmt *q;
	enum mp_err e = probe_check(s, r);

	if (e != ERR_OK)
		return e;
	e = daemon_store_op_begin(s, false);
	if (e != ERR_OK)
		return e;
	e = daemon_store_prepare(s, sql, &q);
	if (e == ERR_OK) {
		probe_bind(q, r);
		e = daemon_store_run(q);
	}
	if (e == ERR_OK && update && daemon_store_changes(s) != 1)
		e = daemon_store_fail(s, ERR_NOTFOUND, "probe %s: no such probe", r->token);
	return daemon_store_op_end(s, e);
}

enum mp_err daemon_store_probe_insert(struct daemon_store *s, const struct daemon_probe_row *r)
{
	return probe_write(s, SQL_PROBE_INSERT, r, false);
}

enum mp_err daemon_store_probe_update(struct daemon_store *s, const struct daemon_probe_row *r)
{
	return probe_write(s, SQL_PROBE_UPDATE, r, true);
}

/* Every row of q (already bound) into *out, *n. */
static enum mp_err probe_rows(struct daemon_store_stmt *q, struct daemon_probe_row **out, size_t *n)
{
	struct daemon_probe_row *v = NULL;
	size_t cnt = 0;
	enum mp_err e = ERR_OK;

	while (e == ERR_OK && daemon_store_next(q, &e)) {
		v = xreallocarray(v, cnt + 1, sizeof *v);
		probe_read(q, &v[cnt++]);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_probe_rows_free(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return ERR_OK;
}

enum mp_err daemon_store_probe_get(struct daemon_store *s, const char *token,
				   struct daemon_probe_row *out)
{
	struct daemon_probe_row *v = NULL;
	struct daemon_store_stmt *q;
	size_t n = 0;
	enum mp_err e = daemon_store_check_name(s, "probe token", token, 31);

	if (e == ERR_OK)
		e = daemon_store_prepare(s, SQL_PROBE_GET, &q);
	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, token);
	e = probe_rows(q, &v, &n);
	if (e == ERR_OK && n == 0)
		e = daemon_store_fail(s, ERR_NOTFOUND, "probe %s: no such probe", token);
	if (e == ERR_OK) {
		*out = v[0];
		free(v);
		return ERR_OK;
	}
	daemon_store_probe_rows_free(v, n);
	return e;
}

enum mp_err daemon_store_probe_recent(struct daemon_store *s, const char *domain, size_t max,
				      struct daemon_probe_row **out, size_t *n)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_check_name(s, "probe domain", domain, DAEMON_STORE_MAX_NAME);

	if (e == ERR_OK)
		e = daemon_store_prepare(s, SQL_PROBE_RECENT, &q);
	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	daemon_store_bind_int(q, 2, max == 0 || max > INT64_MAX ? -1 : (int64_t)max);
	return probe_rows(q, out, n);
}

enum mp_err daemon_store_probe_open(struct daemon_store *s, struct daemon_probe_row **out,
				    size_t *n)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_PROBE_OPEN, &q);

	if (e != ERR_OK)
		return e;
	return probe_rows(q, out, n);
}

void daemon_store_probe_row_free(struct daemon_probe_row *r)
{
	if (r == NULL)
		return;
	free(r->domain);
	free(r->relay);
	free(r->rcpt);
	free(r->queue_id);
	free(r->error);
	free(r->folder);
	free(r->spf);
	free(r->dkim);
	free(r->dmarc);
	free(r->bounce_status);
	free(r->bounce_reason);
	free(r->bounce_diag);
	free(r->detail_json);
	memset(r, 0, sizeof *r);
}

void daemon_store_probe_rows_free(struct daemon_probe_row *r, size_t n)
{
	for (size_t i = 0; r != NULL && i < n; i++)
		daemon_store_probe_row_free(&r[i]);
	free(r);
}

/* ---- retention ---- */

enum mp_err daemon_store_probe_prune(struct daemon_store *s, int64_t now, unsigned keep,
				     uint64_t *probes, uint64_t *inbound)
{
	uint64_t np = 0, ni = 0;
	enum mp_err e;

	if (daemon_store_in_batch(s))
		return daemon_store_fail(s, ERR_INVAL, "probe prune: not inside a batch");
	if (keep == 0)
		return daemon_store_fail(s, ERR_INVAL, "probe prune: keep must be at least 1");
	e = daemon_store_prune_loop(s, SQL_PRUNE_PROBES, keep, &np);
	if (e == ERR_OK)
		e = daemon_store_prune_loop(s, SQL_PRUNE_INBOUND,
					    now - DAEMON_STORE_KEEP_RESULTS_SECS, &ni);
	if (e != ERR_OK)
		return e;
	log_debug("store", "pruned probes=%llu inbound=%llu", (unsigned long long)np,
		  (unsigned long long)ni);
	if (probes != NULL)
		*probes = np;
	if (inbound != NULL)
		*inbound = ni;
	return ERR_OK;
}
