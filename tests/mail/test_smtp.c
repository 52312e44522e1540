/*
 * tests/mail/test_smtp: mail/smtp against a real Exim 4.96 on loopback
 * (tests/lib/exim.sh) as the submission relay, with a throw-away CA
 * (tests/lib/testca.sh): STARTTLS + AUTH PLAIN and implicit TLS + AUTH LOGIN
 * deliver a message that arrives intact in Exim's maildir (dot-stuffed lines
 * survive, line endings normalised), the queue id parsed from Exim's reply is
 * the one in its Received header, a wrong password is an auth failure that
 * never shows the password, untrusted or mismatched certificates are TLS
 * failures unless the CA file is given, refused and deferred recipients are
 * reported one by one, and MAIL without AUTH is an auth problem.
 *
 * Exim must be installed (scripts/setup) and the test run as root (Debian's
 * exim4 takes -C only from root): otherwise the test FAILS, saying so.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "mail/smtp.h"
#include "tests/lib/tap.h"

#define USER "test@example.test"
#define PASS "s3cr3t-Pw"

static int sub_port, tls_port;
static char *ca, *maildir;

/* The test message: a dot-stuffing case, mixed line endings, no final newline. */
static const char msg[] = "From: Probe <probe@example.test>\r\n"
			  "To: bob@example.test\n"
			  "Subject: mailpulse smtp test\r\n"
			  "Message-ID: <smtp-test-1@example.test>\r\n"
			  "\r\n"
			  "first line\r\n"
			  ".hello\n"
			  "..two dots\r\n"
			  ".\r\n"
			  "last line without newline";

static bool start_exim(void)
{
	const char *t = tap_tmpdir();
	char *cmd = xasprintf("sh '%s/tests/lib/testca.sh' '%s/ca' mta.test >/dev/null && "
			      "EXIM_SH_OWNER=%ld EXIM_SH_USER='%s' EXIM_SH_PASSWORD='%s' "
			      "sh '%s/tests/lib/exim.sh' start '%s/exim' '%s/ca/cert.pem' "
			      "'%s/ca/key.pem'",
			      tap_srcdir(), t, (long)getpid(), USER, PASS, tap_srcdir(), t, t, t);
	FILE *p;
	int n = 0;

	/* Exim runs as Debian-exim and must get through the test's directory. */
	chmod(t, 0711);
	p = popen(cmd, "r");
	if (p != NULL) {
		n = fscanf(p, "%d %d", &sub_port, &tls_port); /* test code, trusted input */
		pclose(p);
	}
	free(cmd);
	ca = xasprintf("%s/ca/ca.pem", t);
	maildir = xasprintf("%s/exim/maildir/new", t);
	return n == 2 && sub_port > 0 && tls_port > 0;
}

static void stop_exim(void)
{
	char *cmd =
	    xasprintf("sh '%s/tests/lib/exim.sh' stop '%s/exim'", tap_srcdir(), tap_tmpdir());

	if (system(cmd) != 0)
		tap_diag("exim.sh stop failed");
	free(cmd);
}

static struct mail_smtp_opts opts(enum mail_smtp_tls_mode mode)
{
	struct mail_smtp_opts o = {.host = "mta.test",
				   .addr = "127.0.0.1",
				   .port =
				       (unsigned)(mode == MAIL_SMTP_IMPLICIT ? tls_port : sub_port),
				   .tls = mode,
				   .ca_file = ca,
				   .helo = "client.example.test",
				   .user = USER,
				   .password = PASS};

	o.timeouts = (struct mail_smtp_timeouts){.connect = 5000,
						 .greeting = 10000,
						 .command = 10000,
						 .mail = 10000,
						 .rcpt = 10000,
						 .data_init = 10000,
						 .data_block = 10000,
						 .data_end = 10000};
	return o;
}

static enum mp_err send1(const struct mail_smtp_opts *o, const char *const *rcpts, size_t n,
			 struct mail_smtp_result *r)
{
	return mail_smtp_send(o, "probe@example.test", rcpts, n, msg, sizeof msg - 1, r);
}

/* The delivered file holding needle, waiting up to 10 s for delivery. */
static char *delivered(const char *needle)
{
	for (int i = 0; i < 200; i++) {
		DIR *d = opendir(maildir);
		struct dirent *de;

		while (d && (de = readdir(d)) != NULL) {
			char *path = xasprintf("%s/%s", maildir, de->d_name);
			FILE *f = de->d_name[0] == '.' ? NULL : fopen(path, "rb");
			char *buf = xmalloc(65536);
			size_t len = f ? fread(buf, 1, 65535, f) : 0;

			buf[len] = '\0';
			if (f)
				fclose(f);
			free(path);
			if (strstr(buf, needle) != NULL) {
				closedir(d);
				return buf;
			}
			free(buf);
		}
		if (d)
			closedir(d);
		usleep(50000);
	}
	return NULL;
}

static bool has_step(const struct mail_smtp_result *r, const char *step, int code)
{
	for (size_t i = 0; i < r->n_replies; i++)
		if (strcmp(r->replies[i].step, step) == 0 && r->replies[i].reply.code == code)
			return true;
	return false;
}

static void test_starttls_plain(void)
{
	static const char *const rcpts[] = {"bob@example.test"};
	struct mail_smtp_opts o = opts(MAIL_SMTP_STARTTLS);
	struct mail_smtp_result r;
	char *got, *want_id, *body;

	o.auth = MAIL_SMTP_AUTH_PLAIN;
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_OK, "STARTTLS + AUTH PLAIN: accepted");
	tap_is_str(mail_smtp_class_str(r.cls), "ok", "class ok");
	tap_is_str(r.error, "", "no error text");
	tap_is_str(r.auth_mech, "PLAIN", "authenticated with PLAIN");
	tap_ok(strncmp(r.tls_version, "TLSv1.", 6) == 0, "TLS on: %s %s", r.tls_version,
	       r.tls_cipher);
	tap_ok(r.ehlo.auth_plain && r.ehlo.auth_login && r.ehlo.size && r.ehlo.size_max > 0,
	       "EHLO after TLS offers AUTH PLAIN LOGIN and SIZE %llu",
	       (unsigned long long)r.ehlo.size_max);
	tap_ok(has_step(&r, "greeting", 220) && has_step(&r, "STARTTLS", 220) &&
		   has_step(&r, "AUTH", 235) && has_step(&r, "MAIL", 250) &&
		   has_step(&r, "RCPT", 250) && has_step(&r, "DATA", 354) &&
		   has_step(&r, "message", 250) && has_step(&r, "QUIT", 221),
	       "every reply kept (%zu)", r.n_replies);
	tap_ok(r.n_accepted == 1 && r.rcpts[0].accepted && r.rcpts[0].code == 250, "bob accepted");
	tap_ok(r.queue_id[0] != '\0', "queue id parsed: %s", r.queue_id);
	tap_ok(r.data_sent, "data_sent set");
	got = delivered("smtp-test-1@example.test");
	tap_ok(got != NULL, "the message arrived in the maildir");
	want_id = xasprintf("id %s", r.queue_id);
	tap_ok(got && strstr(got, want_id) != NULL, "Exim's Received header names the same id");
	body = got ? strstr(got, "\n\nfirst line\n") : NULL;
	tap_ok(body != NULL, "headers and body arrive, line endings normalised");
	tap_is_str(body ? body + 2 : NULL,
		   "first line\n.hello\n..two dots\n.\nlast line without newline\n",
		   "body intact: dot-stuffed lines (.hello, ..two, a lone dot) survive");
	tap_ok(got && strstr(got, "Subject: mailpulse smtp test\n") != NULL, "headers intact");
	free(want_id);
	free(got);
	mail_smtp_result_free(&r);
}

static void test_implicit_login(void)
{
	static const char *const rcpts[] = {"carol@example.test"};
	static const char m2[] = "Subject: implicit\r\nMessage-ID: <smtp-test-2@example.test>\r\n"
				 "\r\nhi\r\n";
	struct mail_smtp_opts o = opts(MAIL_SMTP_IMPLICIT);
	struct mail_smtp_result r;
	char *got;

	o.auth = MAIL_SMTP_AUTH_LOGIN;
	tap_is_int(mail_smtp_send(&o, "probe@example.test", rcpts, 1, m2, sizeof m2 - 1, &r),
		   ERR_OK, "implicit TLS + AUTH LOGIN: accepted");
	tap_is_str(r.auth_mech, "LOGIN", "authenticated with LOGIN");
	tap_ok(r.tls_version[0] != '\0' && !has_step(&r, "STARTTLS", 220),
	       "TLS from the first byte");
	tap_ok(has_step(&r, "AUTH", 334), "the 334 challenges are kept");
	tap_ok(r.queue_id[0] != '\0', "queue id: %s", r.queue_id);
	got = delivered("smtp-test-2@example.test");
	tap_ok(got != NULL, "arrived");
	free(got);
	mail_smtp_result_free(&r);
}

static void test_bad_password(void)
{
	static const char *const rcpts[] = {"bob@example.test"};
	struct mail_smtp_opts o = opts(MAIL_SMTP_STARTTLS);
	struct mail_smtp_result r;

	o.password = "wrong-Pw-123";
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_NET, "wrong password fails");
	tap_is_str(mail_smtp_class_str(r.cls), "auth", "class auth: fix the setup, do not retry");
	tap_ok(strstr(r.error, "535") != NULL, "error says 535: %s", r.error);
	tap_ok(strstr(r.error, "wrong-Pw") == NULL && strstr(r.error, USER) == NULL,
	       "no credentials in the error text");
	tap_ok(!has_step(&r, "MAIL", 250) && r.n_accepted == 0, "no MAIL after a failed AUTH");
	mail_smtp_result_free(&r);
	o.auth = MAIL_SMTP_AUTH_LOGIN;
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_NET, "wrong password with LOGIN fails");
	tap_is_str(mail_smtp_class_str(r.cls), "auth", "class auth with LOGIN too");
	mail_smtp_result_free(&r);
}

static void test_certificates(void)
{
	static const char *const rcpts[] = {"bob@example.test"};
	struct mail_smtp_opts o = opts(MAIL_SMTP_STARTTLS);
	struct mail_smtp_result r;

	o.ca_file = NULL;
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_TLS, "STARTTLS, test CA unknown: ERR_TLS");
	tap_is_str(mail_smtp_class_str(r.cls), "tls", "class tls");
	tap_ok(strstr(r.error, "certificate") != NULL, "says why: %s", r.error);
	tap_ok(!has_step(&r, "AUTH", 235) && !has_step(&r, "AUTH", 535), "no AUTH sent");
	mail_smtp_result_free(&r);
	o = opts(MAIL_SMTP_IMPLICIT);
	o.ca_file = NULL;
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_TLS, "implicit TLS, test CA unknown: ERR_TLS");
	tap_ok(r.n_replies == 0, "not even the greeting is read");
	mail_smtp_result_free(&r);
	o = opts(MAIL_SMTP_IMPLICIT);
	o.host = "other.test";
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_TLS, "certificate for another name: ERR_TLS");
	tap_ok(strstr(r.error, "hostname mismatch") != NULL, "says so: %s", r.error);
	mail_smtp_result_free(&r);
	o = opts(MAIL_SMTP_STARTTLS);
	o.ca_file = NULL;
	o.tls_no_verify = true;
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_OK, "explicit tls_no_verify accepts it");
	mail_smtp_result_free(&r);
	o = opts(MAIL_SMTP_STARTTLS);
	o.ca_file = "/nonexistent/ca.pem";
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_TLS, "missing CA file: ERR_TLS");
	tap_ok(strstr(r.error, "CA file") != NULL, "says which: %s", r.error);
	mail_smtp_result_free(&r);
}

static void test_recipients(void)
{
	static const char *const mixed[] = {"bob@example.test", "nobody@example.test",
					    "full@example.test"};
	static const char *const none[] = {"nobody@example.test"};
	static const char *const later[] = {"full@example.test", "nobody@example.test"};
	struct mail_smtp_opts o = opts(MAIL_SMTP_STARTTLS);
	struct mail_smtp_result r;

	tap_is_int(send1(&o, mixed, 3, &r), ERR_OK, "one of three accepted: sent");
	tap_ok(r.n_rcpts == 3 && r.n_accepted == 1, "n_accepted 1 of 3");
	tap_ok(r.rcpts[1].code == 550 && strcmp(r.rcpts[1].esc, "5.1.1") == 0 &&
		   !r.rcpts[1].accepted,
	       "nobody: 550 5.1.1 kept");
	tap_ok(strstr(r.rcpts[1].text, "User unknown") != NULL, "with its text: %s",
	       r.rcpts[1].text);
	tap_ok(r.rcpts[2].code == 452 && strcmp(r.rcpts[2].esc, "4.2.2") == 0,
	       "full: 452 4.2.2 kept");
	tap_is_str(r.rcpts[0].addr, "bob@example.test", "addresses kept in order");
	mail_smtp_result_free(&r);
	tap_is_int(send1(&o, none, 1, &r), ERR_NET, "every recipient refused: fails");
	tap_is_str(mail_smtp_class_str(r.cls), "permanent", "5xx only: permanent");
	tap_ok(strstr(r.error, "550 5.1.1") != NULL, "error quotes the refusal: %s", r.error);
	tap_ok(!has_step(&r, "DATA", 354), "no DATA without a recipient");
	mail_smtp_result_free(&r);
	tap_is_int(send1(&o, later, 2, &r), ERR_NET, "452 and 550: fails");
	tap_is_str(mail_smtp_class_str(r.cls), "temporary", "a 4xx among them: temporary");
	mail_smtp_result_free(&r);
}

static void test_no_auth(void)
{
	static const char *const rcpts[] = {"bob@example.test"};
	struct mail_smtp_opts o = opts(MAIL_SMTP_STARTTLS);
	struct mail_smtp_result r;

	o.user = o.password = NULL;
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_NET, "MAIL without AUTH refused");
	tap_is_str(mail_smtp_class_str(r.cls), "auth", "530: class auth");
	mail_smtp_result_free(&r);
	o = opts(MAIL_SMTP_PLAINTEXT);
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_INVAL, "AUTH over plain text refused up front");
	tap_ok(r.n_replies == 0, "nothing was sent");
	mail_smtp_result_free(&r);
	o.plaintext_auth = true;
	tap_is_int(send1(&o, rcpts, 1, &r), ERR_NET,
		   "plaintext_auth: Exim offers no AUTH before TLS");
	tap_ok(r.cls == MAIL_SMTP_AUTH && strstr(r.error, "no AUTH") != NULL, "class auth: %s",
	       r.error);
	mail_smtp_result_free(&r);
}

/*
 * A TLS server (Python's ssl, implicit TLS) that hangs up as the message
 * starts: the client's TLS writes meet EPIPE, which must never raise SIGPIPE
 * (common/tls sends with MSG_NOSIGNAL through its own BIO; this test does not
 * ignore SIGPIPE).  TCP_CORK holds the 354 back until the close, so the FIN
 * arrives before any message byte and the failure is EPIPE every time.
 */
static const char tls_hangup_py[] =
    "import socket, ssl, sys, os\n"
    "cert, key, portfile = sys.argv[1:4]\n"
    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(cert, key)\n"
    "s = socket.socket()\n"
    "s.bind(('127.0.0.1', 0))\n"
    "s.listen(1)\n"
    "open(portfile + '.tmp', 'w').write(str(s.getsockname()[1]))\n"
    "os.rename(portfile + '.tmp', portfile)\n"
    "c, _ = s.accept()\n"
    "t = ctx.wrap_socket(c, server_side=True)\n"
    "f = t.makefile('rb')\n"
    "t.sendall(b'220 h ESMTP\\r\\n')\n"
    "for reply in (b'250 h\\r\\n', b'250 ok\\r\\n', b'250 ok\\r\\n'):\n"
    "    f.readline()\n"
    "    t.sendall(reply)\n"
    "f.readline()\n"
    "t.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)\n"
    "t.sendall(b'354 go\\r\\n')\n"
    "os._exit(0)\n";

static void test_tls_hangup(void)
{
	static const char *const rcpts[] = {"bob@example.test"};
	char *portfile = xasprintf("%s/tlshang.port", tap_tmpdir());
	char *cert = xasprintf("%s/ca/cert.pem", tap_tmpdir());
	char *key = xasprintf("%s/ca/key.pem", tap_tmpdir());
	struct mail_smtp_opts o = opts(MAIL_SMTP_IMPLICIT);
	struct mail_smtp_result r;
	size_t len = 4u << 20;
	char *m = xmalloc(len);
	FILE *f = NULL;
	pid_t pid;
	int port = 0;

	pid = fork();
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", "-c", tls_hangup_py, cert, key, portfile,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && f == NULL; i++) {
		f = fopen(portfile, "r");
		if (f == NULL)
			usleep(25000);
	}
	if (f == NULL || fscanf(f, "%d", &port) != 1) /* test code, trusted input */
		port = 0;
	if (f)
		fclose(f);
	memset(m, 'x', len);
	for (size_t i = 80; i < len; i += 80)
		m[i] = '\n';
	o.port = (unsigned)port;
	o.user = o.password = NULL;
	if (tap_ok(port > 0, "the Python TLS server started")) {
		tap_is_int(mail_smtp_send(&o, "probe@example.test", rcpts, 1, m, len, &r), ERR_NET,
			   "TLS server hangs up during DATA: ERR_NET, and no SIGPIPE killed us");
		tap_ok(r.cls == MAIL_SMTP_NETWORK && !r.data_sent && r.tls_version[0] != '\0',
		       "class network over TLS (%s)", r.error);
		mail_smtp_result_free(&r);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(m);
	free(portfile);
	free(cert);
	free(key);
}

int main(void)
{
	bool started;

	if (access("/usr/sbin/exim4", X_OK) != 0) {
		tap_ok(0, "exim4 is installed (scripts/setup installs exim4-daemon-light)");
		return tap_done();
	}
	if (geteuid() != 0) {
		tap_ok(0, "running as root (Debian's exim4 takes -C only from root)");
		return tap_done();
	}
	started = start_exim();
	if (!tap_ok(started, "Exim started (tests/lib/exim.sh): ports %d %d", sub_port, tls_port)) {
		stop_exim();
		return tap_done();
	}
	test_starttls_plain();
	test_implicit_login();
	test_bad_password();
	test_certificates();
	test_recipients();
	test_no_auth();
	test_tls_hangup();
	stop_exim();
	free(ca);
	free(maildir);
	return tap_done();
}
