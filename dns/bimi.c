/*
 * dns/bimi: BIMI records and check (see bimi.h).  draft-brand-indicators-
 * for-message-identification (record at <selector>._bimi.<domain>, selector
 * "default"; fallback to the organizational domain; DMARC at enforcement).
 */
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "dns/bimi.h"
#include "dns/tags.h"
#include "dns/txtrec.h"

#define CHECK "bimi"

void dns_bimi_record_free(struct dns_bimi_record *r)
{
	if (r == NULL)
		return;
	free(r->l);
	free(r->a);
	memset(r, 0, sizeof *r);
}

static bool https_tag(const struct dns_tag *t, char *why, size_t whysz)
{
	char q[72];

	if (dns_txtrec_uri_ok(t->value, t->value_len, "https") &&
	    memchr(t->value, ',', t->value_len) == NULL)
		return true;
	common_log_quote(q, sizeof q, t->value, t->value_len);
	snprintf(why, whysz, "%.*s=%s must be one https:// URL", (int)t->name_len, t->name, q);
	return false;
}

enum mp_err dns_bimi_parse(const char *txt, size_t len, struct dns_bimi_record *out, char *why,
			   size_t whysz)
{
	struct dns_tags tags;
	struct dns_bimi_record r = {0};
	const struct dns_tag *l, *a, *avp;
	enum mp_err e = dns_tags_parse(txt, len, 0, &tags, why, whysz);

	if (e != ERR_OK)
		return e;
	if (tags.n == 0 || tags.v[0].name_len != 1 || tags.v[0].name[0] != 'v' ||
	    !dns_tags_value_is(&tags.v[0], "BIMI1", false)) {
		snprintf(why, whysz, "the record must start with v=BIMI1");
		return ERR_PARSE;
	}
	l = dns_tags_find(&tags, "l");
	a = dns_tags_find(&tags, "a");
	avp = dns_tags_find(&tags, "avp");
	/* "a=self" comes from early drafts and means "no certificate". */
	if (a != NULL && (a->value_len == 0 || dns_tags_value_is(a, "self", true)))
		a = NULL;
	if (l == NULL) {
		snprintf(why, whysz, "there is no l= tag (the logo URL; empty to decline BIMI)");
		return ERR_PARSE;
	}
	if (l->value_len == 0 && a != NULL) {
		snprintf(why, whysz, "a= names a certificate but l= names no logo");
		return ERR_PARSE;
	}
	if ((l->value_len > 0 && !https_tag(l, why, whysz)) || (a && !https_tag(a, why, whysz)))
		return ERR_PARSE;
	if (avp != NULL) {
		if (dns_tags_value_is(avp, "brand", true))
			r.avp = 'b';
		else if (dns_tags_value_is(avp, "personal", true))
			r.avp = 'p';
		else {
			snprintf(why, whysz, "avp= must be brand or personal");
			return ERR_PARSE;
		}
	}
	r.l = xmemdup0(l->value, l->value_len);
	r.a = a ? xmemdup0(a->value, a->value_len) : NULL;
	r.declined = l->value_len == 0;
	*out = r;
	return ERR_OK;
}

struct ctx {
	struct dns_findings *f;
	const char *domain;
	const char *qname;
	const struct dns_dmarc_result *dmarc;
	struct dns_bimi_result r;
};

static void add(struct ctx *c, const char *code, enum dns_sev sev, const char *fix, char *msg)
{
	struct buf b;

	common_buf_init(&b, (size_t)1 << 20);
	if (dns_finding_buf_printf(&b, "%s TXT: ", c->qname) != ERR_OK ||
	    (c->r.txt ? common_buf_append(&b, c->r.txt, c->r.txt_len)
		      : common_buf_puts(&b, "no BIMI record")) != ERR_OK)
		(void)0; /* cut evidence is still evidence */
	dns_findings_add_msg(c->f, CHECK, code, sev, fix, common_buf_str(&b), b.len, msg);
	common_buf_free(&b);
}

/* BIMI needs DMARC at enforcement: quarantine or reject, on all mail, subdomains too. */
static void dmarc_strength(struct ctx *c)
{
	const struct dns_dmarc_result *d = c->dmarc;
	const char *why = NULL;

	if (d == NULL || d->dns_failed)
		return;
	if (!d->found)
		why = "the domain has no DMARC policy";
	else if (d->applied < DNS_DMARC_P_QUARANTINE)
		why = "the DMARC policy is none";
	else if (d->rec.has_pct && d->rec.pct < 100)
		why = "the DMARC policy covers less than 100% of mail (pct)";
	else if (d->rec.t == 'y')
		why = "the DMARC policy is in testing mode (t=y)";
	else if (d->rec.sp == DNS_DMARC_P_NONE)
		why = "the DMARC policy leaves subdomains at sp=none";
	if (why == NULL)
		return;
	add(c, "BIMI_DMARC_TOO_WEAK", SEV_WARN,
	    "Move DMARC to p=quarantine or p=reject for all mail (no pct below 100, no t=y, no "
	    "sp=none); receivers show BIMI logos only then.",
	    dns_finding_fmt("%s publishes a BIMI logo, but %s, so receivers will not show it.",
			    c->domain, why));
}

static void judge(struct ctx *c, const struct dns_answer *a, const char *where)
{
	struct dns_txtrec sel;
	char why[256], *fix;

	c->r.txt = dns_txtrec_evidence(a, &c->r.txt_len);
	dns_txtrec_select(a, "v", "BIMI1", true, &sel);
	if (sel.n_match == 0) {
		fix =
		    dns_finding_fmt("To show your logo in supporting inboxes: get DMARC to "
				    "quarantine or reject, host an SVG Tiny PS logo over HTTPS and "
				    "publish `default._bimi.%s. TXT \"v=BIMI1; "
				    "l=https://%s/logo.svg; a=https://%s/vmc.pem\"` (Gmail and "
				    "Apple Mail also need a mark certificate at a=).",
				    c->domain, c->domain, c->domain);
		add(c, "BIMI_MISSING", SEV_INFO, fix,
		    dns_finding_fmt(
			"%s publishes no BIMI record, so no brand logo is shown next to its "
			"mail. This is optional.",
			c->domain));
		free(fix);
		return;
	}
	if (sel.n_match > 1 ||
	    dns_bimi_parse(sel.first->data, sel.first->len, &c->r.rec, why, sizeof why) != ERR_OK) {
		if (sel.n_match > 1)
			snprintf(why, sizeof why, "there are %zu v=BIMI1 records; keep one",
				 sel.n_match);
		fix = dns_finding_fmt(
		    "Publish one record such as `%s. TXT \"v=BIMI1; "
		    "l=https://%s/logo.svg; a=https://%s/vmc.pem\"` (l= and a= must "
		    "be https:// URLs).",
		    c->qname, where, where);
		add(c, "BIMI_INVALID", SEV_WARN, fix,
		    dns_finding_fmt("The BIMI record at %s is invalid (%s), so no logo is shown.",
				    c->qname, why));
		free(fix);
		return;
	}
	c->r.published = true;
	c->r.record_domain = xstrdup(where);
	if (c->r.rec.declined) {
		add(c, "BIMI_DECLINED", SEV_INFO, NULL,
		    dns_finding_fmt("%s explicitly declines BIMI (empty l=): no logo is shown.",
				    c->domain));
		return;
	}
	dmarc_strength(c);
	for (size_t i = 0; i < c->f->n; i++)
		if (strcmp(c->f->v[i].check, CHECK) == 0 && dns_sev_worse(c->f->v[i].sev, SEV_INFO))
			return;
	add(c, "BIMI_OK", SEV_OK, NULL,
	    dns_finding_fmt("BIMI is published for %s: logo %s%s.", c->domain, c->r.rec.l,
			    c->r.rec.a
				? ", with a mark certificate"
				: "; without a mark certificate (a=) Gmail and Apple Mail do not "
				  "show it"));
}

enum mp_err dns_bimi_check(struct dns_book *book, const char *domain,
			   const struct dns_dmarc_result *dmarc, struct dns_findings *out,
			   struct dns_bimi_result *res)
{
	struct ctx c = {.f = out, .dmarc = dmarc};
	char *dom, *q1, *q2 = NULL;
	const char *where;
	const struct dns_answer *a;
	struct dns_txtrec sel;
	enum mp_err e;

	if (!dns_txtrec_name_ok(domain))
		return ERR_INVAL;
	dom = dns_txtrec_canon(domain);
	q1 = dns_txtrec_name("default._bimi", dom);
	where = dom;
	e = dns_txtrec_get(book, q1, DNS_T_TXT, &a);

	c.domain = dom;
	c.qname = q1;
	if (e != ERR_OK)
		goto done;
	dns_txtrec_select(a, "v", "BIMI1", true, &sel);
	if (sel.n_match == 0 && a->outcome != DNS_TEMPFAIL && a->outcome != DNS_MALFORMED &&
	    dmarc && dmarc->org_psl && strcmp(dmarc->org_psl, dom) != 0) {
		/* No record at the author domain: look at the organizational domain. */
		q2 = dns_txtrec_name("default._bimi", dmarc->org_psl);
		e = dns_txtrec_get(book, q2, DNS_T_TXT, &a);
		if (e != ERR_OK)
			goto done;
		c.qname = q2;
		where = dmarc->org_psl;
	}
	if (!dns_txtrec_failed(out, CHECK, c.qname, DNS_T_TXT, a, "BIMI"))
		judge(&c, a, where);
	if (res != NULL) {
		*res = c.r;
		memset(&c.r, 0, sizeof c.r);
	}
done:
	dns_bimi_result_free(&c.r);
	free(q2);
	free(q1);
	free(dom);
	return e;
}

void dns_bimi_result_free(struct dns_bimi_result *res)
{
	if (res == NULL)
		return;
	free(res->record_domain);
	free(res->txt);
	dns_bimi_record_free(&res->rec);
	memset(res, 0, sizeof *res);
}
