/*
 * daemon/store_alert: what the alert engine remembers in the store
 * (daemon/store): state transitions per (domain, check) and alert episodes.
 *
 * An episode (issue 3) is one period during which a (domain, check) fired at
 * one severity (warn and critical each their own episode), from started_at
 * until ended_at, under a stable id chosen by the alert engine (anchors:
 * a fingerprint of domain/check/severity plus the start time).  The store
 * keeps at most one OPEN episode per (domain, check, severity) and makes
 * opening and closing idempotent, so an engine that replays its decisions
 * after a restart changes nothing.  fired_delivered records that a firing
 * notification reached at least one channel (set by daemon/store_outbox
 * when one is marked sent); a resolve is only worth sending if it did.
 *
 * It also keeps the alert engine's own state per channel (daemon/alert
 * exports records and imports them after a restart): opaque text per
 * record, replaced as a whole, durable, so the daemon saves it in the same
 * durable batch as the outbox rows the engine's tick produced.
 *
 * Domain "" names the daemon itself (the "monitoring degraded" episode).
 * Episode and alert-state writes are durable (synchronous=FULL, see
 * daemon/store.h); transitions are history and use the normal level.  The states are the
 * alert engine's words ("ok" "pending" "firing" "resolving" "unknown"...);
 * the store keeps them as given.  No decision is made here.
 */
#ifndef MAILPULSE_DAEMON_STORE_ALERT_H
#define MAILPULSE_DAEMON_STORE_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/finding.h"
#include "daemon/store.h"

#define DAEMON_STORE_MAX_STATE 32	      /* bytes of a state name */
#define DAEMON_STORE_MAX_ID 128		      /* bytes of an episode id */
#define DAEMON_STORE_MAX_RECORD (1024 * 1024) /* bytes of one alert state record */

/*
 * As input the strings are borrowed; as output of a read they are owned
 * and freed with daemon_store_alert_transition_list_free().
 */
struct daemon_store_alert_transition {
	int64_t id; /* row id (reads); ignored by add */
	const char *domain, *check;
	const char *from, *to;	/* state names, 1..32 printable bytes */
	enum dns_sev severity;	/* of the result that caused it, or the episode's track */
	int64_t at;		/* unix seconds UTC, >= 0 */
	const char *episode_id; /* the episode it belongs to, or NULL */
};

struct daemon_store_alert_transition_list {
	struct daemon_store_alert_transition *v;
	size_t n;
};

/*
 * As input the strings are borrowed; as output of a read they are owned
 * and freed with daemon_store_alert_episode_clear().
 */
struct daemon_store_alert_episode {
	const char *id; /* stable id, 1..128 printable bytes */
	const char *domain, *check;
	enum dns_sev severity; /* SEV_WARN or SEV_CRITICAL */
	int64_t started_at;
	int64_t ended_at;     /* 0 while open (reads); ignored by open */
	bool fired_delivered; /* reads only */
	const char *summary;  /* words for people; may be NULL on input ("") */
};

struct daemon_store_alert_episode_list {
	struct daemon_store_alert_episode *v;
	size_t n;
};

/*
 * One saved record of the alert engine.  As input the strings are borrowed;
 * as output of daemon_store_alert_state_load() they are owned by the list.
 */
struct daemon_store_alert_state {
	const char *domain; /* "" for the daemon's own episode */
	const char *check;
	enum dns_sev severity; /* the track: SEV_WARN or SEV_CRITICAL */
	const char *record;    /* the engine's record serialized by the caller; opaque */
};

struct daemon_store_alert_state_list {
	struct daemon_store_alert_state *v;
	size_t n;
};

/* Append a transition; *id (may be NULL) receives its row id. */
enum mp_err daemon_store_alert_transition_add(struct daemon_store *s,
					      const struct daemon_store_alert_transition *t,
					      int64_t *id) MP_WUR;

/*
 * Transitions of domain (NULL: all) and check (NULL: all), newest first
 * (by time, then insertion), at most limit (0: no limit).  With both names
 * and limit 1 this is the current state of a check after a restart.
 */
enum mp_err daemon_store_alert_transitions(struct daemon_store *s, const char *domain,
					   const char *check, size_t limit,
					   struct daemon_store_alert_transition_list *out) MP_WUR;

/*
 * Open an episode (durable).  Idempotent by id: opening an id that exists
 * for the same (domain, check, severity) is ERR_OK with *created false
 * (created may be NULL).  ERR_INVAL when the id exists for another check,
 * or another episode is open for this (domain, check, severity), or for a
 * bad argument.
 */
enum mp_err daemon_store_alert_episode_open(struct daemon_store *s,
					    const struct daemon_store_alert_episode *e,
					    bool *created) MP_WUR;

/*
 * Close episode id at ended_at (durable).  Closing a closed episode is
 * ERR_OK and keeps the first end.  ERR_NOTFOUND for an unknown id;
 * ERR_INVAL when ended_at is before started_at.
 */
enum mp_err daemon_store_alert_episode_close(struct daemon_store *s, const char *id,
					     int64_t ended_at) MP_WUR;

/* Record that the firing notification of id was delivered (durable). */
enum mp_err daemon_store_alert_episode_delivered(struct daemon_store *s, const char *id) MP_WUR;

/* One episode by id; ERR_NOTFOUND.  Free with daemon_store_alert_episode_clear(). */
enum mp_err daemon_store_alert_episode_get(struct daemon_store *s, const char *id,
					   struct daemon_store_alert_episode *out) MP_WUR;

/*
 * Episodes of domain (NULL: all), only the open ones when open_only,
 * newest first (by start), at most limit (0: no limit).  After a restart,
 * open_only gives the engine every episode it must resume.
 */
enum mp_err daemon_store_alert_episodes(struct daemon_store *s, const char *domain, bool open_only,
					size_t limit,
					struct daemon_store_alert_episode_list *out) MP_WUR;

/*
 * Replace the saved state of channel by v[0..n) (n may be 0: nothing
 * saved), durable and atomic: call it inside the durable batch that writes
 * the outbox rows of the same engine tick.  ERR_INVAL for a bad name or
 * severity or a NULL record, ERR_LIMIT for a record over 1 MiB.
 */
enum mp_err daemon_store_alert_state_save(struct daemon_store *s, const char *channel,
					  const struct daemon_store_alert_state *v,
					  size_t n) MP_WUR;
/*
 * The saved state of channel in the order it was saved (empty when none).
 * Free with daemon_store_alert_state_list_free().
 */
enum mp_err daemon_store_alert_state_load(struct daemon_store *s, const char *channel,
					  struct daemon_store_alert_state_list *out) MP_WUR;
void daemon_store_alert_state_list_free(struct daemon_store_alert_state_list *l);

void daemon_store_alert_episode_clear(struct daemon_store_alert_episode *e);
void daemon_store_alert_episode_list_free(struct daemon_store_alert_episode_list *l);
void daemon_store_alert_transition_list_free(struct daemon_store_alert_transition_list *l);

#endif
