/*
 * dns/spf_exp: SPF explanations (RFC 7208 6.2).
 *
 * What it does: for a "fail", expands the exp= domain-spec, fetches its TXT
 * record and expands that as an explain-string (macro letters c r t
 * allowed, RFC 7208 7.2).  Anything wrong (a name that cannot be asked, a
 * DNS error, no record, more than one record, a syntax error, non-ASCII
 * text) gives no explanation: "proceed as if no exp modifier was given".
 * The lookup is not a DNS-querying term and never a void lookup (RFC 7208
 * 4.6.4).  Also expands the caller's default explanation.
 *
 * What it does not: decide when an explanation applies (dns/spf_eval does:
 * only for fail, only the exp= of the record that produced the result).
 */
#ifndef MAILPULSE_DNS_SPF_EXP_H
#define MAILPULSE_DNS_SPF_EXP_H

#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/spf_macro.h"

/*
 * Fetch and expand the explanation named by the exp= value [spec,
 * spec+len), with ctx->domain the domain of the record holding it.
 * ERR_AGAIN while the book lacks an answer ("%{p}" or the TXT).  ERR_OK:
 * *name is the expanded name (fresh, or NULL if expansion failed) and *out
 * the explanation (fresh) or NULL when there is none.  The caller frees both.
 */
enum mp_err dns_spf_exp_fetch(struct dns_book *book, const struct dns_spf_macro_ctx *ctx,
			      const char *spec, size_t len, char **name, char **out) MP_WUR;

/*
 * Expand a default explanation (an explain-string); a text that does not
 * parse is used verbatim.  ERR_AGAIN ("%{p}") or ERR_OK with *out fresh.
 */
enum mp_err dns_spf_exp_default(const struct dns_spf_macro_ctx *ctx, const char *text,
				char **out) MP_WUR;

#endif
