/*
 * common/fetch: libcurl multi wrapper (see fetch.h for the why).
 *
 * RFC 9110 (HTTP semantics: 10.2.3 Retry-After), RFC 8461 3.3 (no
 * redirects for MTA-STS), Standard Webhooks (headers come from the caller).
 *
 * CURLOPT_ERRORBUFFER is deliberately not used for HTTP: curl writes host
 * names and addresses there ("Could not resolve host: hooks.slack.com",
 * "Failed to connect to 127.0.0.1 port 1") and nothing promises it never
 * writes more of the URL.  Error texts are built from the caller's label and
 * curl_easy_strerror(), which is fixed text per error code.  IMAP sessions
 * (at the end of this file) do use it, since their URL holds no secret and
 * "Select failed" is the only way to tell a missing folder from a refused
 * login; the password is scrubbed from it.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/fetch.h"
#include "common/str.h"
#include "common/tls.h"
#include "common/xmalloc.h"
#include "config.h"

struct req {
	CURL *easy;
	struct buf body;
	struct curl_slist *connect_to;
	struct curl_slist *resolve;
	struct curl_slist *headers;
	char *post;  /* the request body (owned copy), NULL for GET */
	char *label; /* what errors call the target */
	common_fetch_done_fn done;
	void *arg;
	char error[320];
	bool too_big;
	struct req *next;
};

struct common_fetch {
	CURLM *multi;
	struct common_fetch_opts o;
	char *ca_file;
	char *ua;
	struct req *reqs;
};

struct common_fetch *common_fetch_new(const struct common_fetch_opts *opts)
{
	struct common_fetch *f = xcalloc(1, sizeof *f);

	/* curl_global_init is idempotent after the first call; main() calls it early. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	f->multi = curl_multi_init();
	if (f->multi == NULL)
		fatal("curl_multi_init failed");
	f->o = *opts;
	f->ca_file = opts->ca_file ? xstrdup(opts->ca_file) : NULL;
	f->ua = xstrdup(opts->user_agent ? opts->user_agent : "mailpulse/" PACKAGE_VERSION);
	f->o.ca_file = f->ca_file;
	f->o.user_agent = f->ua;
	if (f->o.timeout_ms == 0)
		f->o.timeout_ms = 10000;
	if (f->o.connect_ms == 0)
		f->o.connect_ms = 5000;
	if (f->o.max_body == 0)
		f->o.max_body = 64 * 1024;
	return f;
}

static void req_free(struct common_fetch *f, struct req *r)
{
	curl_multi_remove_handle(f->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->connect_to);
	curl_slist_free_all(r->resolve);
	curl_slist_free_all(r->headers);
	common_buf_free(&r->body);
	free(r->post);
	free(r->label);
	free(r);
}

void common_fetch_free(struct common_fetch *f)
{
	if (f == NULL)
		return;
	while (f->reqs) {
		struct req *r = f->reqs;

		f->reqs = r->next;
		req_free(f, r);
	}
	curl_multi_cleanup(f->multi);
	free(f->ca_file);
	free(f->ua);
	free(f);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;

	if (common_buf_append(&r->body, p, size * n) != ERR_OK) {
		r->too_big = true;
		return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
	}
	return size * n;
}

/* Scheme, host and port of a URL; ERR_INVAL if it does not parse or lacks one. */
static enum mp_err url_parts(const char *url, char *scheme, size_t schemesz, char *host,
			     size_t hostsz, long *port)
{
	CURLU *u = curl_url();
	char *sc = NULL, *h = NULL, *p = NULL;
	enum mp_err e = ERR_INVAL;

	if (u == NULL)
		fatal("curl_url failed");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &sc, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if (common_str_copy(scheme, schemesz, sc) != ERR_OK ||
	    common_str_copy(host, hostsz, h) != ERR_OK)
		goto out;
	*port = strtol(p, NULL, 10);
	e = ERR_OK;
out:
	curl_free(sc);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return e;
}

enum mp_err common_fetch_url_host(const char *url, char *host, size_t hostsz, unsigned *port)
{
	char scheme[16], h[512];
	const char *p = h;
	size_t n;
	long pt = 0;

	if (url == NULL || url_parts(url, scheme, sizeof scheme, h, sizeof h, &pt) != ERR_OK ||
	    pt <= 0 || pt > 65535 || h[0] == '\0')
		return ERR_INVAL;
	n = strlen(h);
	if (h[0] == '[' && n > 2 && h[n - 1] == ']') {
		p = h + 1; /* RFC 3986 3.2.2: the brackets are not part of the address */
		n -= 2;
	}
	if (n >= hostsz)
		return ERR_INVAL;
	memcpy(host, p, n);
	host[n] = '\0';
	*port = (unsigned)pt;
	return ERR_OK;
}

static void set_opts(struct common_fetch *f, struct req *r, const char *url, bool allow_http)
{
	CURL *c = r->easy;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, allow_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)f->o.connect_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, f->o.user_agent);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_PRIVATE, r);
	if (f->o.ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, f->o.ca_file);
}

/*
 * True when a is an IPv4 or IPv6 literal (IPv6 with or without brackets);
 * then, when out is not NULL, out gets it as CURLOPT_RESOLVE wants it (IPv6
 * in brackets).  Nothing else may reach the resolve string: a ',' or ':'
 * would change its meaning.
 */
static bool ip_literal(const char *a, char *out, size_t outsz)
{
	unsigned char bin[16];
	char v6[INET6_ADDRSTRLEN + 2];
	size_t n = a ? strlen(a) : 0;
	bool br = n > 2 && a[0] == '[' && a[n - 1] == ']';
	int k;

	if (n == 0 || n > INET6_ADDRSTRLEN + 1)
		return false;
	if (!br && inet_pton(AF_INET, a, bin) == 1) {
		k = out ? snprintf(out, outsz, "%s", a) : 0;
		return k >= 0 && (size_t)k < (out ? outsz : 1);
	}
	memcpy(v6, a + br, n - 2 * br);
	v6[n - 2 * br] = '\0';
	if (inet_pton(AF_INET6, v6, bin) != 1)
		return false;
	k = out ? snprintf(out, outsz, "[%s]", v6) : 0;
	return k >= 0 && (size_t)k < (out ? outsz : 1);
}

/* Check what the caller asked for before anything is allocated. */
static enum mp_err check_req(const struct common_fetch_req *rq, bool *post)
{
	const char *m = rq->method ? rq->method : "GET";

	*post = strcmp(m, "POST") == 0;
	if (rq->url == NULL || (!*post && strcmp(m, "GET") != 0))
		return ERR_INVAL;
	if (rq->n_headers > COMMON_FETCH_MAX_HEADERS || rq->body_len > COMMON_FETCH_MAX_REQ_BODY ||
	    (rq->n_headers > 0 && rq->headers == NULL) || (rq->body_len > 0 && rq->body == NULL))
		return ERR_INVAL;
	if (rq->n_addrs + (rq->addr != NULL) > COMMON_FETCH_MAX_ADDRS ||
	    (rq->n_addrs > 0 && rq->addrs == NULL))
		return ERR_INVAL;
	if (rq->addr != NULL && !ip_literal(rq->addr, NULL, 0))
		return ERR_INVAL;
	for (size_t i = 0; i < rq->n_addrs; i++)
		if (!ip_literal(rq->addrs[i], NULL, 0))
			return ERR_INVAL;
	for (size_t i = 0; i < rq->n_headers; i++) {
		const char *h = rq->headers[i];

		/* No header injection: one line each, "Name: value". */
		if (h == NULL || strpbrk(h, "\r\n") != NULL || strchr(h, ':') == NULL ||
		    h[0] == ':')
			return ERR_INVAL;
	}
	return ERR_OK;
}

static void set_body(struct req *r, const struct common_fetch_req *rq)
{
	r->post = xmemdup0(rq->body ? rq->body : "", rq->body_len);
	curl_easy_setopt(r->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->post);
	/* No "Expect: 100-continue" round trip (curl waits up to 1 s for it). */
	r->headers = curl_slist_append(r->headers, "Expect:");
}

static void set_headers(struct req *r, const struct common_fetch_req *rq)
{
	for (size_t i = 0; i < rq->n_headers; i++) {
		struct curl_slist *n = curl_slist_append(r->headers, rq->headers[i]);

		if (n == NULL)
			fatal("curl_slist_append failed");
		r->headers = n;
	}
	if (r->headers != NULL)
		curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
}

/*
 * Pin the URL's host to the caller's addresses with CURLOPT_RESOLVE
 * ("host:port:addr,addr,..."): curl takes them as its DNS answer, tries
 * them in order (happy eyeballs across families), and keeps the URL's host
 * for SNI and the certificate check.  port_override (tests) adds a
 * connect-to rule that keeps the host and changes the port, so the pin is
 * for that port.
 */
static void set_pin(struct common_fetch *f, struct req *r, const char *host, long port,
		    const struct common_fetch_req *rq)
{
	long to = f->o.port_override ? (long)f->o.port_override : port;
	struct buf b;
	char a[INET6_ADDRSTRLEN + 3];
	size_t n = 0;

	if (f->o.port_override) {
		char *rule = xasprintf("%s:%ld::%ld", host, port, to);

		r->connect_to = curl_slist_append(NULL, rule);
		free(rule);
		curl_easy_setopt(r->easy, CURLOPT_CONNECT_TO, r->connect_to);
	}
	if ((rq->addr == NULL && rq->n_addrs == 0) || host[0] == '[')
		return; /* an IPv6 literal host needs no DNS */
	common_buf_init(&b, 4096);
	if (common_buf_printf(&b, "%s:%ld:", host, to) != ERR_OK)
		fatal("fetch: resolve rule too long");
	for (size_t i = 0; i <= rq->n_addrs; i++) {
		const char *x = i == 0 ? rq->addr : rq->addrs[i - 1];

		if (x == NULL || !ip_literal(x, a, sizeof a))
			continue; /* checked in check_req: only a NULL addr */
		if (common_buf_printf(&b, "%s%s", n++ ? "," : "", a) != ERR_OK)
			fatal("fetch: resolve rule too long");
	}
	r->resolve = curl_slist_append(NULL, common_buf_str(&b));
	common_buf_free(&b);
	if (r->resolve == NULL)
		fatal("curl_slist_append failed");
	curl_easy_setopt(r->easy, CURLOPT_RESOLVE, r->resolve);
}

enum mp_err common_fetch_start(struct common_fetch *f, const struct common_fetch_req *rq,
			       common_fetch_done_fn done, void *arg)
{
	struct req *r;
	char scheme[16], host[512];
	long port = 0;
	bool post = false;

	if (check_req(rq, &post) != ERR_OK ||
	    url_parts(rq->url, scheme, sizeof scheme, host, sizeof host, &port) != ERR_OK)
		return ERR_INVAL;
	if (strcmp(scheme, "https") != 0 && !(rq->allow_http && strcmp(scheme, "http") == 0))
		return ERR_UNSUPPORTED;
	r = xcalloc(1, sizeof *r);
	r->easy = curl_easy_init();
	if (r->easy == NULL)
		fatal("curl_easy_init failed");
	common_buf_init(&r->body, f->o.max_body);
	r->done = done;
	r->arg = arg;
	r->label = rq->label ? xstrdup(rq->label) : xasprintf("host %s", host);
	set_opts(f, r, rq->url, rq->allow_http);
	if (post)
		set_body(r, rq);
	set_headers(r, rq);
	set_pin(f, r, host, port, rq);
	if (curl_multi_add_handle(f->multi, r->easy) != CURLM_OK) {
		req_free(f, r);
		return ERR_NET;
	}
	r->next = f->reqs;
	f->reqs = r;
	return ERR_OK;
}

enum mp_err common_fetch_get(struct common_fetch *f, const char *url, const char *addr,
			     common_fetch_done_fn done, void *arg)
{
	struct common_fetch_req rq = {.url = url, .addr = addr};

	return common_fetch_start(f, &rq, done, arg);
}

static void unlink_req(struct common_fetch *f, struct req *r)
{
	for (struct req **pp = &f->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

/* The error text: the label and curl's fixed words for the class, never the URL. */
static enum mp_err classify(struct common_fetch *f, struct req *r, CURLcode rc)
{
	long verify = 0;

	if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(r->error, sizeof r->error, "%s: response body larger than %zu bytes",
			 r->label, f->o.max_body);
		return ERR_LIMIT;
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION &&
	    curl_easy_getinfo(r->easy, CURLINFO_SSL_VERIFYRESULT, &verify) == CURLE_OK &&
	    verify != 0) {
		/*
		 * curl checks the host name itself before it reads the chain's
		 * result, and leaves its "not verified" sentinel 1 when that fails.
		 */
		snprintf(r->error, sizeof r->error, "%s: certificate rejected: %s", r->label,
			 verify == 1 ? "not valid for this host name"
				     : common_tls_verify_str(verify));
		return ERR_TLS;
	}
	snprintf(r->error, sizeof r->error, "%s: %s", r->label, curl_easy_strerror(rc));
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return ERR_TIMEOUT;
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
	    rc == CURLE_SSL_CACERT_BADFILE)
		return ERR_TLS;
	return ERR_NET;
}

static void finish(struct common_fetch *f, struct req *r, CURLcode rc)
{
	struct common_fetch_result res = {0};
	curl_off_t ra = 0;
	char *ct = NULL;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
	curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
	res.content_type = ct ? ct : "";
	res.retry_after = -1;
	if (curl_easy_getinfo(r->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		res.retry_after = (long)ra;
	res.body = common_buf_str(&r->body);
	res.body_len = r->body.len;
	res.err = rc == CURLE_OK ? ERR_OK : classify(f, r, rc);
	res.error = rc == CURLE_OK ? "" : r->error;
	unlink_req(f, r);
	r->done(r->arg, &res);
	req_free(f, r);
}

int common_fetch_run(struct common_fetch *f, int max_wait_ms)
{
	int running = 0, left = 0;
	CURLMsg *m;

	if (f->reqs == NULL)
		return 0;
	curl_multi_perform(f->multi, &running);
	if (running > 0 && max_wait_ms > 0) {
		curl_multi_poll(f->multi, NULL, 0, max_wait_ms, NULL);
		curl_multi_perform(f->multi, &running);
	}
	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct req *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		finish(f, r, m->data.result);
	}
	return running;
}

/*
 * IMAP sessions (see fetch.h).  RFC 9051 / RFC 3501 for the commands,
 * RFC 5092 for the URL (the mailbox is percent-encoded in the path; ";UID="
 * names one message), RFC 2595 3.1 / RFC 9051 6.2.1 for STARTTLS.
 * Behaviour of Debian's libcurl 7.88.1 verified against Dovecot 2.3:
 *   - a custom request on a URL with a mailbox SELECTs it first (once per
 *     connection), one without a mailbox runs unselected; for a request
 *     whose first word is UID every untagged response reaches the body;
 *   - ";UID=N" sends UID FETCH N BODY[] and writes exactly the literal;
 *     a UID that is not there is CURLE_REMOTE_FILE_NOT_FOUND;
 *   - a refused login and a refused SELECT are both CURLE_LOGIN_DENIED,
 *     told apart by the error buffer ("Select failed");
 *   - NO or BAD to a custom request is CURLE_QUOTE_ERROR.
 */
struct common_fetch_imap {
	CURL *easy;
	struct curl_slist *resolve;
	char *base;  /* "imaps://host:port/" */
	char *label; /* "IMAP server host:port", for errors */
	char *user;
	char *ca_file;
	const char *password; /* borrowed */
	struct buf out;
	bool too_big;
	bool login_failed;
	char errbuf[CURL_ERROR_SIZE];
	char error[512];
};

/* A host name as a URL may carry it: letters, digits, '-', '.', '_'. */
static bool imap_host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

static size_t imap_on_data(char *p, size_t size, size_t n, void *arg)
{
	struct common_fetch_imap *s = arg;

	if (common_buf_append(&s->out, p, size * n) != ERR_OK) {
		s->too_big = true;
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	return size * n;
}

/* The URL host (an IPv6 literal in brackets) and, for a name, the pin. */
static enum mp_err imap_url_host(const struct common_fetch_imap_opts *o, unsigned port,
				 char **urlhost, struct curl_slist **resolve)
{
	char a[INET6_ADDRSTRLEN + 3];
	bool literal = ip_literal(o->host, a, sizeof a);

	if (!literal && !imap_host_ok(o->host))
		return ERR_INVAL;
	if (o->addr != NULL && !ip_literal(o->addr, NULL, 0))
		return ERR_INVAL;
	*urlhost = xstrdup(literal ? a : o->host);
	*resolve = NULL;
	if (!literal && o->addr != NULL) {
		char *rule;

		if (!ip_literal(o->addr, a, sizeof a))
			return ERR_INVAL;
		rule = xasprintf("%s:%u:%s", o->host, port, a);
		*resolve = curl_slist_append(NULL, rule);
		free(rule);
		if (*resolve == NULL)
			fatal("curl_slist_append failed");
	}
	return ERR_OK;
}

static void imap_set_opts(struct common_fetch_imap *s, const struct common_fetch_imap_opts *o)
{
	CURL *c = s->easy;

	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->no_verify ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->no_verify ? 0L : 2L);
	if (s->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
	curl_easy_setopt(c, CURLOPT_PASSWORD, o->password ? o->password : "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 0L);
	curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(o->connect_ms ? o->connect_ms : 10000));
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, imap_on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	if (s->resolve)
		curl_easy_setopt(c, CURLOPT_RESOLVE, s->resolve);
}

enum mp_err common_fetch_imap_new(const struct common_fetch_imap_opts *o,
				  struct common_fetch_imap **out)
{
	struct common_fetch_imap *s;
	struct curl_slist *resolve = NULL;
	char *urlhost = NULL;
	unsigned port;

	if (o == NULL || o->host == NULL || o->user == NULL || o->port > 65535)
		return ERR_INVAL;
	port = o->port ? o->port : (o->implicit_tls ? 993 : 143);
	if (imap_url_host(o, port, &urlhost, &resolve) != ERR_OK) {
		free(urlhost);
		curl_slist_free_all(resolve);
		return ERR_INVAL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s = xcalloc(1, sizeof *s);
	s->easy = curl_easy_init();
	if (s->easy == NULL)
		fatal("curl_easy_init failed");
	s->resolve = resolve;
	s->base = xasprintf("%s://%s:%u/", o->implicit_tls ? "imaps" : "imap", urlhost, port);
	s->label = xasprintf("IMAP server %s:%u", o->host, port);
	s->user = xstrdup(o->user);
	s->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
	s->password = o->password;
	common_buf_init(&s->out, 64 * 1024);
	free(urlhost);
	imap_set_opts(s, o);
	*out = s;
	return ERR_OK;
}

void common_fetch_imap_free(struct common_fetch_imap *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->easy); /* sends LOGOUT on a live connection */
	curl_slist_free_all(s->resolve);
	common_buf_free(&s->out);
	free(s->base);
	free(s->label);
	free(s->user);
	free(s->ca_file);
	free(s);
}

const char *common_fetch_imap_error(const struct common_fetch_imap *s)
{
	return s->error;
}

bool common_fetch_imap_login_failed(const struct common_fetch_imap *s)
{
	return s->login_failed;
}

/*
 * Append curl's error buffer to s->error without the password (every
 * occurrence becomes "***") and with anything but printable ASCII as '?'.
 */
static void imap_append_detail(struct common_fetch_imap *s)
{
	size_t pl = s->password ? strlen(s->password) : 0;
	size_t n = strnlen(s->errbuf, sizeof s->errbuf);
	size_t have = strlen(s->error);
	struct buf b;

	if (n == 0)
		return;
	common_buf_init(&b, sizeof s->error);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s->errbuf[i];
		enum mp_err e;

		if (pl > 0 && n - i >= pl && memcmp(s->errbuf + i, s->password, pl) == 0) {
			e = common_buf_puts(&b, "***");
			i += pl - 1;
		} else {
			e = common_buf_putc(&b, c >= 0x20 && c < 0x7f ? (char)c : '?');
		}
		if (e != ERR_OK)
			break; /* the rest does not fit anyway */
	}
	snprintf(s->error + have, sizeof s->error - have, ": %s", common_buf_str(&b));
	common_buf_free(&b);
}

static enum mp_err imap_classify(struct common_fetch_imap *s, CURLcode rc, size_t max)
{
	long verify = 0;
	enum mp_err e = ERR_NET;

	if (s->too_big)
		rc = CURLE_FILESIZE_EXCEEDED;
	snprintf(s->error, sizeof s->error, "%s: %s", s->label, curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(s->error, sizeof s->error, "%s: response larger than %zu bytes", s->label,
			 max);
		return ERR_LIMIT;
	case CURLE_OPERATION_TIMEDOUT:
		return ERR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
		if (curl_easy_getinfo(s->easy, CURLINFO_SSL_VERIFYRESULT, &verify) == CURLE_OK &&
		    verify != 0) {
			snprintf(s->error, sizeof s->error, "%s: certificate rejected: %s",
				 s->label,
				 verify == 1 ? "not valid for this host name"
					     : common_tls_verify_str(verify));
			return ERR_TLS;
		}
		e = ERR_TLS;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_USE_SSL_FAILED:
		e = ERR_TLS;
		break;
	case CURLE_REMOTE_FILE_NOT_FOUND:
		e = ERR_NOTFOUND;
		break;
	case CURLE_LOGIN_DENIED:
		if (strncmp(s->errbuf, "Select failed", 13) == 0) {
			snprintf(s->error, sizeof s->error,
				 "%s: the folder could not be selected (no such folder?)",
				 s->label);
			return ERR_NOTFOUND;
		} else {
			s->login_failed = true;
			snprintf(s->error, sizeof s->error, "%s: login refused for this user",
				 s->label);
		}
		break;
	default:
		break;
	}
	imap_append_detail(s);
	return e;
}

enum mp_err common_fetch_imap_run(struct common_fetch_imap *s,
				  const struct common_fetch_imap_cmd *c, char **data, size_t *len)
{
	struct buf url;
	char *folder = NULL;
	size_t max = c->max ? c->max : 64 * 1024;
	CURLcode rc;
	enum mp_err e = ERR_INVAL;

	s->error[0] = '\0';
	s->errbuf[0] = '\0';
	s->too_big = false;
	s->login_failed = false;
	common_buf_init(&url, 8192);
	if ((c->request != NULL && (strpbrk(c->request, "\r\n") || c->request[0] == '\0')) ||
	    (c->folder != NULL && (strpbrk(c->folder, "\r\n") || c->folder[0] == '\0')) ||
	    (c->request == NULL && (c->folder == NULL || c->uid == 0))) {
		snprintf(s->error, sizeof s->error, "%s: invalid IMAP command", s->label);
		goto out;
	}
	if (c->folder != NULL) {
		folder = curl_easy_escape(s->easy, c->folder, 0);
		if (folder == NULL)
			fatal("curl_easy_escape failed");
	}
	if (common_buf_printf(&url, "%s%s", s->base, folder ? folder : "") != ERR_OK ||
	    (c->request == NULL && common_buf_printf(&url, ";UID=%lu", c->uid) != ERR_OK)) {
		snprintf(s->error, sizeof s->error, "%s: folder name too long", s->label);
		goto out;
	}
	common_buf_free(&s->out);
	common_buf_init(&s->out, max);
	curl_easy_setopt(s->easy, CURLOPT_URL, common_buf_str(&url));
	curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, c->request);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS,
			 (long)(c->timeout_ms ? c->timeout_ms : 30000));
	rc = curl_easy_perform(s->easy);
	if (rc != CURLE_OK) {
		e = imap_classify(s, rc, max);
		goto out;
	}
	*data = common_buf_steal(&s->out, len);
	e = ERR_OK;
out:
	curl_free(folder);
	common_buf_free(&url);
	return e;
}
