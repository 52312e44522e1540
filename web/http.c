/*
 * web/http: libmicrohttpd server over the current snapshot (see http.h).
 *
 * What needs no libmicrohttpd type (the per-request state, the bearer
 * token, the body caps, the bodies of error answers) is web/http_req.
 *
 * Snapshot sharing is web/current: each request holds a reference on the
 * snapshot it renders, and a response built from a cached page keeps one
 * until libmicrohttpd destroys the response (its free callback drops it).
 *
 * RFCs: 9110 (semantics: 15.5.6 405 + Allow, 15.5.14 413, 15.5.15 414),
 * 6750 (bearer tokens: 2.1 header, 3 WWW-Authenticate), 7235 2.1 (the
 * auth-scheme is case-insensitive).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "common/log.h"
#include "common/xmalloc.h"
#include "web/api.h"
#include "web/badge.h"
#include "web/conneg.h"
#include "web/current.h"
#include "web/html.h"
#include "web/http.h"
#include "web/http_req.h"
#include "web/metrics.h"
#include "web/style.h"
#include "web/url.h"

#define SUB "web"
/* How long web_http_stop() lets running requests finish. */
#define DRAIN_MS 1000

static const char CSP_PAGE[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
			       "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
static const char CSP_DATA[] = "default-src 'none'; frame-ancestors 'none'";

struct web_http {
	struct MHD_Daemon *d;
	unsigned port;
	struct sockaddr_storage bound; /* the address asked for, for opts.takeover */
	struct web_current *cur;
	struct web_http_token token;
	struct web_http_callbacks cb;
	size_t max_body;
	size_t max_report_body;
};

/* MHD_ContentReaderFreeCallback of responses that borrow a cached page. */
static void rendered_release_cb(void *cls)
{
	web_rendered_release(cls);
}

/* ---- responses ------------------------------------------------------ */

static void add(struct MHD_Response *r, const char *name, const char *value)
{
	if (MHD_add_response_header(r, name, value) != MHD_YES)
		log_warn(SUB, "header_failed name=%s", name);
}

/* The headers every response carries (libraries.md 4.2). */
static void security_headers(struct MHD_Response *r, enum web_http_kind k)
{
	add(r, MHD_HTTP_HEADER_CONTENT_TYPE, web_http_req_content_type(k));
	add(r, "X-Content-Type-Options", "nosniff");
	add(r, "Referrer-Policy", "no-referrer");
	add(r, "X-Frame-Options", "DENY");
	add(r, "Content-Security-Policy",
	    (k == WEB_HTTP_HTML || k == WEB_HTTP_SVG) ? CSP_PAGE : CSP_DATA);
	/* Badges are made to be embedded in other sites' pages (READMEs, wikis). */
	add(r, "Cross-Origin-Resource-Policy", k == WEB_HTTP_SVG ? "cross-origin" : "same-origin");
	if (k == WEB_HTTP_CSS)
		add(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=31536000, immutable");
	else if (k == WEB_HTTP_SVG)
		add(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=60");
	else
		add(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
			     enum web_http_kind k)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	security_headers(r, k);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A body the response owns (freed with free()). */
static enum MHD_Result send_owned(struct MHD_Connection *c, unsigned status, enum web_http_kind k,
				  char *data, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer_with_free_callback(len, data, &free);

	if (r == NULL)
		free(data);
	return queue(c, status, r, k);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/*
 * A cached page (web/current): gzip-coded when the client accepts it, 304
 * with no content when If-None-Match names this representation (RFC 9110
 * 13.1.2, 15.4.5: the 304 repeats ETag, Vary and Cache-Control).  The
 * response keeps a reference on the rendering until it is destroyed.
 */
static enum MHD_Result send_rendered(struct MHD_Connection *c, struct web_rendered *rd,
				     enum web_http_kind k)
{
	const char *ae = header(c, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *inm = header(c, MHD_HTTP_HEADER_IF_NONE_MATCH);
	size_t len = 0;
	bool gz = ae != NULL && web_conneg_gzip(ae, strlen(ae)) &&
		  web_rendered_body(rd, true, &len) != NULL;
	const char *data = web_rendered_body(rd, gz, &len), *etag = web_rendered_etag(rd, gz);
	bool same = inm != NULL && web_conneg_etag_match(inm, strlen(inm), etag, strlen(etag));
	struct MHD_Response *r;

	if (same) {
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		web_rendered_retain(rd);
		r = MHD_create_response_from_buffer_with_free_callback_cls(
		    len, (void *)(uintptr_t)data, &rendered_release_cb, rd);
		if (r == NULL)
			web_rendered_release(rd);
	}
	if (r != NULL) {
		add(r, MHD_HTTP_HEADER_ETAG, etag);
		/* RFC 9110 12.5.5: the body depends on Accept-Encoding. */
		add(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
		if (gz && !same)
			add(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	}
	return queue(c, same ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r, k);
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return send_owned(c, status, WEB_HTTP_TEXT, xstrdup(text), strlen(text));
}

/* An error in the flavor of the path: page, JSON, badge or text. */
static enum MHD_Result send_error(struct MHD_Connection *c, const struct web_url *u,
				  unsigned status, const char *title, const char *msg)
{
	char *data = NULL;
	size_t len = 0;
	enum web_http_kind k = web_http_req_error_body(u, status, title, msg, &data, &len);

	return send_owned(c, status, k, data, len);
}

static enum MHD_Result send_405(struct MHD_Connection *c, const struct web_url *u,
				const char *allow)
{
	struct MHD_Response *r;
	char *data = NULL;
	size_t len = 0;
	enum web_http_kind k = web_http_req_405_body(u, allow, &data, &len);

	r = MHD_create_response_from_buffer_with_free_callback(len, data, &free);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	add(r, MHD_HTTP_HEADER_ALLOW, allow);
	return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, r, k);
}

/* ---- GET handlers --------------------------------------------------- */

static const struct web_domain *find_domain(const struct web_held *h, const struct web_url *u)
{
	return u->domain[0] ? web_snapshot_find(web_held_snapshot(h), u->domain, strlen(u->domain))
			    : NULL;
}

static enum MHD_Result not_monitored(struct MHD_Connection *c, const struct web_url *u)
{
	const char *why = u->name_problem;
	char *msg;
	enum MHD_Result r;

	if (u->flavor == WEB_FLAVOR_SVG)
		return send_error(c, u, MHD_HTTP_NOT_FOUND, "unknown domain", "");
	if (why != NULL)
		msg = xasprintf("That is not a domain name (%s).", why);
	else
		msg = xasprintf("mailpulse does not monitor %s.", u->domain);
	r = send_error(c, u, MHD_HTTP_NOT_FOUND, "Unknown domain", msg);
	free(msg);
	return r;
}

static bool want_pretty(const struct web_url *u)
{
	size_t n = 0;
	const char *v = web_url_param(u, "pretty", &n);

	return v != NULL && !(n == 1 && (v[0] == '0'));
}

static enum MHD_Result get_cached(struct MHD_Connection *c, struct web_current *cur,
				  const struct web_url *u, enum web_page which,
				  enum web_http_kind k)
{
	struct web_rendered *rd = web_current_page(cur, which, NULL);
	size_t len = 0;
	enum MHD_Result r;

	if (web_rendered_body(rd, false, &len) == NULL)
		r = send_error(c, u, MHD_HTTP_INTERNAL_SERVER_ERROR, "Too big",
			       "The page is larger than this server renders.");
	else
		r = send_rendered(c, rd, k);
	web_rendered_release(rd);
	return r;
}

static enum MHD_Result get_domain(struct MHD_Connection *c, struct web_held *h,
				  const struct web_url *u)
{
	const struct web_domain *d = find_domain(h, u);
	char *data = NULL;
	size_t len = 0, ln = 0;
	const char *label;

	if (d == NULL)
		return not_monitored(c, u);
	switch (u->route) {
	case WEB_ROUTE_DOMAIN:
		if (web_html_domain(web_held_snapshot(h), d, &data, &len) != ERR_OK)
			break;
		return send_owned(c, MHD_HTTP_OK, WEB_HTTP_HTML, data, len);
	case WEB_ROUTE_API_DOMAIN:
		data = web_api_domain(web_held_snapshot(h), d, want_pretty(u), &len);
		return send_owned(c, MHD_HTTP_OK, WEB_HTTP_JSON, data, len);
	case WEB_ROUTE_API_PROBES:
		data = web_api_probes(web_held_snapshot(h), d, want_pretty(u), &len);
		return send_owned(c, MHD_HTTP_OK, WEB_HTTP_JSON, data, len);
	case WEB_ROUTE_API_REPORTS:
		data = web_api_reports(web_held_snapshot(h), d, want_pretty(u), &len);
		return send_owned(c, MHD_HTTP_OK, WEB_HTTP_JSON, data, len);
	case WEB_ROUTE_BADGE:
		label = web_url_param(u, "label", &ln);
		if (web_badge_domain(d, label, ln, &data, &len) != ERR_OK)
			break;
		return send_owned(c, MHD_HTTP_OK, WEB_HTTP_SVG, data, len);
	default:
		break;
	}
	return send_error(c, u, MHD_HTTP_INTERNAL_SERVER_ERROR, "Too big",
			  "The page is larger than this server renders.");
}

/* ?pretty=1 of the API lists: rendered per request (the compact ones are cached). */
static enum MHD_Result get_pretty(struct MHD_Connection *c, struct web_held *h,
				  const struct web_url *u)
{
	char *data;
	size_t len = 0;

	if (u->route == WEB_ROUTE_API_DOMAINS)
		data = web_api_domains(web_held_snapshot(h), true, &len);
	else
		data = web_api_alerts(web_held_snapshot(h), true, &len);
	return send_owned(c, MHD_HTTP_OK, WEB_HTTP_JSON, data, len);
}

static enum MHD_Result get_style(struct MHD_Connection *c)
{
	size_t len = 0;
	const char *css = web_style_css(&len);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)(uintptr_t)css, MHD_RESPMEM_PERSISTENT);

	return queue(c, MHD_HTTP_OK, r, WEB_HTTP_CSS);
}

static enum MHD_Result handle_get(struct web_http *w, struct MHD_Connection *c,
				  const struct web_url *u)
{
	struct web_held *h;
	enum MHD_Result r;

	if (u->route == WEB_ROUTE_HEALTHY)
		return send_text(c, MHD_HTTP_OK, "healthy\n");
	if (u->route == WEB_ROUTE_STYLE)
		return get_style(c);
	if (u->route == WEB_ROUTE_OVERVIEW)
		return get_cached(c, w->cur, u, WEB_PAGE_OVERVIEW, WEB_HTTP_HTML);
	if (u->route == WEB_ROUTE_METRICS)
		return get_cached(c, w->cur, u, WEB_PAGE_METRICS, WEB_HTTP_METRICS);
	if ((u->route == WEB_ROUTE_API_DOMAINS || u->route == WEB_ROUTE_API_ALERTS) &&
	    !want_pretty(u))
		return get_cached(c, w->cur, u,
				  u->route == WEB_ROUTE_API_DOMAINS ? WEB_PAGE_API_DOMAINS
								    : WEB_PAGE_API_ALERTS,
				  WEB_HTTP_JSON);
	h = web_current_acquire(w->cur);
	switch (u->route) {
	case WEB_ROUTE_API_DOMAINS:
	case WEB_ROUTE_API_ALERTS:
		r = get_pretty(c, h, u);
		break;
	case WEB_ROUTE_DOMAIN:
	case WEB_ROUTE_API_DOMAIN:
	case WEB_ROUTE_API_PROBES:
	case WEB_ROUTE_API_REPORTS:
	case WEB_ROUTE_BADGE:
		r = get_domain(c, h, u);
		break;
	case WEB_ROUTE_READY:
		r = web_held_snapshot(h)->ready
			? send_text(c, MHD_HTTP_OK, "ready\n")
			: send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "not ready: the first round of checks is running\n");
		break;
	default:
		r = send_error(c, u, MHD_HTTP_NOT_FOUND, "Not found",
			       "There is nothing at this address.");
		break;
	}
	web_held_release(h);
	return r;
}

/* ---- POST handlers -------------------------------------------------- */

static enum MHD_Result send_401(struct MHD_Connection *c, bool had_auth)
{
	char *data;
	size_t len = 0;
	struct MHD_Response *r;

	data = web_api_error(401,
			     "This action needs the API token: send "
			     "\"Authorization: Bearer <token>\".",
			     &len);
	r = MHD_create_response_from_buffer_with_free_callback(len, data, &free);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	/* RFC 6750 3: the challenge; 3.1 invalid_token when a token was sent. */
	add(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	    had_auth ? "Bearer realm=\"mailpulse\", error=\"invalid_token\""
		     : "Bearer realm=\"mailpulse\"");
	return queue(c, MHD_HTTP_UNAUTHORIZED, r, WEB_HTTP_JSON);
}

static enum MHD_Result post_check(struct web_http *w, struct MHD_Connection *c,
				  const struct web_url *u)
{
	struct web_held *h = web_current_acquire(w->cur);
	bool known = find_domain(h, u) != NULL;
	enum mp_err e;
	char *data;
	size_t len = 0;

	web_held_release(h);
	if (!known)
		return not_monitored(c, u);
	if (w->cb.check_now == NULL)
		return send_error(c, u, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
				  "Checks on demand are not available.");
	e = w->cb.check_now(w->cb.arg, u->domain);
	if (e == ERR_NOTFOUND)
		return not_monitored(c, u);
	if (e != ERR_OK) {
		log_info(SUB, "check_now_refused domain=%s err=%s", u->domain, common_err_str(e));
		return send_error(c, u, MHD_HTTP_SERVICE_UNAVAILABLE, "Busy",
				  "The check could not be scheduled now; try again in a minute.");
	}
	data = web_api_accepted("check", u->domain, &len);
	return send_owned(c, MHD_HTTP_ACCEPTED, WEB_HTTP_JSON, data, len);
}

/*
 * POST /api/v1/reports (issue 5): the body goes to the daemon's ingest
 * callback, whose status and JSON are the answer.  It may block (parse and
 * store commit) on this server thread, by contract (http.h).
 */
static enum MHD_Result post_report(struct web_http *w, struct MHD_Connection *c,
				   const struct web_http_req *rq)
{
	char json[4096];
	unsigned status;

	/* RFC 9110 15.5.14: the body passed the cap while it was read (chunked). */
	if (rq->upload_big)
		return send_error(
		    c, &rq->url, MHD_HTTP_CONTENT_TOO_LARGE, "Too large",
		    "The report is larger than this server accepts (max_report_body).");
	if (w->cb.ingest_report == NULL)
		return send_error(c, &rq->url, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
				  "Report uploads are not available.");
	if (rq->upload.len == 0)
		return send_error(c, &rq->url, MHD_HTTP_BAD_REQUEST, "Empty",
				  "Send the report (XML, .gz, .zip, TLS-RPT JSON or an e-mail) as "
				  "the request body.");
	json[0] = '\0';
	status = w->cb.ingest_report(w->cb.arg, rq->upload.data, rq->upload.len, json, sizeof json);
	json[sizeof json - 1] = '\0';
	log_info(SUB, "report_uploaded bytes=%zu status=%u", rq->upload.len, status);
	if (status < 200 || status > 599) {
		log_warn(SUB, "ingest_bad_status status=%u", status);
		return send_error(c, &rq->url, MHD_HTTP_INTERNAL_SERVER_ERROR, "Internal error",
				  "The report could not be handled.");
	}
	if (json[0] == '\0')
		return send_error(c, &rq->url, status, "Report", "No details.");
	return send_owned(c, status, WEB_HTTP_JSON, xstrdup(json), strlen(json));
}

static enum MHD_Result handle_post(struct web_http *w, struct MHD_Connection *c,
				   const struct web_http_req *rq)
{
	const struct web_url *u = &rq->url;
	const char *auth =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	char *data;
	size_t len = 0;

	if (!w->token.set)
		return send_error(c, u, MHD_HTTP_FORBIDDEN, "Disabled",
				  "This action is disabled: no API token is configured (set "
				  "token or token_file in the [web] section).");
	if (!web_http_req_token_ok(&w->token, auth))
		return send_401(c, auth != NULL);
	if (u->route == WEB_ROUTE_API_CHECK)
		return post_check(w, c, u);
	if (u->route == WEB_ROUTE_API_REPORT_UPLOAD)
		return post_report(w, c, rq);
	if (w->cb.reload == NULL)
		return send_error(c, u, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
				  "Reloading is not available.");
	log_info(SUB, "reload_requested");
	w->cb.reload(w->cb.arg);
	data = web_api_accepted("reload", NULL, &len);
	return send_owned(c, MHD_HTTP_ACCEPTED, WEB_HTTP_JSON, data, len);
}

/* ---- dispatch ------------------------------------------------------- */

static enum MHD_Result dispatch(struct web_http *w, struct MHD_Connection *c, const char *method,
				const struct web_http_req *rq)
{
	const struct web_url *u = &rq->url;
	bool get =
	    strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	if (rq->url_err == ERR_LIMIT)
		return send_error(c, NULL, MHD_HTTP_URI_TOO_LONG, "URI too long",
				  "The address is longer than this server accepts.");
	if (rq->url_err != ERR_OK)
		return send_error(c, NULL, MHD_HTTP_BAD_REQUEST, "Bad request",
				  "The address is not valid.");
	if (!get && !post)
		return send_405(c, u,
				u->route == WEB_ROUTE_NOT_FOUND	       ? "GET, HEAD, POST"
				: web_http_req_is_post_route(u->route) ? "POST"
								       : "GET, HEAD");
	if (u->route == WEB_ROUTE_NOT_FOUND)
		return send_error(c, u, MHD_HTTP_NOT_FOUND, "Not found",
				  "There is nothing at this address.");
	if (web_http_req_is_post_route(u->route) != post)
		return send_405(c, u, post ? "GET, HEAD" : "POST");
	return post ? handle_post(w, c, rq) : handle_get(w, c, u);
}

static enum MHD_Result send_413(struct MHD_Connection *c, const struct web_http_req *rq)
{
	return send_error(c, &rq->url, MHD_HTTP_CONTENT_TOO_LARGE, "Too large",
			  "This server accepts no request body that large.");
}

/* True when a report upload would get past the token and find someone to take it. */
static bool upload_welcome(const struct web_http *w, struct MHD_Connection *c)
{
	return w->cb.ingest_report != NULL &&
	       web_http_req_token_ok(&w->token, header(c, MHD_HTTP_HEADER_AUTHORIZATION));
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **req_cls)
{
	struct web_http *w = cls;
	struct web_http_req *rq = *req_cls;

	(void)url;
	(void)version;
	if (rq == NULL)
		return MHD_NO;
	if (!rq->headers_seen) {
		rq->headers_seen = true;
		/* RFC 9110 15.5.14: refuse a large body before reading it. */
		if (web_http_req_declared_too_big(
			header(c, MHD_HTTP_HEADER_CONTENT_LENGTH),
			web_http_req_is_upload(rq, method) ? w->max_report_body : w->max_body))
			return send_413(c, rq);
		/* A report upload that will be refused anyway is answered before its body. */
		if (web_http_req_is_upload(rq, method) && !upload_welcome(w, c))
			return dispatch(w, c, method, rq);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;

		*upload_size = 0;
		/*
		 * A chunked body past the cap: libmicrohttpd 0.9.75 cannot queue
		 * a response in the middle of an upload, so the connection is
		 * closed instead of reading the rest (the report upload reads
		 * on, up to twice its cap, so that the answer is still 413).
		 */
		if (web_http_req_is_upload(rq, method))
			return web_http_req_upload_piece(rq, upload, n, w->max_report_body)
				   ? MHD_YES
				   : MHD_NO;
		return web_http_req_body_piece(rq, n, w->max_body) ? MHD_YES : MHD_NO;
	}
	return dispatch(w, c, method, rq);
}

/* MHD_OPTION_URI_LOG_CALLBACK: the raw request target, before any decoding. */
static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	const struct web_http *w = cls;

	(void)c;
	return web_http_req_new(uri, strlen(uri), w->max_report_body);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct web_http_req *rq = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	web_http_req_free(rq);
	*req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) MP_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512], q[600];
	int n;

	(void)cls;
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		return;
	n = (int)strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	common_log_quote(q, sizeof q, buf, (size_t)n);
	/* Limits reached matter to an operator; clients going away do not. */
	if (strstr(buf, "limit") != NULL || strstr(buf, "Failed") != NULL)
		log_warn(SUB, "libmicrohttpd msg=\"%s\"", q);
	else
		log_debug(SUB, "libmicrohttpd msg=\"%s\"", q);
}

/* ---- lifecycle ------------------------------------------------------ */

void web_http_opts_init(struct web_http_opts *o)
{
	memset(o, 0, sizeof *o);
	o->address = WEB_HTTP_DEFAULT_ADDRESS;
	o->port = WEB_HTTP_DEFAULT_PORT;
	/* One epoll thread: as fast as a pool of 2 or 4, lower p99 and RSS (bench/web.md). */
	o->threads = 1;
	o->connection_limit = 64;
	o->per_ip_limit = 16;
	o->timeout_seconds = 15;
	o->memory_limit = 64 * 1024;
	o->max_body = 4096;
	o->max_report_body = WEB_HTTP_MAX_REPORT_BODY;
}

union addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

static enum mp_err parse_addr(const char *s, unsigned port, union addr *a, bool *v6)
{
	memset(a, 0, sizeof *a);
	if (port > 65535)
		return ERR_INVAL;
	if (inet_pton(AF_INET, s, &a->in4.sin_addr) == 1) {
		a->in4.sin_family = AF_INET;
		a->in4.sin_port = htons((uint16_t)port);
		*v6 = false;
		return ERR_OK;
	}
	if (inet_pton(AF_INET6, s, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)port);
		*v6 = true;
		return ERR_OK;
	}
	return ERR_INVAL;
}

/* A duplicate of old's listening socket when it is bound to a (port != 0), else -1. */
static MHD_socket shared_socket(const struct web_http *old, const union addr *a, unsigned port)
{
	const union MHD_DaemonInfo *i;
	size_t len = a->sa.sa_family == AF_INET6 ? sizeof a->in6 : sizeof a->in4;

	if (old == NULL || port == 0 || old->port != port || memcmp(&old->bound, a, len) != 0)
		return MHD_INVALID_SOCKET;
	i = MHD_get_daemon_info(old->d, MHD_DAEMON_INFO_LISTEN_FD);
	if (i == NULL || i->listen_fd == MHD_INVALID_SOCKET)
		return MHD_INVALID_SOCKET;
	return fcntl(i->listen_fd, F_DUPFD_CLOEXEC, 3);
}

/* Close fd after a failed start, unless libmicrohttpd already did (same socket inode). */
static void close_if_ours(MHD_socket fd, const struct stat *was)
{
	struct stat now;

	if (fd != MHD_INVALID_SOCKET && fstat(fd, &now) == 0 && now.st_ino == was->st_ino &&
	    now.st_dev == was->st_dev)
		close(fd);
}

static struct MHD_Daemon *start_daemon(struct web_http *w, const struct web_http_opts *o,
				       union addr *a, bool v6, MHD_socket shared)
{
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;

	if (v6)
		flags |= MHD_USE_IPv6;
	/* libraries.md 4.1: every limit set explicitly; the default idle timeout is none. */
	/* clang-format off */
	return MHD_start_daemon(flags, 0, NULL, NULL, &handler, w,
		MHD_OPTION_EXTERNAL_LOGGER, &mhd_log, (void *)w,
		MHD_OPTION_SOCK_ADDR, &a->sa,
		MHD_OPTION_LISTEN_SOCKET, shared, /* MHD_INVALID_SOCKET: bind SOCK_ADDR */
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(o->threads > 1 ? o->threads : 0),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->connection_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o->per_ip_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->timeout_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)o->memory_limit,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)128,
		MHD_OPTION_URI_LOG_CALLBACK, &uri_cb, (void *)w,
		MHD_OPTION_NOTIFY_COMPLETED, &completed_cb, (void *)w,
		MHD_OPTION_END);
	/* clang-format on */
}

static bool opts_valid(const struct web_http_opts *o)
{
	return o->connection_limit > 0 && o->per_ip_limit > 0 && o->timeout_seconds > 0 &&
	       o->memory_limit >= 4096 && o->threads > 0 && o->threads <= 64;
}

enum mp_err web_http_start(const struct web_http_opts *o, struct web_http **out)
{
	struct web_http *w;
	union addr a;
	bool v6 = false;
	const union MHD_DaemonInfo *info;
	struct web_snapshot *empty;
	MHD_socket shared;
	struct stat shared_st;

	if (!opts_valid(o) || parse_addr(o->address ? o->address : WEB_HTTP_DEFAULT_ADDRESS,
					 o->port, &a, &v6) != ERR_OK)
		return ERR_INVAL;
	w = xcalloc(1, sizeof *w);
	empty = web_snapshot_new();
	empty->version = xstrdup("unknown");
	w->cur = web_current_new(empty);
	w->cb = o->cb;
	w->max_body = o->max_body;
	w->max_report_body = o->max_report_body > 0 ? o->max_report_body : WEB_HTTP_MAX_REPORT_BODY;
	web_http_req_token_init(&w->token, o->token);
	memcpy(&w->bound, &a, sizeof a);
	shared = shared_socket(o->takeover, &a, o->port);
	if (shared != MHD_INVALID_SOCKET && fstat(shared, &shared_st) != 0) {
		close(shared);
		shared = MHD_INVALID_SOCKET;
	}
	w->d = start_daemon(w, o, &a, v6, shared);
	if (w->d == NULL && shared != MHD_INVALID_SOCKET)
		close_if_ours(shared, &shared_st);
	if (w->d == NULL) {
		log_err(SUB, "start_failed address=%s port=%u (address in use, or not allowed)",
			o->address ? o->address : WEB_HTTP_DEFAULT_ADDRESS, o->port);
		web_current_free(w->cur);
		free(w);
		return ERR_IO;
	}
	info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	w->port = info ? info->port : o->port;
	log_info(SUB, "listening address=%s port=%u token=%s%s",
		 o->address ? o->address : WEB_HTTP_DEFAULT_ADDRESS, w->port,
		 w->token.set ? "set" : "none",
		 shared != MHD_INVALID_SOCKET ? " socket=shared" : "");
	*out = w;
	return ERR_OK;
}

unsigned web_http_port(const struct web_http *w)
{
	return w->port;
}

void web_http_publish(struct web_http *w, struct web_snapshot *s)
{
	web_current_publish(w->cur, s);
}

void web_http_stop(struct web_http *w)
{
	MHD_socket ls;

	if (w == NULL)
		return;
	/* Stop accepting, let running requests finish for a moment, then close the rest. */
	ls = MHD_quiesce_daemon(w->d);
	for (int waited = 0; waited < DRAIN_MS; waited += 20) {
		const union MHD_DaemonInfo *i =
		    MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		struct timespec ts = {0, 20 * 1000 * 1000};

		if (i == NULL || i->num_connections == 0)
			break;
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(w->d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	web_current_free(w->cur);
	free(w);
	log_info(SUB, "stopped");
}
