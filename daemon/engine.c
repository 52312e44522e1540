/*
 * daemon/engine: check rounds and alert decisions (see the header).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/fetch.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/engine.h"
#include "daemon/engine_store.h"
#include "daemon/render.h"
#include "daemon/schedule.h"
#include "daemon/store_result.h"
#include "dns/orgdomain.h"
#include "dns/posture.h"
#include "dns/resolver.h"
#include "dns/runner.h"

/* Domains started per tick at most: the runner queues the rest anyway. */
#define ENGINE_START_MAX 256

struct engine_slot {
	struct dns_posture *p; /* in flight or completed, NULL otherwise */
	int64_t started_ms;    /* monotonic, for the duration */
	uint32_t duration_ms;
	bool done; /* completed, waiting for the round */
	bool ever; /* completed at least once */
};

struct daemon_engine {
	const struct daemon_config *cfg;
	struct daemon_store *st;
	struct dns_resolver *res;
	struct common_fetch *fetch;
	struct dns_runner *runner;
	struct dns_orgdomain *psl;
	struct daemon_schedule *sched;
	const struct daemon_config_domain **dom; /* enabled domains, schedule order */
	struct engine_slot *slot;
	size_t ndom;
	struct daemon_alert **alert; /* one per cfg->alerts[i] */
	struct daemon_alert *state;  /* the check state, independent of channels */
	bool dirty;		     /* engine state changed outside a round */
	bool degraded;
	daemon_engine_driver_fn *driver; /* test seam: completes checks without DNS */
	void *driver_arg;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_done(void *arg, struct dns_posture *p)
{
	struct daemon_engine *e = arg;

	for (size_t i = 0; i < e->ndom; i++) {
		if (e->slot[i].p == p) {
			e->slot[i].done = true;
			e->slot[i].duration_ms = (uint32_t)(mono_ms() - e->slot[i].started_ms);
			return;
		}
	}
}

/* A new engine for channel ch (NULL: the check state engine) with its saved state. */
static enum mp_err make_alert(struct daemon_engine *e, const struct daemon_config_alert *ch,
			      int64_t now, struct daemon_alert **out, char *err, size_t errsz)
{
	const struct daemon_config *c = e->cfg;
	const char *name = ch ? ch->name : DAEMON_ENGINE_STATE_NAME;
	struct daemon_alert_config ac;
	enum mp_err rc;

	daemon_alert_config_default(&ac);
	ac.failures = c->daemon.failure_threshold;
	ac.successes = c->daemon.success_threshold;
	ac.group_wait = c->daemon.group_wait_s;
	ac.reminder_interval = ch ? ch->reminder_s : 0;
	ac.min_severity = ch ? ch->min_severity : SEV_WARN;
	ac.silent = ch == NULL;
	rc = daemon_alert_new(&ac, out, err, errsz);
	if (rc == ERR_OK)
		rc = daemon_engine_store_load(e->st, name, *out, now);
	if (rc != ERR_OK && err[0] == '\0')
		snprintf(err, errsz, "alert %s: cannot load its saved state: %s", name,
			 daemon_store_errmsg(e->st));
	return rc;
}

/*
 * Engines without saved state adopt the open episodes of the others (see
 * the header): the state engine the first channel's, then every channel the
 * state engine's.  In steady state every engine has the same open records
 * (or none), so this changes nothing.
 */
static void adopt_open(struct daemon_engine *e, int64_t now)
{
	const struct daemon_config *c = e->cfg;
	size_t n;

	if (c->n_alerts > 0 && (n = daemon_alert_adopt(e->state, e->alert[0], now)) > 0) {
		log_info("engine", "state-adopted from=%s records=%zu", c->alerts[0].name, n);
		e->dirty = true;
	}
	for (size_t i = 0; i < c->n_alerts; i++) {
		if ((n = daemon_alert_adopt(e->alert[i], e->state, now)) > 0) {
			log_info("engine", "state-adopted channel=%s records=%zu",
				 c->alerts[i].name, n);
			e->dirty = true;
		}
	}
}

static enum mp_err make_alerts(struct daemon_engine *e, int64_t now, char *err, size_t errsz)
{
	const struct daemon_config *c = e->cfg;
	enum mp_err rc = make_alert(e, NULL, now, &e->state, err, errsz);

	e->alert = xcalloc(c->n_alerts ? c->n_alerts : 1, sizeof *e->alert);
	for (size_t i = 0; rc == ERR_OK && i < c->n_alerts; i++)
		rc = make_alert(e, &c->alerts[i], now, &e->alert[i], err, errsz);
	if (rc == ERR_OK)
		adopt_open(e, now);
	return rc;
}

static void make_schedule(struct daemon_engine *e, int64_t now)
{
	const struct daemon_config *c = e->cfg;
	const char **names = xcalloc(c->n_domains + 1, sizeof *names);
	unsigned *iv = xcalloc(c->n_domains + 1, sizeof *iv);
	double jitter = 0;

	e->dom = xcalloc(c->n_domains + 1, sizeof *e->dom);
	for (size_t i = 0; i < c->n_domains; i++) {
		if (!c->domains[i].enabled)
			continue;
		e->dom[e->ndom] = &c->domains[i];
		names[e->ndom] = c->domains[i].name;
		iv[e->ndom] = c->domains[i].interval_s ? c->domains[i].interval_s : 1;
		e->ndom++;
	}
	if (c->daemon.check_interval_s > 0)
		jitter = (double)c->daemon.jitter_s / c->daemon.check_interval_s;
	if (jitter > 0.5)
		jitter = 0.5;
	e->sched = daemon_schedule_new(names, iv, e->ndom, jitter, now);
	e->slot = xcalloc(e->ndom + 1, sizeof *e->slot);
	free(names);
	free(iv);
}

static enum mp_err make_dns(struct daemon_engine *e, char *err, size_t errsz)
{
	struct common_fetch_opts fo = {0};

	if (dns_resolver_new(&e->cfg->dns.opts, &e->res) != ERR_OK) {
		snprintf(err, errsz, "cannot start the resolver (no usable [dns] resolvers)");
		return ERR_INVAL;
	}
	e->fetch = common_fetch_new(&fo);
	e->runner = dns_runner_new(e->res, e->fetch, 0);
	e->psl = dns_orgdomain_new();
	return ERR_OK;
}

enum mp_err daemon_engine_new(const struct daemon_config *cfg, struct daemon_store *st, int64_t now,
			      struct daemon_engine **out, char *err, size_t errsz)
{
	struct daemon_engine *e = xcalloc(1, sizeof *e);
	enum mp_err rc;

	if (errsz > 0)
		err[0] = '\0';
	e->cfg = cfg;
	e->st = st;
	make_schedule(e, now);
	rc = make_dns(e, err, errsz);
	if (rc == ERR_OK)
		rc = make_alerts(e, now, err, errsz);
	if (rc != ERR_OK) {
		daemon_engine_free(e);
		return rc;
	}
	/* The guard outlives a reload or restart: the engines' saved state holds it. */
	e->degraded = daemon_alert_degraded(e->state);
	for (size_t a = 0; a < cfg->n_alerts; a++)
		e->degraded |= daemon_alert_degraded(e->alert[a]);
	*out = e;
	return ERR_OK;
}

void daemon_engine_free(struct daemon_engine *e)
{
	if (e == NULL)
		return;
	dns_runner_free(e->runner);
	for (size_t i = 0; i < e->ndom; i++)
		dns_posture_free(e->slot[i].p);
	for (size_t i = 0; e->alert != NULL && i < e->cfg->n_alerts; i++)
		daemon_alert_free(e->alert[i]);
	free(e->alert);
	daemon_alert_free(e->state);
	common_fetch_free(e->fetch);
	dns_resolver_free(e->res);
	dns_orgdomain_free(e->psl);
	daemon_schedule_free(e->sched);
	free(e->slot);
	free(e->dom);
	free(e);
}

static struct dns_posture *new_posture(const struct daemon_engine *e,
				       const struct daemon_config_domain *d)
{
	struct dns_posture_key *keys = xcalloc(d->n_dkim_keys + 1, sizeof *keys);
	struct dns_posture_opts po = {0};
	struct dns_posture *p;

	for (size_t i = 0; i < d->n_dkim_keys; i++) {
		keys[i].selector = d->dkim_keys[i].selector;
		keys[i].path = d->dkim_keys[i].path;
	}
	po.selectors = (const char *const *)d->selectors;
	po.n_selectors = d->n_selectors;
	po.keys = keys;
	po.n_keys = d->n_dkim_keys;
	po.no_discovery = !d->discover_selectors;
	po.expect_dmarc = d->expect_dmarc;
	po.psl = e->psl;
	p = dns_posture_new(d->name, &po);
	free(keys);
	return p;
}

void daemon_engine_start_due(struct daemon_engine *e, int64_t now)
{
	size_t idx[ENGINE_START_MAX];
	size_t n = daemon_schedule_take_due(e->sched, now, idx, ENGINE_START_MAX);

	for (size_t k = 0; k < n; k++) {
		struct engine_slot *s = &e->slot[idx[k]];

		dns_posture_free(s->p);
		s->p = new_posture(e, e->dom[idx[k]]);
		s->done = false;
		s->started_ms = mono_ms();
		log_debug("engine", "check-start domain=%s", e->dom[idx[k]]->name);
		if (e->driver != NULL) {
			e->driver(e->driver_arg, s->p);
			on_done(e, s->p);
		} else {
			dns_runner_add(e->runner, s->p, on_done, e);
		}
	}
}

size_t daemon_engine_running(const struct daemon_engine *e)
{
	return dns_runner_pending(e->runner);
}

void daemon_engine_pump(struct daemon_engine *e, int wait_ms)
{
	if (dns_runner_pending(e->runner) == 0)
		return;
	if (dns_runner_pump(e->runner, wait_ms) != ERR_OK)
		log_err("engine", "pump-failed reason=event-loop");
}

/* Findings of check in f, copied into sub; the reason of the first unknown one in *reason. */
static void split_check(const struct dns_findings *f, const char *check, struct dns_findings *sub,
			const char **reason)
{
	*reason = NULL;
	for (size_t i = 0; i < f->n; i++) {
		const struct dns_finding *x = &f->v[i];

		if (strcmp(x->check, check) != 0)
			continue;
		dns_findings_add(sub, x->check, x->code, x->sev, x->fix, x->evidence,
				 x->evidence ? x->evidence_len : 0, "%s", x->message);
		if (x->sev == SEV_UNKNOWN && *reason == NULL)
			*reason = x->message;
	}
}

static bool seen_before(const struct dns_findings *f, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(f->v[j].check, f->v[i].check) == 0)
			return true;
	return false;
}

/* One result row per check of the completed posture of slot i. */
static void store_results(struct daemon_engine *e, size_t i, int64_t now)
{
	const struct engine_slot *s = &e->slot[i];
	const struct dns_findings *f = dns_posture_findings(s->p);

	for (size_t k = 0; k < f->n; k++) {
		struct dns_findings sub;
		struct daemon_store_result r = {0};
		bool spf = strcmp(f->v[k].check, "spf") == 0;

		if (seen_before(f, k))
			continue;
		dns_findings_init(&sub);
		split_check(f, f->v[k].check, &sub, &r.reason);
		r.domain = e->dom[i]->name;
		r.check = f->v[k].check;
		r.at = now;
		r.severity = dns_findings_worst(&sub);
		r.duration_ms = s->duration_ms;
		r.spf_lookups = spf ? dns_posture_spf_lookups(s->p) : -1;
		r.spf_void_lookups = spf ? dns_posture_spf_void_lookups(s->p) : -1;
		r.spf_tree_json = spf ? daemon_render_spf_tree_json(s->p) : NULL;
		if (daemon_store_result_add(e->st, &r, &sub, NULL) != ERR_OK)
			log_err("store", "result-failed domain=%s check=%s reason=%s", r.domain,
				r.check, daemon_store_errmsg(e->st));
		free((char *)r.spf_tree_json);
		dns_findings_clear(&sub);
	}
}

static void keep_changes(struct daemon_engine *e, struct daemon_alert_changes *c, bool history)
{
	if (daemon_engine_store_changes(e->st, c, history) != ERR_OK)
		log_err("store", "transition-failed reason=%s", daemon_store_errmsg(e->st));
	daemon_alert_changes_free(c);
}

/* Feed the completed check of slot i to every channel, then free it. */
static void finish_slot(struct daemon_engine *e, size_t i, int64_t now)
{
	struct engine_slot *s = &e->slot[i];
	const struct dns_findings *f = dns_posture_findings(s->p);

	store_results(e, i, now);
	/* The state engine first: its changes are the history and open the episodes. */
	for (size_t a = 0; a <= e->cfg->n_alerts; a++) {
		struct daemon_alert_changes c = {0};

		daemon_alert_observe(a == 0 ? e->state : e->alert[a - 1], e->dom[i]->name, f, now,
				     &c);
		keep_changes(e, &c, a == 0);
	}
	log_info("engine", "check-done domain=%s worst=%s duration_ms=%u", e->dom[i]->name,
		 dns_sev_name(dns_findings_worst(f)), (unsigned)s->duration_ms);
	dns_posture_free(s->p);
	s->p = NULL;
	s->done = false;
	s->ever = true;
	daemon_schedule_finished(e->sched, i, now);
}

/* Answers in the book of slot i's completed check: temporary failures and the rest. */
static void count_answers(struct daemon_engine *e, size_t i, uint64_t *temp, uint64_t *other)
{
	struct dns_book *book = dns_posture_book(e->slot[i].p);

	for (size_t k = 0; k < dns_book_count(book); k++) {
		const char *name;
		uint16_t type;
		const struct dns_answer *a = dns_book_at(book, k, &name, &type);

		if (a == NULL)
			continue;
		if (a->outcome == DNS_TEMPFAIL)
			(*temp)++;
		else
			(*other)++;
	}
}

/* Connectivity guard: checks that got only temporary failures mean we are cut off. */
static void update_degraded(struct daemon_engine *e, int64_t now)
{
	uint64_t temp = 0, other = 0;
	bool down;

	for (size_t i = 0; i < e->ndom; i++)
		if (e->slot[i].done)
			count_answers(e, i, &temp, &other);
	if (temp == 0 && other == 0)
		return;
	down = other == 0;
	if (down != e->degraded)
		log_warn("engine", "monitoring-%s tempfails=%llu answers=%llu",
			 down ? "degraded" : "restored", (unsigned long long)temp,
			 (unsigned long long)other);
	e->degraded = down;
	for (size_t a = 0; a <= e->cfg->n_alerts; a++) {
		struct daemon_alert_changes c = {0};

		daemon_alert_set_degraded(a == 0 ? e->state : e->alert[a - 1], down,
					  "the resolver answers only with timeouts or failures",
					  now, &c);
		keep_changes(e, &c, a == 0);
	}
}

static void tick_alerts(struct daemon_engine *e, int64_t now)
{
	/* The state engine owes no message: only its state is saved. */
	if (daemon_engine_store_save(e->st, DAEMON_ENGINE_STATE_NAME, e->state) != ERR_OK)
		log_err("store", "state-save-failed channel=%s reason=%s", DAEMON_ENGINE_STATE_NAME,
			daemon_store_errmsg(e->st));
	for (size_t a = 0; a < e->cfg->n_alerts; a++) {
		const struct daemon_config_alert *ch = &e->cfg->alerts[a];
		struct daemon_alert_batch b = {0};

		daemon_alert_tick(e->alert[a], now, &b);
		if (daemon_engine_store_enqueue(e->st, ch, &b, now) != ERR_OK)
			log_err("store", "enqueue-failed channel=%s reason=%s", ch->name,
				daemon_store_errmsg(e->st));
		daemon_alert_batch_free(&b);
		if (daemon_engine_store_save(e->st, ch->name, e->alert[a]) != ERR_OK)
			log_err("store", "state-save-failed channel=%s reason=%s", ch->name,
				daemon_store_errmsg(e->st));
	}
}

static bool alerts_due(const struct daemon_engine *e, int64_t now)
{
	for (size_t a = 0; a < e->cfg->n_alerts; a++)
		if (daemon_alert_next_due(e->alert[a]) <= now)
			return true;
	return false;
}

bool daemon_engine_round(struct daemon_engine *e, int64_t now)
{
	size_t ndone = 0;

	for (size_t i = 0; i < e->ndom; i++)
		ndone += e->slot[i].done;
	if (ndone == 0 && !e->dirty && !alerts_due(e, now))
		return false;
	if (daemon_store_begin(e->st, true) != ERR_OK) {
		log_err("store", "begin-failed reason=%s", daemon_store_errmsg(e->st));
		return false;
	}
	if (ndone > 0)
		update_degraded(e, now);
	for (size_t i = 0; i < e->ndom; i++)
		if (e->slot[i].done)
			finish_slot(e, i, now);
	tick_alerts(e, now);
	if (daemon_store_commit(e->st) != ERR_OK)
		log_err("store", "commit-failed reason=%s", daemon_store_errmsg(e->st));
	e->dirty = false;
	return true;
}

/* One result row per check named in f (an external result such as a probe's). */
static void store_external(struct daemon_engine *e, const char *domain,
			   const struct dns_findings *f, int64_t now)
{
	for (size_t k = 0; k < f->n; k++) {
		struct dns_findings sub;
		struct daemon_store_result r = {0};

		if (seen_before(f, k))
			continue;
		dns_findings_init(&sub);
		split_check(f, f->v[k].check, &sub, &r.reason);
		r.domain = domain;
		r.check = f->v[k].check;
		r.at = now;
		r.severity = dns_findings_worst(&sub);
		r.spf_lookups = r.spf_void_lookups = -1;
		if (daemon_store_result_add(e->st, &r, &sub, NULL) != ERR_OK)
			log_err("store", "result-failed domain=%s check=%s reason=%s", domain,
				r.check, daemon_store_errmsg(e->st));
		dns_findings_clear(&sub);
	}
}

enum mp_err daemon_engine_external_result(struct daemon_engine *e, const char *domain,
					  const struct dns_findings *f, int64_t now)
{
	const struct daemon_config_domain *d = daemon_config_find_domain(e->cfg, domain);

	if (d == NULL || !d->enabled || f->n == 0)
		return ERR_NOTFOUND;
	if (daemon_store_begin(e->st, true) != ERR_OK) {
		log_err("store", "begin-failed reason=%s", daemon_store_errmsg(e->st));
		return ERR_IO;
	}
	store_external(e, d->name, f, now);
	for (size_t a = 0; a <= e->cfg->n_alerts; a++) {
		struct daemon_alert_changes c = {0};

		daemon_alert_observe(a == 0 ? e->state : e->alert[a - 1], d->name, f, now, &c);
		keep_changes(e, &c, a == 0);
	}
	tick_alerts(e, now); /* the round's own step: outbox rows and state, same batch */
	if (daemon_store_commit(e->st) != ERR_OK) {
		log_err("store", "commit-failed reason=%s", daemon_store_errmsg(e->st));
		return ERR_IO;
	}
	return ERR_OK;
}

int64_t daemon_engine_next_due(const struct daemon_engine *e)
{
	int64_t t = daemon_schedule_next_due(e->sched);

	for (size_t a = 0; a < e->cfg->n_alerts; a++) {
		int64_t x = daemon_alert_next_due(e->alert[a]);

		if (x < t)
			t = x;
	}
	return t;
}

enum mp_err daemon_engine_check_now(struct daemon_engine *e, const char *domain, int64_t now)
{
	long i = daemon_schedule_find(e->sched, domain);

	if (i < 0)
		return ERR_NOTFOUND;
	return daemon_schedule_run_now(e->sched, (size_t)i, now);
}

static long channel_index(const struct daemon_engine *e, const char *channel)
{
	for (size_t a = 0; a < e->cfg->n_alerts; a++)
		if (strcmp(e->cfg->alerts[a].name, channel) == 0)
			return (long)a;
	return -1;
}

void daemon_engine_delivery(struct daemon_engine *e, const char *channel, const char *episode_id,
			    enum daemon_alert_kind kind, bool delivered, int64_t now)
{
	long a = channel_index(e, channel);

	if (a >= 0 && daemon_alert_delivery(e->alert[a], episode_id, kind, delivered, now))
		e->dirty = true;
}

enum daemon_alert_phase daemon_engine_check_phase(const struct daemon_engine *e, const char *domain,
						  const char *check)
{
	return daemon_alert_check_phase(e->state, domain, check);
}

const struct daemon_alert *daemon_engine_state(const struct daemon_engine *e)
{
	return e->state;
}

void daemon_engine_set_driver(struct daemon_engine *e, daemon_engine_driver_fn *fn, void *arg)
{
	e->driver = fn;
	e->driver_arg = arg;
}

const struct daemon_alert *daemon_engine_alert(const struct daemon_engine *e, const char *channel)
{
	long a = channel_index(e, channel);

	return a >= 0 ? e->alert[a] : NULL;
}

bool daemon_engine_first_round_done(const struct daemon_engine *e)
{
	for (size_t i = 0; i < e->ndom; i++)
		if (!e->slot[i].ever)
			return false;
	return true;
}

bool daemon_engine_degraded(const struct daemon_engine *e)
{
	return e->degraded;
}

struct dns_resolver *daemon_engine_resolver(struct daemon_engine *e)
{
	return e->res;
}
