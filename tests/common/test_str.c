/* tests/common/test_str: length-carrying string helpers. */
#include <stdint.h>
#include "common/str.h"
#include "tests/lib/tap.h"

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
	return tap_done();
}
