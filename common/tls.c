/*
 * common/tls: OpenSSL TLS client and server sessions (see tls.h for the why).
 *
 * RFC 8446 / RFC 5246 (TLS 1.3 and 1.2 only), RFC 6125 6 (host name checks),
 * RFC 6066 3 (SNI: names only, never IP literals), RFC 3207 and RFC 8314
 * (STARTTLS and implicit TLS for SMTP; the protocol part lives in mail/smtp).
 *
 * The socket BIO is our own (one BIO_METHOD per session, no global state)
 * so that writes use send(MSG_NOSIGNAL): a peer that hangs up never kills a
 * process that forgot to ignore SIGPIPE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "common/tls.h"
#include "common/xmalloc.h"

struct common_tls {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO_METHOD *meth;
	int sys_errno; /* the last socket error seen by the BIO, 0 when none */
};

MP_PRINTF(3, 4) static void set_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* ---- the socket BIO ---- */

static int bio_write(BIO *b, const char *p, int n)
{
	struct common_tls *t = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	r = send(t->fd, p, (size_t)n, MSG_NOSIGNAL);
	if (r >= 0)
		return (int)r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		BIO_set_retry_write(b);
	else
		t->sys_errno = errno;
	return -1;
}

static int bio_read(BIO *b, char *p, int n)
{
	struct common_tls *t = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	r = recv(t->fd, p, (size_t)n, 0);
	if (r >= 0)
		return (int)r; /* 0 is EOF */
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		BIO_set_retry_read(b);
	else
		t->sys_errno = errno;
	return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO *bio_new(struct common_tls *t)
{
	BIO *b;

	t->meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mailpulse socket");
	if (t->meth == NULL || !BIO_meth_set_write(t->meth, bio_write) ||
	    !BIO_meth_set_read(t->meth, bio_read) || !BIO_meth_set_ctrl(t->meth, bio_ctrl) ||
	    !BIO_meth_set_create(t->meth, bio_create))
		fatal("BIO_meth_new failed");
	b = BIO_new(t->meth);
	if (b == NULL)
		fatal("BIO_new failed");
	BIO_set_data(b, t);
	return b;
}

/* ---- deadlines ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for what OpenSSL asked (ssl_err) or the deadline passes. */
static enum mp_err wait_io(int fd, int ssl_err, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN};

	for (;;) {
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return ERR_TIMEOUT;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return ERR_OK; /* readable, writable, or an error the next call reports */
		if (r == 0)
			return ERR_TIMEOUT;
		if (errno != EINTR)
			return ERR_NET;
	}
}

/*
 * Map a failed SSL_* call to our error; when the call only needs the socket,
 * wait for it and return ERR_AGAIN so the caller retries.
 */
static enum mp_err ssl_step(struct common_tls *t, int rc, long long deadline)
{
	int e = SSL_get_error(t->ssl, rc);

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE: {
		enum mp_err w = wait_io(t->fd, e, deadline);

		return w == ERR_OK ? ERR_AGAIN : w;
	}
	case SSL_ERROR_ZERO_RETURN:
		return ERR_NET;
	case SSL_ERROR_SYSCALL:
		return ERR_NET;
	default:
		return ERR_TLS;
	}
}

/* ---- setup ---- */

static bool is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static enum mp_err make_ctx(struct common_tls *t, const struct common_tls_opts *o, char *why,
			    size_t whysz)
{
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL)
		fatal("SSL_CTX_new failed");
	/* RFC 8996: TLS 1.0 and 1.1 are deprecated. */
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	/* SMTP replies delimit themselves; a missing close_notify is just EOF. */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_verify(t->ctx, o->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (o->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(t->ctx, o->ca_file, NULL) != 1) {
			ERR_clear_error();
			set_why(why, whysz, "cannot load the CA file %s", o->ca_file);
			return ERR_IO;
		}
	} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
		ERR_clear_error();
		set_why(why, whysz, "cannot load the system certificate store");
		return ERR_IO;
	}
	return ERR_OK;
}

static enum mp_err make_ssl(struct common_tls *t, const struct common_tls_opts *o, char *why,
			    size_t whysz)
{
	X509_VERIFY_PARAM *vp;
	BIO *b;
	int ok = 1;

	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL)
		fatal("SSL_new failed");
	b = bio_new(t);
	SSL_set_bio(t->ssl, b, b);
	vp = SSL_get0_param(t->ssl);
	if (is_ip_literal(o->host)) {
		/* RFC 6066 3: no SNI for addresses; RFC 6125 allows iPAddress SANs. */
		if (!o->no_verify)
			ok = X509_VERIFY_PARAM_set1_ip_asc(vp, o->host);
	} else {
		ok = SSL_set_tlsext_host_name(t->ssl, o->host);
		if (ok && !o->no_verify) {
			/* RFC 6125 6.4.3: a wildcard only as the whole left-most label. */
			X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			ok = X509_VERIFY_PARAM_set1_host(vp, o->host, 0);
		}
	}
	if (ok != 1) {
		ERR_clear_error();
		set_why(why, whysz, "the host is not a usable TLS server name");
		return ERR_INVAL;
	}
	return ERR_OK;
}

static void handshake_why(struct common_tls *t, enum mp_err e, char *why, size_t whysz)
{
	long v = SSL_get_verify_result(t->ssl);
	unsigned long le = ERR_peek_last_error();
	const char *reason = le ? ERR_reason_error_string(le) : NULL;

	if (e == ERR_TIMEOUT)
		set_why(why, whysz, "TLS handshake timed out");
	else if (e == ERR_NET && t->sys_errno != 0)
		set_why(why, whysz, "connection failed during the TLS handshake: %s",
			strerror(t->sys_errno));
	else if (e == ERR_NET)
		set_why(why, whysz, "the server closed the connection during the TLS handshake");
	else if (v != X509_V_OK)
		set_why(why, whysz, "certificate rejected: %s", common_tls_verify_str(v));
	else
		set_why(why, whysz, "TLS handshake failed: %s",
			reason ? reason : "unknown OpenSSL error");
	ERR_clear_error();
}

enum mp_err common_tls_connect(int fd, const struct common_tls_opts *o, int timeout_ms,
			       struct common_tls **out, char *why, size_t whysz)
{
	struct common_tls *t;
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	enum mp_err e;
	int fl = fcntl(fd, F_GETFL);

	if (o == NULL || o->host == NULL || o->host[0] == '\0') {
		set_why(why, whysz, "TLS needs a server name");
		return ERR_INVAL;
	}
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		set_why(why, whysz, "cannot set up the socket: %s", strerror(errno));
		return ERR_IO;
	}
	t = xcalloc(1, sizeof *t);
	t->fd = fd;
	ERR_clear_error();
	e = make_ctx(t, o, why, whysz);
	if (e == ERR_OK)
		e = make_ssl(t, o, why, whysz);
	if (e != ERR_OK)
		goto out;
	do {
		int rc;

		ERR_clear_error();
		rc = SSL_connect(t->ssl);
		e = rc == 1 ? ERR_OK : ssl_step(t, rc, deadline);
	} while (e == ERR_AGAIN);
	if (e != ERR_OK)
		handshake_why(t, e, why, whysz);
out:
	if (e != ERR_OK) {
		common_tls_free(t);
		return e;
	}
	*out = t;
	return ERR_OK;
}

enum mp_err common_tls_read(struct common_tls *t, void *buf, size_t len, int timeout_ms,
			    size_t *got)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int n = len > INT_MAX ? INT_MAX : (int)len;
	enum mp_err e;

	*got = 0;
	do {
		int rc;

		ERR_clear_error();
		rc = SSL_read(t->ssl, buf, n);
		if (rc > 0) {
			*got = (size_t)rc;
			return ERR_OK;
		}
		e = ssl_step(t, rc, deadline);
	} while (e == ERR_AGAIN);
	ERR_clear_error();
	return e;
}

enum mp_err common_tls_write(struct common_tls *t, const void *buf, size_t len, int timeout_ms)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	const char *p = buf;

	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;
		int rc;
		enum mp_err e;

		ERR_clear_error();
		rc = SSL_write(t->ssl, p, n);
		if (rc > 0) {
			p += rc;
			len -= (size_t)rc;
			continue;
		}
		e = ssl_step(t, rc, deadline);
		if (e != ERR_AGAIN) {
			ERR_clear_error();
			return e;
		}
	}
	return ERR_OK;
}

/* ---- server side ---- */

struct common_tls_server {
	SSL_CTX *ctx;
};

enum mp_err common_tls_server_new(const char *cert_file, const char *key_file,
				  struct common_tls_server **out, char *why, size_t whysz)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	struct common_tls_server *srv;

	if (ctx == NULL)
		fatal("SSL_CTX_new failed");
	ERR_clear_error();
	/* RFC 8996: TLS 1.0 and 1.1 are deprecated. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* One-shot sessions from MTAs: no server-side session cache to grow. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (cert_file == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		set_why(why, whysz, "cannot load the TLS certificate chain %s",
			cert_file ? cert_file : "(none)");
		goto fail;
	}
	if (key_file == NULL || SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		set_why(why, whysz, "cannot load the TLS private key %s",
			key_file ? key_file : "(none)");
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		set_why(why, whysz, "the TLS private key %s does not match the certificate %s",
			key_file, cert_file);
		goto fail;
	}
	ERR_clear_error();
	srv = xcalloc(1, sizeof *srv);
	srv->ctx = ctx;
	*out = srv;
	return ERR_OK;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return ERR_TLS;
}

void common_tls_server_free(struct common_tls_server *srv)
{
	if (srv == NULL)
		return;
	SSL_CTX_free(srv->ctx);
	free(srv);
}

enum mp_err common_tls_accept(int fd, struct common_tls_server *srv, int timeout_ms,
			      struct common_tls **out, char *why, size_t whysz)
{
	struct common_tls *t;
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	enum mp_err e;
	int fl = fcntl(fd, F_GETFL);
	BIO *b;

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		set_why(why, whysz, "cannot set up the socket: %s", strerror(errno));
		return ERR_IO;
	}
	t = xcalloc(1, sizeof *t);
	t->fd = fd;
	/* The session holds its own reference: common_tls_free() drops it. */
	SSL_CTX_up_ref(srv->ctx);
	t->ctx = srv->ctx;
	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL)
		fatal("SSL_new failed");
	b = bio_new(t);
	SSL_set_bio(t->ssl, b, b);
	do {
		int rc;

		ERR_clear_error();
		rc = SSL_accept(t->ssl);
		e = rc == 1 ? ERR_OK : ssl_step(t, rc, deadline);
	} while (e == ERR_AGAIN);
	if (e != ERR_OK) {
		handshake_why(t, e, why, whysz);
		common_tls_free(t);
		return e;
	}
	*out = t;
	return ERR_OK;
}

size_t common_tls_pending(const struct common_tls *t)
{
	int n = SSL_pending(t->ssl);

	return n > 0 ? (size_t)n : 0;
}

const char *common_tls_version(const struct common_tls *t)
{
	const char *v = SSL_get_version(t->ssl);

	return v ? v : "";
}

const char *common_tls_cipher(const struct common_tls *t)
{
	const char *c = SSL_get_cipher_name(t->ssl);

	return c ? c : "";
}

void common_tls_free(struct common_tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		/* One non-blocking close_notify; the peer's answer is not awaited. */
		if (SSL_is_init_finished(t->ssl))
			SSL_shutdown(t->ssl);
		SSL_free(t->ssl); /* frees the BIO too */
	}
	SSL_CTX_free(t->ctx);
	BIO_meth_free(t->meth);
	ERR_clear_error();
	free(t);
}

const char *common_tls_verify_str(long code)
{
	const char *s = X509_verify_cert_error_string(code);

	return s ? s : "unknown certificate error";
}
