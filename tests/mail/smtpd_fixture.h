/*
 * tests/mail/smtpd_fixture: shared by the listener tests (test_smtpd,
 * test_smtpd_conn): a handler that records what the listener delivers
 * (rcpt_ok takes *@probe.test and postmaster; box.fail makes deliver fail),
 * and a raw SMTP client over real loopback sockets that can switch to TLS,
 * so tests control every byte (pipelining, injection after STARTTLS).
 */
#ifndef MAILPULSE_TESTS_SMTPD_FIXTURE_H
#define MAILPULSE_TESTS_SMTPD_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "mail/smtpd.h"

#define MAXMSG 16

/* What the listener handed over, filled by the callbacks. */
struct box {
	pthread_mutex_t mu;
	bool fail;
	unsigned delay_ms; /* deliver sleeps this long first (a slow store) */
	int n;
	char *msg[MAXMSG];
	size_t len[MAXMSG];
	char from[MAXMSG][300];
	char rcpt0[MAXMSG][300];
	size_t n_rcpts[MAXMSG];
	bool tls[MAXMSG], esmtp[MAXMSG];
	char id[MAXMSG][24], helo[MAXMSG][256], ip[MAXMSG][46];
};

/* A raw client connection. */
struct common_tls;
struct cli {
	int fd;
	struct common_tls *tls;
	char buf[8192];
	size_t len;
};

/* The recorder and the handler that fills it. */
extern struct box box;
extern const struct mail_smtpd_handler handler;

/* Messages recorded so far. */
int box_count(struct box *k);
/* Forget the recorded messages and stop failing. */
void box_clear(struct box *k);
/* Options for a test listener: 127.0.0.1 port 0, host mx.test, 100000-octet messages, 20 s
 * timeouts. */
struct mail_smtpd_opts base_opts(void);
/* Start a listener with the recording handler; NULL (with a diagnostic) on failure. */
struct mail_smtpd *start(const struct mail_smtpd_opts *o);
/* Connect to addr:port (IPv4 or IPv6 literal), from the local IPv4 address from unless NULL. */
bool cli_open(struct cli *c, const char *addr, unsigned port, const char *from);
/* Close the connection (TLS first). */
void cli_close(struct cli *c);
/* Send n bytes (plain or TLS); errors show in the replies that do not come. */
void cli_send(struct cli *c, const char *p, size_t n);
/* cli_send() of a C string. */
void cli_puts(struct cli *c, const char *s);
/* Read one whole reply (all its lines) into text; its code, -1 on EOF or timeout. */
int cli_reply_t(struct cli *c, char *text, size_t textsz, int timeout_ms);
/* cli_reply_t() with 5 s. */
int cli_reply(struct cli *c, char *text, size_t textsz);
/* Send line, read its reply; the code. */
int cmd(struct cli *c, const char *line, char *text, size_t textsz);
/* True when the server closes the connection within timeout_ms. */
bool cli_eof(struct cli *c, int timeout_ms);
/* TLS client handshake on the connection, verifying 127.0.0.1 against the CA file ca. */
bool cli_tls(struct cli *c, const char *ca);
/* Monotonic seconds. */
double now_s(void);
/* Connect to 127.0.0.1:port and read a 220 greeting. */
bool greet(struct cli *c, unsigned port);
/* strstr() != NULL. */
bool has(const char *hay, const char *needle);
/* Connect, EHLO (the line ehlo), MAIL, one RCPT, DATA: true when 354 came. */
bool open_data(struct cli *c, unsigned port, const char *ehlo);
/* The message after our Received: field. */
const char *after_received(const char *m);

#endif
