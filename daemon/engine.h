/*
 * daemon/engine: mailpulsed's check rounds.  It owns what one configuration
 * needs to check domains and decide alerts: the resolver (dns/resolver), the
 * MTA-STS fetcher, the posture runner (dns/runner), the Public Suffix List,
 * the schedule (daemon/schedule), one alert engine (daemon/alert) per
 * [alert NAME] channel and one more, silent, engine for the state of each
 * check.  Each round it stores the completed checks in ONE durable store
 * batch together with what the alert engines decided: state transitions,
 * episodes, the outbox rows of due groups and the engines' exported state
 * (daemon/store.h durability notes), so a crash loses either the whole round
 * or nothing.
 *
 * Check state (issue 3: OK, PENDING, FIRING, RESOLVING per (domain, check)):
 * one state machine independent of the channels, so the page, the API and
 * /metrics show the same state with no channel, one, or several with
 * different minimum severities.  It is a daemon/alert engine with the
 * [daemon] thresholds, minimum severity warn and no messages (silent); it
 * writes the state history (transitions) and opens and closes episodes;
 * its state is saved in the store like a channel's, under the reserved name
 * DAEMON_ENGINE_STATE_NAME (not a valid [alert] name).  The channels'
 * engines see the same results and so agree on episode ids; a channel
 * without saved state (new in a reload) adopts the open episodes of the
 * state engine and announces those that fire, and a state engine without
 * saved state (a database of an older version) adopts the first channel's.
 *
 * Connectivity guard (issue 3): a round whose completed checks got only
 * temporary DNS failures (timeouts, SERVFAIL, unreachable servers) and no
 * other answer marks monitoring degraded on every engine; any other answer
 * clears it.  The answers are counted in the checks' own books, so lookups
 * made for other purposes (alert delivery) do not mask an outage.
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
#include "dns/posture.h"

struct daemon_engine;

/* The name under which the check state engine's records are saved (daemon/store_alert). */
#define DAEMON_ENGINE_STATE_NAME "@state"
struct dns_resolver;

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
 * A result that did not come from a DNS round (issue 4: each finished
 * probe is a result of check "probe"): f's findings (check names as given,
 * borrowed) are stored like a check's and fed to the state engine and every
 * channel, exactly like a completed DNS check, in one durable batch.
 * ERR_NOTFOUND when domain is not an enabled configured domain; ERR_IO
 * when the store refused (logged).
 */
enum mp_err daemon_engine_external_result(struct daemon_engine *e, const char *domain,
					  const struct dns_findings *f, int64_t now) MP_WUR;

/*
 * Report the outcome of a FIRING/REMINDER message to the channel's engine
 * (unknown channels are ignored); its state is saved at the next round.
 */
void daemon_engine_delivery(struct daemon_engine *e, const char *channel, const char *episode_id,
			    enum daemon_alert_kind kind, bool delivered, int64_t now);

/*
 * The state of (domain, check) from the channel-independent state machine:
 * DAEMON_ALERT_OK, _PENDING, _FIRING or _RESOLVING (the most advanced of the
 * warn and critical tracks).
 */
enum daemon_alert_phase daemon_engine_check_phase(const struct daemon_engine *e, const char *domain,
						  const char *check);
/* The check state engine itself (borrowed; for tests and diagnostics). */
const struct daemon_alert *daemon_engine_state(const struct daemon_engine *e);

/* The alert engine of channel (borrowed), or NULL. */
const struct daemon_alert *daemon_engine_alert(const struct daemon_engine *e, const char *channel);
/* True once every enabled domain has completed at least one check. */
bool daemon_engine_first_round_done(const struct daemon_engine *e);
/* True while monitoring is degraded (our resolver gives only temporary failures). */
bool daemon_engine_degraded(const struct daemon_engine *e);
/*
 * The engine's resolver (borrowed, valid until daemon_engine_free()), for
 * daemon/deliver to resolve alert hosts through the configured [dns]
 * servers.  One thread: the main loop's.
 */
struct dns_resolver *daemon_engine_resolver(struct daemon_engine *e);

/*
 * Test seam (tests/daemon/test_engine): a driver that completes checks in
 * place of the resolver.  While one is set, daemon_engine_start_due() hands
 * each new posture to fn, which must step it to completion (e.g. over
 * tests/lib/fakezone), and the check counts as done at once.  NULL: the
 * resolver again.  The daemon never sets one.
 */
typedef void daemon_engine_driver_fn(void *arg, struct dns_posture *p);
void daemon_engine_set_driver(struct daemon_engine *e, daemon_engine_driver_fn *fn, void *arg);

#endif
