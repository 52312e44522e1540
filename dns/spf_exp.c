/*
 * dns/spf_exp: RFC 7208 6.2 explanations, see spf_exp.h.
 */
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "dns/spf_exp.h"

/* The one TXT record of an exp= name, or NULL (RFC 7208 6.2: any other case is "none"). */
static const struct dns_rr *exp_record(const struct dns_answer *ans)
{
	const char *why;
	size_t pos;

	if (ans->outcome != DNS_DATA || ans->n != 1)
		return NULL;
	/* Syntax errors, NUL and non-ASCII bytes included, mean no explanation. */
	if (dns_spf_macro_check(ans->rr[0].data, ans->rr[0].len, DNS_SPF_MACRO_EXPLAIN, &why,
				&pos) != ERR_OK)
		return NULL;
	return &ans->rr[0];
}

/* Expand an explain-string into a fresh string; ERR_AGAIN, ERR_OK or another error. */
static enum mp_err expand_text(const struct dns_spf_macro_ctx *ctx, const char *s, size_t len,
			       char **out)
{
	struct buf b;
	enum mp_err e;

	common_buf_init(&b, DNS_SPF_MACRO_MAX);
	e = dns_spf_macro_expand(ctx, s, len, DNS_SPF_MACRO_EXPLAIN, &b);
	if (e == ERR_OK)
		*out = common_buf_steal(&b, NULL);
	common_buf_free(&b);
	return e;
}

enum mp_err dns_spf_exp_fetch(struct dns_book *book, const struct dns_spf_macro_ctx *ctx,
			      const char *spec, size_t len, char **name, char **out)
{
	const struct dns_answer *ans;
	const struct dns_rr *rr;
	enum mp_err e;

	*name = NULL;
	*out = NULL;
	e = dns_spf_macro_domain(ctx, spec, len, name);
	if (e != ERR_OK)
		return e == ERR_AGAIN ? e : ERR_OK;
	if (!dns_spf_macro_name_ok(*name))
		return ERR_OK;
	e = dns_book_get(book, *name, DNS_T_TXT, &ans);
	if (e != ERR_OK)
		return e == ERR_AGAIN ? e : ERR_OK;
	rr = exp_record(ans);
	if (rr == NULL)
		return ERR_OK;
	e = expand_text(ctx, rr->data, rr->len, out);
	return e == ERR_AGAIN ? e : ERR_OK;
}

enum mp_err dns_spf_exp_default(const struct dns_spf_macro_ctx *ctx, const char *text, char **out)
{
	enum mp_err e = expand_text(ctx, text, strlen(text), out);

	if (e == ERR_AGAIN)
		return e;
	if (e != ERR_OK)
		*out = xstrdup(text);
	return ERR_OK;
}
