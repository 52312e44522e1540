/*
 * tests/daemon/test_engine: daemon/engine's rounds over a real store on
 * disk, with the checks completed by tests/lib/fakezone through the
 * engine's test seam (daemon_engine_set_driver) instead of the resolver:
 *  - F failures before FIRING, S successes before OK, the same state with
 *    zero, one or two channels of different minimum severities;
 *  - unknown results (a DNS timeout) move no counter;
 *  - the connectivity guard: rounds that get only temporary failures hold
 *    the domain alerts and raise one "monitoring degraded" alert;
 *  - warn and critical are separate episodes with their own ids;
 *  - the state survives a restart (export/import through the store), a new
 *    channel adopts the open episodes, and a database without saved check
 *    state (an older version) takes the first channel's;
 *  - each round is one transaction (counted in the WAL's commit frames);
 *  - the SPF lookup tree of the last result reaches the snapshot.
 * Fixed clock; every scenario has its own directory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "daemon/alert_json.h"
#include "daemon/config.h"
#include "daemon/engine.h"
#include "daemon/snapbuild.h"
#include "daemon/store.h"
#include "daemon/store_alert.h"
#include "daemon/store_outbox.h"
#include "daemon/store_result.h"
#include "dns/resolver.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

#define T0 1787407380 /* 2026-08-22 14:03:00 UTC */
#define STEP 30	      /* the check interval of every scenario */

static const char DKIM_KEY[] =
    "v=DKIM1; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA8T2xcVD0m6ty0lwhizMswIgHcm2muuWa6h8"
    "B8rUAfoQ2YRILi7SVxpvJSPgDg8a2yXfbDCu4qFcinUA6lP/amncGQbM83fP2HCjGRGPKz7XhDfltfVUQffeM+usW"
    "F71FFTLlpqEts2451yLvljm1gT/E72P+lmyuxKi/nn4u6rqA4KsItE/4+fBeYYj2IHmUVlSgwxPsnz1IVTypOYVcKT"
    "e64nNTwaNkoYbV514htUmwo+PCOlPwkb6xwFzU53yu0fGmZnxTxe6pKMCQTLlZCMk3VawqzngRMSXPAHbdtL4J9xvH"
    "9okTxXStvr0ux2sMtvWvuiLUB7plYq9lR3IE9QIDAQAB";

/* What the zone of a round looks like. */
enum world {
	W_GOOD,		/* every check passes */
	W_NO_DKIM,	/* the DKIM key is gone: dkim critical */
	W_DMARC_NONE,	/* p=none: dmarc warn */
	W_NO_DMARC,	/* no DMARC record: dmarc critical */
	W_DKIM_TIMEOUT, /* the DKIM name times out: dkim unknown, the rest answers */
	W_DOWN,		/* every question times out: our resolver is cut off */
};

struct fx {
	char dir[512];
	struct daemon_config *cfg;
	struct daemon_store *st;
	struct daemon_engine *e;
	struct fakezone *zone;
	enum world world;
	int64_t now;
};

static struct fakezone *make_zone(const char *d, enum world w)
{
	struct fakezone *z = fakezone_new();
	char n[256], txt[256];

	fakezone_add_txt(z, d, "v=spf1 ip4:192.0.2.0/24 -all");
	snprintf(n, sizeof n, "mx1.%s", d);
	fakezone_add_mx(z, d, 10, n);
	fakezone_add_addr(z, n, "192.0.2.25");
	snprintf(n, sizeof n, "_smtp._tls.%s", d);
	fakezone_add_txt(z, n, "v=TLSRPTv1; rua=mailto:tlsrpt@example.net");
	snprintf(n, sizeof n, "_dmarc.%s", d);
	snprintf(txt, sizeof txt, "v=DMARC1; p=%s; rua=mailto:dmarc@%s",
		 w == W_DMARC_NONE ? "none" : "reject", d);
	if (w != W_NO_DMARC)
		fakezone_add_txt(z, n, txt);
	snprintf(n, sizeof n, "mp1._domainkey.%s", d);
	if (w == W_DKIM_TIMEOUT)
		fakezone_set_timeout(z, n);
	else if (w != W_NO_DKIM)
		fakezone_add_txt(z, n, DKIM_KEY);
	return z;
}

static enum mp_err step_posture(void *arg)
{
	return dns_posture_step(arg);
}

/* Every question gets a timeout, as from a resolver that is unreachable. */
static void drive_down(struct dns_posture *p)
{
	struct dns_book *book = dns_posture_book(p);

	while (dns_posture_step(p) == ERR_AGAIN) {
		const char *name;
		uint16_t type;
		size_t n = 0;

		while (dns_book_next_needed(book, &name, &type)) {
			dns_book_put(book, dns_answer_new(name, type, DNS_TEMPFAIL, "timeout"));
			n++;
		}
		if (n == 0) {
			dns_posture_abort(p, "test driver: nothing to answer");
			return;
		}
	}
}

/* The engine's test seam: complete the check over this round's world. */
static void drive(void *arg, struct dns_posture *p)
{
	struct fx *fx = arg;

	if (fx->world == W_DOWN) {
		drive_down(p);
		return;
	}
	fakezone_free(fx->zone);
	fx->zone = make_zone(dns_posture_domain(p), fx->world);
	if (fakezone_run(fx->zone, dns_posture_book(p), step_posture, p) == ERR_AGAIN)
		dns_posture_abort(p, "test driver: the fake zone could not answer");
}

static void engine_start(struct fx *fx)
{
	char err[512] = "";

	if (daemon_engine_new(fx->cfg, fx->st, fx->now, &fx->e, err, sizeof err) != ERR_OK)
		fatal("engine: %s", err);
	daemon_engine_set_driver(fx->e, drive, fx);
}

static void load_config(struct fx *fx, const char *daemon_extra, const char *alerts)
{
	char err[1024] = "";
	char *text = xasprintf("[daemon]\nstate_dir = %s\ncheck_interval = 30s\njitter = 0s\n%s"
			       "[dns]\nresolvers = 127.0.0.1:9\n"
			       "[domain a.test]\nselectors = mp1\ndiscover_selectors = no\n%s",
			       fx->dir, daemon_extra, alerts);

	daemon_config_free(fx->cfg);
	fx->cfg = NULL;
	if (daemon_config_load_string(text, strlen(text), "test.conf", NULL, &fx->cfg, err,
				      sizeof err) != ERR_OK)
		fatal("config: %s", err);
	free(text);
}

/* A fresh scenario: its own directory, database and engine at T0. */
static void setup(struct fx *fx, const char *daemon_extra, const char *alerts)
{
	static int seq;
	char path[600], err[512] = "";

	memset(fx, 0, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "%s/s%d", tap_tmpdir(), ++seq);
	if (mkdir(fx->dir, 0700) != 0)
		fatal("mkdir %s", fx->dir);
	load_config(fx, daemon_extra, alerts);
	snprintf(path, sizeof path, "%s/mailpulse.db", fx->dir);
	if (daemon_store_open(path, &fx->st, err, sizeof err) != ERR_OK)
		fatal("store: %s", err);
	fx->now = T0;
	engine_start(fx);
}

static void teardown(struct fx *fx)
{
	daemon_engine_free(fx->e);
	daemon_store_close(fx->st);
	daemon_config_free(fx->cfg);
	fakezone_free(fx->zone);
	memset(fx, 0, sizeof *fx);
}

/* One check round in world w at the next tick; returns what daemon_engine_round() said. */
static bool round_in(struct fx *fx, enum world w)
{
	fx->world = w;
	daemon_engine_start_due(fx->e, fx->now);
	if (daemon_engine_running(fx->e) != 0)
		fatal("the test driver left a check running");
	return daemon_engine_round(fx->e, fx->now);
}

static bool next_round(struct fx *fx, enum world w)
{
	fx->now += STEP;
	return round_in(fx, w);
}

static const char *phase(struct fx *fx, const char *check)
{
	return daemon_alert_phase_name(daemon_engine_check_phase(fx->e, "a.test", check));
}

/* The outbox as "channel>event:domain/check/sev ..." in row order ("" when empty). */
static char *outbox(struct fx *fx)
{
	struct daemon_store_outbox_list l = {0};
	char out[4096] = "";
	size_t len = 0;

	if (daemon_store_outbox_list(fx->st, NULL, 0, &l) != ERR_OK)
		return xstrdup("(error)");
	for (size_t i = l.n; i-- > 0;) { /* the list is newest first */
		struct daemon_alert_group g;

		if (daemon_alert_json_group_parse(l.v[i].payload, &g) != ERR_OK) {
			len += (size_t)snprintf(out + len, sizeof out - len, "%s(bad payload)",
						len ? " " : "");
			continue;
		}
		for (size_t j = 0; j < g.nevents && len < sizeof out; j++)
			len += (size_t)snprintf(
			    out + len, sizeof out - len, "%s%s>%s:%s/%s/%s", len ? " " : "",
			    l.v[i].channel, daemon_alert_kind_name(g.events[j].kind),
			    g.events[j].domain[0] ? g.events[j].domain : "-", g.events[j].check,
			    dns_sev_name(g.events[j].severity));
		daemon_alert_group_free(&g);
	}
	daemon_store_outbox_list_free(&l);
	return xstrdup(out);
}

static bool outbox_is(struct fx *fx, const char *want, const char *name)
{
	char *got = outbox(fx);
	bool ok = tap_is_str(got, want, "%s", name);

	free(got);
	return ok;
}

static int key_cmp(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* Open episodes of a.test as "check/sev ..." sorted by that text, and their ids in that order. */
static char *open_episodes(struct fx *fx, char ids[][DAEMON_ALERT_ID_LEN + 1], size_t max)
{
	struct daemon_store_alert_episode_list l = {0};
	char keys[16][80], out[1024] = "";
	size_t len = 0, n;

	if (daemon_store_alert_episodes(fx->st, "a.test", true, 0, &l) != ERR_OK)
		return xstrdup("(error)");
	n = l.n < 16 ? l.n : 16;
	for (size_t i = 0; i < n; i++)
		snprintf(keys[i], sizeof keys[i], "%s/%s %s", l.v[i].check,
			 dns_sev_name(l.v[i].severity), l.v[i].id);
	qsort(keys, n, sizeof keys[0], key_cmp);
	for (size_t i = 0; i < n; i++) {
		char *sp = strchr(keys[i], ' ');

		len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s", i ? " " : "",
					(int)(sp - keys[i]), keys[i]);
		if (ids != NULL && i < max)
			snprintf(ids[i], DAEMON_ALERT_ID_LEN + 1, "%s", sp + 1);
	}
	daemon_store_alert_episode_list_free(&l);
	return xstrdup(out);
}

static int64_t count(struct fx *fx, const char *sql)
{
	int64_t n = -1;

	if (daemon_store_query_int(fx->st, sql, &n) != ERR_OK)
		return -1;
	return n;
}

/* The snapshot's state of a.test's check ("ok" ... "unknown"), or "absent". */
static const char *snap_state(struct fx *fx, const char *check, char **tree)
{
	struct daemon_snapbuild_info info = {.now = fx->now, .ready = true, .last_reload_ok = true};
	struct web_snapshot *s = daemon_snapbuild(fx->cfg, fx->st, fx->e, &info);
	const char *st = "absent";

	for (size_t i = 0; i < s->n_domains; i++) {
		const struct web_domain *d = &s->domains[i];

		if (strcmp(d->name, "a.test") != 0)
			continue;
		for (size_t c = 0; c < d->n_checks; c++)
			if (strcmp(d->checks[c].name, check) == 0)
				st = web_state_name(d->checks[c].state);
		if (tree != NULL)
			*tree = d->spf_tree_json ? xstrdup(d->spf_tree_json) : NULL;
	}
	web_snapshot_free(s);
	return st;
}

static const char ALERTS_TWO[] =
    "[alert hook]\ntype = webhook\nurl = https://hooks.example.net/mp\n"
    "[alert crit]\ntype = slack\nurl = https://hooks.slack.example/services/T0/B0/x\n"
    "min_severity = critical\n";

static void test_thresholds(void)
{
	struct fx fx;
	char ids[4][DAEMON_ALERT_ID_LEN + 1];
	char *s;

	setup(&fx, "failure_threshold = 2\nsuccess_threshold = 2\ngroup_wait = 0s\n", ALERTS_TWO);
	tap_ok(round_in(&fx, W_GOOD), "first round stores results");
	tap_is_str(phase(&fx, "dkim"), "ok", "healthy: dkim ok");
	tap_is_str(snap_state(&fx, "dkim", NULL), "ok", "snapshot: dkim ok");
	tap_ok(!round_in(&fx, W_GOOD), "a round with nothing done and nothing due changes nothing");
	next_round(&fx, W_NO_DKIM);
	tap_is_str(phase(&fx, "dkim"), "pending", "1 failure of F=2: pending");
	tap_is_str(snap_state(&fx, "dkim", NULL), "pending", "snapshot: pending");
	tap_is_str(phase(&fx, "spf"), "ok", "other checks stay ok");
	outbox_is(&fx, "", "pending sends nothing");
	next_round(&fx, W_NO_DKIM);
	tap_is_str(phase(&fx, "dkim"), "firing", "2 failures: firing");
	tap_is_str(snap_state(&fx, "dkim", NULL), "firing", "snapshot: firing");
	/* critical fails both tracks; the warn message is inhibited by the critical one */
	outbox_is(&fx, "hook>firing:a.test/dkim/critical crit>firing:a.test/dkim/critical",
		  "each channel queues one firing (warn inhibited)");
	s = open_episodes(&fx, ids, 4);
	tap_is_str(s, "dkim/critical dkim/warn", "both tracks have an open episode");
	free(s);
	next_round(&fx, W_GOOD);
	tap_is_str(phase(&fx, "dkim"), "resolving", "1 success of S=2: resolving");
	tap_is_str(snap_state(&fx, "dkim", NULL), "resolving", "snapshot: resolving");
	next_round(&fx, W_NO_DKIM);
	tap_is_str(phase(&fx, "dkim"), "firing", "a failure while resolving: firing again");
	next_round(&fx, W_GOOD);
	next_round(&fx, W_GOOD);
	tap_is_str(phase(&fx, "dkim"), "ok", "2 successes: ok");
	s = open_episodes(&fx, NULL, 0);
	tap_is_str(s, "", "the episodes are closed");
	free(s);
	tap_is_int(count(&fx, "SELECT count(*) FROM transitions WHERE check_name = 'dkim'"), 12,
		   "state history: one row per change of each track, written once");
	teardown(&fx);
}

static void test_no_channel(void)
{
	struct fx fx;
	char *s;

	setup(&fx, "failure_threshold = 3\nsuccess_threshold = 1\n", "");
	round_in(&fx, W_GOOD);
	next_round(&fx, W_DMARC_NONE);
	next_round(&fx, W_DMARC_NONE);
	tap_is_str(phase(&fx, "dmarc"), "pending", "no channel: still a state machine (2 of F=3)");
	tap_is_str(snap_state(&fx, "dmarc", NULL), "pending", "no channel: snapshot pending");
	next_round(&fx, W_DMARC_NONE);
	tap_is_str(phase(&fx, "dmarc"), "firing", "no channel: firing after F=3");
	tap_is_str(snap_state(&fx, "dmarc", NULL), "firing", "no channel: snapshot firing");
	s = open_episodes(&fx, NULL, 0);
	tap_is_str(s, "dmarc/warn", "no channel: the episode is recorded");
	free(s);
	outbox_is(&fx, "", "no channel: nothing queued");
	tap_ok(daemon_engine_next_due(fx.e) >= fx.now + 1, "no channel: no alert work scheduled");
	next_round(&fx, W_GOOD);
	tap_is_str(phase(&fx, "dmarc"), "ok", "no channel: S=1 success closes it");
	teardown(&fx);
}

static void test_unknown(void)
{
	struct fx fx;

	setup(&fx, "failure_threshold = 2\nsuccess_threshold = 2\ngroup_wait = 0s\n", ALERTS_TWO);
	round_in(&fx, W_GOOD);
	next_round(&fx, W_DKIM_TIMEOUT);
	tap_is_str(phase(&fx, "dkim"), "ok", "an unknown result is not a failure");
	tap_is_str(snap_state(&fx, "dkim", NULL), "unknown", "snapshot: last result unknown");
	tap_ok(!daemon_engine_degraded(fx.e), "other answers came: not degraded");
	next_round(&fx, W_NO_DKIM);
	tap_is_str(phase(&fx, "dkim"), "pending", "1 failure: pending");
	next_round(&fx, W_DKIM_TIMEOUT);
	next_round(&fx, W_DKIM_TIMEOUT);
	tap_is_str(phase(&fx, "dkim"), "pending", "unknown results leave pending alone");
	tap_is_str(snap_state(&fx, "dkim", NULL), "pending", "snapshot keeps pending");
	outbox_is(&fx, "", "nothing fired on unknown results");
	next_round(&fx, W_NO_DKIM);
	tap_is_str(phase(&fx, "dkim"), "firing", "the second real failure fires");
	next_round(&fx, W_DKIM_TIMEOUT);
	tap_is_str(phase(&fx, "dkim"), "firing", "unknown while firing: still firing");
	next_round(&fx, W_GOOD);
	next_round(&fx, W_DKIM_TIMEOUT);
	tap_is_str(phase(&fx, "dkim"), "resolving", "unknown while resolving: still resolving");
	next_round(&fx, W_GOOD);
	tap_is_str(phase(&fx, "dkim"), "ok", "S successes (unknown between them) close it");
	teardown(&fx);
}

static void test_guard(void)
{
	struct fx fx;
	int64_t fired;

	setup(&fx, "failure_threshold = 1\nsuccess_threshold = 1\ngroup_wait = 30s\n", ALERTS_TWO);
	round_in(&fx, W_GOOD);
	next_round(&fx, W_NO_DKIM);
	fired = fx.now;
	tap_is_str(phase(&fx, "dkim"), "firing", "guard: dkim fires (F=1), its group waits 30 s");
	fx.now += 10;
	if (daemon_engine_check_now(fx.e, "a.test", fx.now) != ERR_OK)
		fatal("check_now");
	round_in(&fx, W_DOWN);
	tap_ok(daemon_engine_degraded(fx.e), "only timeouts: monitoring degraded");
	tap_is_str(phase(&fx, "dkim"), "firing", "degraded: the domain's state is kept");
	fx.now = fired + 30 + 30;
	round_in(&fx, W_DOWN);
	outbox_is(&fx, "hook>firing:-/monitoring/critical crit>firing:-/monitoring/critical",
		  "degraded: one monitoring alert per channel, the domain alert held");
	tap_is_int(count(&fx, "SELECT count(*) FROM results WHERE check_name = 'dkim'"
			      " AND severity = 'unknown'"),
		   2, "degraded rounds are stored as unknown");
	next_round(&fx, W_NO_DKIM);
	tap_ok(!daemon_engine_degraded(fx.e), "real answers: the guard clears");
	outbox_is(&fx,
		  "hook>firing:-/monitoring/critical crit>firing:-/monitoring/critical "
		  "hook>firing:a.test/dkim/critical crit>firing:a.test/dkim/critical",
		  "the held domain alert goes out once the guard clears");
	teardown(&fx);
}

static void test_episodes(void)
{
	struct fx fx;
	char ids[4][DAEMON_ALERT_ID_LEN + 1], *s;
	char warn_id[DAEMON_ALERT_ID_LEN + 1];

	setup(&fx, "failure_threshold = 1\nsuccess_threshold = 1\ngroup_wait = 0s\n",
	      "[alert hook]\ntype = webhook\nurl = https://hooks.example.net/mp\n");
	round_in(&fx, W_GOOD);
	next_round(&fx, W_DMARC_NONE);
	s = open_episodes(&fx, ids, 4);
	tap_is_str(s, "dmarc/warn", "p=none: a warn episode");
	free(s);
	memcpy(warn_id, ids[0], sizeof warn_id);
	next_round(&fx, W_NO_DMARC);
	s = open_episodes(&fx, ids, 4);
	tap_is_str(s, "dmarc/critical dmarc/warn",
		   "no record: a critical episode beside the warn one");
	free(s);
	tap_ok(strcmp(ids[0], ids[1]) != 0 && strcmp(ids[1], warn_id) == 0,
	       "separate ids; the warn episode keeps its id");
	/* The critical firing reached the channel, so its resolve is owed. */
	daemon_engine_delivery(fx.e, "hook", ids[0], DAEMON_ALERT_FIRING_EV, true, fx.now);
	next_round(&fx, W_DMARC_NONE);
	s = open_episodes(&fx, ids, 4);
	tap_is_str(s, "dmarc/warn", "back to p=none: the critical episode closes, warn goes on");
	free(s);
	tap_is_str(ids[0], warn_id, "still the same warn episode");
	outbox_is(&fx,
		  "hook>firing:a.test/dmarc/warn hook>firing:a.test/dmarc/critical "
		  "hook>resolved:a.test/dmarc/critical",
		  "webhook: warn firing, critical firing, critical resolved (one event per POST)");
	teardown(&fx);
}

/* Records of an engine's state as one string, for comparisons. */
static char *state_text(const struct daemon_alert *a)
{
	struct daemon_alert_record *v = NULL;
	size_t n = 0;
	char out[4096] = "";
	size_t len = 0;

	daemon_alert_export(a, &v, &n);
	for (size_t i = 0; i < n && len < sizeof out; i++)
		if (v[i].phase != DAEMON_ALERT_CLOSED) /* waiting for an outcome: not a state */
			len += (size_t)snprintf(
			    out + len, sizeof out - len, "%s%s/%s/%s:%s:%u:%.8s", len ? " " : "",
			    v[i].domain, v[i].check, dns_sev_name(v[i].severity),
			    daemon_alert_phase_name(v[i].phase), v[i].fails, v[i].episode_id);
	daemon_alert_records_free(v, n);
	return xstrdup(out);
}

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void restart(struct fx *fx)
{
	daemon_engine_free(fx->e);
	fx->e = NULL;
	engine_start(fx);
}

static void test_restart(void)
{
	struct fx fx;
	char *before, *after, *hook_before, *hook_after, *s;

	setup(&fx, "failure_threshold = 2\nsuccess_threshold = 2\ngroup_wait = 0s\n", ALERTS_TWO);
	round_in(&fx, W_GOOD);
	next_round(&fx, W_NO_DKIM);
	next_round(&fx, W_NO_DKIM);
	next_round(&fx, W_DMARC_NONE);
	before = state_text(daemon_engine_state(fx.e));
	hook_before = state_text(daemon_engine_alert(fx.e, "hook"));
	tap_diag("state before the restart: %s", before);
	restart(&fx);
	after = state_text(daemon_engine_state(fx.e));
	hook_after = state_text(daemon_engine_alert(fx.e, "hook"));
	tap_is_str(after, before, "restart: the check state comes back from the store");
	tap_is_str(hook_after, hook_before, "restart: a channel's state comes back too");
	tap_is_str(phase(&fx, "dkim"), "resolving", "restart: dkim still resolving");
	tap_is_str(phase(&fx, "dmarc"), "pending", "restart: dmarc still pending");
	free(after);
	free(hook_after);
	next_round(&fx, W_DMARC_NONE);
	tap_is_str(phase(&fx, "dmarc"), "firing", "restart: the pending count went on (2 of F=2)");
	tap_is_str(phase(&fx, "dkim"), "ok", "restart: dkim closed after S=2");
	outbox_is(&fx,
		  "hook>firing:a.test/dkim/critical crit>firing:a.test/dkim/critical "
		  "hook>firing:a.test/dmarc/warn",
		  "restart: nothing queued twice");

	/* An older database: no saved check state, but the first channel has its own. */
	if (daemon_store_exec(fx.st,
			      "DELETE FROM alert_state WHERE channel = '" DAEMON_ENGINE_STATE_NAME
			      "'") != ERR_OK)
		fatal("delete: %s", daemon_store_errmsg(fx.st));
	free(before);
	before = state_text(daemon_engine_state(fx.e));
	restart(&fx);
	after = state_text(daemon_engine_state(fx.e));
	tap_is_str(after, before, "no saved check state: adopted from the first channel");
	tap_is_str(snap_state(&fx, "dmarc", NULL), "firing", "upgrade: the page still says firing");
	free(before);
	free(after);
	free(hook_before);

	/* A channel added by a reload adopts the open episodes and announces what fires. */
	daemon_engine_free(fx.e); /* it borrows the config: free it first, as a reload does */
	fx.e = NULL;
	load_config(&fx, "failure_threshold = 2\nsuccess_threshold = 2\ngroup_wait = 0s\n",
		    "[alert hook]\ntype = webhook\nurl = https://hooks.example.net/mp\n"
		    "[alert late]\ntype = webhook\nurl = https://late.example.net/mp\n");
	engine_start(&fx);
	hook_before = state_text(daemon_engine_alert(fx.e, "hook"));
	after = state_text(daemon_engine_alert(fx.e, "late"));
	tap_is_str(after, hook_before, "new channel: same records and episode ids as the others");
	free(after);
	free(hook_before);
	next_round(&fx, W_DMARC_NONE);
	s = outbox(&fx);
	tap_is_int(occurrences(s, "late>firing:a.test/dmarc/warn"), 1,
		   "new channel: hears of the open episode");
	tap_is_int(occurrences(s, "hook>firing:a.test/dmarc/warn"), 1,
		   "an old channel is not told twice");
	free(s);
	s = open_episodes(&fx, NULL, 0);
	tap_is_str(s, "dmarc/warn", "one open episode, shared by every engine");
	free(s);
	teardown(&fx);
}

/* Commit frames in the WAL file (format: sqlite.org/fileformat2.html#walformat). */
static long wal_commits(const char *dir)
{
	char path[600];
	unsigned char hdr[32], fh[24];
	uint32_t page, salt1, salt2;
	long commits = 0;
	int fd;

	snprintf(path, sizeof path, "%s/mailpulse.db-wal", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (read(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr) {
		close(fd);
		return 0;
	}
	page = (uint32_t)hdr[8] << 24 | (uint32_t)hdr[9] << 16 | (uint32_t)hdr[10] << 8 | hdr[11];
	memcpy(&salt1, hdr + 16, 4);
	memcpy(&salt2, hdr + 20, 4);
	while (page >= 512 && page <= 65536 && read(fd, fh, sizeof fh) == (ssize_t)sizeof fh) {
		if (memcmp(fh + 8, &salt1, 4) != 0 || memcmp(fh + 12, &salt2, 4) != 0)
			break; /* left over from before the WAL was restarted */
		if (fh[4] | fh[5] | fh[6] | fh[7])
			commits++;
		if (lseek(fd, (off_t)page, SEEK_CUR) < 0)
			break;
	}
	close(fd);
	return commits;
}

static void test_one_batch(void)
{
	struct fx fx;
	long c0, c1;

	setup(&fx, "failure_threshold = 1\nsuccess_threshold = 1\ngroup_wait = 0s\n", ALERTS_TWO);
	if (daemon_store_exec(fx.st, "PRAGMA wal_autocheckpoint = 0") != ERR_OK)
		fatal("pragma");
	round_in(&fx, W_GOOD);
	c0 = wal_commits(fx.dir);
	tap_ok(c0 > 0, "the WAL holds commits (%ld)", c0);
	next_round(&fx, W_NO_DKIM); /* results, transitions, episodes, outbox rows, 3 states */
	c1 = wal_commits(fx.dir);
	tap_is_int(c1 - c0, 1, "a round that fires is one commit");
	tap_is_int(count(&fx, "SELECT count(*) FROM outbox"), 2, "...holding the outbox rows");
	tap_ok(count(&fx,
		     "SELECT count(*) FROM alert_state WHERE channel = '" DAEMON_ENGINE_STATE_NAME
		     "'") > 0,
	       "...and the saved check state");
	c0 = c1;
	tap_ok(!round_in(&fx, W_GOOD), "nothing due: no round");
	tap_is_int(wal_commits(fx.dir) - c0, 0, "nothing due: no commit");
	next_round(&fx, W_GOOD);
	tap_is_int(wal_commits(fx.dir) - c0, 1, "a round that resolves is one commit");
	tap_ok(!daemon_store_in_batch(fx.st), "no transaction left open");
	teardown(&fx);
}

static void test_spf_tree(void)
{
	struct fx fx;
	struct daemon_store_result r;
	struct common_json *j = NULL;
	char *tree = NULL;

	setup(&fx, "", "");
	round_in(&fx, W_GOOD);
	if (daemon_store_result_last(fx.st, "a.test", "spf", false, &r) != ERR_OK)
		fatal("no spf result");
	tap_ok(r.spf_tree_json != NULL &&
		   strstr(r.spf_tree_json, "v=spf1 ip4:192.0.2.0/24") != NULL,
	       "the SPF tree is stored with the result");
	tap_ok(r.spf_tree_json != NULL &&
		   common_json_parse(r.spf_tree_json, strlen(r.spf_tree_json), &j) == ERR_OK,
	       "it is JSON");
	common_json_free(j);
	snap_state(&fx, "spf", &tree);
	tap_is_str(tree, r.spf_tree_json, "the snapshot carries the tree of the last result");
	free(tree);
	daemon_store_result_clear(&r);
	next_round(&fx, W_GOOD);
	next_round(&fx, W_GOOD);
	tap_is_int(count(&fx, "SELECT count(*) FROM results WHERE check_name = 'spf'"), 3,
		   "three SPF results");
	tap_is_int(count(&fx, "SELECT count(*) FROM results WHERE spf_tree_json IS NOT NULL"), 1,
		   "only the last (= last good) keeps its tree");
	tap_is_int(count(&fx, "SELECT count(*) FROM results WHERE check_name <> 'spf'"
			      " AND spf_tree_json IS NOT NULL"),
		   0, "no tree on other checks");
	teardown(&fx);
}

int main(void)
{
	if (dns_resolver_library_init() != ERR_OK)
		fatal("c-ares init");
	test_thresholds();
	test_no_channel();
	test_unknown();
	test_guard();
	test_episodes();
	test_restart();
	test_one_batch();
	test_spf_tree();
	dns_resolver_library_cleanup();
	return tap_done();
}
