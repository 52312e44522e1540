/*
 * web/current: the snapshot the server shows now, shared between the
 * daemon thread that publishes and the server threads that render.
 *
 * Each published snapshot sits in a `struct web_held` with an atomic
 * reference count.  The slot holds one reference; a request takes one
 * while it renders (web_current_acquire), and a response that borrows a
 * cached page takes one more until the response is gone.  Publishing swaps
 * the slot under a mutex and drops the slot's reference, so the old
 * snapshot is freed by whoever finishes with it last, never while it is in
 * use.  The pages every visitor asks for (overview, API lists, metrics)
 * are rendered once per snapshot, on first request, and kept with it.
 *
 * What it does not: HTTP (web/http), or render anything but through
 * web/html, web/api and web/metrics.
 */
#ifndef MAILPULSE_WEB_CURRENT_H
#define MAILPULSE_WEB_CURRENT_H

#include <stddef.h>
#include "web/snapshot.h"

/* Pages cached per snapshot. */
enum web_page { WEB_PAGE_OVERVIEW, WEB_PAGE_API_DOMAINS, WEB_PAGE_API_ALERTS, WEB_PAGE_METRICS };

struct web_current;
struct web_held;

/* A slot showing initial (owned from now on). */
struct web_current *web_current_new(struct web_snapshot *initial);
/*
 * Drop the slot's reference and free the slot.  Call when no other thread
 * uses it; a held snapshot still referenced is freed by its last release.
 */
void web_current_free(struct web_current *c);
/* Make s current (owned from now on); thread-safe, renders nothing. */
void web_current_publish(struct web_current *c, struct web_snapshot *s);
/* The current snapshot, with a reference the caller drops with web_held_release(). */
struct web_held *web_current_acquire(struct web_current *c);

/* One more reference on h. */
void web_held_retain(struct web_held *h);
/* Drop a reference; the last one frees the snapshot and its pages.  NULL is a no-op. */
void web_held_release(struct web_held *h);
/* The snapshot; borrowed while a reference is held. */
const struct web_snapshot *web_held_snapshot(const struct web_held *h);
/*
 * Page p of h, rendered on the first call (one thread renders, the others
 * wait for it).  NULL when it cannot be rendered (larger than WEB_OUT_MAX).
 * Borrowed while a reference on h is held; *len gets its length.
 */
const char *web_held_page(struct web_held *h, enum web_page p, size_t *len);

#endif
