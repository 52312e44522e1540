/*
 * dns/htab: linear-probing hash table of borrowed pointers (see htab.h).
 * Load factor at most 1/2, backward-shift deletion (Knuth 6.4 Algorithm R),
 * so every probe run ends at an empty slot and stays short.
 */
#include <string.h>
#include "common/xmalloc.h"
#include "dns/htab.h"

#define K1 0x9e3779b97f4a7c15ULL /* 2^64 / golden ratio */
#define K2 0xbf58476d1ce4e5b9ULL /* splitmix64 multipliers */
#define K3 0x94d049bb133111ebULL

void dns_htab_init(struct dns_htab *t)
{
	t->s = NULL;
	t->cap = 0;
	t->n = 0;
}

void dns_htab_free(struct dns_htab *t)
{
	free(t->s);
	dns_htab_init(t);
}

/* splitmix64's finaliser: every input bit reaches the low bits we index by. */
static uint64_t mix(uint64_t h)
{
	h = (h ^ (h >> 30)) * K2;
	h = (h ^ (h >> 27)) * K3;
	return h ^ (h >> 31);
}

/*
 * Why eight bytes a step: names are hashed once per question; a byte-wise
 * FNV costs ~4 instructions a byte, this ~1.  Quality comes from mix() at
 * the end and the secret seed; it is not a cryptographic MAC.
 */
uint64_t dns_htab_hash(const void *data, size_t len, uint64_t tag, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (tag * K1) ^ ((uint64_t)len * K2), w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * K1;
		h ^= h >> 32;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ w) * K1;
		h ^= h >> 32;
	}
	return mix(h);
}

uint64_t dns_htab_hash_ptr(const void *p, uint64_t seed)
{
	return mix((uint64_t)(uintptr_t)p ^ seed);
}

void *dns_htab_find(const struct dns_htab *t, uint64_t hash, dns_htab_eq_fn *eq, const void *key)
{
	size_t mask = t->cap - 1;

	if (t->cap == 0)
		return NULL;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		const struct dns_htab_slot *s = &t->s[i];

		if (s->item == NULL)
			return NULL;
		if (s->hash == hash && (eq ? eq(s->item, key) : s->item == key))
			return s->item;
	}
}

static void put_slot(struct dns_htab_slot *s, size_t cap, uint64_t hash, void *item)
{
	size_t i = hash & (cap - 1);

	while (s[i].item != NULL)
		i = (i + 1) & (cap - 1);
	s[i].hash = hash;
	s[i].item = item;
}

static void grow(struct dns_htab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	struct dns_htab_slot *s = xcalloc(cap, sizeof *s);

	for (size_t i = 0; i < t->cap; i++)
		if (t->s[i].item != NULL)
			put_slot(s, cap, t->s[i].hash, t->s[i].item);
	free(t->s);
	t->s = s;
	t->cap = cap;
}

void dns_htab_insert(struct dns_htab *t, uint64_t hash, void *item)
{
	if (item == NULL)
		fatal("dns_htab_insert: NULL item");
	if ((t->n + 1) * 2 > t->cap)
		grow(t);
	put_slot(t->s, t->cap, hash, item);
	t->n++;
}

/* Is the home slot k outside the cyclic range (i, j]?  Then the entry at j
 * may move back into the hole at i without leaving its probe run. */
static bool may_fill(size_t i, size_t j, size_t k)
{
	if (i <= j)
		return k <= i || k > j;
	return k <= i && k > j;
}

bool dns_htab_remove(struct dns_htab *t, uint64_t hash, const void *item)
{
	size_t mask = t->cap - 1, i, j;

	if (t->cap == 0)
		return false;
	for (i = hash & mask; t->s[i].item != item; i = (i + 1) & mask)
		if (t->s[i].item == NULL)
			return false;
	/* Knuth 6.4 R: shift later members of the run back over the hole. */
	for (j = (i + 1) & mask; t->s[j].item != NULL; j = (j + 1) & mask) {
		if (may_fill(i, j, t->s[j].hash & mask)) {
			t->s[i] = t->s[j];
			i = j;
		}
	}
	t->s[i].item = NULL;
	t->s[i].hash = 0;
	t->n--;
	return true;
}

size_t dns_htab_count(const struct dns_htab *t)
{
	return t->n;
}

void dns_htab_each(const struct dns_htab *t, void (*fn)(void *item, void *arg), void *arg)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->s[i].item != NULL)
			fn(t->s[i].item, arg);
}
