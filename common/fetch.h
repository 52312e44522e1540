/*
 * common/fetch: bounded HTTPS requests without blocking, on libcurl's multi
 * interface (the ONLY module including curl/curl.h; DESIGN.md 4).
 *
 * Why here, in the floor: the MTA-STS policy fetch (dns/), IMAP seed boxes
 * (mail/) and the Slack and webhook alert channels (daemon/) all need one
 * HTTP client with the same safety settings, and a library may be included
 * by one module only.
 *
 * What it does: GET, and POST with a body and extra request headers (the
 * Standard Webhooks webhook-id/-timestamp/-signature, Content-Type); the
 * status, body (capped), Content-Type and Retry-After (RFC 9110 10.2.3) of
 * the response.  Redirects are never followed (RFC 8461 3.3 forbids them for
 * MTA-STS; a webhook that redirects is misconfigured), only https is allowed
 * unless the caller opts in to http for one request, certificates and host
 * names are always verified, and bodies are capped.
 *
 * Secrets: a Slack webhook URL is a credential, so no error text ever holds
 * the URL or any of curl's own error buffer (which quotes host names and may
 * quote more): errors are "<label>: <curl's fixed text for the error class>",
 * plus the X.509 verify reason for certificate failures, where label is what
 * the caller calls the target ("the Slack webhook") or, by default, its host.
 *
 * It also runs blocking IMAP sessions for the seed boxes (mail/imap; the
 * second half of this header).
 *
 * What it does not do: name resolution.  Debian's libcurl has no c-ares and
 * cannot be pointed at our DNS servers (libraries.md 0.6), so callers resolve
 * with dns/resolver and pin the addresses (CURLOPT_RESOLVE: curl takes them
 * as its DNS answer for the URL's host and port, tries them in order, and
 * still sends SNI and checks the certificate against the URL's host name);
 * curl never calls getaddrinfo on a pinned host name.
 */
#ifndef MAILPULSE_COMMON_FETCH_H
#define MAILPULSE_COMMON_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

struct common_fetch_opts {
	const char *ca_file;	/* PEM bundle to trust instead of the system store; NULL = system */
	unsigned timeout_ms;	/* whole transfer; 0 = 10000 */
	unsigned connect_ms;	/* connect + TLS handshake; 0 = 5000 */
	size_t max_body;	/* larger bodies fail with ERR_LIMIT; 0 = 64 KiB */
	unsigned port_override; /* tests only: connect to this port instead of the URL's; 0 = off */
	const char *user_agent; /* NULL = "mailpulse/<version>" */
};

struct common_fetch_result {
	enum mp_err err;   /* ERR_OK: a response arrived (any status); else why not */
	long status;	   /* HTTP status, 0 when none */
	const char *error; /* "<label>: <why>", never the URL; "" when ERR_OK */
	const char *body;  /* NUL-terminated copy, body_len bytes (may contain NULs) */
	size_t body_len;
	const char *content_type; /* "" when absent */
	long retry_after; /* Retry-After in seconds (RFC 9110 10.2.3), -1 when absent or 0 */
};

/* Most extra request headers one request takes. */
#define COMMON_FETCH_MAX_HEADERS 16
/* Largest request body (a Slack message with blocks is a few KB). */
#define COMMON_FETCH_MAX_REQ_BODY (1024 * 1024)

/* Most addresses one request is pinned to (addr plus addrs). */
#define COMMON_FETCH_MAX_ADDRS 16

/* One request.  Everything is copied by common_fetch_start(). */
struct common_fetch_req {
	const char *method; /* "GET" or "POST"; NULL = GET */
	const char *url;    /* https:// (or http:// with allow_http) */
	const char *addr;   /* IP literal to connect to; NULL lets libcurl resolve (tests only) */
	/*
	 * More IP literals (IPv6 with or without brackets) for the URL's host,
	 * tried in order after addr when a connection fails (an A and an AAAA
	 * answer); n_addrs of them.  With neither addr nor addrs libcurl
	 * resolves the host itself, which only tests on loopback may rely on.
	 */
	const char *const *addrs;
	size_t n_addrs;
	const char *label; /* what error texts call the target; NULL = "host <name>" */
	const void *body;  /* POST body, body_len bytes (may hold NULs); NULL = empty */
	size_t body_len;
	const char *const *headers; /* n_headers "Name: value" lines, no CR or LF */
	size_t n_headers;
	bool allow_http; /* accept http:// for this request (an operator's local webhook) */
};

/* Called once per request, from common_fetch_run(); result borrowed for the call. */
typedef void (*common_fetch_done_fn)(void *arg, const struct common_fetch_result *res);

struct common_fetch;

/* New client; opts copied (strings duplicated).  Free with common_fetch_free(). */
struct common_fetch *common_fetch_new(const struct common_fetch_opts *opts);
/* Cancels what is still running without calling done.  NULL is a no-op. */
void common_fetch_free(struct common_fetch *f);

/*
 * Start the request rq (copied).  done is called exactly once, from a later
 * common_fetch_run(), unless this returns an error: ERR_INVAL (no URL or an
 * unparsable one, a method other than GET/POST, a header with CR/LF or
 * without ':', too many headers, body too big, an address that is not an
 * IP literal, more than COMMON_FETCH_MAX_ADDRS addresses), ERR_UNSUPPORTED
 * (a scheme other than https, or http without allow_http), ERR_NET (curl
 * refused it).
 */
enum mp_err common_fetch_start(struct common_fetch *f, const struct common_fetch_req *rq,
			       common_fetch_done_fn done, void *arg) MP_WUR;

/*
 * Start a GET of url, connecting to addr (an IP literal from our resolver;
 * NULL lets libcurl resolve, which only tests on loopback may do).  done is
 * called exactly once, from a later common_fetch_run().  Same as
 * common_fetch_start() with only url and addr set.
 */
enum mp_err common_fetch_get(struct common_fetch *f, const char *url, const char *addr,
			     common_fetch_done_fn done, void *arg) MP_WUR;

/*
 * The host and port of url as libcurl reads them (the port defaults from
 * the scheme): what a caller resolves before it pins the addresses.  host
 * (hostsz bytes) gets an IPv6 literal without its brackets.  ERR_INVAL when
 * url does not parse, has no host, or the host does not fit.  Outputs are
 * set only on success.
 */
enum mp_err common_fetch_url_host(const char *url, char *host, size_t hostsz,
				  unsigned *port) MP_WUR;

/* Make progress, waiting at most max_wait_ms; returns how many requests are still running. */
int common_fetch_run(struct common_fetch *f, int max_wait_ms);

/*
 * IMAP (RFC 9051 / RFC 3501) for the seed boxes of mail/imap: a blocking
 * session on one curl easy handle, so the connection, the login and the
 * selected mailbox are reused across commands.  Only imap and imaps are
 * allowed; imap:// always requires STARTTLS (CURLUSESSL_ALL, RFC 2595 3.1);
 * certificates and host names are verified unless no_verify; credentials go
 * through CURLOPT_USERNAME/PASSWORD, never into the URL, and nothing is
 * verbose.  Error texts are "<host>: <curl's fixed text>[: <curl's detail>]"
 * where the detail (curl's error buffer, e.g. "Select failed") has any
 * occurrence of the password replaced by "***" and only printable ASCII kept.
 * The caller parses the responses (mail/imap); nothing here reads them.
 */
struct common_fetch_imap_opts {
	const char *host;     /* server name: SNI and the certificate check */
	const char *addr;     /* IP literal to connect to (pinned, CURLOPT_RESOLVE);
				 NULL: host is a literal, or libcurl resolves (tests only) */
	unsigned port;	      /* 0 = 993 with implicit_tls, 143 without */
	bool implicit_tls;    /* imaps://; false: imap:// with STARTTLS required */
	const char *ca_file;  /* PEM bundle instead of the system store, or NULL */
	bool no_verify;	      /* skip certificate and host name checks (tests only) */
	const char *user;     /* login name */
	const char *password; /* borrowed until common_fetch_imap_free(); never in an error */
	unsigned connect_ms;  /* connect + TLS + login; 0 = 10000 */
};

struct common_fetch_imap;

/* One IMAP command of a session. */
struct common_fetch_imap_cmd {
	const char *folder;  /* mailbox to SELECT first (URL-encoded here); NULL = none */
	const char *request; /* command without tag ("UID SEARCH ALL"); the untagged
				responses are the result.  NULL: fetch message uid whole
				(UID FETCH uid BODY[]: the result is its bytes) */
	unsigned long uid;   /* with request NULL; must be > 0 */
	size_t max;	     /* larger results fail with ERR_LIMIT; 0 = 64 KiB */
	unsigned timeout_ms; /* this command, including a (re)connect; 0 = 30000 */
};

/*
 * A session; nothing is sent yet (the first command connects).  o is
 * copied, except that the password is borrowed.  ERR_INVAL when host or
 * user is missing, host holds characters a URL host may not, or addr is
 * not an IP literal; *out set only on success.  Free with
 * common_fetch_imap_free() (which closes the connection; NULL is a no-op).
 */
enum mp_err common_fetch_imap_new(const struct common_fetch_imap_opts *o,
				  struct common_fetch_imap **out) MP_WUR;
void common_fetch_imap_free(struct common_fetch_imap *s);

/*
 * Run one command, connecting and logging in first when needed.  On ERR_OK
 * *data (NUL-terminated, caller frees) and *len get the untagged responses
 * (request) or the message (fetch).  Errors, with the text in
 * common_fetch_imap_error(): ERR_INVAL (request with CR/LF, uid 0 or no
 * folder for a fetch, folder with CR/LF), ERR_NOTFOUND (the folder could not be selected, or
 * the message is not there), ERR_LIMIT (more than max bytes), ERR_TIMEOUT,
 * ERR_TLS (handshake, certificate, STARTTLS refused), ERR_NET (connection,
 * login refused, the server said NO/BAD to the command).
 */
enum mp_err common_fetch_imap_run(struct common_fetch_imap *s,
				  const struct common_fetch_imap_cmd *c, char **data,
				  size_t *len) MP_WUR;

/* Whether the last error was the login being refused (wrong user or password). */
bool common_fetch_imap_login_failed(const struct common_fetch_imap *s);

/* The text of the last error, "" after a success; borrowed until the next call. */
const char *common_fetch_imap_error(const struct common_fetch_imap *s);

#endif
