/*
 * tests/daemon/test_deliver: daemon/deliver, the outbox sender.
 *
 *   - the pure rules: backoff (5, 10, 20 ... 3600 s, Retry-After honoured),
 *     the HTTP verdicts (Slack 200 + "ok", webhook 2xx, 5xx/408/429 and no
 *     response retry, other 4xx fail), the SMTP verdicts;
 *   - daemon_deliver_resolve() over tests/lib/fakezone: IP literals and
 *     localhost without a question, A then AAAA, CNAME, NXDOMAIN and NODATA
 *     fail, a timeout retries, an invalid name fails, reasons name the host;
 *   - the whole sender with a real store, engine and SMTP worker, DNS
 *     answered by a fake zone: one TEST row per channel sent to
 *     tests/lib/http_sink.py (HTTPS with a throw-away CA for hooks.test, so
 *     the certificate is checked against the name while the connection is
 *     pinned to the zone's address) or to a one-line fake SMTP relay; each
 *     row's outcome, next attempt and last error; a row whose host keeps
 *     timing out is failed after DAEMON_DELIVER_MAX_ATTEMPTS; nothing of a
 *     URL but its host in the errors or the log;
 *   - the real resolver path: the engine's dns/resolver, driven by the
 *     sender itself, pointed at a port where nothing listens: a retry.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "daemon/alert_json.h"
#include "daemon/config.h"
#include "daemon/deliver.h"
#include "daemon/engine.h"
#include "daemon/mailq.h"
#include "daemon/store.h"
#include "daemon/store_outbox.h"
#include "dns/resolver.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/sink.h"
#include "tests/lib/tap.h"

#define T0 1764500000LL
#define TOKEN "T0AAAA-SeCrEtToKeN42"

/* ---------------------------------------------------------------- rules */

static void test_backoff(void)
{
	tap_is_int(daemon_deliver_backoff(1, -1), 5, "backoff: first retry after 5 s");
	tap_is_int(daemon_deliver_backoff(2, -1), 10, "backoff: then 10 s");
	tap_is_int(daemon_deliver_backoff(3, -1), 20, "backoff: then 20 s");
	tap_is_int(daemon_deliver_backoff(30, -1), DAEMON_DELIVER_BACKOFF_MAX,
		   "backoff: capped at an hour");
	tap_is_int(daemon_deliver_backoff(1, 7), 7, "backoff: a longer Retry-After wins");
	tap_is_int(daemon_deliver_backoff(3, 7), 20, "backoff: a shorter Retry-After does not");
	tap_is_int(daemon_deliver_backoff(1, 999999), DAEMON_DELIVER_BACKOFF_MAX,
		   "backoff: Retry-After is capped too");
}

static enum daemon_deliver_verdict hv(enum daemon_alert_type t, enum mp_err err, long status,
				      const char *body)
{
	struct common_fetch_result r = {.err = err,
					.status = status,
					.error = err ? "x: y" : "",
					.body = body,
					.body_len = strlen(body),
					.content_type = "",
					.retry_after = -1};

	return daemon_deliver_http_verdict(t, &r);
}

static void test_verdicts(void)
{
	static const long retry[] = {408, 429, 500, 502, 503, 504, 599};
	static const long fail[] = {300, 302, 400, 401, 403, 404, 410, 422};
	const enum daemon_alert_type S = DAEMON_ALERT_SLACK, W = DAEMON_ALERT_WEBHOOK;

	tap_is_int(hv(S, ERR_OK, 200, "ok"), DAEMON_DELIVER_SENT, "Slack: 200 \"ok\" is sent");
	tap_is_int(hv(S, ERR_OK, 200, "okay"), DAEMON_DELIVER_RETRY,
		   "Slack: 200 with another body retries");
	tap_is_int(hv(S, ERR_OK, 200, ""), DAEMON_DELIVER_RETRY, "Slack: 200 empty retries");
	tap_is_int(hv(S, ERR_OK, 201, "ok"), DAEMON_DELIVER_FAIL, "Slack: 201 is not Slack's 200");
	tap_is_int(hv(S, ERR_OK, 404, "no_service"), DAEMON_DELIVER_FAIL, "Slack: 404 fails");
	tap_is_int(hv(S, ERR_OK, 500, ""), DAEMON_DELIVER_RETRY, "Slack: 500 retries");
	for (long c = 200; c < 300; c += 33)
		tap_is_int(hv(W, ERR_OK, c, "whatever"), DAEMON_DELIVER_SENT,
			   "webhook: %ld is sent", c);
	for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
		tap_is_int(hv(W, ERR_OK, retry[i], ""), DAEMON_DELIVER_RETRY,
			   "webhook: %ld retries", retry[i]);
	for (size_t i = 0; i < sizeof fail / sizeof fail[0]; i++)
		tap_is_int(hv(W, ERR_OK, fail[i], ""), DAEMON_DELIVER_FAIL, "webhook: %ld fails",
			   fail[i]);
	tap_is_int(hv(W, ERR_TIMEOUT, 0, ""), DAEMON_DELIVER_RETRY, "a timeout retries");
	tap_is_int(hv(W, ERR_NET, 0, ""), DAEMON_DELIVER_RETRY, "a refused connection retries");
	tap_is_int(hv(S, ERR_TLS, 0, ""), DAEMON_DELIVER_RETRY, "a TLS failure retries");
	tap_is_int(daemon_deliver_mail_verdict(MAIL_SMTP_OK), DAEMON_DELIVER_SENT, "SMTP: OK sent");
	tap_is_int(daemon_deliver_mail_verdict(MAIL_SMTP_TEMPORARY), DAEMON_DELIVER_RETRY,
		   "SMTP: 4xx retries");
	tap_is_int(daemon_deliver_mail_verdict(MAIL_SMTP_NETWORK), DAEMON_DELIVER_RETRY,
		   "SMTP: network trouble retries");
	tap_is_int(daemon_deliver_mail_verdict(MAIL_SMTP_PERMANENT), DAEMON_DELIVER_FAIL,
		   "SMTP: 5xx fails");
	tap_is_int(daemon_deliver_mail_verdict(MAIL_SMTP_TLS), DAEMON_DELIVER_FAIL,
		   "SMTP: TLS setup fails");
	tap_is_int(daemon_deliver_mail_verdict(MAIL_SMTP_AUTH), DAEMON_DELIVER_FAIL,
		   "SMTP: AUTH fails");
	tap_is_int(daemon_deliver_mail_verdict(MAIL_SMTP_PROTOCOL), DAEMON_DELIVER_FAIL,
		   "SMTP: protocol trouble fails");
}

/* ------------------------------------------------------ resolve (pure) */

static struct fakezone *zone(void)
{
	struct fakezone *z = fakezone_new();

	fakezone_add_addr(z, "hooks.test", "127.0.0.1");
	fakezone_add_addr(z, "relay.test", "127.0.0.1");
	fakezone_add_addr(z, "both.test", "127.0.0.2"); /* nothing listens there */
	fakezone_add_addr(z, "both.test", "127.0.0.1");
	fakezone_add_addr(z, "both.test", "::1");
	fakezone_add_addr(z, "six.test", "2001:db8::25");
	fakezone_add_cname(z, "alias.test", "hooks.test");
	fakezone_add_txt(z, "txtonly.test", "v=spf1 -all");
	fakezone_set_timeout(z, "slowdns.test");
	for (int i = 1; i <= 6; i++) {
		char a[32];

		snprintf(a, sizeof a, "192.0.2.%d", i);
		fakezone_add_addr(z, "many.test", a);
		snprintf(a, sizeof a, "2001:db8::%d", i);
		fakezone_add_addr(z, "many.test", a);
	}
	return z;
}

struct rctx {
	struct dns_book *book;
	const char *host;
	struct daemon_deliver_addrs a;
	int runs;
};

static enum mp_err rstep(void *arg)
{
	struct rctx *c = arg;

	c->runs++;
	return daemon_deliver_resolve(c->book, c->host, "the webhook host", &c->a);
}

/* Resolve host over z; the verdict, with *c kept for looking at. */
static enum mp_err resolve(struct fakezone *z, const char *host, struct rctx *c)
{
	memset(c, 0, sizeof *c);
	c->book = dns_book_new(8);
	c->host = host;
	return fakezone_run(z, c->book, rstep, c);
}

static void test_literals(struct fakezone *z)
{
	enum mp_err rc;
	static const struct {
		const char *host, *a0, *a1;
	} lit[] = {
	    {"192.0.2.7", "192.0.2.7", NULL},	    {"2001:db8::7", "2001:db8::7", NULL},
	    {"[2001:db8::7]", "2001:db8::7", NULL}, {"localhost", "127.0.0.1", "::1"},
	    {"LocalHost.", "127.0.0.1", "::1"},	    {"hooks.localhost", "127.0.0.1", "::1"},
	};
	struct rctx c;

	for (size_t i = 0; i < sizeof lit / sizeof lit[0]; i++) {
		tap_is_int(resolve(z, lit[i].host, &c), ERR_OK, "%s: resolved", lit[i].host);
		tap_ok(c.a.verdict == DAEMON_DELIVER_SENT && c.a.literal &&
			   strcmp(c.a.addr[0], lit[i].a0) == 0 && c.a.n == (lit[i].a1 ? 2u : 1u) &&
			   (lit[i].a1 == NULL || strcmp(c.a.addr[1], lit[i].a1) == 0),
		       "%s: %s%s%s without DNS", lit[i].host, lit[i].a0, lit[i].a1 ? ", " : "",
		       lit[i].a1 ? lit[i].a1 : "");
		tap_is_int((long long)dns_book_count(c.book), 0, "%s: no question asked",
			   lit[i].host);
		dns_book_free(c.book);
	}
	rc = resolve(z, "notlocalhost", &c);
	tap_ok(rc == ERR_OK && !c.a.literal && c.a.verdict == DAEMON_DELIVER_FAIL,
	       "notlocalhost is a name like any other (NXDOMAIN here)");
	dns_book_free(c.book);
}

static void test_names(struct fakezone *z)
{
	enum mp_err rc;
	struct rctx c;

	tap_is_int(resolve(z, "hooks.test", &c), ERR_OK, "hooks.test resolved");
	tap_ok(c.a.verdict == DAEMON_DELIVER_SENT && c.a.n == 1 &&
		   strcmp(c.a.addr[0], "127.0.0.1") == 0 && !c.a.literal,
	       "hooks.test: 127.0.0.1");
	tap_is_int((long long)dns_book_count(c.book), 2, "asked exactly two questions (A, AAAA)");
	tap_is_int(c.runs, 2, "in one round: run, answer both, run again");
	dns_book_free(c.book);

	rc = resolve(z, "both.test", &c);
	tap_ok(rc == ERR_OK && c.a.n == 3 && strcmp(c.a.addr[0], "127.0.0.2") == 0 &&
		   strcmp(c.a.addr[1], "127.0.0.1") == 0 && strcmp(c.a.addr[2], "::1") == 0,
	       "both.test: the A records in order, then the AAAA");
	dns_book_free(c.book);
	rc = resolve(z, "six.test", &c);
	tap_ok(rc == ERR_OK && c.a.n == 1 && strcmp(c.a.addr[0], "2001:db8::25") == 0,
	       "six.test: IPv6 only is fine");
	dns_book_free(c.book);
	rc = resolve(z, "many.test", &c);
	tap_ok(rc == ERR_OK && c.a.n == DAEMON_DELIVER_MAX_ADDRS &&
		   strcmp(c.a.addr[3], "192.0.2.4") == 0 && strcmp(c.a.addr[4], "2001:db8::1") == 0,
	       "many.test: at most half A, half AAAA (%zu)", c.a.n);
	dns_book_free(c.book);
	rc = resolve(z, "alias.test", &c);
	tap_ok(rc == ERR_OK && c.a.verdict == DAEMON_DELIVER_SENT && c.a.n == 1 &&
		   strcmp(c.a.addr[0], "127.0.0.1") == 0,
	       "alias.test: the CNAME's target address");
	dns_book_free(c.book);

	rc = resolve(z, "nxhost.test", &c);
	tap_ok(rc == ERR_OK && c.a.verdict == DAEMON_DELIVER_FAIL, "nxhost.test: fails");
	tap_is_str(c.a.why, "the webhook host nxhost.test does not exist (DNS NXDOMAIN)",
		   "nxhost.test: the reason names the host");
	dns_book_free(c.book);
	rc = resolve(z, "txtonly.test", &c);
	tap_ok(rc == ERR_OK && c.a.verdict == DAEMON_DELIVER_FAIL,
	       "txtonly.test (NODATA for A and AAAA): fails");
	tap_is_str(c.a.why,
		   "the webhook host txtonly.test has no address (DNS: no A or AAAA record)",
		   "txtonly.test: says there is no address");
	dns_book_free(c.book);
	rc = resolve(z, "slowdns.test", &c);
	tap_ok(rc == ERR_OK && c.a.verdict == DAEMON_DELIVER_RETRY,
	       "slowdns.test (timeout): retries");
	tap_is_str(c.a.why, "the webhook host slowdns.test could not be resolved now (DNS timeout)",
		   "slowdns.test: says it is temporary");
	dns_book_free(c.book);
	rc = resolve(z, "bad..name", &c);
	tap_ok(rc == ERR_OK && c.a.verdict == DAEMON_DELIVER_FAIL &&
		   strstr(c.a.why, "not a valid DNS name") != NULL,
	       "bad..name: fails without a question (%s)", c.a.why);
	tap_is_int((long long)dns_book_count(c.book), 0, "bad..name: nothing asked");
	dns_book_free(c.book);
}

/* One type times out, the other answers: the answer wins; with NODATA it retries. */
static void test_mixed(void)
{
	enum mp_err rc;
	struct fakezone *z = fakezone_new();
	struct rctx c;

	fakezone_add_addr(z, "half.test", "127.0.0.1");
	fakezone_set_timeout(z, "half.test"); /* AAAA (not published) times out */
	rc = resolve(z, "half.test", &c);
	tap_ok(rc == ERR_OK && c.a.verdict == DAEMON_DELIVER_SENT && c.a.n == 1,
	       "A answers, AAAA times out: the A is used");
	dns_book_free(c.book);
	fakezone_add_txt(z, "nodata-slow.test", "x");
	fakezone_set_timeout(z, "nodata-slow.test");
	rc = resolve(z, "nodata-slow.test", &c);
	tap_ok(rc == ERR_OK && c.a.verdict == DAEMON_DELIVER_RETRY,
	       "no address and a timeout: retry, not fail");
	dns_book_free(c.book);
	fakezone_free(z);
}

/* ------------------------------------------------- the whole sender */

/* A relay that greets every connection with 554 and hangs up (RFC 5321 3.1). */
static int relay_listen(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static void relay_serve(int lfd, int *accepted)
{
	static const char greet[] = "554 5.7.1 relay.test says not today\r\n";
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	++*accepted;
	if (write(c, greet, sizeof greet - 1) < 0)
		tap_diag("relay write failed");
	usleep(50000);
	close(c);
}

struct world {
	struct daemon_config *cfg;
	struct daemon_store *st;
	struct daemon_engine *eng;
	struct daemon_mailq *mq;
	struct daemon_deliver *dlv;
	struct fakezone *z;
	int relay_fd, relay_accepted;
	unsigned answered; /* books the fake zone answered */
};

static size_t answer(void *arg, struct dns_book *book)
{
	struct world *w = arg;

	w->answered++;
	return fakezone_answer(w->z, book);
}

/* One webhook channel over plain HTTP to the sink, at path /PATH/<channel>-TOKEN. */
static char *hook(const char *name, const char *host, int port, const char *path, const char *extra)
{
	return xasprintf("[alert %s]\ntype = webhook\nurl = http://%s:%d/%s/%s-" TOKEN
			 "\nallow_insecure = yes\n%s",
			 name, host, port, path, name, extra);
}

static char *config_text(const struct sink *hs, const struct sink *ps, const char *ca,
			 int relay_port)
{
	static const struct {
		const char *name, *host, *path, *extra;
	} hooks[] = {
	    {"hook-202", "hooks.test", "status/202", ""},
	    {"hook-404", "hooks.test", "status/404", ""},
	    {"hook-500", "hooks.test", "status/500", ""},
	    {"hook-503", "hooks.test", "status/503", ""},
	    {"hook-429", "hooks.test", "status/429", ""},
	    {"hook-408", "hooks.test", "status/408", ""},
	    {"hook-slow", "hooks.test", "slow/4000", "timeout = 1s\n"},
	    {"hook-nx", "nxhost.test", "ok", ""},
	    {"hook-nodata", "txtonly.test", "ok", ""},
	    {"hook-tmp", "slowdns.test", "ok", ""},
	    {"hook-cname", "alias.test", "ok", ""},
	    {"hook-both", "both.test", "ok", ""},
	    {"hook-lit", "127.0.0.1", "ok", ""},
	    {"hook-localhost", "localhost", "ok", ""},
	};
	char *t = xasprintf("[daemon]\nstate_dir = %s/state\n[dns]\nresolvers = 127.0.0.1:1\n"
			    "[alert slack-ok]\ntype = slack\nurl = https://hooks.test:%d/ok/"
			    "slack-ok-" TOKEN "\nca_file = %s\n"
			    "[alert slack-notok]\ntype = slack\nurl = https://hooks.test:%d/big/3/"
			    "slack-notok-" TOKEN "\nca_file = %s\n"
			    "[alert mail-nx]\ntype = email\nsmtp_host = nxrelay.test\n"
			    "from = mailpulse@example.net\nto = ops@example.net\n"
			    "[alert mail-relay]\ntype = email\nsmtp_host = relay.test\n"
			    "smtp_port = %d\ntls = none\nallow_insecure = yes\n"
			    "from = mailpulse@example.net\nto = ops@example.net\n",
			    tap_tmpdir(), hs->port, ca, hs->port, ca, relay_port);

	for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
		char *h =
		    hook(hooks[i].name, hooks[i].host, ps->port, hooks[i].path, hooks[i].extra);
		char *n = xasprintf("%s%s", t, h);

		free(h);
		free(t);
		t = n;
	}
	return t;
}

static int64_t enqueue_test(struct world *w, const char *channel, uint32_t seq)
{
	struct daemon_alert_group g;
	struct daemon_store_outbox_msg m = {
	    .channel = channel, .event = DAEMON_STORE_OUTBOX_TEST, .seq = seq};
	int64_t id = 0;

	daemon_alert_test_group(&g, channel, T0);
	m.payload = daemon_alert_json_group(&g);
	if (daemon_store_outbox_enqueue(w->st, &m, T0, &id, NULL) != ERR_OK)
		tap_diag("enqueue %s: %s", channel, daemon_store_errmsg(w->st));
	free((char *)m.payload);
	daemon_alert_group_free(&g);
	return id;
}

/* Run the sender at now until nothing is in flight (at most 15 s of real time). */
static void drive(struct world *w, int64_t now)
{
	time_t end = time(NULL) + 15;

	do {
		struct pollfd p[2] = {{.fd = daemon_mailq_fd(w->mq), .events = POLLIN},
				      {.fd = w->relay_fd, .events = POLLIN}};
		struct daemon_mailq_done r;

		daemon_deliver_run(w->dlv, now);
		(void)poll(p, w->relay_fd >= 0 ? 2 : 1, 10);
		if (p[1].revents & POLLIN)
			relay_serve(w->relay_fd, &w->relay_accepted);
		while (daemon_mailq_pop(w->mq, &r)) {
			daemon_deliver_mail_done(w->dlv, &r, now);
			daemon_mailq_done_clear(&r);
		}
	} while (daemon_deliver_inflight(w->dlv) > 0 && time(NULL) < end);
	tap_is_int(daemon_deliver_inflight(w->dlv), 0, "everything in flight came back");
}

struct row {
	const char *channel;
	enum daemon_store_outbox_status status;
	int64_t next; /* next_attempt_at - T0 for a retry; -1: do not check */
	const char *why;
	int64_t id;
};

static void check_row(struct world *w, const struct row *r)
{
	struct daemon_store_outbox_msg m;

	if (!tap_ok(daemon_store_outbox_get(w->st, r->id, &m) == ERR_OK, "%s: row read",
		    r->channel))
		return;
	tap_ok(m.status == r->status && m.attempts == 1, "%s: %s after one attempt (%s, %u: %s)",
	       r->channel, daemon_store_outbox_status_name(r->status),
	       daemon_store_outbox_status_name(m.status), m.attempts,
	       m.last_error ? m.last_error : "-");
	if (r->next >= 0)
		tap_is_int(m.next_attempt_at - T0, r->next, "%s: next attempt in %lld s",
			   r->channel, (long long)r->next);
	if (r->why != NULL)
		tap_ok(m.last_error != NULL && strstr(m.last_error, r->why) != NULL,
		       "%s: the error says '%s' (%s)", r->channel, r->why,
		       m.last_error ? m.last_error : "none");
	else
		tap_ok(r->status != DAEMON_STORE_OUTBOX_SENT || m.last_error == NULL,
		       "%s: no error", r->channel);
	tap_ok(m.last_error == NULL || strstr(m.last_error, TOKEN) == NULL,
	       "%s: the error holds no URL path", r->channel);
	daemon_store_outbox_msg_clear(&m);
}

static struct row rows[] = {
    {"slack-ok", DAEMON_STORE_OUTBOX_SENT, -1, NULL, 0},
    {"slack-notok", DAEMON_STORE_OUTBOX_PENDING, 5, "HTTP 200 without Slack's \"ok\"", 0},
    {"hook-202", DAEMON_STORE_OUTBOX_SENT, -1, NULL, 0},
    {"hook-404", DAEMON_STORE_OUTBOX_FAILED, -1, "HTTP 404", 0},
    {"hook-500", DAEMON_STORE_OUTBOX_PENDING, 5, "HTTP 500", 0},
    {"hook-503", DAEMON_STORE_OUTBOX_PENDING, 7, "HTTP 503", 0},
    {"hook-429", DAEMON_STORE_OUTBOX_PENDING, 7, "HTTP 429", 0},
    {"hook-408", DAEMON_STORE_OUTBOX_PENDING, 5, "HTTP 408", 0},
    {"hook-slow", DAEMON_STORE_OUTBOX_PENDING, 5, "the webhook: ", 0},
    {"hook-nx", DAEMON_STORE_OUTBOX_FAILED, -1,
     "the webhook host nxhost.test does not exist (DNS NXDOMAIN)", 0},
    {"hook-nodata", DAEMON_STORE_OUTBOX_FAILED, -1, "the webhook host txtonly.test has no address",
     0},
    {"hook-tmp", DAEMON_STORE_OUTBOX_PENDING, 5,
     "the webhook host slowdns.test could not be resolved now (DNS timeout)", 0},
    {"hook-cname", DAEMON_STORE_OUTBOX_SENT, -1, NULL, 0},
    {"hook-both", DAEMON_STORE_OUTBOX_SENT, -1, NULL, 0},
    {"hook-lit", DAEMON_STORE_OUTBOX_SENT, -1, NULL, 0},
    {"hook-localhost", DAEMON_STORE_OUTBOX_SENT, -1, NULL, 0},
    {"mail-nx", DAEMON_STORE_OUTBOX_FAILED, -1,
     "the SMTP relay nxrelay.test does not exist (DNS NXDOMAIN)", 0},
    {"mail-relay", DAEMON_STORE_OUTBOX_FAILED, -1, "554", 0},
};
#define NROWS (sizeof rows / sizeof rows[0])

static int64_t row_id(const char *channel)
{
	for (size_t i = 0; i < NROWS; i++)
		if (strcmp(rows[i].channel, channel) == 0)
			return rows[i].id;
	return 0;
}

/* The sink saw channel's request exactly `want` times. */
static void sink_count(const char *all, const char *channel, int want)
{
	char *needle = xasprintf("/%s-" TOKEN "\n", channel);
	int n = 0;

	for (const char *p = strstr(all, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	tap_is_int(n, want, "%s: the sink got %d request(s)", channel, want);
	free(needle);
}

/* A row whose host keeps timing out is retried with backoff, then failed. */
static void test_max_attempts(struct world *w, int64_t id)
{
	struct daemon_store_outbox_msg m = {0};
	int64_t now = T0, prev_next = T0;
	uint32_t n = 0;
	bool backoff_ok = true;

	for (int guard = 0; guard < 2 * DAEMON_DELIVER_MAX_ATTEMPTS; guard++) {
		if (daemon_store_outbox_get(w->st, id, &m) != ERR_OK)
			break;
		if (m.status != DAEMON_STORE_OUTBOX_PENDING) {
			daemon_store_outbox_msg_clear(&m);
			break;
		}
		n = m.attempts;
		if (n > 0 && m.next_attempt_at - prev_next != daemon_deliver_backoff(n, -1))
			backoff_ok = false;
		prev_next = now = m.next_attempt_at;
		daemon_store_outbox_msg_clear(&m);
		daemon_deliver_run(w->dlv, now);
	}
	tap_ok(backoff_ok, "hook-tmp: each retry waited daemon_deliver_backoff(attempts)");
	if (daemon_store_outbox_get(w->st, id, &m) != ERR_OK)
		return;
	tap_ok(m.status == DAEMON_STORE_OUTBOX_FAILED && m.attempts == DAEMON_DELIVER_MAX_ATTEMPTS,
	       "hook-tmp: failed after %d attempts (%s, %u)", DAEMON_DELIVER_MAX_ATTEMPTS,
	       daemon_store_outbox_status_name(m.status), m.attempts);
	tap_ok(m.last_error && strstr(m.last_error, "slowdns.test") != NULL,
	       "hook-tmp: the final error still names the host");
	daemon_store_outbox_msg_clear(&m);
}

/* The engine's real resolver, driven by the sender: nothing listens, so a retry. */
static void test_real_resolver(struct world *w)
{
	struct daemon_store_outbox_msg m;
	int64_t id = enqueue_test(w, "hook-nx", 2);
	time_t end = time(NULL) + 20;

	daemon_deliver_free(w->dlv);
	w->dlv = daemon_deliver_new(w->cfg, w->st, w->eng, w->mq);
	daemon_deliver_run(w->dlv, T0);
	tap_is_int(daemon_deliver_inflight(w->dlv), 1, "real resolver: the row waits for DNS");
	tap_ok(dns_resolver_busy(daemon_engine_resolver(w->eng)), "real resolver: a query is out");
	while (daemon_deliver_inflight(w->dlv) > 0 && time(NULL) < end) {
		(void)poll(NULL, 0, 10);
		daemon_deliver_run(w->dlv, T0);
	}
	tap_is_int(daemon_deliver_inflight(w->dlv), 0, "real resolver: the answer came back");
	if (daemon_store_outbox_get(w->st, id, &m) != ERR_OK)
		return;
	tap_ok(m.status == DAEMON_STORE_OUTBOX_PENDING && m.attempts == 1 && m.last_error &&
		   strstr(m.last_error, "nxhost.test could not be resolved now") != NULL,
	       "real resolver, no server: a retry naming the host (%s)",
	       m.last_error ? m.last_error : "-");
	daemon_store_outbox_msg_clear(&m);
	/* Freed with a lookup in flight: the resolver forgets the book. */
	(void)enqueue_test(w, "hook-cname", 2);
	daemon_deliver_run(w->dlv, T0);
	tap_is_int(daemon_deliver_inflight(w->dlv), 1, "a second lookup in flight");
	daemon_deliver_free(w->dlv);
	w->dlv = NULL;
	for (int i = 0; i < 50 && dns_resolver_busy(daemon_engine_resolver(w->eng)); i++)
		if (dns_resolver_run_once(daemon_engine_resolver(w->eng), 20) != ERR_OK)
			break;
	tap_ok(!dns_resolver_busy(daemon_engine_resolver(w->eng)),
	       "the resolver finishes without the freed sender's book");
}

static bool world_new(struct world *w, const struct sink *hs, const struct sink *ps, const char *ca)
{
	char err[1024] = "";
	char *path = xasprintf("%s/deliver.db", tap_tmpdir());
	int relay_port = 0;
	char *text;
	bool ok;

	memset(w, 0, sizeof *w);
	w->relay_fd = relay_listen(&relay_port);
	text = config_text(hs, ps, ca, relay_port);
	ok = w->relay_fd >= 0 &&
	     daemon_config_load_string(text, strlen(text), "t.conf", NULL, &w->cfg, err,
				       sizeof err) == ERR_OK &&
	     daemon_store_open(path, &w->st, err, sizeof err) == ERR_OK &&
	     daemon_engine_new(w->cfg, w->st, T0, &w->eng, err, sizeof err) == ERR_OK &&
	     daemon_mailq_new(&w->mq) == ERR_OK;
	if (!ok)
		tap_diag("set-up: %s", err);
	free(text);
	free(path);
	if (ok) {
		w->z = zone();
		w->dlv = daemon_deliver_new(w->cfg, w->st, w->eng, w->mq);
		daemon_deliver_set_answerer(w->dlv, answer, w);
	}
	return ok;
}

static void world_free(struct world *w)
{
	daemon_deliver_free(w->dlv);
	daemon_mailq_free(w->mq);
	daemon_engine_free(w->eng);
	if (w->st != NULL)
		daemon_store_close(w->st);
	if (w->cfg != NULL)
		daemon_config_free(w->cfg);
	if (w->z != NULL)
		fakezone_free(w->z);
	if (w->relay_fd >= 0)
		close(w->relay_fd);
}

/* Log lines go to stderr: catch them in a file for the duration of fn. */
static char *with_log(void (*fn)(struct world *), struct world *w)
{
	char *path = xasprintf("%s/deliver.log", tap_tmpdir());
	int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *log;

	fflush(stderr);
	if (fd >= 0)
		dup2(fd, 2);
	fn(w);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (fd >= 0)
		close(fd);
	log = sink_read_file(path, NULL);
	free(path);
	return log ? log : xstrdup("");
}

static void first_round(struct world *w)
{
	for (size_t i = 0; i < NROWS; i++)
		rows[i].id = enqueue_test(w, rows[i].channel, 1);
	drive(w, T0);
}

static void test_sender(const struct sink *hs, const struct sink *ps, const char *ca)
{
	struct world w;
	char *log, *all;

	if (!tap_ok(world_new(&w, hs, ps, ca), "a config, store, engine and SMTP worker")) {
		world_free(&w);
		return;
	}
	log = with_log(first_round, &w);
	for (size_t i = 0; i < NROWS; i++)
		check_row(&w, &rows[i]);
	tap_ok(w.relay_accepted == 1, "mail-relay: relay.test resolved to the fake relay");
	all = sink_all(hs);
	sink_count(all, "slack-ok", 1);
	tap_ok(strstr(all, "POST /ok/slack-ok-" TOKEN) != NULL,
	       "the HTTPS sink (certificate for hooks.test) got Slack's POST");
	free(all);
	all = sink_all(ps);
	sink_count(all, "hook-202", 1);
	sink_count(all, "hook-cname", 1);
	sink_count(all, "hook-both", 1);
	sink_count(all, "hook-lit", 1);
	sink_count(all, "hook-localhost", 1);
	sink_count(all, "hook-nx", 0);
	sink_count(all, "hook-nodata", 0);
	sink_count(all, "hook-tmp", 0);
	free(all);
	tap_ok(w.answered == NROWS - 2,
	       "one DNS round per named host; none for literals and localhost (%u)", w.answered);
	tap_ok(strstr(log, "nxhost.test does not exist") != NULL, "the log names the missing host");
	tap_ok(strstr(log, TOKEN) == NULL, "the log holds no URL path");
	free(log);
	/* Only hook-tmp stays due: the other pending rows are settled by hand. */
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].status == DAEMON_STORE_OUTBOX_PENDING &&
		    strcmp(rows[i].channel, "hook-tmp") != 0 &&
		    daemon_store_outbox_fail(w.st, rows[i].id, T0, "settled by the test") != ERR_OK)
			tap_diag("could not settle %s", rows[i].channel);
	test_max_attempts(&w, row_id("hook-tmp"));
	test_real_resolver(&w);
	world_free(&w);
}

int main(void)
{
	struct sink hs = {0}, ps = {0};
	struct sink_ca ca = {0};
	struct fakezone *z = zone();

	signal(SIGPIPE, SIG_IGN);
	test_backoff();
	test_verdicts();
	test_literals(z);
	test_names(z);
	test_mixed();
	fakezone_free(z);
	if (dns_resolver_library_init() != ERR_OK)
		tap_ok(0, "c-ares initialises");
	else if (!sink_ca_make(&ca, "hooks.test"))
		tap_skip("openssl could not make a test CA: the sender tests are skipped");
	else if (!sink_start(&hs, "https", ca.cert, ca.key) || !sink_start(&ps, "http", NULL, NULL))
		tap_ok(0, "the HTTP sinks start (/usr/bin/python3 tests/lib/http_sink.py)");
	else
		test_sender(&hs, &ps, ca.ca);
	sink_stop(&hs);
	sink_stop(&ps);
	sink_ca_free(&ca);
	return tap_done();
}
