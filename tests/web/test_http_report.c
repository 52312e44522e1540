/*
 * tests/web/test_http_report: POST /api/v1/reports and GET
 * /api/v1/domains/NAME/reports on the real server (web/http over
 * libmicrohttpd), on 127.0.0.1 with a free port and raw sockets, with a
 * fake ingest callback that keeps a copy of what it was handed: the bearer
 * token (401 missing or wrong, 403 none configured), the body cap by
 * Content-Length and while reading a chunked body (413, the callback never
 * called), a body delivered in many pieces reaching the callback byte for
 * byte (NUL and invalid UTF-8 included), the callback's status and JSON
 * passed through, and 503 without a callback.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common/buf.h"
#include "common/json.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "tests/web/fixture_net.h"
#include "tests/web/fixture_report.h"
#include "web/http.h"

#define TOKEN "report-token-for-tests"
#define AUTH "Authorization: Bearer " TOKEN "\r\n"
#define CAP ((size_t)64 * 1024) /* max_report_body of the test server */
#define NOW 1714564800

struct resp {
	int status; /* 0: no HTTP answer (closed or timed out) */
	char *head, *body;
	size_t body_len;
	int interim; /* 1xx answers before it */
};

/* What the fake ingest callback saw and answers (guarded by mu). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int calls;
static char *got;
static size_t got_len;
static unsigned answer_status = 201;
static const char *answer_json = "{\"stored\":1,\"duplicates\":0,\"rejected\":0,\"reason\":null}";

static unsigned cb_ingest(void *arg, const char *body, size_t len, char *json, size_t jsonsz)
{
	unsigned st;

	tap_ok(arg == &mu, "callback gets its arg");
	pthread_mutex_lock(&mu);
	calls++;
	free(got);
	got = xmemdup0(body, len);
	got_len = len;
	st = answer_status;
	snprintf(json, jsonsz, "%s", answer_json);
	pthread_mutex_unlock(&mu);
	return st;
}

static int ncalls(void)
{
	int n;

	pthread_mutex_lock(&mu);
	n = calls;
	pthread_mutex_unlock(&mu);
	return n;
}

static void answer(unsigned status, const char *json)
{
	pthread_mutex_lock(&mu);
	answer_status = status;
	answer_json = json;
	pthread_mutex_unlock(&mu);
}

/* Read until EOF, a reset or 5 s of silence. */
static void read_resp(int fd, struct resp *r)
{
	struct buf b;
	char chunk[16384], *raw, *sep;
	size_t n;

	memset(r, 0, sizeof *r);
	common_buf_init(&b, (size_t)16 << 20);
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t got_n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		got_n = recv(fd, chunk, sizeof chunk, 0);
		if (got_n <= 0 || common_buf_append(&b, chunk, (size_t)got_n) != ERR_OK)
			break;
	}
	raw = common_buf_steal(&b, &n);
	/* Skip interim 1xx answers (100 Continue, RFC 9110 15.2.1). */
	while (n >= 12 && memcmp(raw, "HTTP/1.1 1", 10) == 0 &&
	       (sep = memmem(raw, n, "\r\n\r\n", 4)) != NULL) {
		size_t skip = (size_t)(sep + 4 - raw);

		memmove(raw, raw + skip, n - skip);
		n -= skip;
		r->interim++;
	}
	sep = memmem(raw, n, "\r\n\r\n", 4);
	if (sep != NULL && n >= 12 && memcmp(raw, "HTTP/1.", 7) == 0) {
		r->status = (raw[9] - '0') * 100 + (raw[10] - '0') * 10 + (raw[11] - '0');
		r->head = xmemdup0(raw, (size_t)(sep - raw) + 2);
		r->body_len = n - (size_t)(sep + 4 - raw);
		r->body = xmemdup0(sep + 4, r->body_len);
	}
	free(raw);
}

/* One request: head (request line and headers, without the empty line), then body bytes. */
static void request(unsigned port, const char *head, const char *body, size_t body_len,
		    struct resp *r)
{
	int fd = fixture_net_connect(port);
	char *h;

	memset(r, 0, sizeof *r);
	if (fd < 0)
		return;
	h = xasprintf("%sHost: 127.0.0.1\r\nConnection: close\r\n\r\n", head);
	if (fixture_net_send_all(fd, h, strlen(h)) && body != NULL && body_len > 0)
		(void)fixture_net_send_all(fd, body, body_len);
	shutdown(fd, SHUT_WR);
	read_resp(fd, r);
	free(h);
	close(fd);
}

/* POST /api/v1/reports with a Content-Length body and extra headers. */
static void post(unsigned port, const char *extra, const char *body, size_t len, struct resp *r)
{
	char *head = xasprintf("POST /api/v1/reports HTTP/1.1\r\n%sContent-Length: %zu\r\n",
			       extra ? extra : "", len);

	request(port, head, body, len, r);
	free(head);
}

/* The body in chunked coding (RFC 9112 7.1), in pieces of piece bytes. */
static char *chunked(const char *body, size_t len, size_t piece, size_t *out_len)
{
	struct buf b;

	common_buf_init(&b, len * 2 + 1024);
	for (size_t off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;

		if (common_buf_printf(&b, "%zx\r\n", n) != ERR_OK ||
		    common_buf_append(&b, body + off, n) != ERR_OK ||
		    common_buf_puts(&b, "\r\n") != ERR_OK)
			break;
	}
	if (common_buf_puts(&b, "0\r\n\r\n") != ERR_OK)
		tap_diag("chunked: buffer too small");
	return common_buf_steal(&b, out_len);
}

static void post_chunked(unsigned port, const char *body, size_t len, struct resp *r)
{
	size_t n = 0;
	char *c = chunked(body, len, 4000, &n);

	request(port, "POST /api/v1/reports HTTP/1.1\r\n" AUTH "Transfer-Encoding: chunked\r\n", c,
		n, r);
	free(c);
}

static void resp_free(struct resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof *r);
}

static bool head_has(const struct resp *r, const char *needle)
{
	return r->head != NULL && strcasestr(r->head, needle) != NULL;
}

static bool body_is(const struct resp *r, const char *want)
{
	return r->body != NULL && r->body_len == strlen(want) &&
	       memcmp(r->body, want, r->body_len) == 0;
}

static bool body_has(const struct resp *r, const char *needle)
{
	return r->body != NULL && memmem(r->body, r->body_len, needle, strlen(needle)) != NULL;
}

/* len bytes of a hostile "report": every byte value, NUL and invalid UTF-8 included. */
static char *hostile_body(size_t len)
{
	char *b = xmalloc(len);

	for (size_t i = 0; i < len; i++)
		b[i] = (char)((i * 7 + i / 251) & 0xff);
	return b;
}

static bool got_exactly(const char *want, size_t len)
{
	bool same;

	pthread_mutex_lock(&mu);
	same = got != NULL && got_len == len && memcmp(got, want, len) == 0;
	pthread_mutex_unlock(&mu);
	return same;
}

static void auth(unsigned port)
{
	struct resp r;
	int before = ncalls();

	post(port, NULL, "<feedback/>", 11, &r);
	tap_is_int(r.status, 401, "no token -> 401");
	tap_ok(head_has(&r, "WWW-Authenticate: Bearer realm=\"mailpulse\"\r\n"),
	       "401 carries the Bearer challenge");
	tap_ok(head_has(&r, "Content-Type: application/json"), "401 answered as JSON");
	resp_free(&r);
	post(port, "Authorization: Bearer wrong\r\n", "<feedback/>", 11, &r);
	tap_is_int(r.status, 401, "wrong token -> 401");
	tap_ok(head_has(&r, "error=\"invalid_token\""),
	       "wrong token: invalid_token (RFC 6750 3.1)");
	resp_free(&r);
	post(port, "Authorization: Basic " TOKEN "\r\n", "<feedback/>", 11, &r);
	tap_is_int(r.status, 401, "other scheme -> 401");
	resp_free(&r);
	tap_is_int(ncalls(), before, "callback not called without the token");
}

static void limits(unsigned port)
{
	struct resp r;
	char *big = hostile_body(CAP * 3);
	int before = ncalls();
	char *head;

	/* Declared too large: answered before the body is sent. */
	head =
	    xasprintf("POST /api/v1/reports HTTP/1.1\r\n" AUTH "Content-Length: %zu\r\n", CAP + 1);
	request(port, head, NULL, 0, &r);
	tap_is_int(r.status, 413, "Content-Length over max_report_body -> 413 before the body");
	tap_ok(head_has(&r, "Content-Type: application/json"), "413 as JSON");
	resp_free(&r);
	free(head);
	post(port, AUTH, big, CAP + 1, &r);
	tap_is_int(r.status, 413, "Content-Length one over the cap, body sent -> 413");
	resp_free(&r);
	/* Chunked: the cap is counted while reading. */
	post_chunked(port, big, CAP + 5000, &r);
	tap_is_int(r.status, 413, "chunked body over the cap -> 413");
	tap_ok(body_has(&r, "max_report_body"), "413 says which limit");
	resp_free(&r);
	post_chunked(port, big, CAP * 3, &r);
	tap_ok(r.status == 413 || r.status == 0,
	       "chunked body past twice the cap -> 413 or closed (got %d)", r.status);
	resp_free(&r);
	tap_is_int(ncalls(), before, "callback never called for an oversized body");
	/* Exactly the cap is fine. */
	post(port, AUTH, big, CAP, &r);
	tap_is_int(r.status, 201, "body of exactly max_report_body accepted");
	tap_ok(got_exactly(big, CAP), "... and handed over whole");
	resp_free(&r);
	/* The other POSTs keep their small max_body. */
	head =
	    xasprintf("POST /-/reload HTTP/1.1\r\n" AUTH "Content-Length: %zu\r\n", (size_t)5000);
	request(port, head, NULL, 0, &r);
	tap_is_int(r.status, 413, "reload keeps max_body (not max_report_body)");
	resp_free(&r);
	free(head);
	free(big);
}

static void uploads(unsigned port)
{
	struct resp r;
	size_t len = CAP - 123;
	char *body = hostile_body(len);
	int before = ncalls();

	post(port, AUTH, body, len, &r);
	tap_is_int(r.status, 201, "good upload -> the callback's 201");
	tap_ok(body_is(&r, answer_json), "answer body is the callback's JSON");
	tap_ok(head_has(&r, "Content-Type: application/json") &&
		   head_has(&r, "Cache-Control: no-store") &&
		   head_has(&r, "X-Content-Type-Options: nosniff"),
	       "JSON with the usual headers");
	tap_is_int(ncalls(), before + 1, "callback called once");
	tap_ok(got_exactly(body, len), "callback got exactly the bytes (NUL, 0xff, many pieces)");
	resp_free(&r);
	post(port, AUTH "Expect: 100-continue\r\n", body, 5000, &r);
	tap_ok(r.status == 201 && r.interim == 1, "Expect: 100-continue: 100, then 201 (%d, %d)",
	       r.interim, r.status);
	tap_ok(got_exactly(body, 5000), "... with the body");
	resp_free(&r);
	post(port, AUTH "Expect: 100-continue\r\n", NULL, CAP + 1, &r);
	tap_ok(r.status == 413 && r.interim == 0, "Expect: 100-continue too large: 413, no 100");
	resp_free(&r);
	post_chunked(port, body, 9999, &r);
	tap_is_int(r.status, 201, "chunked upload accepted");
	tap_ok(got_exactly(body, 9999), "chunked: callback got exactly the decoded bytes");
	resp_free(&r);
	post(port, AUTH "authorization: bearer " TOKEN "\r\n", "x", 1, &r);
	tap_ok(r.status == 201 || r.status == 401, "duplicate Authorization header: handled (%d)",
	       r.status);
	resp_free(&r);
	answer(422, "{\"stored\":0,\"duplicates\":0,\"rejected\":1,\"reason\":\"not a report\"}");
	post(port, AUTH, "hello", 5, &r);
	tap_is_int(r.status, 422, "callback's 422 passed through");
	tap_ok(body_has(&r, "\"reason\":\"not a report\""), "with its JSON");
	tap_ok(got_exactly("hello", 5), "the 5 bytes");
	resp_free(&r);
	answer(200, "{\"stored\":0,\"duplicates\":1,\"rejected\":0,\"reason\":null}");
	post(port, AUTH, "again", 5, &r);
	tap_is_int(r.status, 200, "callback's 200 (duplicate) passed through");
	resp_free(&r);
	answer(503, "");
	post(port, AUTH, "down", 4, &r);
	tap_is_int(r.status, 503, "callback's 503 passed through");
	tap_ok(body_has(&r, "\"status\":503"), "empty callback JSON: a JSON error instead");
	resp_free(&r);
	answer(42, "{}");
	post(port, AUTH, "odd", 3, &r);
	tap_is_int(r.status, 500, "a status outside 200..599 from the callback -> 500");
	resp_free(&r);
	answer(201, "{\"stored\":1,\"duplicates\":0,\"rejected\":0,\"reason\":null}");
	before = ncalls();
	post(port, AUTH, NULL, 0, &r);
	tap_is_int(r.status, 400, "empty body -> 400");
	tap_is_int(ncalls(), before, "callback not called for an empty body");
	resp_free(&r);
	free(body);
}

static void routes(unsigned port)
{
	struct resp r;

	request(port, "GET /api/v1/reports HTTP/1.1\r\n", NULL, 0, &r);
	tap_ok(r.status == 405 && head_has(&r, "Allow: POST\r\n"),
	       "GET /api/v1/reports -> 405 Allow: POST");
	resp_free(&r);
	request(port, "PUT /api/v1/reports HTTP/1.1\r\n" AUTH "Content-Length: 3\r\n", "abc", 3,
		&r);
	tap_is_int(r.status, 405, "PUT /api/v1/reports -> 405");
	resp_free(&r);
	request(port, "GET /api/v1/domains/Shop.Example/reports HTTP/1.1\r\n", NULL, 0, &r);
	tap_is_int(r.status, 200, "GET /api/v1/domains/NAME/reports -> 200");
	tap_ok(head_has(&r, "Content-Type: application/json"), "as JSON");
	tap_ok(body_has(&r, "\"domain\":\"shop.example\"") && body_has(&r, "\"headline\":\"97.2%"),
	       "the reports document");
	resp_free(&r);
	request(port, "GET /api/v1/domains/example.com/reports?pretty=1 HTTP/1.1\r\n", NULL, 0, &r);
	tap_ok(r.status == 200 && body_has(&r, "\"reports\": null"),
	       "?pretty=1, a domain without reports: null");
	resp_free(&r);
	request(port, "GET /api/v1/domains/nope.example/reports HTTP/1.1\r\n", NULL, 0, &r);
	tap_ok(r.status == 404 && head_has(&r, "Content-Type: application/json") &&
		   body_has(&r, "does not monitor nope.example"),
	       "unknown domain -> 404 JSON");
	resp_free(&r);
	request(port, "HEAD /api/v1/domains/shop.example/reports HTTP/1.1\r\n", NULL, 0, &r);
	tap_ok(r.status == 200 && r.body_len == 0, "HEAD -> 200 without a body");
	resp_free(&r);
	request(port,
		"POST /api/v1/domains/shop.example/reports HTTP/1.1\r\n" AUTH
		"Content-Length: 0\r\n",
		NULL, 0, &r);
	tap_is_int(r.status, 405, "POST to the GET endpoint -> 405");
	resp_free(&r);
	request(port, "GET /domain/shop.example HTTP/1.1\r\n", NULL, 0, &r);
	tap_ok(r.status == 200 && body_has(&r, "<h2 id=\"reports\">Reports</h2>") &&
		   body_has(&r, "rep-headline"),
	       "the domain page has the Reports section");
	resp_free(&r);
	request(port, "GET /metrics HTTP/1.1\r\n", NULL, 0, &r);
	tap_ok(
	    r.status == 200 &&
		body_has(&r,
			 "mailpulse_dmarc_messages_total{domain=\"shop.example\",result=\"pass\"} "
			 "120000"),
	    "/metrics has the report families");
	resp_free(&r);
}

/* Servers without a token, or without the callback. */
static void disabled(void)
{
	struct web_http_opts o;
	struct web_http *h = NULL;
	struct resp r;
	int before = ncalls();

	web_http_opts_init(&o);
	tap_ok(o.max_report_body == (size_t)16 << 20, "default max_report_body 16 MiB");
	o.port = 0;
	o.token = "";
	o.cb.ingest_report = cb_ingest;
	o.cb.arg = &mu;
	if (tap_is_int(web_http_start(&o, &h), ERR_OK, "server without token starts")) {
		post(web_http_port(h), "Authorization: Bearer x\r\n", "abc", 3, &r);
		tap_is_int(r.status, 403, "no token configured -> 403");
		resp_free(&r);
		web_http_stop(h);
	}
	h = NULL;
	o.token = TOKEN;
	o.cb.ingest_report = NULL;
	if (tap_is_int(web_http_start(&o, &h), ERR_OK, "server without ingest callback starts")) {
		post(web_http_port(h), AUTH, "abc", 3, &r);
		tap_is_int(r.status, 503, "no callback -> 503");
		tap_ok(head_has(&r, "Content-Type: application/json"), "503 as JSON");
		resp_free(&r);
		web_http_stop(h);
	}
	tap_is_int(ncalls(), before, "disabled servers never call back");
	h = NULL;
	o.max_report_body = 0;
	o.cb.ingest_report = cb_ingest;
	if (tap_is_int(web_http_start(&o, &h), ERR_OK, "max_report_body 0: the default")) {
		char *head =
		    xasprintf("POST /api/v1/reports HTTP/1.1\r\n" AUTH "Content-Length: %zu\r\n",
			      WEB_HTTP_MAX_REPORT_BODY + 1);

		request(web_http_port(h), head, NULL, 0, &r);
		tap_is_int(r.status, 413, "... which is 16 MiB: one byte more is 413");
		resp_free(&r);
		post(web_http_port(h), AUTH, "abc", 3, &r);
		tap_is_int(r.status, 201, "... and a small report goes through");
		resp_free(&r);
		free(head);
		web_http_stop(h);
	}
}

int main(void)
{
	struct web_http_opts o;
	struct web_http *h = NULL;
	unsigned port;

	web_http_opts_init(&o);
	o.port = 0;
	o.token = TOKEN;
	o.cb.ingest_report = cb_ingest;
	o.cb.arg = &mu;
	o.max_report_body = CAP;
	o.threads = 2;
	if (!tap_is_int(web_http_start(&o, &h), ERR_OK, "server starts on a free port"))
		return tap_done();
	port = web_http_port(h);
	web_http_publish(h, fixture_report_snapshot(NOW));
	auth(port);
	limits(port);
	uploads(port);
	routes(port);
	web_http_stop(h);
	disabled();
	free(got);
	return tap_done();
}
