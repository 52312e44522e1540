/* tests/common/test_json: the JSON facade keeps output valid whatever the bytes. */
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "tests/lib/tap.h"

static void check_clean(const char *in, size_t len, const char *want, const char *what)
{
	size_t n;
	char *out = common_json_utf8_clean(in, len, &n);

	tap_ok(n == strlen(want) && memcmp(out, want, n) == 0, "utf8 clean: %s", what);
	free(out);
}

int main(void)
{
	struct common_json *o = common_json_object(), *a = common_json_array();
	char *s;

	check_clean("abc", 3, "abc", "ascii kept");
	check_clean("caf\xc3\xa9", 5, "caf\xc3\xa9", "valid 2-byte kept");
	check_clean("\xff", 1, "\xef\xbf\xbd", "invalid byte replaced");
	check_clean("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", "overlong encoding replaced");
	check_clean("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
		    "surrogate replaced");
	check_clean("\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd", "truncated sequence replaced");

	common_json_set_strn(o, "txt", "a\0<b>\xff", 6);
	common_json_set_int(o, "n", 10);
	common_json_set_bool(o, "ok", true);
	common_json_push(a, common_json_string(NULL, 0));
	common_json_set(o, "list", a);
	s = common_json_dump(o, false);
	tap_is_str(s, "{\"txt\":\"a\\u0000<b>\xef\xbf\xbd\",\"n\":10,\"ok\":true,\"list\":[null]}",
		   "compact dump keeps order, escapes NUL, cleans UTF-8");
	free(s);
	common_json_free(o);
	return tap_done();
}
