/*
 * tests/daemon/test_store_probe: daemon/store_probe.  Probes: insert, get
 * (any case), update of every column, recent (newest first, per domain,
 * limited), open (restart recovery), round trips to the millisecond, states
 * by name.  Inbound: add (bytes exact, NUL included), pending oldest first,
 * done; two connections on two threads adding at once (WAL + busy timeout:
 * nothing lost); migration from a version-4 database with data kept;
 * hostile lengths and bytes refused with words; retention (keep per domain,
 * open probes spared, processed inbound past the window).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "daemon/engine.h"
#include "daemon/snapbuild.h"
#include "daemon/store.h"
#include "daemon/store_probe.h"
#include "daemon/store_schema.h"
#include "daemon/store_prune.h"
#include "tests/lib/tap.h"

#define NOW 1800000000LL

static char *path;

static int64_t qint(struct daemon_store *s, const char *sql)
{
	int64_t v = -999;

	if (daemon_store_query_int(s, sql, &v) != ERR_OK)
		tap_diag("query failed: %s: %s", sql, daemon_store_errmsg(s));
	return v;
}

static struct daemon_store *open_db(const char *p)
{
	struct daemon_store *s = NULL;
	char err[256];

	if (daemon_store_open(p, &s, err, sizeof err) != ERR_OK)
		tap_diag("open %s: %s", p, err);
	return s;
}

/* A probe row with borrowed strings (the store copies nothing it does not own). */
static struct daemon_probe_row probe(const char *token, const char *domain, int64_t created)
{
	struct daemon_probe_row r;

	memset(&r, 0, sizeof r);
	snprintf(r.token, sizeof r.token, "%s", token);
	r.domain = (char *)domain;
	r.state = DAEMON_PROBE_PENDING;
	r.created = created;
	r.roundtrip_s = -1;
	r.relay = (char *)"main";
	r.rcpt = (char *)"probe@in.example";
	return r;
}

static void test_states(void)
{
	enum daemon_probe_state st = DAEMON_PROBE_PENDING;
	bool ok = true;

	for (int i = DAEMON_PROBE_PENDING; i <= DAEMON_PROBE_LOST; i++)
		ok =
		    ok && daemon_probe_state_parse(daemon_probe_state_name(i), &st) && (int)st == i;
	tap_ok(ok, "every state name parses back");
	tap_is_str(daemon_probe_state_name(DAEMON_PROBE_SEND_FAILED), "send_failed", "send_failed");
	tap_ok(!daemon_probe_state_parse("Verified", &st) && !daemon_probe_state_parse(NULL, &st),
	       "unknown names refused");
}

static void test_probes(struct daemon_store *s)
{
	struct daemon_probe_row r = probe("mpaaaaaaaaaaaaaaaaaaaaaaaaaa", "example.com", NOW), g;
	struct daemon_probe_row *v = NULL;
	size_t n = 0;

	tap_ok(daemon_store_probe_insert(s, &r) == ERR_OK, "insert: %s", daemon_store_errmsg(s));
	tap_ok(daemon_store_probe_insert(s, &r) != ERR_OK, "the same token twice is refused");
	tap_ok(daemon_store_probe_get(s, "MPAAAAAAAAAAAAAAAAAAAAAAAAAA", &g) == ERR_OK &&
		   strcmp(g.token, r.token) == 0 && strcmp(g.domain, "example.com") == 0 &&
		   g.state == DAEMON_PROBE_PENDING && g.created == NOW && g.roundtrip_s < 0 &&
		   strcmp(g.relay, "main") == 0 && strcmp(g.queue_id, "") == 0 &&
		   strcmp(g.detail_json, "{}") == 0 && g.submitted == 0,
	       "get in another case: defaults '' and '{}'");
	daemon_store_probe_row_free(&g);
	r.state = DAEMON_PROBE_VERIFIED;
	r.submitted = NOW + 1;
	r.received = NOW + 4;
	r.roundtrip_s = 3.25;
	r.queue_id = (char *)"4Xy1Z";
	r.folder = (char *)"spam";
	r.spf = (char *)"pass";
	r.dkim = (char *)"pass";
	r.dmarc = (char *)"pass";
	r.aligned = true;
	r.bounce_status = (char *)"5.1.1";
	r.bounce_reason = (char *)"userunknown";
	r.bounce_code = 550;
	r.bounce_diag = (char *)"550 5.1.1 <x@y>: no such user";
	r.error = (char *)"";
	r.detail_json = (char *)"{\"headers\":\"Subject: x\\u0000\"}";
	tap_ok(daemon_store_probe_update(s, &r) == ERR_OK, "update: %s", daemon_store_errmsg(s));
	tap_ok(daemon_store_probe_get(s, r.token, &g) == ERR_OK &&
		   g.state == DAEMON_PROBE_VERIFIED && g.submitted == NOW + 1 &&
		   g.received == NOW + 4 && g.roundtrip_s == 3.25 &&
		   strcmp(g.queue_id, "4Xy1Z") == 0 && strcmp(g.folder, "spam") == 0 &&
		   strcmp(g.spf, "pass") == 0 && strcmp(g.dmarc, "pass") == 0 && g.aligned &&
		   strcmp(g.bounce_status, "5.1.1") == 0 &&
		   strcmp(g.bounce_reason, "userunknown") == 0 && g.bounce_code == 550 &&
		   strcmp(g.bounce_diag, r.bounce_diag) == 0 &&
		   strcmp(g.detail_json, r.detail_json) == 0,
	       "every column updated and read back");
	daemon_store_probe_row_free(&g);
	snprintf(r.token, sizeof r.token, "mpzzzzzzzzzzzzzzzzzzzzzzzzzz");
	tap_ok(daemon_store_probe_update(s, &r) == ERR_NOTFOUND, "update of an unknown token");
	tap_ok(daemon_store_probe_get(s, r.token, &g) == ERR_NOTFOUND, "get of an unknown token");
	for (int i = 0; i < 5; i++) {
		char tok[32];
		struct daemon_probe_row p;

		snprintf(tok, sizeof tok, "mpbbbbbbbbbbbbbbbbbbbbbbbbb%d", i);
		p = probe(tok, i == 4 ? "other.example" : "example.com", NOW + 10 + i);
		p.state = i == 0   ? DAEMON_PROBE_SUBMITTED
			  : i == 1 ? DAEMON_PROBE_RECEIVED
				   : DAEMON_PROBE_LOST;
		if (daemon_store_probe_insert(s, &p) != ERR_OK)
			tap_diag("insert %d: %s", i, daemon_store_errmsg(s));
	}
	tap_ok(daemon_store_probe_recent(s, "example.com", 3, &v, &n) == ERR_OK && n == 3 &&
		   v[0].created == NOW + 13 && v[2].created == NOW + 11,
	       "recent: the newest 3 of the domain, newest first");
	daemon_store_probe_rows_free(v, n);
	tap_ok(daemon_store_probe_recent(s, "example.com", 0, &v, &n) == ERR_OK && n == 5,
	       "recent with max 0: all of them (%zu)", n);
	daemon_store_probe_rows_free(v, n);
	tap_ok(daemon_store_probe_recent(s, "nothing.example", 5, &v, &n) == ERR_OK && n == 0,
	       "recent of a domain without probes: none");
	daemon_store_probe_rows_free(v, n);
	tap_ok(daemon_store_probe_open(s, &v, &n) == ERR_OK && n == 2 &&
		   v[0].state == DAEMON_PROBE_SUBMITTED && v[1].state == DAEMON_PROBE_RECEIVED,
	       "open: the submitted and the received one, oldest first (%zu)", n);
	daemon_store_probe_rows_free(v, n);
}

static void test_inbound(struct daemon_store *s)
{
	static const char msg[] = "Subject: hi\r\n\r\nbody\0with NUL\r\n";
	struct daemon_inbound_row r = {.received = NOW,
				       .received_frac = 0.25,
				       .source = (char *)"listener",
				       .client_ip = (char *)"192.0.2.7",
				       .helo = (char *)"relay.example",
				       .mail_from = (char *)"",
				       .rcpts = (char *)"probe@in.example,dmarc@in.example",
				       .data = (char *)msg,
				       .len = sizeof msg - 1};
	struct daemon_inbound_row *v = NULL;
	int64_t id1 = 0, id2 = 0;
	size_t n = 0;

	tap_ok(daemon_store_inbound_add(s, &r, &id1) == ERR_OK && id1 > 0, "inbound add: %s",
	       daemon_store_errmsg(s));
	r.source = (char *)"imap:gmail";
	r.folder = (char *)"spam";
	r.client_ip = NULL;
	r.received = NOW + 1;
	r.received_frac = 0;
	r.len = 0;
	tap_ok(daemon_store_inbound_add(s, &r, &id2) == ERR_OK && id2 > id1,
	       "an empty message from a seed box");
	tap_ok(daemon_store_inbound_pending(s, 10, &v, &n) == ERR_OK && n == 2 && v[0].id == id1 &&
		   v[0].len == sizeof msg - 1 && memcmp(v[0].data, msg, sizeof msg - 1) == 0 &&
		   v[0].received == NOW && v[0].received_frac > 0.2499 &&
		   v[0].received_frac < 0.2501 && strcmp(v[0].source, "listener") == 0 &&
		   strcmp(v[0].folder, "") == 0 && strcmp(v[0].client_ip, "192.0.2.7") == 0 &&
		   strcmp(v[0].rcpts, r.rcpts) == 0 && strcmp(v[1].folder, "spam") == 0 &&
		   strcmp(v[1].client_ip, "") == 0 && v[1].len == 0 && v[1].data != NULL,
	       "pending: oldest first, bytes exact (NUL kept)");
	daemon_store_inbound_rows_free(v, n);
	tap_ok(daemon_store_inbound_pending(s, 1, &v, &n) == ERR_OK && n == 1, "pending max 1");
	daemon_store_inbound_rows_free(v, n);
	tap_ok(daemon_store_inbound_done(s, id1, "probe") == ERR_OK, "done");
	tap_ok(daemon_store_inbound_done(s, 999999, "probe") == ERR_NOTFOUND, "done: unknown id");
	tap_ok(daemon_store_inbound_pending(s, 10, &v, &n) == ERR_OK && n == 1 && v[0].id == id2,
	       "a processed message is no longer pending");
	daemon_store_inbound_rows_free(v, n);
	tap_ok(daemon_store_inbound_done(s, id2, "unknown") == ERR_OK, "done (unknown kind)");
}

static void test_hostile(struct daemon_store *s)
{
	struct daemon_probe_row r = probe("mpcccccccccccccccccccccccccc", "example.com", NOW);
	struct daemon_inbound_row in = {
	    .received = NOW, .source = (char *)"listener", .data = (char *)"x", .len = 1};
	char *big = xmalloc(DAEMON_STORE_MAX_DETAIL + 2);
	int64_t id;

	memset(big, 'a', DAEMON_STORE_MAX_DETAIL + 1);
	big[DAEMON_STORE_MAX_DETAIL + 1] = '\0';
	r.detail_json = big;
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_LIMIT &&
		   strstr(daemon_store_errmsg(s), "detail_json"),
	       "detail_json over 1 MiB: %s", daemon_store_errmsg(s));
	r.detail_json = NULL;
	big[DAEMON_STORE_MAX_PROBE_TEXT + 1] = '\0';
	r.bounce_diag = big;
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_LIMIT, "bounce_diag over 64 KiB: %s",
	       daemon_store_errmsg(s));
	r.bounce_diag = NULL;
	r.domain = (char *)"exa\nmple.com";
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_INVAL, "a control byte in the domain");
	r.domain = (char *)"example.com";
	memset(r.token, 'm', sizeof r.token);
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_INVAL, "an unterminated token");
	r.token[0] = '\0';
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_INVAL, "an empty token");
	snprintf(r.token, sizeof r.token, "mpdddddddddddddddddddddddddd");
	r.state = (enum daemon_probe_state)42;
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_INVAL, "a bad state");
	r.state = DAEMON_PROBE_PENDING;
	r.roundtrip_s = NAN;
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_INVAL, "a NaN round trip");
	tap_ok(daemon_store_probe_get(s, big, &r) == ERR_INVAL, "get with a huge token");
	in.rcpts = big;
	tap_ok(daemon_store_inbound_add(s, &in, &id) == ERR_LIMIT, "rcpts over 64 KiB");
	in.rcpts = NULL;
	in.source = (char *)"";
	tap_ok(daemon_store_inbound_add(s, &in, &id) == ERR_INVAL, "no source");
	in.source = (char *)"listener";
	in.received_frac = 1.5;
	tap_ok(daemon_store_inbound_add(s, &in, &id) == ERR_INVAL, "a bad fraction");
	in.received_frac = 0;
	in.data = NULL;
	tap_ok(daemon_store_inbound_add(s, &in, &id) == ERR_INVAL, "no data");
	tap_ok(daemon_store_inbound_done(s, 1, "bad\x01kind") == ERR_INVAL,
	       "a control byte in kind");
	free(big);
}

struct adder {
	int idx;
	int added;
};

#define PER_THREAD 60

static void *adder_main(void *arg)
{
	struct adder *a = arg;
	struct daemon_store *s = open_db(path);
	char data[64];

	for (int i = 0; s != NULL && i < PER_THREAD; i++) {
		struct daemon_inbound_row r = {
		    .received = NOW + i, .source = (char *)"listener", .data = data};
		int64_t id;

		r.len = (size_t)snprintf(data, sizeof data, "thread %d message %d", a->idx, i);
		if (daemon_store_inbound_add(s, &r, &id) == ERR_OK)
			a->added++;
		else
			tap_diag("thread %d: %s", a->idx, daemon_store_errmsg(s));
	}
	daemon_store_close(s);
	return NULL;
}

/* The listener's session threads each have a connection: concurrent adds all land. */
static void test_threads(struct daemon_store *s)
{
	struct adder a[3] = {{0, 0}, {1, 0}, {2, 0}};
	pthread_t t[3];
	int64_t before = qint(s, "SELECT count(*) FROM inbound"), distinct;

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, adder_main, &a[i]);
	/* and this thread keeps writing probes meanwhile */
	for (int i = 0; i < 30; i++) {
		char tok[32];
		struct daemon_probe_row p;

		snprintf(tok, sizeof tok, "mpthread%020d", i);
		p = probe(tok, "threads.example", NOW + i);
		if (daemon_store_probe_insert(s, &p) != ERR_OK)
			tap_diag("main insert: %s", daemon_store_errmsg(s));
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	tap_ok(a[0].added == PER_THREAD && a[1].added == PER_THREAD && a[2].added == PER_THREAD,
	       "three connections on three threads added %d, %d, %d of %d", a[0].added, a[1].added,
	       a[2].added, PER_THREAD);
	tap_is_int(qint(s, "SELECT count(*) FROM inbound") - before, 3 * PER_THREAD,
		   "every message is there");
	distinct = qint(
	    s, "SELECT count(DISTINCT data) FROM inbound WHERE CAST(data AS TEXT) LIKE 'thread %'");
	tap_is_int(distinct, 3 * PER_THREAD, "each exactly once");
	tap_is_int(qint(s, "SELECT count(*) FROM probes WHERE domain = 'threads.example'"), 30,
		   "the main thread's probes too");
}

static void test_prune(struct daemon_store *s)
{
	uint64_t np = 99, ni = 99;
	struct daemon_inbound_row in = {.received = NOW - DAEMON_STORE_KEEP_RESULTS_SECS - 10,
					.source = (char *)"listener",
					.data = (char *)"old",
					.len = 3};
	int64_t old_done = 0, old_pending = 0;

	tap_ok(daemon_store_exec(s, "DELETE FROM probes; DELETE FROM inbound") == ERR_OK,
	       "clean slate");
	for (int i = 0; i < 10; i++) {
		char tok[32];
		struct daemon_probe_row p;

		snprintf(tok, sizeof tok, "mpprune%021d", i);
		p = probe(tok, i < 8 ? "a.example" : "b.example", NOW + i);
		p.state = i == 0 ? DAEMON_PROBE_SUBMITTED : DAEMON_PROBE_VERIFIED;
		if (daemon_store_probe_insert(s, &p) != ERR_OK)
			tap_diag("prune insert: %s", daemon_store_errmsg(s));
	}
	if (daemon_store_inbound_add(s, &in, &old_done) != ERR_OK ||
	    daemon_store_inbound_add(s, &in, &old_pending) != ERR_OK ||
	    daemon_store_inbound_done(s, old_done, "probe") != ERR_OK)
		tap_diag("prune inbound: %s", daemon_store_errmsg(s));
	in.received = NOW;
	if (daemon_store_inbound_add(s, &in, NULL) != ERR_OK)
		tap_diag("prune inbound: %s", daemon_store_errmsg(s));
	tap_ok(daemon_store_probe_prune(s, NOW, 3, &np, &ni) == ERR_OK, "prune: %s",
	       daemon_store_errmsg(s));
	tap_is_int((long long)np, 4, "a.example keeps 3 of 8 (its open one too): 4 deleted");
	tap_is_int(qint(s, "SELECT count(*) FROM probes WHERE domain = 'a.example'"), 4,
		   "a.example: the 3 newest and the open one");
	tap_is_int(
	    qint(s, "SELECT count(*) FROM probes WHERE token = 'mpprune000000000000000000000'"), 1,
	    "the open probe is spared");
	tap_is_int(qint(s, "SELECT count(*) FROM probes WHERE domain = 'b.example'"), 2,
		   "b.example has only 2: untouched");
	tap_is_int((long long)ni, 1, "one old processed inbound deleted");
	tap_is_int(qint(s, "SELECT count(*) FROM inbound"), 2,
		   "the unprocessed old one and the recent one stay");
	tap_ok(daemon_store_probe_prune(s, NOW, 0, NULL, NULL) == ERR_INVAL, "keep 0 refused");
}

/* A version-4 database with data migrates to 5 and keeps it. */
static void test_migrate(void)
{
	char *p = xasprintf("%s/v4.db", tap_tmpdir());
	struct daemon_store *s = NULL;
	struct daemon_probe_row r = probe("mpmigrateaaaaaaaaaaaaaaaaaaa", "m.example", NOW);
	char err[256];

	tap_ok(daemon_store_open_at(p, 4, &s, err, sizeof err) == ERR_OK, "create at v4: %s", err);
	if (s == NULL) {
		free(p);
		return;
	}
	tap_ok(daemon_store_exec(s, "INSERT INTO results (id, domain, check_name, at, severity)"
				    " VALUES (7, 'm.example', 'spf', 1000, 'ok')") == ERR_OK,
	       "v4: a result");
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_IO, "v4 has no probes table: %s",
	       daemon_store_errmsg(s));
	daemon_store_close(s);
	s = open_db(p);
	if (!tap_ok(s != NULL, "reopen migrates")) {
		free(p);
		return;
	}
	tap_is_int(daemon_store_version(s), daemon_store_schema_version(), "current version");
	tap_is_int(qint(s, "SELECT count(*) FROM results WHERE id = 7 AND domain = 'm.example'"), 1,
		   "the v4 result is kept");
	tap_is_int(qint(s, "SELECT count(*) FROM schema_migrations WHERE version = 5"), 1,
		   "step 5 recorded");
	tap_ok(daemon_store_probe_insert(s, &r) == ERR_OK, "probes work after the migration");
	tap_ok(daemon_store_integrity_check(s, err, sizeof err) == ERR_OK, "integrity: %s", err);
	daemon_store_close(s);
	free(p);
}

/* daemon/snapbuild hands the last probes and the summary to web/ (issue 4). */
static void test_snapbuild(struct daemon_store *s)
{
	static const char conf[] =
	    "[dns]\nresolvers = 127.0.0.1:9\n"
	    "[listener]\nhostname = mx.example.net\naddresses = p@in.example\n"
	    "[probe]\nbounce_domain = b.example\n[relay r]\nhost = smtp.example.net\n"
	    "[domain snap.example]\nprobe_interval = 1h\nprobe_relay = r\nprobe_to = p@in.example\n"
	    "[domain quiet.example]\n";
	struct daemon_snapbuild_info info = {.now = NOW + 100, .ready = true};
	struct daemon_config *cfg = NULL;
	struct daemon_engine *eng = NULL;
	struct web_snapshot *snap;
	char err[512] = "";
	const char *states[] = {"lost", "verified", "failed", "submitted"};

	for (int i = 0; i < 4; i++) {
		char tok[32];
		struct daemon_probe_row p;

		snprintf(tok, sizeof tok, "mpsnap%022d", i);
		p = probe(tok, "snap.example", NOW + i);
		(void)daemon_probe_state_parse(states[i], &p.state);
		p.roundtrip_s = i == 1 ? 2.5 : i == 2 ? 7.0 : -1;
		p.detail_json = (char *)"{\"authres\":\"x\"}";
		if (daemon_store_probe_insert(s, &p) != ERR_OK)
			tap_diag("snap insert: %s", daemon_store_errmsg(s));
	}
	if (!tap_ok(daemon_config_load_string(conf, strlen(conf), "snap.conf", NULL, &cfg, err,
					      sizeof err) == ERR_OK,
		    "snapshot config: %s", err) ||
	    !tap_ok(daemon_engine_new(cfg, s, NOW, &eng, err, sizeof err) == ERR_OK, "engine: %s",
		    err)) {
		daemon_config_free(cfg);
		return;
	}
	snap = daemon_snapbuild(cfg, s, eng, &info);
	if (tap_ok(snap != NULL && snap->n_domains == 2, "snapshot of two domains")) {
		const struct web_domain *d = &snap->domains[0], *q = &snap->domains[1];

		tap_ok(d->have_probes && d->n_probes == 4 &&
			   strcmp(d->probes[0].state, "submitted") == 0 &&
			   strcmp(d->probes[0].token, "mpsnap0000000000000000000003") == 0 &&
			   strcmp(d->probes[1].detail_json, "{\"authres\":\"x\"}") == 0 &&
			   d->probes[0].roundtrip < 0 && strcmp(d->probes[0].spf, "") == 0,
		       "probes newest first, every field copied");
		tap_ok(d->probe_last_roundtrip == 7.0,
		       "last round trip: the newest that came back");
		tap_ok(d->probe_have_finished && !d->probe_last_success,
		       "last finished probe (failed) is not a success");
		tap_ok(!q->have_probes && q->n_probes == 0 && q->probe_last_roundtrip < 0,
		       "a domain without probes");
	}
	web_snapshot_free(snap);
	daemon_engine_free(eng);
	daemon_config_free(cfg);
}

int main(void)
{
	struct daemon_store *s;

	path = xasprintf("%s/probe.db", tap_tmpdir());
	s = open_db(path);
	if (!tap_ok(s != NULL, "open a store in %s", tap_tmpdir()))
		return tap_done();
	test_states();
	test_probes(s);
	test_inbound(s);
	test_hostile(s);
	test_threads(s);
	test_prune(s);
	test_snapbuild(s);
	daemon_store_close(s);
	test_migrate();
	free(path);
	return tap_done();
}
