/*
 * tests/dns/test_htab: dns/htab against a plain array model: inserts,
 * finds, removals (backward shift), growth, total hash collisions, probe
 * runs that wrap around the end of the array, huge keys, many entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dns/htab.h"
#include "tests/lib/tap.h"

struct item {
	char key[32];
	size_t len;
	bool in; /* the model: is it in the table now? */
	uint64_t hash;
};

static bool item_eq(const void *item, const void *key)
{
	const struct item *it = item;

	return it->len == strlen(key) && memcmp(it->key, key, it->len) == 0;
}

/* Every item the model says is in must be found, and no other. */
static bool model_agrees(const struct dns_htab *t, struct item *it, size_t n)
{
	size_t in = 0;

	for (size_t i = 0; i < n; i++) {
		void *got = dns_htab_find(t, it[i].hash, item_eq, it[i].key);

		if (it[i].in ? got != &it[i] : got != NULL)
			return false;
		in += it[i].in;
	}
	return dns_htab_count(t) == in;
}

static void fill(struct item *it, size_t n, uint64_t (*hash)(size_t i, const char *k, size_t len))
{
	for (size_t i = 0; i < n; i++) {
		snprintf(it[i].key, sizeof it[i].key, "k%zu.example", i);
		it[i].len = strlen(it[i].key);
		it[i].in = false;
		it[i].hash = hash(i, it[i].key, it[i].len);
	}
}

static uint64_t good_hash(size_t i, const char *k, size_t len)
{
	(void)i;
	return dns_htab_hash(k, len, 16, 42);
}

static uint64_t same_hash(size_t i, const char *k, size_t len)
{
	(void)i, (void)k, (void)len;
	return 7; /* every key collides */
}

/* Home slots crowd the last slot of a 16-slot table: runs wrap to 0. */
static uint64_t wrap_hash(size_t i, const char *k, size_t len)
{
	(void)k, (void)len;
	return 14 + (i % 3);
}

/* A deterministic shuffle of inserts and removals checked against the model. */
static bool churn(struct item *it, size_t n, unsigned rounds)
{
	struct dns_htab t;
	unsigned r = 12345;
	bool ok = true;

	dns_htab_init(&t);
	for (unsigned k = 0; k < rounds && ok; k++) {
		size_t i;

		r = r * 1103515245u + 12345u;
		i = (r >> 8) % n;
		if (it[i].in) {
			ok = dns_htab_remove(&t, it[i].hash, &it[i]);
			it[i].in = false;
		} else {
			dns_htab_insert(&t, it[i].hash, &it[i]);
			it[i].in = true;
		}
		if (k % 97 == 0 || k + 1 == rounds)
			ok = ok && model_agrees(&t, it, n);
	}
	dns_htab_free(&t);
	return ok;
}

static void test_basic(void)
{
	struct dns_htab t;
	struct item a = {"a.example", 9, false, 0}, b = {"b.example", 9, false, 0};

	dns_htab_init(&t);
	a.hash = dns_htab_hash(a.key, a.len, 16, 1);
	b.hash = dns_htab_hash(b.key, b.len, 16, 1);
	tap_ok(dns_htab_find(&t, a.hash, item_eq, "a.example") == NULL,
	       "empty table finds nothing");
	tap_ok(!dns_htab_remove(&t, a.hash, &a), "empty table removes nothing");
	dns_htab_insert(&t, a.hash, &a);
	dns_htab_insert(&t, b.hash, &b);
	tap_ok(dns_htab_find(&t, a.hash, item_eq, "a.example") == &a, "a found");
	tap_ok(dns_htab_find(&t, b.hash, item_eq, "b.example") == &b, "b found");
	tap_ok(dns_htab_find(&t, a.hash, item_eq, "b.example") == NULL,
	       "b's key under a's hash is not found");
	tap_ok(dns_htab_find(&t, a.hash, NULL, &a) == &a, "identity lookup (eq NULL)");
	tap_ok(dns_htab_remove(&t, a.hash, &a) && !dns_htab_remove(&t, a.hash, &a),
	       "remove once, then absent");
	tap_ok(dns_htab_find(&t, b.hash, item_eq, "b.example") == &b && dns_htab_count(&t) == 1,
	       "b survives a's removal");
	dns_htab_free(&t);
	tap_is_int((long long)dns_htab_count(&t), 0, "free leaves an empty table");
	dns_htab_free(&t);
}

static void test_hash(void)
{
	char big[65536];
	uint64_t h1, h2;

	memset(big, 'a', sizeof big);
	big[1000] = '\0'; /* NUL inside the key: bytes, not a C string */
	h1 = dns_htab_hash(big, sizeof big, 16, 9);
	h2 = dns_htab_hash(big, sizeof big, 16, 9);
	tap_ok(h1 == h2, "64 KB key with a NUL hashes the same twice");
	tap_ok(dns_htab_hash("example.com", 11, 16, 9) != dns_htab_hash("example.com", 11, 1, 9),
	       "the tag (DNS type) changes the hash");
	tap_ok(dns_htab_hash("example.com", 11, 16, 9) != dns_htab_hash("example.com", 11, 16, 10),
	       "the seed changes the hash");
	tap_ok(dns_htab_hash("a", 1, 16, 9) != dns_htab_hash("a\0", 2, 16, 9),
	       "a trailing NUL byte changes the hash (length is hashed)");
	tap_ok(dns_htab_hash("", 0, 16, 9) == dns_htab_hash(NULL, 0, 16, 9),
	       "empty input needs no bytes");
}

int main(void)
{
	enum { N = 5000 };
	static struct item it[N];

	test_basic();
	test_hash();

	fill(it, N, good_hash);
	tap_ok(churn(it, N, 40000), "5000 keys, 40000 inserts/removals agree with the model");

	fill(it, 200, same_hash);
	tap_ok(churn(it, 200, 4000), "200 keys with one hash (total collision) agree");

	fill(it, 7, wrap_hash);
	tap_ok(churn(it, 7, 2000), "probe runs wrapping past the end agree");

	fill(it, N, good_hash);
	{
		struct dns_htab t;
		size_t found = 0;

		dns_htab_init(&t);
		for (size_t i = 0; i < N; i++)
			dns_htab_insert(&t, it[i].hash, &it[i]);
		for (size_t i = 0; i < N; i++)
			found += dns_htab_find(&t, it[i].hash, item_eq, it[i].key) == &it[i];
		tap_is_int((long long)found, N, "5000 entries all found after growth");
		for (size_t i = 0; i < N; i += 2)
			dns_htab_remove(&t, it[i].hash, &it[i]);
		found = 0;
		for (size_t i = 0; i < N; i++)
			found += dns_htab_find(&t, it[i].hash, item_eq, it[i].key) == &it[i];
		tap_is_int((long long)found, N / 2, "every other one removed: the rest found");
		dns_htab_free(&t);
	}
	return tap_done();
}
