/*
 * common/fetch: bounded HTTPS GETs without blocking, on libcurl's multi
 * interface (the ONLY module including curl/curl.h; DESIGN.md 4).
 *
 * Why here, in the floor: the MTA-STS policy fetch (dns/), IMAP seed boxes
 * (mail/) and webhooks (daemon/) all need one HTTP client with the same
 * safety settings, and a library may be included by one module only.
 *
 * What it does not do: name resolution.  Debian's libcurl has no c-ares and
 * cannot be pointed at our DNS servers (libraries.md 0.6), so callers resolve
 * with dns/resolver and pin the address with a connect-to rule; curl never
 * calls getaddrinfo on a host name.  Redirects are never followed (RFC 8461
 * 3.3 forbids them for MTA-STS), only https is allowed unless the caller says
 * otherwise, certificates and host names are always verified, and bodies are
 * capped.
 */
#ifndef MAILPULSE_COMMON_FETCH_H
#define MAILPULSE_COMMON_FETCH_H

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
	const char *error; /* human text for err (curl's), "" when ERR_OK */
	const char *body;  /* NUL-terminated copy, body_len bytes (may contain NULs) */
	size_t body_len;
	const char *content_type; /* "" when absent */
};

/* Called once per request, from common_fetch_run(); result borrowed for the call. */
typedef void (*common_fetch_done_fn)(void *arg, const struct common_fetch_result *res);

struct common_fetch;

/* New client; opts copied (strings duplicated).  Free with common_fetch_free(). */
struct common_fetch *common_fetch_new(const struct common_fetch_opts *opts);
/* Cancels what is still running without calling done.  NULL is a no-op. */
void common_fetch_free(struct common_fetch *f);

/*
 * Start a GET of url, connecting to addr (an IP literal from our resolver;
 * NULL lets libcurl resolve, which only tests on loopback may do).  done is
 * called exactly once, from a later common_fetch_run().
 */
enum mp_err common_fetch_get(struct common_fetch *f, const char *url, const char *addr,
			     common_fetch_done_fn done, void *arg) MP_WUR;

/* Make progress, waiting at most max_wait_ms; returns how many requests are still running. */
int common_fetch_run(struct common_fetch *f, int max_wait_ms);

#endif
