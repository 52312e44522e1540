/*
 * mail/verify: SPF, DKIM and DMARC verdicts on one received message, the
 * trusted upstream Authentication-Results, and our own (see verify.h).
 *
 * Each run asks every independent question at once: SPF for HELO and MAIL
 * FROM, every DKIM key and the DMARC policy are evaluated in the same run
 * (the DMARC evaluation is first run with placeholder SPF/DKIM inputs just
 * to put its questions in the book), so a message needs a few DNS round
 * trips, not one per check.
 *
 * The MAIL FROM identity: opts->mail_from; when it is NULL (a message read
 * from a file) the Return-Path field the final MTA added (RFC 5321 4.4) is
 * used; when there is none either, SPF for MAIL FROM is "none" and SPF
 * cannot align.  The null path "<>" is checked as postmaster@HELO (RFC
 * 7208 2.4) and the HELO domain is then the SPF-authenticated identifier
 * (RFC 7489 3.1.2).
 */
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/json.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/dmarc_record.h"
#include "dns/spf_eval.h"
#include "mail/authres.h"
#include "mail/dmarc_eval.h"
#include "mail/mime.h"
#include "mail/verify.h"

/* Header bytes are all we read through mail/mime; bodies are DKIM's business. */
#define VERIFY_MAX_BODY 4096

struct vrun {
	struct dns_book *book;
	const struct mail_verify_opts *o;
	struct mail_mime *m;
	struct dns_spf_ip ip;
	char *mail_from; /* the MAIL FROM used, "" for <>, NULL unknown; owned */
	struct dns_spf_result *spf_helo, *spf_mf;
	struct mail_dkim_verdict dkim;
	bool have_dkim;
	char *from_domain; /* owned; "" when none/several */
	char from_why[160];
	const char **dkim_pass;
	size_t n_dkim_pass;
	struct mail_dmarc_out dm;
	bool have_dm;
};

const char *mail_verify_dmarc_name(enum mail_verify_dmarc d)
{
	switch (d) {
	case MAIL_VERIFY_DMARC_PASS:
		return "pass";
	case MAIL_VERIFY_DMARC_FAIL:
		return "fail";
	case MAIL_VERIFY_DMARC_TEMPERROR:
		return "temperror";
	case MAIL_VERIFY_DMARC_PERMERROR:
		return "permerror";
	case MAIL_VERIFY_DMARC_NONE:
		break;
	}
	return "none";
}

static const struct mail_mime_header *hdrs(const struct vrun *v, size_t *n)
{
	*n = v->m ? v->m->n_headers : 0;
	return v->m ? v->m->headers : NULL;
}

/* The envelope sender: the option, else Return-Path, else unknown (NULL). */
static char *envelope_sender(const struct vrun *v)
{
	size_t n;
	const struct mail_mime_header *h = hdrs(v, &n);
	const char *rp = mail_mime_header_get(h, n, "Return-Path", 0);
	struct mail_mime_addr *a = NULL;
	size_t na = 0;
	char *r = NULL;

	if (v->o->mail_from != NULL)
		return xstrdup(v->o->mail_from);
	if (rp == NULL)
		return NULL;
	if (mail_mime_addrs(rp, &a, &na) == ERR_OK && na == 1 && a[0].addr[0] != '\0')
		r = xstrdup(a[0].addr);
	else if (strchr(rp, '@') == NULL && strstr(rp, "<>") != NULL)
		r = xstrdup(""); /* RFC 5321 4.4: Return-Path: <> is the null path */
	mail_mime_addrs_free(a, na);
	return r;
}

static enum mp_err run_spf(struct vrun *v, enum dns_spf_identity id, struct dns_spf_result **out)
{
	struct dns_spf_request req = {
	    .identity = id,
	    .ip = v->ip,
	    .sender = id == DNS_SPF_ID_MAILFROM ? v->mail_from : NULL,
	    .helo = v->o->helo,
	};

	return dns_spf_eval(v->book, &req, out);
}

static void from_domain(struct vrun *v)
{
	size_t n, nf;
	const struct mail_mime_header *h = hdrs(v, &n);
	const char **vals;

	nf = mail_mime_header_count(h, n, "From");
	vals = xcalloc(nf + 1, sizeof *vals);
	for (size_t i = 0; i < nf; i++)
		vals[i] = mail_mime_header_get(h, n, "From", i);
	if (mail_dmarc_eval_from(vals, nf, &v->from_domain, v->from_why, sizeof v->from_why) !=
	    ERR_OK)
		v->from_domain = xstrdup("");
	free(vals);
}

static enum mp_err run_dmarc(struct vrun *v, bool placeholder)
{
	struct mail_dmarc_in in = {
	    .from_domain = v->from_domain,
	    .psl = v->o->psl,
	};

	if (!placeholder) {
		if (v->spf_mf != NULL) {
			in.spf_domain = v->spf_mf->domain;
			in.spf_result = dns_spf_verdict_name(v->spf_mf->verdict);
		}
		for (size_t i = 0; i < v->dkim.n_sigs; i++)
			if (v->dkim.sigs[i].result == MAIL_DKIM_PASS && v->dkim.sigs[i].domain[0]) {
				v->dkim_pass = xreallocarray(v->dkim_pass, v->n_dkim_pass + 1,
							     sizeof *v->dkim_pass);
				v->dkim_pass[v->n_dkim_pass++] = v->dkim.sigs[i].domain;
			}
		in.dkim_pass = v->dkim_pass;
		in.n_dkim_pass = v->n_dkim_pass;
		in.n_dkim_sigs = v->dkim.n_sigs;
	}
	v->have_dm = mail_dmarc_eval_run(v->book, &in, &v->dm) == ERR_OK;
	if (!v->have_dm)
		return ERR_AGAIN; /* from_domain is never NULL: only ERR_AGAIN is possible */
	if (placeholder) {
		mail_dmarc_eval_free(&v->dm);
		v->have_dm = false;
	}
	return ERR_OK;
}

/* Ask every question; ERR_OK once SPF, DKIM and the DMARC inputs are complete. */
static enum mp_err gather(struct vrun *v, const char *msg, size_t len)
{
	enum mp_err e1 = ERR_OK, e2 = ERR_OK, e3;
	const char *helo = v->o->helo;

	if (helo != NULL && *helo)
		e1 = run_spf(v, DNS_SPF_ID_HELO, &v->spf_helo);
	if (v->mail_from != NULL)
		e2 = run_spf(v, DNS_SPF_ID_MAILFROM, &v->spf_mf);
	e3 = mail_dkim_verify(v->o->dkim, v->book, msg, len, &v->dkim);
	v->have_dkim = e3 == ERR_OK;
	if (e3 != ERR_OK && e3 != ERR_AGAIN)
		return e3;
	if (e1 != ERR_OK || e2 != ERR_OK || e3 != ERR_OK) {
		(void)run_dmarc(v, true); /* only to ask its questions in this round */
		return e1 != ERR_OK ? e1 : e2 != ERR_OK ? e2 : e3;
	}
	return run_dmarc(v, false);
}

static bool trusted(const struct mail_verify_opts *o, const char *id)
{
	for (size_t i = 0; i < o->n_trusted; i++)
		if (o->trusted_authserv_ids[i] != NULL &&
		    common_str_ieqz(id, strlen(id), o->trusted_authserv_ids[i]))
			return true;
	return false;
}

static char *props_text(const struct mail_authres_result *r)
{
	struct buf b;

	common_buf_init(&b, MAIL_AUTHRES_MAX_LEN);
	/* The parsed field was at most MAIL_AUTHRES_MAX_LEN bytes: this fits. */
	if (r->reason != NULL && common_buf_printf(&b, "reason=\"%s\"", r->reason) != ERR_OK)
		(void)0;
	for (size_t i = 0; i < r->n_props; i++)
		if (common_buf_printf(&b, "%s%s%s%s=%s", b.len ? " " : "", r->props[i].ptype,
				      *r->props[i].ptype ? "." : "", r->props[i].property,
				      r->props[i].value) != ERR_OK)
			break;
	return common_buf_steal(&b, NULL);
}

/* RFC 8601 5: only fields whose authserv-id we were told to trust are kept. */
static void upstream(struct vrun *v, struct mail_verify_result *out)
{
	size_t n;
	const struct mail_mime_header *h = hdrs(v, &n);
	size_t nf = mail_mime_header_count(h, n, "Authentication-Results");

	for (size_t i = 0; i < nf; i++) {
		const char *val = mail_mime_header_get(h, n, "Authentication-Results", i);
		struct mail_authres ar;

		if (mail_authres_parse(val, strlen(val), &ar, NULL, 0) != ERR_OK)
			continue; /* malformed: never trusted */
		for (size_t j = 0; trusted(v->o, ar.authserv_id) && j < ar.n_results; j++) {
			struct mail_verify_upstream *u;

			out->upstream = xreallocarray(out->upstream, out->n_upstream + 1,
						      sizeof *out->upstream);
			u = &out->upstream[out->n_upstream++];
			u->authserv_id = xstrdup(ar.authserv_id);
			u->method = xstrdup(ar.results[j].method);
			u->result = xstrdup(ar.results[j].result);
			u->props = props_text(&ar.results[j]);
		}
		mail_authres_free(&ar);
	}
}

static void our_dkim(struct mail_authres *ar, const struct mail_dkim_verdict *d)
{
	if (d->n_sigs == 0)
		mail_authres_add(ar, "dkim", "none", "message not signed");
	for (size_t i = 0; i < d->n_sigs; i++) {
		const struct mail_dkim_sig *s = &d->sigs[i];
		struct mail_authres_result *r =
		    mail_authres_add(ar, "dkim", mail_dkim_res_name(s->result),
				     s->error && *s->error ? s->error : NULL);

		mail_authres_add_prop(r, "header", "d", s->domain);
		mail_authres_add_prop(r, "header", "s", s->selector);
		mail_authres_add_prop(r, "header", "a", mail_dkim_alg_name(s->alg));
		mail_authres_add_prop(r, "header", "b", s->header_b);
	}
}

/* Our Authentication-Results (RFC 8601 2.7.1-2.7.3 methods spf, dkim, dmarc). */
static char *our_authres(const struct vrun *v, const struct mail_verify_result *res)
{
	struct mail_authres ar = {0};
	struct mail_authres_result *r;
	char *pc = NULL, *s;

	ar.authserv_id =
	    xstrdup(v->o->authserv_id && *v->o->authserv_id ? v->o->authserv_id : "mailpulse");
	if (v->spf_mf != NULL) {
		r = mail_authres_add(&ar, "spf", res->spf_mailfrom, v->spf_mf->reason);
		if (v->mail_from[0] != '\0')
			mail_authres_add_prop(r, "smtp", "mailfrom", v->mail_from);
		else
			mail_authres_add_prop(r, "smtp", "mailfrom", v->spf_mf->sender);
	}
	if (v->spf_helo != NULL) {
		r = mail_authres_add(&ar, "spf", res->spf_helo, NULL);
		mail_authres_add_prop(r, "smtp", "helo", v->o->helo);
	}
	our_dkim(&ar, &res->dkim);
	if (res->policy[0] != '\0')
		pc = xasprintf("%s=%s%s%.0u%s", v->dm.policy_tag, res->policy,
			       v->dm.pct < 100 ? " pct=" : "", v->dm.pct < 100 ? v->dm.pct : 0,
			       v->dm.t == 'y' ? " t=y" : "");
	r = mail_authres_add(&ar, "dmarc", mail_verify_dmarc_name(res->dmarc), pc);
	mail_authres_add_prop(r, "header", "from", res->from_domain);
	free(pc);
	s = mail_authres_write(&ar);
	mail_authres_free(&ar);
	return s;
}

static void fill(struct vrun *v, struct mail_verify_result *out)
{
	static const enum mail_verify_dmarc map[] = {
	    [MAIL_DMARC_NONE] = MAIL_VERIFY_DMARC_NONE,
	    [MAIL_DMARC_PASS] = MAIL_VERIFY_DMARC_PASS,
	    [MAIL_DMARC_FAIL] = MAIL_VERIFY_DMARC_FAIL,
	    [MAIL_DMARC_TEMPERROR] = MAIL_VERIFY_DMARC_TEMPERROR,
	    [MAIL_DMARC_PERMERROR] = MAIL_VERIFY_DMARC_PERMERROR,
	};

	memset(out, 0, sizeof *out);
	/* The result words are at most 9 characters (char[12]). */
	snprintf(out->spf_helo, sizeof out->spf_helo, "%s",
		 v->spf_helo ? dns_spf_verdict_name(v->spf_helo->verdict) : "none");
	snprintf(out->spf_mailfrom, sizeof out->spf_mailfrom, "%s",
		 v->spf_mf ? dns_spf_verdict_name(v->spf_mf->verdict) : "none");
	out->spf_domain = v->spf_mf ? xstrdup(v->spf_mf->domain) : NULL;
	out->dkim = v->dkim;
	memset(&v->dkim, 0, sizeof v->dkim);
	v->have_dkim = false;
	out->from_domain = v->from_domain;
	v->from_domain = NULL;
	out->org_domain = v->dm.org_domain ? xstrdup(v->dm.org_domain) : NULL;
	out->dmarc = map[v->dm.res];
	out->spf_aligned = v->dm.spf_aligned;
	out->dkim_aligned = v->dm.dkim_aligned;
	out->aligned_dkim_domain =
	    v->dm.aligned_dkim_domain ? xstrdup(v->dm.aligned_dkim_domain) : NULL;
	if (v->dm.policy != DNS_DMARC_P_UNSET)
		snprintf(out->policy, sizeof out->policy, "%s",
			 dns_dmarc_policy_name(v->dm.policy));
	out->dmarc_reason = out->from_domain[0] == '\0' && v->from_why[0]
				? xasprintf("DMARC cannot be evaluated: %s", v->from_why)
				: xstrdup(v->dm.reason);
	upstream(v, out);
	out->authres = our_authres(v, out);
}

static void vrun_free(struct vrun *v)
{
	mail_mime_free(v->m);
	free(v->mail_from);
	dns_spf_result_free(v->spf_helo);
	dns_spf_result_free(v->spf_mf);
	if (v->have_dkim)
		mail_dkim_verdict_free(&v->dkim);
	free(v->from_domain);
	free(v->dkim_pass);
	if (v->have_dm)
		mail_dmarc_eval_free(&v->dm);
}

enum mp_err mail_verify_run(struct dns_book *book, const struct mail_verify_opts *o,
			    const char *msg, size_t len, struct mail_verify_result *out)
{
	struct vrun v = {.book = book, .o = o};
	enum mp_err e;

	if (o == NULL || o->client_ip == NULL || o->dkim == NULL || msg == NULL ||
	    (o->n_trusted > 0 && o->trusted_authserv_ids == NULL) ||
	    dns_spf_ip_parse(o->client_ip, &v.ip) != ERR_OK)
		return ERR_INVAL;
	/* Only empty input fails to parse; it then has no header fields at all. */
	if (mail_mime_parse(msg, len, VERIFY_MAX_BODY, &v.m) != ERR_OK)
		v.m = NULL;
	v.mail_from = envelope_sender(&v);
	from_domain(&v);
	e = gather(&v, msg, len);
	if (e == ERR_OK)
		fill(&v, out);
	vrun_free(&v);
	return e;
}

void mail_verify_result_free(struct mail_verify_result *r)
{
	if (r == NULL)
		return;
	free(r->spf_domain);
	mail_dkim_verdict_free(&r->dkim);
	free(r->from_domain);
	free(r->org_domain);
	free(r->aligned_dkim_domain);
	free(r->dmarc_reason);
	for (size_t i = 0; i < r->n_upstream; i++) {
		free(r->upstream[i].authserv_id);
		free(r->upstream[i].method);
		free(r->upstream[i].result);
		free(r->upstream[i].props);
	}
	free(r->upstream);
	free(r->authres);
	memset(r, 0, sizeof *r);
}

struct common_json *mail_verify_dkim_json(const struct mail_verify_result *r)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < r->dkim.n_sigs; i++) {
		const struct mail_dkim_sig *g = &r->dkim.sigs[i];
		struct common_json *o = common_json_object();

		common_json_set_str(o, "domain", g->domain);
		common_json_set_str(o, "selector", g->selector);
		common_json_set_str(o, "identity", g->identity);
		common_json_set_str(o, "algorithm", mail_dkim_alg_name(g->alg));
		common_json_set_str(o, "result", mail_dkim_res_name(g->result));
		common_json_set_int(o, "key_bits", g->key_bits);
		common_json_set_bool(o, "testing", g->testing);
		common_json_set_str(o, "error", g->error);
		common_json_set_str(o, "header_b", g->header_b);
		common_json_push(a, o);
	}
	return a;
}

struct common_json *mail_verify_upstream_json(const struct mail_verify_result *r)
{
	struct common_json *a = common_json_array();

	for (size_t i = 0; i < r->n_upstream; i++) {
		struct common_json *o = common_json_object();

		common_json_set_str(o, "authserv_id", r->upstream[i].authserv_id);
		common_json_set_str(o, "method", r->upstream[i].method);
		common_json_set_str(o, "result", r->upstream[i].result);
		common_json_set_str(o, "props", r->upstream[i].props);
		common_json_push(a, o);
	}
	return a;
}
