/*
 * daemon/deliver: the outbox sender (see the header).
 */
#include <config.h> /* autoconf's (PACKAGE_VERSION) */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "common/fetch.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/alert_json.h"
#include "daemon/deliver.h"
#include "daemon/engine_store.h"
#include "daemon/notify.h"
#include "daemon/notify_mail.h"
#include "daemon/store_outbox.h"

#define DELIVER_MAX_INFLIGHT 16

struct deliver_chan {
	const struct daemon_config_alert *cfg;
	struct common_fetch *fetch; /* slack and webhook */
	unsigned char *key;	    /* webhook signing key, or NULL */
	size_t keylen;
	bool bad_key; /* a secret is configured but does not decode */
};

struct daemon_deliver {
	const struct daemon_config *cfg;
	struct daemon_store *st;
	struct daemon_engine *eng;
	struct daemon_mailq *mq;
	struct deliver_chan *ch;
	unsigned inflight;
	bool changed;
	int64_t now; /* of the current run, for the HTTP callbacks */
};

/* One HTTP request in flight. */
struct deliver_req {
	struct daemon_deliver *d;
	int64_t id;
	size_t ch;
};

enum verdict { V_SENT, V_RETRY, V_FAIL };

int64_t daemon_deliver_backoff(uint32_t attempts, long retry_after)
{
	int64_t s = DAEMON_DELIVER_BACKOFF_BASE;

	for (uint32_t i = 1; i < attempts && s < DAEMON_DELIVER_BACKOFF_MAX; i++)
		s *= 2;
	if (s > DAEMON_DELIVER_BACKOFF_MAX)
		s = DAEMON_DELIVER_BACKOFF_MAX;
	if (retry_after > s)
		s = retry_after > DAEMON_DELIVER_BACKOFF_MAX ? DAEMON_DELIVER_BACKOFF_MAX
							     : retry_after;
	return s;
}

struct daemon_deliver *daemon_deliver_new(const struct daemon_config *cfg, struct daemon_store *st,
					  struct daemon_engine *eng, struct daemon_mailq *mq)
{
	struct daemon_deliver *d = xcalloc(1, sizeof *d);

	d->cfg = cfg;
	d->st = st;
	d->eng = eng;
	d->mq = mq;
	d->ch = xcalloc(cfg->n_alerts + 1, sizeof *d->ch);
	for (size_t i = 0; i < cfg->n_alerts; i++) {
		const struct daemon_config_alert *a = &cfg->alerts[i];
		struct common_fetch_opts fo = {.ca_file = a->ca_file, .timeout_ms = a->timeout_ms};

		d->ch[i].cfg = a;
		if (a->type != DAEMON_ALERT_EMAIL)
			d->ch[i].fetch = common_fetch_new(&fo);
		if (a->signing_secret.value != NULL &&
		    daemon_notify_webhook_secret(a->signing_secret.value, &d->ch[i].key,
						 &d->ch[i].keylen) != ERR_OK) {
			d->ch[i].bad_key = true;
			log_err("deliver", "bad-secret channel=%s reason=not-a-whsec-key", a->name);
		}
	}
	return d;
}

void daemon_deliver_free(struct daemon_deliver *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->cfg->n_alerts; i++) {
		common_fetch_free(d->ch[i].fetch); /* cancels without callbacks */
		if (d->ch[i].key != NULL)
			memset(d->ch[i].key, 0, d->ch[i].keylen);
		free(d->ch[i].key);
	}
	free(d->ch);
	free(d);
}

/* Tell the engine about the final outcome of the row's firing/reminder events. */
static void report(struct daemon_deliver *d, const struct daemon_store_outbox_msg *m,
		   bool delivered, int64_t now)
{
	struct daemon_alert_group g;

	if (m->event != DAEMON_STORE_OUTBOX_FIRING && m->event != DAEMON_STORE_OUTBOX_REMINDER)
		return;
	if (daemon_alert_json_group_parse(m->payload, &g) != ERR_OK)
		return;
	for (size_t i = 0; i < g.nevents; i++)
		if (g.events[i].kind == DAEMON_ALERT_FIRING_EV ||
		    g.events[i].kind == DAEMON_ALERT_REMINDER_EV)
			daemon_engine_delivery(d->eng, m->channel, g.events[i].episode_id,
					       g.events[i].kind, delivered, now);
	daemon_alert_group_free(&g);
}

static void outcome(struct daemon_deliver *d, int64_t id, enum verdict v, long retry_after,
		    const char *error, int64_t now)
{
	struct daemon_store_outbox_msg m;
	enum mp_err rc;

	if (daemon_store_outbox_get(d->st, id, &m) != ERR_OK)
		return;
	if (v == V_RETRY && m.attempts + 1 >= DAEMON_DELIVER_MAX_ATTEMPTS)
		v = V_FAIL;
	if (v == V_SENT)
		rc = daemon_store_outbox_mark_sent(d->st, id, now);
	else if (v == V_RETRY)
		rc = daemon_store_outbox_retry(
		    d->st, id, now, now + daemon_deliver_backoff(m.attempts + 1, retry_after),
		    error);
	else
		rc = daemon_store_outbox_fail(d->st, id, now, error);
	log_info("deliver", "%s id=%lld channel=%s event=%s attempt=%u%s%s",
		 v == V_SENT	? "sent"
		 : v == V_RETRY ? "retry"
				: "failed",
		 (long long)id, m.channel, daemon_store_outbox_event_name(m.event), m.attempts + 1,
		 error ? " error=" : "", error ? error : "");
	if (rc != ERR_OK)
		log_err("store", "outbox-mark-failed id=%lld reason=%s", (long long)id,
			daemon_store_errmsg(d->st));
	else if (v != V_RETRY)
		report(d, &m, v == V_SENT, now);
	daemon_store_outbox_msg_clear(&m);
	d->changed = true;
}

static enum verdict http_verdict(enum daemon_alert_type t, const struct common_fetch_result *r)
{
	if (r->err != ERR_OK)
		return V_RETRY; /* no response: timeout, refused, TLS trouble */
	if (t == DAEMON_ALERT_SLACK && r->status == 200)
		return r->body_len == 2 && memcmp(r->body, "ok", 2) == 0 ? V_SENT : V_RETRY;
	if (t != DAEMON_ALERT_SLACK && r->status >= 200 && r->status < 300)
		return V_SENT;
	if (r->status >= 500 || r->status == 408 || r->status == 429)
		return V_RETRY;
	return V_FAIL;
}

static void http_done(void *arg, const struct common_fetch_result *r)
{
	struct deliver_req *q = arg;
	struct daemon_deliver *d = q->d;
	char why[96];
	enum verdict v = http_verdict(d->ch[q->ch].cfg->type, r);

	if (r->err != ERR_OK)
		snprintf(why, sizeof why, "%s", r->error);
	else
		snprintf(why, sizeof why, "HTTP %ld", r->status);
	outcome(d, q->id, v, r->retry_after, v == V_SENT ? NULL : why, d->now);
	d->inflight--;
	free(q);
}

static char *msg_id(const struct daemon_store_outbox_msg *m)
{
	return xasprintf("mp_%s_%s_%lld", m->episode_id ? m->episode_id : "test",
			 daemon_store_outbox_event_name(m->event), (long long)m->id);
}

static enum mp_err build_http(const struct deliver_chan *c, const struct daemon_alert_group *g,
			      const char *id, int64_t now, struct daemon_notify_msg *out)
{
	struct daemon_notify_opts o = {.dashboard_url = NULL, .version = PACKAGE_VERSION};

	if (c->cfg->type == DAEMON_ALERT_SLACK)
		return daemon_notify_slack(g, &o, out);
	if (c->bad_key)
		return ERR_INVAL;
	return daemon_notify_webhook(&g->events[0], &o, id, now, c->key, c->keylen, out);
}

static enum mp_err send_http(struct daemon_deliver *d, size_t ci,
			     const struct daemon_store_outbox_msg *m,
			     const struct daemon_alert_group *g, int64_t now)
{
	struct daemon_notify_msg nm = {0};
	struct common_fetch_req rq = {0};
	char *id = msg_id(m);
	char **hdr = NULL;
	enum mp_err rc = build_http(&d->ch[ci], g, id, now, &nm);

	if (rc == ERR_OK) {
		struct deliver_req *q = xcalloc(1, sizeof *q);

		hdr = xcalloc(nm.nheaders + 1, sizeof *hdr);
		for (size_t i = 0; i < nm.nheaders; i++)
			hdr[i] = xasprintf("%s: %s", nm.headers[i].name, nm.headers[i].value);
		rq.method = "POST";
		rq.url = d->ch[ci].cfg->url.value;
		rq.label =
		    d->ch[ci].cfg->type == DAEMON_ALERT_SLACK ? "the Slack webhook" : "the webhook";
		rq.body = nm.body;
		rq.body_len = nm.body_len;
		rq.headers = (const char *const *)hdr;
		rq.n_headers = nm.nheaders;
		rq.allow_http = d->ch[ci].cfg->allow_insecure;
		*q = (struct deliver_req){.d = d, .id = m->id, .ch = ci};
		rc = common_fetch_start(d->ch[ci].fetch, &rq, http_done, q);
		if (rc == ERR_OK)
			d->inflight++;
		else
			free(q);
	}
	for (size_t i = 0; hdr != NULL && i < nm.nheaders; i++)
		free(hdr[i]);
	free(hdr);
	daemon_notify_msg_free(&nm);
	free(id);
	return rc;
}

static enum mp_err send_mail(struct daemon_deliver *d, size_t ci,
			     const struct daemon_store_outbox_msg *m,
			     const struct daemon_alert_group *g, int64_t now)
{
	const struct daemon_config_alert *a = d->ch[ci].cfg;
	struct daemon_notify_opts o = {.version = PACKAGE_VERSION};
	struct daemon_notify_mail_opts mo = {
	    .from = a->from, .to = (const char *const *)a->to, .nto = a->n_to};
	struct daemon_notify_msg nm = {0};
	struct daemon_mailq_job j = {0};
	unsigned char ip[16];
	char *id = msg_id(m);
	enum mp_err rc = daemon_notify_mail(g, &o, &mo, id, now, &nm);

	free(id);
	if (rc != ERR_OK)
		return rc;
	if (inet_pton(AF_INET, a->smtp_host, ip) != 1 &&
	    inet_pton(AF_INET6, a->smtp_host, ip) != 1) {
		daemon_notify_msg_free(&nm);
		return ERR_UNSUPPORTED; /* host names need the async resolver: not yet */
	}
	j = (struct daemon_mailq_job){
	    .id = m->id,
	    .channel = xstrdup(a->name),
	    .host = xstrdup(a->smtp_host),
	    .port = a->smtp_port,
	    .tls = a->smtp_tls == DAEMON_SMTP_IMPLICIT ? MAIL_SMTP_IMPLICIT
		   : a->smtp_tls == DAEMON_SMTP_NONE   ? MAIL_SMTP_PLAINTEXT
						       : MAIL_SMTP_STARTTLS,
	    .ca_file = a->ca_file ? xstrdup(a->ca_file) : NULL,
	    .user = a->username ? xstrdup(a->username) : NULL,
	    .password = a->password.value ? xstrdup(a->password.value) : NULL,
	    .from = xstrdup(a->from),
	    .to = xcalloc(a->n_to, sizeof(char *)),
	    .nto = a->n_to,
	    .msg = nm.body,
	    .len = nm.body_len,
	    .timeout_ms = a->timeout_ms,
	    .plaintext_auth = a->smtp_tls == DAEMON_SMTP_NONE};
	for (size_t i = 0; i < a->n_to; i++)
		j.to[i] = xstrdup(a->to[i]);
	nm.body = NULL;
	daemon_notify_msg_free(&nm);
	daemon_mailq_push(d->mq, &j);
	d->inflight++;
	return ERR_OK;
}

static long find_channel(const struct daemon_deliver *d, const char *name)
{
	for (size_t i = 0; i < d->cfg->n_alerts; i++)
		if (strcmp(d->cfg->alerts[i].name, name) == 0)
			return (long)i;
	return -1;
}

static void start_row(struct daemon_deliver *d, const struct daemon_store_outbox_msg *m,
		      int64_t now)
{
	long ci = find_channel(d, m->channel);
	struct daemon_alert_group g;
	enum mp_err rc;

	if (ci < 0) {
		/* The channel left the config: keep the row for when it returns. */
		if (daemon_store_outbox_retry(d->st, m->id, now, now + DAEMON_DELIVER_BACKOFF_MAX,
					      "the channel is no longer configured") != ERR_OK)
			log_err("store", "outbox-retry-failed id=%lld", (long long)m->id);
		return;
	}
	if (daemon_alert_json_group_parse(m->payload, &g) != ERR_OK) {
		outcome(d, m->id, V_FAIL, -1, "unreadable payload", now);
		return;
	}
	if (d->cfg->alerts[ci].type == DAEMON_ALERT_EMAIL)
		rc = send_mail(d, (size_t)ci, m, &g, now);
	else
		rc = send_http(d, (size_t)ci, m, &g, now);
	daemon_alert_group_free(&g);
	if (rc == ERR_UNSUPPORTED)
		outcome(d, m->id, V_FAIL, -1, "smtp_host must be an IP address for now", now);
	else if (rc != ERR_OK)
		outcome(d, m->id, V_FAIL, -1, "the message could not be built or started", now);
}

void daemon_deliver_run(struct daemon_deliver *d, int64_t now)
{
	struct daemon_store_outbox_list l = {0};

	d->now = now;
	for (size_t i = 0; i < d->cfg->n_alerts; i++)
		if (d->ch[i].fetch != NULL)
			(void)common_fetch_run(d->ch[i].fetch, 0);
	if (d->inflight >= DELIVER_MAX_INFLIGHT)
		return;
	/* The lease outlasts any attempt, so a row is never sent twice at once. */
	if (daemon_store_outbox_take_due(d->st, now, 600, DELIVER_MAX_INFLIGHT - d->inflight, &l) !=
	    ERR_OK) {
		log_err("store", "outbox-take-failed reason=%s", daemon_store_errmsg(d->st));
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		start_row(d, &l.v[i], now);
	daemon_store_outbox_list_free(&l);
}

unsigned daemon_deliver_inflight(const struct daemon_deliver *d)
{
	return d->inflight;
}

void daemon_deliver_mail_done(struct daemon_deliver *d, const struct daemon_mailq_done *r,
			      int64_t now)
{
	enum verdict v = V_FAIL;

	if (r->cls == MAIL_SMTP_OK)
		v = V_SENT;
	else if (r->cls == MAIL_SMTP_TEMPORARY || r->cls == MAIL_SMTP_NETWORK)
		v = V_RETRY; /* after data_sent this may duplicate; the Message-ID stays the same */
	outcome(d, r->id, v, -1, v == V_SENT ? NULL : r->error, now);
	if (d->inflight > 0)
		d->inflight--;
}

bool daemon_deliver_changed(struct daemon_deliver *d)
{
	bool c = d->changed;

	d->changed = false;
	return c;
}
