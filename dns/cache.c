/*
 * dns/cache: LRU + expiry over a dns/htab (see cache.h).  Keys are
 * (name bytes, type) under a seeded hash; entries sit on one doubly linked
 * list, most recently used first, so eviction takes the tail.
 *
 * Why this is fast: the resolver hands in the hash it computed once per
 * question, so a lookup builds no key string, allocates nothing and
 * compares names only on a 64-bit hash match.
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/cache.h"
#include "dns/htab.h"

/* One cached answer; the name is stored inline (one allocation per entry). */
struct centry {
	struct centry *prev, *next; /* LRU list */
	struct dns_answer *ans;
	uint64_t hash, stored_ms, expires_ms;
	uint16_t type;
	size_t len;
	char name[]; /* len bytes and a NUL */
};

struct dns_cache {
	struct dns_htab map; /* struct centry by dns_cache_hash() */
	size_t max;
	uint32_t max_ttl;
	uint64_t seed;
	struct centry *head, *tail;
};

/* The key a lookup carries to centry_eq(). */
struct ckey {
	const char *name;
	size_t len;
	uint16_t type;
};

static bool centry_eq(const void *item, const void *key)
{
	const struct centry *e = item;
	const struct ckey *k = key;

	return e->type == k->type && e->len == k->len && memcmp(e->name, k->name, k->len) == 0;
}

struct dns_cache *dns_cache_new_seeded(size_t max_entries, uint32_t max_ttl_s, uint64_t seed)
{
	struct dns_cache *c = xcalloc(1, sizeof *c);

	dns_htab_init(&c->map);
	c->max = max_entries;
	c->max_ttl = max_ttl_s;
	c->seed = seed;
	return c;
}

struct dns_cache *dns_cache_new(size_t max_entries, uint32_t max_ttl_s)
{
	return dns_cache_new_seeded(max_entries, max_ttl_s, 0x6d61696c70756c73ULL);
}

uint64_t dns_cache_hash(const struct dns_cache *c, const char *name, size_t len, uint16_t type)
{
	return dns_htab_hash(name, len, type, c->seed);
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
	dns_htab_remove(&c->map, e->hash, e);
	unlink_lru(c, e);
	dns_answer_free(e->ans);
	free(e);
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

bool dns_cache_put_h(struct dns_cache *c, const char *name, size_t len, uint16_t type,
		     uint64_t hash, struct dns_answer *tmpl, uint32_t ttl_s, uint64_t now_ms)
{
	struct ckey k = {name, len, type};
	struct centry *e;

	if (c->max == 0 || ttl_s == 0 || tmpl->outcome == DNS_TEMPFAIL ||
	    tmpl->outcome == DNS_MALFORMED)
		return false;
	if (ttl_s > c->max_ttl)
		ttl_s = c->max_ttl;
	e = dns_htab_find(&c->map, hash, centry_eq, &k);
	if (e)
		drop(c, e);
	while (dns_htab_count(&c->map) >= c->max && c->tail)
		drop(c, c->tail);
	e = xmalloc(sizeof *e + len + 1);
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->len = len;
	e->type = type;
	e->hash = hash;
	e->ans = tmpl;
	e->stored_ms = now_ms;
	e->expires_ms = now_ms + (uint64_t)ttl_s * 1000;
	dns_htab_insert(&c->map, hash, e);
	push_lru(c, e);
	return true;
}

bool dns_cache_put(struct dns_cache *c, const char *name, uint16_t type, struct dns_answer *tmpl,
		   uint32_t ttl_s, uint64_t now_ms)
{
	size_t len = strlen(name);

	return dns_cache_put_h(c, name, len, type, dns_cache_hash(c, name, len, type), tmpl, ttl_s,
			       now_ms);
}

const struct dns_answer *dns_cache_get_h(struct dns_cache *c, const char *name, size_t len,
					 uint16_t type, uint64_t hash, uint64_t now_ms,
					 uint32_t *age_s)
{
	struct ckey k = {name, len, type};
	struct centry *e = dns_htab_find(&c->map, hash, centry_eq, &k);

	if (e == NULL)
		return NULL;
	if (now_ms >= e->expires_ms) {
		drop(c, e);
		return NULL;
	}
	if (c->head != e) {
		unlink_lru(c, e);
		push_lru(c, e);
	}
	*age_s = (uint32_t)((now_ms - e->stored_ms) / 1000);
	return e->ans;
}

const struct dns_answer *dns_cache_get(struct dns_cache *c, const char *name, uint16_t type,
				       uint64_t now_ms, uint32_t *age_s)
{
	size_t len = strlen(name);

	return dns_cache_get_h(c, name, len, type, dns_cache_hash(c, name, len, type), now_ms,
			       age_s);
}

void dns_cache_clear(struct dns_cache *c)
{
	/* Every entry goes: free them off the LRU list and empty the map in
	 * one go instead of removing them from it one by one. */
	while (c->head) {
		struct centry *e = c->head;

		c->head = e->next;
		dns_answer_free(e->ans);
		free(e);
	}
	c->tail = NULL;
	dns_htab_free(&c->map);
}

size_t dns_cache_size(const struct dns_cache *c)
{
	return dns_htab_count(&c->map);
}

void dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	dns_cache_clear(c);
	dns_htab_free(&c->map);
	free(c);
}
