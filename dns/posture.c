/*
 * dns/posture: composes the posture checks of one domain (see posture.h).
 *
 * Each check is stepped until it completes; a completed check keeps its
 * findings and results and is not run again, so a re-step costs only the
 * checks still waiting.  MTA-STS runs after MX, since coverage needs the MX
 * hosts, TLS-RPT after MTA-STS (its absence matters more under enforce),
 * and BIMI after DMARC, since a BIMI logo needs an enforcing policy.
 * The findings list is assembled in a fixed order once every check is done.
 */
#include <string.h>
#include "common/xmalloc.h"
#include "dns/bimi.h"
#include "dns/dkim_key.h"
#include "dns/dmarc.h"
#include "dns/mtasts.h"
#include "dns/mx.h"
#include "dns/posture.h"
#include "dns/spf_posture.h"
#include "dns/tlsrpt.h"

enum { C_SPF, C_DKIM, C_DMARC, C_MX, C_MTASTS, C_TLSRPT, C_BIMI, C__N };

static const char *const check_names[C__N] = {"spf",	 "dkim",    "dmarc", "mx",
					      "mta-sts", "tls-rpt", "bimi"};

struct fetched {
	enum dns_mtasts_fetch_state state;
	long status;
	char *content_type, *body, *error;
	size_t body_len;
};

struct dns_posture {
	char *domain;
	struct dns_book *book;
	/* options, deep-copied */
	char **selectors;
	size_t n_selectors;
	struct dns_dkim_keyfile *keys;
	size_t n_keys;
	bool no_discovery;
	enum dns_dmarc_policy expect;
	const struct dns_orgdomain *psl;
	/* per check */
	bool done[C__N];
	struct dns_findings f[C__N];
	struct dns_findings all;
	bool complete;
	/* results for display and for the checks that depend on them */
	struct dns_spf_tree *spf;
	struct dns_dkim_key_result dkim;
	struct dns_dmarc_result dmarc;
	struct dns_mx_result mx;
	struct dns_mtasts_result sts;
	struct dns_tlsrpt_result tlsrpt;
	struct dns_bimi_result bimi;
	struct fetched fetch;
};

static enum dns_dmarc_policy policy_from(const char *s)
{
	if (s == NULL)
		return DNS_DMARC_P_UNSET;
	if (strcmp(s, "reject") == 0)
		return DNS_DMARC_P_REJECT;
	if (strcmp(s, "quarantine") == 0)
		return DNS_DMARC_P_QUARANTINE;
	return DNS_DMARC_P_NONE;
}

struct dns_posture *dns_posture_new(const char *domain, const struct dns_posture_opts *o)
{
	struct dns_posture *p = xcalloc(1, sizeof *p);

	p->domain = xstrdup(domain);
	p->book = dns_book_new(o->max_queries ? o->max_queries : 400);
	p->selectors = xcalloc(o->n_selectors ? o->n_selectors : 1, sizeof *p->selectors);
	for (size_t i = 0; i < o->n_selectors; i++)
		p->selectors[i] = xstrdup(o->selectors[i]);
	p->n_selectors = o->n_selectors;
	p->keys = xcalloc(o->n_keys ? o->n_keys : 1, sizeof *p->keys);
	for (size_t i = 0; i < o->n_keys; i++) {
		p->keys[i].selector = xstrdup(o->keys[i].selector);
		p->keys[i].path = xstrdup(o->keys[i].path);
	}
	p->n_keys = o->n_keys;
	p->no_discovery = o->no_discovery;
	p->expect = policy_from(o->expect_dmarc);
	p->psl = o->psl;
	for (int c = 0; c < C__N; c++)
		dns_findings_init(&p->f[c]);
	dns_findings_init(&p->all);
	return p;
}

void dns_posture_free(struct dns_posture *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_selectors; i++)
		free(p->selectors[i]);
	free(p->selectors);
	for (size_t i = 0; i < p->n_keys; i++) {
		free((char *)p->keys[i].selector);
		free((char *)p->keys[i].path);
	}
	free(p->keys);
	for (int c = 0; c < C__N; c++)
		dns_findings_clear(&p->f[c]);
	dns_findings_clear(&p->all);
	dns_spf_tree_free(p->spf);
	dns_dkim_key_result_free(&p->dkim);
	dns_dmarc_result_free(&p->dmarc);
	dns_mx_result_free(&p->mx);
	dns_mtasts_result_free(&p->sts);
	dns_tlsrpt_result_free(&p->tlsrpt);
	dns_bimi_result_free(&p->bimi);
	free(p->fetch.content_type);
	free(p->fetch.body);
	free(p->fetch.error);
	dns_book_free(p->book);
	free(p->domain);
	free(p);
}

/* A check that fails to run (not a verdict) still ends with a finding. */
static void check_failed(struct dns_posture *p, int c, enum mp_err e)
{
	dns_findings_add(&p->f[c], check_names[c], "CHECK_FAILED", SEV_UNKNOWN, NULL, NULL, 0,
			 "The %s check could not run (%s).", check_names[c], common_err_str(e));
}

static enum mp_err run_check(struct dns_posture *p, int c)
{
	struct dns_dkim_key_opts ko = {0};
	struct dns_dmarc_opts mo = {.expected = p->expect, .psl = p->psl};
	struct dns_mtasts_fetch mf = {0};

	switch (c) {
	case C_SPF:
		return dns_spf_posture(p->book, p->domain, &p->f[c], &p->spf);
	case C_DKIM:
		ko.selectors = (const char *const *)p->selectors;
		ko.n_selectors = p->n_selectors;
		ko.keyfiles = p->keys;
		ko.n_keyfiles = p->n_keys;
		ko.no_discovery = p->no_discovery;
		return dns_dkim_key_check(p->book, p->domain, &ko, &p->f[c], &p->dkim);
	case C_DMARC:
		return dns_dmarc_check(p->book, p->domain, &mo, &p->f[c], &p->dmarc);
	case C_MX:
		return dns_mx_check(p->book, p->domain, &p->f[c], &p->mx);
	case C_MTASTS:
		if (!p->done[C_MX])
			return ERR_AGAIN;
		mf.state = p->fetch.state;
		mf.http_status = p->fetch.status;
		mf.content_type = p->fetch.content_type;
		mf.body = p->fetch.body;
		mf.body_len = p->fetch.body_len;
		mf.error = p->fetch.error;
		dns_mtasts_result_free(&p->sts);
		return dns_mtasts_check(p->book, p->domain, &p->mx, &mf, &p->f[c], &p->sts);
	case C_TLSRPT:
		/* Missing TLS-RPT is a warning only when MTA-STS is enforced. */
		if (!p->done[C_MTASTS])
			return ERR_AGAIN;
		return dns_tlsrpt_check(p->book, p->domain, &p->sts, &p->f[c], &p->tlsrpt);
	case C_BIMI:
		if (!p->done[C_DMARC])
			return ERR_AGAIN;
		return dns_bimi_check(p->book, p->domain, &p->dmarc, &p->f[c], &p->bimi);
	}
	return ERR_INVAL;
}

/* The final list, in check order; the per-check lists are emptied, not copied. */
static void assemble(struct dns_posture *p)
{
	for (int c = 0; c < C__N; c++)
		dns_findings_move(&p->all, &p->f[c]);
	p->complete = true;
}

enum mp_err dns_posture_step(struct dns_posture *p)
{
	bool waiting = false;

	if (p->complete)
		return ERR_OK;
	for (int c = 0; c < C__N; c++) {
		enum mp_err e;

		if (p->done[c])
			continue;
		e = run_check(p, c);
		if (e == ERR_AGAIN) {
			waiting = true;
			continue;
		}
		if (e != ERR_OK)
			check_failed(p, c, e);
		p->done[c] = true;
	}
	if (waiting)
		return ERR_AGAIN;
	assemble(p);
	return ERR_OK;
}

struct dns_book *dns_posture_book(struct dns_posture *p)
{
	return p->book;
}

bool dns_posture_fetch_needed(struct dns_posture *p, const char **url, const char **addr)
{
	if (p->done[C_MTASTS] || !p->sts.need_fetch || p->fetch.state != DNS_MTASTS_NOT_FETCHED)
		return false;
	*url = p->sts.policy_url;
	*addr = p->sts.policy_addr;
	return true;
}

void dns_posture_fetch_done(struct dns_posture *p, enum mp_err err, long status,
			    const char *content_type, const char *body, size_t body_len,
			    const char *error)
{
	struct fetched *f = &p->fetch;

	f->state = err == ERR_OK ? DNS_MTASTS_FETCH_OK : DNS_MTASTS_FETCH_FAILED;
	f->status = status;
	f->content_type = xstrdup(content_type ? content_type : "");
	f->body = xmemdup0(body ? body : "", body ? body_len : 0);
	f->body_len = body ? body_len : 0;
	f->error = xstrdup(error && *error ? error : common_err_str(err));
}

void dns_posture_abort(struct dns_posture *p, const char *why)
{
	if (p->complete)
		return;
	for (int c = 0; c < C__N; c++) {
		if (p->done[c])
			continue;
		dns_findings_add(&p->f[c], check_names[c], "CHECK_INCOMPLETE", SEV_UNKNOWN, NULL,
				 NULL, 0, "The %s check did not complete: %s.", check_names[c],
				 why);
		p->done[c] = true;
	}
	assemble(p);
}

const char *dns_posture_domain(const struct dns_posture *p)
{
	return p->domain;
}

const struct dns_findings *dns_posture_findings(const struct dns_posture *p)
{
	return &p->all;
}

int dns_posture_spf_lookups(const struct dns_posture *p)
{
	return p->spf ? (int)p->spf->total_lookups : -1;
}

int dns_posture_spf_void_lookups(const struct dns_posture *p)
{
	return p->spf ? (int)p->spf->total_voids : -1;
}

int dns_posture_dkim_keys(const struct dns_posture *p)
{
	int n = 0;

	for (size_t i = 0; i < p->dkim.n; i++)
		if (p->dkim.v[i].found && p->dkim.v[i].valid)
			n++;
	return n;
}

const struct dns_spf_tree *dns_posture_spf_tree(const struct dns_posture *p)
{
	return p->spf;
}
