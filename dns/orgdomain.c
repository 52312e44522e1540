/*
 * dns/orgdomain: RFC 7489 3.2 organizational domains over libpsl (see
 * orgdomain.h; libraries.md 5.3 for the verified libpsl behaviour).
 */
#include <string.h>
#include <libpsl.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/orgdomain.h"

struct dns_orgdomain {
	psl_ctx_t *psl;
};

struct dns_orgdomain *dns_orgdomain_new(void)
{
	struct dns_orgdomain *od = xcalloc(1, sizeof *od);

	od->psl = psl_latest(NULL);
	if (od->psl == NULL)
		od->psl = (psl_ctx_t *)psl_builtin();
	if (od->psl == NULL)
		fatal("orgdomain: libpsl has no built-in list");
	return od;
}

void dns_orgdomain_free(struct dns_orgdomain *od)
{
	if (od == NULL)
		return;
	/* psl_free() ignores the built-in context, so this is safe either way. */
	psl_free(od->psl);
	free(od);
}

enum mp_err dns_orgdomain_get(const struct dns_orgdomain *od, const char *domain, char **out)
{
	size_t len = strlen(domain);
	const char *reg;
	char *d;

	if (len > 1 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || domain[0] == '.')
		return ERR_INVAL;
	d = xmemdup0(domain, len);
	common_str_lower(d);
	/* RFC 7489 3.2: the public suffix plus one label. */
	reg = psl_registrable_domain(od->psl, d);
	if (reg != NULL && reg != d) {
		char *r = xstrdup(reg);

		free(d);
		d = r;
	}
	*out = d;
	return ERR_OK;
}

static void free_str(void *v)
{
	free(v);
}

static const struct dns_book_memo_kind org_memo = {"orgdomain", free_str};

enum mp_err dns_orgdomain_get_memo(const struct dns_orgdomain *od, struct dns_book *book,
				   const char *domain, char **out)
{
	char key[sizeof od + 256], *r;
	size_t nlen = strlen(domain);
	const char *hit;
	enum mp_err e;

	if (nlen >= 256)
		return dns_orgdomain_get(od, domain, out);
	memcpy(key, &od, sizeof od);
	memcpy(key + sizeof od, domain, nlen);
	hit = dns_book_memo_get(book, &org_memo, key, sizeof od + nlen);
	if (hit != NULL) {
		*out = xstrdup(hit);
		return ERR_OK;
	}
	e = dns_orgdomain_get(od, domain, out);
	if (e != ERR_OK)
		return e;
	r = xstrdup(*out);
	if (!dns_book_memo_put(book, &org_memo, key, sizeof od + nlen, r))
		free(r);
	return ERR_OK;
}
