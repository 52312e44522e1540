/*
 * dns/cache: the resolver's answer cache, a TTL-honouring LRU of
 * struct dns_answer templates keyed by (ASCII name, type).
 *
 * Thousands of checked domains share the same ESP includes and DKIM hosts
 * (DESIGN.md 3), and c-ares 1.18 caches nothing.  Positive answers live for
 * their smallest TTL, negative ones (NXDOMAIN, NODATA) for the TTL the
 * resolver derived from the SOA (RFC 2308 5); TEMPFAIL and MALFORMED are
 * never kept (RFC 2308 7.1 allows a short hold; we prefer asking again).
 * Every stay is capped by max_ttl (a monitor must see DNS changes within
 * minutes).  When full, the least recently used entry goes.
 *
 * It does not talk to the network or copy answers out: the resolver clones
 * the borrowed template for each book.  Pure and single-threaded; the clock
 * is passed in, so tests run on a fixed clock.
 *
 * Entries sit in a dns/htab keyed by a seeded hash of (name, type).  The
 * _h functions take that hash from dns_cache_hash() so the resolver hashes
 * each question once and reuses the value for its own map of queries in
 * flight; the plain functions hash for themselves.
 */
#ifndef MAILPULSE_DNS_CACHE_H
#define MAILPULSE_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dns/book.h"

struct dns_cache;

/* A cache of at most max_entries answers (0: a cache that keeps nothing),
 * none kept longer than max_ttl_s.  Free with dns_cache_free(). */
struct dns_cache *dns_cache_new(size_t max_entries, uint32_t max_ttl_s);
/* The same with a hash seed (a random one resists crafted colliding names). */
struct dns_cache *dns_cache_new_seeded(size_t max_entries, uint32_t max_ttl_s, uint64_t seed);
void dns_cache_free(struct dns_cache *c);

/* The key of a question, "<type>/<name>" (type in decimal).  Caller frees. */
char *dns_cache_key(const char *name, uint16_t type);

/*
 * Keep tmpl for (name, type) for ttl_s seconds from now_ms (capped at
 * max_ttl_s), replacing any entry for the same key and evicting the least
 * recently used one when full.  Returns true when the cache took ownership
 * of tmpl; false (caller still owns it) when ttl_s is 0, the cache is
 * disabled, or tmpl is TEMPFAIL or MALFORMED.  name is copied.
 */
bool dns_cache_put(struct dns_cache *c, const char *name, uint16_t type, struct dns_answer *tmpl,
		   uint32_t ttl_s, uint64_t now_ms);

/*
 * The live answer for (name, type) at now_ms, or NULL (an expired entry is
 * dropped).  *age_s gets the whole seconds since it was stored, so callers
 * can lower TTLs.  Marks the entry recently used.  Borrowed until the next
 * put, clear or free.
 */
const struct dns_answer *dns_cache_get(struct dns_cache *c, const char *name, uint16_t type,
				       uint64_t now_ms, uint32_t *age_s);

/*
 * The hash of (name[0..len), type) that the _h functions below expect; the
 * same for the life of c.  Names are compared byte for byte (the resolver
 * passes dns_name_to_ascii() output, already lower-case).
 */
uint64_t dns_cache_hash(const struct dns_cache *c, const char *name, size_t len, uint16_t type);

/* dns_cache_put() for name[0..len) (no NUL needed) whose dns_cache_hash() is hash. */
bool dns_cache_put_h(struct dns_cache *c, const char *name, size_t len, uint16_t type,
		     uint64_t hash, struct dns_answer *tmpl, uint32_t ttl_s, uint64_t now_ms);

/* dns_cache_get() for name[0..len) whose dns_cache_hash() is hash. */
const struct dns_answer *dns_cache_get_h(struct dns_cache *c, const char *name, size_t len,
					 uint16_t type, uint64_t hash, uint64_t now_ms,
					 uint32_t *age_s);

/* Forget every entry. */
void dns_cache_clear(struct dns_cache *c);
/* Entries held now (expired ones included until looked up or evicted). */
size_t dns_cache_size(const struct dns_cache *c);

#endif
