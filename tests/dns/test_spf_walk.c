/*
 * tests/dns/test_spf_walk: the SPF budget walker: costs through nested
 * includes, voids, unresolved macros, loops, bounds and DNS failures.
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_walk.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

struct run {
	struct dns_book *book;
	const char *domain;
	struct dns_spf_tree *tree;
	int runs;
};

static enum mp_err run_walk(void *arg)
{
	struct run *r = arg;

	r->runs++;
	return dns_spf_walk(r->book, r->domain, &r->tree);
}

static struct dns_spf_tree *walk(struct fakezone *z, const char *domain, int *runs)
{
	struct run r = {.book = dns_book_new(512), .domain = domain};

	if (fakezone_run(z, r.book, run_walk, &r) != ERR_OK)
		fatal("walk did not complete");
	if (runs)
		*runs = r.runs;
	dns_book_free(r.book);
	return r.tree;
}

/* 3 nested includes, each with 3 a: terms (brief item 6). */
static void test_nested(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_spf_tree *t;
	const struct dns_spf_node *l1;
	int runs;

	fakezone_add_txt(z, "root.example.test",
			 "v=spf1 ip4:192.0.2.0/24 include:l1.example.test -all");
	fakezone_add_txt(z, "l1.example.test",
			 "v=spf1 a:x1.example.test a:x2.example.test "
			 "a:x3.example.test include:l2.example.test");
	fakezone_add_txt(z, "l2.example.test",
			 "v=spf1 a:y1.example.test a:y2.example.test "
			 "a:y3.example.test include:l3.example.test");
	fakezone_add_txt(z, "l3.example.test",
			 "v=spf1 a:z1.example.test a:z2.example.test "
			 "a:z3.example.test");
	for (char c = 'x'; c <= 'z'; c++)
		for (int i = 1; i <= 3; i++) {
			char name[32];

			snprintf(name, sizeof name, "%c%d.example.test", c, i);
			fakezone_add_addr(z, name, "198.51.100.1");
		}
	t = walk(z, "root.example.test", &runs);
	tap_is_int(t->total_lookups, 12, "total: 1 + (3 + 1 + (3 + 1 + 3)) = 12");
	tap_is_int(t->root->terms[0].cost, 0, "ip4 costs nothing");
	tap_is_int(t->root->terms[1].cost, 12, "include:l1 costs 1 + its record's 11");
	l1 = t->root->terms[1].child;
	tap_ok(l1 && l1->status == DNS_SPF_NODE_OK && l1->cost == 11, "l1 costs 11");
	tap_ok(l1 && l1->terms[3].child && l1->terms[3].child->cost == 7 &&
		   l1->terms[3].child->terms[3].child->cost == 3,
	       "l2 costs 7, l3 costs 3");
	tap_is_int(t->total_voids, 0, "no voids");
	tap_is_int((long long)t->nodes, 4, "4 records walked");
	/* One run per level, one for the last level's a: lookups, one that completes. */
	tap_ok(runs <= 6, "questions batched: %d runs for 4 levels", runs);
	tap_ok(t->root->record && strncmp(t->root->record, "v=spf1 ip4:", 11) == 0,
	       "raw record kept");
	dns_spf_tree_free(t);
	fakezone_free(z);
}

static void test_voids_and_macros(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_spf_tree *t;
	const struct dns_spf_wterm *w;

	fakezone_add_txt(z, "v.example.test",
			 "v=spf1 a:nx.example.test mx:nomx.example.test exists:nx.example.test "
			 "include:gone.example.test a:v6only.example.test a mx "
			 "exists:%{i}._spf.example.test include:_s.%{d} ptr -all");
	fakezone_add_addr(z, "v6only.example.test", "2001:db8::1");
	fakezone_add_name(z, "nomx.example.test");
	fakezone_add_addr(z, "v.example.test", "192.0.2.1");
	fakezone_add_mx(z, "v.example.test", 10, "mx.example.test");
	fakezone_add_txt(z, "_s.v.example.test", "v=spf1 ip4:192.0.2.0/24");
	t = walk(z, "v.example.test", NULL);
	w = t->root->terms;
	tap_ok(w[0].own_voids == 1 && w[0].note && strstr(w[0].note, "void"),
	       "a: NXDOMAIN is void");
	tap_ok(w[1].own_voids == 1, "mx: no MX is void");
	tap_ok(w[2].own_voids == 1, "exists: literal target without A is void");
	tap_ok(w[3].own_voids == 1 && w[3].child->status == DNS_SPF_NODE_MISSING,
	       "include of a name that does not exist is void");
	tap_ok(w[4].own_voids == 0, "a name with only AAAA is not void");
	tap_ok(w[5].own_voids == 0 && w[6].own_voids == 0, "a and mx of the domain resolve");
	tap_ok(w[7].unresolved && w[7].cost == 1 && w[7].target == NULL,
	       "exists:%%{i}...: unresolved, still costs 1");
	tap_ok(!w[8].unresolved && w[8].target && strcmp(w[8].target, "_s.v.example.test") == 0 &&
		   w[8].child && w[8].child->status == DNS_SPF_NODE_OK,
	       "include:_s.%%{d} is expanded with the domain");
	tap_ok(w[9].unresolved && w[9].cost == 1, "ptr: unresolved, costs 1");
	tap_is_int(t->total_voids, 4, "4 voids in total");
	tap_is_int(t->total_lookups, 10, "10 lookups in total");
	dns_spf_tree_free(t);
	fakezone_free(z);
}

static void test_loops(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_spf_tree *t;
	const struct dns_spf_node *b;

	fakezone_add_txt(z, "a.example.test", "v=spf1 include:b.example.test -all");
	fakezone_add_txt(z, "b.example.test", "v=spf1 include:A.Example.Test. ~all");
	fakezone_add_txt(z, "self.example.test", "v=spf1 ip4:192.0.2.1 redirect=self.example.test");
	fakezone_add_txt(z, "ign.example.test", "v=spf1 redirect=self.example.test -all");
	t = walk(z, "a.example.test", NULL);
	b = t->root->terms[0].child;
	tap_ok(t->loop && b && b->terms[0].child && b->terms[0].child->status == DNS_SPF_NODE_LOOP,
	       "include loop a -> b -> a is marked, not followed");
	tap_is_int(t->total_lookups, 2, "a loop costs each include once");
	dns_spf_tree_free(t);
	t = walk(z, "self.example.test", NULL);
	tap_ok(t->loop && t->root->terms[1].child->status == DNS_SPF_NODE_LOOP,
	       "redirect to self is a loop");
	dns_spf_tree_free(t);
	t = walk(z, "ign.example.test", NULL);
	tap_ok(!t->loop && t->root->terms[0].ignored && t->root->terms[0].cost == 0 &&
		   t->root->terms[0].child == NULL,
	       "redirect next to all is ignored (RFC 7208 6.1) and costs nothing");
	dns_spf_tree_free(t);
	fakezone_free(z);
}

static void test_bounds(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_spf_tree *t;
	const struct dns_spf_node *n;
	char name[32], rec[64];
	int depth = 0;

	for (int i = 0; i < 14; i++) {
		snprintf(name, sizeof name, "d%d.example.test", i);
		snprintf(rec, sizeof rec, "v=spf1 include:d%d.example.test", i + 1);
		fakezone_add_txt(z, name, rec);
	}
	t = walk(z, "d0.example.test", NULL);
	for (n = t->root; n->status == DNS_SPF_NODE_OK; n = n->terms[0].child)
		depth++;
	tap_ok(n->status == DNS_SPF_NODE_NOT_FOLLOWED && depth == DNS_SPF_WALK_DEPTH + 1,
	       "a chain of includes stops after %d levels (%s)", depth,
	       dns_spf_node_status_name(n->status));
	dns_spf_tree_free(t);
	/* 10 includes of 10 includes each: the record bound holds. */
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "f%d.example.test", i);
		fakezone_add_txt(z, name,
				 "v=spf1 include:f0.x.test include:f1.x.test "
				 "include:f2.x.test include:f3.x.test include:f4.x.test "
				 "include:f5.x.test include:f6.x.test include:f7.x.test "
				 "include:f8.x.test include:f9.x.test");
		snprintf(name, sizeof name, "f%d.x.test", i);
		fakezone_add_txt(z, name,
				 "v=spf1 include:f0.example.test include:f1.example.test "
				 "include:f2.example.test include:f3.example.test");
	}
	t = walk(z, "f0.example.test", NULL);
	tap_ok(t->nodes <= DNS_SPF_WALK_NODES, "fan-out bounded: %zu records walked", t->nodes);
	dns_spf_tree_free(t);
	fakezone_free(z);
}

static void test_failures(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_spf_tree *t;
	struct run r = {.book = dns_book_new(2), .domain = "full.example.test"};

	fakezone_add_txt(z, "t.example.test",
			 "v=spf1 include:slow.example.test a:slow2.example.test -all");
	fakezone_set_timeout(z, "slow.example.test");
	fakezone_set_timeout(z, "slow2.example.test");
	t = walk(z, "t.example.test", NULL);
	tap_ok(t->tempfail && t->root->terms[0].child->status == DNS_SPF_NODE_TEMPFAIL &&
		   t->root->terms[1].tempfail,
	       "timeouts are marked and the walk goes on");
	dns_spf_tree_free(t);
	t = walk(z, "nothing.example.test", NULL);
	tap_ok(t->root->status == DNS_SPF_NODE_MISSING && t->root->txt_outcome == DNS_NXDOMAIN,
	       "no record: missing");
	dns_spf_tree_free(t);
	fakezone_add_txt(z, "full.example.test", "v=spf1 a:h1.example.test a:h2.example.test -all");
	tap_ok(fakezone_run(z, r.book, run_walk, &r) == ERR_OK && r.tree->tempfail,
	       "a full book ends the walk with a temporary failure");
	dns_spf_tree_free(r.tree);
	dns_book_free(r.book);
	tap_is_str(dns_spf_node_status_name(DNS_SPF_NODE_NOT_FOLLOWED), "not followed",
		   "status name");
	fakezone_free(z);
}

/* A flat text of a tree, for comparing two walks. */
static void dump(const struct dns_spf_node *n, char *out, size_t size)
{
	size_t o = strlen(out);

	snprintf(out + o, size - o, "[%s %s %s cost=%u voids=%u", n->domain,
		 dns_spf_node_status_name(n->status), n->error ? n->error : "-", n->cost, n->voids);
	for (size_t i = 0; i < n->n_terms; i++) {
		const struct dns_spf_wterm *t = &n->terms[i];

		o = strlen(out);
		snprintf(out + o, size - o, " {%s %s %u %s %s}", t->text,
			 dns_spf_kind_name(t->kind), t->cost, t->target ? t->target : "-",
			 t->note ? t->note : "-");
		if (t->child)
			dump(t->child, out, size);
	}
	o = strlen(out);
	snprintf(out + o, size - o, "]");
}

struct twice {
	struct dns_book *book;
	struct dns_spf_tree *first, *second;
};

/* Walk once to completion, then again in the same book (every parse from the memo). */
static enum mp_err walk_twice(void *arg)
{
	struct twice *t = arg;
	enum mp_err e = dns_spf_walk(t->book, "top.example.test", &t->first);

	if (e != ERR_OK)
		return e;
	return dns_spf_walk(t->book, "top.example.test", &t->second);
}

/*
 * The parse memo (dns/book): a re-walk in the same book gives the same tree;
 * records with the same bytes at two names share a parse, different bytes
 * (the same name's record as another name sees it) do not; a syntax error
 * is remembered as one.
 */
static void test_memo(void)
{
	struct fakezone *z = fakezone_new();
	struct twice t = {.book = dns_book_new(512)};
	char a[8192] = "", b[8192] = "";
	const struct dns_spf_node *r;

	fakezone_add_txt(z, "top.example.test",
			 "v=spf1 include:c.example.test include:d.example.test "
			 "include:e.example.test include:f.example.test include:bad.example.test "
			 "-all");
	fakezone_add_txt(z, "c.example.test", "v=spf1 a:h.example.test -all");
	fakezone_add_txt(z, "d.example.test", "v=spf1 a:h.example.test -all");
	fakezone_add_txt(z, "e.example.test", "v=spf1 mx:h.example.test -all");
	fakezone_add_txt(z, "f.example.test", "v=spf1 a:h.example.test  -all");
	fakezone_add_txt(z, "bad.example.test", "v=spf1 a:h.example.test foo:bar");
	fakezone_add_addr(z, "h.example.test", "192.0.2.9");
	tap_ok(fakezone_run(z, t.book, walk_twice, &t) == ERR_OK && t.first && t.second,
	       "memo: walked twice in one book");
	if (t.first && t.second) {
		dump(t.first->root, a, sizeof a);
		dump(t.second->root, b, sizeof b);
		tap_is_str(b, a, "memo: the second walk gives the same tree");
		r = t.second->root;
		tap_ok(r->n_terms == 6 && r->terms[0].child && r->terms[2].child,
		       "memo: children present");
		if (r->n_terms == 6 && r->terms[0].child && r->terms[2].child &&
		    r->terms[3].child && r->terms[4].child) {
			tap_is_str(r->terms[1].child->terms[0].text, "a:h.example.test",
				   "memo: same bytes at two names, same terms");
			tap_is_str(r->terms[2].child->terms[0].text, "mx:h.example.test",
				   "memo: different bytes are parsed on their own");
			tap_is_int((long long)r->terms[3].child->n_terms, 2,
				   "memo: a record differing only in spacing is its own entry");
			tap_is_str(r->terms[4].child->error, "unknown mechanism at 'foo:bar'",
				   "memo: a syntax error is remembered as one");
		}
	}
	dns_spf_tree_free(t.first);
	dns_spf_tree_free(t.second);
	dns_book_free(t.book);
	fakezone_free(z);
}

/*
 * A record that changes between checks: a second answer put into the same
 * book is ignored (answers never change, so the memo stays right), and a
 * new book (the next check) sees the new record, not the old parse.
 */
static void test_changed_record(void)
{
	struct fakezone *z1 = fakezone_new(), *z2 = fakezone_new();
	struct run r = {.book = dns_book_new(64), .domain = "chg.example.test"};
	struct dns_spf_tree *again = NULL, *fresh;
	struct dns_answer *other;

	fakezone_add_txt(z1, "chg.example.test", "v=spf1 a:h.example.test -all");
	fakezone_add_txt(z2, "chg.example.test", "v=spf1 mx:h.example.test ~all");
	tap_ok(fakezone_run(z1, r.book, run_walk, &r) == ERR_OK, "changed: first check");
	other = dns_answer_new("chg.example.test", DNS_T_TXT, DNS_DATA, NULL);
	dns_answer_add(other, "v=spf1 -all", 11, 300, 0);
	dns_book_put(r.book, other); /* ignored: already answered */
	tap_ok(dns_spf_walk(r.book, "chg.example.test", &again) == ERR_OK && again &&
		   again->root->n_terms == 2 && again->root->terms[0].kind == DNS_SPF_A,
	       "changed: a later answer to the same question changes nothing in that book");
	dns_spf_tree_free(again);
	dns_spf_tree_free(r.tree);
	dns_book_free(r.book);
	fresh = walk(z2, "chg.example.test", NULL);
	tap_ok(fresh->root->n_terms == 2 && fresh->root->terms[0].kind == DNS_SPF_MX &&
		   fresh->root->terms[1].qualifier == '~',
	       "changed: the next check (a new book) sees the new record");
	dns_spf_tree_free(fresh);
	fakezone_free(z1);
	fakezone_free(z2);
}

int main(void)
{
	test_nested();
	test_voids_and_macros();
	test_loops();
	test_bounds();
	test_failures();
	test_memo();
	test_changed_record();
	return tap_done();
}
