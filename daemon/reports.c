/*
 * daemon/reports: the report engine (see the header).  RFC 7489 7.2
 * (aggregate reports arrive by mail, usually daily), RFC 8460 3 (TLS-RPT
 * by mail or HTTPS POST), RFC 1035 3.5 (PTR lookups of report sources).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common/buf.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/config_report.h"
#include "daemon/report_analysis.h"
#include "daemon/report_ingest.h"
#include "daemon/report_worker.h"
#include "daemon/reports.h"
#include "daemon/store_probe.h"
#include "daemon/store_report.h"
#include "mail/report.h"

#define ANALYSE_EVERY 3600	    /* every domain at least hourly */
#define PRUNE_EVERY 86400	    /* retention once a day */
#define PRUNE_FIRST 3600	    /* ... the first an hour after the start */
#define RDNS_IDLE 60		    /* look for IPs without a PTR answer this often */
#define RDNS_RETRY 300		    /* after a job that left some out (timeouts) */
#define RDNS_STALE (7 * 86400)	    /* answers older than this are asked again */
#define DROP_SETTLE 2		    /* a file changed this recently may still be written */
#define DROP_BATCH 100		    /* files per turn; more: the next turn goes on */
#define SEEN_MAX 100000		    /* UIDs remembered per mailbox with delete = no */
#define API_DOMAINS_MAX (64 * 1024) /* domains waiting for the main loop */
#define INBOUND_BACKOFF 30	    /* after a store failure, listener mail waits this long */

/* One [report_mailbox], by name (kept across reloads). */
struct mbslot {
	char *name;
	int64_t next;
	unsigned long *seen; /* delete = no: UIDs already handled */
	size_t nseen;
};

struct daemon_reports {
	const struct daemon_config *cfg;
	struct daemon_store *st;
	daemon_reports_result_fn *fn;
	void *arg;
	struct daemon_report_worker *w;
	struct mbslot *mb;
	size_t nmb;
	int64_t next_drop, next_full, next_prune, next_rdns;
	size_t rdns_asked;
	char **dirty; /* domains to analyse */
	size_t ndirty;
	int drop_errno;		  /* the last drop_dir error logged (0: none) */
	int64_t inbound_retry_at; /* a store failure: leave inbound rows pending until then */
	bool changed, no_worker;
	/* The HTTP callback's side, under mu. */
	pthread_mutex_t mu;
	char *db_path, *qdir;
	size_t max_size;
	unsigned max_ratio;
	struct buf api_domains; /* comma separated */
	int pipe[2];
};

/* ---- analysis ---- */

static void mark_dirty(struct daemon_reports *r, const char *domain, size_t len)
{
	for (size_t i = 0; i < r->ndirty; i++)
		if (strlen(r->dirty[i]) == len && strncmp(r->dirty[i], domain, len) == 0)
			return;
	r->dirty = xreallocarray(r->dirty, r->ndirty + 1, sizeof *r->dirty);
	r->dirty[r->ndirty++] = xmemdup0(domain, len);
}

/* Each domain of a comma separated list. */
static void mark_list(struct daemon_reports *r, const char *list)
{
	while (list != NULL && *list != '\0') {
		const char *c = strchr(list, ',');
		size_t l = c ? (size_t)(c - list) : strlen(list);

		if (l > 0) {
			mark_dirty(r, list, l);
			r->next_rdns = 0; /* a report was stored: its new sources' PTR soon */
		}
		list = c ? c + 1 : NULL;
	}
}

static void analyse(struct daemon_reports *r, const struct daemon_config_domain *d, int64_t now)
{
	struct web_reports *a = NULL;
	struct dns_findings f;

	if (daemon_report_analyse(r->st, r->cfg, d, NULL, now, &a) != ERR_OK) {
		log_err("report", "analysis-failed domain=%s reason=%s", d->name,
			daemon_store_errmsg(r->st));
		return;
	}
	if (a == NULL)
		return; /* never had a report: no result */
	dns_findings_init(&f);
	daemon_report_findings(a, r->cfg, d, &f);
	daemon_report_analysis_free(a);
	r->fn(r->arg, d->name, &f, now);
	dns_findings_clear(&f);
	r->changed = true;
}

static void analyse_due(struct daemon_reports *r, int64_t now)
{
	if (now >= r->next_full) {
		for (size_t i = 0; i < r->cfg->n_domains; i++)
			if (r->cfg->domains[i].enabled)
				mark_dirty(r, r->cfg->domains[i].name,
					   strlen(r->cfg->domains[i].name));
		r->next_full = now + ANALYSE_EVERY;
	}
	for (size_t i = 0; i < r->ndirty; i++) {
		const struct daemon_config_domain *d =
		    daemon_config_find_domain(r->cfg, r->dirty[i]);

		/* Reports of a domain mailpulse does not check are kept, not judged. */
		if (d != NULL && d->enabled)
			analyse(r, d, now);
		free(r->dirty[i]);
	}
	free(r->dirty);
	r->dirty = NULL;
	r->ndirty = 0;
}

/* ---- ingest helpers ---- */

static enum mp_err ingest_mem(struct daemon_reports *r, const char *source, const char *p,
			      size_t len, int64_t now, struct daemon_report_ingest_result *res)
{
	struct daemon_report_ingest_opts o;
	enum mp_err rc;

	daemon_report_ingest_opts_from(r->cfg, source, now, &o);
	rc = daemon_report_ingest_mem(r->st, &o, p, len, res);
	mark_list(r, res->domains);
	if (rc != ERR_IO)
		r->changed = true;
	return rc;
}

const char *daemon_reports_inbound(void *arg, const struct daemon_inbound_row *in)
{
	struct daemon_reports *r = arg;
	struct daemon_report_ingest_result res;
	const char *source = in->source[0] ? in->source : "listener";
	int64_t now = time(NULL);

	if (now < r->inbound_retry_at)
		return NULL; /* the store failed a moment ago: not every turn */
	if (!daemon_config_report_rcpts_match(r->cfg, in->rcpts)) {
		struct mail_report_limits lim;
		struct mail_report_outcome out;
		struct daemon_report_ingest_opts o;

		/* Not sent to us as a report: take it only if it holds one. */
		daemon_report_ingest_opts_from(r->cfg, source, 0, &o);
		mail_report_limits_default(&lim);
		lim.archive.max_out = o.max_size;
		lim.archive.max_ratio = o.max_ratio;
		lim.agg.max_bytes = o.max_size;
		memset(&out, 0, sizeof out);
		(void)!mail_report_parse_mem(in->data, in->len, &lim, NULL, &out);
		if (out.reports == 0)
			return "unknown";
	}
	if (ingest_mem(r, source, in->data, in->len, now, &res) == ERR_IO) {
		log_warn("report", "inbound-retry id=%lld source=%s in=%ds", (long long)in->id,
			 source, INBOUND_BACKOFF);
		r->inbound_retry_at = now + INBOUND_BACKOFF;
		return NULL;
	}
	return "report";
}

/* ---- the drop directory ---- */

/* Whether name in the drop dir is a file to take now. */
static bool drop_wanted(const char *dir, const char *name, int64_t now, char **path)
{
	size_t l = strlen(name);
	struct stat sb;

	if (name[0] == '.' || (l >= 4 && strcmp(name + l - 4, ".tmp") == 0))
		return false;
	*path = xasprintf("%s/%s", dir, name);
	/* lstat: a symbolic link is never followed (it could point anywhere). */
	if (lstat(*path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (int64_t)sb.st_mtime > now - DROP_SETTLE) {
		free(*path);
		*path = NULL;
		return false;
	}
	return true;
}

static void drop_one(struct daemon_reports *r, const char *path, int64_t now)
{
	struct daemon_report_ingest_opts o;
	struct daemon_report_ingest_result res;
	enum mp_err rc;

	daemon_report_ingest_opts_from(r->cfg, "drop", now, &o);
	rc = daemon_report_ingest_file(r->st, &o, path, &res);
	mark_list(r, res.domains);
	if (rc == ERR_IO) {
		log_warn("report", "drop-retry file=%s reason=\"store or quarantine failure\"",
			 path);
		return;
	}
	r->changed = true;
	/* Stored, a duplicate, or rejected (then the quarantine holds a copy). */
	if (unlink(path) != 0)
		log_err("report", "drop-unlink-failed file=%s errno=%d", path, errno);
}

static void drop_scan(struct daemon_reports *r, int64_t now)
{
	const char *dir = r->cfg->reports.drop_dir;
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	if (dir == NULL || now < r->next_drop)
		return;
	r->next_drop = now + r->cfg->reports.drop_interval_s;
	d = opendir(dir);
	if (d == NULL) {
		if (errno != r->drop_errno)
			log_err("report", "drop-dir-unreadable dir=%s errno=%d (%s)", dir, errno,
				strerror(errno));
		r->drop_errno = errno;
		return;
	}
	if (r->drop_errno != 0)
		log_info("report", "drop-dir-readable dir=%s", dir);
	r->drop_errno = 0;
	while (n < DROP_BATCH && (e = readdir(d)) != NULL) {
		char *path = NULL;

		if (!drop_wanted(dir, e->d_name, now, &path))
			continue;
		drop_one(r, path, now);
		free(path);
		n++;
	}
	if (n == DROP_BATCH)
		r->next_drop = now; /* more: go on at the next turn */
	closedir(d);
}

/* ---- mailboxes and reverse DNS (the worker) ---- */

static struct mbslot *slot_of(struct daemon_reports *r, const char *name)
{
	for (size_t i = 0; i < r->nmb; i++)
		if (strcmp(r->mb[i].name, name) == 0)
			return &r->mb[i];
	return NULL;
}

static bool seen(const struct mbslot *s, unsigned long uid)
{
	for (size_t i = 0; i < s->nseen; i++)
		if (s->seen[i] == uid)
			return true;
	return false;
}

static void remember(struct mbslot *s, unsigned long uid)
{
	if (s->nseen == SEEN_MAX) { /* forget the oldest half */
		memmove(s->seen, s->seen + SEEN_MAX / 2, (SEEN_MAX / 2) * sizeof *s->seen);
		s->nseen = SEEN_MAX / 2;
	}
	s->seen = xreallocarray(s->seen, s->nseen + 1, sizeof *s->seen);
	s->seen[s->nseen++] = uid;
}

static void poll_done(struct daemon_reports *r, struct daemon_report_done *d, int64_t now)
{
	const struct daemon_config_report_mailbox *mb =
	    daemon_config_find_report_mailbox(r->cfg, d->mailbox);
	struct mbslot *s = slot_of(r, d->mailbox);
	unsigned long *uids = xcalloc(d->n_msgs + 1, sizeof *uids);
	size_t nu = 0, stored = 0;
	char *source = xasprintf("imap:%s", d->mailbox);

	if (d->rc != ERR_OK)
		log_warn("report", "mailbox-poll-failed mailbox=%s reason=\"%s\"", d->mailbox,
			 d->error);
	for (size_t i = 0; mb != NULL && s != NULL && i < d->n_msgs; i++) {
		struct daemon_report_ingest_result res;
		const struct daemon_report_fetched *m = &d->msgs[i];

		if (!mb->delete_read && seen(s, m->uid))
			continue;
		if (ingest_mem(r, source, m->data, m->len, now, &res) == ERR_IO)
			continue; /* kept in the box: the next poll finds it again */
		stored += res.stored;
		if (mb->delete_read)
			uids[nu++] = m->uid;
		else
			remember(s, m->uid);
	}
	if (d->n_msgs > 0)
		log_info("report", "mailbox-polled mailbox=%s messages=%zu stored=%zu delete=%zu",
			 d->mailbox, d->n_msgs, stored, nu);
	if (nu > 0 && r->w != NULL)
		daemon_report_worker_delete(r->w, mb, uids, nu);
	if (s != NULL && d->n_more > 0)
		s->next = now; /* more waiting: poll again at once */
	free(source);
	free(uids);
}

static void rdns_done(struct daemon_reports *r, const struct daemon_report_done *d, int64_t now)
{
	size_t ok = 0;

	for (size_t i = 0; i < d->n_ips; i++)
		if (daemon_store_report_rdns_set(r->st, d->ips[i], d->ptr[i], d->base[i], now) ==
		    ERR_OK)
			ok++;
	if (ok > 0)
		r->changed = true;
	log_debug("report", "rdns-done asked=%zu answered=%zu recorded=%zu", r->rdns_asked,
		  d->n_ips, ok);
	/* All answered: there may be more at once; some left out (timeouts): later. */
	r->next_rdns = d->n_ips >= r->rdns_asked ? now : now + RDNS_RETRY;
}

static void take_done(struct daemon_reports *r, int64_t now)
{
	struct daemon_report_done *d;

	while (r->w != NULL && (d = daemon_report_worker_take(r->w)) != NULL) {
		if (d->kind == DAEMON_REPORT_JOB_POLL)
			poll_done(r, d, now);
		else if (d->kind == DAEMON_REPORT_JOB_RDNS)
			rdns_done(r, d, now);
		else if (d->rc != ERR_OK)
			log_warn("report", "mailbox-delete-failed mailbox=%s reason=\"%s\"",
				 d->mailbox, d->error);
		daemon_report_done_free(d);
	}
}

static void polls_due(struct daemon_reports *r, int64_t now)
{
	for (size_t i = 0; r->w != NULL && i < r->cfg->n_report_mailboxes; i++) {
		const struct daemon_config_report_mailbox *mb = &r->cfg->report_mailboxes[i];
		struct mbslot *s = slot_of(r, mb->name);

		if (s == NULL || now < s->next ||
		    daemon_report_worker_busy(r->w, DAEMON_REPORT_JOB_POLL, mb->name) ||
		    daemon_report_worker_busy(r->w, DAEMON_REPORT_JOB_DELETE, mb->name))
			continue;
		s->next = now + mb->poll_interval_s;
		daemon_report_worker_poll(r->w, mb, r->cfg->reports.max_size);
	}
}

static void rdns_due(struct daemon_reports *r, int64_t now)
{
	char **ips = NULL;
	size_t n = 0;

	if (r->w == NULL || now < r->next_rdns ||
	    daemon_report_worker_busy(r->w, DAEMON_REPORT_JOB_RDNS, NULL))
		return;
	r->next_rdns = now + RDNS_IDLE;
	if (daemon_store_report_rdns_missing(r->st, now - RDNS_STALE, DAEMON_REPORT_RDNS_MAX, &ips,
					     &n) != ERR_OK) {
		log_err("report", "rdns-missing-failed reason=%s", daemon_store_errmsg(r->st));
		return;
	}
	if (n > 0) {
		r->rdns_asked = n;
		daemon_report_worker_rdns(r->w, ips, n);
	}
	for (size_t i = 0; i < n; i++)
		free(ips[i]);
	free(ips);
}

static void prune_due(struct daemon_reports *r, int64_t now)
{
	uint64_t n = 0;

	if (now < r->next_prune)
		return;
	r->next_prune = now + PRUNE_EVERY;
	if (daemon_store_report_prune(r->st, now - (int64_t)r->cfg->reports.keep_days * 86400,
				      &n) != ERR_OK) {
		log_err("report", "prune-failed reason=%s", daemon_store_errmsg(r->st));
		return;
	}
	log_info("report", "pruned reports=%llu keep_days=%u", (unsigned long long)n,
		 r->cfg->reports.keep_days);
	if (n > 0)
		r->changed = true;
}

/* ---- the engine ---- */

static void slots_from(struct daemon_reports *r, int64_t now)
{
	struct mbslot *v = xcalloc(r->cfg->n_report_mailboxes + 1, sizeof *v);

	for (size_t i = 0; i < r->cfg->n_report_mailboxes; i++) {
		struct mbslot *o = slot_of(r, r->cfg->report_mailboxes[i].name);

		if (o != NULL) { /* the same box: keep its schedule and what it has seen */
			v[i] = *o;
			o->name = NULL;
			o->seen = NULL;
		} else {
			v[i].name = xstrdup(r->cfg->report_mailboxes[i].name);
			v[i].next = now;
		}
	}
	for (size_t i = 0; i < r->nmb; i++) {
		free(r->mb[i].name);
		free(r->mb[i].seen);
	}
	free(r->mb);
	r->mb = v;
	r->nmb = r->cfg->n_report_mailboxes;
}

/* The HTTP callback's copy of what it needs from cfg. */
static void api_from(struct daemon_reports *r)
{
	pthread_mutex_lock(&r->mu);
	free(r->qdir);
	r->qdir = xstrdup(r->cfg->reports.quarantine_dir);
	r->max_size = r->cfg->reports.max_size;
	r->max_ratio = r->cfg->reports.max_ratio;
	pthread_mutex_unlock(&r->mu);
}

static void worker_start(struct daemon_reports *r)
{
	if (r->w != NULL || r->no_worker)
		return;
	if (daemon_report_worker_new(r->cfg, &r->w) != ERR_OK) {
		r->w = NULL;
		log_err("report", "worker-start-failed (mailboxes and reverse DNS wait for a "
				  "reload)");
	}
}

enum mp_err daemon_reports_new(const struct daemon_config *cfg, struct daemon_store *st,
			       const char *db_path, int64_t now, daemon_reports_result_fn *fn,
			       void *arg, struct daemon_reports **out)
{
	struct daemon_reports *r = xcalloc(1, sizeof *r);

	if (pipe2(r->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		free(r);
		return ERR_IO;
	}
	pthread_mutex_init(&r->mu, NULL);
	common_buf_init(&r->api_domains, API_DOMAINS_MAX);
	r->cfg = cfg;
	r->st = st;
	r->fn = fn;
	r->arg = arg;
	r->db_path = xstrdup(db_path);
	r->next_drop = r->next_full = r->next_rdns = now;
	r->next_prune = now + PRUNE_FIRST;
	slots_from(r, now);
	api_from(r);
	worker_start(r);
	*out = r;
	return ERR_OK;
}

static bool same_dns(const struct daemon_config *a, const struct daemon_config *b)
{
	if (a->dns.n_resolvers != b->dns.n_resolvers ||
	    a->dns.opts.timeout_ms != b->dns.opts.timeout_ms ||
	    a->dns.opts.tries != b->dns.opts.tries)
		return false;
	for (size_t i = 0; i < a->dns.n_resolvers; i++)
		if (strcmp(a->dns.resolvers[i], b->dns.resolvers[i]) != 0)
			return false;
	return true;
}

void daemon_reports_reload(struct daemon_reports *r, const struct daemon_config *cfg, int64_t now)
{
	bool restart = r->w != NULL && !same_dns(r->cfg, cfg);

	r->cfg = cfg;
	if (restart) {
		/* Jobs in flight are dropped: polls are redone, deletes and PTR
		   lookups asked again. */
		daemon_report_worker_free(r->w);
		r->w = NULL;
	}
	if (restart || r->w == NULL)
		worker_start(r);
	slots_from(r, now);
	api_from(r);
	r->next_drop = now;
	r->next_full = now; /* thresholds may have changed */
	r->drop_errno = 0;
}

int daemon_reports_fd(const struct daemon_reports *r)
{
	return r->w != NULL ? daemon_report_worker_fd(r->w) : -1;
}

int daemon_reports_wake_fd(const struct daemon_reports *r)
{
	return r->pipe[0];
}

/* What the HTTP callback stored since the last turn. */
static void take_api(struct daemon_reports *r)
{
	char buf[64];
	char *list;

	while (read(r->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&r->mu);
	list = common_buf_steal(&r->api_domains, NULL);
	pthread_mutex_unlock(&r->mu);
	if (list != NULL) {
		mark_list(r, list);
		r->changed = true;
	}
	free(list);
}

bool daemon_reports_run(struct daemon_reports *r, int64_t now)
{
	bool changed;

	take_api(r);
	take_done(r, now);
	drop_scan(r, now);
	polls_due(r, now);
	rdns_due(r, now);
	analyse_due(r, now);
	prune_due(r, now);
	changed = r->changed;
	r->changed = false;
	return changed;
}

/* ---- POST /api/v1/reports (an HTTP server thread) ---- */

static unsigned api_status(enum mp_err rc, const struct daemon_report_ingest_result *res)
{
	if (rc == ERR_IO)
		return 503;
	if (res->stored > 0)
		return 201;
	if (res->duplicates > 0 && res->rejected == 0)
		return 200;
	return 422;
}

static void api_json(const struct daemon_report_ingest_result *res, enum mp_err rc, char *json,
		     size_t jsonsz)
{
	struct buf b;
	struct common_jsonw w;

	common_buf_init(&b, 8192);
	common_jsonw_init(&w, &b);
	common_jsonw_obj_begin(&w);
	common_jsonw_kint(&w, "stored", res->stored);
	common_jsonw_kint(&w, "duplicates", res->duplicates);
	common_jsonw_kint(&w, "rejected", res->rejected);
	if (rc == ERR_IO)
		common_jsonw_kstr(&w, "reason", "the report could not be stored; try again later");
	else if (res->why[0] != '\0')
		common_jsonw_kstr(&w, "reason", res->why);
	common_jsonw_obj_end(&w);
	if (jsonsz > 0)
		snprintf(json, jsonsz, "%s", b.len < jsonsz ? common_buf_str(&b) : "{}");
	common_buf_free(&b);
}

unsigned daemon_reports_http_ingest(void *arg, const char *body, size_t len, char *json,
				    size_t jsonsz)
{
	struct daemon_reports *r = arg;
	struct daemon_report_ingest_opts o;
	struct daemon_report_ingest_result res;
	struct daemon_store *st = NULL;
	char err[256], *db, *qdir;
	enum mp_err rc;

	memset(&res, 0, sizeof res);
	memset(&o, 0, sizeof o);
	pthread_mutex_lock(&r->mu);
	db = xstrdup(r->db_path);
	qdir = xstrdup(r->qdir);
	o.max_size = r->max_size;
	o.max_ratio = r->max_ratio;
	pthread_mutex_unlock(&r->mu);
	o.source = "api";
	o.quarantine_dir = qdir;
	o.now = time(NULL);
	/* One connection per call: SQLite connections are not shared between threads. */
	rc = daemon_store_open(db, &st, err, sizeof err);
	if (rc != ERR_OK) {
		log_err("report", "api-store-open-failed reason=\"%s\"", err);
		rc = ERR_IO;
	} else {
		rc = daemon_report_ingest_mem(st, &o, body, len, &res);
		daemon_store_close(st);
	}
	if (rc != ERR_IO) {
		pthread_mutex_lock(&r->mu);
		if (res.domains[0] != '\0')
			(void)!common_buf_printf(&r->api_domains, "%s%s",
						 r->api_domains.len ? "," : "", res.domains);
		pthread_mutex_unlock(&r->mu);
		(void)!write(r->pipe[1], "r", 1);
	}
	api_json(&res, rc, json, jsonsz);
	free(db);
	free(qdir);
	return api_status(rc, &res);
}

void daemon_reports_no_worker(struct daemon_reports *r)
{
	daemon_report_worker_free(r->w);
	r->w = NULL;
	r->no_worker = true;
}

void daemon_reports_free(struct daemon_reports *r)
{
	if (r == NULL)
		return;
	daemon_report_worker_free(r->w);
	for (size_t i = 0; i < r->nmb; i++) {
		free(r->mb[i].name);
		free(r->mb[i].seen);
	}
	free(r->mb);
	for (size_t i = 0; i < r->ndirty; i++)
		free(r->dirty[i]);
	free(r->dirty);
	free(r->db_path);
	free(r->qdir);
	common_buf_free(&r->api_domains);
	close(r->pipe[0]);
	close(r->pipe[1]);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
