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

/* Keys go through the same escaper: compare with a value of the same bytes. */
static void key_and_value(struct common_jsonw *w, const void *arg)
{
	const struct bytes *b = arg;

	common_jsonw_obj_begin(w);
	common_jsonw_key(w, b->p);
	common_jsonw_str(w, b->p, (size_t)-1);
	common_jsonw_obj_end(w);
}

/*
 * Long strings take the word-at-a-time scan: every special byte at every
 * position of a word, 64 KB of plain text, 64 KB of random bytes (NULs,
 * invalid UTF-8), all as jansson writes them.
 */
static void long_strings(void)
{
	static const unsigned char special[] = {0x00, 0x01, 0x1f, '"', '\\', 0x7f,
						0x80, 0xc3, 0xff, ' ', '~'};
	unsigned char *big = malloc(65536);
	uint32_t seed = 777;
	bool all = true;

	for (size_t k = 0; k < sizeof special && all; k++)
		for (size_t pos = 0; pos < 24 && all; pos++) {
			unsigned char s[24];

			memset(s, 'a', sizeof s);
			s[pos] = special[k];
			if (special[k] == 0xc3 && pos + 1 < sizeof s)
				s[pos + 1] = 0xa9; /* a valid two-byte sequence */
			all = same_as_jansson((const char *)s, sizeof s) &&
			      same_as_jansson((const char *)s, pos + 1);
		}
	tap_ok(all, "each special byte at each position of three words, as jansson writes it");

	memset(big, 'x', 65536);
	tap_ok(same_as_jansson((const char *)big, 65536), "64 KB of plain ASCII");
	for (size_t k = 0; k < 65536; k++) {
		seed = seed * 1103515245u + 12345u;
		big[k] = (unsigned char)(seed >> 16);
	}
	tap_ok(same_as_jansson((const char *)big, 65536), "64 KB of random bytes");
	for (size_t k = 0; k < 65536; k++)
		big[k] = k % 3 ? (unsigned char)'"' : 0x01; /* every byte escaped, 6x at worst */
	tap_ok(same_as_jansson((const char *)big, 65536), "64 KB where every byte is escaped");
	free(big);
}

/* Write a string into a buffer whose max is exactly the output's length. */
static bool fits_exactly(const char *p, size_t n, const char *key)
{
	struct buf b;
	struct common_jsonw w;
	char *want;
	size_t wlen;
	bool ok;

	common_buf_init(&b, 1 << 20);
	common_jsonw_init(&w, &b);
	if (key)
		common_jsonw_key(&w, key);
	common_jsonw_str(&w, p, n);
	want = common_buf_steal(&b, &wlen);
	common_buf_init(&b, wlen);
	common_jsonw_init(&w, &b);
	if (key)
		common_jsonw_key(&w, key);
	common_jsonw_str(&w, p, n);
	ok = b.len == wlen && memcmp(b.data, want, wlen) == 0;
	free(want);
	common_buf_free(&b);
	return ok;
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

	long_strings();
	{
		struct bytes kb = {"k\"e\\y\x01\xff", 0};

		s = written(key_and_value, &kb);
		tap_is_str(
		    s, "{\"k\\\"e\\\\y\\u0001\xef\xbf\xbd\":\"k\\\"e\\\\y\\u0001\xef\xbf\xbd\"}",
		    "a key is escaped like a string");
		free(s);
	}
	tap_ok(fits_exactly("plain", 5, NULL) && fits_exactly("a\"b\x01\xff\xc3\xa9", 7, "k\n") &&
		   fits_exactly("", 0, "key"),
	       "a buffer whose max is the output's exact length is enough");

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
