/*
 * tests/common/test_xmalloc: xasprintf formats once on the stack and falls
 * back to two passes for long results; both give exactly what snprintf
 * gives, at and around the stack buffer's size, with NUL bytes (%c) and
 * 64 KB arguments.  xmemdup0 keeps NULs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "tests/lib/tap.h"

/* xasprintf("%s|%d", s, d) compared with a snprintf into memory of the right size. */
static bool same_as_snprintf(const char *s, int d)
{
	int n = snprintf(NULL, 0, "%s|%d", s, d);
	char *want = malloc((size_t)n + 1), *got = xasprintf("%s|%d", s, d);
	bool same;

	snprintf(want, (size_t)n + 1, "%s|%d", s, d);
	same = strlen(got) == (size_t)n && strcmp(got, want) == 0;
	free(want);
	free(got);
	return same;
}

int main(void)
{
	static const size_t sizes[] = {0,   1,	 100, 505, 506,	 507,  508,  509,
				       510, 511, 512, 513, 1024, 4096, 65536};
	char *big = malloc(65537);
	char *s;
	bool all = true;

	s = xasprintf("%s", "");
	tap_is_str(s, "", "empty result");
	free(s);
	s = xasprintf("%s=%u (%s)", "p", 42u, "x");
	tap_is_str(s, "p=42 (x)", "short result");
	free(s);

	/* "%s|%d" with d = 7 adds two bytes: lengths sweep across the 512-byte stack buffer. */
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		memset(big, 'a' + (int)(i % 26), sizes[i]);
		big[sizes[i]] = '\0';
		if (!same_as_snprintf(big, 7)) {
			tap_diag("differs at %zu bytes", sizes[i]);
			all = false;
		}
	}
	tap_ok(all, "results of 2 to 65,538 bytes, across the stack buffer's size, as snprintf");

	/* A NUL written by %c: the result is cut there as a C string, but its memory is whole. */
	s = xasprintf("a%cb", 0);
	tap_ok(s[0] == 'a' && s[1] == '\0' && s[2] == 'b' && s[3] == '\0',
	       "%%c of NUL kept in place");
	free(s);
	memset(big, 'z', 600);
	big[600] = '\0';
	s = xasprintf("%c%s", 0, big);
	tap_ok(s[0] == '\0' && s[1] == 'z' && s[600] == 'z' && s[601] == '\0',
	       "%%c of NUL in a result longer than the stack buffer");
	free(s);

	/* Invalid UTF-8 is just bytes to printf. */
	s = xasprintf("%s", "\xff\xfe\xc0\xaf");
	tap_ok(memcmp(s, "\xff\xfe\xc0\xaf", 5) == 0, "invalid UTF-8 copied as bytes");
	free(s);

	s = xmemdup0("a\0b", 3);
	tap_ok(memcmp(s, "a\0b\0", 4) == 0, "xmemdup0 keeps NULs and terminates");
	free(s);
	free(big);
	return tap_done();
}
