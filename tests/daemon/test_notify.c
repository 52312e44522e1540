/*
 * tests/daemon/test_notify: the notification payloads, read back by an
 * independent parser (tests/daemon/notify_check.py: Python's json, hmac and
 * email packages): Slack blocks and escaping, the generic webhook body and
 * its Standard Webhooks signature (the spec's published vector and Python's
 * hmac), and the alert e-mail (well-formed multipart, headers, threading,
 * CRLF, line lengths, encoded subjects, no header injection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "daemon/notify.h"
#include "daemon/notify_mail.h"
#include "tests/lib/tap.h"

#define T0 1787407380 /* 2026-08-22 14:03:00 UTC */
#define PY "/usr/bin/python3"
#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static const struct daemon_notify_opts opts = {.dashboard_url = "https://status.example.com/",
					       .version = "0.1.0"};
static bool have_py;

/* ---- building groups by hand ---- */

static void add_finding(struct daemon_alert_event *e, const char *code, enum dns_sev sev,
			const char *msg, const char *fix)
{
	e->findings = xreallocarray(e->findings, e->nfindings + 1, sizeof *e->findings);
	e->findings[e->nfindings].code = xstrdup(code);
	e->findings[e->nfindings].sev = sev;
	e->findings[e->nfindings].message = xstrdup(msg);
	e->findings[e->nfindings].fix = fix ? xstrdup(fix) : NULL;
	e->nfindings++;
}

static struct daemon_alert_event *add_event(struct daemon_alert_group *g, enum daemon_alert_kind k,
					    const char *check, enum dns_sev sev)
{
	struct daemon_alert_event *e;

	g->events = xreallocarray(g->events, g->nevents + 1, sizeof *g->events);
	e = &g->events[g->nevents++];
	memset(e, 0, sizeof *e);
	e->kind = k;
	e->domain = xstrdup(g->domain);
	e->check = xstrdup(check);
	e->severity = e->now_sev = sev;
	e->started_at = T0;
	e->fired_at = T0 + 120;
	e->failures = 3;
	daemon_alert_episode_id(g->domain, check, sev, T0, e->episode_id);
	if (k == DAEMON_ALERT_RESOLVED_EV) {
		e->ended_at = T0 + 7500;
		e->duration = 7500;
		e->now_sev = SEV_OK;
	}
	return e;
}

static void group(struct daemon_alert_group *g, const char *domain)
{
	memset(g, 0, sizeof *g);
	g->domain = xstrdup(domain);
	g->at = T0 + 150;
}

/* example.com: a critical DKIM firing and a resolved SPF warning. */
static void sample(struct daemon_alert_group *g, const char *message)
{
	struct daemon_alert_event *e;

	group(g, "example.com");
	e = add_event(g, DAEMON_ALERT_FIRING_EV, "dkim", SEV_CRITICAL);
	add_finding(e, "DKIM_KEY_MISSING", SEV_CRITICAL, message,
		    "Publish the TXT record: v=DKIM1; k=rsa; p=MIIB");
	e = add_event(g, DAEMON_ALERT_RESOLVED_EV, "spf", SEV_WARN);
	add_finding(e, "SPF_TOO_MANY_LOOKUPS", SEV_WARN, "11 lookups", NULL);
}

/* ---- the Python reader ---- */

static char *write_tmp(const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", tap_tmpdir(), name);
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len)
		fatal("cannot write %s", path);
	fclose(f);
	return path;
}

/* Run notify_check.py MODE on data; returns its "key\tvalue" lines (caller frees). */
static char *check(const char *mode, const char *data, size_t len, const char *extra)
{
	char *path = write_tmp(mode, data, len);
	char *cmd = xasprintf("%s '%s/tests/daemon/notify_check.py' %s '%s' %s 2>&1", PY,
			      tap_srcdir(), mode, path, extra ? extra : "");
	FILE *p = popen(cmd, "r");
	char *out = xcalloc(1, 1 << 20);
	size_t n = p ? fread(out, 1, (1 << 20) - 1, p) : 0;

	if (p != NULL)
		pclose(p);
	out[n] = '\0';
	free(cmd);
	free(path);
	return out;
}

/* The value of key in the reader's output, unescaped (caller frees), or NULL. */
static char *fact(const char *facts, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = facts; l != NULL && *l != '\0';) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		if (len > klen && strncmp(l, key, klen) == 0 && l[klen] == '\t') {
			char *v = xcalloc(1, len), *o = v;

			for (const char *p = l + klen + 1; p < l + len; p++) {
				if (*p == '\\' && p + 1 < l + len) {
					p++;
					*o++ = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p;
				} else {
					*o++ = *p;
				}
			}
			return v;
		}
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static bool fact_is(const char *facts, const char *key, const char *want, const char *name)
{
	char *got = fact(facts, key);
	bool ok = tap_is_str(got, want, "%s", name);

	if (!ok && strstr(facts, "error\t") != NULL)
		tap_diag("reader: %s", facts);
	free(got);
	return ok;
}

static bool fact_has(const char *facts, const char *key, const char *needle, const char *name)
{
	char *got = fact(facts, key);
	bool ok = tap_ok(got != NULL && strstr(got, needle) != NULL, "%s", name);

	if (!ok)
		tap_diag("%s = %s; wanted it to contain %s", key, got ? got : "(none)", needle);
	free(got);
	return ok;
}

static long long fact_int(const char *facts, const char *key)
{
	char *v = fact(facts, key);
	long long n = v ? strtoll(v, NULL, 10) : -1;

	free(v);
	return n;
}

static const char *header(const struct daemon_notify_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nheaders; i++)
		if (strcmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

/* ---- helpers without Python ---- */

static void test_helpers(void)
{
	struct daemon_alert_group g;
	char *s, buf[32];

	sample(&g, "m");
	s = daemon_notify_title(&g.events[0]);
	tap_is_str(s, "DKIM key missing", "title from the finding code");
	free(s);
	s = daemon_notify_title(&g.events[1]);
	tap_is_str(s, "SPF too many lookups", "title keeps the check's spelling");
	free(s);
	free(g.events[1].findings[0].code);
	g.events[1].findings[0].code = xstrdup("bad code <x>");
	s = daemon_notify_title(&g.events[1]);
	tap_is_str(s, "SPF failing", "odd code: generic title");
	free(s);
	s = daemon_notify_when(&g.events[0]);
	tap_is_str(s, "since 2026-08-22 14:03 UTC, 3 failed checks", "when: firing");
	free(s);
	s = daemon_notify_when(&g.events[1]);
	tap_is_str(s, "lasted 2h 5m (2026-08-22 14:03 UTC to 16:08 UTC)", "when: resolved");
	free(s);
	tap_is_str(daemon_notify_time_rfc3339(T0, buf, sizeof buf), "2026-08-22T14:03:00Z",
		   "RFC 3339 UTC");
	s = daemon_notify_link(&opts, "ex ample/x?");
	tap_is_str(s, "https://status.example.com/domain/ex%20ample%2Fx%3F",
		   "dashboard link percent-encodes the name, one slash");
	free(s);
	s = daemon_notify_link(&opts, "");
	tap_is_str(s, "https://status.example.com", "monitoring itself links to the overview");
	free(s);
	tap_ok(daemon_notify_link(&(struct daemon_notify_opts){0}, "a") == NULL,
	       "no dashboard configured: no link");
	tap_is_str(daemon_notify_status_word(&g.events[0]), "CRITICAL", "status word");
	g.events[0].kind = DAEMON_ALERT_REMINDER_EV;
	tap_is_str(daemon_notify_status_word(&g.events[0]), "STILL CRITICAL", "reminder word");
	tap_ok(daemon_notify_id_ok("msg_2KWPBg-1") && !daemon_notify_id_ok("") &&
		   !daemon_notify_id_ok("a b") && !daemon_notify_id_ok("a\r\nX: y") &&
		   !daemon_notify_id_ok("a.b"),
	       "message ids: [A-Za-z0-9_-] only");
	daemon_alert_group_free(&g);
}

/* ---- Slack ---- */

static void test_slack(void)
{
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	char *f, *want;

	sample(&g, "The DKIM selector s1 has no key at s1._domainkey.example.com.");
	tap_ok(daemon_notify_slack(&g, &opts, &m) == ERR_OK, "slack: built");
	tap_is_str(header(&m, "Content-Type"), "application/json; charset=utf-8",
		   "slack: content type");
	f = check("slack", m.body, m.body_len, NULL);
	fact_is(f, "top_keys", "text,attachments", "slack: top-level text and attachments only");
	fact_is(f, "text", ":red_circle: CRITICAL example.com: DKIM key missing (+1 more)",
		"slack: text (the phone notification)");
	fact_is(f, "color", "#e01e5a", "slack: red bar for a critical firing");
	fact_is(f, "types", "header,section,section,context,actions",
		"slack: header, a section per event, context, button");
	fact_is(f, "header", "example.com: 1 critical, 1 resolved", "slack: header counts");
	want =
	    xasprintf(":red_circle: *DKIM \xc2\xb7 CRITICAL* \xe2\x80\x94 DKIM key missing\n"
		      "\xe2\x80\xa2 The DKIM selector s1 has no key at s1._domainkey.example.com.\n"
		      "    _Fix:_ Publish the TXT record: v=DKIM1; k=rsa; p=MIIB\n"
		      "since 2026-08-22 14:03 UTC, 3 failed checks \xc2\xb7 episode `%s`",
		      g.events[0].episode_id);
	fact_is(f, "section0", want, "slack: firing section (finding, fix, since, failures, id)");
	free(want);
	want = xasprintf(":large_green_circle: *SPF \xc2\xb7 RESOLVED* \xe2\x80\x94 SPF too many "
			 "lookups\nlasted 2h 5m (2026-08-22 14:03 UTC to 16:08 UTC) \xc2\xb7 "
			 "episode `%s`",
			 g.events[1].episode_id);
	fact_is(f, "section1", want, "slack: resolved section with the duration");
	free(want);
	fact_is(f, "context", "mailpulse 0.1.0", "slack: context line");
	fact_is(f, "button", "https://status.example.com/domain/example.com",
		"slack: dashboard button");
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);

	/* Hostile text from DNS. */
	sample(&g, "<!channel> & <https://evil.example|click> \xff\xfe");
	tap_ok(daemon_notify_slack(&g, &(struct daemon_notify_opts){0}, &m) == ERR_OK,
	       "slack: hostile text built");
	tap_ok(strstr(m.body, "<!channel>") == NULL && strstr(m.body, "<https://evil") == NULL,
	       "slack: no raw <!channel> or <link> in the body");
	f = check("slack", m.body, m.body_len, NULL);
	fact_has(
	    f, "section0",
	    "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; \xef\xbf\xbd\xef\xbf\xbd",
	    "slack: &, <, > escaped; invalid UTF-8 replaced; strict JSON parses");
	fact_is(f, "types", "header,section,section,context", "slack: no button without dashboard");
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
}

static void test_slack_colours(void)
{
	static const struct {
		enum daemon_alert_kind k;
		enum dns_sev s;
		const char *colour, *header;
	} c[] = {
	    {DAEMON_ALERT_FIRING_EV, SEV_WARN, "#ecb22e", "example.com: 1 warning"},
	    {DAEMON_ALERT_REMINDER_EV, SEV_CRITICAL, "#e01e5a", "example.com: 1 critical"},
	    {DAEMON_ALERT_RESOLVED_EV, SEV_CRITICAL, "#2eb886", "example.com: 1 resolved"},
	};

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct daemon_alert_group g;
		struct daemon_notify_msg m;
		char *f;

		group(&g, "example.com");
		add_event(&g, c[i].k, "dmarc", c[i].s);
		if (daemon_notify_slack(&g, &opts, &m) != ERR_OK)
			fatal("slack");
		f = check("slack", m.body, m.body_len, NULL);
		fact_is(f, "color", c[i].colour, daemon_alert_kind_name(c[i].k));
		fact_is(f, "header", c[i].header, "header");
		free(f);
		daemon_notify_msg_free(&m);
		daemon_alert_group_free(&g);
	}
}

static void test_slack_big(void)
{
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	char *big = xcalloc(1, 5001), *f;

	memset(big, '<', 5000);
	group(&g, "example.com");
	for (int i = 0; i < 30; i++) {
		char check[16];
		struct daemon_alert_event *e;

		snprintf(check, sizeof check, "c%02d", i);
		e = add_event(&g, DAEMON_ALERT_FIRING_EV, check, SEV_CRITICAL);
		for (int j = 0; j < 5; j++)
			add_finding(e, "X_Y", SEV_CRITICAL, big, big);
	}
	tap_ok(daemon_notify_slack(&g, &opts, &m) == ERR_OK, "slack: 30 events, huge texts");
	f = check("slack", m.body, m.body_len, NULL);
	tap_is_int(fact_int(f, "nsections"), DAEMON_NOTIFY_MAX_LISTED, "slack: 20 listed");
	tap_ok(fact_int(f, "nblocks") <= 50, "slack: within 50 blocks");
	tap_ok(fact_int(f, "max_section") > 2000 && fact_int(f, "max_section") <= 3000,
	       "slack: every section within 3000 characters (%lld)", fact_int(f, "max_section"));
	fact_has(f, "context", "and 10 more", "slack: the rest counted");
	fact_has(f, "text", "(+29 more)", "slack: text counts the rest");
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
	memset(big, '&', 400);
	big[400] = '\0';
	group(&g, big);
	add_event(&g, DAEMON_ALERT_FIRING_EV, "dkim", SEV_CRITICAL);
	if (daemon_notify_slack(&g, &opts, &m) != ERR_OK)
		fatal("slack");
	f = check("slack", m.body, m.body_len, NULL);
	{
		char *h = fact(f, "header");

		tap_ok(h != NULL && strlen(h) <= 150 && strncmp(h, "&amp;&amp;", 10) == 0,
		       "slack: header within 150 characters after escaping");
		free(h);
	}
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
	group(&g, "example.com");
	tap_ok(daemon_notify_slack(&g, &opts, &m) == ERR_INVAL, "slack: empty group refused");
	daemon_alert_group_free(&g);
	free(big);
}

/* ---- generic webhook ---- */

static void test_webhook_secret(void)
{
	unsigned char *k = NULL, *k2 = NULL, mac[32];
	size_t n = 0, n2 = 0;
	const char *signed_content =
	    "msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}";
	char *b64;

	tap_ok(daemon_notify_webhook_secret(SECRET, &k, &n) == ERR_OK && n == 24,
	       "secret: whsec_ base64 decoded to 24 bytes");
	tap_ok(daemon_notify_webhook_secret(&SECRET[6], &k2, &n2) == ERR_OK && n2 == n &&
		   memcmp(k, k2, n) == 0,
	       "secret: the prefix is optional");
	/* The vector published with the Standard Webhooks spec. */
	common_crypto_hmac_sha256(k, n, signed_content, strlen(signed_content), mac);
	b64 = common_crypto_b64_encode(mac, sizeof mac);
	tap_is_str(b64, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		   "Standard Webhooks published signature vector");
	free(b64);
	free(k);
	free(k2);
	k = NULL;
	tap_ok(daemon_notify_webhook_secret("whsec_!!!!", &k, &n) == ERR_INVAL && k == NULL,
	       "secret: not base64 refused");
	tap_ok(daemon_notify_webhook_secret("whsec_c2hvcnQ=", &k, &n) == ERR_INVAL,
	       "secret: 5-byte key refused");
	tap_ok(daemon_notify_webhook_secret(NULL, &k, &n) == ERR_INVAL, "secret: NULL refused");
}

static void test_webhook(void)
{
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	unsigned char *key;
	size_t keylen;
	char *f, *want, *extra;

	if (daemon_notify_webhook_secret(SECRET, &key, &keylen) != ERR_OK)
		fatal("secret");
	sample(&g, "s1 has no key");
	tap_ok(daemon_notify_webhook(&g.events[0], &opts, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
				     T0 + 150, key, keylen, &m) == ERR_OK,
	       "webhook: built");
	tap_is_str(header(&m, "webhook-id"), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
		   "webhook-id is the outbox id");
	tap_is_str(header(&m, "webhook-timestamp"), "1787407530", "webhook-timestamp (unix s)");
	tap_is_str(header(&m, "Content-Type"), "application/json", "webhook: content type");
	extra = xasprintf("'%s' msg_2KWPBgLlAfxdpx2AI54pPJ85f4W 1787407530", SECRET);
	f = check("sig", m.body, m.body_len, extra);
	want = fact(f, "sig");
	tap_is_str(header(&m, "webhook-signature"), want,
		   "webhook-signature equals Python's hmac over id.timestamp.body");
	free(want);
	free(f);
	free(extra);
	tap_ok(strstr(m.body, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == NULL &&
		   strstr(header(&m, "webhook-signature"), "MfKQ9r8G") == NULL,
	       "webhook: the secret appears nowhere");
	f = check("webhook", m.body, m.body_len, NULL);
	fact_is(f, "keys",
		"version,event,episode_id,domain,check,severity,status,current_severity,"
		"started_at,fired_at,ended_at,duration_seconds,failures,summary,findings,"
		"url,dashboard_url,sent_at",
		"webhook: versioned body, fixed key order");
	fact_is(f, "version", "\"1\"", "webhook: version 1");
	fact_is(f, "event", "\"alert.firing\"", "webhook: event");
	want = xasprintf("\"%s\"", g.events[0].episode_id);
	fact_is(f, "episode_id", want, "webhook: episode id");
	free(want);
	fact_is(f, "domain", "\"example.com\"", "webhook: domain");
	fact_is(f, "severity", "\"critical\"", "webhook: severity");
	fact_is(f, "status", "\"firing\"", "webhook: status");
	fact_is(f, "started_at", "\"2026-08-22T14:03:00Z\"", "webhook: started_at RFC 3339");
	fact_is(f, "fired_at", "\"2026-08-22T14:05:00Z\"", "webhook: fired_at");
	fact_is(f, "ended_at", "null", "webhook: ended_at null while firing");
	fact_is(f, "duration_seconds", "null", "webhook: duration null while firing");
	fact_is(f, "failures", "3", "webhook: failures");
	fact_is(f, "summary", "\"DKIM key missing\"", "webhook: summary");
	fact_is(f, "findings",
		"[{\"code\":\"DKIM_KEY_MISSING\",\"severity\":\"critical\",\"message\":\"s1 has no "
		"key\",\"fix\":\"Publish the TXT record: v=DKIM1; k=rsa; p=MIIB\"}]",
		"webhook: findings");
	fact_is(f, "url", "\"https://status.example.com/domain/example.com\"",
		"webhook: url is the domain's status page");
	fact_is(f, "dashboard_url", "\"https://status.example.com\"",
		"webhook: dashboard_url is the overview");
	fact_is(f, "sent_at", "\"2026-08-22T14:05:30Z\"", "webhook: sent_at");
	free(f);
	daemon_notify_msg_free(&m);
	tap_ok(daemon_notify_webhook(&g.events[0], &opts, "a\r\nX-Evil: 1", T0, key, keylen, &m) ==
		   ERR_INVAL,
	       "webhook: a msg_id that could inject a header is refused");
	daemon_alert_group_free(&g);
	explicit_bzero(key, keylen);
	free(key);
}

static void test_webhook_kinds(void)
{
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	unsigned char *key;
	size_t keylen;
	char *f;

	if (daemon_notify_webhook_secret(SECRET, &key, &keylen) != ERR_OK)
		fatal("secret");
	sample(&g, "s1 has no key");
	tap_ok(daemon_notify_webhook(&g.events[1], NULL, "m2", T0 + 7600, NULL, 0, &m) == ERR_OK &&
		   m.nheaders == 3 && header(&m, "webhook-signature") == NULL,
	       "webhook: no key, no signature header");
	g.events[1].now_sev = SEV_WARN;
	daemon_notify_msg_free(&m);
	if (daemon_notify_webhook(&g.events[1], NULL, "m2", T0 + 7600, NULL, 0, &m) != ERR_OK)
		fatal("webhook");
	f = check("webhook", m.body, m.body_len, NULL);
	fact_is(f, "event", "\"alert.resolved\"", "webhook resolved: event");
	fact_is(f, "status", "\"resolved\"", "webhook resolved: status");
	fact_is(f, "ended_at", "\"2026-08-22T16:08:00Z\"", "webhook resolved: ended_at");
	fact_is(f, "duration_seconds", "7500", "webhook resolved: duration in seconds");
	fact_is(f, "current_severity", "\"warn\"", "webhook resolved: what remains");
	fact_is(f, "url", "null", "webhook: no public URL, url null");
	fact_is(f, "dashboard_url", "null", "webhook: no public URL, dashboard_url null");
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);

	daemon_alert_test_group(&g, "ops-hook", T0);
	if (daemon_notify_webhook(&g.events[0], &opts, "t1", T0, key, keylen, &m) != ERR_OK)
		fatal("webhook");
	f = check("webhook", m.body, m.body_len, NULL);
	fact_is(f, "event", "\"test\"", "webhook test: event test");
	fact_is(f, "domain", "null", "webhook test: domain null");
	fact_has(f, "findings", "ops-hook", "webhook test: names the channel");
	fact_is(f, "url", "\"https://status.example.com\"", "webhook test: url is the overview");
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
	explicit_bzero(key, keylen);
	free(key);
}

/* ---- e-mail ---- */

static const char *const rcpts[] = {"alice@example.org", "bob@example.org"};
static const struct daemon_notify_mail_opts mopts = {
    .from = "alerts@Ops.Example.net", .from_name = "mailpulse ops", .to = rcpts, .nto = 2};

static void mail_shape(const char *f, const char *what)
{
	tap_ok(fact_int(f, "defects") == 0 && fact_int(f, "bare_lf") == 0 &&
		   fact_int(f, "bare_cr") == 0 && fact_int(f, "non_ascii") == 0,
	       "%s: no MIME defects, CRLF only, 7-bit", what);
	tap_ok(fact_int(f, "max_line") <= 78, "%s: lines <= 78 octets (%lld)", what,
	       fact_int(f, "max_line"));
	fact_is(f, "ends_crlf", "true", "ends with CRLF");
}

static void test_mail(void)
{
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	char *f, *want;

	sample(&g, "<script>alert(1)</script> & \"q\"");
	tap_ok(daemon_notify_mail(&g, &opts, &mopts, "42", T0 + 150, &m) == ERR_OK, "mail: built");
	tap_ok(m.nheaders == 0 && strstr(m.body, "\r\n\r\n") != NULL, "mail: one complete message");
	f = check("mail", m.body, m.body_len, NULL);
	mail_shape(f, "mail");
	fact_is(f, "content_type", "multipart/alternative", "mail: multipart/alternative");
	fact_is(f, "parts", "text/plain,text/html", "mail: text and HTML parts");
	fact_is(f, "charsets", "utf-8,utf-8", "mail: UTF-8 parts");
	fact_is(f, "cte", "quoted-printable,quoted-printable", "mail: quoted-printable");
	fact_is(f, "subject", "[mailpulse] CRITICAL example.com: DKIM key missing (+1 more)",
		"mail: subject");
	fact_is(f, "from_addr", "alerts@Ops.Example.net", "mail: From address");
	fact_is(f, "from_name", "mailpulse ops", "mail: From name");
	fact_is(f, "to_addrs", "alice@example.org,bob@example.org", "mail: To has all recipients");
	tap_is_int(fact_int(f, "date"), T0 + 150, "mail: Date is now");
	want = xasprintf("<mailpulse.42.%.16s@ops.example.net>", g.events[0].episode_id);
	fact_is(f, "message-id", want, "mail: Message-ID from the outbox id");
	free(want);
	want = xasprintf("<%s@ops.example.net> <%s@ops.example.net>", g.events[0].episode_id,
			 g.events[1].episode_id);
	fact_is(f, "in-reply-to", want, "mail: In-Reply-To the episodes' thread ids");
	fact_is(f, "references", want, "mail: References the episodes' thread ids");
	free(want);
	fact_is(f, "list-id", "mailpulse alerts <mailpulse.ops.example.net>", "mail: List-Id");
	fact_is(f, "auto-submitted", "auto-generated", "mail: Auto-Submitted (RFC 3834)");
	fact_is(f, "x-auto-response-suppress", "All", "mail: no auto-replies");
	fact_is(f, "mime-version", "1.0", "mail: MIME-Version");
	fact_has(f, "plain",
		 "CRITICAL  DKIM: DKIM key missing\n  since 2026-08-22 14:03 UTC, 3 failed "
		 "checks\n  - <script>alert(1)</script> & \"q\"\n    Fix: Publish the TXT record",
		 "mail: text part lists finding and fix");
	fact_has(f, "plain", "RESOLVED  SPF: SPF too many lookups\n  lasted 2h 5m",
		 "mail: text part has the resolve with its duration");
	fact_has(f, "plain", "Dashboard:\nhttps://status.example.com/domain/example.com\n",
		 "mail: the text part links the domain page, on a line of its own");
	fact_has(f, "html",
		 "<a href=\"https://status.example.com/domain/example.com\">Open example.com on "
		 "the status page</a>",
		 "mail: the HTML part links the domain page");
	fact_has(f, "html", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;",
		 "mail: HTML escapes text from DNS");
	{
		char *html = fact(f, "html");

		tap_ok(html != NULL && strstr(html, "<script>") == NULL, "mail: no raw <script>");
		free(html);
	}
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
}

static void test_mail_hostile(void)
{
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	struct daemon_notify_mail_opts o = mopts;
	char *f, *big = xcalloc(1, 3001), *msg, *cut;

	/* Non-ASCII subject, a long unbreakable line, SMTP-smuggling-looking lines. */
	memset(big, 'x', 900);
	msg = xasprintf(
	    "Schl\xc3\xbcssel fehlt \xe2\x9c\x93\n.\r\nFrom evil\r\n.\r\nMAIL FROM:<x> %s ", big);
	group(&g, "b\xc3\xbc"
		  "cher.example");
	add_finding(add_event(&g, DAEMON_ALERT_FIRING_EV, "dkim", SEV_CRITICAL), "DKIM_KEY_MISSING",
		    SEV_CRITICAL, msg, NULL);
	memset(big, 'y', 3000);
	add_finding(&g.events[0], "DKIM_KEY_WEAK", SEV_CRITICAL, big, NULL);
	big[1000] = '\0';
	cut = xasprintf("  - %s\xe2\x80\xa6\n", big);
	memset(big, 'x', 900);
	big[900] = '\0';
	o.from_name = "evil\r\nBcc: victim@example.org";
	tap_ok(daemon_notify_mail(&g, &opts, &o, "43", T0, &m) == ERR_OK, "mail: hostile built");
	tap_ok(strstr(m.body, "\r\n.\r\n") == NULL && strstr(m.body, "\r\nFrom ") == NULL &&
		   strstr(m.body, "\r\nBcc:") == NULL,
	       "mail: no end-of-data line, no 'From ' line start, no injected header");
	f = check("mail", m.body, m.body_len, NULL);
	mail_shape(f, "hostile mail");
	fact_is(f, "subject",
		"[mailpulse] CRITICAL b\xc3\xbc"
		"cher.example: DKIM key missing",
		"mail: non-ASCII subject round-trips through RFC 2047");
	fact_is(f, "bcc", "", "mail: CR LF in the display name cannot add a header");
	fact_is(f, "from_name", "evil  Bcc: victim@example.org", "mail: it stays in the name");
	fact_has(f, "plain", "Schl\xc3\xbcssel fehlt \xe2\x9c\x93", "mail: UTF-8 text intact");
	fact_has(f, "plain", big, "mail: 900-byte line soft-broken and restored");
	fact_has(f, "plain", cut, "mail: a 3000-byte finding is cut at 1000 bytes, marked");
	fact_has(f, "plain", "\n. \nFrom evil \n. \nMAIL FROM:<x> x",
		 "mail: dot and From lines survive encoded; CRs became spaces");
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
	free(msg);
	free(big);
	free(cut);
}

/* Resolved subject and the test message. */
static void test_mail_kinds(void)
{
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	char *f;

	group(&g, "example.com");
	add_finding(add_event(&g, DAEMON_ALERT_RESOLVED_EV, "spf", SEV_WARN),
		    "SPF_TOO_MANY_LOOKUPS", SEV_WARN, "11 lookups", NULL);
	if (daemon_notify_mail(&g, &opts, &mopts, "44", T0, &m) != ERR_OK)
		fatal("mail");
	f = check("mail", m.body, m.body_len, NULL);
	fact_is(f, "subject",
		"[mailpulse] RESOLVED example.com: SPF too many lookups (lasted 2h 5m)",
		"mail: resolved subject with duration");
	fact_is(f, "x-mailpulse-event", "resolved", "mail: event header");
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
	daemon_alert_test_group(&g, "ops-mail", T0);
	if (daemon_notify_mail(&g, &opts, &mopts, "45", T0, &m) != ERR_OK)
		fatal("mail");
	f = check("mail", m.body, m.body_len, NULL);
	mail_shape(f, "test mail");
	fact_is(f, "subject", "[mailpulse] TEST mailpulse: Test message", "mail: test subject");
	fact_is(f, "in-reply-to", "", "mail: test message starts no thread");
	fact_has(f, "plain", "ops-mail", "mail: test names the channel");
	free(f);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
}

static void test_mail_refusals(void)
{
	static const struct {
		const char *a;
		bool ok;
	} addrs[] = {{"a@b.c", true},	      {"first.last+tag@example.org", true},
		     {".a@b.c", false},	      {"a..b@c.d", false},
		     {"a.@b.c", false},	      {"a@", false},
		     {"@b.c", false},	      {"a@b@c.d", false},
		     {"a b@c.d", false},      {"a@b..c", false},
		     {"\xc3\xa4@b.c", false}, {"a@b.c>\r\nBcc: x@y.z", false}};
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	struct daemon_notify_mail_opts o = mopts;
	const char *bad[] = {"alice@example.org", "x@y.z\r\nBcc: v@w.x"};

	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
		tap_ok(daemon_notify_mail_addr_ok(addrs[i].a) == addrs[i].ok, "address %zu %s", i,
		       addrs[i].ok ? "accepted" : "refused");
	sample(&g, "m");
	o.to = bad;
	tap_ok(daemon_notify_mail(&g, &opts, &o, "1", T0, &m) == ERR_INVAL,
	       "mail: a bad recipient is refused");
	o = mopts;
	o.nto = 0;
	tap_ok(daemon_notify_mail(&g, &opts, &o, "1", T0, &m) == ERR_INVAL, "mail: no recipient");
	tap_ok(daemon_notify_mail(&g, &opts, &mopts, "1 2", T0, &m) == ERR_INVAL,
	       "mail: bad msg_id refused");
	daemon_alert_group_free(&g);
	group(&g, "example.com");
	tap_ok(daemon_notify_mail(&g, &opts, &mopts, "1", T0, &m) == ERR_INVAL,
	       "mail: empty group refused");
	daemon_alert_group_free(&g);
}

/*
 * [web] public_url reaches every channel as the domain page link, escaped
 * for each: the base loses its query and fragment, anything that is not a
 * URI character is percent-encoded, & becomes &amp; in HTML only.
 */
static void test_links(void)
{
	static const struct daemon_notify_opts odd = {
	    .dashboard_url = "https://s.example/a b\"c<d>|e\\f%zz%41&x=1//?q=<y>#frag"};
	static const char want[] =
	    "https://s.example/a%20b%22c%3Cd%3E%7Ce%5Cf%25zz%41&x=1/domain/b%C3%BCcher.example";
	struct daemon_alert_group g;
	struct daemon_notify_msg m;
	char *s, *f, *big = xcalloc(1, 3001);

	group(&g, "b\xc3\xbc"
		  "cher.example");
	add_finding(add_event(&g, DAEMON_ALERT_FIRING_EV, "dkim", SEV_CRITICAL), "DKIM_KEY_MISSING",
		    SEV_CRITICAL, "m", NULL);
	s = daemon_notify_link(&odd, g.domain);
	tap_is_str(s, want, "link: query and fragment dropped, unsafe bytes and stray %% encoded");
	free(s);
	if (daemon_notify_slack(&g, &odd, &m) != ERR_OK)
		fatal("slack");
	f = check("slack", m.body, m.body_len, NULL);
	fact_is(f, "button", want, "link: the Slack button carries it exactly");
	free(f);
	daemon_notify_msg_free(&m);
	if (daemon_notify_webhook(&g.events[0], &odd, "m1", T0, NULL, 0, &m) != ERR_OK)
		fatal("webhook");
	f = check("webhook", m.body, m.body_len, NULL);
	s = xasprintf("\"%s\"", want);
	fact_is(f, "url", s, "link: the webhook's url carries it exactly");
	free(s);
	fact_is(f, "dashboard_url", "\"https://s.example/a%20b%22c%3Cd%3E%7Ce%5Cf%25zz%41&x=1\"",
		"link: the webhook's dashboard_url is the overview");
	free(f);
	daemon_notify_msg_free(&m);
	if (daemon_notify_mail(&g, &odd, &mopts, "46", T0, &m) != ERR_OK)
		fatal("mail");
	f = check("mail", m.body, m.body_len, NULL);
	mail_shape(f, "mail with an odd link");
	s = xasprintf("\n%s\n", want);
	fact_has(f, "plain", s, "link: the text part carries it on its own line");
	free(s);
	fact_has(f, "html",
		 "<a href=\"https://s.example/a%20b%22c%3Cd%3E%7Ce%5Cf%25zz%41&amp;x=1/domain/"
		 "b%C3%BCcher.example\">Open b\xc3\xbc"
		 "cher.example on the status page</a>",
		 "link: the HTML part escapes & in the href");
	free(f);
	daemon_notify_msg_free(&m);
	/* Too long for Slack's button: no link anywhere rather than a refused message. */
	memcpy(big, "https://s.example/", 18);
	memset(big + 18, 'p', 2982);
	if (daemon_notify_mail(&g, &(struct daemon_notify_opts){.dashboard_url = big}, &mopts, "47",
			       T0, &m) != ERR_OK)
		fatal("mail");
	tap_ok(strstr(m.body, "Dashboard:") == NULL && strstr(m.body, "href") == NULL,
	       "link: over %d bytes, left out", DAEMON_NOTIFY_MAX_LINK);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
	free(big);
}

int main(void)
{
	test_helpers();
	test_webhook_secret();
	test_mail_refusals();
	have_py = access(PY, X_OK) == 0;
	if (!have_py) {
		tap_skip("/usr/bin/python3 is not installed: payloads not read back");
		return tap_done();
	}
	test_slack();
	test_slack_colours();
	test_slack_big();
	test_webhook();
	test_webhook_kinds();
	test_mail();
	test_mail_hostile();
	test_mail_kinds();
	test_links();
	return tap_done();
}
