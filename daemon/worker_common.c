/*
 * daemon/worker_common: thread, pipe and resolve-and-pin plumbing shared by
 * the probe and report workers (see the header).
 *
 * What it does not: queue jobs or results, or talk IMAP or SMTP.
 */
#include "daemon/worker_common.h"
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void daemon_worker_common_wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

enum mp_err daemon_worker_common_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0 ? ERR_OK : ERR_IO;
}

void daemon_worker_common_wake(int fd)
{
	(void)!write(fd, "r", 1);
}

void daemon_worker_common_drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

bool daemon_worker_common_spawn(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	bool ok;

	/* STYLE.md 19: the thread inherits a mask that blocks every signal. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ok = pthread_create(thread, NULL, fn, arg) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

static bool stopping(const bool *stop)
{
	return __atomic_load_n(stop, __ATOMIC_RELAXED);
}

enum mp_err daemon_worker_common_run_dns(struct dns_resolver *res, struct dns_book *book,
					 const bool *stop, enum mp_err (*fn)(void *arg), void *arg)
{
	for (int round = 0; round < 64; round++) {
		enum mp_err e = stopping(stop) ? ERR_NET : fn(arg);

		if (e != ERR_AGAIN)
			return e;
		(void)dns_resolver_submit(res, book, NULL, NULL);
		while (dns_book_in_flight(book) > 0) {
			if (stopping(stop))
				return ERR_NET;
			if (dns_resolver_run_once(res, 100) != ERR_OK)
				return ERR_IO;
		}
	}
	return ERR_IO; /* a step that keeps asking: never expected */
}

struct resolve_ctx {
	struct dns_book *book;
	const char *host, *what;
	struct daemon_deliver_addrs out;
	const bool *stop;
};

static enum mp_err resolve_step(void *arg)
{
	struct resolve_ctx *c = arg;

	if (stopping(c->stop))
		return ERR_NET;
	return daemon_deliver_resolve(c->book, c->host, c->what, &c->out);
}

bool daemon_worker_common_resolve(struct dns_resolver *res, const bool *stop, const char *host,
				  const char *what, char addr[DAEMON_DELIVER_ADDRSTRLEN], char *why,
				  size_t whysz)
{
	struct resolve_ctx c = {.book = dns_book_new(4), .host = host, .what = what, .stop = stop};
	enum mp_err rc = ERR_IO;
	bool ok = false;

	if (res != NULL)
		rc = daemon_worker_common_run_dns(res, c.book, stop, resolve_step, &c);
	if (rc != ERR_OK)
		snprintf(why, whysz, "%s %s could not be resolved (%s)", what, host,
			 res == NULL ? "no resolver" : "DNS failure or stopping");
	else if (c.out.verdict != DAEMON_DELIVER_SENT || c.out.n == 0)
		snprintf(why, whysz, "%s", c.out.why);
	else {
		snprintf(addr, DAEMON_DELIVER_ADDRSTRLEN, "%s", c.out.addr[0]);
		ok = true;
	}
	if (res != NULL)
		dns_resolver_forget(res, c.book);
	dns_book_free(c.book);
	return ok;
}
