/* tests/dns/test_book: the question/answer book, its memo, and the fake zone driver. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "dns/book.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

struct two {
	struct dns_book *book;
	int runs;
	const struct dns_answer *a, *b;
};

/* Needs two answers, the second depending on the first (like an include). */
static enum mp_err two_step(void *arg)
{
	struct two *t = arg;
	enum mp_err e;

	t->runs++;
	e = dns_book_get(t->book, "Example.TEST.", DNS_T_TXT, &t->a);
	if (e != ERR_OK)
		return e;
	return dns_book_get(t->book, t->a->rr[0].data, DNS_T_A, &t->b);
}

static int memo_frees;

static void count_free(void *v)
{
	memo_frees++;
	free(v);
}

static const struct dns_book_memo_kind kind_a = {"test a", count_free};
static const struct dns_book_memo_kind kind_b = {"test b", count_free};

static int *new_int(int v)
{
	int *p = malloc(sizeof *p);

	*p = v;
	return p;
}

/* Put value v under key; true when the book took it (else it is freed here). */
static bool put_int(struct dns_book *b, const struct dns_book_memo_kind *k, const void *key,
		    size_t len, int v)
{
	int *p = new_int(v);

	if (dns_book_memo_put(b, k, key, len, p))
		return true;
	free(p);
	return false;
}

static int get_int(struct dns_book *b, const struct dns_book_memo_kind *k, const void *key,
		   size_t len)
{
	const int *p = dns_book_memo_get(b, k, key, len);

	return p ? *p : -1;
}

/* Keys that differ only in kind, in a NUL byte, in length, in case. */
static void memo_basics(void)
{
	struct dns_book *b = dns_book_new(4);
	int *dup = new_int(9);

	tap_ok(dns_book_memo_get(b, &kind_a, "k", 1) == NULL, "memo: empty memo has nothing");
	tap_ok(put_int(b, &kind_a, "k", 1, 1), "memo: put");
	tap_is_int(get_int(b, &kind_a, "k", 1), 1, "memo: get it back");
	tap_is_int(get_int(b, &kind_b, "k", 1), -1, "memo: another kind does not see it");
	tap_is_int(get_int(b, &kind_a, "K", 1), -1, "memo: keys are compared byte for byte");
	tap_ok(put_int(b, &kind_a, "a\0b", 3, 2) && put_int(b, &kind_a, "a\0c", 3, 3) &&
		   put_int(b, &kind_a, "a", 1, 4) && put_int(b, &kind_a, "", 0, 5),
	       "memo: keys with NUL bytes, a prefix, the empty key");
	tap_ok(get_int(b, &kind_a, "a\0b", 3) == 2 && get_int(b, &kind_a, "a\0c", 3) == 3 &&
		   get_int(b, &kind_a, "a", 1) == 4 && get_int(b, &kind_a, "", 0) == 5,
	       "memo: each gets its own value");
	tap_ok(!dns_book_memo_put(b, &kind_a, "k", 1, dup), "memo: a second value is refused");
	tap_is_int(get_int(b, &kind_a, "k", 1), 1, "memo: the first value stays");
	free(dup);
	tap_ok(!dns_book_memo_put(b, &kind_a, "n", 1, NULL), "memo: NULL value refused");
	memo_frees = 0;
	dns_book_free(b);
	tap_is_int(memo_frees, 5, "memo: the book frees every value it took, once");
}

/* Many entries (growth, probing), the entry cap, huge keys, the key-byte cap. */
static void memo_bounds(void)
{
	struct dns_book *b = dns_book_new(4);
	size_t big = (size_t)64 << 10, stored = 0;
	char key[32], *huge = malloc(big);
	bool all = true;

	for (int i = 0; i < DNS_BOOK_MEMO_MAX; i++) {
		int n = snprintf(key, sizeof key, "key-%d", i);

		all &= put_int(b, &kind_a, key, (size_t)n, i);
	}
	tap_ok(all, "memo: %d entries stored", DNS_BOOK_MEMO_MAX);
	for (int i = 0; i < DNS_BOOK_MEMO_MAX; i++) {
		int n = snprintf(key, sizeof key, "key-%d", i);

		all &= get_int(b, &kind_a, key, (size_t)n) == i;
	}
	tap_ok(all, "memo: every one found with its own value");
	tap_ok(!put_int(b, &kind_a, "one more", 8, 0), "memo: refused past DNS_BOOK_MEMO_MAX");
	memo_frees = 0;
	dns_book_free(b);
	tap_is_int(memo_frees, DNS_BOOK_MEMO_MAX, "memo: all freed");

	b = dns_book_new(4);
	memset(huge, 'x', big);
	for (size_t i = 0; i < 200; i++) {
		memcpy(huge, &i, sizeof i); /* 64 KB keys differing in their first bytes */
		if (!put_int(b, &kind_a, huge, big, (int)i))
			break;
		stored++;
	}
	tap_is_int((long long)stored, (long long)(DNS_BOOK_MEMO_KEY_BYTES / big),
		   "memo: 64 KB keys stored up to the key-byte cap, then refused");
	memcpy(huge, &(size_t){7}, sizeof(size_t));
	tap_is_int(get_int(b, &kind_a, huge, big), 7, "memo: a 64 KB key found");
	huge[big - 1] = 'y';
	tap_is_int(get_int(b, &kind_a, huge, big), -1, "memo: its last byte matters");
	dns_book_free(b);
	free(huge);
}

/* Names past the lookup's stack buffer take the heap path and still match. */
static void long_names(void)
{
	struct dns_book *b = dns_book_new(8);
	char up[301], low[301];
	const struct dns_answer *a;
	const char *name;
	uint16_t type;

	for (int i = 0; i < 300; i++) {
		up[i] = i % 4 == 2 ? '.' : (char)('A' + i % 26);
		low[i] = i % 4 == 2 ? '.' : (char)('a' + i % 26);
	}
	up[300] = low[300] = '\0';
	tap_ok(dns_book_get(b, up, DNS_T_TXT, &a) == ERR_AGAIN, "long name: asked");
	tap_ok(dns_book_get(b, low, DNS_T_TXT, &a) == ERR_AGAIN && dns_book_count(b) == 1,
	       "long name: the lower-case form is the same question");
	tap_ok(dns_book_next_needed(b, &name, &type) && strcmp(name, low) == 0,
	       "long name: handed out lower case");
	dns_book_put(b, dns_answer_new(up, DNS_T_TXT, DNS_NODATA, NULL));
	tap_ok(dns_book_get(b, low, DNS_T_TXT, &a) == ERR_OK && a->outcome == DNS_NODATA,
	       "long name: an answer under the upper-case name is filed");
	tap_ok(dns_book_get(b, "Short.Test", DNS_T_A, &a) == ERR_AGAIN &&
		   dns_book_get(b, "short.test", DNS_T_AAAA, &a) == ERR_AGAIN &&
		   dns_book_count(b) == 3,
	       "same name, another type: another question");
	dns_book_free(b);
	b = dns_book_new(8);
	tap_ok(dns_book_get(b, "abcdefghiJ.test", DNS_T_A, &a) == ERR_AGAIN &&
		   dns_book_get(b, "abcdefghij.test", DNS_T_A, &a) == ERR_AGAIN &&
		   dns_book_get(b, "ABCDEFGHIJ.TEST", DNS_T_A, &a) == ERR_AGAIN &&
		   dns_book_count(b) == 1,
	       "upper case past the first 8 bytes is folded");
	tap_ok(dns_book_get(b, "abcdefgh\xc1j.test", DNS_T_A, &a) == ERR_AGAIN &&
		   dns_book_get(b, "abcdefgh\xe1j.test", DNS_T_A, &a) == ERR_AGAIN &&
		   dns_book_count(b) == 3,
	       "bytes above 0x7f are not letters: not folded");
	dns_book_free(b);
}

int main(void)
{
	struct dns_book *book = dns_book_new(3);
	struct fakezone *z = fakezone_new();
	const struct dns_answer *a;
	const char *name;
	uint16_t type;
	struct two t = {0};

	tap_ok(dns_book_get(book, "a.test", DNS_T_TXT, &a) == ERR_AGAIN, "unknown question: again");
	tap_ok(dns_book_get(book, "A.test.", DNS_T_TXT, &a) == ERR_AGAIN, "same question, no dup");
	tap_ok(dns_book_next_needed(book, &name, &type) && strcmp(name, "a.test") == 0,
	       "needed question handed out, normalised");
	tap_ok(!dns_book_next_needed(book, &name, &type), "handed out once only");
	tap_is_int((long long)dns_book_in_flight(book), 1, "one in flight");
	dns_book_put(book, dns_answer_new("a.test", DNS_T_TXT, DNS_NXDOMAIN, NULL));
	tap_ok(dns_book_get(book, "a.test", DNS_T_TXT, &a) == ERR_OK && a->outcome == DNS_NXDOMAIN,
	       "answer kept");
	tap_is_int((long long)dns_book_in_flight(book), 0, "none in flight");
	tap_ok(dns_book_get(book, "b.test", DNS_T_A, &a) == ERR_AGAIN, "second question");
	tap_ok(dns_book_get(book, "c.test", DNS_T_A, &a) == ERR_AGAIN, "third question");
	tap_ok(dns_book_get(book, "d.test", DNS_T_A, &a) == ERR_LIMIT, "fourth over the cap");
	tap_is_int((long long)dns_book_count(book), 3, "three questions recorded");
	dns_book_free(book);
	book = dns_book_new(8);
	tap_ok(dns_book_get(book, "x..", DNS_T_TXT, &a) == ERR_OK && a->outcome == DNS_MALFORMED,
	       "a name with an empty label is answered malformed at once");
	tap_ok(dns_book_get(book, "a..b", DNS_T_TXT, &a) == ERR_OK && a->outcome == DNS_MALFORMED,
	       "an inner empty label too");
	tap_ok(!dns_book_next_needed(book, &name, &type), "nothing to ask for them");
	tap_ok(dns_book_get(book, "y.", DNS_T_TXT, &a) == ERR_AGAIN &&
		   dns_book_next_needed(book, &name, &type) && strcmp(name, "y") == 0,
	       "one trailing dot is dropped");
	dns_book_put(book, dns_answer_new(name, DNS_T_TXT, DNS_NODATA, NULL));
	tap_ok(dns_book_get(book, "Y.", DNS_T_TXT, &a) == ERR_OK && a->outcome == DNS_NODATA,
	       "answer under the handed-out name matches");
	dns_book_free(book);

	fakezone_add_txt(z, "example.test", "host.example.test");
	fakezone_add_cname(z, "host.example.test", "real.example.test");
	fakezone_add_addr(z, "real.example.test", "192.0.2.7");
	fakezone_add_cname(z, "loop1.test", "loop2.test");
	fakezone_add_cname(z, "loop2.test", "loop1.test");
	t.book = dns_book_new(16);
	tap_ok(fakezone_run(z, t.book, two_step, &t) == ERR_OK, "two-step check completes");
	tap_is_int(t.runs, 3, "run three times (two waits)");
	tap_ok(t.b && t.b->outcome == DNS_DATA && t.b->n == 1 &&
		   memcmp(t.b->rr[0].data, "\xc0\x00\x02\x07", 4) == 0,
	       "A followed through CNAME");
	tap_is_str(t.b ? t.b->cname : NULL, "real.example.test", "CNAME target recorded");
	tap_ok(dns_book_get(t.book, "loop1.test", DNS_T_A, &a) == ERR_AGAIN, "ask loop");
	fakezone_answer(z, t.book);
	tap_ok(dns_book_get(t.book, "loop1.test", DNS_T_A, &a) == ERR_OK &&
		   a->outcome == DNS_TEMPFAIL,
	       "CNAME loop is a temporary failure");
	tap_ok(dns_book_get(t.book, "nothere.example.test", DNS_T_A, &a) == ERR_AGAIN &&
		   fakezone_answer(z, t.book) == 1 &&
		   dns_book_get(t.book, "nothere.example.test", DNS_T_A, &a) == ERR_OK &&
		   a->outcome == DNS_NXDOMAIN,
	       "absent name is NXDOMAIN");
	tap_ok(dns_book_get(t.book, "example.test", DNS_T_MX, &a) == ERR_AGAIN &&
		   fakezone_answer(z, t.book) == 1 &&
		   dns_book_get(t.book, "example.test", DNS_T_MX, &a) == ERR_OK &&
		   a->outcome == DNS_NODATA,
	       "present name, other type is NODATA");
	dns_book_free(t.book);
	fakezone_free(z);
	long_names();
	memo_basics();
	memo_bounds();
	return tap_done();
}
