/*
 * web/url: request-target parsing (see url.h).  RFC 3986 2.1 (percent-
 * encoding), 2.4 (decode each component only once, after splitting), 3.3
 * (path segments), 3.4 (query); RFC 9112 3.2 (request-target forms).
 */
#include <string.h>
#include "common/cursor.h"
#include "common/str.h"
#include "web/url.h"

/* A path segment: a borrowed range (of the target, then of the decoded copy). */
struct seg {
	const char *p;
	size_t len;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = common_str_lc(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Percent-decode [s, s+len) into out (size outsz, always NUL-terminated);
 * plus_space turns '+' into ' ' (query strings).  ERR_PARSE on a bad
 * escape, ERR_LIMIT when it does not fit.
 */
static enum mp_err pct_decode(const char *s, size_t len, bool plus_space, char *out, size_t outsz,
			      size_t *outlen)
{
	struct cursor c;
	size_t n = 0;

	common_cursor_init(&c, s, len);
	while (!common_cursor_eof(&c)) {
		int ch = common_cursor_get(&c);

		if (ch == '%') {
			int hi = hexval(common_cursor_get(&c)), lo = hexval(common_cursor_get(&c));

			if (c.err || hi < 0 || lo < 0)
				return ERR_PARSE;
			ch = hi * 16 + lo;
		} else if (ch == '+' && plus_space) {
			ch = ' ';
		}
		if (n + 1 >= outsz)
			return ERR_LIMIT;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	*outlen = n;
	return ERR_OK;
}

/* Split the path into raw segments; false when there are too many. */
static bool split_path(const char *p, size_t len, struct seg *segs, size_t *n)
{
	size_t start = 1, k = 0;

	*n = 0;
	/* "/" alone: no segment.  One trailing slash is ignored ("/metrics/"). */
	if (len <= 1)
		return true;
	if (p[len - 1] == '/')
		len--;
	for (size_t i = 1; i <= len; i++) {
		if (i == len || p[i] == '/') {
			if (k == WEB_URL_SEGMENTS)
				return false;
			segs[k].p = p + start;
			segs[k].len = i - start;
			k++;
			start = i + 1;
		}
	}
	*n = k;
	return true;
}

static bool seg_is(const struct seg *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->len == n && memcmp(s->p, lit, n) == 0;
}

/*
 * A decoded NAME segment (suffix: a literal it must end with, like ".svg",
 * or NULL) into u->domain; on a bad name set u->name_problem instead.
 */
static void take_name(const struct seg *s, const char *suffix, struct web_url *u)
{
	size_t n = s->len;
	const char *why = NULL;

	u->domain[0] = '\0';
	if (suffix != NULL) {
		size_t sl = strlen(suffix);

		if (n <= sl || memcmp(s->p + n - sl, suffix, sl) != 0) {
			u->route = WEB_ROUTE_NOT_FOUND;
			return;
		}
		n -= sl;
	}
	if (n == 1 && s->p[0] == '.')
		why = "the root is not a mail domain";
	else if (dns_name_to_ascii(s->p, n, u->domain, &why) != ERR_OK && why == NULL)
		why = "not a domain name";
	if (why != NULL) {
		u->domain[0] = '\0';
		u->name_problem = why;
	}
}

static void route_api(const struct seg *s, size_t n, struct web_url *u)
{
	if (n < 3 || !seg_is(&s[1], "v1"))
		return;
	if (n == 3 && seg_is(&s[2], "domains"))
		u->route = WEB_ROUTE_API_DOMAINS;
	else if (n == 3 && seg_is(&s[2], "alerts"))
		u->route = WEB_ROUTE_API_ALERTS;
	else if (n == 4 && seg_is(&s[2], "domains"))
		u->route = WEB_ROUTE_API_DOMAIN;
	else if (n == 5 && seg_is(&s[2], "domains") && seg_is(&s[4], "check"))
		u->route = WEB_ROUTE_API_CHECK;
	else if (n == 5 && seg_is(&s[2], "domains") && seg_is(&s[4], "probes"))
		u->route = WEB_ROUTE_API_PROBES;
	else if (n == 5 && seg_is(&s[2], "domains") && seg_is(&s[4], "reports"))
		u->route = WEB_ROUTE_API_REPORTS;
	else if (n == 3 && seg_is(&s[2], "reports"))
		u->route = WEB_ROUTE_API_REPORT_UPLOAD;
	if (u->route == WEB_ROUTE_API_DOMAIN || u->route == WEB_ROUTE_API_CHECK ||
	    u->route == WEB_ROUTE_API_PROBES || u->route == WEB_ROUTE_API_REPORTS)
		take_name(&s[3], NULL, u);
}

static void route(const struct seg *s, size_t n, struct web_url *u)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].len == 0 || seg_is(&s[i], ".") || seg_is(&s[i], ".."))
			return;
	if (n == 0) {
		u->route = WEB_ROUTE_OVERVIEW;
		return;
	}
	if (seg_is(&s[0], "api")) {
		u->flavor = WEB_FLAVOR_JSON;
		route_api(s, n, u);
		return;
	}
	if (seg_is(&s[0], "badge")) {
		u->flavor = WEB_FLAVOR_SVG;
		if (n != 2)
			return;
		u->route = WEB_ROUTE_BADGE;
		take_name(&s[1], ".svg", u);
		return;
	}
	if (seg_is(&s[0], "-") || seg_is(&s[0], "metrics")) {
		u->flavor = WEB_FLAVOR_TEXT;
		if (n == 1 && seg_is(&s[0], "metrics"))
			u->route = WEB_ROUTE_METRICS;
		else if (n == 2 && seg_is(&s[1], "healthy"))
			u->route = WEB_ROUTE_HEALTHY;
		else if (n == 2 && seg_is(&s[1], "ready"))
			u->route = WEB_ROUTE_READY;
		else if (n == 2 && seg_is(&s[1], "reload"))
			u->route = WEB_ROUTE_RELOAD;
		return;
	}
	if (n == 2 && seg_is(&s[0], "static") && seg_is(&s[1], "style.css")) {
		u->route = WEB_ROUTE_STYLE;
		u->flavor = WEB_FLAVOR_TEXT;
		return;
	}
	if (n == 2 && seg_is(&s[0], "domain")) {
		u->route = WEB_ROUTE_DOMAIN;
		take_name(&s[1], NULL, u);
	}
}

/* One "key=value" (or "key") of the query into the next free parameter. */
static enum mp_err take_param(const char *p, size_t len, struct web_url *u)
{
	const char *eq = memchr(p, '=', len);
	size_t klen = eq ? (size_t)(eq - p) : len, n;
	struct web_url_param *w;
	enum mp_err e;

	if (len == 0)
		return ERR_OK; /* "a=1&&b=2" */
	if (u->n_params == WEB_URL_PARAMS)
		return ERR_LIMIT;
	w = &u->params[u->n_params];
	e = pct_decode(p, klen, true, w->key, sizeof w->key, &n);
	if (e != ERR_OK)
		return e;
	if (memchr(w->key, '\0', n) != NULL)
		return ERR_PARSE;
	w->value[0] = '\0';
	w->value_len = 0;
	if (eq != NULL) {
		e = pct_decode(eq + 1, len - klen - 1, true, w->value, sizeof w->value,
			       &w->value_len);
		if (e != ERR_OK)
			return e;
	}
	u->n_params++;
	return ERR_OK;
}

static enum mp_err parse_query(const char *q, size_t len, struct web_url *u)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || q[i] == '&') {
			enum mp_err e = take_param(q + start, i - start, u);

			if (e != ERR_OK)
				return e;
			start = i + 1;
		}
	}
	return ERR_OK;
}

/* RFC 9112 3.2.2 absolute-form: skip "http://authority" (the Host is not ours to check). */
static bool skip_absolute(const char **t, size_t *len)
{
	static const char *const schemes[] = {"http://", "https://"};

	for (size_t i = 0; i < 2; i++) {
		size_t sl = strlen(schemes[i]);

		if (common_str_iprefix(*t, *len, schemes[i])) {
			const char *slash = memchr(*t + sl, '/', *len - sl);
			size_t skip = slash ? (size_t)(slash - *t) : *len;

			*t += skip;
			*len -= skip;
			return true;
		}
	}
	return false;
}

enum mp_err web_url_parse(const char *target, size_t len, struct web_url *out)
{
	struct seg segs[WEB_URL_SEGMENTS];
	char dec[WEB_URL_MAX + WEB_URL_SEGMENTS + 1]; /* decoded segments, each NUL-terminated */
	const char *q;
	size_t plen, nseg = 0, used = 0;
	enum mp_err e;

	memset(out, 0, sizeof *out);
	if (len > WEB_URL_MAX)
		return ERR_LIMIT;
	/* RFC 3986 2: only printable ASCII; '#' never travels in a request (3.5). */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f ||
		    target[i] == '#')
			return ERR_PARSE;
	if (skip_absolute(&target, &len) && len == 0) {
		/* "http://host" means "/" (RFC 9112 3.2.2, RFC 3986 6.2.3). */
		out->route = WEB_ROUTE_OVERVIEW;
		return ERR_OK;
	}
	if (target[0] != '/')
		return ERR_PARSE;
	q = memchr(target, '?', len);
	plen = q ? (size_t)(q - target) : len;
	if (q != NULL) {
		e = parse_query(q + 1, len - plen - 1, out);
		if (e != ERR_OK)
			return e;
	}
	if (!split_path(target, plen, segs, &nseg))
		return ERR_OK; /* too deep: not one of ours */
	/* RFC 3986 2.4: split first, then decode each segment once. */
	for (size_t i = 0; i < nseg; i++) {
		size_t n;

		e = pct_decode(segs[i].p, segs[i].len, false, dec + used, sizeof dec - used, &n);
		if (e != ERR_OK)
			return e;
		if (memchr(dec + used, '\0', n) != NULL)
			return ERR_PARSE;
		segs[i].p = dec + used;
		segs[i].len = n;
		used += n + 1;
	}
	route(segs, nseg, out);
	return ERR_OK;
}

const char *web_url_param(const struct web_url *u, const char *key, size_t *len)
{
	for (size_t i = 0; i < u->n_params; i++) {
		if (strcmp(u->params[i].key, key) == 0) {
			*len = u->params[i].value_len;
			return u->params[i].value;
		}
	}
	return NULL;
}

const char *web_url_route_name(enum web_route r)
{
	static const char *const names[] = {
	    "not_found",   "overview",	 "domain",	"style",
	    "api_domains", "api_domain", "api_check",	"api_alerts",
	    "badge",	   "metrics",	 "healthy",	"ready",
	    "reload",	   "api_probes", "api_reports", "api_report_upload",
	};

	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "not_found";
}
