/*
 * dns/spf_walk: the SPF budget walker, see spf_walk.h.
 *
 * walk_domain() fetches one record and walks its terms; walk_term() prices
 * a term and looks at its target; include and redirect recurse into
 * walk_domain().  A question the book cannot answer yet sets w->pending
 * and the walk goes on with the other terms, so one run asks every
 * question it can; the partial tree is then thrown away (ERR_AGAIN).
 */
#include <string.h>
#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/spf_macro.h"
#include "dns/spf_walk.h"

enum wlook { W_PENDING, W_DATA, W_EMPTY, W_ERROR };

struct walk {
	struct dns_book *book;
	const char *root; /* the walked domain: %{o} for posture */
	const char *path[DNS_SPF_WALK_DEPTH + 2];
	size_t depth;
	size_t nodes;
	bool pending, tempfail, loop;
};

const char *dns_spf_node_status_name(enum dns_spf_node_status s)
{
	static const char *const names[] = {"ok",	"missing", "multiple",	  "syntax",
					    "tempfail", "loop",	   "not followed"};

	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static void node_free(struct dns_spf_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n_terms; i++) {
		free(n->terms[i].text);
		free(n->terms[i].target);
		free(n->terms[i].note);
		node_free(n->terms[i].child);
	}
	free(n->terms);
	free(n->domain);
	free(n->record);
	free(n->error);
	free(n);
}

void dns_spf_tree_free(struct dns_spf_tree *tree)
{
	if (tree == NULL)
		return;
	node_free(tree->root);
	free(tree);
}

/* Ask (name, type); W_PENDING also marks the walk as waiting. */
static enum wlook ask(struct walk *w, const char *name, uint16_t type,
		      const struct dns_answer **ans)
{
	enum mp_err e = dns_book_get(w->book, name, type, ans);

	if (e == ERR_AGAIN) {
		w->pending = true;
		return W_PENDING;
	}
	if (e != ERR_OK) {
		*ans = NULL;
		w->tempfail = true;
		return W_ERROR;
	}
	if ((*ans)->outcome == DNS_DATA && (*ans)->n > 0)
		return W_DATA;
	if ((*ans)->outcome == DNS_DATA || (*ans)->outcome == DNS_NXDOMAIN ||
	    (*ans)->outcome == DNS_NODATA)
		return W_EMPTY;
	w->tempfail = true;
	return W_ERROR;
}

/* "timeout", "SERVFAIL", ... for a failed answer (ans NULL: the book is full). */
static char *fail_text(const struct dns_answer *ans)
{
	if (ans == NULL)
		return xstrdup("too many DNS questions for one check");
	return xasprintf("%s%s%s", dns_outcome_name(ans->outcome), ans->why ? ": " : "",
			 ans->why ? ans->why : "");
}

/* The SPF records of a TXT answer, one per line (for MULTIPLE evidence). */
static char *join_spf(const struct dns_answer *ans, size_t *len)
{
	struct buf b;

	common_buf_init(&b, 4 * DNS_SPF_RECORD_MAX);
	for (size_t i = 0; i < ans->n; i++) {
		if (!dns_spf_record_is_spf(ans->rr[i].data, ans->rr[i].len))
			continue;
		if ((b.len > 0 && common_buf_putc(&b, '\n') != ERR_OK) ||
		    common_buf_append(&b, ans->rr[i].data, ans->rr[i].len) != ERR_OK)
			break; /* evidence is cut at 16 KB: enough to show the problem */
	}
	return common_buf_steal(&b, len);
}

/* A record's parse, kept in the book's memo (see parse_once()). */
struct parsed {
	enum mp_err e;
	struct dns_spf_record *rec; /* ERR_OK only */
	struct dns_spf_syntax why;  /* otherwise */
};

static void parsed_free(void *v)
{
	struct parsed *p = v;

	if (p != NULL)
		dns_spf_record_free(p->rec);
	free(p);
}

static const struct dns_book_memo_kind parse_memo = {"spf_walk record", parsed_free};

/*
 * Why a memo: the walk is re-run from the root each time answers arrive
 * (about five times for a three-level include tree), and parsing the same
 * records again was most of its cost.  The parse is a pure function of the
 * record's bytes, so the book's memo, keyed by those bytes, gives exactly
 * what a fresh parse would.  *own is set when the memo refused the value
 * (full): the caller frees it with parsed_free().
 */
static const struct parsed *parse_once(struct walk *w, const struct dns_rr *rr, struct parsed **own)
{
	struct parsed *p = dns_book_memo_get(w->book, &parse_memo, rr->data, rr->len);

	if (p != NULL)
		return p;
	p = xcalloc(1, sizeof *p);
	p->e = dns_spf_record_parse(rr->data, rr->len, &p->rec, &p->why);
	if (!dns_book_memo_put(w->book, &parse_memo, rr->data, rr->len, p))
		*own = p;
	return p;
}

/*
 * Fetch and parse n's record (RFC 7208 4.4, 4.5); NULL unless it is OK.
 * The record is borrowed from the book's memo, or from *own (see parse_once()).
 */
static const struct dns_spf_record *fetch(struct walk *w, struct dns_spf_node *n,
					  struct parsed **own)
{
	const struct dns_answer *ans = NULL;
	const struct dns_rr *rr = NULL;
	const struct dns_spf_record *rec = NULL;
	const struct parsed *p;
	enum wlook l = ask(w, n->domain, DNS_T_TXT, &ans);
	size_t count = l == W_DATA ? dns_spf_record_select(ans, &rr) : 0;

	n->status = DNS_SPF_NODE_MISSING;
	n->txt_outcome = ans ? ans->outcome : DNS_TEMPFAIL;
	if (l == W_PENDING) {
		n->status = DNS_SPF_NODE_TEMPFAIL;
	} else if (l == W_ERROR) {
		n->status = DNS_SPF_NODE_TEMPFAIL;
		n->error = fail_text(ans);
	} else if (count > 1) {
		n->status = DNS_SPF_NODE_MULTIPLE;
		n->record = join_spf(ans, &n->record_len);
	} else if (count == 1) {
		/* Evidence of a hostile 64 KB record: its first 4096 bytes are enough. */
		n->record_len = rr->len < DNS_SPF_RECORD_MAX ? rr->len : DNS_SPF_RECORD_MAX;
		n->record = xmemdup0(rr->data, n->record_len);
		p = parse_once(w, rr, own);
		if (p->e == ERR_OK) {
			rec = p->rec;
			n->status = DNS_SPF_NODE_OK;
			n->has_all = rec->has_all;
		} else {
			n->status = DNS_SPF_NODE_SYNTAX;
			n->error = xasprintf("%s at '%s'", p->why.reason, p->why.term);
		}
	}
	return rec;
}

static bool on_path(const struct walk *w, const char *domain)
{
	size_t dl = strlen(domain);

	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	for (size_t i = 0; i < w->depth; i++) {
		size_t pl = strlen(w->path[i]);

		if (pl > 0 && w->path[i][pl - 1] == '.')
			pl--;
		if (common_str_ieq(w->path[i], pl, domain, dl))
			return true;
	}
	return false;
}

static struct dns_spf_node *walk_domain(struct walk *w, const char *domain);

/* a: void when the name has neither A nor AAAA (no client can match it). */
static void look_a(struct walk *w, struct dns_spf_wterm *wt)
{
	const struct dns_answer *a4 = NULL, *a6 = NULL;
	enum wlook l4 = ask(w, wt->target, DNS_T_A, &a4);
	enum wlook l6 = ask(w, wt->target, DNS_T_AAAA, &a6);

	if (l4 == W_PENDING || l6 == W_PENDING)
		return;
	if (l4 == W_ERROR || l6 == W_ERROR) {
		wt->tempfail = true;
		wt->note = fail_text(l4 == W_ERROR ? a4 : a6);
	} else if (l4 == W_EMPTY && l6 == W_EMPTY) {
		wt->own_voids = 1;
		wt->note = xasprintf("%s has no address (A or AAAA): a void lookup", wt->target);
	}
}

/* mx and exists: the term's own lookup is MX, or A for exists. */
static void look_one(struct walk *w, struct dns_spf_wterm *wt)
{
	bool mx = wt->kind == DNS_SPF_MX;
	const struct dns_answer *ans = NULL;
	enum wlook l = ask(w, wt->target, mx ? DNS_T_MX : DNS_T_A, &ans);

	if (l == W_ERROR) {
		wt->tempfail = true;
		wt->note = fail_text(ans);
	} else if (l == W_EMPTY) {
		wt->own_voids = 1;
		wt->note =
		    xasprintf("%s has no %s record: a void lookup", wt->target, mx ? "MX" : "A");
	} else if (l == W_DATA && mx && ans->n > 10) {
		/* RFC 7208 4.6.4: every evaluation reaching this term is a permerror. */
		wt->note =
		    xasprintf("%s has %zu MX records, more than 10: permerror", wt->target, ans->n);
	}
}

/* include and redirect: walk the target; a target that does not exist is void. */
static void look_child(struct walk *w, struct dns_spf_node *n, struct dns_spf_wterm *wt)
{
	w->path[w->depth++] = n->domain;
	wt->child = walk_domain(w, wt->target);
	w->depth--;
	wt->cost += wt->child->cost;
	if (wt->child->status == DNS_SPF_NODE_MISSING && wt->child->txt_outcome == DNS_NXDOMAIN)
		wt->own_voids = 1;
}

/* The target name, or NULL (and unresolved) when it needs a client. */
static char *target_of(struct walk *w, const char *domain, const struct dns_spf_term *t)
{
	/* Posture knows <domain> and the sender's domain (the walked one), nothing else. */
	struct dns_spf_macro_ctx ctx = {.domain = domain, .sender_domain = w->root};
	char *name;

	if (t->spec == NULL)
		return xstrdup(domain);
	if (dns_spf_macro_domain(&ctx, t->spec, t->spec_len, &name) != ERR_OK)
		return NULL;
	return name;
}

static void walk_term(struct walk *w, struct dns_spf_node *n, const struct dns_spf_term *t,
		      struct dns_spf_wterm *wt)
{
	wt->text = xmemdup0(t->text, t->len);
	wt->kind = t->kind;
	wt->qualifier = t->qualifier;
	if (!dns_spf_kind_queries_dns(t->kind))
		return;
	wt->cost = 1;
	if (t->kind == DNS_SPF_REDIRECT && n->has_all) {
		wt->ignored = true;
		wt->cost = 0;
		wt->note = xstrdup("ignored: the record has an all mechanism (RFC 7208 6.1)");
		return;
	}
	wt->target = t->kind == DNS_SPF_PTR ? NULL : target_of(w, n->domain, t);
	if (wt->target == NULL) {
		wt->unresolved = true;
		wt->note = xstrdup(t->kind == DNS_SPF_PTR
				       ? "depends on the sending server's reverse DNS"
				       : "depends on the sending server or sender: not resolved");
	} else if (!dns_spf_macro_name_ok(wt->target)) {
		wt->note = xasprintf("'%s' is not a valid domain name: never matches", wt->target);
	} else if (t->kind == DNS_SPF_A) {
		look_a(w, wt);
	} else if (t->kind == DNS_SPF_MX || t->kind == DNS_SPF_EXISTS) {
		look_one(w, wt);
	} else {
		look_child(w, n, wt);
	}
}

static void walk_terms(struct walk *w, struct dns_spf_node *n, const struct dns_spf_record *rec)
{
	n->terms = xcalloc(rec->n ? rec->n : 1, sizeof *n->terms);
	n->n_terms = rec->n;
	for (size_t i = 0; i < rec->n; i++) {
		struct dns_spf_wterm *wt = &n->terms[i];

		walk_term(w, n, &rec->terms[i], wt);
		n->cost += wt->cost;
		n->voids += wt->own_voids + (wt->child ? wt->child->voids : 0);
	}
}

static struct dns_spf_node *walk_domain(struct walk *w, const char *domain)
{
	struct dns_spf_node *n = xcalloc(1, sizeof *n);
	const struct dns_spf_record *rec;
	struct parsed *own = NULL;

	n->domain = xstrdup(domain);
	if (on_path(w, domain)) {
		n->status = DNS_SPF_NODE_LOOP;
		w->loop = true;
		return n;
	}
	if (w->depth > DNS_SPF_WALK_DEPTH || w->nodes >= DNS_SPF_WALK_NODES) {
		n->status = DNS_SPF_NODE_NOT_FOLLOWED;
		n->error = xasprintf("not followed: more than %d levels or %d records",
				     DNS_SPF_WALK_DEPTH, DNS_SPF_WALK_NODES);
		return n;
	}
	w->nodes++;
	if (!dns_spf_macro_name_ok(domain)) {
		n->status = DNS_SPF_NODE_MISSING;
		n->txt_outcome = DNS_NXDOMAIN;
		n->error = xstrdup("not a valid domain name");
		return n;
	}
	rec = fetch(w, n, &own);
	if (rec != NULL)
		walk_terms(w, n, rec);
	parsed_free(own);
	return n;
}

/*
 * The probe: the walk's questions without its tree.  Why: the walk runs
 * about five times per domain and every run but the last ends waiting
 * (ERR_AGAIN) and throws its tree away.  The probe follows walk_domain()
 * and walk_term() rule for rule (path, depth and record bounds, names,
 * record selection, the terms that ask, in order), so it asks exactly the
 * same questions in the same order; it allocates only macro targets.
 */
static void probe_domain(struct walk *w, const char *domain);

static void probe_term(struct walk *w, const char *domain, bool has_all,
		       const struct dns_spf_term *t)
{
	const struct dns_answer *ans;
	char *target;

	if (!dns_spf_kind_queries_dns(t->kind) || t->kind == DNS_SPF_PTR ||
	    (t->kind == DNS_SPF_REDIRECT && has_all))
		return;
	target = target_of(w, domain, t);
	if (target != NULL && dns_spf_macro_name_ok(target)) {
		if (t->kind == DNS_SPF_A) {
			(void)ask(w, target, DNS_T_A, &ans);
			(void)ask(w, target, DNS_T_AAAA, &ans);
		} else if (t->kind == DNS_SPF_MX || t->kind == DNS_SPF_EXISTS) {
			(void)ask(w, target, t->kind == DNS_SPF_MX ? DNS_T_MX : DNS_T_A, &ans);
		} else {
			w->path[w->depth++] = domain;
			probe_domain(w, target);
			w->depth--;
		}
	}
	free(target);
}

static void probe_domain(struct walk *w, const char *domain)
{
	const struct dns_answer *ans = NULL;
	const struct dns_rr *rr = NULL;
	struct parsed *own = NULL;
	const struct parsed *p;

	if (on_path(w, domain) || w->depth > DNS_SPF_WALK_DEPTH || w->nodes >= DNS_SPF_WALK_NODES)
		return;
	w->nodes++;
	if (!dns_spf_macro_name_ok(domain) || ask(w, domain, DNS_T_TXT, &ans) != W_DATA ||
	    dns_spf_record_select(ans, &rr) != 1)
		return;
	p = parse_once(w, rr, &own);
	for (size_t i = 0; p->e == ERR_OK && i < p->rec->n; i++)
		probe_term(w, domain, p->rec->has_all, &p->rec->terms[i]);
	parsed_free(own);
}

enum mp_err dns_spf_walk(struct dns_book *book, const char *domain, struct dns_spf_tree **tree)
{
	struct walk w = {.book = book, .root = domain};
	struct dns_spf_node *root;
	struct dns_spf_tree *t;

	probe_domain(&w, domain);
	if (w.pending)
		return ERR_AGAIN; /* the tree is built only once every answer is in */
	memset(&w, 0, sizeof w);
	w.book = book;
	w.root = domain;
	root = walk_domain(&w, domain);
	if (w.pending) {
		node_free(root);
		return ERR_AGAIN;
	}
	t = xcalloc(1, sizeof *t);
	t->root = root;
	t->total_lookups = root->cost;
	t->total_voids = root->voids;
	t->tempfail = w.tempfail;
	t->loop = w.loop;
	t->nodes = w.nodes;
	*tree = t;
	return ERR_OK;
}
