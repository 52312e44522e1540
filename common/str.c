/*
 * common/str: length-carrying string helpers.
 */
#include <string.h>
#include "common/str.h"

bool common_str_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (common_str_lc((unsigned char)a[i]) != common_str_lc((unsigned char)b[i]))
			return false;
	return true;
}

bool common_str_ieqz(const char *a, size_t alen, const char *z)
{
	return common_str_ieq(a, alen, z, strlen(z));
}

bool common_str_iprefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && common_str_ieq(s, n, prefix, n);
}

void common_str_lower(char *s)
{
	for (; *s; s++)
		*s = (char)common_str_lc((unsigned char)*s);
}

enum mp_err common_str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return ERR_PARSE;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return ERR_PARSE;
		d = (unsigned)(s[i] - '0');
		if (v > max / 10 || (v == max / 10 && d > max % 10))
			return ERR_LIMIT;
		v = v * 10 + d;
	}
	*out = v;
	return ERR_OK;
}

enum mp_err common_str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return ERR_LIMIT;
	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return ERR_LIMIT;
	}
	memcpy(dst, src, n + 1);
	return ERR_OK;
}

void common_str_trim(const char **s, size_t *len)
{
	while (*len && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

bool common_str_is_printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}
