/*
 * daemon/snapbuild: store + engines + config -> struct web_snapshot (see
 * the header).
 */
#include <config.h> /* autoconf's (PACKAGE_VERSION) */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "daemon/report_analysis.h"
#include "daemon/snapbuild.h"
#include "daemon/store_alert.h"
#include "daemon/store_outbox.h"
#include "daemon/store_probe.h"
#include "daemon/store_result.h"

#define SNAP_HISTORY 50
#define SNAP_EPISODES 20
#define SNAP_DELIVERIES 10
#define SNAP_PROBES 20 /* issue 4: probes on a domain page */

static char *dupn(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static enum web_state state_of(enum daemon_alert_phase p)
{
	switch (p) {
	case DAEMON_ALERT_PENDING:
		return WEB_STATE_PENDING;
	case DAEMON_ALERT_FIRING:
		return WEB_STATE_FIRING;
	case DAEMON_ALERT_RESOLVING:
		return WEB_STATE_RESOLVING;
	default:
		return WEB_STATE_OK;
	}
}

static enum web_state state_parse(const char *s)
{
	if (strcmp(s, "pending") == 0)
		return WEB_STATE_PENDING;
	if (strcmp(s, "firing") == 0)
		return WEB_STATE_FIRING;
	if (strcmp(s, "resolving") == 0)
		return WEB_STATE_RESOLVING;
	if (strcmp(s, "ok") == 0 || strcmp(s, "closed") == 0)
		return WEB_STATE_OK;
	return WEB_STATE_UNKNOWN;
}

/*
 * The state of (domain, check) from the engine's channel-independent state
 * machine; a check with no open track whose last result is unknown (a DNS
 * timeout) shows UNKNOWN: unknown results move no counter (issue 3).
 */
static enum web_state check_state(const struct daemon_engine *eng, const char *domain,
				  const char *check, enum dns_sev sev)
{
	enum daemon_alert_phase p = daemon_engine_check_phase(eng, domain, check);

	if (p == DAEMON_ALERT_OK && sev == SEV_UNKNOWN)
		return WEB_STATE_UNKNOWN;
	return state_of(p);
}

/* The SPF lookup tree of the last result, or of the last good one when the last has none. */
static char *spf_tree(const struct daemon_store_result_pair *p)
{
	if (p->last.spf_tree_json != NULL)
		return xstrdup(p->last.spf_tree_json);
	if (p->has_good && p->good.spf_tree_json != NULL)
		return xstrdup(p->good.spf_tree_json);
	return NULL;
}

static void add_findings(struct web_domain *wd, const struct dns_findings *f)
{
	wd->findings = xcalloc(f->n + 1, sizeof *wd->findings);
	wd->n_findings = f->n;
	for (size_t i = 0; i < f->n; i++) {
		struct web_finding *w = &wd->findings[i];

		w->check = xstrdup(f->v[i].check);
		w->code = xstrdup(f->v[i].code);
		w->severity = xstrdup(dns_sev_name(f->v[i].sev));
		w->message = xstrdup(f->v[i].message);
		w->fix = dupn(f->v[i].fix);
		if (f->v[i].evidence != NULL) {
			w->evidence = xmemdup0(f->v[i].evidence, f->v[i].evidence_len);
			w->evidence_len = f->v[i].evidence_len;
		}
	}
}

static enum web_day_color day_color(const struct daemon_store_day *d)
{
	if (d->count[SEV_CRITICAL] > 0)
		return WEB_DAY_CRIT;
	if (d->count[SEV_WARN] > 0)
		return WEB_DAY_WARN;
	if (d->count[SEV_OK] + d->count[SEV_INFO] > 0)
		return WEB_DAY_OK;
	return WEB_DAY_NODATA;
}

static void add_days(struct daemon_store *st, struct web_domain *wd, int64_t now)
{
	struct daemon_store_day days[WEB_HISTORY_DAYS];

	memset(days, 0, sizeof days);
	if (daemon_store_result_days(st, wd->name, NULL, daemon_store_result_day(now),
				     WEB_HISTORY_DAYS, days) != ERR_OK)
		log_warn("snapshot", "days-failed domain=%s", wd->name);
	for (size_t i = 0; i < WEB_HISTORY_DAYS; i++)
		wd->days[i] = day_color(&days[i]);
}

/* Checks from the last results, their findings, SPF counters and the domain's status. */
static void add_checks(struct daemon_store *st, const struct daemon_engine *eng,
		       struct web_domain *wd)
{
	struct daemon_store_result_pairs p = {0};
	struct dns_findings f;
	enum dns_sev worst = SEV_OK;

	dns_findings_init(&f);
	if (daemon_store_result_latest(st, wd->name, &p) != ERR_OK)
		log_warn("snapshot", "latest-failed domain=%s", wd->name);
	wd->checks = xcalloc(p.n + 1, sizeof *wd->checks);
	wd->n_checks = p.n;
	for (size_t i = 0; i < p.n; i++) {
		const struct daemon_store_result *r = &p.v[i].last;
		struct web_check *c = &wd->checks[i];

		c->name = xstrdup(r->check);
		c->severity = xstrdup(dns_sev_name(r->severity));
		c->state = check_state(eng, wd->name, r->check, r->severity);
		c->last_checked = r->at;
		c->last_ok = p.v[i].ok_at > 0 ? p.v[i].ok_at : 0;
		if (r->at > wd->last_checked)
			wd->last_checked = r->at;
		if (dns_sev_worse(r->severity, worst))
			worst = r->severity;
		if (strcmp(r->check, "spf") == 0) {
			wd->spf_lookups = r->spf_lookups;
			wd->spf_void_lookups = r->spf_void_lookups;
			free(wd->spf_tree_json);
			wd->spf_tree_json = spf_tree(&p.v[i]);
		}
		if (daemon_store_result_findings(st, r->id, &f) != ERR_OK)
			log_warn("snapshot", "findings-failed domain=%s", wd->name);
	}
	add_findings(wd, &f);
	dns_findings_clear(&f);
	if (worst == SEV_INFO)
		worst = SEV_OK;
	/* Before the free: it empties p, and an empty p means "never checked". */
	wd->status = xstrdup(p.n == 0 ? "unknown" : dns_sev_name(worst));
	daemon_store_result_pairs_free(&p);
}

static void add_history(struct daemon_store *st, struct web_domain *wd)
{
	struct daemon_store_alert_transition_list l = {0};

	if (daemon_store_alert_transitions(st, wd->name, NULL, SNAP_HISTORY, &l) != ERR_OK)
		return;
	wd->history = xcalloc(l.n + 1, sizeof *wd->history);
	wd->n_history = l.n;
	for (size_t i = 0; i < l.n; i++) {
		wd->history[i].at = l.v[i].at;
		wd->history[i].check = xstrdup(l.v[i].check);
		wd->history[i].from = state_parse(l.v[i].from);
		wd->history[i].to = state_parse(l.v[i].to);
		wd->history[i].severity = xstrdup(dns_sev_name(l.v[i].severity));
	}
	daemon_store_alert_transition_list_free(&l);
}

static const char *channel_type(const struct daemon_config *cfg, const char *name)
{
	const struct daemon_config_alert *a = daemon_config_find_alert(cfg, name);

	if (a == NULL)
		return "unknown";
	return a->type == DAEMON_ALERT_SLACK	 ? "slack"
	       : a->type == DAEMON_ALERT_WEBHOOK ? "webhook"
						 : "email";
}

static void add_deliveries(const struct daemon_config *cfg, struct daemon_store *st,
			   struct web_episode *we)
{
	struct daemon_store_outbox_list l = {0};

	if (daemon_store_outbox_list(st, we->id, SNAP_DELIVERIES, &l) != ERR_OK)
		return;
	we->deliveries = xcalloc(l.n + 1, sizeof *we->deliveries);
	we->n_deliveries = l.n;
	for (size_t i = 0; i < l.n; i++) {
		struct web_delivery *d = &we->deliveries[i];

		d->channel = xstrdup(l.v[i].channel);
		d->type = xstrdup(channel_type(cfg, l.v[i].channel));
		d->status = xstrdup(daemon_store_outbox_status_name(l.v[i].status));
		d->error = dupn(l.v[i].last_error);
		d->attempts = l.v[i].attempts;
		d->updated_at = l.v[i].updated_at;
	}
	daemon_store_outbox_list_free(&l);
}

/* Episodes of domain (NULL: all) into *out / *n. */
static void add_episodes(const struct daemon_config *cfg, struct daemon_store *st,
			 const char *domain, struct web_episode **out, size_t *n)
{
	struct daemon_store_alert_episode_list l = {0};

	*out = NULL;
	*n = 0;
	if (daemon_store_alert_episodes(st, domain, false, SNAP_EPISODES, &l) != ERR_OK)
		return;
	*out = xcalloc(l.n + 1, sizeof **out);
	*n = l.n;
	for (size_t i = 0; i < l.n; i++) {
		struct web_episode *we = &(*out)[i];

		we->id = xstrdup(l.v[i].id);
		we->domain = xstrdup(l.v[i].domain);
		we->check = xstrdup(l.v[i].check);
		we->severity = xstrdup(dns_sev_name(l.v[i].severity));
		we->open = l.v[i].ended_at == 0;
		we->started_at = l.v[i].started_at;
		we->ended_at = l.v[i].ended_at;
		we->summary = xstrdup(l.v[i].summary ? l.v[i].summary : "");
		add_deliveries(cfg, st, we);
	}
	daemon_store_alert_episode_list_free(&l);
}

static void add_channels(const struct daemon_config *cfg, struct daemon_store *st,
			 struct web_snapshot *s)
{
	struct daemon_store_outbox_stats l = {0};

	if (daemon_store_outbox_stats(st, &l) != ERR_OK)
		log_warn("snapshot", "outbox-stats-failed");
	s->channels = xcalloc(cfg->n_alerts + 1, sizeof *s->channels);
	s->n_channels = cfg->n_alerts;
	for (size_t i = 0; i < cfg->n_alerts; i++) {
		struct web_channel *c = &s->channels[i];

		c->name = xstrdup(cfg->alerts[i].name);
		c->type = xstrdup(channel_type(cfg, c->name));
		for (size_t k = 0; k < l.n; k++) {
			if (strcmp(l.v[k].channel, c->name) != 0)
				continue;
			c->sent = l.v[k].sent;
			c->failed = l.v[k].failed;
			c->queued = (size_t)l.v[k].queued;
		}
	}
	daemon_store_outbox_stats_free(&l);
}

static void add_readiness(const struct daemon_config *cfg, struct web_snapshot *s)
{
	struct dns_findings f;
	struct web_domain tmp = {0};

	dns_findings_init(&f);
	daemon_config_readiness(cfg, NULL, &f);
	add_findings(&tmp, &f);
	s->readiness = tmp.findings;
	s->n_readiness = tmp.n_findings;
	dns_findings_clear(&f);
}

static bool probe_finished(enum daemon_probe_state st)
{
	return st == DAEMON_PROBE_VERIFIED || st == DAEMON_PROBE_FAILED ||
	       st == DAEMON_PROBE_BOUNCED || st == DAEMON_PROBE_LOST ||
	       st == DAEMON_PROBE_SEND_FAILED;
}

static void copy_probe(struct web_probe *w, const struct daemon_probe_row *r)
{
	w->token = xstrdup(r->token);
	w->state = xstrdup(daemon_probe_state_name(r->state));
	w->created = r->created;
	w->submitted = r->submitted;
	w->received = r->received;
	w->roundtrip = r->roundtrip_s;
	w->relay = xstrdup(r->relay ? r->relay : "");
	w->rcpt = xstrdup(r->rcpt ? r->rcpt : "");
	w->folder = xstrdup(r->folder ? r->folder : "");
	w->spf = xstrdup(r->spf ? r->spf : "");
	w->dkim = xstrdup(r->dkim ? r->dkim : "");
	w->dmarc = xstrdup(r->dmarc ? r->dmarc : "");
	w->aligned = r->aligned;
	w->bounce_status = xstrdup(r->bounce_status ? r->bounce_status : "");
	w->bounce_reason = xstrdup(r->bounce_reason ? r->bounce_reason : "");
	w->bounce_code = r->bounce_code;
	w->bounce_diag = xstrdup(r->bounce_diag ? r->bounce_diag : "");
	w->error = xstrdup(r->error ? r->error : "");
	w->detail_json = dupn(r->detail_json);
}

/* Issue 4: the last probes of the domain and the summary /metrics shows (from those). */
static void add_probes(struct daemon_store *st, const struct daemon_config_domain *d,
		       struct web_domain *wd)
{
	struct daemon_probe_row *v = NULL;
	size_t n = 0;

	wd->have_probes = d->probe.interval_s != 0;
	wd->probe_last_roundtrip = -1;
	if (daemon_store_probe_recent(st, d->name, SNAP_PROBES, &v, &n) != ERR_OK) {
		log_warn("snapshot", "probes-failed domain=%s", d->name);
		return;
	}
	wd->probes = xcalloc(n + 1, sizeof *wd->probes);
	wd->n_probes = n;
	for (size_t i = 0; i < n; i++) {
		copy_probe(&wd->probes[i], &v[i]);
		if (wd->probe_last_roundtrip < 0 && v[i].roundtrip_s >= 0)
			wd->probe_last_roundtrip = v[i].roundtrip_s;
		if (!wd->probe_have_finished && probe_finished(v[i].state)) {
			wd->probe_have_finished = true;
			wd->probe_last_success = v[i].state == DAEMON_PROBE_VERIFIED;
		}
	}
	daemon_store_probe_rows_free(v, n);
}

/*
 * The domain's own DMARC record, from the evidence of the last dmarc check
 * ("_dmarc.<name> TXT: <record> | <record>"): the v=DMARC1 one, NULL when
 * the check saw none at _dmarc.<name> itself (a policy inherited from the
 * organisational domain is not this domain's record to rewrite).
 */
static char *dmarc_record(const struct web_domain *wd)
{
	for (size_t i = 0; i < wd->n_findings; i++) {
		const struct web_finding *f = &wd->findings[i];
		char *want;
		const char *p, *end;
		size_t wl;

		if (strcmp(f->check, "dmarc") != 0 || f->evidence == NULL)
			continue;
		want = xasprintf("_dmarc.%s TXT: ", wd->name);
		wl = strlen(want);
		p = f->evidence_len > wl && strncasecmp(f->evidence, want, wl) == 0
			? f->evidence + wl
			: NULL;
		free(want);
		for (; p != NULL && *p; p = end ? end + 3 : NULL) {
			end = strstr(p, " | ");
			if (strncasecmp(p, "v=DMARC1", 8) == 0)
				return end ? xmemdup0(p, (size_t)(end - p)) : xstrdup(p);
		}
	}
	return NULL;
}

/* Issue 5: DMARC / TLS-RPT reports (NULL for a domain that never had one). */
static void add_reports(const struct daemon_config *cfg, struct daemon_store *st,
			const struct daemon_config_domain *d, struct web_domain *wd, int64_t now)
{
	char *rec = dmarc_record(wd);

	if (daemon_report_analyse(st, cfg, d, rec, now, &wd->reports) != ERR_OK) {
		log_warn("snapshot", "reports-failed domain=%s error=\"%s\"", d->name,
			 daemon_store_errmsg(st));
		wd->reports = NULL;
	}
	free(rec);
}

static void add_domain(const struct daemon_config *cfg, struct daemon_store *st,
		       const struct daemon_engine *eng, const struct daemon_config_domain *d,
		       struct web_domain *wd, int64_t now)
{
	wd->name = xstrdup(d->name);
	wd->display = xstrdup(d->display ? d->display : d->name);
	wd->spf_lookups = -1;
	wd->spf_void_lookups = -1;
	add_checks(st, eng, wd);
	add_days(st, wd, now);
	add_history(st, wd);
	add_episodes(cfg, st, d->name, &wd->episodes, &wd->n_episodes);
	add_probes(st, d, wd);
	add_reports(cfg, st, d, wd, now);
}

struct web_snapshot *daemon_snapbuild(const struct daemon_config *cfg, struct daemon_store *st,
				      const struct daemon_engine *eng,
				      const struct daemon_snapbuild_info *info)
{
	struct web_snapshot *s = web_snapshot_new();

	s->generated_at = info->now;
	s->version = xstrdup(PACKAGE_VERSION);
	s->ready = info->ready;
	s->last_reload_ok = info->last_reload_ok;
	s->last_reload_at = info->last_reload_at;
	s->last_reload_success_at = info->last_reload_success_at;
	s->degraded = daemon_engine_degraded(eng);
	s->refresh_seconds = cfg->web.refresh_s;
	s->domains = xcalloc(cfg->n_domains + 1, sizeof *s->domains);
	for (size_t i = 0; i < cfg->n_domains; i++)
		if (cfg->domains[i].enabled)
			add_domain(cfg, st, eng, &cfg->domains[i], &s->domains[s->n_domains++],
				   info->now);
	add_episodes(cfg, st, NULL, &s->episodes, &s->n_episodes);
	add_channels(cfg, st, s);
	add_readiness(cfg, s);
	return s;
}
