/*
 * dns/dmarc: DMARC discovery (RFC 7489 6.6.3 with the PSL; RFC 9989 4.10
 * tree walk) and the DMARC posture check (see dmarc.h).
 *
 * Each run asks what it can in parallel: the domain's and the PSL
 * organizational domain's `_dmarc` names together, the tree walk one step
 * at a time (each step depends on the last), and every report
 * authorization pair together once the applied record is known.
 */
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "dns/dmarc.h"
#include "dns/txtrec.h"

#define CHECK "dmarc"

enum lk_state { LK_NONE, LK_ONE, LK_MULTI, LK_FAIL };

/* One `_dmarc.<domain>` lookup, classified per RFC 7489 6.6.3 steps 3 and 5. */
struct lookup {
	const char *domain; /* borrowed: a suffix of the checked domain, or the org domain */
	char *qname;	    /* owned; NULL when unused */
	const struct dns_answer *ans;
	enum lk_state st;
	const struct dns_rr *rr; /* the single DMARC record (LK_ONE) */
	size_t n_cand;
	bool valid;
	struct dns_dmarc_record rec;
	bool borrowed; /* rec is the book memo's (see parse_once()): not freed here */
	char why[256];
};

struct ctx {
	struct dns_book *book;
	const struct dns_dmarc_opts *opts;
	const struct dns_orgdomain *psl;
	bool shared_psl; /* psl is the caller's (opts->psl): memoise org domains */
	struct dns_findings *f;
	size_t first; /* index of this check's first finding */
	char *domain, *org;
	struct lookup own, orgl;
	struct lookup walk[DNS_DMARC_WALK_MAX];
	size_t n_walk;
	bool walk_failed;
	const struct lookup *applied; /* RFC 7489 choice */
	struct dns_dmarc_result r;
};

/*
 * The org domain of name; through the book's memo when the PSL is the
 * caller's shared one (a list loaded for this run only must not be
 * remembered by its address, see dns_orgdomain_get_memo()).
 */
static enum mp_err org_of(struct ctx *c, const char *name, char **out)
{
	if (c->shared_psl)
		return dns_orgdomain_get_memo(c->psl, c->book, name, out);
	return dns_orgdomain_get(c->psl, name, out);
}

/* A record's parse, kept in the book's memo. */
struct parsed {
	bool valid;
	struct dns_dmarc_record rec; /* zeroed unless valid */
	char why[256];
};

static void parsed_free(void *v)
{
	struct parsed *p = v;

	if (p != NULL)
		dns_dmarc_record_free(&p->rec);
	free(p);
}

static const struct dns_book_memo_kind rec_memo = {"dmarc record", parsed_free};

/*
 * Parse l's record through the book's memo.  Why: each run reads
 * _dmarc.<domain> twice (RFC 7489 discovery and the RFC 9989 walk) and the
 * check runs about three times; the parse is a pure function of the
 * record's bytes.  l borrows the memo's record (l->borrowed), shallow; the
 * result gets a deep copy (dns_dmarc_check()).
 */
static void parse_once(struct ctx *c, struct lookup *l)
{
	const struct dns_rr *rr = l->rr;
	struct parsed *p = dns_book_memo_get(c->book, &rec_memo, rr->data, rr->len);
	bool borrowed = true;

	if (p == NULL) {
		p = xcalloc(1, sizeof *p);
		p->valid = dns_dmarc_record_parse(rr->data, rr->len, &p->rec, p->why,
						  sizeof p->why) == ERR_OK;
		borrowed = dns_book_memo_put(c->book, &rec_memo, rr->data, rr->len, p);
	}
	l->valid = p->valid;
	l->rec = p->rec;
	l->borrowed = borrowed;
	memcpy(l->why, p->why, sizeof l->why);
	if (!borrowed)
		free(p); /* the memo is full: l owns the record */
}

static enum mp_err look(struct ctx *c, const char *domain, struct lookup *l)
{
	enum mp_err e;

	memset(l, 0, sizeof *l);
	l->domain = domain;
	l->qname = dns_txtrec_name("_dmarc", domain);
	e = dns_txtrec_get(c->book, l->qname, DNS_T_TXT, &l->ans);
	if (e != ERR_OK)
		return e;
	if (l->ans->outcome == DNS_TEMPFAIL || l->ans->outcome == DNS_MALFORMED) {
		l->st = LK_FAIL;
		return ERR_OK;
	}
	for (size_t i = 0; l->ans->outcome == DNS_DATA && i < l->ans->n; i++) {
		const struct dns_rr *rr = &l->ans->rr[i];

		/* RFC 7489 6.6.3 step 3: records not starting with v=DMARC1 are discarded. */
		if (dns_dmarc_record_is_candidate(rr->data, rr->len) && l->n_cand++ == 0)
			l->rr = rr;
	}
	l->st = l->n_cand == 0 ? LK_NONE : l->n_cand == 1 ? LK_ONE : LK_MULTI;
	if (l->st == LK_ONE)
		parse_once(c, l);
	return ERR_OK;
}

static void lookup_free(struct lookup *l)
{
	free(l->qname);
	if (!l->borrowed)
		dns_dmarc_record_free(&l->rec);
	memset(l, 0, sizeof *l);
}

static size_t labels(const char *d)
{
	size_t n = 1;

	for (; *d; d++)
		n += *d == '.';
	return n;
}

/* The suffix of d made of its last n labels (d has more than n). */
static const char *last_labels(const char *d, size_t n)
{
	size_t skip = labels(d) - n;

	while (skip > 0 && *d) {
		if (*d++ == '.')
			skip--;
	}
	return d;
}

/* RFC 7489 6.6.3 steps 1-4: the domain, then the PSL organizational domain. */
static enum mp_err discover_7489(struct ctx *c)
{
	enum mp_err e = look(c, c->domain, &c->own), e2 = ERR_OK;

	if (strcmp(c->org, c->domain) != 0)
		e2 = look(c, c->org, &c->orgl);
	if (e != ERR_OK)
		return e;
	if (e2 != ERR_OK)
		return e2;
	/* Step 4: only an empty set falls back; several records or a bad one do not. */
	c->applied = &c->own;
	if (c->own.st == LK_NONE && c->orgl.qname != NULL)
		c->applied = &c->orgl;
	return ERR_OK;
}

/* RFC 9989 4.10 steps 1-8. */
static enum mp_err walk_9989(struct ctx *c)
{
	const char *cur = c->domain;

	for (size_t i = 0; i < DNS_DMARC_WALK_MAX; i++) {
		struct lookup *l = &c->walk[i];
		enum mp_err e = look(c, cur, l);
		size_t n = labels(cur);

		c->n_walk = i + 1;
		if (e != ERR_OK)
			return e;
		if (l->st == LK_FAIL) {
			c->walk_failed = true;
			return ERR_OK;
		}
		/* Steps 2 and 7: psd=n stops at once; psd=y stops above the start. */
		if (l->st == LK_ONE && l->valid &&
		    (l->rec.psd == 'n' || (i > 0 && l->rec.psd == 'y')))
			return ERR_OK;
		if (n <= 1)
			return ERR_OK;
		/* Step 5: 8 or more labels jump straight to 7; else one label off. */
		cur = (i == 0 && n >= 8) ? last_labels(cur, 7) : strchr(cur, '.') + 1;
	}
	return ERR_OK;
}

/* RFC 9989 4.10.1/4.10.2: the first record found, and the organizational domain. */
static void walk_results(struct ctx *c)
{
	const struct lookup *first = NULL, *top = NULL;

	c->r.walk_queries = c->n_walk;
	c->r.walk_complete = !c->walk_failed;
	for (size_t i = 0; i < c->n_walk; i++) {
		const struct lookup *l = &c->walk[i];

		if (l->st != LK_ONE || !l->valid)
			continue; /* several records or a broken one are discarded */
		if (first == NULL)
			first = l;
		top = l;
		if (l->rec.psd == 'n') {
			c->r.org_walk = xstrdup(l->domain);
			break;
		}
		if (i > 0 && l->rec.psd == 'y') {
			/* The organizational domain is one label below the PSD. */
			c->r.org_walk = xstrdup(last_labels(c->domain, labels(l->domain) + 1));
			break;
		}
	}
	if (c->r.org_walk == NULL && top != NULL)
		c->r.org_walk = xstrdup(top->domain);
	if (first == NULL)
		return;
	c->r.walk_record_domain = xstrdup(first->domain);
	c->r.walk_applied = first->rec.p ? first->rec.p : DNS_DMARC_P_NONE;
	if (first != &c->walk[0] && first->rec.sp)
		c->r.walk_applied = first->rec.sp;
}

/* "<qname> TXT: <records>" for evidence; caller frees; *lenp set. */
static char *evidence(const struct lookup *l, size_t *lenp)
{
	size_t n = 0;
	char *recs = dns_txtrec_evidence(l->ans, &n), *r;
	struct buf b;

	common_buf_init(&b, (size_t)1 << 20);
	if (dns_finding_buf_printf(&b, "%s TXT: ", l->qname) != ERR_OK ||
	    (recs ? common_buf_append(&b, recs, n)
		  : common_buf_puts(&b, dns_txtrec_outcome_words(l->ans->outcome))) != ERR_OK)
		(void)0; /* a cut evidence text is still evidence */
	free(recs);
	r = common_buf_steal(&b, lenp);
	return r;
}

static void add(struct ctx *c, const struct lookup *l, const char *code, enum dns_sev sev,
		const char *fix, char *msg)
{
	size_t elen = 0;
	char *ev = l ? evidence(l, &elen) : NULL;

	dns_findings_add_msg(c->f, CHECK, code, sev, fix, ev, elen, msg);
	free(ev);
}

/* The rua= to suggest: the record's own mailto addresses, else dmarc-reports@<domain>. */
static char *rua_text(const struct lookup *l, const char *domain)
{
	struct buf b;

	common_buf_init(&b, 4096);
	for (size_t i = 0; l && l->valid && i < l->rec.n_rua; i++)
		if (l->rec.rua[i].host != NULL &&
		    dns_finding_buf_printf(&b, "%s%s", b.len ? "," : "", l->rec.rua[i].uri) !=
			ERR_OK)
			break;
	if (b.len == 0 && dns_finding_buf_printf(&b, "mailto:dmarc-reports@%s", domain) != ERR_OK)
		(void)0;
	return common_buf_steal(&b, NULL);
}

/* The exact record to publish at _dmarc.<where> with policy p. */
static char *suggest(const struct lookup *l, const char *where, enum dns_dmarc_policy p)
{
	char *rua = rua_text(l, where);
	char *r = dns_finding_fmt("`_dmarc.%s. TXT \"v=DMARC1; p=%s; rua=%s\"`", where,
				  dns_dmarc_policy_name(p), rua);

	free(rua);
	return r;
}

/* RFC 7489 7.1: may reports about our domain go to host?  Asks two names at once. */
static enum mp_err authorize(struct ctx *c, struct dns_dmarc_dest *d, char **failq,
			     const struct dns_answer **faila)
{
	const char *where = c->applied->domain;
	char *q1 = dns_finding_fmt("%s._report._dmarc.%s", where, d->host);
	char *q2 = dns_finding_fmt("*._report._dmarc.%s", d->host);
	static const struct dns_answer too_long = {.outcome = DNS_NXDOMAIN};
	const struct dns_answer *a1 = &too_long, *a2 = NULL;
	struct dns_txtrec t1, t2;
	/* A name over 253 characters cannot be asked: no receiver finds it either. */
	enum mp_err e1 =
	    dns_txtrec_name_ok(q1) ? dns_txtrec_get(c->book, q1, DNS_T_TXT, &a1) : ERR_OK;
	enum mp_err e2 = dns_txtrec_get(c->book, q2, DNS_T_TXT, &a2);

	if (e1 == ERR_OK && e2 == ERR_OK) {
		dns_txtrec_select(a1, "v", "DMARC1", false, &t1);
		dns_txtrec_select(a2, "v", "DMARC1", false, &t2);
		if (t1.n_match > 0)
			d->auth = DNS_DMARC_AUTH_OK;
		else if (t2.n_match > 0)
			d->auth = DNS_DMARC_AUTH_WILDCARD;
		else if (a1->outcome == DNS_TEMPFAIL || a1->outcome == DNS_MALFORMED)
			d->auth = DNS_DMARC_AUTH_UNKNOWN;
		else
			d->auth = DNS_DMARC_AUTH_MISSING;
		if (d->auth == DNS_DMARC_AUTH_UNKNOWN && *failq == NULL) {
			*faila = a1;
			*failq = xstrdup(q1);
		}
	}
	free(q1);
	free(q2);
	return e1 != ERR_OK ? e1 : e2;
}

static void add_dest(struct ctx *c, const struct dns_dmarc_uri *u, bool ruf, size_t *checked,
		     enum mp_err *ret, char **failq, const struct dns_answer **faila)
{
	struct dns_dmarc_dest *d;
	char *horg = NULL;
	enum mp_err e;

	c->r.dests = xreallocarray(c->r.dests, c->r.n_dests + 1, sizeof *c->r.dests);
	d = &c->r.dests[c->r.n_dests++];
	memset(d, 0, sizeof *d);
	d->uri = xstrdup(u->uri);
	d->ruf = ruf;
	d->auth = DNS_DMARC_AUTH_NOT_MAILTO;
	if (u->host == NULL)
		return;
	d->host = xstrdup(u->host);
	if (org_of(c, u->host, &horg) != ERR_OK)
		horg = xstrdup(u->host);
	d->auth = DNS_DMARC_AUTH_SAME_ORG;
	if (strcmp(horg, c->org) != 0) {
		d->auth = DNS_DMARC_AUTH_UNKNOWN;
		if ((*checked)++ < DNS_DMARC_DESTS_MAX) {
			e = authorize(c, d, failq, faila);
			if (e != ERR_OK)
				*ret = e;
		}
	}
	free(horg);
}

static enum mp_err check_dests(struct ctx *c, char **failq, const struct dns_answer **faila)
{
	const struct lookup *l = c->applied;
	enum mp_err ret = ERR_OK;
	size_t checked = 0;

	if (l->st != LK_ONE || !l->valid)
		return ERR_OK;
	for (size_t i = 0; i < l->rec.n_rua; i++)
		add_dest(c, &l->rec.rua[i], false, &checked, &ret, failq, faila);
	for (size_t i = 0; i < l->rec.n_ruf; i++)
		add_dest(c, &l->rec.ruf[i], true, &checked, &ret, failq, faila);
	return ret;
}

/* MISSING / MULTIPLE / SYNTAX / DNS failures.  True when a valid record applies. */
static bool report_discovery(struct ctx *c)
{
	const struct lookup *l = c->applied;
	char *s, *fix;

	if (dns_txtrec_failed(c->f, CHECK, c->own.qname, DNS_T_TXT, c->own.ans,
			      "the DMARC policy") ||
	    (l == &c->orgl &&
	     dns_txtrec_failed(c->f, CHECK, l->qname, DNS_T_TXT, l->ans, "the DMARC policy"))) {
		c->r.dns_failed = true;
		return false;
	}
	if (l->st == LK_NONE) {
		s = suggest(NULL, c->domain, DNS_DMARC_P_NONE);
		fix = dns_finding_fmt(
		    "Publish a DMARC record, starting in monitoring mode: %s. When the "
		    "reports show that all your real mail passes, move to p=quarantine "
		    "and then p=reject.",
		    s);
		add(c, l, "DMARC_MISSING", SEV_CRITICAL, fix,
		    dns_finding_fmt(
			"%s has no DMARC record (looked at _dmarc.%s%s%s). Anyone can send "
			"mail claiming to be from %s, and Gmail, Yahoo and Microsoft expect "
			"DMARC from anyone sending in bulk.",
			c->domain, c->domain, l == &c->orgl ? " and _dmarc." : "",
			l == &c->orgl ? c->org : "", c->domain));
		free(fix);
		free(s);
		return false;
	}
	if (l->st == LK_MULTI) {
		add(c, l, "DMARC_MULTIPLE", SEV_CRITICAL,
		    "Delete all but one of the v=DMARC1 TXT records at this name (merge their "
		    "settings into the one you keep).",
		    dns_finding_fmt(
			"There are %zu DMARC records at %s. Receivers then ignore them all "
			"and act as if there were no DMARC policy (RFC 7489 6.6.3).",
			l->n_cand, l->qname));
		return false;
	}
	if (!l->valid) {
		s = suggest(NULL, l->domain, DNS_DMARC_P_NONE);
		fix = dns_finding_fmt("Correct the record at %s; a minimal valid one is %s.",
				      l->qname, s);
		add(c, l, "DMARC_SYNTAX", SEV_CRITICAL, fix,
		    dns_finding_fmt(
			"The DMARC record at %s is invalid (%s), so receivers ignore it%s.",
			l->qname, l->why,
			l == &c->own && c->orgl.qname
			    ? " and do not fall back to the organizational domain's record"
			    : ""));
		free(fix);
		free(s);
		return false;
	}
	return true;
}

static bool has_mailto(const struct dns_dmarc_record *r)
{
	for (size_t i = 0; i < r->n_rua; i++)
		if (r->rua[i].host != NULL)
			return true;
	return false;
}

/* DMARC_INHERITED and DMARC_POLICY_NONE, with the reason the policy is none. */
static void report_strength(struct ctx *c, const struct lookup *l, bool inherited)
{
	const struct dns_dmarc_record *rec = &l->rec;
	char *s, *fix;

	if (inherited)
		add(c, l, "DMARC_INHERITED", SEV_INFO, NULL,
		    dns_finding_fmt(
			"%s has no DMARC record of its own; it is covered by %s's record, "
			"whose %s=%s applies to subdomains.",
			c->domain, l->domain, rec->sp ? "sp" : "p",
			dns_dmarc_policy_name(rec->sp ? rec->sp : rec->p)));
	if (c->r.applied != DNS_DMARC_P_NONE)
		return;
	s = suggest(l, l->domain, DNS_DMARC_P_QUARANTINE);
	fix = dns_finding_fmt(
	    "Once the aggregate reports show that all your real mail passes SPF or "
	    "DKIM in alignment, publish %s%s, and later p=reject.",
	    s, inherited && rec->sp == DNS_DMARC_P_NONE ? " (and drop sp=none)" : "");
	add(c, l, "DMARC_POLICY_NONE", SEV_WARN, fix,
	    dns_finding_fmt(
		"The DMARC policy for %s is none%s: receivers only report, and mail forged "
		"in your name is still delivered.",
		c->domain,
		rec->p == DNS_DMARC_P_UNSET
		    ? " (the record has no p= tag, which receivers read as p=none)"
		: inherited && rec->sp == DNS_DMARC_P_NONE
		    ? " (sp=none in the organizational domain's record)"
		    : " (p=none, monitoring only)"));
	free(fix);
	free(s);
}

static void report_partial(struct ctx *c, const struct lookup *l)
{
	const struct dns_dmarc_record *rec = &l->rec;
	enum dns_dmarc_policy p = c->r.applied;
	char *s, *fix;

	if (p == DNS_DMARC_P_NONE || ((!rec->has_pct || rec->pct == 100) && rec->t != 'y'))
		return;
	s = suggest(l, l->domain, rec->p ? rec->p : p);
	fix = dns_finding_fmt("When the reports show all your real mail passing, remove %s: %s.",
			      rec->t == 'y' ? "t=y" : "pct=", s);
	add(c, l, "DMARC_PARTIAL", SEV_WARN, fix,
	    rec->t == 'y'
		? dns_finding_fmt("The DMARC policy for %s is in testing mode (t=y): RFC 9989 "
				  "receivers apply one step less than %s, so forged mail gets "
				  "through.",
				  c->domain, dns_dmarc_policy_name(p))
		: dns_finding_fmt("The DMARC policy for %s applies to only %u%% of failing mail "
				  "(pct=%u); the rest is treated as if the policy were none.",
				  c->domain, rec->pct, rec->pct));
	free(fix);
	free(s);
}

static void report_policy(struct ctx *c)
{
	const struct lookup *l = c->applied;
	const struct dns_dmarc_record *rec = &l->rec;
	bool inherited = l == &c->orgl;
	char *s, *fix;

	if (rec->p == DNS_DMARC_P_UNSET && !has_mailto(rec)) {
		s = suggest(l, l->domain, DNS_DMARC_P_NONE);
		fix = dns_finding_fmt("Add a policy and a report address: %s.", s);
		add(c, l, "DMARC_SYNTAX", SEV_CRITICAL, fix,
		    dns_finding_fmt(
			"The DMARC record at %s has no p= tag and no rua= address, so RFC "
			"7489 receivers ignore it (RFC 7489 6.6.3).",
			l->qname));
		free(fix);
		free(s);
		return;
	}
	report_strength(c, l, inherited);
	if (c->opts && c->opts->expected && c->r.applied < c->opts->expected) {
		s = suggest(l, l->domain, c->opts->expected);
		fix = dns_finding_fmt("Publish %s.", s);
		add(c, l, "DMARC_POLICY_WEAKER_THAN_EXPECTED", SEV_WARN, fix,
		    dns_finding_fmt(
			"The DMARC policy applied to %s is %s, weaker than the expected %s.",
			c->domain, dns_dmarc_policy_name(c->r.applied),
			dns_dmarc_policy_name(c->opts->expected)));
		free(fix);
		free(s);
	}
	report_partial(c, l);
	if (!inherited && rec->p > DNS_DMARC_P_NONE &&
	    (rec->sp == DNS_DMARC_P_NONE || rec->np == DNS_DMARC_P_NONE)) {
		fix = dns_finding_fmt(
		    "Remove %s from the record at %s (subdomains then get p=%s), unless "
		    "a subdomain really sends mail that is not yet authenticated.",
		    rec->sp == DNS_DMARC_P_NONE ? "sp=none" : "np=none", l->qname,
		    dns_dmarc_policy_name(rec->p));
		add(c, l, "DMARC_SUBDOMAIN_NONE", SEV_WARN, fix,
		    dns_finding_fmt(
			"%s has p=%s but %s: forged mail from %s is delivered, so attackers "
			"can use made-up subdomains such as billing.%s.",
			c->domain, dns_dmarc_policy_name(rec->p),
			rec->sp == DNS_DMARC_P_NONE ? "sp=none" : "np=none",
			rec->sp == DNS_DMARC_P_NONE ? "its subdomains"
						    : "subdomains that do not exist",
			c->domain));
		free(fix);
	}
	if (!has_mailto(rec)) {
		s = suggest(l, l->domain, rec->p ? rec->p : DNS_DMARC_P_NONE);
		fix = dns_finding_fmt(
		    "Add a mailbox (or a DMARC report service) for aggregate reports: "
		    "%s.",
		    s);
		add(c, l, "DMARC_NO_RUA", SEV_WARN, fix,
		    dns_finding_fmt(
			"The DMARC record at %s asks for no aggregate reports (no rua=mailto:), "
			"so nobody sees which servers send mail as %s or whether it passes.",
			l->qname, c->domain));
		free(fix);
		free(s);
	}
}

static void report_dests(struct ctx *c, const char *failq, const struct dns_answer *faila)
{
	const struct lookup *l = c->applied;

	for (size_t i = 0; i < c->r.n_dests; i++) {
		const struct dns_dmarc_dest *d = &c->r.dests[i];
		char *fix;

		if (d->auth != DNS_DMARC_AUTH_MISSING)
			continue;
		fix = dns_finding_fmt(
		    "Ask the operator of %s to publish `%s._report._dmarc.%s. TXT "
		    "\"v=DMARC1\"` (report services do this when you add the domain in "
		    "their dashboard), or use an address in your own domain.",
		    d->host, l->domain, d->host);
		add(c, l, "DMARC_RUA_UNAUTHORIZED", SEV_WARN, fix,
		    dns_finding_fmt(
			"%s reports for %s go to %s, but %s has not published the record "
			"that authorizes reports about %s (RFC 7489 7.1), so receivers send "
			"nothing there.",
			d->ruf ? "Failure" : "Aggregate", c->domain, d->uri, d->host, l->domain));
		free(fix);
	}
	if (failq != NULL)
		dns_txtrec_failed(c->f, CHECK, failq, DNS_T_TXT, faila,
				  "whether a report destination accepts reports");
}

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Where the two discoveries part ways (RFC 7489 PSL vs RFC 9989 tree walk). */
static void report_walk(struct ctx *c)
{
	const struct dns_dmarc_result *r = &c->r;
	bool rec_differs, org_differs, policy_differs;
	char *fix, *s;

	if (c->walk_failed) {
		const struct lookup *l = &c->walk[c->n_walk - 1];

		dns_txtrec_failed(c->f, CHECK, l->qname, DNS_T_TXT, l->ans,
				  "the RFC 9989 tree walk (the policy newer receivers use)");
		return;
	}
	rec_differs = !same(r->record_domain, r->walk_record_domain);
	org_differs = r->org_walk != NULL && strcmp(r->org_walk, r->org_psl) != 0;
	if (!rec_differs && !org_differs)
		return;
	c->r.disagree = true;
	policy_differs =
	    rec_differs && (!r->found || !r->walk_record_domain || r->applied != r->walk_applied);
	s = suggest(c->applied && c->applied->valid ? c->applied : NULL, c->domain,
		    r->found ? r->applied : DNS_DMARC_P_NONE);
	fix = dns_finding_fmt(
	    "Publish a DMARC record at _dmarc.%s itself so that every receiver uses "
	    "the same policy, e.g. %s.",
	    c->domain, s);
	add(c, NULL, "DMARC_DISCOVERY_DIFFERS", policy_differs ? SEV_WARN : SEV_INFO,
	    rec_differs ? fix : NULL,
	    dns_finding_fmt("Older (RFC 7489) and newer (RFC 9989) receivers find different DMARC "
			    "settings for %s. RFC 7489, with the Public Suffix List: %s%s%s "
			    "(organizational domain %s). RFC 9989, walking up the DNS: %s%s%s "
			    "(organizational domain %s).",
			    c->domain, r->found ? "the record at _dmarc." : "no policy",
			    r->found ? r->record_domain : "",
			    r->found ? (r->applied == DNS_DMARC_P_REJECT       ? ", reject"
					: r->applied == DNS_DMARC_P_QUARANTINE ? ", quarantine"
									       : ", none")
				     : "",
			    r->org_psl,
			    r->walk_record_domain ? "the record at _dmarc." : "no policy",
			    r->walk_record_domain ? r->walk_record_domain : "",
			    r->walk_record_domain
				? (r->walk_applied == DNS_DMARC_P_REJECT       ? ", reject"
				   : r->walk_applied == DNS_DMARC_P_QUARANTINE ? ", quarantine"
									       : ", none")
				: "",
			    r->org_walk ? r->org_walk : "none found"));
	free(fix);
	free(s);
}

static void summary(struct ctx *c)
{
	const struct dns_dmarc_result *r = &c->r;
	struct buf dests;

	for (size_t i = c->first; i < c->f->n; i++)
		if (dns_sev_worse(c->f->v[i].sev, SEV_INFO))
			return;
	common_buf_init(&dests, 4096);
	for (size_t i = 0; i < r->n_dests; i++)
		if (!r->dests[i].ruf &&
		    dns_finding_buf_printf(&dests, "%s%s", dests.len ? ", " : "",
					   r->dests[i].uri) != ERR_OK)
			break;
	add(c, c->applied, "DMARC_OK", SEV_OK, NULL,
	    dns_finding_fmt(
		"%s is protected by DMARC: p=%s from the record at _dmarc.%s; aggregate "
		"reports go to %s.",
		c->domain, dns_dmarc_policy_name(r->applied), r->record_domain,
		common_buf_str(&dests)));
	common_buf_free(&dests);
}

/* The applied record in the result (the parsed record moves over at the end). */
static void fill_applied(struct ctx *c)
{
	const struct lookup *l = c->applied;

	c->r.found = true;
	c->r.record_domain = xstrdup(l->domain);
	c->r.raw = xmemdup0(l->rr->data, l->rr->len);
	c->r.raw_len = l->rr->len;
	c->r.inherited = l == &c->orgl;
	c->r.applied = l->rec.p ? l->rec.p : DNS_DMARC_P_NONE;
	if (c->r.inherited && l->rec.sp)
		c->r.applied = l->rec.sp; /* RFC 7489 6.3: sp applies to subdomains */
}

static bool valid_domain(const char *d)
{
	size_t n = strlen(d);

	if (n == 0 || n > 254 || d[0] == '.' || strstr(d, "..") != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = d[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_'))
			return false;
	}
	return true;
}

static void ctx_free(struct ctx *c)
{
	lookup_free(&c->own);
	lookup_free(&c->orgl);
	for (size_t i = 0; i < DNS_DMARC_WALK_MAX; i++)
		lookup_free(&c->walk[i]);
	free(c->domain);
	free(c->org);
}

static enum mp_err run(struct ctx *c)
{
	char *failq = NULL;
	const struct dns_answer *faila = NULL;
	enum mp_err e1 = discover_7489(c), e2 = walk_9989(c), e3 = ERR_OK;

	if (e1 == ERR_OK)
		e3 = check_dests(c, &failq, &faila);
	if (e1 != ERR_OK || e2 != ERR_OK || e3 != ERR_OK) {
		free(failq);
		return e1 != ERR_OK ? e1 : e2 != ERR_OK ? e2 : e3;
	}
	c->r.domain = xstrdup(c->domain);
	c->r.org_psl = xstrdup(c->org);
	walk_results(c);
	if (report_discovery(c)) {
		fill_applied(c);
		report_policy(c);
		report_dests(c, failq, faila);
	}
	report_walk(c);
	summary(c);
	free(failq);
	return ERR_OK;
}

enum mp_err dns_dmarc_check(struct dns_book *book, const char *domain,
			    const struct dns_dmarc_opts *opts, struct dns_findings *out,
			    struct dns_dmarc_result *res)
{
	struct ctx c = {.book = book, .opts = opts, .f = out, .first = out->n};
	struct dns_orgdomain *own_psl = NULL;
	enum mp_err e;

	if (!valid_domain(domain))
		return ERR_INVAL;
	c.domain = dns_txtrec_canon(domain);
	c.psl = opts && opts->psl ? opts->psl : (own_psl = dns_orgdomain_new());
	c.shared_psl = own_psl == NULL;
	e = org_of(&c, c.domain, &c.org);
	if (e == ERR_OK)
		e = run(&c);
	if (e == ERR_OK && c.r.found) {
		struct lookup *l = c.applied == &c.own ? &c.own : &c.orgl;

		if (l->borrowed) {
			dns_dmarc_record_copy(&c.r.rec, &l->rec);
		} else {
			c.r.rec = l->rec;
			memset(&l->rec, 0, sizeof l->rec);
		}
	}
	if (e == ERR_OK && res != NULL) {
		*res = c.r;
		memset(&c.r, 0, sizeof c.r);
	}
	ctx_free(&c);
	dns_dmarc_result_free(&c.r);
	dns_orgdomain_free(own_psl);
	return e;
}

void dns_dmarc_result_free(struct dns_dmarc_result *res)
{
	if (res == NULL)
		return;
	free(res->domain);
	free(res->org_psl);
	free(res->record_domain);
	free(res->raw);
	dns_dmarc_record_free(&res->rec);
	free(res->walk_record_domain);
	free(res->org_walk);
	for (size_t i = 0; i < res->n_dests; i++) {
		free(res->dests[i].uri);
		free(res->dests[i].host);
	}
	free(res->dests);
	memset(res, 0, sizeof *res);
}
