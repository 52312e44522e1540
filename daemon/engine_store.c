/*
 * daemon/engine_store: the alert engines' decisions in the store (see the
 * header).
 */
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/alert_json.h"
#include "daemon/alert_rec.h"
#include "daemon/engine_store.h"
#include "daemon/store_alert.h"
#include "daemon/store_outbox.h"

static const char *phase_word(enum daemon_alert_phase p)
{
	return daemon_alert_phase_name(p);
}

static enum mp_err change_episode(struct daemon_store *st, const struct daemon_alert_change *c)
{
	enum mp_err rc = ERR_OK;

	if (c->episode_id[0] == '\0')
		return ERR_OK;
	if (c->to == DAEMON_ALERT_FIRING && c->from == DAEMON_ALERT_PENDING) {
		struct daemon_store_alert_episode ep = {.id = c->episode_id,
							.domain = c->domain,
							.check = c->check,
							.severity = c->severity,
							.started_at = c->at,
							.summary = ""};

		rc = daemon_store_alert_episode_open(st, &ep, NULL);
		/*
		 * Another episode of the key is open: an engine that started later
		 * than the others (daemon/engine makes new ones adopt the open
		 * episodes, so this is rare).  The row stays the first one's.
		 */
		if (rc == ERR_INVAL) {
			log_warn("alert",
				 "episode-not-opened id=%s domain=%s check=%s reason=\"%s\"",
				 c->episode_id, c->domain, c->check, daemon_store_errmsg(st));
			rc = ERR_OK;
		}
	} else if (c->to == DAEMON_ALERT_OK || c->to == DAEMON_ALERT_CLOSED) {
		rc = daemon_store_alert_episode_close(st, c->episode_id, c->at);
		if (rc == ERR_NOTFOUND || rc == ERR_INVAL)
			rc = ERR_OK; /* never opened (or started later): nothing to close */
	}
	return rc;
}

enum mp_err daemon_engine_store_changes(struct daemon_store *st,
					const struct daemon_alert_changes *c, bool transitions)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct daemon_alert_change *x = &c->v[i];
		struct daemon_store_alert_transition t = {
		    .domain = x->domain[0] ? x->domain : "-",
		    .check = x->check,
		    .from = phase_word(x->from),
		    .to = phase_word(x->to),
		    .severity = x->severity,
		    .at = x->at,
		    .episode_id = x->episode_id[0] ? x->episode_id : NULL};
		enum mp_err rc =
		    transitions ? daemon_store_alert_transition_add(st, &t, NULL) : ERR_OK;

		if (rc == ERR_OK)
			rc = change_episode(st, x);
		if (rc != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

static enum daemon_store_outbox_event outbox_event(enum daemon_alert_kind k)
{
	switch (k) {
	case DAEMON_ALERT_REMINDER_EV:
		return DAEMON_STORE_OUTBOX_REMINDER;
	case DAEMON_ALERT_RESOLVED_EV:
		return DAEMON_STORE_OUTBOX_RESOLVED;
	case DAEMON_ALERT_TEST_EV:
		return DAEMON_STORE_OUTBOX_TEST;
	default:
		return DAEMON_STORE_OUTBOX_FIRING;
	}
}

enum daemon_alert_kind daemon_engine_store_kind(int outbox_event)
{
	switch (outbox_event) {
	case DAEMON_STORE_OUTBOX_REMINDER:
		return DAEMON_ALERT_REMINDER_EV;
	case DAEMON_STORE_OUTBOX_RESOLVED:
		return DAEMON_ALERT_RESOLVED_EV;
	case DAEMON_STORE_OUTBOX_TEST:
		return DAEMON_ALERT_TEST_EV;
	default:
		return DAEMON_ALERT_FIRING_EV;
	}
}

/* The episode row must exist before its outbox rows (idempotent open). */
static enum mp_err ensure_episode(struct daemon_store *st, const struct daemon_alert_event *ev)
{
	struct daemon_store_alert_episode ep = {.id = ev->episode_id,
						.domain = ev->domain,
						.check = ev->check,
						.severity = ev->severity,
						.started_at = ev->started_at,
						.summary = ""};
	enum mp_err rc = daemon_store_alert_episode_open(st, &ep, NULL);

	/* ERR_INVAL: another episode of the key is open; the row still needs this id. */
	if (rc == ERR_INVAL && daemon_store_alert_episode_get(st, ev->episode_id, &ep) == ERR_OK) {
		daemon_store_alert_episode_clear(&ep);
		rc = ERR_OK;
	}
	return rc;
}

static enum mp_err enqueue_one(struct daemon_store *st, const char *channel,
			       const struct daemon_alert_event *key, const char *payload,
			       int64_t at, int64_t now)
{
	struct daemon_store_outbox_msg m = {
	    .episode_id = key->episode_id,
	    .channel = channel,
	    .event = outbox_event(key->kind),
	    .seq = key->kind == DAEMON_ALERT_REMINDER_EV ? (uint32_t)at : 0,
	    .payload = payload};
	bool created = false;
	enum mp_err rc = daemon_store_outbox_enqueue(st, &m, now, NULL, &created);

	if (rc == ERR_OK)
		log_info("alert", "queued channel=%s event=%s episode=%s new=%s", channel,
			 daemon_alert_kind_name(key->kind), key->episode_id,
			 created ? "yes" : "no");
	return rc;
}

static enum mp_err enqueue_group(struct daemon_store *st, const struct daemon_config_alert *ch,
				 const struct daemon_alert_group *g, int64_t now)
{
	enum mp_err rc = ERR_OK;

	for (size_t i = 0; i < g->nevents && rc == ERR_OK; i++)
		rc = ensure_episode(st, &g->events[i]);
	if (rc != ERR_OK || g->nevents == 0)
		return rc;
	if (ch->type != DAEMON_ALERT_WEBHOOK) {
		char *p = daemon_alert_json_group(g);

		rc = enqueue_one(st, ch->name, &g->events[0], p, g->at, now);
		free(p);
		return rc;
	}
	for (size_t i = 0; i < g->nevents && rc == ERR_OK; i++) {
		char *p = daemon_alert_json_group_one(g, i);

		rc = enqueue_one(st, ch->name, &g->events[i], p, g->at, now);
		free(p);
	}
	return rc;
}

enum mp_err daemon_engine_store_enqueue(struct daemon_store *st,
					const struct daemon_config_alert *ch,
					const struct daemon_alert_batch *b, int64_t now)
{
	enum mp_err rc = ERR_OK;

	for (size_t i = 0; i < b->ngroups && rc == ERR_OK; i++)
		rc = enqueue_group(st, ch, &b->groups[i], now);
	return rc;
}

enum mp_err daemon_engine_store_save(struct daemon_store *st, const char *channel,
				     const struct daemon_alert *a)
{
	struct daemon_alert_record *v = NULL;
	struct daemon_store_alert_state *sv;
	size_t n = 0;
	enum mp_err rc;

	daemon_alert_export(a, &v, &n);
	sv = xcalloc(n ? n : 1, sizeof *sv);
	for (size_t i = 0; i < n; i++) {
		sv[i].domain = v[i].domain;
		sv[i].check = v[i].check;
		sv[i].severity = v[i].severity;
		sv[i].record = daemon_alert_json_record(&v[i]);
	}
	rc = daemon_store_alert_state_save(st, channel, sv, n);
	for (size_t i = 0; i < n; i++)
		free((char *)sv[i].record);
	free(sv);
	daemon_alert_records_free(v, n);
	return rc;
}

/* Tell a the final outcome of every firing/reminder row of channel. */
static enum mp_err replay_outbox(struct daemon_store *st, const char *channel,
				 struct daemon_alert *a, int64_t now)
{
	struct daemon_store_outbox_list l = {0};
	enum mp_err rc = daemon_store_outbox_list(st, NULL, 0, &l);

	for (size_t i = 0; rc == ERR_OK && i < l.n; i++) {
		const struct daemon_store_outbox_msg *m = &l.v[i];
		struct daemon_alert_group g;

		if (strcmp(m->channel, channel) != 0 || m->status == DAEMON_STORE_OUTBOX_PENDING ||
		    (m->event != DAEMON_STORE_OUTBOX_FIRING &&
		     m->event != DAEMON_STORE_OUTBOX_REMINDER))
			continue;
		if (daemon_alert_json_group_parse(m->payload, &g) != ERR_OK)
			continue;
		for (size_t j = 0; j < g.nevents; j++)
			if (g.events[j].kind == DAEMON_ALERT_FIRING_EV ||
			    g.events[j].kind == DAEMON_ALERT_REMINDER_EV)
				(void)daemon_alert_delivery(
				    a, g.events[j].episode_id, g.events[j].kind,
				    m->status == DAEMON_STORE_OUTBOX_SENT, now);
		daemon_alert_group_free(&g);
	}
	daemon_store_outbox_list_free(&l);
	return rc;
}

enum mp_err daemon_engine_store_load(struct daemon_store *st, const char *channel,
				     struct daemon_alert *a, int64_t now)
{
	struct daemon_store_alert_state_list l = {0};
	struct daemon_alert_record *v;
	size_t n = 0;
	enum mp_err rc = daemon_store_alert_state_load(st, channel, &l);

	if (rc != ERR_OK)
		return rc;
	v = xcalloc(l.n ? l.n : 1, sizeof *v);
	for (size_t i = 0; i < l.n; i++) {
		char why[160];

		if (daemon_alert_json_record_parse_why(l.v[i].record, &v[n], why, sizeof why) ==
		    ERR_OK)
			n++;
		else
			log_warn("alert",
				 "state-dropped channel=%s domain=%s check=%s reason=\"%s\"",
				 channel, l.v[i].domain, l.v[i].check, why);
	}
	rc = daemon_alert_import(a, v, n);
	if (rc != ERR_OK)
		log_warn("alert", "state-refused channel=%s reason=inconsistent", channel);
	daemon_alert_records_free(v, n);
	daemon_store_alert_state_list_free(&l);
	return rc == ERR_OK ? replay_outbox(st, channel, a, now) : ERR_OK;
}
