/* tests/dns/test_book: the question/answer book and the fake zone driver. */
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
	return tap_done();
}
