/*
 * web/http_req: per-request state, bearer token and body caps of the HTTP
 * server, without libmicrohttpd (see http_req.h; web/http drives it).
 *
 * RFCs: 6750 2.1 (bearer header), 7235 2.1 (case-insensitive scheme),
 * 9110 15.5.14 (413).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/crypto.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "web/api.h"
#include "web/badge.h"
#include "web/html.h"
#include "web/http_req.h"
#include "web/metrics.h"

#define SUB "web"

const char *web_http_req_content_type(enum web_http_kind k)
{
	switch (k) {
	case WEB_HTTP_HTML:
		return "text/html; charset=utf-8";
	case WEB_HTTP_JSON:
		return "application/json";
	case WEB_HTTP_SVG:
		return "image/svg+xml";
	case WEB_HTTP_CSS:
		return "text/css; charset=utf-8";
	case WEB_HTTP_METRICS:
		return WEB_METRICS_CONTENT_TYPE;
	case WEB_HTTP_TEXT:
		break;
	}
	return "text/plain; charset=utf-8";
}

enum web_http_kind web_http_req_error_body(const struct web_url *u, unsigned status,
					   const char *title, const char *msg, char **data,
					   size_t *len)
{
	switch (u ? u->flavor : WEB_FLAVOR_TEXT) {
	case WEB_FLAVOR_HTML:
		if (web_html_error((int)status, title, msg, data, len) == ERR_OK)
			return WEB_HTTP_HTML;
		break;
	case WEB_FLAVOR_JSON:
		*data = web_api_error((int)status, msg, len);
		return WEB_HTTP_JSON;
	case WEB_FLAVOR_SVG:
		if (web_badge_render(NULL, 0, title, strlen(title), WEB_SEV_UNKNOWN, data, len) ==
		    ERR_OK)
			return WEB_HTTP_SVG;
		break;
	case WEB_FLAVOR_TEXT:
		break;
	}
	*data = xasprintf("%s: %s\n", title, msg);
	*len = strlen(*data);
	return WEB_HTTP_TEXT;
}

enum web_http_kind web_http_req_405_body(const struct web_url *u, const char *allow, char **data,
					 size_t *len)
{
	char *msg = xasprintf("This address accepts %s only.", allow);
	enum web_http_kind k = WEB_HTTP_TEXT;

	if (u->flavor == WEB_FLAVOR_JSON) {
		*data = web_api_error(405, msg, len);
		k = WEB_HTTP_JSON;
	} else {
		*data = xasprintf("Method not allowed: %s\n", msg);
		*len = strlen(*data);
	}
	free(msg);
	return k;
}

void web_http_req_token_init(struct web_http_token *t, const char *token)
{
	memset(t, 0, sizeof *t);
	if (token != NULL && token[0] != '\0') {
		t->set = true;
		common_crypto_sha256(token, strlen(token), t->hash);
	}
}

/* RFC 6750 2.1: "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 2.1). */
bool web_http_req_token_ok(const struct web_http_token *t, const char *auth)
{
	unsigned char got[32];
	size_t len;

	if (!t->set || auth == NULL || !common_str_iprefix(auth, strlen(auth), "bearer "))
		return false;
	auth += 7;
	while (*auth == ' ')
		auth++;
	len = strlen(auth);
	while (len > 0 && auth[len - 1] == ' ')
		len--;
	if (len == 0)
		return false;
	/* Hashing both sides first makes the compare constant-time whatever the lengths. */
	common_crypto_sha256(auth, len, got);
	return common_crypto_ct_eq(got, t->hash, sizeof got);
}

struct web_http_req *web_http_req_new(const char *uri, size_t len, size_t max_upload)
{
	struct web_http_req *rq = xcalloc(1, sizeof *rq);

	rq->url_err = web_url_parse(uri, len, &rq->url);
	common_buf_init(&rq->upload, max_upload);
	return rq;
}

void web_http_req_free(struct web_http_req *rq)
{
	if (rq == NULL)
		return;
	common_buf_free(&rq->upload);
	free(rq);
}

bool web_http_req_is_post_route(enum web_route r)
{
	return r == WEB_ROUTE_RELOAD || r == WEB_ROUTE_API_CHECK ||
	       r == WEB_ROUTE_API_REPORT_UPLOAD;
}

/* Other methods on the upload route get 405 and no body is read. */
bool web_http_req_is_upload(const struct web_http_req *rq, const char *method)
{
	return rq->url_err == ERR_OK && rq->url.route == WEB_ROUTE_API_REPORT_UPLOAD &&
	       strcmp(method, "POST") == 0;
}

bool web_http_req_declared_too_big(const char *cl, size_t max)
{
	uint64_t n = 0;

	if (cl == NULL)
		return false;
	return common_str_to_u64(cl, strlen(cl), UINT64_MAX, &n) != ERR_OK || n > max;
}

/*
 * libmicrohttpd hands the body over in pieces and (0.9.75) cannot answer
 * in the middle of an upload, hence read-and-drop up to twice the cap.
 */
bool web_http_req_upload_piece(struct web_http_req *rq, const char *data, size_t n, size_t max)
{
	rq->body = rq->body + n < rq->body ? SIZE_MAX : rq->body + n;
	if (!rq->upload_big && common_buf_append(&rq->upload, data, n) != ERR_OK) {
		rq->upload_big = true;
		common_buf_free(&rq->upload);
		log_info(SUB, "report_too_large bytes>%zu", max);
	}
	if (rq->upload_big && rq->body / 2 > max) {
		log_info(SUB, "report_too_large_closed bytes=%zu", rq->body);
		return false;
	}
	return true;
}

bool web_http_req_body_piece(struct web_http_req *rq, size_t n, size_t max)
{
	rq->body = rq->body + n < rq->body ? SIZE_MAX : rq->body + n;
	if (rq->body > max) {
		log_info(SUB, "body_too_large bytes=%zu", rq->body);
		return false;
	}
	return true;
}
