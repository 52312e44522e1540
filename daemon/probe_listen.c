/*
 * daemon/probe_listen: the inbound SMTP listener's glue (see the header).
 * RFC 5321 3.6.2 (no open relay), 6.1 (reliable delivery: commit before
 * the final 250), RFC 3464 2.2 and RFC 5321 4.5.5 (bounces to VERP
 * addresses with the null reverse-path).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/probe_listen.h"
#include "daemon/store_probe.h"
#include "mail/probe.h"
#include "mail/smtpd.h"

/* What RCPT accepts: copied from the config, swapped under mu. */
struct accept_set {
	char **addr;
	size_t n;
	char *bounce_domain; /* NULL: no VERP addresses */
	char *verp_local;
};

/* The settings that need a new socket or session setup when they change. */
struct listen_key {
	char *addr, *hostname, *cert, *key;
	unsigned port, max_conn, max_ip, idle;
	size_t max_message;
};

struct daemon_probe_listen {
	pthread_mutex_t mu; /* guards acc and st */
	struct accept_set acc;
	struct daemon_store *st;
	struct mail_smtpd *smtpd;
	struct listen_key key;
	int pipe[2];
};

static void acc_free(struct accept_set *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->addr[i]);
	free(a->addr);
	free(a->bounce_domain);
	free(a->verp_local);
	memset(a, 0, sizeof *a);
}

/* The [listener] addresses and the [reports] ones (issue 5: rua/ruf/TLS-RPT
   mail arrives there; their domains are served like the others). */
static void acc_from(struct accept_set *a, const struct daemon_config *cfg)
{
	size_t nl = cfg->listener.n_addresses;

	a->n = nl + cfg->reports.n_addresses;
	a->addr = xcalloc(a->n + 1, sizeof *a->addr);
	for (size_t i = 0; i < nl; i++)
		a->addr[i] = xstrdup(cfg->listener.addresses[i]);
	for (size_t i = nl; i < a->n; i++)
		a->addr[i] = xstrdup(cfg->reports.addresses[i - nl]);
	a->bounce_domain = cfg->probe.bounce_domain ? xstrdup(cfg->probe.bounce_domain) : NULL;
	a->verp_local = xstrdup(cfg->probe.verp_local ? cfg->probe.verp_local : "bounce");
}

static void key_free(struct listen_key *k)
{
	free(k->addr);
	free(k->hostname);
	free(k->cert);
	free(k->key);
	memset(k, 0, sizeof *k);
}

static char *dup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void key_from(struct listen_key *k, const struct daemon_config *cfg)
{
	k->addr = dup0(cfg->listener.listen_addr);
	k->hostname = dup0(cfg->listener.hostname);
	k->cert = dup0(cfg->listener.tls_cert);
	k->key = dup0(cfg->listener.tls_key);
	k->port = cfg->listener.listen_port;
	k->max_conn = cfg->listener.max_connections;
	k->max_ip = cfg->listener.max_per_ip;
	k->idle = cfg->listener.idle_timeout_s;
	k->max_message = cfg->listener.max_message;
}

static bool same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static bool key_same(const struct listen_key *k, const struct daemon_config *cfg)
{
	return same(k->addr, cfg->listener.listen_addr) &&
	       same(k->hostname, cfg->listener.hostname) && same(k->cert, cfg->listener.tls_cert) &&
	       same(k->key, cfg->listener.tls_key) && k->port == cfg->listener.listen_port &&
	       k->max_conn == cfg->listener.max_connections &&
	       k->max_ip == cfg->listener.max_per_ip && k->idle == cfg->listener.idle_timeout_s &&
	       k->max_message == cfg->listener.max_message;
}

static bool acc_has(const struct accept_set *a, const char *addr)
{
	char tok[MAIL_PROBE_TOKEN_LEN + 1];
	const char *at = strrchr(addr, '@');

	for (size_t i = 0; i < a->n; i++)
		if (strcasecmp(a->addr[i], addr) == 0)
			return true;
	/* A bounce can be tied to a probe only through a well-formed token. */
	return at != NULL && a->bounce_domain != NULL &&
	       strcasecmp(at + 1, a->bounce_domain) == 0 &&
	       mail_probe_token_from_addr(addr, a->verp_local, tok);
}

bool daemon_probe_listen_accepts(struct daemon_probe_listen *l, const char *addr)
{
	bool ok;

	pthread_mutex_lock(&l->mu);
	ok = acc_has(&l->acc, addr);
	pthread_mutex_unlock(&l->mu);
	return ok;
}

/* Whether dom is a domain we serve: that of a [listener] address or the
   bounce domain. */
static bool acc_serves(const struct accept_set *a, const char *dom)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *at = strrchr(a->addr[i], '@');

		if (at != NULL && strcasecmp(at + 1, dom) == 0)
			return true;
	}
	return a->bounce_domain != NULL && strcasecmp(a->bounce_domain, dom) == 0;
}

static enum mail_smtpd_rcpt acc_check(const struct accept_set *a, const char *addr)
{
	const char *at = strrchr(addr, '@');

	size_t local = at != NULL ? (size_t)(at - addr) : strlen(addr);

	if (acc_has(a, addr))
		return MAIL_SMTPD_RCPT_ACCEPT;
	/* RFC 5321 4.5.1: a server MUST accept "postmaster" in any case, bare
	   (<Postmaster>) or at a domain it serves.  What arrives there is kept
	   like any inbound message that is not a probe or a bounce. */
	if (local == 10 && strncasecmp(addr, "postmaster", 10) == 0 &&
	    (at == NULL || acc_serves(a, at + 1)))
		return MAIL_SMTPD_RCPT_ACCEPT;
	/* RFC 3463 3.2 X.1.1 for our own domains (so the sending MTA's DSN
	   says "user unknown"), X.7.1 for the rest: never a relay (RFC 5321
	   3.6.2). */
	if (at == NULL || acc_serves(a, at + 1))
		return MAIL_SMTPD_RCPT_UNKNOWN_USER;
	return MAIL_SMTPD_RCPT_RELAY_DENIED;
}

enum mail_smtpd_rcpt daemon_probe_listen_check(struct daemon_probe_listen *l, const char *addr)
{
	enum mail_smtpd_rcpt v;

	pthread_mutex_lock(&l->mu);
	v = acc_check(&l->acc, addr);
	pthread_mutex_unlock(&l->mu);
	return v;
}

static enum mail_smtpd_rcpt cb_rcpt_check(void *arg, const char *addr)
{
	return daemon_probe_listen_check(arg, addr);
}

static char *join_rcpts(const struct mail_smtpd_envelope *env)
{
	size_t n = 1;
	char *s, *p;

	for (size_t i = 0; i < env->n_rcpts; i++)
		n += strlen(env->rcpts[i]) + 1;
	s = p = xmalloc(n);
	*p = '\0';
	for (size_t i = 0; i < env->n_rcpts; i++) {
		size_t k = strlen(env->rcpts[i]);

		if (i > 0)
			*p++ = ',';
		memcpy(p, env->rcpts[i], k);
		p += k;
		*p = '\0';
	}
	return s;
}

/* A session thread: commit the message before mail/smtpd answers 250. */
static enum mp_err cb_deliver(void *arg, const struct mail_smtpd_envelope *env, const char *msg,
			      size_t len)
{
	struct daemon_probe_listen *l = arg;
	struct timespec ts;
	char *rcpts = join_rcpts(env);
	struct daemon_inbound_row r = {0};
	int64_t id = 0;
	enum mp_err rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	r.received = (int64_t)ts.tv_sec;
	r.received_frac = ts.tv_nsec / 1e9;
	r.source = (char *)"listener";
	r.folder = (char *)"";
	r.client_ip = (char *)env->client_ip;
	r.helo = (char *)env->helo;
	r.mail_from = (char *)env->mail_from;
	r.rcpts = rcpts;
	r.data = (char *)msg;
	r.len = len;
	pthread_mutex_lock(&l->mu);
	rc = daemon_store_inbound_add(l->st, &r, &id);
	if (rc != ERR_OK)
		log_err("listener", "commit-failed ip=%s reason=%s", env->client_ip,
			daemon_store_errmsg(l->st));
	pthread_mutex_unlock(&l->mu);
	if (rc == ERR_OK) {
		log_info("listener", "accepted id=%lld ip=%s bytes=%zu rcpts=%zu", (long long)id,
			 env->client_ip, len, env->n_rcpts);
		(void)!write(l->pipe[1], "m", 1);
	}
	free(rcpts);
	return rc;
}

static enum mp_err start_smtpd(struct daemon_probe_listen *l, const struct daemon_config *cfg,
			       char *why, size_t whysz)
{
	struct mail_smtpd_opts o = {0};
	struct mail_smtpd_handler h = {
	    .arg = l, .rcpt_check = cb_rcpt_check, .deliver = cb_deliver};
	enum mp_err rc;

	o.listen_addr = cfg->listener.listen_addr;
	o.port = cfg->listener.listen_port;
	o.listen_fd = -1;
	o.hostname = cfg->listener.hostname;
	o.cert_file = cfg->listener.tls_cert;
	o.key_file = cfg->listener.tls_key;
	o.max_message = cfg->listener.max_message;
	o.max_connections = cfg->listener.max_connections;
	o.max_per_ip = cfg->listener.max_per_ip;
	o.idle_timeout_s = cfg->listener.idle_timeout_s;
	rc = mail_smtpd_start(&o, &h, &l->smtpd, why, whysz);
	if (rc != ERR_OK) {
		l->smtpd = NULL;
		return rc;
	}
	key_free(&l->key);
	key_from(&l->key, cfg);
	log_info("listener", "started address=%s port=%u tls=%s", o.listen_addr,
		 mail_smtpd_port(l->smtpd), o.cert_file ? "starttls" : "none");
	return ERR_OK;
}

static enum mp_err create(struct daemon_probe_listen **lp, const struct daemon_config *cfg,
			  const char *db_path, char *why, size_t whysz)
{
	struct daemon_probe_listen *l = xcalloc(1, sizeof *l);
	enum mp_err rc;

	if (pipe2(l->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		free(l);
		snprintf(why, whysz, "cannot make a pipe");
		return ERR_IO;
	}
	pthread_mutex_init(&l->mu, NULL);
	acc_from(&l->acc, cfg);
	rc = daemon_store_open(db_path, &l->st, why, whysz);
	if (rc == ERR_OK)
		rc = start_smtpd(l, cfg, why, whysz);
	if (rc != ERR_OK) {
		daemon_probe_listen_stop(l);
		return rc;
	}
	*lp = l;
	return ERR_OK;
}

enum mp_err daemon_probe_listen_apply(struct daemon_probe_listen **lp,
				      const struct daemon_config *cfg, const char *db_path,
				      char *why, size_t whysz)
{
	struct daemon_probe_listen *l = *lp;
	struct accept_set acc = {0}, old;
	enum mp_err rc;

	if (!cfg->listener.enabled) {
		daemon_probe_listen_stop(l);
		*lp = NULL;
		return ERR_OK;
	}
	if (l == NULL)
		return create(lp, cfg, db_path, why, whysz);
	acc_from(&acc, cfg);
	pthread_mutex_lock(&l->mu);
	old = l->acc;
	l->acc = acc;
	pthread_mutex_unlock(&l->mu);
	acc_free(&old);
	if (key_same(&l->key, cfg))
		return ERR_OK;
	/* The old socket goes first: the same address and port can then be bound again. */
	mail_smtpd_stop(l->smtpd);
	l->smtpd = NULL;
	rc = start_smtpd(l, cfg, why, whysz);
	if (rc != ERR_OK) {
		daemon_probe_listen_stop(l);
		*lp = NULL;
	}
	return rc;
}

void daemon_probe_listen_stop(struct daemon_probe_listen *l)
{
	if (l == NULL)
		return;
	mail_smtpd_stop(l->smtpd); /* a session in its commit finishes it first */
	daemon_store_close(l->st);
	acc_free(&l->acc);
	key_free(&l->key);
	close(l->pipe[0]);
	close(l->pipe[1]);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

int daemon_probe_listen_fd(const struct daemon_probe_listen *l)
{
	return l != NULL ? l->pipe[0] : -1;
}

void daemon_probe_listen_drain(struct daemon_probe_listen *l)
{
	char buf[64];

	if (l == NULL)
		return;
	while (read(l->pipe[0], buf, sizeof buf) > 0)
		;
}

unsigned daemon_probe_listen_port(const struct daemon_probe_listen *l)
{
	return l != NULL && l->smtpd != NULL ? mail_smtpd_port(l->smtpd) : 0;
}
