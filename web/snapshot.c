/*
 * web/snapshot: freeing snapshots and the small pure helpers every view
 * shares (see snapshot.h).
 *
 * What it does not: build snapshots from the store (daemon/ does), render
 * anything (web/html, web/api, web/metrics, web/badge do) or share them
 * between threads (web/http holds the reference counts).
 */
#include <stdlib.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "web/snapshot.h"

static void free_findings(struct web_finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].check);
		free(f[i].code);
		free(f[i].severity);
		free(f[i].message);
		free(f[i].fix);
		free(f[i].evidence);
	}
	free(f);
}

static void free_episodes(struct web_episode *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].id);
		free(e[i].domain);
		free(e[i].check);
		free(e[i].severity);
		free(e[i].summary);
		for (size_t j = 0; j < e[i].n_deliveries; j++) {
			struct web_delivery *d = &e[i].deliveries[j];

			free(d->channel);
			free(d->type);
			free(d->status);
			free(d->error);
		}
		free(e[i].deliveries);
	}
	free(e);
}

static void free_probes(struct web_probe *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].token);
		free(p[i].state);
		free(p[i].relay);
		free(p[i].rcpt);
		free(p[i].folder);
		free(p[i].spf);
		free(p[i].dkim);
		free(p[i].dmarc);
		free(p[i].bounce_status);
		free(p[i].bounce_reason);
		free(p[i].bounce_diag);
		free(p[i].error);
		free(p[i].detail_json);
	}
	free(p);
}

static void free_reports(struct web_reports *r)
{
	if (r == NULL)
		return;
	free(r->headline);
	for (size_t i = 0; i < r->n_sources; i++) {
		struct web_report_source *x = &r->sources[i];

		free(x->ip);
		free(x->ptr);
		free(x->base);
		free(x->reporters);
		free(x->header_from);
		free(x->auth_domains);
		free(x->group);
	}
	free(r->sources);
	free(r->recommend);
	free(r->recommend_text);
	free(r->recommend_record);
	free(r->policy);
	for (size_t i = 0; i < r->n_tlsrpt; i++) {
		free(r->tlsrpt[i].reporter);
		free(r->tlsrpt[i].policy_type);
		free(r->tlsrpt[i].policy_domain);
		free(r->tlsrpt[i].failure_types);
	}
	free(r->tlsrpt);
	for (size_t i = 0; i < r->n_recent; i++) {
		struct web_report_item *x = &r->recent[i];

		free(x->kind);
		free(x->reporter);
		free(x->report_id);
		free(x->source);
		free(x->container);
	}
	free(r->recent);
	for (size_t i = 0; i < r->n_failures; i++) {
		struct web_report_failure *x = &r->failures[i];

		free(x->reporter);
		free(x->source_ip);
		free(x->auth_failure);
		free(x->from);
		free(x->subject);
		free(x->dkim_domain);
	}
	free(r->failures);
	free(r);
}

static void free_domain(struct web_domain *d)
{
	free(d->name);
	free(d->display);
	free(d->status);
	for (size_t i = 0; i < d->n_checks; i++) {
		free(d->checks[i].name);
		free(d->checks[i].severity);
	}
	free(d->checks);
	free_findings(d->findings, d->n_findings);
	free(d->spf_tree_json);
	for (size_t i = 0; i < d->n_history; i++) {
		free(d->history[i].check);
		free(d->history[i].severity);
	}
	free(d->history);
	free_episodes(d->episodes, d->n_episodes);
	free_probes(d->probes, d->n_probes);
	free_reports(d->reports);
}

void web_snapshot_free(struct web_snapshot *s)
{
	if (s == NULL)
		return;
	free(s->version);
	for (size_t i = 0; i < s->n_domains; i++)
		free_domain(&s->domains[i]);
	free(s->domains);
	free_episodes(s->episodes, s->n_episodes);
	for (size_t i = 0; i < s->n_channels; i++) {
		free(s->channels[i].name);
		free(s->channels[i].type);
	}
	free(s->channels);
	free_findings(s->readiness, s->n_readiness);
	free(s);
}

struct web_snapshot *web_snapshot_new(void)
{
	struct web_snapshot *s = xcalloc(1, sizeof *s);

	s->refresh_seconds = 60;
	return s;
}

const struct web_domain *web_snapshot_find(const struct web_snapshot *s, const char *name,
					   size_t len)
{
	if (s == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_domains; i++) {
		const char *n = s->domains[i].name;

		if (n != NULL && common_str_ieq(n, strlen(n), name, len))
			return &s->domains[i];
	}
	return NULL;
}

static const char *const sev_names[] = {"ok", "info", "warn", "critical", "unknown"};

enum web_sev web_sev_parse(const char *severity)
{
	if (severity == NULL)
		return WEB_SEV_UNKNOWN;
	for (size_t i = 0; i < sizeof sev_names / sizeof sev_names[0]; i++)
		if (strcmp(severity, sev_names[i]) == 0)
			return (enum web_sev)i;
	/* The alert engine says "warning" in some places; accept it. */
	if (strcmp(severity, "warning") == 0)
		return WEB_SEV_WARN;
	return WEB_SEV_UNKNOWN;
}

const char *web_sev_name(enum web_sev sev)
{
	return (unsigned)sev < sizeof sev_names / sizeof sev_names[0] ? sev_names[sev] : "unknown";
}

int web_sev_rank(enum web_sev sev)
{
	switch (sev) {
	case WEB_SEV_OK:
		return 0;
	case WEB_SEV_INFO:
		return 1;
	case WEB_SEV_UNKNOWN:
		return 2;
	case WEB_SEV_WARN:
		return 3;
	case WEB_SEV_CRITICAL:
		return 4;
	}
	return 2;
}

const char *web_state_name(enum web_state st)
{
	switch (st) {
	case WEB_STATE_OK:
		return "ok";
	case WEB_STATE_PENDING:
		return "pending";
	case WEB_STATE_FIRING:
		return "firing";
	case WEB_STATE_RESOLVING:
		return "resolving";
	case WEB_STATE_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *web_day_color_name(enum web_day_color c)
{
	switch (c) {
	case WEB_DAY_OK:
		return "ok";
	case WEB_DAY_WARN:
		return "warn";
	case WEB_DAY_CRIT:
		return "critical";
	case WEB_DAY_NODATA:
		break;
	}
	return "nodata";
}

enum web_overall web_snapshot_overall(const struct web_snapshot *s)
{
	bool degraded = s->degraded || !s->ready;

	for (size_t i = 0; i < s->n_domains; i++) {
		switch (web_sev_parse(s->domains[i].status)) {
		case WEB_SEV_CRITICAL:
			return WEB_OVERALL_FAILING;
		case WEB_SEV_WARN:
		case WEB_SEV_UNKNOWN:
			degraded = true;
			break;
		case WEB_SEV_OK:
		case WEB_SEV_INFO:
			break;
		}
	}
	return degraded ? WEB_OVERALL_DEGRADED : WEB_OVERALL_GOOD;
}

const char *web_overall_name(enum web_overall o)
{
	switch (o) {
	case WEB_OVERALL_GOOD:
		return "ok";
	case WEB_OVERALL_DEGRADED:
		return "degraded";
	case WEB_OVERALL_FAILING:
		break;
	}
	return "failing";
}
