/*
 * web/current: the snapshot the server shows now, shared between the
 * daemon thread that publishes and the server threads that render, and
 * the cache of the pages every visitor asks for.
 *
 * Each published snapshot sits in a `struct web_held` with an atomic
 * reference count.  The slot holds one reference; a request takes one
 * while it renders (web_current_acquire).  Publishing swaps the slot under
 * a mutex and drops the slot's reference, so the old snapshot is freed by
 * whoever finishes with it last, never while it is in use.
 *
 * The pages every visitor asks for (overview, API lists, metrics) are
 * rendered once per snapshot, on first request, together with their gzip
 * coding and entity tags, into a `struct web_rendered` that owns its bytes
 * (it holds no snapshot) and is reference-counted too: a response that
 * sends it keeps a reference until the response is gone.
 *
 * While one thread renders a page of a new snapshot (a 1,000-domain
 * overview takes about 0.1-0.2 s with its gzip), the other requests for
 * that page get the previous rendering at once instead of waiting, as long
 * as it was current less than WEB_CURRENT_STALE_MS ago: the page shows
 * when it was generated, and one snapshot behind is what a visitor who
 * came a moment earlier saw.  A request that finds no rendering under way
 * renders the page itself, so a client that publishes and then asks (the
 * tests, one visitor) always gets the current snapshot.
 *
 * What it does not: HTTP (web/http), or render anything but through
 * web/html, web/api, web/metrics and web/gzip.
 */
#ifndef MAILPULSE_WEB_CURRENT_H
#define MAILPULSE_WEB_CURRENT_H

#include <stdbool.h>
#include <stddef.h>
#include "web/snapshot.h"

/* Pages cached per snapshot. */
enum web_page { WEB_PAGE_OVERVIEW, WEB_PAGE_API_DOMAINS, WEB_PAGE_API_ALERTS, WEB_PAGE_METRICS };

/* How long after a publish the previous rendering may still be served while the new one renders. */
#define WEB_CURRENT_STALE_MS 10000

struct web_current;
struct web_held;
struct web_rendered;

/* A slot showing initial (owned from now on). */
struct web_current *web_current_new(struct web_snapshot *initial);
/*
 * Drop the slot's references and free the slot.  Call when no other
 * thread uses it; a held snapshot or a rendering still referenced is freed
 * by its last release.
 */
void web_current_free(struct web_current *c);
/* Make s current (owned from now on); thread-safe, renders nothing. */
void web_current_publish(struct web_current *c, struct web_snapshot *s);
/* The current snapshot, with a reference the caller drops with web_held_release(). */
struct web_held *web_current_acquire(struct web_current *c);

/* One more reference on h. */
void web_held_retain(struct web_held *h);
/* Drop a reference; the last one frees the snapshot.  NULL is a no-op. */
void web_held_release(struct web_held *h);
/* The snapshot; borrowed while a reference is held. */
const struct web_snapshot *web_held_snapshot(const struct web_held *h);

/*
 * A rendering of page p of the current snapshot (or, while another thread
 * renders that, of the previous one; see above), rendered here if needed.
 * Never NULL; the caller owns one reference (web_rendered_release()).
 * *stale (may be NULL) tells whether it is the previous snapshot's.
 */
struct web_rendered *web_current_page(struct web_current *c, enum web_page p, bool *stale);
/* One more reference on r. */
void web_rendered_retain(struct web_rendered *r);
/* Drop a reference; the last one frees the bytes.  NULL is a no-op. */
void web_rendered_release(struct web_rendered *r);
/*
 * The body of r: the identity bytes, or with gzip the gzip-coded ones.
 * NULL when there is none: the page could not be rendered (larger than
 * WEB_OUT_MAX), or, for gzip, compressing did not pay (web/gzip).
 * Borrowed while a reference is held; *len gets its length.
 */
const char *web_rendered_body(const struct web_rendered *r, bool gzip, size_t *len);
/*
 * The strong entity tag of that body (RFC 9110 8.8.3), quoted: 32 hex
 * digits of the SHA-256 of the identity bytes, with ".gz" inside the
 * quotes for the gzip coding (two codings are two representations).  The
 * same bytes give the same tag in every snapshot and process.
 */
const char *web_rendered_etag(const struct web_rendered *r, bool gzip);

#endif
