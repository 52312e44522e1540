/* tests/web/test_url: request-target parsing (web/url). */
#include <string.h>
#include "tests/lib/tap.h"
#include "web/url.h"

static void route(const char *target, enum web_route want, const char *domain, const char *what)
{
	struct web_url u;
	enum mp_err e = web_url_parse(target, strlen(target), &u);

	if (!tap_is_int(e, ERR_OK, "%s: parses", what))
		return;
	tap_is_str(web_url_route_name(u.route), web_url_route_name(want), "%s: route", what);
	if (domain != NULL)
		tap_is_str(u.domain, domain, "%s: domain", what);
}

static void refused(const char *target, size_t len, enum mp_err want, const char *what)
{
	struct web_url u;

	tap_is_int(web_url_parse(target, len, &u), want, "%s", what);
}

static void routes(void)
{
	route("/", WEB_ROUTE_OVERVIEW, NULL, "root");
	route("/domain/example.com", WEB_ROUTE_DOMAIN, "example.com", "domain page");
	route("/domain/Example.COM.", WEB_ROUTE_DOMAIN, "example.com", "domain lower-cased, dot");
	route("/domain/b%C3%BCcher.example", WEB_ROUTE_DOMAIN, "xn--bcher-kva.example",
	      "domain in UTF-8 becomes A-labels");
	route("/static/style.css", WEB_ROUTE_STYLE, NULL, "stylesheet");
	route("/static/style.css?v=0123abcd", WEB_ROUTE_STYLE, NULL, "stylesheet with tag");
	route("/api/v1/domains", WEB_ROUTE_API_DOMAINS, NULL, "api domains");
	route("/api/v1/domains/Example.com/probes", WEB_ROUTE_API_PROBES, "example.com",
	      "api probes");
	route("/api/v1/domains/Example.com/reports", WEB_ROUTE_API_REPORTS, "example.com",
	      "api reports of a domain");
	route("/api/v1/reports", WEB_ROUTE_API_REPORT_UPLOAD, NULL, "report upload");
	route("/api/v1/reports/x", WEB_ROUTE_NOT_FOUND, NULL, "nothing under the upload");
	route("/api/v1/domains/", WEB_ROUTE_API_DOMAINS, NULL, "trailing slash ignored");
	route("/api/v1/domains/example.com", WEB_ROUTE_API_DOMAIN, "example.com", "api domain");
	route("/api/v1/domains/example.com/check", WEB_ROUTE_API_CHECK, "example.com", "api check");
	route("/api/v1/alerts", WEB_ROUTE_API_ALERTS, NULL, "api alerts");
	route("/badge/example.com.svg", WEB_ROUTE_BADGE, "example.com", "badge");
	route("/badge/example.com", WEB_ROUTE_NOT_FOUND, NULL, "badge without .svg");
	route("/badge/.svg", WEB_ROUTE_NOT_FOUND, NULL, "badge without a name");
	route("/metrics", WEB_ROUTE_METRICS, NULL, "metrics");
	route("/-/healthy", WEB_ROUTE_HEALTHY, NULL, "healthy");
	route("/-/ready", WEB_ROUTE_READY, NULL, "ready");
	route("/-/reload", WEB_ROUTE_RELOAD, NULL, "reload");
	route("http://localhost:8025/metrics", WEB_ROUTE_METRICS, NULL, "absolute-form");
	route("HTTP://localhost", WEB_ROUTE_OVERVIEW, NULL, "absolute-form without a path");
	route("/nope", WEB_ROUTE_NOT_FOUND, NULL, "unknown path");
	route("/api/v2/domains", WEB_ROUTE_NOT_FOUND, NULL, "unknown API version");
	route("/domain/a/b", WEB_ROUTE_NOT_FOUND, NULL, "extra segment");
	route("//", WEB_ROUTE_NOT_FOUND, NULL, "empty segment");
	route("/domain/../metrics", WEB_ROUTE_NOT_FOUND, NULL, "dot-dot is not resolved");
	route("/domain/%2E%2E", WEB_ROUTE_NOT_FOUND, NULL, "encoded dot-dot is not resolved");
	route("/a/b/c/d/e/f/g/h/i/j", WEB_ROUTE_NOT_FOUND, NULL, "too deep");
	route("/api/v1/%64omains", WEB_ROUTE_API_DOMAINS, NULL, "encoded letters are decoded");
}

static void names(void)
{
	struct web_url u;
	const char *t = "/domain/a%2Fb";

	tap_ok(web_url_parse(t, strlen(t), &u) == ERR_OK && u.route == WEB_ROUTE_DOMAIN,
	       "%%2F stays inside its segment");
	t = "/domain/%3Cscript%3E";
	tap_ok(web_url_parse(t, strlen(t), &u) == ERR_OK && u.route == WEB_ROUTE_DOMAIN &&
		   strcmp(u.domain, "<script>") == 0,
	       "odd but legal DNS name kept (renderers escape it)");
	t = "/domain/a..b";
	tap_ok(web_url_parse(t, strlen(t), &u) == ERR_OK && u.route == WEB_ROUTE_DOMAIN &&
		   u.domain[0] == '\0' && u.name_problem != NULL,
	       "empty label: a name problem, route kept");
	t = "/domain/%2E";
	tap_ok(web_url_parse(t, strlen(t), &u) == ERR_OK && u.route == WEB_ROUTE_NOT_FOUND,
	       "dot segment is not a name");
	t = "/domain/a%20b";
	tap_ok(web_url_parse(t, strlen(t), &u) == ERR_OK && u.name_problem != NULL,
	       "space in a name: a name problem");
	{
		char big[400] = "/domain/";

		memset(big + 8, 'a', 300);
		big[308] = '\0';
		tap_ok(web_url_parse(big, strlen(big), &u) == ERR_OK && u.name_problem != NULL,
		       "300-character label: a name problem");
	}
}

static void queries(void)
{
	struct web_url u;
	size_t n = 0;
	const char *v, *t = "/badge/x.example.svg?label=my+mail%21&pretty&x=%00y&&label=second";

	if (!tap_is_int(web_url_parse(t, strlen(t), &u), ERR_OK, "query parses"))
		return;
	v = web_url_param(&u, "label", &n);
	tap_ok(v != NULL && n == 8 && memcmp(v, "my mail!", 8) == 0, "'+' and %%21 decoded");
	v = web_url_param(&u, "pretty", &n);
	tap_ok(v != NULL && n == 0, "key without value");
	v = web_url_param(&u, "x", &n);
	tap_ok(v != NULL && n == 2 && v[0] == '\0' && v[1] == 'y',
	       "NUL kept in a value, with length");
	tap_ok(web_url_param(&u, "nope", &n) == NULL, "missing key");
	tap_is_int((long long)u.n_params, 4, "empty pairs skipped");
}

static void errors(void)
{
	char big[WEB_URL_MAX + 2];

	memset(big, 'a', sizeof big);
	big[0] = '/';
	refused(big, sizeof big, ERR_LIMIT, "longer than WEB_URL_MAX: ERR_LIMIT");
	refused("", 0, ERR_PARSE, "empty target");
	refused("*", 1, ERR_PARSE, "asterisk-form");
	refused("metrics", 7, ERR_PARSE, "no leading slash");
	refused("/a b", 4, ERR_PARSE, "space");
	refused("/a\0b", 4, ERR_PARSE, "raw NUL");
	refused("/\xc3\xa9", 3, ERR_PARSE, "raw non-ASCII");
	refused("/a#frag", 7, ERR_PARSE, "fragment");
	refused("/a%2", 4, ERR_PARSE, "truncated escape");
	refused("/a%zz", 5, ERR_PARSE, "bad hex");
	refused("/a%00b", 6, ERR_PARSE, "encoded NUL in a path segment");
	refused("/?k%00=1", 8, ERR_PARSE, "encoded NUL in a key");
	refused("/?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", 37, ERR_LIMIT, "too many parameters");
	{
		char q[400] = "/?k=";

		memset(q + 4, 'v', 300);
		q[304] = '\0';
		refused(q, strlen(q), ERR_LIMIT, "value longer than WEB_URL_VALUE_MAX");
	}
}

int main(void)
{
	routes();
	names();
	queries();
	errors();
	return tap_done();
}
