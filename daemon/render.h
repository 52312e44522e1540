/*
 * daemon/render: the three faces of `mailpulse check` (DESIGN.md 5):
 *   text   for a founder: the status first, then what to fix, in plain words;
 *   json   for programs: {version, status, exit_code, domains:[{..., findings}]};
 *   nagios for monitoring: "STATUS: summary | perfdata" plus long output.
 * The exit code follows the Nagios plugin convention for every format:
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 *
 * Everything that came from DNS is escaped here: terminal control bytes never
 * reach a terminal (text, nagios) and JSON is always valid UTF-8.
 */
#ifndef MAILPULSE_DAEMON_RENDER_H
#define MAILPULSE_DAEMON_RENDER_H

#include <stdbool.h>
#include <stdio.h>
#include "dns/posture.h"

enum daemon_render_format { RENDER_TEXT, RENDER_JSON, RENDER_NAGIOS };

/* Parse "text" | "json" | "nagios"; ERR_INVAL otherwise. */
enum mp_err daemon_render_parse_format(const char *s, enum daemon_render_format *out) MP_WUR;

/* Nagios exit code for one domain's findings (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
int daemon_render_exit_code(const struct dns_findings *f);

/*
 * Write the report of n completed checks to out in fmt; explain adds every
 * DNS question and answer.  Returns the overall exit code (the worst domain).
 */
int daemon_render_report(FILE *out, enum daemon_render_format fmt, struct dns_posture *const *p,
			 size_t n, bool explain);

#endif
