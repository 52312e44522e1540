/*
 * tests/common/test_fetch: common/fetch over the real wire, against
 * tests/lib/http_sink.py on loopback (plain HTTP and HTTPS with a throw-away
 * CA from tests/lib/testca.sh): GET, POST with a body and webhook headers as
 * the sink received them, statuses 200/302/404/429/500, Retry-After, a
 * timeout, the body cap, http:// only on request, certificate checks, bad
 * requests refused up front, and no error text ever holding the URL (a Slack
 * webhook URL is a credential); pinning to addresses from our resolver
 * (CURLOPT_RESOLVE: several tried in order, the certificate still checked
 * against the URL's host, non-literals refused) and common_fetch_url_host().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/fetch.h"
#include "common/xmalloc.h"
#include "tests/lib/sink.h"
#include "tests/lib/tap.h"

#define SECRET "T0AAAA/B0BBBB/SeCrEtToKeN42"

struct got {
	bool done;
	enum mp_err err;
	long status, retry_after;
	char *error;
	char *body;
	size_t body_len;
};

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

/* CURLOPT_RESOLVE pinning: several addresses tried in order, names curl could never resolve. */
static void test_pinning(const struct sink *hs, const struct sink *ps, int *nh, int *np)
{
	static const char *const two[] = {"127.0.0.2", "127.0.0.1"};
	static const char *const v6first[] = {"[::1]", "127.0.0.1"};
	static const char *const bad[][1] = {
	    {"hooks.test"}, {"127.0.0.1,127.0.0.2"}, {"127.0.0.1:80"}, {"[::1"}, {""}};
	const char *many[COMMON_FETCH_MAX_ADDRS];
	char *ca = xasprintf("%s/ca/ca.pem", tap_tmpdir());
	char *url = xasprintf("https://hooks.test:%d/ok/" SECRET, hs->port);
	char *purl = xasprintf("http://nowhere.invalid:%d/ok/" SECRET, ps->port);
	struct common_fetch_opts o = {.ca_file = ca};
	struct common_fetch *f = common_fetch_new(&o);
	struct common_fetch_req rq = {.url = url, .addrs = two, .n_addrs = 2};
	struct got g;
	enum mp_err rc;

	rc = run1(f, &rq, &g);
	tap_ok(rc == ERR_OK && g.err == ERR_OK && g.status == 200,
	       "pinned to 127.0.0.2 (nothing there) then 127.0.0.1: the second answers (%s)",
	       g.error ? g.error : "");
	got_free(&g);
	++*nh;
	rq.n_addrs = 1;
	rc = run1(f, &rq, &g);
	tap_ok(rc == ERR_OK && g.err == ERR_NET,
	       "pinned to 127.0.0.2 alone: ERR_NET (the pin is what curl connects to)");
	no_secret(&g, "pinned, refused");
	got_free(&g);
	rq.n_addrs = 2;
	rq.addrs = v6first;
	rc = run1(f, &rq, &g);
	tap_ok(rc == ERR_OK && g.err == ERR_OK && g.status == 200,
	       "pinned to [::1] then 127.0.0.1 (IPv6 in brackets taken): 200 (%s)",
	       g.error ? g.error : "");
	got_free(&g);
	++*nh;
	rq.addrs = two;
	rq.addr = "127.0.0.1";
	rc = run1(f, &rq, &g);
	tap_ok(rc == ERR_OK && g.err == ERR_OK && g.status == 200, "addr and addrs together: 200");
	got_free(&g);
	++*nh;
	rq.addr = NULL;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rq.addrs = bad[i];
		rq.n_addrs = 1;
		tap_is_int(run1(f, &rq, &g), ERR_INVAL, "not an IP literal is refused: '%s'",
			   bad[i][0]);
	}
	for (size_t i = 0; i < COMMON_FETCH_MAX_ADDRS; i++)
		many[i] = "127.0.0.1";
	rq.addrs = many;
	rq.n_addrs = COMMON_FETCH_MAX_ADDRS - 1;
	rq.addr = "127.0.0.1";
	rc = run1(f, &rq, &g);
	tap_ok(rc == ERR_OK && g.status == 200, "COMMON_FETCH_MAX_ADDRS addresses taken");
	got_free(&g);
	++*nh;
	rq.n_addrs = COMMON_FETCH_MAX_ADDRS;
	tap_is_int(run1(f, &rq, &g), ERR_INVAL, "one more is refused");
	rq.addr = NULL;
	rc = run1(f, &rq, &g);
	tap_ok(rc == ERR_OK && g.status == 200, "COMMON_FETCH_MAX_ADDRS in addrs alone are taken");
	got_free(&g);
	++*nh;
	common_fetch_free(f);

	/* A name no resolver knows: only the pin can make this work. */
	f = common_fetch_new(&o);
	rq = (struct common_fetch_req){
	    .url = purl, .addrs = two + 1, .n_addrs = 1, .allow_http = true};
	rc = run1(f, &rq, &g);
	tap_ok(rc == ERR_OK && g.status == 200,
	       "nowhere.invalid pinned to 127.0.0.1: curl never resolved it");
	got_free(&g);
	++*np;
	/* The certificate is still checked against the URL's host, not the address. */
	free(url);
	url = xasprintf("https://other.test:%d/ok/" SECRET, hs->port);
	rq = (struct common_fetch_req){.url = url, .addrs = two + 1, .n_addrs = 1};
	rc = run1(f, &rq, &g);
	tap_ok(rc == ERR_OK && g.err == ERR_TLS && strstr(g.error, "host name"),
	       "pinned other.test: the certificate for hooks.test is refused (%s)", g.error);
	no_secret(&g, "pinned host name mismatch");
	got_free(&g);
	common_fetch_free(f);
	free(url);
	free(purl);
	free(ca);
}

static void test_url_host(void)
{
	char h[64], tiny[4];
	unsigned port = 0;

	tap_ok(common_fetch_url_host("https://hooks.test:8443/x/" SECRET, h, sizeof h, &port) ==
		       ERR_OK &&
		   strcmp(h, "hooks.test") == 0 && port == 8443,
	       "url_host: host and explicit port");
	tap_ok(common_fetch_url_host("https://Hooks.Example/x", h, sizeof h, &port) == ERR_OK &&
		   strcmp(h, "Hooks.Example") == 0 && port == 443,
	       "url_host: https defaults to 443 (%s %u)", h, port);
	tap_ok(common_fetch_url_host("http://hooks.test/x", h, sizeof h, &port) == ERR_OK &&
		   port == 80,
	       "url_host: http defaults to 80");
	tap_ok(common_fetch_url_host("http://[::1]:99/x", h, sizeof h, &port) == ERR_OK &&
		   strcmp(h, "::1") == 0 && port == 99,
	       "url_host: an IPv6 literal without its brackets (%s)", h);
	tap_ok(common_fetch_url_host("https://192.0.2.7/x", h, sizeof h, &port) == ERR_OK &&
		   strcmp(h, "192.0.2.7") == 0,
	       "url_host: an IPv4 literal");
	port = 7;
	tap_is_int(common_fetch_url_host("not a url", h, sizeof h, &port), ERR_INVAL,
		   "url_host: not a URL");
	tap_is_int(common_fetch_url_host(NULL, h, sizeof h, &port), ERR_INVAL, "url_host: NULL");
	tap_is_int(common_fetch_url_host("https://hooks.test/", tiny, sizeof tiny, &port),
		   ERR_INVAL, "url_host: a host that does not fit");
	tap_is_int((int)port, 7, "url_host: port untouched on failure");
}

int main(void)
{
	struct sink hs = {0}, ps = {0};
	struct sink_ca ca = {0};
	struct common_fetch_opts o = {0};
	struct common_fetch *f;
	int nh = 0, np = 0;
	struct got g;

	if (!sink_ca_make(&ca, "hooks.test"))
		tap_skip_all("openssl could not make a test CA");
	if (!sink_start(&hs, "https", ca.cert, ca.key) || !sink_start(&ps, "http", NULL, NULL)) {
		tap_ok(0, "the HTTP sink starts (/usr/bin/python3 tests/lib/http_sink.py)");
		sink_stop(&hs);
		sink_stop(&ps);
		sink_ca_free(&ca);
		return tap_done();
	}
	o.ca_file = ca.ca;
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
	test_pinning(&hs, &ps, &nh, &np);
	test_url_host();
	sink_stop(&hs);
	sink_stop(&ps);
	sink_ca_free(&ca);
	return tap_done();
}
