/*
 * daemon/cmd_alert_test: `mailpulse alert-test NAME -c FILE` sends one test
 * message through the [alert NAME] channel of the config FILE, the same way
 * mailpulsed would (daemon/notify builds it, common/fetch or mail/smtp sends
 * it), and says whether it arrived: exit 0 when the channel accepted it, 1
 * when it did not (with the reason, never a URL or secret), 3 for bad usage.
 *
 * What it does not: queue or retry (the daemon's outbox does), or resolve an
 * SMTP relay host name (smtp_host must be an IP literal, as in the daemon).
 */
#include <config.h> /* autoconf's (PACKAGE_VERSION) */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/fetch.h"
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "daemon/cmd.h"
#include "daemon/config.h"
#include "daemon/notify.h"
#include "daemon/notify_mail.h"
#include "mail/smtp.h"

struct http_outcome {
	bool done, ok;
	char why[200];
};

static void http_done(void *arg, const struct common_fetch_result *r)
{
	struct http_outcome *o = arg;

	o->done = true;
	if (r->err != ERR_OK)
		snprintf(o->why, sizeof o->why, "%s", r->error);
	else
		snprintf(o->why, sizeof o->why, "HTTP %ld", r->status);
	o->ok = r->err == ERR_OK && r->status >= 200 && r->status < 300;
}

static bool send_http(const struct daemon_config_alert *a, const struct daemon_notify_msg *m,
		      char *why, size_t whysz)
{
	struct common_fetch_opts fo = {.ca_file = a->ca_file, .timeout_ms = a->timeout_ms};
	struct common_fetch *f = common_fetch_new(&fo);
	struct common_fetch_req rq = {.method = "POST",
				      .url = a->url.value,
				      .label = "the channel",
				      .body = m->body,
				      .body_len = m->body_len,
				      .n_headers = m->nheaders,
				      .allow_http = a->allow_insecure};
	char **hdr = xcalloc(m->nheaders + 1, sizeof *hdr);
	struct http_outcome o = {0};

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
		      char *why, size_t whysz)
{
	struct mail_smtp_opts o = {0};
	struct mail_smtp_result r = {0};
	unsigned char ip[16];
	unsigned t = a->timeout_ms;
	bool ok;

	if (inet_pton(AF_INET, a->smtp_host, ip) != 1 &&
	    inet_pton(AF_INET6, a->smtp_host, ip) != 1) {
		snprintf(why, whysz, "smtp_host must be an IP address for now");
		return false;
	}
	o.host = a->smtp_host;
	o.port = a->smtp_port;
	o.tls = a->smtp_tls == DAEMON_SMTP_IMPLICIT ? MAIL_SMTP_IMPLICIT
		: a->smtp_tls == DAEMON_SMTP_NONE   ? MAIL_SMTP_PLAINTEXT
						    : MAIL_SMTP_STARTTLS;
	o.plaintext_auth = a->smtp_tls == DAEMON_SMTP_NONE;
	o.ca_file = a->ca_file;
	o.user = a->username;
	o.password = a->password.value;
	o.timeouts = (struct mail_smtp_timeouts){t, t, t, t, t, t, t, t};
	ok = mail_smtp_send(&o, a->from, (const char *const *)a->to, a->n_to, m->body, m->body_len,
			    &r) == ERR_OK;
	snprintf(why, whysz, "%s", ok ? "accepted" : r.error);
	mail_smtp_result_free(&r);
	return ok;
}

static enum mp_err build(const struct daemon_config_alert *a, const struct daemon_alert_group *g,
			 int64_t now, struct daemon_notify_msg *m)
{
	struct daemon_notify_opts no = {.version = PACKAGE_VERSION};
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
	if (build(a, &g, now, &m) != ERR_OK)
		snprintf(err, sizeof err, "the test message could not be built");
	else if (a->type == DAEMON_ALERT_EMAIL)
		ok = send_mail(a, &m, err, sizeof err);
	else
		ok = send_http(a, &m, err, sizeof err);
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
