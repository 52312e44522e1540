/*
 * dns/tlsrpt: SMTP TLS reporting records and check (see tlsrpt.h).
 * RFC 8460 3 (record format and discovery).
 *
 *   tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
 *   tlsrpt-version = %s"v=TLSRPTv1"
 *   tlsrpt-rua     = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 */
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "dns/tags.h"
#include "dns/tlsrpt.h"
#include "dns/txtrec.h"

#define CHECK "tls-rpt"

void dns_tlsrpt_record_free(struct dns_tlsrpt_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_rua; i++)
		free(r->rua[i]);
	free(r->rua);
	memset(r, 0, sizeof *r);
}

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool parse_rua(const struct dns_tag *t, struct dns_tlsrpt_record *r, char *why, size_t whysz)
{
	size_t i = 0;
	char q[72];

	while (i <= t->value_len) {
		size_t j = i, n;
		const char *s;

		while (j < t->value_len && t->value[j] != ',')
			j++;
		s = t->value + i;
		n = j - i;
		while (n && ws(s[0])) {
			s++;
			n--;
		}
		while (n && ws(s[n - 1]))
			n--;
		if (!dns_txtrec_uri_ok(s, n, "mailto") && !dns_txtrec_uri_ok(s, n, "https")) {
			common_log_quote(q, sizeof q, s, n);
			snprintf(why, whysz,
				 "rua= entry \"%s\" is not a mailto: address or an https: URL", q);
			return false;
		}
		if (r->n_rua == DNS_TLSRPT_URIS_MAX) {
			snprintf(why, whysz, "rua= lists more than %d addresses",
				 DNS_TLSRPT_URIS_MAX);
			return false;
		}
		r->rua = xreallocarray(r->rua, r->n_rua + 1, sizeof *r->rua);
		r->rua[r->n_rua++] = xmemdup0(s, n);
		i = j + 1;
	}
	return true;
}

enum mp_err dns_tlsrpt_parse(const char *txt, size_t len, struct dns_tlsrpt_record *out, char *why,
			     size_t whysz)
{
	struct dns_tags tags;
	struct dns_tlsrpt_record r = {0};
	const struct dns_tag *t;
	enum mp_err e = dns_tags_parse(txt, len, 0, &tags, why, whysz);

	if (e != ERR_OK)
		return e;
	if (tags.n == 0 || tags.v[0].name_len != 1 || tags.v[0].name[0] != 'v' ||
	    !dns_tags_value_is(&tags.v[0], "TLSRPTv1", false)) {
		snprintf(why, whysz, "the record must start with v=TLSRPTv1");
		return ERR_PARSE;
	}
	t = dns_tags_find(&tags, "rua");
	if (t == NULL || t->value_len == 0) {
		snprintf(why, whysz, "there is no rua= address to send reports to");
		return ERR_PARSE;
	}
	if (!parse_rua(t, &r, why, whysz)) {
		dns_tlsrpt_record_free(&r);
		return ERR_PARSE;
	}
	/* RFC 8460 3: unknown fields are ignored. */
	*out = r;
	return ERR_OK;
}

static void add(struct dns_findings *f, const char *code, enum dns_sev sev, const char *fix,
		const char *qname, const struct dns_tlsrpt_result *r, enum dns_outcome o, char *msg)
{
	struct buf b;

	common_buf_init(&b, (size_t)1 << 20);
	if (dns_finding_buf_printf(&b, "%s TXT: ", qname) != ERR_OK ||
	    (r->txt ? common_buf_append(&b, r->txt, r->txt_len)
		    : common_buf_puts(&b, dns_txtrec_outcome_words(o))) != ERR_OK)
		(void)0; /* cut evidence is still evidence */
	dns_findings_add_msg(f, CHECK, code, sev, fix, common_buf_str(&b), b.len, msg);
	common_buf_free(&b);
}

static void judge(struct dns_findings *f, const char *domain, const char *qname,
		  const struct dns_answer *a, const struct dns_mtasts_result *sts,
		  struct dns_tlsrpt_result *r)
{
	struct dns_txtrec sel;
	char why[256], *fix = dns_finding_fmt("Publish `%s. TXT \"v=TLSRPTv1; "
					      "rua=mailto:tls-reports@%s\"` (or the address of a "
					      "TLS report service).",
					      qname, domain);
	bool enforced = sts && sts->policy_valid && sts->policy.mode == DNS_MTASTS_ENFORCE;

	r->txt = dns_txtrec_evidence(a, &r->txt_len);
	dns_txtrec_select(a, "v", "TLSRPTv1", true, &sel);
	if (sel.n_match == 0) {
		add(f, "TLSRPT_MISSING", enforced ? SEV_WARN : SEV_INFO, fix, qname, r, a->outcome,
		    dns_finding_fmt(
			"%s publishes no TLS-RPT record, so nobody hears when other servers "
			"fail to deliver to it securely%s.",
			domain,
			enforced ? "; with MTA-STS enforced, such failures mean lost mail "
				   "that you would never see"
				 : ""));
	} else if (sel.n_match > 1) {
		add(f, "TLSRPT_INVALID", SEV_WARN, fix, qname, r, a->outcome,
		    dns_finding_fmt(
			"There are %zu TLS-RPT records at %s; senders then act as if there "
			"were none (RFC 8460 3). Keep exactly one.",
			sel.n_match, qname));
	} else if (dns_tlsrpt_parse(sel.first->data, sel.first->len, &r->rec, why, sizeof why) !=
		   ERR_OK) {
		add(f, "TLSRPT_INVALID", SEV_WARN, fix, qname, r, a->outcome,
		    dns_finding_fmt(
			"The TLS-RPT record at %s is invalid (%s), so senders ignore it.", qname,
			why));
	} else {
		r->published = true;
		add(f, "TLSRPT_OK", SEV_OK, NULL, qname, r, a->outcome,
		    dns_finding_fmt("TLS-RPT is published for %s: reports go to %s%s.", domain,
				    r->rec.rua[0], r->rec.n_rua > 1 ? " and more" : ""));
	}
	free(fix);
}

enum mp_err dns_tlsrpt_check(struct dns_book *book, const char *domain,
			     const struct dns_mtasts_result *mtasts, struct dns_findings *out,
			     struct dns_tlsrpt_result *res)
{
	struct dns_tlsrpt_result r = {0};
	char *dom = dns_txtrec_canon(domain), *qname = dns_txtrec_name("_smtp._tls", dom);
	const struct dns_answer *a;
	enum mp_err e = dns_txtrec_get(book, qname, DNS_T_TXT, &a);

	if (e == ERR_OK) {
		if (!dns_txtrec_failed(out, CHECK, qname, DNS_T_TXT, a, "TLS reporting"))
			judge(out, dom, qname, a, mtasts, &r);
		if (res != NULL) {
			*res = r;
			memset(&r, 0, sizeof r);
		}
	}
	dns_tlsrpt_result_free(&r);
	free(qname);
	free(dom);
	return e;
}

void dns_tlsrpt_result_free(struct dns_tlsrpt_result *res)
{
	if (res == NULL)
		return;
	free(res->txt);
	dns_tlsrpt_record_free(&res->rec);
	memset(res, 0, sizeof *res);
}
