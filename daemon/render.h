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
 * A report streamed as checks complete, in any order, and written in the
 * order the domains were given: a domain that completes early is rendered
 * at once and kept as text until the ones before it are written, so the
 * caller can free every posture as soon as it is reported.  JSON puts
 * "status" and "exit_code" after "domains"; Nagios output needs every
 * domain for its first line and is written by daemon_render_end().
 */
struct daemon_render;

/* Begin a report of n domains to out (borrowed) in fmt; explain adds every DNS question. */
struct daemon_render *daemon_render_begin(FILE *out, enum daemon_render_format fmt, bool explain,
					  size_t n);
/* Domain i (0 <= i < n, once each) completed as p (borrowed for the call only). */
void daemon_render_put(struct daemon_render *r, size_t i, struct dns_posture *p);
/*
 * Write what is left and free r.  Every domain must have been put.
 * Returns the overall exit code (the worst domain).
 */
int daemon_render_end(struct daemon_render *r);
/* Free r without ending the report (the checks could not complete).  NULL is a no-op. */
void daemon_render_abandon(struct daemon_render *r);

/*
 * Write the report of n completed checks to out in fmt; explain adds every
 * DNS question and answer.  Returns the overall exit code (the worst domain).
 */
int daemon_render_report(FILE *out, enum daemon_render_format fmt, struct dns_posture *const *p,
			 size_t n, bool explain);

/*
 * The SPF lookup tree of a completed check as compact JSON, the object
 * `--format json` prints under spf.tree (web/spftree.h describes it), for
 * the daemon's store and status page; NULL when the check built no tree.
 * Caller frees.
 */
char *daemon_render_spf_tree_json(const struct dns_posture *p);

#endif
