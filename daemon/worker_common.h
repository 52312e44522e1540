/*
 * daemon/worker_common: the plumbing both worker modules (daemon/probe_worker
 * and daemon/report_worker) share: starting a thread with every signal
 * blocked, the wake-up pipe the main loop polls, resolving a mailbox or relay
 * host through the worker's own resolver and pinning its first address, and
 * wiping a secret before it is freed.
 *
 * What it does not: hold job or result lists (each worker's job and result
 * types differ), decide anything about a job, or open any connection.
 *
 * RFCs: none of its own (dns/resolver and daemon/deliver cite theirs).
 */
#ifndef MAILPULSE_DAEMON_WORKER_COMMON_H
#define MAILPULSE_DAEMON_WORKER_COMMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "daemon/deliver.h"
#include "dns/book.h"
#include "dns/resolver.h"

/*
 * Free s (NUL-terminated, may be NULL) after overwriting it with zeros, for
 * passwords.  Takes ownership of s.
 */
void daemon_worker_common_wipe_free(char *s);

/*
 * Make the wake-up pipe fds[0] (read) / fds[1] (write), both non-blocking
 * and close-on-exec.  ERR_IO when the system refuses.  The caller closes
 * both ends.
 */
enum mp_err daemon_worker_common_pipe(int fds[2]) MP_WUR;

/* Make the pipe whose write end is fd readable (one byte; a full pipe is fine). */
void daemon_worker_common_wake(int fd);

/* Read everything waiting on the non-blocking read end fd. */
void daemon_worker_common_drain(int fd);

/*
 * pthread_create(thread, fn, arg) with every signal blocked in the new
 * thread (STYLE.md 19); the caller's mask is left as it was.  true when the
 * thread runs.
 */
bool daemon_worker_common_spawn(pthread_t *thread, void *(*fn)(void *), void *arg);

/*
 * dns_resolver_run_sync() that also watches *stop (read atomically) every
 * 100 ms, so a stop does not wait out DNS timeouts: fn(arg) is run until it
 * stops returning ERR_AGAIN, book's questions answered between runs.
 * Returns fn's last result, ERR_NET when stopped, ERR_IO when the loop
 * failed or fn kept asking for 64 rounds.  res, book and stop are borrowed.
 */
enum mp_err daemon_worker_common_run_dns(struct dns_resolver *res, struct dns_book *book,
					 const bool *stop, enum mp_err (*fn)(void *arg),
					 void *arg) MP_WUR;

/*
 * The first address of host (daemon_deliver_resolve(), so IP literals and
 * the never-loopback rules apply) through res into addr, so the session
 * that follows connects to exactly that address.  false with why (whysz
 * bytes, never empty) saying "<what> <host> could not be resolved (...)" or
 * daemon_deliver_resolve()'s reason.  res may be NULL ("no resolver");
 * every pointer is borrowed.
 */
bool daemon_worker_common_resolve(struct dns_resolver *res, const bool *stop, const char *host,
				  const char *what, char addr[DAEMON_DELIVER_ADDRSTRLEN], char *why,
				  size_t whysz);

#endif
