/*
 * tests/daemon/test_report_ingest: daemon/report_ingest over a real store
 * in a temp dir and the fixtures of tests/fixtures/reports/ingest: an
 * aggregate report is stored (rows and totals), the same one again is a
 * duplicate that writes nothing, an invalid one is quarantined (0600 file
 * with a .reason beside it, a report_rejects row, nothing stored), an
 * e-mail with one good and one bad attachment stores the good one and
 * quarantines the input, a message that holds no report is quarantined
 * with ERR_NOTFOUND, TLS-RPT and failure reports are stored (a failure
 * report received twice counts once), hostile inputs (NUL bytes, 64 KB of
 * garbage, invalid UTF-8) are rejected with a reason, a store failure is
 * ERR_IO with nothing quarantined, and file input gives the same results.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/report_ingest.h"
#include "daemon/store.h"
#include "tests/lib/tap.h"

#define NOW 1700100000

static struct daemon_store *st;
static char *qdir;

static char *slurp(const char *name, size_t *len)
{
	char *path = xasprintf("%s/tests/fixtures/reports/ingest/%s", tap_srcdir(), name);
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		tap_diag("cannot read %s", path);
		if (f)
			fclose(f);
		free(path);
		*len = 0;
		return xstrdup("");
	}
	data = xmalloc((size_t)n + 1);
	*len = fread(data, 1, (size_t)n, f);
	data[*len] = '\0';
	fclose(f);
	free(path);
	return data;
}

static int64_t count(const char *sql)
{
	int64_t n = -1;

	if (daemon_store_query_int(st, sql, &n) != ERR_OK)
		return -1;
	return n;
}

/* Files in the quarantine dir whose name ends with suffix. */
static int qfiles(const char *suffix)
{
	DIR *d = opendir(qdir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);

		if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void opts(struct daemon_report_ingest_opts *o, const char *source)
{
	memset(o, 0, sizeof *o);
	o->source = source;
	o->quarantine_dir = qdir;
	o->max_size = 1024 * 1024;
	o->max_ratio = 100;
	o->now = NOW;
}

static enum mp_err ingest(const char *data, size_t len, struct daemon_report_ingest_result *res)
{
	struct daemon_report_ingest_opts o;

	opts(&o, "listener");
	return daemon_report_ingest_mem(st, &o, data, len, res);
}

static void test_aggregate(void)
{
	struct daemon_report_ingest_result r;
	size_t len;
	char *x = slurp("agg.xml", &len);
	enum mp_err rc = ingest(x, len, &r);

	tap_ok(rc == ERR_OK && r.stored == 1 && r.duplicates == 0 && r.rejected == 0 &&
		   r.found == 1,
	       "aggregate report stored (rc=%d stored=%u why=%s)", rc, r.stored, r.why);
	tap_is_str(r.domains, "example.com", "its domain is reported");
	tap_is_str(r.quarantined, "", "nothing quarantined");
	tap_is_int(count("SELECT count(*) FROM reports WHERE kind='aggregate' AND "
			 "report_id='ingest-1' AND source='listener'"),
		   1, "one reports row");
	tap_is_int(count("SELECT count(*) FROM report_rows"), 2, "two record rows");
	tap_is_int(count("SELECT messages FROM reports WHERE report_id='ingest-1'"), 15,
		   "messages summed");
	rc = ingest(x, len, &r);
	tap_ok(rc == ERR_OK && r.stored == 0 && r.duplicates == 1 && r.rejected == 0,
	       "the same report again is a duplicate (rc=%d dup=%u)", rc, r.duplicates);
	tap_is_int(count("SELECT count(*) FROM report_rows"), 2, "no row written twice");
	tap_is_int(count("SELECT count(*) FROM reports"), 1, "still one report");
	free(x);
}

static void test_invalid(void)
{
	struct daemon_report_ingest_result r;
	size_t len;
	char *x = slurp("bad.xml", &len);
	int64_t before = count("SELECT count(*) FROM reports");
	enum mp_err rc = ingest(x, len, &r);
	struct stat sb;
	char *reason;
	FILE *f;
	char line[512] = "";

	tap_ok((rc == ERR_PARSE || rc == ERR_LIMIT) && r.rejected == 1 && r.stored == 0,
	       "invalid XML rejected (rc=%d why=%s)", rc, r.why);
	tap_ok(r.why[0] != '\0', "with a reason: %s", r.why);
	tap_is_int(count("SELECT count(*) FROM reports"), before, "nothing stored");
	tap_is_int(count("SELECT count(*) FROM report_rows WHERE source_ip='192.0.2.11'"), 0,
		   "no row of it either (all or nothing)");
	tap_ok(r.quarantined[0] == '/' && stat(r.quarantined, &sb) == 0 &&
		   (sb.st_mode & 0777) == 0600 && (size_t)sb.st_size == len,
	       "the input is in the quarantine, mode 0600, whole: %s", r.quarantined);
	tap_ok(strstr(r.quarantined, "-listener-") != NULL && strstr(r.quarantined, "bad") == NULL,
	       "its name comes from the time, the source and a random part");
	reason = xasprintf("%s.reason", r.quarantined);
	f = fopen(reason, "r");
	if (f != NULL) {
		size_t n = fread(line, 1, sizeof line - 1, f);

		line[n] = '\0';
		fclose(f);
	}
	tap_ok(strstr(line, "reason: ") != NULL && strstr(line, "source: listener") != NULL,
	       "a .reason file beside it: %s", line);
	tap_is_int(count("SELECT count(*) FROM report_rejects WHERE source='listener'"), 1,
		   "a report_rejects row");
	stat(qdir, &sb);
	tap_is_int(sb.st_mode & 0777, 0700, "the quarantine dir was created 0700");
	free(reason);
	free(x);
}

static void test_mixed(void)
{
	struct daemon_report_ingest_result r;
	size_t len;
	char *x = slurp("two-one-bad.eml", &len);
	int q = qfiles(".bin");
	enum mp_err rc = ingest(x, len, &r);

	tap_ok(rc != ERR_OK && rc != ERR_IO && rc != ERR_NOTFOUND && r.stored == 1 &&
		   r.rejected == 1 && r.found == 2,
	       "e-mail with a good and a bad attachment (rc=%d stored=%u rejected=%u)", rc,
	       r.stored, r.rejected);
	tap_is_int(count("SELECT count(*) FROM reports WHERE report_id='ingest-2' AND "
			 "domain='example.org'"),
		   1, "the good one is stored");
	tap_ok(strstr(r.domains, "example.org") != NULL, "its domain: %s", r.domains);
	tap_is_int(count("SELECT count(*) FROM reports WHERE report_id='ingest-3'"), 0,
		   "the bad one is not");
	tap_is_int(qfiles(".bin"), q + 1, "the e-mail is quarantined");
	free(x);
}

static void test_not_report(void)
{
	struct daemon_report_ingest_result r;
	size_t len;
	char *x = slurp("not-report.eml", &len);
	int q = qfiles(".bin");
	enum mp_err rc = ingest(x, len, &r);

	tap_ok(rc == ERR_NOTFOUND && r.found == 0 && r.stored == 0,
	       "a message without a report is ERR_NOTFOUND (rc=%d)", rc);
	tap_ok(strstr(r.why, "not a report") != NULL, "why: %s", r.why);
	tap_ok(qfiles(".bin") == q + 1 && qfiles(".reason") == q + 1 && r.quarantined[0] != '\0',
	       "quarantined, never dropped");
	free(x);
}

static void test_tlsrpt_failure(void)
{
	struct daemon_report_ingest_result r;
	size_t len;
	char *x = slurp("tlsrpt.json", &len);
	enum mp_err rc = ingest(x, len, &r);

	tap_ok(rc == ERR_OK && r.stored == 1, "TLS-RPT stored (rc=%d why=%s)", rc, r.why);
	tap_is_int(count("SELECT count(*) FROM reports WHERE kind='tlsrpt' AND "
			 "report_id='tls-ingest-1' AND domain='example.com'"),
		   1, "filed under its policy domain");
	tap_is_int(count("SELECT count(*) FROM tlsrpt_policies"), 1, "its policy");
	free(x);
	x = slurp("arf.eml", &len);
	rc = ingest(x, len, &r);
	tap_ok(rc == ERR_OK && r.stored == 1, "failure report stored (rc=%d why=%s)", rc, r.why);
	tap_is_int(count("SELECT count(*) FROM reports WHERE kind='failure' AND "
			 "length(report_id)=64 AND reporter<>''"),
		   1, "its id is the SHA-256 of the input, it has a reporter");
	tap_is_int(count("SELECT count(*) FROM report_failures"), 1, "a report_failures row");
	rc = ingest(x, len, &r);
	tap_ok(rc == ERR_OK && r.duplicates == 1 && r.stored == 0,
	       "the same failure report again is a duplicate (rc=%d)", rc);
	free(x);
}

static void test_hostile(void)
{
	static const char nul[] = "<feedback>\0<report_metadata></feedback>";
	static const char utf[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>"
				  "<report_metadata><org_name>\xff\xfe\xc3</org_name>";
	struct daemon_report_ingest_result r;
	char *garbage = xmalloc(65536);
	int64_t before = count("SELECT count(*) FROM reports");
	enum mp_err rc;

	for (size_t i = 0; i < 65536; i++)
		garbage[i] = (char)((i * 131 + 7) & 0xff);
	rc = ingest(nul, sizeof nul - 1, &r);
	tap_ok(rc != ERR_OK && rc != ERR_IO && r.why[0] && r.quarantined[0],
	       "NUL bytes: rejected and quarantined (rc=%d why=%s)", rc, r.why);
	rc = ingest(utf, sizeof utf - 1, &r);
	tap_ok(rc != ERR_OK && rc != ERR_IO && r.why[0] && r.quarantined[0],
	       "invalid UTF-8: rejected and quarantined (rc=%d why=%s)", rc, r.why);
	rc = ingest(garbage, 65536, &r);
	tap_ok(rc != ERR_OK && rc != ERR_IO && r.why[0] && r.quarantined[0],
	       "64 KB of garbage: rejected and quarantined (rc=%d why=%s)", rc, r.why);
	rc = ingest("", 0, &r);
	tap_ok(rc == ERR_NOTFOUND && r.quarantined[0], "empty input: not a report (rc=%d)", rc);
	tap_is_int(count("SELECT count(*) FROM reports"), before, "nothing stored");
	free(garbage);
}

static void test_file(void)
{
	struct daemon_report_ingest_opts o;
	struct daemon_report_ingest_result r;
	char *p = xasprintf("%s/tests/fixtures/reports/ingest/agg2.xml", tap_srcdir());
	char *missing = xasprintf("%s/nope.xml", qdir);
	enum mp_err rc;

	opts(&o, "drop");
	rc = daemon_report_ingest_file(st, &o, p, &r);
	tap_ok(rc == ERR_OK && r.duplicates == 1, "a file: ingested (a duplicate here, rc=%d)", rc);
	free(p);
	p = xasprintf("%s/tests/fixtures/reports/ingest/arf.eml", tap_srcdir());
	rc = daemon_report_ingest_file(st, &o, p, &r);
	tap_ok(rc == ERR_OK && r.duplicates == 1 && r.stored == 0,
	       "a failure report from a file has the same id as from memory (rc=%d)", rc);
	free(p);
	p = xasprintf("%s/tests/fixtures/reports/ingest/bad.xml", tap_srcdir());
	rc = daemon_report_ingest_file(st, &o, p, &r);
	tap_ok((rc == ERR_PARSE || rc == ERR_LIMIT) && strstr(r.quarantined, "-drop-") != NULL,
	       "a bad file: rejected, quarantined as drop (rc=%d %s)", rc, r.quarantined);
	rc = daemon_report_ingest_file(st, &o, missing, &r);
	tap_ok(rc == ERR_IO && r.quarantined[0] == '\0', "a missing file: ERR_IO (rc=%d)", rc);
	opts(&o, "imap:box/../x");
	rc = daemon_report_ingest_file(st, &o, p, &r);
	tap_ok(strstr(r.quarantined, "-imap_box_.._x-") != NULL &&
		   strchr(r.quarantined + strlen(qdir) + 1, '/') == NULL,
	       "a source never makes a path: %s", r.quarantined);
	free(missing);
	free(p);
}

/* A quarantine that cannot be written: ERR_IO, the caller keeps the input. */
static void test_io(void)
{
	struct daemon_report_ingest_opts o;
	struct daemon_report_ingest_result r;
	char *blocker = xasprintf("%s/file", qdir);
	char *under = xasprintf("%s/sub", blocker);
	FILE *f = fopen(blocker, "w");
	enum mp_err rc;

	if (f)
		fclose(f);
	opts(&o, "api");
	o.quarantine_dir = under;
	rc = daemon_report_ingest_mem(st, &o, "hello", 5, &r);
	tap_ok(rc == ERR_IO, "quarantine impossible: ERR_IO (rc=%d)", rc);
	free(under);
	free(blocker);
}

int main(void)
{
	char *db = xasprintf("%s/t.db", tap_tmpdir());
	char err[512];

	qdir = xasprintf("%s/q/uar", tap_tmpdir());
	if (!tap_ok(daemon_store_open(db, &st, err, sizeof err) == ERR_OK, "store opens: %s", err))
		return tap_done();
	test_aggregate();
	test_invalid();
	test_mixed();
	test_not_report();
	test_tlsrpt_failure();
	test_hostile();
	test_file();
	test_io();
	daemon_store_close(st);
	free(qdir);
	free(db);
	return tap_done();
}
