/*
 * tests/daemon/test_store_migrate: schema migrations.  The test builds a
 * version-1 database with rows in it (as a version-1 mailpulsed would have
 * left it), upgrades it to the current version (every later step in one
 * open) and checks the data, the backfill of step 2, the table and column
 * of step 3 and the SPF tree column of step 4; each step is applied once; a
 * failing step rolls back whole and leaves the database at the previous
 * version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_alert.h"
#include "daemon/store_outbox.h"
#include "daemon/store_result.h"
#include "daemon/store_schema.h"
#include "tests/lib/tap.h"

static int64_t qint(struct daemon_store *s, const char *sql)
{
	int64_t v = -999;

	if (daemon_store_query_int(s, sql, &v) != ERR_OK)
		tap_diag("query failed: %s: %s", sql, daemon_store_errmsg(s));
	return v;
}

static void test_table(void)
{
	size_t n = 0;
	const struct daemon_store_migration *m = daemon_store_schema_migrations(&n);
	bool ok = n >= 2;

	for (size_t i = 0; i < n; i++)
		ok = ok && m[i].version == (int)i + 1 && m[i].name && *m[i].name && m[i].sql &&
		     *m[i].sql;
	tap_ok(ok, "%zu migrations numbered 1..%zu, each named and with SQL", n, n);
	tap_is_int(daemon_store_schema_version(), (long long)n, "current version = count");
}

/* What a version-1 daemon left behind: results, an episode, outbox rows in every state. */
static void seed_v1(struct daemon_store *s)
{
	struct daemon_store_alert_episode e = {.id = "ep-v1",
					       .domain = "m.example",
					       .check = "spf",
					       .severity = SEV_WARN,
					       .started_at = 1000,
					       .summary = "from v1"};
	struct daemon_store_outbox_msg m = {.episode_id = "ep-v1",
					    .channel = "slack",
					    .event = DAEMON_STORE_OUTBOX_FIRING,
					    .payload = "{}"};
	int64_t id = 0;

	struct daemon_store_result r = {.domain = "m.example",
					.check = "mx",
					.at = 5,
					.severity = SEV_OK,
					.spf_lookups = -1,
					.spf_void_lookups = -1};

	/* results as the version-1 code wrote them (today's code needs step 3) */
	tap_ok(daemon_store_exec(
		   s, "INSERT INTO results (id, domain, check_name, at, severity, duration_ms,"
		      " spf_lookups, spf_void_lookups) VALUES"
		      " (1, 'm.example', 'spf', 1000, 'warn', 5, 9, 0),"
		      " (2, 'm.example', 'mx', 900, 'ok', 5, NULL, NULL),"
		      " (3, 'm.example', 'mx', 950, 'unknown', 5, NULL, NULL);"
		      "INSERT INTO latest (domain, check_name, last_id, last_at, good_id,"
		      " good_at) VALUES ('m.example', 'spf', 1, 1000, 1, 1000),"
		      " ('m.example', 'mx', 3, 950, 2, 900)") == ERR_OK,
	       "v1: results");
	tap_ok(daemon_store_result_add(s, &r, NULL, NULL) == ERR_IO,
	       "today's result_add needs a newer schema: %s", daemon_store_errmsg(s));
	tap_ok(daemon_store_alert_episode_open(s, &e, NULL) == ERR_OK, "v1: open an episode");
	tap_ok(daemon_store_outbox_enqueue(s, &m, 1000, &id, NULL) == ERR_OK, "v1: enqueue");
	tap_ok(daemon_store_exec(s,
				 "INSERT INTO transitions (domain, check_name, from_state,"
				 " to_state, severity, at) VALUES ('m.example', 'spf', 'pending',"
				 " 'firing', 'warn', 1000)") == ERR_OK,
	       "v1: a transition");
	tap_ok(daemon_store_outbox_mark_sent(s, id, 1001) == ERR_IO,
	       "v1 has no channel_stats: mark_sent fails: %s", daemon_store_errmsg(s));
	tap_is_int(qint(s, "SELECT count(*) FROM outbox WHERE status = 'pending'"), 1,
		   "and changed nothing");
	/* the outcomes a v1 daemon recorded its own way */
	tap_ok(daemon_store_exec(
		   s,
		   "UPDATE outbox SET status = 'sent', attempts = 1 WHERE channel = 'slack';"
		   "INSERT INTO outbox (episode_id, channel, event, seq, payload, status,"
		   " attempts, next_attempt_at, created_at, updated_at) VALUES"
		   " ('ep-v1', 'slack', 'reminder', 1, '{}', 'sent', 1, 0, 1300, 1300),"
		   " ('ep-v1', 'hook', 'firing', 0, '{}', 'failed', 3, 0, 1000, 1100),"
		   " ('ep-v1', 'mail', 'firing', 0, '{}', 'pending', 0, 0, 1000, 1000)") == ERR_OK,
	       "v1: outbox rows sent, failed and pending");
}

/* The rows of seed_v1() after the upgrade, and the objects of the later steps. */
static void check_upgraded(struct daemon_store *s)
{
	struct daemon_store_outbox_stats st = {0};
	struct daemon_store_result r;
	struct daemon_store_result_pairs pairs = {0};
	struct daemon_store_alert_episode e;
	struct daemon_store_alert_transition_list tl = {0};
	struct daemon_store_alert_state st3 = {
	    .domain = "m.example", .check = "spf", .severity = SEV_WARN, .record = "{}"};
	struct daemon_store_alert_state_list sl = {0};

	tap_ok(daemon_store_outbox_stats(s, &st) == ERR_OK && st.n == 3, "stats of 3 channels");
	if (st.n == 3) {
		/* hook, mail, slack */
		tap_ok(st.v[0].failed == 1 && st.v[0].sent == 0, "hook: the failure backfilled");
		tap_ok(st.v[1].queued == 1 && st.v[1].sent == 0, "mail: still queued");
		tap_ok(st.v[2].sent == 2 && st.v[2].failed == 0, "slack: two sends backfilled");
	}
	daemon_store_outbox_stats_free(&st);
	tap_ok(daemon_store_result_last(s, "m.example", "spf", true, &r) == ERR_OK &&
		   r.spf_lookups == 9 && r.severity == SEV_WARN,
	       "the v1 result reads back");
	tap_ok(r.spf_tree_json == NULL, "step 4: a v1 result has no SPF tree");
	daemon_store_result_clear(&r);
	tap_ok(daemon_store_result_latest(s, "m.example", &pairs) == ERR_OK && pairs.n == 2 &&
		   pairs.v[0].ok_at == 900 && pairs.v[1].ok_at == -1,
	       "step 3 backfilled when each check last passed (mx 900, spf never)");
	daemon_store_result_pairs_free(&pairs);
	tap_ok(daemon_store_alert_episode_get(s, "ep-v1", &e) == ERR_OK &&
		   strcmp(e.summary, "from v1") == 0,
	       "the v1 episode reads back");
	daemon_store_alert_episode_clear(&e);
	tap_ok(daemon_store_alert_transitions(s, "m.example", "spf", 0, &tl) == ERR_OK &&
		   tl.n == 1 && tl.v[0].episode_id == NULL && strcmp(tl.v[0].to, "firing") == 0,
	       "the v1 transition reads back, without an episode (step 3 column)");
	daemon_store_alert_transition_list_free(&tl);
	tap_is_int(qint(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'alert_state'"), 1,
		   "step 3 table created");
	tap_ok(daemon_store_alert_state_save(s, "slack", &st3, 1) == ERR_OK &&
		   daemon_store_alert_state_load(s, "slack", &sl) == ERR_OK && sl.n == 1,
	       "and usable");
	daemon_store_alert_state_list_free(&sl);
	tap_ok(daemon_store_outbox_mark_sent(s,
					     qint(s, "SELECT id FROM outbox WHERE channel = "
						     "'mail'"),
					     2000) == ERR_OK,
	       "mark_sent works after the upgrade");
	tap_is_int(qint(s, "SELECT sent FROM channel_stats WHERE channel = 'mail'"), 1,
		   "and counts");
	{
		struct daemon_store_result nr = {.domain = "m.example",
						 .check = "spf",
						 .at = 3000,
						 .severity = SEV_OK,
						 .spf_lookups = 2,
						 .spf_void_lookups = 0,
						 .spf_tree_json = "{\"domain\":\"m.example\"}"};

		tap_ok(daemon_store_result_add(s, &nr, NULL, NULL) == ERR_OK &&
			   daemon_store_result_last(s, "m.example", "spf", false, &r) == ERR_OK &&
			   r.spf_tree_json != NULL &&
			   strcmp(r.spf_tree_json, "{\"domain\":\"m.example\"}") == 0,
		       "step 4: a new result keeps its SPF tree");
		daemon_store_result_clear(&r);
	}
}

static void test_upgrade(void)
{
	char *path = xasprintf("%s/v1.db", tap_tmpdir());
	struct daemon_store *s = NULL;
	int64_t applied1;
	char err[256] = "";

	tap_ok(daemon_store_open_at(path, 1, &s, err, sizeof err) == ERR_OK, "create at v1: %s",
	       err);
	if (s == NULL)
		goto out;
	tap_is_int(daemon_store_version(s), 1, "version 1");
	tap_is_int(qint(s, "PRAGMA user_version"), 1, "user_version 1");
	tap_is_int(qint(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'channel_stats'"), 0,
		   "no version-2 table yet");
	seed_v1(s);
	applied1 = qint(s, "SELECT applied_at FROM schema_migrations WHERE version = 1");
	daemon_store_close(s);
	s = NULL;

	tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_OK, "open upgrades: %s", err);
	if (s == NULL)
		goto out;
	tap_is_int(daemon_store_version(s), daemon_store_schema_version(), "current version");
	tap_is_int(qint(s, "PRAGMA user_version"), daemon_store_schema_version(), "user_version");
	tap_is_int(qint(s, "SELECT count(*) FROM schema_migrations"), daemon_store_schema_version(),
		   "one row per step");
	tap_is_int(qint(s, "SELECT applied_at FROM schema_migrations WHERE version = 1"), applied1,
		   "step 1 was not applied again");
	check_upgraded(s);
	tap_ok(daemon_store_integrity_check(s, err, sizeof err) == ERR_OK, "intact: %s", err);
	daemon_store_close(s);
	s = NULL;
	tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_OK &&
		   qint(s, "SELECT count(*) FROM schema_migrations") ==
		       daemon_store_schema_version(),
	       "reopening applies nothing");
out:
	daemon_store_close(s);
	free(path);
}

static void test_failed_step(void)
{
	char *path = xasprintf("%s/broken.db", tap_tmpdir());
	struct daemon_store *s = NULL;
	char err[256] = "";
	enum mp_err e;

	tap_ok(daemon_store_open_at(path, 1, &s, err, sizeof err) == ERR_OK, "create at v1");
	if (s == NULL)
		goto out;
	/* an object in the way of step 2 */
	tap_ok(daemon_store_exec(s, "CREATE TABLE channel_stats (x)") == ERR_OK, "plant a clash");
	daemon_store_close(s);
	s = NULL;
	e = daemon_store_open(path, &s, err, sizeof err);
	tap_ok(e == ERR_IO && s == NULL && strstr(err, "migration 2") != NULL,
	       "the failing step is reported: %s", err);
	tap_ok(daemon_store_open_at(path, 1, &s, err, sizeof err) == ERR_OK, "open at v1");
	if (s == NULL)
		goto out;
	tap_is_int(qint(s, "PRAGMA user_version"), 1, "still version 1");
	tap_is_int(qint(s, "SELECT count(*) FROM schema_migrations"), 1,
		   "no record of the failed step");
	tap_ok(daemon_store_exec(s, "DROP TABLE channel_stats") == ERR_OK, "clear the clash");
	daemon_store_close(s);
	s = NULL;
	tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_OK &&
		   daemon_store_version(s) == daemon_store_schema_version(),
	       "then the upgrade goes through");
out:
	daemon_store_close(s);
	free(path);
}

int main(void)
{
	test_table();
	test_upgrade();
	test_failed_step();
	return tap_done();
}
