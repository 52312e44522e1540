/*
 * web/http: the daemon's HTTP server (libmicrohttpd; the ONLY module that
 * includes microhttpd.h, STYLE.md 6).  It serves the current snapshot: the
 * status pages, the JSON API, /metrics, badges and health endpoints, and
 * passes the two state-changing requests to the daemon through callbacks.
 *
 * Endpoints (GET and HEAD unless noted):
 *   /                           overview page (web/html)
 *   /domain/NAME                domain page
 *   /static/style.css           the stylesheet (cached for a year; pages link it with ?v=TAG)
 *   /api/v1/domains             JSON (web/api); ?pretty=1 indents
 *   /api/v1/domains/NAME        JSON of one domain
 *   /api/v1/domains/NAME/probes JSON: the domain's probes (issue 4)
 *   /api/v1/domains/NAME/reports JSON: what DMARC, TLS-RPT and failure
 *                               reports said about the domain (issue 5)
 *   /api/v1/alerts              JSON: episodes, channels, readiness
 *   /badge/NAME.svg             SVG badge; ?label=TEXT replaces "mail"
 *   /metrics                    Prometheus text format (web/metrics)
 *   /-/healthy                  200 while the server runs
 *   /-/ready                    200 when snapshot->ready, else 503
 *   POST /-/reload              callbacks.reload(); 202
 *   POST /api/v1/domains/NAME/check  callbacks.check_now(NAME); 202, 404 unknown domain
 *   POST /api/v1/reports        callbacks.ingest_report(body): its status and
 *                               JSON (201, 200, 422, 503); 400 empty body,
 *                               413 body over max_report_body, 503 no callback
 * The POSTs need "Authorization: Bearer <token>" (RFC 6750 2.1),
 * compared in constant time: 401 with WWW-Authenticate when missing or
 * wrong, 403 when no token is configured (they are then disabled).  A
 * bearer header cannot be sent cross-site without a CORS preflight, which
 * this server never grants, so the POSTs need no other CSRF defence.
 * Other methods: 405 with Allow (RFC 9110 15.5.6).  Unknown paths: 404 as
 * a page, JSON (/api/...), an SVG (/badge/...) or text.  Only the report
 * upload reads its body (into a buffer of at most max_report_body bytes,
 * and only once the token checked out); other bodies are not used.  A
 * body declared longer than the cap (max_report_body for the upload,
 * max_body for the rest) is refused with 413 before it is read (RFC 9110
 * 15.5.14).  A chunked body that grows past it: the upload reads on and
 * throws the rest away so the answer is still 413, up to twice the cap,
 * after which (and for the other endpoints at once) the connection is
 * closed.  Request targets longer than WEB_URL_MAX are answered 414.
 *
 * Every response carries X-Content-Type-Options: nosniff, Referrer-Policy:
 * no-referrer, X-Frame-Options: DENY, Cross-Origin-Resource-Policy and a
 * Cache-Control (no-store except the stylesheet and badges); pages and
 * badges carry Content-Security-Policy: default-src 'none'; style-src
 * 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none';
 * form-action 'none'.  No Server header, no secret in any answer (the
 * snapshot holds none).
 *
 * Caching: the overview, /api/v1/domains, /api/v1/alerts and /metrics are
 * rendered once per snapshot (web/current) with a gzip coding, sent as
 * "Content-Encoding: gzip" to clients whose Accept-Encoding allows it
 * (RFC 9110 12.5.3), with a strong ETag and "Vary: Accept-Encoding"; an
 * If-None-Match naming the current tag gets 304 Not Modified with no
 * content (RFC 9110 13.1.2).  Everything else is rendered per request.
 *
 * Threads: libmicrohttpd runs its own threads (MHD_USE_AUTO_INTERNAL_THREAD,
 * epoll on Linux: one thread, or a pool of opts.threads; one by default,
 * chosen with bench/web, see bench/web.md).  Handlers only render the
 * current snapshot; they never wait on a check, the store or the network.
 * Limits (libraries.md 4.1: libmicrohttpd's default idle timeout is NONE):
 * connection limit, per-IP limit, idle timeout and per-connection memory
 * are always set.
 *
 * What it does not: TLS (bind to loopback and put a reverse proxy in front),
 * build snapshots (the daemon does), parse request bodies (the report
 * upload is handed over as bytes; no MHD_PostProcessor, libraries.md 4.1).
 */
#ifndef MAILPULSE_WEB_HTTP_H
#define MAILPULSE_WEB_HTTP_H

#include <stddef.h>
#include "common/err.h"
#include "web/snapshot.h"

#define WEB_HTTP_DEFAULT_ADDRESS "127.0.0.1"
#define WEB_HTTP_DEFAULT_PORT 8025
/* Default longest report upload (POST /api/v1/reports). */
#define WEB_HTTP_MAX_REPORT_BODY ((size_t)16 << 20)

/*
 * What the server asks of the daemon.  They are called from the server's
 * threads, possibly several at once: they must be thread-safe and must not
 * block (post a message to the daemon's queue and return).  NULL members
 * make the endpoint answer 503.
 */
struct web_http_callbacks {
	/* POST /-/reload: reload the configuration as SIGHUP would. */
	void (*reload)(void *arg);
	/*
	 * POST /api/v1/domains/NAME/check: check domain (lower-case A-labels)
	 * now.  ERR_OK: scheduled (202).  ERR_NOTFOUND: not a configured
	 * domain (404).  ERR_AGAIN or ERR_LIMIT: busy, try later (503 with
	 * Retry-After).  Anything else: 503.
	 */
	enum mp_err (*check_now)(void *arg, const char *domain);
	/*
	 * POST /api/v1/reports (issue 5): ingest one report upload (raw XML,
	 * .gz, .zip, TLS-RPT JSON or a whole e-mail; the body as sent, at most
	 * max_report_body bytes).  Unlike the others it may block for the parse
	 * and the store commit (it runs on a server thread and opens its own
	 * store connection).  Writes a JSON object into json (jsonsz bytes:
	 * {"stored":N,"duplicates":N,"rejected":N,"reason":...}) and returns
	 * the HTTP status: 201 something stored, 200 only duplicates, 422
	 * rejected or not a report (quarantined), 503 store failure.
	 */
	unsigned (*ingest_report)(void *arg, const char *body, size_t len, char *json,
				  size_t jsonsz);
	void *arg;
};

struct web_http_opts {
	const char *address; /* IPv4 or IPv6 literal to bind (default "127.0.0.1"); copied */
	unsigned port;	     /* default 8025; 0 picks a free port (see web_http_port()) */
	/*
	 * Bearer token of the POST endpoints, or NULL (or "") to disable them
	 * (403).  Only its SHA-256 is kept.
	 */
	const char *token;
	struct web_http_callbacks cb;
	unsigned threads;	   /* server threads (default 1) */
	unsigned connection_limit; /* connections at once (default 64) */
	unsigned per_ip_limit;	   /* connections at once from one address (default 16) */
	unsigned timeout_seconds;  /* an idle connection is closed after this (default 15) */
	size_t memory_limit;	   /* per connection, request headers included (default 64 KiB) */
	size_t max_body;	   /* longest request body accepted (default 4 KiB) */
	size_t max_report_body;	   /* ... for POST /api/v1/reports (default, and 0: 16 MiB) */
	/*
	 * A running server being replaced (a config reload), or NULL.  When
	 * address and port (not 0) are the ones it is bound to, the new server
	 * shares its listening socket instead of binding again, so the reload
	 * neither fails on the port the old one holds nor refuses a connection
	 * in between.  The old server keeps serving until the caller stops it.
	 */
	const struct web_http *takeover;
};

struct web_http;

/* Fill opts with the defaults above (no token, no callbacks). */
void web_http_opts_init(struct web_http_opts *opts);

/*
 * Bind and start serving.  Until the first web_http_publish() the server
 * shows an empty snapshot that is not ready.
 * ERR_OK: *out is the running server (stop with web_http_stop()).
 * ERR_INVAL: the address is not an IP literal, or a limit is 0.
 * ERR_IO: the socket could not be bound (port in use, permission) or the
 * threads could not start; the reason is logged.
 */
enum mp_err web_http_start(const struct web_http_opts *opts, struct web_http **out) MP_WUR;

/* The bound port (the chosen one when opts.port was 0). */
unsigned web_http_port(const struct web_http *h);

/*
 * Make s the current snapshot; the server takes ownership.  Requests that
 * started earlier finish with the snapshot they began with; the old one is
 * freed (web_snapshot_free) when the last of them is done.  Thread-safe;
 * cheap (nothing is rendered here).
 */
void web_http_publish(struct web_http *h, struct web_snapshot *s);

/*
 * Stop gracefully: stop accepting, give running requests up to a second to
 * finish, close the rest, free the server and its snapshot.  NULL is a
 * no-op.  Must not be called from a callback.
 */
void web_http_stop(struct web_http *h);

#endif
