/*
 * dns/spf_record: selecting and parsing SPF records (RFC 7208 4.5, 4.6, 5,
 * 6, 12).
 *
 * What it does: picks the SPF record out of a TXT answer (4.5: "v=spf1"
 * followed by SP or the end, any case; more than one is a permerror for
 * the caller), and parses it strictly by the RFC 7208 12 ABNF into terms:
 * the mechanisms all include a mx ptr ip4 ip6 exists with their qualifier,
 * domain-spec (macro syntax and the domain-end rule checked here),
 * dual-cidr-length without leading zeros and validated IP literals; the
 * modifiers redirect= and exp= (each at most once, RFC 7208 6) and unknown
 * name=macro-string modifiers (kept, ignored by evaluation).  Records are
 * bytes with a length: a NUL byte is a syntax error, never an end.  Any
 * syntax error anywhere fails the whole record (RFC 7208 4.6).
 *
 * Hard caps keep hostile records cheap: DNS_SPF_RECORD_MAX bytes and
 * DNS_SPF_TERMS_MAX terms (the RFC sets neither; real records are well
 * under 2 KB, RFC 7208 3.4 advises 450 bytes).
 *
 * What it does not: no DNS, no macro expansion, no evaluation.  A pure
 * function, fuzzed by tests/fuzz/fuzz_spf_record.c.
 */
#ifndef MAILPULSE_DNS_SPF_RECORD_H
#define MAILPULSE_DNS_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"

#define DNS_SPF_RECORD_MAX 4096
#define DNS_SPF_TERMS_MAX 512

enum dns_spf_kind {
	/* mechanisms (RFC 7208 5) */
	DNS_SPF_ALL,
	DNS_SPF_INCLUDE,
	DNS_SPF_A,
	DNS_SPF_MX,
	DNS_SPF_PTR,
	DNS_SPF_IP4,
	DNS_SPF_IP6,
	DNS_SPF_EXISTS,
	/* modifiers (RFC 7208 6) */
	DNS_SPF_REDIRECT,
	DNS_SPF_EXP,
	DNS_SPF_UNKNOWN_MOD,
};

/* One term.  Every pointer is borrowed from the owning record's text. */
struct dns_spf_term {
	enum dns_spf_kind kind;
	char qualifier;	  /* mechanisms: '+' '-' '~' '?' ('+' when not written); modifiers: 0 */
	size_t pos;	  /* byte offset of the term in the record */
	const char *text; /* the term as written */
	size_t len;
	/*
	 * The domain-spec of include a mx ptr exists redirect exp, or the
	 * value of an unknown modifier; NULL when a, mx or ptr has none (they
	 * then use the current <domain>).  Never includes the CIDR suffix.
	 */
	const char *spec;
	size_t spec_len;
	const char *name; /* unknown modifier: its name; else NULL */
	size_t name_len;
	unsigned cidr4;	       /* a mx ip4: prefix length, 32 when absent */
	unsigned cidr6;	       /* a mx ip6: prefix length, 128 when absent */
	unsigned char net[16]; /* ip4: 4 bytes, ip6: 16 bytes */
};

struct dns_spf_record {
	char *text; /* owned copy of the record (NUL appended, may not hold one) */
	size_t len;
	struct dns_spf_term *terms; /* n terms, owned */
	size_t n;
	const struct dns_spf_term *redirect; /* NULL when absent; points into terms */
	const struct dns_spf_term *exp;	     /* NULL when absent; points into terms */
	bool has_all;			     /* an "all" mechanism is present */
};

/* Why a record did not parse. */
struct dns_spf_syntax {
	const char *reason; /* static English text */
	size_t pos;	    /* byte offset in the record */
	char term[100];	    /* the offending term, printable (\xHH escapes), maybe cut */
};

/* RFC 7208 4.5: true when [txt, txt+len) starts "v=spf1" (any case) then SP or ends. */
bool dns_spf_record_is_spf(const void *txt, size_t len);

/*
 * RFC 7208 4.5 selection over a TXT answer: returns how many of its records
 * are SPF records and sets *rr to the first one (NULL when none).  More
 * than one means permerror (RFC 7208 4.5), which the caller decides.
 */
size_t dns_spf_record_select(const struct dns_answer *ans, const struct dns_rr **rr);

/*
 * Parse one record.  ERR_OK: *out is a new record the caller frees with
 * dns_spf_record_free().  ERR_PARSE (syntax) or ERR_LIMIT (over a cap):
 * *why says what and where; *out is untouched.  why may be NULL.
 */
enum mp_err dns_spf_record_parse(const void *txt, size_t len, struct dns_spf_record **out,
				 struct dns_spf_syntax *why) MP_WUR;

/* Free a record and its terms; NULL is a no-op. */
void dns_spf_record_free(struct dns_spf_record *rec);

/* "all", "include", ..., "redirect", "exp", "modifier". */
const char *dns_spf_kind_name(enum dns_spf_kind kind);

/* RFC 7208 4.6.4: include a mx ptr exists and redirect cause DNS queries. */
bool dns_spf_kind_queries_dns(enum dns_spf_kind kind);

#endif
