/*
 * daemon/engine: mailpulsed's check rounds.  It owns what one configuration
 * needs to check domains and decide alerts: the resolver (dns/resolver), the
 * MTA-STS fetcher, the posture runner (dns/runner), the Public Suffix List,
 * the schedule (daemon/schedule) and one alert engine (daemon/alert) per
 * [alert NAME] channel.  Each round it stores the completed checks in ONE
 * durable store batch together with what the alert engines decided: state
 * transitions, episodes, the outbox rows of due groups and the engines'
 * exported state (daemon/store.h durability notes), so a crash loses either
 * the whole round or nothing.
 *
 * Connectivity guard (issue 3): a round in which the resolver got only
 * temporary failures (timeouts, SERVFAIL, unreachable servers) and no other
 * answer marks monitoring degraded on every channel; any other answer clears
 * it.
 *
 * What it does not: send anything (daemon/deliver), serve HTTP, or read the
 * clock (callers pass now).  One thread: the daemon's main loop.
 */
#ifndef MAILPULSE_DAEMON_ENGINE_H
#define MAILPULSE_DAEMON_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/alert.h"
#include "daemon/config.h"
#include "daemon/store.h"

struct daemon_engine;

/*
 * A new engine for cfg (borrowed: must outlive the engine) over the open
 * store st (borrowed).  Imports each channel's saved alert state and replays
 * the outbox's known delivery outcomes into it.  Every domain is due at now.
 * ERR_OK: *out set (free with daemon_engine_free()); else err says why.
 */
enum mp_err daemon_engine_new(const struct daemon_config *cfg, struct daemon_store *st, int64_t now,
			      struct daemon_engine **out, char *err, size_t errsz) MP_WUR;
/* Abandon checks in flight and free everything.  NULL is a no-op. */
void daemon_engine_free(struct daemon_engine *e);

/* Start the checks of every domain due at now. */
void daemon_engine_start_due(struct daemon_engine *e, int64_t now);
/* Checks in flight (started and not yet stored). */
size_t daemon_engine_running(const struct daemon_engine *e);
/* Drive the checks in flight, waiting at most wait_ms for DNS/HTTP. */
void daemon_engine_pump(struct daemon_engine *e, int wait_ms);

/*
 * One round at now: store the completed checks, feed and tick the alert
 * engines, queue due notifications in the outbox, save the engines' state,
 * all in one durable batch.  Returns true when anything changed (results or
 * alert state), so the caller publishes a new snapshot.
 */
bool daemon_engine_round(struct daemon_engine *e, int64_t now);

/* The earliest time start_due or round has work (INT64_MAX: none). */
int64_t daemon_engine_next_due(const struct daemon_engine *e);

/* Check domain (A-label) at the next tick: ERR_NOTFOUND, ERR_AGAIN (running), ERR_OK. */
enum mp_err daemon_engine_check_now(struct daemon_engine *e, const char *domain,
				    int64_t now) MP_WUR;

/*
 * Report the outcome of a FIRING/REMINDER message to the channel's engine
 * (unknown channels are ignored); its state is saved at the next round.
 */
void daemon_engine_delivery(struct daemon_engine *e, const char *channel, const char *episode_id,
			    enum daemon_alert_kind kind, bool delivered, int64_t now);

/* The alert engine of channel (borrowed), or NULL. */
const struct daemon_alert *daemon_engine_alert(const struct daemon_engine *e, const char *channel);
/* True once every enabled domain has completed at least one check. */
bool daemon_engine_first_round_done(const struct daemon_engine *e);
/* True while monitoring is degraded (our resolver gives only temporary failures). */
bool daemon_engine_degraded(const struct daemon_engine *e);

#endif
