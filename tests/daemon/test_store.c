/*
 * tests/daemon/test_store: the connection of daemon/store: file creation
 * and mode, the pragmas (WAL, NORMAL/FULL, busy_timeout, foreign keys),
 * refusing foreign and newer databases, batches and their savepoints, the
 * statement facade, exec/query_int, and the integrity check (clean, broken
 * foreign keys, a corrupted page).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_alert.h"
#include "daemon/store_result.h"
#include "daemon/store_schema.h"
#include "tests/lib/tap.h"

static char *path_in_tmp(const char *name)
{
	return xasprintf("%s/%s", tap_tmpdir(), name);
}

static struct daemon_store *open_ok(const char *path)
{
	struct daemon_store *s = NULL;
	char err[256] = "";
	enum mp_err e = daemon_store_open(path, &s, err, sizeof err);

	if (!tap_ok(e == ERR_OK && s != NULL, "open %s", path))
		tap_diag("error: %s", err);
	return s;
}

static int64_t qint(struct daemon_store *s, const char *sql)
{
	int64_t v = -999;

	if (daemon_store_query_int(s, sql, &v) != ERR_OK)
		tap_diag("query failed: %s: %s", sql, daemon_store_errmsg(s));
	return v;
}

static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		fatal("cannot write %s", path);
	close(fd);
	chmod(path, mode);
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : 07777;
}

static void test_open_and_pragmas(void)
{
	char *path = path_in_tmp("fresh.db"), *wal = xasprintf("%s-wal", path);
	struct daemon_store *s = open_ok(path);

	if (s == NULL)
		goto out;
	tap_is_int(file_mode(path), 0600, "database file created 0600");
	tap_is_int(qint(s, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"),
		   1, "journal_mode is WAL");
	tap_is_int(qint(s, "PRAGMA synchronous"), 1, "synchronous is NORMAL");
	tap_is_int(qint(s, "PRAGMA foreign_keys"), 1, "foreign keys on");
	tap_is_int(qint(s, "PRAGMA busy_timeout"), DAEMON_STORE_BUSY_TIMEOUT_MS, "busy_timeout");
	tap_is_int(qint(s, "PRAGMA application_id"), DAEMON_STORE_SCHEMA_APP_ID,
		   "application_id is MPLS");
	tap_is_int(daemon_store_version(s), daemon_store_schema_version(), "schema is current");
	tap_is_int(qint(s, "PRAGMA user_version"), daemon_store_schema_version(),
		   "user_version is current");
	tap_is_int(qint(s, "SELECT count(*) FROM schema_migrations"), daemon_store_schema_version(),
		   "one schema_migrations row per step");
	tap_ok(daemon_store_exec(s, "CREATE TABLE scratch (x); INSERT INTO scratch VALUES (1)") ==
		   ERR_OK,
	       "exec runs several statements");
	tap_is_int(file_mode(wal), 0600, "the -wal file is 0600 too");
	tap_ok(daemon_store_query_int(s, "SELECT x FROM scratch WHERE x = 2", &(int64_t){0}) ==
		   ERR_NOTFOUND,
	       "query_int without a row is ERR_NOTFOUND");
	tap_ok(daemon_store_exec(s, "SELECT nonsense FROM nowhere") == ERR_IO &&
		   strstr(daemon_store_errmsg(s), "nowhere") != NULL,
	       "bad SQL is ERR_IO with SQLite's words: %s", daemon_store_errmsg(s));
	daemon_store_close(s);
	/* reopening changes nothing */
	s = open_ok(path);
	if (s)
		tap_is_int(qint(s, "SELECT count(*) FROM schema_migrations"),
			   daemon_store_schema_version(), "reopen applies no migration again");
	daemon_store_close(s);
out:
	daemon_store_close(NULL); /* a no-op */
	free(wal);
	free(path);
}

static void test_refusals(void)
{
	char *path = path_in_tmp("refuse.db"), *junk = path_in_tmp("junk.db");
	char *loose = path_in_tmp("loose.db"), *dir = path_in_tmp("adir");
	char *link = path_in_tmp("link.db");
	struct daemon_store *s = NULL;
	char err[256] = "";
	static const char garbage[] = "this is not an SQLite database, just some text in a file "
				      "that is long enough to have a header of 100 bytes......"
				      "..........................................";

	write_file(junk, garbage, sizeof garbage - 1, 0600);
	tap_ok(daemon_store_open(junk, &s, err, sizeof err) == ERR_UNSUPPORTED && s == NULL,
	       "a file that is not a database is refused: %s", err);
	/* another program's SQLite database */
	s = open_ok(path);
	tap_ok(s && daemon_store_exec(s, "PRAGMA application_id = 42") == ERR_OK, "relabel");
	daemon_store_close(s);
	s = NULL;
	tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_UNSUPPORTED && s == NULL &&
		   strstr(err, "not a mailpulse database"),
	       "another application's database is refused: %s", err);
	/* an unlabelled database with tables in it (someone else's) */
	unlink(path);
	s = open_ok(path);
	tap_ok(s && daemon_store_exec(s, "PRAGMA application_id = 0; PRAGMA user_version = 0") ==
			ERR_OK,
	       "unlabel");
	daemon_store_close(s);
	s = NULL;
	tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_UNSUPPORTED && s == NULL,
	       "an unlabelled database with tables is refused: %s", err);
	/* a newer mailpulse database */
	unlink(path);
	s = open_ok(path);
	tap_ok(s && daemon_store_exec(s, "PRAGMA user_version = 99") == ERR_OK, "bump version");
	daemon_store_close(s);
	s = NULL;
	tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_UNSUPPORTED &&
		   strstr(err, "newer"),
	       "a newer schema is refused: %s", err);
	tap_ok(daemon_store_open_at(path, 99, &s, err, sizeof err) == ERR_INVAL,
	       "open_at beyond the current version is ERR_INVAL");
	tap_ok(daemon_store_open("", &s, err, sizeof err) == ERR_INVAL, "empty path");
	mkdir(dir, 0700);
	tap_ok(daemon_store_open(dir, &s, err, sizeof err) != ERR_OK && s == NULL,
	       "a directory is refused: %s", err);
	tap_ok(symlink(junk, link) == 0 && daemon_store_open(link, &s, err, sizeof err) == ERR_IO &&
		   s == NULL,
	       "a symlink is refused (O_NOFOLLOW): %s", err);
	/* an existing empty file readable by others is tightened */
	write_file(loose, "", 0, 0644);
	s = open_ok(loose);
	tap_is_int(file_mode(loose), 0600, "an existing 0644 file is tightened to 0600");
	daemon_store_close(s);
	free(link);
	free(dir);
	free(loose);
	free(junk);
	free(path);
}

static struct daemon_store_result result(const char *domain, const char *check, int64_t at,
					 enum dns_sev sev)
{
	struct daemon_store_result r = {.domain = domain,
					.check = check,
					.at = at,
					.severity = sev,
					.spf_lookups = -1,
					.spf_void_lookups = -1};

	return r;
}

static void test_batches(void)
{
	char *path = path_in_tmp("batch.db");
	struct daemon_store *s = open_ok(path);
	struct daemon_store_result r = result("example.com", "spf", 1000, SEV_OK);
	struct daemon_store_alert_episode ep = {.id = "ep1",
						.domain = "example.com",
						.check = "spf",
						.severity = SEV_WARN,
						.started_at = 1000};
	struct daemon_store_alert_episode ep2 = ep;

	if (s == NULL)
		goto out;
	tap_ok(daemon_store_commit(s) == ERR_INVAL, "commit without a batch is ERR_INVAL");
	daemon_store_rollback(s); /* no-op */
	tap_ok(!daemon_store_in_batch(s), "no batch open");
	tap_ok(daemon_store_begin(s, false) == ERR_OK, "begin");
	tap_ok(daemon_store_in_batch(s), "in batch");
	tap_ok(daemon_store_begin(s, false) == ERR_INVAL, "batches do not nest");
	tap_is_int(qint(s, "PRAGMA synchronous"), 1, "a normal batch runs with NORMAL");
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_OK, "add inside a batch");
	tap_ok(daemon_store_alert_episode_open(s, &ep, NULL) == ERR_INVAL,
	       "a durable write inside a non-durable batch is ERR_INVAL");
	daemon_store_rollback(s);
	tap_is_int(qint(s, "SELECT count(*) FROM results"), 0, "rollback drops the batch");
	tap_is_int(qint(s, "SELECT count(*) FROM day_buckets"), 0, "and its bucket");

	tap_ok(daemon_store_begin(s, true) == ERR_OK, "begin durable");
	tap_is_int(qint(s, "PRAGMA synchronous"), 2, "a durable batch runs with FULL");
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_OK, "add");
	tap_ok(daemon_store_alert_episode_open(s, &ep, NULL) == ERR_OK, "open episode");
	ep2.id = "ep2"; /* same check and severity: the one-open-episode index refuses */
	tap_ok(daemon_store_alert_episode_open(s, &ep2, NULL) == ERR_INVAL,
	       "a failing call inside a batch: %s", daemon_store_errmsg(s));
	r.at = 2000;
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_OK, "the batch goes on");
	tap_ok(daemon_store_commit(s) == ERR_OK, "commit");
	tap_is_int(qint(s, "PRAGMA synchronous"), 1, "back to NORMAL after the durable batch");
	tap_is_int(qint(s, "SELECT count(*) FROM results"), 2, "both results committed");
	tap_is_int(qint(s, "SELECT count(*) FROM episodes"), 1, "only the good episode");
	tap_ok(daemon_store_alert_episode_close(s, "ep1", 3000) == ERR_OK,
	       "a durable call on its own");
	tap_is_int(qint(s, "PRAGMA synchronous"), 1, "NORMAL again after a durable call");
out:
	daemon_store_close(s);
	free(path);
}

static void test_facade(void)
{
	static const char sql_put[] = "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)";
	static const char sql_get[] = "SELECT a, b, c FROM t WHERE rowid = ?1";
	static const char two[] = "SELECT 1; SELECT 2";
	char *path = path_in_tmp("facade.db");
	struct daemon_store *s = open_ok(path);
	struct daemon_store_stmt *q = NULL, *q2 = NULL;
	bool row = false;
	size_t len = 0;
	char *blob;

	if (s == NULL)
		goto out;
	tap_ok(daemon_store_exec(s, "CREATE TABLE t (a TEXT, b BLOB, c INTEGER)") == ERR_OK,
	       "table");
	tap_ok(daemon_store_prepare(s, sql_put, &q) == ERR_OK, "prepare");
	tap_ok(daemon_store_prepare(s, sql_put, &q2) == ERR_OK && q == q2,
	       "the same SQL text gives the cached statement");
	daemon_store_bind_text(q, 1, "x\xff\xfey"); /* invalid UTF-8 survives */
	daemon_store_bind_blob(q, 2, "a\0b", 3);
	daemon_store_bind_int(q, 3, INT64_MIN);
	tap_ok(daemon_store_run(q) == ERR_OK && daemon_store_changes(s) == 1, "insert");
	tap_ok(daemon_store_prepare(s, sql_get, &q) == ERR_OK, "prepare select");
	daemon_store_bind_int(q, 1, daemon_store_last_id(s));
	tap_ok(daemon_store_step(q, &row) == ERR_OK && row, "row");
	tap_is_str(daemon_store_col_text(q, 0), "x\xff\xfey", "text back byte for byte");
	blob = daemon_store_col_blob(q, 1, &len);
	tap_ok(blob && len == 3 && memcmp(blob, "a\0b", 3) == 0, "blob with NUL back");
	free(blob);
	tap_ok(daemon_store_col_int(q, 2) == INT64_MIN, "int64 back");
	tap_ok(!daemon_store_col_null(q, 2), "not null");
	daemon_store_reset(q);
	daemon_store_bind_int(q, 7, 1); /* no such parameter: reported by the step */
	tap_ok(daemon_store_step(q, &row) == ERR_INVAL, "a bad bind is reported at step: %s",
	       daemon_store_errmsg(s));
	daemon_store_reset(q);
	tap_ok(daemon_store_prepare(s, two, &q) == ERR_INVAL, "two statements are refused");
	tap_ok(daemon_store_check_name(s, "x", "ok-name", 10) == ERR_OK, "name ok");
	tap_ok(daemon_store_check_name(s, "x", "", 10) == ERR_INVAL, "empty name");
	tap_ok(daemon_store_check_name(s, "x", NULL, 10) == ERR_INVAL, "NULL name");
	tap_ok(daemon_store_check_name(s, "x", "0123456789a", 10) == ERR_INVAL, "long name");
	tap_ok(daemon_store_check_name(s, "x", "a\nb", 10) == ERR_INVAL, "control byte");
	tap_ok(daemon_store_check_len(s, "x", "abc", 3, 2) == ERR_LIMIT, "too long text");
out:
	daemon_store_close(s);
	free(path);
}

/* A second handle reads while the first holds a write transaction (WAL). */
static void test_two_handles(void)
{
	char *path = path_in_tmp("two.db");
	struct daemon_store *a = open_ok(path), *b = open_ok(path);
	struct daemon_store_result r = result("example.com", "dkim", 5000, SEV_OK);

	if (a == NULL || b == NULL)
		goto out;
	tap_ok(daemon_store_begin(a, false) == ERR_OK, "A begins");
	tap_ok(daemon_store_result_add(a, &r, NULL, NULL) == ERR_OK, "A writes");
	tap_is_int(qint(b, "SELECT count(*) FROM results"), 0,
		   "B reads while A writes, and sees the last commit");
	tap_ok(daemon_store_commit(a) == ERR_OK, "A commits");
	tap_is_int(qint(b, "SELECT count(*) FROM results"), 1, "B sees the commit");
out:
	daemon_store_close(a);
	daemon_store_close(b);
	free(path);
}

static void test_integrity(void)
{
	char *path = path_in_tmp("integrity.db");
	struct daemon_store *s = open_ok(path);
	char err[512] = "x";
	struct stat st;
	char *junk;
	int fd;

	if (s == NULL)
		goto out;
	tap_ok(daemon_store_integrity_check(s, err, sizeof err) == ERR_OK && err[0] == '\0',
	       "a fresh database is intact: %s", err);
	tap_ok(daemon_store_exec(s, "PRAGMA foreign_keys = OFF;"
				    "INSERT INTO outbox (episode_id, channel, event, payload,"
				    " next_attempt_at, created_at, updated_at)"
				    " VALUES ('nobody', 'slack', 'firing', '{}', 0, 0, 0);"
				    "PRAGMA foreign_keys = ON") == ERR_OK,
	       "plant a dangling outbox row");
	tap_ok(daemon_store_integrity_check(s, err, sizeof err) == ERR_IO &&
		   strstr(err, "outbox") != NULL,
	       "a broken foreign key is reported: %s", err);
	tap_ok(daemon_store_exec(s, "DELETE FROM outbox") == ERR_OK, "clean up");
	for (int i = 0; i < 200; i++) {
		struct daemon_store_result r = result("example.com", "mx", 100 + i, SEV_WARN);

		if (daemon_store_result_add(s, &r, NULL, NULL) != ERR_OK)
			break;
	}
	daemon_store_close(s); /* checkpoints the WAL into the file */
	s = NULL;
	/* Overwrite the last page (table data, past the schema) with a pattern. */
	fd = open(path, O_RDWR);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size >= 8192) {
		size_t n = 4096;

		junk = xmalloc(n);
		memset(junk, 0x5a, n);
		tap_ok(pwrite(fd, junk, n, st.st_size - (off_t)n) == (ssize_t)n,
		       "corrupt %zu bytes", n);
		free(junk);
	} else {
		tap_ok(false, "database file to corrupt");
	}
	if (fd >= 0)
		close(fd);
	{
		char oerr[256] = "";
		enum mp_err e = daemon_store_open(path, &s, oerr, sizeof oerr);

		if (e == ERR_OK)
			tap_ok(daemon_store_integrity_check(s, err, sizeof err) == ERR_IO &&
				   err[0] != '\0',
			       "corruption is reported: %.200s", err);
		else
			tap_ok(e == ERR_IO || e == ERR_UNSUPPORTED,
			       "corruption refused at open: %s", oerr);
	}
out:
	daemon_store_close(s);
	free(path);
}

int main(void)
{
	test_open_and_pragmas();
	test_refusals();
	test_batches();
	test_facade();
	test_two_handles();
	test_integrity();
	return tap_done();
}
