/* tests/web/test_html: the status pages rendered from hostile fixture snapshots (web/html). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "common/json.h"
#include "tests/lib/tap.h"
#include "tests/web/fixture.h"
#include "web/html.h"
#include "web/out.h"
#include "web/spftree.h"

#define NOW 1714564800 /* 2024-05-01 12:00:00 UTC */

static size_t count(const char *h, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (const char *p = h; (p = memmem(p, len - (size_t)(p - h), needle, nl)) != NULL; p += nl)
		n++;
	return n;
}

static bool has(const char *h, size_t len, const char *needle)
{
	return memmem(h, len, needle, strlen(needle)) != NULL;
}

/* Valid UTF-8 with no NUL: what every page must be whatever the snapshot held. */
static bool clean_utf8(const char *p, size_t len)
{
	size_t n;
	char *u = common_json_utf8_clean(p, len, &n);
	bool same = n == len && memcmp(u, p, len) == 0;

	free(u);
	return same && memchr(p, '\0', len) == NULL;
}

/* No element or attribute a browser would run: no <script, no on*= handler, no javascript:. */
static bool inert(const char *p, size_t len)
{
	for (size_t i = 0; i + 7 <= len; i++)
		if (strncasecmp(p + i, "<script", 7) == 0 ||
		    (i + 11 <= len && strncasecmp(p + i, "javascript:", 11) == 0))
			return false;
	return !has(p, len, " onerror=") && !has(p, len, " onload=");
}

static void overview(void)
{
	struct web_snapshot *s = fixture_snapshot(NOW);
	char *p = NULL, *p2 = NULL;
	size_t n = 0, n2 = 0;

	if (!tap_is_int(web_html_overview(s, &p, &n), ERR_OK, "overview renders")) {
		web_snapshot_free(s);
		return;
	}
	tap_ok(has(p, n, "<section class=\"banner failing\""), "banner says failing");
	tap_ok(has(p, n, "<h1>Failing</h1>"), "banner headline in plain words");
	tap_ok(has(p, n, "1 of 4 domains has a problem"), "banner counts the failing domains");
	tap_ok(has(p, n, "href=\"/domain/shop.example\"") &&
		   has(p, n, "href=\"/domain/example.com\"") &&
		   has(p, n, "href=\"/domain/new.example\""),
	       "a row per domain");
	tap_ok(has(p, n,
		   ">b\xc3\xbc"
		   "cher.example</a>"),
	       "Unicode name shown to people");
	tap_is_int((long long)count(p, n, "<li class=\"card dom\">"), 4, "four domain rows");
	tap_is_int((long long)count(p, n, "<i class=\"d-"), 4 * 90 + 4,
		   "90 day cells per domain (+4 legend)");
	tap_is_int((long long)count(p, n, "<i class=\"d-nodata\" title="), 30 + 10 + 60 + 90,
		   "days without data are grey cells");
	tap_is_int((long long)count(p, n, "<i class=\"d-critical\" title="), 2, "red days");
	tap_ok(has(p, n, "title=\"2024-05-01: failures\"") &&
		   has(p, n, "title=\"2024-02-02: no data\""),
	       "cells dated, oldest first, last is today");
	tap_ok(has(p, n, "<meta http-equiv=\"refresh\" content=\"60\">"), "meta refresh");
	tap_ok(has(p, n, "<link rel=\"stylesheet\" href=\"/static/style.css?v="),
	       "stylesheet linked");
	tap_ok(!has(p, n, "style=\""), "no inline style (CSP style-src 'self')");
	tap_ok(has(p, n, "chip sev-critical") && has(p, n, "Failing, alert sent"),
	       "check chips say state in words");
	tap_ok(has(p, n, "ALERT_SINGLE_RECIPIENT"), "readiness findings shown");
	tap_ok(has(p, n, "alert(4)") && !has(p, n, "<script>alert(4)"), "episode summary escaped");
	tap_ok(has(p, n, "team &quot;a&quot;\\b\nc"), "channel name escaped");
	tap_ok(inert(p, n), "overview has no script, handler or javascript: URL");
	tap_ok(clean_utf8(p, n), "overview is valid UTF-8 without NUL");
	tap_ok(web_html_overview(s, &p2, &n2) == ERR_OK && n == n2 && memcmp(p, p2, n) == 0,
	       "rendering is a pure function of the snapshot");
	free(p);
	free(p2);
	web_snapshot_free(s);
}

static void domain_page(void)
{
	struct web_snapshot *s = fixture_snapshot(NOW);
	char *p = NULL;
	size_t n = 0;

	if (!tap_is_int(web_html_domain(s, &s->domains[0], &p, &n), ERR_OK,
			"domain page renders")) {
		web_snapshot_free(s);
		return;
	}
	tap_ok(has(p, n, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"),
	       "hostile evidence appears escaped");
	tap_ok(!has(p, n, FIXTURE_HOSTILE) && !has(p, n, "<script>alert(1)"),
	       "hostile evidence never appears raw");
	tap_ok(has(p, n, "v=spf1 \xef\xbf\xbd\xef\xbf\xbd a\\x00b -all"),
	       "invalid UTF-8 becomes U+FFFD, NUL shows as \\x00");
	tap_ok(has(p, n, "<div class=\"fix\"><h3>How to fix</h3>"), "fix is its own box");
	tap_ok(has(p, n, "<code>s1._domainkey.shop.example. TXT &quot;v=DKIM1;"),
	       "backquoted record in the fix is code");
	tap_ok(has(p, n, "Publish <code>&quot;v=spf1 mx -all&quot;</code> instead."),
	       "quoted record in the fix is code");
	tap_ok(memmem(p, n, "DKIM_KEY_MISSING", 16) < memmem(p, n, "SPF_WEIRD_TXT", 13) &&
		   memmem(p, n, "SPF_BINARY", 10) < memmem(p, n, "MTASTS_DNS_TIMEOUT", 18),
	       "findings worst first (critical, warn, unknown)");
	tap_ok(has(p, n, "What passes (1)"), "passing findings folded away");
	tap_ok(has(p, n, "<meter min=\"0\" max=\"11\"") && has(p, n, "1 of 10</b> DNS lookups"),
	       "SPF lookup meter");
	tap_ok(has(p, n, "include:&lt;script&gt;alert(3)&lt;/script&gt;") &&
		   has(p, n, "a\\x00b ?all"),
	       "SPF tree escaped, NUL shown");
	tap_ok(has(p, n, "no SPF record at &lt;b&gt;this&lt;/b&gt; name"), "tree note escaped");
	tap_ok(has(p, n, "ep-7f3a9c") && has(p, n, "550 5.1.1 mailbox unavailable") &&
		   has(p, n, "open for 1 h 30 min") && has(p, n, "resolved after 1 d 0 h"),
	       "episodes with deliveries and durations");
	tap_ok(has(p, n, "Alerting &rarr;") || has(p, n, "Failing, confirming &rarr; Alerting"),
	       "state changes in words");
	tap_is_int((long long)count(p, n, "<i class=\"d-nodata\" title="), 30, "history cells");
	tap_ok(inert(p, n), "domain page has no script, handler or javascript: URL");
	tap_ok(clean_utf8(p, n), "domain page is valid UTF-8 without NUL");
	free(p);
	if (tap_is_int(web_html_domain(s, &s->domains[1], &p, &n), ERR_OK, "ok domain renders")) {
		tap_ok(has(p, n, "Nothing to fix"), "ok domain: nothing to fix");
		tap_ok(has(p, n, "_spf.esp.example") && has(p, n, "5 lookups in total") &&
			   has(p, n, "_nb2.esp.example"),
		       "SPF tree with nested includes");
		tap_ok(!has(p, n, "<code>ip4:192.0.2.1</code>"),
		       "free terms not repeated in the tree");
		free(p);
	}
	if (tap_is_int(web_html_domain(s, &s->domains[3], &p, &n), ERR_OK,
		       "unknown domain renders")) {
		tap_ok(has(p, n, "banner degraded") && has(p, n, "Checked not yet"),
		       "never-checked domain says so");
		free(p);
	}
	web_snapshot_free(s);
}

/* Issue 4: the Probes section of a domain page, with hostile headers escaped. */
static void probe_section(void)
{
	struct web_snapshot *s = fixture_snapshot(NOW);
	char *p = NULL;
	size_t n = 0;

	if (!tap_is_int(web_html_domain(s, &s->domains[0], &p, &n), ERR_OK,
			"probing domain renders")) {
		web_snapshot_free(s);
		return;
	}
	tap_ok(has(p, n, "<h2 id=\"probes\">Probes</h2>"), "Probes section");
	tap_ok(has(p, n, "The last probe did not come back verified") &&
		   has(p, n, "Last round trip: 12.5 s"),
	       "summary: last finished probe failed, last round trip");
	tap_is_int((long long)count(p, n, "<td data-label=\"State\">"), 3, "three probe rows");
	tap_ok(has(p, n, "<span class=\"pill sev-critical\">failed</span>") &&
		   has(p, n, "<span class=\"pill sev-critical\">bounced</span>") &&
		   has(p, n, "<span class=\"pill sev-critical\">lost</span>"),
	       "state badges");
	tap_ok(has(p, n, "<td data-label=\"Folder\"><span class=\"pill sev-warn\">spam</span>"),
	       "spam folder flagged");
	tap_ok(has(p, n, "<td data-label=\"SPF\"><span class=\"pill sev-ok\">pass</span>") &&
		   has(p, n,
		       "<td data-label=\"DKIM\"><span class=\"pill sev-critical\">fail</span>") &&
		   has(p, n, "sev-critical\">fail</span> <b>not aligned</b>"),
	       "SPF/DKIM/DMARC verdict badges and alignment");
	tap_ok(has(p, n, "5.1.1</span> userunknown") &&
		   has(p, n,
		       "550 5.1.1 &lt;x@shop.example&gt;: &lt;script&gt;alert(7)&lt;/script&gt;"),
	       "bounce status, reason and escaped diagnostic");
	tap_ok(has(p, n, "no return within 15 min"), "error of a lost probe");
	tap_ok(has(p, n, "<details><summary>Headers</summary>") &&
		   has(p, n,
		       "Subject: &lt;script&gt;alert(5)&lt;/script&gt;\nX-Evil: "
		       "&quot;&#39;&amp;\\x00\n"),
	       "headers in details: escaped, CRLF as line breaks, NUL shown");
	tap_ok(has(p, n, "dkim=fail &lt;svg/onload=alert(6)&gt;"), "our A-R escaped");
	tap_ok(has(p, n, "mx.google.com; dmarc=fail header.from=&lt;b&gt;shop.example&lt;/b&gt;"),
	       "upstream A-R escaped");
	tap_ok(has(p, n, "d=esp.example s=s1 a=rsa-sha256 fail &lt;i&gt;bad sig&lt;/i&gt;"),
	       "DKIM signatures escaped");
	tap_ok(has(p, n, "<pre>not json &lt;script&gt;alert(8)&lt;/script&gt;</pre>"),
	       "detail that is not JSON shown as escaped text");
	tap_ok(!has(p, n, FIXTURE_PROBE_HEADER) && !has(p, n, FIXTURE_PROBE_AUTHRES) &&
		   !has(p, n, FIXTURE_PROBE_NOT_JSON) && !has(p, n, FIXTURE_PROBE_DIAG) &&
		   !has(p, n, "<b>shop.example</b>") && !has(p, n, "<i>bad sig"),
	       "no probe text appears raw");
	tap_ok(inert(p, n) && clean_utf8(p, n), "the page stays inert and valid UTF-8");
	free(p);
	if (tap_is_int(web_html_domain(s, &s->domains[1], &p, &n), ERR_OK, "verified renders")) {
		tap_ok(has(p, n, "The last probe came back verified") &&
			   has(p, n, "Last round trip: 3.2 s") &&
			   has(p, n, "sev-ok\">pass</span> aligned") &&
			   has(p, n, "<span class=\"pill sev-ok\">verified</span>"),
		       "a verified probe");
		free(p);
	}
	if (tap_is_int(web_html_domain(s, &s->domains[2], &p, &n), ERR_OK, "no-probe renders")) {
		tap_ok(!has(p, n, "Probes</h2>"),
		       "no Probes section for a domain that does not probe");
		free(p);
	}
	s->domains[2].have_probes = true;
	if (tap_is_int(web_html_domain(s, &s->domains[2], &p, &n), ERR_OK, "no probe yet")) {
		tap_ok(has(p, n, "Probes</h2>") && has(p, n, "No probe sent yet") &&
			   has(p, n, "No probe has finished yet"),
		       "a probing domain before its first probe");
		free(p);
	}
	web_snapshot_free(s);
}

static void banner_case(const char *status, bool ready, bool degraded, const char *cls,
			const char *words)
{
	struct web_snapshot *s = fixture_single(NOW, status);
	char *p = NULL, want[64];
	size_t n = 0;

	s->ready = ready;
	s->degraded = degraded;
	snprintf(want, sizeof want, "<section class=\"banner %s\"", cls);
	if (tap_is_int(web_html_overview(s, &p, &n), ERR_OK, "overview (%s) renders", status)) {
		tap_ok(has(p, n, want) && has(p, n, words), "status %s ready %d degraded %d: %s",
		       status, ready, degraded, cls);
		free(p);
	}
	web_snapshot_free(s);
}

static void banners(void)
{
	struct web_snapshot *s = web_snapshot_new();
	char *p = NULL;
	size_t n = 0;

	banner_case("ok", true, false, "ok", "All good");
	banner_case("info", true, false, "ok", "All good");
	banner_case("warn", true, false, "degraded", "has warnings");
	banner_case("unknown", true, false, "degraded", "could not be checked");
	banner_case("critical", true, false, "failing", "Failing");
	banner_case("bogus", true, false, "degraded", "could not be checked");
	banner_case("ok", false, false, "degraded", "still running");
	banner_case("ok", true, true, "degraded", "cannot reach its DNS resolver");
	banner_case("critical", true, true, "failing", "cannot reach its DNS resolver");
	s->ready = true;
	if (tap_is_int(web_html_overview(s, &p, &n), ERR_OK, "empty snapshot renders")) {
		tap_ok(has(p, n, "No domain is configured yet"), "empty: says what to do");
		tap_ok(has(p, n, "No alert channel is configured"), "no channel: says so");
		free(p);
	}
	web_snapshot_free(s);
}

static void pieces(void)
{
	struct web_out o;
	char *p = NULL;
	size_t n = 0;
	static const char bidi[] = "ab\xe2\x80\xae"
				   "cd";

	web_out_init(&o, 4096);
	web_spftree_html(&o, "{\"domain\":", 10);
	web_spftree_html(&o, "[1,2]", 5);
	web_out_html(&o, bidi, sizeof bidi - 1);
	web_html_fix_text(&o, "a `b<c` d `unclosed", 19);
	if (tap_is_int(web_out_finish(&o, &p, &n), ERR_OK, "pieces render")) {
		tap_is_int((long long)count(p, n, "could not be read"), 2,
			   "bad tree JSON reported");
		tap_ok(has(p, n, "ab\\u202Ecd"), "bidi override shown as text");
		tap_ok(has(p, n, "a <code>b&lt;c</code> d `unclosed"),
		       "fix text: unmatched backquote kept");
		free(p);
	}
	web_out_init(&o, 16);
	web_out_put(&o, "0123456789abcdef0123");
	tap_is_int(web_out_finish(&o, &p, &n), ERR_LIMIT, "output past its max: ERR_LIMIT");
	if (tap_is_int(web_html_error(404, "<Not> found", "no \"page\"", &p, &n), ERR_OK,
		       "error page renders")) {
		tap_ok(has(p, n, "404 &lt;Not&gt; found") && has(p, n, "no &quot;page&quot;"),
		       "error page escapes");
		free(p);
	}
}

int main(void)
{
	overview();
	domain_page();
	probe_section();
	banners();
	pieces();
	return tap_done();
}
