/*
 * dns/resolver: c-ares driven answers for struct dns_book (see resolver.h
 * for the contract and the outcomes).
 *
 * Shape: a question (ASCII name, type) becomes one struct query, found by
 * (name, type) in the `queries` hash map so that identical questions from
 * many books wait on the same query (each as a struct waiter).  A query goes to c-ares at
 * once or waits in a FIFO for the token bucket (max_qps) and the in-flight
 * cap.  dns/reply reads each reply (libresolv: c-ares 1.18 has no generic RR
 * reader and its TXT parser drops TTLs) and follows the CNAME chain inside
 * it; when the chain stops at an alias the query asks the target next.  The
 * final answer is cloned into every waiting book and kept as a template in
 * dns/cache.  Per book, a struct bookref counts questions in flight; when it
 * drops to zero the book goes on a ready list whose callbacks run after
 * c-ares processing, never inside it or inside dns_resolver_submit().
 *
 * Why the hot path is cheap (bench/README.md "bench/posture"): each
 * question's name is converted and hashed once (dns_cache_hash(), seeded
 * from getrandom()), and that hash finds the cache entry and the query in
 * flight (dns/htab: open addressing, no key strings, no tree walks);
 * queries and waiters come from free lists kept by the resolver; a waiter
 * borrows the book's own copy of the name (valid while the book is, and a
 * forgotten book is never touched again); answers are cloned only for live
 * books, with their record array allocated once.
 *
 * c-ares 1.18 notes (reference/libraries.md 3): ARES_FLAG_NOCHECKRESP so
 * SERVFAIL and REFUSED reach us as such instead of "connection refused";
 * ARES_FLAG_EDNS with 1232 bytes so UDP replies up to that size are not
 * treated as truncated; a truncated reply is re-asked over TCP by c-ares
 * itself (counted through the socket-creation callback).  c-ares clears
 * ARES_FLAG_EDNS on the whole channel, for good, after a FORMERR/NOTIMP
 * reply without OPT (seen in tests/dns/test_resolver_wire.c); we notice
 * (stats.edns_off) and swap in a fresh channel once this one is idle.
 * Query IDs come from c-ares' own generator, keyed from /dev/urandom
 * (CVE-2023-31147 only bites without it).
 *
 * RFCs: 1035 4.1.1 (RCODE), 2308 (negative caching), 6891 (EDNS); the reply
 * reading RFCs are listed in dns/reply.h.
 */
#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "dns/cache.h"
#include "dns/htab.h"
#include "dns/limiter.h"
#include "dns/name.h"
#include "dns/reply.h"
#include "dns/resolver.h"
#include "dns/servers.h"

#define EDNS_PAYLOAD 1232 /* RFC 6891 6.2.5; the DNS flag day 2020 value */
#define CLASS_IN 1	  /* RFC 1035 3.2.4 */

/* ---- state ---- */

struct bookref {
	struct dns_book *book; /* NULL once forgotten */
	uint64_t hash;	       /* dns_htab_hash_ptr() of the book: its key in res->books */
	dns_resolver_ready_fn *fn;
	void *arg;
	size_t pending; /* questions taken and not answered yet */
	bool dead;	/* forgotten: freed at pending == 0 && !ready */
	bool ready;	/* on a ready list */
	struct bookref *next_ready;
};

struct waiter {
	struct waiter *next; /* the query's waiters, or the free list */
	struct bookref *br;
	/* The name as the book asked it, borrowed from the book: read only
	 * while br->book is set (dns_resolver_forget() clears it). */
	const char *name;
};

struct query {
	struct dns_resolver *res;
	uint64_t hash; /* dns_cache_hash(ascii, type): cache and `queries` key */
	uint16_t type;
	size_t alen;
	uint64_t start_ms;
	struct waiter *waiters;
	struct query *next;	      /* limiter FIFO, or the free list */
	struct dns_reply_chain chain; /* chain.qname: what is asked now */
	char ascii[DNS_NAME_BUFSZ];   /* the name asked, wire text: the cache key */
};

struct watch {
	int fd;
	short events;
};

struct dns_resolver {
	ares_channel ch;
	struct dns_resolver_opts o; /* scalars only */
	struct watch *w;	    /* sockets c-ares wants watched */
	size_t nw, capw;
	struct pollfd *pbuf; /* run_once's poll array */
	size_t pcap;
	struct dns_htab queries; /* struct query by hash of (ascii, type) */
	struct dns_htab books;	 /* struct bookref by hash of the book pointer */
	uint64_t seed;		 /* for dns_htab_hash_ptr() */
	struct query *qfree;	 /* free lists: no malloc per question */
	struct waiter *wfree;
	struct dns_cache *cache;
	struct query *qhead, *qtail; /* waiting for the limiter */
	struct bookref *ready_head, *ready_tail;
	struct dns_limiter limiter; /* max_qps */
	bool destroying;
	char *csv;	   /* servers for c-ares, NULL: resolv.conf */
	char *resolv_conf; /* NULL: /etc/resolv.conf */
	struct dns_resolver_stats st;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void dns_resolver_opts_init(struct dns_resolver_opts *o)
{
	memset(o, 0, sizeof *o);
	o->timeout_ms = 2000;
	o->tries = 2;
	o->max_qps = 200;
	o->max_in_flight = 256;
	o->cache_entries = 10000;
	o->cache_max_ttl = 300;
	o->cache_neg_ttl = 30;
}

enum mp_err dns_resolver_library_init(void)
{
	return ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS ? ERR_OK : ERR_IO;
}

void dns_resolver_library_cleanup(void)
{
	ares_library_cleanup();
}

/* ---- sockets: c-ares tells us what to watch ---- */

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_resolver *res = data;
	short ev = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
	size_t i;

	for (i = 0; i < res->nw && res->w[i].fd != fd; i++)
		;
	if (ev == 0) {
		if (i < res->nw)
			res->w[i] = res->w[--res->nw];
		return;
	}
	if (i == res->nw) {
		if (res->nw == res->capw) {
			res->capw = res->capw ? res->capw * 2 : 8;
			res->w = xreallocarray(res->w, res->capw, sizeof *res->w);
		}
		res->w[res->nw++].fd = fd;
	}
	res->w[i].events = ev;
}

/* c-ares opens a TCP socket only to re-ask a truncated reply (no USEVC). */
static int sock_create_cb(ares_socket_t fd, int type, void *data)
{
	struct dns_resolver *res = data;

	(void)fd;
	if (type == SOCK_STREAM)
		res->st.tcp_fallbacks++;
	return ARES_SUCCESS;
}

/* ---- set-up ---- */

/* A fresh c-ares channel with our flags, callbacks and servers in *ch. */
static enum mp_err open_channel(struct dns_resolver *res, ares_channel *ch)
{
	struct ares_options ao;
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
		   ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_RCVBUF;
	char lookups[] = "b";

	memset(&ao, 0, sizeof ao);
	ao.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH;
	ao.timeout = res->o.timeout_ms ? (int)res->o.timeout_ms : 2000;
	ao.tries = res->o.tries ? (int)res->o.tries : 1;
	ao.ednspsz = EDNS_PAYLOAD;
	ao.sock_state_cb = sock_state_cb;
	ao.sock_state_cb_data = res;
	ao.lookups = lookups; /* never /etc/hosts */
	/*
	 * 1 MiB receive buffer: with hundreds of queries in flight the default
	 * (~212 KB) overflows and the kernel drops replies, each costing a retry
	 * after the first timeout (bench/README.md measured 100-500 drops a run).
	 */
	ao.socket_receive_buffer_size = 1 << 20;
	if (res->resolv_conf) {
		ao.resolvconf_path = res->resolv_conf;
		mask |= ARES_OPT_RESOLVCONF;
	}
	if (ares_init_options(ch, &ao, mask) != ARES_SUCCESS)
		return ERR_IO;
	ares_set_socket_callback(*ch, sock_create_cb, res);
	if (res->csv && ares_set_servers_ports_csv(*ch, res->csv) != ARES_SUCCESS) {
		ares_destroy(*ch);
		return ERR_INVAL;
	}
	return ERR_OK;
}

enum mp_err dns_resolver_new(const struct dns_resolver_opts *opts, struct dns_resolver **out)
{
	struct dns_resolver *res = xcalloc(1, sizeof *res);
	enum mp_err e = ERR_OK;

	res->o = *opts;
	res->o.servers = NULL;
	res->o.resolv_conf = NULL;
	res->resolv_conf = opts->resolv_conf ? xstrdup(opts->resolv_conf) : NULL;
	if (opts->n_servers > 0)
		e = dns_servers_csv(opts->servers, opts->n_servers, &res->csv);
	if (e == ERR_OK)
		e = open_channel(res, &res->ch);
	if (e != ERR_OK) {
		free(res->csv);
		free(res->resolv_conf);
		free(res);
		return e;
	}
	/* A secret hash seed: names come from DNS data anyone can publish. */
	if (getrandom(&res->seed, sizeof res->seed, GRND_NONBLOCK) != (ssize_t)sizeof res->seed)
		res->seed = now_ms() ^ (uint64_t)(uintptr_t)res;
	dns_htab_init(&res->queries);
	dns_htab_init(&res->books);
	res->cache = dns_cache_new_seeded(opts->cache_entries, opts->cache_max_ttl, res->seed);
	dns_limiter_init(&res->limiter, opts->max_qps, now_ms());
	*out = res;
	return ERR_OK;
}

/*
 * c-ares 1.18 turns ARES_FLAG_EDNS off for the whole channel after a
 * FORMERR (or NOTIMP) reply without OPT, and never back on: one broken
 * server would push every later reply over 512 bytes onto TCP.  When that
 * happened and the channel is idle, replace it with a fresh one.
 */
static void maybe_reset_channel(struct dns_resolver *res)
{
	ares_channel fresh;

	if (!res->st.edns_off || res->st.in_flight > 0 || res->qhead != NULL)
		return;
	if (open_channel(res, &fresh) != ERR_OK)
		return;	       /* keep the old one: correct, only slower */
	ares_destroy(res->ch); /* idle: no callbacks; its sockets leave res->w */
	res->ch = fresh;
	res->st.edns_off = 0;
	res->st.channel_resets++;
	log_info("dns", "channel-reset reason=edns-off");
}

/* ---- books ---- */

/* Bookrefs in res->books always have their book set (forget removes them). */
static bool bookref_eq(const void *item, const void *key)
{
	return ((const struct bookref *)item)->book == key;
}

static struct bookref *find_bookref(struct dns_resolver *res, struct dns_book *book, uint64_t hash)
{
	return dns_htab_find(&res->books, hash, bookref_eq, book);
}

static void free_bookref_if_done(struct bookref *br)
{
	if (br->dead && br->pending == 0 && !br->ready)
		free(br);
}

/* Put ans (an answer with outcome o) into the waiting book, or drop it
 * for a forgotten one; ans may be NULL only for a forgotten book. */
static void deliver(struct dns_resolver *res, struct bookref *br, struct dns_answer *ans,
		    enum dns_outcome o)
{
	res->st.answers[o]++;
	if (br->dead)
		dns_answer_free(ans);
	else
		dns_book_put(br->book, ans);
	br->pending--;
	if (br->pending > 0 || br->ready || br->dead) {
		free_bookref_if_done(br);
		return;
	}
	br->ready = true;
	br->next_ready = NULL;
	if (res->ready_tail)
		res->ready_tail->next_ready = br;
	else
		res->ready_head = br;
	res->ready_tail = br;
}

/* Run the callbacks of books that became ready, from a detached list:
 * callbacks may submit, forget and free books, and make new ones ready. */
static void deliver_ready(struct dns_resolver *res)
{
	struct bookref *br = res->ready_head, *next;

	res->ready_head = res->ready_tail = NULL;
	for (; br != NULL; br = next) {
		dns_resolver_ready_fn *fn = br->fn;
		struct dns_book *book = br->book;
		void *arg = br->arg;

		next = br->next_ready;
		br->ready = false;
		if (br->dead) {
			free_bookref_if_done(br);
			continue;
		}
		if (br->pending > 0)
			continue; /* submitted again since; it comes back later */
		dns_htab_remove(&res->books, br->hash, br);
		free(br);
		if (fn)
			fn(arg, book);
	}
}

void dns_resolver_forget(struct dns_resolver *res, struct dns_book *book)
{
	uint64_t hash = dns_htab_hash_ptr(book, res->seed);
	struct bookref *br = find_bookref(res, book, hash);

	if (br == NULL)
		return;
	dns_htab_remove(&res->books, hash, br);
	br->dead = true;
	br->book = NULL;
	free_bookref_if_done(br);
}

/*
 * A copy of tmpl for a book that asked name, TTLs lowered by age_s.  Built
 * field by field rather than through dns_answer_add(): the record array is
 * allocated once at its final size.  The layout is dns/book.h's, so
 * dns_answer_free() releases it.
 */
static struct dns_answer *clone_answer(const struct dns_answer *tmpl, const char *name,
				       uint32_t age_s, uint32_t elapsed_ms)
{
	struct dns_answer *a = xmalloc(sizeof *a);

	*a = (struct dns_answer){
	    .name = xstrdup(name),
	    .type = tmpl->type,
	    .outcome = tmpl->outcome,
	    .cname = tmpl->cname ? xstrdup(tmpl->cname) : NULL,
	    .why = tmpl->why ? xstrdup(tmpl->why) : NULL,
	    .elapsed_ms = elapsed_ms,
	    .n = tmpl->n,
	    .rr = tmpl->n ? xreallocarray(NULL, tmpl->n, sizeof *a->rr) : NULL,
	};
	for (size_t i = 0; i < tmpl->n; i++) {
		const struct dns_rr *rr = &tmpl->rr[i];

		a->rr[i] = *rr;
		a->rr[i].ttl = rr->ttl > age_s ? rr->ttl - age_s : 0;
		a->rr[i].data = xmemdup0(rr->data, rr->len);
	}
	return a;
}

/* Hand tmpl's outcome to br: a clone for a live book, nothing for a dead one. */
static void deliver_copy(struct dns_resolver *res, struct bookref *br, const char *name,
			 const struct dns_answer *tmpl, uint32_t age_s, uint32_t elapsed_ms)
{
	struct dns_answer *a = br->dead ? NULL : clone_answer(tmpl, name, age_s, elapsed_ms);

	deliver(res, br, a, tmpl->outcome);
}

/* ---- the limiter: dns/limiter's token bucket and the in-flight cap ---- */

static bool cap_full(const struct dns_resolver *res)
{
	return res->o.max_in_flight && res->st.in_flight >= res->o.max_in_flight;
}

/* True (and a token spent) when one more query may go out now. */
static bool can_send(struct dns_resolver *res)
{
	return !cap_full(res) && dns_limiter_take(&res->limiter, now_ms());
}

/* ---- queries ---- */

/* What a question is looked up by in res->queries. */
struct qkey {
	const char *ascii;
	size_t alen;
	uint16_t type;
};

static bool query_eq(const void *item, const void *key)
{
	const struct query *q = item;
	const struct qkey *k = key;

	return q->type == k->type && q->alen == k->alen && memcmp(q->ascii, k->ascii, k->alen) == 0;
}

/* A query for (ascii[0..alen), type) from the free list or the heap;
 * NULL when the name has no presentation form (not for converted names). */
static struct query *query_new(struct dns_resolver *res, const char *ascii, size_t alen,
			       uint16_t type, uint64_t hash, uint64_t now)
{
	struct query *q = res->qfree;

	if (q)
		res->qfree = q->next;
	else
		q = xmalloc(sizeof *q);
	q->res = res;
	q->hash = hash;
	q->type = type;
	q->alen = alen;
	q->start_ms = now;
	q->waiters = NULL;
	q->next = NULL;
	memcpy(q->ascii, ascii, alen + 1);
	if (dns_reply_chain_init_valid(&q->chain, q->ascii, alen) != ERR_OK)
		fatal("resolver: %s passed dns_name_to_ascii but not the chain", ascii);
	return q;
}

/*
 * Under AddressSanitizer the free lists are off: a recycled struct would hide
 * a use after free from it.  (gcc defines __SANITIZE_ADDRESS__, clang answers
 * __has_feature.)
 */
#if defined(__SANITIZE_ADDRESS__)
#define RESOLVER_RECYCLE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RESOLVER_RECYCLE 0
#endif
#endif
#ifndef RESOLVER_RECYCLE
#define RESOLVER_RECYCLE 1
#endif

static void query_free(struct query *q)
{
	struct dns_resolver *res = q->res;

	dns_reply_chain_free(&q->chain);
	if (!RESOLVER_RECYCLE) {
		free(q);
		return;
	}
	q->next = res->qfree;
	res->qfree = q;
}

static void waiter_free(struct dns_resolver *res, struct waiter *w)
{
	if (!RESOLVER_RECYCLE) {
		free(w);
		return;
	}
	w->next = res->wfree;
	res->wfree = w;
}

/* Only for teardown: release waiters without answering them. */
static void query_abandon(struct query *q)
{
	while (q->waiters) {
		struct waiter *w = q->waiters;

		q->waiters = w->next;
		w->br->pending--;
		free_bookref_if_done(w->br);
		waiter_free(q->res, w);
	}
	query_free(q);
}

static void on_reply(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

static void send_query(struct dns_resolver *res, struct query *q)
{
	res->st.queries_sent++;
	res->st.in_flight++;
	log_trace("dns", "query name=%s type=%u", q->chain.qname, (unsigned)q->type);
	/* May call on_reply() at once (and free q): q is not touched after. */
	ares_query(res->ch, q->chain.qname, CLASS_IN, q->type, on_reply, q);
}

static void send_or_queue(struct dns_resolver *res, struct query *q)
{
	if (res->qhead == NULL && can_send(res)) {
		send_query(res, q);
		return;
	}
	q->next = NULL;
	if (res->qtail)
		res->qtail->next = q;
	else
		res->qhead = q;
	res->qtail = q;
	res->st.queued++;
	res->st.waiting++;
}

/* Send what the limiter allows from the FIFO. */
static void pump(struct dns_resolver *res)
{
	while (res->qhead && can_send(res)) {
		struct query *q = res->qhead;

		res->qhead = q->next;
		if (res->qhead == NULL)
			res->qtail = NULL;
		res->st.waiting--;
		send_query(res, q);
	}
}

/* The answer is final: cache it, hand a copy to every waiting book. */
static void finish(struct dns_resolver *res, struct query *q, struct dns_answer *tmpl,
		   uint32_t cache_ttl)
{
	uint64_t now = now_ms();
	uint32_t elapsed = (uint32_t)(now - q->start_ms);
	bool cached;

	tmpl->elapsed_ms = elapsed;
	dns_htab_remove(&res->queries, q->hash, q);
	cached =
	    dns_cache_put_h(res->cache, q->ascii, q->alen, q->type, q->hash, tmpl, cache_ttl, now);
	res->st.cache_size = dns_cache_size(res->cache);
	while (q->waiters) {
		struct waiter *w = q->waiters;

		q->waiters = w->next;
		deliver_copy(res, w->br, w->name, tmpl, 0, elapsed);
		waiter_free(res, w);
	}
	if (!cached)
		dns_answer_free(tmpl);
	query_free(q);
}

/* An answer for a c-ares status that came without a reply packet. */
static struct dns_answer *status_answer(const struct query *q, int status)
{
	const char *name = q->ascii;

	switch (status) {
	case ARES_ETIMEOUT:
		return dns_answer_new(name, q->type, DNS_TEMPFAIL, "timeout");
	case ARES_ECONNREFUSED: /* ICMP port unreachable from every server */
		return dns_answer_new(name, q->type, DNS_TEMPFAIL, "unreachable");
	case ARES_ESERVFAIL:
		return dns_answer_new(name, q->type, DNS_TEMPFAIL, "SERVFAIL");
	case ARES_EREFUSED:
		return dns_answer_new(name, q->type, DNS_TEMPFAIL, "REFUSED");
	case ARES_EBADRESP:
		return dns_answer_new(name, q->type, DNS_MALFORMED, "unparseable reply");
	case ARES_EBADNAME:
		return dns_answer_new(name, q->type, DNS_MALFORMED, "bad name");
	case ARES_ENOMEM:
		fatal("c-ares: out of memory");
	default:
		return dns_answer_new(name, q->type, DNS_TEMPFAIL, ares_strerror(status));
	}
}

/* Did this FORMERR/SERVFAIL/NOTIMP reply make c-ares turn EDNS off? */
static void check_edns(struct dns_resolver *res, const unsigned char *abuf, int alen)
{
	struct ares_options so;
	int mask, rcode = alen >= 4 ? abuf[3] & 0x0f : 0;

	if (res->st.edns_off || (rcode != 1 && rcode != 2 && rcode != 4))
		return;
	if (ares_save_options(res->ch, &so, &mask) != ARES_SUCCESS)
		return;
	if (!(so.flags & ARES_FLAG_EDNS)) {
		res->st.edns_off = 1;
		log_warn("dns", "edns-off rcode=%d (c-ares dropped EDNS; channel reset when idle)",
			 rcode);
	}
	ares_destroy_options(&so);
}

static void on_reply(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct dns_resolver *res = q->res;
	struct dns_reply_result r;

	(void)timeouts;
	res->st.in_flight--;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED || res->destroying) {
		query_abandon(q);
		return;
	}
	if (abuf != NULL && alen > 0) {
		check_edns(res, abuf, alen);
		dns_reply_read(abuf, (size_t)alen, q->type, &q->chain, q->ascii,
			       res->o.cache_neg_ttl, &r);
	} else {
		r.ans = status_answer(q, status);
		r.cache_ttl = 0;
	}
	if (r.ans == NULL) {
		/* The reply stopped at an alias: ask its target (chain.qname). */
		res->st.cname_follows++;
		send_or_queue(res, q);
		return;
	}
	finish(res, q, r.ans, r.cache_ttl);
}

/* ---- submitting books ---- */

/* Start answering one question of br's book (name borrowed from it). */
static void ask(struct dns_resolver *res, struct bookref *br, const char *name, uint16_t type,
		uint64_t now)
{
	char ascii[DNS_NAME_BUFSZ];
	const struct dns_answer *hit;
	const char *why = "bad name";
	struct qkey k = {ascii, 0, type};
	struct query *q;
	struct waiter *w;
	uint64_t hash;
	uint32_t age;
	bool fresh = false;

	/* A name that cannot be asked is answered without a query. */
	if (dns_name_to_ascii(name, strlen(name), ascii, &why) != ERR_OK) {
		deliver(res, br, dns_answer_new(name, type, DNS_MALFORMED, why), DNS_MALFORMED);
		return;
	}
	k.alen = strlen(ascii);
	hash = dns_cache_hash(res->cache, ascii, k.alen, type);
	hit = dns_cache_get_h(res->cache, ascii, k.alen, type, hash, now, &age);
	res->st.cache_size = dns_cache_size(res->cache);
	if (hit) {
		res->st.cache_hits++;
		deliver_copy(res, br, name, hit, age, 0);
		return;
	}
	q = dns_htab_find(&res->queries, hash, query_eq, &k);
	if (q) {
		res->st.coalesced++;
	} else {
		q = query_new(res, ascii, k.alen, type, hash, now);
		dns_htab_insert(&res->queries, hash, q);
		fresh = true;
	}
	w = res->wfree;
	if (w)
		res->wfree = w->next;
	else
		w = xmalloc(sizeof *w);
	w->br = br;
	w->name = name;
	w->next = q->waiters;
	q->waiters = w;
	if (fresh)
		send_or_queue(res, q);
}

size_t dns_resolver_submit(struct dns_resolver *res, struct dns_book *book,
			   dns_resolver_ready_fn *on_ready, void *arg)
{
	uint64_t hash = dns_htab_hash_ptr(book, res->seed), now = now_ms();
	struct bookref *br = find_bookref(res, book, hash);
	const char *name;
	uint16_t type;
	size_t n = 0;

	if (br == NULL) {
		br = xcalloc(1, sizeof *br);
		br->book = book;
		br->hash = hash;
		dns_htab_insert(&res->books, hash, br);
	}
	br->fn = on_ready;
	br->arg = arg;
	while (dns_book_next_needed(book, &name, &type)) {
		n++;
		res->st.questions++;
		br->pending++;
		ask(res, br, name, type, now);
	}
	if (br->pending == 0 && !br->ready) {
		dns_htab_remove(&res->books, hash, br);
		free(br);
	}
	pump(res);
	return n;
}

/* ---- the event loop ---- */

bool dns_resolver_busy(const struct dns_resolver *res)
{
	return res->st.in_flight > 0 || res->qhead != NULL || res->ready_head != NULL;
}

size_t dns_resolver_pollfds(const struct dns_resolver *res, struct pollfd *fds, size_t cap)
{
	for (size_t i = 0; i < res->nw && i < cap; i++) {
		fds[i].fd = res->w[i].fd;
		fds[i].events = res->w[i].events;
		fds[i].revents = 0;
	}
	return res->nw;
}

static int min_wait(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

int dns_resolver_timeout(struct dns_resolver *res, int max_wait_ms)
{
	int t = max_wait_ms;
	struct timeval tv;

	if (res->ready_head)
		return 0;
	if (res->st.in_flight > 0 && ares_timeout(res->ch, NULL, &tv) != NULL) {
		long ms = tv.tv_sec * 1000L + (tv.tv_usec + 999) / 1000;

		t = min_wait(t, ms > 60000 ? 60000 : (int)ms);
	}
	if (res->qhead && !cap_full(res))
		t = min_wait(t, dns_limiter_wait_ms(&res->limiter, now_ms()));
	return t;
}

void dns_resolver_process(struct dns_resolver *res, const struct pollfd *fds, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		short ev = fds[i].revents;

		if (ev == 0 || (ev & POLLNVAL))
			continue;
		any = true;
		ares_process_fd(res->ch,
				ev & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd : ARES_SOCKET_BAD,
				ev & POLLOUT ? fds[i].fd : ARES_SOCKET_BAD);
	}
	/* No socket was ready: let c-ares handle timeouts and retries. */
	if (!any)
		ares_process_fd(res->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	pump(res);
	deliver_ready(res);
	maybe_reset_channel(res);
}

enum mp_err dns_resolver_run_once(struct dns_resolver *res, int max_wait_ms)
{
	size_t n;
	int t, rc;

	if (!dns_resolver_busy(res))
		return ERR_OK;
	n = dns_resolver_pollfds(res, res->pbuf, res->pcap);
	if (n > res->pcap) {
		res->pcap = n * 2;
		res->pbuf = xreallocarray(res->pbuf, res->pcap, sizeof *res->pbuf);
		n = dns_resolver_pollfds(res, res->pbuf, res->pcap);
	}
	t = dns_resolver_timeout(res, max_wait_ms);
	if (n == 0 && t < 0)
		t = 0; /* never sleep forever on nothing */
	rc = poll(res->pbuf, n, t);
	if (rc < 0) {
		if (errno != EINTR)
			return ERR_IO;
		for (size_t i = 0; i < n; i++)
			res->pbuf[i].revents = 0;
	}
	dns_resolver_process(res, res->pbuf, n);
	return ERR_OK;
}

enum mp_err dns_resolver_run_sync(struct dns_resolver *res, struct dns_book *book,
				  enum mp_err (*fn)(void *arg), void *arg)
{
	for (;;) {
		enum mp_err e = fn(arg);

		if (e != ERR_AGAIN)
			return e;
		if (dns_resolver_submit(res, book, NULL, NULL) == 0 &&
		    dns_book_in_flight(book) == 0)
			return e; /* nothing to ask: fn's bug, as in fakezone_run() */
		while (dns_book_in_flight(book) > 0)
			if (dns_resolver_run_once(res, -1) != ERR_OK)
				return ERR_IO;
	}
}

void dns_resolver_stats(const struct dns_resolver *res, struct dns_resolver_stats *out)
{
	*out = res->st;
}

void dns_resolver_cache_clear(struct dns_resolver *res)
{
	dns_cache_clear(res->cache);
	res->st.cache_size = 0;
}

static void free_item(void *item, void *arg)
{
	(void)arg;
	free(item);
}

void dns_resolver_free(struct dns_resolver *res)
{
	struct bookref *br, *next;

	if (res == NULL)
		return;
	res->destroying = true;
	/* Every query c-ares holds comes back with ARES_EDESTRUCTION. */
	ares_destroy(res->ch);
	while (res->qhead) {
		struct query *q = res->qhead;

		res->qhead = q->next;
		query_abandon(q);
	}
	for (br = res->ready_head; br; br = next) {
		next = br->next_ready;
		br->ready = false;
		free_bookref_if_done(br);
	}
	/* Queries went back to the free list through ares_destroy() and the
	 * FIFO walk above; the map only forgets them. */
	dns_htab_free(&res->queries);
	dns_htab_each(&res->books, free_item, NULL); /* the live bookrefs */
	dns_htab_free(&res->books);
	while (res->qfree) {
		struct query *q = res->qfree;

		res->qfree = q->next;
		free(q);
	}
	while (res->wfree) {
		struct waiter *w = res->wfree;

		res->wfree = w->next;
		free(w);
	}
	dns_cache_free(res->cache);
	free(res->csv);
	free(res->resolv_conf);
	free(res->w);
	free(res->pbuf);
	free(res);
}
