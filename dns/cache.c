/*
 * dns/cache: LRU + expiry over a chained hash table (see cache.h).  Keys are
 * "<type>/<name>" strings; entries sit on one doubly linked list, most
 * recently used first, so eviction takes the tail.
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/cache.h"

struct centry {
	struct centry *hnext;	    /* hash chain */
	struct centry *prev, *next; /* LRU list */
	char *key;
	struct dns_answer *ans;
	uint64_t stored_ms, expires_ms;
};

struct dns_cache {
	struct centry **b;
	size_t nb, n, max;
	uint32_t max_ttl;
	struct centry *head, *tail;
};

static size_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

struct dns_cache *dns_cache_new(size_t max_entries, uint32_t max_ttl_s)
{
	struct dns_cache *c = xcalloc(1, sizeof *c);

	c->max = max_entries;
	c->max_ttl = max_ttl_s;
	return c;
}

static struct centry **slot(const struct dns_cache *c, const char *key)
{
	struct centry **pp;

	if (c->nb == 0)
		return NULL;
	pp = &c->b[hash_str(key) & (c->nb - 1)];
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static void grow(struct dns_cache *c)
{
	size_t nb = c->nb ? c->nb * 2 : 64;
	struct centry **b = xcalloc(nb, sizeof *b);

	for (size_t i = 0; i < c->nb; i++) {
		while (c->b[i]) {
			struct centry *e = c->b[i];
			size_t j = hash_str(e->key) & (nb - 1);

			c->b[i] = e->hnext;
			e->hnext = b[j];
			b[j] = e;
		}
	}
	free(c->b);
	c->b = b;
	c->nb = nb;
}

static void unlink_lru(struct dns_cache *c, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_lru(struct dns_cache *c, struct centry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
}

static void drop(struct dns_cache *c, struct centry *e)
{
	struct centry **pp = slot(c, e->key);

	if (pp && *pp == e)
		*pp = e->hnext;
	unlink_lru(c, e);
	dns_answer_free(e->ans);
	free(e->key);
	free(e);
	c->n--;
}

char *dns_cache_key(const char *name, uint16_t type)
{
	char digits[8];
	size_t nd = 0, len = strlen(name);
	unsigned t = type;
	char *k;

	/* "<type>/<name>" without printf: it is built for every question asked. */
	do
		digits[nd++] = (char)('0' + t % 10);
	while ((t /= 10) != 0);
	k = xmalloc(nd + 1 + len + 1);
	for (size_t i = 0; i < nd; i++)
		k[i] = digits[nd - 1 - i];
	k[nd] = '/';
	memcpy(k + nd + 1, name, len + 1);
	return k;
}

bool dns_cache_put(struct dns_cache *c, const char *name, uint16_t type, struct dns_answer *tmpl,
		   uint32_t ttl_s, uint64_t now_ms)
{
	struct centry **pp, *e;
	char *key;

	if (c->max == 0 || ttl_s == 0 || tmpl->outcome == DNS_TEMPFAIL ||
	    tmpl->outcome == DNS_MALFORMED)
		return false;
	if (ttl_s > c->max_ttl)
		ttl_s = c->max_ttl;
	key = dns_cache_key(name, type);
	pp = slot(c, key);
	if (pp && *pp)
		drop(c, *pp);
	while (c->n >= c->max && c->tail)
		drop(c, c->tail);
	if (c->n >= c->nb)
		grow(c);
	e = xcalloc(1, sizeof *e);
	e->key = key;
	e->ans = tmpl;
	e->stored_ms = now_ms;
	e->expires_ms = now_ms + (uint64_t)ttl_s * 1000;
	pp = &c->b[hash_str(key) & (c->nb - 1)];
	e->hnext = *pp;
	*pp = e;
	push_lru(c, e);
	c->n++;
	return true;
}

const struct dns_answer *dns_cache_get(struct dns_cache *c, const char *name, uint16_t type,
				       uint64_t now_ms, uint32_t *age_s)
{
	char *key = dns_cache_key(name, type);
	struct centry **pp = slot(c, key), *e;

	free(key);
	if (pp == NULL || *pp == NULL)
		return NULL;
	e = *pp;
	if (now_ms >= e->expires_ms) {
		drop(c, e);
		return NULL;
	}
	unlink_lru(c, e);
	push_lru(c, e);
	*age_s = (uint32_t)((now_ms - e->stored_ms) / 1000);
	return e->ans;
}

void dns_cache_clear(struct dns_cache *c)
{
	while (c->head)
		drop(c, c->head);
}

size_t dns_cache_size(const struct dns_cache *c)
{
	return c->n;
}

void dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	dns_cache_clear(c);
	free(c->b);
	free(c);
}
