/*
 * daemon/probe_worker: the probe engine's worker lanes (see the header).
 * One mutex guards both lanes' job lists, the result list and the resolver
 * options; each lane has its own condition variable.  A lane's resolver
 * and library handles are touched by that lane's thread only.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/deliver.h"
#include "daemon/probe_worker.h"
#include "daemon/worker_common.h"
#include "dns/orgdomain.h"
#include "mail/dkim.h"

#define LANE_NET 0
#define LANE_VERIFY 1
#define NLANES 2
#define VERIFY_BOOK_MAX 128 /* SPF's 10 lookups, DKIM keys, DMARC discovery */

struct node {
	struct node *next;
	struct daemon_probe_job job;
	struct daemon_probe_done done;
};

struct lane {
	struct daemon_probe_worker *w;
	pthread_t thread;
	bool started;
	pthread_cond_t cv;
	struct node *jobs, *jobs_tail;
	bool working;
	/* the lane thread's own */
	struct dns_resolver *res;
	unsigned res_gen;
	struct mail_dkim *dkim;
	struct dns_orgdomain *psl;
};

struct daemon_probe_worker {
	pthread_mutex_t mu;
	struct lane lane[NLANES];
	struct node *res, *res_tail;
	bool stop, joined;
	int pipe[2];
	struct mail_smtp_conn_cancel *cx;
	/* resolver options (deep copy) and their generation */
	struct dns_resolver_opts dns;
	char **servers;
	char *resolv_conf;
	unsigned gen;
};

void daemon_probe_job_clear(struct daemon_probe_job *j)
{
	if (j == NULL)
		return;
	free(j->send.host);
	free(j->send.ca_file);
	free(j->send.helo);
	free(j->send.user);
	daemon_worker_common_wipe_free(j->send.password);
	free(j->send.mail_from);
	free(j->send.rcpt);
	free(j->send.msg);
	free(j->poll.seed);
	free(j->poll.host);
	free(j->poll.ca_file);
	free(j->poll.user);
	daemon_worker_common_wipe_free(j->poll.password);
	free(j->poll.inbox);
	free(j->poll.spam);
	free(j->poll.uids[0]);
	free(j->poll.uids[1]);
	free(j->check.client_ip);
	free(j->check.helo);
	free(j->check.mail_from);
	free(j->check.authserv_id);
	for (size_t i = 0; i < j->check.n_trusted; i++)
		free(j->check.trusted[i]);
	free(j->check.trusted);
	free(j->check.msg);
	memset(j, 0, sizeof *j);
}

void daemon_probe_done_clear(struct daemon_probe_done *d)
{
	if (d == NULL)
		return;
	free(d->seed);
	mail_imap_result_free(&d->imap);
	if (d->verr == ERR_OK && d->kind == DAEMON_PROBE_JOB_VERIFY)
		mail_verify_result_free(&d->v);
	memset(d, 0, sizeof *d);
}

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Under w->mu: a resolver for the lane's current options. */
static void lane_resolver(struct lane *ln)
{
	struct daemon_probe_worker *w = ln->w;

	if (ln->res != NULL && ln->res_gen == w->gen)
		return;
	dns_resolver_free(ln->res);
	ln->res = NULL;
	if (dns_resolver_new(&w->dns, &ln->res) != ERR_OK)
		ln->res = NULL;
	ln->res_gen = w->gen;
}

/* The first address of host through the lane's resolver, or why not (in why). */
static bool resolve(struct lane *ln, const char *host, const char *what,
		    char addr[DAEMON_DELIVER_ADDRSTRLEN], char *why, size_t whysz)
{
	return daemon_worker_common_resolve(ln->res, &ln->w->stop, host, what, addr, why, whysz);
}

/* "550 5.1.1 text" of the last reply that is not QUIT's, first line only. */
static void last_reply(const struct mail_smtp_result *r, char *buf, size_t bufsz)
{
	buf[0] = '\0';
	for (size_t i = r->n_replies; i-- > 0;) {
		const struct mail_smtp_reply *x = &r->replies[i].reply;
		size_t n = x->text ? strcspn(x->text, "\n") : 0;

		if (strcmp(r->replies[i].step, "QUIT") == 0)
			continue;
		snprintf(buf, bufsz, "%d%s%s %.*s", x->code, x->esc[0] ? " " : "", x->esc, (int)n,
			 x->text ? x->text : "");
		return;
	}
}

static void run_send(struct lane *ln, struct daemon_probe_job *j, struct daemon_probe_done *d)
{
	const struct daemon_probe_send *s = &j->send;
	struct mail_smtp_opts o = {0};
	struct mail_smtp_result r = {0};
	const char *rcpts[1] = {s->rcpt};
	unsigned t = s->timeout_ms;
	char addr[DAEMON_DELIVER_ADDRSTRLEN];

	d->attempted = true;
	if (!resolve(ln, s->host, "the relay", addr, d->error, sizeof d->error)) {
		d->cls = MAIL_SMTP_NETWORK;
		d->err = ERR_NET;
		return;
	}
	o.host = s->host;
	o.addr = addr;
	o.port = s->port;
	o.tls = s->tls;
	o.ca_file = s->ca_file;
	o.tls_no_verify = s->tls_no_verify;
	o.helo = s->helo;
	o.user = s->user;
	o.password = s->password;
	o.plaintext_auth = s->plaintext_auth;
	o.timeouts = (struct mail_smtp_timeouts){t, t, t, t, t, t, t, t};
	o.cancel = ln->w->cx;
	d->err = mail_smtp_send(&o, s->mail_from, rcpts, 1, s->msg, s->len, &r);
	d->cls = d->err == ERR_OK ? MAIL_SMTP_OK : r.cls;
	if (d->err == ERR_OK && r.cls != MAIL_SMTP_OK)
		d->cls = MAIL_SMTP_OK;
	d->accepted_at = now_real();
	d->data_sent = r.data_sent;
	snprintf(d->error, sizeof d->error, "%s", d->err == ERR_OK ? "" : r.error);
	snprintf(d->queue_id, sizeof d->queue_id, "%s", r.queue_id);
	last_reply(&r, d->last_reply, sizeof d->last_reply);
	mail_smtp_result_free(&r);
}

/*
 * What a poll and a delete share: name the seed in d, resolve its host with
 * our resolver (addr: DAEMON_DELIVER_ADDRSTRLEN bytes, pinned) and fill the
 * connection part of o.  false (d->err set) when the host did not resolve.
 */
static bool seed_open(struct lane *ln, const struct daemon_probe_poll *p,
		      struct daemon_probe_done *d, struct mail_imap_opts *o, char *addr)
{
	d->seed = xstrdup(p->seed);
	d->attempted = true;
	if (!resolve(ln, p->host, "the seed box host", addr, d->imap.error, sizeof d->imap.error)) {
		d->err = ERR_NET;
		return false;
	}
	o->host = p->host;
	o->addr = addr;
	o->port = p->port;
	o->implicit_tls = p->implicit_tls;
	o->ca_file = p->ca_file;
	o->tls_no_verify = p->tls_no_verify;
	o->user = p->user;
	o->password = p->password;
	return true;
}

static void run_poll(struct lane *ln, struct daemon_probe_job *j, struct daemon_probe_done *d)
{
	const struct daemon_probe_poll *p = &j->poll;
	struct mail_imap_folder f[2] = {{p->inbox, MAIL_IMAP_INBOX}, {p->spam, MAIL_IMAP_SPAM}};
	struct mail_imap_opts o = {0};
	char addr[DAEMON_DELIVER_ADDRSTRLEN];

	if (!seed_open(ln, p, d, &o, addr))
		return;
	o.folders = f;
	o.n_folders = p->spam != NULL && p->spam[0] != '\0' ? 2 : 1;
	o.delete_found = p->delete_found;
	o.max_message = p->max_message;
	o.timeout_ms = p->timeout_ms;
	d->err = mail_imap_poll(&o, &d->imap);
}

/* Delete the stored messages' UIDs, one session per folder that has some. */
static void run_delete(struct lane *ln, struct daemon_probe_job *j, struct daemon_probe_done *d)
{
	const struct daemon_probe_poll *p = &j->poll;
	const char *folder[2] = {p->inbox, p->spam};
	struct mail_imap_opts o = {0};
	char addr[DAEMON_DELIVER_ADDRSTRLEN];

	if (!seed_open(ln, p, d, &o, addr))
		return;
	o.timeout_ms = p->timeout_ms;
	for (size_t i = 0; i < 2; i++) {
		size_t n = 0;
		char err[sizeof d->imap.error];
		enum mp_err e;

		if (p->n_uids[i] == 0 || folder[i] == NULL)
			continue;
		e = mail_imap_delete(&o, folder[i], p->uids[i], p->n_uids[i], &n, err, sizeof err);
		if (e == ERR_OK)
			d->imap.n_deleted += n;
		else if (d->err == ERR_OK) {
			d->err = e;
			snprintf(d->imap.error, sizeof d->imap.error, "%s", err);
		}
	}
}

struct verify_ctx {
	struct dns_book *book;
	const struct mail_verify_opts *o;
	const struct daemon_probe_check *c;
	struct mail_verify_result *out;
	struct daemon_probe_worker *w;
};

static enum mp_err verify_step(void *arg)
{
	struct verify_ctx *x = arg;

	if (__atomic_load_n(&x->w->stop, __ATOMIC_RELAXED))
		return ERR_NET;
	return mail_verify_run(x->book, x->o, x->c->msg, x->c->len, x->out);
}

static void run_verify(struct lane *ln, struct daemon_probe_job *j, struct daemon_probe_done *d)
{
	const struct daemon_probe_check *c = &j->check;
	struct mail_verify_opts o = {0};
	struct verify_ctx x = {.c = c, .out = &d->v, .w = ln->w, .o = &o};

	d->inbound_id = c->inbound_id;
	d->attempted = true;
	if (ln->dkim == NULL)
		ln->dkim = mail_dkim_new();
	if (ln->psl == NULL)
		ln->psl = dns_orgdomain_new();
	d->verr = ERR_IO;
	if (ln->dkim == NULL || ln->res == NULL) {
		snprintf(d->error, sizeof d->error, "verification could not start (%s)",
			 ln->dkim == NULL ? "libopendkim did not initialise" : "no resolver");
		return;
	}
	o.client_ip = c->client_ip;
	o.helo = c->helo;
	o.mail_from = c->mail_from;
	o.authserv_id = c->authserv_id;
	o.trusted_authserv_ids = (const char *const *)c->trusted;
	o.n_trusted = c->n_trusted;
	o.psl = ln->psl;
	o.dkim = ln->dkim;
	x.book = dns_book_new(VERIFY_BOOK_MAX);
	d->verr = dns_resolver_run_sync(ln->res, x.book, verify_step, &x);
	if (d->verr != ERR_OK)
		snprintf(d->error, sizeof d->error, "verification did not finish (%s)",
			 common_err_str(d->verr));
	dns_resolver_forget(ln->res, x.book);
	dns_book_free(x.book);
}

static void run_job(struct lane *ln, struct node *n)
{
	n->done.kind = n->job.kind;
	memcpy(n->done.token, n->job.token, sizeof n->done.token);
	if (n->job.kind == DAEMON_PROBE_JOB_SEND)
		run_send(ln, &n->job, &n->done);
	else if (n->job.kind == DAEMON_PROBE_JOB_POLL)
		run_poll(ln, &n->job, &n->done);
	else if (n->job.kind == DAEMON_PROBE_JOB_DELETE)
		run_delete(ln, &n->job, &n->done);
	else
		run_verify(ln, &n->job, &n->done);
}

/* Under w->mu: n becomes a result. */
static void post(struct daemon_probe_worker *w, struct node *n)
{
	n->next = NULL;
	if (w->res_tail != NULL)
		w->res_tail->next = n;
	else
		w->res = n;
	w->res_tail = n;
	daemon_worker_common_wake(w->pipe[1]);
}

/* Under w->mu: a job never started becomes a result that says so. */
static void not_attempted(struct daemon_probe_worker *w, struct node *n)
{
	n->done.kind = n->job.kind;
	memcpy(n->done.token, n->job.token, sizeof n->done.token);
	n->done.cls = MAIL_SMTP_NETWORK;
	n->done.err = ERR_NET;
	n->done.verr = ERR_NET;
	n->done.inbound_id = n->job.check.inbound_id;
	if (n->job.kind == DAEMON_PROBE_JOB_POLL || n->job.kind == DAEMON_PROBE_JOB_DELETE)
		n->done.seed = xstrdup(n->job.poll.seed ? n->job.poll.seed : "");
	snprintf(n->done.error, sizeof n->done.error,
		 "cancelled: not attempted, the probe worker stopped first");
	daemon_probe_job_clear(&n->job);
	post(w, n);
}

static void *lane_main(void *arg)
{
	struct lane *ln = arg;
	struct daemon_probe_worker *w = ln->w;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct node *n;

		while (!w->stop && ln->jobs == NULL)
			pthread_cond_wait(&ln->cv, &w->mu);
		if (w->stop)
			break;
		n = ln->jobs;
		ln->jobs = n->next;
		if (ln->jobs == NULL)
			ln->jobs_tail = NULL;
		ln->working = true;
		lane_resolver(ln);
		pthread_mutex_unlock(&w->mu);
		run_job(ln, n);
		daemon_probe_job_clear(&n->job);
		pthread_mutex_lock(&w->mu);
		ln->working = false;
		post(w, n);
	}
	pthread_mutex_unlock(&w->mu);
	dns_resolver_free(ln->res);
	mail_dkim_free(ln->dkim);
	dns_orgdomain_free(ln->psl);
	ln->res = NULL;
	ln->dkim = NULL;
	ln->psl = NULL;
	return NULL;
}

/* Under w->mu (or before the lanes start): replace the resolver options. */
static void set_dns(struct daemon_probe_worker *w, const struct dns_resolver_opts *dns)
{
	for (size_t i = 0; i < w->dns.n_servers; i++)
		free(w->servers[i]);
	free(w->servers);
	free(w->resolv_conf);
	w->servers = NULL;
	w->resolv_conf = NULL;
	if (dns != NULL)
		w->dns = *dns;
	else
		dns_resolver_opts_init(&w->dns);
	if (w->dns.n_servers > 0) {
		w->servers = xcalloc(w->dns.n_servers, sizeof *w->servers);
		for (size_t i = 0; i < w->dns.n_servers; i++)
			w->servers[i] = xstrdup(dns->servers[i]);
	}
	w->dns.servers = (const char *const *)w->servers;
	if (dns != NULL && dns->resolv_conf != NULL)
		w->resolv_conf = xstrdup(dns->resolv_conf);
	w->dns.resolv_conf = w->resolv_conf;
	w->gen++;
}

void daemon_probe_worker_set_dns(struct daemon_probe_worker *w, const struct dns_resolver_opts *dns)
{
	pthread_mutex_lock(&w->mu);
	set_dns(w, dns);
	pthread_mutex_unlock(&w->mu);
}

enum mp_err daemon_probe_worker_new(const struct dns_resolver_opts *dns,
				    struct daemon_probe_worker **out)
{
	struct daemon_probe_worker *w = xcalloc(1, sizeof *w);
	bool ok = true;

	if (daemon_worker_common_pipe(w->pipe) != ERR_OK) {
		free(w);
		return ERR_IO;
	}
	pthread_mutex_init(&w->mu, NULL);
	w->cx = mail_smtp_conn_cancel_new();
	set_dns(w, dns);
	/* STYLE.md 19: spawn() blocks every signal in the lanes. */
	for (size_t i = 0; i < NLANES; i++) {
		w->lane[i].w = w;
		pthread_cond_init(&w->lane[i].cv, NULL);
		if (ok && daemon_worker_common_spawn(&w->lane[i].thread, lane_main, &w->lane[i]))
			w->lane[i].started = true;
		else
			ok = false;
	}
	if (!ok) {
		daemon_probe_worker_free(w);
		return ERR_IO;
	}
	*out = w;
	return ERR_OK;
}

void daemon_probe_worker_cancel(struct daemon_probe_worker *w)
{
	if (w == NULL || w->joined)
		return;
	pthread_mutex_lock(&w->mu);
	__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
	for (size_t i = 0; i < NLANES; i++)
		pthread_cond_signal(&w->lane[i].cv);
	pthread_mutex_unlock(&w->mu);
	mail_smtp_conn_cancel_fire(w->cx);
	for (size_t i = 0; i < NLANES; i++)
		if (w->lane[i].started)
			pthread_join(w->lane[i].thread, NULL);
	w->joined = true;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < NLANES; i++) {
		while (w->lane[i].jobs != NULL) {
			struct node *n = w->lane[i].jobs;

			w->lane[i].jobs = n->next;
			not_attempted(w, n);
		}
		w->lane[i].jobs_tail = NULL;
	}
	pthread_mutex_unlock(&w->mu);
}

static void free_list(struct node *n)
{
	while (n != NULL) {
		struct node *next = n->next;

		daemon_probe_job_clear(&n->job);
		daemon_probe_done_clear(&n->done);
		free(n);
		n = next;
	}
}

void daemon_probe_worker_free(struct daemon_probe_worker *w)
{
	if (w == NULL)
		return;
	daemon_probe_worker_cancel(w);
	for (size_t i = 0; i < NLANES; i++) {
		free_list(w->lane[i].jobs);
		pthread_cond_destroy(&w->lane[i].cv);
	}
	free_list(w->res);
	set_dns(w, NULL);
	for (size_t i = 0; i < w->dns.n_servers; i++)
		free(w->servers[i]);
	free(w->servers);
	free(w->resolv_conf);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->mu);
	mail_smtp_conn_cancel_free(w->cx);
	free(w);
}

void daemon_probe_worker_push(struct daemon_probe_worker *w, struct daemon_probe_job *job)
{
	struct node *n = xcalloc(1, sizeof *n);
	struct lane *ln = &w->lane[job->kind == DAEMON_PROBE_JOB_VERIFY ? LANE_VERIFY : LANE_NET];

	n->job = *job;
	memset(job, 0, sizeof *job);
	pthread_mutex_lock(&w->mu);
	if (w->stop) {
		not_attempted(w, n);
		pthread_mutex_unlock(&w->mu);
		return;
	}
	if (ln->jobs_tail != NULL)
		ln->jobs_tail->next = n;
	else
		ln->jobs = n;
	ln->jobs_tail = n;
	pthread_cond_signal(&ln->cv);
	pthread_mutex_unlock(&w->mu);
}

size_t daemon_probe_worker_busy(struct daemon_probe_worker *w)
{
	size_t n = 0;

	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < NLANES; i++) {
		n += w->lane[i].working;
		for (const struct node *x = w->lane[i].jobs; x != NULL; x = x->next)
			n++;
	}
	pthread_mutex_unlock(&w->mu);
	return n;
}

int daemon_probe_worker_fd(const struct daemon_probe_worker *w)
{
	return w->pipe[0];
}

bool daemon_probe_worker_pop(struct daemon_probe_worker *w, struct daemon_probe_done *out)
{
	struct node *n;

	daemon_worker_common_drain(w->pipe[0]);
	pthread_mutex_lock(&w->mu);
	n = w->res;
	if (n != NULL) {
		w->res = n->next;
		if (w->res == NULL)
			w->res_tail = NULL;
	}
	pthread_mutex_unlock(&w->mu);
	if (n == NULL)
		return false;
	*out = n->done;
	free(n);
	return true;
}
