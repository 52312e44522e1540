/*
 * web/conneg: Accept-Encoding and If-None-Match (see conneg.h).
 */
#include <string.h>
#include "common/str.h"
#include "web/conneg.h"

/* RFC 9110 5.6.3: OWS = *( SP / HTAB ). */
static size_t skip_ows(const char *v, size_t len, size_t i)
{
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	return i;
}

/*
 * RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
 * [p, p+n) is the text after "q="; *zero gets whether it is 0.  False if malformed.
 */
static bool qvalue(const char *p, size_t n, bool *zero)
{
	size_t i = 1;

	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return false;
	*zero = p[0] == '0';
	if (n == 1)
		return true;
	if (p[1] != '.' || n > 5)
		return false;
	for (i = 2; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || (p[0] == '1' && p[i] != '0'))
			return false;
		if (p[i] != '0')
			*zero = false;
	}
	return true;
}

/*
 * The weight of a member's parameters [p, p+n) (after the coding name):
 * "" gives 1; ";q=0.5" etc.  False when no weight can be read.
 */
static bool weight(const char *p, size_t n, bool *zero)
{
	size_t i = skip_ows(p, n, 0), end = n;

	*zero = false;
	if (i == n)
		return true;
	if (p[i] != ';')
		return false;
	i = skip_ows(p, n, i + 1);
	if (n - i < 2 || (p[i] != 'q' && p[i] != 'Q') || p[i + 1] != '=')
		return false;
	i += 2;
	while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	return qvalue(p + i, end - i, zero);
}

bool web_conneg_gzip(const char *v, size_t len)
{
	int gzip = -1, star = -1; /* -1 not listed, 0 refused, 1 accepted */
	size_t i = 0;

	if (v == NULL)
		return false;
	while (i < len) {
		const char *comma = memchr(v + i, ',', len - i);
		size_t end = comma ? (size_t)(comma - v) : len, s = skip_ows(v, end, i), e = s;
		bool zero = false;

		while (e < end && v[e] != ';' && v[e] != ' ' && v[e] != '\t')
			e++;
		if (e > s && weight(v + e, end - e, &zero)) {
			if (common_str_ieqz(v + s, e - s, "gzip") ||
			    common_str_ieqz(v + s, e - s, "x-gzip"))
				gzip = gzip == 1 ? 1 : !zero;
			else if (e - s == 1 && v[s] == '*')
				star = star == 1 ? 1 : !zero;
		}
		i = end + 1;
	}
	return gzip == 1 || (gzip == -1 && star == 1);
}

/* RFC 9110 8.8.3: opaque-tag = DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text. */
static bool etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

bool web_conneg_etag_match(const char *v, size_t len, const char *etag, size_t etag_len)
{
	size_t i = 0;

	if (v == NULL)
		return false;
	if (etag_len >= 2 && etag[0] == 'W' && etag[1] == '/') {
		etag += 2;
		etag_len -= 2;
	}
	i = skip_ows(v, len, 0);
	if (i < len && v[i] == '*' && skip_ows(v, len, i + 1) == len)
		return true;
	while (i < len) {
		size_t s;

		if (len - i >= 2 && v[i] == 'W' && v[i + 1] == '/')
			i += 2;
		if (i >= len || v[i] != '"')
			return false;
		s = i++;
		while (i < len && etagc((unsigned char)v[i]))
			i++;
		if (i >= len || v[i] != '"')
			return false;
		i++;
		if (i - s == etag_len && memcmp(v + s, etag, etag_len) == 0)
			return true;
		i = skip_ows(v, len, i);
		if (i < len && v[i] != ',')
			return false;
		/* RFC 9110 5.6.1: empty list members are allowed ("a, , b"). */
		while (i < len && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
	}
	return false;
}
