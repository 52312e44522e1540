/*
 * daemon/store: mailpulsed's history in SQLite (the ONLY module including
 * sqlite3.h; STYLE.md 6).  This module owns the connection: opening, the
 * pragmas, schema migrations, transactions, the integrity check,
 * and a thin statement facade through which the sibling modules
 * daemon/store_result (check results, findings, day buckets),
 * daemon/store_alert (state transitions, alert episodes, the alert engine's
 * saved state), daemon/store_outbox (the notification outbox, per-channel
 * counters) and daemon/store_prune (retention) run their SQL.  The schema
 * text itself lives in daemon/store_schema.
 *
 * It does not decide anything: states, episodes and payloads come from the
 * alert engine; it never reads the wall clock for data (every time is given
 * by the caller as unix seconds UTC, so tests use fixed clocks).
 *
 * Durability (issue 3):
 *  - journal_mode=WAL, synchronous=NORMAL: a commit survives a crash of the
 *    process (kill -9) but the last commits may roll back on power loss.
 *  - Writes that must survive power loss (alert episodes and the
 *    notification outbox: "after a restart nothing is re-sent twice") run in
 *    "durable" transactions committed with synchronous=FULL (SQLite fsyncs the
 *    WAL at that commit).  SQLite refuses to change the level inside a
 *    transaction, so a durable write either runs in its own transaction or
 *    inside a batch opened with daemon_store_begin(s, true).
 *  - busy_timeout 5 s, foreign_keys=ON, trusted_schema=OFF, defensive mode.
 *  - The file (and with it -wal and -shm, which SQLite creates with the
 *    database's mode) is created 0600; an existing file readable by others
 *    is tightened to 0600 with a warning.
 *
 * Threads: a handle is opened with SQLITE_OPEN_NOMUTEX and must be used by
 * ONE thread at a time (the daemon runs the store on its own thread and
 * talks to it through queues, STYLE.md 20).  FULLMUTEX would not make a
 * shared handle safe anyway: the cached statements are bound, stepped and
 * reset in sequences that a per-call mutex does not keep together, and the
 * last-error text is per handle.  Other threads or processes may open their
 * own handles on the same file (WAL: readers never block the writer).
 *
 * Errors: functions return enum mp_err; ERR_IO for SQLite failures,
 * ERR_TIMEOUT when the database stayed locked past busy_timeout, ERR_INVAL
 * for bad arguments or a violated constraint, ERR_LIMIT for a full disk or
 * an oversized value, ERR_NOTFOUND for a missing row, ERR_UNSUPPORTED for a
 * file that is not (or is a newer) mailpulse database.  The words go to
 * daemon_store_errmsg().  No SQL text or value from outside is ever
 * interpolated into SQL: everything is bound.
 */
#ifndef MAILPULSE_DAEMON_STORE_H
#define MAILPULSE_DAEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

struct daemon_store;

/* How long a locked database is waited for before ERR_TIMEOUT. */
#define DAEMON_STORE_BUSY_TIMEOUT_MS 5000

/*
 * Open (creating if needed, mode 0600) the database at path and bring its
 * schema to the current version (daemon_store_schema_version()).
 * On failure *out is untouched and err (errsz bytes, may be 0) holds words
 * for the operator.  Returns ERR_UNSUPPORTED for a file that is another
 * program's database or was written by a newer mailpulsed.
 * Caller closes with daemon_store_close().
 */
enum mp_err daemon_store_open(const char *path, struct daemon_store **out, char *err,
			      size_t errsz) MP_WUR;

/*
 * Like daemon_store_open() but stop the migrations at max_version (1 ..
 * current; 0 means current).  For tests that build an old database and for
 * inspecting one; functions needing newer tables then fail with ERR_IO.
 */
enum mp_err daemon_store_open_at(const char *path, int max_version, struct daemon_store **out,
				 char *err, size_t errsz) MP_WUR;

/*
 * Finalize every statement and close the connection (an open batch is rolled
 * back).  NULL is a no-op.
 */
void daemon_store_close(struct daemon_store *s);

/* The schema version of the open database (PRAGMA user_version). */
int daemon_store_version(const struct daemon_store *s);

/* Words about the last failure on this handle ("" if none); borrowed. */
const char *daemon_store_errmsg(const struct daemon_store *s);

/*
 * One transaction for a batch of writes (one check round): every store call
 * until daemon_store_commit() joins it, so a round is stored whole or not at
 * all, and thousands of inserts cost one commit.  A call failing inside the
 * batch undoes only its own changes (a savepoint) unless SQLite aborted the
 * whole transaction, in which case commit reports it.  durable: commit with
 * synchronous=FULL; required if the batch opens/closes episodes or touches
 * the outbox (those calls return ERR_INVAL inside a non-durable batch).
 * Batches do not nest (ERR_INVAL).
 */
enum mp_err daemon_store_begin(struct daemon_store *s, bool durable) MP_WUR;
/* Commit the batch.  On failure everything since begin is rolled back. */
enum mp_err daemon_store_commit(struct daemon_store *s) MP_WUR;
/* Roll the batch back (no-op without a batch). */
void daemon_store_rollback(struct daemon_store *s);
/* True while a batch (or a store call) holds a transaction open. */
bool daemon_store_in_batch(const struct daemon_store *s);

/*
 * PRAGMA integrity_check and PRAGMA foreign_key_check.  ERR_OK when both
 * are clean; otherwise ERR_IO with the first problems in err (errsz bytes).
 */
enum mp_err daemon_store_integrity_check(struct daemon_store *s, char *err, size_t errsz) MP_WUR;

/*
 * Run trusted SQL text (one or more statements) from the program itself or
 * from tests, never text built from outside input.  Not for normal
 * operation: the typed functions are the API.
 */
enum mp_err daemon_store_exec(struct daemon_store *s, const char *sql) MP_WUR;
/*
 * Run one trusted SQL statement returning a single integer (first column of
 * the first row; ERR_NOTFOUND when no row), e.g. "PRAGMA synchronous" or a
 * count(*) in a test.  Same rule as daemon_store_exec().
 */
enum mp_err daemon_store_query_int(struct daemon_store *s, const char *sql, int64_t *out) MP_WUR;

/*
 * ---- Statement facade, for daemon/store_*.c only --------------------------
 * The sibling modules never see sqlite3.h: they get cached prepared
 * statements by their SQL text (the key is the pointer: pass a static
 * string) and bind, step and read through these calls.  Parameters and
 * columns are numbered from 1 and 0 respectively, as in SQLite.
 */
struct daemon_store_stmt;

/* The cached statement for sql, prepared on first use (persistent). */
enum mp_err daemon_store_prepare(struct daemon_store *s, const char *sql,
				 struct daemon_store_stmt **out) MP_WUR;
/* Bind a C string (NULL binds SQL NULL). */
void daemon_store_bind_text(struct daemon_store_stmt *q, int i, const char *v);
/* Bind len bytes as a BLOB (NULL binds SQL NULL). */
void daemon_store_bind_blob(struct daemon_store_stmt *q, int i, const void *v, size_t len);
/* Bind an integer, or SQL NULL. */
void daemon_store_bind_int(struct daemon_store_stmt *q, int i, int64_t v);
void daemon_store_bind_null(struct daemon_store_stmt *q, int i);
/* Step: *row true when a row is available, false when done. */
enum mp_err daemon_store_step(struct daemon_store_stmt *q, bool *row) MP_WUR;
/*
 * Loop helper: step q; true when a row is ready; false when q is done
 * (*err ERR_OK) or failed (*err set).  while (e == ERR_OK &&
 * daemon_store_next(q, &e)) { ... } reads every row.
 */
bool daemon_store_next(struct daemon_store_stmt *q, enum mp_err *err);
/* Step a statement that returns no row, then reset it. */
enum mp_err daemon_store_run(struct daemon_store_stmt *q) MP_WUR;
/* Reset and clear the bindings; always call when done with a statement. */
void daemon_store_reset(struct daemon_store_stmt *q);
/* An INTEGER column (0 for NULL); whether a column is SQL NULL. */
int64_t daemon_store_col_int(struct daemon_store_stmt *q, int i);
bool daemon_store_col_null(struct daemon_store_stmt *q, int i);
/* Copy of a TEXT column (xstrdup; NULL for SQL NULL); caller frees. */
char *daemon_store_col_str(struct daemon_store_stmt *q, int i);
/* Borrowed TEXT column, valid until the next step/reset; NULL for SQL NULL. */
const char *daemon_store_col_text(struct daemon_store_stmt *q, int i);
/* Copy of a BLOB column plus a NUL (xmemdup0; NULL for SQL NULL); caller frees. */
char *daemon_store_col_blob(struct daemon_store_stmt *q, int i, size_t *len);
/* Rows changed by the last INSERT/UPDATE/DELETE on this handle. */
int64_t daemon_store_changes(struct daemon_store *s);
/* rowid of the last INSERT on this handle. */
int64_t daemon_store_last_id(struct daemon_store *s);
/*
 * Atomic unit of one API call: starts a transaction (BEGIN IMMEDIATE, with
 * synchronous=FULL when durable) or, inside a batch or another op, a
 * savepoint.  daemon_store_op_end() commits/releases when rc is ERR_OK and
 * rolls back otherwise; it returns rc, or the commit's error.
 */
enum mp_err daemon_store_op_begin(struct daemon_store *s, bool durable) MP_WUR;
enum mp_err daemon_store_op_end(struct daemon_store *s, enum mp_err rc) MP_WUR;
/*
 * ERR_INVAL (with words naming what) unless v is 1..max bytes with no
 * control byte; names (domains, checks, channels, ids, states) are checked
 * with it before they are stored.
 */
enum mp_err daemon_store_check_name(struct daemon_store *s, const char *what, const char *v,
				    size_t max) MP_WUR;
/* ERR_LIMIT (with words) when v is not NULL and longer than max bytes. */
enum mp_err daemon_store_check_len(struct daemon_store *s, const char *what, const char *v,
				   size_t len, size_t max) MP_WUR;
/* Record words for daemon_store_errmsg() and return err (for validation failures). */
enum mp_err daemon_store_fail(struct daemon_store *s, enum mp_err err, const char *fmt, ...)
    MP_PRINTF(3, 4);

#endif
