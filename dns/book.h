/*
 * dns/book: the per-check book of DNS questions and their answers.
 *
 * Every check in dns/ (SPF, DKIM, DMARC, MX, ...) is a pure function over a
 * book.  When it needs a record the book does not hold yet, dns_book_get()
 * returns ERR_AGAIN and records the question as needed; the check unwinds and
 * is simply run again once the driver (dns/posture's runner with the c-ares
 * resolver, or a fake zone in unit tests) has answered every needed question.
 * Answers never change once put, so a re-run is deterministic and sees the
 * same data the first run saw.  This keeps thousands of checks in flight on
 * one thread without callbacks inside the checks, makes every check
 * fuzzable without a network, and gives --explain its trace for free: the
 * book lists every question in the order it was first asked.
 *
 * Names are compared case-insensitively with one optional trailing dot
 * ignored.  A book holds at most max_queries distinct questions; past that
 * dns_book_get() fails with ERR_LIMIT (a runaway record cannot make us ask
 * thousands of questions).
 */
#ifndef MAILPULSE_DNS_BOOK_H
#define MAILPULSE_DNS_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/* The five DNS outcomes kept apart (STYLE.md 8, Postfix dns.h). */
enum dns_outcome {
	DNS_DATA,      /* one or more records of the asked type */
	DNS_NODATA,    /* the name exists but has no record of that type */
	DNS_NXDOMAIN,  /* the name does not exist */
	DNS_TEMPFAIL,  /* timeout, SERVFAIL, unreachable server, CNAME loop: ask again later */
	DNS_MALFORMED, /* unparseable answer, bad record data, a name that cannot be asked */
};

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
};

/* One resource record of the asked type. */
struct dns_rr {
	uint32_t ttl;
	uint16_t pref; /* MX preference; 0 otherwise */
	size_t len;    /* bytes at data, not counting the NUL added after them */
	/*
	 * TXT: the character-strings joined with nothing between them (RFC 7208
	 * 3.3, RFC 6376 3.6.2.2); may contain NUL bytes, so use len.
	 * A: 4 bytes, AAAA: 16 bytes, network order.
	 * MX exchange, PTR, CNAME, NS: the name as text, no trailing dot.
	 * Always followed by one extra NUL byte.
	 */
	char *data;
};

struct dns_answer {
	char *name; /* the name asked, as given */
	uint16_t type;
	enum dns_outcome outcome;
	char *cname; /* last name of a followed CNAME chain; NULL when none */
	char *why;   /* TEMPFAIL/MALFORMED: short reason ("timeout", "SERVFAIL"); else NULL */
	uint32_t elapsed_ms;
	size_t n;	   /* records (DNS_DATA only) */
	struct dns_rr *rr; /* n records */
};

struct dns_book;

/* New empty book that will hold at most max_queries questions; free with dns_book_free(). */
struct dns_book *dns_book_new(size_t max_queries);
void dns_book_free(struct dns_book *book);

/*
 * Ask (name, type).  ERR_OK: *out is the answer, borrowed until the book is
 * freed.  ERR_AGAIN: not answered yet; the question is now recorded as
 * needed.  ERR_LIMIT: the book is full, treat as a temporary failure.
 */
enum mp_err dns_book_get(struct dns_book *book, const char *name, uint16_t type,
			 const struct dns_answer **out) MP_WUR;

/*
 * For the driver: the next question that was needed but not yet handed out
 * (marked in flight by this call).  Returns false when there is none.
 * *name is borrowed until the book is freed.
 */
bool dns_book_next_needed(struct dns_book *book, const char **name, uint16_t *type);
/* Questions handed out by dns_book_next_needed() and not answered yet. */
size_t dns_book_in_flight(const struct dns_book *book);

/*
 * Store the answer to a question (the book takes ownership of ans; ans->name
 * and ans->type identify the question).  An answer to a question that is
 * already answered is freed and ignored.
 */
void dns_book_put(struct dns_book *book, struct dns_answer *ans);

/* Answers in the order the questions were first asked (for --explain). */
size_t dns_book_count(const struct dns_book *book);
/* The i-th question's answer, or NULL while unanswered; borrowed. */
const struct dns_answer *dns_book_at(const struct dns_book *book, size_t i, const char **name,
				     uint16_t *type);

/*
 * The memo: values computed from a book's answers (a parsed record, an
 * organizational domain), kept with the book so that the next run of a
 * check reuses them instead of computing them again.  Why: a check is
 * re-run from scratch each time answers arrive (SPF about 5 times per
 * domain), and re-parsing the same records was a large share of its cost.
 *
 * Sound because answers never change once put: a memo value MUST be a pure
 * function of its kind and its key bytes (e.g. the parse of exactly those
 * record bytes; an org domain for exactly that name with the one PSL the
 * book's checks use), so a run that finds it gets exactly what computing it
 * afresh would give.  Keys are compared byte for byte (they may hold NUL).
 *
 * Each module defines one static const struct dns_book_memo_kind per kind
 * of value; entries are told apart by the kind's address and the key.
 */
struct dns_book_memo_kind {
	const char *name;	   /* for debugging */
	void (*free)(void *value); /* frees a value when the book is freed */
};

/* Bounds on one book's memo; past them dns_book_memo_put() refuses. */
#define DNS_BOOK_MEMO_MAX 4096			  /* entries */
#define DNS_BOOK_MEMO_KEY_BYTES ((size_t)4 << 20) /* key bytes, all entries */

/*
 * The value remembered for (kind, key[0..len)), or NULL when there is
 * none.  The value is borrowed until the book is freed: do not change it.
 */
void *dns_book_memo_get(const struct dns_book *book, const struct dns_book_memo_kind *kind,
			const void *key, size_t len);

/*
 * Remember value for (kind, key[0..len)); the key is copied.  true: the
 * book owns value (kind->free frees it with the book) and the caller may
 * keep using it until then.  false: not stored (the memo is full, or the
 * key already has a value): the caller still owns value.
 */
bool dns_book_memo_put(struct dns_book *book, const struct dns_book_memo_kind *kind,
		       const void *key, size_t len, void *value) MP_WUR;

/* Helpers to build answers (used by the resolver and by fake zones). */
struct dns_answer *dns_answer_new(const char *name, uint16_t type, enum dns_outcome outcome,
				  const char *why);
/* Append one record (data copied, NUL appended). */
void dns_answer_add(struct dns_answer *ans, const void *data, size_t len, uint32_t ttl,
		    uint16_t pref);
void dns_answer_free(struct dns_answer *ans);

/* "TXT", "A", ... or "TYPE<n>"; buf must hold 12 bytes. */
const char *dns_type_name(uint16_t type, char buf[12]);
/* "data", "nodata", "nxdomain", "tempfail", "malformed". */
const char *dns_outcome_name(enum dns_outcome o);

#endif
