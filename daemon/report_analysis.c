/*
 * daemon/report_analysis: the stored reports of one domain -> struct
 * web_reports and the findings of check "reports" (see the header).
 *
 * Numbers come from the reporters' own verdicts (RFC 7489 7.2.1.1
 * policy_evaluated: DMARC passes when aligned DKIM or aligned SPF passed);
 * nothing is re-evaluated here.  Percentages are cut, never rounded up, to
 * one decimal: 99.96% shows as 99.9%, so "100%" always means every message.
 *
 * What it does not: read DNS (the current DMARC record comes from the
 * caller), ingest, or render.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/report_analysis.h"
#include "daemon/store_report.h"

#define CHECK "reports"
#define DAY 86400
#define MAX_SOURCES 200
#define MAX_RECENT 20
#define MAX_FAILURES 20

static const unsigned window_days[WEB_REPORT_WINDOWS] = {1, 7, 30};

/* "12,345" */
static void thousands(uint64_t v, char *out, size_t sz)
{
	char raw[32];
	size_t n = (size_t)snprintf(raw, sizeof raw, "%" PRIu64, v), o = 0;

	for (size_t i = 0; i < n && o + 2 < sz; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = raw[i];
	}
	out[o] = '\0';
}

/* "97.2%", cut (not rounded) to one decimal; "100%" only when all passed. */
static void percent(uint64_t pass, uint64_t messages, char *out, size_t sz)
{
	uint64_t tenths;

	if (messages == 0 || pass >= messages) {
		snprintf(out, sz, messages == 0 ? "0%%" : "100%%");
		return;
	}
	tenths = (uint64_t)((long double)pass * 1000.0L / (long double)messages);
	snprintf(out, sz, "%" PRIu64 ".%" PRIu64 "%%", tenths / 10, tenths % 10);
}

/* A ratio as configured ("99%", "99.5%"). */
static void threshold(double r, char *out, size_t sz)
{
	snprintf(out, sz, "%g%%", r * 100.0);
}

static const char *shown(const struct daemon_config_domain *d)
{
	return d->display != NULL ? d->display : d->name;
}

static enum mp_err add_windows(struct daemon_store *st, const char *domain, int64_t now,
			       struct web_reports *a)
{
	enum mp_err e = ERR_OK;

	for (size_t i = 0; e == ERR_OK && i < WEB_REPORT_WINDOWS; i++) {
		struct daemon_report_totals t;
		struct web_report_window *w = &a->windows[i];

		e = daemon_store_report_totals(st, domain, now - (int64_t)window_days[i] * DAY, &t);
		if (e != ERR_OK)
			break;
		w->days = window_days[i];
		w->messages = t.messages;
		w->pass = t.pass;
		w->dkim_pass = t.dkim_pass;
		w->spf_pass = t.spf_pass;
		w->quarantined = t.quarantined;
		w->rejected = t.rejected;
		w->ratio = t.messages ? (double)t.pass / (double)t.messages : -1.0;
	}
	return e;
}

static char *headline(const char *name, const struct web_report_window *w)
{
	char pct[48], num[32];

	if (w->messages == 0)
		return xasprintf("No DMARC aggregate reports for %s in the last %u days.", name,
				 w->days);
	percent(w->pass, w->messages, pct, sizeof pct);
	thousands(w->messages, num, sizeof num);
	return xasprintf("%s of mail from %s passed DMARC in the last %u days (%s message%s)", pct,
			 name, w->days, num, w->messages == 1 ? "" : "s");
}

/* Issue 5 groups: aligned (most of its mail passes DMARC), misaligned
   (authorised for some other domain), unknown (nothing passed). */
static const char *group_of(const struct daemon_report_source *x)
{
	if (x->messages > 0 && x->pass * 2 >= x->messages)
		return "aligned";
	return x->auth_pass > 0 ? "misaligned" : "unknown";
}

static void copy_source(struct web_report_source *w, struct daemon_report_source *x,
			int64_t new_since)
{
	w->ip = x->ip;
	w->ptr = x->ptr;
	w->base = x->base;
	w->reporters = x->reporters;
	w->header_from = x->header_from;
	w->auth_domains = x->auth_domains;
	x->ip = x->ptr = x->base = x->reporters = x->header_from = x->auth_domains = NULL;
	w->group = xstrdup(group_of(x));
	w->messages = x->messages;
	w->pass = x->pass;
	w->first_seen = x->first_seen;
	w->last_seen = x->last_seen;
	w->is_new = x->first_seen >= new_since;
}

static enum mp_err add_sources(struct daemon_store *st, const struct daemon_config *cfg,
			       const char *domain, int64_t now, struct web_reports *a)
{
	struct daemon_report_source *v = NULL;
	size_t n = 0;
	int64_t new_since = now - (int64_t)cfg->reports.new_source_days * DAY;
	enum mp_err e = daemon_store_report_sources_split(st, domain, now - 30 * DAY, now - 7 * DAY,
							  MAX_SOURCES, &v, &n);

	if (e != ERR_OK)
		return e;
	a->sources = xcalloc(n + 1, sizeof *a->sources);
	a->n_sources = n;
	for (size_t i = 0; i < n; i++) {
		copy_source(&a->sources[i], &v[i], new_since);
		a->sources[i].messages_7d = v[i].messages_recent;
	}
	daemon_store_report_sources_free(v, n);
	return ERR_OK;
}

static enum mp_err add_tlsrpt(struct daemon_store *st, const char *domain, int64_t now,
			      struct web_reports *a)
{
	struct daemon_tlsrpt_sum *v = NULL, *w7 = NULL;
	size_t n = 0, n7 = 0;
	enum mp_err e = daemon_store_report_tlsrpt(st, domain, now - 30 * DAY, &v, &n);

	if (e == ERR_OK)
		e = daemon_store_report_tlsrpt(st, domain, now - 7 * DAY, &w7, &n7);
	if (e == ERR_OK) {
		a->tlsrpt = xcalloc(n + 1, sizeof *a->tlsrpt);
		a->n_tlsrpt = n;
		for (size_t i = 0; i < n; i++) {
			struct web_tlsrpt_row *r = &a->tlsrpt[i];

			r->reporter = v[i].reporter;
			r->policy_type = v[i].policy_type;
			r->policy_domain = v[i].policy_domain;
			r->failure_types = v[i].failure_types;
			v[i].reporter = v[i].policy_type = v[i].policy_domain = NULL;
			v[i].failure_types = NULL;
			r->success = v[i].success;
			r->failure = v[i].failure;
			for (size_t k = 0; k < n7; k++)
				if (strcmp(w7[k].reporter, r->reporter) == 0 &&
				    strcmp(w7[k].policy_type, r->policy_type) == 0 &&
				    strcmp(w7[k].policy_domain, r->policy_domain) == 0)
					r->failure_7d = w7[k].failure;
		}
	}
	daemon_store_report_tlsrpt_free(v, n);
	daemon_store_report_tlsrpt_free(w7, n7);
	return e;
}

static enum mp_err add_recent(struct daemon_store *st, const char *domain, struct web_reports *a)
{
	struct daemon_report_item *v = NULL;
	size_t n = 0;
	enum mp_err e = daemon_store_report_recent(st, domain, MAX_RECENT, &v, &n);

	if (e != ERR_OK)
		return e;
	a->recent = xcalloc(n + 1, sizeof *a->recent);
	a->n_recent = n;
	for (size_t i = 0; i < n; i++) {
		struct web_report_item *r = &a->recent[i];

		r->kind = v[i].kind;
		r->reporter = v[i].reporter;
		r->report_id = v[i].report_id;
		r->source = v[i].source;
		r->container = v[i].container;
		v[i].kind = v[i].reporter = v[i].report_id = v[i].source = v[i].container = NULL;
		r->begin = v[i].begin;
		r->end = v[i].end;
		r->received = v[i].received;
		r->records = v[i].records;
		r->messages = v[i].messages;
	}
	daemon_store_report_items_free(v, n);
	return ERR_OK;
}

static enum mp_err add_failures(struct daemon_store *st, const char *domain, struct web_reports *a)
{
	struct daemon_report_failure *v = NULL;
	size_t n = 0;
	enum mp_err e = daemon_store_report_failures(st, domain, MAX_FAILURES, &v, &n);

	if (e != ERR_OK)
		return e;
	a->failures = xcalloc(n + 1, sizeof *a->failures);
	a->n_failures = n;
	for (size_t i = 0; i < n; i++) {
		struct web_report_failure *r = &a->failures[i];

		r->arrival = v[i].arrival;
		r->reporter = v[i].reporter;
		r->source_ip = v[i].source_ip;
		r->auth_failure = v[i].auth_failure;
		r->from = v[i].from;
		r->subject = v[i].subject;
		r->dkim_domain = v[i].dkim_domain;
		v[i].reporter = v[i].source_ip = v[i].auth_failure = v[i].from = NULL;
		v[i].subject = v[i].dkim_domain = NULL;
	}
	daemon_store_report_failures_free(v, n);
	return ERR_OK;
}

/* One trimmed "tag=value" of a record: whether its name is name (RFC 7489 6.4). */
static bool tag_is(const char *t, size_t len, const char *name)
{
	size_t nl = strlen(name);
	size_t i = nl;

	if (len < nl || strncasecmp(t, name, nl) != 0)
		return false;
	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	return i < len && t[i] == '=';
}

/* A record we may rewrite: printable ASCII (and tabs), starting with v=DMARC1. */
static bool rewritable(const char *r, size_t len)
{
	const char *t = r, *semi, *eq;
	size_t tl;

	if (r == NULL || len > DAEMON_REPORT_MAX_RECORD)
		return false;
	for (size_t i = 0; i < len; i++)
		if (r[i] != '\t' && ((unsigned char)r[i] < 0x20 || (unsigned char)r[i] > 0x7e))
			return false;
	/* RFC 7489 6.4: v=DMARC1 is the first tag */
	semi = memchr(r, ';', len);
	tl = semi ? (size_t)(semi - r) : len;
	common_str_trim(&t, &tl);
	if (!tag_is(t, tl, "v"))
		return false;
	eq = memchr(t, '=', tl);
	tl -= (size_t)(eq + 1 - t);
	t = eq + 1;
	common_str_trim(&t, &tl);
	return tl == 6 && strncmp(t, "DMARC1", 6) == 0;
}

/* Append the tags of r (len bytes) but v, p and pct to b. */
static bool copy_tags(struct buf *b, const char *r, size_t len)
{
	size_t i = 0;
	bool ok = true;

	while (ok && i < len) {
		const char *t = r + i;
		const char *semi = memchr(t, ';', len - i);
		size_t tl = semi ? (size_t)(semi - t) : len - i;

		i += tl + 1;
		common_str_trim(&t, &tl);
		if (tl > 0 && !tag_is(t, tl, "v") && !tag_is(t, tl, "p") && !tag_is(t, tl, "pct"))
			ok = common_buf_puts(b, "; ") == ERR_OK &&
			     common_buf_append(b, t, tl) == ERR_OK;
	}
	return ok;
}

char *daemon_report_record(const char *target, const char *current, size_t len, const char *rua)
{
	struct buf b;
	bool ok;

	/* tags grow by at most one byte each ("; "), plus the new head */
	common_buf_init(&b, 2 * DAEMON_REPORT_MAX_RECORD + 64);
	ok = common_buf_printf(&b, "v=DMARC1; p=%s", target) == ERR_OK;
	if (ok && rewritable(current, len))
		ok = copy_tags(&b, current, len);
	else if (ok && rua != NULL && *rua)
		ok = common_buf_printf(&b, "; rua=mailto:%s", rua) == ERR_OK;
	if (!ok) {
		log_warn("reports", "record-too-long target=%s", target);
		common_buf_reset(&b);
		if (common_buf_printf(&b, "v=DMARC1; p=%s", target) != ERR_OK)
			common_buf_reset(&b);
	}
	return common_buf_steal(&b, NULL);
}

static void day_name(int64_t day, char *out, size_t sz)
{
	time_t t = (time_t)(day * DAY);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, sz, "%Y-%m-%d", &tm) == 0)
		snprintf(out, sz, "day %lld", (long long)day);
}

/*
 * Over the days with reports: how many, and the words saying what is
 * missing (NULL when every day passed at >= threshold and there are
 * enough of them).  A gap of two days (late or missing reports) is fine.
 */
static char *days_verdict(const struct daemon_report_day *v, size_t n, double threshold_r,
			  unsigned need_days, const char *name, const char *target, unsigned *have)
{
	unsigned bad = 0;
	size_t last_bad = 0;
	char thr[32], pct[48], day[32];

	*have = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].messages == 0)
			continue;
		(*have)++;
		/* the most recent bad day says whether it is still happening */
		if ((double)v[i].pass < threshold_r * (double)v[i].messages) {
			bad++;
			last_bad = i;
		}
	}
	threshold(threshold_r, thr, sizeof thr);
	if (bad > 0) {
		percent(v[last_bad].pass, v[last_bad].messages, pct, sizeof pct);
		day_name(v[last_bad].day, day, sizeof day);
		return xasprintf("Not yet safe to move %s to p=%s: the DMARC pass rate was %s on "
				 "%s, below %s (%u of %u days with reports were below).",
				 name, target, pct, day, thr, bad, *have);
	}
	if (*have + 2 < need_days)
		return xasprintf("Not yet safe to move %s to p=%s: only %u of %u days have "
				 "reports.",
				 name, target, *have, need_days);
	return NULL;
}

/* Issue 5 "Recommendation": under p=none quarantine, under quarantine reject. */
static enum mp_err recommend(struct daemon_store *st, const struct daemon_config *cfg,
			     const struct daemon_config_domain *d, const char *current, int64_t now,
			     struct web_reports *a)
{
	const char *target = strcmp(a->policy, "none") == 0	    ? "quarantine"
			     : strcmp(a->policy, "quarantine") == 0 ? "reject"
								    : NULL;
	unsigned need_days = cfg->reports.recommend_days, have = 0;
	struct daemon_report_day *v = NULL;
	size_t n = 0;
	char thr[32];
	enum mp_err e;

	a->recommend = xstrdup("");
	a->recommend_record = xstrdup("");
	if (strcmp(a->policy, "reject") == 0) {
		a->recommend_text =
		    xasprintf("%s is already at p=reject: nothing more to do.", shown(d));
		return ERR_OK;
	}
	if (target == NULL) {
		a->recommend_text =
		    xasprintf("The reports do not say which DMARC policy %s publishes.", shown(d));
		return ERR_OK;
	}
	e = daemon_store_report_days(st, d->name, now - (int64_t)need_days * DAY, &v, &n);
	if (e != ERR_OK)
		return e;
	a->recommend_text = days_verdict(v, n, cfg->reports.recommend_threshold, need_days,
					 shown(d), target, &have);
	free(v);
	if (a->recommend_text != NULL)
		return ERR_OK;
	free(a->recommend);
	free(a->recommend_record);
	a->recommend = xstrdup(target);
	a->recommend_record =
	    daemon_report_record(target, current, current ? strlen(current) : 0,
				 cfg->reports.n_addresses ? cfg->reports.addresses[0] : NULL);
	threshold(cfg->reports.recommend_threshold, thr, sizeof thr);
	a->recommend_text = xasprintf("On each of the last %u days with reports at least %s of "
				      "mail from %s passed DMARC under p=%s: it is safe to move to "
				      "p=%s.",
				      have, thr, shown(d), a->policy, target);
	return ERR_OK;
}

static enum mp_err fill(struct daemon_store *st, const struct daemon_config *cfg,
			const struct daemon_config_domain *d, const char *current, int64_t now,
			struct web_reports *a)
{
	enum mp_err e = add_windows(st, d->name, now, a);

	if (e == ERR_OK) {
		a->headline = headline(shown(d), &a->windows[1]);
		e = add_sources(st, cfg, d->name, now, a);
	}
	if (e == ERR_OK)
		e = daemon_store_report_policy(st, d->name, &a->policy);
	if (e == ERR_OK)
		e = recommend(st, cfg, d, current, now, a);
	if (e == ERR_OK)
		e = add_tlsrpt(st, d->name, now, a);
	if (e == ERR_OK)
		e = add_recent(st, d->name, a);
	if (e == ERR_OK)
		e = add_failures(st, d->name, a);
	if (e == ERR_OK)
		e = daemon_store_report_counters(st, d->name, &a->counter_pass, &a->counter_fail);
	return e;
}

enum mp_err daemon_report_analyse(struct daemon_store *st, const struct daemon_config *cfg,
				  const struct daemon_config_domain *d, const char *dmarc_record,
				  int64_t now, struct web_reports **out)
{
	struct web_reports *a;
	bool any = false;
	enum mp_err e = daemon_store_report_exists(st, d->name, &any);

	if (e != ERR_OK)
		return e;
	if (!any) {
		*out = NULL;
		return ERR_OK;
	}
	a = xcalloc(1, sizeof *a);
	e = fill(st, cfg, d, dmarc_record, now, a);
	if (e != ERR_OK) {
		daemon_report_analysis_free(a);
		return e;
	}
	*out = a;
	return ERR_OK;
}

void daemon_report_analysis_free(struct web_reports *a)
{
	struct web_snapshot *s;

	if (a == NULL)
		return;
	/* web/snapshot frees a web_reports only as part of a snapshot */
	s = web_snapshot_new();
	s->domains = xcalloc(1, sizeof *s->domains);
	s->n_domains = 1;
	s->domains[0].reports = a;
	web_snapshot_free(s);
}

/* ---- findings ---- */

static void compliance(const struct web_reports *a, const struct daemon_config *cfg,
		       const char *name, struct dns_findings *f)
{
	const struct web_report_window *w = &a->windows[1];
	char pct[48], thr[32], num[32], ev[256];

	if (w->messages == 0 || w->ratio >= cfg->reports.compliance_floor)
		return;
	percent(w->pass, w->messages, pct, sizeof pct);
	threshold(cfg->reports.compliance_floor, thr, sizeof thr);
	thousands(w->messages, num, sizeof num);
	snprintf(ev, sizeof ev,
		 "window=7d messages=%" PRIu64 " pass=%" PRIu64 " dkim_pass=%" PRIu64
		 " spf_pass=%" PRIu64 " quarantined=%" PRIu64 " rejected=%" PRIu64 " floor=%g",
		 w->messages, w->pass, w->dkim_pass, w->spf_pass, w->quarantined, w->rejected,
		 cfg->reports.compliance_floor);
	/* critical below 50%: most of the domain's mail fails */
	dns_findings_add(f, CHECK, "REPORT_COMPLIANCE_LOW",
			 w->ratio < 0.5 ? SEV_CRITICAL : SEV_WARN,
			 "Look at the sources that fail: for each sender of yours, publish its "
			 "SPF include or enable DKIM signing with your own domain so it aligns; "
			 "anything else is spoofing. Do not tighten p= until the rate is back up.",
			 ev, (size_t)-1,
			 "Only %s of mail from %s passed DMARC in the last 7 days (%s messages); "
			 "the floor is %s.",
			 pct, name, num, thr);
}

static void unknown_sources(const struct web_reports *a, const struct daemon_config *cfg,
			    const char *name, struct dns_findings *f)
{
	for (size_t i = 0; i < a->n_sources; i++) {
		const struct web_report_source *x = &a->sources[i];
		char num[32], who[600], ev[1024];

		if (strcmp(x->group, "unknown") != 0 || !x->is_new ||
		    x->messages_7d < cfg->reports.unknown_min_messages || x->messages_7d == 0)
			continue;
		thousands(x->messages_7d, num, sizeof num);
		if (*x->ptr)
			snprintf(who, sizeof who, "%s (%s%s%s)", x->ip, x->ptr,
				 *x->base ? ", " : "", x->base);
		else
			snprintf(who, sizeof who, "%s (no reverse DNS name)", x->ip);
		snprintf(ev, sizeof ev,
			 "ip=%s ptr=%s base=%s messages_7d=%" PRIu64 " first_seen=%lld "
			 "reporters=%s header_from=%s",
			 x->ip, x->ptr, x->base, x->messages_7d, (long long)x->first_seen,
			 x->reporters, x->header_from);
		dns_findings_add(
		    f, CHECK, "REPORT_UNKNOWN_SOURCE", SEV_WARN,
		    "If this is your sender, publish its SPF include / enable DKIM for "
		    "it; otherwise it is spoofing: move to p=reject.",
		    ev, (size_t)-1,
		    "A new source sends mail as %s and passes neither SPF nor DKIM: %s, "
		    "%s messages in the last 7 days, reported by %s.",
		    name, who, num, x->reporters);
	}
}

static void tls_failures(const struct web_reports *a, const char *name, struct dns_findings *f)
{
	for (size_t i = 0; i < a->n_tlsrpt; i++) {
		const struct web_tlsrpt_row *r = &a->tlsrpt[i];
		char num[32], ev[1024];

		if (r->failure_7d == 0)
			continue;
		thousands(r->failure_7d, num, sizeof num);
		snprintf(ev, sizeof ev,
			 "reporter=%s policy_type=%s policy_domain=%s failure_7d=%" PRIu64
			 " success_30d=%" PRIu64 " failure_30d=%" PRIu64 " types_30d=%s",
			 r->reporter, r->policy_type, r->policy_domain, r->failure_7d, r->success,
			 r->failure, r->failure_types);
		dns_findings_add(
		    f, CHECK, "TLSRPT_FAILURES", SEV_WARN,
		    "Check each MX host of the domain: its certificate (expiry, name, chain), "
		    "that it offers STARTTLS, and that the MTA-STS policy lists every MX.",
		    ev, (size_t)-1,
		    "%s could not deliver mail to %s over TLS %s time%s in the last 7 days "
		    "(policy %s for %s; failures seen in 30 days: %s).",
		    r->reporter, name, num, r->failure_7d == 1 ? "" : "s", r->policy_type,
		    r->policy_domain, *r->failure_types ? r->failure_types : "no details");
	}
}

void daemon_report_findings(const struct web_reports *a, const struct daemon_config *cfg,
			    const struct daemon_config_domain *d, struct dns_findings *f)
{
	size_t first = f->n;
	bool bad = false;

	if (a == NULL)
		return;
	compliance(a, cfg, shown(d), f);
	unknown_sources(a, cfg, shown(d), f);
	tls_failures(a, shown(d), f);
	for (size_t i = first; i < f->n; i++)
		bad = bad || dns_sev_worse(f->v[i].sev, SEV_INFO);
	if (*a->recommend) {
		bool rej = strcmp(a->recommend, "reject") == 0;
		char *fix =
		    xasprintf("Publish at _dmarc.%s: TXT \"%s\"", d->name, a->recommend_record);

		dns_findings_add(
		    f, CHECK, rej ? "REPORT_MOVE_TO_REJECT" : "REPORT_MOVE_TO_QUARANTINE", SEV_INFO,
		    fix, a->recommend_record, (size_t)-1, "%s", a->recommend_text);
		free(fix);
	}
	if (!bad)
		dns_findings_add(f, CHECK, "REPORT_OK", SEV_OK, NULL, NULL, 0, "%s", a->headline);
}
