/*
 * dns/spf_posture: SPF findings from the walked tree, see spf_posture.h.
 *
 * One function per finding family.  Texts are for a founder, not an SPF
 * expert: say what breaks for whom, then exactly what to publish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "dns/spf_eval.h"
#include "dns/spf_posture.h"

#define CHECK "spf"

struct judge {
	const struct dns_spf_tree *tree;
	struct dns_findings *out;
	const char *domain;
	bool has_mx; /* the domain has an MX (for the SPF_MISSING fix) */
	unsigned tempfails;
	const char *tempfail_name; /* the first failed name and why */
	const char *tempfail_why;
};

/* The node's record rebuilt with its first "all" replaced by `all` (appended if none). */
static char *record_with_all(const struct dns_spf_node *n, const char *all)
{
	struct buf b;
	bool put = false;

	common_buf_init(&b, 2 * DNS_SPF_RECORD_MAX);
	if (common_buf_puts(&b, "v=spf1") != ERR_OK)
		fatal("spf_posture: buffer");
	for (size_t i = 0; i < n->n_terms; i++) {
		const char *text = n->terms[i].text;

		if (n->terms[i].kind == DNS_SPF_ALL) {
			if (put)
				continue; /* a second all is never reached: drop it */
			text = all;
			put = true;
		}
		if (dns_finding_buf_printf(&b, " %s", text) != ERR_OK)
			fatal("spf_posture: buffer");
	}
	if (!put && dns_finding_buf_printf(&b, " %s", all) != ERR_OK)
		fatal("spf_posture: buffer");
	return common_buf_steal(&b, NULL);
}

static void add(struct judge *j, const char *code, enum dns_sev sev, const char *fix,
		const struct dns_spf_node *evidence, const char *msg)
{
	dns_findings_add(j->out, CHECK, code, sev, fix, evidence ? evidence->record : NULL,
			 evidence ? evidence->record_len : 0, "%s", msg);
}

static void missing(struct judge *j)
{
	char *msg =
	    dns_finding_fmt("%s has no SPF record. Receivers cannot check which servers may "
			    "send its mail, so forged mail is easier and real mail is more "
			    "likely to be rejected or sent to spam.",
			    j->domain);
	char *fix = j->has_mx
			? dns_finding_fmt("Publish one TXT record at %s: \"v=spf1 mx -all\". It "
					  "allows your MX hosts; add include:<provider> for every "
					  "service that sends mail as %s, e.g. \"v=spf1 mx "
					  "include:_spf.google.com -all\".",
					  j->domain, j->domain)
			: dns_finding_fmt("If %s sends no mail, publish one TXT record at %s: "
					  "\"v=spf1 -all\". If it does, list its senders, e.g. "
					  "\"v=spf1 include:_spf.google.com -all\".",
					  j->domain, j->domain);

	add(j, "SPF_MISSING", SEV_CRITICAL, fix, NULL, msg);
	free(msg);
	free(fix);
}

/* How a non-root node is reached, for messages: " (included by x)". */
static char *reached(const struct dns_spf_node *parent, const struct dns_spf_wterm *via)
{
	if (parent == NULL)
		return xstrdup("");
	return dns_finding_fmt(
	    " (%s %s)", via->kind == DNS_SPF_INCLUDE ? "included by" : "the redirect target of",
	    parent->domain);
}

static void multiple(struct judge *j, const struct dns_spf_node *n,
		     const struct dns_spf_node *parent, const struct dns_spf_wterm *via)
{
	char *how = reached(parent, via);
	char *msg =
	    dns_finding_fmt("%s%s publishes more than one SPF record. Only one is allowed (RFC "
			    "7208 4.5): receivers return a permanent error (permerror), so SPF "
			    "fails for every message that depends on it.",
			    n->domain, how);

	add(j, "SPF_MULTIPLE", SEV_CRITICAL,
	    "Merge them into one TXT record that starts with v=spf1 and lists every sender, then "
	    "delete the others.",
	    n, msg);
	free(how);
	free(msg);
}

static void syntax(struct judge *j, const struct dns_spf_node *n, const struct dns_spf_node *parent,
		   const struct dns_spf_wterm *via)
{
	char *how = reached(parent, via);
	char *msg =
	    dns_finding_fmt("The SPF record of %s%s has an error: %s. Receivers treat the whole "
			    "record as broken (permerror), so SPF fails for every message that "
			    "depends on it.",
			    n->domain, how, n->error);
	char *fix =
	    parent == NULL
		? xstrdup("Correct or remove that term and publish the record again. Valid "
			  "terms are ip4:, ip6:, a, mx, include:, exists:, redirect=, exp= and "
			  "all, separated by single spaces.")
		: dns_finding_fmt(
		      "If you manage %s, correct that term; otherwise remove %s from the "
		      "record of %s and ask the provider.",
		      n->domain, via->text, parent->domain);

	add(j, "SPF_SYNTAX", SEV_CRITICAL, fix, n, msg);
	free(how);
	free(msg);
	free(fix);
}

static void include_no_spf(struct judge *j, const struct dns_spf_node *parent,
			   const struct dns_spf_wterm *via, const struct dns_spf_node *n)
{
	bool inc = via->kind == DNS_SPF_INCLUDE;
	char *msg = dns_finding_fmt(
	    "The SPF record of %s %s %s, which has no SPF record%s. Every check "
	    "that reaches %s ends in a permanent error (permerror), and SPF fails.",
	    parent->domain, inc ? "includes" : "redirects to", n->domain,
	    n->txt_outcome == DNS_NXDOMAIN ? " (the name does not exist)" : "", via->text);
	char *fix =
	    inc ? dns_finding_fmt("Remove %s from the record of %s, or correct the name (your "
				  "provider's documentation gives the include to use).",
				  via->text, parent->domain)
		: dns_finding_fmt("Point redirect= at a domain that publishes an SPF record, or "
				  "replace %s with the mechanisms you need.",
				  via->text);

	add(j, "SPF_INCLUDE_NO_SPF", SEV_CRITICAL, fix, parent, msg);
	free(msg);
	free(fix);
}

static void pass_all(struct judge *j, const struct dns_spf_node *n,
		     const struct dns_spf_node *parent, const struct dns_spf_wterm *via)
{
	char *msg, *fix, *rec;

	if (parent == NULL || via->kind == DNS_SPF_REDIRECT) {
		msg = dns_finding_fmt(
		    "The SPF record of %s allows every server on the internet (+all): "
		    "anyone can send mail that passes SPF as %s.",
		    n->domain, j->domain);
		rec = record_with_all(n, "-all");
		fix = dns_finding_fmt(
		    "Replace +all with -all (or ~all while you check that every sender "
		    "is listed) in the record of %s: \"%s\"",
		    n->domain, rec);
		free(rec);
	} else {
		msg =
		    dns_finding_fmt("%s includes %s, whose SPF record allows every server on the "
				    "internet (+all): anyone can send mail that passes SPF as %s.",
				    parent->domain, n->domain, j->domain);
		fix =
		    dns_finding_fmt("Remove %s from the record of %s.", via->text, parent->domain);
	}
	add(j, "SPF_PASS_ALL", SEV_CRITICAL, fix, n, msg);
	free(msg);
	free(fix);
}

static void ptr_used(struct judge *j, const struct dns_spf_node *n)
{
	char *msg =
	    dns_finding_fmt("The SPF record of %s uses ptr. RFC 7208 5.5 says not to: it is "
			    "slow, relies on reverse DNS that the sender controls, and some "
			    "receivers skip it, so mail it should allow can fail SPF.",
			    n->domain);

	add(j, "SPF_PTR", SEV_WARN,
	    "Replace ptr with the ip4:/ip6: ranges (or a:/mx:) of the servers it was meant to "
	    "cover.",
	    n, msg);
	free(msg);
}

static void note_tempfail(struct judge *j, const char *name, const char *why)
{
	if (j->tempfails++ == 0) {
		j->tempfail_name = name;
		j->tempfail_why = why;
	}
}

static void node_problems(struct judge *j, const struct dns_spf_node *n,
			  const struct dns_spf_node *parent, const struct dns_spf_wterm *via,
			  bool passes);

/*
 * The terms of an OK node: ptr, a reachable +all, failed lookups, children.
 * passes: a pass of this record is a pass for the domain (the root, a
 * redirect target of it, or reached through "+include" only).
 */
static void term_problems(struct judge *j, const struct dns_spf_node *n,
			  const struct dns_spf_node *parent, const struct dns_spf_wterm *via,
			  bool passes)
{
	bool ptr = false, all_seen = false;

	for (size_t i = 0; i < n->n_terms; i++) {
		const struct dns_spf_wterm *wt = &n->terms[i];

		ptr |= wt->kind == DNS_SPF_PTR;
		/* Only the first all can ever be reached. */
		if (wt->kind == DNS_SPF_ALL && !all_seen && wt->qualifier == '+' && passes)
			pass_all(j, n, parent, via);
		all_seen |= wt->kind == DNS_SPF_ALL;
		if (wt->tempfail)
			note_tempfail(j, wt->target, wt->note);
		if (wt->child != NULL)
			node_problems(j, wt->child, n, wt,
				      passes &&
					  (wt->kind == DNS_SPF_REDIRECT || wt->qualifier == '+'));
	}
	if (ptr)
		ptr_used(j, n);
}

static void node_problems(struct judge *j, const struct dns_spf_node *n,
			  const struct dns_spf_node *parent, const struct dns_spf_wterm *via,
			  bool passes)
{
	switch (n->status) {
	case DNS_SPF_NODE_MISSING:
		if (parent != NULL)
			include_no_spf(j, parent, via, n);
		break;
	case DNS_SPF_NODE_MULTIPLE:
		multiple(j, n, parent, via);
		break;
	case DNS_SPF_NODE_SYNTAX:
		syntax(j, n, parent, via);
		break;
	case DNS_SPF_NODE_TEMPFAIL:
		note_tempfail(j, n->domain, n->error);
		break;
	case DNS_SPF_NODE_OK:
		term_problems(j, n, parent, via, passes);
		break;
	default: /* loops are SPF_TOO_MANY_LOOKUPS; not followed: nothing seen */
		break;
	}
}

/* The record that decides for the domain: the root, through redirects (RFC 7208 6.1). */
static const struct dns_spf_node *final_node(const struct dns_spf_node *n)
{
	for (int hops = 0; n->status == DNS_SPF_NODE_OK && hops <= DNS_SPF_WALK_DEPTH; hops++) {
		const struct dns_spf_node *next = NULL;

		for (size_t i = 0; i < n->n_terms; i++)
			if (n->terms[i].kind == DNS_SPF_REDIRECT && !n->terms[i].ignored)
				next = n->terms[i].child;
		if (next == NULL)
			return n;
		n = next;
	}
	return n;
}

/* SPF_NEUTRAL_ALL and SPF_NO_ALL, about the record that decides. */
static void ending(struct judge *j)
{
	const struct dns_spf_node *n = final_node(j->tree->root);
	char *msg, *fix, *rec;

	if (n->status != DNS_SPF_NODE_OK)
		return; /* its own finding says what is wrong */
	for (size_t i = 0; i < n->n_terms; i++) {
		if (n->terms[i].kind == DNS_SPF_REDIRECT && !n->terms[i].ignored)
			return; /* a broken redirect: reported as such */
		if (n->terms[i].kind != DNS_SPF_ALL)
			continue;
		if (n->terms[i].qualifier != '?')
			return;
		msg = dns_finding_fmt(
		    "The SPF record of %s ends with ?all (neutral): mail from servers it "
		    "does not list is neither allowed nor refused, so SPF does not protect "
		    "%s against forged mail.",
		    n->domain, j->domain);
		rec = record_with_all(n, "-all");
		fix = dns_finding_fmt(
		    "Once every sender is listed, replace ?all with -all (or ~all): "
		    "\"%s\"",
		    rec);
		add(j, "SPF_NEUTRAL_ALL", SEV_WARN, fix, n, msg);
		free(msg);
		free(fix);
		free(rec);
		return;
	}
	msg = dns_finding_fmt(
	    "The SPF record of %s has no all mechanism and no redirect=, so mail from "
	    "servers it does not list gets \"neutral\": SPF does not protect %s against "
	    "forged mail.",
	    n->domain, j->domain);
	rec = record_with_all(n, "-all");
	fix = dns_finding_fmt(
	    "End the record with -all (or ~all while you check your senders): \"%s\"", rec);
	add(j, "SPF_NO_ALL", SEV_WARN, fix, n, msg);
	free(msg);
	free(fix);
	free(rec);
}

static int by_cost(const void *a, const void *b)
{
	const struct dns_spf_wterm *x = *(const struct dns_spf_wterm *const *)a;
	const struct dns_spf_wterm *y = *(const struct dns_spf_wterm *const *)b;

	return (x->cost < y->cost) - (x->cost > y->cost);
}

/* "include:a (4 lookups), include:b (3 lookups)": the root's costliest terms. */
static char *costliest(const struct dns_spf_node *root)
{
	const struct dns_spf_wterm **v = xcalloc(root->n_terms + 1, sizeof *v);
	size_t n = 0;
	struct buf b;

	for (size_t i = 0; i < root->n_terms; i++)
		if (root->terms[i].child != NULL)
			v[n++] = &root->terms[i];
	qsort(v, n, sizeof *v, by_cost);
	common_buf_init(&b, 1024);
	for (size_t i = 0; i < n && i < 3; i++)
		if (dns_finding_buf_printf(&b, "%s%s (%u lookup%s)", i ? ", " : "", v[i]->text,
					   v[i]->cost, v[i]->cost == 1 ? "" : "s") != ERR_OK)
			break;
	free(v);
	return common_buf_steal(&b, NULL);
}

/* The first loop: the node whose include or redirect points back. */
static bool find_loop(const struct dns_spf_node *n, const struct dns_spf_node **from,
		      const struct dns_spf_wterm **via)
{
	for (size_t i = 0; i < n->n_terms; i++) {
		const struct dns_spf_node *c = n->terms[i].child;

		if (c != NULL && c->status == DNS_SPF_NODE_LOOP) {
			*from = n;
			*via = &n->terms[i];
			return true;
		}
		if (c != NULL && find_loop(c, from, via))
			return true;
	}
	return false;
}

/* SPF_TOO_MANY_LOOKUPS: RFC 7208 4.6.4, 10 DNS-querying terms per check. */
static void lookups(struct judge *j)
{
	const struct dns_spf_tree *t = j->tree;
	const struct dns_spf_node *from = NULL;
	const struct dns_spf_wterm *via = NULL;
	char *msg, *top;

	if (t->loop && find_loop(t->root, &from, &via)) {
		msg = dns_finding_fmt(
		    "The SPF record of %s loops: %s in the record of %s points back to "
		    "a record already being checked. Every check ends in a permanent "
		    "error (permerror) after 10 lookups, so SPF fails for all its mail.",
		    j->domain, via->text, from->domain);
		add(j, "SPF_TOO_MANY_LOOKUPS", SEV_CRITICAL,
		    "Remove the include or redirect that points back, so that no record includes "
		    "itself directly or through others.",
		    t->root, msg);
		free(msg);
		return;
	}
	if (t->total_lookups <= DNS_SPF_MAX_DNS_TERMS)
		return;
	top = costliest(t->root);
	msg = dns_finding_fmt(
	    "Checking SPF for %s takes %u DNS lookups; the limit is 10 (RFC 7208 "
	    "4.6.4). Receivers stop at the 11th with a permanent error (permerror), so "
	    "mail from senders listed late in the record fails SPF.%s%s%s",
	    j->domain, t->total_lookups, *top ? " The most expensive: " : "", top, *top ? "." : "");
	add(j, "SPF_TOO_MANY_LOOKUPS", SEV_CRITICAL,
	    "Remove includes and mechanisms you no longer use; replace an include by the "
	    "ip4:/ip6: ranges it publishes (flattening: recheck them when the provider changes "
	    "them); or move a sending service to its own subdomain. Keep the total at 10 or "
	    "fewer.",
	    t->root, msg);
	free(msg);
	free(top);
}

/* Void lookups in evaluation order (includes in place, redirect last). */
struct vscan {
	const struct dns_spf_node *root;
	unsigned voids;
	bool critical; /* a term that could match comes after the third void */
	struct buf list;
};

static void void_term(const struct dns_spf_node *n, const struct dns_spf_wterm *wt, struct vscan *s)
{
	bool here = n == s->root;
	bool mechanism = wt->kind != DNS_SPF_REDIRECT && wt->kind != DNS_SPF_EXP &&
			 wt->kind != DNS_SPF_UNKNOWN_MOD && wt->kind != DNS_SPF_ALL;

	if (s->voids > DNS_SPF_MAX_VOID && mechanism)
		s->critical = true;
	if (wt->own_voids > 0) {
		s->voids++;
		if (dns_finding_buf_printf(&s->list, "%s%s%s%s%s", s->list.len ? ", " : "",
					   wt->text, here ? "" : " (in ", here ? "" : n->domain,
					   here ? "" : ")") != ERR_OK)
			common_buf_reset(&s->list);
	}
}

static void void_scan(const struct dns_spf_node *n, struct vscan *s)
{
	const struct dns_spf_wterm *redirect = NULL;

	if (n->status != DNS_SPF_NODE_OK)
		return;
	for (size_t i = 0; i < n->n_terms; i++) {
		const struct dns_spf_wterm *wt = &n->terms[i];

		if (wt->kind == DNS_SPF_REDIRECT) {
			redirect = wt->ignored ? NULL : wt;
			continue;
		}
		void_term(n, wt, s);
		if (wt->child != NULL)
			void_scan(wt->child, s);
	}
	if (redirect != NULL) {
		void_term(n, redirect, s);
		if (redirect->child != NULL)
			void_scan(redirect->child, s);
	}
}

/* SPF_TOO_MANY_VOID_LOOKUPS: RFC 7208 4.6.4, at most 2 void lookups. */
static void voids(struct judge *j)
{
	struct vscan s = {.root = j->tree->root};
	char *msg, *fix;

	if (j->tree->total_voids <= DNS_SPF_MAX_VOID)
		return;
	common_buf_init(&s.list, 2048);
	void_scan(j->tree->root, &s);
	msg = dns_finding_fmt(
	    "Checking SPF for %s meets %u void lookups (names with no records): %s. "
	    "The limit is 2 (RFC 7208 4.6.4): receivers that enforce it stop at the "
	    "third with a permanent error (permerror)%s.",
	    j->domain, j->tree->total_voids, common_buf_str(&s.list),
	    s.critical ? ", so senders listed after it fail SPF"
		       : ", instead of the record's own verdict for unlisted senders");
	fix =
	    dns_finding_fmt("Remove or correct the terms that point at names without records: %s.",
			    common_buf_str(&s.list));
	add(j, "SPF_TOO_MANY_VOID_LOOKUPS", s.critical ? SEV_CRITICAL : SEV_WARN, fix,
	    j->tree->root, msg);
	free(msg);
	free(fix);
	common_buf_free(&s.list);
}

/* DNS_TEMPFAIL: one finding for every answer that failed for now (never critical). */
static void tempfail(struct judge *j)
{
	char *msg;

	if (j->tempfails == 0)
		return;
	msg = dns_finding_fmt(
	    "Could not read the DNS data needed to check SPF for %s: %s (%s)%s. This "
	    "is a temporary DNS problem, not a verdict; the check will run again.",
	    j->domain, j->tempfail_name ? j->tempfail_name : "?",
	    j->tempfail_why ? j->tempfail_why : "failed",
	    j->tempfails > 1 ? ", and other names" : "");
	dns_findings_add(j->out, CHECK, "DNS_TEMPFAIL", SEV_UNKNOWN,
			 "If this lasts, check that the name servers of the names above answer "
			 "TXT, A and MX queries.",
			 NULL, 0, "%s", msg);
	free(msg);
}

/* The whole judgement of a complete tree. */
static void judge_tree(struct judge *j)
{
	const struct dns_spf_node *root = j->tree->root;
	size_t before = j->out->n;

	if (root->status == DNS_SPF_NODE_MISSING) {
		missing(j);
		return;
	}
	node_problems(j, root, NULL, NULL, true);
	if (root->status == DNS_SPF_NODE_OK) {
		lookups(j);
		voids(j);
		ending(j);
	}
	tempfail(j);
	if (j->out->n == before)
		dns_findings_add(j->out, CHECK, "SPF_OK", SEV_OK, NULL, root->record,
				 root->record_len,
				 "SPF for %s is in good shape: %u of 10 DNS lookups and %u of 2 "
				 "void lookups used.",
				 j->domain, j->tree->total_lookups, j->tree->total_voids);
}

/* For SPF_MISSING's fix: does the domain receive mail (a non-null MX)? */
static enum mp_err has_mx(struct dns_book *book, const char *domain, bool *out)
{
	const struct dns_answer *ans;
	enum mp_err e = dns_book_get(book, domain, DNS_T_MX, &ans);

	*out = false;
	if (e == ERR_AGAIN)
		return e;
	if (e != ERR_OK || ans->outcome != DNS_DATA)
		return ERR_OK;
	for (size_t i = 0; i < ans->n; i++)
		if (ans->rr[i].len > 0 && !(ans->rr[i].len == 1 && ans->rr[i].data[0] == '.'))
			*out = true; /* RFC 7505: "." alone is the null MX */
	return ERR_OK;
}

enum mp_err dns_spf_posture(struct dns_book *book, const char *domain, struct dns_findings *out,
			    struct dns_spf_tree **tree)
{
	struct judge j = {.out = out, .domain = domain};
	struct dns_spf_tree *t;
	enum mp_err e = dns_spf_walk(book, domain, &t);

	if (e != ERR_OK)
		return e;
	if (t->root->status == DNS_SPF_NODE_MISSING) {
		e = has_mx(book, domain, &j.has_mx);
		if (e != ERR_OK) {
			dns_spf_tree_free(t);
			return e;
		}
	}
	j.tree = t;
	judge_tree(&j);
	if (tree != NULL)
		*tree = t;
	else
		dns_spf_tree_free(t);
	return ERR_OK;
}
