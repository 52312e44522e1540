/*
 * dns/txtrec: lookup chores shared by the record checks (see txtrec.h).
 */
#include <string.h>
#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/txtrec.h"

/* Handed out when the book is full: the check reports it as a temporary failure. */
static const struct dns_answer full_book = {
    .outcome = DNS_TEMPFAIL,
    .why = (char *)"too many DNS questions for one check",
};

enum mp_err dns_txtrec_get(struct dns_book *book, const char *name, uint16_t type,
			   const struct dns_answer **out)
{
	enum mp_err e = dns_book_get(book, name, type, out);

	if (e == ERR_LIMIT) {
		*out = &full_book;
		return ERR_OK;
	}
	return e;
}

static bool ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool dns_txtrec_starts(const char *s, size_t len, const char *tag, const char *value, bool icase)
{
	size_t i = 0, tl = strlen(tag), vl = strlen(value);

	while (i < len && ws((unsigned char)s[i]))
		i++;
	if (len - i < tl || memcmp(s + i, tag, tl) != 0)
		return false;
	i += tl;
	while (i < len && ws((unsigned char)s[i]))
		i++;
	if (i >= len || s[i] != '=')
		return false;
	i++;
	while (i < len && ws((unsigned char)s[i]))
		i++;
	if (len - i < vl)
		return false;
	if (icase ? !common_str_ieq(s + i, vl, value, vl) : memcmp(s + i, value, vl) != 0)
		return false;
	i += vl;
	return i == len || ws((unsigned char)s[i]) || s[i] == ';';
}

void dns_txtrec_select(const struct dns_answer *a, const char *tag, const char *value, bool icase,
		       struct dns_txtrec *out)
{
	memset(out, 0, sizeof *out);
	if (a->outcome != DNS_DATA)
		return;
	out->n_txt = a->n;
	for (size_t i = 0; i < a->n; i++) {
		if (!dns_txtrec_starts(a->rr[i].data, a->rr[i].len, tag, value, icase))
			continue;
		if (out->n_match++ == 0)
			out->first = &a->rr[i];
	}
}

bool dns_txtrec_failed(struct dns_findings *f, const char *check, const char *qname, uint16_t type,
		       const struct dns_answer *a, const char *what)
{
	char tb[12], *ev;
	bool temp = a->outcome == DNS_TEMPFAIL;

	if (a->outcome != DNS_TEMPFAIL && a->outcome != DNS_MALFORMED)
		return false;
	ev = dns_finding_fmt("%s %s: %s (%s)", qname, dns_type_name(type, tb),
			     dns_outcome_name(a->outcome), a->why ? a->why : "no reason given");
	dns_findings_add(
	    f, check, temp ? "DNS_TEMPFAIL" : "DNS_MALFORMED", SEV_UNKNOWN,
	    temp ? "Usually temporary: the check runs again on its next schedule. If it keeps "
		   "failing, make sure every name server of the domain answers for this name."
		 : "Make sure the name servers of the domain give a well-formed answer for "
		   "this name (no CNAME loop, no broken record).",
	    ev, (size_t)-1, "Could not read %s %s (%s), so %s could not be judged this time.",
	    qname, dns_type_name(type, tb),
	    temp ? "the DNS lookup failed or timed out" : "the DNS answer was malformed", what);
	free(ev);
	return true;
}

bool dns_txtrec_uri_ok(const char *s, size_t n, const char *scheme)
{
	size_t sl = strlen(scheme), i;
	const char *rest, *at;

	if (n <= sl + 1 || !common_str_ieq(s, sl, scheme, sl) || s[sl] != ':')
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	rest = s + sl + 1;
	n -= sl + 1;
	if (strcmp(scheme, "https") == 0)
		return n > 2 && rest[0] == '/' && rest[1] == '/' && rest[2] != '/' &&
		       rest[2] != ':';
	at = memchr(rest, '@', n);
	return at != NULL && at != rest && (size_t)(at - rest) + 1 < n;
}

bool dns_txtrec_name_ok(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n > 1 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (c > 0x20 && c < 0x7f) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

const char *dns_txtrec_outcome_words(enum dns_outcome o)
{
	switch (o) {
	case DNS_DATA:
		return "records found";
	case DNS_NODATA:
		return "the name exists but has no record of this type";
	case DNS_NXDOMAIN:
		return "the name does not exist";
	case DNS_TEMPFAIL:
		return "the lookup failed or timed out";
	case DNS_MALFORMED:
		return "the answer was malformed";
	}
	return "unknown outcome";
}

char *dns_txtrec_canon(const char *domain)
{
	size_t len = strlen(domain);
	char *r;

	if (len > 1 && domain[len - 1] == '.')
		len--;
	r = xmemdup0(domain, len);
	common_str_lower(r);
	return r;
}

char *dns_txtrec_name(const char *prefix, const char *domain)
{
	size_t pl = strlen(prefix), dl = strlen(domain);
	char *r;

	/* Built on every run of a check, so by hand rather than with xasprintf. */
	if (dl > 1 && domain[dl - 1] == '.')
		dl--;
	r = xmalloc(pl + 1 + dl + 1);
	memcpy(r, prefix, pl);
	r[pl] = '.';
	memcpy(r + pl + 1, domain, dl);
	r[pl + 1 + dl] = '\0';
	common_str_lower(r + pl + 1);
	return r;
}

char *dns_txtrec_evidence(const struct dns_answer *a, size_t *lenp)
{
	struct buf b;
	char *r;

	if (a->outcome != DNS_DATA)
		return NULL;
	common_buf_init(&b, (size_t)1 << 20);
	for (size_t i = 0; i < a->n; i++) {
		if ((i && common_buf_puts(&b, " | ") != ERR_OK) ||
		    common_buf_append(&b, a->rr[i].data, a->rr[i].len) != ERR_OK)
			break; /* evidence beyond 1 MB is cut */
	}
	r = common_buf_steal(&b, lenp);
	return r;
}
