/*
 * tests/dns/test_cache: dns/cache on a fixed clock: expiry, the TTL cap,
 * what is never cached, LRU eviction, replacement.
 */
#include <stdio.h>
#include <string.h>
#include "dns/cache.h"
#include "tests/lib/tap.h"

static struct dns_answer *answer(enum dns_outcome o, const char *data)
{
	struct dns_answer *a =
	    dns_answer_new("x.example", DNS_T_TXT, o, o == DNS_TEMPFAIL ? "timeout" : NULL);

	if (data)
		dns_answer_add(a, data, strlen(data), 60, 0);
	return a;
}

static bool hit(struct dns_cache *c, const char *name, uint16_t type, uint64_t now,
		const char *data)
{
	uint32_t age;
	const struct dns_answer *a = dns_cache_get(c, name, type, now, &age);

	if (a == NULL)
		return false;
	return data == NULL || (a->n == 1 && strcmp(a->rr[0].data, data) == 0);
}

/* The _h entry points: keys are (bytes, length, type), the hash is the
 * caller's; a hash that lies finds nothing; a record that changes between
 * queries replaces the old one; a cleared cache is usable again. */
static void test_hashed(void)
{
	struct dns_cache *c = dns_cache_new_seeded(1000, 300, 99);
	static const char nul[] = "a\0b.example";
	uint64_t h = dns_cache_hash(c, "s.example", 9, DNS_T_TXT);
	uint64_t hn = dns_cache_hash(c, nul, sizeof nul - 1, DNS_T_TXT);
	const struct dns_answer *a;
	uint32_t age;

	tap_ok(dns_cache_put_h(c, "s.example", 9, DNS_T_TXT, h, answer(DNS_DATA, "one"), 60, 0),
	       "put_h");
	tap_ok(hit(c, "s.example", DNS_T_TXT, 1, "one"), "plain get finds a put_h entry");
	tap_ok(!hit(c, "s.example", DNS_T_A, 1, NULL), "same name, other type: miss");
	tap_ok(dns_cache_get_h(c, "s.example", 9, DNS_T_TXT, h ^ 1, 1, &age) == NULL,
	       "a wrong hash finds nothing");
	tap_ok(dns_cache_get_h(c, "s.examplex", 9, DNS_T_TXT, h, 1, &age) != NULL,
	       "only len bytes of the name count");
	tap_ok(
	    dns_cache_put_h(c, nul, sizeof nul - 1, DNS_T_TXT, hn, answer(DNS_DATA, "nul"), 60, 0),
	    "a name with a NUL byte is a key like any other");
	a = dns_cache_get_h(c, nul, sizeof nul - 1, DNS_T_TXT, hn, 1, &age);
	tap_ok(a && strcmp(a->rr[0].data, "nul") == 0 && !hit(c, "a", DNS_T_TXT, 1, NULL),
	       "found by its bytes, not by its C-string prefix");
	dns_cache_put(c, "s.example", DNS_T_TXT, answer(DNS_DATA, "two"), 60, 2);
	tap_ok(hit(c, "s.example", DNS_T_TXT, 3, "two") && dns_cache_size(c) == 2,
	       "the record changed between queries: the new answer replaces the old");
	for (int i = 0; i < 5000; i++) {
		char name[300];

		/* long names sharing a 240-byte prefix: only the tail differs */
		snprintf(name, sizeof name, "%0240d.%d.example", 0, i);
		dns_cache_put(c, name, DNS_T_A, answer(DNS_DATA, "x"), 60, 10);
	}
	tap_is_int((long long)dns_cache_size(c), 1000, "5000 long names into 1000 slots");
	tap_ok(hit(c,
		   "0000000000000000000000000000000000000000000000000000000000000000000000000"
		   "0000000000000000000000000000000000000000000000000000000000000000000000000"
		   "0000000000000000000000000000000000000000000000000000000000000000000000000"
		   "000000000000000000000.4999.example",
		   DNS_T_A, 11, "x"),
	       "the newest long name is found");
	dns_cache_clear(c);
	tap_ok(dns_cache_put_h(c, "s.example", 9, DNS_T_TXT, h, answer(DNS_DATA, "3"), 60, 20) &&
		   hit(c, "s.example", DNS_T_TXT, 21, "3"),
	       "usable again after clear");
	dns_cache_free(c);
}

int main(void)
{
	struct dns_cache *c = dns_cache_new(2, 300);
	struct dns_answer *t = answer(DNS_TEMPFAIL, NULL), *m = answer(DNS_MALFORMED, NULL);
	struct dns_answer *z = answer(DNS_DATA, "zero");
	uint32_t age = 0;

	tap_ok(dns_cache_put(c, "a.example", DNS_T_TXT, answer(DNS_DATA, "A"), 60, 1000), "put a");
	tap_ok(dns_cache_get(c, "a.example", DNS_T_TXT, 1000 + 59999, &age) && age == 59,
	       "live until its TTL, age in seconds");
	tap_ok(!hit(c, "a.example", DNS_T_TXT, 1000 + 60000, NULL), "gone at its TTL");
	tap_is_int((long long)dns_cache_size(c), 0, "expired entry dropped on lookup");

	tap_ok(!dns_cache_put(c, "t.example", DNS_T_TXT, t, 60, 0), "TEMPFAIL refused");
	tap_ok(!dns_cache_put(c, "m.example", DNS_T_TXT, m, 60, 0), "MALFORMED refused");
	tap_ok(!dns_cache_put(c, "z.example", DNS_T_TXT, z, 0, 0), "TTL 0 refused");
	dns_answer_free(t);
	dns_answer_free(m);
	dns_answer_free(z);

	tap_ok(dns_cache_put(c, "n.example", DNS_T_A, answer(DNS_NXDOMAIN, NULL), 3600, 0),
	       "NXDOMAIN kept");
	tap_ok(hit(c, "n.example", DNS_T_A, 299999, NULL), "capped TTL: live at 299.999 s");
	tap_ok(!hit(c, "n.example", DNS_T_A, 300000, NULL), "capped TTL: gone at max_ttl 300 s");
	tap_ok(!hit(c, "n.example", DNS_T_TXT, 0, NULL), "type is part of the key");

	dns_cache_put(c, "a.example", DNS_T_TXT, answer(DNS_DATA, "A"), 60, 0);
	dns_cache_put(c, "b.example", DNS_T_TXT, answer(DNS_DATA, "B"), 60, 0);
	tap_ok(hit(c, "a.example", DNS_T_TXT, 1, "A"), "a used last");
	dns_cache_put(c, "c.example", DNS_T_TXT, answer(DNS_DATA, "C"), 60, 2);
	tap_is_int((long long)dns_cache_size(c), 2, "cap of 2 entries held");
	tap_ok(!hit(c, "b.example", DNS_T_TXT, 3, NULL), "least recently used (b) evicted");
	tap_ok(hit(c, "a.example", DNS_T_TXT, 3, "A") && hit(c, "c.example", DNS_T_TXT, 3, "C"),
	       "a and c kept");
	dns_cache_put(c, "a.example", DNS_T_TXT, answer(DNS_DATA, "A2"), 60, 4);
	tap_ok(hit(c, "a.example", DNS_T_TXT, 5, "A2") && dns_cache_size(c) == 2,
	       "put replaces the entry for the same key");
	dns_cache_clear(c);
	tap_is_int((long long)dns_cache_size(c), 0, "clear empties");
	dns_cache_free(c);

	c = dns_cache_new(100, 300);
	for (int i = 0; i < 10000; i++) {
		char name[32];

		snprintf(name, sizeof name, "h%d.example", i);
		dns_cache_put(c, name, DNS_T_A, answer(DNS_DATA, name), 60, (uint64_t)i);
	}
	tap_is_int((long long)dns_cache_size(c), 100, "10000 puts into 100 slots: 100 held");
	tap_ok(hit(c, "h9999.example", DNS_T_A, 10000, "h9999.example") &&
		   !hit(c, "h0.example", DNS_T_A, 10000, NULL),
	       "newest kept, oldest gone");
	dns_cache_free(c);

	test_hashed();

	c = dns_cache_new(0, 300);
	z = answer(DNS_DATA, "x");
	tap_ok(!dns_cache_put(c, "x.example", DNS_T_TXT, z, 60, 0), "disabled cache keeps nothing");
	dns_answer_free(z);
	dns_cache_free(c);
	dns_cache_free(NULL);
	return tap_done();
}
