/*
 * tests/daemon/test_store_result: check results in the store: insert and
 * read back, the last / last good rule (a DNS timeout never replaces the
 * last good result), late inserts of older results, the structured findings
 * of the last results (evidence with NUL bytes and invalid UTF-8), history,
 * day buckets across UTC midnight with fixed clocks, and argument checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_result.h"
#include "tests/lib/tap.h"

/* 2024-03-10 00:00:00 UTC = day 19792 */
#define MIDNIGHT 1710028800LL
#define DAY0 19792

static struct daemon_store *open_store(const char *name)
{
	char *path = xasprintf("%s/%s", tap_tmpdir(), name);
	struct daemon_store *s = NULL;
	char err[256] = "";

	if (daemon_store_open(path, &s, err, sizeof err) != ERR_OK)
		tap_diag("open: %s", err);
	free(path);
	return s;
}

static int64_t qint(struct daemon_store *s, const char *sql)
{
	int64_t v = -999;

	if (daemon_store_query_int(s, sql, &v) != ERR_OK)
		tap_diag("query failed: %s: %s", sql, daemon_store_errmsg(s));
	return v;
}

static struct daemon_store_result res(const char *domain, const char *check, int64_t at,
				      enum dns_sev sev)
{
	struct daemon_store_result r = {.domain = domain,
					.check = check,
					.at = at,
					.severity = sev,
					.duration_ms = 12,
					.spf_lookups = -1,
					.spf_void_lookups = -1};

	return r;
}

static int64_t add(struct daemon_store *s, struct daemon_store_result r,
		   const struct dns_findings *f)
{
	int64_t id = 0;

	if (daemon_store_result_add(s, &r, f, &id) != ERR_OK)
		tap_diag("add failed: %s", daemon_store_errmsg(s));
	return id;
}

static void test_roundtrip(struct daemon_store *s)
{
	struct daemon_store_result r = res("example.com", "spf", MIDNIGHT + 60, SEV_WARN), got;
	int64_t id = 0;

	r.duration_ms = 1234;
	r.spf_lookups = 7;
	r.spf_void_lookups = 1;
	r.findings_json = "[{\"code\":\"SPF_SOFTFAIL_ALL\"}]";
	tap_ok(daemon_store_result_add(s, &r, NULL, &id) == ERR_OK && id > 0, "add a result");
	tap_ok(daemon_store_result_last(s, "example.com", "spf", false, &got) == ERR_OK,
	       "read it back");
	tap_ok(got.id == id && got.at == r.at && got.severity == SEV_WARN, "id, time, severity");
	tap_is_str(got.domain, "example.com", "domain");
	tap_is_str(got.check, "spf", "check");
	tap_is_int(got.duration_ms, 1234, "duration");
	tap_is_int(got.spf_lookups, 7, "spf lookups");
	tap_is_int(got.spf_void_lookups, 1, "spf void lookups");
	tap_ok(got.reason == NULL, "no reason");
	tap_is_str(got.findings_json, r.findings_json, "findings json");
	daemon_store_result_clear(&got);
	tap_ok(got.domain == NULL, "clear zeroes");
	tap_ok(daemon_store_result_last(s, "example.com", "dkim", false, &got) == ERR_NOTFOUND,
	       "no result for another check is ERR_NOTFOUND");
	tap_ok(daemon_store_result_last(s, "other.example", "spf", true, &got) == ERR_NOTFOUND,
	       "no good result for another domain is ERR_NOTFOUND");
	r = res("example.com", "mx", MIDNIGHT, SEV_OK);
	add(s, r, NULL);
	tap_ok(daemon_store_result_last(s, "example.com", "mx", false, &got) == ERR_OK &&
		   got.spf_lookups == -1 && got.spf_void_lookups == -1,
	       "lookup counts -1 come back as -1 (NULL)");
	daemon_store_result_clear(&got);
}

/* DESIGN.md 5: a DNS timeout never erases the last good result. */
static void test_last_good(struct daemon_store *s)
{
	struct daemon_store_result r = res("good.example", "dmarc", 1000, SEV_CRITICAL), last, good;
	int64_t crit = add(s, r, NULL), unk, ok2;

	r = res("good.example", "dmarc", 2000, SEV_UNKNOWN);
	r.reason = "timeout querying _dmarc.good.example TXT";
	unk = add(s, r, NULL);
	tap_ok(daemon_store_result_last(s, "good.example", "dmarc", false, &last) == ERR_OK &&
		   last.id == unk && last.severity == SEV_UNKNOWN,
	       "the last result is the unknown one");
	tap_is_str(last.reason, r.reason, "with its reason");
	tap_ok(daemon_store_result_last(s, "good.example", "dmarc", true, &good) == ERR_OK &&
		   good.id == crit && good.severity == SEV_CRITICAL,
	       "the last good result is still the critical one");
	daemon_store_result_clear(&last);
	daemon_store_result_clear(&good);
	/* only unknowns so far for another check: no good result at all */
	r = res("good.example", "bimi", 1500, SEV_UNKNOWN);
	add(s, r, NULL);
	tap_ok(daemon_store_result_last(s, "good.example", "bimi", true, &good) == ERR_NOTFOUND,
	       "a check with only unknown results has no good result");
	/* a late result older than the last one changes nothing */
	r = res("good.example", "dmarc", 1500, SEV_OK);
	add(s, r, NULL);
	tap_ok(daemon_store_result_last(s, "good.example", "dmarc", false, &last) == ERR_OK &&
		   last.id == unk,
	       "an older late result does not become the last");
	tap_ok(daemon_store_result_last(s, "good.example", "dmarc", true, &good) == ERR_OK &&
		   good.at == 1500 && good.severity == SEV_OK,
	       "but it is the newest good one");
	daemon_store_result_clear(&last);
	daemon_store_result_clear(&good);
	r = res("good.example", "dmarc", 3000, SEV_OK);
	ok2 = add(s, r, NULL);
	tap_ok(daemon_store_result_last(s, "good.example", "dmarc", false, &last) == ERR_OK &&
		   daemon_store_result_last(s, "good.example", "dmarc", true, &good) == ERR_OK &&
		   last.id == ok2 && good.id == ok2,
	       "a new good result is both last and last good");
	daemon_store_result_clear(&last);
	daemon_store_result_clear(&good);
}

static void test_findings(struct daemon_store *s)
{
	struct dns_findings f, got;
	struct daemon_store_result r = res("f.example", "dkim", 5000, SEV_CRITICAL);
	static const char ev[] = "v=DKIM1; p=\0\xff\xfe<script>";
	int64_t id1, id2, id3;

	dns_findings_init(&f);
	dns_findings_init(&got);
	dns_findings_add(&f, "dkim", "DKIM_KEY_REVOKED", SEV_CRITICAL, "publish the key again", ev,
			 sizeof ev - 1, "selector %s is revoked", "s1");
	dns_findings_add(&f, "dkim", "DKIM_TESTING", SEV_INFO, NULL, NULL, 0, "100%% testing");
	id1 = add(s, r, &f);
	tap_ok(daemon_store_result_findings(s, id1, &got) == ERR_OK && got.n == 2,
	       "two findings stored");
	if (got.n == 2) {
		tap_is_str(got.v[0].code, "DKIM_KEY_REVOKED", "first code");
		tap_is_str(got.v[0].check, "dkim", "check");
		tap_ok(got.v[0].sev == SEV_CRITICAL, "severity");
		tap_is_str(got.v[0].message, "selector s1 is revoked", "message");
		tap_is_str(got.v[0].fix, "publish the key again", "fix");
		tap_ok(got.v[0].evidence_len == sizeof ev - 1 &&
			   memcmp(got.v[0].evidence, ev, sizeof ev - 1) == 0,
		       "evidence with NUL and invalid UTF-8 comes back byte for byte");
		tap_ok(got.v[1].fix == NULL && got.v[1].evidence == NULL, "NULL fix and evidence");
		tap_is_str(got.v[1].message, "100% testing", "a %% in a message");
	}
	dns_findings_clear(&got);
	/* an unknown result: last, but the findings of the good one stay */
	r = res("f.example", "dkim", 6000, SEV_UNKNOWN);
	dns_findings_clear(&f);
	dns_findings_add(&f, "dns", "DNS_TIMEOUT", SEV_UNKNOWN, NULL, NULL, 0, "timeout");
	id2 = add(s, r, &f);
	tap_ok(daemon_store_result_findings(s, id1, &got) == ERR_OK && got.n == 2,
	       "the last good result keeps its findings");
	dns_findings_clear(&got);
	tap_ok(daemon_store_result_findings(s, id2, &got) == ERR_OK && got.n == 1 &&
		   strcmp(got.v[0].code, "DNS_TIMEOUT") == 0,
	       "the last (unknown) result has its own");
	dns_findings_clear(&got);
	/* a good result replaces both: older findings go */
	r = res("f.example", "dkim", 7000, SEV_OK);
	dns_findings_clear(&f);
	id3 = add(s, r, &f);
	tap_ok(daemon_store_result_findings(s, id1, &got) == ERR_OK && got.n == 0,
	       "findings of a result that is no longer last nor good are gone");
	tap_ok(daemon_store_result_findings(s, id2, &got) == ERR_OK && got.n == 0,
	       "so are those of the replaced unknown result");
	tap_ok(daemon_store_result_findings(s, id3, &got) == ERR_OK && got.n == 0,
	       "an empty finding list stores nothing");
	tap_is_int(qint(s, "SELECT count(*) FROM findings f JOIN results r ON r.id = f.result_id"
			   " WHERE r.domain = 'f.example'"),
		   0, "no findings rows left for f.example");
	/* out doubles as an accumulator: appends */
	dns_findings_add(&got, "x", "PRE_EXISTING", SEV_OK, NULL, NULL, 0, "kept");
	r = res("f.example", "dkim", 8000, SEV_WARN);
	dns_findings_add(&f, "dkim", "DKIM_SHORT_KEY", SEV_WARN, NULL, NULL, 0, "1024 bits");
	id3 = add(s, r, &f);
	tap_ok(daemon_store_result_findings(s, id3, &got) == ERR_OK && got.n == 2 &&
		   strcmp(got.v[0].code, "PRE_EXISTING") == 0,
	       "findings are appended to what out holds");
	dns_findings_clear(&got);
	dns_findings_clear(&f);
}

static void test_latest_and_history(struct daemon_store *s)
{
	struct daemon_store_result_pairs p = {0};
	struct daemon_store_result_list h = {0};
	static const char *const checks[] = {"dkim", "dmarc", "spf"};
	enum mp_err e;

	for (int i = 0; i < 3; i++) {
		add(s, res("h.example", checks[i], 100, SEV_OK), NULL);
		add(s, res("h.example", checks[i], 200, i == 1 ? SEV_UNKNOWN : SEV_WARN), NULL);
	}
	add(s, res("h2.example", "spf", 100, SEV_UNKNOWN), NULL);
	tap_ok(daemon_store_result_latest(s, "h.example", &p) == ERR_OK && p.n == 3,
	       "latest: one pair per check");
	if (p.n == 3) {
		tap_is_str(p.v[0].last.check, "dkim", "ordered by check");
		tap_ok(p.v[0].has_good && p.v[0].last.id == p.v[0].good.id,
		       "dkim: last is the good one");
		tap_ok(p.v[1].has_good && p.v[1].last.severity == SEV_UNKNOWN &&
			   p.v[1].good.at == 100,
		       "dmarc: last unknown, good from before");
		tap_ok(p.v[0].ok_at == 100 && p.v[1].ok_at == 100 && p.v[2].ok_at == 100,
		       "when each check last passed (ok at 100, then warn or unknown)");
	}
	daemon_store_result_pairs_free(&p);
	tap_ok(daemon_store_result_latest(s, "h2.example", &p) == ERR_OK && p.n == 1 &&
		   !p.v[0].has_good && p.v[0].ok_at == -1,
	       "a check with no good result has no pair partner and never passed");
	daemon_store_result_pairs_free(&p);
	/* example.com 2, good.example 2, f.example 1, h.example 3, h2.example 1 */
	e = daemon_store_result_latest(s, NULL, &p);
	tap_ok(e == ERR_OK && p.n == 9, "latest of all domains (%zu pairs)", p.n);
	daemon_store_result_pairs_free(&p);
	tap_ok(daemon_store_result_history(s, "h.example", NULL, 0, 0, &h) == ERR_OK && h.n == 6,
	       "history of a domain");
	tap_ok(h.n == 6 && h.v[0].at == 200 && h.v[5].at == 100, "newest first");
	daemon_store_result_list_free(&h);
	tap_ok(daemon_store_result_history(s, "h.example", "spf", 150, 10, &h) == ERR_OK &&
		   h.n == 1,
	       "history of a check since a time");
	daemon_store_result_list_free(&h);
	tap_ok(daemon_store_result_history(s, "h.example", NULL, 0, 2, &h) == ERR_OK && h.n == 2,
	       "history limit");
	daemon_store_result_list_free(&h);
}

static void test_days(struct daemon_store *s)
{
	struct daemon_store_day d[5];

	tap_is_int(daemon_store_result_day(MIDNIGHT), DAY0, "day of midnight");
	tap_is_int(daemon_store_result_day(MIDNIGHT - 1), DAY0 - 1, "one second earlier");
	tap_is_int(daemon_store_result_day(0), 0, "epoch");
	tap_is_int(daemon_store_result_day(86399), 0, "end of day 0");
	/* around midnight, fixed clock */
	add(s, res("d.example", "spf", MIDNIGHT - 1, SEV_OK), NULL);
	add(s, res("d.example", "spf", MIDNIGHT - 1, SEV_CRITICAL), NULL);
	add(s, res("d.example", "spf", MIDNIGHT, SEV_WARN), NULL);
	add(s, res("d.example", "spf", MIDNIGHT + 86399, SEV_UNKNOWN), NULL);
	add(s, res("d.example", "spf", MIDNIGHT + 86400, SEV_INFO), NULL);
	add(s, res("d.example", "dkim", MIDNIGHT + 10, SEV_OK), NULL);
	add(s, res("d.example", "dkim", MIDNIGHT + 3 * 86400, SEV_OK), NULL);
	tap_ok(daemon_store_result_days(s, "d.example", "spf", DAY0 + 2, 5, d) == ERR_OK,
	       "days of one check");
	tap_ok(d[0].day == DAY0 - 2 && d[4].day == DAY0 + 2, "oldest first, last_day last");
	tap_ok(daemon_store_result_day_total(&d[0]) == 0, "a day without results is empty (grey)");
	tap_ok(d[1].count[SEV_OK] == 1 && d[1].count[SEV_CRITICAL] == 1 &&
		   daemon_store_result_day_total(&d[1]) == 2,
	       "23:59:59 counts on the day before");
	tap_ok(d[2].count[SEV_WARN] == 1 && d[2].count[SEV_UNKNOWN] == 1 &&
		   daemon_store_result_day_total(&d[2]) == 2,
	       "00:00:00 and 23:59:59 on the same day");
	tap_ok(d[3].count[SEV_INFO] == 1 && daemon_store_result_day_total(&d[3]) == 1,
	       "next midnight starts the next day");
	tap_ok(daemon_store_result_day_total(&d[4]) == 0, "and then nothing");
	tap_ok(daemon_store_result_days(s, "d.example", NULL, DAY0 + 3, 5, d) == ERR_OK,
	       "days summed over the domain's checks");
	tap_ok(d[1].count[SEV_WARN] == 1 && d[1].count[SEV_OK] == 1 && d[1].count[SEV_UNKNOWN] == 1,
	       "spf and dkim of DAY0 summed");
	tap_ok(daemon_store_result_day_total(&d[3]) == 0 && d[4].count[SEV_OK] == 1,
	       "a gap, then dkim alone");
	tap_ok(daemon_store_result_days(s, "nobody.example", NULL, DAY0, 5, d) == ERR_OK &&
		   daemon_store_result_day_total(&d[4]) == 0,
	       "an unknown domain has no data");
	tap_ok(daemon_store_result_days(s, "d.example", NULL, DAY0, 0, d) == ERR_INVAL,
	       "zero days is ERR_INVAL");
	tap_ok(daemon_store_result_days(s, "d.example", NULL, -1, 1, d) == ERR_INVAL,
	       "a negative day is ERR_INVAL");
}

static void test_bad_input(struct daemon_store *s)
{
	struct daemon_store_result r = res("bad.example", "spf", 1, SEV_OK);
	struct dns_findings f;
	char *longname = xmalloc(300), *bigjson = xmalloc(DAEMON_STORE_MAX_JSON + 2);

	memset(longname, 'a', 299);
	longname[299] = '\0';
	memset(bigjson, ' ', DAEMON_STORE_MAX_JSON + 1);
	bigjson[DAEMON_STORE_MAX_JSON + 1] = '\0';
	r.domain = "";
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_INVAL, "empty domain");
	r.domain = NULL;
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_INVAL, "NULL domain");
	r.domain = longname;
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_INVAL, "299-byte domain");
	r.domain = "bad\r\nexample";
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_INVAL, "CRLF in a domain");
	r.domain = "bad.example";
	r.check = NULL;
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_INVAL, "NULL check");
	r.check = "spf";
	r.at = -5;
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_INVAL, "time before 1970");
	r.at = 1;
	r.severity = (enum dns_sev)17;
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_INVAL, "bad severity");
	r.severity = SEV_OK;
	r.spf_lookups = -2;
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_INVAL, "bad lookup count");
	r.spf_lookups = -1;
	r.findings_json = bigjson;
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_LIMIT, "1 MiB + 1 of JSON");
	r.findings_json = NULL;
	dns_findings_init(&f);
	dns_findings_add(&f, "spf", "", SEV_OK, NULL, NULL, 0, "no code");
	tap_ok(daemon_store_result_add(s, &r, &f, NULL) == ERR_INVAL, "a finding without a code");
	dns_findings_clear(&f);
	tap_is_int(qint(s, "SELECT count(*) FROM results WHERE domain LIKE 'bad%'"), 0,
		   "nothing stored from bad input");
	free(longname);
	free(bigjson);
}

int main(void)
{
	struct daemon_store *s = open_store("results.db");

	if (!tap_ok(s != NULL, "open a store"))
		return tap_done();
	test_roundtrip(s);
	test_last_good(s);
	test_findings(s);
	test_latest_and_history(s);
	test_days(s);
	test_bad_input(s);
	daemon_store_close(s);
	return tap_done();
}
