/*
 * daemon/mailq: the SMTP worker thread (see the header).  Two lists under
 * one mutex: jobs in (a condition variable wakes the worker), results out
 * (a byte in a pipe wakes the main loop's poll).  One mail/smtp_conn cancel
 * switch, fired by daemon_mailq_cancel(), interrupts the session in progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/mailq.h"

struct mailq_node {
	struct mailq_node *next;
	struct daemon_mailq_job job;
	struct daemon_mailq_done done;
};

struct daemon_mailq {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct mailq_node *jobs, *jobs_tail;
	struct mailq_node *res, *res_tail;
	bool stop;   /* the worker leaves its loop */
	bool joined; /* ... and has left it; later pushes become results at once */
	int pipe[2];
	struct mail_smtp_conn_cancel *cx;
};

void daemon_mailq_job_clear(struct daemon_mailq_job *job)
{
	if (job == NULL)
		return;
	free(job->channel);
	free(job->host);
	free(job->addr);
	free(job->ca_file);
	free(job->user);
	if (job->password != NULL) {
		memset(job->password, 0, strlen(job->password));
		free(job->password);
	}
	free(job->from);
	for (size_t i = 0; i < job->nto; i++)
		free(job->to[i]);
	free(job->to);
	free(job->msg);
	memset(job, 0, sizeof *job);
}

void daemon_mailq_done_clear(struct daemon_mailq_done *d)
{
	free(d->channel);
	memset(d, 0, sizeof *d);
}

static void run_job(struct daemon_mailq *q, const struct daemon_mailq_job *j,
		    struct daemon_mailq_done *d)
{
	struct mail_smtp_opts o = {0};
	struct mail_smtp_result r = {0};
	unsigned t = j->timeout_ms;

	o.host = j->host;
	o.addr = j->addr;
	o.port = j->port;
	o.tls = j->tls;
	o.ca_file = j->ca_file;
	o.user = j->user;
	o.password = j->password;
	o.plaintext_auth = j->plaintext_auth;
	o.timeouts = (struct mail_smtp_timeouts){t, t, t, t, t, t, t, t};
	o.cancel = q->cx;
	/* The result (class and words) is the outcome, whatever the return. */
	if (mail_smtp_send(&o, j->from, (const char *const *)j->to, j->nto, j->msg, j->len, &r) ==
	    ERR_OK)
		r.cls = MAIL_SMTP_OK;
	d->id = j->id;
	d->channel = xstrdup(j->channel);
	d->cls = r.cls;
	d->data_sent = r.data_sent;
	d->attempted = true;
	snprintf(d->error, sizeof d->error, "%s", r.error);
	mail_smtp_result_free(&r);
}

/* A job the worker never started: a result that says so.  Under q->mu. */
static void not_attempted(struct daemon_mailq *q, struct mailq_node *n)
{
	n->done.id = n->job.id;
	n->done.channel = xstrdup(n->job.channel ? n->job.channel : "");
	n->done.cls = MAIL_SMTP_NETWORK;
	snprintf(n->done.error, sizeof n->done.error,
		 "cancelled: not attempted, the SMTP worker stopped first");
	daemon_mailq_job_clear(&n->job);
	n->next = NULL;
	if (q->res_tail != NULL)
		q->res_tail->next = n;
	else
		q->res = n;
	q->res_tail = n;
}

static void *worker(void *arg)
{
	struct daemon_mailq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct mailq_node *n;

		while (!q->stop && q->jobs == NULL)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stop)
			break;
		n = q->jobs;
		q->jobs = n->next;
		if (q->jobs == NULL)
			q->jobs_tail = NULL;
		pthread_mutex_unlock(&q->mu);
		run_job(q, &n->job, &n->done);
		daemon_mailq_job_clear(&n->job);
		n->next = NULL;
		pthread_mutex_lock(&q->mu);
		if (q->res_tail != NULL)
			q->res_tail->next = n;
		else
			q->res = n;
		q->res_tail = n;
		(void)!write(q->pipe[1], "r", 1);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

enum mp_err daemon_mailq_new(struct daemon_mailq **out)
{
	struct daemon_mailq *q = xcalloc(1, sizeof *q);
	sigset_t all, old;
	int rc;

	if (pipe2(q->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		free(q);
		return ERR_IO;
	}
	q->cx = mail_smtp_conn_cancel_new();
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	/* STYLE.md 19: the worker inherits a mask that blocks every signal. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&q->thread, NULL, worker, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		close(q->pipe[0]);
		close(q->pipe[1]);
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
		mail_smtp_conn_cancel_free(q->cx);
		free(q);
		return ERR_IO;
	}
	*out = q;
	return ERR_OK;
}

static void free_list(struct mailq_node *n)
{
	while (n != NULL) {
		struct mailq_node *next = n->next;

		daemon_mailq_job_clear(&n->job);
		daemon_mailq_done_clear(&n->done);
		free(n);
		n = next;
	}
}

void daemon_mailq_cancel(struct daemon_mailq *q)
{
	if (q == NULL || q->joined)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	/* After stop is set: a job taken just before still sees the switch fired. */
	mail_smtp_conn_cancel_fire(q->cx);
	pthread_join(q->thread, NULL);
	q->joined = true;
	pthread_mutex_lock(&q->mu);
	while (q->jobs != NULL) {
		struct mailq_node *n = q->jobs;

		q->jobs = n->next;
		not_attempted(q, n);
	}
	q->jobs_tail = NULL;
	pthread_mutex_unlock(&q->mu);
	(void)!write(q->pipe[1], "r", 1);
}

void daemon_mailq_free(struct daemon_mailq *q)
{
	if (q == NULL)
		return;
	daemon_mailq_cancel(q);
	free_list(q->jobs);
	free_list(q->res);
	close(q->pipe[0]);
	close(q->pipe[1]);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	mail_smtp_conn_cancel_free(q->cx);
	free(q);
}

void daemon_mailq_push(struct daemon_mailq *q, struct daemon_mailq_job *job)
{
	struct mailq_node *n = xcalloc(1, sizeof *n);

	n->job = *job;
	memset(job, 0, sizeof *job);
	pthread_mutex_lock(&q->mu);
	if (q->joined) {
		not_attempted(q, n);
		pthread_mutex_unlock(&q->mu);
		(void)!write(q->pipe[1], "r", 1);
		return;
	}
	if (q->jobs_tail != NULL)
		q->jobs_tail->next = n;
	else
		q->jobs = n;
	q->jobs_tail = n;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

int daemon_mailq_fd(const struct daemon_mailq *q)
{
	return q->pipe[0];
}

bool daemon_mailq_pop(struct daemon_mailq *q, struct daemon_mailq_done *out)
{
	struct mailq_node *n;
	char buf[64];

	while (read(q->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&q->mu);
	n = q->res;
	if (n != NULL) {
		q->res = n->next;
		if (q->res == NULL)
			q->res_tail = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	if (n == NULL)
		return false;
	*out = n->done;
	free(n);
	return true;
}
