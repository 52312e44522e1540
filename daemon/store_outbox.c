/*
 * daemon/store_outbox: the notification outbox and the per-channel
 * counters (see store_outbox.h; tables in daemon/store_schema.c).  SQL goes
 * through the statement facade of daemon/store; no sqlite3.h here.
 */
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "daemon/store_outbox.h"
#include "daemon/store_alert.h"
#include "daemon/store_result.h"

/* clang-format off */
#define MSG_COLS "id, episode_id, channel, event, seq, payload, status, attempts," \
	" next_attempt_at, last_error, created_at, updated_at"
static const char SQL_ENQUEUE[] =
	"INSERT INTO outbox (episode_id, channel, event, seq, payload, next_attempt_at,"
	" created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)"
	" ON CONFLICT (episode_id, channel, event, seq) DO NOTHING";
static const char SQL_FIND[] =
	"SELECT id FROM outbox WHERE episode_id = ?1 AND channel = ?2 AND event = ?3 AND seq = ?4";
static const char SQL_EPISODE_EXISTS[] = "SELECT 1 FROM episodes WHERE id = ?1";
static const char SQL_DUE[] =
	"SELECT " MSG_COLS " FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1"
	" ORDER BY next_attempt_at, id LIMIT ?2";
static const char SQL_CLAIM[] = "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1";
static const char SQL_SENT[] =
	"UPDATE outbox SET status = 'sent', attempts = attempts + 1, updated_at = ?2"
	" WHERE id = ?1 AND status = 'pending'";
static const char SQL_RETRY[] =
	"UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?3, last_error = ?4,"
	" updated_at = ?2 WHERE id = ?1 AND status = 'pending'";
static const char SQL_FAIL[] =
	"UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?3,"
	" updated_at = ?2 WHERE id = ?1 AND status = 'pending'";
static const char SQL_COUNT[] =
	"INSERT INTO channel_stats (channel, sent, failed)"
	" SELECT channel, status = 'sent', status = 'failed' FROM outbox WHERE id = ?1"
	" ON CONFLICT (channel) DO UPDATE SET sent = sent + excluded.sent,"
	" failed = failed + excluded.failed";
static const char SQL_DELIVERED[] =
	"UPDATE episodes SET fired_delivered = 1 WHERE id ="
	" (SELECT episode_id FROM outbox WHERE id = ?1 AND event = 'firing')";
static const char SQL_GET[] = "SELECT " MSG_COLS " FROM outbox WHERE id = ?1";
static const char SQL_LIST[] =
	"SELECT " MSG_COLS " FROM outbox WHERE ?1 IS NULL OR episode_id = ?1"
	" ORDER BY created_at DESC, id DESC LIMIT ?2";
static const char SQL_STATS[] =
	"SELECT channel, sum(sent), sum(failed), sum(queued) FROM ("
	" SELECT channel, sent, failed, 0 AS queued FROM channel_stats"
	" UNION ALL SELECT channel, 0, 0, count(*) FROM outbox WHERE status = 'pending'"
	" GROUP BY channel) GROUP BY channel ORDER BY channel";
/* clang-format on */

static const char *const event_names[] = {"firing", "reminder", "resolved", "test"};
static const char *const status_names[] = {"pending", "sent", "failed"};

const char *daemon_store_outbox_event_name(enum daemon_store_outbox_event ev)
{
	return (unsigned)ev < 4 ? event_names[ev] : "?";
}

const char *daemon_store_outbox_status_name(enum daemon_store_outbox_status st)
{
	return (unsigned)st < 3 ? status_names[st] : "?";
}

static int name_index(const char *const *names, int n, const char *t)
{
	for (int i = 0; t && i < n; i++)
		if (strcmp(t, names[i]) == 0)
			return i;
	return -1;
}

static int64_t bind_limit(size_t limit)
{
	return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

/* RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static bool scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '-' || c == '.';
}

/*
 * last_error as words safe to show: at most DAEMON_STORE_MAX_ERROR bytes,
 * no control bytes, no URL (a webhook URL is a credential).
 */
static char *clean_error(const char *in)
{
	struct buf b;
	size_t i = 0, n = strlen(in);

	common_buf_init(&b, DAEMON_STORE_MAX_ERROR);
	while (i < n) {
		const char *sep = strstr(in + i, "://");
		size_t start, end;

		if (sep == NULL) {
			start = end = n;
		} else {
			/* back up over the scheme letters, forward to the next space */
			start = (size_t)(sep - in);
			while (start > i && scheme_char(in[start - 1]))
				start--;
			end = (size_t)(sep - in) + 3;
			while (end < n && in[end] != ' ' && in[end] != '\t' && in[end] != '"' &&
			       in[end] != '\'' && in[end] != '>')
				end++;
		}
		for (; i < start; i++) {
			unsigned char c = (unsigned char)in[i];

			if (common_buf_putc(&b, c < 0x20 || c == 0x7f ? '?' : (char)c) != ERR_OK)
				goto full;
		}
		if (start < n && common_buf_puts(&b, "<url>") != ERR_OK)
			goto full;
		i = end;
	}
full:
	return common_buf_steal(&b, NULL);
}

static enum mp_err msg_check(struct daemon_store *s, const struct daemon_store_outbox_msg *m)
{
	enum mp_err e = daemon_store_check_name(s, "channel", m->channel, DAEMON_STORE_MAX_NAME);

	if (e == ERR_OK && (unsigned)m->event > DAEMON_STORE_OUTBOX_TEST)
		e = daemon_store_fail(s, ERR_INVAL, "outbox: bad event");
	if (e == ERR_OK && (m->event == DAEMON_STORE_OUTBOX_TEST) != (m->episode_id == NULL))
		e = daemon_store_fail(s, ERR_INVAL,
				      "outbox: test messages, and only they, "
				      "have no episode");
	if (e == ERR_OK && m->episode_id)
		e = daemon_store_check_name(s, "episode id", m->episode_id, DAEMON_STORE_MAX_ID);
	if (e == ERR_OK && m->payload == NULL)
		e = daemon_store_fail(s, ERR_INVAL, "outbox: no payload");
	if (e == ERR_OK)
		e = daemon_store_check_len(s, "payload", m->payload, strlen(m->payload),
					   DAEMON_STORE_MAX_PAYLOAD);
	return e;
}

/* A statement taking one bound text (?1) that answers a row or not. */
static enum mp_err exists(struct daemon_store *s, const char *sql, const char *v, bool *found)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, sql, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, v);
	e = daemon_store_step(q, found);
	daemon_store_reset(q);
	return e;
}

static void bind_key(struct daemon_store_stmt *q, const struct daemon_store_outbox_msg *m)
{
	daemon_store_bind_text(q, 1, m->episode_id);
	daemon_store_bind_text(q, 2, m->channel);
	daemon_store_bind_text(q, 3, daemon_store_outbox_event_name(m->event));
	daemon_store_bind_int(q, 4, m->seq);
}

static enum mp_err enqueue(struct daemon_store *s, const struct daemon_store_outbox_msg *m,
			   int64_t now, int64_t *id, bool *created)
{
	struct daemon_store_stmt *q;
	bool row = false;
	enum mp_err e = ERR_OK;

	if (m->episode_id)
		e = exists(s, SQL_EPISODE_EXISTS, m->episode_id, &row);
	if (e == ERR_OK && m->episode_id && !row)
		e = daemon_store_fail(s, ERR_INVAL, "outbox: no episode %s", m->episode_id);
	if (e == ERR_OK)
		e = daemon_store_prepare(s, SQL_ENQUEUE, &q);
	if (e != ERR_OK)
		return e;
	bind_key(q, m);
	daemon_store_bind_text(q, 5, m->payload);
	daemon_store_bind_int(q, 6, now);
	e = daemon_store_run(q);
	if (e != ERR_OK)
		return e;
	*created = daemon_store_changes(s) == 1;
	if (*created) {
		*id = daemon_store_last_id(s);
		return ERR_OK;
	}
	e = daemon_store_prepare(s, SQL_FIND, &q);
	if (e != ERR_OK)
		return e;
	bind_key(q, m);
	e = daemon_store_step(q, &row);
	if (e == ERR_OK && !row)
		e = daemon_store_fail(s, ERR_IO, "outbox: row vanished");
	if (e == ERR_OK)
		*id = daemon_store_col_int(q, 0);
	daemon_store_reset(q);
	return e;
}

enum mp_err daemon_store_outbox_enqueue(struct daemon_store *s,
					const struct daemon_store_outbox_msg *m, int64_t now,
					int64_t *id, bool *created)
{
	int64_t rid = 0;
	bool made = false;
	enum mp_err e = msg_check(s, m);

	if (e == ERR_OK)
		e = daemon_store_op_begin(s, true);
	if (e != ERR_OK)
		return e;
	e = daemon_store_op_end(s, enqueue(s, m, now, &rid, &made));
	if (e == ERR_OK && id)
		*id = rid;
	if (e == ERR_OK && created)
		*created = made;
	return e;
}

/* Fill m from MSG_COLS; false for a row with words we do not know. */
static bool read_msg(struct daemon_store_stmt *q, struct daemon_store_outbox_msg *m)
{
	int ev = name_index(event_names, 4, daemon_store_col_text(q, 3));
	int st = name_index(status_names, 3, daemon_store_col_text(q, 6));

	memset(m, 0, sizeof *m);
	if (ev < 0 || st < 0)
		return false;
	m->id = daemon_store_col_int(q, 0);
	m->episode_id = daemon_store_col_str(q, 1);
	m->channel = daemon_store_col_str(q, 2);
	m->event = (enum daemon_store_outbox_event)ev;
	m->seq = (uint32_t)daemon_store_col_int(q, 4);
	m->payload = daemon_store_col_str(q, 5);
	m->status = (enum daemon_store_outbox_status)st;
	m->attempts = (uint32_t)daemon_store_col_int(q, 7);
	m->next_attempt_at = daemon_store_col_int(q, 8);
	m->last_error = daemon_store_col_str(q, 9);
	m->created_at = daemon_store_col_int(q, 10);
	m->updated_at = daemon_store_col_int(q, 11);
	return true;
}

/* Step a bound SELECT of MSG_COLS to its end, appending the rows to l. */
static enum mp_err read_list(struct daemon_store *s, struct daemon_store_stmt *q,
			     struct daemon_store_outbox_list *l)
{
	enum mp_err e = ERR_OK;

	while (e == ERR_OK && daemon_store_next(q, &e)) {
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		if (!read_msg(q, &l->v[l->n++]))
			e = daemon_store_fail(s, ERR_IO,
					      "outbox row with an unknown event or "
					      "status");
	}
	daemon_store_reset(q);
	return e;
}

static enum mp_err take_due(struct daemon_store *s, int64_t now, int64_t lease, size_t limit,
			    struct daemon_store_outbox_list *l)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_DUE, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, now);
	daemon_store_bind_int(q, 2, bind_limit(limit));
	e = read_list(s, q, l);
	if (e != ERR_OK || lease <= 0)
		return e;
	e = daemon_store_prepare(s, SQL_CLAIM, &q);
	for (size_t i = 0; e == ERR_OK && i < l->n; i++) {
		daemon_store_bind_int(q, 1, l->v[i].id);
		daemon_store_bind_int(q, 2, now + lease);
		e = daemon_store_run(q);
		l->v[i].next_attempt_at = now + lease;
	}
	return e;
}

enum mp_err daemon_store_outbox_take_due(struct daemon_store *s, int64_t now, int64_t lease,
					 size_t limit, struct daemon_store_outbox_list *out)
{
	struct daemon_store_outbox_list l = {0};
	enum mp_err e = daemon_store_op_begin(s, false);

	if (e != ERR_OK)
		return e;
	e = daemon_store_op_end(s, take_due(s, now, lease, limit, &l));
	if (e != ERR_OK) {
		daemon_store_outbox_list_free(&l);
		return e;
	}
	*out = l;
	return ERR_OK;
}

enum outcome { OUTCOME_SENT, OUTCOME_RETRY, OUTCOME_FAIL };

/* The row is not pending: say what it is (ERR_NOTFOUND if it does not exist). */
static enum mp_err not_pending(struct daemon_store *s, int64_t id)
{
	struct daemon_store_outbox_msg m;
	enum mp_err e = daemon_store_outbox_get(s, id, &m);

	if (e != ERR_OK)
		return e;
	e = daemon_store_fail(s, ERR_INVAL, "outbox row %lld is %s, not pending", (long long)id,
			      daemon_store_outbox_status_name(m.status));
	daemon_store_outbox_msg_clear(&m);
	return e;
}

/* Run a statement whose only parameter is ?1 = id. */
static enum mp_err run_id(struct daemon_store *s, const char *sql, int64_t id)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, sql, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, id);
	return daemon_store_run(q);
}

/* Record one attempt's outcome; count it and flag the episode where it applies. */
static enum mp_err outcome(struct daemon_store *s, enum outcome kind, int64_t id, int64_t now,
			   int64_t next_at, const char *error)
{
	static const char *const sql[] = {SQL_SENT, SQL_RETRY, SQL_FAIL};
	struct daemon_store_stmt *q;
	char *clean = error ? clean_error(error) : NULL;
	enum mp_err e = daemon_store_prepare(s, sql[kind], &q);

	if (e == ERR_OK) {
		daemon_store_bind_int(q, 1, id);
		daemon_store_bind_int(q, 2, now);
		if (kind == OUTCOME_RETRY) {
			daemon_store_bind_int(q, 3, next_at);
			daemon_store_bind_text(q, 4, clean);
		} else if (kind == OUTCOME_FAIL) {
			daemon_store_bind_text(q, 3, clean);
		}
		e = daemon_store_run(q);
	}
	free(clean);
	if (e == ERR_OK && daemon_store_changes(s) == 0)
		return not_pending(s, id);
	if (e == ERR_OK && kind != OUTCOME_RETRY)
		e = run_id(s, SQL_COUNT, id);
	if (e == ERR_OK && kind == OUTCOME_SENT)
		e = run_id(s, SQL_DELIVERED, id);
	return e;
}

static enum mp_err outcome_op(struct daemon_store *s, enum outcome kind, int64_t id, int64_t now,
			      int64_t next_at, const char *error)
{
	enum mp_err e = daemon_store_op_begin(s, true);

	if (e != ERR_OK)
		return e;
	return daemon_store_op_end(s, outcome(s, kind, id, now, next_at, error));
}

enum mp_err daemon_store_outbox_mark_sent(struct daemon_store *s, int64_t id, int64_t now)
{
	return outcome_op(s, OUTCOME_SENT, id, now, 0, NULL);
}

enum mp_err daemon_store_outbox_retry(struct daemon_store *s, int64_t id, int64_t now,
				      int64_t next_at, const char *error)
{
	return outcome_op(s, OUTCOME_RETRY, id, now, next_at, error);
}

enum mp_err daemon_store_outbox_fail(struct daemon_store *s, int64_t id, int64_t now,
				     const char *error)
{
	return outcome_op(s, OUTCOME_FAIL, id, now, 0, error);
}

enum mp_err daemon_store_outbox_get(struct daemon_store *s, int64_t id,
				    struct daemon_store_outbox_msg *out)
{
	struct daemon_store_stmt *q;
	struct daemon_store_outbox_msg m;
	bool row = false;
	enum mp_err e = daemon_store_prepare(s, SQL_GET, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_int(q, 1, id);
	e = daemon_store_step(q, &row);
	if (e == ERR_OK && !row)
		e = daemon_store_fail(s, ERR_NOTFOUND, "no outbox row %lld", (long long)id);
	if (e == ERR_OK && !read_msg(q, &m))
		e = daemon_store_fail(s, ERR_IO, "outbox row with an unknown event or status");
	daemon_store_reset(q);
	if (e == ERR_OK)
		*out = m;
	return e;
}

enum mp_err daemon_store_outbox_list(struct daemon_store *s, const char *episode_id, size_t limit,
				     struct daemon_store_outbox_list *out)
{
	struct daemon_store_outbox_list l = {0};
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_LIST, &q);

	if (e != ERR_OK)
		return e;
	daemon_store_bind_text(q, 1, episode_id);
	daemon_store_bind_int(q, 2, bind_limit(limit));
	e = read_list(s, q, &l);
	if (e != ERR_OK) {
		daemon_store_outbox_list_free(&l);
		return e;
	}
	*out = l;
	return ERR_OK;
}

enum mp_err daemon_store_outbox_stats(struct daemon_store *s, struct daemon_store_outbox_stats *out)
{
	struct daemon_store_outbox_stats l = {0};
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, SQL_STATS, &q);

	if (e != ERR_OK)
		return e;
	while (e == ERR_OK && daemon_store_next(q, &e)) {
		struct daemon_store_outbox_stat *st;

		l.v = xreallocarray(l.v, l.n + 1, sizeof *l.v);
		st = &l.v[l.n++];
		st->channel = daemon_store_col_str(q, 0);
		st->sent = (uint64_t)daemon_store_col_int(q, 1);
		st->failed = (uint64_t)daemon_store_col_int(q, 2);
		st->queued = (uint64_t)daemon_store_col_int(q, 3);
	}
	daemon_store_reset(q);
	if (e != ERR_OK) {
		daemon_store_outbox_stats_free(&l);
		return e;
	}
	*out = l;
	return ERR_OK;
}

void daemon_store_outbox_msg_clear(struct daemon_store_outbox_msg *m)
{
	if (m == NULL)
		return;
	free((char *)m->episode_id);
	free((char *)m->channel);
	free((char *)m->payload);
	free((char *)m->last_error);
	memset(m, 0, sizeof *m);
}

void daemon_store_outbox_list_free(struct daemon_store_outbox_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		daemon_store_outbox_msg_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void daemon_store_outbox_stats_free(struct daemon_store_outbox_stats *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((char *)l->v[i].channel);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
