/*
 * daemon/store_prune: retention (see store_prune.h).  Every DELETE works in
 * chunks of DAEMON_STORE_PRUNE_CHUNK rows, each in its own transaction, so
 * the daemon's other writes never wait long behind a big prune (the chunked
 * loop is shared with daemon/store_probe).  Deleting an episode
 * deletes its outbox rows (explicitly first, so they are counted).
 */
#include <stddef.h>
#include "common/log.h"
#include "daemon/store_prune.h"

enum mp_err daemon_store_prune_loop(struct daemon_store *s, const char *sql, int64_t arg,
				    uint64_t *count)
{
	int64_t n;

	do {
		struct daemon_store_stmt *q;
		enum mp_err e = daemon_store_op_begin(s, false);

		if (e != ERR_OK)
			return e;
		e = daemon_store_prepare(s, sql, &q);
		if (e == ERR_OK) {
			daemon_store_bind_int(q, 1, arg);
			e = daemon_store_run(q);
		}
		n = e == ERR_OK ? daemon_store_changes(s) : 0;
		e = daemon_store_op_end(s, e);
		if (e != ERR_OK)
			return e;
		*count += (uint64_t)n;
	} while (n >= DAEMON_STORE_PRUNE_CHUNK);
	return ERR_OK;
}

/* clang-format off */
static const char SQL_PRUNE_CHECKS[] =
	"DELETE FROM latest WHERE last_at < ?1";
static const char SQL_PRUNE_RESULTS[] =
	"DELETE FROM results WHERE id IN (SELECT id FROM results WHERE at < ?1"
	" AND id NOT IN (SELECT last_id FROM latest)"
	" AND id NOT IN (SELECT good_id FROM latest WHERE good_id IS NOT NULL)"
	" LIMIT 5000)";
static const char SQL_PRUNE_BUCKETS[] =
	"DELETE FROM day_buckets WHERE (domain, check_name, day) IN (SELECT domain, check_name,"
	" day FROM day_buckets WHERE day < ?1 LIMIT 5000)";
static const char SQL_PRUNE_TRANSITIONS[] =
	"DELETE FROM transitions WHERE id IN (SELECT id FROM transitions WHERE at < ?1"
	" LIMIT 5000)";
static const char SQL_PRUNE_OUTBOX[] =
	"DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o JOIN episodes e"
	" ON e.id = o.episode_id WHERE e.ended_at < ?1 LIMIT 5000)";
static const char SQL_PRUNE_TESTS[] =
	"DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE episode_id IS NULL"
	" AND status <> 'pending' AND updated_at < ?1 LIMIT 5000)";
static const char SQL_PRUNE_EPISODES[] =
	"DELETE FROM episodes WHERE id IN (SELECT id FROM episodes WHERE ended_at < ?1"
	" LIMIT 5000)";
/* clang-format on */

enum mp_err daemon_store_prune(struct daemon_store *s, int64_t now,
			       struct daemon_store_prune_stats *stats)
{
	struct daemon_store_prune_stats st = {0};
	int64_t keep_results = now - DAEMON_STORE_KEEP_RESULTS_SECS;
	int64_t keep_long = now - (int64_t)DAEMON_STORE_KEEP_DAYS * 86400;
	/* today and the 399 days before it */
	int64_t first_day = (now / 86400) - (DAEMON_STORE_KEEP_DAYS - 1);
	enum mp_err e;

	if (daemon_store_in_batch(s))
		return daemon_store_fail(s, ERR_INVAL, "prune: not inside a batch");
	e = daemon_store_prune_loop(s, SQL_PRUNE_CHECKS, keep_long, &st.checks);
	if (e == ERR_OK)
		e = daemon_store_prune_loop(s, SQL_PRUNE_RESULTS, keep_results, &st.results);
	if (e == ERR_OK)
		e = daemon_store_prune_loop(s, SQL_PRUNE_BUCKETS, first_day, &st.buckets);
	if (e == ERR_OK)
		e = daemon_store_prune_loop(s, SQL_PRUNE_TRANSITIONS, keep_long, &st.transitions);
	if (e == ERR_OK)
		e = daemon_store_prune_loop(s, SQL_PRUNE_OUTBOX, keep_long, &st.outbox);
	if (e == ERR_OK)
		e = daemon_store_prune_loop(s, SQL_PRUNE_TESTS, keep_results, &st.outbox);
	if (e == ERR_OK)
		e = daemon_store_prune_loop(s, SQL_PRUNE_EPISODES, keep_long, &st.episodes);
	if (e != ERR_OK)
		return e;
	log_debug("store",
		  "pruned results=%llu buckets=%llu transitions=%llu episodes=%llu outbox=%llu "
		  "checks=%llu",
		  (unsigned long long)st.results, (unsigned long long)st.buckets,
		  (unsigned long long)st.transitions, (unsigned long long)st.episodes,
		  (unsigned long long)st.outbox, (unsigned long long)st.checks);
	if (stats)
		*stats = st;
	return ERR_OK;
}
