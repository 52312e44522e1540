/*
 * common/tls: TLS client connections over a socket the caller connected, on
 * OpenSSL (the ONLY module including openssl/ssl.h; STYLE.md 6 -- keys and
 * hashes live in common/crypto, which includes openssl/evp.h and never
 * talks TLS).
 *
 * What it does: turns a connected TCP socket into a TLS 1.2+ client session
 * (RFC 8446, RFC 5246), either right away (SMTP port 465, RFC 8314 3.3) or
 * after the application's own upgrade command (STARTTLS, RFC 3207); verifies
 * the server's certificate chain against the system store or a CA file and
 * the host name against it (RFC 6125 6, by X509_VERIFY_PARAM_set1_host, or
 * the IP address for an IP literal), sends SNI for names (RFC 6066 3), and
 * reads and writes with deadlines so that a silent or dripping peer can never
 * hang the caller.  Writes never raise SIGPIPE: the socket BIO is our own and
 * sends with MSG_NOSIGNAL.  Server side, for the inbound SMTP listener's
 * STARTTLS (mail/smtpd_session): a shared context with the certificate
 * chain and key (TLS 1.2+, no session cache or tickets), and a handshake
 * on an accepted socket with a deadline; the session then reads and writes
 * like a client one.
 *
 * What it does not: open or close sockets (the caller owns the fd), resolve
 * names, speak any application protocol, or ever copy an OpenSSL error
 * string that could quote input: error texts are fixed sentences plus
 * OpenSSL's static reason and X.509 verify strings.
 */
#ifndef MAILPULSE_COMMON_TLS_H
#define MAILPULSE_COMMON_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

struct common_tls_opts {
	const char *host;    /* name (or IP literal) to verify and to send as SNI; required */
	const char *ca_file; /* PEM bundle trusted instead of the system store; NULL = system */
	bool no_verify;	     /* explicit opt-out: accept any certificate (never the default) */
};

struct common_tls;

/*
 * Run a TLS client handshake on the connected socket fd (switched to
 * non-blocking here and left so), within timeout_ms.
 * ERR_OK: *out is the session (free with common_tls_free()).
 * ERR_TLS: handshake or certificate failure; ERR_TIMEOUT: no handshake in
 * time; ERR_NET: the peer closed or the socket failed; ERR_IO: the CA file
 * could not be loaded.  why (size whysz, may be NULL) says why in plain words.
 */
enum mp_err common_tls_connect(int fd, const struct common_tls_opts *o, int timeout_ms,
			       struct common_tls **out, char *why, size_t whysz) MP_WUR;

/*
 * Read at most len bytes, waiting at most timeout_ms for the first one.
 * ERR_OK: *got > 0 bytes were read.  ERR_NET: the peer closed (*got = 0 for
 * a clean close_notify or EOF) or the connection failed; ERR_TIMEOUT; ERR_TLS.
 */
enum mp_err common_tls_read(struct common_tls *t, void *buf, size_t len, int timeout_ms,
			    size_t *got) MP_WUR;

/* Write all len bytes within timeout_ms.  ERR_TIMEOUT, ERR_NET or ERR_TLS on failure. */
enum mp_err common_tls_write(struct common_tls *t, const void *buf, size_t len,
			     int timeout_ms) MP_WUR;

/* Bytes already decrypted and waiting in the session (read them before polling the fd). */
size_t common_tls_pending(const struct common_tls *t);

/* Negotiated protocol ("TLSv1.3") and cipher names; static strings, "" when unknown. */
const char *common_tls_version(const struct common_tls *t);
const char *common_tls_cipher(const struct common_tls *t);

/*
 * Server side (the inbound SMTP listener's STARTTLS, RFC 3207): one context
 * per listener, holding the certificate chain and key, shared read-only by
 * every session thread (OpenSSL SSL_CTX is thread-safe once set up).
 */
struct common_tls_server;

/*
 * Load the PEM certificate chain cert_file and the private key key_file
 * into a TLS 1.2+ server context and check that they match.
 * ERR_OK: *out is the context (free with common_tls_server_free() after
 * every session made from it is freed).  ERR_TLS: unreadable, unparsable or
 * mismatched files; why (size whysz, may be NULL) names the file, never
 * quotes its content.
 */
enum mp_err common_tls_server_new(const char *cert_file, const char *key_file,
				  struct common_tls_server **out, char *why, size_t whysz) MP_WUR;

/* Free a server context; NULL is a no-op. */
void common_tls_server_free(struct common_tls_server *srv);

/*
 * Run a TLS server handshake on the accepted socket fd (switched to
 * non-blocking here and left so) within timeout_ms.  The caller must have
 * discarded any plaintext it buffered (RFC 3207 4.2): the handshake reads
 * from the socket itself.
 * ERR_OK: *out is the session (common_tls_read/write/free as for a client;
 * it holds a reference on srv).  ERR_TLS: handshake failure (a client that
 * rejects our certificate, a protocol below TLS 1.2 ...); ERR_TIMEOUT;
 * ERR_NET: the peer closed.  why says why in plain words.
 */
enum mp_err common_tls_accept(int fd, struct common_tls_server *srv, int timeout_ms,
			      struct common_tls **out, char *why, size_t whysz) MP_WUR;

/*
 * Send close_notify (best effort, without waiting) and free the session.
 * The fd stays open: the caller closes it.  NULL is a no-op.
 */
void common_tls_free(struct common_tls *t);

/*
 * Plain-words text for an X.509 verification result code (as returned by
 * libcurl's CURLINFO_SSL_VERIFYRESULT); static, never NULL, never quotes data.
 */
const char *common_tls_verify_str(long code);

#endif
