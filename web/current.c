/*
 * web/current: reference-counted current snapshot with cached pages (see
 * current.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include "common/xmalloc.h"
#include "web/api.h"
#include "web/current.h"
#include "web/html.h"
#include "web/metrics.h"

#define N_PAGES 4

struct page {
	char *data;
	size_t len;
	bool done;
	enum mp_err err;
};

struct web_held {
	struct web_snapshot *snap;
	atomic_uint refs;
	pthread_mutex_t mu; /* guards pages */
	struct page pages[N_PAGES];
};

struct web_current {
	pthread_mutex_t mu; /* guards cur */
	struct web_held *cur;
};

static struct web_held *held_new(struct web_snapshot *s)
{
	struct web_held *h = xcalloc(1, sizeof *h);

	h->snap = s;
	atomic_init(&h->refs, 1);
	if (pthread_mutex_init(&h->mu, NULL) != 0)
		fatal("web: mutex init failed");
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
	for (size_t i = 0; i < N_PAGES; i++)
		free(h->pages[i].data);
	pthread_mutex_destroy(&h->mu);
	web_snapshot_free(h->snap);
	free(h);
}

const struct web_snapshot *web_held_snapshot(const struct web_held *h)
{
	return h->snap;
}

static void render(const struct web_snapshot *s, enum web_page which, struct page *p)
{
	p->err = ERR_OK;
	switch (which) {
	case WEB_PAGE_OVERVIEW:
		p->err = web_html_overview(s, &p->data, &p->len);
		break;
	case WEB_PAGE_API_DOMAINS:
		p->data = web_api_domains(s, false, &p->len);
		break;
	case WEB_PAGE_API_ALERTS:
		p->data = web_api_alerts(s, false, &p->len);
		break;
	case WEB_PAGE_METRICS:
		p->err = web_metrics_render(s, &p->data, &p->len);
		break;
	}
}

const char *web_held_page(struct web_held *h, enum web_page which, size_t *len)
{
	struct page *p;
	const char *r = NULL;

	if ((unsigned)which >= N_PAGES)
		return NULL;
	p = &h->pages[which];
	pthread_mutex_lock(&h->mu);
	if (!p->done) {
		render(h->snap, which, p);
		p->done = true;
	}
	if (p->err == ERR_OK) {
		r = p->data;
		*len = p->len;
	}
	pthread_mutex_unlock(&h->mu);
	return r;
}

struct web_current *web_current_new(struct web_snapshot *initial)
{
	struct web_current *c = xcalloc(1, sizeof *c);

	if (pthread_mutex_init(&c->mu, NULL) != 0)
		fatal("web: mutex init failed");
	c->cur = held_new(initial);
	return c;
}

void web_current_free(struct web_current *c)
{
	if (c == NULL)
		return;
	web_held_release(c->cur);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void web_current_publish(struct web_current *c, struct web_snapshot *s)
{
	struct web_held *n = held_new(s), *old;

	pthread_mutex_lock(&c->mu);
	old = c->cur;
	c->cur = n;
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
