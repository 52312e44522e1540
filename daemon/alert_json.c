/*
 * daemon/alert_json: alert records and groups to and from JSON (see the
 * header).  Field names are short and stable: they live in the store across
 * upgrades, so a field is only ever added, never renamed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "daemon/alert_json.h"
#include "daemon/alert_rec.h"

static struct common_json *findings_json(const struct daemon_alert_finding *f, size_t n)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < n; i++) {
		struct common_json *o = common_json_object();

		common_json_set_str(o, "code", f[i].code);
		common_json_set_int(o, "sev", f[i].sev);
		common_json_set_str(o, "message", f[i].message);
		if (f[i].fix != NULL)
			common_json_set_str(o, "fix", f[i].fix);
		common_json_push(a, o);
	}
	return a;
}

/* A copy of the string member key, or NULL (missing, not a string or holding NUL). */
static char *get_str(const struct common_json *o, const char *key)
{
	size_t len;
	const char *s = common_json_str_value(common_json_get(o, key), &len);

	if (s == NULL || memchr(s, '\0', len) != NULL)
		return NULL;
	return xmemdup0(s, len);
}

static bool get_int(const struct common_json *o, const char *key, int64_t *out)
{
	long long v;

	if (!common_json_int_value(common_json_get(o, key), &v))
		return false;
	*out = v;
	return true;
}

static bool get_enum(const struct common_json *o, const char *key, int max, int *out)
{
	int64_t v;

	if (!get_int(o, key, &v) || v < 0 || v > max)
		return false;
	*out = (int)v;
	return true;
}

static bool parse_findings(const struct common_json *a, struct daemon_alert_finding **fv,
			   size_t *nf)
{
	size_t n = common_json_array_len(a);
	struct daemon_alert_finding *f;

	*fv = NULL;
	*nf = 0;
	if (n == 0)
		return true;
	if (n > DAEMON_ALERT_MAX_FINDINGS)
		return false;
	f = xcalloc(n, sizeof *f);
	*fv = f;
	for (size_t i = 0; i < n; i++) {
		const struct common_json *o = common_json_array_at(a, i);
		int sev;

		*nf = i + 1;
		f[i].code = get_str(o, "code");
		f[i].message = get_str(o, "message");
		f[i].fix = get_str(o, "fix");
		if (f[i].code == NULL || f[i].message == NULL ||
		    !get_enum(o, "sev", SEV_UNKNOWN, &sev))
			return false;
		f[i].sev = (enum dns_sev)sev;
	}
	return true;
}

static char *dump_free(struct common_json *o)
{
	char *s = common_json_dump(o, false);

	common_json_free(o);
	return s;
}

char *daemon_alert_json_record(const struct daemon_alert_record *r)
{
	struct common_json *o = common_json_object();

	common_json_set_str(o, "domain", r->domain);
	common_json_set_str(o, "check", r->check);
	common_json_set_int(o, "severity", r->severity);
	common_json_set_int(o, "phase", r->phase);
	common_json_set_int(o, "fails", r->fails);
	common_json_set_int(o, "oks", r->oks);
	common_json_set_int(o, "failures", r->failures);
	common_json_set_str(o, "episode_id", r->episode_id);
	common_json_set_int(o, "started_at", r->started_at);
	common_json_set_int(o, "fired_at", r->fired_at);
	common_json_set_int(o, "ended_at", r->ended_at);
	common_json_set_int(o, "fired", r->fired);
	common_json_set_int(o, "owed", r->owed);
	common_json_set_int(o, "due_at", r->due_at);
	common_json_set_int(o, "last_notified_at", r->last_notified_at);
	common_json_set(o, "findings", findings_json(r->findings, r->nfindings));
	return dump_free(o);
}

static bool record_counters(const struct common_json *o, struct daemon_alert_record *r)
{
	int64_t fails, oks, failures;
	int sev, phase, fired, owed;

	if (!get_int(o, "fails", &fails) || !get_int(o, "oks", &oks) ||
	    !get_int(o, "failures", &failures) || fails < 0 || oks < 0 || failures < 0 ||
	    fails > UINT32_MAX || oks > UINT32_MAX || failures > UINT32_MAX)
		return false;
	if (!get_enum(o, "severity", SEV_UNKNOWN, &sev) ||
	    !get_enum(o, "phase", DAEMON_ALERT_CLOSED, &phase) ||
	    !get_enum(o, "fired", DAEMON_ALERT_DLV_FAILED, &fired) ||
	    !get_enum(o, "owed", DAEMON_ALERT_TEST_EV, &owed))
		return false;
	r->fails = (unsigned)fails;
	r->oks = (unsigned)oks;
	r->failures = (unsigned)failures;
	r->severity = (enum dns_sev)sev;
	r->phase = (enum daemon_alert_phase)phase;
	r->fired = (enum daemon_alert_delivery)fired;
	r->owed = (enum daemon_alert_kind)owed;
	return get_int(o, "started_at", &r->started_at) && get_int(o, "fired_at", &r->fired_at) &&
	       get_int(o, "ended_at", &r->ended_at) && get_int(o, "due_at", &r->due_at) &&
	       get_int(o, "last_notified_at", &r->last_notified_at);
}

enum mp_err daemon_alert_json_record_parse(const char *text, struct daemon_alert_record *out)
{
	struct common_json *o = NULL;
	struct daemon_alert_record r;
	char *id = NULL;
	bool good;

	memset(&r, 0, sizeof r);
	if (common_json_parse(text, strlen(text), &o) != ERR_OK)
		return ERR_PARSE;
	r.domain = get_str(o, "domain");
	r.check = get_str(o, "check");
	id = get_str(o, "episode_id");
	good = r.domain != NULL && r.check != NULL && id != NULL &&
	       strlen(id) <= DAEMON_ALERT_ID_LEN && record_counters(o, &r) &&
	       parse_findings(common_json_get(o, "findings"), &r.findings, &r.nfindings);
	if (good)
		memcpy(r.episode_id, id, strlen(id) + 1);
	free(id);
	common_json_free(o);
	if (!good) {
		daemon_alert_rec_clear(&r);
		return ERR_PARSE;
	}
	*out = r;
	return ERR_OK;
}

static struct common_json *event_json(const struct daemon_alert_event *e)
{
	struct common_json *o = common_json_object();

	common_json_set_int(o, "kind", e->kind);
	common_json_set_str(o, "episode_id", e->episode_id);
	common_json_set_str(o, "domain", e->domain);
	common_json_set_str(o, "check", e->check);
	common_json_set_int(o, "severity", e->severity);
	common_json_set_int(o, "started_at", e->started_at);
	common_json_set_int(o, "fired_at", e->fired_at);
	common_json_set_int(o, "ended_at", e->ended_at);
	common_json_set_int(o, "duration", e->duration);
	common_json_set_int(o, "failures", e->failures);
	common_json_set_int(o, "now_sev", e->now_sev);
	common_json_set(o, "findings", findings_json(e->findings, e->nfindings));
	return o;
}

static char *group_json(const struct daemon_alert_group *g, size_t from, size_t to)
{
	struct common_json *o = common_json_object();
	struct common_json *a = common_json_array();

	common_json_set_str(o, "domain", g->domain);
	common_json_set_int(o, "at", g->at);
	for (size_t i = from; i < to; i++)
		common_json_push(a, event_json(&g->events[i]));
	common_json_set(o, "events", a);
	return dump_free(o);
}

char *daemon_alert_json_group(const struct daemon_alert_group *g)
{
	return group_json(g, 0, g->nevents);
}

char *daemon_alert_json_group_one(const struct daemon_alert_group *g, size_t i)
{
	return group_json(g, i, i + 1);
}

static bool parse_event(const struct common_json *o, struct daemon_alert_event *e)
{
	int kind, sev, now_sev;
	int64_t failures;
	char *id = get_str(o, "episode_id");
	bool good;

	e->domain = get_str(o, "domain");
	e->check = get_str(o, "check");
	good = id != NULL && strlen(id) <= DAEMON_ALERT_ID_LEN && e->domain != NULL &&
	       e->check != NULL && get_enum(o, "kind", DAEMON_ALERT_TEST_EV, &kind) &&
	       get_enum(o, "severity", SEV_UNKNOWN, &sev) &&
	       get_enum(o, "now_sev", SEV_UNKNOWN, &now_sev) && get_int(o, "failures", &failures) &&
	       failures >= 0 && failures <= UINT32_MAX &&
	       get_int(o, "started_at", &e->started_at) && get_int(o, "fired_at", &e->fired_at) &&
	       get_int(o, "ended_at", &e->ended_at) && get_int(o, "duration", &e->duration) &&
	       parse_findings(common_json_get(o, "findings"), &e->findings, &e->nfindings);
	if (good) {
		memcpy(e->episode_id, id, strlen(id) + 1);
		e->kind = (enum daemon_alert_kind)kind;
		e->severity = (enum dns_sev)sev;
		e->now_sev = (enum dns_sev)now_sev;
		e->failures = (unsigned)failures;
	}
	free(id);
	return good;
}

enum mp_err daemon_alert_json_group_parse(const char *text, struct daemon_alert_group *out)
{
	struct common_json *o = NULL;
	struct daemon_alert_group g;
	const struct common_json *a;
	size_t n;
	bool good;

	memset(&g, 0, sizeof g);
	if (common_json_parse(text, strlen(text), &o) != ERR_OK)
		return ERR_PARSE;
	a = common_json_get(o, "events");
	n = common_json_array_len(a);
	g.domain = get_str(o, "domain");
	good = g.domain != NULL && n > 0 && n <= 10000 && get_int(o, "at", &g.at);
	if (good) {
		g.events = xcalloc(n, sizeof *g.events);
		for (size_t i = 0; i < n && good; i++) {
			g.nevents = i + 1;
			good = parse_event(common_json_array_at(a, i), &g.events[i]);
		}
	}
	common_json_free(o);
	if (!good) {
		daemon_alert_group_free(&g);
		return ERR_PARSE;
	}
	*out = g;
	return ERR_OK;
}
