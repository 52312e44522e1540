/*
 * daemon/probe_inbound: the pure pieces of reading an inbound message for
 * the probe engine (daemon/probe; issue 4, DESIGN.md 2.2): finding a VERP
 * token among the recipients, picking a DSN's failed recipient, which
 * probe states a bounce or a return still changes, the round trip, the
 * client address SPF is evaluated for, and the verification job of a
 * returned probe.  No state, no store, no I/O: daemon/probe decides and
 * records.
 *
 * What it does not: parse messages (mail/dsn, mail/probe), verify
 * (mail/verify on the worker), or store anything.
 *
 * RFCs: 3464 2.3.3 (the DSN Action field), 5321 4.4 (Received), 5321
 * 4.5.5 (bounces have the null reverse-path).
 */
#ifndef MAILPULSE_DAEMON_PROBE_INBOUND_H
#define MAILPULSE_DAEMON_PROBE_INBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include "daemon/config.h"
#include "daemon/probe_worker.h"
#include "daemon/store_probe.h"
#include "mail/dsn.h"
#include "mail/probe.h"

/*
 * The token of the first VERP recipient (<verp_local>+TOKEN@bounce_domain,
 * domain compared case-insensitively) among the comma-separated rcpts
 * (NUL-terminated) into tok.  False (tok unspecified) when none is, or no
 * bounce_domain is configured.
 */
bool daemon_probe_inbound_verp_token(const struct daemon_config *cfg, const char *rcpts,
				     char tok[MAIL_PROBE_TOKEN_LEN + 1]);

/*
 * The first recipient of dsn whose Action is "failed" (RFC 3464 2.3.3),
 * borrowed from dsn; NULL when there is none (a delayed or delivered
 * notice).
 */
const struct mail_dsn_rcpt *daemon_probe_inbound_failed_rcpt(const struct mail_dsn *dsn);

/* True when a bounce still changes a probe in state s (not yet received). */
bool daemon_probe_inbound_may_bounce(enum daemon_probe_state s);

/* True when a probe in state s is finished: another copy of it is a duplicate. */
bool daemon_probe_inbound_finished(enum daemon_probe_state s);

/*
 * The round trip of probe r returned as in, in seconds: arrival minus the
 * relay's acceptance (the millisecond "submitted_ms" of its detail JSON
 * when there, else r->submitted); 0 when negative, -1 when the probe was
 * never accepted.
 */
double daemon_probe_inbound_roundtrip(const struct daemon_probe_row *r,
				      const struct daemon_inbound_row *in);

/*
 * The client address the SPF check of in is made for, into ip (ipsz
 * bytes): the listener's peer, else the IP literal of a seed box
 * message's topmost Received field (RFC 5321 4.4).  Returns false (ip set
 * to "0.0.0.0") when neither is known: SPF is then not held against the
 * probe.
 */
bool daemon_probe_inbound_client_ip(const struct daemon_inbound_row *in, char *ip, size_t ipsz);

/*
 * Fill *j (cleared first) with the VERIFY job of probe tok returned as in,
 * checked as coming from client_ip, under cfg's listener authserv-ids.
 * The job owns copies of everything (free with daemon_probe_job_clear()).
 */
void daemon_probe_inbound_verify_job(const struct daemon_config *cfg,
				     const struct daemon_inbound_row *in, const char *tok,
				     const char *client_ip, struct daemon_probe_job *j);

#endif
