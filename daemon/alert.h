/*
 * daemon/alert: the alert engine.  It turns check results into alert
 * episodes and says which notifications are due when; it is pure: no I/O,
 * no clock (every call takes `now`, unix seconds), no threads, no globals.
 *
 * What it does not: format or send anything (daemon/notify builds the
 * bytes, the transports send them, the outbox retries), store anything (it
 * exports and imports plain records the store saves), or know about
 * channels: run one engine per [alert NAME] channel, so thresholds, minimum
 * severity, reminders and "was the firing delivered" are all per channel
 * (episode ids still agree across channels: they depend on the episode only).
 * The daemon also runs one silent engine (no channel, minimum severity warn)
 * whose phases are the state of each check on the page, the API and
 * /metrics, whatever the channels are.
 *
 * State machine (one per (domain, check, track); see the table in alert.c):
 *
 *   OK --fail--> PENDING (fails < F) --fail, fails >= F--> FIRING
 *   PENDING --ok--> OK (silent)          FIRING --ok--> RESOLVING (oks < S)
 *   RESOLVING --fail--> FIRING (same episode)
 *   RESOLVING --ok, oks >= S--> closed: RESOLVED is sent if, and only if,
 *                                the FIRING message was delivered
 *   unknown results leave every counter alone.
 *
 * Tracks: the worst severity of a check's findings is compared twice.  The
 * warn track fails when worst >= warn, the critical track when worst >=
 * critical; each has its own episode.  A check that drops from critical to
 * warn resolves the critical episode while the warn one keeps firing.  While
 * the critical episode of (domain, check) is open (FIRING or RESOLVING) the
 * warn episode's firing and reminder messages are held back (inhibited), so
 * people get one message; a warn episode that still fires when the critical
 * one closes is announced then.  An unknown finding makes a track's result
 * unknown unless a finding already decides it (a critical finding is a
 * failure of both tracks whatever else is unknown; a warn finding is a warn
 * failure but leaves the critical track unknown).
 *
 * Connectivity guard: while the daemon says its own resolver is down
 * (daemon_alert_set_degraded), results are ignored, no domain message is
 * sent (those already due are held until the guard clears) and one
 * "monitoring degraded" episode (domain "", check "monitoring", critical)
 * fires; it resolves when the guard clears.
 *
 * Grouping: an event opens a group for its domain due group_wait seconds
 * later; events of that domain until the group is sent join it, so each
 * domain gets one message per burst.  An episode that fires and clears
 * before its group is sent sends nothing at all (Alertmanager group_wait).
 *
 * Delivery: the daemon reports each FIRING/REMINDER outcome with
 * daemon_alert_delivery().  A resolve is owed only for an episode whose
 * firing (or a later reminder) was delivered; if the episode clears while
 * the outcome is still unknown it waits (phase CLOSED) for the outcome.
 *
 * Restart safety: all state, including messages owed but not yet handed out,
 * lives in the exported records.  Save them in the same transaction as the
 * outbox rows of the batch a tick returned; import them after a restart and
 * replay the outbox's known outcomes with daemon_alert_delivery()
 * (idempotent).  An episode that cleared while the daemon was down resolves
 * on the first S passing results after the restart.
 */
#ifndef MAILPULSE_DAEMON_ALERT_H
#define MAILPULSE_DAEMON_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/finding.h"

#define DAEMON_ALERT_F_DEFAULT 2
#define DAEMON_ALERT_S_DEFAULT 2
#define DAEMON_ALERT_GROUP_WAIT_DEFAULT 30
/* Reminders are off (0) by default; when on, at least this many seconds apart. */
#define DAEMON_ALERT_REMINDER_MIN 300
/* Episode ids: this many lower-case hex digits of a SHA-256. */
#define DAEMON_ALERT_ID_LEN 32
/* Findings kept per episode for the messages (worst first), and text caps. */
#define DAEMON_ALERT_MAX_FINDINGS 8
#define DAEMON_ALERT_MAX_TEXT 2048
/* The pseudo-check of the "monitoring degraded" episode (its domain is ""). */
#define DAEMON_ALERT_SELF_CHECK "monitoring"

struct daemon_alert_config {
	unsigned failures;	   /* F: failing results before FIRING (1..1000) */
	unsigned successes;	   /* S: passing results before the episode closes (1..1000) */
	int64_t group_wait;	   /* seconds an open group waits for more events (0..3600) */
	int64_t reminder_interval; /* 0: off; else seconds, >= DAEMON_ALERT_REMINDER_MIN */
	enum dns_sev min_severity; /* SEV_WARN: both tracks; SEV_CRITICAL: critical only */
	/*
	 * true: a state-only engine that owes no message at all (no firing,
	 * reminder or resolve; ticks hand out nothing).  The daemon runs one,
	 * with no channel, for the state of each check shown on the page, the
	 * API and /metrics.  false (the default): a channel's engine.
	 */
	bool silent;
};

enum daemon_alert_phase {
	DAEMON_ALERT_OK,	/* never exported: an OK track has no record */
	DAEMON_ALERT_PENDING,	/* failing, fewer than F in a row */
	DAEMON_ALERT_FIRING,	/* episode open */
	DAEMON_ALERT_RESOLVING, /* episode open, passing, fewer than S in a row */
	DAEMON_ALERT_CLOSED,	/* cleared; waits for the firing's delivery outcome */
};

/* What happened to the episode's FIRING message. */
enum daemon_alert_delivery {
	DAEMON_ALERT_DLV_NONE,	    /* not handed out yet (queued or inhibited) */
	DAEMON_ALERT_DLV_HANDED,    /* handed out by a tick, outcome unknown */
	DAEMON_ALERT_DLV_DELIVERED, /* the firing or a later reminder was delivered */
	DAEMON_ALERT_DLV_FAILED,    /* the firing failed for good */
};

enum daemon_alert_kind {
	DAEMON_ALERT_NONE, /* record field "owed": nothing owed */
	DAEMON_ALERT_FIRING_EV,
	DAEMON_ALERT_REMINDER_EV,
	DAEMON_ALERT_RESOLVED_EV,
	DAEMON_ALERT_TEST_EV, /* `mailpulse alert-test`: never produced by the engine */
};

struct daemon_alert_finding {
	char *code; /* "DKIM_KEY_MISSING" */
	enum dns_sev sev;
	char *message; /* plain words; may hold bytes from DNS */
	char *fix;     /* may be NULL */
};

/*
 * One (domain, check, track).  Every field is plain data for the store;
 * strings are owned by whoever holds the record.
 */
struct daemon_alert_record {
	char *domain;		       /* ASCII A-label; "" for the degraded episode */
	char *check;		       /* "spf", "dkim", ... or DAEMON_ALERT_SELF_CHECK */
	enum dns_sev severity;	       /* the track: SEV_WARN or SEV_CRITICAL */
	enum daemon_alert_phase phase; /* never DAEMON_ALERT_OK */
	unsigned fails;		       /* failing results in a row */
	unsigned oks;		       /* passing results in a row */
	unsigned failures;	       /* failing results in this episode, all told */
	char episode_id[DAEMON_ALERT_ID_LEN + 1]; /* "" while PENDING */
	int64_t started_at;			  /* first failing result of the episode */
	int64_t fired_at;			  /* 0 while PENDING */
	int64_t ended_at;			  /* CLOSED, or a resolve owed: when it cleared */
	enum daemon_alert_delivery fired;
	enum daemon_alert_kind owed;	       /* message owed but not handed out yet */
	int64_t due_at;			       /* when the owed message's group is due */
	int64_t last_notified_at;	       /* last FIRING/REMINDER handed out; 0: never */
	struct daemon_alert_finding *findings; /* latest failing findings, worst first */
	size_t nfindings;		       /* <= DAEMON_ALERT_MAX_FINDINGS */
};

/* One notification event: a copy of what the messages need; owned by its group. */
struct daemon_alert_event {
	enum daemon_alert_kind kind;
	char episode_id[DAEMON_ALERT_ID_LEN + 1];
	char *domain; /* "" for the degraded episode and test events */
	char *check;
	enum dns_sev severity;
	int64_t started_at, fired_at;
	int64_t ended_at;     /* RESOLVED only, else 0 */
	int64_t duration;     /* RESOLVED: ended_at - started_at, else 0 */
	unsigned failures;    /* failing results in the episode so far */
	enum dns_sev now_sev; /* RESOLVED: the check's severity now (SEV_WARN if the warn
				 track still fires), else the event's severity */
	struct daemon_alert_finding *findings;
	size_t nfindings;
};

/* One message: every event of one domain due together. */
struct daemon_alert_group {
	char *domain;
	int64_t at;			   /* the tick that produced it */
	struct daemon_alert_event *events; /* firing critical, firing warn, reminders, resolved */
	size_t nevents;
};

struct daemon_alert_batch {
	struct daemon_alert_group *groups; /* sorted by domain */
	size_t ngroups;
};

/* A phase change, for the store's state history. */
struct daemon_alert_change {
	char *domain;
	char *check;
	enum dns_sev severity;
	enum daemon_alert_phase from, to;
	char episode_id[DAEMON_ALERT_ID_LEN + 1];
	int64_t at;
};

struct daemon_alert_changes {
	struct daemon_alert_change *v;
	size_t n;
};

struct daemon_alert;

/* Fill c with the defaults (F 2, S 2, group wait 30 s, reminders off, min warn, not silent). */
void daemon_alert_config_default(struct daemon_alert_config *c);

/*
 * Check c.  ERR_INVAL with a plain-words reason in why (size whysz) when a
 * value is out of range (e.g. a reminder interval under 5 minutes).
 */
enum mp_err daemon_alert_config_check(const struct daemon_alert_config *c, char *why,
				      size_t whysz) MP_WUR;

/*
 * A new engine with config c (copied).  ERR_INVAL (why says which value)
 * when c does not pass daemon_alert_config_check().  Free with
 * daemon_alert_free().
 */
enum mp_err daemon_alert_new(const struct daemon_alert_config *c, struct daemon_alert **out,
			     char *why, size_t whysz) MP_WUR;
/* NULL is a no-op. */
void daemon_alert_free(struct daemon_alert *a);

/*
 * Feed one completed check run of domain: f holds the findings of one or
 * more checks (each distinct finding check name is one result; findings are
 * borrowed).  Ignored while degraded, and for domain "" (reserved for the
 * monitoring itself).  Phase changes are appended to changes
 * (may be NULL; free with daemon_alert_changes_free()).
 */
void daemon_alert_observe(struct daemon_alert *a, const char *domain, const struct dns_findings *f,
			  int64_t now, struct daemon_alert_changes *changes);

/*
 * Connectivity guard.  down: the daemon's own resolver is failing (reason,
 * plain words without secrets, goes into the message); false: it is back.
 * Idempotent.  Phase changes of the degraded episode go to changes (may be NULL).
 */
void daemon_alert_set_degraded(struct daemon_alert *a, bool down, const char *reason, int64_t now,
			       struct daemon_alert_changes *changes);
/* True while the guard is down. */
bool daemon_alert_degraded(const struct daemon_alert *a);

/*
 * Hand out every message due at now: *out gets one group per domain (free
 * with daemon_alert_batch_free(); empty when nothing is due).  Handing out
 * is final: write the batch to the outbox, then save the exported state.
 */
void daemon_alert_tick(struct daemon_alert *a, int64_t now, struct daemon_alert_batch *out);

/*
 * The earliest time a tick will have something to do (an owed group or a
 * reminder coming due); INT64_MAX when nothing is scheduled.
 */
int64_t daemon_alert_next_due(const struct daemon_alert *a);

/*
 * Report the final outcome of a FIRING or REMINDER message of episode_id
 * (delivered to the channel, or failed for good).  Unknown episodes and
 * repeated reports are ignored (returns false); true when the report was
 * used.  RESOLVED outcomes need no report.
 */
bool daemon_alert_delivery(struct daemon_alert *a, const char *episode_id,
			   enum daemon_alert_kind kind, bool delivered, int64_t now);

/*
 * Drop every record of domain without a message (the domain left the
 * config).  Returns how many records were dropped.
 */
size_t daemon_alert_forget_domain(struct daemon_alert *a, const char *domain);

/*
 * The state of (domain, check) as people see it: the most advanced phase of
 * its open tracks (FIRING, then RESOLVING, then PENDING); DAEMON_ALERT_OK
 * when no track is open (closed episodes waiting for a delivery outcome
 * count as OK).  A binary search: cheap enough for every check of every
 * snapshot.
 */
enum daemon_alert_phase daemon_alert_check_phase(const struct daemon_alert *a, const char *domain,
						 const char *check);

/*
 * Start an engine that has no state yet from the open records of another
 * engine fed the same results (a channel added by a reload, or the state
 * engine of a daemon upgraded from a version that had none), so that both
 * agree on counters and episode ids from then on.  Each open record of a
 * track a follows (min_severity) is copied with its counters and episode;
 * nothing counts as handed out: unless a is silent, an episode that is
 * FIRING (and, for the warn track, not inhibited by an open critical one)
 * is owed as a FIRING message after group_wait, so a new channel hears of
 * what is already broken.  Returns how many records were adopted (0 when a
 * already has state).
 */
size_t daemon_alert_adopt(struct daemon_alert *a, const struct daemon_alert *from, int64_t now);

/* A deep copy of the state, sorted by (domain, check, severity, started_at); free with
 * daemon_alert_records_free(). */
void daemon_alert_export(const struct daemon_alert *a, struct daemon_alert_record **v, size_t *n);
/*
 * Replace the state with a copy of v (from daemon_alert_export(), maybe of
 * another process).  ERR_INVAL when a record is inconsistent (bad phase,
 * severity, id, two open episodes for one key, ...); the engine is then
 * unchanged.
 */
enum mp_err daemon_alert_import(struct daemon_alert *a, const struct daemon_alert_record *v,
				size_t n) MP_WUR;
void daemon_alert_records_free(struct daemon_alert_record *v, size_t n);

void daemon_alert_batch_free(struct daemon_alert_batch *b);
void daemon_alert_group_free(struct daemon_alert_group *g);
void daemon_alert_changes_free(struct daemon_alert_changes *c);

/*
 * A group holding one TEST event for `mailpulse alert-test NAME`: domain
 * "", check "test", episode id derived from channel and now.  Free with
 * daemon_alert_group_free().
 */
void daemon_alert_test_group(struct daemon_alert_group *g, const char *channel, int64_t now);

/*
 * Human duration: the two largest non-zero units, "45s", "5m 10s",
 * "2h 5m", "3d 4h"; negative counts as 0.  Writes into buf (size >= 16).
 */
const char *daemon_alert_duration_text(int64_t secs, char *buf, size_t bufsz);

/*
 * Stable episode id: the first DAEMON_ALERT_ID_LEN hex digits of
 * SHA-256(domain "\n" check "\n" severity-name "\n" started_at).
 */
void daemon_alert_episode_id(const char *domain, const char *check, enum dns_sev sev,
			     int64_t started_at, char out[DAEMON_ALERT_ID_LEN + 1]);

/* "ok", "pending", "firing", "resolving", "closed". */
const char *daemon_alert_phase_name(enum daemon_alert_phase p);
/* "none", "firing", "reminder", "resolved", "test". */
const char *daemon_alert_kind_name(enum daemon_alert_kind k);

#endif
