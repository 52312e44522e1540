/*
 * daemon/store_outbox: the durable notification outbox in the store
 * (daemon/store), and per-channel delivery counters.
 *
 * Every notification is written here before it is sent (issue 3).  One row
 * per (episode, channel, event, seq): the UNIQUE constraint makes enqueueing
 * idempotent, so an alert engine that replays its decisions after a restart
 * never queues anything twice (seq numbers the reminders of an episode; it
 * is 0 for firing and resolved).  Test messages (`mailpulse alert-test`)
 * carry no episode row (episode_id NULL; the test's own id travels in the
 * payload) and are never deduplicated.
 *
 * Life of a row: pending -> (taken, sent) -> sent, or pending -> retry
 * later (attempts+1, next_attempt_at) -> ... -> failed.  take_due() claims
 * the rows it returns for a lease (their next_attempt_at moves to
 * now + lease), so a second call does not hand them out again while they
 * are in flight, and a row whose sender died becomes due again when the
 * lease runs out.  Delivery is therefore at least once: only a crash
 * between a successful send and mark_sent() can repeat a message (the
 * webhook-id of a row never changes, so receivers can drop the repeat).
 *
 * Every write except the claim is durable (synchronous=FULL, see
 * daemon/store.h).  Marking a firing row sent also sets the episode's
 * fired_delivered flag, in the same transaction.
 *
 * last_error is words for the page and API: it is cut to 512 bytes,
 * control bytes become '?', and anything that looks like a URL
 * (scheme://...) is replaced by "<url>", because a webhook URL is a secret.
 * Callers still never pass secrets in it.  Payloads are opaque text built by
 * the alert engine and are never logged here.
 */
#ifndef MAILPULSE_DAEMON_STORE_OUTBOX_H
#define MAILPULSE_DAEMON_STORE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/store.h"

#define DAEMON_STORE_MAX_PAYLOAD (1024 * 1024)
#define DAEMON_STORE_MAX_ERROR 512

enum daemon_store_outbox_event {
	DAEMON_STORE_OUTBOX_FIRING,
	DAEMON_STORE_OUTBOX_REMINDER,
	DAEMON_STORE_OUTBOX_RESOLVED,
	DAEMON_STORE_OUTBOX_TEST,
};

enum daemon_store_outbox_status {
	DAEMON_STORE_OUTBOX_PENDING,
	DAEMON_STORE_OUTBOX_SENT,
	DAEMON_STORE_OUTBOX_FAILED,
};

/*
 * One notification.  As input of enqueue the strings are borrowed and only
 * episode_id, channel, event, seq and payload are read; as output of a read
 * the strings are owned (daemon_store_outbox_msg_clear()).
 */
struct daemon_store_outbox_msg {
	int64_t id;
	const char *episode_id; /* NULL exactly for DAEMON_STORE_OUTBOX_TEST */
	const char *channel;	/* the configured alert name, e.g. "ops-slack" */
	enum daemon_store_outbox_event event;
	uint32_t seq;	     /* reminder number; 0 otherwise */
	const char *payload; /* opaque text, at most 1 MiB */
	enum daemon_store_outbox_status status;
	uint32_t attempts; /* delivery attempts finished (sent, retried or failed) */
	int64_t next_attempt_at;
	const char *last_error; /* or NULL */
	int64_t created_at, updated_at;
};

struct daemon_store_outbox_list {
	struct daemon_store_outbox_msg *v;
	size_t n;
};

/* Counters of one channel. */
struct daemon_store_outbox_stat {
	const char *channel;   /* owned by the list */
	uint64_t sent, failed; /* ever, across retention and restarts */
	uint64_t queued;       /* pending now */
};

struct daemon_store_outbox_stats {
	struct daemon_store_outbox_stat *v;
	size_t n;
};

/* "firing" "reminder" "resolved" "test"; "pending" "sent" "failed". */
const char *daemon_store_outbox_event_name(enum daemon_store_outbox_event ev);
const char *daemon_store_outbox_status_name(enum daemon_store_outbox_status st);

/*
 * Queue m (durable), due at once (next_attempt_at = now).  Idempotent: if
 * (episode, channel, event, seq) is already queued, nothing changes (the
 * first payload stays) and *created is false.  *id and *created may be
 * NULL.  ERR_INVAL for an unknown episode or a bad argument, ERR_LIMIT for
 * an oversized payload.
 */
enum mp_err daemon_store_outbox_enqueue(struct daemon_store *s,
					const struct daemon_store_outbox_msg *m, int64_t now,
					int64_t *id, bool *created) MP_WUR;

/*
 * The pending rows due at now (next_attempt_at <= now), oldest due first,
 * at most limit (0: no limit), each claimed until now + lease seconds
 * (lease 0: not claimed).  Free with daemon_store_outbox_list_free().
 */
enum mp_err daemon_store_outbox_take_due(struct daemon_store *s, int64_t now, int64_t lease,
					 size_t limit, struct daemon_store_outbox_list *out) MP_WUR;

/*
 * Outcomes of one attempt on a pending row (durable).  ERR_NOTFOUND for an
 * unknown id, ERR_INVAL when the row is no longer pending (so a duplicate
 * outcome never counts twice).
 *  sent:  status sent, attempts+1; counts in the channel's sent total and
 *         sets the episode's fired_delivered for a firing row.
 *  retry: attempts+1, due again at next_at (a transient error: timeout, 5xx).
 *  fail:  status failed (a permanent error, e.g. HTTP 4xx), attempts+1;
 *         counts in the channel's failed total.
 * error (may be NULL) becomes last_error, cleaned as described above.
 */
enum mp_err daemon_store_outbox_mark_sent(struct daemon_store *s, int64_t id, int64_t now) MP_WUR;
enum mp_err daemon_store_outbox_retry(struct daemon_store *s, int64_t id, int64_t now,
				      int64_t next_at, const char *error) MP_WUR;
enum mp_err daemon_store_outbox_fail(struct daemon_store *s, int64_t id, int64_t now,
				     const char *error) MP_WUR;

/* One row by id; ERR_NOTFOUND.  Free with daemon_store_outbox_msg_clear(). */
enum mp_err daemon_store_outbox_get(struct daemon_store *s, int64_t id,
				    struct daemon_store_outbox_msg *out) MP_WUR;

/*
 * Rows of episode_id (NULL: all), newest first, at most limit (0: no
 * limit): the deliveries shown beside an episode.
 */
enum mp_err daemon_store_outbox_list(struct daemon_store *s, const char *episode_id, size_t limit,
				     struct daemon_store_outbox_list *out) MP_WUR;

/* Counters per channel that has ever had a row, by channel name. */
enum mp_err daemon_store_outbox_stats(struct daemon_store *s,
				      struct daemon_store_outbox_stats *out) MP_WUR;

void daemon_store_outbox_msg_clear(struct daemon_store_outbox_msg *m);
void daemon_store_outbox_list_free(struct daemon_store_outbox_list *l);
void daemon_store_outbox_stats_free(struct daemon_store_outbox_stats *l);

#endif
