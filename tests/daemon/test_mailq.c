/*
 * tests/daemon/test_mailq: the SMTP worker thread of mailpulsed.  Against a
 * loopback relay that accepts and then says nothing: daemon_mailq_cancel()
 * returns within a fraction of the SMTP timeout, the session in progress
 * comes back as a network failure that says "cancelled" (attempted), the job
 * queued behind it comes back not attempted, a job pushed after the cancel
 * comes back at once, the result pipe wakes a poll, and free after cancel is
 * clean.  A relay that refuses the connection gives an ordinary network
 * failure (so "cancelled" only ever means a stop).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "daemon/mailq.h"
#include "tests/lib/tap.h"

#define TIMEOUT_MS 30000

static int listener(unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		fatal("test listener");
	*port = ntohs(a.sin_port);
	return fd;
}

static struct daemon_mailq_job job(int64_t id, unsigned port)
{
	struct daemon_mailq_job j = {.id = id,
				     .channel = xstrdup("ops-mail"),
				     .host = xstrdup("127.0.0.1"),
				     .port = port,
				     .tls = MAIL_SMTP_PLAINTEXT,
				     .user = xstrdup("u@example.test"),
				     .password = xstrdup("not-a-real-password"),
				     .from = xstrdup("mailpulse@example.test"),
				     .to = xcalloc(1, sizeof(char *)),
				     .nto = 1,
				     .msg = xstrdup("Subject: x\r\n\r\nx\r\n"),
				     .timeout_ms = TIMEOUT_MS,
				     .plaintext_auth = true};

	j.to[0] = xstrdup("ops@example.test");
	j.len = strlen(j.msg);
	return j;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Pop a result, waiting (bounded) on the pipe. */
static bool pop_wait(struct daemon_mailq *q, struct daemon_mailq_done *d, int ms)
{
	struct pollfd p = {.fd = daemon_mailq_fd(q), .events = POLLIN};
	long long end = now_ms() + ms;

	while (!daemon_mailq_pop(q, d)) {
		long long left = end - now_ms();

		if (left <= 0)
			return false;
		(void)poll(&p, 1, (int)left);
	}
	return true;
}

static void test_cancel_stalled(void)
{
	struct daemon_mailq *q = NULL;
	struct daemon_mailq_done d = {0};
	struct daemon_mailq_job j;
	unsigned port;
	int lfd = listener(&port), cfd = -1;
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	long long t0, ms;

	if (daemon_mailq_new(&q) != ERR_OK)
		fatal("mailq");
	j = job(1, port);
	daemon_mailq_push(q, &j);
	tap_ok(j.channel == NULL && j.msg == NULL, "push takes the job over (zeroed)");
	j = job(2, port);
	daemon_mailq_push(q, &j);
	/* The worker is in its session once the relay sees the connection. */
	tap_ok(poll(&p, 1, 5000) == 1 && (cfd = accept(lfd, NULL, NULL)) >= 0,
	       "the worker connected to the relay");
	usleep(200 * 1000);
	tap_ok(!daemon_mailq_pop(q, &d), "no result while the relay is silent");
	t0 = now_ms();
	daemon_mailq_cancel(q);
	ms = now_ms() - t0;
	tap_ok(ms < 2000, "cancel returns at once (%lld ms; the SMTP timeout is %d ms)", ms,
	       TIMEOUT_MS);
	tap_ok(pop_wait(q, &d, 1000), "a result for the session in progress");
	tap_is_int(d.id, 1, "... for job 1");
	tap_ok(d.cls == MAIL_SMTP_NETWORK && d.attempted && !d.data_sent,
	       "... a network failure, attempted, no data sent");
	tap_ok(strncmp(d.error, "cancelled", 9) == 0, "... that says cancelled (%s)", d.error);
	tap_is_str(d.channel, "ops-mail", "... with its channel");
	daemon_mailq_done_clear(&d);
	tap_ok(daemon_mailq_pop(q, &d), "a result for the job never started");
	tap_ok(d.id == 2 && d.cls == MAIL_SMTP_NETWORK && !d.attempted,
	       "... job 2, network, not attempted (%s)", d.error);
	daemon_mailq_done_clear(&d);
	j = job(3, port);
	daemon_mailq_push(q, &j);
	tap_ok(pop_wait(q, &d, 100) && d.id == 3 && !d.attempted,
	       "a job pushed after cancel comes back at once, not attempted");
	daemon_mailq_done_clear(&d);
	daemon_mailq_cancel(q); /* twice: harmless */
	tap_ok(!daemon_mailq_pop(q, &d), "nothing else waits");
	daemon_mailq_free(q);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
}

static void test_refused_and_free(void)
{
	struct daemon_mailq *q = NULL;
	struct daemon_mailq_done d = {0};
	struct daemon_mailq_job j;
	unsigned port;
	int lfd = listener(&port);

	close(lfd); /* nothing listens there now: connection refused */
	if (daemon_mailq_new(&q) != ERR_OK)
		fatal("mailq");
	j = job(7, port);
	daemon_mailq_push(q, &j);
	tap_ok(pop_wait(q, &d, 5000), "a refused connection gives a result");
	tap_ok(d.id == 7 && d.cls == MAIL_SMTP_NETWORK && d.attempted,
	       "... network failure, attempted");
	tap_ok(strncmp(d.error, "cancelled", 9) != 0, "... not called cancelled (%s)", d.error);
	daemon_mailq_done_clear(&d);
	/* Free with a job still queued behind a stalled one is clean and quick. */
	lfd = listener(&port);
	j = job(8, port);
	daemon_mailq_push(q, &j);
	j = job(9, port);
	daemon_mailq_push(q, &j);
	{
		long long t0 = now_ms();

		usleep(100 * 1000);
		daemon_mailq_free(q);
		tap_ok(now_ms() - t0 < 2000, "free with a stalled session returns at once");
	}
	daemon_mailq_free(NULL);
	daemon_mailq_cancel(NULL);
	close(lfd);
}

int main(void)
{
	test_cancel_stalled();
	test_refused_and_free();
	return tap_done();
}
