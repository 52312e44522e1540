/*
 * daemon/store_alert: state transitions and alert episodes in the store
 * (see store_alert.h; tables in daemon/store_schema.c).  SQL goes through
 * the statement facade of daemon/store; no sqlite3.h here.
 */
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/store_alert.h"
#include "daemon/store_result.h"

/* clang-format off */
static const char SQL_TRANSITION_ADD[] =
	"INSERT INTO transitions (domain, check_name, from_state, to_state, severity, at,"
	" episode_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/* A statement per shape, so that a domain's rows come from the index (see store_result.c). */
#define SQL_TRANSITIONS_FROM \
	"SELECT id, domain, check_name, from_state, to_state, severity, at, episode_id" \
	" FROM transitions"
static const char SQL_TRANSITIONS[] =
	SQL_TRANSITIONS_FROM " WHERE ?1 IS NULL AND (?2 IS NULL OR check_name = ?2)"
	" ORDER BY at DESC, id DESC LIMIT ?3";
static const char SQL_TRANSITIONS_DOMAIN[] =
	SQL_TRANSITIONS_FROM " WHERE domain = ?1 AND (?2 IS NULL OR check_name = ?2)"
	" ORDER BY at DESC, id DESC LIMIT ?3";
#define EPISODE_COLS "id, domain, check_name, severity, started_at, ended_at," \
	" fired_delivered, summary"
static const char SQL_EPISODE_GET[] =
	"SELECT " EPISODE_COLS " FROM episodes WHERE id = ?1";
static const char SQL_EPISODE_ADD[] =
	"INSERT INTO episodes (id, domain, check_name, severity, started_at, summary)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_EPISODE_CLOSE[] =
	"UPDATE episodes SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL";
static const char SQL_EPISODE_DELIVERED[] =
	"UPDATE episodes SET fired_delivered = 1 WHERE id = ?1";
static const char SQL_STATE_DROP[] = "DELETE FROM alert_state WHERE channel = ?1";
static const char SQL_STATE_ADD[] =
	"INSERT INTO alert_state (channel, seq, domain, check_name, severity, record)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_STATE_LOAD[] =
	"SELECT domain, check_name, severity, record FROM alert_state WHERE channel = ?1"
	" ORDER BY seq";
static const char SQL_EPISODES[] =
	"SELECT " EPISODE_COLS " FROM episodes WHERE ?1 IS NULL"
	" AND (?2 = 0 OR ended_at IS NULL) ORDER BY started_at DESC, rowid DESC LIMIT ?3";
static const char SQL_EPISODES_DOMAIN[] =
	"SELECT " EPISODE_COLS " FROM episodes WHERE domain = ?1"
	" AND (?2 = 0 OR ended_at IS NULL) ORDER BY started_at DESC, rowid DESC LIMIT ?3";
/* clang-format on */

/* Episodes and transitions may belong to the daemon itself: domain "". */
static enum mp_err check_domain(struct daemon_store *s, const char *v)
{
	if (v && *v == '\0')
		return ERR_OK;
	return daemon_store_check_name(s, "domain", v, DAEMON_STORE_MAX_NAME);
}

static int64_t bind_limit(size_t limit)
{
	return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

/* ---- transitions ------------------------------------------------------------ */

static enum mp_err transition_check(struct daemon_store *s,
				    const struct daemon_store_alert_transition *t)
{
	enum mp_err e = check_domain(s, t->domain);

	if (e == ERR_OK)
		e = daemon_store_check_name(s, "check", t->check, DAEMON_STORE_MAX_NAME);
	if (e == ERR_OK && t->episode_id)
		e = daemon_store_check_name(s, "episode id", t->episode_id, DAEMON_STORE_MAX_ID);
	if (e == ERR_OK)
		e = daemon_store_check_name(s, "from state", t->from, DAEMON_STORE_MAX_STATE);
	if (e == ERR_OK)
		e = daemon_store_check_name(s, "to state", t->to, DAEMON_STORE_MAX_STATE);
	if (e == ERR_OK && ((int)t->severity < 0 || (int)t->severity >= DAEMON_STORE_NSEV))
		e = daemon_store_fail(s, ERR_INVAL, "transition: bad severity");
	if (e == ERR_OK && t->at < 0)
		e = daemon_store_fail(s, ERR_INVAL, "transition: time before 1970");
	return e;
}

enum mp_err daemon_store_alert_transition_add(struct daemon_store *s,
					      const struct daemon_store_alert_transition *t,
					      int64_t *id)
{
	struct daemon_store_stmt *q;
	enum mp_err e = transition_check(s, t);

	if (e == ERR_OK)
		e = daemon_store_prepare(s, SQL_TRANSITION_ADD, &q);
	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, t->domain);
	daemon_store_bind_text(q, 2, t->check);
	daemon_store_bind_text(q, 3, t->from);
	daemon_store_bind_text(q, 4, t->to);
	daemon_store_bind_text(q, 5, dns_sev_name(t->severity));
	daemon_store_bind_int(q, 6, t->at);
	daemon_store_bind_text(q, 7, t->episode_id);
	/* one statement: atomic on its own, joins a batch if one is open */
	e = daemon_store_run(q);
	if (e == ERR_OK && id)
		*id = daemon_store_last_id(s);
	return e;
}

enum mp_err daemon_store_alert_transitions(struct daemon_store *s, const char *domain,
					   const char *check, size_t limit,
					   struct daemon_store_alert_transition_list *out)
{
	struct daemon_store_alert_transition_list l = {0};
	struct daemon_store_stmt *q;
	enum mp_err e =
	    daemon_store_prepare(s, domain ? SQL_TRANSITIONS_DOMAIN : SQL_TRANSITIONS, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	daemon_store_bind_text(q, 2, check);
	daemon_store_bind_int(q, 3, bind_limit(limit));
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		struct daemon_store_alert_transition *t;
		enum dns_sev sev;

		if (!daemon_store_result_sev_parse(daemon_store_col_text(q, 5), &sev)) {
			e = daemon_store_fail(s, ERR_IO, "transition with an unknown severity");
			break;
		}
		l.v = xreallocarray(l.v, l.n + 1, sizeof *l.v);
		t = &l.v[l.n++];
		t->id = daemon_store_col_int(q, 0);
		t->domain = daemon_store_col_str(q, 1);
		t->check = daemon_store_col_str(q, 2);
		t->from = daemon_store_col_str(q, 3);
		t->to = daemon_store_col_str(q, 4);
		t->severity = sev;
		t->at = daemon_store_col_int(q, 6);
		t->episode_id = daemon_store_col_str(q, 7);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_alert_transition_list_free(&l);
		return e;
	}
	*out = l;
	return ERR_OK;
}

/* ---- episodes ----------------------------------------------------------------- */

/* Fill e from the EPISODE_COLS of the current row; false for a bad severity. */
static bool read_episode(struct daemon_store_stmt *q, struct daemon_store_alert_episode *e)
{
	enum dns_sev sev;

	memset(e, 0, sizeof *e);
	if (!daemon_store_result_sev_parse(daemon_store_col_text(q, 3), &sev))
		return false;
	e->id = daemon_store_col_str(q, 0);
	e->domain = daemon_store_col_str(q, 1);
	e->check = daemon_store_col_str(q, 2);
	e->severity = sev;
	e->started_at = daemon_store_col_int(q, 4);
	e->ended_at = daemon_store_col_null(q, 5) ? 0 : daemon_store_col_int(q, 5);
	e->fired_delivered = daemon_store_col_int(q, 6) != 0;
	e->summary = daemon_store_col_str(q, 7);
	return true;
}

/* *found tells whether id exists; *out (may be NULL) receives it. */
static enum mp_err episode_find(struct daemon_store *s, const char *id, bool *found,
				struct daemon_store_alert_episode *out)
{
	struct daemon_store_stmt *q;
	struct daemon_store_alert_episode ep;
	bool row = false;
	enum mp_err e = daemon_store_prepare(s, SQL_EPISODE_GET, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, id);
	e = daemon_store_step(q, &row);
	if (e == ERR_OK && row && !read_episode(q, &ep))
		e = daemon_store_fail(s, ERR_IO, "episode with an unknown severity");
	daemon_store_reset(q);
	if (e != ERR_OK)
		return e;
	*found = row;
	if (row && out)
		*out = ep;
	else if (row)
		daemon_store_alert_episode_clear(&ep);
	return ERR_OK;
}

static enum mp_err episode_check(struct daemon_store *s,
				 const struct daemon_store_alert_episode *ep)
{
	enum mp_err e = daemon_store_check_name(s, "episode id", ep->id, DAEMON_STORE_MAX_ID);

	if (e == ERR_OK)
		e = check_domain(s, ep->domain);
	if (e == ERR_OK)
		e = daemon_store_check_name(s, "check", ep->check, DAEMON_STORE_MAX_NAME);
	if (e == ERR_OK && ep->severity != SEV_WARN && ep->severity != SEV_CRITICAL)
		e = daemon_store_fail(s, ERR_INVAL, "episode severity must be warn or critical");
	if (e == ERR_OK && ep->started_at < 0)
		e = daemon_store_fail(s, ERR_INVAL, "episode start before 1970");
	if (e == ERR_OK && ep->summary)
		e = daemon_store_check_len(s, "summary", ep->summary, strlen(ep->summary),
					   DAEMON_STORE_MAX_TEXT);
	return e;
}

static enum mp_err episode_insert(struct daemon_store *s,
				  const struct daemon_store_alert_episode *ep, bool *created)
{
	struct daemon_store_alert_episode old;
	struct daemon_store_stmt *q;
	bool found = false, same;
	enum mp_err e = episode_find(s, ep->id, &found, &old);

	if (e != ERR_OK)
		return e;
	if (found) {
		same = strcmp(old.domain, ep->domain) == 0 && strcmp(old.check, ep->check) == 0 &&
		       old.severity == ep->severity;
		daemon_store_alert_episode_clear(&old);
		*created = false;
		return same
			   ? ERR_OK
			   : daemon_store_fail(s, ERR_INVAL,
					       "episode id %s already names another check", ep->id);
	}
	e = daemon_store_prepare(s, SQL_EPISODE_ADD, &q);
	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, ep->id);
	daemon_store_bind_text(q, 2, ep->domain);
	daemon_store_bind_text(q, 3, ep->check);
	daemon_store_bind_text(q, 4, dns_sev_name(ep->severity));
	daemon_store_bind_int(q, 5, ep->started_at);
	daemon_store_bind_text(q, 6, ep->summary ? ep->summary : "");
	e = daemon_store_run(q);
	if (e == ERR_INVAL) /* the partial unique index episodes_one_open */
		return daemon_store_fail(s, e, "another %s episode is open for %s/%s",
					 dns_sev_name(ep->severity), ep->domain, ep->check);
	*created = e == ERR_OK;
	return e;
}

enum mp_err daemon_store_alert_episode_open(struct daemon_store *s,
					    const struct daemon_store_alert_episode *ep,
					    bool *created)
{
	bool made = false;
	enum mp_err e = episode_check(s, ep);

	if (e == ERR_OK)
		e = daemon_store_op_begin(s, true);
	if (e != ERR_OK)
		return e;
	e = daemon_store_op_end(s, episode_insert(s, ep, &made));
	if (e == ERR_OK && created)
		*created = made;
	return e;
}

static enum mp_err episode_close(struct daemon_store *s, const char *id, int64_t ended_at)
{
	struct daemon_store_stmt *q;
	bool found = false;
	enum mp_err e = daemon_store_prepare(s, SQL_EPISODE_CLOSE, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, id);
	daemon_store_bind_int(q, 2, ended_at);
	e = daemon_store_run(q);
	if (e == ERR_INVAL)
		return daemon_store_fail(s, e, "episode %s cannot end before it started", id);
	if (e != ERR_OK || daemon_store_changes(s) == 1)
		return e;
	e = episode_find(s, id, &found, NULL); /* already closed is fine */
	if (e == ERR_OK && !found)
		e = daemon_store_fail(s, ERR_NOTFOUND, "no episode %s", id);
	return e;
}

enum mp_err daemon_store_alert_episode_close(struct daemon_store *s, const char *id,
					     int64_t ended_at)
{
	enum mp_err e = daemon_store_check_name(s, "episode id", id, DAEMON_STORE_MAX_ID);

	if (e == ERR_OK)
		e = daemon_store_op_begin(s, true);
	if (e != ERR_OK)
		return e;
	return daemon_store_op_end(s, episode_close(s, id, ended_at));
}

enum mp_err daemon_store_alert_episode_delivered(struct daemon_store *s, const char *id)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_check_name(s, "episode id", id, DAEMON_STORE_MAX_ID);

	if (e == ERR_OK)
		e = daemon_store_op_begin(s, true);
	if (e != ERR_OK)
		return e;
	e = daemon_store_prepare(s, SQL_EPISODE_DELIVERED, &q);
	if (e == ERR_OK) {
		daemon_store_bind_text(q, 1, id);
		e = daemon_store_run(q);
	}
	if (e == ERR_OK && daemon_store_changes(s) == 0)
		e = daemon_store_fail(s, ERR_NOTFOUND, "no episode %s", id);
	return daemon_store_op_end(s, e);
}

enum mp_err daemon_store_alert_episode_get(struct daemon_store *s, const char *id,
					   struct daemon_store_alert_episode *out)
{
	struct daemon_store_alert_episode ep;
	bool found = false;
	enum mp_err e = episode_find(s, id, &found, &ep);

	if (e == ERR_OK && !found)
		e = daemon_store_fail(s, ERR_NOTFOUND, "no episode %s", id ? id : "");
	if (e == ERR_OK)
		*out = ep;
	return e;
}

enum mp_err daemon_store_alert_episodes(struct daemon_store *s, const char *domain, bool open_only,
					size_t limit, struct daemon_store_alert_episode_list *out)
{
	struct daemon_store_alert_episode_list l = {0};
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, domain ? SQL_EPISODES_DOMAIN : SQL_EPISODES, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, domain);
	daemon_store_bind_int(q, 2, open_only);
	daemon_store_bind_int(q, 3, bind_limit(limit));
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		l.v = xreallocarray(l.v, l.n + 1, sizeof *l.v);
		if (!read_episode(q, &l.v[l.n++]))
			e = daemon_store_fail(s, ERR_IO, "episode with an unknown severity");
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_alert_episode_list_free(&l);
		return e;
	}
	*out = l;
	return ERR_OK;
}

/* ---- alert engine state ---------------------------------------------------- */

static enum mp_err state_check(struct daemon_store *s, const char *channel,
			       const struct daemon_store_alert_state *v, size_t n)
{
	enum mp_err e = daemon_store_check_name(s, "channel", channel, DAEMON_STORE_MAX_NAME);

	for (size_t i = 0; e == ERR_OK && i < n; i++) {
		e = check_domain(s, v[i].domain);
		if (e == ERR_OK)
			e = daemon_store_check_name(s, "check", v[i].check, DAEMON_STORE_MAX_NAME);
		if (e == ERR_OK && v[i].severity != SEV_WARN && v[i].severity != SEV_CRITICAL)
			e = daemon_store_fail(s, ERR_INVAL,
					      "alert state: severity must be warn or "
					      "critical");
		if (e == ERR_OK && v[i].record == NULL)
			e = daemon_store_fail(s, ERR_INVAL, "alert state: no record");
		if (e == ERR_OK)
			e = daemon_store_check_len(s, "alert state record", v[i].record,
						   strlen(v[i].record), DAEMON_STORE_MAX_RECORD);
	}
	return e;
}

static enum mp_err state_save(struct daemon_store *s, const char *channel,
			      const struct daemon_store_alert_state *v, size_t n)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_STATE_DROP, &q);

	if (e == ERR_OK) {
		daemon_store_bind_text(q, 1, channel);
		e = daemon_store_run(q);
	}
	if (e == ERR_OK)
		e = daemon_store_prepare(s, SQL_STATE_ADD, &q);
	for (size_t i = 0; e == ERR_OK && i < n; i++) {
		daemon_store_bind_text(q, 1, channel);
		daemon_store_bind_int(q, 2, (int64_t)i);
		daemon_store_bind_text(q, 3, v[i].domain);
		daemon_store_bind_text(q, 4, v[i].check);
		daemon_store_bind_text(q, 5, dns_sev_name(v[i].severity));
		daemon_store_bind_text(q, 6, v[i].record);
		e = daemon_store_run(q);
	}
	return e;
}

enum mp_err daemon_store_alert_state_save(struct daemon_store *s, const char *channel,
					  const struct daemon_store_alert_state *v, size_t n)
{
	enum mp_err e = state_check(s, channel, v, n);

	if (e == ERR_OK)
		e = daemon_store_op_begin(s, true);
	if (e != ERR_OK)
		return e;
	return daemon_store_op_end(s, state_save(s, channel, v, n));
}

enum mp_err daemon_store_alert_state_load(struct daemon_store *s, const char *channel,
					  struct daemon_store_alert_state_list *out)
{
	struct daemon_store_alert_state_list l = {0};
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_STATE_LOAD, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, channel);
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		struct daemon_store_alert_state *st;
		enum dns_sev sev;

		if (!daemon_store_result_sev_parse(daemon_store_col_text(q, 2), &sev)) {
			e = daemon_store_fail(s, ERR_IO, "alert state with an unknown severity");
			break;
		}
		l.v = xreallocarray(l.v, l.n + 1, sizeof *l.v);
		st = &l.v[l.n++];
		st->domain = daemon_store_col_str(q, 0);
		st->check = daemon_store_col_str(q, 1);
		st->severity = sev;
		st->record = daemon_store_col_str(q, 3);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_alert_state_list_free(&l);
		return e;
	}
	*out = l;
	return ERR_OK;
}

void daemon_store_alert_state_list_free(struct daemon_store_alert_state_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->v[i].domain);
		free((char *)l->v[i].check);
		free((char *)l->v[i].record);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void daemon_store_alert_episode_clear(struct daemon_store_alert_episode *e)
{
	if (e == NULL)
		return;
	free((char *)e->id);
	free((char *)e->domain);
	free((char *)e->check);
	free((char *)e->summary);
	memset(e, 0, sizeof *e);
}

void daemon_store_alert_episode_list_free(struct daemon_store_alert_episode_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		daemon_store_alert_episode_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void daemon_store_alert_transition_list_free(struct daemon_store_alert_transition_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->v[i].domain);
		free((char *)l->v[i].check);
		free((char *)l->v[i].from);
		free((char *)l->v[i].to);
		free((char *)l->v[i].episode_id);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
