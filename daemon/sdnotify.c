/*
 * daemon/sdnotify: sd_notify(3) wrappers (see sdnotify.h).  Errors from
 * sd_notify are ignored on purpose: a failed notification must never stop
 * the monitor, and systemd reports a missing READY itself.
 */
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include "daemon/sdnotify.h"

void daemon_sdnotify_ready(const char *status)
{
	if (status)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	else
		sd_notify(0, "READY=1");
}

void daemon_sdnotify_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading configuration");
}

void daemon_sdnotify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void daemon_sdnotify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

void daemon_sdnotify_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

uint64_t daemon_sdnotify_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}
