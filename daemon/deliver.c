/*
 * daemon/deliver: the outbox sender (see the header).
 */
#include <config.h> /* autoconf's (PACKAGE_VERSION) */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "common/fetch.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/alert_json.h"
#include "daemon/deliver.h"
#include "daemon/engine_store.h"
#include "daemon/notify.h"
#include "daemon/notify_mail.h"
#include "daemon/store_outbox.h"
#include "dns/name.h"
#include "dns/resolver.h"

#define DELIVER_MAX_INFLIGHT 16
#define DELIVER_HOST_MAX 256

struct deliver_chan {
	const struct daemon_config_alert *cfg;
	struct common_fetch *fetch; /* slack and webhook */
	unsigned char *key;	    /* webhook signing key, or NULL */
	size_t keylen;
	bool bad_key;		     /* a secret is configured but does not decode */
	char host[DELIVER_HOST_MAX]; /* what it connects to; "" when the URL does not parse */
	const char *what;	     /* how reasons name the host */
};

/* A claimed row waiting for its host's addresses. */
struct deliver_dns {
	int64_t id; /* the outbox row */
	size_t ch;
	struct dns_book *book;
	bool ready; /* every question answered: resolve again */
	struct deliver_dns *next;
};

struct daemon_deliver {
	const struct daemon_config *cfg;
	struct daemon_store *st;
	struct daemon_engine *eng;
	struct daemon_mailq *mq;
	struct deliver_chan *ch;
	unsigned inflight;
	bool changed;
	int64_t now;			  /* of the current run, for the HTTP callbacks */
	struct dns_resolver *res;	  /* the engine's, borrowed; NULL: none */
	daemon_deliver_answer_fn *answer; /* tests: answers books instead of res */
	void *answer_arg;
	struct deliver_dns *dns; /* rows waiting for DNS */
};

/* One HTTP request in flight. */
struct deliver_req {
	struct daemon_deliver *d;
	int64_t id;
	size_t ch;
};

#define V_SENT DAEMON_DELIVER_SENT
#define V_RETRY DAEMON_DELIVER_RETRY
#define V_FAIL DAEMON_DELIVER_FAIL

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
	d->res = eng != NULL ? daemon_engine_resolver(eng) : NULL;
	d->ch = xcalloc(cfg->n_alerts + 1, sizeof *d->ch);
	for (size_t i = 0; i < cfg->n_alerts; i++) {
		const struct daemon_config_alert *a = &cfg->alerts[i];
		struct common_fetch_opts fo = {.ca_file = a->ca_file, .timeout_ms = a->timeout_ms};

		d->ch[i].cfg = a;
		if (a->type != DAEMON_ALERT_EMAIL)
			d->ch[i].fetch = common_fetch_new(&fo);
		if (daemon_deliver_target(a, d->ch[i].host, sizeof d->ch[i].host, &d->ch[i].what) !=
		    ERR_OK)
			d->ch[i].host[0] = '\0'; /* the send fails with a clear error */
		if (a->signing_secret.value != NULL &&
		    daemon_notify_webhook_secret(a->signing_secret.value, &d->ch[i].key,
						 &d->ch[i].keylen) != ERR_OK) {
			d->ch[i].bad_key = true;
			log_err("deliver", "bad-secret channel=%s reason=not-a-whsec-key", a->name);
		}
	}
	return d;
}

/* Drop a DNS wait; the resolver forgets its book (its queries still fill the cache). */
static void dns_free(struct daemon_deliver *d, struct deliver_dns *q)
{
	if (d->res != NULL && d->answer == NULL)
		dns_resolver_forget(d->res, q->book);
	dns_book_free(q->book);
	free(q);
}

void daemon_deliver_free(struct daemon_deliver *d)
{
	if (d == NULL)
		return;
	while (d->dns != NULL) {
		struct deliver_dns *q = d->dns;

		d->dns = q->next;
		dns_free(d, q);
	}
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

static void outcome(struct daemon_deliver *d, int64_t id, enum daemon_deliver_verdict v,
		    long retry_after, const char *error, int64_t now)
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

enum daemon_deliver_verdict daemon_deliver_http_verdict(enum daemon_alert_type t,
							const struct common_fetch_result *r)
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
	enum daemon_deliver_verdict v = daemon_deliver_http_verdict(d->ch[q->ch].cfg->type, r);

	if (r->err != ERR_OK)
		snprintf(why, sizeof why, "%s", r->error);
	else if (r->status == 200 && v == V_RETRY)
		snprintf(why, sizeof why, "HTTP 200 without Slack's \"ok\"");
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

static enum mp_err build_http(const struct deliver_chan *c, const char *base,
			      const struct daemon_alert_group *g, const char *id, int64_t now,
			      struct daemon_notify_msg *out)
{
	/* base: [web] public_url, so every alert links the domain's page. */
	struct daemon_notify_opts o = {.dashboard_url = base, .version = PACKAGE_VERSION};

	if (c->cfg->type == DAEMON_ALERT_SLACK)
		return daemon_notify_slack(g, &o, out);
	if (c->bad_key)
		return ERR_INVAL;
	return daemon_notify_webhook(&g->events[0], &o, id, now, c->key, c->keylen, out);
}

static enum mp_err send_http(struct daemon_deliver *d, size_t ci,
			     const struct daemon_store_outbox_msg *m,
			     const struct daemon_alert_group *g,
			     const struct daemon_deliver_addrs *a, int64_t now)
{
	struct daemon_notify_msg nm = {0};
	struct common_fetch_req rq = {0};
	const char *ap[DAEMON_DELIVER_MAX_ADDRS];
	char *id = msg_id(m);
	char **hdr = NULL;
	enum mp_err rc = build_http(&d->ch[ci], d->cfg->web.public_url, g, id, now, &nm);

	for (size_t i = 0; i < a->n; i++)
		ap[i] = a->addr[i];
	if (rc == ERR_OK) {
		struct deliver_req *q = xcalloc(1, sizeof *q);

		hdr = xcalloc(nm.nheaders + 1, sizeof *hdr);
		for (size_t i = 0; i < nm.nheaders; i++)
			hdr[i] = xasprintf("%s: %s", nm.headers[i].name, nm.headers[i].value);
		rq.method = "POST";
		rq.url = d->ch[ci].cfg->url.value;
		rq.addrs = ap; /* pinned: curl never resolves the name itself */
		rq.n_addrs = a->n;
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
			     const struct daemon_alert_group *g,
			     const struct daemon_deliver_addrs *a, int64_t now)
{
	const struct daemon_config_alert *c = d->ch[ci].cfg;
	struct daemon_notify_opts o = {.dashboard_url = d->cfg->web.public_url,
				       .version = PACKAGE_VERSION};
	struct daemon_notify_mail_opts mo = {
	    .from = c->from, .to = (const char *const *)c->to, .nto = c->n_to};
	struct daemon_notify_msg nm = {0};
	struct daemon_mailq_job j = {0};
	char *id = msg_id(m);
	enum mp_err rc = daemon_notify_mail(g, &o, &mo, id, now, &nm);

	free(id);
	if (rc != ERR_OK)
		return rc;
	j = (struct daemon_mailq_job){
	    .id = m->id,
	    .channel = xstrdup(c->name),
	    .host = xstrdup(c->smtp_host), /* the name the certificate must carry */
	    /* One address per session: each retry moves on to the next one. */
	    .addr = a->n > 0 ? xstrdup(a->addr[m->attempts % a->n]) : NULL,
	    .port = c->smtp_port,
	    .tls = c->smtp_tls == DAEMON_SMTP_IMPLICIT ? MAIL_SMTP_IMPLICIT
		   : c->smtp_tls == DAEMON_SMTP_NONE   ? MAIL_SMTP_PLAINTEXT
						       : MAIL_SMTP_STARTTLS,
	    .ca_file = c->ca_file ? xstrdup(c->ca_file) : NULL,
	    .user = c->username ? xstrdup(c->username) : NULL,
	    .password = c->password.value ? xstrdup(c->password.value) : NULL,
	    .from = xstrdup(c->from),
	    .to = xcalloc(c->n_to, sizeof(char *)),
	    .nto = c->n_to,
	    .msg = nm.body,
	    .len = nm.body_len,
	    .timeout_ms = c->timeout_ms,
	    .plaintext_auth = c->smtp_tls == DAEMON_SMTP_NONE};
	for (size_t i = 0; i < c->n_to; i++)
		j.to[i] = xstrdup(c->to[i]);
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

/* Send row m of channel ci to the addresses a (or record why not). */
static void send_row(struct daemon_deliver *d, size_t ci, const struct daemon_store_outbox_msg *m,
		     const struct daemon_deliver_addrs *a, int64_t now)
{
	struct daemon_alert_group g;
	enum mp_err rc;

	if (a->verdict != V_SENT) {
		outcome(d, m->id, a->verdict, -1, a->why, now);
		return;
	}
	if (daemon_alert_json_group_parse(m->payload, &g) != ERR_OK) {
		outcome(d, m->id, V_FAIL, -1, "unreadable payload", now);
		return;
	}
	if (d->cfg->alerts[ci].type == DAEMON_ALERT_EMAIL)
		rc = send_mail(d, ci, m, &g, a, now);
	else
		rc = send_http(d, ci, m, &g, a, now);
	daemon_alert_group_free(&g);
	if (rc != ERR_OK)
		outcome(d, m->id, V_FAIL, -1, "the message could not be built or started", now);
}

static void on_dns(void *arg, struct dns_book *book)
{
	struct deliver_dns *q = arg;

	(void)book;
	q->ready = true; /* the work happens in daemon_deliver_run(), not in here */
}

/* Hand q's questions to the resolver (or the tests' answerer); false when there is none. */
static bool ask(struct daemon_deliver *d, struct deliver_dns *q)
{
	if (d->answer != NULL) {
		(void)d->answer(d->answer_arg, q->book);
		q->ready = true;
		return true;
	}
	if (d->res == NULL)
		return false;
	(void)dns_resolver_submit(d->res, q->book, on_dns, q);
	return true;
}

/* Resolve again the rows whose answers are in; send them or record why not. */
static void dns_step(struct daemon_deliver *d, int64_t now)
{
	struct deliver_dns *list = d->dns, *keep = NULL;

	d->dns = NULL;
	while (list != NULL) {
		struct deliver_dns *q = list;
		struct daemon_deliver_addrs a;
		struct daemon_store_outbox_msg m;
		struct deliver_chan *c = &d->ch[q->ch];

		list = q->next;
		if (q->ready &&
		    daemon_deliver_resolve(q->book, c->host, c->what, &a) == ERR_AGAIN) {
			q->ready = false; /* a follow-up question (never with A/AAAA today) */
			(void)ask(d, q);
		}
		if (!q->ready) {
			q->next = keep;
			keep = q;
			continue;
		}
		d->inflight--;
		log_debug("deliver", "resolved id=%lld channel=%s host=%s addresses=%zu%s",
			  (long long)q->id, c->cfg->name, c->host, a.n,
			  a.verdict == V_SENT ? "" : " usable=no");
		if (daemon_store_outbox_get(d->st, q->id, &m) == ERR_OK) {
			send_row(d, q->ch, &m, &a, now);
			daemon_store_outbox_msg_clear(&m);
		}
		dns_free(d, q);
	}
	while (keep != NULL) {
		struct deliver_dns *q = keep;

		keep = q->next;
		q->next = d->dns;
		d->dns = q;
	}
}

static void start_row(struct daemon_deliver *d, const struct daemon_store_outbox_msg *m,
		      int64_t now)
{
	long ci = find_channel(d, m->channel);
	struct daemon_deliver_addrs a = {0};
	struct deliver_dns *q;

	if (ci < 0) {
		/* The channel left the config: keep the row for when it returns. */
		if (daemon_store_outbox_retry(d->st, m->id, now, now + DAEMON_DELIVER_BACKOFF_MAX,
					      "the channel is no longer configured") != ERR_OK)
			log_err("store", "outbox-retry-failed id=%lld", (long long)m->id);
		return;
	}
	if (d->ch[ci].host[0] == '\0') {
		outcome(d, m->id, V_FAIL, -1, "the channel's URL has no usable host", now);
		return;
	}
	q = xcalloc(1, sizeof *q);
	*q = (struct deliver_dns){.id = m->id, .ch = (size_t)ci, .book = dns_book_new(4)};
	if (daemon_deliver_resolve(q->book, d->ch[ci].host, d->ch[ci].what, &a) == ERR_OK) {
		/* No question needed: an IP literal, localhost, or not a valid name. */
		send_row(d, (size_t)ci, m, &a, now);
		dns_free(d, q);
		return;
	}
	if (!ask(d, q)) {
		dns_free(d, q);
		snprintf(a.why, sizeof a.why, "%s %s cannot be resolved: no resolver",
			 d->ch[ci].what, d->ch[ci].host);
		outcome(d, m->id, V_RETRY, -1, a.why, now);
		return;
	}
	q->next = d->dns;
	d->dns = q;
	d->inflight++;
}

void daemon_deliver_run(struct daemon_deliver *d, int64_t now)
{
	struct daemon_store_outbox_list l = {0};

	d->now = now;
	for (size_t i = 0; i < d->cfg->n_alerts; i++)
		if (d->ch[i].fetch != NULL)
			(void)common_fetch_run(d->ch[i].fetch, 0);
	if (d->dns != NULL && d->res != NULL && d->answer == NULL &&
	    dns_resolver_run_once(d->res, 0) != ERR_OK)
		log_err("deliver", "resolver-failed reason=event-loop");
	dns_step(d, now);
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
	dns_step(d, now); /* the tests' answerer has answered already */
}

unsigned daemon_deliver_inflight(const struct daemon_deliver *d)
{
	return d->inflight;
}

enum daemon_deliver_verdict daemon_deliver_mail_verdict(enum mail_smtp_class cls)
{
	if (cls == MAIL_SMTP_OK)
		return V_SENT;
	if (cls == MAIL_SMTP_TEMPORARY || cls == MAIL_SMTP_NETWORK)
		return V_RETRY; /* after data_sent this may duplicate; the Message-ID stays the same
				 */
	return V_FAIL;
}

void daemon_deliver_mail_done(struct daemon_deliver *d, const struct daemon_mailq_done *r,
			      int64_t now)
{
	enum daemon_deliver_verdict v = daemon_deliver_mail_verdict(r->cls);

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

void daemon_deliver_set_answerer(struct daemon_deliver *d, daemon_deliver_answer_fn *fn, void *arg)
{
	d->answer = fn;
	d->answer_arg = arg;
}

enum mp_err daemon_deliver_target(const struct daemon_config_alert *a, char *host, size_t hostsz,
				  const char **what)
{
	unsigned port = 0;

	if (a->type == DAEMON_ALERT_EMAIL) {
		if (a->smtp_host == NULL || common_str_copy(host, hostsz, a->smtp_host) != ERR_OK)
			return ERR_INVAL;
		*what = "the SMTP relay";
		return ERR_OK;
	}
	if (common_fetch_url_host(a->url.value, host, hostsz, &port) != ERR_OK)
		return ERR_INVAL;
	*what = a->type == DAEMON_ALERT_SLACK ? "the Slack host" : "the webhook host";
	return ERR_OK;
}

/* RFC 6761 6.3: "localhost." and names under it are the loopback, without DNS. */
static bool is_localhost(const char *h, size_t n)
{
	if (n > 0 && h[n - 1] == '.')
		n--;
	return common_str_ieqz(h, n, "localhost") ||
	       (n > 10 && common_str_ieqz(h + n - 10, 10, ".localhost"));
}

static void add_addr(struct daemon_deliver_addrs *o, int af, const void *bin)
{
	if (o->n < DAEMON_DELIVER_MAX_ADDRS &&
	    inet_ntop(af, bin, o->addr[o->n], DAEMON_DELIVER_ADDRSTRLEN) != NULL)
		o->n++;
}

/* An IP literal or a localhost name: its addresses, no DNS. */
static bool literal(const char *host, struct daemon_deliver_addrs *o)
{
	static const unsigned char lo6[16] = {[15] = 1};
	static const unsigned char lo4[4] = {127, 0, 0, 1};
	unsigned char bin[16];
	char v6[DAEMON_DELIVER_ADDRSTRLEN];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, bin) == 1) {
		add_addr(o, AF_INET, bin);
		return true;
	}
	if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof v6) {
		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
	} else if (common_str_copy(v6, sizeof v6, host) != ERR_OK) {
		v6[0] = '\0';
	}
	if (inet_pton(AF_INET6, v6, bin) == 1) {
		add_addr(o, AF_INET6, bin);
		return true;
	}
	if (!is_localhost(host, n))
		return false;
	add_addr(o, AF_INET, lo4); /* first: most local receivers listen on IPv4 */
	add_addr(o, AF_INET6, lo6);
	return true;
}

/* At most half of the addresses from one answer (A or AAAA). */
static void take(struct daemon_deliver_addrs *o, const struct dns_answer *ans, int af)
{
	size_t want = af == AF_INET ? 4 : 16, got = 0;

	if (ans == NULL || ans->outcome != DNS_DATA)
		return;
	for (size_t i = 0; i < ans->n && got < DAEMON_DELIVER_MAX_ADDRS / 2; i++) {
		if (ans->rr[i].len != want)
			continue;
		add_addr(o, af, ans->rr[i].data);
		got++;
	}
}

static bool temporary(const struct dns_answer *ans)
{
	return ans->outcome == DNS_TEMPFAIL || ans->outcome == DNS_MALFORMED ||
	       ans->outcome == DNS_DATA;
}

/* The verdict once both answers are in (o->n == 0: no usable address). */
static void judge(struct daemon_deliver_addrs *o, const char *host, const char *what,
		  const struct dns_answer *a4, const struct dns_answer *a6)
{
	const struct dns_answer *t = temporary(a4) ? a4 : temporary(a6) ? a6 : NULL;

	if (t != NULL) {
		/* RFC 2308 7.1: a server failure says nothing about the name. */
		o->verdict = V_RETRY;
		snprintf(o->why, sizeof o->why, "%s %s could not be resolved now (DNS %s)", what,
			 host, t->why ? t->why : dns_outcome_name(t->outcome));
	} else if (a4->outcome == DNS_NXDOMAIN || a6->outcome == DNS_NXDOMAIN) {
		o->verdict = V_FAIL;
		snprintf(o->why, sizeof o->why, "%s %s does not exist (DNS NXDOMAIN)", what, host);
	} else {
		o->verdict = V_FAIL; /* RFC 2308 2.2: NODATA for both types */
		snprintf(o->why, sizeof o->why, "%s %s has no address (DNS: no A or AAAA record)",
			 what, host);
	}
}

enum mp_err daemon_deliver_resolve(struct dns_book *book, const char *host, const char *what,
				   struct daemon_deliver_addrs *out)
{
	struct daemon_deliver_addrs o = {.verdict = V_SENT};
	const struct dns_answer *a4 = NULL, *a6 = NULL;
	const char *bad;
	enum mp_err r4, r6;

	if (literal(host, &o)) {
		o.literal = true;
		*out = o;
		return ERR_OK;
	}
	bad = dns_name_problem(host, strlen(host));
	if (bad != NULL) {
		o.verdict = V_FAIL;
		snprintf(o.why, sizeof o.why, "%s %.*s is not a valid DNS name (%s)", what,
			 DNS_NAME_MAX, host, bad);
		*out = o;
		return ERR_OK;
	}
	/* Both questions in one round: ask AAAA even while A is missing. */
	r4 = dns_book_get(book, host, DNS_T_A, &a4);
	r6 = dns_book_get(book, host, DNS_T_AAAA, &a6);
	if (r4 == ERR_AGAIN || r6 == ERR_AGAIN)
		return ERR_AGAIN;
	if (r4 != ERR_OK || r6 != ERR_OK) {
		o.verdict = V_RETRY; /* ERR_LIMIT: the book is full */
		snprintf(o.why, sizeof o.why,
			 "%s %s could not be resolved now (too many questions)", what, host);
		*out = o;
		return ERR_OK;
	}
	take(&o, a4, AF_INET);
	take(&o, a6, AF_INET6);
	if (o.n == 0)
		judge(&o, host, what, a4, a6);
	*out = o;
	return ERR_OK;
}
