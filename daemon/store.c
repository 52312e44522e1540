/*
 * daemon/store: the SQLite connection of mailpulsed (the only module that
 * includes sqlite3.h).  Opening and hardening the file, the pragmas (WAL,
 * synchronous NORMAL with FULL for durable writes, busy_timeout, foreign
 * keys), migrations from daemon/store_schema, batches and per-call
 * transactions, the integrity check, and the statement facade used by
 * daemon/store_result, daemon/store_alert, daemon/store_outbox and
 * daemon/store_prune.
 *
 * It does not know what the rows mean: the typed calls live in those
 * modules.  No RFC applies; the SQLite documentation does
 * (https://sqlite.org/wal.html, pragma.html, lang_savepoint.html).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_schema.h"

struct daemon_store_stmt {
	struct daemon_store *s;
	const char *key; /* the caller's static SQL text: the cache key */
	sqlite3_stmt *st;
	int bind_rc; /* first bind failure, reported by the next step */
};

struct daemon_store {
	sqlite3 *db;
	int version;
	struct daemon_store_stmt **stmts;
	size_t n_stmts;
	bool ready; /* opened and migrated: ours to write to */
	bool in_batch, batch_durable;
	int op_depth;
	bool op_tx, op_full; /* the outermost op owns a transaction (with FULL) */
	char errmsg[512];
};

static enum mp_err map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return ERR_OK;
	case SQLITE_NOMEM:
		fatal("store: sqlite out of memory");
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ERR_TIMEOUT;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return ERR_INVAL;
	case SQLITE_FULL:
	case SQLITE_TOOBIG:
		return ERR_LIMIT;
	case SQLITE_NOTADB:
		return ERR_UNSUPPORTED;
	default:
		return ERR_IO;
	}
}

enum mp_err daemon_store_fail(struct daemon_store *s, enum mp_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
	va_end(ap);
	return err;
}

enum mp_err daemon_store_check_name(struct daemon_store *s, const char *what, const char *v,
				    size_t max)
{
	size_t n = 0;

	if (v == NULL || *v == '\0')
		return daemon_store_fail(s, ERR_INVAL, "%s: missing", what);
	for (; v[n]; n++) {
		if (n >= max)
			return daemon_store_fail(s, ERR_INVAL, "%s: longer than %zu bytes", what,
						 max);
		if ((unsigned char)v[n] < 0x20 || v[n] == 0x7f)
			return daemon_store_fail(s, ERR_INVAL, "%s: control byte", what);
	}
	return ERR_OK;
}

enum mp_err daemon_store_check_len(struct daemon_store *s, const char *what, const char *v,
				   size_t len, size_t max)
{
	if (v && len > max)
		return daemon_store_fail(s, ERR_LIMIT, "%s: longer than %zu bytes", what, max);
	return ERR_OK;
}

/* Record SQLite's words for rc (when rc is an error) and map it. */
static enum mp_err db_fail(struct daemon_store *s, int rc, const char *what)
{
	enum mp_err e = map_rc(rc);

	if (e != ERR_OK)
		daemon_store_fail(s, e, "%s: %s", what, sqlite3_errmsg(s->db));
	return e;
}

static enum mp_err exec_sql(struct daemon_store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	enum mp_err e = map_rc(rc);

	if (e != ERR_OK)
		daemon_store_fail(s, e, "%s: %s", what, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return e;
}

/* Roll back whatever is open without touching errmsg (it holds the cause). */
static void rollback_quiet(struct daemon_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Transaction control, run as cached statements (they run around every call). */
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_SAVEPOINT[] = "SAVEPOINT op";
static const char SQL_RELEASE[] = "RELEASE op";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO op";
static const char SQL_SYNC_FULL[] = "PRAGMA synchronous=FULL";
static const char SQL_SYNC_NORMAL[] = "PRAGMA synchronous=NORMAL";

static enum mp_err run_const(struct daemon_store *s, const char *sql)
{
	struct daemon_store_stmt *q;
	enum mp_err e = daemon_store_prepare(s, sql, &q);

	return e == ERR_OK ? daemon_store_run(q) : e;
}

static enum mp_err set_sync(struct daemon_store *s, bool full)
{
	return run_const(s, full ? SQL_SYNC_FULL : SQL_SYNC_NORMAL);
}

enum mp_err daemon_store_query_int(struct daemon_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	enum mp_err e;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return db_fail(s, rc, "query");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		e = ERR_OK;
	} else if (rc == SQLITE_DONE) {
		e = daemon_store_fail(s, ERR_NOTFOUND, "query: no row");
	} else {
		e = db_fail(s, rc, "query");
	}
	sqlite3_finalize(st);
	return e;
}

enum mp_err daemon_store_exec(struct daemon_store *s, const char *sql)
{
	return exec_sql(s, sql, "exec");
}

/* ---- opening ------------------------------------------------------------ */

/* Make sure path is a regular file only its owner can read (creating it). */
static enum mp_err prepare_file(const char *path, char *msg, size_t msgsz)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		snprintf(msg, msgsz, "cannot open %s: %s", path, strerror(errno));
		return ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msgsz, "%s is not a regular file", path);
		close(fd);
		return ERR_INVAL;
	}
	close(fd);
	/* -wal and -shm are created with the database's mode; old ones may not be. */
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		char *p = xasprintf("%s%s", path, sfx[i]);

		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
			if (chmod(p, st.st_mode & 0700) != 0) {
				snprintf(msg, msgsz, "cannot chmod %s: %s", p, strerror(errno));
				free(p);
				return ERR_IO;
			}
			log_warn("store", "mode_tightened file=%s was=%04o now=%04o", p,
				 (unsigned)(st.st_mode & 07777), (unsigned)(st.st_mode & 0700));
		}
		free(p);
	}
	return ERR_OK;
}

static enum mp_err configure(struct daemon_store *s)
{
	sqlite3_stmt *st = NULL;
	int rc;
	enum mp_err e;

	/* No writable_schema tricks, no SQL functions run from the schema. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
	e = exec_sql(s,
		     "PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=67108864;"
		     " PRAGMA temp_store=MEMORY",
		     "pragmas");
	if (e != ERR_OK)
		return e;
	/* journal_mode answers the mode in force: anything but "wal" is a failure. */
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		e = db_fail(s, rc, "journal_mode");
	else if (sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
		e = daemon_store_fail(s, ERR_IO, "could not switch the database to WAL mode");
	sqlite3_finalize(st);
	return e;
}

/* Refuse files that are another program's database, or a newer mailpulse one. */
static enum mp_err check_identity(struct daemon_store *s)
{
	int64_t app = 0, ver = 0, n = 0;
	enum mp_err e = daemon_store_query_int(s, "PRAGMA application_id", &app);

	if (e == ERR_OK)
		e = daemon_store_query_int(s, "PRAGMA user_version", &ver);
	if (e == ERR_OK)
		e = daemon_store_query_int(s, "SELECT count(*) FROM sqlite_schema", &n);
	if (e != ERR_OK)
		return e;
	if (app != DAEMON_STORE_SCHEMA_APP_ID && (app != 0 || ver != 0 || n != 0))
		return daemon_store_fail(s, ERR_UNSUPPORTED,
					 "not a mailpulse database (application_id %lld, %lld "
					 "objects)",
					 (long long)app, (long long)n);
	if (ver > daemon_store_schema_version())
		return daemon_store_fail(s, ERR_UNSUPPORTED,
					 "database schema version %lld is newer than this "
					 "mailpulsed (%d)",
					 (long long)ver, daemon_store_schema_version());
	s->version = (int)ver;
	return ERR_OK;
}

static enum mp_err record_migration(struct daemon_store *s, const struct daemon_store_migration *m)
{
	static const char sql[] =
	    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st = NULL;
	char pragma[64];
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		/* metadata only: the one wall-clock value in the database */
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, rc, "schema_migrations");
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", m->version);
	return exec_sql(s, pragma, "user_version");
}

/* The statements of one migration, inside its transaction. */
static enum mp_err migrate_step(struct daemon_store *s, const struct daemon_store_migration *m)
{
	char appid[64];
	enum mp_err e = exec_sql(s,
				 "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
				 "PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
				 "schema_migrations");

	if (e == ERR_OK)
		e = exec_sql(s, m->sql, "migration");
	snprintf(appid, sizeof appid, "PRAGMA application_id=%d", DAEMON_STORE_SCHEMA_APP_ID);
	if (e == ERR_OK && m->version == 1)
		e = exec_sql(s, appid, "application_id");
	if (e == ERR_OK)
		e = record_migration(s, m);
	return e;
}

/* Apply one migration in its own transaction; each version exactly once. */
static enum mp_err migrate_one(struct daemon_store *s, const struct daemon_store_migration *m)
{
	int64_t ver = 0;
	bool applied = false;
	enum mp_err e = exec_sql(s, "BEGIN IMMEDIATE", "migration");

	if (e != ERR_OK)
		return e;
	/* Another process may have migrated between our check and our lock. */
	e = daemon_store_query_int(s, "PRAGMA user_version", &ver);
	if (e == ERR_OK && ver < m->version) {
		if (ver != m->version - 1)
			e = daemon_store_fail(s, ERR_IO, "schema version %lld, expected %d",
					      (long long)ver, m->version - 1);
		else
			e = migrate_step(s, m);
		applied = true;
	}
	if (e == ERR_OK)
		e = exec_sql(s, "COMMIT", "migration commit");
	if (e != ERR_OK) {
		char cause[sizeof s->errmsg];

		rollback_quiet(s);
		memcpy(cause, s->errmsg, sizeof cause);
		return daemon_store_fail(s, e, "migration %d (%s) failed: %s", m->version, m->name,
					 cause);
	}
	if (applied)
		log_info("store", "migrated version=%d name=\"%s\"", m->version, m->name);
	s->version = m->version;
	return ERR_OK;
}

static enum mp_err migrate(struct daemon_store *s, int max_version)
{
	size_t n;
	const struct daemon_store_migration *m = daemon_store_schema_migrations(&n);

	for (size_t i = 0; i < n; i++) {
		enum mp_err e;

		if (m[i].version <= s->version)
			continue;
		if (m[i].version > max_version)
			break;
		e = migrate_one(s, &m[i]);
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

enum mp_err daemon_store_open_at(const char *path, int max_version, struct daemon_store **out,
				 char *err, size_t errsz)
{
	struct daemon_store *s;
	char msg[512] = "";
	enum mp_err e;
	int rc;

	if (max_version == 0)
		max_version = daemon_store_schema_version();
	if (path == NULL || *path == '\0' || max_version < 1 ||
	    max_version > daemon_store_schema_version()) {
		if (errsz)
			snprintf(err, errsz, "store: bad path or schema version");
		return ERR_INVAL;
	}
	e = prepare_file(path, msg, sizeof msg);
	if (e != ERR_OK) {
		if (errsz)
			snprintf(err, errsz, "store: %s", msg);
		return e;
	}
	s = xcalloc(1, sizeof *s);
	rc = sqlite3_open_v2(
	    path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK)
		e = db_fail(s, rc, "open");
	if (e == ERR_OK) {
		sqlite3_busy_timeout(s->db, DAEMON_STORE_BUSY_TIMEOUT_MS);
		sqlite3_extended_result_codes(s->db, 1);
		e = check_identity(s);
	}
	if (e == ERR_OK)
		e = configure(s);
	if (e == ERR_OK)
		e = migrate(s, max_version);
	if (e == ERR_OK)
		e = set_sync(s, false);
	if (e != ERR_OK) {
		if (errsz)
			snprintf(err, errsz, "store: %s: %s", path, s->errmsg);
		daemon_store_close(s);
		return e;
	}
	s->ready = true;
	*out = s;
	return ERR_OK;
}

enum mp_err daemon_store_open(const char *path, struct daemon_store **out, char *err, size_t errsz)
{
	return daemon_store_open_at(path, 0, out, err, errsz);
}

void daemon_store_close(struct daemon_store *s)
{
	if (s == NULL)
		return;
	if (s->db && s->in_batch)
		daemon_store_rollback(s);
	for (size_t i = 0; i < s->n_stmts; i++) {
		sqlite3_finalize(s->stmts[i]->st);
		free(s->stmts[i]);
	}
	free(s->stmts);
	if (s->db) {
		/*
		 * Cheap planner statistics upkeep, as SQLite recommends at close;
		 * never on a database we refused (it may write sqlite_stat1).
		 */
		if (s->ready)
			(void)sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
		if (sqlite3_close(s->db) != SQLITE_OK)
			log_err("store", "close_failed error=\"%s\"", sqlite3_errmsg(s->db));
	}
	free(s);
}

int daemon_store_version(const struct daemon_store *s)
{
	return s->version;
}

const char *daemon_store_errmsg(const struct daemon_store *s)
{
	return s->errmsg;
}

/* ---- transactions ------------------------------------------------------- */

enum mp_err daemon_store_begin(struct daemon_store *s, bool durable)
{
	enum mp_err e;

	if (s->in_batch || s->op_depth)
		return daemon_store_fail(s, ERR_INVAL, "begin: a batch is already open");
	/* SQLite refuses to change the safety level inside a transaction. */
	e = set_sync(s, durable);
	if (e == ERR_OK)
		e = run_const(s, SQL_BEGIN);
	if (e != ERR_OK) {
		if (durable)
			(void)set_sync(s, false);
		return e;
	}
	s->in_batch = true;
	s->batch_durable = durable;
	return ERR_OK;
}

static void end_batch(struct daemon_store *s)
{
	if (s->batch_durable)
		(void)set_sync(s, false);
	s->in_batch = false;
	s->batch_durable = false;
}

enum mp_err daemon_store_commit(struct daemon_store *s)
{
	enum mp_err e;

	if (!s->in_batch)
		return daemon_store_fail(s, ERR_INVAL, "commit: no batch is open");
	if (sqlite3_get_autocommit(s->db))
		e = daemon_store_fail(s, ERR_IO,
				      "commit: the batch was aborted by an earlier error");
	else
		e = run_const(s, SQL_COMMIT);
	if (e != ERR_OK)
		rollback_quiet(s);
	end_batch(s);
	return e;
}

void daemon_store_rollback(struct daemon_store *s)
{
	if (!s->in_batch)
		return;
	rollback_quiet(s);
	end_batch(s);
}

bool daemon_store_in_batch(const struct daemon_store *s)
{
	return s->in_batch || s->op_depth > 0;
}

enum mp_err daemon_store_op_begin(struct daemon_store *s, bool durable)
{
	enum mp_err e;

	if (s->op_depth == 0 && !s->in_batch) {
		e = durable ? set_sync(s, true) : ERR_OK;
		if (e != ERR_OK)
			return e;
		e = run_const(s, SQL_BEGIN);
		if (e != ERR_OK) {
			if (durable)
				(void)set_sync(s, false);
			return e;
		}
		s->op_tx = true;
		s->op_full = durable;
	} else {
		bool full = s->in_batch ? s->batch_durable : s->op_full;

		if (durable && !full)
			return daemon_store_fail(s, ERR_INVAL,
						 "durable write inside a non-durable batch");
		if (sqlite3_get_autocommit(s->db))
			return daemon_store_fail(s, ERR_IO,
						 "the batch was aborted by an earlier "
						 "error");
		e = run_const(s, SQL_SAVEPOINT);
		if (e != ERR_OK)
			return e;
	}
	s->op_depth++;
	return ERR_OK;
}

enum mp_err daemon_store_op_end(struct daemon_store *s, enum mp_err rc)
{
	enum mp_err e = ERR_OK;

	s->op_depth--;
	if (s->op_depth == 0 && s->op_tx) {
		if (rc == ERR_OK)
			e = run_const(s, SQL_COMMIT);
		if (rc != ERR_OK || e != ERR_OK)
			rollback_quiet(s);
		if (s->op_full)
			(void)set_sync(s, false);
		s->op_tx = false;
		s->op_full = false;
		return rc != ERR_OK ? rc : e;
	}
	if (sqlite3_get_autocommit(s->db)) /* SQLite rolled the whole batch back */
		return rc != ERR_OK ? rc : daemon_store_fail(s, ERR_IO, "transaction aborted");
	if (rc != ERR_OK)
		(void)run_const(s, SQL_ROLLBACK_TO);
	e = run_const(s, SQL_RELEASE);
	return rc != ERR_OK ? rc : e;
}

/* ---- statement facade ----------------------------------------------------- */

enum mp_err daemon_store_prepare(struct daemon_store *s, const char *sql,
				 struct daemon_store_stmt **out)
{
	struct daemon_store_stmt *q;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc;

	for (size_t i = 0; i < s->n_stmts; i++) {
		if (s->stmts[i]->key == sql) {
			*out = s->stmts[i];
			return ERR_OK;
		}
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "prepare");
	if (st == NULL || (tail && *tail)) {
		sqlite3_finalize(st);
		return daemon_store_fail(s, ERR_INVAL, "prepare: not exactly one statement");
	}
	q = xcalloc(1, sizeof *q);
	q->s = s;
	q->key = sql;
	q->st = st;
	s->stmts = xreallocarray(s->stmts, s->n_stmts + 1, sizeof *s->stmts);
	s->stmts[s->n_stmts++] = q;
	*out = q;
	return ERR_OK;
}

static void bind_done(struct daemon_store_stmt *q, int rc)
{
	if (rc != SQLITE_OK && q->bind_rc == SQLITE_OK)
		q->bind_rc = rc;
}

void daemon_store_bind_text(struct daemon_store_stmt *q, int i, const char *v)
{
	if (v == NULL)
		bind_done(q, sqlite3_bind_null(q->st, i));
	else
		bind_done(
		    q, sqlite3_bind_text64(q->st, i, v, strlen(v), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void daemon_store_bind_blob(struct daemon_store_stmt *q, int i, const void *v, size_t len)
{
	if (v == NULL)
		bind_done(q, sqlite3_bind_null(q->st, i));
	else
		bind_done(q, sqlite3_bind_blob64(q->st, i, v, len, SQLITE_TRANSIENT));
}

void daemon_store_bind_int(struct daemon_store_stmt *q, int i, int64_t v)
{
	bind_done(q, sqlite3_bind_int64(q->st, i, v));
}

void daemon_store_bind_null(struct daemon_store_stmt *q, int i)
{
	bind_done(q, sqlite3_bind_null(q->st, i));
}

enum mp_err daemon_store_step(struct daemon_store_stmt *q, bool *row)
{
	int rc;

	if (q->bind_rc != SQLITE_OK)
		return daemon_store_fail(q->s, map_rc(q->bind_rc), "bind: %s",
					 sqlite3_errstr(q->bind_rc));
	rc = sqlite3_step(q->st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*row = rc == SQLITE_ROW;
		return ERR_OK;
	}
	return db_fail(q->s, rc, "step");
}

bool daemon_store_next(struct daemon_store_stmt *q, enum mp_err *err)
{
	bool row = false;

	*err = daemon_store_step(q, &row);
	return *err == ERR_OK && row;
}

enum mp_err daemon_store_run(struct daemon_store_stmt *q)
{
	bool row;
	enum mp_err e = daemon_store_step(q, &row);

	daemon_store_reset(q);
	return e;
}

void daemon_store_reset(struct daemon_store_stmt *q)
{
	sqlite3_reset(q->st);
	sqlite3_clear_bindings(q->st);
	q->bind_rc = SQLITE_OK;
}

int64_t daemon_store_col_int(struct daemon_store_stmt *q, int i)
{
	return sqlite3_column_int64(q->st, i);
}

bool daemon_store_col_null(struct daemon_store_stmt *q, int i)
{
	return sqlite3_column_type(q->st, i) == SQLITE_NULL;
}

const char *daemon_store_col_text(struct daemon_store_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q->st, i);
}

char *daemon_store_col_str(struct daemon_store_stmt *q, int i)
{
	const char *t = daemon_store_col_text(q, i);

	return t ? xmemdup0(t, (size_t)sqlite3_column_bytes(q->st, i)) : NULL;
}

char *daemon_store_col_blob(struct daemon_store_stmt *q, int i, size_t *len)
{
	const void *b;
	int n;

	if (sqlite3_column_type(q->st, i) == SQLITE_NULL) {
		*len = 0;
		return NULL;
	}
	b = sqlite3_column_blob(q->st, i);
	n = sqlite3_column_bytes(q->st, i);
	*len = (size_t)n;
	return xmemdup0(b ? b : "", (size_t)n);
}

int64_t daemon_store_changes(struct daemon_store *s)
{
	return sqlite3_changes64(s->db);
}

int64_t daemon_store_last_id(struct daemon_store *s)
{
	return sqlite3_last_insert_rowid(s->db);
}

/* ---- integrity ---------------------------------------------- */

/* Append the columns of the current row of st to err, then "; ". */
static void append_row(sqlite3_stmt *st, char *err, size_t errsz, size_t *used)
{
	int cols = sqlite3_column_count(st);
	size_t start = *used;

	for (int c = 0; c < cols && *used + 1 < errsz; c++) {
		const char *v = (const char *)sqlite3_column_text(st, c);
		int w = snprintf(err + *used, errsz - *used, "%s%s", c ? " " : "", v ? v : "NULL");

		*used += w > 0 ? (size_t)w : 0;
		if (*used >= errsz)
			*used = errsz - 1;
	}
	/* one line of words: SQLite's report has newlines in it */
	for (size_t i = start; i < *used; i++)
		if ((unsigned char)err[i] < 0x20)
			err[i] = ' ';
	if (*used + 2 < errsz) {
		err[(*used)++] = ';';
		err[(*used)++] = ' ';
		err[*used] = '\0';
	}
}

/* Append the problems a check pragma reports to err; returns how many. */
static int collect(struct daemon_store *s, const char *sql, bool skip_ok, char *err, size_t errsz,
		   size_t *used, enum mp_err *e)
{
	sqlite3_stmt *st = NULL;
	int n = 0, rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		const char *t;

		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		t = (const char *)sqlite3_column_text(st, 0);
		if (skip_ok && t && strcmp(t, "ok") == 0)
			continue;
		n++;
		append_row(st, err, errsz, used);
	}
	if (rc != SQLITE_DONE) {
		*e = db_fail(s, rc, "integrity check");
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

enum mp_err daemon_store_integrity_check(struct daemon_store *s, char *err, size_t errsz)
{
	enum mp_err e = ERR_OK;
	char scratch[1];
	size_t used = 0;
	int n;

	if (errsz == 0) {
		err = scratch;
		errsz = sizeof scratch;
	}
	err[0] = '\0';
	n = collect(s, "PRAGMA integrity_check(20)", true, err, errsz, &used, &e);
	n += collect(s, "PRAGMA foreign_key_check", false, err, errsz, &used, &e);
	if (n == 0)
		return ERR_OK;
	if (e != ERR_OK && used == 0)
		snprintf(err, errsz, "%s", s->errmsg);
	daemon_store_fail(s, ERR_IO, "integrity check: %s", err);
	return ERR_IO;
}
