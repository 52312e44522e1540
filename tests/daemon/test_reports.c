/*
 * tests/daemon/test_reports: the report engine (daemon/reports) over a real
 * store and a drop directory in a temp dir, without its worker thread: the
 * drop directory (files picked up and removed, a rejected one quarantined,
 * a file still being written waits, symbolic links, dotfiles and *.tmp
 * left alone, a file the quarantine cannot take kept for a retry, a
 * missing directory survived), the findings of check "reports" delivered
 * to the result callback, the listener path (a [reports] address always
 * ingests, other mail only when it holds a report) and the HTTP callback
 * (201, 200, 422, 503 and its JSON, the wake pipe).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <dirent.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "daemon/probe.h"
#include "daemon/probe_listen.h"
#include "mail/smtpd.h"
#include "daemon/reports.h"
#include "daemon/store.h"
#include "daemon/store_probe.h"
#include "tests/lib/tap.h"

#define NOW 1700100000

static struct daemon_store *st;
static char *tmp, *drop, *qdir, *db;

/* What the result callback saw. */
static struct {
	unsigned calls;
	char domain[256];
	bool reports_check; /* every finding of check "reports" */
	size_t nfindings;
} seen;

static void on_result(void *arg, const char *domain, const struct dns_findings *f, int64_t now)
{
	(void)arg;
	(void)now;
	seen.calls++;
	snprintf(seen.domain, sizeof seen.domain, "%s", domain);
	seen.nfindings = f->n;
	seen.reports_check = f->n > 0;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].check, "reports") != 0)
			seen.reports_check = false;
}

static char *fixture(const char *name, size_t *len)
{
	char *path = xasprintf("%s/tests/fixtures/reports/ingest/%s", tap_srcdir(), name);
	FILE *f = fopen(path, "rb");
	char *data = xmalloc(1 << 16);

	*len = f ? fread(data, 1, (1 << 16) - 1, f) : 0;
	data[*len] = '\0';
	if (f)
		fclose(f);
	else
		tap_diag("cannot read %s", path);
	free(path);
	return data;
}

/* Write fixture name as drop/as with mtime at. */
static void put(const char *name, const char *as, int64_t at)
{
	size_t len;
	char *data = fixture(name, &len);
	char *path = xasprintf("%s/%s", drop, as);
	FILE *f = fopen(path, "wb");
	struct timeval tv[2] = {{.tv_sec = at}, {.tv_sec = at}};

	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	utimes(path, tv);
	free(path);
	free(data);
}

static bool exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat sb;
	bool ok = lstat(p, &sb) == 0;

	free(p);
	return ok;
}

static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);

		n += l > sl && strcmp(e->d_name + l - sl, suffix) == 0;
	}
	if (d)
		closedir(d);
	return n;
}

static int64_t count(const char *sql)
{
	int64_t n = -1;

	return daemon_store_query_int(st, sql, &n) == ERR_OK ? n : -1;
}

static struct daemon_config *config(const char *extra)
{
	char err[1024];
	char *text = xasprintf("[daemon]\nstate_dir = %s\n"
			       "[listener]\nhostname = mx.example.net\n"
			       "[reports]\naddresses = rua@mx.example.net\ndrop_dir = %s\n"
			       "drop_interval = 1s\nquarantine_dir = %s\n%s"
			       "[domain example.com]\n",
			       tmp, drop, qdir, extra);
	struct daemon_config *cfg = NULL;

	if (daemon_config_load_string(text, strlen(text), "t.conf", NULL, &cfg, err, sizeof err) !=
	    ERR_OK)
		tap_diag("config: %s", err);
	free(text);
	return cfg;
}

static void test_drop(struct daemon_reports *r)
{
	char *link = xasprintf("%s/link.xml", drop), *target = NULL;

	put("agg.xml", "agg.xml", NOW - 10);
	put("bad.xml", "bad.xml", NOW - 10);
	put("tlsrpt.json", "fresh.json", NOW);
	put("agg2.xml", ".hidden.xml", NOW - 10);
	put("agg2.xml", "upload.tmp", NOW - 10);
	target = xasprintf("%s/tests/fixtures/reports/ingest/agg2.xml", tap_srcdir());
	tap_ok(symlink(target, link) == 0, "a symbolic link in the drop dir");
	seen.calls = 0;
	tap_ok(daemon_reports_run(r, NOW), "the first run changed something");
	tap_ok(!exists(drop, "agg.xml") && !exists(drop, "bad.xml"),
	       "the report and the rejected file are removed");
	tap_is_int(count("SELECT count(*) FROM reports WHERE report_id='ingest-1' AND "
			 "source='drop'"),
		   1, "the report is stored with source drop");
	tap_is_int(count_files(qdir, ".bin"), 1, "the rejected one is in the quarantine");
	tap_ok(exists(drop, "fresh.json"), "a file changed just now waits");
	tap_ok(exists(drop, "link.xml") && exists(drop, ".hidden.xml") &&
		   exists(drop, "upload.tmp"),
	       "symbolic link, dotfile and *.tmp are left alone");
	tap_is_int(count("SELECT count(*) FROM reports WHERE report_id='ingest-2'"), 0,
		   "the link's target was not read");
	tap_ok(seen.calls == 1 && strcmp(seen.domain, "example.com") == 0 && seen.reports_check,
	       "findings of check reports delivered for example.com (%u calls, %zu findings)",
	       seen.calls, seen.nfindings);
	seen.calls = 0;
	daemon_reports_run(r, NOW + 1);
	tap_ok(exists(drop, "fresh.json") && seen.calls == 0,
	       "a second later: still too fresh, nothing analysed");
	daemon_reports_run(r, NOW + 3);
	tap_ok(!exists(drop, "fresh.json") &&
		   count("SELECT count(*) FROM reports WHERE kind='tlsrpt'") == 1,
	       "once settled it is taken");
	tap_is_int(seen.calls, 1, "and its domain analysed again");
	free(target);
	free(link);
}

static const char *inbound(struct daemon_reports *r, const char *fix, const char *rcpts,
			   const char *mail_from);

static void test_drop_retry(void)
{
	char *blocker = xasprintf("%s/blocker", tmp);
	struct daemon_config *cfg;
	struct daemon_reports *r = NULL;
	FILE *f = fopen(blocker, "w");
	char *bad_q = xasprintf("%s/q", blocker);
	char *text;
	char err[512];

	if (f)
		fclose(f);
	text = xasprintf("[daemon]\nstate_dir = %s\n[reports]\ndrop_dir = %s\n"
			 "quarantine_dir = %s\n[domain example.com]\n",
			 tmp, drop, bad_q);
	if (daemon_config_load_string(text, strlen(text), "t.conf", NULL, &cfg, err, sizeof err) !=
	    ERR_OK) {
		tap_ok(0, "config: %s", err);
		cfg = NULL;
	}
	if (cfg != NULL && daemon_reports_new(cfg, st, db, NOW, on_result, NULL, &r) == ERR_OK) {
		daemon_reports_no_worker(r);
		put("bad.xml", "again.xml", NOW - 10);
		daemon_reports_run(r, NOW);
		tap_ok(exists(drop, "again.xml"),
		       "a rejected file the quarantine cannot take stays for a retry");
		tap_ok(inbound(r, "bad.xml", "postmaster@x.example", "a@b.example") == NULL,
		       "a listener message the quarantine cannot take stays pending (NULL)");
		tap_ok(inbound(r, "agg.xml", "postmaster@x.example", "a@b.example") == NULL,
		       "and the next one waits a while before the store is tried again");
		unlink(blocker);
		daemon_reports_run(r, NOW + 40);
		tap_ok(!exists(drop, "again.xml") && count_files(bad_q, ".bin") == 1,
		       "once the quarantine works it is moved there");
	}
	daemon_reports_free(r);
	daemon_config_free(cfg);
	free(text);
	free(bad_q);
	free(blocker);
}

static const char *inbound(struct daemon_reports *r, const char *fix, const char *rcpts,
			   const char *mail_from)
{
	struct daemon_inbound_row in;
	size_t len;
	char *data = fixture(fix, &len);
	const char *kind;

	memset(&in, 0, sizeof in);
	in.id = 1;
	in.source = (char *)"listener";
	in.folder = (char *)"";
	in.client_ip = (char *)"192.0.2.1";
	in.helo = (char *)"mx.receiver.example";
	in.mail_from = (char *)mail_from;
	in.rcpts = (char *)rcpts;
	in.data = data;
	in.len = len;
	kind = daemon_reports_inbound(r, &in);
	free(data);
	return kind;
}

static void test_inbound(struct daemon_reports *r)
{
	int q = count_files(qdir, ".bin");
	const char *k;

	k = inbound(r, "not-report.eml", "RUA@mx.example.net", "alice@example.net");
	tap_is_str(k, "report", "mail to a [reports] address is a report");
	tap_is_int(count_files(qdir, ".bin"), q + 1, "... quarantined when it holds none");
	k = inbound(r, "not-report.eml", "postmaster@mx.example.net", "alice@example.net");
	tap_is_str(k, "unknown", "other mail without a report is unknown");
	tap_is_int(count_files(qdir, ".bin"), q + 1, "... and not quarantined");
	k = inbound(r, "arf.eml", "postmaster@mx.example.net", "");
	tap_is_str(k, "report", "a failure report sent elsewhere is still a report");
	tap_is_int(count("SELECT count(*) FROM reports WHERE kind='failure' AND "
			 "source='listener'"),
		   1, "... and stored");
	k = inbound(r, "arf.eml", "rua@mx.example.net", "");
	tap_is_str(k, "report", "the same again to the report address: a report (duplicate)");
	tap_is_int(count("SELECT count(*) FROM reports WHERE kind='failure'"), 1,
		   "... stored once");
}

static void no_probe_result(void *arg, const char *domain, const struct dns_findings *f,
			    int64_t now)
{
	(void)arg;
	(void)domain;
	(void)f;
	(void)now;
}

/* One inbound row through daemon/probe: the kind it was marked with. */
static char *route(struct daemon_probe *p, const char *fix, const char *rcpts,
		   const char *mail_from)
{
	struct daemon_inbound_row in;
	size_t len;
	char *data = fixture(fix, &len), *sql, *kind = NULL;
	int64_t id = 0, k = -1;

	memset(&in, 0, sizeof in);
	in.received = NOW;
	in.source = (char *)"listener";
	in.folder = (char *)"";
	in.client_ip = (char *)"192.0.2.1";
	in.helo = (char *)"mx.receiver.example";
	in.mail_from = (char *)mail_from;
	in.rcpts = (char *)rcpts;
	in.data = data;
	in.len = len;
	if (daemon_store_inbound_add(st, &in, &id) != ERR_OK)
		tap_diag("inbound_add failed");
	daemon_probe_run(p, NOW + 300);
	free(data);
	sql = xasprintf(
	    "SELECT (kind='report') + 2*(kind='unknown') + 4*(kind='bounce') FROM inbound "
	    "WHERE id=%lld",
	    (long long)id);
	if (daemon_store_query_int(st, sql, &k) == ERR_OK)
		kind = xstrdup(k == 1	? "report"
			       : k == 2 ? "unknown"
			       : k == 4 ? "bounce"
					: "other");
	free(sql);
	return kind ? kind : xstrdup("pending");
}

/* daemon/probe hands reports over (the mainloop's wiring). */
static void test_probe_routing(struct daemon_reports *r, const struct daemon_config *cfg)
{
	struct daemon_probe *p = NULL;
	int64_t before = count("SELECT count(*) FROM reports");
	char *k;

	if (!tap_ok(daemon_probe_new(cfg, st, NOW + 300, no_probe_result, NULL, &p) == ERR_OK,
		    "probe engine"))
		return;
	daemon_probe_set_other(p, daemon_reports_inbound, r);
	k = route(p, "agg.xml", "rua@mx.example.net", "noreply@receiver.example");
	tap_is_str(k, "report", "a report to the report address is marked report");
	free(k);
	k = route(p, "arf.eml", "rua@mx.example.net", "");
	tap_is_str(k, "report", "a failure report with MAIL FROM <> goes to reports, not bounces");
	free(k);
	k = route(p, "not-report.eml", "postmaster@mx.example.net", "alice@example.net");
	tap_is_str(k, "unknown", "other mail stays unknown");
	free(k);
	k = route(p, "tlsrpt.json", "postmaster@mx.example.net", "tls@receiver.example");
	tap_is_str(k, "report", "a report sent to another address is still found");
	free(k);
	tap_is_int(count("SELECT count(*) FROM reports"), before, "(all of them duplicates here)");
	daemon_probe_free(p);
}

/* The SMTP listener takes the [reports] addresses and serves their domain. */
static void test_listener(struct daemon_config *cfg)
{
	struct daemon_probe_listen *l = NULL;
	char why[512] = "";
	unsigned port = cfg->listener.listen_port;

	cfg->listener.listen_port = 0; /* any free port */
	if (!tap_ok(daemon_probe_listen_apply(&l, cfg, db, why, sizeof why) == ERR_OK,
		    "listener starts: %s", why)) {
		cfg->listener.listen_port = port;
		return;
	}
	tap_ok(daemon_probe_listen_accepts(l, "RUA@mx.example.net"),
	       "the listener accepts a [reports] address");
	tap_ok(daemon_probe_listen_check(l, "other@mx.example.net") == MAIL_SMTPD_RCPT_UNKNOWN_USER,
	       "its domain is served (another user there is unknown, not relaying)");
	tap_ok(daemon_probe_listen_check(l, "rua@other.example") == MAIL_SMTPD_RCPT_RELAY_DENIED,
	       "another domain is not");
	daemon_probe_listen_stop(l);
	cfg->listener.listen_port = port;
}

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

static void test_http(struct daemon_reports *r, const struct daemon_config *cfg)
{
	size_t len;
	char *x = fixture("agg2.xml", &len), json[512];
	struct daemon_reports *broken = NULL;
	unsigned code;

	code = daemon_reports_http_ingest(r, x, len, json, sizeof json);
	tap_is_int(code, 201, "POST a new report: 201");
	tap_ok(strstr(json, "\"stored\":1") && strstr(json, "\"duplicates\":0") &&
		   strstr(json, "\"rejected\":0"),
	       "its JSON: %s", json);
	tap_ok(readable(daemon_reports_wake_fd(r)), "the main loop is woken");
	daemon_reports_run(r, NOW + 5);
	tap_ok(!readable(daemon_reports_wake_fd(r)), "the run drains the wake pipe");
	tap_is_int(count("SELECT count(*) FROM reports WHERE report_id='ingest-2' AND "
			 "source='api'"),
		   1, "stored with source api");
	code = daemon_reports_http_ingest(r, x, len, json, sizeof json);
	tap_ok(code == 200 && strstr(json, "\"duplicates\":1"), "the same again: 200 %s", json);
	code = daemon_reports_http_ingest(r, "garbage\"\n\x01", 10, json, sizeof json);
	tap_ok(code == 422 && strstr(json, "\"rejected\":0") && strstr(json, "\"reason\":\"not a "),
	       "not a report: 422 with the reason %s", json);
	free(x);
	x = fixture("bad.xml", &len);
	code = daemon_reports_http_ingest(r, x, len, json, sizeof json);
	tap_ok(code == 422 && strstr(json, "\"rejected\":1"), "an invalid report: 422 %s", json);
	if (daemon_reports_new(cfg, st, "/nonexistent/dir/x.db", NOW, on_result, NULL, &broken) ==
	    ERR_OK) {
		daemon_reports_no_worker(broken);
		code = daemon_reports_http_ingest(broken, x, len, json, sizeof json);
		tap_ok(code == 503 && strstr(json, "\"reason\""), "no store: 503 %s", json);
	}
	daemon_reports_free(broken);
	free(x);
}

static void test_reload(struct daemon_reports *r, struct daemon_config **cfg)
{
	char *gone = xasprintf("drop_dir = %s/nope\n", tmp);
	struct daemon_config *c2;
	char err[1024];
	char *text = xasprintf("[daemon]\nstate_dir = %s\n[reports]\n%squarantine_dir = %s\n"
			       "[domain example.com]\n[domain example.org]\n",
			       tmp, gone, qdir);

	if (daemon_config_load_string(text, strlen(text), "t.conf", NULL, &c2, err, sizeof err) !=
	    ERR_OK) {
		tap_ok(0, "reload config: %s", err);
		free(text);
		free(gone);
		return;
	}
	daemon_reports_reload(r, c2, NOW + 100);
	seen.calls = 0;
	daemon_reports_run(r, NOW + 100);
	tap_ok(seen.calls == 2, "after a reload every domain with reports is analysed (%u)",
	       seen.calls);
	daemon_reports_run(r, NOW + 200);
	tap_ok(1, "a missing drop dir is survived (logged)");
	daemon_config_free(*cfg);
	*cfg = c2;
	free(text);
	free(gone);
}

int main(void)
{
	char err[512];
	struct daemon_config *cfg;
	struct daemon_reports *r = NULL;

	tmp = xstrdup(tap_tmpdir());
	drop = xasprintf("%s/drop", tmp);
	qdir = xasprintf("%s/quarantine", tmp);
	db = xasprintf("%s/mailpulse.db", tmp);
	mkdir(drop, 0700);
	if (!tap_ok(daemon_store_open(db, &st, err, sizeof err) == ERR_OK, "store: %s", err))
		return tap_done();
	cfg = config("");
	if (!tap_ok(cfg != NULL, "config loads") ||
	    !tap_ok(daemon_reports_new(cfg, st, db, NOW, on_result, NULL, &r) == ERR_OK,
		    "engine starts"))
		return tap_done();
	daemon_reports_no_worker(r);
	tap_is_int(daemon_reports_fd(r), -1, "no worker: no worker fd");
	test_drop(r);
	test_inbound(r);
	test_probe_routing(r, cfg);
	test_listener(cfg);
	test_http(r, cfg);
	test_reload(r, &cfg);
	daemon_reports_free(r);
	daemon_config_free(cfg);
	test_drop_retry();
	daemon_store_close(st);
	free(db);
	free(qdir);
	free(drop);
	free(tmp);
	return tap_done();
}
