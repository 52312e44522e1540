/*
 * daemon/mainloop: mailpulsed's event loop, signals and reload (see the
 * header).  The only mutable globals are the signal flags and the
 * self-pipe's write end, as signal handlers need them (STYLE.md 18-19).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/deliver.h"
#include "daemon/engine.h"
#include "daemon/mainloop.h"
#include "daemon/mailq.h"
#include "daemon/probe.h"
#include "daemon/probe_listen.h"
#include "daemon/reports.h"
#include "daemon/sdnotify.h"
#include "daemon/snapbuild.h"
#include "daemon/store.h"
#include "daemon/store_probe.h"
#include "daemon/store_prune.h"
#include "web/http.h"

#define PRUNE_EVERY (24 * 3600)

static volatile sig_atomic_t sig_hup, sig_term;
static int sig_fd = -1; /* write end of the self-pipe */

/* Requests from the HTTP server's threads: owned copies under a mutex. */
struct webq {
	pthread_mutex_t mu;
	int pipe[2];
	bool reload;
	char **check; /* domains to check now */
	size_t ncheck;
	char **known; /* configured domains, for 404 */
	size_t nknown;
	struct daemon_reports *reports; /* set before the server starts, kept until it stops */
};

struct loop {
	const char *path;
	struct daemon_config *cfg;
	struct daemon_store *st;
	struct daemon_engine *eng;
	struct daemon_deliver *dlv;
	struct daemon_mailq *mq;
	struct daemon_probe *probe;	 /* kept across reloads */
	struct daemon_probe_listen *lis; /* NULL without [listener] */
	struct daemon_reports *reports;	 /* kept across reloads */
	char *db_path;
	struct web_http *web;
	struct webq wq;
	struct daemon_snapbuild_info info;
	int64_t last_prune, last_watchdog_ms;
	bool dirty;
};

static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_term = 1;
	if (sig_fd >= 0)
		(void)!write(sig_fd, "s", 1);
	errno = saved;
}

static enum mp_err signals_setup(int fds[2])
{
	struct sigaction sa;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return ERR_IO;
	sig_fd = fds[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return ERR_OK;
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

static void webq_set_domains(struct webq *q, const struct daemon_config *cfg)
{
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < q->nknown; i++)
		free(q->known[i]);
	free(q->known);
	q->known = xcalloc(cfg->n_domains + 1, sizeof *q->known);
	q->nknown = 0;
	for (size_t i = 0; i < cfg->n_domains; i++)
		if (cfg->domains[i].enabled)
			q->known[q->nknown++] = xstrdup(cfg->domains[i].name);
	pthread_mutex_unlock(&q->mu);
}

/* web/http callback (an MHD thread): post and return. */
static void cb_reload(void *arg)
{
	struct webq *q = arg;

	pthread_mutex_lock(&q->mu);
	q->reload = true;
	pthread_mutex_unlock(&q->mu);
	(void)!write(q->pipe[1], "r", 1);
}

/* web/http callback (an MHD thread): post and return. */
static enum mp_err cb_check_now(void *arg, const char *domain)
{
	struct webq *q = arg;
	enum mp_err rc = ERR_NOTFOUND;

	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < q->nknown && rc == ERR_NOTFOUND; i++)
		if (strcmp(q->known[i], domain) == 0)
			rc = ERR_OK;
	if (rc == ERR_OK && q->ncheck >= 10000)
		rc = ERR_LIMIT;
	if (rc == ERR_OK) {
		q->check = xreallocarray(q->check, q->ncheck + 1, sizeof *q->check);
		q->check[q->ncheck++] = xstrdup(domain);
	}
	pthread_mutex_unlock(&q->mu);
	if (rc == ERR_OK)
		(void)!write(q->pipe[1], "c", 1);
	return rc;
}

/* web/http callback (an MHD thread): POST /api/v1/reports, ingested on this thread. */
static unsigned cb_ingest_report(void *arg, const char *body, size_t len, char *json, size_t jsonsz)
{
	struct webq *q = arg;

	if (q->reports == NULL) {
		snprintf(json, jsonsz,
			 "{\"stored\":0,\"duplicates\":0,\"rejected\":0,"
			 "\"reason\":\"not ready\"}");
		return 503;
	}
	return daemon_reports_http_ingest(q->reports, body, len, json, jsonsz);
}

static void webq_free(struct webq *q)
{
	for (size_t i = 0; i < q->nknown; i++)
		free(q->known[i]);
	free(q->known);
	for (size_t i = 0; i < q->ncheck; i++)
		free(q->check[i]);
	free(q->check);
	close(q->pipe[0]);
	close(q->pipe[1]);
	pthread_mutex_destroy(&q->mu);
}

/* The HTTP server's settings from cfg's [web] section. */
static void web_opts(const struct daemon_config *cfg, struct webq *wq, struct web_http_opts *o)
{
	web_http_opts_init(o);
	o->address = cfg->web.listen_addr;
	o->port = cfg->web.listen_port;
	o->token = cfg->web.token.value;
	o->cb = (struct web_http_callbacks){.reload = cb_reload,
					    .check_now = cb_check_now,
					    .ingest_report = cb_ingest_report,
					    .arg = wq};
	o->max_report_body = cfg->reports.max_api_body;
	o->connection_limit = cfg->web.max_connections;
	o->per_ip_limit = cfg->web.max_connections_per_ip;
	o->timeout_seconds = cfg->web.connection_timeout_s;
}

static bool same_str(const char *x, const char *y)
{
	return (x == NULL || y == NULL) ? x == y : strcmp(x, y) == 0;
}

/*
 * True when the listener must restart for b's [web] section: address,
 * port, token or limits differ.  public_url (read when a message is built)
 * and refresh (part of each snapshot) take effect without one.
 */
static bool web_changed(const struct daemon_config *a, const struct daemon_config *b)
{
	return !same_str(a->web.listen_addr, b->web.listen_addr) ||
	       a->web.listen_port != b->web.listen_port ||
	       !same_str(a->web.token.value, b->web.token.value) ||
	       a->web.max_connections != b->web.max_connections ||
	       a->web.max_connections_per_ip != b->web.max_connections_per_ip ||
	       a->web.connection_timeout_s != b->web.connection_timeout_s ||
	       a->reports.max_api_body != b->reports.max_api_body;
}

/*
 * A listener for cfg's [web] settings, started while the old one still
 * serves (sharing its socket when address and port are unchanged).  NULL
 * when nothing changed; ERR_IO when it cannot start (the reason is logged).
 */
static enum mp_err web_restart(struct loop *l, const struct daemon_config *cfg,
			       struct web_http **out)
{
	struct web_http_opts o;

	*out = NULL;
	if (!web_changed(l->cfg, cfg))
		return ERR_OK;
	web_opts(cfg, &l->wq, &o);
	o.takeover = l->web;
	return web_http_start(&o, out) == ERR_OK ? ERR_OK : ERR_IO;
}

/* Start, restart or stop the SMTP listener for l->cfg (daemon/probe_listen). */
static enum mp_err listener_apply(struct loop *l)
{
	char why[512] = "";
	enum mp_err rc = daemon_probe_listen_apply(&l->lis, l->cfg, l->db_path, why, sizeof why);

	if (rc != ERR_OK)
		log_err("listener", "start-failed address=%s port=%u reason=\"%s\"",
			l->cfg->listener.listen_addr, l->cfg->listener.listen_port, why);
	return rc;
}

/* daemon/probe: a finished probe is a result of check "probe" (daemon/engine);
   daemon/reports: an analysis is a result of check "reports", the same way. */
static void on_probe_result(void *arg, const char *domain, const struct dns_findings *f,
			    int64_t now)
{
	struct loop *l = arg;

	if (daemon_engine_external_result(l->eng, domain, f, now) == ERR_OK)
		l->dirty = true;
}

static void refuse(struct loop *l, const char *why)
{
	log_err("daemon", "reload-refused reason=\"%s\" (the old config keeps running)", why);
	l->info.last_reload_ok = false;
}

static void reload(struct loop *l, int64_t now)
{
	struct daemon_config *cfg = NULL, *old;
	struct daemon_engine *eng = NULL;
	struct web_http *web = NULL;
	char err[1024];

	daemon_sdnotify_reloading();
	l->info.last_reload_at = now;
	l->dirty = true;
	if (daemon_config_load(l->path, &cfg, err, sizeof err) != ERR_OK) {
		refuse(l, err);
		daemon_sdnotify_ready("reload refused");
		return;
	}
	/* Flush the old engines' state to the store; the new ones import it from there. */
	(void)daemon_engine_round(l->eng, now);
	if (daemon_engine_new(cfg, l->st, now, &eng, err, sizeof err) != ERR_OK) {
		refuse(l, err);
		daemon_config_free(cfg);
		daemon_sdnotify_ready("reload refused");
		return;
	}
	/* The new listener is bound before anything is replaced: if it cannot be, nothing is. */
	if (web_restart(l, cfg, &web) != ERR_OK) {
		snprintf(err, sizeof err,
			 "[web] listen = %s:%u cannot be served (address in use, "
			 "not allowed, or not local)",
			 cfg->web.listen_addr, cfg->web.listen_port);
		refuse(l, err);
		daemon_engine_free(eng);
		daemon_config_free(cfg);
		daemon_sdnotify_ready("reload refused");
		return;
	}
	daemon_deliver_free(l->dlv);
	daemon_engine_free(l->eng);
	old = l->cfg;
	l->cfg = cfg;
	l->eng = eng;
	l->dlv = daemon_deliver_new(cfg, l->st, eng, l->mq);
	/* The engines compare the old config with the new one: free it after. */
	daemon_probe_reload(l->probe, cfg, now);
	daemon_reports_reload(l->reports, cfg, now);
	daemon_config_free(old);
	(void)listener_apply(l);
	webq_set_domains(&l->wq, cfg);
	common_log_set_level(cfg->daemon.log_level);
	l->info.last_reload_ok = true;
	l->info.last_reload_success_at = now;
	if (web != NULL) {
		/* The new listener shows the current state before the old one goes. */
		l->info.now = now;
		web_http_publish(web, daemon_snapbuild(l->cfg, l->st, l->eng, &l->info));
		web_http_stop(l->web);
		l->web = web;
	}
	log_info("daemon", "reloaded domains=%zu alerts=%zu web=%s", cfg->n_domains, cfg->n_alerts,
		 web != NULL ? "restarted" : "unchanged");
	daemon_sdnotify_ready("reloaded");
}

static void handle_web(struct loop *l, int64_t now)
{
	char **check;
	size_t n;
	bool rl;

	drain(l->wq.pipe[0]);
	pthread_mutex_lock(&l->wq.mu);
	rl = l->wq.reload;
	l->wq.reload = false;
	check = l->wq.check;
	n = l->wq.ncheck;
	l->wq.check = NULL;
	l->wq.ncheck = 0;
	pthread_mutex_unlock(&l->wq.mu);
	for (size_t i = 0; i < n; i++) {
		enum mp_err rc = daemon_engine_check_now(l->eng, check[i], now);

		log_info("daemon", "check-now domain=%s result=%s", check[i],
			 rc == ERR_OK ? "scheduled" : "skipped");
		free(check[i]);
	}
	free(check);
	if (rl)
		reload(l, now);
}

static void handle_mail(struct loop *l, int64_t now)
{
	struct daemon_mailq_done r;

	while (daemon_mailq_pop(l->mq, &r)) {
		daemon_deliver_mail_done(l->dlv, &r, now);
		daemon_mailq_done_clear(&r);
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Probes beyond [probe] keep per domain, and processed inbound messages past
   the history window (daemon/store_probe); reports prune themselves
   (daemon/reports). */
static void prune_probes(struct loop *l, int64_t now)
{
	uint64_t np = 0, ni = 0;

	if (l->cfg->probe.keep == 0)
		return;
	if (daemon_store_probe_prune(l->st, now, l->cfg->probe.keep, &np, &ni) != ERR_OK)
		log_err("store", "probe-prune-failed reason=%s", daemon_store_errmsg(l->st));
	else if (np > 0 || ni > 0)
		log_info("store", "pruned probes=%llu inbound=%llu", (unsigned long long)np,
			 (unsigned long long)ni);
}

static void housekeeping(struct loop *l, int64_t now)
{
	uint64_t wd = daemon_sdnotify_watchdog_usec();

	if (now - l->last_prune >= PRUNE_EVERY) {
		struct daemon_store_prune_stats ps = {0};

		if (daemon_store_prune(l->st, now, &ps) != ERR_OK)
			log_err("store", "prune-failed reason=%s", daemon_store_errmsg(l->st));
		else
			log_info("store", "pruned results=%llu outbox=%llu",
				 (unsigned long long)ps.results, (unsigned long long)ps.outbox);
		prune_probes(l, now);
		l->last_prune = now;
	}
	if (wd > 0 && (mono_ms() - l->last_watchdog_ms) * 1000 >= (int64_t)(wd / 2)) {
		daemon_sdnotify_watchdog();
		l->last_watchdog_ms = mono_ms();
	}
	if (!l->info.ready && daemon_engine_first_round_done(l->eng)) {
		l->info.ready = true;
		l->dirty = true;
		log_info("daemon", "ready");
	}
	if (l->dirty) {
		l->info.now = now;
		web_http_publish(l->web, daemon_snapbuild(l->cfg, l->st, l->eng, &l->info));
		l->dirty = false;
	}
}

/* One turn of the loop: wait for something (bounded), then do what is due. */
static void turn(struct loop *l, int sigrd)
{
	int64_t now = time(NULL);
	size_t running;
	struct pollfd pfd[7] = {{.fd = sigrd, .events = POLLIN},
				{.fd = l->wq.pipe[0], .events = POLLIN},
				{.fd = daemon_mailq_fd(l->mq), .events = POLLIN},
				{.fd = daemon_probe_fd(l->probe), .events = POLLIN},
				{.fd = daemon_probe_listen_fd(l->lis), .events = POLLIN},
				{.fd = daemon_reports_fd(l->reports), .events = POLLIN},
				{.fd = daemon_reports_wake_fd(l->reports), .events = POLLIN}};

	daemon_engine_start_due(l->eng, now);
	running = daemon_engine_running(l->eng);
	(void)poll(pfd, 7, running || daemon_deliver_inflight(l->dlv) ? 0 : 200);
	if (pfd[0].revents)
		drain(sigrd);
	if (sig_term)
		return;
	if (sig_hup) {
		sig_hup = 0;
		reload(l, now);
	}
	if (pfd[1].revents)
		handle_web(l, now);
	if (pfd[2].revents)
		handle_mail(l, now);
	if (pfd[4].revents)
		daemon_probe_listen_drain(l->lis);
	if (daemon_probe_run(l->probe, now))
		l->dirty = true;
	if (daemon_reports_run(l->reports, now))
		l->dirty = true;
	daemon_engine_pump(l->eng, running ? 50 : 0);
	if (!running && daemon_deliver_inflight(l->dlv))
		(void)poll(NULL, 0, 20);
	now = time(NULL);
	if (daemon_engine_round(l->eng, now))
		l->dirty = true;
	daemon_deliver_run(l->dlv, now);
	if (daemon_deliver_changed(l->dlv))
		l->dirty = true;
	housekeeping(l, now);
}

static enum mp_err open_store(struct loop *l)
{
	char *path = xasprintf("%s/mailpulse.db", l->cfg->daemon.state_dir);
	char err[512];
	enum mp_err rc;

	if (mkdir(l->cfg->daemon.state_dir, 0700) != 0 && errno != EEXIST)
		log_warn("store", "mkdir-failed dir=%s errno=%d", l->cfg->daemon.state_dir, errno);
	rc = daemon_store_open(path, &l->st, err, sizeof err);
	if (rc != ERR_OK)
		log_err("store", "open-failed path=%s reason=\"%s\"", path, err);
	l->db_path = path; /* the listener opens its own connection to it */
	return rc;
}

static enum mp_err start_web(struct loop *l)
{
	struct web_http_opts o;

	web_opts(l->cfg, &l->wq, &o);
	if (web_http_start(&o, &l->web) != ERR_OK) {
		log_err("web", "start-failed address=%s port=%u", o.address, o.port);
		return ERR_IO;
	}
	return ERR_OK;
}

static enum mp_err start(struct loop *l, int sigfds[2])
{
	char err[1024];
	int64_t now = time(NULL);

	pthread_mutex_init(&l->wq.mu, NULL);
	if (pipe2(l->wq.pipe, O_CLOEXEC | O_NONBLOCK) != 0 || signals_setup(sigfds) != ERR_OK)
		return ERR_IO;
	webq_set_domains(&l->wq, l->cfg);
	if (open_store(l) != ERR_OK || daemon_mailq_new(&l->mq) != ERR_OK)
		return ERR_IO;
	if (daemon_engine_new(l->cfg, l->st, now, &l->eng, err, sizeof err) != ERR_OK) {
		log_err("daemon", "start-failed reason=\"%s\"", err);
		return ERR_INVAL;
	}
	l->dlv = daemon_deliver_new(l->cfg, l->st, l->eng, l->mq);
	if (daemon_probe_new(l->cfg, l->st, now, on_probe_result, l, &l->probe) != ERR_OK ||
	    daemon_reports_new(l->cfg, l->st, l->db_path, now, on_probe_result, l, &l->reports) !=
		ERR_OK ||
	    listener_apply(l) != ERR_OK)
		return ERR_IO;
	/* Inbound mail that is not a probe or a bounce: reports (issue 5). */
	daemon_probe_set_other(l->probe, daemon_reports_inbound, l->reports);
	l->wq.reports = l->reports;
	l->info = (struct daemon_snapbuild_info){.now = now,
						 .last_reload_ok = true,
						 .last_reload_at = now,
						 .last_reload_success_at = now};
	l->last_prune = now;
	return start_web(l);
}

static void stop(struct loop *l, int sigfds[2])
{
	web_http_stop(l->web);
	/* No new message; a session committing one finishes it (it is then processed at the
	   next start).  Probe jobs are broken off: interrupted ones are redone or recovered. */
	daemon_probe_listen_stop(l->lis);
	if (l->eng != NULL)
		daemon_probe_stop(l->probe, time(NULL));
	/*
	 * An SMTP session in progress is broken off rather than waited for (a
	 * silent relay would hold SIGTERM for a whole timeout); its row and
	 * those of jobs never started go back to pending, retried at the next
	 * start, never marked sent.
	 */
	daemon_mailq_cancel(l->mq);
	if (l->mq != NULL && l->dlv != NULL)
		handle_mail(l, time(NULL));
	daemon_deliver_free(l->dlv);
	daemon_probe_free(l->probe);
	daemon_reports_free(l->reports); /* after the HTTP server: its callback uses it */
	daemon_engine_free(l->eng);	 /* abandons checks in flight: nothing half-stored */
	daemon_mailq_free(l->mq);
	daemon_store_close(l->st);
	free(l->db_path);
	daemon_config_free(l->cfg);
	webq_free(&l->wq);
	sig_fd = -1;
	close(sigfds[0]);
	close(sigfds[1]);
}

int daemon_mainloop_run(const char *path, struct daemon_config *cfg)
{
	struct loop l;
	int sigfds[2] = {-1, -1};
	int rc = 0;

	memset(&l, 0, sizeof l);
	l.path = path;
	l.cfg = cfg;
	l.wq.pipe[0] = l.wq.pipe[1] = -1;
	if (start(&l, sigfds) != ERR_OK) {
		rc = 1;
	} else {
		log_info("daemon", "started domains=%zu alerts=%zu", cfg->n_domains, cfg->n_alerts);
		l.dirty = true;
		daemon_sdnotify_ready("checking");
		while (!sig_term)
			turn(&l, sigfds[0]);
		log_info("daemon", "stopping");
		daemon_sdnotify_stopping();
	}
	stop(&l, sigfds);
	return rc;
}
