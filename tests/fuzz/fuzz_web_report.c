/*
 * tests/fuzz/fuzz_web_report: the report views (web/html_report, the
 * reports document of web/api, the report families of web/metrics) over a
 * struct web_reports built from any bytes.  Report strings come from
 * strangers; whatever they hold, the page must be valid UTF-8 without NUL
 * or a raw '<' from the input, the JSON must parse and the exposition must
 * be valid UTF-8.
 *
 * Input: fields separated by 0x1e; the first byte of each field picks
 * where it goes (a string of the reports, a source, a TLS-RPT row, a recent
 * report or a failure report), the rest is its text; numbers are taken from
 * the text's bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "web/api.h"
#include "web/html_report.h"
#include "web/metrics.h"
#include "web/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 64

static uint64_t num(const char *s, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		v = v << 8 | (unsigned char)s[i];
	return v;
}

static char **slot(char **p)
{
	free(*p);
	return p;
}

static void source(struct web_reports *r, unsigned k, const char *s, size_t n)
{
	struct web_report_source *x;

	if (r->n_sources == MAX_ROWS)
		return;
	x = &r->sources[r->n_sources++];
	x->ip = xmemdup0(s, n);
	x->ptr = xstrdup(k & 1 ? "ptr.example" : "");
	x->base = xstrdup(k & 2 ? x->ip : "");
	x->reporters = xmemdup0(s, n);
	x->header_from = xmemdup0(s, n);
	x->auth_domains = xmemdup0(s, n);
	x->group = k % 4 == 0	? xstrdup("aligned")
		   : k % 4 == 1 ? xstrdup("misaligned")
		   : k % 4 == 2 ? xstrdup("")
				: xmemdup0(s, n);
	x->messages = num(s, n) >> (k % 64);
	x->pass = num(s + n / 2, n - n / 2);
	x->first_seen = (int64_t)(num(s, n) >> 1);
	x->is_new = k & 4;
}

static void tlsrpt(struct web_reports *r, const char *s, size_t n)
{
	struct web_tlsrpt_row *x;

	if (r->n_tlsrpt == MAX_ROWS)
		return;
	x = &r->tlsrpt[r->n_tlsrpt++];
	x->reporter = xmemdup0(s, n);
	x->policy_type = xstrdup("sts");
	x->policy_domain = xmemdup0(s, n);
	x->failure_types = xmemdup0(s, n);
	x->success = num(s, n);
	x->failure = num(s + n / 2, n - n / 2);
}

static void item(struct web_reports *r, const char *s, size_t n)
{
	struct web_report_item *x;

	if (r->n_recent == MAX_ROWS)
		return;
	x = &r->recent[r->n_recent++];
	x->kind = xmemdup0(s, n);
	x->reporter = xmemdup0(s, n);
	x->report_id = xmemdup0(s, n);
	x->source = xmemdup0(s, n);
	x->container = xmemdup0(s, n);
	x->begin = (int64_t)num(s, n);
	x->end = (int64_t)num(s + n / 2, n - n / 2);
	x->messages = num(s, n);
}

static void failure(struct web_reports *r, const char *s, size_t n)
{
	struct web_report_failure *x;

	if (r->n_failures == MAX_ROWS)
		return;
	x = &r->failures[r->n_failures++];
	x->arrival = (int64_t)num(s, n);
	x->reporter = xmemdup0(s, n);
	x->source_ip = xmemdup0(s, n);
	x->auth_failure = xmemdup0(s, n);
	x->from = xmemdup0(s, n);
	x->subject = xmemdup0(s, n);
	x->dkim_domain = xmemdup0(s, n);
}

static void field(struct web_reports *r, const char *s, size_t n)
{
	unsigned k = n ? (unsigned char)s[0] : 0;
	struct web_report_window *w = &r->windows[k % WEB_REPORT_WINDOWS];

	if (n > 0) {
		s++;
		n--;
	}
	switch (k % 12) {
	case 0:
		*slot(&r->headline) = xmemdup0(s, n);
		break;
	case 1:
		*slot(&r->recommend) = xmemdup0(s, n);
		break;
	case 2:
		*slot(&r->recommend_text) = xmemdup0(s, n);
		break;
	case 3:
		*slot(&r->recommend_record) = xmemdup0(s, n);
		break;
	case 4:
		*slot(&r->policy) = xmemdup0(s, n);
		break;
	case 5:
		w->days = (unsigned)num(s, n);
		w->messages = num(s, n);
		w->pass = w->dkim_pass = num(s + n / 2, n - n / 2);
		w->spf_pass = w->quarantined = w->rejected = ~w->pass;
		w->ratio = n > 3 ? (double)(int8_t)s[0] / 64.0 : -1;
		break;
	case 6:
	case 7:
		source(r, k / 12, s, n);
		break;
	case 8:
		tlsrpt(r, s, n);
		break;
	case 9:
		item(r, s, n);
		break;
	case 10:
		failure(r, s, n);
		break;
	default:
		r->counter_pass = num(s, n);
		r->counter_fail = ~r->counter_pass;
		break;
	}
}

static struct web_reports *build(const char *d, size_t size)
{
	struct web_reports *r = xcalloc(1, sizeof *r);
	size_t start = 0;

	r->headline = xstrdup("");
	r->recommend = xstrdup("");
	r->recommend_text = xstrdup("");
	r->recommend_record = xstrdup("");
	r->policy = xstrdup("");
	r->sources = xcalloc(MAX_ROWS, sizeof *r->sources);
	r->tlsrpt = xcalloc(MAX_ROWS, sizeof *r->tlsrpt);
	r->recent = xcalloc(MAX_ROWS, sizeof *r->recent);
	r->failures = xcalloc(MAX_ROWS, sizeof *r->failures);
	for (size_t i = 0; i <= size; i++) {
		if (i == size || d[i] == 0x1e) {
			field(r, d + start, i - start);
			start = i + 1;
		}
	}
	return r;
}

/* [s, s+n) starts with "/"? NAME then '>' or ' ', NAME one of the tags html_report writes. */
static bool own_tag(const char *s, size_t n)
{
	static const char *const tags[] = {"h2",    "h3",   "p",   "div", "table", "thead",
					   "tbody", "tr",   "th",  "td",  "span",  "br",
					   "small", "code", "pre", "a"};

	if (n > 0 && s[0] == '/') {
		s++;
		n--;
	}
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		size_t l = strlen(tags[i]);

		if (n > l && memcmp(s, tags[i], l) == 0 && (s[l] == '>' || s[l] == ' '))
			return true;
	}
	return false;
}

static void check_utf8(const char *p, size_t len)
{
	size_t n;
	char *u = common_json_utf8_clean(p, len, &n);

	if (n != len || memcmp(u, p, len) != 0 || memchr(p, '\0', len) != NULL)
		abort(); /* not valid UTF-8, or a NUL */
	free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_snapshot *s = web_snapshot_new();
	struct web_domain *d;
	struct web_out o;
	struct common_json *j = NULL;
	char *p = NULL;
	size_t n = 0;

	s->domains = d = xcalloc(1, sizeof *s->domains);
	s->n_domains = 1;
	d->name = xstrdup("fuzz.example");
	d->reports = build((const char *)data, size);
	web_out_init(&o, WEB_OUT_MAX);
	web_html_report_section(&o, d);
	if (web_out_finish(&o, &p, &n) != ERR_OK)
		abort();
	check_utf8(p, n);
	/* Every '<' opens one of the section's own tags: none comes from the input. */
	for (size_t i = 0; i < n; i++)
		if (p[i] == '<' && !own_tag(p + i + 1, n - i - 1))
			abort();
	free(p);
	p = web_api_reports(s, d, false, &n);
	if (common_json_parse(p, n, &j) != ERR_OK)
		abort();
	common_json_free(j);
	free(p);
	if (web_metrics_render(s, &p, &n) != ERR_OK)
		abort();
	check_utf8(p, n);
	free(p);
	web_snapshot_free(s);
	return 0;
}
