/*
 * dns/dmarc_record: DMARC record parsing (see dmarc_record.h).
 * RFC 7489 6.3 (tags), 6.4 (ABNF); RFC 9989 (np, t, psd; pct/rf/ri retired
 * but still parsed because RFC 7489 receivers still read them).
 */
#include <stdio.h>
#include <string.h>
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/dmarc_record.h"
#include "dns/tags.h"
#include "dns/txtrec.h"

bool dns_dmarc_record_is_candidate(const char *txt, size_t len)
{
	return dns_txtrec_starts(txt, len, "v", "DMARC1", true) ||
	       dns_txtrec_starts(txt, len, "V", "DMARC1", true);
}

const char *dns_dmarc_policy_name(enum dns_dmarc_policy p)
{
	switch (p) {
	case DNS_DMARC_P_NONE:
		return "none";
	case DNS_DMARC_P_QUARANTINE:
		return "quarantine";
	case DNS_DMARC_P_REJECT:
		return "reject";
	case DNS_DMARC_P_UNSET:
		break;
	}
	return "(not set)";
}

/* Trim SP, HTAB, CR and LF (FWS may sit inside a tag value). */
static void trim_fws(const char **s, size_t *n)
{
	while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t' || (*s)[0] == '\r' || (*s)[0] == '\n')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
		      (*s)[*n - 1] == '\n'))
		(*n)--;
}

/* why = "<tag>=<value>: <problem>" with the value escaped and cut. */
static void bad_value(char *why, size_t whysz, const struct dns_tag *t, const char *problem)
{
	char n[32], v[72];

	common_log_quote(n, sizeof n, t->name, t->name_len);
	common_log_quote(v, sizeof v, t->value, t->value_len);
	snprintf(why, whysz, "%s=%s: %s", n, v, problem);
}

static bool parse_policy(const struct dns_tag *t, enum dns_dmarc_policy *out)
{
	if (dns_tags_value_is(t, "none", true))
		*out = DNS_DMARC_P_NONE;
	else if (dns_tags_value_is(t, "quarantine", true))
		*out = DNS_DMARC_P_QUARANTINE;
	else if (dns_tags_value_is(t, "reject", true))
		*out = DNS_DMARC_P_REJECT;
	else
		return false;
	return true;
}

/* One character out of set (case-insensitive), e.g. "rs" for adkim. */
static bool parse_flag(const struct dns_tag *t, const char *set, char *out)
{
	if (t->value_len != 1)
		return false;
	for (const char *s = set; *s; s++) {
		if (common_str_lc((unsigned char)t->value[0]) == *s) {
			*out = *s;
			return true;
		}
	}
	return false;
}

/* A colon-separated list whose items satisfy ok(); spaces around ':' allowed. */
static bool parse_colon_list(const struct dns_tag *t, bool (*ok)(const char *, size_t))
{
	size_t i = 0;

	if (t->value_len == 0)
		return false;
	while (i <= t->value_len) {
		size_t j = i;
		const char *s;
		size_t n;

		while (j < t->value_len && t->value[j] != ':')
			j++;
		s = t->value + i;
		n = j - i;
		trim_fws(&s, &n);
		if (!ok(s, n))
			return false;
		i = j + 1;
	}
	return true;
}

/* RFC 7489 6.4: fo items are 0, 1, d, s. */
static bool fo_item(const char *s, size_t n)
{
	return n == 1 && (s[0] == '0' || s[0] == '1' || s[0] == 'd' || s[0] == 's');
}

/* RFC 7489 6.4: rf items are Keywords (ALPHA *(ALPHA / DIGIT / "-")), e.g. afrf. */
static bool rf_item(const char *s, size_t n)
{
	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* "!10m": RFC 7489 6.4 dmarc-uri size suffix. */
static bool parse_size(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	size_t digits = n;

	if (n > 0 && (s[n - 1] == 'k' || s[n - 1] == 'm' || s[n - 1] == 'g' || s[n - 1] == 't')) {
		static const char units[] = "kmgt";

		mult = (uint64_t)1 << (10 * (strchr(units, s[n - 1]) - units + 1));
		digits--;
	}
	if (common_str_to_u64(s, digits, UINT64_MAX / ((uint64_t)1 << 40), &v) != ERR_OK)
		return false;
	*out = v * mult;
	return true;
}

/* One URI [s, s+n) (already trimmed) into *u; false with a reason. */
static bool parse_uri(const char *s, size_t n, struct dns_dmarc_uri *u, const char **reason)
{
	const char *bang = memchr(s, '!', n), *at, *host, *end;
	size_t ulen = bang ? (size_t)(bang - s) : n, i = 0;

	memset(u, 0, sizeof *u);
	if (bang && !parse_size(bang + 1, n - ulen - 1, &u->max_bytes))
		return (*reason =
			    "the size after '!' must be digits with an optional k, m, g or t"),
		       false;
	/* RFC 3986 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	while (i < ulen && (host_char(s[i]) || s[i] == '+') && s[i] != '_')
		i++;
	if (i == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) ||
	    i >= ulen || s[i] != ':' || i + 1 == ulen)
		return (*reason = "each address must be a URI such as mailto:dmarc@example.com"),
		       false;
	if (!common_str_is_printable(s, ulen))
		return (*reason = "the address contains spaces or unprintable bytes"), false;
	if (!common_str_ieq(s, i, "mailto", 6)) {
		u->uri = xmemdup0(s, ulen);
		return true;
	}
	end = memchr(s, '?', ulen);
	end = end ? end : s + ulen;
	at = NULL;
	for (const char *p = s + i + 1; p < end; p++)
		if (*p == '@')
			at = p;
	host = at ? at + 1 : NULL;
	if (at == NULL || at == s + i + 1 || host == end)
		return (*reason = "a mailto: address needs a local part, '@' and a domain"), false;
	if (end - host > 253)
		return (*reason = "the domain of a mailto: address is too long"), false;
	for (const char *p = host; p < end; p++)
		if (!host_char(*p))
			return (*reason = "the domain of a mailto: address has a bad character"),
			       false;
	u->host = xmemdup0(host, (size_t)(end - host));
	if (!dns_txtrec_name_ok(u->host)) {
		free(u->host);
		u->host = NULL;
		return (*reason = "the domain of a mailto: address is not a valid domain name"),
		       false;
	}
	if (strlen(u->host) > 1 && u->host[strlen(u->host) - 1] == '.')
		u->host[strlen(u->host) - 1] = '\0';
	common_str_lower(u->host);
	u->uri = xmemdup0(s, ulen);
	return true;
}

static void free_uris(struct dns_dmarc_uri *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].uri);
		free(v[i].host);
	}
	free(v);
}

/* rua= / ruf=: comma-separated dmarc-uris.  false with why set. */
static bool parse_uris(const struct dns_tag *t, struct dns_dmarc_uri **out, size_t *nout, char *why,
		       size_t whysz)
{
	struct dns_dmarc_uri *v = NULL;
	const char *reason = "it is empty";
	size_t n = 0, i = 0;

	while (t->value_len > 0 && i <= t->value_len) {
		size_t j = i;
		const char *s;
		size_t len;

		while (j < t->value_len && t->value[j] != ',')
			j++;
		s = t->value + i;
		len = j - i;
		trim_fws(&s, &len);
		if (n == DNS_DMARC_URIS_MAX) {
			reason = "too many addresses";
			goto bad;
		}
		v = xreallocarray(v, n + 1, sizeof *v);
		if (!parse_uri(s, len, &v[n], &reason))
			goto bad;
		n++;
		i = j + 1;
	}
	if (n == 0)
		goto bad;
	*out = v;
	*nout = n;
	return true;
bad:
	bad_value(why, whysz, t, reason);
	free_uris(v, n);
	return false;
}

/* Every tag but v=, rua= and ruf=.  false with why set. */
static bool parse_tag(const struct dns_tag *t, struct dns_dmarc_record *r, char *why, size_t whysz)
{
	uint64_t v;
	const char *name = "";
	char n[8];

	if (t->name_len < sizeof n) {
		memcpy(n, t->name, t->name_len);
		n[t->name_len] = '\0';
		common_str_lower(n);
		name = n;
	}
	if (!strcmp(name, "p") || !strcmp(name, "sp") || !strcmp(name, "np")) {
		enum dns_dmarc_policy *dst = name[0] == 'p'   ? &r->p
					     : name[0] == 's' ? &r->sp
							      : &r->np;

		if (!parse_policy(t, dst))
			return bad_value(why, whysz, t, "must be none, quarantine or reject"),
			       false;
	} else if (!strcmp(name, "pct")) {
		/* RFC 7489 6.3: an integer 0 to 100. */
		if (common_str_to_u64(t->value, t->value_len, 100, &v) != ERR_OK)
			return bad_value(why, whysz, t, "must be a whole number from 0 to 100"),
			       false;
		r->has_pct = true;
		r->pct = (unsigned)v;
	} else if (!strcmp(name, "t")) {
		if (!parse_flag(t, "yn", &r->t))
			return bad_value(why, whysz, t, "must be y or n (RFC 9989)"), false;
	} else if (!strcmp(name, "adkim") || !strcmp(name, "aspf")) {
		if (!parse_flag(t, "rs", name[1] == 'd' ? &r->adkim : &r->aspf))
			return bad_value(why, whysz, t, "must be r (relaxed) or s (strict)"), false;
	} else if (!strcmp(name, "psd")) {
		if (!parse_flag(t, "ynu", &r->psd))
			return bad_value(why, whysz, t, "must be y, n or u (RFC 9989)"), false;
	} else if (!strcmp(name, "fo")) {
		if (!parse_colon_list(t, fo_item))
			return bad_value(why, whysz, t, "must be 0, 1, d or s, separated by ':'"),
			       false;
		r->fo = xmemdup0(t->value, t->value_len);
	} else if (!strcmp(name, "rf")) {
		if (!parse_colon_list(t, rf_item))
			return bad_value(why, whysz, t, "must be a report format such as afrf"),
			       false;
		r->rf = xmemdup0(t->value, t->value_len);
	} else if (!strcmp(name, "ri")) {
		if (common_str_to_u64(t->value, t->value_len, UINT32_MAX, &v) != ERR_OK)
			return bad_value(why, whysz, t, "must be a number of seconds"), false;
		r->has_ri = true;
		r->ri = (uint32_t)v;
	}
	/* RFC 7489 6.3: unknown tags MUST be ignored. */
	return true;
}

enum mp_err dns_dmarc_record_parse(const char *txt, size_t len, struct dns_dmarc_record *out,
				   char *why, size_t whysz)
{
	struct dns_tags tags;
	struct dns_dmarc_record r = {.pct = 100, .adkim = 'r', .aspf = 'r', .ri = 86400};
	const struct dns_tag *t;
	enum mp_err e;

	e = dns_tags_parse(txt, len, DNS_TAGS_ICASE, &tags, why, whysz);
	if (e != ERR_OK)
		return e;
	/* RFC 7489 6.4: the record starts with v=DMARC1, "DMARC1" in exactly that case. */
	t = &tags.v[0];
	if (tags.n == 0 || t->name_len != 1 || (t->name[0] != 'v' && t->name[0] != 'V')) {
		snprintf(why, whysz, "the record must start with v=DMARC1");
		return ERR_PARSE;
	}
	if (!dns_tags_value_is(t, "DMARC1", false)) {
		bad_value(why, whysz, t, "the version must be written exactly DMARC1");
		return ERR_PARSE;
	}
	for (size_t i = 1; i < tags.n; i++) {
		t = &tags.v[i];
		if (common_str_ieqz(t->name, t->name_len, "rua") ||
		    common_str_ieqz(t->name, t->name_len, "ruf")) {
			bool a = common_str_lc((unsigned char)t->name[2]) == 'a';

			if (!parse_uris(t, a ? &r.rua : &r.ruf, a ? &r.n_rua : &r.n_ruf, why,
					whysz))
				goto bad;
		} else if (!parse_tag(t, &r, why, whysz)) {
			goto bad;
		}
	}
	*out = r;
	return ERR_OK;
bad:
	dns_dmarc_record_free(&r);
	return ERR_PARSE;
}

void dns_dmarc_record_free(struct dns_dmarc_record *r)
{
	if (r == NULL)
		return;
	free(r->fo);
	free(r->rf);
	free_uris(r->rua, r->n_rua);
	free_uris(r->ruf, r->n_ruf);
	memset(r, 0, sizeof *r);
}

static struct dns_dmarc_uri *copy_uris(const struct dns_dmarc_uri *v, size_t n)
{
	struct dns_dmarc_uri *r;

	if (v == NULL)
		return NULL;
	r = xreallocarray(NULL, n ? n : 1, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		r[i] = v[i];
		r[i].uri = v[i].uri ? xstrdup(v[i].uri) : NULL;
		r[i].host = v[i].host ? xstrdup(v[i].host) : NULL;
	}
	return r;
}

void dns_dmarc_record_copy(struct dns_dmarc_record *dst, const struct dns_dmarc_record *src)
{
	*dst = *src;
	dst->fo = src->fo ? xstrdup(src->fo) : NULL;
	dst->rf = src->rf ? xstrdup(src->rf) : NULL;
	dst->rua = copy_uris(src->rua, src->n_rua);
	dst->ruf = copy_uris(src->ruf, src->n_ruf);
}
