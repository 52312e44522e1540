/*
 * tests/common/test_fetch: common/fetch over the real wire, against
 * tests/lib/http_sink.py on loopback (plain HTTP and HTTPS with a throw-away
 * CA from tests/lib/testca.sh): GET, POST with a body and webhook headers as
 * the sink received them, statuses 200/302/404/429/500, Retry-After, a
 * timeout, the body cap, http:// only on request, certificate checks, bad
 * requests refused up front, and no error text ever holding the URL (a Slack
 * webhook URL is a credential).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/fetch.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"

#define SECRET "T0AAAA/B0BBBB/SeCrEtToKeN42"

struct sink {
	pid_t pid;
	int port;
	char *logdir;
};

struct got {
	bool done;
	enum mp_err err;
	long status, retry_after;
	char *error;
	char *body;
	size_t body_len;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			p = xreallocarray(p, cap + 1, 1);
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

static bool sink_start(struct sink *s, const char *name, const char *cert, const char *key)
{
	char *portfile = xasprintf("%s/%s.port", tap_tmpdir(), name);
	char *sink = xasprintf("%s/tests/lib/http_sink.py", tap_srcdir());
	char *p = NULL;

	s->logdir = xasprintf("%s/%s.log", tap_tmpdir(), name);
	s->pid = fork();
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		if (cert)
			execl("/usr/bin/python3", "python3", sink, portfile, s->logdir, cert, key,
			      (char *)NULL);
		else
			execl("/usr/bin/python3", "python3", sink, portfile, s->logdir,
			      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && p == NULL; i++) {
		p = slurp(portfile, NULL);
		if (p == NULL)
			usleep(50000);
	}
	s->port = p ? (int)strtol(p, NULL, 10) : 0;
	free(p);
	free(portfile);
	free(sink);
	return s->port > 0;
}

static void sink_stop(struct sink *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	free(s->logdir);
}

/* The sink's record of its n-th request (1-based), or NULL. */
static char *sink_req(const struct sink *s, int n, size_t *len)
{
	char *path = xasprintf("%s/%06d.req", s->logdir, n);
	char *p = NULL;

	for (int i = 0; i < 40 && p == NULL; i++) {
		p = slurp(path, len);
		if (p == NULL)
			usleep(25000);
	}
	free(path);
	return p;
}

static void on_done(void *arg, const struct common_fetch_result *res)
{
	struct got *g = arg;

	g->done = true;
	g->err = res->err;
	g->status = res->status;
	g->retry_after = res->retry_after;
	g->error = xstrdup(res->error);
	g->body = xmemdup0(res->body, res->body_len);
	g->body_len = res->body_len;
}

static void got_free(struct got *g)
{
	free(g->error);
	free(g->body);
	memset(g, 0, sizeof *g);
}

static void drive(struct common_fetch *f, struct got *g, int n)
{
	time_t end = time(NULL) + 20;
	bool all;

	do {
		(void)common_fetch_run(f, 100);
		all = true;
		for (int i = 0; i < n; i++)
			all &= g[i].done;
	} while (!all && time(NULL) < end);
}

/* Run one request to completion; the error of common_fetch_start() when it fails. */
static enum mp_err run1(struct common_fetch *f, const struct common_fetch_req *rq, struct got *g)
{
	enum mp_err e;

	memset(g, 0, sizeof *g);
	e = common_fetch_start(f, rq, on_done, g);
	if (e == ERR_OK)
		drive(f, g, 1);
	return e;
}

static void no_secret(const struct got *g, const char *what)
{
	tap_ok(g->error && strstr(g->error, "SeCrEt") == NULL && strstr(g->error, "/ok/") == NULL &&
		   strstr(g->error, "https://") == NULL && strstr(g->error, "http://") == NULL,
	       "%s: the error text holds no part of the URL ('%s')", what,
	       g->error ? g->error : "(null)");
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_post_https(struct common_fetch *f, const struct sink *s, int *nreq)
{
	static const char *const hdrs[] = {
	    "Content-Type: application/json",
	    "webhook-id: msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
	    "webhook-timestamp: 1764500000",
	    "webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
	};
	char body[3000];
	struct common_fetch_req rq = {.method = "POST",
				      .url = "https://hooks.test/ok/services/" SECRET,
				      .addr = "127.0.0.1",
				      .label = "the Slack webhook",
				      .body = body,
				      .headers = hdrs,
				      .n_headers = 4};
	struct got g;
	char *rec;
	size_t rlen = 0;

	/* Over 1 KB, where curl would otherwise wait for 100-continue; and a NUL inside. */
	memset(body, 'a', sizeof body);
	memcpy(body, "{\"text\":\"DKIM broke\"}", 21);
	body[100] = '\0';
	rq.body_len = sizeof body;
	tap_is_int(run1(f, &rq, &g), ERR_OK, "POST started");
	tap_ok(g.done && g.err == ERR_OK && g.status == 200, "POST over HTTPS: 200");
	tap_is_str(g.body, "ok", "response body read");
	tap_is_str(g.error, "", "no error text on success");
	got_free(&g);
	rec = sink_req(s, ++*nreq, &rlen);
	tap_ok(rec != NULL, "the sink recorded the POST");
	if (rec == NULL)
		return;
	tap_ok(strncmp(rec, "POST /ok/services/" SECRET "\n", 18 + strlen(SECRET) + 1) == 0,
	       "method and path as sent");
	for (int i = 0; i < 4; i++)
		tap_ok(strstr(rec, hdrs[i]) != NULL, "header arrived: %.30s", hdrs[i]);
	tap_ok(strstr(rec, "Expect:") == NULL, "no Expect: 100-continue");
	tap_ok(rlen > sizeof body && memcmp(rec + rlen - sizeof body, body, sizeof body) == 0,
	       "body arrived byte for byte (3000 bytes with a NUL)");
	free(rec);
}

static void test_statuses(struct common_fetch *f, const struct sink *s, int *nreq)
{
	static const int codes[] = {200, 404, 500};
	struct common_fetch_req rq = {
	    .method = "POST", .addr = "127.0.0.1", .body = "{}", .body_len = 2};
	struct got g;

	for (size_t i = 0; i < 3; i++) {
		char *url = xasprintf("https://hooks.test/status/%d/" SECRET, codes[i]);
		char want[32];

		rq.url = url;
		snprintf(want, sizeof want, "status %d", codes[i]);
		tap_is_int(run1(f, &rq, &g), ERR_OK, "POST for %d started", codes[i]);
		tap_ok(g.err == ERR_OK && g.status == codes[i],
		       "status %d is a response, not an error", codes[i]);
		tap_is_str(g.body, want, "its body");
		tap_is_int(g.retry_after, -1, "no Retry-After");
		got_free(&g);
		free(url);
		++*nreq;
	}
	rq.url = "https://hooks.test/status/429/" SECRET;
	tap_is_int(run1(f, &rq, &g), ERR_OK, "POST for 429 started");
	tap_ok(g.status == 429 && g.retry_after == 7, "429 with Retry-After: 7 (RFC 9110 10.2.3)");
	got_free(&g);
	rq.url = "https://hooks.test/seq/500,200/" SECRET;
	tap_ok(run1(f, &rq, &g) == ERR_OK && g.status == 500, "first try: 500");
	got_free(&g);
	tap_ok(run1(f, &rq, &g) == ERR_OK && g.status == 200, "retry: 200");
	got_free(&g);
	rq.url = "https://hooks.test/redirect/" SECRET;
	tap_ok(run1(f, &rq, &g) == ERR_OK && g.status == 302,
	       "a redirect is returned, not followed");
	got_free(&g);
	*nreq += 4;
}

static void test_failures(struct common_fetch *f, const struct sink *s)
{
	struct common_fetch_req rq = {.method = "POST",
				      .addr = "127.0.0.1",
				      .body = "{}",
				      .body_len = 2,
				      .label = "the Slack webhook"};
	struct common_fetch_opts o = {.timeout_ms = 600, .max_body = 1000};
	char *ca = xasprintf("%s/ca/ca.pem", tap_tmpdir());
	struct common_fetch *tight;
	struct timespec t0;
	struct got g;

	(void)s;
	o.ca_file = ca;
	o.port_override = (unsigned)s->port;
	tight = common_fetch_new(&o);
	rq.url = "https://hooks.test/slow/5000/" SECRET;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tap_is_int(run1(tight, &rq, &g), ERR_OK, "slow POST started");
	tap_is_int(g.err, ERR_TIMEOUT, "a slow sink times out");
	tap_ok(ms_since(&t0) < 3000, "after the 0.6 s timeout, not the sink's 5 s");
	tap_ok(strncmp(g.error, "the Slack webhook: ", 19) == 0, "error starts with the label: %s",
	       g.error);
	no_secret(&g, "timeout");
	got_free(&g);

	rq.url = "https://hooks.test/big/100000/" SECRET;
	tap_is_int(run1(tight, &rq, &g), ERR_OK, "big POST started");
	tap_is_int(g.err, ERR_LIMIT, "a 100 KB body over a 1000-byte cap fails");
	tap_ok(g.body_len <= 1000, "and never holds more than the cap (%zu)", g.body_len);
	no_secret(&g, "body cap");
	got_free(&g);
	common_fetch_free(tight);

	/* No CA file: the system store does not know the test CA. */
	o = (struct common_fetch_opts){.port_override = (unsigned)s->port};
	tight = common_fetch_new(&o);
	rq.url = "https://hooks.test/ok/" SECRET;
	tap_ok(run1(tight, &rq, &g) == ERR_OK && g.err == ERR_TLS,
	       "untrusted certificate: ERR_TLS");
	tap_ok(strstr(g.error, "certificate") != NULL, "says certificate: %s", g.error);
	no_secret(&g, "untrusted certificate");
	got_free(&g);
	common_fetch_free(tight);

	/* With the CA but a name the certificate does not hold. */
	o = (struct common_fetch_opts){.ca_file = ca, .port_override = (unsigned)s->port};
	tight = common_fetch_new(&o);
	rq.url = "https://other.test/ok/" SECRET;
	rq.label = NULL;
	tap_ok(run1(tight, &rq, &g) == ERR_OK && g.err == ERR_TLS, "wrong host name: ERR_TLS");
	tap_ok(strncmp(g.error, "host other.test: ", 17) == 0, "default label is the host: %s",
	       g.error);
	tap_ok(strstr(g.error, "host name") != NULL, "and says the name is the problem");
	no_secret(&g, "host name mismatch");
	got_free(&g);
	common_fetch_free(tight);
	free(ca);
}

static void test_refused_and_bad(void)
{
	struct common_fetch_opts o = {0};
	struct common_fetch *f = common_fetch_new(&o);
	static const char *const inj[] = {"X-A: 1\r\nX-B: 2"};
	static const char *const nocolon[] = {"NoColonHere"};
	struct common_fetch_req rq = {.method = "POST", .label = "the webhook"};
	struct got g;

	rq.url = "http://127.0.0.1:1/ok/" SECRET;
	tap_is_int(run1(f, &rq, &g), ERR_UNSUPPORTED, "http:// refused unless allowed");
	rq.allow_http = true;
	tap_ok(run1(f, &rq, &g) == ERR_OK && g.err == ERR_NET, "nothing listening: ERR_NET");
	tap_ok(strstr(g.error, "connect") != NULL, "says it could not connect");
	tap_ok(strncmp(g.error, "the webhook: ", 13) == 0, "labelled: %s", g.error);
	tap_ok(strstr(g.error, "127.0.0.1") == NULL && strstr(g.error, ":1") == NULL,
	       "curl's own text (address, port) is not copied");
	no_secret(&g, "connection refused");
	got_free(&g);
	rq.url = "ftp://hooks.test/" SECRET;
	tap_is_int(run1(f, &rq, &g), ERR_UNSUPPORTED, "ftp:// refused even with allow_http");
	rq.url = "https://hooks.test/ok";
	rq.headers = inj;
	rq.n_headers = 1;
	tap_is_int(run1(f, &rq, &g), ERR_INVAL, "a header with CR/LF is refused (no injection)");
	rq.headers = nocolon;
	tap_is_int(run1(f, &rq, &g), ERR_INVAL, "a header without a colon is refused");
	rq.headers = NULL;
	rq.n_headers = 0;
	rq.method = "DELETE";
	tap_is_int(run1(f, &rq, &g), ERR_INVAL, "methods other than GET and POST are refused");
	rq.method = NULL;
	rq.url = "not a url";
	tap_is_int(run1(f, &rq, &g), ERR_INVAL, "an unparsable URL is refused");
	rq.url = NULL;
	tap_is_int(run1(f, &rq, &g), ERR_INVAL, "no URL is refused");
	common_fetch_free(f);
}

static void test_plain_http(const struct sink *s, int *nreq)
{
	struct common_fetch_opts o = {0};
	struct common_fetch *f = common_fetch_new(&o);
	char *url = xasprintf("http://127.0.0.1:%d/ok/" SECRET, s->port);
	struct common_fetch_req rq = {
	    .method = "POST", .url = url, .body = "hi", .body_len = 2, .allow_http = true};
	struct got g[3];
	char *rec;

	tap_ok(run1(f, &rq, &g[0]) == ERR_OK && g[0].status == 200,
	       "http:// POST when the caller allows it");
	got_free(&g[0]);
	rec = sink_req(s, ++*nreq, NULL);
	tap_ok(rec && strncmp(rec, "POST /ok/", 9) == 0 && strstr(rec, "\n\nhi") != NULL,
	       "the plain sink got it");
	free(rec);
	/* Three at once on one multi handle, and a GET through the old API. */
	memset(g, 0, sizeof g);
	for (int i = 0; i < 2; i++)
		tap_is_int(common_fetch_start(f, &rq, on_done, &g[i]), ERR_OK, "parallel POST %d",
			   i);
	tap_is_int(common_fetch_get(f, url, NULL, on_done, &g[2]), ERR_UNSUPPORTED,
		   "common_fetch_get stays https-only");
	g[2].done = true;
	drive(f, g, 3);
	tap_ok(g[0].status == 200 && g[1].status == 200, "both parallel POSTs answered");
	for (int i = 0; i < 2; i++)
		got_free(&g[i]);
	*nreq += 2;
	common_fetch_free(f);
	free(url);
}

int main(void)
{
	struct sink hs = {0}, ps = {0};
	char *cmd = xasprintf("sh '%s/tests/lib/testca.sh' '%s/ca' hooks.test >/dev/null",
			      tap_srcdir(), tap_tmpdir());
	char *cert = xasprintf("%s/ca/cert.pem", tap_tmpdir());
	char *key = xasprintf("%s/ca/key.pem", tap_tmpdir());
	char *ca = xasprintf("%s/ca/ca.pem", tap_tmpdir());
	struct common_fetch_opts o = {.ca_file = ca};
	struct common_fetch *f;
	int nh = 0, np = 0;
	struct got g;

	if (system(cmd) != 0)
		tap_skip_all("openssl could not make a test CA");
	if (!sink_start(&hs, "https", cert, key) || !sink_start(&ps, "http", NULL, NULL)) {
		tap_ok(0, "the HTTP sink starts (/usr/bin/python3 tests/lib/http_sink.py)");
		sink_stop(&hs);
		sink_stop(&ps);
		return tap_done();
	}
	o.port_override = (unsigned)hs.port;
	f = common_fetch_new(&o);
	memset(&g, 0, sizeof g);
	tap_is_int(common_fetch_get(f, "https://hooks.test/ok/get", "127.0.0.1", on_done, &g),
		   ERR_OK, "GET started (old API)");
	drive(f, &g, 1);
	tap_ok(g.err == ERR_OK && g.status == 200 && strcmp(g.body, "ok") == 0,
	       "GET over HTTPS: 200 ok");
	got_free(&g);
	nh++;
	test_post_https(f, &hs, &nh);
	test_statuses(f, &hs, &nh);
	test_failures(f, &hs);
	test_refused_and_bad();
	common_fetch_free(f);
	test_plain_http(&ps, &np);
	sink_stop(&hs);
	sink_stop(&ps);
	free(cmd);
	free(cert);
	free(key);
	free(ca);
	return tap_done();
}
