/*
 * tests/web/test_metrics: /metrics of hostile fixture snapshots (web/metrics),
 * checked line by line against the Prometheus text exposition format 0.0.4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "tests/web/fixture.h"
#include "web/metrics.h"

#define NOW 1714564800

static bool name_char(int c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* Length of the metric (or label) name at p, 0 if none. */
static size_t name_len(const char *p, size_t len, bool label)
{
	size_t i = 0;

	while (i < len && name_char((unsigned char)p[i], i == 0) && !(label && p[i] == ':'))
		i++;
	return i;
}

/* A label set "{a="x",b="y"}" at p; returns bytes used, 0 if malformed. */
static size_t labels_len(const char *p, size_t len)
{
	size_t i = 1;

	if (len == 0 || p[0] != '{')
		return 0;
	while (i < len && p[i] != '}') {
		size_t n = name_len(p + i, len - i, true);

		if (n == 0 || i + n + 1 >= len || p[i + n] != '=' || p[i + n + 1] != '"')
			return 0;
		i += n + 2;
		while (i < len && p[i] != '"') {
			if (p[i] == '\n')
				return 0;
			if (p[i] == '\\') {
				if (i + 1 >= len || strchr("\\\"n", p[i + 1]) == NULL)
					return 0;
				i++;
			}
			i++;
		}
		if (i >= len)
			return 0;
		i++;
		if (i < len && p[i] == ',')
			i++;
	}
	return i < len ? i + 1 : 0;
}

static bool value_ok(const char *p, size_t len)
{
	char buf[64], *end;

	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (strcmp(buf, "+Inf") == 0 || strcmp(buf, "-Inf") == 0 || strcmp(buf, "NaN") == 0)
		return true;
	strtod(buf, &end);
	return *end == '\0';
}

struct families {
	char names[64][96];
	size_t n;
	char current[96];
	char type[16];
};

/* One line; why says what is wrong. */
static bool line_ok(struct families *f, const char *l, size_t len, const char **why)
{
	size_t n;

	if (len > 7 && memcmp(l, "# HELP ", 7) == 0)
		return (n = name_len(l + 7, len - 7, false)) > 0 && l[7 + n] == ' ';
	if (len > 7 && memcmp(l, "# TYPE ", 7) == 0) {
		n = name_len(l + 7, len - 7, false);
		if (n == 0 || n >= 96 || l[7 + n] != ' ' || f->n == 64)
			return (*why = "bad TYPE"), false;
		for (size_t i = 0; i < f->n; i++)
			if (strlen(f->names[i]) == n && memcmp(f->names[i], l + 7, n) == 0)
				return (*why = "family declared twice"), false;
		memcpy(f->names[f->n], l + 7, n);
		f->names[f->n][n] = '\0';
		memcpy(f->current, l + 7, n + 1);
		f->current[n] = '\0';
		snprintf(f->type, sizeof f->type, "%.*s", (int)(len - 8 - n), l + 8 + n);
		f->n++;
		if (strcmp(f->type, "counter") != 0 && strcmp(f->type, "gauge") != 0)
			return (*why = "unknown type"), false;
		if (strcmp(f->type, "counter") == 0 &&
		    (n < 6 || memcmp(l + 7 + n - 6, "_total", 6) != 0))
			return (*why = "counter without _total"), false;
		return true;
	}
	if (len > 0 && l[0] == '#')
		return (*why = "stray comment"), false;
	n = name_len(l, len, false);
	if (n == 0 || strlen(f->current) != n || memcmp(l, f->current, n) != 0)
		return (*why = "sample outside its family"), false;
	if (n < len && l[n] == '{') {
		size_t k = labels_len(l + n, len - n);

		if (k == 0)
			return (*why = "bad labels"), false;
		n += k;
	}
	if (n >= len || l[n] != ' ')
		return (*why = "no space before the value"), false;
	if (!value_ok(l + n + 1, len - n - 1))
		return (*why = "bad value"), false;
	return true;
}

/* True when every line of the exposition is well-formed. */
static bool exposition_ok(const char *p, size_t len)
{
	struct families f;
	size_t start = 0, lines = 0;
	bool ok = true;

	memset(&f, 0, sizeof f);
	if (len == 0 || p[len - 1] != '\n')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		const char *why = "bad line";

		lines++;
		if (!line_ok(&f, p + start, i - start, &why)) {
			tap_diag("line %zu: %s: %.*s", lines, why, (int)(i - start), p + start);
			ok = false;
		}
		start = i + 1;
	}
	return ok && lines > 20;
}

static bool has(const char *p, size_t n, const char *needle)
{
	bool r = memmem(p, n, needle, strlen(needle)) != NULL;

	if (!r)
		tap_diag("missing: %s", needle);
	return r;
}

static bool has_quiet(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

int main(void)
{
	struct web_snapshot *s = fixture_snapshot(NOW);
	char *p = NULL;
	size_t n = 0;

	if (!tap_is_int(web_metrics_render(s, &p, &n), ERR_OK, "metrics render"))
		return tap_done();
	tap_ok(exposition_ok(p, n), "every line is valid exposition format");
	tap_ok(has(p, n, "# TYPE mailpulse_check_success gauge\n"), "HELP/TYPE present");
	tap_ok(has(p, n, "mailpulse_up 1\n"), "up");
	tap_ok(has(p, n, "mailpulse_build_info{version=\"0.3.0-test\"} 1\n"), "build info");
	tap_ok(has(p, n, "mailpulse_config_last_reload_successful 1\n") &&
		   has(p, n, "mailpulse_config_last_reload_success_timestamp_seconds 1714561200\n"),
	       "reload metrics");
	tap_ok(has(p, n, "mailpulse_check_success{domain=\"shop.example\",check=\"dkim\"} 0\n") &&
		   has(p, n, "mailpulse_check_success{domain=\"example.com\",check=\"spf\"} 1\n"),
	       "check success 0/1");
	tap_ok(
	    has(p, n, "mailpulse_check_state{domain=\"shop.example\",check=\"dkim\"} 2\n") &&
		has(p, n, "mailpulse_check_state{domain=\"shop.example\",check=\"spf\"} 1\n") &&
		has(p, n, "mailpulse_check_state{domain=\"shop.example\",check=\"mta-sts\"} 3\n") &&
		has(p, n, "mailpulse_check_state{domain=\"example.com\",check=\"dmarc\"} 0\n"),
	    "check state 0 ok, 1 warn, 2 critical, 3 unknown");
	tap_ok(
	    has(p, n, "mailpulse_check_alert_firing{domain=\"shop.example\",check=\"dkim\"} 1\n"),
	    "firing");
	tap_ok(has(p, n, "mailpulse_spf_dns_lookups{domain=\"example.com\"} 5\n") &&
		   memmem(p, n, "mailpulse_spf_dns_lookups{domain=\"new.example\"}", 46) == NULL,
	       "SPF lookups, absent when unknown");
	tap_ok(has(p, n, "mailpulse_notifications_total{channel=\"team \\\"a\\\"\\\\b\\nc\"} 0\n"),
	       "label value escaped (\\\\ \\\" \\n)");
	tap_ok(has(p, n, "mailpulse_notifications_failed_total{channel=\"oncall-mail\"} 1\n") &&
		   has(p, n, "mailpulse_notification_queue_length{channel=\"oncall-mail\"} 2\n"),
	       "notification counters");
	tap_ok(has(p, n, "# HELP mailpulse_probe_roundtrip_seconds ") &&
		   has(p, n, "# TYPE mailpulse_probe_roundtrip_seconds gauge\n") &&
		   has(p, n, "# TYPE mailpulse_probe_success gauge\n"),
	       "probe families have HELP and TYPE");
	tap_ok(has(p, n, "mailpulse_probe_roundtrip_seconds{domain=\"shop.example\"} 12.500\n") &&
		   has(p, n, "mailpulse_probe_roundtrip_seconds{domain=\"example.com\"} 3.250\n"),
	       "last round trip per probing domain");
	tap_ok(has(p, n, "mailpulse_probe_success{domain=\"shop.example\"} 0\n") &&
		   has(p, n, "mailpulse_probe_success{domain=\"example.com\"} 1\n"),
	       "probe success 0/1");
	tap_ok(memmem(p, n, "mailpulse_probe_success{domain=\"xn--", 36) == NULL &&
		   memmem(p, n, "mailpulse_probe_roundtrip_seconds{domain=\"new.example", 51) ==
		       NULL,
	       "no probe samples for domains that do not probe");
	free(p);
	s->domains[0].have_probes = false;
	s->domains[1].probe_have_finished = false;
	s->domains[1].probe_last_roundtrip = -1;
	if (tap_is_int(web_metrics_render(s, &p, &n), ERR_OK, "metrics without probe values")) {
		tap_ok(exposition_ok(p, n) && !has_quiet(p, n, "mailpulse_probe_success{") &&
			   !has_quiet(p, n, "mailpulse_probe_roundtrip_seconds{"),
		       "families stay, samples go when nothing is known");
		free(p);
	}

	/* Hostile label values: quote, backslash, newline, invalid UTF-8, NUL-free C strings. */
	free(s->domains[3].name);
	s->domains[3].name = xstrdup("x\"y\\z\n\xff.example");
	free(s->version);
	s->version = NULL;
	s->last_reload_ok = false;
	s->last_reload_success_at = 0;
	if (tap_is_int(web_metrics_render(s, &p, &n), ERR_OK, "hostile metrics render")) {
		tap_ok(exposition_ok(p, n), "hostile labels still valid exposition");
		tap_ok(has(p, n,
			   "mailpulse_domain_status{domain=\"x\\\"y\\\\z\\n\xef\xbf\xbd.example\"} "
			   "3\n"),
		       "hostile domain label escaped and UTF-8 cleaned");
		tap_ok(has(p, n, "mailpulse_build_info{version=\"unknown\"} 1\n"),
		       "missing version");
		tap_ok(has(p, n, "mailpulse_config_last_reload_successful 0\n"), "failed reload");
		free(p);
	}
	web_snapshot_free(s);
	return tap_done();
}
