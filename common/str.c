/*
 * common/str: length-carrying string helpers.
 */
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"

/* x with its upper-case ASCII letters lowered (see common_str_lower()). */
static uint64_t fold8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t low = x & ~high, ge_a = low + ones * (0x80 - 'A'),
		 gt_z = low + ones * (0x80 - 'Z' - 1);

	return x | ((ge_a & ~gt_z & ~x & high) >> 2);
}

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

/* Lower-case the eight bytes at s (see common_str_lower()). */
static void lower8(char *s)
{
	uint64_t x;

	memcpy(&x, s, 8);
	x = fold8(x);
	memcpy(s, &x, 8);
}

/*
 * Why word at a time: names are lower-cased on every book lookup and
 * store.  Eight bytes are folded together: a byte is an upper-case ASCII
 * letter when its low seven bits are >= 'A' and <= 'Z' and its top bit is
 * clear; 0x20 is or'ed into exactly those bytes.  The additions stay within
 * each byte (at most 0x7f + 0x3f), so no carry crosses into the next.  A
 * tail shorter than a word is done as the last eight bytes, overlapping
 * the word before: folding twice changes nothing.
 */
void common_str_lower(char *s)
{
	size_t len = strlen(s), i;

	if (len < 8) {
		for (i = 0; i < len; i++)
			s[i] = (char)common_str_lc((unsigned char)s[i]);
		return;
	}
	for (i = 0; len - i > 8; i += 8)
		lower8(s + i);
	lower8(s + len - 8);
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

/* RFC 3629 4: the well-formed byte sequences (no overlongs, no surrogates, <= U+10FFFF). */
size_t common_str_utf8_seq(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned c = s[0], min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	if (left < n)
		return 0;
	unsigned cp = c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *common_str_cat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *r = xmalloc(la + lb + lc + 1);

	memcpy(r, a, la);
	memcpy(r + la, b, lb);
	memcpy(r + la + lb, c, lc + 1);
	return r;
}
