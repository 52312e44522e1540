/*
 * tests/web/fixture: hostile fixture snapshots (see fixture.h).
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "common/xmalloc.h"
#include "tests/web/fixture.h"

static const char TREE_OK[] =
    "{\"domain\":\"example.com\",\"status\":\"ok\",\"record\":\"v=spf1 "
    "include:_spf.esp.example include:mailgun.example ip4:192.0.2.1 -all\",\"lookups\":5,"
    "\"void_lookups\":0,\"terms\":["
    "{\"term\":\"include:_spf.esp.example\",\"lookups\":3,\"include\":{\"domain\":\"_spf.esp."
    "example\",\"status\":\"ok\",\"record\":\"v=spf1 include:_nb1.esp.example "
    "include:_nb2.esp.example ~all\",\"lookups\":2,\"void_lookups\":0,\"terms\":["
    "{\"term\":\"include:_nb1.esp.example\",\"lookups\":1,\"include\":{\"domain\":\"_nb1.esp."
    "example\",\"status\":\"ok\",\"record\":\"v=spf1 ip4:198.51.100.0/24 ~all\",\"lookups\":0,"
    "\"void_lookups\":0,\"terms\":[{\"term\":\"ip4:198.51.100.0/24\",\"lookups\":0}]}},"
    "{\"term\":\"include:_nb2.esp.example\",\"lookups\":1,\"include\":{\"domain\":\"_nb2.esp."
    "example\",\"status\":\"ok\",\"record\":\"v=spf1 ip6:2001:db8::/32 ~all\",\"lookups\":0,"
    "\"void_lookups\":0,\"terms\":[]}}]}},"
    "{\"term\":\"include:mailgun.example\",\"lookups\":1,\"include\":{\"domain\":\"mailgun."
    "example\",\"status\":\"ok\",\"record\":\"v=spf1 ip4:203.0.113.0/24 -all\",\"lookups\":0,"
    "\"void_lookups\":0,\"terms\":[]}},"
    "{\"term\":\"ip4:192.0.2.1\",\"lookups\":0},{\"term\":\"-all\",\"lookups\":0}]}";

static const char TREE_HOSTILE[] =
    "{\"domain\":\"shop.example\",\"status\":\"ok\",\"record\":\"v=spf1 "
    "include:<script>alert(3)</script> a\\u0000b ?all\",\"lookups\":1,\"void_lookups\":1,"
    "\"terms\":[{\"term\":\"include:<script>alert(3)</script>\",\"lookups\":1,\"note\":\"no "
    "SPF record at <b>this</b> name\",\"include\":{\"domain\":\"<script>alert(3)</script>\","
    "\"status\":\"missing\",\"record\":null,\"error\":\"no v=spf1 record\",\"lookups\":0,"
    "\"void_lookups\":1,\"terms\":[]}},{\"term\":\"?all\",\"lookups\":0}]}";

static void add_check(struct web_domain *d, const char *name, const char *sev, enum web_state st,
		      int64_t checked, int64_t ok)
{
	struct web_check *c;

	d->checks = xreallocarray(d->checks, d->n_checks + 1, sizeof *d->checks);
	c = &d->checks[d->n_checks++];
	c->name = xstrdup(name);
	c->severity = xstrdup(sev);
	c->state = st;
	c->last_checked = checked;
	c->last_ok = ok;
}

static void add_finding(struct web_finding **v, size_t *n, const char *check, const char *code,
			const char *sev, const char *msg, const char *fix, const char *ev,
			size_t evlen)
{
	struct web_finding *f;

	*v = xreallocarray(*v, *n + 1, sizeof **v);
	f = &(*v)[(*n)++];
	memset(f, 0, sizeof *f);
	f->check = xstrdup(check);
	f->code = xstrdup(code);
	f->severity = xstrdup(sev);
	f->message = xstrdup(msg);
	f->fix = fix ? xstrdup(fix) : NULL;
	if (ev != NULL) {
		f->evidence = xmemdup0(ev, evlen);
		f->evidence_len = evlen;
	}
}

static struct web_domain *add_domain(struct web_snapshot *s, const char *name, const char *display,
				     const char *status, int64_t checked)
{
	struct web_domain *d;

	s->domains = xreallocarray(s->domains, s->n_domains + 1, sizeof *s->domains);
	d = &s->domains[s->n_domains++];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	d->display = xstrdup(display);
	d->status = xstrdup(status);
	d->last_checked = checked;
	d->spf_lookups = -1;
	d->spf_void_lookups = -1;
	d->probe_last_roundtrip = -1;
	return d;
}

static void add_transition(struct web_domain *d, int64_t at, const char *check, enum web_state from,
			   enum web_state to, const char *sev)
{
	struct web_transition *t;

	d->history = xreallocarray(d->history, d->n_history + 1, sizeof *d->history);
	t = &d->history[d->n_history++];
	t->at = at;
	t->check = xstrdup(check);
	t->from = from;
	t->to = to;
	t->severity = xstrdup(sev);
}

static void fill_episode(struct web_episode *e, const char *id, const char *domain,
			 const char *check, const char *sev, bool open, int64_t start, int64_t end,
			 const char *summary)
{
	memset(e, 0, sizeof *e);
	e->id = xstrdup(id);
	e->domain = xstrdup(domain);
	e->check = xstrdup(check);
	e->severity = xstrdup(sev);
	e->open = open;
	e->started_at = start;
	e->ended_at = end;
	e->summary = xstrdup(summary);
}

static void add_delivery(struct web_episode *e, const char *channel, const char *type,
			 const char *status, const char *error, unsigned attempts, int64_t at)
{
	struct web_delivery *d;

	e->deliveries = xreallocarray(e->deliveries, e->n_deliveries + 1, sizeof *e->deliveries);
	d = &e->deliveries[e->n_deliveries++];
	d->channel = xstrdup(channel);
	d->type = xstrdup(type);
	d->status = xstrdup(status);
	d->error = error ? xstrdup(error) : NULL;
	d->attempts = attempts;
	d->updated_at = at;
}

static struct web_probe *add_probe(struct web_domain *d, const char *token, const char *state,
				   int64_t created, double roundtrip)
{
	struct web_probe *p;

	d->probes = xreallocarray(d->probes, d->n_probes + 1, sizeof *d->probes);
	p = &d->probes[d->n_probes++];
	memset(p, 0, sizeof *p);
	p->token = xstrdup(token);
	p->state = xstrdup(state);
	p->created = created;
	p->submitted = created + 1;
	p->received = roundtrip >= 0 ? created + 1 + (int64_t)roundtrip : 0;
	p->roundtrip = roundtrip;
	p->relay = xstrdup("main");
	p->rcpt = xstrdup("probe@in.example");
	p->folder = xstrdup("");
	p->spf = xstrdup("");
	p->dkim = xstrdup("");
	p->dmarc = xstrdup("");
	p->bounce_status = xstrdup("");
	p->bounce_reason = xstrdup("");
	p->bounce_diag = xstrdup("");
	p->error = xstrdup("");
	return p;
}

static void set(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* shop.example's probes: newest first, every string hostile somewhere. */
static void shop_probes(struct web_domain *d, int64_t now)
{
	struct web_probe *p;

	d->have_probes = true;
	p = add_probe(d, "mpshopfailed00000000000000000", "failed", now - 600, 12.5);
	set(&p->folder, "spam");
	set(&p->spf, "pass");
	set(&p->dkim, "fail");
	set(&p->dmarc, "fail");
	p->detail_json = xstrdup(
	    "{\"headers\":\"Subject: " FIXTURE_PROBE_HEADER "\\r\\nX-Evil: \\\"'&\\u0000\\r\\n\","
	    "\"authres\":\"mx.mailpulse.example; dkim=fail " FIXTURE_PROBE_AUTHRES "\","
	    "\"upstream\":[{\"authserv_id\":\"mx.google.com\",\"method\":\"dmarc\","
	    "\"result\":\"fail\",\"props\":\"header.from=<b>shop.example</b>\"}],"
	    "\"dkim\":[{\"domain\":\"esp.example\",\"selector\":\"s1\",\"algorithm\":"
	    "\"rsa-sha256\",\"result\":\"fail\",\"error\":\"<i>bad sig</i>\"}],"
	    "\"client_ip\":\"192.0.2.25\"}");
	p = add_probe(d, "mpshopbounced0000000000000000", "bounced", now - 4200, -1);
	set(&p->bounce_status, "5.1.1");
	set(&p->bounce_reason, "userunknown");
	p->bounce_code = 550;
	set(&p->bounce_diag, "550 5.1.1 <x@shop.example>: " FIXTURE_PROBE_DIAG);
	p->detail_json = xstrdup(FIXTURE_PROBE_NOT_JSON);
	p = add_probe(d, "mpshoplost000000000000000000", "lost", now - 7800, -1);
	set(&p->error, "no return within 15 min");
	d->probe_last_roundtrip = 12.5;
	d->probe_have_finished = true;
	d->probe_last_success = false;
}

static void example_probes(struct web_domain *d, int64_t now)
{
	struct web_probe *p =
	    add_probe(d, "mpexampleok00000000000000000", "verified", now - 300, 3.25);

	d->have_probes = true;
	set(&p->folder, "inbox");
	set(&p->spf, "pass");
	set(&p->dkim, "pass");
	set(&p->dmarc, "pass");
	p->aligned = true;
	p->detail_json = xstrdup("{\"authres\":\"mx.mailpulse.example; spf=pass; dkim=pass; "
				 "dmarc=pass\"}");
	d->probe_last_roundtrip = 3.25;
	d->probe_have_finished = true;
	d->probe_last_success = true;
}

/* The two alert episodes of shop.example, copied into e (2 slots). */
static void shop_episodes(struct web_episode *e, int64_t now)
{
	fill_episode(&e[0], "ep-7f3a9c", "shop.example", "dkim", "critical", true, now - 5400, 0,
		     "DKIM key for selector s1 is missing <script>alert(4)</script>");
	add_delivery(&e[0], "ops-slack", "slack", "sent", NULL, 1, now - 5300);
	add_delivery(&e[0], "oncall-mail", "email", "failed", "550 5.1.1 mailbox unavailable", 4,
		     now - 4000);
	fill_episode(&e[1], "ep-51b2d0", "shop.example", "spf", "warn", false, now - 86400 * 12,
		     now - 86400 * 11, "SPF record ends with ?all");
	add_delivery(&e[1], "ops-slack", "slack", "sent", NULL, 2, now - 86400 * 11);
}

static void shop(struct web_snapshot *s, int64_t now)
{
	struct web_domain *d = add_domain(s, "shop.example", "shop.example", "critical", now - 120);

	add_check(d, "spf", "warn", WEB_STATE_RESOLVING, now - 120, now - 86400);
	add_check(d, "dkim", "critical", WEB_STATE_FIRING, now - 120, now - 7200);
	add_check(d, "dmarc", "ok", WEB_STATE_OK, now - 120, now - 120);
	add_check(d, "mx", "ok", WEB_STATE_OK, now - 120, now - 120);
	add_check(d, "mta-sts", "unknown", WEB_STATE_UNKNOWN, now - 120, 0);
	for (size_t i = 0; i < WEB_HISTORY_DAYS; i++)
		d->days[i] = i < 30 ? WEB_DAY_NODATA : i % 7 == 0 ? WEB_DAY_WARN : WEB_DAY_OK;
	d->days[WEB_HISTORY_DAYS - 1] = WEB_DAY_CRIT;
	d->days[WEB_HISTORY_DAYS - 2] = WEB_DAY_CRIT;
	add_finding(
	    &d->findings, &d->n_findings, "dkim", "DKIM_KEY_MISSING", "critical",
	    "No DKIM key is published for selector s1: receivers cannot verify your "
	    "signatures.",
	    "Publish the key for this selector: `s1._domainkey.shop.example. TXT "
	    "\"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArHbdeXxbXFix\"`",
	    NULL, 0);
	add_finding(&d->findings, &d->n_findings, "spf", "SPF_WEIRD_TXT", "warn",
		    "A TXT record next to SPF holds markup.", "Remove the record.", FIXTURE_HOSTILE,
		    strlen(FIXTURE_HOSTILE));
	add_finding(&d->findings, &d->n_findings, "spf", "SPF_BINARY", "warn",
		    "The SPF record holds bytes that are not text.",
		    "Publish \"v=spf1 mx -all\" instead.", FIXTURE_BINARY, FIXTURE_BINARY_LEN);
	add_finding(&d->findings, &d->n_findings, "dmarc", "DMARC_OK", "ok",
		    "DMARC policy is reject.", NULL, "v=DMARC1; p=reject", 18);
	add_finding(&d->findings, &d->n_findings, "mta-sts", "MTASTS_DNS_TIMEOUT", "unknown",
		    "The MTA-STS record could not be read: the DNS did not answer in time.", NULL,
		    NULL, 0);
	d->spf_lookups = 1;
	d->spf_void_lookups = 1;
	d->spf_tree_json = xstrdup(TREE_HOSTILE);
	add_transition(d, now - 5400, "dkim", WEB_STATE_PENDING, WEB_STATE_FIRING, "critical");
	add_transition(d, now - 6000, "dkim", WEB_STATE_OK, WEB_STATE_PENDING, "critical");
	add_transition(d, now - 86400, "spf", WEB_STATE_FIRING, WEB_STATE_RESOLVING, "warn");
	d->episodes = xcalloc(2, sizeof *d->episodes);
	d->n_episodes = 2;
	shop_episodes(d->episodes, now);
	shop_probes(d, now);
}

static void example(struct web_snapshot *s, int64_t now)
{
	struct web_domain *d = add_domain(s, "example.com", "example.com", "ok", now - 60);
	static const char *const checks[] = {"spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt"};

	for (size_t i = 0; i < 6; i++)
		add_check(d, checks[i], "ok", WEB_STATE_OK, now - 60, now - 60);
	for (size_t i = 0; i < WEB_HISTORY_DAYS; i++)
		d->days[i] = i < 10 ? WEB_DAY_NODATA : WEB_DAY_OK;
	add_finding(&d->findings, &d->n_findings, "spf", "SPF_OK", "ok",
		    "SPF is valid and ends with -all; 5 of 10 lookups.", NULL,
		    "v=spf1 include:_spf.esp.example include:mailgun.example ip4:192.0.2.1 -all",
		    73);
	add_finding(&d->findings, &d->n_findings, "dmarc", "DMARC_OK", "ok",
		    "DMARC policy is reject.", NULL, NULL, 0);
	d->spf_lookups = 5;
	d->spf_void_lookups = 0;
	d->spf_tree_json = xstrdup(TREE_OK);
	example_probes(d, now);
}

static void buecher(struct web_snapshot *s, int64_t now)
{
	struct web_domain *d = add_domain(s, "xn--bcher-kva.example",
					  "b\xc3\xbc"
					  "cher.example",
					  "warn", now - 300);

	add_check(d, "spf", "ok", WEB_STATE_OK, now - 300, now - 300);
	add_check(d, "dkim", "ok", WEB_STATE_OK, now - 300, now - 300);
	add_check(d, "dmarc", "warn", WEB_STATE_PENDING, now - 300, now - 3600);
	for (size_t i = 0; i < WEB_HISTORY_DAYS; i++)
		d->days[i] = i < 60 ? WEB_DAY_NODATA : i < 80 ? WEB_DAY_OK : WEB_DAY_WARN;
	add_finding(&d->findings, &d->n_findings, "dmarc", "DMARC_POLICY_NONE", "warn",
		    "DMARC is in monitoring mode (p=none): spoofed mail is still delivered.",
		    "When reports show all your mail passes, publish "
		    "\"v=DMARC1; p=quarantine; rua=mailto:dmarc@xn--bcher-kva.example\".",
		    "v=DMARC1; p=none", 16);
	d->spf_lookups = 2;
	d->spf_void_lookups = 0;
}

static void channels(struct web_snapshot *s)
{
	static const struct {
		const char *name, *type;
		uint64_t sent, failed;
		size_t queued;
	} ch[] = {
	    {"ops-slack", "slack", 5, 0, 0},
	    {"oncall-mail", "email", 3, 1, 2},
	    {FIXTURE_CHANNEL_ODD, "webhook", 0, 0, 0},
	};

	s->channels = xcalloc(3, sizeof *s->channels);
	s->n_channels = 3;
	for (size_t i = 0; i < 3; i++) {
		s->channels[i].name = xstrdup(ch[i].name);
		s->channels[i].type = xstrdup(ch[i].type);
		s->channels[i].sent = ch[i].sent;
		s->channels[i].failed = ch[i].failed;
		s->channels[i].queued = ch[i].queued;
	}
}

struct web_snapshot *fixture_snapshot(int64_t now)
{
	struct web_snapshot *s = web_snapshot_new();

	s->generated_at = now;
	s->version = xstrdup("0.3.0-test");
	s->ready = true;
	s->last_reload_ok = true;
	s->last_reload_at = now - 3600;
	s->last_reload_success_at = now - 3600;
	s->refresh_seconds = 60;
	shop(s, now);
	example(s, now);
	buecher(s, now);
	add_domain(s, "new.example", "new.example", "unknown", 0);
	s->episodes = xcalloc(2, sizeof *s->episodes);
	s->n_episodes = 2;
	shop_episodes(s->episodes, now);
	channels(s);
	add_finding(&s->readiness, &s->n_readiness, "alert", "ALERT_SINGLE_RECIPIENT", "warn",
		    "Alerts reach only one person: if they are away, nobody hears that mail broke.",
		    "Add a second recipient or channel in an `[alert NAME]` section.", NULL, 0);
	return s;
}

struct web_snapshot *fixture_single(int64_t now, const char *status)
{
	struct web_snapshot *s = web_snapshot_new();
	struct web_domain *d;

	s->generated_at = now;
	s->version = xstrdup("0.3.0-test");
	s->ready = true;
	s->last_reload_ok = true;
	s->last_reload_at = now - 60;
	d = add_domain(s, "one.example", "one.example", status, now - 30);
	add_check(d, "spf", status, WEB_STATE_OK, now - 30, now - 30);
	return s;
}

struct web_snapshot *fixture_many(int64_t now, size_t n)
{
	static const char *const checks[] = {"spf",	"dkim",	   "dmarc", "mx",
					     "mta-sts", "tls-rpt", "bimi"};
	struct web_snapshot *s = web_snapshot_new();

	s->generated_at = now;
	s->version = xstrdup("0.3.0-test");
	s->ready = true;
	s->refresh_seconds = 60;
	for (size_t i = 0; i < n; i++) {
		char name[64];
		struct web_domain *d;

		snprintf(name, sizeof name, "d%06zu.example", i);
		d = add_domain(s, name, name, i % 50 == 7 ? "critical" : "ok", now - 60);
		for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++)
			add_check(d, checks[c], i % 50 == 7 && c == 2 ? "critical" : "ok",
				  WEB_STATE_OK, now - 60, now - 60);
		for (size_t k = 0; k < WEB_HISTORY_DAYS; k++)
			d->days[k] = (i + k) % 41 == 0 ? WEB_DAY_WARN : WEB_DAY_OK;
	}
	return s;
}

char *web_fixture_gunzip(const char *gz, size_t len, size_t *out_len)
{
	z_stream z = {0};
	size_t cap = len * 64 + 1024;
	char *out = xmalloc(cap);
	int rc;

	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)gz;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	rc = inflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END || z.avail_in != 0) {
		free(out);
		return NULL;
	}
	return out;
}
