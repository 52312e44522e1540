/*
 * dns/spf_eval: RFC 7208 check_host(), see spf_eval.h for the contract and
 * for how DNS outcomes map to results.
 *
 * Shape: check_host() fetches and parses a record, eval_record() walks its
 * mechanisms in order (RFC 7208 4.6.2), one function per mechanism decides
 * match / no match / error, include and redirect recurse into
 * check_host() with the same struct eval, so the 10-term and void budgets
 * are shared by the whole evaluation (RFC 7208 4.6.4).  Every run starts
 * from scratch; ERR_AGAIN unwinds through all of it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/spf_eval.h"
#include "dns/spf_exp.h"
#include "dns/spf_macro.h"
#include "dns/spf_ptr.h"
#include "dns/spf_record.h"

/* What one mechanism came to. */
enum mres { M_NOMATCH, M_MATCH, M_TEMPERROR, M_PERMERROR };

static const char *mres_name(enum mres m)
{
	static const char *const names[] = {"no match", "match", "temperror", "permerror"};

	return names[m];
}

/* How a lookup went, once answered. */
enum look { L_DATA, L_EMPTY, L_ERROR };

struct eval {
	struct dns_book *book;
	const struct dns_spf_request *req;
	struct dns_spf_macro_ctx mctx; /* .domain is set per record */
	char *sender, *local, *domain; /* <sender>, its local-part, the checked <domain> */
	unsigned dns_terms, voids;
	unsigned depth;		/* include and redirect nesting */
	unsigned include_depth; /* include nesting only: 0 is the "top chain" */
	char *reason, *mechanism;
	char *exp_spec, *exp_domain; /* exp= of the record that decided at the top */
	struct dns_spf_step *steps;
	size_t n_steps;
};

const char *dns_spf_verdict_name(enum dns_spf_verdict v)
{
	static const char *const names[] = {"none",	"neutral",   "pass",	 "fail",
					    "softfail", "temperror", "permerror"};

	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

MP_PRINTF(1, 0) static char *vformat(const char *fmt, va_list ap)
{
	struct buf b;

	common_buf_init(&b, 8192);
	if (common_buf_vprintf(&b, fmt, ap) != ERR_OK)
		common_buf_reset(&b); /* only an absurdly long name gets here */
	return common_buf_steal(&b, NULL);
}

/* Append a trace line; returns its index so the outcome can be set later. */
static size_t step(struct eval *ev, const char *domain, const char *term, size_t term_len,
		   const char *outcome, const char *fmt, ...) MP_PRINTF(6, 7);
static size_t step(struct eval *ev, const char *domain, const char *term, size_t term_len,
		   const char *outcome, const char *fmt, ...)
{
	struct dns_spf_step *s;
	va_list ap;

	ev->steps = xreallocarray(ev->steps, ev->n_steps + 1, sizeof *ev->steps);
	s = &ev->steps[ev->n_steps];
	s->depth = ev->depth;
	s->domain = xstrdup(domain);
	s->term = xmemdup0(term, term_len);
	s->outcome = xstrdup(outcome);
	va_start(ap, fmt);
	s->action = vformat(fmt, ap);
	va_end(ap);
	return ev->n_steps++;
}

static void set_outcome(struct eval *ev, size_t i, const char *outcome)
{
	free(ev->steps[i].outcome);
	ev->steps[i].outcome = xstrdup(outcome);
}

/* The first reason wins: errors short-circuit, so it is the one that decided. */
static void set_reason(struct eval *ev, const char *fmt, ...) MP_PRINTF(2, 3);
static void set_reason(struct eval *ev, const char *fmt, ...)
{
	va_list ap;

	if (ev->reason != NULL)
		return;
	va_start(ap, fmt);
	ev->reason = vformat(fmt, ap);
	va_end(ap);
}

/* Ask (name, type).  ERR_AGAIN, or ERR_OK with *l (and *ans, NULL if the book is full). */
static enum mp_err ask(struct eval *ev, const char *name, uint16_t type,
		       const struct dns_answer **ans, enum look *l)
{
	enum mp_err e = dns_book_get(ev->book, name, type, ans);

	if (e == ERR_AGAIN)
		return e;
	if (e != ERR_OK) {
		*ans = NULL;
		*l = L_ERROR;
		return ERR_OK;
	}
	if ((*ans)->outcome == DNS_DATA && (*ans)->n > 0)
		*l = L_DATA;
	else if ((*ans)->outcome == DNS_DATA || (*ans)->outcome == DNS_NXDOMAIN ||
		 (*ans)->outcome == DNS_NODATA)
		*l = L_EMPTY;
	else
		*l = L_ERROR;
	return ERR_OK;
}

/* Words for a failed or empty answer: "nxdomain", "tempfail (timeout)". */
static const char *why_text(const struct dns_answer *ans, char *buf, size_t size)
{
	if (ans == NULL)
		return "question budget of the book spent";
	if (ans->why == NULL)
		return dns_outcome_name(ans->outcome);
	snprintf(buf, size, "%s (%s)", dns_outcome_name(ans->outcome), ans->why);
	return buf;
}

static uint16_t addr_type(const struct eval *ev)
{
	return ev->req->ip.family == 4 ? DNS_T_A : DNS_T_AAAA;
}

/* a and mx compare with the prefix for the client's family (RFC 7208 5.3). */
static unsigned addr_prefix(const struct eval *ev, const struct dns_spf_term *t)
{
	return ev->req->ip.family == 4 ? t->cidr4 : t->cidr6;
}

static bool answer_matches(const struct eval *ev, const struct dns_answer *ans, unsigned prefix)
{
	const struct dns_spf_ip *ip = &ev->req->ip;
	size_t want = ip->family == 4 ? 4 : 16;

	for (size_t i = 0; i < ans->n; i++)
		if (ans->rr[i].len == want &&
		    dns_spf_ip_in_net(ip, ip->family, (const unsigned char *)ans->rr[i].data,
				      prefix))
			return true;
	return false;
}

/* RFC 7208 4.6.4: count a DNS-querying term before it asks anything. */
static bool count_dns_term(struct eval *ev, const char *domain, const struct dns_spf_term *t)
{
	if (ev->dns_terms >= DNS_SPF_MAX_DNS_TERMS) {
		set_reason(ev, "more than %d DNS-querying terms (RFC 7208 4.6.4): %.*s in %s",
			   DNS_SPF_MAX_DNS_TERMS, (int)t->len, t->text, domain);
		step(ev, domain, t->text, t->len, "permerror", "limit of %d reached, not asked",
		     DNS_SPF_MAX_DNS_TERMS);
		return false;
	}
	ev->dns_terms++;
	return true;
}

/* RFC 7208 4.6.4: a term whose lookup found nothing; false past the limit. */
static bool count_void(struct eval *ev, const char *domain, const struct dns_spf_term *t)
{
	if (++ev->voids <= DNS_SPF_MAX_VOID)
		return true;
	set_reason(ev, "more than %d void lookups (RFC 7208 4.6.4): %.*s in %s", DNS_SPF_MAX_VOID,
		   (int)t->len, t->text, domain);
	return false;
}

/*
 * The name a term points at: its domain-spec expanded (RFC 7208 4.8, 7.3),
 * or <domain> when it has none.  The name may still be unaskable; an
 * expansion past DNS_SPF_MACRO_MAX gives "" (unaskable too).
 */
static enum mp_err target_name(struct eval *ev, const struct dns_spf_term *t, const char *domain,
			       char **out)
{
	enum mp_err e;

	if (t->spec == NULL) {
		*out = xstrdup(domain);
		return ERR_OK;
	}
	ev->mctx.domain = domain;
	e = dns_spf_macro_domain(&ev->mctx, t->spec, t->spec_len, out);
	if (e == ERR_AGAIN)
		return e;
	if (e != ERR_OK)
		*out = xstrdup("");
	return ERR_OK;
}

/*
 * Judge a term's own lookup (a, mx, exists): an error is temperror (RFC
 * 7208 5), nothing found is a void lookup and no match.
 */
static enum mres judge_lookup(struct eval *ev, const char *domain, const struct dns_spf_term *t,
			      const char *name, const struct dns_answer *ans, enum look l)
{
	char buf[128];
	const char *why = why_text(ans, buf, sizeof buf);

	if (l == L_ERROR) {
		set_reason(ev, "DNS error for %s (%.*s in %s): %s", name, (int)t->len, t->text,
			   domain, why);
		step(ev, domain, t->text, t->len, "temperror", "ask %s", name);
		return M_TEMPERROR;
	}
	if (l == L_EMPTY) {
		bool ok = count_void(ev, domain, t);

		step(ev, domain, t->text, t->len, ok ? "no match" : "permerror",
		     "ask %s: void lookup %u (%s)", name, ev->voids, why);
		return ok ? M_NOMATCH : M_PERMERROR;
	}
	return M_MATCH; /* data: the caller compares */
}

/* A name the evaluator will not ask: the mechanism does not match (RFC 7208 4.3). */
static enum mres not_a_name(struct eval *ev, const char *domain, const struct dns_spf_term *t,
			    const char *name)
{
	step(ev, domain, t->text, t->len, "no match", "target '%s' is not a DNS name", name);
	return M_NOMATCH;
}

/* RFC 7208 5.3 "a" and 5.7 "exists" (exists always asks A). */
static enum mp_err mech_a_exists(struct eval *ev, const struct dns_spf_term *t, const char *domain,
				 enum mres *r)
{
	bool exists = t->kind == DNS_SPF_EXISTS;
	const struct dns_answer *ans;
	enum look l;
	char *name;
	enum mp_err e = target_name(ev, t, domain, &name);

	if (e != ERR_OK)
		return e;
	if (!dns_spf_macro_name_ok(name)) {
		*r = not_a_name(ev, domain, t, name);
		goto out;
	}
	e = ask(ev, name, exists ? DNS_T_A : addr_type(ev), &ans, &l);
	if (e != ERR_OK)
		goto out;
	*r = judge_lookup(ev, domain, t, name, ans, l);
	if (l != L_DATA)
		goto out;
	if (!exists && !answer_matches(ev, ans, addr_prefix(ev, t)))
		*r = M_NOMATCH;
	step(ev, domain, t->text, t->len, mres_name(*r), "ask %s: %zu record(s)", name, ans->n);
out:
	free(name);
	return e;
}

/* An MX exchange as an askable name, or NULL (the null MX ".", junk). */
static char *mx_host(const struct dns_rr *rr)
{
	size_t len = rr->len;
	char *h;

	if (len > 0 && rr->data[len - 1] == '.')
		len--;
	if (len == 0 || memchr(rr->data, '\0', len) != NULL)
		return NULL;
	h = xmemdup0(rr->data, len);
	if (!dns_spf_macro_name_ok(h)) {
		free(h);
		return NULL;
	}
	return h;
}

/*
 * RFC 7208 5.4: compare the client with the addresses of every exchange.
 * All address questions are asked before waiting (one round trip), then
 * the exchanges are judged in answer order: a DNS error met before a match
 * is temperror (RFC 7208 5).  These lookups are not void lookups: the
 * term's own lookup is the MX one.
 */
static enum mp_err mx_hosts(struct eval *ev, const struct dns_spf_term *t, const char *domain,
			    const struct dns_answer *mx, enum mres *r)
{
	const struct dns_answer *ans[DNS_SPF_MAX_MX];
	enum look l[DNS_SPF_MAX_MX];
	char *host[DNS_SPF_MAX_MX], buf[128];
	bool pending = false;
	enum mp_err e = ERR_OK;

	for (size_t i = 0; i < mx->n; i++) {
		host[i] = mx_host(&mx->rr[i]);
		if (host[i] != NULL && ask(ev, host[i], addr_type(ev), &ans[i], &l[i]) == ERR_AGAIN)
			pending = true;
	}
	*r = M_NOMATCH;
	for (size_t i = 0; !pending && i < mx->n && *r == M_NOMATCH; i++) {
		if (host[i] == NULL || l[i] == L_EMPTY)
			continue;
		if (l[i] == L_ERROR) {
			set_reason(ev, "DNS error for MX host %s (%.*s in %s): %s", host[i],
				   (int)t->len, t->text, domain, why_text(ans[i], buf, sizeof buf));
			*r = M_TEMPERROR;
		} else if (answer_matches(ev, ans[i], addr_prefix(ev, t))) {
			*r = M_MATCH;
		}
	}
	if (pending)
		e = ERR_AGAIN;
	else
		step(ev, domain, t->text, t->len, mres_name(*r),
		     "compare with the addresses of %zu MX host(s)", mx->n);
	for (size_t i = 0; i < mx->n; i++)
		free(host[i]);
	return e;
}

/* RFC 7208 5.4 "mx". */
static enum mp_err mech_mx(struct eval *ev, const struct dns_spf_term *t, const char *domain,
			   enum mres *r)
{
	const struct dns_answer *ans;
	enum look l;
	char *name;
	enum mp_err e = target_name(ev, t, domain, &name);

	if (e != ERR_OK)
		return e;
	if (!dns_spf_macro_name_ok(name)) {
		*r = not_a_name(ev, domain, t, name);
		goto out;
	}
	e = ask(ev, name, DNS_T_MX, &ans, &l);
	if (e != ERR_OK)
		goto out;
	*r = judge_lookup(ev, domain, t, name, ans, l);
	if (l != L_DATA)
		goto out;
	/* RFC 7208 4.6.4: more than 10 MX names is a permerror. */
	if (ans->n > DNS_SPF_MAX_MX) {
		set_reason(ev, "%s has %zu MX records, more than %d (RFC 7208 4.6.4)", name, ans->n,
			   DNS_SPF_MAX_MX);
		step(ev, domain, t->text, t->len, "permerror", "ask MX %s: %zu records", name,
		     ans->n);
		*r = M_PERMERROR;
		goto out;
	}
	e = mx_hosts(ev, t, domain, ans, r);
out:
	free(name);
	return e;
}

/* RFC 7208 5.5 "ptr" (its use is discouraged, but it must work). */
static enum mp_err mech_ptr(struct eval *ev, const struct dns_spf_term *t, const char *domain,
			    enum mres *r)
{
	struct dns_spf_ptr_names names = {0};
	char *name;
	enum mp_err e = target_name(ev, t, domain, &name);

	*r = M_NOMATCH;
	if (e != ERR_OK)
		return e;
	if (!dns_spf_macro_name_ok(name)) {
		*r = not_a_name(ev, domain, t, name);
		goto out;
	}
	e = dns_spf_ptr_validate(ev->book, &ev->req->ip, &names);
	if (e != ERR_OK)
		goto out;
	/* The PTR question is the term's own lookup: empty is void (4.6.4). */
	if ((names.outcome == DNS_NXDOMAIN || names.outcome == DNS_NODATA) &&
	    !count_void(ev, domain, t))
		*r = M_PERMERROR;
	/* RFC 7208 5.5: a DNS error on the PTR lookup just means no match. */
	for (size_t i = 0; i < names.n && *r == M_NOMATCH; i++)
		if (dns_spf_ptr_name_within(names.name[i], name))
			*r = M_MATCH;
	step(ev, domain, t->text, t->len, mres_name(*r),
	     "PTR: %s, %zu validated name(s), compare with %s", dns_outcome_name(names.outcome),
	     names.n, name);
	dns_spf_ptr_names_free(&names);
out:
	free(name);
	return e;
}

static enum mp_err check_host(struct eval *ev, const char *domain, enum dns_spf_verdict *v);

/*
 * Recurse into check_host() for include or redirect.  A target that is
 * not a DNS name is "none" (RFC 7208 4.3).
 */
static enum mp_err recurse(struct eval *ev, const struct dns_spf_term *t, const char *domain,
			   char **target, enum dns_spf_verdict *v)
{
	bool inc = t->kind == DNS_SPF_INCLUDE;
	enum mp_err e = target_name(ev, t, domain, target);

	if (e != ERR_OK)
		return e;
	if (!dns_spf_macro_name_ok(*target)) {
		*v = DNS_SPF_NONE;
		return ERR_OK;
	}
	ev->depth++;
	ev->include_depth += inc;
	e = check_host(ev, *target, v);
	ev->depth--;
	ev->include_depth -= inc;
	return e;
}

/*
 * RFC 7208 5.2 "include", with its result table: pass matches; fail,
 * softfail and neutral do not; temperror is temperror; permerror and none
 * are permerror.
 */
static enum mp_err mech_include(struct eval *ev, const struct dns_spf_term *t, const char *domain,
				enum mres *r)
{
	size_t s =
	    step(ev, domain, t->text, t->len, "", "check_host(%.*s)", (int)t->spec_len, t->spec);
	enum dns_spf_verdict v;
	char *target = NULL;
	enum mp_err e = recurse(ev, t, domain, &target, &v);

	if (e != ERR_OK) {
		free(target);
		return e;
	}
	if (v == DNS_SPF_NONE)
		set_reason(ev, "include target %s has no SPF record (RFC 7208 5.2)", target);
	*r = v == DNS_SPF_PASS				   ? M_MATCH
	     : v == DNS_SPF_TEMPERROR			   ? M_TEMPERROR
	     : v == DNS_SPF_PERMERROR || v == DNS_SPF_NONE ? M_PERMERROR
							   : M_NOMATCH;
	set_outcome(ev, s,
		    *r == M_MATCH || *r == M_NOMATCH ? mres_name(*r) : dns_spf_verdict_name(v));
	free(target);
	return e;
}

static enum mp_err eval_mechanism(struct eval *ev, const struct dns_spf_term *t, const char *domain,
				  enum mres *r)
{
	bool hit;

	if (dns_spf_kind_queries_dns(t->kind) && !count_dns_term(ev, domain, t)) {
		*r = M_PERMERROR;
		return ERR_OK;
	}
	switch (t->kind) {
	case DNS_SPF_INCLUDE:
		return mech_include(ev, t, domain, r);
	case DNS_SPF_A:
	case DNS_SPF_EXISTS:
		return mech_a_exists(ev, t, domain, r);
	case DNS_SPF_MX:
		return mech_mx(ev, t, domain, r);
	case DNS_SPF_PTR:
		return mech_ptr(ev, t, domain, r);
	case DNS_SPF_IP4:
	case DNS_SPF_IP6:
		/* RFC 7208 5.6: only an address of the same family can match. */
		hit = dns_spf_ip_in_net(&ev->req->ip, t->kind == DNS_SPF_IP4 ? 4 : 6, t->net,
					t->kind == DNS_SPF_IP4 ? t->cidr4 : t->cidr6);
		break;
	default: /* all */
		hit = true;
	}
	*r = hit ? M_MATCH : M_NOMATCH;
	step(ev, domain, t->text, t->len, mres_name(*r), "compare");
	return ERR_OK;
}

/* RFC 7208 4.6.2: the qualifier of the matching mechanism is the result. */
static enum dns_spf_verdict qualifier_verdict(char q)
{
	return q == '-'	  ? DNS_SPF_FAIL
	       : q == '~' ? DNS_SPF_SOFTFAIL
	       : q == '?' ? DNS_SPF_NEUTRAL
			  : DNS_SPF_PASS;
}

/* A mechanism matched: at the top chain it decides the result and its exp= counts. */
static void decided(struct eval *ev, const struct dns_spf_record *rec, const struct dns_spf_term *t,
		    const char *domain)
{
	if (ev->include_depth > 0)
		return;
	set_reason(ev, "%.*s matched in the SPF record of %s", (int)t->len, t->text, domain);
	free(ev->mechanism);
	ev->mechanism = xmemdup0(t->text, t->len);
	free(ev->exp_spec);
	free(ev->exp_domain);
	/* RFC 7208 6.2: the exp= of the record that produced the result. */
	ev->exp_spec = rec->exp ? xmemdup0(rec->exp->spec, rec->exp->spec_len) : NULL;
	ev->exp_domain = xstrdup(domain);
}

/* RFC 7208 6.1 "redirect": only when no mechanism matched. */
static enum mp_err eval_redirect(struct eval *ev, const struct dns_spf_term *t, const char *domain,
				 enum dns_spf_verdict *v)
{
	size_t s;
	char *target = NULL;
	enum mp_err e;

	if (!count_dns_term(ev, domain, t)) {
		*v = DNS_SPF_PERMERROR;
		return ERR_OK;
	}
	s = step(ev, domain, t->text, t->len, "", "check_host(%.*s)", (int)t->spec_len, t->spec);
	e = recurse(ev, t, domain, &target, v);
	if (e == ERR_OK && *v == DNS_SPF_NONE) {
		/* RFC 7208 6.1: a redirect target without a record is a permerror. */
		set_reason(ev, "redirect target %s has no SPF record (RFC 7208 6.1)", target);
		*v = DNS_SPF_PERMERROR;
	}
	if (e == ERR_OK)
		set_outcome(ev, s, dns_spf_verdict_name(*v));
	free(target);
	return e;
}

/* RFC 7208 4.6.2: mechanisms left to right, the first match decides. */
static enum mp_err eval_record(struct eval *ev, const struct dns_spf_record *rec,
			       const char *domain, enum dns_spf_verdict *v)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct dns_spf_term *t = &rec->terms[i];
		enum mres m;
		enum mp_err e;

		if (t->kind == DNS_SPF_REDIRECT || t->kind == DNS_SPF_EXP ||
		    t->kind == DNS_SPF_UNKNOWN_MOD)
			continue;
		e = eval_mechanism(ev, t, domain, &m);
		if (e != ERR_OK)
			return e;
		if (m == M_NOMATCH)
			continue;
		if (m == M_MATCH)
			decided(ev, rec, t, domain);
		*v = m == M_MATCH	? qualifier_verdict(t->qualifier)
		     : m == M_TEMPERROR ? DNS_SPF_TEMPERROR
					: DNS_SPF_PERMERROR;
		return ERR_OK;
	}
	if (rec->redirect != NULL)
		return eval_redirect(ev, rec->redirect, domain, v);
	/* RFC 7208 4.7: nothing matched and no redirect: neutral. */
	if (ev->include_depth == 0)
		set_reason(ev, "no mechanism matched in the SPF record of %s (RFC 7208 4.7)",
			   domain);
	*v = DNS_SPF_NEUTRAL;
	return ERR_OK;
}

/*
 * RFC 7208 4.4 and 4.5: fetch and select the record of domain.  ERR_OK
 * with *rec set, or with *rec NULL and *v the verdict (none, temperror,
 * permerror).
 */
static enum mp_err fetch_record(struct eval *ev, const char *domain, struct dns_spf_record **rec,
				enum dns_spf_verdict *v)
{
	const struct dns_answer *ans;
	const struct dns_rr *rr;
	struct dns_spf_syntax why;
	char buf[128];
	enum look l;
	size_t n;
	enum mp_err e = ask(ev, domain, DNS_T_TXT, &ans, &l);

	*rec = NULL;
	if (e != ERR_OK)
		return e;
	n = l == L_DATA ? dns_spf_record_select(ans, &rr) : 0;
	if (l == L_ERROR) {
		set_reason(ev, "DNS error fetching the SPF record of %s: %s", domain,
			   why_text(ans, buf, sizeof buf));
		*v = DNS_SPF_TEMPERROR;
	} else if (n == 0) {
		if (ev->depth == 0)
			set_reason(ev, "%s publishes no SPF record", domain);
		*v = DNS_SPF_NONE;
	} else if (n > 1) {
		set_reason(ev, "%s publishes %zu SPF records (RFC 7208 4.5)", domain, n);
		*v = DNS_SPF_PERMERROR;
	} else if (dns_spf_record_parse(rr->data, rr->len, rec, &why) != ERR_OK) {
		set_reason(ev, "SPF record of %s: %s at '%s'", domain, why.reason, why.term);
		*v = DNS_SPF_PERMERROR;
	}
	step(ev, domain, "(record)", 8, *rec ? "found" : dns_spf_verdict_name(*v),
	     "TXT %s: %s, %zu SPF record(s)", domain, why_text(ans, buf, sizeof buf), n);
	return ERR_OK;
}

/* RFC 7208 4: check_host(<ip>, <domain>, <sender>). */
static enum mp_err check_host(struct eval *ev, const char *domain, enum dns_spf_verdict *v)
{
	struct dns_spf_record *rec;
	enum mp_err e = fetch_record(ev, domain, &rec, v);

	if (e != ERR_OK || rec == NULL)
		return e;
	e = eval_record(ev, rec, domain, v);
	dns_spf_record_free(rec);
	return e;
}

/*
 * RFC 7208 6.2: the explanation of a fail: the exp= text of the record that
 * produced it, else the request's default.
 */
static enum mp_err explain(struct eval *ev, char **out)
{
	const char *def = ev->req->default_explanation;
	char *name = NULL;
	enum mp_err e = ERR_OK;

	*out = NULL;
	ev->mctx.domain = ev->exp_domain ? ev->exp_domain : ev->domain;
	if (ev->exp_spec != NULL) {
		e = dns_spf_exp_fetch(ev->book, &ev->mctx, ev->exp_spec, strlen(ev->exp_spec),
				      &name, out);
		if (e == ERR_OK)
			step(ev, ev->exp_domain, "exp", 3, *out ? "explanation" : "ignored",
			     "TXT %s", name ? name : "(expansion failed)");
		free(name);
	}
	if (e != ERR_OK || *out != NULL || def == NULL)
		return e;
	return dns_spf_exp_default(&ev->mctx, def, out);
}

bool dns_spf_domain_ok(const char *name)
{
	size_t len = strlen(name), top = 0;
	bool top_digits = true;

	if (!dns_spf_macro_name_ok(name))
		return false;
	len -= name[len - 1] == '.';
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool digit = c >= '0' && c <= '9';

		if (c == '.')
			top = i + 1;
		else if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-' &&
			 c != '_')
			return false;
		top_digits = c == '.' || (top_digits && digit);
	}
	/* RFC 7208 4.3: more than one label; a numeric top label is an address. */
	return top > 0 && !top_digits;
}

/*
 * RFC 7208 2.4 and 4.3: <sender> and <domain> from the identity.  The null
 * sender becomes postmaster@helo, a missing local-part "postmaster".
 */
static void setup_identity(struct eval *ev)
{
	const struct dns_spf_request *req = ev->req;
	const char *helo = req->helo ? req->helo : "";
	const char *s = req->identity == DNS_SPF_ID_HELO ? NULL : req->sender;
	const char *at = s != NULL ? strrchr(s, '@') : NULL;

	if (s == NULL || *s == '\0') {
		ev->local = xstrdup("postmaster");
		ev->domain = xstrdup(helo);
	} else if (at == NULL) {
		ev->local = xstrdup("postmaster");
		ev->domain = xstrdup(s);
	} else {
		ev->local = at == s ? xstrdup("postmaster") : xmemdup0(s, (size_t)(at - s));
		ev->domain = xstrdup(at + 1);
	}
	ev->sender = xasprintf("%s@%s", ev->local, ev->domain);
	ev->mctx = (struct dns_spf_macro_ctx){
	    .sender = ev->sender,
	    .local = ev->local,
	    .sender_domain = ev->domain,
	    .domain = ev->domain,
	    .helo = helo,
	    .ip = &req->ip,
	    .receiver = req->receiver,
	    .now = req->now,
	    .hex_upper = req->hex_upper,
	    .book = ev->book,
	};
}

static void free_steps(struct dns_spf_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].domain);
		free(s[i].term);
		free(s[i].action);
		free(s[i].outcome);
	}
	free(s);
}

static void eval_free(struct eval *ev)
{
	free(ev->sender);
	free(ev->local);
	free(ev->domain);
	free(ev->reason);
	free(ev->mechanism);
	free(ev->exp_spec);
	free(ev->exp_domain);
	free_steps(ev->steps, ev->n_steps);
}

/* Move everything the caller keeps from ev into a new result. */
static struct dns_spf_result *make_result(struct eval *ev, enum dns_spf_verdict v, char *expl)
{
	struct dns_spf_result *r = xcalloc(1, sizeof *r);

	r->verdict = v;
	r->domain = ev->domain;
	r->sender = ev->sender;
	r->reason = ev->reason ? ev->reason : xstrdup(dns_spf_verdict_name(v));
	r->mechanism = ev->mechanism;
	r->explanation = expl;
	r->dns_terms = ev->dns_terms;
	r->void_lookups = ev->voids;
	r->steps = ev->steps;
	r->n_steps = ev->n_steps;
	ev->domain = ev->sender = ev->reason = ev->mechanism = NULL;
	ev->steps = NULL;
	ev->n_steps = 0;
	return r;
}

enum mp_err dns_spf_eval(struct dns_book *book, const struct dns_spf_request *req,
			 struct dns_spf_result **out)
{
	struct eval ev = {.book = book, .req = req};
	enum dns_spf_verdict v = DNS_SPF_NONE;
	char *expl = NULL;
	enum mp_err e = ERR_OK;

	if (req->ip.family != 4 && req->ip.family != 6)
		return ERR_INVAL;
	setup_identity(&ev);
	/* RFC 7208 4.3: a malformed or single-label <domain> gives "none". */
	if (!dns_spf_domain_ok(ev.domain))
		set_reason(&ev, "'%s' is not a valid domain name (RFC 7208 4.3)", ev.domain);
	else
		e = check_host(&ev, ev.domain, &v);
	if (e == ERR_OK && v == DNS_SPF_FAIL)
		e = explain(&ev, &expl);
	if (e == ERR_OK)
		*out = make_result(&ev, v, expl);
	eval_free(&ev);
	return e;
}

void dns_spf_result_free(struct dns_spf_result *res)
{
	if (res == NULL)
		return;
	free(res->domain);
	free(res->sender);
	free(res->reason);
	free(res->mechanism);
	free(res->explanation);
	free_steps(res->steps, res->n_steps);
	free(res);
}
