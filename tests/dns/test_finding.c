/*
 * tests/dns/test_finding: the finding list and dns_finding_fmt(), whose
 * output must be exactly what vsnprintf() gives for every format, the
 * plain ones it copies itself and the others it hands to vsnprintf().
 */
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "dns/finding.h"
#include "tests/lib/tap.h"

/* dns_finding_fmt() against xasprintf() (vsnprintf) on the same arguments. */
#define SAME(...)                                                                                  \
	do {                                                                                       \
		char *want_ = xasprintf(__VA_ARGS__), *got_ = dns_finding_fmt(__VA_ARGS__);        \
		tap_is_str(got_, want_, "fmt: %.60s", #__VA_ARGS__);                               \
		free(want_);                                                                       \
		free(got_);                                                                        \
	} while (0)

static void test_plain(void)
{
	const char *volatile nul = NULL;

	SAME("%s", "");
	SAME("%s", "hello");
	SAME("no conversion at all");
	SAME("%s", "bytes \xff\xfe not UTF-8 \xc3");
	SAME("%s", nul);
	SAME("a%sb%sc", "X", "Y");
	SAME("%d %d %d %d", 0, -1, INT_MAX, INT_MIN);
	SAME("%u %u", 0u, UINT_MAX);
	SAME("%ld %ld %ld", 0L, LONG_MAX, LONG_MIN);
	SAME("%lu", ULONG_MAX);
	SAME("%zu %zu", (size_t)0, SIZE_MAX);
	SAME("100%% of %s%%", "mail");
	SAME("%%%%%s%%", "x");
	SAME("%%");
	SAME("ends with a conversion %s", "end");
	SAME("%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
	     "11", "12", "13", "14", "15", "16");
}

/* Formats it does not copy itself go to vsnprintf: same result. */
static void test_fallback(void)
{
	SAME("%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s", "1", "2", "3", "4", "5", "6", "7", "8", "9",
	     "10", "11", "12", "13", "14", "15", "16", "17");
	SAME("%02X-%x", 10u, 255u);
	SAME("%.*s|", 3, "abcdef");
	SAME("%5s|%-5s|", "ab", "cd");
	SAME("%c%c", 'o', 'k');
	SAME("%lld %llu", LLONG_MIN, ULLONG_MAX);
	SAME("%zd", (ssize_t)-5);
	SAME("%s %d %.2f", "mixed", 3, 1.5);
	SAME("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%s", "many %%");
}

/* A 64 KB argument and a long literal text (fix texts are long). */
static void test_big(void)
{
	size_t n = (size_t)64 << 10;
	char *big = malloc(n + 1), *got;

	memset(big, 'z', n);
	big[n] = '\0';
	big[1000] = '\x80';
	SAME("<%s> and <%s>", big, big + 1000);
	got = dns_finding_fmt("%s", big);
	tap_is_int((long long)strlen(got), (long long)n, "fmt: 64 KB argument kept whole");
	free(got);
	free(big);
	SAME("Create a 2048-bit key (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
	     "-out new.pem`, or ask your mail provider to rotate it), publish it under a new "
	     "selector, switch signing to it, then retire this one with `%s. TXT \"v=DKIM1; "
	     "p=\"`.",
	     "s1._domainkey.example.test");
}

/* Same bytes as common_buf_printf(), and the same all-or-nothing cap. */
static void test_buf(void)
{
	struct buf a, b;
	bool same = true;

	common_buf_init(&a, 64);
	common_buf_init(&b, 64);
	for (int i = 0; i < 10; i++) {
		enum mp_err ea = common_buf_printf(&a, "%s%d:%s", i ? ", " : "", i, "abc");
		enum mp_err eb = dns_finding_buf_printf(&b, "%s%d:%s", i ? ", " : "", i, "abc");

		same &= ea == eb && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
	}
	tap_ok(same, "buf: same text and same ERR_LIMIT as common_buf_printf");
	tap_ok(b.len <= 64 && b.len > 50, "buf: filled up to its maximum (%zu)", b.len);
	tap_ok(dns_finding_buf_printf(&b, "%s", "") == ERR_OK, "buf: empty text fits");
	common_buf_free(&a);
	common_buf_free(&b);
}

static void test_list(void)
{
	struct dns_findings f, g;

	dns_findings_init(&f);
	dns_findings_init(&g);
	dns_findings_add(&f, "spf", "SPF_X", SEV_WARN, "fix it", "ev\0idence", 9, "%s has %zu",
			 "example.test", (size_t)3);
	dns_findings_add_msg(&f, "dmarc", "DMARC_Y", SEV_CRITICAL, NULL, NULL, 0,
			     dns_finding_fmt("taken %d", 7));
	tap_is_int((long long)f.n, 2, "list: two findings");
	tap_is_str(f.v[0].message, "example.test has 3", "list: message formatted");
	tap_ok(f.v[0].evidence_len == 9 && memcmp(f.v[0].evidence, "ev\0idence", 9) == 0,
	       "list: evidence with a NUL kept whole");
	tap_is_str(f.v[1].message, "taken 7", "list: a pre-formatted message is taken");
	tap_ok(f.v[1].fix == NULL && f.v[1].evidence == NULL, "list: no fix, no evidence");
	tap_ok(dns_findings_worst(&f) == SEV_CRITICAL, "list: worst severity");
	dns_findings_move(&g, &f);
	tap_ok(g.n == 2 && f.n == 0 && dns_findings_has(&g, "DMARC_Y"), "list: moved");
	dns_findings_clear(&g);
	dns_findings_clear(&f);
}

int main(void)
{
	test_plain();
	test_fallback();
	test_big();
	test_buf();
	test_list();
	return tap_done();
}
