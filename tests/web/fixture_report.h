/*
 * tests/web/fixture_report: struct web_reports for the web/ report tests
 * (issue 5).  Hostile on purpose: reporters are strangers, so reporter
 * names, report ids, header_from, subjects and the recommended record hold
 * markup, quotes, invalid UTF-8 and bidirectional overrides; one source has
 * a group outside the closed set.
 */
#ifndef MAILPULSE_TESTS_WEB_FIXTURE_REPORT_H
#define MAILPULSE_TESTS_WEB_FIXTURE_REPORT_H

#include <stdint.h>
#include "web/snapshot.h"

/* Hostile texts the tests look for escaped (HTML) or intact (JSON), never raw in HTML. */
#define FXR_REPORTER "<script>alert(9)</script>"
#define FXR_REPORT_ID "id\"><img src=x onerror=alert(10)>"
#define FXR_FROM "from<b>\xff\xfe</b>.example"
#define FXR_SUBJECT                                                                                \
	"Invoice \xe2\x80\xae"                                                                     \
	"fdp.exe"
#define FXR_RECORD "v=DMARC1; p=reject; rua=mailto:<dmarc@shop.example>"
#define FXR_TEXT "All 4 sources align & pass for 30 days: \"reject\" is safe."

/*
 * Reports for shop.example at time now: windows 1 d (no message), 7 d
 * (1,000 messages, 972 pass: "97.2%"), 30 d (12,345 messages, 12,000 pass);
 * recommend "reject" with FXR_RECORD; five sources (two aligned, one of
 * them new, two misaligned, one with group "bogus"); two TLS-RPT rows (one
 * with 7 failures: "certificate-expired:3,starttls-not-supported:4"); three
 * recent reports; one failure report.  Counters pass 120000, fail 3456.
 * Owned by the snapshot (web_snapshot_free).
 */
struct web_reports *fixture_reports(int64_t now);

/*
 * The fixture_snapshot() of tests/web/fixture with fixture_reports() on
 * shop.example (domains[0]) and a report-less example.com (domains[1]).
 */
struct web_snapshot *fixture_report_snapshot(int64_t now);

/*
 * A web_reports with n sources "192.0.2.N" all in group "misaligned" and
 * nothing else, every window empty (ratio -1).
 */
struct web_reports *fixture_reports_many(size_t n);

#endif
