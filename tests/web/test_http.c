/*
 * tests/web/test_http: the real server (web/http over libmicrohttpd) on
 * 127.0.0.1 with a free port, spoken to over the wire with raw sockets:
 * status codes, security headers, methods, auth, body and URI limits, the
 * idle timeout (slowloris), the per-IP limit, gzip and conditional GET
 * of the cached pages, and snapshots swapped while requests run (the ASan
 * build checks nothing is used after free).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "tests/web/fixture_net.h"
#include "tests/web/fixture.h"
#include "web/http.h"
#include "web/style.h"

#define TOKEN "s3cret-token-for-tests"
#define CSP                                                                                        \
	"default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "     \
	"base-uri 'none'; form-action 'none'"

struct resp {
	int status; /* 0: no HTTP answer (closed or timed out) */
	char *head; /* status line and headers */
	char *body;
	size_t body_len;
};

static atomic_int reloads;
static atomic_int checks;
static char last_checked[256];

static void cb_reload(void *arg)
{
	(void)arg;
	atomic_fetch_add(&reloads, 1);
}

static enum mp_err cb_check(void *arg, const char *domain)
{
	(void)arg;
	if (strcmp(domain, "shop.example") == 0)
		return ERR_AGAIN; /* busy */
	if (strcmp(domain, "xn--bcher-kva.example") == 0)
		return ERR_NOTFOUND; /* removed by a reload the snapshot does not show yet */
	snprintf(last_checked, sizeof last_checked, "%s", domain);
	atomic_fetch_add(&checks, 1);
	return ERR_OK;
}

/* Read until EOF (or timeout_ms of silence); returns the bytes (caller frees). */
static char *read_all(int fd, int timeout_ms, size_t *len, bool *eof)
{
	size_t n = 0, cap = 65536;
	char *buf = xmalloc(cap + 1);

	*eof = false;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		if (n == cap) {
			cap *= 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		r = recv(fd, buf + n, cap - n, 0);
		if (r <= 0) {
			*eof = true;
			break;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void parse_resp(char *raw, size_t n, struct resp *r)
{
	char *sep = memmem(raw, n, "\r\n\r\n", 4);

	memset(r, 0, sizeof *r);
	if (sep == NULL || n < 12 || memcmp(raw, "HTTP/1.", 7) != 0) {
		free(raw);
		return;
	}
	r->status = (raw[9] - '0') * 100 + (raw[10] - '0') * 10 + (raw[11] - '0');
	r->head = xmemdup0(raw, (size_t)(sep - raw) + 2);
	r->body_len = n - (size_t)(sep + 4 - raw);
	r->body = xmemdup0(sep + 4, r->body_len);
	free(raw);
}

/* Send a raw request (it should say Connection: close) and read the answer. */
static void http_raw(unsigned port, const char *req, size_t reqlen, struct resp *r)
{
	int fd = fixture_net_connect(port);
	size_t n = 0;
	bool eof;

	memset(r, 0, sizeof *r);
	if (fd < 0)
		return;
	if (fixture_net_send_all(fd, req, reqlen)) {
		char *raw = read_all(fd, 5000, &n, &eof);

		parse_resp(raw, n, r);
	}
	close(fd);
}

static void http(unsigned port, const char *method, const char *path, const char *extra,
		 struct resp *r)
{
	char *req = xasprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
			      method, path, extra ? extra : "");

	http_raw(port, req, strlen(req), r);
	free(req);
}

static void resp_free(struct resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* The value of header name (case-insensitive), copied into buf; NULL if absent. */
static const char *header(const struct resp *r, const char *name, char *buf, size_t bufsz)
{
	size_t nl = strlen(name);

	for (const char *p = r->head ? strstr(r->head, "\r\n") : NULL; p != NULL;
	     p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2, *e = strstr(l, "\r\n");

		if (e != NULL && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			l += nl + 1;
			while (*l == ' ')
				l++;
			snprintf(buf, bufsz, "%.*s", (int)(e - l), l);
			return buf;
		}
	}
	return NULL;
}

static bool header_is(const struct resp *r, const char *name, const char *want)
{
	char buf[512];
	const char *v = header(r, name, buf, sizeof buf);

	if (v == NULL || strcmp(v, want) != 0) {
		tap_diag("%s: got '%s', want '%s'", name, v ? v : "(none)", want);
		return false;
	}
	return true;
}

static bool body_has(const struct resp *r, const char *needle)
{
	return r->body != NULL && memmem(r->body, r->body_len, needle, strlen(needle)) != NULL;
}

static void expect(unsigned port, const char *method, const char *path, const char *extra,
		   int status, const char *ctype, const char *what)
{
	struct resp r;

	http(port, method, path, extra, &r);
	tap_is_int(r.status, status, "%s: %s %s -> %d", what, method, path, status);
	if (ctype != NULL)
		tap_ok(header_is(&r, "Content-Type", ctype), "%s: Content-Type %s", what, ctype);
	resp_free(&r);
}

static void pages(unsigned port)
{
	struct resp r;
	char buf[256];
	size_t csslen = 0;
	const char *css = web_style_css(&csslen);

	http(port, "GET", "/", NULL, &r);
	tap_is_int(r.status, 200, "GET / is 200");
	tap_ok(header_is(&r, "Content-Type", "text/html; charset=utf-8") &&
		   header_is(&r, "Content-Security-Policy", CSP) &&
		   header_is(&r, "X-Content-Type-Options", "nosniff") &&
		   header_is(&r, "Referrer-Policy", "no-referrer") &&
		   header_is(&r, "Cache-Control", "no-store") &&
		   header_is(&r, "X-Frame-Options", "DENY"),
	       "page security headers");
	tap_ok(header(&r, "Server", buf, sizeof buf) == NULL, "no Server header");
	tap_ok(body_has(&r, "<section class=\"banner failing\""), "overview banner over the wire");
	resp_free(&r);
	http(port, "HEAD", "/", NULL, &r);
	tap_ok(r.status == 200 && r.body_len == 0 && header(&r, "Content-Length", buf, sizeof buf),
	       "HEAD: headers without body");
	resp_free(&r);
	http(port, "GET", "/static/style.css?v=x", NULL, &r);
	tap_ok(r.status == 200 && header_is(&r, "Content-Type", "text/css; charset=utf-8") &&
		   header_is(&r, "Cache-Control", "public, max-age=31536000, immutable") &&
		   r.body_len == csslen && memcmp(r.body, css, csslen) == 0,
	       "stylesheet with a long cache");
	resp_free(&r);
	http(port, "GET", "/domain/SHOP.example.", NULL, &r);
	tap_ok(r.status == 200 && body_has(&r, "&lt;script&gt;alert(1)&lt;/script&gt;") &&
		   !body_has(&r, "<script>alert(1)"),
	       "domain page: hostile evidence escaped over the wire");
	resp_free(&r);
	http(port, "GET", "/badge/example.com.svg?label=%3Cb%3E", NULL, &r);
	tap_ok(r.status == 200 && header_is(&r, "Content-Type", "image/svg+xml") &&
		   header_is(&r, "Content-Security-Policy", CSP) && body_has(&r, "&lt;b&gt;") &&
		   body_has(&r, "passing"),
	       "badge: SVG, CSP, label escaped");
	resp_free(&r);
}

static void api(unsigned port)
{
	struct resp r;
	struct common_json *j = NULL;

	http(port, "GET", "/api/v1/domains", NULL, &r);
	tap_ok(r.status == 200 && header_is(&r, "Content-Type", "application/json") &&
		   header_is(&r, "Cache-Control", "no-store") &&
		   common_json_parse(r.body, r.body_len, &j) == ERR_OK &&
		   common_json_array_len(common_json_get(j, "domains")) == 4,
	       "API domains: JSON with 4 domains");
	common_json_free(j);
	resp_free(&r);
	http(port, "GET", "/api/v1/domains?pretty=1", NULL, &r);
	tap_ok(r.status == 200 && body_has(&r, "\n  \"generated_at\""), "?pretty=1 indents");
	resp_free(&r);
	expect(port, "GET", "/api/v1/domains/example.com", NULL, 200, "application/json",
	       "API domain");
	expect(port, "GET", "/api/v1/alerts", NULL, 200, "application/json", "API alerts");
	http(port, "GET", "/api/v1/domains/shop.example/probes", NULL, &r);
	tap_ok(r.status == 200 && body_has(&r, "\"token\":\"mpshopfailed") &&
		   body_has(&r, "\"detail\":{"),
	       "API probes of a domain (issue 4)");
	resp_free(&r);
	expect(port, "GET", "/api/v1/domains/nope.example/probes", NULL, 404, "application/json",
	       "API probes of an unmonitored domain");
	expect(port, "GET", "/metrics", NULL, 200, "text/plain; version=0.0.4; charset=utf-8",
	       "metrics");
	expect(port, "GET", "/-/healthy", NULL, 200, "text/plain; charset=utf-8", "healthy");
	expect(port, "GET", "/-/ready", NULL, 200, NULL, "ready");
}

static void not_found(unsigned port)
{
	struct resp r;

	expect(port, "GET", "/nope", NULL, 404, "text/html; charset=utf-8", "unknown page");
	expect(port, "GET", "/domain/nope.example", NULL, 404, "text/html; charset=utf-8",
	       "unmonitored domain page");
	expect(port, "GET", "/domain/a..b", NULL, 404, NULL, "not a domain name");
	expect(port, "GET", "/api/nope", NULL, 404, "application/json", "unknown API path");
	expect(port, "GET", "/api/v1/domains/nope.example", NULL, 404, "application/json",
	       "unmonitored domain API");
	expect(port, "GET", "/badge/nope.example.svg", NULL, 404, "image/svg+xml", "unknown badge");
	http(port, "GET", "/domain/%3Cscript%3E", NULL, &r);
	tap_ok(r.status == 404 && header_is(&r, "Content-Security-Policy", CSP) &&
		   body_has(&r, "&lt;script&gt;") && !body_has(&r, "<script>"),
	       "404 page escapes the name from the URL");
	resp_free(&r);
	expect(port, "GET", "/a%zz", NULL, 400, NULL, "bad escape");
}

static void methods(unsigned port)
{
	struct resp r;

	http(port, "PUT", "/", NULL, &r);
	tap_ok(r.status == 405 && header_is(&r, "Allow", "GET, HEAD"),
	       "PUT / -> 405 Allow: GET, HEAD");
	resp_free(&r);
	http(port, "DELETE", "/-/reload", NULL, &r);
	tap_ok(r.status == 405 && header_is(&r, "Allow", "POST"),
	       "DELETE /-/reload -> 405 Allow: POST");
	resp_free(&r);
	http(port, "GET", "/-/reload", NULL, &r);
	tap_ok(r.status == 405 && header_is(&r, "Allow", "POST"),
	       "GET /-/reload -> 405 Allow: POST");
	resp_free(&r);
	http(port, "POST", "/api/v1/domains", "Content-Length: 0\r\n", &r);
	tap_ok(r.status == 405 && header_is(&r, "Allow", "GET, HEAD") &&
		   header_is(&r, "Content-Type", "application/json"),
	       "POST on a read-only API path -> 405 JSON");
	resp_free(&r);
	http(port, "OPTIONS", "/nope", NULL, &r);
	tap_ok(r.status == 405 && header_is(&r, "Allow", "GET, HEAD, POST"), "OPTIONS -> 405");
	resp_free(&r);
}

static void auth(unsigned port)
{
	struct resp r;
	int before = atomic_load(&reloads);

	http(port, "POST", "/-/reload", "Content-Length: 0\r\n", &r);
	tap_ok(r.status == 401 && header_is(&r, "WWW-Authenticate", "Bearer realm=\"mailpulse\""),
	       "reload without token -> 401 with challenge");
	resp_free(&r);
	http(port, "POST", "/-/reload", "Content-Length: 0\r\nAuthorization: Bearer wrong\r\n", &r);
	tap_ok(r.status == 401 && header_is(&r, "WWW-Authenticate",
					    "Bearer realm=\"mailpulse\", error=\"invalid_token\""),
	       "wrong token -> 401 invalid_token");
	resp_free(&r);
	http(port, "POST", "/-/reload", "Content-Length: 0\r\nAuthorization: Basic " TOKEN "\r\n",
	     &r);
	tap_is_int(r.status, 401, "other auth scheme -> 401");
	resp_free(&r);
	http(port, "POST", "/-/reload", "Content-Length: 0\r\nAuthorization: Bearer " TOKEN "x\r\n",
	     &r);
	tap_is_int(r.status, 401, "token with a suffix -> 401");
	resp_free(&r);
	tap_is_int(atomic_load(&reloads), before, "no reload without the right token");
	http(port, "POST", "/-/reload", "Content-Length: 0\r\nAuthorization: bearer " TOKEN "\r\n",
	     &r);
	tap_ok(r.status == 202 && header_is(&r, "Content-Type", "application/json") &&
		   body_has(&r, "\"action\":\"reload\""),
	       "reload with token (scheme any case) -> 202");
	resp_free(&r);
	tap_is_int(atomic_load(&reloads), before + 1, "reload callback called once");
	expect(port, "POST", "/api/v1/domains/Example.COM/check",
	       "Authorization: Bearer " TOKEN "\r\n", 202, "application/json", "check now");
	tap_is_str(last_checked, "example.com", "check callback got the A-label name");
	expect(port, "POST", "/api/v1/domains/nope.example/check",
	       "Authorization: Bearer " TOKEN "\r\n", 404, "application/json",
	       "check unknown domain");
	expect(port, "POST", "/api/v1/domains/shop.example/check",
	       "Authorization: Bearer " TOKEN "\r\n", 503, "application/json", "check while busy");
	expect(port, "POST", "/api/v1/domains/xn--bcher-kva.example/check",
	       "Authorization: Bearer " TOKEN "\r\n", 404, NULL, "check of a domain just removed");
	expect(port, "POST", "/api/v1/domains/example.com/check", NULL, 401, NULL,
	       "check without token");
	tap_is_int(atomic_load(&checks), 1, "check callback called once");
}

static void limits(unsigned port)
{
	struct resp r;
	char *big, *req;
	int before = atomic_load(&reloads);

	http(port, "POST", "/-/reload",
	     "Content-Length: 5000\r\nAuthorization: Bearer " TOKEN "\r\n", &r);
	tap_is_int(r.status, 413, "declared body over max_body -> 413");
	resp_free(&r);
	big = xmalloc(2001);
	memset(big, 'x', 2000);
	big[2000] = '\0';
	req = xasprintf("POST /-/reload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			"Authorization: Bearer " TOKEN "\r\nTransfer-Encoding: chunked\r\n\r\n"
			"7d0\r\n%s\r\n0\r\n\r\n",
			big);
	http_raw(port, req, strlen(req), &r);
	tap_ok(r.status == 413 || r.status == 0,
	       "chunked body over max_body -> 413 or closed (got %d)", r.status);
	resp_free(&r);
	tap_is_int(atomic_load(&reloads), before, "no reload from an oversized request");
	free(req);
	free(big);
	big = xmalloc(3001);
	big[0] = '/';
	memset(big + 1, 'a', 2999);
	big[3000] = '\0';
	http(port, "GET", big, NULL, &r);
	tap_is_int(r.status, 414, "request target over WEB_URL_MAX -> 414");
	resp_free(&r);
	free(big);
}

/* An idle half-sent request is closed by the server's timeout (1 s here). */
static void slowloris(unsigned port)
{
	int fd = fixture_net_connect(port);
	const char *part = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
	size_t n = 0;
	bool eof = false;
	char *got;

	if (!tap_ok(fd >= 0 && fixture_net_send_all(fd, part, strlen(part)),
		    "slow client connected"))
		return;
	got = read_all(fd, 10000, &n, &eof);
	tap_ok(eof, "idle connection closed by the server (%zu bytes before close)", n);
	free(got);
	close(fd);
}

struct load {
	unsigned port;
	int ok, bad;
};

static void *load_thread(void *arg)
{
	struct load *l = arg;
	static const char *const paths[] = {
	    "/",	"/api/v1/domains", "/domain/shop.example",
	    "/metrics", "/api/v1/alerts",  "/badge/example.com.svg"};

	for (int i = 0; i < 60; i++) {
		struct resp r;

		http(l->port, "GET", paths[i % 6], NULL, &r);
		if (r.status == 200 && r.body_len > 0)
			l->ok++;
		else
			l->bad++;
		resp_free(&r);
	}
	return NULL;
}

static void swap_under_load(struct web_http *h, unsigned port)
{
	pthread_t t[3];
	struct load l[3];
	int ok = 0, bad = 0;

	for (int i = 0; i < 3; i++) {
		l[i] = (struct load){port, 0, 0};
		pthread_create(&t[i], NULL, load_thread, &l[i]);
	}
	for (int i = 0; i < 150; i++) {
		struct timespec ts = {0, 2 * 1000 * 1000};

		web_http_publish(h, fixture_snapshot(1714564800 + i));
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		ok += l[i].ok;
		bad += l[i].bad;
	}
	tap_ok(ok == 180 && bad == 0, "snapshot swapped 150 times under load: %d ok, %d bad", ok,
	       bad);
}

/* GET path with one extra header line (or none); *etag gets the ETag. */
static void get_tagged(unsigned port, const char *path, const char *extra, struct resp *r,
		       char *etag, size_t etagsz)
{
	http(port, "GET", path, extra, r);
	if (header(r, "ETag", etag, etagsz) == NULL)
		etag[0] = '\0';
}

/* The cached pages: gzip when accepted, strong ETags, 304 for If-None-Match. */
static void encodings(unsigned port)
{
	struct resp id, gz, r;
	char tag[128], gztag[128], buf[256], *extra;
	size_t n = 0;
	char *back;

	get_tagged(port, "/", NULL, &id, tag, sizeof tag);
	tap_ok(id.status == 200 && header(&id, "Content-Encoding", buf, sizeof buf) == NULL &&
		   header_is(&id, "Vary", "Accept-Encoding") && strlen(tag) == 34 && tag[0] == '"',
	       "no Accept-Encoding: identity, Vary: Accept-Encoding, ETag %s", tag);
	get_tagged(port, "/", "Accept-Encoding: deflate, GZIP;q=0.5, br\r\n", &gz, gztag,
		   sizeof gztag);
	back = gz.body ? web_fixture_gunzip(gz.body, gz.body_len, &n) : NULL;
	tap_ok(gz.status == 200 && header_is(&gz, "Content-Encoding", "gzip") &&
		   header_is(&gz, "Content-Type", "text/html; charset=utf-8") &&
		   header_is(&gz, "Content-Security-Policy", CSP) &&
		   header_is(&gz, "Vary", "Accept-Encoding") && gz.body_len < id.body_len / 2 &&
		   back != NULL && n == id.body_len && memcmp(back, id.body, n) == 0,
	       "Accept-Encoding with gzip: gzip-coded (%zu of %zu bytes), same headers, inflates "
	       "to the same page",
	       gz.body_len, id.body_len);
	free(back);
	tap_ok(strlen(gztag) == 37 && strncmp(gztag, tag, 33) == 0 &&
		   strcmp(gztag + 33, ".gz\"") == 0,
	       "the gzip coding has its own tag: %s", gztag);
	http(port, "GET", "/", "Accept-Encoding: gzip;q=0, identity\r\n", &r);
	tap_ok(r.status == 200 && header(&r, "Content-Encoding", buf, sizeof buf) == NULL,
	       "gzip;q=0: identity");
	resp_free(&r);
	extra = xasprintf("If-None-Match: \"x\", %s\r\n", tag);
	http(port, "GET", "/", extra, &r);
	free(extra);
	tap_ok(r.status == 304 && r.body_len == 0 && header_is(&r, "ETag", tag) &&
		   header_is(&r, "Vary", "Accept-Encoding") &&
		   header_is(&r, "Cache-Control", "no-store") &&
		   header_is(&r, "X-Content-Type-Options", "nosniff"),
	       "If-None-Match with the tag: 304, no content, ETag/Vary/Cache-Control repeated");
	resp_free(&r);
	extra = xasprintf("If-None-Match: W/%s\r\nAccept-Encoding: gzip\r\n", gztag);
	http(port, "GET", "/", extra, &r);
	free(extra);
	tap_is_int(r.status, 304, "weak comparison: W/ + the gzip tag, gzip accepted -> 304");
	resp_free(&r);
	extra = xasprintf("If-None-Match: %s\r\nAccept-Encoding: gzip\r\n", tag);
	http(port, "GET", "/", extra, &r);
	free(extra);
	tap_ok(r.status == 200 && header_is(&r, "Content-Encoding", "gzip"),
	       "the identity tag does not match the gzip representation -> 200");
	resp_free(&r);
	http(port, "GET", "/api/v1/domains", "If-None-Match: *\r\n", &r);
	tap_is_int(r.status, 304, "If-None-Match: * -> 304");
	resp_free(&r);
	http(port, "GET", "/metrics", "Accept-Encoding: gzip\r\n", &r);
	tap_ok(r.status == 200 && header_is(&r, "Content-Encoding", "gzip"), "metrics: gzip too");
	resp_free(&r);
	http(port, "GET", "/api/v1/domains?pretty=1", "Accept-Encoding: gzip\r\n", &r);
	tap_ok(r.status == 200 && header(&r, "Content-Encoding", buf, sizeof buf) == NULL &&
		   header(&r, "ETag", buf, sizeof buf) == NULL,
	       "?pretty=1 (rendered per request): identity, no ETag");
	resp_free(&r);
	resp_free(&id);
	resp_free(&gz);
}

/* A new snapshot with other content: the old tag no longer matches. */
static void tag_changes(struct web_http *h, unsigned port)
{
	struct resp r;
	char tag[128], tag2[128], *extra;

	get_tagged(port, "/", NULL, &r, tag, sizeof tag);
	resp_free(&r);
	web_http_publish(h, fixture_snapshot(1714564800 + 86400));
	extra = xasprintf("If-None-Match: %s\r\n", tag);
	get_tagged(port, "/", extra, &r, tag2, sizeof tag2);
	free(extra);
	tap_ok(r.status == 200 && tag2[0] == '"' && strcmp(tag, tag2) != 0,
	       "after a publish the old tag gets 200 and a new tag");
	resp_free(&r);
	web_http_publish(h, fixture_snapshot(1714564800));
}

/* A second server with per_ip_limit 2 and a long timeout. */
static void per_ip(void)
{
	struct web_http_opts o;
	struct web_http *h = NULL;
	int a, b, c;
	struct resp r;
	struct timespec ts = {0, 300 * 1000 * 1000};
	size_t n = 0;
	bool eof = false;
	char *got;
	const char *req = "GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

	web_http_opts_init(&o);
	o.port = 0;
	o.per_ip_limit = 2;
	o.timeout_seconds = 30;
	if (!tap_is_int(web_http_start(&o, &h), ERR_OK, "per-IP server starts"))
		return;
	a = fixture_net_connect(web_http_port(h));
	b = fixture_net_connect(web_http_port(h));
	fixture_net_send_all(a, "GET", 3);
	fixture_net_send_all(b, "GET", 3);
	nanosleep(&ts, NULL);
	c = fixture_net_connect(web_http_port(h));
	if (c >= 0 && fixture_net_send_all(c, req, strlen(req))) {
		got = read_all(c, 5000, &n, &eof);
		tap_ok(eof && strncmp(got, "HTTP/1.1 200", 12) != 0,
		       "third connection from one address refused (%zu bytes)", n);
		free(got);
	} else {
		tap_ok(true, "third connection from one address refused at connect/send");
	}
	if (c >= 0)
		close(c);
	close(a);
	nanosleep(&ts, NULL);
	http(web_http_port(h), "GET", "/-/healthy", NULL, &r);
	tap_is_int(r.status, 200, "after one closes, a new connection is served");
	resp_free(&r);
	close(b);
	web_http_stop(h);
}

static void no_token_and_errors(unsigned busy_port)
{
	struct web_http_opts o;
	struct web_http *h = NULL;

	web_http_opts_init(&o);
	o.port = 0;
	o.token = "";
	if (tap_is_int(web_http_start(&o, &h), ERR_OK, "server without token starts")) {
		expect(web_http_port(h), "POST", "/-/reload", "Authorization: Bearer x\r\n", 403,
		       "text/plain; charset=utf-8", "no token configured");
		expect(web_http_port(h), "GET", "/-/ready", NULL, 503, NULL,
		       "not ready before the first publish");
		web_http_stop(h);
	}
	h = NULL;
	o.port = busy_port;
	tap_is_int(web_http_start(&o, &h), ERR_IO, "port in use -> ERR_IO");
	o.port = 0;
	o.address = "localhost";
	tap_is_int(web_http_start(&o, &h), ERR_INVAL, "address not an IP literal -> ERR_INVAL");
	o.address = "::1";
	if (tap_is_int(web_http_start(&o, &h), ERR_OK, "IPv6 loopback")) {
		tap_ok(web_http_port(h) > 0, "IPv6 port chosen");
		web_http_stop(h);
	}
	web_http_stop(NULL);
}

int main(void)
{
	struct web_http_opts o;
	struct web_http *h = NULL;
	struct web_snapshot *s;
	unsigned port;

	web_http_opts_init(&o);
	tap_is_int(o.port, 8025, "default port 8025");
	tap_is_str(o.address, "127.0.0.1", "default address loopback");
	o.port = 0;
	o.token = TOKEN;
	o.cb = (struct web_http_callbacks){.reload = cb_reload, .check_now = cb_check};
	o.timeout_seconds = 1;
	o.max_body = 1024;
	o.threads = 3;
	if (!tap_is_int(web_http_start(&o, &h), ERR_OK, "server starts on a free port"))
		return tap_done();
	port = web_http_port(h);
	tap_ok(port > 0 && port != 8025, "port chosen: %u", port);
	web_http_publish(h, fixture_snapshot(1714564800));
	pages(port);
	encodings(port);
	tag_changes(h, port);
	api(port);
	not_found(port);
	methods(port);
	auth(port);
	limits(port);
	slowloris(port);
	swap_under_load(h, port);
	s = fixture_snapshot(1714564800);
	s->ready = false;
	web_http_publish(h, s);
	expect(port, "GET", "/-/ready", NULL, 503, NULL, "not ready snapshot");
	per_ip();
	no_token_and_errors(port);
	web_http_stop(h);
	return tap_done();
}
