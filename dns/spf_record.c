/*
 * dns/spf_record: the strict RFC 7208 record parser, see spf_record.h.
 *
 * A record is split on SP only (RFC 7208 4.6.1: terms are separated by one
 * or more SP; any other byte is part of a term and must be visible ASCII).
 * Each term is a modifier when it starts with a modifier name followed by
 * "=", else a mechanism; a mechanism name that is not one of the eight is a
 * syntax error (RFC 7208 4.6: a permerror, also redirect:x).
 */
#include <stdio.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/spf_ip.h"
#include "dns/spf_macro.h"
#include "dns/spf_record.h"

struct parser {
	struct dns_spf_record *rec;
	struct dns_spf_syntax *why;
	const char *term; /* the term being parsed */
	size_t term_len, term_pos;
};

static const struct {
	const char *name;
	enum dns_spf_kind kind;
} mechanisms[] = {
    {"all", DNS_SPF_ALL}, {"include", DNS_SPF_INCLUDE}, {"a", DNS_SPF_A},
    {"mx", DNS_SPF_MX},	  {"ptr", DNS_SPF_PTR},		{"ip4", DNS_SPF_IP4},
    {"ip6", DNS_SPF_IP6}, {"exists", DNS_SPF_EXISTS},
};

const char *dns_spf_kind_name(enum dns_spf_kind kind)
{
	for (size_t i = 0; i < sizeof mechanisms / sizeof mechanisms[0]; i++)
		if (mechanisms[i].kind == kind)
			return mechanisms[i].name;
	if (kind == DNS_SPF_REDIRECT)
		return "redirect";
	return kind == DNS_SPF_EXP ? "exp" : "modifier";
}

bool dns_spf_kind_queries_dns(enum dns_spf_kind kind)
{
	return kind == DNS_SPF_INCLUDE || kind == DNS_SPF_A || kind == DNS_SPF_MX ||
	       kind == DNS_SPF_PTR || kind == DNS_SPF_EXISTS || kind == DNS_SPF_REDIRECT;
}

bool dns_spf_record_is_spf(const void *txt, size_t len)
{
	const char *p = txt;

	/* RFC 7208 4.5: exactly "v=spf1", then SP or the end of the record. */
	return len >= 6 && common_str_iprefix(p, len, "v=spf1") && (len == 6 || p[6] == ' ');
}

size_t dns_spf_record_select(const struct dns_answer *ans, const struct dns_rr **rr)
{
	size_t n = 0;

	*rr = NULL;
	if (ans->outcome != DNS_DATA)
		return 0;
	for (size_t i = 0; i < ans->n; i++) {
		if (!dns_spf_record_is_spf(ans->rr[i].data, ans->rr[i].len))
			continue;
		if (n++ == 0)
			*rr = &ans->rr[i];
	}
	return n;
}

/* Render [s, s+len) printable into out, cut with "..." when long. */
static void printable(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02X", ch);
		if (i + 1 < len && o + 8 >= size) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	out[o] = '\0';
}

/* Record a syntax error at offset `at` of the current term; returns false. */
static bool fail(struct parser *ps, size_t at, const char *reason)
{
	if (ps->why != NULL) {
		ps->why->reason = reason;
		ps->why->pos = ps->term_pos + at;
		printable(ps->term, ps->term_len, ps->why->term, sizeof ps->why->term);
	}
	return false;
}

/* A CIDR length: 1*DIGIT without a leading zero, at most max. */
static bool parse_prefix(const char *s, size_t len, unsigned max, unsigned *out)
{
	uint64_t v;

	if (len > 1 && s[0] == '0')
		return false;
	if (common_str_to_u64(s, len, max, &v) != ERR_OK)
		return false;
	*out = (unsigned)v;
	return true;
}

/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], all of s. */
static bool parse_dual_cidr(struct parser *ps, const char *s, size_t len, size_t at,
			    struct dns_spf_term *t)
{
	const char *v6 = NULL;

	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] == '/' && s[i + 1] == '/') {
			v6 = s + i + 2;
			break;
		}
	}
	if (v6 != NULL && !parse_prefix(v6, (size_t)(s + len - v6), 128, &t->cidr6))
		return fail(ps, at, "bad IPv6 CIDR length (0-128, no leading zero)");
	if (v6 != NULL)
		len = (size_t)(v6 - 2 - s);
	if (len == 0)
		return true;
	if (s[0] != '/' || !parse_prefix(s + 1, len - 1, 32, &t->cidr4))
		return fail(ps, at, "bad CIDR length (/0-32 for IPv4, //0-128 for IPv6)");
	return true;
}

/* Where a trailing dual-cidr-length starts in [s, s+len) (len when none). */
static size_t cidr_suffix(const char *s, size_t len)
{
	size_t end = len;

	for (int pass = 0; pass < 2; pass++) {
		size_t i = end;

		while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
			i--;
		if (i == end || i == 0 || s[i - 1] != '/')
			continue;
		if (pass == 0 && i >= 2 && s[i - 2] == '/')
			end = i - 2; /* "//" ip6-cidr-length */
		else if (pass == 1)
			end = i - 1; /* "/" ip4-cidr-length */
	}
	return end;
}

static bool check_domain(struct parser *ps, const char *spec, size_t len)
{
	const char *why;
	size_t pos;

	if (dns_spf_macro_check_domain(spec, len, &why, &pos) != ERR_OK)
		return fail(ps, (size_t)(spec - ps->term) + pos, why);
	return true;
}

/* include and exists: ":" domain-spec, required; no CIDR. */
static bool parse_required_domain(struct parser *ps, const char *rest, size_t len,
				  struct dns_spf_term *t)
{
	if (len == 0 || rest[0] != ':')
		return fail(ps, (size_t)(rest - ps->term), "needs ':' and a domain");
	t->spec = rest + 1;
	t->spec_len = len - 1;
	return check_domain(ps, t->spec, t->spec_len);
}

/* a, mx, ptr: [ ":" domain-spec ] and, for a and mx, [ dual-cidr-length ]. */
static bool parse_optional_domain(struct parser *ps, const char *rest, size_t len,
				  struct dns_spf_term *t, bool cidr)
{
	size_t at = (size_t)(rest - ps->term), cut;

	if (len > 0 && rest[0] == ':') {
		cut = cidr ? cidr_suffix(rest + 1, len - 1) + 1 : len;
		t->spec = rest + 1;
		t->spec_len = cut - 1;
		if (!check_domain(ps, t->spec, t->spec_len))
			return false;
		rest += cut;
		len -= cut;
		at += cut;
	}
	if (len == 0)
		return true;
	if (!cidr || rest[0] != '/')
		return fail(ps, at,
			    cidr ? "unexpected text after the mechanism"
				 : "ptr takes no CIDR length");
	return parse_dual_cidr(ps, rest, len, at, t);
}

/* ip4 / ip6: ":" network [ "/" prefix ] (RFC 7208 5.6). */
static bool parse_ip(struct parser *ps, const char *rest, size_t len, struct dns_spf_term *t)
{
	bool v4 = t->kind == DNS_SPF_IP4;
	const char *slash;
	size_t netlen;
	unsigned *prefix = v4 ? &t->cidr4 : &t->cidr6;

	if (len == 0 || rest[0] != ':')
		return fail(ps, (size_t)(rest - ps->term), "needs ':' and an address");
	rest++;
	len--;
	slash = memchr(rest, '/', len);
	netlen = slash ? (size_t)(slash - rest) : len;
	if ((v4 ? dns_spf_ip_parse4(rest, netlen, t->net)
		: dns_spf_ip_parse6(rest, netlen, t->net)) != ERR_OK)
		return fail(ps, (size_t)(rest - ps->term),
			    v4 ? "not an IPv4 address (four numbers 0-255, no leading zeros)"
			       : "not an IPv6 address");
	if (slash != NULL && !parse_prefix(slash + 1, len - netlen - 1, v4 ? 32 : 128, prefix))
		return fail(ps, (size_t)(slash - ps->term),
			    v4 ? "bad CIDR length (0-32, no leading zero)"
			       : "bad CIDR length (0-128, no leading zero)");
	return true;
}

static bool parse_mechanism(struct parser *ps, struct dns_spf_term *t)
{
	const char *s = ps->term, *end = s + ps->term_len, *name;
	size_t nlen;

	t->qualifier = '+';
	if (strchr("+-~?", *s) != NULL)
		t->qualifier = *s++;
	name = s;
	while (s < end && *s != ':' && *s != '/')
		s++;
	nlen = (size_t)(s - name);
	for (size_t i = 0; i < sizeof mechanisms / sizeof mechanisms[0]; i++) {
		if (!common_str_ieqz(name, nlen, mechanisms[i].name))
			continue;
		t->kind = mechanisms[i].kind;
		switch (t->kind) {
		case DNS_SPF_ALL:
			ps->rec->has_all = true;
			return s == end ||
			       fail(ps, (size_t)(s - ps->term), "all takes no argument");
		case DNS_SPF_INCLUDE:
		case DNS_SPF_EXISTS:
			return parse_required_domain(ps, s, (size_t)(end - s), t);
		case DNS_SPF_PTR:
			return parse_optional_domain(ps, s, (size_t)(end - s), t, false);
		case DNS_SPF_IP4:
		case DNS_SPF_IP6:
			return parse_ip(ps, s, (size_t)(end - s), t);
		default:
			return parse_optional_domain(ps, s, (size_t)(end - s), t, true);
		}
	}
	return fail(ps, (size_t)(name - ps->term), "unknown mechanism");
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ); length of the name, 0 if none. */
static size_t modifier_name(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			   (s[i] >= '0' && s[i] <= '9') || strchr("-_.", s[i]) != NULL))
		i++;
	return i;
}

/* RFC 7208 6: redirect and exp MUST NOT appear more than once. */
static bool parse_modifier(struct parser *ps, size_t nlen, struct dns_spf_term *t)
{
	const char *why;
	size_t pos;

	t->spec = ps->term + nlen + 1;
	t->spec_len = ps->term_len - nlen - 1;
	t->kind = DNS_SPF_UNKNOWN_MOD;
	if (common_str_ieqz(ps->term, nlen, "redirect"))
		t->kind = DNS_SPF_REDIRECT;
	else if (common_str_ieqz(ps->term, nlen, "exp"))
		t->kind = DNS_SPF_EXP;
	if (t->kind == DNS_SPF_UNKNOWN_MOD) {
		t->name = ps->term;
		t->name_len = nlen;
		/* RFC 7208 6: unknown modifiers are ignored, but must be valid. */
		if (dns_spf_macro_check(t->spec, t->spec_len, DNS_SPF_MACRO_DOMAIN, &why, &pos) !=
		    ERR_OK)
			return fail(ps, nlen + 1 + pos, why);
		return true;
	}
	if ((t->kind == DNS_SPF_REDIRECT && ps->rec->redirect != NULL) ||
	    (t->kind == DNS_SPF_EXP && ps->rec->exp != NULL))
		return fail(ps, 0, "redirect= and exp= may each appear only once");
	return check_domain(ps, t->spec, t->spec_len);
}

static bool parse_term(struct parser *ps, struct dns_spf_term *t)
{
	size_t nlen;

	for (size_t i = 0; i < ps->term_len; i++)
		if ((unsigned char)ps->term[i] < 0x21 || (unsigned char)ps->term[i] > 0x7e)
			return fail(ps, i, "control character, NUL or non-ASCII byte in a term");
	memset(t, 0, sizeof *t);
	t->text = ps->term;
	t->len = ps->term_len;
	t->pos = ps->term_pos;
	t->cidr4 = 32;
	t->cidr6 = 128;
	nlen = modifier_name(ps->term, ps->term_len);
	if (nlen > 0 && nlen < ps->term_len && ps->term[nlen] == '=')
		return parse_modifier(ps, nlen, t);
	if (ps->term_len > 0 && ps->term[0] == '=')
		return fail(ps, 0, "modifier without a name");
	if (nlen == 0 && memchr(ps->term, '=', ps->term_len) != NULL &&
	    strchr("+-~?", ps->term[0]) == NULL)
		return fail(ps, 0, "modifier name must start with a letter");
	return parse_mechanism(ps, t);
}

/* Split on SP and parse every term; the caller checked the version. */
static enum mp_err parse_terms(struct parser *ps)
{
	struct dns_spf_record *rec = ps->rec;
	size_t i = 6;

	while (i < rec->len) {
		size_t start;

		while (i < rec->len && rec->text[i] == ' ')
			i++;
		if (i == rec->len)
			break;
		start = i;
		while (i < rec->len && rec->text[i] != ' ')
			i++;
		ps->term = rec->text + start;
		ps->term_len = i - start;
		ps->term_pos = start;
		if (rec->n == DNS_SPF_TERMS_MAX) {
			fail(ps, 0, "more than 512 terms");
			return ERR_LIMIT;
		}
		if (!parse_term(ps, &rec->terms[rec->n]))
			return ERR_PARSE;
		if (rec->terms[rec->n].kind == DNS_SPF_REDIRECT)
			rec->redirect = &rec->terms[rec->n];
		if (rec->terms[rec->n].kind == DNS_SPF_EXP)
			rec->exp = &rec->terms[rec->n];
		rec->n++;
	}
	return ERR_OK;
}

/* SP-separated words after "v=spf1", capped one past DNS_SPF_TERMS_MAX (the limit error). */
static size_t count_terms(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 6; i < len && n <= DNS_SPF_TERMS_MAX; i++)
		if (text[i] != ' ' && text[i - 1] == ' ')
			n++;
	return n < DNS_SPF_TERMS_MAX ? n : DNS_SPF_TERMS_MAX;
}

/* A whole-record error (no term to show). */
static enum mp_err record_error(struct dns_spf_syntax *why, const char *txt, size_t len,
				const char *reason, enum mp_err e)
{
	if (why != NULL) {
		why->reason = reason;
		why->pos = 0;
		printable(txt, len < 40 ? len : 40, why->term, sizeof why->term);
	}
	return e;
}

enum mp_err dns_spf_record_parse(const void *txt, size_t len, struct dns_spf_record **out,
				 struct dns_spf_syntax *why)
{
	struct dns_spf_record *rec;
	struct parser ps = {.why = why};
	size_t max_terms;
	enum mp_err e;

	if (len > DNS_SPF_RECORD_MAX)
		return record_error(why, txt, len, "record longer than 4096 bytes", ERR_LIMIT);
	if (!dns_spf_record_is_spf(txt, len))
		return record_error(why, txt, len, "not an SPF record (must start with v=spf1)",
				    ERR_PARSE);
	rec = xcalloc(1, sizeof *rec);
	rec->text = xmemdup0(txt, len);
	rec->len = len;
	/*
	 * Why count first: sizing for the worst case (len/2 + 1 terms of ~100
	 * bytes, zeroed) cost more than the whole parse; parse_term() zeroes
	 * each term it fills, so the array need not be.
	 */
	max_terms = count_terms(rec->text, len);
	rec->terms = xreallocarray(NULL, max_terms ? max_terms : 1, sizeof *rec->terms);
	ps.rec = rec;
	e = parse_terms(&ps);
	if (e != ERR_OK) {
		dns_spf_record_free(rec);
		return e;
	}
	*out = rec;
	return ERR_OK;
}

void dns_spf_record_free(struct dns_spf_record *rec)
{
	if (rec == NULL)
		return;
	free(rec->text);
	free(rec->terms);
	free(rec);
}
