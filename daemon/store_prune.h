/*
 * daemon/store_prune: retention for mailpulsed's store (issue 3): raw
 * results 30 days, daily buckets 400 days, and the rest as below.  Called
 * by the daemon about once an hour; the clock is the caller's, so tests run
 * it at fixed times.  SQL goes through the facade of daemon/store.
 *
 * It never deletes what the page still shows: the last and the last good
 * result of a (domain, check) stay however old they are, so a domain whose
 * checks time out for a month still shows its last real verdict.
 */
#ifndef MAILPULSE_DAEMON_STORE_PRUNE_H
#define MAILPULSE_DAEMON_STORE_PRUNE_H

#include <stdint.h>
#include "common/err.h"
#include "daemon/store.h"

#define DAEMON_STORE_KEEP_RESULTS_SECS (30 * 86400)
#define DAEMON_STORE_KEEP_DAYS 400 /* today and the 399 days before */

/* Rows removed by one daemon_store_prune(). */
struct daemon_store_prune_stats {
	uint64_t results, buckets, transitions, episodes, outbox, checks;
};

/* Rows one chunked DELETE removes per transaction (the SQL's LIMIT says the same). */
#define DAEMON_STORE_PRUNE_CHUNK 5000

/*
 * Run a chunked DELETE sql (?1 bound to arg, "... LIMIT 5000") again and
 * again, each run its own transaction, until it removes fewer than a chunk;
 * *count grows by the rows removed.  Must not be called inside a batch.
 */
enum mp_err daemon_store_prune_loop(struct daemon_store *s, const char *sql, int64_t arg,
				    uint64_t *count) MP_WUR;

/*
 * Retention at time now (unix seconds): results older than 30 days (except
 * the last and the last good result of each (domain, check), which the page
 * shows), day buckets older than 400 days, transitions and closed episodes
 * (with their outbox rows) older than 400 days, test notifications older
 * than 30 days, and every trace of a (domain, check) not checked for 400
 * days.  Deletes in chunks, each its own transaction, so a long prune never
 * holds the write lock for long; must not be called inside a batch.
 * stats may be NULL.
 */
enum mp_err daemon_store_prune(struct daemon_store *s, int64_t now,
			       struct daemon_store_prune_stats *stats) MP_WUR;

#endif
