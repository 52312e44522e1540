/*
 * tests/daemon/test_report_worker: daemon/report_worker across the real
 * wire (DESIGN.md 6).  NSD (tests/lib/nsd.sh) serves reverse zones for
 * 192.0.2.0/24 and 2001:db8::/32 plus rw.test; a silent port stands in for
 * a resolver that never answers; Dovecot (tests/lib/dovecot.sh, skipped
 * with a reason when not installed) holds a report mailbox.  Checked:
 *  - RDNS: first PTR name, lower case, no trailing dot; its organisational
 *    domain as base (PSL: example.co.uk); NXDOMAIN, NODATA and an address
 *    that does not parse give ""; a REFUSED answer (a zone NSD does not
 *    serve) and timeouts leave the address out; v6 nibble names and
 *    v4-mapped v6; at most 256 addresses per job;
 *  - POLL / DELETE against a closed port and an unknown host: ERR_NET with
 *    plain words and never the password; busy() while a job waits; free()
 *    with jobs queued and one running;
 *  - POLL on Dovecot: every message of the folder (no probe token needed),
 *    none deleted; a too-big one skipped and counted; DELETE removes the
 *    UIDs given and nothing else; 202 UIDs go in sessions of 200 + 2.
 *  - set_dns(): the next job uses the new resolver; a bad one is refused.
 * NSD missing is a failure (scripts/setup installs it).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "daemon/report_worker.h"
#include "dns/resolver.h"
#include "tests/lib/tap.h"

#define PASSWORD "rw-Secret-Pw 9876 zyx"

static char *nsd_dir;

/* Run a shell line; its first output line (trailing newline cut) or NULL on failure. */
static char *run(const char *line)
{
	FILE *p = popen(line, "r");
	char buf[256] = "";
	bool got;

	if (p == NULL)
		return NULL;
	got = fgets(buf, sizeof buf, p) != NULL;
	if (pclose(p) != 0 || !got)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		fatal("cannot write %s", path);
	free(path);
}

#define SOA "@ SOA ns.rw.test. h.rw.test. 1 3600 600 86400 60\n@ NS ns.rw.test.\n"

/* The zones, NSD and the silent port: their ports in *dns and *silent. */
static void start_dns(unsigned *dns, unsigned *silent)
{
	char *zones = xasprintf("%s/zones", tap_tmpdir()), *line, *out;

	nsd_dir = xasprintf("%s/nsd", tap_tmpdir());
	if (mkdir(zones, 0755) != 0)
		fatal("mkdir %s", zones);
	write_file(zones, "2.0.192.in-addr.arpa.zone",
		   "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 300\n" SOA
		   "10 PTR Mail-Out.Example.COM.\n10 PTR second.example.org.\n"
		   "11 PTR host.test.\n12 TXT \"no ptr here\"\n"
		   "13 PTR a.b.c.example.co.uk.\n");
	write_file(zones, "8.b.d.0.1.0.0.2.ip6.arpa.zone",
		   "$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.\n$TTL 300\n" SOA
		   "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR v6.mail.example.net.\n");
	write_file(zones, "rw.test.zone", "$ORIGIN rw.test.\n$TTL 300\n" SOA "imap A 127.0.0.1\n");
	line = xasprintf("NSD_SH_OWNER=%ld sh '%s/tests/lib/nsd.sh' start '%s' '%s'",
			 (long)getpid(), tap_srcdir(), nsd_dir, zones);
	out = run(line);
	if (out == NULL)
		fatal("NSD did not start (scripts/setup installs nsd): %s", line);
	*dns = (unsigned)strtoul(out, NULL, 10);
	free(out);
	free(line);
	line = xasprintf("NSD_SH_OWNER=%ld sh '%s/tests/lib/nsd.sh' silent '%s'", (long)getpid(),
			 tap_srcdir(), nsd_dir);
	out = run(line);
	*silent = out ? (unsigned)strtoul(out, NULL, 10) : 0;
	free(out);
	free(line);
	free(zones);
}

static void stop_dns(void)
{
	char *line = xasprintf("sh '%s/tests/lib/nsd.sh' stop '%s'", tap_srcdir(), nsd_dir);

	if (system(line) != 0)
		tap_diag("nsd.sh stop failed");
	free(line);
	free(nsd_dir);
}

static unsigned free_port(void)
{
	char *line = xasprintf("sh '%s/tests/lib/nsd.sh' freeport", tap_srcdir());
	char *out = run(line);
	unsigned p = out ? (unsigned)strtoul(out, NULL, 10) : 0;

	free(out);
	free(line);
	return p;
}

/* Owned copies of the n strings in. */
static char **strv(const char *const *in, size_t n)
{
	char **v = xcalloc(n, sizeof *v);

	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(in[i]);
	return v;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* cfg's [dns]: 127.0.0.1:port only (the server string in srv, 32 bytes). */
static void dns_cfg(struct daemon_config *cfg, const char **servers, char *srv, unsigned port,
		    unsigned timeout_ms)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(srv, 32, "127.0.0.1:%u", port);
	servers[0] = srv;
	dns_resolver_opts_init(&cfg->dns.opts);
	cfg->dns.opts.servers = servers;
	cfg->dns.opts.n_servers = 1;
	cfg->dns.opts.timeout_ms = timeout_ms;
	cfg->dns.opts.tries = 1;
}

/* A worker whose resolver asks 127.0.0.1:port only. */
static struct daemon_report_worker *worker(unsigned port, unsigned timeout_ms)
{
	struct daemon_config cfg;
	struct daemon_report_worker *w = NULL;
	const char *servers[1];
	char srv[32];

	dns_cfg(&cfg, servers, srv, port, timeout_ms);
	if (daemon_report_worker_new(&cfg, &w) != ERR_OK)
		fatal("daemon_report_worker_new failed");
	return w; /* the resolver copied the options */
}

/* The next result within secs seconds, or NULL. */
static struct daemon_report_done *wait_done(struct daemon_report_worker *w, int secs)
{
	time_t end = time(NULL) + secs;

	for (;;) {
		struct pollfd p = {.fd = daemon_report_worker_fd(w), .events = POLLIN};
		struct daemon_report_done *d = daemon_report_worker_take(w);

		if (d != NULL)
			return d;
		if (time(NULL) > end)
			return NULL;
		(void)poll(&p, 1, 200);
	}
}

/* The PTR result for ip in d: "ptr|base", "(left out)" when absent. */
static const char *lookup(const struct daemon_report_done *d, const char *ip)
{
	static char buf[600];

	for (size_t i = 0; i < d->n_ips; i++) {
		if (strcmp(d->ips[i], ip) == 0) {
			snprintf(buf, sizeof buf, "%s|%s", d->ptr[i], d->base[i]);
			return buf;
		}
	}
	return "(left out)";
}

static void test_rdns(unsigned dns, unsigned silent)
{
	static const char *const lits[] = {
	    "192.0.2.10",  "192.0.2.11",  "192.0.2.12",	       "192.0.2.99", "192.0.2.13",
	    "2001:db8::1", "2001:db8::2", "::ffff:192.0.2.11", "not-an-ip",  "203.0.113.5"};
	const size_t n = sizeof lits / sizeof *lits;
	char **ips = strv(lits, n);
	struct daemon_report_worker *w = worker(dns, 2000);
	struct daemon_report_done *d;

	tap_ok(daemon_report_worker_take(w) == NULL, "take() without a result: NULL");
	daemon_report_worker_rdns(w, ips, n);
	d = wait_done(w, 20);
	if (!tap_ok(d != NULL, "RDNS job done"))
		goto out;
	tap_is_int(d->kind, DAEMON_REPORT_JOB_RDNS, "  kind RDNS");
	tap_is_int(d->rc, ERR_OK, "  rc ERR_OK");
	tap_is_str(lookup(d, "192.0.2.10"), "mail-out.example.com|example.com",
		   "  first PTR name, lower case, no trailing dot; base its org domain");
	tap_is_str(lookup(d, "192.0.2.11"), "host.test|host.test", "  host.test (unlisted TLD)");
	tap_is_str(lookup(d, "192.0.2.12"), "|", "  NODATA: no PTR");
	tap_is_str(lookup(d, "192.0.2.99"), "|", "  NXDOMAIN: no PTR");
	tap_is_str(lookup(d, "192.0.2.13"), "a.b.c.example.co.uk|example.co.uk",
		   "  base by the Public Suffix List (co.uk)");
	tap_is_str(lookup(d, "2001:db8::1"), "v6.mail.example.net|example.net",
		   "  IPv6: the ip6.arpa nibble name");
	tap_is_str(lookup(d, "2001:db8::2"), "|", "  IPv6 NXDOMAIN: no PTR");
	tap_is_str(lookup(d, "::ffff:192.0.2.11"), "host.test|host.test",
		   "  v4-mapped IPv6 asks in-addr.arpa, keyed by the text given");
	tap_is_str(lookup(d, "not-an-ip"), "|", "  not an address: no PTR, not retried");
	tap_is_str(lookup(d, "203.0.113.5"), "(left out)",
		   "  REFUSED (temporary failure): left out, to retry later");
	tap_is_int((long long)d->n_ips, (long long)n - 1, "  every other address answered");
	tap_ok(d->mailbox == NULL && d->n_msgs == 0, "  no mailbox, no messages");
	daemon_report_done_free(d);

	/* At most 256 per job. */
	{
		char **many = xcalloc(300, sizeof *many);

		for (size_t i = 0; i < 300; i++)
			many[i] = xasprintf("bad-%zu", i);
		daemon_report_worker_rdns(w, many, 300);
		for (size_t i = 0; i < 300; i++)
			free(many[i]);
		free(many);
		d = wait_done(w, 20);
		tap_is_int(d ? (long long)d->n_ips : -1, DAEMON_REPORT_RDNS_MAX,
			   "300 addresses: the first 256 are looked at");
		tap_is_str(d && d->n_ips ? d->ips[255] : NULL, "bad-255", "  in order");
		daemon_report_done_free(d);
	}
	/* Two jobs: the fd stays readable until both are taken. */
	daemon_report_worker_rdns(w, ips, 1);
	daemon_report_worker_rdns(w, ips + 1, 1);
	d = wait_done(w, 20);
	daemon_report_done_free(d);
	d = wait_done(w, 20);
	tap_ok(d != NULL && d->n_ips == 1 && strcmp(d->ips[0], "192.0.2.11") == 0,
	       "two jobs queued: both results come, in order");
	daemon_report_done_free(d);
out:
	daemon_report_worker_free(w);

	/* A resolver that never answers: timeouts are left out. */
	w = worker(silent, 300);
	daemon_report_worker_rdns(w, ips, n);
	tap_ok(daemon_report_worker_busy(w, DAEMON_REPORT_JOB_RDNS, NULL),
	       "busy(RDNS) while the job waits for DNS");
	tap_ok(!daemon_report_worker_busy(w, DAEMON_REPORT_JOB_POLL, NULL), "  but not busy(POLL)");
	d = wait_done(w, 20);
	tap_ok(d != NULL, "silent resolver: the RDNS job still ends");
	tap_is_str(d ? lookup(d, "192.0.2.10") : NULL, "(left out)", "  a timeout is left out");
	tap_is_int(d ? (long long)d->n_ips : -1, 1, "  only the non-address is answered");
	tap_ok(!daemon_report_worker_busy(w, DAEMON_REPORT_JOB_RDNS, NULL), "  then not busy");
	daemon_report_done_free(d);

	/* A reload: from the silent port to NSD. */
	{
		struct daemon_config cfg;
		const char *servers[1];
		char srv[32];

		dns_cfg(&cfg, servers, srv, dns, 2000);
		tap_is_int(daemon_report_worker_set_dns(w, &cfg), ERR_OK, "set_dns() to NSD");
		daemon_report_worker_rdns(w, ips, 1);
		d = wait_done(w, 20);
		tap_is_str(d ? lookup(d, "192.0.2.10") : NULL, "mail-out.example.com|example.com",
			   "  the next job uses the new resolver");
		daemon_report_done_free(d);
		cfg.dns.opts.n_servers = 1;
		servers[0] = "not-an-address";
		tap_is_int(daemon_report_worker_set_dns(w, &cfg), ERR_INVAL,
			   "set_dns() with a bad server: ERR_INVAL");
		daemon_report_worker_rdns(w, ips, 1);
		d = wait_done(w, 20);
		tap_is_str(d ? lookup(d, "192.0.2.10") : NULL, "mail-out.example.com|example.com",
			   "  the old resolver stays");
		daemon_report_done_free(d);
	}
	daemon_report_worker_free(w);
	strv_free(ips, n);
}

static struct daemon_config_report_mailbox box(const char *name, const char *host, unsigned port)
{
	struct daemon_config_report_mailbox mb;

	memset(&mb, 0, sizeof mb);
	mb.name = (char *)name;
	mb.host = (char *)host;
	mb.port = port;
	mb.tls = DAEMON_SMTP_IMPLICIT;
	mb.username = (char *)"reports@rw.test";
	mb.password.value = (char *)PASSWORD;
	mb.password.len = strlen(PASSWORD);
	mb.folder = (char *)"INBOX";
	mb.timeout_ms = 5000;
	return mb;
}

static void test_imap_failures(unsigned dns, unsigned silent)
{
	struct daemon_report_worker *w = worker(dns, 2000);
	unsigned closed = free_port();
	struct daemon_config_report_mailbox mb = box("closed", "imap.rw.test", closed);
	struct daemon_config_report_mailbox nx = box("nohost", "nohost.rw.test", 993);
	unsigned long uids[] = {1, 2};
	struct daemon_report_done *d;

	daemon_report_worker_poll(w, &mb, 0);
	d = wait_done(w, 20);
	if (tap_ok(d != NULL, "POLL of a closed port ends")) {
		tap_is_int(d->kind, DAEMON_REPORT_JOB_POLL, "  kind POLL");
		tap_is_str(d->mailbox, "closed", "  names the mailbox");
		tap_is_int(d->rc, ERR_NET, "  ERR_NET");
		tap_ok(d->error[0] != '\0', "  with words: %s", d->error);
		tap_ok(strstr(d->error, "Secret") == NULL, "  never the password");
		tap_is_int((long long)d->n_msgs, 0, "  no message");
	}
	daemon_report_done_free(d);
	tap_ok(!daemon_report_worker_busy(w, DAEMON_REPORT_JOB_POLL, "closed"), "  not busy after");

	daemon_report_worker_poll(w, &nx, 0);
	d = wait_done(w, 20);
	tap_is_int(d ? (long long)d->rc : -1, ERR_NET,
		   "POLL of a host that does not exist: ERR_NET");
	tap_ok(d != NULL && strstr(d->error, "nohost.rw.test") != NULL, "  the error names it: %s",
	       d ? d->error : "");
	daemon_report_done_free(d);

	daemon_report_worker_delete(w, &mb, uids, 2);
	d = wait_done(w, 20);
	tap_ok(d != NULL && d->kind == DAEMON_REPORT_JOB_DELETE && d->rc == ERR_NET &&
		   strcmp(d->mailbox, "closed") == 0 && strstr(d->error, "Secret") == NULL,
	       "DELETE on a closed port: ERR_NET, mailbox named, no password");
	daemon_report_done_free(d);
	daemon_report_worker_delete(w, &mb, uids, 0);
	tap_ok(!daemon_report_worker_busy(w, DAEMON_REPORT_JOB_DELETE, NULL),
	       "DELETE of no UID: no job");
	daemon_report_worker_free(w);

	/* Stop with a job running (DNS wait) and others queued: quick, nothing leaks. */
	w = worker(silent, 3000);
	for (int i = 0; i < 3; i++)
		daemon_report_worker_poll(w, &mb, 0);
	{
		char *one = xstrdup("192.0.2.10");

		daemon_report_worker_rdns(w, &one, 1);
		free(one);
	}
	tap_ok(daemon_report_worker_busy(w, DAEMON_REPORT_JOB_POLL, "closed"),
	       "busy(POLL, closed) while its host is being resolved");
	tap_ok(daemon_report_worker_busy(w, DAEMON_REPORT_JOB_POLL, NULL), "  busy(POLL, any)");
	tap_ok(!daemon_report_worker_busy(w, DAEMON_REPORT_JOB_POLL, "nohost"),
	       "  not busy(POLL, nohost)");
	tap_ok(daemon_report_worker_busy(w, DAEMON_REPORT_JOB_RDNS, NULL), "  busy(RDNS): queued");
	tap_ok(!daemon_report_worker_busy(w, DAEMON_REPORT_JOB_DELETE, NULL), "  not busy(DELETE)");
	{
		time_t t0 = time(NULL);

		usleep(100 * 1000);
		daemon_report_worker_free(w);
		tap_ok(time(NULL) - t0 <= 2, "free() breaks off a DNS wait and drops queued jobs");
	}
	daemon_report_worker_free(NULL);
}

/* ---- Dovecot ---------------------------------------------------------------- */

static char *dove_dir;

static bool doveadm(const char *args)
{
	char *line = xasprintf("doveadm -c '%s/dovecot.conf' %s", dove_dir, args);
	bool ok = system(line) == 0;

	free(line);
	return ok;
}

/* Messages in INBOX of reports@rw.test, or -1. */
static int count(const char *key)
{
	char *line =
	    xasprintf("doveadm -c '%s/dovecot.conf' search -u reports@rw.test mailbox INBOX "
		      "%s | wc -l",
		      dove_dir, key);
	char *out = run(line);
	int n = out ? (int)strtol(out, NULL, 10) : -1;

	free(out);
	free(line);
	return n;
}

/* Save a message with subject subj (and pad KB of body) into INBOX. */
static bool save(const char *subj, int pad)
{
	char *path = xasprintf("%s/msg-%s", tap_tmpdir(), subj), *args;
	FILE *f = fopen(path, "w");
	bool ok;

	if (f == NULL)
		fatal("cannot write %s", path);
	fprintf(f,
		"From: noreply-dmarc@example.net\r\nTo: reports@rw.test\r\nSubject: %s\r\n"
		"Message-ID: <%s@example.net>\r\n\r\nReport %s.\r\n",
		subj, subj, subj);
	for (int i = 0; i < pad * 16; i++)
		fputs("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n", f);
	fclose(f);
	args = xasprintf("save -u reports@rw.test -m INBOX <'%s'", path);
	ok = doveadm(args);
	free(args);
	free(path);
	return ok;
}

static char *start_dovecot(unsigned *imaps)
{
	char *line, *out, *ca;

	if (system("command -v dovecot >/dev/null 2>&1 && test -x /usr/lib/dovecot/imap && "
		   "command -v doveadm >/dev/null 2>&1") != 0)
		return NULL;
	(void)chmod(tap_tmpdir(), 0711);
	line = xasprintf("sh '%s/tests/lib/testca.sh' '%s/ca' imap.rw.test 127.0.0.1", tap_srcdir(),
			 tap_tmpdir());
	ca = run(line);
	free(line);
	if (ca == NULL)
		fatal("testca.sh failed");
	dove_dir = xasprintf("%s/dovecot", tap_tmpdir());
	line =
	    xasprintf("DOVECOT_SH_OWNER=%ld DOVECOT_SH_USER=reports@rw.test "
		      "DOVECOT_SH_PASSWORD='%s' sh '%s/tests/lib/dovecot.sh' start '%s' "
		      "'%s/ca/cert.pem' '%s/ca/key.pem'",
		      (long)getpid(), PASSWORD, tap_srcdir(), dove_dir, tap_tmpdir(), tap_tmpdir());
	out = run(line);
	free(line);
	if (out == NULL)
		fatal("dovecot.sh start failed");
	*imaps = (unsigned)strtoul(strchr(out, ' ') ? strchr(out, ' ') + 1 : "0", NULL, 10);
	free(out);
	return ca;
}

static void stop_dovecot(void)
{
	char *line = xasprintf("sh '%s/tests/lib/dovecot.sh' stop '%s'", tap_srcdir(), dove_dir);

	if (system(line) != 0)
		tap_diag("dovecot.sh stop failed");
	free(line);
	free(dove_dir);
}

static void test_dovecot(unsigned dns)
{
	unsigned imaps = 0;
	char *ca = start_dovecot(&imaps);
	struct daemon_config_report_mailbox mb;
	struct daemon_report_worker *w;
	struct daemon_report_done *d;
	unsigned long del = 0;

	if (ca == NULL) {
		tap_skip("dovecot-imapd / doveadm not installed: no IMAP round trip");
		return;
	}
	if (!save("rep-one", 0) || !save("rep-two", 0) || !save("rep-big", 40))
		fatal("doveadm save failed");
	mb = box("dove", "imap.rw.test", imaps);
	mb.ca_file = ca;
	w = worker(dns, 2000);
	daemon_report_worker_poll(w, &mb, 20000);
	d = wait_done(w, 30);
	if (tap_ok(d != NULL && d->kind == DAEMON_REPORT_JOB_POLL, "POLL on Dovecot ends")) {
		tap_is_int(d->rc, ERR_OK, "  ERR_OK (%s)", d->error);
		tap_is_str(d->mailbox, "dove", "  names the mailbox");
		tap_is_int((long long)d->n_msgs, 2,
			   "  both small messages fetched, no token needed");
		tap_is_int((long long)d->n_skipped, 1, "  the one above max_message skipped");
		for (size_t i = 0; i < d->n_msgs; i++) {
			tap_ok(d->msgs[i].uid > 0 && memmem(d->msgs[i].data, d->msgs[i].len,
							    "\r\n\r\nReport rep-", 14),
			       "  message %zu fetched whole (uid %lu)", i, d->msgs[i].uid);
			if (memmem(d->msgs[i].data, d->msgs[i].len, "Subject: rep-one\r\n", 18))
				del = d->msgs[i].uid;
		}
	}
	daemon_report_done_free(d);
	tap_is_int(count("ALL"), 3, "nothing deleted by the poll");
	daemon_report_worker_delete(w, &mb, &del, del ? 1 : 0);
	d = del ? wait_done(w, 30) : NULL;
	tap_ok(d != NULL && d->kind == DAEMON_REPORT_JOB_DELETE && d->rc == ERR_OK &&
		   d->n_deleted == 1,
	       "DELETE of rep-one's UID %lu: ERR_OK, 1 deleted (%s)", del, d ? d->error : "none");
	tap_is_int(count("SUBJECT rep-one"), 0, "  rep-one is gone (doveadm)");
	tap_is_int(count("SUBJECT rep-two") * 10 + count("SUBJECT rep-big"), 11,
		   "  rep-two and rep-big are still there");
	daemon_report_done_free(d);
	/* 202 UIDs (most never existed): two sessions of at most 200. */
	{
		unsigned long many[202];

		for (size_t i = 0; i < 202; i++)
			many[i] = i + 1;
		daemon_report_worker_delete(w, &mb, many, 202);
		d = wait_done(w, 30);
		tap_ok(d != NULL && d->rc == ERR_OK && d->n_deleted == 202,
		       "DELETE of 202 UIDs: ERR_OK in sessions of 200 + 2 (%zu; %s)",
		       d ? d->n_deleted : 0, d ? d->error : "none");
		tap_is_int(count("ALL"), 0, "  the box is empty (doveadm)");
	}
	daemon_report_done_free(d);
	daemon_report_worker_free(w);
	stop_dovecot();
	free(ca);
}

int main(void)
{
	unsigned dns = 0, silent = 0;

	if (dns_resolver_library_init() != ERR_OK)
		fatal("dns_resolver_library_init");
	start_dns(&dns, &silent);
	tap_ok(dns != 0 && silent != 0, "NSD on %u, silent port on %u", dns, silent);
	test_rdns(dns, silent);
	test_imap_failures(dns, silent);
	test_dovecot(dns);
	stop_dns();
	dns_resolver_library_cleanup();
	return tap_done();
}
