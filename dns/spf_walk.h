/*
 * dns/spf_walk: the SPF budget walker for monitoring (not evaluation).
 *
 * What it does: from a domain, fetches its SPF record and follows every
 * include and redirect, whatever the client address, into a tree of
 * records.  Each term gets its cost in DNS-querying terms (RFC 7208 4.6.4:
 * include a mx ptr exists redirect cost 1, include and redirect also what
 * their target costs), so the status page can show which include costs
 * what; the walk goes on past 10 so the total is the real one.  It counts
 * the void lookups it can see (a, mx and exists targets without macros
 * that have no address or no MX; include and redirect targets that do not
 * exist), and marks terms whose target needs a client (macros such as
 * %{i} or %{s}) as unresolved: they still cost 1.  A redirect in a record
 * that has "all" is ignored, as RFC 7208 6.1 says, and costs nothing.
 *
 * Bounds: DNS_SPF_WALK_DEPTH levels, DNS_SPF_WALK_NODES records, the
 * book's question budget; an include or redirect back to a domain on the
 * current path is a loop: marked, not followed.
 *
 * Like every check it is a pure function over a struct dns_book: ERR_AGAIN
 * until the book holds every answer.  Independent questions (the terms of
 * one record, sibling includes) are all asked before waiting.
 *
 * What it does not: judge (dns/spf_posture turns the tree into findings),
 * evaluate for an address (dns/spf_eval).
 */
#ifndef MAILPULSE_DNS_SPF_WALK_H
#define MAILPULSE_DNS_SPF_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/spf_record.h"

#define DNS_SPF_WALK_DEPTH 10
#define DNS_SPF_WALK_NODES 100

enum dns_spf_node_status {
	DNS_SPF_NODE_OK,	   /* one record, parsed */
	DNS_SPF_NODE_MISSING,	   /* no v=spf1 record (no TXT, NXDOMAIN, or none is SPF) */
	DNS_SPF_NODE_MULTIPLE,	   /* more than one v=spf1 record (RFC 7208 4.5) */
	DNS_SPF_NODE_SYNTAX,	   /* the record does not parse */
	DNS_SPF_NODE_TEMPFAIL,	   /* the TXT lookup failed; see error */
	DNS_SPF_NODE_LOOP,	   /* the domain is already on the path: not followed */
	DNS_SPF_NODE_NOT_FOLLOWED, /* past the depth or record bound: not followed */
};

struct dns_spf_node;

/* One term of a walked record. */
struct dns_spf_wterm {
	char *text; /* the term as written */
	enum dns_spf_kind kind;
	char qualifier;		    /* '+' '-' '~' '?'; 0 for modifiers */
	unsigned cost;		    /* 1 for include a mx ptr exists redirect, plus child->cost */
	unsigned own_voids;	    /* void lookups of this term's own lookup (0 or 1) */
	bool unresolved;	    /* the target needs a client (macros): not looked up */
	bool ignored;		    /* a redirect in a record with "all" (RFC 7208 6.1) */
	bool tempfail;		    /* this term's own lookup failed */
	char *target;		    /* the name looked at, NULL when none or unresolved */
	char *note;		    /* a plain-words remark, or NULL */
	struct dns_spf_node *child; /* include or redirect target, else NULL */
};

/* One record (one domain) of the tree. */
struct dns_spf_node {
	char *domain;
	enum dns_spf_node_status status;
	enum dns_outcome txt_outcome; /* of the TXT question */
	/*
	 * The record, at most DNS_SPF_RECORD_MAX bytes of it (MULTIPLE: every
	 * SPF record, one per line, at most 16 KB); may hold any byte; NULL if none.
	 */
	char *record;
	size_t record_len;
	char *error; /* SYNTAX: reason at 'term'; TEMPFAIL, NOT_FOLLOWED: why; else NULL */
	bool has_all;
	struct dns_spf_wterm *terms;
	size_t n_terms;
	unsigned cost;	/* the sum of the terms' costs */
	unsigned voids; /* the void lookups of the terms, children included */
};

/* The whole walk.  Everything is owned by the tree. */
struct dns_spf_tree {
	struct dns_spf_node *root;
	unsigned total_lookups; /* root->cost: what one evaluation may need */
	unsigned total_voids;
	bool tempfail; /* some answer was a temporary failure: totals are a lower bound */
	bool loop;     /* an include or redirect loop was found */
	size_t nodes;  /* records walked */
};

/*
 * Walk the SPF tree of domain.  ERR_AGAIN until the book holds every
 * answer; ERR_OK with *tree a new tree (free with dns_spf_tree_free()).
 * Every DNS outcome, failure included, is described in the tree.
 */
enum mp_err dns_spf_walk(struct dns_book *book, const char *domain,
			 struct dns_spf_tree **tree) MP_WUR;

/* Free a tree; NULL is a no-op. */
void dns_spf_tree_free(struct dns_spf_tree *tree);

/* "ok", "missing", "multiple", "syntax", "tempfail", "loop", "not followed". */
const char *dns_spf_node_status_name(enum dns_spf_node_status s);

#endif
