/*
 * web/http_req: the libmicrohttpd-free half of web/http.  It holds what
 * one request carries between the server's callbacks (its parsed target,
 * the bytes of body seen, the report upload buffer), checks the bearer
 * token of the POST endpoints, says which routes take POST, applies the
 * body caps, and renders the bodies of error answers in the flavor of the
 * path (page, JSON, badge, text) with their media types.  Pure logic over
 * bytes, so it is testable without a server.
 *
 * What it does not: sockets, responses or headers (web/http, the only
 * module that includes microhttpd.h, STYLE.md 6), parse request bodies
 * (the upload is handed to the daemon as bytes).
 *
 * RFCs: 6750 2.1 (Authorization: Bearer), 7235 2.1 (the auth-scheme is
 * case-insensitive), 9110 15.5.6 (405), 15.5.14 (413 Content Too Large).
 */
#ifndef MAILPULSE_WEB_HTTP_REQ_H
#define MAILPULSE_WEB_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include "common/buf.h"
#include "common/err.h"
#include "web/url.h"

/* What a response is, for its Content-Type and security headers. */
enum web_http_kind {
	WEB_HTTP_HTML,
	WEB_HTTP_JSON,
	WEB_HTTP_SVG,
	WEB_HTTP_CSS,
	WEB_HTTP_METRICS,
	WEB_HTTP_TEXT
};

/* The Content-Type of a kind of response (static text). */
const char *web_http_req_content_type(enum web_http_kind k);

/*
 * The body of an error answer in the flavor of u (NULL: text): an HTML
 * page titled title, a JSON error with msg, an SVG badge saying title, or
 * "title: msg" text when a renderer refuses.  Sets *data (caller frees
 * with free()) and *len; returns its kind.
 */
enum web_http_kind web_http_req_error_body(const struct web_url *u, unsigned status,
					   const char *title, const char *msg, char **data,
					   size_t *len);

/*
 * The body of a 405 answer (RFC 9110 15.5.6) naming allow ("GET, HEAD"):
 * JSON for the API, text otherwise.  Sets *data (caller frees with
 * free()) and *len; returns its kind.  The Allow header is the caller's.
 */
enum web_http_kind web_http_req_405_body(const struct web_url *u, const char *allow, char **data,
					 size_t *len);

/* The POST endpoints' token: only its SHA-256 is kept. */
struct web_http_token {
	bool set;
	unsigned char hash[32];
};

/*
 * Keep the SHA-256 of token; NULL or "" leaves t unset (the POSTs are
 * then disabled).  The token itself is not kept.
 */
void web_http_req_token_init(struct web_http_token *t, const char *token);

/*
 * True when auth (an Authorization header value, NUL-terminated, or NULL)
 * is "Bearer <token>" with t's token (RFC 6750 2.1; scheme matched
 * case-insensitively, RFC 7235 2.1), compared in constant time.  False
 * when t is unset.
 */
bool web_http_req_token_ok(const struct web_http_token *t, const char *auth);

/* What one request carries between the server's callbacks. */
struct web_http_req {
	struct web_url url;
	enum mp_err url_err; /* web_url_parse()'s result: ERR_LIMIT is 414 */
	bool headers_seen;
	size_t body;	   /* bytes of body received (saturates at SIZE_MAX) */
	struct buf upload; /* POST /api/v1/reports: the body, at most the upload cap */
	bool upload_big;   /* ... which was longer: answered 413 */
};

/*
 * A request for the raw target [uri, uri+len) (parsed with web_url_parse,
 * its error kept in url_err), whose report upload may hold max_upload
 * bytes.  Caller frees with web_http_req_free().
 */
struct web_http_req *web_http_req_new(const char *uri, size_t len, size_t max_upload);

/* Free rq and its upload buffer.  NULL is a no-op. */
void web_http_req_free(struct web_http_req *rq);

/* True for the routes that take POST only (reload, check, report upload). */
bool web_http_req_is_post_route(enum web_route r);

/*
 * True when rq is a POST of a report (method "POST", NUL-terminated): the
 * one request whose body is read.
 */
bool web_http_req_is_upload(const struct web_http_req *rq, const char *method);

/*
 * True when a declared Content-Length (cl, NUL-terminated, or NULL when
 * absent) is over max or is not a number: answer 413 before reading the
 * body (RFC 9110 15.5.14).
 */
bool web_http_req_declared_too_big(const char *cl, size_t max);

/*
 * Take n more bytes of a report upload.  Past max (a chunked body) the
 * buffer is dropped and upload_big set, so that the answer is still 413
 * once the body is read.  Returns false when the connection should be
 * closed instead: past twice the cap nobody makes the server read on.
 */
bool web_http_req_upload_piece(struct web_http_req *rq, const char *data, size_t n, size_t max);

/*
 * Count n more bytes of a body that is not used.  Returns false when the
 * total passed max: the connection should be closed (a response cannot be
 * sent in the middle of an upload).
 */
bool web_http_req_body_piece(struct web_http_req *rq, size_t n, size_t max);

#endif
