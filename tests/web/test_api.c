/* tests/web/test_api: the JSON API documents of hostile fixture snapshots (web/api). */
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "tests/web/fixture.h"
#include "web/api.h"

#define NOW 1714564800 /* 2024-05-01 12:00:00 UTC */

/* Call as parse(doc_function(..., &n), &n, what): n is read after the call. */
static struct common_json *parse(char *doc, const size_t *lenp, const char *what)
{
	struct common_json *j = NULL;
	size_t len = *lenp;

	tap_ok(doc != NULL && strlen(doc) == len, "%s: length matches", what);
	if (!tap_ok(common_json_parse(doc, len, &j) == ERR_OK, "%s: valid JSON", what))
		j = NULL;
	free(doc);
	return j;
}

static bool str_is(const struct common_json *v, const char *want, size_t want_len)
{
	size_t n = 0;
	const char *s = common_json_str_value(v, &n);

	return s != NULL && n == want_len && memcmp(s, want, n) == 0;
}

#define STR_IS(v, lit) str_is((v), (lit), sizeof(lit) - 1)

static const struct common_json *at(const struct common_json *v, size_t i, const char *key)
{
	return common_json_get(common_json_array_at(v, i), key);
}

static void domains_doc(const struct web_snapshot *s)
{
	size_t n = 0;
	struct common_json *j = parse(web_api_domains(s, false, &n), &n, "domains");
	const struct common_json *d = common_json_get(j, "domains");

	if (j == NULL)
		return;
	tap_ok(STR_IS(common_json_get(j, "status"), "failing"), "overall status");
	tap_ok(STR_IS(common_json_get(j, "generated_at"), "2024-05-01T12:00:00Z"), "RFC 3339 time");
	tap_is_int((long long)common_json_array_len(d), 4, "four domains");
	tap_ok(STR_IS(at(d, 0, "name"), "shop.example") &&
		   STR_IS(at(d, 0, "url"), "/domain/shop.example") &&
		   STR_IS(at(d, 0, "badge"), "/badge/shop.example.svg"),
	       "summary names and links");
	tap_ok(STR_IS(at(d, 2, "display"), "b\xc3\xbc"
					   "cher.example"),
	       "display name");
	tap_is_int((long long)common_json_array_len(at(d, 0, "history")), 90, "90 history days");
	tap_ok(STR_IS(common_json_array_at(at(d, 0, "history"), 0), "nodata") &&
		   STR_IS(common_json_array_at(at(d, 0, "history"), 89), "critical"),
	       "history oldest first, grey is nodata");
	tap_ok(common_json_get(at(d, 3, "spf"), "lookups") != NULL &&
		   common_json_str_value(common_json_get(at(d, 3, "spf"), "lookups"), &n) == NULL,
	       "unknown SPF lookups present as null");
	tap_ok(common_json_get(at(d, 3, "last_checked"), "x") == NULL &&
		   common_json_str_value(at(d, 3, "last_checked"), &n) == NULL,
	       "never checked: null time");
	tap_ok(common_json_get(at(d, 0, "spf"), "tree") == NULL, "no tree in the list");
	tap_ok(STR_IS(at(at(d, 0, "checks"), 1, "state"), "firing"), "check state");
	common_json_free(j);
}

static void domain_doc(const struct web_snapshot *s)
{
	size_t n = 0;
	struct common_json *j = parse(web_api_domain(s, &s->domains[0], true, &n), &n, "domain");
	const struct common_json *d = common_json_get(j, "domain"),
				 *f = common_json_get(d, "findings");
	long long v = 0;

	if (j == NULL)
		return;
	tap_ok(STR_IS(at(f, 1, "evidence"), FIXTURE_HOSTILE), "hostile evidence kept as data");
	tap_ok(STR_IS(at(f, 2, "evidence"), "v=spf1 \xef\xbf\xbd\xef\xbf\xbd a\0b -all"),
	       "invalid UTF-8 replaced, NUL kept as \\u0000");
	tap_ok(STR_IS(common_json_get(common_json_get(common_json_get(d, "spf"), "tree"), "domain"),
		      "shop.example"),
	       "SPF tree embedded as an object");
	tap_ok(common_json_int_value(common_json_get(common_json_get(d, "spf"), "lookups"), &v) &&
		   v == 1,
	       "SPF lookups");
	tap_is_int((long long)common_json_array_len(common_json_get(d, "transitions")), 3,
		   "transitions");
	tap_ok(STR_IS(at(common_json_get(d, "transitions"), 0, "to"), "firing"),
	       "transition state name");
	tap_ok(STR_IS(at(at(common_json_get(d, "episodes"), 0, "deliveries"), 1, "error"),
		      "550 5.1.1 mailbox unavailable"),
	       "delivery error");
	tap_ok(common_json_str_value(at(common_json_get(d, "episodes"), 0, "ended_at"), &n) == NULL,
	       "open episode: ended_at null");
	common_json_free(j);
}

static void alerts_doc(const struct web_snapshot *s)
{
	size_t n = 0;
	struct common_json *j = parse(web_api_alerts(s, false, &n), &n, "alerts");
	const struct common_json *ch = common_json_get(j, "channels");
	long long v = 0;

	if (j == NULL)
		return;
	tap_is_int((long long)common_json_array_len(common_json_get(j, "episodes")), 2, "episodes");
	tap_is_int((long long)common_json_array_len(ch), 3, "channels");
	tap_ok(STR_IS(at(ch, 2, "name"), FIXTURE_CHANNEL_ODD), "odd channel name round-trips");
	tap_ok(common_json_int_value(at(ch, 1, "failed"), &v) && v == 1, "failed count");
	tap_ok(STR_IS(at(common_json_get(j, "readiness"), 0, "code"), "ALERT_SINGLE_RECIPIENT"),
	       "readiness findings");
	common_json_free(j);
}

static void small_docs(void)
{
	size_t n = 0;
	struct common_json *j = parse(web_api_error(404, "no \xff <domain>", &n), &n, "error");
	long long v = 0;

	if (j != NULL) {
		tap_ok(STR_IS(common_json_get(j, "error"), "no \xef\xbf\xbd <domain>"),
		       "error text cleaned");
		tap_ok(common_json_int_value(common_json_get(j, "status"), &v) && v == 404,
		       "error status");
		common_json_free(j);
	}
	j = parse(web_api_accepted("check", "example.com", &n), &n, "accepted");
	if (j != NULL) {
		tap_ok(STR_IS(common_json_get(j, "status"), "accepted") &&
			   STR_IS(common_json_get(j, "domain"), "example.com"),
		       "accepted document");
		common_json_free(j);
	}
}

/* Issue 4: /api/v1/domains/NAME/probes, and probes inside /api/v1/domains/NAME. */
static void probes_doc(const struct web_snapshot *s)
{
	size_t n = 0;
	struct common_json *j = parse(web_api_probes(s, &s->domains[0], false, &n), &n, "probes");
	const struct common_json *pr = common_json_get(j, "probes"), *sum, *d0;
	long long v = 0;

	if (j == NULL)
		return;
	sum = common_json_get(j, "summary");
	d0 = common_json_get(common_json_array_at(pr, 0), "detail");
	tap_ok(STR_IS(common_json_get(j, "domain"), "shop.example"), "probes: domain");
	tap_is_int((long long)common_json_array_len(pr), 3, "three probes, newest first");
	tap_ok(STR_IS(at(pr, 0, "state"), "failed") && STR_IS(at(pr, 0, "folder"), "spam") &&
		   STR_IS(at(pr, 0, "dkim"), "fail") &&
		   STR_IS(at(pr, 0, "submitted"), "2024-05-01T11:50:01Z"),
	       "probe fields and times");
	tap_ok(common_json_get(common_json_array_at(pr, 0), "roundtrip_seconds") != NULL &&
		   !common_json_int_value(at(pr, 0, "roundtrip_seconds"), &v),
	       "round trip is a number (real)");
	tap_ok(common_json_get(d0, "headers") != NULL &&
		   STR_IS(common_json_get(d0, "authres"),
			  "mx.mailpulse.example; dkim=fail " FIXTURE_PROBE_AUTHRES) &&
		   STR_IS(at(common_json_get(d0, "upstream"), 0, "authserv_id"), "mx.google.com"),
	       "detail embedded as an object, its strings intact");
	tap_ok(common_json_get(common_json_array_at(pr, 1), "detail") != NULL &&
		   common_json_get(at(pr, 1, "detail"), "headers") == NULL &&
		   common_json_str_value(at(pr, 1, "detail"), NULL) == NULL,
	       "detail that is not JSON becomes null");
	tap_ok(STR_IS(common_json_get(at(pr, 1, "bounce"), "status"), "5.1.1") &&
		   STR_IS(common_json_get(at(pr, 1, "bounce"), "reason"), "userunknown") &&
		   common_json_int_value(common_json_get(at(pr, 1, "bounce"), "reply_code"), &v) &&
		   v == 550,
	       "bounce object");
	tap_ok(common_json_get(common_json_array_at(pr, 2), "bounce") != NULL &&
		   common_json_get(at(pr, 2, "bounce"), "status") == NULL &&
		   STR_IS(at(pr, 2, "error"), "no return within 15 min"),
	       "no bounce: null; the lost probe's error");
	tap_ok(common_json_get(sum, "enabled") != NULL &&
		   common_json_get(sum, "last_roundtrip_seconds") != NULL,
	       "summary present");
	common_json_free(j);
	j = parse(web_api_domain(s, &s->domains[1], false, &n), &n, "domain with probes");
	if (j != NULL) {
		const struct common_json *dom = common_json_get(j, "domain");

		tap_is_int((long long)common_json_array_len(common_json_get(dom, "probes")), 1,
			   "the domain document includes its probes");
		tap_ok(
		    STR_IS(common_json_get(common_json_get(common_json_array_at(
							       common_json_get(dom, "probes"), 0),
							   "detail"),
					   "authres"),
			   "mx.mailpulse.example; spf=pass; dkim=pass; dmarc=pass"),
		    "and their detail");
		common_json_free(j);
	}
	j = parse(web_api_probes(s, &s->domains[2], true, &n), &n, "probes of a quiet domain");
	if (j != NULL) {
		tap_is_int((long long)common_json_array_len(common_json_get(j, "probes")), 0,
			   "no probes");
		common_json_free(j);
	}
}

int main(void)
{
	struct web_snapshot *s = fixture_snapshot(NOW);
	size_t n = 0;
	struct common_json *j;

	domains_doc(s);
	domain_doc(s);
	alerts_doc(s);
	probes_doc(s);
	small_docs();
	free(s->domains[0].spf_tree_json);
	s->domains[0].spf_tree_json = xstrdup("{not json");
	j = parse(web_api_domain(s, &s->domains[0], false, &n), &n, "domain with a broken tree");
	if (j != NULL) {
		const struct common_json *spf =
		    common_json_get(common_json_get(j, "domain"), "spf");

		tap_ok(common_json_get(spf, "tree") != NULL &&
			   common_json_get(common_json_get(spf, "tree"), "domain") == NULL,
		       "broken tree becomes null");
		common_json_free(j);
	}
	web_snapshot_free(s);
	return tap_done();
}
