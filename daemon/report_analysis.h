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
 * struct web_reports, or NULL when the domain has never had a report: one
 * indexed lookup, so calling it for every domain is cheap).  The record to
 * publish starts from dmarc_record (the domain's current DMARC TXT, from
 * the last check; NULL: "v=DMARC1; p=...; rua=mailto:<[reports]
 * addresses[0]>").  Windows end at now; sources cover 30 days (at most
 * 200, most messages first), with messages_7d for the last 7 days; TLS-RPT
 * rows cover 30 days, with failure_7d.  The recommendation follows the p=
 * of the most recent aggregate report: under none (quarantine) it says
 * "quarantine" ("reject") when at least recommend_days - 2 UTC days of the
 * last recommend_days have reports and every one of them passed at >=
 * recommend_threshold; otherwise recommend is "" and recommend_text says
 * what is missing.  Free *out with daemon_report_analysis_free() (or as
 * part of a snapshot).  Store errors are returned (*out untouched).
 */
enum mp_err daemon_report_analyse(struct daemon_store *st, const struct daemon_config *cfg,
				  const struct daemon_config_domain *d, const char *dmarc_record,
				  int64_t now, struct web_reports **out) MP_WUR;

/* Longest current DMARC record daemon_report_record() rewrites. */
#define DAEMON_REPORT_MAX_RECORD 4096

/*
 * The DMARC record to publish for policy target ("quarantine" / "reject"):
 * the current record (len bytes, from DNS: any bytes) with p= set to target
 * right after v=DMARC1 (RFC 7489 6.4) and pct= dropped, every other tag
 * kept as written; or, when current is NULL, longer than
 * DAEMON_REPORT_MAX_RECORD, not a v=DMARC1 record or holds control bytes,
 * "v=DMARC1; p=TARGET; rua=mailto:RUA" (without rua when rua is NULL or "").
 * Never NULL; caller frees.
 */
char *daemon_report_record(const char *target, const char *current, size_t len, const char *rua);

/* Free an analysis that is not part of a snapshot; NULL is a no-op. */
void daemon_report_analysis_free(struct web_reports *a);

/*
 * The findings of check "reports" for an analysis, appended to f (a NULL a
 * gives none: no reports, no result).  Codes (docs/findings.md):
 *  - REPORT_COMPLIANCE_LOW: the 7-day DMARC pass ratio is below
 *    compliance_floor; warn, critical below 50%;
 *  - REPORT_UNKNOWN_SOURCE (warn), one per source in the unknown group,
 *    first seen within new_source_days, with at least
 *    unknown_min_messages (and at least one) messages in the last 7 days;
 *  - TLSRPT_FAILURES (warn), one per (reporter, policy) with failed
 *    sessions in the last 7 days;
 *  - REPORT_MOVE_TO_QUARANTINE / REPORT_MOVE_TO_REJECT (info), fix = the
 *    record to publish;
 *  - REPORT_OK (ok, the headline) when none of the warn ones was said.
 * Every message names the domain (its display name).
 */
void daemon_report_findings(const struct web_reports *a, const struct daemon_config *cfg,
			    const struct daemon_config_domain *d, struct dns_findings *f);

#endif
