/*
 * daemon/schedule: when each domain is checked next (issue 3 "Scheduler").
 *
 * Every domain is checked once at start (and after a reload), then every
 * interval with a jitter, so a thousand domains with the same interval do not
 * all hit the resolver in the same second.  The jitter of a domain is
 * derived from its name and the round, so it is reproducible in tests and
 * still spreads domains apart.  A domain whose check is still running is not
 * started again; a check requested through the API runs at the next tick.
 *
 * Pure: no clock of its own (callers pass `now`, unix seconds), no I/O.
 */
#ifndef MAILPULSE_DAEMON_SCHEDULE_H
#define MAILPULSE_DAEMON_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

struct daemon_schedule;

/*
 * A schedule for n domains (names copied), each with its interval in
 * seconds (>= 1) and a jitter fraction (0..0.5 of the interval, e.g. 0.1).
 * Every domain is due at `now` (the immediate check at start).
 */
struct daemon_schedule *daemon_schedule_new(const char *const *names, const unsigned *interval,
					    size_t n, double jitter, int64_t now);
void daemon_schedule_free(struct daemon_schedule *s);

/* Number of domains. */
size_t daemon_schedule_count(const struct daemon_schedule *s);
/* Index of the domain with this name, or -1. */
long daemon_schedule_find(const struct daemon_schedule *s, const char *name);

/*
 * Indexes of domains due at now and not running, at most cap of them, in
 * index order; each returned domain is marked running.  Returns how many.
 */
size_t daemon_schedule_take_due(struct daemon_schedule *s, int64_t now, size_t *out, size_t cap);
/* The check of domain i finished at now: the next one is due one interval (+- jitter) later. */
void daemon_schedule_finished(struct daemon_schedule *s, size_t i, int64_t now);
/* Run domain i at the next tick (API "check now"); ERR_AGAIN if it is running already. */
enum mp_err daemon_schedule_run_now(struct daemon_schedule *s, size_t i, int64_t now) MP_WUR;
/* The earliest time a domain that is not running is due (INT64_MAX when none). */
int64_t daemon_schedule_next_due(const struct daemon_schedule *s);
/* When domain i is due next (for the page); running domains return their start time. */
int64_t daemon_schedule_due_at(const struct daemon_schedule *s, size_t i);
bool daemon_schedule_running(const struct daemon_schedule *s, size_t i);

#endif
