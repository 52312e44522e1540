/* tests/common/test_str: length-carrying string helpers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/str.h"
#include "tests/lib/tap.h"

/* The byte-at-a-time definition common_str_lower() must match. */
static char ref_lc(char c)
{
	return (char)common_str_lc((unsigned char)c);
}

/*
 * common_str_lower() folds eight bytes at a time: every byte value, every
 * length and alignment around a word, and a 64 KB string, against the
 * byte-at-a-time definition.
 */
static void lower(void)
{
	char *big = malloc(65537), *want = malloc(65537);
	uint32_t seed = 99;
	bool all = true;
	char s[300];

	/* all 255 non-NUL bytes (0x80-0xff and '@', '[', '`', '{' around the letters) */
	for (int i = 0; i < 255; i++)
		s[i] = (char)(i + 1);
	s[255] = '\0';
	common_str_lower(s);
	for (int i = 0; i < 255; i++)
		all = all && s[i] == ref_lc((char)(i + 1));
	tap_ok(all, "every byte value folds as common_str_lc() says");

	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len < 40; len++) {
			char a[64], b[64];

			for (size_t k = 0; k < len; k++) {
				seed = seed * 1103515245u + 12345u;
				a[off + k] = (char)(((seed >> 16) % 255) + 1);
				b[off + k] = ref_lc(a[off + k]);
			}
			a[off + len] = b[off + len] = '\0';
			a[off + len + 1] = 'Q';
			common_str_lower(a + off);
			all = all && memcmp(a + off, b + off, len + 1) == 0 &&
			      a[off + len + 1] == 'Q';
		}
	tap_ok(all, "lengths 0-39 at every alignment; nothing past the NUL touched");

	for (size_t k = 0; k < 65536; k++) {
		seed = seed * 1103515245u + 12345u;
		big[k] = (char)(((seed >> 16) % 255) + 1);
		want[k] = ref_lc(big[k]);
	}
	big[65536] = want[65536] = '\0';
	big[1000] = want[1000] = '\0'; /* stops at the first NUL */
	memset(big + 1001, 'A', 10);
	memset(want + 1001, 'a', 10);
	common_str_lower(big);
	tap_ok(memcmp(big, want, 1001) == 0 && memcmp(big + 1001, "AAAAAAAAAA", 10) == 0,
	       "stops at the first NUL");
	big[1000] = 'A';
	want[1000] = 'a';
	common_str_lower(big);
	tap_ok(memcmp(big, want, 65537) == 0, "64 KB string of random bytes");
	free(big);
	free(want);
}

/* The byte-at-a-time definition common_str_ieq() must match. */
static bool ref_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ref_lc(a[i]) != ref_lc(b[i]))
			return false;
	return true;
}

/*
 * common_str_ieq() compares eight bytes at a time: pairs that differ in
 * case only, in one byte (every value, every position), and NULs inside.
 */
static void ieq(void)
{
	uint32_t seed = 7;
	bool all = true;

	for (int round = 0; round < 3000 && all; round++) {
		char a[40], b[40];
		size_t n = (size_t)round % 40;

		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			a[k] = (char)(seed >> 16);
			/* mostly the same letter in the other case, sometimes another byte */
			b[k] = (seed >> 28) == 0	      ? (char)(seed >> 8)
			       : (a[k] >= 'a' && a[k] <= 'z') ? (char)(a[k] - 32)
			       : (a[k] >= 'A' && a[k] <= 'Z') ? (char)(a[k] + 32)
							      : a[k];
		}
		all = common_str_ieq(a, n, b, n) == ref_ieq(a, b, n);
	}
	tap_ok(all, "3,000 random pairs: the same verdict as byte by byte");
	for (int c = 0; c < 256 && all; c++)
		for (size_t pos = 0; pos < 17 && all; pos++) {
			char a[17], b[17];

			memset(a, 'q', sizeof a);
			memset(b, 'Q', sizeof b);
			a[pos] = (char)c;
			b[pos] = 'M';
			all = common_str_ieq(a, sizeof a, b, sizeof b) == (c == 'm' || c == 'M');
		}
	tap_ok(all, "one differing byte of every value at every position");
	tap_ok(common_str_ieq("A\0b", 3, "a\0B", 3) && !common_str_ieq("a\0b", 3, "a\0c", 3),
	       "NUL bytes are compared like any other");
	tap_ok(common_str_ieq("\xc4\xd6", 2, "\xc4\xd6", 2) &&
		   !common_str_ieq("\xc4", 1, "\xe4", 1),
	       "no folding outside ASCII");
	tap_ok(common_str_ieqz("_DMARC.Example.COM", 18, "_dmarc.example.com") &&
		   !common_str_ieqz("_dmarc.example.co", 17, "_dmarc.example.com"),
	       "ieqz: case and length");
}

int main(void)
{
	uint64_t v = 7;
	char dst[4];

	tap_ok(common_str_ieq("AbC", 3, "aBc", 3), "case-insensitive equality");
	tap_ok(!common_str_ieq("abc", 3, "abcd", 4), "different lengths differ");
	tap_ok(common_str_iprefix("V=SPF1 -all", 11, "v=spf1"), "prefix ignoring case");
	tap_ok(common_str_to_u64("65535", 5, 65535, &v) == ERR_OK && v == 65535, "u64 at max");
	tap_ok(common_str_to_u64("65536", 5, 65535, &v) == ERR_LIMIT && v == 65535,
	       "u64 over max fails, out untouched");
	tap_ok(common_str_to_u64("18446744073709551616", 20, UINT64_MAX, &v) == ERR_LIMIT,
	       "u64 overflow detected");
	tap_ok(common_str_to_u64("", 0, 10, &v) == ERR_PARSE, "empty number rejected");
	tap_ok(common_str_to_u64("-1", 2, 10, &v) == ERR_PARSE, "sign rejected");
	tap_ok(common_str_to_u64("1 ", 2, 10, &v) == ERR_PARSE, "trailing space rejected");
	tap_ok(common_str_copy(dst, sizeof dst, "abc") == ERR_OK, "copy that fits");
	tap_ok(common_str_copy(dst, sizeof dst, "abcd") == ERR_LIMIT && dst[3] == '\0',
	       "copy that does not fit is cut and terminated");
	tap_ok(common_str_is_printable("a b", 3) && !common_str_is_printable("a\tb", 3),
	       "printable check");
	lower();
	ieq();
	return tap_done();
}
