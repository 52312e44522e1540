/*
 * tests/daemon/test_store_alert: state transitions (append, order, filters,
 * the last one as the state after a restart) and alert episodes (open is
 * idempotent by id, one open episode per (domain, check, severity) with warn
 * and critical apart, close is idempotent, delivered flag, listing, the
 * daemon's own episode under domain "") and the alert engine's saved state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_alert.h"
#include "tests/lib/tap.h"

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

static void add_tr(struct daemon_store *s, const char *domain, const char *check, const char *from,
		   const char *to, enum dns_sev sev, int64_t at)
{
	struct daemon_store_alert_transition t = {
	    .domain = domain, .check = check, .from = from, .to = to, .severity = sev, .at = at};

	if (daemon_store_alert_transition_add(s, &t, NULL) != ERR_OK)
		tap_diag("transition_add: %s", daemon_store_errmsg(s));
}

static void test_transitions(struct daemon_store *s)
{
	struct daemon_store_alert_transition_list l = {0};
	struct daemon_store_alert_transition t = {.domain = "a.example",
						  .check = "spf",
						  .from = "ok",
						  .to = "pending",
						  .severity = SEV_WARN,
						  .at = 100};
	int64_t id = 0;

	tap_ok(daemon_store_alert_transition_add(s, &t, &id) == ERR_OK && id > 0, "append");
	add_tr(s, "a.example", "spf", "pending", "firing", SEV_WARN, 200);
	add_tr(s, "a.example", "spf", "firing", "resolving", SEV_OK, 300);
	add_tr(s, "a.example", "dkim", "ok", "unknown", SEV_UNKNOWN, 250);
	add_tr(s, "b.example", "spf", "ok", "pending", SEV_CRITICAL, 300);
	add_tr(s, "a.example", "spf", "resolving", "ok", SEV_OK, 300); /* same second */
	tap_ok(daemon_store_alert_transitions(s, "a.example", NULL, 0, &l) == ERR_OK && l.n == 5,
	       "all of a domain");
	tap_ok(l.n == 5 && l.v[0].at == 300 && strcmp(l.v[0].to, "ok") == 0 &&
		   strcmp(l.v[1].to, "resolving") == 0 && l.v[4].at == 100,
	       "newest first, insertion order breaks ties");
	tap_ok(l.n == 5 && strcmp(l.v[2].check, "dkim") == 0 && l.v[2].severity == SEV_UNKNOWN,
	       "fields come back");
	daemon_store_alert_transition_list_free(&l);
	tap_ok(daemon_store_alert_transitions(s, "a.example", "spf", 1, &l) == ERR_OK && l.n == 1 &&
		   strcmp(l.v[0].from, "resolving") == 0 && strcmp(l.v[0].to, "ok") == 0,
	       "the last transition of a check: its state after a restart");
	daemon_store_alert_transition_list_free(&l);
	tap_ok(daemon_store_alert_transitions(s, NULL, NULL, 0, &l) == ERR_OK && l.n == 6,
	       "all domains (%zu)", l.n);
	daemon_store_alert_transition_list_free(&l);
	tap_ok(daemon_store_alert_transitions(s, NULL, "spf", 0, &l) == ERR_OK && l.n == 5,
	       "one check across domains");
	daemon_store_alert_transition_list_free(&l);
	tap_ok(daemon_store_alert_transitions(s, "c.example", NULL, 0, &l) == ERR_OK && l.n == 0 &&
		   l.v == NULL,
	       "nothing for an unknown domain");
}

static void test_transition_refused(struct daemon_store *s)
{
	struct daemon_store_alert_transition_list l = {0};
	struct daemon_store_alert_transition t = {.domain = "a.example",
						  .check = "spf",
						  .from = "ok",
						  .to = "",
						  .severity = SEV_WARN,
						  .at = 100};

	tap_ok(daemon_store_alert_transition_add(s, &t, NULL) == ERR_INVAL, "empty state");
	t.to = "a-state-name-much-longer-than-32-bytes";
	tap_ok(daemon_store_alert_transition_add(s, &t, NULL) == ERR_INVAL, "long state");
	t.to = "ok";
	t.severity = (enum dns_sev)9;
	tap_ok(daemon_store_alert_transition_add(s, &t, NULL) == ERR_INVAL, "bad severity");
	t.severity = SEV_OK;
	t.at = -1;
	tap_ok(daemon_store_alert_transition_add(s, &t, NULL) == ERR_INVAL, "time before 1970");
	t.at = 1;
	t.domain = NULL;
	tap_ok(daemon_store_alert_transition_add(s, &t, NULL) == ERR_INVAL, "no domain");
	/* the daemon's own episode: domain "", with its episode id */
	t.domain = "";
	t.check = "monitoring";
	t.from = "ok";
	t.to = "firing";
	t.severity = SEV_CRITICAL;
	t.at = 400;
	t.episode_id = "0123456789abcdef0123456789abcdef";
	tap_ok(daemon_store_alert_transition_add(s, &t, NULL) == ERR_OK,
	       "a transition of the daemon itself (domain \"\")");
	tap_ok(daemon_store_alert_transitions(s, "", NULL, 0, &l) == ERR_OK && l.n == 1 &&
		   l.v[0].episode_id &&
		   strcmp(l.v[0].episode_id, "0123456789abcdef0123456789abcdef") == 0,
	       "read back with its episode id");
	daemon_store_alert_transition_list_free(&l);
	tap_ok(daemon_store_alert_transitions(s, "a.example", "dkim", 0, &l) == ERR_OK &&
		   l.n == 1 && l.v[0].episode_id == NULL,
	       "no episode id reads back NULL");
	daemon_store_alert_transition_list_free(&l);
}

static struct daemon_store_alert_episode ep(const char *id, const char *check, enum dns_sev sev,
					    int64_t start)
{
	struct daemon_store_alert_episode e = {.id = id,
					       .domain = "e.example",
					       .check = check,
					       .severity = sev,
					       .started_at = start,
					       .summary = "DMARC p=none, expected reject"};

	return e;
}

static void test_episode_open(struct daemon_store *s)
{
	struct daemon_store_alert_episode e = ep("e1", "dmarc", SEV_WARN, 1000);
	bool created = false;

	tap_ok(daemon_store_alert_episode_open(s, &e, &created) == ERR_OK && created, "open");
	tap_ok(daemon_store_alert_episode_open(s, &e, &created) == ERR_OK && !created,
	       "opening the same id again is a no-op (restart replay)");
	e = ep("e2", "dmarc", SEV_WARN, 1100);
	tap_ok(daemon_store_alert_episode_open(s, &e, &created) == ERR_INVAL,
	       "a second open warn episode for the check is refused: %s", daemon_store_errmsg(s));
	e = ep("e3", "dmarc", SEV_CRITICAL, 1200);
	tap_ok(daemon_store_alert_episode_open(s, &e, NULL) == ERR_OK,
	       "critical is its own episode beside warn");
	e = ep("e1", "spf", SEV_WARN, 1000);
	tap_ok(daemon_store_alert_episode_open(s, &e, &created) == ERR_INVAL,
	       "an id reused for another check is refused: %s", daemon_store_errmsg(s));
	e = ep("e4", "spf", SEV_INFO, 1000);
	tap_ok(daemon_store_alert_episode_open(s, &e, NULL) == ERR_INVAL, "info is no episode");
	e = ep("", "spf", SEV_WARN, 1000);
	tap_ok(daemon_store_alert_episode_open(s, &e, NULL) == ERR_INVAL, "empty id");
	e = ep("e5", "spf", SEV_WARN, 1000);
	e.summary = NULL;
	tap_ok(daemon_store_alert_episode_open(s, &e, NULL) == ERR_OK, "NULL summary");
}

static void test_episode_get_close(struct daemon_store *s)
{
	struct daemon_store_alert_episode e, got;

	tap_ok(daemon_store_alert_episode_get(s, "e1", &got) == ERR_OK, "get");
	tap_is_str(got.id, "e1", "id");
	tap_is_str(got.domain, "e.example", "domain");
	tap_is_str(got.check, "dmarc", "check");
	tap_ok(got.severity == SEV_WARN && got.started_at == 1000 && got.ended_at == 0 &&
		   !got.fired_delivered,
	       "severity, start, open, not delivered");
	tap_is_str(got.summary, "DMARC p=none, expected reject", "summary");
	daemon_store_alert_episode_clear(&got);
	tap_ok(daemon_store_alert_episode_get(s, "e5", &got) == ERR_OK &&
		   strcmp(got.summary, "") == 0,
	       "a NULL summary reads back empty");
	daemon_store_alert_episode_clear(&got);
	tap_ok(daemon_store_alert_episode_get(s, "nope", &got) == ERR_NOTFOUND, "unknown id");

	tap_ok(daemon_store_alert_episode_delivered(s, "e1") == ERR_OK, "mark delivered");
	tap_ok(daemon_store_alert_episode_delivered(s, "nope") == ERR_NOTFOUND,
	       "mark an unknown id");
	tap_ok(daemon_store_alert_episode_close(s, "e1", 900) == ERR_INVAL,
	       "ending before the start is refused: %s", daemon_store_errmsg(s));
	tap_ok(daemon_store_alert_episode_close(s, "e1", 5000) == ERR_OK, "close");
	tap_ok(daemon_store_alert_episode_close(s, "e1", 6000) == ERR_OK,
	       "closing again is a no-op");
	tap_ok(daemon_store_alert_episode_get(s, "e1", &got) == ERR_OK && got.ended_at == 5000 &&
		   got.fired_delivered,
	       "the first end stays; delivered");
	daemon_store_alert_episode_clear(&got);
	tap_ok(daemon_store_alert_episode_close(s, "nope", 6000) == ERR_NOTFOUND, "close unknown");
	e = ep("e6", "dmarc", SEV_WARN, 7000);
	tap_ok(daemon_store_alert_episode_open(s, &e, NULL) == ERR_OK,
	       "after closing, a new warn episode may open");
}

static void test_episode_list(struct daemon_store *s)
{
	struct daemon_store_alert_episode e;
	struct daemon_store_alert_episode_list l = {0};

	tap_ok(daemon_store_alert_episodes(s, "e.example", false, 0, &l) == ERR_OK && l.n == 4,
	       "list a domain");
	tap_ok(l.n == 4 && strcmp(l.v[0].id, "e6") == 0 && strcmp(l.v[3].id, "e1") == 0,
	       "newest first");
	daemon_store_alert_episode_list_free(&l);
	tap_ok(daemon_store_alert_episodes(s, NULL, true, 0, &l) == ERR_OK && l.n == 3,
	       "open episodes (to resume after a restart)");
	for (size_t i = 0; i < l.n; i++)
		tap_ok(l.v[i].ended_at == 0, "%s is open", l.v[i].id);
	daemon_store_alert_episode_list_free(&l);
	tap_ok(daemon_store_alert_episodes(s, NULL, false, 2, &l) == ERR_OK && l.n == 2, "limit");
	daemon_store_alert_episode_list_free(&l);
	tap_ok(daemon_store_alert_episodes(s, "other.example", false, 0, &l) == ERR_OK && l.n == 0,
	       "none elsewhere");
	e = ep("degraded-1", "monitoring", SEV_CRITICAL, 8000);
	e.domain = "";
	tap_ok(daemon_store_alert_episode_open(s, &e, NULL) == ERR_OK,
	       "the monitoring-degraded episode has domain \"\"");
	tap_ok(daemon_store_alert_episodes(s, "", true, 0, &l) == ERR_OK && l.n == 1 &&
		   strcmp(l.v[0].domain, "") == 0,
	       "and lists under it");
	daemon_store_alert_episode_list_free(&l);
	e.domain = NULL;
	tap_ok(daemon_store_alert_episode_open(s, &e, NULL) == ERR_INVAL, "NULL domain");
}

static void test_state(struct daemon_store *s)
{
	struct daemon_store_alert_state v[3] = {
	    {.domain = "s.example",
	     .check = "dkim",
	     .severity = SEV_CRITICAL,
	     .record = "{\"phase\":\"firing\",\"fails\":3}"},
	    {.domain = "s.example",
	     .check = "dkim",
	     .severity = SEV_WARN,
	     .record = "{\"phase\":\"pending\"}"},
	    {.domain = "", .check = "monitoring", .severity = SEV_CRITICAL, .record = "{}"},
	};
	struct daemon_store_alert_state_list l = {0};

	tap_ok(daemon_store_alert_state_load(s, "slack", &l) == ERR_OK && l.n == 0,
	       "no state saved yet");
	tap_ok(daemon_store_alert_state_save(s, "slack", v, 3) == ERR_OK, "save three records");
	tap_ok(daemon_store_alert_state_save(s, "hook", v, 1) == ERR_OK, "another channel");
	tap_ok(daemon_store_alert_state_load(s, "slack", &l) == ERR_OK && l.n == 3,
	       "load them back");
	if (l.n == 3) {
		tap_ok(strcmp(l.v[0].record, v[0].record) == 0 && l.v[0].severity == SEV_CRITICAL &&
			   strcmp(l.v[1].record, v[1].record) == 0 && l.v[1].severity == SEV_WARN,
		       "in order, record text and track intact");
		tap_ok(strcmp(l.v[2].domain, "") == 0 && strcmp(l.v[2].check, "monitoring") == 0,
		       "the daemon's own record");
	}
	daemon_store_alert_state_list_free(&l);
	tap_ok(daemon_store_alert_state_save(s, "slack", &v[1], 1) == ERR_OK,
	       "save replaces the whole set");
	tap_ok(daemon_store_alert_state_load(s, "slack", &l) == ERR_OK && l.n == 1 &&
		   l.v[0].severity == SEV_WARN,
	       "one record left");
	daemon_store_alert_state_list_free(&l);
	tap_ok(daemon_store_alert_state_load(s, "hook", &l) == ERR_OK && l.n == 1,
	       "other channels untouched");
	daemon_store_alert_state_list_free(&l);
	tap_ok(daemon_store_alert_state_save(s, "hook", NULL, 0) == ERR_OK &&
		   daemon_store_alert_state_load(s, "hook", &l) == ERR_OK && l.n == 0,
	       "saving nothing clears a channel");
}

static void test_state_refused(struct daemon_store *s)
{
	struct daemon_store_alert_state v[3] = {
	    {.domain = "s.example", .check = "dkim", .severity = SEV_CRITICAL, .record = "{}"},
	    {.domain = "s.example", .check = "dkim", .severity = SEV_WARN, .record = "{}"},
	    {.domain = "", .check = "monitoring", .severity = SEV_CRITICAL, .record = "{}"},
	};
	struct daemon_store_alert_state_list l = {0};
	char *big;

	v[0].severity = SEV_INFO;
	tap_ok(daemon_store_alert_state_save(s, "slack", v, 3) == ERR_INVAL,
	       "a record with the info track is refused");
	v[0].severity = SEV_CRITICAL;
	v[1].record = NULL;
	tap_ok(daemon_store_alert_state_save(s, "slack", v, 3) == ERR_INVAL, "a NULL record");
	big = xmalloc(DAEMON_STORE_MAX_RECORD + 2);
	memset(big, '{', DAEMON_STORE_MAX_RECORD + 1);
	big[DAEMON_STORE_MAX_RECORD + 1] = '\0';
	v[1].record = big;
	tap_ok(daemon_store_alert_state_save(s, "slack", v, 3) == ERR_LIMIT, "a record over 1 MiB");
	free(big);
	tap_ok(daemon_store_alert_state_load(s, "slack", &l) == ERR_OK && l.n == 1,
	       "refused saves changed nothing");
	daemon_store_alert_state_list_free(&l);
	tap_ok(daemon_store_alert_state_save(s, "", v, 1) == ERR_INVAL, "a channel needs a name");
	tap_ok(daemon_store_begin(s, false) == ERR_OK, "begin a non-durable batch");
	tap_ok(daemon_store_alert_state_save(s, "slack", v, 1) == ERR_INVAL,
	       "state is durable: refused in a non-durable batch");
	daemon_store_rollback(s);
	tap_ok(daemon_store_begin(s, true) == ERR_OK, "begin a durable batch");
	v[1].record = "{}";
	tap_ok(daemon_store_alert_state_save(s, "slack", v, 2) == ERR_OK, "save inside it");
	daemon_store_rollback(s);
	tap_ok(daemon_store_alert_state_load(s, "slack", &l) == ERR_OK && l.n == 1,
	       "rolled back with the batch");
	daemon_store_alert_state_list_free(&l);
}

int main(void)
{
	struct daemon_store *s = open_store("alert.db");

	if (!tap_ok(s != NULL, "open a store"))
		return tap_done();
	test_transitions(s);
	test_transition_refused(s);
	test_episode_open(s);
	test_episode_get_close(s);
	test_episode_list(s);
	test_state(s);
	test_state_refused(s);
	daemon_store_close(s);
	return tap_done();
}
