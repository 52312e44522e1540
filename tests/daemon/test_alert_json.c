/*
 * tests/daemon/test_alert_json: daemon/alert_json, the alert engine's saved
 * state and the outbox payloads as the store keeps them.  The exported
 * state of an engine in every phase survives JSON and import unchanged;
 * groups survive JSON; hostile or damaged text (not JSON, wrong types,
 * numbers and strings out of bounds, NUL bytes, invalid UTF-8, deep
 * nesting, 2 MiB) is refused with words that name the problem, and the
 * output is left untouched; byte flips of valid text never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "daemon/alert_json.h"
#include "daemon/alert_rec.h"
#include "tests/lib/tap.h"

#define T0 1787407380 /* 2026-08-22 14:03:00 UTC */

static struct daemon_alert *engine(unsigned f, unsigned s, int64_t wait)
{
	struct daemon_alert_config c;
	struct daemon_alert *a = NULL;
	char why[128];

	daemon_alert_config_default(&c);
	c.failures = f;
	c.successes = s;
	c.group_wait = wait;
	c.reminder_interval = 600;
	if (daemon_alert_new(&c, &a, why, sizeof why) != ERR_OK)
		fatal("engine: %s", why);
	return a;
}

static void obs(struct daemon_alert *a, const char *domain, const char *check, enum dns_sev sev,
		const char *msg, int64_t now)
{
	struct dns_findings f;

	dns_findings_init(&f);
	dns_findings_add(&f, check, sev == SEV_OK ? "OK" : "BROKEN", sev,
			 sev == SEV_OK ? NULL : "publish the record", NULL, 0, "%s", msg);
	daemon_alert_observe(a, domain, &f, now, NULL);
	dns_findings_clear(&f);
}

/* An engine holding records in every phase, owed messages and delivery outcomes. */
static struct daemon_alert *busy_engine(struct daemon_alert_batch *keep)
{
	struct daemon_alert *a = engine(2, 2, 30);
	struct daemon_alert_batch b;

	obs(a, "a.example", "dkim", SEV_CRITICAL, "no key at mp1._domainkey \"<script>\"", T0);
	obs(a, "a.example", "dkim", SEV_CRITICAL, "no key, again", T0 + 60);	 /* firing */
	obs(a, "b.example", "spf", SEV_WARN, "~all \xc3\xa9t\xc3\xa9", T0 + 60); /* pending */
	obs(a, "c.example", "dmarc", SEV_WARN, "p=none", T0);
	obs(a, "c.example", "dmarc", SEV_WARN, "p=none", T0 + 60); /* firing, warn */
	daemon_alert_tick(a, T0 + 100, &b);			   /* hands out the firings */
	for (size_t i = 0; i < b.ngroups; i++)
		if (strcmp(b.groups[i].domain, "c.example") == 0)
			(void)daemon_alert_delivery(a, b.groups[i].events[0].episode_id,
						    b.groups[i].events[0].kind, true, T0 + 101);
	obs(a, "c.example", "dmarc", SEV_OK, "ok", T0 + 120); /* resolving */
	obs(a, "a.example", "dkim", SEV_OK, "ok", T0 + 120);
	obs(a, "a.example", "dkim", SEV_OK, "ok", T0 + 180); /* closed, outcome unknown */
	daemon_alert_set_degraded(a, true, "resolver down", T0 + 200, NULL);
	*keep = b;
	return a;
}

static bool record_equal(const struct daemon_alert_record *x, const struct daemon_alert_record *y)
{
	if (strcmp(x->domain, y->domain) != 0 || strcmp(x->check, y->check) != 0 ||
	    x->severity != y->severity || x->phase != y->phase || x->fails != y->fails ||
	    x->oks != y->oks || x->failures != y->failures ||
	    strcmp(x->episode_id, y->episode_id) != 0 || x->started_at != y->started_at ||
	    x->fired_at != y->fired_at || x->ended_at != y->ended_at || x->fired != y->fired ||
	    x->owed != y->owed || x->due_at != y->due_at ||
	    x->last_notified_at != y->last_notified_at || x->nfindings != y->nfindings)
		return false;
	for (size_t i = 0; i < x->nfindings; i++) {
		const struct daemon_alert_finding *a = &x->findings[i], *b = &y->findings[i];

		if (strcmp(a->code, b->code) != 0 || a->sev != b->sev ||
		    strcmp(a->message, b->message) != 0 || (a->fix == NULL) != (b->fix == NULL) ||
		    (a->fix != NULL && strcmp(a->fix, b->fix) != 0))
			return false;
	}
	return true;
}

static void test_record_round_trip(void)
{
	struct daemon_alert_batch b;
	struct daemon_alert *a = busy_engine(&b), *back = engine(2, 2, 30);
	struct daemon_alert_record *v = NULL, *w, *again = NULL;
	size_t n = 0, m = 0, same = 0, phases = 0;
	bool text_same = true;

	daemon_alert_export(a, &v, &n);
	w = xcalloc(n + 1, sizeof *w);
	for (size_t i = 0; i < n; i++) {
		char *t = daemon_alert_json_record(&v[i]), *t2;
		char why[128];

		if (daemon_alert_json_record_parse_why(t, &w[i], why, sizeof why) != ERR_OK) {
			tap_diag("record %zu refused: %s", i, why);
			free(t);
			continue;
		}
		same += record_equal(&v[i], &w[i]);
		phases |= 1u << v[i].phase;
		t2 = daemon_alert_json_record(&w[i]);
		text_same &= strcmp(t, t2) == 0;
		free(t);
		free(t2);
	}
	tap_ok(n >= 4, "the busy engine exports %zu records", n);
	tap_is_int((long long)phases,
		   1 << DAEMON_ALERT_PENDING | 1 << DAEMON_ALERT_FIRING |
		       1 << DAEMON_ALERT_RESOLVING | 1 << DAEMON_ALERT_CLOSED,
		   "records in every exported phase");
	tap_is_int((long long)same, (long long)n, "every record reads back equal");
	tap_ok(text_same, "and writes the same text again");
	tap_ok(daemon_alert_import(back, w, n) == ERR_OK, "the parsed records import");
	daemon_alert_export(back, &again, &m);
	same = 0;
	for (size_t i = 0; i < n && m == n; i++)
		same += record_equal(&v[i], &again[i]);
	tap_ok(m == n && same == n, "the imported engine exports the same state");
	tap_ok(daemon_alert_degraded(back), "the degraded episode came through");
	tap_is_int(daemon_alert_next_due(back), daemon_alert_next_due(a), "same next due time");
	daemon_alert_records_free(again, m);
	daemon_alert_records_free(w, n);
	daemon_alert_records_free(v, n);
	daemon_alert_batch_free(&b);
	daemon_alert_free(back);
	daemon_alert_free(a);
}

static void test_group_round_trip(void)
{
	struct daemon_alert_batch b;
	struct daemon_alert *a = busy_engine(&b);
	size_t events = 0, good = 0;

	for (size_t i = 0; i < b.ngroups; i++) {
		char *t = daemon_alert_json_group(&b.groups[i]), *t2 = NULL;
		struct daemon_alert_group g;

		if (daemon_alert_json_group_parse(t, &g) == ERR_OK) {
			t2 = daemon_alert_json_group(&g);
			good += strcmp(t, t2) == 0 && g.nevents == b.groups[i].nevents &&
				strcmp(g.domain, b.groups[i].domain) == 0 && g.at == b.groups[i].at;
			daemon_alert_group_free(&g);
		}
		for (size_t j = 0; j < b.groups[i].nevents; j++) {
			char *one = daemon_alert_json_group_one(&b.groups[i], j);

			if (daemon_alert_json_group_parse(one, &g) == ERR_OK) {
				events +=
				    g.nevents == 1 && strcmp(g.events[0].episode_id,
							     b.groups[i].events[j].episode_id) == 0;
				daemon_alert_group_free(&g);
			}
			free(one);
		}
		free(t);
		free(t2);
	}
	tap_ok(b.ngroups >= 2, "the tick made %zu groups", b.ngroups);
	tap_is_int((long long)good, (long long)b.ngroups,
		   "every group reads back and writes the same text");
	tap_ok(events >= b.ngroups,
	       "single-event payloads (webhooks) read back with their episode");
	daemon_alert_batch_free(&b);
	daemon_alert_free(a);
}

/* A valid record with one field's JSON text replaced (NULL: as is). */
static char *record_with(const char *field, const char *value)
{
	static const char *const keys[] = {
	    "domain",	"check",      "severity",	  "phase",    "fails",	  "oks",
	    "failures", "episode_id", "started_at",	  "fired_at", "ended_at", "fired",
	    "owed",	"due_at",     "last_notified_at", "findings"};
	static const char *const vals[] = {"\"a.example\"",
					   "\"dkim\"",
					   "3",
					   "2",
					   "2",
					   "0",
					   "2",
					   "\"0123456789abcdef0123456789abcdef\"",
					   "1787407380",
					   "1787407440",
					   "0",
					   "1",
					   "0",
					   "0",
					   "1787407440",
					   ("[{\"code\":\"DKIM_KEY_MISSING\",\"sev\":3,\"message\":"
					    "\"no key\",\"fix\":\"publish\"}]")};
	char *out = xstrdup("{"), *t;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = (field != NULL && strcmp(field, keys[i]) == 0) ? value : vals[i];

		if (v == NULL)
			continue; /* the field left out */
		t = xasprintf("%s%s\"%s\":%s", out, i ? "," : "", keys[i], v);
		free(out);
		out = t;
	}
	t = xasprintf("%s}", out);
	free(out);
	return t;
}

static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* text must be refused, with a reason containing want, and *out untouched. */
static void refused(const char *text, const char *want, const char *name)
{
	struct daemon_alert_record r, canary;
	char why[256] = "x";
	enum mp_err rc;

	memset(&r, 0xa5, sizeof r);
	memcpy(&canary, &r, sizeof r);
	rc = daemon_alert_json_record_parse_why(text, &r, why, sizeof why);
	if (!tap_ok(rc == ERR_PARSE && strstr(why, want) != NULL &&
			memcmp(&r, &canary, sizeof r) == 0,
		    "refused: %s", name))
		tap_diag("rc=%d why=\"%s\" want \"%s\"", (int)rc, why, want);
	if (rc == ERR_OK)
		daemon_alert_rec_clear(&r);
}

static void test_hostile_records(void)
{
	char *t, *big, *deep;
	struct daemon_alert_record r;

	t = record_with(NULL, NULL);
	tap_ok(daemon_alert_json_record_parse(t, &r) == ERR_OK, "the template record is valid");
	daemon_alert_rec_clear(&r);
	free(t);
	t = record_with("findings", "[]");
	tap_ok(daemon_alert_json_record_parse(t, &r) == ERR_OK && r.nfindings == 0,
	       "no findings is fine");
	daemon_alert_rec_clear(&r);
	free(t);

	refused("", "not JSON", "empty text");
	refused("{\"domain\":", "not JSON", "truncated");
	refused("{\"domain\":\"\xff\xfe\"}", "not JSON", "invalid UTF-8");
	refused("{\"a\":1,\"a\":2}", "not JSON", "duplicate keys");
	refused("[1,2]", "not a JSON object", "an array");
	refused("  \"text\"", "not a JSON object", "a string");
	refused("42", "not a JSON object", "a number");
	refused("{}", "\"domain\" is missing", "an empty object");
	deep = repeat('[', 100000);
	refused(deep, "not JSON", "100000 nested arrays");
	free(deep);
	big = repeat(' ', DAEMON_ALERT_JSON_MAX + 10);
	big[0] = '{';
	refused(big, "longer than", "2 MiB of text");
	free(big);

	struct {
		const char *field, *value, *want, *name;
	} cases[] = {
	    {"phase", NULL, "\"phase\" is missing", "phase missing"},
	    {"phase", "99", "\"phase\" is out of range", "phase 99"},
	    {"phase", "-1", "\"phase\" is out of range", "phase -1"},
	    {"phase", "\"2\"", "\"phase\" is not an integer", "phase as a string"},
	    {"phase", "2.5", "\"phase\" is not an integer", "phase 2.5"},
	    {"severity", "7", "\"severity\" is out of range", "severity 7"},
	    {"fired", "4", "\"fired\" is out of range", "delivery state 4"},
	    {"owed", "5", "\"owed\" is out of range", "owed kind 5"},
	    {"fails", "-1", "\"fails\" is out of range", "negative counter"},
	    {"fails", "4294967296", "\"fails\" is out of range", "counter 2^32"},
	    {"oks", "1e400", "not JSON", "number overflow"},
	    {"failures", "null", "\"failures\" is not an integer", "null counter"},
	    {"started_at", "-5", "\"started_at\" is out of range", "time before 1970"},
	    {"due_at", "253402300800", "\"due_at\" is out of range", "time after 9999"},
	    {"last_notified_at", "9223372036854775807", "out of range", "time INT64_MAX"},
	    {"domain", "7", "\"domain\" is not a string", "domain as a number"},
	    {"domain", "\"a\\u0000b.example\"", "NUL byte", "NUL in the domain"},
	    {"check", "\"\"", "\"check\" is empty", "empty check"},
	    {"check", "\"ch\\u0000eck\"", "NUL byte", "NUL in the check"},
	    {"episode_id", "\"XYZ\"", "hex digits", "id not hex"},
	    {"episode_id", "\"0123456789ABCDEF0123456789ABCDEF\"", "hex digits", "id upper-case"},
	    {"episode_id", "\"0123456789abcdef0123456789abcdef0\"", "longer than 32", "id of 33"},
	    {"episode_id", "\"0123\"", "hex digits", "id of 4"},
	    {"findings", "\"x\"", "\"findings\" is not an array", "findings as a string"},
	    {"findings", "{}", "\"findings\" is not an array", "findings as an object"},
	    {"findings", "[{\"code\":\"X\",\"sev\":9,\"message\":\"m\"}]",
	     "\"sev\" is out of range", "finding severity 9"},
	    {"findings", "[{\"code\":\"\",\"sev\":3,\"message\":\"m\"}]", "\"code\" is empty",
	     "empty code"},
	    {"findings", "[{\"sev\":3,\"message\":\"m\"}]", "\"code\" is missing", "no code"},
	    {"findings", "[{\"code\":\"X\",\"sev\":3,\"message\":\"m\",\"fix\":5}]",
	     "\"fix\" is not a string", "fix as a number"},
	    {"findings", "[7]", "\"code\" is missing", "a finding that is a number"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t = record_with(cases[i].field, cases[i].value);
		refused(t, cases[i].want, cases[i].name);
		free(t);
	}

	/* Bounds on strings and on the number of findings. */
	big = repeat('a', 300);
	deep = xasprintf("\"%s\"", big);
	t = record_with("domain", deep);
	refused(t, "longer than 255", "domain of 300 bytes");
	free(t);
	free(deep);
	free(big);
	big = repeat('m', DAEMON_ALERT_MAX_TEXT + 1);
	deep = xasprintf("[{\"code\":\"X\",\"sev\":3,\"message\":\"%s\"}]", big);
	t = record_with("findings", deep);
	refused(t, "longer than 2048", "a message over the text cap");
	free(t);
	free(deep);
	free(big);
	deep = xstrdup("[");
	for (int i = 0; i <= DAEMON_ALERT_MAX_FINDINGS; i++) {
		char *x = xasprintf("%s%s{\"code\":\"X%d\",\"sev\":3,\"message\":\"m\"}", deep,
				    i ? "," : "", i);
		free(deep);
		deep = x;
	}
	big = xasprintf("%s]", deep);
	t = record_with("findings", big);
	refused(t, "more than 8 findings", "9 findings");
	free(t);
	free(big);
	free(deep);
}

static void test_extra_and_why(void)
{
	char *base = record_with(NULL, NULL), *t;
	struct daemon_alert_record r;
	char small[8];

	base[strlen(base) - 1] = '\0'; /* drop the closing brace */
	t = xasprintf("%s,\"added_later\":{\"x\":[1,2]}}", base);
	tap_ok(daemon_alert_json_record_parse(t, &r) == ERR_OK && r.phase == DAEMON_ALERT_FIRING,
	       "an unknown field (a newer version's) is ignored");
	daemon_alert_rec_clear(&r);
	free(t);
	free(base);
	memset(small, 'z', sizeof small);
	tap_ok(daemon_alert_json_record_parse_why("nope", &r, small, sizeof small) == ERR_PARSE &&
		   memchr(small, '\0', sizeof small) != NULL,
	       "a short why buffer is cut and terminated");
	tap_ok(daemon_alert_json_record_parse_why("nope", &r, NULL, 0) == ERR_PARSE,
	       "no why buffer is fine");
}

static void group_refused(const char *text, const char *want, const char *name)
{
	struct daemon_alert_group g;
	char why[256] = "";
	enum mp_err rc = daemon_alert_json_group_parse_why(text, &g, why, sizeof why);

	if (!tap_ok(rc == ERR_PARSE && strstr(why, want) != NULL, "group refused: %s", name))
		tap_diag("why=\"%s\"", why);
	if (rc == ERR_OK)
		daemon_alert_group_free(&g);
}

static void test_hostile_groups(void)
{
	static const char ev[] =
	    "{\"kind\":1,\"episode_id\":\"0123456789abcdef0123456789abcdef\",\"domain\":\"a."
	    "example\","
	    "\"check\":\"dkim\",\"severity\":3,\"started_at\":1,\"fired_at\":2,\"ended_at\":0,"
	    "\"duration\":0,\"failures\":2,\"now_sev\":3,\"findings\":[]}";
	char *t;
	struct daemon_alert_group g;

	t = xasprintf("{\"domain\":\"a.example\",\"at\":5,\"events\":[%s,%s]}", ev, ev);
	tap_ok(daemon_alert_json_group_parse(t, &g) == ERR_OK && g.nevents == 2,
	       "a two-event group reads");
	daemon_alert_group_free(&g);
	free(t);
	group_refused("{\"domain\":\"a.example\",\"at\":5,\"events\":[]}", "\"events\" is empty",
		      "no events");
	group_refused("{\"domain\":\"a.example\",\"at\":5}", "\"events\" is missing",
		      "events missing");
	group_refused("{\"domain\":\"a.example\",\"at\":5,\"events\":{}}", "not an array",
		      "events as an object");
	group_refused("{\"domain\":\"a.example\",\"at\":-1,\"events\":[1]}",
		      "\"at\" is out of range", "negative time");
	t = xasprintf("{\"domain\":\"a.example\",\"at\":5,\"events\":[%s,7]}", ev);
	group_refused(t, "\"episode_id\" is missing", "an event that is a number");
	free(t);
	t = xasprintf("{\"domain\":\"a.example\",\"at\":5,\"events\":[{\"kind\":9%s]}", ev + 9);
	group_refused(t, "\"kind\" is out of range", "event kind 9");
	free(t);
	group_refused("[]", "not a JSON object", "an array");
}

/* Byte flips of valid texts: never a crash; a refusal always says why. */
static void test_flips(void)
{
	struct daemon_alert_batch b;
	struct daemon_alert *a = busy_engine(&b);
	char *texts[2] = {record_with(NULL, NULL), daemon_alert_json_group(&b.groups[0])};
	uint32_t x = 12345;
	size_t ok = 0, refused_with_words = 0, total = 0;

	for (int k = 0; k < 2; k++) {
		size_t len = strlen(texts[k]);

		for (int i = 0; i < 3000; i++) {
			char *m = xstrdup(texts[k]), why[200] = "";
			struct daemon_alert_record r;
			struct daemon_alert_group g;
			enum mp_err rc;

			for (int f = 0; f < 1 + i % 3; f++) {
				x = x * 1103515245u + 12345u;
				m[(x >> 8) % len] = (char)(((x >> 16) & 0xff) | 1); /* never NUL */
			}
			rc = k == 0 ? daemon_alert_json_record_parse_why(m, &r, why, sizeof why)
				    : daemon_alert_json_group_parse_why(m, &g, why, sizeof why);
			total++;
			if (rc == ERR_OK) {
				ok++;
				if (k == 0)
					daemon_alert_rec_clear(&r);
				else
					daemon_alert_group_free(&g);
			} else {
				refused_with_words += why[0] != '\0';
			}
			free(m);
		}
	}
	tap_is_int((long long)(ok + refused_with_words), (long long)total,
		   "%zu flipped texts: each read or refused with a reason (%zu read)", total, ok);
	free(texts[0]);
	free(texts[1]);
	daemon_alert_batch_free(&b);
	daemon_alert_free(a);
}

int main(void)
{
	test_record_round_trip();
	test_group_round_trip();
	test_hostile_records();
	test_extra_and_why();
	test_hostile_groups();
	test_flips();
	return tap_done();
}
