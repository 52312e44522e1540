/*
 * mail/smtpd: the inbound SMTP listener (see smtpd.h for the contract); the
 * sessions themselves are mail/smtpd_session.
 *
 * RFC 5321 (server side: 3.1 greeting, 4.1.1 commands, 4.1.4 order, 4.2
 * replies, 4.4 Received, 4.5.2 dot-stuffing, 4.5.3 limits and timeouts),
 * RFC 3207 (STARTTLS; 4.2: all state and all buffered input are discarded),
 * RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 2034/3463 (enhanced status
 * codes), RFC 2920 (PIPELINING), RFC 6531 (SMTPUTF8).
 *
 * Threads: one accept thread, one thread per session.  Sessions sit in a
 * list under the server mutex; the accept thread joins finished ones, stop()
 * joins the rest.  A pipe written once by stop() and never read wakes every
 * poll() at once (level-triggered broadcast); a session that does not notice
 * within STOP_GRACE_S (inside a TLS record, in the deliver callback) has its
 * socket shut down for reading, and one still there STOP_GRACE_S later
 * (stuck writing to a client that does not read) for writing too.  A
 * session inside the deliver callback always finishes it: stop() joins
 * every thread; only a callback slower than twice the grace loses its final
 * 250, and the client's retry then makes a duplicate, never a loss (RFC
 * 5321 6.1).
 *
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "common/str.h"
#include "common/tls.h"
#include "common/xmalloc.h"
#include "mail/smtpd.h"
#include "mail/smtpd_session.h"

#define STOP_GRACE_S 1

/* One connection: its thread, socket and peer, listed under srv->mu. */
struct conn {
	struct conn *next;
	struct mail_smtpd *srv;
	pthread_t thr;
	bool finished; /* under srv->mu */
	int fd;	       /* closed by the session thread under srv->mu, then -1 */
	char ip[46];
};

struct mail_smtpd {
	struct mail_smtpd_opts o; /* strings below are our copies */
	char *hostname;
	struct mail_smtpd_handler h;
	struct common_tls_server *tls;
	struct mail_smtpd_session_cfg cfg;
	int lfd;
	unsigned port;
	int wake[2]; /* stop() writes wake[1] once; nobody reads wake[0] */
	bool have_acceptor;
	pthread_t acceptor;
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;  /* a session finished */
	struct conn *conns;
	unsigned n_active;
	bool stopping;
};

static void *session_main(void *arg)
{
	struct conn *c = arg;
	struct mail_smtpd *srv = c->srv;

	(void)mail_smtpd_session_run(&srv->cfg, c->fd, c->ip);
	pthread_mutex_lock(&srv->mu);
	close(c->fd);
	c->fd = -1;
	c->finished = true;
	srv->n_active--;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

/* ---- the listener ---- */

/* The peer's address in text; IPv4-mapped IPv6 shown as IPv4. */
static void peer_ip(int fd, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	(void)!common_str_copy(out, outsz, "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)outsz);
	} else if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)outsz);
		else
			inet_ntop(AF_INET6, a, out, (socklen_t)outsz);
	}
}

/* Join and free finished sessions (srv->mu held). */
static void reap(struct mail_smtpd *srv)
{
	struct conn **pp = &srv->conns;

	while (*pp != NULL) {
		struct conn *s = *pp;

		if (!s->finished) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		pthread_join(s->thr, NULL);
		free(s);
	}
}

/* Refuse a connection over a limit (RFC 5321 3.1: 421 instead of 220). */
static void refuse(struct mail_smtpd *srv, int fd, const char *ip, const char *what)
{
	char line[320];
	int n = snprintf(line, sizeof line, "421 4.7.0 %s Error: too many connections%s\r\n",
			 srv->hostname, what);

	log_info("smtpd", "refused ip=%s reason=\"too many connections%s\"", ip, what);
	(void)!send(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* Admit one accepted socket (srv->mu held). */
static void admit(struct mail_smtpd *srv, int fd)
{
	char ip[46];
	unsigned same = 0;
	struct conn *s;

	peer_ip(fd, ip, sizeof ip);
	for (s = srv->conns; s != NULL; s = s->next)
		if (!s->finished && strcmp(s->ip, ip) == 0)
			same++;
	if (srv->n_active >= srv->o.max_connections) {
		refuse(srv, fd, ip, "");
		return;
	}
	if (same >= srv->o.max_per_ip) {
		refuse(srv, fd, ip, " from your address");
		return;
	}
	s = xcalloc(1, sizeof *s);
	s->srv = srv;
	s->fd = fd;
	(void)!common_str_copy(s->ip, sizeof s->ip, ip);
	if (pthread_create(&s->thr, NULL, session_main, s) != 0) {
		log_err("smtpd", "thread-failed ip=%s", ip);
		free(s);
		close(fd);
		return;
	}
	s->next = srv->conns;
	srv->conns = s;
	srv->n_active++;
}

static void *accept_main(void *arg)
{
	struct mail_smtpd *srv = arg;

	for (;;) {
		struct pollfd pf[2] = {{.fd = srv->lfd, .events = POLLIN},
				       {.fd = srv->wake[0], .events = POLLIN}};
		int r = poll(pf, 2, 1000);
		int fd = -1;

		pthread_mutex_lock(&srv->mu);
		reap(srv);
		pthread_mutex_unlock(&srv->mu);
		if (r < 0 && errno != EINTR) {
			log_err("smtpd", "poll-failed err=\"%s\"", strerror(errno));
			usleep(100 * 1000);
			continue;
		}
		if (r > 0 && pf[1].revents != 0)
			return NULL;
		if (r <= 0 || pf[0].revents == 0)
			continue;
		fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			/* EMFILE and friends: back off instead of spinning. */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				usleep(100 * 1000);
			continue;
		}
		pthread_mutex_lock(&srv->mu);
		admit(srv, fd);
		pthread_mutex_unlock(&srv->mu);
	}
}

static enum mp_err listen_on(struct mail_smtpd *srv, char *why, size_t whysz)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int one = 1;
	const char *addr = srv->o.listen_addr;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)srv->o.port);
		sl = sizeof *v4;
	} else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)srv->o.port);
		sl = sizeof *v6;
	} else {
		snprintf(why, whysz, "listen address %s is not an IP address", addr);
		return ERR_INVAL;
	}
	srv->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->lfd < 0 || setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(srv->lfd, (struct sockaddr *)&ss, sl) != 0 || listen(srv->lfd, 128) != 0) {
		snprintf(why, whysz, "cannot listen on [%s]:%u: %s", addr, srv->o.port,
			 strerror(errno));
		return ERR_NET;
	}
	return ERR_OK;
}

static enum mp_err find_port(struct mail_smtpd *srv, char *why, size_t whysz)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fl = fcntl(srv->lfd, F_GETFL);

	if (fl < 0 || fcntl(srv->lfd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    getsockname(srv->lfd, (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(why, whysz, "listening socket unusable: %s", strerror(errno));
		return ERR_NET;
	}
	if (ss.ss_family == AF_INET)
		srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		srv->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ERR_OK;
}

/* Copy the options, filling in the documented defaults. */
static void set_opts(struct mail_smtpd *srv, const struct mail_smtpd_opts *o)
{
	char host[256] = "";

	srv->o = *o;
	if (srv->o.listen_addr == NULL)
		srv->o.listen_addr = "127.0.0.1";
	srv->o.listen_addr = xstrdup(srv->o.listen_addr);
	if (o->hostname != NULL && o->hostname[0] != '\0')
		srv->hostname = xstrdup(o->hostname);
	else if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0')
		srv->hostname = xstrdup(host);
	else
		srv->hostname = xstrdup("localhost");
	srv->o.hostname = srv->hostname;
	srv->o.cert_file = srv->o.key_file = NULL; /* only needed at start */
	if (srv->o.max_message == 0)
		srv->o.max_message = 10 * 1024 * 1024;
	if (srv->o.max_connections == 0)
		srv->o.max_connections = 32;
	if (srv->o.max_per_ip == 0)
		srv->o.max_per_ip = 8;
	if (srv->o.idle_timeout_s == 0)
		srv->o.idle_timeout_s = 300;
	if (srv->o.data_timeout_s == 0)
		srv->o.data_timeout_s = 600;
	if (srv->o.max_errors == 0)
		srv->o.max_errors = 10;
}

static struct mail_smtpd *server_new(const struct mail_smtpd_opts *o,
				     const struct mail_smtpd_handler *h)
{
	struct mail_smtpd *srv = xcalloc(1, sizeof *srv);
	pthread_condattr_t ca;

	set_opts(srv, o);
	srv->h = *h;
	srv->lfd = -1;
	srv->wake[0] = srv->wake[1] = -1;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->cv, &ca);
	pthread_condattr_destroy(&ca);
	return srv;
}

static void server_free(struct mail_smtpd *srv)
{
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->wake[0] >= 0)
		close(srv->wake[0]);
	if (srv->wake[1] >= 0)
		close(srv->wake[1]);
	common_tls_server_free(srv->tls);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cv);
	free((char *)srv->o.listen_addr);
	free(srv->hostname);
	free(srv);
}

/* A host name fit for the greeting and Received: printable, no spaces. */
static bool hostname_ok(const char *h)
{
	size_t n = strlen(h);

	return n > 0 && n < 256 && common_str_is_printable(h, n) && strchr(h, ' ') == NULL;
}

enum mp_err mail_smtpd_start(const struct mail_smtpd_opts *o, const struct mail_smtpd_handler *h,
			     struct mail_smtpd **out, char *why, size_t whysz)
{
	struct mail_smtpd *srv;
	sigset_t all, old;
	enum mp_err e = ERR_OK;
	char dummy[8];

	if (why == NULL || whysz == 0) {
		why = dummy;
		whysz = sizeof dummy;
	}
	why[0] = '\0';
	if (o == NULL || h == NULL || (h->rcpt_ok == NULL && h->rcpt_check == NULL) ||
	    h->deliver == NULL) {
		snprintf(why, whysz, "smtpd needs options, rcpt_ok or rcpt_check, and deliver");
		return ERR_INVAL;
	}
	srv = server_new(o, h);
	if (!hostname_ok(srv->hostname)) {
		snprintf(why, whysz, "the host name is not printable ASCII without spaces");
		e = ERR_INVAL;
		goto out;
	}
	if (o->cert_file != NULL || o->key_file != NULL)
		e = common_tls_server_new(o->cert_file, o->key_file, &srv->tls, why, whysz);
	if (e == ERR_OK && o->listen_fd >= 0)
		srv->lfd = o->listen_fd;
	else if (e == ERR_OK)
		e = listen_on(srv, why, whysz);
	if (e == ERR_OK)
		e = find_port(srv, why, whysz);
	if (e == ERR_OK && pipe2(srv->wake, O_CLOEXEC) != 0)
		fatal("pipe2: %s", strerror(errno));
	if (e != ERR_OK)
		goto out;
	srv->cfg.o = &srv->o;
	srv->cfg.hostname = srv->hostname;
	srv->cfg.h = &srv->h;
	srv->cfg.tls = srv->tls;
	srv->cfg.wake_fd = srv->wake[0];
	/* STYLE.md 19: our threads block signals; they inherit this mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&srv->acceptor, NULL, accept_main, srv) != 0)
		fatal("pthread_create failed");
	srv->have_acceptor = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_info("smtpd", "listening addr=%s port=%u tls=%s", srv->o.listen_addr, srv->port,
		 srv->tls ? "yes" : "no");
out:
	if (e != ERR_OK) {
		server_free(srv);
		return e;
	}
	*out = srv;
	return ERR_OK;
}

unsigned mail_smtpd_port(const struct mail_smtpd *s)
{
	return s->port;
}

/* Wait up to secs for every session to finish, then shut the rest down with how (srv->mu held). */
static void wait_then_cut(struct mail_smtpd *srv, int secs, int how)
{
	struct timespec dl;
	struct conn *s;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += secs;
	while (srv->n_active > 0 && pthread_cond_timedwait(&srv->cv, &srv->mu, &dl) == 0)
		;
	for (s = srv->conns; s != NULL; s = s->next)
		if (!s->finished && s->fd >= 0)
			shutdown(s->fd, how);
}

void mail_smtpd_stop(struct mail_smtpd *srv)
{
	struct conn *s;

	if (srv == NULL)
		return;
	pthread_mutex_lock(&srv->mu);
	srv->stopping = true;
	pthread_mutex_unlock(&srv->mu);
	/* One byte, never read: every poll on wake[0] returns from now on. */
	(void)!write(srv->wake[1], "x", 1);
	if (srv->have_acceptor)
		pthread_join(srv->acceptor, NULL);
	if (srv->lfd >= 0)
		close(srv->lfd);
	srv->lfd = -1;
	pthread_mutex_lock(&srv->mu);
	/* Sessions that did not notice the pipe are inside a TLS record or a
	   write, or in the deliver callback.  First end their reading only: a
	   callback that finishes in time still sends its 250.  Then cut the
	   writers stuck on a client that does not read. */
	wait_then_cut(srv, STOP_GRACE_S, SHUT_RD);
	wait_then_cut(srv, STOP_GRACE_S, SHUT_RDWR);
	pthread_mutex_unlock(&srv->mu);
	while (srv->conns != NULL) {
		s = srv->conns;
		srv->conns = s->next;
		pthread_join(s->thr, NULL);
		free(s);
	}
	log_info("smtpd", "stopped");
	server_free(srv);
}
