/*
 * dns/txtrec: the lookup chores shared by the record checks (DKIM, DMARC,
 * MX, MTA-STS, TLS-RPT, BIMI): asking the book while tolerating a full book,
 * picking the records of one kind out of a TXT answer (RFC 7489 6.6.3 step 3,
 * RFC 8461 3.1, RFC 8460 3: records that do not start with the version tag
 * are discarded), turning a DNS failure into an `unknown` finding
 * (DESIGN.md 5: a timeout is never critical), and building names.
 *
 * What it does not: parse any record; the record modules do.
 */
#ifndef MAILPULSE_DNS_TXTREC_H
#define MAILPULSE_DNS_TXTREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/finding.h"

/* Records of one kind found in a TXT answer. */
struct dns_txtrec {
	size_t n_match;		    /* records starting with the version tag */
	const struct dns_rr *first; /* the first of them, or NULL; borrowed from the answer */
	size_t n_txt;		    /* all TXT records at the name */
};

/*
 * dns_book_get() that maps a full book (ERR_LIMIT) to a TEMPFAIL answer
 * ("too many DNS questions"), so checks need to handle only ERR_OK and
 * ERR_AGAIN.  *out is borrowed from the book (or static).
 */
enum mp_err dns_txtrec_get(struct dns_book *book, const char *name, uint16_t type,
			   const struct dns_answer **out) MP_WUR;

/*
 * True when the record [s, s+len) starts with `tag=value` (whitespace
 * allowed around '=', then the end, whitespace or ';').  The tag name is
 * matched exactly, the value exactly or ignoring case when icase.
 */
bool dns_txtrec_starts(const char *s, size_t len, const char *tag, const char *value, bool icase);

/* Select the records of a DATA answer that start with tag=value (see above). */
void dns_txtrec_select(const struct dns_answer *a, const char *tag, const char *value, bool icase,
		       struct dns_txtrec *out);

/*
 * True when a is TEMPFAIL or MALFORMED; then adds the finding
 * {check, "DNS_TEMPFAIL"|"DNS_MALFORMED", unknown} naming qname and saying
 * what could not be judged (what, e.g. "the DMARC policy").
 */
bool dns_txtrec_failed(struct dns_findings *f, const char *check, const char *qname, uint16_t type,
		       const struct dns_answer *a, const char *what);

/*
 * True when [s, s+n) is a plausible URI of scheme ("mailto" or "https"):
 * printable ASCII without spaces; mailto: needs local@domain, https: needs
 * "//" and a host.  Used for TLS-RPT and BIMI URIs.
 */
bool dns_txtrec_uri_ok(const char *s, size_t n, const char *scheme);

/* Plain words for a lookup outcome: "the name does not exist", ... */
const char *dns_txtrec_outcome_words(enum dns_outcome o);

/*
 * True when name (optional single trailing dot) is a name we may ask about:
 * 1 to 253 characters, labels of 1 to 63 bytes of printable ASCII other
 * than space (RFC 1035 2.3.4, RFC 2181 11).  Checks use it before turning
 * untrusted text (report addresses, MX exchanges) into questions.
 */
bool dns_txtrec_name_ok(const char *name);

/*
 * The domain in canonical form: lower case, no trailing dot.  Caller frees.
 */
char *dns_txtrec_canon(const char *domain);

/* "<prefix>.<domain>" (domain canonical).  Caller frees. */
char *dns_txtrec_name(const char *prefix, const char *domain);

/*
 * All TXT records of a DATA answer joined with " | " (for evidence); NULL
 * for other outcomes.  Caller frees; *lenp gets the length (may hold NULs).
 */
char *dns_txtrec_evidence(const struct dns_answer *a, size_t *lenp);

#endif
