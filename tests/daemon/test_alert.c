/*
 * tests/daemon/test_alert: the alert engine's state machine with a fixed
 * clock: F/S thresholds, unknown results ignored, warn and critical
 * episodes with inhibition, the connectivity guard, grouping windows,
 * reminders, "resolve only if the firing was delivered", durations, and the
 * export/import round trip including an episode that cleared while the
 * daemon was down.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "tests/lib/tap.h"

#define T0 1787407380 /* 2026-08-22 14:03:00 UTC */

static struct daemon_alert *engine(unsigned f, unsigned s, int64_t wait, int64_t remind)
{
	struct daemon_alert_config c;
	struct daemon_alert *a = NULL;
	char why[128];

	daemon_alert_config_default(&c);
	c.failures = f;
	c.successes = s;
	c.group_wait = wait;
	c.reminder_interval = remind;
	if (daemon_alert_new(&c, &a, why, sizeof why) != ERR_OK)
		fatal("engine: %s", why);
	return a;
}

static const char *code_of(const char *check, enum dns_sev sev)
{
	static char buf[64];

	snprintf(buf, sizeof buf, "%s_%s", strcmp(check, "dkim") == 0 ? "DKIM" : "SPF",
		 sev == SEV_CRITICAL  ? "KEY_MISSING"
		 : sev == SEV_WARN    ? "KEY_WEAK"
		 : sev == SEV_UNKNOWN ? "TEMPFAIL"
				      : "OK");
	return buf;
}

/* One result of one check of domain, worst severity sev. */
static void obs(struct daemon_alert *a, const char *domain, const char *check, enum dns_sev sev,
		int64_t now, struct daemon_alert_changes *ch)
{
	struct dns_findings f;

	dns_findings_init(&f);
	dns_findings_add(&f, check, code_of(check, sev), sev, "publish the key", NULL, 0,
			 "%s is %s", check, dns_sev_name(sev));
	daemon_alert_observe(a, domain, &f, now, ch);
	dns_findings_clear(&f);
}

/* Tick and describe the batch: "dom:kind/check/sev,...;dom2:..." ("" when empty). */
static char *tick(struct daemon_alert *a, int64_t now, struct daemon_alert_batch *keep)
{
	struct daemon_alert_batch b;
	char out[2048] = "";
	size_t len = 0;

	daemon_alert_tick(a, now, &b);
	for (size_t i = 0; i < b.ngroups; i++) {
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%s:", i ? ";" : "",
					b.groups[i].domain);
		for (size_t j = 0; j < b.groups[i].nevents; j++) {
			const struct daemon_alert_event *e = &b.groups[i].events[j];

			len += (size_t)snprintf(out + len, sizeof out - len, "%s%s/%s/%s",
						j ? "," : "", daemon_alert_kind_name(e->kind),
						e->check, dns_sev_name(e->severity));
		}
	}
	if (keep != NULL)
		*keep = b;
	else
		daemon_alert_batch_free(&b);
	return xstrdup(out);
}

static bool tick_is(struct daemon_alert *a, int64_t now, const char *want, const char *name)
{
	char *got = tick(a, now, NULL);
	bool ok = tap_is_str(got, want, "%s", name);

	free(got);
	return ok;
}

static const struct daemon_alert_record *rec(const struct daemon_alert_record *v, size_t n,
					     const char *check, enum dns_sev sev)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].check, check) == 0 && v[i].severity == sev)
			return &v[i];
	return NULL;
}

/* Phase of the record (check, sev) in the exported state, "-" when none. */
static const char *phase(struct daemon_alert *a, const char *check, enum dns_sev sev)
{
	struct daemon_alert_record *v;
	size_t n;
	const struct daemon_alert_record *r;
	const char *p;

	daemon_alert_export(a, &v, &n);
	r = rec(v, n, check, sev);
	p = r ? daemon_alert_phase_name(r->phase) : "-";
	daemon_alert_records_free(v, n);
	return p;
}

/* The episode id of the only event of the only group of a tick. */
static bool tick_one(struct daemon_alert *a, int64_t now, char id[DAEMON_ALERT_ID_LEN + 1],
		     struct daemon_alert_event *copy)
{
	struct daemon_alert_batch b;
	bool ok;

	daemon_alert_tick(a, now, &b);
	ok = b.ngroups == 1 && b.groups[0].nevents == 1;
	if (ok) {
		memcpy(id, b.groups[0].events[0].episode_id, DAEMON_ALERT_ID_LEN + 1);
		if (copy != NULL) {
			*copy = b.groups[0].events[0];
			copy->domain = copy->check = NULL;
			copy->findings = NULL;
			copy->nfindings = b.groups[0].events[0].nfindings;
		}
	}
	daemon_alert_batch_free(&b);
	return ok;
}

static void test_config(void)
{
	struct daemon_alert_config c;
	struct daemon_alert *a = NULL;
	char why[128] = "";

	daemon_alert_config_default(&c);
	tap_ok(c.failures == 2 && c.successes == 2 && c.group_wait == 30 &&
		   c.reminder_interval == 0 && c.min_severity == SEV_WARN,
	       "defaults: F=2, S=2, group wait 30 s, reminders off, warn and critical");
	tap_ok(daemon_alert_config_check(&c, why, sizeof why) == ERR_OK, "defaults are valid");
	c.reminder_interval = 299;
	tap_ok(daemon_alert_config_check(&c, why, sizeof why) == ERR_INVAL &&
		   strstr(why, "5 minutes") != NULL,
	       "reminder under 5 minutes refused (%s)", why);
	c.reminder_interval = 300;
	tap_ok(daemon_alert_config_check(&c, why, sizeof why) == ERR_OK,
	       "reminder of 5 minutes ok");
	c.failures = 0;
	tap_ok(daemon_alert_new(&c, &a, why, sizeof why) == ERR_INVAL && a == NULL,
	       "F=0 refused by new(), out untouched (%s)", why);
	c.failures = 2;
	c.min_severity = SEV_INFO;
	tap_ok(daemon_alert_config_check(&c, why, sizeof why) == ERR_INVAL,
	       "minimum severity info refused");
}

static void test_thresholds(void)
{
	struct daemon_alert *a = engine(2, 2, 30, 0);
	struct daemon_alert_changes ch = {0};
	struct daemon_alert_event ev;
	char id[DAEMON_ALERT_ID_LEN + 1] = "";

	obs(a, "example.com", "dkim", SEV_CRITICAL, T0, &ch);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "pending", "1 failure of F=2: PENDING");
	tick_is(a, T0 + 1000, "", "PENDING sends nothing");
	obs(a, "example.com", "dkim", SEV_UNKNOWN, T0 + 60, &ch);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "pending", "unknown leaves PENDING alone");
	obs(a, "example.com", "dkim", SEV_CRITICAL, T0 + 120, &ch);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "firing",
		   "2nd failure (an unknown between does not reset): FIRING");
	tap_is_int(daemon_alert_next_due(a), T0 + 150, "firing due group_wait after it fired");
	tick_is(a, T0 + 149, "", "nothing before group wait");
	tap_ok(tick_one(a, T0 + 150, id, &ev) && ev.kind == DAEMON_ALERT_FIRING_EV &&
		   ev.severity == SEV_CRITICAL && ev.started_at == T0 && ev.fired_at == T0 + 120 &&
		   ev.failures == 2 && ev.nfindings == 1,
	       "one FIRING event (critical; the warn episode is inhibited), started at the first "
	       "failure");
	tap_is_int((long long)strlen(id), DAEMON_ALERT_ID_LEN, "episode id has 32 hex digits");
	tick_is(a, T0 + 400, "", "handed out once: never again");
	tap_ok(daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, T0 + 151),
	       "delivery outcome accepted");
	tap_ok(!daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, T0 + 152),
	       "repeated outcome ignored (idempotent)");
	obs(a, "example.com", "dkim", SEV_OK, T0 + 600, &ch);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "resolving", "1 success of S=2: RESOLVING");
	obs(a, "example.com", "dkim", SEV_CRITICAL, T0 + 700, &ch);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "firing",
		   "failure while RESOLVING: FIRING again");
	tick_is(a, T0 + 750, "", "back to FIRING in the same episode sends nothing");
	obs(a, "example.com", "dkim", SEV_OK, T0 + 800, &ch);
	obs(a, "example.com", "dkim", SEV_UNKNOWN, T0 + 850, &ch);
	obs(a, "example.com", "dkim", SEV_OK, T0 + 900, &ch);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "closed", "S=2 successes: closed");
	{
		char id2[DAEMON_ALERT_ID_LEN + 1];

		tap_ok(tick_one(a, T0 + 930, id2, &ev) && ev.kind == DAEMON_ALERT_RESOLVED_EV &&
			   ev.duration == 900 && ev.ended_at == T0 + 900 && ev.now_sev == SEV_OK &&
			   strcmp(id, id2) == 0,
		       "RESOLVED, same episode id, lasted 900 s (first failure to clearing)");
	}
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "-", "resolved episode forgotten");
	tap_ok(ch.n == 12 && ch.v[0].from == DAEMON_ALERT_OK &&
		   ch.v[0].to == DAEMON_ALERT_PENDING && ch.v[0].severity == SEV_CRITICAL &&
		   ch.v[1].severity == SEV_WARN && ch.v[2].to == DAEMON_ALERT_FIRING &&
		   ch.v[11].to == DAEMON_ALERT_OK,
	       "phase changes logged for the store (%zu)", ch.n);
	daemon_alert_changes_free(&ch);
	daemon_alert_free(a);
}

static void test_thresholds_f3(void)
{
	struct daemon_alert *a = engine(3, 1, 0, 0);

	obs(a, "example.com", "spf", SEV_CRITICAL, T0, NULL);
	obs(a, "example.com", "spf", SEV_CRITICAL, T0 + 1, NULL);
	obs(a, "example.com", "spf", SEV_OK, T0 + 2, NULL);
	tap_is_str(phase(a, "spf", SEV_CRITICAL), "-", "F=3: two failures then ok: back to OK");
	obs(a, "example.com", "spf", SEV_CRITICAL, T0 + 3, NULL);
	obs(a, "example.com", "spf", SEV_CRITICAL, T0 + 4, NULL);
	tap_is_str(phase(a, "spf", SEV_CRITICAL), "pending", "counter restarted after the ok");
	obs(a, "example.com", "spf", SEV_CRITICAL, T0 + 5, NULL);
	tick_is(a, T0 + 5, "example.com:firing/spf/critical", "F=3, group wait 0: sent at once");
	daemon_alert_free(a);
}

static void test_delivery_rules(void)
{
	struct daemon_alert *a = engine(1, 1, 30, 0);
	char id[DAEMON_ALERT_ID_LEN + 1];

	/* Fires and clears inside the group wait: nothing at all. */
	obs(a, "a.example", "spf", SEV_CRITICAL, T0, NULL);
	obs(a, "a.example", "spf", SEV_OK, T0 + 10, NULL);
	tick_is(a, T0 + 100, "", "fired and cleared before the group was sent: silent");
	tap_is_int(daemon_alert_next_due(a), INT64_MAX, "nothing scheduled");

	/* Firing failed for good: no resolve. */
	obs(a, "a.example", "spf", SEV_CRITICAL, T0 + 200, NULL);
	tap_ok(tick_one(a, T0 + 230, id, NULL), "firing handed out");
	daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, false, T0 + 231);
	obs(a, "a.example", "spf", SEV_OK, T0 + 300, NULL);
	tick_is(a, T0 + 400, "", "firing failed: the resolve is not sent");
	tap_is_str(phase(a, "spf", SEV_CRITICAL), "-", "and the episode is gone");

	/* Cleared while the outcome is unknown: wait, then resolve on delivery. */
	obs(a, "a.example", "spf", SEV_CRITICAL, T0 + 500, NULL);
	tap_ok(tick_one(a, T0 + 530, id, NULL), "firing handed out");
	obs(a, "a.example", "spf", SEV_OK, T0 + 600, NULL);
	tick_is(a, T0 + 700, "", "cleared, outcome unknown: waits");
	tap_is_str(phase(a, "spf", SEV_CRITICAL), "closed", "kept as CLOSED");
	obs(a, "a.example", "spf", SEV_CRITICAL, T0 + 710, NULL);
	tap_is_str(phase(a, "spf", SEV_CRITICAL), "closed",
		   "a new episode may start beside the closed one (export sorted by start)");
	tap_ok(daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, T0 + 720),
	       "late delivery report accepted");
	tick_is(a, T0 + 740, "a.example:firing/spf/critical,resolved/spf/critical",
		"new firing and the old resolve in one message");
	daemon_alert_free(a);

	/* Closed, then the firing fails: dropped. */
	a = engine(1, 1, 0, 0);
	obs(a, "b.example", "mx", SEV_CRITICAL, T0, NULL);
	tick_one(a, T0, id, NULL);
	obs(a, "b.example", "mx", SEV_OK, T0 + 10, NULL);
	tap_ok(daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, false, T0 + 20) &&
		   strcmp(phase(a, "mx", SEV_CRITICAL), "-") == 0,
	       "closed and then failed: dropped without a resolve");
	tap_ok(!daemon_alert_delivery(a, "0123", DAEMON_ALERT_FIRING_EV, true, T0),
	       "unknown episode ignored");
	daemon_alert_free(a);
}

static void test_crit_to_warn(void)
{
	struct daemon_alert *a = engine(2, 2, 30, 0);
	struct daemon_alert_batch b;
	char id[DAEMON_ALERT_ID_LEN + 1], *got;
	int64_t t = T0;

	/* Critical then down to warn: the critical resolves, the warn is announced. */
	obs(a, "example.com", "dkim", SEV_CRITICAL, t, NULL);
	obs(a, "example.com", "dkim", SEV_CRITICAL, t += 60, NULL);
	tap_is_str(phase(a, "dkim", SEV_WARN), "firing", "warn episode fires with the critical");
	tap_ok(tick_one(a, t += 30, id, NULL), "only the critical is sent (warn inhibited)");
	daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, t);
	obs(a, "example.com", "dkim", SEV_WARN, t += 60, NULL);
	obs(a, "example.com", "dkim", SEV_WARN, t += 60, NULL);
	got = tick(a, t += 30, &b);
	tap_is_str(got, "example.com:firing/dkim/warn,resolved/dkim/critical",
		   "critical -> warn: one message, warn FIRING + critical RESOLVED");
	tap_ok(b.ngroups == 1 && b.groups[0].events[1].now_sev == SEV_WARN &&
		   b.groups[0].events[0].started_at == T0,
	       "the resolve says a warning remains; the warn episode started with the critical");
	daemon_alert_batch_free(&b);
	free(got);
	obs(a, "example.com", "dkim", SEV_OK, t += 60, NULL);
	obs(a, "example.com", "dkim", SEV_OK, t += 60, NULL);
	tick_is(a, t += 30, "", "warn firing never confirmed delivered: no resolve");
	daemon_alert_free(a);
}

/* Critical straight back to ok: one resolve only. */
static void test_crit_to_ok(void)
{
	struct daemon_alert *a = engine(2, 2, 30, 0);
	char id[DAEMON_ALERT_ID_LEN + 1];
	int64_t t = T0;

	obs(a, "example.com", "dkim", SEV_CRITICAL, t, NULL);
	obs(a, "example.com", "dkim", SEV_CRITICAL, t += 60, NULL);
	tick_one(a, t += 30, id, NULL);
	daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, t);
	obs(a, "example.com", "dkim", SEV_OK, t += 60, NULL);
	obs(a, "example.com", "dkim", SEV_OK, t += 60, NULL);
	tick_is(a, t += 30, "example.com:resolved/dkim/critical",
		"critical -> ok: only the critical resolve (the inhibited warn stays silent)");
	daemon_alert_free(a);
}

/* Warn first (delivered), then critical, then ok: both resolve together. */
static void test_warn_then_crit(void)
{
	struct daemon_alert *a = engine(2, 2, 30, 0);
	char id[DAEMON_ALERT_ID_LEN + 1];
	int64_t t = T0;

	obs(a, "example.com", "dkim", SEV_WARN, t, NULL);
	obs(a, "example.com", "dkim", SEV_WARN, t += 60, NULL);
	tap_ok(tick_one(a, t += 30, id, NULL), "warn fires alone");
	daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, t);
	obs(a, "example.com", "dkim", SEV_CRITICAL, t += 60, NULL);
	obs(a, "example.com", "dkim", SEV_CRITICAL, t += 60, NULL);
	tap_ok(tick_one(a, t += 30, id, NULL), "then the critical alone (no second warn)");
	daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, t);
	obs(a, "example.com", "dkim", SEV_OK, t += 60, NULL);
	obs(a, "example.com", "dkim", SEV_OK, t += 60, NULL);
	tick_is(a, t += 30, "example.com:resolved/dkim/critical,resolved/dkim/warn",
		"both resolve in one message, critical first");
	daemon_alert_free(a);
}

/* min_severity critical: warnings never alert. */
static void test_min_severity(void)
{
	struct daemon_alert_config c;
	struct daemon_alert *a;
	char why[64];

	daemon_alert_config_default(&c);
	c.min_severity = SEV_CRITICAL;
	if (daemon_alert_new(&c, &a, why, sizeof why) != ERR_OK)
		fatal("new");
	for (int i = 0; i < 5; i++)
		obs(a, "example.com", "spf", SEV_WARN, T0 + i, NULL);
	tick_is(a, T0 + 1000, "", "min severity critical: warnings never fire");
	obs(a, "example.com", "spf", SEV_CRITICAL, T0 + 1001, NULL);
	obs(a, "example.com", "spf", SEV_CRITICAL, T0 + 1002, NULL);
	tick_is(a, T0 + 1032, "example.com:firing/spf/critical", "criticals still do");
	daemon_alert_free(a);
}

/* A finding that decides, next to one we could not read. */
static void test_mixed_findings(void)
{
	struct daemon_alert *a = engine(1, 1, 0, 0);
	struct dns_findings f;

	dns_findings_init(&f);
	dns_findings_add(&f, "dkim", "DKIM_KEY_MISSING", SEV_CRITICAL, NULL, NULL, 0, "s1 missing");
	dns_findings_add(&f, "dkim", "DNS_TEMPFAIL", SEV_UNKNOWN, NULL, NULL, 0, "s2 timed out");
	dns_findings_add(&f, "spf", "SPF_OK", SEV_OK, NULL, NULL, 0, "fine");
	dns_findings_add(&f, "dmarc", "DMARC_POLICY_NONE", SEV_WARN, NULL, NULL, 0, "p=none");
	dns_findings_add(&f, "dmarc", "DNS_TEMPFAIL", SEV_UNKNOWN, NULL, NULL, 0, "timeout");
	daemon_alert_observe(a, "example.com", &f, T0, NULL);
	dns_findings_clear(&f);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "firing",
		   "a critical finding beside an unknown one is a failure");
	tap_is_str(phase(a, "dmarc", SEV_WARN), "firing",
		   "a warn finding beside unknown: warn fails");
	tick_is(a, T0, "example.com:firing/dkim/critical,firing/dmarc/warn",
		"several checks from one result set, one message, critical first");
	dns_findings_init(&f);
	dns_findings_add(&f, "dkim", "DNS_TEMPFAIL", SEV_UNKNOWN, NULL, NULL, 0, "timeout");
	dns_findings_add(&f, "dkim", "DKIM_OK", SEV_OK, NULL, NULL, 0, "s1 ok");
	daemon_alert_observe(a, "example.com", &f, T0 + 10, NULL);
	dns_findings_clear(&f);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "firing",
		   "ok beside unknown is not a success (S=1 would have closed it)");
	daemon_alert_free(a);
}

static void test_guard(void)
{
	struct daemon_alert *a = engine(2, 1, 30, 0);
	struct daemon_alert_changes ch = {0};
	char id[DAEMON_ALERT_ID_LEN + 1];

	obs(a, "example.com", "spf", SEV_CRITICAL, T0, NULL);
	obs(a, "example.com", "spf", SEV_CRITICAL, T0 + 5, NULL);
	daemon_alert_set_degraded(a, true, NULL, T0 + 10, &ch);
	tap_ok(daemon_alert_degraded(a) && ch.n == 1 && ch.v[0].domain[0] == '\0' &&
		   strcmp(ch.v[0].check, "monitoring") == 0,
	       "guard down: the monitoring episode fires");
	for (int i = 0; i < 4; i++)
		obs(a, "other.example", "dkim", SEV_CRITICAL, T0 + 11 + i, NULL);
	tap_is_str(phase(a, "dkim", SEV_CRITICAL), "-", "results are ignored while degraded");
	tap_is_int(daemon_alert_next_due(a), T0 + 40, "only the monitoring message is scheduled");
	tap_ok(tick_one(a, T0 + 40, id, NULL), "one message: monitoring degraded (the domain's "
					       "firing is held)");
	tick_is(a, T0 + 100, "", "held while degraded");
	daemon_alert_set_degraded(a, true, NULL, T0 + 101, &ch);
	tap_is_int((long long)ch.n, 1, "guard down twice: idempotent");
	daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, T0 + 102);
	daemon_alert_set_degraded(a, false, NULL, T0 + 200, &ch);
	tap_ok(!daemon_alert_degraded(a), "guard back up");
	tick_is(a, T0 + 200, "example.com:firing/spf/critical",
		"held domain message goes out as soon as the guard is up");
	tick_is(a, T0 + 230, ":resolved/monitoring/critical", "monitoring degraded resolves");
	daemon_alert_changes_free(&ch);
	daemon_alert_free(a);
}

static void test_grouping(void)
{
	struct daemon_alert *a = engine(1, 1, 30, 0);

	obs(a, "a.example", "dkim", SEV_CRITICAL, T0, NULL);
	obs(a, "b.example", "spf", SEV_WARN, T0 + 10, NULL);
	obs(a, "a.example", "spf", SEV_WARN, T0 + 29, NULL);
	tap_is_int(daemon_alert_next_due(a), T0 + 30, "first group due 30 s after its first event");
	tick_is(a, T0 + 30, "a.example:firing/dkim/critical,firing/spf/warn",
		"same domain within group wait: one message");
	tick_is(a, T0 + 39, "", "other domain has its own window");
	tick_is(a, T0 + 40, "b.example:firing/spf/warn", "b.example 30 s after its first event");
	obs(a, "a.example", "mx", SEV_CRITICAL, T0 + 45, NULL);
	tick_is(a, T0 + 74, "", "an event after the flush opens a new window");
	tick_is(a, T0 + 75, "a.example:firing/mx/critical", "new window sent");
	daemon_alert_free(a);
}

static void test_reminders(void)
{
	struct daemon_alert *a = engine(1, 1, 30, 300);
	char id[DAEMON_ALERT_ID_LEN + 1], wid[DAEMON_ALERT_ID_LEN + 1];
	int64_t sent;

	obs(a, "example.com", "dkim", SEV_WARN, T0, NULL);
	tap_ok(tick_one(a, sent = T0 + 30, wid, NULL), "warn fires");
	tick_is(a, sent + 400, "", "no reminder while the outcome is unknown");
	daemon_alert_delivery(a, wid, DAEMON_ALERT_FIRING_EV, true, sent + 400);
	tap_is_int(daemon_alert_next_due(a), sent + 300, "reminder due 5 min after the firing");
	tick_is(a, sent + 400, "", "reminder owed, waits the group window");
	tick_is(a, sent + 430, "example.com:reminder/dkim/warn", "REMINDER sent");
	tick_is(a, sent + 729, "", "not before the interval again");
	tick_is(a, sent + 730, "", "owed at the interval...");
	tick_is(a, sent + 760, "example.com:reminder/dkim/warn", "...and sent with its window");
	obs(a, "example.com", "dkim", SEV_CRITICAL, sent + 800, NULL);
	tap_ok(tick_one(a, sent + 830, id, NULL), "critical fires");
	daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, sent + 831);
	tick_is(a, sent + 1200, "", "reminders owed");
	tick_is(a, sent + 1230, "example.com:reminder/dkim/critical",
		"only the critical reminds; the warn one is inhibited");
	obs(a, "example.com", "dkim", SEV_OK, sent + 1240, NULL);
	tick_is(a, sent + 1270, "example.com:resolved/dkim/critical,resolved/dkim/warn",
		"both resolve");
	tap_is_int(daemon_alert_next_due(a), INT64_MAX, "nothing left");
	daemon_alert_free(a);
}

static void test_text(void)
{
	static const struct {
		int64_t s;
		const char *want;
	} d[] = {{-5, "0s"},	  {0, "0s"},	     {45, "45s"},      {60, "1m"},
		 {310, "5m 10s"}, {3600, "1h"},	     {7500, "2h 5m"},  {7505, "2h 5m"},
		 {86400, "1d"},	  {273600, "3d 4h"}, {90061, "1d 1h"}, {31536000, "365d"}};
	char buf[32], id[DAEMON_ALERT_ID_LEN + 1], id2[DAEMON_ALERT_ID_LEN + 1];
	char want[80] = "";
	FILE *p;

	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
		tap_is_str(daemon_alert_duration_text(d[i].s, buf, sizeof buf), d[i].want,
			   "duration %" PRId64, d[i].s);
	daemon_alert_episode_id("example.com", "dkim", SEV_CRITICAL, T0, id);
	p = popen("printf 'example.com\\ndkim\\ncritical\\n1787407380' | sha256sum", "r");
	if (p == NULL || fgets(want, sizeof want, p) == NULL)
		want[0] = '\0';
	if (p != NULL)
		pclose(p);
	want[DAEMON_ALERT_ID_LEN] = '\0';
	tap_is_str(id, want, "episode id = first 32 hex of sha256sum of domain/check/sev/start");
	daemon_alert_episode_id("example.com", "dkim", SEV_WARN, T0, id2);
	tap_ok(strcmp(id, id2) != 0, "warn and critical episodes have different ids");
}

/* ---- restart safety ---- */

static bool records_equal(const struct daemon_alert_record *x, size_t nx,
			  const struct daemon_alert_record *y, size_t ny)
{
	if (nx != ny)
		return false;
	for (size_t i = 0; i < nx; i++) {
		const struct daemon_alert_record *a = &x[i], *b = &y[i];

		if (strcmp(a->domain, b->domain) || strcmp(a->check, b->check) ||
		    a->severity != b->severity || a->phase != b->phase || a->fails != b->fails ||
		    a->oks != b->oks || a->failures != b->failures ||
		    strcmp(a->episode_id, b->episode_id) || a->started_at != b->started_at ||
		    a->fired_at != b->fired_at || a->ended_at != b->ended_at ||
		    a->fired != b->fired || a->owed != b->owed || a->due_at != b->due_at ||
		    a->last_notified_at != b->last_notified_at || a->nfindings != b->nfindings)
			return false;
		for (size_t j = 0; j < a->nfindings; j++)
			if (strcmp(a->findings[j].code, b->findings[j].code) ||
			    strcmp(a->findings[j].message, b->findings[j].message) ||
			    a->findings[j].sev != b->findings[j].sev)
				return false;
	}
	return true;
}

static struct daemon_alert *clone(struct daemon_alert *a, unsigned f, unsigned s)
{
	struct daemon_alert *b = engine(f, s, 30, 0);
	struct daemon_alert_record *v;
	size_t n;

	daemon_alert_export(a, &v, &n);
	if (daemon_alert_import(b, v, n) != ERR_OK)
		fatal("import");
	daemon_alert_records_free(v, n);
	return b;
}

/*
 * A mixed state: a.example's critical firing handed out and delivered (its
 * warn inhibited), b.example's warn firing owed, c.example pending.
 */
static void mixed_state(struct daemon_alert *a)
{
	char id[DAEMON_ALERT_ID_LEN + 1];

	obs(a, "a.example", "dkim", SEV_CRITICAL, T0, NULL);
	obs(a, "a.example", "dkim", SEV_CRITICAL, T0 + 60, NULL);
	if (!tick_one(a, T0 + 90, id, NULL))
		fatal("mixed_state: no firing");
	daemon_alert_delivery(a, id, DAEMON_ALERT_FIRING_EV, true, T0 + 91);
	obs(a, "b.example", "spf", SEV_WARN, T0 + 100, NULL);
	obs(a, "b.example", "spf", SEV_WARN, T0 + 110, NULL);
	obs(a, "c.example", "mx", SEV_CRITICAL, T0 + 120, NULL);
}

static void test_restart(void)
{
	struct daemon_alert *a = engine(2, 2, 30, 0), *b;
	struct daemon_alert_record *v1, *v2;
	size_t n1, n2;

	mixed_state(a);
	b = clone(a, 2, 2);
	daemon_alert_export(a, &v1, &n1);
	daemon_alert_export(b, &v2, &n2);
	tap_ok(n1 == 5 && records_equal(v1, n1, v2, n2),
	       "export -> import -> export is the identity (%zu records)", n1);
	daemon_alert_records_free(v1, n1);
	daemon_alert_records_free(v2, n2);
	tick_is(b, T0 + 140, "b.example:firing/spf/warn",
		"after the restart the owed firing goes out, the handed-out one is not re-sent");
	tick_is(a, T0 + 140, "b.example:firing/spf/warn", "exactly as without the restart");
	obs(a, "c.example", "mx", SEV_CRITICAL, T0 + 200, NULL);
	obs(b, "c.example", "mx", SEV_CRITICAL, T0 + 200, NULL);
	tick_is(b, T0 + 230, "c.example:firing/mx/critical", "the pending count survived");
	tick_is(a, T0 + 230, "c.example:firing/mx/critical", "(same without the restart)");
	daemon_alert_free(a);
	daemon_alert_free(b);
}

/* Cleared while down: the first passing results after the restart resolve it. */
static void test_cleared_while_down(void)
{
	struct daemon_alert *a = engine(2, 2, 30, 0), *b;
	char id[DAEMON_ALERT_ID_LEN + 1];
	struct daemon_alert_event ev;

	mixed_state(a);
	tick_is(a, T0 + 140, "b.example:firing/spf/warn", "(the owed firing of b.example)");
	b = clone(a, 2, 2);
	daemon_alert_free(a);
	tick_is(b, T0 + 86000, "", "nothing is sent twice after the restart");
	obs(b, "a.example", "dkim", SEV_OK, T0 + 86400, NULL);
	obs(b, "a.example", "dkim", SEV_OK, T0 + 86460, NULL);
	tap_ok(tick_one(b, T0 + 86490, id, &ev) && ev.kind == DAEMON_ALERT_RESOLVED_EV &&
		   ev.duration == 86460 && ev.started_at == T0,
	       "cleared while down: RESOLVED on the first passing results, lasted 1d 0h");
	daemon_alert_free(b);
}

static bool refused(struct daemon_alert *a, const struct daemon_alert_record *good, size_t n,
		    struct daemon_alert_record *bad)
{
	bool r = daemon_alert_import(a, bad, n) == ERR_INVAL;

	memcpy(bad, good, n * sizeof *bad);
	return r;
}

/* Bad records are refused and leave the engine unchanged. */
static void test_import_refusals(void)
{
	struct daemon_alert *a = engine(2, 2, 30, 0);
	struct daemon_alert_record *v1, *v2, *bad;
	size_t n1, n2;

	mixed_state(a);
	daemon_alert_export(a, &v1, &n1);
	bad = xcalloc(n1, sizeof *bad);
	memcpy(bad, v1, n1 * sizeof *bad);
	bad[0].severity = SEV_INFO;
	tap_ok(refused(a, v1, n1, bad), "severity info refused");
	bad[0].phase = DAEMON_ALERT_OK;
	tap_ok(refused(a, v1, n1, bad), "phase OK refused");
	memcpy(bad[0].episode_id, "XYZ", 4);
	tap_ok(refused(a, v1, n1, bad), "bad episode id refused");
	bad[0].owed = DAEMON_ALERT_RESOLVED_EV;
	tap_ok(refused(a, v1, n1, bad), "resolve owed by an open episode refused");
	bad[0].nfindings = DAEMON_ALERT_MAX_FINDINGS + 1;
	tap_ok(refused(a, v1, n1, bad), "too many findings refused");
	bad[1] = bad[0];
	tap_ok(refused(a, v1, n1, bad), "two open episodes for one key refused");
	daemon_alert_export(a, &v2, &n2);
	tap_ok(records_equal(v1, n1, v2, n2), "engine unchanged by refused imports");
	daemon_alert_records_free(v2, n2);
	tap_ok(daemon_alert_forget_domain(a, "b.example") == 1 &&
		   strcmp(phase(a, "spf", SEV_WARN), "-") == 0,
	       "forget_domain drops a domain's records silently");
	free(bad);
	daemon_alert_records_free(v1, n1);
	daemon_alert_free(a);
}

static void test_test_group(void)
{
	struct daemon_alert_group g;

	daemon_alert_test_group(&g, "ops-slack", T0);
	tap_ok(g.nevents == 1 && g.events[0].kind == DAEMON_ALERT_TEST_EV &&
		   strcmp(g.events[0].check, "test") == 0 && g.events[0].nfindings == 1 &&
		   strstr(g.events[0].findings[0].message, "ops-slack") != NULL,
	       "test group: one TEST event naming the channel");
	daemon_alert_group_free(&g);
}

int main(void)
{
	test_config();
	test_thresholds();
	test_thresholds_f3();
	test_delivery_rules();
	test_crit_to_warn();
	test_crit_to_ok();
	test_warn_then_crit();
	test_min_severity();
	test_mixed_findings();
	test_guard();
	test_grouping();
	test_reminders();
	test_text();
	test_restart();
	test_cleared_while_down();
	test_import_refusals();
	test_test_group();
	return tap_done();
}
