/*
 * dns/resolver: the asynchronous DNS resolver that answers the questions of
 * struct dns_book (c-ares 1.18; this is the only module that includes ares.h
 * and the only module that talks to the network for DNS).
 *
 * What it does: takes every question a book needs, sends it (IDNA-converted
 * by dns/name) to the configured servers, and puts a struct dns_answer into
 * the book when the reply arrives, keeping the five outcomes of dns/book.h
 * apart.  It follows CNAME chains itself (an authoritative server answers
 * only the CNAME when the target lives in a zone it does not serve), keeps a
 * small TTL-honouring cache shared by all books (positive and negative
 * answers, never TEMPFAIL or MALFORMED), coalesces identical questions in
 * flight, and holds a ceiling on queries per second and on queries in flight
 * (DESIGN.md 3: users point it at shared resolvers).  Thousands of books can
 * be in flight on one thread.
 *
 * What it does not: DNSSEC validation (no AD/DO), search lists, /etc/hosts,
 * retries beyond c-ares' own (tries per server), or any blocking call.
 *
 * Threads: a resolver is owned by one thread; every function must be called
 * from that thread (a c-ares 1.18 channel is not thread-safe).  Call
 * dns_resolver_library_init() once from main() before threads exist.
 *
 * Outcomes (see enum dns_outcome):
 *   DATA      records of the asked type at the name (or at the end of its
 *             CNAME chain: ans->cname then names the last target, also on
 *             NODATA and NXDOMAIN reached through a chain);
 *   NODATA    NOERROR without such records (RFC 2308 2.2);
 *   NXDOMAIN  RCODE 3 (RFC 6604: for a chain it speaks of the last name);
 *   TEMPFAIL  why = "timeout", "unreachable" (ICMP refused: nothing
 *             listens), "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP",
 *             "RCODE <n>", "referral" (a non-authoritative referral from a
 *             server that does not recurse), "CNAME loop", "CNAME chain too
 *             long" (more than 8 links, as tests/lib/fakezone.h), or a
 *             c-ares error text;
 *   MALFORMED why = "unparseable reply", "bad <TYPE> record", "too many
 *             records", or the dns/name reason for a name that cannot be
 *             asked (label > 63, name > 253, empty label, control bytes,
 *             invalid IDN): such a name is answered without any query.
 * A CNAME loop is TEMPFAIL, not MALFORMED, to match fakezone and what a
 * recursive resolver says about it (SERVFAIL): the zone is broken now, and
 * that is worth re-checking later rather than a verdict about the record.
 *
 * Records (struct dns_rr): A/AAAA raw 4/16 bytes; MX preference + exchange
 * ("." for a null MX, RFC 7505); TXT character-strings joined with nothing
 * between them (RFC 7208 3.3, RFC 6376 3.6.2.2), binary-safe, len says how
 * long; CNAME, PTR, NS names as text without the trailing dot (special
 * characters escaped as in RFC 1035 5.1); SOA as "mname rname serial refresh
 * retry expire minimum"; other types raw RDATA.  TTLs are per record (the
 * remaining TTL when served from the cache).  Records whose owner is neither
 * the asked name nor a link of its CNAME chain are ignored (RFC 2181 5.4.1:
 * a server may stuff anything into a reply).  A reply holds at most 64 KB
 * (TCP), so an answer is bounded; more than DNS_REPLY_MAX_RRS (1024) records
 * in the answer section make it MALFORMED.  Replies are read by dns/reply.
 */
#ifndef MAILPULSE_DNS_RESOLVER_H
#define MAILPULSE_DNS_RESOLVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "dns/book.h"

struct dns_resolver_opts {
	/*
	 * Servers as "host", "host:port", "[v6]" or "[v6]:port" (IP literals,
	 * no names).  n_servers == 0: the system's /etc/resolv.conf, or the
	 * file resolv_conf names (c-ares 1.18 reads addresses only there:
	 * port 53).  c-ares moves to the next server on a timeout or an
	 * unreachable one; a SERVFAIL or REFUSED reply is final
	 * (ARES_FLAG_NOCHECKRESP, reference/libraries.md 3.4).
	 */
	const char *const *servers;
	size_t n_servers;
	const char *resolv_conf; /* NULL: /etc/resolv.conf */
	unsigned timeout_ms;	 /* first try per server (0: 2000); c-ares doubles it per round */
	unsigned tries;		 /* rounds over all servers (0: 1) */
	unsigned max_qps;	 /* queries sent per second; 0 = unlimited (benchmarks) */
	unsigned max_in_flight;	 /* queries on the wire at once; 0 = unlimited */
	unsigned cache_entries;	 /* answers cached; 0 disables the cache */
	unsigned cache_max_ttl;	 /* seconds an answer may stay cached at most */
	unsigned cache_neg_ttl;	 /* NXDOMAIN/NODATA without an SOA: seconds cached */
};

/* Counters since dns_resolver_new() (for metrics and benchmarks). */
struct dns_resolver_stats {
	uint64_t questions;	 /* questions taken from books */
	uint64_t answers[5];	 /* answers put into books, indexed by enum dns_outcome */
	uint64_t queries_sent;	 /* queries handed to c-ares (CNAME follow-ups included) */
	uint64_t cache_hits;	 /* questions answered from the cache */
	uint64_t coalesced;	 /* questions that joined an identical query in flight */
	uint64_t queued;	 /* queries that waited for the qps ceiling or in-flight cap */
	uint64_t tcp_fallbacks;	 /* TCP connections opened: only to re-ask truncated replies */
	uint64_t cname_follows;	 /* follow-up queries for a CNAME target */
	uint64_t edns_off;	 /* gauge: 1 while c-ares has EDNS off on the channel */
	uint64_t channel_resets; /* channels replaced to get EDNS back (see resolver.c) */
	uint64_t in_flight;	 /* gauge: queries on the wire now */
	uint64_t waiting;	 /* gauge: queries waiting for the limiter now */
	uint64_t cache_size;	 /* gauge: answers in the cache now */
};

/* Defaults: servers from resolv.conf, 2000 ms, 2 tries, 200 qps, 256 in
 * flight, 10000 cache entries, max TTL 300 s (a monitor must notice DNS
 * changes within minutes), negative TTL without SOA 30 s. */
void dns_resolver_opts_init(struct dns_resolver_opts *opts);

/*
 * Process-wide c-ares set-up: call once from main() before any thread
 * starts (ares_library_init is not thread-safe).  ERR_IO on failure.
 */
enum mp_err dns_resolver_library_init(void) MP_WUR;
/* Counterpart of dns_resolver_library_init(); after every resolver is freed. */
void dns_resolver_library_cleanup(void);

struct dns_resolver;

/*
 * A new resolver with opts (copied; the strings too).  ERR_INVAL for a
 * server string that is not an IP literal with an optional port; ERR_IO
 * when c-ares cannot be set up.  *out is set only on success; free it with
 * dns_resolver_free().
 */
enum mp_err dns_resolver_new(const struct dns_resolver_opts *opts,
			     struct dns_resolver **out) MP_WUR;

/*
 * Stop everything and free the resolver (NULL is a no-op).  Queries in
 * flight are abandoned: books they were for are never touched again (their
 * questions stay in flight; the caller frees those books as it likes), and
 * pending ready callbacks are dropped.  Not from inside a ready callback.
 */
void dns_resolver_free(struct dns_resolver *res);

/*
 * Called when a book has no question left in flight with this resolver:
 * every question taken from it has its answer in the book, and the caller
 * can re-run the check.  Runs from dns_resolver_run_once() or
 * dns_resolver_process(), never from inside dns_resolver_submit().  The
 * callback may submit (this or other books), forget, or free the book (the
 * resolver holds no reference to it any more once the callback runs); it
 * must not call dns_resolver_run_once(), _process(), _run_sync() or _free().
 */
typedef void dns_resolver_ready_fn(void *arg, struct dns_book *book);

/*
 * Take every question book needs (dns_book_next_needed()) and start
 * answering them: from the cache, by joining an identical query in flight,
 * or by a new query (queued while the qps ceiling or in-flight cap says
 * wait).  Returns how many questions were taken; when 0, nothing happens and
 * no callback comes unless earlier questions are still in flight.  When the
 * book has nothing in flight any more, on_ready(arg, book) is called once
 * (the latest on_ready/arg given for this book wins; on_ready may be NULL).
 * The book is borrowed: it must stay alive until then, unless
 * dns_resolver_forget() is called first.
 */
size_t dns_resolver_submit(struct dns_resolver *res, struct dns_book *book,
			   dns_resolver_ready_fn *on_ready, void *arg);

/*
 * Abandon book: its questions' answers will never be put into it, its
 * callback never comes, and the caller may free it at once.  The queries
 * themselves continue (other books may share them; answers still fill the
 * cache).  A no-op for a book the resolver does not know.
 */
void dns_resolver_forget(struct dns_resolver *res, struct dns_book *book);

/* True while queries are in flight or queued, or callbacks are pending. */
bool dns_resolver_busy(const struct dns_resolver *res);

/*
 * Drive the resolver: wait at most max_wait_ms (0: do not block; -1: until
 * something happens) for replies, timeouts and the rate limiter, process
 * them, send queued queries and deliver ready callbacks.  Returns at once
 * when the resolver is not busy.  ERR_IO when poll() fails (not EINTR).
 */
enum mp_err dns_resolver_run_once(struct dns_resolver *res, int max_wait_ms) MP_WUR;

/*
 * For a caller's own poll loop (e.g. a DNS thread that also watches a
 * queue's eventfd).  dns_resolver_pollfds() fills fds[0..cap) with the
 * sockets to watch and returns how many there are (call again with a larger
 * array when that is more than cap).  dns_resolver_timeout() returns how
 * long poll() may sleep in ms (never more than max_wait_ms when that is >=
 * 0; -1 when nothing is pending).  After poll(), dns_resolver_process()
 * with the same fds (revents filled) does the rest; call it also when poll
 * timed out.
 */
size_t dns_resolver_pollfds(const struct dns_resolver *res, struct pollfd *fds, size_t cap);
int dns_resolver_timeout(struct dns_resolver *res, int max_wait_ms);
void dns_resolver_process(struct dns_resolver *res, const struct pollfd *fds, size_t n);

/*
 * Blocking convenience for the CLI and tests, the real-DNS twin of
 * fakezone_run(): run fn(arg) until it stops returning ERR_AGAIN, answering
 * book's questions between runs.  Other books' callbacks may run meanwhile.
 * Returns fn's last result, or ERR_IO if the event loop failed.
 */
enum mp_err dns_resolver_run_sync(struct dns_resolver *res, struct dns_book *book,
				  enum mp_err (*fn)(void *arg), void *arg) MP_WUR;

/* A copy of the counters. */
void dns_resolver_stats(const struct dns_resolver *res, struct dns_resolver_stats *out);

/* Drop every cached answer (e.g. on SIGHUP, or between benchmark rounds). */
void dns_resolver_cache_clear(struct dns_resolver *res);

#endif
