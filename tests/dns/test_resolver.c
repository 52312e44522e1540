/*
 * tests/dns/test_resolver: dns/resolver against a real NSD on loopback
 * (DESIGN.md 6: at least one test per feature crosses the real wire).
 *
 * Starts two NSDs through tests/lib/nsd.sh: one serving the fixture zones
 * res.test and other.test plus a generated bulk.test (1000 names), one
 * serving a zone that does not load (SERVFAIL).  Also a silent port
 * (timeout) and a closed port (unreachable).  NSD missing is a failure, not
 * a skip: scripts/setup installs it.  Hostile replies NSD cannot produce
 * are in tests/dns/test_resolver_wire.c.  Wall-clock time is never
 * asserted; the limiter is checked through its counters.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "dns/book.h"
#include "dns/resolver.h"
#include "tests/lib/tap.h"

static char *dirs[4];
static size_t ndirs;

static void stop_servers(void)
{
	for (size_t i = 0; i < ndirs; i++) {
		char *cmd = xasprintf("sh '%s/tests/lib/nsd.sh' stop %s", tap_srcdir(), dirs[i]);

		if (system(cmd) != 0)
			fprintf(stderr, "could not stop %s\n", dirs[i]);
		free(cmd);
		free(dirs[i]);
	}
	ndirs = 0;
}

/* Run `nsd.sh CMD [DIR] ARGS` with env; the port it prints, or 0.  sub
 * names DIR under the test's temp dir (stopped at exit); NULL for none. */
static unsigned harness(const char *env, const char *cmd, const char *sub, const char *args)
{
	char *dir = sub ? xasprintf("'%s/%s'", tap_tmpdir(), sub) : xstrdup("");
	char *line = xasprintf("%s NSD_SH_OWNER=%ld sh '%s/tests/lib/nsd.sh' %s %s %s", env,
			       (long)getpid(), tap_srcdir(), cmd, dir, args);
	FILE *p = popen(line, "r");
	char buf[64] = "";
	unsigned port = 0;

	if (p && fgets(buf, sizeof buf, p) != NULL)
		port = (unsigned)strtoul(buf, NULL, 10);
	if (p == NULL || pclose(p) != 0)
		port = 0;
	if (sub)
		dirs[ndirs++] = dir;
	else
		free(dir);
	free(line);
	return port;
}

static void write_bulk_zone(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		fatal("cannot write %s", path);
	fprintf(f, "$ORIGIN bulk.test.\n$TTL 300\n"
		   "@ SOA ns.bulk.test. h.bulk.test. 1 3600 600 86400 60\n@ NS ns.bulk.test.\n");
	for (int i = 0; i < 1000; i++)
		fprintf(f, "h%d A 198.51.%d.%d\n", i, 100 + i / 250, i % 250);
	fclose(f);
}

static struct dns_resolver *resolver(unsigned port, unsigned timeout_ms, unsigned qps,
				     unsigned cache)
{
	struct dns_resolver_opts o;
	struct dns_resolver *r = NULL;
	char srv[64];
	const char *servers[] = {srv};

	snprintf(srv, sizeof srv, "127.0.0.1:%u", port);
	dns_resolver_opts_init(&o);
	o.servers = servers;
	o.n_servers = 1;
	o.timeout_ms = timeout_ms;
	o.tries = 1;
	o.max_qps = qps;
	o.cache_entries = cache;
	if (dns_resolver_new(&o, &r) != ERR_OK)
		fatal("dns_resolver_new failed for %s", srv);
	return r;
}

/* Ask one question in a fresh book; the answer (the book is kept in *bk). */
static const struct dns_answer *ask(struct dns_resolver *res, struct dns_book **bk,
				    const char *name, uint16_t type)
{
	const struct dns_answer *a = NULL;

	*bk = dns_book_new(8);
	for (int round = 0; round < 2; round++) {
		if (dns_book_get(*bk, name, type, &a) == ERR_OK)
			return a;
		dns_resolver_submit(res, *bk, NULL, NULL);
		while (dns_book_in_flight(*bk) > 0)
			if (dns_resolver_run_once(res, 1000) != ERR_OK)
				return NULL;
	}
	return NULL;
}

static struct dns_resolver_stats stats(const struct dns_resolver *res)
{
	struct dns_resolver_stats s;

	dns_resolver_stats(res, &s);
	return s;
}

/* outcome and why of (name, type), checked in one line each. */
static void expect(struct dns_resolver *res, const char *name, uint16_t type, enum dns_outcome o,
		   const char *why)
{
	struct dns_book *bk;
	const struct dns_answer *a = ask(res, &bk, name, type);
	char tb[12];
	const char *tn = dns_type_name(type, tb);

	tap_is_str(a ? dns_outcome_name(a->outcome) : "(none)", dns_outcome_name(o), "%s %s: %s",
		   name, tn, dns_outcome_name(o));
	if (why)
		tap_is_str(a ? a->why : NULL, why, "%s %s: why %s", name, tn, why);
	dns_book_free(bk);
}

static bool has_addr(const struct dns_answer *a, int af, const char *text)
{
	unsigned char b[16];
	size_t len = af == AF_INET ? 4 : 16;

	if (a == NULL || inet_pton(af, text, b) != 1)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->rr[i].len == len && memcmp(a->rr[i].data, b, len) == 0)
			return true;
	return false;
}

static void test_records(struct dns_resolver *res)
{
	struct dns_book *bk;
	const struct dns_answer *a;

	a = ask(res, &bk, "www.res.test", DNS_T_A);
	tap_ok(a && a->outcome == DNS_DATA && a->n == 2, "A: two records");
	tap_ok(has_addr(a, AF_INET, "192.0.2.1") && has_addr(a, AF_INET, "192.0.2.2"),
	       "A: both addresses, raw bytes");
	tap_ok(a && a->n && a->rr[0].ttl > 0 && a->rr[0].ttl <= 300, "A: TTL kept");
	tap_ok(a && a->cname == NULL && a->why == NULL, "A: no cname, no why");
	dns_book_free(bk);

	a = ask(res, &bk, "www.res.test", DNS_T_AAAA);
	tap_ok(a && a->n == 1 && has_addr(a, AF_INET6, "2001:db8::1"), "AAAA: 16 bytes");
	dns_book_free(bk);

	a = ask(res, &bk, "short.res.test", DNS_T_A);
	tap_ok(a && a->n == 1 && a->rr[0].ttl <= 60 && a->rr[0].ttl > 0, "per-record TTL 60");
	dns_book_free(bk);

	a = ask(res, &bk, "RES.test.", DNS_T_MX);
	tap_ok(a && a->outcome == DNS_DATA && a->n == 2, "MX: two records (upper case, dot)");
	for (size_t i = 0; a && i < a->n; i++) {
		const char *want = a->rr[i].pref == 10 ? "mx1.res.test" : "mx2.res.test";

		tap_is_str(a->rr[i].data, want, "MX pref %u exchange", a->rr[i].pref);
	}
	dns_book_free(bk);

	a = ask(res, &bk, "nullmx.res.test", DNS_T_MX);
	tap_ok(a && a->n == 1 && a->rr[0].pref == 0 && strcmp(a->rr[0].data, ".") == 0,
	       "null MX (RFC 7505) is \".\"");
	dns_book_free(bk);

	a = ask(res, &bk, "ptr.res.test", DNS_T_PTR);
	tap_ok(a && a->n == 1 && strcmp(a->rr[0].data, "www.res.test") == 0, "PTR name");
	dns_book_free(bk);

	a = ask(res, &bk, "res.test", DNS_T_NS);
	tap_ok(a && a->n == 1 && strcmp(a->rr[0].data, "ns.res.test") == 0, "NS name");
	dns_book_free(bk);

	a = ask(res, &bk, "res.test", DNS_T_SOA);
	tap_ok(a && a->n == 1 &&
		   strcmp(a->rr[0].data, "ns.res.test hostmaster.res.test 1 3600 600 86400 120") ==
		       0,
	       "SOA as text");
	dns_book_free(bk);

	a = ask(res, &bk, "Bücher.res.test.", DNS_T_A);
	tap_ok(has_addr(a, AF_INET, "192.0.2.7"), "a Unicode name is asked as its A-label");
	dns_book_free(bk);
}

static void test_txt(struct dns_resolver *res)
{
	struct dns_resolver_stats before = stats(res), after;
	struct dns_book *bk;
	const struct dns_answer *a;
	char want[1921];

	a = ask(res, &bk, "res.test", DNS_T_TXT);
	tap_ok(a && a->n == 1 && a->rr[0].len == 28 &&
		   memcmp(a->rr[0].data, "v=spf1 ip4:192.0.2.0/24 -all", 28) == 0,
	       "TXT: one record");
	dns_book_free(bk);

	a = ask(res, &bk, "split.res.test", DNS_T_TXT);
	tap_is_str(a && a->n == 1 ? a->rr[0].data : NULL, "v=spf1 ip4:198.51.100.0/24 -all",
		   "TXT strings joined with nothing between (RFC 7208 3.3)");
	dns_book_free(bk);

	a = ask(res, &bk, "nul.res.test", DNS_T_TXT);
	tap_ok(a && a->n == 1 && a->rr[0].len == 7 && memcmp(a->rr[0].data, "abc\0def", 7) == 0,
	       "TXT with a NUL byte keeps its 7 bytes");
	dns_book_free(bk);

	a = ask(res, &bk, "a@b.res.test", DNS_T_TXT);
	tap_ok(a && a->n == 1 && a->rr[0].len == 2 && memcmp(a->rr[0].data, "at", 2) == 0,
	       "a label with '@' (SPF %%{s}) is asked escaped and its owner matched");
	dns_book_free(bk);

	for (int i = 0; i < 8; i++)
		memset(want + 240 * i, 'a' + i, 240);
	want[1920] = '\0';
	a = ask(res, &bk, "big.res.test", DNS_T_TXT);
	tap_ok(a && a->outcome == DNS_DATA && a->n == 1, "1920-byte TXT: one record");
	tap_ok(a && a->n == 1 && a->rr[0].len == 1920 && memcmp(a->rr[0].data, want, 1920) == 0,
	       "1920-byte TXT: 8 strings joined in order");
	after = stats(res);
	tap_ok(after.tcp_fallbacks > before.tcp_fallbacks,
	       "1920-byte TXT came over TCP (truncated over UDP)");
	dns_book_free(bk);
}

static void test_negative(struct dns_resolver *res)
{
	expect(res, "www.res.test", DNS_T_TXT, DNS_NODATA, NULL);
	expect(res, "nothere.res.test", DNS_T_A, DNS_NXDOMAIN, NULL);
	expect(res, "b.res.test", DNS_T_A, DNS_NODATA, NULL); /* empty non-terminal */
	expect(res, "www.notserved.test", DNS_T_A, DNS_TEMPFAIL, "REFUSED");
}

static void test_cname(struct dns_resolver *res)
{
	struct dns_resolver_stats s0, s1;
	struct dns_book *bk;
	const struct dns_answer *a;

	a = ask(res, &bk, "alias.res.test", DNS_T_A);
	tap_ok(has_addr(a, AF_INET, "192.0.2.9") && a->n == 1,
	       "CNAME into another zone: target's A (chain in one reply)");
	tap_is_str(a ? a->cname : NULL, "www.other.test", "cname names the last target");
	dns_book_free(bk);

	a = ask(res, &bk, "inalias.res.test", DNS_T_A);
	tap_ok(a && a->n == 2 && a->cname && strcmp(a->cname, "www.res.test") == 0,
	       "CNAME in the same zone");
	dns_book_free(bk);

	a = ask(res, &bk, "alias.res.test", DNS_T_CNAME);
	tap_ok(a && a->n == 1 && strcmp(a->rr[0].data, "www.other.test") == 0 && !a->cname,
	       "a CNAME question gets the CNAME itself");
	dns_book_free(bk);

	expect(res, "loop1.res.test", DNS_T_A, DNS_TEMPFAIL, "CNAME loop");
	expect(res, "c0.res.test", DNS_T_A, DNS_TEMPFAIL, "CNAME chain too long");
	a = ask(res, &bk, "c2.res.test", DNS_T_A);
	tap_ok(has_addr(a, AF_INET, "192.0.2.10"), "8 links are followed");
	dns_book_free(bk);

	/* The alias alone: we must ask the target ourselves. */
	s0 = stats(res);
	expect(res, "ext.res.test", DNS_T_A, DNS_TEMPFAIL, "REFUSED");
	s1 = stats(res);
	tap_is_int((long long)(s1.cname_follows - s0.cname_follows), 1,
		   "alias without target data: target asked in a second query");
	tap_is_int((long long)(s1.queries_sent - s0.queries_sent), 2, "two queries sent");
	a = ask(res, &bk, "deleg.res.test", DNS_T_A);
	tap_is_str(a ? a->why : NULL, "referral", "target under a delegation: referral");
	tap_is_str(a ? a->cname : NULL, NULL, "no cname on a TEMPFAIL");
	dns_book_free(bk);
}

static void test_malformed_names(struct dns_resolver *res)
{
	struct dns_resolver_stats s0 = stats(res), s1;
	char label[200];

	snprintf(label, sizeof label, "%064d.res.test", 0);
	expect(res, label, DNS_T_A, DNS_MALFORMED, "label longer than 63 octets");
	expect(res, "a..res.test", DNS_T_A, DNS_MALFORMED, "empty label");
	expect(res, "sp ace.res.test", DNS_T_TXT, DNS_MALFORMED, "invalid character");
	expect(res, "\xf0\x9f\x91\x8d.res.test", DNS_T_A, DNS_MALFORMED, "not a valid IDN");
	s1 = stats(res);
	tap_is_int((long long)(s1.queries_sent - s0.queries_sent), 0,
		   "names that cannot be asked send no query");
	snprintf(label, sizeof label, "%063d.res.test", 0);
	expect(res, label, DNS_T_A, DNS_NXDOMAIN, NULL);
}

static void test_cache(unsigned port)
{
	struct dns_resolver *res = resolver(port, 2000, 0, 100);
	struct dns_resolver_stats s0, s1;
	struct dns_book *b1, *b2;
	const struct dns_answer *a1, *a2;

	a1 = ask(res, &b1, "www.res.test", DNS_T_A);
	s0 = stats(res);
	a2 = ask(res, &b2, "www.res.test.", DNS_T_A);
	s1 = stats(res);
	tap_is_int((long long)(s1.cache_hits - s0.cache_hits), 1, "cache: second ask is a hit");
	tap_is_int((long long)(s1.queries_sent - s0.queries_sent), 0, "cache: no query sent");
	tap_ok(a1 && a2 && a2->n == a1->n && a2->rr[0].ttl <= a1->rr[0].ttl &&
		   memcmp(a1->rr[0].data, a2->rr[0].data, 4) == 0,
	       "cache: same records, TTL not above the first");
	dns_book_free(b1);
	dns_book_free(b2);

	a1 = ask(res, &b1, "nothere.res.test", DNS_T_A);
	s0 = stats(res);
	a2 = ask(res, &b2, "nothere.res.test", DNS_T_A);
	s1 = stats(res);
	tap_ok(a2 && a2->outcome == DNS_NXDOMAIN && s1.cache_hits == s0.cache_hits + 1,
	       "cache: NXDOMAIN cached (RFC 2308)");
	dns_book_free(b1);
	dns_book_free(b2);

	a1 = ask(res, &b1, "www.notserved.test", DNS_T_A);
	s0 = stats(res);
	a2 = ask(res, &b2, "www.notserved.test", DNS_T_A);
	s1 = stats(res);
	tap_ok(a2 && a2->outcome == DNS_TEMPFAIL && s1.queries_sent == s0.queries_sent + 1,
	       "cache: TEMPFAIL never cached");
	dns_book_free(b1);
	dns_book_free(b2);
	tap_ok(s1.cache_size >= 2, "cache: size gauge counts entries");
	dns_resolver_cache_clear(res);
	a1 = ask(res, &b1, "www.res.test", DNS_T_A);
	tap_ok(a1 && stats(res).queries_sent == s1.queries_sent + 1, "cache_clear forgets");
	dns_book_free(b1);
	dns_resolver_free(res);

	res = resolver(port, 2000, 0, 0);
	a1 = ask(res, &b1, "www.res.test", DNS_T_A);
	a2 = ask(res, &b2, "www.res.test", DNS_T_A);
	tap_ok(a2 && stats(res).queries_sent == 2 && stats(res).cache_hits == 0,
	       "cache disabled: both asks go out");
	dns_book_free(b1);
	dns_book_free(b2);
	dns_resolver_free(res);
}

struct bulk {
	size_t ready;
};

static void on_ready(void *arg, struct dns_book *book)
{
	struct bulk *b = arg;

	(void)book;
	b->ready++;
}

/* n books asking h0..h<n-1>.bulk.test at once; all answered and correct. */
static void run_bulk(struct dns_resolver *res, size_t n, const char *what)
{
	struct dns_book **books = xcalloc(n, sizeof *books);
	struct bulk b = {0};
	size_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		char name[64];
		const struct dns_answer *a;

		snprintf(name, sizeof name, "h%zu.bulk.test", i);
		books[i] = dns_book_new(4);
		if (dns_book_get(books[i], name, DNS_T_A, &a) != ERR_AGAIN)
			fatal("fresh book answered");
		dns_resolver_submit(res, books[i], on_ready, &b);
	}
	while (dns_resolver_busy(res))
		if (dns_resolver_run_once(res, 1000) != ERR_OK)
			break;
	for (size_t i = 0; i < n; i++) {
		const struct dns_answer *a = dns_book_at(books[i], 0, NULL, NULL);
		unsigned char want[4] = {198, 51, (unsigned char)(100 + i / 250),
					 (unsigned char)(i % 250)};

		if (a && a->outcome == DNS_DATA && a->n == 1 && memcmp(a->rr[0].data, want, 4) == 0)
			ok++;
		dns_book_free(books[i]);
	}
	free(books);
	tap_is_int((long long)b.ready, (long long)n, "%s: every book's callback ran", what);
	tap_is_int((long long)ok, (long long)n, "%s: every answer right", what);
}

static void test_bulk(unsigned port)
{
	struct dns_resolver *res = resolver(port, 3000, 0, 0);
	struct dns_resolver_stats s;

	run_bulk(res, 1000, "1000 books in flight");
	s = stats(res);
	tap_ok(s.queued > 0, "in-flight cap (256) queued queries (%llu)",
	       (unsigned long long)s.queued);
	tap_ok(s.in_flight == 0 && s.waiting == 0, "nothing left in flight");
	tap_is_int((long long)s.answers[DNS_DATA], 1000, "1000 DATA answers counted");
	dns_resolver_free(res);

	/* 50 qps with a burst of 5: 40 questions must mostly wait. */
	res = resolver(port, 3000, 50, 0);
	run_bulk(res, 40, "qps ceiling");
	s = stats(res);
	tap_ok(s.queued >= 30, "qps ceiling queued %llu of 40 queries",
	       (unsigned long long)s.queued);
	tap_is_int((long long)s.queries_sent, 40, "qps ceiling: each question sent once");
	dns_resolver_free(res);
}

static void test_coalesce(unsigned port)
{
	struct dns_resolver *res = resolver(port, 2000, 0, 0);
	struct dns_book *b1 = dns_book_new(4), *b2 = dns_book_new(4);
	const struct dns_answer *a1 = NULL, *a2 = NULL;

	(void)!dns_book_get(b1, "mx1.res.test", DNS_T_A, &a1);
	(void)!dns_book_get(b2, "MX1.res.test.", DNS_T_A, &a2);
	dns_resolver_submit(res, b1, NULL, NULL);
	dns_resolver_submit(res, b2, NULL, NULL);
	while (dns_resolver_busy(res))
		if (dns_resolver_run_once(res, 1000) != ERR_OK)
			break;
	tap_ok(dns_book_get(b1, "mx1.res.test", DNS_T_A, &a1) == ERR_OK &&
		   dns_book_get(b2, "MX1.res.test.", DNS_T_A, &a2) == ERR_OK &&
		   has_addr(a1, AF_INET, "192.0.2.25") && has_addr(a2, AF_INET, "192.0.2.25"),
	       "coalesced: both books answered");
	tap_ok(stats(res).queries_sent == 1 && stats(res).coalesced == 1,
	       "coalesced: one query for two books");
	dns_book_free(b1);
	dns_book_free(b2);
	dns_resolver_free(res);
}

/* The re-run contract: a check that needs two rounds of questions. */
struct twostep {
	struct dns_book *book;
	int runs;
	size_t mx_addrs;
};

static enum mp_err twostep_run(void *arg)
{
	struct twostep *t = arg;
	const struct dns_answer *mx, *a;
	enum mp_err e = ERR_OK;

	t->runs++;
	t->mx_addrs = 0;
	if (dns_book_get(t->book, "res.test", DNS_T_MX, &mx) != ERR_OK)
		return ERR_AGAIN;
	for (size_t i = 0; i < mx->n; i++) {
		enum mp_err r = dns_book_get(t->book, mx->rr[i].data, DNS_T_A, &a);

		if (r == ERR_OK)
			t->mx_addrs += a->n;
		else
			e = r;
	}
	return e;
}

static void test_run_sync(unsigned port)
{
	struct dns_resolver *res = resolver(port, 2000, 200, 1000);
	struct twostep t = {dns_book_new(16), 0, 0};

	tap_is_int(dns_resolver_run_sync(res, t.book, twostep_run, &t), ERR_OK,
		   "run_sync: check finished");
	tap_is_int(t.runs, 3, "run_sync: MX round, A round, final run");
	tap_is_int((long long)t.mx_addrs, 2, "run_sync: both MX hosts resolved");
	dns_book_free(t.book);
	dns_resolver_free(res);
}

static void test_failures(unsigned servfail_port, unsigned silent_port, unsigned closed_port)
{
	struct dns_resolver *res = resolver(servfail_port, 2000, 0, 100);
	const struct dns_answer *a;
	struct dns_book *bk;
	struct bulk called = {0};

	expect(res, "www.broken.test", DNS_T_A, DNS_TEMPFAIL, "SERVFAIL");
	dns_resolver_free(res);

	res = resolver(silent_port, 200, 0, 100);
	expect(res, "www.res.test", DNS_T_A, DNS_TEMPFAIL, "timeout");
	tap_is_int((long long)stats(res).answers[DNS_TEMPFAIL], 1, "timeout counted as TEMPFAIL");
	/* A forgotten book may be freed at once; its query finishes alone. */
	bk = dns_book_new(4);
	(void)!dns_book_get(bk, "forgotten.res.test", DNS_T_A, &a);
	dns_resolver_submit(res, bk, on_ready, &called);
	dns_resolver_forget(res, bk);
	dns_book_free(bk);
	while (dns_resolver_busy(res))
		if (dns_resolver_run_once(res, 1000) != ERR_OK)
			break;
	tap_ok(called.ready == 0 && !dns_resolver_busy(res),
	       "forgotten book: no callback, no crash");
	/* Freed with a query in flight: no leak (valgrind and ASan check). */
	bk = dns_book_new(4);
	(void)!dns_book_get(bk, "inflight.res.test", DNS_T_A, &a);
	tap_is_int((long long)dns_resolver_submit(res, bk, NULL, NULL), 1,
		   "submit takes 1 question");
	tap_ok(dns_resolver_busy(res), "busy with a query in flight");
	dns_resolver_free(res);
	dns_book_free(bk);

	res = resolver(closed_port, 1000, 0, 100);
	expect(res, "www.res.test", DNS_T_A, DNS_TEMPFAIL, "unreachable");
	dns_resolver_free(res);
}

static void test_opts(void)
{
	const char *bad[] = {"not-an-ip", "127.0.0.1:0", "127.0.0.1:99999",
			     "[::1",	  "1.2.3.4:x",	 ""};
	const char *good[] = {"127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1", "[2001:db8::1]"};
	struct dns_resolver_opts o;
	struct dns_resolver *r;

	dns_resolver_opts_init(&o);
	o.n_servers = 1;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		o.servers = &bad[i];
		r = NULL;
		tap_is_int(dns_resolver_new(&o, &r), ERR_INVAL, "server '%s' refused", bad[i]);
		dns_resolver_free(r);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		o.servers = &good[i];
		r = NULL;
		tap_is_int(dns_resolver_new(&o, &r), ERR_OK, "server '%s' accepted", good[i]);
		dns_resolver_free(r);
	}
}

int main(void)
{
	char *zones, *bulk;
	unsigned port, sf_port, silent, closed;
	struct dns_resolver *res;

	alarm(300); /* a hung test fails instead of hanging make check */
	if (dns_resolver_library_init() != ERR_OK)
		fatal("ares_library_init failed");
	if (system("command -v nsd >/dev/null 2>&1 || test -x /usr/sbin/nsd") != 0) {
		tap_ok(false, "nsd is installed (run scripts/setup: Debian package nsd)");
		return tap_done();
	}
	bulk = xasprintf("%s/bulk.test.zone", tap_tmpdir());
	atexit(stop_servers);
	write_bulk_zone(bulk);
	zones = xasprintf("'%s/tests/fixtures/zones/resolver' '%s'", tap_srcdir(), bulk);
	port = harness("", "start", "nsd-main", zones);
	free(zones);
	zones = xasprintf("'%s/tests/fixtures/zones/resolver/broken'", tap_srcdir());
	sf_port = harness("NSD_SH_ALLOW_BAD_ZONES=1", "start", "nsd-broken", zones);
	free(zones);
	silent = harness("", "silent", "silent", "");
	closed = harness("", "freeport", NULL, "");
	if (!tap_ok(port && sf_port && silent && closed,
		    "servers started (nsd %u, broken %u, "
		    "silent %u, closed %u)",
		    port, sf_port, silent, closed))
		return tap_done();

	res = resolver(port, 2000, 0, 1000);
	test_records(res);
	test_txt(res);
	test_negative(res);
	test_cname(res);
	test_malformed_names(res);
	dns_resolver_free(res);
	test_cache(port);
	test_coalesce(port);
	test_bulk(port);
	test_run_sync(port);
	test_failures(sf_port, silent, closed);
	test_opts();
	free(bulk);
	dns_resolver_library_cleanup();
	return tap_done();
}
