/*
 * tests/mail/test_smtp_hostile: mail/smtp against a scripted SMTP server on
 * loopback (a forked child of this test, plain text), for what no real MTA
 * sends: exact bytes on the wire (dot-stuffing, CRLF, SIZE, BODY=8BITMIME,
 * AUTH PLAIN and LOGIN encodings, QUIT after a 554 greeting), HELO fallback,
 * and hostile servers: garbage, 10 MB of junk with and without line ends,
 * a never-ending multi-line reply, a slow drip, silence, hang-ups at every
 * stage, STARTTLS missing or with injected replies, NUL bytes in replies.
 * Each must end with a clear error class, quickly, without unbounded memory.
 *
 * The child follows a script of (expected line, reply) steps and exits 0
 * when the client sent exactly what the script expects, 10+N when step N
 * saw something else, 60 when the message data differed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "mail/smtp.h"
#include "tests/lib/tap.h"

static const char BODY[] = "body";    /* expect: the message data up to and including CRLF.CRLF */
static const char CLOSE[] = "close";  /* reply: hang up now */
static const char NULREPLY[] = "nul"; /* reply: a refusal holding NUL, 8-bit and ESC bytes */
/* reply: "354 go" and a hang-up in one go (TCP_CORK holds the 354 until the
 * close, so the FIN is there before the client can send a byte; its data then
 * meets a closed socket, and its next send fails with EPIPE, not ECONNRESET). */
static const char GO_AWAY[] = "go away";
static const char nul_reply[] = "550 5.1.1 bad\x00\xff\x1b[31m user\r\n";

struct step {
	const char *expect; /* the exact line (CRLF included), BODY, or NULL for none */
	const char *reply;  /* bytes to send, CLOSE, NULREPLY, or NULL */
};

struct script {
	const struct step *steps;
	const char *want_body;	/* for BODY: the exact data expected */
	void (*custom)(int fd); /* instead of steps */
};

/* ---- the server side (child) ---- */

static void put(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w <= 0)
			_exit(0); /* the client hung up: that is how these end */
		b += w;
		n -= (size_t)w;
	}
}

static void puts_fd(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* Read until the buffer ends with end (or fills up); length read, 0 on EOF/timeout. */
static size_t read_until(int fd, char *buf, size_t cap, const char *end)
{
	size_t n = 0, el = strlen(end);
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (n + 1 < cap) {
		if (poll(&p, 1, 3000) <= 0 || recv(fd, buf + n, 1, 0) != 1)
			return 0;
		n++;
		buf[n] = '\0';
		if (n >= el && memcmp(buf + n - el, end, el) == 0)
			return n;
	}
	return n;
}

static void serve(int lfd, const struct script *sc)
{
	static char buf[1 << 20];
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		_exit(2);
	if (sc->custom) {
		sc->custom(fd);
		_exit(0);
	}
	for (int i = 0; sc->steps[i].expect || sc->steps[i].reply; i++) {
		const struct step *st = &sc->steps[i];

		if (st->expect == BODY) {
			size_t n = read_until(fd, buf, sizeof buf, "\r\n.\r\n");

			if (n == 0 && strcmp(buf, ".\r\n") != 0)
				_exit(60);
			if (strcmp(buf, sc->want_body) != 0)
				_exit(60);
		} else if (st->expect) {
			if (read_until(fd, buf, sizeof buf, "\r\n") == 0 ||
			    strcmp(buf, st->expect) != 0)
				_exit(10 + i);
		}
		if (st->reply == CLOSE)
			_exit(0);
		if (st->reply == GO_AWAY) {
			int one = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
			puts_fd(fd, "354 go\r\n");
			_exit(0);
		}
		if (st->reply == NULREPLY)
			put(fd, nul_reply, sizeof nul_reply - 1);
		else if (st->reply)
			puts_fd(fd, st->reply);
	}
	/* Anything more from the client is a step the script did not allow. */
	_exit(read_until(fd, buf, sizeof buf, "\r\n") == 0 ? 0 : 99);
}

/* ---- the client side ---- */

struct run {
	enum mp_err e;
	int child; /* the child's exit status, -1 when killed */
	long long ms;
	struct mail_smtp_result r;
};

static struct mail_smtp_opts base_opts(void)
{
	struct mail_smtp_opts o = {.host = "127.0.0.1", .tls = MAIL_SMTP_PLAINTEXT};

	o.timeouts = (struct mail_smtp_timeouts){.connect = 2000,
						 .greeting = 1000,
						 .command = 1000,
						 .mail = 1000,
						 .rcpt = 1000,
						 .data_init = 1000,
						 .data_block = 1000,
						 .data_end = 1000};
	return o;
}

static int reap(pid_t pid)
{
	int st = 0;

	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(30000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void run(const struct script *sc, struct mail_smtp_opts o, const char *from,
		const char *const *rcpts, size_t n, const char *msg, size_t len, struct run *out)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct timespec t0, t1;
	pid_t pid;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) != 0)
		fatal("test server socket");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		serve(lfd, sc);
	}
	close(lfd);
	o.port = ntohs(a.sin_port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	out->e = mail_smtp_send(&o, from, rcpts, n, msg, len, &out->r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->ms = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	out->child = reap(pid);
}

static const char *const ONE[] = {"b@example.test"};

/* Run a script with one recipient and a small message. */
static void run1(const struct script *sc, struct mail_smtp_opts o, struct run *out)
{
	static const char m[] = "Subject: t\r\n\r\nhi\r\n";

	run(sc, o, "a@example.test", ONE, 1, m, sizeof m - 1, out);
}

static bool is_cls(const struct run *r, enum mail_smtp_class c)
{
	return r->r.cls == c;
}

/* ---- exact wire ---- */

static void test_wire_helo_fallback(void)
{
	static const struct step st[] = {
	    {NULL, "220 hostile.test ESMTP\r\n"},
	    {"EHLO [127.0.0.1]\r\n", "502 5.5.2 EHLO not supported\r\n"},
	    {"HELO [127.0.0.1]\r\n", "250 hostile.test\r\n"},
	    {"MAIL FROM:<a@example.test>\r\n", "250 2.1.0 ok\r\n"},
	    {"RCPT TO:<b@example.test>\r\n", "250 2.1.5 ok\r\n"},
	    {"DATA\r\n", "354 go ahead\r\n"},
	    {BODY, "250 2.0.0 Ok: queued as HOSTILE42\r\n"},
	    {"QUIT\r\n", "221 2.0.0 bye\r\n"},
	    {NULL, NULL}};
	static const char m[] = "Subject: x\n\n.hello\r\n..x\rmid\n.";
	struct script sc = {st, "Subject: x\r\n\r\n..hello\r\n...x\r\nmid\r\n..\r\n.\r\n", NULL};
	struct run r;

	run(&sc, base_opts(), "a@example.test", ONE, 1, m, sizeof m - 1, &r);
	tap_is_int(r.e, ERR_OK, "EHLO refused: HELO fallback (RFC 5321 3.2) and the message goes");
	tap_is_int(r.child, 0,
		   "the wire carried exactly: address literal HELO, CRLF everywhere, "
		   "every leading dot doubled, a final CRLF added");
	tap_is_str(r.r.queue_id, "HOSTILE42", "Postfix-style queue id");
	tap_ok(r.r.replies[1].reply.code == 502 && strcmp(r.r.replies[2].step, "HELO") == 0,
	       "the 502 and the HELO reply are kept");
	mail_smtp_result_free(&r.r);
}

static void test_wire_extensions(void)
{
	static const struct step st[] = {
	    {NULL, "220 h ESMTP\r\n"},
	    {"EHLO client.example\r\n", "250-h\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n"},
	    {"MAIL FROM:<> SIZE=21 BODY=8BITMIME\r\n", "250 ok\r\n"},
	    {"RCPT TO:<b@example.test>\r\n", "250 ok\r\n"},
	    {"DATA\r\n", "354 go\r\n"},
	    {BODY, "250 OK id=1abcD-000123-AB\r\n"},
	    {"QUIT\r\n", "221 bye\r\n"},
	    {NULL, NULL}};
	static const struct step small[] = {{NULL, "220 h\r\n"},
					    {"EHLO [127.0.0.1]\r\n", "250-h\r\n250 SIZE 10\r\n"},
					    {"QUIT\r\n", "221 bye\r\n"},
					    {NULL, NULL}};
	static const char m[] = "Subject: caf\xc3\xa9\n\nx"; /* 14 + 2, 2, 1 + 2 = 21 octets */
	struct script sc = {st, "Subject: caf\xc3\xa9\r\n\r\nx\r\n.\r\n", NULL};
	struct mail_smtp_opts o = base_opts();
	struct run r;

	o.helo = "client.example";
	run(&sc, o, "", ONE, 1, m, sizeof m - 1, &r);
	tap_is_int(r.e, ERR_OK, "null reverse-path, SIZE and BODY=8BITMIME sent");
	tap_is_int(r.child, 0, "MAIL FROM:<> SIZE=21 BODY=8BITMIME exactly (RFC 1870 6.1 size)");
	tap_is_str(r.r.queue_id, "1abcD-000123-AB", "Exim-style queue id");
	mail_smtp_result_free(&r.r);

	sc = (struct script){small, NULL, NULL};
	run1(&sc, base_opts(), &r);
	tap_ok(r.e == ERR_LIMIT && is_cls(&r, MAIL_SMTP_PERMANENT),
	       "a message over the server's SIZE is refused before MAIL: %s", r.r.error);
	tap_is_int(r.child, 0, "no MAIL was sent, QUIT was");
	mail_smtp_result_free(&r.r);
}

static void test_wire_auth(void)
{
	static const struct step plain[] = {
	    {NULL, "220 h\r\n"},
	    {"EHLO [127.0.0.1]\r\n", "250-h\r\n250 AUTH PLAIN LOGIN\r\n"},
	    {"AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "235 2.7.0 ok\r\n"},
	    {"MAIL FROM:<a@example.test>\r\n", "451 4.3.0 try later\r\n"},
	    {"QUIT\r\n", "221 bye\r\n"},
	    {NULL, NULL}};
	static const struct step login[] = {
	    {NULL, "220 h\r\n"},
	    {"EHLO [127.0.0.1]\r\n", "250-h\r\n250 AUTH PLAIN LOGIN\r\n"},
	    {"AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n"},
	    {"dXNlcg==\r\n", "334 UGFzc3dvcmQ6\r\n"},
	    {"cGFzcw==\r\n", "535 5.7.8 Authentication credentials invalid\r\n"},
	    {"QUIT\r\n", "221 bye\r\n"},
	    {NULL, NULL}};
	static const struct step tmp[] = {{NULL, "220 h\r\n"},
					  {"EHLO [127.0.0.1]\r\n", "250-h\r\n250 AUTH LOGIN\r\n"},
					  {"AUTH LOGIN\r\n", "454 4.7.0 Temporary failure\r\n"},
					  {"QUIT\r\n", "221 bye\r\n"},
					  {NULL, NULL}};
	struct mail_smtp_opts o = base_opts();
	struct script sc = {plain, NULL, NULL};
	struct run r;

	o.user = "user";
	o.password = "pass";
	o.plaintext_auth = true;
	run1(&sc, o, &r);
	tap_is_int(r.child, 0,
		   "AUTH PLAIN: base64 of NUL user NUL pass as initial response (RFC 4616)");
	tap_ok(r.e == ERR_NET && is_cls(&r, MAIL_SMTP_TEMPORARY) &&
		   strcmp(r.r.auth_mech, "PLAIN") == 0,
	       "then a 451 to MAIL: temporary (%s)", r.r.error);
	mail_smtp_result_free(&r.r);
	sc.steps = login;
	o.auth = MAIL_SMTP_AUTH_LOGIN;
	run1(&sc, o, &r);
	tap_is_int(r.child, 0, "AUTH LOGIN: user and password each base64 after a 334");
	tap_ok(r.e == ERR_NET && is_cls(&r, MAIL_SMTP_AUTH), "535: class auth (%s)", r.r.error);
	tap_ok(strstr(r.r.error, "pass") == NULL && strstr(r.r.error, "cGFzcw") == NULL &&
		   strstr(r.r.error, "credentials invalid") == NULL,
	       "the error holds neither the password nor the server's text about it");
	mail_smtp_result_free(&r.r);
	sc.steps = tmp;
	o.auth = MAIL_SMTP_AUTH_AUTO;
	run1(&sc, o, &r);
	tap_ok(r.child == 0 && is_cls(&r, MAIL_SMTP_TEMPORARY),
	       "AUTH LOGIN chosen when PLAIN is not offered; 454 is temporary (RFC 4954 6)");
	mail_smtp_result_free(&r.r);
}

/* ---- hostile servers ---- */

static void junk_no_newline(int fd)
{
	static char b[65536];

	memset(b, 'A', sizeof b);
	for (int i = 0; i < 160; i++) /* 10 MB */
		put(fd, b, sizeof b);
}

static void junk_continuations(int fd)
{
	static char b[65536];

	for (size_t i = 0; i + 10 <= sizeof b; i += 10)
		memcpy(b + i, "220-xxxx\r\n", 10);
	for (int i = 0; i < 160; i++)
		put(fd, b, sizeof b);
}

static void drip(int fd)
{
	puts_fd(fd, "220-");
	for (;;) {
		put(fd, "x", 1);
		usleep(50000);
	}
}

static void drip_lines(int fd)
{
	for (;;) {
		puts_fd(fd, "220-still going\r\n");
		usleep(5000);
	}
}

static void silent(int fd)
{
	char b[64];

	while (recv(fd, b, sizeof b, 0) > 0)
		;
}

static void hang_up(int fd)
{
	close(fd);
}

struct hostile {
	void (*fn)(int);
	const char *what;
	enum mp_err e;
	enum mail_smtp_class cls;
	unsigned greeting_ms;
	long long max_ms;
};

static void test_hostile_streams(void)
{
	static const struct hostile h[] = {
	    {junk_no_newline, "10 MB without a line end", ERR_LIMIT, MAIL_SMTP_PROTOCOL, 5000,
	     3000},
	    {junk_continuations, "10 MB of continuation lines", ERR_LIMIT, MAIL_SMTP_PROTOCOL, 5000,
	     3000},
	    {drip, "a byte every 50 ms", ERR_TIMEOUT, MAIL_SMTP_NETWORK, 800, 2500},
	    {drip_lines, "a never-ending multi-line reply", ERR_LIMIT, MAIL_SMTP_PROTOCOL, 10000,
	     5000},
	    {silent, "silence", ERR_TIMEOUT, MAIL_SMTP_NETWORK, 500, 2000},
	    {hang_up, "an immediate hang-up", ERR_NET, MAIL_SMTP_NETWORK, 1000, 1000},
	};

	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
		struct script sc = {NULL, NULL, h[i].fn};
		struct mail_smtp_opts o = base_opts();
		struct run r;

		o.timeouts.greeting = h[i].greeting_ms;
		run1(&sc, o, &r);
		tap_ok(r.e == h[i].e && is_cls(&r, h[i].cls), "%s: %s, class %s (%s)", h[i].what,
		       common_err_str(r.e), mail_smtp_class_str(r.r.cls), r.r.error);
		tap_ok(r.ms <= h[i].max_ms, "%s: over in %lld ms", h[i].what, r.ms);
		tap_ok(r.r.n_replies == 0, "%s: no reply recorded", h[i].what);
		mail_smtp_result_free(&r.r);
	}
}

struct scripted {
	struct step st[7];
	const char *what;
	enum mp_err e;
	enum mail_smtp_class cls;
	const char *in_error;
};

static const struct scripted scripts[] = {
    {{{NULL, "HTTP/1.1 400 Bad Request\r\nServer: x\r\n\r\n"}},
     "an HTTP server",
     ERR_PARSE,
     MAIL_SMTP_PROTOCOL,
     "not an SMTP reply"},
    {{{NULL, "220-one\r\n221 two\r\n"}},
     "codes that differ between lines",
     ERR_PARSE,
     MAIL_SMTP_PROTOCOL,
     "not an SMTP reply"},
    {{{NULL, "220 a\r\n250 unasked\r\n"}},
     "a reply nobody asked for",
     ERR_PARSE,
     MAIL_SMTP_PROTOCOL,
     "more than one reply"},
    {{{NULL, "421 4.3.2 busy\r\n"}, {"QUIT\r\n", "221 bye\r\n"}},
     "421 greeting",
     ERR_NET,
     MAIL_SMTP_TEMPORARY,
     "421 4.3.2 busy"},
    {{{NULL, "554 5.7.1 go away\r\n"}, {"QUIT\r\n", "221 bye\r\n"}},
     "554 greeting, then QUIT (RFC 5321 3.1)",
     ERR_NET,
     MAIL_SMTP_PERMANENT,
     "554"},
    {{{NULL, "220 h\r\n"}, {"EHLO [127.0.0.1]\r\n", CLOSE}},
     "a hang-up after EHLO",
     ERR_NET,
     MAIL_SMTP_NETWORK,
     "closed"},
    {{{NULL, "220 h\r\n"},
      {"EHLO [127.0.0.1]\r\n", "250 h\r\n"},
      {"MAIL FROM:<a@example.test>\r\n", "250 ok\r\n"},
      {"RCPT TO:<b@example.test>\r\n", NULREPLY},
      {"QUIT\r\n", "221 bye\r\n"}},
     "NUL, 8-bit and escape bytes in a refusal",
     ERR_NET,
     MAIL_SMTP_PERMANENT,
     "bad??"
     "?[31m user"},
    {{{NULL, "220 h\r\n"},
      {"EHLO [127.0.0.1]\r\n", "250 h\r\n"},
      {"MAIL FROM:<a@example.test>\r\n", "250 ok\r\n"},
      {"RCPT TO:<b@example.test>\r\n", "250 ok\r\n"},
      {"DATA\r\n", "250 no 354\r\n"},
      {"QUIT\r\n", "221 bye\r\n"}},
     "250 instead of 354 to DATA",
     ERR_PARSE,
     MAIL_SMTP_PROTOCOL,
     "unexpected reply"},
};

static void test_hostile_scripts(void)
{
	const struct scripted *s = scripts;

	for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
		struct script sc = {s[i].st, NULL, NULL};
		struct run r;

		run1(&sc, base_opts(), &r);
		tap_ok(r.e == s[i].e && is_cls(&r, s[i].cls), "%s: %s, class %s", s[i].what,
		       common_err_str(r.e), mail_smtp_class_str(r.r.cls));
		tap_ok(strstr(r.r.error, s[i].in_error) != NULL, "%s: error says '%s' (%s)",
		       s[i].what, s[i].in_error, r.r.error);
		tap_is_int(r.child, 0, "%s: the client sent what the script allows", s[i].what);
		mail_smtp_result_free(&r.r);
	}
}

static void test_hostile_tls_and_data(void)
{
	static const struct step nostarttls[] = {
	    {NULL, "220 h\r\n"},
	    {"EHLO [127.0.0.1]\r\n", "250-h\r\n250 AUTH PLAIN\r\n"},
	    {"QUIT\r\n", "221 bye\r\n"},
	    {NULL, NULL}};
	static const struct step inject[] = {
	    {NULL, "220 h\r\n"},
	    {"EHLO [127.0.0.1]\r\n", "250-h\r\n250 STARTTLS\r\n"},
	    {"STARTTLS\r\n", "220 2.0.0 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n"},
	    {NULL, NULL}};
	static const struct step chatty[] = {
	    {NULL, "220 h\r\n"},
	    {"EHLO [127.0.0.1]\r\n", "250 h\r\n"},
	    {"MAIL FROM:<a@example.test>\r\n", "250 ok\r\n"},
	    {"RCPT TO:<b@example.test>\r\n", "250 ok\r\n"},
	    {"DATA\r\n", "354 go\r\n"},
	    {BODY, "250 OK id=1chat-000001-XY\r\n221 bye already\r\n"},
	    {NULL, NULL}};
	static const struct step dropdata[] = {{NULL, "220 h\r\n"},
					       {"EHLO [127.0.0.1]\r\n", "250 h\r\n"},
					       {"MAIL FROM:<a@example.test>\r\n", "250 ok\r\n"},
					       {"RCPT TO:<b@example.test>\r\n", "250 ok\r\n"},
					       {"DATA\r\n", "354 go\r\n"},
					       {BODY, CLOSE},
					       {NULL, NULL}};
	struct script sc = {nostarttls, NULL, NULL};
	struct mail_smtp_opts o = base_opts();
	struct run r;

	o.tls = MAIL_SMTP_STARTTLS;
	o.user = "user";
	o.password = "pass";
	run1(&sc, o, &r);
	tap_ok(r.e == ERR_TLS && is_cls(&r, MAIL_SMTP_TLS), "STARTTLS not offered: class tls (%s)",
	       r.r.error);
	tap_is_int(r.child, 0, "no AUTH or MAIL in plain text, only QUIT");
	mail_smtp_result_free(&r.r);
	sc.steps = inject;
	run1(&sc, o, &r);
	tap_ok(r.e == ERR_PARSE && is_cls(&r, MAIL_SMTP_PROTOCOL) &&
		   strstr(r.r.error, "injection") != NULL,
	       "replies injected after STARTTLS's 220 are refused (%s)", r.r.error);
	tap_is_int(r.child, 0, "and nothing more is sent");
	mail_smtp_result_free(&r.r);
	sc = (struct script){chatty, "Subject: t\r\n\r\nhi\r\n.\r\n", NULL};
	run1(&sc, base_opts(), &r);
	tap_ok(r.e == ERR_OK && strcmp(r.r.queue_id, "1chat-000001-XY") == 0,
	       "a 250 to the final dot counts even with more bytes after it (%s)", r.r.error);
	tap_is_int(r.child, 0, "and no QUIT goes into the confused stream");
	mail_smtp_result_free(&r.r);
	sc = (struct script){dropdata, "Subject: t\r\n\r\nhi\r\n.\r\n", NULL};
	run1(&sc, base_opts(), &r);
	tap_ok(r.e == ERR_NET && is_cls(&r, MAIL_SMTP_NETWORK) && r.r.data_sent,
	       "a hang-up after the final dot: network, data_sent says it may be queued (%s)",
	       r.r.error);
	tap_is_int(r.child, 0, "the server got the whole message before hanging up");
	mail_smtp_result_free(&r.r);
}

/*
 * The server hangs up as the message starts: the client's sends fail with
 * EPIPE, which must never raise SIGPIPE (this test does not ignore it).
 */
static void test_hangup_mid_data(void)
{
	static const struct step st[] = {{NULL, "220 h\r\n"},
					 {"EHLO [127.0.0.1]\r\n", "250 h\r\n"},
					 {"MAIL FROM:<a@example.test>\r\n", "250 ok\r\n"},
					 {"RCPT TO:<b@example.test>\r\n", "250 ok\r\n"},
					 {"DATA\r\n", GO_AWAY},
					 {NULL, NULL}};
	struct script sc = {st, NULL, NULL};
	size_t len = 4u << 20;
	char *m = xmalloc(len);
	struct run r;

	memset(m, 'x', len);
	for (size_t i = 80; i < len; i += 80)
		m[i] = '\n';
	run(&sc, base_opts(), "a@example.test", ONE, 1, m, len, &r);
	tap_ok(r.e == ERR_NET && is_cls(&r, MAIL_SMTP_NETWORK) && !r.r.data_sent,
	       "a hang-up during DATA: network error, the process lives on, not sent (%s)",
	       r.r.error);
	mail_smtp_result_free(&r.r);
	free(m);
}

static void test_arguments(void)
{
	static const char *const bad_rcpt[] = {"b@example.test>\r\nRCPT TO:<c@example.test"};
	static const char *const spaced[] = {"b @example.test"};
	static const char *const utf8[] = {"b\xc3\xa9@example.test"};
	static const struct step noutf8[] = {{NULL, "220 h\r\n"},
					     {"EHLO [127.0.0.1]\r\n", "250 h\r\n"},
					     {"QUIT\r\n", "221 bye\r\n"},
					     {NULL, NULL}};
	struct script sc = {noutf8, NULL, NULL};
	struct mail_smtp_opts o = base_opts();
	struct mail_smtp_result r;
	struct run rr;

	o.port = 9;
	tap_is_int(mail_smtp_send(&o, "a@example.test", bad_rcpt, 1, "x", 1, &r), ERR_INVAL,
		   "CRLF in a recipient: refused before connecting (no command injection)");
	mail_smtp_result_free(&r);
	tap_is_int(mail_smtp_send(&o, "a@example.test", spaced, 1, "x", 1, &r), ERR_INVAL,
		   "space in a recipient refused");
	mail_smtp_result_free(&r);
	tap_is_int(mail_smtp_send(&o, "a b@example.test", ONE, 1, "x", 1, &r), ERR_INVAL,
		   "space in the sender refused");
	mail_smtp_result_free(&r);
	tap_is_int(mail_smtp_send(&o, "a@example.test", ONE, 0, "x", 1, &r), ERR_INVAL,
		   "no recipients refused");
	mail_smtp_result_free(&r);
	o.host = "relay.example.test";
	tap_is_int(mail_smtp_send(&o, "a@example.test", ONE, 1, "x", 1, &r), ERR_INVAL,
		   "a host name without an address is refused (no blocking resolver here)");
	tap_ok(strstr(r.error, "IP address") != NULL, "says so: %s", r.error);
	mail_smtp_result_free(&r);
	o = base_opts();
	o.user = "u";
	tap_is_int(mail_smtp_send(&o, "a@example.test", ONE, 1, "x", 1, &r), ERR_INVAL,
		   "a user without a password refused");
	mail_smtp_result_free(&r);
	run(&sc, base_opts(), "a@example.test", utf8, 1, "x", 1, &rr);
	tap_ok(rr.e == ERR_UNSUPPORTED && is_cls(&rr, MAIL_SMTP_PERMANENT) && rr.child == 0,
	       "a UTF-8 address without SMTPUTF8 on offer: refused before MAIL (%s)", rr.r.error);
	mail_smtp_result_free(&rr.r);
}

static void test_refused_connection(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct mail_smtp_opts o = base_opts();
	struct mail_smtp_result r;

	/* A port that was just free: bound, never listened on, closed. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		fatal("socket");
	o.port = ntohs(a.sin_port);
	close(fd);
	tap_is_int(mail_smtp_send(&o, "a@example.test", ONE, 1, "x", 1, &r), ERR_NET,
		   "nothing listening: ERR_NET");
	tap_ok(r.cls == MAIL_SMTP_NETWORK && strstr(r.error, "refused") != NULL, "network: %s",
	       r.error);
	mail_smtp_result_free(&r);
}

int main(void)
{
	test_wire_helo_fallback();
	test_wire_extensions();
	test_wire_auth();
	test_hostile_streams();
	test_hostile_scripts();
	test_hostile_tls_and_data();
	test_hangup_mid_data();
	test_arguments();
	test_refused_connection();
	return tap_done();
}
