/*
 * daemon/alert_json: alert records and groups to and from JSON (see the
 * header).  Field names are short and stable: they live in the store across
 * upgrades, so a field is only ever added, never renamed.  Unknown fields
 * are ignored when read (a newer version may add some).
 *
 * Reading: the first problem found is put into words (the field and what is
 * wrong with it, never the text itself, which may hold DNS bytes) and the
 * whole record or group is refused.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "daemon/alert_json.h"
#include "daemon/alert_rec.h"

/* The latest time a record may carry: 9999-12-31 23:59:59 UTC. */
#define TIME_MAX INT64_C(253402300799)
#define NAME_MAX_LEN 255 /* domain (A-labels) and finding code */
#define CHECK_MAX_LEN 64
#define GROUP_MAX_EVENTS 10000

/* The reason of the first failure, if the caller wants it. */
struct jerr {
	char *why;
	size_t whysz;
	bool failed;
};

static bool fail(struct jerr *je, const char *fmt, ...) MP_PRINTF(2, 3);
static bool fail(struct jerr *je, const char *fmt, ...)
{
	va_list ap;

	if (!je->failed && je->why != NULL && je->whysz > 0) {
		va_start(ap, fmt);
		vsnprintf(je->why, je->whysz, fmt, ap);
		va_end(ap);
	}
	je->failed = true;
	return false;
}

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

/*
 * *out: a copy of the string member key of at most max bytes (min 1 when
 * nonempty).  Missing: *out NULL and true when optional.  Not a string,
 * holding NUL, empty when it must not be, or too long: false with words.
 */
static bool get_str(struct jerr *je, const struct common_json *o, const char *key, size_t max,
		    bool nonempty, bool optional, char **out)
{
	const struct common_json *v = common_json_get(o, key);
	size_t len;
	const char *s;

	*out = NULL;
	if (v == NULL)
		return optional || fail(je, "field \"%s\" is missing", key);
	s = common_json_str_value(v, &len);
	if (s == NULL)
		return fail(je, "field \"%s\" is not a string", key);
	if (memchr(s, '\0', len) != NULL)
		return fail(je, "field \"%s\" holds a NUL byte", key);
	if (len > max)
		return fail(je, "field \"%s\" is longer than %zu bytes", key, max);
	if (nonempty && len == 0)
		return fail(je, "field \"%s\" is empty", key);
	*out = xmemdup0(s, len);
	return true;
}

static bool get_int(struct jerr *je, const struct common_json *o, const char *key, int64_t min,
		    int64_t max, int64_t *out)
{
	const struct common_json *v = common_json_get(o, key);
	long long x;

	if (v == NULL)
		return fail(je, "field \"%s\" is missing", key);
	if (!common_json_int_value(v, &x))
		return fail(je, "field \"%s\" is not an integer", key);
	if (x < min || x > max)
		return fail(je, "field \"%s\" is out of range (%lld not in %lld..%lld)", key, x,
			    (long long)min, (long long)max);
	*out = x;
	return true;
}

static bool get_time(struct jerr *je, const struct common_json *o, const char *key, int64_t *out)
{
	return get_int(je, o, key, 0, TIME_MAX, out);
}

static bool get_u32(struct jerr *je, const struct common_json *o, const char *key, unsigned *out)
{
	int64_t v;

	if (!get_int(je, o, key, 0, UINT32_MAX, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

static bool get_enum(struct jerr *je, const struct common_json *o, const char *key, int max,
		     int *out)
{
	int64_t v;

	if (!get_int(je, o, key, 0, max, &v))
		return false;
	*out = (int)v;
	return true;
}

/* An episode id: "" (PENDING records) or DAEMON_ALERT_ID_LEN lower-case hex digits. */
static bool get_id(struct jerr *je, const struct common_json *o, char out[DAEMON_ALERT_ID_LEN + 1])
{
	char *id = NULL;
	size_t len;

	if (!get_str(je, o, "episode_id", DAEMON_ALERT_ID_LEN, false, false, &id))
		return false;
	len = strlen(id);
	if ((len != 0 && len != DAEMON_ALERT_ID_LEN) || strspn(id, "0123456789abcdef") != len) {
		free(id);
		return fail(je, "field \"episode_id\" is not %d lower-case hex digits",
			    DAEMON_ALERT_ID_LEN);
	}
	memcpy(out, id, len + 1);
	free(id);
	return true;
}

static bool parse_finding(struct jerr *je, const struct common_json *o,
			  struct daemon_alert_finding *f)
{
	int sev;

	if (!get_str(je, o, "code", NAME_MAX_LEN, true, false, &f->code) ||
	    !get_str(je, o, "message", DAEMON_ALERT_MAX_TEXT, false, false, &f->message) ||
	    !get_str(je, o, "fix", DAEMON_ALERT_MAX_TEXT, false, true, &f->fix) ||
	    !get_enum(je, o, "sev", SEV_UNKNOWN, &sev))
		return false;
	f->sev = (enum dns_sev)sev;
	return true;
}

/* True when v (not NULL) is a JSON array; common/json has no type query, its text says. */
static bool is_array(const struct common_json *v)
{
	char *d;
	bool yes;

	if (common_json_array_len(v) > 0)
		return true;
	d = common_json_dump(v, false);
	yes = d != NULL && d[0] == '[';
	free(d);
	return yes;
}

static bool parse_findings(struct jerr *je, const struct common_json *a,
			   struct daemon_alert_finding **fv, size_t *nf)
{
	size_t n = common_json_array_len(a);
	struct daemon_alert_finding *f;

	*fv = NULL;
	*nf = 0;
	if (a != NULL && !is_array(a))
		return fail(je, "field \"findings\" is not an array");
	if (n == 0)
		return true;
	if (n > DAEMON_ALERT_MAX_FINDINGS)
		return fail(je, "more than %d findings", DAEMON_ALERT_MAX_FINDINGS);
	f = xcalloc(n, sizeof *f);
	*fv = f;
	for (size_t i = 0; i < n; i++) {
		*nf = i + 1;
		if (!parse_finding(je, common_json_array_at(a, i), &f[i]))
			return false;
	}
	return true;
}

static char *dump_free(struct common_json *o)
{
	char *s = common_json_dump(o, false);

	common_json_free(o);
	return s;
}

/* Parse text as a JSON object into *o. */
static bool parse_text(struct jerr *je, const char *text, struct common_json **o)
{
	size_t len = strnlen(text, DAEMON_ALERT_JSON_MAX + 1);

	*o = NULL;
	if (len > DAEMON_ALERT_JSON_MAX)
		return fail(je, "longer than %d bytes", DAEMON_ALERT_JSON_MAX);
	if (common_json_parse(text, len, o) != ERR_OK)
		return fail(je, "not JSON (or not valid UTF-8)");
	/* Parsed: the first non-blank byte says which kind of value it is. */
	if (text[strspn(text, " \t\r\n")] != '{')
		return fail(je, "not a JSON object");
	return true;
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

static bool record_fields(struct jerr *je, const struct common_json *o,
			  struct daemon_alert_record *r)
{
	int sev, phase, fired, owed;

	if (!get_str(je, o, "domain", NAME_MAX_LEN, false, false, &r->domain) ||
	    !get_str(je, o, "check", CHECK_MAX_LEN, true, false, &r->check) ||
	    !get_id(je, o, r->episode_id) || !get_u32(je, o, "fails", &r->fails) ||
	    !get_u32(je, o, "oks", &r->oks) || !get_u32(je, o, "failures", &r->failures) ||
	    !get_enum(je, o, "severity", SEV_UNKNOWN, &sev) ||
	    !get_enum(je, o, "phase", DAEMON_ALERT_CLOSED, &phase) ||
	    !get_enum(je, o, "fired", DAEMON_ALERT_DLV_FAILED, &fired) ||
	    !get_enum(je, o, "owed", DAEMON_ALERT_TEST_EV, &owed) ||
	    !get_time(je, o, "started_at", &r->started_at) ||
	    !get_time(je, o, "fired_at", &r->fired_at) ||
	    !get_time(je, o, "ended_at", &r->ended_at) || !get_time(je, o, "due_at", &r->due_at) ||
	    !get_time(je, o, "last_notified_at", &r->last_notified_at))
		return false;
	r->severity = (enum dns_sev)sev;
	r->phase = (enum daemon_alert_phase)phase;
	r->fired = (enum daemon_alert_delivery)fired;
	r->owed = (enum daemon_alert_kind)owed;
	return parse_findings(je, common_json_get(o, "findings"), &r->findings, &r->nfindings);
}

enum mp_err daemon_alert_json_record_parse_why(const char *text, struct daemon_alert_record *out,
					       char *why, size_t whysz)
{
	struct jerr je = {why, whysz, false};
	struct common_json *o = NULL;
	struct daemon_alert_record r;
	bool good;

	memset(&r, 0, sizeof r);
	if (whysz > 0)
		why[0] = '\0';
	good = parse_text(&je, text, &o) && record_fields(&je, o, &r);
	common_json_free(o);
	if (!good) {
		daemon_alert_rec_clear(&r);
		return ERR_PARSE;
	}
	*out = r;
	return ERR_OK;
}

enum mp_err daemon_alert_json_record_parse(const char *text, struct daemon_alert_record *out)
{
	return daemon_alert_json_record_parse_why(text, out, NULL, 0);
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

static bool parse_event(struct jerr *je, const struct common_json *o, struct daemon_alert_event *e)
{
	int kind, sev, now_sev;

	if (!get_id(je, o, e->episode_id) ||
	    !get_str(je, o, "domain", NAME_MAX_LEN, false, false, &e->domain) ||
	    !get_str(je, o, "check", CHECK_MAX_LEN, true, false, &e->check) ||
	    !get_enum(je, o, "kind", DAEMON_ALERT_TEST_EV, &kind) ||
	    !get_enum(je, o, "severity", SEV_UNKNOWN, &sev) ||
	    !get_enum(je, o, "now_sev", SEV_UNKNOWN, &now_sev) ||
	    !get_u32(je, o, "failures", &e->failures) ||
	    !get_time(je, o, "started_at", &e->started_at) ||
	    !get_time(je, o, "fired_at", &e->fired_at) ||
	    !get_time(je, o, "ended_at", &e->ended_at) ||
	    !get_int(je, o, "duration", 0, TIME_MAX, &e->duration))
		return false;
	e->kind = (enum daemon_alert_kind)kind;
	e->severity = (enum dns_sev)sev;
	e->now_sev = (enum dns_sev)now_sev;
	return parse_findings(je, common_json_get(o, "findings"), &e->findings, &e->nfindings);
}

static bool group_fields(struct jerr *je, const struct common_json *o, struct daemon_alert_group *g)
{
	const struct common_json *a = common_json_get(o, "events");
	size_t n = common_json_array_len(a);

	if (!get_str(je, o, "domain", NAME_MAX_LEN, false, false, &g->domain) ||
	    !get_time(je, o, "at", &g->at))
		return false;
	if (a == NULL)
		return fail(je, "field \"events\" is missing");
	if (n == 0)
		return fail(je, "field \"events\" is %s", is_array(a) ? "empty" : "not an array");
	if (n > GROUP_MAX_EVENTS)
		return fail(je, "more than %d events", GROUP_MAX_EVENTS);
	g->events = xcalloc(n, sizeof *g->events);
	for (size_t i = 0; i < n; i++) {
		g->nevents = i + 1;
		if (!parse_event(je, common_json_array_at(a, i), &g->events[i]))
			return false;
	}
	return true;
}

enum mp_err daemon_alert_json_group_parse_why(const char *text, struct daemon_alert_group *out,
					      char *why, size_t whysz)
{
	struct jerr je = {why, whysz, false};
	struct common_json *o = NULL;
	struct daemon_alert_group g;
	bool good;

	memset(&g, 0, sizeof g);
	if (whysz > 0)
		why[0] = '\0';
	good = parse_text(&je, text, &o) && group_fields(&je, o, &g);
	common_json_free(o);
	if (!good) {
		daemon_alert_group_free(&g);
		return ERR_PARSE;
	}
	*out = g;
	return ERR_OK;
}

enum mp_err daemon_alert_json_group_parse(const char *text, struct daemon_alert_group *out)
{
	return daemon_alert_json_group_parse_why(text, out, NULL, 0);
}
