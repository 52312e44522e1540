/*
 * web/metrics: /metrics in the Prometheus text exposition format 0.0.4
 * (Content-Type "text/plain; version=0.0.4; charset=utf-8"), rendered from a
 * snapshot.  Every family has # HELP and # TYPE, its samples grouped under
 * it; label values are valid UTF-8 with \ " and newline escaped.
 *
 * Families (names follow prometheus.io/docs/practices/naming):
 *   mailpulse_up                                    gauge 1
 *   mailpulse_build_info{version}                   gauge 1
 *   mailpulse_ready                                 gauge 0/1: config loaded, first round done
 *   mailpulse_monitoring_degraded                   gauge 0/1: the daemon's own resolver is down
 *   mailpulse_config_last_reload_successful         gauge 0/1
 *   mailpulse_config_last_reload_success_timestamp_seconds  gauge (absent when never known)
 *   mailpulse_snapshot_timestamp_seconds            gauge: when these values were computed
 *   mailpulse_domains                               gauge: configured domains
 *   mailpulse_domain_status{domain}                 gauge 0 ok, 1 warn, 2 critical, 3 unknown
 *   mailpulse_check_success{domain,check}           gauge 1 when the last result was ok/info
 *   mailpulse_check_state{domain,check}             gauge 0 ok (ok/info), 1 warn, 2 critical,
 *                                                   3 unknown (the Nagios codes)
 *   mailpulse_check_alert_firing{domain,check}      gauge 1 while an alert episode is open
 *   mailpulse_check_last_run_timestamp_seconds{domain,check}  gauge (absent when never run)
 *   mailpulse_spf_dns_lookups{domain}               gauge: RFC 7208 4.6.4 lookups (limit 10)
 *   mailpulse_spf_void_lookups{domain}              gauge: RFC 7208 4.6.4 void lookups (limit 2)
 *   mailpulse_probe_roundtrip_seconds{domain}       gauge: the last completed probe's round trip
 *   mailpulse_probe_success{domain}                 gauge 1/0: the last finished probe verified
 *   (the two probe families have samples only for domains that probe, issue 4)
 *   mailpulse_dmarc_messages_total{domain,result}   counter: messages DMARC aggregate
 *                                                   reports counted, result "pass" | "fail"
 *   mailpulse_dmarc_pass_ratio{domain,window}       gauge 0..1: DMARC pass share over window
 *                                                   "1d" | "7d" | "30d" (absent: no message)
 *   mailpulse_tlsrpt_failed_sessions{domain}        gauge: failed TLS sessions (TLS-RPT, 30 d)
 *   mailpulse_report_sources{domain,group}          gauge: sending sources (30 d), group
 *                                                   "aligned" | "misaligned" | "unknown"
 *   (the four report families have samples only for domains with reports, issue 5)
 *   mailpulse_notifications_total{channel}          counter: notifications delivered
 *   mailpulse_notifications_failed_total{channel}   counter: notifications given up on
 *   mailpulse_notification_queue_length{channel}    gauge: waiting in the outbox
 * Reasons stay in the JSON API and the logs: no free-text label.
 *
 * What it does not: HTTP, or counters of its own (everything comes from the
 * snapshot, so a scrape changes nothing).
 */
#ifndef MAILPULSE_WEB_METRICS_H
#define MAILPULSE_WEB_METRICS_H

#include <stddef.h>
#include "common/err.h"
#include "web/out.h"
#include "web/snapshot.h"

/* The Content-Type of the exposition. */
#define WEB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Render s.  ERR_OK: *out (caller frees with free()) holds *len bytes.
 * ERR_LIMIT: past WEB_OUT_MAX.
 */
enum mp_err web_metrics_render(const struct web_snapshot *s, char **out, size_t *len) MP_WUR;

/*
 * Append [s, s+len) as a label value (without the quotes): UTF-8 cleaned,
 * backslash, double quote and line feed escaped as \\ \" \n.  Exposed for
 * the tests.
 */
void web_metrics_label(struct web_out *o, const char *s, size_t len);

/* 0 ok/info, 1 warn, 2 critical, 3 unknown. */
int web_metrics_state_code(enum web_sev sev);

#endif
