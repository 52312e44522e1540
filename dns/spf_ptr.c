/*
 * dns/spf_ptr: validated names (RFC 7208 5.5), see spf_ptr.h.
 */
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/spf_ptr.h"

/* A PTR target as a C string without its trailing dot; NULL if unusable. */
static char *ptr_target(const struct dns_rr *rr)
{
	size_t len = rr->len;

	if (len > 0 && rr->data[len - 1] == '.')
		len--;
	/* A name with a NUL byte cannot be asked; 253 is the longest name. */
	if (len == 0 || len > 253 || memchr(rr->data, '\0', len) != NULL)
		return NULL;
	return xmemdup0(rr->data, len);
}

/* True when the address answer holds ip. */
static bool answer_has(const struct dns_answer *ans, const struct dns_spf_ip *ip)
{
	size_t want = ip->family == 4 ? 4 : 16;

	if (ans->outcome != DNS_DATA)
		return false;
	for (size_t i = 0; i < ans->n; i++)
		if (ans->rr[i].len == want && memcmp(ans->rr[i].data, ip->a, want) == 0)
			return true;
	return false;
}

/*
 * Ask every candidate's address question first (one round trip for all),
 * then keep the names whose answer holds the client.  A name whose lookup
 * failed, or that the full book could not ask, is skipped (RFC 7208 5.5).
 */
static enum mp_err validate_names(struct dns_book *book, const struct dns_spf_ip *ip, char **cand,
				  size_t n, struct dns_spf_ptr_names *out)
{
	uint16_t type = ip->family == 4 ? DNS_T_A : DNS_T_AAAA;
	const struct dns_answer *ans[DNS_SPF_PTR_MAX] = {0};
	bool pending = false;

	for (size_t i = 0; i < n; i++) {
		enum mp_err e = dns_book_get(book, cand[i], type, &ans[i]);

		if (e == ERR_AGAIN)
			pending = true;
		else if (e != ERR_OK)
			ans[i] = NULL;
	}
	if (pending)
		return ERR_AGAIN;
	for (size_t i = 0; i < n; i++) {
		if (ans[i] != NULL && answer_has(ans[i], ip)) {
			out->name[out->n++] = cand[i];
			cand[i] = NULL;
		}
	}
	return ERR_OK;
}

enum mp_err dns_spf_ptr_validate(struct dns_book *book, const struct dns_spf_ip *ip,
				 struct dns_spf_ptr_names *out)
{
	struct dns_spf_ptr_names res = {.outcome = DNS_DATA};
	char rev[DNS_SPF_IP_TEXT_MAX];
	char *cand[DNS_SPF_PTR_MAX];
	const struct dns_answer *ans;
	size_t n = 0;
	enum mp_err e;

	dns_spf_ip_reverse_name(ip, rev);
	e = dns_book_get(book, rev, DNS_T_PTR, &ans);
	if (e == ERR_AGAIN)
		return e;
	if (e != ERR_OK) {
		res.outcome = DNS_TEMPFAIL;
		*out = res;
		return ERR_OK;
	}
	res.outcome = ans->outcome;
	/* RFC 7208 4.6.4: only the first 10 PTR names are looked up. */
	for (size_t i = 0; ans->outcome == DNS_DATA && i < ans->n && n < DNS_SPF_PTR_MAX; i++) {
		char *t = ptr_target(&ans->rr[i]);

		if (t != NULL)
			cand[n++] = t;
	}
	e = validate_names(book, ip, cand, n, &res);
	for (size_t i = 0; i < n; i++)
		free(cand[i]);
	if (e != ERR_OK) {
		dns_spf_ptr_names_free(&res);
		return e;
	}
	*out = res;
	return ERR_OK;
}

void dns_spf_ptr_names_free(struct dns_spf_ptr_names *names)
{
	for (size_t i = 0; i < names->n; i++)
		free(names->name[i]);
	names->n = 0;
}

/* Length without one trailing dot. */
static size_t bare_len(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

bool dns_spf_ptr_name_within(const char *name, const char *target)
{
	size_t nl = bare_len(name), tl = bare_len(target);

	if (tl == 0 || nl < tl)
		return false;
	if (!common_str_ieq(name + nl - tl, tl, target, tl))
		return false;
	return nl == tl || name[nl - tl - 1] == '.';
}

const char *dns_spf_ptr_choose(const struct dns_spf_ptr_names *names, const char *domain)
{
	size_t dl = bare_len(domain);

	for (size_t i = 0; i < names->n; i++)
		if (common_str_ieq(names->name[i], bare_len(names->name[i]), domain, dl))
			return names->name[i];
	for (size_t i = 0; i < names->n; i++)
		if (dns_spf_ptr_name_within(names->name[i], domain))
			return names->name[i];
	return names->n > 0 ? names->name[0] : "unknown";
}
