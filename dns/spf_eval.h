/*
 * dns/spf_eval: the RFC 7208 check_host() function over a struct dns_book.
 *
 * What it does: evaluates the MAIL FROM or the HELO identity of a client
 * address (RFC 7208 2.3, 2.4, 4, 5, 6): record lookup and selection (4.4,
 * 4.5), the initial domain check (4.3: a malformed domain is "none"), the
 * mechanisms in order with include (5.2 table) and redirect (6.1) sharing
 * one budget of 10 DNS-querying terms (4.6.4, checked before the query, so
 * an 11th term is a permerror and is never asked), at most 2 void lookups
 * (4.6.4), at most 10 MX names (more is a permerror) and the first 10 PTR
 * names (the rest ignored), and exp= explanations for "fail" (6.2: any
 * trouble with exp= just means no explanation; a default can be given).
 *
 * Like every check in dns/ it is a pure function of its inputs and the
 * book: dns_spf_eval() returns ERR_AGAIN while the book lacks an answer it
 * needs (the question is recorded there); the caller lets the driver answer
 * and calls it again from scratch.
 *
 * DNS outcomes (dns/book.h): DATA is used; NXDOMAIN and NODATA are "no
 * records" and, for a term's own lookup, a void lookup (RFC 7208 4.6.4);
 * TEMPFAIL is temperror (RFC 7208 5, 4.4) except where the RFC says to skip
 * (PTR validation 5.5, the "p" macro 7.3, exp= 6.2).  MALFORMED (an answer
 * that cannot be read, a CNAME loop, a name the resolver will not send) is
 * the RFC's "some other error (RCODE other than 0 or 3)", so it is handled
 * exactly like TEMPFAIL: temperror, or skipped where TEMPFAIL is skipped.
 * Names the evaluator can tell are not DNS names (empty or >63-octet labels
 * after expansion) are never asked: a mechanism target that is not a DNS
 * name does not match, an include or redirect target gives "none" (so
 * permerror), following RFC 7208 4.3.  A full book (ERR_LIMIT) is temperror.
 *
 * What it does not: no network (the book's driver does that), no caching
 * beyond the book, no local policy, no "best guess".  The posture walk for
 * monitoring is dns/spf_walk.
 */
#ifndef MAILPULSE_DNS_SPF_EVAL_H
#define MAILPULSE_DNS_SPF_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/spf_ip.h"

/* RFC 7208 4.6.4 limits. */
#define DNS_SPF_MAX_DNS_TERMS 10
#define DNS_SPF_MAX_VOID 2
#define DNS_SPF_MAX_MX 10

/* The RFC 7208 2.6 results. */
enum dns_spf_verdict {
	DNS_SPF_NONE,
	DNS_SPF_NEUTRAL,
	DNS_SPF_PASS,
	DNS_SPF_FAIL,
	DNS_SPF_SOFTFAIL,
	DNS_SPF_TEMPERROR,
	DNS_SPF_PERMERROR,
};

/* Which identity is checked (RFC 7208 2.3, 2.4). */
enum dns_spf_identity {
	DNS_SPF_ID_MAILFROM, /* <domain> from the sender; null sender: postmaster@helo */
	DNS_SPF_ID_HELO,     /* <domain> is the HELO name, <sender> postmaster@helo */
};

struct dns_spf_request {
	enum dns_spf_identity identity;
	struct dns_spf_ip ip; /* the client; see dns_spf_ip_parse() */
	const char *sender;   /* MAIL FROM without <>; NULL or "" is the null sender */
	const char *helo;     /* HELO/EHLO name as sent; NULL means "" */
	const char *receiver; /* %{r} in explanations; NULL gives "unknown" */
	int64_t now;	      /* %{t} in explanations (seconds since the epoch) */
	/*
	 * Explanation for a "fail" whose record has no usable exp= (an
	 * explain-string, macros allowed; used verbatim if it does not parse).
	 * NULL: no explanation then.
	 */
	const char *default_explanation;
	bool hex_upper; /* see struct dns_spf_macro_ctx.hex_upper; false per RFC 7208 7.4 */
};

/* One line of the evaluation trace (for --explain and JSON). */
struct dns_spf_step {
	unsigned depth; /* 0 for the checked domain, +1 per include or redirect */
	char *domain;	/* the <domain> whose record holds the term */
	char *term;	/* the term as written, or "(record)" for the record lookup */
	char *action;	/* what was asked or compared, e.g. "A mail.example.com" */
	char *outcome;	/* e.g. "match", "no match", "void (nxdomain)", "temperror: timeout" */
};

/*
 * The answer.  Everything is owned by the struct and freed with
 * dns_spf_result_free(); strings may hold bytes from DNS and the request
 * (escape them when rendering).
 */
struct dns_spf_result {
	enum dns_spf_verdict verdict;
	char *domain;	       /* the <domain> checked */
	char *sender;	       /* the <sender> used (RFC 7208 4.3 substitutions applied) */
	char *reason;	       /* one line for people: why this verdict */
	char *mechanism;       /* the term that decided at the top level; NULL if none did */
	char *explanation;     /* RFC 7208 6.2, only for fail; NULL when none */
	unsigned dns_terms;    /* DNS-querying terms counted (RFC 7208 4.6.4) */
	unsigned void_lookups; /* void lookups counted */
	struct dns_spf_step *steps;
	size_t n_steps;
};

/*
 * Evaluate req over book.  ERR_AGAIN: the book lacks answers (now recorded
 * as needed); answer them and call again.  ERR_OK: *out is a new result
 * (every verdict, temperror and permerror included, is ERR_OK); free it
 * with dns_spf_result_free().  ERR_INVAL: req is unusable (no address).
 */
enum mp_err dns_spf_eval(struct dns_book *book, const struct dns_spf_request *req,
			 struct dns_spf_result **out) MP_WUR;

/* Free a result; NULL is a no-op. */
void dns_spf_result_free(struct dns_spf_result *res);

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror". */
const char *dns_spf_verdict_name(enum dns_spf_verdict v);

/*
 * RFC 7208 4.3 as applied to the identity's domain: true when name is a
 * usable multi-label domain name (labels 1-63 octets of letters, digits,
 * "-" or "_", at most 253 octets, one trailing dot allowed, top label not
 * all digits).  Exposed for the CLI and for tests.
 */
bool dns_spf_domain_ok(const char *name);

#endif
