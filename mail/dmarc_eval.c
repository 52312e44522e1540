/*
 * mail/dmarc_eval: DMARC evaluation of one message (see dmarc_eval.h).
 *
 * Policy discovery is dns/dmarc's (RFC 7489 6.6.3 with the PSL); this file
 * adds what only a message has: the From domain (RFC 7489 6.6.1, 6.6.2),
 * identifier alignment (3.1), the pass/fail decision (6.6.2 step 6 /
 * RFC 9989 4.7), the choice between p, sp and np (RFC 7489 6.3, RFC 9989
 * 4.7 np for non-existent subdomains), and the explanation in plain words.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/dmarc.h"
#include "dns/name.h"
#include "mail/dmarc_eval.h"
#include "mail/mime.h"

const char *mail_dmarc_res_name(enum mail_dmarc_res r)
{
	switch (r) {
	case MAIL_DMARC_PASS:
		return "pass";
	case MAIL_DMARC_FAIL:
		return "fail";
	case MAIL_DMARC_TEMPERROR:
		return "temperror";
	case MAIL_DMARC_PERMERROR:
		return "permerror";
	case MAIL_DMARC_NONE:
		break;
	}
	return "none";
}

static void say(char *why, size_t whysz, const char *msg)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", msg);
}

/* The A-label form of d, lower case, no trailing dot; NULL when not a host name. */
static char *canon_domain(const char *d)
{
	char buf[DNS_NAME_BUFSZ];
	size_t n = strlen(d);

	if (n == 0 || n > DNS_NAME_INPUT_MAX || dns_name_to_ascii(d, n, buf, NULL) != ERR_OK ||
	    !dns_name_is_hostname(buf, strlen(buf)))
		return NULL;
	return xstrdup(buf);
}

enum mp_err mail_dmarc_eval_from(const char *const *values, size_t n, char **domain, char *why,
				 size_t whysz)
{
	struct mail_mime_addr *a = NULL;
	size_t na = 0;
	char *d;

	/* RFC 7489 6.6.1: a message without exactly one From field cannot be evaluated. */
	if (n == 0) {
		say(why, whysz, "the message has no From header field");
		return ERR_PARSE;
	}
	if (n > 1) {
		say(why, whysz, "the message has several From header fields");
		return ERR_PARSE;
	}
	if (mail_mime_addrs(values[0], &a, &na) != ERR_OK) {
		say(why, whysz, "the From header field holds no readable address");
		return ERR_PARSE;
	}
	if (na != 1) {
		mail_mime_addrs_free(a, na);
		say(why, whysz, "the From header field holds several addresses");
		return ERR_PARSE;
	}
	d = canon_domain(a[0].domain);
	mail_mime_addrs_free(a, na);
	if (d == NULL) {
		say(why, whysz, "the From address has no usable domain");
		return ERR_PARSE;
	}
	*domain = d;
	return ERR_OK;
}

static char *org_of(const struct dns_orgdomain *psl, const char *d)
{
	char *o = NULL;

	if (dns_orgdomain_get(psl, d, &o) != ERR_OK)
		return NULL;
	return o;
}

bool mail_dmarc_eval_aligned(const struct dns_orgdomain *psl, const char *a, const char *b,
			     char mode)
{
	char *oa, *ob;
	bool r;

	if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
		return false;
	/* RFC 7489 3.1.1/3.1.2 strict: the names are identical. */
	if (dns_name_equal(a, strlen(a), b, strlen(b)))
		return true;
	if (mode == 's')
		return false;
	/* Relaxed: the organizational domains are identical. */
	oa = org_of(psl, a);
	ob = org_of(psl, b);
	r = oa != NULL && ob != NULL && strcmp(oa, ob) == 0;
	free(oa);
	free(ob);
	return r;
}

struct ev {
	struct dns_book *book;
	const struct mail_dmarc_in *in;
	const struct dns_orgdomain *psl;
	struct dns_dmarc_result dr;
	struct dns_findings f;
	struct mail_dmarc_out o;
	struct buf why;
};

/* RFC 9989 3.2.7: a domain that answers NXDOMAIN or NODATA for A, AAAA and MX does not exist. */
static enum mp_err nonexistent(struct ev *e, bool *out)
{
	static const uint16_t types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_MX};
	enum mp_err ret = ERR_OK;
	bool gone = true;

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		const struct dns_answer *a = NULL;
		enum mp_err r = dns_book_get(e->book, e->in->from_domain, types[i], &a);

		if (r == ERR_LIMIT) {
			gone = false; /* unknown: treat as existing (sp, not np) */
			continue;
		}
		if (r != ERR_OK) {
			ret = r;
			continue;
		}
		if (a->outcome != DNS_NXDOMAIN && a->outcome != DNS_NODATA)
			gone = false;
	}
	if (ret == ERR_OK)
		*out = gone;
	return ret;
}

/* RFC 7489 6.3 / RFC 9989 4.7: p for the domain, sp (np) for a (non-existent) subdomain. */
static enum mp_err choose_policy(struct ev *e)
{
	const struct dns_dmarc_record *r = &e->dr.rec;
	struct mail_dmarc_out *o = &e->o;

	o->record_domain = xstrdup(e->dr.record_domain);
	o->adkim = r->adkim ? r->adkim : 'r';
	o->aspf = r->aspf ? r->aspf : 'r';
	o->pct = r->has_pct ? r->pct : 100;
	o->t = r->t;
	o->policy = r->p ? r->p : DNS_DMARC_P_NONE;
	o->policy_tag = "p";
	if (!e->dr.inherited)
		return ERR_OK;
	if (r->np) {
		bool gone = false;
		enum mp_err err = nonexistent(e, &gone);

		if (err != ERR_OK)
			return err;
		o->nonexistent = gone;
		if (gone) {
			o->policy = r->np;
			o->policy_tag = "np";
			return ERR_OK;
		}
	}
	if (r->sp) {
		o->policy = r->sp;
		o->policy_tag = "sp";
	}
	return ERR_OK;
}

static void explain(struct ev *e, const char *fmt, ...) MP_PRINTF(2, 3);
static void explain(struct ev *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* 8 KiB holds any explanation; one cut short stays readable. */
	if ((e->why.len == 0 || common_buf_puts(&e->why, "; ") == ERR_OK) &&
	    common_buf_vprintf(&e->why, fmt, ap) != ERR_OK)
		(void)0;
	va_end(ap);
}

static void align(struct ev *e)
{
	const struct mail_dmarc_in *in = e->in;
	struct mail_dmarc_out *o = &e->o;
	bool spf_pass = in->spf_result != NULL && strcmp(in->spf_result, "pass") == 0;

	o->spf_aligned =
	    spf_pass && mail_dmarc_eval_aligned(e->psl, in->spf_domain, in->from_domain, o->aspf);
	for (size_t i = 0; i < in->n_dkim_pass && !o->dkim_aligned; i++) {
		if (mail_dmarc_eval_aligned(e->psl, in->dkim_pass[i], in->from_domain, o->adkim)) {
			o->dkim_aligned = true;
			o->aligned_dkim_domain = xstrdup(in->dkim_pass[i]);
			common_str_lower(o->aligned_dkim_domain);
		}
	}
}

/* The SPF half of the explanation. */
static void explain_spf(struct ev *e)
{
	const struct mail_dmarc_in *in = e->in;
	const struct mail_dmarc_out *o = &e->o;
	const char *mode = o->aspf == 's' ? " (strict SPF alignment, aspf=s)" : "";

	if (in->spf_domain == NULL || *in->spf_domain == '\0')
		explain(e, "no SPF-checked envelope domain");
	else if (o->spf_aligned)
		explain(e, "SPF passed for %s, which is aligned with %s%s", in->spf_domain,
			in->from_domain, mode);
	else if (in->spf_result != NULL && strcmp(in->spf_result, "pass") == 0)
		explain(e, "SPF passed for %s, which is not aligned with %s%s", in->spf_domain,
			in->from_domain, mode);
	else
		explain(e, "SPF %s for %s", in->spf_result ? in->spf_result : "none",
			in->spf_domain);
}

/* The DKIM half of the explanation. */
static void explain_dkim(struct ev *e)
{
	const struct mail_dmarc_in *in = e->in;
	const struct mail_dmarc_out *o = &e->o;
	const char *mode = o->adkim == 's' ? " (strict DKIM alignment, adkim=s)" : "";

	if (o->dkim_aligned)
		explain(e, "DKIM signature by %s passed and is aligned with %s%s",
			o->aligned_dkim_domain, in->from_domain, mode);
	else if (in->n_dkim_pass > 0)
		explain(
		    e,
		    "DKIM passed for %s, which is not aligned with %s%s; no DKIM signature by %s",
		    in->dkim_pass[0], in->from_domain, mode, in->from_domain);
	else if (in->n_dkim_sigs > 0)
		explain(e, "no DKIM signature passed (%zu checked)", in->n_dkim_sigs);
	else
		explain(e, "no DKIM signature by %s", in->from_domain);
}

static void explain_policy(struct ev *e)
{
	const struct mail_dmarc_out *o = &e->o;

	explain(e, "policy %s=%s from _dmarc.%s%s", o->policy_tag, dns_dmarc_policy_name(o->policy),
		o->record_domain,
		o->nonexistent ? " (the From domain does not exist)"
		: o->pct < 100 ? " (applied to part of the mail: pct)"
		: o->t == 'y'  ? " (testing: t=y)"
			       : "");
}

static const char *finding_msg(const struct ev *e)
{
	for (size_t i = 0; i < e->f.n; i++)
		if (strcmp(e->f.v[i].code, "DMARC_SYNTAX") == 0 ||
		    strcmp(e->f.v[i].code, "DMARC_MULTIPLE") == 0 ||
		    strncmp(e->f.v[i].code, "DNS_", 4) == 0)
			return e->f.v[i].message;
	return NULL;
}

/* After discovery: the verdict. */
static enum mp_err decide(struct ev *e)
{
	struct mail_dmarc_out *o = &e->o;
	const char *fm = finding_msg(e);
	enum mp_err err;

	o->org_domain = xstrdup(e->dr.org_psl);
	if (e->dr.dns_failed) {
		o->res = MAIL_DMARC_TEMPERROR;
		explain(e, "the DMARC policy lookup for %s failed temporarily%s%s",
			e->in->from_domain, fm ? ": " : "", fm ? fm : "");
		return ERR_OK;
	}
	if (!e->dr.found) {
		align(e); /* with the defaults, for the record */
		if (dns_findings_has(&e->f, "DMARC_SYNTAX") ||
		    dns_findings_has(&e->f, "DMARC_MULTIPLE")) {
			o->res = MAIL_DMARC_PERMERROR;
			explain(e, "%s", fm ? fm : "the DMARC record is unusable");
		} else {
			o->res = MAIL_DMARC_NONE;
			explain(e, "%s publishes no DMARC policy", e->in->from_domain);
		}
		return ERR_OK;
	}
	err = choose_policy(e);
	if (err != ERR_OK)
		return err;
	align(e);
	/* RFC 7489 4.2: pass when SPF or DKIM passed for an aligned identifier. */
	o->res = o->spf_aligned || o->dkim_aligned ? MAIL_DMARC_PASS : MAIL_DMARC_FAIL;
	if (o->dkim_aligned && !o->spf_aligned)
		explain_dkim(e);
	else
		explain_spf(e);
	if (o->res == MAIL_DMARC_FAIL)
		explain_dkim(e);
	explain_policy(e);
	return ERR_OK;
}

enum mp_err mail_dmarc_eval_run(struct dns_book *book, const struct mail_dmarc_in *in,
				struct mail_dmarc_out *out)
{
	struct ev e = {.book = book, .in = in};
	struct dns_orgdomain *own = NULL;
	struct dns_dmarc_opts dopts = {0};
	enum mp_err err = ERR_OK;

	if (in->from_domain == NULL)
		return ERR_INVAL;
	dns_findings_init(&e.f);
	common_buf_init(&e.why, 8192);
	e.o.adkim = e.o.aspf = 'r';
	e.o.pct = 100;
	e.o.policy_tag = "";
	if (*in->from_domain == '\0') {
		e.o.res = MAIL_DMARC_PERMERROR;
		explain(&e, "the message has no single From domain");
		goto done;
	}
	e.psl = in->psl ? in->psl : (own = dns_orgdomain_new());
	dopts.psl = e.psl;
	err = dns_dmarc_check(book, in->from_domain, &dopts, &e.f, &e.dr);
	if (err == ERR_INVAL) {
		e.o.res = MAIL_DMARC_PERMERROR;
		explain(&e, "the From domain %s is not a usable domain name", in->from_domain);
		err = ERR_OK;
	} else if (err == ERR_LIMIT) {
		e.o.res = MAIL_DMARC_TEMPERROR;
		explain(&e, "too many DNS questions while looking up the DMARC policy");
		err = ERR_OK;
	} else if (err == ERR_OK) {
		err = decide(&e);
	}
done:
	if (err == ERR_OK) {
		e.o.reason = common_buf_steal(&e.why, NULL);
		*out = e.o;
		memset(&e.o, 0, sizeof e.o);
	}
	mail_dmarc_eval_free(&e.o);
	common_buf_free(&e.why);
	dns_dmarc_result_free(&e.dr);
	dns_findings_clear(&e.f);
	dns_orgdomain_free(own);
	return err;
}

void mail_dmarc_eval_free(struct mail_dmarc_out *o)
{
	if (o == NULL)
		return;
	free(o->org_domain);
	free(o->record_domain);
	free(o->aligned_dkim_domain);
	free(o->reason);
	memset(o, 0, sizeof *o);
}
