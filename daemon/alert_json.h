/*
 * daemon/alert_json: the alert engine's plain records and notification
 * groups (daemon/alert) as JSON text, for the store: the engine's saved
 * state (daemon/store_alert keeps it as opaque text per record) and the
 * outbox payloads (daemon/store_outbox), from which the transports rebuild
 * the exact bytes at send time (a webhook is re-signed with a fresh
 * timestamp on every attempt, Standard Webhooks 1.0).
 *
 * What it does not: decide anything or build the messages (daemon/notify).
 * The text is ours, but it is read back from disk, so parsing is defensive:
 * anything missing or out of range is ERR_PARSE, never a crash.
 */
#ifndef MAILPULSE_DAEMON_ALERT_JSON_H
#define MAILPULSE_DAEMON_ALERT_JSON_H

#include "common/err.h"
#include "daemon/alert.h"

/* One record as compact JSON; caller frees. */
char *daemon_alert_json_record(const struct daemon_alert_record *r);
/*
 * Parse text (NUL-terminated) into *out (zeroed first; free its contents
 * with daemon_alert_rec_clear() from daemon/alert_rec.h).  ERR_PARSE when
 * the text is not a record.
 */
enum mp_err daemon_alert_json_record_parse(const char *text,
					   struct daemon_alert_record *out) MP_WUR;

/* A group with its events as compact JSON; caller frees. */
char *daemon_alert_json_group(const struct daemon_alert_group *g);
/* A group holding only event i of g, as compact JSON (one webhook POST); caller frees. */
char *daemon_alert_json_group_one(const struct daemon_alert_group *g, size_t i);
/*
 * Parse text into *out (zeroed first; free with daemon_alert_group_free()).
 * ERR_PARSE when the text is not a group with at least one event.
 */
enum mp_err daemon_alert_json_group_parse(const char *text, struct daemon_alert_group *out) MP_WUR;

#endif
