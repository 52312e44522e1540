/*
 * mail/smtp: SMTP submission client (see smtp.h for the why).
 *
 * RFC 5321 (SMTP: 3.1 session start, 3.2 EHLO/HELO, 4.1.1 commands, 4.2
 * replies, 4.5.2 transparency, 4.5.3.1 limits, 4.5.3.2 timeouts), RFC 3207
 * (STARTTLS), RFC 8314 (implicit TLS), RFC 4954 (AUTH), RFC 4616 (PLAIN),
 * RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8).
 *
 * Shape: a session struct carries the socket (plain or TLS), one bounded
 * input buffer and the result being filled.  Each step writes one command
 * and reads one reply (no pipelining), so any bytes after a reply are a
 * protocol error; after STARTTLS that is the CVE-2011-0411 injection.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/crypto.h"
#include "common/tls.h"
#include "common/xmalloc.h"
#include "mail/smtp.h"
#include "mail/smtp_conn.h"

#define CMD_MAX 1024
/* Message data goes out in blocks of this size (RFC 5321 4.5.3.2.5 times each). */
#define BLOCK 65536
/* RFC 4616 2: authcid and passwd are at most 255 octets. */
#define CRED_MAX 255

struct sess {
	const struct mail_smtp_opts *o;
	struct mail_smtp_timeouts t;
	struct mail_smtp_result *r;
	struct mail_smtp_conn *c;
	char helo[300];
	bool usable; /* the last exchange ended cleanly: QUIT is worth sending */
	bool quiet;  /* failures are not recorded (QUIT after the outcome is known) */
};

static double secs(unsigned ms)
{
	return ms / 1000.0;
}

/* Record the first failure; later ones (cleanup, QUIT) never overwrite it. */
MP_PRINTF(4, 5)
static enum mp_err fail(struct sess *s, enum mail_smtp_class cls, enum mp_err err, const char *fmt,
			...)
{
	va_list ap;

	if (s->quiet || s->r->error[0] != '\0')
		return err;
	s->r->cls = cls;
	va_start(ap, fmt);
	vsnprintf(s->r->error, sizeof s->r->error, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- replies ---- */

static enum mp_err read_failed(struct sess *s, const char *step, unsigned timeout, enum mp_err e)
{
	s->usable = false;
	if (e == ERR_TIMEOUT)
		return fail(s, MAIL_SMTP_NETWORK, e, "no complete reply to %s within %.1f s", step,
			    secs(timeout));
	if (e == ERR_TLS)
		return fail(s, MAIL_SMTP_TLS, e, "TLS failure while waiting for the reply to %s",
			    step);
	if (e == ERR_LIMIT)
		return fail(s, MAIL_SMTP_PROTOCOL, e,
			    "the reply to %s is too long (over %d lines or a line over %d bytes)",
			    step, MAIL_SMTP_REPLY_MAX_LINES, MAIL_SMTP_REPLY_MAX_LINE);
	if (e == ERR_PARSE)
		return fail(s, MAIL_SMTP_PROTOCOL, e, "the reply to %s is not an SMTP reply", step);
	return fail(s, MAIL_SMTP_NETWORK, ERR_NET,
		    "the connection closed while waiting for the reply to %s", step);
}

/* Keep a parsed reply in the result; returns it (borrowed until the next one). */
static const struct mail_smtp_reply *keep(struct sess *s, const char *step,
					  struct mail_smtp_reply *rep)
{
	struct mail_smtp_result *r = s->r;

	r->replies = xreallocarray(r->replies, r->n_replies + 1, sizeof *r->replies);
	r->replies[r->n_replies].step = step;
	r->replies[r->n_replies].reply = *rep;
	return &r->replies[r->n_replies++].reply;
}

/*
 * Read one reply to step within timeout ms and keep it.  No pipelining: one
 * command, one reply, so anything more is not SMTP -- unless allow_more,
 * for the reply to the final dot: a 2xx there means the message is queued
 * whatever the server babbles next, so only QUIT is skipped.
 */
static enum mp_err read_reply_ex(struct sess *s, const char *step, unsigned timeout,
				 const struct mail_smtp_reply **out, bool allow_more)
{
	struct mail_smtp_reply rep;
	enum mp_err e = mail_smtp_conn_read_reply(s->c, timeout, &rep);

	if (e != ERR_OK)
		return read_failed(s, step, timeout, e);
	*out = keep(s, step, &rep);
	s->usable = mail_smtp_conn_buffered(s->c) == 0;
	if (s->usable || allow_more)
		return ERR_OK;
	return fail(s, MAIL_SMTP_PROTOCOL, ERR_PARSE, "the server sent more than one reply to %s%s",
		    step, strcmp(step, "STARTTLS") == 0 ? " (STARTTLS command injection)" : "");
}

static enum mp_err read_reply(struct sess *s, const char *step, unsigned timeout,
			      const struct mail_smtp_reply **out)
{
	return read_reply_ex(s, step, timeout, out, false);
}

/* Send one command line (CRLF included) and read its reply. */
static enum mp_err command(struct sess *s, const char *step, unsigned timeout, const char *line,
			   size_t len, const struct mail_smtp_reply **out)
{
	enum mp_err e = mail_smtp_conn_write(s->c, line, len, timeout);

	if (e != ERR_OK) {
		s->usable = false;
		if (e == ERR_TIMEOUT)
			return fail(s, MAIL_SMTP_NETWORK, e, "could not send %s within %.1f s",
				    step, secs(timeout));
		return fail(s, e == ERR_TLS ? MAIL_SMTP_TLS : MAIL_SMTP_NETWORK, e,
			    "the connection failed while sending %s", step);
	}
	return read_reply(s, step, timeout, out);
}

/* The first line of a reply's text, for error texts. */
static int first_line_len(const struct mail_smtp_reply *rep)
{
	const char *nl = memchr(rep->text, '\n', rep->text_len);
	size_t n = nl ? (size_t)(nl - rep->text) : rep->text_len;

	return n > 160 ? 160 : (int)n;
}

/* A reply that is not what step needed: classify it by its code. */
static enum mp_err refused(struct sess *s, const char *step, const struct mail_smtp_reply *rep)
{
	int c = mail_smtp_reply_class(rep);
	enum mail_smtp_class cls = c == 4   ? MAIL_SMTP_TEMPORARY
				   : c == 5 ? MAIL_SMTP_PERMANENT
					    : MAIL_SMTP_PROTOCOL;

	return fail(s, cls, cls == MAIL_SMTP_PROTOCOL ? ERR_PARSE : ERR_NET, "%s %s: %d%s%s %.*s",
		    step, cls == MAIL_SMTP_PROTOCOL ? "got an unexpected reply" : "refused",
		    rep->code, rep->esc[0] ? " " : "", rep->esc, first_line_len(rep), rep->text);
}

/* Send a command and require a reply of class want (2 or 3). */
static enum mp_err exchange(struct sess *s, const char *step, unsigned timeout, int want,
			    const char *fmt, ...) MP_PRINTF(5, 6);
static enum mp_err exchange(struct sess *s, const char *step, unsigned timeout, int want,
			    const char *fmt, ...)
{
	const struct mail_smtp_reply *rep = NULL;
	char line[CMD_MAX];
	va_list ap;
	int n;
	enum mp_err e;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line)
		fatal("SMTP command line too long"); /* arguments are checked before */
	e = command(s, step, timeout, line, (size_t)n, &rep);
	if (e != ERR_OK)
		return e;
	return mail_smtp_reply_class(rep) == want ? ERR_OK : refused(s, step, rep);
}

/* ---- session steps ---- */

static enum mp_err tcp_connect(struct sess *s, const char *addr, unsigned port)
{
	char why[200] = "";
	enum mp_err e =
	    mail_smtp_conn_open(addr, port, s->t.connect, s->o->cancel, &s->c, why, sizeof why);

	if (e != ERR_OK)
		return fail(s, MAIL_SMTP_NETWORK, e, "%s", why);
	/* RFC 5321 4.1.3: without a configured name, EHLO names our address as a literal. */
	if (s->o->helo != NULL)
		snprintf(s->helo, sizeof s->helo, "%s", s->o->helo);
	else
		mail_smtp_conn_local_literal(s->c, s->helo, sizeof s->helo);
	return ERR_OK;
}

static enum mp_err tls_up(struct sess *s)
{
	struct common_tls_opts to = {
	    .host = s->o->host, .ca_file = s->o->ca_file, .no_verify = s->o->tls_no_verify};
	const struct common_tls *t;
	char why[200] = "";
	enum mp_err e = mail_smtp_conn_tls(s->c, &to, s->t.connect, why, sizeof why);
	bool net = e == ERR_TIMEOUT || e == ERR_NET;

	if (e != ERR_OK) {
		s->usable = false;
		return fail(s, net ? MAIL_SMTP_NETWORK : MAIL_SMTP_TLS, net ? e : ERR_TLS, "%s",
			    why);
	}
	t = mail_smtp_conn_tls_session(s->c);
	snprintf(s->r->tls_version, sizeof s->r->tls_version, "%s", common_tls_version(t));
	snprintf(s->r->tls_cipher, sizeof s->r->tls_cipher, "%s", common_tls_cipher(t));
	return ERR_OK;
}

static enum mp_err greet(struct sess *s)
{
	const struct mail_smtp_reply *rep = NULL;
	enum mp_err e = read_reply(s, "greeting", s->t.greeting, &rep);

	if (e != ERR_OK)
		return e;
	/* RFC 5321 3.1: 220 to go on; 554 (or 421) and the client should QUIT. */
	return rep->code == 220 ? ERR_OK : refused(s, "greeting", rep);
}

static enum mp_err ehlo(struct sess *s)
{
	const struct mail_smtp_reply *rep = NULL;
	char line[CMD_MAX];
	int n = snprintf(line, sizeof line, "EHLO %s\r\n", s->helo);
	enum mp_err e;

	memset(&s->r->ehlo, 0, sizeof s->r->ehlo);
	e = command(s, "EHLO", s->t.command, line, (size_t)n, &rep);
	if (e != ERR_OK)
		return e;
	if (rep->code == 250) {
		mail_smtp_reply_ehlo(rep, &s->r->ehlo);
		return ERR_OK;
	}
	/* RFC 5321 3.2: a server that does not know EHLO gets HELO (and no extensions). */
	if (rep->code == 500 || rep->code == 502)
		return exchange(s, "HELO", s->t.command, 2, "HELO %s\r\n", s->helo);
	return refused(s, "EHLO", rep);
}

static enum mp_err starttls(struct sess *s)
{
	enum mp_err e;

	/* RFC 3207 4: never fall back to plain text when TLS was asked for. */
	if (!s->r->ehlo.starttls)
		return fail(s, MAIL_SMTP_TLS, ERR_TLS,
			    "the server does not offer STARTTLS; not sending without TLS");
	e = exchange(s, "STARTTLS", s->t.command, 2, "STARTTLS\r\n");
	if (e == ERR_OK)
		e = tls_up(s);
	/* RFC 3207 4.2: forget what the server said before TLS; ask again. */
	return e == ERR_OK ? ehlo(s) : e;
}

/* ---- AUTH (RFC 4954) ---- */

/* Classify a refused AUTH: 454 is temporary (RFC 4954 6), the rest is the setup's fault. */
static enum mp_err auth_refused(struct sess *s, const struct mail_smtp_reply *rep)
{
	/* No server text here: it is the one reply that could echo what we sent. */
	if (mail_smtp_reply_class(rep) == 4 && rep->code != 432)
		return fail(s, MAIL_SMTP_TEMPORARY, ERR_NET,
			    "authentication failed for now: %d%s%s", rep->code,
			    rep->esc[0] ? " " : "", rep->esc);
	if (mail_smtp_reply_class(rep) < 4)
		return fail(s, MAIL_SMTP_PROTOCOL, ERR_PARSE, "AUTH got an unexpected reply: %d",
			    rep->code);
	return fail(s, MAIL_SMTP_AUTH, ERR_NET, "authentication refused: %d%s%s", rep->code,
		    rep->esc[0] ? " " : "", rep->esc);
}

/* Send "<prefix><base64 of p>\r\n", wiping every copy of the secret afterwards. */
static enum mp_err send_secret(struct sess *s, const char *prefix, const void *p, size_t len,
			       const struct mail_smtp_reply **rep)
{
	char *b64 = common_crypto_b64_encode(p, len);
	char *line = xasprintf("%s%s\r\n", prefix, b64);
	size_t n = strlen(line);
	enum mp_err e = command(s, "AUTH", s->t.command, line, n, rep);

	explicit_bzero(b64, strlen(b64));
	explicit_bzero(line, n);
	free(b64);
	free(line);
	return e;
}

/* RFC 4616 2: message = [authzid] NUL authcid NUL passwd, sent as the initial response. */
static enum mp_err auth_plain(struct sess *s)
{
	const struct mail_smtp_reply *rep = NULL;
	size_t ul = strlen(s->o->user), pl = strlen(s->o->password);
	char buf[2 * CRED_MAX + 2];
	enum mp_err e;

	buf[0] = '\0';
	memcpy(buf + 1, s->o->user, ul);
	buf[1 + ul] = '\0';
	memcpy(buf + 2 + ul, s->o->password, pl);
	e = send_secret(s, "AUTH PLAIN ", buf, 2 + ul + pl, &rep);
	explicit_bzero(buf, sizeof buf);
	if (e != ERR_OK)
		return e;
	return rep->code == 235 ? ERR_OK : auth_refused(s, rep);
}

/* LOGIN: two 334 challenges (user name, password), each answered in base64. */
static enum mp_err auth_login(struct sess *s)
{
	const struct mail_smtp_reply *rep = NULL;
	enum mp_err e = command(s, "AUTH", s->t.command, "AUTH LOGIN\r\n", 12, &rep);

	if (e != ERR_OK)
		return e;
	if (rep->code != 334)
		return auth_refused(s, rep);
	e = send_secret(s, "", s->o->user, strlen(s->o->user), &rep);
	if (e != ERR_OK)
		return e;
	if (rep->code != 334)
		return auth_refused(s, rep);
	e = send_secret(s, "", s->o->password, strlen(s->o->password), &rep);
	if (e != ERR_OK)
		return e;
	return rep->code == 235 ? ERR_OK : auth_refused(s, rep);
}

static enum mp_err authenticate(struct sess *s)
{
	const struct mail_smtp_ehlo *x = &s->r->ehlo;
	enum mail_smtp_auth_mech m = s->o->auth;
	enum mp_err e;

	if (s->o->user == NULL)
		return ERR_OK;
	if (!x->auth)
		return fail(s, MAIL_SMTP_AUTH, ERR_NET, "the server offers no AUTH%s",
			    mail_smtp_conn_tls_session(s->c) ? "" : " without TLS");
	if (m == MAIL_SMTP_AUTH_AUTO)
		m = x->auth_plain   ? MAIL_SMTP_AUTH_PLAIN
		    : x->auth_login ? MAIL_SMTP_AUTH_LOGIN
				    : MAIL_SMTP_AUTH_AUTO;
	if (m == MAIL_SMTP_AUTH_AUTO || (m == MAIL_SMTP_AUTH_PLAIN && !x->auth_plain) ||
	    (m == MAIL_SMTP_AUTH_LOGIN && !x->auth_login))
		return fail(s, MAIL_SMTP_AUTH, ERR_UNSUPPORTED,
			    "the server offers no AUTH mechanism we use (%s)",
			    m == MAIL_SMTP_AUTH_LOGIN	? "LOGIN"
			    : m == MAIL_SMTP_AUTH_PLAIN ? "PLAIN"
							: "PLAIN or LOGIN");
	e = m == MAIL_SMTP_AUTH_PLAIN ? auth_plain(s) : auth_login(s);
	if (e == ERR_OK)
		s->r->auth_mech = m == MAIL_SMTP_AUTH_PLAIN ? "PLAIN" : "LOGIN";
	return e;
}

/* ---- the envelope and the message ---- */

struct body_info {
	size_t size; /* RFC 1870 6.1: octets with CRLFs, without dot-stuffing or the final dot */
	bool eight;  /* has bytes over 127 (RFC 6152) */
};

static struct body_info body_scan(const char *m, size_t len)
{
	struct body_info b = {0};
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)m[i];

		if (c == '\r' && i + 1 < len && m[i + 1] == '\n')
			continue; /* counted with its LF */
		b.size += (c == '\r' || c == '\n') ? 2 : 1;
		bol = c == '\r' || c == '\n';
		b.eight |= c > 127;
	}
	if (!bol)
		b.size += 2;
	return b;
}

static enum mp_err mail_from(struct sess *s, const char *from, struct body_info b, bool utf8)
{
	const struct mail_smtp_ehlo *x = &s->r->ehlo;
	const struct mail_smtp_reply *rep = NULL;
	char line[CMD_MAX], size[40] = "";
	int n;
	enum mp_err e;

	if (utf8 && !x->smtputf8)
		return fail(s, MAIL_SMTP_PERMANENT, ERR_UNSUPPORTED,
			    "an address is not ASCII and the server does not offer SMTPUTF8");
	if (x->size && x->size_max > 0 && b.size > x->size_max)
		return fail(s, MAIL_SMTP_PERMANENT, ERR_LIMIT,
			    "the message is %zu bytes and the server takes at most %llu (SIZE)",
			    b.size, (unsigned long long)x->size_max);
	if (x->size)
		snprintf(size, sizeof size, " SIZE=%zu", b.size);
	n = snprintf(line, sizeof line, "MAIL FROM:<%s>%s%s%s\r\n", from, size,
		     b.eight && x->eightbitmime ? " BODY=8BITMIME" : "", utf8 ? " SMTPUTF8" : "");
	e = command(s, "MAIL", s->t.mail, line, (size_t)n, &rep);
	if (e != ERR_OK)
		return e;
	if (mail_smtp_reply_class(rep) == 2)
		return ERR_OK;
	/* RFC 4954 6: 530 means AUTH is needed first: a setup problem, not the message. */
	if (rep->code == 530)
		return fail(s, MAIL_SMTP_AUTH, ERR_NET,
			    "the server requires authentication (530%s%s)", rep->esc[0] ? " " : "",
			    rep->esc);
	return refused(s, "MAIL", rep);
}

static enum mp_err rcpt_one(struct sess *s, struct mail_smtp_rcpt *rc)
{
	const struct mail_smtp_reply *rep = NULL;
	char line[CMD_MAX];
	int n = snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", rc->addr);
	enum mp_err e = command(s, "RCPT", s->t.rcpt, line, (size_t)n, &rep);

	if (e != ERR_OK)
		return e;
	rc->code = rep->code;
	memcpy(rc->esc, rep->esc, sizeof rc->esc);
	free(rc->text);
	rc->text = xstrdup(rep->text);
	/* RFC 5321 4.1.1.3: 250 and 251 accept, 252 will try; any 2xx goes on. */
	rc->accepted = mail_smtp_reply_class(rep) == 2;
	if (rc->accepted)
		s->r->n_accepted++;
	else if (mail_smtp_reply_class(rep) != 4 && mail_smtp_reply_class(rep) != 5)
		return refused(s, "RCPT", rep);
	return ERR_OK;
}

static enum mp_err rcpt_all(struct sess *s)
{
	struct mail_smtp_result *r = s->r;
	const struct mail_smtp_rcpt *first = NULL;
	bool any4 = false;

	for (size_t i = 0; i < r->n_rcpts; i++) {
		enum mp_err e = rcpt_one(s, &r->rcpts[i]);

		if (e != ERR_OK)
			return e;
		if (!r->rcpts[i].accepted && first == NULL)
			first = &r->rcpts[i];
		any4 |= r->rcpts[i].code / 100 == 4;
	}
	if (r->n_accepted > 0)
		return ERR_OK;
	/* A 4xx among the refusals may pass later: the whole send is temporary then. */
	return fail(s, any4 ? MAIL_SMTP_TEMPORARY : MAIL_SMTP_PERMANENT, ERR_NET,
		    "every recipient was refused (first: %d%s%s %.160s)", first->code,
		    first->esc[0] ? " " : "", first->esc, first->text);
}

static enum mp_err flush_block(struct sess *s, const char *blk, size_t n)
{
	enum mp_err e = mail_smtp_conn_write(s->c, blk, n, s->t.data_block);

	if (e == ERR_OK)
		return ERR_OK;
	s->usable = false;
	if (e == ERR_TIMEOUT)
		return fail(s, MAIL_SMTP_NETWORK, e, "the server took no message data for %.1f s",
			    secs(s->t.data_block));
	return fail(s, e == ERR_TLS ? MAIL_SMTP_TLS : MAIL_SMTP_NETWORK, e,
		    "the connection failed while sending the message");
}

/* RFC 5321 4.5.2 and 2.3.8: lines end in CRLF; a line's leading "." is doubled. */
static enum mp_err send_body(struct sess *s, const char *m, size_t len)
{
	char *blk = xmalloc(BLOCK + 8);
	size_t n = 0;
	bool bol = true;
	enum mp_err e = ERR_OK;

	for (size_t i = 0; i < len && e == ERR_OK; i++) {
		char c = m[i];

		if (bol && c == '.')
			blk[n++] = '.';
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < len && m[i + 1] == '\n')
				i++;
			blk[n++] = '\r';
			blk[n++] = '\n';
			bol = true;
		} else {
			blk[n++] = c;
			bol = false;
		}
		if (n >= BLOCK) {
			e = flush_block(s, blk, n);
			n = 0;
		}
	}
	if (e == ERR_OK) {
		if (!bol) {
			memcpy(blk + n, "\r\n", 2);
			n += 2;
		}
		memcpy(blk + n, ".\r\n", 3);
		e = flush_block(s, blk, n + 3);
	}
	free(blk);
	return e;
}

static enum mp_err data(struct sess *s, const char *msg, size_t len)
{
	const struct mail_smtp_reply *rep = NULL;
	enum mp_err e = exchange(s, "DATA", s->t.data_init, 3, "DATA\r\n");

	if (e != ERR_OK)
		return e;
	e = send_body(s, msg, len);
	if (e != ERR_OK)
		return e;
	s->r->data_sent = true;
	e = read_reply_ex(s, "message", s->t.data_end, &rep, true);
	if (e != ERR_OK)
		return e;
	if (mail_smtp_reply_class(rep) != 2)
		return refused(s, "message", rep);
	mail_smtp_reply_queue_id(rep, s->r->queue_id, sizeof s->r->queue_id);
	return ERR_OK;
}

/* RFC 5321 4.1.1.10: say goodbye; the outcome is already known, so nothing here counts. */
static void quit(struct sess *s)
{
	const struct mail_smtp_reply *rep = NULL;
	unsigned t = s->t.command < 5000 ? s->t.command : 5000;

	s->quiet = true;
	(void)!command(s, "QUIT", t, "QUIT\r\n", 6, &rep);
}

/* ---- arguments and the driver ---- */

/* RFC 5321 4.1.2 Mailbox, loosely: no controls, spaces or brackets; 8-bit needs SMTPUTF8. */
static bool addr_ok(const char *a, bool may_be_empty, bool *utf8)
{
	size_t len = strlen(a);

	if (len == 0)
		return may_be_empty;
	if (len > MAIL_SMTP_MAX_ADDR)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
			return false;
		*utf8 |= c > 127;
	}
	return true;
}

static bool is_ip(const char *a)
{
	unsigned char b[16];

	return a != NULL && (inet_pton(AF_INET, a, b) == 1 || inet_pton(AF_INET6, a, b) == 1);
}

static bool helo_ok(const char *h)
{
	size_t len = h ? strlen(h) : 0;

	for (size_t i = 0; i < len; i++)
		if (h[i] <= ' ' || h[i] >= 0x7f)
			return false;
	return h == NULL || (len > 0 && len <= 255);
}

static const char *check_opts(const struct mail_smtp_opts *o)
{
	if (o->host == NULL || o->host[0] == '\0' || strlen(o->host) > 253)
		return "the relay host name is missing or too long";
	if (!is_ip(o->addr ? o->addr : o->host))
		return "the relay address is not an IP address (resolve the host first)";
	if (o->port > 65535 || !helo_ok(o->helo))
		return "bad port or EHLO name";
	if ((o->user == NULL) != (o->password == NULL))
		return "a user name needs a password and the other way round";
	if (o->user && (strlen(o->user) > CRED_MAX || strlen(o->password) > CRED_MAX))
		return "user name or password longer than 255 bytes";
	if (o->user && o->tls == MAIL_SMTP_PLAINTEXT && !o->plaintext_auth)
		return "AUTH without TLS would expose the password (set plaintext_auth for tests)";
	return NULL;
}

static enum mp_err check_args(struct sess *s, const char *from, const char *const *rcpts, size_t n,
			      bool *utf8)
{
	const char *why = check_opts(s->o);

	if (why == NULL && (n == 0 || n > MAIL_SMTP_MAX_RCPTS))
		why = "no recipients, or too many";
	if (why == NULL && (from == NULL || !addr_ok(from, true, utf8)))
		why = "the sender address is not usable in MAIL FROM";
	for (size_t i = 0; why == NULL && i < n; i++)
		if (rcpts[i] == NULL || !addr_ok(rcpts[i], false, utf8))
			why = "a recipient address is not usable in RCPT TO";
	return why ? fail(s, MAIL_SMTP_PERMANENT, ERR_INVAL, "%s", why) : ERR_OK;
}

static void set_timeouts(struct mail_smtp_timeouts *t, const struct mail_smtp_timeouts *in)
{
	*t = *in;
	t->connect = t->connect ? t->connect : 30 * 1000;
	t->greeting = t->greeting ? t->greeting : 5 * 60 * 1000;
	t->command = t->command ? t->command : 5 * 60 * 1000;
	t->mail = t->mail ? t->mail : 5 * 60 * 1000;
	t->rcpt = t->rcpt ? t->rcpt : 5 * 60 * 1000;
	t->data_init = t->data_init ? t->data_init : 2 * 60 * 1000;
	t->data_block = t->data_block ? t->data_block : 3 * 60 * 1000;
	t->data_end = t->data_end ? t->data_end : 10 * 60 * 1000;
}

static enum mp_err session(struct sess *s, const char *from, const char *msg, size_t len, bool utf8)
{
	const struct mail_smtp_opts *o = s->o;
	unsigned port = o->port			       ? o->port
			: o->tls == MAIL_SMTP_IMPLICIT ? 465
			: o->tls == MAIL_SMTP_STARTTLS ? 587
						       : 25;
	enum mp_err e = tcp_connect(s, o->addr ? o->addr : o->host, port);

	if (e != ERR_OK)
		return e;
	if (o->tls == MAIL_SMTP_IMPLICIT && (e = tls_up(s)) != ERR_OK)
		return e;
	if ((e = greet(s)) != ERR_OK || (e = ehlo(s)) != ERR_OK)
		return e;
	if (o->tls == MAIL_SMTP_STARTTLS && (e = starttls(s)) != ERR_OK)
		return e;
	if ((e = authenticate(s)) != ERR_OK)
		return e;
	if ((e = mail_from(s, from, body_scan(msg, len), utf8)) != ERR_OK)
		return e;
	if ((e = rcpt_all(s)) != ERR_OK)
		return e;
	return data(s, msg, len);
}

enum mp_err mail_smtp_send(const struct mail_smtp_opts *o, const char *from,
			   const char *const *rcpts, size_t n, const char *msg, size_t len,
			   struct mail_smtp_result *out)
{
	struct sess s = {.o = o, .r = out};
	bool utf8 = false;
	enum mp_err e;

	memset(out, 0, sizeof *out);
	out->auth_mech = "";
	e = check_args(&s, from, rcpts, n, &utf8);
	if (e != ERR_OK)
		goto out;
	out->rcpts = xcalloc(n, sizeof *out->rcpts);
	out->n_rcpts = n;
	for (size_t i = 0; i < n; i++) {
		out->rcpts[i].addr = xstrdup(rcpts[i]);
		out->rcpts[i].text = xstrdup("");
	}
	set_timeouts(&s.t, &o->timeouts);
	e = session(&s, from, msg ? msg : "", msg ? len : 0, utf8);
	if (e != ERR_OK && mail_smtp_conn_cancel_fired(o->cancel)) {
		/* Whatever step failed, it failed because the caller broke it off. */
		e = ERR_NET;
		out->cls = MAIL_SMTP_NETWORK;
		snprintf(out->error, sizeof out->error,
			 "cancelled: the session was broken off before it finished");
	}
	if (s.usable)
		quit(&s);
	mail_smtp_conn_close(s.c);
out:
	out->err = e;
	if (e == ERR_OK) {
		out->cls = MAIL_SMTP_OK;
		out->error[0] = '\0';
	}
	return e;
}

void mail_smtp_result_free(struct mail_smtp_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_replies; i++)
		mail_smtp_reply_free(&r->replies[i].reply);
	free(r->replies);
	for (size_t i = 0; i < r->n_rcpts; i++) {
		free(r->rcpts[i].addr);
		free(r->rcpts[i].text);
	}
	free(r->rcpts);
	memset(r, 0, sizeof *r);
}

const char *mail_smtp_class_str(enum mail_smtp_class c)
{
	static const char *const names[] = {"ok",  "temporary", "permanent", "network",
					    "tls", "auth",	"protocol"};

	return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}
