/*
 * daemon/report_worker: the report engine's worker thread (see the header).
 * One mutex guards the job list, the running job's identity and the result
 * list; the resolver and the PSL context are touched by the thread only
 * once it runs (they are made before it starts, so new() can say why it
 * cannot).  A job is a copy of everything it needs; a result is owned by
 * whoever takes it.
 *
 * What it does not: parse, store or log what it fetched (daemon/reports
 * does), or decide when to poll.
 *
 * RFC 1035 3.5 (in-addr.arpa), RFC 3596 2.5 (ip6.arpa), RFC 9051 (IMAP).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/deliver.h"
#include "daemon/report_worker.h"
#include "daemon/worker_common.h"
#include "dns/book.h"
#include "dns/orgdomain.h"
#include "dns/resolver.h"
#include "dns/spf_ip.h"
#include "mail/imap.h"

struct job {
	struct job *next;
	enum daemon_report_job_kind kind;
	/* POLL, DELETE */
	char *mailbox, *host, *ca_file, *user, *password, *folder;
	unsigned port, timeout_ms;
	bool implicit_tls;
	size_t max_message;
	unsigned long *uids; /* DELETE */
	size_t n_uids;
	/* RDNS */
	char **ips;
	size_t n_ips;
};

struct done_node {
	struct done_node *next;
	struct daemon_report_done *d;
};

struct daemon_report_worker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started;
	struct job *jobs, *jobs_tail;
	struct job *running; /* the job the thread works on (kind and mailbox read under mu) */
	struct done_node *res, *res_tail;
	bool stop; /* also read without mu (__atomic) by the DNS steps and mail/imap */
	int pipe[2];
	struct dns_resolver *pending; /* set_dns(): taken by the thread before its next job */
	/* the thread's own once it runs */
	struct dns_resolver *resolver;
	struct dns_orgdomain *psl;
};

static void job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->mailbox);
	free(j->host);
	free(j->ca_file);
	free(j->user);
	daemon_worker_common_wipe_free(j->password);
	free(j->folder);
	free(j->uids);
	for (size_t i = 0; i < j->n_ips; i++)
		free(j->ips[i]);
	free(j->ips);
	free(j);
}

void daemon_report_done_free(struct daemon_report_done *d)
{
	if (d == NULL)
		return;
	free(d->mailbox);
	for (size_t i = 0; i < d->n_msgs; i++)
		free(d->msgs[i].data);
	free(d->msgs);
	for (size_t i = 0; i < d->n_ips; i++) {
		free(d->ips[i]);
		free(d->ptr[i]);
		free(d->base[i]);
	}
	free(d->ips);
	free(d->ptr);
	free(d->base);
	free(d);
}

static bool stopping(struct daemon_report_worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_RELAXED);
}

/* The common stop-watching DNS loop with the thread's resolver and stop switch. */
static enum mp_err run_dns(struct daemon_report_worker *w, struct dns_book *book,
			   enum mp_err (*fn)(void *arg), void *arg)
{
	return daemon_worker_common_run_dns(w->resolver, book, &w->stop, fn, arg);
}

/* ---- IMAP -------------------------------------------------------------- */

/*
 * What a poll and a delete share: resolve the job's host with the thread's
 * resolver into addr (pinned) and fill the session part of *o (borrowed from
 * j and addr).  false (d->rc and d->error set) when the host did not resolve.
 */
static bool session_open(struct daemon_report_worker *w, const struct job *j,
			 struct daemon_report_done *d, struct mail_imap_opts *o,
			 char addr[DAEMON_DELIVER_ADDRSTRLEN])
{
	if (!daemon_worker_common_resolve(w->resolver, &w->stop, j->host, "the report mailbox host",
					  addr, d->error, sizeof d->error)) {
		d->rc = ERR_NET;
		return false;
	}
	*o = (struct mail_imap_opts){
	    .host = j->host,
	    .addr = addr,
	    .port = j->port,
	    .implicit_tls = j->implicit_tls,
	    .ca_file = j->ca_file,
	    .user = j->user,
	    .password = j->password,
	    .timeout_ms = j->timeout_ms,
	    .cancel = &w->stop,
	};
	return true;
}

static void run_poll(struct daemon_report_worker *w, const struct job *j,
		     struct daemon_report_done *d)
{
	struct mail_imap_folder f = {j->folder, MAIL_IMAP_INBOX};
	struct mail_imap_result r;
	struct mail_imap_opts o;
	char addr[DAEMON_DELIVER_ADDRSTRLEN];

	if (!session_open(w, j, d, &o, addr))
		return;
	o.folders = &f;
	o.n_folders = 1;
	o.all_messages = true;
	o.delete_found = false; /* the main loop deletes once it stored them */
	o.max_message = j->max_message;
	d->rc = mail_imap_poll(&o, &r);
	snprintf(d->error, sizeof d->error, "%s", r.error);
	if (r.n_msgs > 0)
		d->msgs = xcalloc(r.n_msgs, sizeof *d->msgs);
	for (size_t i = 0; i < r.n_msgs; i++) {
		d->msgs[i] = (struct daemon_report_fetched){
		    .uid = r.msgs[i].uid, .data = r.msgs[i].data, .len = r.msgs[i].len};
		r.msgs[i].data = NULL;
	}
	d->n_msgs = r.n_msgs;
	d->n_skipped = r.n_skipped;
	d->n_more = r.n_more;
	mail_imap_result_free(&r);
}

static void run_delete(struct daemon_report_worker *w, const struct job *j,
		       struct daemon_report_done *d)
{
	struct mail_imap_opts o;
	char addr[DAEMON_DELIVER_ADDRSTRLEN];

	if (!session_open(w, j, d, &o, addr))
		return;
	for (size_t at = 0; at < j->n_uids && d->rc == ERR_OK; at += MAIL_IMAP_MAX_MESSAGES) {
		size_t n = j->n_uids - at, got = 0;

		if (n > MAIL_IMAP_MAX_MESSAGES)
			n = MAIL_IMAP_MAX_MESSAGES;
		d->rc = mail_imap_delete(&o, j->folder, j->uids + at, n, &got, d->error,
					 sizeof d->error);
		if (d->rc == ERR_OK)
			d->n_deleted += got;
	}
}

/* ---- reverse DNS ---------------------------------------------------------- */

struct rdns_ctx {
	struct dns_book *book;
	char **names; /* reverse names; NULL for an address that does not parse */
	size_t n;
	struct daemon_report_worker *w;
};

/* RFC 1035 3.5 / RFC 3596 2.5: ask PTR for every reverse name at once. */
static enum mp_err rdns_step(void *arg)
{
	struct rdns_ctx *c = arg;
	bool again = false;

	if (stopping(c->w))
		return ERR_NET;
	for (size_t i = 0; i < c->n; i++) {
		const struct dns_answer *a;

		if (c->names[i] != NULL &&
		    dns_book_get(c->book, c->names[i], DNS_T_PTR, &a) == ERR_AGAIN)
			again = true;
	}
	return again ? ERR_AGAIN : ERR_OK;
}

/* The PTR name for people: lower case, no trailing dot; NULL when unusable. */
static char *ptr_name(const struct dns_answer *a)
{
	const struct dns_rr *rr = a->n > 0 ? &a->rr[0] : NULL;
	size_t len = rr != NULL ? rr->len : 0;
	char *s;

	if (len > 0 && rr->data[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)rr->data[i] <= 0x20 || (unsigned char)rr->data[i] >= 0x7f)
			return NULL; /* the resolver escapes oddities; be sure anyway */
	s = xmemdup0(rr->data, len);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	return s;
}

/*
 * The result of address i: true with *ptr and *base (owned, "" when none),
 * or false when the answer is missing or a temporary failure (retry later).
 */
static bool rdns_one(struct daemon_report_worker *w, struct rdns_ctx *c, size_t i, char **ptr,
		     char **base)
{
	const struct dns_answer *a = NULL;
	char *name, *org = NULL;

	if (c->names[i] == NULL) { /* not an address: never any PTR */
		*ptr = xstrdup("");
		*base = xstrdup("");
		return true;
	}
	if (dns_book_get(c->book, c->names[i], DNS_T_PTR, &a) != ERR_OK ||
	    a->outcome == DNS_TEMPFAIL)
		return false;
	name = a->outcome == DNS_DATA ? ptr_name(a) : NULL;
	if (name != NULL && dns_orgdomain_get(w->psl, name, &org) != ERR_OK)
		org = NULL;
	*ptr = name != NULL ? name : xstrdup("");
	*base = org != NULL ? org : xstrdup("");
	return true;
}

static void run_rdns(struct daemon_report_worker *w, const struct job *j,
		     struct daemon_report_done *d)
{
	struct rdns_ctx c = {.n = j->n_ips, .w = w};

	c.book = dns_book_new(j->n_ips + 1);
	c.names = xcalloc(j->n_ips + 1, sizeof *c.names);
	for (size_t i = 0; i < j->n_ips; i++) {
		struct dns_spf_ip ip;
		char buf[DNS_SPF_IP_TEXT_MAX];

		if (dns_spf_ip_parse(j->ips[i], &ip) != ERR_OK)
			continue;
		dns_spf_ip_reverse_name(&ip, buf);
		c.names[i] = xstrdup(buf);
	}
	/* Whatever was answered counts even when the wait was broken off. */
	d->rc = run_dns(w, c.book, rdns_step, &c);
	d->ips = xcalloc(j->n_ips + 1, sizeof *d->ips);
	d->ptr = xcalloc(j->n_ips + 1, sizeof *d->ptr);
	d->base = xcalloc(j->n_ips + 1, sizeof *d->base);
	for (size_t i = 0; i < j->n_ips; i++) {
		size_t k = d->n_ips;

		if (!rdns_one(w, &c, i, &d->ptr[k], &d->base[k]))
			continue;
		d->ips[k] = xstrdup(j->ips[i]);
		d->n_ips++;
	}
	if (d->rc != ERR_OK)
		snprintf(d->error, sizeof d->error, "reverse DNS lookups did not finish (%s)",
			 common_err_str(d->rc));
	dns_resolver_forget(w->resolver, c.book);
	dns_book_free(c.book);
	for (size_t i = 0; i < j->n_ips; i++)
		free(c.names[i]);
	free(c.names);
}

/* ---- the thread and the lists --------------------------------------------- */

static struct daemon_report_done *run_job(struct daemon_report_worker *w, const struct job *j)
{
	struct daemon_report_done *d = xcalloc(1, sizeof *d);

	d->kind = j->kind;
	d->mailbox = j->mailbox != NULL ? xstrdup(j->mailbox) : NULL;
	if (j->kind == DAEMON_REPORT_JOB_POLL)
		run_poll(w, j, d);
	else if (j->kind == DAEMON_REPORT_JOB_DELETE)
		run_delete(w, j, d);
	else
		run_rdns(w, j, d);
	return d;
}

/* Under w->mu: d becomes a result the main loop can take. */
static void post(struct daemon_report_worker *w, struct daemon_report_done *d)
{
	struct done_node *n = xcalloc(1, sizeof *n);

	n->d = d;
	if (w->res_tail != NULL)
		w->res_tail->next = n;
	else
		w->res = n;
	w->res_tail = n;
	daemon_worker_common_wake(w->pipe[1]);
}

static void *worker_main(void *arg)
{
	struct daemon_report_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct daemon_report_done *d;
		struct dns_resolver *old;
		struct job *j;

		while (!w->stop && w->jobs == NULL)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		j = w->jobs;
		w->jobs = j->next;
		if (w->jobs == NULL)
			w->jobs_tail = NULL;
		w->running = j;
		old = w->pending != NULL ? w->resolver : NULL;
		if (w->pending != NULL) {
			w->resolver = w->pending;
			w->pending = NULL;
		}
		pthread_mutex_unlock(&w->mu);
		dns_resolver_free(old);
		d = run_job(w, j);
		pthread_mutex_lock(&w->mu);
		w->running = NULL;
		job_free(j);
		post(w, d);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void free_jobs(struct job *j)
{
	while (j != NULL) {
		struct job *next = j->next;

		job_free(j);
		j = next;
	}
}

void daemon_report_worker_free(struct daemon_report_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started)
		pthread_join(w->thread, NULL);
	free_jobs(w->jobs);
	while (w->res != NULL) {
		struct done_node *n = w->res;

		w->res = n->next;
		daemon_report_done_free(n->d);
		free(n);
	}
	dns_resolver_free(w->resolver);
	dns_resolver_free(w->pending);
	dns_orgdomain_free(w->psl);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

enum mp_err daemon_report_worker_new(const struct daemon_config *cfg,
				     struct daemon_report_worker **out)
{
	struct daemon_report_worker *w = xcalloc(1, sizeof *w);
	enum mp_err e;

	if (daemon_worker_common_pipe(w->pipe) != ERR_OK) {
		free(w);
		return ERR_IO;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	e = dns_resolver_new(&cfg->dns.opts, &w->resolver);
	if (e != ERR_OK) {
		w->resolver = NULL;
		daemon_report_worker_free(w);
		return e == ERR_INVAL ? ERR_NET : e;
	}
	w->psl = dns_orgdomain_new();
	w->started = daemon_worker_common_spawn(&w->thread, worker_main, w);
	if (!w->started) {
		daemon_report_worker_free(w);
		return ERR_IO;
	}
	*out = w;
	return ERR_OK;
}

enum mp_err daemon_report_worker_set_dns(struct daemon_report_worker *w,
					 const struct daemon_config *cfg)
{
	struct dns_resolver *r = NULL, *old;
	enum mp_err e = dns_resolver_new(&cfg->dns.opts, &r);

	if (e != ERR_OK)
		return e;
	pthread_mutex_lock(&w->mu);
	old = w->pending;
	w->pending = r;
	pthread_mutex_unlock(&w->mu);
	dns_resolver_free(old); /* never used by the thread */
	return ERR_OK;
}

/* Queue j (taken over); after stop it is dropped. */
static void push(struct daemon_report_worker *w, struct job *j)
{
	pthread_mutex_lock(&w->mu);
	if (w->stop) {
		pthread_mutex_unlock(&w->mu);
		job_free(j);
		return;
	}
	if (w->jobs_tail != NULL)
		w->jobs_tail->next = j;
	else
		w->jobs = j;
	w->jobs_tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static struct job *mailbox_job(enum daemon_report_job_kind kind,
			       const struct daemon_config_report_mailbox *mb)
{
	struct job *j = xcalloc(1, sizeof *j);

	j->kind = kind;
	j->mailbox = xstrdup(mb->name != NULL ? mb->name : "");
	j->host = dup_or_null(mb->host);
	j->ca_file = dup_or_null(mb->ca_file);
	j->user = dup_or_null(mb->username);
	j->password = dup_or_null(mb->password.value);
	j->folder = xstrdup(mb->folder != NULL ? mb->folder : "INBOX");
	j->port = mb->port;
	j->implicit_tls = mb->tls != DAEMON_SMTP_STARTTLS;
	j->timeout_ms = mb->timeout_ms;
	return j;
}

void daemon_report_worker_poll(struct daemon_report_worker *w,
			       const struct daemon_config_report_mailbox *mb, size_t max_message)
{
	struct job *j = mailbox_job(DAEMON_REPORT_JOB_POLL, mb);

	j->max_message = max_message;
	push(w, j);
}

void daemon_report_worker_delete(struct daemon_report_worker *w,
				 const struct daemon_config_report_mailbox *mb,
				 const unsigned long *uids, size_t n)
{
	struct job *j;

	if (n == 0)
		return;
	j = mailbox_job(DAEMON_REPORT_JOB_DELETE, mb);
	j->uids = xreallocarray(NULL, n, sizeof *j->uids);
	memcpy(j->uids, uids, n * sizeof *uids);
	j->n_uids = n;
	push(w, j);
}

void daemon_report_worker_rdns(struct daemon_report_worker *w, char *const *ips, size_t n)
{
	struct job *j;

	if (n == 0)
		return;
	if (n > DAEMON_REPORT_RDNS_MAX)
		n = DAEMON_REPORT_RDNS_MAX;
	j = xcalloc(1, sizeof *j);
	j->kind = DAEMON_REPORT_JOB_RDNS;
	j->ips = xcalloc(n, sizeof *j->ips);
	for (size_t i = 0; i < n; i++)
		j->ips[i] = xstrdup(ips[i] != NULL ? ips[i] : "");
	j->n_ips = n;
	push(w, j);
}

static bool matches(const struct job *j, enum daemon_report_job_kind kind, const char *mailbox)
{
	return j->kind == kind &&
	       (mailbox == NULL || (j->mailbox != NULL && strcmp(j->mailbox, mailbox) == 0));
}

bool daemon_report_worker_busy(struct daemon_report_worker *w, enum daemon_report_job_kind kind,
			       const char *mailbox)
{
	bool busy;

	pthread_mutex_lock(&w->mu);
	busy = w->running != NULL && matches(w->running, kind, mailbox);
	for (const struct job *j = w->jobs; j != NULL && !busy; j = j->next)
		busy = matches(j, kind, mailbox);
	pthread_mutex_unlock(&w->mu);
	return busy;
}

int daemon_report_worker_fd(const struct daemon_report_worker *w)
{
	return w->pipe[0];
}

struct daemon_report_done *daemon_report_worker_take(struct daemon_report_worker *w)
{
	struct daemon_report_done *d = NULL;
	struct done_node *n;

	pthread_mutex_lock(&w->mu);
	n = w->res;
	if (n != NULL) {
		w->res = n->next;
		if (w->res == NULL)
			w->res_tail = NULL;
		d = n->d;
		free(n);
	}
	/* The pipe stays readable while results wait (post writes under mu too). */
	if (w->res == NULL)
		daemon_worker_common_drain(w->pipe[0]);
	pthread_mutex_unlock(&w->mu);
	return d;
}
