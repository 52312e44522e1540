/*
 * dns/mtasts_policy: RFC 8461 3.2 policy parsing and 4.1 MX matching (see
 * mtasts_policy.h).
 *
 *   sts-policy-field-delim = ":" *WSP
 *   sts-policy-term        = LF / CRLF
 *   sts-policy-mx-value    = ["*."] Domain
 *   sts-policy-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *
 * Field names and the version/mode values are case-sensitive (%s in the
 * ABNF).  Leniencies: blank lines are skipped and trailing spaces trimmed.
 */
#include <stdio.h>
#include <string.h>
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/mtasts_policy.h"

const char *dns_mtasts_mode_name(enum dns_mtasts_mode m)
{
	switch (m) {
	case DNS_MTASTS_ENFORCE:
		return "enforce";
	case DNS_MTASTS_TESTING:
		return "testing";
	case DNS_MTASTS_NONE:
		return "none";
	}
	return "unknown";
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool ext_name(const char *s, size_t n)
{
	if (n == 0 || n > 32 || !alnum(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* RFC 5321 Domain: labels of letters, digits and inner hyphens. */
static bool domain_ok(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (alnum(s[i]) || (s[i] == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

struct state {
	struct dns_mtasts_policy p;
	bool has_version, has_mode, has_max_age;
	size_t line;
	char *why;
	size_t whysz;
};

static bool fail(struct state *st, const char *what, const char *s, size_t n)
{
	char q[64];

	common_log_quote(q, sizeof q, s, n);
	snprintf(st->why, st->whysz, "line %zu: %s (\"%s\")", st->line, what, q);
	return false;
}

static bool once(struct state *st, bool *seen, const char *name, size_t n)
{
	if (*seen)
		return fail(st, "this field appears twice", name, n);
	*seen = true;
	return true;
}

static bool field(struct state *st, const char *k, size_t kn, const char *v, size_t vn)
{
	uint64_t age;

	if (kn == 7 && memcmp(k, "version", 7) == 0) {
		if (!once(st, &st->has_version, k, kn))
			return false;
		if (vn != 5 || memcmp(v, "STSv1", 5) != 0)
			return fail(st, "version must be STSv1", v, vn);
	} else if (kn == 4 && memcmp(k, "mode", 4) == 0) {
		if (!once(st, &st->has_mode, k, kn))
			return false;
		if (vn == 7 && memcmp(v, "enforce", 7) == 0)
			st->p.mode = DNS_MTASTS_ENFORCE;
		else if (vn == 7 && memcmp(v, "testing", 7) == 0)
			st->p.mode = DNS_MTASTS_TESTING;
		else if (vn == 4 && memcmp(v, "none", 4) == 0)
			st->p.mode = DNS_MTASTS_NONE;
		else
			return fail(st, "mode must be enforce, testing or none", v, vn);
	} else if (kn == 7 && memcmp(k, "max_age", 7) == 0) {
		if (!once(st, &st->has_max_age, k, kn))
			return false;
		if (vn > 10 || common_str_to_u64(v, vn, DNS_MTASTS_MAX_AGE_MAX, &age) != ERR_OK)
			return fail(st, "max_age must be a number of seconds up to 31557600", v,
				    vn);
		st->p.max_age = (uint32_t)age;
	} else if (kn == 2 && memcmp(k, "mx", 2) == 0) {
		bool wild = vn > 2 && v[0] == '*' && v[1] == '.';

		if (!domain_ok(v + (wild ? 2 : 0), vn - (wild ? 2 : 0)))
			return fail(st, "mx must be a host name, optionally starting with *.", v,
				    vn);
		if (st->p.n_mx == DNS_MTASTS_MX_MAX)
			return fail(st, "too many mx lines", v, vn);
		st->p.mx = xreallocarray(st->p.mx, st->p.n_mx + 1, sizeof *st->p.mx);
		st->p.mx[st->p.n_mx] = xmemdup0(v, vn);
		common_str_lower(st->p.mx[st->p.n_mx++]);
	} else if (!ext_name(k, kn)) {
		return fail(st, "not a valid field name", k, kn);
	}
	/* RFC 8461 3.2: unknown fields are ignored. */
	return true;
}

/* One line without its terminator. */
static bool line(struct state *st, const char *s, size_t n)
{
	const char *colon, *v;
	size_t vn;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(st, "control byte in the policy", s, n);
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return true; /* blank line: tolerated */
	colon = memchr(s, ':', n);
	if (colon == NULL)
		return fail(st, "expected \"key: value\"", s, n);
	v = colon + 1;
	vn = n - (size_t)(v - s);
	while (vn > 0 && (v[0] == ' ' || v[0] == '\t')) {
		v++;
		vn--;
	}
	if (vn == 0)
		return fail(st, "empty value", s, n);
	return field(st, s, (size_t)(colon - s), v, vn);
}

static bool finish(struct state *st)
{
	st->line = 0;
	if (!st->has_version)
		snprintf(st->why, st->whysz, "the version: STSv1 line is missing");
	else if (!st->has_mode)
		snprintf(st->why, st->whysz, "the mode line is missing");
	else if (!st->has_max_age)
		snprintf(st->why, st->whysz, "the max_age line is missing");
	else if (st->p.n_mx == 0 && st->p.mode != DNS_MTASTS_NONE)
		snprintf(st->why, st->whysz, "there is no mx line naming your mail servers");
	else
		return true;
	return false;
}

enum mp_err dns_mtasts_policy_parse(const char *body, size_t len, struct dns_mtasts_policy *out,
				    char *why, size_t whysz)
{
	struct state st = {.why = why, .whysz = whysz};
	size_t start = 0;

	if (len > DNS_MTASTS_POLICY_MAX) {
		snprintf(why, whysz, "the policy is larger than 64 KB");
		return ERR_LIMIT;
	}
	while (start < len) {
		const char *nl = memchr(body + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - body) : len, n = end - start;

		st.line++;
		/* RFC 8461 3.2: sts-policy-term = LF / CRLF. */
		if (n > 0 && body[start + n - 1] == '\r')
			n--;
		if (!line(&st, body + start, n))
			goto bad;
		start = end + 1;
	}
	if (!finish(&st))
		goto bad;
	*out = st.p;
	return ERR_OK;
bad:
	dns_mtasts_policy_free(&st.p);
	return ERR_PARSE;
}

void dns_mtasts_policy_free(struct dns_mtasts_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_mx; i++)
		free(p->mx[i]);
	free(p->mx);
	memset(p, 0, sizeof *p);
}

bool dns_mtasts_mx_match(const char *pattern, const char *host)
{
	size_t pn = strlen(pattern), hn = strlen(host);
	const char *dot;

	if (pn > 1 && pattern[pn - 1] == '.')
		pn--;
	if (hn > 1 && host[hn - 1] == '.')
		hn--;
	if (pn > 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* RFC 8461 4.1: the wildcard stands for exactly one leftmost label. */
		dot = memchr(host, '.', hn);
		if (dot == NULL || dot == host)
			return false;
		return common_str_ieq(dot + 1, hn - (size_t)(dot + 1 - host), pattern + 2, pn - 2);
	}
	return common_str_ieq(pattern, pn, host, hn);
}
