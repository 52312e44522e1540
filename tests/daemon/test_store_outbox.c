/*
 * tests/daemon/test_store_outbox: the notification outbox: idempotent
 * enqueue (UNIQUE per episode, channel, event, seq), test messages, take
 * due with a lease, the outcomes sent / retry / failed and their counters,
 * the fired_delivered flag, last_error cleaning (no URL, no control bytes,
 * bounded), listing and argument checks.  Fixed clock values throughout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_alert.h"
#include "daemon/store_outbox.h"
#include "tests/lib/tap.h"

#define T0 1700000000LL

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

static void open_episode(struct daemon_store *s, const char *id, const char *check)
{
	struct daemon_store_alert_episode e = {.id = id,
					       .domain = "o.example",
					       .check = check,
					       .severity = SEV_CRITICAL,
					       .started_at = T0};

	if (daemon_store_alert_episode_open(s, &e, NULL) != ERR_OK)
		tap_diag("episode_open: %s", daemon_store_errmsg(s));
}

static struct daemon_store_outbox_msg msg(const char *episode, const char *channel,
					  enum daemon_store_outbox_event ev, uint32_t seq)
{
	struct daemon_store_outbox_msg m = {.episode_id = episode,
					    .channel = channel,
					    .event = ev,
					    .seq = seq,
					    .payload = "{\"event\":\"alert.firing\"}"};

	return m;
}

static int64_t enqueue(struct daemon_store *s, struct daemon_store_outbox_msg m, int64_t now)
{
	int64_t id = 0;

	if (daemon_store_outbox_enqueue(s, &m, now, &id, NULL) != ERR_OK)
		tap_diag("enqueue: %s", daemon_store_errmsg(s));
	return id;
}

static void test_enqueue(struct daemon_store *s)
{
	struct daemon_store_outbox_msg m = msg("ep-a", "ops-slack", DAEMON_STORE_OUTBOX_FIRING, 0);
	struct daemon_store_outbox_msg got;
	int64_t id1 = 0, id2 = 0;
	bool created = false;

	open_episode(s, "ep-a", "dkim");
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0, &id1, &created) == ERR_OK && created &&
		   id1 > 0,
	       "enqueue");
	m.payload = "a different payload";
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0 + 5, &id2, &created) == ERR_OK && !created &&
		   id2 == id1,
	       "enqueue the same notification again: same row, not created");
	tap_is_int(qint(s, "SELECT count(*) FROM outbox"), 1, "one row");
	tap_ok(daemon_store_outbox_get(s, id1, &got) == ERR_OK, "get");
	tap_is_str(got.payload, "{\"event\":\"alert.firing\"}", "the first payload stays");
	tap_is_str(got.episode_id, "ep-a", "episode");
	tap_is_str(got.channel, "ops-slack", "channel");
	tap_ok(got.event == DAEMON_STORE_OUTBOX_FIRING && got.seq == 0 &&
		   got.status == DAEMON_STORE_OUTBOX_PENDING && got.attempts == 0 &&
		   got.next_attempt_at == T0 && got.created_at == T0 && got.updated_at == T0 &&
		   got.last_error == NULL,
	       "pending, due now, no attempt yet");
	daemon_store_outbox_msg_clear(&got);
	/* other channel, other event, reminders by seq: separate rows */
	m = msg("ep-a", "ops-webhook", DAEMON_STORE_OUTBOX_FIRING, 0);
	tap_ok(enqueue(s, m, T0) != id1, "another channel is another row");
	m = msg("ep-a", "ops-slack", DAEMON_STORE_OUTBOX_REMINDER, 1);
	enqueue(s, m, T0 + 300);
	m.seq = 2;
	enqueue(s, m, T0 + 600);
	m.seq = 1;
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0 + 900, NULL, &created) == ERR_OK && !created,
	       "reminder 1 again: deduplicated");
	tap_is_int(qint(s, "SELECT count(*) FROM outbox"), 4, "four rows");
	/* tests have no episode and are never deduplicated */
	m = msg(NULL, "ops-slack", DAEMON_STORE_OUTBOX_TEST, 0);
	enqueue(s, m, T0);
	enqueue(s, m, T0);
	tap_is_int(qint(s, "SELECT count(*) FROM outbox WHERE event = 'test'"), 2,
		   "two test messages");
}

static void test_enqueue_refused(struct daemon_store *s)
{
	struct daemon_store_outbox_msg m;

	m = msg("no-such-episode", "ops-slack", DAEMON_STORE_OUTBOX_FIRING, 0);
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0, NULL, NULL) == ERR_INVAL,
	       "an unknown episode: %s", daemon_store_errmsg(s));
	m = msg(NULL, "ops-slack", DAEMON_STORE_OUTBOX_FIRING, 0);
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0, NULL, NULL) == ERR_INVAL,
	       "a firing without an episode");
	m = msg("ep-a", "ops-slack", DAEMON_STORE_OUTBOX_TEST, 0);
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0, NULL, NULL) == ERR_INVAL,
	       "a test with an episode");
	m = msg("ep-a", "", DAEMON_STORE_OUTBOX_FIRING, 0);
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0, NULL, NULL) == ERR_INVAL, "no channel");
	m = msg("ep-a", "x", (enum daemon_store_outbox_event)7, 0);
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0, NULL, NULL) == ERR_INVAL, "bad event");
	m = msg("ep-a", "x", DAEMON_STORE_OUTBOX_RESOLVED, 0);
	m.payload = NULL;
	tap_ok(daemon_store_outbox_enqueue(s, &m, T0, NULL, NULL) == ERR_INVAL, "no payload");
	{
		char *big = xmalloc(DAEMON_STORE_MAX_PAYLOAD + 2);

		memset(big, 'x', DAEMON_STORE_MAX_PAYLOAD + 1);
		big[DAEMON_STORE_MAX_PAYLOAD + 1] = '\0';
		m.payload = big;
		tap_ok(daemon_store_outbox_enqueue(s, &m, T0, NULL, NULL) == ERR_LIMIT,
		       "payload over 1 MiB");
		free(big);
	}
	tap_is_int(qint(s, "SELECT count(*) FROM outbox"), 6, "still six rows");
}

/* The two firing rows of ep-a, found by test_take(). */
static int64_t fire_id, web_id;

static void test_take(struct daemon_store *s)
{
	struct daemon_store_outbox_list l = {0};

	/* rows: slack firing (T0), webhook firing (T0), reminders (T0+300, T0+600), 2 tests (T0) */
	tap_ok(daemon_store_outbox_take_due(s, T0 - 1, 60, 0, &l) == ERR_OK && l.n == 0,
	       "nothing due before T0");
	daemon_store_outbox_list_free(&l);
	tap_ok(daemon_store_outbox_take_due(s, T0, 60, 0, &l) == ERR_OK && l.n == 4,
	       "four due at T0");
	for (size_t i = 0; i < l.n; i++) {
		tap_ok(l.v[i].next_attempt_at == T0 + 60, "row %lld claimed until T0+60",
		       (long long)l.v[i].id);
		if (l.v[i].event == DAEMON_STORE_OUTBOX_FIRING &&
		    strcmp(l.v[i].channel, "ops-slack") == 0)
			fire_id = l.v[i].id;
		if (l.v[i].event == DAEMON_STORE_OUTBOX_FIRING &&
		    strcmp(l.v[i].channel, "ops-webhook") == 0)
			web_id = l.v[i].id;
	}
	tap_ok(l.n == 4 && l.v[0].id < l.v[1].id, "oldest due first, then by id");
	daemon_store_outbox_list_free(&l);
	tap_ok(daemon_store_outbox_take_due(s, T0 + 30, 60, 0, &l) == ERR_OK && l.n == 0,
	       "claimed rows are not handed out again during the lease");
	daemon_store_outbox_list_free(&l);
	tap_ok(daemon_store_outbox_take_due(s, T0 + 300, 0, 1, &l) == ERR_OK && l.n == 1 &&
		   l.v[0].event == DAEMON_STORE_OUTBOX_FIRING,
	       "after the lease they are due again (limit 1, oldest first)");
	daemon_store_outbox_list_free(&l);
}

/* The firing on slack is delivered. */
static void test_sent(struct daemon_store *s)
{
	struct daemon_store_outbox_msg got;
	struct daemon_store_alert_episode ep;

	tap_ok(daemon_store_outbox_get(s, fire_id, &got) == ERR_OK, "get the firing row");
	daemon_store_outbox_msg_clear(&got);
	tap_ok(daemon_store_outbox_mark_sent(s, fire_id, T0 + 2) == ERR_OK, "mark sent");
	tap_ok(daemon_store_outbox_get(s, fire_id, &got) == ERR_OK &&
		   got.status == DAEMON_STORE_OUTBOX_SENT && got.attempts == 1 &&
		   got.updated_at == T0 + 2,
	       "sent after one attempt");
	daemon_store_outbox_msg_clear(&got);
	tap_ok(daemon_store_alert_episode_get(s, "ep-a", &ep) == ERR_OK && ep.fired_delivered,
	       "a delivered firing sets the episode's fired_delivered");
	daemon_store_alert_episode_clear(&ep);
	tap_ok(daemon_store_outbox_mark_sent(s, fire_id, T0 + 3) == ERR_INVAL,
	       "sent twice is refused: %s", daemon_store_errmsg(s));
	tap_ok(daemon_store_outbox_mark_sent(s, 999999, T0 + 3) == ERR_NOTFOUND, "unknown row");
}

/* The webhook answers 500 twice, then 404. */
static void test_retry_fail(struct daemon_store *s)
{
	struct daemon_store_outbox_msg got;

	tap_ok(daemon_store_outbox_retry(s, web_id, T0 + 2, T0 + 32,
					 "HTTP 500 from https://hooks.example/T000/B000/XXXX "
					 "body\r\n<html>") == ERR_OK,
	       "retry");
	tap_ok(daemon_store_outbox_get(s, web_id, &got) == ERR_OK &&
		   got.status == DAEMON_STORE_OUTBOX_PENDING && got.attempts == 1 &&
		   got.next_attempt_at == T0 + 32,
	       "still pending, one attempt, due later");
	tap_is_str(got.last_error,
		   "HTTP 500 from <url> body?"
		   "?<html>",
		   "last_error without the URL or control bytes");
	daemon_store_outbox_msg_clear(&got);
	tap_ok(daemon_store_outbox_retry(s, web_id, T0 + 40, T0 + 100, NULL) == ERR_OK,
	       "retry again, no words");
	tap_ok(daemon_store_outbox_fail(s, web_id, T0 + 101, "HTTP 404 (permanent)") == ERR_OK,
	       "fail");
	tap_ok(daemon_store_outbox_get(s, web_id, &got) == ERR_OK &&
		   got.status == DAEMON_STORE_OUTBOX_FAILED && got.attempts == 3,
	       "failed after three attempts");
	tap_is_str(got.last_error, "HTTP 404 (permanent)", "its error");
	daemon_store_outbox_msg_clear(&got);
	tap_ok(daemon_store_outbox_retry(s, web_id, T0 + 102, T0 + 200, "x") == ERR_INVAL,
	       "a failed row cannot be retried");
	tap_ok(daemon_store_outbox_fail(s, fire_id, T0 + 102, "x") == ERR_INVAL,
	       "a sent row cannot fail");
}

/* A reminder on slack is sent: it counts, but is not a firing. */
static void test_list_and_stats(struct daemon_store *s)
{
	struct daemon_store_outbox_list l = {0};
	struct daemon_store_outbox_stats st = {0};
	int64_t rem1 = 0;

	tap_ok(daemon_store_outbox_list(s, "ep-a", 0, &l) == ERR_OK && l.n == 4,
	       "four rows for the episode");
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].event == DAEMON_STORE_OUTBOX_REMINDER && l.v[i].seq == 1)
			rem1 = l.v[i].id;
	tap_ok(l.n == 4 && l.v[0].created_at >= l.v[3].created_at, "newest first");
	daemon_store_outbox_list_free(&l);
	tap_ok(daemon_store_outbox_mark_sent(s, rem1, T0 + 400) == ERR_OK, "reminder sent");
	tap_ok(daemon_store_outbox_list(s, NULL, 3, &l) == ERR_OK && l.n == 3, "list all, limit");
	daemon_store_outbox_list_free(&l);

	tap_ok(daemon_store_outbox_stats(s, &st) == ERR_OK && st.n == 2, "stats of two channels");
	if (st.n == 2) {
		tap_is_str(st.v[0].channel, "ops-slack", "by name");
		tap_ok(st.v[0].sent == 2 && st.v[0].failed == 0 && st.v[0].queued == 3,
		       "slack: 2 sent, 0 failed, 3 queued (reminder 2, two tests): %llu %llu %llu",
		       (unsigned long long)st.v[0].sent, (unsigned long long)st.v[0].failed,
		       (unsigned long long)st.v[0].queued);
		tap_ok(st.v[1].sent == 0 && st.v[1].failed == 1 && st.v[1].queued == 0,
		       "webhook: 1 failed");
	}
	daemon_store_outbox_stats_free(&st);
}

static void test_resolved_needs_firing(struct daemon_store *s)
{
	struct daemon_store_alert_episode ep;
	struct daemon_store_outbox_msg m =
	    msg("ep-b", "ops-slack", DAEMON_STORE_OUTBOX_RESOLVED, 0);
	int64_t id;

	open_episode(s, "ep-b", "spf");
	id = enqueue(s, m, T0);
	tap_ok(daemon_store_outbox_mark_sent(s, id, T0 + 1) == ERR_OK, "a resolved row is sent");
	tap_ok(daemon_store_alert_episode_get(s, "ep-b", &ep) == ERR_OK && !ep.fired_delivered,
	       "which does not claim the firing was delivered");
	daemon_store_alert_episode_clear(&ep);
}

static void test_clean_error(struct daemon_store *s)
{
	struct daemon_store_outbox_msg m = msg(NULL, "errs", DAEMON_STORE_OUTBOX_TEST, 0), got;
	char *longerr = xmalloc(2000);
	int64_t id = enqueue(s, m, T0), id2;

	memset(longerr, 'e', 1999);
	longerr[1999] = '\0';
	tap_ok(daemon_store_outbox_retry(s, id, T0, T0 + 1,
					 "connect to smtp+tls://user:secret@mx.example:465 failed;"
					 " see 'http://x/y' and wss://a") == ERR_OK,
	       "retry with URLs in the error");
	tap_ok(daemon_store_outbox_get(s, id, &got) == ERR_OK, "get");
	tap_is_str(got.last_error, "connect to <url> failed; see '<url>' and <url>",
		   "every URL replaced, secrets gone");
	daemon_store_outbox_msg_clear(&got);
	id2 = enqueue(s, m, T0);
	tap_ok(daemon_store_outbox_fail(s, id2, T0, longerr) == ERR_OK, "fail with 2 KB of words");
	tap_ok(daemon_store_outbox_get(s, id2, &got) == ERR_OK && got.last_error &&
		   strlen(got.last_error) == DAEMON_STORE_MAX_ERROR,
	       "last_error cut to %d bytes", DAEMON_STORE_MAX_ERROR);
	daemon_store_outbox_msg_clear(&got);
	free(longerr);
	tap_is_str(daemon_store_outbox_event_name(DAEMON_STORE_OUTBOX_RESOLVED), "resolved",
		   "event name");
	tap_is_str(daemon_store_outbox_status_name(DAEMON_STORE_OUTBOX_FAILED), "failed",
		   "status name");
}

int main(void)
{
	struct daemon_store *s = open_store("outbox.db");

	if (!tap_ok(s != NULL, "open a store"))
		return tap_done();
	test_enqueue(s);
	test_enqueue_refused(s);
	test_take(s);
	test_sent(s);
	test_retry_fail(s);
	test_list_and_stats(s);
	test_resolved_needs_firing(s);
	test_clean_error(s);
	daemon_store_close(s);
	return tap_done();
}
