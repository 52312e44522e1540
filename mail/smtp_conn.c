/*
 * mail/smtp_conn: TCP/TLS byte pipe and reply reader (see smtp_conn.h).
 *
 * RFC 5321 4.5.3.2 (timeouts: callers pass them per step; here each is a
 * deadline for one write or one whole reply), 4.1.3 (address literals),
 * RFC 3207 and RFC 8314 (TLS start, in common/tls).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "mail/smtp_conn.h"

/* Room for the biggest reply the parser accepts, plus one read. */
#define IN_MAX (MAIL_SMTP_REPLY_MAX_LINES * (MAIL_SMTP_REPLY_MAX_LINE + 2) + 4096)
#define READ_CHUNK 4096

/*
 * The fd is registered under the mutex from socket() to close(), so fire()
 * never shuts down a descriptor number that was closed and reused.
 */
struct mail_smtp_conn_cancel {
	pthread_mutex_t mu;
	int fd; /* the socket of the open connection, or -1 */
	bool fired;
};

struct mail_smtp_conn {
	int fd;
	struct mail_smtp_conn_cancel *cx; /* borrowed, or NULL */
	struct common_tls *tls;
	char *in; /* IN_MAX bytes */
	size_t in_len;
	size_t tail; /* bytes after the last LF in `in` */
	bool scan;   /* a line ended, or the tail grew too long, since the last parse */
};

struct mail_smtp_conn_cancel *mail_smtp_conn_cancel_new(void)
{
	struct mail_smtp_conn_cancel *cx = xcalloc(1, sizeof *cx);

	pthread_mutex_init(&cx->mu, NULL);
	cx->fd = -1;
	return cx;
}

void mail_smtp_conn_cancel_fire(struct mail_smtp_conn_cancel *cx)
{
	pthread_mutex_lock(&cx->mu);
	cx->fired = true;
	/* Wakes a poll for POLLIN or POLLOUT, and aborts a connect in progress. */
	if (cx->fd >= 0)
		(void)shutdown(cx->fd, SHUT_RDWR);
	pthread_mutex_unlock(&cx->mu);
}

bool mail_smtp_conn_cancel_fired(struct mail_smtp_conn_cancel *cx)
{
	bool f;

	if (cx == NULL)
		return false;
	pthread_mutex_lock(&cx->mu);
	f = cx->fired;
	pthread_mutex_unlock(&cx->mu);
	return f;
}

void mail_smtp_conn_cancel_free(struct mail_smtp_conn_cancel *cx)
{
	if (cx == NULL)
		return;
	pthread_mutex_destroy(&cx->mu);
	free(cx);
}

/* Register fd with cx; false when cx was fired already. */
static bool cancel_register(struct mail_smtp_conn_cancel *cx, int fd)
{
	bool ok = true;

	if (cx == NULL)
		return true;
	pthread_mutex_lock(&cx->mu);
	if (cx->fired)
		ok = false;
	else if (cx->fd < 0)
		cx->fd = fd;
	pthread_mutex_unlock(&cx->mu);
	return ok;
}

static void cancel_unregister(struct mail_smtp_conn_cancel *cx, int fd)
{
	if (cx == NULL)
		return;
	pthread_mutex_lock(&cx->mu);
	if (cx->fd == fd)
		cx->fd = -1;
	pthread_mutex_unlock(&cx->mu);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
	long long left = deadline - now_ms();

	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static enum mp_err wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};

	for (;;) {
		int left = left_ms(deadline), r;

		if (left == 0)
			return ERR_TIMEOUT;
		r = poll(&p, 1, left);
		if (r > 0)
			return ERR_OK; /* ready, or an error the next call reports */
		if (r == 0)
			return ERR_TIMEOUT;
		if (errno != EINTR)
			return ERR_NET;
	}
}

static void set_why(char *why, size_t whysz, const char *what, unsigned port, int err)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s port %u%s%s", what, port, err ? ": " : "",
			 err ? strerror(err) : "");
}

/* Fill a socket address from an IP literal; false when addr is none. */
static bool sockaddr_of(const char *addr, unsigned port, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*sl = sizeof *v4;
		return true;
	}
	if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*sl = sizeof *v6;
		return true;
	}
	return false;
}

/* Wait for a non-blocking connect to finish; returns 0 or the errno it failed with. */
static enum mp_err finish_connect(int fd, unsigned timeout_ms, int *err)
{
	socklen_t el = sizeof *err;
	enum mp_err e = wait_fd(fd, POLLOUT, now_ms() + timeout_ms);

	if (e != ERR_OK)
		return e;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &el) != 0)
		*err = errno;
	return *err ? ERR_NET : ERR_OK;
}

enum mp_err mail_smtp_conn_open(const char *addr, unsigned port, unsigned timeout_ms,
				struct mail_smtp_conn_cancel *cx, struct mail_smtp_conn **out,
				char *why, size_t whysz)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int fd, err = 0;
	enum mp_err e = ERR_OK;
	struct mail_smtp_conn *c;

	if (addr == NULL || !sockaddr_of(addr, port, &ss, &sl)) {
		set_why(why, whysz, "no IP address to connect to on", port, 0);
		return ERR_INVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_why(why, whysz, "cannot create a socket for", port, errno);
		return ERR_IO;
	}
	if (!cancel_register(cx, fd)) {
		set_why(why, whysz, "cancelled before connecting to", port, 0);
		close(fd);
		return ERR_NET;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		err = errno;
		e = err == EINPROGRESS ? finish_connect(fd, timeout_ms, &err) : ERR_NET;
	}
	if (e == ERR_OK && mail_smtp_conn_cancel_fired(cx)) {
		e = ERR_NET;
		err = ECANCELED;
	}
	if (e != ERR_OK) {
		set_why(why, whysz,
			e == ERR_TIMEOUT ? "no TCP connection in time to" : "cannot connect to",
			port, e == ERR_TIMEOUT ? 0 : err);
		cancel_unregister(cx, fd);
		close(fd);
		return e;
	}
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->cx = cx;
	c->in = xmalloc(IN_MAX);
	*out = c;
	return ERR_OK;
}

enum mp_err mail_smtp_conn_tls(struct mail_smtp_conn *c, const struct common_tls_opts *o,
			       unsigned timeout_ms, char *why, size_t whysz)
{
	if (c->tls != NULL) {
		if (why != NULL && whysz > 0)
			snprintf(why, whysz, "TLS is already on");
		return ERR_INVAL;
	}
	return common_tls_connect(c->fd, o, timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms,
				  &c->tls, why, whysz);
}

enum mp_err mail_smtp_conn_write(struct mail_smtp_conn *c, const void *p, size_t len,
				 unsigned timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	const char *b = p;

	if (c->tls != NULL)
		return common_tls_write(c->tls, p, len, left_ms(deadline));
	while (len > 0) {
		ssize_t w = send(c->fd, b, len, MSG_NOSIGNAL);
		enum mp_err e;

		if (w > 0) {
			b += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return ERR_NET;
		e = wait_fd(c->fd, POLLOUT, deadline);
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* Read what is there (at least one byte) before the deadline; ERR_NET at EOF. */
static enum mp_err read_some(struct mail_smtp_conn *c, char *p, size_t len, long long deadline,
			     size_t *got)
{
	if (left_ms(deadline) == 0)
		return ERR_TIMEOUT;
	if (c->tls != NULL)
		return common_tls_read(c->tls, p, len, left_ms(deadline), got);
	for (;;) {
		ssize_t r = recv(c->fd, p, len, 0);
		enum mp_err e;

		if (r > 0) {
			*got = (size_t)r;
			return ERR_OK;
		}
		if (r == 0)
			return ERR_NET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return ERR_NET;
		e = wait_fd(c->fd, POLLIN, deadline);
		if (e != ERR_OK)
			return e;
	}
}

/* New bytes arrived: parse again only once a line ended or the tail is too long. */
static void note_bytes(struct mail_smtp_conn *c, size_t got)
{
	const char *p = c->in + c->in_len;
	const char *nl = memrchr(p, '\n', got);

	if (nl != NULL) {
		c->tail = (size_t)(p + got - nl - 1);
		c->scan = true;
	} else {
		c->tail += got;
		if (c->tail > MAIL_SMTP_REPLY_MAX_LINE + 2)
			c->scan = true;
	}
	c->in_len += got;
}

/* Drop the used bytes of the reply just parsed, keep the rest. */
static void consume(struct mail_smtp_conn *c, size_t used)
{
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	c->tail = c->in_len < c->tail ? c->in_len : c->tail;
	c->scan = c->in_len > 0; /* the rest may hold a whole reply already */
}

enum mp_err mail_smtp_conn_read_reply(struct mail_smtp_conn *c, unsigned timeout_ms,
				      struct mail_smtp_reply *out)
{
	long long deadline = now_ms() + timeout_ms;
	size_t used = 0;

	for (;;) {
		size_t got = 0, room = IN_MAX - c->in_len;
		enum mp_err e;

		if (c->scan) {
			e = mail_smtp_reply_parse(c->in, c->in_len, out, &used);
			if (e == ERR_OK)
				break;
			if (e != ERR_AGAIN)
				return e;
			c->scan = false;
		}
		if (room == 0) /* the parser's caps make this unreachable */
			return ERR_LIMIT;
		e = read_some(c, c->in + c->in_len, room < READ_CHUNK ? room : READ_CHUNK, deadline,
			      &got);
		if (e != ERR_OK)
			return e;
		note_bytes(c, got);
	}
	consume(c, used);
	return ERR_OK;
}

size_t mail_smtp_conn_buffered(const struct mail_smtp_conn *c)
{
	return c->in_len;
}

void mail_smtp_conn_local_literal(const struct mail_smtp_conn *c, char *out, size_t outsz)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof ss;
	char a[INET6_ADDRSTRLEN] = "127.0.0.1";

	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) != 0)
		ss.ss_family = AF_UNSPEC;
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof a);
		snprintf(out, outsz, "[IPv6:%s]", a);
		return;
	}
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof a);
	snprintf(out, outsz, "[%s]", a);
}

const struct common_tls *mail_smtp_conn_tls_session(const struct mail_smtp_conn *c)
{
	return c->tls;
}

void mail_smtp_conn_close(struct mail_smtp_conn *c)
{
	if (c == NULL)
		return;
	common_tls_free(c->tls);
	cancel_unregister(c->cx, c->fd);
	close(c->fd);
	free(c->in);
	free(c);
}
