/*
 * tests/common/test_jsonw: the streaming writer produces exactly what the
 * jansson facade (common/json) would for the same values, and jansson
 * parses it back to the cleaned bytes, whatever the input bytes are.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/jsonw.h"
#include "tests/lib/tap.h"

/* Run fn on a fresh writer; return what it wrote. */
static char *written(void (*fn)(struct common_jsonw *, const void *), const void *arg)
{
	struct buf b;
	struct common_jsonw w;

	common_buf_init(&b, 1 << 20);
	common_jsonw_init(&w, &b);
	fn(&w, arg);
	return common_buf_steal(&b, NULL);
}

struct bytes {
	const char *p;
	size_t n;
};

static void one_string(struct common_jsonw *w, const void *arg)
{
	const struct bytes *b = arg;

	common_jsonw_str(w, b->p, b->n);
}

/* The writer's string equals jansson's dump of common_json_string() of the same bytes. */
static bool same_as_jansson(const char *p, size_t n)
{
	struct bytes b = {p, n};
	struct common_json *j = common_json_string(p, n);
	char *mine = written(one_string, &b), *theirs = common_json_dump(j, false);
	bool same = strcmp(mine, theirs) == 0;

	if (!same)
		tap_diag("jsonw %s, jansson %s", mine, theirs);
	free(mine);
	free(theirs);
	common_json_free(j);
	return same;
}

static void nested(struct common_jsonw *w, const void *arg)
{
	(void)arg;
	common_jsonw_obj_begin(w);
	common_jsonw_kstr(w, "a", "x");
	common_jsonw_kint(w, "n", -42);
	common_jsonw_key(w, "list");
	common_jsonw_arr_begin(w);
	common_jsonw_int(w, 1);
	common_jsonw_null(w);
	common_jsonw_obj_begin(w);
	common_jsonw_obj_end(w);
	common_jsonw_arr_begin(w);
	common_jsonw_arr_end(w);
	common_jsonw_str(w, NULL, 0);
	common_jsonw_arr_end(w);
	common_jsonw_kstrn(w, "k\"ey", "v\0w", 3);
	common_jsonw_obj_end(w);
}

static void deep(struct common_jsonw *w, const void *arg)
{
	(void)arg;
	for (int i = 0; i < COMMON_JSONW_MAX_DEPTH - 1; i++)
		common_jsonw_arr_begin(w);
	for (int i = 0; i < COMMON_JSONW_MAX_DEPTH - 1; i++)
		common_jsonw_arr_end(w);
}

int main(void)
{
	static const struct {
		const char *p;
		size_t n;
		const char *what;
	} cases[] = {
	    {"", 0, "empty"},
	    {"plain ascii", 11, "ascii"},
	    {"q\"uote\\back/slash", 17, "quote, backslash, slash"},
	    {"a\0b", 3, "NUL"},
	    {"\x01\x07\x1b[31m\x1f\x7f", 9, "control bytes and DEL"},
	    {"\b\f\n\r\t", 5, "short escapes"},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "valid UTF-8"},
	    {"\xff\xfe", 2, "invalid bytes"},
	    {"\xc0\xaf", 2, "overlong"},
	    {"\xed\xa0\x80", 3, "surrogate"},
	    {"\xe2\x82", 2, "truncated at the end"},
	    {"\xf4\x90\x80\x80", 4, "above U+10FFFF"},
	    {"<script>alert(1)</script>", 25, "markup"},
	};
	uint32_t seed = 12345;
	bool all = true;
	char *s;
	struct common_json *v = NULL;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tap_ok(same_as_jansson(cases[i].p, cases[i].n), "string as jansson writes it: %s",
		       cases[i].what);
	/* 2,000 random byte strings, biased to the interesting bytes. */
	for (int i = 0; i < 2000 && all; i++) {
		unsigned char buf[64];
		size_t n = (size_t)(i % 64);
		static const unsigned char pick[] = {0x00, 0x1f, '"',  '\\', 'a',  0x7f, 0x80,
						     0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xff};

		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = (seed >> 16) & 1 ? pick[(seed >> 17) % sizeof pick]
						  : (unsigned char)(seed >> 20);
		}
		all = same_as_jansson((const char *)buf, n);
	}
	tap_ok(all, "2,000 random byte strings: the same as jansson");

	s = written(nested, NULL);
	tap_is_str(s,
		   "{\"a\":\"x\",\"n\":-42,\"list\":[1,null,{},[],null],\"k\\\"ey\":\"v\\u0000w\"}",
		   "nesting, commas, null, empty containers, escaped key");
	tap_ok(common_json_parse(s, strlen(s), &v) == ERR_OK, "jansson parses it");
	common_json_free(v);
	free(s);
	s = written(deep, NULL);
	tap_ok(strlen(s) == 2 * (COMMON_JSONW_MAX_DEPTH - 1) && s[0] == '[' &&
		   s[COMMON_JSONW_MAX_DEPTH - 2] == '[' && s[COMMON_JSONW_MAX_DEPTH - 1] == ']',
	       "nesting up to the limit");
	free(s);
	return tap_done();
}
