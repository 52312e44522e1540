/*
 * dns/reply: read one DNS reply message into a struct dns_answer.
 *
 * The resolver hands every reply c-ares gives it to dns_reply_read(), which
 * decides among the five outcomes of dns/book.h, follows the CNAME chain
 * inside the reply, decodes the records of the asked type (with TTLs) and
 * says when the chain stops at an alias whose target must be asked next.
 * It is the only module that uses glibc libresolv (ns_initparse(),
 * ns_parserr(), ns_name_uncompress()): c-ares 1.18 has no generic RR reader
 * and its TXT parser drops TTLs.  A pure function over bytes, fuzzed by
 * tests/fuzz/fuzz_dns_reply.c: any byte string gives an answer, never a
 * crash, and memory bounded by the reply's size.
 *
 * It does not send anything, cache anything, or check that the reply
 * belongs to the question (c-ares matches ID and question first).
 *
 * RFCs: 1035 3-4 (message format, 3.3.9 MX, 3.3.14 TXT, 3.3.13 SOA), 2181
 * 5.4.1 (data ranking: we take only owner names on the chain), 2181 8 (TTL
 * with the top bit set is 0), 2308 (negative answers and their TTL), 6604
 * (RCODE after CNAMEs), 7208 3.3 and 6376 3.6.2.2 (TXT strings joined).
 */
#ifndef MAILPULSE_DNS_REPLY_H
#define MAILPULSE_DNS_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/book.h"

/* Longest presentation-format name (RFC 1035 5.1 escapes), plus NUL. */
#define DNS_REPLY_NAME_BUFSZ 1025
/* CNAME links followed for one question (as tests/lib/fakezone.h). */
#define DNS_REPLY_MAX_CNAME 8
/* Records of the asked type kept from one reply; more is MALFORMED. */
#define DNS_REPLY_MAX_RRS 1024

/* The state of one question across the replies that answer it. */
struct dns_reply_chain {
	unsigned hops; /* CNAME links followed so far */
	/*
	 * Names on the chain (owned).  seen[0], the name first asked, is only
	 * copied out of qname at the first hop: most questions never meet a
	 * CNAME, and they then pay no allocation for it.
	 */
	char *seen[DNS_REPLY_MAX_CNAME + 1];
	uint32_t ttl;			  /* smallest TTL of those links */
	char qname[DNS_REPLY_NAME_BUFSZ]; /* presentation name asked now */
};

/* What to do after a reply. */
struct dns_reply_result {
	struct dns_answer *ans; /* the answer (owned by the caller), or NULL: ask qname again */
	uint32_t cache_ttl;	/* seconds ans may be cached (0: do not) */
};

/*
 * Start a chain for the ASCII name ascii (as dns_name_to_ascii() gives it):
 * its presentation form (RFC 1035 5.1: special characters escaped) goes to
 * chain->qname, the name to hand to c-ares and to compare owners with.
 * ERR_INVAL when ascii is not a valid name.
 */
enum mp_err dns_reply_chain_init(struct dns_reply_chain *chain, const char *ascii) MP_WUR;
/*
 * dns_reply_chain_init() for ascii[0..len) that is already known valid
 * (dns_name_valid(), e.g. dns_name_to_ascii() output): the resolver's hot
 * path skips checking it twice.  ascii need not be NUL-terminated.
 * ERR_INVAL only if libresolv refuses the name.
 */
enum mp_err dns_reply_chain_init_valid(struct dns_reply_chain *chain, const char *ascii,
				       size_t len) MP_WUR;
/* Free the chain's names (the chain may be freed again or re-initialised). */
void dns_reply_chain_free(struct dns_reply_chain *chain);

/*
 * Read the reply msg[0..len) to the question (chain->qname, type).  The
 * answer is built with name ans_name and type.  On return either
 * out->ans is the final answer, or out->ans is NULL and chain->qname holds
 * the CNAME target to ask next (the reply ended at an alias without data or
 * SOA for it: an authoritative server that does not host the target).
 * neg_ttl is the negative-caching TTL to use when no SOA tells one.
 */
void dns_reply_read(const unsigned char *msg, size_t len, uint16_t type,
		    struct dns_reply_chain *chain, const char *ans_name, uint32_t neg_ttl,
		    struct dns_reply_result *out);

#endif
