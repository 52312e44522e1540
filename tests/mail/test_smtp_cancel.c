/*
 * tests/mail/test_smtp_cancel: breaking an SMTP session off from another
 * thread (mail/smtp_conn's cancel switch, used through mail_smtp_opts.cancel
 * by the daemon's SMTP worker so SIGTERM never waits for a relay).  A
 * server thread on loopback plays the relay: silent from the first byte
 * (plain and implicit TLS: the handshake never completes), silent after the
 * message data (the reply to the final dot never comes), or a full good
 * session.  Every cancelled session must end within a fraction of its
 * timeout with class network and an error that says "cancelled"; a switch
 * fired before the call connects to nothing; a switch never fired changes
 * nothing; a connect stuck in SYN_SENT (the listener's queue is full) is
 * broken off too.
 */
#include <arpa/inet.h>
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
#include "common/xmalloc.h"
#include "mail/smtp.h"
#include "tests/lib/tap.h"

/* Long enough that only the cancel switch can end a session in time. */
#define TIMEOUT_MS 20000
#define FIRE_AFTER_MS 300
#define QUICK_MS 3000

enum srv_mode { SRV_SILENT, SRV_STALL_AT_DOT, SRV_GOOD };

struct srv {
	int lfd;
	unsigned port;
	enum srv_mode mode;
	pthread_t th;
};

static const char MSG[] = "Subject: cancel test\r\n\r\nbody\r\n";
static const char *const RCPT[] = {"b@example.test"};

/* Read until buf ends with end; false on EOF, error or 5 s of silence. */
static bool read_until(int fd, char *buf, size_t cap, const char *end)
{
	size_t n = 0, el = strlen(end);
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (n + 1 < cap) {
		if (poll(&p, 1, 5000) <= 0 || recv(fd, buf + n, 1, 0) != 1)
			return false;
		buf[++n] = '\0';
		if (n >= el && memcmp(buf + n - el, end, el) == 0)
			return true;
	}
	return false;
}

static void say(int fd, const char *s)
{
	(void)!send(fd, s, strlen(s), MSG_NOSIGNAL);
}

/* Wait (bounded) for the client to hang up. */
static void until_eof(int fd)
{
	char b[512];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (poll(&p, 1, 10000) > 0 && recv(fd, b, sizeof b, 0) > 0)
		;
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct pollfd p = {.fd = s->lfd, .events = POLLIN};
	char buf[4096];
	int fd;

	if (poll(&p, 1, 10000) <= 0 || (fd = accept(s->lfd, NULL, NULL)) < 0)
		return NULL;
	if (s->mode != SRV_SILENT) {
		static const char *const replies[] = {"250 h\r\n", "250 ok\r\n", "250 ok\r\n",
						      "354 go\r\n"};

		say(fd, "220 h ESMTP\r\n");
		for (size_t i = 0; i < 4; i++) {
			if (!read_until(fd, buf, sizeof buf, "\r\n"))
				goto out;
			say(fd, replies[i]);
		}
		if (read_until(fd, buf, sizeof buf, "\r\n.\r\n") && s->mode == SRV_GOOD) {
			say(fd, "250 OK id=1abc\r\n");
			if (read_until(fd, buf, sizeof buf, "\r\n"))
				say(fd, "221 bye\r\n");
		}
	}
out:
	until_eof(fd);
	close(fd);
	return NULL;
}

static int listener(int backlog, unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, backlog) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		fatal("test listener");
	*port = ntohs(a.sin_port);
	return fd;
}

static void srv_start(struct srv *s, enum srv_mode mode)
{
	s->mode = mode;
	s->lfd = listener(4, &s->port);
	if (pthread_create(&s->th, NULL, srv_main, s) != 0)
		fatal("test server thread");
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

/* Fires cx FIRE_AFTER_MS after it starts. */
static void *firer(void *arg)
{
	struct timespec ts = {0, FIRE_AFTER_MS * 1000000L};

	nanosleep(&ts, NULL);
	mail_smtp_conn_cancel_fire(arg);
	return NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static struct mail_smtp_opts opts(unsigned port, enum mail_smtp_tls_mode tls,
				  struct mail_smtp_conn_cancel *cx)
{
	struct mail_smtp_opts o = {
	    .host = "127.0.0.1", .port = port, .tls = tls, .helo = "c.example.test", .cancel = cx};

	o.timeouts = (struct mail_smtp_timeouts){TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS,
						 TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS};
	return o;
}

/* One session against a server in mode, cancelled from another thread after FIRE_AFTER_MS. */
static void cancelled_session(enum srv_mode mode, enum mail_smtp_tls_mode tls, const char *what,
			      bool want_data_sent)
{
	struct mail_smtp_conn_cancel *cx = mail_smtp_conn_cancel_new();
	struct mail_smtp_result r;
	struct mail_smtp_opts o;
	struct srv s;
	pthread_t f;
	long long t0, ms;
	enum mp_err e;

	srv_start(&s, mode);
	o = opts(s.port, tls, cx);
	if (pthread_create(&f, NULL, firer, cx) != 0)
		fatal("firer thread");
	t0 = now_ms();
	e = mail_smtp_send(&o, "a@example.test", RCPT, 1, MSG, sizeof MSG - 1, &r);
	ms = now_ms() - t0;
	pthread_join(f, NULL);
	tap_ok(e == ERR_NET && r.cls == MAIL_SMTP_NETWORK, "%s: ERR_NET, class network (%s, %s)",
	       what, common_err_str(e), mail_smtp_class_str(r.cls));
	tap_ok(ms >= FIRE_AFTER_MS - 50 && ms < QUICK_MS,
	       "%s: ends right after the switch fires (%lld ms; timeout %d ms)", what, ms,
	       TIMEOUT_MS);
	tap_ok(strncmp(r.error, "cancelled", 9) == 0, "%s: the error says cancelled (%s)", what,
	       r.error);
	tap_ok(r.data_sent == want_data_sent, "%s: data_sent is %s", what,
	       want_data_sent ? "true (the dot went out)" : "false");
	mail_smtp_result_free(&r);
	srv_stop(&s);
	mail_smtp_conn_cancel_free(cx);
}

static void test_fired_before(void)
{
	struct mail_smtp_conn_cancel *cx = mail_smtp_conn_cancel_new();
	struct mail_smtp_result r;
	struct mail_smtp_opts o;
	unsigned port;
	int lfd = listener(4, &port);
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	long long t0, ms;
	enum mp_err e;

	tap_ok(!mail_smtp_conn_cancel_fired(cx), "a new switch is not fired");
	tap_ok(!mail_smtp_conn_cancel_fired(NULL), "no switch is never fired");
	mail_smtp_conn_cancel_fire(cx);
	mail_smtp_conn_cancel_fire(cx);
	tap_ok(mail_smtp_conn_cancel_fired(cx), "fired (twice: harmless)");
	o = opts(port, MAIL_SMTP_PLAINTEXT, cx);
	t0 = now_ms();
	e = mail_smtp_send(&o, "a@example.test", RCPT, 1, MSG, sizeof MSG - 1, &r);
	ms = now_ms() - t0;
	tap_ok(e == ERR_NET && r.cls == MAIL_SMTP_NETWORK && ms < 500,
	       "fired before the call: ERR_NET at once (%lld ms)", ms);
	tap_ok(strncmp(r.error, "cancelled", 9) == 0, "fired before the call: says cancelled (%s)",
	       r.error);
	tap_is_int(poll(&p, 1, 100), 0, "fired before the call: no connection was made");
	mail_smtp_result_free(&r);
	close(lfd);
	mail_smtp_conn_cancel_free(cx);
}

static void test_not_fired(void)
{
	struct mail_smtp_conn_cancel *cx = mail_smtp_conn_cancel_new();
	struct mail_smtp_result r;
	struct mail_smtp_opts o;
	struct srv s;
	enum mp_err e;

	srv_start(&s, SRV_GOOD);
	o = opts(s.port, MAIL_SMTP_PLAINTEXT, cx);
	e = mail_smtp_send(&o, "a@example.test", RCPT, 1, MSG, sizeof MSG - 1, &r);
	tap_ok(e == ERR_OK && r.cls == MAIL_SMTP_OK,
	       "a switch never fired: the session succeeds (%s)", r.error);
	tap_is_str(r.queue_id, "1abc", "a switch never fired: queue id read");
	mail_smtp_result_free(&r);
	srv_stop(&s);
	/* The switch is free again for the next session, which it can still stop. */
	srv_start(&s, SRV_SILENT);
	o = opts(s.port, MAIL_SMTP_PLAINTEXT, cx);
	{
		pthread_t f;
		long long t0 = now_ms();

		if (pthread_create(&f, NULL, firer, cx) != 0)
			fatal("firer thread");
		e = mail_smtp_send(&o, "a@example.test", RCPT, 1, MSG, sizeof MSG - 1, &r);
		pthread_join(f, NULL);
		tap_ok(e == ERR_NET && now_ms() - t0 < QUICK_MS,
		       "the same switch stops the next session");
	}
	mail_smtp_result_free(&r);
	srv_stop(&s);
	mail_smtp_conn_cancel_free(cx);
}

/*
 * A listener with a backlog of 0 and one connection already queued drops
 * further SYNs, so our connect stays in SYN_SENT until its timeout -- unless
 * the switch breaks it off.  Skipped when the kernel completes it anyway.
 */
static void test_connect_in_progress(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct mail_smtp_conn_cancel *cx;
	struct mail_smtp_result r;
	struct mail_smtp_opts o;
	struct pollfd p;
	unsigned port;
	int lfd = listener(0, &port), filler[2], probe;
	pthread_t f;
	long long t0, ms;
	enum mp_err e;

	a.sin_port = htons((uint16_t)port);
	for (int i = 0; i < 2; i++) {
		filler[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		(void)!connect(filler[i], (struct sockaddr *)&a, sizeof a);
	}
	probe = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	(void)!connect(probe, (struct sockaddr *)&a, sizeof a);
	p = (struct pollfd){.fd = probe, .events = POLLOUT};
	if (poll(&p, 1, 300) != 0) {
		tap_skip("the kernel did not leave a connect in SYN_SENT (listen queue not full)");
		tap_skip("(same)");
		goto out;
	}
	cx = mail_smtp_conn_cancel_new();
	o = opts(port, MAIL_SMTP_PLAINTEXT, cx);
	if (pthread_create(&f, NULL, firer, cx) != 0)
		fatal("firer thread");
	t0 = now_ms();
	e = mail_smtp_send(&o, "a@example.test", RCPT, 1, MSG, sizeof MSG - 1, &r);
	ms = now_ms() - t0;
	pthread_join(f, NULL);
	tap_ok(e == ERR_NET && r.cls == MAIL_SMTP_NETWORK && ms < QUICK_MS,
	       "a connect in SYN_SENT is broken off (%s, %lld ms)", common_err_str(e), ms);
	tap_ok(strncmp(r.error, "cancelled", 9) == 0, "... and says cancelled (%s)", r.error);
	mail_smtp_result_free(&r);
	mail_smtp_conn_cancel_free(cx);
out:
	close(probe);
	close(filler[0]);
	close(filler[1]);
	close(lfd);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	cancelled_session(SRV_SILENT, MAIL_SMTP_PLAINTEXT, "silent relay, plain", false);
	cancelled_session(SRV_SILENT, MAIL_SMTP_IMPLICIT, "silent relay, TLS handshake", false);
	cancelled_session(SRV_SILENT, MAIL_SMTP_STARTTLS, "silent relay, STARTTLS mode", false);
	cancelled_session(SRV_STALL_AT_DOT, MAIL_SMTP_PLAINTEXT, "no reply to the final dot", true);
	test_fired_before();
	test_not_fired();
	test_connect_in_progress();
	return tap_done();
}
