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

/* The longest text the parsers read (the store caps a record at 1 MiB as well). */
#define DAEMON_ALERT_JSON_MAX (1024 * 1024)

/* One record as compact JSON; caller frees. */
char *daemon_alert_json_record(const struct daemon_alert_record *r);
/*
 * Parse text (NUL-terminated) into *out (free its contents with
 * daemon_alert_rec_clear() from daemon/alert_rec.h); *out is set only on
 * success.  ERR_PARSE when the text is not a record: not a JSON object of
 * at most DAEMON_ALERT_JSON_MAX bytes, a field missing or of the wrong
 * type, a number out of its range (enums, counters 0..2^32-1, times
 * 0..year 9999), a string with a NUL byte or too long (domain and codes
 * 255 bytes, check 64, texts DAEMON_ALERT_MAX_TEXT), an episode id that is
 * not "" or 32 lower-case hex digits, more than DAEMON_ALERT_MAX_FINDINGS
 * findings.  Whether the record makes sense as a whole is
 * daemon_alert_import()'s question.
 */
enum mp_err daemon_alert_json_record_parse(const char *text,
					   struct daemon_alert_record *out) MP_WUR;
/*
 * The same, with the reason of an ERR_PARSE in why (whysz bytes, may be 0):
 * the field and what is wrong with it, never bytes of the text.
 */
enum mp_err daemon_alert_json_record_parse_why(const char *text, struct daemon_alert_record *out,
					       char *why, size_t whysz) MP_WUR;

/* A group with its events as compact JSON; caller frees. */
char *daemon_alert_json_group(const struct daemon_alert_group *g);
/* A group holding only event i of g, as compact JSON (one webhook POST); caller frees. */
char *daemon_alert_json_group_one(const struct daemon_alert_group *g, size_t i);
/*
 * Parse text into *out (free with daemon_alert_group_free()); *out is set
 * only on success.  ERR_PARSE when the text is not a group of 1..10000
 * events (bounds as for records).
 */
enum mp_err daemon_alert_json_group_parse(const char *text, struct daemon_alert_group *out) MP_WUR;
/* The same, with the reason of an ERR_PARSE in why (as for records). */
enum mp_err daemon_alert_json_group_parse_why(const char *text, struct daemon_alert_group *out,
					      char *why, size_t whysz) MP_WUR;

#endif
