/*
 * web/api: JSON documents of a snapshot (see api.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/str.h"
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

/* ---- reports (issue 5) ---------------------------------------------- */

/* A JSON integer of an unsigned counter (jansson integers are signed 64-bit). */
static struct common_json *count(uint64_t v)
{
	return common_json_int(v > (uint64_t)INT64_MAX ? INT64_MAX : (long long)v);
}

static struct common_json *ratio(uint64_t part, uint64_t whole)
{
	return whole == 0 ? common_json_null() : common_json_real((double)part / (double)whole);
}

/* A string that is null when empty ("" means not known in a snapshot). */
static struct common_json *str_or_null(const char *s)
{
	return s == NULL || s[0] == '\0' ? common_json_null() : common_json_string(s, (size_t)-1);
}

/* "a.example, b.example" -> ["a.example", "b.example"] (empty items dropped). */
static struct common_json *split_list(const char *s)
{
	struct common_json *a = common_json_array();

	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, ","), b = 0, e = n;

		while (b < e && s[b] == ' ')
			b++;
		while (e > b && s[e - 1] == ' ')
			e--;
		if (e > b)
			common_json_push(a, common_json_string(s + b, e - b));
		s += n + (s[n] == ',');
	}
	return a;
}

/*
 * "certificate-expired:3,starttls-not-supported:1" -> [{type, count}]; an
 * item without a ":N" tail keeps its whole text as type with count null.
 */
static struct common_json *failure_types(const char *s)
{
	struct common_json *a = common_json_array();

	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, ","), colon = n;
		struct common_json *o;
		uint64_t v = 0;

		while (colon > 0 && s[colon - 1] != ':')
			colon--;
		if (n > 0) {
			o = common_json_object();
			if (colon > 1 && colon < n &&
			    common_str_to_u64(s + colon, n - colon, UINT64_MAX, &v) == ERR_OK) {
				common_json_set(o, "type", common_json_string(s, colon - 1));
				common_json_set(o, "count", count(v));
			} else {
				common_json_set(o, "type", common_json_string(s, n));
				common_json_set(o, "count", common_json_null());
			}
			common_json_push(a, o);
		}
		s += n + (s[n] == ',');
	}
	return a;
}

static struct common_json *report_windows(const struct web_reports *r)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < WEB_REPORT_WINDOWS; i++) {
		const struct web_report_window *w = &r->windows[i];
		struct common_json *o = common_json_object();

		common_json_set_int(o, "days", w->days);
		common_json_set(o, "messages", count(w->messages));
		common_json_set(o, "pass", count(w->pass));
		common_json_set(o, "dkim_pass", count(w->dkim_pass));
		common_json_set(o, "spf_pass", count(w->spf_pass));
		common_json_set(o, "quarantined", count(w->quarantined));
		common_json_set(o, "rejected", count(w->rejected));
		common_json_set(o, "ratio",
				w->ratio < 0 || w->messages == 0 ? common_json_null()
								 : common_json_real(w->ratio));
		common_json_push(a, o);
	}
	return a;
}

static struct common_json *report_recommendation(const struct web_reports *r)
{
	struct common_json *o = common_json_object();

	common_json_set_str(o, "policy", r->policy ? r->policy : "");
	common_json_set(o, "recommend", str_or_null(r->recommend));
	common_json_set_str(o, "text", r->recommend_text ? r->recommend_text : "");
	common_json_set(o, "record", str_or_null(r->recommend_record));
	return o;
}

static struct common_json *report_sources(const struct web_reports *r)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < r->n_sources; i++) {
		const struct web_report_source *x = &r->sources[i];
		struct common_json *o = common_json_object();

		common_json_set_str(o, "ip", x->ip);
		common_json_set_str(o, "ptr", x->ptr);
		common_json_set_str(o, "base", x->base);
		common_json_set(o, "reporters", split_list(x->reporters));
		common_json_set_str(o, "header_from", x->header_from);
		common_json_set(o, "auth_domains", split_list(x->auth_domains));
		common_json_set_str(o, "group", x->group);
		common_json_set(o, "messages", count(x->messages));
		common_json_set(o, "pass", count(x->pass));
		common_json_set(o, "ratio", ratio(x->pass, x->messages));
		common_json_set(o, "messages_7d", count(x->messages_7d));
		set_time(o, "first_seen", x->first_seen);
		set_time(o, "last_seen", x->last_seen);
		common_json_set_bool(o, "new", x->is_new);
		common_json_push(a, o);
	}
	return a;
}

static struct common_json *report_tlsrpt(const struct web_reports *r)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < r->n_tlsrpt; i++) {
		const struct web_tlsrpt_row *x = &r->tlsrpt[i];
		struct common_json *o = common_json_object();

		common_json_set_str(o, "reporter", x->reporter);
		common_json_set_str(o, "policy_type", x->policy_type);
		common_json_set_str(o, "policy_domain", x->policy_domain);
		common_json_set(o, "success", count(x->success));
		common_json_set(o, "failure", count(x->failure));
		common_json_set(o, "failure_7d", count(x->failure_7d));
		common_json_set(o, "failure_types", failure_types(x->failure_types));
		common_json_push(a, o);
	}
	return a;
}

static struct common_json *report_recent(const struct web_reports *r)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < r->n_recent; i++) {
		const struct web_report_item *x = &r->recent[i];
		struct common_json *o = common_json_object();

		common_json_set_str(o, "kind", x->kind);
		common_json_set_str(o, "reporter", x->reporter);
		common_json_set_str(o, "report_id", x->report_id);
		set_time(o, "begin", x->begin);
		set_time(o, "end", x->end);
		set_time(o, "received", x->received);
		common_json_set(o, "records", count(x->records));
		common_json_set(o, "messages", count(x->messages));
		common_json_set_str(o, "container", x->container);
		common_json_set_str(o, "source", x->source);
		common_json_push(a, o);
	}
	return a;
}

static struct common_json *report_failures(const struct web_reports *r)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < r->n_failures; i++) {
		const struct web_report_failure *x = &r->failures[i];
		struct common_json *o = common_json_object();

		set_time(o, "arrival", x->arrival);
		common_json_set_str(o, "reporter", x->reporter);
		common_json_set_str(o, "source_ip", x->source_ip);
		common_json_set_str(o, "auth_failure", x->auth_failure);
		common_json_set_str(o, "from", x->from);
		common_json_set_str(o, "subject", x->subject);
		common_json_set_str(o, "dkim_domain", x->dkim_domain);
		common_json_push(a, o);
	}
	return a;
}

static struct common_json *reports(const struct web_reports *r)
{
	struct common_json *o, *c;

	if (r == NULL)
		return common_json_null();
	o = common_json_object();
	common_json_set_str(o, "headline", r->headline ? r->headline : "");
	common_json_set(o, "windows", report_windows(r));
	common_json_set(o, "recommendation", report_recommendation(r));
	common_json_set(o, "sources", report_sources(r));
	common_json_set(o, "tlsrpt", report_tlsrpt(r));
	common_json_set(o, "recent", report_recent(r));
	common_json_set(o, "failures", report_failures(r));
	c = common_json_object();
	common_json_set(c, "pass", count(r->counter_pass));
	common_json_set(c, "fail", count(r->counter_fail));
	common_json_set(o, "counters", c);
	return o;
}

/* The short form on /api/v1/domains/NAME: {headline, ratio_7d, url} or null. */
static struct common_json *reports_summary(const struct web_domain *d)
{
	const struct web_reports *r = d->reports;
	struct common_json *o, *ratio7 = NULL;
	char *url;

	if (r == NULL)
		return common_json_null();
	o = common_json_object();
	common_json_set_str(o, "headline", r->headline ? r->headline : "");
	for (size_t i = 0; i < WEB_REPORT_WINDOWS && ratio7 == NULL; i++)
		if (r->windows[i].days == 7)
			ratio7 = r->windows[i].ratio < 0 || r->windows[i].messages == 0
				     ? common_json_null()
				     : common_json_real(r->windows[i].ratio);
	common_json_set(o, "ratio_7d", ratio7 ? ratio7 : common_json_null());
	url = xasprintf("/api/v1/domains/%s/reports", d->name ? d->name : "");
	common_json_set_str(o, "url", url);
	free(url);
	return o;
}

char *web_api_reports(const struct web_snapshot *s, const struct web_domain *d, bool pretty,
		      size_t *len)
{
	struct common_json *o = common_json_object();

	set_time(o, "generated_at", s->generated_at);
	common_json_set_str(o, "domain", d->name);
	common_json_set(o, "reports", reports(d->reports));
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
	common_json_set(dom, "reports", reports_summary(d));
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
