/*
 * tests/mail/smtpd_fixture: what the listener tests share (see
 * smtpd_fixture.h): the recording handler and a raw SMTP client over
 * loopback, plain or TLS (common/tls).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/tls.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "tests/mail/smtpd_fixture.h"

static bool rcpt_ok(void *arg, const char *addr)
{
	size_t n = strlen(addr);

	(void)arg;
	return strcmp(addr, "postmaster") == 0 ||
	       (n > 11 && strcmp(addr + n - 11, "@probe.test") == 0);
}

static enum mp_err deliver(void *arg, const struct mail_smtpd_envelope *env, const char *msg,
			   size_t len)
{
	struct box *k = arg;
	enum mp_err e = ERR_OK;
	unsigned delay;

	pthread_mutex_lock(&k->mu);
	delay = k->delay_ms;
	pthread_mutex_unlock(&k->mu);
	if (delay > 0)
		usleep(delay * 1000);
	pthread_mutex_lock(&k->mu);
	if (k->fail || k->n >= MAXMSG) {
		e = ERR_IO;
	} else {
		int i = k->n++;

		k->msg[i] = xmemdup0(msg, len);
		k->len[i] = len;
		snprintf(k->from[i], sizeof k->from[i], "%s", env->mail_from);
		snprintf(k->rcpt0[i], sizeof k->rcpt0[i], "%s", env->rcpts[0]);
		k->n_rcpts[i] = env->n_rcpts;
		k->tls[i] = env->tls;
		k->esmtp[i] = env->esmtp;
		snprintf(k->id[i], sizeof k->id[i], "%s", env->id);
		snprintf(k->helo[i], sizeof k->helo[i], "%s", env->helo);
		snprintf(k->ip[i], sizeof k->ip[i], "%s", env->client_ip);
	}
	pthread_mutex_unlock(&k->mu);
	return e;
}

int box_count(struct box *k)
{
	int n;

	pthread_mutex_lock(&k->mu);
	n = k->n;
	pthread_mutex_unlock(&k->mu);
	return n;
}

void box_clear(struct box *k)
{
	int i;

	pthread_mutex_lock(&k->mu);
	for (i = 0; i < k->n; i++)
		free(k->msg[i]);
	k->n = 0;
	k->fail = false;
	k->delay_ms = 0;
	pthread_mutex_unlock(&k->mu);
}

struct box box = {.mu = PTHREAD_MUTEX_INITIALIZER};
const struct mail_smtpd_handler handler = {.arg = &box, .rcpt_ok = rcpt_ok, .deliver = deliver};

struct mail_smtpd_opts base_opts(void)
{
	struct mail_smtpd_opts o;

	memset(&o, 0, sizeof o);
	o.listen_addr = "127.0.0.1";
	o.listen_fd = -1;
	o.hostname = "mx.test";
	o.max_message = 100000;
	o.idle_timeout_s = 20;
	o.data_timeout_s = 20;
	return o;
}

struct mail_smtpd *start(const struct mail_smtpd_opts *o)
{
	struct mail_smtpd *s = NULL;
	char why[256] = "";

	if (mail_smtpd_start(o, &handler, &s, why, sizeof why) != ERR_OK) {
		tap_diag("start failed: %s", why);
		return NULL;
	}
	return s;
}

/* ---- a raw client ---- */

bool cli_open(struct cli *c, const char *addr, unsigned port, const char *from)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;

	memset(c, 0, sizeof *c);
	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		sl = sizeof *v4;
	} else {
		inet_pton(AF_INET6, addr, &v6->sin6_addr);
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		sl = sizeof *v6;
	}
	c->fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (c->fd < 0)
		return false;
	if (from != NULL) {
		struct sockaddr_in b = {.sin_family = AF_INET};

		inet_pton(AF_INET, from, &b.sin_addr);
		if (bind(c->fd, (struct sockaddr *)&b, sizeof b) != 0)
			return false;
	}
	return connect(c->fd, (struct sockaddr *)&ss, sl) == 0;
}

void cli_close(struct cli *c)
{
	common_tls_free(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void cli_send(struct cli *c, const char *p, size_t n)
{
	if (c->tls != NULL) {
		(void)!common_tls_write(c->tls, p, n, 5000);
		return;
	}
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void cli_puts(struct cli *c, const char *s)
{
	cli_send(c, s, strlen(s));
}

/* Read more bytes; false on EOF, error or timeout. */
static bool cli_fill(struct cli *c, int timeout_ms)
{
	size_t got = 0;

	if (c->len >= sizeof c->buf - 1)
		return false;
	if (c->tls != NULL) {
		if (common_tls_read(c->tls, c->buf + c->len, sizeof c->buf - 1 - c->len, timeout_ms,
				    &got) != ERR_OK)
			return false;
	} else {
		struct pollfd pf = {.fd = c->fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pf, 1, timeout_ms) <= 0)
			return false;
		n = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
		if (n <= 0)
			return false;
		got = (size_t)n;
	}
	c->len += got;
	c->buf[c->len] = '\0';
	return true;
}

/* One whole reply (all its lines) into text; returns its code, -1 on EOF/timeout. */
int cli_reply_t(struct cli *c, char *text, size_t textsz, int timeout_ms)
{
	size_t off = 0;

	text[0] = '\0';
	for (;;) {
		char *ls = c->buf + off;
		char *nl = memchr(ls, '\n', c->len - off);

		if (nl == NULL) {
			if (!cli_fill(c, timeout_ms))
				return -1;
			continue;
		}
		off = (size_t)(nl - c->buf) + 1;
		/* The last line of a reply has no '-' after the code (RFC 5321 4.2.1). */
		if (nl - ls >= 3 && ls[3] != '-') {
			int code = (ls[0] - '0') * 100 + (ls[1] - '0') * 10 + (ls[2] - '0');

			snprintf(text, textsz, "%.*s", (int)off, c->buf);
			memmove(c->buf, c->buf + off, c->len - off);
			c->len -= off;
			c->buf[c->len] = '\0';
			return code;
		}
	}
}

int cli_reply(struct cli *c, char *text, size_t textsz)
{
	return cli_reply_t(c, text, textsz, 5000);
}

/* Send a command, read its reply. */
int cmd(struct cli *c, const char *line, char *text, size_t textsz)
{
	cli_puts(c, line);
	return cli_reply(c, text, textsz);
}

/* True when the server closes the connection within timeout_ms. */
bool cli_eof(struct cli *c, int timeout_ms)
{
	struct pollfd pf = {.fd = c->fd, .events = POLLIN};
	char b[256];

	if (c->tls != NULL) {
		size_t got;

		return common_tls_read(c->tls, b, sizeof b, timeout_ms, &got) == ERR_NET;
	}
	if (poll(&pf, 1, timeout_ms) <= 0)
		return false;
	return recv(c->fd, b, sizeof b, 0) <= 0;
}

bool cli_tls(struct cli *c, const char *ca)
{
	struct common_tls_opts to = {.host = "127.0.0.1", .ca_file = ca};
	char why[256] = "";

	if (common_tls_connect(c->fd, &to, 5000, &c->tls, why, sizeof why) != ERR_OK) {
		tap_diag("client TLS failed: %s", why);
		return false;
	}
	return true;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Connect and read the greeting. */
bool greet(struct cli *c, unsigned port)
{
	char t[512];

	return cli_open(c, "127.0.0.1", port, NULL) && cli_reply(c, t, sizeof t) == 220;
}

bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* EHLO, MAIL, one RCPT, DATA; true when 354 came. */
bool open_data(struct cli *c, unsigned port, const char *ehlo)
{
	char t[1024];

	return greet(c, port) && cmd(c, ehlo, t, sizeof t) == 250 &&
	       cmd(c, "MAIL FROM:<s@example.test>\r\n", t, sizeof t) == 250 &&
	       cmd(c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t) == 250 &&
	       cmd(c, "DATA\r\n", t, sizeof t) == 354;
}

/* The message after our Received: field. */
const char *after_received(const char *m)
{
	const char *p = strstr(m, " +0000\r\n");

	return p ? p + 8 : "";
}
