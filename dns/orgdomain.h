/*
 * dns/orgdomain: the RFC 7489 3.2 Organizational Domain by the Public Suffix
 * List.  The one module that includes libpsl.h (STYLE.md 6).
 *
 * What it does: loads the newest PSL on the machine (libpsl's built-in copy or
 * /usr/share/publicsuffix, whichever is newer: psl_latest()) once into a
 * context, and answers "what is the registrable domain of this name".  The
 * implicit `*` rule makes an unlisted TLD such as `test` a public suffix, so
 * `x.test` is its own organizational domain and `a.x.test` belongs to it.
 *
 * What it does not: the RFC 9989 DNS tree walk (dns/dmarc does that over
 * the book), or IDNA conversion (names arrive as A-labels).
 */
#ifndef MAILPULSE_DNS_ORGDOMAIN_H
#define MAILPULSE_DNS_ORGDOMAIN_H

#include "common/err.h"
#include "dns/book.h"

struct dns_orgdomain;

/*
 * Load the list.  Never NULL (libpsl always has its built-in copy).
 * Read-only afterwards, so one context may be shared by threads.
 * Free with dns_orgdomain_free().
 */
struct dns_orgdomain *dns_orgdomain_new(void);
void dns_orgdomain_free(struct dns_orgdomain *od);

/*
 * The organizational domain of domain (any case, optional trailing dot):
 * the registrable domain, lower case, no trailing dot.  A name that is
 * itself a public suffix (`co.uk`) is its own organizational domain.
 * ERR_OK: *out is set (caller frees).  ERR_INVAL: empty or unusable name.
 */
enum mp_err dns_orgdomain_get(const struct dns_orgdomain *od, const char *domain,
			      char **out) MP_WUR;

/*
 * dns_orgdomain_get() remembered in book's memo (dns/book.h), for checks
 * that run again and again over one book.  Why: libpsl costs about 6,000
 * instructions a name.  The memo key is od's address and the name, so od
 * must live at least as long as book (a list freed and another loaded at
 * the same address would be taken for it): pass a list shared for the
 * whole run, never one loaded for a single call.  Same results and
 * ownership as dns_orgdomain_get(); errors are not remembered.
 */
enum mp_err dns_orgdomain_get_memo(const struct dns_orgdomain *od, struct dns_book *book,
				   const char *domain, char **out) MP_WUR;

#endif
