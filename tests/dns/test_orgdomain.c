/*
 * tests/dns/test_orgdomain: organizational domains by the PSL, and the
 * book-memo variant, which must answer exactly as the plain one, hit or miss.
 */
#include <stdlib.h>
#include <string.h>
#include "dns/orgdomain.h"
#include "tests/lib/tap.h"

static const char *const names[] = {
    "mail.example.co.uk", "example.co.uk",  "co.uk",
    "foo.github.io",	  "a.b.x.test",	    "X.TEST.",
    "d000001.bench",	  "rua.esp3.bench", "_dmarc.a.example.com",
};

int main(void)
{
	struct dns_orgdomain *od = dns_orgdomain_new();
	struct dns_book *book = dns_book_new(8);
	char longname[400], *a, *b;
	bool same = true;

	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			enum mp_err ea = dns_orgdomain_get(od, names[i], &a);
			enum mp_err eb = dns_orgdomain_get_memo(od, book, names[i], &b);

			same &= ea == ERR_OK && eb == ERR_OK && strcmp(a, b) == 0;
			if (ea == ERR_OK)
				free(a);
			if (eb == ERR_OK)
				free(b);
		}
		tap_ok(same, "memo answers as the plain lookup (%s)",
		       round ? "second round, from the memo" : "first round");
	}
	tap_ok(dns_orgdomain_get_memo(od, book, "mail.example.co.uk", &b) == ERR_OK &&
		   strcmp(b, "example.co.uk") == 0,
	       "registrable domain under a two-label suffix");
	free(b);
	tap_ok(dns_orgdomain_get_memo(od, book, "", &b) == ERR_INVAL &&
		   dns_orgdomain_get_memo(od, book, "", &b) == ERR_INVAL,
	       "an unusable name fails, every time (errors are not remembered)");
	memset(longname, 'a', sizeof longname);
	for (size_t i = 60; i < sizeof longname; i += 61)
		longname[i] = '.';
	longname[sizeof longname - 1] = '\0';
	tap_ok(dns_orgdomain_get_memo(od, book, longname, &b) == ERR_INVAL,
	       "a name over 253 characters fails as in the plain lookup");
	longname[250] = '\0';
	tap_ok(dns_orgdomain_get(od, longname, &a) == ERR_OK &&
		   dns_orgdomain_get_memo(od, book, longname, &b) == ERR_OK && strcmp(a, b) == 0,
	       "a 250-character name");
	free(a);
	free(b);
	dns_book_free(book);
	dns_orgdomain_free(od);
	return tap_done();
}
