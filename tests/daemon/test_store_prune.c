/*
 * tests/daemon/test_store_prune: retention at a fixed "now": results 30
 * days (to the second), the last and last good results spared however old,
 * day buckets 400 days (to the day), transitions and closed episodes with
 * their outbox rows 400 days, test notifications 30 days, forgotten checks,
 * counters that survive, chunked deletes of more than one chunk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_alert.h"
#include "daemon/store_outbox.h"
#include "daemon/store_prune.h"
#include "daemon/store_result.h"
#include "tests/lib/tap.h"

#define NOW 1800000000LL /* 2027-01-15 08:00:00 UTC */
#define DAYS(n) ((int64_t)(n)*86400)

static struct daemon_store *s;

static int64_t qint(const char *sql)
{
	int64_t v = -999;

	if (daemon_store_query_int(s, sql, &v) != ERR_OK)
		tap_diag("query failed: %s: %s", sql, daemon_store_errmsg(s));
	return v;
}

static int64_t add(const char *domain, const char *check, int64_t at, enum dns_sev sev,
		   bool with_finding)
{
	struct daemon_store_result r = {.domain = domain,
					.check = check,
					.at = at,
					.severity = sev,
					.spf_lookups = -1,
					.spf_void_lookups = -1};
	struct dns_findings f;
	int64_t id = 0;

	dns_findings_init(&f);
	if (with_finding)
		dns_findings_add(&f, check, "SOME_CODE", sev, NULL, NULL, 0, "words");
	if (daemon_store_result_add(s, &r, &f, &id) != ERR_OK)
		tap_diag("add: %s", daemon_store_errmsg(s));
	dns_findings_clear(&f);
	return id;
}

static void transition(int64_t at)
{
	struct daemon_store_alert_transition t = {.domain = "t.example",
						  .check = "spf",
						  .from = "ok",
						  .to = "pending",
						  .severity = SEV_WARN,
						  .at = at};

	if (daemon_store_alert_transition_add(s, &t, NULL) != ERR_OK)
		tap_diag("transition: %s", daemon_store_errmsg(s));
}

static void episode(const char *id, const char *check, int64_t start, int64_t end)
{
	struct daemon_store_alert_episode e = {.id = id,
					       .domain = "e.example",
					       .check = check,
					       .severity = SEV_WARN,
					       .started_at = start};
	struct daemon_store_outbox_msg m = {.episode_id = id,
					    .channel = "slack",
					    .event = DAEMON_STORE_OUTBOX_FIRING,
					    .payload = "{}"};
	int64_t oid = 0;

	if (daemon_store_alert_episode_open(s, &e, NULL) != ERR_OK ||
	    daemon_store_outbox_enqueue(s, &m, start, &oid, NULL) != ERR_OK ||
	    daemon_store_outbox_mark_sent(s, oid, start + 1) != ERR_OK ||
	    (end && daemon_store_alert_episode_close(s, id, end) != ERR_OK))
		tap_diag("episode %s: %s", id, daemon_store_errmsg(s));
}

static void test_message(int64_t updated, bool sent)
{
	struct daemon_store_outbox_msg m = {
	    .channel = "mail", .event = DAEMON_STORE_OUTBOX_TEST, .payload = "test"};
	int64_t id = 0;

	if (daemon_store_outbox_enqueue(s, &m, updated, &id, NULL) != ERR_OK ||
	    (sent && daemon_store_outbox_mark_sent(s, id, updated) != ERR_OK))
		tap_diag("test message: %s", daemon_store_errmsg(s));
}

static void fill(void)
{
	int64_t today = daemon_store_result_day(NOW);

	/* p.example/spf: two too old, one on the boundary, two recent */
	add("p.example", "spf", NOW - DAYS(40), SEV_OK, false);
	add("p.example", "spf", NOW - DAYS(30) - 1, SEV_CRITICAL, false);
	add("p.example", "spf", NOW - DAYS(30), SEV_WARN, false);
	add("p.example", "spf", NOW - DAYS(1), SEV_OK, false);
	add("p.example", "spf", NOW - 60, SEV_OK, true);
	/* keep.example/dkim: nothing recent; the last good and the last stay */
	add("keep.example", "dkim", NOW - DAYS(45), SEV_OK, false);
	add("keep.example", "dkim", NOW - DAYS(40), SEV_WARN, true);
	add("keep.example", "dkim", NOW - DAYS(35), SEV_UNKNOWN, true);
	/* gone.example/mx: not checked for 401 days: forgotten */
	add("gone.example", "mx", NOW - DAYS(402), SEV_OK, true);
	add("gone.example", "mx", NOW - DAYS(401), SEV_UNKNOWN, true);
	/* b.example/mx: buckets on both sides of the 400-day edge */
	add("b.example", "mx", (today - 400) * 86400 + 3600, SEV_OK, false);
	add("b.example", "mx", (today - 399) * 86400 + 3600, SEV_OK, false);
	add("b.example", "mx", NOW, SEV_OK, false);
	transition(NOW - DAYS(401));
	transition(NOW - DAYS(399));
	transition(NOW);
	episode("old", "spf", NOW - DAYS(500), NOW - DAYS(401));
	episode("recent", "dkim", NOW - DAYS(500), NOW - DAYS(399));
	episode("open", "dmarc", NOW - DAYS(500), 0);
	test_message(NOW - DAYS(31), true);
	test_message(NOW - DAYS(29), true);
	test_message(NOW - DAYS(31), false); /* pending: never pruned */
}

static void test_prune(void)
{
	struct daemon_store_prune_stats st = {0};
	struct daemon_store_result r;
	struct daemon_store_day d[2];
	struct daemon_store_outbox_stats os = {0};
	int64_t today = daemon_store_result_day(NOW);
	char err[256];

	fill();
	tap_ok(daemon_store_begin(s, false) == ERR_OK, "begin");
	tap_ok(daemon_store_prune(s, NOW, &st) == ERR_INVAL, "no prune inside a batch");
	daemon_store_rollback(s);
	tap_ok(daemon_store_prune(s, NOW, &st) == ERR_OK, "prune");
	tap_diag("pruned results=%llu buckets=%llu transitions=%llu episodes=%llu outbox=%llu "
		 "checks=%llu",
		 (unsigned long long)st.results, (unsigned long long)st.buckets,
		 (unsigned long long)st.transitions, (unsigned long long)st.episodes,
		 (unsigned long long)st.outbox, (unsigned long long)st.checks);
	tap_is_int(qint("SELECT count(*) FROM results WHERE domain = 'p.example'"), 3,
		   "p.example: results older than 30 days gone, the boundary second kept");
	tap_is_int(qint("SELECT min(at) FROM results WHERE domain = 'p.example'"), NOW - DAYS(30),
		   "the oldest kept is exactly 30 days old");
	tap_is_int(qint("SELECT count(*) FROM results WHERE domain = 'keep.example'"), 2,
		   "keep.example: the last and the last good survive");
	tap_ok(daemon_store_result_last(s, "keep.example", "dkim", true, &r) == ERR_OK &&
		   r.at == NOW - DAYS(40) && r.severity == SEV_WARN,
	       "the page still has the last good result");
	daemon_store_result_clear(&r);
	tap_is_int(qint("SELECT count(*) FROM findings f JOIN results r ON r.id = f.result_id"
			" WHERE r.domain = 'keep.example'"),
		   2, "with their findings");
	tap_is_int(qint("SELECT count(*) FROM results WHERE domain = 'gone.example'") +
		       qint("SELECT count(*) FROM latest WHERE domain = 'gone.example'"),
		   0, "a check not run for 400 days is forgotten");
	tap_is_int(qint("SELECT count(*) FROM findings f LEFT JOIN results r ON r.id = f.result_id"
			" WHERE r.id IS NULL"),
		   0, "no orphaned findings");
	tap_ok(daemon_store_result_days(s, "b.example", "mx", today - 399, 2, d) == ERR_OK, "days");
	tap_ok(daemon_store_result_day_total(&d[0]) == 0 &&
		   daemon_store_result_day_total(&d[1]) == 1,
	       "the bucket 400 days back is gone, 399 days back stays");
	tap_is_int(qint("SELECT min(day) FROM day_buckets"), today - 399, "oldest bucket");
	tap_is_int(qint("SELECT count(*) FROM transitions"), 2, "transitions older than 400 d");
	tap_is_int(qint("SELECT count(*) FROM episodes"), 2, "the long-closed episode is gone");
	tap_is_int(qint("SELECT count(*) FROM episodes WHERE id = 'open'"), 1,
		   "an open episode stays however old");
	tap_is_int(qint("SELECT count(*) FROM outbox WHERE episode_id = 'old'"), 0,
		   "with its outbox rows");
	tap_is_int(qint("SELECT count(*) FROM outbox WHERE episode_id IS NULL"), 2,
		   "old sent test messages go; recent and pending ones stay");
	tap_ok(st.results == 7 && st.checks == 1 && st.buckets == 3 && st.transitions == 1 &&
		   st.episodes == 1 && st.outbox == 2,
	       "the counts add up");
	tap_ok(daemon_store_outbox_stats(s, &os) == ERR_OK && os.n == 2 && os.v[1].channel &&
		   strcmp(os.v[1].channel, "slack") == 0 && os.v[1].sent == 3 && os.v[0].sent == 2,
	       "delivery counters survive retention");
	daemon_store_outbox_stats_free(&os);
	tap_ok(daemon_store_prune(s, NOW, &st) == ERR_OK && st.results == 0 && st.buckets == 0 &&
		   st.episodes == 0 && st.outbox == 0,
	       "a second prune finds nothing");
	tap_ok(daemon_store_integrity_check(s, err, sizeof err) == ERR_OK, "intact: %s", err);
}

static void test_chunks(void)
{
	struct daemon_store_prune_stats st = {0};
	const int n = 12001;

	tap_ok(daemon_store_begin(s, false) == ERR_OK, "begin");
	for (int i = 0; i < n; i++)
		add("many.example", "spf", NOW - DAYS(60) + i, SEV_OK, false);
	tap_ok(daemon_store_commit(s) == ERR_OK, "%d old results", n);
	add("many.example", "spf", NOW, SEV_OK, false);
	tap_ok(daemon_store_prune(s, NOW, NULL) == ERR_OK, "prune without stats");
	tap_is_int(qint("SELECT count(*) FROM results WHERE domain = 'many.example'"), 1,
		   "all %d removed over three chunks", n);
	tap_ok(daemon_store_prune(s, NOW, &st) == ERR_OK && st.results == 0, "nothing left");
}

int main(void)
{
	char *path = xasprintf("%s/prune.db", tap_tmpdir());
	char err[256] = "";

	if (!tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_OK, "open: %s", err))
		return tap_done();
	test_prune();
	test_chunks();
	daemon_store_close(s);
	free(path);
	return tap_done();
}
