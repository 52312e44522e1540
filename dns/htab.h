/*
 * dns/htab: a small open-addressing hash table of borrowed item pointers,
 * for the resolver's hot maps (queries in flight, books, cached answers).
 *
 * Why it exists: the resolver used tsearch() trees with strcmp() over
 * "<type>/<name>" keys; each question paid a dozen string comparisons and a
 * rebalance.  Here the caller computes a hash once per question (with
 * dns_htab_hash(), seeded) and carries it: a lookup is one probe run of
 * 64-bit hash compares and, on a hash match, one caller equality test.
 *
 * Shape: linear probing over a power-of-two array of {hash, item} slots,
 * at most half full; removal shifts the following run back (no tombstones),
 * so lookups never slow down with churn.  Items are never freed or copied
 * by the table; the caller keeps them alive while they are in it.  The
 * same item must not be inserted twice.
 *
 * Hostile input: names come from DNS data an attacker may write, so the
 * hash takes a per-table-owner random seed (the resolver draws one with
 * getrandom()); a caller that passes a constant seed gets correct results
 * with colliding keys, only slower (tests/dns/test_htab.c checks that).
 *
 * It does not allocate item memory, lock, or know what a key is.  No RFC.
 */
#ifndef MAILPULSE_DNS_HTAB_H
#define MAILPULSE_DNS_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_htab_slot {
	uint64_t hash;
	void *item; /* NULL: empty */
};

struct dns_htab {
	struct dns_htab_slot *s;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

/* Equality of a stored item with the caller's key (the hashes already match). */
typedef bool dns_htab_eq_fn(const void *item, const void *key);

/* An empty table (allocates nothing until the first insert). */
void dns_htab_init(struct dns_htab *t);
/* Release the slot array; the items are the caller's.  The table is empty after. */
void dns_htab_free(struct dns_htab *t);

/*
 * Hash of data[0..len) mixed with tag (e.g. a DNS type) and seed.  The
 * same inputs give the same value for the life of the process.
 */
uint64_t dns_htab_hash(const void *data, size_t len, uint64_t tag, uint64_t seed);
/* Hash of a pointer value (for maps keyed by an object's address). */
uint64_t dns_htab_hash_ptr(const void *p, uint64_t seed);

/*
 * The item stored with this hash for which eq(item, key) is true, or NULL.
 * eq NULL: compare the item pointer with key itself.
 */
void *dns_htab_find(const struct dns_htab *t, uint64_t hash, dns_htab_eq_fn *eq, const void *key);

/* Store item (not NULL, not already in the table) under hash; grows as needed. */
void dns_htab_insert(struct dns_htab *t, uint64_t hash, void *item);

/* Remove this very item (pointer identity) stored under hash; false when absent. */
bool dns_htab_remove(struct dns_htab *t, uint64_t hash, const void *item);

/* Items held. */
size_t dns_htab_count(const struct dns_htab *t);

/*
 * Visit every item once, in no particular order (fn must not change the
 * table).  For teardown.
 */
void dns_htab_each(const struct dns_htab *t, void (*fn)(void *item, void *arg), void *arg);

#endif
