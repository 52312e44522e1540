/*
 * mail/smtpd_session: one inbound SMTP session (see smtpd_session.h).
 *
 * RFC 5321 (server side: 3.1 greeting, 4.1.1 commands, 4.1.4 order, 4.2
 * replies, 4.4 Received, 4.5.2 dot-stuffing, 4.5.3 limits and timeouts),
 * RFC 3207 (STARTTLS; 4.2: all state and all buffered input are discarded),
 * RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 2034/3463 (enhanced status
 * codes), RFC 2920 (PIPELINING), RFC 6531 (SMTPUTF8).
 *
 * Input is read into one bounded buffer per session and taken out line by
 * line, so pipelined commands (RFC 2920) are simply the next lines.
 *
 * DATA decisions (documented for operators):
 *  - Lines end with CRLF; a bare LF is accepted as a line end and the
 *    message handed over has CRLF everywhere.  The end of data is "."
 *    alone on a line ended by CRLF after a line ended by CRLF, or, from a
 *    client that sent every line of this message with bare LF, "." with
 *    bare LF.  A "." line in a mix of both is content: that is the SMTP
 *    smuggling defence (the Postfix 3.9 "normalize" rule, slightly relaxed
 *    for consistent LF-only clients).  Bare CR inside a line is content.
 *  - A line may be up to MAX_DATA_LINE (64 KiB) octets, far above RFC 5322
 *    2.1.1's 998 because mangling or refusing real mail with long lines
 *    would break DKIM or lose bounces; a longer line makes the whole
 *    message refused (500 5.5.2) once its end is read.
 *  - Over max_message: the rest is read and dropped, then 552 5.3.4; a
 *    client that keeps sending past twice the limit gets 552 and is
 *    disconnected.
 *
 * Received: (RFC 5321 4.4) is "from HELO (unknown [IP]) by HOSTNAME
 * (mailpulse) with ESMTP|ESMTPS|SMTP|UTF8SMTP[S] (TLS version and cipher) id
 * ID for <rcpt>; date": no reverse DNS ("unknown"), "for" only with one
 * recipient, dated when DATA began.  Timeouts: idle_timeout_s for each
 * command and each DATA line, data_timeout_s for the whole DATA phase; both
 * answer 421 4.4.2 and hang up.
 *
 * Never logged: message content, AUTH data (AUTH is refused with 502).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/tls.h"
#include "common/xmalloc.h"
#include "mail/smtpd_cmd.h"
#include "mail/smtpd_session.h"

#define MAX_DATA_LINE 65536
#define IN_CAP (MAX_DATA_LINE + 2)
#define RECEIVED_MAX 2048

enum rl { RL_LINE, RL_LONG, RL_EOF, RL_TIMEOUT, RL_STOP };

struct session {
	const struct mail_smtpd_session_cfg *cfg;
	const struct mail_smtpd_opts *o;
	int fd;
	char ip[46];
	struct common_tls *tls;
	char *in; /* IN_CAP bytes; [in_r, in_w) unread */
	size_t in_r, in_w;
	bool skipping; /* inside an over-long line, dropping through its LF */
	bool dead;     /* the connection is over (error, QUIT, timeout) */
	unsigned errors;
	/* SMTP state */
	bool has_helo, esmtp;
	char helo[256];
	bool in_mail, smtputf8;
	char *mail_from;
	char *rcpts[MAIL_SMTPD_MAX_RCPTS];
	size_t n_rcpts;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
	long long l = deadline - now_ms();

	return l <= 0 ? 0 : l > INT_MAX ? INT_MAX : (int)l;
}

/* ---- output ---- */

static void send_all(struct session *s, const char *p, size_t len)
{
	long long deadline = now_ms() + (long long)s->o->idle_timeout_s * 1000;

	if (s->dead)
		return;
	if (s->tls != NULL) {
		if (common_tls_write(s->tls, p, len, left_ms(deadline)) != ERR_OK)
			s->dead = true;
		return;
	}
	while (len > 0) {
		ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd pf = {.fd = s->fd, .events = POLLOUT};
		int r;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			s->dead = true;
			return;
		}
		r = poll(&pf, 1, left_ms(deadline));
		if (r == 0 || (r < 0 && errno != EINTR)) {
			s->dead = true; /* a client that does not read its replies */
			return;
		}
	}
}

/* One reply line "CODE text\r\n" (text printf-formatted). */
MP_PRINTF(3, 4) static void reply(struct session *s, unsigned code, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n = snprintf(line, sizeof line, "%u ", code);

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof line - 3)
		n = (int)sizeof line - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	send_all(s, line, (size_t)n);
}

/* ---- input ---- */

/* Wait for input (or stop, or the deadline), then read what is there. */
static enum rl fill(struct session *s, long long deadline)
{
	struct pollfd pf[2] = {{.fd = s->fd, .events = POLLIN},
			       {.fd = s->cfg->wake_fd, .events = POLLIN}};
	size_t room;
	int r;

	if (s->in_r > 0) {
		memmove(s->in, s->in + s->in_r, s->in_w - s->in_r);
		s->in_w -= s->in_r;
		s->in_r = 0;
	}
	room = IN_CAP - s->in_w;
	if (s->tls == NULL || common_tls_pending(s->tls) == 0) {
		r = poll(pf, 2, left_ms(deadline));
		if (r < 0 && errno == EINTR)
			return RL_LINE; /* the caller loops */
		if (r < 0)
			return RL_EOF;
		if (pf[1].revents != 0)
			return RL_STOP;
		if (r == 0)
			return RL_TIMEOUT;
	}
	if (s->tls != NULL) {
		size_t got = 0;
		enum mp_err e =
		    common_tls_read(s->tls, s->in + s->in_w, room, left_ms(deadline), &got);

		if (e == ERR_TIMEOUT)
			return RL_TIMEOUT;
		if (e != ERR_OK)
			return RL_EOF;
		s->in_w += got;
	} else {
		ssize_t n = recv(s->fd, s->in + s->in_w, room, MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return RL_EOF;
		if (n > 0)
			s->in_w += (size_t)n;
	}
	return RL_LINE;
}

/*
 * The next line, at most max octets without its line end: *line and *len (CR
 * and LF removed; borrowed until the next call) and *crlf (ended by CRLF
 * rather than a bare LF).  RL_LONG: a longer line was read through its LF
 * and dropped.  The deadline bounds the wait for the whole line.
 */
static enum rl read_line(struct session *s, long long deadline, size_t max, const char **line,
			 size_t *len, bool *crlf)
{
	for (;;) {
		char *b = s->in + s->in_r;
		size_t avail = s->in_w - s->in_r;
		char *nl = memchr(b, '\n', avail);
		enum rl r;

		if (nl != NULL) {
			size_t n = (size_t)(nl - b);
			bool was_skipping = s->skipping;

			*crlf = n > 0 && b[n - 1] == '\r';
			if (*crlf)
				n--;
			s->in_r += (size_t)(nl - b) + 1;
			s->skipping = false;
			if (was_skipping || n > max)
				return RL_LONG;
			*line = b;
			*len = n;
			return RL_LINE;
		}
		if (avail > max + 1) {
			/* Over-long: drop what we have (keep a trailing CR for *crlf). */
			size_t keep = b[avail - 1] == '\r' ? 1 : 0;

			s->in_r = s->in_w - keep;
			s->skipping = true;
		}
		r = fill(s, deadline);
		if (r != RL_LINE)
			return r;
	}
}

/* ---- transaction state ---- */

static void reset_tx(struct session *s)
{
	size_t i;

	for (i = 0; i < s->n_rcpts; i++)
		free(s->rcpts[i]);
	s->n_rcpts = 0;
	free(s->mail_from);
	s->mail_from = NULL;
	s->in_mail = false;
	s->smtputf8 = false;
}

static void bad(struct session *s, unsigned code, const char *enh, const char *text)
{
	s->errors++;
	reply(s, code, "%s %s", enh, text);
}

/* ---- Received: and the DATA phase ---- */

static void rfc5322_date(time_t t, char *out, size_t outsz)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char mons[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	gmtime_r(&t, &tm);
	/* RFC 5322 3.3, in UTC; the names by table so the locale never matters. */
	snprintf(out, outsz, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
		 tm.tm_mday, mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
}

static void make_id(char *out, size_t outsz)
{
	unsigned char r[8];
	size_t i;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		long long t = now_ms() ^ (long long)(uintptr_t)out;

		memcpy(r, &t, sizeof r);
	}
	for (i = 0; i < sizeof r && 2 * i + 2 < outsz; i++)
		snprintf(out + 2 * i, 3, "%02X", r[i]);
}

/* RFC 5321 4.4 trace field; the protocol names are RFC 3848 / RFC 6531 3.7.3. */
static enum mp_err add_received(struct session *s, struct buf *m, const char *id, time_t when)
{
	const char *proto = !s->esmtp		    ? "SMTP"
			    : s->smtputf8 && s->tls ? "UTF8SMTPS"
			    : s->smtputf8	    ? "UTF8SMTP"
			    : s->tls		    ? "ESMTPS"
						    : "ESMTP";
	bool v6 = strchr(s->ip, ':') != NULL;
	char date[64];
	enum mp_err e;

	rfc5322_date(when, date, sizeof date);
	e = common_buf_printf(m,
			      "Received: from %s (unknown [%s%s])\r\n\tby %s (mailpulse) with %s",
			      s->helo, v6 ? "IPv6:" : "", s->ip, s->cfg->hostname, proto);
	if (e == ERR_OK && s->tls != NULL)
		e = common_buf_printf(m, " (%s %s)", common_tls_version(s->tls),
				      common_tls_cipher(s->tls));
	if (e == ERR_OK)
		e = common_buf_printf(m, " id %s", id);
	/* "for" only with one recipient: others must not learn who else got it. */
	if (e == ERR_OK && s->n_rcpts == 1)
		e = common_buf_printf(m, "\r\n\tfor <%s>", s->rcpts[0]);
	if (e == ERR_OK)
		e = common_buf_printf(m, "; %s\r\n", date);
	return e;
}

struct data_state {
	struct buf msg;
	size_t body, dropped;
	bool prev_crlf, all_lf, too_big, too_long;
};

/* One DATA line; true when it was the end of the data. */
static bool data_line(struct session *s, struct data_state *d, const char *line, size_t len,
		      bool crlf)
{
	size_t max = s->o->max_message;

	/* RFC 5321 4.1.1.4 end of data; see the file comment for bare LF. */
	if (len == 1 && line[0] == '.' && ((crlf && d->prev_crlf) || (!crlf && d->all_lf)))
		return true;
	d->prev_crlf = crlf;
	d->all_lf = d->all_lf && !crlf;
	/* RFC 5321 4.5.2: drop the first of a line's leading dots. */
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	if (!d->too_big && !d->too_long && d->body + len + 2 <= max) {
		if (common_buf_append(&d->msg, line, len) != ERR_OK ||
		    common_buf_append(&d->msg, "\r\n", 2) != ERR_OK)
			d->too_big = true;
		d->body += len + 2;
		return false;
	}
	d->too_big = d->too_big || !d->too_long;
	d->dropped += len + 2;
	if (d->dropped > max) {
		/* RFC 3463 5.3.4 (as for SIZE, RFC 1870), then hang up on a client that keeps
		 * sending. */
		reply(s, 552, "5.3.4 Message size exceeds fixed limit of %zu octets", max);
		s->dead = true;
	}
	return false;
}

/* Read the message text up to the end of data; true when it ended properly. */
static bool read_data(struct session *s, struct data_state *d, bool cmd_crlf)
{
	long long whole = now_ms() + (long long)s->o->data_timeout_s * 1000;

	d->prev_crlf = cmd_crlf;
	d->all_lf = true;
	while (!s->dead) {
		long long idle = now_ms() + (long long)s->o->idle_timeout_s * 1000;
		const char *line = NULL;
		size_t len = 0;
		bool crlf = false;
		enum rl r =
		    read_line(s, idle < whole ? idle : whole, MAX_DATA_LINE, &line, &len, &crlf);

		if (r == RL_LINE && data_line(s, d, line, len, crlf))
			return true;
		if (r == RL_LONG) {
			d->too_long = true;
			d->prev_crlf = crlf;
			d->all_lf = d->all_lf && !crlf;
		} else if (r == RL_TIMEOUT) {
			reply(s, 421, "4.4.2 %s Error: timeout exceeded", s->cfg->hostname);
			s->dead = true;
		} else if (r == RL_STOP) {
			reply(s, 421, "4.3.2 %s Service shutting down", s->cfg->hostname);
			s->dead = true;
		} else if (r == RL_EOF) {
			s->dead = true;
		}
	}
	return false;
}

static void deliver(struct session *s, struct data_state *d, const char *id, time_t when)
{
	struct mail_smtpd_envelope env;
	char qf[200];
	enum mp_err e;

	memset(&env, 0, sizeof env);
	(void)!common_str_copy(env.client_ip, sizeof env.client_ip, s->ip);
	(void)!common_str_copy(env.helo, sizeof env.helo, s->helo);
	(void)!common_str_copy(env.id, sizeof env.id, id);
	env.esmtp = s->esmtp;
	env.tls = s->tls != NULL;
	env.smtputf8 = s->smtputf8;
	env.mail_from = s->mail_from;
	env.rcpts = (const char *const *)s->rcpts;
	env.n_rcpts = s->n_rcpts;
	env.received = when;
	e = s->cfg->h->deliver(s->cfg->h->arg, &env, d->msg.data, d->msg.len);
	common_log_quote(qf, sizeof qf, s->mail_from, strlen(s->mail_from));
	if (e == ERR_OK) {
		log_info("smtpd", "delivered id=%s ip=%s from=<%s> rcpts=%zu size=%zu tls=%s", id,
			 s->ip, qf, s->n_rcpts, d->msg.len, env.tls ? "yes" : "no");
		reply(s, 250, "2.0.0 OK queued as %s", id);
	} else {
		log_warn("smtpd", "deliver-failed id=%s ip=%s err=%s", id, s->ip,
			 common_err_str(e));
		reply(s, 451, "4.3.0 Error: message not stored, try again later");
	}
}

static void do_data(struct session *s, bool cmd_crlf)
{
	struct data_state d;
	char id[24] = "";

	memset(&d, 0, sizeof d);
	make_id(id, sizeof id);
	common_buf_init(&d.msg, s->o->max_message + RECEIVED_MAX);
	/* The trace field goes first (RFC 5321 4.4), dated when DATA began. */
	if (add_received(s, &d.msg, id, time(NULL)) != ERR_OK) {
		reply(s, 451, "4.3.0 Error: cannot build the trace field");
		goto out;
	}
	reply(s, 354, "End data with <CR><LF>.<CR><LF>");
	if (!read_data(s, &d, cmd_crlf))
		goto out;
	if (d.too_big)
		reply(s, 552, "5.3.4 Message size exceeds fixed limit of %zu octets",
		      s->o->max_message);
	else if (d.too_long)
		reply(s, 500, "5.5.2 Message line too long (limit %d octets)", MAX_DATA_LINE);
	else
		deliver(s, &d, id, time(NULL));
out:
	common_buf_free(&d.msg);
	reset_tx(s);
}

/* ---- commands ---- */

static void do_ehlo(struct session *s, const struct mail_smtpd_cmd *c)
{
	char out[512];
	int n;

	/* RFC 5321 4.1.4: EHLO/HELO again resets the transaction. */
	reset_tx(s);
	(void)!common_str_copy(s->helo, sizeof s->helo, c->arg);
	s->has_helo = true;
	s->esmtp = c->verb == MAIL_SMTPD_EHLO;
	if (!s->esmtp) {
		reply(s, 250, "%s", s->cfg->hostname);
		return;
	}
	/* RFC 5321 4.1.1.1 multi-line 250; PIPELINING is honest: input is read line by line. */
	n = snprintf(out, sizeof out,
		     "250-%s\r\n250-SIZE %zu\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
		     "250-PIPELINING\r\n%s250 SMTPUTF8\r\n",
		     s->cfg->hostname, s->o->max_message,
		     s->cfg->tls != NULL && s->tls == NULL ? "250-STARTTLS\r\n" : "");
	send_all(s, out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
}

static void do_mail(struct session *s, const struct mail_smtpd_cmd *c)
{
	if (!s->has_helo) {
		bad(s, 503, "5.5.1", "Error: send EHLO or HELO first");
		return;
	}
	if (s->in_mail) {
		bad(s, 503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if (!s->esmtp && (c->has_size || c->body != MAIL_SMTPD_BODY_NONE || c->smtputf8)) {
		bad(s, 555, "5.5.4", "ESMTP parameters need EHLO");
		return;
	}
	/* RFC 1870 6.1 */
	if (c->has_size && c->size > s->o->max_message) {
		reply(s, 552, "5.3.4 Message size exceeds fixed limit of %zu octets",
		      s->o->max_message);
		return;
	}
	/* RFC 6531 3.4: UTF-8 addresses only with SMTPUTF8. */
	if (c->path_utf8 && !c->smtputf8) {
		bad(s, 553, "5.6.7", "UTF-8 address needs the SMTPUTF8 parameter");
		return;
	}
	s->mail_from = xstrdup(c->arg);
	s->in_mail = true;
	s->smtputf8 = c->smtputf8;
	reply(s, 250, "2.1.0 OK");
}

/* The owner's answer: rcpt_check when set, else rcpt_ok (false: relaying). */
static enum mail_smtpd_rcpt rcpt_verdict(const struct session *s, const char *addr)
{
	const struct mail_smtpd_handler *h = s->cfg->h;

	if (h->rcpt_check != NULL)
		return h->rcpt_check(h->arg, addr);
	return h->rcpt_ok(h->arg, addr) ? MAIL_SMTPD_RCPT_ACCEPT : MAIL_SMTPD_RCPT_RELAY_DENIED;
}

static void do_rcpt(struct session *s, const struct mail_smtpd_cmd *c)
{
	char q[200];
	enum mail_smtpd_rcpt verdict;

	if (!s->in_mail) {
		bad(s, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	/* RFC 5321 4.5.3.1.8: at least 100 must be taken; 4.5.3.1.10: beyond, 452. */
	if (s->n_rcpts >= MAIL_SMTPD_MAX_RCPTS) {
		reply(s, 452, "4.5.3 Error: too many recipients");
		return;
	}
	if (c->path_utf8 && !s->smtputf8) {
		bad(s, 553, "5.6.7", "UTF-8 address needs the SMTPUTF8 parameter");
		return;
	}
	verdict = rcpt_verdict(s, c->arg);
	if (verdict != MAIL_SMTPD_RCPT_ACCEPT) {
		log_info("smtpd", "rcpt-refused ip=%s rcpt=<%s> why=%s", s->ip,
			 common_log_quote(q, sizeof q, c->arg, c->arg_len),
			 verdict == MAIL_SMTPD_RCPT_UNKNOWN_USER ? "unknown-user" : "relaying");
		/* Never a relay: anything the owner does not want is refused for
		   good.  RFC 3463 3.2: X.1.1 bad destination mailbox address.  The
		   path passed mail/smtpd_cmd: at most 256 octets, no control
		   character, so it may be echoed. */
		if (verdict == MAIL_SMTPD_RCPT_UNKNOWN_USER) {
			s->errors++;
			reply(s, 550, "5.1.1 <%s>: Recipient address rejected: User unknown",
			      c->arg);
		} else {
			bad(s, 550, "5.7.1", "Relaying denied");
		}
		return;
	}
	s->rcpts[s->n_rcpts++] = xstrdup(c->arg);
	reply(s, 250, "2.1.5 OK");
}

static void do_starttls(struct session *s)
{
	char why[200] = "";
	enum mp_err e;

	if (s->cfg->tls == NULL) {
		bad(s, 502, "5.5.1", "Error: STARTTLS not available");
		return;
	}
	if (s->tls != NULL) {
		bad(s, 503, "5.5.1", "Error: TLS already active");
		return;
	}
	reply(s, 220, "2.0.0 Ready to start TLS");
	if (s->dead)
		return;
	/* RFC 3207 4.2: anything the client sent after STARTTLS before the
	   handshake is plaintext injection: drop it with all other state. */
	s->in_r = s->in_w = 0;
	s->skipping = false;
	reset_tx(s);
	s->has_helo = s->esmtp = false;
	s->helo[0] = '\0';
	e = common_tls_accept(s->fd, s->cfg->tls, (int)s->o->idle_timeout_s * 1000, &s->tls, why,
			      sizeof why);
	if (e != ERR_OK) {
		log_info("smtpd", "tls-failed ip=%s why=\"%s\"", s->ip, why);
		s->dead = true;
		return;
	}
	log_debug("smtpd", "tls ip=%s version=%s cipher=%s", s->ip, common_tls_version(s->tls),
		  common_tls_cipher(s->tls));
}

static void data_cmd(struct session *s, bool crlf)
{
	if (!s->in_mail) {
		bad(s, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	/* RFC 5321 3.3 / RFC 2920 3.1: DATA after every RCPT failed. */
	if (s->n_rcpts == 0) {
		bad(s, 554, "5.5.1", "Error: no valid recipients");
		return;
	}
	do_data(s, crlf);
}

static void handle(struct session *s, const char *line, size_t len, bool crlf)
{
	struct mail_smtpd_cmd c;
	struct mail_smtpd_cmd_reject rej;

	if (mail_smtpd_cmd_parse(line, len, &c, &rej) != ERR_OK) {
		bad(s, rej.code, rej.enhanced, rej.text);
		return;
	}
	switch (c.verb) {
	case MAIL_SMTPD_EHLO:
	case MAIL_SMTPD_HELO:
		do_ehlo(s, &c);
		break;
	case MAIL_SMTPD_MAIL:
		do_mail(s, &c);
		break;
	case MAIL_SMTPD_RCPT:
		do_rcpt(s, &c);
		break;
	case MAIL_SMTPD_DATA:
		data_cmd(s, crlf);
		break;
	case MAIL_SMTPD_RSET:
		reset_tx(s);
		reply(s, 250, "2.0.0 OK");
		break;
	case MAIL_SMTPD_NOOP:
		reply(s, 250, "2.0.0 OK");
		break;
	case MAIL_SMTPD_QUIT:
		reply(s, 221, "2.0.0 %s closing connection", s->cfg->hostname);
		s->dead = true;
		break;
	case MAIL_SMTPD_VRFY: /* RFC 5321 3.5.3 */
		reply(s, 252, "2.5.0 Cannot VRFY user; send mail and it will be tried");
		break;
	case MAIL_SMTPD_HELP:
		reply(s, 214, "2.0.0 mailpulse listener; see RFC 5321");
		break;
	case MAIL_SMTPD_STARTTLS:
		do_starttls(s);
		break;
	case MAIL_SMTPD_NOTIMPL: /* AUTH among them: this listener takes no logins */
		bad(s, 502, "5.5.1", "Error: command not implemented");
		break;
	case MAIL_SMTPD_HTTP: /* a browser or a cross-protocol attack: no answer */
		log_info("smtpd", "http-command ip=%s", s->ip);
		s->dead = true;
		break;
	}
}

static void session_loop(struct session *s)
{
	const struct mail_smtpd_opts *o = s->o;

	reply(s, 220, "%s ESMTP mailpulse", s->cfg->hostname);
	while (!s->dead) {
		const char *line = NULL;
		size_t len = 0;
		bool crlf = false;
		long long deadline = now_ms() + (long long)o->idle_timeout_s * 1000;
		enum rl r = read_line(s, deadline, MAIL_SMTPD_CMD_MAX_LINE, &line, &len, &crlf);

		if (r == RL_LINE)
			handle(s, line, len, crlf);
		else if (r == RL_LONG)
			bad(s, 500, "5.5.2", "Error: line too long");
		else if (r == RL_TIMEOUT)
			reply(s, 421, "4.4.2 %s Error: timeout exceeded", s->cfg->hostname);
		else if (r == RL_STOP)
			reply(s, 421, "4.3.2 %s Service shutting down", s->cfg->hostname);
		if (r == RL_TIMEOUT || r == RL_STOP || r == RL_EOF)
			s->dead = true;
		if (!s->dead && s->errors >= o->max_errors) {
			reply(s, 421, "4.7.0 %s Error: too many errors", s->cfg->hostname);
			s->dead = true;
		}
	}
}

unsigned mail_smtpd_session_run(const struct mail_smtpd_session_cfg *cfg, int fd,
				const char *client_ip)
{
	struct session s;
	int fl = fcntl(fd, F_GETFL);

	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.o = cfg->o;
	s.fd = fd;
	(void)!common_str_copy(s.ip, sizeof s.ip, client_ip);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return 0;
	s.in = xmalloc(IN_CAP);
	log_debug("smtpd", "connect ip=%s", s.ip);
	session_loop(&s);
	reset_tx(&s);
	common_tls_free(s.tls);
	free(s.in);
	log_debug("smtpd", "disconnect ip=%s errors=%u", s.ip, s.errors);
	return s.errors;
}
