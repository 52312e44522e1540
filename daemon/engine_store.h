/*
 * daemon/engine_store: how daemon/engine writes the alert engines'
 * decisions to the store and reads them back: phase changes as transitions
 * and episodes, due groups as outbox rows (payloads in daemon/alert_json
 * form), each channel's state as saved records, and at start-up the import
 * of that state plus the replay of the outbox's known outcomes.
 *
 * Outbox keys (daemon/store_outbox: unique per episode, channel, event,
 * seq): a Slack or e-mail row carries a whole group and is keyed by its
 * first event (firing and resolved happen once per episode; a reminder's seq
 * is the tick time); a webhook row carries one event (one event per POST).
 *
 * What it does not: decide anything, or open batches (the caller's round does).
 */
#ifndef MAILPULSE_DAEMON_ENGINE_STORE_H
#define MAILPULSE_DAEMON_ENGINE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/alert.h"
#include "daemon/config.h"
#include "daemon/store.h"

/*
 * Episode opens/closes for changes c and, with transitions, the state
 * history rows too (one channel's changes are enough for the history; every
 * channel's are needed for episodes) (inside a durable batch).
 */
enum mp_err daemon_engine_store_changes(struct daemon_store *st,
					const struct daemon_alert_changes *c,
					bool transitions) MP_WUR;
/* Queue batch b of channel ch in the outbox at now (inside a durable batch). */
enum mp_err daemon_engine_store_enqueue(struct daemon_store *st,
					const struct daemon_config_alert *ch,
					const struct daemon_alert_batch *b, int64_t now) MP_WUR;
/* Save the exported state of a under channel (inside a durable batch). */
enum mp_err daemon_engine_store_save(struct daemon_store *st, const char *channel,
				     const struct daemon_alert *a) MP_WUR;
/*
 * Import channel's saved state into a and replay the delivery outcomes of
 * its sent and failed outbox rows.  A record that does not parse is
 * dropped with a warning (the engine then starts that key afresh).
 */
enum mp_err daemon_engine_store_load(struct daemon_store *st, const char *channel,
				     struct daemon_alert *a, int64_t now) MP_WUR;

/* The event of an outbox event enum value, and back. */
enum daemon_alert_kind daemon_engine_store_kind(int outbox_event);

#endif
