/*
 * tests/daemon/test_store_crash: kill -9 in the middle of writing (real
 * process, real file, real SIGKILL).  A child writes check rounds in a
 * loop, each one durable batch: DOMAINS x CHECKS results, an episode, two
 * outbox rows, the "sent" outcome of the previous round's Slack row and the
 * alert engine's saved state;
 * it reports through a pipe when a round begins and when it committed.  The
 * parent kills it at varying moments inside a round, reopens the database
 * and checks: PRAGMA integrity_check and foreign keys clean; every round
 * reported committed is there whole; the round in flight is there whole or
 * not at all (no half round); every outbox row exactly once; the sent
 * counters agree with the rows.  Each new child first replays the enqueues
 * and episode opens of the rounds before it, as a restarted daemon would:
 * nothing may be queued twice.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/store.h"
#include "daemon/store_alert.h"
#include "daemon/store_outbox.h"
#include "daemon/store_result.h"
#include "tests/lib/tap.h"

#define DOMAINS 20
#define CHECKS 7
#define CYCLES 8
#define BASE 1700000000LL
#define REPLAY 3 /* rounds a restarted child enqueues again */

static const char *const check_names[CHECKS] = {"spf",	   "dkim",    "dmarc", "mx",
						"mta-sts", "tls-rpt", "bimi"};

struct report {
	int kind; /* 'B' began, 'C' committed */
	int round;
};

static void say(int fd, int kind, int round)
{
	struct report m = {kind, round};

	if (write(fd, &m, sizeof m) != (ssize_t)sizeof m)
		_exit(3);
}

static void episode_id(char *buf, size_t n, int round)
{
	snprintf(buf, n, "ep-%d", round);
}

/* Open round r's episode and queue its two firing rows (idempotent). */
static enum mp_err alert_round(struct daemon_store *s, int r)
{
	char id[32], check[32];
	struct daemon_store_alert_episode e = {.id = id,
					       .domain = "d0.example",
					       .check = check,
					       .severity = SEV_CRITICAL,
					       .started_at = BASE + r * 300LL};
	struct daemon_store_outbox_msg m = {.episode_id = id,
					    .event = DAEMON_STORE_OUTBOX_FIRING,
					    .payload = "{\"event\":\"alert.firing\"}"};
	enum mp_err err;

	episode_id(id, sizeof id, r);
	snprintf(check, sizeof check, "round-%d", r);
	err = daemon_store_alert_episode_open(s, &e, NULL);
	m.channel = "slack";
	if (err == ERR_OK)
		err = daemon_store_outbox_enqueue(s, &m, e.started_at, NULL, NULL);
	m.channel = "hook";
	if (err == ERR_OK)
		err = daemon_store_outbox_enqueue(s, &m, e.started_at, NULL, NULL);
	return err;
}

static enum mp_err write_round(struct daemon_store *s, int r)
{
	char domain[32];
	enum mp_err err = daemon_store_begin(s, true);
	int64_t prev = 0;

	for (int d = 0; err == ERR_OK && d < DOMAINS; d++) {
		snprintf(domain, sizeof domain, "d%d.example", d);
		for (int c = 0; err == ERR_OK && c < CHECKS; c++) {
			struct daemon_store_result res = {.domain = domain,
							  .check = check_names[c],
							  .at = BASE + r * 300LL,
							  .severity =
							      (enum dns_sev)((r + d + c) % 5),
							  .duration_ms = 3,
							  .spf_lookups = -1,
							  .spf_void_lookups = -1};

			err = daemon_store_result_add(s, &res, NULL, NULL);
		}
	}
	if (err == ERR_OK)
		err = alert_round(s, r);
	/* the previous round's Slack row was delivered */
	if (err == ERR_OK && r > 0) {
		char sql[128];

		snprintf(sql, sizeof sql,
			 "SELECT id FROM outbox WHERE episode_id = 'ep-%d' AND channel = 'slack'"
			 " AND status = 'pending'",
			 r - 1);
		if (daemon_store_query_int(s, sql, &prev) == ERR_OK)
			err = daemon_store_outbox_mark_sent(s, prev, BASE + r * 300LL);
	}
	/* the engine's state after this round, saved with its outbox rows */
	if (err == ERR_OK) {
		char rec[32];
		struct daemon_store_alert_state st = {.domain = "d0.example",
						      .check = "spf",
						      .severity = SEV_CRITICAL,
						      .record = rec};

		snprintf(rec, sizeof rec, "round %d", r);
		err = daemon_store_alert_state_save(s, "slack", &st, 1);
	}
	if (err == ERR_OK)
		return daemon_store_commit(s);
	daemon_store_rollback(s);
	return err;
}

static void child(const char *path, int first, int fd)
{
	struct daemon_store *s = NULL;
	char err[256];

	if (daemon_store_open(path, &s, err, sizeof err) != ERR_OK)
		_exit(2);
	/* a restarted daemon replays its last decisions: all deduplicated */
	for (int r = first - REPLAY; r < first; r++)
		if (r >= 0 && alert_round(s, r) != ERR_OK)
			_exit(4);
	for (int r = first;; r++) {
		say(fd, 'B', r);
		if (write_round(s, r) != ERR_OK)
			_exit(5);
		say(fd, 'C', r);
	}
}

/* A trusted query (built here from numbers) answering one integer; -1 on error. */
MP_PRINTF(2, 3) static int64_t qint(struct daemon_store *s, const char *fmt, ...)
{
	char sql[256];
	int64_t v = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	if (daemon_store_query_int(s, sql, &v) != ERR_OK)
		tap_diag("query failed: %s: %s", sql, daemon_store_errmsg(s));
	return v;
}

/* A round is whole (1), absent (0) or broken (-1). */
static int round_state(struct daemon_store *s, int r)
{
	int64_t res = qint(s, "SELECT count(*) FROM results WHERE at = %lld", BASE + r * 300LL);
	int64_t ep = qint(s, "SELECT count(*) FROM episodes WHERE id = 'ep-%d'", r);
	int64_t ob = qint(s, "SELECT count(*) FROM outbox WHERE episode_id = 'ep-%d'", r);

	if (res == 0 && ep == 0 && ob == 0)
		return 0;
	if (res == DOMAINS * CHECKS && ep == 1 && ob == 2)
		return 1;
	tap_diag("round %d: %lld results, %lld episodes, %lld outbox rows", r, (long long)res,
		 (long long)ep, (long long)ob);
	return -1;
}

/* Check the database after a kill; returns the first round not stored. */
static int verify(const char *path, int cycle, int committed, int inflight)
{
	struct daemon_store *s = NULL;
	char err[512] = "";
	int next = committed + 1, whole = 1;

	if (!tap_ok(daemon_store_open(path, &s, err, sizeof err) == ERR_OK,
		    "cycle %d: reopen after kill -9: %s", cycle, err))
		return -1;
	tap_ok(daemon_store_integrity_check(s, err, sizeof err) == ERR_OK,
	       "cycle %d: integrity_check and foreign_key_check clean %s", cycle, err);
	for (int r = 0; r <= committed; r++)
		whole &= round_state(s, r) == 1;
	tap_ok(whole, "cycle %d: rounds 0..%d reported committed are all whole", cycle, committed);
	if (inflight > committed) {
		int st = round_state(s, inflight);

		tap_ok(st >= 0, "cycle %d: round %d in flight is %s, not half", cycle, inflight,
		       st == 1	 ? "whole"
		       : st == 0 ? "absent"
				 : "BROKEN");
		if (st == 1)
			next = inflight + 1;
	}
	tap_is_int(qint(s, "SELECT count(*) FROM results"), (long long)next * DOMAINS * CHECKS,
		   "cycle %d: no result beyond round %d", cycle, next - 1);
	tap_is_int(qint(s, "SELECT count(*) FROM outbox"), 2LL * next,
		   "cycle %d: every outbox row exactly once (%d rounds)", cycle, next);
	tap_is_int(qint(s, "SELECT count(*) FROM (SELECT 1 FROM outbox GROUP BY episode_id,"
			   " channel, event, seq HAVING count(*) > 1)"),
		   0, "cycle %d: no duplicate notification", cycle);
	tap_is_int(qint(s, "SELECT (SELECT coalesce(sum(sent), 0) FROM channel_stats) -"
			   " (SELECT count(*) FROM outbox WHERE status = 'sent')"),
		   0, "cycle %d: sent counters agree with the rows", cycle);
	tap_is_int(qint(s, "SELECT count(*) FROM episodes WHERE fired_delivered = 1"),
		   qint(s, "SELECT count(*) FROM outbox WHERE status = 'sent'"),
		   "cycle %d: fired_delivered exactly for the delivered firings", cycle);
	{
		struct daemon_store_alert_state_list l = {0};
		char want[32];

		snprintf(want, sizeof want, "round %d", next - 1);
		tap_ok(daemon_store_alert_state_load(s, "slack", &l) == ERR_OK && l.n == 1 &&
			   strcmp(l.v[0].record, want) == 0,
		       "cycle %d: the engine state is that of the last stored round (%s)", cycle,
		       want);
		daemon_store_alert_state_list_free(&l);
	}
	daemon_store_close(s);
	return next;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Run one child from round first; kill it inside a round; returns the last reports. */
static bool run_cycle(const char *path, int cycle, int first, int *committed, int *inflight)
{
	int fds[2], status = 0, began = 0;
	double round_us = 0, last_begin = 0;
	struct report m;
	pid_t pid;

	*committed = first - 1;
	*inflight = first - 1;
	fflush(stdout);
	if (pipe(fds) != 0)
		return tap_ok(false, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return tap_ok(false, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		child(path, first, fds[1]);
	}
	close(fds[1]);
	/*
	 * Let a few rounds commit, measuring how long one takes, then kill at
	 * a point that moves through the round from cycle to cycle: early in
	 * the inserts, in the middle, around the commit and its fsync.
	 */
	while (read(fds[0], &m, sizeof m) == (ssize_t)sizeof m) {
		double now = now_us();

		if (m.kind == 'C')
			*committed = m.round;
		if (m.kind != 'B')
			continue;
		if (began > 0)
			round_us = now - last_begin;
		last_begin = now;
		if (++began == 3 + cycle % 3) {
			*inflight = m.round;
			usleep((useconds_t)(round_us * (cycle + 0.5) / CYCLES));
			kill(pid, SIGKILL);
			break;
		}
	}
	waitpid(pid, &status, 0);
	/* reports written before the kill */
	while (read(fds[0], &m, sizeof m) == (ssize_t)sizeof m) {
		if (m.kind == 'C')
			*committed = m.round;
		if (m.kind == 'B')
			*inflight = m.round;
	}
	close(fds[0]);
	if (!tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "cycle %d: child killed by SIGKILL (status %d)", cycle, status))
		return false;
	tap_diag("cycle %d: began at round %d, committed through %d, killed in %d "
		 "(%.0f%% into a round of %.1f ms)",
		 cycle, first, *committed, *inflight, 100.0 * (cycle + 0.5) / CYCLES,
		 round_us / 1000);
	return true;
}

int main(void)
{
	char *path = xasprintf("%s/crash.db", tap_tmpdir());
	int next = 0;

	for (int cycle = 0; cycle < CYCLES && next >= 0; cycle++) {
		int committed, inflight;

		if (!run_cycle(path, cycle, next, &committed, &inflight))
			break;
		next = verify(path, cycle, committed, inflight);
	}
	tap_ok(next > CYCLES, "%d rounds stored over %d crashes", next, CYCLES);
	free(path);
	return tap_done();
}
