/*
 * tests/mail/test_smtpd_conn: the inbound SMTP listener's connections
 * (mail/smtpd) over real loopback sockets: start errors, the idle timeout,
 * the connection and per-IP limits, stop() with sessions open (idle and in
 * DATA), IPv6, and STARTTLS with a test CA (tests/lib/testca.sh), including
 * plaintext injected after STARTTLS (RFC 3207 4.2) and a failed handshake.
 */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "mail/smtpd.h"
#include "tests/lib/tap.h"
#include "tests/mail/smtpd_fixture.h"

static void test_timeout(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s;
	struct cli c;
	char t[1024];
	double t0;

	o.idle_timeout_s = 1;
	s = start(&o);
	if (!tap_ok(s != NULL && greet(&c, mail_smtpd_port(s)), "listener with a 1 s idle timeout"))
		goto out;
	t0 = now_s();
	tap_is_int(cli_reply(&c, t, sizeof t), 421, "idle client: 421");
	tap_ok(has(t, "4.4.2"), "  4.4.2");
	tap_ok(now_s() - t0 > 0.8 && now_s() - t0 < 3.0, "  after about 1 s (%.2f s)",
	       now_s() - t0);
	tap_ok(cli_eof(&c, 2000), "  and closed");
	cli_close(&c);
	/* A slow DATA: each line in time, the whole DATA phase bounded by data_timeout. */
out:
	mail_smtpd_stop(s);
}

static void test_conn_limits(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s;
	struct cli c[3];
	char t[1024];
	int i;

	o.max_connections = 2;
	s = start(&o);
	if (!tap_ok(s != NULL, "listener with max_connections 2"))
		return;
	tap_ok(greet(&c[0], mail_smtpd_port(s)) && greet(&c[1], mail_smtpd_port(s)),
	       "two sessions greeted");
	tap_ok(cli_open(&c[2], "127.0.0.1", mail_smtpd_port(s), NULL), "third connects");
	tap_is_int(cli_reply(&c[2], t, sizeof t), 421, "third: 421");
	tap_ok(has(t, "4.7.0"), "  4.7.0");
	tap_ok(cli_eof(&c[2], 2000), "  and closed");
	for (i = 0; i < 3; i++)
		cli_close(&c[i]);
	mail_smtpd_stop(s);

	o = base_opts();
	o.max_per_ip = 1;
	s = start(&o);
	if (!tap_ok(s != NULL, "listener with max_per_ip 1"))
		return;
	tap_ok(greet(&c[0], mail_smtpd_port(s)), "first from 127.0.0.1 greeted");
	tap_ok(cli_open(&c[1], "127.0.0.1", mail_smtpd_port(s), NULL) &&
		   cli_reply(&c[1], t, sizeof t) == 421 && has(t, "4.7.0"),
	       "second from 127.0.0.1: 421 4.7.0");
	if (cli_open(&c[2], "127.0.0.1", mail_smtpd_port(s), "127.0.0.2"))
		tap_is_int(cli_reply(&c[2], t, sizeof t), 220, "one from 127.0.0.2 is greeted");
	else
		tap_skip("cannot bind 127.0.0.2");
	for (i = 0; i < 3; i++)
		cli_close(&c[i]);
	/* Closing frees the slot (the accept thread reaps finished sessions). */
	usleep(300 * 1000);
	tap_ok(greet(&c[0], mail_smtpd_port(s)),
	       "after the first left, 127.0.0.1 is greeted again");
	cli_close(&c[0]);
	mail_smtpd_stop(s);
}

static void test_stop(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s;
	struct cli c[2];
	char t[1024];
	double t0, dt;

	o.idle_timeout_s = 300;
	s = start(&o);
	if (!tap_ok(s != NULL, "listener for stop()"))
		return;
	tap_ok(greet(&c[0], mail_smtpd_port(s)), "idle session open");
	tap_ok(open_data(&c[1], mail_smtpd_port(s), "EHLO c.test\r\n"), "session in DATA");
	cli_puts(&c[1], "Subject: unfinished\r\n");
	usleep(100 * 1000);
	t0 = now_s();
	mail_smtpd_stop(s);
	dt = now_s() - t0;
	tap_ok(dt < 2.5, "stop() returns promptly with sessions open (%.2f s)", dt);
	tap_is_int(cli_reply(&c[0], t, sizeof t), 421, "idle session told 421");
	tap_ok(has(t, "4.3.2"), "  4.3.2");
	tap_is_int(cli_reply(&c[1], t, sizeof t), 421, "session in DATA told 421");
	tap_ok(cli_eof(&c[0], 1000) && cli_eof(&c[1], 1000), "both closed");
	cli_close(&c[0]);
	cli_close(&c[1]);
}

/* stop() while a session is inside a slow deliver callback: it finishes, the client gets its 250.
 */
static void test_stop_in_deliver(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s = start(&o);
	struct cli c;
	char t[1024];
	double t0, dt;

	if (!tap_ok(s != NULL, "listener for stop() during deliver"))
		return;
	box_clear(&box);
	pthread_mutex_lock(&box.mu);
	box.delay_ms = 1500;
	pthread_mutex_unlock(&box.mu);
	tap_ok(open_data(&c, mail_smtpd_port(s), "EHLO c.test\r\n"), "session in DATA");
	cli_puts(&c, "Subject: slow\r\n\r\n.\r\n");
	usleep(300 * 1000);
	t0 = now_s();
	mail_smtpd_stop(s);
	dt = now_s() - t0;
	tap_ok(dt > 0.9 && dt < 3.0, "stop() waited for the callback (%.2f s)", dt);
	tap_is_int(box_count(&box), 1, "the message was stored");
	tap_is_int(cli_reply(&c, t, sizeof t), 250, "and the client got its 250");
	tap_ok(cli_eof(&c, 1000), "then the connection closed");
	cli_close(&c);
	box_clear(&box);
}

static void test_start_errors(unsigned busy_port)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s = NULL;
	char why[256] = "";

	o.listen_addr = "not-an-address";
	tap_is_int(mail_smtpd_start(&o, &handler, &s, why, sizeof why), ERR_INVAL,
		   "a listen address that is no IP: ERR_INVAL");
	o = base_opts();
	o.port = busy_port;
	tap_is_int(mail_smtpd_start(&o, &handler, &s, why, sizeof why), ERR_NET,
		   "a port in use: ERR_NET");
	tap_ok(has(why, "cannot listen"), "  says why: %s", why);
	o = base_opts();
	o.cert_file = "/nonexistent/cert.pem";
	o.key_file = "/nonexistent/key.pem";
	tap_is_int(mail_smtpd_start(&o, &handler, &s, why, sizeof why), ERR_TLS,
		   "a missing certificate: ERR_TLS");
	tap_ok(has(why, "/nonexistent/cert.pem"), "  names the file: %s", why);
	o = base_opts();
	o.hostname = "bad host";
	tap_is_int(mail_smtpd_start(&o, &handler, &s, why, sizeof why), ERR_INVAL,
		   "a host name with a space: ERR_INVAL");
	mail_smtpd_stop(NULL);
	tap_ok(1, "stop(NULL) is a no-op");
}

static void test_ipv6(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s = NULL;
	struct cli c;
	char t[1024], why[256];

	o.listen_addr = "::1";
	if (mail_smtpd_start(&o, &handler, &s, why, sizeof why) != ERR_OK) {
		tap_skip("no IPv6 loopback here: %s", why);
		return;
	}
	box_clear(&box);
	if (tap_ok(cli_open(&c, "::1", mail_smtpd_port(s), NULL) &&
		       cli_reply(&c, t, sizeof t) == 220,
		   "greeted over IPv6") &&
	    tap_ok(cmd(&c, "EHLO [IPv6:::1]\r\n", t, sizeof t) == 250 &&
		       cmd(&c, "MAIL FROM:<>\r\n", t, sizeof t) == 250 &&
		       cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t) == 250 &&
		       cmd(&c, "DATA\r\n", t, sizeof t) == 354 &&
		       cmd(&c, "S: 6\r\n\r\n.\r\n", t, sizeof t) == 250,
		   "transaction over IPv6") &&
	    box_count(&box) == 1)
		tap_ok(has(box.msg[0], "from [IPv6:::1] (unknown [IPv6:::1])"),
		       "Received: with an IPv6 address literal");
	cli_close(&c);
	mail_smtpd_stop(s);
}

/* Make a test CA and server certificate; the CA path or NULL. */
static const char *make_cert(char *ca, size_t casz)
{
	char cmdline[1024];

	snprintf(cmdline, sizeof cmdline,
		 "sh '%s/tests/lib/testca.sh' '%s/ca' 127.0.0.1 mx.test >/dev/null 2>&1",
		 tap_srcdir(), tap_tmpdir());
	if (system(cmdline) != 0)
		return NULL;
	snprintf(ca, casz, "%s/ca/ca.pem", tap_tmpdir());
	return access(ca, R_OK) == 0 ? ca : NULL;
}

/* Plaintext injected after STARTTLS must never run as a command (RFC 3207 4.2). */
static void test_injection(unsigned port, const char *ca)
{
	struct cli c;
	char t[1024];

	if (!tap_ok(greet(&c, port), "connect for the injection case"))
		return;
	(void)!cmd(&c, "EHLO c.test\r\n", t, sizeof t);
	tap_is_int(cmd(&c, "STARTTLS\r\nHELP\r\n", t, sizeof t), 220,
		   "STARTTLS + injected HELP: 220");
	if (tap_ok(cli_tls(&c, ca), "handshake after the injection")) {
		tap_is_int(cmd(&c, "EHLO c.test\r\n", t, sizeof t), 250,
			   "first reply inside TLS answers EHLO, not the injected HELP (214)");
		tap_is_int(cmd(&c, "NOOP\r\n", t, sizeof t), 250, "and the session goes on");
	}
	cli_close(&c);

	/* A client that talks garbage instead of a ClientHello is dropped; the listener lives. */
	if (tap_ok(greet(&c, port), "connect for a failed handshake")) {
		(void)!cmd(&c, "EHLO c.test\r\n", t, sizeof t);
		(void)!cmd(&c, "STARTTLS\r\n", t, sizeof t);
		cli_puts(&c, "this is not TLS\r\n");
		tap_ok(cli_eof(&c, 3000), "garbage handshake: closed");
		cli_close(&c);
	}
	tap_ok(greet(&c, port), "listener still serves");
	cli_close(&c);
}

static void test_starttls(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s;
	struct cli c;
	char t[1024], ca[512], cert[512], key[512];

	if (make_cert(ca, sizeof ca) == NULL) {
		tap_skip("cannot make a test certificate (openssl CLI missing?)");
		return;
	}
	snprintf(cert, sizeof cert, "%s/ca/cert.pem", tap_tmpdir());
	snprintf(key, sizeof key, "%s/ca/key.pem", tap_tmpdir());
	o.cert_file = cert;
	o.key_file = key;
	s = start(&o);
	if (!tap_ok(s != NULL, "listener with a certificate"))
		return;
	box_clear(&box);
	if (!tap_ok(greet(&c, mail_smtpd_port(s)), "connect for STARTTLS"))
		goto out;
	tap_is_int(cmd(&c, "EHLO c.test\r\n", t, sizeof t), 250, "EHLO");
	tap_ok(has(t, "250-STARTTLS\r\n"), "STARTTLS offered");
	tap_is_int(cmd(&c, "MAIL FROM:<before@tls.test>\r\n", t, sizeof t), 250, "MAIL before TLS");
	tap_is_int(cmd(&c, "STARTTLS\r\n", t, sizeof t), 220, "STARTTLS: 220");
	if (!tap_ok(cli_tls(&c, ca), "handshake, certificate verified against the test CA"))
		goto out;
	tap_is_int(cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t), 503,
		   "TLS discarded the transaction (RFC 3207 4.2)");
	tap_is_int(cmd(&c, "MAIL FROM:<a@b.test>\r\n", t, sizeof t), 503, "and the EHLO");
	tap_is_int(cmd(&c, "EHLO c.test\r\n", t, sizeof t), 250, "EHLO over TLS");
	tap_ok(!has(t, "STARTTLS"), "no STARTTLS offered inside TLS");
	tap_is_int(cmd(&c, "STARTTLS\r\n", t, sizeof t), 503, "STARTTLS twice: 503");
	tap_ok(cmd(&c, "MAIL FROM:<s@example.test>\r\n", t, sizeof t) == 250 &&
		   cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t) == 250 &&
		   cmd(&c, "DATA\r\n", t, sizeof t) == 354 &&
		   cmd(&c, "Subject: tls\r\n\r\n.\r\n", t, sizeof t) == 250,
	       "transaction over TLS");
	if (tap_is_int(box_count(&box), 1, "delivered")) {
		tap_ok(box.tls[0], "envelope says tls");
		tap_ok(has(box.msg[0], "with ESMTPS (TLSv1."),
		       "Received: says ESMTPS and the version");
	}
	cli_close(&c);
	test_injection(mail_smtpd_port(s), ca);
out:
	mail_smtpd_stop(s);
}

int main(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s = start(&o);

	if (s == NULL)
		tap_skip_all("cannot listen on 127.0.0.1");
	test_start_errors(mail_smtpd_port(s));
	mail_smtpd_stop(s);
	test_timeout();
	test_conn_limits();
	test_stop();
	test_stop_in_deliver();
	test_ipv6();
	test_starttls();
	box_clear(&box);
	return tap_done();
}
