/*
 * web/api: JSON documents of a snapshot (see api.h).
 */
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "web/api.h"
#include "web/out.h"

static struct common_json *time_value(int64_t t)
{
	char buf[32];
	const char *s = web_out_rfc3339(t, buf, sizeof buf);

	return s ? common_json_string(s, (size_t)-1) : common_json_null();
}

static void set_time(struct common_json *o, const char *key, int64_t t)
{
	common_json_set(o, key, time_value(t));
}

static char *dump(struct common_json *v, bool pretty, size_t *len)
{
	char *s = common_json_dump(v, pretty);

	common_json_free(v);
	*len = strlen(s);
	return s;
}

static struct common_json *finding(const struct web_finding *f)
{
	struct common_json *o = common_json_object();

	common_json_set_str(o, "check", f->check);
	common_json_set_str(o, "code", f->code);
	common_json_set_str(o, "severity", web_sev_name(web_sev_parse(f->severity)));
	common_json_set_str(o, "message", f->message);
	common_json_set_str(o, "fix", f->fix);
	common_json_set(o, "evidence",
			common_json_string(f->evidence, f->evidence ? f->evidence_len : 0));
	return o;
}

static struct common_json *findings(const struct web_finding *f, size_t n)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < n; i++)
		common_json_push(a, finding(&f[i]));
	return a;
}

static struct common_json *episode(const struct web_episode *e)
{
	struct common_json *o = common_json_object(), *a = common_json_array();

	common_json_set_str(o, "id", e->id);
	common_json_set_str(o, "domain", e->domain);
	common_json_set_str(o, "check", e->check);
	common_json_set_str(o, "severity", web_sev_name(web_sev_parse(e->severity)));
	common_json_set_bool(o, "open", e->open);
	set_time(o, "started_at", e->started_at);
	set_time(o, "ended_at", e->open ? 0 : e->ended_at);
	common_json_set_str(o, "summary", e->summary);
	for (size_t i = 0; i < e->n_deliveries; i++) {
		const struct web_delivery *d = &e->deliveries[i];
		struct common_json *j = common_json_object();

		common_json_set_str(j, "channel", d->channel);
		common_json_set_str(j, "type", d->type);
		common_json_set_str(j, "status", d->status);
		common_json_set_str(j, "error", d->error);
		common_json_set_int(j, "attempts", d->attempts);
		set_time(j, "updated_at", d->updated_at);
		common_json_push(a, j);
	}
	common_json_set(o, "deliveries", a);
	return o;
}

static struct common_json *episodes(const struct web_episode *e, size_t n)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < n; i++)
		common_json_push(a, episode(&e[i]));
	return a;
}

static struct common_json *checks(const struct web_domain *d)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < d->n_checks; i++) {
		const struct web_check *c = &d->checks[i];
		struct common_json *o = common_json_object();

		common_json_set_str(o, "name", c->name);
		common_json_set_str(o, "severity", web_sev_name(web_sev_parse(c->severity)));
		common_json_set_str(o, "state", web_state_name(c->state));
		set_time(o, "last_checked", c->last_checked);
		set_time(o, "last_ok", c->last_ok);
		common_json_push(a, o);
	}
	return a;
}

static struct common_json *spf(const struct web_domain *d, bool with_tree)
{
	struct common_json *o = common_json_object(), *tree = NULL;

	common_json_set(o, "lookups",
			d->spf_lookups < 0 ? common_json_null() : common_json_int(d->spf_lookups));
	common_json_set(o, "void_lookups",
			d->spf_void_lookups < 0 ? common_json_null()
						: common_json_int(d->spf_void_lookups));
	if (with_tree) {
		/* The tree was stored as JSON text: re-embedded as an object, or null. */
		if (d->spf_tree_json == NULL ||
		    common_json_parse(d->spf_tree_json, strlen(d->spf_tree_json), &tree) != ERR_OK)
			tree = common_json_null();
		common_json_set(o, "tree", tree);
	}
	return o;
}

static struct common_json *summary(const struct web_domain *d, bool with_tree)
{
	struct common_json *o = common_json_object(), *h = common_json_array();
	char *url;

	common_json_set_str(o, "name", d->name);
	common_json_set_str(o, "display", d->display ? d->display : d->name);
	common_json_set_str(o, "status", web_sev_name(web_sev_parse(d->status)));
	set_time(o, "last_checked", d->last_checked);
	url = xasprintf("/domain/%s", d->name ? d->name : "");
	common_json_set_str(o, "url", url);
	free(url);
	url = xasprintf("/badge/%s.svg", d->name ? d->name : "");
	common_json_set_str(o, "badge", url);
	free(url);
	common_json_set(o, "checks", checks(d));
	for (size_t i = 0; i < WEB_HISTORY_DAYS; i++)
		common_json_push(h, common_json_string(web_day_color_name(d->days[i]), (size_t)-1));
	common_json_set(o, "history", h);
	common_json_set(o, "spf", spf(d, with_tree));
	return o;
}

/* A probe (issue 4); detail is the verdict object re-embedded, or null when it does not parse. */
static struct common_json *probe(const struct web_probe *p)
{
	struct common_json *o = common_json_object(), *detail = NULL, *b;
	const char *t;

	common_json_set_str(o, "token", p->token);
	common_json_set_str(o, "state", p->state);
	set_time(o, "created", p->created);
	set_time(o, "submitted", p->submitted);
	set_time(o, "received", p->received);
	common_json_set(o, "roundtrip_seconds",
			p->roundtrip < 0 ? common_json_null() : common_json_real(p->roundtrip));
	common_json_set_str(o, "relay", p->relay);
	common_json_set_str(o, "rcpt", p->rcpt);
	common_json_set_str(o, "folder", p->folder);
	common_json_set_str(o, "spf", p->spf);
	common_json_set_str(o, "dkim", p->dkim);
	common_json_set_str(o, "dmarc", p->dmarc);
	common_json_set_bool(o, "aligned", p->aligned);
	if (p->bounce_status != NULL && p->bounce_status[0] != '\0') {
		b = common_json_object();
		common_json_set_str(b, "status", p->bounce_status);
		common_json_set_str(b, "reason", p->bounce_reason);
		common_json_set_int(b, "reply_code", p->bounce_code);
		common_json_set_str(b, "diagnostic", p->bounce_diag);
		common_json_set(o, "bounce", b);
	} else {
		common_json_set(o, "bounce", common_json_null());
	}
	common_json_set_str(o, "error", p->error);
	/* Only an object that parses is a verdict; anything else is null. */
	t = p->detail_json ? p->detail_json + strspn(p->detail_json, " \t\r\n") : NULL;
	if (t == NULL || *t != '{' || common_json_parse(t, strlen(t), &detail) != ERR_OK)
		detail = common_json_null();
	common_json_set(o, "detail", detail);
	return o;
}

static struct common_json *probes(const struct web_domain *d)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < d->n_probes; i++)
		common_json_push(a, probe(&d->probes[i]));
	return a;
}

/* {enabled, last_roundtrip_seconds, last_success} (null: not known). */
static struct common_json *probe_summary(const struct web_domain *d)
{
	struct common_json *o = common_json_object();

	common_json_set_bool(o, "enabled", d->have_probes);
	common_json_set(o, "last_roundtrip_seconds",
			d->probe_last_roundtrip < 0 ? common_json_null()
						    : common_json_real(d->probe_last_roundtrip));
	common_json_set(o, "last_success",
			d->probe_have_finished ? common_json_bool(d->probe_last_success)
					       : common_json_null());
	return o;
}

char *web_api_probes(const struct web_snapshot *s, const struct web_domain *d, bool pretty,
		     size_t *len)
{
	struct common_json *o = common_json_object();

	set_time(o, "generated_at", s->generated_at);
	common_json_set_str(o, "domain", d->name);
	common_json_set(o, "summary", probe_summary(d));
	common_json_set(o, "probes", probes(d));
	return dump(o, pretty, len);
}

char *web_api_domains(const struct web_snapshot *s, bool pretty, size_t *len)
{
	struct common_json *o = common_json_object(), *a = common_json_array();

	set_time(o, "generated_at", s->generated_at);
	common_json_set_str(o, "version", s->version);
	common_json_set_bool(o, "ready", s->ready);
	common_json_set_str(o, "status", web_overall_name(web_snapshot_overall(s)));
	common_json_set_bool(o, "monitoring_degraded", s->degraded);
	for (size_t i = 0; i < s->n_domains; i++)
		common_json_push(a, summary(&s->domains[i], false));
	common_json_set(o, "domains", a);
	return dump(o, pretty, len);
}

char *web_api_domain(const struct web_snapshot *s, const struct web_domain *d, bool pretty,
		     size_t *len)
{
	struct common_json *o = common_json_object(), *dom = summary(d, true);
	struct common_json *tr = common_json_array();

	set_time(o, "generated_at", s->generated_at);
	common_json_set(dom, "findings", findings(d->findings, d->n_findings));
	for (size_t i = 0; i < d->n_history; i++) {
		const struct web_transition *t = &d->history[i];
		struct common_json *j = common_json_object();

		set_time(j, "at", t->at);
		common_json_set_str(j, "check", t->check);
		common_json_set_str(j, "from", web_state_name(t->from));
		common_json_set_str(j, "to", web_state_name(t->to));
		common_json_set_str(j, "severity", web_sev_name(web_sev_parse(t->severity)));
		common_json_push(tr, j);
	}
	common_json_set(dom, "transitions", tr);
	common_json_set(dom, "episodes", episodes(d->episodes, d->n_episodes));
	common_json_set(dom, "probe_summary", probe_summary(d));
	common_json_set(dom, "probes", probes(d));
	common_json_set(o, "domain", dom);
	return dump(o, pretty, len);
}

char *web_api_alerts(const struct web_snapshot *s, bool pretty, size_t *len)
{
	struct common_json *o = common_json_object(), *ch = common_json_array();

	set_time(o, "generated_at", s->generated_at);
	common_json_set(o, "episodes", episodes(s->episodes, s->n_episodes));
	for (size_t i = 0; i < s->n_channels; i++) {
		const struct web_channel *c = &s->channels[i];
		struct common_json *j = common_json_object();

		common_json_set_str(j, "name", c->name);
		common_json_set_str(j, "type", c->type);
		common_json_set_int(j, "sent", (long long)c->sent);
		common_json_set_int(j, "failed", (long long)c->failed);
		common_json_set_int(j, "queued", (long long)c->queued);
		common_json_push(ch, j);
	}
	common_json_set(o, "channels", ch);
	common_json_set(o, "readiness", findings(s->readiness, s->n_readiness));
	return dump(o, pretty, len);
}

char *web_api_error(int status, const char *message, size_t *len)
{
	struct common_json *o = common_json_object();

	common_json_set_str(o, "error", message);
	common_json_set_int(o, "status", status);
	return dump(o, false, len);
}

char *web_api_accepted(const char *action, const char *domain, size_t *len)
{
	struct common_json *o = common_json_object();

	common_json_set_str(o, "status", "accepted");
	common_json_set_str(o, "action", action);
	if (domain != NULL)
		common_json_set_str(o, "domain", domain);
	return dump(o, false, len);
}
