/*
 * daemon/notify: Slack and generic webhook payloads, and the text helpers
 * shared with daemon/notify_mail (see notify.h).
 *
 * Every string that reaches a payload may hold bytes from DNS: common/json
 * makes it valid UTF-8 and escapes it for JSON; for Slack, &, < and > are
 * also turned into entities so a record cannot ping a channel (<!channel>)
 * or forge a link.  Lengths are capped to Slack's block limits.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "common/buf.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/xmalloc.h"
#include "daemon/notify.h"

/* Slack limits: header text 150, section text 3000, button url 3000. */
#define SLACK_HEADER_MAX 150
#define SLACK_SECTION_MAX 2900
#define SLACK_FINDINGS 3
#define SLACK_PIECE_MAX 600

void daemon_notify_msg_free(struct daemon_notify_msg *m)
{
	if (m == NULL)
		return;
	free(m->body);
	for (size_t i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	memset(m, 0, sizeof *m);
}

static void add_header(struct daemon_notify_msg *m, const char *name, const char *value)
{
	m->headers = xreallocarray(m->headers, m->nheaders + 1, sizeof *m->headers);
	m->headers[m->nheaders].name = xstrdup(name);
	m->headers[m->nheaders].value = xstrdup(value);
	m->nheaders++;
}

/* ---- shared text helpers ---- */

bool daemon_notify_id_ok(const char *id)
{
	size_t i;

	if (id == NULL)
		return false;
	for (i = 0; id[i] != '\0'; i++) {
		char c = id[i];

		if (i >= DAEMON_NOTIFY_MAX_ID ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return i > 0;
}

static const struct {
	const char *check, *code_prefix, *label;
} labels[] = {
    {"spf", "SPF", "SPF"},
    {"dkim", "DKIM", "DKIM"},
    {"dmarc", "DMARC", "DMARC"},
    {"mx", "MX", "MX"},
    {"mta-sts", "MTASTS", "MTA-STS"},
    {"tls-rpt", "TLSRPT", "TLS-RPT"},
    {"bimi", "BIMI", "BIMI"},
    {"dns", "DNS", "DNS"},
    {DAEMON_ALERT_SELF_CHECK, "MONITORING", "Monitoring"},
    {"test", "ALERT", "Test"},
};

const char *daemon_notify_check_label(const char *check)
{
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(labels[i].check, check) == 0)
			return labels[i].label;
	return check;
}

/* "DKIM_KEY_MISSING" -> "DKIM key missing"; NULL unless code is [A-Z0-9_]+. */
static char *code_words(const char *code)
{
	size_t n = strlen(code), first = strcspn(code, "_");
	const char *lead = NULL;
	struct buf b;

	if (n == 0 || n > 64 || strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
		return NULL;
	for (size_t i = 0; i < sizeof labels / sizeof labels[0] && lead == NULL; i++)
		if (strlen(labels[i].code_prefix) == first &&
		    strncmp(labels[i].code_prefix, code, first) == 0)
			lead = labels[i].label;
	common_buf_init(&b, 256);
	if (lead != NULL) {
		if (common_buf_puts(&b, lead) != ERR_OK)
			fatal("notify: title");
		code += first;
	}
	for (; *code != '\0'; code++) {
		char c = *code == '_' ? ' ' : *code;

		/* Words after the first are lower case; the first keeps a capital. */
		if (c >= 'A' && c <= 'Z' && b.len > 0)
			c = (char)(c + 32);
		if ((b.len > 0 || c != ' ') && common_buf_putc(&b, c) != ERR_OK)
			fatal("notify: title");
	}
	return common_buf_steal(&b, NULL);
}

char *daemon_notify_title(const struct daemon_alert_event *ev)
{
	char *t = NULL;

	if (ev->kind == DAEMON_ALERT_TEST_EV)
		return xstrdup("Test message");
	if (ev->nfindings > 0 && ev->findings[0].code != NULL)
		t = code_words(ev->findings[0].code);
	return t != NULL ? t : xasprintf("%s failing", daemon_notify_check_label(ev->check));
}

const char *daemon_notify_status_word(const struct daemon_alert_event *ev)
{
	bool crit = ev->severity == SEV_CRITICAL;

	switch (ev->kind) {
	case DAEMON_ALERT_FIRING_EV:
		return crit ? "CRITICAL" : "WARNING";
	case DAEMON_ALERT_REMINDER_EV:
		return crit ? "STILL CRITICAL" : "STILL WARNING";
	case DAEMON_ALERT_RESOLVED_EV:
		return "RESOLVED";
	case DAEMON_ALERT_TEST_EV:
	case DAEMON_ALERT_NONE:
		break;
	}
	return "TEST";
}

const char *daemon_notify_domain_label(const char *domain)
{
	return domain[0] != '\0' ? domain : "mailpulse";
}

static void utc(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, tm) == NULL)
		memset(tm, 0, sizeof *tm);
}

const char *daemon_notify_time_rfc3339(int64_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	utc(t, &tm);
	snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

const char *daemon_notify_time_text(int64_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	utc(t, &tm);
	snprintf(buf, bufsz, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min);
	return buf;
}

/* RFC 3986 2.2-2.3: reserved and unreserved characters, which a URI holds as they are. */
static bool uri_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=", c) != NULL);
}

static bool hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * The base URL as it goes into a link: up to its query or fragment, without
 * trailing slashes, every byte that is not a URI character (RFC 3986 2) and
 * every '%' that does not start a percent-encoding percent-encoded.  So a
 * link never holds a space, quote, '<', '>', '|' or backslash, whatever the
 * configured string, and is safe in JSON, an HTML attribute (after HTML
 * escaping) and Slack text.
 */
static void link_base(struct buf *b, const char *base)
{
	size_t n = strcspn(base, "?#");

	while (n > 0 && base[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)base[i];
		bool pct =
		    c == '%' && i + 2 < n && hex_digit(base[i + 1]) && hex_digit(base[i + 2]);
		enum mp_err e = uri_char(c) || pct ? common_buf_putc(b, (char)c)
						   : common_buf_printf(b, "%%%02X", c);

		if (e != ERR_OK)
			fatal("notify: link");
	}
}

char *daemon_notify_link(const struct daemon_notify_opts *o, const char *domain)
{
	struct buf b;

	if (o == NULL || o->dashboard_url == NULL || o->dashboard_url[0] == '\0')
		return NULL;
	common_buf_init(&b, 3 * strlen(o->dashboard_url) + 16 + 3 * strlen(domain));
	link_base(&b, o->dashboard_url);
	/* The status page's per-domain page (web/html.c: /domain/NAME). */
	if (domain[0] != '\0' && common_buf_puts(&b, "/domain/") != ERR_OK)
		fatal("notify: link");
	for (const unsigned char *p = (const unsigned char *)domain; *p != '\0'; p++) {
		bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
			    *p == '~';
		enum mp_err e =
		    keep ? common_buf_putc(&b, (char)*p) : common_buf_printf(&b, "%%%02X", *p);

		if (e != ERR_OK)
			fatal("notify: link");
	}
	/* Slack refuses a button url over 3000 characters: no link beats no message. */
	if (b.len > DAEMON_NOTIFY_MAX_LINK || b.len == 0) {
		common_buf_free(&b);
		return NULL;
	}
	return common_buf_steal(&b, NULL);
}

char *daemon_notify_when(const struct daemon_alert_event *ev)
{
	char a[32], b[32], d[32];

	daemon_notify_time_text(ev->started_at, a, sizeof a);
	if (ev->kind == DAEMON_ALERT_TEST_EV)
		return xasprintf("sent %s", a);
	if (ev->kind != DAEMON_ALERT_RESOLVED_EV)
		return xasprintf("since %s, %u failed check%s", a, ev->failures,
				 ev->failures == 1 ? "" : "s");
	daemon_notify_time_text(ev->ended_at, b, sizeof b);
	daemon_alert_duration_text(ev->duration, d, sizeof d);
	/* Same day: show only the time of the end. */
	return xasprintf("lasted %s (%s to %s)", d, a, strncmp(a, b, 11) == 0 ? b + 11 : b);
}

/* ---- Slack ---- */

/* Append s (at most max bytes of it, cut on a UTF-8 boundary) with &, <, > escaped. */
static void slack_esc(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);
	bool cut = n > max;

	if (cut) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		enum mp_err e = s[i] == '&'   ? common_buf_puts(b, "&amp;")
				: s[i] == '<' ? common_buf_puts(b, "&lt;")
				: s[i] == '>' ? common_buf_puts(b, "&gt;")
					      : common_buf_putc(b, s[i]);

		if (e != ERR_OK)
			fatal("notify: slack text");
	}
	if (cut && common_buf_puts(b, "\xe2\x80\xa6") != ERR_OK)
		fatal("notify: slack text");
}

/*
 * Escaping may grow a text past a Slack limit (counted in characters, so
 * bytes are a safe bound): cut b to max bytes on a UTF-8 boundary.
 */
static void cut_buf(struct buf *b, size_t max)
{
	if (b->len <= max)
		return;
	b->len = max;
	while (b->len > 0 && ((unsigned char)b->data[b->len] & 0xc0) == 0x80)
		b->len--;
	b->data[b->len] = '\0';
}

static void put(struct buf *b, const char *s)
{
	if (common_buf_puts(b, s) != ERR_OK)
		fatal("notify: text");
}

static const char *slack_emoji(const struct daemon_alert_event *ev)
{
	if (ev->kind == DAEMON_ALERT_TEST_EV)
		return ":information_source:";
	if (ev->kind == DAEMON_ALERT_RESOLVED_EV)
		return ":large_green_circle:";
	return ev->severity == SEV_CRITICAL ? ":red_circle:" : ":large_orange_circle:";
}

static const char *slack_color(const struct daemon_alert_group *g)
{
	bool warn = false, test = false;

	for (size_t i = 0; i < g->nevents; i++) {
		const struct daemon_alert_event *ev = &g->events[i];

		if (ev->kind == DAEMON_ALERT_FIRING_EV || ev->kind == DAEMON_ALERT_REMINDER_EV) {
			if (ev->severity == SEV_CRITICAL)
				return "#e01e5a";
			warn = true;
		}
		test |= ev->kind == DAEMON_ALERT_TEST_EV;
	}
	return warn ? "#ecb22e" : test ? "#439fe0" : "#2eb886";
}

char *daemon_notify_headline(const struct daemon_alert_group *g)
{
	size_t crit = 0, warn = 0, ok = 0, test = 0;
	struct buf b;

	for (size_t i = 0; i < g->nevents; i++) {
		const struct daemon_alert_event *ev = &g->events[i];

		if (ev->kind == DAEMON_ALERT_TEST_EV)
			test++;
		else if (ev->kind == DAEMON_ALERT_RESOLVED_EV)
			ok++;
		else if (ev->severity == SEV_CRITICAL)
			crit++;
		else
			warn++;
	}
	common_buf_init(&b, strlen(g->domain) + 256);
	if (common_buf_printf(&b, "%s:", daemon_notify_domain_label(g->domain)) != ERR_OK)
		fatal("notify: headline");
	if (test)
		put(&b, " test message,");
	if (crit && common_buf_printf(&b, " %zu critical,", crit) != ERR_OK)
		fatal("notify: headline");
	if (warn && common_buf_printf(&b, " %zu warning,", warn) != ERR_OK)
		fatal("notify: headline");
	if (ok && common_buf_printf(&b, " %zu resolved,", ok) != ERR_OK)
		fatal("notify: headline");
	b.data[--b.len] = '\0'; /* the last comma (or the colon of an empty group) */
	return common_buf_steal(&b, NULL);
}

/* The one-line text of an event: "CRITICAL example.com: DKIM key missing". */
static char *event_line(const struct daemon_alert_event *ev)
{
	char *t = daemon_notify_title(ev);
	char *s = xasprintf("%s %s: %s", daemon_notify_status_word(ev),
			    daemon_notify_domain_label(ev->domain), t);

	free(t);
	return s;
}

static struct common_json *text_obj(const char *type, const char *text)
{
	struct common_json *t = common_json_object();

	common_json_set_str(t, "type", type);
	common_json_set_str(t, "text", text);
	return t;
}

static void slack_findings(struct buf *b, const struct daemon_alert_event *ev)
{
	for (size_t i = 0; i < ev->nfindings && i < SLACK_FINDINGS; i++) {
		put(b, "\n\xe2\x80\xa2 ");
		slack_esc(b, ev->findings[i].message, SLACK_PIECE_MAX);
		if (ev->findings[i].fix != NULL && ev->findings[i].fix[0] != '\0') {
			put(b, "\n    _Fix:_ ");
			slack_esc(b, ev->findings[i].fix, SLACK_PIECE_MAX);
		}
	}
	if (ev->nfindings > SLACK_FINDINGS &&
	    common_buf_printf(b, "\n_and %zu more finding%s_", ev->nfindings - SLACK_FINDINGS,
			      ev->nfindings - SLACK_FINDINGS == 1 ? "" : "s") != ERR_OK)
		fatal("notify: slack");
}

static struct common_json *slack_section(const struct daemon_alert_event *ev)
{
	struct common_json *sec = common_json_object();
	char *title = daemon_notify_title(ev), *when = daemon_notify_when(ev);
	struct buf b;

	common_buf_init(&b, 64 * 1024);
	if (common_buf_printf(&b, "%s *%s \xc2\xb7 %s* \xe2\x80\x94 ", slack_emoji(ev),
			      daemon_notify_check_label(ev->check),
			      daemon_notify_status_word(ev)) != ERR_OK)
		fatal("notify: slack");
	slack_esc(&b, title, SLACK_PIECE_MAX);
	if (ev->kind == DAEMON_ALERT_RESOLVED_EV && ev->now_sev == SEV_WARN)
		put(&b, " (a warning remains)");
	if (ev->kind != DAEMON_ALERT_RESOLVED_EV)
		slack_findings(&b, ev);
	put(&b, "\n");
	slack_esc(&b, when, SLACK_PIECE_MAX);
	if (ev->kind != DAEMON_ALERT_TEST_EV &&
	    common_buf_printf(&b, " \xc2\xb7 episode `%s`", ev->episode_id) != ERR_OK)
		fatal("notify: slack");
	cut_buf(&b, SLACK_SECTION_MAX);
	common_json_set_str(sec, "type", "section");
	common_json_set(sec, "text", text_obj("mrkdwn", common_buf_str(&b)));
	free(title);
	free(when);
	common_buf_free(&b);
	return sec;
}

static struct common_json *slack_header(const struct daemon_alert_group *g)
{
	struct common_json *h = common_json_object();
	char *line = daemon_notify_headline(g);
	struct buf b;

	common_buf_init(&b, 8 * SLACK_HEADER_MAX);
	slack_esc(&b, line, SLACK_HEADER_MAX);
	cut_buf(&b, SLACK_HEADER_MAX - 2);
	common_json_set_str(h, "type", "header");
	common_json_set(h, "text", text_obj("plain_text", common_buf_str(&b)));
	free(line);
	common_buf_free(&b);
	return h;
}

static struct common_json *slack_context(const char *text)
{
	struct common_json *c = common_json_object(), *els = common_json_array();

	common_json_set_str(c, "type", "context");
	common_json_push(els, text_obj("mrkdwn", text));
	common_json_set(c, "elements", els);
	return c;
}

static struct common_json *slack_button(const char *url)
{
	struct common_json *a = common_json_object(), *els = common_json_array();
	struct common_json *btn = common_json_object();

	common_json_set_str(btn, "type", "button");
	common_json_set(btn, "text", text_obj("plain_text", "Open dashboard"));
	common_json_set_str(btn, "url", url);
	common_json_push(els, btn);
	common_json_set_str(a, "type", "actions");
	common_json_set(a, "elements", els);
	return a;
}

/* Top-level text: drives the phone notification; mrkdwn, so escaped too. */
static char *slack_text(const struct daemon_alert_group *g)
{
	char *line = event_line(&g->events[0]);
	struct buf b;

	common_buf_init(&b, 8192);
	if (common_buf_printf(&b, "%s ", slack_emoji(&g->events[0])) != ERR_OK)
		fatal("notify: slack");
	slack_esc(&b, line, 600);
	if (g->nevents > 1 && common_buf_printf(&b, " (+%zu more)", g->nevents - 1) != ERR_OK)
		fatal("notify: slack");
	free(line);
	return common_buf_steal(&b, NULL);
}

enum mp_err daemon_notify_slack(const struct daemon_alert_group *g,
				const struct daemon_notify_opts *o, struct daemon_notify_msg *out)
{
	struct common_json *root, *att, *atts, *blocks;
	char *text, *link, *foot;
	size_t shown =
	    g->nevents < DAEMON_NOTIFY_MAX_LISTED ? g->nevents : DAEMON_NOTIFY_MAX_LISTED;

	if (g->nevents == 0)
		return ERR_INVAL;
	root = common_json_object();
	text = slack_text(g);
	common_json_set_str(root, "text", text);
	blocks = common_json_array();
	common_json_push(blocks, slack_header(g));
	for (size_t i = 0; i < shown; i++)
		common_json_push(blocks, slack_section(&g->events[i]));
	if (g->nevents > shown) {
		char *more = xasprintf("_and %zu more; see the dashboard_", g->nevents - shown);

		common_json_push(blocks, slack_context(more));
		free(more);
	}
	foot = xasprintf("mailpulse%s%s", o && o->version ? " " : "",
			 o && o->version ? o->version : "");
	common_json_push(blocks, slack_context(foot));
	link = daemon_notify_link(o, g->domain);
	if (link != NULL)
		common_json_push(blocks, slack_button(link));
	att = common_json_object();
	common_json_set_str(att, "color", slack_color(g));
	common_json_set_str(att, "fallback", text);
	common_json_set(att, "blocks", blocks);
	atts = common_json_array();
	common_json_push(atts, att);
	common_json_set(root, "attachments", atts);
	memset(out, 0, sizeof *out);
	out->body = common_json_dump(root, false);
	out->body_len = strlen(out->body);
	add_header(out, "Content-Type", "application/json; charset=utf-8");
	common_json_free(root);
	free(text);
	free(link);
	free(foot);
	return ERR_OK;
}

/* ---- generic webhook (Standard Webhooks) ---- */

enum mp_err daemon_notify_webhook_secret(const char *secret, unsigned char **key, size_t *keylen)
{
	unsigned char *k = NULL;
	size_t n = 0;

	if (secret == NULL)
		return ERR_INVAL;
	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	if (common_crypto_b64_decode(secret, strlen(secret), &k, &n) != ERR_OK)
		return ERR_INVAL;
	if (n < DAEMON_NOTIFY_KEY_MIN || n > DAEMON_NOTIFY_KEY_MAX) {
		explicit_bzero(k, n);
		free(k);
		return ERR_INVAL;
	}
	*key = k;
	*keylen = n;
	return ERR_OK;
}

static const char *webhook_event(enum daemon_alert_kind k)
{
	switch (k) {
	case DAEMON_ALERT_FIRING_EV:
		return "alert.firing";
	case DAEMON_ALERT_REMINDER_EV:
		return "alert.reminder";
	case DAEMON_ALERT_RESOLVED_EV:
		return "alert.resolved";
	case DAEMON_ALERT_TEST_EV:
	case DAEMON_ALERT_NONE:
		break;
	}
	return "test";
}

static void set_time(struct common_json *o, const char *key, int64_t t)
{
	char buf[32];

	if (t <= 0)
		common_json_set(o, key, common_json_null());
	else
		common_json_set_str(o, key, daemon_notify_time_rfc3339(t, buf, sizeof buf));
}

static struct common_json *webhook_findings(const struct daemon_alert_event *ev)
{
	struct common_json *arr = common_json_array();

	for (size_t i = 0; i < ev->nfindings; i++) {
		struct common_json *f = common_json_object();

		common_json_set_str(f, "code", ev->findings[i].code);
		common_json_set_str(f, "severity", dns_sev_name(ev->findings[i].sev));
		common_json_set_str(f, "message", ev->findings[i].message);
		common_json_set(f, "fix", common_json_string(ev->findings[i].fix, (size_t)-1));
		common_json_push(arr, f);
	}
	return arr;
}

/*
 * Body, version "1" (one event per POST; documented in mailpulse.conf(5),
 * "Webhook payload"; fields are only ever added within a version):
 * {"version","event","episode_id","domain","check","severity","status",
 *  "current_severity","started_at","fired_at","ended_at","duration_seconds",
 *  "failures","summary","findings":[{code,severity,message,fix}],
 *  "url","dashboard_url","sent_at"}
 * domain is null for the monitoring itself and for tests; times are RFC 3339
 * UTC or null; current_severity is what the check shows now ("ok", "warn",
 * "critical"; after a critical resolve it may still be "warn"); url is the
 * domain's page on the status page (the overview for the monitoring itself
 * and tests) and dashboard_url the overview, both null without a public URL.
 */
static char *webhook_body(const struct daemon_alert_event *ev, const struct daemon_notify_opts *o,
			  int64_t now)
{
	struct common_json *j = common_json_object();
	bool test = ev->kind == DAEMON_ALERT_TEST_EV, res = ev->kind == DAEMON_ALERT_RESOLVED_EV;
	char *title = daemon_notify_title(ev), *link = daemon_notify_link(o, ev->domain);
	char *home = daemon_notify_link(o, ""), *body;

	common_json_set_str(j, "version", "1");
	common_json_set_str(j, "event", webhook_event(ev->kind));
	common_json_set_str(j, "episode_id", ev->episode_id);
	common_json_set(j, "domain",
			ev->domain[0] ? common_json_string(ev->domain, (size_t)-1)
				      : common_json_null());
	common_json_set_str(j, "check", ev->check);
	common_json_set_str(j, "severity", dns_sev_name(ev->severity));
	common_json_set_str(j, "status", test ? "test" : res ? "resolved" : "firing");
	common_json_set_str(j, "current_severity", dns_sev_name(ev->now_sev));
	set_time(j, "started_at", ev->started_at);
	set_time(j, "fired_at", ev->fired_at);
	set_time(j, "ended_at", res ? ev->ended_at : 0);
	common_json_set(j, "duration_seconds",
			res ? common_json_int(ev->duration) : common_json_null());
	common_json_set_int(j, "failures", ev->failures);
	common_json_set_str(j, "summary", title);
	common_json_set(j, "findings", webhook_findings(ev));
	common_json_set(j, "url", common_json_string(link, (size_t)-1));
	common_json_set(j, "dashboard_url", common_json_string(home, (size_t)-1));
	set_time(j, "sent_at", now);
	body = common_json_dump(j, false);
	common_json_free(j);
	free(title);
	free(link);
	free(home);
	return body;
}

enum mp_err daemon_notify_webhook(const struct daemon_alert_event *ev,
				  const struct daemon_notify_opts *o, const char *msg_id,
				  int64_t now, const unsigned char *key, size_t keylen,
				  struct daemon_notify_msg *out)
{
	char ts[32];

	if (!daemon_notify_id_ok(msg_id) || now < 0)
		return ERR_INVAL;
	memset(out, 0, sizeof *out);
	out->body = webhook_body(ev, o, now);
	out->body_len = strlen(out->body);
	snprintf(ts, sizeof ts, "%lld", (long long)now);
	add_header(out, "Content-Type", "application/json");
	add_header(out, "webhook-id", msg_id);
	add_header(out, "webhook-timestamp", ts);
	if (key != NULL) {
		/* Standard Webhooks: sign "msg_id.timestamp.body", exactly the bytes sent. */
		char *signed_content = xasprintf("%s.%s.%s", msg_id, ts, out->body);
		unsigned char mac[32];
		char *b64, *sig;

		common_crypto_hmac_sha256(key, keylen, signed_content, strlen(signed_content), mac);
		b64 = common_crypto_b64_encode(mac, sizeof mac);
		sig = xasprintf("v1,%s", b64);
		add_header(out, "webhook-signature", sig);
		free(sig);
		free(b64);
		free(signed_content);
	}
	return ERR_OK;
}
