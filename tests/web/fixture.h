/*
 * tests/web/fixture: snapshots for the web/ tests and the fixture server.
 * Hostile on purpose: evidence with markup, quotes, invalid UTF-8 and NUL
 * bytes; a channel name with the characters Prometheus label values escape.
 */
#ifndef MAILPULSE_TESTS_WEB_FIXTURE_H
#define MAILPULSE_TESTS_WEB_FIXTURE_H

#include <stdint.h>
#include "web/snapshot.h"

/* The evidence of the hostile finding (the test looks for it escaped, never raw). */
#define FIXTURE_HOSTILE "<script>alert(1)</script>\"'&"
/* Evidence with an invalid UTF-8 byte and a NUL, length FIXTURE_BINARY_LEN. */
#define FIXTURE_BINARY "v=spf1 \xff\xfe a\0b -all"
#define FIXTURE_BINARY_LEN 18
/* A channel name that needs Prometheus escaping. */
#define FIXTURE_CHANNEL_ODD "team \"a\"\\b\nc"

/*
 * Probes (issue 4): shop.example probes (a failed probe in spam whose
 * detail_json holds markup in its headers and Authentication-Results, a
 * bounce whose detail_json is not JSON, a lost one); example.com probes (one
 * verified in 3.25 s); the other two do not probe.  Hostile text the tests
 * look for escaped, never raw:
 */
#define FIXTURE_PROBE_HEADER "<script>alert(5)</script>"
#define FIXTURE_PROBE_AUTHRES "<svg/onload=alert(6)>"
#define FIXTURE_PROBE_NOT_JSON "not json <script>alert(8)</script>"
#define FIXTURE_PROBE_DIAG "<script>alert(7)</script>"

/*
 * Four domains at time now: shop.example (critical, the hostile findings,
 * an open alert), example.com (ok, a full SPF tree), xn--bcher-kva.example
 * (warn, shown as bücher.example), new.example (unknown, never checked, no
 * history).  Ready, three channels, one readiness finding.  Free with
 * web_snapshot_free().
 */
struct web_snapshot *fixture_snapshot(int64_t now);

/* One domain "one.example" whose status is status ("ok", "warn", ...); ready. */
struct web_snapshot *fixture_single(int64_t now, const char *status);

/*
 * A fleet: n domains "d000000.example" ... with seven checks and 90 days of
 * history each, one in fifty failing DMARC.  For the cache tests: the page
 * of a few thousand domains takes long enough to render to overlap with
 * other requests.  Free with web_snapshot_free().
 */
struct web_snapshot *fixture_many(int64_t now, size_t n);

/* Inflate a gzip member (a gzip-coded page); NULL when it is not one.  Caller frees. */
char *web_fixture_gunzip(const char *gz, size_t len, size_t *out_len);

#endif
