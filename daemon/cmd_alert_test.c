/*
 * daemon/cmd_alert_test: `mailpulse alert-test NAME -c FILE` sends one test
 * message through the [alert NAME] channel of the config FILE, the same way
 * mailpulsed would (daemon/notify builds it; the target host is resolved
 * through the config's [dns] resolvers by daemon/deliver's rules and the
 * connection pinned to its addresses; common/fetch or mail/smtp sends it;
 * daemon/deliver's verdict rules judge the answer), and says whether it
 * arrived: exit 0 when the channel accepted it, 1 when it did not (with the
 * reason, never a URL or secret), 3 for bad usage.
 *
 * What it does not: queue or retry (the daemon's outbox does).  It runs the
 * resolver blocking (dns_resolver_run_sync): one lookup, no main loop.
 */
#include <config.h> /* autoconf's (PACKAGE_VERSION) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/fetch.h"
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "daemon/cmd.h"
#include "daemon/config.h"
#include "daemon/deliver.h"
#include "daemon/notify.h"
#include "daemon/notify_mail.h"
#include "dns/book.h"
#include "dns/resolver.h"
#include "mail/smtp.h"

struct http_outcome {
	enum daemon_alert_type type;
	bool done, ok;
	char why[200];
};

static void http_done(void *arg, const struct common_fetch_result *r)
{
	struct http_outcome *o = arg;

	o->done = true;
	if (r->err != ERR_OK)
		snprintf(o->why, sizeof o->why, "%s", r->error);
	else if (r->status == 200 && o->type == DAEMON_ALERT_SLACK &&
		 daemon_deliver_http_verdict(o->type, r) != DAEMON_DELIVER_SENT)
		snprintf(o->why, sizeof o->why, "HTTP 200 without Slack's \"ok\"");
	else
		snprintf(o->why, sizeof o->why, "HTTP %ld", r->status);
	o->ok = daemon_deliver_http_verdict(o->type, r) == DAEMON_DELIVER_SENT;
}

struct resolve_ctx {
	struct dns_book *book;
	const char *host, *what;
	struct daemon_deliver_addrs out;
};

static enum mp_err resolve_step(void *arg)
{
	struct resolve_ctx *c = arg;

	return daemon_deliver_resolve(c->book, c->host, c->what, &c->out);
}

/*
 * The addresses of channel a's host, as the daemon finds them: through the
 * [dns] resolvers, blocking.  False with why filled when there are none.
 */
static bool resolve(const struct daemon_config *cfg, const struct daemon_config_alert *a,
		    struct daemon_deliver_addrs *out, char *why, size_t whysz)
{
	char host[256];
	struct resolve_ctx c = {0};
	struct dns_resolver *res = NULL;
	enum mp_err rc;

	if (daemon_deliver_target(a, host, sizeof host, &c.what) != ERR_OK) {
		snprintf(why, whysz, "the channel's URL has no usable host");
		return false;
	}
	c.host = host;
	c.book = dns_book_new(4);
	rc = resolve_step(&c);
	if (rc == ERR_AGAIN && dns_resolver_new(&cfg->dns.opts, &res) == ERR_OK)
		rc = dns_resolver_run_sync(res, c.book, resolve_step, &c);
	else if (rc == ERR_AGAIN)
		snprintf(c.out.why, sizeof c.out.why, "cannot start the resolver");
	dns_resolver_free(res);
	dns_book_free(c.book);
	if (rc != ERR_OK || c.out.verdict != DAEMON_DELIVER_SENT) {
		snprintf(why, whysz, "%s",
			 rc == ERR_OK || rc == ERR_AGAIN ? c.out.why : "the DNS event loop failed");
		return false;
	}
	*out = c.out;
	return true;
}

static bool send_http(const struct daemon_config_alert *a, const struct daemon_notify_msg *m,
		      const struct daemon_deliver_addrs *ad, char *why, size_t whysz)
{
	struct common_fetch_opts fo = {.ca_file = a->ca_file, .timeout_ms = a->timeout_ms};
	struct common_fetch *f = common_fetch_new(&fo);
	const char *ap[DAEMON_DELIVER_MAX_ADDRS];
	struct common_fetch_req rq = {.method = "POST",
				      .url = a->url.value,
				      .addrs = ap,
				      .n_addrs = ad->n,
				      .label = "the channel",
				      .body = m->body,
				      .body_len = m->body_len,
				      .n_headers = m->nheaders,
				      .allow_http = a->allow_insecure};
	char **hdr = xcalloc(m->nheaders + 1, sizeof *hdr);
	struct http_outcome o = {.type = a->type};

	for (size_t i = 0; i < ad->n; i++)
		ap[i] = ad->addr[i];
	for (size_t i = 0; i < m->nheaders; i++)
		hdr[i] = xasprintf("%s: %s", m->headers[i].name, m->headers[i].value);
	rq.headers = (const char *const *)hdr;
	if (common_fetch_start(f, &rq, http_done, &o) != ERR_OK)
		snprintf(o.why, sizeof o.why, "the request could not be started");
	else
		while (!o.done)
			(void)common_fetch_run(f, 100);
	common_fetch_free(f);
	for (size_t i = 0; i < m->nheaders; i++)
		free(hdr[i]);
	free(hdr);
	snprintf(why, whysz, "%s", o.why);
	return o.ok;
}

static bool send_mail(const struct daemon_config_alert *a, const struct daemon_notify_msg *m,
		      const struct daemon_deliver_addrs *ad, char *why, size_t whysz)
{
	struct mail_smtp_opts o = {0};
	struct mail_smtp_result r = {0};
	unsigned t = a->timeout_ms;
	bool ok = false;

	o.host = a->smtp_host; /* the name the certificate must carry */
	o.port = a->smtp_port;
	o.tls = a->smtp_tls == DAEMON_SMTP_IMPLICIT ? MAIL_SMTP_IMPLICIT
		: a->smtp_tls == DAEMON_SMTP_NONE   ? MAIL_SMTP_PLAINTEXT
						    : MAIL_SMTP_STARTTLS;
	o.plaintext_auth = a->smtp_tls == DAEMON_SMTP_NONE;
	o.ca_file = a->ca_file;
	o.user = a->username;
	o.password = a->password.value;
	o.timeouts = (struct mail_smtp_timeouts){t, t, t, t, t, t, t, t};
	/* Each address in turn while the trouble is reaching it (RFC 5321 5.1). */
	for (size_t i = 0; i < ad->n; i++) {
		o.addr = ad->addr[i];
		mail_smtp_result_free(&r);
		memset(&r, 0, sizeof r);
		ok = mail_smtp_send(&o, a->from, (const char *const *)a->to, a->n_to, m->body,
				    m->body_len, &r) == ERR_OK;
		if (ok || r.cls != MAIL_SMTP_NETWORK || r.data_sent)
			break;
	}
	snprintf(why, whysz, "%s", ok ? "accepted" : r.error);
	mail_smtp_result_free(&r);
	return ok;
}

static enum mp_err build(const struct daemon_config_alert *a, const char *base,
			 const struct daemon_alert_group *g, int64_t now, struct daemon_notify_msg *m)
{
	/* base: [web] public_url, linked from the message as in the daemon's alerts. */
	struct daemon_notify_opts no = {.dashboard_url = base, .version = PACKAGE_VERSION};
	struct daemon_notify_mail_opts mo = {
	    .from = a->from, .to = (const char *const *)a->to, .nto = a->n_to};
	unsigned char *key = NULL;
	size_t keylen = 0;
	enum mp_err rc;

	if (a->type == DAEMON_ALERT_SLACK)
		return daemon_notify_slack(g, &no, m);
	if (a->type == DAEMON_ALERT_EMAIL)
		return daemon_notify_mail(g, &no, &mo, "alert-test", now, m);
	if (a->signing_secret.value != NULL &&
	    daemon_notify_webhook_secret(a->signing_secret.value, &key, &keylen) != ERR_OK)
		return ERR_INVAL;
	rc = daemon_notify_webhook(&g->events[0], &no, "alert-test", now, key, keylen, m);
	if (key != NULL)
		memset(key, 0, keylen);
	free(key);
	return rc;
}

static int run(const char *name, const char *path)
{
	struct daemon_config *cfg = NULL;
	const struct daemon_config_alert *a;
	struct daemon_alert_group g;
	struct daemon_notify_msg m = {0};
	struct daemon_deliver_addrs ad = {0};
	char err[1024];
	int64_t now = time(NULL);
	bool ok = false;

	if (daemon_config_load(path, &cfg, err, sizeof err) != ERR_OK) {
		fprintf(stderr, "mailpulse alert-test: %s\n", err);
		return DAEMON_EXIT_USAGE;
	}
	a = daemon_config_find_alert(cfg, name);
	if (a == NULL) {
		fprintf(stderr, "mailpulse alert-test: no [alert %s] in %s\n", name, path);
		daemon_config_free(cfg);
		return DAEMON_EXIT_USAGE;
	}
	daemon_alert_test_group(&g, a->name, now);
	if (build(a, cfg->web.public_url, &g, now, &m) != ERR_OK)
		snprintf(err, sizeof err, "the test message could not be built");
	else if (!resolve(cfg, a, &ad, err, sizeof err))
		ok = false;
	else if (a->type == DAEMON_ALERT_EMAIL)
		ok = send_mail(a, &m, &ad, err, sizeof err);
	else
		ok = send_http(a, &m, &ad, err, sizeof err);
	printf("alert-test %s: %s (%s)\n", a->name, ok ? "ok" : "FAILED", err);
	daemon_notify_msg_free(&m);
	daemon_alert_group_free(&g);
	daemon_config_free(cfg);
	return ok ? 0 : 1;
}

int daemon_cmd_alert_test(int argc, char **argv)
{
	const char *name = NULL, *path = NULL;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc)
			path = argv[++i];
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			name = NULL;
			break;
		}
	}
	if (name == NULL || path == NULL) {
		fputs("usage: mailpulse alert-test NAME -c FILE\n", stderr);
		return DAEMON_EXIT_USAGE;
	}
	return run(name, path);
}
