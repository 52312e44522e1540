/*
 * daemon/sdnotify: the systemd notification protocol (Type=notify), the
 * only module including a libsystemd header.  Outside systemd
 * (NOTIFY_SOCKET unset) every call is a cheap no-op, so the daemon runs the
 * same in a terminal, in tests and under systemd.
 */
#ifndef MAILPULSE_DAEMON_SDNOTIFY_H
#define MAILPULSE_DAEMON_SDNOTIFY_H

#include <stdint.h>

/* READY=1 with a STATUS= line (status may be NULL). */
void daemon_sdnotify_ready(const char *status);
/* RELOADING=1 (SIGHUP received); follow with daemon_sdnotify_ready(). */
void daemon_sdnotify_reloading(void);
/* STOPPING=1 (SIGTERM received). */
void daemon_sdnotify_stopping(void);
/* WATCHDOG=1: call at least every daemon_sdnotify_watchdog_usec() / 2. */
void daemon_sdnotify_watchdog(void);
/* STATUS=<text>, shown by `systemctl status`. */
void daemon_sdnotify_status(const char *status);
/* The watchdog period in microseconds, 0 when no watchdog is configured. */
uint64_t daemon_sdnotify_watchdog_usec(void);

#endif
