/*
 * daemon/alert: the alert engine (see alert.h for the model).
 *
 * One record per open (domain, check, track) plus the closed episodes that
 * still wait for something (the firing's delivery outcome, or their resolve
 * to be handed out).  Records are kept sorted by (domain, check, severity,
 * started_at) so one domain's records are contiguous (grouping) and lookups
 * are a binary search.
 *
 * Transitions of one track for one result (F failures, S successes):
 *
 *   phase      result   counters        next phase                message owed
 *   (none)     fail     fails=1         PENDING (FIRING if F=1)   (FIRING if F=1)
 *   (none)     ok       -               (none)                    -
 *   PENDING    fail     fails++         FIRING once fails >= F    FIRING, in the group
 *   PENDING    ok       dropped         (none)                    - (never fired)
 *   FIRING     fail     fails++         FIRING                    -
 *   FIRING     ok       fails=0, oks=1  RESOLVING (closed if S=1) -
 *   RESOLVING  fail     oks=0, fails=1  FIRING (same episode)     -
 *   RESOLVING  ok       oks++           closed once oks >= S      see below
 *   any        unknown  untouched       unchanged                 -
 *
 *   close, by the firing's delivery: not handed out -> dropped, nothing sent;
 *   handed out, outcome unknown -> CLOSED, waits; delivered -> CLOSED,
 *   RESOLVED owed; failed -> dropped, nothing sent.
 *
 *   tick: FIRING with a firing delivered (or failed) and a reminder interval
 *   -> REMINDER owed every interval since the last one handed out.
 *   Inhibition: a warn track's FIRING/REMINDER is not owed while the critical
 *   track of the same (domain, check) is FIRING or RESOLVING.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "daemon/alert_rec.h"

struct daemon_alert {
	struct daemon_alert_config cfg;
	struct daemon_alert_rec_set s; /* sorted by (domain, check, severity, started_at) */
};

enum track_result { TR_UNKNOWN, TR_OK, TR_FAIL };

static const char self_message[] =
    "The daemon's own DNS resolver is not answering, so every domain result is "
    "unknown: domain alerts are paused until it is back.";
static const char self_fix[] = "Check the [dns] resolvers in the configuration and the network "
			       "of the host that runs mailpulsed.";

void daemon_alert_config_default(struct daemon_alert_config *c)
{
	c->failures = DAEMON_ALERT_F_DEFAULT;
	c->successes = DAEMON_ALERT_S_DEFAULT;
	c->group_wait = DAEMON_ALERT_GROUP_WAIT_DEFAULT;
	c->reminder_interval = 0;
	c->min_severity = SEV_WARN;
	c->silent = false;
}

static enum mp_err bad(char *why, size_t whysz, const char *text)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", text);
	return ERR_INVAL;
}

enum mp_err daemon_alert_config_check(const struct daemon_alert_config *c, char *why, size_t whysz)
{
	if (c->failures < 1 || c->failures > 1000)
		return bad(why, whysz, "failure threshold must be between 1 and 1000 results");
	if (c->successes < 1 || c->successes > 1000)
		return bad(why, whysz, "success threshold must be between 1 and 1000 results");
	if (c->group_wait < 0 || c->group_wait > 3600)
		return bad(why, whysz, "group wait must be between 0 and 3600 seconds");
	if (c->reminder_interval != 0 && (c->reminder_interval < DAEMON_ALERT_REMINDER_MIN ||
					  c->reminder_interval > 366 * 86400))
		return bad(why, whysz,
			   "reminder interval must be 0 (off) or between 5 minutes and 366 days");
	if (c->min_severity != SEV_WARN && c->min_severity != SEV_CRITICAL)
		return bad(why, whysz, "minimum severity must be warn or critical");
	return ERR_OK;
}

enum mp_err daemon_alert_new(const struct daemon_alert_config *c, struct daemon_alert **out,
			     char *why, size_t whysz)
{
	struct daemon_alert *a;
	enum mp_err err = daemon_alert_config_check(c, why, whysz);

	if (err != ERR_OK)
		return err;
	a = xcalloc(1, sizeof *a);
	a->cfg = *c;
	*out = a;
	return ERR_OK;
}

void daemon_alert_free(struct daemon_alert *a)
{
	if (a == NULL)
		return;
	daemon_alert_rec_set_free(&a->s);
	free(a);
}

/* ---- changes ---- */

static void note(struct daemon_alert_changes *ch, const struct daemon_alert_record *r,
		 enum daemon_alert_phase from, enum daemon_alert_phase to, int64_t now)
{
	struct daemon_alert_change *c;

	if (ch == NULL || from == to)
		return;
	ch->v = xreallocarray(ch->v, ch->n + 1, sizeof *ch->v);
	c = &ch->v[ch->n++];
	c->domain = xstrdup(r->domain);
	c->check = xstrdup(r->check);
	c->severity = r->severity;
	c->from = from;
	c->to = to;
	memcpy(c->episode_id, r->episode_id, sizeof c->episode_id);
	c->at = now;
}

void daemon_alert_changes_free(struct daemon_alert_changes *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].domain);
		free(c->v[i].check);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* ---- the state machine ---- */

/* Finding check names are compared NULL-safely: a finding without one belongs to no check. */
static bool same(const char *x, const char *y)
{
	return x != NULL && y != NULL && strcmp(x, y) == 0;
}

static bool is_self(const struct daemon_alert_record *r)
{
	return r->domain[0] == '\0';
}

bool daemon_alert_degraded(const struct daemon_alert *a)
{
	struct daemon_alert_record *r =
	    daemon_alert_rec_find_open(&a->s, "", DAEMON_ALERT_SELF_CHECK, SEV_CRITICAL);

	return r != NULL;
}

/* When a message owed now for domain is due: with its open group, else after group_wait. */
static int64_t group_due(const struct daemon_alert *a, const char *domain, int64_t now,
			 const struct daemon_alert_record *self)
{
	int64_t due = INT64_MAX;

	for (size_t i = daemon_alert_rec_lower_bound(&a->s, domain, NULL, SEV_OK); i < a->s.n;
	     i++) {
		const struct daemon_alert_record *r = &a->s.v[i];

		if (strcmp(r->domain, domain) != 0)
			break;
		if (r != self && r->owed != DAEMON_ALERT_NONE && r->due_at < due)
			due = r->due_at;
	}
	return due != INT64_MAX ? due : now + a->cfg.group_wait;
}

static void owe(struct daemon_alert *a, struct daemon_alert_record *r, enum daemon_alert_kind k,
		int64_t now)
{
	if (a->cfg.silent) /* a state-only engine owes nobody anything */
		return;
	r->due_at = group_due(a, r->domain, now, r);
	r->owed = k;
}

static void fire(struct daemon_alert *a, struct daemon_alert_record *r, int64_t now)
{
	r->phase = DAEMON_ALERT_FIRING;
	r->fired_at = now;
	r->fired = DAEMON_ALERT_DLV_NONE;
	daemon_alert_episode_id(r->domain, r->check, r->severity, r->started_at, r->episode_id);
	owe(a, r, DAEMON_ALERT_FIRING_EV, now);
}

/* The episode cleared (see the table above). */
static void close_episode(struct daemon_alert *a, struct daemon_alert_record *r, int64_t now,
			  struct daemon_alert_changes *ch)
{
	note(ch, r, r->phase, DAEMON_ALERT_OK, now);
	r->ended_at = now;
	r->fails = 0;
	switch (r->fired) {
	case DAEMON_ALERT_DLV_HANDED:
		r->phase = DAEMON_ALERT_CLOSED;
		r->owed = DAEMON_ALERT_NONE;
		return;
	case DAEMON_ALERT_DLV_DELIVERED:
		r->phase = DAEMON_ALERT_CLOSED;
		/* A reminder not handed out yet is replaced by the resolve. */
		r->owed = DAEMON_ALERT_NONE;
		owe(a, r, DAEMON_ALERT_RESOLVED_EV, now);
		return;
	case DAEMON_ALERT_DLV_NONE:
	case DAEMON_ALERT_DLV_FAILED:
		/* Nobody was told it fired: nobody is told it resolved. */
		daemon_alert_rec_remove(&a->s, r);
		return;
	}
}

static unsigned sat_inc(unsigned v)
{
	return v < UINT32_MAX ? v + 1 : v;
}

/* Keep the failing findings of check at or above the track's severity, worst first. */
static void keep_findings(struct daemon_alert_record *r, const struct dns_findings *f,
			  const char *check)
{
	static const enum dns_sev order[] = {SEV_CRITICAL, SEV_WARN};
	size_t n = 0;

	daemon_alert_rec_findings_free(r->findings, r->nfindings);
	r->findings = xcalloc(DAEMON_ALERT_MAX_FINDINGS, sizeof *r->findings);
	for (size_t o = 0; o < 2; o++) {
		if (order[o] == SEV_WARN && r->severity == SEV_CRITICAL)
			break;
		for (size_t i = 0; i < f->n && n < DAEMON_ALERT_MAX_FINDINGS; i++) {
			const struct dns_finding *x = &f->v[i];

			if (x->sev != order[o] || !same(x->check, check))
				continue;
			r->findings[n].code = daemon_alert_rec_text_dup(x->code);
			r->findings[n].sev = x->sev;
			r->findings[n].message =
			    daemon_alert_rec_text_dup(x->message ? x->message : "");
			r->findings[n].fix = daemon_alert_rec_text_dup(x->fix);
			n++;
		}
	}
	r->nfindings = n;
}

static void step_fail(struct daemon_alert *a, struct daemon_alert_record *r, int64_t now,
		      struct daemon_alert_changes *ch, enum daemon_alert_phase from)
{
	r->fails = sat_inc(r->fails);
	r->oks = 0;
	r->failures = sat_inc(r->failures);
	if (r->phase == DAEMON_ALERT_PENDING && r->fails >= a->cfg.failures)
		fire(a, r, now);
	else if (r->phase == DAEMON_ALERT_RESOLVING)
		r->phase = DAEMON_ALERT_FIRING;
	note(ch, r, from, r->phase, now);
}

static void step_ok(struct daemon_alert *a, struct daemon_alert_record *r, int64_t now,
		    struct daemon_alert_changes *ch)
{
	enum daemon_alert_phase from = r->phase;

	if (r->phase == DAEMON_ALERT_PENDING) {
		note(ch, r, from, DAEMON_ALERT_OK, now);
		daemon_alert_rec_remove(&a->s, r);
		return;
	}
	r->fails = 0;
	r->oks = sat_inc(r->oks);
	if (r->oks >= a->cfg.successes) {
		close_episode(a, r, now, ch);
		return;
	}
	r->phase = DAEMON_ALERT_RESOLVING;
	note(ch, r, from, r->phase, now);
}

static void step(struct daemon_alert *a, const char *domain, const char *check, enum dns_sev sev,
		 enum track_result res, const struct dns_findings *f, int64_t now,
		 struct daemon_alert_changes *ch)
{
	struct daemon_alert_record *r = daemon_alert_rec_find_open(&a->s, domain, check, sev);
	enum daemon_alert_phase from = r ? r->phase : DAEMON_ALERT_OK;

	if (res == TR_UNKNOWN || (res == TR_OK && r == NULL))
		return;
	if (res == TR_OK) {
		step_ok(a, r, now, ch);
		return;
	}
	if (r == NULL)
		r = daemon_alert_rec_insert(&a->s, domain, check, sev, now);
	keep_findings(r, f, check);
	step_fail(a, r, now, ch, from);
}

/* Warn inhibited by an open critical episode of the same check, or released (alert.h). */
static void reconcile(struct daemon_alert *a, const char *domain, const char *check, int64_t now)
{
	struct daemon_alert_record *w = daemon_alert_rec_find_open(&a->s, domain, check, SEV_WARN);
	struct daemon_alert_record *c =
	    daemon_alert_rec_find_open(&a->s, domain, check, SEV_CRITICAL);
	bool crit_open =
	    c != NULL && (c->phase == DAEMON_ALERT_FIRING || c->phase == DAEMON_ALERT_RESOLVING);

	if (w == NULL)
		return;
	if (crit_open) {
		if (w->owed == DAEMON_ALERT_FIRING_EV || w->owed == DAEMON_ALERT_REMINDER_EV)
			w->owed = DAEMON_ALERT_NONE;
	} else if (w->phase == DAEMON_ALERT_FIRING && w->fired == DAEMON_ALERT_DLV_NONE &&
		   w->owed == DAEMON_ALERT_NONE) {
		owe(a, w, DAEMON_ALERT_FIRING_EV, now);
	}
}

static bool inhibited(const struct daemon_alert *a, const struct daemon_alert_record *r)
{
	const struct daemon_alert_record *c;

	if (r->severity != SEV_WARN)
		return false;
	c = daemon_alert_rec_find_open(&a->s, r->domain, r->check, SEV_CRITICAL);
	return c != NULL && (c->phase == DAEMON_ALERT_FIRING || c->phase == DAEMON_ALERT_RESOLVING);
}

/* Both tracks' results for check from its findings (alert.h: unknown handling). */
static void classify(const struct dns_findings *f, const char *check, enum track_result *warn,
		     enum track_result *crit)
{
	bool has_crit = false, has_warn = false, has_unknown = false;

	for (size_t i = 0; i < f->n; i++) {
		if (!same(f->v[i].check, check))
			continue;
		has_crit |= f->v[i].sev == SEV_CRITICAL;
		has_warn |= f->v[i].sev == SEV_WARN;
		has_unknown |= f->v[i].sev == SEV_UNKNOWN;
	}
	*crit = has_crit ? TR_FAIL : has_unknown ? TR_UNKNOWN : TR_OK;
	*warn = (has_crit || has_warn) ? TR_FAIL : has_unknown ? TR_UNKNOWN : TR_OK;
}

static bool seen_before(const struct dns_findings *f, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (same(f->v[j].check, f->v[i].check))
			return true;
	return false;
}

void daemon_alert_observe(struct daemon_alert *a, const char *domain, const struct dns_findings *f,
			  int64_t now, struct daemon_alert_changes *changes)
{
	if (daemon_alert_degraded(a) || domain[0] == '\0')
		return;
	for (size_t i = 0; i < f->n; i++) {
		const char *check = f->v[i].check;
		enum track_result warn, crit;

		if (check == NULL || check[0] == '\0' || seen_before(f, i))
			continue;
		classify(f, check, &warn, &crit);
		/* Critical first: a warn episode firing with it is then inhibited at once. */
		step(a, domain, check, SEV_CRITICAL, crit, f, now, changes);
		if (a->cfg.min_severity == SEV_WARN)
			step(a, domain, check, SEV_WARN, warn, f, now, changes);
		reconcile(a, domain, check, now);
	}
}

void daemon_alert_set_degraded(struct daemon_alert *a, bool down, const char *reason, int64_t now,
			       struct daemon_alert_changes *changes)
{
	struct daemon_alert_record *r =
	    daemon_alert_rec_find_open(&a->s, "", DAEMON_ALERT_SELF_CHECK, SEV_CRITICAL);

	if (down && r == NULL) {
		r = daemon_alert_rec_insert(&a->s, "", DAEMON_ALERT_SELF_CHECK, SEV_CRITICAL, now);
		r->fails = r->failures = 1;
		r->findings = xcalloc(1, sizeof *r->findings);
		r->nfindings = 1;
		r->findings[0].code = xstrdup("MONITORING_DEGRADED");
		r->findings[0].sev = SEV_CRITICAL;
		r->findings[0].message =
		    daemon_alert_rec_text_dup(reason && reason[0] ? reason : self_message);
		r->findings[0].fix = xstrdup(self_fix);
		fire(a, r, now);
		note(changes, r, DAEMON_ALERT_OK, DAEMON_ALERT_FIRING, now);
	} else if (!down && r != NULL) {
		close_episode(a, r, now, changes);
	}
}

/* ---- ticks ---- */

static bool reminder_eligible(const struct daemon_alert *a, const struct daemon_alert_record *r,
			      bool degraded)
{
	return a->cfg.reminder_interval > 0 && r->phase == DAEMON_ALERT_FIRING &&
	       r->owed == DAEMON_ALERT_NONE &&
	       (r->fired == DAEMON_ALERT_DLV_DELIVERED || r->fired == DAEMON_ALERT_DLV_FAILED) &&
	       (!degraded || is_self(r)) && !inhibited(a, r);
}

static void schedule_reminders(struct daemon_alert *a, int64_t now)
{
	bool degraded = daemon_alert_degraded(a);

	for (size_t i = 0; i < a->s.n; i++) {
		struct daemon_alert_record *r = &a->s.v[i];

		if (reminder_eligible(a, r, degraded) &&
		    now - r->last_notified_at >= a->cfg.reminder_interval)
			owe(a, r, DAEMON_ALERT_REMINDER_EV, now);
	}
}

static int kind_rank(enum daemon_alert_kind k)
{
	return k == DAEMON_ALERT_FIRING_EV ? 0 : k == DAEMON_ALERT_REMINDER_EV ? 1 : 2;
}

static int event_cmp(const void *x, const void *y)
{
	const struct daemon_alert_event *a = x, *b = y;

	if (kind_rank(a->kind) != kind_rank(b->kind))
		return kind_rank(a->kind) - kind_rank(b->kind);
	if (a->severity != b->severity)
		return (int)b->severity - (int)a->severity;
	return strcmp(a->check, b->check);
}

static void make_event(struct daemon_alert *a, const struct daemon_alert_record *r,
		       struct daemon_alert_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = r->owed;
	memcpy(ev->episode_id, r->episode_id, sizeof ev->episode_id);
	ev->domain = xstrdup(r->domain);
	ev->check = xstrdup(r->check);
	ev->severity = r->severity;
	ev->started_at = r->started_at;
	ev->fired_at = r->fired_at;
	ev->failures = r->failures;
	ev->now_sev = r->severity;
	ev->findings = daemon_alert_rec_findings_dup(r->findings, r->nfindings);
	ev->nfindings = r->nfindings;
	if (r->owed == DAEMON_ALERT_RESOLVED_EV) {
		const struct daemon_alert_record *w =
		    daemon_alert_rec_find_open(&a->s, r->domain, r->check, SEV_WARN);

		ev->ended_at = r->ended_at;
		ev->duration = r->ended_at > r->started_at ? r->ended_at - r->started_at : 0;
		ev->now_sev =
		    (r->severity == SEV_CRITICAL && w != NULL && w->phase != DAEMON_ALERT_PENDING)
			? SEV_WARN
			: SEV_OK;
	}
}

/* Build the group of the domain starting at index lo and mark its records handed out. */
static void flush_domain(struct daemon_alert *a, size_t lo, int64_t now,
			 struct daemon_alert_group *g)
{
	const char *domain = a->s.v[lo].domain;
	size_t i;

	memset(g, 0, sizeof *g);
	g->domain = xstrdup(domain);
	g->at = now;
	for (i = lo; i < a->s.n && strcmp(a->s.v[i].domain, g->domain) == 0; i++) {
		if (a->s.v[i].owed == DAEMON_ALERT_NONE)
			continue;
		g->events = xreallocarray(g->events, g->nevents + 1, sizeof *g->events);
		make_event(a, &a->s.v[i], &g->events[g->nevents++]);
	}
	qsort(g->events, g->nevents, sizeof *g->events, event_cmp);
	/* Mark afterwards: make_event reads sibling records of the domain. */
	for (i = lo; i < a->s.n && strcmp(a->s.v[i].domain, g->domain) == 0;) {
		struct daemon_alert_record *r = &a->s.v[i];
		enum daemon_alert_kind k = r->owed;

		r->owed = DAEMON_ALERT_NONE;
		if (k == DAEMON_ALERT_RESOLVED_EV) {
			daemon_alert_rec_remove_at(&a->s, i);
			continue;
		}
		if (k != DAEMON_ALERT_NONE) {
			r->last_notified_at = now;
			if (r->fired != DAEMON_ALERT_DLV_DELIVERED)
				r->fired = DAEMON_ALERT_DLV_HANDED;
		}
		i++;
	}
}

static bool domain_due(const struct daemon_alert *a, size_t lo, int64_t now, bool degraded,
		       size_t *hi)
{
	bool due = false;
	size_t i;

	for (i = lo; i < a->s.n && strcmp(a->s.v[i].domain, a->s.v[lo].domain) == 0; i++)
		if (a->s.v[i].owed != DAEMON_ALERT_NONE && a->s.v[i].due_at <= now)
			due = true;
	*hi = i;
	/* The guard holds domain messages until the resolver is back. */
	return due && (!degraded || a->s.v[lo].domain[0] == '\0');
}

void daemon_alert_tick(struct daemon_alert *a, int64_t now, struct daemon_alert_batch *out)
{
	bool degraded;
	size_t lo = 0, hi;

	memset(out, 0, sizeof *out);
	schedule_reminders(a, now);
	degraded = daemon_alert_degraded(a);
	while (lo < a->s.n) {
		size_t before = a->s.n;

		if (!domain_due(a, lo, now, degraded, &hi)) {
			lo = hi;
			continue;
		}
		out->groups = xreallocarray(out->groups, out->ngroups + 1, sizeof *out->groups);
		flush_domain(a, lo, now, &out->groups[out->ngroups++]);
		lo = hi - (before - a->s.n);
	}
}

int64_t daemon_alert_next_due(const struct daemon_alert *a)
{
	bool degraded = daemon_alert_degraded(a);
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < a->s.n; i++) {
		const struct daemon_alert_record *r = &a->s.v[i];

		if (r->owed != DAEMON_ALERT_NONE && (!degraded || is_self(r)) && r->due_at < next)
			next = r->due_at;
		if (reminder_eligible(a, r, degraded) &&
		    r->last_notified_at + a->cfg.reminder_interval < next)
			next = r->last_notified_at + a->cfg.reminder_interval;
	}
	return next;
}

bool daemon_alert_delivery(struct daemon_alert *a, const char *episode_id,
			   enum daemon_alert_kind kind, bool delivered, int64_t now)
{
	struct daemon_alert_record *r = NULL;

	if (kind != DAEMON_ALERT_FIRING_EV && kind != DAEMON_ALERT_REMINDER_EV)
		return false;
	for (size_t i = 0; i < a->s.n && r == NULL; i++)
		if (strcmp(a->s.v[i].episode_id, episode_id) == 0 &&
		    a->s.v[i].episode_id[0] != '\0')
			r = &a->s.v[i];
	if (r == NULL || r->fired != DAEMON_ALERT_DLV_HANDED)
		return false;
	r->fired = delivered ? DAEMON_ALERT_DLV_DELIVERED : DAEMON_ALERT_DLV_FAILED;
	if (r->phase == DAEMON_ALERT_CLOSED) {
		if (delivered)
			owe(a, r, DAEMON_ALERT_RESOLVED_EV, now);
		else
			daemon_alert_rec_remove(&a->s, r);
	}
	return true;
}

size_t daemon_alert_forget_domain(struct daemon_alert *a, const char *domain)
{
	size_t lo = daemon_alert_rec_lower_bound(&a->s, domain, NULL, SEV_OK), n = 0;

	while (lo < a->s.n && strcmp(a->s.v[lo].domain, domain) == 0) {
		daemon_alert_rec_remove_at(&a->s, lo);
		n++;
	}
	return n;
}

enum daemon_alert_phase daemon_alert_check_phase(const struct daemon_alert *a, const char *domain,
						 const char *check)
{
	static const int rank[] = {[DAEMON_ALERT_OK] = 0,
				   [DAEMON_ALERT_PENDING] = 1,
				   [DAEMON_ALERT_RESOLVING] = 2,
				   [DAEMON_ALERT_FIRING] = 3,
				   [DAEMON_ALERT_CLOSED] = 0};
	static const enum dns_sev tracks[] = {SEV_WARN, SEV_CRITICAL};
	enum daemon_alert_phase best = DAEMON_ALERT_OK;

	for (size_t t = 0; t < 2; t++) {
		const struct daemon_alert_record *r =
		    daemon_alert_rec_find_open(&a->s, domain, check, tracks[t]);

		if (r != NULL && rank[r->phase] > rank[best])
			best = r->phase;
	}
	return best;
}

/* Copy the counters and episode of src into the fresh record r; nothing handed out. */
static void adopt_one(struct daemon_alert_record *r, const struct daemon_alert_record *src)
{
	r->phase = src->phase;
	r->fails = src->fails;
	r->oks = src->oks;
	r->failures = src->failures;
	memcpy(r->episode_id, src->episode_id, sizeof r->episode_id);
	r->fired_at = src->fired_at;
	r->fired = DAEMON_ALERT_DLV_NONE;
	r->owed = DAEMON_ALERT_NONE;
	r->findings = daemon_alert_rec_findings_dup(src->findings, src->nfindings);
	r->nfindings = src->nfindings;
}

size_t daemon_alert_adopt(struct daemon_alert *a, const struct daemon_alert *from, int64_t now)
{
	size_t n = 0;

	if (a->s.n > 0)
		return 0;
	for (size_t i = 0; i < from->s.n; i++) {
		const struct daemon_alert_record *src = &from->s.v[i];

		if (src->phase == DAEMON_ALERT_CLOSED ||
		    (src->severity == SEV_WARN && a->cfg.min_severity != SEV_WARN))
			continue;
		adopt_one(daemon_alert_rec_insert(&a->s, src->domain, src->check, src->severity,
						  src->started_at),
			  src);
		n++;
	}
	/* Announce what is already firing (after the copy: inhibition looks at siblings). */
	for (size_t i = 0; i < a->s.n; i++)
		if (a->s.v[i].phase == DAEMON_ALERT_FIRING && !inhibited(a, &a->s.v[i]))
			owe(a, &a->s.v[i], DAEMON_ALERT_FIRING_EV, now);
	return n;
}

/* ---- export / import ---- */

void daemon_alert_export(const struct daemon_alert *a, struct daemon_alert_record **v, size_t *n)
{
	*v = a->s.n ? xcalloc(a->s.n, sizeof **v) : NULL;
	for (size_t i = 0; i < a->s.n; i++)
		daemon_alert_rec_copy(&(*v)[i], &a->s.v[i]);
	*n = a->s.n;
}

void daemon_alert_records_free(struct daemon_alert_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		daemon_alert_rec_clear(&v[i]);
	free(v);
}

enum mp_err daemon_alert_import(struct daemon_alert *a, const struct daemon_alert_record *v,
				size_t n)
{
	if (!daemon_alert_rec_set_ok(v, n))
		return ERR_INVAL;
	daemon_alert_rec_set_assign(&a->s, v, n);
	return ERR_OK;
}

/* ---- groups, helpers ---- */

static void event_clear(struct daemon_alert_event *e)
{
	free(e->domain);
	free(e->check);
	daemon_alert_rec_findings_free(e->findings, e->nfindings);
}

void daemon_alert_group_free(struct daemon_alert_group *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->nevents; i++)
		event_clear(&g->events[i]);
	free(g->events);
	free(g->domain);
	memset(g, 0, sizeof *g);
}

void daemon_alert_batch_free(struct daemon_alert_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->ngroups; i++)
		daemon_alert_group_free(&b->groups[i]);
	free(b->groups);
	b->groups = NULL;
	b->ngroups = 0;
}

void daemon_alert_test_group(struct daemon_alert_group *g, const char *channel, int64_t now)
{
	struct daemon_alert_event *e;

	memset(g, 0, sizeof *g);
	g->domain = xstrdup("");
	g->at = now;
	g->events = xcalloc(1, sizeof *g->events);
	g->nevents = 1;
	e = &g->events[0];
	e->kind = DAEMON_ALERT_TEST_EV;
	daemon_alert_episode_id(channel, "test", SEV_INFO, now, e->episode_id);
	e->domain = xstrdup("");
	e->check = xstrdup("test");
	e->severity = e->now_sev = SEV_INFO;
	e->started_at = e->fired_at = now;
	e->findings = xcalloc(1, sizeof *e->findings);
	e->nfindings = 1;
	e->findings[0].code = xstrdup("ALERT_TEST");
	e->findings[0].sev = SEV_INFO;
	e->findings[0].message =
	    xasprintf("This is a test message from mailpulse for the alert channel \"%s\". If "
		      "you can read it, the channel works.",
		      channel);
	e->findings[0].fix = NULL;
}

const char *daemon_alert_duration_text(int64_t secs, char *buf, size_t bufsz)
{
	static const struct {
		int64_t s;
		char u;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t i;

	if (secs < 0)
		secs = 0;
	for (i = 0; i < 3 && secs < units[i].s; i++)
		;
	if (i == 3 || secs % units[i].s / units[i + 1].s == 0)
		snprintf(buf, bufsz, "%" PRId64 "%c", secs / units[i].s, units[i].u);
	else
		snprintf(buf, bufsz, "%" PRId64 "%c %" PRId64 "%c", secs / units[i].s, units[i].u,
			 secs % units[i].s / units[i + 1].s, units[i + 1].u);
	return buf;
}

void daemon_alert_episode_id(const char *domain, const char *check, enum dns_sev sev,
			     int64_t started_at, char out[DAEMON_ALERT_ID_LEN + 1])
{
	unsigned char h[32];
	char *in = xasprintf("%s\n%s\n%s\n%" PRId64, domain, check, dns_sev_name(sev), started_at);

	common_crypto_sha256(in, strlen(in), h);
	free(in);
	for (size_t i = 0; i < DAEMON_ALERT_ID_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

const char *daemon_alert_phase_name(enum daemon_alert_phase p)
{
	static const char *const names[] = {"ok", "pending", "firing", "resolving", "closed"};

	return (unsigned)p < 5 ? names[p] : "?";
}

const char *daemon_alert_kind_name(enum daemon_alert_kind k)
{
	static const char *const names[] = {"none", "firing", "reminder", "resolved", "test"};

	return (unsigned)k < 5 ? names[k] : "?";
}
