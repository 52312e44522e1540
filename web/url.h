/*
 * web/url: the request target of an HTTP request, parsed into a route of
 * the status server, a domain name and query parameters.  A pure function
 * over untrusted bytes (fuzzed by tests/fuzz/fuzz_web_url.c).
 *
 * What it does: accepts origin-form ("/path?query") and absolute-form
 * ("http://host/path?query", RFC 9112 3.2.2: the authority is ignored);
 * refuses bytes outside printable ASCII; splits the path into segments
 * BEFORE percent-decoding each one (so "%2F" never makes a new segment,
 * RFC 3986 2.4); treats "." and ".." segments and empty inner segments as
 * unknown paths (there is no file system behind them); ignores one trailing
 * slash; decodes query parameters (RFC 3986 3.4, with '+' as space as in
 * HTML forms); turns a domain-name segment (UTF-8 allowed, any case, one
 * trailing dot) into its lower-case A-label form through dns/name.
 *
 * What it does not: look anything up, check methods or authorise
 * (web/http does), or allocate: struct web_url has fixed-size storage.
 *
 * Routes (the HTTP API, see web/http.h):
 *   /                               WEB_ROUTE_OVERVIEW
 *   /domain/NAME                    WEB_ROUTE_DOMAIN
 *   /static/style.css               WEB_ROUTE_STYLE
 *   /api/v1/domains                 WEB_ROUTE_API_DOMAINS
 *   /api/v1/domains/NAME            WEB_ROUTE_API_DOMAIN
 *   /api/v1/domains/NAME/check      WEB_ROUTE_API_CHECK
 *   /api/v1/domains/NAME/probes     WEB_ROUTE_API_PROBES
 *   /api/v1/domains/NAME/reports    WEB_ROUTE_API_REPORTS
 *   /api/v1/reports                 WEB_ROUTE_API_REPORT_UPLOAD (POST)
 *   /api/v1/alerts                  WEB_ROUTE_API_ALERTS
 *   /badge/NAME.svg                 WEB_ROUTE_BADGE
 *   /metrics                        WEB_ROUTE_METRICS
 *   /-/healthy  /-/ready  /-/reload WEB_ROUTE_HEALTHY, _READY, _RELOAD
 */
#ifndef MAILPULSE_WEB_URL_H
#define MAILPULSE_WEB_URL_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/name.h"

/* Longest request target accepted (longer: ERR_LIMIT, answered 414). */
#define WEB_URL_MAX 2048
/* Query parameters kept, and the longest key and value (decoded). */
#define WEB_URL_PARAMS 8
#define WEB_URL_KEY_MAX 32
#define WEB_URL_VALUE_MAX 256
/* Path segments looked at; deeper paths are unknown. */
#define WEB_URL_SEGMENTS 8

enum web_route {
	WEB_ROUTE_NOT_FOUND = 0,
	WEB_ROUTE_OVERVIEW,
	WEB_ROUTE_DOMAIN,
	WEB_ROUTE_STYLE,
	WEB_ROUTE_API_DOMAINS,
	WEB_ROUTE_API_DOMAIN,
	WEB_ROUTE_API_CHECK,
	WEB_ROUTE_API_ALERTS,
	WEB_ROUTE_BADGE,
	WEB_ROUTE_METRICS,
	WEB_ROUTE_HEALTHY,
	WEB_ROUTE_READY,
	WEB_ROUTE_RELOAD,
	WEB_ROUTE_API_PROBES,	     /* issue 4 */
	WEB_ROUTE_API_REPORTS,	     /* issue 5: GET the reports of a domain */
	WEB_ROUTE_API_REPORT_UPLOAD, /* issue 5: POST a report */
};

/* How to answer errors for this path: a page, JSON, an SVG badge or plain text. */
enum web_flavor { WEB_FLAVOR_HTML, WEB_FLAVOR_JSON, WEB_FLAVOR_SVG, WEB_FLAVOR_TEXT };

struct web_url_param {
	char key[WEB_URL_KEY_MAX + 1]; /* decoded, no NUL inside */
	char value[WEB_URL_VALUE_MAX + 1];
	size_t value_len; /* decoded; may hold NUL bytes */
};

struct web_url {
	enum web_route route;
	enum web_flavor flavor;
	/*
	 * For the routes with NAME: the domain as lower-case A-labels, or ""
	 * with name_problem set when the segment is not a domain name (the
	 * route is then kept, so the answer can say so).
	 */
	char domain[DNS_NAME_BUFSZ];
	const char *name_problem; /* static text, or NULL */
	struct web_url_param params[WEB_URL_PARAMS];
	size_t n_params;
};

/*
 * Parse the request target [target, target+len) into *out.
 * ERR_OK: *out is filled (an unknown path is ERR_OK with WEB_ROUTE_NOT_FOUND).
 * ERR_LIMIT: longer than WEB_URL_MAX, or a query parameter past the limits.
 * ERR_PARSE: not a request target (no leading '/', a byte outside 0x21..0x7e,
 * a bad %-escape, a NUL in a path segment or a parameter name).
 * *out is unspecified on error.
 */
enum mp_err web_url_parse(const char *target, size_t len, struct web_url *out) MP_WUR;

/* The first value of query parameter key (*len bytes), or NULL; borrowed from u. */
const char *web_url_param(const struct web_url *u, const char *key, size_t *len);

/* A name for logs: "overview", "domain", ... ("not_found"). */
const char *web_url_route_name(enum web_route r);

#endif
