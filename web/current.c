/*
 * web/current: reference-counted current snapshot and the cache of its
 * most requested pages (see current.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "web/api.h"
#include "web/current.h"
#include "web/gzip.h"
#include "web/html.h"
#include "web/metrics.h"

#define N_PAGES 4

struct web_held {
	struct web_snapshot *snap;
	uint64_t gen; /* publish count when it became current */
	atomic_uint refs;
};

struct web_rendered {
	atomic_uint refs;
	uint64_t gen; /* of the snapshot it shows */
	enum mp_err err;
	char *data, *gz;
	size_t len, gz_len;
	char etag[40], etag_gz[44];
};

/* One cached page. */
struct slot {
	struct web_rendered *latest; /* newest finished rendering (one reference), or NULL */
	int64_t stale_since_ms;	     /* when latest stopped showing the current snapshot */
	bool busy;		     /* a thread renders this page now */
};

struct web_current {
	pthread_mutex_t mu;  /* guards everything below */
	pthread_cond_t done; /* a rendering finished */
	struct web_held *cur;
	uint64_t gen; /* of cur */
	struct slot slot[N_PAGES];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- held snapshots ------------------------------------------------- */

static struct web_held *held_new(struct web_snapshot *s, uint64_t gen)
{
	struct web_held *h = xcalloc(1, sizeof *h);

	h->snap = s;
	h->gen = gen;
	atomic_init(&h->refs, 1);
	return h;
}

void web_held_retain(struct web_held *h)
{
	atomic_fetch_add(&h->refs, 1);
}

void web_held_release(struct web_held *h)
{
	if (h == NULL || atomic_fetch_sub(&h->refs, 1) != 1)
		return;
	web_snapshot_free(h->snap);
	free(h);
}

const struct web_snapshot *web_held_snapshot(const struct web_held *h)
{
	return h->snap;
}

/* ---- renderings ----------------------------------------------------- */

void web_rendered_retain(struct web_rendered *r)
{
	atomic_fetch_add(&r->refs, 1);
}

void web_rendered_release(struct web_rendered *r)
{
	if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	free(r->data);
	free(r->gz);
	free(r);
}

const char *web_rendered_body(const struct web_rendered *r, bool gzip, size_t *len)
{
	if (r->err != ERR_OK || (gzip && r->gz == NULL))
		return NULL;
	*len = gzip ? r->gz_len : r->len;
	return gzip ? r->gz : r->data;
}

const char *web_rendered_etag(const struct web_rendered *r, bool gzip)
{
	return gzip ? r->etag_gz : r->etag;
}

/* The page's bytes, its gzip coding (when it pays) and their entity tags. */
static struct web_rendered *render(const struct web_held *h, enum web_page which)
{
	struct web_rendered *r = xcalloc(1, sizeof *r);
	const struct web_snapshot *s = h->snap;
	unsigned char md[32];
	char hex[33];

	atomic_init(&r->refs, 1);
	r->gen = h->gen;
	switch (which) {
	case WEB_PAGE_OVERVIEW:
		r->err = web_html_overview(s, &r->data, &r->len);
		break;
	case WEB_PAGE_API_DOMAINS:
		r->data = web_api_domains(s, false, &r->len);
		break;
	case WEB_PAGE_API_ALERTS:
		r->data = web_api_alerts(s, false, &r->len);
		break;
	case WEB_PAGE_METRICS:
		r->err = web_metrics_render(s, &r->data, &r->len);
		break;
	}
	if (r->err != ERR_OK)
		return r;
	if (web_gzip_encode(r->data, r->len, &r->gz, &r->gz_len) != ERR_OK)
		r->gz = NULL;
	/* 128 bits of the content's hash: equal bytes, equal tag, in any process. */
	common_crypto_sha256(r->data, r->len, md);
	for (size_t i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(r->etag, sizeof r->etag, "\"%s\"", hex);
	snprintf(r->etag_gz, sizeof r->etag_gz, "\"%s.gz\"", hex);
	return r;
}

/* ---- the current slot ----------------------------------------------- */

struct web_current *web_current_new(struct web_snapshot *initial)
{
	struct web_current *c = xcalloc(1, sizeof *c);

	if (pthread_mutex_init(&c->mu, NULL) != 0 || pthread_cond_init(&c->done, NULL) != 0)
		fatal("web: mutex init failed");
	c->gen = 1;
	c->cur = held_new(initial, c->gen);
	return c;
}

void web_current_free(struct web_current *c)
{
	if (c == NULL)
		return;
	web_held_release(c->cur);
	for (size_t i = 0; i < N_PAGES; i++)
		web_rendered_release(c->slot[i].latest);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void web_current_publish(struct web_current *c, struct web_snapshot *s)
{
	struct web_held *old;
	int64_t now = mono_ms();

	pthread_mutex_lock(&c->mu);
	old = c->cur;
	c->cur = held_new(s, ++c->gen);
	for (size_t i = 0; i < N_PAGES; i++)
		if (c->slot[i].latest != NULL && c->slot[i].latest->gen == old->gen)
			c->slot[i].stale_since_ms = now;
	pthread_mutex_unlock(&c->mu);
	web_held_release(old);
}

struct web_held *web_current_acquire(struct web_current *c)
{
	struct web_held *h;

	/* Taken under the lock: the slot's own reference keeps h alive until we add ours. */
	pthread_mutex_lock(&c->mu);
	h = c->cur;
	web_held_retain(h);
	pthread_mutex_unlock(&c->mu);
	return h;
}

/*
 * Keep r (rendered from a snapshot current at start_ms) as the slot's
 * latest unless a newer one is there already.  Called under c->mu.
 */
static void install(struct web_current *c, struct slot *s, struct web_rendered *r, int64_t start_ms)
{
	struct web_rendered *old = s->latest;

	if (old != NULL && old->gen > r->gen)
		return;
	web_rendered_retain(r);
	s->latest = r;
	/* Published over while rendering: stale since no later than the start. */
	if (r->gen != c->gen)
		s->stale_since_ms = start_ms;
	web_rendered_release(old);
}

struct web_rendered *web_current_page(struct web_current *c, enum web_page p, bool *stale)
{
	struct slot *s = &c->slot[(unsigned)p < N_PAGES ? p : 0];
	struct web_rendered *r;
	struct web_held *h;
	int64_t start;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		r = s->latest;
		if (r != NULL && (r->gen == c->gen || (s->busy && mono_ms() - s->stale_since_ms <
								      WEB_CURRENT_STALE_MS))) {
			web_rendered_retain(r);
			if (stale != NULL)
				*stale = r->gen != c->gen;
			pthread_mutex_unlock(&c->mu);
			return r;
		}
		if (!s->busy)
			break;
		/* Nothing recent enough to show: wait for the rendering under way. */
		pthread_cond_wait(&c->done, &c->mu);
	}
	s->busy = true;
	h = c->cur;
	web_held_retain(h);
	pthread_mutex_unlock(&c->mu);

	start = mono_ms();
	r = render(h, p);
	web_held_release(h);

	pthread_mutex_lock(&c->mu);
	install(c, s, r, start);
	s->busy = false;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
	if (stale != NULL)
		*stale = false;
	return r;
}
