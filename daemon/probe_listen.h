/*
 * daemon/probe_listen: mailpulsed's inbound SMTP listener (issue 4
 * "Receiving"), the glue between mail/smtpd and the store.
 *
 *  - RCPT: accepted are the [listener] addresses and the VERP bounce
 *    addresses <verp_local>+TOKEN@bounce_domain whose TOKEN is well formed
 *    (mail/probe).  Any other address at a domain we serve (those of the
 *    [listener] addresses and the bounce domain) is an unknown user (550
 *    5.1.1), any other domain is refused as relaying (550 5.7.1: never a
 *    relay).  The accepted set is a private copy swapped under a mutex on a
 *    reload, so session threads never read a freed config.
 *  - DATA: the message is committed to the store (daemon_store_inbound_add,
 *    source "listener", arrival time to the microsecond) on the listener's
 *    own store connection, one session at a time under a mutex, before
 *    mail/smtpd sends its final 250: an accepted message is never lost.  A
 *    byte on a pipe then wakes the main loop, which processes it
 *    (daemon/probe).
 *  - Reload: the listener restarts only when its socket or session
 *    settings changed (listen, hostname, TLS files, limits, timeouts);
 *    addresses, VERP settings and authserv-ids change in place.
 *
 * What it does not: read messages (daemon/probe does), speak SMTP
 * (mail/smtpd), or bind privileged ports by itself (systemd's
 * CAP_NET_BIND_SERVICE does).
 */
#ifndef MAILPULSE_DAEMON_PROBE_LISTEN_H
#define MAILPULSE_DAEMON_PROBE_LISTEN_H

#include <stdbool.h>
#include "common/err.h"
#include "daemon/config.h"
#include "mail/smtpd.h"

struct daemon_probe_listen;

/*
 * Make *lp match cfg: start the listener when [listener] appears (opening
 * its own connection to the store file db_path), stop it when it goes,
 * restart it when its settings changed, else update the accepted
 * addresses.  ERR_NET / ERR_TLS / ERR_IO when it cannot be started (why
 * says why; *lp is then NULL: no listener runs).
 */
enum mp_err daemon_probe_listen_apply(struct daemon_probe_listen **lp,
				      const struct daemon_config *cfg, const char *db_path,
				      char *why, size_t whysz) MP_WUR;
/* Stop accepting, let sessions finish their commit, free.  NULL is a no-op. */
void daemon_probe_listen_stop(struct daemon_probe_listen *l);
/* The fd the main loop polls: readable after a message was committed; -1 for NULL. */
int daemon_probe_listen_fd(const struct daemon_probe_listen *l);
/* Empty the wake-up pipe. */
void daemon_probe_listen_drain(struct daemon_probe_listen *l);
/* The port bound (tests start it on port 0). */
unsigned daemon_probe_listen_port(const struct daemon_probe_listen *l);
/* Whether RCPT TO addr is accepted. */
bool daemon_probe_listen_accepts(struct daemon_probe_listen *l, const char *addr);
/* What the session threads ask: ACCEPT for an accepted address,
   UNKNOWN_USER for any other address at a domain the listener serves (the
   domains of the [listener] addresses and the bounce domain; also a local
   part without a domain), RELAY_DENIED for every other domain. */
enum mail_smtpd_rcpt daemon_probe_listen_check(struct daemon_probe_listen *l, const char *addr);

#endif
