/*
 * tests/mail/test_smtpd: the inbound SMTP listener's protocol (mail/smtpd
 * and mail/smtpd_session) over real loopback sockets, port 0: a full
 * transaction with its Received: field; pipelined commands in one write;
 * several RCPTs with one refused (never a relay); RSET; the null sender;
 * dot-stuffing and CRLF normalisation, and a smuggled end of data; SIZE and
 * max_message; over-long lines; sequence errors and bad commands up to
 * max_errors; a failing deliver callback (451, then the retry is delivered
 * once); 101 recipients; the three-way rcpt_check (550 5.1.1 for an
 * unknown user of our domain, 550 5.7.1 elsewhere).  Connections, limits,
 * TLS: test_smtpd_conn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "mail/smtpd.h"
#include "tests/lib/tap.h"
#include "tests/mail/smtpd_fixture.h"

static void test_transaction(unsigned port)
{
	struct cli c;
	char t[1024], want[512];
	const char *body = "From: a@example.test\r\nSubject: hi\r\n\r\nHello.\r\n";
	const char *m;

	box_clear(&box);
	if (!tap_ok(cli_open(&c, "127.0.0.1", port, NULL), "connect"))
		return;
	tap_is_int(cli_reply(&c, t, sizeof t), 220, "greeting 220");
	tap_ok(has(t, "mx.test"), "greeting names the host");
	tap_is_int(cmd(&c, "EHLO client.test\r\n", t, sizeof t), 250, "EHLO 250");
	tap_ok(has(t, "250-mx.test\r\n") && has(t, "SIZE 100000\r\n") && has(t, "8BITMIME\r\n") &&
		   has(t, "ENHANCEDSTATUSCODES\r\n") && has(t, "PIPELINING\r\n"),
	       "EHLO lists SIZE, 8BITMIME, ENHANCEDSTATUSCODES, PIPELINING");
	tap_ok(!has(t, "STARTTLS"), "no STARTTLS without a certificate");
	tap_ok(!has(t, "AUTH"), "no AUTH");
	tap_is_int(cmd(&c, "MAIL FROM:<sender@example.test> SIZE=100\r\n", t, sizeof t), 250,
		   "MAIL 250");
	tap_ok(has(t, "2.1.0"), "  with 2.1.0");
	tap_is_int(cmd(&c, "RCPT TO:<probe-1@Probe.TEST>\r\n", t, sizeof t), 250, "RCPT 250");
	tap_is_int(cmd(&c, "DATA\r\n", t, sizeof t), 354, "DATA 354");
	cli_puts(&c, body);
	tap_is_int(cmd(&c, ".\r\n", t, sizeof t), 250, "end of data 250");
	tap_ok(has(t, "2.0.0 OK queued as "), "  queued as ID");
	if (tap_is_int(box_count(&box), 1, "delivered once")) {
		m = box.msg[0];
		tap_ok(has(t, box.id[0]), "reply names the id given to deliver");
		snprintf(want, sizeof want,
			 "Received: from client.test (unknown [127.0.0.1])\r\n\tby mx.test "
			 "(mailpulse) with ESMTP id %s\r\n\tfor <probe-1@probe.test>; ",
			 box.id[0]);
		tap_ok(strncmp(m, want, strlen(want)) == 0, "Received: field first (RFC 5321 4.4)");
		if (strncmp(m, want, strlen(want)) != 0)
			tap_diag("got: %.200s", m);
		tap_ok(has(m, " +0000\r\nFrom: a@example.test\r\n"), "dated, then the message");
		tap_ok(box.len[0] > strlen(body) &&
			   strcmp(m + box.len[0] - strlen(body), body) == 0,
		       "body unchanged");
		tap_is_str(box.from[0], "sender@example.test", "envelope sender");
		tap_is_str(box.rcpt0[0], "probe-1@probe.test",
			   "envelope recipient, domain lower-cased");
		tap_is_str(box.helo[0], "client.test", "envelope helo");
		tap_is_str(box.ip[0], "127.0.0.1", "envelope client ip");
		tap_ok(box.esmtp[0] && !box.tls[0], "esmtp, no tls");
	}
	tap_is_int(cmd(&c, "QUIT\r\n", t, sizeof t), 221, "QUIT 221");
	tap_ok(cli_eof(&c, 2000), "closed after QUIT");
	cli_close(&c);
}

static void test_pipelining(unsigned port)
{
	struct cli c;
	char t[1024];
	int codes[6], i;
	const int want[6] = {250, 250, 250, 550, 250, 354};

	box_clear(&box);
	if (!tap_ok(greet(&c, port), "connect for pipelining"))
		return;
	/* RFC 2920: the whole envelope in one write. */
	cli_puts(&c, "EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<a@probe.test>\r\n"
		     "RCPT TO:<victim@elsewhere.test>\r\nRCPT TO:<postmaster>\r\nDATA\r\n");
	for (i = 0; i < 6; i++) {
		codes[i] = cli_reply(&c, t, sizeof t);
		if (i == 3)
			tap_ok(has(t, "550 5.7.1"), "refused recipient: 550 5.7.1 (never a relay)");
	}
	for (i = 0; i < 6; i++)
		tap_is_int(codes[i], want[i], "pipelined reply %d", i + 1);
	cli_puts(&c, "Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n");
	tap_is_int(cli_reply(&c, t, sizeof t), 250, "data accepted");
	tap_is_int(cli_reply(&c, t, sizeof t), 221, "pipelined QUIT after the dot");
	cli_close(&c);
	if (tap_is_int(box_count(&box), 1, "one message")) {
		tap_is_str(box.from[0], "", "null sender <> handed over as \"\"");
		tap_is_int((long long)box.n_rcpts[0], 2, "two accepted recipients");
		tap_ok(!has(box.msg[0], "\tfor <"), "no 'for' clause with several recipients");
	}
}

static void test_sequence(unsigned port)
{
	struct cli c;
	char t[1024], big[700];

	box_clear(&box);
	if (!tap_ok(greet(&c, port), "connect for sequence errors"))
		return;
	tap_is_int(cmd(&c, "MAIL FROM:<a@b.test>\r\n", t, sizeof t), 503, "MAIL before EHLO: 503");
	tap_ok(has(t, "5.5.1"), "  5.5.1");
	tap_is_int(cmd(&c, "HELO client.test\r\n", t, sizeof t), 250, "HELO");
	tap_is_int(cmd(&c, "MAIL FROM:<a@b.test> SIZE=10\r\n", t, sizeof t), 555,
		   "ESMTP parameter after HELO: 555");
	tap_is_int(cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t), 503,
		   "RCPT before MAIL: 503");
	tap_is_int(cmd(&c, "DATA\r\n", t, sizeof t), 503, "DATA before MAIL: 503");
	tap_is_int(cmd(&c, "MAIL FROM:<a@b.test>\r\n", t, sizeof t), 250, "MAIL");
	tap_is_int(cmd(&c, "MAIL FROM:<a@b.test>\r\n", t, sizeof t), 503, "nested MAIL: 503");
	tap_is_int(cmd(&c, "RCPT TO:<x@relay.test>\r\n", t, sizeof t), 550, "refused RCPT");
	tap_is_int(cmd(&c, "DATA\r\n", t, sizeof t), 554, "DATA with no valid recipient: 554");
	tap_is_int(cmd(&c, "RSET\r\n", t, sizeof t), 250, "RSET");
	tap_is_int(cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t), 503,
		   "RSET ended the transaction");
	tap_is_int(cmd(&c, "MAIL FROM:<a@b.test>\r\n", t, sizeof t), 250, "MAIL again after RSET");
	tap_is_int(cmd(&c, "NOOP\r\n", t, sizeof t), 250, "NOOP");
	tap_is_int(cmd(&c, "VRFY bob\r\n", t, sizeof t), 252, "VRFY: 252");
	tap_is_int(cmd(&c, "HELP\r\n", t, sizeof t), 214, "HELP: 214");
	tap_is_int(cmd(&c, "AUTH PLAIN AGEAYg==\r\n", t, sizeof t), 502, "AUTH: 502");
	tap_is_int(cmd(&c, "STARTTLS\r\n", t, sizeof t), 502, "STARTTLS without cert: 502");
	tap_is_int(cmd(&c, "BOGUS\r\n", t, sizeof t), 500, "unknown: 500");
	tap_ok(has(t, "5.5.1"), "  5.5.1");
	cli_send(&c, "NOOP\0\r\n", 7);
	tap_is_int(cli_reply(&c, t, sizeof t), 500, "NUL in a command: 500");
	memset(big, 'x', sizeof big);
	memcpy(big, "NOOP ", 5);
	memcpy(big + sizeof big - 2, "\r\n", 2);
	cli_send(&c, big, sizeof big);
	tap_is_int(cli_reply(&c, t, sizeof t), 500, "command over 512 octets: 500");
	tap_ok(has(t, "5.5.2"), "  5.5.2");
	tap_is_int(cmd(&c, "MAIL FROM:<a@b.test>\r\n", t, sizeof t), 503,
		   "transaction survived the bad lines (nested MAIL)");
	tap_is_int(cmd(&c, "EHLO again.test\r\n", t, sizeof t), 250, "EHLO again");
	tap_is_int(cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t), 503,
		   "EHLO reset the transaction (RFC 5321 4.1.4)");
	tap_is_int(cmd(&c, "QUIT\r\n", t, sizeof t), 221, "QUIT");
	cli_close(&c);
	tap_is_int(box_count(&box), 0, "nothing delivered");
}

static void test_dots(unsigned port)
{
	struct cli c;
	char t[1024];

	box_clear(&box);
	if (!tap_ok(open_data(&c, port, "EHLO c.test\r\n"), "DATA for dot-stuffing"))
		return;
	cli_puts(&c, "Subject: d\r\n\r\n..leading dot\r\n...two\r\nbare\nlf\n"
		     "x\r\n.\nMAIL FROM:<evil@x.test>\r\n.. \r\na\rb\r\n.\r\n");
	tap_is_int(cli_reply(&c, t, sizeof t), 250, "accepted");
	if (tap_is_int(box_count(&box), 1, "one message, the smuggled one is content"))
		tap_is_str(after_received(box.msg[0]),
			   "Subject: d\r\n\r\n.leading dot\r\n..two\r\nbare\r\nlf\r\nx\r\n\r\n"
			   "MAIL FROM:<evil@x.test>\r\n. \r\na\rb\r\n",
			   "unstuffed, bare LF to CRLF, '.' LF after CRLF lines is no end");
	tap_is_int(cmd(&c, "NOOP\r\n", t, sizeof t), 250, "no smuggled command was run");
	cli_close(&c);

	/* A client that uses bare LF throughout may end with ".\n". */
	box_clear(&box);
	if (!tap_ok(greet(&c, port), "connect LF-only client"))
		return;
	cli_puts(&c, "EHLO lf.test\nMAIL FROM:<s@example.test>\nRCPT TO:<a@probe.test>\nDATA\n");
	tap_is_int(cli_reply(&c, t, sizeof t), 250, "LF EHLO");
	tap_is_int(cli_reply(&c, t, sizeof t), 250, "LF MAIL");
	tap_is_int(cli_reply(&c, t, sizeof t), 250, "LF RCPT");
	tap_is_int(cli_reply(&c, t, sizeof t), 354, "LF DATA");
	cli_puts(&c, "Subject: lf\n\n..x\n.\n");
	tap_is_int(cli_reply(&c, t, sizeof t), 250, "LF-only message ends with .LF");
	if (box_count(&box) == 1)
		tap_is_str(after_received(box.msg[0]), "Subject: lf\r\n\r\n.x\r\n",
			   "handed over with CRLF");
	else
		tap_ok(0, "LF-only message delivered");
	cli_close(&c);
}

static void test_limits_size(unsigned port)
{
	struct cli c;
	char t[1024], *blob;
	size_t n = 70000;

	box_clear(&box);
	if (!tap_ok(greet(&c, port), "connect for SIZE"))
		return;
	tap_is_int(cmd(&c, "EHLO c.test\r\n", t, sizeof t), 250, "EHLO");
	tap_ok(has(t, "SIZE 1000\r\n"), "SIZE announces max_message");
	tap_is_int(cmd(&c, "MAIL FROM:<s@example.test> SIZE=2000\r\n", t, sizeof t), 552,
		   "SIZE over the limit: 552 (RFC 1870)");
	tap_ok(has(t, "5.3.4"), "  5.3.4");
	tap_is_int(cmd(&c, "MAIL FROM:<s@example.test>\r\n", t, sizeof t), 250, "MAIL");
	tap_is_int(cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t), 250, "RCPT");
	tap_is_int(cmd(&c, "DATA\r\n", t, sizeof t), 354, "DATA");
	blob = xmalloc(n + 16);
	memset(blob, 'y', n);
	memcpy(blob, "Subject: big\r\n\r\n", 16);
	for (size_t i = 100; i + 2 < n; i += 100)
		memcpy(blob + i, "\r\n", 2);
	cli_send(&c, blob, 1500);
	tap_is_int(cmd(&c, "\r\n.\r\n", t, sizeof t), 552,
		   "1500 octets over 1000: 552 after the dot");
	tap_ok(has(t, "5.3.4"), "  5.3.4");
	tap_is_int(cmd(&c, "NOOP\r\n", t, sizeof t), 250, "session goes on");
	tap_is_int(cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t), 503, "transaction reset");
	tap_is_int(box_count(&box), 0, "nothing delivered");
	/* A client that keeps sending past twice the limit is cut off. */
	(void)!(cmd(&c, "MAIL FROM:<s@example.test>\r\n", t, sizeof t) == 250 &&
		cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t) == 250 &&
		cmd(&c, "DATA\r\n", t, sizeof t) == 354);
	cli_send(&c, blob, 5000);
	tap_is_int(cli_reply(&c, t, sizeof t), 552, "far over the limit: 552 before the dot");
	tap_ok(cli_eof(&c, 3000), "  and the connection is closed");
	cli_close(&c);
	free(blob);
}

static void test_long_line(unsigned port)
{
	struct cli c;
	char t[1024], *blob;
	size_t n = 70000;

	box_clear(&box);
	if (!tap_ok(open_data(&c, port, "EHLO c.test\r\n"), "DATA for a long line"))
		return;
	blob = xmalloc(n);
	memset(blob, 'z', n);
	cli_puts(&c, "Subject: long\r\n\r\n");
	cli_send(&c, blob, 5000);
	tap_is_int(cmd(&c, "\r\n.\r\n", t, sizeof t), 250, "a 5000-octet line is accepted");
	tap_is_int(cmd(&c, "MAIL FROM:<s@example.test>\r\n", t, sizeof t), 250, "MAIL");
	tap_is_int(cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t), 250, "RCPT");
	tap_is_int(cmd(&c, "DATA\r\n", t, sizeof t), 354, "DATA");
	cli_send(&c, blob, n);
	tap_is_int(cmd(&c, "\r\nok\r\n.\r\n", t, sizeof t), 500, "a 70000-octet line: 500");
	tap_ok(has(t, "5.5.2"), "  5.5.2");
	tap_is_int(box_count(&box), 1, "only the first message delivered");
	cli_close(&c);
	free(blob);
}

static void test_deliver_fails(unsigned port)
{
	struct cli c;
	char t[1024];

	box_clear(&box);
	pthread_mutex_lock(&box.mu);
	box.fail = true;
	pthread_mutex_unlock(&box.mu);
	if (!tap_ok(open_data(&c, port, "EHLO c.test\r\n"), "DATA with a failing store"))
		return;
	tap_is_int(cmd(&c, "Subject: f\r\n\r\nx\r\n.\r\n", t, sizeof t), 451,
		   "deliver failed: 451 (the client keeps the message)");
	tap_ok(has(t, "4.3.0"), "  4.3.0");
	pthread_mutex_lock(&box.mu);
	box.fail = false;
	pthread_mutex_unlock(&box.mu);
	tap_is_int(cmd(&c, "MAIL FROM:<s@example.test>\r\n", t, sizeof t), 250, "retry: MAIL");
	tap_is_int(cmd(&c, "RCPT TO:<a@probe.test>\r\n", t, sizeof t), 250, "retry: RCPT");
	tap_is_int(cmd(&c, "DATA\r\n", t, sizeof t), 354, "retry: DATA");
	tap_is_int(cmd(&c, "Subject: f\r\n\r\nx\r\n.\r\n", t, sizeof t), 250, "retry accepted");
	tap_is_int(box_count(&box), 1, "delivered exactly once");
	cli_close(&c);
}

static void test_errors_and_http(unsigned port)
{
	struct cli c;
	char t[1024];
	int i;

	if (!tap_ok(greet(&c, port), "connect for max_errors"))
		return;
	for (i = 0; i < 2; i++)
		tap_is_int(cmd(&c, "XYZZY\r\n", t, sizeof t), 500, "bad command %d", i + 1);
	cli_puts(&c, "XYZZY\r\n");
	tap_is_int(cli_reply(&c, t, sizeof t), 500, "bad command 3");
	tap_is_int(cli_reply(&c, t, sizeof t), 421, "then 421 (max_errors 3)");
	tap_ok(cli_eof(&c, 2000), "  and closed");
	cli_close(&c);
	if (!tap_ok(greet(&c, port), "connect for HTTP"))
		return;
	cli_puts(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	tap_ok(cli_eof(&c, 2000), "an HTTP request is hung up on");
	cli_close(&c);
}

static void test_too_many_rcpts(unsigned port)
{
	struct cli c;
	char t[1024];
	int i, ok = 0;

	if (!tap_ok(greet(&c, port), "connect for 101 recipients"))
		return;
	(void)!cmd(&c, "EHLO c.test\r\n", t, sizeof t);
	(void)!cmd(&c, "MAIL FROM:<s@example.test>\r\n", t, sizeof t);
	for (i = 0; i < MAIL_SMTPD_MAX_RCPTS; i++) {
		char line[64];

		snprintf(line, sizeof line, "RCPT TO:<r%d@probe.test>\r\n", i);
		ok += cmd(&c, line, t, sizeof t) == 250;
	}
	tap_is_int(ok, MAIL_SMTPD_MAX_RCPTS, "100 recipients accepted (RFC 5321 4.5.3.1.8)");
	tap_is_int(cmd(&c, "RCPT TO:<one-more@probe.test>\r\n", t, sizeof t), 452,
		   "the 101st: 452");
	tap_ok(has(t, "4.5.3"), "  4.5.3");
	cli_close(&c);
}

/* rcpt_check: known@probe.test and postmaster taken, other probe.test users
   unknown, every other domain relaying.  rcpt_ok (when also set) says yes to
   all, so a test sees which one the listener asked. */
static enum mail_smtpd_rcpt check3(void *arg, const char *addr)
{
	(void)arg;
	if (strcmp(addr, "known@probe.test") == 0 || strcmp(addr, "postmaster") == 0)
		return MAIL_SMTPD_RCPT_ACCEPT;
	if (strlen(addr) > 11 && strcmp(addr + strlen(addr) - 11, "@probe.test") == 0)
		return MAIL_SMTPD_RCPT_UNKNOWN_USER;
	return MAIL_SMTPD_RCPT_RELAY_DENIED;
}

static bool yes(void *arg, const char *addr)
{
	(void)arg;
	(void)addr;
	return true;
}

static void test_rcpt_check_replies(unsigned port)
{
	struct cli c;
	char t[1024];

	box_clear(&box);
	if (!tap_ok(greet(&c, port), "connect for rcpt_check"))
		return;
	(void)!cmd(&c, "EHLO c.test\r\n", t, sizeof t);
	tap_is_int(cmd(&c, "MAIL FROM:<>\r\n", t, sizeof t), 250, "rcpt_check: MAIL");
	tap_is_int(cmd(&c, "RCPT TO:<nobody@Probe.Test>\r\n", t, sizeof t), 550,
		   "unknown user of our domain: 550");
	tap_is_str(t, "550 5.1.1 <nobody@probe.test>: Recipient address rejected: User unknown\r\n",
		   "  5.1.1 user unknown, naming the address (RFC 3463 X.1.1)");
	tap_is_int(cmd(&c, "RCPT TO:<victim@elsewhere.test>\r\n", t, sizeof t), 550,
		   "other domain: 550");
	tap_is_str(t, "550 5.7.1 Relaying denied\r\n", "  5.7.1 relaying denied");
	tap_is_int(cmd(&c, "RCPT TO:<known@probe.test>\r\n", t, sizeof t), 250,
		   "known user: 250 (rcpt_check preferred over rcpt_ok)");
	tap_is_int(cmd(&c, "RCPT TO:<Postmaster>\r\n", t, sizeof t), 250,
		   "postmaster reaches rcpt_check as \"postmaster\"");
	tap_is_int(cmd(&c, "DATA\r\n", t, sizeof t), 354, "DATA after refusals");
	tap_is_int(cmd(&c, "Subject: r\r\n\r\nx\r\n.\r\n", t, sizeof t), 250, "accepted");
	if (tap_is_int(box_count(&box), 1, "one message"))
		tap_is_int((long long)box.n_rcpts[0], 2, "  for the two accepted recipients");
	cli_close(&c);
}

/* rcpt_check alone is enough; neither callback is refused at start. */
static void test_rcpt_check(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd_handler h = handler;
	struct mail_smtpd *s = NULL;
	char why[256] = "";

	h.rcpt_ok = NULL;
	h.rcpt_check = NULL;
	tap_is_int(mail_smtpd_start(&o, &h, &s, why, sizeof why), ERR_INVAL,
		   "neither rcpt_ok nor rcpt_check: ERR_INVAL");
	tap_ok(s == NULL && why[0] != '\0', "  with a reason, nothing started");
	h.rcpt_check = check3;
	if (tap_is_int(mail_smtpd_start(&o, &h, &s, why, sizeof why), ERR_OK,
		       "rcpt_check without rcpt_ok starts")) {
		test_rcpt_check_replies(mail_smtpd_port(s));
		mail_smtpd_stop(s);
	}
	s = NULL;
	h.rcpt_ok = yes;
	if (tap_is_int(mail_smtpd_start(&o, &h, &s, why, sizeof why), ERR_OK,
		       "rcpt_check with rcpt_ok starts")) {
		test_rcpt_check_replies(mail_smtpd_port(s));
		mail_smtpd_stop(s);
	}
}

int main(void)
{
	struct mail_smtpd_opts o = base_opts();
	struct mail_smtpd *s;

	o.max_errors = 3;
	s = start(&o);
	if (s == NULL)
		tap_skip_all("cannot listen on 127.0.0.1");
	test_transaction(mail_smtpd_port(s));
	test_pipelining(mail_smtpd_port(s));
	test_dots(mail_smtpd_port(s));
	test_long_line(mail_smtpd_port(s));
	test_deliver_fails(mail_smtpd_port(s));
	test_errors_and_http(mail_smtpd_port(s));
	mail_smtpd_stop(s);

	o = base_opts();
	o.max_errors = 200;
	s = start(&o);
	if (tap_ok(s != NULL, "listener for the sequence tests")) {
		test_sequence(mail_smtpd_port(s));
		test_too_many_rcpts(mail_smtpd_port(s));
	}
	mail_smtpd_stop(s);

	o = base_opts();
	o.max_message = 1000;
	s = start(&o);
	if (tap_ok(s != NULL, "listener with max_message 1000"))
		test_limits_size(mail_smtpd_port(s));
	mail_smtpd_stop(s);

	test_rcpt_check();
	box_clear(&box);
	return tap_done();
}
