/*
 * daemon/schedule: per-domain due times with reproducible jitter (see
 * schedule.h).  Linear scans: even 10,000 domains scan in microseconds per
 * tick, and ticks happen about once a second.
 */
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/schedule.h"

struct entry {
	char *name;
	unsigned interval;
	int64_t due;
	uint64_t round;
	bool running;
};

struct daemon_schedule {
	struct entry *e;
	size_t n;
	double jitter;
};

/* FNV-1a over the name and the round: the jitter is stable per (domain, round). */
static uint64_t mix(const char *name, uint64_t round)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	for (int i = 0; i < 8; i++)
		h = (h ^ ((round >> (8 * i)) & 0xff)) * 1099511628211ULL;
	return h;
}

struct daemon_schedule *daemon_schedule_new(const char *const *names, const unsigned *interval,
					    size_t n, double jitter, int64_t now)
{
	struct daemon_schedule *s = xcalloc(1, sizeof *s);

	s->e = xcalloc(n ? n : 1, sizeof *s->e);
	s->n = n;
	s->jitter = jitter < 0 ? 0 : jitter > 0.5 ? 0.5 : jitter;
	for (size_t i = 0; i < n; i++) {
		s->e[i].name = xstrdup(names[i]);
		s->e[i].interval = interval[i] ? interval[i] : 1;
		s->e[i].due = now;
	}
	return s;
}

void daemon_schedule_free(struct daemon_schedule *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].name);
	free(s->e);
	free(s);
}

size_t daemon_schedule_count(const struct daemon_schedule *s)
{
	return s->n;
}

long daemon_schedule_find(const struct daemon_schedule *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->e[i].name, name) == 0)
			return (long)i;
	return -1;
}

size_t daemon_schedule_take_due(struct daemon_schedule *s, int64_t now, size_t *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n && k < cap; i++) {
		if (!s->e[i].running && s->e[i].due <= now) {
			s->e[i].running = true;
			s->e[i].due = now;
			out[k++] = i;
		}
	}
	return k;
}

void daemon_schedule_finished(struct daemon_schedule *s, size_t i, int64_t now)
{
	struct entry *e = &s->e[i];
	double span = e->interval * s->jitter;
	/* A value in [-span, +span], from the domain's name and round. */
	double off = span * (((double)(mix(e->name, e->round) % 20001) / 10000.0) - 1.0);
	int64_t next = now + (int64_t)e->interval + (int64_t)off;

	e->running = false;
	e->round++;
	e->due = next > now ? next : now + 1;
}

enum mp_err daemon_schedule_run_now(struct daemon_schedule *s, size_t i, int64_t now)
{
	if (s->e[i].running)
		return ERR_AGAIN;
	s->e[i].due = now;
	return ERR_OK;
}

int64_t daemon_schedule_next_due(const struct daemon_schedule *s)
{
	int64_t best = INT64_MAX;

	for (size_t i = 0; i < s->n; i++)
		if (!s->e[i].running && s->e[i].due < best)
			best = s->e[i].due;
	return best;
}

int64_t daemon_schedule_due_at(const struct daemon_schedule *s, size_t i)
{
	return s->e[i].due;
}

bool daemon_schedule_running(const struct daemon_schedule *s, size_t i)
{
	return s->e[i].running;
}
