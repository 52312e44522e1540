/*
 * daemon/store_probe: probes and inbound messages in the store (schema
 * version 5, daemon/store_schema).
 *
 *  - `inbound`: every message the SMTP listener accepted or an IMAP seed box
 *    gave us, committed before the listener's final 250 (issue 4: an accepted
 *    message is never lost), with its envelope and where it came from, until
 *    the probe engine has processed it (then marked, kept for the history
 *    window like results).
 *  - `probes`: one row per probe sent: token, domain, state and timestamps,
 *    the submission transcript summary, and the verdict (SPF, DKIM, DMARC,
 *    alignment, folder, upstream and our Authentication-Results, the bounce).
 *
 * CONTRACT (issue 4, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: the probe engine codes against them).
 *
 * Threads: like every daemon/store function these use the one connection of
 * the thread that opened it.  The listener's session threads open their own
 * connection (daemon_store_open on the same file; WAL + busy timeout
 * serialise writers) and call only daemon_store_inbound_add() on it.
 */
#ifndef MAILPULSE_DAEMON_STORE_PROBE_H
#define MAILPULSE_DAEMON_STORE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/store.h"

enum daemon_probe_state {
	DAEMON_PROBE_PENDING = 0, /* composed, not yet accepted by the relay */
	DAEMON_PROBE_SUBMITTED,	  /* the relay took it (queue id kept) */
	DAEMON_PROBE_SEND_FAILED, /* the relay refused it or could not be reached */
	DAEMON_PROBE_RECEIVED,	  /* it came back; verification pending */
	DAEMON_PROBE_VERIFIED,	  /* it came back and SPF, DKIM and DMARC pass and align */
	DAEMON_PROBE_FAILED,	  /* it came back but authentication failed or was misaligned */
	DAEMON_PROBE_BOUNCED,	  /* a DSN for it arrived */
	DAEMON_PROBE_LOST,	  /* no return within the timeout */
};

struct daemon_probe_row {
	char token[32];
	char *domain; /* owned */
	enum daemon_probe_state state;
	int64_t created;    /* unix seconds */
	int64_t submitted;  /* 0 when not */
	int64_t received;   /* 0 when not */
	double roundtrip_s; /* received - submitted in seconds (sub-second), < 0 when not */
	char *relay;	    /* [relay] section name; owned */
	char *rcpt;	    /* where it was sent (listener address or seed box); owned */
	char *queue_id;	    /* relay's queue id, owned, "" */
	char *error;	    /* send failure or verification error in plain words; owned, "" */
	char *folder;	    /* "inbox" "spam" (seed boxes), "listener", ""; owned */
	char *spf;	    /* RFC 7208 result word for MAIL FROM, ""; owned */
	char *dkim;   /* "pass" when an aligned signature passed, else the best result; owned */
	char *dmarc;  /* "pass" "fail" "none" ...; owned */
	bool aligned; /* DMARC identifier alignment held */
	char *bounce_status; /* "5.1.1", ""; owned */
	char *bounce_reason; /* Sisimai word, ""; owned */
	int bounce_code;     /* 550, 0 */
	char *bounce_diag;   /* owned, "" */
	char *detail_json;   /* the whole verdict for the page and the API (signatures,
				upstream and our Authentication-Results, headers); owned, "{}" */
};

struct daemon_inbound_row {
	int64_t id;
	int64_t received;     /* unix seconds */
	double received_frac; /* sub-second part, for round trips */
	char *source;	      /* "listener" or "imap:NAME"; owned */
	char *folder;	      /* "inbox" "spam" for IMAP, "" for the listener; owned */
	char *client_ip;      /* owned, "" for IMAP */
	char *helo;	      /* owned */
	char *mail_from;      /* owned */
	char *rcpts;	      /* comma separated; owned */
	char *data;	      /* the message; owned */
	size_t len;
};

/* Add one accepted message durably (a committed transaction of its own).
   Returns only after the commit: the listener answers 250 after this. */
enum mp_err daemon_store_inbound_add(struct daemon_store *s, const struct daemon_inbound_row *r,
				     int64_t *id) MP_WUR;
/* Up to max unprocessed inbound rows, oldest first.  Free with _rows_free. */
enum mp_err daemon_store_inbound_pending(struct daemon_store *s, size_t max,
					 struct daemon_inbound_row **out, size_t *n) MP_WUR;
/* Mark processed, with what it was ("probe" "bounce" "report" "unknown"). */
enum mp_err daemon_store_inbound_done(struct daemon_store *s, int64_t id, const char *kind) MP_WUR;
void daemon_store_inbound_rows_free(struct daemon_inbound_row *r, size_t n);

/* Insert a new probe (state usually PENDING). */
enum mp_err daemon_store_probe_insert(struct daemon_store *s,
				      const struct daemon_probe_row *r) MP_WUR;
/* Replace every column of the probe with r->token. ERR_NOTFOUND if none. */
enum mp_err daemon_store_probe_update(struct daemon_store *s,
				      const struct daemon_probe_row *r) MP_WUR;
/* The probe with this token (case-insensitive).  ERR_NOTFOUND if none. */
enum mp_err daemon_store_probe_get(struct daemon_store *s, const char *token,
				   struct daemon_probe_row *out) MP_WUR;
/* The last max probes of domain, newest first. */
enum mp_err daemon_store_probe_recent(struct daemon_store *s, const char *domain, size_t max,
				      struct daemon_probe_row **out, size_t *n) MP_WUR;
/* Probes in PENDING, SUBMITTED or RECEIVED (restart recovery, lost timeouts). */
enum mp_err daemon_store_probe_open(struct daemon_store *s, struct daemon_probe_row **out,
				    size_t *n) MP_WUR;
void daemon_store_probe_row_free(struct daemon_probe_row *r);
void daemon_store_probe_rows_free(struct daemon_probe_row *r, size_t n);

/*
 * Retention: delete the probes of each domain beyond its keep newest
 * (never an open one: pending, submitted, received) and the processed
 * inbound messages received before now - DAEMON_STORE_KEEP_RESULTS_SECS
 * (unprocessed ones are never deleted).
 * Works in chunks, each its own transaction (not inside a batch).  Counts
 * go to *probes and *inbound (either may be NULL).
 */
enum mp_err daemon_store_probe_prune(struct daemon_store *s, int64_t now, unsigned keep,
				     uint64_t *probes, uint64_t *inbound) MP_WUR;

/* Limits checked before anything is stored (ERR_LIMIT / ERR_INVAL beyond them). */
#define DAEMON_STORE_MAX_MESSAGE (110u * 1024 * 1024) /* inbound data: 100M + headers */
#define DAEMON_STORE_MAX_PROBE_TEXT (64 * 1024)	      /* error, diag, rcpts, one text */
#define DAEMON_STORE_MAX_DETAIL (1024 * 1024)	      /* detail_json */

/* "pending" "submitted" "send_failed" "received" "verified" "failed" "bounced" "lost". */
const char *daemon_probe_state_name(enum daemon_probe_state s);
bool daemon_probe_state_parse(const char *name, enum daemon_probe_state *out);

#endif
