/*
 * tests/lib/fakezone: an in-process DNS zone for fast unit tests (DESIGN.md 6:
 * fakes are for unit tests only; integration tests use NSD).
 *
 * Semantics follow an authoritative server plus a stub resolver: a name with
 * any record exists (NODATA for other types), an absent name is NXDOMAIN,
 * CNAMEs are followed inside the zone (at most 8 links; a loop is TEMPFAIL
 * "CNAME loop", as a recursive resolver's SERVFAIL), and a name marked
 * timeout answers TEMPFAIL "timeout" for every type it has no record of.
 */
#ifndef MAILPULSE_TESTS_FAKEZONE_H
#define MAILPULSE_TESTS_FAKEZONE_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/book.h"

struct fakezone;

struct fakezone *fakezone_new(void);
void fakezone_free(struct fakezone *z);
/* Raw record (data as in struct dns_rr). */
void fakezone_add(struct fakezone *z, const char *name, uint16_t type, const void *data, size_t len,
		  uint16_t pref);
void fakezone_add_txt(struct fakezone *z, const char *name, const char *text);
/* addr is dotted IPv4 or IPv6 text; aborts on a bad literal (test bug). */
void fakezone_add_addr(struct fakezone *z, const char *name, const char *addr);
void fakezone_add_mx(struct fakezone *z, const char *name, uint16_t pref, const char *host);
void fakezone_add_ptr(struct fakezone *z, const char *name, const char *target);
void fakezone_add_cname(struct fakezone *z, const char *name, const char *target);
/* Every type not published at name times out. */
void fakezone_set_timeout(struct fakezone *z, const char *name);
/* Make name exist with no records (an empty non-terminal). */
void fakezone_add_name(struct fakezone *z, const char *name);

/* Answer every question the book needs; returns how many were answered. */
size_t fakezone_answer(struct fakezone *z, struct dns_book *book);

/*
 * Run fn(arg) until it stops returning ERR_AGAIN, answering the book's
 * questions from the zone between runs.  Returns fn's last result
 * (ERR_AGAIN only if the zone could answer nothing new, a test bug).
 */
enum mp_err fakezone_run(struct fakezone *z, struct dns_book *book, enum mp_err (*fn)(void *arg),
			 void *arg);

#endif
