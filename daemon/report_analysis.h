/*
 * daemon/report_analysis: the number founders care about (issue 5
 * "Analyse"), computed from the stored reports of one domain:
 *
 *  - windows of 1, 7 and 30 days: messages, DMARC pass (the reporters'
 *    policy_evaluated: aligned DKIM or aligned SPF), aligned DKIM / SPF,
 *    quarantined and rejected; the headline "N% of mail from D passed DMARC
 *    in the last 7 days (M messages)";
 *  - sources (per IP, with reverse-DNS base name and reporters) in three
 *    groups: aligned (DMARC passed for most of its mail), misaligned
 *    (authorised: SPF or DKIM passed for some domain, but not aligned with
 *    the From domain: an ESP without custom DKIM), unknown (nothing passed:
 *    spoofing or a forgotten sender);
 *  - the move-to-enforcement recommendation: under p=none (as the reports
 *    say it was published), when every day of the last recommend_days days
 *    with data passed at >= recommend_threshold and data covers at least
 *    that many days minus a small gap, say "p=quarantine" (and, under
 *    p=quarantine, "p=reject") with the exact record to publish;
 *  - TLS-RPT per reporter and policy; recent reports and failure reports;
 *  - findings (dns/finding, check "reports", codes in docs/findings.md):
 *    REPORT_COMPLIANCE_LOW, REPORT_UNKNOWN_SOURCE, TLSRPT_FAILURES,
 *    REPORT_MOVE_TO_QUARANTINE / REPORT_MOVE_TO_REJECT (info), REPORT_OK.
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: daemon/reports and daemon/snapbuild
 * code against them).
 *
 * What it does not: ingest, resolve names (daemon/report_worker fills
 * report_rdns) or render (web/).
 */
#ifndef MAILPULSE_DAEMON_REPORT_ANALYSIS_H
#define MAILPULSE_DAEMON_REPORT_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "daemon/config.h"
#include "daemon/store.h"
#include "dns/finding.h"
#include "web/snapshot.h"

/*
 * The analysis of domain d at now, as the snapshot struct (*out is a new
 * struct web_reports, or NULL when the domain has never had a report).
 * The record to publish starts from dmarc_record (the domain's current
 * DMARC TXT, from the last check; NULL: built from what reports say).
 */
enum mp_err daemon_report_analyse(struct daemon_store *st, const struct daemon_config *cfg,
				  const struct daemon_config_domain *d, const char *dmarc_record,
				  int64_t now, struct web_reports **out) MP_WUR;

/*
 * The findings of check "reports" for an analysis (a NULL a gives none:
 * no reports, no result).  Severities: REPORT_COMPLIANCE_LOW warn (critical
 * below half the floor), REPORT_UNKNOWN_SOURCE warn, TLSRPT_FAILURES warn,
 * the recommendations info, REPORT_OK ok when nothing else was said.
 */
void daemon_report_findings(const struct web_reports *a, const struct daemon_config *cfg,
			    const struct daemon_config_domain *d, struct dns_findings *f);

#endif
