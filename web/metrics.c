/*
 * web/metrics: Prometheus text exposition of a snapshot (see metrics.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "web/metrics.h"

void web_metrics_label(struct web_out *o, const char *s, size_t len)
{
	size_t n, run = 0;
	char *u;

	if (s == NULL)
		return;
	u = common_json_utf8_clean(s, len, &n);
	for (size_t i = 0; i < n; i++) {
		const char *rep = u[i] == '\\'	 ? "\\\\"
				  : u[i] == '"'	 ? "\\\""
				  : u[i] == '\n' ? "\\n"
						 : NULL;

		if (rep != NULL) {
			web_out_putn(o, u + run, i - run);
			web_out_put(o, rep);
			run = i + 1;
		}
	}
	web_out_putn(o, u + run, n - run);
	free(u);
}

static void label_str(struct web_out *o, const char *s)
{
	web_out_put(o, "\"");
	if (s != NULL)
		web_metrics_label(o, s, strlen(s));
	web_out_put(o, "\"");
}

int web_metrics_state_code(enum web_sev sev)
{
	switch (sev) {
	case WEB_SEV_OK:
	case WEB_SEV_INFO:
		return 0;
	case WEB_SEV_WARN:
		return 1;
	case WEB_SEV_CRITICAL:
		return 2;
	case WEB_SEV_UNKNOWN:
		break;
	}
	return 3;
}

static void family(struct web_out *o, const char *name, const char *type, const char *help)
{
	web_out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{domain="..."} value */
static void domain_sample(struct web_out *o, const char *name, const struct web_domain *d,
			  long long v)
{
	web_out_printf(o, "%s{domain=", name);
	label_str(o, d->name);
	web_out_printf(o, "} %lld\n", v);
}

/* name{domain="...",check="..."} value */
static void check_sample(struct web_out *o, const char *name, const struct web_domain *d,
			 const struct web_check *c, long long v)
{
	web_out_printf(o, "%s{domain=", name);
	label_str(o, d->name);
	web_out_put(o, ",check=");
	label_str(o, c->name);
	web_out_printf(o, "} %lld\n", v);
}

enum check_metric { CM_SUCCESS, CM_STATE, CM_FIRING, CM_LAST_RUN };

static void check_family(struct web_out *o, const struct web_snapshot *s, enum check_metric m,
			 const char *name, const char *help)
{
	family(o, name, "gauge", help);
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct web_domain *d = &s->domains[i];

		for (size_t j = 0; j < d->n_checks; j++) {
			const struct web_check *c = &d->checks[j];
			int code = web_metrics_state_code(web_sev_parse(c->severity));

			if (m == CM_SUCCESS)
				check_sample(o, name, d, c, code == 0);
			else if (m == CM_STATE)
				check_sample(o, name, d, c, code);
			else if (m == CM_FIRING)
				check_sample(o, name, d, c, c->state == WEB_STATE_FIRING);
			else if (c->last_checked > 0)
				check_sample(o, name, d, c, c->last_checked);
		}
	}
}

enum channel_metric { CH_SENT, CH_FAILED, CH_QUEUED };

static void channel_family(struct web_out *o, const struct web_snapshot *s, enum channel_metric m,
			   const char *name, const char *type, const char *help)
{
	family(o, name, type, help);
	for (size_t i = 0; i < s->n_channels; i++) {
		const struct web_channel *c = &s->channels[i];
		unsigned long long v = m == CH_SENT	? c->sent
				       : m == CH_FAILED ? c->failed
							: c->queued;

		web_out_printf(o, "%s{channel=", name);
		label_str(o, c->name);
		web_out_printf(o, "} %llu\n", v);
	}
}

static void daemon_families(struct web_out *o, const struct web_snapshot *s)
{
	int64_t ok_at = s->last_reload_success_at;

	if (ok_at <= 0 && s->last_reload_ok)
		ok_at = s->last_reload_at;
	family(o, "mailpulse_up", "gauge", "1 while the mailpulse daemon serves this page.");
	web_out_put(o, "mailpulse_up 1\n");
	family(o, "mailpulse_build_info", "gauge", "The running version, as a label; always 1.");
	web_out_put(o, "mailpulse_build_info{version=");
	label_str(o, s->version ? s->version : "unknown");
	web_out_put(o, "} 1\n");
	family(o, "mailpulse_ready", "gauge",
	       "1 once the configuration is loaded and the first round of checks is done.");
	web_out_printf(o, "mailpulse_ready %d\n", s->ready ? 1 : 0);
	family(o, "mailpulse_monitoring_degraded", "gauge",
	       "1 while the daemon's own DNS resolver does not answer (domain alerts are held).");
	web_out_printf(o, "mailpulse_monitoring_degraded %d\n", s->degraded ? 1 : 0);
	family(o, "mailpulse_config_last_reload_successful", "gauge",
	       "1 when the last configuration (re)load succeeded.");
	web_out_printf(o, "mailpulse_config_last_reload_successful %d\n",
		       s->last_reload_ok ? 1 : 0);
	family(o, "mailpulse_config_last_reload_success_timestamp_seconds", "gauge",
	       "Unix time of the last successful configuration (re)load.");
	if (ok_at > 0)
		web_out_printf(o, "mailpulse_config_last_reload_success_timestamp_seconds %lld\n",
			       (long long)ok_at);
	family(o, "mailpulse_snapshot_timestamp_seconds", "gauge",
	       "Unix time at which the values on this page were computed.");
	web_out_printf(o, "mailpulse_snapshot_timestamp_seconds %lld\n",
		       (long long)s->generated_at);
	family(o, "mailpulse_domains", "gauge", "Domains being monitored.");
	web_out_printf(o, "mailpulse_domains %zu\n", s->n_domains);
}

static void domain_families(struct web_out *o, const struct web_snapshot *s)
{
	family(o, "mailpulse_domain_status", "gauge",
	       "Worst result of the domain now: 0 ok, 1 warn, 2 critical, 3 unknown.");
	for (size_t i = 0; i < s->n_domains; i++)
		domain_sample(o, "mailpulse_domain_status", &s->domains[i],
			      web_metrics_state_code(web_sev_parse(s->domains[i].status)));
	family(o, "mailpulse_spf_dns_lookups", "gauge",
	       "DNS lookups one SPF evaluation of the domain needs (RFC 7208 limit: 10).");
	for (size_t i = 0; i < s->n_domains; i++)
		if (s->domains[i].spf_lookups >= 0)
			domain_sample(o, "mailpulse_spf_dns_lookups", &s->domains[i],
				      s->domains[i].spf_lookups);
	family(o, "mailpulse_spf_void_lookups", "gauge",
	       "SPF lookups of the domain that found nothing (RFC 7208 limit: 2).");
	for (size_t i = 0; i < s->n_domains; i++)
		if (s->domains[i].spf_void_lookups >= 0)
			domain_sample(o, "mailpulse_spf_void_lookups", &s->domains[i],
				      s->domains[i].spf_void_lookups);
}

/* Issue 4: probe gauges, only for domains that probe and only once there is a value. */
static void probe_families(struct web_out *o, const struct web_snapshot *s)
{
	family(o, "mailpulse_probe_roundtrip_seconds", "gauge",
	       "Seconds from submission to arrival of the last probe that came back.");
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct web_domain *d = &s->domains[i];

		if (!d->have_probes || d->probe_last_roundtrip < 0)
			continue;
		web_out_put(o, "mailpulse_probe_roundtrip_seconds{domain=");
		label_str(o, d->name);
		web_out_printf(o, "} %.3f\n", d->probe_last_roundtrip);
	}
	family(o, "mailpulse_probe_success", "gauge",
	       "1 when the last finished probe came back with SPF, DKIM and DMARC passing and "
	       "aligned, else 0.");
	for (size_t i = 0; i < s->n_domains; i++)
		if (s->domains[i].have_probes && s->domains[i].probe_have_finished)
			domain_sample(o, "mailpulse_probe_success", &s->domains[i],
				      s->domains[i].probe_last_success ? 1 : 0);
}

/* name{domain="...",KEY="VALUE"} (the value is the renderer's own word, not snapshot text). */
static void report_sample_head(struct web_out *o, const char *name, const struct web_domain *d,
			       const char *key, const char *value)
{
	web_out_printf(o, "%s{domain=", name);
	label_str(o, d->name);
	web_out_printf(o, ",%s=\"%s\"} ", key, value);
}

/* Issue 5: the DMARC aggregate report families, only for domains with reports. */
static void report_families(struct web_out *o, const struct web_snapshot *s)
{
	family(o, "mailpulse_dmarc_messages_total", "counter",
	       "Messages DMARC aggregate reports counted for the domain, by DMARC result.");
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct web_reports *r = s->domains[i].reports;

		if (r == NULL)
			continue;
		report_sample_head(o, "mailpulse_dmarc_messages_total", &s->domains[i], "result",
				   "pass");
		web_out_printf(o, "%llu\n", (unsigned long long)r->counter_pass);
		report_sample_head(o, "mailpulse_dmarc_messages_total", &s->domains[i], "result",
				   "fail");
		web_out_printf(o, "%llu\n", (unsigned long long)r->counter_fail);
	}
	family(o, "mailpulse_dmarc_pass_ratio", "gauge",
	       "Share of reported messages that passed DMARC over the window (absent: no "
	       "message).");
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct web_reports *r = s->domains[i].reports;

		for (size_t w = 0; r != NULL && w < WEB_REPORT_WINDOWS; w++) {
			char win[24];

			if (r->windows[w].ratio < 0 || r->windows[w].messages == 0)
				continue;
			snprintf(win, sizeof win, "%ud", r->windows[w].days);
			report_sample_head(o, "mailpulse_dmarc_pass_ratio", &s->domains[i],
					   "window", win);
			web_out_printf(o, "%.6g\n", r->windows[w].ratio);
		}
	}
}

/* Issue 5: TLS-RPT failures and the sources by group, only for domains with reports. */
static void report_gauges(struct web_out *o, const struct web_snapshot *s)
{
	static const char *const groups[] = {"aligned", "misaligned", "unknown"};

	family(o, "mailpulse_tlsrpt_failed_sessions", "gauge",
	       "TLS sessions to the domain's MX that TLS-RPT reporters saw fail in the last 30 "
	       "days.");
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct web_reports *r = s->domains[i].reports;
		uint64_t failed = 0;

		if (r == NULL)
			continue;
		for (size_t t = 0; t < r->n_tlsrpt; t++)
			failed = failed + r->tlsrpt[t].failure < failed
				     ? UINT64_MAX
				     : failed + r->tlsrpt[t].failure;
		web_out_put(o, "mailpulse_tlsrpt_failed_sessions{domain=");
		label_str(o, s->domains[i].name);
		web_out_printf(o, "} %llu\n", (unsigned long long)failed);
	}
	family(o, "mailpulse_report_sources", "gauge",
	       "Sending sources seen in DMARC aggregate reports in the last 30 days, by "
	       "alignment.");
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct web_reports *r = s->domains[i].reports;

		for (size_t g = 0; r != NULL && g < 3; g++) {
			size_t n = 0;

			for (size_t k = 0; k < r->n_sources; k++) {
				const char *sg = r->sources[k].group ? r->sources[k].group : "";

				/* Anything outside the closed set counts as unknown. */
				n += g == 2
					 ? strcmp(sg, groups[0]) != 0 && strcmp(sg, groups[1]) != 0
					 : strcmp(sg, groups[g]) == 0;
			}
			report_sample_head(o, "mailpulse_report_sources", &s->domains[i], "group",
					   groups[g]);
			web_out_printf(o, "%zu\n", n);
		}
	}
}

enum mp_err web_metrics_render(const struct web_snapshot *s, char **out, size_t *len)
{
	struct web_out o;

	web_out_init(&o, WEB_OUT_MAX);
	daemon_families(&o, s);
	domain_families(&o, s);
	check_family(&o, s, CM_SUCCESS, "mailpulse_check_success",
		     "1 when the last result of the check was ok, else 0.");
	check_family(&o, s, CM_STATE, "mailpulse_check_state",
		     "Last result of the check: 0 ok, 1 warn, 2 critical, 3 unknown.");
	check_family(&o, s, CM_FIRING, "mailpulse_check_alert_firing",
		     "1 while an alert episode of the check is open.");
	check_family(&o, s, CM_LAST_RUN, "mailpulse_check_last_run_timestamp_seconds",
		     "Unix time of the last result of the check.");
	probe_families(&o, s);
	report_families(&o, s);
	report_gauges(&o, s);
	channel_family(&o, s, CH_SENT, "mailpulse_notifications_total", "counter",
		       "Notifications delivered through the alert channel.");
	channel_family(&o, s, CH_FAILED, "mailpulse_notifications_failed_total", "counter",
		       "Notifications the alert channel gave up on.");
	channel_family(&o, s, CH_QUEUED, "mailpulse_notification_queue_length", "gauge",
		       "Notifications waiting in the outbox for the alert channel.");
	return web_out_finish(&o, out, len);
}
