/*
 * daemon/mainloop: the event loop of mailpulsed.  One thread polls the
 * checks in flight (dns/runner through daemon/engine), the alert deliveries
 * (daemon/deliver: libcurl and the SMTP worker's result pipe), a self-pipe
 * written by the signal handlers and a pipe fed by the HTTP server's
 * callbacks; each turn it starts due checks, runs a round, delivers the
 * outbox, publishes a snapshot when something changed, prunes once a day
 * and pings the systemd watchdog.
 *
 * Signals (STYLE.md 19): the handlers only set a flag and write one byte.
 * SIGHUP (or POST /-/reload) reloads the config: a config that does not load
 * is logged and the old one keeps running (last_reload_ok false, shown in
 * /metrics); one that loads replaces the engine and the sender (the alert
 * state passes through the store) and checks every domain at once.  A
 * changed [web] listen address, port, token or limit restarts the HTTP
 * listener: the new one is started first (sharing the old socket when the
 * address and port stay), gets the current snapshot, and only then is the
 * old one stopped; if it cannot start (address in use, not allowed) the
 * whole reload is refused and the old config, listener included, keeps
 * running.  public_url and refresh need no restart.
 * SIGTERM/SIGINT: STOPPING, the web server stops, an SMTP session in
 * progress is broken off (its outbox row stays pending and is retried at the
 * next start, never marked sent), checks in flight are abandoned, the store
 * is closed, and run returns 0.
 *
 * What it does not: parse arguments or load the first config (mailpulsed.c).
 */
#ifndef MAILPULSE_DAEMON_MAINLOOP_H
#define MAILPULSE_DAEMON_MAINLOOP_H

#include "daemon/config.h"

/*
 * Run the daemon with cfg (taken over) loaded from path until SIGTERM or
 * SIGINT.  Returns the process exit status: 0 after a clean stop, 1 when
 * start-up failed (store, resolver, web server; the reason is logged).
 */
int daemon_mainloop_run(const char *path, struct daemon_config *cfg);

#endif
